//! Over-the-wire benchmark (issue 16): the real `lookout serve` binary in a
//! child process, a busy AIS feed into it over TCP, and this process as an
//! outside gRPC client timing `VesselsNear`, quiet, under the feed, and under
//! hostile load.
//!
//! Run: `cargo bench --bench wire` (defaults: `-- --rate 100000 --vessels
//! 20000 --feeds 4 --calls 5000 --warm 500 --attack-calls 2000 --in-radius 220
//! --area-attackers 4 --area-max-results 1 --track-attackers 2
//! --flood-streams 2 --connections 1000`; phase time caps `--budget-s 8`
//! and `--attack-budget-s 5`). `--detections-per-s N` and
//! `--connections-per-peer N` set the service's `[service]
//! detections_per_s_per_feeder` and `max_connections_per_peer` (default: the
//! service's defaults, 5,000 and 256).
//!
//! * The service: `lookout serve` (the binary cargo built for this bench)
//!   with the bundled Strait of Sicily baseline (learning on, as by default),
//!   no operators (so `Stats` needs no token) and one `tcp_listener` source.
//!   Nothing is pinned; the machine's cores are shared by the service, the
//!   feeders and this client, as printed.
//! * The feed: the simulated fleet and paced feeders of `benches/alerts.rs`
//!   (`benches/common/fleet.rs`): `--vessels` vessels of Strait of Sicily
//!   traffic, their static data, then `--rate` bare `!AIVDM` reports/s over
//!   `--feeds` TCP connections, written by threads of this process.
//! * The query: `VesselsNear` for [`NEAR_MAX_RESULTS`] vessels within
//!   [`NEAR_RADIUS_NM`] of a point of the fleet chosen so that about
//!   `--in-radius` vessels are inside (the in-process figure of
//!   `benches/picture.rs` has a mean of 223), called `--calls` times in
//!   sequence after `--warm` unmeasured calls, over one connection with
//!   TCP_NODELAY, from a single-threaded runtime of its own (so the attack
//!   tasks of this process never delay its polling; only the OS scheduler does).
//! * Phases: quiet (the picture full, no feed), feed, then the feed plus each
//!   attack in turn and all at once: `--area-attackers` clients looping
//!   `VesselsInArea` with a polygon at the server's vertex limit around the
//!   whole fleet (asking `--area-max-results`: a hostile client wants the
//!   server's work, not a large reply); `--track-attackers` `SubscribeTracks`
//!   streams with such a polygon and every update; `--flood-streams`
//!   `PushDetections` streams sending detections as fast as flow control lets
//!   them; `--connections` idle HTTP/2 connections.
//!
//! Printed: per phase, `VesselsNear` p50/p90/p99/max and errors, what the
//! feed achieved (reports/s the source decoded and the engine applied, from
//! `Stats`), CPU used by the service and by this process, the load average;
//! each attack's own outcome (calls answered and refused, by status); and
//! whether each target of issue 16 is met.

mod common;
#[path = "common/fleet.rs"]
mod fleet;
use common::{arg, arg_opt, rss_mb};

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fleet::{feed_paced, fleet, itu_interval_s, schedule, wall_ms, Schedule, Ship};
use lookout_core::geodesy::{destination, LatLon, M_PER_NM};
use lookout_server::api::limits::MAX_POLYGON_VERTICES;
use lookout_server::api::pb::{self, lookout_client::LookoutClient};
use rand::{Rng, SeedableRng};
use tonic::transport::{Channel, Endpoint};

