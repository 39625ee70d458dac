//! Labelled anomaly scenarios: scripted incidents of each alert kind mixed into the
//! normal traffic of [`super::write_scenario`], with one JSON Lines label per incident,
//! to measure an alerting stage's recall and false alerts.
//!
//! # What is scripted
//! Every incident draws its place and time from its own random stream
//! (`Stream::Anomaly`, key = kind and instance), so different seeds give different
//! pictures and adding a kind never moves another kind's incidents. Places are drawn
//! in open-water zones (south/south-west of Lampedusa towards Libya and Tunisia, south
//! of Malta, between Malta and Sicily, the Gibraltar–Suez lane south of Malta) and
//! rejected when on land, within 8 nm of a port, on/near a fishing ground, anchorage or
//! pilot area, or outside the coverage the kind needs (AIS ≤ 35 nm from a shore
//! station, radar ≥ 1 nm inside a site's range). Incidents start 8–90 min into the
//! recording; scripted AIS vessels exist from at most 60 min before to 60 min after
//! their incident (outside it they are beyond the simulated area: no truth, no
//! sensor sees them). Scripted dark boats exist for the whole recording.
//!
//! - `DARK_TARGET`: `per_kind` scripted dark boats (metal boats from Tunisia for
//!   Lampedusa, wooden boats south of Malta heading for it). **Every** non-AIS boat
//!   (generated, scripted and those of the other incidents) is labelled from its first
//!   to its last truth sample inside radar coverage (≥ 1 nm inside a site's range).
//!   So is each `AIS_GAP` vessel for its silent interval (its transponder is off
//!   inside radar coverage: radar sees a boat without AIS).
//! - `AIS_GAP`: a trawler (18–30 m, class A) or small freighter transits, switches its
//!   transponder off for 20–60 min (clamped to the recording) inside AIS and radar
//!   coverage away from port, turns 40–120° and goes on at 8–11 kn, and switches on
//!   again elsewhere. Label: `[off, on)`, position where it went silent.
//! - `LOITERING`: a freighter idling in the lane, or a trawler idling off Libya
//!   (not on a ground): slows down, drifts at 0.3–1.2 kn for 30–90 min, resumes.
//! - `RENDEZVOUS`: mother-ship pattern off Lampedusa: a trawler or small freighter
//!   (AIS) and a dark rubber/wooden boat arrive from different directions, drift
//!   60–150 m apart at 0.3–1.2 kn for 10–30 min, then part: the mother ship back
//!   south, the boat for Lampedusa.
//! - `ROUTE_DEVIATION`: a freighter leaving the lane south of Malta on a southerly
//!   course (160–200°), or a ferry out of Valletta on the Pozzallo route turning east
//!   off it. Label from the turn to the vessel's last presence.
//! - `POSITION_JUMP`: even instances: a vessel transmits another scripted vessel's
//!   identity (static data included) for 10–30 min while the two are ≥ 30 nm apart;
//!   odd instances: a vessel reports positions 20 nm off the truth for 3–5 reports.
//! - `OVERCROWDED`: a 9–10 m rubber boat with 130–180 people (under way for Lampedusa,
//!   or drifting with a dead engine), with an extra drone cued on it. **Every** dark
//!   boat whose persons exceed the simulator's own capacity rule (`safe_capacity` here) is labelled from the first
//!   time a drone has it within camera range.
//!
//! # Normal look-alikes (negative labels)
//! Labels of kind `NORMAL` (the [`AnomalyKind::Normal`] variant) mark normal traffic
//! that must **not** alert; their `resembles` field names the alert kind they look
//! like. Scripted: `per_kind` pilot boardings at the Valletta pilot station (ship at
//! 2.5 kn with the pilot boat 50 m abeam for 4–8 min, near port) and `per_kind` pair
//! trawls on a fishing ground (two trawlers 120–200 m apart at 2.5–3.2 kn).
//! Observed in the normal fleet (one label per contiguous run of ≥ 2 min): trawling
//! (`nav_status` 7), ships at anchor, SAR boats out of port, class B yachts idle or
//! anchored, ferries manoeuvring within 3 nm of a port, pilot boats and tugs out.
//!
//! # What stays the same
//! The normal fleet's AIS sentences are byte-identical to `write_recording`'s for the
//! same `SimConfig` (scripted vessels transmit from their own transponder streams and
//! are merged in). Radar and drone output of normal vessels is **not** unchanged: the
//! radar's and drones' random streams are shared by all targets of a site, so extra
//! targets shift later draws (and `noise_scale` changes radar noise and clutter).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::dark::{DarkBoat, DarkFleet, DarkKind, Waypoint};
use super::drone::{DronePatrol, CAMERA_RANGE_M};
use super::geography::{Area, LatLon};
use super::identity::{self, Identity};
use super::radar::RadarSite;
use super::region::{Origin, Region, Sector};
use super::rng::{stream_rng, Stream};
use super::scenario::{drone_patrols, write_scenario_with, Extras, NormalRun, TRUTH_INTERVAL_MS};
use super::scripted_ais::{ScriptedAis, TxMode, TxWindow};
use super::world::{bearing_deg, destination, distance_m, nav, Vessel, VesselKind, World, KN_MS, NM_M};
use super::{ScenarioSummary, SensorConfig, SimConfig};

/// Alert kinds (serialised SCREAMING_SNAKE_CASE, e.g. `"AIS_GAP"`), plus `NORMAL`
/// for negative labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AnomalyKind {
    DarkTarget,
    AisGap,
    Loitering,
    Rendezvous,
    RouteDeviation,
    PositionJump,
    Overcrowded,
    /// Normal traffic that resembles an anomaly and must not alert (negative label).
    Normal,
}

impl AnomalyKind {
    /// The seven alert kinds.
    pub const ALL: [AnomalyKind; 7] = [
        AnomalyKind::DarkTarget,
        AnomalyKind::AisGap,
        AnomalyKind::Loitering,
        AnomalyKind::Rendezvous,
        AnomalyKind::RouteDeviation,
        AnomalyKind::PositionJump,
        AnomalyKind::Overcrowded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AnomalyKind::DarkTarget => "DARK_TARGET",
            AnomalyKind::AisGap => "AIS_GAP",
            AnomalyKind::Loitering => "LOITERING",
            AnomalyKind::Rendezvous => "RENDEZVOUS",
            AnomalyKind::RouteDeviation => "ROUTE_DEVIATION",
            AnomalyKind::PositionJump => "POSITION_JUMP",
            AnomalyKind::Overcrowded => "OVERCROWDED",
            AnomalyKind::Normal => "NORMAL",
        }
    }
}

