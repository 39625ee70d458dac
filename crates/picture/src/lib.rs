//! The live vessel picture: one [`Vessel`] per MMSI, current positions in an
//! `rstar` R-tree, and the spatial queries rescue coordinators and consoles use.
//!
//! Synchronous and I/O-free: the pipeline task owns the write side and passes
//! the clock in (`now_ms`), so replaying a recording gives the same picture.

mod area;
mod fusion;
mod index;
mod near;
mod report;
mod vessel;

pub use area::{envelopes_around, Area, BandedPolygon, Envelope};
pub use index::EntityKey;
pub use lookout_core::{AisClass, Mmsi, ShipClass, SourceId, TrackId};
pub use near::{NearHit, NearQuery, NearResult, VesselFilter};
pub use report::{Kinematics, Report, StaticUpdate};
pub use vessel::{Fix, Fusion, StaticData, Vessel};

use std::time::Duration;

/// Track ids of non-AIS tracks start here, so they can never be mistaken for
/// an MMSI (at most 999,999,999) nor meet the ids given to AIS vessels.
pub const FIRST_DARK_TRACK_ID: TrackId = 1_000_000_000_000;

use std::sync::Arc;

use ahash::AHashMap;

use index::PositionIndex;
use lookout_ais::{Observation, Payload};
use lookout_core::{Detection, LatLon};
use lookout_track::{Tracker, TrackerConfig, SEEN_APART_KEEP_MS};

/// The live vessel picture.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PictureConfig {
    /// A vessel not heard for this long leaves the picture.
    #[serde(with = "humantime_serde")]
    pub vessel_max_age: Duration,
    /// Positions are dead-reckoned at most this far past the last report:
    /// beyond it, extrapolating a course is guesswork, so the position is held.
    #[serde(with = "humantime_serde")]
    pub dead_reckon_max: Duration,
    /// Reports whose receive time is further than this ahead of the clock are
    /// refused (a receiver with a wrong clock must not pin a vessel in the future).
    #[serde(with = "humantime_serde")]
    pub max_future: Duration,
    /// Most AIS vessels (MMSIs) the picture holds. At the cap a report from a
    /// new MMSI is refused (counted as `vessels_refused_at_cap`, logged with
    /// the stats) while every vessel already held goes on updating, so a feed
    /// inventing MMSIs cannot grow memory without bound. Vessels that age out
    /// make room again.
    pub max_vessels: usize,
}

/// Default [`PictureConfig::max_vessels`]: several times the ~100,000 AIS
/// vessels a national network hears in a day; about 600 MB at the measured
/// 119 MB per 200,000 vessels.
pub const DEFAULT_MAX_VESSELS: usize = 1_000_000;

impl PictureConfig {
    /// What is wrong with this section, each problem naming its key.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.vessel_max_age.is_zero() {
            out.push("picture.vessel_max_age must be > 0".into());
        }
        if self.max_vessels == 0 {
            out.push("picture.max_vessels must be > 0".into());
        }
        out
    }
}

impl Default for PictureConfig {
    fn default() -> Self {
        Self {
            vessel_max_age: Duration::from_secs(30 * 60),
            dead_reckon_max: Duration::from_secs(5 * 60),
            max_future: Duration::from_secs(5 * 60),
            max_vessels: DEFAULT_MAX_VESSELS,
        }
    }
}

/// Counters of the picture itself (the sources count their own input).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PictureCounters {
    pub reports_applied: u64,
    /// Position reports older than the vessel's current position (out-of-order
    /// satellite data): their kinematics are not applied.
    pub stale_reports: u64,
    /// Reports whose time is too far ahead of the clock (refused).
    pub future_reports: u64,
    /// AIS messages stamped ahead of the clock (within `max_future`) that
    /// were held until the clock reached their time, rather than applied at
    /// once (where one would have made every true report "stale" until then).
    pub held_future: u64,
    /// MMSIs outside 1..=999_999_999.
    pub invalid_mmsi: u64,
    /// Reports from a new MMSI refused because `max_vessels` were held.
    pub vessels_refused_at_cap: u64,
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

/// Why something left the picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalReason {
    /// Not heard for longer than the configured age.
    AgedOut,
    /// A non-AIS track lost: no detection for several revisits.
    TrackDeleted,
    /// A non-AIS track found to be an AIS vessel and merged into it.
    Merged,
}

