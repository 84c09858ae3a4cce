//! Training and evaluation of the NER head on the team's corpus
//! (`data/corpus/{articles,gold,splits.json}`, built by `tools/corpus.py`).
//!
//! The encoder is frozen: every article is encoded once, the states are kept
//! in memory, and the head is trained for many cheap epochs on them. A fixed
//! eighth of the train split (every 8th name) is held out as a dev set to pick
//! the epoch; the test split is scored once, at the end.

use super::{bio_index, head_inputs, head_width, NerHead, NerModel};
use crate::encode::{EncodeStats, Encoded, Encoder};
use crate::error::{Error, Result};
use crate::model::EntityLabel;
use crate::normalise::OffsetIndex;
use crate::train_util::{cerr, encode_cached, Rng};
use candle_core::{DType, Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Knobs of `quotestance train ner`.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    pub epochs: usize,
    /// Width of the head's hidden layer.
    pub hidden: usize,
    pub lr: f64,
    pub batch: usize,
    pub dropout: f32,
    pub seed: u64,
    /// A folder to keep the encoder states in between runs (keyed by name and text hash).
    pub cache: Option<PathBuf>,
    /// Silver entity spans (JSONL from `training/silver_spacy.py`) added to the
    /// training articles where no gold span overlaps them (gold wins).
    pub silver: Option<PathBuf>,
    /// The silver labels to use (empty: all).
    pub silver_labels: Vec<EntityLabel>,
    /// Case noise: the chance that a multi-word person name of a training
    /// article also appears with its later words lower-cased ("Ruth hallam");
    /// 0 turns it off. Only the casing features change (the encoder is uncased).
    pub case_noise: f32,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            epochs: 15,
            hidden: 256,
            lr: 1e-3,
            batch: 512,
            dropout: 0.1,
            seed: 17,
            cache: None,
            silver: None,
            silver_labels: Vec::new(),
            case_noise: 0.0,
        }
    }
}

/// One gold article.
#[derive(Debug, Clone)]
pub struct GoldDoc {
    pub name: String,
    pub text: String,
    /// (start, end) in code points, and the label.
    pub entities: Vec<(usize, usize, EntityLabel)>,
    /// The gold file's hash of the text (empty when it has none).
    pub sha256: String,
}

/// Counts and scores of one label (or "ALL", micro-averaged).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelScore {
    pub label: String,
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl LabelScore {
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// What a training run did.
#[derive(Debug, Clone)]
pub struct TrainReport {
    pub train_docs: usize,
    pub dev_docs: usize,
    pub test_docs: usize,
    pub train_tokens: usize,
    /// Silver spans added to the training articles (0 without `--silver`).
    pub silver_added: usize,
    /// Training articles whose silver labels are stale (left out).
    pub silver_stale: Vec<String>,
    /// Rows added by case noise (see [`TrainOptions::case_noise`]).
    pub case_noise_rows: usize,
    pub best_epoch: usize,
    pub dev_f1: f64,
    /// Per label, then "ALL" (micro), on the test split.
    pub test: Vec<LabelScore>,
    pub encode: EncodeStats,
    pub encode_secs: f64,
    pub train_secs: f64,
}

impl TrainReport {
    /// A markdown table of the test scores.
    pub fn table(&self) -> String {
        score_table(&self.test)
    }
}

/// A markdown table of per-label scores, with gold and predicted counts.
pub fn score_table(scores: &[LabelScore]) -> String {
    let mut s = String::from("| label | P | R | F1 | gold | predicted |\n|---|---|---|---|---|---|\n");
    for l in scores {
        s.push_str(&format!(
            "| {} | {:.3} | {:.3} | {:.3} | {} | {} |\n",
            l.label,
            l.precision(),
            l.recall(),
            l.f1(),
            l.tp + l.fn_,
            l.tp + l.fp
        ));
    }
    s
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io(path, e))
}

