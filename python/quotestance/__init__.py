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
from ._quotestance import ConfigError, InputError, ModelNotFoundError, QuotestanceError, schema_version
from ._render import STANCE_COLOURS, render
from ._tables import quotes_schema, quotes_table, to_arrow, to_pandas
from ._types import (
    Doc,
    Entity,
    ErrorRecord,
    Person,
    Quote,
    ResignationCall,
    Span,
    Speaker,
    Target,
    TextSpan,
)

__version__: str = _quotestance.__version__

__all__ = [
    "ConfigError", "Doc", "Entity", "ErrorRecord", "InputError", "Language", "ModelNotFoundError", "Person",
    "Quote", "QuotestanceError", "ResignationCall", "STANCE_COLOURS", "Span", "Speaker", "Target", "TextSpan",
    "load", "quotes_schema", "quotes_table", "render", "schema_version", "to_arrow", "to_pandas",
]

