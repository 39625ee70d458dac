//! The baseline's grid: a regular latitude/longitude raster whose cells are
//! `cell_m` × `cell_m` at the area's middle latitude (plate carrée scaled by
//! cos φ₀; over a 400 km area the east-west size varies by a few per cent,
//! and every density is divided by the true area of its row).

use super::BaselineError;

/// Metres per degree of latitude on the mean sphere (R = 6 371 008.8 m).
pub const M_PER_DEG: f64 = lookout_core::geodesy::flat::M_PER_DEG_SPHERE;
/// The coarse level of the fallback pools `COARSE` × `COARSE` fine cells.
pub const COARSE: usize = 4;
/// Largest grid accepted (by `GridSpec::validate` and on load), so neither a
/// typo in a configuration nor a crafted file can ask for gigabytes.
pub const MAX_CELLS: usize = 1_000_000;

/// The area and cell size of a baseline. `name` identifies the area: a file
/// built for one area is refused by a service configured for another.
#[derive(Debug, Clone, PartialEq)]
pub struct GridSpec {
    pub min_lat_deg: f64,
    pub min_lon_deg: f64,
    pub max_lat_deg: f64,
    pub max_lon_deg: f64,
    /// Cell edge, metres (e.g. 2000).
    pub cell_m: f64,
    /// Area name, checked on load.
    pub name: String,
}

impl GridSpec {
    /// Checks bounds, cell size and grid size (no antimeridian crossing).
    pub fn validate(&self) -> Result<(), BaselineError> {
        let bad = |m: String| Err(BaselineError::InvalidSpec(m));
        let all = [self.min_lat_deg, self.min_lon_deg, self.max_lat_deg, self.max_lon_deg, self.cell_m];
        if all.iter().any(|v| !v.is_finite()) {
            return bad("bounds and cell size must be finite numbers".into());
        }
        if !(-85.0..=85.0).contains(&self.min_lat_deg) || !(-85.0..=85.0).contains(&self.max_lat_deg) {
            return bad("latitudes must be within ±85°".into());
        }
        if !(-180.0..=180.0).contains(&self.min_lon_deg) || !(-180.0..=180.0).contains(&self.max_lon_deg) {
            return bad("longitudes must be within ±180°".into());
        }
        if self.min_lat_deg >= self.max_lat_deg || self.min_lon_deg >= self.max_lon_deg {
            return bad("min must be below max (areas across the antimeridian are not supported)".into());
        }
        if !(100.0..=100_000.0).contains(&self.cell_m) {
            return bad(format!("cell_m {} outside 100..=100000 m", self.cell_m));
        }
        if self.name.is_empty() || self.name.len() > 255 {
            return bad("area name must have 1..=255 bytes".into());
        }
        let (rows, cols) = self.dims();
        if rows * cols > MAX_CELLS {
            return bad(format!("{rows} × {cols} cells exceed the limit of {MAX_CELLS}"));
        }
        Ok(())
    }

    fn mid_lat(&self) -> f64 {
        0.5 * (self.min_lat_deg + self.max_lat_deg)
    }

    /// Cell height and width in degrees.
    pub fn cell_deg(&self) -> (f64, f64) {
        let dlat = self.cell_m / M_PER_DEG;
        let dlon = self.cell_m / (M_PER_DEG * self.mid_lat().to_radians().cos());
        (dlat, dlon)
    }

    /// (rows, cols) of the fine grid. Saturates on absurd specs (validate refuses them).
    pub fn dims(&self) -> (usize, usize) {
        let (dlat, dlon) = self.cell_deg();
        let r = ((self.max_lat_deg - self.min_lat_deg) / dlat).ceil();
        let c = ((self.max_lon_deg - self.min_lon_deg) / dlon).ceil();
        let cap = |x: f64| {
            if x.is_finite() && x >= 1.0 {
                x.min(1e7) as usize
            } else {
                1
            }
        };
        (cap(r), cap(c))
    }
}

/// Precomputed geometry of a validated spec (hot path of `score`).
#[derive(Debug, Clone)]
pub(crate) struct Geometry {
    pub rows: usize,
    pub cols: usize,
    pub crows: usize,
    pub ccols: usize,
    pub min_lat: f64,
    pub min_lon: f64,
    pub inv_dlat: f64,
    pub inv_dlon: f64,
    pub dlat: f64,
    pub dlon: f64,
    /// True area of a cell in each row, km².
    pub row_area_km2: Vec<f64>,
    /// Local mean solar time = UTC + this many minutes (area's middle longitude).
    pub solar_offset_min: i64,
}

impl Geometry {
    pub fn new(spec: &GridSpec) -> Geometry {
        let (rows, cols) = spec.dims();
        let (dlat, dlon) = spec.cell_deg();
        let r2 = 6_371.008_8_f64 * 6_371.008_8;
        let row_area_km2 = (0..rows)
            .map(|r| {
                let a = (spec.min_lat_deg + r as f64 * dlat).to_radians();
                let b = (spec.min_lat_deg + (r + 1) as f64 * dlat).to_radians();
                r2 * dlon.to_radians() * (b.sin() - a.sin()).abs()
            })
            .collect();
        let mid_lon = 0.5 * (spec.min_lon_deg + spec.max_lon_deg);
        Geometry {
            rows,
            cols,
            crows: rows.div_ceil(COARSE),
            ccols: cols.div_ceil(COARSE),
            min_lat: spec.min_lat_deg,
            min_lon: spec.min_lon_deg,
            inv_dlat: 1.0 / dlat,
            inv_dlon: 1.0 / dlon,
            dlat,
            dlon,
            row_area_km2,
            solar_offset_min: (mid_lon * 4.0).round() as i64,
        }
    }

    /// (row, col) of a position, or None outside the grid / not finite.
    #[inline]
    pub fn cell(&self, lat: f64, lon: f64) -> Option<(usize, usize)> {
        let r = (lat - self.min_lat) * self.inv_dlat;
        let c = (lon - self.min_lon) * self.inv_dlon;
        // NaN fails both comparisons.
        if r >= 0.0 && c >= 0.0 && r < self.rows as f64 && c < self.cols as f64 {
            Some((r as usize, c as usize))
        } else {
            None
        }
    }

    /// Centre of a cell, degrees.
    #[allow(dead_code)]
    pub fn centre(&self, r: usize, c: usize) -> (f64, f64) {
        (self.min_lat + (r as f64 + 0.5) * self.dlat, self.min_lon + (c as f64 + 0.5) * self.dlon)
    }

    /// Minute of the local (mean solar) day, 0..1440.
    #[inline]
    pub fn minute_of_day(&self, time_ms: i64) -> usize {
        (time_ms.div_euclid(60_000) + self.solar_offset_min).rem_euclid(1440) as usize
    }
}
