//! Encoder and NER integration tests. They need the model files
//! (`quotestance models install`); without them they print why and pass.

use candle_core::Device;
use quotestance::encode::{EncodeOptions, Encoder};
use quotestance::model::EntityLabel;
use quotestance::models::{encoder_present, resolve_models_dir};
use quotestance::ner::{EntityRecognizer, ModelRecognizer, NerModel};
use std::path::PathBuf;

fn models() -> Option<PathBuf> {
    let dir = resolve_models_dir(None);
    if encoder_present(&dir) {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: no encoder model in {} (run `quotestance models install` or set QUOTESTANCE_MODELS)",
            dir.display()
        );
        None
    }
}

#[test]
fn missing_models_dir_is_a_clear_error() {
    let err = Encoder::load(std::path::Path::new("/nonexistent/quotestance-models"), 1).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("/nonexistent/quotestance-models/all-MiniLM-L6-v2"), "{msg}");
    assert!(msg.contains("quotestance models install"), "{msg}");
}

#[test]
fn corrupt_model_is_a_clear_error() {
    let Some(dir) = models() else { return };
    let tmp = std::env::temp_dir().join(format!("qs-corrupt-{}", std::process::id()));
    let enc = tmp.join("all-MiniLM-L6-v2");
    std::fs::create_dir_all(&enc).unwrap();
    for f in ["config.json", "tokenizer.json"] {
        std::fs::copy(dir.join("all-MiniLM-L6-v2").join(f), enc.join(f)).unwrap();
    }
    std::fs::write(enc.join("model.safetensors"), b"not really a model").unwrap();
    let msg = Encoder::load(&tmp, 1).unwrap_err().to_string();
    std::fs::remove_dir_all(&tmp).ok();
    assert!(msg.contains("model.safetensors") && msg.contains("quotestance models install"), "{msg}");
}

/// Same-size weights with a NaN in one float tensor load without error in candle and then label
/// everything wrong; the encoder refuses them.
#[test]
fn non_finite_weights_are_refused() {
    let Some(dir) = models() else { return };
    let tmp = std::env::temp_dir().join(format!("qs-nan-{}", std::process::id()));
    let enc = tmp.join("all-MiniLM-L6-v2");
    std::fs::create_dir_all(&enc).unwrap();
    for f in ["config.json", "tokenizer.json"] {
        std::fs::copy(dir.join("all-MiniLM-L6-v2").join(f), enc.join(f)).unwrap();
    }
    let mut bytes = std::fs::read(dir.join("all-MiniLM-L6-v2").join("model.safetensors")).unwrap();
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + header_len]).unwrap();
    let (name, info) = header
        .as_object()
        .unwrap()
        .iter()
        .find(|(k, v)| k.contains("layer.3") && v["dtype"] == "F32")
        .expect("a float tensor");
    let at = 8 + header_len + info["data_offsets"][0].as_u64().unwrap() as usize + 40;
    bytes[at..at + 4].copy_from_slice(&f32::NAN.to_le_bytes());
    std::fs::write(enc.join("model.safetensors"), &bytes).unwrap();
    let msg = Encoder::load(&tmp, 1).unwrap_err().to_string();
    std::fs::remove_dir_all(&tmp).ok();
    assert!(msg.contains(name.as_str()) && msg.contains("non-finite"), "{msg}");
}

#[test]
fn offsets_point_into_the_original_text() {
    let Some(dir) = models() else { return };
    let enc = Encoder::load(&dir, 0).unwrap();
    let text = "Cllr Zo\u{eb} O\u{2019}Brien said: \u{201c}Resign now\u{201d} \u{1F600} \u{2014} caf\u{e9}.";
    let toks = enc.tokenize(text).unwrap();
    let chars: Vec<char> = text.chars().collect();
    assert!(!toks.is_empty());
    for t in &toks {
        let by_bytes = &text[t.bytes.clone()];
        let by_chars: String = chars[t.chars.clone()].iter().collect();
        assert_eq!(by_bytes, by_chars);
        assert!(!by_bytes.is_empty());
    }
    assert!(toks.iter().any(|t| &text[t.bytes.clone()] == "Zo\u{eb}" || text[t.bytes.clone()].starts_with("Zo")));
}

