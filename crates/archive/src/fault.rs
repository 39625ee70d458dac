//! Fault injection for tests: a disk that fills up, an fsync that fails.
//!
//! Set through [`crate::Config::faults`]; leave it `None` in production.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Simulated storage faults, shared with the writer thread.
#[derive(Debug)]
pub struct Faults {
    /// Bytes the writer may still write before the "disk" is full (`u64::MAX`: unlimited).
    pub space_left: AtomicU64,
    /// When set, the next fdatasync fails with an I/O error.
    pub fail_sync: AtomicBool,
    /// fdatasyncs done so far (to check group commit).
    pub syncs: AtomicU64,
}

impl Default for Faults {
    fn default() -> Self {
        Faults { space_left: AtomicU64::new(u64::MAX), fail_sync: AtomicBool::new(false), syncs: AtomicU64::new(0) }
    }
}

impl Faults {
    /// A disk with `bytes` of room left.
    pub fn disk_with_room(bytes: u64) -> Self {
        let f = Faults::default();
        f.space_left.store(bytes, Ordering::SeqCst);
        f
    }

    /// How many of `want` bytes fit; takes them from the space left. A write that does not
    /// fit is partly written, as a real full disk does.
    pub(crate) fn allow_write(&self, want: usize) -> usize {
        let left = self.space_left.load(Ordering::SeqCst);
        let n = (want as u64).min(left);
        self.space_left.store(left - n, Ordering::SeqCst);
        n as usize
    }

    pub(crate) fn check_sync(&self) -> io::Result<()> {
        if self.fail_sync.swap(false, Ordering::SeqCst) {
            return Err(io::Error::other("fdatasync failed (simulated)"));
        }
        Ok(())
    }

    pub(crate) fn synced(&self) {
        self.syncs.fetch_add(1, Ordering::SeqCst);
    }
}