/// Which incidents to script.
#[derive(Debug, Clone, PartialEq)]
pub struct AnomalyConfig {
    /// Kinds to script (default: all seven).
    pub kinds: Vec<AnomalyKind>,
    /// Scripted instances per kind (default 2).
    pub per_kind: usize,
    /// Radar noise multiplier (range/bearing sigma and clutter rate; default 1).
    pub noise_scale: f64,
    /// Script and label normal look-alikes (default true).
    pub lookalikes: bool,
}

impl Default for AnomalyConfig {
    fn default() -> Self {
        AnomalyConfig { kinds: AnomalyKind::ALL.to_vec(), per_kind: 2, noise_scale: 1.0, lookalikes: true }
    }
}

/// One labelled incident: what should be alerted, where and when, by whom.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Label {
    pub kind: AnomalyKind,
    /// Interval (UNIX ms, inclusive) in which the labelled condition holds.
    pub start_ms: i64,
    pub end_ms: i64,
    /// Ground-truth ids of the vessels involved (MMSI strings for AIS vessels).
    pub truth_ids: Vec<String>,
    /// The MMSI concerned (the silent, loitering, shared or jumping one...).
    pub mmsi: Option<u32>,
    /// Where the incident is (see the module docs per kind).
    pub lat: f64,
    pub lon: f64,
    pub note: String,
    /// For `NORMAL` labels: the alert kind the activity resembles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resembles: Option<AnomalyKind>,
}

/// What an anomaly scenario contains.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnomalySummary {
    /// The scenario (its `ais` part covers the normal fleet only).
    pub scenario: ScenarioSummary,
    /// Labels per kind name (`NORMAL` included).
    pub labels: BTreeMap<&'static str, usize>,
    pub scripted_ais_vessels: usize,
    pub scripted_dark_boats: usize,
    pub extra_drones: usize,
    /// Messages / sentences written and messages lost for scripted AIS vessels.
    pub extra_ais_messages: u64,
    pub extra_ais_sentences: u64,
    pub extra_ais_lost: u64,
}

// ---------------------------------------------------------------------------
// Geography checks
// ---------------------------------------------------------------------------

/// True on land (or too close to a coast for a scripted track).
fn on_land(r: &Region, p: LatLon) -> bool {
    (r.on_land)(p)
}

/// Distance to the nearest port berth, nm.
pub fn port_distance_nm(r: &Region, p: LatLon) -> f64 {
    r.ports.iter().map(|&b| distance_m(p, b) / NM_M).fold(f64::INFINITY, f64::min)
}

/// True on (or within 2 nm of) a fishing ground, anchorage or pilot area.
pub fn on_ground_or_anchorage(r: &Region, p: LatLon) -> bool {
    r.grounds.iter().chain(r.work_areas).any(|a| distance_m(p, a.centre) / NM_M < a.radius_nm + 2.0)
}

/// Open water away from ports (≥ 8 nm), grounds, anchorages and pilot areas.
pub fn open_water(r: &Region, p: LatLon) -> bool {
    !on_land(r, p) && port_distance_nm(r, p) >= 8.0 && !on_ground_or_anchorage(r, p)
}

/// Within 35 nm of a shore station.
fn ais_covered(r: &Region, p: LatLon) -> bool {
    r.nearest_station(p).1 <= 35.0
}

fn radar_covered(radars: &[RadarSite], p: LatLon) -> bool {
    radars.iter().any(|r| distance_m(p, r.pos()) / NM_M <= r.range_nm - 1.0)
}

/// Every waypoint and 4 points per segment satisfy `ok`.
fn path_ok(w: &[Waypoint], ok: impl Fn(LatLon) -> bool) -> bool {
    if !w.iter().all(|p| ok(p.pos)) {
        return false;
    }
    w.windows(2).all(|s| {
        let d = distance_m(s[0].pos, s[1].pos);
        let b = bearing_deg(s[0].pos, s[1].pos);
        (1..5).all(|k| ok(destination(s[0].pos, b, d * k as f64 / 5.0)))
    })
}

// ---------------------------------------------------------------------------
// Incident builder
// ---------------------------------------------------------------------------

const MIN: i64 = 60_000;
/// Longest a scripted AIS vessel is present before / after its incident.
const MAX_PRE_MS: i64 = 60 * MIN;
const MAX_POST_MS: i64 = 60 * MIN;

/// Where an incident is placed: one of the area's open-water zones
/// ([`super::region::Incidents::zones`]) or its lane.
#[derive(Debug, Clone, Copy)]
enum Zone {
    Open(usize),
    Lane,
}

/// A point in `s` (bearing and distance drawn, in that order).
fn sector_point(rng: &mut ChaCha8Rng, s: &Sector) -> LatLon {
    destination(
        s.centre,
        rng.random_range(s.bearing_deg.0..s.bearing_deg.1),
        rng.random_range(s.dist_nm.0..s.dist_nm.1) * NM_M,
    )
}

/// A point of `zone` and a course there (random in open water, the lane's on the lane).
fn zone_point(r: &Region, rng: &mut ChaCha8Rng, zone: Zone) -> (LatLon, f64) {
    match zone {
        Zone::Open(i) => (sector_point(rng, &r.incidents.zones[i]), rng.random_range(0.0..360.0)),
        Zone::Lane => {
            let lane = r.incidents.lane;
            let (lo, hi) = r.incidents.lane_segments;
            let seg = rng.random_range(lo..hi);
            let (a, b) = (lane[seg], lane[seg + 1]);
            let u: f64 = rng.random_range(0.0..1.0);
            let brg = bearing_deg(a, b);
            (destination(a, brg, distance_m(a, b) * u), brg)
        }
    }
}

/// Timed path under construction.
struct Path {
    w: Vec<Waypoint>,
}

impl Path {
    fn at(t_ms: i64, pos: LatLon) -> Path {
        Path { w: vec![Waypoint { t_ms, pos }] }
    }
    fn last(&self) -> Waypoint {
        self.w[self.w.len() - 1]
    }
    /// On `course` at `speed_kn` until `t_ms`.
    fn go(&mut self, course: f64, speed_kn: f64, t_ms: i64) -> &mut Self {
        let l = self.last();
        if t_ms > l.t_ms {
            let d = speed_kn * KN_MS * (t_ms - l.t_ms) as f64 / 1000.0;
            self.w.push(Waypoint { t_ms, pos: destination(l.pos, course, d) });
        }
        self
    }
    /// Straight to `pos` at `speed_kn`; returns the arrival time.
    fn to(&mut self, pos: LatLon, speed_kn: f64) -> i64 {
        let l = self.last();
        let t = l.t_ms + (distance_m(l.pos, pos) / (speed_kn * KN_MS) * 1000.0).round() as i64;
        self.w.push(Waypoint { t_ms: t.max(l.t_ms + 1000), pos });
        self.last().t_ms
    }
    fn hold(&mut self, t_ms: i64) -> &mut Self {
        let l = self.last();
        if t_ms > l.t_ms {
            self.w.push(Waypoint { t_ms, pos: l.pos });
        }
        self
    }
}

