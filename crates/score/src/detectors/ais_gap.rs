//! AIS_GAP: an AIS vessel that went silent inside coverage, away from port,
//! while vessels near where it should be are heard well; and, when it speaks
//! again, how far it went meanwhile.

use std::collections::{BTreeMap, HashMap};

use super::{expected_interval_s, inactive, pob, who, Context, Detector};
use crate::finding::{AlertKind, Finding, Severity, Subject};
use lookout_core::geodesy::{LatLon, MS_PER_KN, M_PER_NM};
use lookout_picture::{Fix, NearQuery, Removal, RemovalReason, TrackId, Vessel, VesselFilter};

/// Memory of the reception estimate, s.
const RECEPTION_TAU_S: f64 = 1800.0;
/// Expected reports behind a reception estimate before it is trusted.
const RECEPTION_MIN_EXPECTED: f64 = 20.0;

/// An AIS vessel's reception: time of the last position report, and reports
/// heard and expected (from the reporting interval), both decaying with
/// [`RECEPTION_TAU_S`].
#[derive(Debug, Default, Clone)]
struct Reception {
    last_ms: Option<i64>,
    last_reports: u64,
    heard: f64,
    expected: f64,
    /// The coverage cell of its last position report.
    cell: Option<(i32, i32)>,
}

impl Reception {
    /// Share of the expected position reports that were received, if enough were expected.
    fn share(&self) -> Option<f64> {
        (self.expected >= RECEPTION_MIN_EXPECTED).then(|| (self.heard / self.expected).min(1.0))
    }
}

/// Where AIS tracks end, learnt from live traffic ([`super::ScoreConfig::gap_edge_cell_deg`]):
/// per cell, vessels heard in it (each visit once) and vessels that went silent there for
/// good. Bounded by the area watched (≈ 40,000 cells for 20° × 20° at 0.1°).
#[derive(Debug, Default, Clone)]
struct CoverageEdges {
    visits: HashMap<(i32, i32), u32>,
    ends: HashMap<(i32, i32), u32>,
}

/// The AIS gap detector and what it learns: each vessel's reception and the coverage edges.
#[derive(Debug, Default)]
pub struct AisGap {
    reception: HashMap<TrackId, Reception>,
    /// AIS vessels currently silent (alerted), with their last fix.
    silent: BTreeMap<TrackId, Fix>,
    coverage: CoverageEdges,
}

impl Detector for AisGap {
    fn kind(&self) -> AlertKind {
        AlertKind::AisGap
    }

    fn vessel(&mut self, cx: &Context<'_>, v: &Vessel, out: &mut Vec<Finding>) {
        self.heard(cx, v);
        self.gap_ended(cx, v, out);
    }

