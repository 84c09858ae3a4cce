//! Named entities from the encoder: a small token-classification head on the
//! (frozen) transformer states plus casing features, BIO labels over
//! PERSON, ORG, GPE, PARTY and ROLE.
//!
//! The encoder is uncased, so the head also sees, per token, a few features
//! of the original text ([`token_features`]): capitalised, all caps, after an
//! honorific, sentence-initial, neighbours capitalised, digits.
//!
//! ```no_run
//! use quotestance::encode::Encoder;
//! use quotestance::models::resolve_models_dir;
//! use quotestance::ner::{ModelRecognizer, EntityRecognizer};
//! let dir = resolve_models_dir(None);
//! let rec = ModelRecognizer::load(&dir, 0).unwrap();
//! for e in rec.recognise("Cllr Jo Bell (Labour) said.").unwrap() {
//!     println!("{} {:?} {:.2}", e.label.as_str(), e.span, e.score);
//! }
//! ```

pub mod refine;
#[cfg(feature = "models")]
pub mod train;

use crate::encode::Encoded;
#[cfg(feature = "models")]
use crate::encode::Encoder;
#[cfg(feature = "models")]
use crate::error::Error;
use crate::error::Result;
use crate::model::{EntityLabel, Span};
#[cfg(feature = "models")]
use crate::models::{ner_head, not_found, HeadSource};
use crate::normalise::OffsetIndex;
#[cfg(feature = "models")]
use crate::train_util::cerr;
#[cfg(feature = "models")]
use candle_core::{DType, Device, Module, Tensor};
#[cfg(feature = "models")]
use candle_nn::{Linear, VarBuilder};
use std::ops::Range;
#[cfg(feature = "models")]
use std::path::Path;

/// Number of casing features per token.
pub const N_FEATURES: usize = 8;
/// Number of BIO labels: O, then B-/I- of each [`EntityLabel::ALL`].
pub const N_LABELS: usize = 1 + 2 * EntityLabel::ALL.len();

/// BIO label index: 0 is O; `1 + 2k` is B- and `2 + 2k` is I- of `EntityLabel::ALL[k]`.
pub fn bio_index(label: EntityLabel, inside: bool) -> usize {
    1 + 2 * label as usize + usize::from(inside)
}

/// The entity label and inside-flag of a BIO index (None for O).
pub fn bio_label(i: usize) -> Option<(EntityLabel, bool)> {
    if i == 0 || i >= N_LABELS {
        return None;
    }
    Some((EntityLabel::ALL[(i - 1) / 2], (i - 1) % 2 == 1))
}

/// A recognised entity mention.
#[derive(Debug, Clone, PartialEq)]
pub struct EntitySpan {
    /// Code points and bytes of the original text.
    pub span: Span,
    pub label: EntityLabel,
    /// Mean probability of the chosen labels over the mention's words, 0..1.
    pub score: f32,
}

impl EntitySpan {
    /// The byte range (for slicing the text).
    pub fn bytes(&self) -> Range<usize> {
        self.span.bytes()
    }
}

/// Anything that finds entity mentions in a text (the rule finder in
/// `entities.rs`, the model-based [`ModelRecognizer`]).
pub trait EntityRecognizer: Send + Sync {
    /// Mentions in `text`, sorted by start, not overlapping.
    fn recognise(&self, text: &str) -> Result<Vec<EntitySpan>>;
}

pub(crate) const HONORIFICS: &[&str] = &[
    "mr",
    "mrs",
    "ms",
    "miss",
    "mx",
    "dr",
    "prof",
    "professor",
    "cllr",
    "coun",
    "councillor",
    "sir",
    "dame",
    "lord",
    "lady",
    "rev",
    "reverend",
    "sen",
    "senator",
    "rep",
    "gov",
    "governor",
    "mayor",
    "judge",
    "justice",
    "supt",
    "insp",
    "det",
    "sgt",
    "cmdr",
    "commissioner",
    "minister",
    "president",
    "chancellor",
    "premier",
    "inspector",
    "sergeant",
    "superintendent",
    "constable",
    "chief",
    "ceo",
    "baroness",
    "baron",
    "father",
    "rabbi",
    "bishop",
    "mp",
    "msp",
    "ms.",
];

