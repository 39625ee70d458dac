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
///
/// AIS vessels and non-AIS tracks are in two trees. The fusion asks for the AIS
/// vessels around every detection, and under a flood of unknown contacts the tracks
/// outnumber them: in `cargo bench --bench wire`'s detection flood the tracks were six
/// times the AIS vessels near each detection, and walking past them in one tree took 43 %
/// of the engine's time (a `perf` profile of the service).
#[derive(Default)]
pub struct PositionIndex {
    ais: RTree<Entry>,
    tracks: RTree<Entry>,
    indexed_at: AHashMap<EntityKey, [f64; 2]>,
}

impl PositionIndex {
    fn tree_mut(&mut self, key: EntityKey) -> &mut RTree<Entry> {
        if key >= crate::FIRST_DARK_TRACK_ID {
            &mut self.tracks
        } else {
            &mut self.ais
        }
    }

    /// Records entity `mmsi` at `pos`, moving its tree entry only if it drifted far.
    pub fn update(&mut self, mmsi: EntityKey, pos: LatLon) {
        let p = [pos.lon_deg, pos.lat_deg];
        match self.indexed_at.get_mut(&mmsi) {
            Some(old) => {
                // A flat-earth drift is close enough: the queries' box errs wide.
                if flat::distance_m(LatLon::new(old[1], old[0]), pos) <= REINDEX_DISTANCE_M * 0.99 {
                    return;
                }
                let old_p = std::mem::replace(old, p);
                let tree = self.tree_mut(mmsi);
                tree.remove(&Entry::new(old_p, mmsi));
                tree.insert(Entry::new(p, mmsi));
            }
            None => {
                self.tree_mut(mmsi).insert(Entry::new(p, mmsi));
                self.indexed_at.insert(mmsi, p);
            }
        }
    }

    pub fn remove(&mut self, mmsi: EntityKey) {
        if let Some(old) = self.indexed_at.remove(&mmsi) {
            self.tree_mut(mmsi).remove(&Entry::new(old, mmsi));
        }
    }

    pub fn len(&self) -> usize {
        self.ais.size() + self.tracks.size()
    }

    /// Entities (AIS vessels and tracks, unordered) whose true position may lie in `env`:
    /// the envelope is widened by the re-index distance, so callers must test the true
    /// position.
    pub fn in_envelope(&self, env: Envelope) -> Vec<EntityKey> {
        let aabb = widened(env);
        self.ais.locate_in_envelope(&aabb).chain(self.tracks.locate_in_envelope(&aabb)).map(|e| e.data).collect()
    }

    /// As [`PositionIndex::in_envelope`], AIS vessels only (MMSIs, unordered).
    pub fn ais_in_envelope(&self, env: Envelope) -> Vec<EntityKey> {
        self.ais.locate_in_envelope(&widened(env)).map(|e| e.data).collect()
    }
}

/// `env` widened by the re-index distance: an entity is indexed up to that far from
/// where it is.
fn widened((lo, hi): Envelope) -> AABB<[f64; 2]> {
    let (dlat, dlon) = flat::half_widths_deg(REINDEX_DISTANCE_M, lo[1].abs().max(hi[1].abs()));
    AABB::from_corners([lo[0] - dlon, lo[1] - dlat], [hi[0] + dlon, hi[1] + dlat])
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

    #[test]
    fn tracks_and_ais_vessels_are_found_together_or_ais_alone() {
        let mut idx = PositionIndex::default();
        let track = crate::FIRST_DARK_TRACK_ID + 3;
        idx.update(7, LatLon::new(35.0, 12.0));
        idx.update(track, LatLon::new(35.001, 12.001));
        let env = ([11.99, 34.99], [12.01, 35.01]);
        let mut all = idx.in_envelope(env);
        all.sort_unstable();
        assert_eq!(all, vec![7, track]);
        assert_eq!(idx.ais_in_envelope(env), vec![7]);
        // A track moves and leaves within its own tree.
        idx.update(track, LatLon::new(35.5, 12.0));
        assert_eq!(idx.in_envelope(env), vec![7]);
        idx.remove(track);
        assert_eq!(idx.len(), 1);
    }
}
