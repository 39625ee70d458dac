//! The Strait of Sicily: Lampedusa, Linosa, Malta, south-east Sicily, the
//! Tunisian shelf and the Gibraltar–Suez lane. Coordinates are decimal degrees
//! (WGS 84). Routes are waypoint lists through open water, chosen by hand to stay
//! clear of Sicily, Malta/Gozo, Pantelleria, Linosa, Lampedusa and Cap Bon.
//!
//! Boats without AIS come from Libya (rubber and wooden boats) and from Sfax and
//! Kerkennah in Tunisia (small metal boats), all for Lampedusa; a 150 nm
//! crossing does not fit in an hour's recording, so they start 10–40 nm south
//! and south-west of the island.

use super::{
    Boat, BoatSpec, Crossing, CrowdedBoat, DarkRoute, FerryTurn, Incidents, Origin, PilotStation, Racetrack, Region,
    RegionId, Sector,
};
use crate::dark::DarkKind;
use crate::geography::{ll, Area, LatLon, Light, Port, Station};
use crate::identity::{Flag, Locale};
use crate::radar::RadarSite;
use crate::world::{anchored, coastal, ferry, harbour, lane, leisure, patrol, Behaviour, FleetSpec, VesselKind};

pub const STATIONS: &[Station] = &[
    Station { name: "lampedusa", pos: ll(35.515, 12.585), base_mmsi: 2_470_017 },
    Station { name: "malta", pos: ll(35.860, 14.390), base_mmsi: 2_151_000 },
    Station { name: "pozzallo", pos: ll(36.725, 14.840), base_mmsi: 2_470_031 },
];

pub const LIGHTS: &[Light] = &[
    Light { name: "CAPO GRECALE", pos: ll(35.5207, 12.6290), mmsi: 992_471_001, aid_type: 5 },
    Light { name: "DELIMARA", pos: ll(35.8290, 14.5617), mmsi: 992_151_001, aid_type: 6 },
    Light { name: "GIORDAN", pos: ll(36.0726, 14.2187), mmsi: 992_151_002, aid_type: 5 },
    Light { name: "LINOSA", pos: ll(35.8573, 12.8613), mmsi: 992_471_002, aid_type: 5 },
    Light { name: "CAPO PASSERO", pos: ll(36.6878, 15.1487), mmsi: 992_471_003, aid_type: 6 },
];

// Harbours.
pub const GRAND_HARBOUR: Port = Port {
    name: "valletta",
    berth: ll(35.8930, 14.5160),
    exits: &[ll(35.8985, 14.5250), ll(35.9100, 14.5450), ll(35.9000, 14.6000)],
    sea_bearing_deg: 60.0,
    sea_arc_deg: 100.0,
    anchor_max_nm: 9.0,
};
pub const MSIDA: Port = Port {
    name: "msida",
    berth: ll(35.8970, 14.4940),
    exits: &[ll(35.9030, 14.5080), ll(35.9150, 14.5250)],
    sea_bearing_deg: 45.0,
    sea_arc_deg: 100.0,
    anchor_max_nm: 9.0,
};
pub const MARSAXLOKK: Port = Port {
    name: "marsaxlokk",
    berth: ll(35.8330, 14.5450),
    exits: &[ll(35.8220, 14.5600), ll(35.8100, 14.5800)],
    sea_bearing_deg: 150.0,
    sea_arc_deg: 110.0,
    anchor_max_nm: 9.0,
};
pub const POZZALLO: Port = Port {
    name: "pozzallo",
    berth: ll(36.7150, 14.8460),
    exits: &[ll(36.7050, 14.8500)],
    sea_bearing_deg: 180.0,
    sea_arc_deg: 110.0,
    anchor_max_nm: 9.0,
};
pub const MARINA_DI_RAGUSA: Port = Port {
    name: "marina di ragusa",
    berth: ll(36.7820, 14.5530),
    exits: &[ll(36.7740, 14.5540)],
    sea_bearing_deg: 195.0,
    sea_arc_deg: 90.0,
    anchor_max_nm: 9.0,
};
pub const LICATA: Port = Port {
    name: "licata",
    berth: ll(37.0990, 13.9380),
    exits: &[ll(37.0850, 13.9400)],
    sea_bearing_deg: 185.0,
    sea_arc_deg: 100.0,
    anchor_max_nm: 9.0,
};
pub const LAMPEDUSA: Port = Port {
    name: "lampedusa",
    berth: ll(35.4990, 12.6050),
    exits: &[ll(35.4920, 12.6060), ll(35.4750, 12.6000)],
    sea_bearing_deg: 170.0,
    sea_arc_deg: 120.0,
    anchor_max_nm: 9.0,
};
pub const MAZARA: Port = Port {
    name: "mazara del vallo",
    berth: ll(37.6440, 12.5900),
    exits: &[ll(37.6250, 12.5850)],
    sea_bearing_deg: 215.0,
    sea_arc_deg: 60.0,
    anchor_max_nm: 9.0,
};
pub const AUGUSTA: Port = Port {
    name: "augusta",
    berth: ll(37.2100, 15.2150),
    exits: &[ll(37.1920, 15.2350), ll(37.1850, 15.2700)],
    sea_bearing_deg: 110.0,
    sea_arc_deg: 80.0,
    anchor_max_nm: 9.0,
};

