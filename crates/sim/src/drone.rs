//! Drones / patrol aircraft: an electro-optical camera on a racetrack patrol,
//! reporting vessels it sees as JSON Lines detection events.
//!
//! Model:
//! - Drone `i` is tasked on dark boat `i mod n` (as drones are cued by distress
//!   calls and sightings): a racetrack at [`DRONE_SPEED_KN`] with 16 nm legs along the
//!   boat's initial course, 1.2 km-radius turns, centred on its expected position half
//!   an hour in ([`DronePatrol::cued`]). Without dark boats it flies the area's
//!   racetrack across the crossings (Strait of Sicily: 24 nm legs on 110°/290°
//!   centred (18 + 10·i) nm on bearing 200° from Lampedusa; [`DronePatrol::racetrack`]).
//! - A vessel within [`CAMERA_RANGE_M`] (horizontal) is reported 2–10 s after it comes
//!   into view and then every 20–60 s while in view.
//! - Each look has a quality `q` in 0..1 (closer is better, plus random conditions:
//!   sea state, glare, crowding). From it:
//!   - `position_error_m` = 15 + 35·(1 − q) (one sigma, horizontal; the reported
//!     position is off by Gaussian noise of σ/√2 per axis);
//!   - length = truth · (1 + 0.1·N(0,1)); course/speed = truth velocity + N(0, 0.3 kn)
//!     per component (course omitted below 0.5 kn);
//!   - class: right with probability 1 − (0.03 + 0.15·(1 − q)), otherwise a
//!     plausible confusion; merchant ships are `MERCHANT` and never get a count;
//!   - persons (boats with people known on board only): the detected fraction
//!     p ~ Beta(κ·m, κ·(1 − m)), κ = 30, mean m = 0.5 + 0.45·q, and the count is
//!     Binomial(persons, p) — it never exceeds the truth; `count_confidence` =
//!     0.4 + 0.5·q, so E[count / persons] = 0.5 + 0.9·(count_confidence − 0.4)
//!     (0.9 ↔ p ≈ 0.95, 0.4 ↔ p ≈ 0.5).

use std::collections::BTreeMap;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use lookout_core::geodesy::flat::half_widths_deg;

use super::geography::LatLon;
use super::region::Racetrack;
use super::rng::{beta, binomial, gaussian, stream_rng, Stream};
use super::world::{bearing_deg, destination, distance_m, NM_M};

/// Horizontal camera range, m.
pub const CAMERA_RANGE_M: f64 = 3000.0;
/// Patrol speed, kn.
pub const DRONE_SPEED_KN: f64 = 60.0;
/// Drone tick (position update and look scheduling), ms.
pub const DRONE_TICK_MS: i64 = 1000;

/// Vessel class as the drone operator judges it: the service's own type, so
/// the simulated events serialise exactly as the service parses them.
pub use lookout_core::VesselClass;

/// A plausible wrong answer for a look at a `class` vessel.
fn confusion<R: Rng>(class: VesselClass, rng: &mut R) -> VesselClass {
    use VesselClass::*;
    let options: &[VesselClass] = match class {
        RubberBoat => &[WoodenBoat, Unknown, MotorYacht],
        WoodenBoat => &[Fishing, RubberBoat, Unknown],
        Fishing => &[WoodenBoat, MotorYacht, Unknown],
        Sailing => &[MotorYacht, Fishing],
        MotorYacht => &[Fishing, Sailing, RubberBoat],
        Merchant => &[Unknown, Fishing],
        Unknown => &[Fishing, WoodenBoat, RubberBoat],
    };
    options[rng.random_range(0..options.len())]
}

/// What the camera sees of one vessel (true state at the look time).
#[derive(Debug, Clone, Copy)]
pub struct DroneTarget {
    /// Stable index of the vessel in the scenario.
    pub index: usize,
    pub pos: LatLon,
    pub cog_deg: f64,
    pub sog_kn: f64,
    pub length_m: f64,
    pub class: VesselClass,
    /// Persons on board, if the truth knows them (dark boats).
    pub persons: Option<u32>,
}

