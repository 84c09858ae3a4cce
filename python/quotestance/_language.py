"""``quotestance.load()`` and the ``Language`` object it returns."""

from __future__ import annotations

import json
import os
from collections import deque
from itertools import islice
from typing import Any, Deque, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple, Union

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


def _opt_str(value: Any, key: str, id: str) -> Optional[str]:
    """A metadata field (``title``, ``url``, ``date``, ``source``): a str or None."""
    if value is None or isinstance(value, str):
        return value
    raise InputError(f"document {id!r}: {key!r} must be a str or None, got {type(value).__name__}")


def _fields(id: str, text: Any, title: Any, url: Any, date: Any, source: Any) -> Record:
    """The one place a record's fields are checked, for ``nlp(...)``, ``pipe``
    and the Arrow batches alike; raises InputError. (Lone surrogates in a str
    are refused in Rust, when the record is converted, with the field named.)"""
    return (id, _as_text(text, id), _opt_str(title, "title", id), _opt_str(url, "url", id),
            _opt_str(date, "date", id), _opt_str(source, "source", id))


def _id(raw: Any, index: int) -> str:
    """A record's id: its ``id`` (any value, as ``str(value)``), else its position."""
    return str(index) if raw is None else str(raw)


def _record(item: Any, index: int) -> Record:
    """One item of ``pipe`` -> the tuple the extension takes; raises InputError.

    Every mapping, whatever its keys, goes through ``_fields``: the metadata
    keys it has are kept and checked exactly as ``nlp(...)`` checks its keyword
    arguments; other keys are ignored."""
    if type(item) is str:  # the common case first, without the Mapping ABC check
        return (str(index), item, None, None, None, None)
    if type(item) is dict or isinstance(item, Mapping):
        if "text" not in item:
            raise InputError(f"record {index}: a mapping needs a 'text' key (keys: {sorted(map(str, item))})")
        get = item.get
        return _fields(_id(get("id"), index), item["text"], get("title"), get("url"), get("date"), get("source"))
    id = str(index)
    return (id, _as_text(item, id), None, None, None, None)


