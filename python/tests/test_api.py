"""The public API: load, call, pipe, result objects, serialisation."""

import itertools
import json
import pathlib
import pickle
import re
import threading
import time

import pytest

import quotestance


def test_exports_and_hierarchy() -> None:
    for name in quotestance.__all__:
        assert hasattr(quotestance, name), name
    for exc in (quotestance.InputError, quotestance.ConfigError, quotestance.ModelNotFoundError):
        assert issubclass(exc, quotestance.QuotestanceError)
    assert issubclass(quotestance.QuotestanceError, Exception)
    assert quotestance.QuotestanceError.__module__ == "quotestance"
    assert quotestance.schema_version == "1.0"
    assert quotestance.__version__


def test_load_config(nlp: quotestance.Language, tmp_path: pathlib.Path) -> None:
    cfg = nlp.config
    assert set(cfg) == {"models_dir", "use_models", "threads", "max_bytes", "abstain_threshold", "deadline_ms"}
    assert cfg["deadline_ms"] == 0  # no limit by default
    nlp2 = quotestance.load(threads=2, max_bytes=1000, abstain_threshold=0.25, deadline_ms=1500)
    assert nlp2.config["threads"] == 2 and nlp2.config["max_bytes"] == 1000 and nlp2.config["deadline_ms"] == 1500
    assert quotestance.load(models_dir=tmp_path).config["models_dir"] == str(tmp_path)


def test_an_unknown_argument_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="max_byte"):
        quotestance.load(max_byte=10)  # type: ignore[call-arg]


@pytest.mark.parametrize("kwargs, message", [
    ({"abstain_threshold": 2.0}, "abstain_threshold must be from 0 to 1, not 2.0"),
    ({"threads": -1}, "threads must be at least 0, not -1"),
    ({"threads": "two"}, "threads must be an int, not str 'two'"),
    ({"max_bytes": object()}, "max_bytes must be an int"),
    ({"max_bytes": 0}, "max_bytes must be at least 1, not 0"),
    ({"use_models": "yes"}, "use_models must be True or False"),
    ({"deadline_ms": 1.5}, "deadline_ms must be an int"),
    ({"models_dir": "en_core_web_sm"}, "models_dir 'en_core_web_sm' is not a folder"),
])
def test_bad_config_values_are_named_in_python_terms(kwargs: dict, message: str) -> None:
    with pytest.raises(quotestance.ConfigError, match=re.escape(message)):
        quotestance.load(**kwargs)


def test_call(nlp: quotestance.Language, article: str) -> None:
    doc = nlp(article, id="a1", title="T", url="u", date="2026-01-01", source="S")
    assert doc.ok and doc.error is None
    assert doc.id == "a1" and doc.text is article
    assert (doc.title, doc.url, doc.date, doc.source) == ("T", "u", "2026-01-01", "S")
    assert doc.schema_version == quotestance.schema_version
    assert len(doc.paragraphs) == 5
    # offsets are code points: Python str indices (the "é" of "café" comes before)
    assert article[doc.paragraphs[1].start:doc.paragraphs[1].end].startswith('"He has lost')
    for attr in ("quotes", "people", "entities", "resignation_calls", "sentences"):
        assert isinstance(getattr(doc, attr), list)
    assert nlp(article).id == "0"
    assert "Doc id='a1'" in repr(doc)


def test_to_dict_and_json_round_trip(nlp: quotestance.Language, article: str) -> None:
    doc = nlp(article, id="x")
    d = doc.to_dict()
    assert d["text"] == article and d["id"] == "x" and d["chars"] == len(article)
    assert json.loads(doc.to_json()) == d
    back = quotestance.Doc.from_dict(d)
    assert back.to_dict() == d
    assert pickle.loads(pickle.dumps(doc)).to_dict() == d
    with pytest.raises(ValueError):
        quotestance.Doc.from_json("[1, 2]", "t")


def test_real_article_quotes_speakers_stances_targets(doc: quotestance.Doc) -> None:
    """The pipeline's own output on ARTICLE (conftest.py): one quote per quote
    style, each with the speaker, stance and target a reader would give it."""
    got = [(q.kind, q.speaker.name if q.speaker else None, q.stance, q.target.name if q.target else None)
           for q in doc.quotes]
    assert got == [
        ("indirect", "Helen Marsh", "call_to_resign", "Peter Okafor"),  # called on ... to resign
        ("direct", "Helen Marsh", "call_to_resign", "Peter Okafor"),  # "..." said Ms Marsh
        ("direct", "Sandra Tilley", "defence", "Peter Okafor"),  # '...' she said
        ("direct", "Peter Okafor", "rebuttal", "Peter Okafor"),  # said: “...”
        ("direct", "A council spokesperson", "other", None),
    ]
    assert [q.paragraph for q in doc.quotes] == [0, 1, 2, 3, 4]
    assert "must go now" in doc.quotes[1].text and "no intention of resigning" in doc.quotes[3].text
    assert doc.quotes[2].speaker.mention.text == "she"  # type: ignore[union-attr]
    for q in doc.quotes:
        assert doc.text[q.start:q.end] == q.text
        assert doc.text.encode()[q.byte_start:q.byte_end].decode() == q.text
        assert set(q.scores) == {"call_to_resign", "defence", "rebuttal", "other"}
        # the calibrated probability of the stance given (the rules may give a key stance that is
        # less probable than `other`: see quotestance::stance::CalibratedRules)
        assert q.scores[q.stance] == q.stance_score and 0.0 < q.stance_score <= 1.0
        assert sum(q.scores.values()) == pytest.approx(1.0, abs=1e-4)
        assert q.cue is not None and doc.text[q.cue.start:q.cue.end] == q.cue.text
        assert q.to_dict()["text"] == q.text
    assert doc.quotes[0].cue.text == "called on"  # type: ignore[union-attr]

    names = [p.name for p in doc.people]
    assert names == ["Helen Marsh", "Peter Okafor", "Sandra Tilley"]
    for q in doc.quotes[:4]:
        assert q.speaker is not None and doc.people[q.speaker.person].name == q.speaker.name  # type: ignore[index]
        assert q.target is not None and doc.people[q.target.person].name == "Peter Okafor"  # type: ignore[index]
    assert doc.quotes[4].speaker.person is None  # type: ignore[union-attr]
    marsh = doc.people[0]
    assert marsh.gender == "female" and "Ms Marsh" in marsh.variants
    assert [doc.text[m.start:m.end] for m in marsh.mentions] == ["Helen Marsh", "Marsh"]
    assert {"Helen Marsh", "Peter Okafor", "Sandra Tilley"} <= {e.text for e in doc.entities if e.label == "PERSON"}

    (call,) = doc.resignation_calls
    assert (call.caller, call.target, call.evidence) == ("Helen Marsh", "Peter Okafor", [0, 1])
    assert doc.people[call.caller_person].name == "Helen Marsh"  # type: ignore[index]
    assert doc.people[call.target_person].name == "Peter Okafor"  # type: ignore[index]


