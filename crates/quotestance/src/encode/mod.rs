//! The transformer encoder: texts in, contextual token states out, every
//! token mapped back to byte and code-point offsets of the ORIGINAL text.
//!
//! * Tokenising: the model's `tokenizer.json` with its padding and truncation
//!   switched off (the MiniLM file pads every input to 128 and cuts there);
//!   windowing and padding are done here.
//! * Windowing: a text longer than a window (256 tokens with `[CLS]` and
//!   `[SEP]`) is cut into overlapping windows; each token keeps the state from
//!   the window where it lies furthest from an edge ([`plan_windows`]).
//! * Batching: all windows of a call are sorted by length and packed into
//!   batches padded only to their own longest ([`plan_batches`]), so little
//!   padding is computed; [`Encoder::stats`] reports real and padded tokens.
//! * Threads: the encoder runs in its own pool of `threads` workers (0: all cores).

pub mod backend;
#[cfg(feature = "models")]
pub mod candle;

pub use backend::{Backend, Batch};

use crate::budget::Budget;
#[cfg(feature = "models")]
use crate::error::Error;
use crate::error::Result;
#[cfg(feature = "models")]
use crate::models::{encoder_dir, not_found, require_file};
use crate::normalise::OffsetIndex;
#[cfg(feature = "models")]
use rayon::prelude::*;
use std::ops::Range;
#[cfg(feature = "models")]
use std::path::Path;
#[cfg(feature = "models")]
use std::sync::atomic::{AtomicU64, Ordering};
#[cfg(feature = "models")]
use tokenizers::Tokenizer;

/// How texts are cut and batched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodeOptions {
    /// Tokens per window, `[CLS]` and `[SEP]` included.
    pub window: usize,
    /// Tokens two neighbouring windows share.
    pub overlap: usize,
    /// Upper bound on `batch * padded_len` of one batch. Small batches run
    /// faster on the CPU (their activations stay in cache): on 2 cores, 768
    /// gave 7,790 tokens/s on short sentences and 5,050 on whole articles,
    /// against 7,270 and 4,070 with 4,096 (`examples/encode_bench.rs`).
    pub max_batch_tokens: usize,
    /// Upper bound on the sequences of one batch.
    pub max_batch_seqs: usize,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions { window: 256, overlap: 64, max_batch_tokens: 768, max_batch_seqs: 64 }
    }
}

/// One word piece of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub id: u32,
    /// Byte range in the original text.
    pub bytes: Range<usize>,
    /// Code-point range in the original text.
    pub chars: Range<usize>,
    /// Index of the pre-tokenised word the piece belongs to.
    pub word: Option<u32>,
}

/// The encoder's output for one text: one state row per token (no specials).
#[derive(Debug, Clone, PartialEq)]
pub struct Encoded {
    pub tokens: Vec<Token>,
    /// Width of a state row.
    pub hidden: usize,
    /// `tokens.len() * hidden` floats, row-major.
    pub states: Vec<f32>,
}

impl Encoded {
    /// The state row of token `i`.
    pub fn state(&self, i: usize) -> &[f32] {
        &self.states[i * self.hidden..(i + 1) * self.hidden]
    }
    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }
    /// True for an empty (or all-whitespace) text.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}

/// Work counters since load (or the last [`Encoder::reset_stats`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct EncodeStats {
    pub texts: u64,
    /// Tokens of the texts (each counted once).
    pub text_tokens: u64,
    /// Tokens fed to the model, specials and window overlaps included, padding not.
    pub real_tokens: u64,
    /// Tokens computed, padding included.
    pub padded_tokens: u64,
    pub sequences: u64,
    pub batches: u64,
}

impl EncodeStats {
    /// real / padded (1.0 means no padding computed).
    pub fn fill_ratio(&self) -> f64 {
        if self.padded_tokens == 0 {
            1.0
        } else {
            self.real_tokens as f64 / self.padded_tokens as f64
        }
    }
}

#[cfg(feature = "models")]
/// Running [`EncodeStats`], shared by threads.
#[derive(Default, Debug)]
pub(crate) struct Counters([AtomicU64; 6]);

#[cfg(feature = "models")]
impl Counters {
    pub(crate) fn add(&self, s: &EncodeStats) {
        let v = [s.texts, s.text_tokens, s.real_tokens, s.padded_tokens, s.sequences, s.batches];
        for (c, v) in self.0.iter().zip(v) {
            c.fetch_add(v, Ordering::Relaxed);
        }
    }