// Fishing grounds.
pub const GROUND_LAMPEDUSA_W: Area = Area { centre: ll(35.75, 12.30), radius_nm: 5.0, approach: &[ll(35.47, 12.50)] };
pub const GROUND_LAMPEDUSA_S: Area = Area { centre: ll(35.25, 12.70), radius_nm: 6.0, approach: &[] };
pub const GROUND_ADVENTURE_BANK: Area = Area { centre: ll(37.05, 12.20), radius_nm: 6.0, approach: &[] };
pub const GROUND_MAZARA: Area = Area { centre: ll(37.40, 12.40), radius_nm: 5.0, approach: &[] };
pub const GROUND_MALTA_SW: Area = Area { centre: ll(35.70, 14.10), radius_nm: 5.0, approach: &[ll(35.76, 14.50)] };
pub const GROUND_POZZALLO: Area = Area { centre: ll(36.45, 14.75), radius_nm: 5.0, approach: &[] };
pub const GROUND_LICATA: Area = Area { centre: ll(36.85, 13.85), radius_nm: 6.0, approach: &[] };

// Harbour-craft and SAR working areas.
pub const PILOT_VALLETTA: Area = Area { centre: ll(35.93, 14.56), radius_nm: 2.0, approach: &[] };
pub const PILOT_AUGUSTA: Area = Area { centre: ll(37.17, 15.32), radius_nm: 2.0, approach: &[] };
pub const PATROL_LAMPEDUSA: Area = Area { centre: ll(35.20, 12.60), radius_nm: 12.0, approach: &[] };
pub const PATROL_MALTA: Area = Area { centre: ll(35.60, 14.80), radius_nm: 10.0, approach: &[] };
pub const PATROL_POZZALLO: Area = Area { centre: ll(36.50, 14.90), radius_nm: 10.0, approach: &[] };

// Anchorages (ships waiting for a berth or bunkering).
pub const ANCHORAGE_HURDS_BANK: Area = Area { centre: ll(35.87, 14.66), radius_nm: 1.5, approach: &[] };
pub const ANCHORAGE_AUGUSTA: Area = Area { centre: ll(37.24, 15.31), radius_nm: 1.2, approach: &[] };

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

/// The default radar sites, near the real coastguard / VTS radar positions.
pub const RADAR_SITES: &[RadarSite] = &[
    RadarSite {
        name: "radar-lampedusa",
        lat: 35.52,
        lon: 12.62,
        range_nm: 32.0,
        revisit_s: 2.5,
        range_sigma_m: 30.0,
        bearing_sigma_deg: 0.5,
    },
    RadarSite {
        name: "radar-malta",
        lat: 35.86,
        lon: 14.38,
        range_nm: 40.0,
        revisit_s: 3.0,
        range_sigma_m: 40.0,
        bearing_sigma_deg: 0.4,
    },
    RadarSite {
        name: "radar-pozzallo",
        lat: 36.72,
        lon: 14.85,
        range_nm: 28.0,
        revisit_s: 2.5,
        range_sigma_m: 25.0,
        bearing_sigma_deg: 0.7,
    },
];

const LOCAL_FLAGS: &[Flag] = &[(247, "I"), (247, "I"), (215, "9H"), (256, "9H"), (229, "9H")];
const TUNIS_PALERMO_FLAGS: &[Flag] = &[(672, "TS"), (247, "I")];

