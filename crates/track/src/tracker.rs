//! The tracker: one synchronous, I/O-free `step` driving the parts.
//!
//! Per scan (detections of one sensor with one time stamp, in time order):
//! 1. record the scan for the sensor's revisit estimate;
//! 2. candidates per detection: non-AIS tracks from the R-tree (indexed at
//!    their last updated position, searched within `max_speed × Δt + gate
//!    margin`), AIS vessels from the caller's [`AisContext`];
//! 3. gate (Mahalanobis, χ²₂) and cost each pair `d² + ln|S|`;
//! 4. associate (GNN: clusters + Hungarian, with a "no association" option);
//! 5. AIS merge bookkeeping, updates, AIS hits, initiation of new tracks;
//! 6. track score for the tentative tracks of the scanning sensor: each hit
//!    (scored in step 5 against the hitting sensor's clutter density) or miss
//!    moves it; confirm or drop on Wald's thresholds (see [`super::initiate`]).
//!
//! Then tracks past their deadline are deleted as of `now_ms`. Plots of
//! tentative tracks that die unconfirmed (dropped or expired) are credited to
//! their sensor's [`ClutterMap`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rstar::primitives::GeomWithData;
use rstar::{RTree, AABB};

use super::associate::{Associator, Edge, Gnn, Problem};
use super::calibrate::NoiseCalibration;
use super::clutter::ClutterMap;
use super::delete::{Deleter, RevisitDeleter, RevisitEstimator};
use super::gate::{ChiSquareGate, Gater};
use super::initiate::{Decision, Initiator, Sprt};
use super::kalman::{
    from_local, innovation_2d, to_local, to_local_fast, ConstantVelocity, KfState, PositionUpdater, Predictor, Updater,
};
use super::{
    AisCandidate, AisContext, CountSeen, SensorSeen, StepOutcome, Track, TrackId, TrackStatus, TrackerConfig,
    FIRST_TRACK_ID, LENGTH_WINDOW, MAX_COUNTS, MAX_IMAGE_REFS,
};
use lookout_core::geodesy::flat;
use lookout_core::geodesy::{distance_m, haversine_m, LatLon, MS_PER_KN};
use lookout_core::{Detection, SensorKind};

type Entry = GeomWithData<[f64; 2], TrackId>;

/// Plots kept per tentative track for the clutter map (a tentative track
/// that lives longer is in clutter, and its first plots make the point).
const MAX_PLOTS: usize = 32;

fn entry(p: LatLon, id: TrackId) -> Entry {
    GeomWithData::new([p.lon_deg, p.lat_deg], id)
}

/// The swappable parts of a [`Tracker`].
pub struct Parts {
    pub predictor: Box<dyn Predictor>,
    pub updater: Box<dyn Updater>,
    pub gater: Box<dyn Gater>,
    pub associator: Box<dyn Associator>,
    pub initiator: Box<dyn Initiator>,
    pub deleter: Box<dyn Deleter>,
}

impl Parts {
    /// CV Kalman filter, χ² gate, GNN, SPRT track score, revisit-based deletion.
    pub fn from_config(cfg: &TrackerConfig) -> Self {
        Self {
            predictor: Box::new(ConstantVelocity { accel_sigma_ms2: cfg.accel_sigma_ms2 }),
            updater: Box::new(PositionUpdater),
            gater: Box::new(ChiSquareGate::new(cfg.gate_probability)),
            associator: Box::new(Gnn),
            initiator: Box::new(Sprt::new(
                cfg.detection_probability,
                cfg.false_confirm_probability,
                cfg.false_drop_probability,
                cfg.confirm_immediately.clone(),
            )),
            deleter: Box::new(RevisitDeleter::from_config(cfg)),
        }
    }
}

/// A boat already known near a detection: a confirmed track or an AIS vessel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Known {
    Track(TrackId),
    Ais(u32),
}

enum Cand {
    Track { id: TrackId, pred: KfState, anchor: LatLon },
    Ais(AisCandidate),
}

/// Multi-sensor, multi-target tracker (see the module docs).
pub struct Tracker {
    cfg: TrackerConfig,
    parts: Parts,
    tracks: BTreeMap<TrackId, Track>,
    rtree: RTree<Entry>,
    /// (updated_ms, id): the oldest entry bounds the candidate search radius.
    by_update: BTreeSet<(i64, TrackId)>,
    /// (deadline_ms, id): expiry pops from the front.
    deadlines: BTreeSet<(i64, TrackId)>,
    deadline_of: BTreeMap<TrackId, i64>,
    revisits: BTreeMap<Arc<str>, RevisitEstimator>,
    tentative_by_sensor: BTreeMap<Arc<str>, BTreeSet<TrackId>>,
    /// False-plot density per sensor, for the track score.
    clutter: ClutterMap,
    next_id: TrackId,
    /// Largest detection σ seen: bounds a track's position σ at its update.
    max_det_sigma_m: f64,
    ais_buf: Vec<AisCandidate>,
    near_buf: Vec<TrackId>,
    /// Per-sensor factors on stated position errors, learnt from AIS ships.
    calibration: NoiseCalibration,
    /// Detections that would have started a track while `max_tracks` were held.
    refused_at_cap: u64,
}

