//! Evaluation against gold annotations: a faithful port of the reference
//! scorer `shared/eval/score.py`.
//!
//! Same data (gold `NAME.json` beside article `NAME.txt`, predictions as JSON
//! records or [`Annotated`]), same rules (greedy one-to-one matching of quote
//! spans by Jaccard overlap, [`same_agent`] with the same honorifics, stance
//! per-class F1 end to end, ...) and the same numbers, to the last bit: the
//! test `tests/eval_matches_python.rs` runs both and compares them.
//!
//! Python quirks kept on purpose: article text is read with universal
//! newlines (`\r\n` and `\r` count as one `\n`, as `Path.read_text` does), a
//! JSON `true`/`false` offset counts as the integer 1/0 (`isinstance(True,
//! int)`), a missing `stance` is `other`, and the last of several prediction
//! records with one id wins.
//!
//! ```no_run
//! use quotestance::eval::{GoldSet, score_annotated};
//! use quotestance::Pipeline;
//! let gold = GoldSet::load("data/corpus/gold", "data/corpus/articles").unwrap();
//! let nlp = Pipeline::rules();
//! let preds: Vec<_> = gold.documents().iter().map(|d| nlp.annotate(d).unwrap()).collect();
//! let report = score_annotated(&gold, &preds, 0.5);
//! print!("{}", report.to_text());
//! ```

use crate::error::{Error, Result};
use crate::model::{Annotated, Document, QuoteKind, Stance};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The four stances, in the order of the reference scorer.
pub const STANCES: [&str; 4] = ["call_to_resign", "defence", "rebuttal", "other"];
/// The stances whose F1 is averaged into the headline macro-F1.
pub const KEY_STANCES: [&str; 3] = ["call_to_resign", "defence", "rebuttal"];
/// Words dropped from names before comparing them (score.py's `HONORIFICS`).
pub const HONORIFICS: [&str; 31] = [
    "cllr",
    "councillor",
    "coun",
    "cr",
    "mr",
    "mrs",
    "ms",
    "miss",
    "dr",
    "sir",
    "dame",
    "lord",
    "lady",
    "baroness",
    "prof",
    "professor",
    "rep",
    "sen",
    "senator",
    "the",
    "rt",
    "hon",
    "mp",
    "mayor",
    "president",
    "premier",
    "minister",
    "chief",
    "commissioner",
    "cabinet",
    "member",
];
/// The default Jaccard threshold of quote matching.
pub const DEFAULT_THRESHOLD: f64 = 0.5;

// ---------------------------------------------------------------------------
// Matching rules
// ---------------------------------------------------------------------------

/// The words of a name: lowercased, `’` read as `'`, runs of `[a-z0-9']`,
/// honorifics dropped.
pub fn tokens(name: &str) -> Vec<String> {
    let lower = name.to_lowercase().replace('\u{2019}', "'");
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in lower.chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '\'' {
            cur.push(c);
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out.retain(|w| !HONORIFICS.contains(&w.as_str()));
    out
}

/// Person names agree on the surname (and the first initial when both give
/// more than one word); descriptions on half of their distinct words.
pub fn same_agent(gold: Option<&str>, pred: Option<&str>) -> bool {
    let g = gold.map(tokens).unwrap_or_default();
    let p = pred.map(tokens).unwrap_or_default();
    if g.is_empty() || p.is_empty() {
        return false;
    }
    if g == p {
        return true;
    }
    let first = |v: &[String]| v[0].chars().next();
    if g[g.len() - 1] == p[p.len() - 1] && (g.len() == 1 || p.len() == 1 || first(&g) == first(&p)) {
        return true;
    }
    let gs: HashSet<&str> = g.iter().map(String::as_str).collect();
    let ps: HashSet<&str> = p.iter().map(String::as_str).collect();
    let inter = gs.intersection(&ps).count();
    let union = gs.union(&ps).count();
    inter as f64 / union as f64 >= 0.5
}

/// Greedy one-to-one matching of spans `(start, end)` by Jaccard overlap >=
/// `threshold`: best overlap first, ties to the higher gold index, then the
/// higher predicted index (Python's `sort(reverse=True)` of `(jac, gi, pi)`).
/// Returns `(gold index, predicted index)` pairs in matching order.
pub fn match_quotes(gold: &[(i128, i128)], pred: &[(i128, i128)], threshold: f64) -> Vec<(usize, usize)> {
    let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
    for (gi, g) in gold.iter().enumerate() {
        for (pi, p) in pred.iter().enumerate() {
            let inter = overlap(*g, *p);
            if inter == 0 {
                continue;
            }
            let union = g.1.max(p.1) - g.0.min(p.0);
            let jac = inter as f64 / union as f64;
            if jac >= threshold {
                pairs.push((jac, gi, pi));
            }
        }
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)).then(b.2.cmp(&a.2)));
    let (mut used_g, mut used_p) = (HashSet::new(), HashSet::new());
    let mut matched = Vec::new();
    for (_, gi, pi) in pairs {
        if used_g.contains(&gi) || used_p.contains(&pi) {
            continue;
        }
        used_g.insert(gi);
        used_p.insert(pi);
        matched.push((gi, pi));
    }
    matched
}

