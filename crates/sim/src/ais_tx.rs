//! The AIS sensor: transponders on vessels (what and when they transmit, per
//! ITU-R M.1371-5 Table 1 reporting intervals), aids to navigation, base stations,
//! and the shore receivers (which station hears a transmission, and whether).
//!
//! Transponders only *observe* [`Vessel`] state from the world; the noise they add
//! (GPS error, sensor rounding) never feeds back into the true motion.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use lookout_core::geodesy::flat::M_PER_DEG;

use super::encode::{
    self, na, AidToNavigationReport, AisMessage, BaseStationReport, ClassBPositionReport, PositionReport, StaticDataA,
    StaticDataB, StaticVoyageData,
};
use super::geography::{LatLon, Light, Station};
use super::rng::{gaussian, stream_rng, Stream};
use super::world::{self, nav, Vessel};

/// Static / voyage data interval (types 5 and 24), ms.
pub const STATIC_INTERVAL_MS: i64 = 6 * 60 * 1000;
/// Aid-to-navigation report interval (type 21), ms.
pub const ATON_INTERVAL_MS: i64 = 3 * 60 * 1000;
/// Base station report interval (type 4), ms.
pub const BASE_STATION_INTERVAL_MS: i64 = 10 * 1000;
/// GPS position error, 1-sigma per axis, m.
pub const GPS_SIGMA_M: f64 = 6.0;
/// Turn rate above which a class A unit counts as "changing course", deg/min.
const CHANGING_COURSE_DEG_MIN: f64 = 10.0;

/// Class A reporting interval (M.1371-5 Table 1), ms.
pub fn class_a_interval_ms(nav_status: u8, sog_kn: f64, rot_deg_min: f64) -> i64 {
    let turning = rot_deg_min.abs() > CHANGING_COURSE_DEG_MIN;
    let at_rest = nav_status == nav::AT_ANCHOR || nav_status == nav::MOORED;
    if at_rest && sog_kn <= 3.0 {
        180_000
    } else if sog_kn <= 14.0 {
        if turning {
            3_333
        } else {
            10_000
        }
    } else if sog_kn <= 23.0 {
        if turning {
            2_000
        } else {
            6_000
        }
    } else {
        2_000
    }
}

/// Class B "CS" reporting interval (M.1371-5 Table 1), ms.
pub fn class_b_interval_ms(sog_kn: f64) -> i64 {
    if sog_kn > 2.0 {
        30_000
    } else {
        180_000
    }
}

/// The receiving station of `stations` nearest to `pos`, and its distance in
/// nautical miles (`stations` must not be empty).
pub fn nearest_station(stations: &'static [Station], pos: LatLon) -> (&'static Station, f64) {
    let mut best = (&stations[0], f64::INFINITY);
    for s in stations {
        let d = world::distance_m(pos, s.pos) / world::NM_M;
        if d < best.1 {
            best = (s, d);
        }
    }
    best
}

/// Probability that a transmission from `dist_nm` away is *not* received.
///
/// Terrestrial VHF coverage: `base_loss` (collisions, fading) out to a range that
/// depends on transmitter power (12.5 W class A vs 2 W class B), then rising
/// linearly to certain loss.
pub fn loss_probability(base_loss: f64, dist_nm: f64, class_b: bool) -> f64 {
    let (start_nm, end_nm) = if class_b { (20.0, 40.0) } else { (40.0, 70.0) };
    let ramp = ((dist_nm - start_nm) / (end_nm - start_nm)).clamp(0.0, 1.0);
    (base_loss + (1.0 - base_loss) * ramp).clamp(0.0, 1.0)
}

/// A transmission as heard (or not) by the shore network.
#[derive(Debug, Clone)]
pub struct Transmission {
    pub msg: AisMessage,
    /// VHF channel, 'A' or 'B'.
    pub channel: char,
    /// Receiving station name (tag-block `s:`).
    pub station: &'static str,
    /// False when the transmission was lost.
    pub received: bool,
}

