//! gpsd's AIS JSON (`lookout decode --format gpsd`): one object per message
//! in the shape `gpsd` and `gpsdecode -j` print in scaled mode, so tools
//! written for gpsd's AIS reports can read Lookout's decodes.
//!
//! The reference is gpsd 3.20 (`gpsd_json.c`, `json_aivdm_dump`), the version
//! that wrote `test/sample.aivdm.js.chk` against which `tests/offline/decode_gpsd.rs`
//! checks this module. Field names, units and "not available" codes are
//! gpsd's; numbers have the value gpsd prints (rounded to the decimals gpsd
//! prints) but not always its text (`-70.7582` for gpsd's `-70.758200`).
//!
//! Lookout's decoder turns "not available" codes into `None`; they are written
//! back as gpsd's raw codes (lat 91, lon 181, heading 511, second 60, course
//! 360.0, status 15, ...). Where a field held an *invalid* value rather than
//! the code, gpsd prints the raw value and we print the code:
//! - positions out of range (|lat| > 90°, |lon| > 180°): 91 / 181;
//! - heading 360..=510: 511; second 61..=63: 60; course 360.1..=409.5: 360.0;
//! - ETA / type 4 times: month 13..=15, hour 25..=31, minute 61..=63 print
//!   as 0 / 24 / 60.
//!
//! Differences from gpsd 3.20 by choice:
//! - `turn` keeps its sign (gpsd 3.20 prints the magnitude only; later gpsd
//!   prints signed values).
//! - type 24: like the gpsd daemon (and `gpsdecode -s`), part A and an
//!   unmatched part B are written as they come, with `"part":"A"` / `"B"`, and
//!   a part B that follows its part A (same MMSI, 8 most recent part As kept)
//!   is written as one paired record without `part`. Plain `gpsdecode` prints
//!   only the paired records.
//!
//! Types Lookout does not decode (6, 7, 8, 10, 12-17, 20, 22, 23, 25, 26) are
//! not written at all: [`object`] returns `None` for them.

use lookout_ais::decode::{
    e4min_to_deg, AidToNavigation, AisMessage, BaseStationReport, Decoded, Dimensions, PositionReport, SarAircraft,
    SixbitText, StaticB, StaticPart, StaticVoyage,
};
use serde::Serialize;
use serde_json::Value;

/// gpsd's navigational status legends (3.20), index = status 0..=15.
const NAV_LEGENDS: [&str; 16] = [
    "Under way using engine",
    "At anchor",
    "Not under command",
    "Restricted manoeuverability",
    "Constrained by her draught",
    "Moored",
    "Aground",
    "Engaged in fishing",
    "Under way sailing",
    "Reserved for HSC",
    "Reserved for WIG",
    "Reserved",
    "Reserved",
    "Reserved",
    "Reserved",
    "Not defined",
];

/// gpsd's EPFD legends (3.20); 9..=15 are "INVALID EPFD".
const EPFD_LEGENDS: [&str; 9] = [
    "Undefined",
    "GPS",
    "GLONASS",
    "Combined GPS/GLONASS",
    "Loran-C",
    "Chayka",
    "Integrated navigation system",
    "Surveyed",
    "Galileo",
];

/// gpsd's aid-to-navigation type legends, index = type 0..=31.
const NAVAID_LEGENDS: [&str; 32] = [
    "Unspecified",
    "Reference point",
    "RACON",
    "Fixed offshore structure",
    "Spare, Reserved for future use.",
    "Light, without sectors",
    "Light, with sectors",
    "Leading Light Front",
    "Leading Light Rear",
    "Beacon, Cardinal N",
    "Beacon, Cardinal E",
    "Beacon, Cardinal S",
    "Beacon, Cardinal W",
    "Beacon, Port hand",
    "Beacon, Starboard hand",
    "Beacon, Preferred Channel port hand",
    "Beacon, Preferred Channel starboard hand",
    "Beacon, Isolated danger",
    "Beacon, Safe water",
    "Beacon, Special mark",
    "Cardinal Mark N",
    "Cardinal Mark E",
    "Cardinal Mark S",
    "Cardinal Mark W",
    "Port hand Mark",
    "Starboard hand Mark",
    "Preferred Channel Port hand",
    "Preferred Channel Starboard hand",
    "Isolated danger",
    "Safe Water",
    "Special Mark",
    "Light Vessel / LANBY / Rigs",
];

