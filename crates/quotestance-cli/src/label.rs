//! `quotestance label`: label .txt files, directories of them, or JSONL records.

use crate::common::{par_map, PipelineArgs};
use crate::progress::{Counts, Display, Progress};
use anyhow::Context;
use quotestance::{Annotated, Document, Pipeline};
use serde_json::{json, Value};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Documents labelled per batch (input is read lazily, output written in input order).
const BATCH: usize = 256;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A .txt file (id: the file stem), an .html/.htm page (its article text is extracted, as
    /// `batch` does for WARC), a .jsonl file (or .jsonl.gz, .jsonl.zst) of {"id", "text", ...}
    /// records, a directory of .txt and .html files, or `-` for plain text on stdin (one
    /// document, id "stdin"; with --jsonl, records).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Write the JSONL here instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Pretty-print each record (meant for one document).
    #[arg(long)]
    pub pretty: bool,
    /// `jsonl`: one JSON record per document; `table`: a table of quotes per document for
    /// people to read, with the resignation calls and people. Default: `table` when writing to
    /// a terminal, else `jsonl`.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
    /// At the end, print one JSON line to stderr: documents, characters, seconds (loading
    /// and labelling), and the encoder's work (sequences, real and padded tokens).
    #[arg(long)]
    pub stats: bool,
    /// Read `-` (stdin) as JSONL records rather than as one plain-text document.
    #[arg(long)]
    pub jsonl: bool,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
}

/// What `label` writes.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Table,
}

/// How records are written: JSON (pretty or not), or a table (coloured or not).
#[derive(Clone, Copy, Debug)]
enum Style {
    Json { pretty: bool },
    Table { colour: bool },
}

/// The style of a run: `--format`, else a table on a terminal; colour on a terminal only,
/// unless `NO_COLOR` is set.
fn style(args: &Args) -> Style {
    let terminal = args.output.is_none() && std::io::stdout().is_terminal();
    match args.format.unwrap_or(if terminal && !args.pretty { Format::Table } else { Format::Jsonl }) {
        Format::Jsonl => Style::Json { pretty: args.pretty },
        Format::Table => Style::Table { colour: terminal && std::env::var_os("NO_COLOR").is_none() },
    }
}

