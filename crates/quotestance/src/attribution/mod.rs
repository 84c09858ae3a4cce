//! Stage 6: attribution. Ordered sieves turn each quote's source phrase into a
//! speaker: a named person inside the phrase; a pronoun to the most recent
//! compatible person or speaker; a role description bound to a person by the
//! text ("the opposition leader"); an inspectorate for "the report"; the
//! tabler of "the motion"; else the description itself. A quote paragraph with
//! no attribution continues the previous speaker.

mod chunk;
mod orgs;

use crate::entities::Mention;
use crate::lexicon;
use crate::model::Gender;
use crate::normalise::Normalised;
use crate::people::People;
use crate::quotes::QuoteCandidate;
use crate::segment::Segmented;
use crate::text::{within_any, words};
pub use chunk::speaker_shape_problem;
use chunk::{core_of, description_np, NOT_NP_START};
use std::ops::Range;

/// A resolved speaker.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribution {
    /// Fullest name, or the description.
    pub name: String,
    pub person: Option<usize>,
    /// The words that attribute the quote.
    pub mention: Option<Range<usize>>,
    pub score: f32,
    /// The sieve that decided.
    pub rule: &'static str,
}

const INSPECTORATES: &[&str] = &[
    "Ofsted",
    "OFSTED",
    "Care Quality Commission",
    "CQC",
    "HMICFRS",
    "HM Inspectorate",
    "Estyn",
    "Care Inspectorate",
    "Audit Scotland",
    "Audit Wales",
    "Regulator of Social Housing",
    "Care Inspectorate Wales",
    "Healthcare Inspectorate Wales",
    "Education Scotland",
    "Independent Office for Police Conduct",
    "IOPC",
    "Ombudsman",
    "National Audit Office",
];

/// Whether a speaker's name is (or names) an inspectorate or audit body.
pub fn is_inspectorate(name: &str) -> bool {
    INSPECTORATES.iter().any(|n| name.contains(n))
}

fn gender_of_description(s: &str) -> Option<Gender> {
    let l = s.to_lowercase();
    if l.contains("spokeswoman") || l.contains("chairwoman") || l.contains("mother") {
        Some(Gender::Female)
    } else if l.contains("spokesman") || l.contains("chairman") || l.contains("father") {
        Some(Gender::Male)
    } else {
        None
    }
}

struct Ctx<'a, 'b> {
    text: &'a str,
    seg: &'b Segmented,
    people: &'b People,
    /// The organisations the article names, for descriptions that refer back to one.
    orgs: orgs::Orgs<'a>,
    /// The inspectorate the article names, looked up once ([`Ctx::inspectorate`]).
    inspectorate: std::cell::OnceCell<Option<String>>,
}

/// How many person mentions back a pronoun looks for its antecedent.
const ANTECEDENT_MENTIONS: usize = 200;
/// How many sentences back a motion or petition looks for the person who tabled it.
const TABLER_SENTENCES: usize = 20;

impl Ctx<'_, '_> {
    fn gender(&self, a: &Attribution) -> Option<Gender> {
        match a.person {
            Some(p) => self.people.people[p].gender,
            None => gender_of_description(&a.name),
        }
    }

    fn person(&self, pid: usize, mention: Range<usize>, rule: &'static str, score: f32) -> Attribution {
        Attribution {
            name: self.people.people[pid].name.clone(),
            person: Some(pid),
            mention: Some(mention),
            score,
            rule,
        }
    }

    /// Most recent person mention before `pos` (outside `skip` spans), gender-compatible. A
    /// possessor ("X has commented on Y's death. He said") is passed over for a mention that
    /// is not one: a speaking pronoun is rarely the possessor of a noun phrase.
    fn recent_person(&self, pos: usize, lo: usize, g: Option<Gender>, skip: &[Range<usize>]) -> Option<usize> {
        let mut found = self
            .people
            .mentions_before(pos)
            .take_while(|(m, _)| m.start >= lo)
            .take(ANTECEDENT_MENTIONS)
            .filter(|(m, _)| !within_any(skip, m))
            .filter(|(_, p)| g.is_none() || self.people.people[*p].gender.is_none_or(|x| Some(x) == g));
        let first = found.next()?;
        if !possessor(self.text, &first.0) {
            return Some(first.1);
        }
        Some(found.find(|(m, _)| !possessor(self.text, m)).unwrap_or(first).1)
    }