fn overlap(a: (i128, i128), b: (i128, i128)) -> i128 {
    (a.1.min(b.1) - a.0.max(b.0)).max(0)
}

/// Precision, recall and F1 of counts (0 where undefined).
pub fn prf(tp: usize, fp: usize, fn_: usize) -> (f64, f64, f64) {
    let (tp, fp, fn_) = (tp as f64, fp as f64, fn_ as f64);
    let p = if tp + fp > 0.0 { tp / (tp + fp) } else { 0.0 };
    let r = if tp + fn_ > 0.0 { tp / (tp + fn_) } else { 0.0 };
    let f = if p + r > 0.0 { 2.0 * p * r / (p + r) } else { 0.0 };
    (p, r, f)
}

// ---------------------------------------------------------------------------
// Python value semantics
// ---------------------------------------------------------------------------

/// Python's `str()` of a JSON value as `json.loads` gives it.
pub fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => py_repr(other),
    }
}

fn py_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (None, Some(u), _) => u.to_string(),
            (_, _, Some(f)) => py_float_repr(f),
            _ => n.to_string(),
        },
        Value::String(s) => {
            if s.contains('\'') && !s.contains('"') {
                format!("\"{s}\"")
            } else {
                format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
            }
        }
        Value::Array(a) => format!("[{}]", a.iter().map(py_repr).collect::<Vec<_>>().join(", ")),
        Value::Object(o) => format!(
            "{{{}}}",
            o.iter()
                .map(|(k, v)| format!("{}: {}", py_repr(&Value::String(k.clone())), py_repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Python's `repr()` of a float (shortest round-trip digits, exponent form
/// below 1e-4 and from 1e16).
pub fn py_float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0".into() } else { "0.0".into() };
    }
    let sci = format!("{x:e}");
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..16).contains(&exp) {
        let s = format!("{x}");
        if s.contains('.') {
            s
        } else {
            format!("{s}.0")
        }
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mant}e{sign}{:02}", exp.abs())
    }
}

/// Python truthiness of a JSON value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// A name as `tokens()` sees it: `None` for a falsy value (no tokens).
fn name_of(v: Option<&Value>) -> Option<String> {
    match v {
        Some(v) if truthy(v) => Some(py_str(v)),
        _ => None,
    }
}

/// score.py's `agent_name`: a `{"name"}` (or `{"text"}`) object, or any value
/// as a string.
pub fn agent_name(v: Option<&Value>) -> Option<String> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::Object(o)) => match o.get("name") {
            Some(n) if truthy(n) => Some(py_str(n)),
            _ => name_of(o.get("text")),
        },
        Some(other) => name_of(Some(&Value::String(py_str(other)))),
    }
}

/// A prediction offset: a JSON integer (or bool, which Python counts as one).
fn py_int(v: Option<&Value>) -> Option<i128> {
    match v? {
        Value::Bool(b) => Some(*b as i128),
        Value::Number(n) => n.as_i64().map(i128::from).or_else(|| n.as_u64().map(i128::from)),
        _ => None,
    }
}

/// Python's universal-newline reading of a text file.
pub fn universal_newlines(text: &str) -> String {
    if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text.to_string()
    }
}

// ---------------------------------------------------------------------------
// Gold
// ---------------------------------------------------------------------------

/// One gold quote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoldQuote {
    pub start: i128,
    pub end: i128,
    pub kind: Option<String>,
    pub speaker: Option<String>,
    pub stance: String,
    pub target: Option<String>,
}

