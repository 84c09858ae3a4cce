#!/usr/bin/env python3
"""Builds the stance training folder: the team corpus's train split and the
real-copy set's train split, with the real dev split as dev (epoch choice and
temperature) and the corpus test split as test (scored once, for regressions).
The rule layer's calibration (`quotestance train calibrate-rules`) reads real
dev and the "calibrate" list (real train).

    python3 tools/stance_data.py [--out data/stance]

The folder (git-ignored) holds symlinks: gold/NAME.json and articles/NAME.txt,
and a splits.json {"train": [...], "dev": [...], "test": [...]} that
`quotestance train stance --data data/stance` reads. The real test split is
never written into it. The real texts must be restored first (data/real/README.md).
"""
import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def link(src: Path, dst: Path) -> None:
    if dst.is_symlink() or dst.exists():
        dst.unlink()
    os.symlink(os.path.relpath(src, dst.parent), dst)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "stance")
    args = ap.parse_args()
    corpus = ROOT / "data" / "corpus"
    real = ROOT / "data" / "real"
    csplit = json.loads((corpus / "splits.json").read_text())
    manifest = [json.loads(l) for l in (real / "manifest.jsonl").read_text().splitlines() if l.strip()]
    rsplit = {"train": [], "dev": []}
    for m in manifest:
        if m["split"] in rsplit:
            rsplit[m["split"]].append(m["id"])
    missing = [i for ids in rsplit.values() for i in ids if not (real / "articles" / f"{i}.txt").is_file()]
    if missing:
        print(f"stance_data: {len(missing)} real texts missing (first: {missing[0]}); restore them first "
              "(data/real/README.md)", file=sys.stderr)
        return 2
    for sub in ("gold", "articles"):
        (args.out / sub).mkdir(parents=True, exist_ok=True)
        for old in (args.out / sub).iterdir():
            old.unlink()
    def add(folder: Path, name: str) -> None:
        link(folder / "gold" / f"{name}.json", args.out / "gold" / f"{name}.json")
        link(folder / "articles" / f"{name}.txt", args.out / "articles" / f"{name}.txt")
    for name in csplit["train"] + csplit["test"]:
        add(corpus, name)
    for name in rsplit["train"] + rsplit["dev"]:
        add(real, name)
    splits = {"train": sorted(csplit["train"] + rsplit["train"]), "dev": sorted(rsplit["dev"]),
              "test": sorted(csplit["test"]),
              # the rule layer's calibration reads real copy only: real dev and real train
              "calibrate": sorted(rsplit["train"])}
    (args.out / "splits.json").write_text(json.dumps(splits, indent=1) + "\n")
    print(f"{args.out}: train {len(splits['train'])} (corpus {len(csplit['train'])}, real {len(rsplit['train'])}), "
          f"dev {len(splits['dev'])} (real dev), test {len(splits['test'])} (corpus test)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
