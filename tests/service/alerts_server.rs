//! Alerts through the real server, to real tonic consoles over TCP.
//!
//! Data: the labelled anomaly scenario of `lookout simulate`
//! (`write_anomaly_scenario`, seed 1, 90 min: each alert kind scripted into
//! busy Strait of Sicily traffic, with three coastal radars and drones),
//! played by a file source on the recording's clock; the baseline is learnt
//! from two hours of the simulator's ordinary traffic on another seed and
//! loaded from a real file. The drone events of the flood test are written
//! here (a rubber boat with 70 people counted, south of Lampedusa).

use crate::support::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lookout_score::baseline::GridSpec;
use lookout_server::api::pb::{self, alert_event::Event};
use lookout_server::Config;
use lookout_sim::{self};
use tonic::Code;

/// Service config: radars of the simulator, the baseline file, and (if
/// given) a file source playing `files` at `pace` on the recording's clock.
fn config(baseline: Option<&Path>, files: &[PathBuf], pace: f64, clock: &str) -> Config {
    let mut text = format!("[service]\nlisten = \"127.0.0.1:0\"\nheartbeat = \"1s\"\nclock = \"{clock}\"\n");
    if let Some(b) = baseline {
        text +=
            &format!("[baseline]\npath = {:?}\narea = \"strait-of-sicily\"\nlearn = false\n", b.display().to_string());
    }
    if !files.is_empty() {
        let paths: Vec<String> = files.iter().map(|p| format!("{:?}", p.display().to_string())).collect();
        text += &format!(
            "[[source]]\nname = \"recording\"\nkind = \"file\"\npaths = [{}]\npace = {pace}\nshift_to_now = false\n",
            paths.join(", ")
        );
    }
    let mut c = Config::parse(&text).unwrap();
    c.radars.extend(lookout_sim::RADAR_SITES.iter().map(lookout::cli::radar_config));
    c
}

fn kind_name(k: i32) -> &'static str {
    pb::AlertKind::try_from(k).unwrap().as_str_name()
}

/// What a console knows: the latest version of each alert it was sent.
#[derive(Default)]
struct ConsoleView {
    alerts: BTreeMap<u64, pb::Alert>,
    kinds: BTreeSet<&'static str>,
    missed: u64,
    heartbeats: u32,
    last_seq: u64,
}

impl ConsoleView {
    fn apply(&mut self, e: pb::AlertEvent) {
        assert_eq!(e.seq, self.last_seq + 1, "per-subscription sequence numbers have no gaps");
        self.last_seq = e.seq;
        match e.event.unwrap() {
            Event::Snapshot(a) | Event::Change(a) => {
                self.kinds.insert(kind_name(a.kind));
                let newer = self.alerts.get(&a.alert_id).is_none_or(|old| old.version <= a.version);
                assert!(newer, "alert {} went back in version", a.alert_id);
                self.alerts.insert(a.alert_id, a);
            }
            Event::Missed(m) => self.missed += m.changes_missed,
            Event::Heartbeat(_) => self.heartbeats += 1,
            Event::SnapshotComplete(_) => {}
        }
    }
}

/// A console reading its stream in the background, into a view the test can look at.
fn spawn_console(
    mut stream: tonic::Streaming<pb::AlertEvent>,
) -> (Arc<Mutex<ConsoleView>>, tokio::task::JoinHandle<()>) {
    let view = Arc::new(Mutex::new(ConsoleView::default()));
    let v = view.clone();
    let task = tokio::spawn(async move {
        while let Ok(Some(e)) = stream.message().await {
            v.lock().unwrap().apply(e);
        }
    });
    (view, task)
}

