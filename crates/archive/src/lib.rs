//! DOCS
#![warn(missing_docs)]

mod archive;
mod catalog;
pub mod checkpoint;
mod config;
mod error;
pub mod fault;
mod index;
pub mod merkle;
mod read;
mod record;
mod segment;
mod snapshot;
mod verify;
mod writer;

pub use archive::{parse_checkpoint, Archive, PurgeReport, RecoveryReport, TailCut, Ticket};
pub use catalog::{Health, Hold, HoldRecord, PurgeRecord, Purged, SegmentInfo};
pub use checkpoint::{generate_key, Checkpoint, NoteSigner, NoteVerifier};
pub use config::{Config, FsyncPolicy, LaneConfig, EVIDENCE_LANE, QUEUE_CAPACITY};
pub use error::{Error, Result};
pub use index::{
    AlertVersionRow, GeoBox, IndexEntry, Indexer, NoIndexer, PositionRow, PositionSample,
    INDEX_SYNC_EVERY,
};
pub use read::{ReadOptions, Records};
pub use record::{kinds, Kind, NewRecord, Record, MAX_PAYLOAD_BYTES};
pub use segment::{HEADER_BYTES as SEGMENT_HEADER_BYTES, SEGMENT_MAGIC};
pub use snapshot::{Snapshot, SNAPSHOTS_KEPT};
pub use verify::{verify, Break, PurgedSegment, VerifyError, VerifyReport};
