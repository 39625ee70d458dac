//! The world: true vessel motion, independent of any sensor.
//!
//! Every vessel follows a *plan* (a queue of [`Task`]s: go to a point at a speed,
//! or stay put for a while) produced by its [`Behaviour`] one cycle at a time
//! (e.g. port → fishing ground → trawl pattern → port → moored). The world is
//! integrated in fixed one-second steps with turn-rate and acceleration limits so
//! tracks are smooth; positions advance geodesically (`geo::Geodesic`).
//! Sensors (AIS now, radar/drones later) only *observe* [`Vessel`] state.

use std::collections::VecDeque;

use geo::{Bearing, Destination, Distance, Geodesic};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::geography::{Area, LatLon, Port};
use super::identity::{self, Identity, Locale};
use super::region::Region;
use super::rng::{gaussian, pick, stream_rng, Stream};

/// Metres per nautical mile.
pub const NM_M: f64 = 1852.0;
/// Metres per second in one knot.
pub const KN_MS: f64 = NM_M / 3600.0;
/// World integration step, ms.
pub const STEP_MS: i64 = 1000;

/// Navigational status codes (M.1371 Table 45) used by the simulator.
pub mod nav {
    pub const UNDER_WAY_ENGINE: u8 = 0;
    pub const AT_ANCHOR: u8 = 1;
    pub const MOORED: u8 = 5;
    pub const FISHING: u8 = 7;
    pub const UNDER_WAY_SAILING: u8 = 8;
}

/// What a vessel is; decides its identity, motion limits and AIS class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum VesselKind {
    Cargo,
    Tanker,
    HighSpeedFerry,
    Ferry,
    Fishing,
    Leisure,
    Pilot,
    Tug,
    Sar,
}

impl VesselKind {
    /// Stable lower-case name (ground truth `kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            VesselKind::Cargo => "cargo",
            VesselKind::Tanker => "tanker",
            VesselKind::HighSpeedFerry => "hsc_ferry",
            VesselKind::Ferry => "ferry",
            VesselKind::Fishing => "fishing",
            VesselKind::Leisure => "leisure",
            VesselKind::Pilot => "pilot",
            VesselKind::Tug => "tug",
            VesselKind::Sar => "sar",
        }
    }

    /// Manoeuvring limits: (max turn rate deg/s, acceleration kn/s, course wander sd deg).
    fn handling(self) -> (f64, f64, f64) {
        match self {
            VesselKind::Cargo | VesselKind::Tanker => (0.35, 0.01, 1.0),
            VesselKind::Ferry => (0.8, 0.03, 1.0),
            VesselKind::HighSpeedFerry => (2.0, 0.15, 0.8),
            VesselKind::Fishing => (3.0, 0.2, 3.0),
            VesselKind::Leisure => (6.0, 0.4, 5.0),
            VesselKind::Pilot | VesselKind::Tug | VesselKind::Sar => (6.0, 0.5, 2.0),
        }
    }
}

/// One step of a vessel's plan.
#[derive(Debug, Clone, PartialEq)]
pub enum Task {
    /// Steer for `to` at `speed_kn`, reporting `status`.
    Go { to: LatLon, speed_kn: f64, status: u8 },
    /// Stay put for `secs` seconds (moored, anchored, waiting), reporting `status`.
    Stay { secs: f64, status: u8 },
    /// Start of a voyage: sets the destination shown in static data (no time).
    Voyage { destination: String },
}

/// What a vessel does, cycle after cycle.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// Through traffic on a lane: out, wait `wait_h` hours beyond the area, back, wait.
    Lane {
        out: &'static [LatLon],
        back: &'static [LatLon],
        speed_kn: f64,
        out_dest: &'static str,
        back_dest: &'static str,
        wait_h: (f64, f64),
    },
    /// Shuttle on a fixed route between two berths (ferries, coastal cargo),
    /// back the same way or, where a routeing scheme makes the ways differ,
    /// by `back` (from the far berth to the first).
    Shuttle {
        route: &'static [LatLon],
        back: Option<&'static [LatLon]>,
        speed_kn: f64,
        dwell_s: (f64, f64),
        names: (&'static str, &'static str),
    },
    /// Anchored, waiting for a berth at `destination`.
    Anchored { spot: LatLon, destination: &'static str },
    /// Fishing trips from a port to a ground with trawl patterns.
    Fishing { port: Port, ground: Area },
    /// Day trips from a marina into the open-sea sector, maybe anchoring.
    Leisure { port: Port, speed_kn: f64 },
    /// Short trips from a port to a working area, lingering there.
    Harbour { port: Port, area: Area, speed_kn: f64, linger_kn: f64, dwell_s: (f64, f64) },
}

