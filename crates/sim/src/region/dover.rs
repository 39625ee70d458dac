//! The Dover Strait: Kent and East Sussex, the Côte d'Opale from Le Touquet to
//! Dunkerque, and the Dover Strait traffic separation scheme between them. Its
//! picture differs from the Strait of Sicily's everywhere a detector could be
//! tuned to one place:
//! - two opposed lanes a few miles apart carrying ~160 merchant ships at scale 1
//!   (the strait is the world's busiest), so a ship on the wrong course is
//!   wrong only *for its side*;
//! - ferries crossing both lanes every half hour (Dover–Calais, Dover–Dunkerque)
//!   and coasters crossing to the Thames: honest cross-lane traffic;
//! - small inflatables of 8–12 m carrying 40–80 people from the French beaches
//!   to the Kent coast, 20–30 nm through the lanes at 4–7 kn, among dense
//!   traffic, with the tidal stream setting north-east;
//! - short distances: the strait is 18 nm wide, ports are never far.
//!
//! Coordinates are decimal degrees (WGS 84), read off charts to a few hundred
//! metres; the lanes follow the scheme's geometry (south-west-bound on the
//! English side, north-east-bound on the French side, ~6 nm apart) without its
//! exact buoyed limits. Routes keep clear of the Goodwin Sands.

use std::sync::LazyLock;

use geo::Contains;

use super::{
    Boat, BoatSpec, Crossing, CrowdedBoat, DarkRoute, FerryTurn, Incidents, Origin, PilotStation, Racetrack, Region,
    RegionId, Sector,
};
use crate::dark::DarkKind;
use crate::geography::{ll, Area, LatLon, Light, Port, Station};
use crate::identity::{Flag, Locale};
use crate::radar::RadarSite;
use crate::world::{
    anchored, coastal, ferry, ferry_by, harbour, lane, leisure, patrol, Behaviour, FleetSpec, VesselKind,
};

pub const STATIONS: &[Station] = &[
    Station { name: "dover", pos: ll(51.131, 1.350), base_mmsi: 2_320_011 },
    Station { name: "dungeness", pos: ll(50.913, 0.976), base_mmsi: 2_320_012 },
    Station { name: "gris-nez", pos: ll(50.872, 1.585), base_mmsi: 2_271_001 },
    Station { name: "north-foreland", pos: ll(51.375, 1.445), base_mmsi: 2_320_013 },
];

pub const LIGHTS: &[Light] = &[
    Light { name: "DUNGENESS", pos: ll(50.9135, 0.9765), mmsi: 992_321_001, aid_type: 6 },
    Light { name: "NORTH FORELAND", pos: ll(51.3747, 1.4459), mmsi: 992_321_002, aid_type: 5 },
    Light {
        name: "SANDETTIE",
        pos: ll(51.1500, 1.8000),
        mmsi: 992_321_003,
        // M.1371 Table 71: 31 = light vessel / LANBY.
        aid_type: 31,
    },
    Light { name: "CAP GRIS NEZ", pos: ll(50.8718, 1.5830), mmsi: 992_271_001, aid_type: 6 },
    Light { name: "CALAIS", pos: ll(50.9680, 1.8520), mmsi: 992_271_002, aid_type: 5 },
];

/// Near the Channel Navigation Information Service (Langdon Battery), CROSS
/// Gris-Nez and Dungeness.
pub const RADAR_SITES: &[RadarSite] = &[
    RadarSite {
        name: "radar-dover",
        lat: 51.133,
        lon: 1.345,
        range_nm: 30.0,
        revisit_s: 2.5,
        range_sigma_m: 30.0,
        bearing_sigma_deg: 0.5,
    },
    RadarSite {
        name: "radar-gris-nez",
        lat: 50.871,
        lon: 1.585,
        range_nm: 32.0,
        revisit_s: 3.0,
        range_sigma_m: 35.0,
        bearing_sigma_deg: 0.45,
    },
    RadarSite {
        name: "radar-dungeness",
        lat: 50.914,
        lon: 0.975,
        range_nm: 24.0,
        revisit_s: 2.5,
        range_sigma_m: 25.0,
        bearing_sigma_deg: 0.7,
    },
];

