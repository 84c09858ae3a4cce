//! [`Backend`] on candle (pure Rust; CPU by default, CUDA with the `cuda` feature).

use super::backend::{Backend, Batch};
use crate::error::{Error, Result};
use crate::models::{not_found, require_file};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config as BertConfig};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, PoisonError, Weak};

/// An encoder's weights as loaded tensors (their storage shared by every clone).
pub type Weights = Arc<HashMap<String, Tensor>>;
/// The weights loaded so far, by canonical path, held while a model holds them.
type Loaded = Mutex<HashMap<PathBuf, Weak<HashMap<String, Tensor>>>>;

/// The weights in a safetensors file, read once per process and shared while any model built on
/// them lives: the document pass and the fine-tuned stance model's lower layers then hold one
/// copy (75 MB of the MiniLM encoder's 90 MB are in both).
pub fn shared_weights(path: &Path) -> Result<Weights> {
    static LOADED: LazyLock<Loaded> = LazyLock::new(Default::default);
    let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let mut loaded = LOADED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(weights) = loaded.get(&key).and_then(Weak::upgrade) {
        return Ok(weights);
    }
    let tensors = candle_core::safetensors::load(path, &Device::Cpu)
        .map_err(|e| not_found(path, format!("not a readable safetensors file: {e}")))?;
    let weights = Arc::new(tensors);
    loaded.retain(|_, w| w.strong_count() > 0);
    loaded.insert(key, Arc::downgrade(&weights));
    Ok(weights)
}

/// BERT-family encoder run by candle.
pub struct CandleBackend {
    model: BertModel,
    /// Keeps the shared weights alive for other models built on them ([`shared_weights`]).
    _weights: Weights,
    device: Device,
    hidden: usize,
    max_positions: usize,
    name: String,
}

impl std::fmt::Debug for CandleBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CandleBackend").field("hidden", &self.hidden).field("name", &self.name).finish()
    }
}

pub(crate) fn cerr(e: candle_core::Error) -> Error {
    Error::Model(format!("candle: {e}"))
}

/// The device: CUDA 0 when built with `cuda` and one is there, else the CPU.
pub fn default_device() -> Device {
    #[cfg(feature = "cuda")]
    {
        if let Ok(d) = Device::new_cuda(0) {
            return d;
        }
    }
    Device::Cpu
}

impl CandleBackend {
    /// Loads `config.json` and `model.safetensors` from an encoder folder.
    pub fn load(dir: &Path, device: Device) -> Result<CandleBackend> {
        let config_path = require_file(dir, "config.json")?;
        let weights = require_file(dir, "model.safetensors")?;
        let raw = std::fs::read_to_string(&config_path).map_err(|e| not_found(&config_path, e.to_string()))?;
        let config: BertConfig =
            serde_json::from_str(&raw).map_err(|e| not_found(&config_path, format!("not a BERT config: {e}")))?;
        crate::models::check_finite(&weights)?;
        let shared = shared_weights(&weights)?;
        let vb = VarBuilder::from_tensors((*shared).clone(), DType::F32, &device);
        let model = BertModel::load(vb, &config)
            .map_err(|e| not_found(&weights, format!("weights do not fit the config: {e}")))?;
        let name = if device.is_cpu() { "candle-cpu" } else { "candle-cuda" };
        Ok(CandleBackend {
            model,
            _weights: shared,
            device,
            hidden: config.hidden_size,
            max_positions: config.max_position_embeddings,
            name: name.to_string(),
        })
    }
}

impl Backend for CandleBackend {
    fn hidden_size(&self) -> usize {
        self.hidden
    }

    fn max_positions(&self) -> usize {
        self.max_positions
    }

    fn forward(&self, batch: &Batch) -> Result<Vec<f32>> {
        let shape = (batch.batch, batch.seq);
        let ids = Tensor::from_slice(&batch.ids, shape, &self.device).map_err(cerr)?;
        let mask = Tensor::from_slice(&batch.mask, shape, &self.device).map_err(cerr)?;
        let types = ids.zeros_like().map_err(cerr)?;
        let out = self.model.forward(&ids, &types, Some(&mask)).map_err(cerr)?;
        out.flatten_all().and_then(|t| t.to_vec1::<f32>()).map_err(cerr)
    }

    fn name(&self) -> &str {
        &self.name
    }

    /// On the CPU with candle's own threading off ([`single_threaded_cpu`]).
    fn single_threaded(&self) -> bool {
        self.device.is_cpu() && candle_core::utils::get_num_threads() == 1
    }
}

/// Turns off candle's threading inside one operation (matrix products and
/// element-wise kernels), so that the encoder runs whole batches side by side
/// on its own threads instead: on this project's 2-core machine that is 7,030
/// against 6,370 tokens/s (`benches/encoder_compare.py`), as each small product
/// no longer waits on the other thread. candle reads the thread count from the
/// environment only (`RAYON_NUM_THREADS`, `CANDLE_NUM_THREADS`), so this sets
/// both to 1 unless the user has set either. Call it first thing in `main`,
/// before any thread starts (setting the environment races with threads that
/// read it); the CLI does.
pub fn single_threaded_cpu() {
    if std::env::var_os("RAYON_NUM_THREADS").is_none() && std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        std::env::set_var("RAYON_NUM_THREADS", "1");
        std::env::set_var("CANDLE_NUM_THREADS", "1");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_loaded_once_while_a_model_holds_them() {
        let path = std::env::temp_dir().join(format!("qs-shared-{}.safetensors", std::process::id()));
        let t = Tensor::new(&[1.0f32, 2.0], &Device::Cpu).unwrap();
        candle_core::safetensors::save(&HashMap::from([("w".to_string(), t)]), &path).unwrap();
        let a = shared_weights(&path).unwrap();
        let b = shared_weights(&path).unwrap();
        assert!(Arc::ptr_eq(&a, &b), "the second model gets the first one's tensors");
        drop((a, b));
        let c = shared_weights(&path).unwrap();
        assert_eq!(c["w"].to_vec1::<f32>().unwrap(), [1.0, 2.0], "read again once none held them");
        std::fs::remove_file(&path).unwrap();
    }
}
