//! The command line as a user meets it: the real `lookout` binary, run as a
//! process, against real servers started here on ephemeral ports (plaintext
//! and TLS) or against nothing at all. Each test asserts the exit status and
//! the key words of what the user reads.

use crate::support::*;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use lookout_server::api::pb::{self, lookout_client::LookoutClient};
use lookout_server::config::Config;

fn run(args: &[&str]) -> Output {
    Command::new(LOOKOUT).args(args).env_remove("LOOKOUT_TOKEN").env_remove("LOOKOUT_CA").output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Asserts the exit status and that stderr holds every one of `words`.
#[track_caller]
fn expect(o: &Output, code: i32, words: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "stdout: {}\nstderr: {err}", stdout(o));
    for w in words {
        assert!(err.contains(w), "{w:?} not in stderr: {err}");
    }
}

/// Runs the binary off the async workers (the server under test runs on them).
async fn run_async(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&args)
    })
    .await
    .unwrap()
}

fn args(a: &[&str], server: &str) -> Vec<String> {
    a.iter().map(|s| s.to_string()).chain(["--server".to_string(), server.to_string()]).collect()
}

#[test]
fn nothing_listening_and_bad_schemes_say_so() {
    let port = free_port();
    let at = format!("127.0.0.1:{port}");
    let o = run(&["near", "35", "12", "--server", &at]);
    expect(&o, 1, &[&format!("connection refused at {at}"), "lookout serve"]);
    let o = run(&["alerts", "--server", &format!("http://{at}")]);
    expect(&o, 1, &["connection refused", "lookout serve"]);
    let o = run(&["stats", "--server", &format!("grpc://{at}")]);
    expect(&o, 1, &["http:// or https://", &format!("--server http://{at}")]);
    let o = run(&["stats", "--server", "no-such-host.invalid:50051"]);
    expect(&o, 1, &["cannot resolve", "no-such-host.invalid"]);
    let o = run(&["stats", "--server", &format!("http://{at}"), "--ca", "/nonexistent.pem"]);
    expect(&o, 1, &["--ca is for TLS", &format!("https://{at}")]);
}

#[test]
fn bad_values_list_the_good_ones_and_conflicts_are_refused() {
    let o = run(&["alerts", "--kind", "DARK"]);
    expect(&o, 2, &["DARK_TARGET", "OVERCROWDED", "ROUTE_DEVIATION"]);
    let o = run(&["alerts", "--min-severity", "urgent"]);
    expect(&o, 2, &["INFO", "CRITICAL"]);
    let o = run(&["token", "--name", "x", "--role", "boss"]);
    expect(&o, 2, &["viewer", "operator", "feeder", "analyst", "admin"]);
    let o = run(&["simulate", "--area", "atlantis", "-o", "/dev/null"]);
    expect(&o, 2, &["strait-of-sicily", "dover-strait"]);
    let o = run(&["alerts", "--follow", "--ended"]);
    expect(&o, 2, &["--follow", "--ended", "cannot be used"]);
    let o = run(&["area", "--bbox", "35,11,36"]);
    expect(&o, 2, &["MIN_LAT,MIN_LON,MAX_LAT,MAX_LON"]);
    // Names are taken in any case (the alert lines print them upper case).
    let o = run(&["token", "--name", "x", "--role", "VIEWER"]);
    expect(&o, 0, &["roles = [\"viewer\"]"]);
    // --help shows the values, and says what 0 means.
    let help = stdout(&run(&["alerts", "--help"]));
    assert!(help.contains("DARK_TARGET") && help.contains("CRITICAL"), "{help}");
    let help = stdout(&run(&["near", "--help"]));
    assert!(help.contains("0: the server's default") && help.contains("--json"), "{help}");
    let help = stdout(&run(&["replay", "--help"]));
    // FILES, or --archive with a window: either form is named.
    assert!(help.contains("[FILES]...") && help.contains("--progress") && help.contains("--archive"), "{help}");
}

