//! Scoring: turns the live picture into [`Finding`]s for the alert book.
//!
//! Each detector is a small unit behind the [`Detector`] trait, in a file of its
//! own with its own tests: it looks at what a batch changed (or, for silence,
//! at the passing of time) and says whether its condition holds for a subject.
//! The [`Scorer`] runs them in a fixed order and owns nothing else, so the
//! order of findings (and so the alerts) is the same live and replayed.
//! Synchronous and I/O-free: replaying the same recording gives the same findings.

mod ais_gap;
mod config;
mod dark_target;
mod deviation;
mod jump;
mod loitering;
mod overcrowded;
mod receivers;
mod rendezvous;
mod zones;

pub use config::ScoreConfig;
pub use loitering::LEISURE_RING_CELLS;
pub use receivers::{AisReceiverConfig, AisReceivers, Reach, RELIABLE_RANGE_SHARE};
pub use zones::{Zone, ZoneConfig, ZoneKind, Zones};

use std::collections::BTreeMap;

use crate::baseline::{Baseline, TrafficClass, TrafficObs};
use crate::finding::{AlertKind, Finding, Motion, PersonsOnBoard, PobBasis, Severity, Subject};
use lookout_core::geodesy::LatLon;
use lookout_picture::{AisClass, Changes, Picture, Removal, Vessel};

/// What every detector sees of the world at one moment.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub pic: &'a Picture,
    pub baseline: Option<&'a Baseline>,
    pub cfg: &'a ScoreConfig,
    /// The engine's clock (the input's own time, live or replayed), ms since the Unix epoch.
    pub now_ms: i64,
    /// When the detectors saw their first batch, ms since the Unix epoch.
    pub started_ms: i64,
}

impl Context<'_> {
    /// In a port or an anchorage (configured zones), or where the baseline
    /// learned that vessels stop.
    pub fn at_rest(&self, p: LatLon) -> bool {
        self.cfg.zones.at_rest_place(p) || self.baseline.is_some_and(|b| b.is_rest_area(p.lat_deg, p.lon_deg))
    }

    /// A fishing vessel (AIS) on a configured fishing ground.
    pub fn fishing_here(&self, v: &Vessel, p: LatLon) -> bool {
        v.mmsi != 0 && traffic_class(v) == TrafficClass::Fishing && self.cfg.zones.on_fishing_ground(p)
    }
}

/// One detector: a condition over the picture, with whatever memory it needs
/// (per track, per pair). The [`Scorer`] calls, for each batch: [`Detector::batch`]
/// once, [`Detector::vessel`] for every changed entity, [`Detector::forget`] for
/// every entity that left the picture; and [`Detector::tick`] as time passes.
pub trait Detector: std::fmt::Debug + Send + Sync {
    /// The alert kind it reports.
    fn kind(&self) -> AlertKind;

