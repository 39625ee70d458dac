//! `SubscribeTracks`: one task per console. It listens to the pipeline's
//! fan-out (which never waits for it), filters by area and MMSI, throttles
//! per vessel, and writes into the console's own bounded queue. If the
//! console is slow the task waits on that queue, the fan-out overtakes it,
//! and the console is then told how many updates it missed and sent the
//! current state of its area — nothing is lost silently, nobody else slows.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;

use super::convert;
use super::pb::{self, track_event::Event};
use crate::error::Error;
use crate::metrics::Stream;
use crate::pipeline::TrackUpdate;
use crate::service::Shared;
use lookout_picture::{Area, BandedPolygon, Mmsi, Removal, RemovalReason, TrackId, Vessel, VesselFilter};

/// Events queued per console before its task waits (and eventually lags).
pub const SUBSCRIBER_QUEUE: usize = 1024;
/// Longest `min_interval_ms` a console may ask for.
const MAX_MIN_INTERVAL_MS: u32 = 3_600_000;
/// Most MMSIs in one subscription's filter.
const MAX_MMSI_FILTER: usize = 10_000;

/// A validated subscription.
pub struct Spec {
    area: Area,
    min_interval: Duration,
    mmsi: HashSet<Mmsi>,
    /// The caller's region (its operator's `area`), set by the server: a vessel whose
    /// position is outside is never sent, and one that moves out is seen to leave
    /// (`Exited`, LEFT_AREA), as when it leaves the subscription's own area.
    within: Option<Arc<BandedPolygon>>,
}

impl Spec {
    pub fn from_request(r: pb::SubscribeTracksRequest) -> Result<Self, Error> {
        let area = convert::area(r.area, false)?;
        if r.min_interval_ms > MAX_MIN_INTERVAL_MS {
            return Err(Error::invalid(
                "min_interval_ms",
                format!("{} exceeds {MAX_MIN_INTERVAL_MS}", r.min_interval_ms),
            ));
        }
        if r.mmsi.len() > MAX_MMSI_FILTER {
            return Err(Error::invalid(
                "mmsi",
                format!("{} MMSIs exceed the limit of {MAX_MMSI_FILTER}", r.mmsi.len()),
            ));
        }
        let mmsi = r.mmsi.iter().map(|m| convert::mmsi(*m, "mmsi")).collect::<Result<_, _>>()?;
        Ok(Self { area, min_interval: Duration::from_millis(u64::from(r.min_interval_ms)), mmsi, within: None })
    }

    /// Restricts the subscription to the caller's region (`None`: anywhere).
    pub fn within(mut self, region: Option<Arc<BandedPolygon>>) -> Self {
        self.within = region;
        self
    }

    /// The subscription in a few words, for the audit.
    pub fn summary(&self) -> String {
        let mut s = format!("tracks {}", super::audit::area(&self.area));
        if !self.mmsi.is_empty() {
            s += &format!(" mmsi×{}", self.mmsi.len());
        }
        s
    }

    /// An MMSI filter selects AIS vessels only; without one, dark tracks are included.
    fn wants(&self, v: &Vessel) -> bool {
        (self.mmsi.is_empty() || self.mmsi.contains(&v.mmsi))
            && v.fix.is_some_and(|f| {
                self.area.contains(f.pos) && self.within.as_ref().is_none_or(|r| r.covers_latlon(f.pos))
            })
    }
}

/// Starts the subscription task and returns the console's stream.
pub fn start(
    shared: Arc<Shared>,
    spec: Spec,
    slot: super::limits::SubscriptionSlot,
) -> ReceiverStream<Result<pb::TrackEvent, Status>> {
    let (tx, rx) = mpsc::channel(SUBSCRIBER_QUEUE);
    let queue = tx.downgrade();
    shared.metrics.watch_queue(Stream::Tracks, move || queue.upgrade().map(|q| q.max_capacity() - q.capacity()));
    // Subscribe before the snapshot so no update falls between the two.
    let updates = shared.updates.subscribe();
    shared.subscribers.fetch_add(1, Ordering::Relaxed);
    tokio::spawn(async move {
        let mut sub = Subscription {
            shared: shared.clone(),
            spec,
            tx,
            seq: 0,
            members: HashMap::new(),
            last_sent: HashMap::new(),
            pending: BTreeMap::new(),
        };
        // Ends when the console goes away (a failed send) or the service stops.
        let _ = sub.run(updates).await;
        shared.subscribers.fetch_sub(1, Ordering::Relaxed);
        drop(slot);
    });
    ReceiverStream::new(rx)
}

/// The console has gone away.
struct Gone;

struct Subscription {
    shared: Arc<Shared>,
    spec: Spec,
    tx: mpsc::Sender<Result<pb::TrackEvent, Status>>,
    seq: u64,
    /// Vessels and tracks currently inside the area, as the console knows
    /// them, by track id (with their MMSI, 0 for dark tracks).
    members: HashMap<TrackId, Mmsi>,
    last_sent: HashMap<TrackId, Instant>,
    /// Throttled updates waiting for their interval to end (latest state wins).
    pending: BTreeMap<TrackId, Arc<Vessel>>,
}

