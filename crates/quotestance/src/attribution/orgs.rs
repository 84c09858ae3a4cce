//! Organisations a description refers back to, as the articles' readers resolve them: "the
//! INMO" after "the Irish Nurses and Midwives Organisation (INMO)", "the council" after
//! "Bracknell Forest Council", "the trust" after "East Sussex Healthcare NHS Trust".

use crate::entities::Mention;
use crate::lexicon;
use crate::model::EntityLabel;
use crate::text::words;
use std::ops::Range;

/// Head nouns of definite descriptions that refer back to a named organisation.
const ORG_HEADS: &[&str] = &[
    "union",
    "council",
    "trust",
    "company",
    "club",
    "charity",
    "board",
    "university",
    "college",
    "federation",
    "association",
    "commission",
    "authority",
    "department",
    "bank",
    "airline",
    "service",
    "organisation",
    "organization",
    "committee",
    "society",
    "institute",
    "agency",
    "ministry",
    "league",
    "party",
    "watchdog",
    "regulator",
    "government",
    "inspectorate",
    "group",
    "firm",
    "foundation",
    "network",
];

/// Capitalised words that open a sentence or clause, not a name.
const SENTENCE_WORDS: &[&str] = &[
    "The",
    "A",
    "An",
    "This",
    "That",
    "But",
    "And",
    "In",
    "On",
    "At",
    "For",
    "Of",
    "As",
    "When",
    "While",
    "After",
    "Before",
    "Meanwhile",
    "However",
    "If",
    "Yesterday",
    "Today",
    "Last",
    "Its",
    "Their",
    "His",
    "Her",
];

/// Words of the company sense: a company need not say "company" in its name ("Air Canada").
const COMPANY_HEADS: &[&str] = &["company", "firm", "airline", "group", "carrier", "retailer", "bank"];

/// The article's organisation mentions (not outlets), in text order.
pub(super) struct Orgs<'a> {
    text: &'a str,
    mentions: Vec<Range<usize>>,
}

impl<'a> Orgs<'a> {
    /// From the entity stage's ORG mentions and, as the rule recogniser tags no organisations,
    /// the capitalised names ending in an organisation's head noun ("Bracknell Forest Council").
    pub(super) fn new(text: &'a str, mentions: &[Mention]) -> Orgs<'a> {
        let mut ranges: Vec<Range<usize>> = mentions
            .iter()
            .filter(|m| m.label == EntityLabel::Org && !lexicon::is_outlet(&text[m.range.clone()]))
            .map(|m| m.range.clone())
            .collect();
        for r in headed_names(text) {
            if !ranges.iter().any(|m| m.start < r.end && r.start < m.end) {
                ranges.push(r);
            }
        }
        ranges.sort_by_key(|r| r.start);
        Orgs { text, mentions: ranges }
    }

    /// The organisation a description made at `pos` names: an acronym the text spells out
    /// ("the INMO"), or a definite description ("The union", "the Montreal-based company")
    /// whose head noun the most recent organisation before it shares (any organisation, the
    /// most mentioned, for a company). `None` when the text names none.
    pub(super) fn antecedent(&self, desc: &str, pos: usize) -> Option<String> {
        let bare = desc.trim().strip_prefix("the ").or_else(|| desc.trim().strip_prefix("The "));
        if let Some(full) = self.spelled_out(bare.unwrap_or(desc.trim())) {
            return Some(full);
        }
        let bare = bare?;
        let head = bare.split_whitespace().last()?.to_lowercase();
        if !ORG_HEADS.contains(&head.as_str()) || bare.chars().next().is_some_and(|c| c.is_uppercase()) {
            return None;
        }
        let before = self.mentions.iter().rev().filter(|m| m.end <= pos).map(|m| &self.text[m.clone()]);
        let named = before.clone().find(|name| name.to_lowercase().split_whitespace().any(|w| w == head));
        let name =
            named.or_else(|| COMPANY_HEADS.contains(&head.as_str()).then(|| self.most_mentioned(pos)).flatten())?;
        Some(without_article(name).to_string())
    }

    /// "INMO" -> "Irish Nurses and Midwives Organisation" when the text writes "... (INMO)".
    fn spelled_out(&self, acronym: &str) -> Option<String> {
        let caps = (2..=6).contains(&acronym.len()) && acronym.chars().all(|c| c.is_ascii_uppercase());
        if !caps {
            return None;
        }
        let at = self.text.find(&format!("({acronym})"))?;
        let before = self.text[..at].trim_end();
        let m = self.mentions.iter().find(|m| m.end == before.len())?;
        Some(without_article(&self.text[m.clone()]).to_string())
    }

    /// The most mentioned organisation before `pos` that may be a company (its name does not
    /// end in another kind's head noun: "... Association", "... Council").
    fn most_mentioned(&self, pos: usize) -> Option<&'a str> {
        let company = |name: &str| {
            let head = name.split_whitespace().last().unwrap_or("").to_lowercase();
            !ORG_HEADS.contains(&head.as_str()) || COMPANY_HEADS.contains(&head.as_str())
        };
        let names: Vec<&str> = self
            .mentions
            .iter()
            .filter(|m| m.end <= pos)
            .map(|m| &self.text[m.clone()])
            .filter(|n| company(n))
            .collect();
        names.iter().max_by_key(|n| names.iter().filter(|x| x == n).count()).copied()
    }
}

