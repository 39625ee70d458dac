//! A full surveillance scenario: the AIS recording of [`super::write_recording`]
//! plus dark boats, coastal radars (`$RATTM`, merged into the same NMEA stream in
//! time order), drone detection events (JSON Lines) and ground truth (JSON Lines).
//!
//! The sensors observe their own copy of the AIS world (same seed ⇒ same motion) and
//! draw from their own random streams, so the AIS sentences are byte-identical to
//! `write_recording`'s whatever sensors are configured. The merge is streamed: each
//! AIS line (tag block time `c:` in seconds) is preceded by every sensor event due
//! before that second; radar lines carry `c:` in milliseconds.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Write};

use serde::Serialize;

use lookout_core::geodesy::flat::{M_PER_DEG, M_PER_DEG_LAT_MEAN};

use super::ais_tx::{utc_fields, Transmission, STATIC_INTERVAL_MS};
use super::dark::{DarkBoat, DarkFleet, DarkKind};
use super::drone::{round_to, Drone, DronePatrol, DroneTarget, VesselClass, DRONE_TICK_MS};
use super::encode;
use super::geography::LatLon;
use super::radar::{Radar, RadarClass, RadarSite, RadarTarget};
use super::region::{Region, RegionId};
use super::scripted_ais::ScriptedAis;
use super::world::Vessel;
use super::world::{nav, VesselKind, World, KN_MS};
use super::{write_recording, SimConfig, SimSummary};

/// Ground-truth sampling period, ms.
pub const TRUTH_INTERVAL_MS: i64 = 10_000;

/// Non-AIS sensors and boats added to a scenario.
#[derive(Debug, Clone)]
pub struct SensorConfig {
    /// Generated dark boats (rubber, wooden, Tunisian metal boats).
    pub dark_boats: usize,
    /// Coastal radars.
    pub radars: Vec<RadarSite>,
    /// Drones on racetrack patrols.
    pub drones: usize,
    /// Mean number of false plots per radar scan (Poisson).
    pub clutter_per_scan: f64,
    /// Extra non-AIS vessels on scripted tracks ([`DarkBoat::scripted`]), after the
    /// generated ones (truth ids as given).
    pub scripted: Vec<DarkBoat>,
}

impl SensorConfig {
    /// Six dark boats, the area's radars, one drone, 2 clutter plots per scan.
    pub fn for_region(region: RegionId) -> Self {
        SensorConfig {
            dark_boats: 6,
            radars: region.region().radars.to_vec(),
            drones: 1,
            clutter_per_scan: 2.0,
            scripted: Vec::new(),
        }
    }
}

impl Default for SensorConfig {
    /// [`SensorConfig::for_region`] of the default area (the Strait of Sicily).
    fn default() -> Self {
        SensorConfig::for_region(RegionId::default())
    }
}

/// What a scenario contains.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScenarioSummary {
    pub ais: SimSummary,
    /// `$RATTM` lines written (clutter included).
    pub radar_sentences: u64,
    /// Of which clutter (false plots).
    pub radar_clutter: u64,
    /// Radar scans made (all sites).
    pub radar_scans: u64,
    pub drone_events: u64,
    /// Dark vessels (generated + scripted).
    pub dark_boats: usize,
    pub truth_lines: u64,
}

/// One ground-truth line.
#[derive(Debug, Clone, Serialize)]
pub struct TruthLine<'a> {
    pub time: String,
    pub truth_id: &'a str,
    pub mmsi: Option<u32>,
    pub kind: &'a str,
    pub lat: f64,
    pub lon: f64,
    pub sog_kn: f64,
    pub cog_deg: f64,
    pub length_m: f64,
    pub persons: Option<u32>,
    pub ais: bool,
}

/// RFC 3339 UTC with milliseconds, e.g. `2026-06-01T00:12:30.000Z`.
pub fn rfc3339_ms(t_ms: i64) -> String {
    let (y, mo, d, h, mi, s) = utc_fields(t_ms.div_euclid(1000));
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:03}Z", t_ms.rem_euclid(1000))
}

const EV_TRUTH: u8 = 0;
const EV_RADAR: u8 = 1;
const EV_DRONE: u8 = 2;
/// Scripted AIS vessels ([`Extras::ais`]): position, static, static part B.
const EV_XPOS: u8 = 3;
const EV_XSTATIC: u8 = 4;
const EV_XSTATIC_B: u8 = 5;

