//! End-to-end tests: the real server on ephemeral ports, fed NMEA over real
//! TCP, UDP and gRPC sockets, queried with a real tonic client.
//!
//! Sentences and their expected decodes come from gpsd's test suite
//! (`../shared/corpora/conformance/gpsd/test_sample.aivdm` and its `.chk`;
//! BSD-2-Clause, decodes checked there against noaadata and Maritec):
//! - type 1, MMSI 371798000: 48.381633 N, 123.395383 W, SOG 12.3 kn, COG 224°, heading 215°;
//! - type 1, MMSI 440348000: 43.080150 N, 70.758200 W, SOG 0;
//! - type 5 (two sentences), MMSI 351759000: EVER DIADEM, 3FOF8, IMO 9134270,
//!   type 70, 225+70 m by 1+31 m, draught 12.2 m, NEW YORK.

use crate::support::*;
use std::io::Write as _;
use std::net::TcpListener as StdListener;
use std::time::Duration;

use lookout_server::api::pb::{self, lookout_client::LookoutClient, track_event::Event};
use lookout_server::config::{Config, SourceConfig, SourceKind};
use tokio::io::AsyncWriteExt;
use tonic::transport::Channel;
use tonic::Code;

const T1_371798000: &str = "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A";
const T1_440348000: &str = "!AIVDM,1,1,,A,16SteH0P00Jt63hHaa6SagvJ087r,0*42";
const T5_351759000: [&str; 2] = [
    "!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C",
    "!AIVDM,2,2,1,A,88888888880,2*25",
];

/// `!body*hh` with the NMEA checksum (XOR of the body's bytes).
fn with_checksum(body: &str) -> String {
    let x = body.bytes().fold(0u8, |a, b| a ^ b);
    format!("!{body}*{x:02X}")
}

fn base_config() -> Config {
    let mut c = Config::parse("[service]\nlisten = \"127.0.0.1:0\"\nheartbeat = \"200ms\"\n").unwrap();
    c.sources.push(SourceConfig {
        name: "tcp-in".into(),
        format: None,
        allow_from: vec![],
        allow_unauthenticated: false,
        tls: None,
        kind: SourceKind::TcpListener { listen: "127.0.0.1:0".parse().unwrap() },
    });
    c.sources.push(SourceConfig {
        name: "udp-in".into(),
        format: None,
        allow_from: vec![],
        allow_unauthenticated: false,
        tls: None,
        kind: SourceKind::Udp { listen: "127.0.0.1:0".parse().unwrap(), recv_buffer_bytes: 1 << 20 },
    });
    c
}

