//! Sea areas the simulator can stage: everything about a place that the world,
//! the sensors and the scripted incidents need (ports, lanes, fleet, shore
//! stations, radars, where boats without AIS come from and go to, where
//! incidents may happen), as plain data, one module per area.
//!
//! Two areas with different pictures, so that detectors tuned on one are
//! measured on the other:
//! - [`sicily`]: the Strait of Sicily — Lampedusa, Malta, south-east Sicily and
//!   the Gibraltar–Suez lane; long crossings from Libya and Tunisia.
//! - [`dover`]: the Dover Strait — the world's busiest traffic separation
//!   scheme, ferries crossing it every half hour, and small inflatables crossing
//!   20–30 nm from the French beaches to Kent.

pub mod dover;
pub mod sicily;

use super::dark::DarkKind;
use super::geography::{Area, LatLon, Light, Station};
use super::identity::Locale;
use super::radar::RadarSite;
use super::world::FleetSpec;

/// Which sea area a simulation stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum RegionId {
    /// The Strait of Sicily (the bundled demo's area).
    #[default]
    StraitOfSicily,
    /// The Dover Strait (English Channel).
    DoverStrait,
}

impl RegionId {
    /// Every area, in a fixed order.
    pub const ALL: [RegionId; 2] = [RegionId::StraitOfSicily, RegionId::DoverStrait];

    /// The area's data.
    pub fn region(self) -> &'static Region {
        match self {
            RegionId::StraitOfSicily => &sicily::REGION,
            RegionId::DoverStrait => &dover::REGION,
        }
    }

    /// The area's name (also the baseline area name), e.g. `"dover-strait"`.
    pub fn name(self) -> &'static str {
        self.region().name
    }

    /// The area called `name` ([`Self::name`]).
    pub fn from_name(name: &str) -> Option<RegionId> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// A sector of open water: points `dist_nm` from `centre` on `bearing_deg`
/// (both ranges half-open, drawn uniformly).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sector {
    pub centre: LatLon,
    pub bearing_deg: (f64, f64),
    pub dist_nm: (f64, f64),
}

/// One kind of boat without AIS in an area's crossings ([`Crossing::boats`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoatSpec {
    /// Drawn when a uniform number is below this (cumulative share; the last
    /// spec takes the rest).
    pub share_below: f64,
    pub kind: DarkKind,
    pub length_m: (f64, f64),
    /// Persons on board, inclusive range.
    pub persons: (u32, u32),
    pub speed_kn: (f64, f64),
    /// Where boats are at the recording start, from [`Crossing::destination`].
    pub bearing_deg: (f64, f64),
    pub dist_nm: (f64, f64),
    /// Probability of drifting from the start (dead engine), and of the engine
    /// failing during the recording.
    pub p_drift: f64,
    pub p_fail: f64,
}

/// Where boats without AIS come from and go to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Crossing {
    /// The harbour or shore the boats make for; positions are measured from it.
    pub destination: LatLon,
    /// Its name, for labels ("heads for Lampedusa").
    pub destination_name: &'static str,
    /// The point just off it where boats stop and wait.
    pub landfall: LatLon,
    pub boats: &'static [BoatSpec],
    /// Set of the surface current a disabled boat drifts with, degrees, and its rate, kn.
    pub drift_set_deg: (f64, f64),
    pub drift_kn: (f64, f64),
}

/// A drone's default patrol when nothing cues it: a racetrack centred
/// `base_nm + step_nm · index` from `from` on `bearing_deg`, legs of `leg_nm` on `axis_deg`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Racetrack {
    pub from: LatLon,
    pub bearing_deg: f64,
    pub base_nm: f64,
    pub step_nm: f64,
    pub axis_deg: f64,
    pub leg_nm: f64,
}

/// Where a scripted boat without AIS starts ([`DarkRoute`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Origin {
    /// In a sector (bearing and distance drawn).
    Sector(Sector),
    /// In incident zone `i` of [`Incidents::zones`] (bearing, distance and a course drawn).
    Zone(usize),
}

/// A scripted `DARK_TARGET` boat: what it is and where it goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DarkRoute {
    pub kind: DarkKind,
    pub length_m: (f64, f64),
    pub persons: (u32, u32),
    pub speed_kn: (f64, f64),
    pub origin: Origin,
    /// None: the crossing's landfall.
    pub goal: Option<LatLon>,
}

