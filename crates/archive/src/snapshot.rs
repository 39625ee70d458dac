//! Engine snapshots: opaque bytes the service writes now and then, so that a restart is
//! "latest snapshot + the records after it" rather than a replay of everything.
//!
//! File `snapshots/<at_seq>.snap`:
//! magic `LKSNAP01`, at_seq u64 LE, at_ms i64 LE, length u64 LE, CRC32C u32 LE of the bytes,
//! then the bytes. Written to a temporary file, fsynced, renamed, directory fsynced: a crash
//! leaves the old snapshot or the new one, never half of one.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::segment::sync_dir;

const MAGIC: &[u8; 8] = b"LKSNAP01";
const HEADER: usize = 8 + 8 + 8 + 8 + 4;
/// Snapshots kept; older ones are deleted after a new one is written.
pub const SNAPSHOTS_KEPT: usize = 3;

/// A snapshot read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// Records with seq < `at_seq` are reflected in it; replay from `at_seq`.
    pub at_seq: u64,
    /// The engine's time at the snapshot, ms since the Unix epoch.
    pub at_ms: i64,
    /// The engine's bytes.
    pub bytes: Vec<u8>,
    /// Its file.
    pub path: PathBuf,
}

/// Writes `bytes` to `path` atomically (temporary file, fsync, rename, fsync directory).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = path.with_extension("tmp");
    let mut f = File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    fs::rename(&tmp, path)?;
    sync_dir(dir)
}

pub(crate) fn write(dir: &Path, at_seq: u64, at_ms: i64, bytes: &[u8]) -> io::Result<PathBuf> {
    fs::create_dir_all(dir)?;
    let mut out = Vec::with_capacity(HEADER + bytes.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&at_seq.to_le_bytes());
    out.extend_from_slice(&at_ms.to_le_bytes());
    out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32c::crc32c(bytes).to_le_bytes());
    out.extend_from_slice(bytes);
    let path = dir.join(format!("{at_seq:020}.snap"));
    write_atomic(&path, &out)?;
    let mut all = list(dir)?;
    while all.len() > SNAPSHOTS_KEPT {
        fs::remove_file(all.remove(0))?;
    }
    sync_dir(dir)?;
    Ok(path)
}

fn list(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = match fs::read_dir(dir) {
        Ok(rd) => {
            rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "snap")).collect()
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    v.sort();
    Ok(v)
}

/// The newest snapshot that reads back intact (a damaged one is skipped, not fatal).
pub(crate) fn latest(dir: &Path) -> io::Result<Option<Snapshot>> {
    for path in list(dir)?.into_iter().rev() {
        let b = fs::read(&path)?;
        if b.len() < HEADER || &b[..8] != MAGIC {
            continue;
        }
        let len = u64::from_le_bytes(b[24..32].try_into().unwrap()) as usize;
        let crc = u32::from_le_bytes(b[32..36].try_into().unwrap());
        if b.len() != HEADER + len || crc32c::crc32c(&b[HEADER..]) != crc {
            continue;
        }
        return Ok(Some(Snapshot {
            at_seq: u64::from_le_bytes(b[8..16].try_into().unwrap()),
            at_ms: i64::from_le_bytes(b[16..24].try_into().unwrap()),
            bytes: b[HEADER..].to_vec(),
            path,
        }));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    #[test]
    fn newest_intact_snapshot_wins_and_old_ones_go() {
        let d = tempfile::tempdir().unwrap();
        for i in 0..5u64 {
            super::write(d.path(), i * 10, i as i64, format!("state {i}").as_bytes()).unwrap();
        }
        assert_eq!(super::list(d.path()).unwrap().len(), super::SNAPSHOTS_KEPT);
        let s = super::latest(d.path()).unwrap().unwrap();
        assert_eq!((s.at_seq, s.bytes.as_slice()), (40, &b"state 4"[..]));
        // Damage the newest: the one before is used.
        let mut b = std::fs::read(&s.path).unwrap();
        *b.last_mut().unwrap() ^= 1;
        std::fs::write(&s.path, b).unwrap();
        assert_eq!(super::latest(d.path()).unwrap().unwrap().at_seq, 30);
    }
}
