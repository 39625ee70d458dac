//! Scoring: turns the live picture into [`Finding`]s for the alert book.
//! Each detector looks at what a batch changed (or, for silence, at the
//! passing of time) and says whether its condition holds for a subject.
//! Synchronous and I/O-free: replaying the same recording gives the same findings.

mod zones;

pub use zones::{Zone, ZoneConfig, ZoneKind, Zones};

use std::collections::{BTreeMap, HashMap};

use crate::baseline::{Baseline, TrafficClass, TrafficObs};
use crate::finding::{AlertKind, Finding, PersonsOnBoard, Severity, Subject};
use lookout_core::geodesy::{LatLon, MS_PER_KN, M_PER_NM};
use lookout_picture::{AisClass, Changes, Fix, NearQuery, Picture, TrackId, Vessel, VesselFilter};
use lookout_track::SEEN_APART_KEEP_MS;

/// Detector thresholds (`[score]` in the configuration).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScoreConfig {
    /// A dark track is alerted once in the picture for this long, s…
    #[serde(rename = "dark_target_min_age", with = "lookout_core::duration::secs")]
    pub dark_target_min_age_s: f64,
    /// …or this long when slower than `dark_target_slow_kn`: a ship at anchor
    /// (or a slow class B boat) reports only every 3 min, so a slow radar
    /// track needs that long before the absence of AIS means anything.
    #[serde(rename = "dark_target_slow_min_age", with = "lookout_core::duration::secs")]
    pub dark_target_slow_min_age_s: f64,
    pub dark_target_slow_kn: f64,
    /// A dark track where a sensor's mapped clutter density is at least this,
    /// false plots per km² per scan (100 × the tracker's clean-water floor),
    /// is alerted only after `dark_target_clutter_min_age_s`.
    pub dark_target_clutter_per_km2: f64,
    #[serde(rename = "dark_target_clutter_min_age", with = "lookout_core::duration::secs")]
    pub dark_target_clutter_min_age_s: f64,
    /// A dark track faster than this, kn, is clutter strung together, not a
    /// boat (the smugglers' fastest RIBs do ~40 kn; none of them loaded).
    pub dark_target_max_kn: f64,
    /// No dark target while an AIS vessel lies within this distance, m, or
    /// 4 σ of the track's and the AIS position's combined error if larger:
    /// a radar track there may be that ship's echo the tracker has not
    /// merged yet (a boat really alongside a ship is a RENDEZVOUS).
    pub dark_target_ais_clear_m: f64,
    /// No dark target for this long after the detectors start, s: until every
    /// AIS vessel in view has reported (at anchor every 3 min; one report may
    /// be lost), a radar track may be a ship not heard yet.
    #[serde(rename = "dark_target_warmup", with = "lookout_core::duration::secs")]
    pub dark_target_warmup_s: f64,
    /// Loitering: slower than this, kn…
    pub loiter_max_kn: f64,
    /// …for this long, s…
    #[serde(rename = "loiter_min", with = "lookout_core::duration::secs")]
    pub loiter_min_s: f64,
    /// …where the baseline's share of slow traffic is below this (0..1).
    pub loiter_max_linger_rate: f64,
    /// Pleasure craft loiter only after this long, s, and only where the baseline saw
    /// less than `loiter_leisure_seen_min` vessel-minutes of pleasure craft within
    /// [`LEISURE_RING_CELLS`] cells (far from where yachts go). One hour flagged a yacht
    /// idling 20 km off Malta in the simulated evaluation; two do not.
    #[serde(rename = "loiter_leisure_min", with = "lookout_core::duration::secs")]
    pub loiter_leisure_min_s: f64,
    pub loiter_leisure_seen_min: f64,
    /// Rendezvous: two vessels closer than this, m…
    pub rendezvous_max_m: f64,
    /// …both slower than this, kn…
    pub rendezvous_max_kn: f64,
    /// …for this long, s, away from rest areas. A pair stays together
    /// through speed or distance blips shorter than `rendezvous_break_s`.
    /// (For a radar track "closer" allows twice the pair's position σ, or
    /// twice its plot error beside an AIS vessel; "slower" allows two σ of
    /// its speed error, at most 1 kn.)
    #[serde(rename = "rendezvous_min", with = "lookout_core::duration::secs")]
    pub rendezvous_min_s: f64,
    #[serde(rename = "rendezvous_break", with = "lookout_core::duration::secs")]
    pub rendezvous_break_s: f64,
    /// AIS gap: silent for this many expected report intervals…
    pub gap_intervals: f64,
    /// …and at least this long, s…
    #[serde(rename = "gap_min", with = "lookout_core::duration::secs")]
    pub gap_min_s: f64,
    /// …while at least `gap_min_heard` other vessels within `gap_coverage_m`
    /// of where it should be now (dead-reckoned) were heard in the last
    /// `gap_recent_s` and are received well (so the silence is not coverage)…
    pub gap_coverage_m: f64,
    pub gap_min_heard: usize,
    #[serde(rename = "gap_recent", with = "lookout_core::duration::secs")]
    pub gap_recent_s: f64,
    /// …"well": at least this share of the reports they should have sent was
    /// received over the last half hour or so; the silent vessel too, before
    /// it went silent (a weak class B set or a ship at the edge of coverage
    /// is not silent, just badly heard)…
    pub gap_min_reception: f64,
    /// …and missing that many reports in a row at that reception would be
    /// this unlikely (independent losses).
    pub gap_max_p_silence: f64,
    /// …and not where AIS tracks usually end: the coverage edges and ports this
    /// service has learnt from live traffic. A cell of `gap_edge_cell_deg`
    /// degrees is an edge once at least `gap_edge_min_ends` AIS vessels went
    /// silent there for good (aged out of the picture, never heard again) and
    /// they are at least `gap_edge_min_share` of the vessels heard in it. Every
    /// ship that sails out of its receivers' reach goes silent with its
    /// neighbours still heard: without this, each one was an AIS gap.
    pub gap_edge_cell_deg: f64,
    pub gap_edge_min_ends: u32,
    pub gap_edge_min_share: f64,
    /// A position jump is reported for this long after it, s.
    #[serde(rename = "jump_hold", with = "lookout_core::duration::secs")]
    pub jump_hold_s: f64,
    /// Route deviation: baseline surprise (−ln p) above this…
    pub deviation_min_surprise: f64,
    /// …or, for ships that keep to routes (cargo, tanker, passenger, high
    /// speed) faster than `deviation_min_kn`, where the baseline saw no
    /// vessel of the class within `deviation_route_ring` cells (off every
    /// route it takes; only after the ship was seen on one)…
    pub deviation_min_kn: f64,
    pub deviation_route_ring: usize,
    /// …or, for those ships, a course the baseline finds this unlikely for
    /// the class here (p of the course alone, from the own cell or its 3 × 3
    /// neighbourhood, at least `deviation_min_support` vessel-minutes)…
    pub deviation_max_p_course: f64,
    pub deviation_min_support: f64,
    /// …or, for those ships, a course against the traffic cell after cell:
    /// in at least `deviation_run_cells` grid cells in a row the course has
    /// p < `deviation_run_reset_p` for the class (own cell, neighbourhood or
    /// the coarser cell), and their Fisher combination is below
    /// `deviation_max_p_course`. One cell's histogram of a few hours' traffic
    /// cannot say less than p ≈ 0.05 about a ship going against a lane; six
    /// kilometres of it can. Cells with no estimate for the class neither add
    /// nor end a run; a cell where the course is usual ends it…
    pub deviation_run_cells: u32,
    pub deviation_run_reset_p: f64,
    /// …or, for those ships, inside a configured traffic lane on a course at
    /// least this far, degrees, from the lane's flow (COLREG rule 10: proceed
    /// with the flow, cross it as nearly as practicable at right angles)…
    pub deviation_lane_off_deg: f64,
    /// …on this many consecutive reports, spanning at least this long, s.
    pub deviation_reports: u32,
    #[serde(rename = "deviation_min", with = "lookout_core::duration::secs")]
    pub deviation_min_s: f64,
    /// …unless steering (within 30°) for a port or anchorage zone this close,
    /// m (the per-report and off-route rules: leaving a route is how a voyage
    /// ends), or this close for a run against the traffic (ships sail with it
    /// to a port until the approach).
    pub deviation_port_ahead_m: f64,
    pub deviation_run_port_ahead_m: f64,
    /// Ports, anchorages and fishing grounds (from the top-level `[[zone]]`
    /// tables, set by [`crate::config::Config::parse`]).
    #[serde(skip)]
    pub zones: Zones,
}