    fn inspectorate(&self) -> Option<String> {
        self.inspectorate
            .get_or_init(|| {
                INSPECTORATES.iter().find(|n| self.text.contains(*n)).map(|n| {
                    if *n == "OFSTED" {
                        "Ofsted".to_string()
                    } else {
                        n.to_string()
                    }
                })
            })
            .clone()
    }

    /// The person in the nearest sentence (at or before `pos`) that mentions a motion or
    /// petition, outside any quote (inside one is its target).
    fn tabler(&self, pos: usize, noun: &str, spans: &[Range<usize>]) -> Option<usize> {
        let si = self.seg.sentence_of(pos)?;
        (si.saturating_sub(TABLER_SENTENCES)..=si).rev().find_map(|i| {
            let r = &self.seg.sentences[i].range;
            if !self.text[r.clone()].to_lowercase().contains(noun) {
                return None;
            }
            self.people.persons_in(r).into_iter().find(|(m, _)| !within_any(spans, m)).map(|(_, p)| p)
        })
    }

    /// A person whose roles share the description's head noun, most recently mentioned first.
    fn role_holder(&self, desc: &str, pos: usize) -> Option<usize> {
        let dl = desc.to_lowercase();
        let dw: Vec<&str> =
            dl.split_whitespace().filter(|w| !matches!(*w, "the" | "a" | "an" | "of" | "for")).collect();
        let head = dw.iter().rev().find(|w| lexicon::ROLE_NOUNS.contains(w))?;
        let holders: Vec<usize> = self
            .people
            .people
            .iter()
            .filter(|p| {
                p.roles.iter().any(|r| r.to_lowercase().split(|c: char| !c.is_alphanumeric()).any(|w| w == *head))
            })
            .map(|p| p.id)
            .collect();
        if holders.is_empty() {
            return None;
        }
        // prefer the holder whose role shares most words with the description
        let overlap = |pid: usize| {
            self.people.people[pid]
                .roles
                .iter()
                .map(|r| {
                    let rl = r.to_lowercase();
                    dw.iter().filter(|w| rl.contains(*w)).count()
                })
                .max()
                .unwrap_or(0)
        };
        let best = holders.iter().map(|&p| overlap(p)).max().unwrap_or(0);
        let cands: Vec<usize> = holders.into_iter().filter(|&p| overlap(p) == best).collect();
        self.people.mentions_before(pos).find(|(_, p)| cands.contains(p)).map(|(_, p)| *p).or(cands.first().copied())
    }
}

fn is_org_like(s: &str) -> bool {
    let t = s.trim();
    if !t.contains(' ')
        && (NOT_NP_START.contains(&t.to_lowercase().as_str()) || matches!(t, "The" | "A" | "An" | "I" | "We"))
    {
        return false; // "In", "The", "And", "I": a fragment, not a name
    }
    if !t.contains(' ')
        && (t.ends_with("ed") || t.ends_with("ing"))
        && t.len() > 4
        && !t.chars().all(|c| c.is_uppercase())
    {
        return false; // "Joined", "Unveiling": a participle, not a name
    }
    let last = t.split_whitespace().last().unwrap_or("");
    let first = t.split_whitespace().next().unwrap_or("").to_lowercase();
    if matches!(last, "the" | "of" | "and" | "for")
        || NOT_NP_START.contains(&first.as_str())
        || t.contains("\u{2019}ve")
    {
        return false; // "Among the", "They've"
    }
    let first_cap = t.chars().next().is_some_and(|c| c.is_uppercase());
    let lower = t.to_lowercase();
    first_cap
        && !lower.starts_with("the ")
        && !lower.starts_with("a ")
        && !lower.starts_with("an ")
        && (lexicon::party_of(t).is_some()
            || t.split_whitespace().all(|w| {
                w.chars().next().is_some_and(|c| c.is_uppercase()) || matches!(w, "of" | "and" | "for" | "the")
            }))
}

