//! Sources: where NMEA lines come from. Each source task splits its byte
//! stream into lines, decodes them with its own [`Decoder`] (so one source's
//! fragments or garbage never touch another's), and sends batches of
//! observations to the pipeline over a bounded channel — a full channel makes
//! the source wait (backpressure), it never drops. The gRPC calls that feed
//! input (`Ingest`, `PushDetections`) are sources too: see [`grpc`].

mod file;
pub mod grpc;
mod net;
mod udp_drops;

pub use file::run_file;
pub use net::{bind_tcp, bind_udp, run_tcp_client, run_tcp_listener, run_udp, AllowFrom};

use std::sync::Arc;

use lookout_ais::decode::DecodeCounters;
use lookout_ais::{Batch, Clock, DetectionCounters, LineDecoder, LineFormat, LineSettings, LineSplitter, ReadCounters};
use lookout_core::time::wall_ms;
use lookout_core::SourceId;
use parking_lot::Mutex;
use tokio::sync::mpsc;

use crate::pipeline::{Durable, Input};
use crate::store::{Raw, RawLine, RawLines};

/// Capacity of the source → pipeline channel, in batches. With
/// [`BATCH_MAX`] observations a batch this holds about 0.5 s of a 1M/s feed:
/// enough to ride out a pipeline hiccup, small enough that backpressure
/// reaches the feeds quickly.
pub const INGEST_QUEUE_BATCHES: usize = 1024;
/// Observations per batch: amortises the channel and the picture's write lock.
pub const BATCH_MAX: usize = 512;

/// The pipeline has stopped (shutdown): the source should end.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("pipeline closed")]
pub struct PipelineClosed;

/// Connection-level state and counters of a source, as `Stats` shows them.
#[derive(Debug, Clone, Default)]
pub struct SourceState {
    pub counters: DecodeCounters,
    pub detections: DetectionCounters,
    /// Lines discarded by the line splitter for exceeding [`lookout_ais::MAX_LINE_BYTES`].
    pub oversize_lines: u64,
    pub connected: bool,
    pub connects: u64,
    pub disconnects: u64,
    /// Wall-clock time the last line arrived, ms since epoch.
    pub last_line_ms: Option<i64>,
    /// Wall-clock time the last message arrived (an AIS message, a radar
    /// detection or a detection event), ms since epoch: a station sending only
    /// garbage or keep-alives is quiet by this measure, not by lines.
    pub last_message_ms: Option<i64>,
    /// UDP datagrams the kernel dropped (receive buffer full) since the
    /// socket opened, as `SO_RXQ_OVFL` reports them.
    pub udp_dropped: u64,
    /// Connections (TCP) and datagrams (UDP) from senders outside the
    /// source's `allow_from` networks, refused unread.
    pub peers_refused: u64,
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
    /// Left `Stats` after [`SOURCE_IDLE_EXPIRY`] idle (revived if it returns).
    pub expired: std::sync::atomic::AtomicBool,
    /// When it was registered, wall clock ms.
    pub registered_ms: i64,
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
/// Expired `Ingest` names (see [`SOURCE_IDLE_EXPIRY`]) do not count.
pub const MAX_SOURCES: usize = 4096;
/// Longest source name, bytes: a station or feeder name, not a payload (forty 3.5 MB
/// names once made `Stats` 140 MB and the log grow 143 MB a tick).
pub const MAX_SOURCE_NAME_BYTES: usize = 64;
/// An `Ingest` source not connected for this long leaves `Stats` and stops counting
/// towards [`MAX_SOURCES`]; its id is kept (vessels it reported still name it) and the
/// name comes back to life if the feeder returns.
pub const SOURCE_IDLE_EXPIRY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Why a source name is refused, if it is: too long, or not printable text.
pub fn source_name_problem(name: &str) -> Option<String> {
    if name.len() > MAX_SOURCE_NAME_BYTES {
        return Some(format!("is {} bytes, longer than the limit of {MAX_SOURCE_NAME_BYTES}", name.len()));
    }
    if name.chars().any(char::is_control) {
        return Some("contains control characters".into());
    }
    None
}

impl SourceRegistry {
    /// Registers a source, or returns the existing one of that name and kind.
    /// `None` when the name is taken by another kind or the registry is full.
    pub fn register(&self, name: &str, kind: &'static str) -> Option<Arc<SourceStatus>> {
        let mut list = self.list.lock();
        if let Some(s) = list.iter().find(|s| s.name == name) {
            let ok = s.kind == kind || s.kind == "recovered";
            if ok {
                s.expired.store(false, std::sync::atomic::Ordering::Relaxed);
            }
            return ok.then(|| s.clone());
        }
        let live = list.iter().filter(|s| !s.expired.load(std::sync::atomic::Ordering::Relaxed)).count();
        if live >= MAX_SOURCES || list.len() > usize::from(SourceId::MAX) {
            return None;
        }
        let s = Arc::new(SourceStatus {
            id: list.len() as SourceId,
            name: name.to_string(),
            kind,
            state: Mutex::new(SourceState::default()),
            expired: Default::default(),
            registered_ms: wall_ms(),
        });
        list.push(s.clone());
        Some(s)
    }

