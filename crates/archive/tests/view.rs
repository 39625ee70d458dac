//! The read-only view: it reads an archive while the archive is open in this process (as a
//! running service holds it), sees sealed and unsealed segments for what they are, gives
//! proofs that check against the signed checkpoint, and refuses a sealed segment whose
//! bytes no longer match their seal.

mod common;
use common::*;

use std::time::Duration;

use lookout_archive::*;

#[test]
fn a_view_reads_a_live_archive_and_its_proofs_check_against_the_checkpoint() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("archive");
    std::fs::create_dir_all(&dir).unwrap();
    let verifier = generate_key(&t.path().join("key"), "lookout.test/view").unwrap();
    let mut cfg = config(&dir);
    cfg.signing_key = Some(t.path().join("key"));
    cfg.seal_every = Duration::from_secs(600);
    let (a, _) = open(cfg);
    // 25 minutes of positions of two vessels (two sealed ais segments, then an open one)
    // and an alert version every 5 minutes.
    for i in 0..300i64 {
        let t = T0 + i * 5_000;
        let e = if i % 2 == 0 { 1 } else { 2 };
        let (r, ix) = position(e, t, 35.0 + i as f64 * 1e-3, 12.0);
        a.append(r, ix).unwrap().wait().unwrap();
        if i % 60 == 0 {
            let (r, ix) = alert(i as u64, 1, t);
            a.append(r, ix).unwrap().wait().unwrap();
        }
    }
    a.checkpoint_now().unwrap();
    // Written after the checkpoint: in the view, but in no signed tree yet.
    let (r, ix) = alert(999, 1, T0 + 1_500_000);
    a.append(r, ix).unwrap().wait().unwrap();

    // The archive stays open (and locked) while the view reads.
    let view = ArchiveView::open(&dir).expect("a view needs no lock");
    let cp = view.latest_checkpoint().expect("a checkpoint").clone();
    assert_eq!(verifier.verify(&cp.note).unwrap(), cp.checkpoint);
    assert_eq!(view.merkle_size(), a.merkle_size());
    assert_eq!(view.merkle_root(cp.checkpoint.size), Some(cp.checkpoint.root));

    let ais: Vec<&ViewSegment> = view.segments().iter().filter(|s| s.lane == "ais").collect();
    assert!(ais.len() >= 3, "{ais:?}");
    assert!(ais[..ais.len() - 1].iter().all(|s| s.sealed.is_some()) && ais.last().unwrap().sealed.is_none());

    // Records of a window, with their segments; sealed segments' hashes are checked as read.
    let mut recs = view.records(ReadOptions::time(T0 + 300_000, T0 + 900_000).kinds(&[kinds::NMEA]));
    let got: Vec<(SegmentId, Record)> = recs.by_ref().collect::<Result<_>>().unwrap();
    assert!(recs.unread_tails().is_empty());
    assert_eq!(got.len(), 120);
    assert!(got.windows(2).all(|w| w[0].1.seq < w[1].1.seq));
    let want: Vec<Record> =
        a.read(ReadOptions::time(T0 + 300_000, T0 + 900_000).kinds(&[kinds::NMEA])).collect::<Result<_>>().unwrap();
    assert_eq!(got.iter().map(|(_, r)| r.clone()).collect::<Vec<_>>(), want);
    for (id, r) in &got {
        let s = view.segment(*id);
        if let Some(info) = &s.sealed {
            assert!(info.first_seq <= r.seq && r.seq <= info.last_seq);
        }
    }

    // Appended after the view was opened: not in its log, so not read from it either.
    let (r, ix) = alert(1000, 1, T0 + 1_501_000);
    a.append(r, ix).unwrap().wait().unwrap();

    // Every alert version and every seal record has a proof against the checkpoint, except
    // what came after it.
    let alerts: Vec<Record> = view
        .records(ReadOptions::all().kinds(&[kinds::ALERT_VERSION]))
        .map(|r| r.map(|(_, r)| r))
        .collect::<Result<_>>()
        .unwrap();
    assert_eq!(alerts.len(), 6, "five before the checkpoint, one after");
    for r in &alerts {
        let index = view.merkle_leaf_index(r.seq).expect("alert versions are leaves");
        if index >= cp.checkpoint.size {
            assert!(String::from_utf8_lossy(&r.payload).contains("999"));
            continue;
        }
        let proof = view.inclusion_proof(index, cp.checkpoint.size).unwrap();
        let ev = LeafEvidence::new(r, index, cp.checkpoint.size, &proof);
        assert_eq!(ev.verify(cp.checkpoint.size, &cp.checkpoint.root).unwrap(), *r);
    }
    for s in ais.iter().filter(|s| s.sealed.is_some()) {
        let seal = view.seal_record("ais", s.segment).expect("a seal record");
        let index = view.merkle_leaf_index(seal.seq).unwrap();
        let proof = view.inclusion_proof(index, cp.checkpoint.size).unwrap();
        LeafEvidence::new(seal, index, cp.checkpoint.size, &proof)
            .verify(cp.checkpoint.size, &cp.checkpoint.root)
            .unwrap();
        let info: SegmentInfo = serde_json::from_slice(&seal.payload).unwrap();
        assert_eq!(Some(&info), s.sealed.as_ref());
    }
    drop(a);

    // A sealed segment altered on disk: the view reads its records, then refuses it.
    let sealed = ais[0];
    let dir_ais = dir.join("lanes/ais");
    let gz = dir_ais.join(format!("{:010}.seg.gz", sealed.segment));
    let plain = dir_ais.join(format!("{:010}.seg", sealed.segment));
    let bytes = if gz.exists() {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut gunzip(&gz), &mut out).unwrap();
        std::fs::remove_file(&gz).unwrap();
        out
    } else {
        std::fs::read(&plain).unwrap()
    };
    let mut bytes = bytes;
    let (off, _) = frame_offsets(&bytes)[3];
    // One payload byte changed and every CRC recomputed, as a forger would: the frames
    // read, only the SHA-256 in the seal record can tell.
    let p = off + 8 + 18 + 5;
    bytes[p] ^= 0x01;
    refix_crcs(&mut bytes);
    std::fs::write(&plain, &bytes).unwrap();
    let view = ArchiveView::open(&dir).unwrap();
    let err = view.records(ReadOptions::all().kinds(&[kinds::NMEA])).find_map(|r| r.err()).expect("refused");
    assert!(err.to_string().contains("SHA-256"), "{err}");
}

