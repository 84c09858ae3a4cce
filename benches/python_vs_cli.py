#!/usr/bin/env python3
"""Throughput of the Python binding (`nlp.pipe`) against the CLI (`quotestance label`)
and an in-process Rust baseline (`examples/label_jsonl.rs`).

    cargo build --release -p quotestance-cli && cargo build --release --example label_jsonl
    .venv/bin/python benches/python_vs_cli.py [--articles 500] [--runs 7] [--threads 0] [--batch-size 64]

The input is --articles documents cycled from the corpus texts in
data/corpus/articles (article i is text i mod the number of texts), labelled by
the rule layer (the default of `quotestance.load()`; the CLI gets
`--rules-only` to match). Four figures, each the median (and best) of --runs
rounds, the sides interleaved within a round so that load from elsewhere on
the machine falls on all of them alike:

* `cli label`: wall time of one `quotestance label --rules-only --threads N -o
  OUT IN.jsonl` process: start, reading and parsing the JSONL, labelling,
  serialising and writing. This is what a user of the CLI waits for.
* `rust in-process`: `label_jsonl`'s own `label_ms` for a batch pass in a warm
  process (Pipeline::annotate_batch to `Annotated` JSON strings; no start, no
  file I/O): the floor for any binding.
* `python pipe`: `list(nlp.pipe(records))` in a warm interpreter: records to
  `Doc`s whose JSON Rust wrote, decoded lazily.
* `python pipe+decode`: the same, also touching every document's quotes and
  paragraphs (forcing the json.loads): the cost of looking at the results.

Before timing, the CLI's output is checked to equal the Python output
document by document (the same pipeline behind both).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List

ROOT = pathlib.Path(__file__).resolve().parent.parent
ARTICLES = ROOT / "data" / "corpus" / "articles"
RELEASE = ROOT / "target" / "release"


def make_articles(n: int) -> List[Dict[str, str]]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(ARTICLES.glob("*.txt"))]
    if not texts:
        sys.exit(f"no .txt articles under {ARTICLES}")
    return [{"id": f"bench-{i:04d}", "text": texts[i % len(texts)]} for i in range(n)]


def cli_cmd(binary: pathlib.Path, threads: int, path: pathlib.Path, out: pathlib.Path) -> List[str]:
    return [str(binary), "label", "--rules-only", "--threads", str(threads), "-o", str(out), str(path)]


def cli_run(binary: pathlib.Path, threads: int, path: pathlib.Path, out: pathlib.Path) -> float:
    t = time.perf_counter()
    subprocess.run(cli_cmd(binary, threads, path, out), capture_output=True, check=True)
    return time.perf_counter() - t


def rust_run(binary: pathlib.Path, path: pathlib.Path, out: pathlib.Path, threads: int, batch: int) -> float:
    """label seconds of the second of two passes in one process."""
    r = subprocess.run([str(binary), "--threads", str(threads), "--batch-size", str(batch), "--repeat", "2",
                        str(path), str(out)], capture_output=True, text=True, check=True)
    ms = [float(x) for x in re.findall(r"label_ms=([\d.]+)", r.stderr)]
    return ms[-1] / 1e3


def py_run(nlp: Any, records: List[Dict[str, str]], threads: int, batch: int, decode: bool) -> float:
    t = time.perf_counter()
    docs = list(nlp.pipe(records, batch_size=batch, n_threads=threads))
    if decode:
        for d in docs:
            d.quotes, d.paragraphs  # noqa: B018 (forces the decode)
    el = time.perf_counter() - t
    assert len(docs) == len(records) and all(d.ok for d in docs)
    return el


def check_same_output(nlp: Any, records: List[Dict[str, str]], cli_out: pathlib.Path) -> int:
    """The CLI's JSONL equals the Python output, record by record; returns the quote count."""
    lines = cli_out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(records), (len(lines), len(records))
    quotes = 0
    for line, doc in zip(lines, nlp.pipe(records)):
        want = doc.to_dict()
        del want["text"]
        got = json.loads(line)
        assert got == want, f"CLI and Python differ on {doc.id}"
        quotes += len(got["quotes"])
    return quotes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=500)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--threads", type=int, default=0, help="0: all cores (every side)")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--cli", default=str(RELEASE / "quotestance"))
    ap.add_argument("--baseline", default=str(RELEASE / "examples" / "label_jsonl"))
    a = ap.parse_args()

    import quotestance

    cli, baseline = pathlib.Path(a.cli), pathlib.Path(a.baseline)
    if not cli.exists():
        subprocess.run(["cargo", "build", "--release", "-p", "quotestance-cli"], cwd=ROOT, check=True)
    if not baseline.exists():
        subprocess.run(["cargo", "build", "--release", "--example", "label_jsonl"], cwd=ROOT, check=True)
    threads = a.threads or os.cpu_count() or 1
    records = make_articles(a.articles)
    mb = sum(len(r["text"].encode()) for r in records) / 1e6
    nlp = quotestance.load()

    series: Dict[str, List[float]] = {"cli": [], "rust": [], "py": [], "py_dec": []}
    with tempfile.TemporaryDirectory() as tmp:
        path, out = pathlib.Path(tmp) / "in.jsonl", pathlib.Path(tmp) / "out.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        cli_run(cli, threads, path, out)  # warm-up (page cache), and the output to check
        n_quotes = check_same_output(nlp, records, out)
        py_run(nlp, records, threads, a.batch_size, decode=True)  # warm-up
        print(f"{len(records)} articles ({len(set(r['text'] for r in records))} distinct), {mb:.1f} MB, "
              f"{n_quotes} quotes; threads={threads}, batch_size={a.batch_size}, {a.runs} runs; "
              f"CLI output == Python output")
        for _ in range(a.runs):
            series["cli"].append(cli_run(cli, threads, path, out))
            series["rust"].append(rust_run(baseline, path, out, threads, a.batch_size))
            series["py"].append(py_run(nlp, records, threads, a.batch_size, decode=False))
            series["py_dec"].append(py_run(nlp, records, threads, a.batch_size, decode=True))

    n = len(records)
    med = {k: n / statistics.median(v) for k, v in series.items()}
    best = {k: n / min(v) for k, v in series.items()}
    print(f"{'articles/s':28s}{'median':>10s}{'best':>10s}   python(pipe) / this, median")
    names = {"cli": "cli label (process wall)", "rust": "rust in-process (label_ms)", "py": "python pipe",
             "py_dec": "python pipe+decode"}
    for k, label in names.items():
        print(f"{label:28s}{med[k]:10.1f}{best[k]:10.1f}   {med['py'] / med[k]:.3f}")
    print(json.dumps({"articles": n, "mb": round(mb, 2), "quotes": n_quotes, "threads": threads, "runs": a.runs,
                      **{f"{k}_aps_median": round(v, 1) for k, v in med.items()},
                      **{f"{k}_aps_best": round(v, 1) for k, v in best.items()},
                      "pipe_over_cli": round(med["py"] / med["cli"], 3),
                      "pipe_over_rust": round(med["py"] / med["rust"], 3)}))


if __name__ == "__main__":
    main()
