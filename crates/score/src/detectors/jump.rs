//! POSITION_JUMP: an MMSI whose positions imply a speed no vessel reaches
//! (the picture finds the jumps; see [`lookout_picture::Jump`]).

use std::collections::BTreeMap;

use super::{Context, Detector};
use crate::finding::{AlertKind, Finding, Severity, Subject};
use lookout_core::geodesy::M_PER_NM;
use lookout_picture::{Changes, Vessel};

/// The latest jump finding per MMSI, repeated while it holds.
#[derive(Debug, Default)]
pub struct PositionJump {
    latest: BTreeMap<u32, Finding>,
}

impl Detector for PositionJump {
    fn kind(&self) -> AlertKind {
        AlertKind::PositionJump
    }

    fn batch(&mut self, cx: &Context<'_>, changes: &Changes, out: &mut Vec<Finding>) {
        for j in &changes.jumps {
            let mut evidence = BTreeMap::new();
            evidence.insert("from".into(), format!("{:.5},{:.5}", j.from.lat_deg, j.from.lon_deg));
            evidence.insert("to".into(), format!("{:.5},{:.5}", j.to.lat_deg, j.to.lon_deg));
            evidence.insert("implied_speed_kn".into(), format!("{:.0}", j.implied_kn));
            evidence.insert("interval_s".into(), format!("{:.0}", j.dt_s));
            let finding = Finding {
                kind: AlertKind::PositionJump,
                subject: Subject::Mmsi(j.mmsi),
                active: true,
                score: j.implied_kn / lookout_picture::JUMP_SPEED_KN,
                severity: Severity::Medium,
                pos: j.to,
                time_ms: j.at_ms,
                track_id: Some(j.track_id),
                mmsi: Some(j.mmsi),
                persons_on_board: None,
                motion: None,
                explanation: format!(
                    "MMSI {} moved {:.1} nm in {:.0} s ({:.0} kn): shared, false or spoofed identity, or a false position",
                    j.mmsi,
                    j.distance_m / M_PER_NM,
                    j.dt_s,
                    j.implied_kn
                ),
                evidence,
            };
            self.latest.insert(j.mmsi, finding.clone());
            out.push(finding);
        }
        // A jump is an event; the condition it shows (this identity's
        // positions cannot all be true) holds for `jump_hold_s` after it, so
        // the alert book's hysteresis sees it held, also for a position that
        // was off for only a few reports (out and back within a minute).
        let hold_ms = (cx.cfg.jump_hold_s * 1000.0) as i64;
        self.latest.retain(|_, f| cx.now_ms - f.time_ms <= hold_ms);
    }

    fn vessel(&mut self, cx: &Context<'_>, v: &Vessel, out: &mut Vec<Finding>) {
        if let Some(f) = self.latest.get(&v.mmsi).filter(|f| f.time_ms < cx.now_ms && v.mmsi != 0) {
            out.push(Finding { time_ms: cx.now_ms, ..f.clone() });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Sea, HERE};
    use super::*;
    use crate::detectors::ScoreConfig;
    use lookout_core::geodesy::destination;

    #[test]
    fn a_jump_is_reported_then_held_for_jump_hold_s_then_dropped() {
        let mut sea = Sea::new(ScoreConfig::default());
        let m = 247_000_001;
        sea.report(0, m, HERE, 10.0, 90.0);
        // 20 nm in 10 s.
        sea.report(10_000, m, destination(HERE, 90.0, 20.0 * M_PER_NM), 10.0, 90.0);
        let changes = sea.pic.apply_batch(&[], 10_000);
        assert_eq!(changes.jumps.len(), 1, "the picture saw the jump");
        let mut d = PositionJump::default();
        let mut out = Vec::new();
        d.batch(&sea.cx(None, 10_000, 0), &changes, &mut out);
        assert_eq!(out.len(), 1);
        assert!(out[0].explanation.contains("moved 20.0 nm in 10 s"), "{}", out[0].explanation);
        // Repeated (at the new time) while it holds, for the same MMSI only.
        let mut later = Vec::new();
        d.vessel(&sea.cx(None, 60_000, 0), sea.vessel(m), &mut later);
        assert_eq!(later.len(), 1);
        assert_eq!(later[0].time_ms, 60_000);
        // After the hold (300 s by default) it is no longer repeated.
        let t = 10_000 + 301_000;
        d.batch(&sea.cx(None, t, 0), &Changes::default(), &mut Vec::new());
        let mut none = Vec::new();
        d.vessel(&sea.cx(None, t, 0), sea.vessel(m), &mut none);
        assert!(none.is_empty(), "{none:?}");
    }
}