def test_no_quotes_no_calls(nlp: quotestance.Language) -> None:
    doc = nlp("The council met on Tuesday. The budget was approved without debate.")
    assert doc.quotes == [] and doc.resignation_calls == []


def test_pipe_order_ids_and_records(nlp: quotestance.Language, article: str) -> None:
    items = [article, {"id": "r1", "text": article, "title": "A title", "extra": 1}, {"text": "Short."},
             article.encode("utf-8"), {"id": 42, "text": "x"}]
    docs = list(nlp.pipe(items, batch_size=2))
    assert [d.id for d in docs] == ["0", "r1", "2", "3", "42"]
    assert all(isinstance(d, quotestance.Doc) for d in docs)
    assert docs[1].title == "A title"  # type: ignore[union-attr]
    assert docs[3].text == article  # bytes decoded


@pytest.mark.parametrize("n_threads", [0, 1, 2, 3])
@pytest.mark.parametrize("batch_size", [1, 7, 64])
def test_pipe_is_deterministic_across_threads(nlp: quotestance.Language, article: str, n_threads: int,
                                              batch_size: int) -> None:
    texts = [article * (1 + i % 5) for i in range(40)]
    got = [d.to_dict() for d in nlp.pipe(texts, batch_size=batch_size, n_threads=n_threads)]  # type: ignore[union-attr]
    want = [nlp(t, id=str(i)).to_dict() for i, t in enumerate(texts)]
    assert got == want


def test_pipe_streams(nlp: quotestance.Language) -> None:
    """pipe is lazy: it pulls only one batch at a time from an endless input."""
    pulled = []

    def endless():
        for i in itertools.count():
            pulled.append(i)
            yield f"Text number {i}."

    out = list(itertools.islice(nlp.pipe(endless(), batch_size=10), 15))
    assert [d.id for d in out] == [str(i) for i in range(15)]
    assert len(pulled) == 20


def test_pipe_argument_checks(nlp: quotestance.Language) -> None:
    for kwargs in ({"batch_size": 0}, {"n_threads": -1}, {"on_error": "ignore"}):
        with pytest.raises(ValueError):
            list(nlp.pipe(["a"], **kwargs))


def test_gil_is_released_while_labelling(nlp: quotestance.Language, article: str) -> None:
    """Another Python thread keeps running while Rust labels a long text."""
    big = article * (2_000_000 // len(article))  # ~2 MB: about half a second of Rust
    done = threading.Event()
    took = []

    def work() -> None:
        try:
            t = time.perf_counter()
            nlp(big)
            took.append(time.perf_counter() - t)
        finally:
            done.set()

    worker = threading.Thread(target=work)
    last, max_gap = time.perf_counter(), 0.0
    worker.start()
    while not done.is_set():
        now = time.perf_counter()
        max_gap, last = max(max_gap, now - last), now
    worker.join()
    assert took, "labelling the long text failed"
    assert took[0] > 0.1, "the text is too short to show anything"
    assert max_gap < took[0] / 2, f"main thread stalled {max_gap:.3f}s of {took[0]:.3f}s: GIL held?"


def test_threads_share_one_language(nlp: quotestance.Language, article: str) -> None:
    out: dict = {}

    def work(i: int) -> None:
        out[i] = [d.to_dict() for d in nlp.pipe([article] * 20, n_threads=2)]  # type: ignore[union-attr]

    ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert len(out) == 4 and all(v == out[0] for v in out.values())


def test_missing_models_name_the_python_command(tmp_path: pathlib.Path) -> None:
    with pytest.raises(quotestance.ModelNotFoundError) as e:
        quotestance.load(use_models=True, models_dir=tmp_path)
    assert str(tmp_path) in str(e.value) and "python -m quotestance download" in str(e.value)


def test_download_command_is_reachable() -> None:
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-m", "quotestance"], capture_output=True, text=True)
    assert out.returncode == 2 and "python -m quotestance download" in out.stderr
    out = subprocess.run([sys.executable, "-m", "quotestance", "download", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "--models-dir" in out.stdout