const LOOKOUT: &str = env!("CARGO_BIN_EXE_lookout");
/// `VesselsNear` radius, nautical miles: as the in-process figure (`benches/picture.rs`).
const NEAR_RADIUS_NM: f64 = 20.0;
/// Vessels asked for per `VesselsNear` call (issue 16: "with 20 results").
const NEAR_MAX_RESULTS: u32 = 20;
/// Issue 16's targets for `VesselsNear` under the busy feed, ms.
const TARGET_P50_MS: f64 = 1.0;
const TARGET_P99_MS: f64 = 5.0;
/// Issue 16: under attack, p50 and p99 stay within this factor of the figures without attack.
const ATTACK_FACTOR: f64 = 2.0;
/// How long the service may take to answer after it is started.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the warm-up positions may take to reach the picture.
const WARMUP_TIMEOUT: Duration = Duration::from_secs(60);
/// A `VesselsNear` call slower than this is counted as failed (DEADLINE_EXCEEDED).
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// Time the feed runs before the feed phase measures (the ingest reaching its steady state).
const SETTLE: Duration = Duration::from_secs(2);
/// Time an attack runs before its phase measures (connections opened, loops going).
const RAMP: Duration = Duration::from_millis(1500);
/// How long attack tasks may take to finish once told to stop (a stream's summary, a call in flight).
const ATTACK_STOP_TIMEOUT: Duration = Duration::from_secs(5);
/// Clock ticks per second of `/proc/<pid>/stat` CPU times (USER_HZ, 100 on Linux).
const CLOCK_TICKS_PER_S: f64 = 100.0;
/// Margin on the pre-encoded feed, s: lines run out only if phases overrun their caps by this.
const FEED_SPARE_S: usize = 5;

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// CPU time (user + system) of a process so far, s, from `/proc/<pid>/stat`; 0 elsewhere.
fn cpu_s(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces, hence after the last ')').
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<f64> = rest.split_whitespace().map(|v| v.parse().unwrap_or(0.0)).collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (f.get(11).unwrap_or(&0.0) + f.get(12).unwrap_or(&0.0)) / CLOCK_TICKS_PER_S
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn endpoint(addr: SocketAddr) -> Endpoint {
    // tonic sets TCP_NODELAY by default; said here because the figure depends on it.
    Endpoint::from_shared(format!("http://{addr}")).unwrap().tcp_nodelay(true).connect_timeout(Duration::from_secs(5))
}

