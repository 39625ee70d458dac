//! The two sources that arrive over gRPC: `Ingest` (a feeder's stream of
//! NMEA lines, decoded like any live line source) and `PushDetections`
//! (detection events from drones and other sensors). The API reads the
//! stream, converts protobuf messages and maps errors to statuses; what a
//! source does with its input — registering, decoding, batching, counting,
//! handing batches to the pipeline and waiting for the archive — is here,
//! beside the network and file sources.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use governor::clock::Clock as _;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use lookout_ais::event::DetectionEvent;
use lookout_ais::{Batch, Clock, DetectionCounters, LineFormat, LineSettings, Observation, Payload};
use lookout_core::time::wall_ms;
use tokio::sync::{mpsc, oneshot};

use super::{Ingestor, PipelineClosed, ReaderIds, SourceCtx, SourceRegistry, SourceStatus, MAX_SOURCES};
use crate::error::Error;
use crate::pipeline::{wait_durable, Durable, Input};
use crate::store::{Raw, RawEvents};

/// Source name under which `PushDetections` calls are counted (one source
/// for every caller: events carry their own sensor ids).
pub const PUSH_DETECTIONS_SOURCE: &str = "push-detections";

/// Detection events per batch handed to the pipeline, at most. Smaller than a
/// line batch ([`super::BATCH_MAX`]): a detection costs the engine about 12 µs (gating
/// against AIS vessels and tracks, the tracker, scoring), so 512 of them held
/// the engine's write lock for about 6 ms, and every query waited behind it
/// (`cargo bench --bench wire`, the flood phase: VesselsNear p99 12 ms). 64
/// hold it under 1 ms; a drone's sighting still goes at once, batch or not.
pub const DETECTION_BATCH_MAX: usize = 64;

/// How fast each feeder may push detection events: a GCRA (token bucket)
/// per feeder, the authenticated operator's name or, on an open service, the
/// peer's address. A feeder over its rate is not refused or cut off: its call
/// simply stops reading until the rate allows the next event, and HTTP/2 flow
/// control slows the sender. Without it one client pushing as fast as it can
/// (85,000 events/s on this machine's wire bench) takes a core of the engine
/// and multiplies every other caller's latency.
pub struct DetectionRate {
    limiter: DefaultKeyedRateLimiter<String>,
    per_s: NonZeroU32,
    /// Events that had to wait for the rate, all feeders together.
    throttled: AtomicU64,
}

impl DetectionRate {
    /// `per_s` events per second for each feeder, with a burst of one
    /// second's worth.
    pub fn new(per_s: NonZeroU32) -> Self {
        Self { limiter: RateLimiter::keyed(Quota::per_second(per_s)), per_s, throttled: AtomicU64::new(0) }
    }

    /// The configured rate, events per second per feeder.
    pub fn per_s(&self) -> u32 {
        self.per_s.get()
    }

    /// Events that waited for their feeder's rate since the start.
    pub fn throttled(&self) -> u64 {
        self.throttled.load(Ordering::Relaxed)
    }

    /// Takes one event of `feeder`'s rate if it has one now; false (counted
    /// as throttled) if the feeder must [`DetectionRate::admit`] it instead.
    pub fn try_admit(&self, feeder: &str) -> bool {
        let ok = self.limiter.check_key(&feeder.to_string()).is_ok();
        if !ok {
            self.throttled.fetch_add(1, Ordering::Relaxed);
        }
        ok
    }

    /// Returns once `feeder` may push one more event, and takes it.
    pub async fn admit(&self, feeder: &str) {
        let key = feeder.to_string();
        while let Err(not_until) = self.limiter.check_key(&key) {
            tokio::time::sleep(not_until.wait_time_from(self.limiter.clock().now())).await;
        }
    }

    /// Forgets feeders whose bucket is full again (idle for a second or
    /// more), so the table holds only the feeders that are pushing.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
    }
}

/// The source name an `Ingest` call's first message gives, trimmed and
/// checked (see [`super::source_name_problem`]); errors name the `source` field.
pub fn feeder_name(given: &str) -> Result<&str, Error> {
    let name = given.trim();
    if name.is_empty() {
        return Err(Error::invalid("source", "the first message must name the source"));
    }
    if let Some(problem) = super::source_name_problem(name) {
        return Err(Error::invalid("source", problem));
    }
    Ok(name)
}

/// One `Ingest` call: a feeder's lines, decoded, batched and sent to the
/// pipeline as a live source of kind `grpc` (wall clock, NMEA).
pub struct IngestCall {
    status: Arc<SourceStatus>,
    /// `None` once closed.
    ingestor: Option<Ingestor>,
}