    /// AIS gaps, found as time passes: each call scans the picture.
    fn tick(&mut self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let (cfg, now_ms) = (cx.cfg, cx.now_ms);
        let mut silent: Vec<&Vessel> = cx
            .pic
            .vessels()
            .filter(|v| v.mmsi != 0 && v.fix.is_some())
            .filter(|v| {
                let silent_s = (now_ms - v.last_seen_ms) as f64 / 1000.0;
                silent_s > cfg.gap_min_s.max(cfg.gap_intervals * expected_interval_s(v))
            })
            .collect();
        silent.sort_by_key(|v| v.track_id);
        for v in silent {
            let Some(fix) = v.fix else { continue };
            // Silence is ordinary in a port or an anchorage, and for a vessel
            // that stopped where vessels stop (a learned rest area; a ship
            // under way through such a place is not resting there).
            let stopped = v.sog_kn.is_some_and(|s| f64::from(s) < cfg.loiter_max_kn);
            if cfg.zones.at_rest_place(fix.pos)
                || stopped && cx.baseline.is_some_and(|b| b.is_rest_area(fix.pos.lat_deg, fix.pos.lon_deg))
            {
                continue;
            }
            let silent_s = (now_ms - v.last_seen_ms) as f64 / 1000.0;
            let now_pos = match (v.sog_kn, v.cog_deg) {
                (Some(s), Some(c)) => lookout_core::geodesy::dead_reckon(fix.pos, f64::from(c), f64::from(s), silent_s),
                _ => fix.pos,
            };
            // With stations configured, a report is expected only well within a station's
            // reach, where it went quiet and where it would be now: a ship sailing out of
            // every station's range left coverage, which is no gap.
            let rx = &cfg.ais_receivers;
            let reach = match (rx.is_empty(), rx.reach(fix.pos), rx.reach(now_pos)) {
                (true, _, _) => None,
                (false, Some(then), Some(now)) if then.heard_well && now.heard_well => Some(now),
                _ => continue,
            };
            // Where AIS tracks usually end (it sailed out of reach, or into a port
            // not configured as a zone), silence is what every ship does.
            if self.coverage_edge(cx, fix.pos).is_some() || self.coverage_edge(cx, now_pos).is_some() {
                continue;
            }
            // Its own reception before the silence.
            let Some(own) = self.reception.get(&v.track_id).and_then(Reception::share) else {
                continue;
            };
            if own < cfg.gap_min_reception {
                continue;
            }
            // Others heard well near where it should be now.
            let recent_ms = now_ms - (cfg.gap_recent_s * 1000.0) as i64;
            let mut others: Vec<f64> = cx
                .pic
                .near(&NearQuery {
                    center: now_pos,
                    radius_m: cfg.gap_coverage_m,
                    max_results: 1000,
                    filter: VesselFilter::default(),
                    now_ms,
                })
                .hits
                .iter()
                .filter(|h| h.vessel.mmsi != 0 && h.vessel.track_id != v.track_id && h.vessel.last_seen_ms >= recent_ms)
                .filter_map(|h| self.reception.get(&h.vessel.track_id).and_then(Reception::share))
                .filter(|&p| p >= cfg.gap_min_reception)
                .collect();
            let heard = others.len();
            if heard < cfg.gap_min_heard {
                continue;
            }
            others.sort_by(f64::total_cmp);
            let there = others[others.len() / 2];
            let p = own.min(there);
            let missed = silent_s / expected_interval_s(v);
            let ln_p_silence = missed * (1.0 - p).max(1e-9).ln();
            if ln_p_silence > cfg.gap_max_p_silence.ln() {
                continue;
            }
            // Reported on every tick while the silence lasts, so the alert book's
            // hysteresis sees a condition that holds, not a single blip.
            self.silent.entry(v.track_id).or_insert(fix);
            let silent_min = (now_ms - v.last_seen_ms) as f64 / 60_000.0;
            let mut evidence = BTreeMap::new();
            evidence.insert("silent_min".into(), format!("{silent_min:.0}"));
            evidence.insert("others_heard".into(), heard.to_string());
            evidence.insert("reception_before".into(), format!("{own:.2}"));
            evidence.insert("reception_nearby".into(), format!("{there:.2}"));
            if let Some(r) = reach {
                evidence.insert(
                    "receiver".into(),
                    format!("{} {:.1} nm away (range {} nm)", r.station.name, r.distance_nm, r.station.range_nm),
                );
            }
            out.push(Finding {
                kind: AlertKind::AisGap,
                subject: Subject::Track(v.track_id),
                active: true,
                score: silent_min,
                severity: Severity::Medium,
                pos: fix.pos,
                time_ms: now_ms,
                track_id: Some(v.track_id),
                mmsi: Some(v.mmsi),
                persons_on_board: pob(v),
                motion: None,
                explanation: format!(
                    "{} silent for {silent_min:.0} min away from port while {heard} vessels nearby are heard",
                    who(v)
                ),
                evidence,
            });
        }
    }

    fn forget(&mut self, r: &Removal) {
        if let Some(rx) = self.reception.remove(&r.track_id) {
            // An AIS vessel not heard for the picture's whole ageing time went
            // silent for good where it was last heard.
            if let (RemovalReason::AgedOut, true, Some(cell)) = (r.reason, r.mmsi != 0, rx.cell) {
                *self.coverage.ends.entry(cell).or_default() += 1;
            }
        }
    }
}

impl AisGap {
    /// The coverage cell of a position.
    fn coverage_cell(cx: &Context<'_>, p: LatLon) -> (i32, i32) {
        let d = cx.cfg.gap_edge_cell_deg;
        ((p.lat_deg / d).floor() as i32, (p.lon_deg / d).floor() as i32)
    }

    /// AIS tracks ending at `p` so far, if it is a learnt coverage edge (or port).
    fn coverage_edge(&self, cx: &Context<'_>, p: LatLon) -> Option<u32> {
        let cell = Self::coverage_cell(cx, p);
        let ends = self.coverage.ends.get(&cell).copied().unwrap_or(0);
        let visits = self.coverage.visits.get(&cell).copied().unwrap_or(0).max(1);
        (ends >= cx.cfg.gap_edge_min_ends && f64::from(ends) >= cx.cfg.gap_edge_min_share * f64::from(visits))
            .then_some(ends)
    }

