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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_keep_apostrophes_and_initials() {
        let t = "Cllr. J. R. O'Neill's well-paid children’s U.S. job.";
        let w: Vec<&str> = words(t, 0..t.len()).iter().map(|w| w.text).collect();
        assert_eq!(w, vec!["Cllr.", "J.", "R.", "O'Neill's", "well-paid", "children’s", "U.S.", "job"]);
    }
}