/// Arrives at `m` at `t0` on `course` from `t_begin`; the last `slow_ms` at
/// `slow_frac` of `speed_kn`.
fn approach(m: LatLon, t0: i64, course: f64, speed_kn: f64, t_begin: i64, slow_ms: i64, slow_frac: f64) -> Path {
    let slow_ms = slow_ms.min(t0 - t_begin);
    let p_slow = destination(m, course + 180.0, slow_frac * speed_kn * KN_MS * slow_ms as f64 / 1000.0);
    let t_slow = t0 - slow_ms;
    let p0 = destination(p_slow, course + 180.0, speed_kn * KN_MS * (t_slow - t_begin) as f64 / 1000.0);
    let mut p = Path::at(t_begin, p0);
    if t_slow > t_begin {
        p.w.push(Waypoint { t_ms: t_slow, pos: p_slow });
    }
    if t0 > p.last().t_ms {
        p.w.push(Waypoint { t_ms: t0, pos: m });
    }
    p
}

struct Builder<'a> {
    region: &'static Region,
    seed: u64,
    start: i64,
    end: i64,
    radars: &'a [RadarSite],
    used_mmsi: BTreeSet<u32>,
    ais: Vec<ScriptedAis>,
    dark: Vec<DarkBoat>,
    drones: Vec<DronePatrol>,
    drone_base: usize,
    labels: Vec<Label>,
    /// The kinds being scripted.
    kinds: Vec<AnomalyKind>,
}

fn round5(x: f64) -> f64 {
    (x * 1e5).round() / 1e5
}

