//! The archive: open (with recovery), append, read, query, retention, snapshots.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::future::Future;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll};
use std::thread::JoinHandle;

use tokio::sync::{oneshot, watch};

use crate::catalog::{
    now_ms, Health, Hold, HoldRecord, LaneState, MerkleLog, PurgeRecord, Purged, SegmentInfo, Shared,
};
use crate::checkpoint::{Checkpoint, NoteSigner};
use crate::config::{Config, EVIDENCE_LANE, QUEUE_CAPACITY};
use crate::error::{Error, Result};
use crate::index::{params_of, AlertVersionRow, GeoBox, Index, IndexEntry, IndexWriter, Indexer, PositionRow};
use crate::merkle::{self, from_hex, Frontier, Hash};
use crate::read::{ReadOptions, Records};
use crate::record::{Kind, NewRecord, Record, MAX_PAYLOAD_BYTES};
use crate::segment::{self, gz_path, list_segments, plain_path, OpenSegment, Scan, SegmentHeader};
use crate::snapshot::{self, Snapshot};
use crate::writer::{view, LaneWriter, Request, Reseal, Writer};

/// Records per index transaction while catching the index up at open.
const CATCH_UP_BATCH: usize = 4096;

/// A claim on appended records: resolves once they are durable (fdatasynced), with their
/// sequence numbers, or with the writer's error. Wait with [`Ticket::wait`] from a plain
/// thread, or `.await` it from async code.
#[must_use = "a record counts as received only once its ticket resolves"]
pub struct Ticket {
    rx: oneshot::Receiver<Result<Range<u64>, String>>,
}

impl Ticket {
    /// Blocks until the records are durable. Do not call from inside an async runtime
    /// (await the ticket there).
    pub fn wait(self) -> Result<Range<u64>> {
        convert(self.rx.blocking_recv())
    }
}

fn convert(r: std::result::Result<Result<Range<u64>, String>, oneshot::error::RecvError>) -> Result<Range<u64>> {
    match r {
        Ok(Ok(seqs)) => Ok(seqs),
        Ok(Err(e)) => Err(Error::WriterFailed(e)),
        Err(_) => Err(Error::Closed),
    }
}

impl Future for Ticket {
    type Output = Result<Range<u64>>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.rx).poll(cx).map(convert)
    }
}

/// A record tail cut at open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TailCut {
    /// The segment file.
    pub file: PathBuf,
    /// Where the readable records end, bytes: the file was cut back to this length.
    pub offset: u64,
    /// Bytes cut.
    pub bytes_cut: u64,
    /// Index of the first record that could not be read (records before it were kept).
    pub record_index: u64,
    /// Why it could not be read.
    pub reason: String,
    /// Where the cut bytes were saved (never silently thrown away).
    pub saved_to: PathBuf,
}

/// What open had to repair.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Torn or damaged tails cut from open segments.
    pub cuts: Vec<TailCut>,
    /// Segments left unsealed by a crash while sealing, sealed now (lane, segment).
    pub resealed: Vec<(String, u64)>,
    /// Sealed segments whose file is missing though no purge deleted them.
    pub missing: Vec<PathBuf>,
    /// Leftover files removed (temporary files, plain copies of compressed segments,
    /// files of purged segments).
    pub removed: Vec<PathBuf>,
    /// Why the index was rebuilt, if it was.
    pub index_rebuilt: Option<String>,
    /// Records read to bring the index up to date.
    pub index_records_read: u64,
}

impl RecoveryReport {
    /// True when open found nothing to repair.
    pub fn is_clean(&self) -> bool {
        self.cuts.is_empty() && self.resealed.is_empty() && self.missing.is_empty()
    }
}

/// What [`Archive::purge_expired`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// Segments deleted.
    pub purged: Vec<SegmentInfo>,
    /// Sequence number of the purge record (if anything was purged).
    pub purge_seq: Option<u64>,
    /// Expired segments kept because a legal hold covers them.
    pub held: Vec<(SegmentInfo, String)>,
    /// Position index rows deleted.
    pub index_rows_deleted: u64,
}

