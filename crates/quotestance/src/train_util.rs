//! What the model heads share: candle errors as ours, and the seeded shuffle of their training loops.

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