/// The AIS unit fitted to one vessel.
#[derive(Debug, Clone)]
pub struct Transponder {
    class_b: bool,
    /// 1 (autonomous SOTDMA) or 3 (assigned / interrogated ITDMA).
    position_type: u8,
    has_rot_sensor: bool,
    heading_available: bool,
    dgps: bool,
    dsc: bool,
    ais_version: u8,
    vendor_id: &'static str,
    model: u8,
    serial: u32,
    channel_b: bool,
    slot_timeout: u8,
    tx_rng: ChaCha8Rng,
    rx_rng: ChaCha8Rng,
    /// The shore stations that may hear it.
    stations: &'static [Station],
}

impl Transponder {
    /// The unit of vessel `index`, heard by `stations`; its random streams depend
    /// only on (seed, index).
    pub fn new(seed: u64, index: usize, vessel: &Vessel, stations: &'static [Station]) -> Transponder {
        let mut tx_rng = stream_rng(seed, Stream::AisTx, index as u64);
        let rx_rng = stream_rng(seed, Stream::AisRx, index as u64);
        let class_b = vessel.identity.class_b;
        Transponder {
            class_b,
            position_type: if tx_rng.random_bool(0.15) { 3 } else { 1 },
            has_rot_sensor: tx_rng.random_bool(0.6),
            // Many cheap class B units have no heading sensor.
            heading_available: !class_b || tx_rng.random_bool(0.3),
            dgps: tx_rng.random_bool(0.5),
            dsc: tx_rng.random_bool(0.5),
            ais_version: if tx_rng.random_bool(0.7) { 2 } else { 0 },
            vendor_id: ["SRT", "TRU", "MXR", "STM", "GME", "CML"][tx_rng.random_range(0..6)],
            model: tx_rng.random_range(1..16),
            serial: tx_rng.random_range(1..(1 << 20)),
            channel_b: tx_rng.random_bool(0.5),
            slot_timeout: tx_rng.random_range(0..8),
            tx_rng,
            rx_rng,
            stations,
        }
    }

    /// True for a class B CS unit.
    pub fn is_class_b(&self) -> bool {
        self.class_b
    }

    /// Current reporting interval for the vessel's state, ms.
    pub fn interval_ms(&self, v: &Vessel) -> i64 {
        if self.class_b {
            class_b_interval_ms(v.sog_kn)
        } else {
            class_a_interval_ms(v.nav_status, v.sog_kn, v.rot_deg_min)
        }
    }

    /// Time of the next position report after one at `t_ms`: the nominal interval
    /// plus a little slot jitter (reports land in TDMA slots, not on the second).
    pub fn next_position_ms(&mut self, v: &Vessel, t_ms: i64) -> i64 {
        t_ms + self.interval_ms(v) + self.tx_rng.random_range(-120..=120)
    }

    /// A random phase in `[0, period_ms)`, so units do not transmit in lockstep.
    pub fn phase_ms(&mut self, period_ms: i64) -> i64 {
        self.tx_rng.random_range(0..period_ms)
    }

    fn channel(&mut self) -> char {
        // Units alternate channels between transmissions.
        self.channel_b = !self.channel_b;
        if self.channel_b {
            'B'
        } else {
            'A'
        }
    }

    /// The reported position at `t_ms`: the true position dead-reckoned from the
    /// world's last step (`world_ms`) plus GPS noise.
    fn observed_position(&mut self, v: &Vessel, t_ms: i64, world_ms: i64) -> LatLon {
        let dt_s = (t_ms - world_ms) as f64 / 1000.0;
        let truth = if v.sog_kn > 0.0 && dt_s > 0.0 {
            world::destination(v.pos, v.cog_deg, v.sog_kn * world::KN_MS * dt_s)
        } else {
            v.pos
        };
        let north_m = gaussian(&mut self.tx_rng) * GPS_SIGMA_M;
        let east_m = gaussian(&mut self.tx_rng) * GPS_SIGMA_M;
        // Metres → degrees on a local tangent plane: fine for a few metres of noise.
        LatLon {
            lat: truth.lat + north_m / M_PER_DEG,
            lon: truth.lon + east_m / (M_PER_DEG * truth.lat.to_radians().cos()),
        }
    }