/// Runs the attribution stage: one entry per candidate, aligned.
pub fn attribute(
    n: &Normalised<'_>,
    seg: &Segmented,
    quotes: &[QuoteCandidate],
    people: &People,
    mentions: &[Mention],
) -> Vec<Option<Attribution>> {
    let text = n.text;
    let orgs = orgs::Orgs::new(text, mentions);
    let cx = Ctx { text, seg, people, orgs, inspectorate: std::cell::OnceCell::new() };
    let spans: Vec<Range<usize>> = quotes.iter().map(|q| q.content.clone()).collect();
    let mut out: Vec<Option<Attribution>> = Vec::with_capacity(quotes.len());
    let mut last: Option<(Attribution, usize, usize)> = None; // speaker, paragraph, end byte
    for (qi, q) in quotes.iter().enumerate() {
        let a = match &q.source {
            Some(src) => resolve(&cx, q, src.clone(), last.as_ref(), &spans, qi),
            // no speech cue: the subject of a characterising verb ("X called Y a \"...\"")
            None => characterising_subject(&cx, q)
                .and_then(|src| resolve(&cx, q, src, last.as_ref(), &spans, qi))
                .map(|a| Attribution { rule: "characterising-subject", score: a.score.min(0.7), ..a })
                .or_else(|| sentence_subject(&cx, q)),
        };
        let a = a.or_else(|| {
            // continuation of the previous speaker (a quote paragraph with no attribution)
            let (prev, para, _) = last.as_ref()?;
            (q.paragraph <= para + 2).then(|| Attribution {
                mention: None,
                score: 0.6,
                rule: "continuation",
                ..prev.clone()
            })
        });
        if let Some(a) = &a {
            last = Some((a.clone(), q.paragraph, q.content.end));
        }
        out.push(a);
    }
    // "the opposition" is the party group the article names as a speaker elsewhere
    let group = out.iter().flatten().find(|a| {
        a.rule == "organisation" && a.name.split_whitespace().any(|w| lexicon::party_of(w).is_some() && w.len() > 3)
    });
    if let Some(g) = group.cloned() {
        for a in out.iter_mut().flatten() {
            let l = a.name.to_lowercase();
            if a.rule == "description"
                && matches!(
                    l.as_str(),
                    "the opposition" | "opposition" | "the opposition group" | "opposition councillors"
                )
            {
                a.name = g.name.clone();
                a.rule = "opposition-group";
            }
        }
    }
    out
}

/// How far into its sentence a characterising verb may stand (words before it).
const SUBJECT_WORDS: usize = 20;

/// The subject of the sentence a quote opens in, when its verb characterises rather than
/// reports (lexicon::CHARACTERISING_VERBS) and stands before the quote: "Minyon Moore, a
/// senior adviser, called the remarks \"a wake-up call\"" gives "Minyon Moore, a senior
/// adviser". A leading adverbial or subordinate clause ("In January, ...", "When X noted
/// ..., ") is skipped; a subject holding a clause word ("what he called") gives `None`.
fn characterising_subject(cx: &Ctx<'_, '_>, q: &QuoteCandidate) -> Option<Range<usize>> {
    let text = cx.text;
    let sent = cx.seg.sentences.get(cx.seg.sentence_of(q.content.start)?)?.range.clone();
    if sent.start >= q.content.start {
        return None;
    }
    let ws = words(text, sent.start..q.content.start);
    let lower: Vec<String> = ws.iter().map(|w| w.text.to_lowercase()).collect();
    let verb =
        lower.iter().take(SUBJECT_WORDS + 1).position(|w| lexicon::CHARACTERISING_VERBS.contains(&w.as_str()))?;
    // the clause the verb stands in: after a leading adverbial or subordinate clause
    let first = main_clause_start(text, &ws, verb)?;
    let mut end = verb;
    while end > first
        && (lexicon::SUBJECT_VERB_FILLERS.contains(&lower[end - 1].as_str())
            || (lower[end - 1].ends_with("ly") && lower[end - 1].len() > 4 && lower[end - 1] == ws[end - 1].text))
    {
        end -= 1;
    }
    // a passive ("was widely ridiculed") or a second verb ("outlined his plan and vowed")
    if end <= first
        || matches!(lower[end - 1].as_str(), "was" | "were" | "is" | "are" | "be" | "been" | "being" | "and")
        || lower[first..end].iter().enumerate().any(|(k, w)| {
            // "to" opens an infinitive, except in an apposition's role ("X, an adviser to Y,")
            let in_apposition = text[ws[first].start..ws[first + k].start].contains(',');
            matches!(w.as_str(), "what" | "which" | "that" | "when" | "where" | "whom") || (w == "to" && !in_apposition)
        })
        || text[ws[first].start..ws[end - 1].end].contains(crate::text::DOUBLE_MARKS)
    {
        return None;
    }
    Some(crate::text::trim(text, ws[first].start..ws[end - 1].end, &[',', '(', ')']))
}

