//! The service's memory: what the pipeline gives the archive (`lookout-archive`), and how a
//! restart reads it back.
//!
//! **What is written.** Before the engine applies anything it is appended, in the order
//! the engine applies it, under the engine's write lock:
//! - every batch of lines a reader (one TCP connection, one `Ingest` call, one pass over a
//!   file) sent, as received: each line with the wall-clock time it arrived, plus the
//!   engine's `now` for the batch (record time) — kind [`kinds::NMEA`], `ais` lane;
//! - every batch of `PushDetections` events accepted, as detection-event JSON lines (the
//!   format file sources read) — kind [`kinds::DETECTION`], `sensor` lane;
//! - every engine tick (time passing: ageing out, alerts closing) — kind [`TICK`], `ais`
//!   lane;
//! - every acknowledgement — kind [`kinds::ACK`], and every alert version the book made —
//!   kind [`kinds::ALERT_VERSION`]: evidence lane, Merkle leaves.
//!
//! **Why raw lines, not decoded observations.** The lines are the evidence (ISO/IEC 27037
//! wants what was acquired, not our reading of it), they are 3–4 times smaller than any
//! serialisation of the decoded messages, and decoding them again runs the very code that
//! decoded them live: one engine, one decoder, driven live or by recovery.
//!
//! **Recovery** ([`recover`]) reads every record in append order and drives the same
//! engine with the same inputs at the same `now`: lines are decoded by a decoder per
//! reader with the arrival times recorded (so fragment reassembly and receive stamps come
//! out as they did), ticks tick, acknowledgements acknowledge. The engine is
//! deterministic, so the alert book comes back byte for byte; recovery checks this
//! against the archived alert versions and says how many differ (expected 0; a baseline
//! that learns and was saved since the archive began is one known cause).
//!
//! **What counts as received.** `Ingest`, `PushDetections` and `AcknowledgeAlert` reply
//! only once their records are fdatasynced (the archive's group commit, ≤ 200 ms by
//! default). Lines from TCP, UDP and file sources are archived the same way, but those
//! protocols have no reply to hold back.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lookout_ais::decode::AisMessage;
use lookout_ais::event::DetectionEvent;
use lookout_ais::{Batch, Clock, LineDecoder, LineFormat, LineSettings, Observation, Payload};
use lookout_alert::AlertChange;
use lookout_archive::{
    kinds, Archive, FsyncPolicy, IndexEntry, Indexer, Kind, NewRecord, PositionSample, ReadOptions, Ticket,
};
use lookout_core::SourceId;
use lookout_engine::Engine;
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::error::Error;
use crate::source::{ReaderIds, SourceRegistry};
use std::sync::atomic::{AtomicU64, Ordering};

/// An engine tick: time passed with no input (`{}`; the record's time is the tick's now).
pub const TICK: Kind = Kind(5);

/// Observations a file source took from a recording ([`FileSlice`]).
pub const FILE_SLICE: Kind = Kind(6);

/// One call to the API, who made it and how it ended ([`AuditRecord`]): a Merkle
/// leaf in the evidence lane, so the record of access is as tamper-evident as the
/// alerts (an altered or dropped entry breaks `lookout archive verify`).
pub const AUDIT: Kind = Kind(7);

/// The engine's reloadable settings put in force (at a start whose configuration
/// differs from the last recorded, or at a reload): the payload is
/// [`crate::Config::engine_sections`], canonical TOML. Recovery puts them in force
/// at the same point, so the inputs after it are applied as they were live.
pub const CONFIG: Kind = Kind(8);

/// A [`CONFIG`] record of `engine_sections` ([`crate::Config::engine_sections`]) at `now_ms`.
pub fn config_record(engine_sections: &str, now_ms: i64) -> NewRecord {
    NewRecord::new(CONFIG, now_ms, engine_sections.as_bytes().to_vec())
}

/// A call to `lookout.v1`, as archived (kind [`AUDIT`]; the record's time is the call's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// The authenticated operator, or "-".
    pub operator: String,
    /// The gRPC path.
    pub method: String,
    pub peer: String,
    /// "OK", or the gRPC code's name.
    pub outcome: String,
    /// Why it was refused, if it was.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// The role that allowed the call (`"viewer"`, …); empty when refused or on an open
    /// API. (This and the fields below are absent from records written before them.)
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub role: String,
    /// What the call served: the role's purpose (rescue, surveillance, investigation,
    /// feeding, administration), refined by the client's `lookout-purpose` header as
    /// "purpose: header" (escaped, bounded).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub purpose: String,
    /// What it asked about, in a few escaped words ("near 35.30000,12.50000 r=30000 m",
    /// "mmsi 247123456", "area bbox …"); at most 200 characters.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub args: String,
    /// Items answered (vessels, alerts, points, entries), for a unary call that
    /// succeeded; none for a stream (recorded when it opens) or a failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results: Option<u64>,
}