/// One gold article with its text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoldArticle {
    /// The file stem of `NAME.json` / `NAME.txt`.
    pub name: String,
    /// `str(gold["id"])`.
    pub id: String,
    /// The article text (universal newlines, as Python reads it).
    pub text: String,
    /// Length of `text` in code points.
    pub chars: usize,
    pub quotes: Vec<GoldQuote>,
    /// `(caller, target)` pairs.
    pub resignation_calls: Vec<(Option<String>, Option<String>)>,
    pub persons: Vec<Option<String>>,
}

/// All gold articles of a directory, sorted by file name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GoldSet {
    pub articles: Vec<GoldArticle>,
}

fn field<'a>(o: &'a Value, key: &str, path: &Path, what: &str) -> Result<&'a Value> {
    o.get(key).ok_or_else(|| Error::Input(format!("{}: {what} has no {key:?}", path.display())))
}

impl GoldSet {
    /// Loads every `*.json` of `gold_dir` and its `NAME.txt` from `articles_dir`.
    pub fn load(gold_dir: impl AsRef<Path>, articles_dir: impl AsRef<Path>) -> Result<GoldSet> {
        let (gold_dir, articles_dir) = (gold_dir.as_ref(), articles_dir.as_ref());
        let rd = std::fs::read_dir(gold_dir).map_err(|e| Error::io(gold_dir, e))?;
        let mut files: Vec<PathBuf> = Vec::new();
        for ent in rd {
            let p = ent.map_err(|e| Error::io(gold_dir, e))?.path();
            if p.extension().is_some_and(|x| x == "json") && p.is_file() {
                files.push(p);
            }
        }
        // Python sorts Path objects by their string; file names share the directory.
        files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
        let mut articles = Vec::new();
        for gf in files {
            let name = gf.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let raw = std::fs::read_to_string(&gf).map_err(|e| Error::io(&gf, e))?;
            let gold: Value =
                serde_json::from_str(&raw).map_err(|e| Error::Input(format!("{}: invalid JSON: {e}", gf.display())))?;
            let tp = articles_dir.join(format!("{name}.txt"));
            let text = universal_newlines(&std::fs::read_to_string(&tp).map_err(|e| Error::io(&tp, e))?);
            articles.push(GoldArticle::from_json(&name, &gold, text, &gf)?);
        }
        Ok(GoldSet { articles })
    }

    /// The articles as documents to label (id = file name).
    pub fn documents(&self) -> Vec<Document> {
        self.articles.iter().map(|a| Document::new(a.name.clone(), a.text.clone())).collect()
    }
}

impl GoldArticle {
    /// Reads a gold record (the shared format) for the article `name`.
    pub fn from_json(name: &str, gold: &Value, text: String, path: &Path) -> Result<GoldArticle> {
        let arr = |v: Option<&Value>| v.and_then(Value::as_array).cloned().unwrap_or_default();
        let quotes_v = field(gold, "quotes", path, "gold")?;
        let mut quotes = Vec::new();
        for (i, q) in quotes_v.as_array().into_iter().flatten().enumerate() {
            let what = format!("quote {i}");
            let num = |k: &str| -> Result<i128> {
                py_int(Some(field(q, k, path, &what)?))
                    .ok_or_else(|| Error::Input(format!("{}: {what}: {k} is not an integer", path.display())))
            };
            quotes.push(GoldQuote {
                start: num("start")?,
                end: num("end")?,
                kind: q.get("kind").and_then(Value::as_str).map(str::to_string),
                speaker: name_of(Some(field(q, "speaker", path, &what)?)),
                stance: py_str(field(q, "stance", path, &what)?),
                target: name_of(q.get("target")),
            });
        }
        let mut calls = Vec::new();
        for (i, c) in arr(gold.get("resignation_calls")).iter().enumerate() {
            let what = format!("resignation call {i}");
            calls.push((
                name_of(Some(field(c, "caller", path, &what)?)),
                name_of(Some(field(c, "target", path, &what)?)),
            ));
        }
        let persons = arr(gold.get("persons")).iter().map(|p| name_of(Some(p))).collect();
        let chars = text.chars().count();
        Ok(GoldArticle {
            name: name.to_string(),
            id: py_str(gold.get("id").unwrap_or(&Value::Null)),
            text,
            chars,
            quotes,
            resignation_calls: calls,
            persons,
        })
    }
}

// ---------------------------------------------------------------------------
// Predictions
// ---------------------------------------------------------------------------

