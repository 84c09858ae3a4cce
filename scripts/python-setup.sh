#!/usr/bin/env bash
# Sets up the Python side of quotestance: a virtual environment at .venv with
# maturin, pytest, pandas, pyarrow, mypy and the notebook runner, then builds
# the extension (release) and installs the package into it, editable.
# Needs only the package registries (PyPI, crates.io; Debian for chromium).
#
#   scripts/python-setup.sh            # PYTHON=python3.12 to pick the interpreter
#
# QS_PROFILE=main (what README command 1, scripts/setup.sh, asks for) installs only what the
# package needs to build and run its tables: maturin, pandas, pyarrow; QS_PROFILE=dev (the
# default, and what the tests run) adds pytest, mypy, the notebook runner and polars (to_polars), and:
#
# QS_DIST=1 (default) also installs Ray Data and PySpark for the distributed
# adapters' tests (python/tests/test_distributed.py): about 560 MB of downloads
# (pyspark is a ~450 MB sdist, built into a wheel locally; ray ~70 MB plus its
# deps), a few minutes on a fresh machine; Spark also needs Java 17+ on PATH
# (or JAVA_HOME). If either install fails the rest of the setup still
# completes and those tests are skipped with the reason. QS_DIST=0 skips them.
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
PROFILE="${QS_PROFILE:-dev}"
echo "== installing the Python tools ($PROFILE)"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "maturin>=1.16,<2" "pandas>=1.5" "pyarrow>=12"
if [ "$PROFILE" = "dev" ]; then
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        "pytest>=7" "mypy>=1.10" "nbclient>=0.10" "nbformat>=5" "ipykernel>=6" "polars>=1.0"
fi

if [ "$PROFILE" = "dev" ] && [ "${QS_DIST:-1}" != "0" ]; then
    # Pinned to the series tested here (Python 3.11, Java 17). Each is installed
    # on its own so one failing does not take the other, nor the setup, down.
    for req in "ray[data]>=2.40,<3" "pyspark>=4.0,<5"; do
        echo "== installing $req (optional: the distributed adapters' tests)"
        if ! log="$("$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$req" 2>&1)"; then
            echo "   $req could not be installed; its tests in test_distributed.py will be skipped. pip said:"
            printf '%s\n' "$log" | tail -n 5 | sed 's/^/     /'
        fi
    done
    command -v java >/dev/null 2>&1 || echo "   no java on PATH: the Spark tests will be skipped (install a JDK 17+)"
fi

echo "== building and installing quotestance (maturin develop --release)"
VIRTUAL_ENV="$VENV" PATH="$VENV/bin:$PATH" "$VENV/bin/maturin" develop --release --quiet 2>&1 | tail -n 3

if [ "$PROFILE" = "dev" ] && [ "${QS_CHROMIUM:-auto}" != "0" ] && ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "== installing chromium (for the screenshot test)"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
            || echo "   chromium could not be installed: the screenshot test will be skipped"
    else
        echo "== chromium not found and not root with apt-get: the screenshot test will be skipped"
    fi
fi
"$VENV/bin/python" -c "import quotestance; print('quotestance', quotestance.__version__, 'ready in $VENV')"