impl Subscription {
    async fn run(&mut self, mut updates: broadcast::Receiver<TrackUpdate>) -> Result<(), Gone> {
        self.snapshot().await?;
        let mut heartbeat = tokio::time::interval(self.shared.config.service.heartbeat);
        heartbeat.tick().await;
        let flush_every = self.spec.min_interval.clamp(Duration::from_millis(50), Duration::from_secs(1));
        let mut flush = tokio::time::interval(flush_every);
        loop {
            tokio::select! {
                u = updates.recv() => match u {
                    Ok(TrackUpdate::Changed(v)) => self.on_change(v).await?,
                    Ok(TrackUpdate::Removed(r)) => self.on_removed(r).await?,
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        self.shared.metrics.subscriber_lagged(Stream::Tracks, n);
                        self.send(Event::Missed(pb::Missed { updates_missed: n })).await?;
                        self.snapshot().await?;
                    }
                    Err(broadcast::error::RecvError::Closed) => return Ok(()),
                },
                _ = heartbeat.tick() => {
                    let n = self.members.len() as u32;
                    self.send(Event::Heartbeat(pb::Heartbeat { server_time_unix_ms: self.shared.now_ms(), vessels_in_area: n })).await?;
                }
                _ = flush.tick(), if !self.pending.is_empty() => self.flush_pending().await?,
                _ = self.tx.closed() => return Err(Gone),
                _ = self.shared.shutdown.cancelled() => return Ok(()),
            }
        }
    }

    /// Sends the current state of every vessel in the area (at start and after a lag),
    /// and exits for members that left meanwhile.
    async fn snapshot(&mut self) -> Result<(), Gone> {
        let filter = VesselFilter { within: self.spec.within.clone(), ..Default::default() };
        let query = super::query::in_area(self.shared.clone(), self.spec.area.clone(), filter, usize::MAX);
        let vessels: Vec<Vessel> = match query.await {
            Ok((vessels, _)) => {
                vessels.into_iter().filter(|v| self.spec.mmsi.is_empty() || self.spec.mmsi.contains(&v.mmsi)).collect()
            }
            Err(e) => {
                // The console is told why its stream ends (a deadline, shutdown).
                let _ = self.tx.send(Err(e.into())).await;
                return Err(Gone);
            }
        };
        let now_in: HashMap<TrackId, Mmsi> = vessels.iter().map(|v| (v.track_id, v.mmsi)).collect();
        let mut left: Vec<(TrackId, Mmsi)> =
            self.members.iter().filter(|(t, _)| !now_in.contains_key(t)).map(|(t, m)| (*t, *m)).collect();
        left.sort_unstable();
        for (track_id, mmsi) in left {
            self.send(exited(mmsi, track_id, pb::vessel_exited::Reason::LeftArea)).await?;
        }
        self.pending.clear();
        let now = Instant::now();
        for v in &vessels {
            self.last_sent.insert(v.track_id, now);
            let pv = convert::vessel(v, &self.shared.sources);
            self.send(Event::Snapshot(pv)).await?;
        }
        self.members = now_in;
        self.send(Event::SnapshotComplete(pb::SnapshotComplete { vessels: vessels.len() as u32 })).await
    }

    async fn on_removed(&mut self, r: Removal) -> Result<(), Gone> {
        if self.members.remove(&r.track_id).is_none() {
            return Ok(());
        }
        self.pending.remove(&r.track_id);
        self.last_sent.remove(&r.track_id);
        let reason = match r.reason {
            RemovalReason::AgedOut => pb::vessel_exited::Reason::AgedOut,
            RemovalReason::TrackDeleted => pb::vessel_exited::Reason::TrackDeleted,
            RemovalReason::Merged => pb::vessel_exited::Reason::Merged,
        };
        self.send(exited(r.mmsi, r.track_id, reason)).await
    }

    async fn on_change(&mut self, v: Arc<Vessel>) -> Result<(), Gone> {
        let inside = self.spec.wants(&v);
        let member = self.members.contains_key(&v.track_id);
        match (inside, member) {
            (true, false) => {
                self.members.insert(v.track_id, v.mmsi);
                self.last_sent.insert(v.track_id, Instant::now());
                let pv = convert::vessel(&v, &self.shared.sources);
                self.send(Event::Entered(pv)).await
            }
            (true, true) => {
                let due = self.last_sent.get(&v.track_id).is_none_or(|t| t.elapsed() >= self.spec.min_interval);
                if due {
                    self.pending.remove(&v.track_id);
                    self.last_sent.insert(v.track_id, Instant::now());
                    let pv = convert::vessel(&v, &self.shared.sources);
                    self.send(Event::Update(pv)).await
                } else {
                    self.pending.insert(v.track_id, v);
                    Ok(())
                }
            }
            (false, true) => {
                self.members.remove(&v.track_id);
                self.pending.remove(&v.track_id);
                self.last_sent.remove(&v.track_id);
                self.send(exited(v.mmsi, v.track_id, pb::vessel_exited::Reason::LeftArea)).await
            }
            (false, false) => Ok(()),
        }
    }

    async fn flush_pending(&mut self) -> Result<(), Gone> {
        let due: Vec<TrackId> = self
            .pending
            .keys()
            .filter(|t| self.last_sent.get(t).is_none_or(|i| i.elapsed() >= self.spec.min_interval))
            .copied()
            .collect();
        for track_id in due {
            if let Some(v) = self.pending.remove(&track_id) {
                self.last_sent.insert(track_id, Instant::now());
                let pv = convert::vessel(&v, &self.shared.sources);
                self.send(Event::Update(pv)).await?;
            }
        }
        Ok(())
    }

    async fn send(&mut self, e: Event) -> Result<(), Gone> {
        self.seq += 1;
        self.tx.send(Ok(pb::TrackEvent { seq: self.seq, event: Some(e) })).await.map_err(|_| Gone)
    }
}

fn exited(mmsi: Mmsi, track_id: TrackId, reason: pb::vessel_exited::Reason) -> Event {
    Event::Exited(pb::VesselExited { mmsi, track_id, reason: reason as i32 })
}
