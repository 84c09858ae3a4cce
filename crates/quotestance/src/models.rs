//! Where the model files live, and the one clear error when they are missing.
//!
//! Layout of a models dir (made by `python3 scripts/setup-models.py`):
//!
//! ```text
//! MODELS_DIR/all-MiniLM-L6-v2/{model.safetensors, tokenizer.json, config.json, MANIFEST.json}
//! MODELS_DIR/heads/ner.safetensors      (optional: overrides the committed head)
//! ```
//!
//! The models dir is, in order: an explicit argument (`Config::models_dir`,
//! `--models-dir`), `$QUOTESTANCE_MODELS`, the user cache dir
//! (`$XDG_CACHE_HOME` or `~/.cache`, then `quotestance/models`).
//! The trained heads are committed in the repository under `assets/heads/`.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// Name of the encoder's folder in the models dir.
pub const ENCODER_NAME: &str = "all-MiniLM-L6-v2";
/// The command that installs the models; every `ModelNotFound` names it.
pub const SETUP_COMMAND: &str = "python3 scripts/setup-models.py";
/// The environment variable that overrides the default models dir.
pub const MODELS_ENV: &str = "QUOTESTANCE_MODELS";
/// File name of the NER head.
pub const NER_HEAD_FILE: &str = "ner.safetensors";

/// The models dir: `explicit`, else `$QUOTESTANCE_MODELS`, else the user cache dir.
pub fn resolve_models_dir(explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    if let Some(p) = std::env::var_os(MODELS_ENV).filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    user_cache_dir().join("quotestance").join("models")
}

fn user_cache_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("XDG_CACHE_HOME").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    if let Some(home) = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE")) {
        return PathBuf::from(home).join(".cache");
    }
    PathBuf::from(".cache")
}

/// The encoder's folder inside a models dir.
pub fn encoder_dir(models_dir: &Path) -> PathBuf {
    models_dir.join(ENCODER_NAME)
}

/// The NER head to use: `MODELS_DIR/heads/ner.safetensors` when present, else
/// the head committed in the repository (`assets/heads/ner.safetensors`).
pub fn ner_head_path(models_dir: &Path) -> PathBuf {
    let local = models_dir.join("heads").join(NER_HEAD_FILE);
    if local.is_file() {
        return local;
    }
    committed_heads_dir().join(NER_HEAD_FILE)
}

/// `assets/heads/` of the source tree this crate was built from.
pub fn committed_heads_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..").join("assets").join("heads")
}

/// The error for a model file that is missing or does not load.
pub fn not_found(path: impl Into<PathBuf>, reason: impl Into<String>) -> Error {
    Error::ModelNotFound { path: path.into(), reason: reason.into(), fix: SETUP_COMMAND.to_string() }
}

/// `dir/name` when it is a non-empty file, else `ModelNotFound`.
pub fn require_file(dir: &Path, name: &str) -> Result<PathBuf> {
    let p = dir.join(name);
    match std::fs::metadata(&p) {
        Ok(m) if m.is_file() && m.len() > 0 => Ok(p),
        Ok(_) => Err(not_found(&p, "not a regular non-empty file")),
        Err(e) => Err(not_found(&p, format!("cannot read it ({e})"))),
    }
}

/// True when the encoder's files are present (used by tests to skip).
pub fn encoder_present(models_dir: &Path) -> bool {
    let d = encoder_dir(models_dir);
    ["model.safetensors", "tokenizer.json", "config.json"].iter().all(|f| d.join(f).is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_dir_wins() {
        assert_eq!(resolve_models_dir(Some(Path::new("/x/y"))), PathBuf::from("/x/y"));
    }

    #[test]
    fn missing_file_names_path_and_fix() {
        let e = require_file(Path::new("/nonexistent/qs"), "model.safetensors").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("/nonexistent/qs/model.safetensors"), "{msg}");
        assert!(msg.contains(SETUP_COMMAND), "{msg}");
    }
}
