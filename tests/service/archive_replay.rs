//! `Replay` and `AreaHistory` through the real server, to a real tonic client: the
//! replayed alert versions are the ones a live console was sent, the same window replays
//! to the same messages, the positions are every vessel's `VesselHistory` merged by time
//! (a brute-force answer from the per-vessel index, one call per vessel), areas select as
//! a point-in-area test over those says, pacing holds, and a replay whose client has gone
//! stops and gives back its slot.
//!
//! Data: the bundled hour (2026-06-01 00:00-01:00 Z: AIS, three radars, a drone, boats
//! without AIS) played by a file source at 400× on the recording's clock, times kept as
//! recorded, into an archive.

use crate::support::*;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use lookout_server::api::pb::{self, alert_event, lookout_client::LookoutClient, replay_event::Event};
use lookout_server::Config;
use tonic::transport::Channel;
use tonic::Code;

/// 2026-06-01T00:00:00Z, the recording's first second, ms.
const T0_MS: i64 = 1_780_272_000_000;

fn config(dir: &std::path::Path) -> Config {
    Config::parse(&config_text(dir, 400.0)).unwrap()
}

/// The service's configuration: the demo's radar sites and its baseline, an
/// archive in `dir`, and a file source playing the bundled hour at `pace`, times kept.
fn config_text(dir: &std::path::Path, pace: f64) -> String {
    let demo = std::fs::read_to_string(repo("config/demo.toml")).unwrap();
    let radars = &demo[demo.find("[[radar]]").unwrap()..];
    format!(
        "[service]\nlisten = \"127.0.0.1:0\"\nclock = \"recording\"\nheartbeat = \"1s\"\n\
         [baseline]\npath = {:?}\narea = \"strait-of-sicily\"\nlearn = false\n\
         [archive]\ndir = {:?}\nfsync_interval = \"20ms\"\n\
         [[source]]\nname = \"central-med\"\nkind = \"file\"\npaths = [{:?}, {:?}]\npace = {pace}\nshift_to_now = false\n\
         {radars}",
        repo("replay-data/strait-of-sicily.baseline"),
        dir.join("archive"),
        repo("replay-data/central-med-scenario-1h.nmea.gz"),
        repo("replay-data/central-med-scenario-1h.jsonl"),
    )
}

fn replay_request(from_ms: i64, to_ms: i64, area: Option<pb::Area>, speed: f64) -> pb::ReplayRequest {
    pb::ReplayRequest { from: Some(timestamp(from_ms)), to: Some(timestamp(to_ms)), area, speed }
}

async fn replay(c: &mut LookoutClient<Channel>, req: pb::ReplayRequest) -> Vec<pb::ReplayEvent> {
    let mut s = c.replay(req).await.unwrap().into_inner();
    let mut out = Vec::new();
    while let Some(e) = s.message().await.unwrap() {
        out.push(e);
    }
    out
}

fn ms(t: &Option<prost_types::Timestamp>) -> i64 {
    let t = t.as_ref().unwrap();
    t.seconds * 1000 + i64::from(t.nanos) / 1_000_000
}

/// A position as compared: (time, MMSI, lat, lon, archive seq).
type Pos = (i64, u32, u64, u64, u64);

fn pos(mmsi: u32, p: &pb::HistoryPoint) -> Pos {
    (ms(&p.time), mmsi, p.lat_deg.to_bits(), p.lon_deg.to_bits(), p.archive_seq)
}

fn positions(events: &[pb::ReplayEvent]) -> Vec<Pos> {
    events
        .iter()
        .filter_map(|e| match &e.event {
            Some(Event::Position(p)) => Some(pos(p.mmsi, p.point.as_ref().unwrap())),
            _ => None,
        })
        .collect()
}

fn alerts(events: &[pb::ReplayEvent]) -> BTreeMap<(u64, u32), pb::Alert> {
    events
        .iter()
        .filter_map(|e| match &e.event {
            Some(Event::Alert(a)) => a.alert.clone().map(|a| ((a.alert_id, a.version), a)),
            _ => None,
        })
        .collect()
}

