"""Tables of labelled documents, one row per quote, person, entity,
resignation call or document: ``to_pandas``, ``to_polars`` and ``to_arrow``
(``table=`` picks which), and ``quotes_table`` (the CLI's quotes rows, also
what the Ray and Spark adapters emit)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, Iterator, List, Literal, Tuple, Union

from ._types import STANCES, Doc, ErrorRecord

if TYPE_CHECKING:
    import pandas
    import polars
    import pyarrow

Table = Literal["quotes", "people", "entities", "calls", "documents"]
Row = Tuple[Any, ...]
Docs = Union[Doc, ErrorRecord, Iterable[Union[Doc, ErrorRecord]]]

# The quotes rows of the CLI (`quotestance batch`, quotes-NNNNN.jsonl; QuoteRow in
# crates/quotestance-cli/src/batch.rs): same names, order and value types. The CLI's
# quotes-NNNNN.parquet shards have exactly this schema (crates/quotestance-cli/tests/batch.rs
# reads these two constants to check it).
# Integers are int64, the scores float32 (they are f32 in Rust).
QUOTE_COLUMNS = [
    "doc_id", "quote", "start", "end", "kind", "text", "speaker", "speaker_person", "stance", "stance_score",
    "score_call_to_resign", "score_defence", "score_rebuttal", "score_other", "target",
]
QUOTE_TYPES = {
    "doc_id": "string", "quote": "int64", "start": "int64", "end": "int64", "kind": "string", "text": "string",
    "speaker": "string", "speaker_person": "int64", "stance": "string", "stance_score": "float32",
    "score_call_to_resign": "float32", "score_defence": "float32", "score_rebuttal": "float32",
    "score_other": "float32", "target": "string",
}
# The other tables, in the same types (every column nullable). `person`, `speaker_person`,
# `caller_person` and `target_person` index `doc.people` (a person's `id`); `quote`,
# `entity` and `call` are the row's index in its document's list; `evidence` indexes
# `doc.quotes`.
PEOPLE_COLUMNS = [
    "doc_id", "person", "name", "title", "party", "ward", "organisation", "gender", "roles", "variants",
    "n_mentions",
]
PEOPLE_TYPES = {
    "doc_id": "string", "person": "int64", "name": "string", "title": "string", "party": "string",
    "ward": "string", "organisation": "string", "gender": "string", "roles": "list<string>",
    "variants": "list<string>", "n_mentions": "int64",
}
ENTITY_COLUMNS = ["doc_id", "entity", "start", "end", "label", "text", "score", "canonical", "person"]
ENTITY_TYPES = {
    "doc_id": "string", "entity": "int64", "start": "int64", "end": "int64", "label": "string", "text": "string",
    "score": "float32", "canonical": "string", "person": "int64",
}
CALL_COLUMNS = ["doc_id", "call", "caller", "caller_person", "target", "target_person", "score", "evidence"]
CALL_TYPES = {
    "doc_id": "string", "call": "int64", "caller": "string", "caller_person": "int64", "target": "string",
    "target_person": "int64", "score": "float32", "evidence": "list<int64>",
}
# One row per input, labelled or not: `error` is None for a labelled document, else the
# ErrorRecord's "Type: message" (and the columns after it are None); `chars` is len(doc.text).
DOCUMENT_COLUMNS = [
    "doc_id", "error", "title", "url", "date", "source", "chars", "n_quotes", "n_people", "n_entities",
    "n_resignation_calls",
]
DOCUMENT_TYPES = {
    "doc_id": "string", "error": "string", "title": "string", "url": "string", "date": "string",
    "source": "string", "chars": "int64", "n_quotes": "int64", "n_people": "int64", "n_entities": "int64",
    "n_resignation_calls": "int64",
}


def _quotes(doc: Doc) -> Iterator[Row]:
    for i, q in enumerate(doc.quotes):
        sp = q.speaker
        yield (doc.id, i, q.start, q.end, q.kind, q.text, sp.name if sp else None, sp.person if sp else None,
               q.stance, q.stance_score, *(float(q.scores.get(s, 0.0)) for s in STANCES),
               q.target.name if q.target else None)


def _people(doc: Doc) -> Iterator[Row]:
    for p in doc.people:
        yield (doc.id, p.id, p.name, p.title, p.party, p.ward, p.organisation, p.gender, list(p.roles),
               list(p.variants), len(p.mentions))


def _entities(doc: Doc) -> Iterator[Row]:
    for i, e in enumerate(doc.entities):
        yield doc.id, i, e.start, e.end, e.label, e.text, e.score, e.canonical, e.person


def _calls(doc: Doc) -> Iterator[Row]:
    for i, c in enumerate(doc.resignation_calls):
        yield doc.id, i, c.caller, c.caller_person, c.target, c.target_person, c.score, list(c.evidence)


def _documents(doc: Doc) -> Iterator[Row]:
    yield (doc.id, None, doc.title, doc.url, doc.date, doc.source, len(doc.text), len(doc.quotes),
           len(doc.people), len(doc.entities), len(doc.resignation_calls))


TABLES: Dict[str, Tuple[List[str], Dict[str, str], Callable[[Doc], Iterator[Row]]]] = {
    "quotes": (QUOTE_COLUMNS, QUOTE_TYPES, _quotes),
    "people": (PEOPLE_COLUMNS, PEOPLE_TYPES, _people),
    "entities": (ENTITY_COLUMNS, ENTITY_TYPES, _entities),
    "calls": (CALL_COLUMNS, CALL_TYPES, _calls),
    "documents": (DOCUMENT_COLUMNS, DOCUMENT_TYPES, _documents),
}


def _table(table: str) -> Tuple[List[str], Dict[str, str], Callable[[Doc], Iterator[Row]]]:
    try:
        return TABLES[table]
    except (KeyError, TypeError):
        raise ValueError(f"table must be one of {', '.join(map(repr, TABLES))}, not {table!r}") from None


def _table_columns(docs: Docs, table: str) -> Dict[str, List[Any]]:
    """The rows of ``table`` over ``docs`` (or one Doc), as lists by column. An
    ErrorRecord is a row of the documents table (``error``: "Type: message", as
    in the Ray and Spark adapters' error rows), and adds no rows elsewhere."""
    columns, _, rows = _table(table)
    cols: Dict[str, List[Any]] = {c: [] for c in columns}
    lists = list(cols.values())
    for doc in [docs] if isinstance(docs, (Doc, ErrorRecord)) else docs:
        if isinstance(doc, Doc):
            got: Iterable[Row] = rows(doc)
        elif not isinstance(doc, ErrorRecord):
            raise TypeError(f"expected Doc or ErrorRecord items (nlp.pipe's output), got {type(doc).__name__}")
        elif table == "documents":
            error = f"{type(doc.exception).__name__}: {doc.error}"
            got = [(doc.id, error) + (None,) * (len(columns) - 2)]
        else:
            continue
        for row in got:
            for values, v in zip(lists, row):
                values.append(v)
    return cols


def _require_pyarrow(what: str) -> Any:
    try:
        import pyarrow as pa
    except ImportError:
        raise ImportError(f"{what} needs pyarrow: pip install pyarrow "
                          "(or pip install 'quotestance[arrow]')") from None
    return pa


def _schema(table: str, what: str) -> "pyarrow.Schema":
    pa = _require_pyarrow(what)
    columns, types, _ = _table(table)
    arrow = {"string": pa.string(), "int64": pa.int64(), "float32": pa.float32(),
             "list<string>": pa.list_(pa.string()), "list<int64>": pa.list_(pa.int64())}
    return pa.schema([(c, arrow[types[c]]) for c in columns])


def quotes_schema() -> "pyarrow.Schema":
    """The Arrow schema of ``quotes_table`` (the CLI's quotes rows). Needs pyarrow."""
    return _schema("quotes", "quotestance.quotes_schema")


def quotes_table(docs: Docs) -> "pyarrow.Table":
    """One row per quote, in the columns and types of the CLI's quotes rows
    (``quotestance batch``, quotes-NNNNN.jsonl): doc_id, quote (index in the
    document's quotes), start, end, kind, text, speaker, speaker_person (index
    into ``doc.people``), stance, stance_score, score_call_to_resign,
    score_defence, score_rebuttal, score_other, target. Error records add no
    rows. The Ray and Spark adapters (``quotestance.ray``,
    ``quotestance.spark``) emit exactly this table, which is also
    ``to_arrow(docs)``. Needs pyarrow."""
    return _arrow(docs, "quotes", "quotestance.quotes_table")


def to_arrow(docs: Docs, table: Table = "quotes") -> "pyarrow.Table":
    """The ``to_pandas`` table as a ``pyarrow.Table``: string, int64, float32
    and list columns, all nullable. Needs pyarrow."""
    return _arrow(docs, table, "quotestance.to_arrow")


def _arrow(docs: Docs, table: str, what: str) -> "pyarrow.Table":
    pa = _require_pyarrow(what)
    return pa.table(_table_columns(docs, table), schema=_schema(table, what))


def to_pandas(docs: Docs, table: Table = "quotes") -> "pandas.DataFrame":
    """One row per quote, person, entity, resignation call or input document
    (``table``) of ``docs`` (``nlp.pipe`` output, a list, or one Doc). The
    columns are the module's ``QUOTE_COLUMNS`` (the same as ``quotes_table``),
    ``PEOPLE_COLUMNS``, ``ENTITY_COLUMNS``, ``CALL_COLUMNS`` or
    ``DOCUMENT_COLUMNS``, in pandas' nullable dtypes: ``string``, ``Int64``,
    ``Float32`` (a missing value is ``pd.NA``); list columns (``roles``,
    ``variants``, ``evidence``) hold Python lists. An ``ErrorRecord`` is a
    documents row with its ``error``, and adds no rows to the other tables."""
    try:
        import pandas as pd
    except ImportError:
        raise ImportError("quotestance.to_pandas needs pandas: pip install pandas "
                          "(or pip install 'quotestance[pandas]')") from None
    _, types, _ = _table(table)
    dtypes = {"string": "string", "int64": "Int64", "float32": "Float32"}
    cols = _table_columns(docs, table)
    return pd.DataFrame({c: pd.Series(v, dtype=dtypes.get(types[c], "object")) for c, v in cols.items()})


def to_polars(docs: Docs, table: Table = "quotes") -> "polars.DataFrame":
    """The ``to_pandas`` table as a ``polars.DataFrame`` (``String``,
    ``Int64``, ``Float32``, ``List``; a missing value is null). Needs polars."""
    try:
        import polars as pl
    except ImportError:
        raise ImportError("quotestance.to_polars needs polars: pip install polars "
                          "(or pip install 'quotestance[polars]')") from None
    _, types, _ = _table(table)
    dtypes: Dict[str, Any] = {"string": pl.String, "int64": pl.Int64, "float32": pl.Float32,
                              "list<string>": pl.List(pl.String), "list<int64>": pl.List(pl.Int64)}
    cols = _table_columns(docs, table)
    return pl.DataFrame(cols, schema={c: dtypes[types[c]] for c in cols})
