//! The trained stance classifier: a small head on the shared (frozen)
//! encoder's states, plugged into the [`StanceClassifier`] seam.
//!
//! Inputs per quote ([`features`]): the mean encoder state of the quote's
//! tokens, the mean state of its context (the sentence(s) with the cue), and
//! [`N_REL`] relation features ([`relation_features`]: speaker is the person at
//! issue, same party, speaker is a named person, quote kind, a "call" cue, the
//! rule classifier's own four scores, quote length, speaker in opposition). The head is
//! `Linear(in, h) -> GELU -> Linear(h, 4)`; its logits are divided by a
//! temperature fitted on held-out data ([`fit_temperature`]) before the
//! softmax, optionally blended with the rule scores (`blend`, 0: model only),
//! and the blend recalibrated by a second temperature (`output_temperature`).
//!
//! The head file (safetensors) holds `fc1.*`, `fc2.*`, `temperature` `[1]`
//! `blend` `[1]` and `output_temperature` `[1]` (1 when absent). Training: [`train`] (`quotestance train stance`).

pub mod finetune;
pub mod train;
pub mod tuned;

use crate::encode::Encoded;
use crate::error::{Error, Result};
use crate::model::{QuoteKind, StanceScores};
use crate::models::{not_found, HeadSource};
use crate::stance::{DocContext, RuleStance, StanceClassifier, StanceInput};
use crate::train_util::cerr;
use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{Linear, VarBuilder};
use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

pub use crate::models::STANCE_HEAD_FILE;
/// Number of relation features per quote.
pub const N_REL: usize = 15;
/// Number of classes (the order of [`crate::model::Stance::ALL`]).
pub const N_CLASSES: usize = 4;

/// The frozen-state stance head for a models dir: `MODELS_DIR/heads/stance.safetensors` when
/// present, else the built-in one.
pub fn stance_head(models_dir: &Path) -> HeadSource {
    HeadSource::for_models_dir(models_dir, STANCE_HEAD_FILE)
}

fn b(x: bool) -> f32 {
    f32::from(u8::from(x))
}

/// The relation features of one quote, given the rule classifier's scores of it.
pub fn relation_features(x: &StanceInput<'_>, rule: &StanceScores) -> [f32; N_REL] {
    let r = rule.to_array();
    let cue = x.cue.to_lowercase();
    [
        b(x.speaker_is_target),
        b(x.same_party),
        b(x.has_speaker),
        b(x.speaker_is_person),
        b(x.has_speaker && !x.speaker_is_person),
        b(x.kind == QuoteKind::Direct),
        b(x.kind == QuoteKind::Indirect),
        b(x.kind == QuoteKind::Mixed),
        b(cue.contains("call") || cue.contains("urg") || cue.contains("demand")),
        r[0],
        r[1],
        r[2],
        r[3],
        (1.0 + x.quote.chars().count() as f32).ln() / 6.0,
        b(x.opposed),
    ]
}

/// Mean of the encoder states of the tokens inside a byte range (tokens that
/// overlap it when none lies wholly inside; zeros when none overlaps).
pub fn mean_pool(enc: &Encoded, r: &Range<usize>) -> Vec<f32> {
    let mut out = vec![0f32; enc.hidden];
    let inside: Vec<usize> = (0..enc.len())
        .filter(|&i| {
            let t = &enc.tokens[i].bytes;
            t.start >= r.start && t.end <= r.end && t.start < t.end
        })
        .collect();
    let picked = if inside.is_empty() {
        (0..enc.len())
            .filter(|&i| {
                let t = &enc.tokens[i].bytes;
                t.start < r.end && r.start < t.end
            })
            .collect()
    } else {
        inside
    };
    if picked.is_empty() {
        return out;
    }
    for &i in &picked {
        for (o, v) in out.iter_mut().zip(enc.state(i)) {
            *o += v;
        }
    }
    let n = picked.len() as f32;
    out.iter_mut().for_each(|o| *o /= n);
    out
}

/// The head's input row for one quote: quote pool, context pool, relation features.
pub fn features(enc: &Encoded, x: &StanceInput<'_>, rule: &StanceScores) -> Vec<f32> {
    let mut v = mean_pool(enc, &x.quote_bytes);
    v.extend(mean_pool(enc, &x.context_bytes));
    v.extend(relation_features(x, rule));
    v
}