/// What a world vessel is doing, for negative ("normal look-alike") labels: a short
/// name, or None when it is doing nothing noteworthy.
pub(crate) type Classify = fn(&Region, &Vessel) -> Option<&'static str>;

/// Sources a scenario carries beyond [`write_scenario`]'s (anomaly scenarios).
/// Empty extras leave every output byte-identical to `write_scenario`.
#[derive(Default)]
pub(crate) struct Extras {
    /// AIS vessels on scripted tracks (after the dark boats in truth/sensor order).
    pub ais: Vec<ScriptedAis>,
    /// Extra drones (indices after `SensorConfig::drones`).
    pub drones: Vec<DronePatrol>,
    /// Classifier of world vessels whose contiguous runs are returned.
    pub classify: Option<Classify>,
}

/// A contiguous run (truth samples) of one world vessel in one [`Classify`] state.
#[derive(Debug, Clone)]
pub(crate) struct NormalRun {
    pub mmsi: u32,
    pub what: &'static str,
    pub start_ms: i64,
    pub end_ms: i64,
    pub pos: LatLon,
}

/// What the extras produced.
#[derive(Debug, Clone, Default)]
pub(crate) struct ExtrasOut {
    pub ais_sentences: u64,
    pub ais_messages: u64,
    pub ais_lost: u64,
    pub runs: Vec<NormalRun>,
}

/// True state of one vessel at an event time.
struct Snap {
    pos: LatLon,
    cog_deg: f64,
    sog_kn: f64,
    moored: bool,
    /// False for a scripted vessel outside its presence window.
    present: bool,
}

/// Moves `p` by `dist_m` on `course_deg` (flat approximation: used for < 10 m).
fn nudge(p: LatLon, course_deg: f64, dist_m: f64) -> LatLon {
    let c = course_deg.to_radians();
    LatLon {
        lat: p.lat + dist_m * c.cos() / M_PER_DEG_LAT_MEAN,
        lon: p.lon + dist_m * c.sin() / (M_PER_DEG * p.lat.to_radians().cos()),
    }
}

fn radar_class_of(kind: VesselKind, length_m: f64) -> RadarClass {
    match kind {
        VesselKind::Cargo | VesselKind::Tanker | VesselKind::Ferry | VesselKind::HighSpeedFerry => RadarClass::Large,
        VesselKind::Fishing if length_m < 15.0 => RadarClass::SmallCraft,
        VesselKind::Leisure => RadarClass::SmallCraft,
        _ => RadarClass::Medium,
    }
}

fn dark_radar_class(kind: DarkKind, length_m: f64) -> RadarClass {
    match kind {
        DarkKind::RubberBoat => RadarClass::RubberBoat,
        DarkKind::WoodenBoat => RadarClass::WoodenBoat,
        DarkKind::MetalBoat => RadarClass::SmallMetalBoat,
        DarkKind::Other if length_m >= 60.0 => RadarClass::Large,
        DarkKind::Other if length_m >= 15.0 => RadarClass::Medium,
        DarkKind::Other => RadarClass::SmallCraft,
    }
}

fn drone_class_of(kind: VesselKind, ship_type: u8) -> VesselClass {
    match kind {
        VesselKind::Cargo | VesselKind::Tanker | VesselKind::Ferry | VesselKind::HighSpeedFerry => {
            VesselClass::Merchant
        }
        VesselKind::Fishing => VesselClass::Fishing,
        VesselKind::Leisure if ship_type == 36 => VesselClass::Sailing,
        VesselKind::Leisure => VesselClass::MotorYacht,
        // Tugs, pilots, patrol boats: no class of their own in the service's list.
        _ => VesselClass::Unknown,
    }
}

fn dark_drone_class(kind: DarkKind, length_m: f64) -> VesselClass {
    match kind {
        DarkKind::RubberBoat => VesselClass::RubberBoat,
        DarkKind::WoodenBoat => VesselClass::WoodenBoat,
        // Small metal/fibreglass boats have no class of their own in the list.
        DarkKind::MetalBoat => VesselClass::Unknown,
        DarkKind::Other if length_m >= 60.0 => VesselClass::Merchant,
        DarkKind::Other => VesselClass::Unknown,
    }
}

