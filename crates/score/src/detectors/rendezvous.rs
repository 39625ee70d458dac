//! RENDEZVOUS: two vessels close together at low speed for minutes, away
//! from port: a mother ship meeting a boat, a transfer at sea.

use std::collections::{BTreeMap, HashMap};

use super::{inactive, is_service, pob, who, Context, Detector};
use crate::finding::{AlertKind, Finding, Severity, Subject};
use lookout_core::geodesy::{LatLon, MS_PER_KN};
use lookout_picture::{Removal, TrackId, Vessel};

/// The rendezvous detector: the pairs, and when each vessel's neighbours were last searched.
#[derive(Debug, Default)]
pub struct Rendezvous {
    /// Since when each close, slow pair has been together, ms (since, not
    /// slow or apart since): a radar track's speed and position are noisy,
    /// so a pair breaks only when one of them has been faster, or they have
    /// been apart, for `rendezvous_break_s`.
    pairs: Pairs,
    /// When each slow vessel's neighbours were last searched, ms.
    checked_ms: HashMap<TrackId, i64>,
}

impl Detector for Rendezvous {
    fn kind(&self) -> AlertKind {
        AlertKind::Rendezvous
    }

    fn vessel(&mut self, cx: &Context<'_>, v: &Vessel, out: &mut Vec<Finding>) {
        let (cfg, pic, baseline, now_ms) = (cx.cfg, cx.pic, cx.baseline, cx.now_ms);
        let Some(fix) = v.fix else { return };
        let max_kn = cfg.rendezvous_max_kn;
        // Slow by its reported (or filtered) speed alone.
        let reads_slow = |x: &Vessel| x.sog_kn.is_some_and(|s| f64::from(s) < max_kn);
        // A radar track's speed is an estimate from noisy plots: it is slow
        // when it could be below `max_kn` within two σ of its filter's speed
        // error (capped, so a track the filter knows little about does not
        // pass at any speed).
        let slow = |x: &Vessel| {
            let Some(sog) = x.sog_kn.map(f64::from) else {
                return false;
            };
            let sigma_kn = if x.mmsi == 0 {
                pic.track_speed_sigma_ms(x.track_id).map_or(0.0, |s| s / MS_PER_KN).min(RENDEZVOUS_MAX_SPEED_SIGMA_KN)
            } else {
                0.0
            };
            sog - 2.0 * sigma_kn < max_kn
        };
        let break_ms = (cfg.rendezvous_break_s * 1000.0) as i64;
        // Most reports come from vessels under way. One that is not slow can
        // start no pair, and a pair it is in breaks once it has been fast (or
        // apart) for `rendezvous_break_s`: no neighbour search is needed.
        // Service craft come alongside by trade (pilots board ships, tugs make
        // fast, patrol and rescue boats close the boats they inspect or
        // rescue): no meeting of theirs is a rendezvous.
        if !slow(v) || is_service(v) {
            self.pairs_apart(v.track_id, &[], fix.pos, now_ms, break_ms, out);
            return;
        }
        // "Away from port" needs to know where ports are: without a baseline
        // (learned rest areas) or a configured port or anchorage, every
        // harbour's moored ships would pair up by the hundred. Silent, as
        // loitering is without a baseline.
        if baseline.is_none() && !cfg.zones.has_rest_places() {
            return;
        }
        // A meeting lasts minutes (`rendezvous_min_s`, and the alert book
        // raises a minute after that): looking at one vessel's neighbours
        // more often than every `RENDEZVOUS_RECHECK_MS` learns nothing, and a
        // radar track updated every scan, or a slow ship reporting every
        // 10 s, would otherwise pay an R-tree search each time.
        if self.checked_ms.get(&v.track_id).is_some_and(|&t| now_ms - t < RENDEZVOUS_RECHECK_MS && now_ms >= t) {
            return;
        }
        self.checked_ms.insert(v.track_id, now_ms);
        // A radar track's position is uncertain by hundreds of metres at long
        // range: "close" allows for twice the pair's combined position σ
        // (filtered, capped); for a radar track beside an AIS vessel, twice
        // the sensor's plot error if larger. Alongside a ship a boat's track
        // is pushed off by a plot error or two: the boat's plots nearest the
        // ship gate with the ship and go to it, the track gets the far ones
        // (0.4-0.6 nm off at radar noise ×2, where the filtered σ is ~150 m
        // and the plot error ~400 m). Two radar tracks have no such push,
        // and the wider test would pair a boat's duplicate tracks.
        let track_sigma = |x: &Vessel| (x.mmsi == 0).then(|| pic.track_position_sigma_m(x.track_id, now_ms)).flatten();
        let sigma = |x: &Vessel| track_sigma(x).unwrap_or(0.0).min(RENDEZVOUS_MAX_SIGMA_M);
        let plot_sigma = |x: &Vessel| {
            track_sigma(x)
                .map_or(0.0, |s| s.max(pic.track_plot_error_m(x.track_id).unwrap_or(0.0)))
                .min(RENDEZVOUS_MAX_SIGMA_M)
        };
        // In a port or an anchorage, vessels lie together for honest reasons:
        // any pair this vessel was in has ended.
        if cx.at_rest(fix.pos) {
            for other in self.pairs.partners(v.track_id) {
                let key = (v.track_id.min(other), v.track_id.max(other));
                self.pairs.remove(key);
                out.push(inactive(AlertKind::Rendezvous, Subject::pair(key.0, key.1), fix.pos, now_ms));
            }
            return;
        }
        let (sigma_v, plot_sigma_v) = (sigma(v), plot_sigma(v));
        let fishing_v = cx.fishing_here(v, fix.pos);
        let max_m = cfg.rendezvous_max_m;
        let search_m = max_m + 2.0 * plot_sigma_v.hypot(RENDEZVOUS_MAX_SIGMA_M);
        let reach_m = |o: &Vessel| {
            max_m
                + 2.0
                    * match (v.mmsi == 0, o.mmsi == 0) {
                        (true, false) => plot_sigma_v,
                        (false, true) => plot_sigma(o),
                        _ => sigma_v.hypot(sigma(o)),
                    }
        };
        let mut partners: Vec<TrackId> = Vec::new();
        let near =
            pic.slow_near(fix.pos, search_m, max_kn + 2.0 * RENDEZVOUS_MAX_SPEED_SIGMA_KN, slow, now_ms, reach_m);
        let near = &near[..near.len().min(RENDEZVOUS_MAX_NEIGHBOURS)];
        // Two or more AIS fishing vessels here on a fishing ground: a pair
        // trawl (normal work). A radar track beside them is taken for their
        // echoes (and the net's between them), which a radar a plot error
        // wide cannot resolve from a third boat.
        let pair_trawl = near.iter().filter(|(x, _)| cx.fishing_here(x, fix.pos)).count() >= 2;
        for &(o, distance_m) in near {
            if o.track_id == v.track_id || is_service(o) {
                continue;
            }
            let key = (v.track_id.min(o.track_id), v.track_id.max(o.track_id));
            // A radar track beside an AIS vessel is another boat only if the
            // tracker saw the two as two in the last minute (each took a detection of
            // its own, the track's one no AIS vessel could claim): otherwise
            // it may be a split echo of the ship, or a track of two close
            // ships' echoes, pushed off as far as a boat alongside would be.
            if let Some((dark, ship)) = match (v.mmsi, o.mmsi) {
                (0, m) if m != 0 => Some((v, o)),
                (m, 0) if m != 0 => Some((o, v)),
                _ => None,
            } {
                if pair_trawl && cx.fishing_here(ship, fix.pos) {
                    continue;
                }
                if !pic.track_seen_apart_from(dark.track_id, ship.mmsi, now_ms) {
                    continue;
                }
            } else if !(reads_slow(v) && reads_slow(o)) {
                // The speed-error allowance is for a radar track beside an
                // AIS vessel, where the tracker's evidence of two boats
                // guards it; between two radar tracks (a boat's duplicate
                // tracks look like a meeting) both must read slow.
                continue;
            }
            partners.push(o.track_id);
            // Two fishing vessels on a fishing ground: pair trawling.
            if fishing_v && cx.fishing_here(o, fix.pos) {
                if self.pairs.remove(key) {
                    out.push(inactive(AlertKind::Rendezvous, Subject::pair(key.0, key.1), fix.pos, now_ms));
                }
                continue;
            }
            let since = self.pairs.together(key, now_ms);
            let together_s = (now_ms - since) as f64 / 1000.0;
            if together_s < cfg.rendezvous_min_s {
                continue;
            }
            let mut evidence = BTreeMap::new();
            evidence.insert("distance_m".into(), format!("{distance_m:.0}"));
            evidence.insert("together_min".into(), format!("{:.0}", together_s / 60.0));
            evidence.insert("other_track_id".into(), o.track_id.to_string());
            let dark = v.mmsi == 0 || o.mmsi == 0;
            out.push(Finding {
                kind: AlertKind::Rendezvous,
                subject: Subject::pair(key.0, key.1),
                active: true,
                score: together_s / cfg.rendezvous_min_s,
                severity: if dark { Severity::High } else { Severity::Medium },
                pos: fix.pos,
                time_ms: now_ms,
                track_id: Some(v.track_id),
                mmsi: (v.mmsi != 0).then_some(v.mmsi).or((o.mmsi != 0).then_some(o.mmsi)),
                persons_on_board: pob(v).or(pob(o)),
                motion: None,
                explanation: format!(
                    "{} and {} {distance_m:.0} m apart at low speed for {:.0} min away from port",
                    who(v),
                    who(o),
                    together_s / 60.0
                ),
                evidence,
            });
        }
        self.pairs_apart(v.track_id, &partners, fix.pos, now_ms, break_ms, out);
    }

