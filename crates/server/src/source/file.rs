//! Recordings as a live source: plays files merged by time into the
//! pipeline, paced or as fast as the pipeline takes them. Runs on a blocking
//! thread (file and gzip I/O are synchronous) and uses the channel's blocking
//! send for backpressure.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use lookout_ais::{Batch, Payload, Recording, RecordingError};
use lookout_core::time::wall_ms;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::{CounterPublisher, PipelineClosed, SourceCtx, BATCH_MAX};
use crate::pipeline::Input;
use crate::store::{FileSlice, Raw};

/// Longest single sleep while pacing, so shutdown is noticed promptly.
const PACE_SLICE: Duration = Duration::from_millis(100);

/// Plays a recording (one or more files merged by time) into the pipeline.
/// `pace` 0: as fast as possible; 1: real time by the recording's own
/// timestamps. Blocking: run it with `spawn_blocking`.
pub fn run_file(
    ctx: SourceCtx,
    paths: Vec<PathBuf>,
    pace: f64,
    repeat: bool,
    shift_to_now: bool,
    shutdown: CancellationToken,
) {
    let status = ctx.status.clone();
    let shown = paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
    loop {
        status.set_connected(true, None);
        let outcome = play_once(&ctx, &paths, pace, shift_to_now, &shutdown);
        status.set_connected(false, outcome.as_ref().err().map(|e| e.to_string()));
        match outcome {
            Ok(()) => info!(source = ?status.name, files = %shown, "recording finished"),
            Err(PlayError::Closed) => return,
            Err(e) => {
                warn!(source = ?status.name, files = %shown, error = %e, "recording failed");
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
    Source(#[from] RecordingError),
    #[error("stopped")]
    Closed,
}

impl From<PipelineClosed> for PlayError {
    fn from(_: PipelineClosed) -> Self {
        PlayError::Closed
    }
}

fn play_once(
    ctx: &SourceCtx,
    paths: &[PathBuf],
    pace: f64,
    shift_to_now: bool,
    shutdown: &CancellationToken,
) -> Result<(), PlayError> {
    let mut rec = Recording::open(paths, ctx.status.id, ctx.settings.clone())?;
    let mut publisher = CounterPublisher::default();
    let mut batch: Batch = Vec::with_capacity(BATCH_MAX);
    let started = Instant::now();
    let mut first_ms: Option<i64> = None;
    let mut shift_ms = 0;
    // For the archive: this pass's reader id and how many observations it has sent.
    let reader = ctx.reader.as_ref().map(|next| next());
    let mut sent = 0u64;
    let mut flush = |batch: &mut Batch,
                     rec: &Recording,
                     publisher: &mut CounterPublisher,
                     shift_ms: i64|
     -> Result<(), PlayError> {
        publisher.publish(&ctx.status, rec.counters());
        if !batch.is_empty() {
            let b = std::mem::replace(batch, Vec::with_capacity(BATCH_MAX));
            let raw = reader.map(|reader| {
                Raw::File(FileSlice {
                    source: ctx.status.name.clone(),
                    reader,
                    paths: paths.to_vec(),
                    first: sent,
                    count: b.len() as u64,
                    shift_ms,
                })
            });
            sent += b.len() as u64;
            ctx.tx.blocking_send(Input::new(b, raw)).map_err(|_| PipelineClosed)?;
        }
        Ok(())
    };
    while let Some(mut obs) = rec.next_observation()? {
        if shutdown.is_cancelled() {
            return Err(PlayError::Closed);
        }
        let t0 = *first_ms.get_or_insert_with(|| {
            // One shift for every file of the recording, so they stay in step.
            if shift_to_now {
                shift_ms = wall_ms() - obs.at_ms;
            }
            obs.at_ms
        });
        if pace > 0.0 {
            let due = Duration::from_secs_f64(((obs.at_ms - t0).max(0) as f64 / 1000.0) / pace);
            if started.elapsed() < due {
                flush(&mut batch, &rec, &mut publisher, shift_ms)?;
                while started.elapsed() < due {
                    if shutdown.is_cancelled() {
                        return Err(PlayError::Closed);
                    }
                    // Saturating: time passes between the loop's check and this line, and a
                    // plain subtraction panicked ("overflow when subtracting durations") in a
                    // loaded test run, ending the file source.
                    std::thread::sleep(due.saturating_sub(started.elapsed()).min(PACE_SLICE));
                }
            }
        }
        obs.at_ms += shift_ms;
        if let Payload::Detection(d) = &mut obs.payload {
            d.time_ms += shift_ms;
        }
        batch.push(obs);
        if batch.len() >= BATCH_MAX {
            flush(&mut batch, &rec, &mut publisher, shift_ms)?;
        }
    }
    flush(&mut batch, &rec, &mut publisher, shift_ms)
}