// Harbours.
pub const DOVER: Port = Port {
    name: "dover",
    berth: ll(51.1240, 1.3300),
    exits: &[ll(51.1190, 1.3390), ll(51.1050, 1.3600)],
    sea_bearing_deg: 150.0,
    sea_arc_deg: 100.0,
    anchor_max_nm: 1.5,
};
pub const FOLKESTONE: Port = Port {
    name: "folkestone",
    berth: ll(51.0790, 1.1900),
    exits: &[ll(51.0740, 1.1960), ll(51.0650, 1.2050)],
    sea_bearing_deg: 150.0,
    sea_arc_deg: 100.0,
    anchor_max_nm: 1.5,
};
pub const RAMSGATE: Port = Port {
    name: "ramsgate",
    berth: ll(51.3270, 1.4180),
    exits: &[ll(51.3220, 1.4300), ll(51.3150, 1.4500)],
    sea_bearing_deg: 110.0,
    sea_arc_deg: 70.0,
    anchor_max_nm: 1.5,
};
pub const EASTBOURNE: Port = Port {
    name: "eastbourne",
    berth: ll(50.7920, 0.3320),
    exits: &[ll(50.7860, 0.3400), ll(50.7780, 0.3500)],
    sea_bearing_deg: 150.0,
    sea_arc_deg: 100.0,
    anchor_max_nm: 1.5,
};
pub const RYE: Port = Port {
    name: "rye",
    berth: ll(50.9380, 0.7650),
    exits: &[ll(50.9250, 0.7800), ll(50.9100, 0.7900)],
    sea_bearing_deg: 180.0,
    sea_arc_deg: 90.0,
    anchor_max_nm: 1.5,
};
pub const HASTINGS: Port = Port {
    name: "hastings",
    berth: ll(50.8550, 0.5900),
    exits: &[ll(50.8450, 0.5950)],
    sea_bearing_deg: 170.0,
    sea_arc_deg: 100.0,
    anchor_max_nm: 1.5,
};
pub const BOULOGNE: Port = Port {
    name: "boulogne-sur-mer",
    berth: ll(50.7270, 1.5950),
    exits: &[ll(50.7350, 1.5750), ll(50.7400, 1.5500)],
    sea_bearing_deg: 270.0,
    sea_arc_deg: 100.0,
    anchor_max_nm: 1.5,
};
pub const CALAIS: Port = Port {
    name: "calais",
    berth: ll(50.9650, 1.8600),
    exits: &[ll(50.9780, 1.8400), ll(50.9950, 1.8100)],
    sea_bearing_deg: 330.0,
    sea_arc_deg: 100.0,
    anchor_max_nm: 1.5,
};
pub const DUNKERQUE: Port = Port {
    name: "dunkerque",
    berth: ll(51.0400, 2.3000),
    exits: &[ll(51.0580, 2.2900), ll(51.0750, 2.2700)],
    sea_bearing_deg: 330.0,
    sea_arc_deg: 100.0,
    anchor_max_nm: 1.5,
};
pub const GRAVELINES: Port = Port {
    name: "gravelines",
    berth: ll(51.0080, 2.1000),
    exits: &[ll(51.0200, 2.0900)],
    sea_bearing_deg: 340.0,
    sea_arc_deg: 80.0,
    anchor_max_nm: 1.5,
};
/// London Gateway, up the Thames (a coaster's far end; no fleet of its own).
const THAMES_BERTH: LatLon = ll(51.4900, 0.6200);

