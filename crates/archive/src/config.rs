//! Configuration, with defaults and the reasons for them.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::fault::Faults;
use crate::record::{kinds, Kind};

/// Name of the lane that holds the Merkle log: alert versions, acknowledgements, the
/// archive's own records (seals, purges, holds, checkpoints) and every kind no other lane
/// names. It is never purged by retention.
pub const EVIDENCE_LANE: &str = "evidence";

/// Requests the writer queue holds before appenders wait (backpressure, never loss).
pub const QUEUE_CAPACITY: usize = 8192;

const DAY: Duration = Duration::from_secs(86_400);

/// When appended records are fdatasynced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FsyncPolicy {
    /// Group commit: one fdatasync per lane written for all records that arrived within
    /// `interval` of the first one, or as soon as `max_records` are waiting.
    Interval {
        /// Longest a record waits to be durable.
        interval: Duration,
        /// Records that close a batch early.
        max_records: usize,
    },
    /// One fdatasync per record (each append its own batch): ~250 records/s on the disk
    /// measured here (3.9 ms per fdatasync).
    Always,
}

impl Default for FsyncPolicy {
    /// 200 ms / 20,000 records: a feeder waits at most 200 ms for its reply, and at full
    /// speed a batch of 20,000 80-byte lines is ~2 MB, one fdatasync of a few ms.
    fn default() -> Self {
        FsyncPolicy::Interval { interval: Duration::from_millis(200), max_records: 20_000 }
    }
}

/// A lane: its own sequence of segment files, so that records with the same retention
/// are stored, and deleted, together (a segment is the unit of deletion, and rewriting a
/// sealed segment would break its hash in the Merkle log).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaneConfig {
    /// Directory name under `lanes/` (`[a-z0-9_-]`).
    pub name: String,
    /// Record kinds stored in this lane.
    pub kinds: Vec<Kind>,
    /// Sealed segments whose newest record is older than this are deleted by
    /// [`crate::Archive::purge_expired`] unless a legal hold covers them; `None` keeps them.
    pub retention: Option<Duration>,
}

/// Archive configuration. `Config::new(dir)` gives the defaults described on each field.
#[derive(Clone, Debug)]
pub struct Config {
    /// Directory of the archive.
    pub dir: PathBuf,
    /// Group commit policy.
    pub fsync: FsyncPolicy,
    /// A segment is sealed when a record's time falls in a later period of this length
    /// (periods aligned on the Unix epoch). Default one hour.
    pub seal_every: Duration,
    /// ... or when it would grow past this many bytes. Default 128 MiB (at 2,000
    /// sentences/s a national feed writes ~250 MB an hour, so busy hours seal twice).
    pub seal_max_bytes: u64,
    /// Compress sealed segments (gzip). Default true.
    pub compress_sealed: bool,
    /// Lanes other than [`EVIDENCE_LANE`]. Default:
    /// `ais` (NMEA) kept 7 days — EUROSUR (Reg. 1052/2013 art. 13(2)) allows ship
    /// identities for at most 7 days, or two months when needed to track a vessel, which is
    /// what a legal hold is for; `sensor` (detections) kept 60 days — the detections of
    /// boats without AIS carry no identity, and two months is the longer EUROSUR period.
    /// Alert versions and acknowledgements are evidence and stay in the evidence lane,
    /// which this archive never purges: how long evidence is kept is a legal decision
    /// (IMO's S-VDR rule says at least 2 years; PortVision keeps 6).
    pub lanes: Vec<LaneConfig>,
    /// Kinds whose records are Merkle leaves (seals, purges and holds always are).
    /// They must be in the evidence lane. Default: alert versions and acknowledgements.
    pub leaf_kinds: Vec<Kind>,
    /// Ed25519 key for checkpoints (see [`crate::generate_key`]); no checkpoints without it.
    pub signing_key: Option<PathBuf>,
    /// How often a checkpoint is signed when the log has grown. Default 5 minutes.
    pub checkpoint_every: Duration,
    /// Keep at most one position per entity per this interval in the position index (all
    /// of them stay in the segments). Default 60 s, the rate MarineTraffic keeps where
    /// stations overlap: class A ships report every 2-10 s under way, and at 20 kn a ship
    /// moves ~600 m in a minute, enough for a history trail or an area search, while the
    /// index is 6-30 times smaller (a week of 2,000 ships: 20 M rows, not 120 M).
    pub position_min_interval: Duration,
    /// Cell size of the area index, degrees of latitude and longitude. Default 0.1 (about
    /// 11 km north-south): a search box covers a few to a few hundred cells.
    pub area_cell_deg: f64,
    /// Time bucket of the area index. Default one hour.
    pub area_bucket: Duration,
    /// Index rows older than this are deleted by [`crate::Archive::purge_expired`] (the
    /// positions index holds identities too). Default 7 days, as the `ais` lane.
    pub index_retention: Option<Duration>,
    /// Test hook: simulated disk faults. `None` in production.
    pub faults: Option<Arc<Faults>>,
}

