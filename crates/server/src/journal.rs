//! The alert journal: every alert change, in the order the alert book made
//! it, appended to a JSON Lines file — opened, updated, closed, retracted and
//! acknowledged (with who and why). It is the service's record of what it
//! told operators and when, so it must be complete: the pipeline hands
//! changes to a writer thread through a bounded queue and waits when the
//! disk falls behind (backpressure), never drops.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

use tracing::{error, info};

use crate::error::Error;
use lookout_alert::AlertChange;

/// Alert changes queued for the writer before the pipeline waits.
pub const JOURNAL_QUEUE: usize = 4096;

/// One journal line.
#[derive(serde::Serialize)]
struct Line<'a> {
    /// The alert book's change number (strictly increasing within a run).
    seq: u64,
    /// When the line was written, wall clock, RFC 3339.
    written_at: String,
    #[serde(flatten)]
    alert: lookout_alert::AlertRecord<'a>,
}

/// The sending half, held by the service.
#[derive(Clone)]
pub struct Journal {
    tx: SyncSender<Arc<AlertChange>>,
}

impl Journal {
    /// Opens (appends to) `path` and starts the writer thread. The thread
    /// ends, after writing everything queued, when every `Journal` is dropped.
    pub fn open(path: &Path) -> Result<(Journal, std::thread::JoinHandle<()>), Error> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::io(format!("open alert journal {}", path.display()), e))?;
        let (tx, rx) = sync_channel(JOURNAL_QUEUE);
        let path = path.to_path_buf();
        let handle = std::thread::Builder::new()
            .name("alert-journal".into())
            .spawn(move || write_all(file, path, rx))
            .map_err(|e| Error::io("start the alert journal thread", e))?;
        Ok((Journal { tx }, handle))
    }

    /// Queues one change; waits if the writer is behind.
    pub fn record(&self, change: Arc<AlertChange>) {
        // An error means the writer has failed (and said so in the log).
        let _ = self.tx.send(change);
    }
}

fn write_all(file: std::fs::File, path: PathBuf, rx: Receiver<Arc<AlertChange>>) {
    let mut w = std::io::BufWriter::new(file);
    let mut written = 0u64;
    while let Ok(first) = rx.recv() {
        let mut next = Some(first);
        while let Some(c) = next {
            let line = Line {
                seq: c.seq,
                written_at: lookout_core::time::rfc3339_ms(lookout_core::time::wall_ms()),
                alert: c.alert.record(),
            };
            let ok = serde_json::to_writer(&mut w, &line).is_ok() && w.write_all(b"\n").is_ok();
            if !ok {
                error!(path = %path.display(), "alert journal write failed; journal stopped");
                return;
            }
            written += 1;
            next = rx.try_recv().ok();
        }
        // Flushed whenever the queue is empty: a line is on disk (in the OS)
        // as soon as the writer is idle.
        if let Err(e) = w.flush() {
            error!(path = %path.display(), error = %e, "alert journal flush failed; journal stopped");
            return;
        }
    }
    info!(path = %path.display(), lines = written, "alert journal closed");
}
