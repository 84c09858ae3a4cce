"""nlp.pipe(pairs, as_tuples=True): (text, context) in, (doc, context) out, in
order, with ErrorRecords and on_error as without contexts."""

import itertools
from typing import Any, Iterator, List, Tuple

import pytest

import quotestance

# Invented texts.
TEXTS = ["Cllr Rob Vane said: \u201cI will not step down.\u201d", "Nothing to see.",
         "Unison called for Cllr Dee Hart to resign."]


def test_contexts_follow_their_docs_in_order(nlp: quotestance.Language) -> None:
    contexts: List[Any] = [{"row": 0}, None, ("a", 1), object(), 4, "five", {"row": 6}]
    texts = [TEXTS[i % 3] for i in range(len(contexts))]
    for batch_size in (1, 2, 3, 64):
        out = list(nlp.pipe(list(zip(texts, contexts)), batch_size=batch_size, as_tuples=True))
        assert [c for _, c in out] == contexts and all(c is want for (_, c), want in zip(out, contexts))
        docs = [d for d, _ in out if isinstance(d, quotestance.Doc)]
        assert [(d.id, d.text) for d in docs] == [(str(i), t) for i, t in enumerate(texts)]
    plain = [d.to_dict() for d in nlp.pipe(texts)]
    assert [d.to_dict() for d, _ in nlp.pipe(zip(texts, contexts), as_tuples=True)] == plain


def test_items_may_be_records_and_lists(nlp: quotestance.Language) -> None:
    pairs: List[Any] = [({"id": "a", "text": TEXTS[0], "title": "T"}, 1), [TEXTS[1].encode(), 2]]
    out = list(nlp.pipe(pairs, as_tuples=True))
    assert [(d.id, c) for d, c in out] == [("a", 1), ("1", 2)]
    assert out[0][0].title == "T" and out[1][0].text == TEXTS[1]  # type: ignore[union-attr]


def test_error_records_keep_their_context(nlp: quotestance.Language) -> None:
    pairs: List[Tuple[Any, str]] = [(TEXTS[0], "first"), (None, "none"), (b"\xff", "bad bytes"),
                                    ({"id": "k", "text": 3}, "not text"), (TEXTS[2], "last")]
    out = list(nlp.pipe(pairs, batch_size=2, as_tuples=True))
    assert [c for _, c in out] == ["first", "none", "bad bytes", "not text", "last"]
    assert [d.ok for d, _ in out] == [True, False, False, False, True]
    errors = [d for d, _ in out if isinstance(d, quotestance.ErrorRecord)]
    assert [(e.id, e.index) for e in errors] == [("1", 1), ("2", 2), ("k", 3)]
    assert all(isinstance(e.exception, quotestance.InputError) for e in errors)


def test_on_error_raise(nlp: quotestance.Language) -> None:
    pairs: List[Any] = [("fine", 1), (None, 2), ("never reached", 3)]
    it = nlp.pipe(pairs, as_tuples=True, on_error="raise")
    doc, ctx = next(it)
    assert doc.ok and ctx == 1
    with pytest.raises(quotestance.InputError):
        next(it)


def test_bad_pairs_and_arguments(nlp: quotestance.Language) -> None:
    bads: List[List[Any]] = [["ab"], [("a", 1, 2)], [("only",)], [None]]
    for bad in bads:
        with pytest.raises(TypeError, match=r"as_tuples=True\) takes \(text, context\) pairs; item 0"):
            list(nlp.pipe(bad, as_tuples=True))
    for kwargs in ({"batch_size": 0}, {"n_threads": -1}, {"on_error": "ignore"}):
        with pytest.raises(ValueError):
            list(nlp.pipe([("a", 1)], as_tuples=True, **kwargs))
    assert list(nlp.pipe([], as_tuples=True)) == []


def test_streams(nlp: quotestance.Language) -> None:
    """Lazy as without contexts: one batch pulled at a time from an endless input."""
    pulled = []

    def endless() -> Iterator[Tuple[str, int]]:
        for i in itertools.count():
            pulled.append(i)
            yield f"Text number {i}.", i

    out = list(itertools.islice(nlp.pipe(endless(), batch_size=10, as_tuples=True), 15))
    assert [(d.id, c) for d, c in out] == [(str(i), i) for i in range(15)]
    assert len(pulled) == 20
