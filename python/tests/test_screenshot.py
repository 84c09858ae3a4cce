"""Renders the HTML in headless Chromium and checks what a reader would see:
the quotes are highlighted in their stance colours (pixels of those colours in
a screenshot, absent from the same article without quotes) and the DOM has one
<mark> per quote. Needs Debian's chromium (`apt-get install -y chromium`);
skipped with the reason where it is absent."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path
from typing import List, Set, Tuple

import pytest

import quotestance
from quotestance import STANCE_COLOURS

CHROMIUM = next((p for p in (os.environ.get("CHROMIUM"), shutil.which("chromium"),
                             shutil.which("chromium-browser"), shutil.which("google-chrome")) if p), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium not found (apt-get install -y chromium, "
                                                          "or set CHROMIUM=/path/to/chrome)")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         "--hide-scrollbars", "--force-color-profile=srgb", "--window-size=1000,900"]


def chromium(html: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    page = tmp / "page.html"
    page.write_text(f"<!doctype html><meta charset='utf-8'><body style='background:#fff'>{html}</body>",
                    encoding="utf-8")
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],  # type: ignore[list-item]
                              capture_output=True, text=True, timeout=120, cwd=tmp)


def read_png(path: Path) -> Tuple[int, int, List[bytes]]:
    """Width, height and the rows of RGB(A) pixels of an 8-bit, non-interlaced PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    width = height = channels = 0
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0 and colour in (2, 6), (depth, colour, interlace)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: List[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], (prev[i - channels] if i >= channels else 0)
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line[j] for k in range(0, stride, channels) for j in range(k, k + 3)))
        prev = line
    return width, height, rows


def colours_present(png: Path, tolerance: int = 6) -> Set[str]:
    want = {s: tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for s, c in STANCE_COLOURS.items()}
    count = {s: 0 for s in want}
    _, _, rows = read_png(png)
    for row in rows:
        for k in range(0, len(row), 3):
            px = row[k:k + 3]
            for s, rgb in want.items():
                if all(abs(px[i] - rgb[i]) <= tolerance for i in range(3)):
                    count[s] += 1
    return {s for s, n in count.items() if n >= 50}  # a highlighted word, not an anti-aliased edge


def test_highlights_render_in_stance_colours(doc: quotestance.Doc, nlp: quotestance.Language,
                                             tmp_path: Path) -> None:
    """ARTICLE (conftest.py) labelled by the pipeline has a quote of each
    stance: all four colours show. A second article whose quotes are all calls
    to resign shows that colour alone: the colours follow the document."""
    assert {q.stance for q in doc.quotes} == set(STANCE_COLOURS)
    html = quotestance.render(doc, legend=False, calls=False)  # no legend swatches: only marks carry colour
    r = chromium(html, tmp_path, f"--screenshot={tmp_path / 'shot.png'}")
    shot = tmp_path / "shot.png"
    assert shot.exists(), f"no screenshot: {r.stderr[-2000:]}"
    seen = colours_present(shot)
    assert seen == {q.stance for q in doc.quotes}, seen

    # the same article with no quotes shows none of the stance colours
    bare = doc.to_dict()
    bare["quotes"] = []
    r = chromium(quotestance.render(quotestance.Doc.from_dict(bare), legend=False, calls=False), tmp_path,
                 f"--screenshot={tmp_path / 'bare.png'}")
    assert colours_present(tmp_path / "bare.png") == set()

    calls = nlp("Labour has called on Cllr Jo Bell to resign over the expenses row.\n\n"
                "Cllr Ann Lee said: \u201cShe must go now.\u201d")
    assert [q.stance for q in calls.quotes] == ["call_to_resign", "call_to_resign"]
    chromium(quotestance.render(calls, legend=False, calls=False), tmp_path, f"--screenshot={tmp_path / 'calls.png'}")
    assert colours_present(tmp_path / "calls.png") == {"call_to_resign"}


def test_dom_has_one_mark_per_quote(doc: quotestance.Doc, tmp_path: Path) -> None:
    r = chromium(doc._repr_html_(), tmp_path, "--dump-dom")
    dom = r.stdout
    assert dom.count("<mark ") == len(doc.quotes), r.stderr[-2000:]
    for q in doc.quotes:
        assert f'data-stance="{q.stance}"' in dom
    assert "&lt;and&gt;" in dom  # escaped text stays text after parsing
    assert dom.count('class="qs-speaker"') == len(doc.quotes)
    assert "<table>" in dom and "Peter Okafor" in dom