impl Tracker {
    pub fn new(cfg: TrackerConfig) -> Self {
        let parts = Parts::from_config(&cfg);
        Self::with_parts(cfg, parts)
    }

    /// A tracker with other parts (e.g. a different associator).
    pub fn with_parts(cfg: TrackerConfig, parts: Parts) -> Self {
        Self {
            parts,
            tracks: BTreeMap::new(),
            rtree: RTree::new(),
            by_update: BTreeSet::new(),
            deadlines: BTreeSet::new(),
            deadline_of: BTreeMap::new(),
            revisits: BTreeMap::new(),
            tentative_by_sensor: BTreeMap::new(),
            clutter: ClutterMap::new(
                cfg.clutter_cell_m,
                cfg.clutter_time_constant_ms,
                cfg.clutter_density_floor_per_km2,
            ),
            next_id: FIRST_TRACK_ID,
            max_det_sigma_m: 0.0,
            ais_buf: Vec::new(),
            near_buf: Vec::new(),
            calibration: NoiseCalibration::new(cfg.noise_calibration_max_scale),
            refused_at_cap: 0,
            cfg,
        }
    }

    pub fn config(&self) -> &TrackerConfig {
        &self.cfg
    }

    /// Detections that started no track because `max_tracks` were held.
    pub fn refused_at_cap(&self) -> u64 {
        self.refused_at_cap
    }

    /// Processes detections (any order; sorted internally by time, grouped
    /// into scans by (time_ms, sensor_id)), then deletes stale tracks as of
    /// `now_ms`. Synchronous, no I/O, deterministic.
    pub fn step(&mut self, detections: &[Detection], ais: &impl AisContext, now_ms: i64) -> StepOutcome {
        let mut out = StepOutcome::default();
        // Stated errors raised by each sensor's calibration factor (a copy:
        // the caller's detections stay as the sensor reported them).
        let calibrated: Vec<Detection>;
        let detections = if detections.iter().any(|d| self.calibration.scale(&d.sensor_id) > 1.0) {
            calibrated = detections
                .iter()
                .map(|d| Detection {
                    position_error_m: d.position_error_m * self.calibration.scale(&d.sensor_id),
                    ..d.clone()
                })
                .collect();
            &calibrated[..]
        } else {
            detections
        };
        let mut order: Vec<usize> = Vec::with_capacity(detections.len());
        for (i, d) in detections.iter().enumerate() {
            if d.pos.is_valid() && d.position_error_m.is_finite() && d.position_error_m > 0.0 {
                order.push(i);
            } else {
                out.rejected.push(i);
            }
        }
        order.sort_by(|&a, &b| {
            let (da, db) = (&detections[a], &detections[b]);
            da.time_ms.cmp(&db.time_ms).then_with(|| da.sensor_id.cmp(&db.sensor_id)).then(a.cmp(&b))
        });
        for scan in order.chunk_by(|&a, &b| {
            detections[a].time_ms == detections[b].time_ms && detections[a].sensor_id == detections[b].sensor_id
        }) {
            self.process_scan(detections, scan, ais, &mut out);
        }
        self.calibration.publish();
        out.deleted.extend(self.expire(now_ms));
        out.associations.sort_unstable();
        out.ais_hits.sort_unstable_by_key(|&(m, i)| (i, m));
        for v in [&mut out.updated, &mut out.created, &mut out.confirmed, &mut out.deleted] {
            v.sort_unstable();
            v.dedup();
        }
        out
    }

    /// Deletion only (call periodically when no detections arrive). Returns
    /// the deleted ids in id order.
    pub fn expire(&mut self, now_ms: i64) -> Vec<TrackId> {
        let mut dead = Vec::new();
        while let Some(&(dl, id)) = self.deadlines.first() {
            if dl >= now_ms {
                break;
            }
            // Revisit estimates may have grown since the deadline was set: recheck.
            let tr = &self.tracks[&id];
            let timeout = self.parts.deleter.timeout_ms(tr, self.revisit_of(tr));
            if now_ms - tr.updated_ms > timeout {
                self.discard(id);
                dead.push(id);
            } else {
                self.set_deadline(id);
            }
        }
        dead.sort_unstable();
        dead
    }

