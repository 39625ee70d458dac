//! Helpers shared by the service tests: ports, clocks, the fixtures several files feed
//! the service with, and the `lookout` binary as a child process.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use lookout_server::api::pb::{self, lookout_client::LookoutClient};
use lookout_server::api::token_digest_hex;
use lookout_server::config::{Config, SourceConfig, SourceKind};
use lookout_sim::encode::PositionReport;
use tonic::transport::Channel;

/// The `lookout` binary cargo built for these tests.
pub const LOOKOUT: &str = env!("CARGO_BIN_EXE_lookout");

/// A path inside the repository (bundled config and replay data).
pub fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

/// A loopback port free right now (for configs that must name their port before the
/// service starts, such as a restart on the same address).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Wall-clock time, ms since the Unix epoch.
pub fn wall_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// `ms` since the Unix epoch as a protobuf timestamp.
pub fn timestamp(ms: i64) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds: ms.div_euclid(1000), nanos: (ms.rem_euclid(1000) * 1_000_000) as i32 }
}

/// A drone's look, now, at a 10 m rubber boat with 70 people heading 350° at 4 kn: an
/// OVERCROWDED (distress) alert opens at once.
pub fn drone_look(lat: f64, lon: f64, id: &str) -> pb::DetectionEvent {
    pb::DetectionEvent {
        time: Some(timestamp(wall_ms())),
        sensor_id: "drone-1".into(),
        sensor_kind: pb::SensorKind::Drone as i32,
        lat: Some(lat),
        lon: Some(lon),
        position_error_m: Some(25.0),
        course_deg: Some(350.0),
        speed_kn: Some(4.0),
        length_m: Some(10.0),
        vessel_class: pb::VesselClass::RubberBoat as i32,
        persons_counted: Some(70),
        count_confidence: Some(0.8),
        detection_id: id.into(),
        image_ref: format!("test://{id}.jpg"),
    }
}

/// [`drone_look`] south of Lampedusa (35.30 N 12.50 E), detection `look-1`.
pub fn boat_look() -> pb::DetectionEvent {
    drone_look(35.30, 12.50, "look-1")
}

/// An AIS type 1 sentence (no tag block): `mmsi` under way at 10 kn, course 000°.
pub fn position(mmsi: u32, lat: f64, lon: f64) -> String {
    PositionReport::under_way(mmsi, lat, lon, 10.0, 0.0).sentence()
}

/// An `[[operator]]` table: `name` holding `token` (stored as its SHA-256) with `roles`.
pub fn operator(name: &str, token: &str, roles: &[&str]) -> String {
    let roles: Vec<String> = roles.iter().map(|r| format!("\"{r}\"")).collect();
    format!(
        "[[operator]]\nname = \"{name}\"\ntoken_sha256 = \"{}\"\nroles = [{}]\n",
        token_digest_hex(token),
        roles.join(", ")
    )
}

/// gRPC on any free loopback port and one plain TCP feed (`feed`) on another.
pub fn config_with_tcp_feed() -> Config {
    let mut c = Config::parse("[service]\nlisten = \"127.0.0.1:0\"\n").unwrap();
    c.sources.push(SourceConfig {
        name: "feed".into(),
        format: None,
        allow_from: vec![],
        allow_unauthenticated: false,
        tls: None,
        kind: SourceKind::TcpListener { listen: "127.0.0.1:0".parse().unwrap() },
    });
    c
}

/// A plaintext gRPC client of the service at `addr`.
pub async fn client(addr: SocketAddr) -> LookoutClient<Channel> {
    LookoutClient::connect(format!("http://{addr}")).await.unwrap()
}

/// [`client`] connecting from another loopback address (`127.0.0.2`): another peer, for
/// the limits the service keeps per address.
pub async fn client_from_another_address(addr: SocketAddr) -> LookoutClient<Channel> {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .local_address(Some("127.0.0.2".parse().unwrap()))
        .connect()
        .await
        .unwrap();
    LookoutClient::new(channel)
}

