//! AIS message encoding: bit packing per ITU-R M.1371-5, 6-bit payload armouring,
//! NMEA 0183 `!AIVDM` sentences (checksum, fill bits, multi-sentence split) and the
//! NMEA 4 tag block, and the radar `$--TLL` sentence ([`tll_sentence`]). This is the
//! exact inverse of `crate::decode` (and of `crate::radar::parse_tll`), so every field
//! width and NA code below follows the standard's tables.

/// Maximum payload characters per sentence. 60 chars keeps a one-part sentence and its
/// tag block well under the 82-char NMEA line limit, and it is what most receivers use.
pub const MAX_PAYLOAD_CHARS: usize = 60;

/// "Not available" codes from M.1371 that the simulator emits.
pub mod na {
    /// Heading not available (degrees field).
    pub const HEADING: u16 = 511;
    /// Course over ground not available (0.1 deg field).
    pub const COG: u16 = 3600;
    /// Speed over ground not available (0.1 kn field).
    pub const SOG: u16 = 1023;
    /// Rate of turn: no turn information.
    pub const ROT: i8 = -128;
    /// Time stamp (UTC second) not available.
    pub const SECOND: u8 = 60;
    /// Longitude not available, in 1/10000 min.
    pub const LON: i32 = 181 * 600_000;
    /// Latitude not available, in 1/10000 min.
    pub const LAT: i32 = 91 * 600_000;
}

/// An append-only bit string, most significant bit first, as AIS payloads are packed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BitWriter {
    bits: Vec<bool>,
}

impl BitWriter {
    /// An empty bit string.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of bits written so far.
    pub fn len(&self) -> usize {
        self.bits.len()
    }

    /// True when no bit has been written.
    pub fn is_empty(&self) -> bool {
        self.bits.is_empty()
    }

    /// Appends the low `width` bits of `value`, MSB first (unsigned field).
    pub fn u(&mut self, width: usize, value: u64) -> &mut Self {
        debug_assert!(width <= 64);
        for i in (0..width).rev() {
            self.bits.push((value >> i) & 1 == 1);
        }
        self
    }

    /// Appends a two's-complement signed field of `width` bits.
    pub fn i(&mut self, width: usize, value: i64) -> &mut Self {
        // Masking to `width` bits of the two's-complement form is exactly what the
        // standard's signed fields are; the decoder sign-extends from the top bit.
        let mask = if width == 64 { u64::MAX } else { (1u64 << width) - 1 };
        self.u(width, (value as u64) & mask)
    }

    /// Appends a boolean flag (1 bit).
    pub fn flag(&mut self, value: bool) -> &mut Self {
        self.u(1, value as u64)
    }

    /// Appends `chars` characters of AIS 6-bit text, upper-cased and padded with `@`
    /// (the standard's "no character"); characters outside the 6-bit set become a
    /// space, as most transponders do with bad input.
    pub fn text(&mut self, chars: usize, s: &str) -> &mut Self {
        let mut it = s.chars();
        for _ in 0..chars {
            let v = it.next().map(text_code).unwrap_or(0);
            self.u(6, v as u64);
        }
        self
    }

    /// The bits as `0`/`1` characters (handy in test failure messages).
    pub fn to_bit_string(&self) -> String {
        self.bits.iter().map(|&b| if b { '1' } else { '0' }).collect()
    }

    /// Armours the bits into payload characters and returns `(payload, fill_bits)`:
    /// zero bits are appended up to a multiple of 6 and their count is the fill.
    pub fn armor(&self) -> (String, u8) {
        let fill = (6 - self.bits.len() % 6) % 6;
        let mut payload = String::with_capacity(self.bits.len().div_ceil(6));
        for chunk in self.bits.chunks(6) {
            let mut v = 0u8;
            for i in 0..6 {
                v = (v << 1) | chunk.get(i).copied().unwrap_or(false) as u8;
            }
            payload.push(armor_char(v));
        }
        (payload, fill as u8)
    }
}

/// The 6-bit text code of `c` (ITU-R M.1371 Table 47): `@`=0, `A`..`Z`=1..26,
/// space=32, digits 48..57. Lower case is upper-cased; anything else maps to space.
pub fn text_code(c: char) -> u8 {
    let c = c.to_ascii_uppercase();
    match c as u32 {
        64..=95 => (c as u32 - 64) as u8,
        32..=63 => c as u32 as u8,
        _ => 32,
    }
}

