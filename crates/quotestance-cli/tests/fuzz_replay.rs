//! Replays the fuzz corpus on stable, without cargo-fuzz: every file of `fuzz/corpus/<target>/`
//! (the seeds) and `fuzz/regressions/<target>/` (crash inputs the fuzzer found, kept once fixed)
//! through the function the target fuzzes (`quotestance_cli::fuzz`), so CI runs exactly what is
//! fuzzed. See `fuzz/README.md`.

use quotestance_cli::fuzz::{Target, TARGETS};
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files of `dir` (none when it does not exist), sorted.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = rd
        .map(|e| e.expect("a readable folder").path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != ".gitkeep"))
        .collect();
    files.sort();
    files
}

fn target(name: &str) -> Target {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f).expect("a target of that name")
}

/// Most seconds one input may take, even unoptimised: a reader or the pipeline that stalls on an
/// input (a fuzzer's timeout) is a finding too.
const BUDGET_S: u64 = 30;

/// Runs every seed and regression input of `name`; fails naming each input that panicked or
/// took over [`BUDGET_S`].
fn replay(name: &str) {
    let run = target(name);
    let seeds = inputs(&fuzz_dir().join("corpus").join(name));
    assert!(!seeds.is_empty(), "no seed corpus in fuzz/corpus/{name}");
    let files: Vec<PathBuf> = seeds.into_iter().chain(inputs(&fuzz_dir().join("regressions").join(name))).collect();
    let failed: Vec<String> = files
        .iter()
        .filter(|path| {
            let data = std::fs::read(path).expect("a readable input");
            let start = std::time::Instant::now();
            let panicked = std::panic::catch_unwind(|| run(&data)).is_err();
            let slow = start.elapsed().as_secs() >= BUDGET_S;
            if slow {
                eprintln!("{name}: {} took {:.1?}", path.display(), start.elapsed());
            }
            panicked || slow
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(
        failed.is_empty(),
        "{name}: {} of {} inputs fail (see the panics above): {failed:#?}",
        failed.len(),
        files.len()
    );
}

#[test]
fn annotate_rules() {
    replay("annotate_rules");
}

/// Runs only where the models are installed (the function does nothing otherwise).
#[test]
fn annotate_models() {
    replay("annotate_models");
}

#[test]
fn jsonl_reader() {
    replay("jsonl_reader");
}

#[test]
fn parquet_reader() {
    replay("parquet_reader");
}

#[test]
fn warc_reader() {
    replay("warc_reader");
}

#[test]
fn html_extract() {
    replay("html_extract");
}

/// Every corpus folder is a target's, and every target has a test above.
#[test]
fn the_corpus_folders_are_the_targets() {
    for kind in ["corpus", "regressions"] {
        let Ok(rd) = std::fs::read_dir(fuzz_dir().join(kind)) else { continue };
        for e in rd {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            assert!(TARGETS.iter().any(|(n, _)| *n == name), "fuzz/{kind}/{name} is no target's");
        }
    }
    let this = include_str!("fuzz_replay.rs");
    for (name, _) in TARGETS {
        assert!(this.contains(&format!("replay(\"{name}\")")), "no replay test for {name}");
        let target = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        assert!(target.is_file(), "no fuzz target {}", target.display());
    }
}