/// A vessel or track that left the picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Removal {
    pub mmsi: Mmsi,
    pub track_id: TrackId,
    pub reason: RemovalReason,
}

/// What a batch changed: entities to re-publish and entities gone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    pub changed: Vec<EntityKey>,
    pub removed: Vec<Removal>,
    /// AIS positions that imply a speed no vessel reaches (see [`Jump`]).
    pub jumps: Vec<Jump>,
}

/// Reports faster than this (knots) from the previous fix are recorded as
/// jumps: no surface vessel sustains it, so the identity is shared, false or
/// spoofed, or the position is wrong.
pub const JUMP_SPEED_KN: f64 = 60.0;

/// Longest delay, s, by which reports received out of order are still recognised as such
/// (see [`on_own_track`]): satellite AIS is relayed minutes after it was sent, and a real
/// jump of a few nautical miles along a ship's own course is more than this at any
/// ordinary speed.
pub const LATE_REPORT_MAX_S: f64 = 600.0;

/// Where a report that would be a jump lies on the vessel's own course.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OwnTrack {
    /// Behind the last fix: the report itself came late (stale).
    Behind,
    /// Ahead of it: the last fix came late, this one is where the ship is.
    Ahead,
}

/// Whether a report that would be a jump from `prev` is the vessel's own, received out
/// of order: its position lies on its own course line through `prev` (within 500 m or 15 %
/// of the distance either side), within [`LATE_REPORT_MAX_S`] of sailing at its own
/// speed, behind or ahead. Real satellite AIS (exactEarth's relay of 2012,
/// `tests/offline/real_injected.rs`) is timed by when a relay passed a report on, not
/// when the ship sent it, so a ship's reports come out of order by receive time: 47
/// POSITION_JUMP alerts in 242 vessel-hours, ships seemingly sailing back and forth along
/// their wake. Those are timing, not a shared or false identity; a false position off
/// the ship's course, or further than that along it, is still a jump.
fn on_own_track(prev: Fix, pos: LatLon, at_ms: i64, sog_kn: Option<f32>, cog_deg: Option<f32>) -> Option<OwnTrack> {
    let d = lookout_core::geodesy::flat::distance_m(pos, prev.pos);
    let dt_s = ((at_ms - prev.at_ms) as f64 / 1000.0).max(1.0);
    if d / dt_s / lookout_core::geodesy::MS_PER_KN <= JUMP_SPEED_KN || d <= 1000.0 {
        return None;
    }
    let (sog, cog) = (f64::from(sog_kn?), f64::from(cog_deg?));
    if sog < 2.0 {
        return None;
    }
    // `prev` from `pos` on a plane tangent at `pos`: east, north metres.
    let north = (prev.pos.lat_deg - pos.lat_deg) * lookout_core::geodesy::flat::M_PER_DEG;
    let dlon = (prev.pos.lon_deg - pos.lon_deg + 540.0).rem_euclid(360.0) - 180.0;
    let east = dlon * lookout_core::geodesy::flat::M_PER_DEG * pos.lat_deg.to_radians().cos();
    let (s, c) = cog.to_radians().sin_cos();
    let along = east * s + north * c;
    let across = (east * c - north * s).abs();
    let on_line = across <= (0.15 * along.abs()).max(500.0)
        && along.abs() / (sog * lookout_core::geodesy::MS_PER_KN) <= LATE_REPORT_MAX_S;
    match (on_line, along > 0.0) {
        (false, _) => None,
        (true, true) => Some(OwnTrack::Behind),
        (true, false) => Some(OwnTrack::Ahead),
    }
}

/// A position report implying an impossible speed from the vessel's previous fix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Jump {
    pub mmsi: Mmsi,
    pub track_id: TrackId,
    pub from: LatLon,
    pub to: LatLon,
    pub at_ms: i64,
    pub dt_s: f64,
    pub distance_m: f64,
    pub implied_kn: f64,
}

/// AIS messages stamped at most this far ahead of the clock, ms, are applied
/// at once: receivers' clocks and the service's disagree by a second or two.
pub const FUTURE_TOLERANCE_MS: i64 = 2_000;
/// At most this many AIS messages stamped ahead of the clock are held for
/// their time; beyond it they are refused (counted as `future_reports`), so a
/// feed with a wrong clock cannot grow memory without bound.
pub const MAX_HELD_FUTURE: usize = 65_536;

