//! Tests of `write_anomaly_scenario`: labelled incidents of each alert kind mixed into
//! normal traffic. Every label is checked against the written outputs (AIS decoded
//! with `lookout_ais::decode`, truth and drone JSON Lines read with serde_json).

use crate::support as common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use geo::{Distance, Geodesic, Point};
use lookout_ais::decode::{self, Decoder, DecoderConfig};
use lookout_sim::{
    write_anomaly_scenario, write_recording, AnomalyConfig, AnomalyKind, AnomalySummary, RegionId, SensorConfig,
    SimConfig,
};
use serde_json::Value;

const NM: f64 = 1852.0;

struct Run {
    region: RegionId,
    nmea: String,
    detections: String,
    truth: String,
    labels: String,
    summary: AnomalySummary,
}

fn run(cfg: &SimConfig, an: &AnomalyConfig) -> Run {
    let (mut a, mut b, mut c, mut d) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let summary =
        write_anomaly_scenario(cfg, &SensorConfig::for_region(cfg.region), an, &mut a, &mut b, &mut c, &mut d)
            .expect("anomaly scenario");
    Run {
        region: cfg.region,
        nmea: String::from_utf8(a).unwrap(),
        detections: String::from_utf8(b).unwrap(),
        truth: String::from_utf8(c).unwrap(),
        labels: String::from_utf8(d).unwrap(),
        summary,
    }
}

/// The default hour (seed 1), shared by the tests.
fn default_run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| run(&SimConfig::default(), &AnomalyConfig::default()))
}

/// The default hour for seeds 1, 2 and 3 in the Strait of Sicily and seed 1
/// in the Dover Strait: every label check runs on all four.
fn runs() -> [&'static Run; 4] {
    static R2: OnceLock<Run> = OnceLock::new();
    static R3: OnceLock<Run> = OnceLock::new();
    static D1: OnceLock<Run> = OnceLock::new();
    let seeded = |region, seed| run(&SimConfig { region, seed, ..SimConfig::default() }, &AnomalyConfig::default());
    [
        default_run(),
        R2.get_or_init(|| seeded(RegionId::StraitOfSicily, 2)),
        R3.get_or_init(|| seeded(RegionId::StraitOfSicily, 3)),
        D1.get_or_init(|| seeded(RegionId::DoverStrait, 1)),
    ]
}

fn dist(a: (f64, f64), b: (f64, f64)) -> f64 {
    Geodesic.distance(Point::new(a.1, a.0), Point::new(b.1, b.0))
}

#[derive(Debug, Clone)]
struct Lbl {
    kind: String,
    start_ms: i64,
    end_ms: i64,
    ids: Vec<String>,
    mmsi: Option<u32>,
    pos: (f64, f64),
    resembles: Option<String>,
}

fn labels(r: &Run) -> Vec<Lbl> {
    r.labels
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            Lbl {
                kind: v["kind"].as_str().unwrap().to_string(),
                start_ms: v["start_ms"].as_i64().unwrap(),
                end_ms: v["end_ms"].as_i64().unwrap(),
                ids: v["truth_ids"].as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect(),
                mmsi: v["mmsi"].as_u64().map(|m| m as u32),
                pos: (v["lat"].as_f64().unwrap(), v["lon"].as_f64().unwrap()),
                resembles: v["resembles"].as_str().map(str::to_string),
            }
        })
        .collect()
}

fn of_kind<'a>(ls: &'a [Lbl], kind: &str) -> Vec<&'a Lbl> {
    ls.iter().filter(|l| l.kind == kind).collect()
}

/// UNIX ms of `2026-06-01T00:12:30.000Z`.
fn parse_time(s: &str) -> i64 {
    let n = |a: usize, b: usize| s[a..b].parse::<i64>().unwrap();
    let (y, m, d) = (n(0, 4), n(5, 7), n(8, 10));
    let (hh, mm, ss, ms) = (n(11, 13), n(14, 16), n(17, 19), n(20, 23));
    // Days from civil (H. Hinnant).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    ((days * 86_400 + hh * 3600 + mm * 60 + ss) * 1000) + ms
}

#[derive(Debug, Clone, Copy)]
struct TruthRec {
    t_ms: i64,
    lat: f64,
    lon: f64,
    sog: f64,
}