impl AuditRecord {
    pub fn record(&self, now_ms: i64) -> NewRecord {
        NewRecord::new(AUDIT, now_ms, serde_json::to_vec(self).expect("audit record serialises"))
    }
}

/// `[archive]`: where and how the service remembers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchiveConfig {
    /// The archive directory (created if missing). One service per directory: a second
    /// one is refused by the archive's lock file.
    pub dir: PathBuf,
    /// Longest a record waits to be fdatasynced, and so longest a feeder waits for its
    /// reply (group commit). Default 200 ms.
    #[serde(default = "default_fsync_interval", with = "humantime_serde")]
    pub fsync_interval: Duration,
    /// fdatasync every record on its own (≈ 250 records/s on the disk measured here);
    /// for tests of the crash path, not for a national feed. Default false.
    #[serde(default)]
    pub fsync_every_record: bool,
    /// Seal the open segments this often (hash, compress, add to the Merkle log). Default 1 h.
    #[serde(default = "default_seal_every", with = "humantime_serde")]
    pub seal_every: Duration,
    /// Ed25519 signing key for checkpoints (`lookout archive-key` makes one); without
    /// it the Merkle log is kept but no checkpoint is signed.
    #[serde(default)]
    pub signing_key: Option<PathBuf>,
    /// How often a checkpoint is signed when the log has grown. Default 5 min.
    #[serde(default = "default_checkpoint_every", with = "humantime_serde")]
    pub checkpoint_every: Duration,
    /// How long AIS and radar lines (and the ticks and file slices that go with them) are
    /// kept. Default 7 days: EUROSUR (Reg. 1052/2013 art. 13(2)) allows ship identities
    /// for at most 7 days, or two months when needed to track a vessel — a legal hold.
    #[serde(default = "default_ais_retention", with = "humantime_serde")]
    pub ais_retention: Duration,
    /// How long detection events are kept. Default 60 days (they carry no identity;
    /// the longer EUROSUR period). Alert versions and acknowledgements are evidence
    /// and are never purged.
    #[serde(default = "default_sensor_retention", with = "humantime_serde")]
    pub sensor_retention: Duration,
    /// How often retention runs: sealed segments past their lane's retention and under
    /// no legal hold are deleted, after a purge record saying what and why. Default 1 h.
    #[serde(default = "default_purge_every", with = "humantime_serde")]
    pub purge_every: Duration,
}

/// `[audit]`: the record of every API call in an archive of its own — the same
/// segments, hash chain, Merkle log and signed checkpoints as `[archive]` — for a
/// service that keeps no archive, or that keeps who-looked-at-what apart from the
/// traffic (other people may read it, for longer). With it, calls are audited here
/// only; without it, in `[archive]` if there is one.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// The audit's directory (created if missing; one service per directory).
    pub path: PathBuf,
    /// Longest a record waits to be fdatasynced. Default 200 ms.
    #[serde(default = "default_fsync_interval", with = "humantime_serde")]
    pub fsync_interval: Duration,
    /// Seal the open segment this often (hash, compress, add to the Merkle log). Default 1 h.
    #[serde(default = "default_seal_every", with = "humantime_serde")]
    pub seal_every: Duration,
    /// Ed25519 key to sign checkpoints with (`lookout archive key`); none: unsigned.
    #[serde(default)]
    pub signing_key: Option<PathBuf>,
    /// How often a checkpoint is signed when the log has grown. Default 5 min.
    #[serde(default = "default_checkpoint_every", with = "humantime_serde")]
    pub checkpoint_every: Duration,
}

impl AuditConfig {
    /// The archive settings that keep it (its lanes' retention never applies: an
    /// audit record is evidence, in the evidence lane, and is never purged).
    pub fn archive(&self) -> ArchiveConfig {
        ArchiveConfig {
            dir: self.path.clone(),
            fsync_interval: self.fsync_interval,
            fsync_every_record: false,
            seal_every: self.seal_every,
            signing_key: self.signing_key.clone(),
            checkpoint_every: self.checkpoint_every,
            ais_retention: default_ais_retention(),
            sensor_retention: default_sensor_retention(),
            purge_every: default_purge_every(),
        }
    }

    /// Every problem with these settings, named as `audit.` keys.
    pub fn problems(&self, archive: Option<&ArchiveConfig>) -> Vec<String> {
        let mut out: Vec<String> = self
            .archive()
            .problems()
            .into_iter()
            .map(|p| p.replacen("archive.dir", "audit.path", 1).replacen("archive.", "audit.", 1))
            .collect();
        if archive.is_some_and(|a| a.dir == self.path) {
            out.push("audit.path is archive.dir: give the audit a directory of its own".into());
        }
        out
    }
}

