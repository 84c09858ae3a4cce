//! Training of the stance head (`quotestance train stance`).
//!
//! Data: a folder with `gold/NAME.json` (the shared gold format), the texts
//! `articles/NAME.txt` and, optionally, `splits.json` (`{"train": [...],
//! "test": [...]}`; without it every article trains and nothing is tested).
//!
//! Examples are built exactly as at inference: the pipeline's rule stages run
//! on each article ([`Pipeline::stance_inputs`]), every predicted quote is
//! matched to a gold quote (Jaccard >= 0.5, greedy one-to-one, like the
//! scorer) and takes the gold stance as its label; unmatched predictions are
//! left out. The encoder is frozen: each article is encoded once.
//!
//! A fixed eighth of the train articles (every 8th name in sorted order) is
//! held out as a dev slice: it picks the epoch (key macro-F1) and fits the
//! temperature. The test split is scored once, at the end.

use super::{argmax, ece, features, fit_temperature, log_probs, softmax_t, StanceHead, StanceModel, N_CLASSES, N_REL};
use crate::encode::Encoder;
use crate::error::{Error, Result};
use crate::eval::{match_quotes, GoldArticle, GoldSet, DEFAULT_THRESHOLD};
use crate::model::Stance;
use crate::normalise::OffsetIndex;
use crate::pipeline::Pipeline;
use crate::stance::RuleStance;
use crate::train_util::{cerr, encode_cached, Rng};
use candle_core::{DType, Device, Tensor, D};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use std::path::{Path, PathBuf};

/// Knobs of `quotestance train stance`.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    pub epochs: usize,
    /// Width of the head's hidden layer.
    pub hidden: usize,
    pub lr: f64,
    pub batch: usize,
    pub dropout: f32,
    pub weight_decay: f64,
    /// Weight of the rule scores in the saved model's output (0: model only).
    pub blend: f32,
    /// A folder to keep the encoder states in between runs (keyed by name and
    /// text hash; the same cache `train ner --cache` fills).
    pub cache: Option<PathBuf>,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            epochs: 80,
            hidden: 128,
            lr: 1e-3,
            batch: 32,
            dropout: 0.2,
            weight_decay: 0.01,
            blend: 0.0,
            cache: None,
        }
    }
}

/// One training example: a predicted quote matched to a gold quote.
#[derive(Debug, Clone)]
pub struct Example {
    pub features: Vec<f32>,
    pub label: usize,
    /// The rule classifier's scores.
    pub rule: [f32; N_CLASSES],
    /// The wording rules a call out ([`RuleStance::excludes_call`]).
    pub excludes_call: bool,
}

/// Per-class and macro scores of predictions on matched quotes.
#[derive(Debug, Clone, Default)]
pub struct ClassReport {
    /// (P, R, F1, support) per class in [`Stance::ALL`] order.
    pub per_class: [(f64, f64, f64, usize); N_CLASSES],
    /// Mean F1 of call_to_resign, defence, rebuttal (the scorer's headline).
    pub macro_key: f64,
    /// Mean F1 of all four classes.
    pub macro_all: f64,
    pub accuracy: f64,
}

/// Scores predicted class indices against labels.
pub fn class_report(pred: &[usize], gold: &[usize]) -> ClassReport {
    let mut r = ClassReport::default();
    for c in 0..N_CLASSES {
        let tp = pred.iter().zip(gold).filter(|(p, g)| **p == c && **g == c).count();
        let np = pred.iter().filter(|p| **p == c).count();
        let ng = gold.iter().filter(|g| **g == c).count();
        let p = if np > 0 { tp as f64 / np as f64 } else { 0.0 };
        let rc = if ng > 0 { tp as f64 / ng as f64 } else { 0.0 };
        let f = if p + rc > 0.0 { 2.0 * p * rc / (p + rc) } else { 0.0 };
        r.per_class[c] = (p, rc, f, ng);
    }
    r.macro_key = r.per_class[..3].iter().map(|x| x.2).sum::<f64>() / 3.0;
    r.macro_all = r.per_class.iter().map(|x| x.2).sum::<f64>() / 4.0;
    r.accuracy = if gold.is_empty() {
        0.0
    } else {
        pred.iter().zip(gold).filter(|(p, g)| p == g).count() as f64 / gold.len() as f64
    };
    r
}

