//! Geodesy on the WGS84 ellipsoid (Karney's algorithms via `geographiclib-rs`)
//! and the kinematics rescue coordinators ask for: dead reckoning, course to
//! steer, ETA and closest point of approach.

use std::sync::OnceLock;

use geographiclib_rs::{DirectGeodesic, Geodesic, InverseGeodesic};

/// Metres in one international nautical mile.
pub const M_PER_NM: f64 = 1852.0;
/// Metres per second in one knot.
pub const MS_PER_KN: f64 = M_PER_NM / 3600.0;
/// Below this speed a vessel is treated as stationary (no ETA, no CPA):
/// AIS SOG noise on a moored ship is often 0.1–0.3 kn.
pub const MOVING_MIN_KN: f64 = 0.5;

fn wgs84() -> &'static Geodesic {
    static G: OnceLock<Geodesic> = OnceLock::new();
    G.get_or_init(Geodesic::wgs84)
}

/// A WGS84 position in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatLon {
    pub lat_deg: f64,
    pub lon_deg: f64,
}

impl LatLon {
    pub const fn new(lat_deg: f64, lon_deg: f64) -> Self {
        Self { lat_deg, lon_deg }
    }

    /// True when the coordinates are finite and on the globe.
    pub fn is_valid(&self) -> bool {
        self.lat_deg.is_finite()
            && self.lon_deg.is_finite()
            && (-90.0..=90.0).contains(&self.lat_deg)
            && (-180.0..=180.0).contains(&self.lon_deg)
    }
}

/// Result of the inverse geodesic problem between two points.
#[derive(Debug, Clone, Copy)]
pub struct Inverse {
    pub distance_m: f64,
    /// Azimuth at the first point towards the second, degrees true in [0, 360).
    pub azimuth1_deg: f64,
    /// Forward azimuth at the second point, degrees true in [0, 360).
    pub azimuth2_deg: f64,
}

/// Geodesic distance and azimuths from `a` to `b`.
pub fn inverse(a: LatLon, b: LatLon) -> Inverse {
    let (s12, azi1, azi2, _a12): (f64, f64, f64, f64) = wgs84().inverse(a.lat_deg, a.lon_deg, b.lat_deg, b.lon_deg);
    Inverse { distance_m: s12, azimuth1_deg: norm_deg(azi1), azimuth2_deg: norm_deg(azi2) }
}

/// Geodesic distance in metres.
pub fn distance_m(a: LatLon, b: LatLon) -> f64 {
    let s12: f64 = wgs84().inverse(a.lat_deg, a.lon_deg, b.lat_deg, b.lon_deg);
    s12
}

/// The point `distance_m` from `from` along the geodesic leaving at `azimuth_deg`.
pub fn destination(from: LatLon, azimuth_deg: f64, distance_m: f64) -> LatLon {
    let (lat, lon): (f64, f64) = wgs84().direct(from.lat_deg, from.lon_deg, azimuth_deg, distance_m);
    LatLon::new(lat, norm_lon(lon))
}

/// Normalises an angle to [0, 360).
pub fn norm_deg(a: f64) -> f64 {
    let r = a.rem_euclid(360.0);
    if r >= 360.0 {
        0.0
    } else {
        r
    }
}

/// Normalises a longitude to [-180, 180].
pub fn norm_lon(lon: f64) -> f64 {
    if (-180.0..=180.0).contains(&lon) {
        lon
    } else {
        (lon + 180.0).rem_euclid(360.0) - 180.0
    }
}

/// Local flat-earth scales, in one place: for fixed grids, and for boxes and
/// thresholds where a geodesic per point would cost too much. Nothing shown
/// to a person is measured with them.
pub mod flat {
    use super::{norm_lon, LatLon};

    /// One degree, rounded (metres): the scale of the fixed grids (clutter map,
    /// simulator) and of the local distances below. A grid is defined by it, so
    /// it does not change.
    pub const M_PER_DEG: f64 = 111_320.0;
    /// Mean length of a degree of latitude on WGS84, metres.
    pub const M_PER_DEG_LAT_MEAN: f64 = 111_132.0;
    /// Shortest degree of latitude on WGS84 (at the equator), metres.
    pub const M_PER_DEG_LAT_MIN: f64 = 110_574.0;
    /// Degree of longitude at the equator on WGS84 (a·π/180), metres.
    pub const M_PER_DEG_LON_EQ: f64 = 111_319.5;
    /// A degree on the sphere of the IUGG mean radius (6,371,008.8 m), metres:
    /// the traffic baseline's cells are defined by it.
    pub const M_PER_DEG_SPHERE: f64 = 6_371_008.8 * std::f64::consts::PI / 180.0;
    /// Margin on [`half_widths_deg`]: it errs wide, never narrow.
    const BOX_MARGIN: f64 = 1.01;

