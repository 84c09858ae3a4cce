//! Parquet in and out: documents read from a table, row group by row group, and the two output
//! tables of a shard (documents and quotes).

use super::{quote_rows, Payload, Raw};
use anyhow::Context;
use arrow_array::builder::{ArrayBuilder, Float32Builder, Int64Builder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::temporal_conversions::{as_datetime, date32_to_datetime, date64_to_datetime};
use arrow_array::types::{
    Int16Type, Int32Type, Int64Type, Int8Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::arrow_reader::{ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{ChunkReader, Length};
use quotestance::{Annotated, Document, QuoteKind};
use serde_json::Value;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// The input columns read into a [`Document`]; `id` and `text` are required.
const INPUT_COLUMNS: [&str; 6] = ["id", "text", "title", "url", "date", "source"];

/// A row group is written out once its encoded size reaches this (bounds the writer's memory).
const ROW_GROUP_BYTES: usize = 64 * 1024 * 1024;

/// Reads the documents of a Parquet file, `batch_size` rows at a time, into `push`.
///
/// Every row yields one record (`pos` is the 1-based row number). A row that cannot be a
/// document (null or non-UTF-8 `text`, null `id`, a cell of an unusable type) is an error record;
/// so is every row of a file whose schema lacks `id` or `text` or has a column of an unusable
/// type, and every row from a read error on (with that error). A file that is not Parquet at all
/// yields one error record. A panic of the Parquet decoder (it panics on some malformed files
/// rather than failing) counts as a read error, so one bad file never ends the run.
pub(crate) fn read(
    path: &Path,
    batch_size: usize,
    push: &mut dyn FnMut(Raw) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let builder = match open(file) {
        Ok(b) => b,
        Err(e) => {
            return push(Raw { pos: 1, item: Err((Value::Null, format!("not a readable Parquet file: {e}"))) });
        }
    };
    let rows = num_rows(&builder);
    let fail_rows = |from: u64, reason: &str, push: &mut dyn FnMut(Raw) -> anyhow::Result<()>| {
        (from..=rows).try_for_each(|pos| push(Raw { pos, item: Err((Value::Null, reason.to_string())) }))
    };
    let schema = builder.schema().clone();
    let mut roots = Vec::new();
    let mut problems = Vec::new();
    for name in INPUT_COLUMNS {
        match schema.index_of(name) {
            Ok(i) => match usable(name, schema.field(i).data_type()) {
                true => roots.push(i),
                false => problems.push(format!("column `{name}` is {}", schema.field(i).data_type())),
            },
            Err(_) if name == "id" || name == "text" => problems.push(format!("no `{name}` column")),
            Err(_) => {}
        }
    }
    if !problems.is_empty() {
        return fail_rows(1, &format!("unusable Parquet schema: {}", problems.join("; ")), push);
    }
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    let built = guarded(|| builder.with_projection(mask).with_batch_size(batch_size).build());
    let mut reader = match built.and_then(|r| r.map_err(|e| e.to_string())) {
        Ok(r) => r,
        Err(e) => return fail_rows(1, &format!("read error: {e}"), push),
    };
    let mut pos = 0u64;
    loop {
        let batch = match guarded(|| reader.next()) {
            Ok(None) => break,
            Ok(Some(Ok(b))) => b,
            Ok(Some(Err(e))) => return fail_rows(pos + 1, &format!("read error: {e}"), push),
            Err(e) => return fail_rows(pos + 1, &format!("read error: {e}"), push),
        };
        let column = |name: &str| batch.column_by_name(name);
        let (id, text) = (column("id").expect("checked above"), column("text").expect("checked above"));
        let optional = ["title", "url", "date", "source"].map(column);
        for row in 0..batch.num_rows() {
            pos += 1;
            push(Raw { pos, item: document(id, text, &optional, row).map(Payload::Doc) })?;
        }
    }
    if pos < rows {
        return fail_rows(pos + 1, "read error: the file has fewer rows than its metadata says", push);
    }
    Ok(())
}

/// The records [`read`] gives for a file, without reading them: its rows, from its metadata, or
/// one (an error record) for a file that is not Parquet.
pub(crate) fn records(path: &Path) -> u64 {
    File::open(path).map_err(|e| e.to_string()).and_then(open).map_or(1, |b| num_rows(&b))
}

/// The file's metadata and schema, or why it is not a readable Parquet file.
fn open(file: File) -> Result<ParquetRecordBatchReaderBuilder<InputFile>, String> {
    // Types from the Parquet schema itself (strings are Utf8 or Binary, never dictionaries).
    let options = ArrowReaderOptions::new().with_skip_arrow_metadata(true);
    let opened = guarded(|| ParquetRecordBatchReaderBuilder::try_new_with_options(InputFile(file), options));
    opened.and_then(|b| b.map_err(|e| e.to_string()))
}

fn num_rows(builder: &ParquetRecordBatchReaderBuilder<InputFile>) -> u64 {
    builder.metadata().file_metadata().num_rows().max(0) as u64
}

/// A Parquet input file whose readers fail once asked again and again for bytes past its end.
///
/// parquet 60.1's Thrift decoder skips a field it does not know by copying its bytes, and does not
/// notice when the file ends first: a page header declaring a long list near the end of a
/// 500-byte file makes it read past the end once per element (8 s for the fuzzer's find, in
/// `fuzz/regressions/parquet_reader/`; a list may declare 2^31). The decoder reads a valid file
/// within its column chunks, never past the end, so a reader that fails on the [`PAST_END`]th
/// read there stops that at once (as a read error).
struct InputFile(File);

/// Reads past the end of an [`InputFile`] that one of its readers allows before failing.
const PAST_END: u32 = 16;

impl Length for InputFile {
    fn len(&self) -> u64 {
        Length::len(&self.0)
    }
}

impl ChunkReader for InputFile {
    type T = EndGuard<BufReader<File>>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        Ok(EndGuard { inner: self.0.get_read(start)?, past_end: 0 })
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<bytes::Bytes> {
        self.0.get_bytes(start, length)
    }
}

/// A reader that fails on its [`PAST_END`]th read at the end of its input.
struct EndGuard<R> {
    inner: R,
    past_end: u32,
}

impl<R: Read> Read for EndGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.past_end += 1;
            if self.past_end >= PAST_END {
                return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the file ends inside a page"));
            }
        }
        Ok(n)
    }
}