def _split_pairs(pairs: Iterable[Any], contexts: Deque[Any]) -> Iterator[Any]:
    """The items of ``(item, context)`` pairs, their contexts appended to ``contexts``."""
    for index, pair in enumerate(pairs):
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise TypeError(f"pipe(as_tuples=True) takes (text, context) pairs; item {index} is "
                            f"{type(pair).__name__} {pair!r:.60}")
        contexts.append(pair[1])
        yield pair[0]


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
        for text that is not a str or UTF-8 bytes, a ``title``, ``url``,
        ``date`` or ``source`` that is not a str or None, a text over
        ``max_bytes``, or one that takes longer than ``deadline_ms``.

        Ctrl-C interrupts a long call with ``KeyboardInterrupt`` at the
        pipeline's next check (between stages, well under a second apart for
        a text of the default ``max_bytes``); a short text is simply let
        finish."""
        r = _fields(_id(id, 0), text, title, url, date, source)
        (out,) = self._p.annotate_batch([r], 1)
        if isinstance(out, BaseException):
            raise out
        return Doc(out, r[1])

    def pipe(self, texts: Iterable[Any], batch_size: int = 64, n_threads: int = 0,
             on_error: str = "yield", *, as_tuples: bool = False) -> Iterator[Any]:
        """Labels a stream of articles, ``batch_size`` at a time, in input order.

        Items are ``str``, UTF-8 ``bytes``, or mappings with ``text`` and
        optional ``id``, ``title``, ``url``, ``date``, ``source`` (other keys are
        ignored). A missing id is the item's position in the stream. Every
        mapping is read the same way whatever keys it has, and its fields are
        checked as ``nlp(...)`` checks its arguments (same errors, same
        messages).

        Each batch is labelled in Rust on ``n_threads`` threads (0: the
        config's ``threads``, then all cores) with the GIL released. Ctrl-C
        stops the batch and raises ``KeyboardInterrupt``; a document over
        ``deadline_ms`` becomes an ``InputError`` for that record.

        ``on_error="yield"`` (the default) yields an ``ErrorRecord`` (``.ok`` is
        False, with ``.id``, ``.index`` and ``.error``) in place of a record
        that cannot be labelled, so a batch never silently drops a record and
        one bad record does not lose the others; ``on_error="raise"`` raises
        its exception instead.

        ``as_tuples=True`` (as in spaCy) takes ``(item, context)`` pairs and
        yields ``(doc, context)`` pairs, in input order, an ``ErrorRecord``
        keeping its context too; an item that is not a pair (a tuple or list of
        two) raises ``TypeError``.
        """
        if as_tuples:
            contexts: Deque[Any] = deque()
            for doc in self.pipe(_split_pairs(texts, contexts), batch_size, n_threads, on_error):
                yield doc, contexts.popleft()
            return
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
                    slots.append((index, ErrorRecord(_id(raw, index), index, e)))
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


DEFAULT_MAX_BYTES = 8 * 1024 * 1024


def load(models_dir: Union[str, "os.PathLike[str]", None] = None, *, use_models: bool = False,
         threads: int = 0, max_bytes: int = DEFAULT_MAX_BYTES, abstain_threshold: float = 0.0,
         deadline_ms: int = 0) -> Language:
    """Loads the pipeline.

    * ``models_dir``: the folder of quotestance's models (default:
      ``$QUOTESTANCE_MODELS``, else ``~/.cache/quotestance/models``); it must
      exist when given. It is not a spaCy model name;
    * ``use_models`` (default False): run the transformer models, not only the
      rule layer;
    * ``threads`` (default 0: all cores): worker threads for ``pipe`` and for
      the encoder;
    * ``max_bytes`` (default 8 MiB): a longer text is an ``InputError``;
    * ``abstain_threshold`` (0 to 1, default 0): below this probability a
      quote's stance falls back to ``other``;
    * ``deadline_ms`` (default 0: no limit): a document that takes longer than
      this many milliseconds stops (checked between the pipeline's stages and
      encoder batches) and is an ``InputError`` saying so: raised by
      ``nlp(...)``, an ``ErrorRecord`` in ``pipe``. It bounds the time one
      hostile document can hold a worker.

    A bad value raises ``ConfigError`` saying which argument and why; a
    missing model, ``ModelNotFoundError``."""
    config: Dict[str, Any] = {
        "use_models": _check_bool("use_models", use_models),
        "threads": _check_int("threads", threads, 0),
        "max_bytes": _check_int("max_bytes", max_bytes, 1),
        "abstain_threshold": _check_fraction("abstain_threshold", abstain_threshold),
        "deadline_ms": _check_int("deadline_ms", deadline_ms, 0),
    }
    if models_dir is not None:
        if not isinstance(models_dir, (str, os.PathLike)):
            raise _rs.ConfigError(f"models_dir must be a path (str or os.PathLike), not {type(models_dir).__name__}")
        path = os.fspath(models_dir)
        if not os.path.isdir(path):
            raise _rs.ConfigError(
                f"models_dir {path!r} is not a folder: load() takes the folder of quotestance's models "
                "(leave it out for the default), not a spaCy model name; install the models with "
                "`python -m quotestance download`"
            )
        config["models_dir"] = path
    p = _rs.Pipeline(json.dumps(config))
    return Language(p, json.loads(p.config_json()))


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _rs.ConfigError(f"{name} must be True or False, not {value!r}")
    return value


def _check_int(name: str, value: Any, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _rs.ConfigError(f"{name} must be an int, not {type(value).__name__} {value!r}")
    if value < least:
        raise _rs.ConfigError(f"{name} must be at least {least}, not {value}")
    if value >= 2**63:
        raise _rs.ConfigError(f"{name} is too large: {value}")
    return value


def _check_fraction(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _rs.ConfigError(f"{name} must be a number from 0 to 1, not {type(value).__name__} {value!r}")
    if not 0.0 <= float(value) <= 1.0:
        raise _rs.ConfigError(f"{name} must be from 0 to 1, not {value}")
    return float(value)