    pub fn get(&self, id: TrackId) -> Option<&Track> {
        self.tracks.get(&id)
    }

    /// All tracks in id order.
    pub fn tracks(&self) -> impl Iterator<Item = &Track> {
        self.tracks.values()
    }

    pub fn len(&self) -> usize {
        self.tracks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tracks.is_empty()
    }

    /// Clutter density λ the track score uses for a hit by `sensor_id` at
    /// `pos` at `t_ms`: false plots per m² per scan (see [`super::clutter`]).
    pub fn clutter_density(&self, sensor_id: &str, pos: LatLon, t_ms: i64) -> f64 {
        self.clutter.density(sensor_id, pos, t_ms, self.revisit_ms(sensor_id))
    }

    /// Revisit period currently estimated for a sensor, ms.
    pub fn revisit_ms(&self, sensor_id: &str) -> i64 {
        self.revisits.get(sensor_id).map_or(self.cfg.default_revisit_ms, |r| r.revisit_ms(self.cfg.default_revisit_ms))
    }

    /// Confirmed tracks whose position extrapolated to `t_ms` is within
    /// `radius_m` of `pos` (id order). R-tree backed.
    pub fn confirmed_near(&self, pos: LatLon, radius_m: f64, t_ms: i64) -> Vec<TrackId> {
        let dt = self.by_update.first().map_or(0, |&(u, _)| (t_ms - u).clamp(0, self.cfg.delete_max_ms));
        let search = radius_m + self.cfg.max_speed_kn * MS_PER_KN * dt as f64 / 1000.0 + self.cfg.index_slack_m + 1.0;
        let mut ids = Vec::new();
        query_ids(&self.rtree, pos, search, &mut ids);
        ids.retain(|id| {
            let t = &self.tracks[id];
            t.is_confirmed() && distance_m(t.position_at(t_ms), pos) <= radius_m
        });
        ids.sort_unstable();
        ids
    }

    /// Tracks whose last updated position is inside the box `lo`..`hi`
    /// ([lon, lat] degrees, lo ≤ hi), id order.
    pub fn in_envelope(&self, lo: [f64; 2], hi: [f64; 2]) -> Vec<TrackId> {
        let (m_lat, m_lon) = flat::half_widths_deg(self.cfg.index_slack_m, lo[1].abs().max(hi[1].abs()));
        let wide = AABB::from_corners([lo[0] - m_lon, lo[1] - m_lat], [hi[0] + m_lon, hi[1] + m_lat]);
        let exact = AABB::from_corners(lo, hi);
        let mut ids: Vec<TrackId> = self
            .rtree
            .locate_in_envelope(&wide)
            .map(|e| e.data)
            .filter(|id| {
                let p = self.tracks[id].anchor;
                rstar::Envelope::contains_point(&exact, &[p.lon_deg, p.lat_deg])
            })
            .collect();
        ids.sort_unstable();
        ids
    }

    fn revisit_of(&self, t: &Track) -> i64 {
        t.sensors.keys().map(|s| self.revisit_ms(s)).max().unwrap_or(self.cfg.default_revisit_ms)
    }

    fn set_deadline(&mut self, id: TrackId) {
        let tr = &self.tracks[&id];
        let dl = tr.updated_ms.saturating_add(self.parts.deleter.timeout_ms(tr, self.revisit_of(tr)));
        if let Some(old) = self.deadline_of.insert(id, dl) {
            self.deadlines.remove(&(old, id));
        }
        self.deadlines.insert((dl, id));
    }

    fn remove(&mut self, id: TrackId) -> Option<Track> {
        let tr = self.tracks.remove(&id)?;
        self.rtree.remove(&entry(tr.indexed_at, id));
        self.by_update.remove(&(tr.updated_ms, id));
        if let Some(dl) = self.deadline_of.remove(&id) {
            self.deadlines.remove(&(dl, id));
        }
        for s in tr.sensors.keys() {
            if let Some(set) = self.tentative_by_sensor.get_mut(s) {
                set.remove(&id);
            }
        }
        Some(tr)
    }

    /// Removes a track that died (expired or dropped by its score). A
    /// tentative track's plots were never anyone's: they are clutter.
    fn discard(&mut self, id: TrackId) {
        if let Some(tr) = self.remove(id) {
            if tr.status == TrackStatus::Tentative {
                for (sensor, pos, t) in &tr.plots {
                    self.clutter.add(sensor, *pos, *t);
                }
            }
        }
    }

