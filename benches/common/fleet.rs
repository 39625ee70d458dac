//! The simulated fleet and paced AIS feeders shared by the load drivers that
//! feed a real service over TCP (`benches/alerts.rs`, `benches/wire.rs`).
//! Included with `#[path]` by those benches only, so the others do not carry
//! (and warn about) code they do not use.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lookout_core::geodesy::{destination, LatLon, MS_PER_KN};
use lookout_score::baseline::observations_from_nmea;
use lookout_sim::{self, encode, SimConfig};

/// Wall-clock time, ms since the Unix epoch.
pub fn wall_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

#[derive(Clone, Copy)]
pub struct Ship {
    pub mmsi: u32,
    pub pos: LatLon,
    /// Speed over ground, knots.
    pub sog_kn: f64,
    /// Course over ground, degrees true.
    pub cog_deg: f64,
}

/// The simulator's fleet: last position, speed and course of each vessel
/// heard, and its static-data sentences (tag blocks removed).
pub fn fleet(want: usize) -> (Vec<Ship>, Vec<u8>) {
    let mut scale = want as f64 / 100.0;
    loop {
        let cfg =
            SimConfig { seed: 7, duration_s: 360, vessel_scale: scale, reception_loss: 0.0, ..Default::default() };
        let mut rec = Vec::new();
        lookout_sim::write_recording(&cfg, &mut rec).unwrap();
        let mut last: BTreeMap<u32, Ship> = BTreeMap::new();
        for o in observations_from_nmea(&rec[..]).unwrap() {
            let pos = LatLon::new(o.lat_deg, o.lon_deg);
            last.insert(
                o.mmsi,
                Ship { mmsi: o.mmsi, pos, sog_kn: o.sog_kn.unwrap_or(0.0), cog_deg: o.cog_deg.unwrap_or(0.0) },
            );
        }
        if last.len() < want {
            scale *= 1.3 * want as f64 / last.len().max(1) as f64;
            continue;
        }
        let ships: Vec<Ship> = last.into_values().take(want).collect();
        let keep: std::collections::HashSet<u32> = ships.iter().map(|s| s.mmsi).collect();
        let mut statics = Vec::new();
        let mut dec = lookout_ais::decode::Decoder::new(lookout_ais::decode::DecoderConfig::default());
        let mut pending: Vec<&[u8]> = Vec::new();
        for line in rec.split(|b| *b == b'\n') {
            let bare = match line.first() {
                Some(b'\\') => line[1..].iter().position(|b| *b == b'\\').map(|i| &line[i + 2..]).unwrap_or(line),
                _ => line,
            };
            pending.push(bare);
            let mut take = false;
            dec.feed_line(line, 0, &mut |d| {
                take = d.msg.position().is_none() && keep.contains(&d.msg.mmsi());
            });
            // A message is complete (decoded) after its last fragment.
            let done = !bare.starts_with(b"!AIVDM,2,1");
            if take {
                for l in &pending {
                    statics.extend_from_slice(l);
                    statics.push(b'\n');
                }
            }
            if done {
                pending.clear();
            }
        }
        return (ships, statics);
    }
}

/// Appends the bare `!AIVDM` type 1 sentence(s) of `s` (stamped by the service on receipt).
pub fn position_line(out: &mut Vec<u8>, s: &Ship) {
    let r = encode::PositionReport {
        msg_type: 1,
        repeat: 0,
        mmsi: s.mmsi,
        nav_status: if s.sog_kn > 0.1 { 0 } else { 5 },
        rot: 0,
        sog: encode::sog_to_ais(s.sog_kn),
        accuracy: true,
        lon: encode::lon_to_ais(s.pos.lon_deg),
        lat: encode::lat_to_ais(s.pos.lat_deg),
        cog: encode::cog_to_ais(s.cog_deg),
        heading: s.cog_deg.round() as u16 % 360,
        second: (wall_ms() / 1000 % 60) as u8,
        maneuver: 0,
        spare: 0,
        raim: false,
        radio: 0,
    };
    let (payload, fill) = r.to_bits().armor();
    for l in encode::sentences(&payload, fill, 'A', 0) {
        out.extend_from_slice(l.as_bytes());
        out.push(b'\n');
    }
}

/// Pre-encoded lines of one feeder and where each starts.
pub struct Feed {
    pub bytes: Vec<u8>,
    /// Byte offset of each line, and one past the last line at the end.
    pub starts: Vec<u32>,
}

/// What the feeders will write: one position per vessel first (the warm-up,
/// per feeder), then each feeder's paced lines.
pub struct Schedule {
    pub warmup: Vec<Vec<u8>>,
    pub feeds: Vec<Feed>,
    /// Factor the ITU intervals were scaled by to make `rate` reports/s.
    pub scale_t: f64,
}

