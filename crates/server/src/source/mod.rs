//! Sources: where NMEA lines come from. Each source task splits its byte
//! stream into lines, decodes them with its own [`Decoder`] (so one source's
//! fragments or garbage never touch another's), and sends batches of
//! observations to the pipeline over a bounded channel — a full channel makes
//! the source wait (backpressure), it never drops.

mod file;
mod lines;
mod net;

pub use file::{open_recording, run_file, Recording};
pub use lines::{LineSplitter, MAX_LINE_BYTES};
pub use net::{bind_tcp, bind_udp, run_tcp_client, run_tcp_listener, run_udp};

use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::mpsc;

use std::collections::{BTreeMap, BTreeSet};

use tracing::warn;

use crate::config::LineFormat;
use crate::decode::{AisMessage, DecodeCounters, Decoder, DecoderConfig};
use crate::detect::radar::{RadarOutcome, RadarSite};
use crate::detect::Detection;
use crate::picture::SourceId;

/// Capacity of the source → pipeline channel, in batches. With
/// [`BATCH_MAX`] observations a batch this holds about 0.5 s of a 1M/s feed:
/// enough to ride out a pipeline hiccup, small enough that backpressure
/// reaches the feeds quickly.
pub const INGEST_QUEUE_BATCHES: usize = 1024;
/// Observations per batch: amortises the channel and the picture's write lock.
pub const BATCH_MAX: usize = 512;

/// What a source observed.
#[derive(Debug, Clone)]
pub enum Payload {
    Ais(AisMessage),
    /// Boxed: detections are rarer and larger than AIS messages, and batches
    /// of AIS should stay compact.
    Detection(Box<Detection>),
}

/// One decoded AIS message or detection, with its receive time and source.
#[derive(Debug, Clone)]
pub struct Observation {
    pub source: SourceId,
    /// Receive time, ms since the Unix epoch.
    pub at_ms: i64,
    pub payload: Payload,
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
    pub detections: DetectionCounters,
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

/// What a source task needs: where it reports, where it sends, how to read lines.
#[derive(Clone)]
pub struct SourceCtx {
    pub status: Arc<SourceStatus>,
    pub tx: mpsc::Sender<Batch>,
    pub format: LineFormat,
    pub settings: Arc<LineSettings>,
}

impl SourceCtx {
    /// Decoding state for one connection (or one pass over a file).
    pub fn ingestor(&self, clock: Clock) -> Ingestor {
        Ingestor::new(self.status.clone(), self.tx.clone(), self.format, self.settings.clone(), clock)
    }
}

/// Shared settings of line decoding: radar sites and the future-time limit.
#[derive(Debug, Clone, Default)]
pub struct LineSettings {
    /// Radar sites by station (tag-block `s:` or source name).
    pub radars: BTreeMap<String, RadarSite>,
    /// Detection events stamped further ahead of the wall clock are rejected (live only).
    pub max_future_ms: i64,
}

impl LineSettings {
    pub fn from_config(cfg: &crate::config::Config) -> Self {
        Self {
            radars: cfg.radars.iter().map(|r| (r.station.clone(), r.site())).collect(),
            max_future_ms: cfg.picture.max_future.as_millis() as i64,
        }
    }
}

/// What a source counted beyond the AIS decoder's own counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DetectionCounters {
    /// `TTM`/`TLL` sentences turned into detections.
    pub radar_detections: u64,
    /// Radar sentences that did not parse.
    pub radar_errors: u64,
    /// Radar sentences from a station with no `[[radar]]` site configured.
    pub radar_unconfigured: u64,
    /// Valid radar sentences that are not detections (lost targets).
    pub radar_no_detection: u64,
    /// Detection events (JSON Lines) accepted.
    pub events: u64,
    /// Detection events rejected (impossible values); see `last_rejection`.
    pub events_rejected: u64,
    pub last_rejection: String,
}

impl DetectionCounters {
    pub fn since(&self, earlier: &DetectionCounters) -> DetectionCounters {
        DetectionCounters {
            radar_detections: self.radar_detections - earlier.radar_detections,
            radar_errors: self.radar_errors - earlier.radar_errors,
            radar_unconfigured: self.radar_unconfigured - earlier.radar_unconfigured,
            radar_no_detection: self.radar_no_detection - earlier.radar_no_detection,
            events: self.events - earlier.events,
            events_rejected: self.events_rejected - earlier.events_rejected,
            last_rejection: self.last_rejection.clone(),
        }
    }

