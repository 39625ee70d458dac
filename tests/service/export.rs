//! `lookout export` and `lookout export verify`, as an analyst and a court's expert meet
//! them: the real service plays the bundled scenario into a signed archive; exports are
//! made while it runs (it holds the archive's lock: an export must not need it); each
//! format parses and holds the vessels and alerts; `export verify` passes with the key and
//! names what fails after a byte of the file, a field of an alert or a hash of a proof is
//! changed.
//!
//! Data: the bundled hour played by a file source as fast as the service takes it
//! (positions in the archive as slices of the recording), then a test vessel's AIS lines
//! over TCP in two seal periods (positions in the archive as NMEA records: one batch in a
//! segment sealed by the next, one still in the open segment).

use crate::support::*;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use lookout_server::api::pb::{self, lookout_client::LookoutClient};
use serde_json::Value;
use tonic::transport::Channel;

/// The test vessel fed over TCP.
const TEST_MMSI: u32 = 999_000_001;

fn lookout(args: &[&str]) -> Output {
    Command::new(LOOKOUT).args(args).env("RUST_LOG", "warn").output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn config(dir: &Path, port: u16, feed: u16) -> PathBuf {
    let demo = std::fs::read_to_string(repo("config/demo.toml")).unwrap();
    let radars = &demo[demo.find("[[radar]]").unwrap()..];
    let text = format!(
        "[service]\nlisten = \"127.0.0.1:{port}\"\nclock = \"recording\"\n\
         [baseline]\npath = {:?}\narea = \"strait-of-sicily\"\nlearn = false\n\
         [archive]\ndir = {:?}\nfsync_interval = \"20ms\"\nseal_every = \"10m\"\ncheckpoint_every = \"1s\"\n\
         signing_key = {:?}\n\
         [[source]]\nname = \"central-med\"\nkind = \"file\"\npaths = [{:?}, {:?}]\npace = 0.0\n\
         [[source]]\nname = \"harbour\"\nkind = \"tcp_listener\"\nlisten = \"127.0.0.1:{feed}\"\n{radars}",
        repo("replay-data/strait-of-sicily.baseline"),
        dir.join("archive"),
        dir.join("archive.key"),
        repo("replay-data/central-med-scenario-1h.nmea.gz"),
        repo("replay-data/central-med-scenario-1h.jsonl"),
    );
    let path = dir.join("export.toml");
    std::fs::write(&path, text).unwrap();
    path
}

async fn source_lines(c: &mut LookoutClient<Channel>, name: &str) -> u64 {
    let st = c.stats(pb::StatsRequest {}).await.unwrap().into_inner();
    st.sources.iter().find(|s| s.name == name).map_or(0, |s| s.lines)
}

/// Waits until a source's line count has not moved for a second.
async fn settled(c: &mut LookoutClient<Channel>, name: &str, at_least: u64) {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut last = (0, Instant::now());
    loop {
        let n = source_lines(c, name).await;
        if n != last.0 {
            last = (n, Instant::now());
        } else if n >= at_least && last.1.elapsed() > Duration::from_secs(1) {
            return;
        }
        assert!(Instant::now() < deadline, "{name} read {n} lines, not {at_least}, within 120 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

struct Exported {
    file: PathBuf,
    manifest: Value,
}

/// Exports until the manifest says everything is covered by the checkpoint (one is
/// signed every second), as an analyst told "export again after the next checkpoint" would.
fn export(dir: &Path, format: &str, extra: &[&str], window: (&str, &str)) -> Exported {
    let file = dir.join(format!("out{}.{format}", extra.len()));
    let archive = dir.join("archive");
    let cfg = dir.join("export.toml");
    let mut args = vec![
        "export",
        "--archive",
        archive.to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
        "--from",
        window.0,
        "--to",
        window.1,
        "--format",
        format,
        "-o",
        file.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let o = lookout(&args);
        assert!(o.status.success(), "export failed: {}", text(&o));
        let manifest = json(&PathBuf::from(format!("{}.manifest.json", file.display())));
        let c = &manifest["counts"];
        let segs = manifest["segments"].as_array().unwrap();
        let covered = c["alert_versions"] == c["alert_versions_in_checkpoint"]
            && segs.iter().all(|s| s["status"] != "sealed" || s["seal_in_checkpoint"] == true);
        if covered {
            return Exported { file, manifest };
        }
        assert!(Instant::now() < deadline, "the checkpoint never covered the export: {}", text(&o));
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn verify(file: &Path, key: &Path) -> Output {
    lookout(&["export", "verify", file.to_str().unwrap(), "--key", key.to_str().unwrap()])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_of_a_live_archive_verify_and_each_alteration_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key_out =
        lookout(&["archive", "key", "--out", d.join("archive.key").to_str().unwrap(), "--name", "lookout.test/export"]);
    assert!(key_out.status.success(), "{}", text(&key_out));
    let pubkey = d.join("archive.pub");
    std::fs::write(&pubkey, &key_out.stdout).unwrap();

    let (port, feed) = (free_port(), free_port());
    let t0 = wall_ms();
    let mut svc = Serve::start(&config(d, port, feed), &d.join("serve.log"));
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    svc.wait_ready(120, "gRPC", || async move { tokio::net::TcpStream::connect(addr).await.is_ok() }).await;
    let mut c = client(addr).await;
    settled(&mut c, "central-med", 99_000).await;

    // The test vessel, a quarter of an hour after the recording's hour (shifted to start
    // when the service did), so in a seal period of its own: three positions, then two
    // more twenty minutes later, in a later period (which seals the first).
    let t = (t0 + 75 * 60_000) / 1000;
    let mut tcp = std::net::TcpStream::connect(("127.0.0.1", feed)).unwrap();
    let line = |s: i64, k: f64| {
        let p = lookout_sim::encode::PositionReport::under_way(TEST_MMSI, 35.6 + k * 0.01, 12.9, 9.5, 45.0);
        format!("{}{}\r\n", lookout_sim::encode::tag_block("harbour", s), p.sentence())
    };
    for (i, s) in [t, t + 60, t + 120].into_iter().enumerate() {
        tcp.write_all(line(s, i as f64).as_bytes()).unwrap();
    }
    settled(&mut c, "harbour", 3).await;
    for (i, s) in [t + 1200, t + 1260].into_iter().enumerate() {
        tcp.write_all(line(s, 3.0 + i as f64).as_bytes()).unwrap();
    }
    settled(&mut c, "harbour", 5).await;

    let (from, to) = (rfc3339(t0 - 3_600_000), rfc3339(t0 + 3 * 3_600_000));
    let window = (from.as_str(), to.as_str());

    // GeoJSON: every vessel, every alert version, while the service runs.
    let started = Instant::now();
    let g = export(d, "geojson", &[], window);
    eprintln!("geojson export took {:?} (with retries)", started.elapsed());
    let doc = json(&g.file);
    let features = doc["features"].as_array().unwrap();
    let tracks: Vec<&Value> = features.iter().filter(|f| f["properties"]["record"] == "track").collect();
    let alerts: Vec<&Value> = features.iter().filter(|f| f["properties"]["record"] == "alert").collect();
    assert!(tracks.len() > 100, "{} tracks", tracks.len());
    for t in &tracks {
        let p = &t["properties"];
        let n = p["positions"].as_u64().unwrap() as usize;
        let times = p["times"].as_array().unwrap();
        assert_eq!(times.len(), n);
        assert_eq!(p["archive_seq"].as_array().unwrap().len(), n);
        let parsed: Vec<i64> = times
            .iter()
            .map(|t| chrono::DateTime::parse_from_rfc3339(t.as_str().unwrap()).unwrap().timestamp_millis())
            .collect();
        assert!(parsed.windows(2).all(|w| w[0] <= w[1]), "times in order");
        let geom = &t["geometry"];
        let coords = if n == 1 { 1 } else { geom["coordinates"].as_array().unwrap().len() };
        assert_eq!((geom["type"] == "LineString") as usize + (geom["type"] == "Point") as usize, 1);
        assert_eq!(coords, n);
    }
    let ours = tracks.iter().find(|t| t["properties"]["mmsi"] == TEST_MMSI).expect("the TCP vessel is exported");
    assert_eq!(ours["properties"]["positions"], 5, "{ours}");

    // Every archived version of every alert the service holds is exported, as it was.
    let listed = c
        .list_alerts(pb::ListAlertsRequest { include_ended: true, ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .alerts;
    assert!(listed.len() >= 3, "{} alerts", listed.len());
    let mut archived = BTreeSet::new();
    for a in &listed {
        let h = c.alert_history(pb::AlertHistoryRequest { alert_id: a.alert_id }).await.unwrap().into_inner();
        archived.extend(h.versions.iter().map(|v| (a.alert_id, u64::from(v.version))));
    }
    let exported: BTreeSet<(u64, u64)> = alerts
        .iter()
        .map(|a| (a["properties"]["alert_id"].as_u64().unwrap(), a["properties"]["version"].as_u64().unwrap()))
        .collect();
    assert_eq!(exported, archived, "the export holds every archived alert version");
    assert!(alerts.iter().any(|a| a["properties"]["kind"] == "DARK_TARGET"));
    let rescue = alerts.iter().find(|a| a["properties"]["rescue"] == true).expect("a distress alert");
    assert!(rescue["properties"]["persons_on_board.estimate"].as_u64().unwrap() > 12, "{rescue}");

    // The manifest: the proofs' chain, the segments and what is not sealed yet.
    let m = &g.manifest;
    assert_eq!(m["checkpoint"]["origin"], "lookout.test/export");
    assert!(m["checkpoint"]["note"].as_str().unwrap().contains("\n\n\u{2014} lookout.test/export "));
    let sha =
        |p: &Path| lookout_archive::merkle::to_hex(&<sha2::Sha256 as sha2::Digest>::digest(std::fs::read(p).unwrap()));
    assert_eq!(m["output"]["sha256"], sha(&g.file));
    let archive_manifest = json(&d.join("archive/manifest.json"));
    let sealed: BTreeMap<(String, u64), String> = archive_manifest["sealed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            ((s["lane"].as_str().unwrap().into(), s["segment"].as_u64().unwrap()), s["sha256"].as_str().unwrap().into())
        })
        .collect();
    let segs = m["segments"].as_array().unwrap();
    let sealed_used: Vec<&Value> = segs.iter().filter(|s| s["status"] == "sealed").collect();
    assert!(sealed_used.len() >= 4, "{segs:?}");
    for s in &sealed_used {
        let k = (s["lane"].as_str().unwrap().to_string(), s["segment"].as_u64().unwrap());
        assert_eq!(s["sha256"].as_str(), sealed.get(&k).map(String::as_str), "{k:?}: the archive's own record of it");
        assert!(!s["seal"]["inclusion_proof"].as_array().unwrap().is_empty());
    }
    assert!(sealed_used.iter().any(|s| s["via_recordings"] == true), "file-source positions");
    assert!(
        sealed_used.iter().any(|s| s["via_recordings"] == false),
        "the TCP vessel's first batch, sealed by its second"
    );
    let open: Vec<&Value> = segs.iter().filter(|s| s["status"] == "not yet sealed").collect();
    assert_eq!(open.len(), 1, "the TCP vessel's second batch: {segs:?}");
    assert!(m["notes"].as_array().unwrap().iter().any(|n| n.as_str().unwrap().contains("not yet sealed")));
    let rec = &m["recordings"].as_array().unwrap()[0];
    assert_eq!(rec["sha256"], sha(Path::new(rec["path"].as_str().unwrap())));

    // KML and CSV hold the same.
    let k = export(d, "kml", &[], window);
    let kml = std::fs::read_to_string(&k.file).unwrap();
    assert_eq!(kml.matches("<gx:Track>").count(), tracks.len());
    assert_eq!(kml.matches("<value>alert</value>").count(), alerts.len());
    let positions: usize = tracks.iter().map(|t| t["properties"]["positions"].as_u64().unwrap() as usize).sum();
    assert_eq!(kml.matches("<gx:coord>").count(), positions);
    assert_eq!(kml.matches("<when>").count(), positions + alerts.len());
    let mut xml = quick_xml::Reader::from_str(&kml);
    while !matches!(xml.read_event().expect("well-formed KML"), quick_xml::events::Event::Eof) {}

    let cs = export(d, "csv", &[], window);
    let mut rows = csv::Reader::from_path(&cs.file).unwrap();
    let header: Vec<String> = rows.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header[..9], ["type", "mmsi", "time", "lat", "lon", "sog_kn", "cog_deg", "archive_seq", "alert_id"]);
    let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(rows.iter().filter(|r| &r[0] == "position").count(), positions);
    assert_eq!(rows.iter().filter(|r| &r[0] == "alert").count(), alerts.len());
    assert_eq!(rows.iter().filter(|r| &r[1] == TEST_MMSI.to_string().as_str()).count(), 5);

    // Each verifies, with the key, with no archive at hand: a copy elsewhere.
    let elsewhere = d.join("handed-over");
    std::fs::create_dir(&elsewhere).unwrap();
    for e in [&g, &k, &cs] {
        let name = e.file.file_name().unwrap().to_str().unwrap().to_string();
        std::fs::copy(&e.file, elsewhere.join(&name)).unwrap();
        std::fs::copy(format!("{}.manifest.json", e.file.display()), elsewhere.join(format!("{name}.manifest.json")))
            .unwrap();
        let o = verify(&elsewhere.join(&name), &pubkey);
        assert!(o.status.success(), "{name}: {}", text(&o));
        assert!(text(&o).contains("signature verified"), "{}", text(&o));
    }

    // One byte of the file flipped.
    let csv_copy = elsewhere.join(cs.file.file_name().unwrap());
    let mut b = std::fs::read(&csv_copy).unwrap();
    let i = b.len() / 3;
    b[i] = if b[i] == b'7' { b'8' } else { b'7' };
    std::fs::write(&csv_copy, &b).unwrap();
    let o = verify(&csv_copy, &pubkey);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("the file's SHA-256 is") && text(&o).contains("changed after export"), "{}", text(&o));

    // An alert's field altered, and the manifest's file hash made to match (a forger's
    // move): the archived record says otherwise, and verify names the alert and the field.
    let geo_copy = elsewhere.join(g.file.file_name().unwrap());
    let mut doc2 = json(&geo_copy);
    let f = doc2["features"].as_array_mut().unwrap().iter_mut().find(|f| f["properties"]["rescue"] == true).unwrap();
    let (id, version) = (f["properties"]["alert_id"].clone(), f["properties"]["version"].clone());
    f["properties"]["persons_on_board.estimate"] = Value::from(3);
    let altered = serde_json::to_vec(&doc2).unwrap();
    std::fs::write(&geo_copy, &altered).unwrap();
    let mpath = elsewhere.join(format!("{}.manifest.json", geo_copy.file_name().unwrap().to_str().unwrap()));
    let mut m2 = json(&mpath);
    m2["output"]["sha256"] = Value::from(sha(&geo_copy));
    m2["output"]["bytes"] = Value::from(altered.len());
    std::fs::write(&mpath, serde_json::to_vec_pretty(&m2).unwrap()).unwrap();
    let o = verify(&geo_copy, &pubkey);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let want = format!("alert {id} v{version}");
    assert!(
        text(&o).contains(&want) && text(&o).contains("persons_on_board.estimate is \"3\" in the file"),
        "{}",
        text(&o)
    );
    assert!(!text(&o).contains("SHA-256 is"), "{}", text(&o));

    // The same move on a track position: nothing without the archive can tell (the file's
    // hash is the manifest's, and positions carry no proof of their own), so the check
    // against the archive reads each position again from the record it names.
    let with_archive = |file: &Path| {
        let archive = d.join("archive");
        let cfg = d.join("export.toml");
        lookout(&[
            "export",
            "verify",
            file.to_str().unwrap(),
            "--key",
            pubkey.to_str().unwrap(),
            "--archive",
            archive.to_str().unwrap(),
            "--config",
            cfg.to_str().unwrap(),
        ])
    };
    for e in [&g, &k, &cs] {
        let o = with_archive(&e.file);
        assert!(o.status.success(), "{}", text(&o));
        assert!(text(&o).contains("positions read again from the archive's records"), "{}", text(&o));
        assert!(!text(&o).contains("can only be checked with the archive"), "{}", text(&o));
    }
    let forged = elsewhere.join("forged-position.geojson");
    let mut doc3 = json(&g.file);
    let t = doc3["features"].as_array_mut().unwrap().iter_mut().find(|f| f["properties"]["mmsi"] == TEST_MMSI).unwrap();
    let seq = t["properties"]["archive_seq"][1].clone();
    t["geometry"]["coordinates"][1][1] = Value::from(35.0);
    let bytes3 = serde_json::to_vec(&doc3).unwrap();
    std::fs::write(&forged, &bytes3).unwrap();
    let mut m4 = g.manifest.clone();
    m4["output"]["sha256"] = Value::from(sha(&forged));
    m4["output"]["bytes"] = Value::from(bytes3.len());
    std::fs::write(elsewhere.join("forged-position.geojson.manifest.json"), serde_json::to_vec_pretty(&m4).unwrap())
        .unwrap();
    let o = verify(&forged, &pubkey);
    assert!(o.status.success(), "without the archive the forged position passes: {}", text(&o));
    assert!(text(&o).contains("can only be checked with the archive"), "and it says so: {}", text(&o));
    let o = with_archive(&forged);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("the file says MMSI {TEST_MMSI}"))
            && text(&o).contains(&format!("archive record {seq} holds MMSI {TEST_MMSI}")),
        "{}",
        text(&o)
    );

    // One hash of one proof altered (in the KML's manifest).
    let kml_copy = elsewhere.join(k.file.file_name().unwrap());
    let kpath = elsewhere.join(format!("{}.manifest.json", kml_copy.file_name().unwrap().to_str().unwrap()));
    let mut m3 = json(&kpath);
    let a = m3["alerts"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|a| !a["leaf"]["inclusion_proof"].as_array().unwrap().is_empty())
        .unwrap();
    let name = format!("alert {} v{}", a["alert_id"], a["version"]);
    let h = a["leaf"]["inclusion_proof"][0].as_str().unwrap().to_string();
    a["leaf"]["inclusion_proof"][0] = Value::from(format!("{}{}", if h.starts_with('0') { '1' } else { '0' }, &h[1..]));
    std::fs::write(&kpath, serde_json::to_vec_pretty(&m3).unwrap()).unwrap();
    let o = verify(&kml_copy, &pubkey);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains(&name) && text(&o).contains("does not lead to the checkpoint's root"), "{}", text(&o));

    // Another archive's key: the signature does not verify.
    let other =
        lookout(&["archive", "key", "--out", d.join("other.key").to_str().unwrap(), "--name", "lookout.test/export"]);
    std::fs::write(d.join("other.pub"), &other.stdout).unwrap();
    let o = verify(&g.file, &d.join("other.pub"));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("signature does not verify"), "{}", text(&o));

    // Selections: one vessel; a box (every track enters it, every alert is in it).
    let one = export(d, "geojson", &["--mmsi", "999000001"], window);
    let doc = json(&one.file);
    let f = doc["features"].as_array().unwrap();
    assert_eq!(f.len(), 1, "one track, no alert is about it");
    let bbox = (35.0, 12.3, 35.5, 12.8);
    let bb = format!("{},{},{},{}", bbox.0, bbox.1, bbox.2, bbox.3);
    let boxed = export(d, "geojson", &["--bbox", &bb], window);
    let doc = json(&boxed.file);
    let inside = |c: &Value| {
        let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        (bbox.0..=bbox.2).contains(&lat) && (bbox.1..=bbox.3).contains(&lon)
    };
    let mut n_alerts = 0;
    for f in doc["features"].as_array().unwrap() {
        let g = &f["geometry"];
        if f["properties"]["record"] == "alert" {
            n_alerts += 1;
            assert!(inside(&g["coordinates"]), "{f}");
        } else if g["type"] == "Point" {
            assert!(inside(&g["coordinates"]));
        } else {
            assert!(g["coordinates"].as_array().unwrap().iter().any(inside), "{f}");
        }
    }
    assert!(n_alerts > 0 && n_alerts < alerts.len(), "{n_alerts} of {}", alerts.len());
    assert!(verify(&boxed.file, &pubkey).status.success());

    // A window too long is refused with the limit named, before anything is read.
    let o = lookout(&[
        "export",
        "--archive",
        d.join("archive").to_str().unwrap(),
        "--from",
        "2026-01-01T00:00:00Z",
        "--to",
        "2026-02-01T00:00:00Z",
        "--format",
        "csv",
        "-o",
        d.join("never.csv").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("at most 7 days"), "{}", text(&o));
    assert!(!d.join("never.csv").exists());

    // The service went on undisturbed all along.
    svc.assert_running();
    let st = c.stats(pb::StatsRequest {}).await.unwrap().into_inner();
    assert_eq!(st.archive.unwrap().health, "ok");
    svc.kill9();
}

/// RFC 3339 of ms since the Unix epoch.
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