fn epfd_text(epfd: u8) -> &'static str {
    EPFD_LEGENDS.get(epfd as usize).copied().unwrap_or("INVALID EPFD")
}

fn nav_text(status: u8) -> &'static str {
    NAV_LEGENDS.get(status as usize).copied().unwrap_or("Not defined")
}

/// gpsd's ship and cargo type legends (0..=99; 100..=255 "INVALID SHIP TYPE").
fn shiptype_text(t: u8) -> &'static str {
    const FIXED: [&str; 10] = [
        "Fishing",
        "Towing",
        "Towing: length exceeds 200m or breadth exceeds 25m",
        "Dredging or underwater ops",
        "Diving ops",
        "Military ops",
        "Sailing",
        "Pleasure Craft",
        "Reserved",
        "Reserved",
    ];
    const SPECIAL: [&str; 10] = [
        "Pilot Vessel",
        "Search and Rescue vessel",
        "Tug",
        "Port Tender",
        "Anti-pollution equipment",
        "Law Enforcement",
        "Spare - Local Vessel",
        "Spare - Local Vessel",
        "Medical Transport",
        "Ship according to RR Resolution No. 18",
    ];
    // The category strings are spelled out so each legend is a 'static str.
    macro_rules! cat {
        ($prefix:literal, $d:expr) => {
            match $d {
                0 => concat!($prefix, " - all ships of this type"),
                1 => concat!($prefix, " - Hazardous category A"),
                2 => concat!($prefix, " - Hazardous category B"),
                3 => concat!($prefix, " - Hazardous category C"),
                4 => concat!($prefix, " - Hazardous category D"),
                5..=8 => concat!($prefix, " - Reserved for future use"),
                _ => concat!($prefix, " - No additional information"),
            }
        };
    }
    let d = t % 10;
    match t {
        0 => "Not available",
        1..=19 => "Reserved for future use",
        20..=29 => match d {
            0 => "Wing in ground (WIG) - all ships of this type",
            1 => "Wing in ground (WIG) - Hazardous category A",
            2 => "Wing in ground (WIG) - Hazardous category B",
            3 => "Wing in ground (WIG) - Hazardous category C",
            4 => "Wing in ground (WIG) - Hazardous category D",
            _ => "Wing in ground (WIG) - Reserved for future use",
        },
        30..=39 => FIXED[d as usize],
        40..=49 => cat!("High speed craft (HSC)", d),
        50..=59 => SPECIAL[d as usize],
        60..=69 => cat!("Passenger", d),
        70..=79 => cat!("Cargo", d),
        80..=89 => cat!("Tanker", d),
        90..=98 => cat!("Other Type", d),
        99 => "Other Type - no additional information",
        _ => "INVALID SHIP TYPE",
    }
}

/// `v` rounded as C's `printf("%.{decimals}f")` rounds it (the text gpsd prints), read back.
fn fixed(v: f64, decimals: usize) -> f64 {
    format!("{v:.decimals$}").parse().unwrap_or(v)
}

/// Latitude and longitude in degrees, 6 decimals; "not available" (and
/// out-of-range) as gpsd's codes 91° / 181°.
fn lat_lon(lat_e4min: Option<i32>, lon_e4min: Option<i32>) -> (f64, f64) {
    match (lat_e4min, lon_e4min) {
        (Some(lat), Some(lon)) => (fixed(e4min_to_deg(lat), 6), fixed(e4min_to_deg(lon), 6)),
        _ => (91.0, 181.0),
    }
}