    fn confirm(&mut self, id: TrackId, out: &mut StepOutcome) {
        let tr = self.tracks.get_mut(&id).expect("live track");
        if tr.status == TrackStatus::Confirmed {
            return;
        }
        tr.status = TrackStatus::Confirmed;
        // A real boat's plots: never clutter.
        tr.plots = Vec::new();
        for s in tr.sensors.keys() {
            if let Some(set) = self.tentative_by_sensor.get_mut(s) {
                set.remove(&id);
            }
        }
        out.confirmed.push(id);
        self.set_deadline(id);
    }

    fn process_scan(&mut self, dets: &[Detection], scan: &[usize], ais: &impl AisContext, out: &mut StepOutcome) {
        let t = dets[scan[0]].time_ms;
        let sensor = dets[scan[0]].sensor_id.clone();
        self.clutter.scan(&sensor, t);
        // Tentative tracks hit in this scan (no miss for them).
        let mut hit_now: BTreeSet<TrackId> = BTreeSet::new();
        let thr = self.parts.gater.threshold();
        let excl = super::gate::chi2_2dof_threshold(self.cfg.initiation_exclusion_probability).max(thr);
        // Per detection: the confirmed tracks and AIS vessels within whose
        // exclusion gate it lies.
        let mut near_known: Vec<Vec<Known>> = vec![Vec::new(); scan.len()];
        let vmax = self.cfg.max_speed_kn * MS_PER_KN;
        for &i in scan {
            self.max_det_sigma_m = self.max_det_sigma_m.max(dets[i].position_error_m);
        }
        let oldest = self.by_update.first().map_or(t, |&(u, _)| u);
        let dt_all = (t - oldest).clamp(0, self.cfg.delete_max_ms) as f64 / 1000.0;

        // Candidates and gated edges.
        let mut cands: Vec<Cand> = Vec::new();
        let mut track_idx: BTreeMap<TrackId, usize> = BTreeMap::new();
        let mut ais_idx: BTreeMap<u32, usize> = BTreeMap::new();
        let mut edges: Vec<Edge> = Vec::new();
        let mut miss_cost = Vec::with_capacity(scan.len());
        let mut near = std::mem::take(&mut self.near_buf);
        let mut ais_buf = std::mem::take(&mut self.ais_buf);
        for (k, &i) in scan.iter().enumerate() {
            let d = &dets[i];
            let r2 = d.position_error_m * d.position_error_m;
            let mut max_ln = f64::NEG_INFINITY;
            // A track's position σ at its update is at most the largest
            // detection σ per axis (posterior ≤ R), hence 1.5 × (> √2) here.
            let ge = excl.sqrt();
            let radius =
                vmax * dt_all + ge * (d.position_error_m + 1.5 * self.max_det_sigma_m) + self.cfg.index_slack_m + 1.0;
            near.clear();
            query_ids(&self.rtree, d.pos, radius, &mut near);
            near.sort_unstable();
            for &id in &near {
                let tr = &self.tracks[&id];
                let dt = (t - tr.updated_ms).max(0) as f64 / 1000.0;
                let reach = vmax * dt + ge * (r2 + tr.kf.p[0][0] + tr.kf.p[1][1]).sqrt();
                if haversine_m(tr.anchor, d.pos) > reach * 1.01 + 1.0 {
                    continue; // faster than max_speed: not this boat
                }
                let ci = match track_idx.get(&id) {
                    Some(&ci) => ci,
                    None => {
                        let pred = self.parts.predictor.predict(&tr.kf, dt);
                        cands.push(Cand::Track { id, pred, anchor: tr.anchor });
                        track_idx.insert(id, cands.len() - 1);
                        cands.len() - 1
                    }
                };
                let Cand::Track { pred, anchor, .. } = &cands[ci] else { unreachable!() };
                let inn = self.parts.updater.innovation(pred, to_local_fast(*anchor, d.pos), r2);
                if inn.d2 <= excl && self.tracks[&id].is_confirmed() {
                    near_known[k].push(Known::Track(id));
                }
                if self.parts.gater.accepts(inn.d2) {
                    edges.push(Edge { det: k, cand: ci, cost: inn.d2 + inn.ln_det_s });
                    max_ln = max_ln.max(inn.ln_det_s);
                }
            }
            ais_buf.clear();
            ais.ais_near(d.pos, ge * (d.position_error_m + self.cfg.ais_max_sigma_m), t, &mut ais_buf);
            for a in ais_buf.drain(..) {
                if !a.pos.is_valid() || !a.sigma_m.is_finite() {
                    continue;
                }
                let s = a.sigma_m * a.sigma_m + r2;
                let inn = innovation_2d(to_local_fast(a.pos, d.pos), [[s, 0.0], [0.0, s]]);
                if inn.d2 <= excl {
                    near_known[k].push(Known::Ais(a.mmsi));
                }
                if self.parts.gater.accepts(inn.d2) {
                    let ci = *ais_idx.entry(a.mmsi).or_insert_with(|| {
                        cands.push(Cand::Ais(a));
                        cands.len() - 1
                    });
                    edges.push(Edge { det: k, cand: ci, cost: inn.d2 + inn.ln_det_s });
                    max_ln = max_ln.max(inn.ln_det_s);
                }
            }
            // "No association" priced as a pair on the gate's edge.
            miss_cost.push(thr + if max_ln.is_finite() { max_ln } else { 0.0 });
        }
        self.near_buf = near;
        self.ais_buf = ais_buf;

        let problem = Problem { n_det: scan.len(), n_cand: cands.len(), edges, miss_cost };
        let assign = self.parts.associator.solve(&problem);

        // AIS merge bookkeeping: a track that shared a gated detection with AIS
        // vessels this scan is tested against them (predicted position vs the
        // vessel, S = P_pos + σ_ais² I); the streak counts consecutive such
        // scans with the same vessel, and resets on a scan where none gates.
        let mut dets_of: Vec<Vec<usize>> = vec![Vec::new(); cands.len()];
        let mut cands_of: Vec<Vec<usize>> = vec![Vec::new(); scan.len()];
        for e in &problem.edges {
            dets_of[e.cand].push(e.det);
            cands_of[e.det].push(e.cand);
        }
        // The detection each candidate took in this scan.
        let mut took: Vec<Option<usize>> = vec![None; cands.len()];
        for (k, c) in assign.iter().enumerate() {
            if let Some(c) = c {
                took[*c] = Some(k);
            }
        }
        let mut to_merge: Vec<(TrackId, u32)> = Vec::new();
        for (ci, c) in cands.iter().enumerate() {
            let Cand::Track { id, pred, anchor } = c else {
                continue;
            };
            if dets_of[ci].is_empty() {
                continue;
            }
            let mut best: Option<(f64, u32)> = None;
            let mut seen = BTreeSet::new();
            let hold = self.cfg.ais_apart_hold_ms;
            // The track's own detection is another boat's only if every AIS
            // vessel within its exclusion gate took a different one (as for
            // starting a track): the wide gate, because a radar plot's real
            // cross-range error can exceed its stated one, and a track of the
            // far tail of two close ships' echoes takes plots the narrow
            // gate leaves to it.
            let unclaimed = took[ci].is_some_and(|k| {
                near_known[k].iter().all(|o| match o {
                    Known::Ais(m) => ais_idx.get(m).is_some_and(|&cj| took[cj].is_some()),
                    Known::Track(_) => true,
                })
            });
            let tr = self.tracks.get_mut(id).expect("candidate is live");
            tr.apart_from.retain(|&(_, at)| t - at <= hold);
            tr.distinct_from.retain(|&(_, at)| t - at <= super::SEEN_APART_KEEP_MS);
            for &k in &dets_of[ci] {
                for &cj in &cands_of[k] {
                    let Cand::Ais(a) = &cands[cj] else { continue };
                    if !seen.insert(cj) {
                        continue;
                    }
                    // Each took a detection of its own: two boats, not one.
                    if took[ci].is_some() && took[cj].is_some() && took[ci] != took[cj] {
                        tr.apart_from.retain(|&(m, _)| m != a.mmsi);
                        tr.apart_from.push((a.mmsi, t));
                        if unclaimed {
                            tr.distinct_from.retain(|&(m, _)| m != a.mmsi);
                            tr.distinct_from.push((a.mmsi, t));
                        }
                    }
                    if tr.apart_from.iter().any(|&(m, _)| m == a.mmsi) {
                        continue;
                    }
                    let en = to_local_fast(*anchor, a.pos);
                    let sa = a.sigma_m * a.sigma_m;
                    let s = [[pred.p[0][0] + sa, pred.p[0][1]], [pred.p[1][0], pred.p[1][1] + sa]];
                    let inn = innovation_2d([en[0] - pred.x[0], en[1] - pred.x[1]], s);
                    if self.parts.gater.accepts(inn.d2) && best.is_none_or(|(d2, m)| (inn.d2, a.mmsi) < (d2, m)) {
                        best = Some((inn.d2, a.mmsi));
                    }
                }
            }
            tr.ais_streak = match (best, tr.ais_streak) {
                (None, _) => None,
                (Some((_, m)), Some((pm, n))) if pm == m => Some((m, n + 1)),
                (Some((_, m)), _) => Some((m, 1)),
            };
            if let Some((m, n)) = tr.ais_streak {
                if n >= self.cfg.ais_merge_updates.max(1) {
                    to_merge.push((*id, m));
                }
            }
        }

        // Updates, AIS hits, new tracks.
        let mut taken = vec![false; cands.len()];
        for c in assign.iter().flatten() {
            taken[*c] = true;
        }
        // Confirmed tracks and AIS vessels that took a detection in this scan:
        // a leftover in their exclusion gate is not their echo (one echo per
        // boat per scan) but another boat, e.g. a small boat alongside a ship.
        let mut known_took: BTreeSet<Known> = BTreeSet::new();
        for (ci, c) in cands.iter().enumerate() {
            if taken[ci] {
                known_took.insert(match c {
                    Cand::Track { id, .. } => Known::Track(*id),
                    Cand::Ais(a) => Known::Ais(a.mmsi),
                });
            }
        }
        for (k, &i) in scan.iter().enumerate() {
            let d = &dets[i];
            match assign[k] {
                Some(ci) => match &cands[ci] {
                    Cand::Track { id, pred, .. } => {
                        self.update_track(*id, pred, d);
                        hit_now.insert(*id);
                        out.updated.push(*id);
                        out.associations.push((i, *id));
                        if self.parts.initiator.confirms_immediately(d.sensor_kind) {
                            self.confirm(*id, out);
                        }
                    }
                    Cand::Ais(a) => {
                        out.ais_hits.push((a.mmsi, i));
                        // Radars only: they see many AIS ships a minute, so
                        // their estimate settles; a drone's few looks at AIS
                        // vessels include its looks at boats alongside them,
                        // and would teach it to be vaguer than it is.
                        if d.sensor_kind == SensorKind::Radar {
                            let stated_m = d.position_error_m / self.calibration.scale(&d.sensor_id);
                            self.calibration.observe(&d.sensor_id, haversine_m(a.pos, d.pos), stated_m, a.sigma_m);
                        }
                        // A track already gating with this vessel (a merge in
                        // progress) that also gated this detection and got none
                        // is updated with it too: they are believed to be the same
                        // boat, and a coasting track would drift out of the gate
                        // on its early, poor velocity before the merge completes.
                        for &cj in &cands_of[k] {
                            if let Cand::Track { id, pred, .. } = &cands[cj] {
                                let streaking = self.tracks[id].ais_streak.is_some_and(|(m, _)| m == a.mmsi);
                                if streaking && !taken[cj] {
                                    taken[cj] = true;
                                    self.update_track(*id, pred, d);
                                    hit_now.insert(*id);
                                    out.updated.push(*id);
                                    out.associations.push((i, *id));
                                }
                            }
                        }
                    }
                },
                None => {
                    // A leftover inside the exclusion gate of a confirmed track
                    // or an AIS vessel that took no other detection in this scan
                    // is most likely that boat (a 1-in-100 echo just outside
                    // the gate): no new track. If every such boat took a
                    // detection of its own, the leftover is another boat.
                    if self.tracks.len() >= self.cfg.max_tracks {
                        self.refused_at_cap += 1;
                    } else if near_known[k].iter().all(|o| known_took.contains(o)) {
                        let id = self.new_track(d);
                        hit_now.insert(id);
                        out.created.push(id);
                        out.associations.push((i, id));
                        if self.parts.initiator.confirms_immediately(d.sensor_kind) {
                            self.confirm(id, out);
                        }
                    }
                }
            }
        }
        for (id, mmsi) in to_merge {
            if let Some(tr) = self.remove(id) {
                out.merged.push((tr, mmsi));
            }
        }

        // Track score over this sensor's scan, for the tentative tracks it
        // covered: hits were scored in `update_track`; a covered track without
        // a hit scores a miss.
        let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
        for &i in scan {
            let p = dets[i].pos;
            lo = [lo[0].min(p.lon_deg), lo[1].min(p.lat_deg)];
            hi = [hi[0].max(p.lon_deg), hi[1].max(p.lat_deg)];
        }
        let (m_lat, m_lon) = flat::half_widths_deg(self.cfg.scan_extent_margin_m, hi[1].abs().max(lo[1].abs()));
        let (lo, hi) = ([lo[0] - m_lon, lo[1] - m_lat], [hi[0] + m_lon, hi[1] + m_lat]);
        let ids: Vec<TrackId> =
            self.tentative_by_sensor.get(&sensor).map(|s| s.iter().copied().collect()).unwrap_or_default();
        let miss = self.parts.initiator.miss();
        for id in ids {
            let Some(tr) = self.tracks.get_mut(&id) else {
                continue;
            };
            if tr.status != TrackStatus::Tentative {
                continue;
            }
            if !hit_now.contains(&id) {
                let p = tr.anchor;
                // (Scans straddling the antimeridian count everywhere in latitude band.)
                let lon_in = (lo[0]..=hi[0]).contains(&p.lon_deg) || hi[0] - lo[0] > 180.0;
                if !(lon_in && (lo[1]..=hi[1]).contains(&p.lat_deg)) {
                    continue;
                }
                tr.score += miss;
            }
            match self.parts.initiator.decide(tr.score) {
                // Hits strung together faster than any boat goes are clutter
                // that happened to fall in the wide first gates: keep waiting.
                Decision::Confirm if tr.velocity_kn_deg().0 > self.cfg.max_speed_kn => {}
                Decision::Confirm => self.confirm(id, out),
                Decision::Fail => {
                    self.discard(id);
                    out.deleted.push(id);
                }
                Decision::Wait => {}
            }
        }
    }

