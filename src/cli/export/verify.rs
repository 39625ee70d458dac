//! `lookout export verify FILE [--key KEY]`: checks an export with no access to the archive.
//!
//! 1. The file's SHA-256 and size are the manifest's.
//! 2. The checkpoint's signature verifies with the key (`--key`; without it the check is
//!    said to be skipped), and the manifest's copy of its size and root are the note's.
//! 3. Every alert version's archived record hashes to its leaf, and its inclusion proof
//!    leads to the checkpoint's root; every sealed segment's seal record the same, and the
//!    seal states the segment and SHA-256 the manifest gives.
//! 4. Every alert point in the file has exactly the fields of the record it claims (by
//!    archive seq), at the record's position; every record in the manifest is in the file
//!    once.
//! 5. Every track position's archive seq lies in a segment the manifest lists (a sealed
//!    segment's range as its proven seal states it), and the counts add up.
//!
//! What it cannot check without the archive: that the positions are what those segments
//! hold (the segments are not in the export); it says so. With the archive (`--archive
//! DIR`, read-only as `export` reads it):
//!
//! 6. Every track position is read again from the archive record its archive seq names,
//!    decoded by the service's own indexer, and must be that record's position of that
//!    vessel at that time, to the bit; every sealed segment the manifest lists must be
//!    the archive's, with the same SHA-256 (reading a sealed segment checks its bytes
//!    against its seal). A forger who edits a position and the manifest's file hash gets
//!    past 1–5, not past this.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use anyhow::Context;
use lookout_archive::checkpoint::Checkpoint;
use lookout_archive::{kinds, ArchiveView, IndexEntry, Indexer, Kind, NoteVerifier, ReadOptions, SegmentInfo};
use lookout_server::store::{HistoryIndexer, FILE_SLICE};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::formats::{self, field_text, flatten, Fields, Format, ParsedAlert};
use super::manifest::Manifest;

#[derive(clap::Args)]
pub struct VerifyArgs {
    /// The exported file (its manifest is FILE.manifest.json beside it).
    file: PathBuf,
    /// File holding the archive's verifier key (the line `lookout archive key` printed).
    /// Without it the checkpoint's signature is not checked, and the export is shown only
    /// to be consistent, not to come from the archive.
    #[arg(long)]
    key: Option<PathBuf>,
    /// The manifest, if it is not FILE.manifest.json.
    #[arg(long)]
    manifest: Option<PathBuf>,
    /// The archive the export came from (read without its lock, so a running service goes
    /// on undisturbed): every track position is then read again from the archive record
    /// it names, and must be what that record holds.
    #[arg(long)]
    archive: Option<PathBuf>,
    /// The service's configuration, for its [[radar]] sites (as `export --config`).
    #[arg(long, requires = "archive")]
    config: Option<PathBuf>,
}

impl VerifyArgs {
    pub fn run(self) -> anyhow::Result<()> {
        let mpath = self.manifest.clone().unwrap_or_else(|| super::manifest_path(&self.file));
        let text = std::fs::read(&mpath).with_context(|| format!("read the manifest {}", mpath.display()))?;
        let m: Manifest = serde_json::from_slice(&text)
            .with_context(|| format!("{} is not a Lookout export manifest", mpath.display()))?;
        let bytes = std::fs::read(&self.file).with_context(|| format!("read {}", self.file.display()))?;
        let key = match &self.key {
            Some(p) => {
                let t = std::fs::read_to_string(p).with_context(|| format!("read {}", p.display()))?;
                Some(NoteVerifier::parse(t.trim()).with_context(|| format!("{} is not a verifier key", p.display()))?)
            }
            None => None,
        };
        let mut r = check(&m, &bytes, key.as_ref());
        if let Some(dir) = &self.archive {
            let indexer = super::indexer(self.config.as_deref())?;
            let view = ArchiveView::open(dir).with_context(|| format!("read the archive {}", dir.display()))?;
            against_archive(&m, &bytes, &view, &indexer, &mut r)?;
        }
        let file = self.file.display();
        if !r.failures.is_empty() {
            let list: Vec<String> = r.failures.iter().map(|f| format!("  - {f}")).collect();
            anyhow::bail!("export {file} does NOT verify ({} problems):\n{}", r.failures.len(), list.join("\n"));
        }
        println!("export {file} verified:");
        for l in &r.passed {
            println!("  {l}");
        }
        for n in &r.notes {
            println!("  note: {n}");
        }
        Ok(())
    }
}

