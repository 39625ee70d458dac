//! A read-only view of an archive directory, for tools that read while the service that
//! owns the archive goes on writing: an export, a check.
//!
//! [`crate::Archive::open`] takes the directory's `LOCK`, cuts torn tails, seals, starts a
//! writer: a second process must do none of that to a live archive. A view only reads. It
//! takes no lock, writes nothing, and treats what it cannot read at the end of a segment no
//! seal record vouches for as the writer's batch in flight (what a crash would cut), not as
//! damage. Damage in a sealed segment is an error, as is a sealed segment whose bytes do not
//! have the SHA-256 of its seal record: a view reads sealed segments whole and checks them.
//!
//! What it sees is the archive as of [`ArchiveView::open`] for the evidence lane (the Merkle
//! log, seals and the latest checkpoint), and as of each read for the other lanes' unsealed
//! segments, which grow while the service runs. A segment sealed after the evidence lane
//! was read counts as unsealed in the view: its seal record came too late to be seen.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::catalog::{PurgeRecord, SegmentInfo};
use crate::checkpoint::Checkpoint;
use crate::config::EVIDENCE_LANE;
use crate::error::{Error, Result};
use crate::merkle::{self, Hash};
use crate::read::ReadOptions;
use crate::record::{FrameReader, Kind, Record};
use crate::segment::{self, list_segments, SegmentHeader, HEADER_BYTES};

/// Which segment of a view a record came from: an index into [`ArchiveView::segments`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SegmentId(pub usize);

/// A segment as a view sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViewSegment {
    /// Lane name.
    pub lane: String,
    /// Segment number in the lane.
    pub segment: u64,
    /// Its seal (SHA-256, sequence and time ranges), if the evidence lane held one when the
    /// view was opened; `None`: the lane's open segment, or one sealed since.
    pub sealed: Option<SegmentInfo>,
}

/// The latest signed checkpoint a view found, already checked against the leaves it read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViewCheckpoint {
    /// The signed note, as stored (its signature is not checked here: that needs the key).
    pub note: String,
    /// The tree head it states.
    pub checkpoint: Checkpoint,
    /// Sequence number of the checkpoint record.
    pub seq: u64,
}

/// A read-only view of an archive directory (see the module docs).
pub struct ArchiveView {
    dir: PathBuf,
    segments: Vec<ViewSegment>,
    leaves: Vec<Hash>,
    leaf_seqs: Vec<u64>,
    /// (lane, segment) → its seal record (a Merkle leaf).
    seal_records: BTreeMap<(String, u64), Record>,
    checkpoint: Option<ViewCheckpoint>,
    evidence_tail_unread: bool,
    /// Sequence number of the last evidence record read at open: later ones (appended
    /// since) are not in the view's Merkle log, so reads stop there.
    evidence_end: Option<u64>,
}

