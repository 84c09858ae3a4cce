#!/usr/bin/env bash
# Tests the Python bindings: rustfmt and clippy on the whole workspace, the type
# stubs (mypy --strict on a usage file, and stubtest against the built module),
# then the pytest suite (API, bad input, tables, HTML, headless-Chromium
# screenshot, the quickstart notebook). Runs scripts/python-setup.sh first
# unless QS_SKIP_SETUP=1. QS_BENCH=1 also runs benches/python_vs_cli.py.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"

if [ "${QS_SKIP_SETUP:-0}" != "1" ] || [ ! -x "$VENV/bin/python" ]; then
    scripts/python-setup.sh
fi

echo "== rustfmt and clippy (whole workspace)"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings

echo "== mypy --strict on python/tests/typing_usage.py"
"$VENV/bin/python" -m mypy --strict python/tests/typing_usage.py
echo "== stubtest"
"$VENV/bin/python" -m mypy.stubtest --mypy-config-file pyproject.toml \
    --allowlist python/tests/stubtest-allowlist.txt quotestance

echo "== pytest"
"$VENV/bin/python" -m pytest -q -rs python/tests

if [ "${QS_BENCH:-0}" = "1" ]; then
    echo "== benchmark"
    cargo build --release -p quotestance-cli
    cargo build --release --example label_jsonl
    "$VENV/bin/python" benches/python_vs_cli.py
fi
