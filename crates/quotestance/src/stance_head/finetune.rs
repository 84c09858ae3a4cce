//! Training of the fine-tuned stance model ([`super::tuned`];
//! `quotestance train stance --tune-layers K`).
//!
//! Examples are the matched quotes of [`super::train::matched_inputs`], as for
//! the frozen head. Each example's input runs once through the frozen lower
//! layers (kept in memory), then every epoch trains the top `K` layers
//! (initialised from the encoder's own) and the head together, with AdamW at
//! two learning rates (small for the layers, larger for the new head) and
//! class-weighted cross-entropy. The dev articles pick the epoch (key
//! macro-F1) and fit the temperature; the test split is scored once.

use super::train::{
    class_counts, class_report, class_weights, load_splits, matched_inputs, weighted_ce, Splits, TrainReport,
};
use super::tuned::{pad, top_pooled, InputBuilder, Lower, TunedInput, TunedLayer, TunedStance, LAYER_TENSORS};
use super::{argmax, ece, fit_temperature, relation_features, softmax_t, StanceHead, StanceModel, N_CLASSES, N_REL};
use crate::error::{Error, Result};
use crate::eval::GoldArticle;
use crate::models::{encoder_dir, require_file};
use crate::pipeline::Pipeline;
use crate::stance::RuleStance;
use crate::train_util::{cerr, Rng};
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use std::path::Path;

/// Knobs of `quotestance train stance --tune-layers K`.
#[derive(Debug, Clone)]
pub struct TuneOptions {
    /// Top encoder layers to fine-tune (1 to the encoder's depth).
    pub layers: usize,
    pub epochs: usize,
    /// Learning rate of the tuned layers.
    pub lr_layers: f64,
    /// Learning rate of the head.
    pub lr_head: f64,
    pub batch: usize,
    /// Width of the head's hidden layer.
    pub hidden: usize,
    /// Dropout on the pooled state and relation features (its masks drawn
    /// from the seeded generator, so that a run repeats exactly).
    pub dropout: f32,
    pub seed: u64,
    /// Weight of the rule scores in the saved model's output (0: model only).
    pub blend: f32,
}

impl Default for TuneOptions {
    fn default() -> Self {
        TuneOptions {
            layers: 2,
            epochs: 6,
            lr_layers: 5e-5,
            lr_head: 1e-3,
            batch: 16,
            hidden: 128,
            dropout: 0.1,
            seed: 17,
            blend: 0.0,
        }
    }
}

/// One example: the lower layers' states of its input, its relation features, label.
struct Example {
    states: Tensor,
    rel: [f32; N_REL],
    rule: [f32; N_CLASSES],
    excludes_call: bool,
    label: usize,
}

/// The matched quotes of some articles as inputs through the lower layers.
fn build(lower: &Lower, builder: &InputBuilder, docs: &[GoldArticle]) -> Result<Vec<Example>> {
    let rules = Pipeline::rules();
    let mut pending: Vec<(TunedInput, Example)> = Vec::new();
    for d in docs {
        for (x, label) in matched_inputs(&rules, d) {
            let rule = RuleStance.one(&x);
            let ex = Example {
                states: Tensor::zeros(1, DType::F32, &Device::Cpu).map_err(cerr)?,
                rel: relation_features(&x, &rule),
                rule: rule.to_array(),
                excludes_call: RuleStance.excludes_call(&x),
                label,
            };
            pending.push((builder.build(&x)?, ex));
        }
    }
    // by length, so that the lower pass pads little
    pending.sort_by_key(|(t, _)| t.ids.len());
    let mut out = Vec::with_capacity(pending.len());
    for chunk in pending.chunks_mut(32) {
        let refs: Vec<&TunedInput> = chunk.iter().map(|(t, _)| t).collect();
        let (ids, mask) = pad(&refs).map_err(cerr)?;
        let h = lower.forward(&ids, &mask).map_err(cerr)?;
        for (i, (t, ex)) in chunk.iter_mut().enumerate() {
            // a compact copy: a view (or `copy`) would keep the whole batch's storage alive
            ex.states =
                h.get(i).and_then(|s| s.narrow(0, 0, t.ids.len())).and_then(|s| s.force_contiguous()).map_err(cerr)?;
        }
    }
    out.extend(pending.into_iter().map(|(_, e)| e));
    Ok(out)
}

