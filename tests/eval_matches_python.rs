//! The Rust scorer (`quotestance::eval`) against the reference scorer
//! (`shared/eval/score.py`): every metric must agree within 1e-9, the
//! problems list and the text output exactly.
//!
//! Needs `../shared` beside the repository root (the dev set and score.py)
//! and `python3`; skips with a printed reason otherwise.

use quotestance::eval::{read_predictions, score, score_annotated, to_prediction, GoldSet};
use quotestance::Pipeline;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

/// `../shared` when it holds the dev set and the scorer, and python3 runs.
fn shared() -> Option<PathBuf> {
    let shared = repo_root().join("../shared");
    if !shared.join("dev/gold").is_dir() || !shared.join("eval/score.py").is_file() {
        println!("SKIPPED: {} has no dev/gold or eval/score.py", shared.display());
        return None;
    }
    if !Command::new("python3").arg("--version").output().is_ok_and(|o| o.status.success()) {
        println!("SKIPPED: python3 does not run");
        return None;
    }
    Some(shared)
}

/// A directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let p = std::env::temp_dir().join(format!("qs-eval-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write_jsonl(path: &Path, records: &[Value]) {
    let body: String = records.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(path, body).unwrap();
}

fn python(shared: &Path, gold: &Path, articles: &Path, pred: &Path, threshold: f64, json: bool) -> String {
    let mut cmd = Command::new("python3");
    cmd.arg(shared.join("eval/score.py"))
        .args(["--gold".as_ref(), gold.as_os_str(), "--articles".as_ref(), articles.as_os_str()])
        .args(["--pred".as_ref(), pred.as_os_str()])
        .args(["--threshold", &threshold.to_string()]);
    if json {
        cmd.arg("--json");
    }
    let out = cmd.output().expect("python3 runs");
    assert!(out.status.success(), "score.py failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Every value of Python's result is in Rust's: numbers within 1e-9, the rest equal.
fn assert_same(py: &Value, rs: &Value, at: &str) {
    match (py, rs) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            assert!((a - b).abs() <= 1e-9, "{at}: python {a} != rust {b}");
        }
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                let w = b.get(k).unwrap_or_else(|| panic!("{at}.{k}: missing in the Rust report"));
                assert_same(v, w, &format!("{at}.{k}"));
            }
            // the confusion map must hold the same pairs, no more
            if at.ends_with("confusion") {
                assert_eq!(a.len(), b.len(), "{at}: python {a:?} rust {b:?}");
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{at}: python {py} rust {rs}");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                assert_same(x, y, &format!("{at}[{i}]"));
            }
        }
        _ => assert_eq!(py, rs, "{at}"),
    }
}

/// Scores `records` with both scorers and compares; returns the Rust report.
fn check(shared: &Path, gold: &Path, articles: &Path, records: &[Value], threshold: f64) -> Value {
    let tmp = TempDir::new("pred");
    let pred = tmp.0.join("pred.jsonl");
    write_jsonl(&pred, records);
    let set = GoldSet::load(gold, articles).unwrap();
    let report = score(&set, &read_predictions(&pred).unwrap(), threshold);
    let rs = serde_json::to_value(&report).unwrap();
    let py: Value = serde_json::from_str(&python(shared, gold, articles, &pred, threshold, true)).unwrap();
    assert_same(&py, &rs, "report");
    // the text output, line for line
    assert_eq!(python(shared, gold, articles, &pred, threshold, false), report.to_text());
    // the confusion matrix holds the matched quotes of the four stances
    let total: usize = report.confusion_matrix.iter().flatten().sum();
    let known: usize = report
        .confusion
        .iter()
        .filter(|(k, _)| k.split("->").all(|s| quotestance::Stance::parse(s).is_some()))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(total, known);
    rs
}

