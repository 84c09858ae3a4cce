//! Stage 1: normalise. The text itself is never rewritten (offsets index the
//! original); this stage builds the byte <-> code-point index, and marks the
//! regions later stages skip: a leading metadata prefix ("date 2024-07-17 ")
//! and boilerplate lines (advertising, newsletter prompts, share buttons).

use crate::model::Span;
use std::ops::Range;

/// Byte <-> code-point conversion for one text.
#[derive(Debug, Clone)]
pub struct OffsetIndex {
    /// Byte offset of every char boundary, plus the text length at the end.
    /// Empty when the text is ASCII (then bytes == code points).
    boundaries: Vec<usize>,
    len: usize,
}

impl OffsetIndex {
    pub fn new(text: &str) -> Self {
        let boundaries = if text.is_ascii() {
            Vec::new()
        } else {
            let mut b: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
            b.push(text.len());
            b
        };
        OffsetIndex { boundaries, len: text.len() }
    }

    /// Code-point offset of a byte offset (which must be a char boundary).
    pub fn char_of(&self, byte: usize) -> usize {
        if self.boundaries.is_empty() {
            return byte.min(self.len);
        }
        match self.boundaries.binary_search(&byte) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// Byte offset of a code-point offset.
    pub fn byte_of(&self, ch: usize) -> usize {
        if self.boundaries.is_empty() {
            return ch.min(self.len);
        }
        self.boundaries[ch.min(self.boundaries.len() - 1)]
    }

    /// Number of code points.
    pub fn chars(&self) -> usize {
        if self.boundaries.is_empty() {
            self.len
        } else {
            self.boundaries.len() - 1
        }
    }

    /// The output span of a byte range.
    pub fn span(&self, r: Range<usize>) -> Span {
        Span { start: self.char_of(r.start), end: self.char_of(r.end), byte_start: r.start, byte_end: r.end }
    }
}

/// Output of the normalise stage.
#[derive(Debug, Clone)]
pub struct Normalised<'a> {
    pub text: &'a str,
    pub index: OffsetIndex,
    /// Where the article body starts (after a metadata prefix).
    pub body_start: usize,
    /// Byte ranges of boilerplate lines, sorted.
    pub boilerplate: Vec<Range<usize>>,
}

impl Normalised<'_> {
    /// True when the byte offset lies in a skipped region.
    pub fn is_skipped(&self, byte: usize) -> bool {
        byte < self.body_start || self.boilerplate.iter().any(|r| r.contains(&byte))
    }
}

const BOILERPLATE: &[&str] = &[
    "advertisement",
    "hide ad",
    "sign up to our",
    "sign up for our",
    "subscribe to our",
    "click to access",
    "related posts",
    "related stories",
    "related articles",
    "share this article",
    "read more:",
    "watch more of our videos",
    "follow us on",
    "thank you for signing up",
    "our newsletter",
];

fn is_boilerplate_line(line: &str) -> bool {
    let l = line.trim().to_lowercase();
    if l.is_empty() {
        return false;
    }
    let short = l.split_whitespace().count() <= 40;
    short && BOILERPLATE.iter().any(|b| l.contains(b)) && !l.contains('"') && !l.contains('\u{201c}')
}

/// Length of a leading "date YYYY-MM-DD " style prefix, if any.
fn metadata_prefix(text: &str) -> usize {
    let t = text.trim_start();
    let lead = text.len() - t.len();
    let lower: String = t.chars().take(5).collect::<String>().to_lowercase();
    if lower.starts_with("date ") {
        let rest = &t[5..];
        let n = rest.bytes().take_while(|b| b.is_ascii_digit() || *b == b'-' || *b == b'/').count();
        if n >= 8 {
            let after = &rest[n..];
            let ws = after.len() - after.trim_start().len();
            return lead + 5 + n + ws;
        }
    }
    0
}

/// Runs the normalise stage.
pub fn normalise(text: &str) -> Normalised<'_> {
    let mut boilerplate = Vec::new();
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        if is_boilerplate_line(line) {
            boilerplate.push(pos..pos + line.len());
        }
        pos += line.len();
    }
    Normalised { text, index: OffsetIndex::new(text), body_start: metadata_prefix(text), boilerplate }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_round_trips() {
        let t = "a\u{e9}\u{201c}b\u{1F600}c";
        let ix = OffsetIndex::new(t);
        for (ci, (bi, _)) in t.char_indices().enumerate() {
            assert_eq!(ix.char_of(bi), ci);
            assert_eq!(ix.byte_of(ci), bi);
        }
        assert_eq!(ix.chars(), t.chars().count());
        let ascii = OffsetIndex::new("abc");
        assert_eq!(ascii.char_of(2), 2);
    }

    #[test]
    fn prefix_and_boilerplate() {
        let t = " date 2024-07-17 The council said.\nAdvertisement Hide Ad\nMore.";
        let n = normalise(t);
        assert_eq!(&t[n.body_start..n.body_start + 3], "The");
        assert_eq!(n.boilerplate.len(), 1);
        assert!(n.is_skipped(t.find("Hide").unwrap()));
        assert!(!n.is_skipped(t.find("More").unwrap()));
    }
}
