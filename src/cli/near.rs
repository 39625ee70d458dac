//! `lookout near`: which vessels can reach a position, and how soon.

use lookout_core::geodesy::M_PER_NM;
use lookout_server::api::pb;

use super::{connect, out_line, parse_distance_m, vessel::vessel_json, RemoteArgs};

/// Ask a running service which vessels are near a position (nearest first).
#[derive(clap::Args)]
pub struct NearArgs {
    /// Latitude, decimal degrees (south negative).
    #[arg(allow_hyphen_values = true, required_unless_present = "alert", conflicts_with = "alert")]
    lat: Option<f64>,
    /// Longitude, decimal degrees (west negative).
    #[arg(allow_hyphen_values = true, required_unless_present = "alert")]
    lon: Option<f64>,
    /// Instead of LAT LON: centre on this alert's search datum as of now (its last position
    /// dead-reckoned, when its contact is lost), e.g. `near --alert 3 --radius 40nm`.
    #[arg(long, value_name = "ALERT_ID")]
    alert: Option<u64>,
    /// Search radius with unit: nm, km or m (e.g. 20nm).
    #[arg(long, default_value = "20nm")]
    radius: String,
    /// Most vessels to list, nearest first (0: the server's default, 50; at most 1000).
    #[arg(long, default_value_t = 20)]
    max: u32,
    /// One JSON object per vessel per line instead of the table: distance_m, distance_nm,
    /// bearing_from_point_deg, course_to_steer_deg, eta_s, cpa_distance_m, cpa_time_s,
    /// cpa_opening, report_age_s, position_now {lat_deg, lon_deg} and the vessel (as
    /// `lookout vessel --json`).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    remote: RemoteArgs,
}

impl NearArgs {
    /// Queries the service and prints a table, or JSON Lines.
    pub async fn run(self) -> anyhow::Result<()> {
        let radius_m = parse_distance_m(&self.radius)?;
        let resp = connect(&self.remote)
            .await?
            .vessels_near(pb::VesselsNearRequest {
                lat_deg: self.lat.unwrap_or_default(),
                lon_deg: self.lon.unwrap_or_default(),
                radius_m,
                max_results: self.max,
                filter: None,
                datum_of_alert_id: self.alert.unwrap_or_default(),
            })
            .await
            .map_err(|s| self.remote.refused(s))?
            .into_inner();
        if self.json {
            for h in &resp.vessels {
                out_line(near_json(h))?;
            }
            eprintln!(
                "{} vessel(s) within {:.1} nm, {} listed",
                resp.total_in_radius,
                radius_m / M_PER_NM,
                resp.vessels.len()
            );
            return Ok(());
        }
        out_line(near_table(&resp, radius_m).trim_end())
    }
}

/// Whether the vessel is already past its closest approach to the point
/// (moving away): the server then gives the CPA as now, at time 0.
fn opening(c: &pb::ClosestApproach) -> bool {
    c.time_s <= 0.0
}

/// One `VesselsNear` hit as a JSON object (units in the field names; see `--json`).
pub fn near_json(h: &pb::NearVessel) -> serde_json::Value {
    serde_json::json!({
        "distance_m": h.distance_m,
        "distance_nm": h.distance_nm,
        "bearing_from_point_deg": h.bearing_from_point_deg,
        "course_to_steer_deg": h.course_to_steer_deg,
        "eta_s": h.eta_s,
        "cpa_distance_m": h.cpa.as_ref().map(|c| c.distance_m),
        "cpa_time_s": h.cpa.as_ref().map(|c| c.time_s),
        "cpa_opening": h.cpa.as_ref().map(opening),
        "report_age_s": h.report_age_s,
        "position_now": h.position_now.as_ref().map(|p| serde_json::json!({"lat_deg": p.lat_deg, "lon_deg": p.lon_deg})),
        "vessel": h.vessel.as_ref().map(vessel_json),
    })
}

/// What the table's abbreviations mean, printed under it.
const LEGEND: &str =
    "BRG: true bearing of the vessel from the point. CTS: true course the vessel would steer to reach it. \
ETA: h:mm to reach it at the current speed. CPA: closest approach to the point on the current course, nm@minutes \
from now (\"opening\": moving away, closest now). AGE_S: seconds since the last report.";

