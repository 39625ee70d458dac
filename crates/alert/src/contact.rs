//! Lost contact: a rescue alert whose boat no sensor sees any more is not
//! over. It carries the last known position and a datum that grows with the
//! time since: the position dead-reckoned from the last course and speed, and
//! a search radius after the IAMSAR Manual (Vol. II, ch. 4): the total
//! probable error `E = √(X² + D²)` of the initial position error `X` and the
//! drift error `D`, times a safety factor. `D` here is 30 % of the distance
//! dead-reckoned plus an unmodelled drift at a fixed rate over the time
//! elapsed. Wind and current are modelled only when configured
//! ([`DatumPolicy`]'s current and leeway): they then carry the datum of a boat
//! whose own motion was never observed.

use std::collections::VecDeque;

use lookout_core::geodesy::{dead_reckon, inverse, norm_deg, LatLon, M_PER_NM};

use crate::Motion;

/// A trail keeps at most one sighting per this interval, ms.
const TRAIL_STEP_MS: i64 = 60_000;
/// …over this span before the newest, ms.
const TRAIL_SPAN_MS: i64 = 30 * 60_000;
/// The trail's mean motion is used once it spans this long, ms; before that, the
/// last reported course and speed.
const MEAN_MOTION_MIN_SPAN_MS: i64 = 5 * 60_000;

/// Recent sightings of a rescue alert's boat, one a minute at most over the last
/// half hour, across every track the alert has been on. A lost contact is
/// dead-reckoned with the boat's mean motion over them, because the velocity of
/// a fresh radar track is too noisy to steer a search by: in the bundled demo the
/// boat drifted east at 1.3 kn (the drone's looks agree) while its last track
/// read 3.6 kn north-east when it was lost.
#[derive(Debug, Clone, Default)]
pub(crate) struct Trail {
    points: VecDeque<(LatLon, i64)>,
}

impl Trail {
    pub(crate) fn push(&mut self, p: LatLon, time_ms: i64) {
        if self.points.back().is_none_or(|&(_, t)| time_ms - t >= TRAIL_STEP_MS) {
            self.points.push_back((p, time_ms));
        }
        while self.points.front().is_some_and(|&(_, t)| time_ms - t > TRAIL_SPAN_MS) {
            self.points.pop_front();
        }
    }

    /// Mean course and speed from the oldest sighting kept to `last` (the newest
    /// sighting), if they are far enough apart in time.
    pub(crate) fn mean_motion(&self, last: LatLon, last_ms: i64) -> Option<Motion> {
        let &(first, first_ms) = self.points.front()?;
        let span_ms = last_ms - first_ms;
        if span_ms < MEAN_MOTION_MIN_SPAN_MS {
            return None;
        }
        let inv = inverse(first, last);
        let sog_kn = inv.distance_m / M_PER_NM / (span_ms as f64 / 3_600_000.0);
        Some(Motion { cog_deg: norm_deg(inv.azimuth1_deg), sog_kn })
    }
}

/// How a datum grows (the `[alerts.datum]` config section).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatumPolicy {
    /// Error of a last position from radar or other sensors (no AIS), nautical miles.
    pub sensor_position_error_nm: f64,
    /// Error of a last position an AIS (GNSS) report gave, nautical miles.
    pub gnss_position_error_nm: f64,
    /// Error of the dead-reckoned distance, as a fraction of it (IAMSAR uses 0.3
    /// for drift); a boat in trouble may have stopped, or turned.
    pub dead_reckoning_error: f64,
    /// Drift nobody modelled (wind, current, leeway), knots: the radius grows by
    /// at least this much per hour even for a boat last seen stopped.
    pub unmodelled_drift_kn: f64,
    /// IAMSAR's safety factor on the total probable error.
    pub safety_factor: f64,
    /// Total water current: the direction it flows toward, degrees true.
    pub current_set_deg: f64,
    /// Total water current: its speed (IAMSAR's "drift"), knots. 0: not modelled.
    pub current_drift_kn: f64,
    /// Leeway (the wind's push on the boat): the direction it pushes toward,
    /// degrees true (downwind, give or take the boat's divergence).
    pub leeway_toward_deg: f64,
    /// Leeway speed, knots (IAMSAR tables: a loaded rubber boat drifts at a few
    /// percent of the wind speed). 0: not modelled.
    pub leeway_kn: f64,
}

