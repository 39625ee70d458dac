//! Indexes for history queries, in one `redb` database (`index.redb`).
//!
//! Why redb: pure Rust (no C++ build, unlike RocksDB's ~27 CPU-minutes here), one file,
//! ordered tuple keys (so "entity E between T1 and T2" is one range scan), checksummed pages
//! and crash-safe commits, and commits whose durability can be relaxed: the indexes are
//! derived data, so batches are committed without fsync and an fsynced commit is made every
//! [`INDEX_SYNC_EVERY`]; after a crash the index knows the last sequence number it holds and
//! is caught up from the segments with the caller's [`Indexer`]. A missing, damaged or
//! differently configured index is rebuilt the same way. The segments are the truth.
//!
//! Tables:
//! - `positions`: (entity, time_ms) → sample and the record's seq, downsampled to one
//!   per entity per `position_min_interval` (the first in each interval);
//! - `area`: (cell, time bucket, entity) → (), one row per entity per cell per bucket;
//! - `alerts`: (alert id, version) → time_ms, seq and the record's payload (alert versions
//!   are few and small, and a sealed segment cannot be read at an offset, so the payload is
//!   kept here to answer without decompressing an hour of data);
//! - `meta`: the parameters the index was built with and the next seq to index.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition};

use crate::error::Result;
use crate::record::Record;

/// How often index commits are made durable (the others are not fsynced).
pub const INDEX_SYNC_EVERY: Duration = Duration::from_secs(30);
/// Index format; a different one is rebuilt.
const INDEX_FORMAT: u64 = 1;

const POSITIONS: TableDefinition<(u64, i64), &[u8]> = TableDefinition::new("positions");
const AREA: TableDefinition<(u32, u32, u64), ()> = TableDefinition::new("area");
const ALERTS: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("alerts");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// One position report, as the caller decoded it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PositionSample {
    /// Latitude, degrees (WGS84, north positive).
    pub lat_deg: f64,
    /// Longitude, degrees (WGS84, east positive).
    pub lon_deg: f64,
    /// Speed over ground, knots.
    pub sog_kn: Option<f32>,
    /// Course over ground, degrees true.
    pub cog_deg: Option<f32>,
    /// True heading, degrees.
    pub heading_deg: Option<f32>,
}

/// What the caller wants indexed for a record.
#[derive(Clone, Debug, PartialEq)]
pub enum IndexEntry {
    /// A position of an entity (an MMSI or a track id: the caller decides).
    Position {
        /// Entity id.
        entity: u64,
        /// Position time, ms since the Unix epoch.
        time_ms: i64,
        /// The position.
        sample: PositionSample,
    },
    /// The record is version `version` of alert `alert_id`.
    AlertVersion {
        /// Alert id.
        alert_id: u64,
        /// Version number.
        version: u32,
    },
}

/// Turns a stored record into index entries; used to rebuild or catch up the index from the
/// segments. It must give the same entries the caller passed to `append` for that record.
pub trait Indexer: Send + Sync {
    /// Index entries for one record (often none).
    fn index(&self, record: &Record) -> Vec<IndexEntry>;
}

/// An [`Indexer`] for archives whose records are never indexed.
pub struct NoIndexer;

impl Indexer for NoIndexer {
    fn index(&self, _: &Record) -> Vec<IndexEntry> {
        Vec::new()
    }
}

/// A position row from the index.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PositionRow {
    /// Position time, ms since the Unix epoch.
    pub time_ms: i64,
    /// The record it came from.
    pub seq: u64,
    /// The position.
    pub sample: PositionSample,
}

/// An alert version from the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertVersionRow {
    /// Version number.
    pub version: u32,
    /// Record time, ms since the Unix epoch.
    pub time_ms: i64,
    /// The record's sequence number.
    pub seq: u64,
    /// The record's payload.
    pub payload: Vec<u8>,
}

