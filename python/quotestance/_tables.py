"""Tables of quotes: ``to_pandas`` and ``to_arrow`` (one row per quote)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Union

from ._types import STANCES, Doc, ErrorRecord

if TYPE_CHECKING:
    import pandas
    import pyarrow

COLUMNS = ["doc_id", "start", "end", "kind", "text", "speaker", "stance", "stance_score", "target", "scores"]


def _rows(docs: Iterable[Union[Doc, ErrorRecord]]) -> Dict[str, List[Any]]:
    cols: Dict[str, List[Any]] = {c: [] for c in COLUMNS}
    if isinstance(docs, (Doc, ErrorRecord)):
        docs = [docs]
    for doc in docs:
        if not isinstance(doc, Doc):
            continue  # an ErrorRecord has no quotes
        for q in doc.quotes:
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
    try:
        import pyarrow as pa
    except ImportError:
        raise ImportError("quotestance.to_arrow needs pyarrow: pip install pyarrow "
                          "(or pip install 'quotestance[arrow]')") from None
    schema = pa.schema([
        ("doc_id", pa.string()), ("start", pa.int64()), ("end", pa.int64()), ("kind", pa.string()),
        ("text", pa.string()), ("speaker", pa.string()), ("stance", pa.string()),
        ("stance_score", pa.float32()), ("target", pa.string()),
        ("scores", pa.struct([(s, pa.float32()) for s in STANCES])),
    ])
    return pa.table(_rows(docs), schema=schema)
