//! Stage 3: quotes. Finds direct quotations (by their marks) and reported
//! speech (by cue patterns), each with the syntactic attribution clause next
//! to it: the cue (speech verb or noun) and the source noun phrase. Turning
//! the source phrase into a speaker is the attribution stage's job.

use crate::lexicon::{CALL_FOR, CHARACTERISING_VERBS, CLAUSE_STOPS, CLAUSE_VERBS, OBJECT_VERBS, SPEECH_VERBS};
use crate::model::QuoteKind;
use crate::normalise::Normalised;
use crate::segment::Segmented;
use crate::text::{trim, words};
use std::ops::Range;

/// A quotation found by the rules, before attribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteCandidate {
    /// The quoted words (byte range; quote marks excluded).
    pub content: Range<usize>,
    pub kind: QuoteKind,
    /// The speech verb or noun that introduces it.
    pub cue: Option<Range<usize>>,
    /// The noun phrase the attribution clause names as the source ("Cllr Smith", "he", "the opposition leader").
    pub source: Option<Range<usize>>,
    /// Paragraph index where the quote starts.
    pub paragraph: usize,
    /// The quote opens its paragraph (a candidate for speaker continuation).
    pub opens_paragraph: bool,
}

/// Quote-mark families.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Double,
    Single,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Open,
    Close,
    Either,
    None,
}

fn family(c: char) -> Option<Family> {
    match c {
        '"' | '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{00ab}' | '\u{00bb}' => Some(Family::Double),
        '\'' | '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{2039}' | '\u{203a}' => Some(Family::Single),
        _ => None,
    }
}

fn is_open_context(c: Option<char>) -> bool {
    match c {
        None => true,
        Some(c) => c.is_whitespace() || matches!(c, '(' | '[' | '{' | '\u{2014}' | '\u{2013}' | '-' | '/' | ':'),
    }
}

fn is_close_context(c: Option<char>) -> bool {
    match c {
        None => true,
        Some(c) => {
            c.is_whitespace()
                || (c.is_ascii_punctuation() && c != '\'' && c != '"')
                || matches!(c, '\u{2014}' | '\u{2013}' | '\u{2026}')
        }
    }
}

/// What a quote mark can do here, from its neighbours.
fn role(c: char, prev: Option<char>, next: Option<char>) -> Role {
    let letter = |x: Option<char>| x.is_some_and(|x| x.is_alphanumeric());
    match c {
        '\u{201c}' | '\u{201e}' | '\u{00ab}' | '\u{2018}' | '\u{201a}' | '\u{2039}' => {
            if c == '\u{2018}' && letter(prev) && !letter(next) {
                Role::Close
            } else if c == '\u{201c}' && !is_open_context(prev) && is_close_context(next) {
                Role::Either // closes „...“
            } else {
                Role::Open
            }
        }
        '\u{201d}' | '\u{00bb}' | '\u{203a}' => {
            if is_open_context(prev) && !is_close_context(next) && c == '\u{201d}' {
                Role::Either
            } else {
                Role::Close
            }
        }
        '\u{2019}' | '\'' => {
            if letter(prev) && letter(next) {
                Role::None // don't, Children's
            } else if is_open_context(prev) && next.is_some_and(|n| !n.is_whitespace()) {
                if c == '\'' {
                    Role::Open
                } else {
                    Role::Either
                }
            } else if !prev.is_some_and(|p| p.is_whitespace()) && is_close_context(next) {
                Role::Close // may be a possessive plural (Jones'), decided by pairing
            } else {
                Role::None
            }
        }
        '"' => {
            let o = is_open_context(prev) && next.is_some_and(|n| !n.is_whitespace());
            let cl = !prev.is_some_and(|p| p.is_whitespace()) && is_close_context(next);
            match (o, cl) {
                (true, false) => Role::Open,
                (false, true) => Role::Close,
                _ => Role::Either,
            }
        }
        _ => Role::None,
    }
}

/// One quote mark in the text.
#[derive(Debug, Clone, Copy)]
struct Mark {
    pos: usize,
    len: usize,
    fam: Family,
    role: Role,
}

fn marks_in(text: &str, r: Range<usize>) -> Vec<Mark> {
    let s = &text[r.clone()];
    let mut out = Vec::new();
    let mut prev: Option<char> = text[..r.start].chars().next_back();
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        let next = it.peek().map(|&(_, d)| d).or_else(|| text[r.end..].chars().next());
        if let Some(fam) = family(c) {
            let role = role(c, prev, next);
            if role != Role::None {
                out.push(Mark { pos: r.start + i, len: c.len_utf8(), fam, role });
            }
        }
        prev = Some(c);
    }
    out
}

/// A paired quotation: the byte positions of its marks.
#[derive(Debug, Clone)]
struct Pair {
    open: Mark,
    close: Option<Mark>,
    /// Paragraph where it starts and where it ends.
    para_start: usize,
    end: usize,
}

/// Pairs quote marks, paragraph by paragraph, carrying an unclosed quote into the next
/// paragraph when that one reopens with a mark of the same family (a speech over
/// several paragraphs).
fn pair_marks(text: &str, seg: &Segmented) -> Vec<Pair> {
    let mut out: Vec<Pair> = Vec::new();
    let mut carry: Option<Pair> = None;
    for (pi, para) in seg.paragraphs.iter().enumerate() {
        let marks = marks_in(text, para.clone());
        let mut idx = 0;
        let mut open: Option<Pair> = None;
        if let Some(mut c) = carry.take() {
            // continuation: the paragraph must open with a mark of the same family
            match marks.first() {
                Some(m) if m.pos == para.start && m.fam == c.open.fam && m.role != Role::Close => {
                    idx = 1;
                    c.end = para.end;
                    open = Some(c);
                }
                _ => out.push(c),
            }
        }
        // nested marks of the other family inside an open quote
        let mut nested: Option<Family> = None;
        while idx < marks.len() {
            let m = marks[idx];
            idx += 1;
            match &mut open {
                None => {
                    if matches!(m.role, Role::Open | Role::Either) {
                        open = Some(Pair { open: m, close: None, para_start: pi, end: para.end });
                        nested = None;
                    }
                }
                Some(p) => {
                    if m.fam != p.open.fam {
                        // nested quote of the other family: open/close it, ignore otherwise
                        match (nested, m.role) {
                            (None, Role::Open | Role::Either) => nested = Some(m.fam),
                            (Some(_), Role::Close | Role::Either) => nested = None,
                            _ => {}
                        }
                        continue;
                    }
                    if matches!(m.role, Role::Close | Role::Either) {
                        p.close = Some(m);
                        p.end = m.pos;
                        out.push(open.take().expect("open quote"));
                    } else if m.role == Role::Open && m.fam == Family::Double {
                        // a second opener: the first was never closed; restart here
                        open = Some(Pair { open: m, close: None, para_start: pi, end: para.end });
                    }
                }
            }
        }
        if let Some(mut p) = open {
            p.end = para.end;
            carry = Some(p);
        }
    }
    if let Some(c) = carry {
        out.push(c);
    }
    // an unclosed single mark is far more often an apostrophe ('90s, rock 'n' roll)
    out.retain(|p| p.close.is_some() || p.open.fam == Family::Double);
    out
}

