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
use crate::picture::{Area, Mmsi, Vessel, VesselFilter};
use crate::pipeline::TrackUpdate;
use crate::service::Shared;
use crate::source::wall_ms;

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
}

impl Spec {
    pub fn from_request(r: pb::SubscribeTracksRequest) -> Result<Self, Error> {
        let area = convert::area(r.area, false)?;
        if r.min_interval_ms > MAX_MIN_INTERVAL_MS {
            return Err(Error::invalid("min_interval_ms", format!("{} exceeds {MAX_MIN_INTERVAL_MS}", r.min_interval_ms)));
        }
        if r.mmsi.len() > MAX_MMSI_FILTER {
            return Err(Error::invalid("mmsi", format!("{} MMSIs exceed the limit of {MAX_MMSI_FILTER}", r.mmsi.len())));
        }
        let mmsi = r.mmsi.iter().map(|m| convert::mmsi(*m, "mmsi")).collect::<Result<_, _>>()?;
        Ok(Self { area, min_interval: Duration::from_millis(u64::from(r.min_interval_ms)), mmsi })
    }

    fn wants(&self, v: &Vessel) -> bool {
        (self.mmsi.is_empty() || self.mmsi.contains(&v.mmsi)) && v.fix.is_some_and(|f| self.area.contains(f.pos))
    }
}

/// Starts the subscription task and returns the console's stream.
pub fn start(shared: Arc<Shared>, spec: Spec) -> ReceiverStream<Result<pb::TrackEvent, Status>> {
    let (tx, rx) = mpsc::channel(SUBSCRIBER_QUEUE);
    // Subscribe before the snapshot so no update falls between the two.
    let updates = shared.updates.subscribe();
    shared.subscribers.fetch_add(1, Ordering::Relaxed);
    tokio::spawn(async move {
        let mut sub = Subscription { shared: shared.clone(), spec, tx, seq: 0, members: HashSet::new(), last_sent: HashMap::new(), pending: BTreeMap::new() };
        // Ends when the console goes away (a failed send) or the service stops.
        let _ = sub.run(updates).await;
        shared.subscribers.fetch_sub(1, Ordering::Relaxed);
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
    /// Vessels currently inside the area, as the console knows them.
    members: HashSet<Mmsi>,
    last_sent: HashMap<Mmsi, Instant>,
    /// Throttled updates waiting for their interval to end (latest state wins).
    pending: BTreeMap<Mmsi, Arc<Vessel>>,
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
                    Ok(TrackUpdate::Removed(mmsi)) => {
                        if self.members.remove(&mmsi) {
                            self.pending.remove(&mmsi);
                            self.send(Event::Exited(pb::VesselExited { mmsi, reason: pb::vessel_exited::Reason::AgedOut as i32 })).await?;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        self.send(Event::Missed(pb::Missed { updates_missed: n })).await?;
                        self.snapshot().await?;
                    }
                    Err(broadcast::error::RecvError::Closed) => return Ok(()),
                },
                _ = heartbeat.tick() => {
                    let n = self.members.len() as u32;
                    self.send(Event::Heartbeat(pb::Heartbeat { server_time_unix_ms: wall_ms(), vessels_in_area: n })).await?;
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
        let vessels: Vec<Vessel> = {
            let pic = self.shared.picture.read();
            pic.in_area(&self.spec.area, &VesselFilter::default())
                .into_iter()
                .filter(|v| self.spec.mmsi.is_empty() || self.spec.mmsi.contains(&v.mmsi))
                .cloned()
                .collect()
        };
        let now_in: HashSet<Mmsi> = vessels.iter().map(|v| v.mmsi).collect();
        let mut left: Vec<Mmsi> = self.members.difference(&now_in).copied().collect();
        left.sort_unstable();
        for mmsi in left {
            self.send(Event::Exited(pb::VesselExited { mmsi, reason: pb::vessel_exited::Reason::LeftArea as i32 })).await?;
        }
        self.pending.clear();
        let now = Instant::now();
        for v in &vessels {
            self.last_sent.insert(v.mmsi, now);
            let pv = convert::vessel(v, self.shared.sources.name(v.last_source));
            self.send(Event::Snapshot(pv)).await?;
        }
        self.members = now_in;
        self.send(Event::SnapshotComplete(pb::SnapshotComplete { vessels: vessels.len() as u32 })).await
    }

    async fn on_change(&mut self, v: Arc<Vessel>) -> Result<(), Gone> {
        let inside = self.spec.wants(&v);
        let member = self.members.contains(&v.mmsi);
        match (inside, member) {
            (true, false) => {
                self.members.insert(v.mmsi);
                self.last_sent.insert(v.mmsi, Instant::now());
                let pv = convert::vessel(&v, self.shared.sources.name(v.last_source));
                self.send(Event::Entered(pv)).await
            }
            (true, true) => {
                let due = self.last_sent.get(&v.mmsi).is_none_or(|t| t.elapsed() >= self.spec.min_interval);
                if due {
                    self.pending.remove(&v.mmsi);
                    self.last_sent.insert(v.mmsi, Instant::now());
                    let pv = convert::vessel(&v, self.shared.sources.name(v.last_source));
                    self.send(Event::Update(pv)).await
                } else {
                    self.pending.insert(v.mmsi, v);
                    Ok(())
                }
            }
            (false, true) => {
                self.members.remove(&v.mmsi);
                self.pending.remove(&v.mmsi);
                self.last_sent.remove(&v.mmsi);
                self.send(Event::Exited(pb::VesselExited { mmsi: v.mmsi, reason: pb::vessel_exited::Reason::LeftArea as i32 }))
                    .await
            }
            (false, false) => Ok(()),
        }
    }

    async fn flush_pending(&mut self) -> Result<(), Gone> {
        let due: Vec<Mmsi> = self
            .pending
            .keys()
            .filter(|m| self.last_sent.get(m).is_none_or(|t| t.elapsed() >= self.spec.min_interval))
            .copied()
            .collect();
        for mmsi in due {
            if let Some(v) = self.pending.remove(&mmsi) {
                self.last_sent.insert(mmsi, Instant::now());
                let pv = convert::vessel(&v, self.shared.sources.name(v.last_source));
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
