//! `quotestance batch`: every record exactly once, in every input and output format; resuming
//! after a kill or Ctrl-C; one run per OUTDIR; where each row was read.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Int64Type};
use arrow_array::{Array, ArrayRef, BinaryArray, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_quotestance");

mod common;
use common::{p, TempDir};

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("the binary runs")
}

/// The shard files `{prefix}-NNNNN.{ext}` in OUTDIR, in shard order.
fn shard_files(out: &Path, prefix: &str, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_str().unwrap();
            n.starts_with(&format!("{prefix}-")) && n.ends_with(&format!(".{ext}"))
        })
        .collect();
    files.sort();
    files
}

/// The lines of every `{prefix}-NNNNN.jsonl` shard in OUTDIR, in shard order.
fn shard_lines(out: &Path, prefix: &str) -> Vec<String> {
    shard_files(out, prefix, "jsonl")
        .iter()
        .flat_map(|f| std::fs::read_to_string(f).unwrap().lines().map(String::from).collect::<Vec<_>>())
        .collect()
}

/// How many times each id occurs in the documents shards (documents and error rows).
fn id_counts(out: &Path) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for line in shard_lines(out, "documents") {
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("bad line {line:?}: {e}"));
        let key = match &v["id"] {
            Value::String(s) => s.clone(),
            _ => format!("{}:{}", v["source_file"].as_str().unwrap(), v["line"]),
        };
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

/// A documents row without where it was read (`source_file`, `line`): the `Annotated` record
/// (or the error row's id and reason).
fn without_place(line: &str) -> Value {
    let mut v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("bad line {line:?}: {e}"));
    let row = v.as_object_mut().unwrap();
    row.remove("source_file");
    row.remove("line");
    v
}

fn corpus_texts(n: usize) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/corpus/articles");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files.iter().take(n).map(|f| std::fs::read_to_string(f).unwrap()).collect()
}

#[test]
fn every_record_appears_exactly_once() {
    let tmp = TempDir::new("once");
    let texts = corpus_texts(5);
    let input = tmp.0.join("in");
    std::fs::create_dir_all(input.join("sub")).unwrap();
    // plain JSONL with bad records
    let mut plain = Vec::new();
    for (i, t) in texts.iter().enumerate() {
        writeln!(plain, "{}", serde_json::json!({"id": format!("p{i}"), "text": t})).unwrap();
    }
    plain.extend_from_slice(b"{not json\n\n");
    plain.extend_from_slice(b"{\"id\": \"latin1\", \"text\": \"caf\xe9\"}\n");
    writeln!(plain, "{}", serde_json::json!({"id": "empty", "text": "  \n "})).unwrap();
    writeln!(plain, "{}", serde_json::json!({"id": "notext", "title": "T"})).unwrap();
    writeln!(plain, "{}", serde_json::json!({"id": 7, "text": "A number id said hello."})).unwrap();
    std::fs::write(input.join("a.jsonl"), &plain).unwrap();
    // gzip in a sub-folder
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for (i, t) in texts.iter().enumerate() {
        writeln!(gz, "{}", serde_json::json!({"id": format!("g{i}"), "text": t})).unwrap();
    }
    std::fs::write(input.join("sub/b.jsonl.gz"), gz.finish().unwrap()).unwrap();
    // zstd, named directly
    let mut zs = Vec::new();
    for (i, t) in texts.iter().enumerate() {
        writeln!(zs, "{}", serde_json::json!({"id": format!("z{i}"), "text": t})).unwrap();
    }
    let zpath = tmp.0.join("c.jsonl.zst");
    std::fs::write(&zpath, zstd::encode_all(&zs[..], 1).unwrap()).unwrap();
    std::fs::write(input.join("ignored.md"), "not an input").unwrap();

    let out = tmp.0.join("out");
    let res =
        run(&["batch", "--rules-only", "--threads", "2", "--shard-size", "3", p(&input), p(&zpath), "-o", p(&out)]);
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(stderr.contains("errors 3"), "{stderr}");

    let counts = id_counts(&out);
    let mut expected: Vec<String> = (0..5).flat_map(|i| [format!("p{i}"), format!("g{i}"), format!("z{i}")]).collect();
    expected.extend(["latin1", "empty", "notext", "7"].map(String::from));
    expected.push(format!("{}:6", input.join("a.jsonl").display()));
    for id in &expected {
        assert_eq!(counts.get(id), Some(&1), "{id} in {counts:?}");
    }
    assert_eq!(counts.len(), expected.len(), "{counts:?}");

    // error rows say why; the good records are Annotated; order is input order
    let docs: Vec<Value> = shard_lines(&out, "documents").iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    let reason = |id: &str| docs.iter().find(|d| d["id"] == id).unwrap()["error"].as_str().unwrap().to_string();
    assert!(reason("latin1").contains("UTF-8"));
    let empty = docs.iter().find(|d| d["id"] == "empty").unwrap();
    assert!(empty.get("error").is_none() && empty["quotes"] == json!([]), "an empty text is a document: {empty}");
    assert!(reason("notext").contains("text"));
    let ids: Vec<&str> = docs.iter().filter_map(|d| d["id"].as_str()).collect();
    assert_eq!(&ids[..5], &["p0", "p1", "p2", "p3", "p4"]);
    assert_eq!(ids.last(), Some(&"z4"));
    let a: quotestance::Annotated = serde_json::from_value(docs[0].clone()).unwrap();
    assert_eq!(a.id, "p0");

    // quotes rows match the documents
    let quotes: Vec<Value> = shard_lines(&out, "quotes").iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    let n: usize = docs.iter().map(|d| d["quotes"].as_array().map_or(0, |q| q.len())).sum();
    assert_eq!(quotes.len(), n);
    assert!(n > 0);
    for key in ["doc_id", "start", "end", "kind", "text", "speaker", "speaker_person", "stance", "stance_score"] {
        assert!(quotes[0].get(key).is_some(), "{key} in {}", quotes[0]);
    }

    // the manifest covers every record once
    let manifest = std::fs::read_to_string(out.join("manifest.jsonl")).unwrap();
    let entries: Vec<Value> = manifest.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let covered: u64 =
        entries.iter().map(|e| e["end_record"].as_u64().unwrap() - e["first_record"].as_u64().unwrap()).sum();
    assert_eq!(covered as usize, docs.len());

    // re-running skips everything; --strict fails on the error rows
    let res = run(&["batch", "--rules-only", "--strict", "--shard-size", "3", p(&input), p(&zpath), "-o", p(&out)]);
    assert_eq!(res.status.code(), Some(0), "nothing new to label, no new errors");
    assert_eq!(id_counts(&out), counts);
    let out2 = tmp.0.join("out2");
    let res = run(&["batch", "--rules-only", "--strict", p(&input), "-o", p(&out2)]);
    assert_eq!(res.status.code(), Some(1), "{}", String::from_utf8_lossy(&res.stderr));
    // another shard size in the same OUTDIR is refused
    let res = run(&["batch", "--rules-only", "--shard-size", "4", p(&input), p(&zpath), "-o", p(&out)]);
    assert_eq!(res.status.code(), Some(2));
}

// --- Parquet ----------------------------------------------------------------------------------