const FISHING_NAMES: &[&str] = &[
    "SANTA MARIA",
    "NUOVO SAN GIUSEPPE",
    "MADONNA DI TRAPANI",
    "FRANCESCO PADRE",
    "ALBATROS",
    "ANTONINO",
    "SAN PAWL",
    "MARIJA",
    "SANTA LUCIA",
    "ROSARIO",
    "ANNA MADRE",
    "NUOVA SPERANZA",
    "SAN FRANCESCO",
    "PADRE PIO",
    "DELFINO",
    "AQUILA",
];
const LEISURE_NAMES: &[&str] = &[
    "BLUE LAGOON",
    "SEA BREEZE",
    "LA DOLCE VITA",
    "MISTRAL",
    "ODYSSEY",
    "WINDSONG",
    "LIBECCIO",
    "SCIROCCO",
    "AZZURRA",
    "GRECALE",
    "MERAKI",
    "SERENITY",
    "KALYPSO",
    "NAUTILUS",
    "STELLA MARIS",
    "GIULIA",
    "LUNA ROSSA",
    "GHAWDEX",
];
const HSC_NAMES: &[&str] = &["MALTA EXPRESS", "GOZO JET", "SICILIA EXPRESS"];
const FERRY_NAMES: &[&str] = &["PELAGIE", "LAMPEDUSA STAR", "CARTHAGE LINK", "TANIT STAR", "PALERMO BRIDGE"];

