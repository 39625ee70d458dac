//! `VesselsNear`: which vessels could reach a distress position, and how soon
//! (what the AMVER SURPIC gives a rescue coordination centre).

use super::vessel::Vessel;
use super::Picture;
use lookout_core::geodesy::{self, haversine_m, Cpa, LatLon, MOVING_MIN_KN, MS_PER_KN};
use lookout_core::ShipClass;

/// Dead reckoning never extrapolates faster than this (knots): a garbled SOG
/// of 102 kn must not fling a vessel across the map.
pub const DEAD_RECKON_MAX_KN: f64 = 60.0;

/// Relative error bound of the haversine pre-filter against the WGS84
/// geodesic (the true bound is about 0.5 %).
const HAVERSINE_REL_ERR: f64 = 0.006;
/// Absolute slack (metres) covering the flat dead-reckoning estimate used for
/// ranking before the exact geodesic computation.
const RANK_SLACK_M: f64 = 50.0;

/// Filters shared by the spatial queries.
#[derive(Debug, Clone, Default)]
pub struct VesselFilter {
    /// Empty: every class.
    pub classes: Vec<ShipClass>,
    /// 0: no limit. Vessels of unknown length fail a positive limit.
    pub min_length_m: f64,
    pub moving_only: bool,
    /// Only vessels whose last reported position is inside this polygon (the
    /// region an operator may see); `None`: anywhere. A vessel outside it does
    /// not exist for the query, so counts leave it out too.
    pub within: Option<std::sync::Arc<crate::area::BandedPolygon>>,
}

impl VesselFilter {
    pub fn accepts(&self, v: &Vessel) -> bool {
        if let Some(region) = &self.within {
            if !v.fix.is_some_and(|f| region.covers_latlon(f.pos)) {
                return false;
            }
        }
        if !self.classes.is_empty() && !self.classes.contains(&v.static_data.ship_class()) {
            return false;
        }
        if self.min_length_m > 0.0 && v.length_m().is_none_or(|l| l < self.min_length_m) {
            return false;
        }
        !self.moving_only || v.is_moving()
    }
}

/// A validated `VesselsNear` request.
#[derive(Debug, Clone)]
pub struct NearQuery {
    pub center: LatLon,
    pub radius_m: f64,
    pub max_results: usize,
    pub filter: VesselFilter,
    /// The time positions are dead-reckoned to, ms since epoch.
    pub now_ms: i64,
}

/// One vessel near the point.
#[derive(Debug, Clone)]
pub struct NearHit {
    pub vessel: Vessel,
    pub position_now: LatLon,
    pub report_age_s: f64,
    pub distance_m: f64,
    pub bearing_from_point_deg: f64,
    pub course_to_steer_deg: f64,
    /// Seconds to reach the point at the current SOG; `None` when not moving.
    pub eta_s: Option<f64>,
    pub cpa: Option<Cpa>,
}

/// The answer: nearest first.
#[derive(Debug, Clone)]
pub struct NearResult {
    pub hits: Vec<NearHit>,
    pub total_in_radius: usize,
}

struct Candidate<'a> {
    v: &'a Vessel,
    approx_m: f64,
}

