//! Plausible vessel identities: MMSI with a real MID for the flag, IMO number with
//! a valid check digit, call sign with the flag's ITU prefix, name, ship type and
//! dimensions typical of the kind. All fictitious.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::rng::pick;
use super::world::VesselKind;

/// Static identity of a vessel (what its AIS static data would say).
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub mmsi: u32,
    /// IMO number, 0 if the vessel has none (small craft).
    pub imo: u32,
    pub name: String,
    pub callsign: String,
    /// AIS ship and cargo type (M.1371 Table 53).
    pub ship_type: u8,
    /// True for a class B (CS) transponder, false for class A.
    pub class_b: bool,
    /// GPS antenna to bow, m.
    pub to_bow_m: u16,
    /// GPS antenna to stern, m.
    pub to_stern_m: u16,
    /// GPS antenna to port side, m.
    pub to_port_m: u8,
    /// GPS antenna to starboard side, m.
    pub to_starboard_m: u8,
    /// Draught, 0.1 m.
    pub draught_dm: u8,
    /// Default destination text.
    pub destination: String,
}

impl Identity {
    /// Overall length, m.
    pub fn length_m(&self) -> u16 {
        self.to_bow_m + self.to_stern_m
    }
}

/// Flag: (MID, call-sign prefix). MIDs are the ITU Maritime Identification Digits.
pub type Flag = (u32, &'static str);

/// The flags and names of an area's own vessels (deep-sea ships fly the
/// world's flags wherever they are).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Locale {
    /// Fishing boats, yachts, pilots, tugs, patrol boats.
    pub local_flags: &'static [Flag],
    pub ferry_flags: &'static [Flag],
    pub hsc_flag: Flag,
    pub fishing_names: &'static [&'static str],
    pub leisure_names: &'static [&'static str],
    pub ferry_names: &'static [&'static str],
    pub hsc_names: &'static [&'static str],
    /// Patrol and rescue craft name prefixes (a number follows).
    pub sar_names: &'static [&'static str],
}
const DEEP_SEA_FLAGS: &[Flag] = &[
    (636, "A8"), // Liberia
    (636, "D5"),
    (538, "V7"), // Marshall Islands
    (256, "9H"), // Malta
    (215, "9H"),
    (248, "9H"),
    (229, "9H"),
    (371, "3E"), // Panama
    (352, "H3"),
    (355, "HP"),
    (477, "VR"), // Hong Kong
    (563, "9V"), // Singapore
    (241, "SV"), // Greece
    (247, "IB"), // Italy
    (209, "5B"), // Cyprus
    (310, "ZC"), // Bermuda
    (255, "CQ"), // Madeira
];
const CARGO_A: &[&str] = &[
    "MSC", "MAERSK", "CMA CGM", "COSCO", "EVER", "NORDIC", "GRANDE", "CAPE", "ATLANTIC", "SEA", "STAR", "GLORY", "MEDI",
];
const TANKER_A: &[&str] =
    &["NISSOS", "MINERVA", "STENA", "TORM", "BW", "ARDMORE", "HAFNIA", "AFRA", "DELTA", "OLYMPIC", "SEAWAYS", "MARAN"];
const SHIP_B: &[&str] = &[
    "AURORA",
    "HORIZON",
    "PEARL",
    "SPIRIT",
    "LEGEND",
    "VENTURE",
    "PROSPERITY",
    "ELENI",
    "MARIA",
    "ATHENA",
    "HARMONY",
    "PIONEER",
    "TRIUMPH",
    "VOYAGER",
    "DESTINY",
    "ZEPHYR",
    "ORION",
    "POLARIS",
    "SIRIUS",
    "CORAL",
    "FALCON",
    "AMBER",
];
/// IMO number check digit: digits 1-6 weighted 7..2, sum mod 10 (IMO Res. A.1078).
pub fn imo_check_digit(first_six: u32) -> u32 {
    let mut sum = 0;
    let mut n = first_six;
    for weight in 2..=7 {
        sum += (n % 10) * weight;
        n /= 10;
    }
    sum % 10
}

/// True if `imo` is a 7-digit IMO number with a valid check digit.
pub fn imo_is_valid(imo: u32) -> bool {
    (1_000_000..10_000_000).contains(&imo) && imo_check_digit(imo / 10) == imo % 10
}

fn random_imo(rng: &mut ChaCha8Rng) -> u32 {
    // Ships built since ~1990 have IMO numbers 8xxxxxx / 9xxxxxx.
    let first_six = rng.random_range(870_000..990_000);
    first_six * 10 + imo_check_digit(first_six)
}

fn random_mmsi(rng: &mut ChaCha8Rng, mid: u32, solas: bool) -> u32 {
    // Ocean-going ships very often have MMSIs ending in 000 (a legacy of Inmarsat
    // ship station identities); small craft use the full range.
    let tail = if solas && rng.random_bool(0.6) {
        rng.random_range(100..1000) * 1000
    } else {
        rng.random_range(100_000..1_000_000)
    };
    mid * 1_000_000 + tail
}

