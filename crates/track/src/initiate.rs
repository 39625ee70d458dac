//! Initiator: unassociated detections start Tentative tracks, which are
//! confirmed or dropped by a sequential probability ratio test on a track
//! score (Blackman & Popoli, *Design and Analysis of Modern Tracking Systems*,
//! §6.2), the clutter-aware replacement for Stone Soup's M-of-N
//! `MultiMeasurementInitiator`.
//!
//! The score `L` is the log-likelihood ratio "real target" vs "false plots"
//! of the track's history, accumulated per *opportunity* (a scan of a sensor
//! that has seen the track whose extent — the box around the scan's
//! detections widened by `scan_extent_margin_m` — contains the track; a radar
//! reporting sector by sector gives one opportunity per rotation):
//!
//! - hit:  `ΔL = ln(Pd · N(ν; 0, S) / λ)` = `ln Pd − d²/2 − ln 2π − ½ ln|S| − ln λ`,
//!   with ν the innovation, S its covariance (m²), d² = νᵀS⁻¹ν, and λ the
//!   clutter density (false plots per m² per scan) of the hitting sensor
//!   where the plot fell, from the [`clutter`](super::clutter) map;
//! - miss: `ΔL = ln(1 − Pd)`.
//!
//! The creating detection scores 0 (no prior odds either way: the test's
//! error probabilities are those of a track once started). Wald's thresholds:
//! confirm when `L ≥ ln((1 − β)/α)`, drop when `L ≤ ln(β/(1 − α))`, with α the
//! probability of confirming a false track and β that of dropping a real one.
//! With α = 1e-6, β = 0.1: confirm at 13.7, drop at −2.3.
//!
//! Why not M-of-N: a fixed count confirms as readily inside a rain cell as in
//! clean water. With the score, a hit is worth `ln(Pd·N/λ)`: in clean water
//! (λ at its floor) two to three hits confirm, as 3-of-5 did; in a rain cell
//! λ is 100–1000× higher, each hit is worth 5–7 less and a track needs twice
//! the evidence, which a real boat supplies and drifting clutter rarely does.
//!
//! Sensor kinds whose single look is an identification confirm on one hit.

use lookout_core::SensorKind;

/// What to do with a tentative track after a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Confirm,
    /// The score fell below the drop threshold: delete.
    Fail,
    Wait,
}

pub trait Initiator: Send + Sync {
    /// True when a hit by this sensor kind confirms a track at once.
    fn confirms_immediately(&self, kind: SensorKind) -> bool;
    /// Score increment of a hit: squared Mahalanobis distance `d2`, `ln|S|`
    /// (S in m²) and clutter density `lambda_m2` (false plots per m² per scan).
    fn hit(&self, d2: f64, ln_det_s: f64, lambda_m2: f64) -> f64;
    /// Score increment of an opportunity without a hit.
    fn miss(&self) -> f64;
    /// Decision for a tentative track with this score.
    fn decide(&self, score: f64) -> Decision;
}

/// Sequential probability ratio test on the track score (module docs).
#[derive(Debug, Clone)]
pub struct Sprt {
    /// Detection probability assumed per opportunity (0..1).
    pub pd: f64,
    /// Confirm threshold `ln((1 − β)/α)`.
    pub confirm_at: f64,
    /// Drop threshold `ln(β/(1 − α))`.
    pub drop_at: f64,
    pub immediate: Vec<SensorKind>,
}

impl Sprt {
    /// `alpha`: probability of confirming a false track; `beta`: probability
    /// of dropping a real one; `pd`: detection probability per opportunity.
    pub fn new(pd: f64, alpha: f64, beta: f64, immediate: Vec<SensorKind>) -> Self {
        let pd = pd.clamp(1e-3, 1.0 - 1e-3);
        let alpha = alpha.clamp(1e-300, 0.5);
        let beta = beta.clamp(1e-300, 0.5);
        Self { pd, confirm_at: ((1.0 - beta) / alpha).ln(), drop_at: (beta / (1.0 - alpha)).ln(), immediate }
    }
}

impl Initiator for Sprt {
    fn confirms_immediately(&self, kind: SensorKind) -> bool {
        self.immediate.contains(&kind)
    }

    fn hit(&self, d2: f64, ln_det_s: f64, lambda_m2: f64) -> f64 {
        let ln_n = -0.5 * d2 - std::f64::consts::TAU.ln() - 0.5 * ln_det_s;
        self.pd.ln() + ln_n - lambda_m2.max(f64::MIN_POSITIVE).ln()
    }

    fn miss(&self) -> f64 {
        (1.0 - self.pd).ln()
    }

    fn decide(&self, score: f64) -> Decision {
        if score >= self.confirm_at {
            Decision::Confirm
        } else if score <= self.drop_at {
            Decision::Fail
        } else {
            Decision::Wait
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_and_increments() {
        let s = Sprt::new(0.7, 1e-6, 0.1, vec![]);
        assert!((s.confirm_at - 13.710).abs() < 1e-3);
        assert!((s.drop_at + 2.303).abs() < 1e-3);
        assert_eq!(s.decide(0.0), Decision::Wait);
        assert_eq!(s.decide(14.0), Decision::Confirm);
        assert_eq!(s.decide(-2.4), Decision::Fail);
        assert!((s.miss() - 0.3f64.ln()).abs() < 1e-12);
        // 100 m σ per axis (|S| = 1e8), on the prediction, clean water (1e-11/m²):
        // ln(0.7 / (2π · 1e4) / 1e-11) = 13.92.
        let clean = s.hit(0.0, 1e8f64.ln(), 1e-11);
        assert!((clean - 13.92).abs() < 0.01, "{clean}");
        // The same hit in clutter a thousand times denser is worth ln 1000 less.
        assert!((clean - s.hit(0.0, 1e8f64.ln(), 1e-8) - 1000f64.ln()).abs() < 1e-9);
    }
}