/// One detection event, in the service's JSON Lines form.
#[derive(Debug, Clone, Serialize)]
pub struct DroneEvent {
    pub time: String,
    pub sensor_id: String,
    pub sensor_kind: &'static str,
    pub lat: f64,
    pub lon: f64,
    pub position_error_m: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub course_deg: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speed_kn: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length_m: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vessel_class: Option<VesselClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persons_counted: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count_confidence: Option<f64>,
    pub detection_id: String,
    pub image_ref: String,
}

/// A closed patrol loop flown at constant speed.
#[derive(Debug, Clone)]
pub struct DronePatrol {
    /// Loop vertices (closed: the last joins the first).
    pub points: Vec<LatLon>,
    /// Cumulative distance at each vertex, m; `lap_m` is the total.
    cum_m: Vec<f64>,
    pub lap_m: f64,
    pub speed_kn: f64,
    /// Distance along the loop at the recording start, m.
    phase_m: f64,
    start_ms: i64,
}

impl DronePatrol {
    /// Drone `index`'s default racetrack when nothing cues it (see the module docs).
    pub fn racetrack(r: &Racetrack, index: usize, start_ms: i64) -> DronePatrol {
        let centre = destination(r.from, r.bearing_deg, (r.base_nm + r.step_nm * index as f64) * NM_M);
        DronePatrol::racetrack_at(centre, r.axis_deg, r.leg_nm, 2000.0, index, start_ms)
    }

    /// A racetrack tasked on a reported boat (as drones are cued by distress calls
    /// or sightings): legs of 16 nm along the boat's course `course_deg`, centred on
    /// where the boat is expected half an hour after `cue` at `speed_kn`.
    pub fn cued(index: usize, cue: LatLon, course_deg: f64, speed_kn: f64, start_ms: i64) -> DronePatrol {
        let centre = destination(cue, course_deg, speed_kn * 0.5 * NM_M);
        DronePatrol::racetrack_at(centre, course_deg, 16.0, 1200.0, index, start_ms)
    }

    /// Racetrack centred on `centre`, legs of `leg_nm` on `axis_deg`, turns of `radius_m`.
    pub fn racetrack_at(
        centre: LatLon,
        axis_deg: f64,
        leg_nm: f64,
        radius_m: f64,
        index: usize,
        start_ms: i64,
    ) -> DronePatrol {
        let half_leg = leg_nm / 2.0 * NM_M;
        let radius = radius_m;
        let mut points = Vec::new();
        for (end_sign, side_start) in [(1.0, -90.0), (-1.0, 90.0)] {
            let end_centre = destination(centre, axis_deg + if end_sign > 0.0 { 0.0 } else { 180.0 }, half_leg);
            // Semicircular turn around the end, in 8 chords.
            for k in 0..=8 {
                let b = axis_deg + side_start + 180.0 * k as f64 / 8.0;
                points.push(destination(end_centre, b, radius));
            }
        }
        DronePatrol::new(points, DRONE_SPEED_KN, (index as f64 * 0.37).fract(), start_ms)
    }

    /// A loop through `points` at `speed_kn`, starting `phase` (0..1) of a lap in.
    pub fn new(points: Vec<LatLon>, speed_kn: f64, phase: f64, start_ms: i64) -> DronePatrol {
        let mut cum_m = Vec::with_capacity(points.len());
        let mut acc = 0.0;
        for i in 0..points.len() {
            cum_m.push(acc);
            acc += distance_m(points[i], points[(i + 1) % points.len()]);
        }
        DronePatrol { points, cum_m, lap_m: acc, speed_kn, phase_m: phase * acc, start_ms }
    }

    /// Position at `t_ms`.
    pub fn position_at(&self, t_ms: i64) -> LatLon {
        if self.points.len() < 2 || self.lap_m <= 0.0 {
            return self.points[0];
        }
        let s = (self.phase_m + self.speed_kn * NM_M / 3600.0 * (t_ms - self.start_ms) as f64 / 1000.0)
            .rem_euclid(self.lap_m);
        let i = match self.cum_m.binary_search_by(|c| c.total_cmp(&s)) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let (a, b) = (self.points[i], self.points[(i + 1) % self.points.len()]);
        destination(a, bearing_deg(a, b), s - self.cum_m[i])
    }
}

/// One drone's state.
pub struct Drone {
    pub id: String,
    pub patrol: DronePatrol,
    rng: ChaCha8Rng,
    /// Next look due per vessel in view.
    due: BTreeMap<usize, i64>,
    seq: u64,
}