/// A latitude/longitude box; `min_lon > max_lon` crosses the antimeridian.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GeoBox {
    /// Southern edge, degrees.
    pub min_lat: f64,
    /// Western edge, degrees.
    pub min_lon: f64,
    /// Northern edge, degrees.
    pub max_lat: f64,
    /// Eastern edge, degrees.
    pub max_lon: f64,
}

impl GeoBox {
    /// Whether the point is inside (edges included).
    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        let lon_in = if self.min_lon <= self.max_lon {
            lon >= self.min_lon && lon <= self.max_lon
        } else {
            lon >= self.min_lon || lon <= self.max_lon
        };
        lat >= self.min_lat && lat <= self.max_lat && lon_in
    }
}

fn encode_sample(s: &PositionSample, seq: u64) -> [u8; 37] {
    let mut b = [0u8; 37];
    b[0..8].copy_from_slice(&s.lat_deg.to_le_bytes());
    b[8..16].copy_from_slice(&s.lon_deg.to_le_bytes());
    let mut flags = 0u8;
    for (i, v) in [s.sog_kn, s.cog_deg, s.heading_deg].iter().enumerate() {
        if let Some(v) = v {
            flags |= 1 << i;
            b[16 + 4 * i..20 + 4 * i].copy_from_slice(&v.to_le_bytes());
        }
    }
    b[28] = flags;
    b[29..37].copy_from_slice(&seq.to_le_bytes());
    b
}

/// A position row of an entity, ordered by (time, entity): the order a window is replayed in.
struct ByTime(u64, PositionRow);

impl ByTime {
    fn key(&self) -> (i64, u64) {
        (self.1.time_ms, self.0)
    }
}

impl PartialEq for ByTime {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for ByTime {}

impl PartialOrd for ByTime {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ByTime {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

/// An `alerts` table value: record time, seq, payload.
fn alert_row(version: u32, v: &[u8]) -> AlertVersionRow {
    AlertVersionRow {
        version,
        time_ms: i64::from_le_bytes(v[0..8].try_into().unwrap()),
        seq: u64::from_le_bytes(v[8..16].try_into().unwrap()),
        payload: v[16..].to_vec(),
    }
}

fn decode_sample(b: &[u8]) -> (PositionSample, u64) {
    let f =
        |i: usize| (b[28] & (1 << i) != 0).then(|| f32::from_le_bytes(b[16 + 4 * i..20 + 4 * i].try_into().unwrap()));
    let s = PositionSample {
        lat_deg: f64::from_le_bytes(b[0..8].try_into().unwrap()),
        lon_deg: f64::from_le_bytes(b[8..16].try_into().unwrap()),
        sog_kn: f(0),
        cog_deg: f(1),
        heading_deg: f(2),
    };
    (s, u64::from_le_bytes(b[29..37].try_into().unwrap()))
}

/// Index parameters (from the configuration); an index built with others is rebuilt.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct IndexParams {
    pub cell_deg: f64,
    pub position_interval_ms: i64,
    pub bucket_ms: i64,
}

impl IndexParams {
    fn ncols(&self) -> u32 {
        (360.0 / self.cell_deg).ceil() as u32
    }
    fn nrows(&self) -> u32 {
        (180.0 / self.cell_deg).ceil() as u32
    }
    fn row(&self, lat: f64) -> u32 {
        (((lat + 90.0) / self.cell_deg).floor().max(0.0) as u32).min(self.nrows() - 1)
    }
    fn col(&self, lon: f64) -> u32 {
        let lon = (lon + 180.0).rem_euclid(360.0);
        ((lon / self.cell_deg).floor() as u32).min(self.ncols() - 1)
    }
    fn cell(&self, lat: f64, lon: f64) -> u32 {
        self.row(lat) * self.ncols() + self.col(lon)
    }
    fn bucket(&self, time_ms: i64) -> u32 {
        time_ms.div_euclid(self.bucket_ms).clamp(0, u32::MAX as i64) as u32
    }
    fn meta(&self) -> [(&'static str, u64); 4] {
        [
            ("format", INDEX_FORMAT),
            ("cell_udeg", (self.cell_deg * 1e6).round() as u64),
            ("position_interval_ms", self.position_interval_ms as u64),
            ("bucket_ms", self.bucket_ms as u64),
        ]
    }
}

/// The index database, shared by the writer (which writes) and queries (which read).
#[derive(Clone)]
pub(crate) struct Index {
    db: Arc<Database>,
    params: IndexParams,
}

impl Index {
    /// Opens the index and returns it with the next seq it has not indexed; a missing,
    /// damaged or differently built index is recreated empty (next seq 0).
    pub fn open(path: &Path, params: IndexParams) -> Result<(Index, u64, Option<String>)> {
        let mut why_rebuilt = None;
        let db = match Database::create(path) {
            Ok(db) => Some(db),
            Err(e) => {
                why_rebuilt = Some(format!("index could not be opened ({e}); rebuilt"));
                None
            }
        };
        let index = db.map(|db| Index { db: Arc::new(db), params });
        if let Some(ix) = index {
            match ix.stored_params() {
                Ok(Some((stored, end))) if stored == params.meta() => return Ok((ix, end, None)),
                Ok(Some(_)) => why_rebuilt = Some("index built with other parameters; rebuilt".into()),
                Ok(None) => {}
                Err(e) => why_rebuilt = Some(format!("index unreadable ({e}); rebuilt")),
            }
            drop(ix);
        }
        let _ = std::fs::remove_file(path);
        let ix = Index { db: Arc::new(Database::create(path)?), params };
        let mut tx = ix.db.begin_write()?;
        tx.set_durability(Durability::Immediate)?;
        {
            let mut meta = tx.open_table(META)?;
            for (k, v) in params.meta() {
                meta.insert(k, v)?;
            }
            meta.insert("next_seq", 0)?;
            tx.open_table(POSITIONS)?;
            tx.open_table(AREA)?;
            tx.open_table(ALERTS)?;
        }
        tx.commit()?;
        Ok((ix, 0, why_rebuilt))
    }

