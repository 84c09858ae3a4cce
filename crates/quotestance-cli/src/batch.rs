//! `quotestance batch`: label large archives (JSONL, Parquet, WARC) into resumable output shards.
//!
//! # Inputs
//!
//! Files or folders; folders are walked recursively, in sorted path order, for the names below.
//! A file named on the command line is read by its name, as a folder walk reads it; a file of
//! any other name is refused, naming the formats. Paths are compared canonical (see
//! [`inputs`]): a folder is walked and a file read at most once, however many symbolic links
//! lead to it (so a link loop ends); OUTDIR and everything under it are never inputs (a walk
//! passes over it; an argument inside it is refused); a named pipe, socket or device is refused,
//! saying what it is, since resuming reads the inputs again.
//!
//! * JSONL (`*.jsonl`, `*.jsonl.gz`, `*.jsonl.zst`): records `{"id", "text", ...}` (the fields
//!   of [`Document`]); blank lines are not records, and a UTF-8 byte-order mark at the start of
//!   the file is dropped. A record's position is its line (1-based).
//! * Parquet (`*.parquet`; uncompressed, snappy, zstd, gzip or lz4; not brotli): columns `id` (string or integer) and
//!   `text` (string, or binary holding UTF-8), and `title`, `url`, `date`, `source` where present
//!   (strings; `date` may also be a date or timestamp). Other columns are not read. A record is a
//!   row; its position is its row number (1-based). Read a record batch at a time.
//! * WARC (`*.warc`, `*.warc.gz`; gzip per record, as in CC-NEWS, or whole): a record is a
//!   `response` record; `warcinfo`, `request`, `metadata`, `revisit` and other records are
//!   skipped, since they are not articles (they are counted in the positions, not in the
//!   records). Its HTTP header is parsed, `Transfer-Encoding: chunked` and `Content-Encoding:
//!   gzip`/`deflate` undone, the charset decoded (Content-Type, byte-order mark, `<meta>`, else
//!   UTF-8), and the article extracted from the HTML (Readability, `dom_smoothie`) as text with
//!   one paragraph per non-blank line. `id` is the `WARC-Record-ID` without its angle brackets
//!   (unique per capture, where a URL may be captured twice); `url` the `WARC-Target-URI`;
//!   `date` the page's published time when its metadata gives one, else the `WARC-Date`;
//!   `title` and `source` (the site name) from the page. A record's position is its number in
//!   the file (1-based, counting every WARC record).
//! * Text (`*.txt`) and HTML (`*.html`, `*.htm`): one record per file, read as `label` reads
//!   it (id: the file stem; a page's article text extracted as from a WARC response, its title,
//!   date and site name kept). Its position is 1.
//!
//! Records are read lazily by one reader thread and handed over in chunks of
//! at most [`CHUNK`] records (and [`CHUNK_BYTES`] bytes) through a channel
//! of [`IN_FLIGHT`] chunks, so memory stays bounded whatever the archive
//! size; each chunk is parsed (JSON, HTTP and HTML), labelled on `--threads`
//! workers and written in input order.
//!
//! # Every record yields a row
//!
//! A record that cannot be labelled yields an error row in its place, with its reason: invalid
//! JSON, not an object, missing or non-string `text`, null `text` or `id` (Parquet), not UTF-8,
//! a record over the size limit (4 x the pipeline's `max_bytes` + 64 KiB: a JSONL
//! line, a WARC record, a decompressed body), a text over `max_bytes`, an unusable Parquet
//! schema (every row), a file that is not Parquet (one row), a response that is not HTTP, not
//! 2xx, not HTML, has a bad gzip/deflate/chunked body, an unknown charset, bytes invalid in it
//! or elements nested over 1,024 deep (`unparseable HTML`; parsing time grows with the square
//! of the nesting, so such a page would stall a worker; a scan of the tags refuses a page it
//! finds nested over 4 x that before parsing it), HTML without article text (`no article
//! text`), a read error (a JSONL or WARC file ends with one error row there, since what follows
//! cannot be framed; a Parquet file gives an error row for each remaining row), or a pipeline
//! failure.
//!
//! An empty or whitespace-only text is not an error: it is a document with nothing found, as in
//! `quotestance label` and in Python.
//!
//! # Outputs (in OUTDIR)
//!
//! A shard covers up to `--shard-size` consecutive records of ONE input file;
//! shards are numbered from 0 in input order, so a shard's number depends only
//! on the inputs and the shard size.
//!
//! With `--format jsonl` (the default):
//!
//! * `documents-NNNNN.jsonl`: one line per input record, in input order: the
//!   [`quotestance::Annotated`] record followed by `source_file` and `line` (see
//!   [`DocumentRow`]), or an error row `{"id", "source_file", "line", "error"}` (`id` is null
//!   when it cannot be read). `source_file` is the input file as found from the command line
//!   (the argument, or the argument joined with the path under it); `line` is the record's
//!   position (see Inputs: the line in a JSONL file, the row, the WARC record, 1 for a text
//!   file), never null.
//! * `quotes-NNNNN.jsonl`: one row per quote of the shard's documents (see
//!   [`QuoteRow`]): `doc_id`, `quote` (index in the document's `quotes`),
//!   `start`, `end` (code points), `kind`, `text`, `speaker` (name or null),
//!   `speaker_person` (index into the document's `people` or null), `stance`,
//!   `stance_score`, `score_call_to_resign`, `score_defence`,
//!   `score_rebuttal`, `score_other`, `target` (name or null).
//!
//! With `--format parquet` (zstd-compressed, row groups of at most 64 MiB):
//!
//! * `documents-NNNNN.parquet`: one row per input record, in input order: `id` (string, null
//!   when unknown), `source_file` (string), `line` (int64, the position), `error` (string, null
//!   for a labelled document), `title`, `url`, `date`, `source` (strings), `chars`, `n_quotes`,
//!   `n_people`, `n_resignation_calls` (int64, null for an error row) and `record` (string:
//!   exactly the JSONL documents line, `source_file` and `line` included; null for an error row).
//! * `quotes-NNNNN.parquet`: the quote rows, the same columns as the JSONL quotes rows, typed as
//!   Python's `quotestance.quotes_schema()` (the Ray and Spark adapters' batches): strings;
//!   `quote`, `start`, `end`, `speaker_person` int64; the scores float32; all nullable.
//!
//! Both formats:
//!
//! * `manifest.jsonl`: append-only, one line per finished shard (see
//!   [`ManifestEntry`]): its number, input file, the record range
//!   `[first_record, end_record)` and positions it covers, its counts, the output format, the
//!   input's size and modification time, and a SHA-256 of the shard's records as read.
//! * `.lock`: the lock file (see below); it stays, holding the pid of the last run.
//!
//! # Crash safety and resuming
//!
//! A shard is written to `*.tmp` files, fsync'd, renamed into place, and only
//! then recorded in the manifest (one line, fsync'd). Re-running the same
//! command skips the shards the manifest lists (reading past their records
//! without labelling them, and checking that they are the same records),
//! discards leftover `*.tmp` files and a torn last manifest line, and redoes
//! everything else; a shard renamed but not yet
//! recorded is simply rewritten under the same name. So every record ends up
//! exactly once in the outputs. Resuming with other inputs, another shard
//! size or another format is refused.
//!
//! The inputs are identified by content, not by path alone (see [`manifest`]): a finished shard
//! is skipped only when its input gives the same records at the same positions again, which
//! hash to the SHA-256 recorded. An input edited in place before or inside a finished shard
//! (whatever its size and modification time), cut short or replaced makes the run fail with a
//! message naming the file and the change, and saying to start a new OUTDIR. Records added
//! after the finished shards are labelled, with a note that the file changed (a finished shard
//! that ended its file short of `--shard-size` counts as changed). A manifest written before
//! the hash was recorded cannot be checked, and is refused.
//!
//! A run that fails before it records a shard (a missing input, say) removes what it created:
//! OUTDIR when it made it, the lock file, the empty manifest, temporary files.
//!
//! # Ctrl-C
//!
//! The first Ctrl-C (SIGINT) stops the run cleanly: no new record is taken, the workers finish
//! the records they are labelling, the unfinished shard is discarded with its `*.tmp` files
//! (the manifest lists only whole shards, so nothing is half-recorded), and the run prints how
//! many records are done, of how many, where, and the command that resumes (the same command),
//! then exits with 130. A second Ctrl-C exits at once (130); the next run removes the `*.tmp`
//! files left, as after a crash.
//!
//! # Progress
//!
//! On stderr, in records finished (labelled or error rows, counted per record as the workers
//! finish them; a resumed run's earlier shards count as done), out of the records in the
//! inputs, counted on a thread of its own as the run goes (JSONL lines, Parquet rows from the
//! metadata, one per text or HTML file; not for WARC, whose records show what they are only as
//! they are read: then a count and a rate, no share). A bar on a terminal, redrawn every 0.2 s,
//! with the time left at this run's rate; else, for a log, a line every 10 s, and one at the
//! end of a run that took that long (`QUOTESTANCE_PROGRESS_EVERY=SECONDS` sets the interval;
//! 0: a line every 0.2 s, and always one at the end).
//!
//! # One run per OUTDIR
//!
//! A run holds an OS lock (`flock` on Unix, `LockFileEx` on Windows, through
//! `File::try_lock`) on `OUTDIR/.lock` from start to end; a second run into the same
//! OUTDIR fails at once (exit 2) saying so, and writes nothing. The OS drops the lock
//! when the process ends, however it ends, so a killed run never leaves a stale lock.
//!
//! # Exit status
//!
//! 0 when the run completes, even if some records became error rows (the
//! summary gives their count); with `--strict`, 1 when there were any. 130 after Ctrl-C. 2 for
//! a fatal error (unreadable input file, unwritable OUTDIR, inputs changed since the manifest was
//! written, OUTDIR locked).