/// `lookout serve` in a child process, killed when dropped.
struct Server {
    child: Child,
    grpc: SocketAddr,
    feed: SocketAddr,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// `service` is added to the `[service]` section (e.g. a limit to try).
    fn start(dir: &Path, service: &str) -> Server {
        let (grpc, feed) = (free_port(), free_port());
        // No [[operator]]: the API is open (Stats needs no token) and the TCP feed needs
        // no allow_unauthenticated. The baseline is read, never written (no save_every).
        let text = format!(
            "[service]\nlisten = \"127.0.0.1:{grpc}\"\n{service}\n\
             [baseline]\npath = {:?}\narea = \"strait-of-sicily\"\n\
             [[source]]\nname = \"feeds\"\nkind = \"tcp_listener\"\nlisten = \"127.0.0.1:{feed}\"\n",
            repo("replay-data/strait-of-sicily.baseline"),
        );
        let config = dir.join("lookout.toml");
        std::fs::write(&config, text).unwrap();
        let log = dir.join("lookout.log");
        let child = Command::new(LOOKOUT)
            .args(["serve", "--config"])
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Server { child, grpc: ([127, 0, 0, 1], grpc).into(), feed: ([127, 0, 0, 1], feed).into(), log }
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    fn died(&mut self) -> Option<String> {
        self.child.try_wait().unwrap().map(|status| {
            format!("lookout exited ({status}):\n{}", std::fs::read_to_string(&self.log).unwrap_or_default())
        })
    }

    /// A client once the service answers `Stats` and its feed port accepts.
    async fn ready(&mut self) -> LookoutClient<Channel> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(ch) = endpoint(self.grpc).connect().await {
                let mut c = LookoutClient::new(ch);
                if c.stats(pb::StatsRequest {}).await.is_ok() && tokio::net::TcpStream::connect(self.feed).await.is_ok()
                {
                    return c;
                }
            }
            if let Some(why) = self.died() {
                panic!("{why}");
            }
            assert!(Instant::now() < deadline, "lookout did not answer within {START_TIMEOUT:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The point of the fleet with about `want` vessels within `radius_m` (the
/// position of one of every 20th vessel, by a flat-earth distance).
fn query_point(ships: &[Ship], radius_m: f64, want: usize) -> (LatLon, usize) {
    const M_PER_DEG: f64 = 111_195.0;
    let count = |c: LatLon| {
        let k = c.lat_deg.to_radians().cos();
        ships
            .iter()
            .filter(|s| {
                let dy = (s.pos.lat_deg - c.lat_deg) * M_PER_DEG;
                let dx = (s.pos.lon_deg - c.lon_deg) * M_PER_DEG * k;
                dx * dx + dy * dy <= radius_m * radius_m
            })
            .count()
    };
    ships.iter().step_by(20).map(|s| (s.pos, count(s.pos))).min_by_key(|(_, n)| n.abs_diff(want)).unwrap()
}

/// A ring of [`MAX_POLYGON_VERTICES`] vertices (the server's limit) of
/// `radius_m` around `center`.
fn ring(center: LatLon, radius_m: f64) -> pb::Area {
    let vertices = (0..MAX_POLYGON_VERTICES)
        .map(|i| {
            let p = destination(center, 360.0 * i as f64 / MAX_POLYGON_VERTICES as f64, radius_m);
            pb::LatLon { lat_deg: p.lat_deg, lon_deg: p.lon_deg }
        })
        .collect();
    pb::Area { shape: Some(pb::area::Shape::Polygon(pb::Polygon { vertices })) }
}

/// Counts from the service's `Stats`, and the service's CPU time, at one instant.
#[derive(Clone, Copy)]
struct Mark {
    at: Instant,
    /// AIS messages the `feeds` source decoded.
    feed_messages: u64,
    /// Observations (AIS and detections) the engine applied.
    applied: u64,
    /// Detections `PushDetections` calls handed on.
    pushed: u64,
    server_cpu_s: f64,
    bench_cpu_s: f64,
}

async fn mark(c: &mut LookoutClient<Channel>, server_pid: &str) -> Mark {
    let s = c.stats(pb::StatsRequest {}).await.unwrap().into_inner();
    let src = |name: &str| s.sources.iter().find(|x| x.name == name);
    Mark {
        at: Instant::now(),
        feed_messages: src("feeds").map_or(0, |x| x.messages),
        applied: s.observations_applied,
        pushed: src("push-detections").map_or(0, |x| x.detections),
        server_cpu_s: cpu_s(server_pid),
        bench_cpu_s: cpu_s("self"),
    }
}

/// One phase's `VesselsNear` figures.
struct Phase {
    name: String,
    /// Latencies, ms, sorted.
    ms: Vec<f64>,
    /// Calls that failed, by status code.
    errors: BTreeMap<String, usize>,
    /// Answers with fewer than [`NEAR_MAX_RESULTS`] vessels.
    short: usize,
    mean_in_radius: f64,
    /// The phase stopped at its time cap before all calls were made.
    capped: bool,
    from: Mark,
    to: Mark,
    load: String,
}

impl Phase {
    fn secs(&self) -> f64 {
        (self.to.at - self.from.at).as_secs_f64()
    }
    fn p(&self, q: f64) -> f64 {
        pct(&self.ms, q)
    }
}

/// `warm` unmeasured calls, then up to `calls` timed ones in sequence, stopping at `cap`.
async fn probe(
    name: &str,
    c: &mut LookoutClient<Channel>,
    req: &pb::VesselsNearRequest,
    warm: usize,
    calls: usize,
    cap: Duration,
    server_pid: &str,
) -> Phase {
    for _ in 0..warm {
        let _ = c.vessels_near(req.clone()).await;
    }
    let from = mark(c, server_pid).await;
    let (mut ms, mut errors, mut short, mut in_radius) = (Vec::with_capacity(calls), BTreeMap::new(), 0, 0u64);
    let mut capped = false;
    for _ in 0..calls {
        if from.at.elapsed() > cap {
            capped = true;
            break;
        }
        let t = Instant::now();
        let r = tokio::time::timeout(CALL_TIMEOUT, c.vessels_near(req.clone())).await;
        let dt = t.elapsed().as_secs_f64() * 1e3;
        match r {
            Ok(Ok(r)) => {
                let r = r.into_inner();
                ms.push(dt);
                in_radius += u64::from(r.total_in_radius);
                if r.vessels.len() < NEAR_MAX_RESULTS as usize {
                    short += 1;
                }
            }
            Ok(Err(s)) => *errors.entry(format!("{:?}", s.code())).or_insert(0) += 1,
            Err(_) => *errors.entry("client timeout".to_string()).or_insert(0) += 1,
        }
    }
    let to = mark(c, server_pid).await;
    let answered = ms.len();
    ms.sort_by(f64::total_cmp);
    Phase {
        name: name.to_string(),
        ms,
        errors,
        short,
        mean_in_radius: in_radius as f64 / answered.max(1) as f64,
        capped,
        from,
        to,
        load: loadavg(),
    }
}

/// Outcomes of one kind of attack call, by status ("OK" for answered).
#[derive(Default)]
struct Outcomes {
    by_status: parking_lot::Mutex<BTreeMap<String, u64>>,
    /// Latencies of answered calls, ms.
    ms: parking_lot::Mutex<Vec<f64>>,
    /// Free-form counters (events heard, detections accepted, ...).
    counters: parking_lot::Mutex<BTreeMap<&'static str, u64>>,
}

impl Outcomes {
    fn note(&self, status: Result<(), &tonic::Status>) {
        let k = match status {
            Ok(()) => "OK".to_string(),
            Err(s) => format!("{:?}", s.code()),
        };
        *self.by_status.lock().entry(k).or_insert(0) += 1;
    }
    fn add(&self, what: &'static str, n: u64) {
        *self.counters.lock().entry(what).or_insert(0) += n;
    }
    fn summary(&self) -> String {
        let mut ms = self.ms.lock().clone();
        ms.sort_by(f64::total_cmp);
        let mut s = format!("{:?}", self.by_status.lock());
        if !ms.is_empty() {
            s += &format!("; answered in p50 {:.1} ms, max {:.1} ms", pct(&ms, 0.5), ms.last().unwrap());
        }
        let counters = self.counters.lock();
        if !counters.is_empty() {
            s += &format!("; {counters:?}");
        }
        s
    }
}

/// Which attacks run in a phase.
#[derive(Clone, Copy, Default)]
struct Attacks {
    area: usize,
    tracks: usize,
    flood: usize,
    connections: usize,
}

/// The attack tasks of one phase, on the attack runtime; stopped by `stop`.
struct Attack {
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    area: Arc<Outcomes>,
    tracks: Arc<Outcomes>,
    flood: Arc<Outcomes>,
    conns: Arc<Outcomes>,
}

/// Detections for flood stream `stream`, call `call`: an aircraft's look at
/// an unknown vessel anywhere within `radius_m` of `center`, now, until `stop`.
/// Generated as the stream is read, so h2 flow control and the pipeline's
/// queue set the pace, not this client.
fn flood_events(
    stream: usize,
    call: u64,
    center: LatLon,
    radius_m: f64,
    stop: Arc<AtomicBool>,
    sent: Arc<AtomicU64>,
) -> impl Iterator<Item = pb::DetectionEvent> + Send + 'static {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64((stream as u64) << 32 | call);
    std::iter::from_fn(move || {
        if stop.load(Ordering::Relaxed) {
            return None;
        }
        let n = sent.fetch_add(1, Ordering::Relaxed);
        // Uniform over the disc.
        let p = destination(center, rng.random_range(0.0..360.0), radius_m * rng.random::<f64>().sqrt());
        let ms = wall_ms();
        Some(pb::DetectionEvent {
            time: Some(prost_types::Timestamp { seconds: ms / 1000, nanos: ((ms % 1000) * 1_000_000) as i32 }),
            sensor_id: format!("flood-{stream}"),
            sensor_kind: pb::SensorKind::Aircraft as i32,
            lat: Some(p.lat_deg),
            lon: Some(p.lon_deg),
            position_error_m: Some(50.0),
            vessel_class: pb::VesselClass::Unknown as i32,
            detection_id: format!("flood-{stream}-{n}"),
            ..Default::default()
        })
    })
}

fn start_attack(
    rt: &tokio::runtime::Handle,
    a: Attacks,
    addr: SocketAddr,
    center: LatLon,
    fleet_radius_m: f64,
) -> Attack {
    let stop = Arc::new(AtomicBool::new(false));
    let (area, tracks, flood, conns) = Default::default();
    let mut at = Attack { stop: stop.clone(), tasks: Vec::new(), area, tracks, flood, conns };
    let max_results = arg("--area-max-results", 1) as u32;
    let polygon = ring(center, fleet_radius_m);
    for _ in 0..a.area {
        let (stop, out, polygon) = (stop.clone(), at.area.clone(), polygon.clone());
        at.tasks.push(rt.spawn(async move {
            let mut c = LookoutClient::new(endpoint(addr).connect().await.unwrap());
            let req = pb::VesselsInAreaRequest { area: Some(polygon), max_results, filter: None };
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                match c.vessels_in_area(req.clone()).await {
                    Ok(r) => {
                        out.ms.lock().push(t.elapsed().as_secs_f64() * 1e3);
                        out.counters.lock().insert("vessels in polygon (last)", u64::from(r.get_ref().total_in_area));
                        out.note(Ok(()));
                    }
                    Err(s) => {
                        out.note(Err(&s));
                        // A refusal is answered at once; do not spin on it.
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                }
            }
        }));
    }
    for _ in 0..a.tracks {
        let (stop, out, polygon) = (stop.clone(), at.tracks.clone(), polygon.clone());
        at.tasks.push(rt.spawn(async move {
            let mut c = LookoutClient::new(endpoint(addr).connect().await.unwrap());
            let req = pb::SubscribeTracksRequest { area: Some(polygon), min_interval_ms: 0, mmsi: vec![] };
            let mut s = match c.subscribe_tracks(req).await {
                Ok(s) => s.into_inner(),
                Err(s) => return out.note(Err(&s)),
            };
            while !stop.load(Ordering::Relaxed) {
                match tokio::time::timeout(Duration::from_millis(100), s.message()).await {
                    Err(_) => continue,
                    Ok(Ok(Some(e))) => {
                        use pb::track_event::Event;
                        match e.event {
                            Some(Event::Missed(m)) => {
                                out.add("missed events", 1);
                                out.add("updates missed", m.updates_missed);
                            }
                            Some(Event::Snapshot(_)) => out.add("snapshot vessels", 1),
                            Some(_) => out.add("updates/entries/exits/heartbeats", 1),
                            None => {}
                        }
                    }
                    Ok(Ok(None)) => return out.note(Err(&tonic::Status::aborted("stream ended by the server"))),
                    Ok(Err(s)) => return out.note(Err(&s)),
                }
            }
            out.note(Ok(()));
        }));
    }
    for i in 0..a.flood {
        let (stop, out) = (stop.clone(), at.flood.clone());
        at.tasks.push(rt.spawn(async move {
            let mut c = LookoutClient::new(endpoint(addr).connect().await.unwrap());
            let sent = Arc::new(AtomicU64::new(0));
            // Each stream runs until told to stop; a stream the server ends early is started again.
            let mut call = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let events = flood_events(i, call, center, fleet_radius_m, stop.clone(), sent.clone());
                call += 1;
                match c.push_detections(tokio_stream::iter(events)).await {
                    Ok(r) => {
                        let r = r.into_inner();
                        out.add("detections accepted", r.accepted);
                        out.add("detections rejected", r.rejected);
                        out.note(Ok(()));
                    }
                    Err(s) => out.note(Err(&s)),
                }
            }
            out.add("detections sent", sent.load(Ordering::Relaxed));
        }));
    }
    if a.connections > 0 {
        let (stop, out) = (stop.clone(), at.conns.clone());
        let n = a.connections;
        at.tasks.push(rt.spawn(async move {
            let mut held = Vec::with_capacity(n);
            for _ in 0..n {
                match endpoint(addr).connect().await {
                    Ok(ch) => held.push(ch),
                    Err(e) => *out.by_status.lock().entry(format!("connect: {e}")).or_insert(0) += 1,
                }
            }
            // A connection the server closed at once (over `max_connections_per_peer`)
            // still connects from here: the kernel finished the TCP handshake before
            // the server accepted it. One health check on each tells which are held.
            for ch in &held {
                let mut health = tonic_health::pb::health_client::HealthClient::new(ch.clone());
                match health.check(tonic_health::pb::HealthCheckRequest::default()).await {
                    Ok(_) => out.note(Ok(())),
                    Err(_) => *out.by_status.lock().entry("closed by the server".into()).or_insert(0) += 1,
                }
            }
            while !stop.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            drop(held);
        }));
    }
    at
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` probes harness-less benches.
    }
    let rate = arg("--rate", 100_000);
    let vessels = arg("--vessels", 20_000);
    let feeds = arg("--feeds", 4).max(1);
    let calls = arg("--calls", 5000).max(1);
    let warm = arg("--warm", 500);
    let attack_calls = arg("--attack-calls", 2000).max(1);
    let budget = Duration::from_secs(arg("--budget-s", 8) as u64);
    let attack_budget = Duration::from_secs(arg("--attack-budget-s", 5) as u64);
    let in_radius = arg("--in-radius", 220);
    let all = Attacks {
        area: arg("--area-attackers", 4),
        tracks: arg("--track-attackers", 2),
        flood: arg("--flood-streams", 2),
        connections: arg("--connections", 1000),
    };
    let t0 = Instant::now();
    println!(
        "machine: {} cores, load average {} at the start",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        loadavg()
    );

    // Fleet and feed, before the service starts.
    let t = Instant::now();
    let (ships, statics) = fleet(vessels);
    let radius_m = NEAR_RADIUS_NM * M_PER_NM;
    let (center, near_count) = query_point(&ships, radius_m, in_radius);
    // The polygon attacks cover the whole fleet: every vessel is tested against every edge.
    let fleet_radius_m =
        ships.iter().map(|s| lookout_core::geodesy::haversine_m(center, s.pos)).fold(0.0, f64::max) + 10_000.0;
    let with_all = arg("--all", 0) != 0;
    let attack_phases = [all.connections, all.area, all.tracks, all.flood].iter().filter(|n| **n > 0).count() as u32
        + u32::from(with_all);
    let feed_s = (SETTLE + budget + (RAMP + attack_budget + Duration::from_secs(1)) * attack_phases).as_secs() as usize
        + FEED_SPARE_S;
    let Schedule { warmup, feeds: feed, scale_t } = schedule(&ships, rate, feed_s, feeds, false);
    let every = |sog_kn: f64| scale_t * itu_interval_s(&Ship { sog_kn, ..ships[0] }, false);
    let lines: usize = feed.iter().map(|f| f.starts.len() - 1).sum();
    println!(
        "fleet: {} simulated vessels; query point {:.4} N {:.4} E with {near_count} vessels within {NEAR_RADIUS_NM} nm at their last simulated positions; fleet within {:.0} km of it; each reporting every {:.2} s (fastest) to {:.1} s (moored); {lines} reports pre-encoded for {feed_s} s at {rate}/s in {:.1} s; RSS {:.0} MB",
        ships.len(),
        center.lat_deg,
        center.lon_deg,
        fleet_radius_m / 1e3,
        every(30.0),
        every(0.0),
        t.elapsed().as_secs_f64(),
        rss_mb()
    );

    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    // The service's own limits unless asked otherwise: `--detections-per-s N` sets
    // `[service] detections_per_s_per_feeder` (the flood's two streams share one feeder,
    // this address), `--connections-per-peer N` `max_connections_per_peer`.
    let mut service = String::new();
    if let Some(n) = arg_opt("--detections-per-s") {
        service.push_str(&format!("detections_per_s_per_feeder = {n}\n"));
    }
    if let Some(n) = arg_opt("--connections-per-peer") {
        service.push_str(&format!("max_connections_per_peer = {n}\n"));
    }
    let mut server = Server::start(dir.path(), &service);
    let attack_rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    // The probing client: a runtime of its own on this thread (see the module docs).
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let mut c = server.ready().await;
        let pid = server.pid();
        println!("service: lookout serve (pid {pid}) answering after {:.1} s", started.elapsed().as_secs_f64());

        // Static data, then one position per vessel; wait for the picture to hold them.
        let socks: Vec<std::net::TcpStream> =
            (0..feeds).map(|_| std::net::TcpStream::connect(server.feed).unwrap()).collect();
        for s in &socks {
            s.set_nodelay(true).unwrap();
        }
        {
            use std::io::Write;
            (&socks[0]).write_all(&statics).unwrap();
            for (s, w) in socks.iter().zip(&warmup) {
                (&*s).write_all(w).unwrap();
            }
        }
        let t = Instant::now();
        loop {
            let live = c.stats(pb::StatsRequest {}).await.unwrap().into_inner().live_vessels as usize;
            if live >= ships.len() * 99 / 100 {
                println!("warm-up: picture holds {live} vessels after {:.1} s", t.elapsed().as_secs_f64());
                break;
            }
            if let Some(why) = server.died() {
                panic!("{why}");
            }
            assert!(t.elapsed() < WARMUP_TIMEOUT, "only {live} of {} vessels in the picture", ships.len());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let req = pb::VesselsNearRequest {
            lat_deg: center.lat_deg,
            lon_deg: center.lon_deg,
            radius_m,
            max_results: NEAR_MAX_RESULTS,
            filter: None,
            datum_of_alert_id: 0,
        };
        let mut phases: Vec<Phase> = Vec::new();
        let mut attack_notes: Vec<(String, String)> = Vec::new();
        phases.push(probe("quiet (no feed)", &mut c, &req, warm, calls, budget, &pid).await);

        // The feed, from now to the end of the attacks.
        let start = Instant::now() + Duration::from_millis(100);
        let end = start + Duration::from_secs(feed_s as u64);
        let sent = Arc::new(AtomicU64::new(0));
        let stop_feed = Arc::new(AtomicBool::new(false));
        let per_feed = rate as f64 / feeds as f64;
        let feeders: Vec<_> = socks
            .into_iter()
            .zip(feed)
            .map(|(sock, f)| {
                let (sent, stop) = (sent.clone(), stop_feed.clone());
                std::thread::spawn(move || feed_paced(sock, f, start, end, per_feed, sent, &stop))
            })
            .collect();
        tokio::time::sleep_until((start + SETTLE).into()).await;
        let fed = probe(&format!("feed {rate}/s"), &mut c, &req, warm, calls, budget, &pid).await;
        phases.push(fed);

        let one = Attacks::default();
        // The flood last but one: it leaves the pipeline a backlog that would spoil the next phase.
        let mut plan = vec![
            (format!("feed + {} idle connections", all.connections), Attacks { connections: all.connections, ..one }),
            (format!("feed + {} VesselsInArea polygon clients", all.area), Attacks { area: all.area, ..one }),
            (format!("feed + {} SubscribeTracks polygon streams", all.tracks), Attacks { tracks: all.tracks, ..one }),
            (format!("feed + {} PushDetections flood streams", all.flood), Attacks { flood: all.flood, ..one }),
        ];
        plan.retain(|(_, a)| a.connections + a.area + a.tracks + a.flood > 0);
        if with_all {
            plan.push(("feed + all four attacks".to_string(), all));
        }
        for (name, a) in plan {
            let attack = start_attack(attack_rt.handle(), a, server.grpc, center, fleet_radius_m);
            tokio::time::sleep(RAMP).await;
            phases.push(probe(&name, &mut c, &req, warm.min(attack_calls / 10), attack_calls, attack_budget, &pid).await);
            attack.stop.store(true, Ordering::Relaxed);
            let mut unfinished = 0;
            for t in attack.tasks {
                if tokio::time::timeout(ATTACK_STOP_TIMEOUT, t).await.is_err() {
                    unfinished += 1;
                }
            }
            let mut notes = Vec::new();
            for (what, o, n) in [
                ("VesselsInArea calls", &attack.area, a.area),
                ("SubscribeTracks streams", &attack.tracks, a.tracks),
                ("PushDetections calls", &attack.flood, a.flood),
                ("idle connections", &attack.conns, a.connections),
            ] {
                if n > 0 {
                    notes.push(format!("{what}: {}", o.summary()));
                }
            }
            if unfinished > 0 {
                notes.push(format!(
                    "{unfinished} attack tasks had no answer {ATTACK_STOP_TIMEOUT:?} after being told to stop (e.g. a PushDetections summary still awaited)"
                ));
            }
            attack_notes.push((name, notes.join("\n    ")));
            if let Some(why) = server.died() {
                panic!("{why}");
            }
        }
        stop_feed.store(true, Ordering::Relaxed);
        let mut blocked = Vec::new();
        for f in feeders {
            let (_sock, b) = f.join().unwrap();
            blocked.push((b.as_secs_f64() * 10.0).round() / 10.0);
        }
        let feed_window = (Instant::now().min(end) - start).as_secs_f64();
        report(&phases, &attack_notes, sent.load(Ordering::Relaxed), feed_window, rate, &blocked);
        println!("total {:.0} s", t0.elapsed().as_secs_f64());
    });
}

fn report(phases: &[Phase], attacks: &[(String, String)], sent: u64, feed_window: f64, rate: usize, blocked: &[f64]) {
    println!();
    println!(
        "VesselsNear ({NEAR_MAX_RESULTS} results, {NEAR_RADIUS_NM} nm), from this process over TCP to lookout serve:"
    );
    println!(
        "{:<48} {:>6} {:>8} {:>8} {:>8} {:>8} {:>6} {:>9} {:>10} {:>9} {:>7} {:>7}  load",
        "phase",
        "calls",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "errors",
        "in radius",
        "feed rep/s",
        "applied/s",
        "srv cpu",
        "bench"
    );
    for p in phases {
        let s = p.secs();
        let errs: usize = p.errors.values().sum();
        println!(
            "{:<48} {:>6} {:>8.3} {:>8.3} {:>8.3} {:>8.2} {:>6} {:>9.0} {:>10.0} {:>9.0} {:>6.0}% {:>6.0}%  {}{}",
            p.name,
            p.ms.len(),
            p.p(0.5),
            p.p(0.9),
            p.p(0.99),
            p.ms.last().copied().unwrap_or(f64::NAN),
            errs,
            p.mean_in_radius,
            (p.to.feed_messages - p.from.feed_messages) as f64 / s,
            (p.to.applied - p.from.applied) as f64 / s,
            (p.to.server_cpu_s - p.from.server_cpu_s) / s * 100.0,
            (p.to.bench_cpu_s - p.from.bench_cpu_s) / s * 100.0,
            p.load,
            if p.capped { " (time cap reached)" } else { "" }
        );
        if errs > 0 || p.short > 0 {
            println!("    errors {:?}; {} answers with fewer than {NEAR_MAX_RESULTS} vessels", p.errors, p.short);
        }
        let pushed = p.to.pushed - p.from.pushed;
        if pushed > 0 {
            println!("    detections pushed in the phase: {:.0}/s", pushed as f64 / s);
        }
    }
    println!("(srv cpu: the service's CPU time over the phase, 100 % = one core; bench: this process, feeders and attackers included)");
    println!();
    println!("feed: {sent} reports written in {feed_window:.1} s = {:.0}/s (target {rate}); feeders blocked in write {blocked:?} s", sent as f64 / feed_window);
    println!();
    println!("attacks, their own outcomes:");
    for (name, notes) in attacks {
        println!("  {name}:\n    {notes}");
    }
    println!();
    let fed = &phases[1];
    let quiet = &phases[0];
    let verdict = |ok: bool| if ok { "MET" } else { "NOT MET" };
    println!(
        "target VesselsNear under the feed p50 < {TARGET_P50_MS} ms: {:.3} ms, {}; p99 < {TARGET_P99_MS} ms: {:.3} ms, {}",
        fed.p(0.5),
        verdict(fed.p(0.5) < TARGET_P50_MS),
        fed.p(0.99),
        verdict(fed.p(0.99) < TARGET_P99_MS)
    );
    for p in &phases[2..] {
        let (r50, r99) = (p.p(0.5) / fed.p(0.5), p.p(0.99) / fed.p(0.99));
        let errs: usize = p.errors.values().sum();
        println!(
            "target {}: within {ATTACK_FACTOR}x of the feed without attack: p50 x{r50:.2}, p99 x{r99:.2}{}, {} (against no feed at all: p50 x{:.2}, p99 x{:.2})",
            p.name,
            if errs > 0 { format!(", {errs} calls failed") } else { String::new() },
            verdict(r50 <= ATTACK_FACTOR && r99 <= ATTACK_FACTOR && errs == 0),
            p.p(0.5) / quiet.p(0.5),
            p.p(0.99) / quiet.p(0.99),
        );
    }
}