// Fishing grounds.
/// Off Le Touquet (the Bassure de Baas), Boulogne's inshore trawlers.
pub const GROUND_BASSURE: Area = Area { centre: ll(50.58, 1.40), radius_nm: 5.0, approach: &[] };
pub const GROUND_RYE_BAY: Area = Area { centre: ll(50.83, 0.82), radius_nm: 4.0, approach: &[] };
/// North of the Kent coast, Ramsgate's boats round North Foreland for it.
pub const GROUND_NORTH_KENT: Area = Area { centre: ll(51.45, 1.25), radius_nm: 4.0, approach: &[ll(51.40, 1.52)] };
pub const GROUND_FLANDERS: Area = Area { centre: ll(51.20, 2.55), radius_nm: 4.0, approach: &[] };
pub const GROUND_EASTBOURNE: Area = Area { centre: ll(50.68, 0.40), radius_nm: 4.0, approach: &[] };

// Harbour-craft and patrol areas.
pub const PILOT_DOVER: Area = Area { centre: ll(51.095, 1.400), radius_nm: 1.5, approach: &[] };
pub const PILOT_DUNKERQUE: Area = Area { centre: ll(51.090, 2.250), radius_nm: 1.5, approach: &[] };
/// Mid-Channel, where the UK Border Force and the RNLI work.
pub const PATROL_MID_CHANNEL: Area = Area { centre: ll(50.98, 1.30), radius_nm: 8.0, approach: &[] };
/// Off Cap Gris-Nez, French patrol boats from Boulogne.
pub const PATROL_GRIS_NEZ: Area = Area { centre: ll(50.85, 1.45), radius_nm: 8.0, approach: &[] };

// Anchorages.
/// The Downs, between Deal and the Goodwin Sands.
pub const ANCHORAGE_DOWNS: Area = Area { centre: ll(51.225, 1.460), radius_nm: 1.2, approach: &[] };
pub const ANCHORAGE_DUNKERQUE: Area = Area { centre: ll(51.110, 2.400), radius_nm: 1.5, approach: &[] };

/// South-west-bound lane (English side), North Sea → western Channel.
pub const LANE_SOUTHWEST: &[LatLon] = &[
    ll(52.20, 3.00),
    ll(51.60, 2.20),
    ll(51.30, 1.83),
    ll(51.13, 1.58),
    ll(51.03, 1.40),
    ll(50.87, 1.08),
    ll(50.63, 0.55),
    ll(50.40, 0.00),
    ll(50.15, -0.80),
    ll(49.90, -2.00),
];

/// North-east-bound lane (French side), ~6 nm south-east of the other.
pub const LANE_NORTHEAST: &[LatLon] = &[
    ll(49.85, -2.00),
    ll(50.08, -0.80),
    ll(50.32, 0.05),
    ll(50.55, 0.62),
    ll(50.78, 1.17),
    ll(50.95, 1.52),
    ll(51.10, 1.78),
    ll(51.22, 2.00),
    ll(51.52, 2.45),
    ll(52.10, 3.20),
];

/// Ferry, Dover (Eastern Docks) → Calais: berth, two harbour legs, the open leg
/// across both lanes, the Calais approach.
pub const ROUTE_DOVER_CALAIS: &[LatLon] = &[
    ll(51.1240, 1.3300),
    ll(51.1190, 1.3390),
    ll(51.1100, 1.3550),
    ll(51.0950, 1.3900),
    ll(50.9950, 1.7900),
    ll(50.9780, 1.8400),
    ll(50.9650, 1.8600),
];

/// Ferry, Dover → Dunkerque: across the south-west-bound lane at right angles,
/// up the north-east-bound lane with its traffic, and out of it for Dunkerque
/// (as COLREG rule 10 has it).
pub const ROUTE_DOVER_DUNKERQUE: &[LatLon] = &[
    ll(51.1240, 1.3300),
    ll(51.1190, 1.3390),
    ll(51.1100, 1.3550),
    ll(51.0450, 1.4450),
    ll(51.0000, 1.6000),
    ll(51.1000, 1.7800),
    ll(51.0850, 2.2200),
    ll(51.0750, 2.2700),
    ll(51.0580, 2.2900),
    ll(51.0400, 2.3000),
];

