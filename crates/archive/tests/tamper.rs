//! Tampering: verify catches a flipped byte, a dropped record, two swapped records and a
//! truncation, and names the file, offset and record.

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::time::Duration;

use lookout_archive::*;

/// An archive with a key: sealed (compressed) ais segments, an open ais segment, alert
/// versions and checkpoints.
fn build(dir: &Path) -> NoteVerifier {
    std::fs::create_dir_all(dir).unwrap();
    let key = dir.join("archive.key");
    let verifier = generate_key(&key, "lookout.test/archive").unwrap();
    let mut cfg = config(dir);
    cfg.signing_key = Some(key);
    cfg.seal_every = Duration::from_secs(600);
    let (a, _) = open(cfg);
    for i in 0..200u64 {
        let t = T0 + i as i64 * 5_000; // 1000 s: one sealed ais segment, then an open one
        a.append(nmea(i, t), vec![]).unwrap().wait().unwrap();
        if i % 20 == 0 {
            let (r, e) = alert(i, 1, t);
            a.append(r, e).unwrap().wait().unwrap();
            a.checkpoint_now().unwrap();
        }
    }
    drop(a);
    verifier
}

fn broken(dir: &Path, key: &NoteVerifier) -> Break {
    match verify(dir, Some(key)) {
        Err(VerifyError::Broken { at, .. }) => at,
        other => panic!("expected a break, got {other:?}"),
    }
}

fn case(base: &Path, name: &str) -> PathBuf {
    let d = base.parent().unwrap().join(name);
    copy_dir(base, &d);
    d
}

#[test]
fn verify_passes_then_catches_each_tampering() {
    let t = tempfile::tempdir().unwrap();
    let base = t.path().join("base");
    let key = build(&base);
    let rep = verify(&base, Some(&key)).unwrap();
    assert!(rep.sealed_segments >= 2 && rep.checkpoints >= 10 && rep.signatures_checked);
    assert_eq!(rep.latest_checkpoint_size, Some(rep.leaves));

    let seg_rel = open_segment(&base, "ais").strip_prefix(&base).unwrap().to_path_buf();
    let bytes = std::fs::read(base.join(&seg_rel)).unwrap();
    let frames = frame_offsets(&bytes);
    assert!(frames.len() > 50);
    let k = 30;

    // Flip one byte in record k's payload.
    let d = case(&base, "flip");
    let mut b = bytes.clone();
    b[frames[k].0 + 40] ^= 0x20;
    std::fs::write(d.join(&seg_rel), &b).unwrap();
    let at = broken(&d, &key);
    assert_eq!((at.file.clone(), at.offset, at.record_index), (d.join(&seg_rel), frames[k].0 as u64, Some(k as u64)));
    assert!(at.reason.contains("CRC"), "{at}");

    // Drop record k: the record now at its place fails.
    let d = case(&base, "drop");
    let mut b = bytes[..frames[k].0].to_vec();
    b.extend_from_slice(&bytes[frames[k].0 + frames[k].1..]);
    std::fs::write(d.join(&seg_rel), &b).unwrap();
    let at = broken(&d, &key);
    assert_eq!((at.offset, at.record_index), (frames[k].0 as u64, Some(k as u64)), "{at}");

    // Swap records k and k+1.
    let d = case(&base, "swap");
    let mut b = bytes[..frames[k].0].to_vec();
    let rk = &bytes[frames[k].0..frames[k].0 + frames[k].1];
    let rk1 = &bytes[frames[k + 1].0..frames[k + 1].0 + frames[k + 1].1];
    b.extend_from_slice(rk1);
    b.extend_from_slice(rk);
    b.extend_from_slice(&bytes[frames[k + 1].0 + frames[k + 1].1..]);
    std::fs::write(d.join(&seg_rel), &b).unwrap();
    let at = broken(&d, &key);
    assert_eq!((at.offset, at.record_index), (frames[k].0 as u64, Some(k as u64)), "{at}");

    // Truncate inside record k.
    let d = case(&base, "truncate");
    std::fs::write(d.join(&seg_rel), &bytes[..frames[k].0 + 10]).unwrap();
    let at = broken(&d, &key);
    assert_eq!((at.offset, at.record_index), (frames[k].0 as u64, Some(k as u64)), "{at}");
    assert!(at.reason.contains("incomplete"), "{at}");

    // A sealed, compressed segment: flip a byte, or truncate it to a record boundary.
    let sealed = std::fs::read_dir(base.join("lanes/ais"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".seg.gz"))
        .expect("a sealed segment");
    let rel = sealed.strip_prefix(&base).unwrap();
    let d = case(&base, "sealed-flip");
    let mut b = std::fs::read(&sealed).unwrap();
    let mid = b.len() / 2;
    b[mid] ^= 0xff;
    std::fs::write(d.join(rel), &b).unwrap();
    let at = broken(&d, &key);
    assert_eq!(at.file, d.join(rel), "{at}");

    let d = case(&base, "sealed-truncate");
    let mut plain = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(std::fs::File::open(&sealed).unwrap()), &mut plain)
        .unwrap();
    let fr = frame_offsets(&plain);
    let cut = &plain[..fr[fr.len() - 3].0]; // three whole records fewer: every CRC still good
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut enc, cut).unwrap();
    std::fs::write(d.join(rel), enc.finish().unwrap()).unwrap();
    let at = broken(&d, &key);
    assert_eq!(at.file, d.join(rel));
    assert!(at.reason.contains("SHA-256"), "{at}");

    // The evidence lane truncated at a record boundary (the last alert versions gone):
    // the published checkpoint no longer fits the log.
    let ev_rel = open_segment(&base, EVIDENCE_LANE).strip_prefix(&base).unwrap().to_path_buf();
    let ev = std::fs::read(base.join(&ev_rel)).unwrap();
    let ef = frame_offsets(&ev);
    let d = case(&base, "evidence-truncate");
    std::fs::write(d.join(&ev_rel), &ev[..ef[ef.len() - 2].0]).unwrap();
    let at = broken(&d, &key);
    assert_eq!(at.file, d.join("checkpoint"), "{at}");

    // A checkpoint verified with another key fails on its signature.
    let other = generate_key(&t.path().join("other.key"), "lookout.test/archive").unwrap();
    let at = broken(&base, &other);
    assert!(at.reason.contains("signature"), "{at}");
}

#[test]
fn merkle_proofs_from_the_archive_verify_against_its_checkpoint() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("a");
    let key = build(&dir);
    let mut cfg = config(&dir);
    cfg.signing_key = Some(dir.join("archive.key"));
    let (a, _) = open(cfg);
    let note = a.latest_checkpoint().unwrap();
    let cp = key.verify(&note).unwrap();
    assert_eq!(cp.size, a.merkle_size());
    let alerts: Vec<Record> = a.read(ReadOptions::all().kinds(&[kinds::ALERT_VERSION])).collect::<Result<_>>().unwrap();
    for r in &alerts {
        let i = a.merkle_leaf_index(r.seq).unwrap();
        let proof = a.inclusion_proof(i, cp.size).unwrap();
        assert!(merkle::verify_inclusion(i, cp.size, &r.leaf_hash(), &proof, &cp.root));
    }
    let old = cp.size / 2;
    let p = a.consistency_proof(old, cp.size).unwrap();
    assert!(merkle::verify_consistency(old, cp.size, &a.merkle_root(old).unwrap(), &cp.root, &p));
}
