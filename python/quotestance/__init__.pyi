"""Type stubs of the quotestance package."""

import os
from typing import Any, Dict, Iterable, Iterator, List, Literal, Mapping, Optional, Tuple, TypeVar, Union, overload

import pandas
import polars
import pyarrow

from ._quotestance import (
    ConfigError as ConfigError,
    InputError as InputError,
    ModelNotFoundError as ModelNotFoundError,
    QuotestanceError as QuotestanceError,
)

__all__ = [
    "ConfigError", "Doc", "Entity", "EntityLabel", "ErrorRecord", "InputError", "Language", "ModelNotFoundError", "Person",
    "Quote", "QuoteKind", "QuotestanceError", "ResignationCall", "STANCE_COLOURS", "Span", "Speaker", "StanceLabel",
    "Target", "TextSpan",
    "load", "quotes_schema", "quotes_table", "render", "schema_version", "to_arrow", "to_pandas",
    "to_polars",
]

__version__: str
schema_version: str
STANCE_COLOURS: Dict[str, str]

StanceLabel = Literal["call_to_resign", "defence", "rebuttal", "other"]
QuoteKind = Literal["direct", "indirect", "mixed"]
EntityLabel = Literal["PERSON", "ORG", "GPE", "PARTY", "ROLE"]

_TextLike = Union[str, bytes]
_InputItem = Union[str, bytes, bytearray, memoryview, Mapping[str, Any]]
_Context = TypeVar("_Context")
_Table = Literal["quotes", "people", "entities", "calls", "documents"]

class Span:
    start: int
    end: int
    byte_start: int
    byte_end: int
    def __init__(self, start: int, end: int, byte_start: int, byte_end: int) -> None: ...
    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> Span: ...
    def to_dict(self) -> Dict[str, Any]: ...

class TextSpan:
    start: int
    end: int
    text: str
    byte_start: int
    byte_end: int
    def __init__(self, start: int, end: int, text: str, byte_start: int = -1, byte_end: int = -1) -> None: ...
    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> TextSpan: ...

class Speaker:
    name: str
    score: float
    rule: str
    mention: Optional[TextSpan]
    person: Optional[int]
    def __init__(self, name: str, score: float, rule: str, mention: Optional[TextSpan] = None,
                 person: Optional[int] = None) -> None: ...
    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> Speaker: ...

class Target:
    name: str
    score: float
    person: Optional[int]
    def __init__(self, name: str, score: float, person: Optional[int] = None) -> None: ...
    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> Target: ...

class Quote:
    start: int
    end: int
    text: str
    kind: QuoteKind
    stance: StanceLabel
    stance_score: float
    scores: Dict[str, float]
    paragraph: int
    speaker: Optional[Speaker]
    target: Optional[Target]
    cue: Optional[TextSpan]
    byte_start: int
    byte_end: int
    co_targets: Tuple[Target, ...]
    def __init__(self, start: int, end: int, text: str, kind: QuoteKind, stance: StanceLabel, stance_score: float,
                 scores: Dict[str, float], paragraph: int, speaker: Optional[Speaker] = None,
                 target: Optional[Target] = None, cue: Optional[TextSpan] = None, byte_start: int = -1,
                 byte_end: int = -1, _raw: Dict[str, Any] = ..., co_targets: Tuple[Target, ...] = ()) -> None: ...
    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> Quote: ...
    def to_dict(self) -> Dict[str, Any]: ...

class Entity:
    start: int
    end: int
    text: str
    label: EntityLabel
    score: float
    canonical: Optional[str]
    person: Optional[int]
    def __init__(self, start: int, end: int, text: str, label: EntityLabel, score: float,
                 canonical: Optional[str] = None, person: Optional[int] = None) -> None: ...
    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> Entity: ...

class Person:
    id: int
    name: str
    variants: List[str]
    roles: List[str]
    mentions: List[Span]
    title: Optional[str]
    party: Optional[str]
    ward: Optional[str]
    organisation: Optional[str]
    gender: Optional[str]
    def __init__(self, id: int, name: str, variants: List[str], roles: List[str], mentions: List[Span],
                 title: Optional[str] = None, party: Optional[str] = None, ward: Optional[str] = None,
                 organisation: Optional[str] = None, gender: Optional[str] = None) -> None: ...
    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> Person: ...

class ResignationCall:
    caller: str
    target: str
    evidence: List[int]
    score: float
    caller_person: Optional[int]
    target_person: Optional[int]
    def __init__(self, caller: str, target: str, evidence: List[int], score: float,
                 caller_person: Optional[int] = None, target_person: Optional[int] = None) -> None: ...
    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> ResignationCall: ...

