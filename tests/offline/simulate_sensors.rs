//! Tests of the non-AIS part of `lookout simulate` (`write_scenario`): dark boats,
//! coastal radar `$RATTM`, drone detection events and ground truth, read back from
//! the written outputs only (TTM split by hand, JSON Lines with serde_json).

use std::collections::{BTreeMap, BTreeSet};

use geo::{Destination, Distance, Geodesic, Point};
use lookout_ais::decode::{Decoder, DecoderConfig};
use lookout_sim::radar::{detection_probability, RadarClass};
use lookout_sim::scenario::drone_patrols;
use lookout_sim::{write_recording, write_scenario, RadarSite, ScenarioSummary, SensorConfig, SimConfig, RADAR_SITES};
use serde_json::Value;

const NM: f64 = 1852.0;

struct Run {
    nmea: String,
    detections: String,
    truth: String,
    summary: ScenarioSummary,
}

fn run(cfg: &SimConfig, sensors: &SensorConfig) -> Run {
    let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
    let summary = write_scenario(cfg, sensors, &mut a, &mut b, &mut c).expect("scenario");
    Run {
        nmea: String::from_utf8(a).unwrap(),
        detections: String::from_utf8(b).unwrap(),
        truth: String::from_utf8(c).unwrap(),
        summary,
    }
}

fn cfg(duration_s: u32) -> SimConfig {
    SimConfig { duration_s, ..SimConfig::default() }
}

fn xor(s: &str) -> u8 {
    s.bytes().fold(0, |a, b| a ^ b)
}

fn dist(a: (f64, f64), b: (f64, f64)) -> f64 {
    Geodesic.distance(Point::new(a.1, a.0), Point::new(b.1, b.0))
}

/// Flat-earth distance, m (only to rank candidates; within ~0.5 % at these ranges).
fn flat(a: (f64, f64), b: (f64, f64)) -> f64 {
    let dn = (b.0 - a.0) * 111_132.0;
    let de = (b.1 - a.1) * 111_320.0 * a.0.to_radians().cos();
    dn.hypot(de)
}

/// The truth vessel nearest to `pos` and its geodesic distance.
fn nearest<'a>(cands: &[(&'a TruthRec, (f64, f64))], pos: (f64, f64)) -> (&'a TruthRec, (f64, f64), f64) {
    let (rec, tp) = cands.iter().min_by(|a, b| flat(a.1, pos).total_cmp(&flat(b.1, pos))).copied().expect("vessels");
    (rec, tp, dist(tp, pos))
}

// ---------------------------------------------------------------------------
// Ground truth, read back
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct TruthRec {
    id: String,
    kind: String,
    lat: f64,
    lon: f64,
    sog: f64,
    cog: f64,
    persons: Option<u64>,
    ais: bool,
    mmsi: Option<u64>,
}

/// Truth samples by time (ms).
struct Truth {
    by_time: BTreeMap<i64, Vec<TruthRec>>,
}

fn parse_time(s: &str) -> i64 {
    // 2026-06-01T00:12:30.000Z; all test recordings are on 2026-06-01.
    assert!(s.starts_with("2026-06-01T") && s.ends_with('Z'), "{s}");
    let h: i64 = s[11..13].parse().unwrap();
    let m: i64 = s[14..16].parse().unwrap();
    let sec: i64 = s[17..19].parse().unwrap();
    let ms: i64 = s[20..23].parse().unwrap();
    1_780_272_000_000 + ((h * 60 + m) * 60 + sec) * 1000 + ms
}

impl Truth {
    fn parse(text: &str) -> Truth {
        let mut by_time: BTreeMap<i64, Vec<TruthRec>> = BTreeMap::new();
        for line in text.lines() {
            let v: Value = serde_json::from_str(line).expect("truth json");
            let t = parse_time(v["time"].as_str().unwrap());
            by_time.entry(t).or_default().push(TruthRec {
                id: v["truth_id"].as_str().unwrap().to_string(),
                kind: v["kind"].as_str().unwrap().to_string(),
                lat: v["lat"].as_f64().unwrap(),
                lon: v["lon"].as_f64().unwrap(),
                sog: v["sog_kn"].as_f64().unwrap(),
                cog: v["cog_deg"].as_f64().unwrap(),
                persons: v["persons"].as_u64(),
                ais: v["ais"].as_bool().unwrap(),
                mmsi: v["mmsi"].as_u64(),
            });
        }
        Truth { by_time }
    }

