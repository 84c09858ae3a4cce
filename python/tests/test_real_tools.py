"""The real-copy set's tools (tools/real.py, tools/polnear.py) and the committed annotations.

The texts are third-party and not in the repository, so the committed gold is
checked against the manifest (ids, sha256, lengths, span order); the tools are
checked on invented texts.
"""

import hashlib
import json
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import polnear  # noqa: E402
import real  # noqa: E402

STANCES = {"call_to_resign", "defence", "rebuttal", "other"}


def manifest():
    return real.read_manifest()


def test_manifest_lines_are_complete_and_unique():
    rows = manifest()
    if not rows:
        pytest.skip("no real set yet")
    keys = {"id", "url", "query", "sha256", "chars", "group", "split"}
    for row in rows:
        assert keys <= row.keys(), row["id"]
        assert row["group"] in real.GROUPS
        assert row["split"] == real.split_of(row["url"]), row["id"]
        assert row["id"].endswith(real.url_hash(row["url"])[:12])
    assert len({r["id"] for r in rows}) == len(rows)
    assert len({real.norm_url(r["url"]) for r in rows}) == len(rows)


def test_every_gold_file_fits_its_manifest_line():
    rows = {r["id"]: r for r in manifest()}
    gold_files = sorted((real.REAL / "gold").glob("*.json"))
    for path in gold_files:
        gold = json.loads(path.read_text(encoding="utf-8"))
        row = rows.get(path.stem)
        assert row is not None, f"{path.stem} has gold but no manifest line"
        assert gold["sha256"] == row["sha256"], path.stem
        last = 0
        for q in gold["quotes"]:
            assert last <= q["start"] < q["end"] <= row["chars"], (path.stem, q)
            assert q["kind"] in ("direct", "indirect") and q["stance"] in STANCES
            assert q["speaker"], (path.stem, q)
            assert q["stance"] == "other" or q["target"], (path.stem, q)
            last = q["end"]
        for call in gold["resignation_calls"]:
            assert call["caller"] and call["target"]


def test_present_texts_match_their_spans():
    """Where a text is restored, its sha256 and the marks around direct spans agree with the gold."""
    for row in manifest():
        text_path = real.REAL / "articles" / (row["id"] + ".txt")
        gold_path = real.REAL / "gold" / (row["id"] + ".json")
        if not text_path.exists() or not gold_path.exists():
            continue
        if real.sha256_file(text_path) != row["sha256"]:
            continue
        text = text_path.read_text(encoding="utf-8")
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        for q in gold["quotes"]:
            assert not real.check_span(text, q["start"], q["end"], q["kind"]), (row["id"], q["start"])


@pytest.fixture
def tmp_real(tmp_path, monkeypatch):
    monkeypatch.setattr(real, "REAL", tmp_path)
    monkeypatch.setattr(real, "MANIFEST", tmp_path / "manifest.jsonl")
    (tmp_path / "drafts").mkdir()
    (tmp_path / "articles").mkdir()
    return tmp_path


INVENTED = (
    "Cllr Ann Bee said: \u201cHe must go now.\u201d\n"
    "Labour called for Mr Cee to resign over the report.\n"
    "\u201cI will not go,\u201d Mr Cee said. \u201cI will not go.\u201d"
)


def test_build_finds_spans_in_order_and_checks_them(tmp_real):
    (tmp_real / "articles" / "x.txt").write_text(INVENTED, encoding="utf-8")
    draft = {
        "quotes": [
            {"quote": "He must go now.", "kind": "direct", "speaker": "Ann Bee", "stance": "call_to_resign", "target": "Cee"},
            {"begin": "Mr Cee", "end": "to resign", "kind": "indirect", "speaker": "Labour", "stance": "call_to_resign", "target": "Cee"},
            {"quote": "I will not go,", "kind": "direct", "speaker": "Cee", "stance": "rebuttal", "target": "Cee"},
            {"quote": "I will not go.", "kind": "direct", "speaker": "Cee", "stance": "rebuttal", "target": "Cee"},
        ],
        "resignation_calls": [{"caller": "Ann Bee", "target": "Cee"}],
    }
    (tmp_real / "drafts" / "x.json").write_text(json.dumps(draft), encoding="utf-8")
    gold, errors = real.build_one("x", INVENTED, tmp_real / "drafts")
    assert errors == []
    spans = [INVENTED[q["start"] : q["end"]] for q in gold["quotes"]]
    assert spans == ["He must go now.", "Mr Cee to resign", "I will not go,", "I will not go."]
    assert gold["sha256"] == hashlib.sha256(INVENTED.encode()).hexdigest()