/// Truth samples per truth id, in time order; plus lengths.
fn truth(r: &Run) -> (BTreeMap<String, Vec<TruthRec>>, BTreeMap<String, f64>) {
    let mut out: BTreeMap<String, Vec<TruthRec>> = BTreeMap::new();
    let mut len = BTreeMap::new();
    for l in r.truth.lines() {
        let v: Value = serde_json::from_str(l).unwrap();
        let id = v["truth_id"].as_str().unwrap().to_string();
        len.entry(id.clone()).or_insert(v["length_m"].as_f64().unwrap());
        out.entry(id).or_default().push(TruthRec {
            t_ms: parse_time(v["time"].as_str().unwrap()),
            lat: v["lat"].as_f64().unwrap(),
            lon: v["lon"].as_f64().unwrap(),
            sog: v["sog_kn"].as_f64().unwrap(),
        });
    }
    (out, len)
}

/// AIS position reports per MMSI: (t s, lat, lon).
fn ais_positions(nmea: &str) -> BTreeMap<u32, Vec<(i64, f64, f64)>> {
    let mut dec = Decoder::new(DecoderConfig::default());
    let mut pos: BTreeMap<u32, Vec<(i64, f64, f64)>> = BTreeMap::new();
    for line in nmea.split_terminator('\n') {
        dec.feed_line(line.as_bytes(), 0, &mut |d| {
            if let decode::AisMessage::Position(p) = &d.msg {
                let t = d.received_at_ms.expect("c: time") / 1000;
                pos.entry(p.mmsi).or_default().push((t, p.lat_deg().expect("lat"), p.lon_deg().expect("lon")));
            }
        });
    }
    pos
}

fn on_land(region: RegionId, p: (f64, f64)) -> bool {
    common::on_land(region, p.0, p.1).is_some()
}

/// Distance to the nearest harbour berth of the area, nm.
fn port_nm(region: RegionId, p: (f64, f64)) -> f64 {
    region.region().ports.iter().map(|b| dist(p, (b.lat, b.lon)) / NM).fold(f64::INFINITY, f64::min)
}

/// The area's pilot station berth (where boardings end).
fn pilot_berth(region: RegionId) -> (f64, f64) {
    let b = region.region().incidents.pilot.berth;
    (b.lat, b.lon)
}

fn in_label(t_ms: i64, l: &Lbl) -> bool {
    t_ms >= l.start_ms && t_ms <= l.end_ms
}

// ---------------------------------------------------------------------------

#[test]
fn deterministic_and_seed_dependent() {
    let cfg = SimConfig { duration_s: 2400, ..SimConfig::default() };
    let an = AnomalyConfig::default();
    let a = run(&cfg, &an);
    let b = run(&cfg, &an);
    assert_eq!(a.nmea, b.nmea);
    assert_eq!(a.detections, b.detections);
    assert_eq!(a.truth, b.truth);
    assert_eq!(a.labels, b.labels);
    assert_eq!(a.summary, b.summary);
    let c = run(&SimConfig { seed: 2, ..cfg }, &an);
    let places = |r: &Run| -> BTreeSet<(String, i64, i64)> {
        labels(r)
            .iter()
            .filter(|l| l.kind != "NORMAL" && l.kind != "DARK_TARGET" && l.kind != "OVERCROWDED")
            .map(|l| (l.kind.clone(), (l.pos.0 * 100.0) as i64, (l.pos.1 * 100.0) as i64))
            .collect()
    };
    let (pa, pc) = (places(&a), places(&c));
    assert!(pa.len() >= 10, "{pa:?}");
    assert!(
        pa.intersection(&pc).count() == 0,
        "seed 2 repeats incident places: {:?}",
        pa.intersection(&pc).collect::<Vec<_>>()
    );
    // Start times differ too.
    let starts = |r: &Run| -> BTreeSet<i64> {
        labels(r)
            .iter()
            .filter(|l| l.kind == "AIS_GAP" || l.kind == "LOITERING" || l.kind == "RENDEZVOUS")
            .map(|l| l.start_ms)
            .collect()
    };
    assert_ne!(starts(&a), starts(&c));
}

