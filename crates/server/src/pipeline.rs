//! The pipeline stage between sources and consumers: drives the engine with
//! decoded observations (and with time passing), and fans track and alert
//! changes out to subscribers without ever waiting for them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use lookout_ais::Batch;
use lookout_alert::AlertChange;
use lookout_archive::{NewRecord, Ticket};
use lookout_core::time::wall_ms;
use lookout_engine::Step;
use lookout_picture::{Removal, Vessel};
use parking_lot::RwLockWriteGuard;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::config::ClockMode;
use crate::error::Error;
use crate::service::Shared;
use crate::store::Raw;

/// Capacity of the track-update fan-out, in updates. A subscriber that falls
/// further behind than this is told how many it missed and re-sent the
/// current state; the pipeline itself never waits.
pub const TRACK_UPDATES_CAPACITY: usize = 65_536;
/// Capacity of the alert fan-out, in alert changes. Alert changes are far
/// rarer than track updates; a console that still falls this far behind is
/// told how many it missed and re-sent each affected alert's current state.
pub const ALERT_UPDATES_CAPACITY: usize = 4096;
/// Capacity of the `PushDetections` lane, in batches. Drones and cameras
/// send far less than the AIS feeds; the pipeline drains this lane first,
/// and a full lane backpressures only the pushing client.
pub const DETECTIONS_QUEUE_BATCHES: usize = 64;
/// How often the engine is ticked when no input arrives, so vessels age out
/// and alerts close (the engine itself expires once per second of its clock).
const TICK_EVERY: Duration = Duration::from_secs(1);

/// What the pipeline is given: a batch of observations, the input it was decoded from (for
/// the archive), and where to say when that input is on disk.
pub struct Input {
    pub batch: Batch,
    /// `None` without an archive.
    pub raw: Option<Raw>,
    /// For callers that reply to a feeder only once its input is durable (`Ingest`,
    /// `PushDetections`): the archive's ticket, or why the input was refused.
    pub reply: Option<oneshot::Sender<Durable>>,
    /// When it was made, just before it is handed to the pipeline: the start of
    /// the ingest-to-alert latency, so time waiting in the queue counts.
    pub queued_at: Instant,
}

/// The pipeline's answer to an [`Input`] with a reply: `Ok(None)` when there is no
/// archive (applied), `Ok(Some(ticket))` when the ticket resolves once the input is on
/// disk, `Err` when the archive refused it (then it was not applied either).
pub type Durable = Result<Option<Ticket>, Error>;

impl Input {
    /// An input whose caller does not wait for the disk.
    pub fn new(batch: Batch, raw: Option<Raw>) -> Self {
        Input { batch, raw, reply: None, queued_at: Instant::now() }
    }

    /// An input, and the receiver of its [`Durable`] answer.
    pub fn with_reply(batch: Batch, raw: Option<Raw>) -> (Self, oneshot::Receiver<Durable>) {
        let (tx, rx) = oneshot::channel();
        (Input { batch, raw, reply: Some(tx), queued_at: Instant::now() }, rx)
    }
}

/// Waits for an [`Input`]'s answer and then for its ticket.
pub async fn wait_durable(rx: oneshot::Receiver<Durable>) -> Result<(), Error> {
    match rx.await {
        Ok(Ok(Some(ticket))) => {
            ticket.await?;
            Ok(())
        }
        Ok(Ok(None)) => Ok(()),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(Error::Unavailable("shutting down".into())),
    }
}

/// A change in the picture, as consoles see it.
#[derive(Debug, Clone)]
pub enum TrackUpdate {
    Changed(Arc<Vessel>),
    /// Left the picture (aged out, track lost, or merged).
    Removed(Removal),
}

/// The pipeline's notion of now (see [`ClockMode`]).
#[derive(Debug, Clone, Copy)]
pub struct PipelineClock {
    mode: ClockMode,
    /// Newest observation time seen, ms (recording mode).
    newest_ms: Option<i64>,
}

impl PipelineClock {
    pub fn new(mode: ClockMode) -> Self {
        Self { mode, newest_ms: None }
    }