/// What the open-time scan of the evidence lane collects.
#[derive(Default)]
struct Evidence {
    frontier: Frontier,
    leaves: Vec<Hash>,
    leaf_seqs: Vec<u64>,
    seals: BTreeMap<(String, u64), SegmentInfo>,
    purged: BTreeMap<(String, u64), Purged>,
    holds: BTreeMap<String, Hold>,
    latest_checkpoint: Option<String>,
    max_seq: Option<u64>,
    max_time: Option<i64>,
    bad_payload: Option<String>,
}

impl Evidence {
    fn absorb(&mut self, rec: &Record) {
        self.max_seq = self.max_seq.max(Some(rec.seq));
        self.max_time = self.max_time.max(Some(rec.time_ms));
        if rec.merkle_leaf {
            let h = rec.leaf_hash();
            self.frontier.push(h);
            self.leaves.push(h);
            self.leaf_seqs.push(rec.seq);
        }
        let r: std::result::Result<(), serde_json::Error> = (|| {
            match rec.kind {
                Kind::SEAL => {
                    let info: SegmentInfo = serde_json::from_slice(&rec.payload)?;
                    self.seals.insert((info.lane.clone(), info.segment), info);
                }
                Kind::PURGE => {
                    let p: PurgeRecord = serde_json::from_slice(&rec.payload)?;
                    for info in p.segments {
                        let key = (info.lane.clone(), info.segment);
                        self.purged.insert(key, Purged { info, at_ms: p.at_ms, purge_seq: rec.seq });
                    }
                }
                Kind::HOLD => match serde_json::from_slice(&rec.payload)? {
                    HoldRecord::Place { hold } => {
                        self.holds.insert(hold.name.clone(), hold);
                    }
                    HoldRecord::Release { name } => {
                        self.holds.remove(&name);
                    }
                },
                Kind::CHECKPOINT => self.latest_checkpoint = Some(String::from_utf8_lossy(&rec.payload).into()),
                _ => {}
            }
            Ok(())
        })();
        if let Err(e) = r {
            self.bad_payload.get_or_insert(format!("record {}: archive record payload: {e}", rec.seq));
        }
    }
}

/// The archive. Dropping it stops the writer after committing what it holds.
pub struct Archive {
    shared: Arc<Shared>,
    tx: Option<SyncSender<Request>>,
    writer: Option<JoinHandle<()>>,
    compressor: Option<JoinHandle<()>>,
    _lock: File,
}