/// What a training run did.
#[derive(Debug, Clone, Default)]
pub struct TrainReport {
    pub train_docs: usize,
    pub dev_docs: usize,
    pub test_docs: usize,
    /// Examples per class in the train part (after the dev slice is carved off).
    pub train_counts: [usize; N_CLASSES],
    pub dev_examples: usize,
    pub test_examples: usize,
    pub best_epoch: usize,
    pub dev_macro_key: f64,
    pub temperature: f32,
    /// On matched test quotes: the model (calibrated), the model blended as saved, the rules.
    pub test_model: ClassReport,
    pub test_saved: ClassReport,
    pub test_rules: ClassReport,
    /// ECE (10 bins) of the model on matched test quotes before / after temperature scaling.
    pub ece_before: f64,
    pub ece_after: f64,
    pub dev_ece_before: f64,
    pub dev_ece_after: f64,
    /// ECE (10 bins) on matched test quotes of the blend before its own
    /// temperature, and of the output as saved (recalibrated, call constraint).
    pub ece_blend: f64,
    pub ece_saved: f64,
    /// The temperature of the blended output (1 without a blend).
    pub output_temperature: f32,
    pub encode_secs: f64,
    pub train_secs: f64,
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io(path, e))
}

/// The gold articles of a data folder split into (train, test) by `splits.json`.
pub fn load_split(data: &Path) -> Result<(Vec<GoldArticle>, Vec<GoldArticle>)> {
    let all = GoldSet::load(data.join("gold"), data.join("articles"))?.articles;
    let sp = data.join("splits.json");
    if !sp.is_file() {
        return Ok((all, Vec::new()));
    }
    let splits: serde_json::Value = serde_json::from_str(&read(&sp)?)?;
    let names = |k: &str| -> Vec<String> {
        splits[k].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_string)).collect()
    };
    let (tr, te) = (names("train"), names("test"));
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for a in all {
        if te.contains(&a.name) {
            test.push(a);
        } else if tr.contains(&a.name) || tr.is_empty() {
            train.push(a);
        }
    }
    Ok((train, test))
}

/// Training examples of some articles (rule stages, encoder, gold matching).
pub fn build_examples(
    encoder: &Encoder,
    docs: &[GoldArticle],
    what: &str,
    cache: Option<&Path>,
) -> Result<Vec<Example>> {
    let items: Vec<(&str, &str)> = docs.iter().map(|d| (d.name.as_str(), d.text.as_str())).collect();
    let encs = encode_cached(encoder, &items, what, cache)?;
    let rules = Pipeline::rules();
    let mut out = Vec::new();
    for (d, enc) in docs.iter().zip(&encs) {
        let (cands, inputs) = rules.stance_inputs(&d.text);
        let ix = OffsetIndex::new(&d.text);
        let pred: Vec<(i128, i128)> = cands
            .iter()
            .map(|c| {
                let s = ix.span(c.content.clone());
                (s.start as i128, s.end as i128)
            })
            .collect();
        let gold: Vec<(i128, i128)> = d.quotes.iter().map(|q| (q.start, q.end)).collect();
        let mut pairs = match_quotes(&gold, &pred, DEFAULT_THRESHOLD);
        pairs.sort_by_key(|&(_, pi)| pi);
        for (gi, pi) in pairs {
            let label = Stance::parse(&d.quotes[gi].stance).unwrap_or(Stance::Other).index();
            let rule = RuleStance.one(&inputs[pi]);
            out.push(Example {
                features: features(enc, &inputs[pi], &rule),
                label,
                rule: rule.to_array(),
                excludes_call: RuleStance.excludes_call(&inputs[pi]),
            });
        }
    }
    Ok(out)
}

/// Class weights `n / (k * n_c)` (inverse frequency, mean 1 over examples).
pub fn class_weights(labels: &[usize]) -> [f32; N_CLASSES] {
    let mut c = [0usize; N_CLASSES];
    for &y in labels {
        c[y] += 1;
    }
    let n = labels.len().max(1) as f32;
    c.map(|k| if k == 0 { 0.0 } else { n / (N_CLASSES as f32 * k as f32) })
}

fn rows(ex: &[Example]) -> Vec<f32> {
    ex.iter().flat_map(|e| e.features.iter().copied()).collect()
}

fn labels(ex: &[Example]) -> Vec<usize> {
    ex.iter().map(|e| e.label).collect()
}