    /// Adds `d` to these counters.
    pub fn merge(&mut self, d: &DetectionCounters) {
        self.radar_detections += d.radar_detections;
        self.radar_errors += d.radar_errors;
        self.radar_unconfigured += d.radar_unconfigured;
        self.radar_no_detection += d.radar_no_detection;
        self.events += d.events;
        self.events_rejected += d.events_rejected;
        if !d.last_rejection.is_empty() {
            self.last_rejection.clone_from(&d.last_rejection);
        }
    }
}

/// Turns lines into observations: the decoding every source shares, live or
/// replayed. Owns one [`Decoder`] (reassembly state) and the clock policy.
pub struct LineDecoder {
    source: SourceId,
    source_name: Arc<str>,
    format: LineFormat,
    decoder: Decoder,
    settings: Arc<LineSettings>,
    pub clock: Clock,
    /// Last receive time seen (recording clock), ms since epoch.
    last_time_ms: Option<i64>,
    detections: DetectionCounters,
    /// Stations already reported as unconfigured (logged once each).
    warned: BTreeSet<String>,
    radar_buf: Vec<Detection>,
}

impl LineDecoder {
    pub fn new(source: SourceId, source_name: &str, format: LineFormat, settings: Arc<LineSettings>, clock: Clock) -> Self {
        Self {
            source,
            source_name: source_name.into(),
            format,
            decoder: Decoder::new(DecoderConfig::default()),
            settings,
            clock,
            last_time_ms: None,
            detections: DetectionCounters::default(),
            warned: BTreeSet::new(),
            radar_buf: Vec::new(),
        }
    }

    /// Receive time of the last decoded message (recording clock), ms since epoch.
    pub fn last_time_ms(&self) -> Option<i64> {
        self.last_time_ms
    }

    pub fn counters(&self) -> &DecodeCounters {
        self.decoder.counters()
    }

    pub fn detection_counters(&self) -> &DetectionCounters {
        &self.detections
    }

    /// Expires stale fragments.
    pub fn expire(&mut self, now_ms: i64) {
        self.decoder.expire(now_ms);
    }

    /// Decodes one complete line, appending what it carries to `out`.
    pub fn line(&mut self, line: &[u8], out: &mut Vec<Observation>) {
        match self.format {
            LineFormat::Nmea => self.nmea_line(line, out),
            LineFormat::Detections => self.event_line(line, out),
        }
    }

    fn nmea_line(&mut self, line: &[u8], out: &mut Vec<Observation>) {
        let wall = if self.clock == Clock::Live { wall_ms() } else { 0 };
        let now = match self.clock {
            Clock::Live => wall,
            _ => self.last_time_ms.unwrap_or(0),
        };
        let (clock, source, last) = (&mut self.clock, self.source, &mut self.last_time_ms);
        let (settings, name, counts, warned, radar) =
            (&self.settings, &self.source_name, &mut self.detections, &mut self.warned, &mut self.radar_buf);
        self.decoder.feed_line_with(
            line,
            now,
            &mut |d| {
                let at_ms = stamp(clock, last, d.received_at_ms, wall);
                out.push(Observation { source, at_ms, payload: Payload::Ais(d.msg) });
            },
            &mut |s| {
                if !matches!(&s.formatter, b"TTM" | b"TLL") {
                    return;
                }
                let station = s.station.as_ref().map_or(&**name, |st| st.as_str());
                let Some(site) = settings.radars.get(station) else {
                    counts.radar_unconfigured += 1;
                    if warned.insert(station.to_string()) {
                        warn!(source = %name, %station, "radar sentences from a station with no [[radar]] site configured; counting them as radar_unconfigured");
                    }
                    return;
                };
                match site.sentence(&s, now) {
                    RadarOutcome::Detection(d) => radar.push(d),
                    RadarOutcome::NoDetection => counts.radar_no_detection += 1,
                    RadarOutcome::Error(_) => counts.radar_errors += 1,
                    RadarOutcome::NotRadar => {}
                }
            },
        );
        for mut d in self.radar_buf.drain(..) {
            self.detections.radar_detections += 1;
            let at_ms = stamp(&mut self.clock, &mut self.last_time_ms, Some(d.time_ms), wall);
            d.time_ms = at_ms;
            out.push(Observation { source: self.source, at_ms, payload: Payload::Detection(Box::new(d)) });
        }
    }