/// Words of a tokenised text: (first token, last token + 1, byte range).
fn words(enc: &Encoded) -> Vec<(usize, usize, Range<usize>)> {
    let mut out: Vec<(usize, usize, Range<usize>)> = Vec::new();
    for (i, t) in enc.tokens.iter().enumerate() {
        let same = match (out.last(), t.word) {
            (Some(&(first, _, _)), Some(w)) => enc.tokens[first].word == Some(w),
            _ => false,
        };
        if same {
            let last = out.last_mut().expect("checked");
            last.1 = i + 1;
            last.2.end = t.bytes.end;
        } else {
            out.push((i, i + 1, t.bytes.clone()));
        }
    }
    out
}

fn is_cap(w: &str) -> bool {
    w.chars().next().is_some_and(char::is_uppercase)
}

/// Casing features, `N_FEATURES` per token, row-major.
pub fn token_features(text: &str, enc: &Encoded) -> Vec<f32> {
    let ws = words(enc);
    let mut out = vec![0f32; enc.tokens.len() * N_FEATURES];
    let wtext = |k: usize| &text[ws[k].2.clone()];
    for (k, (first, end, range)) in ws.iter().enumerate() {
        let w = &text[range.clone()];
        let letters: Vec<char> = w.chars().filter(|c| c.is_alphabetic()).collect();
        let cap = is_cap(w);
        let all_caps = letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase());
        // previous word, skipping a full stop ("Mr. Smith")
        let mut p = k;
        while p > 0 && wtext(p - 1) == "." {
            p -= 1;
        }
        let honorific = p > 0 && HONORIFICS.contains(&wtext(p - 1).to_lowercase().as_str());
        let before = text[..range.start].trim_end_matches([' ', '\t', '"', '\'', '\u{201c}', '\u{2018}', '(']);
        let initial = before.is_empty() || before.ends_with(['.', '!', '?', '\n', ':', ';']);
        let prev_cap = k > 0 && is_cap(wtext(k - 1));
        let next_cap = k + 1 < ws.len() && is_cap(wtext(k + 1));
        let digit = w.chars().any(|c| c.is_ascii_digit());
        for t in *first..*end {
            let f = &mut out[t * N_FEATURES..(t + 1) * N_FEATURES];
            f[0] = f32::from(u8::from(cap));
            f[1] = f32::from(u8::from(t == *first));
            f[2] = f32::from(u8::from(all_caps));
            f[3] = f32::from(u8::from(honorific));
            f[4] = f32::from(u8::from(initial));
            f[5] = f32::from(u8::from(prev_cap));
            f[6] = f32::from(u8::from(next_cap));
            f[7] = f32::from(u8::from(digit));
        }
    }
    out
}

/// Width of a head input row for encoder states of width `hidden`.
pub fn head_width(hidden: usize) -> usize {
    3 * hidden + N_FEATURES
}

/// Per token: its state, the previous and next token's states (zeros at the
/// ends) and the casing features: `[tokens, head_width(hidden)]`.
pub fn head_inputs(text: &str, enc: &Encoded) -> Vec<f32> {
    let feats = token_features(text, enc);
    let zeros = vec![0f32; enc.hidden];
    let mut x = Vec::with_capacity(enc.len() * head_width(enc.hidden));
    for i in 0..enc.len() {
        x.extend_from_slice(enc.state(i));
        x.extend_from_slice(if i > 0 { enc.state(i - 1) } else { &zeros });
        x.extend_from_slice(if i + 1 < enc.len() { enc.state(i + 1) } else { &zeros });
        x.extend_from_slice(&feats[i * N_FEATURES..(i + 1) * N_FEATURES]);
    }
    x
}

