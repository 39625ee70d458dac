//! Areas of interest: bounding boxes (which may cross the antimeridian) and
//! polygons, validated once so queries never see an impossible shape.

use std::sync::Arc;

use geo::kernels::{Kernel, Orientation};
use geo::{BoundingRect, Coord, GeoNum, Line, LineString, Polygon, Rect};

use lookout_core::geodesy::{flat, LatLon};
use lookout_core::InvalidField as Error;

/// A lon/lat rectangle in degrees: `[min_lon, min_lat]` to `[max_lon, max_lat]`.
pub type Envelope = ([f64; 2], [f64; 2]);

/// A validated area on the globe.
#[derive(Debug, Clone)]
pub enum Area {
    /// The whole globe.
    World,
    /// `max_lon_deg < min_lon_deg` means the box crosses the antimeridian.
    BBox { min_lat_deg: f64, min_lon_deg: f64, max_lat_deg: f64, max_lon_deg: f64 },
    /// A simple polygon in plain lon/lat (not crossing the antimeridian).
    Polygon(Arc<BandedPolygon>),
}

impl Area {
    /// Validates a bounding box; `field` prefixes the names in errors.
    pub fn bbox(min_lat: f64, min_lon: f64, max_lat: f64, max_lon: f64) -> Result<Self, Error> {
        for (name, v, lim) in [
            ("area.bbox.min_lat_deg", min_lat, 90.0),
            ("area.bbox.max_lat_deg", max_lat, 90.0),
            ("area.bbox.min_lon_deg", min_lon, 180.0),
            ("area.bbox.max_lon_deg", max_lon, 180.0),
        ] {
            if !v.is_finite() || v.abs() > lim {
                return Err(Error::new(name, format!("{v} is outside [-{lim}, {lim}]")));
            }
        }
        if min_lat > max_lat {
            return Err(Error::new("area.bbox.min_lat_deg", "is greater than max_lat_deg"));
        }
        Ok(Area::BBox { min_lat_deg: min_lat, min_lon_deg: min_lon, max_lat_deg: max_lat, max_lon_deg: max_lon })
    }

    /// Validates a polygon given as (lat, lon) vertices; the closing vertex is optional.
    pub fn polygon(vertices: &[LatLon]) -> Result<Self, Error> {
        for (i, v) in vertices.iter().enumerate() {
            if !v.is_valid() {
                return Err(Error::new(
                    "area.polygon.vertices",
                    format!("vertex {i} ({}, {}) is not a valid latitude/longitude", v.lat_deg, v.lon_deg),
                ));
            }
        }
        let mut ring: Vec<Coord<f64>> = vertices.iter().map(|v| Coord { x: v.lon_deg, y: v.lat_deg }).collect();
        ring.dedup();
        if ring.len() > 1 && ring.first() == ring.last() {
            ring.pop();
        }
        if ring.len() < 3 {
            return Err(Error::new(
                "area.polygon.vertices",
                format!("needs at least 3 distinct vertices, got {}", ring.len()),
            ));
        }
        let (lo, hi) = ring.iter().fold((f64::MAX, f64::MIN), |(lo, hi), c| (lo.min(c.x), hi.max(c.x)));
        if hi - lo > 180.0 {
            return Err(Error::new(
                "area.polygon.vertices",
                "spans more than 180° of longitude (polygons crossing the antimeridian are not supported; use a bbox)",
            ));
        }
        Ok(Area::Polygon(Arc::new(BandedPolygon::new(Polygon::new(LineString::new(ring), vec![])))))
    }

    /// True when `p` is inside (or on the edge of) the area.
    pub fn contains(&self, p: LatLon) -> bool {
        match self {
            Area::World => true,
            Area::BBox { min_lat_deg, min_lon_deg, max_lat_deg, max_lon_deg } => {
                let lat_ok = (*min_lat_deg..=*max_lat_deg).contains(&p.lat_deg);
                let lon_ok = if min_lon_deg <= max_lon_deg {
                    (*min_lon_deg..=*max_lon_deg).contains(&p.lon_deg)
                } else {
                    p.lon_deg >= *min_lon_deg || p.lon_deg <= *max_lon_deg
                };
                lat_ok && lon_ok
            }
            Area::Polygon(poly) => poly.covers(Coord { x: p.lon_deg, y: p.lat_deg }),
        }
    }