/// One input: a document, or the reason it could not be read.
enum Item {
    Doc(Document),
    Bad { id: Value, error: String },
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let start = std::time::Instant::now();
    let nlp = args.pipeline.pipeline()?;
    let loaded = start.elapsed().as_secs_f64();
    let (mut docs, mut chars) = (0u64, 0u64);
    let workers = args.pipeline.workers();
    let style = style(&args);
    let mut out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(BufWriter::new(File::create(p).with_context(|| format!("cannot create {}", p.display()))?)),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let mut errors = 0usize;
    let mut batch: Vec<Item> = Vec::with_capacity(BATCH);
    let progress = progress(&args);
    let mut label_batch =
        |batch: &mut Vec<Item>| quiet_on_broken_pipe(flush(&nlp, workers, batch, &mut out, style, &progress));
    for path in &args.paths {
        for item in read_inputs(path, args.jsonl) {
            if let Item::Doc(d) = &item {
                docs += 1;
                chars += d.text.chars().count() as u64;
            }
            batch.push(item);
            if batch.len() == BATCH {
                errors += label_batch(&mut batch)?;
            }
        }
    }
    errors += label_batch(&mut batch)?;
    progress.finish(true);
    if args.stats {
        let secs = start.elapsed().as_secs_f64();
        let st = nlp.encode_stats();
        let run = json!({"documents": docs, "chars": chars, "load_seconds": loaded, "seconds": secs,
            "document_pass": st.document_pass, "stance_pass": st.stance_pass});
        eprintln!("{run}");
    }
    if errors > 0 {
        if errors > MAX_ERRORS_SHOWN {
            eprintln!("quotestance: ... and {} more", errors - MAX_ERRORS_SHOWN);
        }
        eprintln!("quotestance: {errors} document(s) failed; see the \"error\" records in the output");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Error records whose message is also printed to stderr (the rest are counted).
const MAX_ERRORS_SHOWN: usize = 20;

/// A reader that went away (`quotestance label ... | head`) ends the run quietly: the run exits
/// at once with success, as `cat` and `grep` do.
fn quiet_on_broken_pipe(r: anyhow::Result<usize>) -> anyhow::Result<usize> {
    match r {
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            std::process::exit(0)
        }
        r => r,
    }
}

/// The progress bar, on stderr when it is a terminal and there is more than one record.
fn progress(args: &Args) -> Progress {
    let display = match std::io::stderr().is_terminal() {
        true => Display::Bar { hide_single: true },
        false => Display::Off,
    };
    let (paths, stdin_jsonl) = (args.paths.clone(), args.jsonl);
    Progress::start(display, "quotestance label", move |counts| count(&paths, stdin_jsonl, counts))
}

/// The records of the PATH arguments, for progress (`None` for JSONL on stdin).
fn count(paths: &[PathBuf], stdin_jsonl: bool, counts: &Counts) -> Option<u64> {
    let mut n = 0;
    for path in paths {
        n += match path {
            p if p.as_os_str() == "-" && stdin_jsonl => return None,
            p if p.is_dir() => dir_files(p).map_or(1, |files| files.len() as u64),
            p if is_jsonl(p) => jsonl_records(p, usize::MAX, counts)?,
            _ => 1,
        };
    }
    Some(n)
}

/// The records of a JSONL file, counted as [`raw_lines`] reads them (one for a file that cannot
/// be opened: its error); `None` when the run ends first.
pub(crate) fn jsonl_records(path: &Path, max_line: usize, counts: &Counts) -> Option<u64> {
    let Ok(reader) = File::open(path).and_then(|f| open_jsonl(path, f)) else {
        return Some(1);
    };
    let mut n = 0;
    for _ in raw_lines(reader, max_line) {
        if counts.stopped() {
            return None;
        }
        n += 1;
    }
    Some(n)
}

/// Labels and writes one batch; returns the number of error records written.
fn flush(
    nlp: &Pipeline,
    workers: usize,
    batch: &mut Vec<Item>,
    out: &mut dyn Write,
    style: Style,
    progress: &Progress,
) -> anyhow::Result<usize> {
    let done = &progress.counts().done;
    let results = par_map(batch, workers, |item| {
        let result = match item {
            Item::Doc(doc) => annotate(nlp, doc).map_err(|e| (json!(doc.id), e)),
            Item::Bad { id, error } => Err((id.clone(), error.clone())),
        };
        done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        result
    });
    batch.clear();
    progress.suspend(|| write(results, out, style))
}

/// Writes the records of a batch (and the first errors' messages to stderr); returns the
/// number of error records.
fn write(results: Vec<Result<Annotated, (Value, String)>>, out: &mut dyn Write, style: Style) -> anyhow::Result<usize> {
    let mut errors = 0;
    for r in results {
        let text = match r {
            Ok(a) => match style {
                Style::Json { pretty } => to_json(&a, pretty)? + "\n",
                Style::Table { colour } => crate::table::document(&a, colour) + "\n",
            },
            Err((id, error)) => {
                errors += 1;
                let name = id.as_str().map_or_else(|| id.to_string(), str::to_string);
                if errors <= MAX_ERRORS_SHOWN {
                    eprintln!("quotestance: {name}: {error}");
                }
                match style {
                    Style::Json { pretty } => to_json(&json!({"id": id, "error": error}), pretty)? + "\n",
                    Style::Table { .. } => crate::table::error(&name, &error) + "\n",
                }
            }
        };
        out.write_all(text.as_bytes()).context("cannot write the output")?;
    }
    out.flush().context("cannot write the output")?;
    Ok(errors)
}

fn to_json<T: serde::Serialize>(v: &T, pretty: bool) -> anyhow::Result<String> {
    Ok(if pretty { serde_json::to_string_pretty(v)? } else { serde_json::to_string(v)? })
}

/// Labels one document; a panic in the pipeline becomes an error for this document alone.
pub(crate) fn annotate(nlp: &Pipeline, doc: &Document) -> Result<Annotated, String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| nlp.annotate(doc))) {
        Ok(Ok(a)) => Ok(a),
        Ok(Err(e)) => Err(e.to_string()),
        Err(p) => {
            let msg = p.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| p.downcast_ref::<String>().cloned());
            Err(format!("internal error (panic): {}", msg.unwrap_or_default()))
        }
    }
}

fn stem(path: &Path) -> String {
    path.file_stem().map_or_else(|| path.display().to_string(), |s| s.to_string_lossy().into_owned())
}

