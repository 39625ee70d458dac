//! The engine: one synchronous, I/O-free state machine holding the picture
//! (with its tracker), the detectors, the alert book and the baseline.
//!
//! The live pipeline, `lookout replay` and recovery all drive this one type
//! with [`Engine::apply`] (a batch of observations at a time) and
//! [`Engine::tick`] (time passing), so they cannot drift apart: the same
//! observations in the same batches at the same times give the same picture
//! and the same alerts, byte for byte. The engine owns no clock, no lock and
//! no I/O; its drivers pass `now_ms` in and publish what it returns.

pub mod replay;
mod rescue;

use lookout_ais::Observation;
use lookout_alert::{AlertBook, AlertChange, AlertPolicy};
use lookout_picture::{Changes, Picture, PictureConfig, RemovalReason};
use lookout_score::{Baseline, ScoreConfig, Scorer};
use lookout_track::TrackerConfig;

pub use replay::{replay, replay_alerts, ReplaySummary};

/// How often the time-driven detectors (AIS gaps) run, ms of the engine's clock.
pub const SCORE_TICK_MS: i64 = 10_000;
/// How often vessels not heard for `vessel_max_age` are removed, ms of the
/// engine's clock: whenever the clock enters a new second.
pub const EXPIRE_EVERY_MS: i64 = 1000;

/// The engine's settings: one section per stage.
#[derive(Debug, Clone, Default)]
pub struct EngineConfig {
    pub picture: PictureConfig,
    pub tracker: TrackerConfig,
    pub score: ScoreConfig,
    pub alerts: AlertPolicy,
    /// Update the baseline from live AIS traffic (capped; see `Baseline::learn`).
    pub learn: bool,
}

/// What one call changed: the picture's changes (for track consoles) and
/// the alert changes in book order (for alert consoles and the journal).
#[derive(Debug, Default)]
pub struct Step {
    pub changes: Changes,
    pub alerts: Vec<AlertChange>,
}

/// Picture, tracker, detectors, alert book and baseline.
pub struct Engine {
    picture: Picture,
    scoring: Scoring,
    /// The clock's second at the last expiry (`now_ms / EXPIRE_EVERY_MS`).
    last_expire: i64,
    /// The newest `now_ms` the engine was driven with.
    last_now_ms: i64,
    /// Observations applied since the engine was made.
    applied: u64,
}

impl Engine {
    pub fn new(cfg: EngineConfig, baseline: Option<Baseline>) -> Self {
        let gate = cfg.tracker.gate_probability;
        Self {
            picture: Picture::with_tracker(&cfg.picture, cfg.tracker),
            scoring: Scoring::new(cfg.score, cfg.alerts, baseline, cfg.learn).with_tracker_gate(gate),
            last_expire: i64::MIN,
            last_now_ms: i64::MIN,
            applied: 0,
        }
    }

    /// Applies a batch of observations (AIS reports and detections) at
    /// `now_ms`, expires what has not been heard when the clock enters a new
    /// second, scores what changed and updates the alert book.
    pub fn apply(&mut self, batch: &[Observation], now_ms: i64) -> Step {
        self.applied += batch.len() as u64;
        let mut changes = self.picture.apply_batch(batch, now_ms);
        self.expire(now_ms, &mut changes);
        self.score(now_ms, changes)
    }

    /// Lets time pass with no input: expiry, closing alerts, AIS gaps. A
    /// call at a time the engine has already been driven at does nothing,
    /// so a driver may tick as often as it likes.
    pub fn tick(&mut self, now_ms: i64) -> Step {
        if now_ms <= self.last_now_ms {
            return Step::default();
        }
        let mut changes = self.picture.release_due(now_ms);
        self.expire(now_ms, &mut changes);
        self.score(now_ms, changes)
    }

    fn expire(&mut self, now_ms: i64, changes: &mut Changes) {
        let second = now_ms.div_euclid(EXPIRE_EVERY_MS);
        if second != self.last_expire {
            self.last_expire = second;
            changes.removed.extend(self.picture.expire(now_ms));
        }
    }

    fn score(&mut self, now_ms: i64, changes: Changes) -> Step {
        self.last_now_ms = self.last_now_ms.max(now_ms);
        let alerts = self.scoring.step(now_ms, &self.picture, &changes);
        Step { changes, alerts }
    }

    /// Records an operator's acknowledgement (a new version of the alert); with
    /// `close`, the operator also ends the incident.
    pub fn acknowledge(
        &mut self,
        alert_id: u64,
        by: &str,
        note: &str,
        close: bool,
        now_ms: i64,
    ) -> Option<AlertChange> {
        self.scoring.book.acknowledge(alert_id, by, note, close, now_ms)
    }

    /// Puts new detector thresholds, zones and alert policy in force from the
    /// next batch on, keeping the picture, the detectors' memory and the alerts
    /// (a configuration reload). The live pipeline archives the reload and
    /// recovery makes it again at the same point, so both stay in step.
    pub fn reconfigure(&mut self, score: ScoreConfig, alerts: AlertPolicy) {
        self.scoring.scorer.set_config(score);
        self.scoring.book.set_policy(alerts);
    }