/// The live picture.
pub struct Picture {
    vessels: AHashMap<Mmsi, Vessel>,
    /// Confirmed non-AIS tracks, as vessel records with `mmsi` 0, by track id.
    dark: AHashMap<TrackId, Vessel>,
    /// Next track id for an AIS vessel (they count up from 1; non-AIS tracks
    /// from [`FIRST_DARK_TRACK_ID`]).
    next_ais_track_id: TrackId,
    index: PositionIndex,
    max_age_ms: i64,
    max_future_ms: i64,
    dead_reckon_max_s: f64,
    max_vessels: usize,
    counters: PictureCounters,
    tracker: Tracker,
    /// Jumps seen since the last batch was returned.
    jumps: Vec<Jump>,
    /// AIS messages stamped ahead of the clock, by (time, arrival order),
    /// applied when the clock reaches them.
    held: std::collections::BTreeMap<(i64, u64), Observation>,
    held_seq: u64,
    /// AIS vessels with a valid position (a report with an invalid position
    /// makes a record, but not a vessel anyone can find).
    positioned: usize,
}

impl Picture {
    /// A picture with the default tracker settings.
    pub fn new(cfg: &PictureConfig) -> Self {
        Self::with_tracker(cfg, TrackerConfig::default())
    }

    pub fn with_tracker(cfg: &PictureConfig, tracker: TrackerConfig) -> Self {
        Self {
            tracker: Tracker::new(tracker),
            jumps: Vec::new(),
            held: std::collections::BTreeMap::new(),
            held_seq: 0,
            positioned: 0,
            vessels: AHashMap::new(),
            dark: AHashMap::new(),
            next_ais_track_id: 1,
            index: PositionIndex::default(),
            max_age_ms: cfg.vessel_max_age.as_millis() as i64,
            max_future_ms: cfg.max_future.as_millis() as i64,
            dead_reckon_max_s: cfg.dead_reckon_max.as_secs_f64(),
            max_vessels: cfg.max_vessels,
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
        // The lookup only at the cap: below it, the entry below does the one lookup.
        if self.vessels.len() >= self.max_vessels && !self.vessels.contains_key(&mmsi) {
            self.counters.vessels_refused_at_cap += 1;
            return Applied::Ignored;
        }
        let next_id = &mut self.next_ais_track_id;
        let v = self.vessels.entry(mmsi).or_insert_with(|| {
            *next_id += 1;
            Vessel::new(mmsi, *next_id - 1, at_ms)
        });
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
                let on_own_track = match (v.fix, k.pos) {
                    (Some(prev), Some(p)) => on_own_track(prev, p, at_ms, k.sog_kn, k.cog_deg),
                    _ => None,
                };
                if on_own_track == Some(OwnTrack::Behind) {
                    // Older by what it says, not by when it came: stale all the same.
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
                    if let Some(prev) = v.fix {
                        let dt_s = (at_ms - prev.at_ms) as f64 / 1000.0;
                        // A local flat-earth distance: this runs on every report,
                        // and a 60 kn threshold needs no geodesic precision.
                        let d = lookout_core::geodesy::flat::distance_m(prev.pos, pos);
                        // Two reports in the same second are judged over one second:
                        // receive times are often whole seconds.
                        let implied_kn = d / dt_s.max(1.0) / lookout_core::geodesy::MS_PER_KN;
                        // Ahead on its own course: the previous report came late.
                        if implied_kn > JUMP_SPEED_KN && d > 1000.0 && on_own_track.is_none() {
                            self.jumps.push(Jump {
                                mmsi,
                                track_id: v.track_id,
                                from: prev.pos,
                                to: pos,
                                at_ms,
                                dt_s,
                                distance_m: d,
                                implied_kn,
                            });
                        }
                    }
                    self.positioned += usize::from(v.fix.is_none());
                    v.fix = Some(Fix { pos, at_ms });
                    self.index.update(EntityKey::from(mmsi), pos);
                }
            }
            Report::Static(s) => s.apply_to(Arc::make_mut(&mut v.static_data), at_ms),
        }
        self.counters.reports_applied += 1;
        Applied::Changed
    }

    /// Applies a batch of observations (AIS reports and detections) at
    /// `now_ms`; returns what changed, in a deterministic order. AIS messages
    /// stamped ahead of the clock (beyond [`FUTURE_TOLERANCE_MS`], within
    /// `max_future`) are held and applied once the clock reaches their time:
    /// a report from the future must not make the present look stale.
    pub fn apply_batch(&mut self, batch: &[Observation], now_ms: i64) -> Changes {
        let mut changes = Changes::default();
        self.release_held(now_ms, &mut changes);
        let mut dets: Vec<Detection> = Vec::new();
        for obs in batch {
            match &obs.payload {
                Payload::Ais(_) if obs.at_ms > now_ms + FUTURE_TOLERANCE_MS => self.hold(obs, now_ms),
                Payload::Ais(msg) => self.apply_ais(obs, msg, now_ms, &mut changes),
                Payload::Detection(d) => {
                    if d.time_ms > now_ms + self.max_future_ms {
                        self.counters.future_reports += 1;
                    } else {
                        dets.push((**d).clone());
                    }
                }
            }
        }
        // Detections after the batch's AIS reports, so they are compared with
        // the freshest AIS positions.
        self.apply_detections(&dets, now_ms, &mut changes);
        self.finish_changes(&mut changes);
        changes
    }

    /// Applies the held AIS messages whose time has come (as time passes
    /// with no input); returns what changed.
    pub fn release_due(&mut self, now_ms: i64) -> Changes {
        let mut changes = Changes::default();
        self.release_held(now_ms, &mut changes);
        self.finish_changes(&mut changes);
        changes
    }

    fn release_held(&mut self, now_ms: i64, changes: &mut Changes) {
        while let Some(entry) = self.held.first_entry() {
            if entry.key().0 > now_ms + FUTURE_TOLERANCE_MS {
                break;
            }
            let obs = entry.remove();
            if let Payload::Ais(msg) = &obs.payload {
                self.apply_ais(&obs, msg, now_ms, changes);
            }
        }
    }

    fn hold(&mut self, obs: &Observation, now_ms: i64) {
        if obs.at_ms > now_ms + self.max_future_ms || self.held.len() >= MAX_HELD_FUTURE {
            self.counters.future_reports += 1;
            return;
        }
        self.counters.held_future += 1;
        self.held.insert((obs.at_ms, self.held_seq), obs.clone());
        self.held_seq += 1;
    }

    fn apply_ais(
        &mut self,
        obs: &Observation,
        msg: &lookout_ais::decode::AisMessage,
        now_ms: i64,
        changes: &mut Changes,
    ) {
        Report::from_ais(msg, |r| {
            if self.apply(obs.source, obs.at_ms, now_ms, &r) == Applied::Changed {
                changes.changed.push(EntityKey::from(r.mmsi()));
            }
        })
    }

    /// One update per entity per batch (consoles get its latest state), and
    /// the jumps seen.
    fn finish_changes(&mut self, changes: &mut Changes) {
        changes.changed.sort_unstable();
        changes.changed.dedup();
        changes.jumps.append(&mut self.jumps);
    }

    /// AIS messages held until the clock reaches their time.
    pub fn held_future(&self) -> usize {
        self.held.len()
    }

    /// Removes vessels not heard for longer than the configured age.
    pub fn expire(&mut self, now_ms: i64) -> Vec<Removal> {
        let cutoff = now_ms - self.max_age_ms;
        let mut old: Vec<Removal> = self
            .vessels
            .values()
            .filter(|v| v.last_seen_ms < cutoff)
            .map(|v| Removal { mmsi: v.mmsi, track_id: v.track_id, reason: RemovalReason::AgedOut })
            .collect();
        old.sort_unstable_by_key(|r| r.track_id);
        for r in &old {
            if self.vessels.remove(&r.mmsi).is_some_and(|v| v.fix.is_some()) {
                self.positioned -= 1;
            }
            self.index.remove(EntityKey::from(r.mmsi));
        }
        self.counters.aged_out += old.len() as u64;
        self.expire_tracks(now_ms, &mut old);
        old
    }

    // What the detectors and the service's statistics need to know of the
    // non-AIS tracks, answered here so that nothing downstream depends on the
    // tracker's types: the tracker stays an implementation detail of the
    // picture.

    /// Non-AIS tracks the tracker holds, tentative and confirmed (a
    /// confirmed one is also a dark track or folded into an AIS vessel).
    pub fn track_count(&self) -> usize {
        self.tracker.len()
    }

    /// Detections that started no track because the tracker held its
    /// `max_tracks` (a running count).
    pub fn tracks_refused_at_cap(&self) -> u64 {
        self.tracker.refused_at_cap()
    }

    /// One-sigma position uncertainty of non-AIS track `track_id` predicted
    /// to `t_ms`, metres (the semi-major axis of its error ellipse); `None`
    /// if the tracker holds no such track (an AIS vessel's id, or a track
    /// since deleted).
    pub fn track_position_sigma_m(&self, track_id: TrackId, t_ms: i64) -> Option<f64> {
        self.tracker.get(track_id).map(|t| t.position_sigma_m(t_ms))
    }

    /// One-sigma speed uncertainty of non-AIS track `track_id` (largest
    /// axis), m/s; `None` if the tracker holds no such track.
    pub fn track_speed_sigma_ms(&self, track_id: TrackId) -> Option<f64> {
        self.tracker.get(track_id).map(|t| t.velocity_sigma_ms())
    }

    /// The position error (one sigma, metres) the sensor stated for the
    /// latest detection of non-AIS track `track_id`: how far one plot of
    /// the boat may lie from it. `None` if the tracker holds no such track.
    pub fn track_plot_error_m(&self, track_id: TrackId) -> Option<f64> {
        self.tracker.get(track_id).map(|t| t.plot_error_m())
    }

    /// Whether non-AIS track `track_id` and AIS vessel `mmsi` were seen as
    /// two boats in the minute before `now_ms` ([`SEEN_APART_KEEP_MS`], all
    /// the tracker remembers): in one scan each took a detection of its own,
    /// the track's one claimed by no AIS vessel. False for an unknown track.
    pub fn track_seen_apart_from(&self, track_id: TrackId, mmsi: Mmsi, now_ms: i64) -> bool {
        self.tracker.get(track_id).is_some_and(|t| t.seen_apart_from(mmsi, now_ms - SEEN_APART_KEEP_MS))
    }

    /// Clutter density the tracker has mapped for sensor `sensor_id` at
    /// `pos` as of `t_ms`: false plots per km² per scan (rain cells and sea
    /// clutter raise it; it is what a track's score is charged per hit).
    pub fn clutter_per_km2(&self, sensor_id: &str, pos: LatLon, t_ms: i64) -> f64 {
        // The tracker keeps it per m²; 1e6 m² to the km².
        self.tracker.clutter_density(sensor_id, pos, t_ms) * 1e6
    }

    /// Confirmed non-AIS tracks (dark targets and tracks not yet matched to AIS).
    pub fn dark_tracks(&self) -> impl Iterator<Item = &Vessel> {
        self.dark.values()
    }

    /// An AIS vessel by MMSI.
    pub fn get(&self, mmsi: Mmsi) -> Option<&Vessel> {
        self.vessels.get(&mmsi)
    }

    /// A vessel or non-AIS track by its index key.
    pub fn get_entity(&self, key: EntityKey) -> Option<&Vessel> {
        if key >= FIRST_DARK_TRACK_ID {
            self.dark.get(&key)
        } else {
            self.vessels.get(&(key as Mmsi))
        }
    }

    /// AIS vessels with a valid position: what a console or a rescue query can find.
    pub fn positioned(&self) -> usize {
        self.positioned
    }

    /// Number of vessels in the picture (including records with no valid position yet).
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

    /// Vessels and confirmed non-AIS tracks whose last position lies in
    /// `area`: AIS vessels in MMSI order, then dark tracks in id order
    /// (stable output for consoles and tests).
    pub fn in_area<'a>(&'a self, area: &Area, filter: &VesselFilter) -> Vec<&'a Vessel> {
        let mut keys: Vec<EntityKey> =
            self.area_candidates(area, filter).into_iter().filter(|(_, p)| area.contains(*p)).map(|(k, _)| k).collect();
        // Keys order AIS vessels by MMSI, then dark tracks by id; a vessel on
        // the antimeridian can fall in both halves of a split box.
        keys.sort_unstable();
        keys.dedup();
        keys.into_iter().filter_map(|k| self.get_entity(k)).collect()
    }

    /// The indexed half of an area query: vessels and tracks inside the
    /// area's bounding envelopes that pass `filter`, with their last
    /// positions, unsorted. The caller tests `area.contains(position)`
    /// itself — for a large polygon, outside any lock — then sorts and
    /// dedups the keys and fetches the hits with [`Picture::get_entity`].
    pub fn area_candidates(&self, area: &Area, filter: &VesselFilter) -> Vec<(EntityKey, LatLon)> {
        let mut out = Vec::new();
        for env in area.envelopes() {
            for key in self.index.in_envelope(env) {
                let Some(v) = self.get_entity(key) else {
                    continue;
                };
                let Some(fix) = v.fix else { continue };
                if filter.accepts(v) {
                    out.push((key, fix.pos));
                }
            }
        }
        out
    }

    /// Iterates every AIS vessel and confirmed non-AIS track (any order).
    pub fn vessels(&self) -> impl Iterator<Item = &Vessel> {
        self.vessels.values().chain(self.dark.values())
    }

    pub(crate) fn candidates_near(&self, center: LatLon, radius_m: f64) -> Vec<EntityKey> {
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

    /// Issue 16: at `max_vessels` a new MMSI is refused and counted, the vessels held go
    /// on updating, and one that ages out makes room.
    #[test]
    fn at_the_vessel_cap_new_mmsis_are_refused_and_counted() {
        let cfg = PictureConfig { max_vessels: 3, ..Default::default() };
        let mut p = Picture::new(&cfg);
        for m in 1..=3 {
            assert_eq!(p.apply(0, 1_000, 1_000, &pos(m, 35.0, 12.0)), Applied::Changed);
        }
        assert_eq!(p.apply(0, 2_000, 2_000, &pos(4, 35.0, 12.0)), Applied::Ignored);
        assert_eq!(p.counters().vessels_refused_at_cap, 1);
        assert!(p.get(4).is_none());
        // Held vessels still update.
        assert_eq!(p.apply(0, 3_000, 3_000, &pos(2, 35.5, 12.0)), Applied::Changed);
        assert_eq!(p.get(2).unwrap().fix.unwrap().pos.lat_deg, 35.5);
        // Vessel 1 and 3 age out (30 min unheard); 4 then fits.
        let later = 3_000 + 30 * 60_000 + 1_500;
        p.apply(0, later - 1_000, later - 1_000, &pos(2, 35.6, 12.0));
        p.expire(later);
        assert_eq!(p.apply(0, later, later, &pos(4, 35.0, 12.0)), Applied::Changed);
        assert_eq!(p.counters().vessels_refused_at_cap, 1);
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

    /// A ship's own earlier report received late (satellite AIS relayed out of order)
    /// lies behind it on its course: stale, not a jump, and the ship stays where it is;
    /// one ahead on its course means the report before came late: the ship moves, no
    /// jump. A report as far away across its course, or further along it than 10
    /// minutes' sailing, is a jump.
    #[test]
    fn a_late_copy_of_a_ship_s_own_report_is_stale_not_a_jump() {
        fn batch(p: &mut Picture, lat: f64, lon: f64, t: i64) -> (Applied, usize) {
            let applied = p.apply(0, t, t, &pos(1, lat, lon));
            (applied, p.apply_batch(&[], t).jumps.len())
        }
        let mut p = pic();
        // Eastbound at 10 kn (cog 90°, `pos`): 0.03° of longitude is 2.7 km, 9 min.
        assert_eq!(batch(&mut p, 35.0, 12.03, 0), (Applied::Changed, 0));
        assert_eq!(batch(&mut p, 35.0, 12.0, 10_000), (Applied::Ignored, 0), "2.7 km behind at 10 kn: 9 min late");
        assert_eq!(p.get(1).unwrap().fix.unwrap().pos.lon_deg, 12.03);
        assert_eq!(p.counters().stale_reports, 1);
        // 8 km behind (26 min at 10 kn): too late to be a delayed copy; a jump.
        assert_eq!(batch(&mut p, 35.0, 11.942, 20_000), (Applied::Changed, 1));
        // Back at 12.03: 8 km ahead, a jump too; then 2.7 km to the north (across its
        // course): a jump.
        assert_eq!(batch(&mut p, 35.0, 12.03, 30_000), (Applied::Changed, 1));
        assert_eq!(batch(&mut p, 35.025, 12.03, 40_000), (Applied::Changed, 1));
        // Back on its line, then 2.7 km ahead on its course seconds later: the report
        // before came late; the ship moves on, without a jump.
        assert_eq!(batch(&mut p, 35.025, 12.0, 45 * 60_000), (Applied::Changed, 0));
        assert_eq!(batch(&mut p, 35.025, 12.03, 45 * 60_000 + 5_000), (Applied::Changed, 0));
        assert_eq!(p.get(1).unwrap().fix.unwrap().pos.lon_deg, 12.03);
    }

    #[test]
    fn impossible_moves_are_recorded_as_jumps() {
        let mut p = pic();
        let mut batch = |lat: f64, t: i64| {
            p.apply(0, t, t, &pos(1, lat, 12.0));
            p.apply_batch(&[], t).jumps
        };
        assert!(batch(35.0, 0).is_empty());
        // 0.01° (1.1 km) in 60 s is 36 kn: fine. 0.5° (55 km) in 60 s is not.
        assert!(batch(35.01, 60_000).is_empty());
        let j = batch(35.51, 120_000);
        assert_eq!(j.len(), 1);
        assert!(j[0].implied_kn > 1000.0 && (j[0].distance_m - 55_600.0).abs() < 500.0, "{j:?}");
    }

    #[test]
    fn vessels_age_out() {
        let mut p = pic();
        p.apply(0, 0, 0, &pos(1, 35.0, 12.0));
        p.apply(0, 20 * 60_000, 20 * 60_000, &pos(2, 35.0, 12.0));
        assert!(p.expire(29 * 60_000).is_empty());
        let gone = p.expire(31 * 60_000);
        assert_eq!(gone.iter().map(|r| (r.mmsi, r.reason)).collect::<Vec<_>>(), vec![(1, RemovalReason::AgedOut)]);
        assert_eq!(p.len(), 1);
        assert_eq!(p.indexed(), 1);
    }

    /// The track accessors answer what the tracker knows of a dark track,
    /// and nothing for an AIS vessel's id.
    #[test]
    fn track_accessors_answer_for_dark_tracks_only() {
        let mut p = pic();
        p.apply(0, 0, 0, &pos(1, 35.0, 12.0));
        let radar = |t: i64| Observation {
            source: 1,
            at_ms: t,
            payload: Payload::Detection(Box::new(Detection {
                time_ms: t,
                sensor_id: Arc::from("r1"),
                sensor_kind: lookout_core::SensorKind::Radar,
                // A boat 20 km from the AIS vessel, drifting north.
                pos: LatLon::new(35.0 + t as f64 * 1e-9, 12.2),
                position_error_m: 30.0,
                course_deg: None,
                speed_kn: None,
                length_m: None,
                vessel_class: None,
                persons_counted: None,
                count_confidence: None,
                detection_id: None,
                image_ref: None,
            })),
        };
        let mut t = 0;
        while p.dark_tracks().next().is_none() {
            assert!(t < 60_000, "a steady echo in clean water confirms within a minute");
            t += 3_000;
            p.apply_batch(&[radar(t)], t);
        }
        let id = p.dark_tracks().next().unwrap().track_id;
        let track = p.tracker.get(id).unwrap();
        let later = t + 10_000;
        assert_eq!(p.track_count(), p.tracker.len());
        assert_eq!(p.tracks_refused_at_cap(), 0);
        assert_eq!(p.track_position_sigma_m(id, later), Some(track.position_sigma_m(later)));
        assert_eq!(p.track_speed_sigma_ms(id), Some(track.velocity_sigma_ms()));
        assert_eq!(p.track_plot_error_m(id), Some(30.0));
        assert!(!p.track_seen_apart_from(id, 1, t), "never near the AIS vessel");
        assert_eq!(
            p.clutter_per_km2("r1", LatLon::new(35.0, 12.2), t),
            p.tracker.clutter_density("r1", LatLon::new(35.0, 12.2), t) * 1e6
        );
        let ais = p.get(1).unwrap().track_id;
        assert_eq!(p.track_position_sigma_m(ais, later), None);
        assert_eq!(p.track_speed_sigma_ms(ais), None);
        assert_eq!(p.track_plot_error_m(ais), None);
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