fn random_callsign(rng: &mut ChaCha8Rng, prefix: &str) -> String {
    let mut s = prefix.to_string();
    while s.len() < 4 {
        s.push((b'A' + rng.random_range(0..26)) as char);
    }
    let digits = if prefix.len() == 1 { 0 } else { rng.random_range(2..=3) };
    for _ in 0..digits {
        s.push((b'0' + rng.random_range(0..10)) as char);
    }
    s
}

fn hull(rng: &mut ChaCha8Rng, length: std::ops::Range<f64>, beam_ratio: f64) -> (u16, u16, u8, u8) {
    let len = rng.random_range(length);
    let beam = (len / beam_ratio * rng.random_range(0.9..1.1)).clamp(2.0, 63.0 * 2.0);
    // GPS antenna on the bridge: aft for cargo ships, amidships for small craft.
    let bow = (len * rng.random_range(0.6..0.88)).round() as u16;
    let stern = (len.round() as u16).saturating_sub(bow).max(1);
    let port = ((beam / 2.0).round() as u8).min(63);
    let stbd = ((beam - beam / 2.0).round() as u8).min(63);
    (bow, stern, port, stbd)
}

/// A random identity for a vessel of `kind` in an area of `locale`.
pub fn generate(locale: &Locale, kind: VesselKind, class_b: bool, rng: &mut ChaCha8Rng) -> Identity {
    use VesselKind::*;
    let (flag, solas) = match kind {
        Cargo | Tanker => (pick(rng, DEEP_SEA_FLAGS), true),
        HighSpeedFerry => (locale.hsc_flag, true),
        Ferry => (pick(rng, locale.ferry_flags), true),
        _ => (pick(rng, locale.local_flags), false),
    };
    let (ship_type, name, dims, draught_dm, destination) = match kind {
        Cargo => {
            let t = pick(rng, &[70u8, 70, 70, 71, 72, 79]);
            let name = format!("{} {}", pick(rng, CARGO_A), pick(rng, SHIP_B));
            (t, name, hull(rng, 150.0..330.0, 6.5), rng.random_range(80..150), String::new())
        }
        Tanker => {
            let t = pick(rng, &[80u8, 80, 81, 82, 83, 84]);
            let name = format!("{} {}", pick(rng, TANKER_A), pick(rng, SHIP_B));
            (t, name, hull(rng, 150.0..280.0, 5.8), rng.random_range(70..160), String::new())
        }
        HighSpeedFerry => (40, pick(rng, locale.hsc_names).to_string(), hull(rng, 95.0..110.0, 4.0), 35, String::new()),
        Ferry => (
            60,
            pick(rng, locale.ferry_names).to_string(),
            hull(rng, 110.0..200.0, 5.5),
            rng.random_range(50..72),
            String::new(),
        ),
        Fishing => {
            let len = if class_b { 10.0..18.0 } else { 18.0..38.0 };
            (
                30,
                pick(rng, locale.fishing_names).to_string(),
                hull(rng, len, 3.5),
                rng.random_range(20..45),
                String::new(),
            )
        }
        Leisure => {
            let t = pick(rng, &[36u8, 37, 37]);
            (
                t,
                pick(rng, locale.leisure_names).to_string(),
                hull(rng, 7.0..24.0, 3.2),
                rng.random_range(8..30),
                String::new(),
            )
        }
        Pilot => (50, "PILOT".to_string(), hull(rng, 14.0..20.0, 3.5), 15, "PILOT DUTY".to_string()),
        Tug => (52, pick(rng, &["TUG", "ST"]).to_string(), hull(rng, 25.0..35.0, 2.8), 45, String::new()),
        Sar => (51, pick(rng, locale.sar_names).to_string(), hull(rng, 16.0..30.0, 3.8), 15, String::new()),
    };
    let name = match kind {
        // Service craft carry a number (CP 312, TUG 7...), others often a numeral.
        Pilot | Tug | Sar => format!("{} {}", name, rng.random_range(1..400)),
        Fishing | Leisure if rng.random_bool(0.3) => {
            format!("{} {}", name, pick(rng, &["II", "III", "1", "2", "3"]))
        }
        _ => name,
    };
    let imo = if solas { random_imo(rng) } else { 0 };
    let mmsi = random_mmsi(rng, flag.0, solas);
    let callsign = random_callsign(rng, flag.1);
    Identity {
        mmsi,
        imo,
        name: truncate(&name, 20),
        callsign: truncate(&callsign, 7),
        ship_type,
        class_b,
        to_bow_m: dims.0,
        to_stern_m: dims.1,
        to_port_m: dims.2,
        to_starboard_m: dims.3,
        draught_dm,
        destination,
    }
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}