/// Formats a `VesselsNear` answer as a table for a rescue coordinator.
pub fn near_table(r: &pb::VesselsNearResponse, radius_m: f64) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    if let (Some(d), Some(p)) = (&r.datum, r.datum.as_ref().and_then(|d| d.position.as_ref())) {
        let _ = writeln!(
            s,
            "search datum {:.4}, {:.4}, radius {:.1} nm (ETA and CPA are to the datum)",
            p.lat_deg, p.lon_deg, d.radius_nm
        );
    }
    let _ = writeln!(
        s,
        "{} vessel(s) within {:.1} nm (showing {})",
        r.total_in_radius,
        radius_m / M_PER_NM,
        r.vessels.len()
    );
    // A dark target has no MMSI: show its track id, which can be longer
    // than an MMSI, so the column is as wide as the longest id.
    let id = |v: &pb::Vessel| if v.mmsi == 0 { format!("T{}", v.track_id) } else { v.mmsi.to_string() };
    let idw = r.vessels.iter().filter_map(|h| h.vessel.as_ref()).map(|v| id(v).len()).max().unwrap_or(0).max(10);
    let _ = writeln!(
        s,
        "{:>idw$}  {:<20} {:<5} {:>7} {:>5} {:>5} {:>5} {:>7} {:>13} {:>6}  PERSONS_ON_BOARD",
        "MMSI/TRACK", "NAME", "CLASS", "DIST_NM", "BRG", "CTS", "SOG", "ETA", "CPA_NM@MIN", "AGE_S"
    );
    for h in &r.vessels {
        let Some(v) = &h.vessel else { continue };
        let name = v.static_data.as_ref().and_then(|s| s.name.clone()).unwrap_or_default();
        let class = match pb::AisClass::try_from(v.ais_class) {
            _ if v.mmsi == 0 => "DARK",
            Ok(pb::AisClass::A) => "A",
            Ok(pb::AisClass::B) => "B",
            Ok(pb::AisClass::SarAircraft) => "SAR",
            _ => "?",
        };
        let pob = v.persons_on_board.as_ref().map_or(String::new(), super::pob_text);
        let sog = v.sog_kn.map_or("-".to_string(), |x| format!("{x:.1}"));
        let eta =
            h.eta_s.map_or("-".to_string(), |e| format!("{}:{:02}", (e / 3600.0) as u64, ((e % 3600.0) / 60.0) as u64));
        let cpa = h.cpa.as_ref().map_or("-".to_string(), |c| {
            if opening(c) {
                "opening".to_string()
            } else {
                format!("{:.1}@{:.0}", c.distance_m / M_PER_NM, c.time_s / 60.0)
            }
        });
        let _ = writeln!(
            s,
            "{:>idw$}  {:<20} {:<5} {:>7.2} {:>5.0} {:>5.0} {:>5} {:>7} {:>13} {:>6.0}  {}",
            id(v),
            name.chars().take(20).collect::<String>(),
            class,
            h.distance_nm,
            h.bearing_from_point_deg,
            h.course_to_steer_deg,
            sog,
            eta,
            cpa,
            h.report_age_s,
            pob
        );
    }
    if !r.vessels.is_empty() {
        let _ = writeln!(s, "{LEGEND}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(mmsi: u32, track_id: u64, cpa: Option<(f64, f64)>) -> pb::NearVessel {
        pb::NearVessel {
            vessel: Some(pb::Vessel { mmsi, track_id, sog_kn: Some(8.0), ..Default::default() }),
            distance_nm: 3.0,
            distance_m: 3.0 * M_PER_NM,
            cpa: cpa.map(|(d, t)| pb::ClosestApproach { distance_m: d, time_s: t }),
            ..Default::default()
        }
    }

    #[test]
    fn long_track_ids_fit_and_moving_away_reads_opening() {
        let r = pb::VesselsNearResponse {
            vessels: vec![
                hit(247_000_001, 1, Some((12_408.0, 0.0))),
                hit(0, 123_456_789_012_345, Some((1852.0, 600.0))),
            ],
            as_of_unix_ms: 0,
            total_in_radius: 2,
            datum: None,
        };
        let t = near_table(&r, 20.0 * M_PER_NM);
        let lines: Vec<&str> = t.lines().collect();
        // Every row starts with its id right-aligned in one column, then two spaces.
        let idw = "T123456789012345".len();
        assert_eq!(&lines[1][..idw], format!("{:>idw$}", "MMSI/TRACK"));
        assert_eq!(&lines[2][..idw + 2], format!("{:>idw$}  ", "247000001"));
        assert_eq!(&lines[3][..idw + 2], "T123456789012345  ");
        assert!(lines[2].contains("opening") && !lines[2].contains("@0"), "{}", lines[2]);
        assert!(lines[3].contains("1.0@10"), "{}", lines[3]);
        assert!(t.contains("BRG:") && t.contains("CTS:") && t.contains("ETA:") && t.contains("CPA:"), "{t}");
        let j = near_json(&r.vessels[0]);
        assert_eq!(j["cpa_opening"], true);
        assert_eq!(j["vessel"]["mmsi"], 247_000_001);
        assert!(near_json(&r.vessels[1])["vessel"]["mmsi"].is_null());
    }
}