    #[allow(clippy::type_complexity)]
    fn stored_params(&self) -> Result<Option<([(&'static str, u64); 4], u64)>> {
        let tx = self.db.begin_read()?;
        let meta = match tx.open_table(META) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let mut out = self.params.meta();
        for (k, v) in out.iter_mut() {
            *v = match meta.get(*k)? {
                Some(x) => x.value(),
                None => return Ok(None),
            };
        }
        let end = meta.get("next_seq")?.map(|v| v.value());
        Ok(end.map(|e| (out, e)))
    }

    /// Positions of `entity` in `[from_ms, to_ms)`, oldest first.
    pub fn positions(&self, entity: u64, from_ms: i64, to_ms: i64) -> Result<Vec<PositionRow>> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(POSITIONS)?;
        let mut out = Vec::new();
        if from_ms >= to_ms {
            return Ok(out);
        }
        for row in t.range((entity, from_ms)..(entity, to_ms))? {
            let (k, v) = row?;
            let (sample, seq) = decode_sample(v.value());
            out.push(PositionRow { time_ms: k.value().1, seq, sample });
        }
        Ok(out)
    }

    /// Entities with a row in the `area` table for a cell touching `area` and a bucket
    /// touching `[from_ms, to_ms)`: a superset of those with a position there (cells and
    /// buckets are coarser than the question), ascending.
    fn area_candidates(
        &self,
        tx: &redb::ReadTransaction,
        area: GeoBox,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<BTreeSet<u64>> {
        let p = self.params;
        let cells = tx.open_table(AREA)?;
        let (b0, b1) = (p.bucket(from_ms), p.bucket(to_ms - 1));
        let mut candidates = BTreeSet::new();
        let cols: Vec<u32> = if area.min_lon <= area.max_lon {
            (p.col(area.min_lon)..=p.col(area.max_lon)).collect()
        } else {
            (p.col(area.min_lon)..p.ncols()).chain(0..=p.col(area.max_lon)).collect()
        };
        for row in p.row(area.min_lat)..=p.row(area.max_lat) {
            for &col in &cols {
                let cell = row * p.ncols() + col;
                for r in cells.range((cell, b0, 0)..=(cell, b1, u64::MAX))? {
                    candidates.insert(r?.0.value().2);
                }
            }
        }
        Ok(candidates)
    }

    /// Every indexed position with time in `[from_ms, to_ms)`, inside one of `boxes`
    /// (anywhere when `None`) and for which `keep(lat_deg, lon_deg)` holds (a polygon's
    /// test, say), ordered by time, then entity. At most `max_rows` rows, held in a heap
    /// of that size while reading (memory stays bounded however much matches); the flag
    /// says whether more were found (then the rows are the first `max_rows` in that order).
    ///
    /// With boxes, entities are found through the `area` table. Without, the `positions`
    /// table is walked entity by entity, seeking past each entity's rows outside the window:
    /// one seek per entity the index holds, plus the rows in the window.
    pub fn positions_in_window(
        &self,
        boxes: Option<&[GeoBox]>,
        keep: &dyn Fn(f64, f64) -> bool,
        from_ms: i64,
        to_ms: i64,
        max_rows: usize,
    ) -> Result<(Vec<(u64, PositionRow)>, bool)> {
        let mut out = std::collections::BinaryHeap::new();
        let mut more = false;
        if from_ms >= to_ms || max_rows == 0 {
            return Ok((Vec::new(), false));
        }
        let tx = self.db.begin_read()?;
        let positions = tx.open_table(POSITIONS)?;
        let mut take = |entity: u64, time_ms: i64, v: &[u8], out: &mut std::collections::BinaryHeap<ByTime>| {
            let (sample, seq) = decode_sample(v);
            let (lat, lon) = (sample.lat_deg, sample.lon_deg);
            if boxes.is_none_or(|bs| bs.iter().any(|b| b.contains(lat, lon))) && keep(lat, lon) {
                out.push(ByTime(entity, PositionRow { time_ms, seq, sample }));
                if out.len() > max_rows {
                    out.pop();
                    more = true;
                }
            }
        };
        match boxes {
            Some(bs) => {
                let mut candidates = BTreeSet::new();
                for b in bs {
                    candidates.extend(self.area_candidates(&tx, *b, from_ms, to_ms)?);
                }
                for e in candidates {
                    for row in positions.range((e, from_ms)..(e, to_ms))? {
                        let (k, v) = row?;
                        take(e, k.value().1, v.value(), &mut out);
                    }
                }
            }
            None => {
                let mut next = positions.range((0u64, i64::MIN)..)?.next().transpose()?.map(|(k, _)| k.value().0);
                while let Some(e) = next {
                    for row in positions.range((e, from_ms)..(e, to_ms))? {
                        let (k, v) = row?;
                        take(e, k.value().1, v.value(), &mut out);
                    }
                    next = match e.checked_add(1) {
                        Some(n) => positions.range((n, i64::MIN)..)?.next().transpose()?.map(|(k, _)| k.value().0),
                        None => None,
                    };
                }
            }
        }
        let rows = out.into_sorted_vec().into_iter().map(|ByTime(e, r)| (e, r)).collect();
        Ok((rows, more))
    }

    /// Every indexed alert version, by alert id then version: the whole `alerts` table
    /// (alert versions are few: hundreds an hour at the busiest, against thousands of
    /// positions a minute).
    pub fn all_alert_versions(&self) -> Result<Vec<(u64, AlertVersionRow)>> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(ALERTS)?;
        let mut out = Vec::new();
        for row in t.iter()? {
            let (k, v) = row?;
            let (id, version) = k.value();
            out.push((id, alert_row(version, v.value())));
        }
        Ok(out)
    }

    /// Entities with a position inside `area` in `[from_ms, to_ms)`, ascending.
    pub fn entities_in_area(&self, area: GeoBox, from_ms: i64, to_ms: i64) -> Result<Vec<u64>> {
        if from_ms >= to_ms {
            return Ok(Vec::new());
        }
        let tx = self.db.begin_read()?;
        let candidates = self.area_candidates(&tx, area, from_ms, to_ms)?;
        // The cells and buckets are coarser than the question: check the positions.
        let positions = tx.open_table(POSITIONS)?;
        let mut out = Vec::new();
        for e in candidates {
            for row in positions.range((e, from_ms)..(e, to_ms))? {
                let (s, _) = decode_sample(row?.1.value());
                if area.contains(s.lat_deg, s.lon_deg) {
                    out.push(e);
                    break;
                }
            }
        }
        Ok(out)
    }

    /// Versions of an alert, by version number.
    pub fn alert_versions(&self, alert_id: u64) -> Result<Vec<AlertVersionRow>> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(ALERTS)?;
        let mut out = Vec::new();
        for row in t.range((alert_id, 0)..=(alert_id, u32::MAX))? {
            let (k, v) = row?;
            out.push(alert_row(k.value().1, v.value()));
        }
        Ok(out)
    }