    fn sotdma_radio(&mut self, t_ms: i64) -> u32 {
        // Slot timeout counts frames down 7..0; the sub-message depends on it.
        self.slot_timeout = if self.slot_timeout == 0 { 7 } else { self.slot_timeout - 1 };
        let secs = t_ms.div_euclid(1000);
        let sub: u32 = match self.slot_timeout {
            0 => self.tx_rng.random_range(1..2250),
            1 => {
                let hour = (secs / 3600 % 24) as u32;
                let minute = (secs / 60 % 60) as u32;
                (hour << 9) | (minute << 2)
            }
            2 | 4 | 6 => self.tx_rng.random_range(0..2250),
            _ => self.tx_rng.random_range(3..80),
        };
        ((self.slot_timeout as u32) << 14) | sub
    }

    /// Whether the shore network hears this unit now, and via which station.
    fn receive(&mut self, pos: LatLon, base_loss: f64) -> (&'static str, bool) {
        let (station, dist_nm) = nearest_station(self.stations, pos);
        let p = loss_probability(base_loss, dist_nm, self.class_b);
        (station.name, !self.rx_rng.random_bool(p))
    }

    /// The position report (type 1/3 or 18) at `t_ms`.
    pub fn position_report(&mut self, v: &Vessel, t_ms: i64, world_ms: i64, base_loss: f64) -> Transmission {
        let pos = self.observed_position(v, t_ms, world_ms);
        let moving = v.sog_kn >= 0.2;
        let sog_kn = if moving { (v.sog_kn + 0.08 * gaussian(&mut self.tx_rng)).max(0.0) } else { 0.0 };
        // COG from GPS is meaningless at rest; receivers see it wander.
        let cog_noise = if moving { 0.6 } else { 25.0 };
        let cog = encode::cog_to_ais(v.cog_deg + cog_noise * gaussian(&mut self.tx_rng));
        let heading = if self.heading_available {
            ((v.heading_deg + 0.7 * gaussian(&mut self.tx_rng)).round() as i64).rem_euclid(360) as u16
        } else {
            na::HEADING
        };
        let second = (t_ms.div_euclid(1000) % 60) as u8;
        let msg = if self.class_b {
            AisMessage::ClassBPosition(ClassBPositionReport {
                repeat: 0,
                mmsi: v.identity.mmsi,
                sog: encode::sog_to_ais(sog_kn),
                accuracy: self.dgps,
                lon: encode::lon_to_ais(pos.lon),
                lat: encode::lat_to_ais(pos.lat),
                cog,
                heading,
                second,
                cs: true,
                display: false,
                dsc: self.dsc,
                band: true,
                msg22: true,
                assigned: false,
                raim: false,
                // Fixed communication state that CS units transmit.
                radio: 0xE0006,
            })
        } else {
            let rot = if !self.has_rot_sensor {
                na::ROT
            } else if v.rot_deg_min.abs() < 0.5 {
                0
            } else {
                encode::rot_to_ais(v.rot_deg_min)
            };
            let radio = if self.position_type == 3 {
                // ITDMA: sync state 0, slot increment, 1 slot, keep flag clear.
                let increment = (self.interval_ms(v) / 1000 * 375 / 10).clamp(1, 8191) as u32;
                increment << 4
            } else {
                self.sotdma_radio(t_ms)
            };
            AisMessage::Position(PositionReport {
                msg_type: self.position_type,
                repeat: 0,
                mmsi: v.identity.mmsi,
                nav_status: v.nav_status,
                rot,
                sog: encode::sog_to_ais(sog_kn),
                accuracy: self.dgps,
                lon: encode::lon_to_ais(pos.lon),
                lat: encode::lat_to_ais(pos.lat),
                cog,
                heading,
                second,
                maneuver: 0,
                spare: 0,
                raim: false,
                radio,
            })
        };
        let channel = self.channel();
        let (station, received) = self.receive(v.pos, base_loss);
        Transmission { msg, channel, station, received }
    }

