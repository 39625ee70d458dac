//! The writer thread: the only code that appends to segments.
//!
//! One loop: take the first request, keep taking requests until the batch's time is up
//! (`fsync_interval` after the first) or it holds `max_records`, write the batch to the open
//! segment of each lane it touched, fdatasync those files, and only then resolve the
//! batch's tickets. Sealing happens between batches (the batch before it is committed
//! first), so a seal never shares a commit with the records it seals.
//!
//! After any write or fsync error the writer stops acknowledging for good: it answers every
//! request with the error, and the archive has to be reopened (recovery then cuts whatever
//! part of a record reached the file). This is deliberate: once fsync has failed, Linux may
//! have dropped the dirty pages and a second fsync can succeed without them ("fsyncgate";
//! PostgreSQL panics in that case for the same reason).

use std::ops::Range;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::catalog::{now_ms, Health, OpenView, SegmentInfo, Shared};
use crate::checkpoint::{Checkpoint, NoteSigner};
use crate::config::{FsyncPolicy, EVIDENCE_LANE};
use crate::index::{IndexEntry, IndexWriter};
use crate::merkle::{to_hex, Frontier, Hash};
use crate::record::{Kind, NewRecord, Record, BODY_FIXED_BYTES, FRAME_HEADER_BYTES};
use crate::segment::{OpenSegment, SegmentHeader};

/// What a ticket resolves to: the sequence numbers given to the records, or the error.
pub(crate) type Reply = oneshot::Sender<Result<Range<u64>, String>>;

/// Requests to the writer thread.
pub(crate) enum Request {
    Append {
        records: Vec<(NewRecord, Vec<IndexEntry>)>,
        reply: Reply,
    },
    /// Seal every lane that has records (for tests and an orderly hand-over).
    Seal {
        reply: Reply,
    },
    /// Sign a checkpoint now if the log grew.
    Checkpoint {
        reply: Reply,
    },
    Shutdown,
}

/// A lane's open segment.
pub(crate) struct LaneWriter {
    pub name: String,
    pub dir: PathBuf,
    pub seg: OpenSegment,
}

/// A segment found unsealed behind the open one at open time (a crash during sealing).
pub(crate) struct Reseal {
    pub lane: usize,
    pub info: SegmentInfo,
    pub sha: Hash,
}

pub(crate) struct Writer {
    pub shared: Arc<Shared>,
    pub rx: Receiver<Request>,
    /// Lane 0 is the evidence lane.
    pub lanes: Vec<LaneWriter>,
    /// Lane index of each kind.
    pub lane_of_kind: [usize; 256],
    pub next_seq: u64,
    /// Newest record time seen (the archive's own records are stamped with it).
    pub clock_ms: i64,
    pub frontier: Frontier,
    pub signer: Option<NoteSigner>,
    pub index: IndexWriter,
    pub compress_tx: Option<Sender<(PathBuf, u64, Hash)>>,
    pub reseal: Vec<Reseal>,
    // per batch
    waiting: Vec<(Reply, Range<u64>)>,
    batch_records: usize,
    to_index: Vec<(Record, Vec<IndexEntry>)>,
    new_leaves: Vec<(u64, Hash)>,
    new_checkpoint: Option<String>,
    /// Seal records waiting for the request being handled to finish, so that a request's
    /// records get consecutive sequence numbers even when a lane is sealed among them.
    deferred_seals: Vec<SegmentInfo>,
    manifest_dirty: bool,
    last_checkpoint: Instant,
    failed: Option<String>,
}

