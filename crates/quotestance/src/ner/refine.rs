//! Document-level fixes of the head's PERSON mentions, after BIO decoding.
//!
//! The head labels word pieces one by one; what it gets wrong most is the
//! shape of a name, which these steps restore from general properties of
//! names in running text (each is measured in `ner.md`):
//!
//! 1. a name holds no title, role word or lower-case word at its ends
//!    ("Fr Kiely" -> "Kiely", "stevedore Tomasi Vainikolo", "Philippa and");
//! 2. a hyphenated name is one name ("Yusuf Brennan" + "-Olaniyan");
//! 3. a surname alone preceded by a capitalised word inside a sentence (or by
//!    a known first name) takes that word as its first name ("of Darius Webb");
//! 4. one name, one person per article: a surname (or a first name that only
//!    one of them has) that the head found as part of a full name is a PERSON
//!    wherever else it stands alone, as the gold convention says
//!    (`tools/corpus.py`, `entity_spans`);
//! 5. a single capitalised word that opens an organisation or place elsewhere
//!    in the article ("Carnmore" of "Carnmore Council") and is no part of a
//!    full name found there is not a person.

use super::EntitySpan;
use crate::lexicon::{self, NOT_NAMES, ROLE_NOUNS, TITLES};
use crate::model::EntityLabel;
use crate::normalise::OffsetIndex;
use crate::text::{words, Tok};
use std::ops::Range;

/// Words that name a title or role before (or after) a name, never part of it.
const TITLE_WORDS: &[&str] = &[
    "fr",
    "father",
    "sister",
    "brother",
    "taoiseach",
    "tánaiste",
    "aunty",
    "auntie",
    "uncle",
    "coun",
    "cr",
    "rep",
    "sen",
    "state",
    "u.s",
    "ms",
    "td",
    "mp",
    "msp",
    "mla",
    "mpp",
    "mep",
    "qc",
    "kc",
];

/// Surname particles ("Ó Ceallaigh", "de Vries", "ap Rhys", "Te Rito").
fn is_particle(w: &str) -> bool {
    matches!(
        w,
        "de" | "van"
            | "von"
            | "der"
            | "den"
            | "da"
            | "di"
            | "du"
            | "le"
            | "la"
            | "ap"
            | "bin"
            | "al"
            | "el"
            | "Ó"
            | "Ní"
            | "Nic"
            | "Mac"
            | "Mag"
            | "Uí"
            | "Te"
    )
}

/// A title, honorific or role word ("Cllr", "Sir", "Taoiseach", "Leader", "Director").
fn is_title(w: &str) -> bool {
    let bare = w.trim_end_matches('.');
    let low = bare.to_lowercase();
    TITLES.contains(&w)
        || TITLES.contains(&bare)
        || super::HONORIFICS.contains(&low.as_str())
        || TITLE_WORDS.contains(&low.as_str())
        || ROLE_NOUNS.contains(&low.as_str())
}

/// An initial ("J.", "R.").
fn is_initial(w: &str) -> bool {
    let mut cs = w.chars();
    matches!((cs.next(), cs.next(), cs.next()), (Some(c), Some('.'), None) if c.is_uppercase())
}

fn is_cap(w: &str) -> bool {
    w.chars().next().is_some_and(char::is_uppercase)
}

fn all_caps(w: &str) -> bool {
    let letters: Vec<char> = w.chars().filter(|c| c.is_alphabetic()).collect();
    letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase())
}

/// A capitalised word that can be part of a person's name.
fn name_word(w: &str) -> bool {
    is_cap(w)
        && !all_caps(w)
        && !is_title(w)
        && !NOT_NAMES.contains(&w) // months and weekdays among them
        && lexicon::party_of(w).is_none()
}

/// True when byte `i` opens a sentence: nothing but spaces and opening marks
/// since the text start or a sentence end.
pub(crate) fn sentence_initial(text: &str, i: usize) -> bool {
    let before = text[..i].trim_end_matches([' ', '\t', '"', '\'', '\u{201c}', '\u{2018}', '(', '\u{ab}', '\u{201e}']);
    if before.ends_with('.') && !before.ends_with("..") {
        // the full stop of an abbreviation ("U.S. Rep. Clarice", "J. R.") ends no sentence
        let last = before.rsplit([' ', '\n', '(']).next().unwrap_or("");
        if is_title(last) || is_initial(last) || last.trim_end_matches('.').contains('.') {
            return false;
        }
    }
    before.is_empty() || before.ends_with(['.', '!', '?', ':', ';', '\n', '\u{2014}'])
}

