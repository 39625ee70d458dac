//! The live vessel picture: one [`Vessel`] per MMSI, current positions in an
//! `rstar` R-tree, and the spatial queries rescue coordinators and consoles use.
//!
//! Synchronous and I/O-free: the pipeline task owns the write side and passes
//! the clock in (`now_ms`), so replaying a recording gives the same picture.

mod area;
mod index;
mod near;
mod report;
mod vessel;

pub use area::{envelopes_around, Area, Envelope};
pub use near::{NearHit, NearQuery, NearResult, VesselFilter};
pub use report::{Kinematics, Report, StaticUpdate};
pub use vessel::{AisClass, Fix, Mmsi, ShipClass, SourceId, StaticData, Vessel};

use std::sync::Arc;

use ahash::AHashMap;

use crate::config::PictureConfig;
use crate::geodesy::LatLon;
use index::PositionIndex;

/// Counters of the picture itself (the sources count their own input).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PictureCounters {
    pub reports_applied: u64,
    /// Position reports older than the vessel's current position (out-of-order
    /// satellite data): their kinematics are not applied.
    pub stale_reports: u64,
    /// Reports whose time is too far ahead of the clock.
    pub future_reports: u64,
    /// MMSIs outside 1..=999_999_999.
    pub invalid_mmsi: u64,
    pub aged_out: u64,
}

/// What applying a report did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The vessel is new or changed; consoles should hear about it.
    Changed,
    /// Counted but not applied (stale, from the future, invalid MMSI).
    Ignored,
}

/// The live picture.
pub struct Picture {
    vessels: AHashMap<Mmsi, Vessel>,
    index: PositionIndex,
    max_age_ms: i64,
    max_future_ms: i64,
    dead_reckon_max_s: f64,
    counters: PictureCounters,
}

impl Picture {
    pub fn new(cfg: &PictureConfig) -> Self {
        Self {
            vessels: AHashMap::new(),
            index: PositionIndex::default(),
            max_age_ms: cfg.vessel_max_age.as_millis() as i64,
            max_future_ms: cfg.max_future.as_millis() as i64,
            dead_reckon_max_s: cfg.dead_reckon_max.as_secs_f64(),
            counters: PictureCounters::default(),
        }
    }

    /// Applies one report received at `at_ms` from `source`. `now_ms` is the
    /// pipeline's clock (wall clock live, recording time in replay).
    pub fn apply(&mut self, source: SourceId, at_ms: i64, now_ms: i64, report: &Report) -> Applied {
        let mmsi = report.mmsi();
        if mmsi == 0 || mmsi > 999_999_999 {
            self.counters.invalid_mmsi += 1;
            return Applied::Ignored;
        }
        if at_ms > now_ms + self.max_future_ms {
            self.counters.future_reports += 1;
            return Applied::Ignored;
        }
        let v = self.vessels.entry(mmsi).or_insert_with(|| Vessel::new(mmsi, at_ms));
        v.last_seen_ms = v.last_seen_ms.max(at_ms);
        v.last_source = source;
        v.last_msg_type = report.msg_type();
        v.reports += 1;
        if let Some(c) = report.class() {
            v.class = c;
        }
        match report {
            Report::Kinematic(k) => {
                if v.fix.is_some_and(|f| at_ms < f.at_ms) {
                    // An older report must not move the vessel backwards in time.
                    self.counters.stale_reports += 1;
                    return Applied::Ignored;
                }
                v.sog_kn = k.sog_kn;
                v.cog_deg = k.cog_deg;
                v.heading_deg = k.heading_deg;
                if k.nav_status.is_some() || v.class != AisClass::A {
                    v.nav_status = k.nav_status;
                }
                if let Some(pos) = k.pos {
                    v.fix = Some(Fix { pos, at_ms });
                    self.index.update(mmsi, pos);
                }
            }
            Report::Static(s) => s.apply_to(Arc::make_mut(&mut v.static_data), at_ms),
        }
        self.counters.reports_applied += 1;
        Applied::Changed
    }

    /// Removes vessels not heard for longer than the configured age; returns their MMSIs.
    pub fn expire(&mut self, now_ms: i64) -> Vec<Mmsi> {
        let cutoff = now_ms - self.max_age_ms;
        let old: Vec<Mmsi> =
            self.vessels.values().filter(|v| v.last_seen_ms < cutoff).map(|v| v.mmsi).collect();
        for mmsi in &old {
            self.vessels.remove(mmsi);
            self.index.remove(*mmsi);
        }
        self.counters.aged_out += old.len() as u64;
        old
    }

    pub fn get(&self, mmsi: Mmsi) -> Option<&Vessel> {
        self.vessels.get(&mmsi)
    }

    /// Number of vessels in the picture.
    pub fn len(&self) -> usize {
        self.vessels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vessels.is_empty()
    }

