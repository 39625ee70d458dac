//! Sources: where NMEA lines come from. Each source task splits its byte
//! stream into lines, decodes them with its own [`Decoder`] (so one source's
//! fragments or garbage never touch another's), and sends batches of
//! observations to the pipeline over a bounded channel — a full channel makes
//! the source wait (backpressure), it never drops.

mod file;
mod lines;
mod net;

pub use file::{open_recording, run_file};
pub use lines::{LineSplitter, MAX_LINE_BYTES};
pub use net::{bind_tcp, bind_udp, run_tcp_client, run_tcp_listener, run_udp};

use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::mpsc;

use crate::decode::{AisMessage, DecodeCounters, Decoder, DecoderConfig};
use crate::picture::SourceId;

/// Capacity of the source → pipeline channel, in batches. With
/// [`BATCH_MAX`] observations a batch this holds about 0.5 s of a 1M/s feed:
/// enough to ride out a pipeline hiccup, small enough that backpressure
/// reaches the feeds quickly.
pub const INGEST_QUEUE_BATCHES: usize = 1024;
/// Observations per batch: amortises the channel and the picture's write lock.
pub const BATCH_MAX: usize = 512;

/// One decoded AIS message with its receive time and source.
#[derive(Debug, Clone)]
pub struct Observation {
    pub source: SourceId,
    /// Receive time, ms since the Unix epoch.
    pub at_ms: i64,
    pub msg: AisMessage,
}

/// A batch of observations from one source, in arrival order.
pub type Batch = Vec<Observation>;

/// The pipeline has stopped (shutdown): the source should end.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("pipeline closed")]
pub struct PipelineClosed;

/// Connection-level state and counters of a source, as `Stats` shows them.
#[derive(Debug, Clone, Default)]
pub struct SourceState {
    pub counters: DecodeCounters,
    /// Lines discarded by the line splitter for exceeding [`MAX_LINE_BYTES`].
    pub oversize_lines: u64,
    pub connected: bool,
    pub connects: u64,
    pub disconnects: u64,
    /// Wall-clock time the last line arrived, ms since epoch.
    pub last_line_ms: Option<i64>,
    pub last_error: String,
}

/// A registered source.
#[derive(Debug)]
pub struct SourceStatus {
    pub id: SourceId,
    pub name: String,
    /// `tcp_client`, `tcp_listener`, `udp`, `file` or `grpc`.
    pub kind: &'static str,
    pub state: Mutex<SourceState>,
}

impl SourceStatus {
    pub fn set_connected(&self, connected: bool, error: Option<String>) {
        let mut s = self.state.lock();
        if connected && !s.connected {
            s.connects += 1;
        }
        if !connected && s.connected {
            s.disconnects += 1;
        }
        s.connected = connected;
        if let Some(e) = error {
            s.last_error = e;
        }
    }
}

/// All sources, in registration order; ids index this list.
#[derive(Debug, Default)]
pub struct SourceRegistry {
    list: Mutex<Vec<Arc<SourceStatus>>>,
}

/// Sources beyond this count are refused: ids are `u16`, and an `Ingest`
/// client inventing a name per call must not grow the registry without bound.
pub const MAX_SOURCES: usize = 4096;

impl SourceRegistry {
    /// Registers a source, or returns the existing one of that name and kind.
    /// `None` when the name is taken by another kind or the registry is full.
    pub fn register(&self, name: &str, kind: &'static str) -> Option<Arc<SourceStatus>> {
        let mut list = self.list.lock();
        if let Some(s) = list.iter().find(|s| s.name == name) {
            return (s.kind == kind).then(|| s.clone());
        }
        if list.len() >= MAX_SOURCES {
            return None;
        }
        let s = Arc::new(SourceStatus {
            id: list.len() as SourceId,
            name: name.to_string(),
            kind,
            state: Mutex::new(SourceState::default()),
        });
        list.push(s.clone());
        Some(s)
    }

    pub fn all(&self) -> Vec<Arc<SourceStatus>> {
        self.list.lock().clone()
    }

    /// Name of a source id ("" if unknown).
    pub fn name(&self, id: SourceId) -> String {
        self.list.lock().get(usize::from(id)).map(|s| s.name.clone()).unwrap_or_default()
    }
}

/// How a source stamps receive times.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Clock {
    /// Lines without their own time get the wall clock.
    Live,
    /// A recording: lines without a time inherit the last time seen in it.
    Recording,
    /// A recording played as if it were happening now: every time is shifted
    /// by the wall clock at the first message minus that message's time.
    Shifted { shift_ms: Option<i64> },
}