impl Builder<'_> {
    /// Incident interval: duration in `[lo, hi]` min (clamped to the recording),
    /// start 8–90 min in.
    fn window(&self, rng: &mut ChaCha8Rng, lo_min: f64, hi_min: f64) -> (i64, i64) {
        let span = self.end - self.start;
        let max_dur = (span - 16 * MIN).max(2 * MIN);
        let dur = ((rng.random_range(lo_min..=hi_min) * MIN as f64) as i64).min(max_dur);
        let lo = self.start + 8 * MIN;
        let hi = (self.end - dur - 8 * MIN).min(self.start + 90 * MIN).max(lo);
        let t0 = rng.random_range(lo..=hi) / 1000 * 1000;
        (t0, (t0 + dur).min(self.end))
    }

    fn t_begin(&self, t0: i64) -> i64 {
        (t0 - MAX_PRE_MS).max(self.start)
    }
    fn t_finish(&self, t1: i64) -> i64 {
        (t1 + MAX_POST_MS).min(self.end).max(t1 + MIN)
    }

    fn identity(&mut self, rng: &mut ChaCha8Rng, kind: VesselKind, length: Option<(f64, f64)>) -> Identity {
        let mut id = identity::generate(&self.region.locale, kind, false, rng);
        if let Some((lo, hi)) = length {
            let l = rng.random_range(lo..hi);
            id.to_bow_m = (l * 0.7).round() as u16;
            id.to_stern_m = (l * 0.3).round() as u16;
            id.to_port_m = ((l / 12.0) as u8).max(2);
            id.to_starboard_m = ((l / 12.0) as u8).max(2);
        }
        while !self.used_mmsi.insert(id.mmsi) {
            id.mmsi += 1;
        }
        id
    }

    /// A trawler (18–30 m) or a small freighter (80–120 m), class A.
    fn workboat(&mut self, rng: &mut ChaCha8Rng, freighter: bool) -> (VesselKind, Identity) {
        if freighter {
            let mut id = self.identity(rng, VesselKind::Cargo, Some((80.0, 120.0)));
            id.draught_dm = rng.random_range(45..75);
            (VesselKind::Cargo, id)
        } else {
            (VesselKind::Fishing, self.identity(rng, VesselKind::Fishing, Some((18.0, 30.0))))
        }
    }

    fn push_ais(&mut self, kind: VesselKind, id: Identity, path: Path, status: Vec<(i64, u8)>) -> usize {
        let x = ScriptedAis::new(self.seed, self.ais.len(), self.region.stations, kind, id, path.w, status);
        self.ais.push(x);
        self.ais.len() - 1
    }

    fn label(
        &mut self,
        kind: AnomalyKind,
        t: (i64, i64),
        ids: Vec<String>,
        mmsi: Option<u32>,
        pos: LatLon,
        note: String,
    ) {
        self.labels.push(Label {
            kind,
            start_ms: t.0,
            end_ms: t.1,
            truth_ids: ids,
            mmsi,
            lat: round5(pos.lat),
            lon: round5(pos.lon),
            note,
            resembles: None,
        });
    }

    /// Tries `f` up to 60 times until it returns Some (the last try is accepted).
    fn retry<T>(rng: &mut ChaCha8Rng, mut f: impl FnMut(&mut ChaCha8Rng, bool) -> Option<T>) -> T {
        for i in 0..60 {
            if let Some(x) = f(rng, i == 59) {
                return x;
            }
        }
        unreachable!("the last try is forced")
    }

    // --- DARK_TARGET ------------------------------------------------------

    fn dark_target(&mut self, rng: &mut ChaCha8Rng, k: usize) {
        let (start, end) = (self.start, self.end);
        let r = self.region;
        let route = r.incidents.dark_routes[k % 2];
        let goal = route.goal.unwrap_or(r.crossing.landfall);
        let b = Self::retry(rng, |rng, force| {
            let len = rng.random_range(route.length_m.0..route.length_m.1);
            let persons = rng.random_range(route.persons.0..=route.persons.1);
            let speed = rng.random_range(route.speed_kn.0..route.speed_kn.1);
            let p0 = match route.origin {
                Origin::Sector(s) => sector_point(rng, &s),
                Origin::Zone(i) => zone_point(r, rng, Zone::Open(i)).0,
            };
            let mut p = Path::at(start, p0);
            p.to(goal, speed);
            p.hold(end);
            let ok = path_ok(&p.w[..2], |q| !on_land(r, q) || distance_m(q, goal) < 2.0 * NM_M);
            (ok || force).then(|| {
                DarkBoat::scripted(&format!("x-dark-{k}"), route.kind, (len * 10.0f64).round() / 10.0, persons, p.w)
            })
        });
        self.dark.push(b);
    }

    // --- AIS_GAP ----------------------------------------------------------

    fn ais_gap(&mut self, rng: &mut ChaCha8Rng, k: usize) {
        let zone = [Zone::Open(1), Zone::Open(2), Zone::Open(0)][k % 3];
        let (t0, t1) = self.window(rng, 20.0, 60.0);
        let (tb, tf) = (self.t_begin(t0), self.t_finish(t1));
        let (radars, r) = (self.radars, self.region);
        let (path, speed, turn) = Self::retry(rng, |rng, force| {
            let (m, _) = zone_point(r, rng, zone);
            let course = rng.random_range(0.0..360.0);
            let speed = rng.random_range(8.0..11.0);
            let turn = rng.random_range(40.0..120.0) * if rng.random_bool(0.5) { 1.0 } else { -1.0 };
            let mut p = approach(m, t0, course, speed, tb, 0, 1.0);
            p.go(course + turn, speed, t1);
            p.go(course + turn, speed, tf);
            let gap = &p.w[p.w.len() - 3..p.w.len() - 1];
            let ok = m.lat.is_finite()
                && port_distance_nm(r, m) >= 8.0
                && path_ok(&p.w, |q| !on_land(r, q) && port_distance_nm(r, q) >= 3.0)
                && path_ok(gap, |q| ais_covered(r, q) && radar_covered(radars, q) && port_distance_nm(r, q) >= 6.0);
            (ok || force).then_some((p, speed, turn))
        });
        let freighter = k % 2 == 1;
        let (kind, id) = self.workboat(rng, freighter);
        let mmsi = id.mmsi;
        let n = path.w.len();
        let (off, on) = (path.w[n - 3].pos, path.w[n - 2].pos);
        let i = self.push_ais(kind, id, path, vec![(tb, nav::UNDER_WAY_ENGINE)]);
        self.ais[i].tx_windows.push(TxWindow { from_ms: t0, to_ms: t1, mode: TxMode::Off });
        let disp = distance_m(off, on) / NM_M;
        let note = format!(
            "{} switches AIS off for {:.0} min at {:.1} kn, turns {:.0} deg; reappears {:.1} nm away (implied {:.1} kn)",
            kind.as_str(),
            (t1 - t0) as f64 / MIN as f64,
            speed,
            turn,
            disp,
            disp / ((t1 - t0) as f64 / 3.6e6)
        );
        self.label(AnomalyKind::AisGap, (t0, t1), vec![mmsi.to_string()], Some(mmsi), off, note);
        // With its transponder off inside radar coverage the vessel is, for
        // those minutes, a boat without AIS that radar sees: a dark target.
        if self.kinds.contains(&AnomalyKind::DarkTarget) {
            let note = format!("{} with AIS switched off in radar coverage", kind.as_str());
            self.label(AnomalyKind::DarkTarget, (t0, t1), vec![mmsi.to_string()], None, off, note);
        }
    }

    // --- LOITERING --------------------------------------------------------

    fn loitering(&mut self, rng: &mut ChaCha8Rng, k: usize) {
        let lane = k.is_multiple_of(2);
        let (t0, t1) = self.window(rng, 30.0, 90.0);
        let (tb, tf) = (self.t_begin(t0), self.t_finish(t1));
        let (radars, r) = (self.radars, self.region);
        let (path, drift) = Self::retry(rng, |rng, force| {
            let (m, lane_course) = zone_point(r, rng, if lane { Zone::Lane } else { Zone::Open(0) });
            let course = if lane { lane_course } else { rng.random_range(300.0..420.0) % 360.0 };
            let speed = if lane { rng.random_range(12.0..15.0) } else { rng.random_range(8.0..10.0) };
            let drift = rng.random_range(0.3..1.2);
            let set = rng.random_range(0.0..360.0);
            let mut p = approach(m, t0, course, speed, tb, 5 * MIN, 0.35);
            let mid = (t0 + t1) / 2;
            p.go(set, drift, mid);
            p.go(set + rng.random_range(-60.0..60.0), drift, t1);
            p.go(course, speed * 0.35, (t1 + 4 * MIN).min(tf));
            p.go(course, speed, tf);
            let idle = &p.w[p.w.len() - 5..p.w.len() - 2];
            let ok = open_water(r, m)
                && path_ok(&p.w, |q| !on_land(r, q) && port_distance_nm(r, q) >= 3.0)
                && path_ok(idle, |q| open_water(r, q) && radar_covered(radars, q) && ais_covered(r, q));
            (ok || force).then_some((p, drift))
        });
        let (kind, id) = self.workboat(rng, lane);
        let mmsi = id.mmsi;
        let m = path.w[path.w.len() - 5].pos;
        self.push_ais(kind, id, path, vec![(tb, nav::UNDER_WAY_ENGINE)]);
        let note = format!(
            "{} idles {:.0} min at {:.1} kn {}",
            kind.as_str(),
            (t1 - t0) as f64 / MIN as f64,
            drift,
            if lane { "in the shipping lane" } else { self.region.incidents.open_sea }
        );
        self.label(AnomalyKind::Loitering, (t0 + 1000, t1), vec![mmsi.to_string()], Some(mmsi), m, note);
    }

    // --- RENDEZVOUS -------------------------------------------------------

    fn rendezvous(&mut self, rng: &mut ChaCha8Rng, k: usize) {
        let (t0, t1) = self.window(rng, 10.0, 30.0);
        let (tb, tf) = (self.t_begin(t0), self.t_finish(t1));
        let (start, end) = (self.start, self.end);
        let (radars, r) = (self.radars, self.region);
        let landfall = r.crossing.landfall;
        let drift_set = r.crossing.drift_set_deg;
        let (ship, boat, sep, drift) = Self::retry(rng, |rng, force| {
            let (m, _) = zone_point(r, rng, Zone::Open(0));
            let course_in = (rng.random_range(-40.0..40.0f64) + 360.0) % 360.0;
            let speed = rng.random_range(8.0..10.0);
            let set = rng.random_range(drift_set.0..drift_set.1);
            let drift = rng.random_range(0.3..1.2);
            let mut ship = approach(m, t0, course_in, speed, tb, 5 * MIN, 0.4);
            ship.go(set, drift, t1);
            let away = course_in + 180.0 + rng.random_range(-30.0..30.0);
            ship.go(away, speed, tf);
            let sep = rng.random_range(60.0..150.0);
            let bm = destination(m, rng.random_range(0.0..360.0), sep);
            let boat_in = course_in + rng.random_range(-90.0..-30.0);
            let bspeed = rng.random_range(4.5..6.5);
            let mut boat = approach(bm, t0, boat_in, bspeed, start, 3 * MIN, 0.5);
            boat.go(set, drift, t1);
            boat.to(landfall, rng.random_range(6.0..7.5));
            boat.hold(end);
            let meet = &ship.w[ship.w.len() - 3..ship.w.len() - 1];
            let ok = open_water(r, m)
                && path_ok(meet, |q| open_water(r, q) && radar_covered(radars, q))
                && path_ok(&ship.w, |q| !on_land(r, q))
                && path_ok(&boat.w[..boat.w.len() - 2], |q| !on_land(r, q));
            (ok || force).then_some((ship, boat, sep, drift))
        });
        let freighter = k % 2 == 1;
        let (kind, id) = self.workboat(rng, freighter);
        let mmsi = id.mmsi;
        let m = ship.w[ship.w.len() - 3].pos;
        self.push_ais(kind, id, ship, vec![(tb, nav::UNDER_WAY_ENGINE)]);
        let spec = self.region.incidents.rendezvous_boats[k % 2];
        let (bkind, len, persons) = (
            spec.kind,
            rng.random_range(spec.length_m.0..spec.length_m.1),
            rng.random_range(spec.persons.0..=spec.persons.1),
        );
        let boat_id = format!("x-rendezvous-{k}");
        self.dark.push(DarkBoat::scripted(&boat_id, bkind, (len * 10.0f64).round() / 10.0, persons, boat.w));
        let note = format!(
            "mother ship ({}) and {} {:.0} m apart drifting at {:.1} kn for {:.0} min; the boat then heads for {}",
            kind.as_str(),
            bkind.as_str(),
            sep,
            drift,
            (t1 - t0) as f64 / MIN as f64,
            self.region.crossing.destination_name
        );
        self.label(AnomalyKind::Rendezvous, (t0 + 1000, t1), vec![mmsi.to_string(), boat_id], Some(mmsi), m, note);
    }

    // --- ROUTE_DEVIATION --------------------------------------------------

    fn route_deviation(&mut self, rng: &mut ChaCha8Rng, k: usize) {
        let (t0, _) = self.window(rng, 20.0, 20.0);
        let tb = self.t_begin(t0);
        let tf = self.t_finish(t0);
        let start = self.start;
        let (r, inc) = (self.region, &self.region.incidents);
        if k.is_multiple_of(2) {
            // Freighter leaving the lane (or, where the course is relative,
            // turning against the lane's traffic).
            let (lo, hi) = inc.deviation_course_deg;
            let (path, course) = Self::retry(rng, |rng, force| {
                let (m, lane_course) = zone_point(r, rng, Zone::Lane);
                let speed = rng.random_range(12.0..16.0);
                let mut course = rng.random_range(lo..hi);
                if inc.deviation_relative {
                    course = (lane_course + course).rem_euclid(360.0);
                }
                let mut p = approach(m, t0, lane_course, speed, tb, 0, 1.0);
                p.go(course, speed, tf);
                let ok = open_water(r, m) && path_ok(&p.w, |q| !on_land(r, q) && port_distance_nm(r, q) >= 4.0);
                (ok || force).then_some((p, course))
            });
            let (kind, id) = (VesselKind::Cargo, self.identity(rng, VesselKind::Cargo, None));
            let mmsi = id.mmsi;
            let m = path.w[path.w.len() - 2].pos;
            self.push_ais(kind, id, path, vec![(tb, nav::UNDER_WAY_ENGINE)]);
            let note = format!("cargo ship leaves {} on course {course:.0}", inc.lane_name);
            self.label(AnomalyKind::RouteDeviation, (t0, tf), vec![mmsi.to_string()], Some(mmsi), m, note);
        } else {
            // A ferry out on its route, turning off it in open water.
            let route = inc.ferry.route;
            let speed = rng.random_range(18.0..22.0);
            let u = rng.random_range(0.25..0.6);
            let (a, b) = (route[3], route[4]);
            let m = destination(a, bearing_deg(a, b), distance_m(a, b) * u);
            // Harbour legs slow, then the open-water leg.
            let legs: Vec<(LatLon, f64)> = vec![(route[1], 6.0), (route[2], 8.0), (route[3], speed), (m, speed)];
            let mut secs = 0.0;
            let mut at = route[0];
            for &(p, s) in &legs {
                secs += distance_m(at, p) / (s * KN_MS);
                at = p;
            }
            let dep = t0 - (secs * 1000.0) as i64;
            let mut p = Path::at(dep.min(start), route[0]);
            p.hold(dep);
            for &(q, s) in &legs {
                p.to(q, s);
            }
            // Retime so that m is reached exactly at t0.
            let lt = p.w.len() - 1;
            p.w[lt].t_ms = t0.max(p.w[lt - 1].t_ms + 1000);
            let (lo, hi) = inc.ferry.turn_course_deg;
            let course = rng.random_range(lo..hi);
            p.go(course, speed, tf);
            let mut status = vec![(dep.min(start), nav::MOORED)];
            status.push((dep, nav::UNDER_WAY_ENGINE));
            let id = self.identity(rng, VesselKind::Ferry, None);
            let mmsi = id.mmsi;
            self.push_ais(VesselKind::Ferry, id, p, status);
            let note = format!("ferry {} turns off its route onto {course:.0} at {speed:.0} kn", inc.ferry.name);
            self.label(AnomalyKind::RouteDeviation, (t0, tf), vec![mmsi.to_string()], Some(mmsi), m, note);
        }
    }

    // --- POSITION_JUMP ----------------------------------------------------

    fn straight(&self, rng: &mut ChaCha8Rng, zone: Zone, t0: i64, t1: i64) -> Path {
        let (tb, tf) = (self.t_begin(t0), self.t_finish(t1));
        let r = self.region;
        Self::retry(rng, |rng, force| {
            let (m, _) = zone_point(r, rng, zone);
            let course = rng.random_range(0.0..360.0);
            let speed = rng.random_range(7.0..11.0);
            let mut p = approach(m, t0, course, speed, tb, 0, 1.0);
            p.go(course, speed, tf);
            let ok = path_ok(&p.w, |q| !on_land(r, q) && port_distance_nm(r, q) >= 4.0 && ais_covered(r, q));
            (ok || force).then_some(p)
        })
    }

    fn position_jump(&mut self, rng: &mut ChaCha8Rng, k: usize) {
        if k.is_multiple_of(2) {
            let (t0, t1) = self.window(rng, 10.0, 30.0);
            let zones =
                [(Zone::Open(0), Zone::Open(1)), (Zone::Open(1), Zone::Open(2)), (Zone::Open(0), Zone::Open(2))]
                    [(k / 2) % 3];
            let pa = self.straight(rng, zones.0, t0, t1);
            let pb = self.straight(rng, zones.1, t0, t1);
            let (ka, ida) = self.workboat(rng, true);
            let (kb, idb) = self.workboat(rng, false);
            let (ma, mb) = (ida.mmsi, idb.mmsi);
            let pos_b = pb.w[pb.w.len() - 2].pos;
            let sep = distance_m(pa.w[pa.w.len() - 2].pos, pos_b) / NM_M;
            let tba = pa.w[0].t_ms;
            let tbb = pb.w[0].t_ms;
            self.push_ais(ka, ida.clone(), pa, vec![(tba, nav::UNDER_WAY_ENGINE)]);
            let i = self.push_ais(kb, idb, pb, vec![(tbb, nav::UNDER_WAY_ENGINE)]);
            self.ais[i].tx_windows.push(TxWindow { from_ms: t0, to_ms: t1, mode: TxMode::Spoof(ida) });
            let note =
                format!("{} (mmsi {mb}) transmits the identity of {} {ma} {sep:.0} nm away", kb.as_str(), ka.as_str());
            self.label(
                AnomalyKind::PositionJump,
                (t0, t1),
                vec![ma.to_string(), mb.to_string()],
                Some(ma),
                pos_b,
                note,
            );
        } else {
            let (t0, _) = self.window(rng, 5.0, 5.0);
            let zone = [Zone::Open(1), Zone::Open(0), Zone::Open(2)][(k / 2) % 3];
            let path = self.straight(rng, zone, t0, t0 + MIN);
            let m = path.w[path.w.len() - 2].pos;
            let reports = rng.random_range(3..=5i64);
            let t1 = t0 + reports * 10_000 - 5_000;
            let mut bearing = rng.random_range(0.0..360.0);
            for _ in 0..36 {
                if !on_land(self.region, destination(m, bearing, 20.0 * NM_M)) {
                    break;
                }
                bearing += 10.0;
            }
            let freighter = rng.random_bool(0.5);
            let (kind, id) = self.workboat(rng, freighter);
            let mmsi = id.mmsi;
            let tb = path.w[0].t_ms;
            let i = self.push_ais(kind, id, path, vec![(tb, nav::UNDER_WAY_ENGINE)]);
            self.ais[i].tx_windows.push(TxWindow {
                from_ms: t0,
                to_ms: t1,
                mode: TxMode::Offset { bearing_deg: bearing, dist_m: 20.0 * NM_M },
            });
            let note =
                format!("{} reports positions 20 nm off on bearing {bearing:.0} for ~{reports} reports", kind.as_str());
            self.label(AnomalyKind::PositionJump, (t0, t1), vec![mmsi.to_string()], Some(mmsi), m, note);
        }
    }

    // --- OVERCROWDED ------------------------------------------------------

    fn overcrowded(&mut self, rng: &mut ChaCha8Rng, k: usize) {
        let (start, end) = (self.start, self.end);
        let r = self.region;
        let (c, landfall, set) = (r.incidents.crowded, r.crossing.landfall, r.crossing.drift_set_deg);
        let b = Self::retry(rng, |rng, force| {
            let p0 = sector_point(rng, &c.from);
            let mut p = Path::at(start, p0);
            if k.is_multiple_of(2) {
                p.to(landfall, rng.random_range(c.speed_kn.0..c.speed_kn.1));
                p.hold(end);
            } else {
                p.go(rng.random_range(set.0..set.1), rng.random_range(c.drift_kn.0..c.drift_kn.1), end);
            }
            let ok = !on_land(r, p0)
                && !on_ground_or_anchorage(r, p0)
                && path_ok(&p.w[..2], |q| !on_land(r, q) || distance_m(q, landfall) < 2.0 * NM_M);
            (ok || force).then(|| {
                DarkBoat::scripted(
                    &format!("x-overcrowded-{k}"),
                    DarkKind::RubberBoat,
                    (rng.random_range(c.length_m.0..c.length_m.1) * 10.0).round() / 10.0,
                    rng.random_range(c.persons.0..=c.persons.1),
                    p.w,
                )
            })
        });
        let index = self.drone_base + self.drones.len();
        self.drones.push(DronePatrol::cued(index, b.pos, b.cog_deg, b.sog_kn, start));
        self.dark.push(b);
    }

    // --- Normal look-alikes -------------------------------------------------

    fn pilot_meeting(&mut self, rng: &mut ChaCha8Rng, k: usize) {
        let (t0, t1) = self.window(rng, 4.0, 8.0);
        let tb = self.t_begin(t0);
        let (start, end) = (self.start, self.end);
        let station = self.region.incidents.pilot;
        let inner = Area { radius_nm: 1.0, ..station.area };
        let pp = destination(
            inner.centre,
            rng.random_range(0.0..360.0),
            inner.radius_nm * NM_M * rng.random::<f64>().sqrt(),
        );
        let course_in = rng.random_range(station.course_in_deg.0..station.course_in_deg.1);
        let mut ship = approach(pp, t0, course_in, rng.random_range(10.0..13.0), tb, 8 * MIN, 0.4);
        let (entrance, berth) = (station.entrance, station.berth);
        let meet_course = bearing_deg(pp, entrance);
        ship.go(meet_course, 2.5, t1);
        let s1 = ship.last().pos;
        ship.to(entrance, 5.0);
        ship.to(station.inner, 4.0);
        let arrive = ship.to(berth, 3.0);
        ship.hold(end.max(arrive + MIN));
        // Pilot boat: berth → out → alongside (50 m abeam) → back.
        let abeam = |p: LatLon| destination(p, meet_course + 90.0, 50.0);
        let q0 = abeam(pp);
        let out = [station.inner, entrance, q0];
        let mut secs = 0.0;
        let mut at = berth;
        for (i, &p) in out.iter().enumerate() {
            secs += distance_m(at, p) / ((if i < 2 { 6.0 } else { 12.0 }) * KN_MS);
            at = p;
        }
        let dep = t0 - (secs * 1000.0) as i64 - MIN;
        let mut pilot = Path::at(dep.min(start), berth);
        pilot.hold(dep);
        pilot.to(out[0], 6.0);
        pilot.to(out[1], 6.0);
        pilot.to(q0, 12.0);
        pilot.hold(t0);
        pilot.w.push(Waypoint { t_ms: t1, pos: abeam(s1) });
        pilot.to(entrance, 12.0);
        pilot.to(out[0], 6.0);
        let back = pilot.to(berth, 4.0);
        pilot.hold(end.max(back + MIN));
        let ship_id = self.identity(rng, VesselKind::Cargo, None);
        let pilot_id = self.identity(rng, VesselKind::Pilot, None);
        let (ms, mp) = (ship_id.mmsi, pilot_id.mmsi);
        self.push_ais(VesselKind::Cargo, ship_id, ship, vec![(tb, nav::UNDER_WAY_ENGINE), (arrive, nav::MOORED)]);
        self.push_ais(
            VesselKind::Pilot,
            pilot_id,
            pilot,
            vec![(dep.min(start), nav::MOORED), (dep, nav::UNDER_WAY_ENGINE), (back, nav::MOORED)],
        );
        let mut l = Label {
            kind: AnomalyKind::Normal,
            start_ms: t0 + 1000,
            end_ms: t1,
            truth_ids: vec![ms.to_string(), mp.to_string()],
            mmsi: Some(ms),
            lat: round5(pp.lat),
            lon: round5(pp.lon),
            note: format!(
                "pilot boarding {k} at the {} pilot station: ship at 2.5 kn, pilot boat 50 m abeam",
                station.name
            ),
            resembles: Some(AnomalyKind::Rendezvous),
        };
        l.note.push_str(" (near port)");
        self.labels.push(l);
    }

    fn pair_trawl(&mut self, rng: &mut ChaCha8Rng, k: usize) {
        let ground = self.region.incidents.pair_trawl_grounds[k % 3];
        // To the scenario's end: a pair stopping mid-sea would be two transponders falling
        // silent together away from port with neighbours heard, which is an AIS gap (a
        // 6-hour normal day, `replay_alerts::normal_day_evaluation`, raised one per pair
        // when the trawl stopped at 4 h).
        let (start, end) = (self.start, self.end);
        let centre = destination(
            ground.centre,
            rng.random_range(0.0..360.0),
            ground.radius_nm * 0.4 * NM_M * rng.random::<f64>().sqrt(),
        );
        let axis = rng.random_range(0.0..180.0);
        let tow = rng.random_range(1.5..2.5) * NM_M;
        let spacing = 0.3 * NM_M;
        let speed = rng.random_range(2.5..3.2);
        let sep = rng.random_range(120.0..200.0);
        let mut lead = Path::at(start, destination(centre, axis + 180.0, tow / 2.0));
        let mut line = 0;
        while lead.last().t_ms < end {
            let across = ((line % 6) as f64 - 2.5) * spacing;
            let mid = destination(centre, axis + 90.0, across);
            let (a, b) = (destination(mid, axis, tow / 2.0), destination(mid, axis + 180.0, tow / 2.0));
            let (p1, p2) = if line % 2 == 0 { (b, a) } else { (a, b) };
            lead.to(p1, speed);
            lead.to(p2, speed);
            line += 1;
        }
        let partner = Path {
            w: lead.w.iter().map(|w| Waypoint { t_ms: w.t_ms, pos: destination(w.pos, axis + 90.0, sep) }).collect(),
        };
        let t_last = lead.last().t_ms;
        let ia = self.identity(rng, VesselKind::Fishing, Some((18.0, 26.0)));
        let ib = self.identity(rng, VesselKind::Fishing, Some((18.0, 26.0)));
        let (ma, mb) = (ia.mmsi, ib.mmsi);
        self.push_ais(VesselKind::Fishing, ia, lead, vec![(start, nav::FISHING)]);
        self.push_ais(VesselKind::Fishing, ib, partner, vec![(start, nav::FISHING)]);
        self.labels.push(Label {
            kind: AnomalyKind::Normal,
            start_ms: start,
            end_ms: t_last.min(self.end),
            truth_ids: vec![ma.to_string(), mb.to_string()],
            mmsi: Some(ma),
            lat: round5(centre.lat),
            lon: round5(centre.lon),
            note: format!("pair trawl on a fishing ground, {sep:.0} m apart at {speed:.1} kn"),
            resembles: Some(AnomalyKind::Rendezvous),
        });
    }
}

