//! ROUTE_DEVIATION: a vessel moving where, or how, ordinary traffic of its
//! class does not: surprising speed or course for the baseline cell, off
//! every route its class takes, against the traffic cell after cell, or
//! against a configured traffic lane.

use std::collections::{BTreeMap, HashMap};

use super::{inactive, obs, pob, who, Context, Detector};
use crate::baseline::TrafficClass;
use crate::finding::{AlertKind, Finding, Severity, Subject};
use lookout_picture::{Removal, TrackId, Vessel};

/// Classes that keep to routes (lanes, ferry routes): a ferry may take a
/// route other ferries do not, but not where no merchant ship, ferry or
/// high-speed craft goes.
const ROUTE_BOUND: [TrafficClass; 4] =
    [TrafficClass::Cargo, TrafficClass::Tanker, TrafficClass::Passenger, TrafficClass::HighSpeed];

/// What the detector remembers of one vessel.
#[derive(Debug, Default, Clone)]
struct Memory {
    /// Consecutive reports the baseline found very unlikely, since when (ms).
    unusual_reports: u32,
    unusual_since_ms: i64,
    /// Seen where the baseline knows its class (on a route).
    on_route_seen: bool,
    /// The run of cells against the traffic ([`super::ScoreConfig::deviation_run_cells`]).
    course_run: CourseRun,
}

/// A ship's run of baseline cells in which its course is unlikely for its
/// class: the cells it has left (how many, Σ −ln p) and the one it is in.
#[derive(Debug, Default, Clone, Copy)]
struct CourseRun {
    cells: u32,
    sum_neg_ln_p: f64,
    cell: Option<(usize, usize)>,
    /// The course p in the current cell (latest report), if the baseline has
    /// an estimate for the class there.
    cell_p: Option<f64>,
    /// Largest p of the run's cells.
    max_p: f64,
}

impl CourseRun {
    /// Takes a report in `cell` whose course has probability `p` for the
    /// class there (None: no estimate). A usual course ends the run at once.
    fn observe(&mut self, cell: Option<(usize, usize)>, p: Option<f64>, reset_p: f64) {
        if cell != self.cell {
            if let Some(q) = self.cell_p {
                self.cells += 1;
                self.sum_neg_ln_p += -q.max(1e-300).ln();
                self.max_p = self.max_p.max(q);
            }
            self.cell = cell;
        }
        self.cell_p = p;
        if p.is_some_and(|q| q >= reset_p) {
            *self = CourseRun { cell, ..CourseRun::default() };
        }
    }

    /// Cells in the run (the current one included when it has an estimate)
    /// and the Fisher combination of their p: for k cells with S = Σ −ln pᵢ,
    /// P(χ²₂ₖ ≥ 2S) = e^−S Σ_{i<k} Sⁱ/i!.
    fn combined(&self) -> (u32, f64, f64) {
        let (k, s, max_p) = match self.cell_p {
            Some(q) => (self.cells + 1, self.sum_neg_ln_p - q.max(1e-300).ln(), self.max_p.max(q)),
            None => (self.cells, self.sum_neg_ln_p, self.max_p),
        };
        let (mut term, mut sum) = (1.0, 0.0);
        for i in 0..k {
            if i > 0 {
                term *= s / f64::from(i);
            }
            sum += term;
        }
        (k, ((-s).exp() * sum).min(1.0), max_p)
    }
}

/// The route deviation detector.
#[derive(Debug, Default)]
pub struct RouteDeviation {
    memory: HashMap<TrackId, Memory>,
}

impl Detector for RouteDeviation {
    fn kind(&self) -> AlertKind {
        AlertKind::RouteDeviation
    }

