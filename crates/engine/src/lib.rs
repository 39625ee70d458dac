//! The scoring-and-alerting stage as one synchronous, I/O-free step, shared
//! by the live pipeline and `lookout replay` so both raise the same alerts
//! from the same picture changes.

use crate::baseline::Baseline;
use crate::picture::{Changes, Picture};
use crate::score::{ScoreConfig, Scorer};

use super::{AlertBook, AlertChange, AlertPolicy};

/// How often the time-driven detectors (AIS gaps) run, ms of the stage's clock.
pub const SCORE_TICK_MS: i64 = 10_000;

/// Detectors, alert book and baseline.
#[derive(Debug)]
pub struct AlertStage {
    scorer: Scorer,
    book: AlertBook,
    baseline: Option<Baseline>,
    /// Update the baseline from live AIS traffic (capped; see `Baseline::learn`).
    learn: bool,
    next_tick_ms: i64,
}

impl AlertStage {
    pub fn new(score: ScoreConfig, policy: AlertPolicy, baseline: Option<Baseline>, learn: bool) -> Self {
        Self { scorer: Scorer::new(score), book: AlertBook::new(policy), baseline, learn, next_tick_ms: i64::MIN }
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
        for f in findings {
            out.extend(self.book.observe(f));
        }
        out.extend(self.book.tick(now_ms));
        if self.learn {
            if let Some(b) = self.baseline.as_mut() {
                // Only AIS vessels teach the baseline: dark tracks are what it
                // is meant to make stand out.
                for v in changes.changed.iter().filter_map(|k| pic.get_entity(*k)) {
                    if v.mmsi != 0 && v.fix.is_some() {
                        b.learn(&crate::score::obs(v));
                    }
                }
            }
        }
        out
    }

    pub fn book(&self) -> &AlertBook {
        &self.book
    }

    /// For operator actions (acknowledgements).
    pub fn book_mut(&mut self) -> &mut AlertBook {
        &mut self.book
    }

    pub fn baseline(&self) -> Option<&Baseline> {
        self.baseline.as_ref()
    }
}