/// A padded batch: states `[b, s, h]`, mask `[b, s]`, relation features `[b, N_REL]`.
fn batch(ex: &[&Example]) -> candle_core::Result<(Tensor, Tensor, Tensor)> {
    let s = ex.iter().map(|e| e.states.dim(0)).collect::<candle_core::Result<Vec<_>>>()?;
    let max = s.iter().copied().max().unwrap_or(1);
    let states = ex
        .iter()
        .zip(&s)
        .map(|(e, &n)| e.states.pad_with_zeros(0, 0, max - n))
        .collect::<candle_core::Result<Vec<_>>>()?;
    let mask: Vec<u32> = s.iter().flat_map(|&n| (0..max).map(move |i| u32::from(i < n))).collect();
    let rel: Vec<f32> = ex.iter().flat_map(|e| e.rel).collect();
    Ok((
        Tensor::stack(&states, 0)?,
        Tensor::from_vec(mask, (ex.len(), max), &Device::Cpu)?,
        Tensor::from_vec(rel, (ex.len(), N_REL), &Device::Cpu)?,
    ))
}

/// Inverted dropout with a mask from `rng` (candle's CPU generator cannot be seeded).
fn dropout(x: &Tensor, p: f32, rng: &mut Rng) -> candle_core::Result<Tensor> {
    let keep = 1.0 / (1.0 - p);
    let mask: Vec<f32> = (0..x.elem_count())
        .map(|_| if ((rng.next() >> 40) as f32 / (1u64 << 24) as f32) < p { 0.0 } else { keep })
        .collect();
    x * Tensor::from_vec(mask, x.shape(), x.device())?
}

/// Logits `[b, 4]` of a batch; with `drop`, in training (dropout on).
fn forward(
    layers: &[TunedLayer],
    head: &StanceHead,
    ex: &[&Example],
    drop: Option<(f32, &mut Rng)>,
) -> candle_core::Result<Tensor> {
    let (states, mask, rel) = batch(ex)?;
    let x = Tensor::cat(&[&top_pooled(layers, &states, &mask)?, &rel], 1)?;
    let x = match drop {
        Some((p, rng)) if p > 0.0 => dropout(&x, p, rng)?,
        _ => x,
    };
    head.forward(&x)
}

fn all_logits(layers: &[TunedLayer], head: &StanceHead, ex: &[Example]) -> Result<Vec<[f32; N_CLASSES]>> {
    let mut out = Vec::with_capacity(ex.len());
    for chunk in ex.chunks(32) {
        let refs: Vec<&Example> = chunk.iter().collect();
        let l = forward(layers, head, &refs, None).and_then(|t| t.to_vec2::<f32>()).map_err(cerr)?;
        out.extend(l.into_iter().map(|r| [r[0], r[1], r[2], r[3]]));
    }
    Ok(out)
}

/// The encoder's top `k` layers as trainable variables (`top.{i}.*`) in `vm`.
fn init_layers(dir: &Path, k: usize, lower: &Lower, vm: &VarMap) -> Result<Vec<TunedLayer>> {
    let weights = require_file(dir, "model.safetensors")?;
    let base = candle_core::safetensors::load(&weights, &Device::Cpu).map_err(cerr)?;
    let n = lower.config.num_hidden_layers;
    {
        let mut data = vm.data().lock().map_err(|_| Error::Internal("var map lock".into()))?;
        for i in 0..k {
            for name in LAYER_TENSORS {
                let src = format!("encoder.layer.{}.{name}", n - k + i);
                let t = base
                    .get(&src)
                    .or_else(|| base.get(&format!("bert.{src}")))
                    .ok_or_else(|| Error::Model(format!("{}: no tensor {src}", weights.display())))?;
                data.insert(format!("top.{i}.{name}"), Var::from_tensor(t).map_err(cerr)?);
            }
        }
    }
    let vb = VarBuilder::from_varmap(vm, DType::F32, &Device::Cpu);
    (0..k).map(|i| TunedLayer::new(vb.pp(format!("top.{i}")), &lower.config).map_err(cerr)).collect()
}

