//! Heavy queries run off the async workers, with a deadline, and stop when
//! their caller has gone; the engine's lock is held only to copy what they
//! need, so neither the pipeline nor other callers wait on a slow query.
//!
//! Found by probing: three 150k-vertex polygon queries over 20k vessels ran
//! on the async workers holding the picture's lock, made other viewers fail
//! for 13.6 s and put the feed 6.6 s behind, and went on after the client had
//! gone.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lookout_picture::{Area, EntityKey, Vessel, VesselFilter};

use crate::error::Error;
use crate::service::Shared;

/// The longest a query may run, server side, whatever deadline the client set.
pub const QUERY_DEADLINE: Duration = Duration::from_secs(5);
/// How many candidates a query tests between looks at its cancel flag.
const CANCEL_CHECK_EVERY: usize = 4096;

/// Set when the caller has gone or the deadline passed; the query stops at
/// its next check.
#[derive(Debug, Default, Clone)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
    fn set(&self) {
        self.0.store(true, Ordering::Relaxed)
    }
}

/// Sets the flag when dropped: tonic drops a handler's future when its
/// client disconnects, and this guard lives in that future.
struct CancelOnDrop(Cancel);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.set();
    }
}

/// Runs `work` on the blocking pool with [`QUERY_DEADLINE`]; it is cancelled
/// (through the flag it is given) if the caller goes away or time runs out.
pub async fn off_the_workers<T: Send + 'static>(
    work: impl FnOnce(&Cancel) -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    let cancel = Cancel::default();
    let _guard = CancelOnDrop(cancel.clone());
    let flag = cancel.clone();
    let task = tokio::task::spawn_blocking(move || work(&flag));
    match tokio::time::timeout(QUERY_DEADLINE, task).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => Err(Error::Unavailable(format!("query task failed: {e}"))),
        Err(_) => {
            cancel.set();
            Err(Error::DeadlineExceeded(format!(
                "the query ran longer than the server's limit of {} s (QUERY_DEADLINE)",
                QUERY_DEADLINE.as_secs()
            )))
        }
    }
}

/// Vessels and tracks in `area` passing `filter`: the first `limit` in
/// stable order (AIS by MMSI, then dark tracks by id), and how many there
/// are. The engine is read twice, briefly: to copy candidate positions, and
/// to copy the hits; the area test runs in between, unlocked.
pub async fn in_area(
    shared: Arc<Shared>,
    area: Area,
    filter: VesselFilter,
    limit: usize,
) -> Result<(Vec<Vessel>, usize), Error> {
    off_the_workers(move |cancel| {
        let candidates = shared.engine.read().picture().area_candidates(&area, &filter);
        let mut hits: Vec<EntityKey> = Vec::new();
        for (i, (key, pos)) in candidates.iter().enumerate() {
            if i % CANCEL_CHECK_EVERY == 0 && cancel.is_set() {
                return Err(Error::Unavailable("the query was cancelled".into()));
            }
            if area.contains(*pos) {
                hits.push(*key);
            }
        }
        hits.sort_unstable();
        hits.dedup();
        let engine = shared.engine.read();
        let pic = engine.picture();
        // A vessel may have left the picture between the two reads: it is not listed.
        let vessels: Vec<Vessel> = hits.iter().filter_map(|k| pic.get_entity(*k)).take(limit).cloned().collect();
        Ok((vessels, hits.len()))
    })
    .await
}