#[test]
fn pipeline_predictions_on_dev_match_python() {
    let Some(shared) = shared() else { return };
    let (gold, articles) = (shared.join("dev/gold"), shared.join("dev/articles"));
    let set = GoldSet::load(&gold, &articles).unwrap();
    assert!(!set.articles.is_empty());
    let nlp = Pipeline::rules();
    let annotated: Vec<_> = set.documents().iter().map(|d| nlp.annotate(d).unwrap()).collect();
    let records: Vec<Value> = annotated.iter().map(to_prediction).collect();
    let rs = check(&shared, &gold, &articles, &records, 0.5);
    assert_eq!(rs, serde_json::to_value(score_annotated(&set, &annotated, 0.5)).unwrap());
}

/// Predictions made from the gold itself, then bent: honorifics, shifted and
/// overlapping spans, wrong stances, bad spans, odd value types, a missing article.
fn tricky_records(set: &GoldSet) -> Vec<Value> {
    let mut recs = Vec::new();
    for (ai, art) in set.articles.iter().enumerate() {
        if ai == 0 {
            continue; // no prediction for the first article
        }
        let mut quotes = Vec::new();
        for (qi, g) in art.quotes.iter().enumerate() {
            let (s, e) = (g.start as i64, g.end as i64);
            let len = e - s;
            let surname = g.speaker.as_deref().and_then(|n| n.split_whitespace().last()).unwrap_or("x");
            let speaker = match qi % 6 {
                0 => json!({"name": g.speaker}),
                1 => json!({"name": format!("Cllr {surname}")}),
                2 => json!(format!("Mr. {surname}")),
                3 => json!({"name": "", "text": format!("Dr {surname}")}),
                4 => json!({"name": "The Rt Hon someone else"}),
                _ => Value::Null,
            };
            let stance = match qi % 5 {
                0 | 1 => json!(g.stance),
                2 => json!("other"),
                3 => json!("call_to_resign"),
                _ => json!("defence"),
            };
            let target = match qi % 4 {
                0 => json!({"name": g.target}),
                1 => json!(g.target.as_deref().map(|t| format!("Councillor {t}"))),
                2 => json!({"text": "nobody at all"}),
                _ => Value::Null,
            };
            let mut q = json!({"kind": "direct", "speaker": speaker, "stance": stance, "target": target});
            let span = match qi % 7 {
                0 => (s, e),
                1 => (s + len / 2, e),       // Jaccard about 0.5: on the threshold or just below
                2 => (s - len / 3, e),       // longer
                3 => (s + 1, e - 1),         // shorter
                4 => (s, s + (len - 1) / 2), // under half
                5 => (s + len / 4, e + len / 4), // shifted
                _ => (s, e),
            };
            q["start"] = json!(span.0);
            q["end"] = json!(span.1);
            if qi % 3 == 0 {
                // a second, overlapping prediction contending for the same gold quote
                let mut dup = q.clone();
                dup["start"] = json!(s + len / 5);
                dup["stance"] = json!("rebuttal");
                quotes.push(dup);
            }
            if qi % 8 == 7 {
                q.as_object_mut().unwrap().remove("stance"); // missing stance counts as other
            }
            quotes.push(q);
        }
        let n = art.chars as i64;
        for (s, e) in [
            (json!(-1), json!(5)),
            (json!(3), json!(3)),
            (json!(n - 2), json!(n + 1)),
            (json!(2.0), json!(9)),
            (json!("4"), json!(8)),
            (Value::Null, json!(8)),
            (json!(true), json!(n)), // Python counts True as 1: a valid span
            (json!(10), json!(false)),
        ] {
            quotes.push(json!({"start": s, "end": e, "stance": "call_to_resign"}));
        }
        quotes.push(json!({"start": 0, "end": 2, "stance": "made_up"}));
        quotes.push(json!({"start": 0, "end": 1}));
        // (a `"stance": null` would crash score.py when it sorts the confusion pairs)
        let mut calls: Vec<Value> = art
            .resignation_calls
            .iter()
            .flat_map(|(c, t)| {
                let c = c.clone().unwrap_or_default();
                let t = t.clone().unwrap_or_default();
                vec![
                    json!({"caller": {"name": format!("Cllr {c}")}, "target": format!("Mr {t}")}),
                    json!({"caller": c, "target": t}), // a duplicate: a false alarm once the pair is used
                    json!({"caller": t, "target": c}), // reversed
                ]
            })
            .collect();
        calls.push(json!({"caller": Value::Null, "target": "Someone"}));
        let mut entities: Vec<Value> = art
            .persons
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let p = p.clone().unwrap_or_default();
                match i % 4 {
                    0 => json!({"label": "PERSON", "text": p, "canonical": p}),
                    1 => json!({"label": "per", "text": format!("Cllr {p}"), "canonical": ""}),
                    2 => json!({"label": "PERSON", "text": p.split_whitespace().last()}),
                    _ => json!({"label": "ORG", "text": p}),
                }
            })
            .collect();
        entities.push(json!({"label": "PERSON", "text": "Zebedee Quorn", "canonical": "Zebedee Quorn"}));
        entities.push(json!({"label": "PERSON", "text": "Zebedee Quorn"}));
        entities.push(json!({"label": "PERSON"}));
        entities.push(json!({"label": "PERSON", "text": ""}));
        if ai == 1 {
            // an earlier record of the same id is overridden by the later one
            recs.push(json!({"id": art.name, "quotes": [{"start": 0, "end": 1}]}));
        }
        recs.push(json!({"id": art.name, "quotes": quotes, "resignation_calls": calls, "entities": entities}));
    }
    recs.push(json!({"id": "not_in_gold", "quotes": []}));
    recs
}

