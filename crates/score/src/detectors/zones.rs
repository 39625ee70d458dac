//! Named places from the configuration (`[[zone]]`): ports, anchorages,
//! fishing grounds and the traffic lanes of routeing schemes, as `geo`
//! polygons. The detectors use them with the baseline's learned rest areas to
//! tell "away from port": waiting in a port or an anchorage is ordinary for
//! anyone, lingering on a fishing ground is ordinary for fishing vessels. A
//! traffic lane (from the chart, e.g. a traffic separation scheme) has a
//! direction of flow, and a ship sailing against it breaks COLREG rule 10.

use geo::{BoundingRect, Centroid, Contains, LineString, Point, Polygon, Rect};

use lookout_core::geodesy::LatLon;

/// What a zone is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneKind {
    Port,
    Anchorage,
    FishingGround,
    /// A lane of a traffic separation scheme (with a direction of flow).
    TrafficLane,
}

/// A named place: `kind` is "port", "anchorage", "fishing_ground" or
/// "traffic_lane"; `polygon` its vertices as `[lat, lon]` degrees (at least
/// 3); `direction_deg` the direction of traffic flow of a traffic lane
/// (required for one, refused for the others).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneConfig {
    pub name: String,
    pub kind: ZoneKind,
    pub polygon: Vec<[f64; 2]>,
    #[serde(default)]
    pub direction_deg: Option<f64>,
}

impl ZoneConfig {
    /// What is wrong with this zone, each problem naming it.
    pub fn problems(&self) -> Vec<String> {
        let zone = format!("zone {:?}", self.name);
        let mut out = Vec::new();
        if self.name.trim().is_empty() {
            out.push(format!("{zone}: name must be set"));
        }
        if self.polygon.len() < 3 {
            out.push(format!("{zone}: polygon needs at least 3 [lat, lon] points"));
        }
        if let Some(p) = self.polygon.iter().find(|p| !LatLon::new(p[0], p[1]).is_valid()) {
            out.push(format!("{zone}: point {p:?} is not a valid [lat, lon]"));
        }
        let lane = self.kind == ZoneKind::TrafficLane;
        match self.direction_deg {
            None if lane => out.push(format!("{zone}: a traffic_lane needs direction_deg (its flow, degrees)")),
            Some(_) if !lane => out.push(format!("{zone}: direction_deg is only for a traffic_lane")),
            Some(d) if !(0.0..360.0).contains(&d) => {
                out.push(format!("{zone}: direction_deg {d} is not within 0..360"))
            }
            _ => {}
        }
        out
    }

    /// The zone, ready for the detectors (call on a zone without problems).
    pub fn zone(&self) -> Zone {
        match self.direction_deg {
            Some(d) => Zone::traffic_lane(&self.name, d, &self.polygon),
            None => Zone::new(&self.name, self.kind, &self.polygon),
        }
    }
}

/// One zone, ready for point-in-polygon tests.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    pub name: String,
    pub kind: ZoneKind,
    /// The direction of traffic flow of a traffic lane, degrees true.
    pub direction_deg: Option<f64>,
    /// Exterior ring in (x = lon, y = lat) degrees.
    polygon: Polygon<f64>,
    /// Its bounding box and centroid, computed once: the detectors test
    /// every zone on every report (30 zones in `config/dover.toml`), and
    /// without the box test and with the centroid recomputed per call that
    /// was most of the scoring time there (measured with `cargo bench
    /// --bench score -- --area dover-strait`).
    bbox: Option<Rect<f64>>,
    centre: Option<LatLon>,
}

impl Zone {
    /// A zone from `[lat, lon]` vertices (closed automatically). The caller
    /// validates them ([`ZoneConfig::problems`]).
    pub fn new(name: &str, kind: ZoneKind, vertices: &[[f64; 2]]) -> Self {
        let ring: LineString<f64> = vertices.iter().map(|&[lat, lon]| (lon, lat)).collect::<Vec<_>>().into();
        let polygon = Polygon::new(ring, vec![]);
        Self {
            name: name.to_string(),
            kind,
            direction_deg: None,
            bbox: polygon.bounding_rect(),
            centre: polygon.centroid().map(|c| LatLon::new(c.y(), c.x())),
            polygon,
        }
    }

    /// A traffic lane whose traffic flows towards `direction_deg`.
    pub fn traffic_lane(name: &str, direction_deg: f64, vertices: &[[f64; 2]]) -> Self {
        Self {
            direction_deg: Some(direction_deg.rem_euclid(360.0)),
            ..Self::new(name, ZoneKind::TrafficLane, vertices)
        }
    }

    pub fn contains(&self, p: LatLon) -> bool {
        let pt = Point::new(p.lon_deg, p.lat_deg);
        self.bbox.is_some_and(|b| b.contains(&pt)) && self.polygon.contains(&pt)
    }

    /// The polygon's centroid.
    pub fn centre(&self) -> Option<LatLon> {
        self.centre
    }
}

/// The configured zones.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Zones {
    zones: Vec<Zone>,
}

