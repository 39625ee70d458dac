//! The one error type of the crate.

use std::path::PathBuf;

/// Everything that can go wrong in the archive.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O error from the file system (disk full shows up here as `StorageFull`, `ENOSPC`).
    #[error("archive I/O: {0}")]
    Io(#[from] std::io::Error),

    /// The index database failed; indexes are rebuildable from the segments.
    #[error("archive index: {0}")]
    Index(String),

    /// A JSON payload written by the archive itself (seal, purge, hold) did not parse.
    #[error("archive metadata: {0}")]
    Json(#[from] serde_json::Error),

    /// The writer stopped after a write or fsync error; nothing more is acknowledged until the
    /// archive is reopened (after `fsync` fails, the page cache is in an unknown state, so a
    /// retry could report success for data that never reached the disk).
    #[error("archive writer failed (no input is acknowledged until restart): {0}")]
    WriterFailed(String),

    /// The archive is closed (dropped or shut down).
    #[error("archive is closed")]
    Closed,

    /// Data that must be intact to open the archive is damaged (run `verify` for the details).
    #[error("archive damaged in {file} at byte {offset}: {reason}")]
    Damaged {
        /// The damaged file.
        file: PathBuf,
        /// Byte offset in the file's uncompressed contents.
        offset: u64,
        /// What is wrong.
        reason: String,
    },

    /// A configuration value is impossible.
    #[error("archive configuration: {0}")]
    Config(String),

    /// The signing key file is missing or malformed.
    #[error("signing key {path}: {reason}")]
    Key {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },

    /// A record is larger than [`crate::MAX_PAYLOAD_BYTES`].
    #[error("record payload of {0} bytes is larger than the limit")]
    RecordTooLarge(usize),
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for Error {
            fn from(e: $t) -> Self {
                Error::Index(e.to_string())
            }
        }
    )*};
}
from_redb!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError
);

/// Result with the archive's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
