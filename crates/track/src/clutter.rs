//! Clutter map: per sensor, the spatial density λ of false plots (plots per m²
//! per scan of that sensor), estimated online. The track score of the
//! [`initiate`](super::initiate) step weighs each hit against it, so a tentative
//! track in a rain cell or in sea clutter needs more evidence than one in
//! clean water.
//!
//! Method:
//! - A fixed grid of `clutter_cell_m` square cells (equirectangular: rows of
//!   `cell / 111.32 km` degrees of latitude, columns of `cell / (111.32 km ×
//!   cos lat)` degrees of longitude, so every cell covers ≈ cell² m²). Keyed in
//!   a `BTreeMap`: lookups and ordered iteration only, deterministic.
//! - Per cell an exponentially forgotten count of false plots: a plot at `t`
//!   adds 1, and the count decays as `exp(−Δt/τ)` with τ =
//!   `clutter_time_constant_ms`. With a steady rate `r` (plots per second in
//!   the cell) the count settles at `r·τ`; so the rate is `count / w`, with
//!   `w = τ·(1 − exp(−T/τ))` the effective window after the sensor has been
//!   reporting for `T` (exact for a steady rate, and honest at start-up,
//!   floored at [`MIN_WINDOW_MS`] so the first plots do not read as a storm).
//! - Density per scan = rate / area × the sensor's revisit period: a rotating
//!   radar reporting sector by sector still sees each spot once per rotation,
//!   so "per scan" means per look at that spot. (For a sensor that looks
//!   rarely, e.g. a SAR pass hours apart, the count has decayed between passes
//!   and this over-states λ; such sensors are corroborated by radar anyway.)
//! - λ at a point is the mean over the 3×3 cells around it: a rain cell spans
//!   several km and a single cell holds only a handful of plots per τ, so the
//!   neighbourhood averages out counting noise.
//! - λ never goes below `clutter_density_floor_per_km2` (the prior for clean
//!   water): an empty map must not make one echo look like certainty.
//!
//! What counts as a false plot is the tracker's business: plots that only
//! ever fed tentative tracks which died unconfirmed. Plots of tracks that were
//! confirmed (or merged into an AIS vessel) and plots associated with
//! confirmed tracks or AIS vessels are never counted, so a real boat does not
//! raise the clutter level around itself.

use std::collections::BTreeMap;
use std::sync::Arc;

use lookout_core::geodesy::flat::M_PER_DEG;
use lookout_core::geodesy::LatLon;
/// Shortest effective window of the rate estimate, ms.
pub const MIN_WINDOW_MS: f64 = 30_000.0;
/// A cell whose count has decayed below this is dropped.
const PRUNE_BELOW: f64 = 1e-3;

/// Grid cell: (row, column).
type CellKey = (i32, i32);

#[derive(Debug, Clone, Copy)]
struct Cell {
    /// Forgotten count as of `t_ms`.
    count: f64,
    t_ms: i64,
}

#[derive(Debug, Clone, Default)]
struct SensorMap {
    /// First scan of the sensor seen, ms.
    first_ms: i64,
    /// Latest time seen (scan or plot), ms.
    last_ms: i64,
    /// Next time to drop decayed cells, ms.
    prune_at_ms: i64,
    cells: BTreeMap<CellKey, Cell>,
}

/// Per-sensor clutter density maps (see the module docs).
#[derive(Debug, Clone)]
pub struct ClutterMap {
    cell_m: f64,
    tau_ms: f64,
    /// λ floor, plots per m² per scan.
    floor_m2: f64,
    sensors: BTreeMap<Arc<str>, SensorMap>,
}

impl ClutterMap {
    /// `cell_m`: grid cell side, m; `tau_ms`: forgetting time constant, ms;
    /// `floor_per_km2`: λ floor, false plots per km² per scan.
    pub fn new(cell_m: f64, tau_ms: i64, floor_per_km2: f64) -> Self {
        Self {
            cell_m: cell_m.max(100.0),
            tau_ms: (tau_ms as f64).max(1_000.0),
            floor_m2: floor_per_km2.max(0.0) * 1e-6,
            sensors: BTreeMap::new(),
        }
    }

    fn row(&self, lat_deg: f64) -> i32 {
        (lat_deg * M_PER_DEG / self.cell_m).floor() as i32
    }

    fn col(&self, row: i32, lon_deg: f64) -> i32 {
        // Column width from the row's centre latitude (clamped short of the pole).
        let lat = ((row as f64 + 0.5) * self.cell_m / M_PER_DEG).clamp(-89.0, 89.0);
        (lon_deg * M_PER_DEG * lat.to_radians().cos() / self.cell_m).floor() as i32
    }

