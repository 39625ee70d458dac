//! Dark boats: vessels with no AIS at all, moving in the same world as the AIS fleet
//! but observable only by radar, drones and aircraft.
//!
//! Where they come from and go to is the area's [`Crossing`]: e.g. rubber and
//! wooden boats from Libya and small metal boats from Tunisia, all for Lampedusa,
//! starting 10–40 nm out at the recording start (a 150 nm crossing does not fit
//! in an hour). Some have (or get) engine failure and then drift with the
//! surface current (the crossing's set and rate).
//!
//! [`Motion::Scripted`] lets a scenario place a vessel on timed waypoints (e.g. a
//! "mother ship" that tows boats out and turns back), interpolated geodesically.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::geography::LatLon;
use super::region::Crossing;
use super::rng::{gaussian, stream_rng, Stream};
use super::world::{bearing_deg, destination, distance_m, KN_MS, NM_M, STEP_MS};

/// What a dark boat is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DarkKind {
    /// Inflatable ("gommone"), from Libya.
    RubberBoat,
    /// Wooden fishing-type boat, from Libya.
    WoodenBoat,
    /// Small metal or fibreglass boat, from Sfax / Kerkennah.
    MetalBoat,
    /// Anything a scenario scripts (e.g. a mother ship without AIS).
    Other,
}

impl DarkKind {
    /// Ground-truth `kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            DarkKind::RubberBoat => "rubber_boat",
            DarkKind::WoodenBoat => "wooden_boat",
            DarkKind::MetalBoat => "metal_boat",
            DarkKind::Other => "other",
        }
    }
}

/// A timed waypoint of a scripted track.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Waypoint {
    /// UNIX ms at which the vessel is at `pos`.
    pub t_ms: i64,
    pub pos: LatLon,
}

/// How a dark boat moves.
#[derive(Debug, Clone, PartialEq)]
pub enum Motion {
    /// Under way for `goal` at `speed_kn` (with course/speed wander); the engine
    /// fails at `engine_fails_ms`, if given, and the boat then drifts.
    Underway { goal: LatLon, speed_kn: f64, engine_fails_ms: Option<i64> },
    /// Engine failure: drifting with the current, towards `set_deg` at `drift_kn`.
    Drifting { set_deg: f64, drift_kn: f64 },
    /// Arrived at the landfall point, stopped (or nearly) waiting for rescue.
    Arrived,
    /// Follows timed waypoints (geodesic interpolation; holds the first / last
    /// position before / after them).
    Scripted(Vec<Waypoint>),
}

/// One non-AIS vessel: identity and true state.
#[derive(Debug, Clone)]
pub struct DarkBoat {
    /// Ground-truth id, e.g. "dark-3".
    pub truth_id: String,
    pub kind: DarkKind,
    pub length_m: f64,
    /// Persons on board (truth).
    pub persons: u32,
    pub motion: Motion,
    pub pos: LatLon,
    pub cog_deg: f64,
    pub sog_kn: f64,
    /// Drift set and rate used if the engine fails.
    drift: (f64, f64),
    wander_deg: f64,
    speed_wander_kn: f64,
    rng: ChaCha8Rng,
}