class Doc:
    ok: bool
    error: Optional[str]
    def __init__(self, json_text: Union[str, bytes], text: str) -> None: ...
    @classmethod
    def from_json(cls, data: Union[str, bytes], text: str) -> Doc: ...
    @classmethod
    def from_dict(cls, d: Dict[str, Any], text: Optional[str] = None) -> Doc: ...
    @property
    def text(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def title(self) -> Optional[str]: ...
    @property
    def url(self) -> Optional[str]: ...
    @property
    def date(self) -> Optional[str]: ...
    @property
    def source(self) -> Optional[str]: ...
    @property
    def schema_version(self) -> str: ...
    @property
    def quotes(self) -> List[Quote]: ...
    @property
    def entities(self) -> List[Entity]: ...
    @property
    def people(self) -> List[Person]: ...
    @property
    def resignation_calls(self) -> List[ResignationCall]: ...
    @property
    def paragraphs(self) -> List[Span]: ...
    @property
    def sentences(self) -> List[Span]: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def to_json(self, indent: Optional[int] = None) -> str: ...
    def _repr_html_(self) -> str: ...

class ErrorRecord:
    ok: bool
    id: Optional[str]
    index: int
    exception: BaseException
    def __init__(self, id: Optional[str], index: int, exception: BaseException) -> None: ...
    @property
    def error(self) -> str: ...
    def raise_(self) -> None: ...
    def to_dict(self) -> Dict[str, Any]: ...

class Language:
    def __init__(self, pipeline: Any, config: Dict[str, Any]) -> None: ...
    @property
    def config(self) -> Dict[str, Any]: ...
    def __call__(self, text: _TextLike, id: Optional[str] = None, *, title: Optional[str] = None,
                 url: Optional[str] = None, date: Optional[str] = None,
                 source: Optional[str] = None) -> Doc: ...
    @overload
    def pipe(self, texts: Iterable[_InputItem], batch_size: int = 64, n_threads: int = 0,
             on_error: Literal["yield"] = "yield", *,
             as_tuples: Literal[False] = False) -> Iterator[Union[Doc, ErrorRecord]]: ...
    @overload
    def pipe(self, texts: Iterable[_InputItem], batch_size: int = 64, n_threads: int = 0, *,
             on_error: Literal["raise"], as_tuples: Literal[False] = False) -> Iterator[Doc]: ...
    @overload
    def pipe(self, texts: Iterable[_InputItem], batch_size: int, n_threads: int,
             on_error: Literal["raise"], *, as_tuples: Literal[False] = False) -> Iterator[Doc]: ...
    @overload
    def pipe(self, texts: Iterable[Tuple[_InputItem, _Context]], batch_size: int = 64, n_threads: int = 0,
             on_error: Literal["yield"] = "yield", *,
             as_tuples: Literal[True]) -> Iterator[Tuple[Union[Doc, ErrorRecord], _Context]]: ...
    @overload
    def pipe(self, texts: Iterable[Tuple[_InputItem, _Context]], batch_size: int = 64, n_threads: int = 0, *,
             on_error: Literal["raise"], as_tuples: Literal[True]) -> Iterator[Tuple[Doc, _Context]]: ...
    @overload
    def pipe(self, texts: Iterable[Tuple[_InputItem, _Context]], batch_size: int, n_threads: int,
             on_error: Literal["raise"], *, as_tuples: Literal[True]) -> Iterator[Tuple[Doc, _Context]]: ...

def load(models_dir: Union[str, os.PathLike[str], None] = None, *, use_models: bool = False, threads: int = 0,
         max_bytes: int = 8388608, abstain_threshold: float = 0.0, deadline_ms: int = 0) -> Language:
    """``deadline_ms`` (0: no limit) stops a document that takes longer than
    that many milliseconds with an ``InputError``; a bad value raises
    ``ConfigError``."""
_Docs = Union[Doc, ErrorRecord, Iterable[Union[Doc, ErrorRecord]]]

def render(doc: Doc, legend: bool = True, calls: bool = True, title: bool = True) -> str: ...
def to_pandas(docs: _Docs, table: _Table = "quotes") -> pandas.DataFrame: ...
def to_polars(docs: _Docs, table: _Table = "quotes") -> polars.DataFrame: ...
def to_arrow(docs: _Docs, table: _Table = "quotes") -> pyarrow.Table: ...
def quotes_table(docs: _Docs) -> pyarrow.Table: ...
def quotes_schema() -> pyarrow.Schema: ...
