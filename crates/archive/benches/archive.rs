//! Archive benchmarks: append with group commit, replay, one-entity history, disk bytes.
//!
//! `cargo bench --bench archive` (from crates/archive). The history index (2,000 entities,
//! a position every 10 s for 7 days, downsampled to one a minute) is built once into
//! `$CARGO_TARGET_DIR/archive-bench/` and reused.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use lookout_archive::*;

const T0: i64 = 1_780_272_000_000;
const DAY_MS: i64 = 86_400_000;

/// Real tag-blocked NMEA from the bundled recording (simulated Strait of Sicily traffic),
/// or synthetic lines of the same shape when the crate is built outside the repository.
fn nmea_lines() -> Vec<Vec<u8>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../replay-data/central-med-scenario-1h.nmea.gz");
    if let Ok(f) = std::fs::File::open(&path) {
        let r = BufReader::new(flate2::read::GzDecoder::new(f));
        return r.lines().map(|l| l.unwrap().into_bytes()).collect();
    }
    (0..100_000)
        .map(|i| {
            format!("\\s:sim-malta,c:{}*1A\\!AIVDM,1,1,,A,13dtK<0P2cQ2cP<DI;bC{i:08},0*71", 1_780_272_000 + i / 30)
                .into_bytes()
        })
        .collect()
}

fn bench_dir(name: &str) -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    let d = Path::new(&target).join("archive-bench").join(name);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn fresh(name: &str) -> PathBuf {
    let d = bench_dir(name);
    std::fs::remove_dir_all(&d).unwrap();
    d
}

fn dir_bytes(d: &Path, suffix: &str) -> u64 {
    let mut n = 0;
    for e in std::fs::read_dir(d).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            n += dir_bytes(&p, suffix);
        } else if p.to_string_lossy().ends_with(suffix) {
            n += std::fs::metadata(&p).unwrap().len();
        }
    }
    n
}

/// Appends `n` lines (time 36 ms apart: ~100k lines an hour, like the recording).
fn fill(a: &Archive, lines: &[Vec<u8>], n: usize, batch: usize) {
    let mut tickets = Vec::new();
    let mut i = 0;
    while i < n {
        let recs: Vec<_> = (i..(i + batch).min(n))
            .map(|k| (NewRecord::new(kinds::NMEA, T0 + k as i64 * 36, lines[k % lines.len()].clone()), vec![]))
            .collect();
        i += recs.len();
        tickets.push(a.append_batch(recs).unwrap());
    }
    for t in tickets {
        t.wait().unwrap();
    }
}

