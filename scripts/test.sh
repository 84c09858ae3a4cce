#!/usr/bin/env bash
# README command 2 (and what CI runs): the corpus is up to date, formatting,
# lints, the Rust tests, the rules-only build, the scores on ../shared/dev when
# that folder is present, the Python tests, then the installs a user makes
# (scripts/install-check.sh).
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
echo "== rules-only build (the core crate without its default feature \`models\`: no candle, no tokenizers)"
if cargo tree -p quotestance --no-default-features -e normal --prefix none | grep -E "^(candle|tokenizers|gemm|safetensors) "; then
    echo "the rules-only build still depends on the crates above"; exit 1
fi
cargo test -q -p quotestance --no-default-features --lib
cargo run -q -p quotestance --no-default-features --example label
echo "== cargo package (both crates; the library's .crate under crates.io's 10 MB)"
cargo package -q -p quotestance -p quotestance-cli --no-verify --allow-dirty
python3 - <<'EOF_SIZE'
import glob, os
for f in sorted(glob.glob("target/package/quotestance-*0.1.0.crate")):
    size = os.path.getsize(f)
    print(f"   {f}: {size / 1e6:.1f} MB")
    assert size < 10_000_000, f"{f} is over crates.io's 10 MB"
EOF_SIZE
if [ -d ../shared/dev ]; then
    echo "== scores on ../shared/dev (the shared scorer's metrics)"
    echo "-- rule layer (the default)"
    cargo run -q --release -p quotestance-cli -- eval --gold ../shared/dev/gold --articles ../shared/dev/articles
    echo "-- with the transformer stance head (--models)"
    cargo run -q --release -p quotestance-cli -- eval --gold ../shared/dev/gold --articles ../shared/dev/articles --models
fi
echo "== python"
scripts/python-test.sh
echo "== installs away from the checkout: cargo install + models install, and the wheel in a fresh virtualenv"
scripts/install-check.sh