/// A simulated vessel: identity, behaviour and true kinematic state.
#[derive(Debug, Clone)]
pub struct Vessel {
    pub kind: VesselKind,
    pub identity: Identity,
    pub behaviour: Behaviour,
    /// True position.
    pub pos: LatLon,
    /// True course over ground, degrees.
    pub cog_deg: f64,
    /// True speed over ground, knots.
    pub sog_kn: f64,
    /// True heading, degrees (course plus a small leeway/crab angle).
    pub heading_deg: f64,
    /// Rate of turn over the last step, degrees per minute (+ = starboard).
    pub rot_deg_min: f64,
    /// Current navigational status (what a truthful transponder reports).
    pub nav_status: u8,
    /// Current voyage destination (static data).
    pub destination: String,
    /// Estimated arrival of the current voyage, UNIX seconds (0 = unknown).
    pub eta_unix_s: i64,
    plan: VecDeque<Task>,
    stay_left_s: f64,
    leeway_deg: f64,
    wander_deg: f64,
    speed_wander_kn: f64,
    rng: ChaCha8Rng,
}

/// All vessels plus the world clock.
#[derive(Debug, Clone)]
pub struct World {
    pub vessels: Vec<Vessel>,
    /// World time, UNIX ms.
    pub time_ms: i64,
}

impl World {
    /// Builds `region`'s fleet scaled by `vessel_scale`, each vessel placed at a
    /// random point of its cycle (so the picture at t=0 looks like steady state).
    pub fn new(region: &Region, seed: u64, start_unix_ms: i64, vessel_scale: f64) -> World {
        let mut vessels = Vec::new();
        let mut mmsis = std::collections::BTreeSet::new();
        for (group, spec) in (region.fleet)().iter().enumerate() {
            let n = (spec.count as f64 * vessel_scale).round() as usize;
            for k in 0..n {
                // The RNG depends only on (seed, group, index in group) so scaling one
                // category or appending categories never reshuffles the others.
                let key = ((group as u64) << 32) | k as u64;
                let mut id_rng = stream_rng(seed, Stream::Identity, key);
                let mut v = Vessel::new(spec, &region.locale, &mut id_rng, stream_rng(seed, Stream::Motion, key));
                while !mmsis.insert(v.identity.mmsi) {
                    v.identity.mmsi += 1;
                }
                v.place_in_cycle(start_unix_ms);
                vessels.push(v);
            }
        }
        World { vessels, time_ms: start_unix_ms }
    }

    /// Advances every vessel in whole steps until the next step would pass `t_ms`.
    pub fn advance_to(&mut self, t_ms: i64) {
        while self.time_ms + STEP_MS <= t_ms {
            self.time_ms += STEP_MS;
            let now_s = self.time_ms / 1000;
            for v in &mut self.vessels {
                v.step(STEP_MS as f64 / 1000.0, now_s);
            }
        }
    }
}

/// How many of which vessels, doing what (one entry of a region's fleet at scale 1.0).
pub struct FleetSpec {
    pub kind: VesselKind,
    pub count: usize,
    /// Draws the vessel's behaviour (from its identity stream).
    pub make: fn(&mut ChaCha8Rng) -> Behaviour,
    /// Share of class B transponders.
    pub class_b_share: f64,
}

