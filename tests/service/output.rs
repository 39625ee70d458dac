//! The NMEA output feed (`[[output]]`) through the real server: an AIS ship fed
//! on a TCP source and a dark boat a drone found come out of the output as
//! `!AIVDM` and `$RATLL`, read back with Lookout's own NMEA decoder (checksums,
//! reassembly, the AIS payload, the TLL fields), as a chart plotter would.

use crate::support::*;
use std::time::Duration;

use lookout_ais::decode::{AisMessage, Decoded, Decoder, DecoderConfig};
use lookout_ais::radar::parse_tll;
use lookout_server::api::pb;
use lookout_server::output::OutputAddr;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const MMSI: u32 = 247_123_456;
/// The ship's reported position, degrees.
const SHIP: (f64, f64) = (35.512_345, 12.601_234);
/// Half the AIS and TLL resolution (1/10000 minute), degrees, plus float slack.
const RESOLUTION_DEG: f64 = 0.9e-6;

/// A service with a plain TCP feed and `output` (a `[[output]]` table's keys).
fn config(output: &str) -> lookout_server::Config {
    let mut c = config_with_tcp_feed();
    let parsed = lookout_server::Config::parse(&format!("[service]\nlisten = \"127.0.0.1:0\"\n[[output]]\n{output}"))
        .expect("valid [[output]]");
    c.outputs = parsed.outputs;
    c
}

/// Feeds the ship and the drone's look, and waits until both are in the picture.
async fn feed_ship_and_boat(running: &lookout_server::Running) {
    let mut feed = tokio::net::TcpStream::connect(running.source_addrs["feed"]).await.unwrap();
    feed.write_all(format!("{}\r\n", position(MMSI, SHIP.0, SHIP.1)).as_bytes()).await.unwrap();
    feed.flush().await.unwrap();
    let mut c = client(running.addr).await;
    let summary = c.push_detections(tokio_stream::iter(vec![boat_look()])).await.unwrap().into_inner();
    assert_eq!(summary.accepted, 1);
    wait_until(5, "the ship and the dark boat in the picture", || {
        let mut c = c.clone();
        async move {
            let s = c.stats(pb::StatsRequest {}).await.unwrap().into_inner();
            s.dark_tracks == 1 && s.live_vessels == 1
        }
    })
    .await;
}

/// What the output said about the ship and the boat, decoded.
#[derive(Default)]
struct Seen {
    ship: Option<(f64, f64, u8)>,
    boat: Option<lookout_ais::radar::Tll>,
}

impl Seen {
    fn line(&mut self, decoder: &mut Decoder, line: &str) {
        assert!(line.len() <= 82, "NMEA 0183 line limit: {line}");
        if let Some(fields) = line.strip_prefix("$RATLL,") {
            let (fields, sum) = fields.rsplit_once('*').unwrap();
            let body = &line[1..line.len() - 3];
            assert_eq!(u8::from_str_radix(sum, 16).unwrap(), body.bytes().fold(0, |a, b| a ^ b), "{line}");
            self.boat = Some(parse_tll(fields).unwrap());
            return;
        }
        let before = decoder.counters().clone();
        decoder.feed_line(line.as_bytes(), wall_ms(), &mut |d: Decoded| {
            if let AisMessage::Position(p) = &d.msg {
                if p.mmsi == MMSI {
                    self.ship = Some((p.lat_deg().unwrap(), p.lon_deg().unwrap(), p.msg_type));
                }
            }
        });
        let c = decoder.counters();
        assert_eq!(
            (c.bad_checksum, c.malformed_lines()),
            (before.bad_checksum, before.malformed_lines()),
            "our decoder refused {line}"
        );
    }
}

