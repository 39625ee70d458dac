//! Flat JSON record of a decoded message, for `lookout decode`.

use serde::Serialize;

use super::ais::{AisMessage, Dimensions, StaticPart};
use super::Decoded;
use lookout_core::time::rfc3339_ms;

/// One decoded message as a flat, JSON-friendly record. Absent / "not
/// available" fields are omitted. Degrees rounded to 6 decimals, knots,
/// degrees of course and metres of draught to 1 decimal.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Record {
    pub msg_type: u8,
    pub mmsi: u32,
    /// Receive time, RFC 3339 UTC with milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub received_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub station: Option<String>,
    /// Talker, e.g. "AI".
    pub talker: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// True for `!--VDO` (own ship).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub own_ship: bool,
    /// "A" or "B" for class A/B position and static reports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<&'static str>,
    /// Latitude, degrees (north positive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    /// Longitude, degrees (east positive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sog_kn: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cog_deg: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heading_deg: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nav_status: Option<u8>,
    /// Raw rate-of-turn indicator (-127..=127).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rot_raw: Option<i8>,
    /// SAR aircraft altitude, metres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub altitude_m: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callsign: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imo: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ship_type: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_bow_m: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_stern_m: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_port_m: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_starboard_m: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// ETA as "MM-DDTHH:MM" (UTC, no year), parts unknown shown as "--".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eta: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub draught_m: Option<f64>,
    /// "A" or "B" for type 24.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mothership_mmsi: Option<u32>,
    /// Type 21 aid type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aid_type: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtual_aid: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub off_position: Option<bool>,
    /// Type 4/11 reported UTC time, RFC 3339 (only when all fields are present).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utc: Option<String>,
}

fn round(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (v * f).round() / f
}

fn text(t: &super::SixbitText) -> Option<String> {
    (!t.is_empty()).then(|| t.as_str().to_owned())
}

impl Record {
    fn set_position(&mut self, lat: Option<f64>, lon: Option<f64>) {
        self.lat = lat.map(|v| round(v, 6));
        self.lon = lon.map(|v| round(v, 6));
    }

    fn set_dims(&mut self, d: &Dimensions) {
        self.to_bow_m = d.to_bow_m;
        self.to_stern_m = d.to_stern_m;
        self.to_port_m = d.to_port_m;
        self.to_starboard_m = d.to_starboard_m;
    }
}

/// Flatten a decoded message into a [`Record`].
pub fn record(d: &Decoded) -> Record {
    let mut r = Record {
        msg_type: d.msg.msg_type(),
        mmsi: d.msg.mmsi(),
        received_at: d.received_at_ms.map(rfc3339_ms),
        station: d.station.map(|s| s.as_str().to_owned()),
        talker: String::from_utf8_lossy(&d.talker).into_owned(),
        channel: d.channel.map(|c| char::from(c).to_string()),
        own_ship: d.own_ship,
        ..Record::default()
    };
    if let Some(p) = d.msg.position() {
        r.class = Some(match p.class {
            super::AisClass::A => "A",
            super::AisClass::B => "B",
        });
        r.set_position(p.lat_deg(), p.lon_deg());
        r.sog_kn = p.sog_kn().map(|v| round(v, 1));
        r.cog_deg = p.cog_deg().map(|v| round(v, 1));
        r.heading_deg = p.heading_deg;
        r.nav_status = p.nav_status;
        r.rot_raw = p.rot_raw;
    }
    match &d.msg {
        AisMessage::Position(_) | AisMessage::Other { .. } => {}
        AisMessage::BaseStation(b) => {
            r.set_position(b.lat_deg(), b.lon_deg());
            if let (Some(y), Some(mo), Some(dd), Some(h), Some(mi), Some(s)) =
                (b.year, b.month, b.day, b.hour, b.minute, b.second)
            {
                r.utc = Some(format!("{y:04}-{mo:02}-{dd:02}T{h:02}:{mi:02}:{s:02}Z"));
            }
        }
        AisMessage::StaticVoyage(s) => {
            r.class = Some("A");
            r.shipname = text(&s.shipname);
            r.callsign = text(&s.callsign);
            r.imo = s.imo;
            r.ship_type = s.ship_type;
            r.set_dims(&s.dimensions());
            r.destination = text(&s.destination);
            r.draught_m = s.draught_m().map(|v| round(v, 1));
            if s.eta_month.is_some() || s.eta_day.is_some() || s.eta_hour.is_some() || s.eta_minute.is_some() {
                let f = |v: Option<u8>| v.map_or_else(|| "--".to_owned(), |v| format!("{v:02}"));
                r.eta = Some(format!("{}-{}T{}:{}", f(s.eta_month), f(s.eta_day), f(s.eta_hour), f(s.eta_minute)));
            }
        }
        AisMessage::StaticB(s) | AisMessage::ExtendedB(_, s) => {
            r.class = Some("B");
            r.part = match s.part {
                StaticPart::A => Some("A"),
                StaticPart::B => Some("B"),
                StaticPart::Type19 => None,
            };
            r.shipname = s.shipname.as_ref().and_then(text);
            r.callsign = s.callsign.as_ref().and_then(text);
            r.vendor_id = s.vendor_id.as_ref().and_then(text);
            r.ship_type = s.ship_type;
            r.set_dims(&s.dimensions);
            r.mothership_mmsi = s.mothership_mmsi;
        }
        AisMessage::Sar(s) => {
            r.set_position(s.lat_deg(), s.lon_deg());
            r.sog_kn = s.sog_kn.map(f64::from);
            r.cog_deg = s.cog_deg().map(|v| round(v, 1));
            r.altitude_m = s.altitude_m;
        }
        AisMessage::Aton(a) => {
            r.set_position(a.lat_deg(), a.lon_deg());
            r.shipname = text(&a.name);
            r.set_dims(&a.dimensions);
            r.aid_type = Some(a.aid_type);
            r.virtual_aid = Some(a.virtual_aid);
            r.off_position = Some(a.off_position);
        }
    }
    r
}
