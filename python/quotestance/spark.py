"""PySpark adapter: label a DataFrame of articles into quote rows with ``mapInArrow``.

    import quotestance.spark as qs

    df = spark.read.json("s3://bucket/articles/")             # columns "id" and "text"
    quotes = df.mapInArrow(qs.label_batches, qs.QUOTES_SCHEMA)
    quotes.write.parquet("s3://bucket/quotes/")

    # load() arguments, or bad records as rows with an "error" column:
    label = qs.labeller(use_models=True, on_error="yield")
    quotes = df.mapInArrow(label, qs.QUOTES_WITH_ERRORS_SCHEMA)

The pipeline is loaded once per Python worker process (a module-level cache
keyed by the load() arguments) and reused for every batch and task that
worker runs. Output batches are in the schema of the CLI's quotes rows
(``QUOTES_SCHEMA``, the same columns and types as ``quotestance.quotes_schema()``);
documents without quotes add no rows. A record that cannot be labelled fails
the task by default (``on_error="raise"``, naming the record); with
``on_error="yield"`` it becomes one row with ``doc_id`` and ``error`` set and
the quote columns null (use ``QUOTES_WITH_ERRORS_SCHEMA``).

This module does not import pyspark.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Optional, Union

from ._batches import check_on_error, config_key, label_batch, pipeline
from ._tables import QUOTE_COLUMNS, QUOTE_TYPES

if TYPE_CHECKING:
    import pyarrow

__all__ = ["QUOTES_SCHEMA", "QUOTES_WITH_ERRORS_SCHEMA", "label_batches", "labeller", "struct_type"]

_DDL_TYPES = {"string": "STRING", "int64": "BIGINT", "float32": "FLOAT"}
#: Spark DDL of the quotes rows (``end`` is quoted: it is an SQL keyword).
QUOTES_SCHEMA = ", ".join(f"`{c}` {_DDL_TYPES[QUOTE_TYPES[c]]}" for c in QUOTE_COLUMNS)
#: ``QUOTES_SCHEMA`` plus the ``error`` column, for ``on_error="yield"``.
QUOTES_WITH_ERRORS_SCHEMA = QUOTES_SCHEMA + ", `error` STRING"


def struct_type(with_errors: bool = False) -> Any:
    """``QUOTES_SCHEMA`` (or ``QUOTES_WITH_ERRORS_SCHEMA``) as a
    ``pyspark.sql.types.StructType``. Needs pyspark."""
    from pyspark.sql.types import StructType

    return StructType.fromDDL(QUOTES_WITH_ERRORS_SCHEMA if with_errors else QUOTES_SCHEMA)


def _label_iter(batches: Iterable[Any], key: str, n_threads: int, on_error: str) -> Iterator["pyarrow.RecordBatch"]:
    nlp = pipeline(key)
    for batch in batches:
        yield from label_batch(nlp, batch, n_threads, on_error).to_batches()


def labeller(models_dir: Union[str, "os.PathLike[str]", None] = None, *, n_threads: int = 1,
             on_error: str = "raise", **config: Any) -> Callable[[Iterable[Any]], Iterator["pyarrow.RecordBatch"]]:
    """A ``mapInArrow`` function with these ``quotestance.load()`` arguments.

    ``n_threads``: Rust threads per batch (Spark already runs one Python
    worker per task slot, so 1 is usually right; raise it with
    ``spark.task.cpus``). Pair ``on_error="yield"`` with
    ``QUOTES_WITH_ERRORS_SCHEMA``.
    """
    check_on_error(on_error)
    key = config_key(None if models_dir is None else os.fspath(models_dir), config)

    # Captures only strings and ints (and module-level functions, by reference),
    # so it pickles small and each worker loads the pipeline itself.
    def label_batches(batches: Iterable[Any]) -> Iterator["pyarrow.RecordBatch"]:
        return _label_iter(batches, key, n_threads, on_error)

    return label_batches


def label_batches(batches: Iterable[Any]) -> Iterator["pyarrow.RecordBatch"]:
    """The ``mapInArrow`` function with ``quotestance.load()``'s defaults
    (rules only, unless the config is changed; see ``labeller``): batches
    with ``id`` and ``text`` columns -> quote rows in ``QUOTES_SCHEMA``."""
    return _label_iter(batches, config_key(None, {}), 1, "raise")
