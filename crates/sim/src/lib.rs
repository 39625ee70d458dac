//! `lookout simulate`: seeded, byte-for-byte reproducible AIS traffic for a sea
//! area ([`region`]: the Strait of Sicily or the Dover Strait), written as
//! tag-blocked NMEA 0183 `!AIVDM` sentences.
//!
//! The simulator keeps the *world* (true vessel motion, [`world`]) apart from the
//! *sensors* that observe it (the AIS transmitter and shore receivers, [`ais_tx`]),
//! so other sensors (radar, drones) and scripted anomaly scenarios can be added on
//! top of the same world later. [`encode`] is the AIS/NMEA encoder, which lives in
//! `lookout_ais::encode` beside the decoder it inverts (the service's NMEA output
//! feed uses it too) and is re-exported here so `lookout_sim::encode` keeps working.
//!
//! Non-AIS sensors ([`scenario::write_scenario`]): dark boats without AIS ([`dark`]),
//! coastal radars writing ARPA `$RATTM` ([`radar`]), drones writing JSON Lines
//! detection events ([`drone`]), and ground truth for all of them.
//!
//! Output is produced in time order from a priority queue of next-transmission
//! events keyed by `(time_ms, source index, kind)`, so the recording is streamed,
//! never held in memory, and ties are broken deterministically.

pub mod ais_tx;
pub mod anomaly;
pub mod dark;
pub mod drone;
pub mod geography;
/// The AIS/NMEA encoder, from the codec crate (see the module docs above).
pub use lookout_ais::encode;
pub mod identity;
pub mod radar;
pub mod region;
pub mod rng;
pub mod scenario;
pub mod scripted_ais;
pub mod world;

pub use anomaly::{write_anomaly_scenario, AnomalyConfig, AnomalyKind, AnomalySummary, Label};
pub use radar::RadarSite;
/// The Strait of Sicily's radar sites (the bundled demo's).
pub use region::sicily::RADAR_SITES;
pub use region::{Region, RegionId};
pub use scenario::{write_scenario, ScenarioSummary, SensorConfig};

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::io::{self, Write};

use rand::Rng;
use serde::Serialize;

use ais_tx::Transponder;
use encode::AisMessage;
use rng::{stream_rng, Stream};
use world::World;

/// Simulation parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// The sea area.
    pub region: RegionId,
    /// Seed of every random stream; same seed and config ⇒ identical output.
    pub seed: u64,
    /// Recording start, UNIX ms (recording time, not wall clock).
    pub start_unix_ms: i64,
    /// Recording length, s.
    pub duration_s: u32,
    /// Fleet size multiplier: 1.0 is the area's fleet (~200 vessels); scales every category.
    pub vessel_scale: f64,
    /// Tag-block `s:` prefix: each sentence is tagged `<station>-<receiver>` with the
    /// shore receiver that heard it (e.g. "sim-lampedusa"); empty = bare receiver name.
    pub station: String,
    /// Probability, 0..1, that a transmission in good coverage is not received.
    pub reception_loss: f64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            region: RegionId::default(),
            seed: 1,
            start_unix_ms: 1_780_272_000_000, // 2026-06-01T00:00:00Z
            duration_s: 3600,
            vessel_scale: 1.0,
            station: "sim".to_string(),
            reception_loss: 0.05,
        }
    }
}

/// What a recording contains.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SimSummary {
    /// Vessels simulated (heard or not).
    pub vessels: usize,
    /// Vessels with at least one received message.
    pub vessels_heard: usize,
    /// Lines written (one sentence each).
    pub sentences: u64,
    /// AIS messages written (a two-sentence type 5 counts once).
    pub messages: u64,
    /// Messages transmitted but not received (loss / out of coverage).
    pub messages_lost: u64,
    /// Written messages per AIS message type.
    pub by_type: BTreeMap<u8, u64>,
    /// Bytes written.
    pub bytes: u64,
}

/// Kinds of scheduled event; part of the heap key so simultaneous events of one
/// source come out in a fixed order.
const EV_POSITION: u8 = 0;
const EV_STATIC: u8 = 1;
const EV_STATIC_B: u8 = 2;