/// Trains the head on the articles in `data`, saves it (with its temperature) to `out`.
pub fn train_stance(encoder: &Encoder, data: &Path, out: &Path, opts: &TrainOptions) -> Result<TrainReport> {
    let (train_all, test) = load_split(data)?;
    if train_all.is_empty() {
        return Err(Error::Input(format!("{}: no training articles", data.display())));
    }
    let (train, dev) = crate::train_util::split_dev(train_all, |d| d.name.as_str());
    let t0 = std::time::Instant::now();
    let cache = opts.cache.as_deref();
    let tr = build_examples(encoder, &train, "train", cache)?;
    let dv = build_examples(encoder, &dev, "dev", cache)?;
    let te = build_examples(encoder, &test, "test", cache)?;
    let encode_secs = t0.elapsed().as_secs_f64();
    if tr.is_empty() {
        return Err(Error::Input("no predicted quote matched a gold quote; nothing to train on".into()));
    }
    let width = 2 * encoder.hidden_size() + N_REL;
    let ys = labels(&tr);
    let weights = class_weights(&ys);
    let n = ys.len();
    let x = Tensor::from_vec(rows(&tr), (n, width), &Device::Cpu).map_err(cerr)?;
    let y = Tensor::from_vec(ys.iter().map(|&v| v as u32).collect::<Vec<u32>>(), n, &Device::Cpu).map_err(cerr)?;
    let w = Tensor::from_vec(weights.to_vec(), N_CLASSES, &Device::Cpu).map_err(cerr)?;

    let t1 = std::time::Instant::now();
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    let head = StanceHead::new(vb, width, opts.hidden).map_err(cerr)?;
    let mut opt = AdamW::new(
        varmap.all_vars(),
        ParamsAdamW { lr: opts.lr, weight_decay: opts.weight_decay, ..Default::default() },
    )
    .map_err(cerr)?;
    let mut rng = Rng(0x5eed_u64);
    let mut order: Vec<u32> = (0..n as u32).collect();
    let dev_y = labels(&dv);
    let mut best: Option<(f64, usize, StanceModel)> = None;
    for epoch in 1..=opts.epochs {
        rng.shuffle(&mut order);
        let mut total = 0f32;
        for chunk in order.chunks(opts.batch.max(1)) {
            let idx = Tensor::from_slice(chunk, chunk.len(), &Device::Cpu).map_err(cerr)?;
            let bx = x.index_select(&idx, 0).map_err(cerr)?;
            let by = y.index_select(&idx, 0).map_err(cerr)?;
            let bx = if opts.dropout > 0.0 { candle_nn::ops::dropout(&bx, opts.dropout).map_err(cerr)? } else { bx };
            let logits = head.forward(&bx).map_err(cerr)?;
            let loss = weighted_ce(&logits, &by, &w).map_err(cerr)?;
            opt.backward_step(&loss).map_err(cerr)?;
            total += loss.to_scalar::<f32>().map_err(cerr)? * chunk.len() as f32;
        }
        let model = StanceModel::from_head(snapshot(&head)?, 1.0, 0.0);
        let dl = model.logits(rows(&dv))?;
        let pred: Vec<usize> = dl.iter().map(|l| argmax(l).0).collect();
        let f = class_report(&pred, &dev_y).macro_key;
        if epoch % 10 == 0 || epoch == 1 {
            eprintln!("epoch {epoch:3}: loss {:.4}  dev key macro-F1 {f:.4}", total / n as f32);
        }
        if best.as_ref().is_none_or(|b| f > b.0) {
            best = Some((f, epoch, model));
        }
    }
    let (dev_f, best_epoch, mut model) = best.ok_or_else(|| Error::Internal("no epoch ran".into()))?;
    let train_secs = t1.elapsed().as_secs_f64();
    // temperature scaling, fitted on the dev slice
    let dl = model.logits(rows(&dv))?;
    let t = fit_temperature(&dl, &dev_y);
    model.temperature = t;
    model.blend = opts.blend;
    let probs_at =
        |l: &[[f32; N_CLASSES]], t: f32| -> Vec<[f32; N_CLASSES]> { l.iter().map(|x| softmax_t(x, t)).collect() };
    let (dev_ece_before, dev_ece_after) = (ece(&probs_at(&dl, 1.0), &dev_y, 10), ece(&probs_at(&dl, t), &dev_y, 10));
    let tl = model.logits(rows(&te))?;
    let test_y = labels(&te);
    let ece_before = ece(&probs_at(&tl, 1.0), &test_y, 10);
    let ece_after = ece(&probs_at(&tl, t), &test_y, 10);
    let test_model = class_report(&tl.iter().map(|l| argmax(l).0).collect::<Vec<_>>(), &test_y);
    // the blend is recalibrated as a whole (second temperature, same dev slice)
    let dev_blend: Vec<[f32; N_CLASSES]> = dl
        .iter()
        .zip(&dv)
        .map(|(l, e)| log_probs(&model.probs(l, &crate::model::StanceScores::from_array(e.rule)).to_array()))
        .collect();
    model.output_temperature = if opts.blend > 0.0 { fit_temperature(&dev_blend, &dev_y) } else { 1.0 };
    let test_blend: Vec<[f32; N_CLASSES]> = tl
        .iter()
        .zip(&te)
        .map(|(l, e)| model.probs(l, &crate::model::StanceScores::from_array(e.rule)).to_array())
        .collect();
    let ece_blend = ece(&test_blend, &test_y, 10);
    let saved_probs: Vec<[f32; N_CLASSES]> = tl
        .iter()
        .zip(&te)
        .map(|(l, e)| model.output(l, &crate::model::StanceScores::from_array(e.rule), e.excludes_call).to_array())
        .collect();
    let ece_saved = ece(&saved_probs, &test_y, 10);
    let test_saved = class_report(&saved_probs.iter().map(|p| argmax(p).0).collect::<Vec<_>>(), &test_y);
    let test_rules = class_report(&te.iter().map(|e| argmax(&e.rule).0).collect::<Vec<_>>(), &test_y);
    let tmp = out.with_extension("safetensors.tmp");
    model.save(&tmp)?;
    std::fs::rename(&tmp, out).map_err(|e| Error::io(out, e))?;
    let mut train_counts = [0usize; N_CLASSES];
    for &c in &ys {
        train_counts[c] += 1;
    }
    Ok(TrainReport {
        train_docs: train.len(),
        dev_docs: dev.len(),
        test_docs: test.len(),
        train_counts,
        dev_examples: dv.len(),
        test_examples: te.len(),
        best_epoch,
        dev_macro_key: dev_f,
        temperature: t,
        test_model,
        test_saved,
        test_rules,
        ece_before,
        ece_after,
        dev_ece_before,
        dev_ece_after,
        ece_blend,
        ece_saved,
        output_temperature: model.output_temperature,
        encode_secs,
        train_secs,
    })
}