impl Default for ScoreConfig {
    fn default() -> Self {
        Self {
            dark_target_min_age_s: 60.0,
            dark_target_slow_min_age_s: 200.0,
            dark_target_slow_kn: 3.0,
            dark_target_max_kn: 35.0,
            dark_target_clutter_per_km2: 1e-3,
            dark_target_clutter_min_age_s: 600.0,
            dark_target_warmup_s: 360.0,
            dark_target_ais_clear_m: 1852.0,
            loiter_max_kn: 2.0,
            loiter_min_s: 20.0 * 60.0,
            loiter_max_linger_rate: 0.2,
            loiter_leisure_min_s: 2.0 * 3600.0,
            loiter_leisure_seen_min: 30.0,
            rendezvous_max_m: 400.0,
            rendezvous_max_kn: 3.0,
            rendezvous_min_s: 5.0 * 60.0,
            rendezvous_break_s: 60.0,
            gap_intervals: 10.0,
            gap_min_s: 10.0 * 60.0,
            gap_coverage_m: 20.0 * M_PER_NM,
            gap_min_heard: 2,
            gap_recent_s: 120.0,
            gap_min_reception: 0.7,
            gap_max_p_silence: 1e-6,
            gap_edge_cell_deg: 0.1,
            gap_edge_min_ends: 3,
            gap_edge_min_share: 0.1,
            jump_hold_s: 300.0,
            deviation_min_surprise: 9.2,
            deviation_min_kn: 5.0,
            deviation_route_ring: 1,
            deviation_max_p_course: 0.01,
            deviation_min_support: 30.0,
            deviation_run_cells: 3,
            deviation_run_reset_p: 0.05,
            deviation_lane_off_deg: 135.0,
            deviation_reports: 3,
            deviation_min_s: 300.0,
            deviation_port_ahead_m: 12.0 * M_PER_NM,
            deviation_run_port_ahead_m: 3.0 * M_PER_NM,
            zones: Zones::default(),
        }
    }
}

/// How far around a drifting pleasure craft the baseline is asked whether pleasure craft go
/// there, in cells (5: about ±10 km at the usual 2 km cells).
pub const LEISURE_RING_CELLS: usize = 5;

/// Per-track memory of the detectors that need a history.
#[derive(Debug, Default, Clone)]
struct TrackMemory {
    /// When the detectors first saw the track, ms.
    first_ms: Option<i64>,
    /// Since when the vessel has been slow, ms.
    slow_since_ms: Option<i64>,
    /// When its slow neighbours were last searched for a rendezvous, ms.
    rendezvous_checked_ms: Option<i64>,
    /// Consecutive reports the baseline found very unlikely, since when (ms).
    unusual_reports: u32,
    unusual_since_ms: i64,
    /// Seen where the baseline knows its class (on a route).
    on_route_seen: bool,
    /// The run of cells against the traffic ([`ScoreConfig::deviation_run_cells`]).
    course_run: CourseRun,
    /// AIS reception: time of the last position report, and reports heard
    /// and expected (from the reporting interval), both decaying with
    /// [`RECEPTION_TAU_S`].
    rx_last_ms: Option<i64>,
    rx_last_reports: u64,
    rx_heard: f64,
    rx_expected: f64,
    /// The coverage cell of its last position report.
    rx_cell: Option<(i32, i32)>,
}

/// Where AIS tracks end, learnt from live traffic ([`ScoreConfig::gap_edge_cell_deg`]):
/// per cell, vessels heard in it (each visit once) and vessels that went silent there for
/// good. Bounded by the area watched (≈ 40,000 cells for 20° × 20° at 0.1°).
#[derive(Debug, Default, Clone)]
struct CoverageEdges {
    visits: HashMap<(i32, i32), u32>,
    ends: HashMap<(i32, i32), u32>,
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

/// An AIS pilot, tug, rescue, patrol or other service vessel.
fn is_service(v: &Vessel) -> bool {
    v.mmsi != 0 && TrafficClass::from_ais(v.static_data.ship_type, v.class == AisClass::B) == TrafficClass::Service
}

/// Radius searched for AIS vessels that could explain a dark track, m.
const DARK_TARGET_SEARCH_M: f64 = 5_000.0;

/// Memory of the reception estimate, s.
const RECEPTION_TAU_S: f64 = 1800.0;
/// Expected reports behind a reception estimate before it is trusted.
const RECEPTION_MIN_EXPECTED: f64 = 20.0;

impl TrackMemory {
    /// Share of the expected position reports that were received, if enough were expected.
    fn reception(&self) -> Option<f64> {
        (self.rx_expected >= RECEPTION_MIN_EXPECTED).then(|| (self.rx_heard / self.rx_expected).min(1.0))
    }
}

/// The detectors and their memory.
#[derive(Debug, Default)]
pub struct Scorer {
    cfg: ScoreConfig,
    tracks: HashMap<TrackId, TrackMemory>,
    /// Since when each close, slow pair has been together, ms.
    /// (since, not slow or apart since): a radar track's speed and position
    /// are noisy, so a pair breaks only when one of them has been faster, or
    /// they have been apart, for `rendezvous_break_s`.
    pairs: Pairs,
    /// AIS vessels currently silent (alerted), with their last fix.
    gaps: BTreeMap<TrackId, Fix>,
    /// Time of the first batch observed, ms.
    started_ms: Option<i64>,
    /// The latest position jump finding per MMSI, repeated while it holds.
    jumps: BTreeMap<u32, Finding>,
    coverage: CoverageEdges,
}

impl Scorer {
    pub fn new(cfg: ScoreConfig) -> Self {
        Self { cfg, ..Default::default() }
    }