/// What a check found.
#[derive(Debug, Default)]
pub struct Report {
    /// What held.
    pub passed: Vec<String>,
    /// What did not (any: the export does not verify).
    pub failures: Vec<String>,
    /// What could not be checked.
    pub notes: Vec<String>,
}

/// Checks an export's bytes against its manifest (and the checkpoint's signature with `key`).
pub fn check(m: &Manifest, bytes: &[u8], key: Option<&NoteVerifier>) -> Report {
    let mut r = Report::default();
    let fail = |r: &mut Report, s: String| r.failures.push(s);

    // 1. The file.
    let sha = lookout_archive::merkle::to_hex(&Sha256::digest(bytes));
    if sha != m.output.sha256 || bytes.len() as u64 != m.output.bytes {
        fail(
            &mut r,
            format!(
                "the file's SHA-256 is {sha} ({} bytes), the manifest says {} ({} bytes): the file was changed after export",
                bytes.len(),
                m.output.sha256,
                m.output.bytes
            ),
        );
    } else {
        r.passed.push(format!("SHA-256 {sha} ({} bytes) is the manifest's", bytes.len()));
    }

    // 2. The checkpoint.
    let cp: Option<Checkpoint> = match &m.checkpoint {
        None => {
            fail(&mut r, "the manifest has no signed checkpoint: nothing in the export can be proven".into());
            None
        }
        Some(c) => {
            let parsed = match key {
                Some(k) => match k.verify(&c.note) {
                    Ok(cp) => {
                        r.passed.push(format!(
                            "checkpoint of {} leaves signed by {} (signature verified with the key)",
                            cp.size, cp.origin
                        ));
                        Some(cp)
                    }
                    Err(e) => {
                        fail(
                            &mut r,
                            format!("the checkpoint's signature does not verify with the key {}: {e}", k.name()),
                        );
                        Checkpoint::parse_unverified(&note_body(&c.note))
                    }
                },
                None => {
                    r.notes.push(
                        "the checkpoint's signature was NOT checked (give --key with the archive's verifier key): \
                         this shows the export is consistent, not that it came from the archive"
                            .into(),
                    );
                    Checkpoint::parse_unverified(&note_body(&c.note))
                }
            };
            match &parsed {
                None => fail(&mut r, "the checkpoint note does not parse".into()),
                Some(cp) => {
                    let root = lookout_archive::merkle::to_hex(&cp.root);
                    if cp.size != c.tree_size || root != c.root || cp.origin != c.origin {
                        fail(
                            &mut r,
                            format!(
                                "the manifest's checkpoint fields (size {}, root {}, origin {}) are not the signed note's \
                                 (size {}, root {root}, origin {})",
                                c.tree_size, c.root, c.origin, cp.size, cp.origin
                            ),
                        );
                    }
                }
            }
            parsed
        }
    };
    let prove = |ev: &lookout_archive::LeafEvidence| match &cp {
        Some(cp) => ev.verify(cp.size, &cp.root).map_err(|e| e.to_string()),
        None => Err("no checkpoint to prove it against".to_string()),
    };

    // 3. Alert records and their proofs.
    let mut expected: BTreeMap<u64, (String, BTreeMap<String, Value>)> = BTreeMap::new();
    let mut proven = 0;
    for a in &m.alerts {
        let name = format!("alert {} v{} (archive seq {})", a.alert_id, a.version, a.leaf.seq);
        if cp.is_none() {
            // Said once above: without a checkpoint nothing is proven.
        } else if !a.in_checkpoint {
            fail(&mut r, format!("{name}: archived after the checkpoint, no inclusion proof (export again later)"));
        } else {
            match prove(&a.leaf) {
                Ok(_) => proven += 1,
                Err(e) => fail(&mut r, format!("{name}, leaf {}: {e}", a.leaf.leaf_index)),
            }
        }
        // The fields are compared with the record as given even if it is not proven, so
        // that every difference is named.
        let rec = match a.leaf.record() {
            Ok(rec) => rec,
            Err(e) => {
                fail(&mut r, format!("{name}: {e}"));
                continue;
            }
        };
        if rec.kind != kinds::ALERT_VERSION {
            fail(&mut r, format!("{name}: the record is of kind {}, not an alert version", rec.kind.0));
            continue;
        }
        let Ok(v) = serde_json::from_slice::<Value>(&rec.payload) else {
            fail(&mut r, format!("{name}: the archived record is not JSON"));
            continue;
        };
        let fields = flatten(&v);
        let num = |k: &str| fields.get(k).and_then(Value::as_u64);
        if num("alert_id") != Some(a.alert_id) || num("version") != Some(u64::from(a.version)) {
            fail(&mut r, format!("{name}: the archived record is alert {:?} v{:?}", num("alert_id"), num("version")));
        }
        if expected.insert(a.leaf.seq, (name.clone(), fields)).is_some() {
            fail(&mut r, format!("{name}: listed twice in the manifest"));
        }
    }
    if !m.alerts.is_empty() && proven == m.alerts.len() {
        r.passed.push(format!("{proven} alert versions: each record's inclusion proof leads to the checkpoint's root"));
    }

    // 3b. Segments and their seals. Positions come from one lane (`ais`), whose segments'
    // sequence ranges do not overlap, so a position's seq names its segment.
    let mut ranges: Vec<(u64, u64, usize)> = Vec::new(); // (first, last, manifest index)
    let (mut sealed_ok, mut unsealed) = (0, 0);
    for (i, s) in m.segments.iter().enumerate() {
        let name = format!("segment {} of lane {}", s.segment, s.lane);
        if s.status != "sealed" {
            unsealed += 1;
            ranges.push((s.first_position_seq, s.last_position_seq, i));
            continue;
        }
        let Some(seal) = &s.seal else {
            fail(&mut r, format!("{name}: said to be sealed, but no seal record is given"));
            continue;
        };
        if cp.is_none() {
            // Said once above.
        } else if !s.seal_in_checkpoint {
            fail(&mut r, format!("{name}: sealed after the checkpoint, no inclusion proof (export again later)"));
        } else if let Err(e) = prove(seal) {
            fail(&mut r, format!("{name}: seal record (leaf {}): {e}", seal.leaf_index));
            continue;
        }
        let info = seal
            .record()
            .ok()
            .filter(|rec| rec.kind == Kind::SEAL)
            .and_then(|rec| serde_json::from_slice::<SegmentInfo>(&rec.payload).ok());
        let Some(info) = info else {
            fail(&mut r, format!("{name}: the seal record is not a seal"));
            continue;
        };
        if info.lane != s.lane || info.segment != s.segment || Some(&info.sha256) != s.sha256.as_ref() {
            fail(
                &mut r,
                format!(
                    "{name}: its seal record is for segment {} of lane {} with SHA-256 {}, the manifest says {:?}",
                    info.segment, info.lane, info.sha256, s.sha256
                ),
            );
            continue;
        }
        if s.seal_in_checkpoint {
            sealed_ok += 1;
        }
        ranges.push((info.first_seq, info.last_seq, i));
    }
    if sealed_ok > 0 {
        r.passed.push(format!(
            "{sealed_ok} sealed segments: each seal record (stating the segment's SHA-256) is proven in the checkpoint"
        ));
    }

    // 4 and 5. The file's contents.
    let Some(format) = Format::from_name(&m.parameters.format) else {
        fail(&mut r, format!("the manifest's format {:?} is not geojson, kml or csv", m.parameters.format));
        return r;
    };
    let parsed = match formats::read(format, bytes) {
        Ok(p) => p,
        Err(e) => {
            fail(&mut r, format!("the file does not read as {}: {e}", format.name()));
            return r;
        }
    };
    let mut seen = BTreeSet::new();
    for a in &parsed.alerts {
        let Some(seq) = a.archive_seq else {
            fail(&mut r, format!("alert point ({}) has no archive_seq", a.label));
            continue;
        };
        let Some((name, fields)) = expected.get(&seq) else {
            fail(
                &mut r,
                format!("alert point ({}) claims archive seq {seq}, which the manifest has no record of", a.label),
            );
            continue;
        };
        if !seen.insert(seq) {
            fail(&mut r, format!("{name} is in the file twice ({})", a.label));
        }
        for d in compare(fields, a) {
            fail(&mut r, format!("{name} ({}): {d}", a.label));
        }
    }
    for (seq, (name, _)) in &expected {
        if !seen.contains(seq) {
            fail(&mut r, format!("{name} is in the manifest but not in the file"));
        }
    }
    if !parsed.alerts.is_empty() && r.failures.is_empty() {
        r.passed
            .push(format!("{} alert points: every field and position is the archived record's", parsed.alerts.len()));
    }

    let mut per_segment = vec![0u64; m.segments.len()];
    let mut positions = 0u64;
    for t in &parsed.tracks {
        if t.positions != t.seqs.len() {
            fail(&mut r, format!("track ({}): {} positions but {} archive seqs", t.label, t.positions, t.seqs.len()));
        }
        for &seq in &t.seqs {
            positions += 1;
            match ranges.iter().find(|(a, b, _)| *a <= seq && seq <= *b) {
                Some((_, _, i)) => per_segment[*i] += 1,
                None => {
                    fail(&mut r, format!("track ({}): a position's archive seq {seq} is in no listed segment", t.label))
                }
            }
        }
    }
    let checked: BTreeSet<usize> = ranges.iter().map(|(_, _, i)| *i).collect();
    for (i, (s, n)) in m.segments.iter().zip(&per_segment).enumerate() {
        // A segment whose seal failed is named above already.
        if *n != s.positions && checked.contains(&i) {
            fail(
                &mut r,
                format!(
                    "segment {} of lane {}: the file has {n} positions from it, the manifest {}",
                    s.segment, s.lane, s.positions
                ),
            );
        }
    }
    if positions != m.counts.positions || parsed.tracks.len() as u64 != m.counts.vessels {
        fail(
            &mut r,
            format!(
                "the file has {} tracks with {positions} positions, the manifest {} with {}",
                parsed.tracks.len(),
                m.counts.vessels,
                m.counts.positions
            ),
        );
    }
    let sealed_positions: u64 =
        m.segments.iter().zip(&per_segment).filter(|(s, _)| s.status == "sealed").map(|(_, n)| n).sum();
    r.passed.push(format!(
        "{positions} positions of {} vessels: {sealed_positions} from {sealed_ok} proven sealed segments, {} from {unsealed} \
         segments not yet sealed",
        parsed.tracks.len(),
        positions - sealed_positions
    ));
    if positions > sealed_positions {
        r.notes.push(format!(
            "{} positions come from segments not yet sealed when exported: no hash vouches for them",
            positions - sealed_positions
        ));
    }
    if positions > 0 {
        r.notes.push(
            "positions are tied to proven segments by their archive seq; that they are what those segments hold \
             can only be checked with the archive (export verify FILE --archive DIR)"
                .into(),
        );
    }
    if !m.recordings.is_empty() {
        r.notes.push(format!(
            "positions of file sources were read from {} recordings at export; the archive does not hash recordings",
            m.recordings.len()
        ));
    }
    r
}