#[test]
fn bad_input_is_not_success() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("alerts.jsonl");
    let o = run(&["replay", repo("README.md").to_str().unwrap(), "--alerts-out", out.to_str().unwrap()]);
    expect(&o, 1, &["no observations", "README.md", "lines not AIS"]);
    assert!(!out.exists(), "no empty alerts file that could pass for 'no alerts'");

    // The output is checked before an hour of recording is replayed.
    let t = Instant::now();
    let rec = repo("replay-data/central-med-scenario-1h.nmea.gz");
    let o = run(&["replay", rec.to_str().unwrap(), "--alerts-out", "/nonexistent/dir/x.jsonl"]);
    expect(&o, 1, &["--alerts-out", "/nonexistent/dir/x.jsonl"]);
    assert!(t.elapsed() < Duration::from_secs(2), "failed only after {:?}", t.elapsed());

    let o = run(&["replay", "/nonexistent.nmea", "--alerts-out", out.to_str().unwrap()]);
    expect(&o, 1, &["/nonexistent.nmea", "no such recording"]);

    let base = repo("replay-data/strait-of-sicily.baseline");
    let jpg = dir.path().join("map.jpg");
    let o = run(&["baseline", "render", base.to_str().unwrap(), "-o", jpg.to_str().unwrap()]);
    expect(&o, 1, &["PNG only", "map.png"]);
    assert!(!jpg.exists());
    assert!(!dir.path().join("map.pgw").exists(), "no world file for a refused picture");

    let o = run(&["baseline", "build", repo("README.md").to_str().unwrap(), "-o", "/nonexistent/dir/b"]);
    expect(&o, 1, &["--output", "/nonexistent/dir/b"]);
}

#[test]
fn long_commands_report_progress_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec.nmea");
    let alerts = dir.path().join("alerts.jsonl");
    let o = run(&["simulate", "--duration", "10m", "-o", rec.to_str().unwrap(), "--progress"]);
    expect(&o, 0, &["simulate: ", "% (", "simulated", "real time", "vessels"]);
    let o = run(&["replay", rec.to_str().unwrap(), "--alerts-out", alerts.to_str().unwrap(), "--progress"]);
    expect(&o, 0, &["replay: at ", "observations (", "/s)", "alerts from"]);
    let base = dir.path().join("b.baseline");
    let o = run(&["baseline", "build", rec.to_str().unwrap(), "-o", base.to_str().unwrap(), "--progress"]);
    expect(&o, 0, &["baseline: file 1/1", "MB read", "position reports"]);
    // Not a terminal and not asked: only the summary.
    let o = run(&["simulate", "--duration", "10m", "-o", rec.to_str().unwrap()]);
    expect(&o, 0, &["vessels"]);
    assert!(!stderr(&o).contains("simulate: "), "{}", stderr(&o));
}

