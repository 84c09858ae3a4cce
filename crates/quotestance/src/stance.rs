//! Stage 7: stance and target. A [`StanceClassifier`] scores each quote over
//! the four stances; the rule classifier here is the fallback when no model is
//! loaded (the trained head plugs into the same seam). Targets: the person
//! whose position is at issue, linked to a people record where possible.

use crate::attribution::Attribution;
use crate::encode::Encoded;
use crate::model::{QuoteKind, Stance, StanceScores};
use crate::people::People;
use crate::quotes::QuoteCandidate;
use regex::Regex;
use std::ops::Range;
use std::sync::LazyLock;

/// The document a batch of quotes comes from: its text and, when the
/// pipeline runs the encoder, the encoder states of the whole text (one
/// encoder pass per document, shared by every head).
#[derive(Debug, Clone, Copy)]
pub struct DocContext<'a> {
    /// The original text (every byte range of a [`StanceInput`] points into it).
    pub text: &'a str,
    /// The encoder's output for `text`, if the encoder ran.
    pub encoded: Option<&'a Encoded>,
}

impl<'a> DocContext<'a> {
    /// A document without encoder states (enough for [`RuleStance`]).
    pub fn text_only(text: &'a str) -> Self {
        DocContext { text, encoded: None }
    }
}

/// What a stance classifier sees of one quote.
#[derive(Debug, Clone)]
pub struct StanceInput<'a> {
    /// The quote's words.
    pub quote: &'a str,
    /// The sentence(s) around it, for the cue and context.
    pub context: &'a str,
    /// The cue ("said", "called for").
    pub cue: &'a str,
    /// Byte range of the quote's words in the document text.
    pub quote_bytes: Range<usize>,
    /// Byte range of the context in the document text.
    pub context_bytes: Range<usize>,
    /// Direct, indirect or mixed.
    pub kind: QuoteKind,
    /// The quote has a speaker at all.
    pub has_speaker: bool,
    /// The speaker is a named person (a people record), not a description or an organisation.
    pub speaker_is_person: bool,
    /// The speaker is the person whose position is at issue.
    pub speaker_is_target: bool,
    /// Speaker and target share a party (the speaker's party: a named
    /// person's own, else one the attribution names, "a Labour spokesman").
    pub same_party: bool,
    /// The quote is a report's or an inspectorate's finding ("the report
    /// said", Ofsted): findings are not calls to resign.
    pub speaker_is_report: bool,
    /// The speaker is in opposition to the target: parties known and
    /// different, or an "opposition" speaker or role.
    pub opposed: bool,
}

impl<'a> StanceInput<'a> {
    /// An input for a bare quote (tests, examples): the quote is its own context.
    pub fn bare(quote: &'a str, cue: &'a str, speaker_is_target: bool) -> Self {
        StanceInput {
            quote,
            context: quote,
            cue,
            quote_bytes: 0..quote.len(),
            context_bytes: 0..quote.len(),
            kind: QuoteKind::Direct,
            has_speaker: true,
            speaker_is_person: true,
            speaker_is_target,
            same_party: false,
            speaker_is_report: false,
            opposed: false,
        }
    }
}

/// The seam for stance classifiers: a batch of quotes of one document ->
/// probabilities, one [`StanceScores`] per input, in order.
pub trait StanceClassifier: Send + Sync {
    fn classify(&self, doc: &DocContext<'_>, inputs: &[StanceInput<'_>]) -> Vec<StanceScores>;
}

