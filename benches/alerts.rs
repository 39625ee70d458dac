//! Load driver for the alerting target: an alert reaches 1,000 subscribed
//! consoles under 50 ms p99 while the service ingests 100,000 reports per
//! second.
//!
//! Run: `cargo bench --bench alerts` (defaults: `-- --consoles 1000 --rate
//! 100000 --seconds 20 --vessels 20000 --feeds 4 --per-connection 50
//! --alert-every-ms 150 --threads 2 --baseline 1 --drain-s 10`). For
//! diagnosis: `--uniform 1` (every vessel reports equally often),
//! `--dead-reckon-max-s S` (a shorter `[picture] dead_reckon_max`),
//! `--drone-stream 1` (the drone keeps one PushDetections stream open
//! instead of one call per look).
//!
//! The real service (`lookout_server::start`) runs in this process on a tokio
//! runtime of `--threads` workers, with a baseline learnt from two hours of
//! simulated traffic (capped learning on, as by default) and a TCP listener
//! source. Against it, over real TCP:
//!
//! * consoles: `--consoles` `SubscribeAlerts` streams (no filter), spread
//!   over connections of `--per-connection` streams each (at most the
//!   service's 64 per address: each connection binds its own 127.0.1.x), every stream read
//!   by its own task, which notes the `Instant` it first hears of each alert;
//! * feeders: `--feeds` TCP connections, each a thread writing pre-encoded
//!   bare `!AIVDM` type 1 sentences (stamped by the service on receipt) at
//!   its share of `--rate`, paced every millisecond. The fleet is the
//!   simulator's Strait of Sicily traffic (`vessel_scale` chosen for
//!   `--vessels` vessels heard): each vessel's last simulated position,
//!   speed and course, moved on in a straight line, reporting as often as
//!   its ITU class A interval allows relative to the others (a moving vessel
//!   18 to 90 times as often as a moored one), all intervals scaled so the
//!   fleet sends `--rate` reports/s (`--uniform 1`: all vessels equally
//!   often); their static data (type 5 and 24 from the simulation) is sent first;
//! * a drone: every `--alert-every-ms` one `PushDetections` call carrying a
//!   rubber boat with 70 persons counted, at a fresh grid point of the open
//!   sea between Tunisia, Sicily and Malta (>= 5 km from the previous ones,
//!   away from Lampedusa, Linosa and Lampione), so each opens a new
//!   OVERCROWDED alert at once. The `Instant` before each call is its push time.
//!
//! Latency is (console first hears of the alert) − (push), over every console
//! and alert; alerts are matched to pushes by position (within 3 km). Printed:
//! p50/p99/max, alerts delivered against expected (every console must get
//! every alert), `missed` events, the achieved ingest rate (lines written by
//! the feeders, and reports the pipeline applied, over the window), the
//! pipeline's ingest queue depth, and RSS. Consoles run in the same process
//! and on the same cores as the service: their reading is part of the cost.

mod common;
#[path = "common/fleet.rs"]
mod fleet;
use common::{arg, rss_mb};
use fleet::{feed_paced, fleet, itu_interval_s, schedule, wall_ms, Feed, Schedule, Ship};

use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lookout_core::geodesy::{haversine_m, LatLon};
use lookout_score::baseline::{observations_from_nmea, BaselineBuilder};
use lookout_server::api::limits::MAX_SUBSCRIPTIONS_PER_PEER;
use lookout_server::api::pb::{self, alert_event::Event, lookout_client::LookoutClient};
use lookout_server::Config;
use lookout_sim::{self, SimConfig};
use tonic::transport::{Channel, Endpoint};

/// Grid points of open sea in the Strait of Sicily, >= 5 km apart.
fn boat_positions(n: usize) -> Vec<LatLon> {
    let islands = [LatLon::new(35.50, 12.60), LatLon::new(35.86, 12.86), LatLon::new(35.55, 12.32)];
    let mut out = Vec::new();
    let mut lat = 35.0;
    while lat <= 36.5 && out.len() < n {
        let mut lon = 11.8;
        while lon <= 14.0 && out.len() < n {
            let p = LatLon::new(lat, lon);
            if islands.iter().all(|i| haversine_m(*i, p) > 10_000.0) {
                out.push(p);
            }
            lon += 0.07;
        }
        lat += 0.06;
    }
    out
}

