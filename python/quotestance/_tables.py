"""Tables of quotes, one row per quote: ``to_pandas`` and ``to_arrow`` (the
notebook table, ``scores`` as one column) and ``quotes_table`` (the CLI's quotes
rows, also what the Ray and Spark adapters emit)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterable, Iterator, List, Tuple, Union

from ._types import STANCES, Doc, ErrorRecord, Quote

if TYPE_CHECKING:
    import pandas
    import pyarrow

COLUMNS = ["doc_id", "start", "end", "kind", "text", "speaker", "stance", "stance_score", "target", "scores"]

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


def _require_pyarrow(what: str) -> Any:
    try:
        import pyarrow as pa
    except ImportError:
        raise ImportError(f"{what} needs pyarrow: pip install pyarrow "
                          "(or pip install 'quotestance[arrow]')") from None
    return pa


def quotes_schema() -> "pyarrow.Schema":
    """The Arrow schema of ``quotes_table`` (the CLI's quotes rows). Needs pyarrow."""
    pa = _require_pyarrow("quotestance.quotes_schema")
    types = {"string": pa.string(), "int64": pa.int64(), "float32": pa.float32()}
    return pa.schema([(c, types[QUOTE_TYPES[c]]) for c in QUOTE_COLUMNS])


def _quotes(docs: Iterable[Union[Doc, ErrorRecord]]) -> Iterator[Tuple[Doc, int, Quote]]:
    """Every (document, index in its quotes, quote); error records have none."""
    if isinstance(docs, (Doc, ErrorRecord)):
        docs = [docs]
    for doc in docs:
        if not isinstance(doc, Doc):
            continue  # an ErrorRecord has no quotes
        for i, q in enumerate(doc.quotes):
            yield doc, i, q


def _rows(docs: Iterable[Union[Doc, ErrorRecord]]) -> Dict[str, List[Any]]:
    cols: Dict[str, List[Any]] = {c: [] for c in COLUMNS}
    for doc, _, q in _quotes(docs):
        cols["doc_id"].append(doc.id)
        cols["start"].append(q.start)
        cols["end"].append(q.end)
        cols["kind"].append(q.kind)
        cols["text"].append(q.text)
        cols["speaker"].append(q.speaker.name if q.speaker else None)
        cols["stance"].append(q.stance)
        cols["stance_score"].append(q.stance_score)
        cols["target"].append(q.target.name if q.target else None)
        cols["scores"].append({s: float(q.scores.get(s, 0.0)) for s in STANCES})
    return cols


def _quote_rows(docs: Iterable[Union[Doc, ErrorRecord]]) -> Dict[str, List[Any]]:
    cols: Dict[str, List[Any]] = {c: [] for c in QUOTE_COLUMNS}
    for doc, i, q in _quotes(docs):
        cols["doc_id"].append(doc.id)
        cols["quote"].append(i)
        cols["start"].append(q.start)
        cols["end"].append(q.end)
        cols["kind"].append(q.kind)
        cols["text"].append(q.text)
        cols["speaker"].append(q.speaker.name if q.speaker else None)
        cols["speaker_person"].append(q.speaker.person if q.speaker else None)
        cols["stance"].append(q.stance)
        cols["stance_score"].append(q.stance_score)
        for s in STANCES:
            cols["score_" + s].append(float(q.scores.get(s, 0.0)))
        cols["target"].append(q.target.name if q.target else None)
    return cols


def quotes_table(docs: Iterable[Union[Doc, ErrorRecord]]) -> "pyarrow.Table":
    """One row per quote, in the columns and types of the CLI's quotes rows
    (``quotestance batch``, quotes-NNNNN.jsonl): doc_id, quote (index in the
    document's quotes), start, end, kind, text, speaker, speaker_person (index
    into ``doc.people``), stance, stance_score, score_call_to_resign,
    score_defence, score_rebuttal, score_other, target. Error records add no
    rows. The Ray and Spark adapters (``quotestance.ray``,
    ``quotestance.spark``) emit exactly this table. Needs pyarrow."""
    pa = _require_pyarrow("quotestance.quotes_table")
    return pa.table(_quote_rows(docs), schema=quotes_schema())


def to_pandas(docs: Iterable[Union[Doc, ErrorRecord]]) -> "pandas.DataFrame":
    """One row per quote: doc_id, start, end, kind, text, speaker, stance,
    stance_score, target, scores (a dict of the four stance probabilities).
    Error records from ``pipe`` have no quotes and add no rows."""
    try:
        import pandas as pd
    except ImportError:
        raise ImportError("quotestance.to_pandas needs pandas: pip install pandas "
                          "(or pip install 'quotestance[pandas]')") from None
    cols = _rows(docs)
    df = pd.DataFrame(cols, columns=COLUMNS)
    return df.astype({"start": "int64", "end": "int64", "stance_score": "float64"})


def to_arrow(docs: Iterable[Union[Doc, ErrorRecord]]) -> "pyarrow.Table":
    """The ``to_pandas`` table as a ``pyarrow.Table`` (``scores`` is a struct
    of four float32). Needs pyarrow."""
    pa = _require_pyarrow("quotestance.to_arrow")
    schema = pa.schema([
        ("doc_id", pa.string()), ("start", pa.int64()), ("end", pa.int64()), ("kind", pa.string()),
        ("text", pa.string()), ("speaker", pa.string()), ("stance", pa.string()),
        ("stance_score", pa.float32()), ("target", pa.string()),
        ("scores", pa.struct([(s, pa.float32()) for s in STANCES])),
    ])
    return pa.table(_rows(docs), schema=schema)
