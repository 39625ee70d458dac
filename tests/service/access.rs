//! Access control over real TLS: a self-signed certificate made here with
//! `rcgen`, operators with bearer tokens whose SHA-256 is in the config, and a
//! real tonic client. The drone event is written here (a rubber boat with 70
//! people counted south of Lampedusa).

use crate::support::*;
use std::time::Duration;

use lookout::cli::{connect, RemoteArgs};
use lookout_server::api::pb::{self, lookout_client::LookoutClient};
use lookout_server::api::token_digest_hex;
use lookout_server::Config;
use tonic::Code;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_roles_and_tls_guard_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert, key) = (dir.path().join("server.pem"), dir.path().join("server.key"));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.key_pair.serialize_pem()).unwrap();
    let tokens = [
        ("watch-officer", "token-viewer-1", "viewer"),
        ("mrcc-rome", "token-operator-2", "operator"),
        ("drone-uplink", "token-feeder-3", "feeder"),
    ];
    let mut text = format!(
        "[service]\nlisten = \"127.0.0.1:0\"\n[service.tls]\ncert = {:?}\nkey = {:?}\n",
        cert.display().to_string(),
        key.display().to_string()
    );
    for (name, token, role) in tokens {
        text += &operator(name, token, &[role]);
    }
    let running = lookout_server::start(Config::parse(&text).unwrap()).await.unwrap();
    let remote = |token: Option<&str>| RemoteArgs {
        // The certificate names localhost; the server listens on 127.0.0.1.
        server: format!("https://localhost:{}", running.addr.port()),
        token: token.map(str::to_string),
        ca: Some(cert.clone()),
        purpose: None,
    };

    // Plain HTTP/2 to a TLS server gets nowhere.
    let plain = LookoutClient::connect(format!("http://127.0.0.1:{}", running.addr.port())).await;
    if let Ok(mut p) = plain {
        assert!(p.stats(pb::StatsRequest {}).await.is_err());
    }

    // No token, an unknown token: UNAUTHENTICATED.
    let mut anon = connect(&remote(None)).await.unwrap();
    assert_eq!(anon.stats(pb::StatsRequest {}).await.unwrap_err().code(), Code::Unauthenticated);
    let mut wrong = connect(&remote(Some("not-a-token"))).await.unwrap();
    assert_eq!(wrong.list_alerts(pb::ListAlertsRequest::default()).await.unwrap_err().code(), Code::Unauthenticated);

    // A viewer reads but may neither feed nor acknowledge, nor read the service's own
    // counters (its feeds' names and addresses): `Stats` is the admin's.
    let mut viewer = connect(&remote(Some("token-viewer-1"))).await.unwrap();
    viewer.list_sensors(pb::ListSensorsRequest {}).await.unwrap();
    let e = viewer.stats(pb::StatsRequest {}).await.unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
    assert!(e.message().contains("Admin"), "names the role it needs: {}", e.message());
    let e = viewer.push_detections(tokio_stream::iter(vec![boat_look()])).await.unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");

    // The drone uplink feeds an overcrowded boat in.
    let mut feeder = connect(&remote(Some("token-feeder-3"))).await.unwrap();
    assert_eq!(feeder.push_detections(tokio_stream::iter(vec![boat_look()])).await.unwrap().into_inner().accepted, 1);
    assert_eq!(feeder.list_alerts(pb::ListAlertsRequest::default()).await.unwrap_err().code(), Code::PermissionDenied);
    let mut id = None;
    for _ in 0..200 {
        if let Some(a) = viewer.list_alerts(pb::ListAlertsRequest::default()).await.unwrap().into_inner().alerts.first()
        {
            id = Some(a.alert_id);
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let id = id.expect("an OVERCROWDED alert");
    let ack = pb::AcknowledgeAlertRequest {
        alert_id: id,
        by: "somebody-else".into(),
        note: "patrol boat tasked".into(),
        close: false,
    };
    assert_eq!(viewer.acknowledge_alert(ack.clone()).await.unwrap_err().code(), Code::PermissionDenied);
    // An operator acknowledges, in their own name whatever the request says.
    let mut operator = connect(&remote(Some("token-operator-2"))).await.unwrap();
    let a = operator.acknowledge_alert(ack).await.unwrap().into_inner();
    assert_eq!(a.acknowledged.unwrap().by, "mrcc-rome");

    // Health checks stay open (no token), over TLS.
    let channel = tonic::transport::Channel::from_shared(remote(None).server)
        .unwrap()
        .tls_config(
            tonic::transport::ClientTlsConfig::new()
                .ca_certificate(tonic::transport::Certificate::from_pem(ck.cert.pem())),
        )
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    let h = health.check(tonic_health::pb::HealthCheckRequest { service: "lookout.v1.Lookout".into() }).await.unwrap();
    assert_eq!(h.into_inner().status, tonic_health::pb::health_check_response::ServingStatus::Serving as i32);
    running.stop().await;
}

#[test]
fn a_token_in_clear_where_its_digest_belongs_is_refused() {
    let e =
        Config::parse("[[operator]]\nname = \"x\"\ntoken_sha256 = \"my-secret\"\nroles = [\"viewer\"]\n").unwrap_err();
    assert!(e.to_string().contains("64 hex digits"), "{e}");
    let e = Config::parse(&format!(
        "[[operator]]\nname = \"x\"\ntoken_sha256 = \"{}\"\nroles = [\"captain\"]\n",
        token_digest_hex("t")
    ))
    .unwrap_err();
    assert!(e.to_string().contains("captain"), "{e}");
}

/// An AIS class A position report of `mmsi`, tag-blocked at `unix_s`.
fn ais_position(mmsi: u32, lat: f64, lon: f64, unix_s: i64) -> String {
    use lookout_sim::encode::{tag_block, PositionReport};
    format!("{}{}", tag_block("rx-1", unix_s), PositionReport::under_way(mmsi, lat, lon, 10.0, 90.0).sentence())
}

/// Issue 17: a rescue centre sees the distress and overcrowded alerts, and can ask who is
/// near; it does not see the rest of the surveillance picture, whatever its filter asks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rescue_role_sees_rescue_alerts_only() {
    let mut text = "[service]\nlisten = \"127.0.0.1:0\"\nclock = \"recording\"\n".to_string();
    for (name, token, role) in [
        ("mrcc-rescue", "token-rescue", "rescue"),
        ("watch", "token-viewer", "viewer"),
        ("feed", "token-feed", "feeder"),
    ] {
        text += &operator(name, token, &[role]);
    }
    let running = lookout_server::start(Config::parse(&text).unwrap()).await.unwrap();
    let remote = |token: &str| RemoteArgs {
        server: format!("http://127.0.0.1:{}", running.addr.port()),
        token: Some(token.to_string()),
        ca: None,
        purpose: None,
    };
    let mut feeder = connect(&remote("token-feed")).await.unwrap();
    // One identity in two places 40 nm apart, ten seconds at a time, for three minutes
    // (a POSITION_JUMP), then a drone's look at an overcrowded boat (OVERCROWDED, rescue).
    let t0 = wall_ms() / 1000 - 300;
    let lines: Vec<String> = (0..18)
        .map(|k| {
            let lon = if k % 2 == 0 { 12.0 } else { 12.8 };
            ais_position(247_000_555, 35.0, lon, t0 + 10 * k)
        })
        .collect();
    feeder.ingest(tokio_stream::iter(vec![pb::IngestRequest { source: "feed".into(), lines }])).await.unwrap();
    feeder.push_detections(tokio_stream::iter(vec![boat_look()])).await.unwrap();

    let mut viewer = connect(&remote("token-viewer")).await.unwrap();
    let mut kinds = Vec::new();
    for _ in 0..200 {
        let all = viewer.list_alerts(pb::ListAlertsRequest::default()).await.unwrap().into_inner().alerts;
        kinds = all.iter().map(|a| a.kind()).collect();
        if kinds.contains(&pb::AlertKind::PositionJump) && kinds.contains(&pb::AlertKind::Overcrowded) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(kinds.contains(&pb::AlertKind::PositionJump), "the viewer sees the position jump: {kinds:?}");

    let mut rescue = connect(&remote("token-rescue")).await.unwrap();
    let seen = rescue.list_alerts(pb::ListAlertsRequest::default()).await.unwrap().into_inner().alerts;
    assert!(!seen.is_empty() && seen.iter().all(|a| a.rescue), "rescue sees rescue alerts only: {seen:?}");
    let boat = seen.iter().find(|a| a.kind() == pb::AlertKind::Overcrowded).expect("the overcrowded boat");
    // The drone counted: the alert says the number is a count, from one look.
    assert_eq!(boat.persons_on_board.as_ref().unwrap().basis(), pb::PobBasis::Counted);
    assert!(boat.explanation.contains("1 look"), "{}", boat.explanation);
    // Asking for another kind does not widen it.
    let jump_only = pb::ListAlertsRequest {
        filter: Some(pb::AlertFilter { kinds: vec![pb::AlertKind::PositionJump as i32], ..Default::default() }),
        ..Default::default()
    };
    let none = rescue.list_alerts(jump_only).await.unwrap().into_inner();
    assert!(none.alerts.is_empty() && none.total == 0, "{none:?}");
    // Its stream opens with the same rescue alerts only.
    let mut stream = rescue.subscribe_alerts(pb::SubscribeAlertsRequest { filter: None }).await.unwrap().into_inner();
    while let Some(ev) = stream.message().await.unwrap() {
        match ev.event {
            Some(pb::alert_event::Event::Change(a)) => assert!(a.rescue, "{a:?}"),
            Some(pb::alert_event::Event::SnapshotComplete(_)) => break,
            _ => {}
        }
    }
    // Who can reach the boat: allowed. The rest of the picture: not.
    rescue
        .vessels_near(pb::VesselsNearRequest { lat_deg: 35.3, lon_deg: 12.5, radius_m: 50_000.0, ..Default::default() })
        .await
        .unwrap();
    let area = pb::VesselsInAreaRequest::default();
    assert_eq!(rescue.vessels_in_area(area).await.unwrap_err().code(), Code::PermissionDenied);
    assert_eq!(rescue.stats(pb::StatsRequest {}).await.unwrap_err().code(), Code::PermissionDenied);
    let ack = pb::AcknowledgeAlertRequest {
        alert_id: seen[0].alert_id,
        by: String::new(),
        note: String::new(),
        close: false,
    };
    assert_eq!(rescue.acknowledge_alert(ack).await.unwrap_err().code(), Code::PermissionDenied);
    running.stop().await;
}

/// Issue 17: tokens expire, and guessing is not free.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_tokens_are_refused_and_guessers_are_shut_out() {
    let text = format!(
        "[service]\nlisten = \"127.0.0.1:0\"\n\
         [[operator]]\nname = \"old-watch\"\ntoken_sha256 = \"{}\"\nroles = [\"viewer\"]\nexpires = \"2026-01-01T00:00:00Z\"\n\
         [[operator]]\nname = \"watch\"\ntoken_sha256 = \"{}\"\nroles = [\"viewer\"]\nexpires = \"2099-01-01T00:00:00Z\"\n",
        token_digest_hex("token-old"),
        token_digest_hex("token-new")
    );
    let running = lookout_server::start(Config::parse(&text).unwrap()).await.unwrap();
    let remote = |token: &str| RemoteArgs {
        server: format!("http://127.0.0.1:{}", running.addr.port()),
        token: Some(token.to_string()),
        ca: None,
        purpose: None,
    };
    let e = connect(&remote("token-old")).await.unwrap().stats(pb::StatsRequest {}).await.unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated);
    assert!(e.message().contains("expired"), "{}", e.message());
    let mut good = connect(&remote("token-new")).await.unwrap();
    good.list_alerts(pb::ListAlertsRequest::default()).await.expect("a token before its expiry works");
    // Guessing: after MAX_AUTH_FAILURES wrong tokens this address is shut out for the window,
    // even with a good token, and the refusal says why and for how long.
    let mut guesser = connect(&remote("guess-0")).await.unwrap();
    let mut wrong = 1; // the expired token above
    let e = loop {
        let e = guesser.stats(pb::StatsRequest {}).await.unwrap_err();
        if e.code() != Code::Unauthenticated {
            break e;
        }
        wrong += 1;
        assert!(wrong <= lookout_server::api::MAX_AUTH_FAILURES, "still guessing after {wrong} wrong tokens");
    };
    assert_eq!(wrong, lookout_server::api::MAX_AUTH_FAILURES);
    assert_eq!(e.code(), Code::ResourceExhausted, "{e:?}");
    assert!(e.message().contains("failed authentications"), "{}", e.message());
    assert_eq!(good.stats(pb::StatsRequest {}).await.unwrap_err().code(), Code::ResourceExhausted);
    running.stop().await;
}