#[tokio::test]
async fn a_plotter_on_the_tcp_output_sees_the_ais_ship_and_the_dark_boat() {
    let running = lookout_server::start(config(
        "kind = \"tcp_server\"\nformat = \"nmea\"\nlisten = \"127.0.0.1:0\"\ninterval = \"1s\"\n",
    ))
    .await
    .unwrap();
    let [OutputAddr::TcpServer(out)] = running.output_addrs[..] else { panic!("{:?}", running.output_addrs) };
    feed_ship_and_boat(&running).await;

    let plotter = tokio::net::TcpStream::connect(out).await.unwrap();
    let mut lines = BufReader::new(plotter).lines();
    let mut decoder = Decoder::new(DecoderConfig::default());
    let mut seen = Seen::default();
    // The picture as of the connection goes out at once, the next within the 1 s interval.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(4);
    while seen.ship.is_none() || seen.boat.is_none() {
        let line = tokio::time::timeout_at(deadline, lines.next_line()).await.expect("ship and boat within 4 s");
        seen.line(&mut decoder, &line.unwrap().expect("output open"));
    }
    let (lat, lon, msg_type) = seen.ship.unwrap();
    assert_eq!(msg_type, 1, "a class A position report");
    assert!((lat - SHIP.0).abs() <= RESOLUTION_DEG && (lon - SHIP.1).abs() <= RESOLUTION_DEG, "{lat} {lon}");
    let boat = seen.boat.unwrap();
    let pos = boat.pos.expect("TLL with a position");
    // The drone saw it at 35.30 N 12.50 E (boat_look); one look, so the track is there.
    assert!((pos.lat_deg - 35.30).abs() < 1e-4 && (pos.lon_deg - 12.50).abs() < 1e-4, "{pos:?}");
    let name = boat.name.unwrap();
    let pob: Vec<u32> = name
        .strip_prefix("DARK POB ")
        .unwrap_or_else(|| panic!("named DARK with persons on board: {name:?}"))
        .split([' ', '-'])
        .map(|n| n.parse().unwrap())
        .collect();
    // 70 counted by the drone: median at least that, within its interval.
    assert!(pob[0] >= 70 && pob[1] <= pob[0] && pob[0] <= pob[2], "{name}");
    assert!(boat.target.is_some() && boat.time_of_day_s.is_some());

    let metrics = lookout_server::metrics::render(&running.shared).unwrap();
    let sent = metrics
        .lines()
        .find(|l| l.starts_with("lookout_output_sentences_sent_total{"))
        .unwrap_or_else(|| panic!("{metrics}"));
    // At least this client's ship and boat (the placeholder before the first picture sends nothing).
    assert!(sent.split(' ').next_back().unwrap().parse::<u64>().unwrap() >= 2, "{sent}");
    running.stop().await;
}

/// Over the client limit a connection is closed unserved and counted; the others go on.
#[tokio::test]
async fn the_tcp_output_refuses_clients_over_its_limit() {
    use lookout_server::output::MAX_OUTPUT_CLIENTS;
    let running = lookout_server::start(config(
        "kind = \"tcp_server\"\nformat = \"nmea\"\nlisten = \"127.0.0.1:0\"\ninterval = \"1s\"\n",
    ))
    .await
    .unwrap();
    let [OutputAddr::TcpServer(out)] = running.output_addrs[..] else { panic!() };
    let stats = running.shared.metrics.outputs.all().remove(0);
    let mut held = Vec::new();
    for _ in 0..MAX_OUTPUT_CLIENTS {
        held.push(tokio::net::TcpStream::connect(out).await.unwrap());
    }
    wait_until(5, "every client accepted", || {
        let n = stats.clients.load(std::sync::atomic::Ordering::Relaxed);
        async move { n == MAX_OUTPUT_CLIENTS }
    })
    .await;
    let mut over = tokio::net::TcpStream::connect(out).await.unwrap();
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(Duration::from_secs(3), tokio::io::AsyncReadExt::read(&mut over, &mut buf))
        .await
        .expect("closed at once")
        .unwrap_or(0);
    assert_eq!(n, 0, "closed unserved");
    assert_eq!(stats.clients_refused.load(std::sync::atomic::Ordering::Relaxed), 1);
    drop(held.pop());
    wait_until(5, "a slot freed", || {
        let n = stats.clients.load(std::sync::atomic::Ordering::Relaxed);
        async move { n == MAX_OUTPUT_CLIENTS - 1 }
    })
    .await;
    running.stop().await;
}

#[tokio::test]
async fn the_udp_output_sends_the_picture_in_datagrams() {
    let plotter = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let target = plotter.local_addr().unwrap();
    let running = lookout_server::start(config(&format!(
        "kind = \"udp\"\nformat = \"nmea\"\ntarget = \"{target}\"\ninterval = \"1s\"\n"
    )))
    .await
    .unwrap();
    assert_eq!(running.output_addrs, [OutputAddr::Udp(target)]);
    feed_ship_and_boat(&running).await;
    let mut decoder = Decoder::new(DecoderConfig::default());
    let mut seen = Seen::default();
    let mut buf = vec![0u8; 65536];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(4);
    while seen.ship.is_none() || seen.boat.is_none() {
        let n = tokio::time::timeout_at(deadline, plotter.recv(&mut buf)).await.expect("within 4 s").unwrap();
        assert!(n <= lookout_server::output::UDP_DATAGRAM_BYTES, "{n} bytes");
        let text = std::str::from_utf8(&buf[..n]).unwrap();
        assert!(text.ends_with("\r\n"), "whole sentences per datagram: {text:?}");
        for line in text.lines() {
            seen.line(&mut decoder, line);
        }
    }
    let (lat, lon, _) = seen.ship.unwrap();
    assert!((lat - SHIP.0).abs() <= RESOLUTION_DEG && (lon - SHIP.1).abs() <= RESOLUTION_DEG);
    running.stop().await;
}
