//! `ListSensors`: the configured radar sites (for coverage on a map) and the
//! non-AIS sensors that have seen a track in the live picture.

use std::collections::BTreeMap;

use lookout_core::geodesy::M_PER_NM;
use lookout_core::SensorKind;

use super::convert::sensor_kind_to_pb;
use super::pb;
use crate::service::Shared;

/// Configured sites first (configuration order), then the others by id.
pub fn list(shared: &Shared) -> pb::ListSensorsResponse {
    // (kind, tracks seen, latest look) per sensor id, from the live picture.
    let mut seen: BTreeMap<String, (SensorKind, u32, i64)> = BTreeMap::new();
    {
        let engine = shared.engine.read();
        for v in engine.picture().vessels() {
            let Some(f) = &v.fusion else { continue };
            for (id, s) in &f.sensors {
                let e = seen.entry(id.to_string()).or_insert((s.kind, 0, i64::MIN));
                e.1 += 1;
                e.2 = e.2.max(s.last_ms);
            }
        }
    }
    let mut sensors = Vec::with_capacity(shared.config.radars.len() + seen.len());
    for r in &shared.config.radars {
        let (tracks_seen, last) = seen.remove(&r.station).map_or((0, None), |(_, n, t)| (n, Some(t)));
        sensors.push(pb::Sensor {
            sensor_id: r.station.clone(),
            sensor_kind: pb::SensorKind::Radar as i32,
            site: Some(pb::LatLon { lat_deg: r.lat, lon_deg: r.lon }),
            range_m: r.range_nm.map(|n| n * M_PER_NM),
            tracks_seen,
            last_unix_ms: last,
        });
    }
    sensors.extend(seen.into_iter().map(|(id, (kind, n, t))| pb::Sensor {
        sensor_id: id,
        sensor_kind: sensor_kind_to_pb(kind) as i32,
        site: None,
        range_m: None,
        tracks_seen: n,
        last_unix_ms: Some(t),
    }));
    pb::ListSensorsResponse { sensors, server_time_unix_ms: shared.now_ms() }
}
