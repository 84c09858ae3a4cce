//! `quotestance` command line.

use anyhow::Context;
use clap::{Parser, Subcommand};
use quotestance::encode::Encoder;
use quotestance::models::resolve_models_dir;
use quotestance::ner::train::{evaluate_ner, train_ner, TrainOptions};
use quotestance::ner::NerModel;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "quotestance", version, about = "Quotes, speakers, stance and resignation calls in news articles")]
struct Cli {
    /// Models dir (default: $QUOTESTANCE_MODELS, else ~/.cache/quotestance/models).
    #[arg(long, global = true)]
    models_dir: Option<PathBuf>,
    /// Worker threads (0: all cores).
    #[arg(long, global = true, default_value_t = 0)]
    threads: usize,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Train a model head.
    Train {
        #[command(subcommand)]
        what: TrainCmd,
    },
    /// Score a model head on the test split of a corpus.
    Eval {
        #[command(subcommand)]
        what: EvalCmd,
    },
}

#[derive(Subcommand)]
enum TrainCmd {
    /// The NER head (token classification on frozen encoder states).
    Ner {
        /// Corpus dir with articles/, gold/ and splits.json.
        #[arg(long, default_value = "data/corpus")]
        data: PathBuf,
        /// Where to write the head (safetensors).
        #[arg(long, default_value = "assets/heads/ner.safetensors")]
        out: PathBuf,
        #[arg(long, default_value_t = 15)]
        epochs: usize,
        #[arg(long, default_value_t = 256)]
        hidden: usize,
        #[arg(long, default_value_t = 1e-3)]
        lr: f64,
        #[arg(long, default_value_t = 17)]
        seed: u64,
        /// Keep the encoder states here between runs (they are frozen).
        #[arg(long)]
        cache: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum EvalCmd {
    /// The NER head.
    Ner {
        #[arg(long, default_value = "data/corpus")]
        data: PathBuf,
        /// Head to score (default: the one the models dir resolves to).
        #[arg(long)]
        head: Option<PathBuf>,
        /// test, or dev (the held-out eighth of train used to pick epochs).
        #[arg(long, default_value = "test")]
        split: String,
        /// Encoder-state cache of `train ner --cache`.
        #[arg(long)]
        cache: Option<PathBuf>,
        /// Print every missed and spurious mention.
        #[arg(long)]
        errors: bool,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let models = resolve_models_dir(cli.models_dir.as_deref());
    match cli.cmd {
        Cmd::Train { what: TrainCmd::Ner { data, out, epochs, hidden, lr, seed, cache } } => {
            let encoder = Encoder::load(&models, cli.threads)?;
            if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
            }
            let opts = TrainOptions { epochs, hidden, lr, seed, cache, ..TrainOptions::default() };
            let r = train_ner(&encoder, &data, &out, &opts)?;
            println!(
                "trained on {} docs ({} tokens), dev {} docs, test {} docs; best epoch {} (dev F1 {:.4})",
                r.train_docs, r.train_tokens, r.dev_docs, r.test_docs, r.best_epoch, r.dev_f1
            );
            println!(
                "encoding: {:.1}s, {} text tokens, {} real / {} padded tokens ({:.1}% fill); training {:.1}s",
                r.encode_secs,
                r.encode.text_tokens,
                r.encode.real_tokens,
                r.encode.padded_tokens,
                100.0 * r.encode.fill_ratio(),
                r.train_secs
            );
            println!("saved {}\n\ntest split:\n{}", out.display(), r.table());
        }
        Cmd::Eval { what: EvalCmd::Ner { data, head, split, cache, errors } } => {
            let encoder = Encoder::load(&models, cli.threads)?;
            let model = match head {
                Some(h) => NerModel::load(&h)?,
                None => NerModel::load_default(&models)?,
            };
            let scores = evaluate_ner(&encoder, &model, &data, &split, cache.as_deref(), errors)?;
            println!("| label | P | R | F1 |\n|---|---|---|---|");
            for s in scores {
                println!("| {} | {:.3} | {:.3} | {:.3} |", s.label, s.precision(), s.recall(), s.f1());
            }
        }
    }
    Ok(())
}