    /// Static data: type 5 for class A; type 24 part A (`part_b == false`) or part B
    /// for class B.
    pub fn static_report(&mut self, v: &Vessel, part_b: bool, base_loss: f64) -> Transmission {
        let id = &v.identity;
        let msg = if !self.class_b {
            let (month, day, hour, minute) = eta_fields(v.eta_unix_s);
            AisMessage::StaticVoyage(StaticVoyageData {
                repeat: 0,
                mmsi: id.mmsi,
                ais_version: self.ais_version,
                imo: id.imo,
                callsign: id.callsign.clone(),
                name: id.name.clone(),
                ship_type: id.ship_type,
                to_bow_m: id.to_bow_m,
                to_stern_m: id.to_stern_m,
                to_port_m: id.to_port_m,
                to_starboard_m: id.to_starboard_m,
                epfd: 1,
                eta_month: month,
                eta_day: day,
                eta_hour: hour,
                eta_minute: minute,
                draught_dm: id.draught_dm,
                destination: v.destination.clone(),
                dte: false,
            })
        } else if !part_b {
            AisMessage::StaticA(StaticDataA { repeat: 0, mmsi: id.mmsi, name: id.name.clone() })
        } else {
            AisMessage::StaticB(StaticDataB {
                repeat: 0,
                mmsi: id.mmsi,
                ship_type: id.ship_type,
                vendor_id: self.vendor_id.to_string(),
                model: self.model,
                serial: self.serial,
                callsign: id.callsign.clone(),
                to_bow_m: id.to_bow_m,
                to_stern_m: id.to_stern_m,
                to_port_m: id.to_port_m,
                to_starboard_m: id.to_starboard_m,
                epfd: 1,
            })
        };
        let channel = self.channel();
        let (station, received) = self.receive(v.pos, base_loss);
        Transmission { msg, channel, station, received }
    }
}

/// ETA fields (month, day, hour, minute) in UTC; all "not available" for 0.
fn eta_fields(eta_unix_s: i64) -> (u8, u8, u8, u8) {
    if eta_unix_s <= 0 {
        return (0, 0, 24, 60);
    }
    let (_, month, day, hour, minute, _) = utc_fields(eta_unix_s);
    (month, day, hour, minute)
}

/// UTC calendar fields (year, month, day, hour, minute, second) of a UNIX time
/// (proleptic Gregorian; H. Hinnant's days→civil algorithm).
pub fn utc_fields(unix_s: i64) -> (i64, u8, u8, u8, u8, u8) {
    let days = unix_s.div_euclid(86_400);
    let sod = unix_s.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + if month <= 2 { 1 } else { 0 };
    (year, month, day, (sod / 3600) as u8, (sod / 60 % 60) as u8, (sod % 60) as u8)
}

/// Type 21 report of a physical aid to navigation (every 3 minutes).
pub fn aton_report(light: &Light, t_ms: i64) -> AisMessage {
    AisMessage::AidToNavigation(AidToNavigationReport {
        repeat: 0,
        mmsi: light.mmsi,
        aid_type: light.aid_type,
        name: light.name.to_string(),
        accuracy: true,
        lon: encode::lon_to_ais(light.pos.lon),
        lat: encode::lat_to_ais(light.pos.lat),
        to_bow_m: 0,
        to_stern_m: 0,
        to_port_m: 0,
        to_starboard_m: 0,
        epfd: 7,
        second: (t_ms.div_euclid(1000) % 60) as u8,
        off_position: false,
        raim: false,
        virtual_aid: false,
        assigned: false,
    })
}

/// Type 4 report of a shore base station (every 10 s), stamped with UTC.
pub fn base_station_report(station: &Station, t_ms: i64) -> AisMessage {
    let (year, month, day, hour, minute, second) = utc_fields(t_ms.div_euclid(1000));
    AisMessage::BaseStation(BaseStationReport {
        repeat: 0,
        mmsi: station.base_mmsi,
        year: year as u16,
        month,
        day,
        hour,
        minute,
        second,
        accuracy: true,
        lon: encode::lon_to_ais(station.pos.lon),
        lat: encode::lat_to_ais(station.pos.lat),
        epfd: 7,
        raim: false,
        // SOTDMA, slot timeout 3, a plausible count of received stations.
        radio: (3 << 14) | 42,
    })
}