/// Payload armouring: 6-bit value `v` → ASCII `v + 48`, plus 8 more above 39 so the
/// characters skip `X`..`_` (`0`..`W` then `` ` ``..`w`).
pub fn armor_char(v: u8) -> char {
    debug_assert!(v < 64);
    let c = v + 48;
    (if c > 87 { c + 8 } else { c }) as char
}

/// NMEA checksum: XOR of every byte of `body` (the text between `!`/`$` and `*`,
/// or between `\` and `*` for a tag block).
pub fn checksum(body: &str) -> u8 {
    body.bytes().fold(0, |acc, b| acc ^ b)
}

/// Latitude in degrees → the AIS field unit, 1/10000 minute.
pub fn lat_to_ais(lat_deg: f64) -> i32 {
    (lat_deg * 600_000.0).round() as i32
}

/// Longitude in degrees → the AIS field unit, 1/10000 minute.
pub fn lon_to_ais(lon_deg: f64) -> i32 {
    (lon_deg * 600_000.0).round() as i32
}

/// Speed in knots → the 0.1 kn SOG field (1022 means "102.2 kn or more").
pub fn sog_to_ais(speed_kn: f64) -> u16 {
    (speed_kn.max(0.0) * 10.0).round().min(1022.0) as u16
}

/// Course in degrees → the 0.1 degree COG field, normalised to [0, 3600).
pub fn cog_to_ais(course_deg: f64) -> u16 {
    ((course_deg.rem_euclid(360.0) * 10.0).round() as u16) % 3600
}

/// Rate of turn in degrees per minute → the ROT_AIS field (4.733·√|ROT|, signed),
/// clamped to ±126 as the standard reserves ±127 for "turning, no TI".
pub fn rot_to_ais(rot_deg_per_min: f64) -> i8 {
    let v = 4.733 * rot_deg_per_min.abs().sqrt();
    let v = v.round().min(126.0) as i8;
    if rot_deg_per_min < 0.0 {
        -v
    } else {
        v
    }
}

/// Wraps an armoured payload into one or more `!AIVDM` sentences (without tag blocks).
///
/// A payload over [`MAX_PAYLOAD_CHARS`] is split; multi-part sentences carry `seq_id`
/// (0-9) so a receiver can reassemble them, and only the last part carries the fill.
pub fn sentences(payload: &str, fill: u8, channel: char, seq_id: u8) -> Vec<String> {
    let chunks: Vec<&str> = if payload.is_empty() {
        vec![""]
    } else {
        // The payload is ASCII, so byte offsets are char offsets.
        payload.as_bytes().chunks(MAX_PAYLOAD_CHARS).map(|c| std::str::from_utf8(c).unwrap_or("")).collect()
    };
    let total = chunks.len();
    chunks
        .iter()
        .enumerate()
        .map(|(i, chunk)| {
            let seq = if total > 1 { seq_id.to_string() } else { String::new() };
            let part_fill = if i + 1 == total { fill } else { 0 };
            let body = format!("AIVDM,{},{},{},{},{},{}", total, i + 1, seq, channel, chunk, part_fill);
            format!("!{}*{:02X}", body, checksum(&body))
        })
        .collect()
}

/// NMEA 4 tag block with source station and UNIX time in whole seconds:
/// `\s:<station>,c:<unix_s>*hh\`.
pub fn tag_block(station: &str, unix_s: i64) -> String {
    let body = format!("s:{},c:{}", station, unix_s);
    format!("\\{}*{:02X}\\", body, checksum(&body))
}