impl Config {
    /// Defaults for an archive in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Config {
            dir: dir.into(),
            fsync: FsyncPolicy::default(),
            seal_every: Duration::from_secs(3600),
            seal_max_bytes: 128 << 20,
            compress_sealed: true,
            lanes: vec![
                LaneConfig { name: "ais".into(), kinds: vec![kinds::NMEA], retention: Some(7 * DAY) },
                LaneConfig { name: "sensor".into(), kinds: vec![kinds::DETECTION], retention: Some(60 * DAY) },
            ],
            leaf_kinds: vec![kinds::ALERT_VERSION, kinds::ACK],
            signing_key: None,
            checkpoint_every: Duration::from_secs(300),
            position_min_interval: Duration::from_secs(60),
            area_cell_deg: 0.1,
            area_bucket: Duration::from_secs(3600),
            index_retention: Some(7 * DAY),
            faults: None,
        }
    }

    /// The lane a kind is stored in.
    pub fn lane_of(&self, kind: Kind) -> &str {
        if kind.is_reserved() {
            return EVIDENCE_LANE;
        }
        self.lanes.iter().find(|l| l.kinds.contains(&kind)).map_or(EVIDENCE_LANE, |l| l.name.as_str())
    }

    /// Whether records of `kind` are Merkle leaves.
    pub fn is_leaf(&self, kind: Kind) -> bool {
        matches!(kind, Kind::SEAL | Kind::PURGE | Kind::HOLD) || self.leaf_kinds.contains(&kind)
    }

    pub(crate) fn validate(&self) -> Result<()> {
        let bad = |s: String| Err(Error::Config(s));
        let mut seen = std::collections::HashSet::new();
        for l in &self.lanes {
            if l.name == EVIDENCE_LANE
                || l.name.is_empty()
                || !l.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
            {
                return bad(format!("lane name {:?}", l.name));
            }
            for k in &l.kinds {
                if k.is_reserved() {
                    return bad(format!("kind {} is reserved for the archive", k.0));
                }
                if self.leaf_kinds.contains(k) {
                    return bad(format!("leaf kind {} must stay in the evidence lane", k.0));
                }
                if !seen.insert(*k) {
                    return bad(format!("kind {} is in two lanes", k.0));
                }
            }
        }
        if self.seal_every.as_millis() == 0 || self.seal_max_bytes < 4096 {
            return bad("seal_every must be > 0 and seal_max_bytes >= 4096".into());
        }
        if !(self.area_cell_deg >= 0.01 && self.area_cell_deg <= 10.0) {
            return bad("area_cell_deg must be within 0.01..=10".into());
        }
        if let FsyncPolicy::Interval { max_records: 0, .. } = self.fsync {
            return bad("max_records must be > 0".into());
        }
        Ok(())
    }
}
