//! What the archive knows about its segments, shared between the writer, readers and
//! maintenance. Every fact here is also in the segments (seal, purge and hold records in the
//! evidence lane) and is rebuilt from them at open.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Mutex, RwLock};

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::index::Index;
use crate::merkle::Hash;

/// A sealed segment: the payload of its seal record (JSON) and an entry of `manifest.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentInfo {
    /// Lane name.
    pub lane: String,
    /// Segment number in the lane.
    pub segment: u64,
    /// Sequence number of its first record.
    pub first_seq: u64,
    /// Sequence number of its last record.
    pub last_seq: u64,
    /// Number of records.
    pub records: u64,
    /// Oldest record time, ms since the Unix epoch.
    pub min_time_ms: i64,
    /// Newest record time, ms since the Unix epoch.
    pub max_time_ms: i64,
    /// Uncompressed size, bytes (header included).
    pub bytes: u64,
    /// SHA-256 of the uncompressed segment file (header and frames), hex.
    pub sha256: String,
    /// Record kinds it holds.
    pub kinds: Vec<u8>,
    /// Wall-clock time of sealing, ms since the Unix epoch.
    pub sealed_at_ms: i64,
}

/// Payload (JSON) of a purge record: segments deleted by retention.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurgeRecord {
    /// When the purge ran, ms since the Unix epoch.
    pub at_ms: i64,
    /// Why (the lane's retention rule).
    pub reason: String,
    /// The deleted segments, as they were sealed.
    pub segments: Vec<SegmentInfo>,
}

/// A legal hold: segments overlapping its time range are not purged, and index rows of its
/// entities (of every entity if the list is empty) in that range are kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    /// Name of the case.
    pub name: String,
    /// Start of the held period, ms since the Unix epoch.
    pub from_ms: i64,
    /// End of the held period (exclusive), ms since the Unix epoch.
    pub to_ms: i64,
    /// Entities (MMSIs, track ids) whose index rows are kept; empty: all.
    #[serde(default)]
    pub entities: Vec<u64>,
    /// Who asked and why.
    #[serde(default)]
    pub note: String,
}

impl Hold {
    /// Whether the hold covers any time in `[from_ms, to_ms]`.
    pub fn overlaps(&self, from_ms: i64, to_ms: i64) -> bool {
        self.from_ms <= to_ms && from_ms < self.to_ms
    }

    /// Whether the hold keeps `entity`'s index rows at `time_ms`.
    pub fn keeps(&self, entity: u64, time_ms: i64) -> bool {
        self.from_ms <= time_ms && time_ms < self.to_ms && (self.entities.is_empty() || self.entities.contains(&entity))
    }
}

/// Payload (JSON) of a hold record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum HoldRecord {
    /// A hold was placed.
    Place {
        /// The hold.
        hold: Hold,
    },
    /// The hold of this name was released.
    Release {
        /// Its name.
        name: String,
    },
}

/// The writer's state of health, for a metric and the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Health {
    /// Appends are being made durable and acknowledged.
    Ok,
    /// A write or fsync failed: nothing is acknowledged until the archive is reopened.
    Failed {
        /// The error.
        error: String,
        /// When, ms since the Unix epoch.
        since_ms: i64,
    },
}

/// A purged segment, with the purge record that deleted it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Purged {
    /// The segment as it was sealed.
    pub info: SegmentInfo,
    /// When it was purged, ms since the Unix epoch.
    pub at_ms: i64,
    /// Sequence number of the purge record.
    pub purge_seq: u64,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct OpenView {
    pub segment: u64,
    pub durable_len: u64,
    pub seq_range: Option<(u64, u64)>,
    pub time_range: Option<(i64, i64)>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct LaneState {
    pub dir: PathBuf,
    pub sealed: Vec<SegmentInfo>,
    pub purged: Vec<Purged>,
    pub open: Option<OpenView>,
}

#[derive(Debug, Default)]
pub(crate) struct MerkleLog {
    pub leaves: Vec<Hash>,
    pub leaf_seqs: Vec<u64>,
    pub latest_checkpoint: Option<String>,
}

pub(crate) struct Shared {
    pub cfg: Config,
    pub lanes: RwLock<BTreeMap<String, LaneState>>,
    pub health: Mutex<Health>,
    pub durable: tokio::sync::watch::Sender<u64>,
    pub merkle: RwLock<MerkleLog>,
    pub holds: RwLock<BTreeMap<String, Hold>>,
    pub index: Index,
    /// Last error of the index or the compressor (they do not stop the writer).
    pub background_error: Mutex<Option<String>>,
}

impl Shared {
    pub fn note_background_error(&self, e: String) {
        *self.background_error.lock().unwrap() = Some(e);
    }

    /// Writes `manifest.json` (all sealed and purged segments) atomically.
    pub fn write_manifest(&self) -> std::io::Result<()> {
        #[derive(Serialize)]
        struct Manifest<'a> {
            sealed: Vec<&'a SegmentInfo>,
            purged: Vec<serde_json::Value>,
        }
        let lanes = self.lanes.read().unwrap();
        let m = Manifest {
            sealed: lanes.values().flat_map(|l| l.sealed.iter()).collect(),
            purged: lanes
                .values()
                .flat_map(|l| l.purged.iter())
                .map(|p| serde_json::json!({"segment": p.info, "purged_at_ms": p.at_ms, "purge_seq": p.purge_seq}))
                .collect(),
        };
        let bytes = serde_json::to_vec_pretty(&m).map_err(std::io::Error::other)?;
        crate::snapshot::write_atomic(&self.cfg.dir.join("manifest.json"), &bytes)
    }
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}
