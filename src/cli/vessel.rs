//! `lookout vessel MMSI`: one vessel as the service sees it (GetVessel), and
//! the JSON form of a vessel that `near`, `area` and `vessel` share.

use lookout_core::time::rfc3339_ms;
use lookout_server::api::pb;

use super::{connect, out_line, RemoteArgs};

/// Show one vessel as the service sees it now: position, motion, identity, sensors.
#[derive(clap::Args)]
pub struct VesselArgs {
    /// The vessel's MMSI (9 digits).
    mmsi: u32,
    /// One JSON object instead of text (the fields `lookout area --json` writes per vessel).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    remote: RemoteArgs,
}

impl VesselArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        let v = connect(&self.remote)
            .await?
            .get_vessel(pb::GetVesselRequest { mmsi: self.mmsi })
            .await
            .map_err(|s| self.remote.refused(s))?
            .into_inner();
        if self.json {
            out_line(vessel_json(&v))
        } else {
            out_line(vessel_text(&v).trim_end())
        }
    }
}

/// The name of an enum value without its prefix, or null when unset.
fn enum_name(name: Option<&'static str>, prefix: &str) -> serde_json::Value {
    match name.map(|n| n.trim_start_matches(prefix)) {
        None | Some("UNSPECIFIED") => serde_json::Value::Null,
        Some(n) => n.into(),
    }
}

/// AIS class as `A`, `B`, `SAR_AIRCRAFT`, `ATON`, `BASE_STATION`, or null.
fn ais_class(v: &pb::Vessel) -> serde_json::Value {
    enum_name(pb::AisClass::try_from(v.ais_class).ok().map(|c| c.as_str_name()), "AIS_CLASS_")
}

/// One vessel (or dark track) as a JSON object. Stable field names, units in
/// the names: `mmsi` (null for a dark track), `track_id`, `dark` (no AIS
/// explains it), `ais_class`, `lat_deg`, `lon_deg`, `position_time`, `sog_kn`,
/// `cog_deg`, `heading_deg`, `nav_status`, `name`, `callsign`, `imo`,
/// `ship_type`, `ship_class`, `length_m`, `beam_m`, `draught_m`,
/// `destination`, `last_seen`, `last_source`, `reports`, `sensors`
/// (`[{sensor_id, sensor_kind, hits, last_seen}]`), `persons_on_board`
/// (`{estimate, low, high, basis, looks, safe_capacity, overcrowded}` or null),
/// `detected_class`, `track_status`. Times are RFC 3339 UTC; unknown values are null.
pub fn vessel_json(v: &pb::Vessel) -> serde_json::Value {
    let st = v.static_data.clone().unwrap_or_default();
    serde_json::json!({
        "mmsi": (v.mmsi != 0).then_some(v.mmsi),
        "track_id": v.track_id,
        "dark": !v.ais_correlated,
        "ais_class": ais_class(v),
        "lat_deg": v.position.as_ref().map(|p| p.lat_deg),
        "lon_deg": v.position.as_ref().map(|p| p.lon_deg),
        "position_time": v.position_unix_ms.map(rfc3339_ms),
        "sog_kn": v.sog_kn,
        "cog_deg": v.cog_deg,
        "heading_deg": v.heading_deg,
        "nav_status": v.nav_status,
        "name": st.name,
        "callsign": st.callsign,
        "imo": st.imo,
        "ship_type": st.ship_type,
        "ship_class": enum_name(pb::ShipClass::try_from(st.ship_class).ok().map(|c| c.as_str_name()), "SHIP_CLASS_"),
        "length_m": st.length_m,
        "beam_m": st.beam_m,
        "draught_m": st.draught_m,
        "destination": st.destination,
        "last_seen": (v.last_seen_unix_ms != 0).then(|| rfc3339_ms(v.last_seen_unix_ms)),
        "last_source": v.last_source,
        "reports": v.reports,
        "sensors": v.sensors.iter().map(|s| serde_json::json!({
            "sensor_id": s.sensor_id,
            "sensor_kind": enum_name(pb::SensorKind::try_from(s.sensor_kind).ok().map(|k| k.as_str_name()), "SENSOR_KIND_"),
            "hits": s.hits,
            "last_seen": rfc3339_ms(s.last_unix_ms),
        })).collect::<Vec<_>>(),
        "persons_on_board": v.persons_on_board.as_ref().map(super::pob_json),
        "detected_class": enum_name(
            pb::VesselClass::try_from(v.detected_class).ok().map(|c| c.as_str_name()), "VESSEL_CLASS_"),
        "track_status": enum_name(
            pb::TrackStatus::try_from(v.track_status).ok().map(|c| c.as_str_name()), "TRACK_STATUS_"),
    })
}

/// One vessel as a few lines for an operator.
fn vessel_text(v: &pb::Vessel) -> String {
    use std::fmt::Write as _;
    let j = vessel_json(v);
    let mut s = String::new();
    let id = if v.mmsi == 0 { format!("dark track T{}", v.track_id) } else { format!("MMSI {}", v.mmsi) };
    let name = j["name"].as_str().unwrap_or("");
    let _ = writeln!(s, "{id} {name}");
    let field = |k: &str| match &j[k] {
        serde_json::Value::Null => "-".to_string(),
        serde_json::Value::String(t) => t.clone(),
        x => x.to_string(),
    };
    let pos = match &v.position {
        Some(p) => format!("{:.5}, {:.5} at {}", p.lat_deg, p.lon_deg, field("position_time")),
        None => "unknown".into(),
    };
    let _ = writeln!(s, "  position     {pos}");
    let _ = writeln!(
        s,
        "  motion       SOG {} kn, COG {}°, heading {}°",
        v.sog_kn.map_or("-".into(), |x| format!("{x:.1}")),
        v.cog_deg.map_or("-".into(), |x| format!("{x:.0}")),
        field("heading_deg")
    );
    let _ = writeln!(
        s,
        "  identity     class {}, {} ({}), callsign {}, IMO {}",
        field("ais_class"),
        field("ship_class"),
        field("ship_type"),
        field("callsign"),
        field("imo")
    );
    let _ = writeln!(
        s,
        "  size         length {} m, beam {} m, draught {} m; destination {}",
        field("length_m"),
        field("beam_m"),
        field("draught_m"),
        field("destination")
    );
    let _ =
        writeln!(s, "  heard        {} reports, last {} from {}", v.reports, field("last_seen"), field("last_source"));
    for x in &v.sensors {
        let _ = writeln!(s, "  sensor       {} ({} hits, last {})", x.sensor_id, x.hits, rfc3339_ms(x.last_unix_ms));
    }
    if let Some(p) = &v.persons_on_board {
        let _ = writeln!(s, "  on board     {}", super::pob_text(p));
    }
    s
}