/// Reads a prediction file: one JSON object a line (blank lines skipped).
pub fn read_predictions(path: impl AsRef<Path>) -> Result<Vec<Value>> {
    let path = path.as_ref();
    let raw = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse_predictions(&raw).map_err(|e| Error::Input(format!("{}: {e}", path.display())))
}

/// Parses prediction JSONL text.
pub fn parse_predictions(raw: &str) -> std::result::Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for (i, line) in universal_newlines(raw).lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line).map_err(|e| format!("line {}: invalid JSON: {e}", i + 1))?;
        if !v.is_object() {
            return Err(format!("line {}: not a JSON object", i + 1));
        }
        out.push(v);
    }
    Ok(out)
}

/// The shared prediction record of a labelled article: quotes (code-point
/// offsets; `mixed` reported as `direct`), resignation calls and entities.
pub fn to_prediction(a: &Annotated) -> Value {
    let quotes: Vec<Value> = a
        .quotes
        .iter()
        .map(|q| {
            json!({
                "start": q.span.start,
                "end": q.span.end,
                "kind": match q.kind { QuoteKind::Indirect => "indirect", QuoteKind::Direct | QuoteKind::Mixed => "direct" },
                "speaker": q.speaker.as_ref().map(|s| json!({"name": s.name})),
                "stance": q.stance.as_str(),
                "target": q.target.as_ref().map(|t| json!({"name": t.name})),
            })
        })
        .collect();
    let calls: Vec<Value> =
        a.resignation_calls.iter().map(|c| json!({"caller": c.caller, "target": c.target})).collect();
    let entities: Vec<Value> = a
        .entities
        .iter()
        .map(|e| {
            json!({
                "start": e.span.start,
                "end": e.span.end,
                "label": e.label.as_str(),
                "text": e.text,
                "canonical": e.canonical,
            })
        })
        .collect();
    json!({"id": a.id, "quotes": quotes, "resignation_calls": calls, "entities": entities})
}

// ---------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------

/// Quote detection counts and scores.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QuoteScores {
    pub gold: usize,
    pub pred: usize,
    pub matched: usize,
    pub p: f64,
    pub r: f64,
    pub f1: f64,
    pub jaccard_threshold: f64,
}

/// Precision, recall and F1.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Prf {
    pub p: f64,
    pub r: f64,
    pub f1: f64,
}

/// F1 of each stance, end to end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct StanceF1 {
    pub call_to_resign: f64,
    pub defence: f64,
    pub rebuttal: f64,
    pub other: f64,
}

impl StanceF1 {
    /// `(label, F1)` in [`STANCES`] order.
    pub fn iter(&self) -> [(&'static str, f64); 4] {
        [
            ("call_to_resign", self.call_to_resign),
            ("defence", self.defence),
            ("rebuttal", self.rebuttal),
            ("other", self.other),
        ]
    }
}

/// People found among PERSON entities.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct PeopleScores {
    pub recall: f64,
    pub precision: f64,
}

/// Counts and scores of one stance class (end to end).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassScores {
    pub stance: String,
    pub tp: usize,
    pub fp: usize,
    #[serde(rename = "fn")]
    pub fn_: usize,
    /// Gold quotes of this class.
    pub support: usize,
    pub p: f64,
    pub r: f64,
    pub f1: f64,
}

/// The result of an evaluation. Serialises to score.py's `--json` output
/// plus `stance_per_class`, `confusion_matrix` and `confusion_labels`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub articles: usize,
    pub quotes: QuoteScores,
    pub speaker_accuracy: f64,
    pub stance_accuracy_on_matched: f64,
    pub stance_f1: StanceF1,
    pub stance_macro_f1_key: f64,
    pub target_accuracy: f64,
    pub resignation_calls: Prf,
    pub people: PeopleScores,
    /// `"gold->predicted"`: count, over matched quotes (any label the prediction used).
    pub confusion: BTreeMap<String, usize>,
    pub problems: Vec<String>,
    /// Per-class P/R/F1 in [`STANCES`] order.
    pub stance_per_class: Vec<ClassScores>,
    /// Matched quotes: row = gold stance, column = predicted, in [`STANCES`] order.
    pub confusion_matrix: [[usize; 4]; 4],
    /// The row/column labels of `confusion_matrix`.
    pub confusion_labels: [String; 4],
}

