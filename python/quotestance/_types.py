"""Typed result objects built from the pipeline's JSON (schema: quotestance::model).

Every object keeps the dict it was built from; ``to_dict()`` returns a copy of
it, so the JSON schema is the single source of truth and unknown (newer)
fields survive a round trip. Offsets are code points: ``doc.text[q.start:q.end]``.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Literal, Optional, Tuple, Union

STANCES = ("call_to_resign", "defence", "rebuttal", "other")


def _opt_int(v: Any) -> Optional[int]:
    return None if v is None else int(v)


StanceLabel = Literal["call_to_resign", "defence", "rebuttal", "other"]
QuoteKind = Literal["direct", "indirect", "mixed"]
EntityLabel = Literal["PERSON", "ORG", "GPE", "PARTY", "ROLE"]


@dataclass(frozen=True)
class Span:
    """A range of the text: code points (``start``/``end``) and UTF-8 bytes."""

    start: int
    end: int
    byte_start: int
    byte_end: int

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "Span":
        return cls(d["start"], d["end"], d.get("byte_start", -1), d.get("byte_end", -1))

    def to_dict(self) -> Dict[str, Any]:
        return {"start": self.start, "end": self.end, "byte_start": self.byte_start, "byte_end": self.byte_end}


@dataclass(frozen=True)
class TextSpan:
    """A span with the words it covers (a speech cue, a speaker mention)."""

    start: int
    end: int
    text: str
    byte_start: int = -1
    byte_end: int = -1

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "TextSpan":
        return cls(d["start"], d["end"], d["text"], d.get("byte_start", -1), d.get("byte_end", -1))


@dataclass(frozen=True)
class Speaker:
    """Who said a quote; ``person`` indexes ``doc.people``."""

    name: str
    score: float
    rule: str
    mention: Optional[TextSpan] = None
    person: Optional[int] = None

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "Speaker":
        m = d.get("mention")
        return cls(d["name"], d["score"], d.get("rule", ""), TextSpan.from_dict(m) if m else None,
                   _opt_int(d.get("person")))


@dataclass(frozen=True)
class Target:
    """The person whose position is at issue; ``person`` indexes ``doc.people``."""

    name: str
    score: float
    person: Optional[int] = None

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "Target":
        return cls(d["name"], d["score"], _opt_int(d.get("person")))


@dataclass(frozen=True)
class Quote:
    """A direct, indirect or mixed quotation with its speaker, stance and target."""

    start: int
    end: int
    text: str
    kind: QuoteKind
    stance: StanceLabel
    stance_score: float
    scores: Dict[str, float]
    paragraph: int
    speaker: Optional[Speaker] = None
    target: Optional[Target] = None
    cue: Optional[TextSpan] = None
    byte_start: int = -1
    byte_end: int = -1
    _raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    #: Further people a call or defence names beside ``target`` ("Ms Grey and Mr Bell must go").
    co_targets: Tuple[Target, ...] = ()

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "Quote":
        sp, tg, cue = d.get("speaker"), d.get("target"), d.get("cue")
        return cls(
            d["start"], d["end"], d["text"], d["kind"], d["stance"], d["stance_score"], dict(d["scores"]),
            d.get("paragraph", 0),
            Speaker.from_dict(sp) if sp else None,
            Target.from_dict(tg) if tg else None,
            TextSpan.from_dict(cue) if cue else None,
            d.get("byte_start", -1), d.get("byte_end", -1), d,
            tuple(Target.from_dict(t) for t in d.get("co_targets", ())),
        )

    def to_dict(self) -> Dict[str, Any]:
        return copy.deepcopy(self._raw)


@dataclass(frozen=True)
class Entity:
    """A named-entity mention (PERSON, ORG, GPE, PARTY, ROLE)."""

    start: int
    end: int
    text: str
    label: EntityLabel
    score: float
    canonical: Optional[str] = None
    person: Optional[int] = None

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "Entity":
        return cls(d["start"], d["end"], d["text"], d["label"], d["score"], d.get("canonical"),
                   _opt_int(d.get("person")))


@dataclass(frozen=True)
class Person:
    """One record per person, merged over all their mentions."""

    id: int
    name: str
    variants: List[str]
    roles: List[str]
    mentions: List[Span]
    title: Optional[str] = None
    party: Optional[str] = None
    ward: Optional[str] = None
    organisation: Optional[str] = None
    gender: Optional[str] = None

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "Person":
        return cls(d["id"], d["name"], list(d.get("variants", [])), list(d.get("roles", [])),
                   [Span.from_dict(m) for m in d.get("mentions", [])], d.get("title"), d.get("party"),
                   d.get("ward"), d.get("organisation"), d.get("gender"))


@dataclass(frozen=True)
class ResignationCall:
    """A call for ``target`` to resign by ``caller``; ``evidence`` indexes ``doc.quotes``."""

    caller: str
    target: str
    evidence: List[int]
    score: float
    caller_person: Optional[int] = None
    target_person: Optional[int] = None

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "ResignationCall":
        return cls(d["caller"], d["target"], list(d.get("evidence", [])), d["score"],
                   _opt_int(d.get("caller_person")), _opt_int(d.get("target_person")))


class Doc:
    """A labelled article. Attributes decode lazily from the pipeline's JSON.

    ``doc.text[q.start:q.end] == q.text`` for every quote ``q`` (offsets are
    code points, i.e. Python ``str`` indices).
    """

    ok = True
    error: Optional[str] = None

    __slots__ = ("_json", "_text", "_d", "_cache")

    def __init__(self, json_text: Union[str, bytes], text: str) -> None:
        # the pipeline hands over UTF-8 bytes (see crates/quotestance-py)
        self._json = json_text
        self._text = text
        self._d: Optional[Dict[str, Any]] = None
        self._cache: Dict[str, Any] = {}

    @classmethod
    def from_json(cls, data: Union[str, bytes], text: str) -> "Doc":
        """A document from one line of the pipeline's (or CLI's) JSON (str, or
        UTF-8 bytes) and the article text."""
        d = json.loads(data)
        if not isinstance(d, dict) or "id" not in d:
            raise ValueError("not an annotated document: expected a JSON object with an 'id'")
        return cls(data, text)

    @classmethod
    def from_dict(cls, d: Dict[str, Any], text: Optional[str] = None) -> "Doc":
        """Inverse of ``to_dict()`` (the text is taken from ``d['text']`` unless given)."""
        d = dict(d)
        t = d.pop("text", None) if text is None else text
        d.pop("text", None)
        if not isinstance(t, str):
            raise ValueError("Doc.from_dict needs the article text (a 'text' key or the text argument)")
        return cls(json.dumps(d, ensure_ascii=False), t)

    @property
    def _data(self) -> Dict[str, Any]:
        if self._d is None:
            self._d = json.loads(self._json)
        return self._d

    def _list(self, key: str, make: Any) -> Any:
        v = self._cache.get(key)
        if v is None:
            v = [make(x) for x in self._data.get(key, [])]
            self._cache[key] = v
        return v

    @property
    def text(self) -> str:
        return self._text

    @property
    def id(self) -> str:
        return str(self._data["id"])

    @property
    def title(self) -> Optional[str]:
        return self._data.get("title")

    @property
    def url(self) -> Optional[str]:
        return self._data.get("url")

    @property
    def date(self) -> Optional[str]:
        return self._data.get("date")

    @property
    def source(self) -> Optional[str]:
        return self._data.get("source")

    @property
    def schema_version(self) -> str:
        return str(self._data.get("schema_version", ""))

    @property
    def quotes(self) -> List[Quote]:
        return self._list("quotes", Quote.from_dict)  # type: ignore[no-any-return]

    @property
    def entities(self) -> List[Entity]:
        return self._list("entities", Entity.from_dict)  # type: ignore[no-any-return]

    @property
    def people(self) -> List[Person]:
        return self._list("people", Person.from_dict)  # type: ignore[no-any-return]

    @property
    def resignation_calls(self) -> List[ResignationCall]:
        return self._list("resignation_calls", ResignationCall.from_dict)  # type: ignore[no-any-return]

    @property
    def paragraphs(self) -> List[Span]:
        return self._list("paragraphs", Span.from_dict)  # type: ignore[no-any-return]

    @property
    def sentences(self) -> List[Span]:
        return self._list("sentences", Span.from_dict)  # type: ignore[no-any-return]

    def to_dict(self) -> Dict[str, Any]:
        """The pipeline's JSON object plus the article ``text``."""
        d = json.loads(self._json)
        d["text"] = self._text
        return d  # type: ignore[no-any-return]

    def to_json(self, indent: Optional[int] = None) -> str:
        """``to_dict()`` as JSON (UTF-8 kept as is)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def _repr_html_(self) -> str:
        from ._render import render

        return render(self)

    def __repr__(self) -> str:
        d = self._data
        return (f"<Doc id={self.id!r} chars={d.get('chars')} quotes={len(d.get('quotes', []))} "
                f"resignation_calls={len(d.get('resignation_calls', []))}>")

    def __reduce__(self) -> Any:
        return (Doc, (self._json, self._text))


class ErrorRecord:
    """What ``Language.pipe`` yields for a record it could not label.

    ``ok`` is False; ``error`` is the message, ``exception`` the exception
    (an ``InputError``, ...), ``index`` the record's position in the input.
    """

    ok = False
    __slots__ = ("id", "index", "exception")

    def __init__(self, id: Optional[str], index: int, exception: BaseException) -> None:
        self.id = id
        self.index = index
        self.exception = exception

    @property
    def error(self) -> str:
        return str(self.exception)

    def raise_(self) -> None:
        """Raises the record's exception."""
        raise self.exception

    def to_dict(self) -> Dict[str, Any]:
        return {"id": self.id, "index": self.index, "error": self.error, "type": type(self.exception).__name__}

    def __repr__(self) -> str:
        return f"<ErrorRecord id={self.id!r} index={self.index} {type(self.exception).__name__}: {self.error}>"