/// The archived record rounds the score to 0.001 and positions to 1e-6°; the rest is
/// the live alert's, field for field.
fn assert_same_alert(live: &pb::Alert, replayed: &pb::Alert) {
    let what = format!("alert {} version {}", live.alert_id, live.version);
    assert!((live.score - replayed.score).abs() <= 0.0005 + 1e-12, "{what}: score");
    let near = |a: &Option<pb::LatLon>, b: &Option<pb::LatLon>| {
        let (a, b) = (a.as_ref().unwrap(), b.as_ref().unwrap());
        (a.lat_deg - b.lat_deg).abs() <= 5e-7 + 1e-12 && (a.lon_deg - b.lon_deg).abs() <= 5e-7 + 1e-12
    };
    assert!(near(&live.position, &replayed.position), "{what}: position");
    let mut l = live.clone();
    let mut r = replayed.clone();
    for a in [&mut l, &mut r] {
        a.score = 0.0;
        a.position = None;
        // Not archived: a pair's second track, the contact-lost error model's terms.
        a.track_ids.clear();
        if let Some(c) = a.contact_lost.as_mut() {
            assert!(c.datum.is_some(), "{what}: a lost contact carries its datum");
            c.dead_reckoning_error = Default::default();
            c.unmodelled_drift_kn = Default::default();
            c.safety_factor = Default::default();
        }
    }
    if let (Some(lc), Some(rc)) = (l.contact_lost.as_mut(), r.contact_lost.as_mut()) {
        assert!(near(&lc.last_position, &rc.last_position), "{what}: last position");
        let (ld, rd) = (lc.datum.take().unwrap(), rc.datum.take().unwrap());
        assert!(near(&ld.position, &rd.position), "{what}: datum");
        assert!((ld.radius_nm - rd.radius_nm).abs() <= 0.0005 + 1e-12, "{what}: datum radius");
        lc.last_position = None;
        rc.last_position = None;
    }
    assert_eq!(l, r, "{what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_window_is_what_the_live_service_sent_and_the_same_twice() {
    let dir = tempfile::tempdir().unwrap();
    let running = lookout_server::start(config(dir.path())).await.unwrap();
    let mut c = client(running.addr).await;
    // A live console from the start: every alert version it is sent, as sent.
    let mut live = c.subscribe_alerts(pb::SubscribeAlertsRequest::default()).await.unwrap().into_inner();
    let console = tokio::spawn(async move {
        let (mut seen, mut missed) = (BTreeMap::new(), 0);
        while let Ok(Some(e)) = live.message().await {
            match e.event {
                Some(alert_event::Event::Snapshot(a) | alert_event::Event::Change(a)) => {
                    seen.insert((a.alert_id, a.version), a);
                }
                Some(alert_event::Event::Missed(m)) => missed += m.changes_missed,
                _ => {}
            }
        }
        (seen, missed)
    });

    // Until the hour has been played, applied and every alert version archived and indexed.
    let mut last = None;
    for _ in 0..600 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let s = c.stats(pb::StatsRequest {}).await.unwrap().into_inner();
        let src = s.sources.iter().find(|s| s.name == "central-med").unwrap();
        if !src.connected && src.lines > 0 {
            // Not the archive's sequence: every call, this one too, appends an audit record.
            let now = (s.observations_applied, s.live_alerts, s.tracker_tracks);
            if last == Some(now) {
                break;
            }
            last = Some(now);
        }
    }
    let book = c
        .list_alerts(pb::ListAlertsRequest { include_ended: true, ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .alerts;
    assert!(book.len() >= 3, "{} alerts", book.len());
    for a in &book {
        let want = a.version;
        let id = a.alert_id;
        wait_until(10, "every version archived and indexed", || {
            let mut c = c.clone();
            async move {
                c.alert_history(pb::AlertHistoryRequest { alert_id: id })
                    .await
                    .is_ok_and(|h| h.into_inner().versions.iter().any(|v| v.version == want))
            }
        })
        .await;
    }

    // The hour and ten minutes either side, unpaced, twice.
    let (from, to) = (T0_MS - 600_000, T0_MS + 4_200_000);
    let started = Instant::now();
    let first = replay(&mut c, replay_request(from, to, None, 0.0)).await;
    let took = started.elapsed();
    let second = replay(&mut c, replay_request(from, to, None, 0.0)).await;
    assert_eq!(first, second, "the same window replays to the same messages");
    let n_pos = positions(&first).len();
    let replayed = alerts(&first);
    eprintln!("replayed {} positions and {} alert versions in {took:?}", n_pos, replayed.len());
    assert!(n_pos > 2_000, "{n_pos} positions");
    let times: Vec<i64> = first.iter().map(|e| ms(&e.time)).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "in time order");
    assert!(times.iter().all(|t| (from..=to).contains(t)));
    match &first.last().unwrap().event {
        Some(Event::End(end)) => {
            assert_eq!((end.positions as usize, end.alert_versions as usize), (n_pos, replayed.len()));
        }
        other => panic!("the replay ends with End, not {other:?}"),
    }

    // Brute force: every vessel's own history (VesselHistory, one call each) merged by time
    // is the replay's positions. The vessels: those replayed and those in the picture now.
    let mut mmsis: BTreeSet<u32> = positions(&first).iter().map(|p| p.1).collect();
    let world = pb::VesselsInAreaRequest {
        area: Some(pb::Area {
            shape: Some(pb::area::Shape::Bbox(pb::BoundingBox {
                min_lat_deg: -90.0,
                min_lon_deg: -180.0,
                max_lat_deg: 90.0,
                max_lon_deg: 180.0,
            })),
        }),
        ..Default::default()
    };
    let picture = c.vessels_in_area(world).await.unwrap().into_inner().vessels;
    mmsis.extend(picture.iter().map(|v| v.mmsi).filter(|m| *m != 0));
    let mut brute: Vec<Pos> = Vec::new();
    for &mmsi in &mmsis {
        let req = pb::VesselHistoryRequest {
            mmsi,
            from: Some(timestamp(from)),
            to: Some(timestamp(to)),
            max_results: 100_000,
        };
        let h = c.vessel_history(req).await.unwrap().into_inner();
        assert!(!h.truncated);
        brute.extend(h.points.iter().map(|p| pos(mmsi, p)));
    }
    brute.sort();
    assert_eq!(positions(&first), brute, "the replay's positions are every vessel's history, by time");

    // An area, as a box and as a polygon: the replay and AreaHistory give what a
    // point-in-area test over the brute-force positions and the alerts gives.
    let bbox = pb::Area {
        shape: Some(pb::area::Shape::Bbox(pb::BoundingBox {
            min_lat_deg: 35.0,
            min_lon_deg: 12.0,
            max_lat_deg: 35.8,
            max_lon_deg: 13.0,
        })),
    };
    let triangle = [(35.0, 12.0), (35.8, 12.5), (35.0, 13.0)];
    let polygon = pb::Area {
        shape: Some(pb::area::Shape::Polygon(pb::Polygon {
            vertices: triangle.iter().map(|&(lat_deg, lon_deg)| pb::LatLon { lat_deg, lon_deg }).collect(),
        })),
    };
    let shapes = [
        (bbox.clone(), lookout_picture::Area::bbox(35.0, 12.0, 35.8, 13.0).unwrap()),
        (
            polygon,
            lookout_picture::Area::polygon(
                &triangle.iter().map(|&(a, o)| lookout_core::LatLon::new(a, o)).collect::<Vec<_>>(),
            )
            .unwrap(),
        ),
    ];
    for (shape, test) in shapes {
        let inside = |lat: f64, lon: f64| test.contains(lookout_core::LatLon::new(lat, lon));
        let want: Vec<Pos> =
            brute.iter().copied().filter(|p| inside(f64::from_bits(p.2), f64::from_bits(p.3))).collect();
        assert!(want.len() > 100 && want.len() < brute.len(), "{} of {} inside", want.len(), brute.len());
        let events = replay(&mut c, replay_request(from, to, Some(shape.clone()), 0.0)).await;
        assert_eq!(positions(&events), want, "replay in {shape:?}");
        let want_alerts: BTreeSet<(u64, u32)> = replayed
            .iter()
            .filter(|(_, a)| a.position.as_ref().is_some_and(|p| inside(p.lat_deg, p.lon_deg)))
            .map(|(k, _)| *k)
            .collect();
        assert_eq!(alerts(&events).into_keys().collect::<BTreeSet<_>>(), want_alerts);
        let req = pb::AreaHistoryRequest {
            area: Some(shape.clone()),
            from: Some(timestamp(from)),
            to: Some(timestamp(to)),
            max_results: 100_000,
        };
        let h = c.area_history(req.clone()).await.unwrap().into_inner();
        assert!(!h.truncated);
        let mut got: Vec<Pos> =
            h.vessels.iter().flat_map(|v| v.points.iter().map(|p| pos(v.mmsi, p))).collect::<Vec<_>>();
        got.sort();
        assert_eq!(got, want, "AreaHistory in {shape:?}");
        // Cut short: the earliest positions, and the flag.
        let h = c.area_history(pb::AreaHistoryRequest { max_results: 50, ..req }).await.unwrap().into_inner();
        let mut got: Vec<Pos> = h.vessels.iter().flat_map(|v| v.points.iter().map(|p| pos(v.mmsi, p))).collect();
        got.sort();
        assert!(h.truncated);
        assert_eq!(got, want[..50]);
    }

    // Paced: five minutes at 300x take a second, and are the same messages.
    let (p_from, p_to) = (T0_MS + 1_200_000, T0_MS + 1_500_000);
    let started = Instant::now();
    let paced = replay(&mut c, replay_request(p_from, p_to, Some(bbox.clone()), 300.0)).await;
    let took = started.elapsed().as_secs_f64();
    let last_event = paced.iter().rev().find(|e| !matches!(e.event, Some(Event::End(_)))).map(|e| ms(&e.time)).unwrap();
    let due = (last_event - p_from) as f64 / 1000.0 / 300.0;
    eprintln!("paced replay: last message due at {due:.2} s, stream took {took:.2} s");
    assert!(took >= due - 0.05 && took < due + 5.0, "due {due} s, took {took} s");
    assert_eq!(paced, replay(&mut c, replay_request(p_from, p_to, Some(bbox), 0.0)).await);

    // A replay whose client goes away stops and gives back its place: the live console
    // holds one of this address's 64, 63 real-time replays the rest.
    let mut held = Vec::new();
    for _ in 0..63 {
        let mut s = c.replay(replay_request(T0_MS, T0_MS + 3_600_000, None, 1.0)).await.unwrap().into_inner();
        s.message().await.unwrap().unwrap();
        held.push(s);
    }
    let refused = c.replay(replay_request(T0_MS, T0_MS + 3_600_000, None, 1.0)).await.unwrap_err();
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    assert!(refused.message().contains("MAX_SUBSCRIPTIONS_PER_PEER"), "{refused:?}");
    drop(held);
    wait_until(10, "the replays' places given back", || {
        let mut c = c.clone();
        async move { c.replay(replay_request(T0_MS, T0_MS + 60_000, None, 0.0)).await.is_ok() }
    })
    .await;

    // Every alert version the live console was sent is replayed, equal to what it was sent;
    // and nothing else (the console was there from the start and missed nothing).
    running.stop().await;
    let (sent, missed) = console.await.unwrap();
    assert_eq!(missed, 0);
    assert_eq!(sent.keys().collect::<BTreeSet<_>>(), replayed.keys().collect::<BTreeSet<_>>());
    for (k, a) in &sent {
        assert_same_alert(a, &replayed[k]);
    }
    assert!(sent.values().any(|a| a.rescue), "a distress alert among them");
}

/// `lookout replay --archive`: the archive of a service that played the bundled hour, read
/// while the service still runs, replays to the alerts `lookout replay FILES` writes, byte
/// for byte, and no archived alert version is made again differently.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookout_replay_of_an_archive_writes_what_the_files_form_writes() {
    let dir = tempfile::tempdir().unwrap();
    let running = lookout_server::start(Config::parse(&config_text(dir.path(), 0.0)).unwrap()).await.unwrap();
    let mut c = client(running.addr).await;
    let mut last = None;
    for _ in 0..600 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let s = c.stats(pb::StatsRequest {}).await.unwrap().into_inner();
        let src = s.sources.iter().find(|s| s.name == "central-med").unwrap();
        if !src.connected && src.lines > 0 {
            let now = (s.observations_applied, s.live_alerts, s.tracker_tracks);
            if last == Some(now) {
                break;
            }
            last = Some(now);
        }
    }
    let lookout = |args: &[&str]| {
        let o = std::process::Command::new(LOOKOUT).args(args).current_dir(repo("")).output().unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        (o.status.code(), text)
    };
    let (a, b) = (dir.path().join("archive.jsonl"), dir.path().join("files.jsonl"));
    let archive = dir.path().join("archive");
    let started = Instant::now();
    let (code, text) = lookout(&[
        "replay",
        "--archive",
        archive.to_str().unwrap(),
        "--from",
        "2026-05-31T23:00:00Z",
        "--to",
        "2026-06-01T02:00:00Z",
        "--config",
        "config/demo.toml",
        "--alerts-out",
        a.to_str().unwrap(),
        "--progress",
    ]);
    eprintln!("lookout replay --archive took {:?}: {text}", started.elapsed());
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains(" 0 made again differently"), "{text}");
    // Asked for, progress is reported: reading the window, then replaying it.
    assert!(text.contains("replay: reading the archive") && text.contains("records read; replaying them"), "{text}");
    let (code, text) = lookout(&[
        "replay",
        "replay-data/central-med-scenario-1h.nmea.gz",
        "replay-data/central-med-scenario-1h.jsonl",
        "--config",
        "config/demo.toml",
        "--alerts-out",
        b.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{text}");
    let (from_archive, from_files) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert!(from_files.iter().filter(|&&b| b == b'\n').count() >= 3);
    assert!(
        from_archive == from_files,
        "archive:\n{}\nfiles:\n{}",
        String::from_utf8_lossy(&from_archive),
        String::from_utf8_lossy(&from_files)
    );
    // A window that ends before it starts is refused, exit status 2, naming the flags.
    let (code, text) = lookout(&[
        "replay",
        "--archive",
        archive.to_str().unwrap(),
        "--from",
        "2026-06-01T02:00:00Z",
        "--to",
        "2026-06-01T01:00:00Z",
        "--alerts-out",
        a.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("--to") && text.contains("--from"), "{text}");
    running.stop().await;
}

/// Over the wire: impossible requests are refused naming the field or the limit, before
/// anything else; without an archive there is nothing to replay (FAILED_PRECONDITION).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn impossible_replays_are_refused_and_nothing_is_replayed_without_an_archive() {
    let running = lookout_server::start(Config::parse("[service]\nlisten = \"127.0.0.1:0\"\n").unwrap()).await.unwrap();
    let mut c = client(running.addr).await;
    let refused = |r: Result<tonic::Response<tonic::Streaming<pb::ReplayEvent>>, tonic::Status>| r.unwrap_err();
    let e = refused(c.replay(replay_request(T0_MS, T0_MS - 1, None, 0.0)).await);
    assert!(e.code() == Code::InvalidArgument && e.message().contains("to"), "{e:?}");
    let e = refused(c.replay(replay_request(T0_MS, T0_MS + 60_000, None, -2.0)).await);
    assert!(e.code() == Code::InvalidArgument && e.message().contains("speed"), "{e:?}");
    let e = refused(c.replay(replay_request(T0_MS, T0_MS + 25 * 3_600_000, None, 0.0)).await);
    assert!(e.code() == Code::ResourceExhausted && e.message().contains("MAX_REPLAY_WINDOW"), "{e:?}");
    let e = refused(c.replay(replay_request(T0_MS, T0_MS + 60_000, None, 1.0)).await);
    assert!(e.code() == Code::FailedPrecondition && e.message().contains("[archive]"), "{e:?}");
    let req = pb::AreaHistoryRequest {
        area: None,
        from: Some(timestamp(T0_MS)),
        to: Some(timestamp(T0_MS + 60_000)),
        max_results: 0,
    };
    let e = c.area_history(req.clone()).await.unwrap_err();
    assert!(e.code() == Code::InvalidArgument && e.message().contains("area"), "{e:?}");
    let area = pb::Area {
        shape: Some(pb::area::Shape::Bbox(pb::BoundingBox {
            min_lat_deg: 35.0,
            min_lon_deg: 12.0,
            max_lat_deg: 36.0,
            max_lon_deg: 13.0,
        })),
    };
    let e = c.area_history(pb::AreaHistoryRequest { area: Some(area), ..req }).await.unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    // VesselHistory checks its window as the others do, before it asks for an archive.
    let history = |from_ms: i64, to_ms: i64| pb::VesselHistoryRequest {
        mmsi: 247_000_001,
        from: Some(timestamp(from_ms)),
        to: Some(timestamp(to_ms)),
        max_results: 0,
    };
    let e = c.vessel_history(history(T0_MS, T0_MS - 1)).await.unwrap_err();
    assert!(e.code() == Code::InvalidArgument && e.message().contains("to"), "{e:?}");
    let e = c.vessel_history(history(T0_MS, T0_MS + 40 * 86_400_000)).await.unwrap_err();
    assert!(e.code() == Code::ResourceExhausted && e.message().contains("MAX_HISTORY_WINDOW"), "{e:?}");
    let e = c.vessel_history(history(T0_MS, T0_MS + 60_000)).await.unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    running.stop().await;
}
