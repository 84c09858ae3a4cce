//! What the model heads share: candle errors as ours, the seeded shuffle and dev
//! split of their training loops, and a cache of the corpus's encoder states.

use crate::encode::{Encoded, Encoder, Token};
use crate::error::{Error, Result};
use candle_core::{Device, Tensor};
use std::path::{Path, PathBuf};

/// xorshift64: a small seeded generator for shuffling training examples reproducibly.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Fisher-Yates shuffle.
    pub(crate) fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// A candle error as [`Error::Model`].
pub(crate) fn cerr(e: candle_core::Error) -> Error {
    Error::Model(format!("candle: {e}"))
}

/// Splits training documents into (train, dev) by name: every 8th is dev, the
/// same rule for every head. An empty dev part falls back to the train part.
pub(crate) fn split_dev<T: Clone>(mut docs: Vec<T>, name: impl Fn(&T) -> &str) -> (Vec<T>, Vec<T>) {
    docs.sort_by(|a, b| name(a).cmp(name(b)));
    let (mut train, mut dev) = (Vec::new(), Vec::new());
    for (i, d) in docs.into_iter().enumerate() {
        if i % 8 == 7 {
            dev.push(d);
        } else {
            train.push(d);
        }
    }
    if dev.is_empty() {
        dev = train.clone();
    }
    (train, dev)
}

fn cache_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in text.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100000001b3);
    }
    dir.join(format!("{name}-{h:016x}.safetensors"))
}

fn save_cached(path: &Path, e: &Encoded) -> Result<()> {
    let n = e.len();
    let mut meta: Vec<u32> = Vec::with_capacity(n * 6);
    for t in &e.tokens {
        let w = t.word.unwrap_or(u32::MAX);
        let r = [t.id, t.bytes.start as u32, t.bytes.end as u32, t.chars.start as u32, t.chars.end as u32, w];
        meta.extend_from_slice(&r);
    }
    let map = std::collections::HashMap::from([
        ("tokens".to_string(), Tensor::from_vec(meta, (n, 6), &Device::Cpu).map_err(cerr)?),
        ("states".to_string(), Tensor::from_slice(&e.states, (n, e.hidden), &Device::Cpu).map_err(cerr)?),
    ]);
    candle_core::safetensors::save(&map, path).map_err(cerr)
}

fn load_cached(path: &Path, hidden: usize) -> Option<Encoded> {
    let map = candle_core::safetensors::load(path, &Device::Cpu).ok()?;
    let meta = map.get("tokens")?.flatten_all().ok()?.to_vec1::<u32>().ok()?;
    let states = map.get("states")?.flatten_all().ok()?.to_vec1::<f32>().ok()?;
    let tokens: Vec<Token> = meta
        .chunks(6)
        .map(|r| Token {
            id: r[0],
            bytes: r[1] as usize..r[2] as usize,
            chars: r[3] as usize..r[4] as usize,
            word: (r[5] != u32::MAX).then_some(r[5]),
        })
        .collect();
    (states.len() == tokens.len() * hidden).then_some(Encoded { tokens, hidden, states })
}

/// Encodes `(name, text)` documents for training, reusing (and filling) a
/// folder of cached states keyed by name and text hash when `cache` is given,
/// so that every head's training encodes the corpus once.
pub(crate) fn encode_cached(
    encoder: &Encoder,
    docs: &[(&str, &str)],
    what: &str,
    cache: Option<&Path>,
) -> Result<Vec<Encoded>> {
    let mut out: Vec<Option<Encoded>> = docs
        .iter()
        .map(|&(n, t)| cache.and_then(|c| load_cached(&cache_file(c, n, t), encoder.hidden_size())))
        .collect();
    let todo: Vec<usize> = (0..docs.len()).filter(|&i| out[i].is_none()).collect();
    if let Some(c) = cache {
        std::fs::create_dir_all(c).map_err(|e| Error::io(c, e))?;
    }
    for (k, chunk) in todo.chunks(16).enumerate() {
        let texts: Vec<&str> = chunk.iter().map(|&i| docs[i].1).collect();
        for (&i, e) in chunk.iter().zip(encoder.encode(&texts)?) {
            if let Some(c) = cache {
                save_cached(&cache_file(c, docs[i].0, docs[i].1), &e)?;
            }
            out[i] = Some(e);
        }
        eprintln!(
            "encoded {what}: {}/{} (cached: {})",
            (k * 16 + chunk.len()).min(todo.len()),
            todo.len(),
            docs.len() - todo.len()
        );
    }
    out.into_iter().map(|e| e.ok_or_else(|| Error::Internal("a document was not encoded".into()))).collect()
}