    /// Lon/lat rectangles that together cover the area (two when a box crosses
    /// the antimeridian).
    pub fn envelopes(&self) -> Vec<Envelope> {
        match self {
            Area::World => vec![([-180.0, -90.0], [180.0, 90.0])],
            Area::BBox { min_lat_deg, min_lon_deg, max_lat_deg, max_lon_deg } => {
                if min_lon_deg <= max_lon_deg {
                    vec![([*min_lon_deg, *min_lat_deg], [*max_lon_deg, *max_lat_deg])]
                } else {
                    vec![
                        ([*min_lon_deg, *min_lat_deg], [180.0, *max_lat_deg]),
                        ([-180.0, *min_lat_deg], [*max_lon_deg, *max_lat_deg]),
                    ]
                }
            }
            Area::Polygon(poly) => {
                let r = poly.rect;
                vec![([r.min().x, r.min().y], [r.max().x, r.max().y])]
            }
        }
    }
}

/// Latitude bands a polygon's edges are sorted into, at most. A long edge is
/// listed in every band it spans, so this bounds the index at 256 entries per
/// edge (a hostile 1,000-vertex zigzag: 1 MB) while a 1,000-vertex search area
/// is tested against a few dozen edges instead of a thousand.
const MAX_BANDS: usize = 256;

/// A polygon prepared for point-in-polygon tests: its edges sorted into
/// latitude bands, so a point is tested only against the edges of its band.
///
/// Written here because `geo` tests a point against every edge
/// (`coord_pos_relative_to_ring`, then `Intersects` with the exterior for the
/// boundary: two passes over all edges). A `SubscribeTracks` stream with a
/// 1,000-vertex polygon did that for every update of a 100,000 reports/s feed,
/// and `cargo bench --bench wire` put other callers' VesselsNear p99 at 2.3 to
/// 12 times the feed alone. Per edge the test is geo's own (the winding number
/// with its robust `orient2d` and its crossing rules), so the answers are the
/// same: `covers_agrees_with_geo` checks it on random polygons, their vertices
/// and points on their edges.
#[derive(Debug)]
pub struct BandedPolygon {
    rect: Rect<f64>,
    /// Band height, degrees of latitude.
    band_deg: f64,
    /// Edges that reach into each band, bottom to top.
    bands: Vec<Vec<Line<f64>>>,
    /// Edges of the ring (as many as its distinct vertices).
    edges: usize,
}

impl BandedPolygon {
    /// Sorts the exterior's edges into bands (the polygon has no holes: `Area`
    /// builds none).
    pub fn new(polygon: Polygon<f64>) -> Self {
        let rect = polygon.bounding_rect().unwrap_or_else(|| Rect::new(Coord::zero(), Coord::zero()));
        let edges: Vec<Line<f64>> = polygon.exterior().lines().collect();
        let n_edges = edges.len();
        let n_bands = (edges.len() / 4).clamp(1, MAX_BANDS);
        let band_deg = (rect.height() / n_bands as f64).max(f64::MIN_POSITIVE);
        let mut bands = vec![Vec::new(); n_bands];
        let band_of = |y: f64| (((y - rect.min().y) / band_deg) as usize).min(n_bands - 1);
        for e in edges {
            let (lo, hi) = (e.start.y.min(e.end.y), e.start.y.max(e.end.y));
            for band in &mut bands[band_of(lo)..=band_of(hi)] {
                band.push(e);
            }
        }
        Self { rect, band_deg, bands, edges: n_edges }
    }

