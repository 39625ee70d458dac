//! Multi-sensor tracker: fuses radar, drone, camera, aircraft and satellite
//! [`Detection`]s with AIS so that one physical boat is one track. A boat no
//! one identified stays a *dark* (non-AIS) track; a detection of an AIS ship
//! is credited to that ship (`StepOutcome::ais_hits`) and never starts a dark
//! track; a dark track that turns out to be an AIS ship is merged into it.
//!
//! The decomposition follows DSTL Stone Soup, each part small and swappable:
//!
//! | part | Stone Soup | here |
//! |---|---|---|
//! | predictor / updater | `KalmanPredictor`, `KalmanUpdater`, `ConstantVelocity` | [`kalman`] |
//! | gater | `DistanceGater` (Mahalanobis) | [`gate`] |
//! | hypothesiser + associator | `DistanceHypothesiser`, `GNNWith2DAssignment` | [`associate`] |
//! | initiator | `MultiMeasurementInitiator`, with an SPRT track score instead of M-of-N | [`initiate`], [`clutter`] |
//! | deleter | `UpdateTimeStepsDeleter` | [`delete`] |
//! | tracker | `MultiTargetTracker` | [`Tracker::step`] |
//!
//! `step` is synchronous, does no I/O and is deterministic: the same
//! detections, AIS answers and `now_ms` give the same outcome (ordered maps
//! only; no hash-order iteration).

use std::collections::BTreeMap;
use std::sync::Arc;

use lookout_core::geodesy::{LatLon, MS_PER_KN};
use lookout_core::{SensorKind, VesselClass};

pub mod associate;
pub mod calibrate;
pub mod clutter;
pub mod delete;
pub mod gate;
pub mod initiate;
pub mod kalman;
pub mod pob;
mod tracker;

pub use lookout_core::Detection;
pub use tracker::{Parts, Tracker};

use kalman::{ConstantVelocity, KfState, Predictor};

/// Track identifier: a counter, never reused.
pub type TrackId = u64;

/// The first track id. Far above any MMSI (9 digits), so a track id never
/// looks like a vessel's MMSI.
pub const FIRST_TRACK_ID: TrackId = 1_000_000_000_000;

/// How long a track remembers that it was seen apart from an AIS vessel
/// (see [`Track::seen_apart_from`]), ms: a minute of radar scans.
pub const SEEN_APART_KEEP_MS: i64 = 60_000;

/// Lengths kept per track for the running median.
pub const LENGTH_WINDOW: usize = 15;
/// Image references kept per track (most recent).
pub const MAX_IMAGE_REFS: usize = 16;
/// Person counts kept per track (most recent).
pub const MAX_COUNTS: usize = 256;

