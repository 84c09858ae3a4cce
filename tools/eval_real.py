#!/usr/bin/env python3
"""Real-copy figures: the shared scorer on the real set's test and dev splits and on PolNeAR dev,
for each pipeline mode, plus the false alarms on ordinary articles.

    python3 tools/eval_real.py [--bin target/release/quotestance] [--modes rules models]
                               [--splits test dev] [--polnear data/polnear/dev] [--json FILE]

Only texts present with the manifest's sha256 are scored (tools/real.py check);
the script says how many were skipped. The test split's errors are never
printed: only its aggregate figures.
"""
import argparse
import json
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
REAL = ROOT / "data" / "real"
sys.path.insert(0, str(ROOT.parent / "shared" / "eval"))
sys.path.insert(0, str(ROOT / "tools"))

import real  # noqa: E402
import polnear  # noqa: E402
from score import STANCES, match_quotes, prf, score  # noqa: E402

MODE_FLAGS = {"rules": [], "models": ["--models"]}
KEY = ("call_to_resign", "defence", "rebuttal")


def valid_rows():
    rows, skipped = [], 0
    for row in real.read_manifest():
        path = REAL / "articles" / (row["id"] + ".txt")
        gold = REAL / "gold" / (row["id"] + ".json")
        if path.exists() and gold.exists() and real.sha256_file(path) == row["sha256"]:
            rows.append(row)
        else:
            skipped += 1
    return rows, skipped


def label(binary, flags, articles_dir, out_path):
    cmd = [str(binary), "label", str(articles_dir), "-o", str(out_path), *flags]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return {str(json.loads(l)["id"]): json.loads(l) for l in open(out_path, encoding="utf-8") if l.strip()}


def link_subset(rows, tmp, name):
    """A folder pair (gold, articles) holding only rows, as symlinks."""
    gold_dir, art_dir = tmp / name / "gold", tmp / name / "articles"
    gold_dir.mkdir(parents=True)
    art_dir.mkdir(parents=True)
    for row in rows:
        (gold_dir / (row["id"] + ".json")).symlink_to(REAL / "gold" / (row["id"] + ".json"))
        (art_dir / (row["id"] + ".txt")).symlink_to(REAL / "articles" / (row["id"] + ".txt"))
    return gold_dir, art_dir


def false_alarms(rows, preds):
    ordinary = [r for r in rows if r["group"] == "ordinary"]
    calls = sum(len(preds.get(r["id"], {}).get("resignation_calls", [])) for r in ordinary)
    quotes = [q for r in ordinary for q in preds.get(r["id"], {}).get("quotes", [])]
    keyed = sum(q.get("stance") in KEY for q in quotes)
    return {
        "ordinary_articles": len(ordinary),
        "calls_per_100": 100.0 * calls / len(ordinary) if ordinary else 0.0,
        "key_stance_share": keyed / len(quotes) if quotes else 0.0,
    }


def stance_detail(rows, preds):
    """Per-class stance P/R/F1 (counted as the scorer counts them: unmatched quotes are errors)
    and the ECE of `stance_score` on matched quotes (10 equal-width bins; right = gold stance)."""
    tp, fp, fn = ({s: 0 for s in STANCES} for _ in range(3))
    conf = []
    for row in rows:
        gold = json.loads((REAL / "gold" / (row["id"] + ".json")).read_text(encoding="utf-8"))["quotes"]
        pred = preds.get(row["id"], {}).get("quotes", [])
        matched = match_quotes(gold, pred, 0.5)
        for gi, pi in matched:
            g, p = gold[gi]["stance"], pred[pi].get("stance", "other")
            conf.append((float(pred[pi].get("stance_score", 0.0)), g == p))
            if g == p:
                tp[g] += 1
            else:
                fp[p] += 1
                fn[g] += 1
        for gi in set(range(len(gold))) - {g for g, _ in matched}:
            fn[gold[gi]["stance"]] += 1
        for pi in set(range(len(pred))) - {p for _, p in matched}:
            fp[pred[pi].get("stance", "other")] += 1
    return {"prf": {s: prf(tp[s], fp[s], fn[s]) for s in STANCES}, "ece": ece(conf)}