/// Ferry, Dunkerque → Dover: out across the north-east-bound lane at right
/// angles, down the south-west-bound lane with its traffic, into Dover.
pub const ROUTE_DUNKERQUE_DOVER: &[LatLon] = &[
    ll(51.0400, 2.3000),
    ll(51.0580, 2.2900),
    ll(51.0750, 2.2700),
    ll(51.1300, 2.1500),
    ll(51.2600, 1.8900),
    ll(51.1300, 1.5800),
    ll(51.1050, 1.3600),
    ll(51.1190, 1.3390),
    ll(51.1240, 1.3300),
];

/// Coasters, Dunkerque → the Thames (London Gateway), crossing both lanes.
pub const ROUTE_DUNKERQUE_THAMES: &[LatLon] = &[
    ll(51.0400, 2.3000),
    ll(51.0580, 2.2900),
    ll(51.0750, 2.2700),
    ll(51.1500, 2.1000),
    ll(51.5000, 1.8000),
    ll(51.5500, 1.4000),
    ll(51.5200, 1.0000),
    ll(51.4900, 0.7000),
    THAMES_BERTH,
];

const LANES: (&[LatLon], &[LatLon]) = (LANE_SOUTHWEST, LANE_NORTHEAST);
/// Bound down-Channel (south-west lane) and up-Channel.
const DOWN_DESTS: &[&str] =
    &["ES ALG", "PT SIN", "BR SSZ", "US NYC", "GB SOU", "FR LEH", "MA TNG", "GI GIB", "EG PSD", "SG SIN"];
const UP_DESTS: &[&str] =
    &["NL RTM", "BE ANR", "DE HAM", "DE BRV", "NL AMS", "PL GDN", "SE GOT", "DK AAR", "GB TEE", "RU ULU"];

const LOCAL_FLAGS: &[Flag] = &[(232, "M"), (235, "M"), (233, "M"), (227, "F"), (228, "F"), (226, "F"), (205, "OR")];
const FERRY_FLAGS: &[Flag] = &[(235, "M"), (228, "F"), (219, "OZ"), (209, "5B")];
const FISHING_NAMES: &[&str] = &[
    "BOY JAMES",
    "OUR LADY",
    "PROVIDER",
    "ST GEORGE",
    "NOTRE DAME DES FLOTS",
    "ETOILE DU NORD",
    "MARIE ANNE",
    "JEAN BART",
    "SAINT PIERRE",
    "AVENTURE",
    "LE COLBART",
    "OPALE",
    "GOLDEN HARVEST",
    "GIRL RACHEL",
    "KATHLEEN",
    "LES DEUX FRERES",
];
const LEISURE_NAMES: &[&str] = &[
    "SEA SPRAY",
    "WHITE HORSES",
    "KESTREL",
    "LA MOUETTE",
    "SWALLOW",
    "MERLIN",
    "ALBION",
    "GOLDEN HIND",
    "BLUE JAY",
    "TERN",
    "VENT D'OUEST",
    "CORMORAN",
    "FREYA",
    "WANDERER",
];
const FERRY_NAMES: &[&str] = &[
    "KENTISH SPIRIT",
    "FLANDERS STAR",
    "OPAL COAST",
    "CALAISIS",
    "WHITE CLIFFS",
    "STRAIT LINK",
    "DUNKIRK BRIDGE",
    "FORELAND",
];

const LOCALE: Locale = Locale {
    local_flags: LOCAL_FLAGS,
    ferry_flags: FERRY_FLAGS,
    hsc_flag: (235, "M"),
    fishing_names: FISHING_NAMES,
    leisure_names: LEISURE_NAMES,
    ferry_names: FERRY_NAMES,
    hsc_names: &["CHANNEL DART"],
    sar_names: &["RNLB", "BORDER FORCE", "PSP"],
};