/// One prediction quote with a valid span.
struct PredQuote {
    start: i128,
    end: i128,
    stance: String,
    speaker: Option<String>,
    target: Option<String>,
}

/// Scores prediction records (the shared JSON format) against the gold.
pub fn score(gold: &GoldSet, preds: &[Value], threshold: f64) -> Report {
    let mut by_id: HashMap<String, &Value> = HashMap::new();
    for rec in preds {
        by_id.insert(py_str(rec.get("id").unwrap_or(&Value::Null)), rec);
    }
    let empty = Value::Object(Map::new());
    let mut c: HashMap<&'static str, usize> = HashMap::new();
    let inc = |c: &mut HashMap<&'static str, usize>, k: &'static str, n: usize| *c.entry(k).or_default() += n;
    let (mut stance_tp, mut stance_fp, mut stance_fn) =
        (HashMap::<String, usize>::new(), HashMap::<String, usize>::new(), HashMap::<String, usize>::new());
    let mut support: HashMap<String, usize> = HashMap::new();
    let mut confusion: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut problems = Vec::new();

    for art in &gold.articles {
        let name = &art.name;
        let pred = [by_id.get(name.as_str()), by_id.get(art.id.as_str())]
            .into_iter()
            .flatten()
            .copied()
            .find(|v| truthy(v))
            .unwrap_or(&empty);
        if !truthy(pred) {
            problems.push(format!("{name}: no prediction"));
        }
        let gq = &art.quotes;
        let mut pq: Vec<PredQuote> = Vec::new();
        if let Some(qs) = pred.get("quotes").and_then(Value::as_array) {
            for q in qs {
                let (sv, ev) = (q.get("start"), q.get("end"));
                match (py_int(sv), py_int(ev)) {
                    (Some(s), Some(e)) if 0 <= s && s < e && e <= art.chars as i128 => pq.push(PredQuote {
                        start: s,
                        end: e,
                        stance: q.get("stance").map(py_str).unwrap_or_else(|| "other".into()),
                        speaker: agent_name(q.get("speaker")),
                        target: agent_name(q.get("target")),
                    }),
                    _ => {
                        let show = |v: Option<&Value>| py_str(v.unwrap_or(&Value::Null));
                        problems.push(format!("{name}: bad span {}..{}", show(sv), show(ev)));
                    }
                }
            }
        }
        let gspans: Vec<(i128, i128)> = gq.iter().map(|g| (g.start, g.end)).collect();
        let pspans: Vec<(i128, i128)> = pq.iter().map(|p| (p.start, p.end)).collect();
        let matched = match_quotes(&gspans, &pspans, threshold);
        inc(&mut c, "gold_quotes", gq.len());
        inc(&mut c, "pred_quotes", pq.len());
        inc(&mut c, "matched", matched.len());
        let mg: HashSet<usize> = matched.iter().map(|m| m.0).collect();
        let mp: HashSet<usize> = matched.iter().map(|m| m.1).collect();
        for g in gq {
            *support.entry(g.stance.clone()).or_default() += 1;
        }
        for &(gi, pi) in &matched {
            let (g, p) = (&gq[gi], &pq[pi]);
            inc(&mut c, "speaker_total", 1);
            if same_agent(g.speaker.as_deref(), p.speaker.as_deref()) {
                inc(&mut c, "speaker_ok", 1);
            }
            *confusion.entry((g.stance.clone(), p.stance.clone())).or_default() += 1;
            if p.stance == g.stance {
                inc(&mut c, "stance_ok", 1);
                *stance_tp.entry(p.stance.clone()).or_default() += 1;
                if g.stance != "other" {
                    inc(&mut c, "target_total", 1);
                    if same_agent(g.target.as_deref(), p.target.as_deref()) {
                        inc(&mut c, "target_ok", 1);
                    }
                }
            } else {
                *stance_fp.entry(p.stance.clone()).or_default() += 1;
                *stance_fn.entry(g.stance.clone()).or_default() += 1;
            }
        }
        for (gi, g) in gq.iter().enumerate() {
            if !mg.contains(&gi) {
                *stance_fn.entry(g.stance.clone()).or_default() += 1;
            }
        }
        for (pi, p) in pq.iter().enumerate() {
            if !mp.contains(&pi) {
                *stance_fp.entry(p.stance.clone()).or_default() += 1;
            }
        }

        // resignation calls: (caller, target) pairs, each gold pair used once
        let pred_calls: Vec<(Option<String>, Option<String>)> = pred
            .get("resignation_calls")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|x| (agent_name(x.get("caller")), agent_name(x.get("target"))))
            .collect();
        let mut used: HashSet<usize> = HashSet::new();
        for pc in &pred_calls {
            let hit = art.resignation_calls.iter().enumerate().position(|(i, gc)| {
                !used.contains(&i)
                    && same_agent(gc.0.as_deref(), pc.0.as_deref())
                    && same_agent(gc.1.as_deref(), pc.1.as_deref())
            });
            match hit {
                None => inc(&mut c, "calls_fp", 1),
                Some(i) => {
                    used.insert(i);
                    inc(&mut c, "calls_tp", 1);
                }
            }
        }
        inc(&mut c, "calls_fn", art.resignation_calls.len() - used.len());

        // people: gold person names against predicted PERSON entities (a set)
        let mut pred_people: BTreeSet<(String, Option<String>)> = BTreeSet::new();
        for e in pred.get("entities").and_then(Value::as_array).into_iter().flatten() {
            let label = py_str(e.get("label").unwrap_or(&Value::String(String::new()))).to_uppercase();
            if label != "PERSON" && label != "PER" {
                continue;
            }
            let v = match e.get("canonical") {
                Some(c) if truthy(c) => Some(c),
                _ => e.get("text"),
            };
            match v {
                None | Some(Value::Null) => {}
                // key: the value (typed, as a Python set would tell them apart); name: what tokens() sees
                Some(v) => {
                    pred_people.insert((py_repr(v), name_of(Some(v))));
                }
            }
        }
        let found = art
            .persons
            .iter()
            .filter(|gp| pred_people.iter().any(|pp| same_agent(gp.as_deref(), pp.1.as_deref())))
            .count();
        let right = pred_people
            .iter()
            .filter(|pp| art.persons.iter().any(|gp| same_agent(gp.as_deref(), pp.1.as_deref())))
            .count();
        inc(&mut c, "people_gold", art.persons.len());
        inc(&mut c, "people_found", found);
        inc(&mut c, "people_pred", pred_people.len());
        inc(&mut c, "people_right", right);
    }

    let g = |k: &str| c.get(k).copied().unwrap_or(0);
    let get = |m: &HashMap<String, usize>, k: &str| m.get(k).copied().unwrap_or(0);
    let ratio = |a: usize, b: usize| if b > 0 { a as f64 / b as f64 } else { 0.0 };
    let (qp, qr, qf) = prf(g("matched"), g("pred_quotes") - g("matched"), g("gold_quotes") - g("matched"));
    let per_class: Vec<ClassScores> = STANCES
        .iter()
        .map(|s| {
            let (tp, fp, fn_) = (get(&stance_tp, s), get(&stance_fp, s), get(&stance_fn, s));
            let (p, r, f1) = prf(tp, fp, fn_);
            ClassScores { stance: s.to_string(), tp, fp, fn_, support: get(&support, s), p, r, f1 }
        })
        .collect();
    let f1_of = |s: &str| per_class.iter().find(|x| x.stance == s).map_or(0.0, |x| x.f1);
    let macro_key = KEY_STANCES.iter().map(|s| f1_of(s)).sum::<f64>() / KEY_STANCES.len() as f64;
    let (cp, cr, cf) = prf(g("calls_tp"), g("calls_fp"), g("calls_fn"));
    let mut matrix = [[0usize; 4]; 4];
    for ((gs, ps), n) in &confusion {
        if let (Some(i), Some(j)) = (Stance::parse(gs), Stance::parse(ps)) {
            matrix[i.index()][j.index()] += n;
        }
    }
    Report {
        articles: gold.articles.len(),
        quotes: QuoteScores {
            gold: g("gold_quotes"),
            pred: g("pred_quotes"),
            matched: g("matched"),
            p: qp,
            r: qr,
            f1: qf,
            jaccard_threshold: threshold,
        },
        speaker_accuracy: ratio(g("speaker_ok"), g("speaker_total")),
        stance_accuracy_on_matched: ratio(g("stance_ok"), g("matched")),
        stance_f1: StanceF1 {
            call_to_resign: f1_of("call_to_resign"),
            defence: f1_of("defence"),
            rebuttal: f1_of("rebuttal"),
            other: f1_of("other"),
        },
        stance_macro_f1_key: macro_key,
        target_accuracy: ratio(g("target_ok"), g("target_total")),
        resignation_calls: Prf { p: cp, r: cr, f1: cf },
        people: PeopleScores {
            recall: ratio(g("people_found"), g("people_gold")),
            precision: ratio(g("people_right"), g("people_pred")),
        },
        confusion: confusion.into_iter().map(|((g, p), n)| (format!("{g}->{p}"), n)).collect(),
        problems,
        stance_per_class: per_class,
        confusion_matrix: matrix,
        confusion_labels: STANCES.map(String::from),
    }
}

