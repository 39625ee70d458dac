//! Load driver for the tracker with 50,000 live tracks: per-batch `step`
//! latency percentiles and detections per second.
//!
//! Run: `cargo bench --bench track` (add `-- --boats N --rotations R --radars K --sectors S`).
//! The sea is seeded (ChaCha8, seed 42) so every run measures the same one:
//! `boats` small craft spread uniformly over a 300 km square of the Sicily
//! channel (0.55 boats/km²), 20 % drifting, the rest at 2–25 kn on random
//! courses. `radars` coastal radars split the square into strips; each rotates
//! in 3 s and reports each of its `sectors` sectors as one batch (one
//! `(time_ms, sensor_id)` scan, ≈ 250 detections with the defaults): Pd 0.9,
//! 30 m σ, plus 3 uniform clutter detections per batch. No AIS (`NoAis`).
//! The first 4 rotations build and confirm the tracks and are reported
//! separately; the next `rotations` are measured batch by batch.

mod common;
use common::{arg, rss_mb};
use std::sync::Arc;
use std::time::Instant;

use lookout_core::geodesy::{destination, LatLon, MS_PER_KN};
use lookout_core::{Detection, SensorKind};
use lookout_track::{NoAis, Tracker, TrackerConfig};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

struct Boat {
    pos: LatLon,
    sog_kn: f64,
    cog_deg: f64,
    radar: usize,
    sector: usize,
}

fn gauss(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

const ROTATION_MS: i64 = 3000;
const LAT0: f64 = 35.0;
const LON0: f64 = 12.0;
const SPAN_LAT: f64 = 2.7; // ≈ 300 km
const SPAN_LON: f64 = 3.3; // ≈ 300 km at 36°

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` probes harness-less benches.
    }
    let n = arg("--boats", 50_000);
    let rotations = arg("--rotations", 20) as i64;
    let radars = arg("--radars", 10);
    let sectors = arg("--sectors", 20);
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let mut boats: Vec<Boat> = (0..n)
        .map(|_| {
            let (u, v): (f64, f64) = (rng.random(), rng.random());
            Boat {
                pos: LatLon::new(LAT0 + u * SPAN_LAT, LON0 + v * SPAN_LON),
                sog_kn: if rng.random_bool(0.2) { 0.0 } else { rng.random_range(2.0..25.0) },
                cog_deg: rng.random_range(0.0..360.0),
                radar: ((v * radars as f64) as usize).min(radars - 1),
                sector: ((u * sectors as f64) as usize).min(sectors - 1),
            }
        })
        .collect();
    let names: Vec<Arc<str>> = (0..radars).map(|r| Arc::from(format!("radar-{r}"))).collect();
    let t0: i64 = 1_795_305_600_000; // 2026-11-22T00:00:00Z

    // Batches of one rotation: (time, radar, detections), in time order.
    let rotation = |rng: &mut ChaCha8Rng, boats: &mut [Boat], rot: i64| -> Vec<Vec<Detection>> {
        for b in boats.iter_mut() {
            if b.sog_kn > 0.0 {
                b.pos = destination(b.pos, b.cog_deg, b.sog_kn * MS_PER_KN * ROTATION_MS as f64 / 1000.0);
            }
        }
        let mut batches: Vec<Vec<Detection>> = vec![Vec::new(); sectors * radars];
        let det = |t: i64, r: usize, pos: LatLon| Detection {
            time_ms: t,
            sensor_id: names[r].clone(),
            sensor_kind: SensorKind::Radar,
            pos,
            position_error_m: 30.0,
            course_deg: None,
            speed_kn: None,
            length_m: None,
            vessel_class: None,
            persons_counted: None,
            count_confidence: None,
            detection_id: None,
            image_ref: None,
        };
        // Radars are staggered so batches of different radars interleave in time.
        let time = |s: usize, r: usize| {
            t0 + rot * ROTATION_MS + (s * radars + r) as i64 * ROTATION_MS / (sectors * radars) as i64
        };
        for b in boats.iter() {
            if rng.random_bool(0.9) {
                let (e, nn) = (gauss(rng) * 30.0, gauss(rng) * 30.0);
                let p = destination(b.pos, e.atan2(nn).to_degrees(), e.hypot(nn));
                batches[b.sector * radars + b.radar].push(det(time(b.sector, b.radar), b.radar, p));
            }
        }
        for s in 0..sectors {
            for r in 0..radars {
                for _ in 0..3 {
                    let p = LatLon::new(
                        LAT0 + (s as f64 + rng.random::<f64>()) * SPAN_LAT / sectors as f64,
                        LON0 + (r as f64 + rng.random::<f64>()) * SPAN_LON / radars as f64,
                    );
                    batches[s * radars + r].push(det(time(s, r), r, p));
                }
            }
        }
        batches
    };

    let mut trk = Tracker::new(TrackerConfig::default());
    let rss0 = rss_mb();
    let start = Instant::now();
    let mut warm = 0usize;
    for rot in 0..4 {
        for b in rotation(&mut rng, &mut boats, rot) {
            warm += b.len();
            let now = b.first().map_or(0, |d| d.time_ms);
            trk.step(&b, &NoAis, now);
        }
    }
    let confirmed = trk.tracks().filter(|t| t.is_confirmed()).count();
    println!(
        "warm-up: {warm} detections in {:.2} s; {} tracks ({confirmed} confirmed) from {n} boats; RSS +{:.0} MB",
        start.elapsed().as_secs_f64(),
        trk.len(),
        rss_mb() - rss0
    );

    let mut lat_us = Vec::new();
    let mut dets = 0usize;
    let mut busy = 0.0;
    let mut sizes = Vec::new();
    for rot in 4..4 + rotations {
        for b in rotation(&mut rng, &mut boats, rot) {
            let now = b.first().map_or(0, |d| d.time_ms);
            let t = Instant::now();
            let o = trk.step(&b, &NoAis, now);
            let dt = t.elapsed().as_secs_f64();
            std::hint::black_box(&o);
            busy += dt;
            lat_us.push(dt * 1e6);
            dets += b.len();
            sizes.push(b.len());
        }
    }
    lat_us.sort_by(f64::total_cmp);
    sizes.sort_unstable();
    let pct = |v: &[f64], p: f64| v[((v.len() as f64 * p) as usize).min(v.len() - 1)];
    let confirmed = trk.tracks().filter(|t| t.is_confirmed()).count();
    println!(
        "step: {} batches of {}..{} detections (median {}), {} live tracks ({confirmed} confirmed)",
        lat_us.len(),
        sizes[0],
        sizes[sizes.len() - 1],
        sizes[sizes.len() / 2],
        trk.len()
    );
    println!(
        "per batch: p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs; {:.0} detections/s ({dets} detections in {busy:.2} s of step time)",
        pct(&lat_us, 0.50),
        pct(&lat_us, 0.99),
        lat_us[lat_us.len() - 1],
        dets as f64 / busy
    );
}