impl Zones {
    pub fn new(zones: Vec<Zone>) -> Self {
        Self { zones }
    }

    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Zone> {
        self.zones.iter()
    }

    /// The first zone of one of `kinds` containing `p`.
    pub fn find(&self, p: LatLon, kinds: &[ZoneKind]) -> Option<&Zone> {
        self.zones.iter().find(|z| kinds.contains(&z.kind) && z.contains(p))
    }

    /// Whether any port or anchorage is configured.
    pub fn has_rest_places(&self) -> bool {
        self.zones.iter().any(|z| matches!(z.kind, ZoneKind::Port | ZoneKind::Anchorage))
    }

    /// In a port or an anchorage.
    pub fn at_rest_place(&self, p: LatLon) -> bool {
        self.find(p, &[ZoneKind::Port, ZoneKind::Anchorage]).is_some()
    }

    /// A port or an anchorage within `max_m` of `p` whose centre lies within
    /// `max_off_deg` of the course `cog_deg`: a ship steering for it.
    pub fn port_ahead(&self, p: LatLon, cog_deg: f64, max_m: f64, max_off_deg: f64) -> Option<&Zone> {
        self.zones.iter().filter(|z| matches!(z.kind, ZoneKind::Port | ZoneKind::Anchorage)).find(|z| {
            z.centre().is_some_and(|c| {
                // A cheap spherical distance first (it is within 0.5 %
                // of the geodesic one): most zones are far away.
                if lookout_core::geodesy::haversine_m(p, c) > max_m * 1.01 {
                    return false;
                }
                let inv = lookout_core::geodesy::inverse(p, c);
                let off = (inv.azimuth1_deg - cog_deg + 540.0).rem_euclid(360.0) - 180.0;
                inv.distance_m <= max_m && off.abs() <= max_off_deg
            })
        })
    }

    /// On a fishing ground.
    pub fn on_fishing_ground(&self, p: LatLon) -> bool {
        self.find(p, &[ZoneKind::FishingGround]).is_some()
    }

    /// A traffic lane containing `p` whose flow differs from `cog_deg` by at
    /// least `min_off_deg`: a ship there on that course sails against it.
    pub fn lane_against(&self, p: LatLon, cog_deg: f64, min_off_deg: f64) -> Option<&Zone> {
        self.zones.iter().filter(|z| z.kind == ZoneKind::TrafficLane).find(|z| {
            z.direction_deg.is_some_and(|d| ((cog_deg - d + 540.0).rem_euclid(360.0) - 180.0).abs() >= min_off_deg)
                && z.contains(p)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_in_zone() {
        let z = Zones::new(vec![
            Zone::new("hurd", ZoneKind::Anchorage, &[[35.90, 14.62], [35.90, 14.70], [35.84, 14.70], [35.84, 14.62]]),
            Zone::new("ground", ZoneKind::FishingGround, &[[35.2, 12.6], [35.3, 12.7], [35.2, 12.8]]),
        ]);
        assert!(z.at_rest_place(LatLon::new(35.87, 14.66)));
        assert!(!z.at_rest_place(LatLon::new(35.87, 14.75)));
        assert!(!z.on_fishing_ground(LatLon::new(35.87, 14.66)));
        assert!(z.on_fishing_ground(LatLon::new(35.22, 12.7)));
        assert!(!z.on_fishing_ground(LatLon::new(35.28, 12.62)));
        assert_eq!(z.find(LatLon::new(35.87, 14.66), &[ZoneKind::Anchorage]).map(|z| z.name.as_str()), Some("hurd"));
        // 6 nm north of the anchorage: steering 180° for it, not 090°.
        let north = LatLon::new(35.97, 14.66);
        assert!(z.port_ahead(north, 180.0, 12.0 * 1852.0, 30.0).is_some());
        assert!(z.port_ahead(north, 90.0, 12.0 * 1852.0, 30.0).is_none());
        assert!(z.port_ahead(north, 180.0, 3.0 * 1852.0, 30.0).is_none());
    }

    #[test]
    fn against_a_traffic_lane() {
        // A lane flowing 230° (the Dover Strait's south-west-bound lane, roughly).
        let z = Zones::new(vec![Zone::traffic_lane(
            "sw lane",
            230.0,
            &[[51.10, 1.50], [51.07, 1.55], [50.98, 1.38], [51.01, 1.33]],
        )]);
        let inside = LatLon::new(51.04, 1.44);
        assert_eq!(z.lane_against(inside, 50.0, 135.0).map(|z| z.name.as_str()), Some("sw lane"));
        assert!(z.lane_against(inside, 10.0, 135.0).is_some(), "140° off the flow");
        assert!(z.lane_against(inside, 230.0, 135.0).is_none(), "with the flow");
        assert!(z.lane_against(inside, 120.0, 135.0).is_none(), "crossing at right angles");
        assert!(z.lane_against(LatLon::new(51.2, 1.44), 50.0, 135.0).is_none(), "outside the lane");
        assert!(!z.at_rest_place(inside));
    }
}