    /// Now, for applying `batch`.
    pub fn for_batch(&mut self, batch: &Batch) -> i64 {
        match self.mode {
            ClockMode::Wall => wall_ms(),
            ClockMode::Recording => {
                // Never backwards, even if a source is.
                let newest = batch.iter().map(|o| o.at_ms).max();
                self.newest_ms = self.newest_ms.max(newest);
                self.newest_ms.unwrap_or_else(wall_ms)
            }
        }
    }

    /// Now, between batches; `None` before a recording has started.
    pub fn idle(&self) -> Option<i64> {
        match self.mode {
            ClockMode::Wall => Some(wall_ms()),
            ClockMode::Recording => self.newest_ms,
        }
    }
}

/// Detection batches the pipeline applies in a row, while line batches wait,
/// before it applies one line batch. Detections go first so that a distress
/// sighting is not queued behind a flood of AIS reports; but strictly first, a
/// `PushDetections` client sending as fast as flow control allows stopped the
/// AIS feeds entirely (`cargo bench --bench wire`: 100,000 reports/s fell to
/// 0 for as long as two flood streams ran, and the backlog outlived them).
/// One line batch (at most [`crate::source::BATCH_MAX`] reports, about 0.5 ms
/// of work) is all a sighting can then wait behind.
pub const DETECTION_BATCHES_BEFORE_LINES: u32 = 1;

/// Runs until shutdown or until every line sender is gone. Detection
/// batches (`PushDetections`) are taken before line batches whenever both
/// wait (see [`DETECTION_BATCHES_BEFORE_LINES`] for the bound): under a flood
/// of AIS reports a distress sighting is applied and scored at once, not after
/// the backlog.
pub async fn run_pipeline(
    shared: Arc<Shared>,
    mut rx: mpsc::Receiver<Input>,
    mut detections: mpsc::Receiver<Input>,
    shutdown: CancellationToken,
) {
    let mut clock = PipelineClock::new(shared.config.service.clock);
    let mut tick = tokio::time::interval(TICK_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let save_every = shared.config.baseline.save_every.unwrap_or(Duration::from_secs(86_400 * 365));
    let mut save = tokio::time::interval_at(tokio::time::Instant::now() + save_every, save_every);
    save.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut detections_open = true;
    // Detection batches applied since the last line batch.
    let mut in_a_row = 0;
    loop {
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            d = detections.recv(), if detections_open => match d {
                Some(input) => {
                    apply(&shared, &mut clock, input);
                    in_a_row += 1;
                    if in_a_row >= DETECTION_BATCHES_BEFORE_LINES {
                        in_a_row = 0;
                        // Lines that are waiting get their turn; none waiting, none taken.
                        if let Ok(input) = rx.try_recv() {
                            apply(&shared, &mut clock, input);
                        }
                    }
                }
                None => detections_open = false,
            },
            b = rx.recv() => match b {
                Some(input) => {
                    in_a_row = 0;
                    apply(&shared, &mut clock, input)
                }
                None => break,
            },
            _ = tick.tick() => if let Some(now) = clock.idle() { tick_engine(&shared, now) },
            _ = save.tick(), if shared.config.baseline.save_every.is_some() => save_baseline(&shared).await,
        }
    }
    if shared.config.baseline.save_every.is_some() {
        save_baseline(&shared).await;
    }
}

