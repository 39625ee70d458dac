//! Deterministic random streams. Every vessel/sensor gets its own ChaCha8 stream
//! derived from (seed, purpose, key) so that adding a vessel or a sensor never
//! changes the random numbers any other one sees. ChaCha8's output is fixed by its
//! specification, unlike `StdRng`, so recordings stay reproducible across versions.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What a random stream is used for (part of the stream key).
#[derive(Debug, Clone, Copy)]
pub enum Stream {
    /// Vessel identity and behaviour parameters.
    Identity = 1,
    /// Vessel motion (plans, wander).
    Motion = 2,
    /// AIS transponder (noise, schedule phase).
    AisTx = 3,
    /// AIS reception (drops).
    AisRx = 4,
}

/// SplitMix64 finaliser: a cheap bijective mixer so nearby keys give unrelated seeds.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The RNG for `(seed, stream, key)`.
pub fn stream_rng(seed: u64, stream: Stream, key: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(mix(mix(seed ^ ((stream as u64) << 56)) ^ key))
}

/// A standard normal sample (Box-Muller; `rand_distr` is not a dependency).
pub fn gaussian<R: Rng>(rng: &mut R) -> f64 {
    let u1: f64 = rng.random_range(f64::MIN_POSITIVE..1.0);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}
