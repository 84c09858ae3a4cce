//! `quotestance batch`: label large JSONL archives into resumable output shards.
//!
//! # Inputs
//!
//! Files or folders of JSONL records `{"id", "text", ...}` (the fields of
//! [`Document`]); plain, gzip (`.gz`) or zstd (`.zst`). Folders are walked
//! recursively for `*.jsonl`, `*.jsonl.gz` and `*.jsonl.zst`, in sorted path
//! order; a file named on the command line is read whatever its name
//! (decompressed by its extension). Blank lines are not records.
//!
//! Records are read lazily by one reader thread and handed over in chunks of
//! at most [`CHUNK`] records (and [`CHUNK_BYTES`] bytes) through a channel
//! of [`IN_FLIGHT`] chunks, so memory stays bounded whatever the archive
//! size; each chunk is parsed and labelled on `--threads` workers and written
//! in input order.
//!
//! # Outputs (in OUTDIR)
//!
//! A shard covers up to `--shard-size` consecutive records of ONE input file;
//! shards are numbered from 0 in input order, so a shard's number depends only
//! on the inputs and the shard size.
//!
//! * `documents-NNNNN.jsonl`: one line per input record, in input order: the
//!   [`quotestance::Annotated`] record, or an error row
//!   `{"id", "source_file", "line", "error"}` (`id` is null when it cannot be
//!   read; `line` is the 1-based line number in the decompressed input).
//!   Reasons: invalid JSON, not an object, missing or non-string `text`, not
//!   UTF-8, empty text, a line over the size limit (4 x the pipeline's
//!   `max_bytes` + 64 KiB), a text over `max_bytes`, or a pipeline failure.
//! * `quotes-NNNNN.jsonl`: one row per quote of the shard's documents (see
//!   [`QuoteRow`]): `doc_id`, `quote` (index in the document's `quotes`),
//!   `start`, `end` (code points), `kind`, `text`, `speaker` (name or null),
//!   `speaker_person` (index into the document's `people` or null), `stance`,
//!   `stance_score`, `score_call_to_resign`, `score_defence`,
//!   `score_rebuttal`, `score_other`, `target` (name or null).
//! * `manifest.jsonl`: append-only, one line per finished shard (see
//!   [`ManifestEntry`]): its number, input file, the record range
//!   `[first_record, end_record)` and line range it covers, and its counts.
//!
//! # Crash safety and resuming
//!
//! A shard is written to `*.jsonl.tmp`, fsync'd, renamed into place, and only
//! then recorded in the manifest (one line, fsync'd). Re-running the same
//! command skips the shards the manifest lists (reading past their records
//! without labelling them), discards leftover `*.tmp` files and a torn last
//! manifest line, and redoes everything else; a shard renamed but not yet
//! recorded is simply rewritten under the same name. So every record ends up
//! exactly once in the outputs. Resuming with other inputs or another shard
//! size is refused. Two runs must not share an OUTDIR at the same time.
//!
//! # Exit status
//!
//! 0 when the run completes, even if some records became error rows (the
//! summary gives their count); with `--strict`, 1 when there were any. 2 for
//! a fatal error (unreadable input, unwritable OUTDIR, mismatched manifest).

use crate::common::{par_map, PipelineArgs};
use crate::label::{annotate, is_jsonl, open_jsonl, parse_line, raw_lines};
use anyhow::{bail, Context};
use quotestance::{Annotated, Pipeline};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// Most records per chunk handed to the workers.
const CHUNK: usize = 256;
/// A chunk is handed over early once its raw records reach this many bytes.
const CHUNK_BYTES: usize = 32 * 1024 * 1024;
/// Chunks read ahead of the workers.
const IN_FLIGHT: usize = 2;
const MANIFEST: &str = "manifest.jsonl";

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// JSON Lines shards.
    Jsonl,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// JSONL files (.jsonl, .jsonl.gz, .jsonl.zst) or folders of them (walked recursively).
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output folder (shards and manifest.jsonl); re-running into it resumes.
    #[arg(short, long = "output", value_name = "OUTDIR")]
    pub out_dir: PathBuf,
    /// Output format of the shards.
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    pub format: Format,
    /// Records per shard (a shard never spans two input files).
    #[arg(long, value_name = "N", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub shard_size: u64,
    /// Exit with status 1 when any record became an error row.
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
}