/// Everything the sensors need, advanced by sensor events.
struct SensorSim<B: Write, C: Write> {
    region: &'static Region,
    world: World,
    dark: DarkFleet,
    radars: Vec<Radar>,
    drones: Vec<Drone>,
    clutter_mean: f64,
    heap: BinaryHeap<Reverse<(i64, u8, u32)>>,
    end_ms: i64,
    detections: io::BufWriter<B>,
    truth: io::BufWriter<C>,
    summary: ScenarioSummary,
    mmsi_ids: Vec<String>,
    extras: Extras,
    extras_out: ExtrasOut,
    /// Open [`NormalRun`]s per world vessel.
    open_runs: Vec<Option<NormalRun>>,
    /// AIS tag-block prefix and base loss (for scripted AIS vessels).
    prefix: String,
    loss: f64,
    seq_id: u8,
}

impl<B: Write, C: Write> SensorSim<B, C> {
    /// True state of every vessel (AIS world first, then dark boats) at `t_ms`.
    fn snapshot(&mut self, t_ms: i64) -> Vec<Snap> {
        self.world.advance_to(t_ms);
        self.dark.advance_to(t_ms);
        // Both clocks are at the whole step ≤ t: dead-reckon the fraction of a second.
        let dt_w = (t_ms - self.world.time_ms) as f64 / 1000.0;
        let dt_d = (t_ms - self.dark.time_ms) as f64 / 1000.0;
        let mut out = Vec::with_capacity(self.world.vessels.len() + self.dark.boats.len());
        for v in &self.world.vessels {
            let pos =
                if dt_w > 0.0 && v.sog_kn > 0.0 { nudge(v.pos, v.cog_deg, v.sog_kn * KN_MS * dt_w) } else { v.pos };
            out.push(Snap {
                pos,
                cog_deg: v.cog_deg,
                sog_kn: v.sog_kn,
                moored: v.nav_status == nav::MOORED,
                present: true,
            });
        }
        for b in &self.dark.boats {
            let pos =
                if dt_d > 0.0 && b.sog_kn > 0.0 { nudge(b.pos, b.cog_deg, b.sog_kn * KN_MS * dt_d) } else { b.pos };
            out.push(Snap { pos, cog_deg: b.cog_deg, sog_kn: b.sog_kn, moored: false, present: true });
        }
        for x in &self.extras.ais {
            let (pos, cog_deg, sog_kn) = x.state_at(t_ms);
            out.push(Snap {
                pos,
                cog_deg,
                sog_kn,
                moored: x.status_at(t_ms) == nav::MOORED,
                present: x.is_present(t_ms),
            });
        }
        out
    }

    /// Writes a scripted AIS vessel's transmission (tag block as `write_recording`'s).
    fn emit_extra<A: Write>(&mut self, tr: Option<Transmission>, t: i64, nmea: &mut A) -> io::Result<()> {
        let Some(tr) = tr else { return Ok(()) };
        if !tr.received {
            self.extras_out.ais_lost += 1;
            return Ok(());
        }
        let sentences = tr.msg.to_sentences(tr.channel, self.seq_id);
        if sentences.len() > 1 {
            self.seq_id = (self.seq_id + 1) % 10;
        }
        let station =
            if self.prefix.is_empty() { tr.station.to_string() } else { format!("{}-{}", self.prefix, tr.station) };
        let tag = encode::tag_block(&station, t.div_euclid(1000));
        for s in &sentences {
            nmea.write_all(tag.as_bytes())?;
            nmea.write_all(s.as_bytes())?;
            nmea.write_all(b"\n")?;
        }
        self.extras_out.ais_sentences += sentences.len() as u64;
        self.extras_out.ais_messages += 1;
        Ok(())
    }

    /// Class of vessel `i` of a snapshot for radar and drones.
    fn classes(&self, i: usize) -> (RadarClass, f64, VesselClass, Option<u32>) {
        let n_ais = self.world.vessels.len();
        let n_dark = self.dark.boats.len();
        if i < n_ais || i >= n_ais + n_dark {
            let v = if i < n_ais { &self.world.vessels[i] } else { &self.extras.ais[i - n_ais - n_dark].vessel };
            let l = v.identity.length_m() as f64;
            (radar_class_of(v.kind, l), l, drone_class_of(v.kind, v.identity.ship_type), None)
        } else {
            let b = &self.dark.boats[i - n_ais];
            (dark_radar_class(b.kind, b.length_m), b.length_m, dark_drone_class(b.kind, b.length_m), Some(b.persons))
        }
    }

