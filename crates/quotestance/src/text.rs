//! Small text helpers shared by the rule stages (word tokens with byte ranges).

use std::ops::Range;

/// A word of the text with its byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tok<'a> {
    pub start: usize,
    pub end: usize,
    pub text: &'a str,
}

impl Tok<'_> {
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }
    /// Starts with an upper-case letter.
    pub fn is_cap(&self) -> bool {
        self.text.chars().next().is_some_and(|c| c.is_uppercase())
    }
    pub fn lower(&self) -> String {
        self.text.to_lowercase()
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// The double quote marks, straight and curly: a span holding one holds a quotation.
pub const DOUBLE_MARKS: [char; 3] = ['"', '\u{201c}', '\u{201d}'];

/// Words of `text[range]`: runs of letters/digits, joined across inner
/// apostrophes and hyphens (don't, Children's, well-paid), with a trailing
/// full stop kept for single letters and known titles ("J.", "Cllr.").
pub fn words(text: &str, range: Range<usize>) -> Vec<Tok<'_>> {
    let s = &text[range.clone()];
    let mut out = Vec::new();
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if !is_word_char(c) {
            continue;
        }
        let mut end = i + c.len_utf8();
        while let Some(&(j, d)) = it.peek() {
            if is_word_char(d) {
                end = j + d.len_utf8();
                it.next();
            } else if matches!(d, '\'' | '\u{2019}' | '-' | '.') {
                // joiner only when a word char follows
                let rest = &s[j + d.len_utf8()..];
                match rest.chars().next() {
                    Some(e) if is_word_char(e) && (d != '.' || end - i == 1 || s[i..end].contains('.')) => {
                        end = j + d.len_utf8();
                        it.next();
                    }
                    _ => break,
                }
            } else {
                break;
            }
        }
        // keep the dot of an initial or an abbreviation ("J.", "Cllr.", "U.S.")
        if s[end..].starts_with('.') {
            let w = &s[i..end];
            if w.chars().count() == 1 || crate::lexicon::TITLES.contains(&format!("{w}.").as_str()) || w.contains('.') {
                end += 1;
            }
        }
        out.push(Tok {
            start: range.start + i,
            end: range.start + end,
            text: &text[range.start + i..range.start + end],
        });
    }
    out
}

/// Trims white space (and the given extra chars) off both ends of a byte range.
pub fn trim(text: &str, r: Range<usize>, extra: &[char]) -> Range<usize> {
    let s = &text[r.clone()];
    let t = s.trim_start_matches(|c: char| c.is_whitespace() || extra.contains(&c));
    let start = r.start + (s.len() - t.len());
    let t2 = t.trim_end_matches(|c: char| c.is_whitespace() || extra.contains(&c));
    start..start + t2.len()
}

/// The start of a look-back window: `pos - max` bytes, but not before `lo`, on a char boundary.
/// Rules that read the words before a position read this window, not the whole sentence, so a
/// sentence of thousands of words costs each position a bounded amount.
pub fn window_back(text: &str, lo: usize, pos: usize, max: usize) -> usize {
    let mut start = pos.saturating_sub(max).max(lo);
    while start < pos && !text.is_char_boundary(start) {
        start += 1;
    }
    start
}

/// The end of a look-ahead window: `pos + max` bytes, but not past `hi`, on a char boundary.
pub fn window_ahead(text: &str, pos: usize, hi: usize, max: usize) -> usize {
    let mut end = (pos + max).min(hi);
    while end > pos && !text.is_char_boundary(end) {
        end -= 1;
    }
    end
}

/// Whether `r` lies inside one of `spans` (sorted by start, not overlapping): a binary search.
pub fn within_any(spans: &[Range<usize>], r: &Range<usize>) -> bool {
    let i = spans.partition_point(|s| s.start <= r.start);
    i > 0 && r.end <= spans[i - 1].end
}

/// Whether `r` overlaps one of `spans` (sorted by start, not overlapping): a binary search.
pub fn overlaps_any(spans: &[Range<usize>], r: &Range<usize>) -> bool {
    let i = spans.partition_point(|s| s.end <= r.start);
    spans.get(i).is_some_and(|s| s.start < r.end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn within_any_finds_the_enclosing_span() {
        let spans = [2..5, 8..12, 20..30];
        assert!(within_any(&spans, &(3..5)));
        assert!(within_any(&spans, &(8..12)));
        assert!(!within_any(&spans, &(4..9)));
        assert!(!within_any(&spans, &(0..1)));
        assert!(!within_any(&spans, &(13..14)));
        assert!(!within_any(&[], &(0..1)));
        assert!(overlaps_any(&spans, &(4..9)));
        assert!(overlaps_any(&spans, &(11..21)));
        assert!(!overlaps_any(&spans, &(5..8)));
        assert!(!overlaps_any(&spans, &(30..40)));
    }

    #[test]
    fn windows_stay_on_char_boundaries() {
        let t = "a\u{201c}b\u{201d}c";
        assert_eq!(window_back(t, 0, t.len(), 3), 8);
        assert!(t.is_char_boundary(window_back(t, 0, 6, 4)));
        assert!(t.is_char_boundary(window_ahead(t, 0, t.len(), 2)));
        assert_eq!(window_ahead(t, 0, 4, 100), 4);
        assert_eq!(window_ahead(t, 0, t.len(), 3), 1);
    }

    #[test]
    fn tokens_keep_apostrophes_and_initials() {
        let t = "Cllr. J. R. O'Neill's well-paid children’s U.S. job.";
        let w: Vec<&str> = words(t, 0..t.len()).iter().map(|w| w.text).collect();
        assert_eq!(w, vec!["Cllr.", "J.", "R.", "O'Neill's", "well-paid", "children’s", "U.S.", "job"]);
    }
}
