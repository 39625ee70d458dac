//! `lookout export`: a window of the archive as a file an analyst hands over (GeoJSON, KML
//! or CSV: tracks as timestamped lines, alert versions as points), with a manifest beside
//! it that lets anyone check it against the archive's signed checkpoint; and `lookout
//! export verify`, which does that check with no access to the archive.
//!
//! **Reading a live archive.** The running service holds the archive's lock and its index
//! (redb allows one process at a time). Like `archive verify`, an export takes neither: it
//! reads the segments through [`ArchiveView`], which never writes, and decodes positions
//! with the service's own indexer ([`HistoryIndexer`], the function the position index is
//! built with), keeping one position per vessel per `--min-interval` (60 s: the index's
//! rule). Reading the segments rather than the index also means every exported position
//! comes from bytes whose SHA-256 was checked against their seal while they were read.
//! The cost is reading the whole window (the index would answer a one-vessel question
//! without it), which is why the window is limited to [`MAX_WINDOW`].
//!
//! **Why `export verify` and not `archive verify-export`:** the one who checks an export
//! (a court's expert, another agency) has the two files and the archive's public key, no
//! archive; `archive verify` checks an archive directory. The check belongs with the
//! command that made the files.

mod formats;
mod manifest;
mod verify;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use lookout_ais::LineSettings;
use lookout_archive::{kinds, ArchiveView, GeoBox, IndexEntry, Indexer, LeafEvidence, ReadOptions, SegmentId};
use lookout_server::store::{FileSlice, HistoryIndexer, FILE_SLICE};
use sha2::{Digest, Sha256};

use super::Refused;
use formats::{flatten, rfc3339_ms, AlertPoint, Format, Point, Track};
use manifest::*;

/// Longest window one export covers: the AIS lane's default retention (older positions
/// are gone unless a legal hold kept them), and about 1.2 billion sentences of a national
/// feed to read, already a long wait.
pub const MAX_WINDOW: Duration = Duration::from_secs(7 * 86_400);
/// Most positions one export writes: about a day of a 1,400-vessel feed at one a minute
/// (~150 MB of GeoJSON).
pub const MAX_POSITIONS: usize = 2_000_000;
/// Most alert versions one export writes.
pub const MAX_ALERT_VERSIONS: usize = 100_000;
/// Positions are found by reading archive records whose time (when the service applied
/// them) is within this of the window: a position's own time (its receive time, from the
/// station's tag block when there is one) can differ from its record's by the time a batch
/// waited, or a station's clock error. Segments are sealed by the hour, so an hour more on
/// each side reads at most two more segments per lane.
pub(super) const RECORD_SLACK_MS: i64 = 3_600_000;

/// Export a window of the archive (tracks and alerts) as GeoJSON, KML or CSV, with a
/// manifest of hashes and proofs; or check such an export (`export verify`).
#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ExportArgs {
    #[command(subcommand)]
    verify: Option<VerifyCommand>,
    /// The archive directory ([archive] dir); read without its lock, so a running service
    /// goes on undisturbed.
    #[arg(long, required = true)]
    archive: Option<PathBuf>,
    /// Start of the window, RFC 3339 (e.g. 2026-06-01T00:00:00Z).
    #[arg(long, required = true)]
    from: Option<String>,
    /// End of the window (exclusive), RFC 3339. At most 7 days after --from.
    #[arg(long, required = true)]
    to: Option<String>,
    /// Only this vessel (repeat for more); its alerts only, too. Default: every vessel.
    #[arg(long)]
    mmsi: Vec<u32>,
    /// Only vessels with a position inside MIN_LAT,MIN_LON,MAX_LAT,MAX_LON (their whole
    /// track in the window is written), and alerts inside it.
    #[arg(long, allow_hyphen_values = true, value_parser = super::area::parse_bbox)]
    bbox: Option<lookout_server::api::pb::BoundingBox>,
    /// geojson (LineString tracks with a `times` array, Point alerts), kml (gx:Track) or csv.
    #[arg(long, value_enum, required = true)]
    format: Option<Format>,
    /// Keep at most one position per vessel per this interval (0s: every position).
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    min_interval: Duration,
    /// The file to write; the manifest goes to FILE.manifest.json.
    #[arg(short = 'o', long, required = true)]
    output: Option<PathBuf>,
    /// The service's configuration, for its [[radar]] sites: positions of file sources are
    /// read again from the recordings, and which radar sentences counted as observations
    /// decides where each archived slice of a recording starts. Needed when a file source
    /// played radar sentences (as `serve --demo` does).
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(clap::Subcommand)]
enum VerifyCommand {
    /// Check an export with no access to the archive: the file's SHA-256, every inclusion
    /// proof against the checkpoint's root, the checkpoint's signature (with --key), and
    /// every alert point's fields against the archived record it claims. Exit status 0
    /// only if all of it holds; otherwise each failure is named.
    Verify(verify::VerifyArgs),
}