/// Reads the corpus: (train, test) documents, by `splits.json`.
pub fn load_corpus(dir: &Path) -> Result<(Vec<GoldDoc>, Vec<GoldDoc>)> {
    let splits: serde_json::Value = serde_json::from_str(&read(&dir.join("splits.json"))?)?;
    let load_split = |key: &str| -> Result<Vec<GoldDoc>> {
        let names = splits[key].as_array().ok_or_else(|| Error::Input(format!("splits.json lacks {key:?}")))?;
        let mut docs = Vec::new();
        for n in names {
            let name = n.as_str().ok_or_else(|| Error::Input("splits.json: names must be strings".into()))?;
            let text = read(&dir.join("articles").join(format!("{name}.txt")))?;
            let gold: serde_json::Value = serde_json::from_str(&read(&dir.join("gold").join(format!("{name}.json")))?)?;
            let mut entities = Vec::new();
            for e in gold["entities"].as_array().into_iter().flatten() {
                let (Some(s), Some(t), Some(l)) = (e["start"].as_u64(), e["end"].as_u64(), e["label"].as_str()) else {
                    return Err(Error::Input(format!("{name}: malformed entity {e}")));
                };
                let label = EntityLabel::parse(l).ok_or_else(|| Error::Input(format!("{name}: unknown label {l}")))?;
                entities.push((s as usize, t as usize, label));
            }
            entities.sort();
            let sha256 = gold["sha256"].as_str().unwrap_or_default().to_string();
            docs.push(GoldDoc { name: name.to_string(), text, entities, sha256 });
        }
        Ok(docs)
    };
    Ok((load_split("train")?, load_split("test")?))
}

/// BIO label of every token of a gold document.
pub fn token_labels(doc: &GoldDoc, enc: &Encoded) -> Vec<u32> {
    let ix = OffsetIndex::new(&doc.text);
    let ents: Vec<(usize, usize, EntityLabel)> =
        doc.entities.iter().map(|&(s, e, l)| (ix.byte_of(s), ix.byte_of(e), l)).collect();
    let mut out = Vec::with_capacity(enc.len());
    let mut prev: Option<usize> = None;
    for t in &enc.tokens {
        let b = t.bytes.start;
        let hit = ents.iter().position(|&(s, e, _)| s <= b && b < e && t.bytes.start < t.bytes.end);
        match hit {
            Some(k) => {
                out.push(bio_index(ents[k].2, prev == Some(k)) as u32);
                prev = Some(k);
            }
            None => {
                out.push(0);
                prev = None;
            }
        }
    }
    out
}

/// Exact-match scores (start, end and label) per label and micro "ALL".
pub fn score(gold: &[Vec<(usize, usize, EntityLabel)>], pred: &[Vec<(usize, usize, EntityLabel)>]) -> Vec<LabelScore> {
    let mut by: BTreeMap<EntityLabel, LabelScore> = EntityLabel::ALL
        .iter()
        .map(|l| (*l, LabelScore { label: l.as_str().to_string(), ..Default::default() }))
        .collect();
    for (g, p) in gold.iter().zip(pred) {
        for x in p {
            let s = by.get_mut(&x.2).expect("all labels");
            if g.contains(x) {
                s.tp += 1;
            } else {
                s.fp += 1;
            }
        }
        for x in g {
            if !p.contains(x) {
                by.get_mut(&x.2).expect("all labels").fn_ += 1;
            }
        }
    }
    let mut out: Vec<LabelScore> = by.into_values().collect();
    let all = LabelScore {
        label: "ALL".into(),
        tp: out.iter().map(|s| s.tp).sum(),
        fp: out.iter().map(|s| s.fp).sum(),
        fn_: out.iter().map(|s| s.fn_).sum(),
    };
    out.push(all);
    out
}

fn predict_all(model: &NerModel, docs: &[GoldDoc], encs: &[Encoded]) -> Result<Vec<Vec<(usize, usize, EntityLabel)>>> {
    docs.iter()
        .zip(encs)
        .map(|(d, e)| {
            Ok(model.try_predict(&d.text, e)?.into_iter().map(|x| (x.span.start, x.span.end, x.label)).collect())
        })
        .collect()
}

