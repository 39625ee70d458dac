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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use lookout_ais::{Observation, Payload};
    use lookout_alert::{Alert, AlertState};
    use lookout_core::geodesy::{dead_reckon, LatLon};
    use lookout_core::{Detection, SensorKind, VesselClass};

    use crate::{Engine, EngineConfig};

    const T0: i64 = 1_780_272_000_000;

    /// One detection at `t_s` seconds: a drone look (a rubber boat, counting
    /// `persons` if given) when `sensor` is a drone, else a radar plot (no class).
    fn det(sensor: &str, t_s: f64, pos: LatLon, persons: Option<u32>) -> Observation {
        let drone = sensor.starts_with("drone");
        let time_ms = T0 + (t_s * 1000.0) as i64;
        Observation {
            source: 1,
            at_ms: time_ms,
            payload: Payload::Detection(Box::new(Detection {
                time_ms,
                sensor_id: Arc::from(sensor),
                sensor_kind: if drone { SensorKind::Drone } else { SensorKind::Radar },
                pos,
                position_error_m: if drone { 25.0 } else { 30.0 },
                course_deg: None,
                speed_kn: None,
                length_m: drone.then_some(10.0),
                vessel_class: drone.then_some(VesselClass::RubberBoat),
                persons_counted: persons,
                count_confidence: persons.map(|_| 0.9),
                detection_id: Some(Arc::from(format!("{sensor}-{time_ms}-{:.5}", pos.lat_deg).as_str())),
                image_ref: None,
            })),
        }
    }

    /// Drives `engine` second by second from `from_s` to `to_s`, applying the
    /// observations `at(t_s)` gives, and returns every alert version published.
    fn run(engine: &mut Engine, from_s: i64, to_s: i64, at: impl Fn(i64) -> Vec<Observation>) -> Vec<Alert> {
        let mut out = Vec::new();
        for s in from_s..=to_s {
            let batch = at(s);
            let step = if batch.is_empty() { engine.tick(T0 + s * 1000) } else { engine.apply(&batch, T0 + s * 1000) };
            out.extend(step.alerts.into_iter().map(|c| c.alert));
        }
        out
    }

    /// A boat drifting east at 1 kn from 35.3 N 12.5 E, at `t_s`.
    fn boat(t_s: i64) -> LatLon {
        dead_reckon(LatLon::new(35.3, 12.5), 90.0, 1.0, t_s as f64)
    }

    /// An overcrowded boat watched by a drone for five minutes, then out of sight:
    /// its alert is CONTACT_LOST by `t = 600 s`. Returns the engine and the alert id.
    fn lost_boat() -> (Engine, u64) {
        let mut e = Engine::new(EngineConfig::default(), None);
        let looks = run(&mut e, 0, 600, |s| {
            if s <= 300 && s % 10 == 0 {
                vec![det("drone-1", s as f64, boat(s), Some(70))]
            } else {
                Vec::new()
            }
        });
        let rescue: Vec<&Alert> = looks.iter().filter(|a| a.rescue).collect();
        let id = rescue.first().expect("a rescue alert opened").alert_id;
        let last = rescue.last().unwrap();
        assert_eq!((last.alert_id, last.state), (id, AlertState::ContactLost), "{rescue:#?}");
        (e, id)
    }

    /// Radar plots every 4 s from `from_s` of each boat in `boats` (position at `t_s`).
    fn radar(s: i64, from_s: i64, boats: &[fn(i64) -> LatLon]) -> Vec<Observation> {
        if s < from_s || s % 4 != 0 {
            return Vec::new();
        }
        boats.iter().map(|b| det("radar-lampedusa", s as f64, b(s), None)).collect()
    }

    /// Issue 18: the boat comes back into a radar's cover inside its datum. Its new
    /// radar-only track (no count, no alert, moving as the datum drifts, the only one
    /// there) resumes the alert, which says so; the radar's plots then keep it in
    /// contact, with the drone's count kept.
    #[test]
    fn a_radar_only_track_alone_inside_the_datum_resumes_the_lost_alert() {
        let (mut e, id) = lost_boat();
        let after = run(&mut e, 601, 1200, |s| radar(s, 700, &[boat]));
        let back = after.iter().find(|a| a.alert_id == id && a.state == AlertState::Updated).expect("resumed");
        let why = &back.evidence["contact_regained"];
        assert!(why.contains("radar-only track") && why.contains("the only new unidentified track"), "{why}");
        assert_ne!(back.track_id, None);
        assert!(back.persons_on_board.is_some_and(|p| p.estimate >= 60), "{back:?}");
        // Still in contact at the end: the radar's sightings hold it.
        let a = e.book().get(id).unwrap();
        assert_eq!(a.state, AlertState::Updated, "{a:?}");
        assert_eq!(e.book().alerts().filter(|a| a.rescue).count(), 1);
    }

    /// Two radar-only tracks inside the datum: which one is the boat is a guess, so
    /// the alert stays CONTACT_LOST (and the datum keeps growing).
    #[test]
    fn two_radar_only_tracks_inside_the_datum_resume_nothing() {
        let (mut e, id) = lost_boat();
        let north: fn(i64) -> LatLon = |s| dead_reckon(boat(s), 0.0, 0.2, 3600.0);
        let south: fn(i64) -> LatLon = |s| dead_reckon(boat(s), 180.0, 0.2, 3600.0);
        let after = run(&mut e, 601, 1200, |s| radar(s, 700, &[north, south]));
        assert!(after.iter().filter(|a| a.alert_id == id).all(|a| a.state == AlertState::ContactLost), "{after:#?}");
        assert!(e.picture().dark_tracks().count() >= 2, "two radar tracks");
        assert_eq!(e.book().get(id).unwrap().state, AlertState::ContactLost);
    }

    /// Issue 18, the demo's fragmented boat: a drone looks at it every 30 s, then a
    /// second drone whose georeferencing is 200 m off takes over, so the tracker starts
    /// a second track (outside the first one's gate) while the first coasts. Both
    /// tracks carry a rescue alert for a while; once the coasting track's gate holds
    /// the new one for a minute of looks, the younger alert is RETRACTED into the
    /// older, which follows the new track when the old one is deleted: one alert,
    /// in contact.
    #[test]
    fn a_fragmented_boat_on_two_live_tracks_ends_as_one_alert() {
        let mut e = Engine::new(EngineConfig::default(), None);
        let alerts = run(&mut e, 0, 600, |s| match s {
            0..=120 if s % 30 == 0 => vec![det("drone-1", s as f64, boat(s), Some(70))],
            130.. if s % 10 == 0 => vec![det("drone-2", s as f64, dead_reckon(boat(s), 0.0, 0.108, 3600.0), Some(68))],
            _ => Vec::new(),
        });
        let rescue: Vec<&Alert> = alerts.iter().filter(|a| a.rescue).collect();
        let (old, young) = (rescue[0].alert_id, rescue[1].alert_id);
        let (old_track, young_track) = (rescue[0].track_id, rescue[1].track_id);
        assert!(old < young && old_track != young_track, "{rescue:#?}");
        // Merged while both tracks were live (not when the old one ended), the older kept.
        let merged = rescue.iter().find(|a| a.state == AlertState::Retracted).expect("one retracted");
        assert_eq!((merged.alert_id, merged.merged_into), (young, Some(old)));
        assert!(merged.retraction.as_deref().unwrap().contains("within the tracker's gate"), "{merged:?}");
        let handover = rescue.iter().find(|a| a.evidence.contains_key("track_handover")).expect("handed over");
        assert!(merged.updated_at_ms < handover.updated_at_ms, "{rescue:#?}");
        let live: Vec<&Alert> = e.book().alerts().filter(|a| a.rescue && a.state.is_live()).collect();
        assert_eq!(live.len(), 1, "{live:#?}");
        let a = live[0];
        assert_eq!((a.alert_id, a.state, a.track_id), (old, AlertState::Updated, young_track));
        assert_eq!(a.evidence["merged_alerts"], young.to_string());
        assert!(a.evidence["same_boat"].contains("never seen apart"), "{a:?}");
    }

    /// Issue 18: two overcrowded boats converging to run 80 m apart, one drone
    /// counting both in every frame, are two boats: two rescue alerts, neither
    /// held back nor merged, however long they stay together.
    #[test]
    fn two_boats_close_together_keep_two_rescue_alerts() {
        let mut e = Engine::new(EngineConfig::default(), None);
        // 600 m apart at first, 80 m apart from 120 s on.
        let a = |s: i64| boat(s);
        let b = |s: i64| {
            let gap_nm = if s < 120 { 0.324 - (0.281 * s as f64 / 120.0) } else { 0.043 };
            dead_reckon(boat(s), 0.0, gap_nm, 3600.0)
        };
        let alerts = run(&mut e, 0, 600, |s| {
            if s % 10 == 0 {
                vec![det("drone-1", s as f64, a(s), Some(70)), det("drone-1", s as f64, b(s), Some(55))]
            } else {
                Vec::new()
            }
        });
        let ids: std::collections::BTreeSet<u64> = alerts.iter().filter(|a| a.rescue).map(|a| a.alert_id).collect();
        assert_eq!(ids.len(), 2, "{alerts:#?}");
        assert!(alerts.iter().all(|a| a.merged_into.is_none() && a.state != AlertState::Retracted), "{alerts:#?}");
        assert_eq!(e.book().alerts().filter(|a| a.rescue && a.state.is_live()).count(), 2);
    }
}