impl Drone {
    pub fn new(seed: u64, index: usize, patrol: DronePatrol) -> Drone {
        Drone {
            id: format!("drone-{}", index + 1),
            patrol,
            rng: stream_rng(seed, Stream::Drone, index as u64),
            due: BTreeMap::new(),
            seq: 0,
        }
    }

    /// One tick at `t_ms`: schedules looks at vessels in view and makes the due ones.
    pub fn tick(&mut self, t_ms: i64, targets: &[DroneTarget], time: &str) -> Vec<DroneEvent> {
        let here = self.patrol.position_at(t_ms);
        let (dlat, dlon) = half_widths_deg(CAMERA_RANGE_M, here.lat);
        let mut events = Vec::new();
        let mut in_view = Vec::new();
        for tg in targets {
            if (tg.pos.lat - here.lat).abs() > dlat || (tg.pos.lon - here.lon).abs() > dlon {
                continue;
            }
            let d = distance_m(here, tg.pos);
            if d > CAMERA_RANGE_M {
                continue;
            }
            in_view.push(tg.index);
            match self.due.get(&tg.index).copied() {
                None => {
                    let delay = self.rng.random_range(2_000..10_000);
                    self.due.insert(tg.index, t_ms + delay);
                }
                Some(due) if t_ms >= due => {
                    events.push(self.look(tg, d, time));
                    let next = self.rng.random_range(20_000..=60_000);
                    self.due.insert(tg.index, t_ms + next);
                }
                Some(_) => {}
            }
        }
        self.due.retain(|k, _| in_view.contains(k));
        events
    }

    fn look(&mut self, tg: &DroneTarget, dist_m: f64, time: &str) -> DroneEvent {
        let rng = &mut self.rng;
        let closeness = (1.0 - dist_m / CAMERA_RANGE_M).clamp(0.0, 1.0);
        let q = (0.8 * closeness.powf(0.7) + 0.2 * rng.random::<f64>() + 0.08 * gaussian(rng)).clamp(0.02, 1.0);
        let err = 15.0 + 35.0 * (1.0 - q);
        let axis_sd = err / std::f64::consts::SQRT_2;
        let (dn, de) = (axis_sd * gaussian(rng), axis_sd * gaussian(rng));
        let pos = destination(tg.pos, de.atan2(dn).to_degrees(), dn.hypot(de));
        let c = tg.cog_deg.to_radians();
        let ve = tg.sog_kn * c.sin() + 0.3 * gaussian(rng);
        let vn = tg.sog_kn * c.cos() + 0.3 * gaussian(rng);
        let speed = ve.hypot(vn);
        let course = (speed >= 0.5).then(|| ve.atan2(vn).to_degrees().rem_euclid(360.0));
        let length = (tg.length_m * (1.0 + 0.1 * gaussian(rng))).max(2.0);
        let class = if rng.random_bool(0.03 + 0.15 * (1.0 - q)) { confusion(tg.class, rng) } else { tg.class };
        let (count, conf) = match tg.persons {
            Some(n) if n > 0 && tg.class != VesselClass::Merchant => {
                let m = 0.5 + 0.45 * q;
                let kappa = 30.0;
                let p = beta(rng, kappa * m, kappa * (1.0 - m));
                (Some(binomial(rng, n, p)), Some(round_to(0.4 + 0.5 * q, 100.0)))
            }
            _ => (None, None),
        };
        self.seq += 1;
        let frame = format!("{:06}", self.seq);
        DroneEvent {
            time: time.to_string(),
            sensor_id: self.id.clone(),
            sensor_kind: "DRONE",
            lat: round_to(pos.lat, 1e5),
            lon: round_to(pos.lon, 1e5),
            position_error_m: round_to(err, 10.0),
            course_deg: course.map(|c| round_to(c, 10.0) % 360.0),
            speed_kn: Some(round_to(speed, 10.0)),
            length_m: Some(round_to(length, 10.0)),
            vessel_class: Some(class),
            persons_counted: count,
            count_confidence: conf,
            detection_id: format!("{}-{}", self.id, frame),
            image_ref: format!("sim://{}/{}.jpg", self.id, frame),
        }
    }
}

pub(crate) fn round_to(x: f64, scale: f64) -> f64 {
    (x * scale).round() / scale
}