/// Tracker parameters.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrackerConfig {
    /// Probability that the true target falls inside the gate (0..1). 0.99 →
    /// χ²₂ threshold 9.21 on the squared Mahalanobis distance.
    pub gate_probability: f64,
    /// A detection left unassociated does not start a track when it lies
    /// within this (wider) gate of a confirmed track or an AIS vessel: with a
    /// 0.99 gate one true echo in a hundred falls just outside, and starting a
    /// track on it would make a duplicate that competes with the real one.
    /// 0.9999 → χ²₂ 18.4.
    pub initiation_exclusion_probability: f64,
    /// Constant-velocity process noise: standard deviation of the white
    /// acceleration, m/s². 0.05–0.1 suits small boats holding a course; a
    /// rubber boat turning hard briefly exceeds it and is caught by the gate.
    pub accel_sigma_ms2: f64,
    /// Detection probability assumed per opportunity in the track score
    /// (0..1): a hit adds `ln Pd + ln N(ν; 0, S) − ln λ`, a miss `ln(1 − Pd)`
    /// (see [`initiate`]). 0.7 is a small boat at mid range; a real Pd lower
    /// than assumed only makes confirmation slower, never faster.
    pub detection_probability: f64,
    /// α of the track score's sequential test: probability that a track of
    /// false plots is confirmed (dimensionless). Confirm at `ln((1 − β)/α)`.
    pub false_confirm_probability: f64,
    /// β of the track score's sequential test: probability that a real
    /// boat's tentative track is dropped (dimensionless). Drop at `ln(β/(1 − α))`.
    pub false_drop_probability: f64,
    /// Clutter map cell side, m (see [`clutter`]; λ is averaged over the 3×3
    /// cells around a plot, so the map resolves clutter patches of ~3 cells).
    pub clutter_cell_m: f64,
    /// Clutter map forgetting time constant, ms: old plots weigh `exp(−age/τ)`.
    /// Minutes: long enough to count a few plots per cell, short enough to
    /// follow a rain cell drifting at 10–15 kn (a few km per τ).
    #[serde(rename = "clutter_time_constant", with = "lookout_core::duration::ms")]
    pub clutter_time_constant_ms: i64,
    /// Clutter density assumed where none has been seen (clean water), false
    /// plots per km² per scan: the floor of λ. Lower confirms real boats in
    /// clean water faster (one clean-water hit at 400 m σ is worth ≈ 9 with
    /// 1e-5) and lets more false tracks through where clutter is unmapped.
    pub clutter_density_floor_per_km2: f64,
    /// A scan is a track-score opportunity for a tentative track of its
    /// sensor when the track lies within the box around the scan's detections
    /// widened by this much, m.
    pub scan_extent_margin_m: f64,
    /// Sensor kinds whose single look is an identification and confirms a
    /// track on its first hit. Default: drone, EO/IR camera and patrol
    /// aircraft — a human or an imaging sensor looked at a boat. Radar (sea
    /// clutter, wakes) and SAR satellite imagery (waves, rocks, one look per
    /// pass) go through the track score; a SAR detection is confirmed when a radar
    /// corroborates it.
    pub confirm_immediately: Vec<SensorKind>,
    /// A confirmed track is deleted after this many revisit periods of its
    /// sensors without a hit (see [`delete`]).
    pub delete_after_revisits: f64,
    /// Lower clamp of the confirmed-track timeout, ms.
    #[serde(rename = "delete_min", with = "lookout_core::duration::ms")]
    pub delete_min_ms: i64,
    /// Upper clamp of every timeout, ms.
    #[serde(rename = "delete_max", with = "lookout_core::duration::ms")]
    pub delete_max_ms: i64,
    /// As `delete_after_revisits`, for tentative tracks.
    pub tentative_delete_after_revisits: f64,
    /// Lower clamp of the tentative-track timeout, ms.
    #[serde(rename = "tentative_delete_min", with = "lookout_core::duration::ms")]
    pub tentative_delete_min_ms: i64,
    /// Revisit period assumed for a sensor until it has re-detected a track, ms.
    #[serde(rename = "default_revisit", with = "lookout_core::duration::ms")]
    pub default_revisit_ms: i64,
    /// Consecutive scans in which a non-AIS track's predicted position gates
    /// with the same AIS vessel before the track is merged into that vessel.
    pub ais_merge_updates: u32,
    /// A track seen apart from an AIS vessel (each took a detection of its own
    /// in the same scan) restarts its merge streak with that vessel, and does
    /// not count towards it for this long, ms: a boat alongside a ship is two
    /// boats. Short, because a wrong assignment (the ship's echo to a
    /// duplicate track, the boat's to the ship) looks the same for a scan.
    #[serde(rename = "ais_apart_hold", with = "lookout_core::duration::ms")]
    pub ais_apart_hold_ms: i64,
    /// Largest AIS position uncertainty (σ, m) the candidate search allows for.
    pub ais_max_sigma_m: f64,
    /// A track's R-tree entry is moved only when the track has drifted this far
    /// from it, m (searches widen by as much): saves most R-tree remove/insert
    /// work, the largest cost of an update.
    pub index_slack_m: f64,
    /// Fastest boat considered, knots: bounds the candidate search radius
    /// (`max_speed × time since the track's last update` + gate margin) and
    /// sets the initial velocity uncertainty (σ = max_speed / 2) of a track
    /// born from a detection without speed.
    pub max_speed_kn: f64,
    /// Fastest a loaded small boat goes, knots: a track identified as a
    /// rubber or wooden boat, or whose boat a sensor counted at least
    /// `loaded_min_persons` people on, or more than the boat's safe capacity
    /// for its class and length ([`crate::pob::safe_capacity`]; a 7.8 m
    /// metal boat with 13 aboard), has its velocity estimate held to this
    /// (projected onto |v| ≤ the limit after each update). Overloaded
    /// inflatables make 4–8 kn; without the limit, a track that loses its
    /// boat under a noisy radar follows clutter at 20–50 kn and takes the
    /// boat's persons count with it.
    pub loaded_boat_max_kn: f64,
    pub loaded_min_persons: u32,
    /// Largest factor by which a radar's stated position errors may be
    /// raised when the residuals of its detections of AIS ships show it
    /// noisier than stated (see [`calibrate`]); 1 (the default) turns
    /// calibration off. Measured on the 24-seed evaluation
    /// (tests/offline/replay_alerts.rs, 2026-12-02) at 4: the estimate follows the
    /// simulated radar noise (×0.7–×2) within 0.1, and the false dark targets
    /// beside AIS ships under noisy radars go (4 → 0), but in the wider gates
    /// two small boats' tracks strayed onto other boats carrying their
    /// persons counts (2 false OVERCROWDED, 1 DARK_TARGET); off by default
    /// until tracks of counted boats are held to their class's speed.
    pub noise_calibration_max_scale: f64,
    /// Most tracks (tentative and confirmed) the tracker holds. At the cap a
    /// detection no track takes starts none (counted in
    /// [`crate::Tracker::refused_at_cap`]), so a flood of false detections
    /// cannot grow memory without bound; tracks already held go on.
    pub max_tracks: usize,
}