fn lower_words(text: &str, r: Range<usize>) -> Vec<(Range<usize>, String)> {
    words(text, r).into_iter().map(|w| (w.range(), w.text.to_lowercase())).collect()
}

/// Finds a speech verb; returns the range of the verb.
fn is_speech_verb(w: &str) -> bool {
    SPEECH_VERBS.contains(&w)
}

/// Whether the quote that closes at `close_end` ends with punctuation an attribution follows, or
/// a comma or dash follows it.
fn closed_for_attribution(text: &str, close_end: usize) -> bool {
    let inside = text[..close_end].trim_end_matches(|c| family(c).is_some());
    inside.ends_with([',', '?', '!', '.', '\u{2026}'])
        || text[close_end..].trim_start().starts_with([',', '\u{2014}', '\u{2013}', '\u{2015}'])
}

/// The attribution clause after a closing mark: `, he said`, `, said Cllr Smith`, `— Jane Doe`.
fn attribution_after(text: &str, from: usize, limit: usize) -> Option<(Range<usize>, Range<usize>)> {
    let rest = &text[from..limit];
    // up to the end of the clause: next full stop (not one inside brackets: "Sen. Ann Cole
    // (D-Ore.) told ..."), quote mark or newline
    let mut depth = 0usize;
    let stop = rest
        .char_indices()
        .find(|&(i, c)| {
            match c {
                '(' => depth += 1,
                ')' => depth = depth.saturating_sub(1),
                _ => {}
            }
            matches!(c, '\n' | '"' | '\u{201c}' | '\u{201d}' | '\u{2018}' | '\u{00ab}' | ';' | '?' | '!')
                || (c == '.'
                    && depth == 0
                    && !crate::segment::ends_with_abbreviation(&rest[..=i])
                    && !rest[i + 1..].starts_with(',')) // "Mitch McConnell, R-Ky., said"
        })
        .map(|(i, _)| i)
        .unwrap_or(rest.len());
    let clause = from..from + stop;
    let lead = text[clause.clone()].trim_start();
    if let Some(dash) = lead.strip_prefix(['\u{2014}', '\u{2013}', '\u{2015}', '-']) {
        // "— Jane Doe, leader of ..." lead-in
        let s = from + (text[clause.clone()].len() - dash.len());
        let src = trim(text, s..clause.end, &[',', ' ']);
        return (!src.is_empty()).then_some((s..s, src));
    }
    let ws = lower_words(text, clause.clone());
    if ws.is_empty() {
        return None;
    }
    // "said X" / "X said" within the first words; further after a name in apposition
    // ("Scott Pruitt, the attorney general of Oklahoma, one of the states suing, said")
    let apposition = text[ws[0].0.clone()].starts_with(char::is_uppercase) && ws.len() > 2 && {
        let first_comma = text[clause.clone()].find(',').map(|i| clause.start + i);
        first_comma.is_some_and(|c| ws.iter().take(4).any(|(r, _)| r.end == c))
    };
    let reach = if apposition { 25 } else { 9 };
    for (k, (r, w)) in ws.iter().enumerate().take(reach) {
        if k >= 9 && !(is_speech_verb(w) && text[ws[k - 1].0.end..r.start].contains(',')) {
            continue;
        }
        if is_speech_verb(w) {
            if k == 0 {
                // said Cllr Smith, leader of ... (not "suggests that ...": a clause, not a name)
                if ws.get(1).is_some_and(|(_, w)| w == "that") {
                    return None;
                }
                let after = r.end..clause.end;
                let src_end = text[after.clone()].find(',').map(|i| after.start + i).unwrap_or(after.end);
                let src = trim(text, after.start..src_end, &[',']);
                if src.is_empty() {
                    return None;
                }
                return Some((r.clone(), src));
            }
            let src = trim(text, clause.start..r.start, &[',', '\u{2014}', '\u{2013}', '\u{2015}']);
            if src.is_empty() {
                return None;
            }
            return Some((r.clone(), src));
        }
        if w == "according" && ws.get(k + 1).is_some_and(|(_, x)| x == "to") {
            let s = ws[k + 1].0.end;
            let src = trim(text, s..clause.end, &[',']);
            return (!src.is_empty()).then(|| (r.start..ws[k + 1].0.end, src));
        }
    }
    None
}

