//! Runs the `quotestance` binary on temporary inputs.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_quotestance");

mod common;
use common::{p, TempDir};

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("the binary runs")
}

fn records(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8(stdout.to_vec())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad output line {l:?}: {e}")))
        .collect()
}

const TEXT: &str = "Labour called for Cllr Jo Bell to resign.\n\n“She must go,” said Sam Reed. “Now.” 🙂\n";

#[test]
fn labels_a_text_file() {
    let tmp = TempDir::new("txt");
    let f = tmp.0.join("story-1.txt");
    std::fs::write(&f, TEXT).unwrap();
    let out = run(&["label", "--rules-only", p(&f)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let recs = records(&out.stdout);
    assert_eq!(recs.len(), 1);
    let a: quotestance::Annotated = serde_json::from_value(recs[0].clone()).unwrap();
    assert_eq!(a.id, "story-1");
    assert_eq!(a.chars, TEXT.chars().count());
    assert!(!a.sentences.is_empty());

    // --pretty and -o
    let o = tmp.0.join("out.json");
    let out = run(&["label", "--rules-only", "--pretty", "-o", p(&o), p(&f)]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    let written = std::fs::read_to_string(&o).unwrap();
    assert!(written.lines().count() > 3, "pretty output spans lines");
    let v: Value = serde_json::from_str(&written).unwrap();
    assert_eq!(v["id"], "story-1");

    // a directory of .txt files, in name order
    std::fs::write(tmp.0.join("a.txt"), "One line.").unwrap();
    std::fs::write(tmp.0.join("ignored.md"), "not labelled").unwrap();
    let out = run(&["label", "--rules-only", "--threads", "2", p(&tmp.0)]);
    assert!(out.status.success());
    let ids: Vec<Value> = records(&out.stdout).into_iter().map(|r| r["id"].clone()).collect();
    assert_eq!(ids, vec![Value::from("a"), Value::from("story-1")]);
}

#[test]
fn format_table_is_for_people_and_jsonl_stays_the_default_in_a_pipe() {
    let tmp = TempDir::new("table");
    let f = tmp.0.join("story-1.txt");
    std::fs::write(&f, TEXT).unwrap();
    let out = run(&["label", "--rules-only", "--format", "table", p(&f), "/nonexistent/gone.txt"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("== story-1: "), "{text}");
    assert!(text.contains("call_to_resign") && text.contains("resignation calls:\n  "), "{text}");
    assert!(text.contains("== gone: error: "), "{text}");
    assert!(!text.contains('\u{1b}'), "no colour in a pipe: {text}");
    let out = run(&["label", "--rules-only", p(&f)]);
    assert_eq!(records(&out.stdout).len(), 1, "JSONL when piped");
}

#[test]
fn stats_count_the_documents_and_the_encoder_work() {
    let tmp = TempDir::new("stats");
    std::fs::write(tmp.0.join("a.txt"), TEXT).unwrap();
    std::fs::write(tmp.0.join("b.txt"), "One line.").unwrap();
    let out = run(&["label", "--rules-only", "--stats", "-o", p(&tmp.0.join("out.jsonl")), p(&tmp.0)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let stats: Value = serde_json::from_str(stderr.lines().last().expect("a stats line")).unwrap();
    assert_eq!(stats["documents"], 2);
    assert_eq!(stats["chars"], TEXT.chars().count() + "One line.".len());
    assert!(stats["document_pass"].is_null(), "the rules encode nothing: {stats}");
    assert!(stats["seconds"].as_f64().unwrap() >= stats["load_seconds"].as_f64().unwrap());
}

#[test]
fn a_bad_jsonl_line_yields_an_error_record_and_a_failure_exit() {
    let tmp = TempDir::new("jsonl");
    let f = tmp.0.join("docs.jsonl");
    let lines = [
        serde_json::json!({"id": "d1", "text": TEXT, "title": "T"}).to_string(),
        "{not json".to_string(),
        String::new(),
        serde_json::json!({"id": "d3", "title": "no text"}).to_string(),
        serde_json::json!({"id": 4, "text": "A number id."}).to_string(),
    ];
    std::fs::write(&f, lines.join("\n")).unwrap();
    let out = run(&["label", "--rules-only", p(&f)]);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let recs = records(&out.stdout);
    assert_eq!(recs.len(), 4, "one output line per non-blank input line: {recs:?}");
    assert_eq!(recs[0]["id"], "d1");
    assert_eq!(recs[0]["title"], "T");
    assert!(recs[0].get("error").is_none());
    assert!(recs[1]["id"].is_null());
    assert!(recs[1]["error"].as_str().unwrap().contains(":2:"), "{}", recs[1]);
    assert_eq!(recs[2]["id"], "d3");
    assert!(recs[2]["error"].as_str().unwrap().contains("text"));
    assert_eq!(recs[3]["id"], "4");
    assert!(recs[3].get("error").is_none());
}

#[test]
fn a_missing_file_is_an_error_record() {
    let out = run(&["label", "--rules-only", "/nonexistent/nope.txt"]);
    assert_eq!(out.status.code(), Some(1));
    let recs = records(&out.stdout);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["id"], "nope");
    assert!(recs[0]["error"].is_string());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("nope: /nonexistent/nope.txt: "), "the error is on stderr too: {stderr}");
}

/// `run` with `input` on stdin.
fn run_with_stdin(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn stdin_is_plain_text_or_with_jsonl_records() {
    let out = run_with_stdin(&["label", "--rules-only", "-"], TEXT.as_bytes());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let recs = records(&out.stdout);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["id"], "stdin");
    assert_eq!(recs[0]["chars"], TEXT.chars().count());

    let lines = "{\"id\": \"a\", \"text\": \"One.\"}\n{\"id\": \"b\", \"text\": \"Two.\"}\n";
    let out = run_with_stdin(&["label", "--rules-only", "--jsonl", "-"], lines.as_bytes());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let ids: Vec<Value> = records(&out.stdout).into_iter().map(|r| r["id"].clone()).collect();
    assert_eq!(ids, vec![Value::from("a"), Value::from("b")]);
}

#[test]
fn an_html_page_is_labelled_by_its_article_text() {
    let tmp = TempDir::new("html");
    let para = "Opposition councillors in Northvale have called on the council leader, Cllr Jo Bell, to \
                resign after a critical inspection report into children's services was published.";
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Leader faces calls to quit</title></head>\
         <body><nav><a href=\"/\">Home</a></nav><article><h1>Leader faces calls to quit</h1><p>{para}</p>\
         <p>&ldquo;She must go,&rdquo; said Cllr Tom Price, who leads the Conservative group on the council.</p>\
         </article><footer>Footer text</footer></body></html>"
    );
    std::fs::write(tmp.0.join("page.html"), page).unwrap();
    let out = run(&["label", "--rules-only", p(&tmp.0.join("page.html"))]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let a: quotestance::Annotated = serde_json::from_value(records(&out.stdout)[0].clone()).unwrap();
    assert_eq!(a.id, "page");
    assert_eq!(a.title.as_deref(), Some("Leader faces calls to quit"));
    assert!(a.quotes.iter().any(|q| q.text.contains("She must go")), "{:?}", a.quotes);
    let json = serde_json::to_string(&a).unwrap();
    assert!(!json.contains("<p>") && !json.contains("Footer text"), "markup or page furniture labelled");
}

#[test]
fn a_reader_that_goes_away_ends_the_run_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    let tmp = TempDir::new("pipe");
    let lines: String = (0..3000).map(|i| format!("{{\"id\": \"r{i}\", \"text\": {:?}}}\n", TEXT)).collect();
    std::fs::write(tmp.0.join("many.jsonl"), lines).unwrap();
    let mut child = Command::new(BIN)
        .args(["label", "--rules-only", p(&tmp.0.join("many.jsonl"))])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 100];
    child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
    drop(child.stdout.take()); // as `| head -c 100` does
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "nothing on stderr: {stderr}");
}

#[test]
fn eval_prints_the_metrics() {
    let tmp = TempDir::new("eval");
    let (gold, arts) = (tmp.0.join("gold"), tmp.0.join("articles"));
    std::fs::create_dir_all(&gold).unwrap();
    std::fs::create_dir_all(&arts).unwrap();
    std::fs::write(arts.join("x.txt"), TEXT).unwrap();
    let g = serde_json::json!({"id": "x", "quotes": [{"start": 44, "end": 55, "kind": "direct", "speaker": "Sam Reed",
        "stance": "call_to_resign", "target": "Jo Bell"}], "resignation_calls": [], "persons": ["Sam Reed"]});
    std::fs::write(gold.join("x.json"), g.to_string()).unwrap();
    let pred = tmp.0.join("pred.jsonl");
    std::fs::write(&pred, r#"{"id": "x", "quotes": [{"start": 44, "end": 55, "speaker": {"name": "Mr Reed"}, "stance": "call_to_resign"}]}"#)
        .unwrap();
    let out = run(&["eval", "--gold", p(&gold), "--articles", p(&arts), "--pred", p(&pred)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("articles 1  gold quotes 1  predicted 1  matched 1\n"), "{text}");
    assert!(text.contains("speaker accuracy    1.000"), "{text}");
    assert!(text.contains("confusion"), "{text}");
    let out = run(&["eval", "--gold", p(&gold), "--articles", p(&arts), "--pred", p(&pred), "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["quotes"]["f1"], 1.0);
    assert_eq!(v["confusion"]["call_to_resign->call_to_resign"], 1);
    // without --pred the pipeline labels the articles
    let out = run(&["eval", "--gold", p(&gold), "--articles", p(&arts), "--rules-only", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["articles"], 1);
    assert_eq!(v["quotes"]["gold"], 1);
}

#[test]
fn missing_models_give_one_clear_error_naming_path_and_fix() {
    let tmp = TempDir::new("nomodels");
    let f = tmp.0.join("a.txt");
    std::fs::write(&f, TEXT).unwrap();
    let models = tmp.0.join("no-models-here");
    let out = run(&["label", "--models", "--models-dir", p(&models), p(&f)]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(p(&models)), "names the path: {err}");
    assert!(err.contains("quotestance models install"), "names the fix: {err}");
    assert!(out.stdout.is_empty(), "labels nothing without the models it was asked for");
    // the default (rule layer) needs no models at all
    let out = run(&["label", "--models-dir", p(&models), p(&f)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_byte_order_mark_before_the_first_jsonl_record_is_accepted() {
    let tmp = TempDir::new("bom");
    let f = tmp.0.join("docs.jsonl");
    let mut bytes = b"\xef\xbb\xbf".to_vec();
    bytes.extend(serde_json::json!({"id": "d1", "text": TEXT}).to_string().bytes());
    bytes.push(b'\n');
    bytes.extend(serde_json::json!({"id": "d2", "text": ""}).to_string().bytes());
    std::fs::write(&f, bytes).unwrap();
    let out = run(&["label", "--rules-only", p(&f)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let recs = records(&out.stdout);
    assert_eq!(recs.iter().map(|r| r["id"].clone()).collect::<Vec<_>>(), ["d1", "d2"]);
    assert!(recs.iter().all(|r| r.get("error").is_none()), "{recs:?}");
}

/// `models verify` passes on the installed models and names the file that changed in a copy
/// whose tokenizer was edited after the setup recorded its sha256.
#[test]
fn models_verify_checks_the_recorded_hashes() {
    let installed = quotestance::models::resolve_models_dir(None);
    let manifest = quotestance::models::encoder_dir(&installed).join("MANIFEST.json");
    if !manifest.is_file() || !std::fs::read_to_string(&manifest).unwrap().contains("\"sha256\"") {
        eprintln!("SKIPPED: no models with recorded hashes (quotestance models install)");
        return;
    }
    let out = run(&["models", "verify", "--models-dir", p(&installed)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("match their recorded sha256"));

    let tmp = TempDir::new("verify");
    let enc = tmp.0.join("all-MiniLM-L6-v2");
    std::fs::create_dir_all(&enc).unwrap();
    copy_tree(&quotestance::models::encoder_dir(&installed), &enc);
    let tok = enc.join("tokenizer.json");
    let mut bytes = std::fs::read(&tok).unwrap();
    bytes.push(b' ');
    std::fs::write(&tok, bytes).unwrap();
    let out = run(&["models", "verify", "--models-dir", p(&tmp.0)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("tokenizer.json") && err.contains("changed since it was installed"), "{err}");
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}