/// The ordinary fleet at scale 1.0 (~300 vessels, about half of them in the area
/// at any time: the rest are beyond the lane ends or moored).
fn fleet() -> Vec<FleetSpec> {
    use VesselKind::*;
    vec![
        FleetSpec {
            kind: Cargo,
            count: 100,
            make: |r| lane(r, LANES, 12.0..19.0, (DOWN_DESTS, UP_DESTS), (2.0, 10.0)),
            class_b_share: 0.0,
        },
        FleetSpec {
            kind: Tanker,
            count: 60,
            make: |r| lane(r, LANES, 11.0..15.0, (DOWN_DESTS, UP_DESTS), (2.0, 10.0)),
            class_b_share: 0.0,
        },
        FleetSpec {
            kind: Ferry,
            count: 7,
            make: |r| ferry(r, ROUTE_DOVER_CALAIS, 18.0..21.0, (0.75 * 3600.0, 1.5 * 3600.0), ("CALAIS", "DOVER")),
            class_b_share: 0.0,
        },
        FleetSpec {
            kind: Ferry,
            count: 3,
            make: |r| {
                ferry_by(
                    r,
                    (ROUTE_DOVER_DUNKERQUE, ROUTE_DUNKERQUE_DOVER),
                    18.0..20.0,
                    (1.0 * 3600.0, 2.0 * 3600.0),
                    ("DUNKERQUE", "DOVER"),
                )
            },
            class_b_share: 0.0,
        },
        FleetSpec {
            kind: Cargo,
            count: 4,
            make: |r| coastal(r, ROUTE_DUNKERQUE_THAMES, ("GB LGP", "FR DKK")),
            class_b_share: 0.0,
        },
        FleetSpec { kind: Cargo, count: 3, make: |r| anchored(r, ANCHORAGE_DOWNS, "GB LON"), class_b_share: 0.0 },
        FleetSpec { kind: Tanker, count: 2, make: |r| anchored(r, ANCHORAGE_DOWNS, "GB TIL"), class_b_share: 0.0 },
        FleetSpec { kind: Cargo, count: 3, make: |r| anchored(r, ANCHORAGE_DUNKERQUE, "FR DKK"), class_b_share: 0.0 },
        FleetSpec {
            kind: Fishing,
            count: 10,
            make: |_| Behaviour::Fishing { port: BOULOGNE, ground: GROUND_BASSURE },
            class_b_share: 0.3,
        },
        FleetSpec {
            kind: Fishing,
            count: 6,
            make: |_| Behaviour::Fishing { port: HASTINGS, ground: GROUND_RYE_BAY },
            class_b_share: 0.7,
        },
        FleetSpec {
            kind: Fishing,
            count: 3,
            make: |_| Behaviour::Fishing { port: RYE, ground: GROUND_RYE_BAY },
            class_b_share: 0.7,
        },
        FleetSpec {
            kind: Fishing,
            count: 4,
            make: |_| Behaviour::Fishing { port: RAMSGATE, ground: GROUND_NORTH_KENT },
            class_b_share: 0.5,
        },
        FleetSpec {
            kind: Fishing,
            count: 5,
            make: |_| Behaviour::Fishing { port: DUNKERQUE, ground: GROUND_FLANDERS },
            class_b_share: 0.3,
        },
        FleetSpec {
            kind: Fishing,
            count: 4,
            make: |_| Behaviour::Fishing { port: EASTBOURNE, ground: GROUND_EASTBOURNE },
            class_b_share: 0.6,
        },
        FleetSpec { kind: Leisure, count: 5, make: |r| leisure(r, DOVER), class_b_share: 1.0 },
        FleetSpec { kind: Leisure, count: 6, make: |r| leisure(r, RAMSGATE), class_b_share: 1.0 },
        FleetSpec { kind: Leisure, count: 8, make: |r| leisure(r, EASTBOURNE), class_b_share: 1.0 },
        FleetSpec { kind: Leisure, count: 4, make: |r| leisure(r, BOULOGNE), class_b_share: 1.0 },
        FleetSpec { kind: Leisure, count: 4, make: |r| leisure(r, CALAIS), class_b_share: 1.0 },
        FleetSpec { kind: Leisure, count: 4, make: |r| leisure(r, DUNKERQUE), class_b_share: 1.0 },
        FleetSpec { kind: Leisure, count: 3, make: |r| leisure(r, GRAVELINES), class_b_share: 1.0 },
        FleetSpec { kind: Pilot, count: 2, make: |r| harbour(r, DOVER, PILOT_DOVER, 14.0, 4.0), class_b_share: 0.0 },
        FleetSpec { kind: Tug, count: 2, make: |r| harbour(r, DOVER, PILOT_DOVER, 10.0, 3.0), class_b_share: 0.0 },
        FleetSpec {
            kind: Pilot,
            count: 2,
            make: |r| harbour(r, DUNKERQUE, PILOT_DUNKERQUE, 14.0, 4.0),
            class_b_share: 0.0,
        },
        FleetSpec {
            kind: Tug,
            count: 2,
            make: |r| harbour(r, DUNKERQUE, PILOT_DUNKERQUE, 10.0, 3.0),
            class_b_share: 0.0,
        },
        FleetSpec { kind: Sar, count: 2, make: |r| patrol(r, DOVER, PATROL_MID_CHANNEL), class_b_share: 0.0 },
        FleetSpec { kind: Sar, count: 2, make: |r| patrol(r, BOULOGNE, PATROL_GRIS_NEZ), class_b_share: 0.0 },
    ]
}