/// The attribution clause before an opening mark: `Cllr Smith said: “`, `He added, “`, `from Jane Doe: “`.
fn attribution_before(text: &str, seg: &Segmented, lo: usize, open: usize) -> Option<(Range<usize>, Range<usize>)> {
    let before = &text[lo..open];
    let t = before.trim_end();
    if t.is_empty() {
        return None;
    }
    let ends_colon = t.ends_with(':');
    let ends_comma = t.ends_with(',');
    let core = t.trim_end_matches([':', ',']).trim_end();
    let core_end = lo + core.len();
    // the clause starts at the sentence start (or lo)
    let sent_start =
        seg.sentence_of(core_end.saturating_sub(1)).map(|i| seg.sentences[i].range.start).unwrap_or(lo).max(lo);
    let ws = lower_words(text, sent_start..core_end);
    let adjunct_verb = verb_before_adjunct(&ws);
    let ws = &ws[..adjunct_verb.map_or(ws.len(), |v| v + 1)];
    // "Malone said in part:": the clause ends at the verb
    let core_end = match (adjunct_verb, ws.last()) {
        (Some(_), Some((r, _))) => r.end,
        _ => core_end,
    };
    let (last_r, last_w) = ws.last()?.clone();
    // "... said:" / "..., saying:" / "X added,"
    if is_speech_verb(&last_w) && (ends_colon || ends_comma || last_r.end == core_end) {
        let mut src_end = last_r.start;
        // drop adverbs/auxiliaries between subject and verb: "also", "has", "then"
        for (r, w) in ws.iter().rev().skip(1) {
            if matches!(
                w.as_str(),
                "also"
                    | "has"
                    | "had"
                    | "have"
                    | "then"
                    | "later"
                    | "previously"
                    | "simply"
                    | "just"
                    | "further"
                    | "again"
            ) {
                src_end = r.start;
            } else {
                break;
            }
        }
        let mut src = trim(text, sent_start..src_end, &[',', '\u{2014}', '\u{2013}', '\u{2015}']);
        // "He also apologised on behalf of X, saying:" -> the subject is the sentence start
        if last_w.ends_with("ing") {
            // after a leading adverbial ("During a speech, Trump attacked X, saying:")
            let opener = text[src.clone()].split_whitespace().next().unwrap_or("").to_lowercase();
            if ADVERBIAL_OPENERS.contains(&opener.as_str())
                || matches!(opener.as_str(), "with" | "as" | "when" | "while")
            {
                if let Some(c) = text[src.clone()].find(", ") {
                    src = src.start + c + 2..src.end;
                }
            }
            let sub_end = text[src.clone()].find([',', ' ']).map(|i| src.start + i);
            if let Some(e) = sub_end {
                let first = words(text, src.clone());
                if let Some(f) = first.first() {
                    if crate::lexicon::pronoun(f.text).is_some() {
                        src = f.range();
                    } else {
                        // the subject's capitalised run ("Dame Celia can be heard saying")
                        let cap = |w: &crate::text::Tok<'_>| w.text.starts_with(char::is_uppercase);
                        let run = first.iter().take(5).take_while(|w| cap(w)).last().map_or(e, |w| w.end);
                        src = src.start..run;
                    }
                }
            }
        }
        if src.is_empty() {
            return None;
        }
        return Some((last_r, src));
    }
    // "from Jane Doe:" / "Cllr Doe:" lead-ins
    if ends_colon {
        if let Some(i) = ws.iter().rposition(|(_, w)| w == "from") {
            let src = trim(text, ws[i].0.end..core_end, &[',']);
            if !src.is_empty() && src.end - src.start < 80 {
                return Some((ws[i].0.clone(), src));
            }
        }
        let lead = trim(text, sent_start..core_end, &[',', '\u{2014}', '\u{2013}', '\u{2015}', '-']);
        if ws.len() <= 12 && text[lead.clone()].chars().next().is_some_and(|c| c.is_uppercase()) {
            return Some((core_end..core_end, lead));
        }
    }
    None
}

/// How far back (bytes) a speech cue is looked for before a short quote: about 60 words.
const CUE_WINDOW: usize = 400;

/// Words that open an adjunct after a speech verb ("said in a statement:", "told reporters on
/// Tuesday:", "said in part,").
const ADJUNCT_OPENERS: &[&str] = &[
    "in",
    "on",
    "at",
    "during",
    "after",
    "before",
    "via",
    "through",
    "from",
    "outside",
    "later",
    "today",
    "yesterday",
];

/// The index of a speech verb followed only by an adjunct at the end of `ws` ("Malone said in
/// part", "she told reporters on Tuesday"): the words after it are at most five, open with
/// a preposition or time word, and hold no other verb.
fn verb_before_adjunct(ws: &[(Range<usize>, String)]) -> Option<usize> {
    let n = ws.len();
    let v = (n.saturating_sub(6)..n.saturating_sub(1)).rev().find(|&i| is_speech_verb(&ws[i].1))?;
    let opener = &ws[v + 1].1;
    let told_whom =
        matches!(ws[v].1.as_str(), "told" | "tells") && matches!(opener.as_str(), "reporters" | "journalists");
    (ADJUNCT_OPENERS.contains(&opener.as_str()) || told_whom)
        .then_some(v)
        .filter(|_| !ws[v + 1..].iter().any(|(_, w)| is_speech_verb(w)))
}

/// True when a speech cue occurs in the sentence before `pos` (within [`CUE_WINDOW`]).
fn cue_before_in_sentence(text: &str, seg: &Segmented, pos: usize) -> bool {
    let Some(si) = seg.sentence_of(pos) else {
        return false;
    };
    let start = crate::text::window_back(text, seg.sentences[si].range.start.min(pos), pos, CUE_WINDOW);
    lower_words(text, start..pos).iter().any(|(_, w)| is_speech_verb(w) || CHARACTERISING_VERBS.contains(&w.as_str()))
        && !text[start..pos].to_lowercase().contains("so-called")
}

/// Just past the full stop that ends an attribution clause starting at `from` ("Ann said to
/// the board."), when the clause holds no quote mark before it.
fn full_stop_after(text: &str, from: usize, limit: usize) -> Option<usize> {
    let rest = &text[from..limit.max(from)];
    let stop = rest.find('.')?;
    (!rest[..stop].contains(crate::text::DOUBLE_MARKS)).then_some(from + stop + 1)
}