/// Types 1, 2 and 3: class A position report (M.1371 Table 45), 168 bits.
#[derive(Debug, Clone, PartialEq)]
pub struct PositionReport {
    /// 1 or 2 (SOTDMA) or 3 (ITDMA, assigned/interrogated).
    pub msg_type: u8,
    pub repeat: u8,
    pub mmsi: u32,
    /// Navigational status 0-15 (0 under way, 1 at anchor, 5 moored, 7 fishing, 15 NA).
    pub nav_status: u8,
    /// ROT_AIS (-128 = no turn information).
    pub rot: i8,
    /// Speed over ground in 0.1 kn (1023 = NA).
    pub sog: u16,
    /// Position accuracy flag: true = DGPS-quality (< 10 m).
    pub accuracy: bool,
    /// Longitude in 1/10000 min.
    pub lon: i32,
    /// Latitude in 1/10000 min.
    pub lat: i32,
    /// Course over ground in 0.1 deg (3600 = NA).
    pub cog: u16,
    /// True heading in degrees (511 = NA).
    pub heading: u16,
    /// UTC second of the report (60 = NA).
    pub second: u8,
    /// Special manoeuvre indicator (0 = NA).
    pub maneuver: u8,
    pub spare: u8,
    pub raim: bool,
    /// 19-bit communication state (SOTDMA for 1/2, ITDMA for 3).
    pub radio: u32,
}

impl PositionReport {
    /// A type 1 report of a class A ship under way at (`lat_deg`, `lon_deg`), making
    /// `sog_kn` on `cog_deg` with its heading along the course; no turn, second or
    /// radio information. The report test fixtures are built from.
    pub fn under_way(mmsi: u32, lat_deg: f64, lon_deg: f64, sog_kn: f64, cog_deg: f64) -> Self {
        PositionReport {
            msg_type: 1,
            repeat: 0,
            mmsi,
            nav_status: 0,
            rot: -128,
            sog: (sog_kn * 10.0).round().clamp(0.0, 1022.0) as u16,
            accuracy: false,
            lon: lon_to_ais(lon_deg),
            lat: lat_to_ais(lat_deg),
            cog: (cog_deg.rem_euclid(360.0) * 10.0).round() as u16 % 3600,
            heading: cog_deg.rem_euclid(360.0).round() as u16 % 360,
            second: 60,
            maneuver: 0,
            spare: 0,
            raim: false,
            radio: 0,
        }
    }

    /// This report as one `!AIVDM` sentence on channel A (no line ending).
    pub fn sentence(self) -> String {
        AisMessage::Position(self).to_sentences('A', 0).remove(0)
    }
}

impl PositionReport {
    /// Packs the message bits.
    pub fn to_bits(&self) -> BitWriter {
        let mut w = BitWriter::new();
        w.u(6, self.msg_type as u64)
            .u(2, self.repeat as u64)
            .u(30, self.mmsi as u64)
            .u(4, self.nav_status as u64)
            .i(8, self.rot as i64)
            .u(10, self.sog as u64)
            .flag(self.accuracy)
            .i(28, self.lon as i64)
            .i(27, self.lat as i64)
            .u(12, self.cog as u64)
            .u(9, self.heading as u64)
            .u(6, self.second as u64)
            .u(2, self.maneuver as u64)
            .u(3, self.spare as u64)
            .flag(self.raim)
            .u(19, self.radio as u64);
        w
    }
}

/// Type 4: base station report (M.1371 Table 73), 168 bits.
#[derive(Debug, Clone, PartialEq)]
pub struct BaseStationReport {
    pub repeat: u8,
    pub mmsi: u32,
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub accuracy: bool,
    /// Longitude in 1/10000 min.
    pub lon: i32,
    /// Latitude in 1/10000 min.
    pub lat: i32,
    /// Type of position fixing device (7 = surveyed).
    pub epfd: u8,
    pub raim: bool,
    /// 19-bit SOTDMA communication state.
    pub radio: u32,
}

impl BaseStationReport {
    /// Packs the message bits (the 10 spare bits are zero).
    pub fn to_bits(&self) -> BitWriter {
        let mut w = BitWriter::new();
        w.u(6, 4)
            .u(2, self.repeat as u64)
            .u(30, self.mmsi as u64)
            .u(14, self.year as u64)
            .u(4, self.month as u64)
            .u(5, self.day as u64)
            .u(5, self.hour as u64)
            .u(6, self.minute as u64)
            .u(6, self.second as u64)
            .flag(self.accuracy)
            .i(28, self.lon as i64)
            .i(27, self.lat as i64)
            .u(4, self.epfd as u64)
            .u(10, 0)
            .flag(self.raim)
            .u(19, self.radio as u64);
        w
    }
}

