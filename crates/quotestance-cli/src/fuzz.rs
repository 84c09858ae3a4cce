//! Fuzz entry points: one function per cargo-fuzz target under `fuzz/`, each taking arbitrary
//! bytes. The fuzz targets call them, and so does the corpus replay test
//! (`tests/fuzz_replay.rs`, on stable, without cargo-fuzz), so the replay checks exactly what is
//! fuzzed.
//!
//! Each function panics when it finds a bug: a panic in the code under test, a span that is not
//! a slice of the text, records out of order, or a panic the code itself caught and turned into
//! an error row (`internal error (panic)`), which would otherwise hide it from the fuzzer.

use crate::batch::{parquet_io, warc_io, Payload, Raw};
use crate::label::{open_jsonl, parse_line, raw_lines};
use quotestance::{Annotated, Config, Document, Pipeline};
use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// A fuzz target: runs one input, panics on a bug.
pub type Target = fn(&[u8]);

/// The targets, by name (the names of `fuzz/fuzz_targets/*.rs` and of the corpus folders).
pub const TARGETS: &[(&str, Target)] = &[
    ("annotate_rules", annotate_rules),
    ("annotate_models", annotate_models),
    ("jsonl_reader", jsonl_reader),
    ("parquet_reader", parquet_reader),
    ("warc_reader", warc_reader),
    ("html_extract", html_extract),
];

/// Records a reader may yield for one input before the harness stops it (a small Parquet file
/// can declare billions of rows, each an error record): bounds the time and memory per input.
const MAX_RECORDS: usize = 10_000;

/// What the error of a panic caught by the code under test starts with.
const CAUGHT_PANIC: &str = "internal error (panic)";

/// `Pipeline::rules().annotate` on the bytes as (lossy) UTF-8: never fails under the size limit,
/// never panics, and every span it emits is a valid slice of the text.
pub fn annotate_rules(data: &[u8]) {
    static NLP: OnceLock<Pipeline> = OnceLock::new();
    annotate_with(NLP.get_or_init(Pipeline::rules), data);
}

/// As [`annotate_rules`], with the transformer heads (`--models`), on inputs of at most
/// [`MODELS_MAX_LEN`] bytes (longer ones are ignored: an encoder pass is slow). Does nothing when
/// the models are not installed (see `quotestance::models`), or when `QUOTESTANCE_FUZZ_MODELS`
/// is `0`.
pub fn annotate_models(data: &[u8]) {
    static NLP: OnceLock<Option<Pipeline>> = OnceLock::new();
    if data.len() > MODELS_MAX_LEN {
        return;
    }
    if let Some(nlp) = NLP.get_or_init(models_pipeline) {
        annotate_with(nlp, data);
    }
}

/// Longest input [`annotate_models`] labels.
pub const MODELS_MAX_LEN: usize = 512;

/// The pipeline with the models, one thread; `None` when they are not installed.
pub fn models_pipeline() -> Option<Pipeline> {
    if std::env::var_os("QUOTESTANCE_FUZZ_MODELS").is_some_and(|v| v == "0") {
        return None;
    }
    let dir = quotestance::models::resolve_models_dir(None);
    if !quotestance::models::encoder_present(&dir) {
        return None;
    }
    let config = Config { use_models: true, threads: 1, ..Config::default() };
    Some(Pipeline::new(config).expect("the installed models load"))
}

fn annotate_with(nlp: &Pipeline, data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if text.len() > nlp.config().max_bytes {
        return;
    }
    let doc = Document::new("f", text.as_ref());
    let a = nlp.annotate(&doc).unwrap_or_else(|e| panic!("annotate failed under the size limit: {e}"));
    check_spans(&text, &a);
}

/// Panics, naming the span, unless every span of `a` is a valid slice of `text`
/// ([`quotestance::check::check_spans`]).
pub fn check_spans(text: &str, a: &Annotated) {
    if let Err(problem) = quotestance::check::check_spans(text, a) {
        panic!("{problem}");
    }
}