/// Coastlines as land polygons, (lat, lon), generous (a few hundred metres
/// seaward of the shore): England from Sussex to North Foreland and the north
/// Kent coast; Essex north of the Thames; France from Normandy to Zeebrugge.
const ENGLAND: &[(f64, f64)] = &[
    (50.80, -0.60),
    (50.81, -0.37),
    (50.83, -0.25),
    (50.815, -0.10),
    (50.79, 0.05),
    (50.765, 0.15),
    (50.735, 0.245),
    (50.765, 0.29),
    (50.79, 0.34),
    (50.815, 0.37),
    (50.835, 0.47),
    (50.853, 0.58),
    (50.875, 0.65),
    (50.905, 0.71),
    (50.93, 0.77),
    (50.932, 0.80),
    (50.925, 0.86),
    (50.915, 0.93),
    (50.910, 0.970),
    (50.925, 0.977),
    (50.95, 0.970),
    (50.985, 0.972),
    (51.025, 1.00),
    (51.065, 1.08),
    (51.076, 1.15),
    (51.080, 1.19),
    (51.090, 1.22),
    (51.103, 1.27),
    (51.112, 1.305),
    (51.127, 1.340),
    (51.140, 1.375),
    (51.160, 1.390),
    (51.190, 1.402),
    (51.222, 1.406),
    (51.250, 1.400),
    (51.280, 1.385),
    (51.305, 1.360),
    (51.325, 1.405),
    (51.340, 1.432),
    (51.375, 1.448),
    (51.392, 1.400),
    (51.385, 1.300),
    (51.375, 1.200),
    (51.365, 1.050),
    (51.370, 0.900),
    (51.420, 0.750),
    (51.465, 0.600),
    (51.480, 0.400),
    (51.480, -0.60),
];
const ESSEX: &[(f64, f64)] = &[
    (51.52, 0.50),
    (51.52, 0.60),
    (51.53, 0.75),
    (51.56, 0.85),
    (51.60, 0.95),
    (51.70, 1.00),
    (51.78, 1.15),
    (51.85, 1.28),
    (51.95, 1.35),
    (52.10, 1.60),
    (52.10, 0.50),
];
const FRANCE: &[(f64, f64)] = &[
    (49.50, 0.30),
    (49.76, 0.37),
    (49.93, 1.08),
    (50.06, 1.37),
    (50.18, 1.49),
    (50.22, 1.55),
    (50.30, 1.58),
    (50.40, 1.56),
    (50.52, 1.585),
    (50.63, 1.575),
    (50.715, 1.585),
    (50.735, 1.595),
    (50.770, 1.605),
    (50.805, 1.600),
    (50.840, 1.585),
    (50.872, 1.583),
    (50.887, 1.660),
    (50.912, 1.690),
    (50.930, 1.715),
    (50.948, 1.750),
    (50.962, 1.820),
    (50.968, 1.850),
    (50.978, 1.900),
    (50.995, 2.030),
    (51.010, 2.100),
    (51.030, 2.190),
    (51.050, 2.340),
    (51.060, 2.420),
    (51.085, 2.530),
    (51.100, 2.580),
    (51.155, 2.720),
    (51.235, 2.910),
    (51.315, 3.120),
    (51.345, 3.200),
    (51.370, 3.400),
    (51.370, 4.500),
    (49.50, 4.50),
];