fn default_fsync_interval() -> Duration {
    Duration::from_millis(200)
}
fn default_seal_every() -> Duration {
    Duration::from_secs(3600)
}
fn default_checkpoint_every() -> Duration {
    Duration::from_secs(300)
}
fn default_ais_retention() -> Duration {
    Duration::from_secs(7 * 86_400)
}
fn default_sensor_retention() -> Duration {
    Duration::from_secs(60 * 86_400)
}
fn default_purge_every() -> Duration {
    Duration::from_secs(3600)
}

impl ArchiveConfig {
    /// Every problem with these settings.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.dir.as_os_str().is_empty() {
            out.push("archive.dir must name a directory".into());
        }
        if self.fsync_interval.is_zero() || self.fsync_interval > Duration::from_secs(10) {
            out.push(format!(
                "archive.fsync_interval must be within 1ms..=10s (feeders wait this long for their reply), got {:?}",
                self.fsync_interval
            ));
        }
        if self.seal_every < Duration::from_secs(1) {
            out.push("archive.seal_every must be at least 1s".into());
        }
        if self.checkpoint_every < Duration::from_secs(1) {
            out.push("archive.checkpoint_every must be at least 1s".into());
        }
        for (key, d) in [
            ("ais_retention", self.ais_retention),
            ("sensor_retention", self.sensor_retention),
            ("purge_every", self.purge_every),
        ] {
            if d < Duration::from_secs(1) {
                out.push(format!("archive.{key} must be at least 1s, got {d:?}"));
            }
        }
        out
    }

    /// The archive crate's settings for this section (its defaults for the rest).
    pub fn archive_config(&self) -> lookout_archive::Config {
        let mut c = lookout_archive::Config::new(&self.dir);
        c.fsync = if self.fsync_every_record {
            FsyncPolicy::Always
        } else {
            FsyncPolicy::Interval { interval: self.fsync_interval, max_records: 20_000 }
        };
        c.seal_every = self.seal_every;
        c.signing_key.clone_from(&self.signing_key);
        c.checkpoint_every = self.checkpoint_every;
        c.leaf_kinds.push(AUDIT);
        for lane in &mut c.lanes {
            match lane.name.as_str() {
                // Ticks keep the AIS lane's retention: they only mean something with its lines.
                "ais" => {
                    lane.kinds.extend([TICK, FILE_SLICE]);
                    lane.retention = Some(self.ais_retention);
                }
                "sensor" => lane.retention = Some(self.sensor_retention),
                _ => {}
            }
        }
        c
    }
}

/// One line as a reader received it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RawLine {
    /// `[arrival wall-clock ms, line]`.
    Line(i64, String),
    /// `[wall-clock ms]`: the reader expired its pending fragments at this time.
    Expire((i64,)),
}

/// What a reader sent with a batch, for the archive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawLines {
    /// The source's name.
    pub source: String,
    /// The reader: unique across runs (start time and a counter), because fragment
    /// reassembly state belongs to one reader.
    pub reader: u64,
    pub format: Format,
    pub clock: ClockKind,
    pub lines: Vec<RawLine>,
}

/// [`LineFormat`], as archived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Nmea,
    Detections,
}

/// [`Clock`], as archived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockKind {
    Live,
    Recording,
}

impl From<LineFormat> for Format {
    fn from(f: LineFormat) -> Self {
        match f {
            LineFormat::Nmea => Format::Nmea,
            LineFormat::Detections => Format::Detections,
        }
    }
}

impl From<Format> for LineFormat {
    fn from(f: Format) -> Self {
        match f {
            Format::Nmea => LineFormat::Nmea,
            Format::Detections => LineFormat::Detections,
        }
    }
}

impl From<Clock> for ClockKind {
    fn from(c: Clock) -> Self {
        match c {
            Clock::Live => ClockKind::Live,
            Clock::Recording => ClockKind::Recording,
        }
    }
}

impl From<ClockKind> for Clock {
    fn from(c: ClockKind) -> Self {
        match c {
            ClockKind::Live => Clock::Live,
            ClockKind::Recording => Clock::Recording,
        }
    }
}

/// `PushDetections` events accepted in one batch, as detection-event lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawEvents {
    pub source: String,
    pub events: Vec<DetectionEvent>,
}

/// A slice of a recording a file source played: the files are the evidence (and must
/// stay where they are for recovery), so the archive names them and the observations
/// taken, rather than copying them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileSlice {
    pub source: String,
    /// One pass over the files.
    pub reader: u64,
    pub paths: Vec<PathBuf>,
    /// Index of the slice's first observation in the pass, and how many it holds.
    pub first: u64,
    pub count: u64,
    /// Added to every time (`shift_to_now`), ms.
    pub shift_ms: i64,
}

/// The input a batch was decoded from.
#[derive(Debug, Clone, PartialEq)]
pub enum Raw {
    Lines(RawLines),
    Events(RawEvents),
    File(FileSlice),
}

