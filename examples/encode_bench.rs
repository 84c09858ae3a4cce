//! Encoder throughput driver for `benches/encoder_compare.py`.
//!
//!     cargo run --release --example encode_bench -- SENTENCES.txt [--runs 5] [--threads 0]
//!         [--models-dir DIR] [--max-batch-tokens N] [--max-batch-seqs N] [--dump FILE --dump-n 8]
//!
//! Reads one sentence per line, encodes them all `--runs` times (after one
//! warm-up run) and prints one JSON line: tokens (real, specials included),
//! padded tokens, seconds per run, median tokens/s. `--dump` writes the token
//! states of the first sentences as JSON, for the equivalence check.

use quotestance::encode::{EncodeOptions, Encoder};
use quotestance::models::resolve_models_dir;
use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // as the CLI runs it: whole batches per thread
    quotestance::encode::candle::single_threaded_cpu();
    let mut args = std::env::args().skip(1);
    let mut file = None;
    let (mut runs, mut threads, mut dump_n) = (5usize, 0usize, 8usize);
    let (mut models, mut dump): (Option<PathBuf>, Option<PathBuf>) = (None, None);
    let mut opts = EncodeOptions::default();
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--runs" => runs = val()?.parse()?,
            "--threads" => threads = val()?.parse()?,
            "--models-dir" => models = Some(val()?.into()),
            "--max-batch-tokens" => opts.max_batch_tokens = val()?.parse()?,
            "--max-batch-seqs" => opts.max_batch_seqs = val()?.parse()?,
            "--dump" => dump = Some(val()?.into()),
            "--dump-n" => dump_n = val()?.parse()?,
            _ => file = Some(a),
        }
    }
    let file = file.ok_or("usage: encode_bench SENTENCES.txt [--runs N] [--threads N]")?;
    let text = std::fs::read_to_string(&file)?;
    let sents: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut enc = Encoder::load(&resolve_models_dir(models.as_deref()), threads)?;
    enc.set_options(opts)?;
    if let Some(path) = dump {
        let out = enc.encode(&sents[..dump_n.min(sents.len())])?;
        let rows: Vec<serde_json::Value> = out
            .iter()
            .map(|e| {
                serde_json::json!({
                    "ids": e.tokens.iter().map(|t| t.id).collect::<Vec<_>>(),
                    "bytes": e.tokens.iter().map(|t| [t.bytes.start, t.bytes.end]).collect::<Vec<_>>(),
                    "states": e.states,
                })
            })
            .collect();
        std::fs::write(path, serde_json::to_string(&rows)?)?;
    }
    enc.encode(&sents)?; // warm-up
    enc.reset_stats();
    let mut secs = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        enc.encode(&sents)?;
        secs.push(t.elapsed().as_secs_f64());
    }
    let st = enc.stats();
    let per_run = st.real_tokens as f64 / runs as f64;
    let mut sorted = secs.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    println!(
        "{}",
        serde_json::json!({
            "impl": format!("quotestance/{}", enc.backend_name()),
            "threads": enc.threads(),
            "sentences": sents.len(),
            "tokens": per_run,
            "padded_tokens": st.padded_tokens as f64 / runs as f64,
            "batches": st.batches / runs as u64,
            "secs": secs,
            "median_tokens_per_s": per_run / median,
        })
    );
    Ok(())
}