/// Sustained append throughput: 500,000 lines into a fresh archive with the default group
/// commit (200 ms / 20,000 records), until the last ticket resolves. The last batch waits
/// out its 200 ms interval, which is counted (it is what a feeder sees).
fn append(c: &mut Criterion) {
    const N: usize = 500_000;
    let lines = nmea_lines();
    let avg = lines.iter().map(|l| l.len()).sum::<usize>() as f64 / lines.len() as f64;
    eprintln!("NMEA lines: {} (average {avg:.1} bytes)", lines.len());
    let mut g = c.benchmark_group("append");
    g.throughput(Throughput::Elements(N as u64)).sample_size(10).measurement_time(Duration::from_secs(20));
    for batch in [1usize, 100, 1000] {
        g.bench_function(format!("500k_lines_requests_of_{batch}"), |b| {
            b.iter_batched(
                || {
                    let d = fresh("append");
                    Archive::open(Config::new(&d), Arc::new(NoIndexer)).unwrap().0
                },
                |a| {
                    fill(&a, &lines, N, batch);
                    a
                },
                criterion::BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

fn replay(c: &mut Criterion) {
    let lines = nmea_lines();
    let d = fresh("replay");
    let mut cfg = Config::new(&d);
    cfg.seal_every = Duration::from_secs(600); // ~16,700 records a segment
    let (a, _) = Archive::open(cfg.clone(), Arc::new(NoIndexer)).unwrap();
    fill(&a, &lines, 1_000_000, 1000);
    drop(a); // the compressor finishes
    let (a, _) = Archive::open(cfg, Arc::new(NoIndexer)).unwrap();
    let sealed = a.sealed_segments().iter().filter(|s| s.lane == "ais").count();
    eprintln!("replay archive: 1,000,000 records, {sealed} sealed ais segments (gzip) + the open one");
    let mut g = c.benchmark_group("replay");
    g.throughput(Throughput::Elements(1_000_000)).sample_size(10);
    g.bench_function("all_1M_sealed_and_open", |b| {
        b.iter(|| {
            let n = a.read(ReadOptions::all()).map(|r| r.unwrap().payload.len()).sum::<usize>();
            black_box(n)
        })
    });
    g.throughput(Throughput::Elements(100_000)); // an hour is 100,000 records
    g.bench_function("one_hour_of_10", |b| {
        b.iter(|| black_box(a.read(ReadOptions::time(T0 + 5 * 3_600_000, T0 + 6 * 3_600_000)).count()))
    });
    g.finish();
}

fn history(c: &mut Criterion) {
    let d = bench_dir("history");
    let cfg = Config::new(&d);
    let path = d.join("index.redb");
    let done = d.join("complete");
    let mut ix = HistoryIndex::open(&path, &cfg).unwrap();
    if !done.exists() {
        // 2,000 entities, a position every 10 s for 7 days (121 M inputs), downsampled to one
        // a minute by the index (20 M rows). Entity by entity: B-tree appends, not scatter.
        let t = Instant::now();
        for e in 0..2000u64 {
            let (lat0, lon0) = (33.0 + (e % 50) as f64 * 0.1, 10.0 + (e / 50) as f64 * 0.1);
            let rows = (0..(7 * 8640i64)).map(move |k| {
                let tm = T0 + k * 10_000;
                let phase = (k as f64) / 8640.0 * std::f64::consts::TAU + e as f64;
                let sample = PositionSample {
                    lat_deg: lat0 + 0.3 * phase.sin(),
                    lon_deg: lon0 + 0.3 * phase.cos(),
                    sog_kn: Some(12.0),
                    cog_deg: Some(90.0),
                    heading_deg: None,
                };
                (e * 1_000_000 + k as u64, 200_000_000 + e, tm, sample)
            });
            ix.load_positions(rows).unwrap();
        }
        std::fs::write(&done, b"").unwrap();
        eprintln!(
            "history index built in {:.0} s: {} MB",
            t.elapsed().as_secs_f64(),
            std::fs::metadata(&path).unwrap().len() >> 20
        );
    }
    let n = ix.positions(200_001_234, T0, T0 + 7 * DAY_MS).unwrap().len();
    eprintln!("one entity, one week: {n} positions (one a minute)");
    assert_eq!(n, 7 * 1440);
    let mut g = c.benchmark_group("history");
    g.sample_size(20);
    g.bench_function("one_entity_week", |b| {
        let mut e = 0u64;
        b.iter(|| {
            e = (e + 7919) % 2000;
            black_box(ix.positions(200_000_000 + e, T0, T0 + 7 * DAY_MS).unwrap().len())
        })
    });
    let area = GeoBox { min_lat: 34.0, min_lon: 11.0, max_lat: 34.5, max_lon: 11.5 };
    g.bench_function("area_0.5deg_1h", |b| {
        b.iter(|| black_box(ix.entities_in_area(area, T0 + 3 * DAY_MS, T0 + 3 * DAY_MS + 3_600_000).unwrap().len()))
    });
    g.finish();
}

/// Not a timing: disk bytes for a million AIS records, open (raw) and sealed (gzip).
fn disk_bytes(_: &mut Criterion) {
    let lines = nmea_lines();
    let d = fresh("disk");
    let mut cfg = Config::new(&d);
    cfg.seal_every = Duration::from_secs(3600);
    let (a, _) = Archive::open(cfg.clone(), Arc::new(NoIndexer)).unwrap();
    fill(&a, &lines, 1_000_000, 1000);
    a.seal_now().unwrap();
    drop(a);
    let text: u64 = (0..1_000_000).map(|k| lines[k % lines.len()].len() as u64 + 1).sum();
    let gz = dir_bytes(&d.join("lanes/ais"), ".seg.gz");
    let raw: u64 = {
        let (a, _) = Archive::open(cfg, Arc::new(NoIndexer)).unwrap();
        a.sealed_segments().iter().filter(|s| s.lane == "ais").map(|s| s.bytes).sum()
    };
    eprintln!(
        "disk per 1,000,000 AIS records: NMEA text {:.1} MB; segments raw {:.1} MB ({:.1} B/record); \
         sealed gzip {:.1} MB ({:.1} B/record, ratio {:.2})",
        text as f64 / 1e6,
        raw as f64 / 1e6,
        raw as f64 / 1e6,
        gz as f64 / 1e6,
        gz as f64 / 1e6,
        raw as f64 / gz as f64
    );
}

criterion_group!(benches, disk_bytes, append, replay, history);
criterion_main!(benches);
