//! AIS message types (ITU-R M.1371-5) and their field extraction.
//!
//! Conventions: raw integers as the standard defines them (units in the field
//! name: `_e4min` = 1/10000 minute, `_dkn` = 0.1 knot, `_ddeg` = 0.1 degree),
//! converted through accessors. "Not available" codes become `None`, never a
//! number. Positions: if either coordinate is "not available" or out of range
//! (|lat| > 90°, |lon| > 180°) *both* are `None` — half a position is useless
//! and a wrong one is dangerous on a rescue chart.

use super::sixbit::{Bits, SixbitText};

/// 1/10000 minute per degree.
const E4MIN_PER_DEG: i32 = 600_000;

/// Vessel class of a position report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AisClass {
    /// Class A transponder (types 1, 2, 3, 5, 27).
    A,
    /// Class B transponder (types 18, 19, 24).
    B,
}

/// Fields of a report that Lookout's own picture does not use but gpsd prints
/// (`lookout decode --format gpsd`): raw as transmitted; 0 / `false` where the
/// message type has no such field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ReportExtras {
    /// Special manoeuvre indicator (types 1-3): 0 not available, 1 none, 2 special.
    pub maneuver: u8,
    /// Regional reserved bits (type 9: 8 bits, 18: 2, 19: 4, 21: 8).
    pub regional: u8,
    /// Regional reserved bits after the MMSI (types 18, 19: 8 bits).
    pub reserved: u8,
    /// Radio (communication) state, raw (types 1-3, 4, 11: 19 bits; 9, 18: 20).
    /// A payload cut short keeps the bits it has (as gpsd reads them).
    pub radio: u32,
    /// Type of position fixing device (type 19; 0 = undefined).
    pub epfd: u8,
    /// Class B CS unit (type 18).
    pub cs: bool,
    /// Class B unit has a display (type 18).
    pub display: bool,
    /// Class B unit has DSC (type 18).
    pub dsc: bool,
    /// Class B unit can use the whole marine band (type 18).
    pub band: bool,
    /// Class B unit accepts channel management (message 22) (type 18).
    pub msg22: bool,
    /// Assigned mode (types 9, 18, 19, 21).
    pub assigned: bool,
    /// Data terminal equipment flag, raw bit: true = not available (types 9, 19).
    pub dte: bool,
    /// Position latency bit of type 27 (gpsd's `gnss`): false = less than 5 s.
    pub gnss: bool,
}

/// Position report: types 1, 2, 3 (class A), 18 (class B), 19 (class B
/// extended, position part) and 27 (long range; normalised to the same units).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PositionReport {
    pub msg_type: u8,
    pub repeat: u8,
    pub mmsi: u32,
    pub class: AisClass,
    /// Navigational status 0..=14; 15 (undefined) and class B -> `None`.
    pub nav_status: Option<u8>,
    /// Raw rate-of-turn indicator (-127..=127, see ITU-R M.1371); -128 -> `None`. Class A only.
    pub rot_raw: Option<i8>,
    /// Speed over ground in 0.1 knot; 1023 -> `None` (type 27: 1-knot field ×10, 63 -> `None`).
    pub sog_dkn: Option<u16>,
    /// Position accuracy flag (true = high, < 10 m).
    pub accuracy: bool,
    /// Longitude in 1/10000 minute (east positive).
    pub lon_e4min: Option<i32>,
    /// Latitude in 1/10000 minute (north positive).
    pub lat_e4min: Option<i32>,
    /// Course over ground in 0.1 degree; 3600 and above -> `None` (type 27: 511 -> `None`, else ×10).
    pub cog_ddeg: Option<u16>,
    /// True heading in degrees 0..=359; 511 (and other values > 359) -> `None`.
    pub heading_deg: Option<u16>,
    /// UTC second of the report 0..=59; 60..=63 (N/A, manual, dead reckoning, inoperative) -> `None`.
    pub second: Option<u8>,
    /// RAIM flag.
    pub raim: bool,
    /// Fields only gpsd-format output uses.
    pub extras: ReportExtras,
}