    fn update_track(&mut self, id: TrackId, pred: &KfState, d: &Detection) {
        let tentative = self.tracks[&id].status == TrackStatus::Tentative;
        let lambda = if tentative { self.clutter_density(&d.sensor_id, d.pos, d.time_ms) } else { 0.0 };
        let tr = self.tracks.get_mut(&id).expect("candidate is live");
        // Exact geodesic measurement for the update itself.
        let r2 = d.position_error_m * d.position_error_m;
        let inn = self.parts.updater.innovation(pred, to_local(tr.anchor, d.pos), r2);
        if tentative {
            // Track score: this hit's likelihood ratio against the clutter
            // this sensor produces here.
            tr.score += self.parts.initiator.hit(inn.d2, inn.ln_det_s, lambda);
            if tr.plots.len() < MAX_PLOTS {
                tr.plots.push((d.sensor_id.clone(), d.pos, d.time_ms));
            }
        }
        let mut post = self.parts.updater.update(pred, &inn);
        let anchor = from_local(tr.anchor, [post.x[0], post.x[1]]);
        post.x[0] = 0.0;
        post.x[1] = 0.0;
        if haversine_m(tr.indexed_at, anchor) > self.cfg.index_slack_m {
            self.rtree.remove(&entry(tr.indexed_at, id));
            self.rtree.insert(entry(anchor, id));
            tr.indexed_at = anchor;
        }
        self.by_update.remove(&(tr.updated_ms, id));
        tr.anchor = anchor;
        tr.kf = post;
        tr.updated_ms = tr.updated_ms.max(d.time_ms);
        self.by_update.insert((tr.updated_ms, id));
        let new_sensor = absorb(tr, d, &mut self.revisits);
        if tr.is_loaded_small_boat(self.cfg.loaded_min_persons) {
            // Constrained estimate: no loaded small boat goes faster.
            let vmax = self.cfg.loaded_boat_max_kn * MS_PER_KN;
            let v = tr.kf.x[2].hypot(tr.kf.x[3]);
            if v > vmax {
                tr.kf.x[2] *= vmax / v;
                tr.kf.x[3] *= vmax / v;
            }
        }
        if new_sensor && tr.status == TrackStatus::Tentative {
            self.tentative_by_sensor.entry(d.sensor_id.clone()).or_default().insert(id);
        }
        self.set_deadline(id);
    }