impl Default for DatumPolicy {
    fn default() -> Self {
        Self {
            sensor_position_error_nm: 0.5,
            gnss_position_error_nm: 0.1,
            dead_reckoning_error: 0.3,
            unmodelled_drift_kn: 1.0,
            safety_factor: 1.1,
            current_set_deg: 0.0,
            current_drift_kn: 0.0,
            leeway_toward_deg: 0.0,
            leeway_kn: 0.0,
        }
    }
}

impl DatumPolicy {
    /// Every figure finite and not negative, the safety factor at least 1.
    pub fn validate(&self) -> Result<(), String> {
        let fields = [
            ("sensor_position_error_nm", self.sensor_position_error_nm),
            ("gnss_position_error_nm", self.gnss_position_error_nm),
            ("dead_reckoning_error", self.dead_reckoning_error),
            ("unmodelled_drift_kn", self.unmodelled_drift_kn),
            ("current_drift_kn", self.current_drift_kn),
            ("leeway_kn", self.leeway_kn),
        ];
        for (name, v) in fields {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!("alerts.datum.{name} must be a finite number >= 0, not {v}"));
            }
        }
        // A drift faster than any sea current plus leeway is a unit mistake (m/s
        // or km/h for knots, or a wind speed for a leeway), not a sea state.
        for (name, v) in [("current_drift_kn", self.current_drift_kn), ("leeway_kn", self.leeway_kn)] {
            if v > MAX_DRIFT_KN {
                return Err(format!("alerts.datum.{name} must be at most {MAX_DRIFT_KN} kn, not {v}"));
            }
        }
        for (name, v) in [("current_set_deg", self.current_set_deg), ("leeway_toward_deg", self.leeway_toward_deg)] {
            if !(v.is_finite() && (0.0..360.0).contains(&v)) {
                return Err(format!("alerts.datum.{name} must be in [0, 360) degrees, not {v}"));
            }
        }
        if !(self.safety_factor.is_finite() && self.safety_factor >= 1.0) {
            return Err(format!("alerts.datum.safety_factor must be >= 1, not {}", self.safety_factor));
        }
        Ok(())
    }

    /// The configured current and leeway summed into one drift over ground,
    /// `None` when neither is configured.
    pub fn drift(&self) -> Option<Motion> {
        if self.current_drift_kn == 0.0 && self.leeway_kn == 0.0 {
            return None;
        }
        // Sum as (east, north) vectors in knots.
        let vector = |toward_deg: f64, kn: f64| {
            let r = toward_deg.to_radians();
            (kn * r.sin(), kn * r.cos())
        };
        let (ce, cn) = vector(self.current_set_deg, self.current_drift_kn);
        let (le, ln) = vector(self.leeway_toward_deg, self.leeway_kn);
        let (e, n) = (ce + le, cn + ln);
        Some(Motion { cog_deg: norm_deg(e.atan2(n).to_degrees()), sog_kn: e.hypot(n) })
    }
}

/// The fastest current or leeway `[alerts.datum]` accepts, knots: stronger
/// than the Strait of Messina's tidal streams or a rubber boat's leeway in a gale.
pub const MAX_DRIFT_KN: f64 = 6.0;