/// Type 5: class A static and voyage related data (M.1371 Table 48), 424 bits.
#[derive(Debug, Clone, PartialEq)]
pub struct StaticVoyageData {
    pub repeat: u8,
    pub mmsi: u32,
    pub ais_version: u8,
    /// IMO number (0 = NA).
    pub imo: u32,
    /// Call sign, up to 7 characters.
    pub callsign: String,
    /// Ship name, up to 20 characters.
    pub name: String,
    /// Ship and cargo type (M.1371 Table 53).
    pub ship_type: u8,
    /// Distance from the GPS antenna to the bow, m.
    pub to_bow_m: u16,
    /// Distance from the GPS antenna to the stern, m.
    pub to_stern_m: u16,
    /// Distance from the GPS antenna to port, m.
    pub to_port_m: u8,
    /// Distance from the GPS antenna to starboard, m.
    pub to_starboard_m: u8,
    /// Type of position fixing device (1 = GPS).
    pub epfd: u8,
    pub eta_month: u8,
    pub eta_day: u8,
    pub eta_hour: u8,
    pub eta_minute: u8,
    /// Maximum present static draught in 0.1 m.
    pub draught_dm: u8,
    /// Destination, up to 20 characters.
    pub destination: String,
    /// Data terminal equipment: false = available.
    pub dte: bool,
}

impl StaticVoyageData {
    /// Packs the message bits (the final spare bit is zero).
    pub fn to_bits(&self) -> BitWriter {
        let mut w = BitWriter::new();
        w.u(6, 5)
            .u(2, self.repeat as u64)
            .u(30, self.mmsi as u64)
            .u(2, self.ais_version as u64)
            .u(30, self.imo as u64)
            .text(7, &self.callsign)
            .text(20, &self.name)
            .u(8, self.ship_type as u64)
            .u(9, self.to_bow_m as u64)
            .u(9, self.to_stern_m as u64)
            .u(6, self.to_port_m as u64)
            .u(6, self.to_starboard_m as u64)
            .u(4, self.epfd as u64)
            .u(4, self.eta_month as u64)
            .u(5, self.eta_day as u64)
            .u(5, self.eta_hour as u64)
            .u(6, self.eta_minute as u64)
            .u(8, self.draught_dm as u64)
            .text(20, &self.destination)
            .flag(self.dte)
            .u(1, 0);
        w
    }
}

/// Type 18: class B "CS" position report (M.1371 Table 49), 168 bits.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassBPositionReport {
    pub repeat: u8,
    pub mmsi: u32,
    /// Speed over ground in 0.1 kn (1023 = NA).
    pub sog: u16,
    pub accuracy: bool,
    /// Longitude in 1/10000 min.
    pub lon: i32,
    /// Latitude in 1/10000 min.
    pub lat: i32,
    /// Course over ground in 0.1 deg (3600 = NA).
    pub cog: u16,
    /// True heading in degrees (511 = NA).
    pub heading: u16,
    /// UTC second of the report (60 = NA).
    pub second: u8,
    /// Class B unit flag: true = carrier-sense (CS) unit.
    pub cs: bool,
    pub display: bool,
    pub dsc: bool,
    /// True = can use the whole marine band.
    pub band: bool,
    /// True = can handle message 22 (channel management).
    pub msg22: bool,
    pub assigned: bool,
    pub raim: bool,
    /// 20-bit radio status (CS units send the fixed 0xE0006 pattern).
    pub radio: u32,
}

impl ClassBPositionReport {
    /// Packs the message bits (reserved and regional fields are zero).
    pub fn to_bits(&self) -> BitWriter {
        let mut w = BitWriter::new();
        w.u(6, 18)
            .u(2, self.repeat as u64)
            .u(30, self.mmsi as u64)
            .u(8, 0)
            .u(10, self.sog as u64)
            .flag(self.accuracy)
            .i(28, self.lon as i64)
            .i(27, self.lat as i64)
            .u(12, self.cog as u64)
            .u(9, self.heading as u64)
            .u(6, self.second as u64)
            .u(2, 0)
            .flag(self.cs)
            .flag(self.display)
            .flag(self.dsc)
            .flag(self.band)
            .flag(self.msg22)
            .flag(self.assigned)
            .flag(self.raim)
            .u(20, self.radio as u64);
        w
    }
}

/// Type 24 part A: class B static data, name (M.1371 Table 81), 160 bits.
#[derive(Debug, Clone, PartialEq)]
pub struct StaticDataA {
    pub repeat: u8,
    pub mmsi: u32,
    /// Ship name, up to 20 characters.
    pub name: String,
}