/// The note as the signature covers it, for an unverified parse: its body.
/// Failures listed one by one before the rest are only counted (a rewritten file would
/// otherwise print one line per position).
const MAX_LISTED: usize = 20;

/// Step 6: the file's track positions against the archive's records (see the module docs).
/// Errors only when the archive cannot be read; what does not match is a failure in `r`.
fn against_archive(
    m: &Manifest,
    bytes: &[u8],
    view: &ArchiveView,
    indexer: &HistoryIndexer,
    r: &mut Report,
) -> anyhow::Result<()> {
    let format = Format::from_name(&m.parameters.format)
        .with_context(|| format!("the manifest's format {:?} is none of geojson, kml, csv", m.parameters.format))?;
    let Ok(parsed) = formats::read(format, bytes) else {
        return Ok(()); // named by `check` already
    };
    let time = |s: &str| chrono::DateTime::parse_from_rfc3339(s).map(|t| t.timestamp_millis());
    let (Ok(from_ms), Ok(to_ms)) = (time(&m.parameters.from), time(&m.parameters.to)) else {
        r.failures.push(format!("the manifest's window {} to {} is not RFC 3339", m.parameters.from, m.parameters.to));
        return Ok(());
    };

    // The archive's own record of each sealed segment the manifest lists.
    let mut segment_failures = 0;
    for s in m.segments.iter().filter(|s| s.status == "sealed") {
        let ours = view.segments().iter().find(|v| v.lane == s.lane && v.segment == s.segment);
        let sha = ours.and_then(|v| v.sealed.as_ref()).map(|i| i.sha256.as_str());
        if sha.is_none() || sha != s.sha256.as_deref() {
            segment_failures += 1;
            r.failures.push(format!(
                "segment {} of lane {}: the manifest says SHA-256 {}, the archive {}",
                s.segment,
                s.lane,
                s.sha256.as_deref().unwrap_or("none"),
                sha.map_or("has no such sealed segment".to_string(), |h| format!("seals it as {h}"))
            ));
        }
    }

    // Each record the file names, as the service's indexer decodes it: (vessel, time, place).
    let wanted: BTreeSet<u64> = parsed.tracks.iter().flat_map(|t| t.seqs.iter().copied()).collect();
    let mut held: BTreeMap<u64, Vec<(u32, i64, f64, f64)>> = BTreeMap::new();
    let opts = ReadOptions::time(from_ms - super::RECORD_SLACK_MS, to_ms + super::RECORD_SLACK_MS)
        .kinds(&[kinds::NMEA, FILE_SLICE]);
    for rec in view.records(opts) {
        let (_, rec) = rec.with_context(|| format!("read the archive {}", view.dir().display()))?;
        if !wanted.contains(&rec.seq) {
            continue;
        }
        let entries = held.entry(rec.seq).or_default();
        for e in indexer.index(&rec) {
            if let IndexEntry::Position { entity, time_ms, sample } = e {
                if let Ok(mmsi) = u32::try_from(entity) {
                    entries.push((mmsi, time_ms, sample.lat_deg, sample.lon_deg));
                }
            }
        }
    }

    let mut bad = Vec::new();
    let mut checked = 0u64;
    for t in &parsed.tracks {
        for (i, (&seq, p)) in t.seqs.iter().zip(&t.points).enumerate() {
            checked += 1;
            let Some(entries) = held.get(&seq) else {
                bad.push(format!(
                    "track ({}) position {i}: archive seq {seq} is no record of the archive's in the window",
                    t.label
                ));
                continue;
            };
            let same = |&&(mmsi, time_ms, lat, lon): &&(u32, i64, f64, f64)| {
                Some(mmsi) == t.mmsi && Some(time_ms) == p.time_ms && Some((lat, lon)) == p.lat_lon
            };
            if !entries.iter().any(|e| same(&e)) {
                let said = match (p.time_ms, p.lat_lon) {
                    (Some(ms), Some((lat, lon))) => format!("{} at {lat}, {lon}", formats::rfc3339_ms(ms)),
                    _ => "an unreadable time or place".into(),
                };
                let holds: Vec<String> = entries
                    .iter()
                    .map(|(mmsi, ms, lat, lon)| format!("MMSI {mmsi} {} at {lat}, {lon}", formats::rfc3339_ms(*ms)))
                    .collect();
                bad.push(format!(
                    "track ({}) position {i}: the file says MMSI {} {said}; archive record {seq} holds {}",
                    t.label,
                    t.mmsi.map_or("?".into(), |m| m.to_string()),
                    if holds.is_empty() { "no position".into() } else { holds.join("; ") }
                ));
            }
        }
    }
    let n_bad = bad.len();
    r.failures.extend(bad.into_iter().take(MAX_LISTED));
    if n_bad > MAX_LISTED {
        r.failures.push(format!("… and {} more positions that are not what their records hold", n_bad - MAX_LISTED));
    }
    if n_bad == 0 && segment_failures == 0 {
        r.passed.push(format!(
            "{checked} positions read again from the archive's records ({} records): each is what its record holds, \
             and the manifest's sealed segments are the archive's",
            held.len()
        ));
        r.notes.retain(|n| !n.contains("can only be checked with the archive"));
    }
    Ok(())
}

