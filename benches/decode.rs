//! Decoder throughput on real traffic, ours vs the `ais` 0.12 crate.
//!
//! Input: every real feed in `shared/corpora` (DMA `$PGHP` streams, AMSA raw
//! feed incl. the .gz, exactEarth, AMSA/Kystverket tag blocks, SignalK log),
//! repeated to ~600k lines; ~5% of its messages are multi-part type 5.
//! Groups (throughput in lines = sentences per second):
//! - `decode/lookout/all_lines`: our `Decoder` on every line as recorded
//!   (tag blocks, `$PGHP`, other NMEA, comments);
//! - `decode/lookout/aivdm`, `decode/ais_crate/aivdm`: both decoders on the
//!   same bare `!--VDM/VDO` sentences (tag block and trailing fields cut off,
//!   since the `ais` crate understands neither).
//!
//! Run: `cargo bench --bench decode -- --warm-up-time 1 --measurement-time 5`

use std::hint::black_box;
use std::io::Read;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use lookout_ais::decode::{Decoder, DecoderConfig};

const FILES: &[&str] = &[
    "au_amsa_risky_ais_20120127.txt.gz",
    "au_amsa_risky_exactearth_augmented.txt",
    "au_amsa_risky_nmea_tagblock_20141231.txt",
    "dk_dma_aislib_replay_dump_20130318.txt",
    "dk_dma_aislib_stream_example_20100611.txt",
    "nl_signalk_gofree-merrimac.log",
    "no_kystverket_Ais1000Lines_20190807.nm4",
];

const TARGET_LINES: usize = 600_000;

fn load_lines() -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    for f in FILES {
        let path = format!("{}/../shared/corpora/{}", env!("CARGO_MANIFEST_DIR"), f);
        let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let data = if f.ends_with(".gz") {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut out).expect("gunzip");
            out
        } else {
            raw
        };
        lines.extend(data.split(|&c| c == b'\n').filter(|l| !l.is_empty()).map(|l| l.to_vec()));
    }
    let one_pass = lines.len();
    while lines.len() < TARGET_LINES {
        lines.extend_from_within(..one_pass);
    }
    lines
}

/// The bare `!..VDM,...*hh` part of a line, if it has one.
fn bare_vdm(line: &[u8]) -> Option<Vec<u8>> {
    let start = line.iter().position(|&c| c == b'!')?;
    let s = &line[start..];
    if s.len() < 7 || &s[3..5] != b"VD" {
        return None;
    }
    let star = s.iter().position(|&c| c == b'*')?;
    s.get(..star + 3).map(|v| v.to_vec())
}

fn run_ours(lines: &[Vec<u8>]) -> u64 {
    let mut d = Decoder::new(DecoderConfig::default());
    let mut n = 0u64;
    for (i, l) in lines.iter().enumerate() {
        d.feed_line(l, i as i64, &mut |m| {
            black_box(&m);
            n += 1;
        });
    }
    n
}

fn run_ais(lines: &[Vec<u8>]) -> u64 {
    let mut p = ais::AisParser::new();
    let mut n = 0u64;
    for l in lines {
        if let Ok(ais::AisFragments::Complete(s)) = p.parse(l, true) {
            black_box(&s);
            n += 1;
        }
    }
    n
}

fn bench(c: &mut Criterion) {
    let all = load_lines();
    let vdm: Vec<Vec<u8>> = all.iter().filter_map(|l| bare_vdm(l)).collect();
    eprintln!(
        "input: {} lines, {} bare VDM sentences; messages: ours {} (all) / {} (vdm), ais crate {}",
        all.len(),
        vdm.len(),
        run_ours(&all),
        run_ours(&vdm),
        run_ais(&vdm)
    );

    let mut g = c.benchmark_group("decode/lookout");
    g.throughput(Throughput::Elements(all.len() as u64));
    g.bench_function("all_lines", |b| b.iter(|| run_ours(black_box(&all))));
    g.throughput(Throughput::Elements(vdm.len() as u64));
    g.bench_function("aivdm", |b| b.iter(|| run_ours(black_box(&vdm))));
    g.finish();

    let mut g = c.benchmark_group("decode/ais_crate");
    g.throughput(Throughput::Elements(vdm.len() as u64));
    g.bench_function("aivdm", |b| b.iter(|| run_ais(black_box(&vdm))));
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
