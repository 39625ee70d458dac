//! Hostile and odd input over real sockets: each defect found by probing the
//! release build from outside gets a regression test here, against the real
//! server on ephemeral ports with a real tonic client.
//!
//! Sentences are written by the simulator's encoder (`lookout_sim::encode`,
//! itself checked against gpsd's decodes in tests/simulate.rs).

use std::net::SocketAddr;
use std::time::Duration;

use lookout_server::api::pb::{self, lookout_client::LookoutClient};
use lookout_server::config::{Config, SourceConfig, SourceKind};
use lookout_sim::encode::{lat_to_ais, lon_to_ais, tag_block, AisMessage, PositionReport};
use tokio::io::AsyncWriteExt;
use tonic::transport::Channel;

fn config_with_tcp_feed() -> Config {
    let mut c = Config::parse("[service]\nlisten = \"127.0.0.1:0\"\n").unwrap();
    c.sources.push(SourceConfig {
        name: "feed".into(),
        format: None,
        kind: SourceKind::TcpListener { listen: "127.0.0.1:0".parse().unwrap() },
    });
    c
}

async fn client(addr: SocketAddr) -> LookoutClient<Channel> {
    LookoutClient::connect(format!("http://{addr}")).await.unwrap()
}

/// A type 1 report of `mmsi` at (`lat`, `lon`), 10 kn north.
fn position(mmsi: u32, lat: f64, lon: f64) -> String {
    let r = PositionReport {
        msg_type: 1,
        repeat: 0,
        mmsi,
        nav_status: 0,
        rot: -128,
        sog: 100,
        accuracy: false,
        lon: lon_to_ais(lon),
        lat: lat_to_ais(lat),
        cog: 0,
        heading: 0,
        second: 60,
        maneuver: 0,
        spare: 0,
        raim: false,
        radio: 0,
    };
    AisMessage::Position(r).to_sentences('A', 0).remove(0)
}

fn now_s() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Polls `what` until it holds, or fails naming it after `secs` seconds.
async fn wait_until<F, Fut>(secs: u64, what: &str, mut f: F)
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

/// Found by probing: one line stamped 290 s ahead (inside the 5-minute
/// allowance) with a false position made every true report "stale" for
/// five minutes, and VesselsNear did not list the vessel where it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_from_the_future_does_not_veto_the_present() {
    let running = lookout_server::start(config_with_tcp_feed()).await.unwrap();
    let mut c = client(running.addr).await;
    let mut feed = tokio::net::TcpStream::connect(running.source_addrs["feed"]).await.unwrap();
    let mmsi = 247_000_001;
    let (true_lat, true_lon) = (35.50, 12.60);
    // The forged line: 290 s ahead, 60 nm away.
    let forged = format!("{}{}\n", tag_block("rx-1", now_s() + 290), position(mmsi, 36.50, 12.60));
    feed.write_all(forged.as_bytes()).await.unwrap();
    // Then the truth, stamped on arrival.
    for _ in 0..3 {
        feed.write_all(format!("{}\n", position(mmsi, true_lat, true_lon)).as_bytes()).await.unwrap();
    }
    feed.flush().await.unwrap();
    wait_until(10, "the true reports applied", || {
        let mut c = c.clone();
        async move {
            c.get_vessel(pb::GetVesselRequest { mmsi })
                .await
                .is_ok_and(|v| v.into_inner().position.is_some_and(|p| (p.lat_deg - true_lat).abs() < 1e-3))
        }
    })
    .await;
    let near = c
        .vessels_near(pb::VesselsNearRequest {
            lat_deg: true_lat,
            lon_deg: true_lon,
            radius_m: 1852.0,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(near.vessels.iter().any(|h| h.vessel.as_ref().is_some_and(|v| v.mmsi == mmsi)), "{near:?}");
    let s = c.stats(pb::StatsRequest {}).await.unwrap().into_inner();
    assert_eq!((s.held_future_reports, s.stale_reports, s.live_vessels), (1, 0, 1), "{s:?}");
    running.stop().await;
}