impl Archive {
    /// Opens (or creates) the archive in `cfg.dir`: repairs torn tails of open segments,
    /// finishes interrupted seals, rebuilds or catches up the index with `indexer`, and
    /// starts the writer. Returns what had to be repaired.
    pub fn open(cfg: Config, indexer: Arc<dyn Indexer>) -> Result<(Archive, RecoveryReport)> {
        cfg.validate()?;
        fs::create_dir_all(cfg.dir.join("lanes"))?;
        let lock = File::create(cfg.dir.join("LOCK"))?;
        lock.try_lock().map_err(|_| Error::Config(format!("{} is open in another process", cfg.dir.display())))?;
        let signer = cfg.signing_key.as_deref().map(NoteSigner::load).transpose()?;
        let mut report = RecoveryReport::default();

        // Lanes: the evidence lane first, then the configured ones and any found on disk.
        let mut names = vec![EVIDENCE_LANE.to_string()];
        names.extend(cfg.lanes.iter().map(|l| l.name.clone()));
        for e in fs::read_dir(cfg.dir.join("lanes"))? {
            let name = e?.file_name().to_string_lossy().into_owned();
            if !names.contains(&name) {
                names.push(name);
            }
        }
        let lane_dir = |name: &str| cfg.dir.join("lanes").join(name);

        // 1. The evidence lane, whole: seals, purges, holds, checkpoints and Merkle leaves.
        let mut ev = Evidence::default();
        let mut scans: BTreeMap<(String, u64), Scan> = BTreeMap::new();
        let ev_dir = lane_dir(EVIDENCE_LANE);
        let ev_nos = list_segments(&ev_dir)?;
        for (i, &no) in ev_nos.iter().enumerate() {
            let (path, r) = segment::open_for_read(&ev_dir, no, None)?;
            let s = segment::scan(r, |rec, _, _| ev.absorb(rec))?;
            if let Some(bad) = &s.bad {
                if i + 1 < ev_nos.len() {
                    return Err(Error::Damaged {
                        file: path,
                        offset: bad.offset,
                        reason: format!("{} (record {}); run verify", bad.reason, bad.record_index),
                    });
                }
            }
            scans.insert((EVIDENCE_LANE.into(), no), s);
        }
        if let Some(e) = ev.bad_payload.take() {
            return Err(Error::Damaged { file: ev_dir, offset: 0, reason: e });
        }

        // 2. Every lane: which segments are sealed, which one is open, which need sealing.
        let mut lanes: BTreeMap<String, LaneState> = BTreeMap::new();
        let mut writers = Vec::new();
        let mut reseal = Vec::new();
        let mut compress_jobs = Vec::new();
        let mut max_seq = ev.max_seq;
        let mut clock = ev.max_time.unwrap_or(i64::MIN);
        for s in ev.seals.values() {
            max_seq = max_seq.max(Some(s.last_seq));
            clock = clock.max(s.max_time_ms);
        }
        for (li, name) in names.iter().enumerate() {
            let dir = lane_dir(name);
            let on_disk = list_segments(&dir)?;
            let mut state = LaneState { dir: dir.clone(), ..Default::default() };
            let known =
                |no: &u64| ev.seals.contains_key(&(name.clone(), *no)) || ev.purged.contains_key(&(name.clone(), *no));
            let unsealed: Vec<u64> = on_disk.iter().copied().filter(|n| !known(n)).collect();
            for (i, &no) in unsealed.iter().enumerate() {
                let last = i + 1 == unsealed.len() && on_disk.last() == Some(&no);
                let scan = match scans.remove(&(name.clone(), no)) {
                    Some(s) => s,
                    None => {
                        let (_, r) = segment::open_for_read(&dir, no, None)?;
                        segment::scan(r, |_, _, _| {})?
                    }
                };
                if let Some((_, b)) = scan.seq_range {
                    max_seq = max_seq.max(Some(b));
                }
                if let Some((_, b)) = scan.time_range {
                    clock = clock.max(b);
                }
                let only_gz = !plain_path(&dir, no).exists();
                if last && !only_gz {
                    if let Some(seg) = recover_open(&cfg.dir, &dir, no, scan, &mut report)? {
                        state.open = Some(view(&seg));
                        writers.push(LaneWriter { name: name.clone(), dir: dir.clone(), seg });
                    }
                } else if let Some(bad) = &scan.bad {
                    return Err(Error::Damaged {
                        file: plain_path(&dir, no),
                        offset: bad.offset,
                        reason: format!("unsealed segment behind the open one: {}", bad.reason),
                    });
                } else if scan.records == 0 {
                    let p = plain_path(&dir, no);
                    fs::remove_file(&p)?;
                    report.removed.push(p);
                } else {
                    let (seqs, times) = (scan.seq_range.unwrap(), scan.time_range.unwrap());
                    let sha = scan.sha256();
                    let info = SegmentInfo {
                        lane: name.clone(),
                        segment: no,
                        first_seq: seqs.0,
                        last_seq: seqs.1,
                        records: scan.records,
                        min_time_ms: times.0,
                        max_time_ms: times.1,
                        bytes: scan.good_len,
                        sha256: merkle::to_hex(&sha),
                        kinds: scan.kinds.iter().copied().collect(),
                        sealed_at_ms: now_ms(),
                    };
                    report.resealed.push((name.clone(), no));
                    // Readable at once; the writer records the seal when it starts.
                    state.sealed.push(info.clone());
                    reseal.push(Reseal { lane: li, info, sha });
                }
            }
            if state.open.is_none() {
                // No usable open segment: start one after every number ever used.
                let used = on_disk
                    .iter()
                    .copied()
                    .chain(ev.seals.keys().filter(|k| &k.0 == name).map(|k| k.1))
                    .chain(ev.purged.keys().filter(|k| &k.0 == name).map(|k| k.1))
                    .max()
                    .unwrap_or(0);
                let header =
                    SegmentHeader { segment: used + 1, first_seq: max_seq.map_or(0, |s| s + 1), created_ms: now_ms() };
                let seg = OpenSegment::create(&dir, header)?;
                state.open = Some(view(&seg));
                writers.push(LaneWriter { name: name.clone(), dir: dir.clone(), seg });
            }
            // Sealed and purged segments, and the leftovers of interrupted work.
            for (key, info) in ev.seals.range((name.clone(), 0)..=(name.clone(), u64::MAX)) {
                let no = key.1;
                let (plain, gz) = (plain_path(&dir, no), gz_path(&dir, no));
                if let Some(p) = ev.purged.get(key) {
                    for f in [plain, gz] {
                        if f.exists() {
                            fs::remove_file(&f)?;
                            report.removed.push(f);
                        }
                    }
                    state.purged.push(p.clone());
                    continue;
                }
                match (plain.exists(), gz.exists()) {
                    (true, true) => {
                        // The .gz is renamed into place only after it was checked.
                        fs::remove_file(&plain)?;
                        report.removed.push(plain);
                    }
                    (true, false) if cfg.compress_sealed => {
                        if let Some(sha) = from_hex(&info.sha256) {
                            compress_jobs.push((dir.clone(), no, sha));
                        }
                    }
                    (false, false) => report.missing.push(gz),
                    _ => {}
                }
                state.sealed.push(info.clone());
            }
            for e in fs::read_dir(&dir)? {
                let p = e?.path();
                if p.extension().is_some_and(|x| x == "tmp") {
                    fs::remove_file(&p)?;
                    report.removed.push(p);
                }
            }
            state.sealed.sort_by_key(|s| s.segment);
            lanes.insert(name.clone(), state);
        }
        // Writers in lane order, evidence first (the writer relies on it).
        writers.sort_by_key(|w| names.iter().position(|n| n == &w.name));
        let next_seq = max_seq.map_or(0, |s| s + 1);

        // 3. The index: open, rebuild or catch up from the segments.
        let (index, indexed_to, why) = Index::open(&cfg.dir.join("index.redb"), params_of(&cfg))?;
        report.index_rebuilt = why;
        let mut iw = IndexWriter::new(index.clone());
        if indexed_to < next_seq {
            let opts = match indexed_to {
                0 => ReadOptions::all(),
                n => ReadOptions::after(n - 1),
            };
            let mut batch: Vec<(Record, Vec<IndexEntry>)> = Vec::new();
            for rec in Records::new(lanes.values(), opts) {
                let rec = rec?;
                report.index_records_read += 1;
                let entries = indexer.index(&rec);
                if !entries.is_empty() {
                    batch.push((rec, entries));
                }
                if batch.len() >= CATCH_UP_BATCH {
                    let next = batch.last().unwrap().0.seq + 1;
                    iw.apply(batch.iter().map(|(r, e)| (r, e.as_slice())), next, false)?;
                    batch.clear();
                }
            }
            iw.apply(batch.iter().map(|(r, e)| (r, e.as_slice())), next_seq, true)?;
        }

        let (durable, _) = watch::channel(next_seq);
        let shared = Arc::new(Shared {
            cfg: cfg.clone(),
            lanes: RwLock::new(lanes),
            health: Mutex::new(Health::Ok),
            durable,
            merkle: RwLock::new(MerkleLog {
                leaves: ev.leaves,
                leaf_seqs: ev.leaf_seqs,
                latest_checkpoint: ev.latest_checkpoint,
            }),
            holds: RwLock::new(ev.holds),
            index,
            background_error: Mutex::new(None),
        });

        // 4. Threads: the compressor (sealed segments) and the writer.
        let (compress_tx, compressor) = if cfg.compress_sealed {
            // Unbounded, unlike the writer's queue: one small job per sealed segment (hourly),
            // and a full queue must never stall the writer behind a compression.
            let (ctx, crx) = mpsc::channel::<(PathBuf, u64, Hash)>();
            let sh = shared.clone();
            let h = std::thread::Builder::new().name("archive-compress".into()).spawn(move || {
                for (dir, no, sha) in crx {
                    if let Err(e) = segment::compress(&dir, no, &sha) {
                        // A purge may have removed it first; anything else is worth a look.
                        if plain_path(&dir, no).exists() {
                            sh.note_background_error(format!("compressing segment {no}: {e}"));
                        }
                    }
                }
            })?;
            for job in compress_jobs {
                let _ = ctx.send(job);
            }
            (Some(ctx), Some(h))
        } else {
            (None, None)
        };
        let (tx, rx) = mpsc::sync_channel(QUEUE_CAPACITY);
        let writer =
            Writer::new(shared.clone(), rx, writers, next_seq, clock, ev.frontier, signer, iw, compress_tx, reseal);
        let writer = std::thread::Builder::new().name("archive-writer".into()).spawn(move || writer.run())?;
        Ok((Archive { shared, tx: Some(tx), writer: Some(writer), compressor, _lock: lock }, report))
    }

