//! `quotestance models`: where the models are, and whether they are intact.

use quotestance::models::{check_finite, encoder_dir, resolve_models_dir, verify_encoder, HeadSource, BUILT_IN_HEADS};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
    /// The models dir (default: $QUOTESTANCE_MODELS, else the user cache dir).
    #[arg(long, value_name = "DIR", global = true)]
    pub models_dir: Option<PathBuf>,
}

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Print the models dir in use.
    Path,
    /// Check every model file against the sha256 the setup recorded, and every weights file
    /// (encoder, and the heads of MODELS_DIR/heads that replace the built-in ones) for
    /// non-finite values.
    Verify,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let dir = resolve_models_dir(args.models_dir.as_deref());
    match args.command {
        Command::Path => println!("{}", dir.display()),
        Command::Verify => {
            let checked = verify_encoder(&dir)?;
            println!("{}: {} files match their recorded sha256", encoder_dir(&dir).display(), checked.len());
            let weights = encoder_dir(&dir).join("model.safetensors");
            check_finite(&weights)?;
            println!("{}: every weight is finite", weights.display());
            for (name, _) in BUILT_IN_HEADS {
                match HeadSource::for_models_dir(&dir, name) {
                    HeadSource::File(path) => {
                        check_finite(&path)?;
                        println!("{}: every weight is finite (replaces the built-in {name})", path.display());
                    }
                    HeadSource::BuiltIn(_) => println!("{name}: built in"),
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