    fn forget(&mut self, r: &Removal) {
        self.checked_ms.remove(&r.track_id);
        self.pairs.forget(r.track_id);
    }
}

impl Rendezvous {
    /// Pairs with `track` whose other vessel is not among `close` (slow and
    /// near it now) have been apart since now, or since earlier; after
    /// `break_ms` apart they have parted. Apart for a moment (a noisy radar
    /// plot, a speed blip) is not parted.
    fn pairs_apart(
        &mut self,
        track: TrackId,
        close: &[TrackId],
        pos: LatLon,
        now_ms: i64,
        break_ms: i64,
        out: &mut Vec<Finding>,
    ) {
        for other in self.pairs.partners(track) {
            if close.contains(&other) {
                continue;
            }
            let key = (track.min(other), track.max(other));
            if self.pairs.apart(key, now_ms) >= break_ms {
                self.pairs.remove(key);
                out.push(inactive(AlertKind::Rendezvous, Subject::pair(key.0, key.1), pos, now_ms));
            }
        }
    }
}

/// Close, slow pairs: since when each has been together, and since when it
/// has not been (one of them fast, or the two apart), if so; indexed by
/// track, so a report costs only its own vessel's pairs.
#[derive(Debug, Default)]
struct Pairs {
    since: BTreeMap<(TrackId, TrackId), (i64, Option<i64>)>,
    of: HashMap<TrackId, Vec<TrackId>>,
}

