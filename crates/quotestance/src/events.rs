//! Stage 8: events. The resignation calls of the article: one per
//! (caller, target) pair, merged over every quote that makes the call, with
//! the quotes as evidence and the best quote's score.

use crate::model::{Quote, ResignationCall, Stance};

fn key(s: &str) -> String {
    s.to_lowercase().split_whitespace().last().unwrap_or("").to_string()
}

/// Runs the events stage over the labelled quotes.
pub fn resignation_calls(quotes: &[Quote]) -> Vec<ResignationCall> {
    let mut out: Vec<ResignationCall> = Vec::new();
    for (i, q) in quotes.iter().enumerate() {
        if q.stance != Stance::CallToResign {
            continue;
        }
        let (Some(sp), Some(tg)) = (&q.speaker, &q.target) else {
            continue;
        };
        let same = |c: &ResignationCall| {
            let caller = match (c.caller_person, sp.person) {
                (Some(a), Some(b)) => a == b,
                _ => key(&c.caller) == key(&sp.name) && c.caller.eq_ignore_ascii_case(&sp.name),
            };
            let target = match (c.target_person, tg.person) {
                (Some(a), Some(b)) => a == b,
                _ => key(&c.target) == key(&tg.name),
            };
            caller && target
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
    out
}