    /// Appends a record with its index entries. The record counts as received only when the
    /// ticket resolves (after fdatasync). Waits while the writer's queue is full.
    pub fn append(&self, record: NewRecord, index: Vec<IndexEntry>) -> Result<Ticket> {
        self.append_batch(vec![(record, index)])
    }

    /// Appends records in order, with one ticket for all of them.
    pub fn append_batch(&self, records: Vec<(NewRecord, Vec<IndexEntry>)>) -> Result<Ticket> {
        for (r, _) in &records {
            if r.kind.is_reserved() {
                return Err(Error::Config(format!("kind {} is reserved for the archive", r.kind.0)));
            }
            if r.payload.len() > MAX_PAYLOAD_BYTES {
                return Err(Error::RecordTooLarge(r.payload.len()));
            }
        }
        if let Health::Failed { error, .. } = self.health() {
            return Err(Error::WriterFailed(error));
        }
        self.send_records(records)
    }

    fn send_records(&self, records: Vec<(NewRecord, Vec<IndexEntry>)>) -> Result<Ticket> {
        let (reply, rx) = oneshot::channel();
        self.send(Request::Append { records, reply })?;
        Ok(Ticket { rx })
    }

    fn send(&self, req: Request) -> Result<()> {
        let tx = self.tx.as_ref().ok_or(Error::Closed)?;
        tx.send(req).map_err(|_| Error::Closed)
    }