/// Through traffic on `lanes` (out, back) at a speed drawn from `speed`, with
/// destinations drawn from `dests` (out, back).
pub(crate) fn lane(
    rng: &mut ChaCha8Rng,
    lanes: (&'static [LatLon], &'static [LatLon]),
    speed: std::ops::Range<f64>,
    dests: (&'static [&'static str], &'static [&'static str]),
    wait_h: (f64, f64),
) -> Behaviour {
    Behaviour::Lane {
        out: lanes.0,
        back: lanes.1,
        speed_kn: rng.random_range(speed),
        out_dest: pick(rng, dests.0),
        back_dest: pick(rng, dests.1),
        wait_h,
    }
}

pub(crate) fn coastal(
    rng: &mut ChaCha8Rng,
    route: &'static [LatLon],
    names: (&'static str, &'static str),
) -> Behaviour {
    Behaviour::Shuttle {
        route,
        back: None,
        speed_kn: rng.random_range(10.0..15.0),
        dwell_s: (4.0 * 3600.0, 14.0 * 3600.0),
        names,
    }
}

pub(crate) fn anchored(rng: &mut ChaCha8Rng, area: Area, destination: &'static str) -> Behaviour {
    Behaviour::Anchored { spot: random_in_area(rng, &area), destination }
}

pub(crate) fn ferry(
    rng: &mut ChaCha8Rng,
    route: &'static [LatLon],
    speed: std::ops::Range<f64>,
    dwell_s: (f64, f64),
    names: (&'static str, &'static str),
) -> Behaviour {
    Behaviour::Shuttle { route, back: None, speed_kn: rng.random_range(speed), dwell_s, names }
}

/// A ferry out by `routes.0` and back by `routes.1` (the same draws as [`ferry`]).
pub(crate) fn ferry_by(
    rng: &mut ChaCha8Rng,
    routes: (&'static [LatLon], &'static [LatLon]),
    speed: std::ops::Range<f64>,
    dwell_s: (f64, f64),
    names: (&'static str, &'static str),
) -> Behaviour {
    Behaviour::Shuttle { route: routes.0, back: Some(routes.1), speed_kn: rng.random_range(speed), dwell_s, names }
}

pub(crate) fn leisure(rng: &mut ChaCha8Rng, port: Port) -> Behaviour {
    Behaviour::Leisure { port, speed_kn: rng.random_range(4.0..20.0) }
}

pub(crate) fn harbour(rng: &mut ChaCha8Rng, port: Port, area: Area, speed_kn: f64, linger_kn: f64) -> Behaviour {
    let speed_kn = speed_kn + rng.random_range(-1.5..1.5);
    Behaviour::Harbour { port, area, speed_kn, linger_kn, dwell_s: (20.0 * 60.0, 2.0 * 3600.0) }
}

pub(crate) fn patrol(rng: &mut ChaCha8Rng, port: Port, area: Area) -> Behaviour {
    let speed_kn = rng.random_range(14.0..24.0);
    Behaviour::Harbour { port, area, speed_kn, linger_kn: 8.0, dwell_s: (2.0 * 3600.0, 10.0 * 3600.0) }
}

/// Destination point `dist_m` metres from `from` on initial bearing `bearing_deg`.
pub fn destination(from: LatLon, bearing_deg: f64, dist_m: f64) -> LatLon {
    let p = Geodesic.destination(from.point(), bearing_deg, dist_m);
    LatLon { lat: p.y(), lon: p.x() }
}

/// Geodesic distance, metres.
pub fn distance_m(a: LatLon, b: LatLon) -> f64 {
    Geodesic.distance(a.point(), b.point())
}

/// Initial geodesic bearing from `a` to `b`, degrees [0, 360).
pub fn bearing_deg(a: LatLon, b: LatLon) -> f64 {
    Geodesic.bearing(a.point(), b.point()).rem_euclid(360.0)
}

/// Uniformly random point in a circular area.
fn random_in_area(rng: &mut ChaCha8Rng, area: &Area) -> LatLon {
    let r = area.radius_nm * NM_M * rng.random::<f64>().sqrt();
    destination(area.centre, rng.random_range(0.0..360.0), r)
}

/// Signed smallest angle from `a` to `b`, degrees in (-180, 180].
pub fn angle_diff(a: f64, b: f64) -> f64 {
    let d = (b - a).rem_euclid(360.0);
    if d > 180.0 {
        d - 360.0
    } else {
        d
    }
}

