//! The R-tree of current positions.
//!
//! Moving a point in an R-tree is a remove plus an insert, about 2 µs at
//! 200,000 entries — more than the whole budget of an ingest at 500,000
//! reports/s. A ship at 15 kn reporting every 6–10 s moves only 45–80 m
//! between reports, so the tree keeps each vessel at the position where it
//! was last *indexed* and moves it only once it has drifted more than
//! [`REINDEX_DISTANCE_M`]. Queries widen their search by that distance and
//! then test the vessel's true position, so results stay exact.

use ahash::AHashMap;
use rstar::primitives::GeomWithData;
use rstar::{RTree, AABB};

use super::area::Envelope;
use lookout_core::geodesy::{flat, LatLon};

/// How far (metres) a vessel may drift from its indexed point before the
/// R-tree entry is moved. Queries widen their search by this much.
pub const REINDEX_DISTANCE_M: f64 = 250.0;

/// Key of an indexed entity: an MMSI for AIS vessels, a track id (≥
/// [`crate::FIRST_DARK_TRACK_ID`]) for non-AIS tracks.
pub type EntityKey = u64;

type Entry = GeomWithData<[f64; 2], EntityKey>;

/// Positions (lon, lat in degrees) keyed by entity.
#[derive(Default)]
pub struct PositionIndex {
    tree: RTree<Entry>,
    indexed_at: AHashMap<EntityKey, [f64; 2]>,
}

impl PositionIndex {
    /// Records entity `mmsi` at `pos`, moving its tree entry only if it drifted far.
    pub fn update(&mut self, mmsi: EntityKey, pos: LatLon) {
        let p = [pos.lon_deg, pos.lat_deg];
        match self.indexed_at.get_mut(&mmsi) {
            Some(old) => {
                // A flat-earth drift is close enough: the queries' box errs wide.
                if flat::distance_m(LatLon::new(old[1], old[0]), pos) <= REINDEX_DISTANCE_M * 0.99 {
                    return;
                }
                self.tree.remove(&Entry::new(*old, mmsi));
                self.tree.insert(Entry::new(p, mmsi));
                *old = p;
            }
            None => {
                self.tree.insert(Entry::new(p, mmsi));
                self.indexed_at.insert(mmsi, p);
            }
        }
    }

    pub fn remove(&mut self, mmsi: EntityKey) {
        if let Some(old) = self.indexed_at.remove(&mmsi) {
            self.tree.remove(&Entry::new(old, mmsi));
        }
    }

    pub fn len(&self) -> usize {
        self.tree.size()
    }

    /// MMSIs whose true position may lie in `env`: the envelope is widened by
    /// the re-index distance, so callers must test the true position.
    pub fn in_envelope(&self, (lo, hi): Envelope) -> Vec<EntityKey> {
        let (dlat, dlon) = flat::half_widths_deg(REINDEX_DISTANCE_M, lo[1].abs().max(hi[1].abs()));
        let aabb = AABB::from_corners([lo[0] - dlon, lo[1] - dlat], [hi[0] + dlon, hi[1] + dlat]);
        self.tree.locate_in_envelope(&aabb).map(|e| e.data).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_moves_do_not_touch_the_tree_but_queries_still_find_the_vessel() {
        let mut idx = PositionIndex::default();
        idx.update(7, LatLon::new(35.0, 12.0));
        // 100 m east: not re-indexed.
        idx.update(7, LatLon::new(35.0, 12.0 + 100.0 / (flat::M_PER_DEG * 35f64.to_radians().cos())));
        assert_eq!(idx.indexed_at[&7], [12.0, 35.0]);
        // A query box that holds only the true position still returns it.
        let found = idx.in_envelope(([12.0005, 34.99], [12.01, 35.01]));
        assert_eq!(found, vec![7]);
        // 1 km: re-indexed.
        idx.update(7, LatLon::new(35.01, 12.0));
        assert_eq!(idx.indexed_at[&7], [12.0, 35.01]);
        assert_eq!(idx.len(), 1);
        idx.remove(7);
        assert_eq!(idx.len(), 0);
    }
}