/// Softmax of `logits / t`.
pub fn softmax_t(logits: &[f32; N_CLASSES], t: f32) -> [f32; N_CLASSES] {
    let t = t.max(1e-3);
    let m = logits.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b / t));
    let mut e = [0f32; N_CLASSES];
    for (o, &l) in e.iter_mut().zip(logits) {
        *o = (l / t - m).exp();
    }
    let s: f32 = e.iter().sum();
    e.map(|x| x / s)
}

/// Mean negative log-likelihood of the labels under `softmax(logits / t)`.
pub fn nll(logits: &[[f32; N_CLASSES]], labels: &[usize], t: f32) -> f64 {
    if logits.is_empty() {
        return 0.0;
    }
    let s: f64 = logits.iter().zip(labels).map(|(l, &y)| -(softmax_t(l, t)[y].max(1e-12) as f64).ln()).sum();
    s / logits.len() as f64
}

/// The temperature that minimises the NLL of held-out logits (log-grid
/// search over 0.05..20, then a finer grid around the best).
pub fn fit_temperature(logits: &[[f32; N_CLASSES]], labels: &[usize]) -> f32 {
    if logits.is_empty() {
        return 1.0;
    }
    let grid = |lo: f32, hi: f32, n: usize| -> f32 {
        let (a, bb) = (lo.ln(), hi.ln());
        let mut best = (f64::INFINITY, 1.0f32);
        for i in 0..=n {
            let t = (a + (bb - a) * i as f32 / n as f32).exp();
            let v = nll(logits, labels, t);
            if v < best.0 {
                best = (v, t);
            }
        }
        best.1
    };
    let t0 = grid(0.05, 20.0, 200);
    grid(t0 / 1.05, t0 * 1.05, 100)
}

/// Expected calibration error of the top-class confidence, `bins` equal-width bins.
pub fn ece(probs: &[[f32; N_CLASSES]], labels: &[usize], bins: usize) -> f64 {
    let decided: Vec<(f32, bool)> = probs
        .iter()
        .zip(labels)
        .map(|(p, &y)| {
            let (k, c) = argmax(p);
            (c, k == y)
        })
        .collect();
    ece_of(&decided, bins)
}

/// Expected calibration error of decisions given as (confidence, right).
pub fn ece_of(decided: &[(f32, bool)], bins: usize) -> f64 {
    if decided.is_empty() {
        return 0.0;
    }
    let bins = bins.max(1);
    let mut conf = vec![0f64; bins];
    let mut acc = vec![0f64; bins];
    let mut cnt = vec![0usize; bins];
    for &(c, right) in decided {
        let bin = ((c as f64 * bins as f64) as usize).min(bins - 1);
        conf[bin] += c as f64;
        acc[bin] += f64::from(u8::from(right));
        cnt[bin] += 1;
    }
    let n = decided.len() as f64;
    (0..bins).filter(|&i| cnt[i] > 0).map(|i| (acc[i] - conf[i]).abs() / n).sum()
}

/// Index and value of the largest entry.
pub fn argmax(p: &[f32; N_CLASSES]) -> (usize, f32) {
    let mut k = 0;
    for j in 1..N_CLASSES {
        if p[j] > p[k] {
            k = j;
        }
    }
    (k, p[k])
}

/// The classification head: `Linear(in, h) -> GELU -> Linear(h, 4)`.
#[derive(Debug, Clone)]
pub struct StanceHead {
    pub(crate) fc1: Linear,
    pub(crate) fc2: Linear,
    pub(crate) input: usize,
}

impl StanceHead {
    /// Builds the head from a var builder (`fc1.*`, `fc2.*`).
    pub fn new(vb: VarBuilder, input: usize, hidden: usize) -> candle_core::Result<StanceHead> {
        Ok(StanceHead {
            fc1: candle_nn::linear(input, hidden, vb.pp("fc1"))?,
            fc2: candle_nn::linear(hidden, N_CLASSES, vb.pp("fc2"))?,
            input,
        })
    }

    /// Logits `[n, 4]`.
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        self.fc2.forward(&self.fc1.forward(x)?.gelu()?)
    }
}