/// Encodes documents, reusing (and filling) a cache of states when `cache` is given.
fn encode_docs(encoder: &Encoder, docs: &[GoldDoc], what: &str, cache: Option<&Path>) -> Result<Vec<Encoded>> {
    let items: Vec<(&str, &str)> = docs.iter().map(|d| (d.name.as_str(), d.text.as_str())).collect();
    encode_cached(encoder, &items, what, cache)
}

/// Silver spans of some articles (`training/silver_spacy.py`).
#[derive(Debug, Clone, Default)]
pub struct Silver {
    /// (start, end) in code points and the label, by article name.
    pub spans: BTreeMap<String, Vec<(usize, usize, EntityLabel)>>,
    /// Articles whose text changed since their silver labels were made (skipped).
    pub stale: Vec<String>,
}

/// Silver spans of `docs`, from a JSONL file of
/// `{"id", "sha256", "entities": [{"start", "end", "label"}]}` lines. A line
/// whose hash differs from the gold file's (the article changed since the
/// silver labels were made) is left out and named in [`Silver::stale`]; spans
/// outside the text are an error.
pub fn load_silver(path: &Path, docs: &[GoldDoc]) -> Result<Silver> {
    let by_name: BTreeMap<&str, &GoldDoc> = docs.iter().map(|d| (d.name.as_str(), d)).collect();
    let mut out = Silver::default();
    for (i, line) in read(path)?.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let bad = |what: String| Error::Input(format!("{}:{}: {what}", path.display(), i + 1));
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| bad(e.to_string()))?;
        let id = v["id"].as_str().ok_or_else(|| bad("no id".into()))?;
        let Some(doc) = by_name.get(id) else { continue };
        if v["sha256"].as_str() != Some(doc.sha256.as_str()) {
            out.stale.push(id.to_string());
            continue;
        }
        let chars = doc.text.chars().count();
        let mut ents = Vec::new();
        for e in v["entities"].as_array().into_iter().flatten() {
            let (Some(s), Some(t), Some(l)) = (e["start"].as_u64(), e["end"].as_u64(), e["label"].as_str()) else {
                return Err(bad(format!("{id}: malformed entity {e}")));
            };
            let label = EntityLabel::parse(l).ok_or_else(|| bad(format!("{id}: unknown label {l}")))?;
            if s >= t || t as usize > chars {
                return Err(bad(format!("{id}: span {s}..{t} outside the text ({chars} characters)")));
            }
            ents.push((s as usize, t as usize, label));
        }
        out.spans.insert(id.to_string(), ents);
    }
    Ok(out)
}

/// Adds silver spans (of the `labels` wanted; empty: all) that overlap no gold
/// span nor an earlier silver one; returns how many were added.
pub fn merge_silver(doc: &mut GoldDoc, silver: &[(usize, usize, EntityLabel)], labels: &[EntityLabel]) -> usize {
    let mut added = 0;
    for &(s, e, l) in silver {
        let wanted = labels.is_empty() || labels.contains(&l);
        if wanted && s < e && !doc.entities.iter().any(|&(gs, ge, _)| s < ge && gs < e) {
            doc.entities.push((s, e, l));
            added += 1;
        }
    }
    doc.entities.sort();
    added
}

/// Splits the train documents into (train, dev): every 8th by name is dev.
pub fn split_dev(docs: Vec<GoldDoc>) -> (Vec<GoldDoc>, Vec<GoldDoc>) {
    crate::train_util::split_dev(docs, |d| d.name.as_str())
}

/// Tokens on either side of a lower-cased name whose rows go in with it.
const NOISE_CONTEXT: usize = 6;