    /// Every source not expired, in registration order.
    pub fn all(&self) -> Vec<Arc<SourceStatus>> {
        self.list.lock().iter().filter(|s| !s.expired.load(std::sync::atomic::Ordering::Relaxed)).cloned().collect()
    }

    /// Expires `Ingest` (and recovered) sources not connected and silent since before
    /// `now_ms - SOURCE_IDLE_EXPIRY`; returns how many.
    pub fn expire_idle(&self, now_ms: i64) -> usize {
        let cutoff = now_ms - SOURCE_IDLE_EXPIRY.as_millis() as i64;
        let list = self.list.lock();
        let mut n = 0;
        for s in list.iter().filter(|s| s.kind == "grpc" || s.kind == "recovered") {
            let st = s.state.lock();
            let idle = !st.connected && st.last_line_ms.is_none_or(|t| t < cutoff) && s.registered_ms < cutoff;
            if idle && !s.expired.swap(true, std::sync::atomic::Ordering::Relaxed) {
                n += 1;
            }
        }
        n
    }

    /// The source of this name, registered as `recovered` if new: recovery from the
    /// archive meets the names of sources (often `Ingest` feeders) that have not yet
    /// reconnected. A feeder that reconnects later gets its own status back.
    pub fn recovered(&self, name: &str) -> Arc<SourceStatus> {
        let mut list = self.list.lock();
        if let Some(s) = list.iter().find(|s| s.name == name) {
            return s.clone();
        }
        let s = Arc::new(SourceStatus {
            id: list.len().min(usize::from(SourceId::MAX)) as SourceId,
            name: name.to_string(),
            kind: "recovered",
            state: Mutex::new(SourceState::default()),
            expired: Default::default(),
            registered_ms: wall_ms(),
        });
        list.push(s.clone());
        s
    }

    /// Name of a source id ("" if unknown).
    pub fn name(&self, id: SourceId) -> String {
        self.list.lock().get(usize::from(id)).map(|s| s.name.clone()).unwrap_or_default()
    }
}

/// What a source task needs: where it reports, where it sends, how to read lines.
#[derive(Clone)]
pub struct SourceCtx {
    pub status: Arc<SourceStatus>,
    pub tx: mpsc::Sender<Input>,
    pub format: LineFormat,
    pub settings: Arc<LineSettings>,
    /// Reader ids for the archive (`None`: no archive, lines are not kept).
    pub reader: Option<ReaderIds>,
}

/// Hands out archive reader ids (see [`crate::store::RawLines::reader`]).
pub type ReaderIds = Arc<dyn Fn() -> u64 + Send + Sync>;

impl SourceCtx {
    /// Decoding state for one connection (or one pass over a file).
    pub fn ingestor(&self, clock: Clock) -> Ingestor {
        Ingestor::new(
            self.status.clone(),
            self.tx.clone(),
            self.format,
            self.settings.clone(),
            clock,
            self.reader.clone(),
        )
    }
}

/// Adds a reader's counts to its source's totals, a delta at a time (a
/// source may have many readers: one per connection or per file).
#[derive(Debug, Default)]
pub struct CounterPublisher {
    published: ReadCounters,
}

impl CounterPublisher {
    pub fn publish(&mut self, status: &SourceStatus, now: ReadCounters) {
        if now == self.published {
            return;
        }
        let decoded = now.decode.since(&self.published.decode);
        let detected = now.detections.since(&self.published.detections);
        let wall = wall_ms();
        let mut st = status.state.lock();
        if decoded.messages > 0 || detected.radar_detections > 0 || detected.events > 0 {
            st.last_message_ms = Some(wall);
        }
        st.counters.merge(&decoded);
        st.detections.merge(&detected);
        st.oversize_lines += now.oversize_lines - self.published.oversize_lines;
        st.last_line_ms = Some(wall);
        drop(st);
        self.published = now;
    }
}

/// Per-connection state of a live source: line splitting, decoding, batching
/// and publishing counters to its [`SourceStatus`].
pub struct Ingestor {
    status: Arc<SourceStatus>,
    tx: mpsc::Sender<Input>,
    lines: LineDecoder,
    splitter: LineSplitter,
    batch: Batch,
    /// The lines behind `batch`, as received, when there is an archive.
    raw: Option<RawLines>,
    /// The pipeline's answer for the last batch sent (see [`Ingestor::durable`]).
    last_ticket: Option<tokio::sync::oneshot::Receiver<Durable>>,
    publisher: CounterPublisher,
}

impl Ingestor {
    pub fn new(
        status: Arc<SourceStatus>,
        tx: mpsc::Sender<Input>,
        format: LineFormat,
        settings: Arc<LineSettings>,
        clock: Clock,
        reader: Option<ReaderIds>,
    ) -> Self {
        let raw = reader.map(|next| RawLines {
            source: status.name.clone(),
            reader: next(),
            format: format.into(),
            clock: clock.into(),
            lines: Vec::new(),
        });
        Self {
            lines: LineDecoder::new(status.id, &status.name, format, settings, clock),
            status,
            tx,
            splitter: LineSplitter::default(),
            batch: Vec::with_capacity(BATCH_MAX),
            raw,
            last_ticket: None,
            publisher: CounterPublisher::default(),
        }
    }