    /// Findings for what a batch changed, at `now_ms`.
    pub fn observe(
        &mut self,
        pic: &Picture,
        changes: &Changes,
        baseline: Option<&Baseline>,
        now_ms: i64,
    ) -> Vec<Finding> {
        let mut out = Vec::new();
        self.started_ms.get_or_insert(now_ms);
        for j in &changes.jumps {
            let mut evidence = BTreeMap::new();
            evidence.insert("from".into(), format!("{:.5},{:.5}", j.from.lat_deg, j.from.lon_deg));
            evidence.insert("to".into(), format!("{:.5},{:.5}", j.to.lat_deg, j.to.lon_deg));
            evidence.insert("implied_speed_kn".into(), format!("{:.0}", j.implied_kn));
            evidence.insert("interval_s".into(), format!("{:.0}", j.dt_s));
            out.push(Finding {
                kind: AlertKind::PositionJump,
                subject: Subject::Mmsi(j.mmsi),
                active: true,
                score: j.implied_kn / lookout_picture::JUMP_SPEED_KN,
                severity: Severity::Medium,
                pos: j.to,
                time_ms: j.at_ms,
                track_id: Some(j.track_id),
                mmsi: Some(j.mmsi),
                persons_on_board: None,
                explanation: format!(
                    "MMSI {} moved {:.1} nm in {:.0} s ({:.0} kn): shared, false or spoofed identity, or a false position",
                    j.mmsi,
                    j.distance_m / M_PER_NM,
                    j.dt_s,
                    j.implied_kn
                ),
                evidence,
            });
            self.jumps.insert(j.mmsi, out.last().cloned().expect("just pushed"));
        }
        // A jump is an event; the condition it shows (this identity's
        // positions cannot all be true) holds for `jump_hold_s` after it, so
        // the alert book's hysteresis sees it held, also for a position that
        // was off for only a few reports (out and back within a minute).
        let hold_ms = (self.cfg.jump_hold_s * 1000.0) as i64;
        self.jumps.retain(|_, f| now_ms - f.time_ms <= hold_ms);
        for key in &changes.changed {
            let Some(v) = pic.get_entity(*key) else {
                continue;
            };
            if let Some(f) = self.jumps.get(&v.mmsi).filter(|f| f.time_ms < now_ms && v.mmsi != 0) {
                out.push(Finding { time_ms: now_ms, ..f.clone() });
            }
            self.heard(v);
            self.gap_ended(v, now_ms, &mut out);
            self.dark_target(pic, v, now_ms, &mut out);
            self.overcrowded(v, now_ms, &mut out);
            self.loitering(v, baseline, now_ms, &mut out);
            self.deviation(v, baseline, &mut out);
            self.rendezvous(pic, v, baseline, now_ms, &mut out);
        }
        for r in &changes.removed {
            if let Some(mem) = self.tracks.remove(&r.track_id) {
                // An AIS vessel not heard for the picture's whole ageing time went
                // silent for good where it was last heard.
                if let (lookout_picture::RemovalReason::AgedOut, true, Some(cell)) =
                    (r.reason, r.mmsi != 0, mem.rx_cell)
                {
                    *self.coverage.ends.entry(cell).or_default() += 1;
                }
            }
            self.pairs.forget(r.track_id);
        }
        out
    }

    /// The coverage cell of a position.
    fn coverage_cell(&self, p: LatLon) -> (i32, i32) {
        let d = self.cfg.gap_edge_cell_deg;
        ((p.lat_deg / d).floor() as i32, (p.lon_deg / d).floor() as i32)
    }

    /// AIS tracks ending at `p` so far, if it is a learnt coverage edge (or port).
    fn coverage_edge(&self, p: LatLon) -> Option<u32> {
        let cell = self.coverage_cell(p);
        let ends = self.coverage.ends.get(&cell).copied().unwrap_or(0);
        let visits = self.coverage.visits.get(&cell).copied().unwrap_or(0).max(1);
        (ends >= self.cfg.gap_edge_min_ends && f64::from(ends) >= self.cfg.gap_edge_min_share * f64::from(visits))
            .then_some(ends)
    }

    /// Alerts that later data shows were not real: a dark track that turns out
    /// to be an AIS vessel (a late AIS report) retracts its DARK_TARGET alert.
    pub fn retractions(&self, changes: &Changes) -> Vec<(AlertKind, Subject, String)> {
        changes
            .removed
            .iter()
            .filter(|r| r.reason == lookout_picture::RemovalReason::Merged)
            .map(|r| {
                (AlertKind::DarkTarget, Subject::Track(r.track_id), "the track is an AIS vessel (merged)".to_string())
            })
            .collect()
    }