/// Case-noise rows of one training article. Copy slips lower-case the later
/// words of names ("from Ruth hallam, the county's inspector");
/// the casing features then say "not a name" where the context says "name".
/// Each person name of two or more words is picked with chance `p`; in a copy
/// of the text, its later words that open with an ASCII capital are
/// lower-cased (same bytes, so the token offsets hold, and the uncased
/// encoder's states are the same: only the casing features change). The
/// rows of the tokens in and around the picked names come back with their
/// gold labels, which are unchanged.
pub(crate) fn case_noise_rows(doc: &GoldDoc, enc: &Encoded, p: f32, rng: &mut Rng) -> (Vec<f32>, Vec<u32>) {
    if p <= 0.0 || enc.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let ix = OffsetIndex::new(&doc.text);
    let mut bytes = doc.text.clone().into_bytes();
    let mut picked: Vec<(usize, usize)> = Vec::new();
    for &(s, e, label) in &doc.entities {
        if label != EntityLabel::Person {
            continue;
        }
        let (bs, be) = (ix.byte_of(s), ix.byte_of(e));
        let starts: Vec<usize> =
            (bs + 1..be).filter(|&b| bytes[b - 1] == b' ' && bytes[b].is_ascii_uppercase()).collect();
        let chance = (rng.next() % 1_000_000) as f32 / 1_000_000.0;
        if starts.is_empty() || chance >= p {
            continue;
        }
        for b in starts {
            bytes[b] = bytes[b].to_ascii_lowercase();
        }
        picked.push((bs, be));
    }
    if picked.is_empty() {
        return (Vec::new(), Vec::new());
    }
    // only ASCII letters changed case, so this is still UTF-8
    let text = String::from_utf8(bytes).expect("ASCII case change keeps UTF-8");
    let width = head_width(enc.hidden);
    let x = head_inputs(&text, enc);
    let y = token_labels(doc, enc);
    let mut keep = vec![false; enc.len()];
    for (i, t) in enc.tokens.iter().enumerate() {
        if picked.iter().any(|&(s, e)| s <= t.bytes.start && t.bytes.start < e) {
            let (lo, hi) = (i.saturating_sub(NOISE_CONTEXT), (i + NOISE_CONTEXT + 1).min(enc.len()));
            keep[lo..hi].iter_mut().for_each(|k| *k = true);
        }
    }
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for i in (0..enc.len()).filter(|&i| keep[i]) {
        xs.extend_from_slice(&x[i * width..(i + 1) * width]);
        ys.push(y[i]);
    }
    (xs, ys)
}