    /// The writer's health: `Failed` means input is no longer acknowledged.
    pub fn health(&self) -> Health {
        self.shared.health.lock().unwrap().clone()
    }

    /// The last error of background work that does not stop the writer (index updates,
    /// compression, the manifest and checkpoint files), for the log.
    pub fn background_error(&self) -> Option<String> {
        self.shared.background_error.lock().unwrap().clone()
    }

    /// Watch of the durable end: every record with seq below the value is on disk.
    pub fn durable_watch(&self) -> watch::Receiver<u64> {
        self.shared.durable.subscribe()
    }

    /// Records matching `opts`, in append order.
    pub fn read(&self, opts: ReadOptions) -> Records {
        let lanes = self.shared.lanes.read().unwrap();
        Records::new(lanes.values(), opts)
    }

    /// Records after `seq` (all records for `None`), in append order: the replay tail after
    /// a snapshot.
    pub fn records_after(&self, seq: Option<u64>) -> Records {
        self.read(seq.map_or_else(ReadOptions::all, ReadOptions::after))
    }

    /// Sealed segments (not purged), every lane.
    pub fn sealed_segments(&self) -> Vec<SegmentInfo> {
        let lanes = self.shared.lanes.read().unwrap();
        lanes.values().flat_map(|l| l.sealed.iter().cloned()).collect()
    }

