//! Load driver for the live picture with 200,000 vessels: end-to-end ingest
//! rate, `VesselsNear` latency percentiles and resident memory.
//!
//! Run: `cargo bench --bench picture` (add `-- --vessels N --rounds R --queries Q`).
//! The fleet is seeded (ChaCha8, seed 42) so every run measures the same sea:
//! 60 % of vessels in 40 busy clusters (ports, straits: σ ≈ 0.5°) and 40 %
//! spread over the open ocean, each with type 5 static data. Ingest feeds
//! pre-encoded tag-blocked `!AIVDM` type 1 sentences (every vessel moving on
//! its course, 10 s per round) through the same path as the service: the
//! per-source `Decoder`, batches of `BATCH_MAX`, and `pipeline::apply_batch`
//! under the picture's write lock (which updates the R-tree).

mod common;
use common::{arg, rss_mb};
use std::time::Instant;

use lookout_ais::decode::{Decoder, DecoderConfig};
use lookout_ais::{Observation, Payload};
use lookout_core::geodesy::{destination, LatLon, MS_PER_KN, M_PER_NM};
use lookout_picture::{NearQuery, VesselFilter};
use lookout_server::pipeline::apply_batch;
use lookout_server::service::Shared;
use lookout_server::source::BATCH_MAX;
use lookout_server::Config;
use lookout_sim::encode::{self, PositionReport, StaticVoyageData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

struct Ship {
    mmsi: u32,
    pos: LatLon,
    sog_kn: f64,
    cog_deg: f64,
}

fn fleet(n: usize, rng: &mut ChaCha8Rng) -> Vec<Ship> {
    let clusters: Vec<LatLon> =
        (0..40).map(|_| LatLon::new(rng.random_range(-45.0..60.0), rng.random_range(-179.0..179.0))).collect();
    (0..n)
        .map(|i| {
            let pos = if rng.random_bool(0.6) {
                let c = clusters[rng.random_range(0..clusters.len())];
                let g = |r: &mut ChaCha8Rng| (0..6).map(|_| r.random_range(-0.5..0.5)).sum::<f64>() * 0.7;
                LatLon::new((c.lat_deg + g(rng)).clamp(-80.0, 80.0), (c.lon_deg + g(rng)).clamp(-179.9, 179.9))
            } else {
                LatLon::new(rng.random_range(-60.0..70.0), rng.random_range(-179.9..179.9))
            };
            let moored = rng.random_bool(0.3);
            Ship {
                mmsi: 200_000_000 + i as u32,
                pos,
                sog_kn: if moored { 0.0 } else { rng.random_range(2.0..22.0) },
                cog_deg: rng.random_range(0.0..360.0),
            }
        })
        .collect()
}

fn tagged(lines: &mut Vec<String>, t_s: i64, payload: (String, u8), seq: u8) {
    for s in encode::sentences(&payload.0, payload.1, 'A', seq) {
        lines.push(format!("{}{}", encode::tag_block("bench", t_s), s));
    }
}

fn position_line(lines: &mut Vec<String>, s: &Ship, t_s: i64) {
    let r = PositionReport {
        msg_type: 1,
        repeat: 0,
        mmsi: s.mmsi,
        nav_status: if s.sog_kn > 0.0 { 0 } else { 5 },
        rot: 0,
        sog: encode::sog_to_ais(s.sog_kn),
        accuracy: true,
        lon: encode::lon_to_ais(s.pos.lon_deg),
        lat: encode::lat_to_ais(s.pos.lat_deg),
        cog: encode::cog_to_ais(s.cog_deg),
        heading: s.cog_deg.round() as u16 % 360,
        second: (t_s % 60) as u8,
        maneuver: 0,
        spare: 0,
        raim: false,
        radio: 0,
    };
    tagged(lines, t_s, r.to_bits().armor(), 0);
}

fn static_line(lines: &mut Vec<String>, s: &Ship, t_s: i64, i: usize) {
    let d = StaticVoyageData {
        repeat: 0,
        mmsi: s.mmsi,
        ais_version: 0,
        imo: 9_000_000 + i as u32,
        callsign: format!("C{:06}", i % 1_000_000),
        name: format!("BENCH VESSEL {i}"),
        ship_type: 70,
        to_bow_m: 120,
        to_stern_m: 30,
        to_port_m: 12,
        to_starboard_m: 13,
        epfd: 1,
        eta_month: 6,
        eta_day: 1,
        eta_hour: 12,
        eta_minute: 0,
        draught_dm: 95,
        destination: "MT MAR".into(),
        dte: false,
    };
    tagged(lines, t_s, d.to_bits().armor(), (i % 10) as u8);
}

/// Feeds lines through a decoder into the pipeline's apply path; returns messages applied.
fn ingest(shared: &Shared, lines: &[String]) -> u64 {
    let mut dec = Decoder::new(DecoderConfig::default());
    let mut batch: Vec<Observation> = Vec::with_capacity(BATCH_MAX);
    let mut n = 0;
    let mut now = 0;
    for l in lines {
        dec.feed_line(l.as_bytes(), now, &mut |d| {
            now = d.received_at_ms.unwrap_or(now);
            batch.push(Observation { source: 0, at_ms: now, payload: Payload::Ais(d.msg) });
        });
        if batch.len() >= BATCH_MAX {
            apply_batch(shared, &batch, now);
            n += batch.len() as u64;
            batch.clear();
        }
    }
    apply_batch(shared, &batch, now);
    n + batch.len() as u64
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` probes harness-less benches.
    }
    let n = arg("--vessels", 200_000);
    let rounds = arg("--rounds", 10);
    let queries = arg("--queries", 10_000);
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let mut ships = fleet(n, &mut rng);
    let t0: i64 = 1_780_272_000; // 2026-06-01T00:00:00Z

    // Static data and first positions, then memory.
    let mut setup = Vec::with_capacity(n * 3);
    for (i, s) in ships.iter().enumerate() {
        static_line(&mut setup, s, t0, i);
        position_line(&mut setup, s, t0);
    }
    let mut cfg = Config::parse("").unwrap();
    cfg.picture.vessel_max_age = std::time::Duration::from_secs(24 * 3600);
    let (tx, _rx) = tokio::sync::mpsc::channel(1);
    let (det_tx, _det_rx) = tokio::sync::mpsc::channel(1);
    let shared = Shared::new(cfg, None, None, tx, det_tx, Default::default());
    let rss0 = rss_mb();
    ingest(&shared, &setup);
    drop(setup);
    let rss1 = rss_mb();
    let pic_len = shared.engine.read().picture().len();
    println!(
        "picture: {pic_len} vessels with static data; RSS {rss1:.0} MB total, {:.0} MB for the picture",
        rss1 - rss0
    );

    // Ingest: `rounds` position reports per vessel, everyone moving.
    let mut lines = Vec::with_capacity(n * rounds);
    for r in 1..=rounds as i64 {
        for s in ships.iter_mut() {
            s.pos = destination(s.pos, s.cog_deg, s.sog_kn * MS_PER_KN * 10.0);
            position_line(&mut lines, s, t0 + r * 10);
        }
    }
    let start = Instant::now();
    let applied = ingest(&shared, &lines);
    let secs = start.elapsed().as_secs_f64();
    println!(
        "ingest: {} sentences -> {applied} reports in {secs:.2} s = {:.0} reports/s (decode + picture + R-tree, {pic_len} live vessels)",
        lines.len(),
        applied as f64 / secs
    );
    drop(lines);

    // VesselsNear, 20 nm, at points close to random vessels (busy water).
    let now_ms = (t0 + rounds as i64 * 10) * 1000;
    let engine = shared.engine.read();
    let pic = engine.picture();
    let mut lat_us = Vec::with_capacity(queries);
    let mut found = 0usize;
    for _ in 0..queries {
        let s = &ships[rng.random_range(0..ships.len())];
        let center = LatLon::new(
            (s.pos.lat_deg + rng.random_range(-0.1..0.1)).clamp(-89.0, 89.0),
            (s.pos.lon_deg + rng.random_range(-0.1..0.1)).clamp(-180.0, 180.0),
        );
        let q =
            NearQuery { center, radius_m: 20.0 * M_PER_NM, max_results: 50, filter: VesselFilter::default(), now_ms };
        let t = Instant::now();
        let r = pic.near(&q);
        lat_us.push(t.elapsed().as_secs_f64() * 1e6);
        found += r.total_in_radius;
    }
    lat_us.sort_by(f64::total_cmp);
    let pct = |p: f64| lat_us[((lat_us.len() as f64 * p) as usize).min(lat_us.len() - 1)];
    println!(
        "vessels_near 20 nm, max 50: {queries} queries, mean {:.0} vessels in radius; p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs",
        found as f64 / queries as f64,
        pct(0.50),
        pct(0.99),
        lat_us[lat_us.len() - 1]
    );

    drop(engine);

    // Point in polygon, as VesselsInArea and SubscribeTracks test every vessel: a
    // 1,000-vertex (the limit) ragged ring of radius about 3° around a busy cluster,
    // against every vessel's position; the banded test against geo's two passes.
    use geo::{Contains, Intersects};
    let c = ships[0].pos;
    let ring: Vec<LatLon> = (0..1000)
        .map(|i| {
            let a = f64::from(i) / 1000.0 * std::f64::consts::TAU;
            let r = 3.0 * (1.0 + 0.1 * (a * 7.0).sin());
            LatLon::new((c.lat_deg + r * a.sin()).clamp(-89.0, 89.0), c.lon_deg + r * a.cos())
        })
        .collect();
    let area = lookout_picture::Area::polygon(&ring).unwrap();
    let poly = geo::Polygon::new(ring.iter().map(|v| geo::Coord { x: v.lon_deg, y: v.lat_deg }).collect(), vec![]);
    let env = area.envelopes()[0];
    let all: Vec<LatLon> = ships.iter().map(|s| s.pos).collect();
    // The points in its bounding box alone: there geo's cheap rejection does not help.
    let boxed: Vec<LatLon> = all
        .iter()
        .copied()
        .filter(|p| (env.0[0]..=env.1[0]).contains(&p.lon_deg) && (env.0[1]..=env.1[1]).contains(&p.lat_deg))
        .collect();
    for (what, points) in [("every vessel", &all), ("vessels in its bounding box", &boxed)] {
        let time = |f: &dyn Fn(LatLon) -> bool| {
            let t = Instant::now();
            let inside = points.iter().filter(|p| f(**p)).count();
            (inside, t.elapsed().as_secs_f64() * 1e9 / points.len().max(1) as f64)
        };
        let (inside, banded_ns) = time(&|p| area.contains(p));
        let (geo_inside, geo_ns) = time(&|p| {
            let pt = geo::Point::new(p.lon_deg, p.lat_deg);
            poly.contains(&pt) || poly.exterior().intersects(&pt)
        });
        assert_eq!(inside, geo_inside, "the banded test and geo disagree");
        println!(
            "point in a 1,000-vertex polygon, {what}: {} points, {inside} inside; banded {banded_ns:.0} ns/point, geo {geo_ns:.0} ns/point",
            points.len()
        );
    }
}