fn go(to: LatLon, speed_kn: f64, status: u8) -> Task {
    Task::Go { to, speed_kn, status }
}

fn leave_port(plan: &mut Vec<Task>, port: &Port, speed_kn: f64) {
    // Harbour channels are taken slowly whatever the boat's service speed.
    for &p in port.exits {
        plan.push(go(p, speed_kn.min(6.0), nav::UNDER_WAY_ENGINE));
    }
}

fn return_to_port(plan: &mut Vec<Task>, port: &Port, speed_kn: f64) {
    for (i, &p) in port.exits.iter().rev().enumerate() {
        let s = if i == 0 { speed_kn } else { speed_kn.min(6.0) };
        plan.push(go(p, s, nav::UNDER_WAY_ENGINE));
    }
    plan.push(go(port.berth, 3.0, nav::UNDER_WAY_ENGINE));
}

impl Vessel {
    /// A vessel whose state a scenario sets directly (scripted tracks,
    /// [`super::scripted_ais`]); it has no plan and must not be stepped by a [`World`].
    pub fn scripted(kind: VesselKind, identity: Identity, leeway_deg: f64) -> Vessel {
        Vessel {
            kind,
            destination: identity.destination.clone(),
            identity,
            behaviour: Behaviour::Anchored { spot: LatLon { lat: 0.0, lon: 0.0 }, destination: "" },
            pos: LatLon { lat: 0.0, lon: 0.0 },
            cog_deg: 0.0,
            sog_kn: 0.0,
            heading_deg: 0.0,
            rot_deg_min: 0.0,
            nav_status: nav::UNDER_WAY_ENGINE,
            eta_unix_s: 0,
            plan: VecDeque::new(),
            stay_left_s: 0.0,
            leeway_deg,
            wander_deg: 0.0,
            speed_wander_kn: 0.0,
            rng: stream_rng(0, Stream::Motion, u64::MAX),
        }
    }

    fn new(spec: &FleetSpec, locale: &Locale, id_rng: &mut ChaCha8Rng, mut rng: ChaCha8Rng) -> Vessel {
        let behaviour = (spec.make)(id_rng);
        let class_b = id_rng.random_bool(spec.class_b_share);
        let identity = identity::generate(locale, spec.kind, class_b, id_rng);
        let leeway_deg = gaussian(&mut rng) * 1.5;
        Vessel {
            kind: spec.kind,
            identity,
            behaviour,
            pos: LatLon { lat: 0.0, lon: 0.0 },
            cog_deg: 0.0,
            sog_kn: 0.0,
            heading_deg: 0.0,
            rot_deg_min: 0.0,
            nav_status: nav::MOORED,
            destination: String::new(),
            eta_unix_s: 0,
            plan: VecDeque::new(),
            stay_left_s: 0.0,
            leeway_deg,
            wander_deg: 0.0,
            speed_wander_kn: 0.0,
            rng,
        }
    }

    /// Where a cycle starts and ends.
    fn cycle_origin(&self) -> LatLon {
        match &self.behaviour {
            Behaviour::Lane { back, .. } => back[back.len() - 1],
            Behaviour::Shuttle { route, .. } => route[0],
            Behaviour::Anchored { spot, .. } => *spot,
            Behaviour::Fishing { port, .. } | Behaviour::Leisure { port, .. } | Behaviour::Harbour { port, .. } => {
                port.berth
            }
        }
    }

