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

/// Refuses a safetensors file that holds a non-finite value (NaN or infinity) in a float
/// tensor: such weights load without error and then label everything wrong (every stance
/// 0.25, no PERSON). Reads the file once (the encoder's 90 MB in about 50 ms).
pub fn check_finite(path: &Path) -> Result<()> {
    // SAFETY: a read-only mapping of a model file, which the setup replaces by rename, never in
    // place; read once here and dropped (no second copy of a 90 MB encoder in memory)
    let st = unsafe { candle_core::safetensors::MmapedSafetensors::new(path) }
        .map_err(|e| not_found(path, format!("not a readable safetensors file: {e}")))?;
    for (name, view) in st.tensors() {
        let bad = match view.dtype() {
            safetensors::Dtype::F32 => view
                .data()
                .chunks_exact(4)
                .position(|b| !f32::from_le_bytes(b.try_into().expect("4 bytes")).is_finite()),
            safetensors::Dtype::F64 => view
                .data()
                .chunks_exact(8)
                .position(|b| !f64::from_le_bytes(b.try_into().expect("8 bytes")).is_finite()),
            _ => None,
        };
        if let Some(i) = bad {
            return Err(Error::Model(format!(
                "{}: tensor {name} holds a non-finite value (NaN or infinity) at element {i}: the file is \
                 corrupt; reinstall it (`{SETUP_COMMAND} --force`, or retrain the head)",
                path.display()
            )));
        }
    }
    Ok(())
}

/// The sha256 of each model file recorded by the setup (`MANIFEST.json`'s `sha256`) checked
/// against the files on disk; `Ok` lists what was checked, `Err` names the first difference.
pub fn verify_encoder(models_dir: &Path) -> Result<Vec<String>> {
    use sha2::{Digest, Sha256};
    let dir = encoder_dir(models_dir);
    let manifest = require_file(&dir, "MANIFEST.json")?;
    let raw = std::fs::read_to_string(&manifest).map_err(|e| Error::io(&manifest, e))?;
    let m: serde_json::Value = serde_json::from_str(&raw)?;
    let Some(hashes) = m.get("sha256").and_then(|h| h.as_object()) else {
        return Err(not_found(&manifest, "it records no sha256 (installed by an older setup; reinstall with --force)"));
    };
    let mut checked = Vec::new();
    for (name, want) in hashes {
        let path = dir.join(name);
        let bytes = std::fs::read(&path).map_err(|e| not_found(&path, format!("cannot read it ({e})")))?;
        let got = format!("{:x}", Sha256::digest(&bytes));
        if Some(got.as_str()) != want.as_str() {
            return Err(Error::Model(format!(
                "{}: sha256 {got} is not the {} the setup recorded: the file changed since it was installed; \
                 reinstall with `{SETUP_COMMAND} --force`",
                path.display(),
                want.as_str().unwrap_or("?")
            )));
        }
        checked.push(name.clone());
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn save(path: &Path, values: &[f32]) {
        let t = candle_core::Tensor::new(values, &candle_core::Device::Cpu).unwrap();
        let map = std::collections::HashMap::from([("w".to_string(), t)]);
        candle_core::safetensors::save(&map, path).unwrap();
    }

    #[test]
    fn non_finite_weights_are_refused() {
        let dir = std::env::temp_dir().join(format!("qs-finite-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.safetensors");
        save(&good, &[0.5, -1.0, 3.0]);
        assert!(check_finite(&good).is_ok());
        for bad_value in [f32::NAN, f32::INFINITY] {
            let bad = dir.join("bad.safetensors");
            save(&bad, &[0.5, bad_value, 3.0]);
            let err = check_finite(&bad).unwrap_err().to_string();
            assert!(err.contains("tensor w holds a non-finite value") && err.contains("element 1"), "{err}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

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