static LAND: LazyLock<Vec<geo::Polygon<f64>>> = LazyLock::new(|| {
    [ENGLAND, ESSEX, FRANCE]
        .iter()
        .map(|ring| {
            // geo is (x, y) = (lon, lat).
            let coords: Vec<(f64, f64)> = ring.iter().map(|&(lat, lon)| (lon, lat)).collect();
            geo::Polygon::new(coords.into(), vec![])
        })
        .collect()
});

/// True on land (one of the coastline polygons).
fn on_land(p: LatLon) -> bool {
    LAND.iter().any(|poly| poly.contains(&p.point()))
}

const PORTS: &[LatLon] = &[
    DOVER.berth,
    FOLKESTONE.berth,
    RAMSGATE.berth,
    EASTBOURNE.berth,
    RYE.berth,
    HASTINGS.berth,
    BOULOGNE.berth,
    CALAIS.berth,
    DUNKERQUE.berth,
    GRAVELINES.berth,
    THAMES_BERTH,
];

const GROUNDS: &[Area] = &[GROUND_BASSURE, GROUND_RYE_BAY, GROUND_NORTH_KENT, GROUND_FLANDERS, GROUND_EASTBOURNE];

const WORK_AREAS: &[Area] = &[ANCHORAGE_DOWNS, ANCHORAGE_DUNKERQUE, PILOT_DOVER, PILOT_DUNKERQUE];

/// The beaches east of Dungeness, where many small boats land.
pub const DUNGENESS_BEACH: LatLon = ll(50.945, 0.975);
/// Just off them; boats stop there.
pub const LANDFALL: LatLon = ll(50.945, 0.990);

/// Inflatables from the beaches between Boulogne and Gravelines, and a few small
/// rigid boats; positions measured from the Dungeness beaches (bearing 100–140°
/// is the French coast side).
const BOATS: &[BoatSpec] = &[
    BoatSpec {
        share_below: 0.85,
        kind: DarkKind::RubberBoat,
        length_m: (8.0, 12.0),
        persons: (40, 80),
        speed_kn: (4.0, 7.0),
        bearing_deg: (100.0, 140.0),
        dist_nm: (6.0, 20.0),
        p_drift: 0.15,
        p_fail: 0.15,
    },
    BoatSpec {
        share_below: 1.0,
        kind: DarkKind::MetalBoat,
        length_m: (6.0, 8.0),
        persons: (10, 20),
        speed_kn: (6.0, 9.0),
        bearing_deg: (100.0, 140.0),
        dist_nm: (6.0, 20.0),
        p_drift: 0.05,
        p_fail: 0.1,
    },
];