    /// Seals every lane's open segment that has records (normally segments are sealed by
    /// time and size); returns once the seal records are durable.
    pub fn seal_now(&self) -> Result<()> {
        let (reply, rx) = oneshot::channel();
        self.send(Request::Seal { reply })?;
        Ticket { rx }.wait().map(|_| ())
    }

    /// Signs a checkpoint now (if a key is configured and the log has leaves) and returns
    /// the latest checkpoint note.
    pub fn checkpoint_now(&self) -> Result<Option<String>> {
        let (reply, rx) = oneshot::channel();
        self.send(Request::Checkpoint { reply })?;
        Ticket { rx }.wait()?;
        Ok(self.latest_checkpoint())
    }

    /// The latest signed checkpoint note (also in the file `checkpoint`).
    pub fn latest_checkpoint(&self) -> Option<String> {
        self.shared.merkle.read().unwrap().latest_checkpoint.clone()
    }

    /// Number of durable leaves in the Merkle log.
    pub fn merkle_size(&self) -> u64 {
        self.shared.merkle.read().unwrap().leaves.len() as u64
    }

    /// The leaf index of the record with sequence number `seq`, if it is a leaf.
    pub fn merkle_leaf_index(&self, seq: u64) -> Option<u64> {
        let m = self.shared.merkle.read().unwrap();
        m.leaf_seqs.binary_search(&seq).ok().map(|i| i as u64)
    }

    /// Tree head of the first `size` leaves.
    pub fn merkle_root(&self, size: u64) -> Option<Hash> {
        let m = self.shared.merkle.read().unwrap();
        (size as usize <= m.leaves.len()).then(|| merkle::root(&m.leaves[..size as usize]))
    }

