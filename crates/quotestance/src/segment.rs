//! Stage 2: segment. Paragraphs are the non-blank lines of the text (news
//! copy puts one paragraph on a line, with or without blank lines between);
//! sentences come from the `sentencex` crate (Wikimedia's abbreviation-aware
//! splitter), with a second pass that re-joins splits after the titles of
//! local politics that it does not know (Cllr., Coun., Supt., ...).

use crate::normalise::Normalised;
use std::ops::Range;

/// A sentence: its byte range and the paragraph it lies in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    pub range: Range<usize>,
    pub paragraph: usize,
}

/// Output of the segment stage (byte ranges into the original text, trimmed).
#[derive(Debug, Clone, Default)]
pub struct Segmented {
    pub paragraphs: Vec<Range<usize>>,
    pub sentences: Vec<Sentence>,
}

impl Segmented {
    /// Index of the paragraph that contains a byte offset.
    pub fn paragraph_of(&self, byte: usize) -> Option<usize> {
        let i = self.paragraphs.partition_point(|p| p.end <= byte);
        (i < self.paragraphs.len() && self.paragraphs[i].start <= byte).then_some(i)
    }
    /// Index of the sentence that contains a byte offset (or the one before it).
    pub fn sentence_of(&self, byte: usize) -> Option<usize> {
        let i = self.sentences.partition_point(|s| s.range.end <= byte);
        if i < self.sentences.len() && self.sentences[i].range.start <= byte {
            Some(i)
        } else {
            i.checked_sub(1)
        }
    }
}

/// Titles after which a full stop does not end a sentence, beyond those sentencex knows.
const EXTRA_ABBREVIATIONS: &[&str] = &[
    "cllr", "coun", "cr", "supt", "insp", "det", "sgt", "gov", "sen", "rep", "prof", "rev", "hon", "rt", "st", "no",
    "mr", "mrs", "ms", "dr", "jr", "sr", "lt", "col", "gen", "capt", "cmdr", "ch", "pc", "dc", "ds", "di", "dci", "vs",
    "v", "inc", "ltd", "co", "corp", "dept", "est", "approx", "jan", "feb", "aug", "sept", "oct", "nov", "dec",
];

pub(crate) fn ends_with_abbreviation(s: &str) -> bool {
    let t = s.trim_end();
    let Some(stem) = t.strip_suffix('.') else {
        return false;
    };
    let word: String =
        stem.chars().rev().take_while(|c| c.is_alphabetic()).collect::<Vec<_>>().into_iter().rev().collect();
    if word.is_empty() {
        return false;
    }
    // Single capital initial ("J. Smith") or a known title.
    (word.chars().count() == 1 && word.chars().all(|c| c.is_uppercase()))
        || EXTRA_ABBREVIATIONS.contains(&word.to_lowercase().as_str())
}

fn trim_range(text: &str, r: Range<usize>) -> Range<usize> {
    let s = &text[r.clone()];
    let start = r.start + (s.len() - s.trim_start().len());
    let end = r.end - (s.len() - s.trim_end().len());
    start..end.max(start)
}

/// Runs the segment stage.
pub fn segment(n: &Normalised<'_>) -> Segmented {
    let text = n.text;
    let mut out = Segmented::default();
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let r = trim_range(text, pos..pos + line.len());
        pos += line.len();
        let r = trim_range(text, r.start.max(n.body_start.min(r.end))..r.end);
        if r.is_empty() || n.is_skipped(r.start) {
            continue;
        }
        out.paragraphs.push(r);
    }
    for (pi, p) in out.paragraphs.iter().enumerate() {
        let mut pieces: Vec<Range<usize>> = Vec::new();
        for chunk in chunks(text, p.clone()) {
            let para = &text[chunk.clone()];
            for s in sentencex::segment("en", para) {
                if s.is_empty() {
                    continue;
                }
                let off = s.as_ptr() as usize - para.as_ptr() as usize;
                push_sentence(text, trim_range(text, chunk.start + off..chunk.start + off + s.len()), &mut pieces);
            }
        }
        if pieces.is_empty() {
            pieces.push(p.clone());
        }
        out.sentences.extend(pieces.into_iter().map(|range| Sentence { range, paragraph: pi }));
    }
    out
}

/// The longest text (bytes) given to the sentence splitter at once. sentencex looks for the
/// closing mark of every opening one to the end of what it is given, so a paragraph of
/// thousands of unclosed marks would cost it quadratic time; longer paragraphs (no news
/// paragraph is this long) are cut at a space into pieces of at most this size.
const SPLITTER_CHUNK: usize = 4096;

/// `para` in pieces of at most [`SPLITTER_CHUNK`] bytes, cut after a whitespace where there is one.
fn chunks(text: &str, para: Range<usize>) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = para.start;
    while para.end - start > SPLITTER_CHUNK {
        let limit = crate::text::window_ahead(text, start, para.end, SPLITTER_CHUNK);
        let cut = text[start..limit].rfind(char::is_whitespace).map(|i| start + i + 1).filter(|&c| c > start);
        let end = cut.unwrap_or(limit).max(start + 1);
        let end = (end..=para.end).find(|&e| text.is_char_boundary(e)).unwrap_or(para.end);
        out.push(start..end);
        start = end;
    }
    out.push(start..para.end);
    out
}

/// Adds a sentence, joining it to the previous one when that ended on an abbreviation.
fn push_sentence(text: &str, r: Range<usize>, pieces: &mut Vec<Range<usize>>) {
    if r.is_empty() {
        return;
    }
    match pieces.last_mut() {
        Some(last) if ends_with_abbreviation(&text[last.clone()]) => last.end = r.end,
        _ => pieces.push(r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalise::normalise;

    fn sents(t: &str) -> Vec<&str> {
        let n = normalise(t);
        segment(&n).sentences.iter().map(|s| &t[s.range.clone()]).collect()
    }

    #[test]
    fn abbreviations_do_not_split() {
        let t = "Cllr. Jane Birch and Mr. J. R. Smith met Dr. Ahmed in St. Albans at No. 10 with U.S. officials. Then they left.";
        assert_eq!(sents(t).len(), 2, "{:?}", sents(t));
        assert_eq!(sents("Coun. Lee spoke. Prof. Ng agreed.").len(), 2);
    }

    #[test]
    fn long_paragraphs_are_split_in_bounded_pieces_on_char_boundaries() {
        let t = "\u{ab}a b ".repeat(3000);
        let r = 0..t.len();
        let pieces = chunks(&t, r.clone());
        assert!(pieces.len() > 1);
        assert_eq!(pieces.first().unwrap().start, 0);
        assert_eq!(pieces.last().unwrap().end, t.len());
        for w in pieces.windows(2) {
            assert_eq!(w[0].end, w[1].start);
        }
        assert!(pieces.iter().all(|p| p.len() <= SPLITTER_CHUNK && t.is_char_boundary(p.start)));
        assert_eq!(chunks("short text", 0..10), vec![0..10]);
    }

    #[test]
    fn paragraphs_are_lines() {
        let t = "One. Two.\n\nThree.\nFour.";
        let n = normalise(t);
        let s = segment(&n);
        assert_eq!(s.paragraphs.len(), 3);
        assert_eq!(s.sentences.len(), 4);
        assert_eq!(s.paragraph_of(t.find("Four").unwrap()), Some(2));
    }
}