mod inputs;
mod interrupt;
mod manifest;
mod outdir;
pub(crate) mod parquet_io;
pub(crate) mod warc_io;

pub use manifest::ManifestEntry;

use crate::common::{par_map, PipelineArgs};
use crate::label::{annotate, open_jsonl, parse_line, raw_lines};
use crate::progress::{Counts, Display, Progress};
use anyhow::{bail, Context};
use inputs::Kind;
use manifest::{InputStat, RecordHash, MANIFEST};
use outdir::OutDir;
use quotestance::{Annotated, Document, Pipeline};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// Most records per chunk handed to the workers.
const CHUNK: usize = 256;
/// A chunk is handed over early once its raw records reach this many bytes.
const CHUNK_BYTES: usize = 32 * 1024 * 1024;
/// Chunks read ahead of the workers.
const IN_FLIGHT: usize = 2;

#[derive(clap::ValueEnum, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// JSON Lines shards.
    #[default]
    Jsonl,
    /// Parquet shards (zstd-compressed; the same rows as the JSONL shards).
    Parquet,
}

impl Format {
    /// The shard files' extension.
    fn ext(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Parquet => "parquet",
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Input files or folders (walked recursively): JSONL (.jsonl, .jsonl.gz, .jsonl.zst),
    /// Parquet (.parquet) or WARC (.warc, .warc.gz).
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

/// One row of a `quotes-NNNNN` shard (the same columns, in this order, in JSONL and Parquet, and
/// in Python's `quotestance.quotes_schema()`).
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

/// The quote rows of one labelled document.
fn quote_rows(a: &Annotated) -> impl Iterator<Item = QuoteRow<'_>> {
    a.quotes.iter().enumerate().map(|(i, q)| QuoteRow {
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
    })
}

/// One input record: its 1-based position in its file (see [`ManifestEntry::first_line`]) and
/// its payload, or its id (null when unknown) and why it cannot be read.
pub(crate) struct Raw {
    pub(crate) pos: u64,
    pub(crate) item: Result<Payload, (Value, String)>,
}

/// What a record holds before a worker turns it into a [`Document`].
pub(crate) enum Payload {
    /// A JSONL line (parsed on a worker).
    Json(Vec<u8>),
    /// A Parquet row (read into a document by the reader).
    Doc(Document),
    /// A WARC response record (HTTP parsing and article extraction run on a worker).
    Http(warc_io::Response),
}

impl Raw {
    /// Bytes held, for the chunk limit.
    fn size(&self) -> usize {
        match &self.item {
            Ok(Payload::Json(b)) => b.len(),
            Ok(Payload::Doc(d)) => d.text.len() + d.id.len(),
            Ok(Payload::Http(r)) => r.block.len(),
            Err((_, e)) => e.len(),
        }
    }
}

/// What the reader thread sends.
enum Msg {
    /// Records of a shard to label.
    Chunk(Chunk),
    /// A shard already in the manifest was read past.
    Skipped { records: u64 },
}

/// Records of shard `shard` of `file`, from its record `first_record` on; `end` closes the shard.
struct Chunk {
    shard: u64,
    file: Arc<str>,
    first_record: u64,
    records: Vec<Raw>,
    end: Option<ShardEnd>,
}

/// What the manifest entry of a shard takes from the reader: its input's size and modification
/// time, and the hash of its records.
struct ShardEnd {
    stat: InputStat,
    records_sha256: String,
}

/// The result of one record, rendered for the output format by a worker.
struct Done {
    quotes: u64,
    error: bool,
    rows: Rows,
}

enum Rows {
    Jsonl { doc_line: String, quote_lines: String },
    Parquet(Box<parquet_io::DocRow>),
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    interrupt::install();
    let out = OutDir::open(&args.out_dir)?;
    let result = run_locked(&args);
    if result.is_err() {
        out.undo();
    }
    result
}

/// The run, once OUTDIR is locked.
fn run_locked(args: &Args) -> anyhow::Result<ExitCode> {
    let start = Instant::now();
    let out = &args.out_dir;
    let nlp = args.pipeline.pipeline()?;
    let files = inputs::input_files(&args.inputs, out)?;
    outdir::remove_temp_files(out)?;
    let done = manifest::load(out, args.shard_size, args.format)?;
    let stats = label_all(args, &nlp, files, &done)?;
    if stats.interrupted {
        eprintln!("{}", interrupted(out, &done, &stats));
        return Ok(ExitCode::from(interrupt::EXIT));
    }
    stats.print(start.elapsed());
    if args.strict && stats.errors > 0 {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads, labels and writes every record: a reader thread reads the inputs into chunks, the
/// workers label each chunk, and its rows are written in input order. After Ctrl-C, stops at the
/// next record and discards the unfinished shard (see [`Stats::interrupted`]).
fn label_all(
    args: &Args,
    nlp: &Pipeline,
    files: Vec<(PathBuf, Kind)>,
    done: &BTreeMap<u64, ManifestEntry>,
) -> anyhow::Result<Stats> {
    let path = args.out_dir.join(MANIFEST);
    let manifest = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let max_record = nlp.config().max_bytes.saturating_mul(4).saturating_add(64 * 1024);
    let progress = progress(&files, max_record);
    let mut writer = Writer {
        out: &args.out_dir,
        format: args.format,
        shard_size: args.shard_size,
        workers: args.pipeline.workers(),
        manifest,
        shard: None,
        counts: progress.counts(),
        stats: Stats::default(),
    };
    let (tx, rx) = mpsc::sync_channel::<anyhow::Result<Msg>>(IN_FLIGHT);
    let shard_size = args.shard_size;
    std::thread::scope(|s| -> anyhow::Result<()> {
        let reader = s.spawn(move || {
            let mut sharder = Sharder::new(shard_size, done, &tx);
            if let Err(e) = read_all(&files, max_record, &mut sharder) {
                let _ = tx.send(Err(e));
            }
        });
        for msg in rx {
            writer.stats.interrupted |= interrupt::requested();
            if writer.stats.interrupted {
                break; // the reader stops too, at its next record or message
            }
            writer.take(nlp, msg?)?;
        }
        reader.join().map_err(|_| anyhow::anyhow!("the reader thread panicked"))?;
        Ok(())
    })?;
    if writer.stats.interrupted {
        writer.discard()?;
    }
    let mut stats = writer.stats;
    stats.total = progress.finish(!stats.interrupted).known_total();
    Ok(stats)
}

/// The progress display: a bar on a terminal, else, for a log, a line every so often (see
/// [`log_every`]); the records are counted as the reader reads them (see [`inputs::count`]).
fn progress(files: &[(PathBuf, Kind)], max_record: usize) -> Progress {
    let display = match std::io::stderr().is_terminal() {
        true => Display::Bar { hide_single: false },
        false => Display::Lines { every: log_every() },
    };
    let files = files.to_vec();
    Progress::start(display, "quotestance batch", move |counts| inputs::count(&files, max_record, counts))
}

/// How often a log gets a progress line: `QUOTESTANCE_PROGRESS_EVERY` seconds, else 10.
fn log_every() -> Duration {
    let secs = std::env::var("QUOTESTANCE_PROGRESS_EVERY").ok().and_then(|v| v.trim().parse::<f64>().ok());
    secs.and_then(|s| Duration::try_from_secs_f64(s).ok()).unwrap_or(Duration::from_secs(10))
}

/// What an interrupted run says: the records done and where, and the command that resumes.
fn interrupted(out: &Path, done: &BTreeMap<u64, ManifestEntry>, stats: &Stats) -> String {
    let earlier: u64 = done.values().map(|e| e.end_record - e.first_record).sum();
    let of = stats.total.map_or_else(String::new, |t| format!(" of {t}"));
    format!(
        "quotestance batch: interrupted: {}{of} records are done, in the {} shard(s) listed in {}; the \
         records of the unfinished shard were discarded, with its temporary files.\nTo resume, run the same \
         command again, from the same folder:\n  {}",
        earlier + stats.finished,
        done.len() as u64 + stats.shards,
        out.join(MANIFEST).display(),
        interrupt::command_line()
    )
}

/// Labels the chunks the reader sends and writes their rows, shard by shard.
struct Writer<'a> {
    out: &'a Path,
    format: Format,
    shard_size: u64,
    workers: usize,
    manifest: File,
    /// The shard being written.
    shard: Option<Shard>,
    /// What the progress shows: records finished here, and by an earlier run.
    counts: &'a Counts,
    stats: Stats,
}

impl Writer<'_> {
    fn take(&mut self, nlp: &Pipeline, msg: Msg) -> anyhow::Result<()> {
        match msg {
            Msg::Skipped { records } => {
                self.stats.skipped += records;
                self.counts.earlier.fetch_add(records, Ordering::Relaxed);
            }
            Msg::Chunk(c) => self.chunk(nlp, c)?,
        }
        Ok(())
    }

    /// Labels a chunk and writes its rows; records the shard in the manifest when it ends.
    fn chunk(&mut self, nlp: &Pipeline, c: Chunk) -> anyhow::Result<()> {
        let w = match &mut self.shard {
            Some(w) => w,
            None => self.shard.insert(Shard::create(
                self.out,
                c.shard,
                &c.file,
                c.first_record,
                self.shard_size,
                self.format,
            )?),
        };
        let (format, counts) = (self.format, self.counts);
        let results = par_map(&c.records, self.workers, |raw| {
            if interrupt::requested() {
                return None;
            }
            let d = label(nlp, &c.file, raw, format);
            counts.done.fetch_add(1, Ordering::Relaxed);
            Some(d)
        });
        let Some(results) = results.into_iter().collect::<Option<Vec<Done>>>() else {
            self.stats.interrupted = true;
            return Ok(());
        };
        for (raw, d) in c.records.iter().zip(&results) {
            w.write(raw.pos, d)?;
            self.stats.read += 1;
            self.stats.errors += d.error as u64;
            self.stats.quotes += d.quotes;
        }
        w.end_chunk()?;
        if let Some(end) = c.end {
            let entry = self.shard.take().expect("an open shard").finish(self.out, end)?;
            manifest::append(&mut self.manifest, &entry)?;
            self.stats.shards += 1;
            self.stats.finished += entry.end_record - entry.first_record;
        }
        Ok(())
    }

    /// After Ctrl-C: drops the unfinished shard and removes its temporary files.
    fn discard(&mut self) -> anyhow::Result<()> {
        self.shard = None;
        outdir::remove_temp_files(self.out)
    }
}

#[derive(Default)]
struct Stats {
    read: u64,
    errors: u64,
    quotes: u64,
    shards: u64,
    /// Records in the shards written (`shards`).
    finished: u64,
    skipped: u64,
    /// Ctrl-C stopped the run before its end.
    interrupted: bool,
    /// Records in the inputs, when counted.
    total: Option<u64>,
}

impl Stats {
    fn print(&self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        eprintln!(
            "quotestance batch: read {} records, labelled {}, errors {}, quotes {}, shards written {}, \
             skipped {} records already done; {:.1}s, {:.0} articles/s",
            self.read,
            self.read - self.errors,
            self.errors,
            self.quotes,
            self.shards,
            self.skipped,
            secs,
            self.read as f64 / secs.max(1e-9)
        );
    }
}

/// The reader thread: reads every input file, record by record, into the sharder.
fn read_all(files: &[(PathBuf, Kind)], max_record: usize, sharder: &mut Sharder) -> anyhow::Result<()> {
    for (path, kind) in files {
        sharder.start_file(path.display().to_string().into(), kind.positions(), InputStat::of(path));
        let mut push = |raw: Raw| sharder.push(raw);
        match kind {
            Kind::Jsonl => {
                let f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
                let reader = open_jsonl(path, f).with_context(|| format!("cannot open {}", path.display()))?;
                for (line, item) in raw_lines(reader, max_record) {
                    push(Raw { pos: line as u64, item: item.map(Payload::Json) })?;
                }
            }
            Kind::Parquet => parquet_io::read(path, CHUNK, &mut push)?,
            Kind::Warc { gzip } => {
                let f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
                warc_io::read(f, *gzip, max_record, &mut push)?;
            }
            Kind::Text | Kind::Html => {
                let size = std::fs::metadata(path).map_or(0, |m| m.len());
                let item = if size > max_record as u64 {
                    let id = path.file_stem().map(|s| s.to_string_lossy().into_owned());
                    Err((id.into(), format!("record over the size limit ({size} bytes, limit {max_record})")))
                } else {
                    crate::label::file_document(path)
                };
                push(Raw { pos: 1, item: item.map(Payload::Doc) })?;
            }
        }
        sharder.end_file()?;
    }
    sharder.finish()
}

/// Splits the records of each input file into shards of `shard_size` records, and each shard
/// into chunks for the workers; a shard the manifest lists is read past, checking that it holds
/// the records it was made from (see [`manifest`]).
struct Sharder<'a> {
    shard_size: u64,
    done: &'a BTreeMap<u64, ManifestEntry>,
    tx: &'a mpsc::SyncSender<anyhow::Result<Msg>>,
    next_shard: u64,
    file: Arc<str>,
    /// What the file's positions count, and its size and modification time.
    positions: &'static str,
    stat: InputStat,
    /// Notes that an input changed though its finished shards did not (printed once all
    /// shards are checked), and whether the current file has one.
    notes: Vec<String>,
    noted: bool,
    /// Records of the current file so far.
    record: u64,
    open: Option<OpenShard>,
}