impl Raw {
    /// The archive record for this input, applied at `now_ms`.
    pub fn record(&self, now_ms: i64) -> NewRecord {
        match self {
            // Serialising plain data to a Vec cannot fail.
            Raw::Lines(l) => NewRecord::new(kinds::NMEA, now_ms, serde_json::to_vec(l).expect("lines serialise")),
            Raw::Events(e) => {
                NewRecord::new(kinds::DETECTION, now_ms, serde_json::to_vec(e).expect("events serialise"))
            }
            Raw::File(f) => NewRecord::new(FILE_SLICE, now_ms, serde_json::to_vec(f).expect("slice serialises")),
        }
    }

    /// Whether there is nothing to archive.
    pub fn is_empty(&self) -> bool {
        match self {
            Raw::Lines(l) => l.lines.is_empty(),
            Raw::Events(e) => e.events.is_empty(),
            Raw::File(f) => f.count == 0,
        }
    }
}

/// An acknowledgement, as archived (kind [`kinds::ACK`]; the record's time is its now).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AckRecord {
    pub alert_id: u64,
    pub by: String,
    pub note: String,
    /// The operator also closed the alert. Absent in records from before closing
    /// existed, and left out when false so those records read back the same.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub close: bool,
}

impl AckRecord {
    pub fn record(&self, now_ms: i64) -> NewRecord {
        NewRecord::new(kinds::ACK, now_ms, serde_json::to_vec(self).expect("ack serialises"))
    }
}

/// The archived form of an alert version (kind [`kinds::ALERT_VERSION`]): the book's
/// change number and the alert as the journal and `lookout replay --alerts-out` write it.
pub fn alert_record(change: &AlertChange, now_ms: i64) -> NewRecord {
    NewRecord::new(kinds::ALERT_VERSION, now_ms, alert_payload(change))
}

fn alert_payload(change: &AlertChange) -> Vec<u8> {
    #[derive(Serialize)]
    struct Version<'a> {
        seq: u64,
        #[serde(flatten)]
        alert: lookout_alert::AlertRecord<'a>,
    }
    serde_json::to_vec(&Version { seq: change.seq, alert: change.alert.record() }).expect("alert serialises")
}

/// What the archive indexes for history queries: every AIS position (by MMSI, at its
/// receive time) and every alert version. Detections are not indexed: they carry no
/// identity (tracks are the engine's reading of them).
pub struct HistoryIndexer {
    /// File passes being read again while the index catches up (records come in order).
    passes: parking_lot::Mutex<HashMap<u64, (lookout_ais::Recording, u64)>>,
    /// What file slices are read again with. Radar sentences of a station with a
    /// `[[radar]]` site are observations and others are not, so without the service's
    /// sites a slice's observation numbers point elsewhere in the recording.
    settings: Arc<LineSettings>,
}

impl HistoryIndexer {
    /// An indexer that reads file slices again with `settings` (the service's radar sites).
    pub fn with_settings(settings: Arc<LineSettings>) -> Self {
        HistoryIndexer { passes: Default::default(), settings }
    }
}

impl Indexer for HistoryIndexer {
    fn index(&self, record: &lookout_archive::Record) -> Vec<IndexEntry> {
        if record.kind != FILE_SLICE {
            return index_entries(record.kind, &record.payload);
        }
        // A file slice's lines are in the recording: read them again, as recovery does.
        let Ok(f) = serde_json::from_slice::<FileSlice>(&record.payload) else { return Vec::new() };
        let mut batch = Vec::new();
        match file_slice(&mut self.passes.lock(), &SourceRegistry::default(), &self.settings, &f, &mut batch) {
            Ok(()) => batch_positions(&batch),
            Err(e) => {
                warn!(seq = record.seq, error = %e, "file slice not indexed");
                Vec::new()
            }
        }
    }
}

/// The positions in a batch of observations.
fn batch_positions(batch: &Batch) -> Vec<IndexEntry> {
    batch
        .iter()
        .filter_map(|o| match &o.payload {
            Payload::Ais(AisMessage::Position(p) | AisMessage::ExtendedB(p, _)) => position_entry(p, o.at_ms),
            _ => None,
        })
        .collect()
}

/// The index entries of a record as read back from the segments (a rebuild, or the
/// index catching up); [`input_index`] gives the same entries at append time, as the
/// archive requires.
fn index_entries(kind: Kind, payload: &[u8]) -> Vec<IndexEntry> {
    let mut out = Vec::new();
    if kind == kinds::NMEA {
        let Ok(raw) = serde_json::from_slice::<RawLines>(payload) else { return out };
        out = line_positions(&raw);
    } else if kind == kinds::ALERT_VERSION {
        #[derive(Deserialize)]
        struct Head {
            alert_id: u64,
            version: u32,
        }
        if let Ok(h) = serde_json::from_slice::<Head>(payload) {
            out.push(IndexEntry::AlertVersion { alert_id: h.alert_id, version: h.version });
        }
    }
    out
}

