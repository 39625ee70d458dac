//! LOITERING: a vessel slow for long where the baseline says traffic does
//! not linger (not in a port, an anchorage, a fishing ground, or where
//! pleasure craft go).

use std::collections::{BTreeMap, HashMap};

use super::{inactive, is_service, obs, pob, traffic_class, who, Context, Detector};
use crate::baseline::TrafficClass;
use crate::finding::{AlertKind, Finding, Severity, Subject};
use lookout_picture::{Removal, TrackId, Vessel};

/// How far around a drifting pleasure craft the baseline is asked whether pleasure craft go
/// there, in cells (5: about ±10 km at the usual 2 km cells).
pub const LEISURE_RING_CELLS: usize = 5;

/// The loitering detector: since when each vessel has been slow, ms.
#[derive(Debug, Default)]
pub struct Loitering {
    slow_since_ms: HashMap<TrackId, i64>,
}

impl Detector for Loitering {
    fn kind(&self) -> AlertKind {
        AlertKind::Loitering
    }

    fn vessel(&mut self, cx: &Context<'_>, v: &Vessel, out: &mut Vec<Finding>) {
        let (cfg, now_ms) = (cx.cfg, cx.now_ms);
        let Some(fix) = v.fix else { return };
        // Rescue, pilot and patrol vessels wait on station by trade.
        if is_service(v) {
            return;
        }
        let leisure = v.mmsi != 0 && traffic_class(v) == TrafficClass::Leisure;
        let slow = v.sog_kn.is_some_and(|s| f64::from(s) < cfg.loiter_max_kn);
        if !slow {
            if self.slow_since_ms.remove(&v.track_id).is_some() {
                out.push(inactive(AlertKind::Loitering, Subject::Track(v.track_id), fix.pos, now_ms));
            }
            return;
        }
        let since = *self.slow_since_ms.entry(v.track_id).or_insert(fix.at_ms);
        let slow_s = (now_ms - since) as f64 / 1000.0;
        if slow_s < cfg.loiter_min_s {
            return;
        }
        // Where vessels routinely stop (ports, anchorages, fishing grounds), lingering is ordinary.
        let Some(b) = cx.baseline else { return };
        // Outside the baseline's grid nothing is known of ordinary traffic: that is
        // "unknown", not "where traffic does not linger".
        if b.cell_of(fix.pos.lat_deg, fix.pos.lon_deg).is_none() {
            return;
        }
        if cx.at_rest(fix.pos) || cx.fishing_here(v, fix.pos) {
            return;
        }
        // Pleasure craft idle, anchor and fish off the coast, where pleasure craft go.
        // Far from anywhere one was seen, a yacht adrift for an hour is no pastime:
        // smugglers use yachts too.
        if leisure {
            let seen =
                b.class_minutes_near(fix.pos.lat_deg, fix.pos.lon_deg, &[TrafficClass::Leisure], LEISURE_RING_CELLS);
            if slow_s < cfg.loiter_leisure_min_s || seen.is_some_and(|m| m >= cfg.loiter_leisure_seen_min) {
                return;
            }
        }
        let s = b.score(&obs(v));
        if s.known && s.linger_rate > cfg.loiter_max_linger_rate {
            return;
        }
        let mut evidence = BTreeMap::new();
        evidence.insert("slow_for_min".into(), format!("{:.0}", slow_s / 60.0));
        evidence.insert(
            "baseline_linger_rate".into(),
            if s.known { format!("{:.2}", s.linger_rate) } else { "unknown".into() },
        );
        out.push(Finding {
            kind: AlertKind::Loitering,
            subject: Subject::Track(v.track_id),
            active: true,
            score: slow_s / cfg.loiter_min_s,
            severity: Severity::Medium,
            pos: fix.pos,
            time_ms: now_ms,
            track_id: Some(v.track_id),
            mmsi: (v.mmsi != 0).then_some(v.mmsi),
            persons_on_board: pob(v),
            motion: None,
            explanation: format!(
                "{} at {:.1} kn for {:.0} min where traffic does not linger",
                who(v),
                v.sog_kn.unwrap_or(0.0),
                slow_s / 60.0
            ),
            evidence,
        });
    }

    fn forget(&mut self, r: &Removal) {
        self.slow_since_ms.remove(&r.track_id);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Sea, HERE};
    use super::*;
    use crate::baseline::{Baseline, BaselineBuilder, GridSpec, TrafficObs};
    use crate::detectors::ScoreConfig;
    use lookout_core::geodesy::{destination, LatLon};

    /// 34.8–35.6 N, 12.8–13.8 E: a day of cargo ships steaming east through HERE at 14 kn.
    fn lane_baseline() -> Baseline {
        let spec = GridSpec {
            min_lat_deg: 34.8,
            min_lon_deg: 12.8,
            max_lat_deg: 35.6,
            max_lon_deg: 13.8,
            cell_m: 2000.0,
            name: "unit".into(),
        };
        let mut b = BaselineBuilder::new(spec);
        for minute in 0..24 * 60 {
            let p = destination(HERE, 90.0, f64::from(minute % 60) * 500.0 - 15_000.0);
            b.add(&TrafficObs {
                mmsi: 247_300_000,
                time_ms: i64::from(minute) * 60_000,
                lat_deg: p.lat_deg,
                lon_deg: p.lon_deg,
                sog_kn: Some(14.0),
                cog_deg: Some(90.0),
                class: TrafficClass::Cargo,
            });
        }
        b.finish()
    }

    /// A cargo ship (type 70) at 0.5 kn at `at` for `minutes`, then at 12 kn: the findings.
    fn drift(baseline: Option<&Baseline>, at: LatLon, minutes: i64) -> Vec<Finding> {
        let mut sea = Sea::new(ScoreConfig::default());
        let m = 247_500_001;
        sea.ship_type(0, m, 70);
        let mut d = Loitering::default();
        let mut out = Vec::new();
        for k in 0..=minutes {
            let t = k * 60_000;
            let sog = if k == minutes { 12.0 } else { 0.5 };
            sea.report(t, m, at, sog, 200.0);
            d.vessel(&sea.cx(baseline, t, 0), sea.vessel(m), &mut out);
        }
        out
    }

    #[test]
    fn slow_for_loiter_min_where_traffic_does_not_linger_then_under_way_again() {
        let b = lane_baseline();
        let out = drift(Some(&b), destination(HERE, 180.0, 20_000.0), 30);
        let first = out.iter().position(|f| f.active).expect("loitering");
        assert_eq!(out[first].time_ms, 20 * 60_000, "after loiter_min (20 min)");
        assert!(out[first].explanation.contains("where traffic does not linger"), "{}", out[first].explanation);
        let last = out.last().unwrap();
        assert!(!last.active && last.time_ms == 30 * 60_000, "under way again: {last:?}");
    }

    #[test]
    fn no_loitering_without_a_baseline_or_off_its_grid() {
        let b = lane_baseline();
        assert!(!drift(None, HERE, 30).iter().any(|f| f.active));
        assert!(!drift(Some(&b), LatLon::new(34.0, 13.3), 30).iter().any(|f| f.active));
    }
}