    /// One full cycle of the vessel's behaviour, starting and ending at [`Self::cycle_origin`].
    fn plan_cycle(&mut self) -> Vec<Task> {
        let rng = &mut self.rng;
        let mut plan = Vec::new();
        match self.behaviour.clone() {
            Behaviour::Lane { out, back, speed_kn, out_dest, back_dest, wait_h } => {
                for (lane, dest) in [(out, out_dest), (back, back_dest)] {
                    plan.push(Task::Voyage { destination: dest.to_string() });
                    for &p in lane {
                        plan.push(go(p, speed_kn, nav::UNDER_WAY_ENGINE));
                    }
                    // Beyond the lane end the ship is far outside coverage: call at port.
                    plan.push(Task::Stay { secs: rng.random_range(wait_h.0..wait_h.1) * 3600.0, status: nav::MOORED });
                }
            }
            Behaviour::Shuttle { route, back, speed_kn, dwell_s, names } => {
                for (dest, forward) in [(names.0, true), (names.1, false)] {
                    plan.push(Task::Voyage { destination: dest.to_string() });
                    let pts: Vec<LatLon> = match (forward, back) {
                        (true, _) => route.to_vec(),
                        (false, Some(b)) => b.to_vec(),
                        (false, None) => route.iter().rev().copied().collect(),
                    };
                    let n = pts.len();
                    for (i, p) in pts.into_iter().enumerate().skip(1) {
                        // Reduced speed in the harbour approaches at both ends.
                        let s = if i == 1 || i + 1 == n { speed_kn.min(8.0) } else { speed_kn };
                        plan.push(go(p, s, nav::UNDER_WAY_ENGINE));
                    }
                    plan.push(Task::Stay { secs: rng.random_range(dwell_s.0..dwell_s.1), status: nav::MOORED });
                }
            }
            Behaviour::Anchored { destination, .. } => {
                plan.push(Task::Voyage { destination: destination.to_string() });
                plan.push(Task::Stay { secs: rng.random_range(6.0..48.0) * 3600.0, status: nav::AT_ANCHOR });
            }
            Behaviour::Fishing { port, ground } => {
                plan.push(Task::Voyage { destination: "FISHING GROUNDS".to_string() });
                let transit_kn = rng.random_range(8.0..10.5);
                leave_port(&mut plan, &port, transit_kn);
                for &p in ground.approach {
                    plan.push(go(p, transit_kn, nav::UNDER_WAY_ENGINE));
                }
                let hauls = rng.random_range(1..=3);
                for _ in 0..hauls {
                    trawl_pattern(rng, &ground, &mut plan);
                }
                for &p in ground.approach.iter().rev() {
                    plan.push(go(p, transit_kn, nav::UNDER_WAY_ENGINE));
                }
                return_to_port(&mut plan, &port, transit_kn);
                plan.push(Task::Voyage { destination: port.name.to_uppercase() });
                plan.push(Task::Stay { secs: rng.random_range(4.0..16.0) * 3600.0, status: nav::MOORED });
            }
            Behaviour::Leisure { port, speed_kn } => {
                leave_port(&mut plan, &port, speed_kn);
                let last_exit = port.exits[port.exits.len() - 1];
                for _ in 0..rng.random_range(1..=4) {
                    let b = port.sea_bearing_deg + rng.random_range(-0.5..0.5) * port.sea_arc_deg;
                    let d = rng.random_range(1.0..9.0) * NM_M;
                    let s = (speed_kn * rng.random_range(0.7..1.15)).max(3.0);
                    plan.push(go(destination(last_exit, b, d), s, nav::UNDER_WAY_ENGINE));
                    // (The draw is made either way, so the rest of the plan
                    // does not depend on where anchoring is allowed.)
                    if rng.random_bool(0.35) && d <= port.anchor_max_nm * NM_M {
                        // Swimming stop at anchor.
                        plan.push(Task::Stay { secs: rng.random_range(20.0..150.0) * 60.0, status: nav::AT_ANCHOR });
                    }
                }
                return_to_port(&mut plan, &port, speed_kn);
                plan.push(Task::Stay { secs: rng.random_range(2.0..30.0) * 3600.0, status: nav::MOORED });
            }
            Behaviour::Harbour { port, area, speed_kn, linger_kn, dwell_s } => {
                leave_port(&mut plan, &port, speed_kn);
                for &p in area.approach {
                    plan.push(go(p, speed_kn, nav::UNDER_WAY_ENGINE));
                }
                for _ in 0..rng.random_range(2..=5) {
                    let s = linger_kn * rng.random_range(0.5..1.5);
                    plan.push(go(random_in_area(rng, &area), s, nav::UNDER_WAY_ENGINE));
                    if rng.random_bool(0.3) {
                        // Waiting for a ship (pilot boarding) or drifting on station.
                        plan.push(Task::Stay {
                            secs: rng.random_range(3.0..20.0) * 60.0,
                            status: nav::UNDER_WAY_ENGINE,
                        });
                    }
                }
                return_to_port(&mut plan, &port, speed_kn);
                plan.push(Task::Stay { secs: rng.random_range(dwell_s.0..dwell_s.1), status: nav::MOORED });
            }
        }
        plan
    }

