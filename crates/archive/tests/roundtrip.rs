//! Appending, group commit, sealing, compression and reading back.

mod common;
use common::*;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lookout_archive::*;

#[test]
fn records_round_trip_in_append_order_across_lanes() {
    let d = tempfile::tempdir().unwrap();
    let (a, report) = open(config(d.path()));
    assert!(report.is_clean());
    let mut want = Vec::new();
    for i in 0..300u64 {
        let rec = match i % 3 {
            0 => nmea(i, T0 + i as i64),
            1 => NewRecord::new(kinds::DETECTION, T0 + i as i64, format!("{{\"det\":{i}}}")),
            _ => alert(i, 1, T0 + i as i64).0,
        };
        want.push(rec.clone());
        let seqs = a.append(rec, vec![]).unwrap().wait().unwrap();
        assert_eq!(seqs, i..i + 1);
    }
    let got = all(&a);
    assert_eq!(got.len(), 300);
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!((g.seq, g.kind, g.time_ms, &g.payload), (i as u64, w.kind, w.time_ms, &w.payload));
        assert_eq!(g.merkle_leaf, w.kind == kinds::ALERT_VERSION);
    }
    drop(a);
    // And after a reopen, with the next sequence number continuing.
    let (a, report) = open(config(d.path()));
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(all(&a), got);
    let seqs = a.append(nmea(0, T0), vec![]).unwrap().wait().unwrap();
    assert_eq!(seqs.start, 300);
}

#[test]
fn a_ticket_resolves_only_after_the_fdatasync_of_its_batch() {
    let d = tempfile::tempdir().unwrap();
    let faults = Arc::new(fault::Faults::default());
    let mut cfg = config(d.path());
    cfg.fsync = FsyncPolicy::Interval { interval: Duration::from_millis(300), max_records: 100_000 };
    cfg.faults = Some(faults.clone());
    let (a, _) = open(cfg);
    let syncs_before = faults.syncs.load(Ordering::SeqCst);
    let t0 = Instant::now();
    let tickets: Vec<Ticket> = (0..1000).map(|i| a.append(nmea(i, T0), vec![]).unwrap()).collect();
    let mut watch = a.durable_watch();
    assert!(*watch.borrow_and_update() < 1000, "nothing is durable before the batch closes");
    for t in tickets {
        t.wait().unwrap();
    }
    // One batch: the interval had to pass, and one fdatasync (one lane) made it durable.
    assert!(t0.elapsed() >= Duration::from_millis(250), "{:?}", t0.elapsed());
    assert_eq!(faults.syncs.load(Ordering::SeqCst) - syncs_before, 1);
    assert!(*watch.borrow() >= 1000);

    // A failing fdatasync: the ticket reports the error and is never a success.
    faults.fail_sync.store(true, Ordering::SeqCst);
    let err = a.append(nmea(1, T0), vec![]).unwrap().wait().unwrap_err();
    assert!(matches!(err, Error::WriterFailed(_)), "{err}");
    assert!(matches!(a.health(), Health::Failed { .. }));
    assert!(matches!(a.append(nmea(2, T0), vec![]), Err(Error::WriterFailed(_))));
}

#[test]
fn always_policy_syncs_every_record() {
    let d = tempfile::tempdir().unwrap();
    let faults = Arc::new(fault::Faults::default());
    let mut cfg = config(d.path());
    cfg.fsync = FsyncPolicy::Always;
    cfg.faults = Some(faults.clone());
    let (a, _) = open(cfg);
    let before = faults.syncs.load(Ordering::SeqCst);
    let tickets: Vec<Ticket> = (0..20).map(|i| a.append(nmea(i, T0), vec![]).unwrap()).collect();
    for t in tickets {
        t.wait().unwrap();
    }
    assert_eq!(faults.syncs.load(Ordering::SeqCst) - before, 20);
}

#[tokio::test(flavor = "current_thread")]
async fn tickets_can_be_awaited() {
    let d = tempfile::tempdir().unwrap();
    let (a, _) = open(config(d.path()));
    let t = a.append(nmea(0, T0), vec![]).unwrap();
    assert_eq!(t.await.unwrap(), 0..1);
}