/// Direct quotations.
fn direct(n: &Normalised<'_>, seg: &Segmented) -> Vec<QuoteCandidate> {
    let text = n.text;
    let pairs = pair_marks(text, seg);
    let mut out = Vec::new();
    let mut prev_close = 0usize;
    // where the last kept quote's following attribution ("..." Ann said.) ends, in its paragraph
    let mut attributed_until: Option<(usize, usize)> = None;
    for p in &pairs {
        let cstart = p.open.pos + p.open.len;
        let cend = p.close.map(|c| c.pos).unwrap_or(p.end);
        let content = trim(text, cstart..cend.max(cstart), &[]);
        if content.is_empty() {
            continue;
        }
        let para = seg.paragraphs[p.para_start].clone();
        let word_count = words(text, content.clone()).len();
        let lo = prev_close.max(para.start);
        let close_end = p.close.map(|c| c.pos + c.len).unwrap_or(p.end);
        let end_para =
            seg.paragraph_of(close_end.saturating_sub(1)).map(|i| seg.paragraphs[i].end).unwrap_or(close_end);
        let after = attribution_after(text, close_end, end_para);
        let mut before = attribution_before(text, seg, lo, p.open.pos);
        if before.is_none() && p.open.pos == para.start && p.para_start > 0 {
            let prev = seg.paragraphs[p.para_start - 1].clone();
            if text[prev.clone()].trim_end().ends_with(':') && prev.start >= prev_close {
                before = attribution_before(text, seg, prev.start, prev.end);
            }
        }
        // short quotes are scare quotes or ratings unless speech is reported around them, a colon
        // introduces them, or they go on from an attributed quote ('"Yes," Ann said. "I would."')
        let speech_goes_on = attributed_until.is_some_and(|(end, para)| {
            para == p.para_start && text.get(end..p.open.pos).is_some_and(|gap| gap.trim().is_empty())
        });
        if word_count <= 3
            && after.is_none()
            && !speech_goes_on
            && !text[..p.open.pos].trim_end_matches([' ', '\u{a0}']).ends_with(':')
            && !cue_before_in_sentence(text, seg, p.open.pos)
        {
            prev_close = close_end;
            continue;
        }
        // an attribution follows a quote that a comma, question or exclamation closes ('"...,"
        // Smith said', '"...", said Smith'), not one the sentence runs on from ('"a mistake" to
        // use private email while ..., but she denied'); either still says speech is reported
        let after = after.filter(|_| closed_for_attribution(text, close_end));
        attributed_until = after
            .as_ref()
            .and_then(|(cue, src)| full_stop_after(text, cue.end.max(src.end), end_para))
            .map(|e| (e, p.para_start));
        let (cue, source) = match (after, before) {
            (Some(a), _) => (Some(a.0), Some(a.1)),
            (None, Some(b)) => (Some(b.0), Some(b.1)),
            _ => (None, None),
        };
        out.push(QuoteCandidate {
            content,
            kind: QuoteKind::Direct,
            cue,
            source,
            paragraph: p.para_start,
            opens_paragraph: p.open.pos == para.start,
        });
        prev_close = close_end;
    }
    out
}

fn find_phrase(ws: &[(Range<usize>, String)], phrase: &str) -> Option<(usize, usize)> {
    let parts: Vec<&str> = phrase.split(' ').collect();
    (0..ws.len()).find_map(|i| {
        (i + parts.len() <= ws.len() && parts.iter().enumerate().all(|(k, p)| ws[i + k].1 == *p))
            .then_some((i, i + parts.len()))
    })
}

/// End of a reported clause: the first stop phrase after `from`, else the sentence end.
fn clause_end(text: &str, from: usize, sent_end: usize, call: bool) -> usize {
    let s = &text[from..sent_end];
    let mut end = s.len();
    if call {
        for stop in CLAUSE_STOPS {
            if let Some(i) = s.find(stop) {
                // keep "step down from his post" ; stop only after the infinitive if any
                end = end.min(i);
            }
        }
    }
    let r = trim(text, from..from + end, &['.', ',', ';', ':', '"', '\u{201d}', '\u{201c}']);
    r.end
}

const AUXILIARIES: &[&str] = &[
    "has",
    "have",
    "had",
    "also",
    "have also",
    "has also",
    "had also",
    "previously",
    "now",
    "already",
    "repeatedly",
    "publicly",
    "today",
    "yesterday",
    "again",
    "then",
    "later",
    "earlier",
    "formally",
    "will",
    "would",
    "is",
    "are",
    "was",
    "were",
];

/// Words that open a new clause: a subject never reaches back across them.
const CLAUSE_WORDS: &[&str] = &[
    "after",
    "when",
    "as",
    "because",
    "while",
    "since",
    "but",
    "and",
    "that",
    "which",
    "who",
    "if",
    "although",
    "though",
    "where",
    "before",
    "until",
    "so",
    "whether",
    "however",
    "meanwhile",
    "yet",
    "once",
    "unless",
];

/// Words that open a sentence's leading adverbial, closed by a comma before the subject.
const ADVERBIAL_OPENERS: &[&str] =
    &["in", "on", "at", "after", "before", "by", "following", "despite", "amid", "during", "speaking", "asked"];

/// Whether the "and" at word `i` joins two capitalised words inside one name or subject ("the
/// Irish Nurses and Midwives Organisation", "York's Labour and Conservative groups") rather
/// than opening a clause.
fn joins_names(text: &str, ws: &[(Range<usize>, String)], i: usize) -> bool {
    let cap = |j: usize| ws.get(j).is_some_and(|(r, _)| text[r.clone()].chars().next().is_some_and(char::is_uppercase));
    // "Cllr Ida Moss and her colleagues": a name and the people around it speak as one
    let companions = || {
        ws.get(i + 1).is_some_and(|(_, w)| matches!(w.as_str(), "his" | "her" | "their"))
            && ws.get(i + 2).is_some_and(|(_, w)| COMPANIONS.contains(&w.as_str()))
    };
    ws[i].1 == "and" && i > 0 && cap(i - 1) && (cap(i + 1) || companions())
}

/// The people a named speaker may stand with as one subject: "X and her colleagues said".
const COMPANIONS: &[&str] = &[
    "colleagues",
    "allies",
    "supporters",
    "team",
    "family",
    "deputies",
    "fellow",
    "members",
    "councillors",
    "wife",
    "husband",
];