impl StaticDataA {
    /// Packs the message bits.
    pub fn to_bits(&self) -> BitWriter {
        let mut w = BitWriter::new();
        w.u(6, 24).u(2, self.repeat as u64).u(30, self.mmsi as u64).u(2, 0).text(20, &self.name);
        w
    }
}

/// Type 24 part B: class B static data, type/vendor/call sign/dimensions
/// (M.1371 Table 82), 168 bits.
#[derive(Debug, Clone, PartialEq)]
pub struct StaticDataB {
    pub repeat: u8,
    pub mmsi: u32,
    /// Ship and cargo type (M.1371 Table 53).
    pub ship_type: u8,
    /// Manufacturer's id, 3 characters.
    pub vendor_id: String,
    /// Unit model code, 4 bits.
    pub model: u8,
    /// Unit serial number, 20 bits.
    pub serial: u32,
    /// Call sign, up to 7 characters.
    pub callsign: String,
    /// Distance from the GPS antenna to the bow, m.
    pub to_bow_m: u16,
    /// Distance from the GPS antenna to the stern, m.
    pub to_stern_m: u16,
    /// Distance from the GPS antenna to port, m.
    pub to_port_m: u8,
    /// Distance from the GPS antenna to starboard, m.
    pub to_starboard_m: u8,
    /// Type of position fixing device (1 = GPS).
    pub epfd: u8,
}

impl StaticDataB {
    /// Packs the message bits (part number 1, trailing spare bits zero).
    pub fn to_bits(&self) -> BitWriter {
        let mut w = BitWriter::new();
        w.u(6, 24)
            .u(2, self.repeat as u64)
            .u(30, self.mmsi as u64)
            .u(2, 1)
            .u(8, self.ship_type as u64)
            .text(3, &self.vendor_id)
            .u(4, self.model as u64)
            .u(20, self.serial as u64)
            .text(7, &self.callsign)
            .u(9, self.to_bow_m as u64)
            .u(9, self.to_stern_m as u64)
            .u(6, self.to_port_m as u64)
            .u(6, self.to_starboard_m as u64)
            .u(4, self.epfd as u64)
            .u(2, 0);
        w
    }
}

/// Type 21: aid-to-navigation report (M.1371 Table 70), 272 bits (no name extension:
/// the simulator's names fit the 20-character field).
#[derive(Debug, Clone, PartialEq)]
pub struct AidToNavigationReport {
    pub repeat: u8,
    pub mmsi: u32,
    /// Type of aid (M.1371 Table 71; 5 = light without sectors, 6 = sectored light).
    pub aid_type: u8,
    /// Name, up to 20 characters.
    pub name: String,
    pub accuracy: bool,
    /// Longitude in 1/10000 min.
    pub lon: i32,
    /// Latitude in 1/10000 min.
    pub lat: i32,
    pub to_bow_m: u16,
    pub to_stern_m: u16,
    pub to_port_m: u8,
    pub to_starboard_m: u8,
    /// Type of position fixing device (7 = surveyed).
    pub epfd: u8,
    /// UTC second (60 = NA).
    pub second: u8,
    pub off_position: bool,
    pub raim: bool,
    pub virtual_aid: bool,
    pub assigned: bool,
}

impl AidToNavigationReport {
    /// Packs the message bits (regional and spare fields zero).
    pub fn to_bits(&self) -> BitWriter {
        let mut w = BitWriter::new();
        w.u(6, 21)
            .u(2, self.repeat as u64)
            .u(30, self.mmsi as u64)
            .u(5, self.aid_type as u64)
            .text(20, &self.name)
            .flag(self.accuracy)
            .i(28, self.lon as i64)
            .i(27, self.lat as i64)
            .u(9, self.to_bow_m as u64)
            .u(9, self.to_stern_m as u64)
            .u(6, self.to_port_m as u64)
            .u(6, self.to_starboard_m as u64)
            .u(4, self.epfd as u64)
            .u(6, self.second as u64)
            .flag(self.off_position)
            .u(8, 0)
            .flag(self.raim)
            .flag(self.virtual_aid)
            .flag(self.assigned)
            .u(1, 0);
        w
    }
}