    /// The detector thresholds and zones in force.
    pub fn score_config(&self) -> &ScoreConfig {
        self.scoring.scorer.config()
    }

    /// The alert policy in force.
    pub fn alert_policy(&self) -> &AlertPolicy {
        self.scoring.book.policy()
    }

    /// Observations (AIS messages and detections) applied since the engine was made.
    pub fn observations_applied(&self) -> u64 {
        self.applied
    }

    pub fn picture(&self) -> &Picture {
        &self.picture
    }

    pub fn book(&self) -> &AlertBook {
        &self.scoring.book
    }

    pub fn baseline(&self) -> Option<&Baseline> {
        self.scoring.baseline.as_ref()
    }
}

/// The scoring-and-alerting half of the engine: detectors, alert book and
/// baseline, stepped with what a batch changed in the picture. Public so
/// benchmarks can time it apart from the picture.
#[derive(Debug)]
pub struct Scoring {
    scorer: Scorer,
    book: AlertBook,
    baseline: Option<Baseline>,
    /// Update the baseline from live AIS traffic (capped; see `Baseline::learn`).
    learn: bool,
    next_tick_ms: i64,
    /// What the book needs of the picture's tracks: one boat on two tracks,
    /// a radar-only track inside a lost contact's datum.
    rescue: rescue::Rescue,
}

impl Scoring {
    pub fn new(score: ScoreConfig, policy: AlertPolicy, baseline: Option<Baseline>, learn: bool) -> Self {
        let gate = TrackerConfig::default().gate_probability;
        Self {
            scorer: Scorer::new(score),
            book: AlertBook::new(policy),
            baseline,
            learn,
            next_tick_ms: i64::MIN,
            rescue: rescue::Rescue::new(lookout_track::gate::chi2_2dof_threshold(gate)),
        }
    }

    /// Judges two tracks one boat within the tracker's gate of probability
    /// `gate_probability` (`[tracker] gate_probability`), not the default one.
    pub fn with_tracker_gate(mut self, gate_probability: f64) -> Self {
        self.rescue = rescue::Rescue::new(lookout_track::gate::chi2_2dof_threshold(gate_probability));
        self
    }

    /// Scores what a batch changed (and, every [`SCORE_TICK_MS`], the
    /// silences), applies the findings to the book and returns the changes
    /// it made, in book order. Distress findings are applied first, so a
    /// rescue alert gets the lower sequence number and reaches consoles first.
    /// Call with empty `changes` as time passes, so alerts close and gaps
    /// are found when nothing arrives.
    pub fn step(&mut self, now_ms: i64, pic: &Picture, changes: &Changes) -> Vec<AlertChange> {
        let mut out = Vec::new();
        for (kind, subject, reason) in self.scorer.retractions(changes) {
            out.extend(self.book.retract(kind, &subject, &reason, now_ms));
        }
        let mut findings = self.scorer.observe(pic, changes, self.baseline.as_ref(), now_ms);
        if now_ms >= self.next_tick_ms {
            self.next_tick_ms = now_ms.saturating_add(SCORE_TICK_MS);
            findings.extend(self.scorer.tick(pic, self.baseline.as_ref(), now_ms));
        }
        // Stable: detectors' own order is kept within each group.
        findings.sort_by_key(|f| !f.kind.is_distress());
        // A second rescue alert within the gate of an open one waits while the
        // judge decides whether its track is that boat.
        out.extend(self.rescue.screen(&mut findings, pic, &mut self.book, now_ms));
        for f in findings {
            out.extend(self.book.observe(f));
        }
        // A rescue alert whose track left the picture loses contact now, not when
        // its silence runs out (after the findings: a new track of the same boat
        // in this batch can take the alert over).
        for r in &changes.removed {
            let why = match r.reason {
                RemovalReason::TrackDeleted => "track deleted: no detection for several revisits",
                RemovalReason::AgedOut => "not heard for the picture's maximum age",
                RemovalReason::Merged => "track merged into an AIS vessel",
            };
            out.extend(self.book.track_gone(r.track_id, why, now_ms));
        }
        out.extend(self.book.tick(now_ms));
        // After the tick: a contact lost this step can be regained by a track
        // already inside its datum.
        out.extend(self.rescue.step(pic, &mut self.book, now_ms));
        if self.learn {
            if let Some(b) = self.baseline.as_mut() {
                // Only AIS vessels teach the baseline: dark tracks are what it
                // is meant to make stand out.
                for v in changes.changed.iter().filter_map(|k| pic.get_entity(*k)) {
                    if v.mmsi != 0 && v.fix.is_some() {
                        b.learn(&lookout_score::detectors::obs(v));
                    }
                }
            }
        }
        out
    }

    pub fn book(&self) -> &AlertBook {
        &self.book
    }

    pub fn baseline(&self) -> Option<&Baseline> {
        self.baseline.as_ref()
    }
}