/// A copy of the head's current weights (the var map keeps training them).
fn snapshot(head: &StanceHead) -> Result<StanceHead> {
    let copy = |l: &candle_nn::Linear| -> Result<candle_nn::Linear> {
        let w = l.weight().copy().map_err(cerr)?;
        let b = l.bias().map(|b| b.copy()).transpose().map_err(cerr)?;
        Ok(candle_nn::Linear::new(w, b))
    };
    Ok(StanceHead { fc1: copy(&head.fc1)?, fc2: copy(&head.fc2)?, input: head.input })
}

/// Class-weighted cross-entropy: `-sum(w_y * log p_y) / sum(w_y)`.
pub fn weighted_ce(logits: &Tensor, y: &Tensor, w: &Tensor) -> candle_core::Result<Tensor> {
    let logp = candle_nn::ops::log_softmax(logits, D::Minus1)?;
    let picked = logp.gather(&y.unsqueeze(1)?, 1)?.squeeze(1)?;
    let wy = w.index_select(y, 0)?;
    let num = (picked * &wy)?.sum_all()?;
    num.neg()? / wy.sum_all()?.to_scalar::<f32>()? as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_and_reports() {
        let w = class_weights(&[0, 0, 0, 1]);
        assert_eq!(w, [4.0 / 12.0, 1.0, 0.0, 0.0]);
        let r = class_report(&[0, 0, 1, 3], &[0, 1, 1, 3]);
        assert_eq!(r.per_class[0].0, 0.5);
        assert_eq!(r.per_class[1], (1.0, 0.5, 2.0 / 3.0, 2));
        assert_eq!(r.accuracy, 0.75);
    }

    #[test]
    fn weighted_loss_matches_hand_computation() {
        let logits = Tensor::new(&[[0f32, 0., 0., 0.], [2., 0., 0., 0.]], &Device::Cpu).unwrap();
        let y = Tensor::new(&[1u32, 0], &Device::Cpu).unwrap();
        let w = Tensor::new(&[1f32, 3., 1., 1.], &Device::Cpu).unwrap();
        let l = weighted_ce(&logits, &y, &w).unwrap().to_scalar::<f32>().unwrap();
        let p0 = (2f32.exp() / (2f32.exp() + 3.0)).ln();
        let want = -(3.0 * 0.25f32.ln() + p0) / 4.0;
        assert!((l - want).abs() < 1e-5, "{l} vs {want}");
    }
}