    pub(crate) fn get(&self) -> EncodeStats {
        let g = |i: usize| self.0[i].load(Ordering::Relaxed);
        EncodeStats {
            texts: g(0),
            text_tokens: g(1),
            real_tokens: g(2),
            padded_tokens: g(3),
            sequences: g(4),
            batches: g(5),
        }
    }

    pub(crate) fn reset(&self) {
        for c in &self.0 {
            c.store(0, Ordering::Relaxed);
        }
    }
}

/// One window of a tokenised text: tokens `start..end` go in, states of
/// `keep` (a sub-range) are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub start: usize,
    pub end: usize,
    pub keep: Range<usize>,
}

/// Cuts `n` tokens into windows of at most `content` tokens overlapping by
/// `overlap`; the `keep` ranges tile `0..n` exactly, each overlap split in half.
pub fn plan_windows(n: usize, content: usize, overlap: usize) -> Vec<Window> {
    if n == 0 {
        return Vec::new();
    }
    let content = content.max(1);
    if n <= content {
        return vec![Window { start: 0, end: n, keep: 0..n }];
    }
    let overlap = overlap.min(content - 1);
    let step = content - overlap;
    let mut wins: Vec<Window> = Vec::new();
    let mut start = 0;
    loop {
        let end = (start + content).min(n);
        let start_now = end.saturating_sub(content);
        wins.push(Window { start: start_now, end, keep: start_now..end });
        if end == n {
            break;
        }
        start += step;
    }
    for i in 1..wins.len() {
        let (a_end, b_start) = (wins[i - 1].end, wins[i].start);
        let mid = (a_end + b_start).div_ceil(2).max(wins[i - 1].keep.start);
        wins[i - 1].keep.end = mid;
        wins[i].keep.start = mid;
    }
    wins
}

/// Largest share of padding [`plan_batches`] lets into a batch.
pub const MAX_PADDING: f64 = 0.1;

/// Groups sequences (given by length) into batches: longest first, each batch
/// padded to its first (longest) member, at most `max_tokens` padded tokens
/// and `max_seqs` sequences per batch, and a new batch is started rather than
/// let padding exceed [`MAX_PADDING`] of a batch. Returns indices into `lengths`.
pub fn plan_batches(lengths: &[usize], max_tokens: usize, max_seqs: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    order.sort_by(|&a, &b| lengths[b].cmp(&lengths[a]).then(a.cmp(&b)));
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut cur: Vec<usize> = Vec::new();
    let (mut width, mut real) = (0, 0);
    for i in order {
        if !cur.is_empty() {
            let padded = (cur.len() + 1) * width;
            let waste = (padded - real - lengths[i]) as f64;
            if padded > max_tokens || cur.len() >= max_seqs.max(1) || waste > MAX_PADDING * padded as f64 {
                out.push(std::mem::take(&mut cur));
            }
        }
        if cur.is_empty() {
            width = lengths[i];
            real = 0;
        }
        real += lengths[i];
        cur.push(i);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The nearest char boundary at or before `b`.
fn floor_boundary(text: &str, mut b: usize) -> usize {
    b = b.min(text.len());
    while !text.is_char_boundary(b) {
        b -= 1;
    }
    b
}

/// Token pieces of one text with offsets in bytes and code points.
pub fn tokens_from_offsets(text: &str, ids: &[u32], offsets: &[(usize, usize)], words: &[Option<u32>]) -> Vec<Token> {
    let ix = OffsetIndex::new(text);
    ids.iter()
        .enumerate()
        .map(|(i, &id)| {
            let (s, e) = offsets[i];
            let s = floor_boundary(text, s);
            let e = floor_boundary(text, e).max(s);
            Token { id, bytes: s..e, chars: ix.char_of(s)..ix.char_of(e), word: words.get(i).copied().flatten() }
        })
        .collect()
}

#[cfg(feature = "models")]
/// Tokeniser plus backend plus thread pool.
pub struct Encoder {
    tokenizer: Tokenizer,
    backend: Box<dyn Backend>,
    pool: rayon::ThreadPool,
    options: EncodeOptions,
    cls: u32,
    sep: u32,
    pad: u32,
    counters: Counters,
}

#[cfg(feature = "models")]
impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder")
            .field("backend", &self.backend.name())
            .field("threads", &self.pool.current_num_threads())
            .field("options", &self.options)
            .finish()
    }
}