    /// Sees the batch's changes as a whole, before any vessel.
    fn batch(&mut self, _cx: &Context<'_>, _changes: &Changes, _out: &mut Vec<Finding>) {}

    /// Sees one vessel or track the batch changed.
    fn vessel(&mut self, cx: &Context<'_>, v: &Vessel, out: &mut Vec<Finding>);

    /// Sees the passing of time (conditions of silence).
    fn tick(&mut self, _cx: &Context<'_>, _out: &mut Vec<Finding>) {}

    /// An entity left the picture: drop what is kept about it.
    fn forget(&mut self, _removal: &Removal) {}

    /// Its alerts that the batch shows were never real, with the reason.
    fn retractions(&self, _changes: &Changes) -> Vec<(AlertKind, Subject, String)> {
        Vec::new()
    }
}

/// The detectors, run in a fixed order.
#[derive(Debug)]
pub struct Scorer {
    cfg: ScoreConfig,
    /// In the order their findings are reported for each vessel.
    detectors: Vec<Box<dyn Detector>>,
    /// Time of the first batch observed, ms.
    started_ms: Option<i64>,
}

impl Default for Scorer {
    fn default() -> Self {
        Self::new(ScoreConfig::default())
    }
}

impl Scorer {
    /// The seven detectors, with these thresholds.
    pub fn new(cfg: ScoreConfig) -> Self {
        let detectors: Vec<Box<dyn Detector>> = vec![
            Box::<jump::PositionJump>::default(),
            Box::<ais_gap::AisGap>::default(),
            Box::<dark_target::DarkTarget>::default(),
            Box::new(overcrowded::Overcrowded),
            Box::<loitering::Loitering>::default(),
            Box::<deviation::RouteDeviation>::default(),
            Box::<rendezvous::Rendezvous>::default(),
        ];
        Self { cfg, detectors, started_ms: None }
    }

    /// Puts new thresholds and zones in force from the next batch on (a reload).
    /// What the detectors remember of each vessel is kept: a reload does not
    /// restart a loitering clock or forget a gap.
    pub fn set_config(&mut self, cfg: ScoreConfig) {
        self.cfg = cfg;
    }

    /// The thresholds and zones in force.
    pub fn config(&self) -> &ScoreConfig {
        &self.cfg
    }

    fn context<'a>(&'a self, pic: &'a Picture, baseline: Option<&'a Baseline>, now_ms: i64) -> Context<'a> {
        Context { pic, baseline, cfg: &self.cfg, now_ms, started_ms: self.started_ms.unwrap_or(now_ms) }
    }

    /// Findings for what a batch changed, at `now_ms`.
    pub fn observe(
        &mut self,
        pic: &Picture,
        changes: &Changes,
        baseline: Option<&Baseline>,
        now_ms: i64,
    ) -> Vec<Finding> {
        self.started_ms.get_or_insert(now_ms);
        let mut detectors = std::mem::take(&mut self.detectors);
        let cx = self.context(pic, baseline, now_ms);
        let mut out = Vec::new();
        for d in &mut detectors {
            d.batch(&cx, changes, &mut out);
        }
        for key in &changes.changed {
            let Some(v) = pic.get_entity(*key) else {
                continue;
            };
            for d in &mut detectors {
                d.vessel(&cx, v, &mut out);
            }
        }
        for r in &changes.removed {
            for d in &mut detectors {
                d.forget(r);
            }
        }
        self.detectors = detectors;
        out
    }

    /// Alerts that later data shows were not real: a dark track that turns out
    /// to be an AIS vessel (a late AIS report) retracts its DARK_TARGET alert.
    pub fn retractions(&self, changes: &Changes) -> Vec<(AlertKind, Subject, String)> {
        self.detectors.iter().flat_map(|d| d.retractions(changes)).collect()
    }

    /// Conditions of silence (AIS gaps), found as time passes: call every few
    /// seconds (each call scans the picture).
    pub fn tick(&mut self, pic: &Picture, baseline: Option<&Baseline>, now_ms: i64) -> Vec<Finding> {
        let mut detectors = std::mem::take(&mut self.detectors);
        let cx = self.context(pic, baseline, now_ms);
        let mut out = Vec::new();
        for d in &mut detectors {
            d.tick(&cx, &mut out);
        }
        self.detectors = detectors;
        out
    }

    /// The alert kinds of the detectors, in the order they run.
    pub fn kinds(&self) -> Vec<AlertKind> {
        self.detectors.iter().map(|d| d.kind()).collect()
    }
}

/// The traffic class of an AIS vessel by its reported ship type and class.
fn traffic_class(v: &Vessel) -> TrafficClass {
    TrafficClass::from_ais(v.static_data.ship_type, v.class == AisClass::B)
}

/// An AIS pilot, tug, rescue, patrol or other service vessel.
fn is_service(v: &Vessel) -> bool {
    v.mmsi != 0 && traffic_class(v) == TrafficClass::Service
}

/// The finding that a condition no longer holds for a subject.
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
        motion: None,
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

/// The persons on board a finding carries, if the vessel has an estimate.
fn pob(v: &Vessel) -> Option<PersonsOnBoard> {
    v.fusion.as_ref()?.pob.as_ref().map(|p| PersonsOnBoard {
        estimate: p.estimate,
        low: p.low,
        high: p.high,
        basis: if p.looks > 0 { PobBasis::Counted } else { PobBasis::Prior },
    })
}

/// How an explanation names a vessel.
fn who(v: &Vessel) -> String {
    match (v.mmsi, v.static_data.name.as_deref()) {
        (0, _) => format!("dark track {}", v.track_id),
        (m, Some(n)) => format!("{n} ({m})"),
        (m, None) => format!("MMSI {m}"),
    }
}

/// The vessel's position, or (0, 0) for one without a fix.
fn position(v: &Vessel) -> LatLon {
    v.fix.map_or(LatLon::new(0.0, 0.0), |x| x.pos)
}

/// Course and speed over ground, when both are known.
fn motion(v: &Vessel) -> Option<Motion> {
    Some(Motion { cog_deg: f64::from(v.cog_deg?), sog_kn: f64::from(v.sog_kn?) })
}

/// A vessel as the baseline sees it. The vessel must have a fix.
pub fn obs(v: &Vessel) -> TrafficObs {
    let fix = v.fix.expect("callers check the fix");
    let class = match (v.mmsi, v.fusion.as_ref().and_then(|f| f.vessel_class)) {
        (0, Some(c)) => TrafficClass::from(c),
        (0, None) => TrafficClass::SmallCraft,
        _ => traffic_class(v),
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

/// A small sea for the detectors' unit tests: a picture fed AIS reports.
#[cfg(test)]
mod testkit {
    use super::*;
    use lookout_picture::{Kinematics, PictureConfig, Report, StaticUpdate};

    /// Open water in the Strait of Sicily.
    pub const HERE: LatLon = LatLon::new(35.2, 13.3);

    pub struct Sea {
        pub pic: Picture,
        pub cfg: ScoreConfig,
    }

    impl Sea {
        pub fn new(cfg: ScoreConfig) -> Self {
            Self { pic: Picture::new(&PictureConfig::default()), cfg }
        }

        /// A class A position report of `mmsi` at `t_ms`, kn and degrees.
        pub fn report(&mut self, t_ms: i64, mmsi: u32, p: LatLon, sog_kn: f32, cog_deg: f32) {
            let r = Report::Kinematic(Kinematics {
                mmsi,
                msg_type: 1,
                class: AisClass::A,
                pos: Some(p),
                sog_kn: Some(sog_kn),
                cog_deg: Some(cog_deg),
                heading_deg: None,
                nav_status: Some(0),
            });
            self.pic.apply(0, t_ms, t_ms, &r);
        }

        /// Static data: the ship type of `mmsi`.
        pub fn ship_type(&mut self, t_ms: i64, mmsi: u32, ship_type: u8) {
            let r = Report::Static(StaticUpdate {
                mmsi,
                msg_type: 5,
                ship_type: Some(ship_type),
                ..StaticUpdate::default()
            });
            self.pic.apply(0, t_ms, t_ms, &r);
        }

        pub fn vessel(&self, mmsi: u32) -> &Vessel {
            self.pic.get_entity(u64::from(mmsi)).expect("reported")
        }

        pub fn cx<'a>(&'a self, baseline: Option<&'a Baseline>, now_ms: i64, started_ms: i64) -> Context<'a> {
            Context { pic: &self.pic, baseline, cfg: &self.cfg, now_ms, started_ms }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seven_detectors_run_in_a_fixed_order() {
        use AlertKind::*;
        assert_eq!(
            Scorer::default().kinds(),
            [PositionJump, AisGap, DarkTarget, Overcrowded, Loitering, RouteDeviation, Rendezvous]
        );
    }

    #[test]
    fn report_intervals_follow_itu_r_m1371() {
        let mut sea = testkit::Sea::new(ScoreConfig::default());
        for (sog, want) in [(0.0, 180.0), (10.0, 10.0), (18.0, 6.0), (30.0, 2.0)] {
            sea.report(0, 247_000_001, testkit::HERE, sog, 90.0);
            assert_eq!(expected_interval_s(sea.vessel(247_000_001)), want, "{sog} kn");
        }
    }
}
