"""HTML rendering of a labelled document (for notebooks: ``Doc._repr_html_``)."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Dict, List, Tuple

if TYPE_CHECKING:
    from ._types import Doc, Quote

#: Background colour of a quote, by stance (also used by the legend).
STANCE_COLOURS: Dict[str, str] = {
    "call_to_resign": "#f28b82",
    "defence": "#8fd694",
    "rebuttal": "#8ab4f8",
    "other": "#e6dcbe",
}
STANCE_LABELS: Dict[str, str] = {
    "call_to_resign": "call to resign",
    "defence": "defence",
    "rebuttal": "rebuttal",
    "other": "other",
}

_CSS = """
.qs-doc{font-family:Georgia,serif;line-height:1.7;max-width:52em;color:#222;background:#fff;padding:.5em}
.qs-doc h3{font-family:sans-serif;margin:.2em 0 .4em}
.qs-meta,.qs-legend,.qs-calls{font-family:sans-serif;font-size:.85em}
.qs-legend span.qs-swatch{display:inline-block;padding:0 .5em;margin-right:.4em;border-radius:3px}
.qs-text{white-space:pre-wrap;margin:.6em 0}
.qs-doc mark{color:inherit;padding:.05em .1em;border-radius:3px}
.qs-speaker{font-family:sans-serif;font-size:.7em;font-weight:bold;color:#333;background:#f3f3f3;
 border:1px solid #bbb;border-radius:3px;padding:0 .3em;margin-left:.2em;white-space:nowrap}
.qs-calls table{border-collapse:collapse}
.qs-calls th,.qs-calls td{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}
"""


def _colour(stance: str) -> str:
    return STANCE_COLOURS.get(stance, STANCE_COLOURS["other"])


def _layout(quotes: "List[Quote]", n: int) -> List[Tuple[int, int, int]]:
    """Non-overlapping (start, end, quote index) in text order. Marks cannot
    overlap in HTML: a quote that starts inside an earlier one is clipped to
    begin where that one ends (and dropped if nothing is left)."""
    order = sorted(range(len(quotes)), key=lambda i: (quotes[i].start, -quotes[i].end))
    out: List[Tuple[int, int, int]] = []
    last = 0
    for i in order:
        s, e = max(quotes[i].start, last, 0), min(quotes[i].end, n)
        if s < e:
            out.append((s, e, i))
            last = e
    return out


def render(doc: "Doc", legend: bool = True, calls: bool = True, title: bool = True) -> str:
    """The article as HTML: quotes highlighted by stance colour with speaker
    labels, a legend, and a table of the resignation calls. All text is escaped."""
    text = doc.text
    quotes = doc.quotes
    parts: List[str] = [f'<div class="qs-doc" data-doc-id="{escape(doc.id)}"><style>{_CSS}</style>']
    if title:
        parts.append(f"<h3>{escape(doc.title or doc.id)}</h3>")
        meta = " · ".join(escape(x) for x in (doc.source, doc.date) if x)
        if meta:
            parts.append(f'<div class="qs-meta">{meta}</div>')
    if legend:
        parts.append('<div class="qs-legend">Stance: ')
        for stance, colour in STANCE_COLOURS.items():
            parts.append(f'<span class="qs-swatch" style="background:{colour}">{STANCE_LABELS[stance]}</span>')
        parts.append(f" · {len(quotes)} quote{'s' if len(quotes) != 1 else ''}</div>")
    parts.append('<div class="qs-text">')
    pos = 0
    for s, e, i in _layout(quotes, len(text)):
        q = quotes[i]
        parts.append(escape(text[pos:s]))
        who = q.speaker.name if q.speaker else "unknown speaker"
        tip = f"{STANCE_LABELS.get(q.stance, q.stance)} ({q.stance_score:.2f}) · {q.kind} · {who}"
        if q.target:
            tip += f" → {q.target.name}"
        parts.append(
            f'<mark class="qs-quote qs-{escape(q.stance)}" data-stance="{escape(q.stance)}" data-quote="{i}" '
            f'style="background:{_colour(q.stance)}" title="{escape(tip)}">{escape(text[s:e])}</mark>'
            f'<span class="qs-speaker">{escape(who)}</span>')
        pos = e
    parts.append(escape(text[pos:]))
    parts.append("</div>")
    if calls:
        rc = doc.resignation_calls
        parts.append('<div class="qs-calls"><b>Resignation calls</b>')
        if not rc:
            parts.append(": none found.</div>")
        else:
            parts.append("<table><tr><th>caller</th><th>target</th><th>score</th><th>evidence</th></tr>")
            for c in rc:
                ev = "<br>".join(
                    f"“{escape(quotes[j].text)}”" for j in c.evidence if 0 <= j < len(quotes))
                parts.append(f"<tr><td>{escape(c.caller)}</td><td>{escape(c.target)}</td>"
                             f"<td>{c.score:.2f}</td><td>{ev}</td></tr>")
            parts.append("</table></div>")
    parts.append("</div>")
    return "".join(parts)
