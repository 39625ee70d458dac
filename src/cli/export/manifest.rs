//! The manifest written beside an export (`FILE.manifest.json`): what was asked, what was
//! written, and the chain from each exported item to a signed checkpoint of the archive.
//!
//! The chain, for an alert point: the point's fields are those of an archived alert-version
//! record (`alerts[].leaf`, its fields given in full), whose leaf hash leads by its
//! inclusion proof to the root of the checkpoint (`checkpoint.note`), whose signature the
//! archive's key makes. For a track position: the position came from an archive record
//! (its `archive_seq`) stored in a segment (`segments[]`); a sealed segment's SHA-256 is in
//! its seal record, a leaf proven the same way. What is not in the chain yet (an unsealed
//! segment, an alert version newer than the checkpoint) is listed as such.

use lookout_archive::LeafEvidence;
use serde::{Deserialize, Serialize};

/// Format of the manifest (this is version 1).
pub const MANIFEST_VERSION: u32 = 1;

/// `FILE.manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The manifest format, [`MANIFEST_VERSION`].
    pub lookout_export: u32,
    /// When the export was made (wall clock, RFC 3339).
    pub created_at: String,
    /// The program that made it (`lookout 0.1.0`).
    pub created_by: String,
    /// The archive it came from.
    pub archive: ArchiveRef,
    /// What was asked.
    pub parameters: Parameters,
    /// The file written.
    pub output: OutputRef,
    /// The latest signed checkpoint when the export was made (none if the archive signs
    /// none: then nothing here is proven).
    pub checkpoint: Option<CheckpointRef>,
    /// How much of what.
    pub counts: Counts,
    /// Every exported alert version, with its archived record and proof.
    pub alerts: Vec<AlertEntry>,
    /// Every segment the exported positions came from.
    pub segments: Vec<SegmentEntry>,
    /// Recordings that positions were read from (file sources archive which slice of a
    /// recording was played, not its lines).
    pub recordings: Vec<RecordingEntry>,
    /// What a reader should know (limits of the chain).
    pub notes: Vec<String>,
}

/// The archive an export came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArchiveRef {
    /// Its directory, as given to `export --archive`.
    pub dir: String,
    /// The log's name (the checkpoint's origin line), if it signs checkpoints.
    pub origin: Option<String>,
}

/// The export's parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parameters {
    /// Start of the window (inclusive), RFC 3339.
    pub from: String,
    /// End of the window (exclusive), RFC 3339.
    pub to: String,
    /// Only these vessels (empty: every vessel).
    pub mmsi: Vec<u32>,
    /// Only vessels with a position in, and alerts inside, this box:
    /// `[min_lat, min_lon, max_lat, max_lon]`, degrees.
    pub bbox: Option<[f64; 4]>,
    /// `geojson`, `kml` or `csv`.
    pub format: String,
    /// At most one position per vessel per this many seconds (0: every position).
    pub min_interval_s: f64,
}

/// The file an export wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputRef {
    /// Its name (no directory: the two files travel together).
    pub file: String,
    /// Its size, bytes.
    pub bytes: u64,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
}

/// A signed checkpoint, as stored in the archive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointRef {
    /// The signed note, whole (C2SP signed-note format): origin, tree size, root, signature.
    pub note: String,
    /// Its origin line (informative; checked against the note).
    pub origin: String,
    /// Its tree size (informative; checked against the note).
    pub tree_size: u64,
    /// Its root, hex (informative; checked against the note).
    pub root: String,
}

/// Counts of what was exported.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Vessels with a track.
    pub vessels: u64,
    /// Track positions.
    pub positions: u64,
    /// Of which from sealed segments.
    pub positions_sealed: u64,
    /// Alert versions.
    pub alert_versions: u64,
    /// Of which covered by the checkpoint (with an inclusion proof).
    pub alert_versions_in_checkpoint: u64,
}

/// An exported alert version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertEntry {
    /// The alert's id.
    pub alert_id: u64,
    /// The version.
    pub version: u32,
    /// Whether the checkpoint covers it (`leaf.inclusion_proof` is then its proof; if not,
    /// the version was archived after the checkpoint and the proof is empty).
    pub in_checkpoint: bool,
    /// The archived record (a Merkle leaf) and its proof.
    pub leaf: LeafEvidence,
}

/// A segment positions were exported from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentEntry {
    /// Lane.
    pub lane: String,
    /// Segment number.
    pub segment: u64,
    /// Positions exported from it.
    pub positions: u64,
    /// Sequence numbers of the first and last record positions came from.
    pub first_position_seq: u64,
    /// See `first_position_seq`.
    pub last_position_seq: u64,
    /// `sealed`, or `not yet sealed` (the lane's open segment: no hash vouches for it yet).
    pub status: String,
    /// The segment's SHA-256 (uncompressed bytes), hex, from its seal record.
    pub sha256: Option<String>,
    /// The seal record (its payload states lane, segment, sequence range and SHA-256) and
    /// its inclusion proof; `None` for an unsealed segment.
    pub seal: Option<LeafEvidence>,
    /// Whether the checkpoint covers the seal record (if not, it was sealed after the
    /// checkpoint and `seal.inclusion_proof` is empty).
    pub seal_in_checkpoint: bool,
    /// Whether some positions came from file-source slices (see `recordings`).
    pub via_recordings: bool,
}

/// A recording file positions were read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingEntry {
    /// Its path as the archive names it.
    pub path: String,
    /// Its size when exported, bytes.
    pub bytes: u64,
    /// Its SHA-256 when exported, hex (the archive itself does not hash recordings).
    pub sha256: String,
}
