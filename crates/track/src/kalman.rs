//! Predictor and updater: a constant-velocity Kalman filter in a local tangent
//! plane anchored at the track (Stone Soup's `KalmanPredictor` +
//! `KalmanUpdater` with a `ConstantVelocity` transition model and a linear
//! position measurement model).
//!
//! State `[east, north, v_east, v_north]` in metres and m/s relative to the
//! track's anchor. After every update the anchor moves to the updated position
//! (so the position part of the state is 0 again) and the covariance is kept
//! as is. That is sound at these scales: between two updates a boat moves at
//! most a few km, and the tangent planes at two points `d` apart differ by a
//! rotation of about `d·tan(lat)/R` (≈ 3e-4 rad for 1 km at 60°) and a
//! curvature distortion of order `(d/R)²` ≈ 1e-8: both far below the
//! uncertainty the covariance describes.
//!
//! Plain `[[f64; 4]; 4]` arithmetic: a 4×4 filter with a 2-D measurement does
//! not justify a linear-algebra dependency, and the expanded products below
//! are cheaper than general matrix code.

use lookout_core::geodesy::{destination, inverse, LatLon};

pub type Vec4 = [f64; 4];
pub type Mat4 = [[f64; 4]; 4];
pub type Mat2 = [[f64; 2]; 2];

/// Gaussian state estimate in the track's local frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KfState {
    pub x: Vec4,
    pub p: Mat4,
}

impl KfState {
    /// State at an anchor with zero position offset.
    pub fn new(v_en: [f64; 2], pos_var_m2: f64, vel_var_m2s2: f64) -> Self {
        let mut p = [[0.0; 4]; 4];
        p[0][0] = pos_var_m2;
        p[1][1] = pos_var_m2;
        p[2][2] = vel_var_m2s2;
        p[3][3] = vel_var_m2s2;
        Self { x: [0.0, 0.0, v_en[0], v_en[1]], p }
    }

    /// 2×2 position covariance.
    pub fn pos_cov(&self) -> Mat2 {
        [[self.p[0][0], self.p[0][1]], [self.p[1][0], self.p[1][1]]]
    }

    /// Square root of the largest eigenvalue of the position covariance, m
    /// (the one-sigma semi-major axis of the error ellipse).
    pub fn pos_sigma_major(&self) -> f64 {
        let [[a, b], [_, d]] = self.pos_cov();
        let tr = 0.5 * (a + d);
        let disc = (0.25 * (a - d) * (a - d) + b * b).sqrt();
        (tr + disc).max(0.0).sqrt()
    }
}

/// Predicts a state forward in time (Stone Soup `Predictor`).
pub trait Predictor: Send + Sync {
    /// `dt_s` ≥ 0 (the tracker does not retrodict).
    fn predict(&self, s: &KfState, dt_s: f64) -> KfState;
}

/// Constant velocity with discrete white-noise acceleration of standard
/// deviation `accel_sigma_ms2`: per axis `Q = σa² [[dt⁴/4, dt³/2], [dt³/2, dt²]]`.
#[derive(Debug, Clone, Copy)]
pub struct ConstantVelocity {
    pub accel_sigma_ms2: f64,
}

impl Predictor for ConstantVelocity {
    fn predict(&self, s: &KfState, dt: f64) -> KfState {
        let dt = dt.max(0.0);
        let x = [s.x[0] + dt * s.x[2], s.x[1] + dt * s.x[3], s.x[2], s.x[3]];
        // F P Fᵀ with F = [[I, dt I], [0, I]], expanded.
        let p = &s.p;
        let mut fp = *p;
        for j in 0..4 {
            fp[0][j] = p[0][j] + dt * p[2][j];
            fp[1][j] = p[1][j] + dt * p[3][j];
        }
        let mut o = fp;
        for row in o.iter_mut() {
            row[0] += dt * row[2];
            row[1] += dt * row[3];
        }
        let q = self.accel_sigma_ms2 * self.accel_sigma_ms2;
        let dt2 = dt * dt;
        let (a, b, c) = (q * dt2 * dt2 / 4.0, q * dt2 * dt / 2.0, q * dt2);
        o[0][0] += a;
        o[1][1] += a;
        o[0][2] += b;
        o[2][0] += b;
        o[1][3] += b;
        o[3][1] += b;
        o[2][2] += c;
        o[3][3] += c;
        KfState { x, p: o }
    }
}

/// Innovation of a position measurement against a predicted state.
#[derive(Debug, Clone, Copy)]
pub struct Innovation {
    /// z − H x, metres (east, north).
    pub nu: [f64; 2],
    /// Innovation covariance S = H P Hᵀ + R.
    pub s: Mat2,
    pub s_inv: Mat2,
    /// ln |S|.
    pub ln_det_s: f64,
    /// Squared Mahalanobis distance νᵀ S⁻¹ ν.
    pub d2: f64,
}

/// Measurement prediction and update (Stone Soup `Updater`).
pub trait Updater: Send + Sync {
    /// Innovation of measurement `z` (local east/north, m) with isotropic
    /// variance `r_var_m2`.
    fn innovation(&self, pred: &KfState, z: [f64; 2], r_var_m2: f64) -> Innovation;
    fn update(&self, pred: &KfState, inn: &Innovation) -> KfState;
}

/// Linear position measurement `H = [I 0]`, `R = σ² I`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PositionUpdater;