/// The ordinary fleet at scale 1.0 (~200 vessels).
fn fleet() -> Vec<FleetSpec> {
    use VesselKind::*;
    vec![
        FleetSpec {
            kind: Cargo,
            count: 50,
            make: |r| lane(r, LANES, 13.0..18.5, (EAST_DESTS, WEST_DESTS), (6.0, 30.0)),
            class_b_share: 0.0,
        },
        FleetSpec {
            kind: Tanker,
            count: 30,
            make: |r| lane(r, LANES, 11.5..15.0, (EAST_DESTS, WEST_DESTS), (6.0, 30.0)),
            class_b_share: 0.0,
        },
        FleetSpec {
            kind: Cargo,
            count: 6,
            make: |r| coastal(r, ROUTE_MARSAXLOKK_CATANIA, ("IT CTA", "MT MAR")),
            class_b_share: 0.0,
        },
        FleetSpec {
            kind: Tanker,
            count: 6,
            make: |r| coastal(r, ROUTE_MARSAXLOKK_AUGUSTA, ("IT AUG", "MT MAR")),
            class_b_share: 0.0,
        },
        FleetSpec { kind: Cargo, count: 3, make: |r| anchored(r, ANCHORAGE_HURDS_BANK, "MT MAR"), class_b_share: 0.0 },
        FleetSpec { kind: Tanker, count: 3, make: |r| anchored(r, ANCHORAGE_HURDS_BANK, "MT MLA"), class_b_share: 0.0 },
        FleetSpec { kind: Tanker, count: 3, make: |r| anchored(r, ANCHORAGE_AUGUSTA, "IT AUG"), class_b_share: 0.0 },
        FleetSpec {
            kind: HighSpeedFerry,
            count: 3,
            make: |r| ferry(r, ROUTE_VALLETTA_POZZALLO, 34.0..38.0, (3600.0, 3.0 * 3600.0), ("POZZALLO", "VALLETTA")),
            class_b_share: 0.0,
        },
        FleetSpec {
            kind: Ferry,
            count: 2,
            make: |r| {
                ferry(
                    r,
                    ROUTE_LAMPEDUSA_EMPEDOCLE,
                    14.0..16.5,
                    (2.0 * 3600.0, 6.0 * 3600.0),
                    ("PORTO EMPEDOCLE", "LAMPEDUSA"),
                )
            },
            class_b_share: 0.0,
        },
        FleetSpec {
            kind: Ferry,
            count: 3,
            make: |r| ferry(r, ROUTE_TUNIS_PALERMO, 20.0..24.0, (3.0 * 3600.0, 8.0 * 3600.0), ("PALERMO", "TUNIS")),
            class_b_share: 0.0,
        },
        FleetSpec {
            kind: Fishing,
            count: 7,
            make: |_| Behaviour::Fishing { port: LAMPEDUSA, ground: GROUND_LAMPEDUSA_W },
            class_b_share: 0.5,
        },
        FleetSpec {
            kind: Fishing,
            count: 7,
            make: |_| Behaviour::Fishing { port: LAMPEDUSA, ground: GROUND_LAMPEDUSA_S },
            class_b_share: 0.5,
        },
        FleetSpec {
            kind: Fishing,
            count: 10,
            make: |_| Behaviour::Fishing { port: MARSAXLOKK, ground: GROUND_MALTA_SW },
            class_b_share: 0.5,
        },
        FleetSpec {
            kind: Fishing,
            count: 8,
            make: |_| Behaviour::Fishing { port: POZZALLO, ground: GROUND_POZZALLO },
            class_b_share: 0.5,
        },
        FleetSpec {
            kind: Fishing,
            count: 8,
            make: |_| Behaviour::Fishing { port: LICATA, ground: GROUND_LICATA },
            class_b_share: 0.5,
        },
        FleetSpec {
            kind: Fishing,
            count: 3,
            make: |_| Behaviour::Fishing { port: MAZARA, ground: GROUND_ADVENTURE_BANK },
            class_b_share: 0.3,
        },
        FleetSpec {
            kind: Fishing,
            count: 2,
            make: |_| Behaviour::Fishing { port: MAZARA, ground: GROUND_MAZARA },
            class_b_share: 0.3,
        },
        FleetSpec { kind: Leisure, count: 10, make: |r| leisure(r, MSIDA), class_b_share: 1.0 },
        FleetSpec { kind: Leisure, count: 6, make: |r| leisure(r, MARSAXLOKK), class_b_share: 1.0 },
        FleetSpec { kind: Leisure, count: 6, make: |r| leisure(r, POZZALLO), class_b_share: 1.0 },
        FleetSpec { kind: Leisure, count: 7, make: |r| leisure(r, MARINA_DI_RAGUSA), class_b_share: 1.0 },
        FleetSpec { kind: Leisure, count: 5, make: |r| leisure(r, LICATA), class_b_share: 1.0 },
        FleetSpec { kind: Leisure, count: 6, make: |r| leisure(r, LAMPEDUSA), class_b_share: 1.0 },
        FleetSpec {
            kind: Pilot,
            count: 2,
            make: |r| harbour(r, GRAND_HARBOUR, PILOT_VALLETTA, 14.0, 4.0),
            class_b_share: 0.0,
        },
        FleetSpec {
            kind: Tug,
            count: 2,
            make: |r| harbour(r, GRAND_HARBOUR, PILOT_VALLETTA, 10.0, 3.0),
            class_b_share: 0.0,
        },
        FleetSpec {
            kind: Pilot,
            count: 2,
            make: |r| harbour(r, AUGUSTA, PILOT_AUGUSTA, 14.0, 4.0),
            class_b_share: 0.0,
        },
        FleetSpec { kind: Tug, count: 2, make: |r| harbour(r, AUGUSTA, PILOT_AUGUSTA, 10.0, 3.0), class_b_share: 0.0 },
        FleetSpec { kind: Sar, count: 2, make: |r| patrol(r, LAMPEDUSA, PATROL_LAMPEDUSA), class_b_share: 0.0 },
        FleetSpec { kind: Sar, count: 1, make: |r| patrol(r, GRAND_HARBOUR, PATROL_MALTA), class_b_share: 0.0 },
        FleetSpec { kind: Sar, count: 1, make: |r| patrol(r, POZZALLO, PATROL_POZZALLO), class_b_share: 0.0 },
    ]
}

const EAST_DESTS: &[&str] =
    &["EG PSD", "EG SUZ", "GR PIR", "TR MER", "IL HFA", "LB BEY", "CY LMS", "EG DAM", "SG SIN", "EG PSD>SA JED"];
const WEST_DESTS: &[&str] =
    &["ES ALG", "ES VLC", "GI GIB", "MA TNG", "NL RTM", "DE HAM", "GB FXT", "FR FOS", "IT GOA", "BE ANR"];

/// Coarse land boxes (islands and coasts, generous).
const LAND: &[(f64, f64, f64, f64)] = &[
    (35.79, 36.09, 14.17, 14.59),  // Malta, Gozo, Comino
    (35.49, 35.535, 12.42, 12.64), // Lampedusa
    (35.84, 35.88, 12.84, 12.89),  // Linosa
    (36.71, 36.85, 11.91, 12.07),  // Pantelleria
    (35.58, 35.62, 12.30, 12.35),  // Lampione
];