/// The word right before byte `i` when only a single space separates them.
fn word_before<'t>(text: &'t str, i: usize, sep: &str) -> Option<Tok<'t>> {
    let head = text[..i].strip_suffix(sep)?;
    let start = head
        .char_indices()
        .rev()
        .take_while(|&(_, c)| c.is_alphanumeric() || matches!(c, '\'' | '\u{2019}' | '-' | '.'))
        .last()
        .map(|(k, _)| k)?;
    let w = &head[start..];
    let w = w.trim_start_matches(['\'', '\u{2019}', '-', '.']);
    (!w.is_empty()).then(|| Tok { start: head.len() - w.len(), end: head.len(), text: w })
}

/// The word right after byte `i` when only `sep` separates them.
fn word_after<'t>(text: &'t str, i: usize, sep: &str) -> Option<Tok<'t>> {
    text[i..].strip_prefix(sep)?;
    let start = i + sep.len();
    let mut end = (start + 200).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    words(text, start..end).into_iter().next().filter(|t| t.start == start)
}

fn strip_possessive(text: &str, r: Range<usize>) -> Range<usize> {
    let s = &text[r.clone()];
    for suf in ["'s", "\u{2019}s", "'", "\u{2019}"] {
        if let Some(stem) = s.strip_suffix(suf) {
            if !stem.is_empty() {
                return r.start..r.start + stem.len();
            }
        }
    }
    r
}

/// Step 1: a PERSON span without titles, role words or lower-case words at its ends.
fn trim_person(text: &str, r: Range<usize>) -> Option<Range<usize>> {
    let ws = words(text, r.clone());
    let mut a = 0;
    let mut b = ws.len();
    while a < b {
        let w = ws[a].text;
        let particle = is_particle(w) && a + 1 < b && is_cap(ws[a + 1].text);
        if (is_title(w) && a + 1 < b) || (!is_cap(w) && !particle) {
            a += 1;
        } else {
            break;
        }
    }
    // trailing lower-case words, post-nominals ("MS", "TD") and particles
    while b > a && (!is_cap(ws[b - 1].text) || all_caps(ws[b - 1].text) || is_particle(ws[b - 1].text)) {
        b -= 1;
    }
    (a < b).then(|| strip_possessive(text, ws[a].start..ws[b - 1].end))
}