/// The trained stance classifier (head, temperature, blend with the rules).
#[derive(Debug, Clone)]
pub struct StanceModel {
    head: StanceHead,
    /// Logits are divided by this before the softmax (temperature scaling).
    pub temperature: f32,
    /// Weight of the rule scores in the output (0: the model alone).
    pub blend: f32,
    /// The blended output is recalibrated by this temperature (on log
    /// probabilities; fitted on held-out data after the blend; 1: none).
    pub output_temperature: f32,
}

impl StanceModel {
    /// Loads a head saved by `quotestance train stance`.
    pub fn load(path: &Path) -> Result<StanceModel> {
        StanceModel::from_source(&HeadSource::File(path.to_path_buf()))
    }

    /// Loads a head from a file or the built-in one.
    pub fn from_source(source: &HeadSource) -> Result<StanceModel> {
        StanceModel::from_tensors(source.tensors()?, &source.path())
    }

    /// The head in tensors already loaded (`path` names them in errors).
    pub(crate) fn from_tensors(tensors: HashMap<String, Tensor>, path: &Path) -> Result<StanceModel> {
        let scalar = |name: &str, default: f32| -> f32 {
            tensors
                .get(name)
                .and_then(|t| t.flatten_all().ok()?.to_vec1::<f32>().ok()?.first().copied())
                .unwrap_or(default)
        };
        let temperature = scalar("temperature", 1.0);
        let blend = scalar("blend", 0.0);
        let output_temperature = scalar("output_temperature", 1.0);
        let w1 = tensors.get("fc1.weight").map(|t| t.dims().to_vec()).unwrap_or_default();
        let w2 = tensors.get("fc2.weight").map(|t| t.dims().to_vec()).unwrap_or_default();
        if w1.len() != 2 || w2 != [N_CLASSES, w1[0]] {
            return Err(not_found(path, format!("head shapes {w1:?} / {w2:?} do not fit {N_CLASSES} classes")));
        }
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
        let head = StanceHead::new(vb, w1[1], w1[0]).map_err(|e| not_found(path, e.to_string()))?;
        Ok(StanceModel { head, temperature, blend, output_temperature })
    }

    pub(crate) fn from_head(head: StanceHead, temperature: f32, blend: f32) -> StanceModel {
        StanceModel { head, temperature, blend, output_temperature: 1.0 }
    }