/// A plaintext server with one AIS vessel, one dark drone contact and its
/// OVERCROWDED alert: every client command and its JSON, plus the errors of
/// https against plaintext.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_commands_against_a_plaintext_server() {
    let running = lookout_server::start(config_with_tcp_feed()).await.unwrap();
    let port = running.addr.port();
    let mut feed = tokio::net::TcpStream::connect(running.source_addrs["feed"]).await.unwrap();
    let mmsi = 247_000_001u32;
    let lines = format!("{}\n", position(mmsi, 35.40, 12.60));
    tokio::io::AsyncWriteExt::write_all(&mut feed, lines.as_bytes()).await.unwrap();
    let mut c = LookoutClient::connect(format!("http://{}", running.addr)).await.unwrap();
    assert_eq!(c.push_detections(tokio_stream::iter(vec![boat_look()])).await.unwrap().into_inner().accepted, 1);
    wait_until(10, "the vessel and the alert", || {
        let mut c = c.clone();
        async move {
            let s = c.stats(pb::StatsRequest {}).await.unwrap().into_inner();
            s.live_vessels == 1 && s.live_alerts >= 1
        }
    })
    .await;

    // A bare host:port and localhost are accepted.
    let bare = format!("127.0.0.1:{port}");
    let o = run_async(args(&["near", "35.3", "12.5"], &bare)).await;
    expect(&o, 0, &[]);
    let table = stdout(&o);
    assert!(table.contains(&mmsi.to_string()) && table.contains("BRG:") && table.contains("CPA:"), "{table}");
    let o = run_async(args(&["stats"], &format!("localhost:{port}"))).await;
    expect(&o, 0, &[]);
    assert!(stdout(&o).contains("1 live vessels"), "{}", stdout(&o));

    // https against plaintext: the handshake failure says to use http://.
    let o = run_async(args(&["stats"], &format!("https://127.0.0.1:{port}"))).await;
    expect(&o, 1, &["TLS", "plaintext", &format!("--server http://127.0.0.1:{port}")]);

    // JSON: one object per line, units in the names.
    let o = run_async(args(&["near", "35.3", "12.5", "--radius", "30nm", "--json"], &bare)).await;
    expect(&o, 0, &[]);
    let hits: Vec<serde_json::Value> = stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(hits.len(), 2, "{hits:?}");
    let ais = hits.iter().find(|h| h["vessel"]["mmsi"] == mmsi).expect("the AIS vessel");
    assert!(ais["distance_nm"].as_f64().unwrap() > 5.0 && ais["distance_m"].as_f64().unwrap() > 9000.0, "{ais}");
    assert!(ais["bearing_from_point_deg"].is_number() && ais["course_to_steer_deg"].is_number(), "{ais}");
    assert_eq!(ais["vessel"]["sog_kn"], 10.0);
    let dark = hits.iter().find(|h| h["vessel"]["mmsi"].is_null()).expect("the dark contact");
    assert_eq!(dark["vessel"]["dark"], true);
    assert!(dark["vessel"]["track_id"].as_u64().unwrap() > 0, "{dark}");

    let o = run_async(args(&["alerts", "--json"], &bare)).await;
    expect(&o, 0, &[]);
    let alerts: Vec<serde_json::Value> = stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let a = alerts.iter().find(|a| a["kind"] == "OVERCROWDED").expect("an OVERCROWDED alert");
    assert_eq!(a["rescue"], true);
    assert!(a["alert_id"].as_u64().is_some() && a["lat_deg"].is_number() && a["updated_at"].is_string(), "{a}");
    assert_eq!(a["persons_on_board"]["estimate"].as_u64().map(|n| n >= 60), Some(true), "{a}");
    let o = run_async(args(&["alerts", "--kind", "dark_target", "--min-severity", "critical", "--json"], &bare)).await;
    expect(&o, 0, &[]);
    assert!(stdout(&o).lines().all(|l| l.contains("\"DARK_TARGET\"")), "{}", stdout(&o));

    let o = run_async(args(&["vessel", &mmsi.to_string(), "--json"], &bare)).await;
    expect(&o, 0, &[]);
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["mmsi"], mmsi);
    assert!((v["lat_deg"].as_f64().unwrap() - 35.40).abs() < 1e-4, "{v}");
    assert_eq!(v["ais_class"], "A");
    let o = run_async(args(&["vessel", &mmsi.to_string()], &bare)).await;
    expect(&o, 0, &[]);
    assert!(stdout(&o).contains("35.40000, 12.60000"), "{}", stdout(&o));
    let o = run_async(args(&["vessel", "247000999"], &bare)).await;
    expect(&o, 1, &["247000999"]);

    let o = run_async(args(&["area", "--bbox", "35,12,36,13", "--json"], &bare)).await;
    expect(&o, 0, &["in the area"]);
    let vs: Vec<serde_json::Value> = stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(vs.iter().any(|v| v["mmsi"] == mmsi), "{vs:?}");
    let o = run_async(args(&["area", "--bbox", "40,0,41,1"], &bare)).await;
    expect(&o, 0, &[]);
    assert!(stdout(&o).starts_with("0 vessel(s)"), "{}", stdout(&o));

    let o = run_async(args(&["stats", "--json"], &bare)).await;
    expect(&o, 0, &[]);
    let s: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(s["live_vessels"], 1);
    assert_eq!(s["sources"][0]["name"], "feed");
    assert_eq!(s["sources"][0]["messages"], 1);

    // `alerts --follow` must not end quietly when the service goes away: it tries to
    // reconnect for --reconnect-for, then says it gave up and exits non-zero.
    let mut follow = Command::new(LOOKOUT)
        .args(args(&["alerts", "--follow", "--reconnect-for", "2s"], &bare))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(follow.stdout.take().unwrap());
    let (seen, mut out) = tokio::task::spawn_blocking(move || {
        let mut seen = String::new();
        while !seen.contains("following changes") {
            if out.read_line(&mut seen).unwrap() == 0 {
                break;
            }
        }
        (seen, out)
    })
    .await
    .unwrap();
    assert!(seen.contains("OVERCROWDED") && seen.contains("following changes"), "{seen}");
    running.stop().await;
    // Keep reading: the console prints that it is reconnecting (a closed pipe would
    // end it quietly, as `| head` does).
    let rest = std::thread::spawn(move || {
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
        rest
    });
    let o = tokio::task::spawn_blocking(move || follow.wait_with_output().unwrap()).await.unwrap();
    expect(&o, 1, &["no longer following", "gave up reconnecting after 2s"]);
    assert!(rest.join().unwrap().contains("reconnecting"), "it said it was trying");
}