/// Incident zones: on the crossings south-east of Dungeness; east of Dover off
/// the Goodwin Sands; mid-Channel west of Boulogne.
const ZONES: [Sector; 3] = [
    Sector { centre: DUNGENESS_BEACH, bearing_deg: (105.0, 150.0), dist_nm: (8.0, 18.0) },
    Sector { centre: DOVER.berth, bearing_deg: (55.0, 115.0), dist_nm: (9.0, 18.0) },
    Sector { centre: BOULOGNE.berth, bearing_deg: (255.0, 320.0), dist_nm: (10.0, 20.0) },
];

/// The Dover Strait.
pub static REGION: Region = Region {
    id: RegionId::DoverStrait,
    name: "dover-strait",
    title: "the Dover Strait",
    bounds_deg: [50.3, -0.2, 51.6, 2.8],
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
        destination: DUNGENESS_BEACH,
        destination_name: "Dungeness",
        landfall: LANDFALL,
        boats: BOATS,
        // The flood stream, setting up-Channel.
        drift_set_deg: (30.0, 70.0),
        drift_kn: (0.5, 2.0),
    },
    // Mid-Channel, across the crossings.
    racetrack: Racetrack {
        from: DUNGENESS_BEACH,
        bearing_deg: 120.0,
        base_nm: 10.0,
        step_nm: 4.0,
        axis_deg: 30.0,
        leg_nm: 16.0,
    },
    incidents: Incidents {
        zones: ZONES,
        // From off Dover past Folkestone and Dungeness.
        lane: LANE_SOUTHWEST,
        lane_segments: (3, 6),
        lane_name: "the south-west-bound lane",
        open_sea: "mid-Channel on the crossings",
        dark_routes: [
            // An inflatable on the crossings for the Dungeness beaches.
            DarkRoute {
                kind: DarkKind::RubberBoat,
                length_m: (8.0, 11.0),
                persons: (40, 70),
                speed_kn: (4.5, 6.5),
                origin: Origin::Sector(Sector {
                    centre: DUNGENESS_BEACH,
                    bearing_deg: (110.0, 145.0),
                    dist_nm: (8.0, 18.0),
                }),
                goal: None,
            },
            // A small rigid boat from mid-Channel for the beaches at Hythe.
            DarkRoute {
                kind: DarkKind::MetalBoat,
                length_m: (6.0, 8.0),
                persons: (8, 16),
                speed_kn: (6.0, 8.0),
                origin: Origin::Zone(2),
                goal: Some(ll(51.055, 1.075)),
            },
        ],
        // A ship turning against its lane's traffic.
        // Inflatables picked up off the coast ("taxi boats") or from a larger boat.
        rendezvous_boats: [
            Boat { kind: DarkKind::RubberBoat, length_m: (8.0, 10.0), persons: (30, 50) },
            Boat { kind: DarkKind::RubberBoat, length_m: (10.0, 12.0), persons: (50, 80) },
        ],
        deviation_course_deg: (165.0, 195.0),
        deviation_relative: true,
        ferry: FerryTurn { route: ROUTE_DOVER_CALAIS, name: "Dover-Calais", turn_course_deg: (215.0, 245.0) },
        crowded: CrowdedBoat {
            from: Sector { centre: DUNGENESS_BEACH, bearing_deg: (105.0, 145.0), dist_nm: (6.0, 18.0) },
            speed_kn: (4.0, 6.0),
            drift_kn: (0.8, 2.0),
            length_m: (8.0, 10.0),
            persons: (60, 90),
        },
        pilot: PilotStation {
            name: "Dover",
            area: PILOT_DOVER,
            // Ships calling from the North Sea come down the south-west-bound lane.
            course_in_deg: (220.0, 240.0),
            entrance: ll(51.1190, 1.3390),
            inner: ll(51.1225, 1.3350),
            berth: DOVER.berth,
        },
        pair_trawl_grounds: [GROUND_BASSURE, GROUND_FLANDERS, GROUND_RYE_BAY],
    },
};
