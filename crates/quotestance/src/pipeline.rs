//! The pipeline: runs the stages in order and assembles [`Annotated`].

use crate::attribution::{attribute, Attribution};
use crate::budget::Budget;
use crate::encode::{EncodeStats, Encoded, Encoder};
use crate::entities::{Mention, Recogniser, RuleRecogniser};
use crate::error::{Error, Result};
use crate::model::{Annotated, Document, Entity, Quote, Speaker, Stance, Target, TextSpan, SCHEMA_VERSION};
use crate::normalise::{normalise, Normalised};
use crate::people::People;
use crate::quotes::{find_quotes, QuoteCandidate};
use crate::segment::{segment, Segmented};
use crate::stance::{CalibratedRules, DocContext, StanceClassifier, StanceInput};
use crate::{events, lexicon, people, stance};
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// Settings of a [`Pipeline`] (serde, so it can come from JSON or Python kwargs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the models live; `None`: `$QUOTESTANCE_MODELS`, else the user cache dir.
    pub models_dir: Option<PathBuf>,
    /// Use the transformer models: the encoder (one pass per document), the
    /// NER head (`crates/quotestance/assets/heads/ner.safetensors`; its mentions first, the rule
    /// recogniser's where it has none) and the stance head
    /// (`crates/quotestance/assets/heads/stance.safetensors`, blended with the rule scores as its
    /// file says), all on that one pass. When false, the rule layer alone runs
    /// and no model files are needed.
    pub use_models: bool,
    /// Worker threads for batches and for the encoder; 0 means all cores.
    pub threads: usize,
    /// Documents longer than this (in bytes) are rejected with an input error.
    pub max_bytes: usize,
    /// Below this probability a quote's stance falls back to `other`.
    pub abstain_threshold: f32,
    /// A document that takes longer than this many milliseconds stops with
    /// [`Error::Deadline`] (checked between stages and encoder batches); 0: no limit.
    pub deadline_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            models_dir: None,
            use_models: false,
            threads: 0,
            max_bytes: 8 * 1024 * 1024,
            abstain_threshold: 0.0,
            deadline_ms: 0,
        }
    }
}

/// The encoder work a pipeline has done since it was built ([`Pipeline::encode_stats`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PipelineStats {
    /// The document pass that feeds the entity and stance heads (`None` in rules mode).
    pub document_pass: Option<EncodeStats>,
    /// The stance model's own pass over each quote (the fine-tuned model only).
    pub stance_pass: Option<EncodeStats>,
}

