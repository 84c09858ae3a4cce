//! Stage 5b: people. Clusters PERSON mentions into one record per person
//! (fullest name, variants, title, party, ward, roles, gender) from all their
//! mentions and the words around them: "(Con, Brackley East)", "Conservative
//! councillor X", "X, the portfolio holder for ...", "Council leader X",
//! "X is the leader of ...".

use crate::entities::Mention;
use crate::lexicon::{self, ROLE_NOUNS};
use crate::model::{EntityLabel, Person};
use crate::normalise::Normalised;
use crate::segment::Segmented;
use crate::text::{trim, window_ahead, window_back, words};
use std::collections::HashMap;
use std::ops::Range;

/// People records and, for each mention, the person it belongs to.
#[derive(Debug, Clone, Default)]
pub struct People {
    pub people: Vec<Person>,
    /// Aligned with the mentions given to [`build`]: the person of each PERSON mention.
    pub mention_person: Vec<Option<usize>>,
    /// Byte range of every PERSON mention with its person, in text order.
    pub mentions: Vec<(Range<usize>, usize)>,
}

impl People {
    /// The person mentioned inside a byte range, first mention first.
    pub fn persons_in(&self, r: &Range<usize>) -> Vec<(Range<usize>, usize)> {
        let from = self.mentions.partition_point(|(m, _)| m.start < r.start);
        self.mentions[from..]
            .iter()
            .take_while(|(m, _)| m.start < r.end)
            .filter(|(m, _)| m.end <= r.end)
            .cloned()
            .collect()
    }
    /// The mentions that end before a byte offset, most recent first.
    pub fn mentions_before(&self, pos: usize) -> impl Iterator<Item = &(Range<usize>, usize)> {
        let upto = self.mentions.partition_point(|(m, _)| m.start < pos);
        self.mentions[..upto].iter().rev().filter(move |(m, _)| m.end <= pos)
    }
}

fn name_tokens(s: &str) -> Vec<&str> {
    s.split_whitespace().collect()
}

fn compatible(a: &[&str], b: &[&str]) -> bool {
    let (Some(la), Some(lb)) = (a.last(), b.last()) else {
        return false;
    };
    if la != lb {
        return false;
    }
    if a.len() == 1 || b.len() == 1 {
        return true;
    }
    a[0].chars().next() == b[0].chars().next()
}

/// A first name alone ("Sir Roderick", "Rachel has been honest") belongs to
/// the one person of the article whose full name starts with it, if only one
/// does. After most titles one word is a surname ("Mr Dean", "Cllr Grant"):
/// only a bare word, or one after Sir or Dame, can be a first name.
fn first_name_of(names: &NameIndex, toks: &[&str], title: Option<&str>) -> Option<usize> {
    let [first] = toks else { return None };
    if title.is_some_and(|t| !matches!(t, "Sir" | "Dame")) {
        return None;
    }
    match names.by_first.get(*first).map(Vec::as_slice) {
        Some([only]) => Some(*only),
        _ => None,
    }
}

/// People by the words of their names, so that a mention finds its person without reading
/// every person of the article: by last word (compatible names share it) and, for names of
/// two words or more, by first word.
#[derive(Default)]
struct NameIndex {
    by_last: HashMap<String, Vec<usize>>,
    by_first: HashMap<String, Vec<usize>>,
}

impl NameIndex {
    fn find(&self, people: &[Person], toks: &[&str]) -> Option<usize> {
        let ids = self.by_last.get(*toks.last()?)?;
        ids.iter().copied().find(|&p| compatible(&name_tokens(&people[p].name), toks))
    }

    fn add(&mut self, pid: usize, name: &str) {
        let toks = name_tokens(name);
        if let Some(last) = toks.last() {
            let ids = self.by_last.entry(last.to_string()).or_default();
            if !ids.contains(&pid) {
                ids.push(pid);
            }
        }
        if toks.len() >= 2 {
            self.by_first.entry(toks[0].to_string()).or_default().push(pid);
        }
    }

