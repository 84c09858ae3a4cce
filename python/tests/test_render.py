"""HTML rendering: marks per quote, escaping, legend, calls table."""

import html
import re

import quotestance
from quotestance import STANCE_COLOURS


def test_render_marks_every_quote(doc: quotestance.Doc) -> None:
    """render() on the pipeline's output for ARTICLE (conftest.py)."""
    assert len(doc.quotes) == 5
    out = quotestance.render(doc)
    assert out == doc._repr_html_()
    marks = re.findall(r'<mark class="qs-quote qs-(\w+)" data-stance="\w+" data-quote="(\d+)" '
                       r'style="background:(#\w+)" title="[^"]*">(.*?)</mark><span class="qs-speaker">(.*?)</span>',
                       out)
    assert len(marks) == len(doc.quotes)
    for (stance, i, colour, inner, speaker), q in zip(marks, doc.quotes):
        assert stance == q.stance and int(i) == doc.quotes.index(q) and colour == STANCE_COLOURS[q.stance]
        assert html.unescape(inner) == q.text
        assert q.speaker is not None and html.unescape(speaker) == q.speaker.name
    # the quote with "<and>" is escaped, not markup
    assert "&lt;and&gt;" in out and "<and>" not in out
    # the text outside the marks survives, with the non-ASCII offsets right
    body = out.split('<div class="qs-text">')[1].split("</div>")[0]
    body = re.sub(r'<span class="qs-speaker">.*?</span>', "", body)
    plain = html.unescape(re.sub(r"<[^>]+>", "", body))
    assert plain == doc.text
    assert {m[0] for m in marks} == {"call_to_resign", "defence", "rebuttal", "other"}
    assert "call to resign" in out and "Resignation calls" in out
    (call,) = doc.resignation_calls
    assert f"<td>{call.caller}</td><td>{call.target}</td>" == "<td>Helen Marsh</td><td>Peter Okafor</td>"
    assert f"<td>{call.caller}</td><td>{call.target}</td>" in out


def test_render_escapes_everything(nlp: quotestance.Language) -> None:
    evil = '<script>alert("x")</script> & "quotes"'
    doc = nlp(evil, id='"><img src=x>', title="<b>t</b>")
    out = quotestance.render(doc)
    assert "<script>" not in out and "<img" not in out and "<b>t" not in out
    assert html.escape(evil) in out


def test_overlapping_quotes_are_clipped(doc: quotestance.Doc) -> None:
    d = doc.to_dict()
    q0 = dict(d["quotes"][0])
    q0.update(start=q0["start"] + 5, end=q0["end"] + 3)  # overlaps quote 0
    d["quotes"].insert(1, q0)
    out = quotestance.render(quotestance.Doc.from_dict(d))
    assert out.count("<mark") == len(doc.quotes) + 1
    opened = 0
    for tag in re.findall(r"</?mark", out):
        opened += 1 if tag == "<mark" else -1
        assert opened in (0, 1)


def test_render_options_and_empty_calls(nlp: quotestance.Language) -> None:
    out = quotestance.render(nlp("Nothing to see."), legend=False, calls=True, title=False)
    assert '<div class="qs-legend"' not in out and "none found" in out and "<h3>" not in out
