#!/usr/bin/env python3
"""Encoder throughput: quotestance (Rust, candle) vs the Python reference
(HF transformers on PyTorch, CPU), same model files, same sentences, one run.

    python3 benches/encoder_compare.py [--python /tmp/benchvenv/bin/python]
        [--corpus data/corpus] [--n 512] [--runs 5] [--threads 0] [--models-dir DIR]

* Sentences: the first N sentences (>= 4 words) of data/corpus/articles, in
  file-name order, split on sentence punctuation; written to a temp file that
  both sides read.
* Rust: `cargo run --release --example encode_bench` (batches sorted by length,
  padded to the batch's longest, see crates/quotestance/src/encode).
* Python: transformers.AutoModel from the local model dir (HF_HUB_OFFLINE=1,
  local_files_only), torch.inference_mode, the sentence-transformers recipe:
  sort by length, batches of 32, pad to the batch's longest.
* Both: one warm-up pass, then --runs timed passes; tokens = real tokens
  ([CLS]/[SEP] included, padding not); median tokens/s is compared.
* Equivalence: token ids and last hidden states of the first 8 sentences are
  compared (max |diff|).

The Python side needs torch and transformers (a venv under /tmp is fine:
python3 -m venv /tmp/benchvenv && /tmp/benchvenv/bin/pip install torch transformers).
"""
import argparse
import json
import os
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent

PY_REF = r'''
import json, os, sys, time
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
import torch
from transformers import AutoModel, AutoTokenizer
model_dir, sents_file, runs, threads, dump, dump_n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
if threads > 0:
    torch.set_num_threads(threads)
sents = [l for l in open(sents_file, encoding="utf-8").read().split("\n") if l.strip()]
tok = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
model = AutoModel.from_pretrained(model_dir, local_files_only=True).eval()
BATCH = 32
def run(texts):
    lengths = [len(tok(t, add_special_tokens=True, truncation=True, max_length=256)["input_ids"]) for t in texts]
    order = sorted(range(len(texts)), key=lambda i: -lengths[i])
    real = padded = 0
    outs = [None] * len(texts)
    with torch.inference_mode():
        for s in range(0, len(order), BATCH):
            idx = order[s:s + BATCH]
            b = tok([texts[i] for i in idx], padding=True, truncation=True, max_length=256, return_tensors="pt")
            h = model(**b).last_hidden_state
            real += int(b["attention_mask"].sum()); padded += b["attention_mask"].numel()
            for k, i in enumerate(idx):
                outs[i] = (b["input_ids"][k], b["attention_mask"][k], h[k])
    return real, padded, outs
if dump != "-":
    _, _, outs = run(sents[:dump_n])
    rows = []
    for ids, mask, h in outs:
        n = int(mask.sum())
        rows.append({"ids": ids[1:n - 1].tolist(), "states": h[1:n - 1].flatten().tolist()})
    json.dump(rows, open(dump, "w"))
run(sents)  # warm-up
secs = []
for _ in range(runs):
    t = time.perf_counter(); real, padded, _ = run(sents); secs.append(time.perf_counter() - t)
med = sorted(secs)[len(secs) // 2]
print(json.dumps({"impl": f"transformers {__import__('transformers').__version__} / torch {torch.__version__}",
                  "threads": torch.get_num_threads(), "sentences": len(sents), "tokens": real,
                  "padded_tokens": padded, "secs": secs, "median_tokens_per_s": real / med}))
'''


def sentences(corpus, n):
    out = []
    for p in sorted((corpus / "articles").glob("*.txt")):
        for para in p.read_text(encoding="utf-8").split("\n"):
            for s in re.split(r"(?<=[.!?\u201d\"])\s+(?=[\"\u201cA-Z])", para.strip()):
                if len(s.split()) >= 4:
                    out.append(s.strip())
                    if len(out) == n:
                        return out
    return out


def default_models_dir():
    env = os.environ.get("QUOTESTANCE_MODELS")
    if env:
        return pathlib.Path(env)
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return pathlib.Path(cache) / "quotestance" / "models"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--python", default="/tmp/benchvenv/bin/python", help="interpreter with torch + transformers")
    ap.add_argument("--corpus", type=pathlib.Path, default=ROOT / "data" / "corpus")
    ap.add_argument("--n", type=int, default=512)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0, help="0: all cores (both sides)")
    ap.add_argument("--models-dir", type=pathlib.Path, default=None)
    ap.add_argument("--json", type=pathlib.Path, default=None, help="also write the results here")
    a = ap.parse_args()
    models = (a.models_dir or default_models_dir()).resolve()
    model_dir = models / "all-MiniLM-L6-v2"
    if not (model_dir / "model.safetensors").is_file():
        sys.exit(f"no model in {model_dir}: run python3 scripts/setup-models.py")
    threads = a.threads or os.cpu_count()
    sents = sentences(a.corpus, a.n)
    if len(sents) < a.n:
        print(f"warning: only {len(sents)} sentences in {a.corpus}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        sf = tmp / "sentences.txt"
        sf.write_text("\n".join(s.replace("\n", " ") for s in sents) + "\n", encoding="utf-8")
        subprocess.run(["cargo", "build", "--quiet", "--release", "--example", "encode_bench"], cwd=ROOT, check=True)
        exe = ROOT / "target" / "release" / "examples" / "encode_bench"
        rust = json.loads(subprocess.run(
            [str(exe), str(sf), "--runs", str(a.runs), "--threads", str(threads), "--models-dir", str(models),
             "--dump", str(tmp / "rust.json")], check=True, capture_output=True, text=True).stdout)
        env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="true")
        py = json.loads(subprocess.run(
            [a.python, "-c", PY_REF, str(model_dir), str(sf), str(a.runs), str(threads), str(tmp / "py.json"), "8"],
            check=True, capture_output=True, text=True, env=env).stdout)
        rd, pd = json.loads((tmp / "rust.json").read_text()), json.loads((tmp / "py.json").read_text())
        same_ids = all(r["ids"] == p["ids"] for r, p in zip(rd, pd))
        diff = max(abs(x - y) for r, p in zip(rd, pd) for x, y in zip(r["states"], p["states"]))
    ratio = rust["median_tokens_per_s"] / py["median_tokens_per_s"]
    print(f"{len(sents)} sentences, {threads} threads, {a.runs} timed runs each (median)")
    print(f"{'impl':45} {'tokens':>7} {'padded':>7} {'median s':>9} {'tokens/s':>9}")
    for r in (rust, py):
        print(f"{r['impl']:45} {r['tokens']:7.0f} {r['padded_tokens']:7.0f} {statistics.median(r['secs']):9.3f} "
              f"{r['median_tokens_per_s']:9.0f}")
    print(f"ratio quotestance / python: {ratio:.2f}x")
    print(f"equivalence (first 8 sentences): token ids {'identical' if same_ids else 'DIFFER'}, "
          f"max |state diff| {diff:.2e}")
    if a.json:
        a.json.write_text(json.dumps({"rust": rust, "python": py, "ratio": ratio, "same_ids": same_ids,
                                      "max_state_diff": diff}, indent=1) + "\n")
    if not same_ids or diff > 1e-3 or rust["tokens"] != py["tokens"]:
        sys.exit("error: the two encoders disagree")


if __name__ == "__main__":
    main()
