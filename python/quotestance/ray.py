"""Ray Data adapter: label a dataset of articles into quote rows.

    import ray, quotestance.ray

    ds = ray.data.read_json("s3://bucket/articles/")        # records with "id" and "text"
    quotes = ds.map_batches(
        quotestance.ray.Labeller,
        fn_constructor_kwargs={"use_models": True},         # load() arguments
        batch_format="pyarrow", batch_size=256,
        compute=ray.data.ActorPoolStrategy(size=4),          # 4 actors, 1 CPU each
    )
    quotes.write_parquet("s3://bucket/quotes/")

Each actor loads the pipeline once, in ``__init__``. Every output batch is an
Arrow table in the schema of the CLI's quotes rows (``quotestance.quotes_schema()``;
one row per quote, documents without quotes add none). A record that cannot be
labelled fails the batch by default (``on_error="raise"``; Ray then retries and
fails the job, naming the record); with ``on_error="yield"`` the table has one
more column, ``error``, and each bad record becomes one row with ``doc_id`` and
``error`` set and the quote columns null, so nothing is dropped silently.

This module does not import ray: the class is a plain callable.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Optional, Union

from ._batches import check_on_error, config_key, label_batch, output_schema, pipeline

if TYPE_CHECKING:
    import pyarrow

__all__ = ["Labeller", "output_schema"]


class Labeller:
    """A callable class for ``Dataset.map_batches``.

    ``models_dir`` and ``**config`` are ``quotestance.load()``'s arguments
    (``use_models=True`` for the model layer; the models must be installed on
    every worker, see ``python -m quotestance download`` / ``QUOTESTANCE_MODELS``).
    ``n_threads`` is how many Rust threads label each batch: keep it equal to
    the CPUs each actor asks for (``num_cpus=`` in ``map_batches``, 1 by
    default).
    """

    def __init__(self, models_dir: Union[str, "os.PathLike[str]", None] = None, *, n_threads: int = 1,
                 on_error: str = "raise", **config: Any) -> None:
        self.on_error = check_on_error(on_error)
        self.n_threads = n_threads
        md: Optional[str] = None if models_dir is None else os.fspath(models_dir)
        self.nlp = pipeline(config_key(md, config))

    def __call__(self, batch: Any) -> "pyarrow.Table":
        """A batch (``batch_format`` "pyarrow", "pandas" or "numpy") with ``id``
        and ``text`` columns -> its quote rows as a ``pyarrow.Table``."""
        return label_batch(self.nlp, batch, self.n_threads, self.on_error)