    fn rename(&mut self, pid: usize, old: &str, new: &str) {
        let old_toks = name_tokens(old);
        if old_toks.len() >= 2 {
            if let Some(ids) = self.by_first.get_mut(old_toks[0]) {
                ids.retain(|&p| p != pid);
            }
        }
        self.add(pid, new);
    }
}

fn role_like(s: &str) -> bool {
    if s.contains(crate::text::DOUBLE_MARKS) {
        return false; // a role quotes nobody: the words are a clause ("the group remains "fully behind" ...")
    }
    let l = s.to_lowercase();
    let ws: Vec<&str> = l.split(|c: char| !c.is_alphanumeric() && c != '-').filter(|w| !w.is_empty()).collect();
    // a role is a noun phrase: a finite verb means the words run into a clause ("leader Helen Marsh has called on")
    if ws.iter().any(|w| {
        matches!(
            *w,
            "has"
                | "have"
                | "had"
                | "said"
                | "says"
                | "called"
                | "is"
                | "was"
                | "will"
                | "would"
                | "were"
                | "are"
                | "told"
                | "urged"
                | "remains"
        )
    }) {
        return false;
    }
    !ws.is_empty()
        && ws.len() <= 14
        && ws.iter().any(|w| ROLE_NOUNS.contains(w) || *w == "portfolio" || *w == "cabinet" || *w == "shadow")
}

/// Runs the people stage over the recogniser's mentions.
pub fn build(n: &Normalised<'_>, seg: &Segmented, mentions: &[Mention]) -> People {
    let text = n.text;
    let mut out = People { mention_person: vec![None; mentions.len()], ..Default::default() };
    let mut names = NameIndex::default();
    // cluster: full names first so that surnames attach to them
    let mut order: Vec<usize> = (0..mentions.len()).filter(|&i| mentions[i].label == EntityLabel::Person).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(name_tokens(&text[mentions[i].range.clone()]).len()));
    for i in order {
        let m = &mentions[i];
        let s = &text[m.range.clone()];
        let toks = name_tokens(s);
        let found = names
            .find(&out.people, &toks)
            .or_else(|| first_name_of(&names, &toks, m.title.as_ref().map(|t| &text[t.clone()])));
        let pid = match found {
            Some(p) => p,
            None => {
                out.people.push(Person {
                    id: out.people.len(),
                    name: s.to_string(),
                    variants: Vec::new(),
                    title: None,
                    party: None,
                    roles: Vec::new(),
                    ward: None,
                    organisation: None,
                    gender: None,
                    mentions: Vec::new(),
                });
                names.add(out.people.len() - 1, s);
                out.people.len() - 1
            }
        };
        out.mention_person[i] = Some(pid);
        let p = &mut out.people[pid];
        if toks.len() > name_tokens(&p.name).len() {
            names.rename(pid, &p.name, s);
            p.name = s.to_string();
        }
        let variant = match &m.title {
            Some(t) => text[t.start..m.range.end].to_string(),
            None => s.to_string(),
        };
        if !p.variants.contains(&variant) {
            p.variants.push(variant);
        }
        if let Some(t) = &m.title {
            let title = &text[t.clone()];
            if p.title.is_none() {
                p.title = Some(title.to_string());
            }
            if p.gender.is_none() {
                p.gender = lexicon::title_gender(title);
            }
        }
        if p.gender.is_none() && toks.len() >= 2 {
            p.gender = lexicon::first_name_gender(toks[0]);
        }
        p.mentions.push(n.index.span(m.range.clone()));
        // attributes from the words around the mention
        attributes(text, seg, m, p);
    }
    for p in &mut out.people {
        p.mentions.sort();
        p.variants.sort_by_key(|v| std::cmp::Reverse(v.len()));
    }
    let mut ms: Vec<(Range<usize>, usize)> =
        mentions.iter().zip(&out.mention_person).filter_map(|(m, p)| p.map(|p| (m.range.clone(), p))).collect();
    ms.sort_by_key(|(r, _)| r.start);
    out.mentions = ms;
    out
}