/// A cell as JSON: strings, int64 and float32 (as the f64 of the f32), null.
fn cell(a: &ArrayRef, row: usize) -> Value {
    if a.is_null(row) {
        return Value::Null;
    }
    match a.data_type() {
        DataType::Utf8 => json!(a.as_string::<i32>().value(row)),
        DataType::Int64 => json!(a.as_primitive::<Int64Type>().value(row)),
        DataType::Float32 => json!(a.as_primitive::<Float32Type>().value(row) as f64),
        t => panic!("unexpected column type {t}"),
    }
}

/// The schema of a Parquet shard and all its rows as JSON objects.
fn parquet_file(path: &Path) -> (SchemaRef, Vec<Map<String, Value>>) {
    let builder = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).unwrap()).unwrap();
    let schema = builder.schema().clone();
    let mut rows = Vec::new();
    for batch in builder.build().unwrap() {
        let batch = batch.unwrap();
        for row in 0..batch.num_rows() {
            let names = batch.schema().fields().iter().map(|f| f.name().clone()).collect::<Vec<_>>();
            rows.push(names.into_iter().zip(batch.columns()).map(|(n, c)| (n, cell(c, row))).collect());
        }
    }
    (schema, rows)
}

/// Every row of the `{prefix}-NNNNN.parquet` shards, in shard order.
fn parquet_rows(out: &Path, prefix: &str) -> Vec<Map<String, Value>> {
    shard_files(out, prefix, "parquet").iter().flat_map(|f| parquet_file(f).1).collect()
}

/// A JSONL quotes row with its scores rounded to f32, as the Parquet table holds them.
fn as_f32(mut row: Map<String, Value>) -> Map<String, Value> {
    for (k, v) in row.iter_mut() {
        if k == "stance_score" || k.starts_with("score_") {
            *v = json!(v.as_f64().unwrap() as f32 as f64);
        }
    }
    row
}

