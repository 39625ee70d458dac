//! What scoring adds per position report: `Scoring::step` (detectors,
//! alert book, baseline learning) timed per batch of 512 observations,
//! divided by the reports the batch changed. Target < 2 µs/report.
//!
//! Run: `cargo bench --bench score` (add `-- --scale S --minutes M --baseline-hours H`,
//! or `-- --area dover-strait` for the Dover Strait with `config/dover.toml`'s
//! zones: its ports, anchorages and the twelve traffic lanes the
//! ROUTE_DEVIATION lane rule tests every fast ship against).
//! Data: a baseline learnt from `--baseline-hours` (2) of the simulator's
//! ordinary traffic (seed 2, default fleet), then `--minutes` (30) of traffic
//! on another seed (3) with the fleet scaled by `--scale` (10: ~2,000
//! vessels in the Strait of Sicily), decoded as the service decodes it and
//! applied with `Picture::apply_batch` in batches of `BATCH_MAX` on the
//! recording's clock. Every batch is scored by three stages that see the
//! same picture: baseline loaded (learn off), baseline loaded with capped
//! learning (the service default), and no baseline; their order rotates from
//! batch to batch so none always runs on caches the others warmed. Only
//! `step` is timed; the picture update is not.

mod common;
use common::{arg, rss_mb};
use std::time::Instant;

use lookout_ais::decode::{Decoder, DecoderConfig};
use lookout_ais::{Observation, Payload};
use lookout_engine::Scoring;
use lookout_picture::Picture;
use lookout_score::baseline::{observations_from_nmea, BaselineBuilder};
use lookout_server::source::BATCH_MAX;
use lookout_server::Config;
use lookout_sim::{self, SimConfig};
use std::hint::black_box;