fn text(t: Option<&SixbitText>) -> String {
    t.map(|t| t.as_str().to_owned()).unwrap_or_default()
}

/// Course over ground in degrees, 1 decimal; "not available" = 360.0.
fn course(cog_ddeg: Option<u16>) -> f64 {
    cog_ddeg.map_or(360.0, |c| f64::from(c) / 10.0)
}

/// One gpsd AIS object: the common header, then the type's fields.
#[derive(Serialize)]
pub struct GpsdAis<'a> {
    /// Always "AIS".
    pub class: &'static str,
    /// Where the message came from: the input file name, or "stdin".
    pub device: &'a str,
    /// AIS message type 1..=27.
    #[serde(rename = "type")]
    pub msg_type: u8,
    /// Repeat indicator 0..=3.
    pub repeat: u8,
    pub mmsi: u32,
    /// Always true: units are degrees, knots, metres (gpsd's `-u` unscaled mode is not offered).
    pub scaled: bool,
    #[serde(flatten)]
    pub body: Body,
}

/// The per-type part of a [`GpsdAis`] object, in gpsd's field order.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Body {
    Position(Type1),
    BaseStation(Type4),
    StaticVoyage(Type5),
    Sar(Type9),
    ClassB(Type18),
    ClassBExtended(Type19),
    Aton(Type21),
    StaticB(Type24),
    LongRange(Type27),
}

/// Types 1, 2, 3: class A position report.
#[derive(Serialize)]
pub struct Type1 {
    /// Navigational status 0..=15 (15 = not defined).
    pub status: u8,
    pub status_text: &'static str,
    /// Rate of turn, degrees per minute, rounded to a whole number:
    /// ((raw / 4.733)², with the sign of raw); "fastleft" / "fastright" for more
    /// than 5°/30 s without a turn indicator; "nan" when not available.
    pub turn: Value,
    /// Speed over ground, knots (0.1); "nan" when not available, "fast" for 102.2 kn or more.
    pub speed: Value,
    /// Position accuracy: true = high (< 10 m).
    pub accuracy: bool,
    /// Longitude, degrees east (6 decimals); 181 = not available.
    pub lon: f64,
    /// Latitude, degrees north (6 decimals); 91 = not available.
    pub lat: f64,
    /// Course over ground, degrees (0.1); 360.0 = not available.
    pub course: f64,
    /// True heading, degrees; 511 = not available.
    pub heading: u16,
    /// UTC second of the fix; 60 = not available.
    pub second: u8,
    /// Special manoeuvre indicator: 0 not available, 1 none, 2 engaged.
    pub maneuver: u8,
    pub raim: bool,
    /// Radio (communication) state, raw.
    pub radio: u32,
}

/// Types 4 and 11: base station report / UTC response.
#[derive(Serialize)]
pub struct Type4 {
    /// UTC "YYYY-MM-DDTHH:MM:SSZ", unavailable parts as gpsd's codes (0000, 00, 00, 24, 60, 60).
    pub timestamp: String,
    pub accuracy: bool,
    /// Longitude, degrees east (6 decimals); 181 = not available.
    pub lon: f64,
    /// Latitude, degrees north (6 decimals); 91 = not available.
    pub lat: f64,
    /// Type of position fixing device (0 = undefined).
    pub epfd: u8,
    pub epfd_text: &'static str,
    pub raim: bool,
    /// Radio (communication) state, raw.
    pub radio: u32,
}