/// Polls `GetVessel` until the MMSI appears (ingest is asynchronous).
async fn wait_vessel(c: &mut LookoutClient<Channel>, mmsi: u32, pred: impl Fn(&pb::Vessel) -> bool) -> pb::Vessel {
    for _ in 0..200 {
        if let Ok(v) = c.get_vessel(pb::GetVesselRequest { mmsi }).await {
            let v = v.into_inner();
            if pred(&v) {
                return v;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("vessel {mmsi} never appeared as expected");
}

async fn next(s: &mut tonic::Streaming<pb::TrackEvent>) -> pb::TrackEvent {
    tokio::time::timeout(Duration::from_secs(5), s.message())
        .await
        .expect("event within 5 s")
        .unwrap()
        .expect("stream open")
}

async fn source_stats(c: &mut LookoutClient<Channel>, name: &str) -> pb::SourceStats {
    let s = c.stats(pb::StatsRequest {}).await.unwrap().into_inner();
    s.sources.into_iter().find(|s| s.name == name).unwrap_or_else(|| panic!("no source {name}"))
}

#[tokio::test]
async fn tcp_feed_builds_the_picture_and_survives_garbage() {
    let running = lookout_server::start(base_config()).await.unwrap();
    let mut c = client(running.addr).await;
    let mut feed = tokio::net::TcpStream::connect(running.source_addrs["tcp-in"]).await.unwrap();
    let mut junk = Vec::new();
    junk.extend_from_slice(b"\x00\xff\xfe garbage \x07\n");
    junk.extend_from_slice(b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4B\n"); // bad checksum
    junk.extend_from_slice(&vec![b'A'; 1 << 20]); // 1 MB without a newline
    junk.extend_from_slice(b"\n");
    junk.extend_from_slice(b"$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\n");
    junk.extend_from_slice(format!("{}\n", with_checksum("AIVDM,2,2,7,A,88888888880,2")).as_bytes()); // orphan second fragment
    feed.write_all(&junk).await.unwrap();
    let lines = format!("{T1_371798000}\r\n{}\n{}\n", T5_351759000[0], T5_351759000[1]);
    feed.write_all(lines.as_bytes()).await.unwrap();
    feed.flush().await.unwrap();

    let v = wait_vessel(&mut c, 351759000, |v| v.static_data.as_ref().is_some_and(|s| s.name.is_some())).await;
    let s = v.static_data.unwrap();
    assert_eq!(s.name.as_deref(), Some("EVER DIADEM"));
    assert_eq!(s.callsign.as_deref(), Some("3FOF8"));
    assert_eq!(s.imo, Some(9134270));
    assert_eq!(s.ship_type, Some(70));
    assert_eq!(s.ship_class, pb::ShipClass::Cargo as i32);
    assert_eq!((s.to_bow_m, s.to_stern_m, s.to_port_m, s.to_starboard_m), (Some(225), Some(70), Some(1), Some(31)));
    assert_eq!(s.length_m, Some(295.0));
    assert_eq!(s.destination.as_deref(), Some("NEW YORK"));
    assert_eq!(s.draught_m, Some(12.2));
    assert!(v.position.is_none(), "a static message carries no position");

    let v = wait_vessel(&mut c, 371798000, |_| true).await;
    let p = v.position.unwrap();
    assert!((p.lat_deg - 48.381633).abs() < 1e-5 && (p.lon_deg + 123.395383).abs() < 1e-5, "{p:?}");
    assert_eq!(v.sog_kn, Some(12.3));
    assert_eq!(v.cog_deg, Some(224.0));
    assert_eq!(v.heading_deg, Some(215));
    assert_eq!(v.ais_class, pb::AisClass::A as i32);
    assert_eq!(v.last_source, "tcp-in");

    // The lone second fragment waits for its first (fragments may arrive
    // reversed) until the feeder disconnects: then it is counted as an orphan
    // (a message whose first fragment never came).
    drop(feed);
    let mut st = source_stats(&mut c, "tcp-in").await;
    for _ in 0..100 {
        if st.fragments_orphan == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        st = source_stats(&mut c, "tcp-in").await;
    }
    assert_eq!(st.fragments_orphan, 1, "{st:?}");
    assert_eq!(st.bad_checksum, 1, "{st:?}");
    assert_eq!(st.oversize, 1, "{st:?}");
    assert!(st.not_ais >= 2, "garbage and GPGGA are not AIS: {st:?}");
    assert_eq!(st.messages, 2, "{st:?}");
    assert_eq!(st.messages_by_type.get(&5), Some(&1));
    running.stop().await;
}

#[tokio::test]
async fn udp_and_grpc_ingest_and_rescue_queries() {
    let running = lookout_server::start(base_config()).await.unwrap();
    let mut c = client(running.addr).await;

    // UDP, as AIS-catcher sends it: one datagram, CRLF line ends.
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.send_to(format!("{T1_440348000}\r\n").as_bytes(), running.source_addrs["udp-in"]).unwrap();
    let v = wait_vessel(&mut c, 440348000, |_| true).await;
    assert_eq!(v.last_source, "udp-in");
    assert_eq!(v.heading_deg, None, "heading 511 is 'not available'");

    // gRPC client-streaming ingest, with a bad line in the middle.
    let reqs = vec![
        pb::IngestRequest { source: "console-7".into(), lines: vec![T1_371798000.into(), "not nmea at all".into()] },
        pb::IngestRequest { source: String::new(), lines: T5_351759000.iter().map(|s| s.to_string()).collect() },
    ];
    let summary = c.ingest(tokio_stream::iter(reqs)).await.unwrap().into_inner().stats.unwrap();
    assert_eq!(summary.name, "console-7");
    assert_eq!(summary.kind, "grpc");
    assert_eq!(summary.lines, 4);
    assert_eq!(summary.messages, 2);
    assert_eq!(summary.not_ais, 1);
    wait_vessel(&mut c, 371798000, |v| v.last_source == "console-7").await;

    // Ingest without a source name is refused, naming the field.
    let err =
        c.ingest(tokio_stream::iter(vec![pb::IngestRequest { source: "".into(), lines: vec![] }])).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("source"), "{}", err.message());

    // VesselsNear from a distress position 5 nm south-west of 371798000.
    let r = c
        .vessels_near(pb::VesselsNearRequest {
            lat_deg: 48.32,
            lon_deg: -123.48,
            radius_m: 20.0 * 1852.0,
            max_results: 10,
            filter: None,
            datum_of_alert_id: 0,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.total_in_radius, 1);
    let h = &r.vessels[0];
    assert_eq!(h.vessel.as_ref().unwrap().mmsi, 371798000);
    assert!(h.distance_nm > 3.0 && h.distance_nm < 7.0, "{}", h.distance_nm);
    assert!(
        (h.bearing_from_point_deg - 45.0).abs() < 20.0,
        "vessel lies NE of the point: {}",
        h.bearing_from_point_deg
    );
    assert!((h.course_to_steer_deg - 225.0).abs() < 20.0, "steers SW: {}", h.course_to_steer_deg);
    let eta = h.eta_s.unwrap();
    assert!((eta - h.distance_m / (12.3 * 1852.0 / 3600.0)).abs() < 1.0);
    assert!(h.cpa.is_some(), "a vessel under way has a CPA");

    // Impossible arguments: INVALID_ARGUMENT naming the field.
    for (req, field) in [
        (pb::VesselsNearRequest { lat_deg: 95.0, lon_deg: 0.0, radius_m: 100.0, ..Default::default() }, "lat_deg"),
        (pb::VesselsNearRequest { lat_deg: 0.0, lon_deg: 200.0, radius_m: 100.0, ..Default::default() }, "lon_deg"),
        (pb::VesselsNearRequest { lat_deg: 0.0, lon_deg: 0.0, radius_m: -5.0, ..Default::default() }, "radius_m"),
        (pb::VesselsNearRequest { lat_deg: 0.0, lon_deg: 0.0, radius_m: f64::NAN, ..Default::default() }, "radius_m"),
        (
            pb::VesselsNearRequest {
                lat_deg: 0.0,
                lon_deg: 0.0,
                radius_m: 10.0,
                max_results: 5000,
                ..Default::default()
            },
            "max_results",
        ),
        (
            pb::VesselsNearRequest {
                lat_deg: 0.0,
                lon_deg: 0.0,
                radius_m: 10.0,
                filter: Some(pb::VesselFilter { min_length_m: -1.0, ..Default::default() }),
                ..Default::default()
            },
            "filter.min_length_m",
        ),
    ] {
        let e = c.vessels_near(req).await.unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument);
        assert!(e.message().contains(field), "{field}: {}", e.message());
    }
    let e = c
        .vessels_in_area(pb::VesselsInAreaRequest {
            area: Some(pb::Area { shape: Some(pb::area::Shape::Polygon(pb::Polygon { vertices: vec![] })) }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e.message().contains("area.polygon.vertices"), "{}", e.message());
    let e = c.vessels_in_area(pb::VesselsInAreaRequest::default()).await.unwrap_err();
    assert!(e.message().contains("area"), "{}", e.message());
    let e = c.get_vessel(pb::GetVesselRequest { mmsi: 123456789 }).await.unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    let e = c.get_vessel(pb::GetVesselRequest { mmsi: 0 }).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);

    // VesselsInArea: a box around Juan de Fuca holds 371798000 only; a polygon too.
    let bbox = pb::Area {
        shape: Some(pb::area::Shape::Bbox(pb::BoundingBox {
            min_lat_deg: 48.0,
            min_lon_deg: -124.0,
            max_lat_deg: 49.0,
            max_lon_deg: -123.0,
        })),
    };
    let r = c
        .vessels_in_area(pb::VesselsInAreaRequest { area: Some(bbox), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.vessels.iter().map(|v| v.mmsi).collect::<Vec<_>>(), vec![371798000]);
    let tri = pb::Polygon {
        vertices: vec![
            pb::LatLon { lat_deg: 42.0, lon_deg: -72.0 },
            pb::LatLon { lat_deg: 44.0, lon_deg: -70.0 },
            pb::LatLon { lat_deg: 42.0, lon_deg: -69.0 },
        ],
    };
    let r = c
        .vessels_in_area(pb::VesselsInAreaRequest {
            area: Some(pb::Area { shape: Some(pb::area::Shape::Polygon(tri)) }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.vessels.iter().map(|v| v.mmsi).collect::<Vec<_>>(), vec![440348000]);

    // Standard health service.
    let channel = Channel::from_shared(format!("http://{}", running.addr)).unwrap().connect().await.unwrap();
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    let h = health
        .check(tonic_health::pb::HealthCheckRequest { service: "lookout.v1.Lookout".into() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(h.status, tonic_health::pb::health_check_response::ServingStatus::Serving as i32);

    // Server reflection lists the API (what grpcurl and other tools rely on).
    use tonic_reflection::pb::v1::{
        server_reflection_client::ServerReflectionClient, server_reflection_request::MessageRequest,
        server_reflection_response::MessageResponse, ServerReflectionRequest,
    };
    let channel = Channel::from_shared(format!("http://{}", running.addr)).unwrap().connect().await.unwrap();
    let mut refl = ServerReflectionClient::new(channel);
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut resp = refl.server_reflection_info(tokio_stream::iter(vec![req])).await.unwrap().into_inner();
    let Some(MessageResponse::ListServicesResponse(list)) = resp.message().await.unwrap().unwrap().message_response
    else {
        panic!("no service list")
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    assert!(names.contains(&"lookout.v1.Lookout".to_string()), "{names:?}");
    running.stop().await;
}

#[tokio::test]
async fn subscribers_get_snapshot_updates_entries_exits_and_heartbeats() {
    let running = lookout_server::start(base_config()).await.unwrap();
    let mut c = client(running.addr).await;
    let ingest = |lines: Vec<&str>| pb::IngestRequest {
        source: "test".into(),
        lines: lines.into_iter().map(String::from).collect(),
    };
    c.ingest(tokio_stream::iter(vec![ingest(vec![T1_371798000])])).await.unwrap();
    wait_vessel(&mut c, 371798000, |_| true).await;

    let bbox = pb::Area {
        shape: Some(pb::area::Shape::Bbox(pb::BoundingBox {
            min_lat_deg: 40.0,
            min_lon_deg: -130.0,
            max_lat_deg: 50.0,
            max_lon_deg: -120.0,
        })),
    };
    let mut stream = c
        .subscribe_tracks(pb::SubscribeTracksRequest { area: Some(bbox), min_interval_ms: 0, mmsi: vec![] })
        .await
        .unwrap()
        .into_inner();
    let e = next(&mut stream).await;
    assert_eq!(e.seq, 1);
    assert!(matches!(e.event, Some(Event::Snapshot(ref v)) if v.mmsi == 371798000), "{e:?}");
    assert!(matches!(
        next(&mut stream).await.event,
        Some(Event::SnapshotComplete(pb::SnapshotComplete { vessels: 1 }))
    ));

    // Same vessel again: an update. Then one outside the area: nothing for us.
    c.ingest(tokio_stream::iter(vec![ingest(vec![T1_440348000, T1_371798000])])).await.unwrap();
    let mut saw_update = false;
    let mut saw_heartbeat = false;
    for _ in 0..20 {
        match next(&mut stream).await.event {
            Some(Event::Update(v)) => {
                assert_eq!(v.mmsi, 371798000);
                saw_update = true;
            }
            Some(Event::Heartbeat(h)) => {
                assert_eq!(h.vessels_in_area, 1);
                saw_heartbeat = true;
            }
            other => panic!("unexpected {other:?}"),
        }
        if saw_update && saw_heartbeat {
            break;
        }
    }
    assert!(saw_update && saw_heartbeat);

    // Subscribers count in Stats; invalid subscriptions are refused.
    let s = c.stats(pb::StatsRequest {}).await.unwrap().into_inner();
    assert_eq!(s.subscribers, 1);
    assert_eq!(s.live_vessels, 2);
    let e = c
        .subscribe_tracks(pb::SubscribeTracksRequest { area: None, min_interval_ms: 0, mmsi: vec![0] })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e.message().contains("mmsi"));
    drop(stream);
    running.stop().await;
}

#[tokio::test]
async fn tcp_client_reconnects_when_the_feed_drops() {
    let feed = StdListener::bind("127.0.0.1:0").unwrap();
    let mut cfg = Config::parse("[service]\nlisten = \"127.0.0.1:0\"\n").unwrap();
    cfg.sources.push(SourceConfig {
        name: "upstream".into(),
        format: None,
        allow_from: vec![],
        allow_unauthenticated: false,
        tls: None,
        kind: SourceKind::TcpClient {
            address: feed.local_addr().unwrap().to_string(),
            reconnect_min: Duration::from_millis(50),
            reconnect_max: Duration::from_millis(200),
        },
    });
    let running = lookout_server::start(cfg).await.unwrap();
    let mut c = client(running.addr).await;
    let server = std::thread::spawn(move || {
        for line in [T1_371798000, T1_440348000] {
            let (mut s, _) = feed.accept().unwrap();
            s.write_all(format!("{line}\n").as_bytes()).unwrap();
            // Dropping the socket closes the feed: the client must reconnect for the next line.
        }
    });
    wait_vessel(&mut c, 371798000, |_| true).await;
    wait_vessel(&mut c, 440348000, |_| true).await;
    server.join().unwrap();
    let st = source_stats(&mut c, "upstream").await;
    assert!(st.connects >= 2, "{st:?}");
    assert!(st.disconnects >= 1, "{st:?}");
    running.stop().await;
}

/// Type 1 sentences for `n` reports spread over `vessels` MMSIs (encoded with
/// the simulator's encoder, which `tests/offline/simulate.rs` checks against gpsd's
/// published sentences).
fn synthetic_reports(n: usize, vessels: u32) -> Vec<String> {
    use lookout_sim::encode::{self, PositionReport};
    (0..n)
        .map(|i| {
            let mmsi = 247_000_000 + (i as u32 % vessels);
            let r = PositionReport {
                msg_type: 1,
                repeat: 0,
                mmsi,
                nav_status: 0,
                rot: 0,
                sog: 100,
                accuracy: true,
                lon: encode::lon_to_ais(14.0 + (i % 1000) as f64 * 1e-4),
                lat: encode::lat_to_ais(36.0 + f64::from(mmsi % 1000) * 1e-3),
                cog: 900,
                heading: 90,
                second: 0,
                maneuver: 0,
                spare: 0,
                raim: false,
                radio: 0,
            };
            let (payload, fill) = r.to_bits().armor();
            encode::sentences(&payload, fill, 'A', 0).remove(0)
        })
        .collect()
}

#[tokio::test]
async fn a_slow_console_is_told_what_it_missed_and_resynchronised() {
    let running = lookout_server::start(base_config()).await.unwrap();
    let mut c = client(running.addr).await;
    // A console that subscribes and then does not read. It has its own
    // connection, as a real console does: an unread stream holds HTTP/2
    // connection-level flow-control credit, which would stall any other call
    // sharing that connection (a client-side matter, not the server's).
    let mut slow =
        client(running.addr).await.subscribe_tracks(pb::SubscribeTracksRequest::default()).await.unwrap().into_inner();
    assert!(matches!(next(&mut slow).await.event, Some(Event::SnapshotComplete(_))));

    // Far more updates than the fan-out ring, the console queue and the
    // socket buffers hold together. Ingest must not wait for the slow console.
    let lines = synthetic_reports(300_000, 2_000);
    let reqs: Vec<pb::IngestRequest> =
        lines.chunks(2_000).map(|ch| pb::IngestRequest { source: "flood".into(), lines: ch.to_vec() }).collect();
    let summary = tokio::time::timeout(Duration::from_secs(120), c.ingest(tokio_stream::iter(reqs)))
        .await
        .expect("ingest is not held up by a slow subscriber")
        .unwrap()
        .into_inner()
        .stats
        .unwrap();
    assert_eq!(summary.messages, 300_000);

    // Now the console reads: somewhere in its stream it is told how many
    // updates it missed, then gets the current state of every vessel.
    let mut missed = 0u64;
    let mut resync = 0u32;
    let mut after_missed = false;
    while resync == 0 {
        match next(&mut slow).await.event {
            Some(Event::Missed(m)) => {
                missed += m.updates_missed;
                after_missed = true;
            }
            Some(Event::SnapshotComplete(s)) if after_missed => resync = s.vessels,
            _ => {}
        }
    }
    assert!(missed > 0);
    // The metrics count it.
    let m = lookout_server::metrics::render(&running.shared).unwrap();
    let value = |name: &str| -> u64 {
        let line = m.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("{name} in\n{m}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    assert!(value("lookout_subscriber_lags_total{stream=\"tracks\"}") >= 1);
    // At least what this console was told: it may have lagged again past where it stopped reading.
    assert!(value("lookout_subscriber_missed_updates_total{stream=\"tracks\"}") >= missed);
    assert_eq!(resync, 2_000, "the resynchronising snapshot holds every live vessel");
    running.stop().await;
}