/// The labelling pipeline. Cheap to share across threads (`&Pipeline` is `Sync`).
pub struct Pipeline {
    config: Config,
    recogniser: Box<dyn Recogniser>,
    stance: Box<dyn StanceClassifier>,
    /// The shared encoder; run once per document when any head needs it.
    encoder: Option<Encoder>,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Pipeline {
    /// A pipeline of the rule layer alone (needs no model files).
    pub fn rules() -> Pipeline {
        Pipeline {
            config: Config::default(),
            recogniser: Box::new(RuleRecogniser),
            stance: Box::new(CalibratedRules::shipped()),
            encoder: None,
        }
    }

    /// Builds a pipeline from a config, loading the models it asks for.
    pub fn new(config: Config) -> Result<Pipeline> {
        if config.abstain_threshold.is_nan() || !(0.0..=1.0).contains(&config.abstain_threshold) {
            return Err(Error::Config("abstain_threshold must lie in 0..=1".into()));
        }
        if !config.use_models {
            return Ok(Pipeline {
                config,
                recogniser: Box::new(RuleRecogniser),
                stance: Box::new(CalibratedRules::shipped()),
                encoder: None,
            });
        }
        with_models(config)
    }

    /// The same pipeline with another entity recogniser (the stage-5a seam). A
    /// recogniser that needs the encoder pass needs a pipeline that runs the
    /// encoder (`use_models`).
    pub fn with_recogniser(mut self, recogniser: Box<dyn Recogniser>) -> Result<Pipeline> {
        if recogniser.needs_encoder() && self.encoder.is_none() {
            return Err(Error::Config("this recogniser needs the encoder: build the pipeline with use_models".into()));
        }
        self.recogniser = recogniser;
        Ok(self)
    }

    /// The config this pipeline runs with.
    /// The encoder work done since the pipeline was built: what `quotestance label --stats`
    /// and the speed benches report.
    pub fn encode_stats(&self) -> PipelineStats {
        PipelineStats {
            document_pass: self.encoder.as_ref().map(Encoder::stats),
            stance_pass: self.stance.encode_stats(),
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Labels one document.
    pub fn annotate(&self, doc: &Document) -> Result<Annotated> {
        self.annotate_cancellable(doc, None)
    }

    /// Labels one document, stopping with [`Error::Cancelled`] once `cancel` is set (from
    /// another thread) and with [`Error::Deadline`] past [`Config::deadline_ms`].
    pub fn annotate_cancellable(&self, doc: &Document, cancel: Option<&AtomicBool>) -> Result<Annotated> {
        let limit = (self.config.deadline_ms > 0).then(|| Duration::from_millis(self.config.deadline_ms));
        let budget = Budget::new(limit, cancel);
        if doc.text.len() > self.config.max_bytes {
            return Err(Error::Input(format!(
                "document {:?} has {} bytes, over the limit of {} (Config::max_bytes)",
                doc.id,
                doc.text.len(),
                self.config.max_bytes
            )));
        }
        let text = doc.text.as_str();
        // 4: one encoder pass per document, shared by every head
        let encoded = match &self.encoder {
            Some(enc) => Some(
                enc.encode_within(&[text], &budget)?
                    .pop()
                    .ok_or_else(|| Error::Internal("encoder returned nothing".into()))?,
            ),
            None => None,
        };
        let dctx = DocContext { text, encoded: encoded.as_ref() };
        let Stages { norm, seg, cands, mentions, people, speakers, callers, targets } =
            self.stages(text, encoded.as_ref(), &budget)?;
        // 7: stance and targets
        budget.check("stance")?;
        let at_issue = stance::person_at_issue(&people, &callers);
        let inputs = stance_inputs(text, &cands, &speakers, &people, &targets);
        let scores = self.stance.classify_decided(&dctx, &inputs);
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
        for ((c, a), (mut st, sc)) in cands.iter().zip(&speakers).zip(scores) {
            let mut p = sc.get(st);
            if p < self.config.abstain_threshold {
                st = Stance::Other;
                p = sc.other;
            }
            let target = stance::quote_target(text, c, st, a.as_ref(), &people, &targets, at_issue);
            let co_targets = target
                .as_ref()
                .map(|t| stance::co_targets(text, c, t, a.as_ref(), &people))
                .unwrap_or_default()
                .into_iter()
                .map(|p| Target {
                    name: people.people[p].name.clone(),
                    person: Some(p),
                    score: target.as_ref().map_or(0.0, |t| t.score),
                })
                .collect();
            let target = target.map(|t| Target { name: t.name, person: t.person, score: t.score });
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
                co_targets,
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

    /// Stages 1-6 and the article's targets: the rules, and the recogniser on
    /// the document's encoder pass (`encoded`, when the pipeline runs one).
    fn stages<'t>(&self, text: &'t str, encoded: Option<&Encoded>, budget: &Budget<'_>) -> Result<Stages<'t>> {
        budget.check("normalise")?;
        let norm = normalise(text);
        budget.check("segment")?;
        let seg = segment(&norm);
        budget.check("quotes")?;
        let cands = find_quotes(&norm, &seg);
        budget.check("entities")?;
        let mut mentions = self.recogniser.recognise(&norm, &seg, encoded)?;
        crate::entities::outlets_are_organisations(text, &mut mentions);
        budget.check("people")?;
        let people = people::build(&norm, &seg, &mentions);
        budget.check("attribution")?;
        let speakers = attribute(&norm, &seg, &cands, &people, &mentions);
        let callers = stance::callers(text, &cands, &speakers);
        let targets = stance::article_targets(text, &cands, &speakers, &people, &callers);
        Ok(Stages { norm, seg, cands, mentions, people, speakers, callers, targets })
    }

    /// The quotes the stages find in `text` and what the stance step sees of
    /// each (the inputs of [`StanceClassifier::classify`]). Training the stance
    /// head uses this, so its inputs equal those at inference. A recogniser
    /// that needs the encoder gets its own pass here; should that fail, the
    /// entities of this text come from the rule recogniser.
    pub fn stance_inputs<'t>(&self, text: &'t str) -> (Vec<QuoteCandidate>, Vec<StanceInput<'t>>) {
        let encoded = match &self.encoder {
            Some(enc) if self.recogniser.needs_encoder() => enc.encode(&[text]).ok().and_then(|mut v| v.pop()),
            _ => None,
        };
        let unlimited = Budget::unlimited();
        let st = self
            .stages(text, encoded.as_ref(), &unlimited)
            .or_else(|_| Pipeline::rules().stages(text, None, &unlimited));
        let Ok(st) = st else { return (Vec::new(), Vec::new()) };
        let inputs = stance_inputs(text, &st.cands, &st.speakers, &st.people, &st.targets);
        (st.cands, inputs)
    }

    /// Labels many documents; one result per input, in input order.
    pub fn annotate_batch(&self, docs: &[Document]) -> Vec<Result<Annotated>> {
        docs.iter().map(|d| self.annotate(d)).collect()
    }
}

struct Stages<'t> {
    norm: Normalised<'t>,
    seg: Segmented,
    cands: Vec<QuoteCandidate>,
    mentions: Vec<Mention>,
    people: People,
    speakers: Vec<Option<Attribution>>,
    callers: Vec<usize>,
    targets: Vec<usize>,
}

/// The party a speaker speaks for: a named person's own, else a party the
/// attribution names ("a Labour spokesman", "the Conservative group").
fn speaker_party<'p>(a: &Attribution, people: &'p People) -> Option<&'p str> {
    if let Some(p) = a.person {
        return people.people[p].party.as_deref();
    }
    let words: Vec<&str> = a
        .name
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).trim_end_matches("'s").trim_end_matches("\u{2019}s"))
        .collect();
    (0..words.len()).find_map(|i| {
        let two = words.get(i + 1).and_then(|w| lexicon::party_of(&format!("{} {w}", words[i])));
        two.or_else(|| lexicon::party_of(words[i]))
    })
}

