//! kill -9: a child process appends and prints every acknowledged batch; it is killed at
//! random moments, and every acknowledged record must be there after recovery, and verify
//! must pass.
//!
//! The child is this same test binary, re-run with `--ignored --exact crash_child`.

mod common;
use common::*;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lookout_archive::*;

fn child_config(dir: &std::path::Path) -> Config {
    let mut cfg = config(dir);
    cfg.fsync = FsyncPolicy::Interval { interval: Duration::from_millis(3), max_records: 500 };
    cfg.seal_max_bytes = 24 * 1024; // seals (and compressions) all the time
    cfg.signing_key = Some(dir.parent().unwrap().join("crash.key"));
    cfg.checkpoint_every = Duration::from_millis(40);
    cfg
}

fn payload(run: u64, thread: u64, batch: u64, j: u64) -> String {
    format!("r{run}-t{thread}-b{batch}-{j}")
}

#[test]
#[ignore = "the child process of kill9_never_loses_an_acknowledged_record"]
fn crash_child() {
    let Ok(dir) = std::env::var("ARCHIVE_CRASH_DIR") else {
        return;
    };
    let run: u64 = std::env::var("ARCHIVE_CRASH_RUN").unwrap().parse().unwrap();
    let (a, _) = open(child_config(std::path::Path::new(&dir)));
    std::thread::scope(|s| {
        for thread in 0..3u64 {
            let a = &a;
            s.spawn(move || {
                for batch in 0.. {
                    let n = 1 + (batch * 7 + thread * 3) % 40;
                    let recs: Vec<_> = (0..n)
                        .map(|j| {
                            let kind = if (batch + j) % 13 == 0 { kinds::ALERT_VERSION } else { kinds::NMEA };
                            let t = T0 + (run * 1_000_000 + batch * 10) as i64;
                            (NewRecord::new(kind, t, payload(run, thread, batch, j)), vec![])
                        })
                        .collect();
                    let seqs = a.append_batch(recs).unwrap().wait().unwrap();
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "ACK {} {} {thread} {batch} END", seqs.start, seqs.end).unwrap();
                    out.flush().unwrap();
                }
            });
        }
    });
}

#[test]
fn kill9_never_loses_an_acknowledged_record() {
    let exe = std::env::current_exe().unwrap();
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("archive");
    let key = generate_key(&t.path().join("crash.key"), "lookout.test/crash").unwrap();
    let mut rng = 0x2545_f491_4f6c_dd1du64; // seeded: the same kill times every run
    let mut acked: HashMap<u64, String> = HashMap::new();
    let started = Instant::now();
    let mut runs = 0;
    while runs < 12 && started.elapsed() < Duration::from_secs(15) {
        let run = runs as u64;
        runs += 1;
        let mut child = Command::new(&exe)
            .args(["--ignored", "--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env("ARCHIVE_CRASH_DIR", &dir)
            .env("ARCHIVE_CRASH_RUN", run.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader =
            std::thread::spawn(move || BufReader::new(stdout).lines().map_while(|l| l.ok()).collect::<Vec<String>>());
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        std::thread::sleep(Duration::from_millis(150 + rng % 500));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let mut batches = 0;
        for line in reader.join().unwrap() {
            let f: Vec<&str> = line.split(' ').collect();
            if f.len() != 6 || f[0] != "ACK" || f[5] != "END" {
                continue;
            }
            let (start, end): (u64, u64) = (f[1].parse().unwrap(), f[2].parse().unwrap());
            let (thread, batch): (u64, u64) = (f[3].parse().unwrap(), f[4].parse().unwrap());
            for (j, seq) in (start..end).enumerate() {
                acked.insert(seq, payload(run, thread, batch, j as u64));
            }
            batches += 1;
        }
        assert!(batches > 0 || run == 0, "run {run}: the child acknowledged nothing");

        let (a, _report) = open(child_config(&dir));
        let stored: HashMap<u64, String> =
            all(&a).into_iter().map(|r| (r.seq, String::from_utf8_lossy(&r.payload).into_owned())).collect();
        for (seq, want) in &acked {
            assert_eq!(stored.get(seq), Some(want), "run {run}: acknowledged seq {seq} lost");
        }
        drop(a);
        verify(&dir, Some(&key)).unwrap_or_else(|e| panic!("run {run}: {e}"));
    }
    assert!(acked.len() > 1000, "only {} records acknowledged in {runs} runs", acked.len());
}