    /// Inclusion proof of leaf `index` in the tree of the first `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Option<Vec<Hash>> {
        let m = self.shared.merkle.read().unwrap();
        if size as usize > m.leaves.len() {
            return None;
        }
        merkle::inclusion_proof(&m.leaves[..size as usize], index as usize)
    }

    /// Consistency proof between the trees of `old_size` and `new_size` leaves.
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Option<Vec<Hash>> {
        let m = self.shared.merkle.read().unwrap();
        if new_size as usize > m.leaves.len() {
            return None;
        }
        merkle::consistency_proof(&m.leaves[..new_size as usize], old_size as usize)
    }

    /// Indexed positions of `entity` with time in `[from_ms, to_ms)`, oldest first.
    pub fn positions(&self, entity: u64, from_ms: i64, to_ms: i64) -> Result<Vec<PositionRow>> {
        self.shared.index.positions(entity, from_ms, to_ms)
    }

    /// Entities with an indexed position inside `area` in `[from_ms, to_ms)`.
    pub fn entities_in_area(&self, area: GeoBox, from_ms: i64, to_ms: i64) -> Result<Vec<u64>> {
        self.shared.index.entities_in_area(area, from_ms, to_ms)
    }

    /// Every indexed position with time in `[from_ms, to_ms)` inside one of `boxes`
    /// (anywhere when `None`) where `keep(lat_deg, lon_deg)` holds, ordered by time then
    /// entity: the first `max_rows` of them, and whether there were more.
    pub fn positions_in_window(
        &self,
        boxes: Option<&[GeoBox]>,
        keep: &dyn Fn(f64, f64) -> bool,
        from_ms: i64,
        to_ms: i64,
        max_rows: usize,
    ) -> Result<(Vec<(u64, PositionRow)>, bool)> {
        self.shared.index.positions_in_window(boxes, keep, from_ms, to_ms, max_rows)
    }

    /// Every indexed alert version of every alert, by alert id then version.
    pub fn all_alert_versions(&self) -> Result<Vec<(u64, AlertVersionRow)>> {
        self.shared.index.all_alert_versions()
    }

    /// Every indexed version of an alert.
    pub fn alert_versions(&self, alert_id: u64) -> Result<Vec<AlertVersionRow>> {
        self.shared.index.alert_versions(alert_id)
    }

    /// Places a legal hold (recorded as a Merkle leaf); replaces a hold of the same name.
    pub fn place_hold(&self, hold: Hold, now_ms: i64) -> Result<()> {
        let payload = serde_json::to_vec(&HoldRecord::Place { hold: hold.clone() })?;
        self.send_records(vec![(NewRecord::new(Kind::HOLD, now_ms, payload), vec![])])?.wait()?;
        self.shared.holds.write().unwrap().insert(hold.name.clone(), hold);
        Ok(())
    }

    /// Releases a legal hold; false if there was none of that name.
    pub fn release_hold(&self, name: &str, now_ms: i64) -> Result<bool> {
        if !self.shared.holds.read().unwrap().contains_key(name) {
            return Ok(false);
        }
        let payload = serde_json::to_vec(&HoldRecord::Release { name: name.into() })?;
        self.send_records(vec![(NewRecord::new(Kind::HOLD, now_ms, payload), vec![])])?.wait()?;
        self.shared.holds.write().unwrap().remove(name);
        Ok(true)
    }

    /// The legal holds in force.
    pub fn holds(&self) -> Vec<Hold> {
        self.shared.holds.read().unwrap().values().cloned().collect()
    }

    /// Applies retention at `now_ms`: deletes sealed segments whose newest record is older
    /// than their lane's retention and that no legal hold covers, after recording what is
    /// deleted and why as a purge record (a Merkle leaf); then deletes expired index rows.
    pub fn purge_expired(&self, now_ms: i64) -> Result<PurgeReport> {
        let mut report = PurgeReport::default();
        let holds = self.holds();
        let mut reasons = BTreeSet::new();
        {
            let lanes = self.shared.lanes.read().unwrap();
            for lc in &self.shared.cfg.lanes {
                let (Some(ret), Some(lane)) = (lc.retention, lanes.get(&lc.name)) else {
                    continue;
                };
                let cutoff = now_ms - ret.as_millis() as i64;
                for s in lane.sealed.iter().filter(|s| s.max_time_ms < cutoff) {
                    match holds.iter().find(|h| h.overlaps(s.min_time_ms, s.max_time_ms)) {
                        Some(h) => report.held.push((s.clone(), h.name.clone())),
                        None => {
                            reasons.insert(format!("{}: retention {} s", lc.name, ret.as_secs()));
                            report.purged.push(s.clone());
                        }
                    }
                }
            }
        }
        if !report.purged.is_empty() {
            let record = PurgeRecord {
                at_ms: now_ms,
                reason: reasons.into_iter().collect::<Vec<_>>().join("; "),
                segments: report.purged.clone(),
            };
            let payload = serde_json::to_vec(&record)?;
            // The record is durable before any byte is deleted: a crash in between leaves
            // files that the next open deletes, never a deletion nobody recorded.
            let seqs = self.send_records(vec![(NewRecord::new(Kind::PURGE, now_ms, payload), vec![])])?.wait()?;
            report.purge_seq = Some(seqs.start);
            let mut lanes = self.shared.lanes.write().unwrap();
            for s in &report.purged {
                let lane = lanes.get_mut(&s.lane).unwrap();
                lane.sealed.retain(|x| x.segment != s.segment);
                lane.purged.push(Purged { info: s.clone(), at_ms: now_ms, purge_seq: seqs.start });
                for f in [plain_path(&lane.dir, s.segment), gz_path(&lane.dir, s.segment)] {
                    match fs::remove_file(&f) {
                        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                        _ => {}
                    }
                }
                segment::sync_dir(&lane.dir)?;
            }
        }
        if let Some(ret) = self.shared.cfg.index_retention {
            let cutoff = now_ms - ret.as_millis() as i64;
            let keep = |e: u64, t: i64| holds.iter().any(|h| h.keeps(e, t));
            report.index_rows_deleted = self.shared.index.purge_before(cutoff, &keep)?;
        }
        if !report.purged.is_empty() {
            self.shared.write_manifest()?;
        }
        Ok(report)
    }

    /// Writes an engine snapshot atomically: records with seq < `at_seq` are in it, so a
    /// restart loads it and replays `records_after(Some(at_seq - 1))`. Keeps the newest
    /// [`snapshot::SNAPSHOTS_KEPT`].
    pub fn write_snapshot(&self, at_seq: u64, at_ms: i64, bytes: &[u8]) -> Result<PathBuf> {
        Ok(snapshot::write(&self.shared.cfg.dir.join("snapshots"), at_seq, at_ms, bytes)?)
    }

    /// The newest intact snapshot.
    pub fn latest_snapshot(&self) -> Result<Option<Snapshot>> {
        Ok(snapshot::latest(&self.shared.cfg.dir.join("snapshots"))?)
    }

    /// The archive's directory.
    pub fn dir(&self) -> &Path {
        &self.shared.cfg.dir
    }

    /// Stops the writer after committing what it holds, and waits for the compressor.
    pub fn close(mut self) -> Result<()> {
        self.shutdown();
        Ok(())
    }

    fn shutdown(&mut self) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Request::Shutdown);
        }
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
        if let Some(c) = self.compressor.take() {
            let _ = c.join();
        }
    }
}

