//! `lookout near`: which vessels can reach a position, and how soon.

use lookout_core::geodesy::M_PER_NM;
use lookout_server::api::pb;

use super::{connect, parse_distance_m, RemoteArgs};

/// Ask a running service which vessels are near a position.
#[derive(clap::Args)]
pub struct NearArgs {
    /// Latitude, decimal degrees (south negative).
    #[arg(allow_hyphen_values = true)]
    lat: f64,
    /// Longitude, decimal degrees (west negative).
    #[arg(allow_hyphen_values = true)]
    lon: f64,
    /// Search radius with unit: nm, km or m (e.g. 20nm).
    #[arg(long, default_value = "20nm")]
    radius: String,
    /// Most vessels to list, nearest first (0: the server's default).
    #[arg(long, default_value_t = 20)]
    max: u32,
    #[command(flatten)]
    remote: RemoteArgs,
}

impl NearArgs {
    /// Queries the service and prints a table.
    pub async fn run(self) -> anyhow::Result<()> {
        let radius_m = parse_distance_m(&self.radius)?;
        let resp = connect(&self.remote)
            .await?
            .vessels_near(pb::VesselsNearRequest {
                lat_deg: self.lat,
                lon_deg: self.lon,
                radius_m,
                max_results: self.max,
                filter: None,
            })
            .await
            .map_err(|s| self.remote.refused(s))?
            .into_inner();
        print!("{}", near_table(&resp, radius_m));
        Ok(())
    }
}

/// Formats a `VesselsNear` answer as a table for a rescue coordinator.
pub fn near_table(r: &pb::VesselsNearResponse, radius_m: f64) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} vessel(s) within {:.1} nm (showing {})",
        r.total_in_radius,
        radius_m / M_PER_NM,
        r.vessels.len()
    );
    let _ = writeln!(
        s,
        "{:>13}  {:<20} {:<5} {:>7} {:>5} {:>5} {:>5} {:>7} {:>13} {:>6}  PERSONS_ON_BOARD",
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
        // A dark target has no MMSI: show its track id.
        let id = if v.mmsi == 0 { format!("T{}", v.track_id) } else { v.mmsi.to_string() };
        let pob = v.persons_on_board.as_ref().map_or(String::new(), |p| {
            format!("{} ({}-{}){}", p.estimate, p.low, p.high, if p.overcrowded { " OVERCROWDED" } else { "" })
        });
        let sog = v.sog_kn.map_or("-".to_string(), |x| format!("{x:.1}"));
        let eta =
            h.eta_s.map_or("-".to_string(), |e| format!("{}:{:02}", (e / 3600.0) as u64, ((e % 3600.0) / 60.0) as u64));
        let cpa = h
            .cpa
            .as_ref()
            .map_or("-".to_string(), |c| format!("{:.1}@{:.0}", c.distance_m / M_PER_NM, c.time_s / 60.0));
        let _ = writeln!(
            s,
            "{:>13}  {:<20} {:<5} {:>7.2} {:>5.0} {:>5.0} {:>5} {:>7} {:>13} {:>6.0}  {}",
            id,
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
    s
}