    /// Receive time of the last decoded message (recording clock), ms since epoch.
    pub fn last_time_ms(&self) -> Option<i64> {
        self.lines.last_time_ms()
    }

    /// Decodes one complete line (keeping it, with its arrival time, for the archive).
    pub fn line(&mut self, line: &[u8]) {
        match &mut self.raw {
            Some(raw) => {
                let wall = wall_ms();
                raw.lines.push(RawLine::Line(wall, String::from_utf8_lossy(line).into_owned()));
                self.lines.line_at(line, wall, &mut self.batch);
            }
            None => self.lines.line(line, &mut self.batch),
        }
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

    /// True when the batch should be sent before reading more (kept lines count too, so
    /// a flood of garbage lines is archived and released in bounded batches).
    pub fn batch_full(&self) -> bool {
        self.batch.len() >= BATCH_MAX || self.raw.as_ref().is_some_and(|r| r.lines.len() >= BATCH_MAX)
    }

    /// Sends the pending batch (waiting if the pipeline is busy) and publishes counters.
    pub async fn flush(&mut self) -> Result<(), PipelineClosed> {
        self.publish();
        let raw = match &mut self.raw {
            Some(r) if !r.lines.is_empty() => {
                Some(Raw::Lines(RawLines { lines: std::mem::take(&mut r.lines), ..r.clone() }))
            }
            _ => None,
        };
        if self.batch.is_empty() && raw.is_none() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH_MAX));
        let (input, ticket) = Input::with_reply(batch, raw);
        self.tx.send(input).await.map_err(|_| PipelineClosed)?;
        self.last_ticket = Some(ticket);
        Ok(())
    }

    /// Waits until everything this reader has sent is on disk (at once without an
    /// archive): what `Ingest` waits for before it replies.
    pub async fn durable(&mut self) -> Result<(), crate::Error> {
        match self.last_ticket.take() {
            Some(t) => crate::pipeline::wait_durable(t).await,
            None => Ok(()),
        }
    }

    /// Adds what this connection counted since the last publish to the source's totals.
    fn publish(&mut self) {
        let now = ReadCounters {
            decode: self.lines.counters().clone(),
            detections: self.lines.detection_counters().clone(),
            oversize_lines: self.splitter.oversize,
        };
        self.publisher.publish(&self.status, now);
    }

    /// Expires stale fragments (call periodically on quiet connections).
    pub fn expire(&mut self, now_ms: i64) {
        if let Some(raw) = &mut self.raw {
            raw.lines.push(RawLine::Expire((now_ms,)));
        }
        self.lines.expire(now_ms);
    }
}

impl Drop for Ingestor {
    fn drop(&mut self) {
        // Fragments still pending when a connection ends are lost: count them.
        self.lines.expire(i64::MAX);
        self.publish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_ingest_sources_expire_from_stats_and_come_back_with_their_id() {
        let r = SourceRegistry::default();
        let file = r.register("harbour-file", "file").unwrap();
        let feeder = r.register("feeder-1", "grpc").unwrap();
        feeder.state.lock().last_line_ms = Some(1_000);
        let now = wall_ms() + SOURCE_IDLE_EXPIRY.as_millis() as i64 + 1;
        assert_eq!(r.expire_idle(now), 1, "only the idle Ingest source expires");
        let names: Vec<String> = r.all().iter().map(|s| s.name.clone()).collect();
        assert_eq!(names, ["harbour-file"]);
        // A connected feeder never expires; one that returns gets its id back.
        let back = r.register("feeder-1", "grpc").unwrap();
        assert_eq!(back.id, feeder.id);
        assert_eq!(r.all().len(), 2);
        back.set_connected(true, None);
        assert_eq!(r.expire_idle(now), 0);
        assert_eq!(file.id, 0);
    }

    #[test]
    fn source_names_are_short_printable_text() {
        assert!(source_name_problem("lampedusa/radar-1").is_none());
        assert!(source_name_problem(&"x".repeat(MAX_SOURCE_NAME_BYTES + 1)).unwrap().contains("64"));
        assert!(source_name_problem("evil\naccess: granted").is_some(), "a newline forges log lines");
        assert!(source_name_problem("ansi\u{1b}[31m").is_some());
    }
}