impl Picture {
    /// Vessels whose dead-reckoned position is within the radius, nearest first.
    ///
    /// Candidates come from the R-tree (widened by how far dead reckoning can
    /// move a vessel), are ranked by a cheap haversine distance, and only the
    /// ones that could be among the answer or sit near the radius get the
    /// exact WGS84 geodesic — so the result equals an all-geodesic scan.
    pub fn near(&self, q: &NearQuery) -> NearResult {
        let dr_max_s = self.dead_reckon_max_s();
        let slack_m = DEAD_RECKON_MAX_KN * MS_PER_KN * dr_max_s;
        let mut cands: Vec<Candidate> = Vec::new();
        for key in self.candidates_near(q.center, q.radius_m + slack_m) {
            let Some(v) = self.get_entity(key) else {
                continue;
            };
            if !q.filter.accepts(v) {
                continue;
            }
            let Some(p) = flat_dead_reckon(v, q.now_ms, dr_max_s) else {
                continue;
            };
            let approx_m = haversine_m(q.center, p);
            if approx_m <= q.radius_m * (1.0 + HAVERSINE_REL_ERR) + RANK_SLACK_M {
                cands.push(Candidate { v, approx_m });
            }
        }
        cands.sort_unstable_by(|a, b| a.approx_m.total_cmp(&b.approx_m).then(a.v.track_id.cmp(&b.v.track_id)));

        // Certainly inside: no geodesic needed just to count them.
        let sure_m = q.radius_m * (1.0 - HAVERSINE_REL_ERR) - RANK_SLACK_M;
        // Rank cut-off: anything ranked beyond the k-th by more than the error
        // bound cannot overtake it.
        let k = q.max_results.min(cands.len());
        let cut_m = if k == 0 {
            f64::NEG_INFINITY
        } else {
            cands[k - 1].approx_m * (1.0 + 2.0 * HAVERSINE_REL_ERR) + 2.0 * RANK_SLACK_M
        };
        let mut hits = Vec::new();
        let mut total = 0;
        for c in &cands {
            if c.approx_m > cut_m && c.approx_m < sure_m {
                total += 1;
                continue;
            }
            let hit = exact_hit(c.v, q, dr_max_s);
            if hit.distance_m <= q.radius_m {
                total += 1;
                if c.approx_m <= cut_m {
                    hits.push(hit);
                }
            }
        }
        hits.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m).then(a.vessel.track_id.cmp(&b.vessel.track_id)));
        hits.truncate(q.max_results);
        NearResult { hits, total_in_radius: total }
    }
}

impl Picture {
    /// Vessels that are `slow` (which must imply a reported speed below
    /// `max_sog_kn`, knots) whose position, dead-reckoned to `now_ms`, lies
    /// within `reach_m(vessel)` (WGS84 geodesic, at most `search_m`) of
    /// `center`: `(vessel, distance_m)`, nearest first, borrowed, not cloned.
    /// (A detector may call a radar track slow that reads faster than it
    /// is, within its speed error: `max_sog_kn` bounds what it accepts.)
    ///
    /// For detectors that ask on every report about slow neighbours within a
    /// few hundred metres (rendezvous): only slow vessels can have moved in,
    /// so the R-tree search widens by `max_sog_kn` times the dead-reckoning
    /// limit instead of by [`DEAD_RECKON_MAX_KN`] — a window of ~1 km instead
    /// of ~10 km, which is most of what [`Picture::near`] costs at that
    /// radius — a haversine pre-filter spares the geodesic for the rest, and
    /// no bearings, ETAs or CPAs are computed. Slow vessels move little in
    /// that time, so the flat-earth dead reckoning used here is within a
    /// metre of the geodesic one.
    pub fn slow_near(
        &self,
        center: LatLon,
        search_m: f64,
        max_sog_kn: f64,
        slow: impl Fn(&Vessel) -> bool,
        now_ms: i64,
        reach_m: impl Fn(&Vessel) -> f64,
    ) -> Vec<(&Vessel, f64)> {
        let dr_max_s = self.dead_reckon_max_s();
        let slack_m = max_sog_kn.min(DEAD_RECKON_MAX_KN) * MS_PER_KN * dr_max_s;
        let mut out = Vec::new();
        for key in self.candidates_near(center, search_m + slack_m) {
            let Some(v) = self.get_entity(key) else {
                continue;
            };
            if !(v.sog_kn.is_some_and(|s| f64::from(s) < max_sog_kn) && slow(v)) {
                continue;
            }
            let Some(p) = flat_dead_reckon(v, now_ms, dr_max_s) else {
                continue;
            };
            let reach = reach_m(v).min(search_m);
            if haversine_m(center, p) > reach * (1.0 + HAVERSINE_REL_ERR) + 1.0 {
                continue;
            }
            let d = geodesy::distance_m(center, p);
            if d <= reach {
                out.push((v, d));
            }
        }
        out.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.track_id.cmp(&b.0.track_id)));
        out
    }
}

