//! Deleter (Stone Soup's `UpdateTimeStepsDeleter`, with the step measured in
//! each sensor's own revisit period) and the online revisit-period estimate.
//!
//! A track unseen for `delete_after_revisits` × its sensors' revisit period is
//! deleted; the period used is the longest among the sensors that have seen
//! the track (a boat seen by a 3 s radar and a drone that looks every 20 s is
//! kept as long as the drone might still come back), and the timeout is
//! clamped to `[delete_min_ms, delete_max_ms]`. Tentative tracks use
//! `tentative_delete_after_revisits` and `[tentative_delete_min_ms, delete_max_ms]`.
//!
//! Revisit period per sensor: the median of the last [`REVISIT_WINDOW`]
//! re-detection intervals, i.e. the time between two consecutive hits of the
//! same confirmed track by that sensor (a tentative track in clutter is hit at
//! random intervals). Not the interval between the sensor's scans: a
//! radar reports each sector of its rotation as its own scan (one batch every
//! 150 ms for a 3 s rotation in 20 sectors), and a drone's look covers one boat,
//! so scan spacing says nothing about how often a given boat is seen. The median
//! shrugs off missed detections (an interval of two periods now and then) and a
//! sensor that was off for an hour. `default_revisit_ms` until the first
//! interval is known.

use std::collections::VecDeque;

use super::{Track, TrackStatus, TrackerConfig};

/// Intervals kept per sensor for the median.
pub const REVISIT_WINDOW: usize = 9;

/// Online estimate of one sensor's revisit period.
#[derive(Debug, Clone, Default)]
pub struct RevisitEstimator {
    intervals: VecDeque<i64>,
    median_ms: Option<i64>,
}

impl RevisitEstimator {
    /// Records one re-detection interval (ignored unless > 0).
    pub fn observe_interval(&mut self, dt_ms: i64) {
        if dt_ms <= 0 {
            return;
        }
        if self.intervals.len() == REVISIT_WINDOW {
            self.intervals.pop_front();
        }
        self.intervals.push_back(dt_ms);
        let mut v: Vec<i64> = self.intervals.iter().copied().collect();
        v.sort_unstable();
        self.median_ms = Some(v[v.len() / 2]);
    }

    pub fn revisit_ms(&self, default_ms: i64) -> i64 {
        self.median_ms.unwrap_or(default_ms)
    }
}

/// How long a track may go unseen.
pub trait Deleter: Send + Sync {
    /// `revisit_ms`: the longest revisit period among the track's sensors.
    fn timeout_ms(&self, track: &Track, revisit_ms: i64) -> i64;
    /// A lower bound of `timeout_ms` over all tracks (lets expiry skip fresh tracks).
    fn min_timeout_ms(&self) -> i64;
}

/// Timeout = factor × revisit period, clamped.
#[derive(Debug, Clone, Copy)]
pub struct RevisitDeleter {
    pub confirmed_factor: f64,
    pub tentative_factor: f64,
    pub min_ms: i64,
    pub tentative_min_ms: i64,
    pub max_ms: i64,
}

impl RevisitDeleter {
    pub fn from_config(c: &TrackerConfig) -> Self {
        Self {
            confirmed_factor: c.delete_after_revisits,
            tentative_factor: c.tentative_delete_after_revisits,
            min_ms: c.delete_min_ms,
            tentative_min_ms: c.tentative_delete_min_ms,
            max_ms: c.delete_max_ms.max(c.delete_min_ms),
        }
    }
}

impl Deleter for RevisitDeleter {
    fn timeout_ms(&self, track: &Track, revisit_ms: i64) -> i64 {
        match track.status {
            TrackStatus::Confirmed => {
                ((self.confirmed_factor * revisit_ms as f64) as i64).clamp(self.min_ms, self.max_ms)
            }
            TrackStatus::Tentative => ((self.tentative_factor * revisit_ms as f64) as i64)
                .clamp(self.tentative_min_ms.min(self.max_ms), self.max_ms),
        }
    }

    fn min_timeout_ms(&self) -> i64 {
        self.min_ms.min(self.tentative_min_ms).min(self.max_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisit_is_the_median_interval() {
        let mut r = RevisitEstimator::default();
        assert_eq!(r.revisit_ms(3000), 3000);
        for dt in [2500, 2500, 2500, 3_600_000, 2500] {
            r.observe_interval(dt);
        }
        assert_eq!(r.revisit_ms(3000), 2500);
    }
}