#[test]
fn tricky_predictions_on_dev_match_python() {
    let Some(shared) = shared() else { return };
    let (gold, articles) = (shared.join("dev/gold"), shared.join("dev/articles"));
    let set = GoldSet::load(&gold, &articles).unwrap();
    let records = tricky_records(&set);
    for threshold in [0.5, 0.3, 0.9] {
        let rs = check(&shared, &gold, &articles, &records, threshold);
        assert!(rs["quotes"]["matched"].as_u64().unwrap() > 0, "the test should match some quotes");
        assert!(!rs["problems"].as_array().unwrap().is_empty());
    }
    // gold copied exactly scores perfectly on quotes
    let perfect: Vec<Value> = set
        .articles
        .iter()
        .map(|a| {
            let q: Vec<Value> = a
                .quotes
                .iter()
                .map(|g| json!({"start": g.start, "end": g.end, "speaker": g.speaker, "stance": g.stance, "target": g.target}))
                .collect();
            json!({"id": a.name, "quotes": q})
        })
        .collect();
    let rs = check(&shared, &gold, &articles, &perfect, 0.5);
    assert_eq!(rs["quotes"]["f1"], json!(1.0));
    assert_eq!(rs["stance_accuracy_on_matched"], json!(1.0));
}

/// The same bent predictions on the team corpus (`data/corpus`, whatever it holds).
#[test]
fn tricky_predictions_on_team_corpus_match_python() {
    let Some(shared) = shared() else { return };
    let corpus = repo_root().join("data/corpus");
    let (gold, articles) = (corpus.join("gold"), corpus.join("articles"));
    let set = match GoldSet::load(&gold, &articles) {
        Ok(s) if !s.articles.is_empty() => s,
        _ => {
            println!("SKIPPED: no team corpus in {} (run python3 tools/corpus.py)", corpus.display());
            return;
        }
    };
    let mut records = tricky_records(&set);
    let nlp = Pipeline::rules();
    records.extend(set.documents().iter().take(1).map(|d| to_prediction(&nlp.annotate(d).unwrap())));
    check(&shared, &gold, &articles, &records, 0.5);
}

