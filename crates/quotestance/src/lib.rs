//! quotestance: who said what about whose resignation.
//!
//! The pipeline is the architecture, one module per stage with typed data
//! between them:
//!
//! normalise -> segment -> quotes -> (encode) -> entities and people ->
//! attribution -> stance -> events.
//!
//! ```no_run
//! use quotestance::{Document, Pipeline};
//! let nlp = Pipeline::rules();
//! let out = nlp.annotate(&Document::new("a1", "Labour called for Cllr Jo Bell to resign.")).unwrap();
//! for q in &out.quotes {
//!     println!("{} -> {:?} ({})", q.text, q.speaker.as_ref().map(|s| &s.name), q.stance.as_str());
//! }
//! ```

pub mod budget;
pub mod check;
pub mod encode;
pub mod error;
pub mod eval;
pub mod model;
pub mod models;
pub mod ner;
pub mod normalise;
pub mod segment;

pub use budget::Budget;
pub use error::{Error, Result};
pub use model::*;
pub mod pipeline;
pub use pipeline::{Config, Pipeline, PipelineStats};
pub mod attribution;
pub mod entities;
pub mod events;
pub mod lexicon;
pub mod people;
pub mod quotes;
pub mod stance;
#[cfg(feature = "models")]
pub mod stance_head;
pub mod text;
#[cfg(feature = "models")]
mod train_util;

/// The README's Rust example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