/// The AIS positions in one reader's batch of lines, decoded on their own (none for
/// detection-event lines).
fn line_positions(raw: &RawLines) -> Vec<IndexEntry> {
    let mut out = Vec::new();
    if raw.format != Format::Nmea {
        return out;
    }
    // A decoder per record: positions are single-sentence messages, so reassembly
    // across records is not needed for them.
    let mut dec = lookout_ais::decode::Decoder::new(lookout_ais::decode::DecoderConfig::default());
    for l in &raw.lines {
        let RawLine::Line(wall, text) = l else { continue };
        dec.feed_line_with(
            text.as_bytes(),
            *wall,
            &mut |d| {
                if let AisMessage::Position(p) | AisMessage::ExtendedB(p, _) = &d.msg {
                    out.extend(position_entry(p, d.received_at_ms.unwrap_or(*wall)));
                }
            },
            &mut |_| {},
        );
    }
    out
}

/// The index entries of an input about to be appended: the entries a rebuild will
/// find for its record ([`HistoryIndexer`]), taken from what is in hand rather than
/// from the record's payload.
fn input_index(raw: &Raw, batch: &Batch) -> Vec<IndexEntry> {
    match raw {
        // NMEA lines are decoded again, alone, not taken from the batch: the batch
        // came from the reader's decoder, whose state crosses records (a `$PGHP`
        // header at the end of one batch stamps the first message of the next), while
        // a rebuild sees one record at a time and must find the very entries
        // appended. The lines in hand are the record's, so the JSON just written is
        // not parsed back.
        Raw::Lines(lines) if lines.format == Format::Nmea => line_positions(lines),
        // Detection lines and events hold no AIS position: none either way. A file
        // slice's lines are in the recording, not in the record; a rebuild reads them
        // again as the file source read them (an index rebuilt from the segments alone
        // lacks them, and the README says so).
        Raw::Lines(_) | Raw::Events(_) | Raw::File(_) => batch_positions(batch),
    }
}

fn position_entry(p: &lookout_ais::decode::PositionReport, time_ms: i64) -> Option<IndexEntry> {
    Some(IndexEntry::Position {
        entity: u64::from(p.mmsi),
        time_ms,
        sample: PositionSample {
            lat_deg: p.lat_deg()?,
            lon_deg: p.lon_deg()?,
            sog_kn: p.sog_kn().map(|v| v as f32),
            cog_deg: p.cog_deg().map(|v| v as f32),
            heading_deg: p.heading_deg.map(f32::from),
        },
    })
}

/// The archive, as the service holds it.
pub struct Store {
    archive: Archive,
    /// Unique per run: the high bits of every reader id.
    run: u64,
    next_reader: Arc<AtomicU64>,
}

impl Store {
    /// Opens (creating) the archive, repairing a torn tail. `settings` are the service's
    /// line settings (its `[[radar]]` sites): the index reads file slices again with them
    /// when it is rebuilt or catches up, as recovery does.
    pub fn open(cfg: &ArchiveConfig, settings: Arc<LineSettings>) -> Result<Store, Error> {
        let indexer = HistoryIndexer::with_settings(settings);
        let (archive, report) = Archive::open(cfg.archive_config(), Arc::new(indexer))?;
        if report.is_clean() {
            info!(dir = %cfg.dir.display(), "archive opened");
        } else {
            warn!(dir = %cfg.dir.display(), report = ?report, "archive repaired at open (a torn tail from a crash is cut and kept under recovery/)");
        }
        let run = (lookout_core::time::wall_ms().max(0) as u64) << 20;
        Ok(Store { archive, run, next_reader: Arc::new(AtomicU64::new(0)) })
    }

    /// Hands out reader ids no other reader of this archive has had: the run's start
    /// time (ms) in the high bits, a counter in the low 20.
    pub fn reader_ids(&self) -> ReaderIds {
        let (run, next) = (self.run, self.next_reader.clone());
        Arc::new(move || run | (next.fetch_add(1, Ordering::Relaxed) & 0xF_FFFF))
    }

    pub fn archive(&self) -> &Archive {
        &self.archive
    }

    /// Appends records; the ticket resolves once they are on disk.
    pub fn append(&self, records: Vec<NewRecord>) -> Result<Ticket, Error> {
        let records = records
            .into_iter()
            .map(|r| {
                let index = index_entries(r.kind, &r.payload);
                (r, index)
            })
            .collect();
        Ok(self.archive.append_batch(records)?)
    }

    /// Appends one input (`raw`, which `batch` was decoded from) before it is applied,
    /// at the engine's `now_ms`, indexed by [`input_index`].
    pub fn append_input(&self, raw: &Raw, batch: &Batch, now_ms: i64) -> Result<Ticket, Error> {
        let index = input_index(raw, batch);
        Ok(self.archive.append_batch(vec![(raw.record(now_ms), index)])?)
    }

