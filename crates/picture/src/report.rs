//! What the picture consumes: decoded AIS messages reduced to the kinematic
//! and static facts it keeps. The one place that knows the decoder's types.

use super::vessel::StaticData;
use lookout_ais::decode::{self, AisMessage};
use lookout_core::geodesy::LatLon;
use lookout_core::{AisClass, Mmsi};

/// A dynamic report: where the vessel is and how it moves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Kinematics {
    pub mmsi: Mmsi,
    pub msg_type: u8,
    pub class: AisClass,
    pub pos: Option<LatLon>,
    pub sog_kn: Option<f32>,
    pub cog_deg: Option<f32>,
    pub heading_deg: Option<u16>,
    pub nav_status: Option<u8>,
}

/// Static or voyage fields; `None` means "not in this message", so class B
/// halves (24A: name; 24B: type, call sign, dimensions) merge instead of
/// erasing each other.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StaticUpdate<'a> {
    pub mmsi: Mmsi,
    pub msg_type: u8,
    pub class: Option<AisClass>,
    pub name: Option<&'a str>,
    pub callsign: Option<&'a str>,
    pub imo: Option<u32>,
    pub ship_type: Option<u8>,
    pub dims: Option<decode::Dimensions>,
    pub destination: Option<&'a str>,
    pub draught_dm: Option<u8>,
}

/// One fact for the picture.
#[derive(Debug, Clone, PartialEq)]
pub enum Report<'a> {
    Kinematic(Kinematics),
    Static(StaticUpdate<'a>),
}

impl Report<'_> {
    pub fn mmsi(&self) -> Mmsi {
        match self {
            Report::Kinematic(k) => k.mmsi,
            Report::Static(s) => s.mmsi,
        }
    }
    pub fn msg_type(&self) -> u8 {
        match self {
            Report::Kinematic(k) => k.msg_type,
            Report::Static(s) => s.msg_type,
        }
    }
    pub fn class(&self) -> Option<AisClass> {
        match self {
            Report::Kinematic(k) => Some(k.class),
            Report::Static(s) => s.class,
        }
    }

    /// The picture's facts in one decoded message (type 19 carries two).
    /// Base stations and aids to navigation are infrastructure, not vessels:
    /// they yield nothing here (the decoder counts them).
    pub fn from_ais(msg: &AisMessage, mut out: impl FnMut(Report<'_>)) {
        match msg {
            AisMessage::Position(p) => out(Report::Kinematic(kinematics(p))),
            AisMessage::ExtendedB(p, s) => {
                out(Report::Kinematic(kinematics(p)));
                out(Report::Static(static_b(s)));
            }
            AisMessage::StaticVoyage(s) => out(Report::Static(StaticUpdate {
                mmsi: s.mmsi,
                msg_type: 5,
                class: Some(AisClass::A),
                name: non_empty(s.shipname.as_str()),
                callsign: non_empty(s.callsign.as_str()),
                imo: s.imo,
                ship_type: s.ship_type,
                dims: Some(s.dimensions()),
                destination: non_empty(s.destination.as_str()),
                draught_dm: s.draught_dm,
            })),
            AisMessage::StaticB(s) => out(Report::Static(static_b(s))),
            AisMessage::Sar(s) => out(Report::Kinematic(Kinematics {
                mmsi: s.mmsi,
                msg_type: 9,
                class: AisClass::SarAircraft,
                pos: lat_lon(s.lat_deg(), s.lon_deg()),
                sog_kn: s.sog_kn.map(f32::from),
                cog_deg: s.cog_deg().map(|c| c as f32),
                heading_deg: None,
                nav_status: None,
            })),
            AisMessage::BaseStation(_) | AisMessage::Aton(_) | AisMessage::Other { .. } => {}
        }
    }
}

fn kinematics(p: &decode::PositionReport) -> Kinematics {
    Kinematics {
        mmsi: p.mmsi,
        msg_type: p.msg_type,
        class: match p.class {
            decode::AisClass::A => AisClass::A,
            decode::AisClass::B => AisClass::B,
        },
        pos: lat_lon(p.lat_deg(), p.lon_deg()),
        sog_kn: p.sog_kn().map(|v| v as f32),
        cog_deg: p.cog_deg().map(|v| v as f32),
        heading_deg: p.heading_deg,
        nav_status: p.nav_status,
    }
}

fn static_b(s: &decode::StaticB) -> StaticUpdate<'_> {
    StaticUpdate {
        mmsi: s.mmsi,
        msg_type: s.msg_type,
        class: Some(AisClass::B),
        name: s.shipname.as_ref().and_then(|t| non_empty(t.as_str())),
        callsign: s.callsign.as_ref().and_then(|t| non_empty(t.as_str())),
        imo: None,
        ship_type: s.ship_type,
        // Part A carries no dimensions, and an auxiliary craft's dimension
        // field holds its mother ship's MMSI instead.
        dims: (s.part != decode::StaticPart::A && s.mothership_mmsi.is_none()).then_some(s.dimensions),
        destination: None,
        draught_dm: None,
    }
}

fn lat_lon(lat: Option<f64>, lon: Option<f64>) -> Option<LatLon> {
    let p = LatLon::new(lat?, lon?);
    p.is_valid().then_some(p)
}

fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

impl StaticUpdate<'_> {
    /// Merges the fields this message carries into `sd`.
    pub(crate) fn apply_to(&self, sd: &mut StaticData, at_ms: i64) {
        fn set(slot: &mut Option<Box<str>>, v: Option<&str>) {
            if let Some(v) = v {
                if slot.as_deref() != Some(v) {
                    *slot = Some(v.into());
                }
            }
        }
        set(&mut sd.name, self.name);
        set(&mut sd.callsign, self.callsign);
        set(&mut sd.destination, self.destination);
        sd.imo = self.imo.or(sd.imo);
        sd.ship_type = self.ship_type.or(sd.ship_type);
        sd.draught_dm = self.draught_dm.or(sd.draught_dm);
        if let Some(d) = self.dims {
            sd.to_bow_m = d.to_bow_m;
            sd.to_stern_m = d.to_stern_m;
            sd.to_port_m = d.to_port_m.map(u16::from);
            sd.to_starboard_m = d.to_starboard_m.map(u16::from);
        }
        sd.updated_ms = Some(at_ms);
    }
}