/// Default [`TrackerConfig::max_tracks`]: fifty times the 2,000 non-AIS tracks
/// of the busiest simulated sea, and about 100 MB of track state.
pub const DEFAULT_MAX_TRACKS: usize = 100_000;

impl Default for TrackerConfig {
    fn default() -> Self {
        Self {
            gate_probability: 0.99,
            initiation_exclusion_probability: 0.9999,
            accel_sigma_ms2: 0.1,
            detection_probability: 0.7,
            false_confirm_probability: 1e-6,
            false_drop_probability: 0.1,
            clutter_cell_m: 2_000.0,
            clutter_time_constant_ms: 300_000,
            clutter_density_floor_per_km2: 1e-5,
            scan_extent_margin_m: 2_000.0,
            confirm_immediately: vec![SensorKind::Drone, SensorKind::EoIr, SensorKind::Aircraft],
            delete_after_revisits: 5.0,
            delete_min_ms: 30_000,
            delete_max_ms: 600_000,
            tentative_delete_after_revisits: 2.0,
            tentative_delete_min_ms: 5_000,
            default_revisit_ms: 3_000,
            ais_merge_updates: 3,
            ais_apart_hold_ms: 30_000,
            ais_max_sigma_m: 500.0,
            index_slack_m: 250.0,
            max_speed_kn: 40.0,
            loaded_boat_max_kn: 15.0,
            loaded_min_persons: 20,
            noise_calibration_max_scale: 1.0,
            max_tracks: DEFAULT_MAX_TRACKS,
        }
    }
}

/// An AIS vessel as the tracker sees it: its position predicted to the
/// detection time and its uncertainty.
#[derive(Clone, Debug, PartialEq)]
pub struct AisCandidate {
    pub mmsi: u32,
    pub pos: LatLon,
    /// One-sigma position uncertainty, m (report accuracy + dead-reckoning growth).
    pub sigma_m: f64,
    pub sog_kn: Option<f64>,
    pub cog_deg: Option<f64>,
}

/// The picture's AIS side, provided by the caller (the picture owns AIS
/// vessels; they are tracks too).
pub trait AisContext {
    /// Appends the AIS vessels within `radius_m` of `pos` at `time_ms`.
    fn ais_near(&self, pos: LatLon, radius_m: f64, time_ms: i64, out: &mut Vec<AisCandidate>);
}

/// No AIS at all.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAis;

impl AisContext for NoAis {
    fn ais_near(&self, _: LatLon, _: f64, _: i64, _: &mut Vec<AisCandidate>) {}
}

