#!/usr/bin/env python3
"""Time `quotestance label --threads 1` on adversarial shapes at size n and 4n (issue: linear time
on any input). Prints one row per shape: seconds at n, at 4n, and their ratio (linear ~4,
quadratic ~16). Inputs are generated here (invented text).

    python3 benches/scaling.py [--bin target/release/quotestance] [--timeout 120] [--models]
"""
import argparse
import pathlib
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent

PARAGRAPH = (
    "Councillor Ann Bee, leader of the opposition group, said the inspection report was damning.\n"
    "\u201cThe cabinet member must resign now,\u201d she said. \u201cThere is no other way.\u201d\n"
    "A spokesman for the council said it was working hard to improve services for children.\n"
    "Mr Cee, the cabinet member, told the Gazette: \u201cI will not step down. We have a plan.\u201d\n"
    "Labour called for Mr Cee to resign over the findings, while Tory colleagues backed him.\n\n"
)


def shapes():
    """name -> function(size in units) -> text; the unit counts are the 'n' of each row."""
    return {
        "marks '\u201ca\u201d ' (n=8,192: 32 KB)": (8192, lambda n: "\u201ca\u201d " * n),
        "marks '\u201cgo\u201d and ' (n=8,192)": (8192, lambda n: "\u201cgo\u201d and " * n),
        "guillemets '\u00ab' (n=65,536)": (65536, lambda n: "\u00ab" * n),
        "straight marks '\"a\" ' (n=8,192)": (8192, lambda n: '"a" ' * n),
        "paragraphs '\u201cGo now,\u201d he said.' (n=12,500)": (12500, lambda n: "\u201cGo now,\u201d he said.\n" * n),
        "realistic news (n=2,000 paragraphs: ~0.9 MB)": (2000, lambda n: PARAGRAPH * (n // 5)),
        "one sentence of names 'Ann Bee and ' (n=8,192)": (8192, lambda n: "Ann Bee and " * n),
        "no newlines, words (n=50,000)": (50000, lambda n: "the council said that " * (n // 4)),
    }


def run(binary, path, timeout, models):
    cmd = [str(binary), "label", str(path), "--threads", "1", "-o", "/dev/null"] + (["--models"] if models else [])
    t = time.perf_counter()
    try:
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout)
    except subprocess.TimeoutExpired:
        return float("inf")
    except subprocess.CalledProcessError as e:
        return -float(e.returncode)
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=str(ROOT / "target" / "release" / "quotestance"))
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--models", action="store_true")
    ap.add_argument("--only", help="run the shapes whose name contains this")
    args = ap.parse_args()
    print("| shape | n | time at n (s) | time at 4n (s) | ratio |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, (n, make) in shapes().items():
            if args.only and args.only not in name:
                continue
            times = []
            for size in (n, 4 * n):
                path = pathlib.Path(tmp) / "in.txt"
                path.write_text(make(size), encoding="utf-8")
                times.append(min(run(args.bin, path, args.timeout, args.models) for _ in range(2 if size == n else 1)))
            ratio = times[1] / times[0] if times[0] > 0 else float("nan")
            fmt = lambda t: "timeout" if t == float("inf") else f"{t:.3f}"
            print(f"| {name} | {n} | {fmt(times[0])} | {fmt(times[1])} | {ratio:.1f} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