    /// Waits for everything queued, then closes the archive (on shutdown).
    pub fn close(self) -> Result<(), Error> {
        Ok(self.archive.close()?)
    }
}

/// What [`recover`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Input batches (lines or events) decoded and applied again.
    pub batches: u64,
    /// Observations applied.
    pub observations: u64,
    pub ticks: u64,
    pub acks: u64,
    /// Alert versions in the archive, and how many the engine made again.
    pub alert_versions_archived: u64,
    pub alert_versions_made: u64,
    /// Archived versions the engine did not make again byte for byte.
    pub alert_versions_differing: u64,
    /// Records that could not be read back (named in the log).
    pub unreadable: u64,
    /// The newest `now` applied, ms since the epoch.
    pub last_now_ms: Option<i64>,
    /// Reloads of the engine's settings ([`CONFIG`] records) made again, and the
    /// settings in force at the end (`None`: no record, the start's own).
    pub reconfigurations: u64,
    pub engine_sections: Option<String>,
    /// How long recovery took, ms.
    pub took_ms: u64,
}

/// Drives `engine` with everything in the archive, in append order (see the module doc).
/// Source names met in the archive are registered, so they keep their names. The ticket,
/// if any, is for alert versions the crash kept from the disk, appended now.
pub fn recover(
    store: &Store,
    engine: &mut Engine,
    sources: &SourceRegistry,
    settings: &Arc<LineSettings>,
) -> Result<(Recovered, Option<Ticket>), Error> {
    let started = std::time::Instant::now();
    let (mut out, made) = drive(store.archive.read(ReadOptions::all()), engine, sources, settings)?;
    // Versions made after the last archived one: the crash came between the input reaching
    // the disk and the versions it caused. The record is completed now.
    let mut ticket = None;
    if !made.is_empty() {
        out.alert_versions_made += made.len() as u64;
        let at = out.last_now_ms.unwrap_or(0);
        let records = made.into_iter().map(|p| NewRecord::new(kinds::ALERT_VERSION, at, p)).collect();
        ticket = Some(store.append(records)?);
    }
    out.took_ms = started.elapsed().as_millis() as u64;
    Ok((out, ticket))
}