impl Drop for Archive {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Cuts a damaged or torn tail off the open segment (saving the bytes) and resumes it; a
/// segment without a readable header is moved aside and `None` returned (a new one is made).
fn recover_open(
    root: &Path,
    dir: &Path,
    no: u64,
    scan: Scan,
    report: &mut RecoveryReport,
) -> Result<Option<OpenSegment>> {
    let path = plain_path(dir, no);
    let Some(bad) = scan.bad.clone() else {
        return Ok(Some(OpenSegment::resume(path, scan)?));
    };
    let bytes = fs::read(&path)?;
    let rdir = root.join("recovery");
    fs::create_dir_all(&rdir)?;
    let lane = dir.file_name().unwrap_or_default().to_string_lossy();
    let saved_to = rdir.join(format!("{lane}-{no:010}-at-{}.cut", scan.good_len));
    let cut_from = if scan.header.is_some() { scan.good_len as usize } else { 0 };
    crate::snapshot::write_atomic(&saved_to, &bytes[cut_from..])?;
    report.cuts.push(TailCut {
        file: path.clone(),
        offset: cut_from as u64,
        bytes_cut: (bytes.len() - cut_from) as u64,
        record_index: bad.record_index,
        reason: bad.reason,
        saved_to,
    });
    if scan.header.is_none() {
        fs::remove_file(&path)?;
        segment::sync_dir(dir)?;
        return Ok(None);
    }
    let f = fs::OpenOptions::new().write(true).open(&path)?;
    f.set_len(scan.good_len)?;
    f.sync_all()?;
    Ok(Some(OpenSegment::resume(path, scan)?))
}

/// Parses a stored checkpoint note without checking its signature.
pub fn parse_checkpoint(note: &str) -> Option<Checkpoint> {
    Checkpoint::parse_unverified(note)
}
