"""The record path: every item shape ``pipe`` (and the Arrow batches) take gives
what ``nlp(...)`` gives for the same fields, and every field is checked as
``nlp(...)`` checks it: same exception type, same message."""

from collections import OrderedDict
from types import MappingProxyType
from typing import Any, Dict, Iterator, List, Mapping

import pytest

import quotestance
from quotestance._batches import label_batch

META = ("title", "url", "date", "source")
TEXT = "\u201cThe depot must close,\u201d said Cllr Ada Finch of the invented borough."
GOOD = {"title": "A title", "url": "https://example.invalid/a", "date": "2031-02-03", "source": "The Invented Post"}


class Record(Mapping[str, Any]):
    """A read-only mapping that is not a dict."""

    def __init__(self, **kw: Any) -> None:
        self._d = dict(kw)

    def __getitem__(self, k: str) -> Any:
        return self._d[k]

    def __iter__(self) -> Iterator[str]:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)


def shapes(d: Dict[str, Any]) -> List[Mapping[str, Any]]:
    """The same record as a dict, an OrderedDict with the keys reversed, a
    mapping proxy and a custom Mapping, plus one with an extra ignored key."""
    return [d, OrderedDict(reversed(list(d.items()))), MappingProxyType(d), Record(**d), {**d, "extra": 1}]


def one(nlp: quotestance.Language, item: Any) -> Any:
    (out,) = list(nlp.pipe([item]))
    return out


def test_two_key_dicts_keep_their_metadata(nlp: quotestance.Language) -> None:
    """The issue's case: a dict with `text` and one metadata key."""
    doc = one(nlp, {"text": "x.", "title": "T"})
    assert doc.ok and doc.title == "T" and doc.id == "0"
    for key in META:
        doc = one(nlp, {"text": "x.", key: "v"})
        assert doc.ok and getattr(doc, key) == "v", key
        assert all(getattr(doc, k) is None for k in META if k != key)


@pytest.mark.parametrize("keys", [(), ("title",), ("url",), ("date",), ("source",), ("title", "source"), META])
@pytest.mark.parametrize("with_id", [False, True])
def test_every_shape_gives_what_nlp_gives(nlp: quotestance.Language, keys: tuple, with_id: bool) -> None:
    meta = {k: GOOD[k] for k in keys}
    rec: Dict[str, Any] = {"text": TEXT, **meta, **({"id": "r7"} if with_id else {})}
    want = nlp(TEXT, id="r7" if with_id else "0", **meta).to_dict()
    for item in shapes(rec):
        got = one(nlp, item)
        assert got.ok, (item, got)
        assert got.to_dict() == want, type(item)


def test_none_metadata_is_the_same_as_missing(nlp: quotestance.Language) -> None:
    want = nlp(TEXT).to_dict()
    for item in shapes({"text": TEXT, "title": None, "url": None, "date": None, "source": None}):
        assert one(nlp, item).to_dict() == want


def _nlp_error(nlp: quotestance.Language, id: str, text: Any, meta: Dict[str, Any]) -> BaseException:
    with pytest.raises(quotestance.QuotestanceError) as e:
        nlp(text, id=id, **meta)
    return e.value


@pytest.mark.parametrize("key", META)
@pytest.mark.parametrize("bad", [5, 1.5, b"T", ["T"], {"t": 1}, True])
def test_bad_metadata_is_the_nlp_error(nlp: quotestance.Language, key: str, bad: Any) -> None:
    """`{"text": ..., "title": 5}` is refused exactly as `nlp(..., title=5)` is."""
    want = _nlp_error(nlp, "d1", TEXT, {key: bad})
    assert type(want) is quotestance.InputError and key in str(want)
    for with_id in (True, False):
        rec: Dict[str, Any] = {"text": TEXT, key: bad, **({"id": "d1"} if with_id else {})}
        for item in shapes(rec):
            got = one(nlp, item)
            assert not got.ok and got.index == 0
            assert got.id == ("d1" if with_id else "0")
            if with_id:
                assert type(got.exception) is type(want) and str(got.exception) == str(want), type(item)
            else:
                assert str(got.exception) == str(want).replace("'d1'", "'0'")
            with pytest.raises(quotestance.InputError, match=key):
                list(nlp.pipe([item], on_error="raise"))


@pytest.mark.parametrize("field, value", [("text", None), ("text", 7), ("text", b"\xff\xfe"), ("text", "a\ud800b"),
                                          ("title", "a\udcffb"), ("url", "\ud800"), ("source", "x\udfff")])
def test_bad_text_and_surrogates_are_the_nlp_error(nlp: quotestance.Language, field: str, value: Any) -> None:
    text, meta = (value, {}) if field == "text" else (TEXT, {field: value})
    want = _nlp_error(nlp, "s1", text, meta)
    assert type(want) is quotestance.InputError
    if isinstance(value, str):
        assert "surrogate" in str(want) and repr(field) in str(want)
    for item in shapes({"id": "s1", "text": text, **meta}):
        got = one(nlp, item)
        assert not got.ok and got.id == "s1"
        assert type(got.exception) is type(want) and str(got.exception) == str(want)


def test_ids_are_read_the_same_way(nlp: quotestance.Language) -> None:
    """A non-str id is str()-ed by both, a missing or None one is the position."""
    assert nlp("x.", id=42).id == one(nlp, {"id": 42, "text": "x."}).id == "42"  # type: ignore[arg-type]
    docs = list(nlp.pipe([{"text": "a."}, {"id": None, "text": "b.", "title": "T"}, {"id": "c", "text": "c."}]))
    assert [d.id for d in docs] == ["0", "1", "c"] and docs[1].title == "T"  # type: ignore[union-attr]


def test_arrow_batches_check_fields_as_nlp_does(nlp: quotestance.Language) -> None:
    """The Ray/Spark labeller (label_batch) builds records too: a metadata
    column of the wrong type is nlp's error, row by row."""
    pa = pytest.importorskip("pyarrow")
    ok = pa.table({"id": ["a", "b"], "text": [TEXT, TEXT], "title": ["T1", None]})
    rows = label_batch(nlp, ok).to_pylist()
    assert {r["doc_id"] for r in rows} == {"a", "b"}
    bad = pa.table({"id": ["a", "b"], "text": [TEXT, TEXT], "title": [5, None]})
    want = _nlp_error(nlp, "a", TEXT, {"title": 5})
    with pytest.raises(quotestance.InputError, match="'title' must be a str or None, got int"):
        label_batch(nlp, bad)
    out = label_batch(nlp, bad, on_error="yield").to_pylist()
    errors = [r for r in out if r["error"] is not None]
    assert [(r["doc_id"], r["error"]) for r in errors] == [("a", f"InputError: {want}")]
    assert any(r["doc_id"] == "b" for r in out if r["error"] is None)
