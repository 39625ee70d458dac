//! Non-AIS detections in the picture: the tracker's outcomes become AIS
//! vessels "seen by radar/drone", confirmed dark tracks, merges and deletions.

use std::sync::Arc;

use super::index::{EntityKey, PositionIndex};
use super::vessel::{Fix, Fusion, StaticData, Vessel};
use super::{area, Changes, Picture, Removal, RemovalReason};
use lookout_core::geodesy::{haversine_m, LatLon};
use lookout_core::{AisClass, Mmsi, TrackId};
use lookout_core::{Detection, VesselClass};
use lookout_track::pob::{self, CountLook};
use lookout_track::{AisCandidate, AisContext, CountSeen, SensorSeen, Track, TrackStatus};

use ahash::AHashMap;

/// Base one-sigma error of an AIS position as the tracker compares it with a
/// radar plot, metres: GPS error plus the offset between the GPS antenna and
/// the radar's centre of reflection, before the ship's size is added.
const AIS_BASE_SIGMA_M: f64 = 20.0;
/// Growth of that error with the age of the report (course and speed
/// changes since), metres per second.
const AIS_SIGMA_GROWTH_MS: f64 = 0.5;
/// Most counts fused per vessel (the oldest are dropped).
const MAX_COUNTS: usize = 256;

/// The AIS side of the picture, as the tracker asks for it.
pub(super) struct AisView<'a> {
    pub vessels: &'a AHashMap<Mmsi, Vessel>,
    pub index: &'a PositionIndex,
    pub dead_reckon_max_s: f64,
}

impl AisContext for AisView<'_> {
    fn ais_near(&self, pos: LatLon, radius_m: f64, time_ms: i64, out: &mut Vec<AisCandidate>) {
        // Dead reckoning can move a vessel this far from its indexed point.
        let slack = super::near::DEAD_RECKON_MAX_KN * lookout_core::geodesy::MS_PER_KN * self.dead_reckon_max_s;
        for env in area::envelopes_around(pos, radius_m + slack) {
            for key in self.index.ais_in_envelope(env) {
                let Some(v) = self.vessels.get(&(key as Mmsi)) else {
                    continue;
                };
                let Some(fix) = v.fix else { continue };
                // Cheap first: a vessel whose fix is farther than the gate plus the distance
                // dead reckoning can carry it cannot be inside the gate. Haversine is within
                // 0.5 % of the geodesic, hence the 1 % margin, so this skips only what the
                // exact test below would; it spares most candidates the geodesic dead
                // reckoning, 20 % of the engine's time under a detection flood (perf).
                let reach_m = v.reckon_reach_m(time_ms, self.dead_reckon_max_s);
                if haversine_m(pos, fix.pos) > (radius_m + reach_m) * 1.01 + 1.0 {
                    continue;
                }
                let Some(p) = v.position_at(time_ms, self.dead_reckon_max_s) else {
                    continue;
                };
                if haversine_m(pos, p) > radius_m * 1.01 {
                    continue;
                }
                let age_s = ((time_ms - fix.at_ms).max(0) as f64) / 1000.0;
                let half_length = v.static_data.length_m().map_or(25.0, |l| l / 2.0);
                out.push(AisCandidate {
                    mmsi: v.mmsi,
                    pos: p,
                    sigma_m: AIS_BASE_SIGMA_M + half_length + AIS_SIGMA_GROWTH_MS * age_s,
                    sog_kn: v.sog_kn.map(f64::from),
                    cog_deg: v.cog_deg.map(f64::from),
                });
            }
        }
        // Envelopes of a split circle may overlap at the antimeridian.
        out.sort_by_key(|c| c.mmsi);
        out.dedup_by_key(|c| c.mmsi);
    }
}

impl Picture {
    /// Runs the tracker on a batch of detections and folds its outcome into the picture.
    pub(super) fn apply_detections(&mut self, dets: &[Detection], now_ms: i64, changes: &mut Changes) {
        if dets.is_empty() {
            return;
        }
        let view = AisView { vessels: &self.vessels, index: &self.index, dead_reckon_max_s: self.dead_reckon_max_s };
        let out = self.tracker.step(dets, &view, now_ms);
        for (mmsi, i) in &out.ais_hits {
            if let Some(v) = self.vessels.get_mut(mmsi) {
                let f = Arc::make_mut(v.fusion.get_or_insert_with(Default::default));
                record_detection(f, &dets[*i]);
                refresh_pob(f, v.static_data.length_m(), false);
                changes.changed.push(EntityKey::from(*mmsi));
            }
        }
        for (track, mmsi) in &out.merged {
            self.drop_dark(track.id, RemovalReason::Merged, changes);
            if let Some(v) = self.vessels.get_mut(mmsi) {
                let f = Arc::make_mut(v.fusion.get_or_insert_with(Default::default));
                absorb_track(f, track);
                refresh_pob(f, v.static_data.length_m(), false);
                changes.changed.push(EntityKey::from(*mmsi));
            }
        }
        for id in &out.deleted {
            self.drop_dark(*id, RemovalReason::TrackDeleted, changes);
        }
        let mut touched: Vec<TrackId> = out.updated.iter().chain(&out.created).chain(&out.confirmed).copied().collect();
        touched.sort_unstable();
        touched.dedup();
        for id in touched {
            self.refresh_dark(id, changes);
        }
    }

    /// Deletes tracks the tracker lost as of `now_ms`.
    pub(super) fn expire_tracks(&mut self, now_ms: i64, removed: &mut Vec<Removal>) {
        let mut changes = Changes::default();
        for id in self.tracker.expire(now_ms) {
            self.drop_dark(id, RemovalReason::TrackDeleted, &mut changes);
        }
        removed.extend(changes.removed);
    }

