//! The one place where protobuf types meet domain types, and where errors
//! become gRPC statuses.

use tonic::Status;

use super::pb;
use crate::error::Error;
use crate::geodesy::{LatLon, M_PER_NM};
use crate::picture::{AisClass, Area, NearHit, ShipClass, StaticData, Vessel, VesselFilter};
use crate::source::SourceStatus;

impl From<Error> for Status {
    fn from(e: Error) -> Self {
        match e {
            Error::InvalidArgument { .. } => Status::invalid_argument(e.to_string()),
            Error::NotFound(_) => Status::not_found(e.to_string()),
            Error::Unavailable(_) => Status::unavailable(e.to_string()),
            Error::Config(_) | Error::Io { .. } | Error::Remote { .. } => Status::internal(e.to_string()),
        }
    }
}

/// Largest radius `VesselsNear` accepts: 1,000 nm covers any SAR region a
/// coordinator would search at once.
pub const MAX_RADIUS_M: f64 = 1000.0 * M_PER_NM;
pub const DEFAULT_NEAR_RESULTS: usize = 50;
pub const MAX_NEAR_RESULTS: usize = 1000;
pub const DEFAULT_AREA_RESULTS: usize = 10_000;
pub const MAX_AREA_RESULTS: usize = 100_000;

pub fn point(field: &'static str, lat: f64, lon: f64) -> Result<LatLon, Error> {
    let p = LatLon::new(lat, lon);
    if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
        return Err(Error::invalid(field_lat(field), format!("{lat} is outside [-90, 90]")));
    }
    if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
        return Err(Error::invalid(field_lon(field), format!("{lon} is outside [-180, 180]")));
    }
    Ok(p)
}

