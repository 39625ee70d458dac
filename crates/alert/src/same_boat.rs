//! One boat on two tracks: whether two live non-AIS tracks are the same boat,
//! judged on the evidence a tracker would use, so that two rescue alerts on
//! them merge into one (and a second one is not raised).
//!
//! The tracker starts a second track on a boat when one of its detections
//! falls outside the first track's gate (a noisy velocity carried the
//! prediction away); the first track then coasts, taking no detection, until
//! it is deleted. Two tracks are judged one boat only when, for
//! [`SAME_BOAT_AFTER_MS`] and at least [`SAME_BOAT_MIN_LOOKS`] fresh
//! detections of either:
//! - their positions predicted to now lie within the tracker's gate of each
//!   other (squared Mahalanobis distance on the sum of both covariances, as
//!   track-to-track association tests it),
//! - they move alike (velocities within three sigma, and at least
//!   [`MOTION_FLOOR_KN`]),
//! - and no sensor ever saw them apart: one sensor giving each a detection of
//!   its own in one scan shows two boats, whatever else agrees.
//!
//! It is kept conservative on purpose: two real boats travelling together
//! are seen apart by the radar that sees both, and merging two boats' alerts
//! would lose one boat; a duplicate alert only costs a coordinator a look.

use std::collections::BTreeMap;

use lookout_core::geodesy::{distance_m, LatLon};

use crate::Motion;

/// How long two tracks must stay together before they are judged one boat, ms:
/// a minute of radar scans and at least one drone look.
pub const SAME_BOAT_AFTER_MS: i64 = 60_000;
/// …and how many fresh detections (of either track) that evidence must span.
pub const SAME_BOAT_MIN_LOOKS: u32 = 3;
/// Two updates of the tracks by one sensor closer in time than this are one
/// scan (a rotating radar sweeps two boats a few hundred metres apart within
/// milliseconds; no coastal radar turns in under a second), ms.
pub const SAME_SCAN_MS: i64 = 1_000;
/// Velocities closer than this always count as alike, knots: a fresh track's
/// velocity is noisy, and its stated sigma can be optimistic.
pub const MOTION_FLOOR_KN: f64 = 2.0;

/// What the judge needs to know of one track, as of now.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackLook {
    pub track_id: u64,
    /// Position predicted to now, degrees.
    pub pos: LatLon,
    /// One-sigma position uncertainty at now, metres.
    pub sigma_m: f64,
    /// Course and speed over ground, when the track has a velocity.
    pub motion: Option<Motion>,
    /// One-sigma speed uncertainty, knots.
    pub speed_sigma_kn: f64,
    /// Each sensor that updated the track, with the time of its latest
    /// detection of it, ms since the Unix epoch.
    pub sensors: Vec<(String, i64)>,
    /// An AIS vessel (its identity is the tracker's business, not this judge's).
    pub ais: bool,
}

impl TrackLook {
    /// The time of the newest detection of the track, ms.
    fn newest_ms(&self) -> i64 {
        self.sensors.iter().map(|s| s.1).max().unwrap_or(i64::MIN)
    }
}

/// What the judge made of a pair.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// One boat; the evidence, in words, for the alert.
    Same(String),
    /// Two boats for certain: a sensor saw them apart (the reason).
    Apart(String),
    /// Not (yet) enough evidence either way.
    Undecided,
}

#[derive(Debug, Clone, Default)]
struct Pair {
    /// Since when every check passed, ms.
    together_since_ms: Option<i64>,
    /// Fresh detections (of either track) since then.
    looks: u32,
    /// The newest detection time of each track at the last check.
    last_newest: (i64, i64),
    /// Largest distance and gate distance seen while together, for the evidence.
    worst_m: f64,
    worst_d2: f64,
    /// Seen apart by one sensor: never one boat.
    apart: Option<String>,
}

/// Evidence gathered over time about pairs of tracks.
#[derive(Debug, Clone)]
pub struct SameBoatJudge {
    /// The tracker's gate on the squared Mahalanobis distance (χ²₂).
    gate_d2: f64,
    pairs: BTreeMap<(u64, u64), Pair>,
}

impl SameBoatJudge {
    /// A judge using the tracker's gate `gate_d2` (χ²₂ threshold of its gate probability).
    pub fn new(gate_d2: f64) -> Self {
        Self { gate_d2, pairs: BTreeMap::new() }
    }

    /// Whether `a` and `b` lie within the tracker's gate of each other now
    /// (the squared Mahalanobis distance, if so).
    pub fn within_gate(&self, a: &TrackLook, b: &TrackLook) -> Option<f64> {
        let d = distance_m(a.pos, b.pos);
        // Both positions uncertain: the covariance of the difference is the sum
        // (taken circular with each track's major axis, the wider, safe side).
        let s2 = (a.sigma_m * a.sigma_m + b.sigma_m * b.sigma_m).max(1.0);
        let d2 = d * d / s2;
        (d2 <= self.gate_d2).then_some(d2)
    }

