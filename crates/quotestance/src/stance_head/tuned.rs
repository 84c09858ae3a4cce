//! The fine-tuned stance model: the encoder's top layers trained together
//! with the head on each quote's own input.
//!
//! Input per quote ([`TunedInput`]): `[CLS] relation [SEP] quote [SEP]
//! context [SEP]`, where the relation is one word for the speaker's relation
//! to the person at issue ([`relation_word`]: self, ally, opponent, report,
//! group, other, unknown), computed by the pipeline's own attribution (so the
//! model learns to live with its errors). The encoder's lower layers run
//! frozen (the installed encoder, loaded once more with fewer layers); the top
//! [`TunedStance::layers`] layers are this model's own copies, fine-tuned. The
//! mean of the top layer's states over the real tokens, with the
//! [`N_REL`] relation features of the frozen head, goes into the same head as
//! [`StanceModel`] (`Linear -> GELU -> Linear(4)`), with its temperature and
//! call constraint.
//!
//! File (`stance_tuned.safetensors`): the [`StanceModel`] tensors, the tuned
//! layers as `top.{i}.<BERT layer names>`, and `tuned_layers` `[1]`. Only the
//! changed layers travel (about 7 MB per layer); the frozen lower layers come
//! from the installed encoder. Training: [`super::finetune`].

use super::{relation_features, StanceModel, N_CLASSES, N_REL};
use crate::encode::{Counters, EncodeStats};
use crate::error::{Error, Result};
use crate::model::StanceScores;
use crate::models::{encoder_dir, not_found, require_file, HeadSource};
use crate::stance::{DocContext, RuleStance, StanceClassifier, StanceInput};
use crate::train_util::cerr;
use candle_core::{DType, Device, Module, Tensor, D};
use candle_nn::{Linear, VarBuilder};
use candle_transformers::models::bert::{BertModel, Config as BertConfig};
use std::collections::HashMap;
use std::path::Path;
use tokenizers::Tokenizer;

pub use crate::models::TUNED_HEAD_FILE as TUNED_FILE;
/// Longest input, in tokens.
pub const MAX_TOKENS: usize = 128;
/// Most tokens of the quote itself.
pub const MAX_QUOTE_TOKENS: usize = 64;

/// The fine-tuned model for a models dir: `MODELS_DIR/heads/stance_tuned.safetensors` when
/// present, else the built-in one.
pub fn tuned_head(models_dir: &Path) -> HeadSource {
    HeadSource::for_models_dir(models_dir, TUNED_FILE)
}

