//! The committed stance head with the encoder, end to end through the
//! pipeline. Needs the model files (`quotestance models install`) and
//! `crates/quotestance/assets/heads/stance.safetensors`; without them it prints why and passes.

use quotestance::models::{encoder_present, resolve_models_dir};
use quotestance::{Config, Document, Pipeline, Stance};

#[test]
fn missing_models_name_the_fix() {
    let config = Config { use_models: true, models_dir: Some("/nonexistent/qs-models".into()), ..Config::default() };
    let msg = Pipeline::new(config).unwrap_err().to_string();
    assert!(msg.contains("/nonexistent/qs-models/all-MiniLM-L6-v2"), "{msg}");
    assert!(msg.contains("quotestance models install"), "{msg}");
}

#[test]
fn call_defence_rebuttal() {
    let dir = resolve_models_dir(None);
    if !encoder_present(&dir) {
        eprintln!("SKIPPED: no encoder under {} (run `quotestance models install`)", dir.display());
        return;
    }
    let nlp = Pipeline::new(Config { use_models: true, threads: 1, ..Config::default() }).unwrap();
    let text = "Opposition councillors have called for the leader of Northvale Council, Cllr Jo Bell, to resign \
                after a damning inspection of children's services.\n\n\
                \"Cllr Bell must resign. She has had three years to fix this and failed,\" said Cllr Tom Price, \
                leader of the Conservative group.\n\n\
                But council chief executive Sam Hill defended her. \"Jo Bell has my full confidence. She inherited \
                a service in crisis and has worked tirelessly to turn it around,\" he said.\n\n\
                Cllr Bell said: \"I am not going anywhere. The improvement plan is working and I intend to see it \
                through.\"\n";
    let out = nlp.annotate(&Document::new("t1", text)).unwrap();
    let st = nlp.encode_stats();
    assert_eq!(st.document_pass.map(|s| s.texts), Some(1), "one document pass: {st:?}");
    let pass = st.stance_pass.expect("the fine-tuned model (built in) counts its passes");
    assert_eq!(pass.sequences, out.quotes.len() as u64, "one sequence per quote: {st:?}");
    assert!(pass.padded_tokens >= pass.real_tokens && pass.real_tokens > 0, "{st:?}");
    let find = |needle: &str| {
        out.quotes
            .iter()
            .find(|q| q.text.contains(needle))
            .unwrap_or_else(|| panic!("no quote with {needle:?} in {:#?}", out.quotes))
    };
    for (needle, want) in [
        ("must resign", Stance::CallToResign),
        ("my full confidence", Stance::Defence),
        ("not going anywhere", Stance::Rebuttal),
    ] {
        let q = find(needle);
        assert_eq!(q.stance, want, "{needle}: {:?}", q.scores);
        let sum: f32 = q.scores.to_array().iter().sum();
        assert!((sum - 1.0).abs() < 1e-4, "scores sum to {sum}");
        assert!((q.stance_score - q.scores.best().1).abs() < 1e-6);
    }
}

/// The fine-tuned model's own layers, started from the encoder's weights, give
/// the encoder's output: the lower layers plus the differentiable copies of the
/// top ones equal the whole encoder (so training starts where the encoder is).
#[test]
fn tuned_layers_start_as_the_encoder() {
    use candle_core::{DType, Device};
    use candle_nn::VarBuilder;
    use quotestance::models::encoder_dir;
    use quotestance::stance_head::tuned::{additive_mask, pad, Lower, TunedInput, TunedLayer};
    let dir = resolve_models_dir(None);
    if !encoder_present(&dir) {
        eprintln!("SKIPPED: no encoder under {} (run `quotestance models install`)", dir.display());
        return;
    }
    let enc = encoder_dir(&dir);
    let (whole, lower) = (Lower::load(&enc, 0).unwrap(), Lower::load(&enc, 2).unwrap());
    let n = lower.config.num_hidden_layers;
    // SAFETY: a read-only mapping of the installed model file, not changed while the test runs
    let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[enc.join("model.safetensors")], DType::F32, &Device::Cpu) }
        .unwrap();
    let top: Vec<TunedLayer> =
        (n - 2..n).map(|i| TunedLayer::new(vb.pp(format!("encoder.layer.{i}")), &lower.config).unwrap()).collect();
    let inputs = [TunedInput { ids: vec![101, 7592, 2088, 2003, 102] }, TunedInput { ids: vec![101, 2009, 102] }];
    let (ids, mask) = pad(&inputs.iter().collect::<Vec<_>>()).unwrap();
    let mut h = lower.forward(&ids, &mask).unwrap();
    let add = additive_mask(&mask).unwrap();
    for l in &top {
        h = l.forward(&h, &add).unwrap();
    }
    let want = whole.forward(&ids, &mask).unwrap();
    // real tokens only (padded positions are never read)
    let m = mask.to_dtype(DType::F32).unwrap().unsqueeze(2).unwrap();
    let diff = (h - want).unwrap().abs().unwrap().broadcast_mul(&m).unwrap();
    let max = diff.max_all().unwrap().to_scalar::<f32>().unwrap();
    assert!(max < 1e-3, "the tuned layers differ from the encoder's by {max}");
}