impl PositionReport {
    /// Latitude in degrees.
    pub fn lat_deg(&self) -> Option<f64> {
        self.lat_e4min.map(e4min_to_deg)
    }
    /// Longitude in degrees.
    pub fn lon_deg(&self) -> Option<f64> {
        self.lon_e4min.map(e4min_to_deg)
    }
    /// Speed over ground in knots.
    pub fn sog_kn(&self) -> Option<f64> {
        self.sog_dkn.map(|v| v as f64 / 10.0)
    }
    /// Course over ground in degrees.
    pub fn cog_deg(&self) -> Option<f64> {
        self.cog_ddeg.map(|v| v as f64 / 10.0)
    }
}

/// 1/10000 minute -> degrees.
pub fn e4min_to_deg(v: i32) -> f64 {
    v as f64 / E4MIN_PER_DEG as f64
}

/// Base station report (type 4) or UTC/date response (type 11).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BaseStationReport {
    pub msg_type: u8,
    pub repeat: u8,
    pub mmsi: u32,
    /// UTC year 1..=9999; 0 -> `None`.
    pub year: Option<u16>,
    /// 1..=12; 0 -> `None`.
    pub month: Option<u8>,
    /// 1..=31; 0 -> `None`.
    pub day: Option<u8>,
    /// 0..=23; 24 -> `None`.
    pub hour: Option<u8>,
    /// 0..=59; 60 -> `None`.
    pub minute: Option<u8>,
    /// 0..=59; 60+ -> `None`.
    pub second: Option<u8>,
    pub accuracy: bool,
    pub lon_e4min: Option<i32>,
    pub lat_e4min: Option<i32>,
    /// Type of position fixing device (raw; 0 = undefined).
    pub epfd: u8,
    pub raim: bool,
    /// Fields only gpsd-format output uses (`radio`).
    pub extras: ReportExtras,
}

impl BaseStationReport {
    pub fn lat_deg(&self) -> Option<f64> {
        self.lat_e4min.map(e4min_to_deg)
    }
    pub fn lon_deg(&self) -> Option<f64> {
        self.lon_e4min.map(e4min_to_deg)
    }
}

/// Ship dimensions to the reference point (metres). 0 -> `None`.
/// Bow/stern 511 and port/starboard 63 mean "511 m or more" / "63 m or more".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Dimensions {
    pub to_bow_m: Option<u16>,
    pub to_stern_m: Option<u16>,
    pub to_port_m: Option<u8>,
    pub to_starboard_m: Option<u8>,
}

/// Class A static and voyage data (type 5).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StaticVoyage {
    pub repeat: u8,
    pub mmsi: u32,
    /// AIS version indicator 0..=3.
    pub ais_version: u8,
    /// IMO number; 0 -> `None`.
    pub imo: Option<u32>,
    pub callsign: SixbitText,
    pub shipname: SixbitText,
    /// Ship and cargo type; 0 (not available) -> `None`.
    pub ship_type: Option<u8>,
    pub to_bow_m: Option<u16>,
    pub to_stern_m: Option<u16>,
    pub to_port_m: Option<u8>,
    pub to_starboard_m: Option<u8>,
    /// Type of position fixing device (raw; 0 = undefined).
    pub epfd: u8,
    /// ETA month 1..=12 (0 -> `None`).
    pub eta_month: Option<u8>,
    /// ETA day 1..=31 (0 -> `None`).
    pub eta_day: Option<u8>,
    /// ETA hour 0..=23 (24 -> `None`).
    pub eta_hour: Option<u8>,
    /// ETA minute 0..=59 (60 -> `None`).
    pub eta_minute: Option<u8>,
    /// Maximum present static draught in 0.1 m; 0 -> `None`.
    pub draught_dm: Option<u8>,
    pub destination: SixbitText,
    /// Data terminal equipment flag: true = DTE not available (raw 1).
    pub dte: bool,
}

impl StaticVoyage {
    /// Dimensions as one struct.
    pub fn dimensions(&self) -> Dimensions {
        Dimensions {
            to_bow_m: self.to_bow_m,
            to_stern_m: self.to_stern_m,
            to_port_m: self.to_port_m,
            to_starboard_m: self.to_starboard_m,
        }
    }
    /// Draught in metres.
    pub fn draught_m(&self) -> Option<f64> {
        self.draught_dm.map(|d| d as f64 / 10.0)
    }
}