/// Trains the head on the corpus in `data`, saves the best (by dev F1) to `out`.
pub fn train_ner(encoder: &Encoder, data: &Path, out: &Path, opts: &TrainOptions) -> Result<TrainReport> {
    let (train_all, test) = load_corpus(data)?;
    if train_all.is_empty() {
        return Err(Error::Input(format!("{}: no training documents", data.display())));
    }
    let (mut train, dev) = split_dev(train_all);
    // silver labels go into the training articles only: dev picks the epoch and test scores, both on gold
    let (mut silver_added, mut silver_stale) = (0, Vec::new());
    if let Some(path) = &opts.silver {
        let silver = load_silver(path, &train)?;
        silver_stale = silver.stale;
        for d in &mut train {
            if let Some(sv) = silver.spans.get(&d.name) {
                silver_added += merge_silver(d, sv, &opts.silver_labels);
            }
        }
    }
    encoder.reset_stats();
    let t0 = std::time::Instant::now();
    let cache = opts.cache.as_deref();
    let train_enc = encode_docs(encoder, &train, "train", cache)?;
    let dev_enc = encode_docs(encoder, &dev, "dev", cache)?;
    let test_enc = encode_docs(encoder, &test, "test", cache)?;
    let encode_secs = t0.elapsed().as_secs_f64();
    let encode_stats = encoder.stats();

    let width = head_width(encoder.hidden_size());
    let mut xs: Vec<f32> = Vec::new();
    let mut ys: Vec<u32> = Vec::new();
    for (d, e) in train.iter().zip(&train_enc) {
        xs.extend(head_inputs(&d.text, e));
        ys.extend(token_labels(d, e));
    }
    let train_tokens = ys.len();
    let mut noise_rng = Rng(opts.seed.max(1) ^ 0x9e37_79b9_7f4a_7c15);
    for (d, e) in train.iter().zip(&train_enc) {
        let (x, y) = case_noise_rows(d, e, opts.case_noise, &mut noise_rng);
        xs.extend(x);
        ys.extend(y);
    }
    let n = ys.len();
    let dev_gold: Vec<_> = dev.iter().map(|d| d.entities.clone()).collect();
    let test_gold: Vec<_> = test.iter().map(|d| d.entities.clone()).collect();
    let x = Tensor::from_vec(xs, (n, width), &Device::Cpu).map_err(cerr)?;
    let y = Tensor::from_vec(ys, n, &Device::Cpu).map_err(cerr)?;

    let t1 = std::time::Instant::now();
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    let head = NerHead::new(vb, width, opts.hidden).map_err(cerr)?;
    let mut opt = AdamW::new(varmap.all_vars(), ParamsAdamW { lr: opts.lr, weight_decay: 0.01, ..Default::default() })
        .map_err(cerr)?;
    let mut rng = Rng(opts.seed.max(1));
    let mut order: Vec<u32> = (0..n as u32).collect();
    let (mut best_f1, mut best_epoch) = (-1.0f64, 0usize);
    let tmp = PathBuf::from(format!("{}.tmp", out.display()));
    for epoch in 1..=opts.epochs {
        rng.shuffle(&mut order);
        let mut total = 0f32;
        for chunk in order.chunks(opts.batch.max(1)) {
            let idx = Tensor::from_slice(chunk, chunk.len(), &Device::Cpu).map_err(cerr)?;
            let bx = x.index_select(&idx, 0).map_err(cerr)?;
            let by = y.index_select(&idx, 0).map_err(cerr)?;
            let bx = if opts.dropout > 0.0 { candle_nn::ops::dropout(&bx, opts.dropout).map_err(cerr)? } else { bx };
            let logits = head.forward(&bx).map_err(cerr)?;
            let loss = candle_nn::loss::cross_entropy(&logits, &by).map_err(cerr)?;
            opt.backward_step(&loss).map_err(cerr)?;
            total += loss.to_scalar::<f32>().map_err(cerr)? * chunk.len() as f32;
        }
        let model = NerModel::from_head(head.clone());
        let dev_scores = score(&dev_gold, &predict_all(&model, &dev, &dev_enc)?);
        let f1 = dev_scores.last().map_or(0.0, |s| s.f1());
        let per: Vec<String> = dev_scores.iter().map(|s| format!("{} {:.3}", s.label, s.f1())).collect();
        eprintln!("epoch {epoch:3}: loss {:.4}  dev F1 {f1:.4}  ({})", total / n as f32, per.join(", "));
        if f1 > best_f1 {
            best_f1 = f1;
            best_epoch = epoch;
            varmap.save(&tmp).map_err(cerr)?;
        }
    }
    std::fs::rename(&tmp, out).map_err(|e| Error::io(out, e))?;
    let train_secs = t1.elapsed().as_secs_f64();
    let best = NerModel::load(out)?;
    let test_scores = score(&test_gold, &predict_all(&best, &test, &test_enc)?);
    Ok(TrainReport {
        train_docs: train.len(),
        dev_docs: dev.len(),
        test_docs: test.len(),
        train_tokens,
        silver_added,
        silver_stale,
        case_noise_rows: n - train_tokens,
        best_epoch,
        dev_f1: best_f1,
        test: test_scores,
        encode: encode_stats,
        encode_secs,
        train_secs,
    })
}

