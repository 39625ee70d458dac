//! Real-world geography of the Strait of Sicily used by the simulator: ports, routes,
//! fishing grounds, receiving stations and lights. Coordinates are decimal degrees
//! (WGS 84). Routes are waypoint lists through open water, chosen by hand to stay
//! clear of Sicily, Malta/Gozo, Pantelleria, Linosa, Lampedusa and Cap Bon.

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
#[derive(Debug, Clone, Copy)]
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
}

/// A circular working area (fishing ground, patrol box, pilot boarding ground).
#[derive(Debug, Clone, Copy)]
pub struct Area {
    pub centre: LatLon,
    pub radius_nm: f64,
    /// Waypoints between the home port's last exit and the area (to round an island).
    pub approach: &'static [LatLon],
}

/// A receiving AIS shore station; its name is the tag-block `s:` value.
#[derive(Debug, Clone, Copy)]
pub struct Station {
    pub name: &'static str,
    pub pos: LatLon,
    /// MMSI of the co-located base station (type 4 source), 00MIDxxxx.
    pub base_mmsi: u32,
}

/// A lighthouse or buoy that transmits type 21.
#[derive(Debug, Clone, Copy)]
pub struct Light {
    pub name: &'static str,
    pub pos: LatLon,
    pub mmsi: u32,
    /// M.1371 Table 71 aid type (5 light without sectors, 6 sectored light).
    pub aid_type: u8,
}

pub const STATIONS: &[Station] = &[
    Station {
        name: "lampedusa",
        pos: ll(35.515, 12.585),
        base_mmsi: 2_470_017,
    },
    Station {
        name: "malta",
        pos: ll(35.860, 14.390),
        base_mmsi: 2_151_000,
    },
    Station {
        name: "pozzallo",
        pos: ll(36.725, 14.840),
        base_mmsi: 2_470_031,
    },
];

pub const LIGHTS: &[Light] = &[
    Light {
        name: "CAPO GRECALE",
        pos: ll(35.5207, 12.6290),
        mmsi: 992_471_001,
        aid_type: 5,
    },
    Light {
        name: "DELIMARA",
        pos: ll(35.8290, 14.5617),
        mmsi: 992_151_001,
        aid_type: 6,
    },
    Light {
        name: "GIORDAN",
        pos: ll(36.0726, 14.2187),
        mmsi: 992_151_002,
        aid_type: 5,
    },
    Light {
        name: "LINOSA",
        pos: ll(35.8573, 12.8613),
        mmsi: 992_471_002,
        aid_type: 5,
    },
    Light {
        name: "CAPO PASSERO",
        pos: ll(36.6878, 15.1487),
        mmsi: 992_471_003,
        aid_type: 6,
    },
];

// Harbours.
pub const GRAND_HARBOUR: Port = Port {
    name: "valletta",
    berth: ll(35.8930, 14.5160),
    exits: &[
        ll(35.8985, 14.5250),
        ll(35.9100, 14.5450),
        ll(35.9000, 14.6000),
    ],
    sea_bearing_deg: 60.0,
    sea_arc_deg: 100.0,
};
pub const MSIDA: Port = Port {
    name: "msida",
    berth: ll(35.8970, 14.4940),
    exits: &[ll(35.9030, 14.5080), ll(35.9150, 14.5250)],
    sea_bearing_deg: 45.0,
    sea_arc_deg: 100.0,
};
pub const MARSAXLOKK: Port = Port {
    name: "marsaxlokk",
    berth: ll(35.8330, 14.5450),
    exits: &[ll(35.8220, 14.5600), ll(35.8100, 14.5800)],
    sea_bearing_deg: 150.0,
    sea_arc_deg: 110.0,
};
pub const POZZALLO: Port = Port {
    name: "pozzallo",
    berth: ll(36.7150, 14.8460),
    exits: &[ll(36.7050, 14.8500)],
    sea_bearing_deg: 180.0,
    sea_arc_deg: 110.0,
};
pub const MARINA_DI_RAGUSA: Port = Port {
    name: "marina di ragusa",
    berth: ll(36.7820, 14.5530),
    exits: &[ll(36.7740, 14.5540)],
    sea_bearing_deg: 195.0,
    sea_arc_deg: 90.0,
};
pub const LICATA: Port = Port {
    name: "licata",
    berth: ll(37.0990, 13.9380),
    exits: &[ll(37.0850, 13.9400)],
    sea_bearing_deg: 185.0,
    sea_arc_deg: 100.0,
};
pub const LAMPEDUSA: Port = Port {
    name: "lampedusa",
    berth: ll(35.4990, 12.6050),
    exits: &[ll(35.4920, 12.6060), ll(35.4750, 12.6000)],
    sea_bearing_deg: 170.0,
    sea_arc_deg: 120.0,
};
pub const MAZARA: Port = Port {
    name: "mazara del vallo",
    berth: ll(37.6440, 12.5900),
    exits: &[ll(37.6250, 12.5850)],
    sea_bearing_deg: 215.0,
    sea_arc_deg: 60.0,
};
pub const AUGUSTA: Port = Port {
    name: "augusta",
    berth: ll(37.2100, 15.2150),
    exits: &[ll(37.1920, 15.2350), ll(37.1850, 15.2700)],
    sea_bearing_deg: 110.0,
    sea_arc_deg: 80.0,
};