/// Type 5: class A static and voyage data.
#[derive(Serialize)]
pub struct Type5 {
    /// IMO number; 0 = not available.
    pub imo: u32,
    pub ais_version: u8,
    pub callsign: String,
    pub shipname: String,
    /// Ship and cargo type; 0 = not available.
    pub shiptype: u8,
    pub shiptype_text: &'static str,
    /// Metres from the reference point to the bow; 0 = not available.
    pub to_bow: u16,
    /// Metres to the stern; 0 = not available.
    pub to_stern: u16,
    /// Metres to port; 0 = not available.
    pub to_port: u8,
    /// Metres to starboard; 0 = not available.
    pub to_starboard: u8,
    pub epfd: u8,
    pub epfd_text: &'static str,
    /// ETA "MM-DDTHH:MMZ" (UTC, no year); unavailable parts 00, 00, 24, 60.
    pub eta: String,
    /// Maximum present static draught, metres (0.1); 0.0 = not available.
    pub draught: f64,
    pub destination: String,
    /// Data terminal: 0 = available, 1 = not available.
    pub dte: u8,
}

/// Type 9: SAR aircraft position report.
#[derive(Serialize)]
pub struct Type9 {
    /// Altitude, metres; "nan" when not available, "high" for 4094 m or more.
    pub alt: Value,
    /// Speed over ground, whole knots; "nan" when not available, "fast" for 1022 kn or more.
    pub speed: Value,
    pub accuracy: bool,
    /// Longitude, degrees east (6 decimals); 181 = not available.
    pub lon: f64,
    /// Latitude, degrees north (6 decimals); 91 = not available.
    pub lat: f64,
    /// Course over ground, degrees (0.1); 360.0 = not available.
    pub course: f64,
    /// UTC second; 60 = not available.
    pub second: u8,
    pub regional: u8,
    /// Data terminal: 0 = available, 1 = not available.
    pub dte: u8,
    pub raim: bool,
    /// Radio (communication) state, raw.
    pub radio: u32,
}

/// Type 18: class B position report.
#[derive(Serialize)]
pub struct Type18 {
    pub reserved: u8,
    /// Speed over ground, knots (0.1); 102.3 = not available.
    pub speed: f64,
    pub accuracy: bool,
    /// Longitude, degrees east (6 decimals); 181 = not available.
    pub lon: f64,
    /// Latitude, degrees north (6 decimals); 91 = not available.
    pub lat: f64,
    /// Course over ground, degrees (0.1); 360.0 = not available.
    pub course: f64,
    /// True heading, degrees; 511 = not available.
    pub heading: u16,
    /// UTC second; 60 = not available.
    pub second: u8,
    pub regional: u8,
    /// Carrier-sense (CS) unit.
    pub cs: bool,
    pub display: bool,
    pub dsc: bool,
    pub band: bool,
    pub msg22: bool,
    pub raim: bool,
    /// Radio (communication) state, raw.
    pub radio: u32,
}

/// Type 19: extended class B position report.
#[derive(Serialize)]
pub struct Type19 {
    pub reserved: u8,
    /// Speed over ground, knots (0.1); 102.3 = not available.
    pub speed: f64,
    pub accuracy: bool,
    /// Longitude, degrees east (6 decimals); 181 = not available.
    pub lon: f64,
    /// Latitude, degrees north (6 decimals); 91 = not available.
    pub lat: f64,
    /// Course over ground, degrees (0.1); 360.0 = not available.
    pub course: f64,
    /// True heading, degrees; 511 = not available.
    pub heading: u16,
    /// UTC second; 60 = not available.
    pub second: u8,
    pub regional: u8,
    pub shipname: String,
    pub shiptype: u8,
    pub shiptype_text: &'static str,
    /// Metres to bow / stern / port / starboard; 0 = not available.
    pub to_bow: u16,
    pub to_stern: u16,
    pub to_port: u8,
    pub to_starboard: u8,
    pub epfd: u8,
    pub epfd_text: &'static str,
    pub raim: bool,
    /// Data terminal: 0 = available, 1 = not available.
    pub dte: u8,
    pub assigned: bool,
}

