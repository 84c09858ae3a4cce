#!/usr/bin/env bash
# Sets up the Python side of quotestance: a virtual environment at .venv with
# maturin, pytest, pandas, pyarrow, mypy and the notebook runner, then builds
# the extension (release) and installs the package into it, editable.
# Needs only the package registries (PyPI, crates.io; Debian for chromium).
#
#   scripts/python-setup.sh            # PYTHON=python3.12 to pick the interpreter
#
# QS_CHROMIUM=auto (default) installs Debian's chromium for the screenshot test
# when it is missing and we are root with apt-get; QS_CHROMIUM=0 never does.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"

if [ ! -x "$VENV/bin/python" ]; then
    echo "== creating $VENV with $($PYTHON --version)"
    "$PYTHON" -m venv "$VENV"
fi
VENV="$(cd "$VENV" && pwd)"
echo "== installing the Python tools"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "maturin>=1.16,<2" "pytest>=7" "pandas>=1.5" "pyarrow>=12" "mypy>=1.10" \
    "nbclient>=0.10" "nbformat>=5" "ipykernel>=6"

echo "== building and installing quotestance (maturin develop --release)"
VIRTUAL_ENV="$VENV" PATH="$VENV/bin:$PATH" "$VENV/bin/maturin" develop --release --quiet 2>&1 | tail -n 3

if [ "${QS_CHROMIUM:-auto}" != "0" ] && ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "== installing chromium (for the screenshot test)"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
            || echo "   chromium could not be installed: the screenshot test will be skipped"
    else
        echo "== chromium not found and not root with apt-get: the screenshot test will be skipped"
    fi
fi
"$VENV/bin/python" -c "import quotestance; print('quotestance', quotestance.__version__, 'ready in $VENV')"
