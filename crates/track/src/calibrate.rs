//! Sensor noise calibration against AIS: every AIS ship a radar sees is a
//! reference target whose true position is (nearly) known, so the residuals of
//! detections credited to AIS vessels tell how noisy each sensor really is.
//!
//! A radar's configured noise is a datasheet figure; sea state, ducting,
//! antenna wear and a mis-set heading make the real plots noisier. With the
//! noise understated, gates are too tight: an AIS ship's echoes fall outside
//! its gate and start a second, "dark" track beside it (a false dark target),
//! and a small boat's track is judged more precise than it is. Coastal
//! surveillance systems calibrate against AIS for this reason.
//!
//! Method of moments per sensor. A detection's stated error is the
//! root-sum-square of its horizontal error (a radar's
//! `√(σ_range² + (range·σ_bearing)²)`, see `detect::radar`), which the tracker
//! takes as the σ of each axis, so that the larger (cross-range) axis is
//! covered. An AIS vessel's σ is per axis. For a detection credited to an AIS
//! vessel, then, E[d²] = k²·σ_det² + 2·σ_ais², with d the distance between
//! them and k the factor by which the sensor is noisier than stated.
//! Exponentially weighted means of `d² − 2·σ_ais²` and of the stated `σ_det²`
//! give `k = √(excess / stated)`, by which this sensor's stated errors are
//! multiplied from then on. Residuals are gated (only detections inside the
//! gate are credited), which biases one estimate low; but the gate widens
//! with `k`, so the estimate climbs to the true factor over successive
//! updates. `k` never goes below 1: the stated figure is a floor, and a
//! sensor is never trusted more than it claims.

use std::collections::BTreeMap;
use std::sync::Arc;

/// Detections credited to AIS vessels before a sensor's factor is used.
pub const CALIBRATION_MIN_SAMPLES: u32 = 100;
/// Memory of the running means, in samples: a few minutes of a busy radar,
/// so the factor follows a change of sea state.
pub const CALIBRATION_WINDOW_SAMPLES: u32 = 2_000;

/// Running noise estimate of one sensor.
#[derive(Debug, Clone, Default)]
struct SensorNoise {
    /// Mean of `d² − 2·σ_ais²`, m².
    excess_m2: f64,
    /// Mean of the configured `σ_det²`, m².
    configured_m2: f64,
    samples: u32,
    /// Factor in use (≥ 1), updated by [`NoiseCalibration::publish`].
    scale: f64,
}

/// Per-sensor factors on the stated position errors, learnt from AIS ships.
#[derive(Debug, Clone)]
pub struct NoiseCalibration {
    max_scale: f64,
    sensors: BTreeMap<Arc<str>, SensorNoise>,
}

impl NoiseCalibration {
    /// `max_scale` bounds the factor (1 disables calibration).
    pub fn new(max_scale: f64) -> Self {
        Self { max_scale: max_scale.max(1.0), sensors: BTreeMap::new() }
    }

    /// Factor (≥ 1, dimensionless) on `sensor`'s stated position errors.
    pub fn scale(&self, sensor: &str) -> f64 {
        self.sensors.get(sensor).map_or(1.0, |s| s.scale.max(1.0))
    }

    /// A detection of `sensor`, stated error `configured_sigma_m` (before any
    /// factor), lay `residual_m` from the AIS vessel it was credited to, whose
    /// own position σ was `ais_sigma_m`.
    pub fn observe(&mut self, sensor: &Arc<str>, residual_m: f64, configured_sigma_m: f64, ais_sigma_m: f64) {
        if self.max_scale <= 1.0 || !(residual_m.is_finite() && configured_sigma_m > 0.0 && ais_sigma_m.is_finite()) {
            return;
        }
        let s = match self.sensors.get_mut(&**sensor) {
            Some(s) => s,
            None => self.sensors.entry(sensor.clone()).or_default(),
        };
        s.samples = s.samples.saturating_add(1);
        let w = 1.0 / f64::from(s.samples.min(CALIBRATION_WINDOW_SAMPLES));
        s.excess_m2 += w * (residual_m * residual_m - 2.0 * ais_sigma_m * ais_sigma_m - s.excess_m2);
        s.configured_m2 += w * (configured_sigma_m * configured_sigma_m - s.configured_m2);
    }

    /// Puts the latest estimates in use. Called between tracker steps, so a
    /// step sees one factor per sensor throughout (deterministic, and the
    /// estimate does not chase its own gate within a batch).
    pub fn publish(&mut self) {
        for s in self.sensors.values_mut() {
            if s.samples >= CALIBRATION_MIN_SAMPLES && s.configured_m2 > 0.0 {
                s.scale = (s.excess_m2.max(0.0) / s.configured_m2).sqrt().clamp(1.0, self.max_scale);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Residuals drawn as the gated association sees them: an isotropic 2-D
    /// Gaussian whose total (root-sum-square) σ is `true_factor` × the stated
    /// one, plus the AIS error, kept only inside the 0.99 gate the tracker
    /// applies at the factor in use (stated σ per axis).
    fn run(true_factor: f64, rounds: usize) -> f64 {
        let sensor: Arc<str> = Arc::from("radar-test");
        let mut c = NoiseCalibration::new(4.0);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let (cfg_sigma, ais_sigma) = (300.0, 50.0);
        for _ in 0..rounds {
            let k = c.scale("radar-test");
            let s2 = (cfg_sigma * k).powi(2) + ais_sigma * ais_sigma;
            // Per-axis σ of the difference.
            let true_s = ((cfg_sigma * true_factor).powi(2) / 2.0 + ais_sigma * ais_sigma).sqrt();
            for _ in 0..200 {
                let u: f64 = rng.random_range(f64::MIN_POSITIVE..1.0);
                // Rayleigh-distributed distance of a 2-D Gaussian error.
                let d = true_s * (-2.0 * u.ln()).sqrt();
                if d * d / s2 <= 9.21 {
                    c.observe(&sensor, d, cfg_sigma, ais_sigma);
                }
            }
            c.publish();
        }
        c.scale("radar-test")
    }

    #[test]
    fn a_sensor_noisier_than_stated_is_found_out_despite_the_gate() {
        let k = run(2.0, 60);
        assert!((1.8..=2.2).contains(&k), "factor {k}");
    }

    #[test]
    fn a_sensor_as_stated_keeps_its_stated_noise() {
        let k = run(1.0, 60);
        assert!(k < 1.1, "factor {k}");
    }

    #[test]
    fn nothing_is_used_before_enough_samples_or_when_disabled() {
        let sensor: Arc<str> = Arc::from("r");
        let mut c = NoiseCalibration::new(4.0);
        for _ in 0..CALIBRATION_MIN_SAMPLES - 1 {
            c.observe(&sensor, 2_000.0, 100.0, 10.0);
        }
        c.publish();
        assert_eq!(c.scale("r"), 1.0);
        let mut off = NoiseCalibration::new(1.0);
        for _ in 0..1_000 {
            off.observe(&sensor, 2_000.0, 100.0, 10.0);
        }
        off.publish();
        assert_eq!(off.scale("r"), 1.0);
    }
}
