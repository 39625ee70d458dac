//! The NMEA output feed (`[[output]]`): the live picture as `!AIVDM` and
//! `$RATLL` sentences, for chart plotters (OpenCPN) and anything else that
//! reads an AIS feed over TCP or UDP. Dark (non-AIS) tracks fused from radar
//! and drones then show on the chart the watch already uses.
//!
//! # What is sent ([`nmea`])
//! Every `interval`, the whole picture (or the part inside `area`):
//! - AIS vessels as what they are: type 1 position reports (type 18 for class
//!   B), and every [`STATIC_EVERY_BATCHES`]th batch their static data (type 5,
//!   or 24 A and B), with the name they broadcast.
//! - Dark tracks as `$RATLL` (target number, latitude/longitude, name, time),
//!   named `DARK` and, when known, `POB <median> <low>-<high>` (the persons-on-board
//!   estimate and its 90 % interval).
//!
//! Why TLL and not made-up AIVDM for dark tracks: TLL is an absolute position, so
//! it needs no own-ship position (TTM is range and bearing from one, which a shore
//! service does not have); chart plotters draw TLL targets as radar (ARPA) targets,
//! visibly not AIS; and a synthetic AIVDM with an invented MMSI can be forwarded
//! into AIS networks and be taken for a real transponder, or collide with one.
//! TLL has no speed or course; the plotter derives them from successive positions.
//!
//! # Flow and back-pressure ([`net`])
//! One task per output snapshots the picture under the engine's read lock (a copy of
//! the few fields sent, no encoding under the lock), encodes off the async workers,
//! and publishes the batch. A TCP server hands each batch to its clients through a
//! `watch` channel: capacity one batch, the newest replaces the one before. A client
//! slower than the interval therefore skips whole pictures (counted: a later picture
//! supersedes an earlier one, so nothing worth queueing is lost), and it can never
//! hold up the engine, the producer or other clients. A client whose write stalls
//! for [`CLIENT_WRITE_TIMEOUT`] is disconnected (counted) so a dead peer does not keep
//! a slot. UDP sends each batch in datagrams of at most [`UDP_DATAGRAM_BYTES`].

pub mod config;
pub mod net;
pub mod nmea;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::Arc;
use std::time::Duration;

pub use config::{OutputConfig, OutputFormat, OutputKind};

/// Batches between two that carry static data (names, types, dimensions): with the
/// default 10 s interval, once a minute; positions go in every batch. Real class A
/// transponders send static data every 6 minutes; sooner here so a plotter that
/// connects shows names within a minute.
pub const STATIC_EVERY_BATCHES: u64 = 6;

/// Clients one TCP output serves at once; more are closed at once and counted.
/// A batch is encoded once and shared, so a client costs a task and its socket
/// buffer; 32 covers a watch room's plotters with room to spare.
pub const MAX_OUTPUT_CLIENTS: usize = 32;

/// A client whose socket takes no part of a batch for this long is disconnected:
/// 1 MB (20,000 vessels) over a 1 Mbit/s satellite link takes 8 s, so only a dead
/// or stopped peer waits this long.
pub const CLIENT_WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest UDP datagram an output sends, bytes: whole sentences, packed up to
/// a typical Ethernet MTU's payload so nothing is fragmented.
pub const UDP_DATAGRAM_BYTES: usize = 1400;

/// What one output has done since start (read by the metrics at scrape time).
#[derive(Debug)]
pub struct OutputStats {
    /// `tcp_server <listen>` or `udp <target>`: the `output` label in the metrics.
    pub label: String,
    /// Pictures encoded.
    pub batches: AtomicU64,
    /// Sentences written to clients (TCP: counted per client) or sent (UDP).
    pub sentences_sent: AtomicU64,
    /// TCP clients connected now.
    pub clients: AtomicUsize,
    /// TCP connections closed unserved: over [`MAX_OUTPUT_CLIENTS`], or not in `allow_from`.
    pub clients_refused: AtomicU64,
    /// Whole pictures a slow TCP client skipped (a newer one had replaced them).
    pub batches_skipped: AtomicU64,
    /// TCP clients disconnected after [`CLIENT_WRITE_TIMEOUT`].
    pub clients_stalled: AtomicU64,
    /// UDP sends that failed.
    pub send_errors: AtomicU64,
}

impl OutputStats {
    pub fn new(label: String) -> Self {
        OutputStats {
            label,
            batches: AtomicU64::new(0),
            sentences_sent: AtomicU64::new(0),
            clients: AtomicUsize::new(0),
            clients_refused: AtomicU64::new(0),
            batches_skipped: AtomicU64::new(0),
            clients_stalled: AtomicU64::new(0),
            send_errors: AtomicU64::new(0),
        }
    }
}

/// The running outputs' statistics, for the metrics.
#[derive(Debug, Default)]
pub struct OutputRegistry(parking_lot::Mutex<Vec<Arc<OutputStats>>>);

impl OutputRegistry {
    /// Registers an output's statistics.
    pub fn add(&self, stats: Arc<OutputStats>) {
        self.0.lock().push(stats);
    }

    /// Every output's statistics, in configuration order.
    pub fn all(&self) -> Vec<Arc<OutputStats>> {
        self.0.lock().clone()
    }
}

/// One encoded picture: lines ending in CR LF.
#[derive(Debug, Default)]
pub struct Batch {
    /// 1 for the first picture; 0 before any (an empty placeholder).
    pub seq: u64,
    pub bytes: Vec<u8>,
    pub sentences: u64,
}

/// Where a started output can be reached: the bound listen address of a TCP
/// server, the target of a UDP output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputAddr {
    TcpServer(SocketAddr),
    Udp(SocketAddr),
}

impl std::fmt::Display for OutputAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutputAddr::TcpServer(a) => write!(f, "tcp_server {a}"),
            OutputAddr::Udp(a) => write!(f, "udp {a}"),
        }
    }
}