    /// Adds what `a` and `b` show now to the pair's evidence and returns the verdict.
    pub fn judge(&mut self, a: &TrackLook, b: &TrackLook, now_ms: i64) -> Verdict {
        let (a, b) = if a.track_id <= b.track_id { (a, b) } else { (b, a) };
        let gate = self.within_gate(a, b);
        let p = self.pairs.entry((a.track_id, b.track_id)).or_default();
        if let Some(why) = &p.apart {
            return Verdict::Apart(why.clone());
        }
        if a.ais || b.ais {
            let why = "an AIS vessel: the tracker merges a track into it, not the alert book".to_string();
            p.apart = Some(why.clone());
            return Verdict::Apart(why);
        }
        for (sensor, ta) in &a.sensors {
            if let Some((_, tb)) = b.sensors.iter().find(|(s, _)| s == sensor) {
                if (ta - tb).abs() < SAME_SCAN_MS {
                    let why = format!("{sensor} saw tracks {} and {} apart in one scan", a.track_id, b.track_id);
                    p.apart = Some(why.clone());
                    return Verdict::Apart(why);
                }
            }
        }
        let alike = match (a.motion, b.motion) {
            (Some(ma), Some(mb)) => {
                let tol = MOTION_FLOOR_KN.max(3.0 * a.speed_sigma_kn.hypot(b.speed_sigma_kn));
                velocity_difference_kn(ma, mb) <= tol
            }
            // A track without a velocity yet says nothing against it.
            _ => true,
        };
        let Some(d2) = gate.filter(|_| alike) else {
            // Apart in place or in motion now: the streak starts again.
            *p = Pair::default();
            return Verdict::Undecided;
        };
        let newest = (a.newest_ms(), b.newest_ms());
        let since = match p.together_since_ms {
            Some(t) => {
                // Only detections made while together are evidence.
                p.looks += u32::from(newest.0 > p.last_newest.0) + u32::from(newest.1 > p.last_newest.1);
                t
            }
            None => *p.together_since_ms.insert(now_ms),
        };
        p.last_newest = newest;
        p.worst_m = p.worst_m.max(distance_m(a.pos, b.pos));
        p.worst_d2 = p.worst_d2.max(d2);
        if now_ms - since >= SAME_BOAT_AFTER_MS && p.looks >= SAME_BOAT_MIN_LOOKS {
            return Verdict::Same(format!(
                "tracks {} and {} within the tracker's gate of each other for {} s (at most {:.0} m, \
                 Mahalanobis² {:.1} of {:.1}) over {} detections, moving alike, never seen apart by one sensor",
                a.track_id,
                b.track_id,
                (now_ms - since) / 1000,
                p.worst_m,
                p.worst_d2,
                self.gate_d2,
                p.looks
            ));
        }
        Verdict::Undecided
    }

    /// Forgets every pair with a track not in `live` (deleted tracks).
    pub fn retain_tracks(&mut self, live: impl Fn(u64) -> bool) {
        self.pairs.retain(|&(a, b), _| live(a) && live(b));
    }
}

/// Magnitude of the difference of two velocities, knots.
pub fn velocity_difference_kn(a: Motion, b: Motion) -> f64 {
    let (ae, an) = east_north(a);
    let (be, bn) = east_north(b);
    (ae - be).hypot(an - bn)
}