/// The shard being read.
struct OpenShard {
    shard: u64,
    first_record: u64,
    /// In the manifest already: read past, not labelled.
    skip: bool,
    first_pos: u64,
    last_pos: u64,
    hash: RecordHash,
    chunk: Vec<Raw>,
    chunk_first: u64,
    chunk_bytes: usize,
}

impl<'a> Sharder<'a> {
    fn new(
        shard_size: u64,
        done: &'a BTreeMap<u64, ManifestEntry>,
        tx: &'a mpsc::SyncSender<anyhow::Result<Msg>>,
    ) -> Self {
        Sharder {
            shard_size,
            done,
            tx,
            next_shard: 0,
            file: "".into(),
            positions: "",
            stat: InputStat::default(),
            notes: Vec::new(),
            noted: false,
            record: 0,
            open: None,
        }
    }

    fn send(&self, msg: Msg) -> anyhow::Result<()> {
        // The receiver is gone only when the writer failed; its error is the one reported.
        self.tx.send(Ok(msg)).map_err(|_| anyhow::anyhow!("the writer stopped"))
    }

    fn start_file(&mut self, file: Arc<str>, positions: &'static str, stat: InputStat) {
        self.file = file;
        self.positions = positions;
        self.stat = stat;
        self.noted = false;
        self.record = 0;
    }