#[cfg(feature = "models")]
/// The token-classification head: `Linear(in, h) -> GELU -> Linear(h, N_LABELS)`.
#[derive(Debug, Clone)]
pub struct NerHead {
    pub(crate) fc1: Linear,
    pub(crate) fc2: Linear,
    pub(crate) input: usize,
}

#[cfg(feature = "models")]
impl NerHead {
    /// Builds the head from a var builder (`fc1.*`, `fc2.*`).
    pub fn new(vb: VarBuilder, input: usize, hidden: usize) -> candle_core::Result<NerHead> {
        Ok(NerHead {
            fc1: candle_nn::linear(input, hidden, vb.pp("fc1"))?,
            fc2: candle_nn::linear(hidden, N_LABELS, vb.pp("fc2"))?,
            input,
        })
    }

    /// Logits `[n, N_LABELS]`.
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        self.fc2.forward(&self.fc1.forward(x)?.gelu()?)
    }
}

#[cfg(feature = "models")]
/// The trained NER head.
#[derive(Debug, Clone)]
pub struct NerModel {
    head: NerHead,
    /// Minimum mean probability of a kept mention.
    pub min_score: f32,
    /// Apply the document-level fixes of [`refine::refine`] after decoding (default true).
    pub refine: bool,
}

#[cfg(feature = "models")]
impl NerModel {
    /// Loads a head saved by `quotestance train ner` (a safetensors file).
    pub fn load(path: &Path) -> Result<NerModel> {
        NerModel::from_source(&HeadSource::File(path.to_path_buf()))
    }

    /// Loads a head from a file or the built-in one.
    pub fn from_source(source: &HeadSource) -> Result<NerModel> {
        let path = source.path();
        let tensors = source.tensors()?;
        let shape = |name: &str| -> Result<Vec<usize>> {
            tensors
                .get(name)
                .map(|t| t.dims().to_vec())
                .ok_or_else(|| not_found(&path, format!("the head lacks tensor {name}")))
        };
        let w1 = shape("fc1.weight")?;
        let w2 = shape("fc2.weight")?;
        if w1.len() != 2 || w2 != [N_LABELS, w1[0]] {
            return Err(not_found(&path, format!("head shapes {w1:?} / {w2:?} do not fit {N_LABELS} labels")));
        }
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
        let head = NerHead::new(vb, w1[1], w1[0]).map_err(|e| not_found(&path, e.to_string()))?;
        Ok(NerModel { head, min_score: 0.0, refine: true })
    }

    /// Loads the head for a models dir (its `heads/ner.safetensors`, else the built-in one).
    pub fn load_default(models_dir: &Path) -> Result<NerModel> {
        NerModel::from_source(&ner_head(models_dir))
    }

    pub(crate) fn from_head(head: NerHead) -> NerModel {
        NerModel { head, min_score: 0.0, refine: true }
    }

    /// Per-token label probabilities `[tokens, N_LABELS]`.
    pub fn token_probs(&self, text: &str, enc: &Encoded) -> Result<Vec<f32>> {
        if enc.is_empty() {
            return Ok(Vec::new());
        }
        if head_width(enc.hidden) != self.head.input {
            return Err(Error::Model(format!(
                "NER head expects {} inputs, the encoder gives {}",
                self.head.input,
                head_width(enc.hidden)
            )));
        }
        let x = Tensor::from_vec(head_inputs(text, enc), (enc.len(), self.head.input), &Device::Cpu).map_err(cerr)?;
        let logits = self.head.forward(&x).map_err(cerr)?;
        candle_nn::ops::softmax_last_dim(&logits).and_then(|p| p.flatten_all()?.to_vec1::<f32>()).map_err(cerr)
    }

    /// Entity mentions of `text`, given its encoding (from [`Encoder::encode`]).
    pub fn predict(&self, text: &str, enc: &Encoded) -> Vec<EntitySpan> {
        self.try_predict(text, enc).unwrap_or_default()
    }