/// The speaker's relation to the person at issue, as the pipeline sees it.
pub fn relation_word(x: &StanceInput<'_>) -> &'static str {
    if !x.has_speaker {
        "unknown"
    } else if x.speaker_is_target {
        "self"
    } else if x.speaker_is_report {
        "report"
    } else if x.same_party {
        "ally"
    } else if x.opposed {
        "opponent"
    } else if !x.speaker_is_person {
        "group"
    } else {
        "other"
    }
}

/// One BERT layer written with differentiable operations only (candle's fast
/// layer norm has no backward pass), so that it trains.
#[derive(Debug, Clone)]
pub struct TunedLayer {
    query: Linear,
    key: Linear,
    value: Linear,
    attn_out: Linear,
    ln1: (Tensor, Tensor),
    inter: Linear,
    out: Linear,
    ln2: (Tensor, Tensor),
    heads: usize,
    eps: f32,
}

/// The tensor names of one BERT layer, as in the encoder's file.
pub const LAYER_TENSORS: [&str; 16] = [
    "attention.self.query.weight",
    "attention.self.query.bias",
    "attention.self.key.weight",
    "attention.self.key.bias",
    "attention.self.value.weight",
    "attention.self.value.bias",
    "attention.output.dense.weight",
    "attention.output.dense.bias",
    "attention.output.LayerNorm.weight",
    "attention.output.LayerNorm.bias",
    "intermediate.dense.weight",
    "intermediate.dense.bias",
    "output.dense.weight",
    "output.dense.bias",
    "output.LayerNorm.weight",
    "output.LayerNorm.bias",
];

impl TunedLayer {
    /// Builds a layer from a var builder holding [`LAYER_TENSORS`].
    pub fn new(vb: VarBuilder, c: &BertConfig) -> candle_core::Result<TunedLayer> {
        let (h, i) = (c.hidden_size, c.intermediate_size);
        let ln = |p: &str| -> candle_core::Result<(Tensor, Tensor)> {
            Ok((vb.pp(p).get(h, "weight")?, vb.pp(p).get(h, "bias")?))
        };
        Ok(TunedLayer {
            query: candle_nn::linear(h, h, vb.pp("attention.self.query"))?,
            key: candle_nn::linear(h, h, vb.pp("attention.self.key"))?,
            value: candle_nn::linear(h, h, vb.pp("attention.self.value"))?,
            attn_out: candle_nn::linear(h, h, vb.pp("attention.output.dense"))?,
            ln1: ln("attention.output.LayerNorm")?,
            inter: candle_nn::linear(h, i, vb.pp("intermediate.dense"))?,
            out: candle_nn::linear(i, h, vb.pp("output.dense"))?,
            ln2: ln("output.LayerNorm")?,
            heads: c.num_attention_heads,
            eps: c.layer_norm_eps as f32,
        })
    }

    /// `x` `[b, s, h]`, `mask` `[b, 1, 1, s]` (0 to keep, a large negative to drop).
    pub fn forward(&self, x: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
        let (b, s, h) = x.dims3()?;
        let d = h / self.heads;
        let split = |t: Tensor| t.reshape((b, s, self.heads, d))?.transpose(1, 2)?.contiguous();
        let q = split(self.query.forward(x)?)?;
        let k = split(self.key.forward(x)?)?;
        let v = split(self.value.forward(x)?)?;
        let scores = (q.matmul(&k.t()?)? / (d as f64).sqrt())?.broadcast_add(mask)?;
        let p = candle_nn::ops::softmax(&scores, D::Minus1)?;
        let ctx = p.matmul(&v)?.transpose(1, 2)?.reshape((b, s, h))?;
        let a =
            candle_nn::ops::layer_norm_slow(&(self.attn_out.forward(&ctx)? + x)?, &self.ln1.0, &self.ln1.1, self.eps)?;
        let m = self.inter.forward(&a)?.gelu_erf()?;
        candle_nn::ops::layer_norm_slow(&(self.out.forward(&m)? + a)?, &self.ln2.0, &self.ln2.1, self.eps)
    }

    /// The layer's tensors under `prefix` (for saving).
    pub fn tensors(&self, prefix: &str) -> Vec<(String, Tensor)> {
        let lin = |name: &str, l: &Linear| {
            let mut v = vec![(format!("{prefix}{name}.weight"), l.weight().clone())];
            if let Some(b) = l.bias() {
                v.push((format!("{prefix}{name}.bias"), b.clone()));
            }
            v
        };
        let mut v = Vec::new();
        v.extend(lin("attention.self.query", &self.query));
        v.extend(lin("attention.self.key", &self.key));
        v.extend(lin("attention.self.value", &self.value));
        v.extend(lin("attention.output.dense", &self.attn_out));
        v.push((format!("{prefix}attention.output.LayerNorm.weight"), self.ln1.0.clone()));
        v.push((format!("{prefix}attention.output.LayerNorm.bias"), self.ln1.1.clone()));
        v.extend(lin("intermediate.dense", &self.inter));
        v.extend(lin("output.dense", &self.out));
        v.push((format!("{prefix}output.LayerNorm.weight"), self.ln2.0.clone()));
        v.push((format!("{prefix}output.LayerNorm.bias"), self.ln2.1.clone()));
        v
    }
}

/// The additive attention mask `[b, 1, 1, s]` of a 0/1 mask `[b, s]`.
pub fn additive_mask(mask: &Tensor) -> candle_core::Result<Tensor> {
    let m = mask.to_dtype(DType::F32)?.unsqueeze(1)?.unsqueeze(1)?;
    (m.ones_like()? - m)? * -1e9
}

/// Mean of `states` `[b, s, h]` over the tokens where `mask` `[b, s]` is 1.
pub fn masked_mean(states: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
    let m = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
    let sum = states.broadcast_mul(&m)?.sum(1)?;
    sum.broadcast_div(&m.sum(1)?.clamp(1.0, f64::MAX)?)
}

/// The token ids of one quote's input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunedInput {
    pub ids: Vec<u32>,
}

/// Tokenizer and special ids for [`TunedInput`]s.
#[derive(Debug, Clone)]
pub struct InputBuilder {
    tokenizer: Tokenizer,
    cls: u32,
    sep: u32,
}