/// Type 21: aid-to-navigation report.
#[derive(Serialize)]
pub struct Type21 {
    pub aid_type: u8,
    pub aid_type_text: &'static str,
    /// Name including the name extension.
    pub name: String,
    /// Longitude, degrees east (6 decimals); 181 = not available.
    pub lon: f64,
    /// Latitude, degrees north (6 decimals); 91 = not available.
    pub lat: f64,
    pub accuracy: bool,
    /// Metres to bow / stern / port / starboard; 0 = not available.
    pub to_bow: u16,
    pub to_stern: u16,
    pub to_port: u8,
    pub to_starboard: u8,
    pub epfd: u8,
    pub epfd_text: &'static str,
    /// UTC second; 60 = not available.
    pub second: u8,
    pub regional: u8,
    pub off_position: bool,
    pub raim: bool,
    pub virtual_aid: bool,
}

/// Type 24: class B static data, part A, part B, or both paired.
#[derive(Serialize)]
pub struct Type24 {
    /// "A" or "B" for an unpaired part; absent for a paired record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<&'static str>,
    /// Part A (or paired): the name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipname: Option<String>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub b: Option<Type24B>,
}

/// The part B fields of a type 24.
#[derive(Serialize)]
pub struct Type24B {
    /// Ship and cargo type; 0 = not available.
    pub shiptype: u8,
    pub shiptype_text: &'static str,
    /// Seven characters from bit 48, as ITU-R M.1371-3 defined the vendor id
    /// (M.1371-4 carved `model` and `serial` out of its last four).
    pub vendorid: String,
    pub model: u8,
    pub serial: u32,
    pub callsign: String,
    /// Auxiliary craft (MMSI 98xxxxxxx): the mothership's MMSI instead of dimensions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mothership_mmsi: Option<u32>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub dims: Option<Dims>,
}

/// Dimensions to the reference point, metres; 0 = not available.
#[derive(Serialize)]
pub struct Dims {
    pub to_bow: u16,
    pub to_stern: u16,
    pub to_port: u8,
    pub to_starboard: u8,
}

impl From<&Dimensions> for Dims {
    fn from(d: &Dimensions) -> Self {
        Dims {
            to_bow: d.to_bow_m.unwrap_or(0),
            to_stern: d.to_stern_m.unwrap_or(0),
            to_port: d.to_port_m.unwrap_or(0),
            to_starboard: d.to_starboard_m.unwrap_or(0),
        }
    }
}

/// Type 27: long-range broadcast.
#[derive(Serialize)]
pub struct Type27 {
    /// Navigational status as text (gpsd prints the legend here, not the number).
    pub status: &'static str,
    pub accuracy: bool,
    /// Longitude, degrees east (0.1, the message's resolution); 181 = not available.
    pub lon: f64,
    /// Latitude, degrees north (0.1); 91 = not available.
    pub lat: f64,
    /// Speed over ground, whole knots; 63 = not available.
    pub speed: u16,
    /// Course over ground, whole degrees; 511 = not available.
    pub course: u16,
    pub raim: bool,
    /// Position latency bit: false = less than 5 s.
    pub gnss: bool,
}

/// gpsd keeps the 8 most recent type 24 part A names to pair with part B.
const TYPE24_QUEUE: usize = 8;

/// Per-input state of the gpsd writer: pending type 24 part A names.
#[derive(Default)]
pub struct Writer {
    /// (MMSI, name) of recent part As; MMSI 0 = free slot.
    type24: [(u32, String); TYPE24_QUEUE],
    next: usize,
}

