"""``quotestance.load()`` and the ``Language`` object it returns."""

from __future__ import annotations

import json
import os
from itertools import islice
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple, Union

from . import _quotestance as _rs
from ._quotestance import InputError
from ._types import Doc, ErrorRecord

Record = Tuple[str, str, Optional[str], Optional[str], Optional[str], Optional[str]]
META_KEYS = ("title", "url", "date", "source")


def _as_text(value: Any, id: str) -> str:
    """The text of a record. ``str`` is taken as is; ``bytes`` must be valid
    UTF-8 (decoded strictly: articles are often read as bytes, and UTF-8 is the
    only encoding the pipeline could assume without guessing); anything else
    is an ``InputError``."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError as e:
            raise InputError(
                f"document {id!r}: text is not valid UTF-8 ({e.reason} at byte {e.start}); "
                "decode it yourself (e.g. data.decode('latin-1')) and pass a str") from None
    raise InputError(f"document {id!r}: expected the text as str or UTF-8 bytes, got {type(value).__name__}")


def _opt_str(rec: Mapping[str, Any], key: str, id: str) -> Optional[str]:
    v = rec.get(key)
    if v is None or isinstance(v, str):
        return v
    raise InputError(f"document {id!r}: {key!r} must be a str or None, got {type(v).__name__}")


def _record(item: Any, index: int) -> Record:
    """One input record -> the tuple the extension takes; raises InputError."""
    if type(item) is str:  # the common cases first, without the Mapping ABC check
        return (str(index), item, None, None, None, None)
    if type(item) is dict and type(item.get("text")) is str and len(item) <= 2:
        raw_id = item.get("id")
        return (str(index) if raw_id is None else str(raw_id), item["text"], None, None, None, None)
    if isinstance(item, Mapping):
        if "text" not in item:
            raise InputError(f"record {index}: a mapping needs a 'text' key (keys: {sorted(map(str, item))})")
        raw_id = item.get("id")
        id = str(index) if raw_id is None else str(raw_id)
        return (id, _as_text(item["text"], id), *(_opt_str(item, k, id) for k in META_KEYS))  # type: ignore[return-value]
    id = str(index)
    return (id, _as_text(item, id), None, None, None, None)


class Language:
    """A loaded pipeline. Call it on a text, or stream many with ``pipe``.

    Thread-safe: the Rust pipeline is shared, and every call releases the GIL
    while it labels.
    """

    def __init__(self, pipeline: Any, config: Dict[str, Any]) -> None:
        self._p = pipeline
        self._config = config

    @property
    def config(self) -> Dict[str, Any]:
        """The effective configuration (every field of the Rust ``Config``)."""
        return dict(self._config)

    def __call__(self, text: Union[str, bytes], id: Optional[str] = None, *, title: Optional[str] = None,
                 url: Optional[str] = None, date: Optional[str] = None, source: Optional[str] = None) -> Doc:
        """Labels one article. ``id`` defaults to ``"0"``. Raises ``InputError``
        for text that is not a str or UTF-8 bytes, or is over ``max_bytes``."""
        rec = {"id": "0" if id is None else id, "text": text, "title": title, "url": url, "date": date,
               "source": source}
        r = _record(rec, 0)
        (out,) = self._p.annotate_batch([r], 1)
        if isinstance(out, BaseException):
            raise out
        return Doc(out, r[1])

    def pipe(self, texts: Iterable[Any], batch_size: int = 64, n_threads: int = 0,
             on_error: str = "yield") -> Iterator[Union[Doc, ErrorRecord]]:
        """Labels a stream of articles, ``batch_size`` at a time, in input order.

        Items are ``str``, UTF-8 ``bytes``, or mappings with ``text`` and
        optional ``id``, ``title``, ``url``, ``date``, ``source`` (other keys are
        ignored). A missing id is the item's position in the stream.

        Each batch is labelled in Rust on ``n_threads`` threads (0: the
        config's ``threads``, then all cores) with the GIL released.

        ``on_error="yield"`` (the default) yields an ``ErrorRecord`` (``.ok`` is
        False, with ``.id``, ``.index`` and ``.error``) in place of a record
        that cannot be labelled, so a batch never silently drops a record and
        one bad record does not lose the others; ``on_error="raise"`` raises
        its exception instead.
        """
        if on_error not in ("yield", "raise"):
            raise ValueError("on_error must be 'yield' or 'raise'")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if n_threads < 0:
            raise ValueError("n_threads must be 0 (automatic) or more")
        it = iter(texts)
        index = 0
        while True:
            chunk = list(islice(it, batch_size))
            if not chunk:
                return
            records: List[Record] = []
            # per item: its position in the stream, and its record or its error
            slots: List[Tuple[int, Union[int, ErrorRecord]]] = []
            for item in chunk:
                try:
                    records.append(_record(item, index))
                    slots.append((index, len(records) - 1))
                except InputError as e:
                    raw = item.get("id") if isinstance(item, Mapping) else None
                    slots.append((index, ErrorRecord(str(index) if raw is None else str(raw), index, e)))
                index += 1
            results = self._p.annotate_batch(records, n_threads) if records else []
            for pos, slot in slots:
                if isinstance(slot, ErrorRecord):
                    out: Union[Doc, ErrorRecord] = slot
                else:
                    r, res = records[slot], results[slot]
                    if isinstance(res, BaseException):
                        out = ErrorRecord(r[0], pos, res)
                    else:
                        out = Doc(res, r[1])
                if isinstance(out, ErrorRecord) and on_error == "raise":
                    out.raise_()
                yield out

    def __repr__(self) -> str:
        return f"<quotestance.Language config={self._config!r}>"


def load(models_dir: Union[str, "os.PathLike[str]", None] = None, **config: Any) -> Language:
    """Loads the pipeline. Keyword arguments are fields of the Rust ``Config``
    (``use_models``, ``threads``, ``max_bytes``, ``abstain_threshold``); an
    unknown key or a bad value raises ``ConfigError``, a missing model
    ``ModelNotFoundError``."""
    if models_dir is not None:
        config["models_dir"] = os.fspath(models_dir)
    try:
        cfg = json.dumps(config)
    except (TypeError, ValueError) as e:
        raise _rs.ConfigError(f"config values must be JSON-like (str, int, float, bool, None): {e}") from None
    p = _rs.Pipeline(cfg)
    return Language(p, json.loads(p.config_json()))