    /// Deletes position and area rows older than `cutoff_ms`, except those `keep` says to
    /// keep (legal holds); returns the position rows deleted.
    pub fn purge_before(&self, cutoff_ms: i64, keep: &dyn Fn(u64, i64) -> bool) -> Result<u64> {
        let p = self.params;
        let mut tx = self.db.begin_write()?;
        tx.set_durability(Durability::Immediate)?;
        let mut deleted = 0;
        {
            let mut pos = tx.open_table(POSITIONS)?;
            pos.retain(|(e, t), _| {
                let drop = t < cutoff_ms && !keep(e, t);
                deleted += drop as u64;
                !drop
            })?;
            let cutoff_bucket = p.bucket(cutoff_ms);
            let mut area = tx.open_table(AREA)?;
            area.retain(|(_, b, e), _| {
                let bucket_end = (b as i64 + 1) * p.bucket_ms - 1;
                b >= cutoff_bucket || keep(e, bucket_end)
            })?;
        }
        tx.commit()?;
        Ok(deleted)
    }
}

/// The writer's side of the index: applies entries in batches, with downsampling state.
pub(crate) struct IndexWriter {
    pub index: Index,
    /// Per entity: the interval of the last position kept, and its (cell, bucket), so the
    /// area row is written once per cell and bucket rather than once per position.
    last_kept: HashMap<u64, (i64, (u32, u32))>,
    last_sync: std::time::Instant,
}

impl IndexWriter {
    pub fn new(index: Index) -> Self {
        IndexWriter { index, last_kept: HashMap::new(), last_sync: std::time::Instant::now() }
    }