#[test]
fn disk_full_stops_acknowledging_and_keeps_what_was_written() {
    let d = tempfile::tempdir().unwrap();
    let faults = Arc::new(fault::Faults::disk_with_room(u64::MAX));
    let mut cfg = config(d.path());
    cfg.faults = Some(faults.clone());
    let (a, _) = open(cfg.clone());
    for i in 0..50 {
        a.append(nmea(i, T0 + i as i64), vec![]).unwrap().wait().unwrap();
    }
    // Room for one and a half more records: the second is half written, like a full disk.
    faults.space_left.store(150, Ordering::SeqCst);
    let t1 = a.append(nmea(50, T0 + 50), vec![]).unwrap();
    let t2 = a.append(nmea(51, T0 + 51), vec![]).unwrap();
    let (r1, r2) = (t1.wait(), t2.wait());
    assert!(r2.is_err(), "the half-written record must not be acknowledged");
    let acked = 50 + r1.is_ok() as u64;
    match a.health() {
        Health::Failed { error, .. } => assert!(error.contains("no space"), "{error}"),
        h => panic!("{h:?}"),
    }
    assert!(a.append(nmea(52, T0), vec![]).is_err());
    drop(a);
    // Reopened with room again: every acknowledged record is there, nothing half-written.
    cfg.faults = None;
    let (a, _) = open(cfg);
    let recs = all(&a);
    assert!(recs.len() as u64 >= acked && recs.len() <= 52);
    for (i, r) in recs.iter().enumerate() {
        assert_eq!(r.payload, nmea(i as u64, T0 + i as i64).payload);
    }
    drop(a);
    verify(d.path(), None).unwrap();
}

#[test]
fn sealing_compression_and_reading_across_sealed_and_open_segments() {
    let d = tempfile::tempdir().unwrap();
    let mut cfg = config(d.path());
    cfg.seal_every = Duration::from_secs(600);
    cfg.seal_max_bytes = 16 * 1024;
    let (a, _) = open(cfg.clone());
    // 3 hours at one record a second across ais and detections: sealed by time and by size.
    let n = 3 * 3600u64;
    let batch: Vec<_> = (0..n)
        .map(|i| {
            let t = T0 + i as i64 * 1000;
            if i % 10 == 0 {
                (NewRecord::new(kinds::DETECTION, t, format!("det {i}")), vec![])
            } else {
                (nmea(i, t), vec![])
            }
        })
        .collect();
    // In 10-minute requests, as a feed would send them.
    for chunk in batch.chunks(600) {
        a.append_batch(chunk.to_vec()).unwrap().wait().unwrap();
    }
    let sealed = a.sealed_segments();
    assert!(sealed.iter().filter(|s| s.lane == "ais").count() >= 18, "{}", sealed.len());
    assert!(sealed.iter().any(|s| s.lane == "sensor"));
    assert!(sealed.iter().any(|s| s.lane == EVIDENCE_LANE), "seal records fill the evidence lane");
    for s in &sealed {
        assert_eq!(
            s.min_time_ms.div_euclid(600_000),
            s.max_time_ms.div_euclid(600_000),
            "a segment never spans two periods"
        );
    }
    drop(a); // waits for the compressor
    let gz = std::fs::read_dir(d.path().join("lanes/ais"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().to_string_lossy().ends_with(".seg.gz"))
        .count();
    assert!(gz >= 18, "sealed segments are compressed ({gz})");

    let (a, report) = open(cfg);
    assert!(report.is_clean(), "{report:?}");
    let recs: Vec<Record> =
        a.read(ReadOptions::all().kinds(&[kinds::NMEA, kinds::DETECTION])).collect::<Result<_>>().unwrap();
    assert_eq!(recs.len() as u64, n);
    assert!(recs.windows(2).all(|w| w[0].seq < w[1].seq));
    // A time range in the middle, crossing sealed segments: exactly the records in it.
    let (from, to) = (T0 + 4000 * 1000, T0 + 5000 * 1000 + 1);
    let part: Vec<Record> =
        a.read(ReadOptions::time(from, to).kinds(&[kinds::DETECTION])).collect::<Result<_>>().unwrap();
    let want: Vec<&Record> =
        recs.iter().filter(|r| r.time_ms >= from && r.time_ms < to && r.kind == kinds::DETECTION).collect();
    assert_eq!(part.iter().collect::<Vec<_>>(), want);
    assert_eq!(part.len(), 101);
    // The tail after a position.
    let tail: Vec<Record> = a.records_after(Some(recs[n as usize - 5].seq)).collect::<Result<_>>().unwrap();
    assert!(tail.len() >= 4 && tail.iter().all(|r| r.seq > recs[n as usize - 5].seq));
    drop(a);
    let rep = verify(d.path(), None).unwrap();
    assert!(rep.sealed_segments as usize >= sealed.len());
}

#[test]
fn snapshot_plus_tail_replays_everything() {
    let d = tempfile::tempdir().unwrap();
    let (a, _) = open(config(d.path()));
    for i in 0..100 {
        a.append(nmea(i, T0 + i as i64), vec![]).unwrap().wait().unwrap();
    }
    a.write_snapshot(60, T0 + 59, b"engine state through seq 59").unwrap();
    drop(a);
    let (a, _) = open(config(d.path()));
    let snap = a.latest_snapshot().unwrap().unwrap();
    assert_eq!(snap.bytes, b"engine state through seq 59");
    let tail: Vec<u64> = a.records_after(Some(snap.at_seq - 1)).map(|r| r.unwrap().seq).collect();
    assert_eq!(tail, (60..100).collect::<Vec<_>>());
}

#[test]
fn reserved_kinds_and_huge_records_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let (a, _) = open(config(d.path()));
    assert!(a.append(NewRecord::new(Kind::SEAL, T0, "x"), vec![]).is_err());
    let big = vec![0u8; MAX_PAYLOAD_BYTES + 1];
    assert!(matches!(a.append(NewRecord::new(kinds::NMEA, T0, big), vec![]), Err(Error::RecordTooLarge(_))));
    // A second open of the same directory is refused while the first holds it.
    assert!(Archive::open(config(d.path()), Arc::new(NoIndexer)).is_err());
}