impl Writer {
    /// The gpsd object for one decoded message, or `None` for a type Lookout
    /// does not decode (6, 7, 8, 10, 12-17, 20, 22, 23, 25, 26).
    pub fn object<'a>(&mut self, d: &Decoded, device: &'a str) -> Option<GpsdAis<'a>> {
        let body = match &d.msg {
            AisMessage::Position(p) => match p.msg_type {
                1..=3 => Body::Position(type1(p)),
                18 => Body::ClassB(type18(p)),
                27 => Body::LongRange(type27(p)),
                _ => return None,
            },
            AisMessage::BaseStation(b) => Body::BaseStation(type4(b)),
            AisMessage::StaticVoyage(s) => Body::StaticVoyage(type5(s)),
            AisMessage::Sar(s) => Body::Sar(type9(s)),
            AisMessage::ExtendedB(p, s) => Body::ClassBExtended(type19(p, s)),
            AisMessage::Aton(a) => Body::Aton(type21(a)),
            AisMessage::StaticB(s) => Body::StaticB(self.type24(s)),
            AisMessage::Other { .. } => return None,
        };
        Some(GpsdAis {
            class: "AIS",
            device,
            msg_type: d.msg.msg_type(),
            repeat: repeat(&d.msg),
            mmsi: d.msg.mmsi(),
            scaled: true,
            body,
        })
    }

    fn type24(&mut self, s: &StaticB) -> Type24 {
        match s.part {
            StaticPart::A | StaticPart::Type19 => {
                let name = text(s.shipname.as_ref());
                self.type24[self.next] = (s.mmsi, name.clone());
                self.next = (self.next + 1) % TYPE24_QUEUE;
                Type24 { part: Some("A"), shipname: Some(name), b: None }
            }
            StaticPart::B => {
                let b = Some(type24b(s));
                // A repeated part B must not pair twice: the slot is freed.
                match self.type24.iter_mut().find(|(m, _)| *m == s.mmsi && s.mmsi != 0) {
                    Some(slot) => {
                        slot.0 = 0;
                        Type24 { part: None, shipname: Some(std::mem::take(&mut slot.1)), b }
                    }
                    None => Type24 { part: Some("B"), shipname: None, b },
                }
            }
        }
    }
}

fn repeat(m: &AisMessage) -> u8 {
    match m {
        AisMessage::Position(p) | AisMessage::ExtendedB(p, _) => p.repeat,
        AisMessage::BaseStation(b) => b.repeat,
        AisMessage::StaticVoyage(s) => s.repeat,
        AisMessage::StaticB(s) => s.repeat,
        AisMessage::Sar(s) => s.repeat,
        AisMessage::Aton(a) => a.repeat,
        AisMessage::Other { .. } => 0,
    }
}

fn type1(p: &PositionReport) -> Type1 {
    let turn = match p.rot_raw {
        None => Value::from("nan"),
        Some(-127) => Value::from("fastleft"),
        Some(127) => Value::from("fastright"),
        Some(r) => {
            let rot = f64::from(r) / 4.733;
            let deg = fixed(rot * rot, 0) as i64;
            Value::from(if r < 0 { -deg } else { deg })
        }
    };
    let speed = match p.sog_dkn {
        None => Value::from("nan"),
        Some(1022) => Value::from("fast"),
        Some(s) => Value::from(f64::from(s) / 10.0),
    };
    let (lat, lon) = lat_lon(p.lat_e4min, p.lon_e4min);
    let status = p.nav_status.unwrap_or(15);
    Type1 {
        status,
        status_text: nav_text(status),
        turn,
        speed,
        accuracy: p.accuracy,
        lon,
        lat,
        course: course(p.cog_ddeg),
        heading: p.heading_deg.unwrap_or(511),
        second: p.second.unwrap_or(60),
        maneuver: p.extras.maneuver,
        raim: p.raim,
        radio: p.extras.radio,
    }
}

fn type4(b: &BaseStationReport) -> Type4 {
    let (lat, lon) = lat_lon(b.lat_e4min, b.lon_e4min);
    Type4 {
        timestamp: format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            b.year.unwrap_or(0),
            b.month.unwrap_or(0),
            b.day.unwrap_or(0),
            b.hour.unwrap_or(24),
            b.minute.unwrap_or(60),
            b.second.unwrap_or(60)
        ),
        accuracy: b.accuracy,
        lon,
        lat,
        epfd: b.epfd,
        epfd_text: epfd_text(b.epfd),
        raim: b.raim,
        radio: b.extras.radio,
    }
}