/// A report or an inspectorate speaking ("the report said", "inspectors found", Ofsted).
fn is_report(a: &Attribution) -> bool {
    let head = a.name.rsplit(|c: char| !c.is_alphanumeric()).find(|w| !w.is_empty()).unwrap_or("");
    a.rule == "inspectorate"
        || crate::attribution::is_inspectorate(&a.name)
        || matches!(
            head.to_lowercase().as_str(),
            "report" | "review" | "inquiry" | "audit" | "findings" | "inspection" | "inspectors" | "investigation"
        )
}

/// An opposition speaker: "the opposition leader", or a person holding an opposition role.
fn speaks_for_opposition(a: &Attribution, people: &People) -> bool {
    let says = |s: &str| s.to_lowercase().split(|c: char| !c.is_alphanumeric()).any(|w| w == "opposition");
    says(&a.name) || a.person.is_some_and(|p| people.people[p].roles.iter().any(|r| says(r)))
}

/// The pipeline of the transformer models: the encoder, the NER head and the stance model.
#[cfg(feature = "models")]
fn with_models(config: Config) -> Result<Pipeline> {
    use crate::entities::{Combine, NerRecogniser};
    use crate::models::{encoder_dir, encoder_present, ner_head, not_found, resolve_models_dir};
    let dir = resolve_models_dir(config.models_dir.as_deref());
    if !encoder_present(&dir) {
        return Err(not_found(encoder_dir(&dir), "the encoder is not installed"));
    }
    let encoder = Encoder::load(&dir, config.threads)?;
    let ner = crate::ner::NerModel::from_source(&ner_head(&dir))?;
    let stance = load_stance(&dir, encoder.hidden_size())?;
    Ok(Pipeline {
        config,
        recogniser: Box::new(NerRecogniser::new(ner, Combine::default())),
        stance,
        encoder: Some(encoder),
    })
}