impl IngestCall {
    /// Registers (or takes back) source `name` — checked by [`feeder_name`]
    /// first — and marks it connected. Refused, naming the `source` field,
    /// when another kind of source has the name or [`MAX_SOURCES`] live
    /// sources exist. `reader` hands out archive reader ids (`None`: no
    /// archive, lines are not kept).
    pub fn open(
        sources: &SourceRegistry,
        name: &str,
        tx: mpsc::Sender<Input>,
        settings: Arc<LineSettings>,
        reader: Option<ReaderIds>,
    ) -> Result<Self, Error> {
        let status = sources.register(name, "grpc").ok_or_else(|| {
            Error::invalid(
                "source",
                format!("{name:?} is taken by a configured source, or {MAX_SOURCES} live sources exist (MAX_SOURCES)"),
            )
        })?;
        status.set_connected(true, None);
        let ctx = SourceCtx { status: status.clone(), tx, format: LineFormat::Nmea, settings, reader };
        Ok(Self { status, ingestor: Some(ctx.ingestor(Clock::Live)) })
    }

    /// Decodes the lines of one message and sends them on. Each entry is a
    /// whole line (an unterminated one is not joined with the next entry);
    /// a batch that fills is sent at once, and the rest at the end, so a
    /// feeder's message never waits for the next one.
    pub async fn lines(&mut self, lines: &[String]) -> Result<(), PipelineClosed> {
        let ingestor = self.ingestor.as_mut().expect("open until closed");
        for line in lines {
            ingestor.bytes(line.as_bytes());
            ingestor.end_of_stream();
            if ingestor.batch_full() {
                ingestor.flush().await?;
            }
        }
        ingestor.flush().await
    }

    /// Waits until every line sent is on disk (at once without an archive):
    /// the reply says "received" only then.
    pub async fn durable(&mut self) -> Result<(), Error> {
        self.ingestor.as_mut().expect("open until closed").durable().await
    }

    /// Ends the call: counts fragments left incomplete, publishes the
    /// counters and marks the source disconnected, recording `error` (why
    /// the call failed) if any. Returns the source, for the summary.
    pub fn close(mut self, error: Option<String>) -> Arc<SourceStatus> {
        self.end(error);
        self.status.clone()
    }

    fn end(&mut self, error: Option<String>) {
        // The counters first (dropping the ingestor publishes them), so the
        // summary built from the status includes them.
        if self.ingestor.take().is_some() {
            self.status.set_connected(false, error);
        }
    }
}

impl Drop for IngestCall {
    /// A call tonic drops half-way (the client reset its stream or hung up
    /// before the reply) never reaches [`IngestCall::close`]: its source must
    /// not stay "connected" in Stats and the metrics for ever.
    fn drop(&mut self) {
        self.end(Some("the call ended before its reply (the client went away)".into()));
    }
}

/// One `PushDetections` call: validated detection events, batched as
/// observations and sent on the pipeline's detections lane (which it drains
/// before the line feeds), with the events kept for the archive if there is one.
pub struct DetectionPush {
    status: Arc<SourceStatus>,
    tx: mpsc::Sender<Input>,
    /// Whether the events are kept for the archive.
    keep: bool,
    max_future_ms: i64,
    batch: Batch,
    events: Vec<DetectionEvent>,
    /// Counts not yet added to the source's totals.
    counts: DetectionCounters,
    /// The pipeline's answer for the last batch sent: answers come in
    /// order, so it covers every batch before it.
    last: Option<oneshot::Receiver<Durable>>,
}

impl DetectionPush {
    /// Registers (or takes back) the [`PUSH_DETECTIONS_SOURCE`] source.
    /// `tx` is the detections lane; `keep` whether events go to the archive;
    /// events stamped more than `max_future_ms` (ms) after the clock are refused.
    pub fn open(
        sources: &SourceRegistry,
        tx: mpsc::Sender<Input>,
        keep: bool,
        max_future_ms: i64,
    ) -> Result<Self, Error> {
        let status = sources
            .register(PUSH_DETECTIONS_SOURCE, "grpc")
            .ok_or_else(|| Error::Unavailable("the source registry is full".into()))?;
        Ok(Self {
            status,
            tx,
            keep,
            max_future_ms,
            batch: Vec::with_capacity(DETECTION_BATCH_MAX),
            events: Vec::new(),
            counts: DetectionCounters::default(),
            last: None,
        })
    }

    /// Takes one event as the API decoded it, or the reason it could not be
    /// decoded: a decoded event is validated against the clock `now_ms`
    /// (ms since epoch) and, if good, joins the batch. Every rejection is
    /// counted, whatever its cause, and returned for the caller's summary.
    pub fn offer(&mut self, event: Result<DetectionEvent, Error>, now_ms: i64) -> Result<(), Error> {
        let keep = self.keep;
        let max_future_ms = self.max_future_ms;
        match event.and_then(|e| Ok((keep.then(|| e.clone()), e.validate(now_ms, max_future_ms)?))) {
            Ok((event, d)) => {
                self.events.extend(event);
                self.counts.events += 1;
                self.batch.push(Observation {
                    source: self.status.id,
                    at_ms: d.time_ms,
                    payload: Payload::Detection(Box::new(d)),
                });
                Ok(())
            }
            Err(e) => {
                self.counts.events_rejected += 1;
                self.counts.last_rejection = e.to_string();
                Err(e)
            }
        }
    }