/// One line of `manifest.jsonl`: a finished shard.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ManifestEntry {
    pub shard: u64,
    /// The input file, as found from the command line.
    pub input: String,
    /// Records `[first_record, end_record)` of the input (0-based, blank lines not counted).
    pub first_record: u64,
    pub end_record: u64,
    /// 1-based lines of the first and last record.
    pub first_line: u64,
    pub last_line: u64,
    pub documents: u64,
    pub errors: u64,
    pub quotes: u64,
    pub documents_file: String,
    pub quotes_file: String,
    pub shard_size: u64,
}

/// One row of a `quotes-NNNNN.jsonl` shard.
#[derive(Serialize, Debug)]
pub struct QuoteRow<'a> {
    pub doc_id: &'a str,
    pub quote: usize,
    pub start: usize,
    pub end: usize,
    pub kind: quotestance::QuoteKind,
    pub text: &'a str,
    pub speaker: Option<&'a str>,
    pub speaker_person: Option<usize>,
    pub stance: quotestance::Stance,
    pub stance_score: f32,
    pub score_call_to_resign: f32,
    pub score_defence: f32,
    pub score_rebuttal: f32,
    pub score_other: f32,
    pub target: Option<&'a str>,
}

/// A raw record: its 1-based line and its bytes (or why they could not be read).
type Raw = (usize, Result<Vec<u8>, (Value, String)>);

/// What the reader thread sends.
enum Msg {
    /// Records of shard `shard`; `last` closes the shard.
    Chunk { shard: u64, file: Arc<str>, first_record: u64, records: Vec<Raw>, last: bool },
    /// A shard already in the manifest was read past.
    Skipped { records: u64 },
}

/// The result of one record, serialised by a worker.
struct Done {
    doc_line: String,
    quote_lines: String,
    quotes: u64,
    error: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let start = Instant::now();
    let nlp = args.pipeline.pipeline()?;
    let workers = args.pipeline.workers();
    let max_line = nlp.config().max_bytes.saturating_mul(4).saturating_add(64 * 1024);
    let files = input_files(&args.inputs)?;
    let out = &args.out_dir;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    remove_temp_files(out)?;
    let done = load_manifest(out, args.shard_size)?;
    let mut manifest = OpenOptions::new()
        .create(true)
        .append(true)
        .open(out.join(MANIFEST))
        .with_context(|| format!("cannot open {}", out.join(MANIFEST).display()))?;

    let total_bytes: u64 = files.iter().map(|f| f.metadata().map_or(0, |m| m.len())).sum();
    let bytes_read = Arc::new(AtomicU64::new(0));
    let mut progress = Progress::new(total_bytes, bytes_read.clone());
    let mut stats = Stats::default();

    let (tx, rx) = mpsc::sync_channel::<anyhow::Result<Msg>>(IN_FLIGHT);
    let shard_size = args.shard_size;
    let reader_done = done.clone();
    std::thread::scope(|s| -> anyhow::Result<()> {
        let reader = s.spawn(move || {
            if let Err(e) = read_all(&files, shard_size, max_line, &reader_done, &bytes_read, &tx) {
                let _ = tx.send(Err(e));
            }
        });
        let mut shard: Option<ShardWriter> = None;
        for msg in rx {
            match msg? {
                Msg::Skipped { records } => stats.skipped += records,
                Msg::Chunk { shard: n, file, first_record, records, last } => {
                    let w = match &mut shard {
                        Some(w) => w,
                        None => shard.insert(ShardWriter::create(out, n, &file, first_record, shard_size)?),
                    };
                    let results = par_map(&records, workers, |raw| label(&nlp, &file, raw));
                    for (raw, d) in records.iter().zip(&results) {
                        w.write(raw.0 as u64, d)?;
                        stats.read += 1;
                        stats.errors += d.error as u64;
                        stats.quotes += d.quotes;
                    }
                    if last {
                        let entry = shard.take().expect("an open shard").finish(out)?;
                        append_manifest(&mut manifest, &entry)?;
                        stats.shards += 1;
                    }
                    progress.update(stats.read);
                }
            }
        }
        reader.join().map_err(|_| anyhow::anyhow!("the reader thread panicked"))?;
        Ok(())
    })?;
    progress.finish();

    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "quotestance batch: read {} records, labelled {}, errors {}, quotes {}, shards written {}, \
         skipped {} records already done; {:.1}s, {:.0} articles/s",
        stats.read,
        stats.read - stats.errors,
        stats.errors,
        stats.quotes,
        stats.shards,
        stats.skipped,
        secs,
        stats.read as f64 / secs.max(1e-9)
    );
    if args.strict && stats.errors > 0 {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Default)]