    fn new_track(&mut self, d: &Detection) -> TrackId {
        let id = self.next_id;
        self.next_id += 1;
        let r2 = d.position_error_m * d.position_error_m;
        let (v, vsig) = match (d.speed_kn, d.course_deg) {
            (Some(s), Some(c)) if s.is_finite() && c.is_finite() && s >= 0.0 => {
                let c = c.to_radians();
                let v = s * MS_PER_KN;
                // Reported speed/course: σ of 25 % of the speed (course error
                // included), at least 1 kn.
                ([v * c.sin(), v * c.cos()], (0.25 * s).max(1.0) * MS_PER_KN)
            }
            _ => ([0.0, 0.0], 0.5 * self.cfg.max_speed_kn * MS_PER_KN),
        };
        let mut tr = Track {
            id,
            status: TrackStatus::Tentative,
            created_ms: d.time_ms,
            updated_ms: d.time_ms,
            hits: 0,
            sensors: BTreeMap::new(),
            length_m: None,
            vessel_class: None,
            counts: Vec::new(),
            image_refs: Vec::new(),
            anchor: d.pos,
            indexed_at: d.pos,
            kf: KfState::new(v, r2, vsig * vsig),
            accel_sigma_ms2: self.cfg.accel_sigma_ms2,
            score: 0.0,
            plots: vec![(d.sensor_id.clone(), d.pos, d.time_ms)],
            ais_streak: None,
            apart_from: Vec::new(),
            distinct_from: Vec::new(),
            plot_error_m: d.position_error_m,
            lengths: Vec::new(),
        };
        absorb(&mut tr, d, &mut self.revisits);
        self.rtree.insert(entry(d.pos, id));
        self.by_update.insert((d.time_ms, id));
        self.tentative_by_sensor.entry(d.sensor_id.clone()).or_default().insert(id);
        self.tracks.insert(id, tr);
        self.set_deadline(id);
        id
    }
}