/// The manifest's path for an output file.
pub fn manifest_path(output: &Path) -> PathBuf {
    let mut s = output.as_os_str().to_owned();
    s.push(".manifest.json");
    PathBuf::from(s)
}

fn time_ms(flag: &str, s: &str) -> anyhow::Result<i64> {
    let t = super::history::timestamp(flag, s).map_err(|e| Refused(e.to_string()))?;
    Ok(t.seconds * 1000 + i64::from(t.nanos) / 1_000_000)
}

impl ExportArgs {
    pub fn run(self) -> anyhow::Result<()> {
        if let Some(VerifyCommand::Verify(v)) = self.verify {
            return v.run();
        }
        // clap enforces these when there is no subcommand.
        let (Some(dir), Some(from), Some(to), Some(format), Some(output)) =
            (self.archive, self.from, self.to, self.format, self.output)
        else {
            return Err(Refused("--archive, --from, --to, --format and -o are required".into()).into());
        };
        let (from_ms, to_ms) = (time_ms("from", &from)?, time_ms("to", &to)?);
        if to_ms <= from_ms {
            return Err(Refused(format!("--to {to} is not after --from {from}")).into());
        }
        if to_ms - from_ms > MAX_WINDOW.as_millis() as i64 {
            return Err(Refused(format!(
                "--from {from} --to {to} spans {:.1} days; one export covers at most {} days \
                 (the AIS lane's default retention, and the whole window is read): export it in parts",
                (to_ms - from_ms) as f64 / 86_400_000.0,
                MAX_WINDOW.as_secs() / 86_400
            ))
            .into());
        }
        let bbox = self.bbox.map(|b| GeoBox {
            min_lat: b.min_lat_deg,
            min_lon: b.min_lon_deg,
            max_lat: b.max_lat_deg,
            max_lon: b.max_lon_deg,
        });
        let sel = Selection {
            from_ms,
            to_ms,
            mmsi: self.mmsi.iter().copied().collect(),
            bbox,
            min_interval_ms: self.min_interval.as_millis() as i64,
        };

        let indexer = indexer(self.config.as_deref())?;

        let view = ArchiveView::open(&dir).with_context(|| format!("read the archive {}", dir.display()))?;
        let read = read_positions(&view, &sel, &indexer)?;
        let (alerts, alert_records) = read_alerts(&view, &sel)?;

        let title = format!("Lookout export {} to {}", rfc3339_ms(from_ms), rfc3339_ms(to_ms));
        let (bytes, sha256) = write_output(&output, |w| formats::write(format, w, &title, &read.tracks, &alerts))?;

        let cp = view.latest_checkpoint();
        let cp_size = cp.map_or(0, |c| c.checkpoint.size);
        let evidence = |rec: &lookout_archive::Record, index: u64| {
            let covered = index < cp_size;
            let proof = if covered { view.inclusion_proof(index, cp_size).unwrap_or_default() } else { vec![] };
            (LeafEvidence::new(rec, index, if covered { cp_size } else { 0 }, &proof), covered)
        };
        let mut notes = Vec::new();
        let alert_entries: Vec<AlertEntry> = alerts
            .iter()
            .zip(&alert_records)
            .map(|(a, rec)| {
                let (leaf, in_checkpoint) = evidence(rec, a.leaf_index);
                let num = |k: &str| a.fields.get(k).and_then(serde_json::Value::as_u64).unwrap_or(0);
                AlertEntry { alert_id: num("alert_id"), version: num("version") as u32, in_checkpoint, leaf }
            })
            .collect();
        let mut segments = Vec::new();
        for (id, use_) in &read.segments {
            let s = view.segment(*id);
            let seal = s.sealed.as_ref().and_then(|_| view.seal_record(&s.lane, s.segment));
            let (seal, seal_in_checkpoint) =
                match seal.and_then(|r| view.merkle_leaf_index(r.seq).map(|i| evidence(r, i))) {
                    Some((ev, covered)) => (Some(ev), covered),
                    None => (None, false),
                };
            segments.push(SegmentEntry {
                lane: s.lane.clone(),
                segment: s.segment,
                positions: use_.positions,
                first_position_seq: use_.first_seq,
                last_position_seq: use_.last_seq,
                status: if s.sealed.is_some() { "sealed" } else { "not yet sealed" }.into(),
                sha256: s.sealed.as_ref().map(|i| i.sha256.clone()),
                seal,
                seal_in_checkpoint,
                via_recordings: use_.via_recordings,
            });
        }
        let mut recordings = Vec::new();
        for p in &read.recordings {
            match file_sha256(p) {
                Ok((bytes, sha256)) => recordings.push(RecordingEntry { path: p.display().to_string(), bytes, sha256 }),
                Err(e) => notes.push(format!("recording {} could not be hashed: {e}", p.display())),
            }
        }
        let counts = Counts {
            vessels: read.tracks.len() as u64,
            positions: read.tracks.iter().map(|t| t.points.len() as u64).sum(),
            positions_sealed: segments.iter().filter(|s| s.status == "sealed").map(|s| s.positions).sum(),
            alert_versions: alert_entries.len() as u64,
            alert_versions_in_checkpoint: alert_entries.iter().filter(|a| a.in_checkpoint).count() as u64,
        };
        if cp.is_none() {
            notes.push(
                "the archive has no signed checkpoint (no [archive] signing_key, or none signed yet): \
                 nothing in this export can be proven"
                    .into(),
            );
        }
        let late = counts.alert_versions - counts.alert_versions_in_checkpoint;
        if late > 0 {
            notes.push(format!(
                "{late} alert versions were archived after the latest checkpoint (tree size {cp_size}) and carry \
                 no proof: export again after the next checkpoint ([archive] checkpoint_every)"
            ));
        }
        let unsealed = counts.positions - counts.positions_sealed;
        if unsealed > 0 {
            notes.push(format!(
                "{unsealed} positions come from segments not yet sealed: no hash vouches for them yet \
                 (segments are sealed every [archive] seal_every)"
            ));
        }
        if !recordings.is_empty() && self.config.is_none() {
            notes.push(
                "positions of file sources were read without the service's configuration (--config): if it had \
                 [[radar]] sites, slices of recordings with radar sentences were placed wrongly (look for 'file \
                 slice not indexed' above) and positions are missing"
                    .into(),
            );
        }
        if !recordings.is_empty() {
            notes.push(
                "positions of file sources were read from the recordings the archive names (it archives which \
                 slice of a recording was played, not its lines): their SHA-256 here is as read at export"
                    .into(),
            );
        }
        notes.push(
            "track positions are tied to their segments by archive_seq; `lookout export verify FILE --archive DIR` \
             reads each again from the record it names"
                .into(),
        );
        let m = Manifest {
            lookout_export: MANIFEST_VERSION,
            created_at: rfc3339_ms(lookout_core::time::wall_ms()),
            created_by: format!("lookout {}", env!("CARGO_PKG_VERSION")),
            archive: ArchiveRef { dir: dir.display().to_string(), origin: cp.map(|c| c.checkpoint.origin.clone()) },
            parameters: Parameters {
                from: rfc3339_ms(from_ms),
                to: rfc3339_ms(to_ms),
                mmsi: self.mmsi.clone(),
                bbox: bbox.map(|b| [b.min_lat, b.min_lon, b.max_lat, b.max_lon]),
                format: format.name().into(),
                min_interval_s: self.min_interval.as_secs_f64(),
            },
            output: OutputRef {
                file: output.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                bytes,
                sha256,
            },
            checkpoint: cp.map(|c| CheckpointRef {
                note: c.note.clone(),
                origin: c.checkpoint.origin.clone(),
                tree_size: c.checkpoint.size,
                root: lookout_archive::merkle::to_hex(&c.checkpoint.root),
            }),
            counts,
            alerts: alert_entries,
            segments,
            recordings,
            notes,
        };
        let mpath = manifest_path(&output);
        write_output(&mpath, |w| {
            serde_json::to_writer_pretty(&mut *w, &m).map_err(std::io::Error::other)?;
            w.write_all(b"\n")
        })?;
        let c = &m.counts;
        println!(
            "wrote {} ({}, {} vessels, {} positions, {} alert versions) and {}",
            output.display(),
            format.name(),
            c.vessels,
            c.positions,
            c.alert_versions,
            mpath.display()
        );
        match &m.checkpoint {
            Some(cp) => println!(
                "proofs against the checkpoint of {} leaves by {}: {} of {} alert versions, {} of {} segments' seals; \
                 {} of {} positions from sealed segments",
                cp.tree_size,
                cp.origin,
                c.alert_versions_in_checkpoint,
                c.alert_versions,
                m.segments.iter().filter(|s| s.seal_in_checkpoint).count(),
                m.segments.len(),
                c.positions_sealed,
                c.positions
            ),
            None => println!("no signed checkpoint in the archive: nothing is proven"),
        }
        for n in &m.notes {
            println!("note: {n}");
        }
        println!("check it with: lookout export verify {} --key VERIFIER_KEY_FILE", output.display());
        Ok(())
    }
}