/// Which class B static message a [`StaticB`] came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StaticPart {
    /// Type 24 part A: name only.
    A,
    /// Type 24 part B: ship type, vendor, call sign, dimensions.
    B,
    /// Static part of type 19 (name, ship type, dimensions; no call sign/vendor).
    /// Added to the spec'd enum; only appears inside [`AisMessage::ExtendedB`].
    Type19,
}

/// Class B static data: type 24 part A or B, or the static part of type 19.
/// The two type 24 halves are emitted independently, as they arrive; pairing
/// them (by MMSI) is up to the caller.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StaticB {
    pub msg_type: u8,
    pub repeat: u8,
    pub mmsi: u32,
    pub part: StaticPart,
    /// Part A / type 19: the name; `None` if empty.
    pub shipname: Option<SixbitText>,
    /// Part B / type 19: ship and cargo type; 0 -> `None`.
    pub ship_type: Option<u8>,
    /// Part B: manufacturer id (3 chars); `None` if empty.
    pub vendor_id: Option<SixbitText>,
    /// Part B: unit model code (raw 4 bits).
    pub model: u8,
    /// Part B: unit serial number (raw 20 bits).
    pub serial: u32,
    /// Part B: call sign; `None` if empty.
    pub callsign: Option<SixbitText>,
    /// Part B / type 19: dimensions (all `None` for auxiliary craft, see `mothership_mmsi`).
    pub dimensions: Dimensions,
    /// Part B of an auxiliary craft (MMSI 98xxxxxxx): the dimension bits hold the
    /// mothership's MMSI instead; 0 -> `None`.
    pub mothership_mmsi: Option<u32>,
}

/// Search-and-rescue aircraft position report (type 9).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SarAircraft {
    pub repeat: u8,
    pub mmsi: u32,
    /// Altitude in metres (GNSS); 4095 -> `None`; 4094 means 4094 m or higher.
    pub altitude_m: Option<u16>,
    /// Speed over ground in whole knots (not 0.1!); 1023 -> `None`; 1022 = 1022 kn or more.
    pub sog_kn: Option<u16>,
    pub accuracy: bool,
    pub lon_e4min: Option<i32>,
    pub lat_e4min: Option<i32>,
    /// Course over ground in 0.1 degree; >= 3600 -> `None`.
    pub cog_ddeg: Option<u16>,
    /// UTC second 0..=59, else `None`.
    pub second: Option<u8>,
    pub raim: bool,
    /// Fields only gpsd-format output uses (`regional`, `dte`, `assigned`, `radio`).
    pub extras: ReportExtras,
}

impl SarAircraft {
    pub fn lat_deg(&self) -> Option<f64> {
        self.lat_e4min.map(e4min_to_deg)
    }
    pub fn lon_deg(&self) -> Option<f64> {
        self.lon_e4min.map(e4min_to_deg)
    }
    pub fn cog_deg(&self) -> Option<f64> {
        self.cog_ddeg.map(|v| v as f64 / 10.0)
    }
}

/// Aid-to-navigation report (type 21).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AidToNavigation {
    pub repeat: u8,
    pub mmsi: u32,
    /// Type of aid 0..=31 (raw; 0 = not specified).
    pub aid_type: u8,
    /// Name including the name extension (bits 272..).
    pub name: SixbitText,
    pub accuracy: bool,
    pub lon_e4min: Option<i32>,
    pub lat_e4min: Option<i32>,
    pub dimensions: Dimensions,
    pub epfd: u8,
    /// UTC second 0..=59, else `None`.
    pub second: Option<u8>,
    /// True when the aid is off its charted position (only meaningful if `second` <= 59).
    pub off_position: bool,
    pub raim: bool,
    /// True for a virtual aid (no physical object at the position).
    pub virtual_aid: bool,
    /// Fields only gpsd-format output uses (`regional`, `assigned`).
    pub extras: ReportExtras,
}

impl AidToNavigation {
    pub fn lat_deg(&self) -> Option<f64> {
        self.lat_e4min.map(e4min_to_deg)
    }
    pub fn lon_deg(&self) -> Option<f64> {
        self.lon_e4min.map(e4min_to_deg)
    }
}

