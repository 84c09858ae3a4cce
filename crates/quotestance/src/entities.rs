//! Stage 5a: entities. The rule recogniser finds PERSON mentions (titles,
//! known first names, capitalised names next to speech verbs, then every later
//! surname) and PARTY names. The model recogniser ([`NerRecogniser`]) runs the
//! trained NER head (`ner`) on the document's one encoder pass and combines its
//! mentions with the rules' ([`Combine`]); both plug into the [`Recogniser`] seam.

use crate::encode::Encoded;
#[cfg(feature = "models")]
use crate::error::Error;
use crate::error::Result;
use crate::lexicon::{self, NOT_NAMES, SPEECH_VERBS, TITLES};
use crate::model::EntityLabel;
use crate::ner::EntitySpan;
#[cfg(feature = "models")]
use crate::ner::NerModel;
use crate::normalise::Normalised;
use crate::segment::Segmented;
use crate::text::{overlaps_any, within_any, words, Tok};
use std::collections::HashSet;
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
    /// Mentions in the text, sorted by start, not overlapping. `encoded` is the
    /// document's one encoder pass (`None` when the pipeline runs no encoder).
    fn recognise(&self, n: &Normalised<'_>, seg: &Segmented, encoded: Option<&Encoded>) -> Result<Vec<Mention>>;
    /// Whether [`Recogniser::recognise`] needs the encoder pass.
    fn needs_encoder(&self) -> bool {
        false
    }
}

/// News outlets and companies are organisations, never people ("told Sky News", "Bway Corp"): a
/// PERSON mention whose words name an outlet ([`lexicon::is_outlet`]) or end like a company's
/// name ([`lexicon::is_company_name`]) becomes an ORG, whichever recogniser found it.
pub fn outlets_are_organisations(text: &str, mentions: &mut [Mention]) {
    for m in mentions.iter_mut().filter(|m| m.label == EntityLabel::Person) {
        let name = &text[m.range.clone()];
        if lexicon::is_outlet(name) || lexicon::is_company_name(name) {
            m.label = EntityLabel::Org;
            m.title = None;
        }
    }
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
    fn recognise(&self, n: &Normalised<'_>, seg: &Segmented, _encoded: Option<&Encoded>) -> Result<Vec<Mention>> {
        Ok(self.mentions(n, seg))
    }
}

impl RuleRecogniser {
    /// The rule mentions of a text.
    pub fn mentions(&self, n: &Normalised<'_>, seg: &Segmented) -> Vec<Mention> {
        let (found, slipped) = self.mentions_and_slipped(n, seg);
        overlay(found, slipped)
    }