    /// Updates the open normal-traffic runs at truth time `t`.
    fn observe_runs(&mut self, t: i64) {
        let Some(classify) = self.extras.classify else {
            return;
        };
        if self.open_runs.len() != self.world.vessels.len() {
            self.open_runs = vec![None; self.world.vessels.len()];
        }
        for (i, v) in self.world.vessels.iter().enumerate() {
            let what = classify(self.region, v);
            let open = &mut self.open_runs[i];
            match (open.as_mut(), what) {
                (Some(r), Some(w)) if r.what == w => r.end_ms = t,
                _ => {
                    if let Some(r) = open.take() {
                        self.extras_out.runs.push(r);
                    }
                    *open =
                        what.map(|w| NormalRun { mmsi: v.identity.mmsi, what: w, start_ms: t, end_ms: t, pos: v.pos });
                }
            }
        }
    }

    /// Processes every sensor event before `t_limit`, writing radar lines to `nmea`.
    fn advance_until<A: Write>(&mut self, t_limit: i64, nmea: &mut A) -> io::Result<()> {
        while let Some(&Reverse((t, kind, idx))) = self.heap.peek() {
            if t >= t_limit || t >= self.end_ms {
                break;
            }
            self.heap.pop();
            if kind >= EV_XPOS {
                let x = &mut self.extras.ais[idx as usize];
                let tr = match kind {
                    EV_XPOS => {
                        let (tr, next) = x.position_event(t, self.loss);
                        self.heap.push(Reverse((next, kind, idx)));
                        tr
                    }
                    EV_XSTATIC => {
                        let tr = x.static_event(t, false, self.loss);
                        if x.transponder.is_class_b() {
                            let gap = 200 + x.transponder.phase_ms(700);
                            self.heap.push(Reverse((t + gap, EV_XSTATIC_B, idx)));
                        }
                        let jitter = x.transponder.phase_ms(2000) - 1000;
                        self.heap.push(Reverse((t + STATIC_INTERVAL_MS + jitter, kind, idx)));
                        tr
                    }
                    _ => x.static_event(t, true, self.loss),
                };
                self.emit_extra(tr, t, nmea)?;
                continue;
            }
            let snaps = self.snapshot(t);
            match kind {
                EV_TRUTH => {
                    self.heap.push(Reverse((t + TRUTH_INTERVAL_MS, kind, idx)));
                    self.write_truth(t, &snaps)?;
                    self.observe_runs(t);
                }
                EV_RADAR => {
                    let r = &mut self.radars[idx as usize];
                    r.next_scan_ms = t + r.site.revisit_ms();
                    self.heap.push(Reverse((r.next_scan_ms, kind, idx)));
                    let targets: Vec<RadarTarget> = snaps
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| !s.moored && s.present)
                        .map(|(i, s)| RadarTarget {
                            index: i,
                            pos: s.pos,
                            cog_deg: s.cog_deg,
                            sog_kn: s.sog_kn,
                            class: self.classes(i).0,
                        })
                        .collect();
                    let out = self.radars[idx as usize].scan(t, &targets, self.clutter_mean);
                    self.summary.radar_scans += 1;
                    self.summary.radar_clutter += out.clutter;
                    for l in &out.lines {
                        nmea.write_all(l.as_bytes())?;
                        nmea.write_all(b"\n")?;
                    }
                    self.summary.radar_sentences += out.lines.len() as u64;
                }
                _ => {
                    self.heap.push(Reverse((t + DRONE_TICK_MS, kind, idx)));
                    let targets: Vec<DroneTarget> = snaps
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| !s.moored && s.present)
                        .map(|(i, s)| {
                            let (_, length_m, class, persons) = self.classes(i);
                            DroneTarget {
                                index: i,
                                pos: s.pos,
                                cog_deg: s.cog_deg,
                                sog_kn: s.sog_kn,
                                length_m,
                                class,
                                persons,
                            }
                        })
                        .collect();
                    let time = rfc3339_ms(t);
                    let events = self.drones[idx as usize].tick(t, &targets, &time);
                    for e in &events {
                        serde_json::to_writer(&mut self.detections, e).map_err(io::Error::other)?;
                        self.detections.write_all(b"\n")?;
                    }
                    self.summary.drone_events += events.len() as u64;
                }
            }
        }
        Ok(())
    }

    fn write_truth(&mut self, t: i64, snaps: &[Snap]) -> io::Result<()> {
        let time = rfc3339_ms(t);
        let n_ais = self.world.vessels.len();
        let n_dark = self.dark.boats.len();
        for (i, s) in snaps.iter().enumerate() {
            if !s.present {
                continue;
            }
            let line = if i >= n_ais + n_dark {
                let x = &self.extras.ais[i - n_ais - n_dark];
                let v = &x.vessel;
                TruthLine {
                    time: time.clone(),
                    truth_id: &x.truth_id,
                    mmsi: Some(v.identity.mmsi),
                    kind: v.kind.as_str(),
                    lat: round_to(s.pos.lat, 1e6),
                    lon: round_to(s.pos.lon, 1e6),
                    sog_kn: round_to(s.sog_kn, 100.0),
                    cog_deg: round_to(s.cog_deg, 100.0),
                    length_m: v.identity.length_m() as f64,
                    persons: None,
                    ais: true,
                }
            } else if i < n_ais {
                let v = &self.world.vessels[i];
                TruthLine {
                    time: time.clone(),
                    truth_id: &self.mmsi_ids[i],
                    mmsi: Some(v.identity.mmsi),
                    kind: v.kind.as_str(),
                    lat: round_to(s.pos.lat, 1e6),
                    lon: round_to(s.pos.lon, 1e6),
                    sog_kn: round_to(s.sog_kn, 100.0),
                    cog_deg: round_to(s.cog_deg, 100.0),
                    length_m: v.identity.length_m() as f64,
                    persons: None,
                    ais: true,
                }
            } else {
                let b = &self.dark.boats[i - n_ais];
                TruthLine {
                    time: time.clone(),
                    truth_id: &b.truth_id,
                    mmsi: None,
                    kind: b.kind.as_str(),
                    lat: round_to(s.pos.lat, 1e6),
                    lon: round_to(s.pos.lon, 1e6),
                    sog_kn: round_to(s.sog_kn, 100.0),
                    cog_deg: round_to(s.cog_deg, 100.0),
                    length_m: b.length_m,
                    persons: Some(b.persons),
                    ais: false,
                }
            };
            serde_json::to_writer(&mut self.truth, &line).map_err(io::Error::other)?;
            self.truth.write_all(b"\n")?;
            self.summary.truth_lines += 1;
        }
        Ok(())
    }
}

