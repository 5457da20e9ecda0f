//! [`ChangeEpoch`]: a counter that moves whenever committed metadata may have changed, so that what
//! is derived from the metadata (rendered documents, looked-up rows) can be kept while it holds.
//!
//! It moves in two ways: after every store call that may write, on the process that made it
//! ([`ChangeEpoch::bump`], before the call returns, so a replica reads its own writes), and when a
//! backend shared by several processes says another one committed ([`ChangeFeed`]; PostgreSQL's
//! LISTEN/NOTIFY). Nothing derived may outlive a bound on its age either (the holder's TTL): that
//! bound is what holds if a notification comes late or a feed is down.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The metadata's change counter, shared by the service and the backend's change feed.
#[derive(Debug, Default)]
pub struct ChangeEpoch {
    value: AtomicU64,
}

impl ChangeEpoch {
    /// The current value: read it *before* reading what is derived from the metadata, and keep
    /// the result only while it is still the current value.
    pub fn current(&self) -> u64 {
        self.value.load(Ordering::Acquire)
    }

    /// Anything read before now may be out of date.
    pub fn bump(&self) {
        self.value.fetch_add(1, Ordering::AcqRel);
    }
}

/// A backend that can tell when *another* process committed a change (the process's own writes
/// move the epoch through the service's store wrapper). The default tells nothing: a backend that
/// only one process writes needs no feed.
pub trait ChangeFeed {
    /// Bumps `epoch` whenever another process commits a change, and whenever the feed may have
    /// missed one (when it starts, and when it reconnects after losing its connection).
    fn watch_changes(&self, epoch: Arc<ChangeEpoch>) {
        let _ = epoch;
    }
}
