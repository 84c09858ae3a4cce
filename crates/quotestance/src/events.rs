//! Stage 8: events. The resignation calls of the article: one per
//! (caller, target) pair, merged over every quote that makes the call, with
//! the quotes as evidence and the best quote's score.

use crate::model::{Quote, ResignationCall, Speaker, Stance, Target};

fn key(s: &str) -> String {
    s.to_lowercase().split_whitespace().last().unwrap_or("").to_string()
}

/// Two targets are one: the same people record, else names with the same last word.
fn same_target(a: Option<usize>, a_name: &str, b: Option<usize>, b_name: &str) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x == y,
        _ => key(a_name) == key(b_name),
    }
}

/// Runs the events stage over the labelled quotes.
pub fn resignation_calls(quotes: &[Quote]) -> Vec<ResignationCall> {
    let mut out: Vec<ResignationCall> = Vec::new();
    for (i, q) in quotes.iter().enumerate() {
        if q.stance != Stance::CallToResign {
            continue;
        }
        let Some(sp) = &q.speaker else {
            continue;
        };
        for tg in q.target.iter().chain(&q.co_targets) {
            add_call(&mut out, i, q, sp, tg);
        }
    }
    drop_lede_descriptions(&mut out);
    out
}

/// Merges quote `i`'s call by `sp` on `tg` into the calls: a new call, or evidence for the same
/// (caller, target).
fn add_call(out: &mut Vec<ResignationCall>, i: usize, q: &Quote, sp: &Speaker, tg: &Target) {
    let same = |c: &ResignationCall| {
        let caller = match (c.caller_person, sp.person) {
            (Some(a), Some(b)) => a == b,
            _ => key(&c.caller) == key(&sp.name) && c.caller.eq_ignore_ascii_case(&sp.name),
        };
        caller && same_target(c.target_person, &c.target, tg.person, &tg.name)
    };
    let score = q.stance_score * sp.score.max(0.5);
    match out.iter_mut().find(|c| same(c)) {
        Some(c) => {
            c.evidence.push(i);
            c.score = c.score.max(score);
        }
        None => out.push(ResignationCall {
            caller: sp.name.clone(),
            caller_person: sp.person,
            target: tg.name.clone(),
            target_person: tg.person,
            evidence: vec![i],
            score,
        }),
    }
}

/// "A former councillor has called for the chief to go ... Businesswoman Jo Finch said":
/// a lede's singular indefinite description is the person the article names later, so a call
/// it makes is dropped where a named person makes a call on the same target.
fn drop_lede_descriptions(calls: &mut Vec<ResignationCall>) {
    let indefinite = |c: &ResignationCall| {
        let first = c.caller.split_whitespace().next().unwrap_or("").to_lowercase();
        c.caller_person.is_none() && (first == "a" || first == "an")
    };
    let named_caller_of = |c: &ResignationCall| {
        calls
            .iter()
            .any(|o| o.caller_person.is_some() && same_target(o.target_person, &o.target, c.target_person, &c.target))
    };
    let keep: Vec<bool> = calls.iter().map(|c| !indefinite(c) || !named_caller_of(c)).collect();
    let mut it = keep.into_iter();
    calls.retain(|_| it.next().unwrap_or(true));
}

#[cfg(test)]
mod tests {
    use crate::{Document, Pipeline};

    #[test]
    fn coordinated_targets_make_a_call_each() {
        // invented: one call names two people; a name past a verb is no target
        let text = "Union leader Mo Patel called for vice-chancellor Glenda Marsh and the chair of council, \
                    Tim Rowe, to resign. \"Marsh should resign and thank Rowe,\" said Bo Dee.";
        let out = Pipeline::rules().annotate(&Document::new("c", text)).unwrap();
        let pairs: Vec<(&str, &str)> =
            out.resignation_calls.iter().map(|c| (c.caller.as_str(), c.target.as_str())).collect();
        assert_eq!(
            pairs,
            [("Mo Patel", "Glenda Marsh"), ("Mo Patel", "Tim Rowe"), ("Bo Dee", "Glenda Marsh")],
            "{:#?}",
            out.quotes
        );
        let co: Vec<&str> = out.quotes[0].co_targets.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(co, ["Tim Rowe"]);
        assert!(out.quotes[1].co_targets.is_empty());
    }

    #[test]
    fn a_lede_description_is_the_named_caller() {
        // invented: the lede's "A former councillor" is Jo Finch, named later
        let text = "A former councillor has called for police chief Sam Reed to resign. \
                    Businessman Jo Finch said Reed should step down now.";
        let out = Pipeline::rules().annotate(&Document::new("c", text)).unwrap();
        let callers: Vec<&str> = out.resignation_calls.iter().map(|c| c.caller.as_str()).collect();
        assert_eq!(callers.len(), 1, "{:#?}", out.resignation_calls);
        assert!(callers[0].ends_with("Jo Finch"), "{callers:?}");
        // with no named caller the description stays
        let out = Pipeline::rules()
            .annotate(&Document::new("c", "A former councillor has called for police chief Sam Reed to resign."))
            .unwrap();
        assert_eq!(out.resignation_calls.len(), 1, "{:#?}", out.resignation_calls);
    }
}
