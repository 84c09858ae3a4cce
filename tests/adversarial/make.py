#!/usr/bin/env python3
"""The adversarial corpus: invented inputs that once stalled the pipeline or that stress its
text handling (issue: linear time on any input). Generated, not committed: the CLI test
(crates/quotestance-cli/tests/adversarial.rs) and the Python test (python/tests/test_adversarial.py)
both run `python3 tests/adversarial/make.py OUTDIR` (or import `inputs()`), then label every file.

    python3 tests/adversarial/make.py OUTDIR      # writes OUTDIR/NAME.txt, one per input

Every input is UTF-8 except `invalid_utf8.txt`, which must give a clear error, never a panic.
"""
import pathlib
import sys

NEWS = (
    "Councillor Ann Bee, leader of the opposition group, said the inspection report was damning.\n"
    "\u201cThe cabinet member must resign now,\u201d she said. \u201cThere is no other way.\u201d\n"
    "A spokesman for the council said it was working hard to improve services for children.\n"
    "Mr Cee, the cabinet member, told the Gazette: \u201cI will not step down. We have a plan.\u201d\n"
    "Labour called for Mr Cee to resign over the findings, while Tory colleagues backed him.\n\n"
)


def repeat_to(unit, size):
    """`unit` repeated to about `size` bytes (UTF-8)."""
    n = max(1, size // len(unit.encode("utf-8")))
    return unit * n


def inputs():
    """name -> text (str), or bytes for the inputs that are not UTF-8."""
    return {
        "empty": "",
        "whitespace_only": " \n\t\n   \n",
        "only_marks": repeat_to("\u201c\u201d\u2018\u2019\"'\u00ab\u00bb\u201e\u201a\u2039\u203a", 64 * 1024),
        "dense_curly_32k": "\u201ca\u201d " * 8192,
        "dense_go_and": "\u201cgo\u201d and " * 8192,
        "guillemets_256k": "\u00ab" * (128 * 1024),
        "straight_marks": '"a" ' * 16384,
        "attributed_paragraphs": "\u201cGo now,\u201d he said.\n" * 50000,
        "names_one_sentence": "Ann Bee and " * 20000,
        "no_newlines_1mb": repeat_to(NEWS.replace("\n", " "), 1024 * 1024),
        "news_5mb": repeat_to(NEWS, 5 * 1024 * 1024),
        "one_long_word": "a" * (1024 * 1024),
        "rtl": repeat_to(
            "\u0642\u0627\u0644 \u0627\u0644\u0648\u0632\u064a\u0631: \u00ab\u0644\u0646 \u0623\u0633\u062a\u0642\u064a\u0644\u00bb. "
            "\u05d4\u05e9\u05e8 \u05d0\u05de\u05e8: \u201c\u05dc\u05d0 \u05d0\u05ea\u05e4\u05d8\u05e8\u201d \u200f\u202b\u202c\n",
            64 * 1024,
        ),
        "emoji": repeat_to(
            "The mayor \U0001F468\u200D\U0001F469\u200D\U0001F467 said: \u201cResign \U0001F525\U0001F1EC\U0001F1E7 now\u201d \u2764\ufe0f\n",
            64 * 1024,
        ),
        "nul": repeat_to("Cllr Ann Bee\u0000 said: \u201cGo\u0000 now.\u201d\u0000\n", 64 * 1024),
        "cr_only": repeat_to(NEWS.replace("\n", "\r"), 256 * 1024),
        "crlf": repeat_to(NEWS.replace("\n", "\r\n"), 256 * 1024),
        "bom": "\ufeff" + NEWS,
        "combining": repeat_to("Cll\u0301r A\u0308nn B\u0327e\u0303e said \u201cq\u0336uit\u201d.\n", 64 * 1024),
        "control_chars": repeat_to("Mr\u0007 Cee\u001b[31m said\u0085 \u201cno\u2028way\u2029\u201d\u000b\u000c\n", 64 * 1024),
        "unclosed_open_marks": repeat_to("\u201cHe said \u2018 and \u00ab she \u201e ", 128 * 1024),
        "titles_and_names": repeat_to("Cllr Dr Sir Prof Rt Hon Mr Mrs Ms Ann Bee-Cee O'Dee Mc Ee, ", 256 * 1024),
        "speech_verbs_only": repeat_to("said told added urged called for warned claimed ", 256 * 1024),
        "invalid_utf8": b"Cllr Ann Bee said \xff\xfe \xc3\x28 \"go\" \xe2\x82\n",
    }


def write(out):
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in inputs().items():
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        (out / f"{name}.txt").write_bytes(data)
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(write(sys.argv[1]))
