//! `verify`: reads the whole archive and checks everything that can be checked.
//!
//! - every record's chained CRC32C and that sequence numbers only grow (a flipped byte, a
//!   dropped, swapped or inserted record, a torn tail);
//! - every sealed segment's SHA-256 (of its uncompressed bytes), record count and size
//!   against its seal record in the evidence lane (an edit a forger fixed the CRCs of);
//! - the Merkle log: at every checkpoint record, the leaves before it must have the
//!   checkpoint's size and root, and its signature must verify with the given key; the
//!   `checkpoint` file (the latest, the one witnesses fetch) must be a prefix of the log (a
//!   truncated evidence lane);
//! - purged segments: their files are gone, their seal record (a leaf) is still there, and
//!   the report says when and by which purge record they went.
//!
//! It stops at the first break and names the file, byte offset (in the uncompressed
//! bytes) and record index; the report of what verified before the break comes with it.
//! It reads, never writes: run it on a copy or a live archive alike.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::catalog::{PurgeRecord, SegmentInfo};
use crate::checkpoint::{Checkpoint, NoteVerifier};
use crate::config::EVIDENCE_LANE;
use crate::merkle::{self, Frontier, Hash};
use crate::record::Kind;
use crate::segment::{self, gz_path, list_segments};

/// Where the archive breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Break {
    /// The file.
    pub file: PathBuf,
    /// Byte offset in the file's uncompressed contents.
    pub offset: u64,
    /// Index (from 0) of the record in its segment, when the break is at a record.
    pub record_index: Option<u64>,
    /// What is wrong.
    pub reason: String,
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at byte {}", self.file.display(), self.offset)?;
        if let Some(i) = self.record_index {
            write!(f, " (record {i})")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// A segment deleted by retention.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurgedSegment {
    /// Lane.
    pub lane: String,
    /// Segment number.
    pub segment: u64,
    /// When it was purged, ms since the Unix epoch.
    pub purged_at_ms: i64,
    /// Sequence number of the purge record.
    pub purge_seq: u64,
    /// Why.
    pub reason: String,
}

/// What verified.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Segment files read.
    pub segments: u64,
    /// Of which sealed, with their SHA-256 matching the seal record.
    pub sealed_segments: u64,
    /// Records read, every CRC good.
    pub records: u64,
    /// Leaves of the Merkle log.
    pub leaves: u64,
    /// Checkpoint records whose root matched the log (and whose signature verified, when a
    /// key was given).
    pub checkpoints: u64,
    /// Whether signatures were checked (a key was given).
    pub signatures_checked: bool,
    /// Tree size of the `checkpoint` file, if there is one and it matched.
    pub latest_checkpoint_size: Option<u64>,
    /// Segments deleted by retention ("purged by retention at T, record N").
    pub purged: Vec<PurgedSegment>,
    /// Segments (lane, number) behind their lane's open one that have no seal record yet,
    /// with no sealed segment after them: what a crash between starting a lane's next
    /// segment and committing the seal record leaves. Their frames and sequence numbers
    /// were checked like the open segment's; the service seals them (SHA-256 and a seal
    /// record) the next time it opens the archive, as recovery reports.
    pub awaiting_seal: Vec<(String, u64)>,
}

/// The archive is broken (or could not be read).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The first break found; `verified` is what checked out before it.
    #[error("archive breaks in {at}")]
    Broken {
        /// Where and why.
        at: Break,
        /// What verified before the break.
        verified: Box<VerifyReport>,
    },
    /// The directory could not be read.
    #[error("verify: {0}")]
    Io(#[from] std::io::Error),
}

/// Verifies the archive in `dir`. With `key`, checkpoint signatures are checked too.
pub fn verify(dir: &Path, key: Option<&NoteVerifier>) -> Result<VerifyReport, VerifyError> {
    let mut v = Verifier {
        key,
        report: VerifyReport { signatures_checked: key.is_some(), ..Default::default() },
        frontier: Frontier::default(),
        leaves: Vec::new(),
        seals: BTreeMap::new(),
        purges: BTreeMap::new(),
    };
    match v.run(dir) {
        Ok(()) => Ok(v.report),
        Err(Stop::Break(at)) => Err(VerifyError::Broken { at, verified: Box::new(v.report) }),
        Err(Stop::Io(e)) => Err(VerifyError::Io(e)),
    }
}

enum Stop {
    Break(Break),
    Io(std::io::Error),
}

impl From<std::io::Error> for Stop {
    fn from(e: std::io::Error) -> Self {
        Stop::Io(e)
    }
}

fn broken(file: &Path, offset: u64, record_index: Option<u64>, reason: String) -> Stop {
    Stop::Break(Break { file: file.to_path_buf(), offset, record_index, reason })
}