/// A course and speed as (east, north) knots.
pub fn east_north(m: Motion) -> (f64, f64) {
    let r = m.cog_deg.to_radians();
    (m.sog_kn * r.sin(), m.sog_kn * r.cos())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lookout_core::geodesy::dead_reckon;

    const T0: i64 = 1_780_272_000_000;
    /// χ²₂ at the tracker's default 0.99 gate.
    const GATE: f64 = 9.21;

    fn look(id: u64, pos: LatLon, sigma_m: f64, sog_kn: f64, sensors: &[(&str, i64)]) -> TrackLook {
        TrackLook {
            track_id: id,
            pos,
            sigma_m,
            motion: Some(Motion { cog_deg: 90.0, sog_kn }),
            speed_sigma_kn: 0.5,
            sensors: sensors.iter().map(|(s, t)| (s.to_string(), *t)).collect(),
            ais: false,
        }
    }

    /// The fragmented boat: track 1 lost the boat and coasts (no detection,
    /// its uncertainty growing) while track 2 takes every radar scan and drone look,
    /// the two a few tens of metres apart. One boat after a minute, not before.
    #[test]
    fn a_fragmented_boat_is_judged_one_boat_after_a_minute_of_evidence() {
        let mut j = SameBoatJudge::new(GATE);
        let boat = |s: i64| dead_reckon(LatLon::new(34.9688, 12.4142), 90.0, 1.3, s as f64);
        let last_a = T0; // track 1's last detection
        let mut verdicts = Vec::new();
        for s in (4..=72).step_by(4) {
            let t = T0 + s * 1000;
            // Coasting: 40 m off the boat, sigma growing from 60 m.
            let a = look(
                1,
                dead_reckon(boat(s), 0.0, 0.0216, 3600.0),
                60.0 + s as f64,
                1.6,
                &[("radar-lampedusa", last_a)],
            );
            let b = look(2, boat(s), 40.0, 1.3, &[("radar-lampedusa", t), ("drone-1", T0 + 2_000)]);
            verdicts.push((s, j.judge(&a, &b, t)));
        }
        let first_same = verdicts.iter().find(|(_, v)| matches!(v, Verdict::Same(_))).expect("judged one boat");
        assert!(first_same.0 >= 60 + 4, "not before a minute of evidence: {first_same:?}");
        let Verdict::Same(why) = &first_same.1 else { unreachable!() };
        assert!(why.contains("never seen apart"), "{why}");
        assert!(verdicts.iter().all(|(_, v)| !matches!(v, Verdict::Apart(_))));
    }

    /// Two real boats travelling together 150 m apart: the radar gives each its own
    /// detection in the same scan, so they are never one boat, however long together.
    #[test]
    fn two_boats_close_together_seen_in_one_scan_are_never_merged() {
        let mut j = SameBoatJudge::new(GATE);
        let p = LatLon::new(35.0, 12.5);
        for s in (4..=600).step_by(4) {
            let t = T0 + s * 1000;
            let a = look(1, dead_reckon(p, 90.0, 4.0, s as f64), 80.0, 4.0, &[("radar-lampedusa", t)]);
            let b = look(
                2,
                dead_reckon(dead_reckon(p, 0.0, 0.081, 3600.0), 90.0, 4.0, s as f64),
                80.0,
                4.0,
                &[("radar-lampedusa", t + 12)],
            );
            assert!(matches!(j.judge(&a, &b, t), Verdict::Apart(ref w) if w.contains("apart in one scan")), "at {s} s");
        }
    }

    /// Two boats crossing (one east, one north) pass within the gate but never move
    /// alike; a pair that drifts out of the gate starts its evidence again; an AIS
    /// vessel is never judged by the alert book.
    #[test]
    fn boats_crossing_or_separating_or_on_ais_are_not_merged() {
        let mut j = SameBoatJudge::new(GATE);
        let p = LatLon::new(35.0, 12.5);
        for s in (4..=120).step_by(4) {
            let t = T0 + s * 1000;
            let a = look(1, p, 100.0, 5.0, &[("radar-malta", t)]);
            let b = TrackLook {
                motion: Some(Motion { cog_deg: 0.0, sog_kn: 5.0 }),
                ..look(2, p, 100.0, 5.0, &[("drone-1", t)])
            };
            assert_eq!(j.judge(&a, &b, t), Verdict::Undecided, "at {s} s");
        }
        // Together 50 s, apart once (1.5 km), together again: the minute restarts.
        let mut j = SameBoatJudge::new(GATE);
        let far = dead_reckon(p, 0.0, 0.81, 3600.0);
        let at = |s: i64, q: LatLon| {
            let t = T0 + s * 1000;
            (look(1, p, 100.0, 1.0, &[("radar-malta", T0)]), look(2, q, 100.0, 1.0, &[("drone-1", t)]), t)
        };
        for (s, q) in [(0, p), (20, p), (40, p), (50, p), (54, far), (70, p), (90, p), (110, p)] {
            let (a, b, t) = at(s, q);
            assert_eq!(j.judge(&a, &b, t), Verdict::Undecided, "at {s} s");
        }
        let (a, b, t) = at(130, p);
        assert!(matches!(j.judge(&a, &b, t), Verdict::Same(_)), "a minute together since 70 s");
        let (a, mut b, t) = at(0, p);
        b.ais = true;
        assert!(matches!(SameBoatJudge::new(GATE).judge(&a, &b, t), Verdict::Apart(_)));
    }

    #[test]
    fn velocity_difference_is_the_vector_difference() {
        let e = Motion { cog_deg: 90.0, sog_kn: 3.0 };
        let n = Motion { cog_deg: 0.0, sog_kn: 4.0 };
        assert!((velocity_difference_kn(e, n) - 5.0).abs() < 1e-9);
        assert!(velocity_difference_kn(e, e).abs() < 1e-9);
    }
}