impl<F: Fn(LatLon, f64, i64, &mut Vec<AisCandidate>)> AisContext for F {
    fn ais_near(&self, pos: LatLon, radius_m: f64, time_ms: i64, out: &mut Vec<AisCandidate>) {
        self(pos, radius_m, time_ms, out)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum TrackStatus {
    Tentative,
    Confirmed,
}

/// One sensor's contribution to a track.
#[derive(Debug, Clone, PartialEq)]
pub struct SensorSeen {
    pub kind: SensorKind,
    pub hits: u32,
    pub last_ms: i64,
}

/// Persons counted on board in one look.
#[derive(Debug, Clone, PartialEq)]
pub struct CountSeen {
    pub time_ms: i64,
    pub sensor_id: Arc<str>,
    pub detection_id: Option<Arc<str>>,
    pub count: u32,
    pub confidence: Option<f64>,
}

/// A non-AIS track.
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    pub id: TrackId,
    pub status: TrackStatus,
    pub created_ms: i64,
    /// Time of the last hit (the filter state's time).
    pub updated_ms: i64,
    pub hits: u32,
    pub sensors: BTreeMap<Arc<str>, SensorSeen>,
    /// Running median of the reported lengths (last [`LENGTH_WINDOW`]), m.
    pub length_m: Option<f64>,
    /// Most recent class other than `Unknown`.
    pub vessel_class: Option<VesselClass>,
    /// Person counts, de-duplicated by (sensor_id, detection_id): a repeated
    /// look with the same id replaces the earlier entry.
    pub counts: Vec<CountSeen>,
    /// Most recent [`MAX_IMAGE_REFS`] distinct image references.
    pub image_refs: Vec<Arc<str>>,
    // Filter state: position at `anchor` (x[0..2] = 0 after each update), velocity and covariance.
    pub(crate) anchor: LatLon,
    /// Where the R-tree entry is (within `index_slack_m` of `anchor`).
    pub(crate) indexed_at: LatLon,
    pub(crate) kf: KfState,
    pub(crate) accel_sigma_ms2: f64,
    /// Track score (log-likelihood ratio, see [`initiate`]) while tentative.
    pub(crate) score: f64,
    /// While tentative: the plots (sensor, position, time) that fed the
    /// track, credited to the clutter map if it dies unconfirmed.
    pub(crate) plots: Vec<(Arc<str>, LatLon, i64)>,
    /// (mmsi, consecutive scans gating with it).
    pub(crate) ais_streak: Option<(u32, u32)>,
    /// AIS vessels this track was last seen apart from, (mmsi, time ms): a
    /// scan in which the track and the vessel each took a detection of their
    /// own shows two boats (a small boat alongside a ship), not one.
    pub(crate) apart_from: Vec<(u32, i64)>,
    /// As `apart_from`, but only scans in which the track's own detection
    /// was one no AIS vessel could claim (every AIS vessel gating it took
    /// another), (mmsi, time ms), kept for [`SEEN_APART_KEEP_MS`]. Between
    /// two ships closer than a plot error (a pair trawl) a track of their
    /// echoes is seen apart from either ship while it takes the other's
    /// echo; it is not another boat.
    pub(crate) distinct_from: Vec<(u32, i64)>,
    /// Position error (one σ, m) the sensor gave for the track's latest
    /// detection: how far one plot of this boat may lie from the boat.
    pub(crate) plot_error_m: f64,
    pub(crate) lengths: Vec<f64>,
}

impl Track {
    pub fn is_confirmed(&self) -> bool {
        self.status == TrackStatus::Confirmed
    }

    /// Track score (log-likelihood ratio real vs false, see [`initiate`]) as
    /// of confirmation or the last opportunity while tentative.
    pub fn score(&self) -> f64 {
        self.score
    }

    /// Filter state predicted to `t_ms` (no retrodiction before `updated_ms`).
    pub(crate) fn predicted(&self, t_ms: i64) -> KfState {
        ConstantVelocity { accel_sigma_ms2: self.accel_sigma_ms2 }
            .predict(&self.kf, (t_ms - self.updated_ms).max(0) as f64 / 1000.0)
    }