    /// AIS gaps, found as time passes: call every few seconds (each call
    /// scans the picture).
    pub fn tick(&mut self, pic: &Picture, baseline: Option<&Baseline>, now_ms: i64) -> Vec<Finding> {
        let mut out = Vec::new();
        let mut silent: Vec<&Vessel> = pic
            .vessels()
            .filter(|v| v.mmsi != 0 && v.fix.is_some())
            .filter(|v| {
                let silent_s = (now_ms - v.last_seen_ms) as f64 / 1000.0;
                silent_s > self.cfg.gap_min_s.max(self.cfg.gap_intervals * expected_interval_s(v))
            })
            .collect();
        silent.sort_by_key(|v| v.track_id);
        for v in silent {
            let Some(fix) = v.fix else { continue };
            // Silence is ordinary in a port or an anchorage, and for a vessel
            // that stopped where vessels stop (a learned rest area; a ship
            // under way through such a place is not resting there).
            let stopped = v.sog_kn.is_some_and(|s| f64::from(s) < self.cfg.loiter_max_kn);
            if self.cfg.zones.at_rest_place(fix.pos)
                || stopped && baseline.is_some_and(|b| b.is_rest_area(fix.pos.lat_deg, fix.pos.lon_deg))
            {
                continue;
            }
            let silent_s = (now_ms - v.last_seen_ms) as f64 / 1000.0;
            let now_pos = match (v.sog_kn, v.cog_deg) {
                (Some(s), Some(c)) => lookout_core::geodesy::dead_reckon(fix.pos, f64::from(c), f64::from(s), silent_s),
                _ => fix.pos,
            };
            // Where AIS tracks usually end (it sailed out of reach, or into a port
            // not configured as a zone), silence is what every ship does.
            if self.coverage_edge(fix.pos).is_some() || self.coverage_edge(now_pos).is_some() {
                continue;
            }
            // Its own reception before the silence.
            let Some(own) = self.tracks.get(&v.track_id).and_then(TrackMemory::reception) else {
                continue;
            };
            if own < self.cfg.gap_min_reception {
                continue;
            }
            // Others heard well near where it should be now.
            let recent_ms = now_ms - (self.cfg.gap_recent_s * 1000.0) as i64;
            let mut others: Vec<f64> = pic
                .near(&NearQuery {
                    center: now_pos,
                    radius_m: self.cfg.gap_coverage_m,
                    max_results: 1000,
                    filter: VesselFilter::default(),
                    now_ms,
                })
                .hits
                .iter()
                .filter(|h| h.vessel.mmsi != 0 && h.vessel.track_id != v.track_id && h.vessel.last_seen_ms >= recent_ms)
                .filter_map(|h| self.tracks.get(&h.vessel.track_id).and_then(TrackMemory::reception))
                .filter(|&p| p >= self.cfg.gap_min_reception)
                .collect();
            let heard = others.len();
            if heard < self.cfg.gap_min_heard {
                continue;
            }
            others.sort_by(f64::total_cmp);
            let there = others[others.len() / 2];
            let p = own.min(there);
            let missed = silent_s / expected_interval_s(v);
            let ln_p_silence = missed * (1.0 - p).max(1e-9).ln();
            if ln_p_silence > self.cfg.gap_max_p_silence.ln() {
                continue;
            }
            // Reported on every tick while the silence lasts, so the alert book's
            // hysteresis sees a condition that holds, not a single blip.
            self.gaps.entry(v.track_id).or_insert(fix);
            let silent_min = (now_ms - v.last_seen_ms) as f64 / 60_000.0;
            let mut evidence = BTreeMap::new();
            evidence.insert("silent_min".into(), format!("{silent_min:.0}"));
            evidence.insert("others_heard".into(), heard.to_string());
            evidence.insert("reception_before".into(), format!("{own:.2}"));
            evidence.insert("reception_nearby".into(), format!("{there:.2}"));
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
                explanation: format!(
                    "{} silent for {silent_min:.0} min away from port while {heard} vessels nearby are heard",
                    who(v)
                ),
                evidence,
            });
        }
        out
    }

    /// Counts a position report of an AIS vessel for its reception estimate.
    fn heard(&mut self, v: &Vessel) {
        let Some(fix) = v.fix.filter(|_| v.mmsi != 0) else {
            return;
        };
        let interval_s = expected_interval_s(v);
        let cell = self.coverage_cell(fix.pos);
        let mem = self.tracks.entry(v.track_id).or_default();
        if mem.rx_cell != Some(cell) {
            mem.rx_cell = Some(cell);
            *self.coverage.visits.entry(cell).or_default() += 1;
        }
        match mem.rx_last_ms {
            Some(last) if fix.at_ms > last => {
                // A batch may hold several reports of the vessel: count them
                // all (static data too, a few per cent more, harmlessly).
                let n = v.reports.saturating_sub(mem.rx_last_reports).max(1) as f64;
                let dt_s = (fix.at_ms - last) as f64 / 1000.0;
                let decay = (-dt_s / RECEPTION_TAU_S).exp();
                mem.rx_heard = mem.rx_heard * decay + n;
                mem.rx_expected = mem.rx_expected * decay + (dt_s / interval_s).max(1.0);
            }
            None => {}
            _ => return,
        }
        mem.rx_last_ms = Some(fix.at_ms);
        mem.rx_last_reports = v.reports;
    }

    /// In a port or an anchorage (configured zones), or where the baseline
    /// learned that vessels stop.
    fn at_rest(&self, baseline: Option<&Baseline>, p: LatLon) -> bool {
        self.cfg.zones.at_rest_place(p) || baseline.is_some_and(|b| b.is_rest_area(p.lat_deg, p.lon_deg))
    }

    /// A fishing vessel (AIS) on a configured fishing ground.
    fn fishing_here(&self, v: &Vessel, p: LatLon) -> bool {
        v.mmsi != 0
            && TrafficClass::from_ais(v.static_data.ship_type, v.class == AisClass::B) == TrafficClass::Fishing
            && self.cfg.zones.on_fishing_ground(p)
    }

    /// A silent vessel reports again: the alert gets the displacement and implied speed.
    fn gap_ended(&mut self, v: &Vessel, now_ms: i64, out: &mut Vec<Finding>) {
        let Some(before) = self.gaps.get(&v.track_id).copied() else {
            return;
        };
        let Some(after) = v.fix.filter(|f| f.at_ms > before.at_ms) else {
            return;
        };
        self.gaps.remove(&v.track_id);
        let d = lookout_core::geodesy::distance_m(before.pos, after.pos);
        let dt_s = (after.at_ms - before.at_ms) as f64 / 1000.0;
        let implied_kn = d / dt_s.max(1.0) / lookout_core::geodesy::MS_PER_KN;
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
            time_ms: now_ms,
            track_id: Some(v.track_id),
            mmsi: Some(v.mmsi),
            persons_on_board: pob(v),
            explanation: format!(
                "{} reappeared after {:.0} min silent, {:.1} nm from where it went quiet ({implied_kn:.1} kn implied)",
                who(v),
                dt_s / 60.0,
                d / M_PER_NM
            ),
            evidence,
        });
        out.push(inactive(AlertKind::AisGap, Subject::Track(v.track_id), after.pos, now_ms));
    }

    fn dark_target(&mut self, pic: &Picture, v: &Vessel, now_ms: i64, out: &mut Vec<Finding>) {
        if v.mmsi != 0 {
            return;
        }
        let Some(f) = v.fusion.as_ref() else { return };
        let hits: u32 = f.sensors.values().map(|s| s.hits).sum();
        let first_ms = *self.tracks.entry(v.track_id).or_default().first_ms.get_or_insert(now_ms);
        let age_s = (now_ms - first_ms) as f64 / 1000.0;
        let slow = v.sog_kn.is_none_or(|s| f64::from(s) < self.cfg.dark_target_slow_kn);
        let min_age_s = if slow { self.cfg.dark_target_slow_min_age_s } else { self.cfg.dark_target_min_age_s };
        let running_s = (now_ms - self.started_ms.unwrap_or(now_ms)) as f64 / 1000.0;
        // Where the tracker has mapped much clutter (rain cells, sea clutter
        // near a radar), clutter strung into a track is likelier: wait longer.
        let pos = v.fix.map_or(LatLon::new(0.0, 0.0), |x| x.pos);
        let cluttered = f
            .sensors
            .keys()
            .any(|s| pic.tracker().clutter_density(s, pos, now_ms) * 1e6 >= self.cfg.dark_target_clutter_per_km2);
        let min_age_s = if cluttered { min_age_s.max(self.cfg.dark_target_clutter_min_age_s) } else { min_age_s };
        if age_s < min_age_s
            || running_s < self.cfg.dark_target_warmup_s
            || v.sog_kn.is_some_and(|s| f64::from(s) > self.cfg.dark_target_max_kn)
        {
            return;
        }
        // Nearest AIS vessel within the search radius, for the explanation (m).
        let mut nearest_ais_m: Option<f64> = None;
        if let Some(fix) = v.fix {
            let sigma_t = pic.tracker().get(v.track_id).map_or(0.0, |t| t.position_sigma_m(now_ms));
            let near = pic.near(&NearQuery {
                center: fix.pos,
                radius_m: DARK_TARGET_SEARCH_M,
                max_results: 16,
                filter: VesselFilter::default(),
                now_ms,
            });
            let ais_here = near.hits.iter().any(|h| {
                let o = &h.vessel;
                if o.mmsi == 0 {
                    return false;
                }
                let age_s = (now_ms - o.fix.map_or(now_ms, |f| f.at_ms)).max(0) as f64 / 1000.0;
                let sigma_a = 20.0 + o.static_data.length_m().map_or(25.0, |l| l / 2.0) + 0.5 * age_s;
                h.distance_m < self.cfg.dark_target_ais_clear_m.max(4.0 * sigma_t.hypot(sigma_a))
            });
            if ais_here {
                return;
            }
            nearest_ais_m = near.hits.iter().filter(|h| h.vessel.mmsi != 0).map(|h| h.distance_m).reduce(f64::min);
        }
        let sensors: Vec<&str> = f.sensors.keys().map(|s| &**s).collect();
        let mut evidence = BTreeMap::new();
        evidence.insert("sensors".into(), sensors.join(","));
        evidence.insert("hits".into(), hits.to_string());
        evidence.insert("tracked_min".into(), format!("{:.0}", age_s / 60.0));
        let ais_clause = match nearest_ais_m {
            Some(d) => {
                evidence.insert("nearest_ais_m".into(), format!("{d:.0}"));
                format!("nearest AIS vessel {:.1} km away", d / 1000.0)
            }
            None => format!("no AIS vessel within {:.0} km", DARK_TARGET_SEARCH_M / 1000.0),
        };
        let (sog, cog) = (v.sog_kn.unwrap_or(0.0), v.cog_deg.unwrap_or(0.0));
        out.push(Finding {
            kind: AlertKind::DarkTarget,
            subject: Subject::Track(v.track_id),
            active: true,
            score: f64::from(hits).ln_1p(),
            severity: if f.pob.as_ref().is_some_and(|p| p.estimate >= 20) { Severity::High } else { Severity::Medium },
            pos: v.fix.map_or(LatLon::new(0.0, 0.0), |x| x.pos),
            time_ms: now_ms,
            track_id: Some(v.track_id),
            mmsi: None,
            persons_on_board: pob(v),
            explanation: format!(
                "no AIS: {hits} detections by {} over {:.0} min, {ais_clause}, heading {cog:03.0}° at {sog:.1} kn",
                sensors.join(", "),
                age_s / 60.0
            ),
            evidence,
        });
    }

    fn overcrowded(&self, v: &Vessel, now_ms: i64, out: &mut Vec<Finding>) {
        let Some(f) = v.fusion.as_ref() else { return };
        let Some(p) = f.pob.as_ref() else { return };
        let Some(cap) = p.safe_capacity else { return };
        if v.mmsi != 0 {
            // An AIS vessel: only people actually counted on it, not a class
            // prior from a sensor calling it a rubber or wooden boat (likely
            // another boat's look credited to it), and not a rescue, pilot or
            // patrol vessel (people on a SAR boat have been rescued).
            let class = TrafficClass::from_ais(v.static_data.ship_type, v.class == AisClass::B);
            if f.counts.is_empty() || class == TrafficClass::Service {
                return;
            }
        }
        let mut evidence = BTreeMap::new();
        evidence.insert("safe_capacity".into(), cap.to_string());
        evidence.insert("p_overcrowded".into(), format!("{:.2}", p.p_overcrowded.unwrap_or(0.0)));
        out.push(Finding {
            kind: AlertKind::Overcrowded,
            subject: Subject::Track(v.track_id),
            active: p.overcrowded,
            score: f64::from(p.estimate) / f64::from(cap.max(1)),
            severity: Severity::Critical,
            pos: v.fix.map_or(LatLon::new(0.0, 0.0), |x| x.pos),
            time_ms: now_ms,
            track_id: Some(v.track_id),
            mmsi: (v.mmsi != 0).then_some(v.mmsi),
            persons_on_board: pob(v),
            explanation: if p.looks > 0 {
                format!(
                    "about {} people on board ({}-{}, {} look{}), safe capacity {cap}: distress risk",
                    p.estimate,
                    p.low,
                    p.high,
                    p.looks,
                    if p.looks == 1 { "" } else { "s" }
                )
            } else {
                format!(
                    "~{} people on board by the class and length prior only ({}-{}, nobody has counted), \
                     safe capacity {cap}: distress risk",
                    p.estimate, p.low, p.high
                )
            },
            evidence,
        });
    }

    fn loitering(&mut self, v: &Vessel, baseline: Option<&Baseline>, now_ms: i64, out: &mut Vec<Finding>) {
        let Some(fix) = v.fix else { return };
        // Rescue, pilot and patrol vessels wait on station by trade.
        if is_service(v) {
            return;
        }
        let leisure = v.mmsi != 0
            && TrafficClass::from_ais(v.static_data.ship_type, v.class == AisClass::B) == TrafficClass::Leisure;
        let slow = v.sog_kn.is_some_and(|s| f64::from(s) < self.cfg.loiter_max_kn);
        let mem = self.tracks.entry(v.track_id).or_default();
        if !slow {
            if mem.slow_since_ms.take().is_some() {
                out.push(inactive(AlertKind::Loitering, Subject::Track(v.track_id), fix.pos, now_ms));
            }
            return;
        }
        let since = *mem.slow_since_ms.get_or_insert(fix.at_ms);
        let slow_s = (now_ms - since) as f64 / 1000.0;
        if slow_s < self.cfg.loiter_min_s {
            return;
        }
        // Where vessels routinely stop (ports, anchorages, fishing grounds), lingering is ordinary.
        let Some(b) = baseline else { return };
        // Outside the baseline's grid nothing is known of ordinary traffic: that is
        // "unknown", not "where traffic does not linger".
        if b.cell_of(fix.pos.lat_deg, fix.pos.lon_deg).is_none() {
            return;
        }
        if self.at_rest(baseline, fix.pos) || self.fishing_here(v, fix.pos) {
            return;
        }
        // Pleasure craft idle, anchor and fish off the coast, where pleasure craft go.
        // Far from anywhere one was seen, a yacht adrift for an hour is no pastime:
        // smugglers use yachts too.
        if leisure {
            let seen =
                b.class_minutes_near(fix.pos.lat_deg, fix.pos.lon_deg, &[TrafficClass::Leisure], LEISURE_RING_CELLS);
            if slow_s < self.cfg.loiter_leisure_min_s || seen.is_some_and(|m| m >= self.cfg.loiter_leisure_seen_min) {
                return;
            }
        }
        let s = b.score(&obs(v));
        if s.known && s.linger_rate > self.cfg.loiter_max_linger_rate {
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
            score: slow_s / self.cfg.loiter_min_s,
            severity: Severity::Medium,
            pos: fix.pos,
            time_ms: now_ms,
            track_id: Some(v.track_id),
            mmsi: (v.mmsi != 0).then_some(v.mmsi),
            persons_on_board: pob(v),
            explanation: format!(
                "{} at {:.1} kn for {:.0} min where traffic does not linger",
                who(v),
                v.sog_kn.unwrap_or(0.0),
                slow_s / 60.0
            ),
            evidence,
        });
    }

    fn deviation(&mut self, v: &Vessel, baseline: Option<&Baseline>, out: &mut Vec<Finding>) {
        let (Some(b), Some(fix)) = (baseline, v.fix) else {
            return;
        };
        let o = obs(v);
        let s = b.score(&o);
        let route_bound = v.mmsi != 0 && ROUTE_BOUND.contains(&o.class);
        let class_near = if route_bound {
            b.class_minutes_near(fix.pos.lat_deg, fix.pos.lon_deg, &ROUTE_BOUND, self.cfg.deviation_route_ring)
        } else {
            None
        };
        // In port, or steering for a port or anchorage close ahead: leaving
        // the route is how a voyage ends.
        let at_rest = self.cfg.zones.at_rest_place(fix.pos);
        let port_within =
            |m: f64| v.cog_deg.is_some_and(|c| self.cfg.zones.port_ahead(fix.pos, f64::from(c), m, 30.0).is_some());
        let in_port = at_rest || port_within(self.cfg.deviation_port_ahead_m);
        let mem = self.tracks.entry(v.track_id).or_default();
        mem.on_route_seen |= class_near.is_some_and(|m| m > 0.0);
        if route_bound {
            // Evidence for the class only (not the all-classes fallback: a
            // ferry down a lane is odd for ferries, not for ships).
            let has_course = o.sog_kn.is_some_and(|k| k >= 1.0) && o.cog_deg.is_some();
            let p = (s.known && s.level <= 2 && s.support >= self.cfg.deviation_min_support && has_course)
                .then_some(s.p_course);
            mem.course_run.observe(b.cell(fix.pos.lat_deg, fix.pos.lon_deg), p, self.cfg.deviation_run_reset_p);
        }
        let (run_cells, run_p, run_max_p) = mem.course_run.combined();
        let against_traffic = route_bound
            && run_cells >= self.cfg.deviation_run_cells
            && run_p < self.cfg.deviation_max_p_course
            && !at_rest
            && !port_within(self.cfg.deviation_run_port_ahead_m);
        let fast = v.sog_kn.is_some_and(|k| f64::from(k) >= self.cfg.deviation_min_kn);
        let lane = match (route_bound && fast, v.cog_deg) {
            (true, Some(c)) => self.cfg.zones.lane_against(fix.pos, f64::from(c), self.cfg.deviation_lane_off_deg),
            _ => None,
        };
        let surprising = !in_port
            && (s.known && s.surprise >= self.cfg.deviation_min_surprise
                || route_bound
                    && s.known
                    && s.level <= 1
                    && s.support >= self.cfg.deviation_min_support
                    && s.p_course < self.cfg.deviation_max_p_course);
        let off_route = !in_port && mem.on_route_seen && class_near == Some(0.0) && fast;
        if !(surprising || off_route || against_traffic || lane.is_some()) {
            if mem.unusual_reports >= self.cfg.deviation_reports {
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
        if mem.unusual_reports < self.cfg.deviation_reports || unusual_s < self.cfg.deviation_min_s {
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
                s.surprise.max(self.cfg.deviation_min_surprise)
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
            explanation,
            evidence,
        });
    }

    fn rendezvous(
        &mut self,
        pic: &Picture,
        v: &Vessel,
        baseline: Option<&Baseline>,
        now_ms: i64,
        out: &mut Vec<Finding>,
    ) {
        let Some(fix) = v.fix else { return };
        let max_kn = self.cfg.rendezvous_max_kn;
        // Slow by its reported (or filtered) speed alone.
        let reads_slow = |x: &Vessel| x.sog_kn.is_some_and(|s| f64::from(s) < max_kn);
        // A radar track's speed is an estimate from noisy plots: it is slow
        // when it could be below `max_kn` within two σ of its filter's speed
        // error (capped, so a track the filter knows little about does not
        // pass at any speed).
        let slow = |x: &Vessel| {
            let Some(sog) = x.sog_kn.map(f64::from) else {
                return false;
            };
            let sigma_kn = if x.mmsi == 0 {
                pic.tracker()
                    .get(x.track_id)
                    .map_or(0.0, |t| t.velocity_sigma_ms() / MS_PER_KN)
                    .min(RENDEZVOUS_MAX_SPEED_SIGMA_KN)
            } else {
                0.0
            };
            sog - 2.0 * sigma_kn < max_kn
        };
        let break_ms = (self.cfg.rendezvous_break_s * 1000.0) as i64;
        // Most reports come from vessels under way. One that is not slow can
        // start no pair, and a pair it is in breaks once it has been fast (or
        // apart) for `rendezvous_break_s`: no neighbour search is needed.
        // Service craft come alongside by trade (pilots board ships, tugs make
        // fast, patrol and rescue boats close the boats they inspect or
        // rescue): no meeting of theirs is a rendezvous.
        if !slow(v) || is_service(v) {
            self.pairs_apart(v.track_id, &[], fix.pos, now_ms, break_ms, out);
            return;
        }
        // "Away from port" needs to know where ports are: without a baseline
        // (learned rest areas) or a configured port or anchorage, every
        // harbour's moored ships would pair up by the hundred. Silent, as
        // loitering is without a baseline.
        if baseline.is_none() && !self.cfg.zones.has_rest_places() {
            return;
        }
        // A meeting lasts minutes (`rendezvous_min_s`, and the alert book
        // raises a minute after that): looking at one vessel's neighbours
        // more often than every `RENDEZVOUS_RECHECK_MS` learns nothing, and a
        // radar track updated every scan, or a slow ship reporting every
        // 10 s, would otherwise pay an R-tree search each time.
        let mem = self.tracks.entry(v.track_id).or_default();
        if mem.rendezvous_checked_ms.is_some_and(|t| now_ms - t < RENDEZVOUS_RECHECK_MS && now_ms >= t) {
            return;
        }
        mem.rendezvous_checked_ms = Some(now_ms);
        // A radar track's position is uncertain by hundreds of metres at long
        // range: "close" allows for twice the pair's combined position σ
        // (filtered, capped); for a radar track beside an AIS vessel, twice
        // the sensor's plot error if larger. Alongside a ship a boat's track
        // is pushed off by a plot error or two: the boat's plots nearest the
        // ship gate with the ship and go to it, the track gets the far ones
        // (0.4-0.6 nm off at radar noise ×2, where the filtered σ is ~150 m
        // and the plot error ~400 m). Two radar tracks have no such push,
        // and the wider test would pair a boat's duplicate tracks.
        let track = |x: &Vessel| {
            if x.mmsi == 0 {
                pic.tracker().get(x.track_id)
            } else {
                None
            }
        };
        let sigma = |x: &Vessel| track(x).map_or(0.0, |t| t.position_sigma_m(now_ms)).min(RENDEZVOUS_MAX_SIGMA_M);
        let plot_sigma = |x: &Vessel| {
            track(x).map_or(0.0, |t| t.position_sigma_m(now_ms).max(t.plot_error_m())).min(RENDEZVOUS_MAX_SIGMA_M)
        };
        // In a port or an anchorage, vessels lie together for honest reasons:
        // any pair this vessel was in has ended.
        if self.at_rest(baseline, fix.pos) {
            for other in self.pairs.partners(v.track_id) {
                let key = (v.track_id.min(other), v.track_id.max(other));
                self.pairs.remove(key);
                out.push(inactive(AlertKind::Rendezvous, Subject::pair(key.0, key.1), fix.pos, now_ms));
            }
            return;
        }
        let (sigma_v, plot_sigma_v) = (sigma(v), plot_sigma(v));
        let fishing_v = self.fishing_here(v, fix.pos);
        let max_m = self.cfg.rendezvous_max_m;
        let search_m = max_m + 2.0 * plot_sigma_v.hypot(RENDEZVOUS_MAX_SIGMA_M);
        let reach_m = |o: &Vessel| {
            max_m
                + 2.0
                    * match (v.mmsi == 0, o.mmsi == 0) {
                        (true, false) => plot_sigma_v,
                        (false, true) => plot_sigma(o),
                        _ => sigma_v.hypot(sigma(o)),
                    }
        };
        let mut partners: Vec<TrackId> = Vec::new();
        let near =
            pic.slow_near(fix.pos, search_m, max_kn + 2.0 * RENDEZVOUS_MAX_SPEED_SIGMA_KN, slow, now_ms, reach_m);
        let near = &near[..near.len().min(RENDEZVOUS_MAX_NEIGHBOURS)];
        // Two or more AIS fishing vessels here on a fishing ground: a pair
        // trawl (normal work). A radar track beside them is taken for their
        // echoes (and the net's between them), which a radar a plot error
        // wide cannot resolve from a third boat.
        let pair_trawl = near.iter().filter(|(x, _)| self.fishing_here(x, fix.pos)).count() >= 2;
        for &(o, distance_m) in near {
            if o.track_id == v.track_id || is_service(o) {
                continue;
            }
            let key = (v.track_id.min(o.track_id), v.track_id.max(o.track_id));
            // A radar track beside an AIS vessel is another boat only if the
            // tracker saw the two as two in the last minute (each took a detection of
            // its own, the track's one no AIS vessel could claim): otherwise
            // it may be a split echo of the ship, or a track of two close
            // ships' echoes, pushed off as far as a boat alongside would be.
            if let Some((dark, ship)) = match (v.mmsi, o.mmsi) {
                (0, m) if m != 0 => Some((v, o)),
                (m, 0) if m != 0 => Some((o, v)),
                _ => None,
            } {
                if pair_trawl && self.fishing_here(ship, fix.pos) {
                    continue;
                }
                let two = pic
                    .tracker()
                    .get(dark.track_id)
                    .is_some_and(|t| t.seen_apart_from(ship.mmsi, now_ms - SEEN_APART_KEEP_MS));
                if !two {
                    continue;
                }
            } else if !(reads_slow(v) && reads_slow(o)) {
                // The speed-error allowance is for a radar track beside an
                // AIS vessel, where the tracker's evidence of two boats
                // guards it; between two radar tracks (a boat's duplicate
                // tracks look like a meeting) both must read slow.
                continue;
            }
            partners.push(o.track_id);
            // Two fishing vessels on a fishing ground: pair trawling.
            if fishing_v && self.fishing_here(o, fix.pos) {
                if self.pairs.remove(key) {
                    out.push(inactive(AlertKind::Rendezvous, Subject::pair(key.0, key.1), fix.pos, now_ms));
                }
                continue;
            }
            let since = self.pairs.together(key, now_ms);
            let together_s = (now_ms - since) as f64 / 1000.0;
            if together_s < self.cfg.rendezvous_min_s {
                continue;
            }
            let mut evidence = BTreeMap::new();
            evidence.insert("distance_m".into(), format!("{distance_m:.0}"));
            evidence.insert("together_min".into(), format!("{:.0}", together_s / 60.0));
            evidence.insert("other_track_id".into(), o.track_id.to_string());
            let dark = v.mmsi == 0 || o.mmsi == 0;
            out.push(Finding {
                kind: AlertKind::Rendezvous,
                subject: Subject::pair(key.0, key.1),
                active: true,
                score: together_s / self.cfg.rendezvous_min_s,
                severity: if dark { Severity::High } else { Severity::Medium },
                pos: fix.pos,
                time_ms: now_ms,
                track_id: Some(v.track_id),
                mmsi: (v.mmsi != 0).then_some(v.mmsi).or((o.mmsi != 0).then_some(o.mmsi)),
                persons_on_board: pob(v).or(pob(o)),
                explanation: format!(
                    "{} and {} {distance_m:.0} m apart at low speed for {:.0} min away from port",
                    who(v),
                    who(o),
                    together_s / 60.0
                ),
                evidence,
            });
        }
        self.pairs_apart(v.track_id, &partners, fix.pos, now_ms, break_ms, out);
    }

    /// Pairs with `track` whose other vessel is not among `close` (slow and
    /// near it now) have been apart since now, or since earlier; after
    /// `break_ms` apart they have parted. Apart for a moment (a noisy radar
    /// plot, a speed blip) is not parted.
    fn pairs_apart(
        &mut self,
        track: TrackId,
        close: &[TrackId],
        pos: LatLon,
        now_ms: i64,
        break_ms: i64,
        out: &mut Vec<Finding>,
    ) {
        for other in self.pairs.partners(track) {
            if close.contains(&other) {
                continue;
            }
            let key = (track.min(other), track.max(other));
            if self.pairs.apart(key, now_ms) >= break_ms {
                self.pairs.remove(key);
                out.push(inactive(AlertKind::Rendezvous, Subject::pair(key.0, key.1), pos, now_ms));
            }
        }
    }
}