    fn drop_dark(&mut self, id: TrackId, reason: RemovalReason, changes: &mut Changes) {
        if self.dark.remove(&id).is_some() {
            self.index.remove(id);
            changes.removed.push(Removal { mmsi: 0, track_id: id, reason });
        }
    }

    /// Re-materialises a confirmed track as a vessel record (tentative ones stay inside the tracker).
    fn refresh_dark(&mut self, id: TrackId, changes: &mut Changes) {
        let Some(t) = self.tracker.get(id) else {
            return;
        };
        if t.status != TrackStatus::Confirmed {
            return;
        }
        let previous = self.dark.get(&id).and_then(|v| v.fusion.clone());
        let v = dark_vessel(t, previous.as_deref());
        self.index.update(id, v.fix.map(|f| f.pos).unwrap_or_else(|| t.last_position()));
        self.dark.insert(id, v);
        changes.changed.push(id);
    }
}

/// A confirmed non-AIS track as a vessel record (mmsi 0).
fn dark_vessel(t: &Track, previous: Option<&Fusion>) -> Vessel {
    let (sog_kn, cog_deg) = t.velocity_kn_deg();
    let mut f = Fusion {
        sensors: t.sensors.clone(),
        vessel_class: t.vessel_class,
        length_m: t.length_m,
        counts: t.counts.clone(),
        pob: None,
        last_sensor: t.sensors.iter().max_by_key(|(_, s)| s.last_ms).map(|(k, _)| k.clone()),
    };
    // The estimate only changes when its inputs do: reuse it otherwise (it
    // costs tens of microseconds, and tracks update every radar sweep).
    match previous {
        Some(p) if p.vessel_class == f.vessel_class && p.length_m == f.length_m && p.counts == f.counts => {
            f.pob = p.pob.clone();
        }
        _ => refresh_pob(&mut f, None, true),
    }
    Vessel {
        mmsi: 0,
        track_id: t.id,
        class: AisClass::Unknown,
        fix: Some(Fix { pos: t.position_at(t.updated_ms), at_ms: t.updated_ms }),
        sog_kn: Some(sog_kn as f32),
        cog_deg: Some(cog_deg as f32),
        heading_deg: None,
        nav_status: None,
        static_data: Arc::new(StaticData::default()),
        last_seen_ms: t.updated_ms,
        last_source: 0,
        last_msg_type: 0,
        reports: u64::from(t.hits),
        fusion: Some(Arc::new(f)),
    }
}

/// Adds one detection of an AIS vessel to what sensors know about it.
fn record_detection(f: &mut Fusion, d: &Detection) {
    let s =
        f.sensors.entry(d.sensor_id.clone()).or_insert(SensorSeen { kind: d.sensor_kind, hits: 0, last_ms: d.time_ms });
    s.hits += 1;
    s.last_ms = s.last_ms.max(d.time_ms);
    f.last_sensor = Some(d.sensor_id.clone());
    if let Some(c) = d.vessel_class.filter(|c| *c != VesselClass::Unknown) {
        f.vessel_class = Some(c);
    }
    if d.length_m.is_some() {
        f.length_m = d.length_m;
    }
    if let Some(count) = d.persons_counted {
        let dup = d.detection_id.is_some()
            && f.counts.iter().any(|c| c.sensor_id == d.sensor_id && c.detection_id == d.detection_id);
        if !dup {
            f.counts.push(CountSeen {
                time_ms: d.time_ms,
                sensor_id: d.sensor_id.clone(),
                detection_id: d.detection_id.clone(),
                count,
                confidence: d.count_confidence,
            });
            if f.counts.len() > MAX_COUNTS {
                f.counts.remove(0);
            }
        }
    }
}

/// Moves a merged track's sensor history and counts onto its AIS vessel.
fn absorb_track(f: &mut Fusion, t: &Track) {
    for (id, s) in &t.sensors {
        let e = f.sensors.entry(id.clone()).or_insert(SensorSeen { kind: s.kind, hits: 0, last_ms: s.last_ms });
        e.hits += s.hits;
        e.last_ms = e.last_ms.max(s.last_ms);
    }
    f.vessel_class = f.vessel_class.or(t.vessel_class);
    f.length_m = f.length_m.or(t.length_m);
    for c in &t.counts {
        if !f.counts.contains(c) {
            f.counts.push(c.clone());
        }
    }
    f.counts.sort_by_key(|c| c.time_ms);
}

/// Recomputes persons on board from the counts, the class and the best length
/// (`ais_length_m` from AIS static data wins over a sensor's measurement).
/// Every non-AIS track (`dark`) gets an estimate, from the prior alone if
/// nobody has counted; an AIS vessel only once someone counted people on it
/// or judged it a rubber or wooden boat: a cargo ship's crew prior helps no one.
fn refresh_pob(f: &mut Fusion, ais_length_m: Option<f64>, dark: bool) {
    let looks: Vec<CountLook> =
        f.counts.iter().map(|c| CountLook { count: c.count, confidence: c.confidence.unwrap_or(0.5) }).collect();
    let smuggling_class = matches!(f.vessel_class, Some(VesselClass::RubberBoat | VesselClass::WoodenBoat));
    f.pob = if dark || !looks.is_empty() || smuggling_class {
        pob::estimate(f.vessel_class, ais_length_m.or(f.length_m), &looks)
    } else {
        None
    };
}