impl Writer {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        shared: Arc<Shared>,
        rx: Receiver<Request>,
        lanes: Vec<LaneWriter>,
        next_seq: u64,
        clock_ms: i64,
        frontier: Frontier,
        signer: Option<NoteSigner>,
        index: IndexWriter,
        compress_tx: Option<Sender<(PathBuf, u64, Hash)>>,
        reseal: Vec<Reseal>,
    ) -> Writer {
        let mut lane_of_kind = [0usize; 256];
        for (k, slot) in lane_of_kind.iter_mut().enumerate() {
            let name = shared.cfg.lane_of(Kind(k as u8));
            *slot = lanes.iter().position(|l| l.name == name).unwrap_or(0);
        }
        debug_assert_eq!(lanes[0].name, EVIDENCE_LANE);
        Writer {
            shared,
            rx,
            lanes,
            lane_of_kind,
            next_seq,
            clock_ms,
            frontier,
            signer,
            index,
            compress_tx,
            reseal,
            waiting: Vec::new(),
            batch_records: 0,
            to_index: Vec::new(),
            new_leaves: Vec::new(),
            new_checkpoint: None,
            deferred_seals: Vec::new(),
            manifest_dirty: false,
            last_checkpoint: Instant::now(),
            failed: None,
        }
    }

    pub fn run(mut self) {
        for r in std::mem::take(&mut self.reseal) {
            self.record_seal(r.lane, r.info, r.sha);
        }
        self.flush_seals();
        self.commit();
        let (interval, max_records) = match self.shared.cfg.fsync {
            FsyncPolicy::Interval { interval, max_records } => (interval, max_records),
            FsyncPolicy::Always => (Duration::ZERO, 1),
        };
        loop {
            let first = match self.rx.recv_timeout(self.until_checkpoint()) {
                Ok(r) => r,
                Err(RecvTimeoutError::Timeout) => {
                    self.checkpoint(false);
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            };
            let deadline = Instant::now() + interval;
            let mut stop = !self.handle(first);
            while !stop && self.batch_records < max_records {
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                match self.rx.recv_timeout(deadline - now) {
                    Ok(r) => stop = !self.handle(r),
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => stop = true,
                }
            }
            self.commit();
            if self.last_checkpoint.elapsed() >= self.shared.cfg.checkpoint_every {
                self.checkpoint(false);
            }
            if stop {
                break;
            }
        }
        self.commit();
        if self.failed.is_none() {
            // Leave the index durable and current, so the next open has nothing to catch up.
            let next = self.next_seq;
            if let Err(e) = self.index.apply(std::iter::empty(), next, true) {
                self.shared.note_background_error(format!("index: {e}"));
            }
        }
    }

    fn until_checkpoint(&self) -> Duration {
        self.shared.cfg.checkpoint_every.saturating_sub(self.last_checkpoint.elapsed()).max(Duration::from_millis(10))
    }

    /// Handles one request; false means stop after this batch.
    fn handle(&mut self, req: Request) -> bool {
        let go_on = self.handle_one(req);
        self.flush_seals();
        go_on
    }

    /// Appends the seal records deferred while a request was handled.
    fn flush_seals(&mut self) {
        while !self.deferred_seals.is_empty() {
            let info = self.deferred_seals.remove(0);
            let payload = serde_json::to_vec(&info).expect("segment info serializes");
            // This may seal the evidence lane, which defers one more seal record.
            self.push(NewRecord::new(Kind::SEAL, self.clock_ms, payload), Vec::new());
        }
    }

    fn handle_one(&mut self, req: Request) -> bool {
        match req {
            Request::Append { records, reply } => {
                if let Some(e) = &self.failed {
                    let _ = reply.send(Err(e.clone()));
                    return true;
                }
                let start = self.next_seq;
                for (rec, entries) in records {
                    self.push(rec, entries);
                }
                self.waiting.push((reply, start..self.next_seq));
            }
            Request::Seal { reply } => {
                for lane in 0..self.lanes.len() {
                    if self.lanes[lane].seg.records > 0 {
                        self.seal(lane);
                    }
                }
                self.commit();
                self.reply_now(reply);
            }
            Request::Checkpoint { reply } => {
                self.checkpoint(true);
                self.reply_now(reply);
            }
            Request::Shutdown => return false,
        }
        true
    }

    fn reply_now(&mut self, reply: Reply) {
        let _ = reply.send(match &self.failed {
            Some(e) => Err(e.clone()),
            None => Ok(self.next_seq..self.next_seq),
        });
    }

    /// Adds one record to its lane's buffer, sealing the lane first if the record belongs to
    /// a later period or would make the segment too big.
    fn push(&mut self, new: NewRecord, entries: Vec<IndexEntry>) {
        let lane = self.lane_of_kind[new.kind.0 as usize];
        if self.needs_seal(lane, new.time_ms, new.payload.len()) {
            self.seal(lane);
        }
        let rec = Record {
            seq: self.next_seq,
            time_ms: new.time_ms,
            kind: new.kind,
            merkle_leaf: self.shared.cfg.is_leaf(new.kind),
            payload: new.payload,
        };
        self.next_seq += 1;
        self.clock_ms = self.clock_ms.max(rec.time_ms);
        self.lanes[lane].seg.push(&rec);
        if rec.merkle_leaf {
            let h = rec.leaf_hash();
            self.frontier.push(h);
            self.new_leaves.push((rec.seq, h));
        }
        if !entries.is_empty() {
            self.to_index.push((rec, entries));
        }
        self.batch_records += 1;
    }

    fn needs_seal(&self, lane: usize, time_ms: i64, payload_len: usize) -> bool {
        let seg = &self.lanes[lane].seg;
        let Some((first_ms, _)) = seg.time_range else {
            return false; // never seal an empty segment
        };
        let period = self.shared.cfg.seal_every.as_millis() as i64;
        let frame = (FRAME_HEADER_BYTES + BODY_FIXED_BYTES + payload_len) as u64;
        time_ms.div_euclid(period) > first_ms.div_euclid(period) || seg.len() + frame > self.shared.cfg.seal_max_bytes
    }

    /// Seals a lane's open segment: commit what is pending, start the next segment, and
    /// record the seal (SHA-256 and ranges) as a Merkle leaf in the evidence lane.
    fn seal(&mut self, lane: usize) {
        self.commit();
        if self.failed.is_some() {
            return;
        }
        let l = &mut self.lanes[lane];
        let header =
            SegmentHeader { segment: l.seg.header.segment + 1, first_seq: self.next_seq, created_ms: now_ms() };
        let next = match OpenSegment::create(&l.dir, header) {
            Ok(s) => s,
            Err(e) => return self.fail(format!("creating segment {}: {e}", header.segment)),
        };
        let old = std::mem::replace(&mut l.seg, next);
        let (seqs, times) = (old.seq_range.unwrap(), old.time_range.unwrap());
        let sha = old.sha256();
        let info = SegmentInfo {
            lane: l.name.clone(),
            segment: old.header.segment,
            first_seq: seqs.0,
            last_seq: seqs.1,
            records: old.records,
            min_time_ms: times.0,
            max_time_ms: times.1,
            bytes: old.written_len,
            sha256: to_hex(&sha),
            kinds: old.kinds.iter().copied().collect(),
            sealed_at_ms: now_ms(),
        };
        drop(old);
        self.record_seal(lane, info, sha);
    }

    fn record_seal(&mut self, lane: usize, info: SegmentInfo, sha: Hash) {
        {
            let mut lanes = self.shared.lanes.write().unwrap();
            let ls = lanes.get_mut(&self.lanes[lane].name).unwrap();
            // Segments resealed at open are in the catalog already.
            if !ls.sealed.iter().any(|s| s.segment == info.segment) {
                ls.sealed.push(info.clone());
            }
            ls.open = Some(view(&self.lanes[lane].seg));
        }
        if let Some(tx) = &self.compress_tx {
            let _ = tx.send((self.lanes[lane].dir.clone(), info.segment, sha));
        }
        self.deferred_seals.push(info);
        self.manifest_dirty = true;
    }

    /// Signs a checkpoint of the Merkle log if it grew (or if forced and it has leaves), and
    /// appends it as a record.
    fn checkpoint(&mut self, force: bool) {
        self.last_checkpoint = Instant::now();
        if self.failed.is_some() || self.signer.is_none() || self.frontier.size() == 0 {
            return;
        }
        let grew = {
            let m = self.shared.merkle.read().unwrap();
            let last = m.latest_checkpoint.as_deref().and_then(Checkpoint::parse_unverified);
            last.is_none_or(|c| c.size != self.frontier.size())
        };
        if !grew && !force {
            return;
        }
        // Seal first if this record would: a seal adds a leaf, and the checkpoint must sit
        // right after the leaves it counts.
        let note_len = 512;
        if self.needs_seal(0, self.clock_ms, note_len) {
            self.seal(0);
        }
        self.flush_seals();
        let cp = Checkpoint {
            origin: self.signer.as_ref().unwrap().origin().to_string(),
            size: self.frontier.size(),
            root: self.frontier.root(),
        };
        let note = self.signer.as_ref().unwrap().sign(&cp);
        let seg = &mut self.lanes[0].seg;
        let rec = Record {
            seq: self.next_seq,
            time_ms: self.clock_ms,
            kind: Kind::CHECKPOINT,
            merkle_leaf: false,
            payload: note.clone().into_bytes(),
        };
        self.next_seq += 1;
        seg.push(&rec);
        self.new_checkpoint = Some(note);
        self.commit();
    }

    /// Makes the batch durable (one fdatasync per lane written), then acknowledges it.
    ///
    /// The evidence lane (lane 0) is written last. Its records (alert versions,
    /// acknowledgements, ticks) follow from the input records of the same batch, so a
    /// crash between two lanes' writes must never leave evidence on disk whose input is
    /// not: recovery could not make those alert versions again. Written in this order,
    /// a crash at any point leaves the evidence lane no further on than the input
    /// lanes, and what it lost (never acknowledged) recovery makes again from the input.
    fn commit(&mut self) {
        if self.failed.is_some() {
            return;
        }
        let faults = self.shared.cfg.faults.clone();
        for i in (1..self.lanes.len()).chain([0]) {
            if let Err(e) = self.lanes[i].seg.commit(faults.as_deref()) {
                let path = self.lanes[i].seg.path.display().to_string();
                return self.fail(format!("writing {path}: {e}"));
            }
        }
        {
            let mut lanes = self.shared.lanes.write().unwrap();
            for l in &self.lanes {
                lanes.get_mut(&l.name).unwrap().open = Some(view(&l.seg));
            }
        }
        if !self.new_leaves.is_empty() || self.new_checkpoint.is_some() {
            let mut m = self.shared.merkle.write().unwrap();
            for (seq, h) in self.new_leaves.drain(..) {
                m.leaves.push(h);
                m.leaf_seqs.push(seq);
            }
            if let Some(note) = self.new_checkpoint.take() {
                let path = self.shared.cfg.dir.join("checkpoint");
                if let Err(e) = crate::snapshot::write_atomic(&path, note.as_bytes()) {
                    self.shared.note_background_error(format!("checkpoint file: {e}"));
                }
                m.latest_checkpoint = Some(note);
            }
        }
        self.shared.durable.send_replace(self.next_seq);
        for (reply, seqs) in self.waiting.drain(..) {
            let _ = reply.send(Ok(seqs));
        }
        self.batch_records = 0;
        if !self.to_index.is_empty() {
            let batch = std::mem::take(&mut self.to_index);
            let items = batch.iter().map(|(r, e)| (r, e.as_slice()));
            if let Err(e) = self.index.apply(items, self.next_seq, false) {
                self.shared.note_background_error(format!("index: {e}"));
            }
        }
        if self.manifest_dirty {
            self.manifest_dirty = false;
            if let Err(e) = self.shared.write_manifest() {
                self.shared.note_background_error(format!("manifest.json: {e}"));
            }
        }
    }

    fn fail(&mut self, error: String) {
        for l in &mut self.lanes {
            l.seg.cut_to_durable();
        }
        *self.shared.health.lock().unwrap() = Health::Failed { error: error.clone(), since_ms: now_ms() };
        for (reply, _) in self.waiting.drain(..) {
            let _ = reply.send(Err(error.clone()));
        }
        self.to_index.clear();
        self.new_leaves.clear();
        self.failed = Some(error);
    }
}

pub(crate) fn view(seg: &OpenSegment) -> OpenView {
    OpenView {
        segment: seg.header.segment,
        durable_len: seg.durable_len,
        seq_range: seg.seq_range,
        time_range: seg.time_range,
    }
}