/// How far (bytes) around a mention its party, ward and roles are read: about 50 words each way.
const ATTRIBUTE_WINDOW: usize = 300;

/// Party, ward and roles from the words around a mention (within [`ATTRIBUTE_WINDOW`]).
fn attributes(text: &str, seg: &Segmented, m: &Mention, p: &mut Person) {
    let para_end = seg.paragraph_of(m.range.start).map(|i| seg.paragraphs[i].end).unwrap_or(text.len());
    let after = &text[m.range.end..window_ahead(text, m.range.end, para_end.max(m.range.end), ATTRIBUTE_WINDOW)];
    // "(Con, Brackley East)" / "(Labour, Kingsthorpe South, shadow portfolio for ...)"
    if let Some(inner) = after.strip_prefix(" (").and_then(|s| s.split_once(')')).map(|(a, _)| a) {
        let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
        if let Some(party) = parts.first().and_then(|x| lexicon::party_of(x)) {
            p.party.get_or_insert_with(|| party.to_string());
            if let Some(w) = parts.get(1).filter(|w| !role_like(w)) {
                p.ward.get_or_insert_with(|| w.to_string());
            }
            for r in parts.iter().skip(1).filter(|r| role_like(r)) {
                push_role(p, r);
            }
        }
    }
    // "X, the portfolio holder for Children and Education, said"
    if let Some(rest) = after.strip_prefix(", ") {
        let end = rest.find([',', '.', ';', '(']).unwrap_or(rest.len());
        let cand = rest[..end].trim();
        let lower = cand.to_lowercase();
        if role_like(cand) && !lower.starts_with("who") && !lower.starts_with("said") && !lower.starts_with("and") {
            let cand = cand.strip_prefix("the ").or_else(|| cand.strip_prefix("The ")).unwrap_or(cand);
            push_role(p, cand);
            org_of_role(p, cand);
        }
    }
    // "X is the leader of ..." / "X, who is the ..."
    for lead in [" is the ", " is a ", " was the ", ", who is the ", ", who is "] {
        if let Some(rest) = after.strip_prefix(lead) {
            let end = rest.find([',', '.', ';']).unwrap_or(rest.len());
            let cand = rest[..end].trim();
            if role_like(cand) {
                push_role(p, cand);
                org_of_role(p, cand);
            }
        }
    }
    // before the mention (same sentence): "Conservative councillor X", "Council leader X", "Leader of the Y, councillor X"
    let head = m.title.as_ref().map(|t| t.start).unwrap_or(m.range.start);
    let sent_start = seg.sentence_of(head).map(|i| seg.sentences[i].range.start).unwrap_or(0).min(head);
    let sent_start = window_back(text, sent_start, head, ATTRIBUTE_WINDOW);
    let before = trim(text, sent_start..head, &[]);
    let ws = words(text, before.clone());
    if let Some(last) = ws.last() {
        // the two words before first: "Liberal Democrat councillor X" is a Liberal Democrat
        let two = (ws.len() >= 2).then(|| &text[ws[ws.len() - 2].start..last.end]);
        let party = two.and_then(lexicon::party_of).or_else(|| lexicon::party_of(last.text));
        if let Some(party) = party {
            if last.text.len() > 3 && text[last.end..head].trim().is_empty() {
                p.party.get_or_insert_with(|| party.to_string());
            }
        }
    }
    // contiguous lower-case role words right before ("Council leader", "Party leader councillor", "Parent")
    let mut k = ws.len();
    while k > 0
        && text[ws[k - 1].end..if k == ws.len() { head } else { ws[k].start }].trim().is_empty()
        && k + 6 > ws.len()
    {
        k -= 1;
    }
    if k < ws.len() {
        let phrase = trim(text, ws[k].start..head, &[]);
        let s = &text[phrase.clone()];
        let s = s.trim_end_matches(|c: char| c.is_whitespace());
        let s = s.split_whitespace().filter(|w| !lexicon::TITLES.contains(w)).collect::<Vec<_>>().join(" ");
        // a role ends in its noun, not a preposition ("backed a motion for Ms Lee" is no role)
        let to_name =
            s.rsplit(' ').next().is_some_and(|w| matches!(w, "for" | "to" | "of" | "by" | "with" | "against"));
        if role_like(&s) && lexicon::party_of(&s).is_none() && !to_name {
            push_role(p, &s);
        }
    }
    // "Leader of the West Northants Labour Group, councillor X said"
    if let Some(stripped) = text[before.clone()].strip_suffix(',') {
        let s = without_according_to(stripped.trim());
        if role_like(s) && s.split_whitespace().count() <= 12 {
            push_role(p, s);
            org_of_role(p, s);
        }
    }
}

