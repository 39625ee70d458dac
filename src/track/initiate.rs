//! Initiator (Stone Soup's `MultiMeasurementInitiator` reduced to its logic):
//! unassociated detections start Tentative tracks, which are confirmed by an
//! M-of-N rule over the *opportunities* they had: the scans, from the
//! creating scan on, of the sensors that have seen the track, counting only
//! scans whose extent (the box around the scan's detections, widened by
//! `scan_extent_margin_m`) contains the track — a radar reporting its rotation
//! sector by sector gives one opportunity per rotation, not one per sector. A track that
//! has used its N opportunities without M hits is dropped, so clutter (which
//! rarely falls in the same growing gate twice more) dies within N scans.
//! Sensor kinds whose single look is an identification confirm on one hit.

use crate::detect::SensorKind;

/// What to do with a tentative track after a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Confirm,
    /// Out of opportunities: delete.
    Fail,
    Wait,
}

pub trait Initiator: Send + Sync {
    /// True when a hit by this sensor kind confirms a track at once.
    fn confirms_immediately(&self, kind: SensorKind) -> bool;
    /// Decision for a tentative track with `hits` hits in `opportunities` scans.
    fn decide(&self, hits: u32, opportunities: u32) -> Decision;
}

/// M hits within the first N opportunities.
#[derive(Debug, Clone)]
pub struct MOfN {
    pub m: u32,
    pub n: u32,
    pub immediate: Vec<SensorKind>,
}

impl Initiator for MOfN {
    fn confirms_immediately(&self, kind: SensorKind) -> bool {
        self.immediate.contains(&kind)
    }

    fn decide(&self, hits: u32, opportunities: u32) -> Decision {
        if hits >= self.m {
            Decision::Confirm
        } else if opportunities >= self.n || hits + (self.n - opportunities.min(self.n)) < self.m {
            // Out of scans, or too few left to reach M.
            Decision::Fail
        } else {
            Decision::Wait
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_of_five() {
        let r = MOfN { m: 3, n: 5, immediate: vec![] };
        assert_eq!(r.decide(1, 1), Decision::Wait);
        assert_eq!(r.decide(3, 3), Decision::Confirm);
        assert_eq!(r.decide(3, 5), Decision::Confirm);
        assert_eq!(r.decide(1, 4), Decision::Fail); // needs 2 more in 1 scan
        assert_eq!(r.decide(2, 5), Decision::Fail);
        assert_eq!(r.decide(2, 4), Decision::Wait);
    }
}