/// Folds a detection's attributes into a track; true if the sensor is new to it.
/// Feeds the sensor's re-detection interval to its revisit estimate (confirmed
/// tracks only).
fn absorb(tr: &mut Track, d: &Detection, revisits: &mut BTreeMap<Arc<str>, RevisitEstimator>) -> bool {
    tr.hits += 1;
    tr.plot_error_m = d.position_error_m;
    let mut new_sensor = false;
    let s = tr.sensors.entry(d.sensor_id.clone()).or_insert_with(|| {
        new_sensor = true;
        SensorSeen { kind: d.sensor_kind, hits: 0, last_ms: d.time_ms }
    });
    // Only confirmed tracks measure the revisit period: a tentative clutter
    // track re-hit by chance four rotations later says nothing about the
    // rotation, and in heavy clutter such intervals would outvote the real
    // ones (the clutter map scales λ by this period).
    if !new_sensor && tr.status == TrackStatus::Confirmed {
        revisits.entry(d.sensor_id.clone()).or_default().observe_interval(d.time_ms - s.last_ms);
    }
    s.hits += 1;
    s.last_ms = s.last_ms.max(d.time_ms);
    if let Some(l) = d.length_m.filter(|l| l.is_finite() && *l > 0.0) {
        if tr.lengths.len() == LENGTH_WINDOW {
            tr.lengths.remove(0);
        }
        tr.lengths.push(l);
        let mut v = tr.lengths.clone();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        tr.length_m = Some(if n % 2 == 1 { v[n / 2] } else { 0.5 * (v[n / 2 - 1] + v[n / 2]) });
    }
    if let Some(c) = d.vessel_class.filter(|c| *c != lookout_core::VesselClass::Unknown) {
        tr.vessel_class = Some(c);
    }
    if let Some(count) = d.persons_counted {
        let seen = CountSeen {
            time_ms: d.time_ms,
            sensor_id: d.sensor_id.clone(),
            detection_id: d.detection_id.clone(),
            count,
            confidence: d.count_confidence,
        };
        let dup = d.detection_id.as_ref().and_then(|did| {
            tr.counts.iter().position(|c| c.sensor_id == d.sensor_id && c.detection_id.as_ref() == Some(did))
        });
        match dup {
            Some(j) => tr.counts[j] = seen,
            None => {
                if tr.counts.len() == MAX_COUNTS {
                    tr.counts.remove(0);
                }
                tr.counts.push(seen);
            }
        }
    }
    if let Some(r) = &d.image_ref {
        if !tr.image_refs.contains(r) {
            if tr.image_refs.len() == MAX_IMAGE_REFS {
                tr.image_refs.remove(0);
            }
            tr.image_refs.push(r.clone());
        }
    }
    new_sensor
}