def test_build_reports_bad_spans_and_labels(tmp_real):
    draft = {
        "quotes": [
            {"quote": "must go", "kind": "direct", "speaker": "Ann Bee", "stance": "call_to_resign"},
            {"quote": "not in the text", "kind": "direct", "speaker": "X", "stance": "other"},
            {"quote": "Labour", "kind": "reported", "speaker": "X", "stance": "angry"},
        ]
    }
    (tmp_real / "drafts" / "x.json").write_text(json.dumps(draft), encoding="utf-8")
    _, errors = real.build_one("x", INVENTED, tmp_real / "drafts")
    text = "\n".join(errors)
    assert "not preceded by a quote mark" in text
    assert "needs a target" in text
    assert "quote not found" in text
    assert "kind 'reported'" in text and "stance 'angry'" in text


def test_splits_are_a_stable_hash_of_the_url():
    counts = {"train": 0, "dev": 0, "test": 0}
    for i in range(2000):
        counts[real.split_of(f"https://news.example/{i}")] += 1
    assert 0.45 < counts["train"] / 2000 < 0.55
    assert 0.16 < counts["dev"] / 2000 < 0.24
    assert 0.25 < counts["test"] / 2000 < 0.35
    assert real.split_of("https://www.News.example/a/") == real.split_of("news.example/a?x=1")


def test_kappa():
    assert real.kappa([("a", "a"), ("b", "b")]) == 1.0
    assert real.kappa([("a", "b"), ("b", "a")]) == -1.0
    assert abs(real.kappa([("a", "a"), ("a", "b"), ("b", "b"), ("b", "b")]) - 0.5) < 1e-9


BRAT_TEXT = 'Jane Roe, a senator, said "we will win this race" on Monday.\nOfficials said turnout rose.'


def brat():
    s = BRAT_TEXT
    src = (0, len("Jane Roe, a senator"))
    cue = (s.index("said"), s.index("said") + 4)
    content = (s.index('"we'), s.index(" on Monday"))
    src2 = (s.index("Officials"), s.index("Officials") + 9)
    cue2 = (s.index("said t"), s.index("said t") + 4)
    content2 = (s.index("turnout"), s.index("rose") + 4)
    rows = [
        f"T1\tSource {src[0]} {src[1]}\t{s[src[0]:src[1]]}",
        f"T2\tCue {cue[0]} {cue[1]}\tsaid",
        f"T3\tContent {content[0]} {content[1]}\t{s[content[0]:content[1]]}",
        "E1\tAttribution:T2 Content:T3 Cue:T2 Source:T1",
        f"T4\tSource {src2[0]} {src2[1]}\tOfficials",
        f"T5\tCue {cue2[0]} {cue2[1]}\tsaid",
        f"T6\tContent {content2[0]} {content2[1]}\tturnout rose",
        "E2\tAttribution:T5 Content:T6 Cue:T5 Source:T4",
    ]
    return "\n".join(rows)


def test_polnear_quoted_content_becomes_direct_spans_and_the_rest_indirect():
    quotes = polnear.convert_article(BRAT_TEXT, brat())
    got = [(BRAT_TEXT[q["start"] : q["end"]], q["kind"], q["speaker"], q["named"]) for q in quotes]
    assert got == [
        ("we will win this race", "direct", "Jane Roe, a senator", True),
        ("turnout rose", "indirect", "Officials", False),
    ]


def test_polnear_speaker_counts_the_surname_in_the_source_phrase():
    assert polnear.surname_in_phrase("Jane Roe", "Rep. Jane Roe, a Democrat from Ohio")
    assert polnear.surname_in_phrase("Roe", "Roe")
    assert not polnear.surname_in_phrase("Jane Roe", "Roe's spokesman")
    assert not polnear.surname_in_phrase("Ohio", "a spokesman")
    assert not polnear.surname_in_phrase(None, "Roe")


def test_polnear_test_split_is_refused(tmp_path):
    import subprocess

    out = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "polnear.py"), "convert", "--src", str(tmp_path), "--out", str(tmp_path), "--splits", "test"],
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0 and "never used" in out.stderr