/// A boat without AIS: what it is, how long, how many aboard (inclusive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Boat {
    pub kind: DarkKind,
    pub length_m: (f64, f64),
    pub persons: (u32, u32),
}

/// A scripted `OVERCROWDED` rubber boat: under way for the landfall (even
/// instances) or drifting with the current (odd).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CrowdedBoat {
    pub from: Sector,
    pub speed_kn: (f64, f64),
    pub drift_kn: (f64, f64),
    pub length_m: (f64, f64),
    pub persons: (u32, u32),
}

/// A ferry route for the scripted ferry `ROUTE_DEVIATION`: `route[0]` is the
/// berth, `route[1..=2]` the harbour legs (6 and 8 kn), `route[3]→route[4]` the
/// open-water leg on which it turns onto `turn_course_deg`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FerryTurn {
    pub route: &'static [LatLon],
    pub name: &'static str,
    pub turn_course_deg: (f64, f64),
}

/// A pilot station for the pilot-boarding look-alike: ships approach on
/// `course_in_deg`, meet the pilot boat inside `area` (1 nm of its centre) and
/// go in by `entrance` → `inner` → `berth`, where the pilot boat is based.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PilotStation {
    pub name: &'static str,
    pub area: Area,
    pub course_in_deg: (f64, f64),
    pub entrance: LatLon,
    pub inner: LatLon,
    pub berth: LatLon,
}

/// Where and how an area's labelled incidents are scripted
/// ([`super::anomaly`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Incidents {
    /// Three open-water zones; zone 0 lies on the crossings (rendezvous,
    /// loitering off the departure coast).
    pub zones: [Sector; 3],
    /// Lane of lane incidents (a ship idling in it, or leaving it) and the
    /// segments `[lo, hi)` of it to draw from (inside radar coverage).
    pub lane: &'static [LatLon],
    pub lane_segments: (usize, usize),
    /// The lane for people: "the eastbound lane".
    pub lane_name: &'static str,
    /// "in the shipping lane" / this, for a loitering boat in zone 0.
    pub open_sea: &'static str,
    pub dark_routes: [DarkRoute; 2],
    /// The boat meeting the mother ship (`RENDEZVOUS`), even and odd instances.
    pub rendezvous_boats: [Boat; 2],
    /// A ship leaving the lane: its new course, absolute or relative to the lane's.
    pub deviation_course_deg: (f64, f64),
    pub deviation_relative: bool,
    pub ferry: FerryTurn,
    pub crowded: CrowdedBoat,
    pub pilot: PilotStation,
    /// Fishing grounds of the pair-trawl look-alikes.
    pub pair_trawl_grounds: [Area; 3],
}

/// One sea area.
pub struct Region {
    pub id: RegionId,
    /// Baseline area name, e.g. `"strait-of-sicily"`.
    pub name: &'static str,
    /// For people: "the Strait of Sicily".
    pub title: &'static str,
    /// The area the simulator covers, as `[min_lat, min_lon, max_lat, max_lon]`
    /// degrees: the grid a baseline of this area is built on.
    pub bounds_deg: [f64; 4],
    /// AIS shore stations (tag-block `s:` names) with their base-station MMSIs.
    pub stations: &'static [Station],
    /// Lights and buoys transmitting type 21.
    pub lights: &'static [Light],
    /// Coastal radars.
    pub radars: &'static [RadarSite],
    /// Flags and names of the area's vessels.
    pub locale: Locale,
    /// The ordinary fleet at scale 1.
    pub fleet: fn() -> Vec<FleetSpec>,
    /// True on land or too close to a coast for a scripted track (coarse, generous).
    pub on_land: fn(LatLon) -> bool,
    /// Harbour berths (distance from port).
    pub ports: &'static [LatLon],
    /// Fishing grounds, and anchorages and pilot areas: where lingering is ordinary.
    pub grounds: &'static [Area],
    pub work_areas: &'static [Area],
    pub crossing: Crossing,
    pub racetrack: Racetrack,
    pub incidents: Incidents,
}

impl std::fmt::Debug for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Region").field("name", &self.name).finish_non_exhaustive()
    }
}

impl Region {
    /// The shore station nearest to `pos`, and its distance in nautical miles.
    pub fn nearest_station(&self, pos: LatLon) -> (&'static Station, f64) {
        super::ais_tx::nearest_station(self.stations, pos)
    }
}
