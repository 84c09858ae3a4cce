//! `quotestance train`: train (or score) a model head on the team corpus.

use anyhow::Context;
use clap::{Args as ClapArgs, Subcommand};
use quotestance::encode::Encoder;
use quotestance::model::EntityLabel;
use quotestance::models::{resolve_models_dir, NER_HEAD_FILE, STANCE_HEAD_FILE, TUNED_HEAD_FILE};
use quotestance::ner::train::{evaluate_ner, score_table, train_ner, TrainOptions};
use quotestance::ner::NerModel;
use quotestance::stance_head::finetune::{train_tuned, TuneOptions};
use quotestance::stance_head::train::{calibrate_rules, train_stance, ClassReport, TrainOptions as StanceOptions};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(ClapArgs)]
pub struct Args {
    /// Models dir (default: $QUOTESTANCE_MODELS, else ~/.cache/quotestance/models).
    #[arg(long, global = true)]
    models_dir: Option<PathBuf>,
    /// Worker threads (0: all cores).
    #[arg(long, global = true, default_value_t = 0)]
    threads: usize,
    #[command(subcommand)]
    what: What,
}

#[derive(Subcommand)]
enum What {
    /// The NER head (token classification on frozen encoder states).
    Ner {
        /// Corpus dir with articles/, gold/ and splits.json.
        #[arg(long, default_value = "data/corpus")]
        data: PathBuf,
        /// Where to write the head (safetensors). Default: MODELS_DIR/heads/ner.safetensors,
        /// which the pipeline then loads in place of the built-in head.
        #[arg(long)]
        out: Option<PathBuf>,
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
        /// Silver entity spans (JSONL from training/silver_spacy.py) added to the
        /// training articles where no gold span overlaps them.
        #[arg(long)]
        silver: Option<PathBuf>,
        /// With --silver: the labels to take from it, comma-separated (default: all).
        #[arg(long, value_delimiter = ',')]
        silver_labels: Vec<String>,
        /// Case noise: the chance that a training person name of two or more words
        /// is also seen with its later words lower-cased ("Ruth hallam"); 0: off.
        #[arg(long, default_value_t = 0.0)]
        case_noise: f32,
        /// Do not train: score a head (this file, or "default": the one the models dir resolves to).
        #[arg(long)]
        eval_only: Option<PathBuf>,
        /// With --eval-only: test, or dev (the held-out eighth of train used to pick epochs).
        #[arg(long, default_value = "test")]
        split: String,
        /// With --eval-only: print every missed and spurious mention.
        #[arg(long)]
        errors: bool,
        /// With --eval-only: score the decoded mentions without the document-level fixes (ner::refine).
        #[arg(long)]
        no_refine: bool,
    },
    /// The stance head (quote classification on frozen encoder states plus
    /// relation features); also fine-tunes on your own labels in the gold format.
    Stance {
        /// Folder with gold/NAME.json, articles/NAME.txt and optionally splits.json.
        #[arg(long, default_value = "data/corpus")]
        data: PathBuf,
        /// Where to write the model (safetensors). Default: MODELS_DIR/heads/stance_tuned.safetensors
        /// with --tune-layers, else MODELS_DIR/heads/stance.safetensors: the pipeline then loads
        /// it in place of the built-in one.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Epochs (default: 80 for the frozen head, 6 with --tune-layers).
        #[arg(long)]
        epochs: Option<usize>,
        #[arg(long, default_value_t = 128)]
        hidden: usize,
        #[arg(long, default_value_t = 1e-3)]
        lr: f64,
        /// Weight of the rule scores in the saved model's output (0: model only).
        #[arg(long, default_value_t = 0.0)]
        blend: f32,
        /// Dropout on the head's input (encoder features and relation features).
        #[arg(long, default_value_t = 0.2)]
        dropout: f32,
        /// Keep the encoder states here between runs (the same cache as `train ner --cache`).
        #[arg(long, value_name = "DIR")]
        cache: Option<PathBuf>,
        /// Fine-tune the encoder's top K layers with the head (the `tuned` model,
        /// saved to `--out`, e.g. crates/quotestance/assets/heads/stance_tuned.safetensors); 0: the
        /// head on frozen states. With K > 0, --epochs defaults to 6 and --lr is
        /// the head's learning rate.
        #[arg(long, default_value_t = 0, value_name = "K")]
        tune_layers: usize,
        /// With --tune-layers: the learning rate of the tuned layers.
        #[arg(long, default_value_t = 5e-5)]
        lr_layers: f64,
        /// With --tune-layers: the shuffling and dropout seed.
        #[arg(long, default_value_t = 17)]
        seed: u64,
    },
    /// The rule layer's calibration (rules mode's `stance_score`): per rule, the
    /// gold stances of the quotes it decides in the dev articles.
    CalibrateRules {
        /// Folder with gold/, articles/ and a splits.json with a "dev" list
        /// (`python3 tools/stance_data.py` builds data/stance: real dev).
        #[arg(long, default_value = "data/stance")]
        data: PathBuf,
        /// Where to write the calibration (the crate builds in
        /// crates/quotestance/assets/rules_calibration.json).
        #[arg(long)]
        out: PathBuf,
    },
}