/// Event sources after the vessels: lights, then base stations.
#[derive(Debug, Clone, Copy)]
enum Source {
    Vessel(usize),
    Light(usize),
    Base(usize),
}

type Event = Reverse<(i64, u32, u8)>;

/// Writes tag-blocked sentences and keeps the tallies.
struct Sink<W: Write> {
    out: io::BufWriter<W>,
    summary: SimSummary,
    heard: Vec<bool>,
    /// Sequential message id for multi-sentence messages, cycling 0-9.
    seq_id: u8,
    /// Tag-block station prefix ([`SimConfig::station`]).
    prefix: String,
}

impl<W: Write> Sink<W> {
    fn emit(&mut self, msg: &AisMessage, channel: char, station: &str, t_ms: i64) -> io::Result<()> {
        let sentences = msg.to_sentences(channel, self.seq_id);
        if sentences.len() > 1 {
            self.seq_id = (self.seq_id + 1) % 10;
        }
        let tag = if self.prefix.is_empty() {
            encode::tag_block(station, t_ms.div_euclid(1000))
        } else {
            encode::tag_block(&format!("{}-{}", self.prefix, station), t_ms.div_euclid(1000))
        };
        for s in &sentences {
            self.out.write_all(tag.as_bytes())?;
            self.out.write_all(s.as_bytes())?;
            self.out.write_all(b"\n")?;
            self.summary.bytes += (tag.len() + s.len() + 1) as u64;
        }
        self.summary.sentences += sentences.len() as u64;
        self.summary.messages += 1;
        *self.summary.by_type.entry(msg.msg_type()).or_insert(0) += 1;
        Ok(())
    }
}

/// Writes the recording, sorted by time, one sentence per line, `\n` line endings.
pub fn write_recording<W: Write>(cfg: &SimConfig, out: W) -> io::Result<SimSummary> {
    let region = cfg.region.region();
    let (lights, stations) = (region.lights, region.stations);
    let mut world = World::new(region, cfg.seed, cfg.start_unix_ms, cfg.vessel_scale);
    let n = world.vessels.len();
    let mut txs: Vec<Transponder> =
        world.vessels.iter().enumerate().map(|(i, v)| Transponder::new(cfg.seed, i, v, stations)).collect();
    let mut infra_rng = stream_rng(cfg.seed, Stream::AisRx, u64::MAX);
    let loss = cfg.reception_loss.clamp(0.0, 1.0);
    let start = cfg.start_unix_ms;
    let end = start + cfg.duration_s as i64 * 1000;

    let source_of = |src: u32| -> Source {
        let s = src as usize;
        if s < n {
            Source::Vessel(s)
        } else if s < n + lights.len() {
            Source::Light(s - n)
        } else {
            Source::Base(s - n - lights.len())
        }
    };

    // First transmissions at a random phase of each source's period.
    let mut heap: BinaryHeap<Event> = BinaryHeap::new();
    for (i, tx) in txs.iter_mut().enumerate() {
        let first = tx.phase_ms(tx.interval_ms(&world.vessels[i]));
        heap.push(Reverse((start + first, i as u32, EV_POSITION)));
        let first_static = tx.phase_ms(ais_tx::STATIC_INTERVAL_MS);
        heap.push(Reverse((start + first_static, i as u32, EV_STATIC)));
    }
    for i in 0..lights.len() {
        let first = infra_rng.random_range(0..ais_tx::ATON_INTERVAL_MS);
        heap.push(Reverse((start + first, (n + i) as u32, EV_POSITION)));
    }
    for i in 0..stations.len() {
        let first = infra_rng.random_range(0..ais_tx::BASE_STATION_INTERVAL_MS);
        heap.push(Reverse((start + first, (n + lights.len() + i) as u32, EV_POSITION)));
    }

    let mut sink = Sink {
        out: io::BufWriter::new(out),
        summary: SimSummary { vessels: n, ..SimSummary::default() },
        heard: vec![false; n],
        seq_id: 0,
        prefix: cfg.station.clone(),
    };

    while let Some(Reverse((t, src, kind))) = heap.pop() {
        if t >= end {
            break;
        }
        world.advance_to(t);
        match source_of(src) {
            Source::Vessel(i) => {
                let v = &world.vessels[i];
                let tx = &mut txs[i];
                let transmission = match kind {
                    EV_POSITION => {
                        let tr = tx.position_report(v, t, world.time_ms, loss);
                        heap.push(Reverse((tx.next_position_ms(v, t), src, EV_POSITION)));
                        tr
                    }
                    EV_STATIC => {
                        let tr = tx.static_report(v, false, loss);
                        if tx.is_class_b() {
                            // Part B follows part A within a second.
                            let gap = 200 + tx.phase_ms(700);
                            heap.push(Reverse((t + gap, src, EV_STATIC_B)));
                        }
                        let jitter = tx.phase_ms(2000) - 1000;
                        heap.push(Reverse((t + ais_tx::STATIC_INTERVAL_MS + jitter, src, EV_STATIC)));
                        tr
                    }
                    _ => tx.static_report(v, true, loss),
                };
                if transmission.received {
                    sink.heard[i] = true;
                    sink.emit(&transmission.msg, transmission.channel, transmission.station, t)?;
                } else {
                    sink.summary.messages_lost += 1;
                }
            }
            Source::Light(i) => {
                let light = &lights[i];
                heap.push(Reverse((t + ais_tx::ATON_INTERVAL_MS, src, EV_POSITION)));
                let (station, _) = region.nearest_station(light.pos);
                let channel = if (t / ais_tx::ATON_INTERVAL_MS) % 2 == 0 { 'A' } else { 'B' };
                if infra_rng.random_bool(loss) {
                    sink.summary.messages_lost += 1;
                } else {
                    sink.emit(&ais_tx::aton_report(light, t), channel, station.name, t)?;
                }
            }
            Source::Base(i) => {
                let station = &stations[i];
                heap.push(Reverse((t + ais_tx::BASE_STATION_INTERVAL_MS, src, EV_POSITION)));
                let channel = if (t / ais_tx::BASE_STATION_INTERVAL_MS) % 2 == 0 { 'A' } else { 'B' };
                // A base station is heard by its own co-located receiver.
                sink.emit(&ais_tx::base_station_report(station, t), channel, station.name, t)?;
            }
        }
    }
    sink.summary.vessels_heard = sink.heard.iter().filter(|&&h| h).count();
    sink.out.flush()?;
    Ok(sink.summary)
}

