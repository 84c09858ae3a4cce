//! The adversarial corpus (`tests/adversarial/make.py`, invented inputs) through the CLI: every
//! input finishes within a time budget that a linear pipeline meets many times over (a
//! quadratic stage took minutes to hours on these), exits 0 with valid spans, or (for bytes that
//! are not UTF-8) gives an error record, never a panic.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Per input, for this test's unoptimised build on a busy 2-core machine.
const BUDGET: Duration = Duration::from_secs(90);

fn corpus(dir: &Path) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new("python3")
        .arg(root.join("tests/adversarial/make.py"))
        .arg(dir)
        .output()
        .expect("python3 runs tests/adversarial/make.py");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
}

/// Runs `label` on one file; the exit status, stdout and stderr, or a failure past the budget.
fn label(input: &Path, output: &Path) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_quotestance"))
        .args(["label", "--threads", "1", "-o"])
        .arg(output)
        .arg(input)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
            return (status.code(), err);
        }
        if started.elapsed() > BUDGET {
            child.kill().ok();
            panic!("{} took over {BUDGET:?}", input.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn check_spans(name: &str, text: &str, doc: &Value) {
    let chars: Vec<char> = text.chars().collect();
    assert_eq!(doc["chars"].as_u64(), Some(chars.len() as u64), "{name}");
    for q in doc["quotes"].as_array().unwrap() {
        let (s, e) = (q["start"].as_u64().unwrap() as usize, q["end"].as_u64().unwrap() as usize);
        assert!(s < e && e <= chars.len(), "{name}: quote span {s}..{e}");
        let got: String = chars[s..e].iter().collect();
        assert_eq!(got, q["text"].as_str().unwrap(), "{name}: quote text");
    }
    for ent in doc["entities"].as_array().unwrap() {
        let (s, e) = (ent["start"].as_u64().unwrap() as usize, ent["end"].as_u64().unwrap() as usize);
        let got: String = chars[s..e].iter().collect();
        assert_eq!(got, ent["text"].as_str().unwrap(), "{name}: entity text");
    }
}

#[test]
fn every_adversarial_input_is_labelled_in_linear_time_with_valid_spans() {
    let tmp = std::env::temp_dir().join(format!("qs-adversarial-{}", std::process::id()));
    let inputs = corpus(&tmp.join("in"));
    assert!(inputs.len() >= 20, "{inputs:?}");
    for input in &inputs {
        let name = input.file_stem().unwrap().to_string_lossy().into_owned();
        let out = tmp.join(format!("{name}.jsonl"));
        let (code, stderr) = label(input, &out);
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        let line = std::fs::read_to_string(&out).unwrap();
        let doc: Value = serde_json::from_str(line.trim()).unwrap();
        if name == "invalid_utf8" {
            assert_eq!(code, Some(1), "{name}: {stderr}");
            assert!(doc["error"].as_str().unwrap().contains("UTF-8"), "{doc}");
            continue;
        }
        assert_eq!(code, Some(0), "{name}: {stderr}");
        check_spans(&name, &std::fs::read_to_string(input).unwrap(), &doc);
    }
    std::fs::remove_dir_all(&tmp).ok();
}