/// The documents of one PATH argument, read lazily.
fn read_inputs(path: &Path, stdin_jsonl: bool) -> Box<dyn Iterator<Item = Item>> {
    if path.as_os_str() == "-" {
        if stdin_jsonl {
            return Box::new(jsonl_items("<stdin>".into(), BufReader::new(std::io::stdin())));
        }
        return Box::new(std::iter::once(text_from("stdin", std::io::stdin().lock(), Path::new("<stdin>"))));
    }
    if path.is_dir() {
        return match dir_files(path) {
            Ok(files) => Box::new(files.into_iter().map(|p| file_item(&p))),
            Err(e) => Box::new(std::iter::once(bad(path, &e))),
        };
    }
    if is_jsonl(path) {
        return match File::open(path).and_then(|f| open_jsonl(path, f)) {
            Ok(r) => Box::new(jsonl_items(path.display().to_string(), r)),
            Err(e) => Box::new(std::iter::once(bad(path, &e))),
        };
    }
    Box::new(std::iter::once(file_item(path)))
}

/// The `.txt` and `.html` files of a folder, in sorted order.
fn dir_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && (p.extension().is_some_and(|x| x == "txt") || is_html(p)))
        .collect();
    files.sort();
    Ok(files)
}

/// An `.html` or `.htm` file.
fn is_html(path: &Path) -> bool {
    path.extension().is_some_and(|x| x.eq_ignore_ascii_case("html") || x.eq_ignore_ascii_case("htm"))
}

/// A `.txt` file or the article of an `.html` page, for `batch`: the document, or the id and
/// the reason it could not be read.
pub(crate) fn file_document(path: &Path) -> Result<Document, (Value, String)> {
    match file_item(path) {
        Item::Doc(d) => Ok(d),
        Item::Bad { id, error } => Err((id, error)),
    }
}

/// A text file, or the article of an HTML page.
fn file_item(path: &Path) -> Item {
    if is_html(path) {
        html_item(path)
    } else {
        text_item(path)
    }
}

/// The article of an HTML page: charset from its byte-order mark or `<meta>` tag, then the
/// extraction `batch` runs on WARC responses; its title and date go with it.
fn html_item(path: &Path) -> Item {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return bad(path, &e),
    };
    let article = crate::batch::warc_io::decode(&bytes, None)
        .and_then(|html| crate::batch::warc_io::extract(&html, None))
        .map_err(|e| bad(path, &e));
    match article {
        Ok(a) => Item::Doc(Document {
            title: a.title,
            date: a.published,
            source: a.site,
            ..Document::new(stem(path), a.text)
        }),
        Err(item) => item,
    }
}

/// A `.jsonl` file, plain or compressed (`.jsonl.gz`, `.jsonl.zst`).
pub(crate) fn is_jsonl(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    [".jsonl", ".jsonl.gz", ".jsonl.zst"].iter().any(|x| name.ends_with(x))
}

fn bad(path: &Path, e: &dyn std::fmt::Display) -> Item {
    Item::Bad { id: json!(stem(path)), error: format!("{}: {e}", path.display()) }
}

/// A whole text file as one document.
fn text_item(path: &Path) -> Item {
    match File::open(path) {
        Ok(f) => text_from(&stem(path), f, path),
        Err(e) => bad(path, &e),
    }
}

/// All of `reader` as one document `id`; `path` names it in an error.
fn text_from(id: &str, mut reader: impl Read, path: &Path) -> Item {
    let mut bytes = Vec::new();
    if let Err(e) = reader.read_to_end(&mut bytes) {
        return bad(path, &e);
    }
    match String::from_utf8(bytes) {
        Ok(text) => Item::Doc(Document::new(id, text)),
        Err(e) => bad(path, &format!("not UTF-8 text ({e})")),
    }
}

/// One document per non-blank line of a JSONL stream.
fn jsonl_items(name: String, reader: impl BufRead + 'static) -> impl Iterator<Item = Item> {
    raw_lines(reader, usize::MAX).map(move |(lineno, bytes)| {
        bytes
            .and_then(|b| parse_line(&b))
            .map(Item::Doc)
            .unwrap_or_else(|(id, e)| Item::Bad { id, error: format!("{name}:{lineno}: {e}") })
    })
}