/// The tag-block `c:` time of a line, in ms (values below 10^11 are seconds).
fn tag_time_ms(line: &[u8]) -> Option<i64> {
    if line.first() != Some(&b'\\') {
        return None;
    }
    let end = line[1..].iter().position(|&c| c == b'*' || c == b'\\')? + 1;
    let tag = std::str::from_utf8(&line[1..end]).ok()?;
    let v: i64 = tag.split(',').find_map(|f| f.strip_prefix("c:"))?.parse().ok()?;
    Some(if v < 100_000_000_000 { v * 1000 } else { v })
}

/// Splits the AIS stream into lines and puts the sensor lines due before each in front.
struct Merge<'a, A: Write, B: Write, C: Write> {
    sim: &'a mut SensorSim<B, C>,
    out: io::BufWriter<A>,
    partial: Vec<u8>,
}

impl<A: Write, B: Write, C: Write> Merge<'_, A, B, C> {
    fn line(&mut self, line: &[u8]) -> io::Result<()> {
        if let Some(t) = tag_time_ms(line) {
            self.sim.advance_until(t, &mut self.out)?;
        }
        self.out.write_all(line)
    }
}

impl<A: Write, B: Write, C: Write> Write for Merge<'_, A, B, C> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(nl) = rest.iter().position(|&c| c == b'\n') {
            let (head, tail) = rest.split_at(nl + 1);
            if self.partial.is_empty() {
                self.line(head)?;
            } else {
                let mut l = std::mem::take(&mut self.partial);
                l.extend_from_slice(head);
                self.line(&l)?;
            }
            rest = tail;
        }
        self.partial.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The patrol of each drone of a scenario (drone `i` is `drone-<i+1>`): cued on
