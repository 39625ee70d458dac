//! Areas of interest: bounding boxes (which may cross the antimeridian) and
//! polygons, validated once so queries never see an impossible shape.

use geo::{Contains, Coord, LineString, Polygon};

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
    Polygon(Polygon<f64>),
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
        Ok(Area::Polygon(Polygon::new(LineString::new(ring), vec![])))
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
            Area::Polygon(poly) => {
                let pt = geo::Point::new(p.lon_deg, p.lat_deg);
                // `Contains` excludes the boundary; a vessel exactly on the edge counts as inside.
                poly.contains(&pt) || geo::Intersects::intersects(poly.exterior(), &pt)
            }
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
                use geo::BoundingRect;
                match poly.bounding_rect() {
                    Some(r) => vec![([r.min().x, r.min().y], [r.max().x, r.max().y])],
                    None => vec![],
                }
            }
        }
    }
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