/// The subject before a verb at word index `vi`: the noun phrase right before it (minus
/// auxiliaries), back to a clause word; when that is empty (", and said"), the person or
/// pronoun that opens the sentence.
fn subject(text: &str, ws: &[(Range<usize>, String)], clause_start: usize, vi: usize) -> Option<Range<usize>> {
    let mut end_i = vi;
    // auxiliaries and adverbs ("has also", "forcefully") between the subject and its verb
    let adverb = |(r, w): &(Range<usize>, String)| {
        w.len() > 5 && w.ends_with("ly") && text[r.clone()] == *w && !matches!(w.as_str(), "family" | "assembly")
    };
    while end_i > 0 && (AUXILIARIES.contains(&ws[end_i - 1].1.as_str()) || adverb(&ws[end_i - 1])) {
        end_i -= 1;
    }
    let first = ws.iter().position(|(r, _)| r.start >= clause_start)?;
    if end_i == 0 || end_i <= first {
        return None;
    }
    // a pronoun right before the verb is the subject ("Asked whether he would go, he said")
    if crate::lexicon::pronoun(&text[ws[end_i - 1].0.clone()]).is_some() {
        return Some(ws[end_i - 1].0.clone());
    }
    // a relative clause ("an administration who thinks") reports nothing
    if matches!(ws[end_i - 1].1.as_str(), "who" | "which" | "that" | "whom") {
        return None;
    }
    // ", said": the verb closes an apposition, so the subject is the whole opening phrase
    let gap = &text[ws[end_i - 1].0.end..ws[vi].0.start];
    if gap.contains(',') && end_i - first <= 25 {
        let r = trim(text, ws[first].0.start..ws[end_i - 1].0.end, &[',', '(', ')']);
        if !r.is_empty() {
            return Some(r);
        }
    }
    let mut s = end_i;
    // back to a clause word or a comma that closes a leading adverbial ("In calling for X's
    // resignation, Senate leader Rob Ortt of Tonawanda told")
    let opener = ws[first].1.as_str();
    // a participle opening the sentence ("Speaking to the BBC, ..."; "Joined on stage by ...,
    // Mr Cole said"), not a name ("Alfred Cole, the chair, said": a capital follows it)
    let past_participle = opener.ends_with("ed")
        && opener.len() > 4
        && ws.get(first + 1).is_some_and(|(r, _)| text[r.clone()].starts_with(|c: char| c.is_lowercase()));
    let adverbial =
        ADVERBIAL_OPENERS.contains(&opener) || (opener.ends_with("ing") && opener.len() > 5) || past_participle;
    while s > first
        && (!CLAUSE_WORDS.contains(&ws[s - 1].1.as_str()) || joins_names(text, ws, s - 1))
        && !(adverbial && s < end_i && text[ws[s - 1].0.end..ws[s].0.start].contains(','))
        && end_i - s < 14
    {
        s -= 1;
    }
    if s == end_i && end_i - first <= 25 {
        // ", and said": the subject opens the sentence, before the clause word
        let r = trim(text, ws[first].0.start..ws[end_i - 1].0.start, &[',', ' ']);
        if !r.is_empty() {
            return Some(r);
        }
    }
    if s < end_i && !(s > first && end_i - s >= 14) {
        let r = trim(text, ws[s].0.start..ws[end_i - 1].0.end, &[',', '(', ')']);
        if !r.is_empty() {
            return Some(r);
        }
    }
    // fall back to the sentence opener: a pronoun or a capitalised name run
    let w0 = &ws[first];
    if crate::lexicon::pronoun(&text[w0.0.clone()]).is_some() {
        return Some(w0.0.clone());
    }
    let mut k = first;
    while k < vi && text[ws[k].0.clone()].chars().next().is_some_and(|c| c.is_uppercase()) && k - first < 5 {
        k += 1;
    }
    (k > first).then(|| ws[first].0.start..ws[k - 1].0.end)
}

/// One sentence: its words (lowercased) and the direct quotes (`blocked`, sorted) in the text.
struct Sentence<'a> {
    text: &'a str,
    range: Range<usize>,
    ws: Vec<(Range<usize>, String)>,
    blocked: &'a [Range<usize>],
}

/// A reported clause one pattern found: the clause, its cue and its source.
struct Reported {
    content: Range<usize>,
    cue: Range<usize>,
    source: Option<Range<usize>>,
}

impl Sentence<'_> {
    /// Whether byte `pos` lies inside a direct quote.
    fn quoted(&self, pos: usize) -> bool {
        let i = self.blocked.partition_point(|b| b.start <= pos);
        i > 0 && pos < self.blocked[i - 1].end
    }

    /// The reported clause as a candidate, cut before a direct quote it runs into; none when
    /// it is under two words, nothing is left before the quote, or it starts inside one.
    fn candidate(&self, found: Reported, para: usize) -> Option<QuoteCandidate> {
        let (text, blocked) = (self.text, self.blocked);
        let Reported { mut content, cue, source } = found;
        if content.is_empty() || words(text, content.clone()).len() < 2 {
            return None;
        }
        // a reported clause that runs into a direct quote stops before it
        let next = blocked.partition_point(|b| b.start <= content.start);
        if let Some(b) = blocked.get(next).filter(|b| b.start < content.end) {
            let lead = &text[content.start..b.start];
            if lead.contains(':') || lead.trim_end().ends_with(',') {
                content = trim(text, content.start..b.start, &['"', '\u{201c}', '\u{2018}', '\'', ':', ',', ' ']);
            }
        }
        if content.is_empty() || self.quoted(content.start) {
            return None;
        }
        Some(QuoteCandidate {
            content,
            kind: QuoteKind::Indirect,
            cue: Some(cue),
            source,
            paragraph: para,
            opens_paragraph: false,
        })
    }
}