/// One complete, decoded AIS message.
#[derive(Clone, Debug, PartialEq)]
pub enum AisMessage {
    /// Types 1, 2, 3, 18, 27.
    Position(PositionReport),
    /// Types 4 and 11.
    BaseStation(BaseStationReport),
    /// Type 5.
    StaticVoyage(StaticVoyage),
    /// Type 24 part A or part B.
    StaticB(StaticB),
    /// Type 19 (class B extended): one message carries both a position and
    /// static data, so it is emitted as one value holding both halves
    /// (`StaticB::part == StaticPart::Type19`) rather than two callbacks.
    ExtendedB(PositionReport, StaticB),
    /// Type 9.
    Sar(SarAircraft),
    /// Type 21.
    Aton(AidToNavigation),
    /// Any other valid type (6, 7, 8, 10, 12..17, 20, 22, 23, 25, 26): counted, not decoded.
    Other { msg_type: u8, mmsi: u32 },
}

impl AisMessage {
    /// AIS message type 1..=27.
    pub fn msg_type(&self) -> u8 {
        match self {
            AisMessage::Position(p) => p.msg_type,
            AisMessage::BaseStation(b) => b.msg_type,
            AisMessage::StaticVoyage(_) => 5,
            AisMessage::StaticB(s) => s.msg_type,
            AisMessage::ExtendedB(p, _) => p.msg_type,
            AisMessage::Sar(_) => 9,
            AisMessage::Aton(_) => 21,
            AisMessage::Other { msg_type, .. } => *msg_type,
        }
    }

    /// Source MMSI.
    pub fn mmsi(&self) -> u32 {
        match self {
            AisMessage::Position(p) => p.mmsi,
            AisMessage::BaseStation(b) => b.mmsi,
            AisMessage::StaticVoyage(s) => s.mmsi,
            AisMessage::StaticB(s) => s.mmsi,
            AisMessage::ExtendedB(p, _) => p.mmsi,
            AisMessage::Sar(s) => s.mmsi,
            AisMessage::Aton(a) => a.mmsi,
            AisMessage::Other { mmsi, .. } => *mmsi,
        }
    }

    /// The position report part, if the message has one (types 1-3, 18, 19, 27).
    pub fn position(&self) -> Option<&PositionReport> {
        match self {
            AisMessage::Position(p) | AisMessage::ExtendedB(p, _) => Some(p),
            _ => None,
        }
    }
}

/// Why a complete payload could not be decoded (counted as `malformed`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("payload of {bits} bits too short for message type {msg_type} (needs {need})")]
    TooShort { msg_type: u8, bits: usize, need: usize },
    #[error("payload of {bits} bits too long for message type {msg_type} (max {max})")]
    TooLong { msg_type: u8, bits: usize, max: usize },
    #[error("invalid message type {0}")]
    BadType(u8),
    #[error("invalid type 24 part number {0}")]
    BadPart(u8),
    #[error("invalid 6-bit payload character or fill bits")]
    BadPayload,
}

/// Result of field-level validation worth counting.
#[derive(Default)]
pub(crate) struct Flags {
    /// A coordinate was out of range (not a "not available" code).
    pub invalid_position: bool,
}