    /// Applies the entries of a batch of records (in seq order) in one transaction, and
    /// records `next_seq` as indexed. `force_sync` makes the commit durable.
    pub fn apply<'a>(
        &mut self,
        batch: impl IntoIterator<Item = (&'a Record, &'a [IndexEntry])>,
        next_seq: u64,
        force_sync: bool,
    ) -> Result<()> {
        let mut tx = self.index.db.begin_write()?;
        let sync = force_sync || self.last_sync.elapsed() >= INDEX_SYNC_EVERY;
        tx.set_durability(if sync { Durability::Immediate } else { Durability::None })?;
        {
            let mut pos = tx.open_table(POSITIONS)?;
            let mut area = tx.open_table(AREA)?;
            let mut alerts = tx.open_table(ALERTS)?;
            for (rec, entries) in batch {
                for e in entries {
                    match e {
                        IndexEntry::Position { entity, time_ms, sample } => {
                            self.insert_position(&mut pos, &mut area, *entity, *time_ms, sample, rec.seq)?
                        }
                        IndexEntry::AlertVersion { alert_id, version } => {
                            let mut v = Vec::with_capacity(16 + rec.payload.len());
                            v.extend_from_slice(&rec.time_ms.to_le_bytes());
                            v.extend_from_slice(&rec.seq.to_le_bytes());
                            v.extend_from_slice(&rec.payload);
                            alerts.insert((*alert_id, *version), &v[..])?;
                        }
                    }
                }
            }
            tx.open_table(META)?.insert("next_seq", next_seq)?;
        }
        tx.commit()?;
        if sync {
            self.last_sync = std::time::Instant::now();
        }
        Ok(())
    }