fn apply(shared: &Shared, clock: &mut PipelineClock, input: Input) {
    let now = clock.for_batch(&input.batch);
    // Only a time the recording gave moves the recording clock. Before the first
    // observation an empty batch (a fragment waiting for its other half) is stamped with
    // the wall clock, and the clock never goes back: had it jumped to that, every later
    // alert version would have been archived at wall time, months from the recording's.
    if let Some(t) = clock.idle() {
        shared.set_recording_now(t);
    }
    let mut engine = shared.engine.write();
    // Appended before it is applied, under the engine's lock, so the archive holds
    // the engine's inputs in the order it applied them (recovery depends on it).
    let ticket = match (&shared.store, &input.raw) {
        (Some(store), Some(raw)) if !raw.is_empty() => match store.append_input(raw, &input.batch, now) {
            Ok(t) => Some(t),
            Err(e) => {
                drop(engine);
                shared.archive_refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                warn!(error = %e, observations = input.batch.len(), "input refused: the archive cannot take it");
                if let Some(reply) = input.reply {
                    let _ = reply.send(Err(e));
                }
                return;
            }
        },
        _ => None,
    };
    if let Some(reply) = input.reply {
        // The caller may have gone (a feeder that hung up): its input still counts.
        let _ = reply.send(Ok(ticket));
    }
    // An empty batch (fragments waiting for their other half) changes nothing, and
    // recovery skips it the same way.
    if input.batch.is_empty() {
        return;
    }
    let step = engine.apply(&input.batch, now);
    if let Some(published) = publish(shared, engine, step) {
        shared.metrics.ingest_to_alert(published.duration_since(input.queued_at));
    }
}

/// Writes the (learning) baseline back to its file, off the async threads.
async fn save_baseline(shared: &Arc<Shared>) {
    let (Some(path), Some(b)) = (shared.config.baseline.path.clone(), shared.engine.read().baseline().cloned()) else {
        return;
    };
    let shown = path.display().to_string();
    match tokio::task::spawn_blocking(move || b.save_path(&path)).await {
        Ok(Ok(())) => info!(path = %shown, "baseline saved"),
        Ok(Err(e)) => warn!(error = %e, "baseline not saved"),
        Err(e) => warn!(error = %e, "baseline save task failed"),
    }
}

/// Applies one batch under the engine's write lock, then publishes track
/// and alert changes: the changed vessels are copied under the read lock it
/// is downgraded to (so queries proceed meanwhile), and sent to consoles
/// after releasing it, so nobody waits for the fan-out.
pub fn apply_batch(shared: &Shared, batch: &Batch, now_ms: i64) {
    let mut engine = shared.engine.write();
    let step = engine.apply(batch, now_ms);
    publish(shared, engine, step);
}

fn tick_engine(shared: &Shared, now_ms: i64) {
    let mut engine = shared.engine.write();
    if let Some(store) = &shared.store {
        // Nobody waits for a tick to be durable: a tick lost in a crash is made again
        // by the first tick after the restart.
        if let Err(e) = store.append(vec![NewRecord::new(crate::store::TICK, now_ms, b"{}".to_vec())]) {
            shared.archive_refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            warn!(error = %e, "tick not archived");
        }
    }
    let step = engine.tick(now_ms);
    publish(shared, engine, step);
}

/// Returns when the step's alert changes were published, if it made any.
fn publish(shared: &Shared, engine: RwLockWriteGuard<'_, lookout_engine::Engine>, step: Step) -> Option<Instant> {
    let publish_tracks = shared.updates.receiver_count() > 0;
    let engine = RwLockWriteGuard::downgrade(engine);
    let changed: Vec<Arc<Vessel>> = if publish_tracks {
        let pic = engine.picture();
        step.changes.changed.iter().filter_map(|k| pic.get_entity(*k)).map(|v| Arc::new(v.clone())).collect()
    } else {
        Vec::new()
    };
    // Alert changes go out in book order while the engine is still held, so
    // an acknowledgement (which takes the write lock) cannot overtake them.
    let alerts_published = (!step.alerts.is_empty()).then(|| {
        for c in step.alerts {
            shared.publish_alert(c, false);
        }
        Instant::now()
    });
    drop(engine);
    for v in changed {
        // An error only means nobody is subscribed any more.
        let _ = shared.updates.send(TrackUpdate::Changed(v));
    }
    if publish_tracks {
        for r in step.changes.removed {
            let _ = shared.updates.send(TrackUpdate::Removed(r));
        }
    }
    alerts_published
}

/// A new fan-out channel.
pub fn updates_channel() -> broadcast::Sender<TrackUpdate> {
    broadcast::channel(TRACK_UPDATES_CAPACITY).0
}

/// A new alert fan-out channel.
pub fn alert_updates_channel() -> broadcast::Sender<Arc<AlertChange>> {
    broadcast::channel(ALERT_UPDATES_CAPACITY).0
}