#[test]
fn every_kind_is_labelled_at_sea_in_order() {
    for r in runs() {
        let ls = labels(r);
        for k in AnomalyKind::ALL {
            let n = of_kind(&ls, k.as_str()).len();
            assert!(n >= 2, "{} has {n} labels", k.as_str());
            assert_eq!(r.summary.labels.get(k.as_str()).copied().unwrap_or(0), n);
        }
        let normal = of_kind(&ls, "NORMAL");
        assert!(normal.len() >= 10, "{} negative labels", normal.len());
        assert!(normal.iter().all(|l| l.resembles.is_some()));
        let start = SimConfig::default().start_unix_ms;
        let end = start + 3_600_000;
        for w in ls.windows(2) {
            assert!(w[0].start_ms <= w[1].start_ms, "labels not sorted by start");
        }
        for l in &ls {
            assert!(l.start_ms <= l.end_ms, "{l:?}");
            assert!(l.start_ms >= start && l.end_ms <= end, "{l:?}");
            assert!(!on_land(r.region, l.pos), "label on land: {l:?}");
            assert!(!l.ids.is_empty());
        }
        // Alert incidents away from port (pilot boardings, by contrast, are near it).
        for k in ["AIS_GAP", "LOITERING", "RENDEZVOUS", "ROUTE_DEVIATION"] {
            for l in of_kind(&ls, k) {
                assert!(port_nm(r.region, l.pos) > 5.0, "{k} {:.1} nm from port", port_nm(r.region, l.pos));
            }
        }
        let pilots: Vec<_> = normal
            .iter()
            .filter(|l| l.resembles.as_deref() == Some("RENDEZVOUS") && l.ids.len() == 2)
            .filter(|l| dist(l.pos, pilot_berth(r.region)) < 6.0 * NM)
            .collect();
        assert!(pilots.len() >= 2, "pilot boardings near the pilot station: {}", pilots.len());
    }
}

#[test]
fn ais_gap_is_silent_while_neighbours_are_heard() {
    for r in runs() {
        let ls = labels(r);
        let pos = ais_positions(&r.nmea);
        let (tr, _) = truth(r);
        for l in of_kind(&ls, "AIS_GAP") {
            let mmsi = l.mmsi.unwrap();
            let reports = &pos[&mmsi];
            let (s, e) = (l.start_ms / 1000, l.end_ms / 1000);
            assert!(!reports.iter().any(|&(t, _, _)| t >= s && t < e), "{mmsi} heard during its gap");
            assert!(reports.iter().any(|&(t, _, _)| t < s && t >= s - 120), "{mmsi} not heard just before");
            assert!(reports.iter().any(|&(t, _, _)| t >= e && t <= e + 120), "{mmsi} not heard just after");
            // Others within 30 nm are heard during the gap.
            let neighbours: BTreeSet<u32> = pos
                .iter()
                .filter(|(&m, _)| m != mmsi)
                .filter(|(_, v)| v.iter().any(|&(t, la, lo)| t >= s && t < e && dist((la, lo), l.pos) < 30.0 * NM))
                .map(|(&m, _)| m)
                .collect();
            assert!(neighbours.len() >= 2, "{mmsi}: {} neighbours heard", neighbours.len());
            // The vessel moved while silent.
            let samples: Vec<_> = tr[&mmsi.to_string()].iter().filter(|x| in_label(x.t_ms, l)).collect();
            let (a, b) = (samples[0], samples[samples.len() - 1]);
            let moved = dist((a.lat, a.lon), (b.lat, b.lon)) / NM;
            assert!(moved > 2.0, "{mmsi} moved only {moved:.1} nm");
            assert!(samples.iter().all(|x| x.sog > 5.0));
            // Inside radar coverage of some site.
            assert!(r.region.region().radars.iter().any(|rs| dist(l.pos, (rs.lat, rs.lon)) < rs.range_nm * NM));
        }
    }
}