/// Reported speech in one sentence (outside direct quotes): of the patterns that match, the
/// one whose cue comes first.
fn indirect_in_sentence(
    text: &str,
    sent: Range<usize>,
    para: usize,
    blocked: &[Range<usize>],
    out: &mut Vec<QuoteCandidate>,
) {
    let s = Sentence { text, ws: lower_words(text, sent.clone()), range: sent, blocked };
    if s.ws.len() < 4 {
        return;
    }
    let found = [called_for(&s), urged_to(&s), vowed_to(&s), according_to(&s), said_that(&s), said_at_end(&s)];
    let mut found: Vec<QuoteCandidate> = found.into_iter().flatten().filter_map(|r| s.candidate(r, para)).collect();
    // the earliest cue of the sentence wins: later cues sit inside its clause
    found.sort_by_key(|q| q.cue.as_ref().map(|c| c.start).unwrap_or(usize::MAX));
    let mut found = found.into_iter();
    let Some(mut best) = found.next() else { return };
    // "In calling for X's resignation, Y told reporters that ...": a leading participle clause
    // has no subject of its own; the main clause's subject speaks both, and both are reported
    if leading_participle(&s, &best) {
        // the participle clause ends at its comma, before the main clause's cue
        let comma = text[best.content.clone()].find(',').map(|c| best.content.start + c);
        let main = comma.and_then(|c| found.find(|q| q.cue.as_ref().is_some_and(|cue| cue.start > c)));
        if let (Some(c), Some(main)) = (comma, main) {
            best.content = trim(text, best.content.start..c, &[]);
            best.source = main.source.clone();
            out.push(best);
            out.push(main);
            return;
        }
    }
    out.push(best);
}

/// Whether a reported clause's cue is a participle opening its sentence after at most a
/// preposition ("In calling for", "By demanding", "Calling for").
fn leading_participle(s: &Sentence<'_>, q: &QuoteCandidate) -> bool {
    let Some(cue) = &q.cue else { return false };
    let Some(vi) = s.ws.iter().position(|(r, _)| r.start == cue.start) else { return false };
    s.ws[vi].1.ends_with("ing")
        && s.ws[..vi].iter().all(|(_, w)| matches!(w.as_str(), "in" | "by" | "after" | "while" | "when"))
}

/// Verbs of backing a motion, petition, letter or statement ("X signed a motion calling for").
const BACKING_VERBS: &[&str] = &[
    "signed",
    "tabled",
    "backed",
    "launched",
    "started",
    "submitted",
    "organised",
    "organized",
    "delivered",
    "sent",
    "wrote",
    "issued",
    "published",
    "passed",
];

/// A call: "X called for Y to resign", motions and petitions "calling for". The first call
/// phrase (in `CALL_FOR` order) outside a direct quote.
fn called_for(s: &Sentence<'_>) -> Option<Reported> {
    let ws = &s.ws;
    for phrase in CALL_FOR {
        if let Some((a, b)) = find_phrase(ws, phrase) {
            if s.quoted(ws[a].0.start) || b >= ws.len() {
                continue;
            }
            let start = ws[b].0.start;
            let end = clause_end(s.text, start, s.range.end, true);
            return Some(Reported { content: start..end, cue: ws[a].0.start..ws[b - 1].0.end, source: caller(s, a) });
        }
    }
    None
}

/// Who makes the call whose phrase starts at word `a`: the backer of the motion (or petition,
/// letter, statement) calling, else that noun, else the subject.
fn caller(s: &Sentence<'_>, a: usize) -> Option<Range<usize>> {
    let ws = &s.ws;
    // "a motion calling for" / "petition calling for": the noun is the source
    let noun = (a > 0 && matches!(ws[a - 1].1.as_str(), "motion" | "petition" | "letter" | "statement"))
        .then(|| ws[a - 1].0.clone());
    // "X signed / tabled / launched a motion calling for": X, else the noun
    let backer = (0..a).rev().take(6).find(|&i| BACKING_VERBS.contains(&ws[i].1.as_str()));
    match (backer, &noun) {
        (Some(b), Some(_)) => subject(s.text, ws, s.range.start, b),
        _ => None,
    }
    .or(noun)
    .or_else(|| subject(s.text, ws, s.range.start, a))
}

/// An object verb: "X urged Y to quit", "X accused Y of lying", "X called on Y to go". The
/// first one (in `OBJECT_VERBS` order) with a subject that speaks: not passive, not a headline.
fn urged_to(s: &Sentence<'_>) -> Option<Reported> {
    let ws = &s.ws;
    for phrase in OBJECT_VERBS {
        if let Some((a, b)) = find_phrase(ws, phrase) {
            if s.quoted(ws[a].0.start) || b >= ws.len() || a == 0 {
                continue;
            }
            // "is calling on" is progressive, not passive
            let passive = !ws[a].1.ends_with("ing")
                && matches!(ws[a - 1].1.as_str(), "was" | "were" | "been" | "being" | "is" | "are");
            if matches!(ws[b].1.as_str(), "to" | "of" | "by") || passive {
                continue; // passive ("was urged to quit") or headline: nobody speaks
            }
            let rest: Vec<&str> = ws[b..].iter().map(|(_, w)| w.as_str()).collect();
            let accuse = phrase.starts_with("accus");
            let has_comp = if accuse { rest.contains(&"of") } else { rest.contains(&"to") };
            if !has_comp || (*phrase == "told" && !rest.contains(&"to")) {
                continue;
            }
            let start = ws[b].0.start;
            let end = clause_end(s.text, start, s.range.end, !accuse);
            let source = subject(s.text, ws, s.range.start, a);
            if source.is_none() {
                continue;
            }
            return Some(Reported { content: start..end, cue: ws[a].0.start..ws[b - 1].0.end, source });
        }
    }
    None
}

/// A vow reported as an infinitive: "X vowed to fight on" (span "to fight on", the annotation
/// conventions keep the "to"). Only with a subject that speaks.
fn vowed_to(s: &Sentence<'_>) -> Option<Reported> {
    const VOWS: &[&str] = &["vowed", "vows", "vowing", "pledged", "pledges", "promised", "promises"];
    let ws = &s.ws;
    let a = (1..ws.len().saturating_sub(2))
        .find(|&i| VOWS.contains(&ws[i].1.as_str()) && ws[i + 1].1 == "to" && !s.quoted(ws[i].0.start))?;
    let start = ws[a + 1].0.start;
    let end = clause_end(s.text, start, s.range.end, true);
    let source = subject(s.text, ws, s.range.start, a)?;
    Some(Reported { content: start..end, cue: ws[a].0.clone(), source: Some(source) })
}