    /// True when `c` (x = lon, y = lat) is inside the polygon or on its boundary.
    pub fn covers(&self, c: Coord<f64>) -> bool {
        let (lo, hi) = (self.rect.min(), self.rect.max());
        if c.x < lo.x || c.x > hi.x || c.y < lo.y || c.y > hi.y {
            return false;
        }
        let band = (((c.y - lo.y) / self.band_deg) as usize).min(self.bands.len() - 1);
        // geo's winding number (`coord_pos_relative_to_ring`), over the edges that
        // reach this latitude: the others add nothing to it.
        let mut winding = 0i32;
        for line in &self.bands[band] {
            if line.start.y <= c.y {
                if line.end.y >= c.y {
                    let o = <f64 as GeoNum>::Ker::orient2d(line.start, line.end, c);
                    if o == Orientation::CounterClockwise && line.end.y != c.y {
                        winding += 1;
                    } else if o == Orientation::Collinear && between(c.x, line.start.x, line.end.x) {
                        return true;
                    }
                }
            } else if line.end.y <= c.y {
                let o = <f64 as GeoNum>::Ker::orient2d(line.start, line.end, c);
                if o == Orientation::Clockwise {
                    winding -= 1;
                } else if o == Orientation::Collinear && between(c.x, line.start.x, line.end.x) {
                    return true;
                }
            }
        }
        winding != 0
    }
}

impl BandedPolygon {
    /// How many vertices the polygon has (its closing vertex not counted twice).
    pub fn vertices(&self) -> usize {
        self.edges
    }

    /// True when `p` is inside the polygon or on its boundary.
    pub fn covers_latlon(&self, p: LatLon) -> bool {
        self.covers(Coord { x: p.lon_deg, y: p.lat_deg })
    }
}

fn between(x: f64, a: f64, b: f64) -> bool {
    x >= a.min(b) && x <= a.max(b)
}