/// A copy of trained layers and head (the var maps keep training them).
fn snapshot(
    vm_layers: &VarMap,
    vm_head: &VarMap,
    k: usize,
    lower: &Lower,
    hidden: usize,
) -> Result<(Vec<TunedLayer>, StanceHead)> {
    let copy = |vm: &VarMap| -> Result<std::collections::HashMap<String, Tensor>> {
        let data = vm.data().lock().map_err(|_| Error::Internal("var map lock".into()))?;
        data.iter().map(|(k, v)| Ok((k.clone(), v.as_tensor().copy().map_err(cerr)?))).collect()
    };
    let vb = VarBuilder::from_tensors(copy(vm_layers)?, DType::F32, &Device::Cpu);
    let layers = (0..k)
        .map(|i| TunedLayer::new(vb.pp(format!("top.{i}")), &lower.config))
        .collect::<candle_core::Result<Vec<_>>>()
        .map_err(cerr)?;
    let vb = VarBuilder::from_tensors(copy(vm_head)?, DType::F32, &Device::Cpu);
    let head = StanceHead::new(vb, lower.config.hidden_size + N_REL, hidden).map_err(cerr)?;
    Ok((layers, head))
}

/// Fine-tunes the top layers and head on the articles in `data`, saves the
/// model (`tuned` format) to `out`.
pub fn train_tuned(models_dir: &Path, data: &Path, out: &Path, opts: &TuneOptions) -> Result<TrainReport> {
    let Splits { train, dev, test } = load_splits(data)?;
    let dir = encoder_dir(models_dir);
    let k = opts.layers;
    let lower = Lower::load(&dir, k)?;
    let builder = InputBuilder::load(&dir)?;
    let t0 = std::time::Instant::now();
    let (tr, dv, te) =
        (build(&lower, &builder, &train)?, build(&lower, &builder, &dev)?, build(&lower, &builder, &test)?);
    let encode_secs = t0.elapsed().as_secs_f64();
    if tr.is_empty() {
        return Err(Error::Input("no predicted quote matched a gold quote; nothing to train on".into()));
    }
    eprintln!(
        "examples: train {}, dev {}, test {} ({encode_secs:.0} s through the lower layers)",
        tr.len(),
        dv.len(),
        te.len()
    );
    let ys: Vec<usize> = tr.iter().map(|e| e.label).collect();
    let w = Tensor::from_vec(class_weights(&ys).to_vec(), N_CLASSES, &Device::Cpu).map_err(cerr)?;

    let t1 = std::time::Instant::now();
    let (vm_layers, vm_head) = (VarMap::new(), VarMap::new());
    let layers = init_layers(&dir, k, &lower, &vm_layers)?;
    let head = StanceHead::new(
        VarBuilder::from_varmap(&vm_head, DType::F32, &Device::Cpu),
        lower.config.hidden_size + N_REL,
        opts.hidden,
    )
    .map_err(cerr)?;
    let adamw =
        |vm: &VarMap, lr: f64| AdamW::new(vm.all_vars(), ParamsAdamW { lr, weight_decay: 0.01, ..Default::default() });
    let mut opt_layers = adamw(&vm_layers, opts.lr_layers).map_err(cerr)?;
    let mut opt_head = adamw(&vm_head, opts.lr_head).map_err(cerr)?;
    let mut rng = Rng(opts.seed.max(1));
    let mut drop_rng = Rng(opts.seed.max(1) ^ 0x9e37_79b9_7f4a_7c15);
    let mut order: Vec<usize> = (0..tr.len()).collect();
    let dev_y: Vec<usize> = dv.iter().map(|e| e.label).collect();
    let mut best: Option<(f64, usize, Vec<TunedLayer>, StanceHead)> = None;
    for epoch in 1..=opts.epochs {
        rng.shuffle(&mut order);
        let mut total = 0f32;
        for chunk in order.chunks(opts.batch.max(1)) {
            let ex: Vec<&Example> = chunk.iter().map(|&i| &tr[i]).collect();
            let y: Vec<u32> = ex.iter().map(|e| e.label as u32).collect();
            let y = Tensor::from_vec(y, ex.len(), &Device::Cpu).map_err(cerr)?;
            let logits = forward(&layers, &head, &ex, Some((opts.dropout, &mut drop_rng))).map_err(cerr)?;
            let loss = weighted_ce(&logits, &y, &w).map_err(cerr)?;
            let grads = loss.backward().map_err(cerr)?;
            opt_layers.step(&grads).map_err(cerr)?;
            opt_head.step(&grads).map_err(cerr)?;
            total += loss.to_scalar::<f32>().map_err(cerr)? * ex.len() as f32;
        }
        let dl = all_logits(&layers, &head, &dv)?;
        let f = class_report(&dl.iter().map(|l| argmax(l).0).collect::<Vec<_>>(), &dev_y).macro_key;
        eprintln!(
            "epoch {epoch:2}: loss {:.4}  dev key macro-F1 {f:.4}  ({:.0} s)",
            total / tr.len() as f32,
            t1.elapsed().as_secs_f64()
        );
        if best.as_ref().is_none_or(|b| f > b.0) {
            let (l, h) = snapshot(&vm_layers, &vm_head, k, &lower, opts.hidden)?;
            best = Some((f, epoch, l, h));
        }
    }
    let (dev_f, best_epoch, layers, head) = best.ok_or_else(|| Error::Internal("no epoch ran".into()))?;
    let train_secs = t1.elapsed().as_secs_f64();
    let dl = all_logits(&layers, &head, &dv)?;
    let t = fit_temperature(&dl, &dev_y);
    let mut model = StanceModel::from_head(head.clone(), t, opts.blend);
    // the blend is recalibrated as a whole (second temperature, the same dev articles)
    let rule_of = |e: &Example| crate::model::StanceScores::from_array(e.rule);
    let dev_blend: Vec<[f32; N_CLASSES]> =
        dl.iter().zip(&dv).map(|(l, e)| super::log_probs(&model.probs(l, &rule_of(e)).to_array())).collect();
    model.output_temperature = if opts.blend > 0.0 { fit_temperature(&dev_blend, &dev_y) } else { 1.0 };
    let probs =
        |l: &[[f32; N_CLASSES]], t: f32| -> Vec<[f32; N_CLASSES]> { l.iter().map(|x| softmax_t(x, t)).collect() };
    let tl = all_logits(&layers, &head, &te)?;
    let test_y: Vec<usize> = te.iter().map(|e| e.label).collect();
    let saved: Vec<[f32; N_CLASSES]> = tl
        .iter()
        .zip(&te)
        .map(|(l, e)| model.output(l, &crate::model::StanceScores::from_array(e.rule), e.excludes_call).to_array())
        .collect();
    let tmp = out.with_extension("safetensors.tmp");
    TunedStance::save_parts(&model, &layers, &tmp)?;
    std::fs::rename(&tmp, out).map_err(|e| Error::io(out, e))?;
    let train_counts = class_counts(&ys);
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
        test_model: class_report(&tl.iter().map(|l| argmax(l).0).collect::<Vec<_>>(), &test_y),
        test_saved: class_report(&saved.iter().map(|p| argmax(p).0).collect::<Vec<_>>(), &test_y),
        test_rules: class_report(&te.iter().map(|e| argmax(&e.rule).0).collect::<Vec<_>>(), &test_y),
        ece_before: ece(&probs(&tl, 1.0), &test_y, 10),
        ece_after: ece(&probs(&tl, t), &test_y, 10),
        dev_ece_before: ece(&probs(&dl, 1.0), &dev_y, 10),
        dev_ece_after: ece(&probs(&dl, t), &dev_y, 10),
        ece_blend: ece(
            &tl.iter().zip(&te).map(|(l, e)| model.probs(l, &rule_of(e)).to_array()).collect::<Vec<_>>(),
            &test_y,
            10,
        ),
        ece_saved: ece(&saved, &test_y, 10),
        output_temperature: model.output_temperature,
        encode_secs,
        train_secs,
    })
}
