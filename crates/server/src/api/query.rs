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

/// Heavy queries running at once on a machine with `cores` cores: one core is left
/// for the pipeline and the light calls. Four 1,000-vertex polygon queries at once
/// took both cores of this machine and raised VesselsNear's p99 from 1.3 to 18.9 ms
/// (`cargo bench --bench wire`).
pub fn heavy_query_slots(cores: usize) -> usize {
    cores.saturating_sub(1).max(1)
}

/// The share of its slot's time heavy queries may use: after a query that took `t`,
/// its slot stays taken for another `t × (1 / HEAVY_QUERY_DUTY − 1)` (at 0.5, as long
/// again) before the next query may have it. Clients looping polygon queries kept a
/// core busy all the time and doubled the light calls' p99 beside them (`cargo bench
/// --bench wire`); a query on its own is not delayed, only the next one waits.
pub const HEAVY_QUERY_DUTY: f64 = 0.5;

/// The slots of [`heavy_query_slots`] for this machine; a query waits for one
/// within its [`QUERY_DEADLINE`].
fn heavy_slots() -> Arc<tokio::sync::Semaphore> {
    static SLOTS: std::sync::OnceLock<Arc<tokio::sync::Semaphore>> = std::sync::OnceLock::new();
    SLOTS
        .get_or_init(|| {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            Arc::new(tokio::sync::Semaphore::new(heavy_query_slots(cores)))
        })
        .clone()
}

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
    let deadline = tokio::time::Instant::now() + QUERY_DEADLINE;
    let Ok(Ok(slot)) = tokio::time::timeout_at(deadline, heavy_slots().acquire_owned()).await else {
        return Err(Error::DeadlineExceeded(format!(
            "no heavy-query slot came free within the server's limit of {} s (QUERY_DEADLINE): \
             other area queries are running",
            QUERY_DEADLINE.as_secs()
        )));
    };
    // The slot goes with the work: a query cancelled at the deadline keeps it until
    // it has actually stopped.
    let task = tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        let r = work(&flag);
        (r, slot, started.elapsed())
    });
    match tokio::time::timeout_at(deadline, task).await {
        Ok(Ok((r, slot, took))) => {
            // The answer goes now; the slot rests (HEAVY_QUERY_DUTY) on its own.
            let rest = took.mul_f64(1.0 / HEAVY_QUERY_DUTY - 1.0);
            tokio::spawn(async move {
                tokio::time::sleep(rest).await;
                drop(slot);
            });
            r
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heavy_queries_leave_a_core_free() {
        assert_eq!([1, 2, 4, 8].map(heavy_query_slots), [1, 1, 3, 7]);
    }

    /// On a one-slot machine a second query waits for the first to finish; the slot is
    /// held by the work itself and then rests (HEAVY_QUERY_DUTY) before it comes back,
    /// while the answer goes at once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_query_holds_its_slot_while_it_works_and_then_rests() {
        let slots = heavy_slots();
        let n = slots.available_permits();
        let work = Duration::from_millis(200);
        let started = std::time::Instant::now();
        let busy = tokio::spawn(off_the_workers(move |_| {
            std::thread::sleep(work);
            Ok(1)
        }));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(slots.available_permits(), n - 1);
        assert_eq!(busy.await.unwrap().unwrap(), 1);
        let answered = started.elapsed();
        assert!(answered < work * 2, "the answer does not wait for the rest: {answered:?}");
        assert_eq!(slots.available_permits(), n - 1, "resting");
        let rest = work.mul_f64(1.0 / HEAVY_QUERY_DUTY - 1.0);
        tokio::time::sleep(rest + Duration::from_millis(100)).await;
        assert_eq!(slots.available_permits(), n, "back after the rest");
    }
}