/// Normal look-alike state of a world vessel (runs become `NORMAL` labels).
fn classify(r: &Region, v: &Vessel) -> Option<&'static str> {
    use VesselKind::*;
    if v.nav_status == nav::MOORED {
        return None;
    }
    match v.kind {
        Fishing if v.nav_status == nav::FISHING => Some("trawling on a fishing ground"),
        Cargo | Tanker if v.nav_status == nav::AT_ANCHOR => Some("ship at anchor"),
        Sar => Some("SAR boat on patrol"),
        Leisure if v.nav_status == nav::AT_ANCHOR || v.sog_kn < 1.5 => Some("yacht idle or anchored near the coast"),
        Ferry | HighSpeedFerry if port_distance_nm(r, v.pos) < 3.0 => Some("ferry manoeuvring in port"),
        Pilot | Tug => Some("pilot boat / tug on station"),
        _ => None,
    }
}

fn resembles(what: &str) -> AnomalyKind {
    match what {
        "ferry manoeuvring in port" => AnomalyKind::RouteDeviation,
        "pilot boat / tug on station" => AnomalyKind::Rendezvous,
        _ => AnomalyKind::Loitering,
    }
}

/// The simulator's own labelling rule for how many people a boat can carry
/// safely (calm weather). It is the simulator's, not the product's: the
/// product estimates capacity from what its sensors measure, and the labels
/// must not move when that estimate changes. Rubber boats: an 11 m migrant
/// dinghy is designed for 15 (S. Vella, Agrigento prosecutor, The Guardian),
/// scaled with deck area (L²); other hulls: the USCG rule of thumb
/// L × B / 15 ft² with a beam of L / 3.5 (wooden) or L / 3.3 (metal, other).
fn safe_capacity(kind: DarkKind, length_m: f64) -> Option<u32> {
    const M2_PER_PERSON: f64 = 15.0 * 0.3048 * 0.3048;
    let (lo, hi) = match kind {
        DarkKind::RubberBoat => (4.0, 16.0),
        DarkKind::WoodenBoat => (4.0, 40.0),
        DarkKind::MetalBoat | DarkKind::Other => (2.0, 60.0),
    };
    let l = length_m.clamp(lo, hi);
    let persons = match kind {
        DarkKind::RubberBoat | DarkKind::MetalBoat | DarkKind::Other => 15.0 * (l / 11.0).powi(2),
        DarkKind::WoodenBoat => l * (l / 3.5) / M2_PER_PERSON,
    };
    Some((persons.floor() as u32).max(1))
}