/// Most decompressed bytes [`jsonl_reader`] reads (a small gzip or zstd input can expand a
/// thousandfold and more); this also bounds its records.
const JSONL_MAX_BYTES: u64 = 1 << 20;
/// The line limit of the second pass of [`jsonl_reader`], small so that long lines are skipped.
const JSONL_SMALL_LINE: usize = 64;

/// The JSONL reader of `label` and `batch` (`open_jsonl`, `raw_lines`, `parse_line`) on the bytes
/// as a file: gzip or zstd when they start with its magic number, else plain. Read twice, with no
/// line limit (as `label` reads) and with a small one (as `batch` reads, skipping long lines):
/// line numbers increase, no record is blank, and both passes agree on every line the small
/// limit lets through.
pub fn jsonl_reader(data: &[u8]) {
    let name = match data {
        [0x1f, 0x8b, ..] => "f.jsonl.gz",
        [0x28, 0xb5, 0x2f, 0xfd, ..] => "f.jsonl.zst",
        _ => "f.jsonl",
    };
    let lines = |max_line: usize| -> BTreeMap<usize, Result<Vec<u8>, String>> {
        let Ok(reader) = open_jsonl(Path::new(name), Cursor::new(data.to_vec())) else {
            return BTreeMap::new(); // a zstd decoder that cannot start
        };
        let mut out = BTreeMap::new();
        let mut last = 0;
        for (lineno, item) in raw_lines(reader.take(JSONL_MAX_BYTES), max_line) {
            assert!(lineno > last, "line {lineno} after line {last}");
            last = lineno;
            if let Ok(bytes) = &item {
                assert!(bytes.len() <= max_line.saturating_add(1), "line {lineno}: {} bytes", bytes.len());
                let blank = std::str::from_utf8(bytes).is_ok_and(|s| s.trim().is_empty());
                assert!(!blank, "line {lineno} is blank, yet a record");
                // the record as `batch` and `label` parse it
                if let Ok(doc) = parse_line(bytes) {
                    assert!(serde_json::to_string(&doc).is_ok(), "line {lineno}: the document serialises");
                }
            }
            out.insert(lineno, item.map_err(|(_, e)| e));
        }
        out
    };
    let whole = lines(usize::MAX);
    let small = lines(JSONL_SMALL_LINE);
    for (lineno, item) in &small {
        if let Ok(bytes) = item {
            assert_eq!(whole.get(lineno), Some(&Ok(bytes.clone())), "line {lineno}: the passes disagree");
        }
    }
    for (lineno, item) in &whole {
        // a byte-order mark (3 bytes) may have been dropped from line 1
        if let Some(bytes) = item.as_ref().ok().filter(|b| b.len() + 3 <= JSONL_SMALL_LINE) {
            assert_eq!(small.get(lineno), Some(&Ok(bytes.clone())), "line {lineno}: the passes disagree");
        }
    }
}

/// Rows per record batch in [`parquet_reader`] (small, so that a file spans several).
const PARQUET_BATCH: usize = 5;

/// The Parquet reader of `batch` on the bytes as a file: one record per row, numbered 1, 2, 3 ...
/// without a gap, and no error but the harness's own stop after [`MAX_RECORDS`]. The reader turns
/// a panic of the Parquet decoder into error records; under libFuzzer, see
/// [`let_guarded_panics_unwind`].
pub fn parquet_reader(data: &[u8]) {
    let file = TempFile::new("parquet", data);
    let mut next = 1u64;
    let mut push = |raw: Raw| -> anyhow::Result<()> {
        assert_eq!(raw.pos, next, "row {} where row {next} was due", raw.pos);
        next += 1;
        if let Ok(Payload::Doc(d)) = &raw.item {
            assert!(serde_json::to_string(d).is_ok(), "row {}: the document serialises", raw.pos);
        }
        if next as usize > MAX_RECORDS {
            anyhow::bail!(StopHarness);
        }
        Ok(())
    };
    let result = parquet_io::read(&file.0, PARQUET_BATCH, &mut push);
    if let Err(e) = result {
        assert!(e.is::<StopHarness>(), "the reader failed: {e:#}");
    }
}