fn jsonl_rows(out: &Path, prefix: &str) -> Vec<Map<String, Value>> {
    shard_lines(out, prefix).iter().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Writes a Parquet file of the given columns.
fn write_parquet(path: &Path, columns: Vec<(&str, ArrayRef)>) {
    let schema = Arc::new(Schema::new(
        columns.iter().map(|(n, a)| Field::new(*n, a.data_type().clone(), true)).collect::<Vec<_>>(),
    ));
    let batch = RecordBatch::try_new(schema.clone(), columns.into_iter().map(|(_, a)| a).collect()).unwrap();
    let mut w = ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

fn strings(v: &[Option<&str>]) -> ArrayRef {
    Arc::new(StringArray::from(v.to_vec()))
}

/// `QUOTE_COLUMNS` and `QUOTE_TYPES` of python/quotestance/_tables.py: the one quotes schema.
fn python_quotes_schema() -> Vec<(String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../python/quotestance/_tables.py");
    let src = std::fs::read_to_string(path).unwrap();
    let block = |name: &str, open: char, close: char| {
        let from = &src[src.find(&format!("{name} = {open}")).unwrap()..];
        from[from.find(open).unwrap() + 1..from.find(close).unwrap()].to_string()
    };
    let quoted = |s: &str| s.split('"').skip(1).step_by(2).map(String::from).collect::<Vec<_>>();
    let names = quoted(&block("QUOTE_COLUMNS", '[', ']'));
    let pairs = quoted(&block("QUOTE_TYPES", '{', '}'));
    let types: BTreeMap<String, String> = pairs.chunks(2).map(|kv| (kv[0].clone(), kv[1].clone())).collect();
    assert_eq!(types.len(), names.len());
    names.into_iter().map(|n| (n.clone(), types[&n].clone())).collect()
}

#[test]
fn parquet_in_and_out_give_the_labels_of_the_jsonl_path() {
    let tmp = TempDir::new("parquet");
    let texts = corpus_texts(12);
    let ids: Vec<String> = (0..texts.len()).map(|i| format!("q{i}")).collect();
    let title = |i: usize| format!("Title {i}");

    // JSONL input: the good records, plus an empty text
    let jsonl = tmp.0.join("in.jsonl");
    let mut lines = String::new();
    for (i, t) in texts.iter().enumerate() {
        lines.push_str(&format!("{}\n", json!({"id": ids[i], "text": t, "title": title(i)})));
    }
    lines.push_str(&format!("{}\n", json!({"id": "blank", "text": "   "})));
    std::fs::write(&jsonl, lines).unwrap();

    // The same records as Parquet, plus a null text and a null id
    let pq_dir = tmp.0.join("pq");
    std::fs::create_dir_all(pq_dir.join("sub")).unwrap();
    let mut id_col: Vec<Option<&str>> = ids.iter().map(|s| Some(s.as_str())).collect();
    let mut text_col: Vec<Option<&str>> = texts.iter().map(|s| Some(s.as_str())).collect();
    let titles: Vec<String> = (0..texts.len()).map(title).collect();
    let mut title_col: Vec<Option<&str>> = titles.iter().map(|s| Some(s.as_str())).collect();
    id_col.extend([Some("blank"), Some("nulltext"), None]);
    text_col.extend([Some("   "), None, Some("A text without an id said hello.")]);
    title_col.extend([None, None, None]);
    let good = pq_dir.join("a.parquet");
    write_parquet(&good, vec![("id", strings(&id_col)), ("text", strings(&text_col)), ("title", strings(&title_col))]);
    // text as bytes: one valid, one not UTF-8; integer ids
    let bin: ArrayRef =
        Arc::new(BinaryArray::from(vec![Some(&b"Cllr Ann Lee said it was fine."[..]), Some(&b"caf\xe9"[..])]));
    let int_ids: ArrayRef = Arc::new(arrow_array::Int64Array::from(vec![501, 502]));
    write_parquet(&pq_dir.join("sub/b.parquet"), vec![("id", int_ids), ("text", bin)]);
    // no text column: every row an error row
    write_parquet(&pq_dir.join("sub/c.parquet"), vec![("id", strings(&[Some("c1"), Some("c2")]))]);
    // not Parquet at all
    std::fs::write(pq_dir.join("sub/d.parquet"), b"PAR1 this is not a parquet file").unwrap();

    let batch = |inputs: &[&Path], format: &str, out: &Path| {
        let mut args = vec!["batch", "--rules-only", "--threads", "2", "--shard-size", "5", "--format", format];
        args.extend(inputs.iter().map(|i| p(i)));
        args.extend(["-o", p(out)]);
        let res = run(&args);
        assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
        String::from_utf8_lossy(&res.stderr).into_owned()
    };
    let ref_out = tmp.0.join("jsonl-jsonl");
    batch(&[&jsonl], "jsonl", &ref_out);
    let pq_out = tmp.0.join("parquet-jsonl");
    let stderr = batch(&[&pq_dir], "jsonl", &pq_out);
    assert!(stderr.contains("errors 6"), "{stderr}");
    let out_pq = tmp.0.join("jsonl-parquet");
    batch(&[&jsonl], "parquet", &out_pq);

    // Parquet in -> JSONL out: the same documents and quote rows as the JSONL path, read elsewhere
    let reference = shard_lines(&ref_out, "documents");
    let from_pq = shard_lines(&pq_out, "documents");
    let differ =
        (0..texts.len()).filter(|&i| without_place(&from_pq[i]) != without_place(&reference[i])).collect::<Vec<_>>();
    assert!(differ.is_empty(), "documents from Parquet differ from the JSONL path at {differ:?}");
    let (pq_quotes, ref_quotes) = (shard_lines(&pq_out, "quotes"), shard_lines(&ref_out, "quotes"));
    assert!(pq_quotes[..ref_quotes.len()] == ref_quotes[..], "quote rows from Parquet differ from the JSONL path");
    assert!(pq_quotes[ref_quotes.len()..].iter().all(|q| q.starts_with("{\"doc_id\":\"501\"")));
    let docs: Vec<Value> = from_pq.iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(docs[0]["title"], "Title 0");
    assert_eq!((docs[0]["source_file"].as_str(), &docs[1]["line"]), (Some(p(&good)), &json!(2)), "row 2 of a.parquet");
    let reason = |i: usize| docs[i]["error"].as_str().unwrap_or_else(|| panic!("no error in {}", docs[i])).to_string();
    let n = texts.len();
    assert!(docs[n].get("error").is_none() && docs[n]["id"] == "blank", "an empty text is a document: {}", docs[n]);
    assert_eq!((docs[n + 1]["id"].as_str(), reason(n + 1).contains("text")), (Some("nulltext"), true));
    assert_eq!((&docs[n + 2]["id"], reason(n + 2).as_str()), (&Value::Null, "null `id`"));
    assert_eq!(docs[n + 2]["line"], n + 3, "the 1-based row number");
    assert_eq!(docs[n + 3]["id"], "501");
    assert!(docs[n + 3]["quotes"].is_array(), "bytes that are UTF-8 are a text: {}", docs[n + 3]);
    assert!(reason(n + 4).starts_with("not UTF-8"), "{}", reason(n + 4));
    assert_eq!(docs[n + 4]["id"], "502");
    for i in [n + 5, n + 6] {
        assert!(reason(i).contains("no `text` column"), "{}", reason(i));
    }
    assert!(reason(n + 7).starts_with("not a readable Parquet file"), "{}", reason(n + 7));
    assert_eq!(docs.len(), n + 8, "every row yields a row");

    // JSONL in -> Parquet out: the quotes table in Python's quotes schema, with the JSONL rows
    let (schema, _) = parquet_file(&shard_files(&out_pq, "quotes", "parquet")[0]);
    let got: Vec<(String, String)> = schema
        .fields()
        .iter()
        .map(|f| {
            assert!(f.is_nullable(), "{} is nullable in the Python schema", f.name());
            let t = match f.data_type() {
                DataType::Utf8 => "string",
                DataType::Int64 => "int64",
                DataType::Float32 => "float32",
                t => panic!("unexpected type {t}"),
            };
            (f.name().clone(), t.to_string())
        })
        .collect();
    assert_eq!(got, python_quotes_schema());
    let want: Vec<_> = jsonl_rows(&ref_out, "quotes").into_iter().map(as_f32).collect();
    assert!(want.len() > 10);
    assert_eq!(parquet_rows(&out_pq, "quotes"), want);

    // ... and the documents table: the Annotated records, flat columns, error rows
    let pq_docs = parquet_rows(&out_pq, "documents");
    assert_eq!(pq_docs.len(), reference.len());
    for (row, line) in pq_docs.iter().zip(&reference) {
        let v: Value = serde_json::from_str(line).unwrap();
        assert_eq!(row["source_file"], p(&jsonl));
        match v.get("error") {
            Some(e) => {
                assert_eq!((&row["error"], &row["record"], &row["n_quotes"]), (e, &Value::Null, &Value::Null));
                assert_eq!(row["line"], v["line"]);
            }
            None => {
                assert_eq!(row["record"].as_str(), Some(line.as_str()));
                assert_eq!(row["id"], v["id"]);
                assert_eq!(row["title"], v["title"]);
                assert_eq!(row["error"], Value::Null);
                assert_eq!(row["n_quotes"], json!(v["quotes"].as_array().unwrap().len()));
                assert_eq!(row["n_resignation_calls"], json!(v["resignation_calls"].as_array().unwrap().len()));
                assert_eq!(row["chars"], v["chars"]);
            }
        }
    }
    let manifest = std::fs::read_to_string(out_pq.join("manifest.jsonl")).unwrap();
    assert!(manifest.contains("\"documents_file\":\"documents-00000.parquet\""), "{manifest}");
    assert!(std::fs::read_dir(&out_pq).unwrap().all(|e| !e.unwrap().path().to_str().unwrap().ends_with(".tmp")));

    // resuming with another format is refused
    let res = run(&["batch", "--rules-only", "--shard-size", "5", p(&jsonl), "-o", p(&out_pq)]);
    assert_eq!(res.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&res.stderr).contains("--format parquet"));
}

// --- WARC -------------------------------------------------------------------------------------

/// One WARC record (WARC/1.0, CRLF line ends).
fn warc_record(kind: &str, id: &str, uri: &str, content_type: &str, block: &[u8]) -> Vec<u8> {
    let mut head = format!(
        "WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:uuid:{id}>\r\nWARC-Date: 2026-03-02T09:30:00Z\r\n"
    );
    if !uri.is_empty() {
        head.push_str(&format!("WARC-Target-URI: {uri}\r\n"));
    }
    head.push_str(&format!("Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n", block.len()));
    let mut r = head.into_bytes();
    r.extend_from_slice(block);
    r.extend_from_slice(b"\r\n\r\n");
    r
}

/// An HTTP response: status line, headers ("Name: value" lines), body.
fn http(status: &str, headers: &[&str], body: &[u8]) -> Vec<u8> {
    let mut r = format!("HTTP/1.1 {status}\r\n").into_bytes();
    for h in headers {
        r.extend_from_slice(format!("{h}\r\n").as_bytes());
    }
    r.extend_from_slice(b"\r\n");
    r.extend_from_slice(body);
    r
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// A news page: site chrome around an article of `paragraphs`.
fn page(title: &str, site: &str, published: &str, charset: &str, paragraphs: &[&str]) -> String {
    let body: String = paragraphs.iter().map(|p| format!("      <p>{p}</p>\n")).collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n  <meta charset=\"{charset}\">\n  <title>{title} | {site}</title>\n  \
         <meta property=\"og:site_name\" content=\"{site}\">\n  \
         <meta property=\"article:published_time\" content=\"{published}\">\n</head>\n<body>\n  \
         <nav class=\"menu\"><a href=\"/\">Home</a> <a href=\"/news\">News</a> <a href=\"/sport\">Sport</a></nav>\n  \
         <main>\n    <article>\n      <h1>{title}</h1>\n{body}    </article>\n  </main>\n  \
         <footer class=\"footer\"><a href=\"/about\">About us</a> <a href=\"/contact\">Contact</a></footer>\n\
         </body>\n</html>\n"
    )
}

const COUNCIL: [&str; 5] = [
    "Opposition councillors in Harbourside have demanded that council leader Jane Doe step down after an \
     internal review found that the new ferry contract was signed without a tender.",
    "\u{201c}Cllr Jane Doe must resign,\u{201d} said Cllr Tom Okafor, who leads the Green group on the council. \
     \u{201c}The public were kept in the dark for eleven months.\u{201d}",
    "The review, published on Monday, said officers had extended the previous operator's deal four times and \
     that the final agreement was worth nearly three million pounds more than the first estimate.",
    "A council spokesperson said the leader had acted on legal advice throughout and would not be stepping \
     aside. \u{201c}Cllr Doe has done nothing wrong and will continue to serve the residents of Harbourside,\u{201d} \
     the spokesperson said.",
    "A full council meeting to discuss the review will be held next Thursday evening at the town hall.",
];

const MAYOR: [&str; 4] = [
    "The mayor of Riverton, Paul Ashby, has rejected calls for his resignation after a row over expenses \
     claims that has run for most of the winter.",
    "\u{201c}I have no intention of resigning,\u{201d} Mr Ashby said on Tuesday. \u{201c}Every claim was approved \
     by the finance committee and every receipt is on the council website.\u{201d}",
    "Conservative councillor Maria Lindgren said the mayor should go. \u{201c}Paul Ashby should resign today,\u{201d} \
     she said after the committee meeting.",
    "The standards committee is expected to publish its own findings on the claims before the end of the month, \
     the council confirmed.",
];

const MARKET: [&str; 3] = [
    "Caf\u{e9} owners in Westbury have backed plans for a weekly farmers' market on the high street, saying it \
     would bring more people into the town centre on quiet weekday mornings.",
    "\u{201c}It is exactly what the street needs,\u{201d} said Ren\u{e9}e Marsh, who runs a caf\u{e9} opposite the \
     old post office. \u{201c}We have been asking for something like this for years.\u{201d}",
    "The town council will decide on the plans at its planning meeting in April, after a four-week consultation \
     with residents and traders.",
];

#[test]
fn warc_responses_become_documents_and_everything_else_an_error_row_or_skipped() {
    let tmp = TempDir::new("warc");
    let html = |ct: &str, body: &[u8]| http("200 OK", &[&format!("Content-Type: {ct}"), "Server: test"], body);
    let resp = "application/http; msgtype=response";
    let council = page(
        "Council leader urged to quit over ferry deal",
        "Harbourside Gazette",
        "2026-03-01T08:00:00Z",
        "utf-8",
        &COUNCIL,
    );
    let mayor = page("Mayor rejects calls to step down", "Riverton Post", "2026-02-24T17:45:00Z", "utf-8", &MAYOR);
    let market =
        page("Cafe owners back market plan", "Westbury Times", "2026-01-12T06:00:00Z", "windows-1252", &MARKET);
    let (market_1252, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&market);
    assert!(!unmappable);
    let empty_page =
        "<!DOCTYPE html><html><head><title>Loading</title></head><body><div id=\"app\"></div></body></html>";

    let mut plain = Vec::new();
    plain.extend(warc_record(
        "warcinfo",
        "00000000-0000-0000-0000-000000000000",
        "",
        "application/warc-fields",
        b"software: test\r\n",
    ));
    plain.extend(warc_record(
        "request",
        "00000000-0000-0000-0000-000000000001",
        "https://harbourside.example/news/ferry",
        "application/http; msgtype=request",
        b"GET /news/ferry HTTP/1.1\r\nHost: harbourside.example\r\n\r\n",
    ));
    plain.extend(warc_record(
        "response",
        "00000000-0000-0000-0000-000000000002",
        "https://harbourside.example/news/ferry",
        resp,
        &html("text/html; charset=UTF-8", council.as_bytes()),
    ));
    plain.extend(warc_record(
        "metadata",
        "00000000-0000-0000-0000-000000000003",
        "https://harbourside.example/news/ferry",
        "application/warc-fields",
        b"fetchTimeMs: 12\r\n",
    ));
    let gz_body = http("200 OK", &["Content-Type: text/html", "Content-Encoding: gzip"], &gzip(mayor.as_bytes()));
    plain.extend(warc_record(
        "response",
        "00000000-0000-0000-0000-000000000004",
        "https://riverton.example/mayor",
        resp,
        &gz_body,
    ));
    plain.extend(warc_record(
        "response",
        "00000000-0000-0000-0000-000000000005",
        "https://westbury.example/market",
        resp,
        &html("text/html", &market_1252),
    ));
    plain.extend(warc_record(
        "response",
        "00000000-0000-0000-0000-000000000006",
        "https://harbourside.example/ferry.pdf",
        resp,
        &html("application/pdf", b"%PDF-1.7 not a page"),
    ));
    plain.extend(warc_record(
        "response",
        "00000000-0000-0000-0000-000000000007",
        "https://harbourside.example/app",
        resp,
        &html("text/html", empty_page.as_bytes()),
    ));
    let bad_gzip = http(
        "200 OK",
        &["Content-Type: text/html", "Content-Encoding: gzip"],
        b"\x1f\x8b\x08\x00 this is not deflate data",
    );
    plain.extend(warc_record(
        "response",
        "00000000-0000-0000-0000-000000000008",
        "https://riverton.example/broken",
        resp,
        &bad_gzip,
    ));
    plain.extend(warc_record(
        "response",
        "00000000-0000-0000-0000-000000000009",
        "https://riverton.example/gone",
        resp,
        &http("404 Not Found", &["Content-Type: text/html"], b"<html><body><p>Not found</p></body></html>"),
    ));
    plain.extend(warc_record(
        "response",
        "00000000-0000-0000-0000-000000000010",
        "https://westbury.example/latin1",
        resp,
        &html("text/html; charset=utf-8", b"<html><body><p>caf\xe9 owners</p></body></html>"),
    ));
    // a response over the size limit (4 x the 8 MiB text limit + 64 KiB): read past, never held
    let big = html("text/html", &vec![b'x'; 33 * 1024 * 1024]);
    plain.extend(warc_record(
        "response",
        "00000000-0000-0000-0000-000000000011",
        "https://westbury.example/huge",
        resp,
        &big,
    ));
    drop(big);
    // nesting deep enough to stall a parser: refused before parsing
    let deep = format!("<html><body>{}<p>Deep.</p>{}</body></html>", "<div>".repeat(5000), "</div>".repeat(5000));
    plain.extend(warc_record(
        "response",
        "00000000-0000-0000-0000-000000000012",
        "https://westbury.example/deep",
        resp,
        &html("text/html", deep.as_bytes()),
    ));

    let input = tmp.0.join("in");
    std::fs::create_dir_all(input.join("gz")).unwrap();
    std::fs::write(input.join("crawl.warc"), &plain).unwrap();
    // the same first three records as a .warc.gz, one gzip member per record (CC-NEWS style)
    let mut members = Vec::new();
    for id in ["20", "21"] {
        let block = html("text/html", council.replace("Harbourside", "Seaport").as_bytes());
        let rec = warc_record(
            "response",
            &format!("00000000-0000-0000-0000-0000000000{id}"),
            &format!("https://seaport.example/{id}"),
            resp,
            &block,
        );
        members.extend(gzip(&rec));
    }
    std::fs::write(input.join("gz/crawl.warc.gz"), &members).unwrap();
    std::fs::write(input.join("gz/broken.warc.gz"), b"this is not gzip at all").unwrap();

    let out = tmp.0.join("out");
    let res = run(&["batch", "--rules-only", "--threads", "2", "--shard-size", "4", p(&input), "-o", p(&out)]);
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let docs: Vec<Value> = shard_lines(&out, "documents").iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    let id = |n: &str| format!("urn:uuid:00000000-0000-0000-0000-0000000000{n}");
    let by_id = |n: &str| docs.iter().find(|d| d["id"] == id(n)).unwrap_or_else(|| panic!("no row for {n}: {docs:?}"));
    let reason = |n: &str| by_id(n)["error"].as_str().unwrap_or_else(|| panic!("no error for {n}")).to_string();

    // crawl.warc (10 responses; 3 records skipped by type), gz/broken.warc.gz, gz/crawl.warc.gz (2)
    assert_eq!(docs.len(), 10 + 1 + 2, "{docs:#?}");
    let broken = &docs[10];
    assert!(broken["source_file"].as_str().unwrap().ends_with("broken.warc.gz"), "{broken}");
    assert!(broken["error"].as_str().unwrap().contains("gzip header"), "{broken}");
    assert_eq!((&broken["id"], &broken["line"]), (&Value::Null, &json!(1)));

    // the council story: text, metadata, paragraphs, the call to resign
    let a: quotestance::Annotated = serde_json::from_value(by_id("02").clone()).unwrap();
    assert_eq!(a.url.as_deref(), Some("https://harbourside.example/news/ferry"));
    assert_eq!(a.date.as_deref(), Some("2026-03-01T08:00:00Z"), "the page's publication time");
    assert_eq!(a.source.as_deref(), Some("Harbourside Gazette"));
    assert!(a.title.as_deref().unwrap().contains("Council leader urged to quit"), "{:?}", a.title);
    assert!(a.paragraphs.len() >= COUNCIL.len(), "paragraphs kept apart: {:?}", a.paragraphs);
    let call =
        a.quotes.iter().find(|q| q.text.contains("must resign")).unwrap_or_else(|| panic!("no quote: {:#?}", a.quotes));
    assert_eq!(call.stance, quotestance::Stance::CallToResign);
    assert!(call.speaker.as_ref().unwrap().name.contains("Okafor"), "{:?}", call.speaker);
    assert!(call.target.as_ref().unwrap().name.contains("Jane Doe"), "{:?}", call.target);
    assert!(a.resignation_calls.iter().any(|c| c.target.contains("Jane Doe")), "{:?}", a.resignation_calls);
    assert!(!a.quotes.iter().any(|q| q.text.contains("Sport") || q.text.contains("Contact")));

    // gzip Content-Encoding, windows-1252
    let m: quotestance::Annotated = serde_json::from_value(by_id("04").clone()).unwrap();
    assert!(m.quotes.iter().any(|q| q.text.contains("no intention of resigning")), "{:#?}", m.quotes);
    let w: quotestance::Annotated = serde_json::from_value(by_id("05").clone()).unwrap();
    assert!(w.quotes.iter().any(|q| q.text.contains("exactly what the street needs")), "{:#?}", w.quotes);
    assert!(w.people.iter().any(|p| p.name.contains("Ren\u{e9}e Marsh")), "decoded as windows-1252: {:?}", w.people);

    // every bad response is an error row with its reason
    assert_eq!(by_id("06")["line"], 7, "the seventh WARC record of crawl.warc");
    assert!(reason("06").starts_with("not HTML (Content-Type: application/pdf"), "{}", reason("06"));
    assert!(reason("07").starts_with("no article text"), "{}", reason("07"));
    assert!(reason("08").starts_with("bad gzip body"), "{}", reason("08"));
    assert!(reason("09").contains("HTTP status 404"), "{}", reason("09"));
    assert!(reason("10").starts_with("not UTF-8"), "{}", reason("10"));
    assert!(reason("11").contains("over the size limit"), "{}", reason("11"));
    assert!(reason("12").starts_with("unparseable HTML: elements nested"), "{}", reason("12"));
    for n in ["20", "21"] {
        assert!(by_id(n)["quotes"].as_array().is_some_and(|q| !q.is_empty()), "{}", by_id(n));
    }
    for n in ["00", "01", "03"] {
        assert!(docs.iter().all(|d| d["id"] != id(n)), "{n} is not a response: skipped");
    }

    // the manifest's positions count every WARC record; resuming skips all
    let manifest = std::fs::read_to_string(out.join("manifest.jsonl")).unwrap();
    let entries: Vec<Value> = manifest.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let plain_entries: Vec<_> =
        entries.iter().filter(|e| e["input"].as_str().unwrap().ends_with("crawl.warc")).collect();
    assert_eq!(
        plain_entries
            .iter()
            .map(|e| (e["first_line"].as_u64().unwrap(), e["last_line"].as_u64().unwrap()))
            .collect::<Vec<_>>(),
        [(3, 7), (8, 11), (12, 13)]
    );
    let res = run(&["batch", "--rules-only", "--shard-size", "4", p(&input), "-o", p(&out)]);
    assert!(
        String::from_utf8_lossy(&res.stderr).contains("skipped 13 records"),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
}

// --- resuming, and the lock ---------------------------------------------------------------------

/// Every row of the shards, as JSON, whatever the format.
fn rows(out: &Path, prefix: &str, format: &str) -> Vec<Map<String, Value>> {
    match format {
        "parquet" => parquet_rows(out, prefix),
        _ => jsonl_rows(out, prefix),
    }
}

/// How many times each id occurs in the documents shards, whatever the format.
fn ids(out: &Path, format: &str) -> BTreeMap<String, usize> {
    if format == "jsonl" {
        return id_counts(out);
    }
    let mut counts = BTreeMap::new();
    for row in parquet_rows(out, "documents") {
        *counts.entry(row["id"].as_str().unwrap().to_string()).or_insert(0) += 1;
    }
    counts
}

fn killed_run_resumes(format: &str) {
    let tmp = TempDir::new(&format!("resume-{format}"));
    // ~3000 records: the corpus cycled under new ids, cut short to keep the debug build quick
    let texts: Vec<String> = corpus_texts(301)
        .into_iter()
        .map(|t| {
            let mut end = t.len().min(1200);
            while !t.is_char_boundary(end) {
                end -= 1;
            }
            t[..end].to_string()
        })
        .collect();
    let n = 3000;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for i in 0..n {
        writeln!(gz, "{}", serde_json::json!({"id": format!("r{i:05}"), "text": texts[i % texts.len()]})).unwrap();
    }
    let input = tmp.0.join("archive.jsonl.gz");
    std::fs::write(&input, gz.finish().unwrap()).unwrap();
    let args = |out: &Path| -> Vec<String> {
        ["batch", "--rules-only", "--threads", "2", "--shard-size", "40", "--format", format, p(&input), "-o", p(out)]
            .map(String::from)
            .to_vec()
    };

    // clean run
    let clean = tmp.0.join("clean");
    let res = Command::new(BIN).args(args(&clean)).output().unwrap();
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));

    // killed run: wait for the first finished shard, then SIGKILL
    let out = tmp.0.join("killed");
    let manifest = out.join("manifest.jsonl");
    let mut child = Command::new(BIN).args(args(&out)).stderr(Stdio::null()).spawn().unwrap();
    let t0 = Instant::now();
    loop {
        let lines = std::fs::read_to_string(&manifest).map_or(0, |m| m.lines().count());
        if lines >= 1 {
            break;
        }
        assert!(child.try_wait().unwrap().is_none(), "the run ended before any shard was recorded");
        assert!(t0.elapsed() < Duration::from_secs(300), "no shard after 300s");
        std::thread::sleep(Duration::from_millis(5));
    }
    // a second run into the same OUTDIR meanwhile is refused, and touches nothing
    let second = Command::new(BIN).args(args(&out)).output().unwrap();
    assert!(child.try_wait().unwrap().is_none(), "the run finished before it could be killed");
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(second.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("is locked by another `quotestance batch` run (pid"), "{stderr}");
    let done_at_kill = std::fs::read_to_string(&manifest).unwrap().lines().count();
    assert!(done_at_kill < n / 40, "killed midway: {done_at_kill} shards done");

    // resume (the kill released the lock)
    let res = Command::new(BIN).args(args(&out)).output().unwrap();
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(stderr.contains(&format!("skipped {} records", done_at_kill * 40)), "{stderr}");

    let counts = ids(&out, format);
    assert_eq!(counts.len(), n);
    assert!(
        counts.values().all(|&c| c == 1),
        "duplicates: {:?}",
        counts.iter().filter(|(_, &c)| c != 1).collect::<Vec<_>>()
    );
    assert_eq!(rows(&out, "quotes", format), rows(&clean, "quotes", format));
    assert_eq!(rows(&out, "documents", format), rows(&clean, "documents", format));
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let entries = std::fs::read_to_string(&manifest).unwrap().lines().count();
    assert_eq!(entries, n / 40);
}