/// Close, slow pairs: since when each has been together, and since when it
/// has not been (one of them fast, or the two apart), if so; indexed by
/// track, so a report costs only its own vessel's pairs.
#[derive(Debug, Default)]
struct Pairs {
    since: BTreeMap<(TrackId, TrackId), (i64, Option<i64>)>,
    of: HashMap<TrackId, Vec<TrackId>>,
}

impl Pairs {
    /// The pair is close and slow now: since when it has been (ms).
    fn together(&mut self, key: (TrackId, TrackId), now_ms: i64) -> i64 {
        let entry = self.since.entry(key).or_insert_with(|| {
            self.of.entry(key.0).or_default().push(key.1);
            self.of.entry(key.1).or_default().push(key.0);
            (now_ms, None)
        });
        entry.1 = None;
        entry.0
    }

    /// The pair is not together now: for how long it has not been, ms.
    fn apart(&mut self, key: (TrackId, TrackId), now_ms: i64) -> i64 {
        self.since.get_mut(&key).map_or(0, |(_, apart)| now_ms - *apart.get_or_insert(now_ms))
    }

    /// Whether the pair was known.
    fn remove(&mut self, key: (TrackId, TrackId)) -> bool {
        if self.since.remove(&key).is_none() {
            return false;
        }
        for (a, b) in [(key.0, key.1), (key.1, key.0)] {
            if let Some(list) = self.of.get_mut(&a) {
                list.retain(|x| *x != b);
                if list.is_empty() {
                    self.of.remove(&a);
                }
            }
        }
        true
    }