    /// Like [`NerModel::predict`], reporting errors.
    pub fn try_predict(&self, text: &str, enc: &Encoded) -> Result<Vec<EntitySpan>> {
        let spans = decode(text, enc, &self.token_probs(text, enc)?, self.min_score);
        Ok(if self.refine { refine::refine(text, spans) } else { spans })
    }
}

/// The word at byte `start` hangs on the word before by an apostrophe ("s" of "Labour's").
fn clitic(text: &str, start: usize) -> bool {
    let mut before = text[..start].chars().rev();
    matches!(before.next(), Some('\'' | '\u{2019}')) && before.next().is_some_and(char::is_alphanumeric)
}

/// Word-level BIO decoding: each word takes the label of its first piece; a
/// B- starts a mention, an I- continues one of its label (or starts one); no
/// mention goes on across a line break.
pub fn decode(text: &str, enc: &Encoded, probs: &[f32], min_score: f32) -> Vec<EntitySpan> {
    let ix = OffsetIndex::new(text);
    let mut out = Vec::new();
    // (label, byte range, sum of probs, words)
    let mut cur: Option<(EntityLabel, Range<usize>, f32, usize)> = None;
    let mut flush = |cur: &mut Option<(EntityLabel, Range<usize>, f32, usize)>| {
        if let Some((label, mut r, sum, n)) = cur.take() {
            let trailing =
                |c: char| c.is_ascii_punctuation() || c.is_whitespace() || "\u{2019}\u{201d}\u{bb}".contains(c);
            let kept = text[r.clone()].trim_end_matches(trailing).len();
            r.end = r.start + kept;
            let score = sum / n as f32;
            // a mention of function words alone ("of the") names nothing
            let named = text[r.clone()].split(|c: char| !c.is_alphanumeric()).any(|w| {
                !w.is_empty() && !matches!(w, "of" | "the" | "a" | "an" | "and" | "for" | "to" | "in" | "on" | "s")
            });
            if score >= min_score && r.start < r.end && named {
                out.push(EntitySpan { span: ix.span(r), label, score });
            }
        }
    };
    for (first, _, range) in words(enc) {
        let p = &probs[first * N_LABELS..(first + 1) * N_LABELS];
        let (best, &pb) = p.iter().enumerate().fold((0, &p[0]), |a, b| if b.1 > a.1 { b } else { a });
        let word = &text[range.clone()];
        match bio_label(best) {
            None => flush(&mut cur),
            // a punctuation word never starts a mention, nor does the clitic of a
            // possessive ("s" of "Labour's", a word of its own to the tokenizer)
            Some(_) if cur.is_none() && (!word.chars().any(char::is_alphanumeric) || clitic(text, range.start)) => {}
            Some((label, inside)) => {
                // "Ruth Abernethy-Singh": a person's name goes on across a
                // single space or a hyphen even when a piece is tagged B-
                let joined = cur.as_ref().is_some_and(|c| {
                    c.0 == label
                        && label == EntityLabel::Person
                        && matches!(&text[c.1.end..range.start], " " | "-" | "")
                });
                let same_line = cur.as_ref().is_some_and(|c| !text[c.1.end..range.start].contains('\n'));
                let cont = (inside || joined) && same_line && cur.as_ref().is_some_and(|c| c.0 == label);
                if cont {
                    let c = cur.as_mut().expect("checked");
                    c.1.end = range.end;
                    c.2 += pb;
                    c.3 += 1;
                } else {
                    flush(&mut cur);
                    cur = Some((label, range.clone(), pb, 1));
                }
            }
        }
    }
    flush(&mut cur);
    out
}

#[cfg(feature = "models")]
/// Encoder plus NER head: the model-based [`EntityRecognizer`].
#[derive(Debug)]
pub struct ModelRecognizer {
    pub encoder: Encoder,
    pub ner: NerModel,
}