/// A role without the "According to" that introduces it ("According to Labour's chief whip,
/// Cllr X" -> "Labour's chief whip").
fn without_according_to(s: &str) -> &str {
    let lead = "according to ";
    match s.get(..lead.len()) {
        Some(h) if h.eq_ignore_ascii_case(lead) => s[lead.len()..].trim_start(),
        _ => s,
    }
}

fn push_role(p: &mut Person, r: &str) {
    let r = r.trim().trim_end_matches(',');
    if !r.is_empty() && !p.roles.iter().any(|x| x.eq_ignore_ascii_case(r)) {
        p.roles.push(r.to_string());
    }
}

fn org_of_role(p: &mut Person, role: &str) {
    if p.organisation.is_some() {
        return;
    }
    for sep in [" of the ", " of ", " at the ", " at ", " for the "] {
        if let Some((_, org)) = role.split_once(sep) {
            if org.chars().next().is_some_and(|c| c.is_uppercase()) {
                p.organisation = Some(org.trim().to_string());
                return;
            }
        }
    }
    if let Some((org, _)) = role.split_once("\u{2019}s ").or_else(|| role.split_once("'s ")) {
        if org.chars().next().is_some_and(|c| c.is_uppercase()) {
            p.organisation = Some(org.trim().to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalise::normalise;
    use crate::segment::segment;

    fn person(text: &str, form: &str, nth: usize, title: Option<&str>) -> Mention {
        let start = text.match_indices(form).nth(nth).unwrap().0;
        let title = title.map(|t| {
            let s = text[..start].rfind(t).unwrap();
            s..s + t.len()
        });
        Mention { range: start..start + form.len(), label: EntityLabel::Person, title, score: 0.9 }
    }

    #[test]
    fn a_lone_first_name_joins_the_one_person_who_has_it() {
        let t = "Sir Roderick Tolley met Rachel Bell, Rachel Moss and Dean Cole. Sir Roderick said Tolley would stay. \
                 Rachel left. Mr Dean agreed.";
        let ms = vec![
            person(t, "Roderick Tolley", 0, None),
            person(t, "Rachel Bell", 0, None),
            person(t, "Rachel Moss", 0, None),
            person(t, "Roderick", 1, Some("Sir")),
            person(t, "Tolley", 1, None),
            person(t, "Rachel", 2, None),
            person(t, "Dean Cole", 0, None),
            person(t, "Dean", 1, Some("Mr")),
        ];
        let n = normalise(t);
        let p = build(&n, &segment(&n), &ms);
        let names: Vec<&str> = p.people.iter().map(|p| p.name.as_str()).collect();
        // "Rachel" is ambiguous (two Rachels) and "Mr Dean" is a surname: records of their own
        assert_eq!(names, ["Roderick Tolley", "Rachel Bell", "Rachel Moss", "Dean Cole", "Rachel", "Dean"]);
        assert_eq!(p.mention_person[3], Some(0));
        assert_eq!(p.mention_person[4], Some(0));
        assert_eq!(p.people[0].title.as_deref(), Some("Sir"));
    }
}
