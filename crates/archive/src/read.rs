//! Reading records back in append order, across lanes and across open and sealed segments.

use std::collections::VecDeque;
use std::io::Read;
use std::path::PathBuf;

use crate::catalog::LaneState;
use crate::error::{Error, Result};
use crate::record::{FrameReader, Kind, Record};
use crate::segment::{self, SegmentHeader, HEADER_BYTES};

/// Which records to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadOptions {
    /// Oldest record time, ms since the Unix epoch (inclusive).
    pub from_ms: i64,
    /// Newest record time, ms since the Unix epoch (exclusive).
    pub to_ms: i64,
    /// Only these kinds (all if `None`).
    pub kinds: Option<Vec<Kind>>,
    /// Only records with a greater sequence number.
    pub after_seq: Option<u64>,
}

impl ReadOptions {
    /// Every record.
    pub fn all() -> Self {
        ReadOptions { from_ms: i64::MIN, to_ms: i64::MAX, kinds: None, after_seq: None }
    }

    /// Records with time in `[from_ms, to_ms)`.
    pub fn time(from_ms: i64, to_ms: i64) -> Self {
        ReadOptions { from_ms, to_ms, ..Self::all() }
    }

    /// Records after sequence number `seq` (the replay tail after a snapshot).
    pub fn after(seq: u64) -> Self {
        ReadOptions { after_seq: Some(seq), ..Self::all() }
    }

    /// Only records of these kinds.
    pub fn kinds(mut self, kinds: &[Kind]) -> Self {
        self.kinds = Some(kinds.to_vec());
        self
    }

    pub(crate) fn wants_range(&self, seqs: (u64, u64), times: (i64, i64)) -> bool {
        times.1 >= self.from_ms && times.0 < self.to_ms && self.after_seq.is_none_or(|a| seqs.1 > a)
    }

    pub(crate) fn wants(&self, r: &Record) -> bool {
        r.time_ms >= self.from_ms
            && r.time_ms < self.to_ms
            && self.after_seq.is_none_or(|a| r.seq > a)
            && self.kinds.as_ref().is_none_or(|k| k.contains(&r.kind))
    }
}

struct Current {
    path: PathBuf,
    frames: FrameReader<Box<dyn Read + Send>>,
    offset: u64,
}

/// One lane's records, in order.
struct LaneCursor {
    dir: PathBuf,
    /// (segment number, readable length for the open segment)
    segments: VecDeque<(u64, Option<u64>)>,
    current: Option<Current>,
    done: bool,
}

impl LaneCursor {
    fn new(lane: &LaneState, opts: &ReadOptions) -> LaneCursor {
        let mut segments = VecDeque::new();
        for s in &lane.sealed {
            if opts.wants_range((s.first_seq, s.last_seq), (s.min_time_ms, s.max_time_ms)) {
                segments.push_back((s.segment, None));
            }
        }
        if let Some(o) = &lane.open {
            if let (Some(seqs), Some(times)) = (o.seq_range, o.time_range) {
                if opts.wants_range(seqs, times) {
                    segments.push_back((o.segment, Some(o.durable_len)));
                }
            }
        }
        LaneCursor { dir: lane.dir.clone(), segments, current: None, done: false }
    }

    fn next(&mut self, opts: &ReadOptions) -> Option<Result<Record>> {
        while !self.done {
            if self.current.is_none() {
                let (no, limit) = self.segments.pop_front()?;
                match self.open(no, limit) {
                    Ok(c) => self.current = Some(c),
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                }
            }
            let cur = self.current.as_mut().unwrap();
            match cur.frames.next() {
                Ok(None) => self.current = None,
                Ok(Some(Ok(f))) => {
                    cur.offset += f.len;
                    if opts.wants(&f.record) {
                        return Some(Ok(f.record));
                    }
                }
                Ok(Some(Err(e))) => {
                    self.done = true;
                    return Some(Err(Error::Damaged {
                        file: cur.path.clone(),
                        offset: cur.offset,
                        reason: e.to_string(),
                    }));
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(Error::Damaged {
                        file: cur.path.clone(),
                        offset: cur.offset,
                        reason: e.to_string(),
                    }));
                }
            }
        }
        None
    }

    fn open(&self, no: u64, limit: Option<u64>) -> Result<Current> {
        let (path, mut r) = segment::open_for_read(&self.dir, no, limit)?;
        let mut hb = [0u8; HEADER_BYTES];
        let n = crate::record::read_full(&mut r, &mut hb)?;
        let damaged = |reason: String| Error::Damaged { file: path.clone(), offset: 0, reason };
        if n < HEADER_BYTES {
            return Err(damaged("incomplete segment header".into()));
        }
        let (_, crc) = SegmentHeader::decode(&hb).map_err(damaged)?;
        Ok(Current { path, frames: FrameReader::new(r, crc), offset: HEADER_BYTES as u64 })
    }
}

/// Records in append (sequence) order: an iterator of `Result<Record>`. After an error the
/// lane that failed yields nothing more; the others go on.
pub struct Records {
    opts: ReadOptions,
    lanes: Vec<LaneCursor>,
    heads: Vec<Option<Record>>,
    primed: bool,
    pending_error: Option<Error>,
}

impl Records {
    pub(crate) fn new<'a>(lanes: impl Iterator<Item = &'a LaneState>, opts: ReadOptions) -> Self {
        let lanes: Vec<LaneCursor> = lanes.map(|l| LaneCursor::new(l, &opts)).collect();
        let heads = (0..lanes.len()).map(|_| None).collect();
        Records { opts, lanes, heads, primed: false, pending_error: None }
    }

    fn fill(&mut self, i: usize) {
        match self.lanes[i].next(&self.opts) {
            Some(Ok(r)) => self.heads[i] = Some(r),
            Some(Err(e)) => {
                self.heads[i] = None;
                if self.pending_error.is_none() {
                    self.pending_error = Some(e);
                }
            }
            None => self.heads[i] = None,
        }
    }
}

impl Iterator for Records {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        if !self.primed {
            self.primed = true;
            for i in 0..self.lanes.len() {
                self.fill(i);
            }
        }
        if let Some(e) = self.pending_error.take() {
            return Some(Err(e));
        }
        // A handful of lanes: a linear pick of the smallest head is simpler than a heap.
        let i = (0..self.heads.len())
            .filter(|&i| self.heads[i].is_some())
            .min_by_key(|&i| self.heads[i].as_ref().unwrap().seq)?;
        let rec = self.heads[i].take();
        self.fill(i);
        rec.map(Ok)
    }
}