/// A sealed segment's bytes.
fn gunzip(p: &std::path::Path) -> impl std::io::Read {
    flate2::read::GzDecoder::new(std::fs::File::open(p).unwrap())
}

/// Recomputes the chained CRC32C of every frame of a plain segment, as a forger would.
fn refix_crcs(bytes: &mut [u8]) {
    let mut prev = u32::from_le_bytes(bytes[36..40].try_into().unwrap());
    for (off, len) in frame_offsets(bytes) {
        let c = crc32c::crc32c_append(prev, &bytes[off..off + 4]);
        let c = crc32c::crc32c_append(c, &bytes[off + 8..off + len]);
        bytes[off + 4..off + 8].copy_from_slice(&c.to_le_bytes());
        prev = c;
    }
}

#[test]
fn a_batch_half_written_at_the_end_of_an_open_segment_is_left_unread_not_refused() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("archive");
    let (a, _) = open(config(&dir));
    for i in 0..10i64 {
        let (r, ix) = position(7, T0 + i * 1_000, 35.0, 12.0);
        a.append(r, ix).unwrap().wait().unwrap();
    }
    drop(a);
    // What a reader sees while the writer is in the middle of a write: half a frame.
    let seg = open_segment(&dir, "ais");
    let bytes = std::fs::read(&seg).unwrap();
    let (off, len) = *frame_offsets(&bytes).last().unwrap();
    let mut f = std::fs::OpenOptions::new().append(true).open(&seg).unwrap();
    std::io::Write::write_all(&mut f, &bytes[off..off + len / 2]).unwrap();

    let view = ArchiveView::open(&dir).unwrap();
    let mut recs = view.records(ReadOptions::all().kinds(&[kinds::NMEA]));
    assert_eq!(recs.by_ref().collect::<Result<Vec<_>>>().unwrap().len(), 10);
    assert_eq!(recs.unread_tails().len(), 1);
    assert_eq!(recs.unread_tails()[0].offset, bytes.len() as u64);
    assert!(std::fs::read(&seg).unwrap().len() > bytes.len(), "a view never cuts anything");
}
