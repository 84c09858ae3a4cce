//! Checks that every span an [`Annotated`] holds is a valid slice of its text: the offsets
//! the pipeline promises (code points and bytes that name the same place, within the text) and
//! the span texts equal to what they name. The property tests, the fuzz targets and the
//! fuzz corpus replay all call [`check_spans`].

use crate::model::{Annotated, Span};

/// `Err` naming the first problem unless the condition holds.
macro_rules! ensure {
    ($cond:expr, $($arg:tt)*) => {
        if !$cond {
            return Err(format!($($arg)*));
        }
    };
}

/// `Err`, naming the span, unless every span of `a` is a valid slice of `text`: code points
/// within the text's count, bytes on char boundaries and naming the same place, and every span
/// text (quotes, cues, speaker mentions, entities) equal to the text at its span; person and
/// quote indices in range.
pub fn check_spans(text: &str, a: &Annotated) -> Result<(), String> {
    // byte offset of every code point, plus the end
    let bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).chain(std::iter::once(text.len())).collect();
    let n = bounds.len() - 1;
    ensure!(a.chars == n, "chars: {} for a text of {n} code points", a.chars);
    let span = |what: &str, s: &Span| -> Result<(), String> {
        ensure!(s.start <= s.end && s.end <= n, "{what}: code points {}..{} of {n}", s.start, s.end);
        ensure!(
            s.byte_start <= s.byte_end && s.byte_end <= text.len(),
            "{what}: bytes {}..{} of {}",
            s.byte_start,
            s.byte_end,
            text.len()
        );
        ensure!(bounds[s.start] == s.byte_start, "{what}: code point {} is not byte {}", s.start, s.byte_start);
        ensure!(bounds[s.end] == s.byte_end, "{what}: code point {} is not byte {}", s.end, s.byte_end);
        Ok(())
    };
    let text_span = |what: &str, s: &Span, t: &str| -> Result<(), String> {
        span(what, s)?;
        ensure!(&text[s.bytes()] == t, "{what}: its text is not the text at {}..{}", s.start, s.end);
        Ok(())
    };
    let person = |what: &str, p: Option<usize>| -> Result<(), String> {
        if let Some(p) = p {
            ensure!(p < a.people.len(), "{what}: person {p} of {}", a.people.len());
        }
        Ok(())
    };
    for (kind, spans) in [("paragraph", &a.paragraphs), ("sentence", &a.sentences)] {
        for (i, s) in spans.iter().enumerate() {
            span(&format!("{kind} {i}"), s)?;
            if i > 0 {
                ensure!(spans[i - 1].end <= s.start, "{kind} {i} overlaps or precedes the one before");
            }
        }
    }
    for (i, q) in a.quotes.iter().enumerate() {
        text_span(&format!("quote {i}"), &q.span, &q.text)?;
        if let Some(c) = &q.cue {
            text_span(&format!("quote {i} cue"), &c.span, &c.text)?;
        }
        if let Some(sp) = &q.speaker {
            if let Some(m) = &sp.mention {
                text_span(&format!("quote {i} speaker mention"), &m.span, &m.text)?;
            }
            person(&format!("quote {i} speaker"), sp.person)?;
        }
        if let Some(t) = &q.target {
            person(&format!("quote {i} target"), t.person)?;
        }
        ensure!(q.paragraph < a.paragraphs.len().max(1), "quote {i}: paragraph {}", q.paragraph);
    }
    for (i, e) in a.entities.iter().enumerate() {
        text_span(&format!("entity {i}"), &e.span, &e.text)?;
        person(&format!("entity {i}"), e.person)?;
    }
    for (i, p) in a.people.iter().enumerate() {
        for (j, m) in p.mentions.iter().enumerate() {
            span(&format!("person {i} mention {j}"), m)?;
        }
    }
    for (i, c) in a.resignation_calls.iter().enumerate() {
        person(&format!("call {i} caller"), c.caller_person)?;
        person(&format!("call {i} target"), c.target_person)?;
        for &q in &c.evidence {
            ensure!(q < a.quotes.len(), "call {i}: evidence quote {q} of {}", a.quotes.len());
        }
    }
    Ok(())
}