    /// The tracks paired with `track`, in the order the pairs formed.
    fn partners(&self, track: TrackId) -> Vec<TrackId> {
        self.of.get(&track).cloned().unwrap_or_default()
    }

    /// Forgets a track that left the picture (its alert closes by the book's
    /// own timeout, as for any condition no longer reported).
    fn forget(&mut self, track: TrackId) {
        for other in self.partners(track) {
            self.remove((track.min(other), track.max(other)));
        }
    }
}

/// Nearest slow neighbours a rendezvous considers (itself included): in a
/// crowded anchorage nobody meets dozens of vessels at once, and without a
/// baseline or zones a port's moored ships must not make pairs by the hundred.
const RENDEZVOUS_MAX_NEIGHBOURS: usize = 16;

/// How often one slow vessel's neighbours are searched for a rendezvous, ms.
const RENDEZVOUS_RECHECK_MS: i64 = 30_000;

/// Largest radar-track position σ a rendezvous allows for, m.
const RENDEZVOUS_MAX_SIGMA_M: f64 = 500.0;

/// Largest radar-track speed σ a rendezvous allows for, kn: a track may read
/// up to twice this above `rendezvous_max_kn` and still count as slow.
const RENDEZVOUS_MAX_SPEED_SIGMA_KN: f64 = 1.0;