impl DarkBoat {
    /// A generated boat on one of `crossing`'s routes: `index` picks its random
    /// stream, so boats are independent.
    pub fn generate(crossing: &Crossing, seed: u64, index: usize, start_ms: i64) -> DarkBoat {
        let mut rng = stream_rng(seed, Stream::Dark, index as u64);
        let u: f64 = rng.random();
        let specs = crossing.boats;
        let spec = specs.iter().find(|s| u < s.share_below).unwrap_or(&specs[specs.len() - 1]);
        let kind = spec.kind;
        let length_m = rng.random_range(spec.length_m.0..spec.length_m.1);
        let persons = rng.random_range(spec.persons.0..=spec.persons.1);
        let speed_kn = rng.random_range(spec.speed_kn.0..spec.speed_kn.1);
        let bearing = rng.random_range(spec.bearing_deg.0..spec.bearing_deg.1);
        let dist_nm = rng.random_range(spec.dist_nm.0..spec.dist_nm.1);
        let (p_drift, p_fail) = (spec.p_drift, spec.p_fail);
        let pos = destination(crossing.destination, bearing, dist_nm * NM_M);
        // Steering for the landfall, not perfectly: a few degrees of aim error.
        let goal = destination(crossing.landfall, rng.random_range(0.0..360.0), rng.random_range(0.0..0.5) * NM_M);
        let (set, rate) = (crossing.drift_set_deg, crossing.drift_kn);
        let drift = (rng.random_range(set.0..set.1), rng.random_range(rate.0..rate.1));
        let motion = if rng.random_bool(p_drift) {
            Motion::Drifting { set_deg: drift.0, drift_kn: drift.1 }
        } else {
            let fails = rng.random_bool(p_fail);
            let at = start_ms + rng.random_range(5 * 60_000..55 * 60_000);
            Motion::Underway { goal, speed_kn, engine_fails_ms: fails.then_some(at) }
        };
        let (cog_deg, sog_kn) = match &motion {
            Motion::Drifting { set_deg, drift_kn } => (*set_deg, *drift_kn),
            _ => (bearing_deg(pos, goal), speed_kn),
        };
        DarkBoat {
            truth_id: format!("dark-{index}"),
            kind,
            length_m: (length_m * 10.0f64).round() / 10.0,
            persons,
            motion,
            pos,
            cog_deg,
            sog_kn,
            drift,
            wander_deg: 0.0,
            speed_wander_kn: 0.0,
            rng,
        }
    }

    /// A scripted vessel (positions from `waypoints`; at least one).
    pub fn scripted(truth_id: &str, kind: DarkKind, length_m: f64, persons: u32, waypoints: Vec<Waypoint>) -> DarkBoat {
        assert!(!waypoints.is_empty(), "a scripted vessel needs a waypoint");
        let pos = waypoints[0].pos;
        let mut b = DarkBoat {
            truth_id: truth_id.to_string(),
            kind,
            length_m,
            persons,
            motion: Motion::Scripted(waypoints),
            pos,
            cog_deg: 0.0,
            sog_kn: 0.0,
            drift: (90.0, 1.0),
            wander_deg: 0.0,
            speed_wander_kn: 0.0,
            rng: stream_rng(0, Stream::Dark, u64::MAX),
        };
        if let Motion::Scripted(w) = &b.motion {
            let (p, c, s) = scripted_state(w, w[0].t_ms);
            (b.pos, b.cog_deg, b.sog_kn) = (p, c, s);
        }
        b
    }

    /// True when the engine is dead (drifting).
    pub fn is_drifting(&self) -> bool {
        matches!(self.motion, Motion::Drifting { .. })
    }