#[cfg(feature = "models")]
fn special_id(tok: &Tokenizer, name: &str, path: &Path) -> Result<u32> {
    tok.token_to_id(name).ok_or_else(|| not_found(path, format!("tokenizer has no {name} token")))
}

#[cfg(feature = "models")]
impl Encoder {
    /// Loads the encoder from `MODELS_DIR/all-MiniLM-L6-v2` with the candle
    /// backend; `threads` 0 means all cores.
    pub fn load(models_dir: &Path, threads: usize) -> Result<Encoder> {
        let dir = encoder_dir(models_dir);
        let backend = candle::CandleBackend::load(&dir, candle::default_device())?;
        Encoder::with_backend(&dir, Box::new(backend), threads)
    }

    /// An encoder from a tokenizer folder and any backend.
    pub fn with_backend(dir: &Path, backend: Box<dyn Backend>, threads: usize) -> Result<Encoder> {
        let tok_path = require_file(dir, "tokenizer.json")?;
        let mut tokenizer = Tokenizer::from_file(&tok_path)
            .map_err(|e| not_found(&tok_path, format!("not a readable tokenizer: {e}")))?;
        tokenizer.with_padding(None);
        tokenizer.with_truncation(None).map_err(|e| Error::Model(format!("tokenizer: {e}")))?;
        let cls = special_id(&tokenizer, "[CLS]", &tok_path)?;
        let sep = special_id(&tokenizer, "[SEP]", &tok_path)?;
        let pad = special_id(&tokenizer, "[PAD]", &tok_path)?;
        let threads = if threads == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { threads };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("qs-encoder-{i}"))
            .build()
            .map_err(|e| Error::Config(format!("cannot start {threads} encoder threads: {e}")))?;
        let mut options = EncodeOptions::default();
        options.window = options.window.min(backend.max_positions());
        Ok(Encoder { tokenizer, backend, pool, options, cls, sep, pad, counters: Counters::default() })
    }

    /// Changes the windowing and batching.
    pub fn set_options(&mut self, options: EncodeOptions) -> Result<()> {
        if options.window < 3 || options.window > self.backend.max_positions() || options.overlap + 2 >= options.window
        {
            return Err(Error::Config(format!(
                "window must lie in 3..={} and overlap below window - 2",
                self.backend.max_positions()
            )));
        }
        self.options = options;
        Ok(())
    }

    pub fn options(&self) -> EncodeOptions {
        self.options
    }

    /// Width of the token states.
    pub fn hidden_size(&self) -> usize {
        self.backend.hidden_size()
    }

    /// Worker threads of the encoder.
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// The backend's name.
    pub fn backend_name(&self) -> &str {
        self.backend.name()
    }

    /// Tokens of a text, without specials, with their offsets (no model run).
    pub fn tokenize(&self, text: &str) -> Result<Vec<Token>> {
        let enc = self.tokenizer.encode(text, false).map_err(|e| Error::Model(format!("tokenizer: {e}")))?;
        Ok(tokens_from_offsets(text, enc.get_ids(), enc.get_offsets(), enc.get_word_ids()))
    }

    /// Encodes texts; one [`Encoded`] per text, in order.
    pub fn encode(&self, texts: &[&str]) -> Result<Vec<Encoded>> {
        self.encode_within(texts, &Budget::unlimited())
    }

    /// [`Encoder::encode`], checking `budget` before each group of batches.
    pub fn encode_within(&self, texts: &[&str], budget: &Budget<'_>) -> Result<Vec<Encoded>> {
        self.pool.install(|| self.encode_inner(texts, budget))
    }

    fn encode_inner(&self, texts: &[&str], budget: &Budget<'_>) -> Result<Vec<Encoded>> {
        let hidden = self.backend.hidden_size();
        let mut out: Vec<Encoded> = Vec::with_capacity(texts.len());
        for t in texts {
            let tokens = self.tokenize(t)?;
            let states = vec![0f32; tokens.len() * hidden];
            out.push(Encoded { tokens, hidden, states });
        }
        // (text, window) for every window of every text
        let content = self.options.window - 2;
        let mut wins: Vec<(usize, Window)> = Vec::new();
        for (ti, e) in out.iter().enumerate() {
            for w in plan_windows(e.tokens.len(), content, self.options.overlap) {
                wins.push((ti, w));
            }
        }
        let lengths: Vec<usize> = wins.iter().map(|(_, w)| w.end - w.start + 2).collect();
        let batches = plan_batches(&lengths, self.options.max_batch_tokens, self.options.max_batch_seqs);
        let (mut real, mut padded) = (0u64, 0u64);
        let build = |out: &[Encoded], b: &[usize]| {
            let seq = lengths[b[0]];
            let mut batch =
                Batch { ids: vec![self.pad; b.len() * seq], mask: vec![0; b.len() * seq], batch: b.len(), seq };
            for (row, &wi) in b.iter().enumerate() {
                let (ti, w) = &wins[wi];
                let base = row * seq;
                batch.ids[base] = self.cls;
                for (k, tok) in out[*ti].tokens[w.start..w.end].iter().enumerate() {
                    batch.ids[base + 1 + k] = tok.id;
                }
                batch.ids[base + 1 + (w.end - w.start)] = self.sep;
                batch.mask[base..base + lengths[wi]].fill(1);
            }
            batch
        };
        // a backend that runs a batch on one thread gets as many batches at once
        // as there are threads; otherwise the backend spreads each batch itself
        let threads = if self.backend.single_threaded() { self.pool.current_num_threads().max(1) } else { 1 };
        for group in batches.chunks(threads) {
            budget.check("encode")?;
            let built: Vec<Batch> = group.iter().map(|b| build(&out, b)).collect();
            let states: Vec<Result<Vec<f32>>> = built.par_iter().map(|batch| self.backend.forward(batch)).collect();
            for ((b, batch), states) in group.iter().zip(&built).zip(states) {
                let states = states?;
                let seq = batch.seq;
                real += batch.real_tokens() as u64;
                padded += batch.padded_tokens() as u64;
                if states.len() != batch.padded_tokens() * hidden {
                    return Err(Error::Internal(format!(
                        "backend returned {} floats for a {}x{}x{hidden} batch",
                        states.len(),
                        batch.batch,
                        batch.seq
                    )));
                }
                for (row, &wi) in b.iter().enumerate() {
                    let (ti, w) = &wins[wi];
                    for t in w.keep.clone() {
                        let src = (row * seq + 1 + (t - w.start)) * hidden;
                        out[*ti].states[t * hidden..(t + 1) * hidden].copy_from_slice(&states[src..src + hidden]);
                    }
                }
            }
        }
        self.counters.add(&EncodeStats {
            texts: texts.len() as u64,
            text_tokens: out.iter().map(|e| e.tokens.len() as u64).sum(),
            real_tokens: real,
            padded_tokens: padded,
            sequences: wins.len() as u64,
            batches: batches.len() as u64,
        });
        Ok(out)
    }

    /// Work done since load or the last reset.
    pub fn stats(&self) -> EncodeStats {
        self.counters.get()
    }

    /// Sets the counters to zero.
    pub fn reset_stats(&self) {
        self.counters.reset();
    }
}

