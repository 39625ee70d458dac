//! The detectors' thresholds: the `[score]` section of the configuration.

use super::Zones;
use lookout_core::geodesy::M_PER_NM;

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
    /// [`super::loitering::LEISURE_RING_CELLS`] cells (far from where yachts go). One hour flagged a yacht
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
    /// tables, set by the service's configuration loader).
    #[serde(skip)]
    pub zones: Zones,
    /// AIS receiving stations (from the top-level `[[ais_receiver]]` tables, set by the
    /// service's configuration loader): with any, AIS_GAP is raised only for a vessel
    /// within [`super::RELIABLE_RANGE_SHARE`] of a station's range.
    #[serde(skip)]
    pub ais_receivers: super::AisReceivers,
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
            ais_receivers: super::AisReceivers::default(),
        }
    }
}