impl ArchiveView {
    /// Reads the evidence lane (Merkle leaves, seal and purge records, the latest checkpoint)
    /// and lists every lane's segments. Fails if `dir` is not an archive, if a sealed
    /// evidence segment is damaged or does not match its seal, or if the latest checkpoint's
    /// root is not the root of the leaves before it (run `verify` for the details).
    pub fn open(dir: &Path) -> Result<ArchiveView> {
        let lanes_dir = dir.join("lanes");
        if !lanes_dir.is_dir() {
            return Err(Error::Config(format!("{} is not an archive directory (no lanes/)", dir.display())));
        }
        let mut v = ArchiveView {
            dir: dir.to_path_buf(),
            segments: Vec::new(),
            leaves: Vec::new(),
            leaf_seqs: Vec::new(),
            seal_records: BTreeMap::new(),
            checkpoint: None,
            evidence_tail_unread: false,
            evidence_end: None,
        };
        let mut purged: BTreeSet<(String, u64)> = BTreeSet::new();
        let mut bad_payload: Option<String> = None;
        let ev_dir = lanes_dir.join(EVIDENCE_LANE);
        let ev_nos = list_segments(&ev_dir)?;
        let mut ev_reads: Vec<(u64, PathBuf, Hash)> = Vec::new();
        for (i, &no) in ev_nos.iter().enumerate() {
            let (path, r) = segment::open_for_read(&ev_dir, no, None)?;
            let s = segment::scan(r, |rec, _, _| {
                v.evidence_end = Some(rec.seq);
                if rec.merkle_leaf {
                    v.leaves.push(rec.leaf_hash());
                    v.leaf_seqs.push(rec.seq);
                }
                let r: std::result::Result<(), String> = match rec.kind {
                    Kind::SEAL => serde_json::from_slice::<SegmentInfo>(&rec.payload)
                        .map(|info| {
                            v.seal_records.insert((info.lane, info.segment), rec.clone());
                        })
                        .map_err(|e| e.to_string()),
                    Kind::PURGE => serde_json::from_slice::<PurgeRecord>(&rec.payload)
                        .map(|p| purged.extend(p.segments.into_iter().map(|s| (s.lane, s.segment))))
                        .map_err(|e| e.to_string()),
                    Kind::CHECKPOINT => {
                        let note = String::from_utf8_lossy(&rec.payload).into_owned();
                        match Checkpoint::parse_unverified(&note) {
                            Some(checkpoint) => {
                                v.checkpoint = Some(ViewCheckpoint { note, checkpoint, seq: rec.seq });
                                Ok(())
                            }
                            None => Err("checkpoint record does not parse".into()),
                        }
                    }
                    _ => Ok(()),
                };
                if let Err(e) = r {
                    bad_payload.get_or_insert(format!("record {}: {e}", rec.seq));
                }
            })?;
            if let Some(bad) = &s.bad {
                if i + 1 < ev_nos.len() {
                    return Err(Error::Damaged {
                        file: path,
                        offset: bad.offset,
                        reason: format!("{} (record {}); run verify", bad.reason, bad.record_index),
                    });
                }
                // The last evidence segment is the open one: its unreadable end is a batch
                // the writer has not finished writing.
                v.evidence_tail_unread = true;
            }
            ev_reads.push((no, path, s.sha256()));
        }
        if let Some(e) = bad_payload {
            return Err(Error::Damaged { file: ev_dir, offset: 0, reason: e });
        }
        // Sealed evidence segments must be what their seals say: the leaves come from them.
        for (no, path, sha) in &ev_reads {
            if let Some(info) = v.seal_info(EVIDENCE_LANE, *no) {
                if merkle::to_hex(sha) != info.sha256 {
                    return Err(Error::Damaged {
                        file: path.clone(),
                        offset: 0,
                        reason: format!(
                            "SHA-256 is {}, its seal record says {}; run verify",
                            merkle::to_hex(sha),
                            info.sha256
                        ),
                    });
                }
            }
        }
        if let Some(cp) = &v.checkpoint {
            let n = cp.checkpoint.size as usize;
            if n > v.leaves.len() || merkle::root(&v.leaves[..n]) != cp.checkpoint.root {
                return Err(Error::Damaged {
                    file: ev_dir.clone(),
                    offset: 0,
                    reason: format!(
                        "the checkpoint at record {} (size {}) does not match the {} leaves before it; run verify",
                        cp.seq,
                        cp.checkpoint.size,
                        v.leaves.len()
                    ),
                });
            }
        }

        let mut names: Vec<String> = fs::read_dir(&lanes_dir)?
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for lane in names {
            for no in list_segments(&lanes_dir.join(&lane))? {
                if purged.contains(&(lane.clone(), no)) {
                    continue; // deleted by retention; a crash left the file behind
                }
                let sealed = v.seal_info(&lane, no);
                v.segments.push(ViewSegment { lane: lane.clone(), segment: no, sealed });
            }
        }
        Ok(v)
    }

    fn seal_info(&self, lane: &str, no: u64) -> Option<SegmentInfo> {
        let rec = self.seal_records.get(&(lane.to_string(), no))?;
        serde_json::from_slice(&rec.payload).ok()
    }

    /// The archive's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every segment on disk and not purged, lane by lane (lanes by name), oldest first.
    pub fn segments(&self) -> &[ViewSegment] {
        &self.segments
    }

    /// A segment by the id records carry.
    pub fn segment(&self, id: SegmentId) -> &ViewSegment {
        &self.segments[id.0]
    }

    /// The seal record of a segment: a Merkle leaf whose payload is its [`SegmentInfo`].
    pub fn seal_record(&self, lane: &str, segment: u64) -> Option<&Record> {
        self.seal_records.get(&(lane.to_string(), segment))
    }

    /// The latest checkpoint record in the evidence lane, its root checked against the
    /// leaves (not its signature).
    pub fn latest_checkpoint(&self) -> Option<&ViewCheckpoint> {
        self.checkpoint.as_ref()
    }

    /// Whether the end of the open evidence segment could not be read (a batch being
    /// written as the view was opened).
    pub fn evidence_tail_unread(&self) -> bool {
        self.evidence_tail_unread
    }

    /// Number of leaves read.
    pub fn merkle_size(&self) -> u64 {
        self.leaves.len() as u64
    }

    /// The leaf index of the record with sequence number `seq`, if it is a leaf.
    pub fn merkle_leaf_index(&self, seq: u64) -> Option<u64> {
        self.leaf_seqs.binary_search(&seq).ok().map(|i| i as u64)
    }

    /// Tree head of the first `size` leaves.
    pub fn merkle_root(&self, size: u64) -> Option<Hash> {
        (size as usize <= self.leaves.len()).then(|| merkle::root(&self.leaves[..size as usize]))
    }