/// The service's own position indexer, with the `[[radar]]` sites of its configuration
/// (file sources that played radar need them to place their archived slices).
fn indexer(config: Option<&Path>) -> anyhow::Result<HistoryIndexer> {
    let settings = match config {
        Some(p) => {
            let c = lookout_server::Config::load(p).with_context(|| format!("read {}", p.display()))?;
            LineSettings::new(&c.radars, c.picture.max_future.as_millis() as i64)
        }
        None => LineSettings::default(),
    };
    Ok(HistoryIndexer::with_settings(Arc::new(settings)))
}

/// What to export.
struct Selection {
    from_ms: i64,
    to_ms: i64,
    mmsi: BTreeSet<u32>,
    bbox: Option<GeoBox>,
    min_interval_ms: i64,
}

/// What positions came from one segment.
#[derive(Default)]
struct SegmentUse {
    positions: u64,
    first_seq: u64,
    last_seq: u64,
    via_recordings: bool,
}

struct PositionsRead {
    tracks: Vec<Track>,
    segments: BTreeMap<SegmentId, SegmentUse>,
    recordings: BTreeSet<PathBuf>,
}

fn too_many(what: &str, limit: usize) -> anyhow::Error {
    Refused(format!(
        "the selection holds more than {} {what}, the most one export writes: narrow it with {}",
        super::thousands(limit as u64),
        if what == "positions" {
            // --bbox keeps the vessels that enter the box once all are read: it does not help here.
            "--mmsi, a shorter window or a longer --min-interval"
        } else {
            "--mmsi, --bbox or a shorter window"
        }
    ))
    .into()
}

