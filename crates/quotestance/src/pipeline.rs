//! The pipeline: runs the stages in order and assembles [`Annotated`].

use crate::attribution::attribute;
use crate::entities::{Recogniser, RuleRecogniser};
use crate::error::{Error, Result};
use crate::model::{Annotated, Document, Entity, Quote, Speaker, Stance, Target, TextSpan, SCHEMA_VERSION};
use crate::normalise::normalise;
use crate::quotes::find_quotes;
use crate::segment::segment;
use crate::stance::{RuleStance, StanceClassifier, StanceInput};
use crate::{events, people, stance};
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::path::PathBuf;

/// Settings of a [`Pipeline`] (serde, so it can come from JSON or Python kwargs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the models live; `None`: `$QUOTESTANCE_MODELS`, else the user cache dir.
    pub models_dir: Option<PathBuf>,
    /// Use the transformer models (encoder, NER and stance heads). When false,
    /// the rule layer alone runs and no model files are needed.
    pub use_models: bool,
    /// Worker threads for batches and for the encoder; 0 means all cores.
    pub threads: usize,
    /// Documents longer than this (in bytes) are rejected with an input error.
    pub max_bytes: usize,
    /// Below this probability a quote's stance falls back to `other`.
    pub abstain_threshold: f32,
}

impl Default for Config {
    fn default() -> Self {
        Config { models_dir: None, use_models: false, threads: 0, max_bytes: 8 * 1024 * 1024, abstain_threshold: 0.0 }
    }
}

/// The labelling pipeline. Cheap to share across threads (`&Pipeline` is `Sync`).
pub struct Pipeline {
    config: Config,
    recogniser: Box<dyn Recogniser>,
    stance: Box<dyn StanceClassifier>,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Pipeline {
    /// A pipeline of the rule layer alone (needs no model files).
    pub fn rules() -> Pipeline {
        Pipeline { config: Config::default(), recogniser: Box::new(RuleRecogniser), stance: Box::new(RuleStance) }
    }

    /// Builds a pipeline from a config, loading the models it asks for.
    pub fn new(config: Config) -> Result<Pipeline> {
        if config.abstain_threshold.is_nan() || !(0.0..=1.0).contains(&config.abstain_threshold) {
            return Err(Error::Config("abstain_threshold must lie in 0..=1".into()));
        }
        Ok(Pipeline { config, recogniser: Box::new(RuleRecogniser), stance: Box::new(RuleStance) })
    }

    /// The config this pipeline runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Labels one document.
    pub fn annotate(&self, doc: &Document) -> Result<Annotated> {
        if doc.text.len() > self.config.max_bytes {
            return Err(Error::Input(format!(
                "document {:?} has {} bytes, over the limit of {} (Config::max_bytes)",
                doc.id,
                doc.text.len(),
                self.config.max_bytes
            )));
        }
        let text = doc.text.as_str();
        // 1-3: normalise, segment, quotes
        let norm = normalise(text);
        let seg = segment(&norm);
        let cands = find_quotes(&norm, &seg);
        // 5: entities and people
        let mentions = self.recogniser.recognise(&norm, &seg);
        let people = people::build(&norm, &seg, &mentions);
        // 6: attribution
        let speakers = attribute(&norm, &seg, &cands, &people);
        // 7: stance and targets
        let targets = stance::article_targets(text, &cands, &speakers, &people);
        let at_issue = stance::person_at_issue(text, &cands, &speakers, &people);
        let contexts: Vec<_> = cands.iter().map(|c| stance::context_range(text, c, c.cue.as_ref())).collect();
        let inputs: Vec<StanceInput<'_>> = cands
            .iter()
            .zip(&speakers)
            .zip(&contexts)
            .map(|((c, a), ctx)| {
                let sp = a.as_ref().and_then(|a| a.person);
                let main = targets.first().copied();
                StanceInput {
                    quote: &text[c.content.clone()],
                    context: &text[ctx.clone()],
                    cue: c.cue.as_ref().map(|r| &text[r.clone()]).unwrap_or(""),
                    speaker_is_target: sp.is_some_and(|p| targets.contains(&p)),
                    same_party: match (sp, main) {
                        (Some(a), Some(b)) => {
                            a != b
                                && people.people[a].party.is_some()
                                && people.people[a].party == people.people[b].party
                        }
                        _ => false,
                    },
                }
            })
            .collect();
        let scores = self.stance.classify(&inputs);
        if scores.len() != cands.len() {
            return Err(Error::Internal(format!(
                "stance classifier returned {} scores for {} quotes",
                scores.len(),
                cands.len()
            )));
        }
        let ix = &norm.index;
        let tspan = |r: Range<usize>| TextSpan { span: ix.span(r.clone()), text: text[r].to_string() };
        let mut quotes = Vec::with_capacity(cands.len());
        for ((c, a), sc) in cands.iter().zip(&speakers).zip(scores) {
            let (mut st, mut p) = sc.best();
            if p < self.config.abstain_threshold {
                st = Stance::Other;
                p = sc.other;
            }
            let target = stance::quote_target(text, c, st, a.as_ref(), &people, &targets, at_issue).map(|t| Target {
                name: t.name,
                person: t.person,
                score: t.score,
            });
            quotes.push(Quote {
                span: ix.span(c.content.clone()),
                text: text[c.content.clone()].to_string(),
                kind: c.kind,
                cue: c.cue.clone().map(tspan),
                speaker: a.as_ref().map(|a| Speaker {
                    name: a.name.clone(),
                    mention: a.mention.clone().map(tspan),
                    person: a.person,
                    score: a.score,
                    rule: a.rule.to_string(),
                }),
                stance: st,
                stance_score: p,
                scores: sc,
                target,
                paragraph: c.paragraph,
            });
        }
        // 8: events
        let resignation_calls = events::resignation_calls(&quotes);
        let entities = mentions
            .iter()
            .zip(&people.mention_person)
            .map(|(m, pid)| Entity {
                span: ix.span(m.range.clone()),
                text: text[m.range.clone()].to_string(),
                label: m.label,
                canonical: pid.map(|p| people.people[p].name.clone()),
                person: *pid,
                score: m.score,
            })
            .collect();
        Ok(Annotated {
            schema_version: SCHEMA_VERSION.to_string(),
            id: doc.id.clone(),
            title: doc.title.clone(),
            url: doc.url.clone(),
            date: doc.date.clone(),
            source: doc.source.clone(),
            chars: ix.chars(),
            paragraphs: seg.paragraphs.iter().map(|r| ix.span(r.clone())).collect(),
            sentences: seg.sentences.iter().map(|s| ix.span(s.range.clone())).collect(),
            quotes,
            entities,
            people: people.people,
            resignation_calls,
        })
    }

    /// Labels many documents; one result per input, in input order.
    pub fn annotate_batch(&self, docs: &[Document]) -> Vec<Result<Annotated>> {
        docs.iter().map(|d| self.annotate(d)).collect()
    }
}