fn boat_look(p: LatLon, id: &str) -> pb::DetectionEvent {
    let ms = wall_ms();
    pb::DetectionEvent {
        time: Some(prost_types::Timestamp { seconds: ms / 1000, nanos: ((ms % 1000) * 1_000_000) as i32 }),
        sensor_id: "drone-1".into(),
        sensor_kind: pb::SensorKind::Drone as i32,
        lat: Some(p.lat_deg),
        lon: Some(p.lon_deg),
        position_error_m: Some(25.0),
        course_deg: Some(350.0),
        speed_kn: Some(4.0),
        length_m: Some(10.0),
        vessel_class: pb::VesselClass::RubberBoat as i32,
        persons_counted: Some(70),
        count_confidence: Some(0.8),
        detection_id: id.into(),
        image_ref: format!("bench://{id}.jpg"),
    }
}

/// What one console heard.
#[derive(Default)]
struct ConsoleLog {
    /// First time it heard of each OVERCROWDED alert: id, position, when, and
    /// whether that first event was the OPEN change (not a resync or snapshot).
    first: HashMap<u64, (LatLon, Instant, bool)>,
    /// `missed` events and the changes they said were missed.
    missed_events: u64,
    changes_missed: u64,
    /// Change events of other kinds, by kind.
    other: BTreeMap<&'static str, u64>,
    events: u64,
    seq_gaps: u64,
    error: Option<String>,
}