impl InputBuilder {
    /// From the encoder folder's `tokenizer.json`.
    pub fn load(dir: &Path) -> Result<InputBuilder> {
        let path = require_file(dir, "tokenizer.json")?;
        let mut tokenizer =
            Tokenizer::from_file(&path).map_err(|e| not_found(&path, format!("not a readable tokenizer: {e}")))?;
        tokenizer.with_padding(None);
        tokenizer.with_truncation(None).map_err(|e| Error::Model(format!("tokenizer: {e}")))?;
        let id = |name: &str| {
            tokenizer.token_to_id(name).ok_or_else(|| not_found(&path, format!("tokenizer has no {name} token")))
        };
        let (cls, sep) = (id("[CLS]")?, id("[SEP]")?);
        Ok(InputBuilder { tokenizer, cls, sep })
    }

    fn words(&self, text: &str) -> Result<Vec<u32>> {
        let enc = self.tokenizer.encode(text, false).map_err(|e| Error::Model(format!("tokenizer: {e}")))?;
        Ok(enc.get_ids().to_vec())
    }

    /// `[CLS] relation [SEP] quote [SEP] context [SEP]`, the quote cut to
    /// [`MAX_QUOTE_TOKENS`] and the whole to [`MAX_TOKENS`].
    pub fn build(&self, x: &StanceInput<'_>) -> Result<TunedInput> {
        let mut ids = vec![self.cls];
        ids.extend(self.words(relation_word(x))?);
        ids.push(self.sep);
        let mut q = self.words(x.quote)?;
        q.truncate(MAX_QUOTE_TOKENS);
        ids.extend(q);
        ids.push(self.sep);
        let mut c = self.words(x.context)?;
        c.truncate(MAX_TOKENS.saturating_sub(ids.len() + 1));
        ids.extend(c);
        ids.push(self.sep);
        Ok(TunedInput { ids })
    }
}

/// The lower, frozen layers: the installed encoder with its top layers left off.
pub struct Lower {
    model: BertModel,
    /// The encoder's weights, shared with the document pass ([`crate::encode::candle::shared_weights`]).
    _weights: crate::encode::candle::Weights,
    /// The whole encoder's config (all its layers).
    pub config: BertConfig,
}

impl Lower {
    /// The encoder in `dir` without its top `tuned` layers (0: the whole encoder).
    pub fn load(dir: &Path, tuned: usize) -> Result<Lower> {
        let cfg_path = require_file(dir, "config.json")?;
        let weights = require_file(dir, "model.safetensors")?;
        let raw = std::fs::read_to_string(&cfg_path).map_err(|e| Error::io(&cfg_path, e))?;
        let config: BertConfig =
            serde_json::from_str(&raw).map_err(|e| not_found(&cfg_path, format!("not a BERT config: {e}")))?;
        if tuned > config.num_hidden_layers {
            return Err(Error::Model(format!(
                "{tuned} tuned layers do not fit an encoder of {} layers",
                config.num_hidden_layers
            )));
        }
        let mut lower = config.clone();
        lower.num_hidden_layers -= tuned;
        let shared = crate::encode::candle::shared_weights(&weights)?;
        let vb = VarBuilder::from_tensors((*shared).clone(), DType::F32, &Device::Cpu);
        let model = BertModel::load(vb, &lower).map_err(|e| not_found(&weights, e.to_string()))?;
        Ok(Lower { model, _weights: shared, config })
    }

    /// States `[b, s, h]` after the lower layers, for padded ids and masks `[b, s]`.
    pub fn forward(&self, ids: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
        self.model.forward(ids, &ids.zeros_like()?, Some(mask))
    }
}

/// Pads inputs into `(ids, mask)` tensors `[b, s]`.
pub fn pad(inputs: &[&TunedInput]) -> candle_core::Result<(Tensor, Tensor)> {
    let s = inputs.iter().map(|x| x.ids.len()).max().unwrap_or(1);
    let mut ids = Vec::with_capacity(inputs.len() * s);
    let mut mask = Vec::with_capacity(inputs.len() * s);
    for x in inputs {
        ids.extend(x.ids.iter().copied().chain(std::iter::repeat_n(0, s - x.ids.len())));
        mask.extend((0..s).map(|i| u32::from(i < x.ids.len())));
    }
    let n = inputs.len();
    Ok((Tensor::from_vec(ids, (n, s), &Device::Cpu)?, Tensor::from_vec(mask, (n, s), &Device::Cpu)?))
}

/// The top layers and the pooled representation, shared by training and inference.
pub fn top_pooled(layers: &[TunedLayer], lower: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
    let add = additive_mask(mask)?;
    let mut h = lower.clone();
    for l in layers {
        h = l.forward(&h, &add)?;
    }
    masked_mean(&h, mask)
}