    fn push(&mut self, raw: Raw) -> anyhow::Result<()> {
        if interrupt::requested() {
            bail!("interrupted");
        }
        let o = match &mut self.open {
            Some(o) => o,
            None => {
                let shard = self.next_shard;
                self.next_shard += 1;
                let skip = self.done.contains_key(&shard);
                self.open.insert(OpenShard {
                    shard,
                    first_record: self.record,
                    skip,
                    first_pos: raw.pos,
                    last_pos: raw.pos,
                    hash: RecordHash::default(),
                    chunk: Vec::new(),
                    chunk_first: self.record,
                    chunk_bytes: 0,
                })
            }
        };
        o.last_pos = raw.pos;
        o.hash.add(&raw);
        self.record += 1;
        if !o.skip {
            o.chunk_bytes += raw.size();
            o.chunk.push(raw);
        }
        if self.record - o.first_record == self.shard_size {
            return self.close();
        }
        if !o.skip && (o.chunk.len() == CHUNK || o.chunk_bytes >= CHUNK_BYTES) {
            let records = std::mem::take(&mut o.chunk);
            let chunk =
                Chunk { shard: o.shard, file: self.file.clone(), first_record: o.chunk_first, records, end: None };
            o.chunk_first = self.record;
            o.chunk_bytes = 0;
            self.send(Msg::Chunk(chunk))?;
        }
        Ok(())
    }

