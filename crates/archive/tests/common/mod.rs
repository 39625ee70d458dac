//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use lookout_archive::*;

/// 2026-06-01T00:00:00Z, ms.
pub const T0: i64 = 1_780_272_000_000;

/// A configuration for tests: short group-commit interval, no compression unless asked.
pub fn config(dir: &Path) -> Config {
    let mut c = Config::new(dir);
    c.fsync = FsyncPolicy::Interval { interval: Duration::from_millis(5), max_records: 1000 };
    c
}

pub fn nmea(i: u64, time_ms: i64) -> NewRecord {
    NewRecord::new(
        kinds::NMEA,
        time_ms,
        format!("\\s:sim-malta,c:{}*1A\\!AIVDM,1,1,,A,13dtK<0P2cQ2cP<DI;bCjRv{i:05},0*71", time_ms / 1000),
    )
}

/// A synthetic position payload: "POS,entity,time_ms,lat,lon,sog".
pub fn position(entity: u64, time_ms: i64, lat: f64, lon: f64) -> (NewRecord, Vec<IndexEntry>) {
    let payload = format!("POS,{entity},{time_ms},{lat:.6},{lon:.6},7.5");
    let rec = NewRecord::new(kinds::NMEA, time_ms, payload);
    let entries = TestIndexer.index(&Record {
        seq: 0,
        time_ms,
        kind: rec.kind,
        merkle_leaf: false,
        payload: rec.payload.clone(),
    });
    (rec, entries)
}

/// A synthetic alert version: "ALERT,id,version,text".
pub fn alert(id: u64, version: u32, time_ms: i64) -> (NewRecord, Vec<IndexEntry>) {
    let rec = NewRecord::new(kinds::ALERT_VERSION, time_ms, format!("ALERT,{id},{version},dark target"));
    (rec, vec![IndexEntry::AlertVersion { alert_id: id, version }])
}

/// Decodes the synthetic payloads above, as the service's indexer decodes NMEA.
pub struct TestIndexer;

impl Indexer for TestIndexer {
    fn index(&self, r: &Record) -> Vec<IndexEntry> {
        let text = String::from_utf8_lossy(&r.payload);
        let f: Vec<&str> = text.split(',').collect();
        match (r.kind, f.first()) {
            (kinds::NMEA, Some(&"POS")) => vec![IndexEntry::Position {
                entity: f[1].parse().unwrap(),
                time_ms: f[2].parse().unwrap(),
                sample: PositionSample {
                    lat_deg: f[3].parse().unwrap(),
                    lon_deg: f[4].parse().unwrap(),
                    sog_kn: Some(f[5].parse().unwrap()),
                    cog_deg: None,
                    heading_deg: None,
                },
            }],
            (kinds::ALERT_VERSION, Some(&"ALERT")) => {
                vec![IndexEntry::AlertVersion { alert_id: f[1].parse().unwrap(), version: f[2].parse().unwrap() }]
            }
            _ => vec![],
        }
    }
}

pub fn open(cfg: Config) -> (Archive, RecoveryReport) {
    Archive::open(cfg, Arc::new(TestIndexer)).expect("open archive")
}

pub fn all(a: &Archive) -> Vec<Record> {
    a.read(ReadOptions::all()).collect::<Result<Vec<_>>>().unwrap()
}

/// Byte offsets of the frames of a plain segment file (after the header).
pub fn frame_offsets(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut off = SEGMENT_HEADER_BYTES;
    while off + 8 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[off..off + 4].try_into().unwrap()) as usize;
        if off + 8 + len > bytes.len() {
            break;
        }
        out.push((off, 8 + len));
        off += 8 + len;
    }
    out
}

/// The open (plain) segment file of a lane with the highest number.
pub fn open_segment(dir: &Path, lane: &str) -> PathBuf {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir.join("lanes").join(lane))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "seg"))
        .collect();
    v.sort();
    v.pop().expect("an open segment")
}

/// Copies a directory tree (for running destructive checks on copies).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else if e.file_name() != "LOCK" {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}
