//! `lookout replay` on a labelled anomaly scenario from the simulator
//! (`write_anomaly_scenario`: each alert kind scripted into busy normal
//! traffic, with normal look-alikes), scored against its labels. Prints the
//! recall per kind and the false alerts; asserts determinism and what the
//! detectors already achieve.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use lookout::alert::{Alert, AlertKind};
use lookout::baseline::{observations_from_nmea, BaselineBuilder, GridSpec};
use lookout::config::Config;
use lookout::geodesy::{haversine_m, LatLon, M_PER_NM};
use lookout::simulate::{self, AnomalyConfig, SensorConfig, SimConfig};

#[derive(serde::Deserialize, Debug)]
struct Label {
    kind: String,
    start_ms: i64,
    end_ms: i64,
    mmsi: Option<u32>,
    lat: f64,
    lon: f64,
}

fn kind_name(k: AlertKind) -> String {
    serde_json::to_value(k).unwrap().as_str().unwrap().to_string()
}

/// An alert explains a label of its kind when it opened during the labelled
/// interval (or up to 15 min after) and lies within 10 nm of it or names its MMSI.
fn matches(a: &Alert, l: &Label) -> bool {
    kind_name(a.kind) == l.kind
        && a.opened_at_ms >= l.start_ms - 60_000
        && a.opened_at_ms <= l.end_ms + 15 * 60_000
        && (a.mmsi.is_some() && a.mmsi == l.mmsi
            || haversine_m(LatLon::new(a.lat, a.lon), LatLon::new(l.lat, l.lon)) < 10.0 * M_PER_NM)
}

#[test]
fn replay_is_deterministic_and_finds_the_scripted_incidents() {
    let dir = tempfile::tempdir().unwrap();
    let (nmea, det) = (dir.path().join("a.nmea"), dir.path().join("a.jsonl"));
    let cfg = SimConfig { seed: 1, duration_s: 90 * 60, ..Default::default() };
    let mut labels_buf = Vec::new();
    {
        let mut n = std::io::BufWriter::new(std::fs::File::create(&nmea).unwrap());
        let mut d = std::io::BufWriter::new(std::fs::File::create(&det).unwrap());
        simulate::write_anomaly_scenario(&cfg, &SensorConfig::default(), &AnomalyConfig::default(), &mut n, &mut d, std::io::sink(), &mut labels_buf)
            .unwrap();
        n.flush().unwrap();
        d.flush().unwrap();
    }
    let labels: Vec<Label> = labels_buf
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();

    // Baseline from three hours of ordinary traffic on another seed.
    let mut normal = Vec::new();
    simulate::write_recording(&SimConfig { seed: 2, duration_s: 3 * 3600, ..Default::default() }, &mut normal).unwrap();
    let mut b = BaselineBuilder::new(GridSpec::strait_of_sicily(2000.0));
    for o in observations_from_nmea(&normal[..]).unwrap() {
        b.add(&o);
    }
    let baseline = b.finish();

    let mut config = Config::parse("").unwrap();
    config.radars.extend(simulate::RADAR_SITES.iter().map(|r| r.radar_config()));
    let files: Vec<PathBuf> = vec![nmea, det];
    let run = || {
        let (alerts, _) = lookout::replay::replay_alerts(&files, &config, Some(&baseline)).unwrap();
        let bytes: Vec<u8> = alerts.iter().flat_map(|a| {
            let mut v = serde_json::to_vec(&a.record()).unwrap();
            v.push(b'\n');
            v
        }).collect();
        (alerts, bytes)
    };
    let (alerts, first) = run();
    let (_, second) = run();
    assert_eq!(first, second, "the same recording gives the same alerts, byte for byte");

    let mut table: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for l in labels.iter().filter(|l| l.kind != "NORMAL") {
        let e = table.entry(l.kind.clone()).or_default();
        e.0 += 1;
        if alerts.iter().any(|a| matches(a, l)) {
            e.1 += 1;
        }
    }
    let unexplained: Vec<&Alert> = alerts.iter().filter(|a| !labels.iter().any(|l| matches(a, l))).collect();
    for (k, (n, found)) in &table {
        println!("{k:16} recall {found}/{n}");
    }
    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    for a in &unexplained {
        *by_kind.entry(kind_name(a.kind)).or_default() += 1;
    }
    println!("alerts {} ; not explained by a label: {by_kind:?}", alerts.len());

    // Measured 2026-11-22 (seed 1): AIS_GAP 1/2, DARK_TARGET 7/9, LOITERING 2/2,
    // OVERCROWDED 5/5, POSITION_JUMP 1/2, RENDEZVOUS 0/2, ROUTE_DEVIATION 0/2,
    // 17 alerts no label explains. The alerting issue asks for 0.95 per kind;
    // only these already meet it, and must keep meeting it. Distress first.
    for kind in ["OVERCROWDED", "LOITERING"] {
        let (n, found) = table.get(kind).copied().unwrap_or_default();
        assert!(n > 0 && found == n, "{kind}: {found}/{n}");
    }
}
