//! Plain data of the live picture: what Lookout knows about one MMSI.

use std::sync::Arc;

use std::collections::BTreeMap;

use lookout_core::geodesy::LatLon;
use lookout_core::{AisClass, Mmsi, ShipClass, SourceId, TrackId, VesselClass};
use lookout_track::pob::PobEstimate;
use lookout_track::{CountSeen, SensorSeen};

/// What non-AIS sensors contributed to a vessel or track: who saw it, what
/// they judged it to be, the people they counted, and the resulting
/// persons-on-board estimate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fusion {
    pub sensors: BTreeMap<Arc<str>, SensorSeen>,
    pub vessel_class: Option<VesselClass>,
    /// Length as detection sensors measured it, metres.
    pub length_m: Option<f64>,
    pub counts: Vec<CountSeen>,
    pub pob: Option<PobEstimate>,
    /// Most recent sensor to see it.
    pub last_sensor: Option<Arc<str>>,
}

/// A valid reported position and when it was received (ms since the Unix epoch).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fix {
    pub pos: LatLon,
    pub at_ms: i64,
}

/// Static and voyage data (AIS types 5, 19, 24). Every field is optional
/// because class B sends it in two halves and many transponders leave fields
/// blank.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StaticData {
    pub name: Option<Box<str>>,
    pub callsign: Option<Box<str>>,
    pub imo: Option<u32>,
    /// Raw ITU-R M.1371 ship and cargo type (1..99).
    pub ship_type: Option<u8>,
    pub to_bow_m: Option<u16>,
    pub to_stern_m: Option<u16>,
    pub to_port_m: Option<u16>,
    pub to_starboard_m: Option<u16>,
    pub destination: Option<Box<str>>,
    /// Draught in decimetres, as transmitted.
    pub draught_dm: Option<u8>,
    /// Receive time of the last static message (ms since epoch).
    pub updated_ms: Option<i64>,
}

impl StaticData {
    /// Overall length in metres, when both bow and stern distances are known.
    pub fn length_m(&self) -> Option<f64> {
        Some(f64::from(self.to_bow_m?) + f64::from(self.to_stern_m?))
    }
    /// Beam in metres, when both side distances are known.
    pub fn beam_m(&self) -> Option<f64> {
        Some(f64::from(self.to_port_m?) + f64::from(self.to_starboard_m?))
    }
    pub fn ship_class(&self) -> ShipClass {
        self.ship_type.map(ShipClass::from_ais).unwrap_or(ShipClass::Unknown)
    }
}

/// Everything known about one MMSI.
#[derive(Debug, Clone, PartialEq)]
pub struct Vessel {
    /// 0 for a track no AIS report explains (a dark target).
    pub mmsi: Mmsi,
    pub track_id: TrackId,
    pub class: AisClass,
    /// Last valid position; `None` until one arrives.
    pub fix: Option<Fix>,
    pub sog_kn: Option<f32>,
    /// Course over ground, degrees true.
    pub cog_deg: Option<f32>,
    /// True heading, degrees.
    pub heading_deg: Option<u16>,
    /// Navigational status 0..14 (class A).
    pub nav_status: Option<u8>,
    /// Shared so that publishing a vessel update to consoles copies a pointer,
    /// not the strings; replaced copy-on-write when a static message arrives.
    pub static_data: Arc<StaticData>,
    /// Receive time of the newest report of any kind (ms since epoch).
    pub last_seen_ms: i64,
    pub last_source: SourceId,
    pub last_msg_type: u8,
    /// Reports applied to this vessel.
    pub reports: u64,
    /// Non-AIS sensor contributions; `None` for a vessel only AIS has seen.
    pub fusion: Option<Arc<Fusion>>,
}

impl Vessel {
    pub(crate) fn new(mmsi: Mmsi, track_id: TrackId, now_ms: i64) -> Self {
        Self {
            mmsi,
            track_id,
            class: AisClass::Unknown,
            fix: None,
            sog_kn: None,
            cog_deg: None,
            heading_deg: None,
            nav_status: None,
            static_data: Arc::default(),
            last_seen_ms: now_ms,
            last_source: 0,
            last_msg_type: 0,
            reports: 0,
            fusion: None,
        }
    }

    /// Length in metres: from AIS static data, else as sensors measured it.
    pub fn length_m(&self) -> Option<f64> {
        self.static_data.length_m().or_else(|| self.fusion.as_ref().and_then(|f| f.length_m))
    }

    /// True when the vessel reports a speed of at least [`lookout_core::geodesy::MOVING_MIN_KN`].
    pub fn is_moving(&self) -> bool {
        self.sog_kn.is_some_and(|s| f64::from(s) >= lookout_core::geodesy::MOVING_MIN_KN)
    }

    /// Position dead-reckoned to `now_ms`, extrapolating at most `max_s` seconds.
    /// Without a course or speed the reported position is returned.
    pub fn position_at(&self, now_ms: i64, max_s: f64) -> Option<LatLon> {
        let fix = self.fix?;
        let elapsed_s = reckoned_s(fix, now_ms, max_s);
        match (self.sog_kn, self.cog_deg) {
            (Some(sog), Some(cog)) if self.is_moving() => {
                Some(lookout_core::geodesy::dead_reckon(fix.pos, f64::from(cog), f64::from(sog), elapsed_s))
            }
            _ => Some(fix.pos),
        }
    }

    /// How far (metres) [`Vessel::position_at`] can carry the vessel from its fix by
    /// `now_ms`: at most its speed over the time it extrapolates. 0 without a fix or speed.
    pub fn reckon_reach_m(&self, now_ms: i64, max_s: f64) -> f64 {
        match (self.fix, self.sog_kn) {
            (Some(fix), Some(sog)) => {
                f64::from(sog).max(0.0) * lookout_core::geodesy::MS_PER_KN * reckoned_s(fix, now_ms, max_s)
            }
            _ => 0.0,
        }
    }
}

/// Seconds dead reckoning extrapolates a fix to `now_ms`: none before the fix, at most `max_s`.
fn reckoned_s(fix: Fix, now_ms: i64, max_s: f64) -> f64 {
    ((now_ms - fix.at_ms) as f64 / 1000.0).clamp(0.0, max_s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimensions_need_both_halves() {
        let s = StaticData { to_bow_m: Some(100), ..Default::default() };
        assert_eq!(s.length_m(), None);
        let s = StaticData { to_bow_m: Some(100), to_stern_m: Some(20), ..Default::default() };
        assert_eq!(s.length_m(), Some(120.0));
    }
}
