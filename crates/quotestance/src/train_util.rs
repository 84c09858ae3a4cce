//! What the model heads share: candle errors as ours, and the seeded shuffle and dev split of their training loops.

use crate::error::Error;

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
