//! The picture as NMEA 0183: what is copied under the engine's lock
//! ([`snapshot`]), and the sentences made from it off the lock ([`encode`]).

use std::sync::Arc;

use lookout_ais::encode::{self, na, AisMessage};
use lookout_core::AisClass;
use lookout_picture::{Area, Picture, StaticData, Vessel, VesselFilter, FIRST_DARK_TRACK_ID};

/// One vessel or dark track as the feed sends it: the few fields the
/// sentences carry, copied out of the picture.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Ais(AisTarget),
    Dark(DarkTarget),
}

/// An AIS vessel with a position.
#[derive(Debug, Clone, PartialEq)]
pub struct AisTarget {
    pub mmsi: u32,
    /// Class B is sent as types 18 and 24; anything else as types 1 and 5.
    pub class_b: bool,
    /// Last reported position, degrees, and when it was received (ms since the epoch).
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub at_ms: i64,
    /// Knots, degrees true; `None`: not available.
    pub sog_kn: Option<f32>,
    pub cog_deg: Option<f32>,
    pub heading_deg: Option<u16>,
    pub nav_status: Option<u8>,
    /// Shared with the picture (a pointer copy).
    pub static_data: Arc<StaticData>,
}

/// A confirmed non-AIS track.
#[derive(Debug, Clone, PartialEq)]
pub struct DarkTarget {
    /// The track id less [`FIRST_DARK_TRACK_ID`]: the TLL target number.
    pub target: u32,
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub at_ms: i64,
    /// Persons on board: median, and the 90 % interval's low and high ends.
    pub pob: Option<(u32, u32, u32)>,
}

/// Copies what the feed sends of every positioned vessel and dark track (in
/// `area`, if given), AIS vessels by MMSI then dark tracks by id. Call with the
/// engine's read lock held; it copies and does not encode.
pub fn snapshot(picture: &Picture, area: Option<&Area>) -> Vec<Target> {
    let mut targets: Vec<Target> = match area {
        Some(a) => picture.in_area(a, &VesselFilter::default()).into_iter().filter_map(target).collect(),
        None => picture.vessels().filter_map(target).collect(),
    };
    if area.is_none() {
        // `vessels()` is in hash order; a stable order makes the feed diffable.
        targets.sort_by_key(|t| match t {
            Target::Ais(a) => (0, u64::from(a.mmsi)),
            Target::Dark(d) => (1, u64::from(d.target)),
        });
    }
    targets
}

fn target(v: &Vessel) -> Option<Target> {
    let fix = v.fix?;
    if v.track_id >= FIRST_DARK_TRACK_ID && v.mmsi == 0 {
        let pob = v.fusion.as_ref().and_then(|f| f.pob.as_ref()).map(|p| (p.estimate, p.low, p.high));
        // Wraps only after 4 billion dark tracks, far beyond any service's life.
        let target = (v.track_id - FIRST_DARK_TRACK_ID) as u32;
        return Some(Target::Dark(DarkTarget {
            target,
            lat_deg: fix.pos.lat_deg,
            lon_deg: fix.pos.lon_deg,
            at_ms: fix.at_ms,
            pob,
        }));
    }
    if v.mmsi == 0 {
        return None;
    }
    Some(Target::Ais(AisTarget {
        mmsi: v.mmsi,
        class_b: v.class == AisClass::B,
        lat_deg: fix.pos.lat_deg,
        lon_deg: fix.pos.lon_deg,
        at_ms: fix.at_ms,
        sog_kn: v.sog_kn,
        cog_deg: v.cog_deg,
        heading_deg: v.heading_deg,
        nav_status: v.nav_status,
        static_data: v.static_data.clone(),
    }))
}

/// The TLL name of a dark track: `DARK`, and `POB <median> <low>-<high>` when
/// sensors or the class prior gave an estimate (e.g. `DARK POB 40 25-60`). No
/// commas: NMEA fields cannot hold them.
pub fn dark_name(pob: Option<(u32, u32, u32)>) -> String {
    match pob {
        Some((est, low, high)) => format!("DARK POB {est} {low}-{high}"),
        None => "DARK".to_string(),
    }
}