/// Wall clock, ms since the Unix epoch.
pub fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Per-connection decode state of a source: line splitting, decoding,
/// batching and publishing counters to its [`SourceStatus`].
pub struct Ingestor {
    status: Arc<SourceStatus>,
    tx: mpsc::Sender<Batch>,
    decoder: Decoder,
    splitter: LineSplitter,
    batch: Batch,
    pub clock: Clock,
    /// Last receive time seen (recording clock), ms since epoch.
    last_time_ms: Option<i64>,
    published: DecodeCounters,
    published_oversize: u64,
}

impl Ingestor {
    pub fn new(status: Arc<SourceStatus>, tx: mpsc::Sender<Batch>, clock: Clock) -> Self {
        Self {
            status,
            tx,
            decoder: Decoder::new(DecoderConfig::default()),
            splitter: LineSplitter::default(),
            batch: Vec::with_capacity(BATCH_MAX),
            clock,
            last_time_ms: None,
            published: DecodeCounters::default(),
            published_oversize: 0,
        }
    }

    /// Receive time of the last decoded message (recording clock), ms since epoch.
    pub fn last_time_ms(&self) -> Option<i64> {
        self.last_time_ms
    }

    /// Decodes one complete line.
    pub fn line(&mut self, line: &[u8]) {
        let wall = if self.clock == Clock::Live { wall_ms() } else { 0 };
        let now = match self.clock {
            Clock::Live => wall,
            _ => self.last_time_ms.unwrap_or(0),
        };
        let (clock, source, last) = (&mut self.clock, self.status.id, &mut self.last_time_ms);
        let batch = &mut self.batch;
        self.decoder.feed_line(line, now, &mut |d| {
            let at_ms = match clock {
                Clock::Live => d.received_at_ms.unwrap_or(wall),
                Clock::Recording => {
                    let t = d.received_at_ms.or(*last).unwrap_or(0);
                    *last = Some(t);
                    t
                }
                Clock::Shifted { shift_ms } => {
                    let t = d.received_at_ms.or(*last).unwrap_or(0);
                    *last = Some(t);
                    t + *shift_ms.get_or_insert_with(|| wall_ms() - t)
                }
            };
            batch.push(Observation { source, at_ms, msg: d.msg });
        });
    }

    /// Splits a chunk of a byte stream into lines and decodes them.
    pub fn bytes(&mut self, chunk: &[u8]) {
        let mut splitter = std::mem::take(&mut self.splitter);
        splitter.feed(chunk, |l| self.line(l));
        self.splitter = splitter;
    }

    /// Ends the byte stream: decodes an unterminated last line.
    pub fn end_of_stream(&mut self) {
        let mut splitter = std::mem::take(&mut self.splitter);
        splitter.finish(|l| self.line(l));
        self.splitter = splitter;
    }

    /// True when the batch should be sent before reading more.
    pub fn batch_full(&self) -> bool {
        self.batch.len() >= BATCH_MAX
    }

    /// Sends the pending batch (waiting if the pipeline is busy) and publishes counters.
    pub async fn flush(&mut self) -> Result<(), PipelineClosed> {
        self.publish();
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH_MAX));
        self.tx.send(batch).await.map_err(|_| PipelineClosed)
    }

    /// [`Ingestor::flush`] for sources on a blocking thread (files).
    pub fn blocking_flush(&mut self) -> Result<(), PipelineClosed> {
        self.publish();
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH_MAX));
        self.tx.blocking_send(batch).map_err(|_| PipelineClosed)
    }

    /// Adds what this connection counted since the last publish to the source's totals.
    fn publish(&mut self) {
        let now = self.decoder.counters().clone();
        let oversize = self.splitter.oversize;
        if now == self.published && oversize == self.published_oversize {
            return;
        }
        let mut st = self.status.state.lock();
        st.counters.merge(&now.since(&self.published));
        st.oversize_lines += oversize - self.published_oversize;
        st.last_line_ms = Some(wall_ms());
        drop(st);
        self.published = now;
        self.published_oversize = oversize;
    }

    /// Expires stale fragments (call periodically on quiet connections).
    pub fn expire(&mut self, now_ms: i64) {
        self.decoder.expire(now_ms);
    }
}

impl Drop for Ingestor {
    fn drop(&mut self) {
        // Fragments still pending when a connection ends are lost: count them.
        self.decoder.expire(i64::MAX);
        self.publish();
    }
}
