//! Deterministic replay: recorded `.nmea` (AIS and radar sentences) and
//! `.jsonl` (detection events) files merged by time and run through the same
//! decode → picture → tracker path as the live service, as fast as possible,
//! on the recording's own clock. Same files in, same picture out, every time.

use std::path::PathBuf;
use std::sync::Arc;

use crate::config::Config;
use crate::error::Error;
use crate::picture::{Changes, Picture};
use crate::source::{LineSettings, Observation, ReadCounters, Recording};

/// Observations are applied in batches of this many (as the live pipeline does).
const REPLAY_BATCH: usize = 512;

/// What a replay read.
#[derive(Debug, Clone, Default)]
pub struct ReplaySummary {
    pub observations: u64,
    pub counters: ReadCounters,
    /// First and last observation time, ms since epoch.
    pub first_ms: Option<i64>,
    pub last_ms: Option<i64>,
}

/// Replays `files` into a fresh picture. `observe` is called with the
/// picture and what the batch changed after every batch (recording time
/// `now_ms`), for scoring, evaluation and writing outputs.
pub fn replay(
    files: &[PathBuf],
    config: &Config,
    mut observe: impl FnMut(i64, &Picture, &Changes),
) -> Result<(Picture, ReplaySummary), Error> {
    let settings = Arc::new(LineSettings::from_config(config));
    let mut rec = Recording::open(files, 0, settings)?;
    let mut picture = Picture::with_tracker(&config.picture, config.tracker.clone());
    let mut summary = ReplaySummary::default();
    let mut batch: Vec<Observation> = Vec::with_capacity(REPLAY_BATCH);
    let mut clock_ms = i64::MIN;
    let mut last_expire_s = i64::MIN;
    loop {
        let next = rec.next_observation()?;
        if let Some(obs) = next.as_ref() {
            // The merged clock never runs backwards, even if a file does.
            clock_ms = clock_ms.max(obs.at_ms);
            summary.first_ms.get_or_insert(obs.at_ms);
            summary.observations += 1;
        }
        let end = next.is_none();
        batch.extend(next);
        if batch.len() >= REPLAY_BATCH || (end && !batch.is_empty()) {
            let mut changes = picture.apply_batch(&batch, clock_ms);
            batch.clear();
            if clock_ms / 1000 != last_expire_s {
                last_expire_s = clock_ms / 1000;
                changes.removed.extend(picture.expire(clock_ms));
            }
            observe(clock_ms, &picture, &changes);
        }
        if end {
            break;
        }
    }
    summary.last_ms = (clock_ms != i64::MIN).then_some(clock_ms);
    summary.counters = rec.counters();
    Ok((picture, summary))
}

/// Replays `files` through the picture, the detectors and the alert book;
/// returns every alert in its final state, by id. Deterministic. The
/// baseline is used as it is (not learned from the recording), so a replay
/// answers "what would the service have raised with this baseline".
pub fn replay_alerts(
    files: &[PathBuf],
    config: &Config,
    baseline: Option<&crate::baseline::Baseline>,
) -> Result<(Vec<crate::alert::Alert>, ReplaySummary), Error> {
    let mut stage = crate::alert::AlertStage::new(config.score.clone(), config.alerts.clone(), baseline.cloned(), false);
    let (_, summary) = replay(files, config, |now, pic, changes| {
        stage.step(now, pic, changes);
    })?;
    let mut alerts: Vec<crate::alert::Alert> = stage.book().alerts().cloned().collect();
    alerts.sort_by_key(|a| a.alert_id);
    Ok((alerts, summary))
}