/// Dead reckoning on a local flat earth: only for ranking candidates.
fn flat_dead_reckon(v: &Vessel, now_ms: i64, max_s: f64) -> Option<LatLon> {
    let fix = v.fix?;
    let (Some(sog), Some(cog)) = (v.sog_kn, v.cog_deg) else {
        return Some(fix.pos);
    };
    if !v.is_moving() {
        return Some(fix.pos);
    }
    let t = ((now_ms - fix.at_ms) as f64 / 1000.0).clamp(0.0, max_s);
    let d = f64::from(sog).min(DEAD_RECKON_MAX_KN) * MS_PER_KN * t;
    let c = f64::from(cog).to_radians();
    Some(geodesy::flat::offset(fix.pos, d * c.sin(), d * c.cos()))
}

fn exact_hit(v: &Vessel, q: &NearQuery, dr_max_s: f64) -> NearHit {
    let fix = v.fix.expect("candidates come from the index, which holds only fixes");
    let report_age_s = ((q.now_ms - fix.at_ms) as f64 / 1000.0).max(0.0);
    let position_now = match (v.sog_kn, v.cog_deg) {
        (Some(sog), Some(cog)) if v.is_moving() => geodesy::dead_reckon(
            fix.pos,
            f64::from(cog),
            f64::from(sog).min(DEAD_RECKON_MAX_KN),
            report_age_s.min(dr_max_s),
        ),
        _ => fix.pos,
    };
    let inv = geodesy::inverse(q.center, position_now);
    // The vessel steers the reverse of the forward azimuth at its end of the geodesic.
    let course_to_steer_deg = geodesy::norm_deg(inv.azimuth2_deg + 180.0);
    let moving_sog = v.sog_kn.map(f64::from).filter(|s| *s >= MOVING_MIN_KN);
    let eta_s = moving_sog.map(|s| inv.distance_m / (s * MS_PER_KN));
    let cpa = match (moving_sog, v.cog_deg) {
        (Some(s), Some(c)) => Some(geodesy::cpa_to_point(position_now, f64::from(c), s, q.center)),
        _ => None,
    };
    NearHit {
        vessel: v.clone(),
        position_now,
        report_age_s,
        distance_m: inv.distance_m,
        bearing_from_point_deg: inv.azimuth1_deg,
        course_to_steer_deg,
        eta_s,
        cpa,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PictureConfig;
    use crate::{AisClass, Kinematics, Report};
    use lookout_core::geodesy::{destination, distance_m, M_PER_NM};
    use rand::{Rng, SeedableRng};

    fn report(mmsi: u32, p: LatLon, sog: f32, cog: f32) -> Report<'static> {
        Report::Kinematic(Kinematics {
            mmsi,
            msg_type: 1,
            class: AisClass::A,
            pos: Some(p),
            sog_kn: Some(sog),
            cog_deg: Some(cog),
            heading_deg: None,
            nav_status: None,
        })
    }

    #[test]
    fn equals_a_brute_force_geodesic_scan() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
        let mut pic = Picture::new(&PictureConfig::default());
        let center = LatLon::new(35.9, 14.4);
        let now = 1_000_000;
        for mmsi in 1..3000u32 {
            let p =
                LatLon::new(center.lat_deg + rng.random_range(-0.6..0.6), center.lon_deg + rng.random_range(-0.7..0.7));
            let sog = if rng.random_bool(0.3) { 0.0 } else { rng.random_range(0.0..30.0) };
            let at = now - rng.random_range(0..600_000);
            pic.apply(0, at, now, &report(mmsi, p, sog, rng.random_range(0.0..360.0)));
        }
        let radius = 20.0 * M_PER_NM;
        for k in [5usize, 50, 10_000] {
            let got = pic.near(&NearQuery {
                center,
                radius_m: radius,
                max_results: k,
                filter: VesselFilter::default(),
                now_ms: now,
            });
            let mut want: Vec<(f64, u32)> = pic
                .vessels()
                .map(|v| (distance_m(center, v.position_at(now, 300.0).unwrap()), v.mmsi))
                .filter(|(d, _)| *d <= radius)
                .collect();
            want.sort_by(|a, b| a.0.total_cmp(&b.0));
            assert_eq!(got.total_in_radius, want.len(), "k={k}");
            let got_ids: Vec<u32> = got.hits.iter().map(|h| h.vessel.mmsi).collect();
            let want_ids: Vec<u32> = want.iter().take(k).map(|w| w.1).collect();
            assert_eq!(got_ids, want_ids, "k={k}");
        }
    }

    #[test]
    fn course_to_steer_eta_and_cpa() {
        let mut pic = Picture::new(&PictureConfig::default());
        let point = LatLon::new(35.5, 12.6);
        // 10 nm due west of the point, steaming east at 10 kn, reported just now.
        let west = destination(point, 270.0, 10.0 * M_PER_NM);
        pic.apply(0, 0, 0, &report(1, west, 10.0, 90.0));
        let r = pic.near(&NearQuery {
            center: point,
            radius_m: 20.0 * M_PER_NM,
            max_results: 10,
            filter: VesselFilter::default(),
            now_ms: 0,
        });
        let h = &r.hits[0];
        assert!((h.distance_m - 10.0 * M_PER_NM).abs() < 1.0);
        assert!((h.bearing_from_point_deg - 270.0).abs() < 0.01);
        // A geodesic heading east starts slightly poleward of 090 (0.12° here).
        assert!((h.course_to_steer_deg - 90.0).abs() < 0.5, "{}", h.course_to_steer_deg);
        assert!((h.eta_s.unwrap() - 3600.0).abs() < 1.0);
        let cpa = h.cpa.unwrap();
        assert!(cpa.distance_m < 500.0 && (cpa.time_s - 3600.0).abs() < 60.0, "{cpa:?}");
    }

    #[test]
    fn filters_apply() {
        let mut pic = Picture::new(&PictureConfig::default());
        let c = LatLon::new(36.0, 14.0);
        pic.apply(0, 0, 0, &report(1, c, 0.0, 0.0));
        pic.apply(0, 0, 0, &report(2, c, 5.0, 0.0));
        let q = |f: VesselFilter| {
            pic.near(&NearQuery { center: c, radius_m: 1000.0, max_results: 10, filter: f, now_ms: 0 }).total_in_radius
        };
        assert_eq!(q(VesselFilter::default()), 2);
        assert_eq!(q(VesselFilter { moving_only: true, ..Default::default() }), 1);
        assert_eq!(q(VesselFilter { min_length_m: 10.0, ..Default::default() }), 0);
        assert_eq!(q(VesselFilter { classes: vec![ShipClass::Cargo], ..Default::default() }), 0);
        // A region around the point holds both; one beside it holds neither.
        let square = |lat: f64| {
            let v = [(lat, 13.9), (lat, 14.1), (lat + 0.2, 14.1), (lat + 0.2, 13.9)];
            match crate::Area::polygon(&v.map(|(a, b)| LatLon::new(a, b))).unwrap() {
                crate::Area::Polygon(p) => Some(p),
                _ => unreachable!("a polygon"),
            }
        };
        assert_eq!(q(VesselFilter { within: square(35.9), ..Default::default() }), 2);
        assert_eq!(q(VesselFilter { within: square(36.1), ..Default::default() }), 0);
    }
}
