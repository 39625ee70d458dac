//! Gater (Stone Soup's `DistanceGater` with a Mahalanobis measure): a
//! detection is a candidate for a track (or an AIS vessel) only when the
//! squared Mahalanobis distance of the innovation is within the χ² quantile
//! for the gate probability.

/// χ² quantile with 2 degrees of freedom: `-2 ln(1 − p)` (0.99 → 9.21).
pub fn chi2_2dof_threshold(p: f64) -> f64 {
    let p = p.clamp(1e-9, 1.0 - 1e-12);
    -2.0 * (1.0 - p).ln()
}

/// Decides whether a squared Mahalanobis distance is inside the gate.
pub trait Gater: Send + Sync {
    /// Gate threshold on d² (also the basis of the "no association" cost).
    fn threshold(&self) -> f64;
    fn accepts(&self, d2: f64) -> bool {
        d2 <= self.threshold()
    }
}

/// Ellipsoidal χ² gate on a 2-D position innovation.
#[derive(Debug, Clone, Copy)]
pub struct ChiSquareGate {
    pub threshold: f64,
}

impl ChiSquareGate {
    pub fn new(gate_probability: f64) -> Self {
        Self { threshold: chi2_2dof_threshold(gate_probability) }
    }
}

impl Gater for ChiSquareGate {
    fn threshold(&self) -> f64 {
        self.threshold
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn quantile_for_99_percent() {
        assert!((super::chi2_2dof_threshold(0.99) - 9.2103).abs() < 1e-3);
    }
}