/// Tokens for tests: each of `pieces` found in `text` after the one before,
/// ids 0, 1, ...; each piece its own word, or with `glue`, pieces with no gap
/// between them one word (as word pieces are).
/// Built without the `models` feature there is no encoder: the type remains so that the rule
/// path of the pipeline reads the same, and no value of it can exist.
#[cfg(not(feature = "models"))]
#[derive(Debug)]
pub enum Encoder {}

#[cfg(not(feature = "models"))]
impl Encoder {
    /// Never called: no `Encoder` exists without the `models` feature.
    pub fn encode(&self, _texts: &[&str]) -> Result<Vec<Encoded>> {
        match *self {}
    }
    /// Never called: no `Encoder` exists without the `models` feature.
    pub fn encode_within(&self, _texts: &[&str], _budget: &Budget<'_>) -> Result<Vec<Encoded>> {
        match *self {}
    }
    /// Never called: no `Encoder` exists without the `models` feature.
    pub fn stats(&self) -> EncodeStats {
        match *self {}
    }
}

#[cfg(test)]
pub(crate) fn test_tokens(text: &str, pieces: &[&str], glue: bool) -> Vec<Token> {
    let mut offsets: Vec<(usize, usize)> = Vec::new();
    let mut words = Vec::new();
    let mut from = 0;
    for p in pieces {
        let s = text[from..].find(p).expect("piece in text") + from;
        let w = match words.last() {
            Some(&Some(w)) if !(glue && offsets.last().is_some_and(|o| o.1 == s)) => w + 1,
            Some(&w) => w.expect("set"),
            None => 0,
        };
        words.push(Some(w));
        offsets.push((s, s + p.len()));
        from = s + p.len();
    }
    let ids: Vec<u32> = (0..pieces.len() as u32).collect();
    tokens_from_offsets(text, &ids, &offsets, &words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_tiling(n: usize, content: usize, overlap: usize) {
        let w = plan_windows(n, content, overlap);
        if n == 0 {
            assert!(w.is_empty());
            return;
        }
        assert_eq!(w[0].keep.start, 0);
        assert_eq!(w.last().unwrap().keep.end, n);
        for win in &w {
            assert!(win.end - win.start <= content, "{win:?}");
            assert!(win.start <= win.keep.start && win.keep.end <= win.end, "{win:?}");
            assert!(win.keep.start < win.keep.end, "{n} {content} {overlap} {w:?}");
        }
        for p in w.windows(2) {
            assert_eq!(p[0].keep.end, p[1].keep.start);
            assert!(overlap == 0 || p[1].start < p[0].end, "windows must overlap");
        }
    }

    #[test]
    fn windows_tile_every_length() {
        for n in 0..700 {
            check_tiling(n, 254, 64);
            check_tiling(n, 10, 3);
            check_tiling(n, 5, 0);
            check_tiling(n, 4, 3);
        }
    }

    #[test]
    fn windows_keep_centres() {
        let w = plan_windows(20, 10, 4);
        // 0..10, 6..16, 10..20; overlaps split in half
        assert_eq!(w.iter().map(|x| (x.start, x.end)).collect::<Vec<_>>(), vec![(0, 10), (6, 16), (10, 20)]);
        assert_eq!(w[0].keep, 0..8);
        assert_eq!(w[1].keep, 8..13);
        assert_eq!(w[2].keep, 13..20);
    }

    #[test]
    fn batches_sorted_and_bounded() {
        let lens = [5, 100, 7, 98, 6, 50, 3];
        let b = plan_batches(&lens, 200, 8);
        let all: Vec<usize> = b.iter().flatten().copied().collect();
        let mut sorted = all.clone();
        sorted.sort();
        assert_eq!(sorted, (0..lens.len()).collect::<Vec<_>>());
        for batch in &b {
            let w = lens[batch[0]];
            assert!(batch.iter().all(|&i| lens[i] <= w));
            assert!(batch.len() == 1 || batch.len() * w <= 200);
        }
        assert_eq!(b[0], vec![1, 3]);
        let padded: usize = b.iter().map(|x| x.len() * lens[x[0]]).sum();
        let real: usize = lens.iter().sum();
        assert!(padded - real <= 30, "{padded} vs {real}");
        assert_eq!(plan_batches(&[], 10, 2), Vec::<Vec<usize>>::new());
        assert_eq!(plan_batches(&[1, 1, 1], 100, 2).len(), 2);
    }

    #[test]
    fn offsets_map_to_bytes_and_code_points() {
        // "Café “Zoë” 😀 ok": tokens as a tokenizer would report them (byte offsets).
        let text = "Caf\u{e9} \u{201c}Zo\u{eb}\u{201d} \u{1F600} ok";
        let pieces = ["Caf\u{e9}", "\u{201c}", "Zo\u{eb}", "\u{201d}", "\u{1F600}", "ok"];
        let toks = test_tokens(text, &pieces, false);
        let chars: Vec<char> = text.chars().collect();
        for (t, p) in toks.iter().zip(pieces) {
            assert_eq!(&text[t.bytes.clone()], p);
            assert_eq!(chars[t.chars.clone()].iter().collect::<String>(), p);
        }
        // a bad offset inside a multi-byte char snaps to the boundary before it
        let t = tokens_from_offsets(text, &[1], &[(4, 5)], &[None]);
        assert_eq!(t[0].bytes, 3..5);
        assert_eq!(t[0].chars, 3..4);
    }
}
