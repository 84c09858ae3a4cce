//! The seam between tokenised batches and a neural runtime.
//!
//! A [`Backend`] runs the transformer on one padded batch of token ids and
//! returns the last hidden states. It knows nothing of texts, windows or
//! offsets ([`super::Encoder`] does that), so another runtime (ONNX Runtime,
//! a GPU build) only has to implement [`Backend::forward`].

use crate::error::Result;

/// One padded batch, row-major: `ids[b * seq + t]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// Token ids, `batch * seq` of them (padding: the pad id, usually 0).
    pub ids: Vec<u32>,
    /// 1 for a real token, 0 for padding; same shape as `ids`.
    pub mask: Vec<u32>,
    /// Number of sequences.
    pub batch: usize,
    /// Length every sequence is padded to.
    pub seq: usize,
}

impl Batch {
    /// Real (unpadded) tokens in the batch.
    pub fn real_tokens(&self) -> usize {
        self.mask.iter().filter(|&&m| m != 0).count()
    }
    /// Tokens the backend computes, padding included.
    pub fn padded_tokens(&self) -> usize {
        self.batch * self.seq
    }
}

/// A transformer encoder runtime.
pub trait Backend: Send + Sync {
    /// Width of the token states.
    fn hidden_size(&self) -> usize;
    /// Longest sequence the model accepts (position embeddings), specials included.
    fn max_positions(&self) -> usize;
    /// Token states `[batch, seq, hidden]`, row-major, for a batch.
    fn forward(&self, batch: &Batch) -> Result<Vec<f32>>;
    /// A short name for reports ("candle-cpu").
    fn name(&self) -> &str;
    /// True when one [`Backend::forward`] runs on the calling thread alone, so
    /// that the encoder may run several batches side by side on its threads.
    fn single_threaded(&self) -> bool {
        false
    }
}