#[test]
fn rendezvous_participants_meet_slowly() {
    for r in runs() {
        let ls = labels(r);
        let (tr, _) = truth(r);
        for l in of_kind(&ls, "RENDEZVOUS") {
            assert_eq!(l.ids.len(), 2);
            let a: Vec<_> = tr[&l.ids[0]].iter().filter(|x| in_label(x.t_ms, l)).collect();
            let b: BTreeMap<i64, &TruthRec> =
                tr[&l.ids[1]].iter().filter(|x| in_label(x.t_ms, l)).map(|x| (x.t_ms, x)).collect();
            let expected = ((l.end_ms - l.start_ms) / 10_000) as usize;
            assert!(a.len() + 1 >= expected && expected >= 50, "{} samples of {expected}", a.len());
            for x in &a {
                let y = b[&x.t_ms];
                let d = dist((x.lat, x.lon), (y.lat, y.lon));
                assert!(d < 300.0, "{:?} {d:.0} m apart", l.ids);
                assert!(x.sog < 3.0 && y.sog < 3.0, "{:?} at {} / {} kn", l.ids, x.sog, y.sog);
            }
            assert!(port_nm(r.region, l.pos) > 8.0);
        }
    }
}

#[test]
fn loitering_is_slow_in_open_water() {
    for r in runs() {
        let ls = labels(r);
        let (tr, _) = truth(r);
        let area = r.region.region();
        let grounds: Vec<_> = area.grounds.iter().chain(area.work_areas).collect();
        for l in of_kind(&ls, "LOITERING") {
            let s: Vec<_> = tr[&l.ids[0]].iter().filter(|x| in_label(x.t_ms, l)).collect();
            assert!(s.len() as i64 >= (l.end_ms - l.start_ms) / 10_000 - 1);
            assert!(l.end_ms - l.start_ms >= 25 * 60_000);
            for x in &s {
                assert!(x.sog < 2.0, "{} at {} kn", l.ids[0], x.sog);
                let p = (x.lat, x.lon);
                assert!(port_nm(r.region, p) > 8.0);
                for a in &grounds {
                    assert!(dist(p, (a.centre.lat, a.centre.lon)) > a.radius_nm * NM, "on a ground");
                }
            }
        }
    }
}

#[test]
fn position_jump_implies_impossible_speed() {
    for r in runs() {
        let ls = labels(r);
        let pos = ais_positions(&r.nmea);
        for l in of_kind(&ls, "POSITION_JUMP") {
            let reports = &pos[&l.mmsi.unwrap()];
            let near: Vec<_> = reports
                .iter()
                .filter(|&&(t, _, _)| t * 1000 >= l.start_ms - 60_000 && t * 1000 <= l.end_ms + 60_000)
                .collect();
            let mut max_kn: f64 = 0.0;
            let mut max_sep: f64 = 0.0;
            for w in near.windows(2) {
                let d = dist((w[0].1, w[0].2), (w[1].1, w[1].2));
                let dt = ((w[1].0 - w[0].0).max(1)) as f64;
                max_kn = max_kn.max(d / dt / 0.514_444);
                max_sep = max_sep.max(d / NM);
            }
            assert!(max_kn > 100.0, "{:?}: max implied {max_kn:.0} kn", l.mmsi);
            assert!(max_sep > 15.0, "{:?}: max jump {max_sep:.1} nm", l.mmsi);
        }
    }
}

#[test]
fn overcrowded_counts_exceed_safe_capacity() {
    for r in runs() {
        let ls = labels(r);
        let (tr, len) = truth(r);
        let scripted: Vec<_> =
            of_kind(&ls, "OVERCROWDED").into_iter().filter(|l| l.ids[0].starts_with("x-overcrowded-")).collect();
        assert!(scripted.len() >= 2);
        for l in scripted {
            let id = &l.ids[0];
            let cap = lookout_track::pob::safe_capacity(lookout_core::VesselClass::RubberBoat, Some(len[id]))
                .expect("capacity");
            let boat = &tr[id];
            let mut counts = Vec::new();
            for d in r.detections.lines() {
                let v: Value = serde_json::from_str(d).unwrap();
                let Some(n) = v["persons_counted"].as_u64() else {
                    continue;
                };
                let t = parse_time(v["time"].as_str().unwrap());
                let i = boat.partition_point(|x| x.t_ms < t).min(boat.len() - 1);
                let b = boat[i];
                let p = (v["lat"].as_f64().unwrap(), v["lon"].as_f64().unwrap());
                if (b.t_ms - t).abs() <= 10_000 && dist(p, (b.lat, b.lon)) < 150.0 {
                    counts.push(n as u32);
                }
            }
            assert!(!counts.is_empty(), "{id}: no drone count");
            assert!(counts.iter().all(|&c| c > cap), "{id}: counts {counts:?} vs capacity {cap}");
            assert!(counts.iter().any(|&c| c >= 3 * cap), "{id}: counts {counts:?} vs capacity {cap}");
        }
    }
}