    fn vessel(&mut self, cx: &Context<'_>, v: &Vessel, out: &mut Vec<Finding>) {
        let cfg = cx.cfg;
        let (Some(b), Some(fix)) = (cx.baseline, v.fix) else {
            return;
        };
        let o = obs(v);
        let s = b.score(&o);
        let route_bound = v.mmsi != 0 && ROUTE_BOUND.contains(&o.class);
        let class_near = if route_bound {
            b.class_minutes_near(fix.pos.lat_deg, fix.pos.lon_deg, &ROUTE_BOUND, cfg.deviation_route_ring)
        } else {
            None
        };
        // In port, or steering for a port or anchorage close ahead: leaving
        // the route is how a voyage ends.
        let at_rest = cfg.zones.at_rest_place(fix.pos);
        let port_within =
            |m: f64| v.cog_deg.is_some_and(|c| cfg.zones.port_ahead(fix.pos, f64::from(c), m, 30.0).is_some());
        let in_port = at_rest || port_within(cfg.deviation_port_ahead_m);
        let mem = self.memory.entry(v.track_id).or_default();
        mem.on_route_seen |= class_near.is_some_and(|m| m > 0.0);
        if route_bound {
            // Evidence for the class only (not the all-classes fallback: a
            // ferry down a lane is odd for ferries, not for ships).
            let has_course = o.sog_kn.is_some_and(|k| k >= 1.0) && o.cog_deg.is_some();
            let p =
                (s.known && s.level <= 2 && s.support >= cfg.deviation_min_support && has_course).then_some(s.p_course);
            mem.course_run.observe(b.cell(fix.pos.lat_deg, fix.pos.lon_deg), p, cfg.deviation_run_reset_p);
        }
        let (run_cells, run_p, run_max_p) = mem.course_run.combined();
        let against_traffic = route_bound
            && run_cells >= cfg.deviation_run_cells
            && run_p < cfg.deviation_max_p_course
            && !at_rest
            && !port_within(cfg.deviation_run_port_ahead_m);
        let fast = v.sog_kn.is_some_and(|k| f64::from(k) >= cfg.deviation_min_kn);
        let lane = match (route_bound && fast, v.cog_deg) {
            (true, Some(c)) => cfg.zones.lane_against(fix.pos, f64::from(c), cfg.deviation_lane_off_deg),
            _ => None,
        };
        let surprising = !in_port
            && (s.known && s.surprise >= cfg.deviation_min_surprise
                || route_bound
                    && s.known
                    && s.level <= 1
                    && s.support >= cfg.deviation_min_support
                    && s.p_course < cfg.deviation_max_p_course);
        let off_route = !in_port && mem.on_route_seen && class_near == Some(0.0) && fast;
        if !(surprising || off_route || against_traffic || lane.is_some()) {
            if mem.unusual_reports >= cfg.deviation_reports {
                out.push(inactive(AlertKind::RouteDeviation, Subject::Track(v.track_id), fix.pos, fix.at_ms));
            }
            mem.unusual_reports = 0;
            return;
        }
        if mem.unusual_reports == 0 {
            mem.unusual_since_ms = fix.at_ms;
        }
        mem.unusual_reports += 1;
        let unusual_s = (fix.at_ms - mem.unusual_since_ms) as f64 / 1000.0;
        if mem.unusual_reports < cfg.deviation_reports || unusual_s < cfg.deviation_min_s {
            return;
        }
        let mut evidence = BTreeMap::new();
        evidence.insert("p_speed".into(), format!("{:.4}", s.p_speed));
        evidence.insert("p_course".into(), format!("{:.4}", s.p_course));
        evidence.insert("surprise".into(), format!("{:.1}", s.surprise));
        evidence.insert("support_vessel_min".into(), format!("{:.0}", s.support));
        evidence.insert("off_route".into(), off_route.to_string());
        if against_traffic {
            evidence.insert("course_run_cells".into(), run_cells.to_string());
            evidence.insert("course_run_p".into(), format!("{run_p:.2e}"));
        }
        let who_v = who(v);
        let (sog, cog) = (v.sog_kn.unwrap_or(0.0), v.cog_deg.unwrap_or(0.0));
        let explanation = if let Some(z) = lane {
            evidence.insert("traffic_lane".into(), z.name.clone());
            format!(
                "{who_v} at {sog:.1} kn on {cog:03.0}° against the traffic lane {:?} (flow {:03.0}°) for {:.0} min",
                z.name,
                z.direction_deg.unwrap_or(0.0),
                unusual_s / 60.0
            )
        } else if off_route {
            format!(
                "{who_v} ({}) at {sog:.1} kn on {cog:03.0}° for {:.0} min where no merchant ship or ferry goes: off the routes",
                o.class.as_str(),
                unusual_s / 60.0
            )
        } else if surprising {
            format!(
                "{who_v} at {sog:.1} kn on {cog:03.0}° is unusual here (speed p={:.3}, course p={:.3})",
                s.p_speed, s.p_course
            )
        } else {
            format!(
                "{who_v} at {sog:.1} kn on {cog:03.0}° against the traffic: {run_cells} cells in a row where {} traffic takes this course with p≤{run_max_p:.2} (combined p={run_p:.1e})",
                o.class.as_str()
            )
        };
        out.push(Finding {
            kind: AlertKind::RouteDeviation,
            subject: Subject::Track(v.track_id),
            active: true,
            score: if off_route || lane.is_some() {
                s.surprise.max(cfg.deviation_min_surprise)
            } else if surprising {
                s.surprise
            } else {
                -run_p.max(1e-300).ln()
            },
            severity: Severity::Low,
            pos: fix.pos,
            time_ms: fix.at_ms,
            track_id: Some(v.track_id),
            mmsi: (v.mmsi != 0).then_some(v.mmsi),
            persons_on_board: pob(v),
            motion: None,
            explanation,
            evidence,
        });
    }