    /// Advances one world step; `now_ms` is the time after the step.
    fn step(&mut self, dt_s: f64, now_ms: i64) {
        if let Motion::Scripted(w) = &self.motion {
            (self.pos, self.cog_deg, self.sog_kn) = scripted_state(w, now_ms);
            return;
        }
        if let Motion::Underway { engine_fails_ms: Some(at), .. } = self.motion {
            if now_ms >= at {
                self.motion = Motion::Drifting { set_deg: self.drift.0, drift_kn: self.drift.1 };
            }
        }
        let k = dt_s / 120.0;
        let (target_course, target_speed, wander_sd, max_turn, accel) = match &self.motion {
            Motion::Underway { goal, speed_kn, .. } => {
                if distance_m(self.pos, *goal) < 300.0 {
                    self.motion = Motion::Arrived;
                    (self.cog_deg, 0.2, 10.0, 10.0, 0.2)
                } else {
                    (bearing_deg(self.pos, *goal), *speed_kn, 4.0, 5.0, 0.2)
                }
            }
            Motion::Drifting { set_deg, drift_kn } => (*set_deg, *drift_kn, 20.0, 2.0, 0.05),
            _ => (self.cog_deg, 0.2, 10.0, 10.0, 0.2),
        };
        self.wander_deg += -self.wander_deg * k + wander_sd * (2.0 * k).sqrt() * gaussian(&mut self.rng);
        self.speed_wander_kn += -self.speed_wander_kn * k + 0.25 * (2.0 * k).sqrt() * gaussian(&mut self.rng);
        let want = target_course + self.wander_deg;
        let d = super::world::angle_diff(self.cog_deg, want).clamp(-max_turn * dt_s, max_turn * dt_s);
        self.cog_deg = (self.cog_deg + d).rem_euclid(360.0);
        let want_speed = (target_speed + self.speed_wander_kn * target_speed / 6.0).max(0.0);
        let dv = (want_speed - self.sog_kn).clamp(-accel * 3.0 * dt_s, accel * dt_s);
        self.sog_kn = (self.sog_kn + dv).max(0.0);
        if self.sog_kn > 0.0 {
            self.pos = destination(self.pos, self.cog_deg, self.sog_kn * KN_MS * dt_s);
        }
    }
}

/// Position, course and speed on a scripted track at `t_ms`.
pub fn scripted_state(w: &[Waypoint], t_ms: i64) -> (LatLon, f64, f64) {
    if t_ms <= w[0].t_ms || w.len() == 1 {
        let (c, s) = if w.len() > 1 && t_ms == w[0].t_ms { seg_velocity(&w[0], &w[1]) } else { (0.0, 0.0) };
        return (w[0].pos, c, s);
    }
    // First segment whose end is not before t (binary search; t > w[0].t_ms here).
    let j = w.partition_point(|p| p.t_ms < t_ms);
    if let Some(pair) = w.get(j.max(1) - 1..=j) {
        let (a, b) = (&pair[0], &pair[1]);
        {
            let span = (b.t_ms - a.t_ms).max(1) as f64;
            let frac = (t_ms - a.t_ms) as f64 / span;
            let dist = distance_m(a.pos, b.pos);
            let brg = bearing_deg(a.pos, b.pos);
            let (c, s) = seg_velocity(a, b);
            return (destination(a.pos, brg, dist * frac), c, s);
        }
    }
    (w[w.len() - 1].pos, 0.0, 0.0)
}

fn seg_velocity(a: &Waypoint, b: &Waypoint) -> (f64, f64) {
    let secs = (b.t_ms - a.t_ms).max(1) as f64 / 1000.0;
    let dist = distance_m(a.pos, b.pos);
    (bearing_deg(a.pos, b.pos), dist / secs / KN_MS)
}

/// The dark fleet, integrated in the same one-second steps as [`super::world::World`].
#[derive(Debug, Clone)]
pub struct DarkFleet {
    pub boats: Vec<DarkBoat>,
    pub time_ms: i64,
}

impl DarkFleet {
    /// `count` boats generated on `crossing` plus the given scripted ones.
    pub fn new(crossing: &Crossing, seed: u64, start_ms: i64, count: usize, scripted: &[DarkBoat]) -> DarkFleet {
        let mut boats: Vec<DarkBoat> = (0..count).map(|i| DarkBoat::generate(crossing, seed, i, start_ms)).collect();
        boats.extend(scripted.iter().cloned());
        for b in &mut boats {
            if let Motion::Scripted(w) = &b.motion {
                (b.pos, b.cog_deg, b.sog_kn) = scripted_state(w, start_ms);
            }
        }
        DarkFleet { boats, time_ms: start_ms }
    }

    /// Advances every boat in whole steps until the next step would pass `t_ms`.
    pub fn advance_to(&mut self, t_ms: i64) {
        while self.time_ms + STEP_MS <= t_ms {
            self.time_ms += STEP_MS;
            for b in &mut self.boats {
                b.step(STEP_MS as f64 / 1000.0, self.time_ms);
            }
        }
    }
}