/// "according to X, CLAUSE" and "CLAUSE, according to X" (not when X is a news outlet: what
/// an outlet reports is the reporter's copy, not a quote).
fn according_to(s: &Sentence<'_>) -> Option<Reported> {
    let (text, ws, sent) = (s.text, &s.ws, &s.range);
    let (a, b) = find_phrase(ws, "according to").filter(|&(_, b)| !outlet_follows(text, ws, b))?;
    let cue = ws[a].0.start..ws[b - 1].0.end;
    let (content, source) = if a == 0 {
        let c = text[ws[a].0.start..sent.end].find(',')?;
        // "According to the chief whip, Cllr Priya Shah, the group ...": the name is the source's
        let c = named_apposition(text, ws[b - 1].0.end..ws[a].0.start + c, sent.end).map_or(c, |e| e - ws[a].0.start);
        let source = trim(text, ws[b - 1].0.end..ws[a].0.start + c, &[]);
        let start = ws[a].0.start + c + 1;
        (trim(text, start..clause_end(text, start, sent.end, false), &[]), source)
    } else {
        (trim(text, sent.start..ws[a].0.start, &[',', ' ']), trim(text, ws[b - 1].0.end..sent.end, &['.', ',']))
    };
    Some(Reported { content, cue, source: Some(source) })
}

/// "X said (that) CLAUSE": the first clause verb with a subject before it (not a quotation)
/// and a clause of three or more words after it (two after "that").
fn said_that(s: &Sentence<'_>) -> Option<Reported> {
    let (text, ws) = (s.text, &s.ws);
    for (vi, (vr, v)) in ws.iter().enumerate() {
        if !CLAUSE_VERBS.contains(&v.as_str()) || vi == 0 || s.quoted(vr.start) {
            continue;
        }
        let after = &text[vr.end..s.range.end];
        let at = after.trim_start();
        if at.starts_with([':', '"', '\u{201c}', '\u{2018}', '\'', ',', '.']) || at.is_empty() {
            continue;
        }
        // findings verbs report only with "that" ("the issues they found were ..." reports nothing)
        if matches!(v.as_str(), "found" | "finds" | "concluded" | "concludes" | "ruled" | "rules")
            && ws.get(vi + 1).is_none_or(|(_, w)| w != "that")
        {
            continue;
        }
        let Some(src) = subject(text, ws, s.range.start, vi) else {
            continue;
        };
        let first_after = s.blocked.partition_point(|b| b.end <= src.start);
        if s.blocked.get(first_after).is_some_and(|b| b.start < src.end) {
            continue; // the words before the verb are a quotation: '"...," said X' is direct speech
        }
        let Some(k) = clause_start(s, vi) else {
            continue;
        };
        // a clause of three words or more, or two after "that" ("requested that Reed resign")
        let after_that = k > 0 && ws[k - 1].1 == "that";
        if k >= ws.len() || ws.len() - k < if after_that { 2 } else { 3 } {
            continue;
        }
        let start = ws[k].0.start;
        let mut end = clause_end(text, start, s.range.end, false);
        // "said that A and that B \"...\"": the second report holds a quoted fragment, which
        // stands alone as a quote; the first is kept as reported speech of its own
        if let Some(i) = text[start..end].find(" and that ") {
            if text[start + i..end].contains(crate::text::DOUBLE_MARKS) {
                end = trim(text, start..start + i, &[',']).end;
            }
        }
        return Some(Reported { content: start..end, cue: vr.clone(), source: Some(src) });
    }
    None
}

/// Time words skipped after a clause verb ("said on Monday", "said previously that").
const TIME_WORDS: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "yesterday",
    "today",
    "tonight",
    "publicly",
    "previously",
    "privately",
    "repeatedly",
    "again",
    "later",
    "earlier",
    "recently",
    "now",
    "also",
];

/// Words that open a phrase between a clause verb and its "that" ("said in a statement that").
const PHRASE_OPENERS: &[&str] = &[
    "in",
    "at",
    "on",
    "during",
    "outside",
    "after",
    "before",
    "to",
    "via",
    "through",
    "with",
    "from",
    "under",
    "when",
    "while",
    "afterwards",
];

/// The word where the clause reported by the verb at `vi` starts: after "that", time words
/// and a phrase. None when "told" has no "that", a phrase has no "that", or a name follows
/// the verb ("said Jane Doe, ...").
fn clause_start(s: &Sentence<'_>, vi: usize) -> Option<usize> {
    let ws = &s.ws;
    let mut k = vi + 1;
    if ws[vi].1 == "told" || ws[vi].1 == "tells" {
        // "told the BBC (that)": the clause starts after "that", or at its subject pronoun
        // ("told the forum he was ...")
        if let Some(t) = ws[k..].iter().take(8).position(|(_, w)| w == "that") {
            return Some(k + t + 1);
        }
        let pronoun = |w: &str| matches!(w, "he" | "she" | "they" | "it" | "we" | "i");
        let passive = vi > 0 && matches!(ws[vi - 1].1.as_str(), "been" | "was" | "were" | "is" | "are" | "be");
        if passive {
            return None;
        }
        return ws[k..].iter().take(5).skip(1).position(|(_, w)| pronoun(w)).map(|t| k + 1 + t);
    }
    // "said on Monday", "said last night", "said in a statement that", "said at a
    // meeting that": skip time words; a prepositional phrase needs a "that" after it
    while k < ws.len() && TIME_WORDS.contains(&ws[k].1.as_str()) {
        k += 1;
    }
    if k < ws.len() && matches!(ws[k].1.as_str(), "last" | "this") {
        k += 2;
    }
    if k < ws.len() && PHRASE_OPENERS.contains(&ws[k].1.as_str()) {
        k += ws[k..].iter().take(12).position(|(_, w)| w == "that")?;
    }
    if k < ws.len() && ws[k].1 == "that" {
        k += 1;
    }
    // "..., said Jane Doe, leader of ...": an inverted attribution, not a clause (not when the
    // subject stands right before the verb: "Mr Holt said Jo Lee, the minister, had ...")
    let after_comma = vi > 0 && s.text[s.ws[vi - 1].0.end..s.ws[vi].0.start].contains(',');
    if k == vi + 1 && after_comma && inverted_attribution(s, k) {
        return None;
    }
    Some(k)
}

