//! Crash safety, tested the way an operations centre meets it: the real `lookout` binary,
//! killed with SIGKILL, started again on the same archive, asked over real gRPC.
//!
//! Data: the bundled scenario (`replay-data/central-med-scenario-1h.*`: simulator seed and
//! provenance in replay-data/README.md) played as fast as the service takes it, on the
//! recording's clock, with the bundled baseline and the demo's radar sites.
//!
//! 1. Run 1 plays the scenario; as soon as it has raised alerts, one is acknowledged (the
//!    reply comes only once the acknowledgement is on disk) and the process is killed at
//!    once, while the recording is still pouring in (a torn tail is likely).
//! 2. Run 2 (no file source: nothing new comes in) recovers from the archive: the
//!    acknowledgement is there, every alert acknowledged-before-the-kill is there, and
//!    recovery made every archived alert version again byte for byte. Then it is killed too.
//! 3. Run 3 recovers again and must list exactly what run 2 listed.

use crate::support::*;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use lookout_server::api::pb::{self, lookout_client::LookoutClient};
use tonic::transport::Channel;

/// The demo's radars and baseline, an archive in `dir`, and (run 1) the scenario as a file source.
fn config(dir: &Path, port: u16, with_source: bool) -> PathBuf {
    let demo = std::fs::read_to_string(repo("config/demo.toml")).unwrap();
    let radars = &demo[demo.find("[[radar]]").unwrap()..];
    let source = if with_source {
        format!(
            "[[source]]\nname = \"central-med\"\nkind = \"file\"\npaths = [{:?}, {:?}]\npace = 0.0\n",
            repo("replay-data/central-med-scenario-1h.nmea.gz"),
            repo("replay-data/central-med-scenario-1h.jsonl"),
        )
    } else {
        String::new()
    };
    let text = format!(
        "[service]\nlisten = \"127.0.0.1:{port}\"\nclock = \"recording\"\n\
         [baseline]\npath = {:?}\narea = \"strait-of-sicily\"\nlearn = false\n\
         [archive]\ndir = {:?}\nfsync_interval = \"50ms\"\n{source}{radars}",
        repo("replay-data/strait-of-sicily.baseline"),
        dir.join("archive"),
    );
    let path = dir.join(if with_source { "run1.toml" } else { "run2.toml" });
    std::fs::write(&path, text).unwrap();
    path
}

struct Service {
    process: Serve,
    client: LookoutClient<Channel>,
}

async fn start(config: &Path, port: u16, log: &Path) -> Service {
    let mut process = Serve::start(config, log);
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    process.wait_ready(120, "gRPC", || async move { tokio::net::TcpStream::connect(addr).await.is_ok() }).await;
    Service { process, client: client(addr).await }
}

impl Service {
    fn kill9(mut self) {
        // SIGKILL: no handler runs, nothing is flushed.
        self.process.kill9();
    }

    async fn alerts(&mut self) -> Vec<pb::Alert> {
        let req = pb::ListAlertsRequest { include_ended: true, ..Default::default() };
        let mut a = self.client.list_alerts(req).await.unwrap().into_inner().alerts;
        a.sort_by_key(|a| a.alert_id);
        a
    }