    /// Ends the open shard: its last chunk, or, for a shard done earlier, the check that it
    /// holds the records the manifest says it was made from.
    fn close(&mut self) -> anyhow::Result<()> {
        let Some(o) = self.open.take() else { return Ok(()) };
        let records_sha256 = o.hash.hex();
        if o.skip {
            let entry = &self.done[&o.shard];
            entry.check(&manifest::Reread {
                input: &self.file,
                positions: self.positions,
                stat: &self.stat,
                first_record: o.first_record,
                end_record: self.record,
                first_line: o.first_pos,
                last_line: o.last_pos,
                records_sha256: &records_sha256,
            })?;
            if !self.noted {
                if let Some(note) = entry.note(&self.stat) {
                    self.notes.push(note);
                    self.noted = true;
                }
            }
            return self.send(Msg::Skipped { records: self.record - o.first_record });
        }
        let end = ShardEnd { stat: self.stat.clone(), records_sha256 };
        let chunk = Chunk {
            shard: o.shard,
            file: self.file.clone(),
            first_record: o.chunk_first,
            records: o.chunk,
            end: Some(end),
        };
        self.send(Msg::Chunk(chunk))
    }

    fn end_file(&mut self) -> anyhow::Result<()> {
        self.close()
    }

    /// Fails when the manifest lists shards these inputs did not make; else prints the notes.
    fn finish(&self) -> anyhow::Result<()> {
        let mut missing = self.done.range(self.next_shard..);
        if let Some((_, first)) = missing.next() {
            bail!(manifest::missing(first, missing.count() + 1));
        }
        self.notes.iter().for_each(|note| eprintln!("{note}"));
        Ok(())
    }
}