    /// Position at the last update.
    pub fn last_position(&self) -> LatLon {
        self.anchor
    }

    /// Position extrapolated at constant velocity to `t_ms` (the last updated
    /// position for times before it).
    pub fn position_at(&self, t_ms: i64) -> LatLon {
        let s = self.predicted(t_ms);
        kalman::from_local(self.anchor, [s.x[0], s.x[1]])
    }

    /// Whether the track's boat is a loaded small boat (see
    /// [`TrackerConfig::loaded_boat_max_kn`]).
    pub fn is_loaded_small_boat(&self, min_persons: u32) -> bool {
        if matches!(self.vessel_class, Some(VesselClass::RubberBoat | VesselClass::WoodenBoat)) {
            return true;
        }
        let Some(most) = self.counts.iter().map(|c| c.count).max() else {
            return false;
        };
        // No capacity (a merchant ship): only the absolute count says loaded.
        let capacity = crate::pob::safe_capacity(self.vessel_class.unwrap_or(VesselClass::Unknown), self.length_m);
        most >= min_persons || capacity.is_some_and(|c| most > c)
    }

    /// Estimated speed over ground (kn) and course (degrees true, [0, 360)).
    pub fn velocity_kn_deg(&self) -> (f64, f64) {
        let (ve, vn) = (self.kf.x[2], self.kf.x[3]);
        (ve.hypot(vn) / MS_PER_KN, lookout_core::geodesy::norm_deg(ve.atan2(vn).to_degrees()))
    }

    /// One-sigma position uncertainty at `t_ms`, m: the semi-major axis of the
    /// predicted error ellipse.
    pub fn position_sigma_m(&self, t_ms: i64) -> f64 {
        self.predicted(t_ms).pos_sigma_major()
    }

    /// One-sigma speed uncertainty (largest axis), m/s.
    pub fn velocity_sigma_ms(&self) -> f64 {
        self.kf.p[2][2].max(self.kf.p[3][3]).max(0.0).sqrt()
    }

    /// Position error (one σ, m) the sensor gave for the latest detection.
    pub fn plot_error_m(&self) -> f64 {
        self.plot_error_m
    }

    /// Whether the track and AIS vessel `mmsi` each took a detection of their
    /// own in one scan at or after `since_ms`, the track's one claimed by no
    /// AIS vessel (two boats, not a ship and a split echo of it, nor a track
    /// of two close ships' echoes). Remembered for [`SEEN_APART_KEEP_MS`].
    pub fn seen_apart_from(&self, mmsi: u32, since_ms: i64) -> bool {
        self.distinct_from.iter().any(|&(m, at)| m == mmsi && at >= since_ms)
    }
}

/// What one [`Tracker::step`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepOutcome {
    /// Tracks that received at least one detection (id order).
    pub updated: Vec<TrackId>,
    /// Tracks started (id order).
    pub created: Vec<TrackId>,
    /// Tracks that became Confirmed (id order).
    pub confirmed: Vec<TrackId>,
    /// Tracks deleted: expired, or tentative tracks whose score fell below the
    /// drop threshold (id order).
    pub deleted: Vec<TrackId>,
    /// Detections associated with AIS vessels: (mmsi, detection index in the
    /// input) — the AIS vessel is the track for that boat; no non-AIS track is made.
    pub ais_hits: Vec<(u32, usize)>,
    /// (detection index in the input, track it updated or started), in
    /// detection-index order. A detection credited to an AIS vessel also
    /// appears here when it updated a non-AIS track being merged into that
    /// vessel (same boat: the track must not coast until the merge).
    pub associations: Vec<(usize, TrackId)>,
    /// Non-AIS tracks merged into an AIS vessel (removed from the tracker):
    /// the caller moves their sensors/counts onto the vessel. A detection that
    /// updated such a track in the same step is in the track, not in `ais_hits`.
    pub merged: Vec<(Track, u32)>,
    /// Input indices of detections ignored as invalid (position off the
    /// globe, non-finite or non-positive error).
    pub rejected: Vec<usize>,
}