static RESIGN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(resign\w*|step(s|ped|ping)? (down|aside)|stand(s|ing)? down|stood down|quit|go now|must go|should go|has to go|have to go|needs? to go|to go\b|her going|his going|their going|be sacked|sack (him|her|them)|be removed|remove (him|her|them)|consider(ing)? (his|her|their) (position|future)|time (is|was) up|make way|be replaced|be fired|fire (him|her)|oust\w*|sweep them out|clear out|out of office|vacate|relinquish|lose (his|her) job|walk away)\b").expect("regex")
});
static DEMAND: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(must|should|needs? to|has to|have to|ought|call(s|ed|ing)? (for|on|upon)|urg\w+|demand\w*|time for|time to|right thing|in favour of|petition|motion|should have|would have|only option|honourable thing|do the decent thing|no choice but|if (he|she|they) had any)\b").expect("regex")
});
/// Idioms that demand a departure by themselves, with no "must" or "call for":
/// "his position is untenable", "she should be shown the door", "it's time for a
/// change", "he can't stay", "do the honourable thing".
static IDIOM_CALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b((position|job|tenure) (is|was|has become|had become|now looks|looks) (now |completely |totally |simply )?(untenable|no longer tenable)|no longer tenable|shown the door|show (him|her|them) the door|time for (a change|change|new leadership|fresh leadership|someone else)|time (for|to) (him|her|them) to (go|move on)|someone else (to|should) (run|lead|take over)|(needs?|need|deserves?) new leadership|new leadership (at the top|now)|(he|she|they) (can't|cannot|can not) (stay|remain|continue|lead)|(can't|cannot|can not) (stay|remain) (on|in post|in office|in (the|his|her) job)|do the (honourable|decent|right) thing and (go|resign|step down|quit)|should have (gone|gone then|been sacked|gone long ago)|(his|her|their) (removal|dismissal|sacking)|removal of (the|its|their|his|her)|(not|no longer) the right person (to lead|for the job)|had (his|her|their) (chance|chances)|(has|have) lost the confidence of)\b").expect("regex")
});
static NEGATED_CALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(not|never|no one is|nobody is|isn't|aren't|wasn't) (calling|call|asking|suggesting|demanding)\b|\bnot (for me|my place) to\b|\bno (need|reason) (for \w+ )?to (resign|go|step)").expect("regex")
});
static OPPOSE_CALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(not appropriate|inappropriate|premature|wrong|unfair|ridiculous|absurd|misguided|opportunis\w*|no reason|shouldn't|should not|not the answer)\b.{0,60}\b(call\w*|resign\w*|step\w* down|go)\b|\b(call\w*|demand\w*)\b.{0,40}\b(premature|opportunis\w*|politic\w*|unfair|misguided)").expect("regex")
});
static REPORTED_CALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(is|are|was|were|has been|have been|keeps?|kept) (calling|demanding|pushing|clamouring|baying) for\b",
    )
    .expect("regex")
});
static REFUSE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(not|won't|will not|no intention of|refuse\w*|have no plans to|am not going to|not going to|never) (resign\w*|step\w* down|stand\w* down|quit\w*|go anywhere|going anywhere|walk away)\b|\bnot going anywhere\b|\b(intend|determined|going) to (continue|stay|carry on|see (this|it) through)\b").expect("regex")
});
static DEFENSIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(inherit\w*|already (being|been|under ?way|in place|made|making)|improv\w*|progress|journey|under ?way|turn\w* (it |this |them |things )?(a)?round|blame|politic\w*|point[- ]scoring|score (political )?points|united front|proud|record|take time|no quick fix|working hard|plan|unfair|misleading|wrong|reject\w*|disagree|continue|accountab\w*)\b").expect("regex")
});
static ACKNOWLEDGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(sorry|apologi[sz]\w*|i understand|we understand|concern\w*|disappoint\w*|upset|thoughts are with)\b",
    )
    .expect("regex")
});
static SUPPORT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b((full|every|complete|total|my|our) (confidence|support|backing)|confidence in (him|her|them)|support(s|ing)? (him|her|them)|back(s|ed|ing)? (him|her|them|his|her)|doing (a|an) (good|great|excellent|fantastic|outstanding) job|done (a|an) (good|great|excellent|fantastic|outstanding) job|right person|should (stay|remain)|stay in post|hard-?working|dedicated|committed|politic\w*|point[- ]scoring|score (political )?points|witch[- ]?hunt|opportunis\w*|scapegoat\w*|premature|not appropriate|inherit\w*|challenging task|turned (it|things|the service) around|backing|hard(est)?-working|fought (hard|for)|served|integrity|honest|decent|fair process|due process|trust (him|her)|(he|she) (made|has made) a mistake|(his|her) (record|track record)|(he|she) (has|had) (done|worked)|(he|she) is (a|an|the) (good|great|excellent|dedicated|capable|decent))\b").expect("regex")
});

/// The rule classifier: lexical patterns over the quote and its cue.
#[derive(Debug, Default, Clone, Copy)]
pub struct RuleStance;

fn peaked(s: Stance, p: f32) -> StanceScores {
    let rest = (1.0 - p) / 3.0;
    let mut a = [rest; 4];
    a[s.index()] = p;
    StanceScores::from_array(a)
}

