//! Radar and drone detections through the real server: TTM sentences over a
//! TCP feed, detection events over gRPC `PushDetections`, queried back with a
//! real tonic client.
//!
//! The AIS sentence (MMSI 371798000 at 48.381633 N 123.395383 W, 12.3 kn,
//! COG 224) is gpsd's published type 1 sample (`test/sample.aivdm`, BSD-2);
//! the radar plots and drone events are written here, with positions
//! computed from that fix.

use crate::support::*;
use std::time::Duration;

use lookout_core::geodesy::{destination, LatLon, M_PER_NM};
use lookout_server::api::pb::{self, lookout_client::LookoutClient};
use lookout_server::config::{Config, SourceConfig, SourceKind};
use tokio::io::AsyncWriteExt;
use tonic::transport::Channel;

const T1_371798000: &str = "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A";
const SHIP: LatLon = LatLon::new(48.381633, -123.395383);

fn checksum(body: &str) -> u8 {
    body.bytes().fold(0, |a, b| a ^ b)
}

/// A tag-blocked `$RATTM`: target `n` at `dist_nm` on true bearing `brg`.
fn ttm(station: &str, t_ms: i64, n: u32, dist_nm: f64, brg: f64) -> String {
    let tag = format!("s:{station},c:{t_ms}");
    let body = format!("RATTM,{n:02},{dist_nm:.3},{brg:.1},T,12.3,224.0,T,,,N,,T,,,A");
    format!("\\{tag}*{:02X}\\${body}*{:02X}", checksum(&tag), checksum(&body))
}

