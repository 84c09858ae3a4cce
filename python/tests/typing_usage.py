"""Checked with `mypy --strict` (scripts/python-test.sh): a typical use of the
public API must type-check against the stubs without casts."""

from typing import Dict, List, Optional, Tuple, Union

import quotestance


def speakers(texts: List[str]) -> Dict[str, List[str]]:
    nlp: quotestance.Language = quotestance.load(threads=1, max_bytes=1 << 20, deadline_ms=5_000)
    out: Dict[str, List[str]] = {}
    for doc in nlp.pipe(texts, batch_size=8, n_threads=2):
        if isinstance(doc, quotestance.ErrorRecord):
            print(doc.id, doc.error)
            continue
        for q in doc.quotes:
            name: Optional[str] = q.speaker.name if q.speaker else None
            score: float = q.scores["call_to_resign"]
            out.setdefault(doc.id, []).append(f"{name}: {q.text} ({q.stance} {score:.2f}, {q.start}-{q.end})")
    return out


def summary(doc: quotestance.Doc) -> str:
    calls = [f"{c.caller} -> {c.target}" for c in doc.resignation_calls]
    people = [p.name for p in doc.people]
    ents = [(e.label, e.text) for e in doc.entities]
    html: str = quotestance.render(doc)
    return f"{doc.id} {len(doc.text)} {calls} {people} {ents} {len(html)} {doc.to_json()[:10]}"


def tables() -> int:
    doc = quotestance.load()("Labour called for Cllr Jo Bell to resign.", id="t")
    df = quotestance.to_pandas([doc])
    people = quotestance.to_pandas(doc, table="people")
    calls = quotestance.to_polars([doc], table="calls")
    table = quotestance.to_arrow([doc], "documents")
    rows: int = table.num_rows + calls.height
    return len(df) + len(people) + rows


def with_context(items: List[Tuple[str, int]]) -> Dict[int, int]:
    # as_tuples=True: (text, context) in, (doc, context) out; the context keeps its type
    nlp = quotestance.load()
    out: Dict[int, int] = {}
    for doc, row in nlp.pipe(items, as_tuples=True, on_error="raise"):  # Tuple[Doc, int]: no isinstance check
        out[row] = len(doc.quotes)
    pairs: List[Tuple[Union[quotestance.Doc, quotestance.ErrorRecord], int]] = list(nlp.pipe(items, as_tuples=True))
    out.update((row, -1) for d, row in pairs if isinstance(d, quotestance.ErrorRecord))
    return out


def only_docs(texts: List[str]) -> List[int]:
    # on_error="raise" yields only Doc (an ErrorRecord has no quotes): no isinstance check needed
    return [len(doc.quotes) for doc in quotestance.load().pipe(texts, on_error="raise")]


def is_call(q: quotestance.Quote) -> bool:
    # the labels are Literal types: a misspelt label is a type error
    return q.stance == "call_to_resign" and q.kind != "indirect"


def errors() -> None:
    try:
        quotestance.load(threads=-1)
    except quotestance.ConfigError as e:
        assert isinstance(e, quotestance.QuotestanceError)
    try:
        quotestance.load()(b"\xff")
    except quotestance.InputError as e:
        print(e)