    /// Distance in metres from `a` to `b` on a plane tangent at `a`'s latitude
    /// (across the antimeridian too): for points a few kilometres apart,
    /// within a fraction of a percent of the geodesic.
    pub fn distance_m(a: LatLon, b: LatLon) -> f64 {
        let dy = (b.lat_deg - a.lat_deg) * M_PER_DEG;
        let dlon = (b.lon_deg - a.lon_deg + 540.0).rem_euclid(360.0) - 180.0;
        let dx = dlon * M_PER_DEG * a.lat_deg.to_radians().cos();
        (dx * dx + dy * dy).sqrt()
    }

    /// The point `east_m`, `north_m` metres from `p` on a plane tangent at `p`
    /// (`M_PER_DEG_LAT_MEAN` north, `M_PER_DEG` east): short offsets only.
    pub fn offset(p: LatLon, east_m: f64, north_m: f64) -> LatLon {
        let lat = p.lat_deg + north_m / M_PER_DEG_LAT_MEAN;
        let lon = p.lon_deg + east_m / (M_PER_DEG * p.lat_deg.to_radians().cos().max(1e-6));
        LatLon::new(lat.clamp(-90.0, 90.0), norm_lon(lon))
    }

    /// Half-widths (degrees of latitude, of longitude) of a box that holds
    /// every point within `radius_m` (geodesic) of any point at or below
    /// `max_abs_lat_deg`. Errs wide, so callers filter by the exact test; the
    /// longitude half-width is 360 where the box reaches a pole.
    pub fn half_widths_deg(radius_m: f64, max_abs_lat_deg: f64) -> (f64, f64) {
        let dlat = radius_m / M_PER_DEG_LAT_MIN * BOX_MARGIN;
        let cos = (max_abs_lat_deg.abs() + dlat).min(90.0).to_radians().cos();
        let dlon = if cos < 1e-6 { 360.0 } else { (radius_m / (M_PER_DEG_LON_EQ * cos) * BOX_MARGIN).min(360.0) };
        (dlat, dlon)
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::geodesy::{destination, distance_m as geodesic_m};

        #[test]
        fn a_box_holds_every_point_within_the_radius() {
            for lat in [0.0, 35.0, 51.0, 70.0, 84.0] {
                for r in [500.0, 20_000.0, 200_000.0] {
                    let c = LatLon::new(lat, 10.0);
                    let (dlat, dlon) = half_widths_deg(r, lat);
                    for az in (0..360).step_by(5) {
                        let p = destination(c, az as f64, r);
                        assert!((p.lat_deg - lat).abs() <= dlat, "lat {lat} r {r} az {az}");
                        if dlon < 360.0 {
                            let d = (p.lon_deg - 10.0 + 540.0).rem_euclid(360.0) - 180.0;
                            assert!(d.abs() <= dlon, "lat {lat} r {r} az {az}: {d} > {dlon}");
                        }
                    }
                }
            }
        }

        #[test]
        fn flat_distances_agree_with_the_geodesic_over_short_range() {
            let a = LatLon::new(35.5, 12.6);
            for az in [0.0, 45.0, 90.0, 200.0] {
                let b = destination(a, az, 5_000.0);
                let rel = (distance_m(a, b) - geodesic_m(a, b)).abs() / geodesic_m(a, b);
                assert!(rel < 0.005, "az {az}: {rel}");
            }
            // Across the antimeridian.
            let (w, e) = (LatLon::new(0.0, 179.99), LatLon::new(0.0, -179.99));
            assert!((distance_m(w, e) - 0.02 * M_PER_DEG).abs() < 1e-6);
        }
    }
}

/// Great-circle distance on a sphere of the WGS84 authalic radius. About 100×
/// cheaper than the geodesic and within 0.5 % of it: used only to pre-filter
/// and rank candidates before the exact geodesic decides.
pub fn haversine_m(a: LatLon, b: LatLon) -> f64 {
    const R_M: f64 = 6_371_007.2;
    let (p1, p2) = (a.lat_deg.to_radians(), b.lat_deg.to_radians());
    let dp = p2 - p1;
    let dl = (b.lon_deg - a.lon_deg).to_radians();
    let h = (dp * 0.5).sin().powi(2) + p1.cos() * p2.cos() * (dl * 0.5).sin().powi(2);
    2.0 * R_M * h.sqrt().min(1.0).asin()
}

