//! Cost of the stance step and of the whole pipeline with models, over a
//! folder of `.txt` articles (default: the corpus):
//!
//! `cargo run --release --example stance_bench -- [ARTICLES_DIR] [THREADS]`
//!
//! Times, single-threaded over the documents: the encoder pass, the rule
//! stages, the stance head (features + head + calibration) and the whole
//! `Pipeline::annotate` with models.

use quotestance::encode::Encoder;
use quotestance::models::resolve_models_dir;
use quotestance::stance::DocContext;
use quotestance::stance::StanceClassifier;
use quotestance::stance_head::{stance_head, StanceModel};
use quotestance::{Config, Document, Pipeline};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let dir = args.get(1).cloned().unwrap_or_else(|| "data/corpus/articles".into());
    let threads: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut paths: Vec<_> = std::fs::read_dir(&dir)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.retain(|p| p.extension().is_some_and(|x| x == "txt"));
    paths.sort();
    let texts: Vec<String> = paths.iter().map(std::fs::read_to_string).collect::<Result<_, _>>()?;
    let models = resolve_models_dir(None);
    let encoder = Encoder::load(&models, threads)?;
    let head = StanceModel::from_source(&stance_head(&models))?;
    let rules = Pipeline::rules();
    let (mut t_enc, mut t_rules, mut t_stance, mut quotes) = (0f64, 0f64, 0f64, 0usize);
    for t in &texts {
        let t0 = Instant::now();
        let enc = encoder.encode(&[t.as_str()])?.pop().expect("one");
        let t1 = Instant::now();
        let (_, inputs) = rules.stance_inputs(t);
        let t2 = Instant::now();
        let s = head.classify(&DocContext { text: t, encoded: Some(&enc) }, &inputs);
        let t3 = Instant::now();
        assert_eq!(s.len(), inputs.len());
        quotes += inputs.len();
        t_enc += (t1 - t0).as_secs_f64();
        t_rules += (t2 - t1).as_secs_f64();
        t_stance += (t3 - t2).as_secs_f64();
    }
    let n = texts.len() as f64;
    println!("{} articles, {quotes} quotes, encoder threads {}", texts.len(), encoder.threads());
    println!("encoder pass   {t_enc:.2}s  ({:.1} articles/s)", n / t_enc);
    println!("rule stages    {t_rules:.2}s  ({:.1} articles/s)", n / t_rules);
    println!("stance head    {t_stance:.3}s  ({:.0} quotes/s, given the encoder states)", quotes as f64 / t_stance);
    let nlp = Pipeline::new(Config { use_models: true, threads, ..Config::default() })?;
    let t0 = Instant::now();
    for (i, t) in texts.iter().enumerate() {
        nlp.annotate(&Document::new(i.to_string(), t.clone()))?;
    }
    let all = t0.elapsed().as_secs_f64();
    println!("pipeline with models, one document at a time: {all:.2}s ({:.2} articles/s)", n / all);
    Ok(())
}
