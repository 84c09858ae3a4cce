//! A document's time budget: a deadline ([`Config::deadline_ms`](crate::Config::deadline_ms))
//! and a cancel flag (set by another thread: Python's Ctrl-C handler, a batch shutting down),
//! checked between the pipeline's stages and between the encoder's batches. Every stage is
//! linear in the text, so the time between two checks is bounded by the document's size.

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// When the work on one document must stop.
#[derive(Debug, Clone, Copy)]
pub struct Budget<'a> {
    started: Instant,
    limit: Option<Duration>,
    cancel: Option<&'a AtomicBool>,
}

impl<'a> Budget<'a> {
    /// A budget from now: `limit` of wall time (none for `None`), and a flag that cancels.
    pub fn new(limit: Option<Duration>, cancel: Option<&'a AtomicBool>) -> Budget<'a> {
        Budget { started: Instant::now(), limit, cancel }
    }

    /// No deadline and no cancel flag.
    pub fn unlimited() -> Budget<'static> {
        Budget { started: Instant::now(), limit: None, cancel: None }
    }

    /// `Err` when the flag is set ([`Error::Cancelled`]) or the deadline has passed
    /// ([`Error::Deadline`], naming `stage`, the step about to start).
    pub fn check(&self, stage: &'static str) -> Result<()> {
        if self.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(Error::Cancelled);
        }
        match self.limit {
            Some(limit) if self.started.elapsed() > limit => {
                Err(Error::Deadline { limit_ms: limit.as_millis() as u64, stage })
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_flag_cancels_and_a_passed_deadline_stops() {
        let flag = AtomicBool::new(false);
        let b = Budget::new(Some(Duration::from_secs(60)), Some(&flag));
        assert!(b.check("quotes").is_ok());
        flag.store(true, Ordering::Relaxed);
        assert!(matches!(b.check("quotes"), Err(Error::Cancelled)));
        let late = Budget::new(Some(Duration::ZERO), None);
        std::thread::sleep(Duration::from_millis(2));
        let err = late.check("stance").unwrap_err();
        assert!(matches!(err, Error::Deadline { stage: "stance", .. }), "{err}");
        assert!(Budget::unlimited().check("x").is_ok());
    }
}