/// Issue 18: a console following alerts survives a restart of the service: it
/// reconnects, subscribes again, and the new service's alerts reach it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_follow_reconnects_when_the_service_comes_back() {
    let port = free_port();
    let cfg = || Config::parse(&format!("[service]\nlisten = \"127.0.0.1:{port}\"\n")).unwrap();
    let first = lookout_server::start(cfg()).await.unwrap();
    let mut follow =
        Follower::spawn(&args(&["alerts", "--follow", "--reconnect-for", "60s"], &format!("127.0.0.1:{port}")));
    follow.until("following changes").await;
    first.stop().await;
    follow.until("reconnecting").await;
    // The service comes back on the same address, and a drone reports an overcrowded boat.
    let second = lookout_server::start(cfg()).await.unwrap();
    follow.until("reconnected").await;
    let mut c = LookoutClient::connect(format!("http://127.0.0.1:{port}")).await.unwrap();
    assert_eq!(c.push_detections(tokio_stream::iter(vec![boat_look()])).await.unwrap().into_inner().accepted, 1);
    follow.until("OVERCROWDED").await;
    let after = &follow.seen[follow.seen.find("reconnected").unwrap()..];
    assert!(after.contains("OVERCROWDED"), "the new service's alert reached the console:\n{}", follow.seen);
    drop(follow);
    second.stop().await;
}

/// Issue 18: `lookout tracks` follows the picture, says when the service goes away, and
/// after it comes back subscribes again and goes on printing (the drone's boat, a dark track).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracks_follow_the_picture_across_a_restart() {
    let port = free_port();
    let cfg = || Config::parse(&format!("[service]\nlisten = \"127.0.0.1:{port}\"\n")).unwrap();
    let first = lookout_server::start(cfg()).await.unwrap();
    let mut follow = Follower::spawn(&args(&["tracks", "--reconnect-for", "60s"], &format!("127.0.0.1:{port}")));
    follow.until("following changes").await;
    first.stop().await;
    follow.until("connection lost").await;
    let second = lookout_server::start(cfg()).await.unwrap();
    follow.until("reconnected").await;
    let mut c = LookoutClient::connect(format!("http://127.0.0.1:{port}")).await.unwrap();
    assert_eq!(c.push_detections(tokio_stream::iter(vec![boat_look()])).await.unwrap().into_inner().accepted, 1);
    follow.until(" T1").await;
    let after = &follow.seen[follow.seen.find("reconnected").unwrap()..];
    assert!(after.contains(" T1"), "the new service's dark track reached the console:\n{}", follow.seen);
    drop(follow);
    second.stop().await;
}