#[test]
fn normal_ais_is_unchanged_by_anomalies() {
    let cfg = SimConfig::default();
    let r = default_run();
    let mut rec = Vec::new();
    write_recording(&cfg, &mut rec).unwrap();
    let rec = String::from_utf8(rec).unwrap();
    let mut it = rec.lines().peekable();
    let mut extra = 0u64;
    for line in r.nmea.lines().filter(|l| !l.contains("$RATTM")) {
        if it.peek() == Some(&line) {
            it.next();
        } else {
            extra += 1;
        }
    }
    assert!(it.peek().is_none(), "normal AIS line missing: {:?}", it.peek());
    assert_eq!(extra, r.summary.extra_ais_sentences);
    assert_eq!(r.summary.scenario.ais.sentences as usize, rec.lines().count());
}

#[test]
fn scripted_vessels_report_at_itu_rates() {
    for r in runs() {
        let ls = labels(r);
        let pos = ais_positions(&r.nmea);
        for l in of_kind(&ls, "AIS_GAP").into_iter().chain(of_kind(&ls, "LOITERING")) {
            let t: Vec<i64> = pos[&l.mmsi.unwrap()].iter().map(|x| x.0).collect();
            let mut gaps: Vec<i64> = t.windows(2).map(|w| w[1] - w[0]).filter(|&d| d < 120).collect();
            gaps.sort();
            let median = gaps[gaps.len() / 2];
            // Class A, under way at ≤ 14 kn: every 10 s.
            assert!((9..=11).contains(&median), "{:?}: median interval {median} s", l.mmsi);
        }
    }
}

#[test]
fn lookalikes_resemble_alerts_but_are_normal() {
    for r in runs() {
        let ls = labels(r);
        let (tr, _) = truth(r);
        // Pilot boardings: close and slow, but within a few miles of the pilot station.
        let mut checked = 0;
        for l in of_kind(&ls, "NORMAL") {
            if l.ids.len() != 2 || dist(l.pos, pilot_berth(r.region)) > 6.0 * NM {
                continue;
            }
            let a: Vec<_> = tr[&l.ids[0]].iter().filter(|x| in_label(x.t_ms, l)).collect();
            let b: BTreeMap<i64, &TruthRec> =
                tr[&l.ids[1]].iter().filter(|x| in_label(x.t_ms, l)).map(|x| (x.t_ms, x)).collect();
            for x in &a {
                let y = b[&x.t_ms];
                assert!(dist((x.lat, x.lon), (y.lat, y.lon)) < 300.0);
                assert!(x.sog < 3.0 && y.sog < 3.0);
            }
            checked += 1;
        }
        assert!(checked >= 2);
        let kinds: BTreeSet<&str> = of_kind(&ls, "NORMAL").iter().filter_map(|l| l.resembles.as_deref()).collect();
        assert!(kinds.contains("LOITERING") && kinds.contains("RENDEZVOUS"), "{kinds:?}");
    }
}

#[test]
fn subset_of_kinds_and_noise() {
    let cfg = SimConfig { duration_s: 1800, ..SimConfig::default() };
    let an = AnomalyConfig { kinds: vec![AnomalyKind::AisGap], per_kind: 3, noise_scale: 2.0, lookalikes: false };
    let r = run(&cfg, &an);
    let ls = labels(&r);
    assert_eq!(ls.len(), 3);
    assert!(ls.iter().all(|l| l.kind == "AIS_GAP"));
    // AIS_GAP incidents are the same as in the full run (own random streams).
    let full = run(&cfg, &AnomalyConfig { per_kind: 3, ..AnomalyConfig::default() });
    let gaps: Vec<_> =
        of_kind(&labels(&full), "AIS_GAP").iter().map(|l| (l.start_ms, l.end_ms, l.pos)).collect::<Vec<_>>();
    let mine: Vec<_> = ls.iter().map(|l| (l.start_ms, l.end_ms, l.pos)).collect();
    assert_eq!(gaps, mine);
}
