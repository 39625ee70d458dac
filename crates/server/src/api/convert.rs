//! The one place where protobuf types meet domain types, and where errors
//! become gRPC statuses.

use tonic::Status;

use super::pb;
use crate::error::Error;
use crate::source::{PipelineClosed, SourceRegistry, SourceStatus};
use lookout_ais::DetectionEvent;
use lookout_alert::{Alert, AlertFilter, AlertKind, AlertState, Severity};
use lookout_core::geodesy::{LatLon, M_PER_NM};
use lookout_core::{SensorKind, VesselClass};
use lookout_picture::{AisClass, Area, NearHit, ShipClass, StaticData, Vessel, VesselFilter};

impl From<Error> for Status {
    fn from(e: Error) -> Self {
        match e {
            Error::InvalidArgument(_) => Status::invalid_argument(e.to_string()),
            Error::NotFound(_) => Status::not_found(e.to_string()),
            Error::ResourceExhausted(_) => Status::resource_exhausted(e.to_string()),
            Error::DeadlineExceeded(_) => Status::deadline_exceeded(e.to_string()),
            Error::Unavailable(_) => Status::unavailable(e.to_string()),
            // Disk full or failed: the input was not taken; the feeder may retry elsewhere.
            Error::Archive(_) => Status::unavailable(e.to_string()),
            Error::FailedPrecondition(_) => Status::failed_precondition(e.to_string()),
            Error::Config(_) | Error::Io { .. } | Error::Recording(_) | Error::Baseline(_) => {
                Status::internal(e.to_string())
            }
        }
    }
}