fn class_table(name: &str, r: &ClassReport) -> String {
    let mut s = format!(
        "{name}: accuracy {:.3}, key macro-F1 {:.3}, 4-class macro-F1 {:.3}\n",
        r.accuracy, r.macro_key, r.macro_all
    );
    s.push_str("| stance | P | R | F1 | support |\n|---|---|---|---|---|\n");
    for (st, (p, rc, f, n)) in quotestance::Stance::ALL.iter().zip(r.per_class) {
        s.push_str(&format!("| {} | {p:.3} | {rc:.3} | {f:.3} | {n} |\n", st.as_str()));
    }
    s
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let models = resolve_models_dir(args.models_dir.as_deref());
    match args.what {
        What::CalibrateRules { data, out } => {
            let (json, before, after) = calibrate_rules(&data)?;
            std::fs::write(&out, serde_json::to_string_pretty(&json)? + "\n")
                .with_context(|| format!("writing {}", out.display()))?;
            println!("{}", json["about"].as_str().unwrap_or(""));
            println!(
                "ECE (10 bins) on those quotes: raw {before:.4} -> calibrated {after:.4}; saved {}",
                out.display()
            );
            println!("rebuild (`cargo build --release`) to ship it: the crate builds the file in");
        }
        What::Ner { data, eval_only: Some(head), split, cache, errors, no_refine, .. } => {
            let encoder = Encoder::load(&models, args.threads)?;
            let mut model =
                if head.as_os_str() == "default" { NerModel::load_default(&models)? } else { NerModel::load(&head)? };
            model.refine = !no_refine;
            let scores = evaluate_ner(&encoder, &model, &data, &split, cache.as_deref(), errors)?;
            print!("{}", score_table(&scores));
        }
        What::Ner {
            data,
            out,
            epochs,
            hidden,
            lr,
            seed,
            cache,
            silver,
            silver_labels,
            case_noise,
            eval_only: None,
            ..
        } => {
            let silver_labels = silver_labels
                .iter()
                .map(|l| EntityLabel::parse(l.trim()).with_context(|| format!("unknown entity label {l:?}")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let encoder = Encoder::load(&models, args.threads)?;
            let out = output_path(out, &models, NER_HEAD_FILE)?;
            let opts = TrainOptions {
                epochs,
                hidden,
                lr,
                seed,
                cache,
                silver,
                silver_labels,
                case_noise,
                ..TrainOptions::default()
            };
            let r = train_ner(&encoder, &data, &out, &opts)?;
            if !r.silver_stale.is_empty() {
                eprintln!(
                    "warning: the silver labels of {} training articles are stale (their text changed; left out): {}; \
                     re-run training/silver_spacy.py",
                    r.silver_stale.len(),
                    r.silver_stale.join(", ")
                );
            }
            println!(
                "trained on {} docs ({} tokens, {} silver spans added, {} case-noise rows), dev {} docs, test {} docs; \
                 best epoch {} (dev F1 {:.4})",
                r.train_docs,
                r.train_tokens,
                r.silver_added,
                r.case_noise_rows,
                r.dev_docs,
                r.test_docs,
                r.best_epoch,
                r.dev_f1
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
        What::Stance { data, out, epochs, hidden, lr, blend, dropout, cache, tune_layers, lr_layers, seed } => {
            let name = if tune_layers > 0 { TUNED_HEAD_FILE } else { STANCE_HEAD_FILE };
            let out = output_path(out, &models, name)?;
            let r = if tune_layers > 0 {
                let opts = TuneOptions {
                    layers: tune_layers,
                    epochs: epochs.unwrap_or(TuneOptions::default().epochs),
                    lr_layers,
                    lr_head: lr,
                    hidden,
                    seed,
                    blend,
                    ..TuneOptions::default()
                };
                train_tuned(&models, &data, &out, &opts)?
            } else {
                let encoder = Encoder::load(&models, args.threads)?;
                let epochs = epochs.unwrap_or(StanceOptions::default().epochs);
                let opts = StanceOptions { epochs, hidden, lr, blend, dropout, cache, ..StanceOptions::default() };
                train_stance(&encoder, &data, &out, &opts)?
            };
            let c = r.train_counts;
            println!(
                "train: {} articles, {} matched quotes (call {}, defence {}, rebuttal {}, other {}); dev: {} articles, {} quotes; test: {} articles, {} quotes",
                r.train_docs, c.iter().sum::<usize>(), c[0], c[1], c[2], c[3], r.dev_docs, r.dev_examples, r.test_docs, r.test_examples
            );
            println!(
                "best epoch {} (dev key macro-F1 {:.4}); temperature {:.3} (fitted on the dev articles); encoding {:.1}s, training {:.1}s",
                r.best_epoch, r.dev_macro_key, r.temperature, r.encode_secs, r.train_secs
            );
            println!(
                "ECE (10 bins) of the model, dev slice: {:.4} -> {:.4}; test: {:.4} -> {:.4}",
                r.dev_ece_before, r.dev_ece_after, r.ece_before, r.ece_after
            );
            println!(
                "ECE (10 bins) of the output as saved (blend {blend}), test: {:.4} -> {:.4} (output temperature {:.3})",
                r.ece_blend, r.ece_saved, r.output_temperature
            );
            println!("saved {}\n", out.display());
            println!("{}", class_table("test, matched quotes, model", &r.test_model));
            println!("{}", class_table(&format!("test, matched quotes, as saved (blend {blend})"), &r.test_saved));
            println!("{}", class_table("test, matched quotes, rules", &r.test_rules));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Where a trained head goes: `--out`, else `MODELS_DIR/heads/NAME` (which the pipeline loads in
/// place of the built-in head); its folder is created.
fn output_path(out: Option<PathBuf>, models: &std::path::Path, name: &str) -> anyhow::Result<PathBuf> {
    let out = out.unwrap_or_else(|| models.join("heads").join(name));
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trained_head_goes_where_the_pipeline_looks_unless_told() {
        let models = std::env::temp_dir().join(format!("qs-train-out-{}", std::process::id()));
        let out = output_path(None, &models, TUNED_HEAD_FILE).unwrap();
        assert_eq!(out, models.join("heads").join(TUNED_HEAD_FILE));
        assert!(out.parent().unwrap().is_dir(), "its folder is made");
        assert!(matches!(
            quotestance::models::HeadSource::for_models_dir(&models, TUNED_HEAD_FILE),
            quotestance::models::HeadSource::BuiltIn(_)
        ));
        std::fs::write(&out, b"x").unwrap();
        assert_eq!(
            quotestance::models::HeadSource::for_models_dir(&models, TUNED_HEAD_FILE),
            quotestance::models::HeadSource::File(out.clone()),
            "the pipeline loads it in place of the built-in one"
        );
        let mine = models.join("mine.safetensors");
        assert_eq!(output_path(Some(mine.clone()), &models, NER_HEAD_FILE).unwrap(), mine);
        std::fs::remove_dir_all(&models).unwrap();
    }
}