fn type5(s: &StaticVoyage) -> Type5 {
    let shiptype = s.ship_type.unwrap_or(0);
    Type5 {
        imo: s.imo.unwrap_or(0),
        ais_version: s.ais_version,
        callsign: s.callsign.as_str().to_owned(),
        shipname: s.shipname.as_str().to_owned(),
        shiptype,
        shiptype_text: shiptype_text(shiptype),
        to_bow: s.to_bow_m.unwrap_or(0),
        to_stern: s.to_stern_m.unwrap_or(0),
        to_port: s.to_port_m.unwrap_or(0),
        to_starboard: s.to_starboard_m.unwrap_or(0),
        epfd: s.epfd,
        epfd_text: epfd_text(s.epfd),
        eta: format!(
            "{:02}-{:02}T{:02}:{:02}Z",
            s.eta_month.unwrap_or(0),
            s.eta_day.unwrap_or(0),
            s.eta_hour.unwrap_or(24),
            s.eta_minute.unwrap_or(60)
        ),
        draught: s.draught_dm.map_or(0.0, |d| f64::from(d) / 10.0),
        destination: s.destination.as_str().to_owned(),
        dte: u8::from(s.dte),
    }
}

fn type9(s: &SarAircraft) -> Type9 {
    let (lat, lon) = lat_lon(s.lat_e4min, s.lon_e4min);
    Type9 {
        alt: match s.altitude_m {
            None => Value::from("nan"),
            Some(4094) => Value::from("high"),
            Some(a) => Value::from(a),
        },
        speed: match s.sog_kn {
            None => Value::from("nan"),
            Some(1022) => Value::from("fast"),
            Some(v) => Value::from(v),
        },
        accuracy: s.accuracy,
        lon,
        lat,
        course: course(s.cog_ddeg),
        second: s.second.unwrap_or(60),
        regional: s.extras.regional,
        dte: u8::from(s.extras.dte),
        raim: s.raim,
        radio: s.extras.radio,
    }
}

fn type18(p: &PositionReport) -> Type18 {
    let (lat, lon) = lat_lon(p.lat_e4min, p.lon_e4min);
    let e = &p.extras;
    Type18 {
        reserved: e.reserved,
        speed: p.sog_dkn.map_or(102.3, |s| f64::from(s) / 10.0),
        accuracy: p.accuracy,
        lon,
        lat,
        course: course(p.cog_ddeg),
        heading: p.heading_deg.unwrap_or(511),
        second: p.second.unwrap_or(60),
        regional: e.regional,
        cs: e.cs,
        display: e.display,
        dsc: e.dsc,
        band: e.band,
        msg22: e.msg22,
        raim: p.raim,
        radio: e.radio,
    }
}

fn type19(p: &PositionReport, s: &StaticB) -> Type19 {
    let (lat, lon) = lat_lon(p.lat_e4min, p.lon_e4min);
    let e = &p.extras;
    let shiptype = s.ship_type.unwrap_or(0);
    let dims = Dims::from(&s.dimensions);
    Type19 {
        reserved: e.reserved,
        speed: p.sog_dkn.map_or(102.3, |s| f64::from(s) / 10.0),
        accuracy: p.accuracy,
        lon,
        lat,
        course: course(p.cog_ddeg),
        heading: p.heading_deg.unwrap_or(511),
        second: p.second.unwrap_or(60),
        regional: e.regional,
        shipname: text(s.shipname.as_ref()),
        shiptype,
        shiptype_text: shiptype_text(shiptype),
        to_bow: dims.to_bow,
        to_stern: dims.to_stern,
        to_port: dims.to_port,
        to_starboard: dims.to_starboard,
        epfd: e.epfd,
        epfd_text: epfd_text(e.epfd),
        raim: p.raim,
        dte: u8::from(e.dte),
        assigned: e.assigned,
    }
}

