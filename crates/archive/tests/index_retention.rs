//! Index queries against a brute-force scan of the records; rebuild; retention, legal
//! holds and purge records.

mod common;
use common::*;

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use lookout_archive::*;

/// 20 entities moving around the Strait of Sicily, a position every 10 s for 3 hours.
fn feed() -> Vec<(NewRecord, Vec<IndexEntry>)> {
    let mut out = Vec::new();
    let mut rng = 0x9e3779b97f4a7c15u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut pos: Vec<(f64, f64)> = (0..20).map(|_| (35.0 + next(), 11.5 + 2.0 * next())).collect();
    for step in 0..(3 * 3600 / 10) {
        let t = T0 + step * 10_000;
        for (e, p) in pos.iter_mut().enumerate() {
            p.0 += (next() - 0.5) * 0.01;
            p.1 += (next() - 0.5) * 0.01;
            out.push(position(100_000_000 + e as u64, t + e as i64, p.0, p.1));
        }
    }
    out
}

/// The same downsampling as the index: the first position per entity per interval.
fn kept(records: &[Record], interval_ms: i64) -> Vec<(u64, i64, f64, f64, u64)> {
    let mut last: HashMap<u64, i64> = HashMap::new();
    let mut out = Vec::new();
    for r in records {
        for e in TestIndexer.index(r) {
            if let IndexEntry::Position { entity, time_ms, sample } = e {
                let slot = time_ms.div_euclid(interval_ms);
                if last.insert(entity, slot) != Some(slot) {
                    out.push((entity, time_ms, sample.lat_deg, sample.lon_deg, r.seq));
                }
            }
        }
    }
    out
}

#[test]
fn index_queries_match_a_brute_force_scan_and_survive_a_rebuild() {
    let d = tempfile::tempdir().unwrap();
    let cfg = config(d.path());
    let (a, _) = open(cfg.clone());
    for chunk in feed().chunks(5000) {
        a.append_batch(chunk.to_vec()).unwrap().wait().unwrap();
    }
    for id in 1..=5u64 {
        for v in 1..=3 {
            let (r, e) = alert(id, v, T0 + (id * 100 + v as u64) as i64);
            a.append(r, e).unwrap().wait().unwrap();
        }
    }
    let records = all(&a);
    let truth = kept(&records, 60_000);
    let check = |a: &Archive| {
        for entity in [100_000_000u64, 100_000_007, 100_000_019] {
            let (from, to) = (T0 + 1_800_000, T0 + 5_400_000);
            let got: Vec<(i64, u64)> =
                a.positions(entity, from, to).unwrap().iter().map(|p| (p.time_ms, p.seq)).collect();
            let want: Vec<(i64, u64)> =
                truth.iter().filter(|k| k.0 == entity && k.1 >= from && k.1 < to).map(|k| (k.1, k.4)).collect();
            assert_eq!(got, want);
            assert_eq!(got.len(), 60, "one a minute for an hour");
        }
        let area = GeoBox { min_lat: 35.2, min_lon: 12.0, max_lat: 35.6, max_lon: 12.6 };
        for (from, to) in [(T0, T0 + 600_000), (T0 + 3_600_000, T0 + 10_800_000)] {
            let got = a.entities_in_area(area, from, to).unwrap();
            let want: BTreeSet<u64> =
                truth.iter().filter(|k| k.1 >= from && k.1 < to && area.contains(k.2, k.3)).map(|k| k.0).collect();
            assert_eq!(got, want.into_iter().collect::<Vec<_>>());
        }
        // A window of everything (Replay, AreaHistory): every kept position in it, by time
        // then entity, anywhere or inside boxes (one crossing nothing, two disjoint).
        let far = GeoBox { min_lat: -10.0, min_lon: 100.0, max_lat: -9.0, max_lon: 101.0 };
        let west = GeoBox { min_lat: 35.0, min_lon: 11.5, max_lat: 36.0, max_lon: 12.0 };
        for (from, to) in [(T0 + 600_000, T0 + 1_500_000), (T0 - 3_600_000, T0 + 20_000_000)] {
            for boxes in [None, Some(vec![area]), Some(vec![area, west]), Some(vec![far])] {
                let inside =
                    |lat: f64, lon: f64| boxes.as_ref().is_none_or(|bs| bs.iter().any(|b| b.contains(lat, lon)));
                let mut want: Vec<(i64, u64, u64)> = truth
                    .iter()
                    .filter(|k| k.1 >= from && k.1 < to && inside(k.2, k.3))
                    .map(|k| (k.1, k.0, k.4))
                    .collect();
                want.sort();
                let (rows, more) = a.positions_in_window(boxes.as_deref(), &|_, _| true, from, to, usize::MAX).unwrap();
                let got: Vec<(i64, u64, u64)> = rows.iter().map(|(e, r)| (r.time_ms, *e, r.seq)).collect();
                assert!(!more);
                assert_eq!(got, want, "window {from}..{to}, boxes {boxes:?}");
                if boxes.is_none() {
                    assert!(!got.is_empty());
                }
                // Capped: the first rows in the same order, and the flag.
                if want.len() > 10 {
                    let (rows, more) = a.positions_in_window(boxes.as_deref(), &|_, _| true, from, to, 10).unwrap();
                    assert!(more);
                    assert_eq!(rows.iter().map(|(e, r)| (r.time_ms, *e, r.seq)).collect::<Vec<_>>(), want[..10]);
                }
            }
        }
        // A caller's own test (a polygon's) on top of the boxes.
        let north = |lat: f64, _: f64| lat > 35.5;
        let (rows, _) = a.positions_in_window(None, &north, T0, T0 + 3_600_000, usize::MAX).unwrap();
        let want = truth.iter().filter(|k| k.1 >= T0 && k.1 < T0 + 3_600_000 && k.2 > 35.5).count();
        assert!(want > 0 && rows.len() == want && rows.iter().all(|(_, r)| r.sample.lat_deg > 35.5));
        let every: Vec<(u64, u32)> = a.all_alert_versions().unwrap().iter().map(|(id, v)| (*id, v.version)).collect();
        assert_eq!(every, (1..=5u64).flat_map(|id| (1..=3).map(move |v| (id, v))).collect::<Vec<_>>());
        let versions = a.alert_versions(3).unwrap();
        assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(versions[1].payload, b"ALERT,3,2,dark target");
    };
    check(&a);
    drop(a);
    // Index deleted: rebuilt from the segments by the indexer, same answers.
    std::fs::remove_file(d.path().join("index.redb")).unwrap();
    let (a, report) = open(cfg.clone());
    assert_eq!(report.index_records_read, records.len() as u64);
    check(&a);
    drop(a);
    // Index damaged: rebuilt too.
    std::fs::write(d.path().join("index.redb"), b"not a database").unwrap();
    let (a, report) = open(cfg);
    assert!(report.index_rebuilt.is_some());
    check(&a);
}