/// Position after moving `elapsed_s` seconds at `sog_kn` on `cog_deg` from `from`.
pub fn dead_reckon(from: LatLon, cog_deg: f64, sog_kn: f64, elapsed_s: f64) -> LatLon {
    if sog_kn <= 0.0 || elapsed_s <= 0.0 {
        return from;
    }
    destination(from, cog_deg, sog_kn * MS_PER_KN * elapsed_s)
}

/// Closest point of approach of a vessel on a straight track to a fixed point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cpa {
    pub distance_m: f64,
    /// Seconds from the vessel's position to the CPA; 0 when it is moving away.
    pub time_s: f64,
}

/// CPA of a vessel at `vessel` moving at `sog_kn` on `cog_deg` to `point`.
///
/// Computed in a local tangent plane at `point` (east/north metres from the
/// exact geodesic distance and azimuth): over the tens of nautical miles a
/// rescue query covers, the plane's error is far below AIS position noise.
pub fn cpa_to_point(vessel: LatLon, cog_deg: f64, sog_kn: f64, point: LatLon) -> Cpa {
    let inv = inverse(point, vessel);
    let az = inv.azimuth1_deg.to_radians();
    let (rx, ry) = (inv.distance_m * az.sin(), inv.distance_m * az.cos());
    let v = sog_kn * MS_PER_KN;
    let c = cog_deg.to_radians();
    let (vx, vy) = (v * c.sin(), v * c.cos());
    let vv = vx * vx + vy * vy;
    if vv == 0.0 {
        return Cpa { distance_m: inv.distance_m, time_s: 0.0 };
    }
    let t = -(rx * vx + ry * vy) / vv;
    if t <= 0.0 {
        return Cpa { distance_m: inv.distance_m, time_s: 0.0 };
    }
    let (cx, cy) = (rx + vx * t, ry + vy * t);
    Cpa { distance_m: (cx * cx + cy * cy).sqrt(), time_s: t }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn karney_reference_distance() {
        // JFK to LHR: published great-circle figures give about 5,555 km; the
        // ellipsoidal value differs by a few km, hence the loose bound.
        let jfk = LatLon::new(40.6413, -73.7781);
        let lhr = LatLon::new(51.4700, -0.4543);
        let d = distance_m(jfk, lhr);
        assert!((d - 5_554_539.0).abs() < 5_000.0, "{d}");
        // Haversine within 0.5 %.
        assert!((haversine_m(jfk, lhr) - d).abs() / d < 0.005);
    }

    #[test]
    fn one_minute_of_latitude_is_about_a_nautical_mile() {
        let a = LatLon::new(45.0, 10.0);
        let b = LatLon::new(45.0 + 1.0 / 60.0, 10.0);
        let d = distance_m(a, b);
        assert!((d - M_PER_NM).abs() < 5.0, "{d}");
        assert!(inverse(a, b).azimuth1_deg.abs() < 1e-9);
    }

    #[test]
    fn dead_reckoning_north_at_ten_knots_for_an_hour() {
        let p = dead_reckon(LatLon::new(35.0, 12.0), 0.0, 10.0, 3600.0);
        let d = distance_m(LatLon::new(35.0, 12.0), p);
        assert!((d - 10.0 * M_PER_NM).abs() < 0.01, "{d}");
        assert!((p.lon_deg - 12.0).abs() < 1e-9);
    }

    #[test]
    fn cpa_of_a_vessel_passing_abeam() {
        // Vessel 1 nm west and 2 nm south of the point, heading north at 12 kn:
        // passes 1 nm abeam after 2 nm, i.e. 10 minutes.
        let point = LatLon::new(36.0, 14.0);
        let south = destination(point, 180.0, 2.0 * M_PER_NM);
        let start = destination(south, 270.0, M_PER_NM);
        let cpa = cpa_to_point(start, 0.0, 12.0, point);
        assert!((cpa.distance_m - M_PER_NM).abs() < 10.0, "{cpa:?}");
        assert!((cpa.time_s - 600.0).abs() < 3.0, "{cpa:?}");
        // Moving away: CPA is now.
        let away = cpa_to_point(start, 180.0, 12.0, point);
        assert_eq!(away.time_s, 0.0);
    }

    #[test]
    fn longitudes_wrap() {
        assert_eq!(norm_lon(190.0), -170.0);
        assert_eq!(norm_deg(-90.0), 270.0);
        let p = destination(LatLon::new(0.0, 179.9), 90.0, 50_000.0);
        assert!(p.lon_deg < -179.0, "{p:?}");
    }
}