    /// Puts the vessel at a random moment of a fresh cycle, weighted by time, so
    /// the fleet starts in its steady state instead of everyone leaving port at t=0.
    fn place_in_cycle(&mut self, start_unix_ms: i64) {
        let plan = self.plan_cycle();
        let mut at = self.cycle_origin();
        // Duration of each task from where the previous one left the vessel.
        let mut spans = Vec::with_capacity(plan.len());
        for t in &plan {
            let (secs, end) = match t {
                Task::Go { to, speed_kn, .. } => (distance_m(at, *to) / (speed_kn * KN_MS), *to),
                Task::Stay { secs, .. } => (*secs, at),
                Task::Voyage { .. } => (0.0, at),
            };
            spans.push((at, secs));
            at = end;
        }
        let total: f64 = spans.iter().map(|s| s.1).sum();
        let mut u = self.rng.random_range(0.0..total.max(1.0));
        let mut idx = 0;
        while idx + 1 < spans.len() && u >= spans[idx].1 {
            u -= spans[idx].1;
            idx += 1;
        }
        // The latest voyage started before the chosen task still applies.
        if let Some(Task::Voyage { destination }) = plan[..=idx].iter().rev().find(|t| matches!(t, Task::Voyage { .. }))
        {
            self.destination = destination.clone();
        }
        let (from, span) = spans[idx];
        self.pos = from;
        self.plan = plan.into_iter().skip(idx).collect();
        match self.plan.front().cloned() {
            Some(Task::Go { to, speed_kn, status }) => {
                let frac = if span > 0.0 { u / span } else { 0.0 };
                let course = bearing_deg(from, to);
                self.pos = destination(from, course, distance_m(from, to) * frac);
                self.cog_deg = bearing_deg(self.pos, to);
                self.sog_kn = speed_kn;
                self.nav_status = status;
            }
            Some(Task::Stay { status, secs }) => {
                self.stay_left_s = secs - u;
                self.cog_deg = self.rng.random_range(0.0..360.0);
                self.nav_status = status;
            }
            _ => {}
        }
        self.heading_deg = (self.cog_deg + self.leeway_deg).rem_euclid(360.0);
        if self.destination.is_empty() {
            self.destination = self.identity.destination.clone();
        }
        self.eta_unix_s = eta(start_unix_ms / 1000, self.time_to_next_stay_s());
    }

    /// Estimated seconds until the plan next stops (ETA of the current voyage).
    fn time_to_next_stay_s(&self) -> f64 {
        let mut at = self.pos;
        let mut secs = 0.0;
        for t in &self.plan {
            match t {
                Task::Go { to, speed_kn, .. } => {
                    secs += distance_m(at, *to) / (speed_kn * KN_MS);
                    at = *to;
                }
                Task::Stay { .. } => break,
                Task::Voyage { .. } => {}
            }
        }
        secs
    }