/// Runs a step of the Parquet decoder, which panics on some malformed files (an assertion on a
/// column chunk's byte range, a division by zero, a bitmap out of bounds in parquet and arrow
/// 60.1; an overflow where overflow checks are on): the panic, caught, becomes an error.
fn guarded<T>(step: impl FnOnce() -> T) -> Result<T, String> {
    let outer = GUARDED.replace(true);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(step));
    GUARDED.set(outer);
    result.map_err(|p| {
        let msg = p.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| p.downcast_ref::<String>().cloned());
        format!("the Parquet decoder panicked ({})", msg.unwrap_or_default())
    })
}

thread_local! {
    /// Whether this thread runs a step under [`guarded`].
    static GUARDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this thread runs a decoder step whose panic [`guarded`] catches. For the fuzz
/// harness, whose panic hook aborts on every panic, even a caught one: it lets these unwind
/// (`crate::fuzz::let_guarded_panics_unwind`).
pub(crate) fn in_guarded_step() -> bool {
    GUARDED.get()
}

/// Whether column `name` can be read from this type.
fn usable(name: &str, t: &DataType) -> bool {
    let string = matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View);
    let binary = matches!(t, DataType::Binary | DataType::LargeBinary | DataType::BinaryView);
    match name {
        "id" => string || binary || t.is_integer(),
        "text" => string || binary,
        "date" => string || matches!(t, DataType::Date32 | DataType::Date64 | DataType::Timestamp(..)),
        _ => string,
    }
}