/// The pipeline stopped while a feeding call (`Ingest`, `PushDetections`)
/// was handing it input: the service is shutting down.
impl From<PipelineClosed> for Status {
    fn from(_: PipelineClosed) -> Self {
        Status::unavailable("shutting down")
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
    if f.is_empty() {
        "lat_deg"
    } else {
        f
    }
}
fn field_lon(f: &'static str) -> &'static str {
    if f.is_empty() {
        "lon_deg"
    } else {
        f
    }
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
    let Some(f) = f else {
        return Ok(VesselFilter::default());
    };
    if !f.min_length_m.is_finite() || f.min_length_m < 0.0 {
        return Err(Error::invalid("filter.min_length_m", format!("{} must be >= 0", f.min_length_m)));
    }
    let mut classes = Vec::with_capacity(f.ship_classes.len());
    for c in &f.ship_classes {
        let c = pb::ShipClass::try_from(*c)
            .map_err(|_| Error::invalid("filter.ship_classes", format!("unknown ship class {c}")))?;
        classes.push(ship_class_from_pb(c));
    }
    Ok(VesselFilter { classes, min_length_m: f.min_length_m, moving_only: f.moving_only, within: None })
}

/// `None` (unset) means the whole world.
pub fn area(a: Option<pb::Area>, required: bool) -> Result<Area, Error> {
    use pb::area::Shape;
    match a.and_then(|a| a.shape) {
        None if required => Err(Error::invalid("area", "is required (bbox or polygon)")),
        None => Ok(Area::World),
        Some(Shape::Bbox(b)) => Ok(Area::bbox(b.min_lat_deg, b.min_lon_deg, b.max_lat_deg, b.max_lon_deg)?),
        Some(Shape::Polygon(p)) => {
            let max = super::limits::MAX_POLYGON_VERTICES;
            if p.vertices.len() > max {
                return Err(Error::ResourceExhausted(format!(
                    "area.polygon.vertices: {} vertices exceed the limit of {max} (MAX_POLYGON_VERTICES)",
                    p.vertices.len()
                )));
            }
            let v: Vec<LatLon> = p.vertices.iter().map(|v| LatLon::new(v.lat_deg, v.lon_deg)).collect();
            Ok(Area::polygon(&v)?)
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

pub(super) fn sensor_kind_to_pb(k: SensorKind) -> pb::SensorKind {
    match k {
        SensorKind::Radar => pb::SensorKind::Radar,
        SensorKind::Drone => pb::SensorKind::Drone,
        SensorKind::EoIr => pb::SensorKind::EoIr,
        SensorKind::Aircraft => pb::SensorKind::Aircraft,
        SensorKind::SarSatellite => pb::SensorKind::SarSatellite,
        SensorKind::Other => pb::SensorKind::Other,
    }
}

fn vessel_class_to_pb(c: VesselClass) -> pb::VesselClass {
    match c {
        VesselClass::RubberBoat => pb::VesselClass::RubberBoat,
        VesselClass::WoodenBoat => pb::VesselClass::WoodenBoat,
        VesselClass::Fishing => pb::VesselClass::Fishing,
        VesselClass::Sailing => pb::VesselClass::Sailing,
        VesselClass::MotorYacht => pb::VesselClass::MotorYacht,
        VesselClass::Merchant => pb::VesselClass::Merchant,
        VesselClass::Unknown => pb::VesselClass::Unknown,
    }
}

/// A pushed event in the raw form the detection parser validates (the same
/// path JSON Lines files take, so both get the same checks and field names).
/// Required fields that are absent are refused here, by name.
pub fn detection_event(e: pb::DetectionEvent) -> Result<DetectionEvent, Error> {
    let required = |v: Option<f64>, field: &'static str| v.ok_or_else(|| Error::invalid(field, "is required"));
    let (lat, lon, position_error_m) =
        (required(e.lat, "lat")?, required(e.lon, "lon")?, required(e.position_error_m, "position_error_m")?);
    if e.time.is_none() {
        return Err(Error::invalid("time", "is required"));
    }
    let time = e
        .time
        .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(u32::MAX)))
        .map(|t| t.to_rfc3339())
        .unwrap_or_default();
    let enum_name = |n: Option<&str>| n.unwrap_or("").to_string();
    let kind = pb::SensorKind::try_from(e.sensor_kind).ok().filter(|k| *k != pb::SensorKind::Unspecified);
    let class = pb::VesselClass::try_from(e.vessel_class).ok().filter(|c| *c != pb::VesselClass::Unspecified);
    Ok(DetectionEvent {
        time,
        sensor_id: e.sensor_id,
        sensor_kind: match (kind, e.sensor_kind) {
            (Some(k), _) => enum_name(Some(k.as_str_name())),
            (None, 0) => String::new(),
            (None, n) => n.to_string(),
        },
        lat,
        lon,
        position_error_m,
        course_deg: e.course_deg,
        speed_kn: e.speed_kn,
        length_m: e.length_m,
        vessel_class: match (class, e.vessel_class) {
            (Some(c), _) => Some(c.as_str_name().to_string()),
            (None, 0) => None,
            (None, n) => Some(n.to_string()),
        },
        persons_counted: e.persons_counted,
        count_confidence: e.count_confidence,
        detection_id: (!e.detection_id.is_empty()).then_some(e.detection_id),
        image_ref: (!e.image_ref.is_empty()).then_some(e.image_ref),
    })
}

/// A vessel or track for the API. `last_source` names the feed of the last
/// AIS report, or for a non-AIS track the last sensor that saw it.
pub fn vessel(v: &Vessel, sources: &SourceRegistry) -> pb::Vessel {
    let source_name = if v.mmsi == 0 {
        v.fusion.as_ref().and_then(|f| f.last_sensor.as_deref()).unwrap_or_default().to_string()
    } else {
        sources.name(v.last_source)
    };
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
        track_id: v.track_id,
        sensors: v
            .fusion
            .as_ref()
            .map(|f| {
                f.sensors
                    .iter()
                    .map(|(id, s)| pb::SensorSeen {
                        sensor_id: id.to_string(),
                        sensor_kind: sensor_kind_to_pb(s.kind) as i32,
                        hits: s.hits,
                        last_unix_ms: s.last_ms,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        ais_correlated: v.mmsi != 0,
        persons_on_board: v.fusion.as_ref().and_then(|f| f.pob.as_ref()).map(|p| pb::PersonsOnBoard {
            estimate: p.estimate,
            low: p.low,
            high: p.high,
            safe_capacity: p.safe_capacity,
            overcrowded: p.overcrowded,
            evidence: p.evidence.clone(),
            basis: if p.looks > 0 { pb::PobBasis::Counted } else { pb::PobBasis::Prior } as i32,
            looks: p.looks,
        }),
        detected_class: v
            .fusion
            .as_ref()
            .and_then(|f| f.vessel_class)
            .map_or(pb::VesselClass::Unspecified, vessel_class_to_pb) as i32,
        // Only confirmed tracks leave the tracker; AIS vessels are confirmed by their MMSI.
        track_status: pb::TrackStatus::Confirmed as i32,
    }
}

pub fn near_hit(h: &NearHit, sources: &SourceRegistry) -> pb::NearVessel {
    pb::NearVessel {
        vessel: Some(vessel(&h.vessel, sources)),
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
        fragments_duplicate: c.fragments_duplicate,
        radar_sentences: c.radar_sentences,
        udp_dropped: st.udp_dropped,
        peers_refused: st.peers_refused,
        oversize: c.oversize + st.oversize_lines,
        invalid_position: c.invalid_position,
        connects: st.connects,
        disconnects: st.disconnects,
        messages_by_type: c.by_type.iter().enumerate().filter(|(_, n)| **n > 0).map(|(t, n)| (t as u32, *n)).collect(),
        last_line_unix_ms: st.last_line_ms,
        last_error: if st.detections.last_rejection.is_empty() {
            st.last_error.clone()
        } else {
            format!("{} (last rejected detection: {})", st.last_error, st.detections.last_rejection)
        },
        radar_detections: st.detections.radar_detections,
        radar_errors: st.detections.radar_errors,
        radar_unconfigured: st.detections.radar_unconfigured,
        detections: st.detections.events,
        detections_rejected: st.detections.events_rejected,
    }
}

// ---------------------------------------------------------------- alerts

/// A required timestamp field, ms since the epoch.
pub fn time_ms(field: &'static str, t: Option<prost_types::Timestamp>) -> Result<i64, Error> {
    let t = t.ok_or_else(|| Error::invalid(field, "is required"))?;
    if !(0..1_000_000_000).contains(&t.nanos) || !(0..=32_503_680_000).contains(&t.seconds) {
        return Err(Error::invalid(field, "is not a time between 1970 and 3000"));
    }
    Ok(t.seconds * 1000 + i64::from(t.nanos / 1_000_000))
}

/// Longest window `VesselHistory` answers, ms.
pub const MAX_HISTORY_WINDOW_MS: i64 = 31 * 86_400_000;
/// `VesselHistory` points by default, and at most.
pub const DEFAULT_HISTORY_POINTS: usize = 10_000;
pub const MAX_HISTORY_POINTS: usize = 100_000;

/// One archived position, for `VesselHistory`.
pub fn history_point(r: &lookout_archive::PositionRow) -> pb::HistoryPoint {
    pb::HistoryPoint {
        time: Some(timestamp(r.time_ms)),
        lat_deg: r.sample.lat_deg,
        lon_deg: r.sample.lon_deg,
        sog_kn: r.sample.sog_kn,
        cog_deg: r.sample.cog_deg,
        heading_deg: r.sample.heading_deg,
        archive_seq: r.seq,
    }
}

/// One archived alert version, for `AlertHistory`.
pub fn archived_version(r: lookout_archive::AlertVersionRow) -> pb::ArchivedAlertVersion {
    pb::ArchivedAlertVersion {
        version: r.version,
        time: Some(timestamp(r.time_ms)),
        archive_seq: r.seq,
        record_json: String::from_utf8_lossy(&r.payload).into_owned(),
    }
}

/// Longest legal hold name, characters.
pub const MAX_HOLD_NAME_CHARS: usize = 64;
/// Longest legal hold note, characters.
pub const MAX_HOLD_NOTE_CHARS: usize = 1000;

/// A legal hold asked for by `by`: its name and note checked, the note in `by`'s name.
pub fn hold_from_pb(h: Option<pb::LegalHold>, by: &str) -> Result<lookout_archive::Hold, Error> {
    let h = h.ok_or_else(|| Error::invalid("hold", "is required"))?;
    let name = h.name.trim();
    if name.is_empty() || name.chars().count() > MAX_HOLD_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(Error::invalid("hold.name", "must be 1 to 64 characters, none a control character"));
    }
    let note = h.note.trim();
    if note.is_empty() || note.chars().count() > MAX_HOLD_NOTE_CHARS {
        return Err(Error::invalid("hold.note", "must say who asked and why, in at most 1000 characters"));
    }
    let (from_ms, to_ms) = (time_ms("hold.from", h.from)?, time_ms("hold.to", h.to)?);
    if to_ms <= from_ms {
        return Err(Error::invalid("hold.to", "must be after hold.from"));
    }
    if let Some(m) = h.mmsis.iter().find(|m| !(1..=999_999_999).contains(*m)) {
        return Err(Error::invalid("hold.mmsis", format!("{m} is not an MMSI")));
    }
    Ok(lookout_archive::Hold {
        name: name.to_string(),
        from_ms,
        to_ms,
        entities: h.mmsis.iter().map(|&m| u64::from(m)).collect(),
        note: format!("by {by}: {note}"),
    })
}

/// A legal hold as the API shows it.
pub fn hold_to_pb(h: lookout_archive::Hold) -> pb::LegalHold {
    pb::LegalHold {
        name: h.name,
        from: Some(timestamp(h.from_ms)),
        to: Some(timestamp(h.to_ms)),
        mmsis: h.entities.iter().filter_map(|&e| u32::try_from(e).ok()).collect(),
        note: h.note,
    }
}

pub fn timestamp(ms: i64) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds: ms.div_euclid(1000), nanos: (ms.rem_euclid(1000) * 1_000_000) as i32 }
}

pub(super) fn alert_kind_to_pb(k: AlertKind) -> pb::AlertKind {
    match k {
        AlertKind::DarkTarget => pb::AlertKind::DarkTarget,
        AlertKind::AisGap => pb::AlertKind::AisGap,
        AlertKind::Loitering => pb::AlertKind::Loitering,
        AlertKind::Rendezvous => pb::AlertKind::Rendezvous,
        AlertKind::RouteDeviation => pb::AlertKind::RouteDeviation,
        AlertKind::PositionJump => pb::AlertKind::PositionJump,
        AlertKind::Overcrowded => pb::AlertKind::Overcrowded,
    }
}

fn alert_kind_from_pb(k: i32) -> Result<AlertKind, Error> {
    use pb::AlertKind as P;
    Ok(match P::try_from(k) {
        Ok(P::DarkTarget) => AlertKind::DarkTarget,
        Ok(P::AisGap) => AlertKind::AisGap,
        Ok(P::Loitering) => AlertKind::Loitering,
        Ok(P::Rendezvous) => AlertKind::Rendezvous,
        Ok(P::RouteDeviation) => AlertKind::RouteDeviation,
        Ok(P::PositionJump) => AlertKind::PositionJump,
        Ok(P::Overcrowded) => AlertKind::Overcrowded,
        Ok(P::Unspecified) => return Err(Error::invalid("filter.kinds", "ALERT_KIND_UNSPECIFIED is not a kind")),
        Err(_) => return Err(Error::invalid("filter.kinds", format!("{k} is not an AlertKind"))),
    })
}

pub(super) fn severity_to_pb(s: Severity) -> pb::Severity {
    match s {
        Severity::Info => pb::Severity::Info,
        Severity::Low => pb::Severity::Low,
        Severity::Medium => pb::Severity::Medium,
        Severity::High => pb::Severity::High,
        Severity::Critical => pb::Severity::Critical,
    }
}

fn severity_from_pb(s: i32) -> Result<Option<Severity>, Error> {
    use pb::Severity as P;
    Ok(match P::try_from(s) {
        Ok(P::Unspecified) => None,
        Ok(P::Info) => Some(Severity::Info),
        Ok(P::Low) => Some(Severity::Low),
        Ok(P::Medium) => Some(Severity::Medium),
        Ok(P::High) => Some(Severity::High),
        Ok(P::Critical) => Some(Severity::Critical),
        Err(_) => return Err(Error::invalid("filter.min_severity", format!("{s} is not a Severity"))),
    })
}

pub(super) fn alert_state_to_pb(s: AlertState) -> pb::AlertState {
    match s {
        AlertState::Open => pb::AlertState::Open,
        AlertState::Updated => pb::AlertState::Updated,
        AlertState::Closed => pb::AlertState::Closed,
        AlertState::Retracted => pb::AlertState::Retracted,
        AlertState::ContactLost => pb::AlertState::ContactLost,
    }
}

pub fn alert(a: &Alert) -> pb::Alert {
    pb::Alert {
        alert_id: a.alert_id,
        kind: alert_kind_to_pb(a.kind) as i32,
        severity: severity_to_pb(a.severity) as i32,
        score: a.score,
        state: alert_state_to_pb(a.state) as i32,
        version: a.version,
        opened_at: Some(timestamp(a.opened_at_ms)),
        updated_at: Some(timestamp(a.updated_at_ms)),
        closed_at: a.closed_at_ms.map(timestamp),
        position: Some(latlon(LatLon::new(a.lat, a.lon))),
        track_id: a.track_id,
        mmsi: a.mmsi,
        persons_on_board: a.persons_on_board.map(|p| pb::PersonsOnBoard {
            estimate: p.estimate,
            low: p.low,
            high: p.high,
            basis: match p.basis {
                lookout_score::PobBasis::Prior => pb::PobBasis::Prior,
                lookout_score::PobBasis::Counted => pb::PobBasis::Counted,
            } as i32,
            ..Default::default()
        }),
        explanation: a.explanation.clone(),
        evidence: a.evidence.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        rescue: a.rescue,
        acknowledged: a.acknowledged.as_ref().map(|k| pb::Acknowledgement {
            by: k.by.clone(),
            note: k.note.clone(),
            at: Some(timestamp(k.at_ms)),
        }),
        retraction: a.retraction.clone().unwrap_or_default(),
        track_ids: a.track_ids(),
        contact_lost: a.contact_lost.as_ref().map(|c| pb::ContactLost {
            last_position: Some(latlon(LatLon::new(c.last_lat, c.last_lon))),
            last_seen: Some(timestamp(c.last_seen_ms)),
            lost_at: Some(timestamp(c.lost_at_ms)),
            why: c.why.clone(),
            cog_deg: c.motion.map(|m| m.cog_deg),
            sog_kn: c.motion.map(|m| m.sog_kn),
            position_error_nm: c.position_error_nm,
            dead_reckoning_error: c.dead_reckoning_error,
            unmodelled_drift_kn: c.unmodelled_drift_kn,
            safety_factor: c.safety_factor,
            datum: Some(datum(&c.datum_at(a.updated_at_ms))),
        }),
        merged_into: a.merged_into,
    }
}

/// A lost contact's datum at one moment.
pub fn datum(d: &lookout_alert::Datum) -> pb::Datum {
    pb::Datum {
        position: Some(latlon(LatLon::new(d.lat, d.lon))),
        radius_nm: d.radius_nm,
        at: Some(timestamp(d.at_ms)),
    }
}

/// A console's alert filter. Impossible ones (unknown enum values, a bad
/// area, rescue only but no distress kind asked for) are INVALID_ARGUMENT.
pub fn alert_filter(f: Option<pb::AlertFilter>) -> Result<AlertFilter, Error> {
    let f = f.unwrap_or_default();
    let kinds: std::collections::BTreeSet<AlertKind> =
        f.kinds.iter().map(|k| alert_kind_from_pb(*k)).collect::<Result<_, _>>()?;
    if f.rescue_only && !kinds.is_empty() && !kinds.iter().any(|k| k.is_distress()) {
        return Err(Error::invalid(
            "filter.rescue_only",
            "no kind in filter.kinds is a distress kind, so nothing could match",
        ));
    }
    Ok(AlertFilter {
        area: area(f.area, false)?,
        kinds,
        min_severity: severity_from_pb(f.min_severity)?,
        rescue_only: f.rescue_only,
        within: None,
    })
}

/// The archive's part of `Stats`.
pub fn archive_stats(shared: &crate::service::Shared, store: &crate::store::Store) -> pb::ArchiveStats {
    let r = shared.recovered.clone().unwrap_or_default();
    let archive = store.archive();
    pb::ArchiveStats {
        durable_seq: *archive.durable_watch().borrow(),
        health: match archive.health() {
            lookout_archive::Health::Ok => "ok".into(),
            other => format!("{other:?}"),
        },
        refused: shared.archive_refused.load(std::sync::atomic::Ordering::Relaxed),
        recovered_batches: r.batches,
        recovered_observations: r.observations,
        recovered_ticks: r.ticks,
        recovered_acks: r.acks,
        recovered_alert_versions: r.alert_versions_archived,
        recovered_alert_versions_differing: r.alert_versions_differing,
        recovered_unreadable: r.unreadable,
        recovery_ms: r.took_ms,
        segments_purged: shared.archive_purged.load(std::sync::atomic::Ordering::Relaxed),
        segments_held: shared.archive_held.load(std::sync::atomic::Ordering::Relaxed),
    }
}
