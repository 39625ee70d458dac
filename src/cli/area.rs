//! `lookout area --bbox`: every vessel inside a box (VesselsInArea).

use lookout_server::api::pb;

use super::{connect, out_line, vessel::vessel_json, RemoteArgs};

/// List the vessels inside an area (VesselsInArea), by MMSI.
#[derive(clap::Args)]
pub struct AreaArgs {
    /// The area as MIN_LAT,MIN_LON,MAX_LAT,MAX_LON in decimal degrees (a MAX_LON below
    /// MIN_LON crosses the antimeridian), e.g. 35.0,11.5,36.5,13.0.
    #[arg(long, allow_hyphen_values = true, value_parser = parse_bbox)]
    bbox: pb::BoundingBox,
    /// Most vessels to list (0: the server's default, 10,000).
    #[arg(long, default_value_t = 0)]
    max: u32,
    /// Only vessels making way (SOG at least 0.5 kn).
    #[arg(long)]
    moving: bool,
    /// One JSON object per vessel per line (the fields `lookout vessel --json` writes).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    remote: RemoteArgs,
}

/// Parses `MIN_LAT,MIN_LON,MAX_LAT,MAX_LON`.
pub(crate) fn parse_bbox(s: &str) -> Result<pb::BoundingBox, String> {
    let v: Vec<f64> = s
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("{s:?} is not MIN_LAT,MIN_LON,MAX_LAT,MAX_LON in decimal degrees"))?;
    let [min_lat_deg, min_lon_deg, max_lat_deg, max_lon_deg] = v[..] else {
        return Err(format!("needs four numbers, MIN_LAT,MIN_LON,MAX_LAT,MAX_LON; got {}", v.len()));
    };
    if min_lat_deg > max_lat_deg {
        return Err(format!("MIN_LAT {min_lat_deg} is north of MAX_LAT {max_lat_deg}"));
    }
    Ok(pb::BoundingBox { min_lat_deg, min_lon_deg, max_lat_deg, max_lon_deg })
}

impl AreaArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        let req = pb::VesselsInAreaRequest {
            area: Some(pb::Area { shape: Some(pb::area::Shape::Bbox(self.bbox)) }),
            max_results: self.max,
            filter: self.moving.then_some(pb::VesselFilter { moving_only: true, ..Default::default() }),
        };
        let r =
            connect(&self.remote).await?.vessels_in_area(req).await.map_err(|s| self.remote.refused(s))?.into_inner();
        if self.json {
            for v in &r.vessels {
                out_line(vessel_json(v))?;
            }
            eprintln!("{} vessel(s) in the area, {} listed", r.total_in_area, r.vessels.len());
            return Ok(());
        }
        out_line(format!("{} vessel(s) in the area (showing {})", r.total_in_area, r.vessels.len()))?;
        let idw = r.vessels.iter().map(|v| id(v).len()).max().unwrap_or(0).max(10);
        out_line(format!(
            "{:>idw$}  {:<20} {:>9} {:>10} {:>5} {:>5} {:>20}",
            "MMSI/TRACK", "NAME", "LAT", "LON", "SOG", "COG", "LAST_SEEN"
        ))?;
        for v in &r.vessels {
            let name = v.static_data.as_ref().and_then(|s| s.name.clone()).unwrap_or_default();
            let (lat, lon) = v
                .position
                .as_ref()
                .map_or(("-".into(), "-".into()), |p| (format!("{:.4}", p.lat_deg), format!("{:.4}", p.lon_deg)));
            out_line(format!(
                "{:>idw$}  {:<20} {:>9} {:>10} {:>5} {:>5} {:>20}",
                id(v),
                name.chars().take(20).collect::<String>(),
                lat,
                lon,
                v.sog_kn.map_or("-".into(), |x| format!("{x:.1}")),
                v.cog_deg.map_or("-".into(), |x| format!("{x:.0}")),
                lookout_core::time::rfc3339_ms(v.last_seen_unix_ms).get(..19).unwrap_or_default()
            ))?;
        }
        Ok(())
    }
}

/// The MMSI, or `T<track id>` for a dark track.
fn id(v: &pb::Vessel) -> String {
    if v.mmsi == 0 {
        format!("T{}", v.track_id)
    } else {
        v.mmsi.to_string()
    }
}
