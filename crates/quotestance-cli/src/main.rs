//! `quotestance`: the command-line interface. One module per subcommand, in the library
//! (`lib.rs`), which the fuzz targets share.

use clap::{Parser, Subcommand};
use quotestance_cli::{batch, eval, label, models, train};
use std::process::ExitCode;

/// mimalloc keeps freed pages for reuse: with glibc's allocator every encoder batch's buffers
/// were unmapped and faulted in again (see the Speed section of the README).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Who said what about whose resignation: quotes, speakers and stances in news articles.
#[derive(Parser)]
#[command(name = "quotestance", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Label articles; writes one JSON record (`Annotated`) per document.
    Label(label::Args),
    /// Label archives (JSONL, Parquet, WARC) into resumable JSONL or Parquet shards.
    Batch(batch::Args),
    /// Score predictions (or the pipeline itself) against gold annotations.
    Eval(eval::Args),
    /// Train (or score) a model head on the team corpus.
    Train(train::Args),
    /// Where the models are (`path`), and whether they are intact (`verify`).
    Models(models::Args),
}

fn main() -> ExitCode {
    // before any thread starts: whole batches per thread, not threads per product
    quotestance::encode::candle::single_threaded_cpu();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Label(args) => label::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Batch(args) => batch::run(args),
        Command::Train(args) => train::run(args),
        Command::Models(args) => models::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("quotestance: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