/// Appends the sentences for `targets` to `out`, each ending in CR LF, and
/// returns how many were written. `with_static`: also the AIS vessels' static data.
pub fn encode(targets: &[Target], with_static: bool, out: &mut Vec<u8>) -> u64 {
    let mut n = 0u64;
    // Multi-part messages (type 5) need a sequential message id, 0-9.
    let mut seq_id = 0u8;
    let mut push = |line: &str, out: &mut Vec<u8>| {
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
        n += 1;
    };
    for t in targets {
        match t {
            Target::Ais(a) => {
                for m in ais_messages(a, with_static) {
                    let sentences = m.to_sentences('A', seq_id);
                    if sentences.len() > 1 {
                        seq_id = (seq_id + 1) % 10;
                    }
                    for s in sentences {
                        push(&s, out);
                    }
                }
            }
            Target::Dark(d) => {
                let s = encode::tll_sentence(d.target, d.lat_deg, d.lon_deg, &dark_name(d.pob), Some(d.at_ms));
                push(&s, out);
            }
        }
    }
    n
}

/// The AIS messages for one vessel: its position report, and with `with_static`
/// its static data if it has any.
fn ais_messages(a: &AisTarget, with_static: bool) -> Vec<AisMessage> {
    let sog = a.sog_kn.map_or(na::SOG, |s| encode::sog_to_ais(f64::from(s)));
    let cog = a.cog_deg.map_or(na::COG, |c| encode::cog_to_ais(f64::from(c)));
    let heading = a.heading_deg.filter(|h| *h < 360).unwrap_or(na::HEADING);
    let (lat, lon) = (encode::lat_to_ais(a.lat_deg), encode::lon_to_ais(a.lon_deg));
    // The UTC second the position was received in (AIS's "time stamp").
    let second = (a.at_ms.div_euclid(1000).rem_euclid(60)) as u8;
    let sd = &a.static_data;
    let mut out = Vec::with_capacity(3);
    if a.class_b {
        out.push(AisMessage::ClassBPosition(encode::ClassBPositionReport {
            repeat: 0,
            mmsi: a.mmsi,
            sog,
            accuracy: false,
            lon,
            lat,
            cog,
            heading,
            second,
            cs: true,
            display: false,
            dsc: false,
            band: true,
            msg22: true,
            assigned: false,
            raim: false,
            // The fixed radio status class B "CS" units send.
            radio: 0xE0006,
        }));
    } else {
        out.push(AisMessage::Position(encode::PositionReport {
            msg_type: 1,
            repeat: 0,
            mmsi: a.mmsi,
            nav_status: a.nav_status.filter(|s| *s < 16).unwrap_or(15),
            rot: na::ROT,
            sog,
            accuracy: false,
            lon,
            lat,
            cog,
            heading,
            second,
            maneuver: 0,
            spare: 0,
            raim: false,
            radio: 0,
        }));
    }
    let has_static = sd.name.is_some() || sd.callsign.is_some() || sd.ship_type.is_some() || sd.imo.is_some();
    if !with_static || !has_static {
        return out;
    }
    let text = |s: &Option<Box<str>>| s.as_deref().unwrap_or("").to_string();
    // Dimension fields are 9 bits (bow, stern: up to 511 m) and 6 bits (sides: 63 m).
    let (bow, stern) = (sd.to_bow_m.unwrap_or(0).min(511), sd.to_stern_m.unwrap_or(0).min(511));
    let (port, starboard) = (sd.to_port_m.unwrap_or(0).min(63) as u8, sd.to_starboard_m.unwrap_or(0).min(63) as u8);
    if a.class_b {
        out.push(AisMessage::StaticA(encode::StaticDataA { repeat: 0, mmsi: a.mmsi, name: text(&sd.name) }));
        out.push(AisMessage::StaticB(encode::StaticDataB {
            repeat: 0,
            mmsi: a.mmsi,
            ship_type: sd.ship_type.unwrap_or(0),
            vendor_id: String::new(),
            model: 0,
            serial: 0,
            callsign: text(&sd.callsign),
            to_bow_m: bow,
            to_stern_m: stern,
            to_port_m: port,
            to_starboard_m: starboard,
            epfd: 0,
        }));
    } else {
        out.push(AisMessage::StaticVoyage(encode::StaticVoyageData {
            repeat: 0,
            mmsi: a.mmsi,
            ais_version: 0,
            imo: sd.imo.unwrap_or(0),
            callsign: text(&sd.callsign),
            name: text(&sd.name),
            ship_type: sd.ship_type.unwrap_or(0),
            to_bow_m: bow,
            to_stern_m: stern,
            to_port_m: port,
            to_starboard_m: starboard,
            epfd: 0,
            // ETA not available: month 0, day 0, hour 24, minute 60.
            eta_month: 0,
            eta_day: 0,
            eta_hour: 24,
            eta_minute: 60,
            draught_dm: sd.draught_dm.unwrap_or(0),
            destination: text(&sd.destination),
            dte: false,
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use lookout_ais::decode::{decode_payload, AisMessage as Decoded};

    fn payload(line: &str) -> (&str, u8) {
        let f: Vec<&str> = line.split('*').next().unwrap().split(',').collect();
        (f[5], f[6].parse().unwrap())
    }

    fn ais(mmsi: u32, class_b: bool) -> AisTarget {
        AisTarget {
            mmsi,
            class_b,
            lat_deg: 35.123_456,
            lon_deg: 12.654_321,
            at_ms: 1_780_272_017_000,
            sog_kn: Some(9.5),
            cog_deg: Some(45.3),
            heading_deg: Some(44),
            nav_status: Some(0),
            static_data: Arc::new(StaticData {
                name: Some("SEA WATCH".into()),
                callsign: Some("PD6464".into()),
                ship_type: Some(52),
                to_bow_m: Some(40),
                to_stern_m: Some(15),
                to_port_m: Some(5),
                to_starboard_m: Some(6),
                ..StaticData::default()
            }),
        }
    }

    /// Class A: type 1 (and type 5, in two parts, with static data); class B: 18, 24A, 24B.
    /// Each decodes with our decoder to the fields it was made from.
    #[test]
    fn ais_vessels_decode_back_to_their_fields() {
        let targets = [Target::Ais(ais(247_123_456, false)), Target::Ais(ais(244_000_001, true))];
        let mut out = Vec::new();
        let n = encode(&targets, true, &mut out);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(n as usize, lines.len());
        assert_eq!(lines.len(), 1 + 2 + 1 + 2, "{text}");
        assert!(text.ends_with("\r\n"));
        let Decoded::Position(p) = decode_payload(payload(lines[0]).0.as_bytes(), payload(lines[0]).1).unwrap() else {
            panic!("{}", lines[0])
        };
        assert_eq!((p.msg_type, p.mmsi), (1, 247_123_456));
        assert!((p.lat_deg().unwrap() - 35.123_456).abs() < 1e-6 && (p.lon_deg().unwrap() - 12.654_321).abs() < 1e-6);
        assert_eq!(p.sog_kn(), Some(9.5));
        // Type 5 is two sentences, one message id.
        assert!(lines[1].starts_with("!AIVDM,2,1,0,A,") && lines[2].starts_with("!AIVDM,2,2,0,A,"), "{text}");
        let joined = format!("{}{}", payload(lines[1]).0, payload(lines[2]).0);
        let Decoded::StaticVoyage(s) = decode_payload(joined.as_bytes(), payload(lines[2]).1).unwrap() else {
            panic!("type 5")
        };
        assert_eq!(s.shipname.as_str(), "SEA WATCH");
        assert_eq!(s.dimensions().to_bow_m, Some(40));
        let Decoded::Position(b) = decode_payload(payload(lines[3]).0.as_bytes(), payload(lines[3]).1).unwrap() else {
            panic!("{}", lines[3])
        };
        assert_eq!((b.msg_type, b.mmsi), (18, 244_000_001));
        for l in &lines[4..] {
            let m = decode_payload(payload(l).0.as_bytes(), payload(l).1).unwrap();
            assert_eq!((m.msg_type(), m.mmsi()), (24, 244_000_001), "{l}");
        }
        // Without static data: positions only.
        let mut out = Vec::new();
        assert_eq!(encode(&targets, false, &mut out), 2);
    }

    #[test]
    fn dark_tracks_are_tll_named_with_persons_on_board() {
        let d =
            DarkTarget { target: 17, lat_deg: 35.5, lon_deg: 12.25, at_ms: 1_780_272_017_500, pob: Some((40, 25, 60)) };
        let mut out = Vec::new();
        assert_eq!(encode(&[Target::Dark(d.clone())], true, &mut out), 1);
        let line = String::from_utf8(out).unwrap();
        let fields = line.trim_end().strip_prefix("$RATLL,").unwrap().split('*').next().unwrap();
        let tll = lookout_ais::radar::parse_tll(fields).unwrap();
        assert_eq!(tll.target, Some(17));
        assert_eq!(tll.name.as_deref(), Some("DARK POB 40 25-60"));
        let pos = tll.pos.unwrap();
        assert!((pos.lat_deg - 35.5).abs() < 1e-6 && (pos.lon_deg - 12.25).abs() < 1e-6);
        assert_eq!(dark_name(None), "DARK");
    }
}