/// Waits, up to 30 s, until `done` holds of the console's view (what it has read so far).
async fn until_console(view: &Mutex<ConsoleView>, what: &str, done: impl Fn(&ConsoleView) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !done(&view.lock().unwrap()) {
        assert!(tokio::time::Instant::now() < deadline, "the console never got {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_receives_every_alert_of_a_replayed_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let (files, baseline) = scenario(dir.path(), "a", 1, 90, 2);
    // Offline replay of the same files: what the service should raise.
    let offline_cfg = config(Some(&baseline), &[], 0.0, "recording");
    let b = lookout_score::baseline::Baseline::load_path(&baseline, None).unwrap();
    let (offline, _) =
        lookout_engine::replay_alerts(&files, &offline_cfg.radars, &offline_cfg.engine(), Some(&b)).unwrap();
    let offline_kinds: BTreeSet<&str> = offline
        .iter()
        .map(|a| serde_json::to_value(a.kind).unwrap().as_str().unwrap().to_string())
        .map(|k| pb::AlertKind::from_str_name(&format!("ALERT_KIND_{k}")).unwrap().as_str_name())
        .collect();

    // The recording plays 400x faster than real time (90 minutes in 13.5 s; the
    // service keeps up, and the alerts run on the recording's clock, so the pace
    // changes only how long the test takes): an alert needs a minute of
    // recording (0.15 s) to open, so the console is subscribed first.
    let running = lookout_server::start(config(Some(&baseline), &files, 400.0, "recording")).await.unwrap();
    let mut c = client(running.addr).await;
    let everything = c.subscribe_alerts(pb::SubscribeAlertsRequest::default()).await.unwrap().into_inner();
    // A rescue coordination centre wants distress only.
    let rescue_filter = pb::AlertFilter { rescue_only: true, ..Default::default() };
    let rescue =
        c.subscribe_alerts(pb::SubscribeAlertsRequest { filter: Some(rescue_filter) }).await.unwrap().into_inner();
    let (all_view, read_all) = spawn_console(everything);
    let (rescue_view, read_rescue) = spawn_console(rescue);

    // Until the recording has been played and the pipeline has drained.
    let mut last_applied = None;
    for _ in 0..1200 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let s = c.stats(pb::StatsRequest {}).await.unwrap().into_inner();
        let src = s.sources.iter().find(|s| s.name == "recording").unwrap();
        assert!(s.baseline_loaded);
        if !src.connected && src.lines > 0 {
            let applied = (s.live_vessels, s.tracker_tracks, s.live_alerts);
            if last_applied == Some(applied) {
                break;
            }
            last_applied = Some(applied);
        }
    }
    let listed =
        c.list_alerts(pb::ListAlertsRequest { include_ended: true, ..Default::default() }).await.unwrap().into_inner();
    assert!(listed.total > 0);
    // Until both consoles have read the book's last changes, then stop.
    until_console(&all_view, "the book's last version of every alert", |v| {
        listed.alerts.iter().all(|a| v.alerts.get(&a.alert_id).is_some_and(|seen| seen.version >= a.version))
    })
    .await;
    until_console(&rescue_view, "every distress alert", |v| {
        listed.alerts.iter().filter(|a| a.rescue).all(|a| v.alerts.contains_key(&a.alert_id))
    })
    .await;
    running.stop().await;
    read_all.await.unwrap();
    read_rescue.await.unwrap();
    let all = std::mem::take(&mut *all_view.lock().unwrap());
    let rescue = std::mem::take(&mut *rescue_view.lock().unwrap());

    println!("offline replay kinds {offline_kinds:?}");
    println!("console kinds {:?}, {} alerts, {} heartbeats", all.kinds, all.alerts.len(), all.heartbeats);
    assert_eq!(all.missed, 0, "a console that keeps up misses nothing");
    // Nothing lost: the console holds the final version of every alert the book holds.
    for a in &listed.alerts {
        let seen =
            all.alerts.get(&a.alert_id).unwrap_or_else(|| panic!("alert {} never reached the console", a.alert_id));
        assert_eq!(seen, a, "the console's last version of alert {} is the book's", a.alert_id);
    }
    // The live service raises what the offline replay raises.
    for k in &offline_kinds {
        assert!(all.kinds.contains(k), "{k} raised offline but not by the running service");
    }
    // Every kind the scenario scripts reaches a real console.
    for k in [
        "ALERT_KIND_DARK_TARGET",
        "ALERT_KIND_AIS_GAP",
        "ALERT_KIND_LOITERING",
        "ALERT_KIND_RENDEZVOUS",
        "ALERT_KIND_ROUTE_DEVIATION",
        "ALERT_KIND_POSITION_JUMP",
        "ALERT_KIND_OVERCROWDED",
    ] {
        assert!(all.kinds.contains(k), "{k} missing: {:?}", all.kinds);
    }
    // Explanations carry numbers; overcrowded alerts carry persons on board and go to rescue.
    for a in all.alerts.values() {
        assert!(a.explanation.chars().any(|c| c.is_ascii_digit()), "{}", a.explanation);
        assert!(a.opened_at.is_some() && a.position.is_some());
        if a.kind == pb::AlertKind::Overcrowded as i32 {
            assert!(a.rescue && a.persons_on_board.is_some(), "{a:?}");
        }
    }
    // The rescue console got every distress alert and nothing else.
    let distress: BTreeSet<u64> = all.alerts.values().filter(|a| a.rescue).map(|a| a.alert_id).collect();
    assert!(!distress.is_empty());
    assert_eq!(rescue.alerts.keys().copied().collect::<BTreeSet<_>>(), distress);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_console_is_told_what_it_missed_and_slows_nobody() {
    let running = lookout_server::start(config(None, &[], 0.0, "wall")).await.unwrap();
    let mut c = client(running.addr).await;
    // Two overcrowded boats far apart: distress alerts open at once.
    let looks = vec![drone_look(35.30, 12.50, "boat-a"), drone_look(35.10, 12.90, "boat-b")];
    let s = c.push_detections(tokio_stream::iter(looks)).await.unwrap().into_inner();
    assert_eq!(s.accepted, 2);
    let mut ids = Vec::new();
    for _ in 0..200 {
        let l = c.list_alerts(pb::ListAlertsRequest::default()).await.unwrap().into_inner();
        ids = l.alerts.iter().map(|a| a.alert_id).collect();
        if ids.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(ids.len(), 2, "two OVERCROWDED alerts");

    // A console that never reads, and one that does.
    let mut slow = c.subscribe_alerts(pb::SubscribeAlertsRequest::default()).await.unwrap().into_inner();
    let fast = c.subscribe_alerts(pb::SubscribeAlertsRequest::default()).await.unwrap().into_inner();
    let (fast_view, fast_reader) = spawn_console(fast);
    // A flood of acknowledgements with long notes: 8,000 changes of ~2 kB,
    // more than the fan-out (4,096), the console's queue (256) and the
    // HTTP/2 flow-control window of its connection hold together.
    let flood = 8000u32;
    let note = "n".repeat(1800);
    let mut acks = Vec::new();
    for k in 0..4 {
        let mut c = c.clone();
        let ids = ids.clone();
        let note = note.clone();
        acks.push(tokio::spawn(async move {
            for i in 0..flood / 4 {
                let id = ids[(i as usize + k) % 2];
                c.acknowledge_alert(pb::AcknowledgeAlertRequest {
                    alert_id: id,
                    by: format!("op-{k}"),
                    note: format!("ack {i} {note}"),
                    close: false,
                })
                .await
                .unwrap();
            }
        }));
    }
    for a in acks {
        a.await.unwrap();
    }
    // Meanwhile the service answered; and still does.
    let t = std::time::Instant::now();
    c.vessels_near(pb::VesselsNearRequest { lat_deg: 35.3, lon_deg: 12.5, radius_m: 20_000.0, ..Default::default() })
        .await
        .unwrap();
    assert!(t.elapsed() < Duration::from_secs(2));
    let book = c.list_alerts(pb::ListAlertsRequest::default()).await.unwrap().into_inner();
    let final_versions: BTreeMap<u64, u32> = book.alerts.iter().map(|a| (a.alert_id, a.version)).collect();

    // The slow console now reads: it was told it missed changes, and then
    // sent the current state of both alerts.
    let mut view = ConsoleView::default();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while view.alerts.iter().map(|(id, a)| (*id, a.version)).collect::<BTreeMap<_, _>>() != final_versions {
        let e =
            tokio::time::timeout_at(deadline, slow.message()).await.expect("slow console catches up").unwrap().unwrap();
        view.apply(e);
    }
    assert!(view.missed > 0, "the slow console is told it missed changes");
    // The metrics count it.
    let m = lookout_server::metrics::render(&running.shared).unwrap();
    let value = |name: &str| -> u64 {
        let line = m.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("{name} in\n{m}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    assert!(value("lookout_subscriber_lags_total{stream=\"alerts\"}") >= 1);
    // At least what this console was told: it may have lagged again past where it stopped reading.
    assert!(value("lookout_subscriber_missed_updates_total{stream=\"alerts\"}") >= view.missed);
    println!("slow console: missed {} changes, caught up at seq {}", view.missed, view.last_seq);

    until_console(&fast_view, "the final version of both alerts", |v| {
        v.alerts.iter().map(|(id, a)| (*id, a.version)).collect::<BTreeMap<_, _>>() == final_versions
    })
    .await;
    running.stop().await;
    fast_reader.await.unwrap();
    let fast = std::mem::take(&mut *fast_view.lock().unwrap());
    assert_eq!(fast.missed, 0, "the console that keeps up is not slowed or skipped");
    let fast_versions: BTreeMap<u64, u32> = fast.alerts.iter().map(|(id, a)| (*id, a.version)).collect();
    assert_eq!(fast_versions, final_versions);
    let last = &fast.alerts[&ids[0]];
    assert!(last.acknowledged.as_ref().is_some_and(|a| a.by.starts_with("op-")));
}

#[tokio::test]
async fn impossible_requests_are_refused_by_field() {
    let running = lookout_server::start(config(None, &[], 0.0, "wall")).await.unwrap();
    let mut c = client(running.addr).await;
    let bad = |f: pb::AlertFilter| pb::SubscribeAlertsRequest { filter: Some(f) };
    let cases = [
        (bad(pb::AlertFilter { kinds: vec![99], ..Default::default() }), "filter.kinds"),
        (bad(pb::AlertFilter { kinds: vec![0], ..Default::default() }), "filter.kinds"),
        (bad(pb::AlertFilter { min_severity: 42, ..Default::default() }), "filter.min_severity"),
        (
            bad(pb::AlertFilter {
                kinds: vec![pb::AlertKind::Loitering as i32],
                rescue_only: true,
                ..Default::default()
            }),
            "filter.rescue_only",
        ),
        (
            bad(pb::AlertFilter {
                area: Some(pb::Area {
                    shape: Some(pb::area::Shape::Bbox(pb::BoundingBox {
                        min_lat_deg: 10.0,
                        max_lat_deg: 95.0,
                        ..Default::default()
                    })),
                }),
                ..Default::default()
            }),
            "lat",
        ),
    ];
    for (req, field) in cases {
        let e = c.subscribe_alerts(req.clone()).await.err().unwrap_or_else(|| panic!("{req:?} accepted"));
        assert_eq!(e.code(), Code::InvalidArgument, "{req:?}");
        assert!(e.message().contains(field), "{field} not named in {:?}", e.message());
        let l = c.list_alerts(pb::ListAlertsRequest { filter: req.filter, ..Default::default() }).await.unwrap_err();
        assert_eq!(l.code(), Code::InvalidArgument);
    }
    let e = c.list_alerts(pb::ListAlertsRequest { max_results: 1_000_000, ..Default::default() }).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e.message().contains("max_results"));
    let e = c
        .acknowledge_alert(pb::AcknowledgeAlertRequest {
            alert_id: 12345,
            by: "op".into(),
            note: String::new(),
            close: false,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    let e = c
        .acknowledge_alert(pb::AcknowledgeAlertRequest {
            alert_id: 1,
            by: "  ".into(),
            note: String::new(),
            close: false,
        })
        .await
        .unwrap_err();
    assert_eq!((e.code(), e.message().contains("by")), (Code::InvalidArgument, true));
    let e = c
        .acknowledge_alert(pb::AcknowledgeAlertRequest {
            alert_id: 0,
            by: "op".into(),
            note: String::new(),
            close: false,
        })
        .await
        .unwrap_err();
    assert_eq!((e.code(), e.message().contains("alert_id")), (Code::InvalidArgument, true));
    // A valid subscription opens with an (empty) snapshot.
    let mut s = c.subscribe_alerts(pb::SubscribeAlertsRequest::default()).await.unwrap().into_inner();
    let first = s.message().await.unwrap().unwrap();
    assert!(matches!(first.event, Some(Event::SnapshotComplete(pb::AlertSnapshotComplete { alerts: 0 }))));
    running.stop().await;
}

#[tokio::test]
async fn a_wrong_baseline_stops_the_start_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    // Another area's baseline.
    let other = dir.path().join("other.baseline");
    let spec = GridSpec {
        name: "gulf-of-aden".into(),
        min_lat_deg: 11.0,
        min_lon_deg: 43.0,
        max_lat_deg: 13.0,
        max_lon_deg: 46.0,
        cell_m: 5000.0,
    };
    lookout_score::baseline::Baseline::empty(spec).unwrap().save_path(&other).unwrap();
    let e = lookout_server::start(config(Some(&other), &[], 0.0, "wall")).await.err().expect("refused");
    let msg = e.to_string();
    assert!(
        msg.contains("other.baseline") && msg.contains("gulf-of-aden") && msg.contains("strait-of-sicily"),
        "{msg}"
    );
    // A corrupt one (a valid file with one byte flipped), and one that is no baseline at all.
    let mut bytes = std::fs::read(&other).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    let corrupt = dir.path().join("corrupt.baseline");
    std::fs::write(&corrupt, &bytes).unwrap();
    let e = lookout_server::start(config(Some(&corrupt), &[], 0.0, "wall")).await.err().expect("refused");
    assert!(e.to_string().contains("corrupt.baseline"), "{e}");
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not a baseline").unwrap();
    let e = lookout_server::start(config(Some(&text), &[], 0.0, "wall")).await.err().expect("refused");
    assert!(e.to_string().contains("notes.txt"), "{e}");
    let e = lookout_server::start(config(Some(&dir.path().join("missing.baseline")), &[], 0.0, "wall"))
        .await
        .err()
        .expect("refused");
    assert!(e.to_string().contains("missing.baseline"), "{e}");
}

/// Issue 18: a boat that leaves sensor cover turns into CONTACT_LOST with a growing datum
/// instead of closing by silence; VesselsNear answers for that datum; a look inside the
/// datum resumes the same alert; and only an operator's close (with a note) ends it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_boat_keeps_its_alert_with_a_growing_datum_until_an_operator_closes_it() {
    let mut cfg = config(None, &[], 0.0, "wall");
    cfg.alerts.contact_lost_after_ms = 3_000;
    cfg.alerts.datum_update_every_ms = 2_000;
    let running = lookout_server::start(cfg).await.unwrap();
    let mut c = client(running.addr).await;
    let mut stream = c.subscribe_alerts(pb::SubscribeAlertsRequest::default()).await.unwrap().into_inner();
    c.push_detections(tokio_stream::iter(vec![drone_look(35.30, 12.50, "boat-a-1")])).await.unwrap();
    // Read the stream until `want` holds for the alert, returning that version.
    async fn until(
        stream: &mut tonic::Streaming<pb::AlertEvent>,
        what: &str,
        want: impl Fn(&pb::Alert) -> bool,
    ) -> pb::Alert {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let e = tokio::time::timeout_at(deadline, stream.message())
                .await
                .unwrap_or_else(|_| panic!("no alert version where {what} within 30 s"))
                .unwrap()
                .expect("stream open");
            if let Some(Event::Change(a)) = e.event {
                if want(&a) {
                    return a;
                }
            }
        }
    }
    let opened = until(&mut stream, "an OVERCROWDED alert opened", |a| a.rescue).await;
    let id = opened.alert_id;
    // No more looks: after 3 s of silence the alert loses contact; it does not close.
    let lost =
        until(&mut stream, "contact lost", |a| a.state == pb::AlertState::ContactLost as i32 && a.alert_id == id).await;
    let c0 = lost.contact_lost.clone().expect("a lost contact carries its datum");
    let last = c0.last_position.unwrap();
    assert!((last.lat_deg - 35.30).abs() < 0.01 && (last.lon_deg - 12.50).abs() < 0.01, "{last:?}");
    let r0 = c0.datum.as_ref().unwrap().radius_nm;
    assert!(r0 > 0.0, "{c0:?}");
    // The datum grows, in new versions, and the alert stays live.
    let grown = until(&mut stream, "a wider datum", |a| {
        a.alert_id == id && a.contact_lost.as_ref().and_then(|c| c.datum.as_ref()).is_some_and(|d| d.radius_nm > r0)
    })
    .await;
    assert_eq!(grown.state, pb::AlertState::ContactLost as i32);
    let live = c.list_alerts(pb::ListAlertsRequest::default()).await.unwrap().into_inner();
    assert!(live.alerts.iter().any(|a| a.alert_id == id), "CONTACT_LOST is live: {live:?}");

    // Who can reach the datum: VesselsNear centred on it, saying so.
    let near = c
        .vessels_near(pb::VesselsNearRequest { datum_of_alert_id: id, radius_m: 30.0 * 1852.0, ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    let d = near.datum.expect("the datum used");
    assert!(d.radius_nm >= r0);
    let both = c
        .vessels_near(pb::VesselsNearRequest {
            datum_of_alert_id: id,
            lat_deg: 35.0,
            lon_deg: 12.0,
            radius_m: 1852.0,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(both.code(), Code::InvalidArgument);
    assert!(both.message().contains("datum_of_alert_id"), "{}", both.message());
    let unknown = c
        .vessels_near(pb::VesselsNearRequest { datum_of_alert_id: 999_999, radius_m: 1852.0, ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);

    // Seen again inside the datum: the same alert resumes and says how.
    let p = d.position.unwrap();
    c.push_detections(tokio_stream::iter(vec![drone_look(p.lat_deg, p.lon_deg, "boat-a-2")])).await.unwrap();
    let back =
        until(&mut stream, "contact regained", |a| a.alert_id == id && a.state == pb::AlertState::Updated as i32).await;
    assert!(back.contact_lost.is_none());
    assert!(back.explanation.contains("contact regained"), "{}", back.explanation);

    // Lost again; closing needs a note, and then ends it.
    until(&mut stream, "contact lost again", |a| a.alert_id == id && a.state == pb::AlertState::ContactLost as i32)
        .await;
    let no_note = c
        .acknowledge_alert(pb::AcknowledgeAlertRequest {
            alert_id: id,
            by: "mrcc-rome".into(),
            note: " ".into(),
            close: true,
        })
        .await
        .unwrap_err();
    assert_eq!(no_note.code(), Code::InvalidArgument);
    assert!(no_note.message().contains("note"), "{}", no_note.message());
    let closed = c
        .acknowledge_alert(pb::AcknowledgeAlertRequest {
            alert_id: id,
            by: "mrcc-rome".into(),
            note: "search ended: boat found, 70 rescued".into(),
            close: true,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(closed.state, pb::AlertState::Closed as i32);
    assert_eq!(closed.acknowledged.unwrap().note, "search ended: boat found, 70 rescued");
    running.stop().await;
}

#[tokio::test]
async fn every_alert_change_is_journalled_with_who_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("alerts.journal.jsonl");
    let mut cfg = config(None, &[], 0.0, "wall");
    cfg.service.alert_journal = Some(journal.clone());
    let running = lookout_server::start(cfg).await.unwrap();
    let mut c = client(running.addr).await;
    c.push_detections(tokio_stream::iter(vec![drone_look(35.30, 12.50, "boat-a")])).await.unwrap();
    let mut id = None;
    for _ in 0..200 {
        let l = c.list_alerts(pb::ListAlertsRequest::default()).await.unwrap().into_inner();
        if let Some(a) = l.alerts.first() {
            id = Some(a.alert_id);
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let id = id.expect("an OVERCROWDED alert");
    c.acknowledge_alert(pb::AcknowledgeAlertRequest {
        alert_id: id,
        by: "mrcc-rome".into(),
        note: "patrol boat tasked".into(),
        close: false,
    })
    .await
    .unwrap();
    let mut lines: Vec<serde_json::Value> = Vec::new();
    for _ in 0..200 {
        let text = std::fs::read_to_string(&journal).unwrap_or_default();
        lines = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        if lines.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    running.stop().await;
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!((lines[0]["seq"].as_u64(), lines[0]["version"].as_u64()), (Some(1), Some(1)));
    assert_eq!(lines[0]["kind"], "OVERCROWDED");
    assert_eq!(lines[0]["state"], "OPEN");
    assert_eq!(lines[0]["rescue"], true);
    assert_eq!((lines[1]["seq"].as_u64(), lines[1]["version"].as_u64()), (Some(2), Some(2)));
    assert_eq!(lines[1]["acknowledged"]["by"], "mrcc-rome");
    assert_eq!(lines[1]["acknowledged"]["note"], "patrol boat tasked");
    assert!(lines[1]["written_at"].as_str().is_some_and(|t| t.ends_with('Z')));
}

/// Under the recording clock the archive stamps alert versions with the recording's time,
/// even when the feed's first batch gives none: here a lone first half of a two-part
/// message (an empty batch, stamped with the wall clock) comes before the first report.
/// The clock once jumped to that wall time and stayed there, so every version was archived
/// months after the recording (found by `lookout export`, whose windows missed them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alert_versions_are_archived_at_the_recordings_time() {
    use lookout_sim::encode::{tag_block, PositionReport};
    use tokio::io::AsyncWriteExt;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config_with_tcp_feed();
    let text = format!(
        "[service]\nlisten = \"127.0.0.1:0\"\nclock = \"recording\"\n[archive]\ndir = {:?}\nfsync_interval = \"5ms\"\n",
        dir.path().join("archive")
    );
    let base = Config::parse(&text).unwrap();
    cfg.service = base.service;
    cfg.archive = base.archive;
    let running = lookout_server::start(cfg).await.unwrap();
    let mut c = client(running.addr).await;
    let mut feed = tokio::net::TcpStream::connect(running.source_addrs["feed"]).await.unwrap();
    // The first part of gpsd's two-part type 5 sample, alone: nothing to apply yet.
    feed.write_all(b"!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C\n")
        .await
        .unwrap();
    feed.flush().await.unwrap();
    wait_until(10, "the fragment taken", || {
        let mut c = c.clone();
        async move {
            let s = c.stats(pb::StatsRequest {}).await.unwrap().into_inner();
            s.sources.iter().any(|s| s.name == "feed" && s.lines > 0)
        }
    })
    .await;
    // Then a vessel that jumps 0.8° of longitude every 10 s, on 2026-06-01 from 00:00 Z.
    let t0 = 1_780_272_000; // 2026-06-01T00:00:00Z, s
    let lines: String = (0..18)
        .map(|k| {
            let lon = if k % 2 == 0 { 12.0 } else { 12.8 };
            let line = PositionReport::under_way(247_000_555, 35.0, lon, 10.0, 90.0).sentence();
            format!("{}{line}\n", tag_block("rx-1", t0 + 10 * k))
        })
        .collect();
    feed.write_all(lines.as_bytes()).await.unwrap();
    feed.flush().await.unwrap();
    let (mut id, mut versions) = (0, Vec::new());
    for _ in 0..400 {
        let all = c.list_alerts(pb::ListAlertsRequest::default()).await.unwrap().into_inner().alerts;
        if let Some(a) = all.iter().find(|a| a.kind() == pb::AlertKind::PositionJump) {
            id = a.alert_id;
            // NOT_FOUND until the first version is durable and indexed.
            let history = c.alert_history(pb::AlertHistoryRequest { alert_id: id }).await;
            versions = history.map(|h| h.into_inner().versions).unwrap_or_default();
            if !versions.is_empty() {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(!versions.is_empty(), "a POSITION_JUMP alert (id {id}) with archived versions within 10 s");
    for v in &versions {
        let t = v.time.as_ref().unwrap().seconds;
        assert!(
            (t0..t0 + 600).contains(&t),
            "version {} archived at {t} s, not in the recording's 2026-06-01",
            v.version
        );
    }
    running.stop().await;
}

/// Issue 18, over a real server and real tonic calls (the engine test
/// `rescue::a_fragmented_boat_on_two_live_tracks_ends_as_one_alert`, fed through
/// `PushDetections` one look per call, on the recording's clock): a drone looks at an
/// overcrowded boat every 30 s, then a second drone whose georeferencing is 200 m off
/// takes over, so the tracker starts a second track while the first coasts. The
/// console ends with one rescue alert in contact, and the other RETRACTED into it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fragmented_boat_gives_one_rescue_alert() {
    use lookout_core::geodesy::{destination, LatLon, MS_PER_KN, M_PER_NM};
    let text = "[service]\nlisten = \"127.0.0.1:0\"\nclock = \"recording\"\n";
    let running = lookout_server::start(lookout_server::Config::parse(text).unwrap()).await.unwrap();
    let mut c = client(running.addr).await;
    let t0_ms = wall_ms() - 3_600_000;
    // Drifting east at 1 kn from 35.3 N 12.5 E.
    let boat = |s: i64| destination(LatLon::new(35.3, 12.5), 90.0, MS_PER_KN * s as f64);
    let look = |drone: &str, s: i64, at: LatLon, persons: i64| pb::DetectionEvent {
        time: Some(timestamp(t0_ms + s * 1000)),
        lat: Some(at.lat_deg),
        lon: Some(at.lon_deg),
        sensor_id: drone.into(),
        course_deg: None,
        speed_kn: None,
        persons_counted: Some(persons),
        count_confidence: Some(0.9),
        image_ref: String::new(),
        ..drone_look(0.0, 0.0, &format!("{drone}-{s}"))
    };
    for s in (0..=600).step_by(10) {
        let event = match s {
            0..=120 if s % 30 == 0 => look("drone-1", s, boat(s), 70),
            130.. => look("drone-2", s, destination(boat(s), 0.0, 0.108 * M_PER_NM), 68),
            _ => continue,
        };
        let summary = c.push_detections(tokio_stream::iter(vec![event])).await.unwrap().into_inner();
        assert_eq!(summary.accepted, 1, "{summary:?}");
    }
    let alerts = c.list_alerts(pb::ListAlertsRequest { include_ended: true, ..Default::default() }).await;
    let rescue: Vec<pb::Alert> = alerts.unwrap().into_inner().alerts.into_iter().filter(|a| a.rescue).collect();
    let live: Vec<&pb::Alert> = rescue
        .iter()
        .filter(|a| a.state != pb::AlertState::Retracted as i32 && a.state != pb::AlertState::Closed as i32)
        .collect();
    assert_eq!(live.len(), 1, "one boat, one live rescue alert: {rescue:#?}");
    let merged: Vec<&pb::Alert> = rescue.iter().filter(|a| a.state == pb::AlertState::Retracted as i32).collect();
    assert_eq!(merged.len(), 1, "{rescue:#?}");
    assert_eq!(merged[0].merged_into, Some(live[0].alert_id), "{rescue:#?}");
    assert!(live[0].alert_id < merged[0].alert_id, "the older alert survives");
    running.stop().await;
}
