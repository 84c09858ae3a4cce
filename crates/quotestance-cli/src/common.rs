//! What several subcommands share: pipeline options and a parallel map.

use anyhow::Context;
use quotestance::{Config, Pipeline};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Options that build the pipeline.
#[derive(clap::Args, Debug, Clone)]
pub struct PipelineArgs {
    /// Where the models live (default: $QUOTESTANCE_MODELS, else the user cache dir).
    #[arg(long, value_name = "DIR")]
    pub models_dir: Option<PathBuf>,
    /// Also run the transformer heads (the NER and stance heads on one MiniLM encoder pass per
    /// document; needs `quotestance models install`). Off by default: better entities and
    /// stances on the corpus, on a par on the real dev articles, but about 10 articles/s on
    /// 2 cores against thousands (see crates/quotestance/assets/heads/).
    #[arg(long, conflicts_with = "rules_only")]
    pub models: bool,
    /// Run the rule layer alone (no model files needed; the default).
    #[arg(long)]
    pub rules_only: bool,
    /// Worker threads; 0 means all cores.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// A document that takes longer than this stops with an error (an error row in `batch`,
    /// an error line in `label`), so one record never stalls a run; 0: no limit.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub deadline: u64,
}

impl PipelineArgs {
    /// The pipeline these options ask for.
    pub fn pipeline(&self) -> anyhow::Result<Pipeline> {
        let config = Config {
            models_dir: self.models_dir.clone(),
            use_models: self.models && !self.rules_only,
            threads: self.threads,
            deadline_ms: self.deadline.saturating_mul(1000),
            ..Config::default()
        };
        Pipeline::new(config).context("cannot build the pipeline")
    }

    /// Number of worker threads to use.
    pub fn workers(&self) -> usize {
        match self.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }
}

/// `f` over `items` on `workers` threads; results in input order.
pub fn par_map<T: Sync, R: Send>(items: &[T], workers: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = workers.clamp(1, items.len().max(1));
    if workers == 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= items.len() {
                            break out;
                        }
                        out.push((i, f(&items[i])));
                    }
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("worker thread panicked")).collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}