/// Reads, labels and renders one record (runs on a worker).
fn label(nlp: &Pipeline, file: &str, raw: &Raw, format: Format) -> Done {
    let doc: Result<Cow<Document>, (Value, String)> = match &raw.item {
        Err(e) => Err(e.clone()),
        Ok(Payload::Json(b)) => parse_line(b).map(Cow::Owned),
        Ok(Payload::Doc(d)) => Ok(Cow::Borrowed(d)),
        Ok(Payload::Http(r)) => warc_io::document(r).map(Cow::Owned),
    };
    let result = doc.and_then(|doc| annotate(nlp, &doc).map_err(|e| (Value::String(doc.id.clone()), e)));
    match result {
        Ok(a) => render(a, file, raw.pos, format),
        Err((id, e)) => error_row(id, file, raw.pos, e, format),
    }
}

/// A record that could not be labelled, in place of its `Annotated` line.
#[derive(Serialize, Debug)]
pub struct ErrorRow<'a> {
    pub id: Value,
    pub source_file: &'a str,
    pub line: u64,
    pub error: String,
}

fn error_row(id: Value, source_file: &str, line: u64, error: String, format: Format) -> Done {
    let rows = match format {
        Format::Jsonl => {
            let row = ErrorRow { id, source_file, line, error };
            let doc_line = serde_json::to_string(&row).expect("an error row serialises");
            Rows::Jsonl { doc_line, quote_lines: String::new() }
        }
        Format::Parquet => {
            let id = match id {
                Value::Null => None,
                Value::String(s) => Some(s),
                v => Some(v.to_string()),
            };
            Rows::Parquet(Box::new(parquet_io::DocRow { id, error: Some(error), record: None, annotated: None }))
        }
    };
    Done { quotes: 0, error: true, rows }
}