struct Stats {
    read: u64,
    errors: u64,
    quotes: u64,
    shards: u64,
    skipped: u64,
}

/// The input files, in order: each argument in turn, folders walked recursively and sorted.
fn input_files(inputs: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
        for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
            let p = entry?.path();
            if p.is_dir() {
                walk(&p, out)?;
            } else if is_jsonl(&p) {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut found = Vec::new();
            walk(input, &mut found)?;
            found.sort();
            files.extend(found);
        } else if input.is_file() {
            files.push(input.clone());
        } else {
            bail!("input {} does not exist", input.display());
        }
    }
    Ok(files)
}

fn remove_temp_files(out: &Path) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(out)? {
        let p = entry?.path();
        if p.extension().is_some_and(|x| x == "tmp") {
            std::fs::remove_file(&p).with_context(|| format!("cannot remove {}", p.display()))?;
        }
    }
    Ok(())
}

/// The finished shards of an earlier run; drops a torn last line.
fn load_manifest(out: &Path, shard_size: u64) -> anyhow::Result<BTreeMap<u64, ManifestEntry>> {
    let path = out.join(MANIFEST);
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    // Everything after the last newline is a torn write: cut it off.
    let complete = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    if complete < text.len() {
        let f = OpenOptions::new().write(true).open(&path)?;
        f.set_len(complete as u64)?;
        f.sync_all()?;
    }
    let mut done = BTreeMap::new();
    for (i, line) in text[..complete].split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let e: ManifestEntry = serde_json::from_slice(line)
            .with_context(|| format!("{}:{}: not a manifest entry", path.display(), i + 1))?;
        if e.shard_size != shard_size {
            bail!(
                "{} was made with --shard-size {}, not {shard_size}; resume with the same options or use a new OUTDIR",
                out.display(),
                e.shard_size
            );
        }
        done.insert(e.shard, e);
    }
    Ok(done)
}

fn append_manifest(manifest: &mut File, e: &ManifestEntry) -> anyhow::Result<()> {
    let mut line = serde_json::to_string(e)?;
    line.push('\n');
    manifest.write_all(line.as_bytes()).context("cannot write the manifest")?;
    manifest.sync_data().context("cannot sync the manifest")?;
    Ok(())
}

/// Counts the (compressed) bytes read from the input files, for progress.
struct Counting<R> {
    inner: R,
    n: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n.fetch_add(k as u64, Ordering::Relaxed);
        Ok(k)
    }
}