def ece(conf, bins=10):
    if not conf:
        return 0.0
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        part = [(c, r) for c, r in conf if lo < c <= hi or (b == 0 and c == 0.0)]
        if part:
            gap = abs(sum(c for c, _ in part) / len(part) - sum(r for _, r in part) / len(part))
            total += gap * len(part) / len(conf)
    return total


def summary(r):
    return {
        "articles": r["articles"],
        "quote_f1": r["quotes"]["f1"],
        "speaker": r["speaker_accuracy"],
        "macro_f1": r["stance_macro_f1_key"],
        "stance_f1": r["stance_f1"],
        "target": r["target_accuracy"],
        "calls_f1": r["resignation_calls"]["f1"],
        "people_r": r["people"]["recall"],
        "people_p": r["people"]["precision"],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=str(ROOT / "target" / "release" / "quotestance"))
    ap.add_argument("--modes", nargs="+", default=["rules", "models"], choices=sorted(MODE_FLAGS))
    ap.add_argument("--splits", nargs="+", default=["test", "dev"])
    ap.add_argument("--polnear", default=str(ROOT / "data" / "polnear" / "dev"))
    ap.add_argument("--json", help="also write every figure to this file")
    args = ap.parse_args()

    rows, skipped = valid_rows()
    print(f"real set: {len(rows)} articles with their text restored ({skipped} skipped: missing or changed)")
    polnear_dir = pathlib.Path(args.polnear)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        all_gold, all_art = link_subset(rows, tmp, "all")
        for mode in args.modes:
            preds = label(args.bin, MODE_FLAGS[mode], all_art, tmp / f"real-{mode}.jsonl")
            for split in args.splits:
                part = [r for r in rows if r["split"] == split]
                if not part:
                    continue
                g, a = link_subset(part, tmp, f"{mode}-{split}")
                r = score(g, a, tmp / f"real-{mode}.jsonl")
                results[(mode, f"real {split}")] = {
                    **summary(r),
                    **false_alarms(part, preds),
                    **stance_detail(part, preds),
                }
            if (polnear_dir / "gold").is_dir():
                pred_path = tmp / f"polnear-{mode}.jsonl"
                label(args.bin, MODE_FLAGS[mode], polnear_dir / "articles", pred_path)
                results[(mode, "PolNeAR dev")] = polnear.score(polnear_dir / "gold", polnear_dir / "articles", pred_path)
    print_tables(results)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps({f"{m} | {s}": v for (m, s), v in results.items()}, indent=1))


def print_tables(results):
    print("\n| set | mode | articles | quote F1 | speaker | macro-F1 | target | calls F1 | people R / P | ordinary: calls per 100 | ordinary: key-stance share |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for (mode, name), r in results.items():
        if name.startswith("PolNeAR"):
            continue
        print(
            f"| {name} | {mode} | {r['articles']} | {r['quote_f1']:.3f} | {r['speaker']:.3f} | {r['macro_f1']:.3f} | "
            f"{r['target']:.3f} | {r['calls_f1']:.3f} | {r['people_r']:.3f} / {r['people_p']:.3f} | "
            f"{r['calls_per_100']:.1f} ({r['ordinary_articles']} articles) | {100 * r['key_stance_share']:.1f}% |"
        )
    pol = [(m, r) for (m, n), r in results.items() if n.startswith("PolNeAR")]
    if pol:
        print("\n| PolNeAR dev | articles | named direct quotes | recall | speaker (surname in Source) | direct precision |")
        print("|---|---|---|---|---|---|")
        for mode, r in pol:
            print(
                f"| {mode} | {r['articles']} | {r['named_direct_gold']} | {r['recall']:.3f} | "
                f"{r['speaker_accuracy']:.3f} | {r['direct_precision']:.3f} |"
            )
    print("\nper-class stance P / R / F1 (call_to_resign | defence | rebuttal | other), and the ECE of stance_score:")
    for (mode, name), r in results.items():
        if "prf" in r:
            cells = " | ".join("{:.3f} / {:.3f} / {:.3f}".format(*r["prf"][s]) for s in (*KEY, "other"))
            print(f"  {name:10} {mode:7} {cells} | ECE {r['ece']:.3f}")

if __name__ == "__main__":
    main()