#[test]
fn an_expiry_that_is_not_a_time_is_refused() {
    let e = Config::parse(&format!(
        "[[operator]]\nname = \"x\"\ntoken_sha256 = \"{}\"\nroles = [\"viewer\"]\nexpires = \"next tuesday\"\n",
        token_digest_hex("t")
    ))
    .unwrap_err();
    assert!(e.to_string().contains("RFC 3339"), "{e}");
}

/// Issue 17: with operators configured, a raw NMEA feed (which carries no token)
/// must be allowed on purpose, and `allow_from` keeps other senders out.
#[test]
fn an_unauthenticated_feed_must_be_meant() {
    let op = operator("watch", "token-watch", &["viewer"]);
    let feed = "[[source]]\nname = \"harbour-rx\"\nkind = \"udp\"\nlisten = \"127.0.0.1:0\"\n";
    let e = Config::parse(&format!("{op}{feed}")).unwrap_err().to_string();
    assert!(e.contains("harbour-rx") && e.contains("allow_unauthenticated"), "{e}");
    // Without operators nobody has a token anyway, and the feed is fine as it is.
    Config::parse(feed).unwrap();
    Config::parse(&format!("{op}{feed}allow_unauthenticated = true\nallow_from = [\"10.20.0.0/16\"]\n")).unwrap();
    let e = Config::parse(&format!("{feed}allow_from = [\"10.20.0.0/33\"]\n")).unwrap_err().to_string();
    assert!(e.contains("allow_from") || e.contains("prefix") || e.contains("invalid"), "{e}");
    let file = "[[source]]\nname = \"rec\"\nkind = \"file\"\npath = \"x.nmea\"\nallow_from = [\"10.0.0.0/8\"]\n";
    let e = Config::parse(file).unwrap_err().to_string();
    assert!(e.contains("allow_from applies to tcp_listener and udp"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn senders_outside_allow_from_are_refused_and_counted() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // 192.0.2.0/24 is TEST-NET-1: this test's loopback sender is never in it.
    let text = "[service]\nlisten = \"127.0.0.1:0\"\n\
        [[source]]\nname = \"udp-closed\"\nkind = \"udp\"\nlisten = \"127.0.0.1:0\"\nallow_from = [\"192.0.2.0/24\"]\n\
        [[source]]\nname = \"tcp-closed\"\nkind = \"tcp_listener\"\nlisten = \"127.0.0.1:0\"\nallow_from = [\"192.0.2.0/24\"]\n\
        [[source]]\nname = \"udp-open\"\nkind = \"udp\"\nlisten = \"127.0.0.1:0\"\nallow_from = [\"127.0.0.0/8\"]\n";
    let running = lookout_server::start(Config::parse(text).unwrap()).await.unwrap();
    let now = wall_ms() / 1000;
    let line = |mmsi, lat, lon| format!("{}\r\n", ais_position(mmsi, lat, lon, now).trim_end());
    let (a, b) = (line(247_000_301, 35.5, 12.6), line(247_000_302, 35.6, 12.7));
    let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    for _ in 0..5 {
        sender.send_to(a.as_bytes(), running.source_addrs["udp-closed"]).unwrap();
        sender.send_to(b.as_bytes(), running.source_addrs["udp-open"]).unwrap();
    }
    let mut tcp = tokio::net::TcpStream::connect(running.source_addrs["tcp-closed"]).await.unwrap();
    // The server closes the connection unread: the write may or may not be taken by the
    // kernel first, but the read ends (EOF or reset) and nothing reaches the picture.
    let _ = tcp.write_all(a.as_bytes()).await;
    let mut rest = Vec::new();
    let _ =
        tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut rest)).await.expect("closed by the server");

    let mut c = LookoutClient::connect(format!("http://{}", running.addr)).await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let stats = loop {
        let s = c.stats(pb::StatsRequest {}).await.unwrap().into_inner();
        let by = |n: &str| s.sources.iter().find(|x| x.name == n).cloned().unwrap();
        if by("udp-closed").peers_refused == 5 && by("tcp-closed").peers_refused == 1 && by("udp-open").lines == 5 {
            break s;
        }
        assert!(std::time::Instant::now() < deadline, "refusals not counted: {:?}", s.sources);
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    for name in ["udp-closed", "tcp-closed"] {
        let src = stats.sources.iter().find(|x| x.name == name).unwrap();
        assert_eq!(src.lines, 0, "{name} read nothing: {src:?}");
    }
    let v = c.get_vessel(pb::GetVesselRequest { mmsi: 247_000_301 }).await.unwrap_err();
    assert_eq!(v.code(), Code::NotFound, "a refused sender's vessel is not in the picture");
    c.get_vessel(pb::GetVesselRequest { mmsi: 247_000_302 }).await.expect("an allowed sender's vessel is");
    running.stop().await;
}

/// Issue 17: tokens are added and revoked without a restart. The real binary is sent
/// SIGHUP after its configuration file changed; a file that no longer loads changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_operators_without_a_restart() {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cfg = dir.path().join("lookout.toml");
    let with = |name: &str, token: &str| {
        format!("[service]\nlisten = \"127.0.0.1:{port}\"\n{}", operator(name, token, &["viewer"]))
    };
    std::fs::write(&cfg, with("night-watch", "token-night")).unwrap();
    let log = dir.path().join("serve.log");
    let serve = Serve::start(&cfg, &log);
    let remote = |token: &str| RemoteArgs {
        server: format!("http://127.0.0.1:{port}"),
        token: Some(token.to_string()),
        ca: None,
        purpose: None,
    };
    let call = |token: &'static str| {
        let r = remote(token);
        async move {
            match connect(&r).await {
                Ok(mut c) => c.list_alerts(pb::ListAlertsRequest::default()).await.map(|_| ()).map_err(|e| e.code()),
                Err(_) => Err(Code::Unavailable),
            }
        }
    };
    let until = |what: &'static str, token: &'static str, want: Result<(), Code>| async move {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let got = call(token).await;
            if got == want {
                return;
            }
            assert!(std::time::Instant::now() < deadline, "{what}: {got:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let hup = |pid: u32| assert!(Command::new("kill").args(["-HUP", &pid.to_string()]).status().unwrap().success());
    until("the night watch's token works", "token-night", Ok(())).await;
    assert_eq!(call("token-day").await, Err(Code::Unauthenticated));

    // The day watch takes over: its token is added and the night watch's revoked.
    // (Waiting on the log, not by trying the new token: failed tries count towards the
    // guessing limit.)
    std::fs::write(&cfg, with("day-watch", "token-day")).unwrap();
    hup(serve.child.id());
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(&log).unwrap().contains("operators reloaded") {
        assert!(std::time::Instant::now() < deadline, "SIGHUP reloads the operators");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(call("token-day").await, Ok(()), "the new token works after SIGHUP");
    assert_eq!(call("token-night").await, Err(Code::Unauthenticated), "the revoked token is refused");

    // A file that does not load changes nothing, and the service keeps running.
    std::fs::write(&cfg, "[service\nthis is not TOML").unwrap();
    hup(serve.child.id());
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(&log).unwrap().contains("not reloaded") {
        assert!(std::time::Instant::now() < deadline, "a bad file is reported");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(call("token-day").await, Ok(()), "operators unchanged by a bad file");

    // The accounts move to an operators file of their own (relative to the
    // configuration's folder), which is put in force when it changes: no signal.
    let accounts = dir.path().join("operators.toml");
    std::fs::write(&accounts, operator("day-watch", "token-day", &["viewer"])).unwrap();
    std::fs::write(&cfg, format!("operators_file = \"operators.toml\"\n[service]\nlisten = \"127.0.0.1:{port}\"\n"))
        .unwrap();
    hup(serve.child.id());
    until("operators from the file", "token-day", Ok(())).await;
    std::fs::write(&accounts, operator("relief-watch", "token-relief", &["viewer"])).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(&log).unwrap().contains("operators_file changed") {
        assert!(std::time::Instant::now() < deadline, "a changed operators file is put in force");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(call("token-relief").await, Ok(()), "an account added in the file works without a signal");
    assert_eq!(call("token-day").await, Err(Code::Unauthenticated), "one removed from it is refused");
}

/// Issue 17: every call is accountable. With an archive, each `lookout.v1` call — allowed
/// or refused — becomes an audit record (operator, method, peer, outcome) that only an
/// admin may list (`AuditLog`), and that `lookout archive verify` covers as a Merkle leaf.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_is_in_the_audit_log_and_the_log_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = [("watch-officer", "token-viewer-1", "viewer"), ("duty-admin", "token-admin-9", "admin")];
    let mut text = format!(
        "[service]\nlisten = \"127.0.0.1:0\"\n[archive]\ndir = {:?}\nfsync_interval = \"5ms\"\n",
        dir.path().join("archive").display().to_string()
    );
    for (name, token, role) in tokens {
        text += &operator(name, token, &[role]);
    }
    let running = lookout_server::start(Config::parse(&text).unwrap()).await.unwrap();
    let remote = |token: Option<&str>| RemoteArgs {
        server: format!("http://127.0.0.1:{}", running.addr.port()),
        token: token.map(str::to_string),
        ca: None,
        purpose: None,
    };
    let from = wall_ms() - 1000;
    let mut viewer = connect(&remote(Some("token-viewer-1"))).await.unwrap();
    viewer.list_alerts(pb::ListAlertsRequest::default()).await.unwrap();
    assert_eq!(viewer.stats(pb::StatsRequest {}).await.unwrap_err().code(), Code::PermissionDenied);
    let audit_req = || pb::AuditLogRequest {
        from: Some(prost_types::Timestamp { seconds: from / 1000, nanos: 0 }),
        ..Default::default()
    };
    assert_eq!(viewer.audit_log(audit_req()).await.unwrap_err().code(), Code::PermissionDenied);
    let mut stranger = connect(&remote(Some("not-a-token"))).await.unwrap();
    assert_eq!(stranger.list_alerts(pb::ListAlertsRequest::default()).await.unwrap_err().code(), Code::Unauthenticated);
    // A call that reaches its handler and fails there is recorded with its code too.
    let bad = viewer
        .vessels_near(pb::VesselsNearRequest { lat_deg: 95.0, lon_deg: 0.0, radius_m: 1.0, ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);

    let mut admin = connect(&remote(Some("token-admin-9"))).await.unwrap();
    let mut log = Vec::new();
    for _ in 0..100 {
        log = admin.audit_log(audit_req()).await.unwrap().into_inner().entries;
        if log.len() >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seen: Vec<(String, String, String)> = log
        .iter()
        .map(|e| {
            (e.operator.clone(), e.method.trim_start_matches("/lookout.v1.Lookout/").to_string(), e.outcome.clone())
        })
        .collect();
    let want = |op: &str, m: &str, o: &str| (op.to_string(), m.to_string(), o.to_string());
    for w in [
        want("watch-officer", "ListAlerts", "OK"),
        want("watch-officer", "Stats", "PERMISSION_DENIED"),
        want("watch-officer", "AuditLog", "PERMISSION_DENIED"),
        want("-", "ListAlerts", "UNAUTHENTICATED"),
        want("watch-officer", "VesselsNear", "INVALID_ARGUMENT"),
    ] {
        assert!(seen.contains(&w), "{w:?} not in the audit log: {seen:?}");
    }
    assert!(log.iter().all(|e| e.peer.starts_with("127.0.0.1:")), "{log:?}");
    let denied = log.iter().find(|e| e.outcome == "PERMISSION_DENIED").unwrap();
    assert!(denied.reason.contains("watch-officer lacks the Admin role"), "{denied:?}");
    // Only this operator's calls.
    let mine = admin
        .audit_log(pb::AuditLogRequest { operator: "watch-officer".into(), ..audit_req() })
        .await
        .unwrap()
        .into_inner()
        .entries;
    assert!(!mine.is_empty() && mine.iter().all(|e| e.operator == "watch-officer"), "{mine:?}");
    running.stop().await;
    // The audit records are leaves of the archive's Merkle log: verify covers them.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lookout"))
        .args(["archive", "verify"])
        .arg(dir.path().join("archive"))
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}{}", String::from_utf8_lossy(&out.stderr));
    let leaves: u64 = report.split(" Merkle leaves").next().unwrap().rsplit(' ').next().unwrap().parse().unwrap();
    assert!(leaves >= 5, "{report}");
}

/// A certificate authority, and a certificate it signs for `name` (a server's DNS name, or
/// a feeder's): PEM (cert, key) of each.
fn authority() -> (rcgen::Certificate, rcgen::KeyPair) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.distinguished_name.push(rcgen::DnType::CommonName, "lookout test authority");
    (params.self_signed(&key).unwrap(), key)
}

fn signed(name: &str, ca: &(rcgen::Certificate, rcgen::KeyPair)) -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec![name.to_string()]).unwrap();
    params.distinguished_name.push(rcgen::DnType::CommonName, name);
    (params.signed_by(&key, &ca.0, &ca.1).unwrap().pem(), key.serialize_pem())
}

/// A server certificate for localhost that `ca` signed, its key, and `ca`'s own
/// certificate, written as PEM files in `dir`: their paths (cert, key, ca).
fn server_pems(dir: &std::path::Path, ca: &(rcgen::Certificate, rcgen::KeyPair)) -> (String, String, String) {
    let (cert, key) = signed("localhost", ca);
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    (write("server.pem", &cert), write("server.key", &key), write("ca.pem", &ca.0.pem()))
}

/// Issue 17, authenticated feeds: a `tcp_listener` with `tls = { cert, key, client_ca }`
/// takes NMEA only from a sender whose client certificate the authority signed. A
/// certificate from another authority, no certificate and plaintext are refused before a
/// line is read, counted in `peers_refused` and logged with the peer; with operators
/// configured such a feed needs no `allow_unauthenticated`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_feed_takes_nmea_only_from_certified_senders() {
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls;
    let dir = tempfile::tempdir().unwrap();
    let ca = authority();
    let (cert, key, client_ca) = server_pems(dir.path(), &ca);
    let text = format!(
        "[service]\nlisten = \"127.0.0.1:0\"\n{}\
         [[source]]\nname = \"station\"\nkind = \"tcp_listener\"\nlisten = \"127.0.0.1:0\"\n\
         tls = {{ cert = {cert:?}, key = {key:?}, client_ca = {client_ca:?} }}\n",
        operator("watch", "token-watch", &["admin"])
    );
    let running = lookout_server::start(Config::parse(&text).unwrap()).await.unwrap();
    let feed = running.source_addrs["station"];

    // A client that trusts the feed's authority, presenting `client` (cert, key) if any.
    let connect = |client: Option<(String, String)>| {
        let ca_pem = ca.0.pem();
        async move {
            use rustls::pki_types::pem::PemObject as _;
            use rustls::pki_types::{CertificateDer, PrivateKeyDer};
            let mut roots = rustls::RootCertStore::empty();
            roots.add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap()).unwrap();
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let builder = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots);
            let config = match client {
                Some((c, k)) => builder
                    .with_client_auth_cert(
                        vec![CertificateDer::from_pem_slice(c.as_bytes()).unwrap()],
                        PrivateKeyDer::from_pem_slice(k.as_bytes()).unwrap(),
                    )
                    .unwrap(),
                None => builder.with_no_client_auth(),
            };
            let tcp = tokio::net::TcpStream::connect(feed).await.unwrap();
            let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
            tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await
        }
    };
    let live = |mmsi: u32| {
        let shared = running.shared.clone();
        move || {
            let shared = shared.clone();
            async move { shared.engine.read().picture().get(mmsi).is_some() }
        }
    };

    // Certified: its report reaches the picture.
    let mut good = connect(Some(signed("lampedusa-ais-1", &ca))).await.expect("a certified sender");
    good.write_all(format!("{}\n", position(247_000_001, 35.5, 12.6)).as_bytes()).await.unwrap();
    good.flush().await.unwrap();
    wait_until(20, "the certified sender's vessel", live(247_000_001)).await;

    // Another authority's certificate, and none at all: refused by the handshake, and
    // whatever they send never reaches the picture.
    let other = authority();
    for (what, client) in [("another authority", Some(signed("intruder", &other))), ("no certificate", None)] {
        // TLS 1.3 finishes the client's side before the server has checked its
        // certificate: the refusal shows as an alert on the first read.
        if let Ok(mut s) = connect(client).await {
            let _ = s.write_all(format!("{}\n", position(247_000_002, 35.6, 12.7)).as_bytes()).await;
            let _ = s.flush().await;
            let mut buf = [0u8; 16];
            let read = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf)).await.expect(what);
            assert!(matches!(read, Ok(0) | Err(_)), "{what}: the feed hangs up: {read:?}");
        }
    }
    // Plaintext NMEA where TLS is required.
    let mut plain = tokio::net::TcpStream::connect(feed).await.unwrap();
    let _ = plain.write_all(format!("{}\n", position(247_000_003, 35.7, 12.8)).as_bytes()).await;
    let mut buf = [0u8; 16];
    let _ = tokio::time::timeout(Duration::from_secs(10), plain.read(&mut buf)).await.expect("plaintext hung up");

    let refused = || {
        let shared = running.shared.clone();
        async move { shared.sources.all().iter().find(|s| s.name == "station").unwrap().state.lock().peers_refused }
    };
    wait_until(20, "three refusals counted", || async { refused().await == 3 }).await;
    for mmsi in [247_000_002, 247_000_003] {
        assert!(!live(mmsi)().await, "{mmsi}: an uncertified sender's report reached the picture");
    }
    drop(good);
    running.stop().await;
}