/// Scores labelled articles (converted with [`to_prediction`]).
pub fn score_annotated(gold: &GoldSet, preds: &[Annotated], threshold: f64) -> Report {
    let recs: Vec<Value> = preds.iter().map(to_prediction).collect();
    score(gold, &recs, threshold)
}

impl Report {
    /// score.py's text output, line for line.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let q = &self.quotes;
        let _ = writeln!(
            s,
            "articles {}  gold quotes {}  predicted {}  matched {}",
            self.articles, q.gold, q.pred, q.matched
        );
        let _ = writeln!(
            s,
            "quote P/R/F1        {:.3} / {:.3} / {:.3}   (Jaccard >= {})",
            q.p,
            q.r,
            q.f1,
            py_float_repr(q.jaccard_threshold)
        );
        let _ = writeln!(s, "speaker accuracy    {:.3}   (on matched quotes)", self.speaker_accuracy);
        let _ = writeln!(s, "stance accuracy     {:.3}   (on matched quotes)", self.stance_accuracy_on_matched);
        let f1: Vec<String> = self.stance_f1.iter().iter().map(|(k, v)| format!("{k} {v:.3}")).collect();
        let _ = writeln!(s, "stance F1           {}", f1.join("  "));
        let _ = writeln!(
            s,
            "stance macro-F1     {:.3}   (call_to_resign, defence, rebuttal; end to end)",
            self.stance_macro_f1_key
        );
        let _ = writeln!(s, "target accuracy     {:.3}", self.target_accuracy);
        let c = &self.resignation_calls;
        let _ = writeln!(s, "resignation calls   P/R/F1 {:.3} / {:.3} / {:.3}", c.p, c.r, c.f1);
        let _ =
            writeln!(s, "people              recall {:.3}  precision {:.3}", self.people.recall, self.people.precision);
        for p in self.problems.iter().take(20) {
            let _ = writeln!(s, "problem: {p}");
        }
        s
    }

    /// The 4x4 confusion matrix of matched quotes and per-class P/R/F1.
    pub fn details_text(&self) -> String {
        let mut s = String::new();
        let w = 15;
        let _ = writeln!(s, "\nconfusion (matched quotes; rows gold, columns predicted)");
        let _ = write!(s, "{:w$}", "");
        for l in &self.confusion_labels {
            let _ = write!(s, "{l:>w$}");
        }
        let _ = writeln!(s);
        for (l, row) in self.confusion_labels.iter().zip(&self.confusion_matrix) {
            let _ = write!(s, "{l:w$}");
            for n in row {
                let _ = write!(s, "{n:>w$}");
            }
            let _ = writeln!(s);
        }
        let _ = writeln!(s, "\nstance per class (end to end)");
        let _ =
            writeln!(s, "{:w$}{:>8}{:>8}{:>8}{:>6}{:>6}{:>6}{:>9}", "", "P", "R", "F1", "tp", "fp", "fn", "support");
        for c in &self.stance_per_class {
            let _ = writeln!(
                s,
                "{:w$}{:>8.3}{:>8.3}{:>8.3}{:>6}{:>6}{:>6}{:>9}",
                c.stance, c.p, c.r, c.f1, c.tp, c.fp, c.fn_, c.support
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Vec<String> {
        tokens(s)
    }

    #[test]
    fn tokens_drop_honorifics_and_normalise_apostrophes() {
        assert_eq!(t("Cllr Jo O’Neill"), vec!["jo", "o'neill"]);
        assert_eq!(t("The Rt Hon. Sir Keir Starmer MP"), vec!["keir", "starmer"]);
        assert_eq!(t("Dr. A-B Smith, 3rd"), vec!["a", "b", "smith", "3rd"]);
        assert!(t("").is_empty());
        assert!(t("Mr Mrs").is_empty());
        assert_eq!(t("ÉLISE Dupont"), vec!["lise", "dupont"]);
    }

    #[test]
    fn same_agent_rules() {
        let s = |a: &str, b: &str| same_agent(Some(a), Some(b));
        assert!(s("Brendan Glynane", "Cllr Glynane"));
        assert!(s("Brendan Glynane", "Councillor B Glynane"));
        assert!(!s("Brendan Glynane", "Anna Glynane"));
        assert!(s("Jo Bell", "jo bell"));
        assert!(!s("Mr", "Mr"));
        assert!(!same_agent(None, Some("Jo Bell")));
        assert!(!same_agent(Some("Jo Bell"), None));
        // descriptions: half of the distinct words
        assert!(s("a spokesman for the council", "council spokesman"));
        assert!(!s("a spokesman for the council", "the spokeswoman"));
    }

    #[test]
    fn matching_is_greedy_one_to_one() {
        // the better overlap wins; each span is used once
        let m = match_quotes(&[(0, 10), (20, 30)], &[(0, 9), (0, 10), (21, 30)], 0.5);
        assert_eq!(m, vec![(0, 1), (1, 2)]);
        // Jaccard exactly at the threshold matches; below does not; touching spans never
        assert_eq!(match_quotes(&[(0, 10)], &[(5, 10)], 0.5), vec![(0, 0)]);
        assert!(match_quotes(&[(0, 10)], &[(6, 10)], 0.5).is_empty());
        assert!(match_quotes(&[(0, 10)], &[(10, 20)], 0.0).is_empty());
        // ties go to the higher gold index, then the higher predicted index
        assert_eq!(match_quotes(&[(0, 10), (0, 10)], &[(0, 10)], 0.5), vec![(1, 0)]);
        assert_eq!(match_quotes(&[(0, 10)], &[(0, 10), (0, 10)], 0.5), vec![(0, 1)]);
    }

    #[test]
    fn prf_handles_zeros() {
        assert_eq!(prf(0, 0, 0), (0.0, 0.0, 0.0));
        assert_eq!(prf(1, 1, 0), (0.5, 1.0, 2.0 * 0.5 / 1.5));
    }

    #[test]
    fn python_values() {
        assert_eq!(py_float_repr(0.5), "0.5");
        assert_eq!(py_float_repr(1.0), "1.0");
        assert_eq!(py_float_repr(1e16), "1e+16");
        assert_eq!(py_float_repr(1.5e-7), "1.5e-07");
        assert_eq!(py_str(&json!(null)), "None");
        assert_eq!(py_str(&json!(true)), "True");
        assert_eq!(py_str(&json!(3.0)), "3.0");
        assert_eq!(agent_name(Some(&json!({"name": "", "text": "Jo"}))), Some("Jo".into()));
        assert_eq!(agent_name(Some(&json!("Jo"))), Some("Jo".into()));
        assert_eq!(py_int(Some(&json!(true))), Some(1));
        assert_eq!(py_int(Some(&json!(2.0))), None);
    }

    #[test]
    fn to_prediction_maps_mixed_to_direct() {
        use crate::model::*;
        let span = Span { start: 1, end: 3, byte_start: 1, byte_end: 3 };
        let a = Annotated {
            schema_version: SCHEMA_VERSION.into(),
            id: "x".into(),
            title: None,
            url: None,
            date: None,
            source: None,
            chars: 4,
            paragraphs: vec![],
            sentences: vec![],
            quotes: vec![Quote {
                span,
                text: "bc".into(),
                kind: QuoteKind::Mixed,
                cue: None,
                speaker: Some(Speaker {
                    name: "Jo Bell".into(),
                    mention: None,
                    person: None,
                    score: 1.0,
                    rule: "r".into(),
                }),
                stance: Stance::CallToResign,
                stance_score: 1.0,
                scores: StanceScores::default(),
                target: None,
                co_targets: Vec::new(),
                paragraph: 0,
            }],
            entities: vec![],
            people: vec![],
            resignation_calls: vec![],
        };
        let p = to_prediction(&a);
        assert_eq!(p["quotes"][0]["kind"], "direct");
        assert_eq!(p["quotes"][0]["speaker"]["name"], "Jo Bell");
        assert_eq!(p["quotes"][0]["target"], Value::Null);
        assert_eq!(p["quotes"][0]["stance"], "call_to_resign");
    }
}
