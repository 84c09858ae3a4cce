#!/usr/bin/env bash
# README command 2 (and what CI runs): the corpus is up to date, formatting,
# lints, the Rust tests, the Python tests, then the scores on ../shared/dev
# when that folder is present.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== corpus (rebuilt from data/corpus/src; must match what is committed)"
python3 tools/corpus.py
if git rev-parse --git-dir >/dev/null 2>&1; then
    git diff --exit-code --stat -- data/corpus || { echo "data/corpus is stale: run python3 tools/corpus.py and commit"; exit 1; }
fi
if [ -f scripts/setup-models.py ]; then
    echo "== models (idempotent; the model tests need them)"
    python3 scripts/setup-models.py
fi
echo "== fmt"
cargo fmt --all --check
echo "== clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "== rust tests"
cargo test --workspace
if [ -d ../shared/dev ]; then
    echo "== scores on ../shared/dev (the shared scorer's metrics)"
    echo "-- rule layer (the default)"
    cargo run -q --release -p quotestance-cli -- eval --gold ../shared/dev/gold --articles ../shared/dev/articles
    echo "-- with the transformer stance head (--models)"
    cargo run -q --release -p quotestance-cli -- eval --gold ../shared/dev/gold --articles ../shared/dev/articles --models
fi
echo "== python (last, so its summary closes the log)"
scripts/python-test.sh