/// How often a vessel reports, s, before scaling: the ITU-R M.1371 class A
/// intervals (at anchor or slow 180 s, up to 14 kn 10 s, up to 23 kn 6 s,
/// faster 2 s); `uniform`: every vessel equally often.
pub fn itu_interval_s(s: &Ship, uniform: bool) -> f64 {
    match s.sog_kn {
        _ if uniform => 1.0,
        v if v < 3.0 => 180.0,
        v if v <= 14.0 => 10.0,
        v if v <= 23.0 => 6.0,
        _ => 2.0,
    }
}

/// Pre-encodes `seconds` (and one to spare) of reports from `ships` at `rate`
/// reports/s over `feeds` connections: each vessel's reports on its straight
/// line, its [`itu_interval_s`] scaled by one factor so the fleet sends `rate`
/// reports per second, merged in time order; vessels are split over feeds by MMSI.
pub fn schedule(ships: &[Ship], rate: usize, seconds: usize, feeds: usize, uniform: bool) -> Schedule {
    let interval = |s: &Ship| itu_interval_s(s, uniform);
    let scale_t = ships.iter().map(|s| 1.0 / interval(s)).sum::<f64>() / rate.max(1) as f64;
    let lines_per_feed = (rate * seconds).div_ceil(feeds) + rate / feeds; // a second to spare
    let mut warmup: Vec<Vec<u8>> = vec![Vec::new(); feeds];
    let mut feed: Vec<Feed> = (0..feeds)
        .map(|_| Feed { bytes: Vec::with_capacity(lines_per_feed * 48), starts: Vec::with_capacity(lines_per_feed) })
        .collect();
    for s in ships {
        position_line(&mut warmup[s.mmsi as usize % feeds], s);
    }
    // Feeds are independent: encoded on one thread each (geodesics and armouring
    // cost about as much as the service's whole ingest of the same lines).
    std::thread::scope(|scope| {
        for (fi, f) in feed.iter_mut().enumerate() {
            scope.spawn(move || {
                let mut due: std::collections::BinaryHeap<std::cmp::Reverse<(u64, usize)>> = ships
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.mmsi as usize % feeds == fi)
                    .map(|(i, s)| {
                        std::cmp::Reverse((((i as f64 * 0.618_034).fract() * scale_t * interval(s) * 1e9) as u64, i))
                    })
                    .collect();
                while f.starts.len() < lines_per_feed {
                    let Some(std::cmp::Reverse((t_ns, i))) = due.pop() else {
                        break;
                    };
                    let s = &ships[i];
                    let moved =
                        Ship { pos: destination(s.pos, s.cog_deg, s.sog_kn * MS_PER_KN * t_ns as f64 / 1e9), ..*s };
                    f.starts.push(f.bytes.len() as u32);
                    position_line(&mut f.bytes, &moved);
                    due.push(std::cmp::Reverse((t_ns + (scale_t * interval(s) * 1e9) as u64, i)));
                }
            });
        }
    });
    for f in &mut feed {
        f.starts.push(f.bytes.len() as u32);
    }
    Schedule { warmup, feeds: feed, scale_t }
}

/// Writes `f`'s lines to `sock` from `start` to `end` (or until `stop` is set)
/// at `per_feed` lines/s, paced every millisecond, adding each complete line
/// written to `sent`.
/// Returns the socket and the time spent in writes that could not proceed
/// at once (the service not reading fast enough).
pub fn feed_paced(
    mut sock: std::net::TcpStream,
    f: Feed,
    start: Instant,
    end: Instant,
    per_feed: f64,
    sent: Arc<AtomicU64>,
    stop: &AtomicBool,
) -> (std::net::TcpStream, Duration) {
    // A write that cannot proceed (the service is not reading) gives up
    // after a while so the feeder stops on time whatever the backlog.
    sock.set_write_timeout(Some(Duration::from_millis(20))).unwrap();
    let total = f.starts.len() - 1;
    let (mut written, mut lines) = (0usize, 0usize);
    let mut blocked = Duration::ZERO;
    while Instant::now() < start {
        std::thread::sleep(Duration::from_micros(200));
    }
    loop {
        let now = Instant::now();
        if now >= end || stop.load(Ordering::Relaxed) {
            break;
        }
        let due = (((now - start).as_secs_f64() * per_feed) as usize).min(total);
        let due_byte = f.starts[due] as usize;
        if due_byte > written {
            match sock.write(&f.bytes[written..due_byte]) {
                Ok(n) => written += n,
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
                Err(e) => panic!("feeder write: {e}"),
            }
            blocked += now.elapsed();
            let complete = f.starts.partition_point(|s| *s as usize <= written) - 1;
            sent.fetch_add((complete - lines) as u64, Ordering::Relaxed);
            lines = complete;
        } else {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    (sock, blocked)
}
