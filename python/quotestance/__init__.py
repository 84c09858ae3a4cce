"""quotestance: who said what about whose resignation.

    import quotestance
    nlp = quotestance.load()
    doc = nlp("Labour called for Cllr Jo Bell to resign.")
    for q in doc.quotes:
        print(q.text, q.speaker.name if q.speaker else None, q.stance)

Errors derive from ``QuotestanceError``: ``InputError`` (bad text),
``ConfigError`` (bad ``load`` arguments), ``ModelNotFoundError``.
"""

from __future__ import annotations

from . import _quotestance
from ._language import Language, load
from ._quotestance import ConfigError, InputError, ModelNotFoundError, QuotestanceError
from ._render import STANCE_COLOURS, render
from ._tables import quotes_schema, quotes_table, to_arrow, to_pandas, to_polars
from ._types import (
    Doc,
    Entity,
    EntityLabel,
    ErrorRecord,
    Person,
    Quote,
    QuoteKind,
    ResignationCall,
    Span,
    Speaker,
    StanceLabel,
    Target,
    TextSpan,
)

__version__: str = _quotestance.__version__
#: The version of the output schema (``Doc.schema_version`` of every document).
schema_version: str = _quotestance.schema_version()

__all__ = [
    "ConfigError", "Doc", "Entity", "EntityLabel", "ErrorRecord", "InputError", "Language", "ModelNotFoundError", "Person",
    "Quote", "QuoteKind", "QuotestanceError", "ResignationCall", "STANCE_COLOURS", "Span", "Speaker", "StanceLabel",
    "Target", "TextSpan",
    "load", "quotes_schema", "quotes_table", "render", "schema_version", "to_arrow", "to_pandas",
    "to_polars",
]

