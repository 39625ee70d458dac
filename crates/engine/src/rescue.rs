//! The rescue side of the engine: what the alert book cannot judge alone
//! because it needs the picture's tracks.
//!
//! - **One boat, one alert** while both tracks are live: pairs of non-AIS
//!   tracks carrying (or about to carry) rescue alerts are judged by
//!   [`SameBoatJudge`]; once judged one boat, their alerts merge
//!   ([`AlertBook::merge_same_boat`]). A distress finding that would open a
//!   second rescue alert within the tracker's gate of an open one is held
//!   while the evidence decides, at most [`SAME_BOAT_HOLD_MS`].
//! - **A radar-only track inside a lost contact's datum**: a new track with
//!   no count and no alert of its own, moving as the datum drifts, resumes
//!   the alert when it is the only such track there
//!   ([`AlertBook::regain_on_track`]); with two or more, nothing is guessed.

use std::collections::BTreeMap;

use lookout_alert::same_boat::{velocity_difference_kn, SameBoatJudge, TrackLook, Verdict, SAME_BOAT_AFTER_MS};
use lookout_alert::{AlertBook, AlertChange, Finding, Motion, Subject};
use lookout_core::geodesy::{LatLon, MS_PER_KN};
use lookout_picture::{Picture, FIRST_DARK_TRACK_ID};

/// Longest a distress finding is held back while the judge decides whether
/// its track is the boat an open rescue alert already follows, ms: the
/// judge's minute plus half a minute of scans. Undecided after that, the
/// second alert opens (a duplicate costs a coordinator a look; a boat
/// without an alert could cost lives).
pub const SAME_BOAT_HOLD_MS: i64 = SAME_BOAT_AFTER_MS + 30_000;

/// A track's velocity within this of the datum's drift always counts as
/// moving with it, knots: a fresh radar track's velocity is noisy, and a
/// boat adrift may have restarted its engine at low speed.
pub const REGAIN_MOTION_FLOOR_KN: f64 = 3.0;

/// Judges and remembers what the book needs of the picture.
#[derive(Debug)]
pub(crate) struct Rescue {
    judge: SameBoatJudge,
    /// Tracks whose distress findings are held: when the first was, ms.
    held: BTreeMap<u64, i64>,
    /// Each CONTACT_LOST alert: the highest non-AIS track id in the picture
    /// when contact was lost. Only a track started after it is "new".
    lost_floor: BTreeMap<u64, u64>,
}

impl Rescue {
    /// `gate_d2`: the tracker's gate on the squared Mahalanobis distance.
    pub(crate) fn new(gate_d2: f64) -> Self {
        Self { judge: SameBoatJudge::new(gate_d2), held: BTreeMap::new(), lost_floor: BTreeMap::new() }
    }

    /// Drops from `findings` the distress findings held while the judge
    /// decides, merging tracks it has judged one boat first (so a finding on
    /// such a track updates the alert already open). Returns the changes made.
    pub(crate) fn screen(
        &mut self,
        findings: &mut Vec<Finding>,
        pic: &Picture,
        book: &mut AlertBook,
        now_ms: i64,
    ) -> Vec<AlertChange> {
        let mut out = Vec::new();
        let mut keep = Vec::with_capacity(findings.len());
        for f in findings.drain(..) {
            let held = match f.subject {
                Subject::Track(b)
                    if f.active && f.kind.is_distress() && book.live_alert(f.kind, &f.subject).is_none() =>
                {
                    self.hold(b, pic, book, now_ms, &mut out)
                }
                _ => false,
            };
            if !held {
                keep.push(f);
            }
        }
        *findings = keep;
        out
    }

    /// Whether a distress finding on track `b`, which has no alert, is held.
    fn hold(&mut self, b: u64, pic: &Picture, book: &mut AlertBook, now_ms: i64, out: &mut Vec<AlertChange>) -> bool {
        let Some(lb) = look(pic, b, now_ms) else { return false };
        for (_, a) in book.rescue_tracks_in_contact() {
            let Some(la) = look(pic, a, now_ms).filter(|la| a != b && self.judge.within_gate(la, &lb).is_some()) else {
                continue;
            };
            match self.judge.judge(&la, &lb, now_ms) {
                Verdict::Same(why) => {
                    self.held.remove(&b);
                    out.extend(book.merge_same_boat(a, b, &why, now_ms));
                    return false;
                }
                Verdict::Apart(_) => continue,
                Verdict::Undecided => {
                    let since = *self.held.entry(b).or_insert(now_ms);
                    if now_ms - since < SAME_BOAT_HOLD_MS {
                        return true;
                    }
                }
            }
        }
        false
    }