/// A TLS server: plaintext against it, and https without the right authority.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_mismatches_say_what_to_change() {
    let dir = tempfile::tempdir().unwrap();
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert, key) = (dir.path().join("server.pem"), dir.path().join("server.key"));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.key_pair.serialize_pem()).unwrap();
    let text = format!(
        "[service]\nlisten = \"127.0.0.1:0\"\n[service.tls]\ncert = {:?}\nkey = {:?}\n",
        cert.display().to_string(),
        key.display().to_string()
    );
    let running = lookout_server::start(Config::parse(&text).unwrap()).await.unwrap();
    let port = running.addr.port();
    let addr: SocketAddr = running.addr;

    // The TLS server drops the plaintext preface in one of several ways, by
    // timing (broken pipe, closed, reset, an alert read as a bad frame): each
    // must read the same.
    for cmd in ["stats", "alerts", "stats", "area", "stats"] {
        let extra: &[&str] = if cmd == "area" { &["--bbox", "35,11,36,12"] } else { &[] };
        let a: Vec<&str> = [cmd].into_iter().chain(extra.iter().copied()).collect();
        let o = run_async(args(&a, &format!("http://{addr}"))).await;
        expect(&o, 1, &["plaintext", &format!("--server https://{addr}"), "--ca"]);
    }
    let o = run_async(args(&["stats"], &format!("https://localhost:{port}"))).await;
    expect(&o, 1, &["not trusted", "--ca"]);
    // With the authority, a bare host:port means https:// and works.
    let mut a = args(&["stats", "--ca", cert.to_str().unwrap()], &format!("localhost:{port}"));
    let o = run_async(a.clone()).await;
    expect(&o, 0, &[]);
    assert!(stdout(&o).contains("live vessels"), "{}", stdout(&o));
    // An authority that did not sign it.
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let other_pem = dir.path().join("other.pem");
    std::fs::File::create(&other_pem).unwrap().write_all(other.cert.pem().as_bytes()).unwrap();
    a[2] = other_pem.to_str().unwrap().to_string();
    let o = run_async(a).await;
    expect(&o, 1, &["not trusted", "other.pem"]);
    running.stop().await;
}

/// `baseline render` writes the picture and, beside it, what GIS tools need to
/// place it: a six-line world file and the WGS 84 projection.
#[test]
fn baseline_render_writes_a_world_file_and_projection() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("sicily.png");
    let base = repo("replay-data/strait-of-sicily.baseline");
    let o = run(&["baseline", "render", base.to_str().unwrap(), "-o", png.to_str().unwrap()]);
    expect(&o, 0, &["sicily.png", "sicily.pgw", "sicily.prj", "EPSG:4326"]);
    let pgw = std::fs::read_to_string(dir.path().join("sicily.pgw")).unwrap();
    let v: Vec<f64> = pgw.lines().map(|l| l.parse().unwrap()).collect();
    assert_eq!(v.len(), 6, "{pgw}");
    // 2 km cells at 4 px each: about 0.0056 deg of longitude and 0.0045 of
    // latitude per pixel; the upper-left pixel a little west of the grid's
    // 11.4 E (the margin) and north of its 38.0 N (margin and title).
    assert!((v[0] - 0.0056).abs() < 2e-4 && v[1] == 0.0 && v[2] == 0.0 && (v[3] + 0.0045).abs() < 2e-4, "{pgw}");
    assert!((11.0..11.4).contains(&v[4]) && (38.0..38.5).contains(&v[5]), "{pgw}");
    assert!(std::fs::read_to_string(dir.path().join("sicily.prj")).unwrap().contains("WGS_1984"));

    // --format geotiff: one file, named .tif/.tiff (checked before any work), no world file.
    let tif = dir.path().join("sicily-geo.tif");
    let o = run(&["baseline", "render", base.to_str().unwrap(), "--format", "geotiff", "-o", tif.to_str().unwrap()]);
    expect(&o, 0, &["sicily-geo.tif", "GeoTIFF", "EPSG:4326"]);
    let bytes = std::fs::read(&tif).unwrap();
    // The tiff crate writes the machine's byte order.
    assert!(&bytes[..4] == b"II*\0" || &bytes[..4] == b"MM\0*", "a TIFF header: {:?}", &bytes[..4]);
    assert!(!dir.path().join("sicily-geo.pgw").exists());
    let wrong = dir.path().join("sicily-geo.png");
    let o = run(&["baseline", "render", base.to_str().unwrap(), "--format", "geotiff", "-o", wrong.to_str().unwrap()]);
    expect(&o, 1, &["--format geotiff", "sicily-geo.tif"]);
    assert!(!wrong.exists());
}

/// A `lookout serve` child process whose stderr (the log) is collected line by line.
struct Served {
    child: std::process::Child,
    log: std::sync::mpsc::Receiver<String>,
    seen: String,
}