/// Ids of R-tree entries within a lat/lon box covering `radius_m` around
/// `pos` (a superset of the disc; callers filter by distance). Handles the
/// antimeridian and the poles.
fn query_ids(rtree: &RTree<Entry>, pos: LatLon, radius_m: f64, out: &mut Vec<TrackId>) {
    let (dlat, dlon) = flat::half_widths_deg(radius_m, pos.lat_deg);
    let (lat_lo, lat_hi) = ((pos.lat_deg - dlat).max(-90.0), (pos.lat_deg + dlat).min(90.0));
    let mut boxes: [Option<([f64; 2], [f64; 2])>; 2] = [None, None];
    if dlon >= 180.0 {
        boxes[0] = Some(([-180.0, lat_lo], [180.0, lat_hi]));
    } else {
        let (lo, hi) = (pos.lon_deg - dlon, pos.lon_deg + dlon);
        boxes[0] = Some(([lo.max(-180.0), lat_lo], [hi.min(180.0), lat_hi]));
        if lo < -180.0 {
            boxes[1] = Some(([lo + 360.0, lat_lo], [180.0, lat_hi]));
        } else if hi > 180.0 {
            boxes[1] = Some(([-180.0, lat_lo], [hi - 360.0, lat_hi]));
        }
    }
    for (lo, hi) in boxes.into_iter().flatten() {
        out.extend(rtree.locate_in_envelope(&AABB::from_corners(lo, hi)).map(|e| e.data));
    }
}