/// The surname of a full name (its last word with the particles before it), if it has two words or more.
fn surname(ws: &[Tok<'_>]) -> Option<Range<usize>> {
    if ws.len() < 2 {
        return None;
    }
    let mut k = ws.len() - 1;
    while k > 1 && is_particle(ws[k - 1].text) {
        k -= 1;
    }
    Some(ws[k].start..ws[ws.len() - 1].end)
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}

/// Occurrences of `form` as a whole word.
fn occurrences<'a>(text: &'a str, form: &'a str) -> impl Iterator<Item = Range<usize>> + 'a {
    text.match_indices(form).map(|(i, _)| i..i + form.len()).filter(move |r| {
        let before = text[..r.start].chars().next_back();
        let after = text[r.end..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Whether a lone name word at `r` stands apart from other capitalised words:
/// the next word is not capitalised (nor a quoted nickname) and the word before
/// is not, unless it is a title or opens the sentence.
fn stands_alone(text: &str, r: &Range<usize>) -> bool {
    let next_cap = [" ", "-"].iter().any(|sep| word_after(text, r.end, sep).is_some_and(|w| is_cap(w.text)));
    let nickname =
        text[r.end..].starts_with([' ']) && text[r.end + 1..].starts_with(['"', '\u{201c}', '\'', '\u{2018}']);
    if next_cap || nickname {
        return false;
    }
    match [" ", "-"].iter().find_map(|sep| word_before(text, r.start, sep)) {
        // "Smith. Jones": a word ending a sentence does not join the next one
        Some(w) if is_cap(w.text) && !w.text.ends_with('.') => is_title(w.text) || sentence_initial(text, w.start),
        _ => true,
    }
}

/// Document-level refinement of decoded mentions (see the module docs).
pub fn refine(text: &str, spans: Vec<EntitySpan>) -> Vec<EntitySpan> {
    let ix = OffsetIndex::new(text);
    let mut ms: Vec<(Range<usize>, EntityLabel, f32)> = Vec::with_capacity(spans.len());
    // 1: trim
    for s in spans {
        let r = s.bytes();
        if s.label != EntityLabel::Person {
            ms.push((r, s.label, s.score));
        } else if let Some(r) = trim_person(text, r) {
            ms.push((r, s.label, s.score));
        }
    }
    // 2: hyphenated names, 3: the first name before a lone surname (or after a lone first name)
    for m in ms.iter_mut() {
        if m.1 != EntityLabel::Person {
            continue;
        }
        let mut r = m.0.clone();
        while let Some(w) = word_after(text, r.end, "-").filter(|w| is_cap(w.text)) {
            r.end = strip_possessive(text, w.range()).end;
        }
        while let Some(w) = word_before(text, r.start, "-").filter(|w| is_cap(w.text)) {
            r.start = w.start;
        }
        let ws = words(text, r.clone());
        if ws.iter().rev().skip(1).all(|w| is_particle(w.text)) {
            // a surname alone ("Webb", "Ó Ceallaigh"): take the initials and first name before it
            while let Some(w) = word_before(text, r.start, " ").filter(|w| is_initial(w.text)) {
                r.start = w.start;
            }
            if let Some(w) = word_before(text, r.start, " ") {
                let known_first = lexicon::first_name_gender(w.text).is_some();
                let joined = !w.text.ends_with('.');
                if joined && name_word(w.text) && (known_first || !sentence_initial(text, w.start)) {
                    r.start = w.start;
                }
            }
        }
        if ws.len() == 1 && lexicon::first_name_gender(ws[0].text).is_some() {
            // a known first name alone followed by a capitalised name word: its surname ("Sheila Marchbanks")
            if let Some(w) = word_after(text, r.end, " ").filter(|w| name_word(w.text)) {
                r.end = strip_possessive(text, w.range()).end;
            }
        }
        m.0 = r;
    }
    // a single letter is an initial, not a mention; a name runs into no further capitalised word
    // ("Grant Moreau Restructuring", "Kilbrannan Council"): the whole run is something else
    ms.retain(|m| {
        m.1 != EntityLabel::Person
            || (text[m.0.clone()].chars().filter(|c| c.is_alphabetic()).count() > 1
                && !word_after(text, m.0.end, " ").is_some_and(|w| {
                    is_cap(w.text) && !all_caps(w.text) && !matches!(w.text, "Jr" | "Jr." | "Sr" | "Sr.")
                }))
    });
    ms = without_overlaps(ms);
    // 4: surnames and unique first names of the full names found, wherever they stand alone
    let fulls: Vec<(Vec<Tok<'_>>, f32)> = ms
        .iter()
        .filter(|m| m.1 == EntityLabel::Person)
        .map(|m| (words(text, m.0.clone()), m.2))
        .filter(|(ws, _)| ws.len() >= 2)
        .collect();
    let mut forms: Vec<(&str, f32, bool)> = Vec::new(); // (form, score, first name)
    for (ws, score) in &fulls {
        if let Some(r) = surname(ws) {
            if !forms.iter().any(|f| f.0 == &text[r.clone()]) {
                forms.push((&text[r], *score, false));
            }
        }
    }
    for (ws, score) in &fulls {
        let first = ws[0].text;
        let unique = fulls.iter().filter(|(o, _)| o[0].text == first).count()
            == fulls.iter().filter(|(o, _)| o.iter().any(|t| t.text == first)).count();
        let same_person = fulls
            .iter()
            .filter(|(o, _)| o[0].text == first)
            .all(|(o, _)| o.last().map(|t| t.text) == ws.last().map(|t| t.text));
        let shape = first.chars().count() >= 2 && !first.ends_with('.') && name_word(first);
        if unique && same_person && shape && !forms.iter().any(|f| f.0 == first) {
            forms.push((first, *score, true));
        }
    }
    let mut added: Vec<(Range<usize>, EntityLabel, f32)> = Vec::new();
    for &(form, score, first) in &forms {
        for r in occurrences(text, form) {
            if !stands_alone(text, &r) {
                continue;
            }
            // the head read the lone surname as a place or organisation ("in Lacroix."): it is the person
            if let Some(m) = ms.iter_mut().find(|m| m.0 == r && matches!(m.1, EntityLabel::Org | EntityLabel::Gpe)) {
                m.1 = EntityLabel::Person;
                continue;
            }
            if ms.iter().chain(&added).any(|m| overlaps(&m.0, &r)) {
                continue;
            }
            // a first name that is also a common word ("Mark", "Will") counts only inside a sentence
            if first && sentence_initial(text, r.start) && occurrences(text, &form.to_lowercase()).next().is_some() {
                continue;
            }
            added.push((r, EntityLabel::Person, score));
        }
    }
    ms.extend(added);
    // 5: a lone word that opens an organisation or place here is not a person
    let name_parts: Vec<&str> = fulls.iter().flat_map(|(ws, _)| ws.iter().map(|t| t.text)).collect();
    let opens_other = |w: &str| {
        ms.iter().any(|m| {
            matches!(m.1, EntityLabel::Org | EntityLabel::Gpe)
                && text[m.0.clone()].starts_with(w)
                && text[m.0.clone()].len() > w.len()
                && text[m.0.start + w.len()..].starts_with(' ')
        })
    };
    let keep: Vec<bool> = ms
        .iter()
        .map(|m| {
            let w = &text[m.0.clone()];
            m.1 != EntityLabel::Person || w.contains(' ') || name_parts.contains(&w) || !opens_other(w)
        })
        .collect();
    let mut keep = keep.into_iter();
    ms.retain(|_| keep.next().unwrap_or(true));
    ms.sort_by_key(|m| (m.0.start, std::cmp::Reverse(m.0.end)));
    ms.into_iter()
        .filter(|m| m.0.start < m.0.end)
        .map(|(r, label, score)| EntitySpan { span: ix.span(r), label, score })
        .collect()
}

/// Sorted mentions, dropping any that overlaps a longer (then earlier) one.
fn without_overlaps(mut ms: Vec<(Range<usize>, EntityLabel, f32)>) -> Vec<(Range<usize>, EntityLabel, f32)> {
    ms.sort_by_key(|m| (std::cmp::Reverse(m.0.len()), m.0.start));
    let mut out: Vec<(Range<usize>, EntityLabel, f32)> = Vec::with_capacity(ms.len());
    for m in ms {
        if !out.iter().any(|o| overlaps(&o.0, &m.0)) {
            out.push(m);
        }
    }
    out.sort_by_key(|m| m.0.start);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(text: &str, form: &str, nth: usize, label: EntityLabel) -> EntitySpan {
        let ix = OffsetIndex::new(text);
        let r = occurrences(text, form).nth(nth).unwrap();
        EntitySpan { span: ix.span(r), label, score: 0.9 }
    }

    fn persons(text: &str, spans: Vec<EntitySpan>) -> Vec<String> {
        refine(text, spans)
            .into_iter()
            .filter(|s| s.label == EntityLabel::Person)
            .map(|s| text[s.bytes()].to_string())
            .collect()
    }

    #[test]
    fn titles_and_lower_case_words_are_trimmed() {
        let t = "said Fr Kiely and the stevedore Tomasi Vainikolo and Philippa and others.";
        let spans = vec![
            span(t, "Fr Kiely", 0, EntityLabel::Person),
            span(t, "stevedore Tomasi Vainikolo", 0, EntityLabel::Person),
            span(t, "Philippa and", 0, EntityLabel::Person),
        ];
        assert_eq!(persons(t, spans), ["Kiely", "Tomasi Vainikolo", "Philippa"]);
    }

    #[test]
    fn hyphens_first_names_and_surnames_join_up() {
        let t = "Chamber president Yusuf Brennan-Olaniyan met the family of Darius Webb.\n\n\
                 Brennan-Olaniyan said Webb was a friend. Mr Webb's case and Yusuf's view.";
        let spans = vec![
            span(t, "Yusuf Brennan", 0, EntityLabel::Person),
            span(t, "Olaniyan", 0, EntityLabel::Person),
            span(t, "Webb", 0, EntityLabel::Person),
        ];
        assert_eq!(
            persons(t, spans),
            ["Yusuf Brennan-Olaniyan", "Darius Webb", "Brennan-Olaniyan", "Webb", "Webb", "Yusuf"]
        );
    }

    #[test]
    fn a_word_that_opens_an_organisation_is_no_person() {
        let t = "Carnmore Council met. Carnmore said no. Grant Moreau Restructuring and Dale Smith.";
        let spans = vec![
            span(t, "Carnmore Council", 0, EntityLabel::Org),
            span(t, "Carnmore", 1, EntityLabel::Person),
            span(t, "Dale Smith", 0, EntityLabel::Person),
        ];
        assert_eq!(persons(t, spans), ["Dale Smith"]);
    }

    #[test]
    fn sentence_initial_common_words_and_capitalised_runs_are_not_first_names() {
        let t = "Mark Hope spoke. Mark my words, he will make his mark. Mark Street is near. We met Mark today.";
        let spans = vec![span(t, "Mark Hope", 0, EntityLabel::Person)];
        // "Mark my": sentence-initial while "mark" is a word of the text; "Mark Street": a longer name
        assert_eq!(persons(t, spans), ["Mark Hope", "Mark"]);
    }
}