/// A labelled document's row in a `documents-NNNNN` shard (JSONL, and Parquet's `record`): the
/// `Annotated` record, then where it was read, as in an [`ErrorRow`]: the input file and the
/// record's position in it.
#[derive(Serialize, Debug)]
pub struct DocumentRow<'a> {
    #[serde(flatten)]
    pub annotated: &'a Annotated,
    pub source_file: &'a str,
    pub line: u64,
}

/// A labelled document's rows: the document row and its quote rows.
fn render(a: Annotated, file: &str, line: u64, format: Format) -> Done {
    let (quotes, id) = (a.quotes.len() as u64, a.id.clone());
    let row = DocumentRow { annotated: &a, source_file: file, line };
    let rendered = match format {
        Format::Jsonl => serialise(&row).map(|(doc_line, quote_lines)| Rows::Jsonl { doc_line, quote_lines }),
        Format::Parquet => serde_json::to_string(&row).map(|record| {
            let (id, record) = (Some(id.clone()), Some(record));
            Rows::Parquet(Box::new(parquet_io::DocRow { id, error: None, record, annotated: Some(a) }))
        }),
    };
    match rendered {
        Ok(rows) => Done { quotes, error: false, rows },
        Err(e) => error_row(Value::String(id), file, line, format!("cannot serialise: {e}"), format),
    }
}