    /// True when the batch should be sent before taking more.
    pub fn batch_full(&self) -> bool {
        self.batch.len() >= DETECTION_BATCH_MAX
    }

    /// Sends the pending batch, if any, with the events it came from when
    /// they are kept, to the detections lane, waiting if it is full
    /// (backpressure to this caller only); then adds the counts since the
    /// last send to the source's totals.
    ///
    /// The counters go to the totals here, batch by batch, once the events
    /// are with the pipeline: a feeder that hangs up half-way is counted for
    /// what was applied.
    pub async fn send(&mut self) -> Result<(), PipelineClosed> {
        if self.batch.is_empty() {
            self.publish();
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(DETECTION_BATCH_MAX));
        let raw = self.keep.then(|| {
            Raw::Events(RawEvents { source: PUSH_DETECTIONS_SOURCE.into(), events: std::mem::take(&mut self.events) })
        });
        let (input, rx) = Input::with_reply(batch, raw);
        self.tx.send(input).await.map_err(|_| PipelineClosed)?;
        self.publish();
        self.last = Some(rx);
        Ok(())
    }

    /// Waits until every batch sent is on disk (at once without an archive):
    /// the summary says "accepted" only then.
    pub async fn durable(&mut self) -> Result<(), Error> {
        match self.last.take() {
            Some(rx) => wait_durable(rx).await,
            None => Ok(()),
        }
    }

    /// Adds the counts since the last publish to the source's totals.
    fn publish(&mut self) {
        if self.counts == DetectionCounters::default() {
            return;
        }
        let mut st = self.status.state.lock();
        st.detections.merge(&self.counts);
        let wall = wall_ms();
        st.last_line_ms = Some(wall);
        if self.counts.events > 0 {
            st.last_message_ms = Some(wall);
        }
        self.counts = DetectionCounters::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An `Ingest` call dropped half-way (as tonic drops the handler when the client
    /// resets its stream) leaves its source disconnected, saying why.
    #[test]
    fn an_ingest_call_dropped_half_way_is_disconnected() {
        let sources = SourceRegistry::default();
        let (tx, _rx) = mpsc::channel(1);
        let call =
            IngestCall::open(&sources, "lampedusa/ais-1", tx, Arc::new(LineSettings::new(&[], 0)), None).unwrap();
        let status = sources.all()[0].clone();
        assert!(status.state.lock().connected);
        drop(call);
        let st = status.state.lock();
        assert!(!st.connected, "dropped, not closed: still marked connected");
        assert!(st.last_error.contains("went away"), "{:?}", st.last_error);
    }

    #[test]
    fn feeder_names_are_trimmed_and_checked() {
        assert_eq!(feeder_name("  lampedusa/ais-1 \n").unwrap(), "lampedusa/ais-1");
        for bad in ["", "   ", "evil\u{1b}[31m"] {
            match feeder_name(bad) {
                Err(Error::InvalidArgument(e)) => assert_eq!(e.field, "source", "{bad:?}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    /// An event that fails to convert or to validate is counted as rejected
    /// and not batched; a good one is batched, kept for the archive, and
    /// counted in the source's totals once its batch is with the pipeline.
    #[tokio::test]
    async fn pushed_events_are_batched_and_counted() {
        let sources = SourceRegistry::default();
        let (tx, mut rx) = mpsc::channel(1);
        let mut push = DetectionPush::open(&sources, tx, true, 0).unwrap();
        let refused = push.offer(Err(Error::invalid("lat", "is required")), 0);
        assert!(matches!(refused, Err(Error::InvalidArgument(_))));
        let event: DetectionEvent = serde_json::from_str(
            r#"{"time":"2026-06-01T00:09:13Z","sensor_id":"drone-1","sensor_kind":"DRONE",
                "lat":34.97,"lon":12.41,"position_error_m":30.0}"#,
        )
        .unwrap();
        let now_ms = 1_780_272_553_000; // 2026-06-01T00:09:13Z
        let late = push.offer(Ok(event.clone()), now_ms - 1);
        assert!(matches!(late, Err(Error::InvalidArgument(ref e)) if e.field == "time"), "{late:?}");
        push.offer(Ok(event), now_ms).unwrap();
        assert_eq!(push.batch.len(), 1);
        push.send().await.unwrap();
        let input = rx.recv().await.unwrap();
        assert_eq!(input.batch.len(), 1);
        assert!(
            matches!(input.raw, Some(Raw::Events(ref r)) if r.events.len() == 1 && r.source == PUSH_DETECTIONS_SOURCE)
        );
        let st = sources.all()[0].state.lock().detections.clone();
        assert_eq!((st.events, st.events_rejected), (1, 2));
        assert!(st.last_rejection.contains("time"), "{}", st.last_rejection);
    }
}