/// One row as a document, or its id (when known) and why it cannot be one.
fn document(
    id: &ArrayRef,
    text: &ArrayRef,
    optional: &[Option<&ArrayRef>; 4],
    row: usize,
) -> Result<Document, (Value, String)> {
    let id = match cell(id, row) {
        None => return Err((Value::Null, "null `id`".into())),
        Some(Err(e)) => return Err((Value::Null, format!("`id` {e}"))),
        Some(Ok(id)) => id,
    };
    let fail = |e: String| (Value::String(id.clone()), e);
    let text = match cell(text, row) {
        None => return Err(fail("missing text (`text` is null)".into())),
        Some(r) => r.map_err(fail)?,
    };
    let mut fields = [None, None, None, None];
    for ((slot, col), name) in fields.iter_mut().zip(optional).zip(["title", "url", "date", "source"]) {
        if let Some(col) = col {
            *slot = cell(col, row).transpose().map_err(|e| fail(format!("`{name}` {e}")))?;
        }
    }
    let [title, url, date, source] = fields;
    Ok(Document { id, text, title, url, date, source })
}

/// The cell as a string: `None` when null, `Err` when it cannot be one (bytes not UTF-8, a date
/// out of range).
fn cell(a: &ArrayRef, row: usize) -> Option<Result<String, String>> {
    if a.is_null(row) {
        return None;
    }
    let utf8 = |b: &[u8]| std::str::from_utf8(b).map(str::to_string).map_err(|e| format!("not UTF-8 ({e})"));
    let int = |v: Option<i128>| v.map(|v| v.to_string()).ok_or_else(|| "unreadable integer".to_string());
    let time = |t: Option<String>| t.ok_or_else(|| "date out of range".to_string());
    let stamp = |t: Option<chrono::NaiveDateTime>, tz: bool| {
        time(t.map(|t| format!("{}{}", t.format("%Y-%m-%dT%H:%M:%S%.f"), if tz { "Z" } else { "" })))
    };
    Some(match a.data_type() {
        DataType::Utf8 => Ok(a.as_string::<i32>().value(row).to_string()),
        DataType::LargeUtf8 => Ok(a.as_string::<i64>().value(row).to_string()),
        DataType::Utf8View => Ok(a.as_string_view().value(row).to_string()),
        DataType::Binary => utf8(a.as_binary::<i32>().value(row)),
        DataType::LargeBinary => utf8(a.as_binary::<i64>().value(row)),
        DataType::BinaryView => utf8(a.as_binary_view().value(row)),
        DataType::Int8 => int(Some(a.as_primitive::<Int8Type>().value(row).into())),
        DataType::Int16 => int(Some(a.as_primitive::<Int16Type>().value(row).into())),
        DataType::Int32 => int(Some(a.as_primitive::<Int32Type>().value(row).into())),
        DataType::Int64 => int(Some(a.as_primitive::<Int64Type>().value(row).into())),
        DataType::UInt8 => int(Some(a.as_primitive::<UInt8Type>().value(row).into())),
        DataType::UInt16 => int(Some(a.as_primitive::<UInt16Type>().value(row).into())),
        DataType::UInt32 => int(Some(a.as_primitive::<UInt32Type>().value(row).into())),
        DataType::UInt64 => int(Some(a.as_primitive::<UInt64Type>().value(row).into())),
        DataType::Date32 => time(
            date32_to_datetime(a.as_primitive::<arrow_array::types::Date32Type>().value(row))
                .map(|d| d.format("%Y-%m-%d").to_string()),
        ),
        DataType::Date64 => time(
            date64_to_datetime(a.as_primitive::<arrow_array::types::Date64Type>().value(row))
                .map(|d| d.format("%Y-%m-%d").to_string()),
        ),
        DataType::Timestamp(unit, tz) => {
            let t = match unit {
                TimeUnit::Second => {
                    as_datetime::<TimestampSecondType>(a.as_primitive::<TimestampSecondType>().value(row))
                }
                TimeUnit::Millisecond => {
                    as_datetime::<TimestampMillisecondType>(a.as_primitive::<TimestampMillisecondType>().value(row))
                }
                TimeUnit::Microsecond => {
                    as_datetime::<TimestampMicrosecondType>(a.as_primitive::<TimestampMicrosecondType>().value(row))
                }
                TimeUnit::Nanosecond => {
                    as_datetime::<TimestampNanosecondType>(a.as_primitive::<TimestampNanosecondType>().value(row))
                }
            };
            stamp(t, tz.is_some())
        }
        t => Err(format!("is {t}")),
    })
}

/// One row of a documents table, made on a worker.
pub(super) struct DocRow {
    pub id: Option<String>,
    pub error: Option<String>,
    /// The `Annotated` record as JSON (the JSONL documents line).
    pub record: Option<String>,
    pub annotated: Option<Annotated>,
}