/// A made-up gold set: CRLF text, non-ASCII text (code points != bytes), a
/// gold id that differs from the file name, duplicate gold spans (tie-breaking).
#[test]
fn synthetic_gold_matches_python() {
    let Some(shared) = shared() else { return };
    let tmp = TempDir::new("gold");
    let (gold, articles) = (tmp.0.join("gold"), tmp.0.join("articles"));
    std::fs::create_dir_all(&gold).unwrap();
    std::fs::create_dir_all(&articles).unwrap();
    let a = "Opposition members called for Cllr Ann Ríos to resign.\r\n\r\n“She must go now,” said Bob Ng.\r\nMs Ríos said: “I will not quit.” 🙂\r\n";
    let b = "Zoë Park, a spokeswoman, said the mayor “has our support”.\nThe mayor said she would stay.";
    std::fs::write(articles.join("a1.txt"), a).unwrap();
    std::fs::write(articles.join("b2.txt"), b).unwrap();
    let span = |t: &str, s: &str| {
        let text = t.replace("\r\n", "\n");
        let byte = text.find(s).unwrap();
        let start = text[..byte].chars().count();
        (start, start + s.chars().count())
    };
    let (s1, e1) = span(a, "Cllr Ann Ríos to resign");
    let (s2, e2) = span(a, "She must go now");
    let (s3, e3) = span(a, "I will not quit.");
    let ga = json!({"id": "a1", "quotes": [
        {"start": s1, "end": e1, "kind": "indirect", "speaker": "opposition members", "stance": "call_to_resign", "target": "Ann Ríos"},
        {"start": s2, "end": e2, "kind": "direct", "speaker": "Bob Ng", "stance": "call_to_resign", "target": "Ann Ríos"},
        {"start": s2, "end": e2, "kind": "direct", "speaker": "Robert Ng", "stance": "other", "target": null},
        {"start": s3, "end": e3, "kind": "direct", "speaker": "Ann Ríos", "stance": "rebuttal", "target": "Ann Ríos"}],
        "resignation_calls": [{"caller": "Bob Ng", "target": "Ann Ríos"}, {"caller": "opposition members", "target": "Ann Ríos"}],
        "persons": ["Ann Ríos", "Bob Ng"]});
    let (t1, u1) = span(b, "has our support");
    let (t2, u2) = span(b, "she would stay");
    let gb = json!({"id": "b2-other-id", "quotes": [
        {"start": t1, "end": u1, "kind": "direct", "speaker": "Zoë Park", "stance": "defence", "target": "the mayor"},
        {"start": t2, "end": u2, "kind": "indirect", "speaker": "the mayor", "stance": "rebuttal", "target": "the mayor"}],
        "resignation_calls": [], "persons": ["Zoë Park"]});
    std::fs::write(gold.join("a1.json"), ga.to_string()).unwrap();
    std::fs::write(gold.join("b2.json"), gb.to_string()).unwrap();
    let n = a.replace("\r\n", "\n").chars().count();
    let records = vec![
        json!({"id": "a1", "quotes": [
            {"start": s2, "end": e2, "speaker": {"name": "Mr Ng"}, "stance": "call_to_resign", "target": {"name": "Cllr Ríos"}},
            {"start": s1 + 5, "end": e1, "speaker": {"name": "the opposition"}, "stance": "call_to_resign", "target": {"name": "Ann Rios"}},
            {"start": s3, "end": n, "speaker": {"name": "Ríos"}, "stance": "rebuttal", "target": null},
            {"start": n - 1, "end": n, "stance": "other"},
            {"start": n, "end": n + 1, "stance": "other"}],
         "resignation_calls": [{"caller": "Bob Ng", "target": "Ríos"}, {"caller": "Opposition Members", "target": "Ann Ríos"}],
         "entities": [{"label": "PERSON", "text": "Ann Ríos"}, {"label": "PERSON", "text": "Ng", "canonical": "Bob Ng"}]}),
        json!({"id": "b2-other-id", "quotes": [
            {"start": t1, "end": u1, "speaker": "Zoe Park", "stance": "defence", "target": "mayor"}],
         "entities": [{"label": "PER", "text": "Zoë Park"}]}),
    ];
    for threshold in [0.5, 0.2] {
        check(&shared, &gold, &articles, &records, threshold);
    }
    // nothing predicted at all
    check(&shared, &gold, &articles, &[], 0.5);
}