/// dark boat `i mod n` at the recording start, or the default racetrack.
pub fn drone_patrols(cfg: &SimConfig, sensors: &SensorConfig) -> Vec<DronePatrol> {
    let start = cfg.start_unix_ms;
    let region = cfg.region.region();
    let dark = DarkFleet::new(&region.crossing, cfg.seed, start, sensors.dark_boats, &sensors.scripted);
    (0..sensors.drones)
        .map(|i| {
            if dark.boats.is_empty() {
                DronePatrol::racetrack(&region.racetrack, i, start)
            } else {
                let b = &dark.boats[i % dark.boats.len()];
                DronePatrol::cued(i, b.pos, b.cog_deg, b.sog_kn, start)
            }
        })
        .collect()
}

/// Writes AIS + radar sentences (one NMEA stream, merged in time order), drone
/// events (JSON Lines) and ground truth (JSON Lines, every vessel every 10 s).
pub fn write_scenario<A: Write, B: Write, C: Write>(
    cfg: &SimConfig,
    sensors: &SensorConfig,
    nmea: A,
    detections: B,
    truth: C,
) -> io::Result<ScenarioSummary> {
    write_scenario_with(cfg, sensors, Extras::default(), nmea, detections, truth).map(|r| r.0)
}

/// [`write_scenario`] plus [`Extras`].
pub(crate) fn write_scenario_with<A: Write, B: Write, C: Write>(
    cfg: &SimConfig,
    sensors: &SensorConfig,
    extras: Extras,
    nmea: A,
    detections: B,
    truth: C,
) -> io::Result<(ScenarioSummary, ExtrasOut)> {
    let start = cfg.start_unix_ms;
    let end_ms = start + cfg.duration_s as i64 * 1000;
    let region = cfg.region.region();
    let world = World::new(region, cfg.seed, start, cfg.vessel_scale);
    let dark = DarkFleet::new(&region.crossing, cfg.seed, start, sensors.dark_boats, &sensors.scripted);
    let radars: Vec<Radar> =
        sensors.radars.iter().enumerate().map(|(i, s)| Radar::new(cfg.seed, i, *s, start)).collect();
    let drones: Vec<Drone> = drone_patrols(cfg, sensors)
        .into_iter()
        .chain(extras.drones.iter().cloned())
        .enumerate()
        .map(|(i, p)| Drone::new(cfg.seed, i, p))
        .collect();
    let mut heap = BinaryHeap::new();
    heap.push(Reverse((start, EV_TRUTH, 0)));
    for (i, r) in radars.iter().enumerate() {
        heap.push(Reverse((r.next_scan_ms, EV_RADAR, i as u32)));
    }
    for i in 0..drones.len() {
        heap.push(Reverse((start, EV_DRONE, i as u32)));
    }
    let mut extras = extras;
    for (i, x) in extras.ais.iter_mut().enumerate() {
        let first = x.transponder.phase_ms(x.transponder.interval_ms(&x.vessel));
        heap.push(Reverse((start + first, EV_XPOS, i as u32)));
        let first_static = x.transponder.phase_ms(STATIC_INTERVAL_MS);
        heap.push(Reverse((start + first_static, EV_XSTATIC, i as u32)));
    }
    let mmsi_ids = world.vessels.iter().map(|v| v.identity.mmsi.to_string()).collect();
    let mut sim = SensorSim {
        region,
        world,
        dark,
        radars,
        drones,
        clutter_mean: sensors.clutter_per_scan.max(0.0),
        heap,
        end_ms,
        detections: io::BufWriter::new(detections),
        truth: io::BufWriter::new(truth),
        summary: ScenarioSummary::default(),
        mmsi_ids,
        extras,
        extras_out: ExtrasOut::default(),
        open_runs: Vec::new(),
        prefix: cfg.station.clone(),
        loss: cfg.reception_loss.clamp(0.0, 1.0),
        seq_id: 0,
    };
    sim.summary.dark_boats = sim.dark.boats.len();
    let mut merge = Merge { sim: &mut sim, out: io::BufWriter::new(nmea), partial: Vec::new() };
    let ais = write_recording(cfg, &mut merge)?;
    if !merge.partial.is_empty() {
        let l = std::mem::take(&mut merge.partial);
        merge.line(&l)?;
    }
    let Merge { sim, mut out, .. } = merge;
    sim.advance_until(end_ms, &mut out)?;
    out.flush()?;
    sim.detections.flush()?;
    sim.truth.flush()?;
    let mut summary = std::mem::take(&mut sim.summary);
    summary.ais = ais;
    let mut out = std::mem::take(&mut sim.extras_out);
    out.runs.extend(sim.open_runs.iter_mut().filter_map(|r| r.take()));
    Ok((summary, out))
}