    /// Saves the head with its temperature and blend.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut m: HashMap<String, Tensor> = HashMap::new();
        m.insert("fc1.weight".into(), self.head.fc1.weight().clone());
        m.insert("fc2.weight".into(), self.head.fc2.weight().clone());
        if let Some(b1) = self.head.fc1.bias() {
            m.insert("fc1.bias".into(), b1.clone());
        }
        if let Some(b2) = self.head.fc2.bias() {
            m.insert("fc2.bias".into(), b2.clone());
        }
        m.insert("temperature".into(), Tensor::new(&[self.temperature], &Device::Cpu).map_err(cerr)?);
        m.insert("blend".into(), Tensor::new(&[self.blend], &Device::Cpu).map_err(cerr)?);
        m.insert("output_temperature".into(), Tensor::new(&[self.output_temperature], &Device::Cpu).map_err(cerr)?);
        candle_core::safetensors::save(&m, path).map_err(cerr)
    }

    /// Width of the input rows the head expects.
    pub fn input_width(&self) -> usize {
        self.head.input
    }

    /// Raw logits of feature rows (`rows.len() / input_width()` of them).
    pub fn logits(&self, rows: Vec<f32>) -> Result<Vec<[f32; N_CLASSES]>> {
        let n = rows.len() / self.head.input.max(1);
        if n == 0 {
            return Ok(Vec::new());
        }
        let x = Tensor::from_vec(rows, (n, self.head.input), &Device::Cpu).map_err(cerr)?;
        let l = self.head.forward(&x).map_err(cerr)?.to_vec2::<f32>().map_err(cerr)?;
        Ok(l.into_iter().map(|r| [r[0], r[1], r[2], r[3]]).collect())
    }

    /// The model's calibrated probabilities blended with the rule scores
    /// (before the output temperature).
    pub fn probs(&self, logits: &[f32; N_CLASSES], rule: &StanceScores) -> StanceScores {
        let p = softmax_t(logits, self.temperature);
        let r = rule.to_array();
        let w = self.blend.clamp(0.0, 1.0);
        StanceScores::from_array(std::array::from_fn(|i| (1.0 - w) * p[i] + w * r[i]))
    }

    /// Blended probabilities recalibrated by the output temperature.
    pub fn calibrated(&self, logits: &[f32; N_CLASSES], rule: &StanceScores) -> StanceScores {
        let p = self.probs(logits, rule).to_array();
        if self.output_temperature == 1.0 {
            return StanceScores::from_array(p);
        }
        StanceScores::from_array(softmax_t(&log_probs(&p), self.output_temperature))
    }

    /// The head's output for one quote: calibrated, blended, and with no
    /// `call_to_resign` where the wording rules a call out
    /// ([`RuleStance::excludes_call`]).
    pub fn output(&self, logits: &[f32; N_CLASSES], rule: &StanceScores, excludes_call: bool) -> StanceScores {
        let p = self.calibrated(logits, rule);
        if excludes_call {
            without_call(p)
        } else {
            p
        }
    }

    /// Errors unless the head takes the features of an encoder of this hidden
    /// size (a head trained with another encoder or another feature layout).
    pub fn check_fits(&self, hidden: usize) -> Result<()> {
        if 2 * hidden + N_REL != self.head.input {
            return Err(Error::Model(format!(
                "the stance head expects {} inputs, but this encoder and feature layout give 2 x {hidden} + {N_REL}; \
                 retrain it with `quotestance train stance`",
                self.head.input
            )));
        }
        Ok(())
    }

    /// Scores of a document's quotes; errors when the encoder states do not fit.
    pub fn try_classify(&self, enc: &Encoded, inputs: &[StanceInput<'_>]) -> Result<Vec<StanceScores>> {
        self.check_fits(enc.hidden)?;
        let rules: Vec<StanceScores> = inputs.iter().map(|x| RuleStance.one(x)).collect();
        let mut rows = Vec::with_capacity(inputs.len() * self.head.input);
        for (x, r) in inputs.iter().zip(&rules) {
            rows.extend(features(enc, x, r));
        }
        let logits = self.logits(rows)?;
        Ok(logits
            .iter()
            .zip(&rules)
            .zip(inputs)
            .map(|((l, r), x)| self.output(l, r, RuleStance.excludes_call(x)))
            .collect())
    }
}

/// Log probabilities (floored, so that a zero stays finite), usable as logits.
pub fn log_probs(p: &[f32; N_CLASSES]) -> [f32; N_CLASSES] {
    p.map(|v| v.max(1e-6).ln())
}

/// The scores with `call_to_resign` removed and the rest renormalised (all
/// to `other` when nothing is left).
pub fn without_call(p: StanceScores) -> StanceScores {
    let mut a = p.to_array();
    a[0] = 0.0;
    let rest: f32 = a.iter().sum();
    if rest > 0.0 {
        a.iter_mut().for_each(|v| *v /= rest);
    } else {
        a[3] = 1.0;
    }
    StanceScores::from_array(a)
}