/// Writes a scenario with scripted anomalies mixed into the normal traffic, plus the
/// labels (JSON Lines, one per incident, sorted by start).
pub fn write_anomaly_scenario<A: Write, B: Write, C: Write, D: Write>(
    cfg: &SimConfig,
    sensors: &SensorConfig,
    anomalies: &AnomalyConfig,
    nmea: A,
    detections: B,
    truth: C,
    labels: D,
) -> io::Result<AnomalySummary> {
    let start = cfg.start_unix_ms;
    let end = start + cfg.duration_s as i64 * 1000;
    let s = anomalies.noise_scale.max(0.0);
    let mut sensors = sensors.clone();
    for r in &mut sensors.radars {
        r.range_sigma_m *= s;
        r.bearing_sigma_deg *= s;
    }
    sensors.clutter_per_scan *= s;

    let region = cfg.region.region();
    let world = World::new(region, cfg.seed, start, cfg.vessel_scale);
    let mut b = Builder {
        region,
        seed: cfg.seed,
        start,
        end,
        radars: &sensors.radars,
        used_mmsi: world.vessels.iter().map(|v| v.identity.mmsi).collect(),
        ais: Vec::new(),
        dark: Vec::new(),
        drones: Vec::new(),
        drone_base: sensors.drones,
        labels: Vec::new(),
        kinds: Vec::new(),
    };
    drop(world);
    let mut kinds = anomalies.kinds.clone();
    kinds.sort();
    kinds.dedup();
    b.kinds.clone_from(&kinds);
    for &kind in &kinds {
        for k in 0..anomalies.per_kind {
            let mut rng = stream_rng(cfg.seed, Stream::Anomaly, ((kind as u64) << 32) | k as u64);
            match kind {
                AnomalyKind::DarkTarget => b.dark_target(&mut rng, k),
                AnomalyKind::AisGap => b.ais_gap(&mut rng, k),
                AnomalyKind::Loitering => b.loitering(&mut rng, k),
                AnomalyKind::Rendezvous => b.rendezvous(&mut rng, k),
                AnomalyKind::RouteDeviation => b.route_deviation(&mut rng, k),
                AnomalyKind::PositionJump => b.position_jump(&mut rng, k),
                AnomalyKind::Overcrowded => b.overcrowded(&mut rng, k),
                AnomalyKind::Normal => {}
            }
        }
    }
    if anomalies.lookalikes {
        for k in 0..anomalies.per_kind {
            let mut rng = stream_rng(cfg.seed, Stream::Anomaly, (100u64 << 32) | k as u64);
            b.pilot_meeting(&mut rng, k);
            let mut rng = stream_rng(cfg.seed, Stream::Anomaly, (101u64 << 32) | k as u64);
            b.pair_trawl(&mut rng, k);
        }
    }
    let Builder { ais, dark, drones, labels: mut out_labels, .. } = b;
    let n_scripted_dark = dark.len();
    sensors.scripted.extend(dark);

    // Dark-boat labels (DARK_TARGET in radar coverage, OVERCROWDED in drone view),
    // from a replay of the dark fleet (pure: independent of the AIS world).
    let want = |k: AnomalyKind| kinds.contains(&k);
    if want(AnomalyKind::DarkTarget) || want(AnomalyKind::Overcrowded) {
        let mut fleet = DarkFleet::new(&region.crossing, cfg.seed, start, sensors.dark_boats, &sensors.scripted);
        let patrols: Vec<DronePatrol> =
            drone_patrols(cfg, &sensors).into_iter().chain(drones.iter().cloned()).collect();
        let n = fleet.boats.len();
        let mut radar_seen: Vec<Option<(i64, i64, LatLon)>> = vec![None; n];
        let mut drone_seen: Vec<Option<(i64, LatLon)>> = vec![None; n];
        let mut drone_first: Vec<Option<(i64, LatLon)>> = vec![None; n];
        let mut t = start;
        while t <= end {
            fleet.advance_to(t);
            let dps: Vec<LatLon> = patrols.iter().map(|p| p.position_at(t)).collect();
            for (i, bt) in fleet.boats.iter().enumerate() {
                if radar_covered(&sensors.radars, bt.pos) {
                    let e = radar_seen[i].get_or_insert((t, t, bt.pos));
                    e.1 = t;
                }
                // The label starts when the boat first comes within camera
                // range (the drone may count it from then on), but only a
                // boat that is later well inside the range (200 m margin, not
                // a graze between two 10 s samples) is sure to be seen.
                let in_view = |margin_m: f64| dps.iter().any(|&d| distance_m(d, bt.pos) < CAMERA_RANGE_M - margin_m);
                if drone_first[i].is_none() && in_view(0.0) {
                    drone_first[i] = Some((t, bt.pos));
                }
                if drone_seen[i].is_none() && in_view(200.0) {
                    drone_seen[i] = drone_first[i];
                }
            }
            t += TRUTH_INTERVAL_MS;
        }
        let n_gen = sensors.dark_boats;
        for (i, bt) in fleet.boats.iter().enumerate() {
            let origin = if i < n_gen { "generated" } else { "scripted" };
            if want(AnomalyKind::DarkTarget) {
                if let Some((t0, t1, p)) = radar_seen[i] {
                    out_labels.push(Label {
                        kind: AnomalyKind::DarkTarget,
                        start_ms: t0,
                        end_ms: t1,
                        truth_ids: vec![bt.truth_id.clone()],
                        mmsi: None,
                        lat: round5(p.lat),
                        lon: round5(p.lon),
                        note: format!("{origin} {} without AIS in radar coverage", bt.kind.as_str()),
                        resembles: None,
                    });
                }
            }
            let cap = safe_capacity(bt.kind, bt.length_m);
            let scripted_oc = bt.truth_id.starts_with("x-overcrowded-");
            if want(AnomalyKind::Overcrowded) && cap.is_some_and(|c| bt.persons > c) {
                let seen = drone_seen[i];
                if seen.is_some() || scripted_oc {
                    let (t0, p) = seen.unwrap_or((start, bt.pos));
                    out_labels.push(Label {
                        kind: AnomalyKind::Overcrowded,
                        start_ms: t0,
                        end_ms: end,
                        truth_ids: vec![bt.truth_id.clone()],
                        mmsi: None,
                        lat: round5(p.lat),
                        lon: round5(p.lon),
                        note: format!(
                            "{origin} {} {:.1} m with {} persons (safe capacity {}){}",
                            bt.kind.as_str(),
                            bt.length_m,
                            bt.persons,
                            cap.unwrap_or(0),
                            if seen.is_some() { "; from the first drone look" } else { "; never in drone view" }
                        ),
                        resembles: None,
                    });
                }
            }
        }
    }

    let n_ais = ais.len();
    let n_drones = drones.len();
    let extras = Extras {
        ais,
        drones,
        classify: anomalies.lookalikes.then_some(classify as fn(&Region, &Vessel) -> Option<&'static str>),
    };
    let (scenario, xo) = write_scenario_with(cfg, &sensors, extras, nmea, detections, truth)?;
    for r in xo.runs {
        let NormalRun { mmsi, what, start_ms, end_ms, pos } = r;
        if end_ms - start_ms < 2 * MIN {
            continue;
        }
        out_labels.push(Label {
            kind: AnomalyKind::Normal,
            start_ms,
            end_ms,
            truth_ids: vec![mmsi.to_string()],
            mmsi: Some(mmsi),
            lat: round5(pos.lat),
            lon: round5(pos.lon),
            note: what.to_string(),
            resembles: Some(resembles(what)),
        });
    }
    out_labels.sort_by(|a, b| {
        (a.start_ms, a.kind, &a.truth_ids, a.end_ms).cmp(&(b.start_ms, b.kind, &b.truth_ids, b.end_ms))
    });
    let mut w = io::BufWriter::new(labels);
    let mut by_kind = BTreeMap::new();
    for l in &out_labels {
        serde_json::to_writer(&mut w, l).map_err(io::Error::other)?;
        w.write_all(b"\n")?;
        *by_kind.entry(l.kind.as_str()).or_insert(0) += 1;
    }
    w.flush()?;
    Ok(AnomalySummary {
        scenario,
        labels: by_kind,
        scripted_ais_vessels: n_ais,
        scripted_dark_boats: n_scripted_dark,
        extra_drones: n_drones,
        extra_ais_messages: xo.ais_messages,
        extra_ais_sentences: xo.ais_sentences,
        extra_ais_lost: xo.ais_lost,
    })
}