/// Decode one complete payload.
pub(crate) fn decode_payload(b: &Bits<'_>, flags: &mut Flags) -> Result<AisMessage, PayloadError> {
    let bits = b.len();
    if bits < 38 {
        return Err(PayloadError::TooShort { msg_type: b.u(0, 6) as u8, bits, need: 38 });
    }
    let msg_type = b.u(0, 6) as u8;
    let repeat = b.u(6, 2) as u8;
    let mmsi = b.u(8, 30);
    // Minimum lengths: every field decoded here must be present; trailing
    // radio-status bits may be missing (gpsd's sample.aivdm has a 163-bit
    // type 1 from an encoder that got the fill bits wrong). Type 5 may be 420
    // bits (dte/spare dropped), 24A 160 (spare dropped).
    let need = match msg_type {
        1..=4 | 11 => 149,
        9 | 18 => 148,
        5 => 420,
        19 => 307,
        21 => 272,
        24 => 160,
        27 => 96,
        6..=8 | 10 | 12..=17 | 20 | 22 | 23 | 25 | 26 => 38,
        t => return Err(PayloadError::BadType(t)),
    };
    if bits < need {
        return Err(PayloadError::TooShort { msg_type, bits, need });
    }
    // Type 27 is 96 bits (some units pad to one slot, 168); a longer one is
    // not a type 27 (seen: a 336-bit satellite payload decoding to nonsense).
    if msg_type == 27 && bits > 168 {
        return Err(PayloadError::TooLong { msg_type, bits, max: 168 });
    }
    Ok(match msg_type {
        1..=3 => {
            let (lat, lon) = position(b, 89, 61, flags);
            AisMessage::Position(PositionReport {
                msg_type,
                repeat,
                mmsi,
                class: AisClass::A,
                nav_status: na(b.u(38, 4) as u8, 15),
                rot_raw: match b.i(42, 8) as i8 {
                    -128 => None,
                    r => Some(r),
                },
                sog_dkn: sog(b.u(50, 10)),
                accuracy: b.b(60),
                lon_e4min: lon,
                lat_e4min: lat,
                cog_ddeg: cog(b.u(116, 12)),
                heading_deg: heading(b.u(128, 9)),
                second: second(b.u(137, 6)),
                raim: b.b(148),
                extras: ReportExtras { maneuver: b.u(143, 2) as u8, radio: tail(b, 149, 19), ..Default::default() },
            })
        }
        4 | 11 => {
            let (lat, lon) = position(b, 107, 79, flags);
            AisMessage::BaseStation(BaseStationReport {
                msg_type,
                repeat,
                mmsi,
                year: nz(b.u(38, 14) as u16),
                month: nz(b.u(52, 4) as u8),
                day: nz(b.u(56, 5) as u8),
                hour: below(b.u(61, 5), 24),
                minute: below(b.u(66, 6), 60),
                second: below(b.u(72, 6), 60),
                accuracy: b.b(78),
                lon_e4min: lon,
                lat_e4min: lat,
                epfd: b.u(134, 4) as u8,
                raim: b.b(148),
                extras: ReportExtras { radio: tail(b, 149, 19), ..Default::default() },
            })
        }
        5 => AisMessage::StaticVoyage(StaticVoyage {
            repeat,
            mmsi,
            ais_version: b.u(38, 2) as u8,
            imo: nz(b.u(40, 30)),
            callsign: b.text(70, 7),
            shipname: b.text(112, 20),
            ship_type: nz(b.u(232, 8) as u8),
            to_bow_m: nz(b.u(240, 9) as u16),
            to_stern_m: nz(b.u(249, 9) as u16),
            to_port_m: nz(b.u(258, 6) as u8),
            to_starboard_m: nz(b.u(264, 6) as u8),
            epfd: b.u(270, 4) as u8,
            eta_month: nz(b.u(274, 4) as u8).filter(|&m| m <= 12),
            eta_day: nz(b.u(278, 5) as u8),
            eta_hour: below(b.u(283, 5), 24),
            eta_minute: below(b.u(288, 6), 60),
            draught_dm: nz(b.u(294, 8) as u8),
            destination: b.text(302, 20),
            // Missing in the 420-bit variant: read as 0.
            dte: b.b(422),
        }),
        9 => {
            let (lat, lon) = position(b, 89, 61, flags);
            AisMessage::Sar(SarAircraft {
                repeat,
                mmsi,
                altitude_m: na(b.u(38, 12) as u16, 4095),
                sog_kn: na(b.u(50, 10) as u16, 1023),
                accuracy: b.b(60),
                lon_e4min: lon,
                lat_e4min: lat,
                cog_ddeg: cog(b.u(116, 12)),
                second: second(b.u(128, 6)),
                raim: b.b(147),
                extras: ReportExtras {
                    regional: b.u(134, 8) as u8,
                    dte: b.b(142),
                    assigned: b.b(146),
                    radio: tail(b, 148, 20),
                    ..Default::default()
                },
            })
        }
        18 => {
            let mut pos = class_b_position(b, msg_type, repeat, mmsi, flags, 147);
            pos.extras = ReportExtras {
                reserved: b.u(38, 8) as u8,
                regional: b.u(139, 2) as u8,
                cs: b.b(141),
                display: b.b(142),
                dsc: b.b(143),
                band: b.b(144),
                msg22: b.b(145),
                assigned: b.b(146),
                radio: tail(b, 148, 20),
                ..Default::default()
            };
            AisMessage::Position(pos)
        }
        19 => {
            let mut pos = class_b_position(b, msg_type, repeat, mmsi, flags, 305);
            pos.extras = ReportExtras {
                reserved: b.u(38, 8) as u8,
                regional: b.u(139, 4) as u8,
                epfd: b.u(301, 4) as u8,
                dte: b.b(306),
                assigned: b.b(307),
                ..Default::default()
            };
            let stat = StaticB {
                msg_type,
                repeat,
                mmsi,
                part: StaticPart::Type19,
                shipname: b.text(143, 20).non_empty(),
                ship_type: nz(b.u(263, 8) as u8),
                vendor_id: None,
                model: 0,
                serial: 0,
                callsign: None,
                dimensions: dimensions(b, 271),
                mothership_mmsi: None,
            };
            AisMessage::ExtendedB(pos, stat)
        }
        21 => {
            let (lat, lon) = position(b, 192, 164, flags);
            let mut name = SixbitText::default();
            // The extension (bits 272.., up to 14 chars) continues the name
            // only if the first 20 characters were not terminated by '@'.
            if name.push_sixbit(b, 43, 20) {
                let ext_chars = (bits.saturating_sub(272) / 6).min(14);
                name.push_sixbit(b, 272, ext_chars);
            }
            name.trim_end();
            AisMessage::Aton(AidToNavigation {
                repeat,
                mmsi,
                aid_type: b.u(38, 5) as u8,
                name,
                accuracy: b.b(163),
                lon_e4min: lon,
                lat_e4min: lat,
                dimensions: dimensions(b, 219),
                epfd: b.u(249, 4) as u8,
                second: second(b.u(253, 6)),
                off_position: b.b(259),
                raim: b.b(268),
                virtual_aid: b.b(269),
                extras: ReportExtras { regional: b.u(260, 8) as u8, assigned: b.b(270), ..Default::default() },
            })
        }
        24 => {
            let part = b.u(38, 2) as u8;
            let mut s = StaticB {
                msg_type,
                repeat,
                mmsi,
                part: StaticPart::A,
                shipname: None,
                ship_type: None,
                vendor_id: None,
                model: 0,
                serial: 0,
                callsign: None,
                dimensions: Dimensions::default(),
                mothership_mmsi: None,
            };
            match part {
                0 => s.shipname = b.text(40, 20).non_empty(),
                1 => {
                    if bits < 162 {
                        return Err(PayloadError::TooShort { msg_type, bits, need: 162 });
                    }
                    s.part = StaticPart::B;
                    s.ship_type = nz(b.u(40, 8) as u8);
                    s.vendor_id = b.text(48, 3).non_empty();
                    s.model = b.u(66, 4) as u8;
                    s.serial = b.u(70, 20);
                    s.callsign = b.text(90, 7).non_empty();
                    // Auxiliary craft (98MIDxxxx) carry the mothership MMSI
                    // in the dimension bits.
                    if mmsi / 10_000_000 == 98 {
                        s.mothership_mmsi = nz(b.u(132, 30));
                    } else {
                        s.dimensions = dimensions(b, 132);
                    }
                }
                p => return Err(PayloadError::BadPart(p)),
            }
            AisMessage::StaticB(s)
        }
        27 => {
            // 1/10 minute, 18 and 17 bits; N/A = 181° / 91° in that scale.
            let lon = b.i(44, 18);
            let lat = b.i(62, 17);
            let (lat, lon) = check_position(lat.saturating_mul(1000), lon.saturating_mul(1000), flags);
            let sog = b.u(79, 6) as u16;
            let cog = b.u(85, 9) as u16;
            AisMessage::Position(PositionReport {
                msg_type,
                repeat,
                mmsi,
                class: AisClass::A,
                nav_status: na(b.u(40, 4) as u8, 15),
                rot_raw: None,
                sog_dkn: na(sog, 63).map(|s| s * 10),
                accuracy: b.b(38),
                lon_e4min: lon,
                lat_e4min: lat,
                cog_ddeg: if cog < 360 { Some(cog * 10) } else { None },
                heading_deg: None,
                second: None,
                raim: b.b(39),
                extras: ReportExtras { gnss: b.b(94), ..Default::default() },
            })
        }
        _ => AisMessage::Other { msg_type, mmsi },
    })
}