    /// Number of positions in the R-tree.
    pub fn indexed(&self) -> usize {
        self.index.len()
    }

    pub fn counters(&self) -> &PictureCounters {
        &self.counters
    }

    /// How far positions are dead-reckoned past the last report, seconds.
    pub fn dead_reckon_max_s(&self) -> f64 {
        self.dead_reckon_max_s
    }

    /// Vessels whose last reported position lies in `area`, in MMSI order
    /// (stable output for consoles and tests).
    pub fn in_area<'a>(&'a self, area: &Area, filter: &VesselFilter) -> Vec<&'a Vessel> {
        let mut out: Vec<&Vessel> = Vec::new();
        for env in area.envelopes() {
            for mmsi in self.index.in_envelope(env) {
                let Some(v) = self.vessels.get(&mmsi) else { continue };
                let Some(fix) = v.fix else { continue };
                if area.contains(fix.pos) && filter.accepts(v) {
                    out.push(v);
                }
            }
        }
        out.sort_unstable_by_key(|v| v.mmsi);
        // A vessel on the antimeridian can fall in both halves of a split box.
        out.dedup_by_key(|v| v.mmsi);
        out
    }

    /// Iterates every vessel (any order).
    pub fn vessels(&self) -> impl Iterator<Item = &Vessel> {
        self.vessels.values()
    }

    pub(crate) fn candidates_near(&self, center: LatLon, radius_m: f64) -> Vec<Mmsi> {
        let mut out = Vec::new();
        for env in envelopes_around(center, radius_m) {
            out.extend(self.index.in_envelope(env));
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pic() -> Picture {
        Picture::new(&PictureConfig::default())
    }

    fn pos(mmsi: Mmsi, lat: f64, lon: f64) -> Report<'static> {
        Report::Kinematic(Kinematics {
            mmsi,
            msg_type: 1,
            class: AisClass::A,
            pos: Some(LatLon::new(lat, lon)),
            sog_kn: Some(10.0),
            cog_deg: Some(90.0),
            heading_deg: Some(91),
            nav_status: Some(0),
        })
    }

    #[test]
    fn moves_are_reflected_in_the_index() {
        let mut p = pic();
        p.apply(0, 1_000, 1_000, &pos(1, 35.0, 12.0));
        let area = Area::bbox(34.9, 11.9, 35.1, 12.1).unwrap();
        assert_eq!(p.in_area(&area, &VesselFilter::default()).len(), 1);
        p.apply(0, 2_000, 2_000, &pos(1, 36.0, 13.0));
        assert!(p.in_area(&area, &VesselFilter::default()).is_empty());
        assert_eq!(p.indexed(), 1);
    }

    #[test]
    fn stale_reports_do_not_move_vessels_back() {
        let mut p = pic();
        p.apply(0, 10_000, 10_000, &pos(1, 35.0, 12.0));
        assert_eq!(p.apply(0, 5_000, 10_000, &pos(1, 36.0, 12.0)), Applied::Ignored);
        assert_eq!(p.get(1).unwrap().fix.unwrap().pos.lat_deg, 35.0);
        assert_eq!(p.counters().stale_reports, 1);
    }

    #[test]
    fn invalid_mmsi_and_future_times_are_counted() {
        let mut p = pic();
        assert_eq!(p.apply(0, 0, 0, &pos(0, 35.0, 12.0)), Applied::Ignored);
        assert_eq!(p.apply(0, 10_000_000, 0, &pos(5, 35.0, 12.0)), Applied::Ignored);
        assert_eq!(p.counters().invalid_mmsi, 1);
        assert_eq!(p.counters().future_reports, 1);
        assert!(p.is_empty());
    }

    #[test]
    fn vessels_age_out() {
        let mut p = pic();
        p.apply(0, 0, 0, &pos(1, 35.0, 12.0));
        p.apply(0, 20 * 60_000, 20 * 60_000, &pos(2, 35.0, 12.0));
        assert!(p.expire(29 * 60_000).is_empty());
        assert_eq!(p.expire(31 * 60_000), vec![1]);
        assert_eq!(p.len(), 1);
        assert_eq!(p.indexed(), 1);
    }

    #[test]
    fn reports_without_position_keep_the_last_fix() {
        let mut p = pic();
        p.apply(0, 0, 0, &pos(1, 35.0, 12.0));
        let Report::Kinematic(mut k) = pos(1, 0.0, 0.0) else { unreachable!() };
        k.pos = None;
        p.apply(0, 1_000, 1_000, &Report::Kinematic(k));
        assert_eq!(p.get(1).unwrap().fix.unwrap().pos, LatLon::new(35.0, 12.0));
        assert_eq!(p.get(1).unwrap().reports, 2);
    }
}