/// Scores a saved head on a split ("test", or "dev": the held-out part of
/// train); with `errors`, prints every missed and spurious mention to stderr.
pub fn evaluate_ner(
    encoder: &Encoder,
    model: &NerModel,
    data: &Path,
    split: &str,
    cache: Option<&Path>,
    errors: bool,
) -> Result<Vec<LabelScore>> {
    let (train, test) = load_corpus(data)?;
    let docs = match split {
        "test" => test,
        "dev" => split_dev(train).1,
        _ => return Err(Error::Config(format!("unknown split {split:?} (test or dev)"))),
    };
    let enc = encode_docs(encoder, &docs, split, cache)?;
    let gold: Vec<_> = docs.iter().map(|d| d.entities.clone()).collect();
    let pred = predict_all(model, &docs, &enc)?;
    if errors {
        for ((d, g), p) in docs.iter().zip(&gold).zip(&pred) {
            let chars: Vec<char> = d.text.chars().collect();
            let show = |x: &(usize, usize, EntityLabel)| -> String {
                let lo = x.0.saturating_sub(25);
                let hi = (x.1 + 25).min(chars.len());
                let ctx: String = chars[lo..hi].iter().collect::<String>().replace('\n', " ");
                let m: String = chars[x.0..x.1].iter().collect();
                format!("{} [{m}] in ...{ctx}...", x.2.as_str())
            };
            for x in g.iter().filter(|x| !p.contains(x)) {
                eprintln!("{}: MISSED   {}", d.name, show(x));
            }
            for x in p.iter().filter(|x| !g.contains(x)) {
                eprintln!("{}: SPURIOUS {}", d.name, show(x));
            }
        }
    }
    Ok(score(&gold, &pred))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silver_fills_only_where_gold_is_silent() {
        let mut d = GoldDoc {
            name: "a".into(),
            text: "Jo Bell of Acme met Al in Leeds.".into(),
            entities: vec![(0, 7, EntityLabel::Person)],
            sha256: String::new(),
        };
        let silver = [
            (0, 2, EntityLabel::Person),
            (11, 15, EntityLabel::Org),
            (20, 22, EntityLabel::Person),
            (26, 31, EntityLabel::Gpe),
        ];
        assert_eq!(merge_silver(&mut d.clone(), &silver, &[]), 3);
        assert_eq!(merge_silver(&mut d, &silver, &[EntityLabel::Org, EntityLabel::Gpe]), 2);
        assert_eq!(
            d.entities,
            vec![(0, 7, EntityLabel::Person), (11, 15, EntityLabel::Org), (26, 31, EntityLabel::Gpe)]
        );
    }

    #[test]
    fn exact_match_scores() {
        let g = vec![vec![(0, 5, EntityLabel::Person), (10, 15, EntityLabel::Org)]];
        let p = vec![vec![(0, 5, EntityLabel::Person), (10, 14, EntityLabel::Org), (20, 25, EntityLabel::Gpe)]];
        let s = score(&g, &p);
        let get = |l: &str| s.iter().find(|x| x.label == l).unwrap().clone();
        assert_eq!(get("PERSON").f1(), 1.0);
        assert_eq!((get("ORG").tp, get("ORG").fp, get("ORG").fn_), (0, 1, 1));
        assert_eq!((get("ALL").tp, get("ALL").fp, get("ALL").fn_), (1, 2, 1));
    }

    #[test]
    fn case_noise_lowers_later_name_words_and_keeps_labels() {
        // one token per word, hidden width 1, each state its token index
        let text = "We heard from Ruth Hallam and from Leeds at length today.";
        let pieces = ["We", "heard", "from", "Ruth", "Hallam", "and", "from", "Leeds", "at", "length", "today", "."];
        let tokens = crate::encode::test_tokens(text, &pieces, false);
        let enc = Encoded { hidden: 1, states: (0..pieces.len()).map(|i| i as f32).collect(), tokens };
        let doc = GoldDoc {
            name: "a".into(),
            text: text.into(),
            entities: vec![(14, 25, EntityLabel::Person), (35, 40, EntityLabel::Gpe)],
            sha256: String::new(),
        };
        let mut rng = Rng(7);
        assert!(case_noise_rows(&doc, &enc, 0.0, &mut rng).1.is_empty(), "off");
        let (x, y) = case_noise_rows(&doc, &enc, 1.0, &mut rng);
        let width = head_width(1);
        // tokens 0..=10 are within NOISE_CONTEXT of "Ruth"/"Hallam"; the full stop (11) is not
        assert_eq!(y.len(), 11);
        assert_eq!(x.len(), 11 * width);
        assert_eq!(
            &y[3..5],
            &[bio_index(EntityLabel::Person, false) as u32, bio_index(EntityLabel::Person, true) as u32]
        );
        let cap = |t: usize| x[t * width + 3]; // first casing feature after the three state columns
        assert_eq!(cap(3), 1.0, "the first name keeps its capital");
        assert_eq!(cap(4), 0.0, "the surname is lower-cased");
        assert_eq!(cap(7), 1.0, "other entities are left as they are");
        assert_eq!(x[4 * width], 4.0, "the encoder state is the original one");
    }
}
