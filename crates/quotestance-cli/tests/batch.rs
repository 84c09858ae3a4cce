//! `quotestance batch`: every record exactly once, and resuming after a kill.

use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_quotestance");

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let p = std::env::temp_dir().join(format!("qs-batch-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("the binary runs")
}

/// The lines of every `{prefix}-NNNNN.jsonl` shard in OUTDIR, in shard order.
fn shard_lines(out: &Path, prefix: &str) -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_str().unwrap();
            n.starts_with(&format!("{prefix}-")) && n.ends_with(".jsonl")
        })
        .collect();
    files.sort();
    files
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
    std::fs::write(input.join("ignored.txt"), "not an input").unwrap();

    let out = tmp.0.join("out");
    let res =
        run(&["batch", "--rules-only", "--threads", "2", "--shard-size", "3", p(&input), p(&zpath), "-o", p(&out)]);
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(stderr.contains("errors 4"), "{stderr}");

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
    assert_eq!(reason("empty"), "empty text");
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

#[test]
fn a_killed_run_resumes_without_losing_or_duplicating_records() {
    let tmp = TempDir::new("resume");
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
        ["batch", "--rules-only", "--threads", "2", "--shard-size", "40", p(&input), "-o", p(out)]
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
    assert!(child.try_wait().unwrap().is_none(), "the run finished before it could be killed");
    child.kill().unwrap();
    child.wait().unwrap();
    let done_at_kill = std::fs::read_to_string(&manifest).unwrap().lines().count();
    assert!(done_at_kill < n / 40, "killed midway: {done_at_kill} shards done");

    // resume
    let res = Command::new(BIN).args(args(&out)).output().unwrap();
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(stderr.contains(&format!("skipped {} records", done_at_kill * 40)), "{stderr}");

    let counts = id_counts(&out);
    assert_eq!(counts.len(), n);
    assert!(
        counts.values().all(|&c| c == 1),
        "duplicates: {:?}",
        counts.iter().filter(|(_, &c)| c != 1).collect::<Vec<_>>()
    );
    assert_eq!(shard_lines(&out, "quotes"), shard_lines(&clean, "quotes"));
    assert_eq!(shard_lines(&out, "documents"), shard_lines(&clean, "documents"));
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().unwrap() == "tmp")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let entries = std::fs::read_to_string(&manifest).unwrap().lines().count();
    assert_eq!(entries, n / 40);
}