/// What a rescue alert keeps while contact is lost: enough to compute its
/// datum at any time, so every console draws the same search area.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LostContact {
    /// Last known position, degrees.
    pub last_lat: f64,
    pub last_lon: f64,
    /// When a sensor last reported the boat, ms since the Unix epoch.
    pub last_seen_ms: i64,
    /// When the alert moved to CONTACT_LOST, ms since the Unix epoch.
    pub lost_at_ms: i64,
    /// Why: "track deleted", "no report for 120 s", …
    pub why: String,
    /// Last course and speed, when known (without them the datum stays at the
    /// last position, or moves with the configured drift, and the radius grows).
    pub motion: Option<Motion>,
    /// The configured current and leeway, when the boat's own motion was not
    /// observed: the datum drifts with it. `None` when `motion` is known (a
    /// course and speed over ground already carry the current, so adding it
    /// would count it twice) or no drift is configured.
    pub drift: Option<Motion>,
    /// Initial position error `X`, nautical miles.
    pub position_error_nm: f64,
    /// Fraction of the dead-reckoned distance counted as error.
    pub dead_reckoning_error: f64,
    /// Unmodelled drift, knots.
    pub unmodelled_drift_kn: f64,
    pub safety_factor: f64,
    /// The alert's explanation while it was in contact (kept in the new one).
    #[serde(skip)]
    pub was: String,
}

/// A datum: where to search, at one moment.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Datum {
    pub lat: f64,
    pub lon: f64,
    /// Search radius around it, nautical miles.
    pub radius_nm: f64,
    /// The moment it is for, ms since the Unix epoch.
    pub at_ms: i64,
}

impl LostContact {
    /// A lost contact from the last fix, with `policy`'s growth figures.
    pub fn new(
        last: LatLon,
        last_seen_ms: i64,
        motion: Option<Motion>,
        gnss: bool,
        lost_at_ms: i64,
        why: String,
        policy: &DatumPolicy,
    ) -> Self {
        Self {
            last_lat: last.lat_deg,
            last_lon: last.lon_deg,
            last_seen_ms,
            lost_at_ms,
            why,
            motion,
            drift: if motion.is_none() { policy.drift() } else { None },
            position_error_nm: if gnss { policy.gnss_position_error_nm } else { policy.sensor_position_error_nm },
            dead_reckoning_error: policy.dead_reckoning_error,
            unmodelled_drift_kn: policy.unmodelled_drift_kn,
            safety_factor: policy.safety_factor,
            was: String::new(),
        }
    }

    /// The alert's explanation with the datum as of `at_ms`: one sentence a
    /// coordinator can act on, rewritten each time the datum grows.
    pub fn explain(&self, at_ms: i64) -> String {
        let d = self.datum_at(at_ms);
        let mut s = format!(
            "CONTACT LOST ({}): last seen {} at {:.4}, {:.4}; search datum {:.4}, {:.4}, radius {:.1} nm as of {}, growing",
            self.why,
            lookout_core::time::rfc3339_ms(self.last_seen_ms),
            self.last_lat,
            self.last_lon,
            d.lat,
            d.lon,
            d.radius_nm,
            lookout_core::time::rfc3339_ms(at_ms),
        );
        if let Some(m) = self.drift {
            s.push_str(&format!(
                ", drifting {:.1} kn toward {:03.0} with the configured current and leeway",
                m.sog_kn, m.cog_deg
            ));
        }
        if !self.was.is_empty() {
            s.push_str(". Was: ");
            s.push_str(&self.was);
        }
        s
    }

    /// The datum at `at_ms` (never before the last sighting).
    pub fn datum_at(&self, at_ms: i64) -> Datum {
        let elapsed_s = (at_ms - self.last_seen_ms).max(0) as f64 / 1000.0;
        let hours = elapsed_s / 3600.0;
        let last = LatLon::new(self.last_lat, self.last_lon);
        // IAMSAR counts 30 % of a modelled drift as error too, as for dead reckoning.
        let (pos, dr_nm) = match self.motion.or(self.drift) {
            Some(m) => (dead_reckon(last, m.cog_deg, m.sog_kn, elapsed_s), m.sog_kn.max(0.0) * hours),
            None => (last, 0.0),
        };
        let drift_nm = self.dead_reckoning_error * dr_nm + self.unmodelled_drift_kn * hours;
        let e = self.position_error_nm.hypot(drift_nm);
        Datum { lat: pos.lat_deg, lon: pos.lon_deg, radius_nm: self.safety_factor * e, at_ms }
    }