/// The documents table: one row per input record.
pub(super) fn documents_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let s = |name: &str| Field::new(name, DataType::Utf8, true);
            let i = |name: &str| Field::new(name, DataType::Int64, true);
            Arc::new(Schema::new(vec![
                s("id"),
                Field::new("source_file", DataType::Utf8, false),
                Field::new("line", DataType::Int64, false),
                s("error"),
                s("title"),
                s("url"),
                s("date"),
                s("source"),
                i("chars"),
                i("n_quotes"),
                i("n_people"),
                i("n_resignation_calls"),
                s("record"),
            ]))
        })
        .clone()
}

/// The quotes table: [`super::QuoteRow`]'s columns, typed as Python's `quotestance.quotes_schema()`
/// (strings, int64, float32; every column nullable).
pub(super) fn quotes_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let columns = [
                ("doc_id", DataType::Utf8),
                ("quote", DataType::Int64),
                ("start", DataType::Int64),
                ("end", DataType::Int64),
                ("kind", DataType::Utf8),
                ("text", DataType::Utf8),
                ("speaker", DataType::Utf8),
                ("speaker_person", DataType::Int64),
                ("stance", DataType::Utf8),
                ("stance_score", DataType::Float32),
                ("score_call_to_resign", DataType::Float32),
                ("score_defence", DataType::Float32),
                ("score_rebuttal", DataType::Float32),
                ("score_other", DataType::Float32),
                ("target", DataType::Utf8),
            ];
            Arc::new(Schema::new(columns.map(|(name, t)| Field::new(name, t, true)).to_vec()))
        })
        .clone()
}

fn kind_str(k: QuoteKind) -> &'static str {
    match k {
        QuoteKind::Direct => "direct",
        QuoteKind::Indirect => "indirect",
        QuoteKind::Mixed => "mixed",
    }
}

/// The documents and quotes tables of one shard, written to its temporary files a record batch
/// per chunk.
pub(super) struct ShardWriter {
    docs: ArrowWriter<File>,
    quotes: ArrowWriter<File>,
    source_file: String,
    d: DocColumns,
    q: QuoteColumns,
}

#[derive(Default)]
struct DocColumns {
    id: StringBuilder,
    source_file: StringBuilder,
    line: Int64Builder,
    error: StringBuilder,
    title: StringBuilder,
    url: StringBuilder,
    date: StringBuilder,
    source: StringBuilder,
    chars: Int64Builder,
    n_quotes: Int64Builder,
    n_people: Int64Builder,
    n_calls: Int64Builder,
    record: StringBuilder,
}

#[derive(Default)]
struct QuoteColumns {
    doc_id: StringBuilder,
    quote: Int64Builder,
    start: Int64Builder,
    end: Int64Builder,
    kind: StringBuilder,
    text: StringBuilder,
    speaker: StringBuilder,
    speaker_person: Int64Builder,
    stance: StringBuilder,
    stance_score: Float32Builder,
    call_to_resign: Float32Builder,
    defence: Float32Builder,
    rebuttal: Float32Builder,
    other: Float32Builder,
    target: StringBuilder,
    rows: usize,
}

fn count(n: usize) -> Option<i64> {
    Some(n as i64)
}

impl ShardWriter {
    pub(super) fn new(docs: File, quotes: File, source_file: &str) -> anyhow::Result<ShardWriter> {
        let props = || {
            WriterProperties::builder()
                .set_compression(Compression::ZSTD(ZstdLevel::default()))
                .set_max_row_group_bytes(Some(ROW_GROUP_BYTES))
                .build()
        };
        Ok(ShardWriter {
            docs: ArrowWriter::try_new(docs, documents_schema(), Some(props())).context("cannot start a shard")?,
            quotes: ArrowWriter::try_new(quotes, quotes_schema(), Some(props())).context("cannot start a shard")?,
            source_file: source_file.to_string(),
            d: DocColumns::default(),
            q: QuoteColumns::default(),
        })
    }

