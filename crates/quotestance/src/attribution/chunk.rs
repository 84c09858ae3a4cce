//! Noun phrases in source phrases. The quotes stage cuts a source phrase around each speech
//! cue ("In a letter on Tuesday, the Labour group leader, Cllr Ann Lee,"); the chunker finds
//! the noun phrase in it that speaks: not a leading adverbial or subordinate clause, not a
//! trailing relative clause, time words or finite verb. With no part-of-speech model in the
//! rule layer, word classes come from closed lists (data, below) and word shapes.

use crate::lexicon;
use crate::text::{trim, words};
use std::ops::Range;

/// Words a description never starts with: conjunctions, prepositions, time words.
pub(super) const NOT_NP_START: &[&str] = &[
    "and",
    "but",
    "or",
    "so",
    "as",
    "in",
    "on",
    "at",
    "to",
    "for",
    "of",
    "with",
    "by",
    "from",
    "after",
    "before",
    "when",
    "while",
    "since",
    "then",
    "also",
    "yesterday",
    "today",
    "tonight",
    "earlier",
    "later",
    "meanwhile",
    "however",
    "despite",
    "amid",
    "among",
    "between",
    "within",
    "without",
    "against",
    "about",
    "across",
    "into",
    "during",
    "which",
    "who",
    "that",
    "this",
    "it",
    "there",
    "here",
    "what",
    "whether",
    "how",
    "why",
];

/// Words that end a description's noun phrase: finite verbs and auxiliaries after its head.
const NP_STOPS: &[&str] = &[
    "has",
    "have",
    "had",
    "is",
    "are",
    "was",
    "were",
    "will",
    "would",
    "can",
    "could",
    "may",
    "might",
    "must",
    "should",
    "shall",
    "did",
    "does",
    "do",
    "went",
    "hit",
    "came",
    "made",
    "took",
    "gave",
    "got",
    "said",
    "says",
    "told",
    "added",
    "called",
    "urged",
    "accused",
    "claimed",
    "warned",
    "demanded",
    "backed",
    "welcomed",
    "criticised",
    "criticized",
    "dismissed",
    "rejected",
    "stated",
    "wrote",
    "declared",
    "announced",
    "responded",
    "argued",
    "insisted",
    "including",
    "which",
    "who",
    "whose",
    "where",
    "when",
    "while",
    "sent",
    "saw",
    "put",
    "kept",
    "held",
    "spoke",
    "left",
    "brought",
    "thought",
    "felt",
    "found",
    "knew",
    "began",
    "became",
    "but",
    "says",
    "tells",
    "wants",
    "calls",
    "claims",
    "insists",
    "argues",
];

