"""Labelling Arrow batches of records into quotes tables: the shared core of the
Ray Data and PySpark adapters (``quotestance.ray``, ``quotestance.spark``)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from ._language import META_KEYS, Language, load
from ._quotestance import InputError
from ._tables import _require_pyarrow, _table_columns, quotes_schema
from ._types import Doc, ErrorRecord

if TYPE_CHECKING:
    import pyarrow

ON_ERROR = ("raise", "yield")
# Pipelines loaded in this process, by their load() arguments: one per Ray
# actor / Spark Python worker, however many batches it labels.
_PIPELINES: Dict[str, Language] = {}


def config_key(models_dir: Optional[str], config: Dict[str, Any]) -> str:
    """The load() arguments as one JSON string (picklable, and the cache key)."""
    return json.dumps({"models_dir": models_dir, "config": config}, sort_keys=True)


def pipeline(key: str) -> Language:
    """The pipeline for ``config_key(...)``, loaded once per process."""
    nlp = _PIPELINES.get(key)
    if nlp is None:
        args = json.loads(key)
        nlp = _PIPELINES[key] = load(args["models_dir"], **args["config"])
    return nlp


def check_on_error(on_error: str) -> str:
    if on_error not in ON_ERROR:
        raise ValueError("on_error must be 'raise' (a bad record fails the batch) or "
                         "'yield' (it becomes a row with the 'error' column set)")
    return on_error


def output_schema(on_error: str) -> "pyarrow.Schema":
    """The quotes schema; with ``on_error="yield"`` one more column, ``error``."""
    pa = _require_pyarrow("quotestance's distributed adapters")
    schema = quotes_schema()
    return schema.append(pa.field("error", pa.string())) if on_error == "yield" else schema


def _columns(batch: Any) -> Dict[str, List[Any]]:
    """A batch as plain Python columns: a pyarrow Table or RecordBatch, a
    pandas DataFrame, or a mapping of column name -> array/list (Ray's "numpy"
    format)."""
    if hasattr(batch, "schema") and hasattr(batch, "column"):  # pyarrow Table / RecordBatch
        return {n: batch.column(n).to_pylist() for n in batch.schema.names}
    if hasattr(batch, "columns") and hasattr(batch, "to_dict"):  # pandas DataFrame
        return {str(n): [None if v != v else v for v in batch[n].tolist()] for n in batch.columns}
    return {str(n): (v.tolist() if hasattr(v, "tolist") else list(v)) for n, v in dict(batch).items()}


def label_batch(nlp: Language, batch: Any, n_threads: int = 1, on_error: str = "raise") -> "pyarrow.Table":
    """Labels one batch of records (columns ``id`` and ``text``, optionally
    ``title``, ``url``, ``date``, ``source``; other columns are ignored) into
    the quotes table: one row per quote, documents without quotes add none.

    A record that cannot be labelled (no id, no text, text not str/UTF-8
    bytes, over ``max_bytes``, a pipeline failure) raises with
    ``on_error="raise"``; with ``on_error="yield"`` it becomes one row with
    ``doc_id`` and ``error`` set and every quote column null (quote rows have
    ``error`` null). Nothing is dropped silently.
    """
    pa = _require_pyarrow("quotestance's distributed adapters")
    check_on_error(on_error)
    cols = _columns(batch)
    for need in ("id", "text"):
        if need not in cols:
            raise InputError(f"the batch needs an {need!r} column (columns: {sorted(cols)})")
    n = len(cols["id"])
    meta = [k for k in META_KEYS if k in cols]
    results: List[Union[Doc, ErrorRecord]] = []
    items: List[Dict[str, Any]] = []
    slots: List[Optional[ErrorRecord]] = []
    for i in range(n):
        raw_id = cols["id"][i]
        if raw_id is None:
            slots.append(ErrorRecord(None, i, InputError(f"record {i} of the batch has a null id")))
            continue
        item = {"id": str(raw_id), "text": cols["text"][i]}
        for k in meta:
            item[k] = cols[k][i]
        items.append(item)
        slots.append(None)
    labelled = iter(nlp.pipe(items, batch_size=max(1, len(items)), n_threads=n_threads, on_error="yield"))
    for slot in slots:
        results.append(slot if slot is not None else next(labelled))
    errors = [r for r in results if isinstance(r, ErrorRecord)]
    if errors and on_error == "raise":
        e = errors[0]
        raise InputError(f"record {e.id!r} cannot be labelled ({type(e.exception).__name__}: {e.error}); "
                         f"{len(errors)} bad record(s) in this batch. Use on_error='yield' to get them "
                         "as rows with the 'error' column set instead") from e.exception
    rows = _table_columns(results, "quotes")
    if on_error == "yield":
        rows["error"] = [None] * len(rows["doc_id"])
        for e in errors:
            for c in rows:
                rows[c].append(None)
            rows["doc_id"][-1] = e.id
            rows["error"][-1] = f"{type(e.exception).__name__}: {e.error}"
    return pa.table(rows, schema=output_schema(on_error))