fn note_body(note: &str) -> String {
    match note.split_once("\n\n") {
        Some((body, _)) => format!("{body}\n"),
        None => note.to_string(),
    }
}

/// How an alert point differs from the archived record's fields.
fn compare(want: &BTreeMap<String, Value>, a: &ParsedAlert) -> Vec<String> {
    let mut out = Vec::new();
    let differs =
        |k: &str, got: &str, want: &str| format!("{k} is {got:?} in the file, {want:?} in the archived record");
    match &a.fields {
        Fields::Json(got) => {
            let keys: BTreeSet<&String> = want.keys().chain(got.keys()).collect();
            for k in keys {
                match (got.get(k), want.get(k)) {
                    (Some(g), Some(w)) if g == w => {}
                    (Some(g), Some(w)) => out.push(differs(k, &field_text(g), &field_text(w))),
                    (Some(_), None) => out.push(format!("{k} is in the file, not in the archived record")),
                    (None, Some(_)) => out.push(format!("{k} is missing from the file")),
                    (None, None) => {}
                }
            }
        }
        Fields::Text { values, complete } => {
            let keys: BTreeSet<&String> =
                if *complete { want.keys().chain(values.keys()).collect() } else { values.keys().collect() };
            for k in keys {
                let w = want.get(k).map(field_text);
                match (values.get(k), w) {
                    (Some(g), Some(w)) if *g == w => {}
                    (Some(g), None) if !complete && g.is_empty() => {} // a CSV cell for an absent field
                    (Some(g), Some(w)) => out.push(differs(k, g, &w)),
                    (Some(_), None) => out.push(format!("{k} is in the file, not in the archived record")),
                    (None, Some(_)) => out.push(format!("{k} is missing from the file")),
                    (None, None) => {}
                }
            }
        }
    }
    let coord = |k: &str| want.get(k).and_then(Value::as_f64);
    match (a.lat_lon, coord("lat"), coord("lon")) {
        (Some((lat, lon)), Some(wl), Some(wo)) if lat == wl && lon == wo => {}
        (got, wl, wo) => out.push(format!("its point is {got:?}, the archived record's ({wl:?}, {wo:?})")),
    }
    for (what, text, field) in &a.shown {
        let w = if field == "(title)" {
            format!(
                "Alert {} v{} {}",
                want.get("alert_id").map(field_text).unwrap_or_default(),
                want.get("version").map(field_text).unwrap_or_default(),
                want.get("kind").map(field_text).unwrap_or_default()
            )
        } else {
            want.get(field.as_str()).map(field_text).unwrap_or_default()
        };
        if *text != w {
            out.push(differs(what, text, &w));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::export::formats::{AlertPoint, Point, Track};
    use crate::cli::export::manifest::*;
    use lookout_archive::{merkle, LeafEvidence, Record};

    /// A small export of each format with a real signed checkpoint over its leaves.
    fn export(format: Format) -> (Manifest, Vec<u8>, NoteVerifier) {
        let dir = tempfile::tempdir().unwrap();
        let verifier = lookout_archive::generate_key(&dir.path().join("k"), "lookout.test/export").unwrap();
        let signer = lookout_archive::NoteSigner::load(&dir.path().join("k")).unwrap();
        let payload = serde_json::json!({
            "seq": 4, "alert_id": 3, "version": 2, "kind": "DARK_TARGET", "severity": "HIGH", "score": 3.5,
            "state": "OPEN", "opened_at": "2026-06-01T00:10:00Z", "updated_at": "2026-06-01T00:12:00Z",
            "lat": 35.25, "lon": 12.5, "rescue": true, "explanation": "Boat, \"no AIS\", 80 <persons> & more",
            "persons_on_board": {"estimate": 80, "low": 60, "high": 95, "basis": "counted"}, "evidence": {"a": "b"},
        });
        let alert = Record {
            seq: 10,
            time_ms: 1_780_272_720_000,
            kind: kinds::ALERT_VERSION,
            merkle_leaf: true,
            payload: serde_json::to_vec(&payload).unwrap(),
        };
        let info = SegmentInfo {
            lane: "ais".into(),
            segment: 1,
            first_seq: 0,
            last_seq: 9,
            records: 10,
            min_time_ms: 0,
            max_time_ms: 1,
            bytes: 100,
            sha256: "ab".repeat(32),
            kinds: vec![1],
            sealed_at_ms: 2,
        };
        let seal = Record {
            seq: 11,
            time_ms: 0,
            kind: Kind::SEAL,
            merkle_leaf: true,
            payload: serde_json::to_vec(&info).unwrap(),
        };
        let other = Record { seq: 12, time_ms: 0, kind: kinds::ACK, merkle_leaf: true, payload: b"{}".to_vec() };
        let leaves: Vec<merkle::Hash> = [&alert, &seal, &other].iter().map(|r| r.leaf_hash()).collect();
        let cp = Checkpoint { origin: "lookout.test/export".into(), size: 3, root: merkle::root(&leaves) };
        let ev =
            |r: &Record, i: usize| LeafEvidence::new(r, i as u64, 3, &merkle::inclusion_proof(&leaves, i).unwrap());
        let p = |i: u64, seq: u64| Point {
            time_ms: 1_780_272_000_000 + i as i64 * 60_000,
            lat_deg: 35.0,
            lon_deg: 12.0 + i as f64 / 100.0,
            sog_kn: Some(5.5),
            cog_deg: None,
            seq,
        };
        let tracks = vec![Track { mmsi: 247_000_001, points: vec![p(0, 2), p(1, 5)] }];
        let alerts = vec![AlertPoint { archive_seq: 10, leaf_index: 0, fields: flatten(&payload) }];
        let mut bytes = Vec::new();
        formats::write(format, &mut bytes, "t", &tracks, &alerts).unwrap();
        let m = Manifest {
            lookout_export: MANIFEST_VERSION,
            created_at: "now".into(),
            created_by: "test".into(),
            archive: ArchiveRef { dir: "a".into(), origin: Some(cp.origin.clone()) },
            parameters: Parameters {
                from: "f".into(),
                to: "t".into(),
                mmsi: vec![],
                bbox: None,
                format: format.name().into(),
                min_interval_s: 60.0,
            },
            output: OutputRef {
                file: "x".into(),
                bytes: bytes.len() as u64,
                sha256: merkle::to_hex(&Sha256::digest(&bytes)),
            },
            checkpoint: Some(CheckpointRef {
                note: signer.sign(&cp),
                origin: cp.origin.clone(),
                tree_size: 3,
                root: merkle::to_hex(&cp.root),
            }),
            counts: Counts {
                vessels: 1,
                positions: 2,
                positions_sealed: 2,
                alert_versions: 1,
                alert_versions_in_checkpoint: 1,
            },
            alerts: vec![AlertEntry { alert_id: 3, version: 2, in_checkpoint: true, leaf: ev(&alert, 0) }],
            segments: vec![SegmentEntry {
                lane: "ais".into(),
                segment: 1,
                positions: 2,
                first_position_seq: 2,
                last_position_seq: 5,
                status: "sealed".into(),
                sha256: Some(info.sha256.clone()),
                seal: Some(ev(&seal, 1)),
                seal_in_checkpoint: true,
                via_recordings: false,
            }],
            recordings: vec![],
            notes: vec![],
        };
        (m, bytes, verifier)
    }

    fn failures(m: &Manifest, bytes: &[u8], key: &NoteVerifier) -> String {
        check(m, bytes, Some(key)).failures.join("\n")
    }

    #[test]
    fn a_good_export_verifies_in_every_format() {
        for f in [Format::Geojson, Format::Kml, Format::Csv] {
            let (m, bytes, key) = export(f);
            let r = check(&m, &bytes, Some(&key));
            assert!(r.failures.is_empty(), "{f:?}: {:?}", r.failures);
            assert!(r.passed.iter().any(|p| p.contains("signature verified")), "{:?}", r.passed);
        }
    }

    #[test]
    fn without_a_checkpoint_nothing_is_proven_and_it_is_said_once() {
        let (mut m, bytes, key) = export(Format::Geojson);
        m.checkpoint = None;
        let r = check(&m, &bytes, Some(&key));
        assert_eq!(r.failures, ["the manifest has no signed checkpoint: nothing in the export can be proven"]);
    }

    #[test]
    fn each_alteration_is_named() {
        for f in [Format::Geojson, Format::Kml, Format::Csv] {
            let (m, bytes, key) = export(f);
            // One byte of the file flipped.
            let mut b = bytes.clone();
            let i = b.len() / 2;
            b[i] ^= 0x20;
            assert!(failures(&m, &b, &key).contains("SHA-256"), "{f:?}");

            // An alert's field altered, with the manifest's hash fixed to match: the
            // comparison with the archived record names the field.
            let text = String::from_utf8(bytes.clone()).unwrap();
            let altered = text.replacen("HIGH", "LOW", 1);
            let mut m2 = m.clone();
            m2.output.sha256 = merkle::to_hex(&Sha256::digest(altered.as_bytes()));
            m2.output.bytes = altered.len() as u64;
            let fails = failures(&m2, altered.as_bytes(), &key);
            assert!(
                fails.contains("severity is \"LOW\" in the file, \"HIGH\" in the archived record"),
                "{f:?}: {fails}"
            );
            assert!(!fails.contains("SHA-256"), "{f:?}: {fails}");

            // The archived record altered too (the forger's next step): its leaf hash no
            // longer matches, and fixing that breaks the proof.
            let mut m3 = m2.clone();
            let p = m3.alerts[0].leaf.payload.take().unwrap().replacen("HIGH", "LOW", 1);
            m3.alerts[0].leaf.payload = Some(p);
            let fails = failures(&m3, altered.as_bytes(), &key);
            assert!(fails.contains("alert 3 v2") && fails.contains("the record was altered"), "{f:?}: {fails}");
            m3.alerts[0].leaf.leaf_hash = merkle::to_hex(&m3.alerts[0].leaf.record().unwrap().leaf_hash());
            let fails = failures(&m3, altered.as_bytes(), &key);
            assert!(fails.contains("does not lead to the checkpoint's root"), "{f:?}: {fails}");

            // One proof hash altered.
            let mut m4 = m.clone();
            let h = &mut m4.segments[0].seal.as_mut().unwrap().inclusion_proof[0];
            *h = format!("{}{}", if h.starts_with('0') { '1' } else { '0' }, &h[1..]);
            let fails = failures(&m4, &bytes, &key);
            assert!(fails.contains("segment 1 of lane ais: seal record (leaf 1)"), "{f:?}: {fails}");

            // Another key, or the note's size changed: the signature says so.
            let other =
                lookout_archive::generate_key(&tempfile::tempdir().unwrap().path().join("o"), "lookout.test/export")
                    .unwrap();
            assert!(failures(&m, &bytes, &other).contains("signature does not verify"));
            let mut m5 = m.clone();
            let cp = m5.checkpoint.as_mut().unwrap();
            cp.note = cp.note.replacen("\n3\n", "\n2\n", 1);
            assert!(failures(&m5, &bytes, &key).contains("signature does not verify"));
        }
    }
}
