//! The committed stance head with the encoder, end to end through the
//! pipeline. Needs the model files (`python3 scripts/setup-models.py`) and
//! `assets/heads/stance.safetensors`; without them it prints why and passes.

use quotestance::models::{encoder_present, resolve_models_dir};
use quotestance::stance_head::stance_head_path;
use quotestance::{Config, Document, Pipeline, Stance};

#[test]
fn missing_models_name_the_fix() {
    let config = Config { use_models: true, models_dir: Some("/nonexistent/qs-models".into()), ..Config::default() };
    let msg = Pipeline::new(config).unwrap_err().to_string();
    assert!(msg.contains("/nonexistent/qs-models/all-MiniLM-L6-v2"), "{msg}");
    assert!(msg.contains("python3 scripts/setup-models.py"), "{msg}");
}

#[test]
fn call_defence_rebuttal() {
    let dir = resolve_models_dir(None);
    if !encoder_present(&dir) || !stance_head_path(&dir).is_file() {
        eprintln!("SKIPPED: no encoder or stance head under {} (run `python3 scripts/setup-models.py`)", dir.display());
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