/// Capitalised names whose last word is an organisation's head noun: "Irish Nurses and
/// Midwives Organisation", "East Sussex Healthcare NHS Trust" (inner "of", "and", "for", "the").
fn headed_names(text: &str) -> Vec<Range<usize>> {
    let ws = words(text, 0..text.len());
    let cap = |i: usize| ws[i].text.chars().next().is_some_and(|c| c.is_uppercase());
    let joined = |i: usize| text[ws[i - 1].end..ws[i].start] == *" ";
    let mut out = Vec::new();
    for (i, w) in ws.iter().enumerate() {
        if !cap(i) || !ORG_HEADS.contains(&w.text.to_lowercase().as_str()) {
            continue;
        }
        let mut start = i;
        while start > 0 && joined(start) {
            let prev = ws[start - 1].text;
            let connector =
                matches!(prev, "of" | "and" | "for" | "&") && start >= 2 && cap(start - 2) && joined(start - 1);
            if cap(start - 1) && !SENTENCE_WORDS.contains(&prev) {
                start -= 1;
            } else if connector {
                start -= 2;
            } else {
                break;
            }
        }
        if start < i {
            out.push(ws[start].start..w.end);
        }
    }
    out
}

fn without_article(name: &str) -> &str {
    name.strip_prefix("the ").or_else(|| name.strip_prefix("The ")).unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(text: &str, name: &str) -> Mention {
        let start = text.find(name).unwrap();
        Mention { range: start..start + name.len(), label: EntityLabel::Org, title: None, score: 1.0 }
    }

    #[test]
    fn acronyms_and_definite_descriptions_name_the_organisation() {
        let text = "The Riverside Nurses Association (RNA) said wards were full. Harbour Foods \
                    reported a loss. The RNA said it was worse. The association said so. The company said no.";
        // the association is found by its head noun; the company is an entity mention
        let orgs = Orgs::new(text, &[org(text, "Harbour Foods")]);
        let end = text.len();
        assert_eq!(orgs.antecedent("The RNA", end).as_deref(), Some("Riverside Nurses Association"));
        assert_eq!(orgs.antecedent("The association", end).as_deref(), Some("Riverside Nurses Association"));
        // a company need not say "company": the most mentioned organisation, the latest of equals
        assert_eq!(orgs.antecedent("The company", end).as_deref(), Some("Harbour Foods"));
        assert_eq!(orgs.antecedent("The council", end), None);
        assert_eq!(orgs.antecedent("a spokesman", end), None);
    }
}