/// One ground-truth sample: a vessel's true state at a whole minute.
#[derive(Debug, Clone, Serialize)]
pub struct TruthRecord<'a> {
    /// UNIX time, s.
    pub time: i64,
    pub mmsi: u32,
    pub lat: f64,
    pub lon: f64,
    pub sog_kn: f64,
    pub cog_deg: f64,
    pub kind: &'a str,
    pub nav_status: u8,
}

/// Writes ground truth: one JSON object per vessel per minute (time, mmsi, lat, lon,
/// sog_kn, cog_deg, kind, nav_status) for the same world as [`write_recording`].
pub fn write_truth<W: Write>(cfg: &SimConfig, out: W) -> io::Result<()> {
    let mut world = World::new(cfg.region.region(), cfg.seed, cfg.start_unix_ms, cfg.vessel_scale);
    let mut out = io::BufWriter::new(out);
    let end = cfg.start_unix_ms + cfg.duration_s as i64 * 1000;
    let mut t = cfg.start_unix_ms;
    while t <= end {
        world.advance_to(t);
        for v in &world.vessels {
            let rec = TruthRecord {
                time: t.div_euclid(1000),
                mmsi: v.identity.mmsi,
                lat: round_to(v.pos.lat, 1e6),
                lon: round_to(v.pos.lon, 1e6),
                sog_kn: round_to(v.sog_kn, 100.0),
                cog_deg: round_to(v.cog_deg, 100.0),
                kind: v.kind.as_str(),
                nav_status: v.nav_status,
            };
            serde_json::to_writer(&mut out, &rec).map_err(io::Error::other)?;
            out.write_all(b"\n")?;
        }
        t += 60_000;
    }
    out.flush()
}

fn round_to(x: f64, scale: f64) -> f64 {
    (x * scale).round() / scale
}