/// Built without the `models` feature: `use_models` cannot be honoured.
#[cfg(not(feature = "models"))]
fn with_models(_config: Config) -> Result<Pipeline> {
    Err(Error::Config(
        "use_models needs the transformer models, and this build of quotestance has the rule layer only \
         (built without the cargo feature `models`, which is on by default)"
            .into(),
    ))
}

/// The stance model of the models path: the fine-tuned one (`heads/stance_tuned.safetensors`,
/// else the built-in one), or the head on the frozen encoder states where the models dir holds
/// that head alone (`heads/stance.safetensors`, a head of your own without a fine-tuned model).
#[cfg(feature = "models")]
fn load_stance(dir: &std::path::Path, hidden: usize) -> Result<Box<dyn StanceClassifier>> {
    use crate::models::HeadSource;
    use crate::stance_head::tuned::{tuned_head, TunedStance};
    use crate::stance_head::{stance_head, StanceModel};
    let (tuned, frozen) = (tuned_head(dir), stance_head(dir));
    let own_frozen_only = matches!(frozen, HeadSource::File(_)) && !matches!(tuned, HeadSource::File(_));
    if !own_frozen_only {
        return Ok(Box::new(TunedStance::load(&tuned, dir)?));
    }
    let stance = StanceModel::from_source(&frozen)?;
    stance.check_fits(hidden)?;
    Ok(Box::new(stance))
}

/// What the stance step sees of each quote.
fn stance_inputs<'t>(
    text: &'t str,
    cands: &[QuoteCandidate],
    speakers: &[Option<Attribution>],
    people: &People,
    targets: &[usize],
) -> Vec<StanceInput<'t>> {
    let main = targets.first().copied();
    let party_of = |p: usize| people.people[p].party.as_deref();
    cands
        .iter()
        .zip(speakers)
        .map(|(c, a)| {
            let ctx = stance::context_range(text, c, c.cue.as_ref());
            let sp = a.as_ref().and_then(|a| a.person);
            let sp_party = a.as_ref().and_then(|a| speaker_party(a, people));
            StanceInput {
                quote: &text[c.content.clone()],
                context: &text[ctx.clone()],
                cue: c.cue.as_ref().map(|r| &text[r.clone()]).unwrap_or(""),
                quote_bytes: c.content.clone(),
                context_bytes: ctx,
                kind: c.kind,
                has_speaker: a.is_some(),
                speaker_is_person: sp.is_some(),
                speaker_is_target: sp.is_some_and(|p| targets.contains(&p)),
                same_party: main.is_some_and(|m| sp != Some(m) && sp_party.is_some() && sp_party == party_of(m)),
                speaker_is_report: a.as_ref().is_some_and(is_report),
                opposed: a.as_ref().is_some_and(|a| speaks_for_opposition(a, people))
                    || main.is_some_and(|m| sp_party.zip(party_of(m)).is_some_and(|(x, y)| x != y)),
            }
        })
        .collect()
}

#[cfg(all(test, not(feature = "models")))]
mod rules_only {
    use super::*;

    #[test]
    fn use_models_is_refused_naming_the_feature() {
        let e = Pipeline::new(Config { use_models: true, ..Config::default() }).unwrap_err();
        assert!(matches!(&e, Error::Config(m) if m.contains("`models`")), "{e}");
        let out = Pipeline::new(Config::default())
            .unwrap()
            .annotate(&Document::new("a", "Labour called for Cllr Jo Bell to resign."))
            .unwrap();
        assert_eq!(out.resignation_calls.len(), 1);
    }
}