fn config(site: LatLon) -> Config {
    let mut c = Config::parse(&format!(
        "[service]\nlisten = \"127.0.0.1:0\"\n\
         [[radar]]\nstation = \"radar-test\"\nlat = {}\nlon = {}\nrange_sigma_m = 20\nbearing_sigma_deg = 0.3\n",
        site.lat_deg, site.lon_deg
    ))
    .unwrap();
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

/// [`drone_look`] at `t`, the boat making 5 kn.
fn event(lat: f64, lon: f64, t: prost_types::Timestamp, id: &str) -> pb::DetectionEvent {
    pb::DetectionEvent { time: Some(t), speed_kn: Some(5.0), ..drone_look(lat, lon, id) }
}

fn now_ts() -> prost_types::Timestamp {
    timestamp(wall_ms())
}

async fn stats(c: &mut LookoutClient<Channel>, name: &str) -> pb::SourceStats {
    let s = c.stats(pb::StatsRequest {}).await.unwrap().into_inner();
    s.sources.into_iter().find(|s| s.name == name).unwrap()
}

#[tokio::test]
async fn radar_sees_an_ais_ship_and_a_drone_finds_a_dark_boat() {
    // Radar 3 nm due west of the ship.
    let site = destination(SHIP, 270.0, 3.0 * M_PER_NM);
    let running = lookout_server::start(config(site)).await.unwrap();
    let mut c = LookoutClient::connect(format!("http://{}", running.addr)).await.unwrap();
    let mut feed = tokio::net::TcpStream::connect(running.source_addrs["feed"]).await.unwrap();
    feed.write_all(format!("{T1_371798000}\n").as_bytes()).await.unwrap();
    // Three sweeps, 3 s apart in their tag-block times, each with the ship on
    // 090 at 3 nm, plus one sweep from a radar nobody configured.
    let t0 = wall_ms();
    for k in 0..3 {
        feed.write_all(format!("{}\n", ttm("radar-test", t0 + k * 3000, 7, 3.0, 90.0)).as_bytes()).await.unwrap();
    }
    feed.write_all(format!("{}\n", ttm("radar-nobody", t0, 1, 1.0, 10.0)).as_bytes()).await.unwrap();
    feed.flush().await.unwrap();

    let mut seen = None;
    for _ in 0..200 {
        if let Ok(v) = c.get_vessel(pb::GetVesselRequest { mmsi: 371798000 }).await {
            let v = v.into_inner();
            if v.sensors.iter().any(|s| s.sensor_id == "radar-test" && s.hits == 3) {
                seen = Some(v);
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let v = seen.expect("the AIS ship is correlated with the radar plots");
    assert!(v.ais_correlated);
    assert_eq!(v.sensors[0].sensor_kind, pb::SensorKind::Radar as i32);
    assert!(v.persons_on_board.is_none(), "nobody counted people on the ship: no estimate");
    let st = stats(&mut c, "feed").await;
    assert_eq!(st.radar_detections, 3, "{st:?}");
    assert_eq!(st.radar_unconfigured, 1, "{st:?}");
    // No dark track was made of the radar plots: the ship explains them.
    let area = pb::Area {
        shape: Some(pb::area::Shape::Bbox(pb::BoundingBox {
            min_lat_deg: 48.0,
            min_lon_deg: -124.0,
            max_lat_deg: 49.0,
            max_lon_deg: -123.0,
        })),
    };
    let r = c
        .vessels_in_area(pb::VesselsInAreaRequest { area: Some(area), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.vessels.iter().map(|v| v.mmsi).collect::<Vec<_>>(), vec![371798000]);

    // A console watching the sea south of Lampedusa.
    let south = pb::Area {
        shape: Some(pb::area::Shape::Bbox(pb::BoundingBox {
            min_lat_deg: 35.0,
            min_lon_deg: 12.0,
            max_lat_deg: 35.5,
            max_lon_deg: 13.0,
        })),
    };
    let mut console = c
        .subscribe_tracks(pb::SubscribeTracksRequest { area: Some(south), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    let first = console.message().await.unwrap().unwrap();
    assert!(matches!(first.event, Some(pb::track_event::Event::SnapshotComplete(pb::SnapshotComplete { vessels: 0 }))));

    // A drone finds a rubber boat nobody's AIS explains, south of Lampedusa;
    // four impossible events in the same stream are rejected by name.
    let boat = LatLon::new(35.30, 12.50);
    let mut bad_lat = event(95.0, 12.5, now_ts(), "bad-lat");
    bad_lat.persons_counted = None;
    bad_lat.count_confidence = None;
    let mut bad_count = event(boat.lat_deg, boat.lon_deg, now_ts(), "bad-count");
    bad_count.persons_counted = Some(-3);
    let mut bad_conf = event(boat.lat_deg, boat.lon_deg, now_ts(), "bad-conf");
    bad_conf.count_confidence = Some(1.5);
    let mut no_lon = event(boat.lat_deg, boat.lon_deg, now_ts(), "no-lon");
    no_lon.lon = None;
    let events = vec![bad_lat, event(boat.lat_deg, boat.lon_deg, now_ts(), "look-1"), bad_count, bad_conf, no_lon];
    let summary = c.push_detections(tokio_stream::iter(events)).await.unwrap().into_inner();
    assert_eq!((summary.accepted, summary.rejected), (1, 4));
    let fields: Vec<(u64, &str)> = summary.rejections.iter().map(|r| (r.index, r.field.as_str())).collect();
    assert_eq!(fields, vec![(0, "lat"), (2, "persons_counted"), (3, "count_confidence"), (4, "lon")]);
    assert!(summary.rejections.iter().all(|r| r.code == "INVALID_ARGUMENT"));

    let mut dark = None;
    for _ in 0..200 {
        let r = c
            .vessels_near(pb::VesselsNearRequest {
                lat_deg: boat.lat_deg,
                lon_deg: boat.lon_deg,
                radius_m: 5.0 * M_PER_NM,
                max_results: 10,
                filter: None,
                datum_of_alert_id: 0,
            })
            .await
            .unwrap()
            .into_inner();
        if let Some(h) = r.vessels.into_iter().next() {
            dark = h.vessel;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let d = dark.expect("the drone's contact is a track in VesselsNear");
    assert_eq!(d.mmsi, 0);
    assert!(!d.ais_correlated);
    assert!(d.track_id >= 1_000_000_000_000);
    assert_eq!(d.detected_class, pb::VesselClass::RubberBoat as i32);
    assert_eq!(d.last_source, "drone-1");
    let pob = d.persons_on_board.expect("a counted boat has a persons-on-board estimate");
    assert!(pob.estimate >= 70 && pob.low >= 70 && pob.high > pob.estimate, "{pob:?}");
    assert!(pob.overcrowded, "70 people on a 10 m rubber boat: {pob:?}");
    assert!(!pob.evidence.is_empty());
    // The console was told: the dark track entered its area.
    let entered = loop {
        let e = tokio::time::timeout(Duration::from_secs(5), console.message()).await.unwrap().unwrap().unwrap();
        if let Some(pb::track_event::Event::Entered(v)) = e.event {
            break v;
        }
    };
    assert_eq!((entered.mmsi, entered.track_id), (0, d.track_id));
    let s = c.stats(pb::StatsRequest {}).await.unwrap().into_inner();
    assert_eq!(s.dark_tracks, 1);
    let st = stats(&mut c, "push-detections").await;
    assert_eq!((st.detections, st.detections_rejected), (1, 4));
    running.stop().await;
}

/// A drone keeps one `PushDetections` stream open for its whole flight: each
/// sighting must reach the picture while the stream stays open, not when a
/// batch fills or the stream ends.
#[tokio::test]
async fn a_sighting_on_an_open_stream_reaches_the_picture_at_once() {
    let running = lookout_server::start(config(LatLon::new(35.5, 12.6))).await.unwrap();
    let mut c = LookoutClient::connect(format!("http://{}", running.addr)).await.unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel::<pb::DetectionEvent>(4);
    let mut pusher = c.clone();
    let call =
        tokio::spawn(async move { pusher.push_detections(tokio_stream::wrappers::ReceiverStream::new(rx)).await });
    let boat = LatLon::new(35.30, 12.50);
    tx.send(event(boat.lat_deg, boat.lon_deg, now_ts(), "look-1")).await.unwrap();
    let mut found = false;
    for _ in 0..400 {
        let r = c
            .vessels_near(pb::VesselsNearRequest {
                lat_deg: boat.lat_deg,
                lon_deg: boat.lon_deg,
                radius_m: 1000.0,
                max_results: 10,
                filter: None,
                datum_of_alert_id: 0,
            })
            .await
            .unwrap()
            .into_inner();
        if !r.vessels.is_empty() {
            found = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(found, "the sighting is in the picture while its stream is still open");
    assert!(!call.is_finished(), "the stream is still open");
    drop(tx);
    let summary = call.await.unwrap().unwrap().into_inner();
    assert_eq!((summary.accepted, summary.rejected), (1, 0));
    running.stop().await;
}