#[cfg(feature = "models")]
impl ModelRecognizer {
    /// Loads the encoder and the NER head for a models dir; `threads` 0: all cores.
    pub fn load(models_dir: &Path, threads: usize) -> Result<ModelRecognizer> {
        Ok(ModelRecognizer { encoder: Encoder::load(models_dir, threads)?, ner: NerModel::load_default(models_dir)? })
    }
}

#[cfg(feature = "models")]
impl EntityRecognizer for ModelRecognizer {
    fn recognise(&self, text: &str) -> Result<Vec<EntitySpan>> {
        let enc = self.encoder.encode(&[text])?;
        self.ner.try_predict(text, &enc[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::test_tokens;

    fn fake(text: &str, pieces: &[&str]) -> Encoded {
        // adjacent pieces (no gap between them) belong to one word
        Encoded { hidden: 0, states: Vec::new(), tokens: test_tokens(text, pieces, true) }
    }

    #[test]
    fn bio_round_trip() {
        for l in EntityLabel::ALL {
            for inside in [false, true] {
                assert_eq!(bio_label(bio_index(l, inside)), Some((l, inside)));
            }
        }
        assert_eq!(bio_label(0), None);
    }

    #[test]
    fn features_and_decoding() {
        let text = "Mr Peter Oka\u{301}for said.";
        let enc = fake(text, &["Mr", "Peter", "Oka\u{301}", "for", "said", "."]);
        let f = token_features(text, &enc);
        let row = |i: usize| &f[i * N_FEATURES..(i + 1) * N_FEATURES];
        assert_eq!(row(0)[4], 1.0, "sentence-initial");
        assert_eq!(row(1)[3], 1.0, "after honorific");
        assert_eq!(row(1)[0], 1.0, "capitalised");
        assert_eq!(row(3)[1], 0.0, "continuation piece");
        assert_eq!(row(4)[0], 0.0);
        let mut probs = vec![0f32; enc.len() * N_LABELS];
        let set = |p: &mut Vec<f32>, t: usize, l: usize| p[t * N_LABELS + l] = 0.9;
        set(&mut probs, 0, 0);
        set(&mut probs, 1, bio_index(EntityLabel::Person, false));
        set(&mut probs, 2, bio_index(EntityLabel::Person, true));
        set(&mut probs, 3, 0); // continuation pieces are ignored
        set(&mut probs, 4, 0);
        set(&mut probs, 5, 0);
        let ents = decode(text, &enc, &probs, 0.5);
        assert_eq!(ents.len(), 1);
        assert_eq!(&text[ents[0].bytes()], "Peter Oka\u{301}for");
        assert_eq!(ents[0].span.start, 3);
        assert_eq!(ents[0].span.end, 3 + "Peter Oka\u{301}for".chars().count());
        assert!(decode(text, &enc, &probs, 0.95).is_empty());
    }

    #[test]
    fn no_mention_opens_on_a_clitic_or_is_function_words_alone() {
        // the tokenizer's words: "Labour" "’" "s" "health" "spokesperson" "spoke" "of" "the" "plan" "."
        let text = "Labour\u{2019}s health spokesperson spoke of the plan.";
        let forms = ["Labour", "\u{2019}", "s", "health", "spokesperson", "spoke", "of", "the", "plan", "."];
        let enc = Encoded { hidden: 0, states: Vec::new(), tokens: test_tokens(text, &forms, false) };
        let mut probs = vec![0f32; enc.len() * N_LABELS];
        let role = |inside| bio_index(EntityLabel::Role, inside);
        for (t, l) in [(0, 0), (1, 0), (2, role(false)), (3, role(true)), (4, role(true)), (5, 0)] {
            probs[t * N_LABELS + l] = 0.9;
        }
        for (t, l) in [(6, role(false)), (7, role(true)), (8, 0), (9, 0)] {
            probs[t * N_LABELS + l] = 0.9;
        }
        let ents = decode(text, &enc, &probs, 0.0);
        let got: Vec<&str> = ents.iter().map(|e| &text[e.bytes()]).collect();
        assert_eq!(got, ["health spokesperson"]);
    }
}
