//! Torn tails: the open segment cut at every byte offset of its last records.

mod common;
use common::*;

use lookout_archive::*;

#[test]
fn a_torn_tail_is_cut_back_to_the_last_whole_record_and_reported() {
    let d = tempfile::tempdir().unwrap();
    let base = d.path().join("base");
    let (a, _) = open(config(&base));
    for i in 0..40 {
        a.append(nmea(i, T0 + i as i64), vec![]).unwrap().wait().unwrap();
    }
    drop(a);
    let seg = open_segment(&base, "ais");
    let bytes = std::fs::read(&seg).unwrap();
    let frames = frame_offsets(&bytes);
    assert_eq!(frames.len(), 40);
    // Every offset inside the last record and its boundaries, and seeded random offsets in
    // the four records before it.
    let mut cuts: Vec<usize> = (frames[39].0..=bytes.len()).collect();
    let mut rng = 0x853c_49e6_748f_ea9bu64;
    for _ in 0..24 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        cuts.push(frames[35].0 + (rng as usize) % (frames[39].0 - frames[35].0));
    }
    for (n, cut) in cuts.into_iter().enumerate() {
        let copy = d.path().join(format!("cut-{cut}"));
        copy_dir(&base, &copy);
        let seg_copy = copy.join(seg.strip_prefix(&base).unwrap());
        let f = std::fs::OpenOptions::new().write(true).open(&seg_copy).unwrap();
        f.set_len(cut as u64).unwrap();
        drop(f);
        let whole = frames.iter().filter(|(o, l)| o + l <= cut).count();
        let (a, report) = open(config(&copy));
        let recs = all(&a);
        assert_eq!(recs.len(), whole, "cut at {cut}");
        for (i, r) in recs.iter().enumerate() {
            assert_eq!(r.payload, nmea(i as u64, T0 + i as i64).payload);
        }
        let at_boundary = cut == bytes.len() || frames.iter().any(|(o, _)| *o == cut);
        if at_boundary {
            assert!(report.cuts.is_empty(), "cut at {cut}: {report:?}");
        } else {
            let c = &report.cuts[0];
            assert_eq!(c.file, seg_copy);
            assert_eq!(c.offset as usize, frames[whole].0, "cut at {cut}");
            assert_eq!(c.bytes_cut as usize, cut - frames[whole].0);
            assert_eq!(c.record_index as usize, whole);
            assert_eq!(std::fs::read(&c.saved_to).unwrap(), bytes[frames[whole].0..cut]);
        }
        // The archive goes on from there, and verifies (checked on every 8th cut: each
        // check costs a few fsyncs).
        if n % 8 == 0 {
            let seqs = a.append(nmea(99, T0), vec![]).unwrap().wait().unwrap();
            assert_eq!(seqs.start, whole as u64);
            drop(a);
            verify(&copy, None).unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
        }
        std::fs::remove_dir_all(&copy).unwrap();
    }
}

#[test]
fn zeroed_tail_and_garbage_header_are_recovered() {
    // A crash can leave the file longer than what was written, filled with zeros.
    let d = tempfile::tempdir().unwrap();
    let (a, _) = open(config(d.path()));
    for i in 0..5 {
        a.append(nmea(i, T0 + i as i64), vec![]).unwrap().wait().unwrap();
    }
    drop(a);
    let seg = open_segment(d.path(), "ais");
    let len = std::fs::metadata(&seg).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&seg).unwrap().set_len(len + 4096).unwrap();
    let (a, report) = open(config(d.path()));
    assert_eq!(report.cuts.len(), 1);
    assert_eq!((report.cuts[0].offset, report.cuts[0].bytes_cut), (len, 4096));
    assert_eq!(all(&a).len(), 5);
    drop(a);
    // A segment whose header never made it: moved aside, a new one started.
    let seg = open_segment(d.path(), "ais");
    std::fs::write(&seg, b"LKAR").unwrap();
    let (a, report) = open(config(d.path()));
    assert_eq!(report.cuts[0].offset, 0);
    assert!(report.cuts[0].reason.contains("header"));
    a.append(nmea(9, T0), vec![]).unwrap().wait().unwrap();
    drop(a);
    verify(d.path(), None).unwrap();
}

/// A crash between starting a lane's next segment and committing the seal record of the
/// one before it (seen in the service's retention test after kill -9): verify calls the
/// archive intact and names the segment awaiting its seal; the next open seals it, and
/// verify then counts it as sealed.
#[test]
fn a_crash_while_sealing_verifies_and_the_next_open_seals_the_segment() {
    let d = tempfile::tempdir().unwrap();
    let base = d.path().join("base");
    let (a, _) = open(config(&base));
    for i in 0..30 {
        a.append(nmea(i, T0 + i as i64), vec![]).unwrap().wait().unwrap();
    }
    drop(a);
    let open_seg = open_segment(&base, "ais");
    let open_no: u64 = open_seg.file_stem().unwrap().to_string_lossy().parse().unwrap();
    // What the writer has on disk in that window: the next segment's header, nothing else.
    let header = std::fs::read(&open_seg).unwrap()[..SEGMENT_HEADER_BYTES].to_vec();
    std::fs::write(open_seg.with_file_name(format!("{:010}.seg", open_no + 1)), header).unwrap();

    let before = verify(&base, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(before.awaiting_seal, vec![("ais".to_string(), open_no)]);
    assert_eq!(before.records, 30);

    let (a, report) = open(config(&base));
    assert!(report.resealed.contains(&("ais".to_string(), open_no)), "{report:?}");
    assert_eq!(all(&a).len(), 30);
    drop(a);
    let after = verify(&base, None).unwrap_or_else(|e| panic!("{e}"));
    assert!(after.awaiting_seal.is_empty(), "{after:?}");
    assert_eq!(after.sealed_segments, before.sealed_segments + 1);
}