    /// Whether `p` lies inside the datum at `at_ms`.
    pub fn contains(&self, p: LatLon, at_ms: i64) -> bool {
        self.distance_from_datum_nm(p, at_ms) <= self.datum_at(at_ms).radius_nm
    }

    /// Distance of `p` from the datum's centre at `at_ms`, nautical miles.
    pub fn distance_from_datum_nm(&self, p: LatLon, at_ms: i64) -> f64 {
        let d = self.datum_at(at_ms);
        lookout_core::geodesy::distance_m(LatLon::new(d.lat, d.lon), p) / M_PER_NM
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_780_272_000_000;

    fn lost(motion: Option<Motion>) -> LostContact {
        LostContact::new(LatLon::new(35.0, 12.5), T0, motion, false, T0, "test".into(), &DatumPolicy::default())
    }

    #[test]
    fn the_datum_starts_at_the_last_position_with_the_position_error() {
        let d = lost(None).datum_at(T0);
        assert_eq!((d.lat, d.lon), (35.0, 12.5));
        assert!((d.radius_nm - 0.55).abs() < 1e-9, "{d:?}"); // 1.1 × 0.5 nm
    }

    #[test]
    fn a_stopped_boat_s_radius_grows_with_the_unmodelled_drift_only() {
        let d = lost(Some(Motion { cog_deg: 90.0, sog_kn: 0.0 })).datum_at(T0 + 2 * 3_600_000);
        assert!((d.lat - 35.0).abs() < 1e-12 && (d.lon - 12.5).abs() < 1e-12);
        // √(0.5² + (1 kn × 2 h)²) × 1.1
        assert!((d.radius_nm - 1.1 * 0.5f64.hypot(2.0)).abs() < 1e-9, "{d:?}");
    }

    #[test]
    fn a_moving_boat_is_dead_reckoned_and_its_error_grows_with_the_distance() {
        let c = lost(Some(Motion { cog_deg: 0.0, sog_kn: 6.0 }));
        let d = c.datum_at(T0 + 3_600_000);
        let moved_nm = lookout_core::geodesy::distance_m(LatLon::new(35.0, 12.5), LatLon::new(d.lat, d.lon)) / M_PER_NM;
        assert!((moved_nm - 6.0).abs() < 0.01, "{moved_nm}");
        assert!(d.lat > 35.09 && (d.lon - 12.5).abs() < 1e-9, "due north: {d:?}");
        // √(0.5² + (0.3 × 6 + 1 × 1)²) × 1.1
        assert!((d.radius_nm - 1.1 * 0.5f64.hypot(0.3 * 6.0 + 1.0)).abs() < 1e-9, "{d:?}");
        // Containment follows the moving centre, not the last position.
        assert!(c.contains(LatLon::new(d.lat, d.lon), T0 + 3_600_000));
        assert!(!c.contains(LatLon::new(35.0, 12.5), T0 + 3_600_000));
        // Before the last sighting there is no shrinking below the position error.
        assert_eq!(c.datum_at(T0 - 60_000).radius_nm, c.datum_at(T0).radius_nm);
    }

    #[test]
    fn a_trail_gives_the_mean_drift_once_it_spans_five_minutes() {
        let mut trail = Trail::default();
        let start = LatLon::new(35.0, 12.5);
        // 1.2 kn due east, sighted every 20 s for 4 minutes: too short for a mean.
        let at = |s: i64| dead_reckon(start, 90.0, 1.2, s as f64);
        for s in (0..=240).step_by(20) {
            trail.push(at(s), T0 + s * 1000);
        }
        assert!(trail.mean_motion(at(240), T0 + 240_000).is_none());
        for s in (260..=600).step_by(20) {
            trail.push(at(s), T0 + s * 1000);
        }
        let m = trail.mean_motion(at(600), T0 + 600_000).unwrap();
        assert!((m.sog_kn - 1.2).abs() < 0.01 && (m.cog_deg - 90.0).abs() < 0.5, "{m:?}");
        // Only the last half hour counts: an hour later the trail starts 30 min back.
        for s in (620..=4200).step_by(20) {
            trail.push(at(s), T0 + s * 1000);
        }
        assert!(trail.points.front().unwrap().1 >= T0 + (4200 - 1800) * 1000);
        assert!(trail.points.len() <= 31, "one a minute: {}", trail.points.len());
    }

    /// A configured current and leeway carry the datum of a boat whose motion was
    /// never observed, as one summed drift; a boat seen moving keeps its own ground
    /// track (which already carries the current).
    #[test]
    fn a_configured_current_and_leeway_drift_a_datum_without_observed_motion() {
        let policy = DatumPolicy {
            current_set_deg: 90.0,
            current_drift_kn: 0.6,
            leeway_toward_deg: 0.0,
            leeway_kn: 0.8,
            ..Default::default()
        };
        assert!(policy.validate().is_ok());
        let drift = policy.drift().unwrap();
        // 0.6 kn east + 0.8 kn north = 1.0 kn toward 036.87°.
        assert!((drift.sog_kn - 1.0).abs() < 1e-9 && (drift.cog_deg - 36.869_897_6).abs() < 1e-6, "{drift:?}");
        let start = LatLon::new(35.0, 12.5);
        let c = LostContact::new(start, T0, None, false, T0, "test".into(), &policy);
        assert_eq!(c.drift, Some(drift));
        let d = c.datum_at(T0 + 2 * 3_600_000);
        let inv = inverse(start, LatLon::new(d.lat, d.lon));
        assert!((inv.distance_m / M_PER_NM - 2.0).abs() < 0.01, "two hours at 1 kn: {inv:?}");
        assert!((norm_deg(inv.azimuth1_deg) - 36.87).abs() < 0.1, "{inv:?}");
        // The drift's distance is dead-reckoned, so 30 % of it is error as well.
        assert!((d.radius_nm - 1.1 * 0.5f64.hypot(0.3 * 2.0 + 1.0 * 2.0)).abs() < 1e-6, "{d:?}");
        // Observed motion wins: no drift on top of it.
        let seen = Some(Motion { cog_deg: 180.0, sog_kn: 2.0 });
        let c = LostContact::new(start, T0, seen, false, T0, "test".into(), &policy);
        assert_eq!(c.drift, None);
        assert!(c.datum_at(T0 + 3_600_000).lat < 35.0, "still south, as seen");
        // Nothing configured: no drift, the datum stays put.
        assert_eq!(DatumPolicy::default().drift(), None);
        assert_eq!(lost(None).datum_at(T0 + 3_600_000).lat, 35.0);
    }

    #[test]
    fn bad_policies_are_refused_naming_the_field() {
        let p = DatumPolicy { current_drift_kn: 12.0, ..Default::default() };
        assert!(p.validate().unwrap_err().contains("current_drift_kn"));
        let p = DatumPolicy { leeway_kn: f64::NAN, ..Default::default() };
        assert!(p.validate().unwrap_err().contains("leeway_kn"));
        let p = DatumPolicy { leeway_toward_deg: 360.0, ..Default::default() };
        assert!(p.validate().unwrap_err().contains("leeway_toward_deg"));
        let p = DatumPolicy { current_set_deg: -10.0, ..Default::default() };
        assert!(p.validate().unwrap_err().contains("current_set_deg"));
        let p = DatumPolicy { unmodelled_drift_kn: -1.0, ..Default::default() };
        assert!(p.validate().unwrap_err().contains("unmodelled_drift_kn"));
        let p = DatumPolicy { safety_factor: 0.5, ..Default::default() };
        assert!(p.validate().unwrap_err().contains("safety_factor"));
        assert!(DatumPolicy::default().validate().is_ok());
    }
}
