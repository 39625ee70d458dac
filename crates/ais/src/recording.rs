//! Recordings as a source: NMEA and detection files, plain or gzip, merged
//! by time, paced or as fast as the pipeline takes them. Runs on a blocking thread (file and gzip I/O are
//! synchronous) and uses the channel's blocking send for backpressure.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use flate2::read::MultiGzDecoder;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::Arc;

use super::{
    wall_ms, Batch, Clock, CounterPublisher, LineDecoder, LineSettings, LineSplitter, Observation, Payload,
    PipelineClosed, ReadCounters, SourceCtx, BATCH_MAX,
};
use crate::config::LineFormat;
use crate::error::Error;
use crate::picture::SourceId;

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

/// One recorded file, read lazily, yielding observations in file order (on
/// the recording's own clock).
struct FileStream {
    path: PathBuf,
    reader: Box<dyn Read + Send>,
    buf: Vec<u8>,
    splitter: LineSplitter,
    lines: LineDecoder,
    queue: VecDeque<Observation>,
    eof: bool,
}

impl FileStream {
    fn open(path: &Path, source: SourceId, settings: Arc<LineSettings>) -> Result<Self, Error> {
        let name = path.display().to_string();
        Ok(Self {
            path: path.to_path_buf(),
            reader: open_recording(path)?,
            buf: vec![0u8; 64 * 1024],
            splitter: LineSplitter::default(),
            lines: LineDecoder::new(source, &name, LineFormat::for_path(path), settings, Clock::Recording),
            queue: VecDeque::new(),
            eof: false,
        })
    }

    fn next(&mut self) -> Result<Option<Observation>, Error> {
        let mut out = Vec::new();
        while self.queue.is_empty() && !self.eof {
            let n = match self.reader.read(&mut self.buf) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io(format!("read {}", self.path.display()), e)),
            };
            let (lines, splitter) = (&mut self.lines, &mut self.splitter);
            if n == 0 {
                self.eof = true;
                splitter.finish(|l| lines.line(l, &mut out));
                lines.expire(i64::MAX);
            } else {
                splitter.feed(&self.buf[..n], |l| lines.line(l, &mut out));
            }
            self.queue.extend(out.drain(..));
        }
        Ok(self.queue.pop_front())
    }

    fn counters(&self) -> ReadCounters {
        ReadCounters {
            decode: self.lines.counters().clone(),
            detections: self.lines.detection_counters().clone(),
            oversize_lines: self.splitter.oversize,
        }
    }
}

/// Several recorded files (`.nmea` with AIS and radar sentences, `.jsonl`
/// detection events, plain or gzip) merged into one stream by time. Ties
/// break by file order, then by order within the file, so the merge is the
/// same on every run.
pub struct Recording {
    streams: Vec<FileStream>,
    heads: Vec<Option<Observation>>,
    heap: BinaryHeap<Reverse<(i64, usize, u64)>>,
    seq: u64,
}

impl Recording {
    /// Opens every file (failing early on a missing one). Observations carry `source`.
    pub fn open(paths: &[PathBuf], source: SourceId, settings: Arc<LineSettings>) -> Result<Self, Error> {
        let streams: Vec<FileStream> =
            paths.iter().map(|p| FileStream::open(p, source, settings.clone())).collect::<Result<_, _>>()?;
        let mut r = Self { heads: (0..streams.len()).map(|_| None).collect(), streams, heap: BinaryHeap::new(), seq: 0 };
        for i in 0..r.streams.len() {
            r.refill(i)?;
        }
        Ok(r)
    }

    fn refill(&mut self, i: usize) -> Result<(), Error> {
        if let Some(o) = self.streams[i].next()? {
            self.heap.push(Reverse((o.at_ms, i, self.seq)));
            self.seq += 1;
            self.heads[i] = Some(o);
        }
        Ok(())
    }

    /// The next observation in time order, or `None` at the end of every file.
    pub fn next_observation(&mut self) -> Result<Option<Observation>, Error> {
        let Some(Reverse((_, i, _))) = self.heap.pop() else { return Ok(None) };
        let obs = self.heads[i].take();
        self.refill(i)?;
        Ok(obs)
    }

    /// What the files' readers counted so far.
    pub fn counters(&self) -> ReadCounters {
        let mut c = ReadCounters::default();
        for s in &self.streams {
            c.merge(&s.counters());
        }
        c
    }
}

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
            Ok(()) => info!(source = %status.name, files = %shown, "recording finished"),
            Err(PlayError::Closed) => return,
            Err(e) => {
                warn!(source = %status.name, files = %shown, error = %e, "recording failed");
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
    let flush = |batch: &mut Batch, rec: &Recording, publisher: &mut CounterPublisher| -> Result<(), PlayError> {
        publisher.publish(&ctx.status, rec.counters());
        if !batch.is_empty() {
            let b = std::mem::replace(batch, Vec::with_capacity(BATCH_MAX));
            ctx.tx.blocking_send(b).map_err(|_| PipelineClosed)?;
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
                flush(&mut batch, &rec, &mut publisher)?;
                while started.elapsed() < due {
                    if shutdown.is_cancelled() {
                        return Err(PlayError::Closed);
                    }
                    std::thread::sleep((due - started.elapsed()).min(PACE_SLICE));
                }
            }
        }
        obs.at_ms += shift_ms;
        if let Payload::Detection(d) = &mut obs.payload {
            d.time_ms += shift_ms;
        }
        batch.push(obs);
        if batch.len() >= BATCH_MAX {
            flush(&mut batch, &rec, &mut publisher)?;
        }
    }
    flush(&mut batch, &rec, &mut publisher)
}