    /// Downsampling, then the position and area rows.
    fn insert_position(
        &mut self,
        pos: &mut redb::Table<(u64, i64), &[u8]>,
        area: &mut redb::Table<(u32, u32, u64), ()>,
        entity: u64,
        time_ms: i64,
        sample: &PositionSample,
        seq: u64,
    ) -> Result<()> {
        let p = self.index.params;
        let slot = time_ms.div_euclid(p.position_interval_ms);
        let last = self.last_kept.get(&entity).copied();
        let keep = match last {
            Some((s, _)) => s != slot,
            // Not seen since open: is there a row in this interval already?
            None => {
                let start = slot * p.position_interval_ms;
                let end = start + p.position_interval_ms;
                pos.range((entity, start)..(entity, end))?.next().is_none()
            }
        };
        if !keep {
            return Ok(());
        }
        pos.insert((entity, time_ms), &encode_sample(sample, seq)[..])?;
        let cell = (p.cell(sample.lat_deg, sample.lon_deg), p.bucket(time_ms));
        if last.is_none_or(|(_, c)| c != cell) {
            area.insert((cell.0, cell.1, entity), ())?;
        }
        self.last_kept.insert(entity, (slot, cell));
        Ok(())
    }
}

/// An index database on its own, for benchmarks and tools: load positions without
/// segments, and query. Not part of the archive's API.
#[doc(hidden)]
pub struct HistoryIndex {
    writer: IndexWriter,
}

#[doc(hidden)]
impl HistoryIndex {
    pub fn open(path: &Path, cfg: &crate::Config) -> Result<HistoryIndex> {
        let (index, _, _) = Index::open(path, params_of(cfg))?;
        Ok(HistoryIndex { writer: IndexWriter::new(index) })
    }

    /// Loads (seq, entity, time_ms, sample) rows through the downsampling, in one commit.
    pub fn load_positions(&mut self, rows: impl IntoIterator<Item = (u64, u64, i64, PositionSample)>) -> Result<()> {
        let mut tx = self.writer.index.db.begin_write()?;
        tx.set_durability(Durability::None)?;
        {
            let mut pos = tx.open_table(POSITIONS)?;
            let mut area = tx.open_table(AREA)?;
            for (seq, entity, time_ms, sample) in rows {
                self.writer.insert_position(&mut pos, &mut area, entity, time_ms, &sample, seq)?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    pub fn positions(&self, entity: u64, from_ms: i64, to_ms: i64) -> Result<Vec<PositionRow>> {
        self.writer.index.positions(entity, from_ms, to_ms)
    }

    pub fn entities_in_area(&self, area: GeoBox, from_ms: i64, to_ms: i64) -> Result<Vec<u64>> {
        self.writer.index.entities_in_area(area, from_ms, to_ms)
    }
}

pub(crate) fn params_of(cfg: &crate::Config) -> IndexParams {
    IndexParams {
        cell_deg: cfg.area_cell_deg,
        position_interval_ms: (cfg.position_min_interval.as_millis() as i64).max(1),
        bucket_ms: (cfg.area_bucket.as_millis() as i64).max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_boxes() {
        let p = IndexParams { cell_deg: 0.1, position_interval_ms: 60_000, bucket_ms: 3_600_000 };
        assert_eq!(p.cell(-90.0, -180.0), 0);
        assert!(p.cell(90.0, 180.0) < p.nrows() * p.ncols());
        assert_eq!(p.col(180.0), p.col(-180.0));
        let b = GeoBox { min_lat: 35.0, min_lon: 179.0, max_lat: 36.0, max_lon: -179.0 };
        assert!(b.contains(35.5, 179.5) && b.contains(35.5, -179.5) && !b.contains(35.5, 0.0));
        let s =
            PositionSample { lat_deg: 35.1, lon_deg: 12.2, sog_kn: Some(3.5), cog_deg: None, heading_deg: Some(90.0) };
        assert_eq!(decode_sample(&encode_sample(&s, 77)), (s, 77));
    }
}
