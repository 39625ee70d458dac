//! Cost of one persons-on-board estimate (`lookout_track::pob::estimate`) with
//! 1, 10 and 256 looks (256 = `MAX_COUNTS`, what `picture::fusion::refresh_pob`
//! passes for a boat counted all along), on a 10 m rubber boat and a 20 m wooden
//! boat. Every new count on a track calls it once, under the engine's write lock.
//!
//! Run: `cargo bench --bench pob` (add `-- --reps N`). Counts are seeded
//! (ChaCha8, seed 13): about 80 % of 90 (rubber) or of 450 (wooden) people,
//! confidence 0.3–0.95.
//!
//! Measured 2026-12-08 (this machine, 2 cores, median): 10 m rubber boat 315 / 331 / 366 µs
//! for 1 / 10 / 256 looks, 20 m wooden boat 295 / 313 / 315 µs; the per-look independent
//! model before issue 13 took 400 / 1,156 / 21,705 µs and 410 / 1,092 / 19,501 µs (it cost
//! O(n_max) log-gammas per look; the shared-ratio model uses only the looks' total and maximum).

mod common;
use common::{arg, rss_mb};
use std::time::Instant;

use lookout_core::VesselClass;
use lookout_track::pob::{estimate, CountLook};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` probes harness-less benches.
    }
    let reps = arg("--reps", 200);
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    for (class, length, people) in [(VesselClass::RubberBoat, 10.0, 90u32), (VesselClass::WoodenBoat, 20.0, 450)] {
        for n_looks in [1usize, 10, 256] {
            let looks: Vec<CountLook> = (0..n_looks)
                .map(|_| {
                    let seen = (0..people).filter(|_| rng.random_bool(0.8)).count() as u32;
                    CountLook { count: seen, confidence: rng.random_range(0.3..0.95) }
                })
                .collect();
            // Warm up, then time `reps` calls.
            let mut sink = 0u64;
            for _ in 0..3 {
                sink += u64::from(estimate(Some(class), Some(length), &looks).unwrap().high);
            }
            let mut times: Vec<f64> = (0..reps)
                .map(|_| {
                    let t = Instant::now();
                    let e = estimate(Some(class), Some(length), &looks).unwrap();
                    let dt = t.elapsed().as_secs_f64() * 1e6;
                    sink += u64::from(e.high);
                    dt
                })
                .collect();
            times.sort_by(f64::total_cmp);
            let e = estimate(Some(class), Some(length), &looks).unwrap();
            println!(
                "{class:?} {length} m, {n_looks:>3} look(s): median {:>8.1} µs, p99 {:>8.1} µs  (estimate {} {}-{}; sink {})",
                times[times.len() / 2],
                times[(times.len() * 99 / 100).min(times.len() - 1)],
                e.estimate,
                e.low,
                e.high,
                sink % 10
            );
        }
    }
    println!("resident set: {:.0} MB", rss_mb());
}