fn serialise(row: &DocumentRow) -> serde_json::Result<(String, String)> {
    let doc_line = serde_json::to_string(row)?;
    let mut quote_lines = String::new();
    for q in quote_rows(row.annotated) {
        quote_lines.push_str(&serde_json::to_string(&q)?);
        quote_lines.push('\n');
    }
    Ok((doc_line, quote_lines))
}

/// The shard being written: its two temporary files and its manifest entry.
struct Shard {
    out: ShardOut,
    entry: ManifestEntry,
}

enum ShardOut {
    Jsonl { docs: std::io::BufWriter<File>, quotes: std::io::BufWriter<File> },
    Parquet(Box<parquet_io::ShardWriter>),
}

impl Shard {
    fn create(
        out: &Path,
        shard: u64,
        file: &str,
        first_record: u64,
        shard_size: u64,
        format: Format,
    ) -> anyhow::Result<Shard> {
        let ext = format.ext();
        let names = [format!("documents-{shard:05}.{ext}"), format!("quotes-{shard:05}.{ext}")];
        let tmp = |name: &str| out.join(format!("{name}.tmp"));
        let create = |name: &str| -> anyhow::Result<File> {
            let p = tmp(name);
            File::create(&p).with_context(|| format!("cannot create {}", p.display()))
        };
        let (docs, quotes) = (create(&names[0])?, create(&names[1])?);
        let out = match format {
            Format::Jsonl => ShardOut::Jsonl {
                docs: std::io::BufWriter::with_capacity(1 << 20, docs),
                quotes: std::io::BufWriter::with_capacity(1 << 20, quotes),
            },
            Format::Parquet => ShardOut::Parquet(Box::new(parquet_io::ShardWriter::new(docs, quotes, file)?)),
        };
        let [documents_file, quotes_file] = names;
        Ok(Shard {
            out,
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
                documents_file,
                quotes_file,
                shard_size,
                format,
                input_size: None,
                input_modified: None,
                records_sha256: None,
            },
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
        match (&mut self.out, &d.rows) {
            (ShardOut::Jsonl { docs, quotes }, Rows::Jsonl { doc_line, quote_lines }) => {
                docs.write_all(doc_line.as_bytes())?;
                docs.write_all(b"\n")?;
                quotes.write_all(quote_lines.as_bytes())?;
            }
            (ShardOut::Parquet(w), Rows::Parquet(row)) => w.push(line, row),
            _ => bail!("internal error: a record rendered for another output format"),
        }
        Ok(())
    }

    /// Writes what the last chunk added (Parquet: one record batch per table).
    fn end_chunk(&mut self) -> anyhow::Result<()> {
        match &mut self.out {
            ShardOut::Jsonl { .. } => Ok(()),
            ShardOut::Parquet(w) => w.write_batches(),
        }
    }

    /// Completes and syncs the temporary files, renames them into place and syncs the folder;
    /// returns the manifest entry, with the input's size, modification time and records hash.
    fn finish(mut self, out: &Path, end: ShardEnd) -> anyhow::Result<ManifestEntry> {
        self.entry.input_size = end.stat.size;
        self.entry.input_modified = end.stat.modified;
        self.entry.records_sha256 = Some(end.records_sha256);
        let files = match self.out {
            ShardOut::Jsonl { docs, quotes } => {
                let inner = |w: std::io::BufWriter<File>| w.into_inner().map_err(|e| e.into_error());
                [inner(docs).context("cannot write a shard")?, inner(quotes).context("cannot write a shard")?]
            }
            ShardOut::Parquet(w) => w.finish()?,
        };
        for (f, name) in files.into_iter().zip([&self.entry.documents_file, &self.entry.quotes_file]) {
            f.sync_all().context("cannot sync a shard")?;
            let tmp = out.join(format!("{name}.tmp"));
            std::fs::rename(&tmp, out.join(name)).with_context(|| format!("cannot rename {}", tmp.display()))?;
        }
        File::open(out).and_then(|d| d.sync_all()).context("cannot sync the output folder")?;
        Ok(self.entry)
    }
}