/// Whether the words from `k` are a name ending the sentence or followed by a comma or full
/// stop: the speaker of an inverted attribution ("said Jane Doe, leader of ...").
fn inverted_attribution(s: &Sentence<'_>, k: usize) -> bool {
    let (text, ws) = (s.text, &s.ws);
    let capitalised = |r: &Range<usize>| text[r.clone()].chars().next().is_some_and(|c| c.is_uppercase());
    if k >= ws.len() || !capitalised(&ws[k].0) {
        return false;
    }
    let run = ws[k..].iter().take_while(|(r, _)| capitalised(r)).count();
    let after_run = ws.get(k + run).map(|(r, _)| text[ws[k + run - 1].0.end..r.start].to_string()).unwrap_or_default();
    run >= 1 && (k + run >= ws.len() || after_run.contains(',') || after_run.contains('.'))
}

/// "CLAUSE, X said." at the sentence end: a clause verb among the last six words, after a
/// comma, with only capitalised words (or "in a statement", "on", "yesterday", "today") after it.
fn said_at_end(s: &Sentence<'_>) -> Option<Reported> {
    let (text, ws, sent) = (s.text, &s.ws, &s.range);
    let n = ws.len();
    for back in 1..=6.min(n.saturating_sub(3)) {
        let vi = n - back;
        let (vr, v) = &ws[vi];
        if !CLAUSE_VERBS.contains(&v.as_str()) || s.quoted(vr.start) {
            continue;
        }
        let tail = &text[vr.end..sent.end];
        if !tail.trim().trim_end_matches(['.', '!']).split_whitespace().all(|w| {
            w.chars().next().is_some_and(|c| c.is_uppercase())
                || matches!(w, "in" | "a" | "statement" | "on" | "yesterday" | "today")
        }) && !tail.trim().trim_end_matches('.').is_empty()
        {
            continue;
        }
        // the comma before the subject
        let head = &text[sent.start..vr.start];
        let Some(c) = head.rfind(',') else { continue };
        let src_range = if back == 1 {
            trim(text, sent.start + c + 1..vr.start, &[])
        } else {
            trim(text, vr.end..sent.end, &['.', ','])
        };
        if src_range.is_empty() || src_range.end - src_range.start > 80 {
            continue;
        }
        let content = trim(text, sent.start..sent.start + c, &[',']);
        return Some(Reported { content, cue: vr.clone(), source: Some(src_range) });
    }
    None
}

/// The content range plus the quote marks around it (one char each side).
fn widen(text: &str, r: Range<usize>) -> Range<usize> {
    let start = text[..r.start].chars().next_back().map_or(r.start, |c| r.start - c.len_utf8());
    let end = text[r.end..].chars().next().map_or(r.end, |c| r.end + c.len_utf8());
    start..end
}

/// A name set off by commas after a role ("the chief whip, Cllr Priya Shah, ..."): the byte of
/// the comma that closes it. `role` ends at the first comma; the words up to the next comma
/// (before `end`) are at most five and all capitalised, and the role's last word is a role noun.
fn named_apposition(text: &str, role: Range<usize>, end: usize) -> Option<usize> {
    let head = text[role.clone()].split_whitespace().last()?.to_lowercase();
    if !crate::lexicon::ROLE_NOUNS.contains(&head.as_str()) {
        return None;
    }
    let from = role.end + 1;
    let c = text.get(from..end)?.find(',')?;
    let ws: Vec<&str> = text[from..from + c].split_whitespace().collect();
    let named = (1..=5).contains(&ws.len()) && ws.iter().all(|w| w.starts_with(char::is_uppercase));
    named.then_some(from + c)
}

/// Whether the words from `ws[k]` name a news outlet ("according to the ABC", "told Sky News").
fn outlet_follows(text: &str, ws: &[(Range<usize>, String)], k: usize) -> bool {
    let end = (k..ws.len().min(k + 5)).take_while(|&i| i == k || text[ws[i].0.clone()].starts_with(char::is_uppercase));
    let last = end.last();
    last.is_some_and(|e| (k..=e).rev().any(|j| crate::lexicon::is_outlet(&text[ws[k].0.start..ws[j].0.end])))
}

/// Runs the quotes stage.
pub fn find_quotes(n: &Normalised<'_>, seg: &Segmented) -> Vec<QuoteCandidate> {
    let text = n.text;
    let mut quotes = direct(n, seg);
    // direct quotes block reported-speech detection (marks included)
    let blocked: Vec<Range<usize>> = quotes.iter().map(|q| widen(text, q.content.clone())).collect();
    let mut reported = Vec::new();
    for s in &seg.sentences {
        indirect_in_sentence(text, s.range.clone(), s.paragraph, &blocked, &mut reported);
    }
    // fragments quoted inside reported speech: the fragment stays (as mixed), the clause goes
    let n_direct = quotes.len();
    for r in reported {
        let first = quotes[..n_direct].partition_point(|q| q.content.start < r.content.start);
        let inner: Vec<usize> = (first..n_direct)
            .take_while(|&i| quotes[i].content.start <= r.content.end + 4)
            .filter(|&i| quotes[i].kind == QuoteKind::Direct && quotes[i].content.end <= r.content.end + 4)
            .collect();
        if inner.is_empty() {
            quotes.push(r);
        } else {
            for i in inner {
                let q = &mut quotes[i];
                q.kind = QuoteKind::Mixed;
                if q.source.is_none() {
                    q.source = r.source.clone();
                    q.cue = r.cue.clone();
                }
            }
        }
    }
    quotes.sort_by_key(|q| q.content.start);
    quotes.dedup_by(|b, a| a.content.start < b.content.end && b.content.start < a.content.end);
    quotes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalise::normalise;
    use crate::segment::segment;

    fn quotes(t: &str) -> Vec<(String, QuoteKind)> {
        let n = normalise(t);
        let s = segment(&n);
        find_quotes(&n, &s).into_iter().map(|q| (t[q.content].to_string(), q.kind)).collect()
    }

    #[test]
    fn adversarial_marks_do_not_panic() {
        quotes("called for Cllr\u{201c}\u{ab}CllrCllrCllr");
        quotes("\u{201c}\u{feff}\u{201c}x said \u{201d}");
    }
}