    fn event_line(&mut self, line: &[u8], out: &mut Vec<Observation>) {
        let text = String::from_utf8_lossy(line);
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') {
            return;
        }
        let (wall, now, max_future) = match self.clock {
            Clock::Live => (wall_ms(), wall_ms(), self.settings.max_future_ms),
            // A recording has no "now" to be ahead of.
            _ => (0, i64::MAX / 4, 0),
        };
        match crate::detect::event::parse_json_line(text, now, max_future) {
            Ok(mut d) => {
                self.detections.events += 1;
                let at_ms = stamp(&mut self.clock, &mut self.last_time_ms, Some(d.time_ms), wall);
                d.time_ms = at_ms;
                out.push(Observation { source: self.source, at_ms, payload: Payload::Detection(Box::new(d)) });
            }
            Err(e) => {
                self.detections.events_rejected += 1;
                self.detections.last_rejection = e.to_string();
            }
        }
    }
}

/// The receive time of a message under `clock`: its own time if the line
/// carried one, else the wall clock (live) or the recording's last time.
fn stamp(clock: &mut Clock, last: &mut Option<i64>, own_ms: Option<i64>, wall: i64) -> i64 {
    match clock {
        Clock::Live => own_ms.unwrap_or(wall),
        Clock::Recording => {
            let t = own_ms.or(*last).unwrap_or(0);
            *last = Some(t);
            t
        }
        Clock::Shifted { shift_ms } => {
            let t = own_ms.or(*last).unwrap_or(0);
            *last = Some(t);
            t + *shift_ms.get_or_insert_with(|| wall_ms() - t)
        }
    }
}

/// Everything one reader of a source counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadCounters {
    pub decode: DecodeCounters,
    pub detections: DetectionCounters,
    /// Lines dropped by the line splitter for their length.
    pub oversize_lines: u64,
}

impl ReadCounters {
    pub fn merge(&mut self, o: &ReadCounters) {
        self.decode.merge(&o.decode);
        self.detections.merge(&o.detections);
        self.oversize_lines += o.oversize_lines;
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
        let mut st = status.state.lock();
        st.counters.merge(&now.decode.since(&self.published.decode));
        st.detections.merge(&now.detections.since(&self.published.detections));
        st.oversize_lines += now.oversize_lines - self.published.oversize_lines;
        st.last_line_ms = Some(wall_ms());
        drop(st);
        self.published = now;
    }
}

/// Per-connection state of a live source: line splitting, decoding, batching
/// and publishing counters to its [`SourceStatus`].
pub struct Ingestor {
    status: Arc<SourceStatus>,
    tx: mpsc::Sender<Batch>,
    lines: LineDecoder,
    splitter: LineSplitter,
    batch: Batch,
    publisher: CounterPublisher,
}

impl Ingestor {
    pub fn new(
        status: Arc<SourceStatus>,
        tx: mpsc::Sender<Batch>,
        format: LineFormat,
        settings: Arc<LineSettings>,
        clock: Clock,
    ) -> Self {
        Self {
            lines: LineDecoder::new(status.id, &status.name, format, settings, clock),
            status,
            tx,
            splitter: LineSplitter::default(),
            batch: Vec::with_capacity(BATCH_MAX),
            publisher: CounterPublisher::default(),
        }
    }

    /// Receive time of the last decoded message (recording clock), ms since epoch.
    pub fn last_time_ms(&self) -> Option<i64> {
        self.lines.last_time_ms()
    }

    /// Decodes one complete line.
    pub fn line(&mut self, line: &[u8]) {
        self.lines.line(line, &mut self.batch);
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
        let now = ReadCounters {
            decode: self.lines.counters().clone(),
            detections: self.lines.detection_counters().clone(),
            oversize_lines: self.splitter.oversize,
        };
        self.publisher.publish(&self.status, now);
    }

    /// Expires stale fragments (call periodically on quiet connections).
    pub fn expire(&mut self, now_ms: i64) {
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
