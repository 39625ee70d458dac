//! Recordings as a source: plain or gzip NMEA files, paced or as fast as the
//! pipeline takes them. Runs on a blocking thread (file and gzip I/O are
//! synchronous) and uses the channel's blocking send for backpressure.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use flate2::read::MultiGzDecoder;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::{Batch, Clock, Ingestor, PipelineClosed, SourceStatus};
use crate::error::Error;

/// Longest single sleep while pacing, so shutdown is noticed promptly.
const PACE_SLICE: Duration = Duration::from_millis(100);

/// Opens a recording, decompressing it if it starts with the gzip magic bytes.
pub fn open_recording(path: &Path) -> Result<Box<dyn Read + Send>, Error> {
    let ctx = || format!("open {}", path.display());
    let mut f = BufReader::new(File::open(path).map_err(|e| Error::io(ctx(), e))?);
    let magic = std::io::BufRead::fill_buf(&mut f).map_err(|e| Error::io(ctx(), e))?;
    if magic.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(MultiGzDecoder::new(f)))
    } else {
        Ok(Box::new(f))
    }
}

/// Plays a recording into the pipeline. `pace` 0: as fast as possible;
/// 1: real time by the recording's own timestamps. Blocking: run it with
/// `spawn_blocking`.
pub fn run_file(
    status: Arc<SourceStatus>,
    tx: mpsc::Sender<Batch>,
    path: PathBuf,
    pace: f64,
    repeat: bool,
    shift_to_now: bool,
    shutdown: CancellationToken,
) {
    loop {
        status.set_connected(true, None);
        let clock = if shift_to_now { Clock::Shifted { shift_ms: None } } else { Clock::Recording };
        let mut ing = Ingestor::new(status.clone(), tx.clone(), clock);
        let outcome = play_once(&mut ing, &path, pace, &shutdown);
        drop(ing);
        status.set_connected(false, outcome.as_ref().err().map(|e| e.to_string()));
        match outcome {
            Ok(()) => info!(source = %status.name, path = %path.display(), "recording finished"),
            Err(PlayError::Closed) => return,
            Err(e) => {
                warn!(source = %status.name, path = %path.display(), error = %e, "recording failed");
                return;
            }
        }
        if !repeat || shutdown.is_cancelled() {
            return;
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum PlayError {
    #[error("{0}")]
    Source(#[from] Error),
    #[error("read: {0}")]
    Read(std::io::Error),
    #[error("stopped")]
    Closed,
}

impl From<PipelineClosed> for PlayError {
    fn from(_: PipelineClosed) -> Self {
        PlayError::Closed
    }
}

fn play_once(ing: &mut Ingestor, path: &Path, pace: f64, shutdown: &CancellationToken) -> Result<(), PlayError> {
    let mut reader = open_recording(path)?;
    let mut buf = vec![0u8; 64 * 1024];
    let started = Instant::now();
    let mut first_ms: Option<i64> = None;
    loop {
        if shutdown.is_cancelled() {
            return Err(PlayError::Closed);
        }
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(PlayError::Read(e)),
        };
        if pace <= 0.0 {
            ing.bytes(&buf[..n]);
            ing.blocking_flush()?;
            continue;
        }
        // Paced: go line by line so each waits for its recorded time.
        let mut rest = &buf[..n];
        while !rest.is_empty() {
            let cut = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
            ing.bytes(&rest[..cut]);
            rest = &rest[cut..];
            if let Some(t) = ing.last_time_ms() {
                let t0 = *first_ms.get_or_insert(t);
                let due = Duration::from_secs_f64(((t - t0).max(0) as f64 / 1000.0) / pace);
                if ing.batch_full() || started.elapsed() < due {
                    ing.blocking_flush()?;
                }
                while started.elapsed() < due {
                    if shutdown.is_cancelled() {
                        return Err(PlayError::Closed);
                    }
                    std::thread::sleep((due - started.elapsed()).min(PACE_SLICE));
                }
            } else if ing.batch_full() {
                ing.blocking_flush()?;
            }
        }
    }
    ing.end_of_stream();
    ing.blocking_flush()?;
    Ok(())
}
