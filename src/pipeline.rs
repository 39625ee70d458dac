//! The pipeline stage between sources and consumers: applies decoded
//! observations to the picture, ages vessels out, and fans changes out to
//! subscribers without ever waiting for them.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

use crate::picture::{Removal, Vessel};
use crate::service::Shared;
use crate::source::{wall_ms, Batch};

/// Capacity of the track-update fan-out, in updates. A subscriber that falls
/// further behind than this is told how many it missed and re-sent the
/// current state; the pipeline itself never waits.
pub const TRACK_UPDATES_CAPACITY: usize = 65_536;
/// How often vessels not heard for `vessel_max_age` are removed.
const EXPIRE_EVERY: Duration = Duration::from_secs(1);

/// A change in the picture, as consoles see it.
#[derive(Debug, Clone)]
pub enum TrackUpdate {
    Changed(Arc<Vessel>),
    /// Left the picture (aged out, track lost, or merged).
    Removed(Removal),
}

/// Runs until shutdown or until every sender is gone.
pub async fn run_pipeline(shared: Arc<Shared>, mut rx: mpsc::Receiver<Batch>, shutdown: CancellationToken) {
    let mut expire = tokio::time::interval(EXPIRE_EVERY);
    expire.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            b = rx.recv() => match b {
                Some(batch) => apply_batch(&shared, &batch, wall_ms()),
                None => break,
            },
            _ = expire.tick() => expire_vessels(&shared, wall_ms()),
        }
    }
}

/// Applies one batch under a single write lock, then publishes the changes
/// (after releasing the lock, so queries are not held up by the fan-out).
pub fn apply_batch(shared: &Shared, batch: &Batch, now_ms: i64) {
    let publish = shared.updates.receiver_count() > 0;
    let mut changed: Vec<Arc<Vessel>> = Vec::new();
    let removed = {
        let mut pic = shared.picture.write();
        let changes = pic.apply_batch(batch, now_ms);
        if publish {
            changed.extend(changes.changed.iter().filter_map(|k| pic.get_entity(*k)).map(|v| Arc::new(v.clone())));
        }
        changes.removed
    };
    for v in changed {
        // An error only means nobody is subscribed any more.
        let _ = shared.updates.send(TrackUpdate::Changed(v));
    }
    for r in removed {
        let _ = shared.updates.send(TrackUpdate::Removed(r));
    }
}

fn expire_vessels(shared: &Shared, now_ms: i64) {
    let gone = shared.picture.write().expire(now_ms);
    if shared.updates.receiver_count() > 0 {
        for r in gone {
            let _ = shared.updates.send(TrackUpdate::Removed(r));
        }
    }
}

/// A new fan-out channel.
pub fn updates_channel() -> broadcast::Sender<TrackUpdate> {
    broadcast::channel(TRACK_UPDATES_CAPACITY).0
}