    fn forget(&mut self, r: &Removal) {
        self.memory.remove(&r.track_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(cells: &[Option<f64>]) -> CourseRun {
        let mut r = CourseRun::default();
        for (i, p) in cells.iter().enumerate() {
            r.observe(Some((i, 0)), *p, 0.05);
        }
        r
    }

    #[test]
    fn one_cell_combines_to_its_own_p() {
        let (k, p, max_p) = run(&[Some(0.01)]).combined();
        assert_eq!(k, 1);
        assert!((p - 0.01).abs() < 1e-12, "{p}");
        assert_eq!(max_p, 0.01);
    }

    #[test]
    fn fisher_combination_matches_the_chi_square_tail() {
        // Two cells at p = 0.04: S = −2 ln 0.04 / 2 per cell, and
        // P(χ²₄ ≥ 2S) = e^−S (1 + S) = 0.04² (1 − 2 ln 0.04) ≈ 0.01190 (R: pchisq(-2*sum(log(c(.04,.04))), 4, lower.tail=FALSE)).
        let (k, p, _) = run(&[Some(0.04), Some(0.04)]).combined();
        assert_eq!(k, 2);
        let want = 0.04f64.powi(2) * (1.0 - 2.0 * 0.04f64.ln());
        assert!((p - want).abs() < 1e-12 && (p - 0.011_90).abs() < 1e-5, "{p} vs {want}");
        // Three cells at p = 0.04 combine to less than any one of them.
        let (k, p3, _) = run(&[Some(0.04), Some(0.04), Some(0.04)]).combined();
        assert_eq!(k, 3);
        assert!(p3 < p && p3 > 0.0, "{p3}");
    }

    #[test]
    fn cells_without_an_estimate_neither_add_nor_end_a_run_and_a_usual_course_ends_it() {
        let (k, _, _) = run(&[Some(0.01), None, Some(0.02)]).combined();
        assert_eq!(k, 2);
        let (k, _, _) = run(&[Some(0.01), Some(0.02), Some(0.5)]).combined();
        assert_eq!(k, 0, "a usual course (p ≥ 0.05) ends the run: no cell is left in it");
        // Reports in the same cell replace its p, they do not add cells.
        let mut r = CourseRun::default();
        for p in [0.03, 0.02, 0.01] {
            r.observe(Some((0, 0)), Some(p), 0.05);
        }
        assert_eq!(r.combined().0, 1);
        assert!((r.combined().1 - 0.01).abs() < 1e-12);
    }
}