/// The reader thread: splits every input file into shards and chunks.
fn read_all(
    files: &[PathBuf],
    shard_size: u64,
    max_line: usize,
    done: &BTreeMap<u64, ManifestEntry>,
    bytes_read: &Arc<AtomicU64>,
    tx: &mpsc::SyncSender<anyhow::Result<Msg>>,
) -> anyhow::Result<()> {
    let mut next_shard = 0u64;
    let mut seen = 0usize;
    for path in files {
        let name: Arc<str> = path.display().to_string().into();
        let f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let reader = open_jsonl(path, Counting { inner: f, n: bytes_read.clone() })
            .with_context(|| format!("cannot open {}", path.display()))?;
        let mut lines = raw_lines(reader, max_line).peekable();
        let mut record = 0u64;
        while lines.peek().is_some() {
            let shard = next_shard;
            next_shard += 1;
            let first_record = record;
            if let Some(e) = done.get(&shard) {
                // Finished earlier: read past its records, checking that they are the same.
                seen += 1;
                let (mut first_line, mut last_line) = (0, 0);
                for (line, _) in lines.by_ref().take(shard_size as usize) {
                    if record == first_record {
                        first_line = line as u64;
                    }
                    last_line = line as u64;
                    record += 1;
                }
                if (&*e.input, e.first_record, e.end_record, e.first_line, e.last_line)
                    != (&*name, first_record, record, first_line, last_line)
                {
                    bail!(
                        "the inputs differ from the run that wrote the manifest (shard {shard}: {e:?}, \
                         now {name} records {first_record}..{record}); use the same inputs or a new OUTDIR"
                    );
                }
                if tx.send(Ok(Msg::Skipped { records: record - first_record })).is_err() {
                    return Ok(());
                }
                continue;
            }
            let end = first_record + shard_size;
            let mut chunk_first = record;
            let mut chunk = Vec::new();
            let mut chunk_bytes = 0usize;
            while record < end {
                let Some(raw) = lines.next() else { break };
                chunk_bytes += raw.1.as_ref().map_or(0, |b| b.len());
                chunk.push(raw);
                record += 1;
                let full = chunk.len() == CHUNK || chunk_bytes >= CHUNK_BYTES;
                if full && record < end && lines.peek().is_some() {
                    let records = std::mem::take(&mut chunk);
                    let msg = Msg::Chunk { shard, file: name.clone(), first_record: chunk_first, records, last: false };
                    if tx.send(Ok(msg)).is_err() {
                        return Ok(());
                    }
                    chunk_first = record;
                    chunk_bytes = 0;
                }
            }
            let msg = Msg::Chunk { shard, file: name.clone(), first_record: chunk_first, records: chunk, last: true };
            if tx.send(Ok(msg)).is_err() {
                return Ok(());
            }
        }
    }
    if seen < done.len() {
        bail!(
            "the manifest lists {} shard(s) that these inputs do not produce; use the same inputs or a new OUTDIR",
            done.len() - seen
        );
    }
    Ok(())
}

/// Parses, labels and serialises one record (runs on a worker).
fn label(nlp: &Pipeline, file: &str, raw: &Raw) -> Done {
    let (line, bytes) = raw;
    let result = bytes.as_ref().map_err(|e| e.clone()).and_then(|b| parse_line(b)).and_then(|doc| {
        if doc.text.trim().is_empty() {
            return Err((Value::String(doc.id), "empty text".into()));
        }
        annotate(nlp, &doc).map_err(|e| (Value::String(doc.id.clone()), e))
    });
    match result {
        Ok(a) => match serialise(&a) {
            Ok((doc_line, quote_lines)) => Done { doc_line, quote_lines, quotes: a.quotes.len() as u64, error: false },
            Err(e) => error_row(Value::String(a.id), file, *line, format!("cannot serialise: {e}")),
        },
        Err((id, e)) => error_row(id, file, *line, e),
    }
}

/// A record that could not be labelled, in place of its `Annotated` line.
#[derive(Serialize, Debug)]
pub struct ErrorRow<'a> {
    pub id: Value,
    pub source_file: &'a str,
    pub line: usize,
    pub error: String,
}

fn error_row(id: Value, source_file: &str, line: usize, error: String) -> Done {
    let row = ErrorRow { id, source_file, line, error };
    let doc_line = serde_json::to_string(&row).expect("an error row serialises");
    Done { doc_line, quote_lines: String::new(), quotes: 0, error: true }
}

fn serialise(a: &Annotated) -> serde_json::Result<(String, String)> {
    let doc_line = serde_json::to_string(a)?;
    let mut quote_lines = String::new();
    for (i, q) in a.quotes.iter().enumerate() {
        let row = QuoteRow {
            doc_id: &a.id,
            quote: i,
            start: q.span.start,
            end: q.span.end,
            kind: q.kind,
            text: &q.text,
            speaker: q.speaker.as_ref().map(|s| s.name.as_str()),
            speaker_person: q.speaker.as_ref().and_then(|s| s.person),
            stance: q.stance,
            stance_score: q.stance_score,
            score_call_to_resign: q.scores.call_to_resign,
            score_defence: q.scores.defence,
            score_rebuttal: q.scores.rebuttal,
            score_other: q.scores.other,
            target: q.target.as_ref().map(|t| t.name.as_str()),
        };
        quote_lines.push_str(&serde_json::to_string(&row)?);
        quote_lines.push('\n');
    }
    Ok((doc_line, quote_lines))
}