impl Pairs {
    /// The pair is close and slow now: since when it has been (ms).
    fn together(&mut self, key: (TrackId, TrackId), now_ms: i64) -> i64 {
        let entry = self.since.entry(key).or_insert_with(|| {
            self.of.entry(key.0).or_default().push(key.1);
            self.of.entry(key.1).or_default().push(key.0);
            (now_ms, None)
        });
        entry.1 = None;
        entry.0
    }

    /// The pair is not together now: for how long it has not been, ms.
    fn apart(&mut self, key: (TrackId, TrackId), now_ms: i64) -> i64 {
        self.since.get_mut(&key).map_or(0, |(_, apart)| now_ms - *apart.get_or_insert(now_ms))
    }

    /// Whether the pair was known.
    fn remove(&mut self, key: (TrackId, TrackId)) -> bool {
        if self.since.remove(&key).is_none() {
            return false;
        }
        for (a, b) in [(key.0, key.1), (key.1, key.0)] {
            if let Some(list) = self.of.get_mut(&a) {
                list.retain(|x| *x != b);
                if list.is_empty() {
                    self.of.remove(&a);
                }
            }
        }
        true
    }

    /// The tracks paired with `track`, in the order the pairs formed.
    fn partners(&self, track: TrackId) -> Vec<TrackId> {
        self.of.get(&track).cloned().unwrap_or_default()
    }

    /// Forgets a track that left the picture (its alert closes by the book's
    /// own timeout, as for any condition no longer reported).
    fn forget(&mut self, track: TrackId) {
        for other in self.partners(track) {
            self.remove((track.min(other), track.max(other)));
        }
    }
}

/// Nearest slow neighbours a rendezvous considers (itself included): in a
/// crowded anchorage nobody meets dozens of vessels at once, and without a
/// baseline or zones a port's moored ships must not make pairs by the hundred.
const RENDEZVOUS_MAX_NEIGHBOURS: usize = 16;

/// How often one slow vessel's neighbours are searched for a rendezvous, ms.
const RENDEZVOUS_RECHECK_MS: i64 = 30_000;

/// Largest radar-track position σ a rendezvous allows for, m.
const RENDEZVOUS_MAX_SIGMA_M: f64 = 500.0;

/// Largest radar-track speed σ a rendezvous allows for, kn: a track may read
/// up to twice this above `rendezvous_max_kn` and still count as slow.
const RENDEZVOUS_MAX_SPEED_SIGMA_KN: f64 = 1.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_is_together_since_it_first_met_and_parts_after_being_apart() {
        let mut p = Pairs::default();
        assert_eq!(p.together((1, 2), 1_000), 1_000);
        assert_eq!(p.together((1, 2), 5_000), 1_000, "still together since the first meeting");
        assert_eq!(p.partners(1), vec![2]);
        assert_eq!(p.partners(2), vec![1]);
        assert_eq!(p.apart((1, 2), 6_000), 0);
        assert_eq!(p.apart((1, 2), 9_000), 3_000, "apart since 6 s");
        // Together again: the time apart is forgotten, the meeting goes on.
        assert_eq!(p.together((1, 2), 10_000), 1_000);
        assert_eq!(p.apart((1, 2), 11_000), 0);
        assert!(p.remove((1, 2)));
        assert!(!p.remove((1, 2)));
        assert!(p.partners(1).is_empty() && p.of.is_empty());
    }

    #[test]
    fn forgetting_a_track_ends_all_its_pairs_and_only_those() {
        let mut p = Pairs::default();
        p.together((1, 2), 0);
        p.together((1, 3), 0);
        p.together((2, 3), 0);
        p.forget(1);
        assert!(p.partners(1).is_empty());
        assert_eq!(p.partners(2), vec![3]);
        assert_eq!(p.since.len(), 1);
        assert_eq!(p.apart((1, 2), 0), 0, "unknown pair");
    }
}