/// Drives `engine` with archived records, which must come in append (sequence) order, as
/// recovery does: inputs decoded and applied again, ticks, acknowledgements, and each
/// archived alert version checked against the one the engine made. Returns what it did and
/// the versions the engine made beyond the last archived one (as alert records' payloads).
/// `lookout replay --archive` drives a fresh engine with a window of an archive this way.
pub fn drive(
    records: impl IntoIterator<Item = lookout_archive::Result<lookout_archive::Record>>,
    engine: &mut Engine,
    sources: &SourceRegistry,
    settings: &Arc<LineSettings>,
) -> Result<(Recovered, std::collections::VecDeque<Vec<u8>>), Error> {
    let mut out = Recovered::default();
    let mut readers: HashMap<u64, LineDecoder> = HashMap::new();
    // Open recordings of file passes, with the number of observations taken from each.
    let mut passes: HashMap<u64, (lookout_ais::Recording, u64)> = HashMap::new();
    // Alert versions the engine made, oldest first, waiting to meet their archived copy.
    let mut made: std::collections::VecDeque<Vec<u8>> = std::collections::VecDeque::new();
    let mut batch: Batch = Vec::new();
    for rec in records {
        let rec = rec?;
        let now = rec.time_ms;
        let mut apply = |engine: &mut Engine, batch: &mut Batch, out: &mut Recovered| {
            out.batches += 1;
            // As the live pipeline: an empty batch's time (the wall clock, before a
            // recording has given one) does not move the recording clock.
            if !batch.is_empty() {
                out.last_now_ms = out.last_now_ms.max(Some(now));
                out.observations += batch.len() as u64;
                let step = engine.apply(batch, now);
                made.extend(step.alerts.iter().map(alert_payload));
                batch.clear();
            }
        };
        match rec.kind {
            k if k == kinds::NMEA => match serde_json::from_slice::<RawLines>(&rec.payload) {
                Ok(raw) => {
                    let id = source_id(sources, &raw.source);
                    let dec = readers.entry(raw.reader).or_insert_with(|| {
                        LineDecoder::new(id, &raw.source, raw.format.into(), settings.clone(), raw.clock.into())
                    });
                    for l in &raw.lines {
                        match l {
                            RawLine::Line(wall, text) => dec.line_at(text.as_bytes(), *wall, &mut batch),
                            RawLine::Expire((wall,)) => dec.expire(*wall),
                        }
                    }
                    apply(engine, &mut batch, &mut out);
                }
                Err(e) => unreadable(&mut out, rec.seq, e),
            },
            k if k == kinds::DETECTION => match serde_json::from_slice::<RawEvents>(&rec.payload) {
                Ok(raw) => {
                    let id = source_id(sources, &raw.source);
                    for ev in raw.events {
                        // Validated when accepted; validating again only rebuilds the detection.
                        match ev.validate(now, i64::MAX / 4) {
                            Ok(d) => batch.push(Observation {
                                source: id,
                                at_ms: d.time_ms,
                                payload: Payload::Detection(Box::new(d)),
                            }),
                            Err(e) => unreadable(&mut out, rec.seq, e),
                        }
                    }
                    apply(engine, &mut batch, &mut out);
                }
                Err(e) => unreadable(&mut out, rec.seq, e),
            },
            k if k == FILE_SLICE => match serde_json::from_slice::<FileSlice>(&rec.payload) {
                Ok(f) => match file_slice(&mut passes, sources, settings, &f, &mut batch) {
                    Ok(()) => apply(engine, &mut batch, &mut out),
                    Err(e) => {
                        batch.clear();
                        unreadable(&mut out, rec.seq, e);
                    }
                },
                Err(e) => unreadable(&mut out, rec.seq, e),
            },
            k if k == CONFIG => {
                let text = String::from_utf8_lossy(&rec.payload).into_owned();
                match crate::Config::parse(&text) {
                    Ok(cfg) => {
                        engine.reconfigure(cfg.score, cfg.alerts);
                        out.reconfigurations += 1;
                        out.engine_sections = Some(text);
                    }
                    Err(e) => unreadable(&mut out, rec.seq, e),
                }
            }
            k if k == TICK => {
                out.ticks += 1;
                out.last_now_ms = out.last_now_ms.max(Some(now));
                made.extend(engine.tick(now).alerts.iter().map(alert_payload));
            }
            k if k == kinds::ACK => match serde_json::from_slice::<AckRecord>(&rec.payload) {
                Ok(a) => {
                    out.acks += 1;
                    if let Some(c) = engine.acknowledge(a.alert_id, &a.by, &a.note, a.close, now) {
                        made.push_back(alert_payload(&c));
                    }
                }
                Err(e) => unreadable(&mut out, rec.seq, e),
            },
            k if k == kinds::ALERT_VERSION => {
                out.alert_versions_archived += 1;
                match made.pop_front() {
                    Some(m) if m == rec.payload => out.alert_versions_made += 1,
                    Some(_) => {
                        out.alert_versions_made += 1;
                        out.alert_versions_differing += 1;
                    }
                    None => out.alert_versions_differing += 1,
                }
            }
            // The archive's own records (seals, checkpoints, holds).
            _ => {}
        }
    }
    Ok((out, made))
}

/// Reads a file slice's observations again from its recording.
fn file_slice(
    passes: &mut HashMap<u64, (lookout_ais::Recording, u64)>,
    sources: &SourceRegistry,
    settings: &Arc<LineSettings>,
    f: &FileSlice,
    out: &mut Batch,
) -> Result<(), String> {
    let (rec, taken) = match passes.entry(f.reader) {
        std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
        std::collections::hash_map::Entry::Vacant(v) => {
            let id = source_id(sources, &f.source);
            let rec = lookout_ais::Recording::open(&f.paths, id, settings.clone()).map_err(|e| e.to_string())?;
            v.insert((rec, 0))
        }
    };
    while *taken < f.first + f.count {
        let Some(mut obs) = rec.next_observation().map_err(|e| e.to_string())? else {
            return Err(format!("{:?} ended before observation {} (changed since?)", f.paths, f.first + f.count));
        };
        *taken += 1;
        if *taken > f.first {
            obs.at_ms += f.shift_ms;
            if let Payload::Detection(d) = &mut obs.payload {
                d.time_ms += f.shift_ms;
            }
            out.push(obs);
        }
    }
    Ok(())
}

fn source_id(sources: &SourceRegistry, name: &str) -> SourceId {
    sources.recovered(name).id
}

fn unreadable(out: &mut Recovered, seq: u64, e: impl std::fmt::Display) {
    out.unreadable += 1;
    warn!(seq, error = %e, "archive record not applied at recovery");
}

#[cfg(test)]
mod tests {
    use super::*;

    const AIS_LINE: &str = r"\s:sim-malta,c:1780272000*1A\!AIVDM,1,1,,A,13dtK<0P2cQ2cP<DI;bCjRv00<1;,0*71";
    const RADAR_LINE: &str =
        r"\s:radar-pozzallo,c:1780272000170*5B\$RATTM,06,13.755,172.08,T,,,T,,,N,,Q,,000000.17,A*0B";
    const EVENT_LINE: &str = r#"{"time":"2026-06-01T00:09:13.000Z","sensor_id":"drone-1","sensor_kind":"DRONE","lat":34.96881,"lon":12.41425,"position_error_m":44.7}"#;
    /// When the lines arrived, wall clock ms.
    const WALL: i64 = 1_780_272_600_000;