    /// After the findings: adds this step's evidence on pairs of rescue
    /// tracks (merging alerts judged one boat), keeps alerts that follow a
    /// radar-only track in contact, and resumes lost contacts on the only
    /// plausible new track inside their datum.
    pub(crate) fn step(&mut self, pic: &Picture, book: &mut AlertBook, now_ms: i64) -> Vec<AlertChange> {
        let mut out = Vec::new();
        self.judge.retain_tracks(|t| pic.get_entity(t).is_some());
        self.held.retain(|&t, since| pic.get_entity(t).is_some() && now_ms - *since < SAME_BOAT_HOLD_MS);

        // Pairs: every two tracks with rescue alerts in contact, and each held
        // track against each of them.
        let tracks = book.rescue_tracks_in_contact();
        let mut pairs: Vec<(u64, u64)> = Vec::new();
        for (i, &(_, a)) in tracks.iter().enumerate() {
            pairs.extend(tracks[i + 1..].iter().map(|&(_, b)| (a, b)));
            pairs.extend(self.held.keys().map(|&b| (a, b)));
        }
        for (a, b) in pairs {
            if a == b {
                continue;
            }
            let (Some(la), Some(lb)) = (look(pic, a, now_ms), look(pic, b, now_ms)) else { continue };
            if let Verdict::Same(why) = self.judge.judge(&la, &lb, now_ms) {
                self.held.remove(&b);
                out.extend(book.merge_same_boat(a, b, &why, now_ms));
            }
        }

        for t in book.sighting_only_tracks() {
            if let Some((v, fix)) = pic.get_entity(t).and_then(|v| Some((v, v.fix?))) {
                book.sighted(t, fix.pos, fix.at_ms, motion_of(v));
            }
        }

        let lost = book.lost_contacts();
        let ids: Vec<u64> = lost.iter().map(|(id, _)| *id).collect();
        self.lost_floor.retain(|id, _| ids.contains(id));
        let newest_track = pic.dark_tracks().map(|v| v.track_id).max().unwrap_or(FIRST_DARK_TRACK_ID);
        let mut regains = Vec::new();
        for (id, c) in lost {
            let floor = *self.lost_floor.entry(id).or_insert(newest_track);
            let drift = c.motion.or(c.drift).unwrap_or(Motion { cog_deg: 0.0, sog_kn: 0.0 });
            let mut found = Vec::new();
            for v in pic.dark_tracks() {
                let Some(fix) = v.fix else { continue };
                // New since the loss, unidentified, no count (a count would have
                // its own finding), no alert of its own.
                let counted = v.fusion.as_ref().is_some_and(|f| !f.counts.is_empty());
                if v.track_id <= floor || v.mmsi != 0 || counted || book.track_has_alert(v.track_id) {
                    continue;
                }
                if !c.contains(fix.pos, fix.at_ms) {
                    continue;
                }
                let Some(m) = motion_of(v) else { continue };
                let sigma_kn = pic.track_speed_sigma_ms(v.track_id).unwrap_or(0.0) / MS_PER_KN;
                let off_kn = velocity_difference_kn(m, drift);
                if off_kn <= REGAIN_MOTION_FLOOR_KN.max(3.0 * sigma_kn) {
                    found.push((v.track_id, fix.pos, fix.at_ms, m, off_kn));
                }
            }
            // Two or more: which one is the boat is a guess; the datum stands.
            if let [(track, pos, at_ms, m, off_kn)] = found[..] {
                let d = c.datum_at(at_ms);
                let why = format!(
                    "contact regained: radar-only track {track} (no count) inside the datum, {:.1} nm from its centre \
                     (radius {:.1} nm), {:.0} min after the last sighting, moving {:03.0}° {:.1} kn, {:.1} kn off the \
                     datum's drift {:03.0}° {:.1} kn; the only new unidentified track inside it",
                    c.distance_from_datum_nm(pos, at_ms),
                    d.radius_nm,
                    (at_ms - c.last_seen_ms) as f64 / 60_000.0,
                    m.cog_deg,
                    m.sog_kn,
                    off_kn,
                    drift.cog_deg,
                    drift.sog_kn,
                );
                regains.push((id, track, pos, at_ms, m, why));
            }
        }
        for (id, track, pos, at_ms, m, why) in regains {
            out.extend(book.regain_on_track(id, track, pos, at_ms, Some(m), why));
        }
        out
    }
}

/// A track's course and speed, when it has both.
fn motion_of(v: &lookout_picture::Vessel) -> Option<Motion> {
    Some(Motion { cog_deg: f64::from(v.cog_deg?), sog_kn: f64::from(v.sog_kn?) })
}

/// What the judge needs of non-AIS track `t` as of `now_ms`; `None` for an
/// AIS vessel or a track the picture no longer holds.
fn look(pic: &Picture, t: u64, now_ms: i64) -> Option<TrackLook> {
    let v = pic.get_entity(t).filter(|_| t >= FIRST_DARK_TRACK_ID)?;
    let pos: LatLon = v.position_at(now_ms, pic.dead_reckon_max_s())?;
    Some(TrackLook {
        track_id: t,
        pos,
        sigma_m: pic.track_position_sigma_m(t, now_ms)?,
        motion: motion_of(v),
        speed_sigma_kn: pic.track_speed_sigma_ms(t).unwrap_or(0.0) / MS_PER_KN,
        sensors: v
            .fusion
            .as_ref()
            .map(|f| f.sensors.iter().map(|(s, seen)| (s.to_string(), seen.last_ms)).collect())
            .unwrap_or_default(),
        ais: v.mmsi != 0,
    })
}