/// Issue 17, mTLS on gRPC: with `[service.tls] client_ca`, a feeder is known by its
/// client certificate's subject (`certificate_subject`), and with
/// `feeders_need_certificates` no feeder may use a bearer token. People keep their tokens
/// and need no certificate. A certificate from another authority fails the handshake; one
/// from the right authority whose subject is nobody's gets UNAUTHENTICATED naming it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_client_certificates_name_feeders_by_subject() {
    use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};
    let dir = tempfile::tempdir().unwrap();
    let ca = authority();
    let (cert, key, client_ca) = server_pems(dir.path(), &ca);
    let tls = format!(
        "[service]\nlisten = \"127.0.0.1:0\"\n[service.tls]\ncert = {cert:?}\nkey = {key:?}\nclient_ca = {client_ca:?}\n\
         feeders_need_certificates = true\n"
    );
    // A feeder with a token where certificates are required is a configuration error.
    let e = Config::parse(&(tls.clone() + &operator("uplink", "token-uplink", &["feeder"]))).unwrap_err().to_string();
    assert!(e.contains("feeder needs certificate_subject"), "{e}");
    let text = tls
        + "[[operator]]\nname = \"drone-uplink\"\ncertificate_subject = \"CN=drone-uplink-1\"\nroles = [\"feeder\"]\n"
        + &operator("watch-officer", "token-viewer-1", &["viewer"]);
    let running = lookout_server::start(Config::parse(&text).unwrap()).await.unwrap();
    let channel = |identity: Option<(String, String)>| {
        let ca_pem = ca.0.pem();
        let port = running.addr.port();
        async move {
            let mut tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(ca_pem)).domain_name("localhost");
            if let Some((c, k)) = identity {
                tls = tls.identity(Identity::from_pem(c, k));
            }
            let ch = Channel::from_shared(format!("https://127.0.0.1:{port}")).unwrap().tls_config(tls).unwrap();
            LookoutClient::new(ch.connect().await.unwrap())
        }
    };

    // The certified feeder pushes without any token, and is still only a feeder.
    let mut feeder = channel(Some(signed("drone-uplink-1", &ca))).await;
    let pushed = feeder.push_detections(tokio_stream::iter(vec![boat_look()])).await.unwrap().into_inner();
    assert_eq!(pushed.accepted, 1);
    let e = feeder.list_alerts(pb::ListAlertsRequest::default()).await.unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
    assert!(e.message().contains("drone-uplink"), "in the feeder's name: {}", e.message());

    // A person with a token and no certificate still gets in.
    let mut viewer = channel(None).await;
    let mut req = tonic::Request::new(pb::ListSensorsRequest {});
    req.metadata_mut().insert("authorization", "Bearer token-viewer-1".parse().unwrap());
    viewer.list_sensors(req).await.unwrap();
    // Without either: UNAUTHENTICATED.
    let e = viewer.push_detections(tokio_stream::iter(vec![boat_look()])).await.unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated, "{e:?}");

    // The right authority, but a subject no operator has.
    let mut stranger = channel(Some(signed("drone-uplink-2", &ca))).await;
    let e = stranger.push_detections(tokio_stream::iter(vec![boat_look()])).await.unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated, "{e:?}");
    assert!(e.message().contains("CN=drone-uplink-2"), "names the subject: {}", e.message());

    // Another authority's certificate with the right subject: the handshake refuses it
    // (TLS 1.3 reports it on the first exchange), and nothing is accepted.
    let other = authority();
    let (c, k) = signed("drone-uplink-1", &other);
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(ca.0.pem()))
        .domain_name("localhost")
        .identity(Identity::from_pem(c, k));
    let forged = Channel::from_shared(format!("https://127.0.0.1:{}", running.addr.port())).unwrap().tls_config(tls);
    if let Ok(ch) = forged.unwrap().connect().await {
        let e = LookoutClient::new(ch).push_detections(tokio_stream::iter(vec![boat_look()])).await.unwrap_err();
        // The connection ends (the server's TLS alert: Unknown, Cancelled or Unavailable
        // as the race goes); it never reaches the API's own answers.
        assert!(!matches!(e.code(), Code::Unauthenticated | Code::PermissionDenied), "{e:?}");
    }
    let failures = || running.shared.grpc_connections.handshake_failures.load(std::sync::atomic::Ordering::Relaxed);
    wait_until(10, "the forged certificate's failed handshake", || async { failures() >= 1 }).await;
    running.stop().await;
}