/// The fine-tuned stance model (see the module docs).
pub struct TunedStance {
    lower: Lower,
    pub layers: Vec<TunedLayer>,
    pub head: StanceModel,
    inputs: InputBuilder,
    /// The quotes' passes through the encoder, for `--stats` and the benches.
    counters: Counters,
}

impl std::fmt::Debug for TunedStance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TunedStance").field("layers", &self.layers.len()).finish_non_exhaustive()
    }
}

/// The `tuned_layers` count stored in a model file.
fn tuned_count(tensors: &HashMap<String, Tensor>, path: &Path) -> Result<usize> {
    let k = tensors
        .get("tuned_layers")
        .and_then(|t| t.flatten_all().ok()?.to_vec1::<f32>().ok()?.first().copied())
        .ok_or_else(|| not_found(path, "not a fine-tuned stance model (no tuned_layers)"))?;
    Ok(k as usize)
}

impl TunedStance {
    /// Loads a fine-tuned model, with the lower layers and tokenizer of the
    /// encoder installed in `models_dir`.
    pub fn load(source: &HeadSource, models_dir: &Path) -> Result<TunedStance> {
        let path = &source.path();
        // read once: the head's tensors and the tuned layers' are in the same file
        let tensors = source.tensors()?;
        let head = StanceModel::from_tensors(tensors.clone(), path)?;
        let k = tuned_count(&tensors, path)?;
        if k == 0 {
            return Err(not_found(path, "a fine-tuned stance model with no tuned layers"));
        }
        let dir = encoder_dir(models_dir);
        let lower = Lower::load(&dir, k)?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
        let layers = (0..k)
            .map(|i| TunedLayer::new(vb.pp(format!("top.{i}")), &lower.config))
            .collect::<candle_core::Result<Vec<_>>>()
            .map_err(|e| not_found(path, format!("tuned layers do not fit the encoder: {e}")))?;
        if head.input_width() != lower.config.hidden_size + N_REL {
            return Err(not_found(
                path,
                "the head does not fit this encoder; retrain with `train stance --tune-layers`",
            ));
        }
        Ok(TunedStance { lower, layers, head, inputs: InputBuilder::load(&dir)?, counters: Counters::default() })
    }

    /// Saves the head and the tuned layers, the layers as f16: half the file (7 MB, not 14, so the
    /// crate that builds it in stays under crates.io's 10 MB), loaded back as f32.
    pub fn save_parts(head: &StanceModel, layers: &[TunedLayer], path: &Path) -> Result<()> {
        head.save(path)?;
        let mut m = candle_core::safetensors::load(path, &Device::Cpu).map_err(cerr)?;
        for (i, l) in layers.iter().enumerate() {
            for (name, t) in l.tensors(&format!("top.{i}.")) {
                m.insert(name, t.to_dtype(DType::F16).map_err(cerr)?);
            }
        }
        m.insert("tuned_layers".into(), Tensor::new(&[layers.len() as f32], &Device::Cpu).map_err(cerr)?);
        candle_core::safetensors::save(&m, path).map_err(cerr)
    }