struct Timing {
    name: &'static str,
    stage: Scoring,
    /// µs per changed report, per batch.
    per_batch: Vec<f64>,
    total_s: f64,
    reports: u64,
    alert_changes: u64,
    /// Slowest batch (µs, reports in it).
    worst: (f64, usize),
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` probes harness-less benches.
    }
    let scale = arg("--scale", 10);
    let minutes = arg("--minutes", 30);
    let baseline_hours = arg("--baseline-hours", 2);
    let batch_max = arg("--batch", BATCH_MAX);
    let args: Vec<String> = std::env::args().collect();
    let area = args
        .iter()
        .position(|a| a == "--area")
        .and_then(|i| args.get(i + 1))
        .map_or("strait-of-sicily", |s| s.as_str());
    let region = lookout_sim::RegionId::ALL
        .into_iter()
        .find(|r| r.name() == area)
        .expect("--area: strait-of-sicily or dover-strait");

    let t = Instant::now();
    let mut normal = Vec::new();
    lookout_sim::write_recording(
        &SimConfig { region, seed: 2, duration_s: baseline_hours as u32 * 3600, ..Default::default() },
        &mut normal,
    )
    .unwrap();
    let mut b = BaselineBuilder::new(lookout::cli::simulated_area(area, 2000.0).unwrap());
    for o in observations_from_nmea(&normal[..]).unwrap() {
        b.add(&o);
    }
    let baseline = b.finish();
    drop(normal);
    println!(
        "baseline: {area}, {baseline_hours} h of simulated traffic (seed 2), 2 km grid, built in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let mut traffic = Vec::new();
    let sim = SimConfig {
        region,
        seed: 3,
        duration_s: minutes as u32 * 60,
        vessel_scale: scale as f64,
        ..Default::default()
    };
    let summary = lookout_sim::write_recording(&sim, &mut traffic).unwrap();
    let mut dec = Decoder::new(DecoderConfig::default());
    let mut obs: Vec<Observation> = Vec::with_capacity(summary.messages as usize);
    let mut now = 0;
    for line in traffic.split(|b| *b == b'\n') {
        dec.feed_line(line, now, &mut |d| {
            now = d.received_at_ms.unwrap_or(now);
            obs.push(Observation { source: 0, at_ms: now, payload: Payload::Ais(d.msg) });
        });
    }
    drop(traffic);
    println!(
        "traffic: {minutes} min, seed 3, scale {scale}: {} vessels ({} heard), {} messages decoded, generated in {:.1} s",
        summary.vessels,
        summary.vessels_heard,
        obs.len(),
        t.elapsed().as_secs_f64()
    );

    // Diagnosis only: `[picture] dead_reckon_max` in seconds (0: the default, 5 min).
    let dead_reckon_s = arg("--dead-reckon-max-s", 0);
    let mut cfg = Config::parse("").unwrap();
    if region == lookout_sim::RegionId::DoverStrait {
        let file = Config::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/dover.toml")).unwrap();
        cfg.score.zones = file.score.zones;
        println!("zones: config/dover.toml");
    }
    if dead_reckon_s > 0 {
        cfg.picture.dead_reckon_max = std::time::Duration::from_secs(dead_reckon_s as u64);
        println!("diagnosis: [picture] dead_reckon_max = {dead_reckon_s} s instead of the default");
    }
    let mut pic = Picture::with_tracker(&cfg.picture, cfg.tracker.clone());
    let stage = |b: Option<&lookout_score::baseline::Baseline>, learn| {
        Scoring::new(cfg.score.clone(), cfg.alerts.clone(), b.cloned(), learn)
    };
    let mut timings = vec![
        Timing {
            name: "baseline, learn off",
            stage: stage(Some(&baseline), false),
            per_batch: vec![],
            total_s: 0.0,
            reports: 0,
            alert_changes: 0,
            worst: (0.0, 0),
        },
        Timing {
            name: "baseline, learn on ",
            stage: stage(Some(&baseline), true),
            per_batch: vec![],
            total_s: 0.0,
            reports: 0,
            alert_changes: 0,
            worst: (0.0, 0),
        },
        Timing {
            name: "no baseline        ",
            stage: stage(None, false),
            per_batch: vec![],
            total_s: 0.0,
            reports: 0,
            alert_changes: 0,
            worst: (0.0, 0),
        },
    ];
    // Where the time goes, for the stage with a baseline: the rendezvous
    // detector's neighbour query (`Picture::slow_near`, made only for slow
    // vessels, as the detector makes it) and `Baseline::score` for every
    // changed report, timed apart from `step`.
    let rdv = cfg.score.rendezvous_max_m;
    let rdv_kn = cfg.score.rendezvous_max_kn;
    let (mut near_s, mut near_calls, mut near_hits, mut bscore_s, mut bscored) = (0.0, 0u64, 0u64, 0.0, 0u64);
    // The detectors alone (`Scorer::observe`, with the baseline), without the book, ticks and learning.
    let mut scorer = lookout_score::detectors::Scorer::new(cfg.score.clone());
    let mut observe_s = 0.0;
    let mut apply_s = 0.0;
    let mut changed_total = 0u64;
    let mut batches = 0usize;
    let wall = Instant::now();
    for (i, batch) in obs.chunks(batch_max).enumerate() {
        let now_ms = batch.iter().map(|o| o.at_ms).max().unwrap();
        let t = Instant::now();
        let changes = pic.apply_batch(batch, now_ms);
        apply_s += t.elapsed().as_secs_f64();
        let n = changes.changed.len();
        changed_total += n as u64;
        batches += 1;
        let k = timings.len();
        for j in 0..k {
            let tm = &mut timings[(i + j) % k];
            let t = Instant::now();
            let out = tm.stage.step(now_ms, &pic, &changes);
            let us = t.elapsed().as_secs_f64() * 1e6;
            tm.total_s += us / 1e6;
            tm.reports += n as u64;
            tm.alert_changes += out.len() as u64;
            if us > tm.worst.0 {
                tm.worst = (us, n);
            }
            if n > 0 {
                tm.per_batch.push(us / n as f64);
            }
        }
        let t = Instant::now();
        black_box(scorer.observe(&pic, &changes, Some(&baseline), now_ms));
        observe_s += t.elapsed().as_secs_f64();
        for key in &changes.changed {
            let Some(v) = pic.get_entity(*key) else {
                continue;
            };
            let Some(fix) = v.fix else { continue };
            if v.sog_kn.is_some_and(|s| f64::from(s) < rdv_kn) {
                let t = Instant::now();
                let r = pic.slow_near(fix.pos, rdv + 1000.0, rdv_kn, |_| true, now_ms, |_| rdv);
                near_s += t.elapsed().as_secs_f64();
                near_hits += r.len() as u64;
                near_calls += 1;
            }
            let t = Instant::now();
            black_box(baseline.score(&lookout_score::detectors::obs(v)));
            bscore_s += t.elapsed().as_secs_f64();
            bscored += 1;
        }
    }
    println!(
        "picture: {} live vessels; {batches} batches, {changed_total} changed reports; apply_batch {:.2} µs/report (not part of the figures below); run {:.1} s, RSS {:.0} MB",
        pic.len(),
        apply_s * 1e6 / changed_total.max(1) as f64,
        wall.elapsed().as_secs_f64(),
        rss_mb()
    );
    println!("Scoring::step per changed report, batches of {batch_max} observations (target < 2 µs):");
    for tm in &mut timings {
        tm.per_batch.sort_by(f64::total_cmp);
        let pct = |p: f64| tm.per_batch[((tm.per_batch.len() as f64 * p) as usize).min(tm.per_batch.len() - 1)];
        println!(
            "  {}: mean {:.3} µs/report; per batch p50 {:.3}, p99 {:.3}, max {:.3} µs/report; slowest batch {:.0} µs for {} reports; {} alert changes",
            tm.name,
            tm.total_s * 1e6 / tm.reports.max(1) as f64,
            pct(0.5),
            pct(0.99),
            tm.per_batch[tm.per_batch.len() - 1],
            tm.worst.0,
            tm.worst.1,
            tm.alert_changes,
        );
    }
    println!(
        "parts, per changed report: Scorer::observe (the detectors, baseline) {:.3} µs; Baseline::score {:.3} µs (deviation and, when slow, loitering call it); rendezvous Picture::slow_near ({rdv:.0} m) {:.3} µs per call, made for the {:.0} % of reports from slow vessels, {:.1} hits per call (the vessel itself included)",
        observe_s * 1e6 / changed_total.max(1) as f64,
        bscore_s * 1e6 / bscored.max(1) as f64,
        near_s * 1e6 / near_calls.max(1) as f64,
        100.0 * near_calls as f64 / bscored.max(1) as f64,
        near_hits as f64 / near_calls.max(1) as f64,
    );
}