#[test]
fn a_killed_run_resumes_without_losing_or_duplicating_records() {
    killed_run_resumes("jsonl");
}

#[test]
fn a_killed_parquet_run_resumes_without_losing_or_duplicating_records() {
    killed_run_resumes("parquet");
}

#[test]
fn a_locked_outdir_is_refused_with_a_clear_error() {
    let tmp = TempDir::new("lock");
    let input = tmp.0.join("a.jsonl");
    std::fs::write(&input, format!("{}\n", json!({"id": "x", "text": "Cllr Ann Lee said it was fine."}))).unwrap();
    let out = tmp.0.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let lock = std::fs::File::create(out.join(".lock")).unwrap();
    lock.try_lock().unwrap();
    let res = run(&["batch", "--rules-only", p(&input), "-o", p(&out)]);
    assert_eq!(res.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(stderr.contains("is locked by another `quotestance batch` run"), "{stderr}");
    assert!(!out.join("manifest.jsonl").exists(), "nothing written");
    lock.unlock().unwrap();
    let res = run(&["batch", "--rules-only", p(&input), "-o", p(&out)]);
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    assert_eq!(shard_lines(&out, "documents").len(), 1);
}

// --- which files are inputs ---------------------------------------------------------------------

/// Invented one-line records `{"id": "{prefix}{i}", "text": ...}`, `n` of them.
fn records(prefix: &str, n: usize) -> String {
    (0..n)
        .map(|i| {
            format!("{}\n", json!({"id": format!("{prefix}{i}"), "text": format!("Cllr Ann Lee{i} said it was fine.")}))
        })
        .collect()
}

/// Each id once, as [`id_counts`] gives it.
fn once(ids: &[&str]) -> BTreeMap<String, usize> {
    ids.iter().map(|id| (id.to_string(), 1)).collect()
}

/// Runs the binary, killing it when it has not ended after `secs` (a guard against a run that
/// never ends, not a timing check).
fn run_guarded(args: &[&str], secs: u64) -> Output {
    let mut child = Command::new(BIN).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let t0 = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t0.elapsed() > Duration::from_secs(secs) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("still running after {secs}s: {args:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn stderr(res: &Output) -> String {
    String::from_utf8_lossy(&res.stderr).into_owned()
}

#[cfg(unix)]
#[test]
fn symlinked_folders_are_followed_once_and_loops_end() {
    use std::os::unix::fs::symlink;
    let tmp = TempDir::new("symlinks");
    let (input, elsewhere) = (tmp.0.join("in"), tmp.0.join("elsewhere"));
    std::fs::create_dir_all(input.join("sub")).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::write(input.join("a.jsonl"), records("a", 2)).unwrap();
    std::fs::write(input.join("sub/b.jsonl"), records("b", 1)).unwrap();
    std::fs::write(elsewhere.join("e.jsonl"), records("e", 1)).unwrap();
    symlink(".", input.join("self")).unwrap(); // a loop
    symlink("a.jsonl", input.join("again.jsonl")).unwrap(); // a file listed already
    symlink(&elsewhere, input.join("link")).unwrap(); // a folder named on the command line too
    let want = once(&["a0", "a1", "b0", "e0"]);

    let out = tmp.0.join("out");
    let res = run_guarded(&["batch", "--rules-only", p(&input), p(&elsewhere), "-o", p(&out)], 300);
    assert!(res.status.success(), "{}", stderr(&res));
    assert_eq!(id_counts(&out), want);
    assert!(stderr(&res).contains("already read"), "{}", stderr(&res));

    // two loops: the walk still ends, and reads every file once
    symlink("..", input.join("sub/up")).unwrap();
    let out = tmp.0.join("out2");
    let res = run_guarded(&["batch", "--rules-only", p(&input), p(&elsewhere), "-o", p(&out)], 300);
    assert!(res.status.success(), "{}", stderr(&res));
    assert_eq!(id_counts(&out), want);
}

#[test]
fn an_outdir_inside_an_input_folder_is_never_read() {
    let tmp = TempDir::new("outdir-inside");
    let input = tmp.0.join("in");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::write(input.join("a.jsonl"), records("a", 3)).unwrap();
    let out = input.join("out");
    for _ in 0..2 {
        let res = run(&["batch", "--rules-only", "--shard-size", "2", p(&input), "-o", p(&out)]);
        assert!(res.status.success(), "{}", stderr(&res));
        let want = once(&["a0", "a1", "a2"]);
        assert_eq!(id_counts(&out), want, "{}", stderr(&res));
    }
    // an input named inside OUTDIR is refused
    let shard = out.join("documents-00000.jsonl");
    let res = run(&["batch", "--rules-only", "--shard-size", "2", p(&input), p(&shard), "-o", p(&out)]);
    assert_eq!(res.status.code(), Some(2));
    assert!(stderr(&res).contains("inside the output folder"), "{}", stderr(&res));
}

#[cfg(unix)]
#[test]
fn a_fifo_input_is_named_as_such() {
    let tmp = TempDir::new("fifo");
    let fifo = tmp.0.join("stream.jsonl");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let res = run_guarded(&["batch", "--rules-only", p(&fifo), "-o", p(&tmp.0.join("out"))], 300);
    assert_eq!(res.status.code(), Some(2));
    let err = stderr(&res);
    assert!(err.contains("is a named pipe (FIFO)") && !err.contains("does not exist"), "{err}");
}

#[test]
fn a_failed_start_leaves_no_outdir_behind() {
    let tmp = TempDir::new("failed-start");
    let missing = tmp.0.join("missing.jsonl");
    let out = tmp.0.join("new/out");
    let res = run(&["batch", "--rules-only", p(&missing), "-o", p(&out)]);
    assert_eq!(res.status.code(), Some(2));
    assert!(stderr(&res).contains("does not exist"), "{}", stderr(&res));
    assert!(!tmp.0.join("new").exists(), "the folders it created are removed");
    // an OUTDIR that was there is left as it was
    let existing = tmp.0.join("existing");
    std::fs::create_dir_all(&existing).unwrap();
    let res = run(&["batch", "--rules-only", p(&missing), "-o", p(&existing)]);
    assert_eq!(res.status.code(), Some(2));
    assert_eq!(std::fs::read_dir(&existing).unwrap().count(), 0, "nothing left in OUTDIR");
}

// --- what a record is -------------------------------------------------------------------------

#[test]
fn a_bom_and_empty_texts_are_read_as_label_reads_them() {
    let tmp = TempDir::new("bom-empty");
    let input = tmp.0.join("a.jsonl");
    let mut bytes = b"\xef\xbb\xbf".to_vec();
    bytes.extend(format!("{}\n", json!({"id": "first", "text": "Cllr Ann Lee said it was fine."})).bytes());
    bytes.extend(format!("{}\n", json!({"id": "empty", "text": ""})).bytes());
    bytes.extend(format!("{}\n", json!({"id": "blank", "text": " \n\t "})).bytes());
    std::fs::write(&input, &bytes).unwrap();
    let out = tmp.0.join("out");
    let res = run(&["batch", "--rules-only", "--strict", p(&input), "-o", p(&out)]);
    assert_eq!(res.status.code(), Some(0), "{}", stderr(&res));
    let docs = shard_lines(&out, "documents");
    let label = run(&["label", "--rules-only", p(&input)]);
    assert!(label.status.success(), "{}", stderr(&label));
    let labelled: Vec<Value> = std::str::from_utf8(&label.stdout).unwrap().lines().map(without_place).collect();
    assert_eq!(docs.iter().map(|d| without_place(d)).collect::<Vec<_>>(), labelled, "batch and label agree");
    for d in &docs[1..] {
        let a: quotestance::Annotated = serde_json::from_str(d).unwrap();
        assert!(a.quotes.is_empty() && a.people.is_empty(), "{d}");
    }
}

// --- resuming after the inputs changed ----------------------------------------------------------

/// Runs `batch --shard-size 2` over `input` into `out`, then keeps only the manifest's first
/// entry, as though the run had been killed after its first shard.
fn first_shard_only(input: &Path, out: &Path) {
    let res = run(&["batch", "--rules-only", "--shard-size", "2", p(input), "-o", p(out)]);
    assert!(res.status.success(), "{}", stderr(&res));
    let manifest = out.join("manifest.jsonl");
    let first = std::fs::read_to_string(&manifest).unwrap().lines().next().unwrap().to_string();
    std::fs::write(&manifest, format!("{first}\n")).unwrap();
}

fn resume(input: &Path, out: &Path) -> Output {
    run(&["batch", "--rules-only", "--shard-size", "2", p(input), "-o", p(out)])
}

#[test]
fn resuming_refuses_an_input_edited_in_place() {
    let tmp = TempDir::new("edited");
    let input = tmp.0.join("a.jsonl");
    let original = records("r", 6);
    type Edit = fn(&str) -> String;
    let edits: [(&str, Edit); 3] = [
        ("prepended", |s| format!("{}\n{s}", json!({"id": "new", "text": "Sam Reed said hello."}))),
        ("first line deleted", |s| s.split_once('\n').unwrap().1.to_string()),
        ("same size", |s| s.replacen("Lee0 said", "Lee0 sayd", 1)),
    ];
    for (what, edit) in edits {
        std::fs::write(&input, &original).unwrap();
        let out = tmp.0.join(format!("out-{what}"));
        first_shard_only(&input, &out);
        let modified = std::fs::metadata(&input).unwrap().modified().unwrap();
        std::fs::write(&input, edit(&original)).unwrap();
        // the same modification time, too: the content alone tells the change
        std::fs::File::options().write(true).open(&input).unwrap().set_modified(modified).unwrap();
        let res = resume(&input, &out);
        let err = stderr(&res);
        assert_eq!(res.status.code(), Some(2), "{what}: {err}");
        assert!(err.contains(p(&input)) && err.contains("changed"), "{what}: names the file: {err}");
        assert!(err.contains("new OUTDIR"), "{what}: says what to do: {err}");
        assert!(!err.contains("ManifestEntry") && !err.contains('{'), "{what}: a sentence, not a dump: {err}");
    }

    // records added after the finished shards change nothing that is done: resumed, once each
    std::fs::write(&input, &original).unwrap();
    let out = tmp.0.join("out-appended");
    first_shard_only(&input, &out);
    std::fs::write(&input, format!("{original}{}", records("s", 1))).unwrap();
    let res = resume(&input, &out);
    assert!(res.status.success(), "{}", stderr(&res));
    assert!(stderr(&res).contains("skipped 2 records"), "{}", stderr(&res));
    let want = once(&["r0", "r1", "r2", "r3", "r4", "r5", "s0"]);
    assert_eq!(id_counts(&out), want);
}

#[test]
fn an_old_manifest_without_input_hashes_is_refused_clearly() {
    let tmp = TempDir::new("old-manifest");
    let input = tmp.0.join("a.jsonl");
    std::fs::write(&input, records("r", 4)).unwrap();
    let out = tmp.0.join("out");
    first_shard_only(&input, &out);
    let manifest = out.join("manifest.jsonl");
    let mut entry: Map<String, Value> = serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    entry.retain(|k, _| !k.starts_with("input_") && !k.starts_with("records_"));
    std::fs::write(&manifest, format!("{}\n", Value::Object(entry))).unwrap();
    let res = resume(&input, &out);
    assert_eq!(res.status.code(), Some(2), "{}", stderr(&res));
    let err = stderr(&res);
    assert!(err.contains("earlier version") && err.contains("new OUTDIR"), "{err}");
}

#[test]
fn batch_reads_text_and_html_files_as_label_does_and_refuses_an_unknown_name() {
    let tmp = TempDir::new("text-html");
    let input = tmp.0.join("in");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::write(input.join("one.txt"), COUNCIL.join("\n\n")).unwrap();
    std::fs::write(input.join("two.html"), page("Leader under pressure", "Northvale News", "", "utf-8", &MAYOR))
        .unwrap();
    std::fs::write(input.join("notes.md"), "not an input").unwrap();
    let out = tmp.0.join("out");
    let res = run(&["batch", "--rules-only", p(&input), "-o", p(&out)]);
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let rows = jsonl_rows(&out, "documents");
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["one", "two"], "{rows:?}");
    let label = |file: &str| {
        let o = Command::new(BIN).args(["label", "--rules-only", p(&input.join(file))]).output().unwrap();
        serde_json::from_slice::<Value>(&o.stdout).unwrap()
    };
    for (row, file) in rows.iter().zip(["one.txt", "two.html"]) {
        let want = label(file);
        assert!(row.get("error").is_none_or(Value::is_null), "{row:?}");
        assert_eq!(row["quotes"], want["quotes"], "{file}: batch and label disagree");
        assert_eq!(row.get("title"), want.get("title"), "{file}");
    }

    let odd = tmp.0.join("archive.dat");
    std::fs::write(&odd, "{\"id\": \"x\", \"text\": \"y\"}\n").unwrap();
    let res = run(&["batch", "--rules-only", p(&odd), "-o", p(&tmp.0.join("out2"))]);
    assert_eq!(res.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(stderr.contains("cannot tell what") && stderr.contains(".jsonl") && stderr.contains(".txt"), "{stderr}");
}

// --- where a row was read -----------------------------------------------------------------------

#[test]
fn every_documents_row_says_which_file_and_position_it_was_read_from() {
    let tmp = TempDir::new("place");
    let input = tmp.0.join("in");
    std::fs::create_dir_all(&input).unwrap();
    // JSONL: a blank line and a bad line, so that lines and records differ
    let a = input.join("a.jsonl");
    let lines = records("j", 3);
    let lines: Vec<&str> = lines.lines().collect();
    std::fs::write(&a, format!("{}\n\n{{not json\n{}\n{}\n", lines[0], lines[1], lines[2])).unwrap();
    let b = input.join("b.parquet");
    let texts = [Some("Cllr Ann Lee said it was fine."), Some("Sam Reed said hello.")];
    write_parquet(&b, vec![("id", strings(&[Some("p0"), Some("p1")])), ("text", strings(&texts))]);
    // WARC: a warcinfo record, then two responses (its records 2 and 3)
    let c = input.join("c.warc");
    let page = |title: &str, paragraphs: &[&str]| {
        let html = page(title, "Harbourside Gazette", "2026-03-01T08:00:00Z", "utf-8", paragraphs);
        http("200 OK", &["Content-Type: text/html; charset=utf-8"], html.as_bytes())
    };
    let mut warc = warc_record("warcinfo", "w0", "", "application/warc-fields", b"software: test\r\n");
    warc.extend(warc_record("response", "w1", "http://news.invalid/1", RESPONSE, &page("Ferry deal", &COUNCIL)));
    warc.extend(warc_record("response", "w2", "http://news.invalid/2", RESPONSE, &page("Mayor stays", &MAYOR)));
    std::fs::write(&c, warc).unwrap();
    let d = input.join("d.txt");
    std::fs::write(&d, COUNCIL.join("\n\n")).unwrap();
    let want = [
        (json!("j0"), &a, 1),
        (Value::Null, &a, 3),
        (json!("j1"), &a, 4),
        (json!("j2"), &a, 5),
        (json!("p0"), &b, 1),
        (json!("p1"), &b, 2),
        (json!("urn:uuid:w1"), &c, 2),
        (json!("urn:uuid:w2"), &c, 3),
        (json!("d"), &d, 1),
    ]
    .map(|(id, file, line)| (id, json!(p(file)), json!(line)));

    for format in ["jsonl", "parquet"] {
        let out = tmp.0.join(format!("out-{format}"));
        let res = run(&["batch", "--rules-only", "--format", format, p(&input), "-o", p(&out)]);
        assert!(res.status.success(), "{}", stderr(&res));
        let docs = rows(&out, "documents", format);
        let got: Vec<_> = docs.iter().map(|r| (r["id"].clone(), r["source_file"].clone(), r["line"].clone())).collect();
        assert_eq!(got, want, "{format}");
        // Parquet's `record` is the JSONL documents line: the same place in it
        for row in docs.iter().filter(|r| format == "parquet" && !r["record"].is_null()) {
            let record: Value = serde_json::from_str(row["record"].as_str().unwrap()).unwrap();
            assert_eq!((&record["source_file"], &record["line"]), (&row["source_file"], &row["line"]));
        }
    }
}

/// The Content-Type of a WARC response record.
const RESPONSE: &str = "application/http; msgtype=response";

// --- Ctrl-C ---------------------------------------------------------------------------------------

/// An invented article: six sentences of quotes and calls to resign, varied by `i`.
fn invented(i: usize) -> String {
    const NAMES: [&str; 6] = ["Ann Lee", "Sam Reed", "Tom Vale", "Jo Park", "Kim Dale", "Ray Holt"];
    const PLACES: [&str; 5] = ["the depot", "the library", "the bridge", "the park", "the market"];
    (0..6)
        .map(|k| {
            let (who, whom) = (NAMES[(i + k) % 6], NAMES[(i + k + 1 + i % 5) % 6]);
            format!(
                "\u{201c}The plan for {} is wrong,\u{201d} said Cllr {who}. Cllr {whom} should resign over it, {who} \
                 added. ",
                PLACES[(i + k) % 5]
            )
        })
        .collect()
}

/// Waits for `child` to end (killing it after `secs`, a guard against a run that never ends).
fn wait_guarded(mut child: std::process::Child, secs: u64) -> Output {
    let t0 = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t0.elapsed() > Duration::from_secs(secs) {
            child.kill().unwrap();
            panic!("still running after {secs}s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_a_run_that_the_command_it_prints_resumes_exactly_once() {
    let tmp = TempDir::new("ctrl c"); // a space in the paths, which the printed command quotes
    let n = 3000;
    let input = tmp.0.join("archive.jsonl");
    let lines: String =
        (0..n).map(|i| format!("{}\n", json!({"id": format!("c{i:05}"), "text": invented(i)}))).collect();
    std::fs::write(&input, lines).unwrap();
    let out = tmp.0.join("out");
    let manifest = out.join("manifest.jsonl");
    let args = ["batch", "--rules-only", "--threads", "2", "--shard-size", "40", p(&input), "-o", p(&out)];
    let child = Command::new(BIN).args(args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();

    // SIGINT once the first shard is recorded, as Ctrl-C sends it
    let t0 = Instant::now();
    while std::fs::read_to_string(&manifest).map_or(0, |m| m.lines().count()) == 0 {
        assert!(t0.elapsed() < Duration::from_secs(300), "no shard after 300s");
        std::thread::sleep(Duration::from_millis(5));
    }
    let sent = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(sent.success());
    let res = wait_guarded(child, 120);
    let err = stderr(&res);
    assert_eq!(res.status.code(), Some(130), "{err}");
    let done = std::fs::read_to_string(&manifest).unwrap().lines().count() * 40;
    assert!(done < n, "stopped midway: {done} records done");
    assert!(err.contains(&format!("interrupted: {done} of {n} records are done")), "{err}");
    assert!(err.contains(p(&manifest)), "says where: {err}");
    let leftovers =
        std::fs::read_dir(&out).unwrap().filter(|e| e.as_ref().unwrap().path().extension() == Some("tmp".as_ref()));
    assert_eq!(leftovers.count(), 0, "no *.tmp file left");

    // the command it prints resumes the run
    let command = err.lines().skip_while(|l| !l.contains("To resume")).nth(1).unwrap_or_else(|| panic!("{err}"));
    let res = Command::new("sh").args(["-c", command.trim()]).output().unwrap();
    assert!(res.status.success(), "{command}: {}", stderr(&res));
    assert!(stderr(&res).contains(&format!("skipped {done} records")), "{}", stderr(&res));
    let docs = jsonl_rows(&out, "documents");
    let lines: Vec<u64> = docs.iter().map(|d| d["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, (1..=n as u64).collect::<Vec<_>>(), "every record once, in input order");
    assert!(docs.iter().all(|d| d.get("error").is_none()));
}