/// A batch spans lanes: an input (the `ais` lane) and the alert version it caused (the
/// evidence lane, appended after it). If the writer stops between the two lanes' writes
/// (here the disk fills; `kill -9` stops it the same way), the evidence lane must not be
/// the one that got out: an alert version on disk without the input that made it is a
/// version recovery can never make again (found by the service's restart test, which
/// failed one run in a few when the machine was busy).
#[test]
fn a_batch_cut_between_lanes_never_keeps_evidence_without_its_input() {
    let d = tempfile::tempdir().unwrap();
    let faults = Arc::new(fault::Faults::disk_with_room(u64::MAX));
    let mut cfg = config(d.path());
    cfg.faults = Some(faults.clone());
    cfg.fsync = FsyncPolicy::Interval { interval: Duration::from_millis(50), max_records: 1000 };
    let (a, _) = open(cfg.clone());
    let (p, pe) = position(7, T0, 35.0, 12.0);
    a.append(p, pe).unwrap().wait().unwrap();
    // Room for 60 bytes: the alert version's frame (47 bytes) would fit whole, the
    // position's (71) only in part. Whichever lane is written first takes the room.
    faults.space_left.store(60, Ordering::SeqCst);
    let (p, pe) = position(7, T0 + 1000, 35.001, 12.0);
    let (v, ve) = alert(1, 1, T0 + 1000);
    let t = a.append_batch(vec![(p, pe), (v, ve)]).unwrap();
    assert!(t.wait().is_err(), "a batch cut short is not acknowledged");
    drop(a);
    cfg.faults = None;
    let (a, _) = open(cfg);
    let kinds: Vec<Kind> = all(&a).iter().map(|r| r.kind).filter(|k| *k != Kind::SEAL).collect();
    assert!(
        !kinds.contains(&kinds::ALERT_VERSION) || kinds.iter().filter(|k| **k == kinds::NMEA).count() == 2,
        "an alert version survived without its input: {kinds:?}"
    );
}