/// Any message the simulator transmits.
#[derive(Debug, Clone, PartialEq)]
pub enum AisMessage {
    Position(PositionReport),
    BaseStation(BaseStationReport),
    StaticVoyage(StaticVoyageData),
    ClassBPosition(ClassBPositionReport),
    StaticA(StaticDataA),
    StaticB(StaticDataB),
    AidToNavigation(AidToNavigationReport),
}

impl AisMessage {
    /// The message type number (1-27).
    pub fn msg_type(&self) -> u8 {
        match self {
            AisMessage::Position(m) => m.msg_type,
            AisMessage::BaseStation(_) => 4,
            AisMessage::StaticVoyage(_) => 5,
            AisMessage::ClassBPosition(_) => 18,
            AisMessage::StaticA(_) | AisMessage::StaticB(_) => 24,
            AisMessage::AidToNavigation(_) => 21,
        }
    }

    /// Packs the message bits.
    pub fn to_bits(&self) -> BitWriter {
        match self {
            AisMessage::Position(m) => m.to_bits(),
            AisMessage::BaseStation(m) => m.to_bits(),
            AisMessage::StaticVoyage(m) => m.to_bits(),
            AisMessage::ClassBPosition(m) => m.to_bits(),
            AisMessage::StaticA(m) => m.to_bits(),
            AisMessage::StaticB(m) => m.to_bits(),
            AisMessage::AidToNavigation(m) => m.to_bits(),
        }
    }

    /// The message as `!AIVDM` sentences (see [`sentences`]).
    pub fn to_sentences(&self, channel: char, seq_id: u8) -> Vec<String> {
        let (payload, fill) = self.to_bits().armor();
        sentences(&payload, fill, channel, seq_id)
    }
}

/// Talker of the `$--TLL` sentences Lookout writes: `RA` (radar), because chart
/// plotters and NMEA readers know TTM/TLL as ARPA radar targets, and a fused dark
/// track (radar plots, drone looks) is one.
pub const TLL_TALKER: &str = "RA";

/// The longest target name [`tll_sentence`] writes, characters: keeps the sentence
/// within NMEA 0183's 82-character line (the fixed fields take about 55).
pub const TLL_NAME_MAX_CHARS: usize = 24;

/// A `$--TLL` sentence (target latitude and longitude; no line ending):
/// `$RATLL,<target>,<ddmm.mmmm>,<N|S>,<dddmm.mmmm>,<E|W>,<name>,<hhmmss.ss>,T,*hh`.
///
/// - `target`: target number (NMEA says 00–99; ARPA trackers and OpenCPN take more).
/// - `lat_deg`, `lon_deg`: position in degrees, written to 1/10000 minute (0.19 m),
///   the same resolution as an AIS position.
/// - `name`: free text; characters NMEA reserves (`,*$!\^~`, control and non-ASCII)
///   become spaces, and it is cut to [`TLL_NAME_MAX_CHARS`].
/// - `at_unix_ms`: time of the position (UTC time of day is written); `None` leaves the
///   field empty.
///
/// Status is always `T` (tracking: Lookout only outputs live tracks); the reference
/// field is empty (not a reference target).
pub fn tll_sentence(target: u32, lat_deg: f64, lon_deg: f64, name: &str, at_unix_ms: Option<i64>) -> String {
    let name: String = name
        .chars()
        .map(|c| if c.is_ascii_graphic() && !",*$!\\^~".contains(c) { c } else { ' ' })
        .take(TLL_NAME_MAX_CHARS)
        .collect();
    let time = at_unix_ms.map_or(String::new(), |ms| {
        // Hundredths of a second into the UTC day.
        let cs = ms.rem_euclid(86_400_000) / 10;
        format!("{:02}{:02}{:02}.{:02}", cs / 360_000, cs / 6000 % 60, cs / 100 % 60, cs % 100)
    });
    let body = format!(
        "{TLL_TALKER}TLL,{target},{},{},{},{time},T,",
        nmea_angle(lat_deg, 2, 'N', 'S'),
        nmea_angle(lon_deg, 3, 'E', 'W'),
        name.trim(),
    );
    format!("${}*{:02X}", body, checksum(&body))
}