fn read_positions(view: &ArchiveView, sel: &Selection, indexer: &HistoryIndexer) -> anyhow::Result<PositionsRead> {
    let opts =
        ReadOptions::time(sel.from_ms - RECORD_SLACK_MS, sel.to_ms + RECORD_SLACK_MS).kinds(&[kinds::NMEA, FILE_SLICE]);
    // Per vessel: its points with their segment, and the last interval a point was kept in.
    let mut by_vessel: BTreeMap<u32, (Vec<(Point, SegmentId)>, i64)> = BTreeMap::new();
    let mut recordings = BTreeSet::new();
    let mut via_recordings = BTreeSet::new();
    let mut kept = 0usize;
    let mut records = view.records(opts);
    for r in records.by_ref() {
        let (sid, rec) = r.with_context(|| format!("read the archive {}", view.dir().display()))?;
        let entries = indexer.index(&rec);
        if rec.kind == FILE_SLICE && !entries.is_empty() {
            if let Ok(f) = serde_json::from_slice::<FileSlice>(&rec.payload) {
                recordings.extend(f.paths);
            }
            via_recordings.insert(sid);
        }
        for e in entries {
            let IndexEntry::Position { entity, time_ms, sample } = e else { continue };
            let Ok(mmsi) = u32::try_from(entity) else { continue };
            if time_ms < sel.from_ms || time_ms >= sel.to_ms || (!sel.mmsi.is_empty() && !sel.mmsi.contains(&mmsi)) {
                continue;
            }
            let (points, last_slot) = by_vessel.entry(mmsi).or_insert((Vec::new(), i64::MIN));
            // The position index's rule: the first position in each interval.
            let slot = if sel.min_interval_ms > 0 { time_ms.div_euclid(sel.min_interval_ms) } else { i64::MIN };
            if sel.min_interval_ms > 0 && slot == *last_slot {
                continue;
            }
            *last_slot = slot;
            points.push((
                Point {
                    time_ms,
                    lat_deg: sample.lat_deg,
                    lon_deg: sample.lon_deg,
                    sog_kn: sample.sog_kn,
                    cog_deg: sample.cog_deg,
                    seq: rec.seq,
                },
                sid,
            ));
            kept += 1;
            if kept > MAX_POSITIONS {
                return Err(too_many("positions", MAX_POSITIONS));
            }
        }
    }
    for t in records.unread_tails() {
        let s = view.segment(t.segment);
        tracing::info!(lane = %s.lane, segment = s.segment, offset = t.offset, reason = %t.reason,
            "the end of an unsealed segment was not readable (a batch being written): left out");
    }
    let mut out = PositionsRead { tracks: Vec::new(), segments: BTreeMap::new(), recordings };
    for (mmsi, (mut points, _)) in by_vessel {
        if let Some(b) = sel.bbox {
            if !points.iter().any(|(p, _)| b.contains(p.lat_deg, p.lon_deg)) {
                continue;
            }
        }
        // Records are in append order; positions within them need not be in time order.
        points.sort_by_key(|(p, _)| (p.time_ms, p.seq));
        for (p, sid) in &points {
            let u = out.segments.entry(*sid).or_insert(SegmentUse { first_seq: u64::MAX, ..Default::default() });
            u.positions += 1;
            u.first_seq = u.first_seq.min(p.seq);
            u.last_seq = u.last_seq.max(p.seq);
            u.via_recordings |= via_recordings.contains(sid);
        }
        out.tracks.push(Track { mmsi, points: points.into_iter().map(|(p, _)| p).collect() });
    }
    Ok(out)
}

