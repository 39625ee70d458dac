//! AIS receiving stations from the configuration (`[[ais_receiver]]`): where the
//! coastguard's own shore stations can hear AIS, each as a position and a nominal range.
//! A prior on coverage beside what the gap detector learns from live traffic (the
//! coverage edges, which need a few ships to end at a place before they count): with
//! stations configured, a vessel out of every station's reach is not expected to be
//! heard, so its silence is "left coverage", not an AIS gap, from the first ship on.

use lookout_core::geodesy::{distance_m, LatLon, M_PER_NM};

/// Share of a station's nominal range within which a vessel is expected to be heard
/// well: VHF reception fades near the range's end (antenna heights, weather, ducting go
/// both ways), and a ship sailing out is silent for a while before it crosses it.
pub const RELIABLE_RANGE_SHARE: f64 = 0.8;

/// One station: `lat`, `lon` degrees WGS84, `range_nm` its nominal reach in nautical
/// miles (typically 20–40 nm for a shore station, by antenna height).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AisReceiverConfig {
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    pub range_nm: f64,
}

impl AisReceiverConfig {
    /// What is wrong with this station, each problem naming it.
    pub fn problems(&self) -> Vec<String> {
        let who = format!("ais_receiver {:?}", self.name);
        let mut out = Vec::new();
        if self.name.trim().is_empty() {
            out.push(format!("{who}: name must be set"));
        }
        if !LatLon::new(self.lat, self.lon).is_valid() {
            out.push(format!("{who}: lat {}, lon {} is not a valid position", self.lat, self.lon));
        }
        // Beyond ~100 nm a shore station hears only by ducting; a satellite is not a station.
        if !(self.range_nm > 0.0 && self.range_nm <= 200.0) {
            out.push(format!("{who}: range_nm {} is not within (0, 200] nm", self.range_nm));
        }
        out
    }
}

/// The configured stations, ready for the detectors; empty: no prior, coverage is only
/// what is learnt.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AisReceivers(Vec<AisReceiverConfig>);

/// Where a position stands against the configured stations.
#[derive(Debug, Clone, PartialEq)]
pub struct Reach<'a> {
    /// The nearest station, relative to its range.
    pub station: &'a AisReceiverConfig,
    /// Distance to it, nautical miles.
    pub distance_nm: f64,
    /// Within [`RELIABLE_RANGE_SHARE`] of its range.
    pub heard_well: bool,
}

impl AisReceivers {
    /// From validated configurations.
    pub fn new(stations: Vec<AisReceiverConfig>) -> Self {
        Self(stations)
    }

    /// No station configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The station `p` is best placed for (smallest distance over range), or `None`
    /// without stations.
    pub fn reach(&self, p: LatLon) -> Option<Reach<'_>> {
        self.0
            .iter()
            .map(|s| (s, distance_m(p, LatLon::new(s.lat, s.lon)) / M_PER_NM))
            .min_by(|a, b| (a.1 / a.0.range_nm).total_cmp(&(b.1 / b.0.range_nm)))
            .map(|(station, distance_nm)| Reach {
                station,
                distance_nm,
                heard_well: distance_nm <= RELIABLE_RANGE_SHARE * station.range_nm,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lookout_core::geodesy::destination;

    fn station(name: &str, lat: f64, lon: f64, range_nm: f64) -> AisReceiverConfig {
        AisReceiverConfig { name: name.into(), lat, lon, range_nm }
    }

    #[test]
    fn the_best_placed_station_decides_and_the_edge_of_its_range_is_not_heard_well() {
        let lampedusa = station("Lampedusa", 35.5, 12.6, 40.0);
        let malta = station("Malta", 35.9, 14.4, 30.0);
        let rx = AisReceivers::new(vec![lampedusa.clone(), malta]);
        let near = destination(LatLon::new(35.5, 12.6), 180.0, 20.0 * M_PER_NM);
        let r = rx.reach(near).unwrap();
        assert_eq!(r.station.name, "Lampedusa");
        assert!((r.distance_nm - 20.0).abs() < 0.01 && r.heard_well, "{r:?}");
        // 35 nm out: inside the nominal 40 nm, beyond the 32 nm heard well.
        let edge = destination(LatLon::new(35.5, 12.6), 180.0, 35.0 * M_PER_NM);
        assert!(!rx.reach(edge).unwrap().heard_well);
        assert_eq!(AisReceivers::default().reach(near), None);
    }

    #[test]
    fn bad_stations_are_named() {
        assert!(station("ok", 35.0, 12.0, 30.0).problems().is_empty());
        let p = station("", 95.0, 12.0, 0.0).problems();
        assert_eq!(p.len(), 3, "{p:?}");
        assert!(p[2].contains("range_nm 0"), "{p:?}");
    }
}
