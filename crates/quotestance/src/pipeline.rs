//! The pipeline: runs the stages in order and assembles [`Annotated`].

use crate::error::{Error, Result};
use crate::model::{Annotated, Document, SCHEMA_VERSION};
use crate::normalise::normalise;
use crate::segment::segment;
use serde::{Deserialize, Serialize};
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
#[derive(Debug)]
pub struct Pipeline {
    config: Config,
}

impl Pipeline {
    /// A pipeline of the rule layer alone (needs no model files).
    pub fn rules() -> Pipeline {
        Pipeline { config: Config::default() }
    }

    /// Builds a pipeline from a config, loading the models it asks for.
    pub fn new(config: Config) -> Result<Pipeline> {
        if config.abstain_threshold.is_nan() || !(0.0..=1.0).contains(&config.abstain_threshold) {
            return Err(Error::Config("abstain_threshold must lie in 0..=1".into()));
        }
        Ok(Pipeline { config })
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
        let norm = normalise(&doc.text);
        let seg = segment(&norm);
        let ix = &norm.index;
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
            quotes: Vec::new(),
            entities: Vec::new(),
            people: Vec::new(),
            resignation_calls: Vec::new(),
        })
    }

    /// Labels many documents; one result per input, in input order.
    pub fn annotate_batch(&self, docs: &[Document]) -> Vec<Result<Annotated>> {
        docs.iter().map(|d| self.annotate(d)).collect()
    }
}