    /// Logits of some quotes (batched by the caller).
    pub fn logits(&self, inputs: &[StanceInput<'_>], rules: &[StanceScores]) -> Result<Vec<[f32; N_CLASSES]>> {
        let built = inputs.iter().map(|x| self.inputs.build(x)).collect::<Result<Vec<_>>>()?;
        self.logits_of(&built.iter().collect::<Vec<_>>(), inputs, rules)
    }

    fn logits_of(
        &self,
        built: &[&TunedInput],
        inputs: &[StanceInput<'_>],
        rules: &[StanceScores],
    ) -> Result<Vec<[f32; N_CLASSES]>> {
        if inputs.is_empty() {
            return Ok(Vec::new());
        }
        let (ids, mask) = pad(built).map_err(cerr)?;
        let lower = self.lower.forward(&ids, &mask).map_err(cerr)?;
        let pooled = top_pooled(&self.layers, &lower, &mask).map_err(cerr)?;
        let rel: Vec<f32> = inputs.iter().zip(rules).flat_map(|(x, r)| relation_features(x, r)).collect();
        let rel = Tensor::from_vec(rel, (inputs.len(), N_REL), &Device::Cpu).map_err(cerr)?;
        let x = Tensor::cat(&[&pooled, &rel], 1).map_err(cerr)?;
        let l = self.head.head.forward(&x).map_err(cerr)?.to_vec2::<f32>().map_err(cerr)?;
        let real: u64 = built.iter().map(|b| b.ids.len() as u64).sum();
        self.counters.add(&EncodeStats {
            texts: built.len() as u64,
            text_tokens: real,
            real_tokens: real,
            padded_tokens: ids.elem_count() as u64,
            sequences: built.len() as u64,
            batches: 1,
        });
        Ok(l.into_iter().map(|r| [r[0], r[1], r[2], r[3]]).collect())
    }

    /// Scores of a document's quotes, run in batches of [`BATCH`] quotes of similar length
    /// (less padding than in document order).
    pub fn try_classify(&self, inputs: &[StanceInput<'_>]) -> Result<Vec<StanceScores>> {
        let rules: Vec<StanceScores> = inputs.iter().map(|x| RuleStance.one(x)).collect();
        let built = inputs.iter().map(|x| self.inputs.build(x)).collect::<Result<Vec<_>>>()?;
        let mut order: Vec<usize> = (0..inputs.len()).collect();
        order.sort_by_key(|&i| built[i].ids.len());
        let mut out: Vec<Option<StanceScores>> = vec![None; inputs.len()];
        for idx in order.chunks(BATCH) {
            let b: Vec<&TunedInput> = idx.iter().map(|&i| &built[i]).collect();
            let xs: Vec<StanceInput<'_>> = idx.iter().map(|&i| inputs[i].clone()).collect();
            let rs: Vec<StanceScores> = idx.iter().map(|&i| rules[i]).collect();
            for (&i, l) in idx.iter().zip(self.logits_of(&b, &xs, &rs)?) {
                out[i] = Some(self.head.output(&l, &rules[i], RuleStance.excludes_call(&inputs[i])));
            }
        }
        out.into_iter().map(|s| s.ok_or_else(|| Error::Internal("a quote left without stance scores".into()))).collect()
    }

    /// The quotes' encoder work since load.
    pub fn stats(&self) -> EncodeStats {
        self.counters.get()
    }
}

/// Quotes per encoder batch.
const BATCH: usize = 16;

impl StanceClassifier for TunedStance {
    /// On a model error the rule classifier answers, so a document is never left unscored.
    fn classify(&self, doc: &DocContext<'_>, inputs: &[StanceInput<'_>]) -> Vec<StanceScores> {
        self.try_classify(inputs).unwrap_or_else(|_| RuleStance.classify(doc, inputs))
    }

    fn encode_stats(&self) -> Option<EncodeStats> {
        Some(self.stats())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relation_words_follow_the_pipeline_relation() {
        let mut x = StanceInput::bare("She must go.", "said", false);
        x.has_speaker = false;
        assert_eq!(relation_word(&x), "unknown");
        x.has_speaker = true;
        x.speaker_is_person = true;
        assert_eq!(relation_word(&x), "other");
        x.opposed = true;
        assert_eq!(relation_word(&x), "opponent");
        x.same_party = true;
        assert_eq!(relation_word(&x), "ally");
        x.speaker_is_report = true;
        assert_eq!(relation_word(&x), "report");
        x.speaker_is_target = true;
        assert_eq!(relation_word(&x), "self");
        let mut y = StanceInput::bare("We back him.", "said", false);
        y.speaker_is_person = false;
        assert_eq!(relation_word(&y), "group");
    }

    #[test]
    fn masks_and_pooling() {
        let mask = Tensor::new(&[[1u32, 1, 0]], &Device::Cpu).unwrap();
        let add = additive_mask(&mask).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(&add[..2], &[0.0, 0.0]);
        assert!(add[2] < -1e8);
        let states = Tensor::new(&[[[1f32, 2.], [3., 4.], [100., 100.]]], &Device::Cpu).unwrap();
        let m = masked_mean(&states, &mask).unwrap().to_vec2::<f32>().unwrap();
        assert_eq!(m, vec![vec![2.0, 3.0]]);
        let (ids, m) = pad(&[&TunedInput { ids: vec![5, 6, 7] }, &TunedInput { ids: vec![8] }]).unwrap();
        assert_eq!(ids.to_vec2::<u32>().unwrap(), vec![vec![5, 6, 7], vec![8, 0, 0]]);
        assert_eq!(m.to_vec2::<u32>().unwrap(), vec![vec![1, 1, 1], vec![1, 0, 0]]);
    }
}
