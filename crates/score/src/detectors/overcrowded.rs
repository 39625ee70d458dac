//! OVERCROWDED: more people on board than the boat's safe capacity, a
//! distress risk. Reported on every change while the estimate exists, with
//! `active` saying whether the boat is overcrowded now.

use std::collections::BTreeMap;

use super::{motion, pob, position, traffic_class, Context, Detector};
use crate::baseline::TrafficClass;
use crate::finding::{AlertKind, Finding, Severity, Subject};
use lookout_picture::Vessel;

/// The overcrowding detector (no memory: the fusion's persons-on-board estimate carries it).
#[derive(Debug, Default)]
pub struct Overcrowded;

impl Detector for Overcrowded {
    fn kind(&self) -> AlertKind {
        AlertKind::Overcrowded
    }

    fn vessel(&mut self, cx: &Context<'_>, v: &Vessel, out: &mut Vec<Finding>) {
        if let Some(f) = finding(v, cx.now_ms) {
            out.push(f);
        }
    }
}

fn finding(v: &Vessel, now_ms: i64) -> Option<Finding> {
    let f = v.fusion.as_ref()?;
    let p = f.pob.as_ref()?;
    let cap = p.safe_capacity?;
    // An AIS vessel: only people actually counted on it, not a class prior
    // from a sensor calling it a rubber or wooden boat (likely another boat's
    // look credited to it), and not a rescue, pilot or patrol vessel (people
    // on a SAR boat have been rescued).
    if v.mmsi != 0 && (f.counts.is_empty() || traffic_class(v) == TrafficClass::Service) {
        return None;
    }
    let mut evidence = BTreeMap::new();
    evidence.insert("safe_capacity".into(), cap.to_string());
    evidence.insert("p_overcrowded".into(), format!("{:.2}", p.p_overcrowded.unwrap_or(0.0)));
    Some(Finding {
        kind: AlertKind::Overcrowded,
        subject: Subject::Track(v.track_id),
        active: p.overcrowded,
        score: f64::from(p.estimate) / f64::from(cap.max(1)),
        severity: Severity::Critical,
        pos: position(v),
        time_ms: now_ms,
        track_id: Some(v.track_id),
        mmsi: (v.mmsi != 0).then_some(v.mmsi),
        persons_on_board: pob(v),
        motion: motion(v),
        explanation: if p.looks > 0 {
            format!(
                "about {} people on board ({}-{}, {} look{}), safe capacity {cap}: distress risk",
                p.estimate,
                p.low,
                p.high,
                p.looks,
                if p.looks == 1 { "" } else { "s" }
            )
        } else {
            format!(
                "~{} people on board by the class and length prior only ({}-{}, nobody has counted), \
                 safe capacity {cap}: distress risk",
                p.estimate, p.low, p.high
            )
        },
        evidence,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Sea, HERE};
    use super::*;
    use crate::detectors::ScoreConfig;
    use lookout_core::VesselClass;
    use lookout_picture::Fusion;
    use lookout_track::pob::{estimate, CountLook};

    /// A 10 m rubber boat seen by radar and counted by a drone: `count` people, confidence 0.95.
    fn counted_boat(sea: &mut Sea, count: u32) -> Vessel {
        sea.report(0, 247_000_001, HERE, 4.0, 90.0);
        let mut v = sea.vessel(247_000_001).clone();
        v.mmsi = 0;
        let pob = estimate(Some(VesselClass::RubberBoat), Some(10.0), &[CountLook { count, confidence: 0.95 }]);
        v.fusion = Some(
            Fusion { vessel_class: Some(VesselClass::RubberBoat), length_m: Some(10.0), pob, ..Fusion::default() }
                .into(),
        );
        v
    }

    #[test]
    fn a_counted_boat_over_its_safe_capacity_is_overcrowded_and_one_under_is_not() {
        let mut sea = Sea::new(ScoreConfig::default());
        let full = finding(&counted_boat(&mut sea, 80), 0).expect("a boat with an estimate and a capacity");
        assert!(full.active && full.severity == Severity::Critical, "{full:?}");
        assert!(full.explanation.contains("people on board"), "{}", full.explanation);
        let light = finding(&counted_boat(&mut sea, 3), 0).expect("reported, inactive");
        assert!(!light.active, "{light:?}");
    }

    #[test]
    fn an_ais_vessel_nobody_counted_is_never_overcrowded() {
        let mut sea = Sea::new(ScoreConfig::default());
        let mut v = counted_boat(&mut sea, 80);
        v.mmsi = 247_000_001;
        assert_eq!(finding(&v, 0), None, "a class prior alone says nothing of an AIS vessel");
        let mut out = Vec::new();
        Overcrowded.vessel(&sea.cx(None, 0, 0), sea.vessel(247_000_001), &mut out);
        assert!(out.is_empty(), "{out:?}");
    }
}