/// Alert versions made in the window (by their `updated_at`; inside the box and about the
/// vessels, if asked), with their records.
///
/// By the version's own time, not its record's: they differ when the service plays a
/// recording on its clock. The whole evidence lane is read for it, as [`ArchiveView::open`]
/// already did: it holds alert versions, acknowledgements, audit records and seals, not
/// the input.
fn read_alerts(view: &ArchiveView, sel: &Selection) -> anyhow::Result<(Vec<AlertPoint>, Vec<lookout_archive::Record>)> {
    let mut points = Vec::new();
    let mut records = Vec::new();
    for r in view.records(ReadOptions::all().kinds(&[kinds::ALERT_VERSION])) {
        let (_, rec) = r.with_context(|| format!("read the archive {}", view.dir().display()))?;
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(&rec.payload) else {
            anyhow::bail!("archive record {} is an alert version that is not JSON", rec.seq);
        };
        let at_ms = v
            .get("updated_at")
            .and_then(serde_json::Value::as_str)
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map_or(rec.time_ms, |t| t.timestamp_millis());
        if at_ms < sel.from_ms || at_ms >= sel.to_ms {
            continue;
        }
        let fields = flatten(&v);
        let a = AlertPoint {
            archive_seq: rec.seq,
            leaf_index: view
                .merkle_leaf_index(rec.seq)
                .with_context(|| format!("alert version record {} is not a Merkle leaf", rec.seq))?,
            fields,
        };
        let (lat, lon) = a.lat_lon();
        if sel.bbox.is_some_and(|b| !b.contains(lat, lon)) {
            continue;
        }
        if !sel.mmsi.is_empty() {
            let m = a.fields.get("mmsi").and_then(serde_json::Value::as_u64);
            if !m.is_some_and(|m| sel.mmsi.contains(&(m as u32))) {
                continue;
            }
        }
        points.push(a);
        records.push(rec);
        if points.len() > MAX_ALERT_VERSIONS {
            return Err(too_many("alert versions", MAX_ALERT_VERSIONS));
        }
    }
    Ok((points, records))
}

/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    sha: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes `path` through `body` (to a temporary file renamed into place, so a failed
/// export leaves no half file behind) and returns its size and SHA-256.
fn write_output(
    path: &Path,
    body: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<(u64, String)> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let f = std::fs::File::create(&tmp).with_context(|| format!("write {}", tmp.display()))?;
    let mut h = Hashing { inner: std::io::BufWriter::new(f), sha: Sha256::new(), bytes: 0 };
    let r = body(&mut h).and_then(|()| h.flush()).and_then(|()| {
        h.inner.get_ref().sync_all()?;
        std::fs::rename(&tmp, path)
    });
    if let Err(e) = r {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("write {}", path.display()));
    }
    Ok((h.bytes, lookout_archive::merkle::to_hex(&h.sha.finalize())))
}

/// Size and SHA-256 of a file.
fn file_sha256(path: &Path) -> std::io::Result<(u64, String)> {
    let f = std::fs::File::open(path)?;
    let mut h = Hashing { inner: std::io::sink(), sha: Sha256::new(), bytes: 0 };
    std::io::copy(&mut std::io::BufReader::new(f), &mut h)?;
    Ok((h.bytes, lookout_archive::merkle::to_hex(&h.sha.finalize())))
}