/// Most bytes of a WARC record in [`warc_reader`] (the record size limit).
const WARC_MAX_RECORD: usize = 256 * 1024;

/// The WARC reader of `batch` on the bytes as a file (gzip when they start with its magic
/// number), and the worker's step on each response record (HTTP, decompression, charset, article
/// extraction): positions increase, and nothing panics, not even inside the extractor's
/// `catch_unwind`.
pub fn warc_reader(data: &[u8]) {
    let gzip = data.starts_with(&[0x1f, 0x8b]);
    let mut last = 0u64;
    let mut records = 0usize;
    let mut push = |raw: Raw| -> anyhow::Result<()> {
        assert!(raw.pos > last, "record {} after record {last}", raw.pos);
        last = raw.pos;
        if let Ok(Payload::Http(r)) = &raw.item {
            assert!(r.block.len() <= WARC_MAX_RECORD, "record {}: a block over the limit", raw.pos);
            match warc_io::document(r) {
                Ok(doc) => {
                    assert_eq!(Some(&doc.id), r.id.as_ref(), "record {}: the id", raw.pos);
                    assert!(!doc.text.trim().is_empty(), "record {}: an empty article", raw.pos);
                }
                Err((_, e)) => assert!(!e.starts_with(CAUGHT_PANIC), "record {}: {e}", raw.pos),
            }
        }
        records += 1;
        if records >= MAX_RECORDS {
            anyhow::bail!(StopHarness);
        }
        Ok(())
    };
    if let Err(e) = warc_io::read(Cursor::new(data), gzip, WARC_MAX_RECORD, &mut push) {
        assert!(e.is::<StopHarness>(), "the reader failed: {e:#}");
    }
}

/// The URL [`html_extract`] gives the extractor (as a WARC record's `WARC-Target-URI`).
const PAGE_URL: &str = "https://news.example/2024/05/council-leader-resigns";

/// HTML to article text, as a WARC worker runs it: the bytes decoded by their byte-order mark or
/// `<meta>` charset (else as lossy UTF-8), then the article extracted: its text is trimmed and
/// not empty, and nothing panics.
pub fn html_extract(data: &[u8]) {
    let html = warc_io::decode(data, None).unwrap_or_else(|_| String::from_utf8_lossy(data).into_owned());
    let url = data.len().is_multiple_of(2).then_some(PAGE_URL);
    if let Ok(article) = warc_io::extract(&html, url) {
        assert!(!article.text.is_empty(), "an empty article");
        assert_eq!(article.text.trim(), article.text, "article text not trimmed");
        for field in [&article.title, &article.published, &article.site].into_iter().flatten() {
            assert!(!field.trim().is_empty(), "an empty metadata field");
        }
    }
}

/// For a libFuzzer target, whose panic hook aborts on every panic, even one the code catches:
/// lets a panic raised inside a step of the Parquet decoder that the reader guards (it turns the
/// panic into error records; see `parquet_io::in_guarded_step`) unwind, quietly, to that guard;
/// any other panic still aborts, with its message. Call it once, from the target's `init`.
pub fn let_guarded_panics_unwind() {
    let abort = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !parquet_io::in_guarded_step() {
            abort(info);
        }
    }));
}

/// The harness stopped a reader (see [`MAX_RECORDS`]).
#[derive(Debug)]
struct StopHarness;

impl std::fmt::Display for StopHarness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stopped by the fuzz harness")
    }
}

impl std::error::Error for StopHarness {}

/// A temporary file holding one input, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(ext: &str, data: &[u8]) -> TempFile {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("quotestance-fuzz-{}-{n}.{ext}", std::process::id());
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, data).expect("the temporary input can be written");
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
