"""Bad input never crashes the interpreter: each case is a clear error."""

import pytest

import quotestance


def test_none_is_an_input_error(nlp: quotestance.Language) -> None:
    with pytest.raises(quotestance.InputError, match="got NoneType"):
        nlp(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [123, 4.5, ["a"], object()])
def test_non_text_is_an_input_error(nlp: quotestance.Language, value: object) -> None:
    with pytest.raises(quotestance.InputError):
        nlp(value)  # type: ignore[arg-type]


def test_utf8_bytes_are_accepted(nlp: quotestance.Language) -> None:
    text = "Cllr Zoë Ørsted said “go”."
    for data in (text.encode("utf-8"), bytearray(text.encode("utf-8")), memoryview(text.encode("utf-8"))):
        doc = nlp(data)
        assert doc.text == text and doc.to_dict()["chars"] == len(text)


def test_non_utf8_bytes_are_an_input_error(nlp: quotestance.Language) -> None:
    with pytest.raises(quotestance.InputError, match=r"not valid UTF-8 .* at byte 6"):
        nlp(b"Caf\xc3\xa9 \xe9t\xe9")


def test_lone_surrogate_is_an_input_error(nlp: quotestance.Language) -> None:
    with pytest.raises(quotestance.InputError, match="surrogate"):
        nlp("bad \ud800 text")


def test_five_megabytes(nlp: quotestance.Language, article: str) -> None:
    big = (article + "\n\n") * (5_000_000 // len((article + "\n\n").encode()) + 1)
    assert len(big.encode()) > 5_000_000
    doc = nlp(big)
    assert doc.to_dict()["chars"] == len(big) and len(doc.paragraphs) > 10_000


def test_over_max_bytes_is_an_input_error(article: str) -> None:
    small = quotestance.load(max_bytes=100)
    with pytest.raises(quotestance.InputError, match="over the limit of 100"):
        small(article)
    docs = list(small.pipe(["short", article, "short too"]))
    assert [d.ok for d in docs] == [True, False, True]
    assert "over the limit" in docs[1].error  # type: ignore[operator]


def test_one_bad_record_yields_an_error_record(nlp: quotestance.Language, article: str) -> None:
    items = [article, None, {"id": "b", "text": b"\xff\xfe"}, {"id": "c"}, "x\udcff", {"id": "d", "text": 7},
             {"id": "e", "text": "ok", "title": 3}, article]
    out = list(nlp.pipe(items, batch_size=3))
    assert len(out) == len(items)
    assert [o.ok for o in out] == [True, False, False, False, False, False, False, True]
    errs = [o for o in out if isinstance(o, quotestance.ErrorRecord)]
    assert [e.id for e in errs] == ["1", "b", "c", "4", "d", "e"]
    assert [e.index for e in errs] == [1, 2, 3, 4, 5, 6]
    assert all(isinstance(e.exception, quotestance.InputError) for e in errs)
    assert "'text' key" in errs[2].error
    assert errs[0].to_dict()["type"] == "InputError"
    with pytest.raises(quotestance.InputError):
        errs[0].raise_()
    assert "ErrorRecord id='1'" in repr(errs[0])


def test_on_error_raise(nlp: quotestance.Language) -> None:
    it = nlp.pipe(["fine", None, "never reached"], on_error="raise")
    assert next(it).ok
    with pytest.raises(quotestance.InputError):
        next(it)


def test_a_rust_panic_becomes_a_quotestance_error() -> None:
    with pytest.raises(quotestance.QuotestanceError, match="panic while .*: boom.*bug"):
        quotestance._quotestance._panic_for_test("boom")
    # the interpreter is fine afterwards
    assert quotestance.load()("still works").ok


def test_empty_inputs(nlp: quotestance.Language) -> None:
    assert list(nlp.pipe([])) == []
    doc = nlp("")
    assert doc.text == "" and doc.quotes == [] and doc.to_dict()["chars"] == 0
