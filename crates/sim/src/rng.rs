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
    /// Dark (non-AIS) boats: identity, persons on board, motion.
    Dark = 5,
    /// Radar measurement noise, detection draws and clutter (key: site index).
    Radar = 6,
    /// Drone / patrol aircraft looks (key: drone index).
    Drone = 7,
    /// Scripted anomaly / look-alike incidents (key: kind and instance).
    Anomaly = 8,
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

/// One of `items`, uniformly (`items` must not be empty).
pub fn pick<T: Copy, R: Rng>(rng: &mut R, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

/// A standard normal sample (Box-Muller; `rand_distr` is not a dependency).
pub fn gaussian<R: Rng>(rng: &mut R) -> f64 {
    let u1: f64 = rng.random_range(f64::MIN_POSITIVE..1.0);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A Poisson sample with mean `lambda` (Knuth's product method; fine for small means,
/// normal approximation above 30).
pub fn poisson<R: Rng>(rng: &mut R, lambda: f64) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda > 30.0 {
        return (lambda + lambda.sqrt() * gaussian(rng)).round().max(0.0) as u32;
    }
    let l = (-lambda).exp();
    let mut k = 0;
    let mut p: f64 = rng.random();
    while p > l {
        k += 1;
        p *= rng.random::<f64>();
    }
    k
}

/// A Gamma(shape, 1) sample (Marsaglia-Tsang; shape < 1 via the boost u^(1/shape)).
pub fn gamma<R: Rng>(rng: &mut R, shape: f64) -> f64 {
    if shape < 1.0 {
        let u: f64 = rng.random_range(f64::MIN_POSITIVE..1.0);
        return gamma(rng, shape + 1.0) * u.powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = gaussian(rng);
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u: f64 = rng.random_range(f64::MIN_POSITIVE..1.0);
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

/// A Beta(a, b) sample (ratio of Gammas).
pub fn beta<R: Rng>(rng: &mut R, a: f64, b: f64) -> f64 {
    let x = gamma(rng, a);
    let y = gamma(rng, b);
    x / (x + y)
}

/// A Binomial(n, p) sample (sum of Bernoulli draws; n is a boat's persons, ≤ ~500).
pub fn binomial<R: Rng>(rng: &mut R, n: u32, p: f64) -> u32 {
    let p = p.clamp(0.0, 1.0);
    (0..n).filter(|_| rng.random_bool(p)).count() as u32
}