    /// Counts a position report of an AIS vessel for its reception estimate.
    fn heard(&mut self, cx: &Context<'_>, v: &Vessel) {
        let Some(fix) = v.fix.filter(|_| v.mmsi != 0) else {
            return;
        };
        let interval_s = expected_interval_s(v);
        let cell = Self::coverage_cell(cx, fix.pos);
        let rx = self.reception.entry(v.track_id).or_default();
        if rx.cell != Some(cell) {
            rx.cell = Some(cell);
            *self.coverage.visits.entry(cell).or_default() += 1;
        }
        match rx.last_ms {
            Some(last) if fix.at_ms > last => {
                // A batch may hold several reports of the vessel: count them
                // all (static data too, a few per cent more, harmlessly).
                let n = v.reports.saturating_sub(rx.last_reports).max(1) as f64;
                let dt_s = (fix.at_ms - last) as f64 / 1000.0;
                let decay = (-dt_s / RECEPTION_TAU_S).exp();
                rx.heard = rx.heard * decay + n;
                rx.expected = rx.expected * decay + (dt_s / interval_s).max(1.0);
            }
            None => {}
            _ => return,
        }
        rx.last_ms = Some(fix.at_ms);
        rx.last_reports = v.reports;
    }

    /// A silent vessel reports again: the alert gets the displacement and implied speed.
    fn gap_ended(&mut self, cx: &Context<'_>, v: &Vessel, out: &mut Vec<Finding>) {
        let Some(before) = self.silent.get(&v.track_id).copied() else {
            return;
        };
        let Some(after) = v.fix.filter(|f| f.at_ms > before.at_ms) else {
            return;
        };
        self.silent.remove(&v.track_id);
        let d = lookout_core::geodesy::distance_m(before.pos, after.pos);
        let dt_s = (after.at_ms - before.at_ms) as f64 / 1000.0;
        let implied_kn = d / dt_s.max(1.0) / MS_PER_KN;
        let mut evidence = BTreeMap::new();
        evidence.insert("gap_min".into(), format!("{:.0}", dt_s / 60.0));
        evidence.insert("displacement_nm".into(), format!("{:.1}", d / M_PER_NM));
        evidence.insert("implied_speed_kn".into(), format!("{implied_kn:.1}"));
        out.push(Finding {
            kind: AlertKind::AisGap,
            subject: Subject::Track(v.track_id),
            active: true,
            score: dt_s / 60.0,
            severity: Severity::Medium,
            pos: after.pos,
            time_ms: cx.now_ms,
            track_id: Some(v.track_id),
            mmsi: Some(v.mmsi),
            persons_on_board: pob(v),
            motion: None,
            explanation: format!(
                "{} reappeared after {:.0} min silent, {:.1} nm from where it went quiet ({implied_kn:.1} kn implied)",
                who(v),
                dt_s / 60.0,
                d / M_PER_NM
            ),
            evidence,
        });
        out.push(inactive(AlertKind::AisGap, Subject::Track(v.track_id), after.pos, cx.now_ms));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Sea, HERE};
    use super::*;
    use crate::detectors::ScoreConfig;
    use lookout_core::geodesy::destination;

    /// Reception share after `n` reports `every_s` apart from a ship at 10 kn (10 s interval).
    fn share(every_s: i64, n: i64) -> Option<f64> {
        let mut sea = Sea::new(ScoreConfig::default());
        let mut d = AisGap::default();
        let m = 247_000_001;
        for k in 0..n {
            let t = k * every_s * 1000;
            sea.report(t, m, HERE, 10.0, 90.0);
            d.heard(&sea.cx(None, t, 0), sea.vessel(m));
        }
        let track = sea.vessel(m).track_id;
        d.reception[&track].share()
    }

    #[test]
    fn reception_is_the_share_of_expected_reports_heard_once_enough_were_expected() {
        assert_eq!(share(10, 10), None, "9 expected: not yet trusted");
        assert!((share(10, 60).unwrap() - 1.0).abs() < 1e-9, "every report heard");
        let half = share(20, 60).unwrap();
        assert!((half - 0.5).abs() < 0.01, "every second report heard: {half}");
    }

    #[test]
    fn a_cell_where_tracks_age_out_becomes_a_coverage_edge() {
        let sea = Sea::new(ScoreConfig::default());
        let cx = sea.cx(None, 0, 0);
        let mut d = AisGap::default();
        let edge = destination(HERE, 0.0, 1000.0);
        assert_eq!(d.coverage_edge(&cx, edge), None);
        for track_id in 1..=3 {
            let cell = AisGap::coverage_cell(&cx, edge);
            d.reception.insert(track_id, Reception { cell: Some(cell), ..Reception::default() });
            *d.coverage.visits.entry(cell).or_default() += 1;
            // Merged tracks did not go silent: no edge from them.
            d.forget(&Removal { mmsi: 247_000_000 + track_id as u32, track_id, reason: RemovalReason::Merged });
        }
        assert_eq!(d.coverage_edge(&cx, edge), None);
        for track_id in 4..=6 {
            let cell = AisGap::coverage_cell(&cx, edge);
            d.reception.insert(track_id, Reception { cell: Some(cell), ..Reception::default() });
            d.forget(&Removal { mmsi: 247_000_000 + track_id as u32, track_id, reason: RemovalReason::AgedOut });
        }
        assert_eq!(d.coverage_edge(&cx, edge), Some(3), "three of three vessels ended there");
    }
}