/// Words that open a time expression after a noun phrase ("the regulator last month").
const TIME_OPENERS: &[&str] = &[
    "yesterday",
    "today",
    "tonight",
    "tomorrow",
    "earlier",
    "later",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Words after "last", "this", "next", "on" or "in" that make a time expression ("last month",
/// "on Friday", "in January").
const TIME_NOUNS: &[&str] = &[
    "week",
    "weekend",
    "month",
    "year",
    "night",
    "morning",
    "afternoon",
    "evening",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Whether word `i` opens a time expression ("yesterday", "last month", "in January", "three
/// weeks ago").
fn time_at(lower: &[String], caps: &[bool], i: usize) -> bool {
    let w = lower[i].as_str();
    let next = lower.get(i + 1).map(String::as_str);
    let in_name = i > 0 && caps[i - 1] && caps.get(i + 1) == Some(&true); // "Oldfield Sunday League"
    (TIME_OPENERS.contains(&w) && !in_name)
        || (matches!(w, "last" | "this" | "next" | "on" | "in") && next.is_some_and(|n| TIME_NOUNS.contains(&n)))
        || lower.get(i + 2).is_some_and(|a| a == "ago")
}

/// Whether a word cannot open a noun phrase because it is a verb: an auxiliary, a finite verb of
/// the closed list, or a lower-case past-tense shape ("did not", "filed the complaints").
fn opens_with_verb(lower: &str, word: &str) -> bool {
    (NP_STOPS.contains(&lower)
        && !matches!(lower, "who" | "which" | "whose" | "where" | "when" | "while" | "including"))
        || is_finite_ed(lower, word)
}

/// Words that say how many and nothing more: a phrase of these alone has no head noun
/// ("More than 95", "first").
const QUANTIFIERS: &[&str] = &[
    "more", "than", "most", "first", "last", "all", "both", "some", "many", "several", "few", "one", "two", "three",
    "four", "five", "six", "seven", "eight", "nine", "ten", "per", "cent", "the", "a", "an", "of",
];

/// Words before an "-ed" word that make it a modifier, not a finite verb ("the proposed
/// resolution", "a recently retired judge", "two unnamed sources").
const BEFORE_MODIFIER: &[&str] = &[
    "the", "a", "an", "his", "her", "its", "their", "our", "this", "that", "these", "those", "by", "of", "for", "and",
    "newly", "two", "three", "four", "five", "several", "many", "some", "other", "former", "self",
];

/// Lower-case words ending in "-ly" that are nouns, not adverbs.
const LY_NOUNS: &[&str] =
    &["family", "assembly", "rally", "ally", "supply", "reply", "monopoly", "anomaly", "bully", "july"];

/// Where "issued this statement" begins in a source phrase ("The union issued this statement:",
/// "The club released a statement saying", "The assembly backed a motion for X to quit,
/// saying"): the issuer, before it, is the speaker.
pub(super) fn statement_verb(phrase: &str) -> Option<usize> {
    let lower = phrase.to_lowercase();
    lexicon::ISSUE_VERBS.iter().find_map(|verb| {
        let i = lower.find(&format!(" {verb} "))?;
        let next = lower[i + verb.len() + 2..].split_whitespace().take(2).collect::<Vec<_>>();
        let statement = next
            .iter()
            .any(|w| matches!(*w, "statement" | "letter" | "response" | "motion" | "petition" | "resolution"));
        let determiner =
            next.first().is_some_and(|w| matches!(*w, "a" | "this" | "the" | "its" | "their" | "his" | "her"));
        (statement && determiner && i > 0).then_some(i)
    })
}

/// The core of a source phrase: without leading adverbials or subordinate clauses ("In a
/// joint letter on Tuesday, eleven federations"; "As far as whether X still senses anger, the
/// Vermont senator"), and without a trailing non-restrictive clause ("The Shareholders'
/// Association, which represents investors"; "..., led by Germany").
pub(super) fn core_of(text: &str, src: Range<usize>) -> Range<usize> {
    let mut start = src.start;
    for _ in 0..3 {
        let s = &text[start..src.end];
        let Some(c) = s.find(", ").filter(|&c| s[c + 2..].split_whitespace().next().is_some()) else {
            break;
        };
        if !opens_adverbial(&s[..c], &s[c + 2..]) {
            break;
        }
        start += c + 2;
    }
    let rest = &text[start..src.end];
    let cut = [", which ", ", who ", ", whose ", ", led by ", ", representing ", ", run by ", ", backed by "]
        .iter()
        .filter_map(|m| rest.find(m))
        .chain(statement_verb(rest))
        .min();
    let end = cut.map_or(src.end, |c| start + c);
    if end > start {
        start..end
    } else {
        src
    }
}

/// Whether the words before a comma are a leading adverbial or subordinate clause rather than
/// a subject: they open with a preposition, conjunction or clause word ("In", "As", "Asked"),
/// a participle ("Speaking", "Responding"), or a lower-case word that is no determiner (the
/// cue's phrase began mid-clause: "governance at Bath, the campus unions") when a noun
/// phrase opens after the comma.
fn opens_adverbial(before_comma: &str, after_comma: &str) -> bool {
    let Some(first) = before_comma.split_whitespace().next() else { return false };
    let np_after = after_comma
        .split_whitespace()
        .next()
        .is_some_and(|w| w.chars().next().is_some_and(|c| c.is_uppercase()) || is_np_opener(&w.to_lowercase()));
    let lower = first.to_lowercase();
    let capital = first.chars().next().is_some_and(|c| c.is_uppercase());
    NOT_NP_START.contains(&lower.as_str())
        || lexicon::CLAUSE_OPENERS.contains(&lower.as_str())
        || matches!(lower.as_str(), "later" | "earlier" | "speaking" | "writing" | "responding" | "despite" | "amid")
        || (capital && lower.len() > 5 && lower.ends_with("ing"))
        || (!capital && np_after && !is_np_opener(&lower) && lexicon::pronoun(first).is_none())
}

/// Words that may open a noun phrase in lower case: determiners, possessives, quantifiers.
fn is_np_opener(lower: &str) -> bool {
    QUANTIFIERS.contains(&lower)
        || matches!(lower, "his" | "her" | "its" | "their" | "our" | "these" | "those" | "this" | "that" | "other")
}

/// The noun phrase of a description phrase ("The Lib Dems have hit back" -> "The Lib Dems";
/// "Five council members signed onto a memo" -> "Five council members"; "And as the
/// findings became known, Republicans went on the attack" -> "Republicans"). Leading clauses,
/// conjunctions and prepositions go; the phrase ends before a finite verb, a relative or
/// clause word, a time expression, a trailing adverb or a participle clause after a comma.
/// `None` when no noun phrase with a head is left ("to the", "In", "More than 95", "making
/// promises in").
pub(super) fn description_np(text: &str, src: Range<usize>) -> Option<Range<usize>> {
    let src = trim(text, src, &['\'', '"', '\u{2018}', '\u{2019}', '\u{201c}', '\u{201d}', ',', ':', ' ']);
    let src = after_closing_quote(text, after_dateline(text, core_of(text, src)));
    let ws = words(text, src.clone());
    let lower: Vec<String> = ws.iter().map(|w| w.text.to_lowercase()).collect();
    let caps: Vec<bool> = ws.iter().map(|w| w.text.chars().next().is_some_and(char::is_uppercase)).collect();
    let mut first = 0;
    while first < ws.len() && NOT_NP_START.contains(&lower[first].as_str()) {
        first += 1;
    }
    // "Asked whether she ..." with no comma: the pronoun in it is the speaker
    if lower.first().is_some_and(|w| lexicon::CLAUSE_OPENERS.contains(&w.as_str())) {
        let p = ws.iter().rposition(|w| lexicon::pronoun(w.text).is_some())?;
        return Some(ws[p].range());
    }
    // a participle or verb opening the phrase ("making promises in", "did not") leaves no subject
    let participle = |w: &String| w.ends_with("ing") && w.len() > 5 && *w == ws[first].text;
    if lower
        .get(first)
        .is_some_and(|w| participle(w) || opens_with_verb(w, ws[first].text) || time_at(&lower, &caps, first))
    {
        return None;
    }
    let mut end = first;
    while end < ws.len() && (end == first || !ends_np(text, &ws, &lower, &caps, first, end)) {
        end += 1;
    }
    // "this week saw her own staff ...": a time before the verb is no subject; the verb's object is
    if end < ws.len()
        && lower[first..end]
            .iter()
            .all(|w| TIME_NOUNS.contains(&w.as_str()) || matches!(w.as_str(), "this" | "last" | "next"))
    {
        first = end + 1;
        end = first;
        while end < ws.len() && (end == first || !ends_np(text, &ws, &lower, &caps, first, end)) {
            end += 1;
        }
    }
    // trailing adverbs, conjunctions, prepositions and determiners ("staff unanimously", "his forms and")
    while end > first + 1
        && (is_adverb(&lower[end - 1], ws[end - 1].text)
            || NOT_NP_START.contains(&lower[end - 1].as_str())
            || matches!(lower[end - 1].as_str(), "the" | "a" | "an"))
    {
        end -= 1;
    }
    let first_person = end == first + 1 && matches!(lower[first].as_str(), "i" | "we" | "me" | "us");
    if first >= end
        || first_person
        || lower[first..end].iter().all(|w| QUANTIFIERS.contains(&w.as_str()) || is_number(w))
    {
        return None;
    }
    let r = close_brackets(text, trim(text, ws[first].start..ws[end - 1].end, &[',', '(', ')']));
    let same_words = first == 0 && end == ws.len();
    Some(if same_words && src.end >= r.end { src } else { r })
}

/// Whether word `i` ends the noun phrase that opened at `first`.
fn ends_np(text: &str, ws: &[crate::text::Tok<'_>], lower: &[String], caps: &[bool], first: usize, i: usize) -> bool {
    let w = lower[i].as_str();
    let prev = lower[i - 1].as_str();
    let next = lower.get(i + 1).map(String::as_str);
    let after_comma = text[ws[i - 1].end..ws[i].start].contains(',');
    NP_STOPS.contains(&w)
        || time_at(lower, caps, i)
        || (is_finite_ed(w, ws[i].text)
            && !BEFORE_MODIFIER.contains(&prev)
            && next != Some("by")
            && !is_adverb(prev, ws[i - 1].text))
        || (after_comma && (w.ends_with("ed") || w.ends_with("ing")) && w == ws[i].text && i > first)
}

/// A lower-case word with a past-tense shape ("signed", "stopped"), not a short noun ("need").
fn is_finite_ed(lower: &str, word: &str) -> bool {
    lower == word
        && lower.len() >= 5
        && lower.ends_with("ed")
        && !matches!(lower, "speed" | "breed" | "greed" | "creed")
}

fn is_adverb(lower: &str, word: &str) -> bool {
    lower == word && lower.len() > 4 && lower.ends_with("ly") && !LY_NOUNS.contains(&lower)
}

fn is_number(w: &str) -> bool {
    w.chars().next().is_some_and(|c| c.is_ascii_digit())
}

/// The part after a dateline ("COLUMBIA, S.C. \u{2014} A state senator" -> "A state senator").
fn after_dateline(text: &str, r: Range<usize>) -> Range<usize> {
    match text[r.clone()].rfind(['\u{2014}', '\u{2013}', '\u{2015}']) {
        Some(i) => {
            let dash = text[r.start + i..].chars().next().map_or(1, char::len_utf8);
            rest_after(text, r.clone(), r.start + i + dash, &[' '])
        }
        None => r,
    }
}

/// The words of `r` after byte `at`, trimmed of `extra`; all of `r` when none are left.
fn rest_after(text: &str, r: Range<usize>, at: usize, extra: &[char]) -> Range<usize> {
    let rest = trim(text, at..r.end, extra);
    if rest.is_empty() {
        r
    } else {
        rest
    }
}

/// The part after a closing quote mark inside a phrase (",\u{2019} she" -> "she"): the words
/// before it were quoted.
fn after_closing_quote(text: &str, r: Range<usize>) -> Range<usize> {
    let s = &text[r.clone()];
    let mut closing = s
        .char_indices()
        .filter(|&(i, c)| matches!(c, '\u{201d}' | '"') || (c == '\u{2019}' && s[..i].ends_with([',', '.', '!', '?'])));
    match closing.next_back() {
        Some((i, c)) => rest_after(text, r.clone(), r.start + i + c.len_utf8(), &[' ', ',']),
        None => r,
    }
}

/// Takes in a closing bracket the phrase opened: "the union (NTEU" -> "the union (NTEU)".
fn close_brackets(text: &str, r: Range<usize>) -> Range<usize> {
    let s = &text[r.clone()];
    if s.matches('(').count() > s.matches(')').count() && text[r.end..].starts_with(')') {
        r.start..r.end + 1
    } else {
        r
    }
}

/// What makes a produced speaker name no speaker, if anything: it is empty, a lone title or
/// determiner, or opens with a conjunction, preposition or quote mark; it holds a finite verb,
/// a time expression or an unclosed bracket. Names of people and organisations pass; this
/// checks descriptions (the test over every produced speaker uses it).
pub fn speaker_shape_problem(name: &str) -> Option<&'static str> {
    let ws: Vec<&str> = name.split_whitespace().collect();
    let lower: Vec<String> = ws.iter().map(|w| w.to_lowercase()).collect();
    let first = lower.first()?;
    if first.starts_with(|c: char| !c.is_alphanumeric()) {
        return Some("opens with punctuation");
    }
    let quote_mark = name.char_indices().any(|(i, c)| {
        matches!(c, '\u{201c}' | '\u{201d}' | '"' | '\u{2018}')
            || (c == '\u{2019}' && !name[..i].ends_with(char::is_alphabetic)) // not an apostrophe
    });
    if quote_mark {
        return Some("holds a quote mark");
    }
    if NOT_NP_START.contains(&first.as_str()) && lexicon::pronoun(ws[0]).is_none() {
        return Some("opens with a conjunction, preposition or time word");
    }
    let title =
        lexicon::TITLES.iter().any(|t| t.trim_end_matches('.').eq_ignore_ascii_case(ws[0].trim_end_matches('.')));
    if ws.len() == 1 && (title || matches!(first.as_str(), "the" | "a" | "an" | "i" | "we")) {
        return Some("a title, determiner or first person alone");
    }
    if opens_with_verb(first, ws[0]) {
        return Some("opens with a verb");
    }
    let last = lower.last()?.trim_end_matches(',');
    if ws.len() > 1 && (NOT_NP_START.contains(&last) || matches!(last, "the" | "a" | "an")) {
        return Some("ends with a function word");
    }
    if name.matches('(').count() != name.matches(')').count() {
        return Some("an unclosed bracket");
    }
    if name.contains(['\u{2014}', '\u{2013}', '\u{2015}']) {
        return Some("holds a dateline or dash");
    }
    let caps: Vec<bool> = ws.iter().map(|w| w.chars().next().is_some_and(char::is_uppercase)).collect();
    for i in 0..ws.len() {
        let w = lower[i].as_str();
        if time_at(&lower, &caps, i) {
            return Some("holds a time expression");
        }
        if i > 0
            && NP_STOPS.contains(&w)
            && !matches!(w, "who" | "which" | "whose" | "where" | "when" | "while" | "including")
        {
            return Some("holds a finite verb");
        }
        let modifier =
            i > 0 && (BEFORE_MODIFIER.contains(&lower[i - 1].as_str()) || is_adverb(&lower[i - 1], ws[i - 1]));
        let next = lower.get(i + 1).map(String::as_str);
        if i > 0 && is_finite_ed(w, ws[i]) && !modifier && next != Some("by") && !ws[i - 1].ends_with(',') {
            return Some("holds a finite verb");
        }
    }
    None
}