// Fishing grounds.
pub const GROUND_LAMPEDUSA_W: Area = Area {
    centre: ll(35.75, 12.30),
    radius_nm: 5.0,
    approach: &[ll(35.47, 12.50)],
};
pub const GROUND_LAMPEDUSA_S: Area = Area {
    centre: ll(35.25, 12.70),
    radius_nm: 6.0,
    approach: &[],
};
pub const GROUND_ADVENTURE_BANK: Area = Area {
    centre: ll(37.05, 12.20),
    radius_nm: 6.0,
    approach: &[],
};
pub const GROUND_MAZARA: Area = Area {
    centre: ll(37.40, 12.40),
    radius_nm: 5.0,
    approach: &[],
};
pub const GROUND_MALTA_SW: Area = Area {
    centre: ll(35.70, 14.10),
    radius_nm: 5.0,
    approach: &[ll(35.76, 14.50)],
};
pub const GROUND_POZZALLO: Area = Area {
    centre: ll(36.45, 14.75),
    radius_nm: 5.0,
    approach: &[],
};
pub const GROUND_LICATA: Area = Area {
    centre: ll(36.85, 13.85),
    radius_nm: 6.0,
    approach: &[],
};

// Harbour-craft and SAR working areas.
pub const PILOT_VALLETTA: Area = Area {
    centre: ll(35.93, 14.56),
    radius_nm: 2.0,
    approach: &[],
};
pub const PILOT_AUGUSTA: Area = Area {
    centre: ll(37.17, 15.32),
    radius_nm: 2.0,
    approach: &[],
};
pub const PATROL_LAMPEDUSA: Area = Area {
    centre: ll(35.20, 12.60),
    radius_nm: 12.0,
    approach: &[],
};
pub const PATROL_MALTA: Area = Area {
    centre: ll(35.60, 14.80),
    radius_nm: 10.0,
    approach: &[],
};
pub const PATROL_POZZALLO: Area = Area {
    centre: ll(36.50, 14.90),
    radius_nm: 10.0,
    approach: &[],
};

// Anchorages (ships waiting for a berth or bunkering).
pub const ANCHORAGE_HURDS_BANK: Area = Area {
    centre: ll(35.87, 14.66),
    radius_nm: 1.5,
    approach: &[],
};
pub const ANCHORAGE_AUGUSTA: Area = Area {
    centre: ll(37.24, 15.31),
    radius_nm: 1.2,
    approach: &[],
};

/// Gibraltar–Suez lane, eastbound (south, starboard side of the westbound lane).
pub const LANE_EASTBOUND: &[LatLon] = &[
    ll(37.220, 10.60),
    ll(37.190, 11.30),
    ll(36.920, 12.20),
    ll(36.320, 13.60),
    ll(35.660, 14.35),
    ll(35.580, 15.20),
    ll(34.580, 18.00),
];

/// Gibraltar–Suez lane, westbound, about 2.7 nm north of the eastbound lane.
pub const LANE_WESTBOUND: &[LatLon] = &[
    ll(34.630, 18.00),
    ll(35.625, 15.20),
    ll(35.705, 14.35),
    ll(36.365, 13.60),
    ll(36.965, 12.20),
    ll(37.235, 11.30),
    ll(37.265, 10.60),
];

/// Marsaxlokk Freeport → Augusta (north-south lane, east of Capo Passero).
pub const ROUTE_MARSAXLOKK_AUGUSTA: &[LatLon] = &[
    ll(35.822, 14.548),
    ll(35.805, 14.575),
    ll(36.000, 14.950),
    ll(36.550, 15.420),
    ll(37.050, 15.450),
    ll(37.190, 15.260),
    ll(37.205, 15.225),
];

/// Marsaxlokk Freeport → Catania.
pub const ROUTE_MARSAXLOKK_CATANIA: &[LatLon] = &[
    ll(35.822, 14.548),
    ll(35.805, 14.575),
    ll(36.000, 14.950),
    ll(36.550, 15.420),
    ll(37.050, 15.450),
    ll(37.350, 15.270),
    ll(37.470, 15.115),
    ll(37.492, 15.097),
];

/// High-speed ferry, Valletta (Grand Harbour) → Pozzallo.
pub const ROUTE_VALLETTA_POZZALLO: &[LatLon] = &[
    ll(35.893, 14.516),
    ll(35.8985, 14.525),
    ll(35.910, 14.545),
    ll(35.970, 14.600),
    ll(36.680, 14.840),
    ll(36.703, 14.850),
    ll(36.714, 14.845),
];

/// Ferry, Lampedusa → Porto Empedocle (east of Linosa).
pub const ROUTE_LAMPEDUSA_EMPEDOCLE: &[LatLon] = &[
    ll(35.499, 12.605),
    ll(35.490, 12.610),
    ll(35.495, 12.660),
    ll(35.860, 12.980),
    ll(37.250, 13.500),
    ll(37.284, 13.525),
];

/// Ferry, Tunis (La Goulette) → Palermo, north of Zembra and the Egadi islands.
pub const ROUTE_TUNIS_PALERMO: &[LatLon] = &[
    ll(36.810, 10.305),
    ll(36.830, 10.370),
    ll(37.000, 10.500),
    ll(37.320, 10.950),
    ll(38.050, 11.900),
    ll(38.300, 12.400),
    ll(38.300, 12.800),
    ll(38.250, 13.420),
    ll(38.140, 13.375),
    ll(38.127, 13.370),
];