/// Innovation for a 2-D residual with covariance `s`.
pub fn innovation_2d(nu: [f64; 2], s: Mat2) -> Innovation {
    let det = s[0][0] * s[1][1] - s[0][1] * s[1][0];
    let det = det.max(1e-12);
    let s_inv = [[s[1][1] / det, -s[0][1] / det], [-s[1][0] / det, s[0][0] / det]];
    let d2 = nu[0] * (s_inv[0][0] * nu[0] + s_inv[0][1] * nu[1]) + nu[1] * (s_inv[1][0] * nu[0] + s_inv[1][1] * nu[1]);
    Innovation { nu, s, s_inv, ln_det_s: det.ln(), d2 }
}

impl Updater for PositionUpdater {
    fn innovation(&self, pred: &KfState, z: [f64; 2], r: f64) -> Innovation {
        let nu = [z[0] - pred.x[0], z[1] - pred.x[1]];
        let s = [[pred.p[0][0] + r, pred.p[0][1]], [pred.p[1][0], pred.p[1][1] + r]];
        innovation_2d(nu, s)
    }

    fn update(&self, pred: &KfState, inn: &Innovation) -> KfState {
        let p = &pred.p;
        // K = P Hᵀ S⁻¹ (4×2); P Hᵀ is P's first two columns.
        let mut k = [[0.0; 2]; 4];
        for (i, ki) in k.iter_mut().enumerate() {
            for (j, kij) in ki.iter_mut().enumerate() {
                *kij = p[i][0] * inn.s_inv[0][j] + p[i][1] * inn.s_inv[1][j];
            }
        }
        let mut x = pred.x;
        for (i, xi) in x.iter_mut().enumerate() {
            *xi += k[i][0] * inn.nu[0] + k[i][1] * inn.nu[1];
        }
        // P − K H P, then symmetrised against rounding drift.
        let mut o = *p;
        for (i, row) in o.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = p[i][j] - (k[i][0] * p[0][j] + k[i][1] * p[1][j]);
            }
        }
        #[allow(clippy::needless_range_loop)] // touches o[i][j] and o[j][i]
        for i in 0..4 {
            for j in (i + 1)..4 {
                let m = 0.5 * (o[i][j] + o[j][i]);
                o[i][j] = m;
                o[j][i] = m;
            }
        }
        KfState { x, p: o }
    }
}

/// East/north metres of `p` from `anchor`, from the exact geodesic inverse
/// (distance and azimuth at the anchor).
pub fn to_local(anchor: LatLon, p: LatLon) -> [f64; 2] {
    let inv = inverse(anchor, p);
    let az = inv.azimuth1_deg.to_radians();
    [inv.distance_m * az.sin(), inv.distance_m * az.cos()]
}

/// The point at east/north metres `en` from `anchor` (exact geodesic direct).
pub fn from_local(anchor: LatLon, en: [f64; 2]) -> LatLon {
    let d = en[0].hypot(en[1]);
    if d < 1e-6 {
        return anchor;
    }
    destination(anchor, en[0].atan2(en[1]).to_degrees(), d)
}

/// East/north metres from the WGS84 radii of curvature at the mid-latitude,
/// plus the second-order curvature term: much cheaper than the geodesic
/// inverse and within a few cm of it over 10 km (the error grows as d³/R²). Used for gating only; updates use
/// [`to_local`].
pub fn to_local_fast(anchor: LatLon, p: LatLon) -> [f64; 2] {
    const A: f64 = 6_378_137.0;
    const F: f64 = 1.0 / 298.257_223_563;
    const E2: f64 = F * (2.0 - F);
    let phi = (0.5 * (anchor.lat_deg + p.lat_deg)).to_radians();
    let s = phi.sin();
    let w2 = 1.0 - E2 * s * s;
    let w = w2.sqrt();
    let n = A / w; // prime vertical
    let m = A * (1.0 - E2) / (w2 * w); // meridional
    let mut dlon = p.lon_deg - anchor.lon_deg;
    if dlon > 180.0 {
        dlon -= 360.0;
    } else if dlon < -180.0 {
        dlon += 360.0;
    }
    let e = dlon.to_radians() * n * phi.cos();
    // Second-order terms of the azimuthal-equidistant frame: a parallel curves
    // away from the geodesic leaving the anchor due east (e²·tan(lat)/2N, 1.4 m
    // at 5 km and 36°) and meridians converge (−e·n·tan(lat)/2N).
    let north = (p.lat_deg - anchor.lat_deg).to_radians() * m + e * e * anchor.lat_deg.to_radians().tan() / (2.0 * n);
    let e = e - e * north * anchor.lat_deg.to_radians().tan() / (2.0 * n);
    [e, north]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_local_frame_agrees_with_geodesic() {
        let a = LatLon::new(36.0, 14.5);
        for (az, d) in [
            (0.0, 3000.0),
            (90.0, 5000.0),
            (225.0, 2000.0),
            (300.0, 8000.0),
            (45.0, 10_000.0),
            (135.0, 10_000.0),
            (315.0, 7000.0),
        ] {
            let p = destination(a, az, d);
            let (e, f) = (to_local(a, p), to_local_fast(a, p));
            assert!((e[0] - f[0]).abs() < 0.1 && (e[1] - f[1]).abs() < 0.1, "{e:?} {f:?}");
        }
    }

    #[test]
    fn update_shrinks_covariance_and_moves_towards_measurement() {
        let pred = ConstantVelocity { accel_sigma_ms2: 0.1 }.predict(&KfState::new([1.0, 0.0], 100.0, 4.0), 3.0);
        assert!((pred.x[0] - 3.0).abs() < 1e-12);
        let u = PositionUpdater;
        let inn = u.innovation(&pred, [10.0, 0.0], 100.0);
        let post = u.update(&pred, &inn);
        assert!(post.x[0] > 3.0 && post.x[0] < 10.0);
        assert!(post.p[0][0] < pred.p[0][0] && post.p[0][0] < 100.0);
    }
}