/// An angle in NMEA's `d..dmm.mmmm,H` form with `deg_digits` degree digits, rounded
/// to 1/10000 minute (done on the integer count, so 59.99995' becomes the next degree,
/// never "60.0000").
fn nmea_angle(deg: f64, deg_digits: usize, pos: char, neg: char) -> String {
    let hemi = if deg < 0.0 { neg } else { pos };
    let e4min = (deg.abs() * 600_000.0).round() as u64;
    let (d, m) = (e4min / 600_000, e4min % 600_000);
    format!("{d:0deg_digits$}{:02}.{:04},{hemi}", m / 10_000, m % 10_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::radar::{parse_tll, TargetStatus};

    /// Splits `$BODY*hh` and checks the checksum is the XOR of the body.
    fn body_of(sentence: &str) -> &str {
        let (body, sum) = sentence.strip_prefix('$').unwrap().split_once('*').unwrap();
        assert_eq!(u8::from_str_radix(sum, 16).unwrap(), checksum(body), "{sentence}");
        assert_eq!(sum.len(), 2, "two hex digits: {sentence}");
        body
    }

    #[test]
    fn tll_fields_checksum_and_length() {
        // 35°30.1234'N, 12°05.5000'E; 13:45:07.25 UTC on 2026-12-07.
        let at = chrono::NaiveDate::from_ymd_opt(2026, 12, 7)
            .unwrap()
            .and_hms_milli_opt(13, 45, 7, 250)
            .unwrap()
            .and_utc()
            .timestamp_millis();
        let s = tll_sentence(42, 35.0 + 30.1234 / 60.0, 12.0 + 5.5 / 60.0, "DARK POB 40", Some(at));
        assert_eq!(body_of(&s), "RATLL,42,3530.1234,N,01205.5000,E,DARK POB 40,134507.25,T,");
        assert!(s.len() <= 80, "{} chars: {s}", s.len());
        // Southern and western hemispheres, no time.
        let s = tll_sentence(7, -(33.0 + 0.5 / 60.0), -(70.0 + 40.25 / 60.0), "", None);
        assert_eq!(body_of(&s), "RATLL,7,3300.5000,S,07040.2500,W,,,T,");
    }

    #[test]
    fn tll_names_cannot_break_the_sentence() {
        let s = tll_sentence(1, 0.0, 0.0, "A,B*C$D!E\\F^G~H\tIé and a name far too long to fit", None);
        let body = body_of(&s);
        let fields: Vec<&str> = body.split(',').collect();
        assert_eq!(fields.len(), 10, "{s}");
        assert_eq!(fields[6], "A B C D E F G H I  and a");
        assert!(fields[6].chars().count() <= TLL_NAME_MAX_CHARS);
    }

    #[test]
    fn tll_minutes_never_round_to_sixty() {
        // 59.99999' rounds to the next whole degree, not "5960.0000".
        let s = tll_sentence(1, 36.0 - 0.000_001 / 60.0, 14.0 + 59.999_99 / 60.0, "x", None);
        assert_eq!(&body_of(&s)[..34], "RATLL,1,3600.0000,N,01500.0000,E,x");
    }

    /// Our own radar parser reads back what the encoder wrote, to its resolution.
    #[test]
    fn tll_round_trips_through_the_parser() {
        for (lat, lon, t) in [(35.521_3, 12.629_1, 0), (-12.000_01, -179.999_99, 86_399_990), (0.0, 0.0, 43_200_000)] {
            let s = tll_sentence(123, lat, lon, "DARK POB 12 8-20", Some(t));
            let fields = body_of(&s).strip_prefix("RATLL,").unwrap();
            let tll = parse_tll(fields).unwrap();
            assert_eq!(tll.target, Some(123));
            let pos = tll.pos.unwrap();
            // 1/10000 minute is 1.67e-6 degrees; half of it is the worst rounding.
            assert!((pos.lat_deg - lat).abs() <= 0.84e-6, "{lat} -> {}", pos.lat_deg);
            assert!((pos.lon_deg - lon).abs() <= 0.84e-6, "{lon} -> {}", pos.lon_deg);
            assert_eq!(tll.name.as_deref(), Some("DARK POB 12 8-20"));
            assert_eq!(tll.status, Some(TargetStatus::Tracking));
            assert!(!tll.reference);
            assert!((tll.time_of_day_s.unwrap() - t as f64 / 1000.0).abs() < 0.006, "{s}");
        }
    }
}
