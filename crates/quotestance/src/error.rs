//! The one error type of the core crate.

use std::path::PathBuf;

/// Everything that can go wrong in quotestance. Bindings map the variants to
/// their own error types (Python: `InputError`, `ModelNotFoundError`, ...).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input document cannot be processed (empty id, over the size limit, ...).
    #[error("invalid input: {0}")]
    Input(String),
    /// A model file is missing or does not load; the message names the path and the fix.
    #[error("model not found at {path}: {reason}. Run `{fix}` to install the models")]
    ModelNotFound { path: PathBuf, reason: String, fix: String },
    /// A model file is present but corrupt or incompatible.
    #[error("model error: {0}")]
    Model(String),
    /// Configuration that cannot be honoured.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// Reading or writing a file.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// JSON (de)serialisation.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// The document took longer than [`Config::deadline_ms`](crate::Config::deadline_ms).
    #[error("the document took longer than the limit of {limit_ms} ms (Config::deadline_ms); stopped before {stage}")]
    Deadline { limit_ms: u64, stage: &'static str },
    /// The caller cancelled the work (its cancel flag was set, e.g. by Ctrl-C).
    #[error("cancelled")]
    Cancelled,
    /// An internal invariant was broken (a bug); reported instead of panicking.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Result alias of the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }
}