/// Issue 17: an audit without an archive. `[audit] path` keeps every call in an archive of
/// its own (segments, hash chain, Merkle log), listed by `AuditLog` and checked by
/// `lookout archive verify`, which names the record where a flipped byte breaks it.
/// History still needs `[archive]`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_audit_of_its_own_needs_no_archive_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit");
    let text = format!(
        "[service]\nlisten = \"127.0.0.1:0\"\n[audit]\npath = {:?}\nfsync_interval = \"5ms\"\n{}{}",
        audit.display().to_string(),
        operator("watch-officer", "token-viewer-1", &["viewer", "analyst"]),
        operator("duty-admin", "token-admin-9", &["admin"])
    );
    let running = lookout_server::start(Config::parse(&text).unwrap()).await.unwrap();
    let remote = |token: &str| RemoteArgs {
        server: format!("http://127.0.0.1:{}", running.addr.port()),
        token: Some(token.to_string()),
        ca: None,
        purpose: None,
    };
    let from = wall_ms() - 1000;
    let mut viewer = connect(&remote("token-viewer-1")).await.unwrap();
    viewer.list_alerts(pb::ListAlertsRequest::default()).await.unwrap();
    assert_eq!(viewer.stats(pb::StatsRequest {}).await.unwrap_err().code(), Code::PermissionDenied);
    let e = viewer
        .vessel_history(pb::VesselHistoryRequest {
            mmsi: 247_000_001,
            from: Some(prost_types::Timestamp { seconds: from / 1000, nanos: 0 }),
            to: Some(prost_types::Timestamp { seconds: from / 1000 + 60, nanos: 0 }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "history needs [archive]: {e:?}");
    let mut admin = connect(&remote("token-admin-9")).await.unwrap();
    let req = pb::AuditLogRequest {
        from: Some(prost_types::Timestamp { seconds: from / 1000, nanos: 0 }),
        ..Default::default()
    };
    let mut methods = Vec::new();
    for _ in 0..100 {
        let log = admin.audit_log(req.clone()).await.unwrap().into_inner().entries;
        methods = log.iter().map(|e| (e.method.rsplit('/').next().unwrap().to_string(), e.outcome.clone())).collect();
        if methods.len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for want in [("ListAlerts", "OK"), ("Stats", "PERMISSION_DENIED"), ("VesselHistory", "FAILED_PRECONDITION")] {
        assert!(methods.contains(&(want.0.to_string(), want.1.to_string())), "{want:?} not in {methods:?}");
    }
    running.stop().await;

    let verify = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_lookout"))
            .arg("verify")
            .arg("--audit")
            .arg(&audit)
            .output()
            .unwrap()
    };
    let out = verify();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    // One flipped byte inside a record, in the open segment of the evidence lane.
    let segment = walk(&audit).into_iter().find(|p| p.to_string_lossy().contains("evidence")).expect("a segment");
    let mut bytes = std::fs::read(&segment).unwrap();
    let at = bytes.len() - 20;
    bytes[at] ^= 0x01;
    std::fs::write(&segment, bytes).unwrap();
    let out = verify();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && said.contains("BROKEN") && said.contains("record"), "{said}");
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Issue 17: an operator with an `area` sees nothing outside it — on queries, the tracks
/// stream, alerts and history — while an unrestricted one does; and the audit records the
/// role, purpose, what was asked and how many results were answered. One server: an
/// archive, an AIS vessel inside the region, one outside and one that crosses its edge,
/// and a drone's overcrowded boat on each side.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_area_restricted_operator_sees_nothing_outside_its_area_and_the_audit_says_what_was_asked() {
    use pb::track_event::Event as Track;
    let dir = tempfile::tempdir().unwrap();
    // The region: 35.0–35.6 N, 12.2–12.8 E (south-west of Lampedusa), as [lat, lon] vertices.
    let region = "area = [[35.0, 12.2], [35.0, 12.8], [35.6, 12.8], [35.6, 12.2]]\n";
    let inside = |lat: f64, lon: f64| (35.0..=35.6).contains(&lat) && (12.2..=12.8).contains(&lon);
    let mut text = format!(
        "[service]\nlisten = \"127.0.0.1:0\"\n[archive]\ndir = {:?}\nfsync_interval = \"5ms\"\n",
        dir.path().join("archive").display().to_string()
    );
    text += &operator("sicily", "token-sicily", &["viewer", "analyst"]);
    text += region;
    text += &operator("rome", "token-rome", &["viewer", "analyst"]);
    text += &operator("feed", "token-feed", &["feeder"]);
    text += &operator("duty-admin", "token-admin", &["admin"]);
    let running = lookout_server::start(Config::parse(&text).unwrap()).await.unwrap();
    let remote = |token: &str| RemoteArgs {
        server: format!("http://127.0.0.1:{}", running.addr.port()),
        token: Some(token.to_string()),
        ca: None,
        purpose: None,
    };
    let (mut sicily, mut rome) =
        (connect(&remote("token-sicily")).await.unwrap(), connect(&remote("token-rome")).await.unwrap());
    let mut feeder = connect(&remote("token-feed")).await.unwrap();
    let (inner, outer, edge) = (247_000_701u32, 247_000_702u32, 247_000_703u32);
    let t0 = wall_ms() / 1000 - 300;
    let ingest = |lines: Vec<String>| pb::IngestRequest { source: "feed".into(), lines };
    let first = vec![
        ais_position(inner, 35.30, 12.40, t0),
        ais_position(outer, 36.50, 14.00, t0),
        ais_position(edge, 35.59, 12.50, t0),
    ];
    feeder.ingest(tokio_stream::iter(vec![ingest(first)])).await.unwrap();
    let looks = vec![drone_look(35.30, 12.50, "look-in"), drone_look(36.50, 14.00, "look-out")];
    feeder.push_detections(tokio_stream::iter(looks)).await.unwrap();

    // The unrestricted operator sees both boats' alerts and the vessel outside.
    let mut all = Vec::new();
    for _ in 0..400 {
        all = rome.list_alerts(pb::ListAlertsRequest::default()).await.unwrap().into_inner().alerts;
        if all.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let at = |a: &pb::Alert| a.position.as_ref().map(|p| (p.lat_deg, p.lon_deg)).unwrap();
    assert!(all.iter().any(|a| !inside(at(a).0, at(a).1)), "rome sees the boat outside: {all:?}");
    rome.get_vessel(pb::GetVesselRequest { mmsi: outer }).await.expect("rome sees the vessel outside");

    // Alerts: only the boat inside, on the list and on the stream's snapshot.
    let seen = sicily.list_alerts(pb::ListAlertsRequest::default()).await.unwrap().into_inner();
    assert_eq!(seen.alerts.len(), 1, "{seen:?}");
    assert_eq!(seen.total, 1, "the count leaves the outside alert out too");
    assert!(inside(at(&seen.alerts[0]).0, at(&seen.alerts[0]).1), "{seen:?}");
    let outside_alert = all.iter().find(|a| !inside(at(a).0, at(a).1)).unwrap().alert_id;
    let near_alert =
        pb::VesselsNearRequest { datum_of_alert_id: outside_alert, radius_m: 1000.0, ..Default::default() };
    assert_eq!(sicily.vessels_near(near_alert).await.unwrap_err().code(), Code::NotFound);
    let mut alerts = sicily.subscribe_alerts(pb::SubscribeAlertsRequest { filter: None }).await.unwrap().into_inner();
    let mut snapshot = Vec::new();
    while let Some(ev) = alerts.message().await.unwrap() {
        match ev.event {
            Some(pb::alert_event::Event::Snapshot(a)) => snapshot.push(a),
            Some(pb::alert_event::Event::SnapshotComplete(_)) => break,
            _ => {}
        }
    }
    assert_eq!(snapshot.len(), 1, "{snapshot:?}");
    assert!(inside(at(&snapshot[0]).0, at(&snapshot[0]).1));
    // Live: a boat found outside, then one inside; only the one inside is sent.
    let looks = vec![drone_look(36.60, 14.10, "look-out-2"), drone_look(35.40, 12.60, "look-in-2")];
    feeder.push_detections(tokio_stream::iter(looks)).await.unwrap();
    tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(ev) = alerts.message().await.unwrap() {
            if let Some(pb::alert_event::Event::Change(a)) = ev.event {
                assert!(inside(at(&a).0, at(&a).1), "sent an alert outside: {a:?}");
                if at(&a) == (35.40, 12.60) {
                    return;
                }
            }
        }
        panic!("the stream ended");
    })
    .await
    .expect("the new boat inside is sent");
    drop(alerts);

    // GetVessel: the vessel outside is NOT_FOUND in the words an unknown MMSI gets.
    sicily.get_vessel(pb::GetVesselRequest { mmsi: inner }).await.expect("the vessel inside");
    let hidden = sicily.get_vessel(pb::GetVesselRequest { mmsi: outer }).await.unwrap_err();
    let unknown = sicily.get_vessel(pb::GetVesselRequest { mmsi: 247_000_799 }).await.unwrap_err();
    assert_eq!(hidden.code(), Code::NotFound);
    assert_eq!(hidden.message().replace(&outer.to_string(), "?"), unknown.message().replace("247000799", "?"));

    // VesselsNear and VesselsInArea over both sides.
    let near = pb::VesselsNearRequest { lat_deg: 35.9, lon_deg: 13.2, radius_m: 150_000.0, ..Default::default() };
    let pos = |v: &pb::Vessel| v.position.as_ref().map(|p| (p.lat_deg, p.lon_deg)).unwrap();
    let wide = rome.vessels_near(near.clone()).await.unwrap().into_inner();
    assert!(wide.vessels.iter().any(|h| h.vessel.as_ref().unwrap().mmsi == outer), "{wide:?}");
    let narrow = sicily.vessels_near(near).await.unwrap().into_inner();
    let near_mmsis: Vec<u32> = narrow.vessels.iter().map(|h| h.vessel.as_ref().unwrap().mmsi).collect();
    assert!(near_mmsis.contains(&inner), "{near_mmsis:?}");
    for h in &narrow.vessels {
        let (lat, lon) = pos(h.vessel.as_ref().unwrap());
        assert!(inside(lat, lon), "sicily was shown a vessel at {lat},{lon}");
    }
    assert_eq!(narrow.total_in_radius as usize, narrow.vessels.len());
    let bbox = |min_lat, min_lon, max_lat, max_lon| pb::Area {
        shape: Some(pb::area::Shape::Bbox(pb::BoundingBox {
            min_lat_deg: min_lat,
            min_lon_deg: min_lon,
            max_lat_deg: max_lat,
            max_lon_deg: max_lon,
        })),
    };
    let in_area = pb::VesselsInAreaRequest { area: Some(bbox(34.0, 11.0, 37.0, 15.0)), ..Default::default() };
    let wide = rome.vessels_in_area(in_area.clone()).await.unwrap().into_inner();
    assert!(wide.vessels.iter().any(|v| v.mmsi == outer));
    let narrow = sicily.vessels_in_area(in_area).await.unwrap().into_inner();
    assert!(narrow.vessels.iter().any(|v| v.mmsi == inner));
    assert!(narrow.vessels.iter().all(|v| inside(pos(v).0, pos(v).1)), "{narrow:?}");
    assert_eq!(narrow.total_in_area as usize, narrow.vessels.len());

    // SubscribeTracks: the snapshot holds the vessels inside; the edge vessel is seen to
    // leave when it crosses out, and the vessel outside is never sent, though it moves.
    let mut tracks = sicily.subscribe_tracks(pb::SubscribeTracksRequest::default()).await.unwrap().into_inner();
    let mut members = Vec::new();
    while let Some(ev) = tracks.message().await.unwrap() {
        match ev.event {
            Some(Track::Snapshot(v)) => members.push(v),
            Some(Track::SnapshotComplete(_)) => break,
            _ => {}
        }
    }
    assert!(members.iter().any(|v| v.mmsi == edge) && members.iter().all(|v| inside(pos(v).0, pos(v).1)));
    let later = vec![ais_position(outer, 36.51, 14.00, t0 + 290), ais_position(edge, 35.61, 12.50, t0 + 290)];
    feeder.ingest(tokio_stream::iter(vec![ingest(later)])).await.unwrap();
    let left = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(ev) = tracks.message().await.unwrap() {
            match ev.event {
                Some(Track::Exited(x)) if x.mmsi == edge => return x,
                Some(Track::Entered(v) | Track::Update(v) | Track::Snapshot(v)) => {
                    assert!(inside(pos(&v).0, pos(&v).1), "sent a vessel outside: {v:?}")
                }
                _ => {}
            }
        }
        panic!("the stream ended");
    })
    .await
    .expect("the edge vessel is seen to leave");
    assert_eq!(left.reason(), pb::vessel_exited::Reason::LeftArea);
    drop(tracks);

    // History: the archive holds both sides; the restricted analyst gets its side only.
    let window = |from_ms: i64| (Some(timestamp(from_ms)), Some(timestamp(wall_ms() + 60_000)));
    let (from, to) = window(wall_ms() - 3_600_000);
    let area_history = pb::AreaHistoryRequest { area: Some(bbox(34.0, 11.0, 37.0, 15.0)), from, to, max_results: 0 };
    let mut wide = Vec::new();
    for _ in 0..400 {
        wide = rome.area_history(area_history.clone()).await.unwrap().into_inner().vessels;
        if wide.iter().any(|v| v.mmsi == outer) && wide.iter().any(|v| v.mmsi == edge && v.points.len() == 2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(wide.iter().any(|v| v.mmsi == outer), "rome's history has the vessel outside: {wide:?}");
    let mut asked = tonic::Request::new(area_history);
    asked.metadata_mut().insert("lookout-purpose", "case 2026-117".parse().unwrap());
    let narrow = sicily.area_history(asked).await.unwrap().into_inner().vessels;
    assert!(narrow.iter().any(|v| v.mmsi == inner), "{narrow:?}");
    for v in &narrow {
        assert!(v.points.iter().all(|p| inside(p.lat_deg, p.lon_deg)), "{v:?}");
    }
    let vessel_history = |mmsi| pb::VesselHistoryRequest { mmsi, from, to, max_results: 0 };
    assert!(sicily.vessel_history(vessel_history(outer)).await.unwrap().into_inner().points.is_empty());
    let edge_points = sicily.vessel_history(vessel_history(edge)).await.unwrap().into_inner().points;
    assert_eq!(edge_points.len(), 1, "only its position inside: {edge_points:?}");
    assert_eq!(rome.vessel_history(vessel_history(edge)).await.unwrap().into_inner().points.len(), 2);
    // An alert outside is unknown to AlertHistory, and Replay gives its side only.
    let outside_history = pb::AlertHistoryRequest { alert_id: outside_alert };
    rome.alert_history(outside_history).await.expect("rome may read the alert outside");
    let hidden = sicily.alert_history(outside_history).await.unwrap_err();
    assert_eq!(hidden.code(), Code::NotFound, "{hidden:?}");
    let replay = |from, to| pb::ReplayRequest { from, to, area: None, speed: 0.0 };
    let played = |mut s: tonic::Streaming<pb::ReplayEvent>| async move {
        let (mut positions, mut alerts) = (Vec::new(), Vec::new());
        while let Some(ev) = s.message().await.unwrap() {
            match ev.event {
                Some(pb::replay_event::Event::Position(p)) => positions.push(p),
                Some(pb::replay_event::Event::Alert(a)) => alerts.push(a.alert.unwrap()),
                Some(pb::replay_event::Event::End(_)) => break,
                None => {}
            }
        }
        (positions, alerts)
    };
    let (positions, alerts) = played(rome.replay(replay(from, to)).await.unwrap().into_inner()).await;
    assert!(positions.iter().any(|p| p.mmsi == outer) && alerts.iter().any(|a| a.alert_id == outside_alert));
    let (positions, alerts) = played(sicily.replay(replay(from, to)).await.unwrap().into_inner()).await;
    assert!(positions.iter().any(|p| p.mmsi == inner) && !alerts.is_empty());
    for p in &positions {
        let pt = p.point.as_ref().unwrap();
        assert!(inside(pt.lat_deg, pt.lon_deg), "replayed outside: {p:?}");
    }
    assert!(alerts.iter().all(|a| inside(at(a).0, at(a).1)), "{alerts:?}");

    // The audit: role, purpose, what was asked and how much was answered.
    let mut admin = connect(&remote("token-admin")).await.unwrap();
    let audit_req = pb::AuditLogRequest {
        from: Some(timestamp(wall_ms() - 600_000)),
        operator: "sicily".into(),
        ..Default::default()
    };
    let mut log = Vec::new();
    for _ in 0..200 {
        log = admin.audit_log(audit_req.clone()).await.unwrap().into_inner().entries;
        if log.iter().any(|e| e.method.ends_with("/VesselHistory")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let entry = |method: &str, args: &str| {
        log.iter()
            .find(|e| e.method.ends_with(method) && e.args == args)
            .unwrap_or_else(|| panic!("no {method} {args:?} in {log:#?}"))
    };
    let got = entry("/GetVessel", &format!("mmsi {inner}"));
    assert_eq!(
        (got.role.as_str(), got.purpose.as_str(), got.results, got.outcome.as_str()),
        ("viewer", "surveillance", Some(1), "OK")
    );
    let got = entry("/GetVessel", &format!("mmsi {outer}"));
    assert_eq!((got.outcome.as_str(), got.results), ("NOT_FOUND", None));
    let got = entry("/VesselsNear", "near 35.90000,13.20000 r=150000 m");
    assert_eq!(got.results, Some(near_mmsis.len() as u64));
    let got = log.iter().find(|e| e.method.ends_with("/AreaHistory")).expect("AreaHistory audited");
    assert_eq!((got.role.as_str(), got.purpose.as_str()), ("analyst", "investigation: case 2026-117"));
    assert!(got.args.starts_with("area bbox 34.000,11.000..37.000,15.000 "), "{}", got.args);
    assert_eq!(got.results, Some(narrow.iter().map(|v| v.points.len() as u64).sum()));
    let got = log.iter().find(|e| e.method.ends_with("/SubscribeTracks")).expect("SubscribeTracks audited");
    assert_eq!((got.args.as_str(), got.results), ("tracks world", None), "a stream: no count at start");
    let got = log.iter().find(|e| e.method.ends_with("/ListAlerts")).expect("ListAlerts audited");
    assert_eq!((got.args.as_str(), got.results), ("alerts world", Some(1)));
    running.stop().await;
}

/// Issue 17: every role, allowed and denied, on every `lookout.v1` method, over a real
/// server: a call its role lacks is PERMISSION_DENIED naming the role it needs; any other
/// answer (OK, or an error about the request itself) means the access layer let it through.
/// The expected table is the README's, written out here, not read from the code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_may_call_what_the_readme_says_and_nothing_else() {
    const METHODS: [&str; 19] = [
        "VesselsNear",
        "GetVessel",
        "VesselsInArea",
        "SubscribeTracks",
        "Ingest",
        "PushDetections",
        "Stats",
        "SubscribeAlerts",
        "ListAlerts",
        "AcknowledgeAlert",
        "ListSensors",
        "VesselHistory",
        "AlertHistory",
        "AuditLog",
        "Replay",
        "AreaHistory",
        "PlaceHold",
        "ReleaseHold",
        "ListHolds",
    ];
    // Every method of the service is in the list: a new one must be added here.
    let descriptor = <prost_types::FileDescriptorSet as prost::Message>::decode(pb::FILE_DESCRIPTOR_SET).unwrap();
    let mut in_proto: Vec<&str> = descriptor
        .file
        .iter()
        .flat_map(|f| f.service.iter())
        .filter(|s| s.name() == "Lookout")
        .flat_map(|s| s.method.iter().map(|m| m.name()))
        .collect();
    let mut listed = METHODS.to_vec();
    in_proto.sort_unstable();
    listed.sort_unstable();
    assert_eq!(listed, in_proto, "the test's methods and the proto's");

    let viewer = [
        "VesselsNear",
        "GetVessel",
        "VesselsInArea",
        "SubscribeTracks",
        "ListAlerts",
        "SubscribeAlerts",
        "ListSensors",
    ];
    let allowed = |role: &str, method: &str| match role {
        "viewer" => viewer.contains(&method),
        "operator" => viewer.contains(&method) || method == "AcknowledgeAlert",
        "rescue" => ["VesselsNear", "GetVessel", "ListAlerts", "SubscribeAlerts"].contains(&method),
        "analyst" => ["VesselHistory", "AlertHistory", "Replay", "AreaHistory"].contains(&method),
        "feeder" => ["Ingest", "PushDetections"].contains(&method),
        _ => true,
    };
    let dir = tempfile::tempdir().unwrap();
    let roles = ["viewer", "operator", "rescue", "analyst", "feeder", "admin"];
    let mut text = format!(
        "[service]\nlisten = \"127.0.0.1:0\"\n[archive]\ndir = {:?}\nfsync_interval = \"5ms\"\n",
        dir.path().join("archive").display().to_string()
    );
    for r in roles {
        text += &operator(r, &format!("token-{r}"), &[r]);
    }
    let running = lookout_server::start(Config::parse(&text).unwrap()).await.unwrap();
    let mut wrong = Vec::new();
    for role in roles {
        let remote = RemoteArgs {
            server: format!("http://127.0.0.1:{}", running.addr.port()),
            token: Some(format!("token-{role}")),
            ca: None,
            purpose: None,
        };
        let mut c = connect(&remote).await.unwrap();
        for method in METHODS {
            let got = call(&mut c, method).await;
            if (got == Code::PermissionDenied) == allowed(role, method) {
                wrong.push(format!("{role} on {method}: {got:?}"));
            }
        }
    }
    assert!(wrong.is_empty(), "roles against the README's table:\n{}", wrong.join("\n"));
    running.stop().await;
}

/// Calls `method` with a small request; its code (OK when it answered).
async fn call(c: &mut lookout::cli::Client, method: &str) -> Code {
    fn code<T>(r: Result<T, tonic::Status>) -> Code {
        r.err().map_or(Code::Ok, |s| s.code())
    }
    let now = wall_ms() / 1000;
    let t = |s: i64| Some(prost_types::Timestamp { seconds: s, nanos: 0 });
    match method {
        "VesselsNear" => code(
            c.vessels_near(pb::VesselsNearRequest {
                lat_deg: 35.5,
                lon_deg: 12.5,
                radius_m: 1000.0,
                ..Default::default()
            })
            .await,
        ),
        "GetVessel" => code(c.get_vessel(pb::GetVesselRequest { mmsi: 247_000_001 }).await),
        "VesselsInArea" => code(c.vessels_in_area(pb::VesselsInAreaRequest::default()).await),
        "SubscribeTracks" => code(c.subscribe_tracks(pb::SubscribeTracksRequest::default()).await),
        "Ingest" => {
            let first = pb::IngestRequest { source: "feeder".into(), lines: vec![] };
            code(c.ingest(tokio_stream::iter(vec![first])).await)
        }
        "PushDetections" => code(c.push_detections(tokio_stream::iter(vec![boat_look()])).await),
        "Stats" => code(c.stats(pb::StatsRequest {}).await),
        "SubscribeAlerts" => code(c.subscribe_alerts(pb::SubscribeAlertsRequest::default()).await),
        "ListAlerts" => code(c.list_alerts(pb::ListAlertsRequest::default()).await),
        "AcknowledgeAlert" => {
            code(c.acknowledge_alert(pb::AcknowledgeAlertRequest { alert_id: 999, ..Default::default() }).await)
        }
        "ListSensors" => code(c.list_sensors(pb::ListSensorsRequest {}).await),
        "VesselHistory" => code(
            c.vessel_history(pb::VesselHistoryRequest {
                mmsi: 247_000_001,
                from: t(now - 60),
                to: t(now),
                ..Default::default()
            })
            .await,
        ),
        "AlertHistory" => code(c.alert_history(pb::AlertHistoryRequest { alert_id: 999 }).await),
        "AuditLog" => code(c.audit_log(pb::AuditLogRequest { from: t(now - 60), ..Default::default() }).await),
        "Replay" => code(c.replay(pb::ReplayRequest { from: t(now - 60), to: t(now), ..Default::default() }).await),
        "AreaHistory" => code(c.area_history(pb::AreaHistoryRequest::default()).await),
        "PlaceHold" => code(c.place_hold(pb::PlaceHoldRequest::default()).await),
        "ReleaseHold" => code(c.release_hold(pb::ReleaseHoldRequest { name: "none".into() }).await),
        "ListHolds" => code(c.list_holds(pb::ListHoldsRequest {}).await),
        other => panic!("no call for {other}"),
    }
}