impl RuleStance {
    /// Whether the quote's wording rules out a call by its speaker: it
    /// reports someone else's call to attack it ("Cllr X is calling for a
    /// resignation ... playing politics"), opposes calls ("the calls are
    /// premature"), disclaims one ("I am not calling for her to resign"), or
    /// comes from the person at issue or from a report. Mean-pooled encoder states barely tell
    /// these from the calls they mention, so a trained classifier's output is
    /// constrained by this (see `stance_head`).
    pub fn excludes_call(&self, x: &StanceInput<'_>) -> bool {
        // the same wordings that keep the rules themselves from a call
        let q = x.quote;
        x.speaker_is_target
            || x.speaker_is_report
            || (REPORTED_CALL.is_match(q) && SUPPORT.is_match(q))
            || OPPOSE_CALL.is_match(q)
            || NEGATED_CALL.is_match(q)
    }

    /// The rule scores of one quote.
    pub fn one(&self, x: &StanceInput<'_>) -> StanceScores {
        let q = x.quote;
        let qc = format!("{} {}", x.cue, q);
        let resign = RESIGN.is_match(q) || (x.cue.to_lowercase().contains("call") && RESIGN.is_match(&qc));
        let demand = DEMAND.is_match(&qc);
        if x.speaker_is_target {
            // the person at issue answering: a rebuttal unless they only acknowledge or apologise
            if REFUSE.is_match(q) || DEFENSIVE.is_match(q) {
                return peaked(Stance::Rebuttal, 0.7);
            }
            if ACKNOWLEDGE.is_match(q) {
                return peaked(Stance::Other, 0.55);
            }
            return peaked(Stance::Rebuttal, 0.55);
        }
        // "Cllr X is calling for a resignation ... playing politics": reports the call to attack it
        if REPORTED_CALL.is_match(q) && SUPPORT.is_match(q) {
            return peaked(Stance::Defence, 0.6);
        }
        if OPPOSE_CALL.is_match(q) || (NEGATED_CALL.is_match(q) && !demand) {
            return if SUPPORT.is_match(q) || OPPOSE_CALL.is_match(q) {
                peaked(Stance::Defence, 0.65)
            } else {
                peaked(Stance::Other, 0.6)
            };
        }
        if ((resign && (demand || x.cue.to_lowercase().contains("call"))) || IDIOM_CALL.is_match(q))
            && !NEGATED_CALL.is_match(q)
        {
            return peaked(Stance::CallToResign, 0.75);
        }
        if SUPPORT.is_match(q) {
            return peaked(Stance::Defence, 0.6);
        }
        peaked(Stance::Other, 0.6)
    }
}

impl StanceClassifier for RuleStance {
    fn classify(&self, _doc: &DocContext<'_>, inputs: &[StanceInput<'_>]) -> Vec<StanceScores> {
        inputs.iter().map(|x| self.one(x)).collect()
    }
}

/// A target: a person record or a description.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetRef {
    pub name: String,
    pub person: Option<usize>,
    pub score: f32,
}

static ROLE_TARGET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(the [a-z’' -]{3,60}?) (must|should|to|has to|needs to|ought to) (resign|step down|stand down|go|quit|be sacked)").expect("regex")
});

/// The persons who demand a resignation (and do not refuse one) in some quote.
pub fn callers(text: &str, quotes: &[QuoteCandidate], speakers: &[Option<Attribution>]) -> Vec<usize> {
    quotes
        .iter()
        .zip(speakers)
        .filter(|(q, _)| {
            let b = &text[q.content.clone()];
            ((RESIGN.is_match(b) && DEMAND.is_match(b)) || IDIOM_CALL.is_match(b)) && !REFUSE.is_match(b)
        })
        .filter_map(|(_, a)| a.as_ref().and_then(|a| a.person))
        .collect()
}

/// The people whose position is at issue in the article, most prominent first:
/// persons named inside resignation-call quotes, never a caller ([`callers`]).
pub fn article_targets(
    text: &str,
    quotes: &[QuoteCandidate],
    speakers: &[Option<Attribution>],
    people: &People,
    callers: &[usize],
) -> Vec<usize> {
    let mut count = vec![0usize; people.people.len()];
    let mut any_call = false;
    for (q, a) in quotes.iter().zip(speakers) {
        let body = &text[q.content.clone()];
        if !RESIGN.is_match(body) {
            continue;
        }
        any_call = true;
        let sp = a.as_ref().and_then(|a| a.person);
        for (_, pid) in people.persons_in(&q.content) {
            if Some(pid) != sp {
                count[pid] += 1;
            }
        }
    }
    // callers are not targets
    let mut ids: Vec<usize> = (0..count.len()).filter(|&i| count[i] > 0 && !callers.contains(&i)).collect();
    ids.sort_by_key(|&i| (std::cmp::Reverse(count[i]), people.people[i].mentions.first().map(|m| m.start)));
    if ids.is_empty() && !any_call {
        // no call at all: the person at issue is the most-mentioned person (news is about them)
        let most = (0..people.people.len()).max_by_key(|&i| (people.people[i].mentions.len(), std::cmp::Reverse(i)));
        if let Some(i) = most.filter(|&i| people.people[i].mentions.len() >= 3) {
            ids.push(i);
        }
    }
    ids
}

