//! DARK_TARGET: a radar or drone track that no AIS vessel explains, once it
//! has been tracked long enough not to be clutter strung together.

use std::collections::{BTreeMap, HashMap};

use super::{pob, position, Context, Detector};
use crate::finding::{AlertKind, Finding, Severity, Subject};
use lookout_picture::{Changes, NearQuery, Removal, RemovalReason, TrackId, Vessel, VesselFilter};

/// Radius searched for AIS vessels that could explain a dark track, m.
const DARK_TARGET_SEARCH_M: f64 = 5_000.0;

/// The dark target detector: when it first saw each dark track.
#[derive(Debug, Default)]
pub struct DarkTarget {
    first_ms: HashMap<TrackId, i64>,
}

impl Detector for DarkTarget {
    fn kind(&self) -> AlertKind {
        AlertKind::DarkTarget
    }

    fn vessel(&mut self, cx: &Context<'_>, v: &Vessel, out: &mut Vec<Finding>) {
        let (cfg, pic, now_ms) = (cx.cfg, cx.pic, cx.now_ms);
        if v.mmsi != 0 {
            return;
        }
        let Some(f) = v.fusion.as_ref() else { return };
        let hits: u32 = f.sensors.values().map(|s| s.hits).sum();
        let first_ms = *self.first_ms.entry(v.track_id).or_insert(now_ms);
        let age_s = (now_ms - first_ms) as f64 / 1000.0;
        let slow = v.sog_kn.is_none_or(|s| f64::from(s) < cfg.dark_target_slow_kn);
        let min_age_s = if slow { cfg.dark_target_slow_min_age_s } else { cfg.dark_target_min_age_s };
        let running_s = (now_ms - cx.started_ms) as f64 / 1000.0;
        // Where the tracker has mapped much clutter (rain cells, sea clutter
        // near a radar), clutter strung into a track is likelier: wait longer.
        let pos = position(v);
        let cluttered =
            f.sensors.keys().any(|s| pic.clutter_per_km2(s, pos, now_ms) >= cfg.dark_target_clutter_per_km2);
        let min_age_s = if cluttered { min_age_s.max(cfg.dark_target_clutter_min_age_s) } else { min_age_s };
        if age_s < min_age_s
            || running_s < cfg.dark_target_warmup_s
            || v.sog_kn.is_some_and(|s| f64::from(s) > cfg.dark_target_max_kn)
        {
            return;
        }
        // Nearest AIS vessel within the search radius, for the explanation (m).
        let mut nearest_ais_m: Option<f64> = None;
        if let Some(fix) = v.fix {
            let sigma_t = pic.track_position_sigma_m(v.track_id, now_ms).unwrap_or(0.0);
            let near = pic.near(&NearQuery {
                center: fix.pos,
                radius_m: DARK_TARGET_SEARCH_M,
                max_results: 16,
                filter: VesselFilter::default(),
                now_ms,
            });
            let ais_here = near.hits.iter().any(|h| {
                let o = &h.vessel;
                if o.mmsi == 0 {
                    return false;
                }
                let age_s = (now_ms - o.fix.map_or(now_ms, |f| f.at_ms)).max(0) as f64 / 1000.0;
                let sigma_a = 20.0 + o.static_data.length_m().map_or(25.0, |l| l / 2.0) + 0.5 * age_s;
                h.distance_m < cfg.dark_target_ais_clear_m.max(4.0 * sigma_t.hypot(sigma_a))
            });
            if ais_here {
                return;
            }
            nearest_ais_m = near.hits.iter().filter(|h| h.vessel.mmsi != 0).map(|h| h.distance_m).reduce(f64::min);
        }
        let sensors: Vec<&str> = f.sensors.keys().map(|s| &**s).collect();
        let mut evidence = BTreeMap::new();
        evidence.insert("sensors".into(), sensors.join(","));
        evidence.insert("hits".into(), hits.to_string());
        evidence.insert("tracked_min".into(), format!("{:.0}", age_s / 60.0));
        let ais_clause = match nearest_ais_m {
            Some(d) => {
                evidence.insert("nearest_ais_m".into(), format!("{d:.0}"));
                format!("nearest AIS vessel {:.1} km away", d / 1000.0)
            }
            None => format!("no AIS vessel within {:.0} km", DARK_TARGET_SEARCH_M / 1000.0),
        };
        let (sog, cog) = (v.sog_kn.unwrap_or(0.0), v.cog_deg.unwrap_or(0.0));
        out.push(Finding {
            kind: AlertKind::DarkTarget,
            subject: Subject::Track(v.track_id),
            active: true,
            score: f64::from(hits).ln_1p(),
            severity: if f.pob.as_ref().is_some_and(|p| p.estimate >= 20) { Severity::High } else { Severity::Medium },
            pos,
            time_ms: now_ms,
            track_id: Some(v.track_id),
            mmsi: None,
            persons_on_board: pob(v),
            motion: None,
            explanation: format!(
                "no AIS: {hits} detections by {} over {:.0} min, {ais_clause}, heading {cog:03.0}° at {sog:.1} kn",
                sensors.join(", "),
                age_s / 60.0
            ),
            evidence,
        });
    }

    fn forget(&mut self, r: &Removal) {
        self.first_ms.remove(&r.track_id);
    }

    /// A dark track that turns out to be an AIS vessel (a late AIS report)
    /// retracts its DARK_TARGET alert.
    fn retractions(&self, changes: &Changes) -> Vec<(AlertKind, Subject, String)> {
        changes
            .removed
            .iter()
            .filter(|r| r.reason == RemovalReason::Merged)
            .map(|r| {
                (AlertKind::DarkTarget, Subject::Track(r.track_id), "the track is an AIS vessel (merged)".to_string())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Sea, HERE};
    use super::*;
    use crate::detectors::ScoreConfig;

    #[test]
    fn an_ais_vessel_is_never_a_dark_target() {
        let mut sea = Sea::new(ScoreConfig::default());
        sea.report(0, 247_000_001, HERE, 10.0, 90.0);
        let mut d = DarkTarget::default();
        let mut out = Vec::new();
        d.vessel(&sea.cx(None, 3_600_000, 0), sea.vessel(247_000_001), &mut out);
        assert!(out.is_empty(), "{out:?}");
        assert!(d.first_ms.is_empty(), "no memory kept of AIS vessels");
    }

    #[test]
    fn only_a_merged_track_retracts_its_alert() {
        let d = DarkTarget::default();
        let removed = |reason| Changes {
            removed: vec![Removal { mmsi: 0, track_id: 1_000_000_000_001, reason }],
            ..Changes::default()
        };
        assert!(d.retractions(&removed(RemovalReason::TrackDeleted)).is_empty());
        let r = d.retractions(&removed(RemovalReason::Merged));
        assert_eq!(r, vec![(AlertKind::DarkTarget, Subject::Track(1_000_000_000_001), r[0].2.clone())]);
    }
}