/// Types 18 and 19 share the position layout.
fn class_b_position(
    b: &Bits<'_>,
    msg_type: u8,
    repeat: u8,
    mmsi: u32,
    flags: &mut Flags,
    raim_bit: usize,
) -> PositionReport {
    let (lat, lon) = position(b, 85, 57, flags);
    PositionReport {
        msg_type,
        repeat,
        mmsi,
        class: AisClass::B,
        nav_status: None,
        rot_raw: None,
        sog_dkn: sog(b.u(46, 10)),
        accuracy: b.b(56),
        lon_e4min: lon,
        lat_e4min: lat,
        cog_ddeg: cog(b.u(112, 12)),
        heading_deg: heading(b.u(124, 9)),
        second: second(b.u(133, 6)),
        raim: b.b(raim_bit),
        extras: ReportExtras::default(),
    }
}

/// The last field of a message, `width` bits from `start`, or as many of them
/// as the payload holds (read as gpsd does: a short field, not zero-padded).
fn tail(b: &Bits<'_>, start: usize, width: usize) -> u32 {
    let have = b.len().saturating_sub(start).min(width);
    if have == 0 {
        0
    } else {
        b.u(start, have)
    }
}

/// Standard 27-bit latitude / 28-bit longitude in 1/10000 minute.
fn position(b: &Bits<'_>, lat_bit: usize, lon_bit: usize, flags: &mut Flags) -> (Option<i32>, Option<i32>) {
    check_position(b.i(lat_bit, 27), b.i(lon_bit, 28), flags)
}

