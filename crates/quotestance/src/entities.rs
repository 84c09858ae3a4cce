//! Stage 5a: entities. The rule recogniser finds PERSON mentions (titles,
//! known first names, capitalised names next to speech verbs, then every later
//! surname), PARTY names, ORG names and ROLE phrases. A model recogniser
//! (see `ner`, issue 3) plugs into the same [`Recogniser`] seam.

use crate::lexicon::{self, NOT_NAMES, SPEECH_VERBS, TITLES};
use crate::model::EntityLabel;
use crate::normalise::Normalised;
use crate::segment::Segmented;
use crate::text::{words, Tok};
use std::ops::Range;

/// An entity mention (byte range into the original text).
#[derive(Debug, Clone, PartialEq)]
pub struct Mention {
    pub range: Range<usize>,
    pub label: EntityLabel,
    /// For PERSON: the title before the name ("Cllr", "Mrs"), if any.
    pub title: Option<Range<usize>>,
    pub score: f32,
}

/// The seam between the pipeline and an entity recogniser.
pub trait Recogniser: Send + Sync {
    fn recognise(&self, n: &Normalised<'_>, seg: &Segmented) -> Vec<Mention>;
}

/// The rule-based recogniser.
#[derive(Debug, Default, Clone, Copy)]
pub struct RuleRecogniser;

fn is_name_token(t: &Tok<'_>) -> bool {
    let s = t.text;
    let first = s.chars().next().unwrap_or(' ');
    if !first.is_uppercase() {
        return false;
    }
    if s.len() > 1 && s.chars().all(|c| c.is_uppercase() || !c.is_alphabetic()) && !s.ends_with('.') {
        return false; // acronyms (NHS, SEND) are not names
    }
    let bare = s.trim_end_matches("'s").trim_end_matches("\u{2019}s");
    !NOT_NAMES.contains(&bare)
        && lexicon::party_of(bare).is_none_or(|_| {
            bare.len() > 3
                && !matches!(
                    bare,
                    "Labour" | "Green" | "Reform" | "Conservative" | "Liberal" | "Democrat" | "Republican" | "National"
                )
        })
}

/// Head nouns of places and bodies that are often named after people.
const PLACE_HEADS: &[&str] = &[
    "ward",
    "division",
    "school",
    "academy",
    "college",
    "university",
    "hospital",
    "street",
    "road",
    "avenue",
    "lane",
    "house",
    "centre",
    "center",
    "park",
    "bridge",
    "square",
    "hall",
    "court",
    "building",
    "library",
    "stadium",
    "ground",
    "estate",
    "foundation",
    "institute",
    "trust",
    "prize",
    "award",
    "airport",
    "station",
    "way",
    "close",
];

fn is_particle(s: &str) -> bool {
    matches!(
        s,
        "de" | "van" | "von" | "der" | "den" | "da" | "di" | "le" | "la" | "du" | "bin" | "al" | "el" | "ter" | "ten"
    )
}

/// Title at word index i: returns the number of words it spans.
fn title_at(ws: &[Tok<'_>], i: usize) -> usize {
    let w = ws[i].text;
    if i + 1 < ws.len() && format!("{} {}", w, ws[i + 1].text) == "Chief Constable" {
        return 2;
    }
    if TITLES.contains(&w)
        && !matches!(
            w,
            "President"
                | "Premier"
                | "Minister"
                | "Secretary"
                | "Deputy"
                | "General"
                | "Officer"
                | "Commissioner"
                | "Chancellor"
                | "Trustee"
                | "Captain"
                | "Coach"
                | "MP"
                | "MSP"
                | "TD"
                | "MLA"
                | "MPP"
        )
    {
        return 1;
    }
    0
}

/// Name tokens from index i: capitalised words, initials, particles; at most 4.
fn name_run(ws: &[Tok<'_>], text: &str, i: usize) -> usize {
    let mut k = i;
    while k < ws.len() && k - i < 4 {
        let t = &ws[k];
        let gap_ok = k == i || text[ws[k - 1].end..t.start].chars().all(|c| c == ' ');
        if !gap_ok {
            break;
        }
        if is_name_token(t) || (k > i && is_particle(t.text) && k + 1 < ws.len() && ws[k + 1].is_cap()) {
            k += 1;
            if t.text.ends_with("'s") || t.text.ends_with("\u{2019}s") {
                break;
            }
        } else {
            break;
        }
    }
    // a name does not end on a particle
    while k > i && is_particle(ws[k - 1].text) {
        k -= 1;
    }
    k - i
}

fn strip_possessive(text: &str, r: Range<usize>) -> Range<usize> {
    let s = &text[r.clone()];
    for suf in ["'s", "\u{2019}s", "'", "\u{2019}"] {
        if let Some(stem) = s.strip_suffix(suf) {
            return r.start..r.start + stem.len();
        }
    }
    r
}

impl Recogniser for RuleRecogniser {
    fn recognise(&self, n: &Normalised<'_>, seg: &Segmented) -> Vec<Mention> {
        let text = n.text;
        let mut out: Vec<Mention> = Vec::new();
        let mut surnames: Vec<String> = Vec::new();
        let mut para_words: Vec<Vec<Tok<'_>>> = Vec::new();
        for p in &seg.paragraphs {
            para_words.push(words(text, p.clone()));
        }
        // words that stand alone right before a speech verb ("Voss told", "Pope said"): surnames in use
        let mut speaking: Vec<&str> = Vec::new();
        for ws in &para_words {
            for w in ws.windows(2) {
                if w[0].is_cap() && SPEECH_VERBS.contains(&w[1].text.to_lowercase().as_str()) {
                    speaking.push(w[0].text);
                }
            }
        }
        // pass 1: titled names, known first names, names beside speech verbs, in apposition,
        // after a role noun, or whose surname later speaks
        for ws in &para_words {
            let mut i = 0;
            while i < ws.len() {
                let tl = title_at(ws, i);
                if tl > 0 && i + tl < ws.len() {
                    let nl = name_run(ws, text, i + tl);
                    if nl > 0 {
                        let r = strip_possessive(text, ws[i + tl].start..ws[i + tl + nl - 1].end);
                        out.push(Mention {
                            range: r,
                            label: EntityLabel::Person,
                            title: Some(ws[i].start..ws[i + tl - 1].end),
                            score: 0.9,
                        });
                        i += tl + nl;
                        continue;
                    }
                }
                let mut nl = name_run(ws, text, i);
                // "Parent Lauren Bunting": a role noun opening the run is not part of the name
                if nl >= 3 && crate::lexicon::ROLE_NOUNS.contains(&ws[i].text.to_lowercase().as_str()) {
                    i += 1;
                    nl -= 1;
                }
                // "the William Knibb ward", "Elizabeth Garrett Anderson Hospital": a place or body named after someone
                let named_after = nl > 0
                    && ws.get(i + nl).is_some_and(|t| {
                        let w = t.text.to_lowercase();
                        PLACE_HEADS.contains(&w.as_str()) && text[ws[i + nl - 1].end..t.start].trim().is_empty()
                    });
                if named_after {
                    i += nl + 1;
                    continue;
                }
                if (2..=4).contains(&nl) {
                    let first = ws[i].text;
                    let known_first = lexicon::first_name_gender(first).is_some();
                    let next = ws.get(i + nl).map(|t| t.text.to_lowercase());
                    let prev = i.checked_sub(1).map(|j| ws[j].text.to_lowercase());
                    let beside_verb = next.as_deref().is_some_and(|w| SPEECH_VERBS.contains(&w))
                        || prev.as_deref().is_some_and(|w| SPEECH_VERBS.contains(&w));
                    let initial = first.len() == 2 && first.ends_with('.');
                    let gap_after = ws.get(i + nl).map(|t| &text[ws[i + nl - 1].end..t.start]).unwrap_or("");
                    // "Rhonda Fehr, the ...", "Rhonda Fehr, who ...", "Rhonda Fehr, leader of the Opposition"
                    let apposition = gap_after.starts_with(", ")
                        && next.as_deref().is_some_and(|w| {
                            matches!(w, "a" | "an" | "the" | "who" | "whose" | "whom")
                                || (lexicon::ROLE_NOUNS.contains(&w)
                                    && !matches!(w, "report" | "motion" | "petition" | "statement" | "source"))
                        });
                    let after_role = prev.as_deref().is_some_and(|w| lexicon::ROLE_NOUNS.contains(&w) || w == "chief")
                        && text[ws[i - 1].end..ws[i].start].trim().is_empty();
                    let surname_speaks = speaking.contains(&ws[i + nl - 1].text);
                    if known_first || beside_verb || initial || apposition || after_role || surname_speaks {
                        let r = strip_possessive(text, ws[i].start..ws[i + nl - 1].end);
                        out.push(Mention {
                            range: r,
                            label: EntityLabel::Person,
                            title: None,
                            score: if known_first { 0.8 } else { 0.6 },
                        });
                        i += nl;
                        continue;
                    }
                }
                i += nl.max(1);
            }
        }
        for m in &out {
            let s = &text[m.range.clone()];
            if let Some(last) = s.split_whitespace().last() {
                if s.split_whitespace().count() >= 2 && !surnames.iter().any(|x| x == last) {
                    surnames.push(last.to_string());
                }
            }
        }
        // pass 2: bare surnames of known people
        for ws in &para_words {
            for (i, t) in ws.iter().enumerate() {
                let bare = strip_possessive(text, t.range());
                let b = &text[bare.clone()];
                if !surnames.iter().any(|s| s == b) {
                    continue;
                }
                if out.iter().any(|m| m.range.start < bare.end && bare.start < m.range.end) {
                    continue;
                }
                // not part of a longer capitalised run (an organisation: "Grant Thornton")
                let prev_cap = i > 0
                    && ws[i - 1].is_cap()
                    && text[ws[i - 1].end..t.start].trim().is_empty()
                    && !NOT_NAMES.contains(&ws[i - 1].text)
                    && title_at(ws, i - 1) == 0;
                let next_cap = i + 1 < ws.len()
                    && ws[i + 1].is_cap()
                    && text[t.end..ws[i + 1].start].trim().is_empty()
                    && !NOT_NAMES.contains(&ws[i + 1].text);
                if prev_cap || next_cap {
                    continue;
                }
                out.push(Mention { range: bare, label: EntityLabel::Person, title: None, score: 0.7 });
            }
        }
        // parties (as named) and simple roles
        for ws in &para_words {
            for (i, t) in ws.iter().enumerate() {
                if let Some(two) = ws.get(i + 1).filter(|n| text[t.end..n.start] == *" ") {
                    let pair = &text[t.start..two.end];
                    if lexicon::party_of(pair).is_some() && pair.contains(' ') {
                        out.push(Mention {
                            range: t.start..two.end,
                            label: EntityLabel::Party,
                            title: None,
                            score: 0.8,
                        });
                        continue;
                    }
                }
                if matches!(
                    t.text,
                    "Labour"
                        | "Conservatives"
                        | "Conservative"
                        | "Tories"
                        | "Tory"
                        | "Democrats"
                        | "Republicans"
                        | "Greens"
                        | "SNP"
                        | "UKIP"
                        | "Liberals"
                        | "NDP"
                        | "DUP"
                ) && !out.iter().any(|m| m.range.start <= t.start && t.end <= m.range.end)
                {
                    out.push(Mention { range: t.range(), label: EntityLabel::Party, title: None, score: 0.8 });
                }
            }
        }
        out.sort_by_key(|m| (m.range.start, std::cmp::Reverse(m.range.end)));
        out.dedup_by(|b, a| b.range.start < a.range.end);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalise::normalise;
    use crate::segment::segment;

    fn persons(t: &str) -> Vec<String> {
        let n = normalise(t);
        let s = segment(&n);
        RuleRecogniser
            .recognise(&n, &s)
            .into_iter()
            .filter(|m| m.label == EntityLabel::Person)
            .map(|m| t[m.range].to_string())
            .collect()
    }

    #[test]
    fn titled_first_named_and_surnames() {
        assert_eq!(persons("The William Knibb ward and Grant Street School."), Vec::<String>::new());
        let p = persons("Councillor Andrew Grant (Con) spoke. Cllr. Jo Bell said no. Later Grant's aide and Mrs Patel met Priya Shah.");
        assert_eq!(p, vec!["Andrew Grant", "Jo Bell", "Grant", "Patel", "Priya Shah"]);
    }

    #[test]
    fn organisations_are_not_people() {
        assert!(persons("Northamptonshire County Council and the NHS Trust met Children's Services.").is_empty());
    }
}