    /// The rule mentions, and apart from them the people of
    /// [`slipped_surnames`] (which the NER recogniser adds to the head's).
    fn mentions_and_slipped(&self, n: &Normalised<'_>, seg: &Segmented) -> (Vec<Mention>, Vec<Mention>) {
        let text = n.text;
        let mut out: Vec<Mention> = Vec::new();
        let mut surnames: HashSet<&str> = HashSet::new();
        let mut para_words: Vec<Vec<Tok<'_>>> = Vec::new();
        for p in &seg.paragraphs {
            para_words.push(words(text, p.clone()));
        }
        // words that stand alone right before a speech verb ("Voss told", "Pope said"): surnames in use
        let mut speaking: HashSet<&str> = HashSet::new();
        for ws in &para_words {
            for w in ws.windows(2) {
                if w[0].is_cap() && SPEECH_VERBS.contains(&w[1].text.to_lowercase().as_str()) {
                    speaking.insert(w[0].text);
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
                // "Shadow Chancellor John Pell", "Minister for Housing Ann Byrne": a portfolio
                // before the first known first name is the title, not part of the name
                if nl >= 3 {
                    if let Some(k) = title_words(&ws[i..i + nl]) {
                        out.push(Mention {
                            range: strip_possessive(text, ws[i + k].start..ws[i + nl - 1].end),
                            label: EntityLabel::Person,
                            title: Some(ws[i].start..ws[i + k - 1].end),
                            score: 0.8,
                        });
                        i += nl;
                        continue;
                    }
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
                // "Mims Lee, MP for Mid Vale, said": a constituency, not a person
                let constituency = i >= 2
                    && ws[i - 1].text == "for"
                    && CONSTITUENCY_HOLDERS.contains(&ws[i - 2].text.to_lowercase().as_str())
                    && lexicon::first_name_gender(ws[i].text).is_none();
                if nl > 0 && constituency {
                    i += nl;
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
                            matches!(w, "a" | "an" | "the" | "who" | "whose" | "whom") || role_head(w)
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
                if s.split_whitespace().count() >= 2 {
                    surnames.insert(last);
                }
            }
        }
        // pass 1's mentions come in text order and do not overlap: binary searches below
        let named: Vec<Range<usize>> = out.iter().map(|m| m.range.clone()).collect();
        // pass 2: bare surnames of known people
        for ws in &para_words {
            for (i, t) in ws.iter().enumerate() {
                let bare = strip_possessive(text, t.range());
                let b = &text[bare.clone()];
                if !surnames.contains(b) || overlaps_any(&named, &bare) {
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
        let mut people: Vec<Range<usize>> = out.iter().map(|m| m.range.clone()).collect();
        people.sort_by_key(|r| r.start);
        let mut pair_end = 0;
        for ws in &para_words {
            for (i, t) in ws.iter().enumerate() {
                if let Some(two) = ws.get(i + 1).filter(|n| text[t.end..n.start] == *" ") {
                    let pair = &text[t.start..two.end];
                    if lexicon::party_of(pair).is_some() && pair.contains(' ') {
                        pair_end = two.end;
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
                ) && t.start >= pair_end
                    && !within_any(&people, &t.range())
                {
                    out.push(Mention { range: t.range(), label: EntityLabel::Party, title: None, score: 0.8 });
                }
            }
        }
        out.sort_by_key(|m| (m.range.start, std::cmp::Reverse(m.range.end)));
        out.dedup_by(|b, a| b.range.start < a.range.end);
        // last, so that the lower-case word is no surname for pass 2
        let slipped = slipped_mentions(text, para_words.into_iter());
        (out, slipped)
    }
}

/// How many words of a capitalised run of three or more are a title or portfolio: those before
/// its first known first name, when one stands after the first word and before the last
/// ("Shadow Chancellor John Pell" -> 2; "Mary Ann Lowe" -> none).
fn title_words(run: &[Tok<'_>]) -> Option<usize> {
    let first_name = |j: usize| lexicon::first_name_gender(run[j].text).is_some();
    (1..run.len().saturating_sub(1)).find(|&k| first_name(k)).filter(|&k| !(0..k).any(first_name))
}

/// Titles followed by "for" and the seat they hold: "MP for Mid Vale", "TD for Cork South".
const CONSTITUENCY_HOLDERS: &[&str] = &["mp", "msp", "ms", "td", "am", "mla", "mpp", "mep", "member", "candidate"];

/// Role nouns that head no person in an apposition (", the report ...").
fn role_head(w: &str) -> bool {
    lexicon::ROLE_NOUNS.contains(&w) && !matches!(w, "report" | "motion" | "petition" | "statement" | "source")
}

/// [`role_head`]s that name a person, not a body ("the government").
fn person_role(w: &str) -> bool {
    role_head(w)
        && !matches!(
            w,
            "group"
                | "party"
                | "council"
                | "opposition"
                | "union"
                | "board"
                | "trust"
                | "department"
                | "government"
                | "campaign"
        )
}

/// People whose surname lost its capital in the copy ("from Ruth hallam,
/// the county's chief inspector, ..."): a capitalised known first
/// name, not opening a sentence, then one lower-case word, then an
/// apposition that names a role (", the|a|an" and a person's role noun within four
/// words, no punctuation between). The apposition is what makes the pair a
/// name; without it a first name before a common word is left alone. Over
/// the words of one paragraph; byte ranges of "first-name word".
fn slipped_surnames(text: &str, ws: &[Tok<'_>]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for i in 1..ws.len().saturating_sub(3) {
        let (first, second) = (&ws[i], &ws[i + 1]);
        let lower = second.text.len() >= 3 && second.text.chars().all(|c| c.is_lowercase());
        if !first.is_cap()
            || lexicon::first_name_gender(first.text).is_none()
            || crate::ner::refine::sentence_initial(text, first.start)
            || !lower
            || &text[first.end..second.start] != " "
            || SPEECH_VERBS.contains(&second.text)
            || &text[second.end..ws[i + 2].start] != ", "
            || !matches!(ws[i + 2].text, "the" | "a" | "an")
        {
            continue;
        }
        let role = ws[i + 3..ws.len().min(i + 7)]
            .iter()
            .scan(ws[i + 2].end, |prev_end, w| {
                let gap = &text[*prev_end..w.start];
                *prev_end = w.end;
                gap.trim().is_empty().then_some(w)
            })
            .any(|w| person_role(&w.text.to_lowercase()));
        if role {
            out.push(first.start..second.end);
        }
    }
    out
}

/// [`slipped_surnames`] of every paragraph, as person mentions.
fn slipped_mentions<'a>(text: &str, paragraphs: impl Iterator<Item = Vec<Tok<'a>>>) -> Vec<Mention> {
    paragraphs
        .flat_map(|ws| slipped_surnames(text, &ws))
        .map(|range| Mention { range, label: EntityLabel::Person, title: None, score: 0.5 })
        .collect()
}

/// The title right before a name that starts at byte `start` ("Cllr", "Mrs.",
/// "Chief Constable"), by the rule recogniser's list, within its paragraph.
fn title_before(text: &str, seg: &Segmented, start: usize) -> Option<Range<usize>> {
    let para = seg.paragraph_of(start).map(|i| seg.paragraphs[i].start).unwrap_or(0);
    let ws = words(text, para..start);
    let last = ws.last()?;
    if !text[last.end..start].trim().is_empty() {
        return None;
    }
    (1..=ws.len().min(2)).rev().find_map(|k| {
        let i = ws.len() - k;
        (title_at(&ws, i) == k).then(|| ws[i].start..last.end)
    })
}

/// Whether a PERSON mention at `r` sits where the rule layer's conventions put
/// a place: before a place head ("the William Knibb ward", as the rule
/// recogniser reads it), or in the ward slot of a "(Party, Ward)" aside after a
/// name (as the people stage reads it).
fn in_place_slot(text: &str, r: &Range<usize>) -> bool {
    let after = text[r.end..].strip_prefix(' ').unwrap_or("");
    let next: String = after.chars().take_while(|c| c.is_alphabetic()).collect();
    if !next.is_empty() && PLACE_HEADS.contains(&next.to_lowercase().as_str()) {
        return true;
    }
    let line_start = text[..r.start].rfind('\n').map_or(0, |i| i + 1);
    let Some(open) = text[line_start..r.start].rfind('(').map(|i| line_start + i) else { return false };
    let inner = &text[open + 1..r.start];
    let closes = text[r.end..].starts_with([')', ',']);
    match inner.strip_suffix(", ") {
        Some(party) => closes && !party.contains([',', ')']) && lexicon::party_of(party).is_some(),
        None => false,
    }
}

/// The head's mentions as the people stage takes them: each PERSON with the
/// title before it, as the rule recogniser gives it. The rule layer's
/// conventions hold for the head's PERSON mentions too: a party name is the
/// party's mention ("Tory"; unless it is the surname of a full name found in
/// the text: "Green" of "Sarah Green"), and a name in a place's slot is no
/// person (`in_place_slot`).
pub fn mentions_from_spans(text: &str, seg: &Segmented, spans: &[EntitySpan]) -> Vec<Mention> {
    let surnames: Vec<&str> = spans
        .iter()
        .filter(|s| s.label == EntityLabel::Person)
        .filter_map(|s| text[s.bytes()].rsplit_once(' ').map(|(_, last)| last))
        .collect();
    spans
        .iter()
        .filter(|s| s.label != EntityLabel::Person || !in_place_slot(text, &s.bytes()))
        .map(|s| {
            let r = s.bytes();
            let w = &text[r.clone()];
            let party = s.label == EntityLabel::Person && lexicon::party_of(w).is_some() && !surnames.contains(&w);
            let label = if party { EntityLabel::Party } else { s.label };
            if label == EntityLabel::Person {
                // "Spokeswoman Jane Dott": the model's span may open with the title
                let ws = words(text, r.clone());
                if let Some(k) = (ws.len() >= 3).then(|| title_words(&ws)).flatten() {
                    let title = Some(ws[0].start..ws[k - 1].end);
                    return Mention { range: ws[k].start..r.end, label, title, score: s.score };
                }
            }
            let title = if label == EntityLabel::Person { title_before(text, seg, r.start) } else { None };
            Mention { range: r, label, title, score: s.score }
        })
        .collect()
}

/// How the model's mentions and the rules' combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Combine {
    /// The model's mentions alone.
    Model,
    /// People from the model alone; other mentions from the model, then the
    /// rules' (parties) where the model has none.
    #[default]
    ModelPeople,
    /// The model's mentions, then the rules' where the model has none.
    ModelFirst,
    /// The rules' mentions, then the model's where the rules have none.
    RulesFirst,
}

#[cfg(feature = "models")]
/// The model recogniser: the trained NER head on the document's encoder pass,
/// combined with the rule recogniser's mentions.
#[derive(Debug, Clone)]
pub struct NerRecogniser {
    pub model: NerModel,
    pub combine: Combine,
}

#[cfg(feature = "models")]
impl NerRecogniser {
    pub fn new(model: NerModel, combine: Combine) -> NerRecogniser {
        NerRecogniser { model, combine }
    }
}

/// `first`, then each of `then` that overlaps none of `first`, sorted by start.
fn overlay(mut first: Vec<Mention>, then: Vec<Mention>) -> Vec<Mention> {
    let n = first.len();
    for m in then {
        if !first[..n].iter().any(|f| f.range.start < m.range.end && m.range.start < f.range.end) {
            first.push(m);
        }
    }
    first.sort_by_key(|m| (m.range.start, std::cmp::Reverse(m.range.end)));
    first.dedup_by(|b, a| b.range.start < a.range.end);
    first
}

#[cfg(feature = "models")]
impl Recogniser for NerRecogniser {
    fn recognise(&self, n: &Normalised<'_>, seg: &Segmented, encoded: Option<&Encoded>) -> Result<Vec<Mention>> {
        let enc = encoded.ok_or_else(|| Error::Internal("the NER recogniser needs the encoder pass".into()))?;
        let spans = self.model.try_predict(n.text, enc)?;
        let model = mentions_from_spans(n.text, seg, &spans);
        Ok(match self.combine {
            Combine::Model => model,
            Combine::ModelPeople => {
                let (rules, slipped) = RuleRecogniser.mentions_and_slipped(n, seg);
                let rules = rules.into_iter().filter(|m| m.label != EntityLabel::Person);
                overlay(overlay(model, slipped), rules.collect())
            }
            Combine::ModelFirst => overlay(model, RuleRecogniser.mentions(n, seg)),
            Combine::RulesFirst => overlay(RuleRecogniser.mentions(n, seg), model),
        })
    }

    fn needs_encoder(&self) -> bool {
        true
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
            .mentions(&n, &s)
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
    fn a_surname_that_lost_its_capital_needs_a_role_apposition() {
        let t = "Criticism came from Ruth hallam, the county\u{2019}s chief inspector, and from others.";
        assert_eq!(persons(t), vec!["Ruth hallam"]);
        for t in [
            // no role in the apposition; a speech verb; sentence-initial; a comma too many
            "It came with Jane birch, the tree she planted in the park.",
            "We asked and Jane said, the council inspector was wrong.",
            "Ruth hallam, the county's chief inspector, came.",
            "It came from Ruth hallam, the county council, its inspector and more.",
        ] {
            assert_eq!(persons(t), Vec::<String>::new(), "{t}");
        }
    }

    fn spans(t: &str, forms: &[(&str, EntityLabel)]) -> Vec<EntitySpan> {
        let ix = crate::normalise::OffsetIndex::new(t);
        // each form found after the one before
        let mut from = 0;
        forms
            .iter()
            .map(|(f, label)| {
                let s = from + t[from..].find(f).unwrap();
                from = s + f.len();
                EntitySpan { span: ix.span(s..s + f.len()), label: *label, score: 0.9 }
            })
            .collect()
    }

    #[test]
    fn model_mentions_get_titles_and_the_rule_conventions() {
        let t = "Chief Constable Ann Lee met Cllr. Jo Bell (Con, Brackley East), Sarah Green and Green. \
                 This is Tory misrule in the William Knibb ward, said Spokeswoman Jane Dott.";
        let n = normalise(t);
        let seg = segment(&n);
        let p = EntityLabel::Person;
        let ms = mentions_from_spans(
            t,
            &seg,
            &spans(
                t,
                &[
                    ("Ann Lee", p),
                    ("Jo Bell", p),
                    ("Brackley East", p),
                    ("Sarah Green", p),
                    ("Green", p),
                    ("Tory", p),
                    ("William Knibb", p),
                    ("Spokeswoman Jane Dott", p),
                ],
            ),
        );
        let got: Vec<(&str, EntityLabel, Option<&str>)> =
            ms.iter().map(|m| (&t[m.range.clone()], m.label, m.title.clone().map(|r| &t[r]))).collect();
        assert_eq!(
            got,
            [
                ("Ann Lee", p, Some("Chief Constable")),
                ("Jo Bell", p, Some("Cllr.")),
                ("Sarah Green", p, None),
                ("Green", p, None),
                ("Tory", EntityLabel::Party, None),
                ("Jane Dott", p, Some("Spokeswoman")),
            ]
        );
    }

    #[test]
    fn organisations_are_not_people() {
        assert!(persons("Northamptonshire County Council and the NHS Trust met Children's Services.").is_empty());
    }

    #[test]
    fn a_portfolio_before_a_first_name_is_a_title() {
        assert_eq!(persons("Shadow Chancellor John Pell said so."), ["John Pell"]);
        assert_eq!(persons("Then Minister for Housing Ann Byrne said no."), ["Ann Byrne"]);
        assert_eq!(persons("Mary Ann Lowe said so."), ["Mary Ann Lowe"]);
    }

    #[test]
    fn a_seat_after_mp_for_is_no_person() {
        assert_eq!(persons("Ida Moss, MP for Mid Vale, said the party needed a change."), ["Ida Moss"]);
        assert_eq!(persons("Tom Kent, TD for Carrow South, said so."), ["Tom Kent"]);
    }
}