/// Lon/lat rectangles guaranteed to contain every point within `radius_m`
/// (geodesic) of `center`. Conservative: the caller filters by exact distance.
pub fn envelopes_around(center: LatLon, radius_m: f64) -> Vec<Envelope> {
    let (dlat, dlon) = flat::half_widths_deg(radius_m, center.lat_deg);
    let (lat_lo, lat_hi) = (center.lat_deg - dlat, center.lat_deg + dlat);
    if lat_lo <= -90.0 || lat_hi >= 90.0 {
        // The circle reaches a pole: every longitude is within range.
        return vec![([-180.0, lat_lo.max(-90.0)], [180.0, lat_hi.min(90.0)])];
    }
    if dlon >= 180.0 {
        return vec![([-180.0, lat_lo], [180.0, lat_hi])];
    }
    let (lon_lo, lon_hi) = (center.lon_deg - dlon, center.lon_deg + dlon);
    if lon_lo < -180.0 {
        vec![([lon_lo + 360.0, lat_lo], [180.0, lat_hi]), ([-180.0, lat_lo], [lon_hi, lat_hi])]
    } else if lon_hi > 180.0 {
        vec![([lon_lo, lat_lo], [180.0, lat_hi]), ([-180.0, lat_lo], [lon_hi - 360.0, lat_hi])]
    } else {
        vec![([lon_lo, lat_lo], [lon_hi, lat_hi])]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lookout_core::geodesy::destination;

    #[test]
    fn antimeridian_box() {
        let a = Area::bbox(-20.0, 170.0, -10.0, -170.0).unwrap();
        assert!(a.contains(LatLon::new(-15.0, 179.0)));
        assert!(a.contains(LatLon::new(-15.0, -175.0)));
        assert!(!a.contains(LatLon::new(-15.0, 0.0)));
        assert_eq!(a.envelopes().len(), 2);
    }

    #[test]
    fn impossible_shapes_name_the_field() {
        let e = Area::bbox(95.0, 0.0, 96.0, 1.0).unwrap_err().to_string();
        assert!(e.contains("area.bbox.min_lat_deg"), "{e}");
        let e = Area::polygon(&[LatLon::new(1.0, 1.0), LatLon::new(2.0, 2.0)]).unwrap_err().to_string();
        assert!(e.contains("area.polygon.vertices"), "{e}");
        assert!(Area::polygon(&[]).is_err());
    }

    #[test]
    fn polygon_contains_edges() {
        let sq = [LatLon::new(0.0, 0.0), LatLon::new(0.0, 1.0), LatLon::new(1.0, 1.0), LatLon::new(1.0, 0.0)];
        let a = Area::polygon(&sq).unwrap();
        assert!(a.contains(LatLon::new(0.5, 0.5)));
        assert!(a.contains(LatLon::new(0.0, 0.5)));
        assert!(!a.contains(LatLon::new(1.5, 0.5)));
    }

    /// The banded test answers as geo does (inside, or on the boundary), on random
    /// star-shaped polygons of 3 to 1,000 vertices: random points, the vertices
    /// themselves, points on the edges and points a hair off them. Seeded.
    #[test]
    fn covers_agrees_with_geo() {
        use geo::{Contains, Intersects, Point};
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(16);
        for round in 0..200 {
            let n = if round % 10 == 0 { 1000 } else { rng.random_range(3..60) };
            let (clat, clon) = (rng.random_range(-60.0..60.0), rng.random_range(-170.0..170.0));
            let mut angles: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..std::f64::consts::TAU)).collect();
            angles.sort_by(f64::total_cmp);
            let vertices: Vec<LatLon> = angles
                .iter()
                .map(|a| {
                    let r = rng.random_range(0.2..3.0);
                    // Some vertices snapped to a grid, so edges are horizontal or vertical.
                    let (lat, lon) = (clat + r * a.sin(), clon + r * a.cos());
                    if rng.random_bool(0.2) {
                        LatLon::new((lat * 10.0).round() / 10.0, (lon * 10.0).round() / 10.0)
                    } else {
                        LatLon::new(lat, lon)
                    }
                })
                .collect();
            let Ok(Area::Polygon(banded)) = Area::polygon(&vertices) else { continue };
            let ring: Vec<Coord<f64>> = vertices.iter().map(|v| Coord { x: v.lon_deg, y: v.lat_deg }).collect();
            let poly = Polygon::new(LineString::new(ring.clone()), vec![]);
            let geo_says =
                |c: Coord<f64>| poly.contains(&Point::from(c)) || poly.exterior().intersects(&Point::from(c));
            let mut probes: Vec<Coord<f64>> = (0..300)
                .map(|_| Coord { x: clon + rng.random_range(-3.5..3.5), y: clat + rng.random_range(-3.5..3.5) })
                .collect();
            for w in ring.windows(2) {
                let t = rng.random_range(0.0..1.0);
                let on = Coord { x: w[0].x + t * (w[1].x - w[0].x), y: w[0].y + t * (w[1].y - w[0].y) };
                probes.extend([w[0], on, Coord { x: on.x + 1e-12, y: on.y }, Coord { x: on.x, y: on.y - 1e-12 }]);
            }
            for c in probes {
                assert_eq!(banded.covers(c), geo_says(c), "round {round}, {n} vertices, point {c:?}");
            }
        }
    }

    #[test]
    fn envelopes_cover_the_circle_everywhere() {
        for &(lat, lon) in &[(0.0, 0.0), (60.0, 10.0), (-70.0, 179.9), (89.5, 0.0), (35.5, -179.99)] {
            let c = LatLon::new(lat, lon);
            let envs = envelopes_around(c, 50_000.0);
            for az in (0..360).step_by(10) {
                let p = destination(c, f64::from(az), 49_999.0);
                let inside = envs
                    .iter()
                    .any(|(lo, hi)| (lo[0]..=hi[0]).contains(&p.lon_deg) && (lo[1]..=hi[1]).contains(&p.lat_deg));
                assert!(inside, "{lat},{lon} az {az}: {p:?} not in {envs:?}");
            }
        }
    }
}
