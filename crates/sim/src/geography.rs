//! The simulator's geographic vocabulary: positions, harbours, working areas,
//! shore stations and lights. Coordinates are decimal degrees (WGS 84). The
//! places themselves are in [`super::region`], one module per sea area.

/// A position in decimal degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatLon {
    /// Latitude, degrees north.
    pub lat: f64,
    /// Longitude, degrees east.
    pub lon: f64,
}

/// Shorthand constructor, latitude first as charts are read.
pub const fn ll(lat: f64, lon: f64) -> LatLon {
    LatLon { lat, lon }
}

impl LatLon {
    /// As a `geo` point (x = longitude, y = latitude).
    pub fn point(self) -> geo::Point<f64> {
        geo::Point::new(self.lon, self.lat)
    }
}

/// A harbour: where boats berth and the channel out to open water.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Port {
    pub name: &'static str,
    /// Berth / mooring position inside the harbour.
    pub berth: LatLon,
    /// Waypoints from the berth out to open water (last one is "outside").
    pub exits: &'static [LatLon],
    /// Centre of the bearing sector, seen from the last exit, that is open sea, degrees.
    pub sea_bearing_deg: f64,
    /// Width of that sector, degrees; random day-trip points are drawn inside it.
    pub sea_arc_deg: f64,
    /// Yachts stop at anchor only at day-trip points this close to the last
    /// exit, nm (sheltered bays; no one anchors in a shipping lane).
    pub anchor_max_nm: f64,
}

/// A circular working area (fishing ground, patrol box, pilot boarding ground).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    pub centre: LatLon,
    pub radius_nm: f64,
    /// Waypoints between the home port's last exit and the area (to round an island).
    pub approach: &'static [LatLon],
}

/// A receiving AIS shore station; its name is the tag-block `s:` value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Station {
    pub name: &'static str,
    pub pos: LatLon,
    /// MMSI of the co-located base station (type 4 source), 00MIDxxxx.
    pub base_mmsi: u32,
}

/// A lighthouse or buoy that transmits type 21.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Light {
    pub name: &'static str,
    pub pos: LatLon,
    pub mmsi: u32,
    /// M.1371 Table 71 aid type (5 light without sectors, 6 sectored light).
    pub aid_type: u8,
}