/// Classes that keep to routes (lanes, ferry routes): a ferry may take a
/// route other ferries do not, but not where no merchant ship, ferry or
/// high-speed craft goes.
const ROUTE_BOUND: [TrafficClass; 4] =
    [TrafficClass::Cargo, TrafficClass::Tanker, TrafficClass::Passenger, TrafficClass::HighSpeed];

fn inactive(kind: AlertKind, subject: Subject, pos: LatLon, time_ms: i64) -> Finding {
    Finding {
        kind,
        subject,
        active: false,
        score: 0.0,
        severity: Severity::Info,
        pos,
        time_ms,
        track_id: None,
        mmsi: None,
        persons_on_board: None,
        explanation: String::new(),
        evidence: BTreeMap::new(),
    }
}

/// The AIS report interval a vessel should keep, s (ITU-R M.1371-5 table 1):
/// class A by speed, class B by the CS rule; at anchor or moored 3 min.
fn expected_interval_s(v: &Vessel) -> f64 {
    let sog = v.sog_kn.map_or(0.0, f64::from);
    match v.class {
        AisClass::B => {
            if sog > 2.0 {
                30.0
            } else {
                180.0
            }
        }
        _ if matches!(v.nav_status, Some(1 | 5)) || sog < 3.0 => 180.0,
        _ if sog <= 14.0 => 10.0,
        _ if sog <= 23.0 => 6.0,
        _ => 2.0,
    }
}

