//! Progress, in records finished, never in bytes read: the counts' arithmetic
//! (`quotestance_cli::progress`), and the lines `batch` writes to a log (stderr not a terminal;
//! `QUOTESTANCE_PROGRESS_EVERY=0`: a line at every tick and one at the end). Invented texts only.

use arrow_array::{ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use quotestance_cli::progress::{Snapshot, Total};
use serde_json::json;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_quotestance");

mod common;
use common::{p, TempDir};

/// Runs `batch --rules-only` with a progress line at every tick, stderr not a terminal.
fn batch(args: &[&str]) -> Output {
    let res = Command::new(BIN)
        .args(["batch", "--rules-only"])
        .args(args)
        .env("QUOTESTANCE_PROGRESS_EVERY", "0")
        .output()
        .expect("the binary runs");
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    res
}

/// The progress lines of a run's stderr (not its other notes or its summary), prefix dropped.
fn progress_lines(res: &Output) -> Vec<String> {
    let stderr = String::from_utf8_lossy(&res.stderr);
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("quotestance batch: "))
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
        .map(String::from)
        .collect()
}

/// The records finished a progress line gives (its first number).
fn position(line: &str) -> u64 {
    line.split(' ').next().unwrap().parse().unwrap()
}

/// `n` invented one-line records `{"id": "{prefix}{i}", "text": ...}`.
fn records(prefix: &str, n: usize) -> String {
    (0..n)
        .map(|i| {
            format!("{}\n", json!({"id": format!("{prefix}{i}"), "text": format!("Cllr Ann Lee{i} said it was fine.")}))
        })
        .collect()
}

fn snapshot(done: u64, earlier: u64, total: Total, secs: u64) -> Snapshot {
    Snapshot { done, earlier, total, elapsed: Duration::from_secs(secs) }
}

#[test]
fn the_counts_give_records_done_of_all_and_the_time_left_at_this_runs_rate() {
    // resumed: 400 records done earlier, 100 in this run's 10 s: 10 records/s, 500 left
    let s = snapshot(100, 400, Total::Known(1000), 10);
    assert_eq!((s.position(), s.rate(), s.eta()), (500, 10.0, Some(Duration::from_secs(50))));
    assert_eq!(s.line(), "500 of 1000 records (50%; 400 done earlier), 10 records/s, ETA 50s");
    assert_eq!(s.bar_message(), "500/1000 records, 10 records/s, ETA 50s");
    // no record finished yet: no rate to tell the time left from
    let s = snapshot(0, 0, Total::Known(2000), 3);
    assert_eq!((s.eta(), s.line()), (None, "0 of 2000 records (0%), 0.0 records/s, ETA --".to_string()));
    // half of the records read is not half done: only finished records count
    let s = snapshot(1000, 0, Total::Known(2000), 100);
    assert_eq!(s.line(), "1000 of 2000 records (50%), 10 records/s, ETA 1m40s");
    // 3 records/s, 2 left
    assert_eq!(snapshot(3, 0, Total::Known(5), 1).eta(), Some(Duration::from_secs_f64(2.0 / 3.0)));
    // all done
    let s = snapshot(2000, 0, Total::Known(2000), 100);
    assert_eq!((s.eta(), s.line()), (Some(Duration::ZERO), "2000 of 2000 records (100%), 20 records/s, ETA 0s".into()));
    // an input that grew since it was counted: never past 100%
    assert_eq!(snapshot(30, 0, Total::Known(20), 1).known_total(), Some(30));
}

#[test]
fn without_a_total_the_counts_give_no_share_and_no_time_left() {
    let s = snapshot(7200, 0, Total::Unknown, 3600);
    assert_eq!((s.known_total(), s.eta()), (None, None));
    assert_eq!(s.line(), "7200 records, 2.0 records/s");
    assert_eq!(snapshot(5, 3, Total::Unknown, 1).line(), "8 records (3 done earlier), 5.0 records/s");
    assert_eq!(snapshot(5, 0, Total::Counting, 1).line(), "5 records (counting the inputs), 5.0 records/s");
    assert_eq!(snapshot(5, 0, Total::Counting, 1).bar_message(), "5 records, 5.0 records/s");
}

fn write_parquet(path: &Path, ids: &[&str]) {
    let texts: Vec<String> = ids.iter().map(|id| format!("Sam Reed{id} said hello.")).collect();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(ids.to_vec())),
        Arc::new(StringArray::from(texts.iter().map(String::as_str).collect::<Vec<_>>())),
    ];
    let schema =
        Arc::new(Schema::new(vec![Field::new("id", DataType::Utf8, false), Field::new("text", DataType::Utf8, false)]));
    let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