#[test]
fn retention_purges_old_segments_except_held_ones_and_records_it() {
    let d = tempfile::tempdir().unwrap();
    let key = d.path().join("k");
    std::fs::create_dir_all(d.path()).unwrap();
    let verifier = generate_key(&key, "lookout.test/archive").unwrap();
    let mut cfg = config(&d.path().join("a"));
    cfg.signing_key = Some(key);
    cfg.seal_every = Duration::from_secs(3 * 3600);
    cfg.lanes[0].retention = Some(Duration::from_secs(7 * 86_400));
    let (a, _) = open(cfg.clone());
    // 10 days of hourly positions for 3 entities, and an alert each day.
    let day = 86_400_000i64;
    for h in 0..240i64 {
        let t = T0 + h * 3_600_000;
        let batch: Vec<_> = (0..3u64).map(|e| position(e, t, 35.0, 12.0 + e as f64)).collect();
        a.append_batch(batch).unwrap().wait().unwrap();
        if h % 24 == 0 {
            let (r, e) = alert(h as u64, 1, t);
            a.append(r, e).unwrap().wait().unwrap();
        }
    }
    a.seal_now().unwrap();
    a.checkpoint_now().unwrap();
    // A case about day 1 for entity 2.
    let hold = Hold {
        name: "case-2026-117".into(),
        from_ms: T0 + day,
        to_ms: T0 + day + 6 * 3_600_000,
        entities: vec![2],
        note: "prosecutor's request".into(),
    };
    a.place_hold(hold.clone(), T0 + 10 * day).unwrap();
    let now = T0 + 10 * day;
    let report = a.purge_expired(now).unwrap();
    // 3-hour segments whose newest record is older than 7 days: days 0-2, less the two
    // that overlap the held hours.
    assert_eq!(report.purged.len(), 24 - 2, "{:?}", report.purged.len());
    assert_eq!(report.held.len(), 2);
    assert!(report.purged.iter().all(|s| s.lane == "ais" && s.max_time_ms < now - 7 * day));
    assert!(report.index_rows_deleted > 0);
    // The purge record says what went and why, and is a Merkle leaf.
    let purges: Vec<Record> = a.read(ReadOptions::all().kinds(&[Kind::PURGE])).collect::<Result<_>>().unwrap();
    assert_eq!(purges.len(), 1);
    assert!(purges[0].merkle_leaf);
    let pr: PurgeRecord = serde_json::from_slice(&purges[0].payload).unwrap();
    assert_eq!(pr.segments.len(), 22);
    assert!(pr.reason.contains("ais"));
    // Old positions are gone from reading and the index, except the held ones.
    let old: Vec<Record> =
        a.read(ReadOptions::time(T0, T0 + 3 * day).kinds(&[kinds::NMEA])).collect::<Result<_>>().unwrap();
    assert_eq!(old.len(), 6 * 3, "the held hours, all entities (whole segments are kept)");
    assert_eq!(a.positions(2, T0, T0 + 3 * day).unwrap().len(), 6);
    assert!(a.positions(1, T0, T0 + 3 * day).unwrap().is_empty());
    assert_eq!(a.positions(1, T0 + 4 * day, now).unwrap().len(), 6 * 24);
    // Evidence is never purged.
    assert_eq!(a.alert_versions(0).unwrap().len(), 1);
    a.checkpoint_now().unwrap();
    drop(a);

    let rep = verify(&d.path().join("a"), Some(&verifier)).unwrap();
    assert_eq!(rep.purged.len(), 22);
    assert!(rep.purged.iter().all(|p| p.purged_at_ms == now && p.purge_seq == purges[0].seq));

    // Holds and purges survive a reopen; releasing the hold lets the rest go.
    let (a, report) = open(cfg);
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(a.holds(), vec![hold]);
    assert!(a.release_hold("case-2026-117", now).unwrap());
    let report = a.purge_expired(now).unwrap();
    assert_eq!(report.purged.len(), 2);
    drop(a);
    verify(&d.path().join("a"), Some(&verifier)).unwrap();
}