fn pob(v: &Vessel) -> Option<PersonsOnBoard> {
    v.fusion.as_ref()?.pob.as_ref().map(|p| PersonsOnBoard {
        estimate: p.estimate,
        low: p.low,
        high: p.high,
        basis: if p.looks > 0 { crate::finding::PobBasis::Counted } else { crate::finding::PobBasis::Prior },
    })
}

fn who(v: &Vessel) -> String {
    match (v.mmsi, v.static_data.name.as_deref()) {
        (0, _) => format!("dark track {}", v.track_id),
        (m, Some(n)) => format!("{n} ({m})"),
        (m, None) => format!("MMSI {m}"),
    }
}

/// A vessel as the baseline sees it. The vessel must have a fix.
pub fn obs(v: &Vessel) -> TrafficObs {
    let fix = v.fix.expect("callers check the fix");
    let class = match (v.mmsi, v.fusion.as_ref().and_then(|f| f.vessel_class)) {
        (0, Some(c)) => TrafficClass::from(c),
        (0, None) => TrafficClass::SmallCraft,
        _ => TrafficClass::from_ais(v.static_data.ship_type, v.class == lookout_picture::AisClass::B),
    };
    TrafficObs {
        mmsi: v.mmsi,
        time_ms: fix.at_ms,
        lat_deg: fix.pos.lat_deg,
        lon_deg: fix.pos.lon_deg,
        sog_kn: v.sog_kn.map(f64::from),
        cog_deg: v.cog_deg.map(f64::from),
        class,
    }
}