/// The two temporary files of the shard being written.
struct ShardWriter {
    docs: std::io::BufWriter<File>,
    quotes: std::io::BufWriter<File>,
    names: [String; 2],
    entry: ManifestEntry,
}

impl ShardWriter {
    fn create(out: &Path, shard: u64, file: &str, first_record: u64, shard_size: u64) -> anyhow::Result<ShardWriter> {
        let names = [format!("documents-{shard:05}.jsonl"), format!("quotes-{shard:05}.jsonl")];
        let open = |name: &str| -> anyhow::Result<std::io::BufWriter<File>> {
            let p = out.join(format!("{name}.tmp"));
            let f = File::create(&p).with_context(|| format!("cannot create {}", p.display()))?;
            Ok(std::io::BufWriter::with_capacity(1 << 20, f))
        };
        Ok(ShardWriter {
            docs: open(&names[0])?,
            quotes: open(&names[1])?,
            entry: ManifestEntry {
                shard,
                input: file.to_string(),
                first_record,
                end_record: first_record,
                first_line: 0,
                last_line: 0,
                documents: 0,
                errors: 0,
                quotes: 0,
                documents_file: names[0].clone(),
                quotes_file: names[1].clone(),
                shard_size,
            },
            names,
        })
    }

    fn write(&mut self, line: u64, d: &Done) -> anyhow::Result<()> {
        let e = &mut self.entry;
        if e.end_record == e.first_record {
            e.first_line = line;
        }
        e.last_line = line;
        e.end_record += 1;
        if d.error {
            e.errors += 1;
        } else {
            e.documents += 1;
        }
        e.quotes += d.quotes;
        self.docs.write_all(d.doc_line.as_bytes())?;
        self.docs.write_all(b"\n")?;
        self.quotes.write_all(d.quote_lines.as_bytes())?;
        Ok(())
    }

    /// Syncs the temporary files, renames them into place and syncs the folder.
    fn finish(self, out: &Path) -> anyhow::Result<ManifestEntry> {
        for (w, name) in [self.docs, self.quotes].into_iter().zip(&self.names) {
            let f = w.into_inner().map_err(|e| e.into_error()).context("cannot write a shard")?;
            f.sync_all().context("cannot sync a shard")?;
            let tmp = out.join(format!("{name}.tmp"));
            std::fs::rename(&tmp, out.join(name)).with_context(|| format!("cannot rename {}", tmp.display()))?;
        }
        File::open(out).and_then(|d| d.sync_all()).context("cannot sync the output folder")?;
        Ok(self.entry)
    }
}

/// An indicatif bar on a terminal, else a plain line on stderr every few seconds.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    bytes_read: Arc<AtomicU64>,
    total_bytes: u64,
    start: Instant,
    last_line: Instant,
}

impl Progress {
    const EVERY: Duration = Duration::from_secs(10);

    fn new(total_bytes: u64, bytes_read: Arc<AtomicU64>) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total_bytes);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{elapsed_precise} [{bar:40}] {percent:>3}% of input  {msg}  ETA {eta}",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            bar
        });
        let now = Instant::now();
        Progress { bar, bytes_read, total_bytes, start: now, last_line: now }
    }

    fn update(&mut self, records: u64) {
        let rate = records as f64 / self.start.elapsed().as_secs_f64().max(1e-9);
        let pos = self.bytes_read.load(Ordering::Relaxed).min(self.total_bytes);
        match &self.bar {
            Some(bar) => {
                bar.set_position(pos);
                bar.set_message(format!("{records} articles, {rate:.0} articles/s"));
            }
            None if self.last_line.elapsed() >= Self::EVERY => {
                self.last_line = Instant::now();
                let pct = if self.total_bytes == 0 { 100.0 } else { 100.0 * pos as f64 / self.total_bytes as f64 };
                eprintln!("quotestance batch: {records} articles, {rate:.0} articles/s, {pct:.0}% of input read");
            }
            None => {}
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