/// The non-blank lines of a JSONL stream, read lazily, with their 1-based line
/// numbers; a UTF-8 byte-order mark before the first line is dropped. A line
/// longer than `max_line` bytes is skipped (never held in memory whole) and
/// reported as an error; a read error ends the stream after one error item.
pub(crate) fn raw_lines(
    mut reader: impl BufRead,
    max_line: usize,
) -> impl Iterator<Item = (usize, Result<Vec<u8>, (Value, String)>)> {
    let mut lineno = 0usize;
    let mut failed = false;
    std::iter::from_fn(move || loop {
        if failed {
            return None;
        }
        lineno += 1;
        let mut buf = Vec::new();
        let limit = max_line.saturating_add(1) as u64;
        match (&mut reader).take(limit).read_until(b'\n', &mut buf) {
            Ok(0) => return None,
            Ok(_) => {}
            Err(e) => {
                failed = true;
                return Some((lineno, Err((Value::Null, format!("read error: {e}")))));
            }
        }
        if buf.len() > max_line && buf.last() != Some(&b'\n') {
            let skipped = match skip_line(&mut reader) {
                Ok(n) => n,
                Err(e) => {
                    failed = true;
                    return Some((lineno, Err((Value::Null, format!("read error: {e}")))));
                }
            };
            let size = buf.len() + skipped;
            return Some((
                lineno,
                Err((Value::Null, format!("record over the size limit ({size} bytes, limit {max_line})"))),
            ));
        }
        if lineno == 1 && buf.starts_with(BOM) {
            buf.drain(..BOM.len());
        }
        if std::str::from_utf8(&buf).is_ok_and(|s| s.trim().is_empty()) {
            continue;
        }
        return Some((lineno, Ok(buf)));
    })
}

/// The UTF-8 byte-order mark, which some tools write at the start of a text file.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// Consumes the rest of the current line; returns the number of bytes skipped.
fn skip_line(reader: &mut impl BufRead) -> std::io::Result<usize> {
    let mut n = 0;
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            return Ok(n);
        }
        match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => {
                reader.consume(i + 1);
                return Ok(n + i + 1);
            }
            None => {
                let len = chunk.len();
                reader.consume(len);
                n += len;
            }
        }
    }
}

/// One JSONL line as a [`Document`], or the record's id (when it can be
/// recovered) and the reason it cannot be read.
pub(crate) fn parse_line(bytes: &[u8]) -> Result<Document, (Value, String)> {
    match std::str::from_utf8(bytes) {
        Ok(s) => parse_record(s.trim()),
        Err(e) => {
            // Report the id too when the rest of the record parses.
            let lossy = String::from_utf8_lossy(bytes);
            let id = serde_json::from_str::<Value>(lossy.trim())
                .ok()
                .and_then(|v| v.get("id").cloned())
                .map(|id| match id {
                    Value::Number(n) => Value::String(n.to_string()),
                    v => v,
                })
                .unwrap_or(Value::Null);
            Err((id, format!("not UTF-8 ({e})")))
        }
    }
}

/// Opens a JSONL file, decompressing `.gz` (gzip) and `.zst` (zstd) by extension.
pub(crate) fn open_jsonl(path: &Path, file: impl Read + Send + 'static) -> std::io::Result<Box<dyn BufRead + Send>> {
    const CAP: usize = 256 * 1024;
    Ok(match path.extension().and_then(|x| x.to_str()) {
        Some("gz") => Box::new(BufReader::with_capacity(CAP, flate2::read::MultiGzDecoder::new(file))),
        Some("zst") => Box::new(BufReader::with_capacity(CAP, zstd::stream::read::Decoder::new(file)?)),
        _ => Box::new(BufReader::with_capacity(CAP, file)),
    })
}

/// A JSONL record as a [`Document`]; a numeric id is taken as its string.
fn parse_record(line: &str) -> Result<Document, (Value, String)> {
    let mut v: Value = serde_json::from_str(line).map_err(|e| (Value::Null, format!("invalid JSON: {e}")))?;
    let Some(obj) = v.as_object_mut() else {
        return Err((Value::Null, "not a JSON object".into()));
    };
    if let Some(Value::Number(n)) = obj.get("id") {
        let s = n.to_string();
        obj.insert("id".into(), Value::String(s));
    }
    let id = obj.get("id").cloned().unwrap_or(Value::Null);
    match obj.get("text") {
        None | Some(Value::Null) => return Err((id, "missing field `text`".into())),
        Some(Value::String(_)) => {}
        Some(_) => return Err((id, "field `text` is not a string".into())),
    }
    serde_json::from_value::<Document>(v).map_err(|e| (id, format!("bad record: {e}")))
}