fn type21(a: &AidToNavigation) -> Type21 {
    let (lat, lon) = lat_lon(a.lat_e4min, a.lon_e4min);
    let dims = Dims::from(&a.dimensions);
    Type21 {
        aid_type: a.aid_type,
        aid_type_text: NAVAID_LEGENDS.get(a.aid_type as usize).copied().unwrap_or("INVALID NAVAID TYPE"),
        name: a.name.as_str().to_owned(),
        lon,
        lat,
        accuracy: a.accuracy,
        to_bow: dims.to_bow,
        to_stern: dims.to_stern,
        to_port: dims.to_port,
        to_starboard: dims.to_starboard,
        epfd: a.epfd,
        epfd_text: epfd_text(a.epfd),
        second: a.second.unwrap_or(60),
        regional: a.extras.regional,
        off_position: a.off_position,
        raim: a.raim,
        virtual_aid: a.virtual_aid,
    }
}

/// gpsd's 6-bit character set.
fn sixbit_char(v: u32) -> char {
    let v = (v & 0x3F) as u8;
    char::from(if v < 32 { v + 64 } else { v })
}

fn type24b(s: &StaticB) -> Type24B {
    let shiptype = s.ship_type.unwrap_or(0);
    // gpsd reads 7 characters from bit 48: our 3-character vendor id, then
    // model (4 bits) and serial (20 bits) as four more characters; it stops
    // at the first '@' and trims trailing spaces. A vendor id shorter than 3
    // ended in '@' (or in spaces, which we cannot tell apart).
    let mut vendorid = text(s.vendor_id.as_ref());
    if vendorid.len() == 3 {
        let rest = (u32::from(s.model) << 20) | s.serial;
        for k in (0..4).rev() {
            let c = sixbit_char(rest >> (6 * k));
            if c == '@' {
                break;
            }
            vendorid.push(c);
        }
        vendorid.truncate(vendorid.trim_end().len());
    }
    let auxiliary = s.mmsi / 10_000_000 == 98;
    Type24B {
        shiptype,
        shiptype_text: shiptype_text(shiptype),
        vendorid,
        model: s.model,
        serial: s.serial,
        callsign: text(s.callsign.as_ref()),
        mothership_mmsi: auxiliary.then(|| s.mothership_mmsi.unwrap_or(0)),
        dims: (!auxiliary).then(|| Dims::from(&s.dimensions)),
    }
}

fn type27(p: &PositionReport) -> Type27 {
    let (lat, lon) = match (p.lat_deg(), p.lon_deg()) {
        (Some(lat), Some(lon)) => (fixed(lat, 1), fixed(lon, 1)),
        _ => (91.0, 181.0),
    };
    Type27 {
        status: nav_text(p.nav_status.unwrap_or(15)),
        accuracy: p.accuracy,
        lon,
        lat,
        speed: p.sog_dkn.map_or(63, |s| s / 10),
        course: p.cog_ddeg.map_or(511, |c| c / 10),
        raim: p.raim,
        gnss: p.extras.gnss,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legends() {
        assert_eq!(shiptype_text(0), "Not available");
        assert_eq!(shiptype_text(37), "Pleasure Craft");
        assert_eq!(shiptype_text(55), "Law Enforcement");
        assert_eq!(shiptype_text(60), "Passenger - all ships of this type");
        assert_eq!(shiptype_text(70), "Cargo - all ships of this type");
        assert_eq!(shiptype_text(89), "Tanker - No additional information");
        assert_eq!(shiptype_text(99), "Other Type - no additional information");
        assert_eq!(shiptype_text(100), "INVALID SHIP TYPE");
        assert_eq!(epfd_text(14), "INVALID EPFD");
        assert_eq!(fixed(0.05, 1), 0.1);
    }
}