/// Apply "not available" (91°, 181°) and range checks; both-or-neither.
fn check_position(lat: i32, lon: i32, flags: &mut Flags) -> (Option<i32>, Option<i32>) {
    const LAT_NA: i32 = 91 * E4MIN_PER_DEG;
    const LON_NA: i32 = 181 * E4MIN_PER_DEG;
    if lat == LAT_NA || lon == LON_NA {
        return (None, None);
    }
    if lat.abs() > 90 * E4MIN_PER_DEG || lon.abs() > 180 * E4MIN_PER_DEG {
        flags.invalid_position = true;
        return (None, None);
    }
    (Some(lat), Some(lon))
}

fn dimensions(b: &Bits<'_>, start: usize) -> Dimensions {
    Dimensions {
        to_bow_m: nz(b.u(start, 9) as u16),
        to_stern_m: nz(b.u(start + 9, 9) as u16),
        to_port_m: nz(b.u(start + 18, 6) as u8),
        to_starboard_m: nz(b.u(start + 24, 6) as u8),
    }
}

#[inline]
fn sog(raw: u32) -> Option<u16> {
    na(raw as u16, 1023)
}
#[inline]
fn cog(raw: u32) -> Option<u16> {
    below::<u16>(raw, 3600)
}
#[inline]
fn heading(raw: u32) -> Option<u16> {
    (raw < 360).then_some(raw as u16)
}
#[inline]
fn second(raw: u32) -> Option<u8> {
    below(raw, 60)
}
/// `None` if `v == code`.
#[inline]
fn na<T: PartialEq>(v: T, code: T) -> Option<T> {
    (v != code).then_some(v)
}
/// `None` if zero.
#[inline]
fn nz<T: PartialEq + Default>(v: T) -> Option<T> {
    (v != T::default()).then_some(v)
}
/// `Some(v)` if `v < limit` (values at/above the limit are N/A codes).
#[inline]
fn below<T: TryFrom<u32>>(v: u32, limit: u32) -> Option<T> {
    if v < limit {
        T::try_from(v).ok()
    } else {
        None
    }
}