async fn console(mut stream: tonic::Streaming<pb::AlertEvent>, ready: Arc<AtomicUsize>) -> ConsoleLog {
    let mut log = ConsoleLog::default();
    let mut last_seq = 0;
    loop {
        let e = match stream.message().await {
            Ok(Some(e)) => e,
            Ok(None) => break,
            Err(s) => {
                // The service stopping ends the stream; anything else is noted.
                if s.code() != tonic::Code::Cancelled && s.code() != tonic::Code::Unavailable {
                    log.error = Some(s.to_string());
                }
                break;
            }
        };
        let at = Instant::now();
        log.events += 1;
        if e.seq != last_seq + 1 {
            log.seq_gaps += 1;
        }
        last_seq = e.seq;
        match e.event {
            Some(Event::Snapshot(a)) | Some(Event::Change(a)) => {
                if a.kind == pb::AlertKind::Overcrowded as i32 {
                    let p = a.position.map(|p| LatLon::new(p.lat_deg, p.lon_deg)).unwrap_or(LatLon::new(0.0, 0.0));
                    let open = a.state == pb::AlertState::Open as i32;
                    log.first.entry(a.alert_id).or_insert((p, at, open));
                } else {
                    let k = pb::AlertKind::try_from(a.kind).map(|k| k.as_str_name()).unwrap_or("?");
                    *log.other.entry(k).or_default() += 1;
                }
            }
            Some(Event::SnapshotComplete(_)) => {
                ready.fetch_add(1, Ordering::Relaxed);
            }
            Some(Event::Missed(m)) => {
                log.missed_events += 1;
                log.changes_missed += m.changes_missed;
            }
            Some(Event::Heartbeat(_)) | None => {}
        }
    }
    log
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` probes harness-less benches.
    }
    let consoles = arg("--consoles", 1000);
    // At most the service's per-address limit on one connection (each has its own address).
    let per_conn = arg("--per-connection", 50).clamp(1, MAX_SUBSCRIPTIONS_PER_PEER);
    let rate = arg("--rate", 100_000);
    let seconds = arg("--seconds", 20);
    let vessels = arg("--vessels", 20_000);
    let feeds = arg("--feeds", 4).max(1);
    let every_ms = arg("--alert-every-ms", 150).max(1);
    let threads = arg("--threads", 2).max(1);
    let drain_max_s = arg("--drain-s", 10);
    let uniform = arg("--uniform", 0) != 0;
    // Diagnosis only: a shorter `[picture] dead_reckon_max` than the service's
    // 5 min narrows the R-tree search of every `Picture::near` (the scorer's
    // rendezvous check makes one per report). 0: the service default.
    let dead_reckon_s = arg("--dead-reckon-max-s", 0);
    let with_baseline = arg("--baseline", 1) != 0;
    let rss_start = rss_mb();

    // Fleet, static data and the feeders' lines, all before the service starts.
    let t = Instant::now();
    let (ships, statics) = fleet(vessels);
    let n = ships.len();
    let Schedule { warmup, feeds: feed, scale_t } = schedule(&ships, rate, seconds, feeds, uniform);
    let interval = |s: &Ship| itu_interval_s(s, uniform);
    let feed_mb: f64 = feed.iter().map(|f| (f.bytes.capacity() + f.starts.capacity() * 4) as f64 / 1e6).sum();
    let moving = ships.iter().filter(|s| s.sog_kn > 0.1).count();
    println!(
        "fleet: {n} simulated vessels ({moving} under way), reporting every {:.3} s (2 s ITU class) to {:.3} s (180 s class); {} static lines; {} position lines pre-encoded ({feed_mb:.0} MB) in {:.1} s",
        scale_t * interval(&Ship { sog_kn: 30.0, ..ships[0] }),
        scale_t * interval(&Ship { sog_kn: 0.0, ..ships[0] }),
        statics.split(|b| *b == b'\n').count() - 1,
        feed.iter().map(|f| f.starts.len() - 1).sum::<usize>(),
        t.elapsed().as_secs_f64()
    );

    let dir = tempfile::tempdir().unwrap();
    let mut text = "[service]\nlisten = \"127.0.0.1:0\"\n".to_string();
    if with_baseline {
        let t = Instant::now();
        let mut normal = Vec::new();
        lookout_sim::write_recording(&SimConfig { seed: 2, duration_s: 2 * 3600, ..Default::default() }, &mut normal)
            .unwrap();
        let mut b = BaselineBuilder::new(lookout::cli::simulated_area("strait-of-sicily", 2000.0).unwrap());
        for o in observations_from_nmea(&normal[..]).unwrap() {
            b.add(&o);
        }
        let path = dir.path().join("normal.baseline");
        b.finish().save_path(&path).unwrap();
        text += &format!(
            "[baseline]\npath = {:?}\narea = \"strait-of-sicily\"\nlearn = true\n",
            path.display().to_string()
        );
        println!("baseline: 2 h of simulated traffic (seed 2), learn on, built in {:.1} s", t.elapsed().as_secs_f64());
    }
    if dead_reckon_s > 0 {
        text += &format!("[picture]\ndead_reckon_max = \"{dead_reckon_s}s\"\n");
        println!("diagnosis: [picture] dead_reckon_max = {dead_reckon_s} s instead of the default");
    }
    text += "[[source]]\nname = \"feeds\"\nkind = \"tcp_listener\"\nlisten = \"127.0.0.1:0\"\n";
    let config = Config::parse(&text).unwrap();

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(threads).enable_all().build().unwrap();
    rt.block_on(run(
        config,
        consoles,
        per_conn,
        rate,
        seconds,
        feeds,
        every_ms,
        drain_max_s,
        feed,
        warmup,
        statics,
        n,
        rss_start,
        feed_mb,
    ));
}

#[allow(clippy::too_many_arguments)]
async fn run(
    config: Config,
    consoles: usize,
    per_conn: usize,
    rate: usize,
    seconds: usize,
    feeds: usize,
    every_ms: usize,
    drain_max_s: usize,
    feed: Vec<Feed>,
    warmup: Vec<Vec<u8>>,
    statics: Vec<u8>,
    n: usize,
    rss_start: f64,
    feed_mb: f64,
) {
    let drone_stream = arg("--drone-stream", 0) != 0;
    let rss_before = rss_mb();
    let running = lookout_server::start(config).await.unwrap();
    let shared = running.shared.clone();
    let feed_addr = running.source_addrs["feeds"];
    let endpoint = Endpoint::from_shared(format!("http://{}", running.addr)).unwrap();

    // Feeders connect; static data, then one position per vessel.
    let socks: Vec<std::net::TcpStream> =
        (0..feeds).map(|_| std::net::TcpStream::connect(feed_addr).unwrap()).collect();
    for s in &socks {
        s.set_nodelay(true).unwrap();
    }
    {
        let warm: Vec<std::net::TcpStream> = socks.iter().map(|s| s.try_clone().unwrap()).collect();
        std::thread::spawn(move || {
            (&warm[0]).write_all(&statics).unwrap();
            for (s, w) in warm.iter().zip(warmup) {
                (&*s).write_all(&w).unwrap();
            }
        })
        .join()
        .unwrap();
    }
    let t = Instant::now();
    while shared.engine.read().picture().len() < n * 99 / 100 && t.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rss_picture = rss_mb();
    println!(
        "service: picture holds {} vessels after warm-up ({:.1} s); RSS +{:.0} MB",
        shared.engine.read().picture().len(),
        t.elapsed().as_secs_f64(),
        rss_picture - rss_before
    );

    // Consoles: subscribe, each read by its own task, and wait for every snapshot.
    let ready = Arc::new(AtomicUsize::new(0));
    let mut readers = Vec::with_capacity(consoles);
    let t = Instant::now();
    let channels: Vec<Channel> = {
        let mut v = Vec::new();
        for k in 0..consoles.div_ceil(per_conn) {
            // Each connection from its own loopback address: the service holds at most
            // MAX_SUBSCRIPTIONS_PER_PEER live subscriptions per address, as a watch
            // room's consoles would come from many machines.
            let local = std::net::Ipv4Addr::new(127, 0, 1 + (k / 250) as u8, 1 + (k % 250) as u8);
            v.push(endpoint.clone().local_address(Some(local.into())).connect().await.unwrap());
        }
        v
    };
    for i in 0..consoles {
        let mut c = LookoutClient::new(channels[i / per_conn].clone());
        let s = c.subscribe_alerts(pb::SubscribeAlertsRequest::default()).await.unwrap().into_inner();
        readers.push(tokio::spawn(console(s, ready.clone())));
    }
    while ready.load(Ordering::Relaxed) < consoles {
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "only {} of {consoles} snapshots complete",
            ready.load(Ordering::Relaxed)
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let rss_consoles = rss_mb();
    println!(
        "consoles: {consoles} SubscribeAlerts streams over {} connections, all snapshots complete in {:.2} s; RSS +{:.0} MB",
        channels.len(),
        t.elapsed().as_secs_f64(),
        rss_consoles - rss_picture
    );

    // Ingest at the target rate, on threads, from now for `seconds`.
    let start = Instant::now() + Duration::from_millis(100);
    let end = start + Duration::from_secs(seconds as u64);
    let sent = Arc::new(AtomicU64::new(0));
    let per_feed = rate as f64 / feeds as f64;
    let mut feeders = Vec::new();
    for (sock, f) in socks.into_iter().zip(feed) {
        let sent = sent.clone();
        // Never set: these feeders run to `end`.
        let never = AtomicBool::new(false);
        feeders.push(std::thread::spawn(move || feed_paced(sock, f, start, end, per_feed, sent, &never)));
    }
    let applied0 = shared.engine.read().picture().counters().reports_applied;
    tokio::time::sleep_until(start.into()).await;

    // Queue depth of the source -> pipeline channel, sampled.
    let sampler = {
        let shared = shared.clone();
        tokio::spawn(async move {
            let mut depths = Vec::new();
            while Instant::now() < end {
                let tx = &shared.ingest_tx;
                depths.push(tx.max_capacity() - tx.capacity());
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            depths
        })
    };

    // The drone: one overcrowded boat every `every_ms`, each its own call,
    // until the end of the window (a call still waiting then is waited for).
    let spots = boat_positions(seconds * 1000 / every_ms + 1);
    if spots.len() * every_ms < seconds * 1000 {
        println!("note: only {} distinct boat positions; pushes stop early", spots.len());
    }
    let mut drone = LookoutClient::new(endpoint.connect().await.unwrap());
    let drone = tokio::spawn(async move {
        let mut pushes: Vec<(LatLon, Instant, Duration)> = Vec::new();
        // `--drone-stream 1`: one long-lived PushDetections stream instead of a call per look.
        let (look_tx, look_rx) = tokio::sync::mpsc::channel::<pb::DetectionEvent>(16);
        let stream_call = drone_stream.then(|| {
            let mut d = drone.clone();
            tokio::spawn(async move { d.push_detections(tokio_stream::wrappers::ReceiverStream::new(look_rx)).await })
        });
        for (k, p) in spots.iter().enumerate() {
            let at = start + Duration::from_millis((every_ms * k) as u64 + every_ms as u64 / 2);
            if at >= end || Instant::now() >= end {
                break;
            }
            tokio::time::sleep_until(at.into()).await;
            let look = boat_look(*p, &format!("boat-{k}"));
            let t = Instant::now();
            if drone_stream {
                look_tx.send(look).await.unwrap();
            } else {
                let s = drone.push_detections(tokio_stream::iter(vec![look])).await.unwrap().into_inner();
                assert_eq!(s.accepted, 1, "{:?}", s.rejections);
            }
            pushes.push((*p, t, t.elapsed()));
        }
        // The stream stays open until the end of the run (a drone keeps it open).
        (pushes, look_tx, stream_call)
    });
    tokio::time::sleep_until(end.into()).await;
    let window = (Instant::now() - start).as_secs_f64();
    let applied1 = shared.engine.read().picture().counters().reports_applied;
    let sent_n = sent.load(Ordering::Relaxed);
    let mut blocked = Vec::new();
    for f in feeders {
        let (sock, b) = f.join().unwrap();
        blocked.push(b.as_secs_f64());
        drop(sock);
    }
    let depths = sampler.await.unwrap();
    let (pushes, look_tx, stream_call) = drone.await.unwrap();
    let late_s = (Instant::now() - end).as_secs_f64();
    // Until the pipeline has applied what was sent (its backlog), at most `--drain-s`.
    let t = Instant::now();
    let mut applied_all = applied1;
    loop {
        let a = shared.engine.read().picture().counters().reports_applied;
        if a == applied_all
            && shared.ingest_tx.capacity() == shared.ingest_tx.max_capacity()
            && t.elapsed() > Duration::from_millis(300)
        {
            break;
        }
        applied_all = a;
        if t.elapsed() > Duration::from_secs(drain_max_s as u64) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let backlog_left = shared.ingest_tx.max_capacity() - shared.ingest_tx.capacity();
    let drain_s = t.elapsed().as_secs_f64();
    // Consoles get a second more to read what is on its way, then the service stops.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_end = rss_mb();
    let book: Vec<pb::Alert> = {
        let mut c = LookoutClient::new(channels[0].clone());
        c.list_alerts(pb::ListAlertsRequest { include_ended: true, max_results: 10_000, ..Default::default() })
            .await
            .unwrap()
            .into_inner()
            .alerts
    };
    drop(look_tx);
    if let Some(c) = stream_call {
        let _ = c.await;
    }
    running.stop().await;
    let mut logs = Vec::with_capacity(consoles);
    for r in readers {
        logs.push(r.await.unwrap());
    }

    // Alert of each push, by position.
    let overcrowded: Vec<&pb::Alert> = book.iter().filter(|a| a.kind == pb::AlertKind::Overcrowded as i32).collect();
    let mut alert_of: Vec<Option<u64>> = vec![None; pushes.len()];
    let mut unmatched = 0;
    for a in &overcrowded {
        let p = a.position.map(|p| LatLon::new(p.lat_deg, p.lon_deg)).unwrap();
        let best =
            pushes.iter().enumerate().map(|(k, (q, _, _))| (k, haversine_m(p, *q))).min_by(|a, b| a.1.total_cmp(&b.1));
        match best {
            Some((k, d)) if d < 3000.0 && alert_of[k].is_none() => alert_of[k] = Some(a.alert_id),
            _ => unmatched += 1,
        }
    }
    let raised = alert_of.iter().filter(|a| a.is_some()).count();

    let mut lat_ms: Vec<f64> = Vec::with_capacity(pushes.len() * consoles);
    let (mut delivered, mut not_open_first) = (0usize, 0usize);
    let mut consoles_short = 0;
    let mut per_alert_max: Vec<f64> = Vec::new();
    for (k, id) in alert_of.iter().enumerate() {
        let Some(id) = id else { continue };
        let mut m: f64 = 0.0;
        for log in &logs {
            if let Some((_, at, open)) = log.first.get(id) {
                let l = at.saturating_duration_since(pushes[k].1).as_secs_f64() * 1e3;
                lat_ms.push(l);
                m = m.max(l);
                delivered += 1;
                if !open {
                    not_open_first += 1;
                }
            }
        }
        per_alert_max.push(m);
    }
    for log in &logs {
        if alert_of.iter().any(|id| id.is_none_or(|id| !log.first.contains_key(&id))) {
            consoles_short += 1;
        }
    }
    lat_ms.sort_by(f64::total_cmp);
    let expected = pushes.len() * consoles;
    let missed_events: u64 = logs.iter().map(|l| l.missed_events).sum();
    let changes_missed: u64 = logs.iter().map(|l| l.changes_missed).sum();
    let seq_gaps: u64 = logs.iter().map(|l| l.seq_gaps).sum();
    let errors: Vec<&String> = logs.iter().filter_map(|l| l.error.as_ref()).collect();
    let mut other: BTreeMap<&str, u64> = BTreeMap::new();
    for l in &logs {
        for (k, v) in &l.other {
            *other.entry(k).or_default() += v;
        }
    }
    let events: u64 = logs.iter().map(|l| l.events).sum();
    let mut push_ms: Vec<f64> = pushes.iter().map(|p| p.2.as_secs_f64() * 1e3).collect();
    push_ms.sort_by(f64::total_cmp);
    let mean_depth = depths.iter().sum::<usize>() as f64 / depths.len().max(1) as f64;

    println!(
        "ingest: {sent_n} reports written in {window:.2} s = {:.0} reports/s (target {rate}); pipeline applied {} = {:.0} reports/s; after the window {:.1} s more to drain the backlog ({} more applied, {backlog_left} batches still queued when given up); feeders blocked in write {:?} s; the last push returned {late_s:.1} s after the window",
        sent_n as f64 / window,
        applied1 - applied0,
        (applied1 - applied0) as f64 / window,
        drain_s,
        applied_all - applied1,
        blocked.iter().map(|b| (b * 10.0).round() / 10.0).collect::<Vec<_>>()
    );
    println!(
        "ingest queue (source -> pipeline, {} batches of 512): mean {:.0}, max {} batches",
        shared.ingest_tx.max_capacity(),
        mean_depth,
        depths.iter().max().unwrap_or(&0)
    );
    println!(
        "drone: {} pushes every {every_ms} ms; PushDetections call p50 {:.1} ms, max {:.1} ms; {raised} OVERCROWDED alerts raised for them by the end ({} never raised), {} other OVERCROWDED",
        pushes.len(),
        pct(&push_ms, 0.5),
        push_ms.last().copied().unwrap_or(f64::NAN),
        pushes.len() - raised,
        unmatched
    );
    println!(
        "delivery: {delivered} of {expected} expected (consoles × pushes) = {:.2} %; {consoles_short} consoles missed at least one alert; {not_open_first} first heard in another state than OPEN",
        delivered as f64 * 100.0 / expected.max(1) as f64
    );
    println!(
        "latency push -> console, over {} deliveries: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (target p99 < 50 ms); per-alert slowest console: p50 {:.1} ms, max {:.1} ms",
        lat_ms.len(),
        pct(&lat_ms, 0.5),
        pct(&lat_ms, 0.99),
        lat_ms.last().copied().unwrap_or(f64::NAN),
        {
            per_alert_max.sort_by(f64::total_cmp);
            pct(&per_alert_max, 0.5)
        },
        per_alert_max.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "consoles: {events} events in all; missed events {missed_events} ({changes_missed} changes missed); sequence gaps {seq_gaps}; stream errors {}; other alert changes heard {other:?}",
        errors.len()
    );
    if let Some(e) = errors.first() {
        println!("  first stream error: {e}");
    }
    println!(
        "memory: RSS {rss_end:.0} MB at the end (service + {consoles} in-process consoles + {feed_mb:.0} MB of pre-encoded lines); before the service {rss_before:.0} MB (start {rss_start:.0} MB); picture +{:.0} MB, consoles +{:.0} MB, during ingest +{:.0} MB",
        rss_picture - rss_before,
        rss_consoles - rss_picture,
        rss_end - rss_consoles
    );
}