fn field_lat(f: &'static str) -> &'static str {
    if f.is_empty() { "lat_deg" } else { f }
}
fn field_lon(f: &'static str) -> &'static str {
    if f.is_empty() { "lon_deg" } else { f }
}

pub fn radius(r: f64) -> Result<f64, Error> {
    if !r.is_finite() || r <= 0.0 {
        return Err(Error::invalid("radius_m", format!("{r} must be a positive number of metres")));
    }
    if r > MAX_RADIUS_M {
        return Err(Error::invalid("radius_m", format!("{r} exceeds the maximum of {MAX_RADIUS_M} m (1000 nm)")));
    }
    Ok(r)
}

pub fn max_results(field: &'static str, n: u32, default: usize, max: usize) -> Result<usize, Error> {
    match n as usize {
        0 => Ok(default),
        n if n > max => Err(Error::invalid(field, format!("{n} exceeds the maximum of {max}"))),
        n => Ok(n),
    }
}

pub fn filter(f: Option<pb::VesselFilter>) -> Result<VesselFilter, Error> {
    let Some(f) = f else { return Ok(VesselFilter::default()) };
    if !f.min_length_m.is_finite() || f.min_length_m < 0.0 {
        return Err(Error::invalid("filter.min_length_m", format!("{} must be >= 0", f.min_length_m)));
    }
    let mut classes = Vec::with_capacity(f.ship_classes.len());
    for c in &f.ship_classes {
        let c = pb::ShipClass::try_from(*c)
            .map_err(|_| Error::invalid("filter.ship_classes", format!("unknown ship class {c}")))?;
        classes.push(ship_class_from_pb(c));
    }
    Ok(VesselFilter { classes, min_length_m: f.min_length_m, moving_only: f.moving_only })
}

/// `None` (unset) means the whole world.
pub fn area(a: Option<pb::Area>, required: bool) -> Result<Area, Error> {
    use pb::area::Shape;
    match a.and_then(|a| a.shape) {
        None if required => Err(Error::invalid("area", "is required (bbox or polygon)")),
        None => Ok(Area::World),
        Some(Shape::Bbox(b)) => Area::bbox(b.min_lat_deg, b.min_lon_deg, b.max_lat_deg, b.max_lon_deg),
        Some(Shape::Polygon(p)) => {
            let v: Vec<LatLon> = p.vertices.iter().map(|v| LatLon::new(v.lat_deg, v.lon_deg)).collect();
            Area::polygon(&v)
        }
    }
}

pub fn mmsi(m: u32, field: &'static str) -> Result<u32, Error> {
    if m == 0 || m > 999_999_999 {
        return Err(Error::invalid(field, format!("{m} is not a 9-digit MMSI")));
    }
    Ok(m)
}

fn ship_class_from_pb(c: pb::ShipClass) -> ShipClass {
    use pb::ShipClass as P;
    match c {
        P::Unspecified => ShipClass::Unknown,
        P::Cargo => ShipClass::Cargo,
        P::Tanker => ShipClass::Tanker,
        P::Passenger => ShipClass::Passenger,
        P::HighSpeed => ShipClass::HighSpeed,
        P::Fishing => ShipClass::Fishing,
        P::TugTow => ShipClass::TugTow,
        P::Sar => ShipClass::Sar,
        P::LawEnforcement => ShipClass::LawEnforcement,
        P::PilotTender => ShipClass::PilotTender,
        P::Sailing => ShipClass::Sailing,
        P::Pleasure => ShipClass::Pleasure,
        P::Military => ShipClass::Military,
        P::Medical => ShipClass::Medical,
        P::Special => ShipClass::Special,
        P::Wig => ShipClass::Wig,
        P::Other => ShipClass::Other,
    }
}

fn ship_class_to_pb(c: ShipClass) -> pb::ShipClass {
    use pb::ShipClass as P;
    match c {
        ShipClass::Unknown => P::Unspecified,
        ShipClass::Cargo => P::Cargo,
        ShipClass::Tanker => P::Tanker,
        ShipClass::Passenger => P::Passenger,
        ShipClass::HighSpeed => P::HighSpeed,
        ShipClass::Fishing => P::Fishing,
        ShipClass::TugTow => P::TugTow,
        ShipClass::Sar => P::Sar,
        ShipClass::LawEnforcement => P::LawEnforcement,
        ShipClass::PilotTender => P::PilotTender,
        ShipClass::Sailing => P::Sailing,
        ShipClass::Pleasure => P::Pleasure,
        ShipClass::Military => P::Military,
        ShipClass::Medical => P::Medical,
        ShipClass::Special => P::Special,
        ShipClass::Wig => P::Wig,
        ShipClass::Other => P::Other,
    }
}

fn latlon(p: LatLon) -> pb::LatLon {
    pb::LatLon { lat_deg: p.lat_deg, lon_deg: p.lon_deg }
}

fn static_data(s: &StaticData) -> pb::StaticData {
    pb::StaticData {
        name: s.name.as_deref().map(str::to_string),
        callsign: s.callsign.as_deref().map(str::to_string),
        imo: s.imo,
        ship_type: s.ship_type.map(u32::from),
        ship_class: ship_class_to_pb(s.ship_class()) as i32,
        to_bow_m: s.to_bow_m.map(u32::from),
        to_stern_m: s.to_stern_m.map(u32::from),
        to_port_m: s.to_port_m.map(u32::from),
        to_starboard_m: s.to_starboard_m.map(u32::from),
        length_m: s.length_m(),
        beam_m: s.beam_m(),
        destination: s.destination.as_deref().map(str::to_string),
        draught_m: s.draught_dm.map(|d| f64::from(d) / 10.0),
        static_updated_unix_ms: s.updated_ms,
    }
}

/// Rounds an `f32` AIS value (0.1 resolution) to its transmitted decimal.
fn tenth(v: f32) -> f64 {
    (f64::from(v) * 10.0).round() / 10.0
}

pub fn vessel(v: &Vessel, source_name: String) -> pb::Vessel {
    pb::Vessel {
        mmsi: v.mmsi,
        ais_class: match v.class {
            AisClass::Unknown => pb::AisClass::Unspecified,
            AisClass::A => pb::AisClass::A,
            AisClass::B => pb::AisClass::B,
            AisClass::SarAircraft => pb::AisClass::SarAircraft,
        } as i32,
        position: v.fix.map(|f| latlon(f.pos)),
        position_unix_ms: v.fix.map(|f| f.at_ms),
        sog_kn: v.sog_kn.map(tenth),
        cog_deg: v.cog_deg.map(tenth),
        heading_deg: v.heading_deg.map(u32::from),
        nav_status: v.nav_status.map(u32::from),
        static_data: Some(static_data(&v.static_data)),
        last_seen_unix_ms: v.last_seen_ms,
        last_source: source_name,
        last_msg_type: u32::from(v.last_msg_type),
        reports: v.reports,
    }
}

pub fn near_hit(h: &NearHit, source_name: String) -> pb::NearVessel {
    pb::NearVessel {
        vessel: Some(vessel(&h.vessel, source_name)),
        position_now: Some(latlon(h.position_now)),
        report_age_s: h.report_age_s,
        distance_m: h.distance_m,
        distance_nm: h.distance_m / M_PER_NM,
        bearing_from_point_deg: h.bearing_from_point_deg,
        course_to_steer_deg: h.course_to_steer_deg,
        eta_s: h.eta_s,
        cpa: h.cpa.map(|c| pb::ClosestApproach { distance_m: c.distance_m, time_s: c.time_s }),
    }
}

pub fn source_stats(s: &SourceStatus) -> pb::SourceStats {
    let st = s.state.lock();
    let c = &st.counters;
    pb::SourceStats {
        name: s.name.clone(),
        kind: s.kind.to_string(),
        connected: st.connected,
        lines: c.lines + st.oversize_lines,
        ais_sentences: c.ais_sentences,
        messages: c.messages,
        bad_checksum: c.bad_checksum,
        malformed: c.malformed,
        not_ais: c.not_ais,
        fragments_expired: c.fragments_expired,
        fragments_orphan: c.fragments_orphan,
        oversize: c.oversize + st.oversize_lines,
        invalid_position: c.invalid_position,
        connects: st.connects,
        disconnects: st.disconnects,
        messages_by_type: c
            .by_type
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(t, n)| (t as u32, *n))
            .collect(),
        last_line_unix_ms: st.last_line_ms,
        last_error: st.last_error.clone(),
    }
}