#[test]
fn a_batch_log_counts_the_records_of_every_kind_of_input() {
    let tmp = TempDir::new("kinds");
    let input = tmp.0.join("in");
    std::fs::create_dir_all(&input).unwrap();
    // 5 records, 2 blank lines (not records) and a bad line (a record: an error row)
    std::fs::write(input.join("a.jsonl"), format!("\n{}\n{{not json\n{}", records("a", 2), records("b", 3))).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(records("g", 4).as_bytes()).unwrap();
    std::fs::write(input.join("b.jsonl.gz"), gz.finish().unwrap()).unwrap();
    write_parquet(&input.join("c.parquet"), &["p0", "p1", "p2"]);
    std::fs::write(input.join("d.txt"), "Cllr Jo Park said the bridge would open in May.").unwrap();
    std::fs::write(input.join("e.txt"), "Cllr Kim Dale said the park would close.").unwrap();
    let total = 6 + 4 + 3 + 2;

    let res = batch(&["--shard-size", "4", p(&input), "-o", p(&tmp.0.join("out"))]);
    let lines = progress_lines(&res);
    let last = lines.last().unwrap_or_else(|| panic!("no progress line: {}", String::from_utf8_lossy(&res.stderr)));
    assert!(last.starts_with(&format!("{total} of {total} records (100%), ")), "{last}");
    assert!(last.ends_with(" records/s, ETA 0s"), "{last}");
    let positions: Vec<u64> = lines.iter().map(|l| position(l)).collect();
    assert!(positions.windows(2).all(|w| w[0] <= w[1]), "records finished never go back: {lines:?}");
    for line in &lines {
        assert!(line.contains(&format!(" of {total} records")) || line.contains("(counting the inputs)"), "{line}");
    }
}

/// One WARC record (WARC/1.0) of `kind`; a response holds an invented HTML page.
fn warc_record(kind: &str, i: usize) -> Vec<u8> {
    let block = match kind {
        "response" => format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><head><title>Depot {i}</title>\
             </head><body><article><p>\u{201c}The plan for the depot is wrong,\u{201d} said Cllr Ann Lee. Cllr Sam \
             Reed{i} should resign over it, she added.</p><p>The council made the plan last year, and the depot is \
             still closed to the public.</p></article></body></html>"
        ),
        _ => "software: test\r\n".to_string(),
    };
    let content_type =
        if kind == "response" { "application/http; msgtype=response" } else { "application/warc-fields" };
    let mut r = format!(
        "WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:uuid:{i}>\r\nWARC-Date: 2026-03-02T09:30:00Z\r\n\
         WARC-Target-URI: http://news.invalid/{i}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        block.len()
    )
    .into_bytes();
    r.extend_from_slice(block.as_bytes());
    r.extend_from_slice(b"\r\n\r\n");
    r
}

#[test]
fn a_warc_log_counts_records_without_a_made_up_total() {
    let tmp = TempDir::new("warc");
    let input = tmp.0.join("crawl.warc");
    let warc: Vec<u8> = std::iter::once(warc_record("warcinfo", 0))
        .chain((1..=3).map(|i| warc_record("response", i)))
        .flatten()
        .collect();
    std::fs::write(&input, warc).unwrap();
    let res = batch(&[p(&input), "-o", p(&tmp.0.join("out"))]);
    let lines = progress_lines(&res);
    let last = lines.last().unwrap_or_else(|| panic!("no progress line: {}", String::from_utf8_lossy(&res.stderr)));
    assert!(last.starts_with("3 records, ") && last.ends_with(" records/s"), "{last}");
    for line in &lines {
        assert!(!line.contains(" of ") && !line.contains('%') && !line.contains("ETA"), "{line}");
    }
}

#[test]
fn a_resumed_batch_counts_the_records_done_earlier() {
    let tmp = TempDir::new("resumed");
    let input = tmp.0.join("a.jsonl");
    std::fs::write(&input, records("r", 6)).unwrap();
    let out = tmp.0.join("out");
    let args = ["--shard-size", "2", p(&input), "-o", p(&out)];
    batch(&args);
    // as though killed after the first shard
    let manifest = out.join("manifest.jsonl");
    let first = std::fs::read_to_string(&manifest).unwrap().lines().next().unwrap().to_string();
    std::fs::write(&manifest, format!("{first}\n")).unwrap();
    let res = batch(&args);
    let lines = progress_lines(&res);
    let last = lines.last().unwrap_or_else(|| panic!("no progress line: {}", String::from_utf8_lossy(&res.stderr)));
    assert!(last.starts_with("6 of 6 records (100%; 2 done earlier), "), "{last}");
}

#[test]
fn label_shows_no_progress_when_stderr_is_not_a_terminal() {
    let tmp = TempDir::new("label");
    let input = tmp.0.join("a.jsonl");
    std::fs::write(&input, records("r", 3)).unwrap();
    let res = Command::new(BIN).args(["label", "--rules-only", p(&input)]).output().unwrap();
    assert!(res.status.success());
    assert_eq!(String::from_utf8_lossy(&res.stderr), "", "nothing but errors on stderr");
    assert_eq!(String::from_utf8_lossy(&res.stdout).lines().count(), 3);
}