    /// Advances the true state by `dt_s` seconds (world time after the step: `now_s`).
    fn step(&mut self, dt_s: f64, now_s: i64) {
        let (max_turn, accel, wander_sd) = self.kind.handling();
        // Zero-time tasks and arrivals are resolved first (bounded: a plan is finite).
        let (target_course, target_speed) = loop {
            match self.plan.front().cloned() {
                None => {
                    let cycle = self.plan_cycle();
                    self.plan.extend(cycle);
                    if let Some(Task::Stay { secs, .. }) = self.plan.front() {
                        self.stay_left_s = *secs;
                    }
                }
                Some(Task::Voyage { destination }) => {
                    self.destination = destination;
                    self.plan.pop_front();
                    self.start_next_task();
                    self.eta_unix_s = eta(now_s, self.time_to_next_stay_s());
                }
                Some(Task::Stay { status, .. }) => {
                    self.nav_status = status;
                    self.stay_left_s -= dt_s;
                    if self.stay_left_s <= 0.0 {
                        self.plan.pop_front();
                        self.start_next_task();
                        continue;
                    }
                    break (self.cog_deg, 0.0);
                }
                Some(Task::Go { to, speed_kn, status }) => {
                    self.nav_status = status;
                    let dist = distance_m(self.pos, to);
                    // Switch waypoint early enough that the turn-rate limit can never
                    // leave the vessel orbiting its target (radius > turning diameter).
                    let turn_radius = self.sog_kn * KN_MS / max_turn.to_radians();
                    if dist < (2.2 * turn_radius).max(25.0) {
                        self.plan.pop_front();
                        self.start_next_task();
                        continue;
                    }
                    let stopping = !matches!(self.plan.get(1), Some(Task::Go { .. }));
                    let mut speed = speed_kn + self.speed_wander_kn;
                    if stopping {
                        // Slow down over the last ~half mile before a berth or stop.
                        speed = speed.min((dist / 250.0).max(2.0));
                    }
                    break (bearing_deg(self.pos, to) + self.wander_deg, speed);
                }
            }
        };

        // Ornstein-Uhlenbeck wander: small, slow, mean-reverting course/speed noise.
        let k = dt_s / 120.0;
        self.wander_deg += -self.wander_deg * k + wander_sd * (2.0 * k).sqrt() * gaussian(&mut self.rng);
        self.speed_wander_kn += -self.speed_wander_kn * k + 0.15 * (2.0 * k).sqrt() * gaussian(&mut self.rng);

        let turn = angle_diff(self.cog_deg, target_course).clamp(-max_turn * dt_s, max_turn * dt_s);
        let moving = self.sog_kn > 0.05 || target_speed > 0.0;
        if moving {
            self.cog_deg = (self.cog_deg + turn).rem_euclid(360.0);
            self.rot_deg_min = turn / dt_s * 60.0;
        } else {
            self.rot_deg_min = 0.0;
        }
        let dv = (target_speed.max(0.0) - self.sog_kn).clamp(-accel * 3.0 * dt_s, accel * dt_s);
        self.sog_kn = (self.sog_kn + dv).max(0.0);
        if self.sog_kn > 0.0 {
            self.pos = destination(self.pos, self.cog_deg, self.sog_kn * KN_MS * dt_s);
        }
        self.heading_deg = (self.cog_deg + self.leeway_deg).rem_euclid(360.0);
    }

    fn start_next_task(&mut self) {
        if let Some(Task::Stay { secs, .. }) = self.plan.front() {
            self.stay_left_s = *secs;
        }
    }
}

/// ETA as UNIX seconds, or 0 ("not available") when the vessel is not on passage.
fn eta(now_s: i64, secs_to_go: f64) -> i64 {
    if secs_to_go < 60.0 {
        0
    } else {
        now_s + secs_to_go as i64
    }
}

/// Appends a lawnmower trawl pattern (parallel tows joined by turns) somewhere
/// inside `ground`, at trawling speed with status "engaged in fishing".
fn trawl_pattern(rng: &mut ChaCha8Rng, ground: &Area, plan: &mut Vec<Task>) {
    let inner = Area { radius_nm: ground.radius_nm * 0.5, ..*ground };
    let centre = random_in_area(rng, &inner);
    let axis = rng.random_range(0.0..180.0);
    let tow_m = rng.random_range(1.5..3.5) * NM_M;
    let spacing_m = rng.random_range(0.15..0.4) * NM_M;
    let tows = rng.random_range(3..=8);
    let speed = rng.random_range(2.2..4.0);
    for i in 0..tows {
        let across = (i as f64 - (tows - 1) as f64 / 2.0) * spacing_m;
        let line_mid = destination(centre, axis + 90.0, across);
        let (a, b) = (destination(line_mid, axis, tow_m / 2.0), destination(line_mid, axis + 180.0, tow_m / 2.0));
        let (first, second) = if i % 2 == 0 { (a, b) } else { (b, a) };
        plan.push(go(first, speed, nav::FISHING));
        plan.push(go(second, speed, nav::FISHING));
    }
}