    /// Inclusion proof of leaf `index` in the tree of the first `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Option<Vec<Hash>> {
        if size as usize > self.leaves.len() {
            return None;
        }
        merkle::inclusion_proof(&self.leaves[..size as usize], index as usize)
    }

    /// Records matching `opts`, lane after lane (each lane in append order), with the
    /// segment each came from. The evidence lane is read as far as it was at open (so every
    /// leaf read is in the view's Merkle log); the other lanes as far as they are. A sealed segment is read whole and its SHA-256 checked
    /// against its seal: a mismatch ends the iteration with an error after its records.
    /// Sealed segments outside the time, sequence or kind range are skipped unread.
    pub fn records(&self, opts: ReadOptions) -> ViewRecords<'_> {
        let todo = (0..self.segments.len())
            .filter(|&i| match &self.segments[i].sealed {
                Some(s) => {
                    opts.wants_range((s.first_seq, s.last_seq), (s.min_time_ms, s.max_time_ms))
                        && opts.kinds.as_ref().is_none_or(|k| k.iter().any(|k| s.kinds.contains(&k.0)))
                }
                None => true,
            })
            .map(SegmentId)
            .collect::<Vec<_>>()
            .into_iter();
        ViewRecords { view: self, opts, todo, current: None, done: false, unread_tails: Vec::new() }
    }
}

struct Reading {
    id: SegmentId,
    path: PathBuf,
    frames: FrameReader<Box<dyn Read + Send>>,
    offset: u64,
    hasher: Option<Sha256>,
}

/// An unsealed segment whose end could not be read (see [`ViewRecords::unread_tails`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnreadTail {
    /// The segment.
    pub segment: SegmentId,
    /// Where reading stopped, bytes (uncompressed).
    pub offset: u64,
    /// Why.
    pub reason: String,
}

/// Records of an [`ArchiveView`]: `Result<(SegmentId, Record)>`, lane after lane.
pub struct ViewRecords<'a> {
    view: &'a ArchiveView,
    opts: ReadOptions,
    todo: std::vec::IntoIter<SegmentId>,
    current: Option<Reading>,
    done: bool,
    unread_tails: Vec<UnreadTail>,
}

impl ViewRecords<'_> {
    /// Unsealed segments whose end could not be read: a batch being written while the view
    /// read, or (`archive verify` tells which) damage that the next open would cut.
    pub fn unread_tails(&self) -> &[UnreadTail] {
        &self.unread_tails
    }

    fn open(&self, id: SegmentId) -> Result<Reading> {
        let s = self.view.segment(id);
        let dir = self.view.dir.join("lanes").join(&s.lane);
        let (path, mut r) = segment::open_for_read(&dir, s.segment, None)?;
        let mut hb = [0u8; HEADER_BYTES];
        let n = crate::record::read_full(&mut r, &mut hb)?;
        let damaged = |reason: String| Error::Damaged { file: path.clone(), offset: 0, reason };
        if n < HEADER_BYTES {
            return Err(damaged("incomplete segment header".into()));
        }
        let (_, crc) = SegmentHeader::decode(&hb).map_err(damaged)?;
        let hasher = s.sealed.as_ref().map(|_| {
            let mut h = Sha256::new();
            h.update(hb);
            h
        });
        Ok(Reading { id, path, frames: FrameReader::new(r, crc), offset: HEADER_BYTES as u64, hasher })
    }
}

impl Iterator for ViewRecords<'_> {
    type Item = Result<(SegmentId, Record)>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            if self.current.is_none() {
                let id = self.todo.next()?;
                match self.open(id) {
                    Ok(r) => self.current = Some(r),
                    // An unsealed segment sealed and compressed between listing and reading
                    // is found in its .gz form by open_for_read; any other failure is real.
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                }
            }
            let cur = self.current.as_mut().unwrap();
            let bad = match cur.frames.next() {
                Ok(Some(Ok(f))) => {
                    cur.offset += f.len;
                    if let Some(h) = &mut cur.hasher {
                        h.update(cur.frames.last_frame_bytes());
                    }
                    let lane = &self.view.segment(cur.id).lane;
                    if lane == EVIDENCE_LANE && self.view.evidence_end.is_none_or(|end| f.record.seq > end) {
                        // Appended after the view was opened: not in its log (an unsealed
                        // segment, so nothing is hashed that this leaves unread).
                        self.current = None;
                        continue;
                    }
                    if self.opts.wants(&f.record) {
                        return Some(Ok((cur.id, f.record)));
                    }
                    continue;
                }
                Ok(None) => None,
                Ok(Some(Err(e))) => Some(e.to_string()),
                Err(e) => Some(e.to_string()),
            };
            let cur = self.current.take().unwrap();
            let info = self.view.segment(cur.id).sealed.as_ref();
            let fail = |reason: String| Error::Damaged { file: cur.path.clone(), offset: cur.offset, reason };
            match (bad, info) {
                (Some(reason), None) => {
                    self.unread_tails.push(UnreadTail { segment: cur.id, offset: cur.offset, reason });
                }
                (Some(reason), Some(_)) => {
                    self.done = true;
                    return Some(Err(fail(format!("{reason} in a sealed segment; run verify"))));
                }
                (None, Some(info)) => {
                    let sha = merkle::to_hex(&cur.hasher.expect("sealed segments are hashed").finalize());
                    if sha != info.sha256 || cur.offset != info.bytes {
                        self.done = true;
                        return Some(Err(fail(format!(
                            "SHA-256 {sha} over {} bytes, its seal record says {} over {} bytes; run verify",
                            cur.offset, info.sha256, info.bytes
                        ))));
                    }
                }
                (None, None) => {}
            }
        }
        None
    }
}