/// The first word of a sentence's main clause, among its words before `upto`: 0, or the word
/// after the comma that closes a leading adverbial or subordinate clause ("In January, ...",
/// "When X noted ..., "); `None` when no comma closes it.
fn main_clause_start(text: &str, ws: &[crate::text::Tok<'_>], upto: usize) -> Option<usize> {
    let opener = ws.first()?.text.to_lowercase();
    if !NOT_NP_START.contains(&opener.as_str()) && !lexicon::CLAUSE_OPENERS.contains(&opener.as_str()) {
        return Some(0);
    }
    (1..upto.min(ws.len())).find(|&k| text[ws[k - 1].end..ws[k].start].contains(','))
}

/// The start of the sentence a pronoun at `pos` stands in, when a leading participle or
/// subordinate clause opens the sentence and its comma comes right before the pronoun
/// ("Adding that ..., he said"; "Asked whether ..., she said").
fn leading_clause_start(cx: &Ctx<'_, '_>, pos: usize) -> Option<usize> {
    let text = cx.text;
    let sent = cx.seg.sentences.get(cx.seg.sentence_of(pos)?)?.range.clone();
    let ws = words(text, sent.start.min(pos)..pos);
    let opener = ws.first()?.text.to_lowercase();
    let participle = opener.len() > 5 && opener.ends_with("ing");
    let opens_clause = participle || lexicon::CLAUSE_OPENERS.contains(&opener.as_str());
    (opens_clause && ws.len() >= 3 && text[ws.last()?.end..pos].trim_end().ends_with(',')).then_some(sent.start)
}

/// Whether a mention is a possessor: "Smith's spokesman", "Lane’s aide".
fn possessor(text: &str, m: &Range<usize>) -> bool {
    let after = &text[m.end..];
    after.starts_with("'s") || after.starts_with("\u{2019}s")
}

/// How many words may stand before the subject's name in its clause ("Senate Minority Leader").
const SUBJECT_NAME_WORDS: usize = 6;

/// The named subject of the sentence a quoted fragment stands inside, when nothing introduces
/// the fragment: "Ms Lane later defended the decision, calling the protest \"a stunt\"" gives
/// Ms Lane, where the previous speaker would be a guess. The fragment stands mid-sentence (three
/// words or more before it); the name opens the clause (after a leading adverbial and its comma)
/// with at most capitalised words or an article before it, and is no possessor ("Lane's aide").
fn sentence_subject(cx: &Ctx<'_, '_>, q: &QuoteCandidate) -> Option<Attribution> {
    let text = cx.text;
    let sent = cx.seg.sentences.get(cx.seg.sentence_of(q.content.start)?)?.range.clone();
    let ws = words(text, sent.start.min(q.content.start)..q.content.start);
    if ws.len() < 3 {
        return None;
    }
    let start = ws[main_clause_start(text, &ws, ws.len())?].start;
    let (m, pid) = cx.people.persons_in(&(start..q.content.start)).into_iter().next()?;
    let before = words(text, start..m.start);
    let heads_clause = before.len() <= SUBJECT_NAME_WORDS
        && before
            .iter()
            .all(|w| w.text.chars().next().is_some_and(char::is_uppercase) || matches!(w.text, "the" | "a" | "an"));
    (!possessor(text, &m) && heads_clause).then(|| cx.person(pid, m, "sentence-subject", 0.6))
}

/// The person named right after a source phrase that is a role, set off by a comma and closing
/// the clause: "PCA chief executive, Tom Irwin." (the source phrase stops at the comma).
fn appositive_person(cx: &Ctx<'_, '_>, src: Range<usize>) -> Option<usize> {
    let text = cx.text;
    let s = text[src.clone()].trim();
    let head = s.split_whitespace().last()?.to_lowercase();
    if !lexicon::ROLE_NOUNS.contains(&head.as_str()) || !text[src.end..].starts_with(", ") {
        return None;
    }
    let after = src.end + 2;
    let window = after..(after + 80).min(text.len());
    let (m, pid) = cx.people.persons_in(&window).into_iter().next()?;
    let between = &text[after..m.start];
    let closes = text[m.end..].trim_start().chars().next().is_none_or(|c| matches!(c, '.' | ';' | '\n'));
    // at most a title between the comma and the name ("Cllr", "Dr")
    (between.split_whitespace().count() <= 1 && closes).then_some(pid)
}

fn resolve(
    cx: &Ctx<'_, '_>,
    q: &QuoteCandidate,
    src: Range<usize>,
    last: Option<&(Attribution, usize, usize)>,
    spans: &[Range<usize>],
    qi: usize,
) -> Option<Attribution> {
    let text = cx.text;
    let src = core_of(text, src);
    let s = text[src.clone()].trim();
    // "told Sky News", "according to the Herald": the outlet reports, it does not speak; "the
    // Times wrote" is the paper's own word
    let cue = q.cue.as_ref().map(|c| text[c.clone()].to_lowercase()).unwrap_or_default();
    if lexicon::is_outlet(s)
        && (cue.is_empty() || cue.starts_with("told") || cue.starts_with("tell") || cue.contains("according"))
    {
        return None;
    }
    let lower = s.to_lowercase();
    // 1. a named person inside the source phrase (not a possessor: "Smith's spokesman"; not in
    // "a spokesman for Smith", but in "a statement from Smith")
    let indefinite = (lower.starts_with("a ") || lower.starts_with("an ") || lower.starts_with("spokes"))
        && !lower.split_whitespace().take(4).any(|w| w == "from" || w == "by");
    if !indefinite {
        for (m, pid) in cx.people.persons_in(&src) {
            if possessor(text, &m) {
                continue;
            }
            return Some(cx.person(pid, src.clone(), "named", 0.95));
        }
    }
    // 1b. a role, then the name in apposition: "said PCA chief executive, Tom Irwin."
    if let Some(pid) = appositive_person(cx, src.clone()) {
        return Some(cx.person(pid, src, "named-apposition", 0.9));
    }
    // 2. pronouns
    if let Some(g) = lexicon::pronoun(s) {
        // "Adding that Mr Reed should go, he said": the pronoun is the subject the leading clause
        // shares, so the names inside that clause are no antecedents
        let pos = leading_clause_start(cx, src.start).unwrap_or(src.start);
        let prev_end = last.map(|l| l.2).unwrap_or(0);
        // a compatible person named since the last quote (outside quotes) is the best antecedent
        if let Some(pid) = cx.recent_person(pos, prev_end, g, spans) {
            return Some(cx.person(pid, src, "pronoun-recent", 0.8));
        }
        if let Some((prev, para, _)) = last {
            // "he"/"she" continue a person or a gendered description, never an organisation
            let fits = match g {
                None => true,
                Some(g) => cx.gender(prev).map_or(prev.person.is_some(), |x| x == g),
            };
            if q.paragraph <= para + 3 && fits {
                return Some(Attribution { mention: Some(src), score: 0.8, rule: "pronoun-speaker", ..prev.clone() });
            }
        }
        return cx.recent_person(pos, 0, g, spans).map(|pid| cx.person(pid, src, "pronoun-mention", 0.6));
    }
    let bare = lower.trim_start_matches("the ").trim();
    // 3. reports and inspectors speak for the inspectorate
    let head = bare.split_whitespace().last().unwrap_or("");
    if matches!(head, "report" | "inspectors" | "inspection" | "inspectorate" | "watchdog" | "findings" | "review") {
        if let Some(org) = cx.inspectorate() {
            return Some(Attribution { name: org, person: None, mention: Some(src), score: 0.7, rule: "inspectorate" });
        }
    }
    // 4. a motion or petition speaks for whoever tabled it
    for noun in ["motion", "petition"] {
        if head == noun {
            if let Some(pid) = cx.tabler(src.start, noun, spans) {
                return Some(cx.person(pid, src, "tabler", 0.7));
            }
        }
    }
    // 5. organisations and parties speak for themselves
    if is_org_like(s) && words(text, src.clone()).len() <= 8 {
        return Some(Attribution {
            name: cx.orgs.antecedent(s, src.start).unwrap_or_else(|| s.to_string()),
            person: None,
            mention: Some(src),
            score: 0.8,
            rule: "organisation",
        });
    }
    // 6. a definite role description: the person the text binds to it
    let definite = lower.starts_with("the ");
    let has_role = bare.split(|c: char| !c.is_alphanumeric() && c != '-').any(|w| {
        lexicon::ROLE_NOUNS.contains(&w)
            && !matches!(
                w,
                "council"
                    | "party"
                    | "group"
                    | "government"
                    | "board"
                    | "trust"
                    | "department"
                    | "union"
                    | "report"
                    | "motion"
                    | "petition"
                    | "statement"
                    | "campaign"
                    | "opposition"
            )
    });
    if definite && has_role {
        if let Some(pid) = cx.role_holder(s, src.start) {
            return Some(cx.person(pid, src, "role-bound", 0.75));
        }
        // an unbound role: the last named speaker, or (in a lede) the person named next
        if let Some((prev, _, _)) = last.filter(|l| l.0.person.is_some()) {
            return Some(Attribution { mention: Some(src), score: 0.55, rule: "role-last-speaker", ..prev.clone() });
        }
        if qi == 0 || last.is_none() {
            let si = cx.seg.sentence_of(src.start)?;
            for s2 in cx.seg.sentences.iter().skip(si + 1).take(2) {
                if let Some((m, pid)) = cx.people.persons_in(&s2.range).first() {
                    if m.start <= s2.range.start + 30 {
                        return Some(cx.person(*pid, src, "role-lede", 0.55));
                    }
                }
            }
        }
    }
    // 7. the description itself: its noun phrase, or no speaker when the words hold none
    let np = description_np(text, src.clone())?;
    if np != src {
        // the phrase held a clause: its noun phrase may be a pronoun or an organisation
        let core = text[np.clone()].trim();
        if lexicon::pronoun(core).is_some() || is_org_like(core) {
            return resolve(cx, q, np, last, spans, qi);
        }
    }
    let desc = text[np].trim();
    if let Some(org) = cx.orgs.antecedent(desc, src.start) {
        return Some(Attribution {
            name: org,
            person: None,
            mention: Some(src),
            score: 0.6,
            rule: "organisation-named",
        });
    }
    Some(Attribution { name: desc.to_string(), person: None, mention: Some(src), score: 0.5, rule: "description" })
}

#[cfg(test)]
mod tests {
    use super::is_org_like;

    #[test]
    fn a_participle_is_no_organisation() {
        for s in ["Joined", "Unveiling", "Pressured"] {
            assert!(!is_org_like(s), "{s}");
        }
        for s in ["Labour", "Kent Police", "UNITED", "Oxfam International"] {
            assert!(is_org_like(s), "{s}");
        }
    }
}