impl Served {
    fn start(cwd: &Path, home: &Path, args: &[&str]) -> Served {
        let mut child = Command::new(LOOKOUT)
            .args(args)
            .current_dir(cwd)
            // Only the temporary home: never an install on this machine, nor the user's cache.
            .env("HOME", home)
            .env_remove("XDG_DATA_HOME")
            .env_remove("XDG_CACHE_HOME")
            .env("XDG_DATA_DIRS", home.join("no-system-data"))
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, log) = std::sync::mpsc::channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Served { child, log, seen: String::new() }
    }

    /// Reads the log until a line holds `what` (true) or the process has
    /// ended (false); panics after 30 s.
    fn wait_for(&mut self, what: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match self.log.recv_timeout(Duration::from_millis(200)) {
                Ok(line) => {
                    self.seen.push_str(&line);
                    self.seen.push('\n');
                    if line.contains(what) {
                        return true;
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return false,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            }
            assert!(Instant::now() < deadline, "no {what:?} in 30 s; log:\n{}", self.seen);
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a `cargo install`ed binary meets: a working directory without
/// `config/` or `replay-data/`. `serve --demo` writes its built-in demo data
/// to the XDG cache and plays it; `serve` alone runs on the built-in default
/// configuration; where nothing works, the error names every place looked at.
#[test]
fn installed_binary_serves_the_demo_from_an_empty_directory() {
    let cwd = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    // The demo on free ports (the default configuration's are fixed).
    let grpc = free_port();
    let console = free_port();
    let cfg = home.path().join("lookout.toml");
    std::fs::write(
        &cfg,
        format!("[service]\nlisten = \"127.0.0.1:{grpc}\"\n[console]\nlisten = \"127.0.0.1:{console}\"\n"),
    )
    .unwrap();
    let mut served = Served::start(cwd.path(), home.path(), &["serve", "--demo", "--config", cfg.to_str().unwrap()]);
    assert!(served.wait_for("lookout serving"), "serve --demo ended:\n{}", served.seen);
    let cache = home.path().join(".cache/lookout/demo");
    assert!(served.seen.contains(&cache.display().to_string()), "log names the demo data's place:\n{}", served.seen);
    assert!(served.seen.contains("baseline loaded"), "{}", served.seen);
    for f in ["central-med-scenario-1h.nmea.gz", "central-med-scenario-1h.jsonl", "strait-of-sicily.baseline"] {
        assert_eq!(std::fs::read(cache.join(f)).unwrap(), std::fs::read(repo(&format!("replay-data/{f}"))).unwrap());
    }
    // The service answers, with the demo recording flowing in.
    let server = format!("http://127.0.0.1:{grpc}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let o = run(&["stats", "--json", "--server", &server]);
        if o.status.success() {
            let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
            let demo = v["sources"].as_array().unwrap().iter().find(|s| s["name"] == "demo").cloned();
            if demo.is_some_and(|d| d["messages"].as_u64().unwrap_or(0) > 0) {
                break;
            }
        }
        assert!(Instant::now() < deadline, "no demo messages in 30 s: {}\nlog:\n{}", stderr(&o), served.seen);
        std::thread::sleep(Duration::from_millis(250));
    }
    drop(served);

    // No --config and no config/default.toml here: the built-in one, whose
    // gRPC address is 127.0.0.1:50051. That port is fixed and may be taken on
    // a shared machine, so failing to listen there proves it as well.
    let mut served = Served::start(cwd.path(), home.path(), &["serve"]);
    assert!(served.wait_for("built-in default configuration"), "log:\n{}", served.seen);
    served.wait_for("lookout serving");
    assert!(served.seen.contains("127.0.0.1:50051") || served.seen.contains("127.0.0.1:1011"), "{}", served.seen);
    drop(served);

    // Nowhere to put the built-in demo data: the error says where it looked.
    let not_a_dir = home.path().join("cache-is-a-file");
    std::fs::write(&not_a_dir, "").unwrap();
    let o = Command::new(LOOKOUT)
        .args(["serve", "--demo", "--config", cfg.to_str().unwrap()])
        .current_dir(cwd.path())
        .env("HOME", home.path())
        .env_remove("XDG_DATA_HOME")
        .env("XDG_CACHE_HOME", &not_a_dir)
        .env("XDG_DATA_DIRS", "/nonexistent-data")
        .output()
        .unwrap();
    let local = home.path().join(".local/share/lookout/replay-data");
    expect(
        &o,
        1,
        &[
            "replay-data",
            &local.display().to_string(),
            "/nonexistent-data/lookout/replay-data",
            &not_a_dir.join("lookout/demo").display().to_string(),
        ],
    );
}