struct Verifier<'k> {
    key: Option<&'k NoteVerifier>,
    report: VerifyReport,
    frontier: Frontier,
    leaves: Vec<Hash>,
    /// (lane, segment) -> (seal info, seal record seq)
    seals: BTreeMap<(String, u64), (SegmentInfo, u64)>,
    /// (lane, segment) -> (purged at, purge record seq, reason)
    purges: BTreeMap<(String, u64), (i64, u64, String)>,
}

/// Where a segment stands in its lane (see [`Verifier::place`]).
#[derive(Clone, Copy)]
enum Place {
    Sealed,
    UnsealedTail,
    Open,
}

/// A segment as read: its SHA-256, record count, length and path.
struct Read {
    path: PathBuf,
    sha: Hash,
    records: u64,
    bytes: u64,
}

impl Verifier<'_> {
    fn run(&mut self, dir: &Path) -> Result<(), Stop> {
        let lanes_dir = dir.join("lanes");
        // The evidence lane first: it holds the seals the other lanes are checked against.
        let ev_dir = lanes_dir.join(EVIDENCE_LANE);
        let ev_nos = list_segments(&ev_dir)?;
        let mut ev_reads = Vec::new();
        let mut last_seq = None;
        for &no in &ev_nos {
            ev_reads.push((no, self.read_segment(&ev_dir, no, true, &mut last_seq)?));
        }
        let ev_nos: Vec<u64> = ev_reads.iter().map(|(no, _)| *no).collect();
        for (i, (no, read)) in ev_reads.iter().enumerate() {
            let place = self.place(EVIDENCE_LANE, &ev_nos, i);
            self.check_sealed(EVIDENCE_LANE, *no, read, place)?;
        }
        self.report.leaves = self.leaves.len() as u64;

        let mut names: Vec<String> = fs::read_dir(&lanes_dir)?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n != EVIDENCE_LANE)
            .collect();
        names.sort();
        for name in names {
            let ldir = lanes_dir.join(&name);
            let mut nos = list_segments(&ldir)?;
            nos.extend(self.seals.keys().filter(|k| k.0 == name).map(|k| k.1));
            nos.extend(self.purges.keys().filter(|k| k.0 == name).map(|k| k.1));
            nos.sort_unstable();
            nos.dedup();
            let mut last_seq = None;
            for (i, &no) in nos.iter().enumerate() {
                let key = (name.clone(), no);
                if let Some((at, seq, reason)) = self.purges.get(&key) {
                    self.report.purged.push(PurgedSegment {
                        lane: name.clone(),
                        segment: no,
                        purged_at_ms: *at,
                        purge_seq: *seq,
                        reason: reason.clone(),
                    });
                    continue;
                }
                let read = self.read_segment(&ldir, no, false, &mut last_seq)?;
                let place = self.place(&name, &nos, i);
                self.check_sealed(&name, no, &read, place)?;
            }
        }

        // The latest checkpoint, as published: it must be a prefix of the log.
        let cp_path = dir.join("checkpoint");
        if let Ok(note) = fs::read_to_string(&cp_path) {
            let cp = self.checkpoint(&note, &cp_path, 0, None)?;
            let n = cp.size as usize;
            if n > self.leaves.len() || merkle::root(&self.leaves[..n]) != cp.root {
                return Err(broken(
                    &cp_path,
                    0,
                    None,
                    format!(
                        "the published checkpoint (size {}) is not a prefix of the log ({} leaves): \
                         evidence records are missing or changed",
                        cp.size,
                        self.leaves.len()
                    ),
                ));
            }
            self.report.latest_checkpoint_size = Some(cp.size);
        }
        Ok(())
    }

    /// Reads one segment, checking frames, sequence order and (in the evidence lane) the
    /// Merkle log at every checkpoint.
    fn read_segment(&mut self, dir: &Path, no: u64, evidence: bool, last_seq: &mut Option<u64>) -> Result<Read, Stop> {
        let (path, r) = match segment::open_for_read(dir, no, None) {
            Ok(x) => x,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(broken(
                    &gz_path(dir, no),
                    0,
                    None,
                    "segment file missing, and no purge record deleted it".into(),
                ))
            }
            Err(e) => return Err(e.into()),
        };
        let mut problem: Option<Stop> = None;
        let scan = segment::scan(r, |rec, offset, index| {
            if problem.is_some() {
                return;
            }
            if last_seq.is_some_and(|l| rec.seq <= l) {
                problem = Some(broken(
                    &path,
                    offset,
                    Some(index),
                    format!("sequence number {} after {}", rec.seq, last_seq.unwrap()),
                ));
                return;
            }
            *last_seq = Some(rec.seq);
            if !evidence {
                return;
            }
            if rec.merkle_leaf {
                let h = rec.leaf_hash();
                self.frontier.push(h);
                self.leaves.push(h);
            }
            let at = |reason: String| broken(&path, offset, Some(index), reason);
            match rec.kind {
                Kind::SEAL => match serde_json::from_slice::<SegmentInfo>(&rec.payload) {
                    Ok(info) => {
                        self.seals.insert((info.lane.clone(), info.segment), (info, rec.seq));
                    }
                    Err(e) => problem = Some(at(format!("seal record does not parse: {e}"))),
                },
                Kind::PURGE => match serde_json::from_slice::<PurgeRecord>(&rec.payload) {
                    Ok(p) => {
                        for s in p.segments {
                            self.purges.insert((s.lane, s.segment), (p.at_ms, rec.seq, p.reason.clone()));
                        }
                    }
                    Err(e) => problem = Some(at(format!("purge record does not parse: {e}"))),
                },
                Kind::CHECKPOINT => {
                    let note = String::from_utf8_lossy(&rec.payload).into_owned();
                    match self.checkpoint(&note, &path, offset, Some(index)) {
                        Err(e) => problem = Some(e),
                        Ok(cp) => {
                            if cp.size != self.frontier.size() || cp.root != self.frontier.root() {
                                problem = Some(at(format!(
                                    "checkpoint of {} leaves does not match the log before it \
                                     ({} leaves): a leaf record was changed, dropped or added",
                                    cp.size,
                                    self.frontier.size()
                                )));
                            } else {
                                self.report.checkpoints += 1;
                            }
                        }
                    }
                }
                _ => {}
            }
        })?;
        if let Some(p) = problem {
            return Err(p);
        }
        if let Some(bad) = scan.bad {
            return Err(broken(&path, bad.offset, Some(bad.record_index), bad.reason));
        }
        self.report.segments += 1;
        self.report.records += scan.records;
        Ok(Read { sha: scan.sha256(), records: scan.records, bytes: scan.good_len, path })
    }

    /// Where segment `nos[i]` of a lane stands: the open one (last), behind it but after
    /// every sealed or purged segment (the unsealed tail a crash while sealing leaves), or
    /// among the sealed ones.
    fn place(&self, lane: &str, nos: &[u64], i: usize) -> Place {
        let recorded = |no: &u64| {
            let key = (lane.to_string(), *no);
            self.seals.contains_key(&key) || self.purges.contains_key(&key)
        };
        if i + 1 == nos.len() {
            Place::Open
        } else if !nos[i + 1..].iter().any(recorded) {
            Place::UnsealedTail
        } else {
            Place::Sealed
        }
    }

    /// Checks a segment against its seal record. Only the open segment, and segments in
    /// the unsealed tail just before it (a crash while sealing; recovery seals them), may
    /// lack one: a seal record missing before a sealed segment means the log lost it.
    fn check_sealed(&mut self, lane: &str, no: u64, read: &Read, place: Place) -> Result<(), Stop> {
        let Some((info, seal_seq)) = self.seals.get(&(lane.to_string(), no)) else {
            return match place {
                Place::Open => Ok(()),
                Place::UnsealedTail => {
                    self.report.awaiting_seal.push((lane.to_string(), no));
                    Ok(())
                }
                Place::Sealed => Err(broken(
                    &read.path,
                    0,
                    None,
                    "segment has no seal record, yet a later segment of its lane is sealed".into(),
                )),
            };
        };
        let at = |reason: String| broken(&read.path, 0, None, reason);
        if merkle::to_hex(&read.sha) != info.sha256 {
            return Err(at(format!(
                "SHA-256 of the segment is {}, its seal record (seq {seal_seq}) says {}",
                merkle::to_hex(&read.sha),
                info.sha256
            )));
        }
        if read.records != info.records || read.bytes != info.bytes {
            return Err(at(format!(
                "{} records / {} bytes, its seal record (seq {seal_seq}) says {} / {}",
                read.records, read.bytes, info.records, info.bytes
            )));
        }
        self.report.sealed_segments += 1;
        Ok(())
    }

    fn checkpoint(&self, note: &str, path: &Path, offset: u64, index: Option<u64>) -> Result<Checkpoint, Stop> {
        match self.key {
            Some(k) => k.verify(note).map_err(|e| broken(path, offset, index, format!("checkpoint: {e}"))),
            None => Checkpoint::parse_unverified(note)
                .ok_or_else(|| broken(path, offset, index, "checkpoint does not parse".into())),
        }
    }
}