impl StanceClassifier for StanceModel {
    /// Without encoder states (or when they do not fit the head) the rule
    /// classifier answers, so a document is never left unscored.
    fn classify(&self, doc: &DocContext<'_>, inputs: &[StanceInput<'_>]) -> Vec<StanceScores> {
        match doc.encoded.map(|e| self.try_classify(e, inputs)) {
            Some(Ok(s)) => s,
            _ => RuleStance.classify(doc, inputs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::Token;

    fn enc() -> Encoded {
        // "ab cd ef": three tokens, hidden 2
        let tokens = (0..3)
            .map(|i| Token { id: i as u32, bytes: 3 * i..3 * i + 2, chars: 3 * i..3 * i + 2, word: Some(i as u32) })
            .collect();
        Encoded { tokens, hidden: 2, states: vec![1.0, 0.0, 3.0, 2.0, 5.0, 4.0] }
    }

    #[test]
    fn pooling_inside_overlap_and_empty() {
        let e = enc();
        assert_eq!(mean_pool(&e, &(0..5)), vec![2.0, 1.0]);
        assert_eq!(mean_pool(&e, &(7..8)), vec![5.0, 4.0], "overlap only");
        assert_eq!(mean_pool(&e, &(20..30)), vec![0.0, 0.0]);
    }

    #[test]
    fn feature_row_layout() {
        let e = enc();
        let text = "ab cd ef";
        let mut x = StanceInput::bare(text, "called for", true);
        x.quote_bytes = 0..2;
        x.context_bytes = 0..8;
        x.speaker_is_person = false;
        let rule = StanceScores::from_array([0.7, 0.1, 0.1, 0.1]);
        let f = features(&e, &x, &rule);
        assert_eq!(f.len(), 2 * 2 + N_REL);
        assert_eq!(&f[..4], &[1.0, 0.0, 3.0, 2.0]);
        let r = &f[4..];
        assert_eq!(r[0], 1.0, "speaker is target");
        assert_eq!(r[3], 0.0, "not a named person");
        assert_eq!(r[4], 1.0, "a description");
        assert_eq!(r[5], 1.0, "direct");
        assert_eq!(r[8], 1.0, "call cue");
        assert_eq!(&r[9..13], &[0.7, 0.1, 0.1, 0.1]);
        assert_eq!(r[14], 0.0, "not in opposition");
        x.opposed = true;
        assert_eq!(features(&e, &x, &rule)[4 + 14], 1.0, "in opposition");
    }

    #[test]
    fn the_call_constraint_removes_call_and_renormalises() {
        let p = without_call(StanceScores::from_array([0.6, 0.2, 0.1, 0.1]));
        let a = p.to_array();
        assert_eq!(a[0], 0.0);
        assert!((a.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!((a[1] - 0.5).abs() < 1e-6, "{a:?}");
        assert_eq!(without_call(StanceScores::from_array([1.0, 0.0, 0.0, 0.0])).to_array(), [0.0, 0.0, 0.0, 1.0]);
        // which wordings rule a call out
        let mut x =
            StanceInput::bare("Cllr Hale is calling for a resignation to score political points.", "said", false);
        assert!(RuleStance.excludes_call(&x), "a reported call attacked");
        x.quote = "I am not calling for her to resign.";
        assert!(RuleStance.excludes_call(&x), "a disclaimed call");
        x.quote = "She must resign.";
        assert!(!RuleStance.excludes_call(&x));
        x.speaker_is_report = true;
        assert!(RuleStance.excludes_call(&x), "a report's finding");
    }

    #[test]
    fn softmax_and_temperature() {
        let p = softmax_t(&[2.0, 0.0, 0.0, 0.0], 1.0);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        let hot = softmax_t(&[2.0, 0.0, 0.0, 0.0], 0.5);
        let cool = softmax_t(&[2.0, 0.0, 0.0, 0.0], 4.0);
        assert!(hot[0] > p[0] && p[0] > cool[0]);
        // overconfident logits: right 70% of the time with 99% confidence -> T > 1
        let mut logits = Vec::new();
        let mut labels = Vec::new();
        for i in 0..100 {
            logits.push([8.0, 0.0, 0.0, 0.0]);
            labels.push(if i % 10 < 7 { 0 } else { 1 + i % 3 });
        }
        let t = fit_temperature(&logits, &labels);
        assert!(t > 1.5, "{t}");
        let p = softmax_t(&logits[0], t);
        assert!((p[0] - 0.7).abs() < 0.02, "{p:?}");
        assert!(nll(&logits, &labels, t) < nll(&logits, &labels, 1.0));
    }

    #[test]
    fn ece_of_perfect_and_overconfident() {
        let probs = vec![[1.0, 0.0, 0.0, 0.0]; 10];
        assert_eq!(ece(&probs, &[0; 10], 10), 0.0);
        let labels: Vec<usize> = (0..10).map(|i| usize::from(i >= 5)).collect();
        let probs = vec![[0.95, 0.05, 0.0, 0.0]; 10];
        assert!((ece(&probs, &labels, 10) - 0.45).abs() < 1e-6);
        let probs = vec![[0.5, 0.5 - 1e-3, 1e-3, 0.0]; 10];
        assert!(ece(&probs, &labels, 10) < 0.01);
    }
}
