#!/usr/bin/env python3
"""Throughput of the Python binding (`nlp.pipe`) against Rust (`examples/label_jsonl.rs`).

    python3 tools/corpus.py            # build data/corpus/articles (done here too)
    cargo build --release --example label_jsonl
    .venv/bin/python benches/python_vs_cli.py [--articles 500] [--runs 7] [--threads 0] [--batch-size 64]

The articles are made by concatenating pairs of corpus texts, cycling through
the corpus until there are --articles of them. The Rust baseline is the
example `label_jsonl` (Pipeline::annotate_batch over the same batches on the
same number of threads), because the CLI's `label` subcommand is not in this
branch yet.

Both sides are timed on the same work: from documents in memory to one result
per document (an `Annotated` JSON string in Rust; a `Doc` in Python, whose JSON
Rust wrote, decoded lazily on first attribute access). Rust reports its own
time (`label_ms`, file reading and writing excluded); Python is timed around
`list(nlp.pipe(records))`. A third figure, `pipe+decode`, also touches every
document's quotes and paragraphs (forcing the json.loads) for the cost of
actually looking at the results. Each figure is the median (and the best) of --runs rounds; a round runs
each side once after a warm-up, the sides interleaved so that load from
elsewhere on the machine falls on both alike.
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
CORPUS = ROOT / "data" / "corpus"


def corpus_texts() -> List[str]:
    subprocess.run([sys.executable, str(ROOT / "tools" / "corpus.py")], cwd=ROOT, capture_output=True)
    texts = [p.read_text(encoding="utf-8") for p in sorted((CORPUS / "articles").glob("*.txt"))]
    if len(texts) >= 5:
        return texts
    # tools/corpus.py writes nothing when any source file has an error: build
    # the texts of the good ones in memory with its own parser
    sys.path.insert(0, str(ROOT / "tools"))
    import corpus  # type: ignore[import-not-found]

    out = []
    for f in sorted((CORPUS / "src").glob("*.qsa")):
        try:
            out.append(corpus.build_one(f)[1])
        except corpus.CorpusError as e:
            print(f"  (skipping {f.name}: {e})", file=sys.stderr)
    return out or texts


def make_articles(n: int) -> List[Dict[str, str]]:
    texts = corpus_texts()
    if not texts:
        sys.exit("no corpus texts found under data/corpus")
    k = len(texts)
    return [{"id": f"bench-{i:04d}", "text": texts[i % k] + "\n\n" + texts[(i * 7 + 3) % k]} for i in range(n)]


def rust_run(binary: pathlib.Path, path: pathlib.Path, threads: int, batch: int) -> List[float]:
    """[label seconds of one run after a warm-up run, wall seconds of a second
    process that labels once (start, reading and parsing the JSONL, labelling,
    writing)]."""
    args = ["--threads", str(threads), "--batch-size", str(batch)]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.jsonl")
        r = subprocess.run([str(binary), *args, "--repeat", "2", str(path), out],
                           capture_output=True, text=True, check=True)
        t = time.perf_counter()
        subprocess.run([str(binary), *args, str(path), out], capture_output=True, check=True)
        wall = time.perf_counter() - t
    ms = [float(x) for x in re.findall(r"label_ms=([\d.]+)", r.stderr)]
    return [ms[-1] / 1e3, wall]


def py_run(nlp: Any, records: List[Dict[str, str]], runs: int, threads: int, batch: int, decode: bool) -> List[float]:
    times = []
    for i in range(runs + 1):
        t = time.perf_counter()
        docs = list(nlp.pipe(records, batch_size=batch, n_threads=threads))
        if decode:
            for d in docs:
                d.quotes, d.paragraphs  # noqa: B018 (forces the decode)
        el = time.perf_counter() - t
        assert len(docs) == len(records) and all(d.ok for d in docs)
        if i:
            times.append(el)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=500)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--threads", type=int, default=0, help="0: all cores (both sides)")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--binary", default=str(ROOT / "target" / "release" / "examples" / "label_jsonl"))
    a = ap.parse_args()

    import quotestance

    binary = pathlib.Path(a.binary)
    if not binary.exists():
        subprocess.run(["cargo", "build", "--release", "--example", "label_jsonl"], cwd=ROOT, check=True)
    threads = a.threads or os.cpu_count() or 1
    records = make_articles(a.articles)
    mb = sum(len(r["text"].encode()) for r in records) / 1e6
    print(f"{len(records)} articles, {mb:.1f} MB, threads={threads}, batch_size={a.batch_size}, "
          f"median of {a.runs} runs")

    # Rounds interleave the two sides, so that load from elsewhere on the
    # machine falls on both alike.
    nlp = quotestance.load()
    rust: List[float] = []
    e2e: List[float] = []
    py: List[float] = []
    py_dec: List[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "in.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        for _ in range(a.runs):
            r = rust_run(binary, path, threads, a.batch_size)
            rust.append(r[0])
            e2e.append(r[1])
            py += py_run(nlp, records, 1, threads, a.batch_size, decode=False)
            py_dec += py_run(nlp, records, 1, threads, a.batch_size, decode=True)

    n = len(records)
    rs, ps, pd = (n / statistics.median(x) for x in (rust, py, py_dec))
    rb, pb, db = (n / min(x) for x in (rust, py, py_dec))
    print(f"{'':22s}{'median':>10s}{'best':>10s}  articles/s   ratio python/rust (median, best)")
    print(f"rust   (label_jsonl)  {rs:10.1f}{rb:10.1f}")
    es, eb = n / statistics.median(e2e), n / min(e2e)
    print(f"rust   process e2e    {es:10.1f}{eb:10.1f}  (process wall time: start, read+parse JSONL, label, write)")
    print(f"python (pipe)         {ps:10.1f}{pb:10.1f}  {ps / rs:.3f} {pb / rb:.3f}")
    print(f"python (pipe+decode)  {pd:10.1f}{db:10.1f}  {pd / rs:.3f} {db / rb:.3f}")
    print(json.dumps({"articles": n, "threads": threads, "rust_aps": round(rs, 1), "pipe_aps": round(ps, 1),
                      "pipe_decode_aps": round(pd, 1), "rust_process_e2e_aps": round(es, 1), "ratio": round(ps / rs, 3),
                      "ratio_decode": round(pd / rs, 3), "ratio_best": round(pb / rb, 3)}))


if __name__ == "__main__":
    main()