/// Polls `f` every 20 ms until it holds; fails the test after `secs` seconds.
pub async fn wait_until<F, Fut>(secs: u64, what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !f().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `lookout serve --config <config>` as a child process, its log in a file; killed (SIGKILL)
/// when dropped.
pub struct Serve {
    pub child: Child,
    pub log: PathBuf,
}

impl Serve {
    /// Starts the binary from the repository root (so the config's relative paths resolve)
    /// with `RUST_LOG=info`, stderr to `log`.
    pub fn start(config: &Path, log: &Path) -> Serve {
        let child = Command::new(LOOKOUT)
            .args(["serve", "--config"])
            .arg(config)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .expect("start lookout serve");
        Serve { child, log: log.to_path_buf() }
    }

    /// Polls `ready` every 50 ms until it holds. Fails the test, with the service's log, if
    /// the process exits first or `secs` seconds pass.
    pub async fn wait_ready<F, Fut>(&mut self, secs: u64, what: &str, mut ready: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        while !ready().await {
            self.assert_running();
            assert!(tokio::time::Instant::now() < deadline, "{what} not within {secs} s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Fails the test, with the service's log, if the process has exited.
    pub fn assert_running(&mut self) {
        if let Some(status) = self.child.try_wait().unwrap() {
            panic!("lookout serve exited ({status}):\n{}", std::fs::read_to_string(&self.log).unwrap_or_default());
        }
    }

    /// SIGKILL: no handler runs, nothing is flushed. Waits for the process to be gone.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A `lookout` command that keeps printing (`alerts --follow`, `tracks`), its stdout read
/// line by line on a thread so the test can wait for words to appear.
pub struct Follower {
    child: Child,
    lines: tokio::sync::mpsc::UnboundedReceiver<String>,
    /// Everything printed so far.
    pub seen: String,
}

impl Follower {
    /// Spawns `lookout <args>`.
    pub fn spawn(args: &[String]) -> Follower {
        let mut child = Command::new(LOOKOUT)
            .args(args)
            .env_remove("LOOKOUT_TOKEN")
            .env_remove("LOOKOUT_CA")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = tokio::sync::mpsc::unbounded_channel::<String>();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        std::thread::spawn(move || {
            let mut line = String::new();
            while out.read_line(&mut line).unwrap_or(0) > 0 {
                let _ = tx.send(std::mem::take(&mut line));
            }
        });
        Follower { child, lines, seen: String::new() }
    }

    /// Waits (60 s at most) until `what` has been printed.
    pub async fn until(&mut self, what: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while !self.seen.contains(what) {
            match tokio::time::timeout_at(deadline, self.lines.recv()).await {
                Ok(Some(l)) => self.seen.push_str(&l),
                _ => panic!("never printed {what:?}:\n{}", self.seen),
            }
        }
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A simulated incident scenario in `dir` for the Strait of Sicily: `minutes` of AIS and
/// radar (`<name>.nmea`) and drone detections (`<name>.jsonl`) from simulator seed `seed`,
/// with the simulator's default anomalies and sensors; and a baseline learnt from
/// `normal_hours` of ordinary traffic (seed 2). Returns (the two input files, the baseline).
pub fn scenario(dir: &Path, name: &str, seed: u64, minutes: u32, normal_hours: u32) -> (Vec<PathBuf>, PathBuf) {
    use lookout_score::baseline::{observations_from_nmea, BaselineBuilder};
    use lookout_sim::{AnomalyConfig, SensorConfig, SimConfig};
    use std::io::Write;

    let (nmea, det) = (dir.join(format!("{name}.nmea")), dir.join(format!("{name}.jsonl")));
    let cfg = SimConfig { seed, duration_s: minutes * 60, ..Default::default() };
    let mut n = std::io::BufWriter::new(std::fs::File::create(&nmea).unwrap());
    let mut d = std::io::BufWriter::new(std::fs::File::create(&det).unwrap());
    lookout_sim::write_anomaly_scenario(
        &cfg,
        &SensorConfig::default(),
        &AnomalyConfig::default(),
        &mut n,
        &mut d,
        std::io::sink(),
        std::io::sink(),
    )
    .unwrap();
    n.flush().unwrap();
    d.flush().unwrap();
    let mut normal = Vec::new();
    let normal_cfg = SimConfig { seed: 2, duration_s: normal_hours * 3600, ..Default::default() };
    lookout_sim::write_recording(&normal_cfg, &mut normal).unwrap();
    let mut b = BaselineBuilder::new(lookout::cli::simulated_area("strait-of-sicily", 2000.0).unwrap());
    for o in observations_from_nmea(&normal[..]).unwrap() {
        b.add(&o);
    }
    let path = dir.join("normal.baseline");
    b.finish().save_path(&path).unwrap();
    (vec![nmea, det], path)
}

/// A bare drone plot from sensor `d1` at `t_s` (s since the Unix epoch): a position and its
/// error, no class, count or motion. What a flood or a cap test sends by the thousand.
pub fn plot(lat: f64, lon: f64, t_s: i64, error_m: f64) -> pb::DetectionEvent {
    pb::DetectionEvent {
        time: Some(prost_types::Timestamp { seconds: t_s, nanos: 0 }),
        sensor_id: "d1".into(),
        sensor_kind: pb::SensorKind::Drone as i32,
        lat: Some(lat),
        lon: Some(lon),
        position_error_m: Some(error_m),
        ..Default::default()
    }
}