/// Sicily's south coast, (lon, lat) from west to east.
const SICILY: &[(f64, f64)] = &[
    (12.3, 37.70),
    (12.6, 37.63),
    (13.0, 37.49),
    (13.5, 37.27),
    (13.94, 37.09),
    (14.2, 36.99),
    (14.55, 36.77),
    (14.85, 36.70),
    (15.1, 36.67),
    (15.3, 36.9),
];

/// True on land (or too close to a coast for a scripted track).
fn on_land(p: LatLon) -> bool {
    if LAND.iter().any(|b| p.lat > b.0 && p.lat < b.1 && p.lon > b.2 && p.lon < b.3) {
        return true;
    }
    if p.lat < 33.3 || p.lon < 11.2 {
        return true; // Libya / Tunisia
    }
    for w in SICILY.windows(2) {
        if p.lon >= w[0].0 && p.lon <= w[1].0 {
            let f = (p.lon - w[0].0) / (w[1].0 - w[0].0);
            let coast = w[0].1 + f * (w[1].1 - w[0].1);
            return p.lat > coast - 0.03;
        }
    }
    false
}

/// The lanes through traffic sails: out east, back west.
const LANES: (&[LatLon], &[LatLon]) = (LANE_EASTBOUND, LANE_WESTBOUND);

/// Lampedusa harbour mouth: where boats without AIS are bound (and where sea
/// distances are measured from when placing them).
pub const LAMPEDUSA_MOUTH: LatLon = ll(35.50, 12.60);
/// Arrival point just south of the harbour; boats stop there and wait.
pub const LANDFALL: LatLon = ll(35.475, 12.605);

const LOCALE: Locale = Locale {
    local_flags: LOCAL_FLAGS,
    ferry_flags: TUNIS_PALERMO_FLAGS,
    hsc_flag: (215, "9H"),
    fishing_names: FISHING_NAMES,
    leisure_names: LEISURE_NAMES,
    ferry_names: FERRY_NAMES,
    hsc_names: HSC_NAMES,
    sar_names: &["CP", "P", "SAR"],
};

const PORTS: &[LatLon] = &[
    GRAND_HARBOUR.berth,
    MSIDA.berth,
    MARSAXLOKK.berth,
    POZZALLO.berth,
    MARINA_DI_RAGUSA.berth,
    LICATA.berth,
    LAMPEDUSA.berth,
    MAZARA.berth,
    AUGUSTA.berth,
    ll(37.284, 13.525), // Porto Empedocle
];

const GROUNDS: &[Area] = &[
    GROUND_LAMPEDUSA_W,
    GROUND_LAMPEDUSA_S,
    GROUND_ADVENTURE_BANK,
    GROUND_MAZARA,
    GROUND_MALTA_SW,
    GROUND_POZZALLO,
    GROUND_LICATA,
];

const WORK_AREAS: &[Area] = &[ANCHORAGE_HURDS_BANK, ANCHORAGE_AUGUSTA, PILOT_VALLETTA, PILOT_AUGUSTA];

/// Rubber boats and wooden boats from Libya, small metal boats from Tunisia.
const BOATS: &[BoatSpec] = &[
    BoatSpec {
        share_below: 0.5,
        kind: DarkKind::RubberBoat,
        length_m: (9.0, 12.0),
        persons: (60, 150),
        speed_kn: (5.0, 8.0),
        bearing_deg: (170.0, 215.0),
        dist_nm: (10.0, 40.0),
        p_drift: 0.3,
        p_fail: 0.2,
    },
    BoatSpec {
        share_below: 0.7,
        kind: DarkKind::WoodenBoat,
        length_m: (15.0, 22.0),
        persons: (150, 500),
        speed_kn: (6.0, 9.0),
        bearing_deg: (165.0, 205.0),
        dist_nm: (15.0, 40.0),
        p_drift: 0.1,
        p_fail: 0.1,
    },
    BoatSpec {
        share_below: 1.0,
        kind: DarkKind::MetalBoat,
        length_m: (7.0, 9.0),
        persons: (30, 45),
        speed_kn: (6.0, 8.0),
        bearing_deg: (215.0, 255.0),
        dist_nm: (10.0, 35.0),
        p_drift: 0.1,
        p_fail: 0.1,
    },
];