    fn settings() -> Arc<LineSettings> {
        let site = serde_json::from_str(r#"{"station":"radar-pozzallo","lat":36.72,"lon":14.82}"#).unwrap();
        Arc::new(LineSettings::new(&[site], 60_000))
    }

    /// What a live reader archives and applies for `lines`: the raw input and its
    /// batch, decoded by one reader's decoder as an `Ingest` call or a TCP feed does.
    fn read(dec: &mut LineDecoder, lines: &[&str]) -> (Raw, Batch) {
        let mut batch = Vec::new();
        let mut raw = RawLines {
            source: "feed".into(),
            reader: 1,
            format: dec.format().into(),
            clock: ClockKind::Live,
            lines: Vec::new(),
        };
        for l in lines {
            raw.lines.push(RawLine::Line(WALL, (*l).into()));
            dec.line_at(l.as_bytes(), WALL, &mut batch);
        }
        (Raw::Lines(raw), batch)
    }

    /// The index of an input three ways: as appended, as a rebuild reads its record
    /// back, and from the decoded batch.
    fn three_ways(raw: &Raw, batch: &Batch) -> [Vec<IndexEntry>; 3] {
        let record = raw.record(WALL);
        [input_index(raw, batch), index_entries(record.kind, &record.payload), batch_positions(batch)]
    }

    /// Item 3 of issue 12: for an AIS line, a radar line and a detection event (pushed,
    /// or a line of a detections feed) the index is the same whichever way it is made.
    #[test]
    fn the_index_is_the_same_from_the_record_and_from_the_batch() {
        let nmea = || LineDecoder::new(0, "feed", LineFormat::Nmea, settings(), Clock::Live);

        let (raw, batch) = read(&mut nmea(), &[AIS_LINE]);
        let [appended, rebuilt, from_batch] = three_ways(&raw, &batch);
        assert_eq!(appended.len(), 1, "one position: {appended:?}");
        assert!(matches!(appended[0], IndexEntry::Position { time_ms: 1_780_272_000_000, .. }), "{appended:?}");
        assert_eq!(appended, rebuilt);
        assert_eq!(appended, from_batch);

        let (raw, batch) = read(&mut nmea(), &[RADAR_LINE]);
        assert!(matches!(batch[..], [Observation { payload: Payload::Detection(_), .. }]), "{batch:?}");
        assert_eq!(three_ways(&raw, &batch), [vec![], vec![], vec![]]);

        let mut events = LineDecoder::new(0, "feed", LineFormat::Detections, settings(), Clock::Live);
        let (raw, batch) = read(&mut events, &[EVENT_LINE]);
        assert_eq!(batch.len(), 1);
        assert_eq!(three_ways(&raw, &batch), [vec![], vec![], vec![]]);

        let event: DetectionEvent = serde_json::from_str(EVENT_LINE).unwrap();
        let d = event.clone().validate(WALL, 0).unwrap();
        let batch = vec![Observation { source: 0, at_ms: d.time_ms, payload: Payload::Detection(Box::new(d)) }];
        let raw = Raw::Events(RawEvents { source: "push-detections".into(), events: vec![event] });
        assert_eq!(three_ways(&raw, &batch), [vec![], vec![], vec![]]);
    }

    /// Why NMEA lines are decoded again at append time rather than indexed from the
    /// batch: the reader's decoder carries state from one record to the next, which a
    /// rebuild (one record at a time) cannot see. A `$PGHP` header that ends one batch
    /// stamps the message that starts the next.
    #[test]
    fn a_header_in_the_previous_record_is_why_nmea_lines_are_decoded_again() {
        let header = "$PGHP,1,2010,6,11,11,46,11,390,231,45,992190934,1,2B*5B";
        let message = "!AIVDM,1,1,,A,13dtK<0P2cQ2cP<DI;bCjRv00<1;,0*71";
        let mut dec = LineDecoder::new(0, "feed", LineFormat::Nmea, settings(), Clock::Live);
        let (_, first) = read(&mut dec, &[header]);
        assert!(first.is_empty());
        let (raw, batch) = read(&mut dec, &[message]);
        let [appended, rebuilt, from_batch] = three_ways(&raw, &batch);
        let time = |e: &[IndexEntry]| match e {
            [IndexEntry::Position { time_ms, .. }] => *time_ms,
            other => panic!("{other:?}"),
        };
        assert_eq!(time(&from_batch), 1_276_256_771_390, "the header's time, as the engine applied it");
        assert_eq!(time(&rebuilt), WALL, "alone, the record's message has only its arrival time");
        assert_eq!(appended, rebuilt, "what is appended is what a rebuild finds");
    }
}