    /// Adds one record's rows (`line`: its position in the input).
    pub(super) fn push(&mut self, line: u64, row: &DocRow) {
        let (d, q) = (&mut self.d, &mut self.q);
        let a = row.annotated.as_ref();
        d.id.append_option(row.id.as_deref());
        d.source_file.append_value(&self.source_file);
        d.line.append_value(line as i64);
        d.error.append_option(row.error.as_deref());
        d.title.append_option(a.and_then(|a| a.title.as_deref()));
        d.url.append_option(a.and_then(|a| a.url.as_deref()));
        d.date.append_option(a.and_then(|a| a.date.as_deref()));
        d.source.append_option(a.and_then(|a| a.source.as_deref()));
        d.chars.append_option(a.and_then(|a| count(a.chars)));
        d.n_quotes.append_option(a.and_then(|a| count(a.quotes.len())));
        d.n_people.append_option(a.and_then(|a| count(a.people.len())));
        d.n_calls.append_option(a.and_then(|a| count(a.resignation_calls.len())));
        d.record.append_option(row.record.as_deref());
        for r in a.into_iter().flat_map(quote_rows) {
            q.doc_id.append_value(r.doc_id);
            q.quote.append_value(r.quote as i64);
            q.start.append_value(r.start as i64);
            q.end.append_value(r.end as i64);
            q.kind.append_value(kind_str(r.kind));
            q.text.append_value(r.text);
            q.speaker.append_option(r.speaker);
            q.speaker_person.append_option(r.speaker_person.map(|p| p as i64));
            q.stance.append_value(r.stance.as_str());
            q.stance_score.append_value(r.stance_score);
            q.call_to_resign.append_value(r.score_call_to_resign);
            q.defence.append_value(r.score_defence);
            q.rebuttal.append_value(r.score_rebuttal);
            q.other.append_value(r.score_other);
            q.target.append_option(r.target);
            q.rows += 1;
        }
    }

    /// Writes the rows added since the last call as one record batch per table.
    pub(super) fn write_batches(&mut self) -> anyhow::Result<()> {
        let d = &mut self.d;
        if !d.line.is_empty() {
            let columns: Vec<ArrayRef> = vec![
                Arc::new(d.id.finish()),
                Arc::new(d.source_file.finish()),
                Arc::new(d.line.finish()),
                Arc::new(d.error.finish()),
                Arc::new(d.title.finish()),
                Arc::new(d.url.finish()),
                Arc::new(d.date.finish()),
                Arc::new(d.source.finish()),
                Arc::new(d.chars.finish()),
                Arc::new(d.n_quotes.finish()),
                Arc::new(d.n_people.finish()),
                Arc::new(d.n_calls.finish()),
                Arc::new(d.record.finish()),
            ];
            let batch = RecordBatch::try_new(documents_schema(), columns).context("cannot build a documents batch")?;
            self.docs.write(&batch).context("cannot write a documents shard")?;
        }
        let q = &mut self.q;
        if q.rows > 0 {
            let columns: Vec<ArrayRef> = vec![
                Arc::new(q.doc_id.finish()),
                Arc::new(q.quote.finish()),
                Arc::new(q.start.finish()),
                Arc::new(q.end.finish()),
                Arc::new(q.kind.finish()),
                Arc::new(q.text.finish()),
                Arc::new(q.speaker.finish()),
                Arc::new(q.speaker_person.finish()),
                Arc::new(q.stance.finish()),
                Arc::new(q.stance_score.finish()),
                Arc::new(q.call_to_resign.finish()),
                Arc::new(q.defence.finish()),
                Arc::new(q.rebuttal.finish()),
                Arc::new(q.other.finish()),
                Arc::new(q.target.finish()),
            ];
            q.rows = 0;
            let batch = RecordBatch::try_new(quotes_schema(), columns).context("cannot build a quotes batch")?;
            self.quotes.write(&batch).context("cannot write a quotes shard")?;
        }
        Ok(())
    }

    /// Writes the rest and the footers; returns the two files, not yet synced.
    pub(super) fn finish(mut self) -> anyhow::Result<[File; 2]> {
        self.write_batches()?;
        let docs = self.docs.into_inner().context("cannot finish a documents shard")?;
        let quotes = self.quotes.into_inner().context("cannot finish a quotes shard")?;
        Ok([docs, quotes])
    }
}