#[test]
fn long_texts_are_windowed_and_agree_with_short_ones() {
    let Some(dir) = models() else { return };
    let mut enc = Encoder::load(&dir, 0).unwrap();
    let sentence = "The council leader said the report made painful reading for everyone involved. ";
    let long: String = sentence.repeat(40);
    let out = enc.encode(&[&long, sentence]).unwrap();
    assert_eq!(out[0].states.len(), out[0].len() * out[0].hidden);
    assert!(out[0].len() > 400, "long text should exceed one window: {}", out[0].len());
    let st = enc.stats();
    assert!(st.sequences >= 3, "{st:?}");
    // a different window gives nearly the same states away from the edges
    enc.set_options(EncodeOptions { window: 128, overlap: 32, ..enc.options() }).unwrap();
    let small = enc.encode(&[&long]).unwrap();
    let i = 200;
    let cos = {
        let (a, b) = (out[0].state(i), small[0].state(i));
        let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
        let n = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
        dot / (n(a) * n(b))
    };
    assert!(cos > 0.8, "cosine {cos}");
    // batching must not change results
    let alone = enc.encode(&[sentence]).unwrap();
    let together = enc.encode(&[sentence, &long, "Short."]).unwrap();
    let d = alone[0].states.iter().zip(&together[0].states).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
    assert!(d < 1e-4, "padding changed the states by {d}");
    assert!(enc.encode(&[""]).unwrap()[0].is_empty());
}

#[test]
fn ner_finds_people() {
    let Some(dir) = models() else { return };
    let _ = NerModel::load_default(&dir).unwrap();
    let rec = ModelRecognizer::load(&dir, 0).unwrap();
    let text =
        "Opposition councillors called for Cllr Helen Marsh to resign. Council leader Peter Okafor said he backed her.";
    let ents = rec.recognise(text).unwrap();
    let people: Vec<&str> = ents.iter().filter(|e| e.label == EntityLabel::Person).map(|e| &text[e.bytes()]).collect();
    assert!(people.contains(&"Helen Marsh"), "{ents:?}");
    assert!(people.contains(&"Peter Okafor"), "{ents:?}");
}

/// The candle backend, claiming to run each batch on one thread, so that the
/// encoder takes its side-by-side path (whatever candle's own threading is).
struct SideBySide(quotestance::encode::candle::CandleBackend);

impl quotestance::encode::Backend for SideBySide {
    fn hidden_size(&self) -> usize {
        self.0.hidden_size()
    }
    fn max_positions(&self) -> usize {
        self.0.max_positions()
    }
    fn forward(&self, batch: &quotestance::encode::Batch) -> quotestance::Result<Vec<f32>> {
        self.0.forward(batch)
    }
    fn name(&self) -> &str {
        "side-by-side"
    }
    fn single_threaded(&self) -> bool {
        true
    }
}

#[test]
fn batches_side_by_side_give_the_same_states() {
    let Some(dir) = models() else { return };
    let enc_dir = dir.join("all-MiniLM-L6-v2");
    let backend = quotestance::encode::candle::CandleBackend::load(&enc_dir, Device::Cpu).unwrap();
    let mut side = Encoder::with_backend(&enc_dir, Box::new(SideBySide(backend)), 2).unwrap();
    let mut one = Encoder::load(&dir, 2).unwrap();
    // small batches, so that several run at once
    let opts = EncodeOptions { max_batch_tokens: 64, ..EncodeOptions::default() };
    side.set_options(opts).unwrap();
    one.set_options(opts).unwrap();
    let long = "The council leader said the report was damning. ".repeat(40);
    let texts = ["Cllr Ann Lee resigned.", long.as_str(), "Labour called for her to go.", "No.", "He said it again."];
    let (a, b) = (side.encode(&texts).unwrap(), one.encode(&texts).unwrap());
    assert!(side.stats().batches > 3, "{:?}", side.stats());
    assert_eq!(a.len(), texts.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.tokens.len(), y.tokens.len());
        let diff = x.states.iter().zip(&y.states).map(|(p, q)| (p - q).abs()).fold(0f32, f32::max);
        assert!(diff < 1e-4, "max |diff| {diff}");
    }
}