    /// Every vessel dead-reckoned from the latest sample at or before `t`.
    fn at(&self, t: i64) -> Vec<(&TruthRec, (f64, f64))> {
        let (&t0, recs) = self.by_time.range(..=t).next_back().expect("sample before t");
        let dt = (t - t0) as f64 / 1000.0;
        recs.iter()
            .map(|r| {
                let d = r.sog * NM / 3600.0 * dt;
                let c = r.cog.to_radians();
                let lat = r.lat + d * c.cos() / 111_132.0;
                let lon = r.lon + d * c.sin() / (111_320.0 * r.lat.to_radians().cos());
                (r, (lat, lon))
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------
// TTM, read back
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Plot {
    station: String,
    t_ms: i64,
    number: u32,
    range_nm: f64,
    bearing: f64,
    tracked: bool,
    speed: Option<f64>,
    course: Option<f64>,
}

/// Checks framing (both checksums, tag block, 15 fields) and parses one TTM line.
fn parse_ttm(line: &str) -> Plot {
    let rest = line.strip_prefix('\\').expect("tag block");
    let (tag, sentence) = rest.split_once('\\').expect("tag block end");
    let (tag_body, tag_cs) = tag.split_once('*').expect("tag checksum");
    assert_eq!(u8::from_str_radix(tag_cs, 16).unwrap(), xor(tag_body), "{line}");
    let mut station = None;
    let mut t_ms = None;
    for f in tag_body.split(',') {
        if let Some(s) = f.strip_prefix("s:") {
            station = Some(s.to_string());
        } else if let Some(c) = f.strip_prefix("c:") {
            t_ms = Some(c.parse::<i64>().unwrap());
        }
    }
    let t_ms = t_ms.expect("c:");
    assert!(t_ms > 1_000_000_000_000, "c: must be in ms: {line}");
    let body = sentence.strip_prefix('$').expect("$");
    let (body, cs) = body.split_once('*').expect("checksum");
    assert_eq!(u8::from_str_radix(cs, 16).unwrap(), xor(body), "{line}");
    let f: Vec<&str> = body.split(',').collect();
    assert_eq!(f[0], "RATTM");
    assert_eq!(f.len(), 16, "15 fields: {line}");
    assert_eq!((f[4], f[7], f[10], f[15]), ("T", "T", "N", "A"), "{line}");
    let number: u32 = f[1].parse().unwrap();
    assert!((1..=999).contains(&number));
    let tracked = match f[12] {
        "T" => true,
        "Q" => false,
        s => panic!("status {s}"),
    };
    // hhmmss.ss agrees with c:.
    let sod = (t_ms / 10).rem_euclid(8_640_000);
    let want = format!("{:02}{:02}{:02}.{:02}", sod / 360_000, sod / 6000 % 60, sod / 100 % 60, sod % 100);
    assert_eq!(f[14], want, "{line}");
    let opt = |s: &str| (!s.is_empty()).then(|| s.parse::<f64>().unwrap());
    let (speed, course) = (opt(f[5]), opt(f[6]));
    assert_eq!(speed.is_some(), tracked, "course/speed only on tracked targets: {line}");
    assert_eq!(course.is_some(), tracked, "{line}");
    assert_eq!(opt(f[8]).is_some(), tracked, "{line}");
    assert_eq!(opt(f[9]).is_some(), tracked, "{line}");
    let bearing: f64 = f[3].parse().unwrap();
    assert!((0.0..360.0).contains(&bearing));
    Plot {
        station: station.expect("s:"),
        t_ms,
        number,
        range_nm: f[2].parse().unwrap(),
        bearing,
        tracked,
        speed,
        course,
    }
}

fn plots(nmea: &str) -> Vec<Plot> {
    nmea.lines().filter(|l| l.contains("$RATTM")).map(parse_ttm).collect()
}

fn plot_position(site: &RadarSite, p: &Plot) -> (f64, f64) {
    let q = Geodesic.destination(Point::new(site.lon, site.lat), p.bearing, p.range_nm * NM);
    (q.y(), q.x())
}

/// Radar error gate: `k` sigma of the combined range/cross-range error, m.
fn gate(site: &RadarSite, range_nm: f64, k: f64) -> f64 {
    let cross = range_nm * NM * site.bearing_sigma_deg.to_radians();
    k * site.range_sigma_m.hypot(cross) + 20.0
}

fn site(name: &str, sites: &[RadarSite]) -> RadarSite {
    *sites.iter().find(|s| s.name == name).expect("known site")
}

// ---------------------------------------------------------------------------
// Determinism and AIS invariance
// ---------------------------------------------------------------------------

#[test]
fn scenario_is_deterministic_and_leaves_ais_unchanged() {
    let c = cfg(600);
    let sensors = SensorConfig::default();
    let a = run(&c, &sensors);
    let b = run(&c, &sensors);
    assert_eq!(a.nmea, b.nmea);
    assert_eq!(a.detections, b.detections);
    assert_eq!(a.truth, b.truth);
    assert_eq!(a.summary, b.summary);
    assert!(a.summary.radar_sentences > 1000, "{:?}", a.summary);

    let mut ais = Vec::new();
    let ais_summary = write_recording(&c, &mut ais).unwrap();
    let ais = String::from_utf8(ais).unwrap();
    assert_eq!(a.summary.ais, ais_summary);
    // The AIS lines of a full scenario are exactly write_recording's.
    let ais_part: String = a.nmea.lines().filter(|l| !l.contains("$RATTM")).flat_map(|l| [l, "\n"]).collect();
    assert_eq!(ais_part, ais);
    // Without sensors the NMEA stream is write_recording's output.
    let none = SensorConfig { dark_boats: 0, radars: vec![], drones: 0, ..SensorConfig::default() };
    let n = run(&c, &none);
    assert_eq!(n.nmea, ais);
    assert!(n.detections.is_empty());
    assert_eq!(n.summary.radar_sentences, 0);

    // Another seed changes the sensors too.
    let other = run(&SimConfig { seed: 2, ..c.clone() }, &sensors);
    assert_ne!(other.nmea, a.nmea);
}

#[test]
fn nmea_stream_is_merged_in_time_order() {
    let r = run(&cfg(300), &SensorConfig::default());
    let mut last = 0i64;
    for line in r.nmea.lines() {
        let tag = line[1..].split('*').next().unwrap();
        let c: i64 = tag.split(',').find_map(|f| f.strip_prefix("c:")).unwrap().parse().unwrap();
        let ms = if c < 100_000_000_000 { c * 1000 } else { c };
        // An AIS line at c:<s> covers the whole second [s, s+1).
        let key = if c < 100_000_000_000 { ms } else { ms - ms % 1000 };
        assert!(key >= last, "out of order: {line}");
        last = key;
    }
}

// ---------------------------------------------------------------------------
// Radar
// ---------------------------------------------------------------------------

#[test]
fn radar_sentences_are_well_formed_and_scans_periodic() {
    let c = cfg(900);
    let r = run(&c, &SensorConfig::default());
    let ps = plots(&r.nmea);
    assert_eq!(ps.len() as u64, r.summary.radar_sentences);
    // The decoder hands them over with the tag-block time in ms and the station.
    let mut dec = Decoder::new(DecoderConfig::default());
    let mut seen = 0u64;
    let mut times = Vec::new();
    for line in r.nmea.lines().filter(|l| l.contains("$RATTM")) {
        dec.feed_line_with(line.as_bytes(), 0, &mut |_| {}, &mut |s| {
            assert_eq!(&s.formatter, b"TTM");
            times.push(s.received_at_ms.expect("time"));
            seen += 1;
        });
    }
    assert_eq!(seen, ps.len() as u64);
    for (p, t) in ps.iter().zip(&times) {
        assert_eq!(p.t_ms, *t, "decoder reads c: as ms");
    }
    for s in RADAR_SITES {
        let mut scan_times: Vec<i64> = ps.iter().filter(|p| p.station == s.name).map(|p| p.t_ms).collect();
        scan_times.dedup();
        assert!(scan_times.len() > 200, "{}: {} scans", s.name, scan_times.len());
        let rev = s.revisit_ms();
        for w in scan_times.windows(2) {
            let d = w[1] - w[0];
            assert!(d > 0 && d % rev == 0, "{}: scan gap {d} ms, revisit {rev}", s.name);
        }
        let exact = scan_times.windows(2).filter(|w| w[1] - w[0] == rev).count();
        assert!(exact as f64 >= 0.95 * (scan_times.len() - 1) as f64);
        let span = scan_times[scan_times.len() - 1] - scan_times[0];
        assert!(span > (c.duration_s as i64 * 1000) - 2 * rev);
        // Ranges within the instrumented range.
        assert!(ps.iter().filter(|p| p.station == s.name).all(|p| p.range_nm <= s.range_nm + 0.5));
    }
    // ARPA numbers: a tracked number stays on one target between consecutive scans.
    let mut last: BTreeMap<(String, u32), &Plot> = BTreeMap::new();
    let mut jumps = 0;
    let mut pairs = 0;
    for p in ps.iter().filter(|p| p.tracked) {
        let s = site(&p.station, RADAR_SITES);
        if let Some(prev) = last.get(&(p.station.clone(), p.number)) {
            if p.t_ms - prev.t_ms <= 30_000 {
                pairs += 1;
                let moved = dist(plot_position(&s, prev), plot_position(&s, p));
                let allowed =
                    2.0 * gate(&s, p.range_nm, 4.0) + 40.0 * (p.t_ms - prev.t_ms) as f64 / 3600.0 * NM / 1000.0;
                if moved > allowed {
                    jumps += 1;
                }
            }
        }
        last.insert((p.station.clone(), p.number), p);
    }
    assert!(pairs > 1000);
    assert!((jumps as f64) < 0.01 * pairs as f64, "{jumps} jumps of {pairs}");
}

#[test]
fn radar_plots_land_on_truth() {
    let c = cfg(900);
    let r = run(&c, &SensorConfig::default());
    let truth = Truth::parse(&r.truth);
    let ps = plots(&r.nmea);
    let mut ok = 0;
    let mut n = 0;
    let mut speed_err = Vec::new();
    for p in ps.iter().filter(|p| p.tracked) {
        let s = site(&p.station, RADAR_SITES);
        let pos = plot_position(&s, p);
        let (near, _, d) = nearest(&truth.at(p.t_ms), pos);
        n += 1;
        if d <= gate(&s, p.range_nm, 4.0) {
            ok += 1;
            if near.sog > 5.0 {
                speed_err.push((p.speed.unwrap() - near.sog).abs());
                assert!(p.course.is_some());
            }
        }
    }
    eprintln!("tracked plots {n}, within 4 sigma {ok}, {} speed errors", speed_err.len());
    assert!(n > 10_000, "{n} tracked plots");
    assert!(ok as f64 >= 0.95 * n as f64, "{ok} of {n} within 4 sigma");
    let mean_speed_err = speed_err.iter().sum::<f64>() / speed_err.len() as f64;
    assert!(mean_speed_err < 1.5, "ARPA speed error {mean_speed_err}");
}

#[test]
fn radar_detection_probability_falls_with_range_for_rubber_boats() {
    // A test radar in the middle of the dark boats' start area, no clutter.
    let test_site = RadarSite {
        name: "radar-test",
        lat: 35.20,
        lon: 12.40,
        range_nm: 40.0,
        revisit_s: 2.5,
        range_sigma_m: 30.0,
        bearing_sigma_deg: 0.5,
    };
    let c = cfg(1200);
    let sensors = SensorConfig {
        dark_boats: 60,
        radars: vec![test_site],
        drones: 0,
        clutter_per_scan: 0.0,
        ..SensorConfig::default()
    };
    let r = run(&c, &sensors);
    assert_eq!(r.summary.radar_clutter, 0);
    let truth = Truth::parse(&r.truth);
    let ps = plots(&r.nmea);
    let mut by_scan: BTreeMap<i64, Vec<(f64, f64, f64)>> = BTreeMap::new();
    for p in &ps {
        let pos = plot_position(&test_site, p);
        by_scan.entry(p.t_ms).or_default().push((pos.0, pos.1, p.range_nm));
    }
    let first = *by_scan.keys().next().unwrap();
    let last = *by_scan.keys().next_back().unwrap();
    // (opportunities, detections, sum of predicted Pd) for 0-6 nm and 17-23 nm.
    let mut near = (0u32, 0u32, 0.0f64);
    let mut far = (0u32, 0u32, 0.0f64);
    let mut t = first;
    while t <= last {
        let scan = by_scan.get(&t).cloned().unwrap_or_default();
        for (rec, tp) in truth.at(t) {
            if rec.kind != "rubber_boat" {
                continue;
            }
            let range_nm = flat((test_site.lat, test_site.lon), tp) / NM;
            if !(range_nm <= 6.5 || (16.5..=23.5).contains(&range_nm)) {
                continue;
            }
            let range_nm = dist((test_site.lat, test_site.lon), tp) / NM;
            let bucket = if range_nm <= 6.0 {
                &mut near
            } else if (17.0..=23.0).contains(&range_nm) {
                &mut far
            } else {
                continue;
            };
            bucket.0 += 1;
            bucket.2 += detection_probability(RadarClass::RubberBoat, range_nm, test_site.range_nm);
            let g = gate(&test_site, range_nm, 4.0);
            if scan.iter().any(|&(la, lo, _)| flat((la, lo), tp) <= g * 1.01 && dist((la, lo), tp) <= g) {
                bucket.1 += 1;
            }
        }
        t += test_site.revisit_ms();
    }
    let pd = |b: (u32, u32, f64)| (b.1 as f64 / b.0 as f64, b.2 / b.0 as f64);
    let (near_pd, near_want) = pd(near);
    let (far_pd, far_want) = pd(far);
    eprintln!(
        "Pd near {near_pd:.3} (model {near_want:.3}, n {}), far {far_pd:.3} (model {far_want:.3}, n {})",
        near.0, far.0
    );
    assert!(near.0 > 500 && far.0 > 500, "opportunities near {} far {}", near.0, far.0);
    assert!((near_pd - near_want).abs() < 0.06, "Pd near {near_pd} want {near_want}");
    assert!((far_pd - far_want).abs() < 0.06, "Pd far {far_pd} want {far_want}");
    assert!(near_pd > 0.72 && far_pd < 0.5, "near {near_pd} far {far_pd}");
}

#[test]
fn radar_clutter_rate_matches_config() {
    let c = cfg(900);
    let sensors = SensorConfig { clutter_per_scan: 4.0, drones: 0, ..SensorConfig::default() };
    let r = run(&c, &sensors);
    let s = &r.summary;
    let rate = s.radar_clutter as f64 / s.radar_scans as f64;
    assert!((rate - 4.0).abs() < 0.15, "clutter per scan {rate}");
    // From the file: plots no vessel explains, per scan.
    let truth = Truth::parse(&r.truth);
    let ps = plots(&r.nmea);
    let mut unexplained = 0u64;
    let mut scans = BTreeSet::new();
    let mut cache: BTreeMap<i64, Vec<(f64, f64)>> = BTreeMap::new();
    for p in &ps {
        scans.insert((p.station.clone(), p.t_ms));
        let site = site(&p.station, RADAR_SITES);
        let pos = plot_position(&site, p);
        let tr = cache.entry(p.t_ms).or_insert_with(|| truth.at(p.t_ms).into_iter().map(|x| x.1).collect());
        let g = gate(&site, p.range_nm, 4.0);
        if !tr.iter().any(|&tp| flat(tp, pos) <= g * 1.01 && dist(tp, pos) <= g) {
            unexplained += 1;
        }
    }
    let file_rate = unexplained as f64 / scans.len() as f64;
    eprintln!("clutter per scan: summary {rate:.3}, unexplained in file {file_rate:.3}");
    assert!((file_rate - 4.0).abs() < 0.6, "unexplained plots per scan {file_rate}");
}

// ---------------------------------------------------------------------------
// Drones
// ---------------------------------------------------------------------------

#[test]
fn drone_events_are_plausible_and_counts_undercount() {
    let c = cfg(2400);
    let sensors = SensorConfig { dark_boats: 30, radars: vec![], drones: 4, ..SensorConfig::default() };
    let r = run(&c, &sensors);
    let truth = Truth::parse(&r.truth);
    let patrols = drone_patrols(&c, &sensors);
    let mut n = 0;
    let mut counted = Vec::new(); // (confidence, count / persons)
    let mut class_ok = 0;
    let mut dark_looks = 0;
    for line in r.detections.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let obj = v.as_object().unwrap();
        for k in ["time", "sensor_id", "sensor_kind", "lat", "lon", "position_error_m", "detection_id", "image_ref"] {
            assert!(obj.contains_key(k), "{k} missing: {line}");
        }
        for (k, val) in obj {
            assert!(!val.is_null(), "unknown fields are omitted, not null: {k}");
        }
        assert_eq!(v["sensor_kind"], "DRONE");
        let t = parse_time(v["time"].as_str().unwrap());
        let sensor = v["sensor_id"].as_str().unwrap();
        let di: usize = sensor.strip_prefix("drone-").unwrap().parse::<usize>().unwrap() - 1;
        let id = v["detection_id"].as_str().unwrap();
        assert!(id.starts_with(&format!("{sensor}-")));
        assert_eq!(v["image_ref"].as_str().unwrap(), format!("sim://{sensor}/{}.jpg", &id[sensor.len() + 1..]));
        let err = v["position_error_m"].as_f64().unwrap();
        assert!((15.0..=50.0).contains(&err));
        let pos = (v["lat"].as_f64().unwrap(), v["lon"].as_f64().unwrap());
        let (rec, tp, d) = nearest(&truth.at(t), pos);
        assert!(d < 5.0 * err + 20.0, "event {d:.0} m from nearest vessel: {line}");
        // Only vessels within camera range of the drone.
        let drone = patrols[di].position_at(t);
        let range = dist((drone.lat, drone.lon), tp);
        assert!(range <= lookout_sim::drone::CAMERA_RANGE_M + 30.0, "seen at {range:.0} m");
        let class = v["vessel_class"].as_str();
        match rec.kind.as_str() {
            "cargo" | "tanker" | "ferry" | "hsc_ferry" => {
                assert!(v.get("persons_counted").is_none(), "merchant ships get no count");
            }
            "rubber_boat" | "wooden_boat" => {
                dark_looks += 1;
                if class == Some(if rec.kind == "rubber_boat" { "RUBBER_BOAT" } else { "WOODEN_BOAT" }) {
                    class_ok += 1;
                }
            }
            _ => {}
        }
        if let Some(count) = v["persons_counted"].as_u64() {
            let persons = rec.persons.expect("counts only for boats with persons in the truth");
            assert!(count <= persons, "count {count} > persons {persons}");
            let conf = v["count_confidence"].as_f64().expect("confidence with a count");
            assert!((0.0..=1.0).contains(&conf));
            counted.push((conf, count as f64 / persons as f64));
        }
        n += 1;
    }
    assert_eq!(n as u64, r.summary.drone_events);
    assert!(counted.len() >= 40, "{} counted looks of {n}", counted.len());
    assert!(class_ok as f64 >= 0.75 * dark_looks as f64, "{class_ok}/{dark_looks} right");
    assert!(class_ok < dark_looks, "some misclassification expected");
    // The mean ratio tracks the confidence: E[ratio] = 0.5 + 0.9 (conf - 0.4).
    let mean = |xs: &[(f64, f64)]| {
        let k = xs.len() as f64;
        (xs.iter().map(|x| x.1).sum::<f64>() / k, xs.iter().map(|x| 0.5 + 0.9 * (x.0 - 0.4)).sum::<f64>() / k)
    };
    let low: Vec<_> = counted.iter().copied().filter(|x| x.0 < 0.65).collect();
    let high: Vec<_> = counted.iter().copied().filter(|x| x.0 >= 0.65).collect();
    eprintln!(
        "drone events {n}, counted {}, class {class_ok}/{dark_looks}, low {} high {}",
        counted.len(),
        low.len(),
        high.len()
    );
    assert!(low.len() >= 10 && high.len() >= 10, "low {} high {}", low.len(), high.len());
    let (lo_ratio, lo_want) = mean(&low);
    let (hi_ratio, hi_want) = mean(&high);
    assert!((lo_ratio - lo_want).abs() < 0.07, "low-confidence ratio {lo_ratio} want {lo_want}");
    assert!((hi_ratio - hi_want).abs() < 0.07, "high-confidence ratio {hi_ratio} want {hi_want}");
    eprintln!("ratio low {lo_ratio:.3} (want {lo_want:.3}), high {hi_ratio:.3} (want {hi_want:.3})");
    assert!(hi_ratio > lo_ratio + 0.1);
}

// ---------------------------------------------------------------------------
// Dark boats and truth
// ---------------------------------------------------------------------------

#[test]
fn dark_boats_are_in_truth_but_never_in_ais() {
    let c = cfg(1200);
    let sensors = SensorConfig { dark_boats: 20, ..SensorConfig::default() };
    let r = run(&c, &sensors);
    assert_eq!(r.summary.dark_boats, 20);
    let truth = Truth::parse(&r.truth);
    // Every 10 s, every vessel.
    let times: Vec<i64> = truth.by_time.keys().copied().collect();
    assert_eq!(times.len(), 120);
    assert!(times.windows(2).all(|w| w[1] - w[0] == 10_000));
    let per_sample = truth.by_time.values().next().unwrap().len();
    assert!(truth.by_time.values().all(|v| v.len() == per_sample));
    assert_eq!(r.summary.truth_lines, (per_sample * times.len()) as u64);

    let first = truth.by_time.values().next().unwrap();
    let dark: Vec<&TruthRec> = first.iter().filter(|x| !x.ais).collect();
    assert_eq!(dark.len(), 20);
    let lampedusa = (35.50, 12.60);
    for d in &dark {
        assert!(d.id.starts_with("dark-") && d.mmsi.is_none());
        let p = d.persons.expect("persons on board");
        let range = dist(lampedusa, (d.lat, d.lon)) / NM;
        assert!((9.5..=40.5).contains(&range), "{} starts {range:.1} nm from Lampedusa", d.id);
        assert!(d.lat < lampedusa.0, "starts south of Lampedusa");
        match d.kind.as_str() {
            "rubber_boat" => assert!((60..=150).contains(&p)),
            "wooden_boat" => assert!((150..=500).contains(&p)),
            "metal_boat" => assert!((30..=45).contains(&p)),
            k => panic!("kind {k}"),
        }
    }
    assert!(first.iter().filter(|x| x.ais).all(|x| x.mmsi.is_some() && x.persons.is_none()));
    // Some are drifting slowly, the others under way.
    assert!(dark.iter().any(|d| d.sog < 2.0) && dark.iter().any(|d| d.sog > 4.5));

    // Decode the AIS stream: only AIS vessels' MMSIs, and no report on a dark boat.
    let ais_mmsis: BTreeSet<u64> = first.iter().filter_map(|x| x.mmsi).collect();
    let mut dec = Decoder::new(DecoderConfig::default());
    let mut reports = 0;
    for line in r.nmea.lines().filter(|l| l.contains("!AIVDM")) {
        dec.feed_line(line.as_bytes(), 0, &mut |d| {
            let Some(p) = d.msg.position() else { return };
            let mmsi = d.msg.mmsi() as u64;
            if mmsi < 100_000_000 {
                return; // base stations, AtoN
            }
            assert!(ais_mmsis.contains(&mmsi), "unknown MMSI {mmsi}");
            let (Some(lat), Some(lon)) = (p.lat_deg(), p.lon_deg()) else {
                return;
            };
            let t = d.received_at_ms.unwrap();
            for (rec, tp) in truth.at(t) {
                if !rec.ais && flat(tp, (lat, lon)) < 100.0 {
                    assert!(dist(tp, (lat, lon)) > 30.0, "AIS report {mmsi} on {}", rec.id);
                }
            }
            reports += 1;
        });
    }
    assert!(reports > 1000);
}
