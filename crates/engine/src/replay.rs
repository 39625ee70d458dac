//! Deterministic replay: recorded `.nmea` (AIS and radar sentences) and
//! `.jsonl` (detection events) files merged by time and run through the
//! [`Engine`] as fast as possible, on the recording's own clock, in batches
//! of [`REPLAY_BATCH`] as the live file source sends them. Same files in,
//! same picture and alerts out, every time.

use std::path::PathBuf;
use std::sync::Arc;

use lookout_ais::{LineSettings, Observation, RadarConfig, ReadCounters, Recording, RecordingError};
use lookout_alert::Alert;
use lookout_score::Baseline;

use crate::{Engine, EngineConfig, Step};

/// Observations are applied in batches of this many, as the live file
/// source sends them (`lookout-server`'s `BATCH_MAX`).
pub const REPLAY_BATCH: usize = 512;

/// What a replay read.
#[derive(Debug, Clone, Default)]
pub struct ReplaySummary {
    pub observations: u64,
    pub counters: ReadCounters,
    /// First and last observation time, ms since epoch.
    pub first_ms: Option<i64>,
    pub last_ms: Option<i64>,
}

/// Replays `files` (radar sentences from `radars`) through `engine`.
/// `observe` is called after every batch with the engine and what the batch
/// changed (recording time `now_ms`), for evaluation and outputs.
pub fn replay(
    files: &[PathBuf],
    radars: &[RadarConfig],
    engine: &mut Engine,
    mut observe: impl FnMut(i64, &Engine, &Step),
) -> Result<ReplaySummary, RecordingError> {
    let settings = Arc::new(LineSettings::new(radars, 0));
    let mut rec = Recording::open(files, 0, settings)?;
    let mut summary = ReplaySummary::default();
    let mut batch: Vec<Observation> = Vec::with_capacity(REPLAY_BATCH);
    let mut clock_ms = i64::MIN;
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
            let step = engine.apply(&batch, clock_ms);
            batch.clear();
            observe(clock_ms, engine, &step);
        }
        if end {
            break;
        }
    }
    summary.last_ms = (clock_ms != i64::MIN).then_some(clock_ms);
    summary.counters = rec.counters();
    Ok(summary)
}

/// Replays `files` through a fresh engine; returns every alert in its final
/// state, by id. Deterministic. The baseline is used as it is (not learned
/// from the recording), so a replay answers "what would the service have
/// raised with this baseline".
pub fn replay_alerts(
    files: &[PathBuf],
    radars: &[RadarConfig],
    config: &EngineConfig,
    baseline: Option<&Baseline>,
) -> Result<(Vec<Alert>, ReplaySummary), RecordingError> {
    let mut engine = Engine::new(EngineConfig { learn: false, ..config.clone() }, baseline.cloned());
    let summary = replay(files, radars, &mut engine, |_, _, _| {})?;
    let mut alerts: Vec<Alert> = engine.book().alerts().cloned().collect();
    alerts.sort_by_key(|a| a.alert_id);
    Ok((alerts, summary))
}
