//! `Baseline::score` per position report on a 400 × 400 km grid at 2 km
//! (40 000 cells), trained with seeded synthetic traffic (lanes in all
//! directions plus scattered small craft); reports are scored at random
//! positions (lanes, sparse cells needing fallback, empty cells). Target < 2 µs.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use lookout_score::baseline::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn spec() -> GridSpec {
    GridSpec {
        min_lat_deg: 34.0,
        min_lon_deg: 11.0,
        max_lat_deg: 34.0 + 400_000.0 / M_PER_DEG,
        max_lon_deg: 11.0 + 400_000.0 / (M_PER_DEG * 35.8f64.to_radians().cos()),
        cell_m: 2000.0,
        name: "bench-400km".into(),
    }
}

fn build() -> Baseline {
    let s = spec();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut b = BaselineBuilder::new(s.clone());
    let t0 = 1_780_272_000_000i64;
    for i in 0..3000u32 {
        let class = TrafficClass::ALL[i as usize % TrafficClass::ALL.len()];
        let (mut lat, mut lon) =
            (rng.random_range(s.min_lat_deg..s.max_lat_deg), rng.random_range(s.min_lon_deg..s.max_lon_deg));
        let cog: f64 = rng.random_range(0.0..360.0);
        let sog: f64 = rng.random_range(0.0..25.0);
        let mut t = t0 + rng.random_range(0..7 * 86_400_000i64);
        for _ in 0..300 {
            b.add(&TrafficObs {
                mmsi: i,
                time_ms: t,
                lat_deg: lat,
                lon_deg: lon,
                sog_kn: Some(sog),
                cog_deg: Some(cog),
                class,
            });
            let d = sog * 1852.0 / 3600.0 * 30.0 / M_PER_DEG;
            lat += d * cog.to_radians().cos();
            lon += d * cog.to_radians().sin() / 0.81;
            t += 30_000;
        }
    }
    b.finish()
}

fn bench(c: &mut Criterion) {
    let b = build();
    let s = spec();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let reports: Vec<TrafficObs> = (0..4096)
        .map(|i| TrafficObs {
            mmsi: i,
            time_ms: 1_780_272_000_000 + rng.random_range(0..86_400_000i64),
            lat_deg: rng.random_range(s.min_lat_deg..s.max_lat_deg),
            lon_deg: rng.random_range(s.min_lon_deg..s.max_lon_deg),
            sog_kn: Some(rng.random_range(0.0..30.0)),
            cog_deg: Some(rng.random_range(0.0..360.0)),
            class: TrafficClass::ALL[i as usize % TrafficClass::ALL.len()],
        })
        .collect();
    let known = reports.iter().filter(|r| b.score(r).known).count();
    eprintln!("400 km grid {:?}, {:.1} MB; {known}/4096 bench reports known", b.dims(), b.memory_bytes() as f64 / 1e6);
    let mut i = 0usize;
    c.bench_function("baseline_score_400km_2km", |bn| {
        bn.iter(|| {
            i = (i + 1) & 4095;
            black_box(b.score(black_box(&reports[i])))
        })
    });
    let mut v = Vec::new();
    b.save(&mut v).unwrap();
    eprintln!("file size {:.2} MB", v.len() as f64 / 1e6);
    c.bench_function("baseline_load_400km", |bn| bn.iter(|| Baseline::load(black_box(&v[..]), None).unwrap()));
}

criterion_group! { name = benches; config = Criterion::default().sample_size(10); targets = bench }
criterion_main!(benches);