    async fn archive_stats(&mut self) -> pb::ArchiveStats {
        self.client.stats(pb::StatsRequest {}).await.unwrap().into_inner().archive.expect("archive stats")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();

    // Run 1: play, acknowledge, kill while input is still arriving.
    let mut run1 = start(&config(dir.path(), port, true), port, &dir.path().join("run1.log")).await;
    let deadline = Instant::now() + Duration::from_secs(300);
    let target = loop {
        let open: Vec<pb::Alert> = run1.alerts().await.into_iter().filter(|a| a.closed_at.is_none()).collect();
        if let Some(a) = open.first() {
            break a.clone();
        }
        assert!(Instant::now() < deadline, "no alert within 300 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // Every version listed now was archived before the acknowledgement is: once the
    // acknowledgement's reply says it is durable, so are they. (Versions made after it,
    // while input still pours in, may be lost with the kill: nobody was told "stored".)
    let before = run1.alerts().await;
    let acked = run1
        .client
        .acknowledge_alert(pb::AcknowledgeAlertRequest {
            alert_id: target.alert_id,
            by: "duty-officer".into(),
            note: "launch dispatched".into(),
            close: false,
        })
        .await
        .expect("acknowledge")
        .into_inner();
    run1.kill9();

    // Run 2: recover.
    let cfg2 = config(dir.path(), port, false);
    let mut run2 = start(&cfg2, port, &dir.path().join("run2.log")).await;
    let stats = run2.archive_stats().await;
    let log2 = std::fs::read_to_string(dir.path().join("run2.log")).unwrap();
    assert_eq!(stats.health, "ok", "{stats:?}");
    assert!(stats.recovered_batches > 0 && stats.recovered_observations > 0, "{stats:?}");
    assert_eq!(stats.recovered_acks, 1, "{stats:?}");
    assert_eq!(stats.recovered_unreadable, 0, "{stats:?}\n{log2}");
    assert_eq!(stats.recovered_alert_versions_differing, 0, "recovery must remake every alert version: {stats:?}");
    let after = run2.alerts().await;
    eprintln!(
        "run 1 listed {} alerts before the acknowledgement; run 2 recovered {} ({stats:?}); repaired at open: {}",
        before.len(),
        after.len(),
        log2.contains("archive repaired at open")
    );
    let got = after.iter().find(|a| a.alert_id == acked.alert_id).expect("the acknowledged alert survives");
    let ack = got.acknowledged.as_ref().expect("still acknowledged");
    assert_eq!((ack.by.as_str(), ack.note.as_str()), ("duty-officer", "launch dispatched"));
    assert!(got.version >= acked.version);
    // Every alert listed before the acknowledgement comes back, at least as far as it was.
    for b in &before {
        let a = after.iter().find(|a| a.alert_id == b.alert_id).unwrap_or_else(|| panic!("alert {} lost", b.alert_id));
        assert_eq!(a.kind, b.kind);
        assert!(a.version >= b.version, "alert {} went back from v{} to v{}", b.alert_id, b.version, a.version);
        if a.version == b.version {
            assert_eq!(a, b, "alert {} v{} differs after recovery", b.alert_id, b.version);
        }
    }
    // The picture came back too, and the archive answers an analyst's questions.
    let st = run2.client.stats(pb::StatsRequest {}).await.unwrap().into_inner();
    assert!(st.live_vessels > 0, "the recovered picture is empty: {st:?}");
    let near = run2
        .client
        .vessels_near(pb::VesselsNearRequest {
            lat_deg: 35.5,
            lon_deg: 12.6,
            radius_m: 400_000.0,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mmsi = near
        .vessels
        .iter()
        .filter_map(|v| v.vessel.as_ref())
        .map(|v| v.mmsi)
        .find(|m| *m != 0)
        .expect("an AIS vessel in the recovered picture");
    let ts = |s: i64| prost_types::Timestamp { seconds: s, nanos: 0 };
    let hist = run2
        .client
        .vessel_history(pb::VesselHistoryRequest { mmsi, from: Some(ts(0)), to: Some(ts(30 * 86_400)), max_results: 0 })
        .await;
    // 1970 + 30 days holds nothing; a real window is asked next.
    assert!(hist.unwrap().into_inner().points.is_empty());
    let now_s = before.iter().filter_map(|a| a.updated_at.as_ref()).map(|t| t.seconds).max().unwrap();
    let hist = run2
        .client
        .vessel_history(pb::VesselHistoryRequest {
            mmsi,
            from: Some(ts(now_s - 86_400)),
            to: Some(ts(now_s + 86_400)),
            max_results: 0,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!hist.points.is_empty(), "no history for MMSI {mmsi}");
    let times: Vec<i64> = hist.points.iter().map(|p| p.time.as_ref().unwrap().seconds).collect();
    // Every vessel's history, to compare with the index rebuilt in run 3.
    let history_of = |mmsi: u32| pb::VesselHistoryRequest {
        mmsi,
        from: Some(ts(now_s - 86_400)),
        to: Some(ts(now_s + 86_400)),
        max_results: 0,
    };
    let mmsis: Vec<u32> =
        near.vessels.iter().filter_map(|v| v.vessel.as_ref()).map(|v| v.mmsi).filter(|m| *m != 0).collect();
    let mut histories = Vec::new();
    for &m in &mmsis {
        histories.push(run2.client.vessel_history(history_of(m)).await.unwrap().into_inner().points);
    }
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "history is not in time order");
    let too_long = run2
        .client
        .vessel_history(pb::VesselHistoryRequest { mmsi, from: Some(ts(0)), to: Some(ts(now_s)), max_results: 0 })
        .await
        .unwrap_err();
    assert_eq!(too_long.code(), tonic::Code::ResourceExhausted, "{too_long:?}");
    let versions = run2
        .client
        .alert_history(pb::AlertHistoryRequest { alert_id: acked.alert_id })
        .await
        .unwrap()
        .into_inner()
        .versions;
    assert!(
        versions.iter().any(|v| v.version == acked.version && v.record_json.contains("duty-officer")),
        "the acknowledged version is archived as evidence: {versions:?}"
    );
    run2.kill9();

    // Run 3: the same again, exactly, with the history index lost: it is rebuilt from the
    // segments, reading the recording's slices again with the service's radar sites (a
    // recording's radar lines count as observations only at a configured site).
    std::fs::remove_file(dir.path().join("archive").join("index.redb")).unwrap();
    let mut run3 = start(&cfg2, port, &dir.path().join("run3.log")).await;
    let again = run3.alerts().await;
    assert_eq!(again, after, "a second recovery must give the same alerts");
    let stats3 = run3.archive_stats().await;
    assert_eq!(stats3.recovered_alert_versions_differing, 0, "{stats3:?}");
    for (&m, had) in mmsis.iter().zip(&histories) {
        let rebuilt = run3.client.vessel_history(history_of(m)).await.unwrap().into_inner().points;
        assert_eq!(&rebuilt, had, "the rebuilt index gives MMSI {m} the history it had");
    }
    assert!(histories.iter().any(|h| !h.is_empty()), "no history for any of {} vessels", mmsis.len());
    run3.kill9();

    // The archive verifies end to end after two crashes.
    let out = Command::new(LOOKOUT).args(["archive", "verify"]).arg(dir.path().join("archive")).output().unwrap();
    assert!(
        out.status.success(),
        "archive verify failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(BufReader::new(report.as_bytes()).lines().any(|l| l.unwrap().contains("intact")), "{report}");
}

/// Issue 14: retention runs by itself. With AIS lines kept 2 s, segments sealed every
/// second and retention applied every second, the real service deletes old AIS segments
/// while it runs, records each purge in the archive first, and the archive still verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_purges_old_segments_on_its_own_and_says_so() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let (port, feed_port) = (free_port(), free_port());
    let cfg = dir.path().join("retention.toml");
    std::fs::write(
        &cfg,
        format!(
            "[service]\nlisten = \"127.0.0.1:{port}\"\n\
             [archive]\ndir = {:?}\nfsync_interval = \"20ms\"\nseal_every = \"1s\"\n\
             ais_retention = \"2s\"\npurge_every = \"1s\"\n\
             [[source]]\nname = \"harbour-rx\"\nkind = \"tcp_listener\"\nlisten = \"127.0.0.1:{feed_port}\"\n",
            dir.path().join("archive")
        ),
    )
    .unwrap();
    let mut svc = start(&cfg, port, &dir.path().join("retention.log")).await;
    // A legal hold on the first 1.5 s of traffic, through the CLI as an administrator
    // would place it: those segments must outlive their retention.
    let server = format!("http://127.0.0.1:{port}");
    let cli = |args: &[&str]| {
        let out = Command::new(LOOKOUT).args(["hold", "--server", &server]).args(args).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "lookout {args:?}: {text}{}", String::from_utf8_lossy(&out.stderr));
        text
    };
    let rfc3339 = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).unwrap().to_rfc3339();
    let t0 = wall_ms();
    let (from, to) = (rfc3339(t0), rfc3339(t0 + 1500));
    let placed = cli(&["place", "case-118", "--from", &from, "--to", &to, "--note", "court order 118/2026"]);
    assert!(placed.contains("case-118") && placed.contains("court order 118/2026"), "{placed}");
    // Real sentences: the first lines of the bundled recording.
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(repo("replay-data/central-med-scenario-1h.nmea.gz")).unwrap())
        .take(200_000)
        .read_to_string(&mut text)
        .unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("!AIVDM")).take(400).collect();
    let mut feed = std::net::TcpStream::connect(("127.0.0.1", feed_port)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut k = 0;
    let stats = loop {
        // A few lines every 100 ms, so each second's segment holds something.
        for _ in 0..4 {
            writeln!(feed, "{}\r", lines[k % lines.len()]).unwrap();
            k += 1;
        }
        let s = svc.archive_stats().await;
        if s.segments_purged >= 2 && s.segments_held >= 1 {
            break s;
        }
        assert!(Instant::now() < deadline, "no segment purged within 60 s: {s:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(stats.health, "ok", "{stats:?}");
    drop(feed);
    svc.kill9();
    // The hold is on record: it is in force after a restart, until it is released.
    let svc = start(&cfg, port, &dir.path().join("retention-2.log")).await;
    assert!(cli(&["list"]).contains("case-118"));
    cli(&["release", "case-118"]);
    assert!(cli(&["list"]).contains("no legal holds"));
    let out = Command::new(LOOKOUT).args(["hold", "--server", &server, "release", "case-118"]).output().unwrap();
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("case-118"));
    svc.kill9();
    let log = std::fs::read_to_string(dir.path().join("retention.log")).unwrap();
    assert!(log.contains("archive retention applied"), "the purge is logged:\n{log}");
    // Every purge is on record, and what is left verifies.
    let out = Command::new(LOOKOUT).args(["archive", "verify"]).arg(dir.path().join("archive")).output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "archive verify failed:\n{report}{}", String::from_utf8_lossy(&out.stderr));
    assert!(report.contains("purged by retention"), "verify names the purged segments:\n{report}");
}

/// Issue 16: `[score]` thresholds, `[alerts]` and `[[zone]]`s reload without a restart
/// (SIGHUP calls `Shared::reload`, as here), and the reload is archived among the
/// inputs, so recovery makes it again at the same point: every alert version comes back
/// byte for byte, whichever configuration the service is restarted with.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_of_thresholds_is_archived_and_recovery_makes_it_again() {
    use lookout_server::Config;
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    // Dark tracks are alerted after an hour, then (reloaded) at once.
    let text = |min_age_s: u32| {
        format!(
            "[service]\nlisten = \"127.0.0.1:0\"\n[archive]\ndir = {archive:?}\nfsync_interval = \"5ms\"\n\
             [score]\ndark_target_warmup = \"0s\"\ndark_target_min_age = \"{min_age_s}s\"\n\
             dark_target_slow_min_age = \"{min_age_s}s\"\n[alerts]\nraise_after = \"0s\"\nraise_after_findings = 1\n"
        )
    };
    let dark = |alerts: &[pb::Alert]| alerts.iter().filter(|a| a.kind == pb::AlertKind::DarkTarget as i32).count();
    let t0 = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64 - 40;
    // A boat at about 5 kn, one drone plot every 5 s.
    let look = |i: i64| plot(35.5, 12.5 + i as f64 * 0.00015, t0 + i * 5, 20.0);

    let running = lookout_server::start(Config::parse(&text(3600)).unwrap()).await.unwrap();
    let mut c = client(running.addr).await;
    let s = c.push_detections(tokio_stream::iter((0..6).map(look).collect::<Vec<_>>())).await.unwrap().into_inner();
    assert_eq!(s.accepted, 6, "{s:?}");
    wait_until(20, "a track", || {
        let mut c = c.clone();
        async move { c.stats(pb::StatsRequest {}).await.unwrap().into_inner().tracker_tracks > 0 }
    })
    .await;
    let listed = c.list_alerts(pb::ListAlertsRequest::default()).await.unwrap().into_inner().alerts;
    assert_eq!(dark(&listed), 0, "not before an hour: {listed:?}");

    assert!(running.shared.reload(&Config::parse(&text(0)).unwrap()).unwrap(), "the thresholds changed");
    assert!(!running.shared.reload(&Config::parse(&text(0)).unwrap()).unwrap(), "the same again changes nothing");
    c.push_detections(tokio_stream::iter(vec![look(6), look(7)])).await.unwrap();
    wait_until(20, "the dark target alerted under the reloaded threshold", || {
        let mut c = c.clone();
        async move { dark(&c.list_alerts(pb::ListAlertsRequest::default()).await.unwrap().into_inner().alerts) > 0 }
    })
    .await;
    let before = c.list_alerts(pb::ListAlertsRequest::default()).await.unwrap().into_inner().alerts;
    running.stop().await;

    // Restarted with the file as reloaded, then with the file as it first was: either
    // way the archive's records say which thresholds applied to which input.
    for (min_age_s, records) in [(0, 2), (3600, 2)] {
        let running = lookout_server::start(Config::parse(&text(min_age_s)).unwrap()).await.unwrap();
        let rec = running.shared.recovered.clone().expect("recovered");
        assert_eq!(rec.reconfigurations, records, "the start's and the reload's settings: {rec:?}");
        assert_eq!(rec.alert_versions_differing, 0, "every alert version made again byte for byte: {rec:?}");
        let mut c = client(running.addr).await;
        let after = c.list_alerts(pb::ListAlertsRequest::default()).await.unwrap().into_inner().alerts;
        assert_eq!(after, before, "the same alerts after a restart with dark_target_min_age_s = {min_age_s}");
        assert_eq!(
            running.shared.engine.read().score_config().dark_target_min_age_s,
            f64::from(min_age_s),
            "the file's settings are in force once recovered"
        );
        running.stop().await;
    }
}