/// Incident zones: 10–26 nm from Lampedusa towards Libya and Tunisia; 10–30 nm
/// south of Malta; between Malta and Sicily (12–26 nm from Pozzallo).
const ZONES: [Sector; 3] = [
    Sector { centre: LAMPEDUSA_MOUTH, bearing_deg: (140.0, 290.0), dist_nm: (10.0, 26.0) },
    Sector { centre: ll(35.86, 14.38), bearing_deg: (120.0, 250.0), dist_nm: (10.0, 30.0) },
    Sector { centre: ll(36.72, 14.85), bearing_deg: (170.0, 260.0), dist_nm: (12.0, 26.0) },
];

/// The Strait of Sicily.
pub static REGION: Region = Region {
    id: RegionId::StraitOfSicily,
    name: "strait-of-sicily",
    title: "the Strait of Sicily",
    bounds_deg: [34.8, 11.4, 38.0, 15.8],
    stations: STATIONS,
    lights: LIGHTS,
    radars: RADAR_SITES,
    locale: LOCALE,
    fleet,
    on_land,
    ports: PORTS,
    grounds: GROUNDS,
    work_areas: WORK_AREAS,
    crossing: Crossing {
        destination: LAMPEDUSA_MOUTH,
        destination_name: "Lampedusa",
        landfall: LANDFALL,
        boats: BOATS,
        drift_set_deg: (60.0, 120.0),
        drift_kn: (0.5, 1.5),
    },
    // Across the approach from Libya and Tunisia.
    racetrack: Racetrack {
        from: LAMPEDUSA_MOUTH,
        bearing_deg: 200.0,
        base_nm: 18.0,
        step_nm: 10.0,
        axis_deg: 110.0,
        leg_nm: 24.0,
    },
    incidents: Incidents {
        zones: ZONES,
        // Eastbound legs (36.32,13.60)→(35.66,14.35)→(35.58,15.20), south of Malta.
        lane: LANE_EASTBOUND,
        lane_segments: (3, 5),
        lane_name: "the eastbound lane",
        open_sea: "in open water off Libya",
        dark_routes: [
            // Metal boats from Tunisia for Lampedusa.
            DarkRoute {
                kind: DarkKind::MetalBoat,
                length_m: (7.0, 9.0),
                persons: (30, 45),
                speed_kn: (6.0, 7.5),
                origin: Origin::Sector(Sector {
                    centre: LAMPEDUSA_MOUTH,
                    bearing_deg: (230.0, 280.0),
                    dist_nm: (14.0, 28.0),
                }),
                goal: None,
            },
            // Wooden boats south of Malta heading for it.
            DarkRoute {
                kind: DarkKind::WoodenBoat,
                length_m: (15.0, 22.0),
                persons: (150, 400),
                speed_kn: (6.0, 8.0),
                origin: Origin::Zone(1),
                goal: Some(ll(35.79, 14.60)),
            },
        ],
        rendezvous_boats: [
            Boat { kind: DarkKind::RubberBoat, length_m: (9.0, 12.0), persons: (60, 130) },
            Boat { kind: DarkKind::WoodenBoat, length_m: (15.0, 20.0), persons: (150, 350) },
        ],
        deviation_course_deg: (160.0, 200.0),
        deviation_relative: false,
        ferry: FerryTurn { route: ROUTE_VALLETTA_POZZALLO, name: "Valletta-Pozzallo", turn_course_deg: (85.0, 130.0) },
        crowded: CrowdedBoat {
            from: Sector { centre: LAMPEDUSA_MOUTH, bearing_deg: (150.0, 260.0), dist_nm: (8.0, 24.0) },
            speed_kn: (5.0, 7.0),
            drift_kn: (0.6, 1.4),
            length_m: (9.0, 10.0),
            persons: (130, 180),
        },
        pilot: PilotStation {
            name: "Valletta",
            area: PILOT_VALLETTA,
            course_in_deg: (200.0, 250.0),
            entrance: ll(35.9100, 14.5450),
            inner: ll(35.8985, 14.5250),
            berth: GRAND_HARBOUR.berth,
        },
        pair_trawl_grounds: [GROUND_MALTA_SW, GROUND_LAMPEDUSA_S, GROUND_POZZALLO],
    },
};