    /// Records that `sensor` scanned at `t_ms` (starts its window).
    pub fn scan(&mut self, sensor: &Arc<str>, t_ms: i64) {
        let tau = self.tau_ms as i64;
        let s = self.sensors.entry(sensor.clone()).or_insert_with(|| SensorMap {
            first_ms: t_ms,
            last_ms: t_ms,
            prune_at_ms: t_ms.saturating_add(tau),
            cells: BTreeMap::new(),
        });
        s.first_ms = s.first_ms.min(t_ms);
        s.last_ms = s.last_ms.max(t_ms);
        if t_ms >= s.prune_at_ms {
            // Cells not touched for ~7 τ hold < 1e-3 plots: forget them so the
            // map stays the size of the sensor's recent clutter.
            s.cells.retain(|_, c| c.count * (-((t_ms - c.t_ms).max(0) as f64) / self.tau_ms).exp() >= PRUNE_BELOW);
            s.prune_at_ms = t_ms.saturating_add(tau);
        }
    }

    /// Counts one false plot of `sensor` at `pos`, seen at `t_ms` (may be
    /// credited late, after the track it started has died).
    pub fn add(&mut self, sensor: &Arc<str>, pos: LatLon, t_ms: i64) {
        if !pos.is_valid() {
            return;
        }
        let key = {
            let r = self.row(pos.lat_deg);
            (r, self.col(r, pos.lon_deg))
        };
        let tau = self.tau_ms;
        if !self.sensors.contains_key(sensor) {
            self.scan(sensor, t_ms);
        }
        let s = self.sensors.get_mut(sensor).expect("just inserted");
        s.last_ms = s.last_ms.max(t_ms);
        let c = s.cells.entry(key).or_insert(Cell { count: 0.0, t_ms });
        if t_ms >= c.t_ms {
            c.count = c.count * (-((t_ms - c.t_ms) as f64) / tau).exp() + 1.0;
            c.t_ms = t_ms;
        } else {
            c.count += (-((c.t_ms - t_ms) as f64) / tau).exp();
        }
    }

    /// λ: false plots per m² per scan of `sensor` around `pos` at `t_ms`,
    /// given the sensor's revisit period `revisit_ms`. At least the floor.
    pub fn density(&self, sensor: &str, pos: LatLon, t_ms: i64, revisit_ms: i64) -> f64 {
        let Some(s) = self.sensors.get(sensor) else {
            return self.floor_m2;
        };
        if s.cells.is_empty() || !pos.is_valid() {
            return self.floor_m2;
        }
        let r0 = self.row(pos.lat_deg);
        let mut count = 0.0;
        for r in r0 - 1..=r0 + 1 {
            let c0 = self.col(r, pos.lon_deg);
            for c in c0 - 1..=c0 + 1 {
                if let Some(cell) = s.cells.get(&(r, c)) {
                    count += cell.count * (-((t_ms - cell.t_ms).max(0) as f64) / self.tau_ms).exp();
                }
            }
        }
        let elapsed = (t_ms.max(s.last_ms) - s.first_ms).max(0) as f64;
        let window_s =
            (self.tau_ms * (1.0 - (-elapsed / self.tau_ms).exp())).max(MIN_WINDOW_MS.min(self.tau_ms)) / 1000.0;
        let area = 9.0 * self.cell_m * self.cell_m;
        let lambda = count / (window_s * area) * (revisit_ms.max(1) as f64 / 1000.0);
        lambda.max(self.floor_m2)
    }

    /// Cells held (all sensors), for tests and diagnostics.
    pub fn cells(&self) -> usize {
        self.sensors.values().map(|s| s.cells.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steady_rate_is_recovered_and_forgotten() {
        // 1 plot/s spread evenly over a 6 km × 6 km block (the 3×3 window of
        // 2 km cells): 1 / 3.6e7 plots per m² per second; per 2.5 s scan 6.9e-8.
        let mut m = ClutterMap::new(2_000.0, 300_000, 1e-5);
        let s: Arc<str> = Arc::from("r");
        let centre = LatLon::new(36.0, 14.0);
        let t0 = 1_795_305_600_000;
        let dlat = 2_000.0 / M_PER_DEG;
        let r0 = m.row(centre.lat_deg);
        let lat_of = |r: i32| (r as f64 + 0.5) * dlat;
        let mut t = t0;
        for k in 0..3_000 {
            t = t0 + k * 1_000;
            m.scan(&s, t);
            let r = r0 - 1 + (k % 3) as i32;
            let lat = lat_of(r);
            let cw = 2_000.0 / (M_PER_DEG * ((r as f64 + 0.5) * dlat).to_radians().cos());
            let c = m.col(r, centre.lon_deg) - 1 + ((k / 3) % 3) as i32;
            m.add(&s, LatLon::new(lat, (c as f64 + 0.5) * cw), t);
        }
        let want = 2.5 / 3.6e7;
        let got = m.density("r", centre, t, 2_500);
        assert!((got / want - 1.0).abs() < 0.05, "{got:e} vs {want:e}");
        // Clean water elsewhere and another sensor: the floor.
        let floor = |v: f64| (v / 1e-11 - 1.0).abs() < 1e-9;
        assert!(floor(m.density("r", LatLon::new(37.0, 14.0), t, 2_500)));
        assert!(floor(m.density("other", centre, t, 2_500)));
        // Twenty time constants later the clutter is forgotten (and pruned).
        let late = t + 6_000_000;
        m.scan(&s, late);
        assert!(floor(m.density("r", centre, late, 2_500)));
        assert_eq!(m.cells(), 0);
    }
}
