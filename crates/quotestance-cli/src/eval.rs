//! `quotestance eval`: the metrics of the reference scorer (score.py), plus a
//! confusion matrix and per-class P/R/F1.

use crate::common::{par_map, PipelineArgs};
use anyhow::Context;
use quotestance::eval::{read_predictions, score, to_prediction, GoldSet, DEFAULT_THRESHOLD};
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Directory of gold files NAME.json.
    #[arg(long, value_name = "DIR")]
    pub gold: PathBuf,
    /// Directory of the article texts NAME.txt.
    #[arg(long, value_name = "DIR")]
    pub articles: PathBuf,
    /// Predictions (JSONL, the shared prediction format or `quotestance label` output).
    /// Without it, the pipeline labels the articles.
    #[arg(long, value_name = "FILE")]
    pub pred: Option<PathBuf>,
    /// Print the whole result as JSON.
    #[arg(long)]
    pub json: bool,
    /// Jaccard overlap for two quote spans to match.
    #[arg(long, default_value_t = DEFAULT_THRESHOLD)]
    pub threshold: f64,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let gold = GoldSet::load(&args.gold, &args.articles).context("cannot load the gold data")?;
    let mut failed = 0usize;
    let preds = match &args.pred {
        Some(p) => read_predictions(p)?,
        None => {
            let nlp = args.pipeline.pipeline()?;
            let docs = gold.documents();
            let out = par_map(&docs, args.pipeline.workers(), |d| nlp.annotate(d));
            let mut preds = Vec::new();
            for (d, r) in docs.iter().zip(out) {
                match r {
                    Ok(a) => preds.push(to_prediction(&a)),
                    Err(e) => {
                        failed += 1;
                        eprintln!("quotestance: {}: {e}", d.id);
                    }
                }
            }
            preds
        }
    };
    let report = score(&gold, &preds, args.threshold);
    if args.json {
        let mut buf = Vec::new();
        let mut ser =
            serde_json::Serializer::with_formatter(&mut buf, serde_json::ser::PrettyFormatter::with_indent(b" "));
        report.serialize(&mut ser)?;
        println!("{}", String::from_utf8(buf)?);
    } else {
        print!("{}{}", report.to_text(), report.details_text());
    }
    Ok(if failed > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