/// The person most mentioned in the article who never demands a resignation: the person at
/// issue when the calls describe them only by role ("the cabinet member responsible").
pub fn person_at_issue(people: &People, callers: &[usize]) -> Option<usize> {
    (0..people.people.len())
        .filter(|i| !callers.contains(i))
        .max_by_key(|&i| (people.people[i].mentions.len(), std::cmp::Reverse(i)))
}

/// The target of one quote with a non-`other` stance. `fallback`: the person at issue when the
/// article's calls name no one (the most-mentioned person who is not a caller).
pub fn quote_target(
    text: &str,
    q: &QuoteCandidate,
    stance: Stance,
    speaker: Option<&Attribution>,
    people: &People,
    targets: &[usize],
    fallback: Option<usize>,
) -> Option<TargetRef> {
    let sp = speaker.and_then(|a| a.person);
    let named = |pid: usize, score: f32| TargetRef { name: people.people[pid].name.clone(), person: Some(pid), score };
    match stance {
        Stance::Other => None,
        Stance::Rebuttal => sp.map(|p| named(p, 0.8)).or_else(|| targets.first().map(|&p| named(p, 0.5))),
        Stance::CallToResign | Stance::Defence => {
            let inside: Vec<usize> =
                people.persons_in(&q.content).into_iter().map(|(_, p)| p).filter(|p| Some(*p) != sp).collect();
            if let Some(&p) = inside.iter().find(|p| targets.contains(p)).or(if stance == Stance::CallToResign {
                inside.first()
            } else {
                None
            }) {
                return Some(named(p, 0.8));
            }
            if let Some(&p) = targets.first() {
                return Some(named(p, 0.6));
            }
            if let Some(p) = fallback {
                return Some(named(p, 0.5));
            }
            let body: &str = &text[q.content.clone()];
            ROLE_TARGET.captures(body).map(|c| {
                let d = c.get(1).map(|m| m.as_str()).unwrap_or("");
                // "the cabinet member responsible has refused": the description ends at its verb
                let d = d
                    .split_whitespace()
                    .take_while(|w| {
                        !matches!(
                            *w,
                            "has"
                                | "have"
                                | "had"
                                | "is"
                                | "was"
                                | "will"
                                | "would"
                                | "refused"
                                | "refuses"
                                | "should"
                                | "must"
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" ");
                let mut name = d.to_string();
                if let Some(r) = name.get_mut(0..1) {
                    r.make_ascii_uppercase();
                }
                TargetRef { name, person: None, score: 0.4 }
            })
        }
    }
}

/// The context a classifier sees: the quote's sentence(s), clipped.
pub fn context_range(text: &str, q: &QuoteCandidate, cue: Option<&Range<usize>>) -> Range<usize> {
    let lo = cue.map(|c| c.start.min(q.content.start)).unwrap_or(q.content.start);
    let hi = cue.map(|c| c.end.max(q.content.end)).unwrap_or(q.content.end);
    let mut lo = lo.saturating_sub(120);
    while !text.is_char_boundary(lo) {
        lo -= 1;
    }
    let mut hi = (hi + 120).min(text.len());
    while !text.is_char_boundary(hi) {
        hi += 1;
    }
    lo..hi
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(q: &str, cue: &str, target: bool) -> Stance {
        RuleStance.classify(&DocContext::text_only(q), &[StanceInput::bare(q, cue, target)])[0].best().0
    }

    #[test]
    fn calls_defences_rebuttals() {
        assert_eq!(st("Mr Doe to step down", "called for", false), Stance::CallToResign);
        assert_eq!(st("The right thing for him to do is to resign.", "said", false), Stance::CallToResign);
        assert_eq!(st("She should consider her position.", "said", false), Stance::CallToResign);
        assert_eq!(st("I am not calling for her to resign, but answers are needed.", "said", false), Stance::Other);
        assert_eq!(st("it was not appropriate to call for Councillor Grant to resign", "said", false), Stance::Defence);
        assert_eq!(st("He has my full confidence.", "said", false), Stance::Defence);
        assert_eq!(st("I am not going anywhere. The improvement plan is working.", "said", true), Stance::Rebuttal);
        assert_eq!(st("The report makes difficult reading.", "said", false), Stance::Other);
    }
}
