//! Alerts: one incident is one alert. Detectors report [`Finding`]s — "this
//! condition holds (or no longer holds) for this subject, now" — and the
//! [`AlertBook`] turns them into alerts that move OPEN → UPDATED → CLOSED, or
//! RETRACTED when later data shows the incident was not real, each change
//! with a new version. Hysteresis (a condition must hold for a while before
//! an alert opens, and stay clear for a while before it closes) keeps one
//! noisy report from flipping an alert.
//!
//! A rescue (distress) alert is never closed by silence: when no sensor sees
//! its boat any more it moves to CONTACT_LOST with a datum that grows with
//! time ([`contact`]), and ends only when an operator closes it, or when the
//! boat is seen again inside the datum and the alert resumes on that track.
//!
//! The book is synchronous and I/O-free, driven by the recording's clock in
//! replay, so the same input gives the same alerts, byte for byte.

pub mod contact;
pub mod same_boat;

use std::collections::{BTreeMap, HashMap};

pub use contact::{Datum, DatumPolicy, LostContact};
use lookout_core::LatLon;
pub use lookout_score::finding::{AlertKind, Finding, Motion, PersonsOnBoard, Severity, Subject};

/// Where an alert is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlertState {
    Open,
    Updated,
    Closed,
    Retracted,
    /// A rescue alert whose boat no sensor sees any more: still going on, with
    /// a datum to search (see [`LostContact`]).
    ContactLost,
}

impl AlertState {
    /// Open, updated or contact lost: the incident is going on.
    pub fn is_live(self) -> bool {
        matches!(self, AlertState::Open | AlertState::Updated | AlertState::ContactLost)
    }
}

/// An acknowledgement by an operator.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Acknowledgement {
    pub by: String,
    pub note: String,
    pub at_ms: i64,
}

/// One incident.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Alert {
    pub alert_id: u64,
    pub kind: AlertKind,
    pub severity: Severity,
    pub score: f64,
    pub state: AlertState,
    /// Increases with every change, from 1.
    pub version: u32,
    pub opened_at_ms: i64,
    pub updated_at_ms: i64,
    pub closed_at_ms: Option<i64>,
    pub lat: f64,
    pub lon: f64,
    pub track_id: Option<u64>,
    pub mmsi: Option<u32>,
    pub persons_on_board: Option<PersonsOnBoard>,
    pub explanation: String,
    pub evidence: BTreeMap<String, String>,
    /// Sent to rescue first (distress-like).
    pub rescue: bool,
    pub acknowledged: Option<Acknowledgement>,
    /// Why it was retracted, if it was.
    pub retraction: Option<String>,
    /// While CONTACT_LOST: the last sighting and how the datum grows.
    pub contact_lost: Option<LostContact>,
    /// Retracted because it was the same boat as this alert.
    pub merged_into: Option<u64>,
    #[serde(skip)]
    subject: Subject,
}

/// An alert as one JSON object (times in RFC 3339 UTC), as `lookout replay`
/// writes it: stable field order and formatting, so the same alerts give the
/// same bytes.
#[derive(Debug, serde::Serialize)]
pub struct AlertRecord<'a> {
    pub alert_id: u64,
    pub kind: AlertKind,
    pub severity: Severity,
    pub score: f64,
    pub state: AlertState,
    pub version: u32,
    pub opened_at: String,
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
    pub lat: f64,
    pub lon: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mmsi: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persons_on_board: Option<PersonsOnBoard>,
    pub rescue: bool,
    pub explanation: &'a str,
    pub evidence: &'a BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retraction: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_lost: Option<ContactLostRecord<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<AcknowledgementRecord<'a>>,
}

/// A lost contact as a JSON-ready record, with the datum as of the version.
#[derive(Debug, serde::Serialize)]
pub struct ContactLostRecord<'a> {
    pub last_lat: f64,
    pub last_lon: f64,
    pub last_seen: String,
    pub lost_at: String,
    pub why: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub motion: Option<Motion>,
    /// The configured current and leeway the datum drifts with, when the
    /// boat's own motion was not observed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<Motion>,
    pub position_error_nm: f64,
    pub datum_lat: f64,
    pub datum_lon: f64,
    pub datum_radius_nm: f64,
}

/// An acknowledgement as a JSON-ready record.
#[derive(Debug, serde::Serialize)]
pub struct AcknowledgementRecord<'a> {
    pub by: &'a str,
    pub note: &'a str,
    pub at: String,
}

impl Alert {
    /// Who the incident is about.
    pub fn subject(&self) -> &Subject {
        &self.subject
    }

    /// Every track the incident concerns (two for a pair).
    pub fn track_ids(&self) -> Vec<u64> {
        match self.subject {
            Subject::Pair(a, b) => vec![a, b],
            Subject::Track(t) => vec![t],
            Subject::Mmsi(_) => self.track_id.into_iter().collect(),
        }
    }

    /// The order consoles are given alerts in: distress (rescue) first, then
    /// higher severity, then the most recently changed, then by id.
    pub fn priority_cmp(&self, other: &Alert) -> std::cmp::Ordering {
        other
            .rescue
            .cmp(&self.rescue)
            .then(other.severity.cmp(&self.severity))
            .then(other.updated_at_ms.cmp(&self.updated_at_ms))
            .then(self.alert_id.cmp(&other.alert_id))
    }

    /// The alert as a JSON-ready record.
    pub fn record(&self) -> AlertRecord<'_> {
        let t = lookout_core::time::rfc3339_ms;
        AlertRecord {
            alert_id: self.alert_id,
            kind: self.kind,
            severity: self.severity,
            score: (self.score * 1000.0).round() / 1000.0,
            state: self.state,
            version: self.version,
            opened_at: t(self.opened_at_ms),
            updated_at: t(self.updated_at_ms),
            closed_at: self.closed_at_ms.map(t),
            lat: (self.lat * 1e6).round() / 1e6,
            lon: (self.lon * 1e6).round() / 1e6,
            track_id: self.track_id,
            mmsi: self.mmsi,
            persons_on_board: self.persons_on_board,
            rescue: self.rescue,
            explanation: &self.explanation,
            evidence: &self.evidence,
            retraction: self.retraction.as_deref(),
            merged_into: self.merged_into,
            contact_lost: self.contact_lost.as_ref().map(|c| {
                let d = c.datum_at(self.updated_at_ms);
                let r6 = |x: f64| (x * 1e6).round() / 1e6;
                ContactLostRecord {
                    last_lat: r6(c.last_lat),
                    last_lon: r6(c.last_lon),
                    last_seen: t(c.last_seen_ms),
                    lost_at: t(c.lost_at_ms),
                    why: &c.why,
                    motion: c.motion,
                    drift: c.drift,
                    position_error_nm: c.position_error_nm,
                    datum_lat: r6(d.lat),
                    datum_lon: r6(d.lon),
                    datum_radius_nm: (d.radius_nm * 1000.0).round() / 1000.0,
                }
            }),
            acknowledged: self.acknowledged.as_ref().map(|k| AcknowledgementRecord {
                by: &k.by,
                note: &k.note,
                at: t(k.at_ms),
            }),
        }
    }
}

/// Which alerts a console wants.
#[derive(Debug, Clone)]
pub struct AlertFilter {
    pub area: lookout_picture::Area,
    /// Empty: every kind.
    pub kinds: std::collections::BTreeSet<AlertKind>,
    pub min_severity: Option<Severity>,
    /// Only distress-like alerts.
    pub rescue_only: bool,
    /// The region the caller may see, set by the server (an operator's `area`), never by
    /// the caller: an alert whose position (`lat`, `lon`: the vessel's or contact's last
    /// position, for a lost contact where it was last seen) is outside does not exist
    /// for it. `None`: anywhere.
    pub within: Option<std::sync::Arc<lookout_picture::BandedPolygon>>,
}

impl Default for AlertFilter {
    fn default() -> Self {
        Self {
            area: lookout_picture::Area::World,
            kinds: Default::default(),
            min_severity: None,
            rescue_only: false,
            within: None,
        }
    }
}

impl AlertFilter {
    /// Whether the caller may see `a` at all (its region), whatever else it asked for.
    pub fn visible(&self, a: &Alert) -> bool {
        self.within.as_ref().is_none_or(|r| r.covers_latlon(LatLon::new(a.lat, a.lon)))
    }

    pub fn matches(&self, a: &Alert) -> bool {
        self.visible(a)
            && (self.kinds.is_empty() || self.kinds.contains(&a.kind))
            && self.min_severity.is_none_or(|s| a.severity >= s)
            && (!self.rescue_only || a.rescue)
            && self.area.contains(LatLon::new(a.lat, a.lon))
    }
}

/// Hysteresis settings of the book.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertPolicy {
    /// An incident opens only after its condition has held this long, ms
    /// (0: at once). Distress kinds always open at once.
    #[serde(rename = "raise_after", with = "lookout_core::duration::ms")]
    pub raise_after_ms: i64,
    /// …and in at least this many findings.
    pub raise_after_findings: u32,
    /// An open alert closes after its condition has been clear this long, ms.
    #[serde(rename = "close_after", with = "lookout_core::duration::ms")]
    pub close_after_ms: i64,
    /// A change of score smaller than this (relative) with the same severity
    /// does not make a new version: consoles are not showered with repeats.
    pub min_score_change: f64,
    /// Closed and retracted alerts are forgotten after this long, ms.
    #[serde(rename = "keep_closed", with = "lookout_core::duration::ms")]
    pub keep_closed_ms: i64,
    /// A live alert whose subject moved this far from its published position
    /// gets a new version (rescue needs to know where the boat is now), m.
    pub min_move_m: f64,
    /// A rescue alert whose boat no sensor has reported for this long moves to
    /// CONTACT_LOST (at once when its track is deleted), ms.
    #[serde(rename = "contact_lost_after", with = "lookout_core::duration::ms")]
    pub contact_lost_after_ms: i64,
    /// A CONTACT_LOST alert gets a new version with its grown datum this often, ms.
    #[serde(rename = "datum_update_every", with = "lookout_core::duration::ms")]
    pub datum_update_every_ms: i64,
    /// How a lost contact's datum grows.
    pub datum: DatumPolicy,
}

impl Default for AlertPolicy {
    fn default() -> Self {
        Self {
            raise_after_ms: 60_000,
            raise_after_findings: 2,
            close_after_ms: 300_000,
            min_score_change: 0.2,
            keep_closed_ms: 24 * 3_600_000,
            min_move_m: 1000.0,
            contact_lost_after_ms: 120_000,
            datum_update_every_ms: 600_000,
            datum: DatumPolicy::default(),
        }
    }
}

impl AlertPolicy {
    /// Times positive where zero would mean "at once, forever", and the datum's figures sane.
    pub fn validate(&self) -> Result<(), String> {
        if self.contact_lost_after_ms <= 0 {
            return Err("alerts.contact_lost_after must be more than 0".into());
        }
        if self.datum_update_every_ms <= 0 {
            return Err("alerts.datum_update_every must be more than 0".into());
        }
        self.datum.validate()
    }
}

/// The last sighting of a live alert's subject: where a lost contact's datum starts.
#[derive(Debug, Clone, Copy)]
struct LastFix {
    pos: LatLon,
    time_ms: i64,
    motion: Option<Motion>,
    /// An AIS (GNSS) position rather than a sensor's.
    gnss: bool,
}

/// A change to an alert, in the order the book made it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertChange {
    /// The book's change sequence number (strictly increasing).
    pub seq: u64,
    pub alert: Alert,
}

/// A subject whose condition holds but whose alert has not opened yet.
#[derive(Debug, Clone)]
struct Pending {
    first_ms: i64,
    findings: u32,
}

/// The alert book: every live and recently ended alert, and the change log
/// consoles catch up from.
#[derive(Debug, Default)]
pub struct AlertBook {
    policy: AlertPolicy,
    alerts: BTreeMap<u64, Alert>,
    /// Live alert of each (kind, subject).
    live: HashMap<(AlertKind, Subject), u64>,
    /// Last time each live alert's condition was reported active, ms.
    last_active_ms: HashMap<u64, i64>,
    /// Last sighting of each live alert's subject (any finding, active or not).
    last_fix: HashMap<u64, LastFix>,
    /// Recent sightings of each live rescue alert's boat (its drift if contact is lost).
    trails: HashMap<u64, contact::Trail>,
    /// Live rescue alerts resumed on a track that gives no findings of its own
    /// (radar-only): its sightings keep them in contact ([`AlertBook::sighted`]).
    sighting_only: std::collections::HashSet<u64>,
    pending: HashMap<(AlertKind, Subject), Pending>,
    next_id: u64,
    seq: u64,
    /// Change sequence number → alert changed then (latest change per alert only).
    log: BTreeMap<u64, u64>,
    last_seq_of: HashMap<u64, u64>,
}

impl AlertBook {
    pub fn new(policy: AlertPolicy) -> Self {
        Self { policy, next_id: 1, ..Default::default() }
    }

    /// Puts a new policy in force from the next change on (a reload); the
    /// alerts, their versions and ids are kept.
    pub fn set_policy(&mut self, policy: AlertPolicy) {
        self.policy = policy;
    }

    /// The policy in force.
    pub fn policy(&self) -> &AlertPolicy {
        &self.policy
    }

    /// The sequence number of the latest change (0 before any).
    pub fn seq(&self) -> u64 {
        self.seq
    }

    pub fn get(&self, alert_id: u64) -> Option<&Alert> {
        self.alerts.get(&alert_id)
    }

    /// Every alert the book holds, by id.
    pub fn alerts(&self) -> impl Iterator<Item = &Alert> {
        self.alerts.values()
    }

    /// Alerts that changed after change `seq`, in change order: what a
    /// console that fell behind at `seq` needs to be current again.
    pub fn changed_since(&self, seq: u64) -> Vec<&Alert> {
        self.log.range(seq + 1..).filter_map(|(_, id)| self.alerts.get(id)).collect()
    }

    /// Applies one finding; returns the change it made, if any.
    pub fn observe(&mut self, f: Finding) -> Option<AlertChange> {
        let key = (f.kind, f.subject.clone());
        if let Some(&id) = self.live.get(&key) {
            let counted = f.persons_on_board.is_some_and(|p| p.basis != lookout_score::PobBasis::Prior);
            if self.sighting_only.contains(&id) && !f.active && !counted {
                // A radar track's class prior ("not overcrowded" for want of a count)
                // says nothing about the boat the alert was resumed on: a sighting.
                self.sighted(track_of(&key.1), f.pos, f.time_ms, f.motion);
                return None;
            }
            // A finding of its own: the track's looks say from now on whether the
            // boat is in distress.
            self.sighting_only.remove(&id);
            self.saw(id, &f);
            if self.alerts[&id].state == AlertState::ContactLost {
                let why = format!("contact regained: {} reported again", subject_name(&key.1));
                return Some(self.regain(id, &f, why));
            }
            if f.active {
                self.last_active_ms.insert(id, f.time_ms);
                return self.update(id, &f);
            }
            // Clear: the alert closes only once it has stayed clear (tick).
            return None;
        }
        if !f.active {
            self.pending.remove(&key);
            return None;
        }
        if f.kind.is_distress() {
            if let Some(id) = self.lost_near(f.kind, f.pos, f.time_ms) {
                // The boat whose contact was lost, seen again inside its datum on
                // another track: the same incident goes on there.
                let c = self.alerts[&id].contact_lost.clone().expect("lost_near finds lost contacts");
                let minutes = (f.time_ms - c.last_seen_ms) as f64 / 60_000.0;
                let why = format!(
                    "contact regained: {} inside the datum, {:.1} nm from its centre (radius {:.1} nm), {minutes:.0} min after the last sighting",
                    subject_name(&key.1),
                    c.distance_from_datum_nm(f.pos, f.time_ms),
                    c.datum_at(f.time_ms).radius_nm,
                );
                let old = self.alerts[&id].subject.clone();
                self.live.remove(&(f.kind, old));
                self.live.insert(key.clone(), id);
                self.alerts.get_mut(&id).unwrap().subject = key.1.clone();
                self.pending.remove(&key);
                self.live.retain(|_, v| *v != id);
                self.live.insert(key.clone(), id);
                self.sighting_only.remove(&id);
                self.saw(id, &f);
                self.last_active_ms.insert(id, f.time_ms);
                return Some(self.regain(id, &f, why));
            }
        }
        let p = self.pending.entry(key.clone()).or_insert(Pending { first_ms: f.time_ms, findings: 0 });
        p.findings += 1;
        let held =
            f.time_ms - p.first_ms >= self.policy.raise_after_ms && p.findings >= self.policy.raise_after_findings;
        if !(held || f.kind.is_distress()) {
            return None;
        }
        let first_ms = p.first_ms;
        self.pending.remove(&key);
        Some(self.open(key, f, first_ms))
    }

    fn open(&mut self, key: (AlertKind, Subject), f: Finding, first_ms: i64) -> AlertChange {
        let id = self.next_id;
        self.next_id += 1;
        self.saw(id, &f);
        let alert = Alert {
            alert_id: id,
            kind: f.kind,
            severity: f.severity,
            score: f.score,
            state: AlertState::Open,
            version: 1,
            // The incident began when its condition was first seen, not when
            // the hysteresis let it through.
            opened_at_ms: first_ms,
            updated_at_ms: f.time_ms,
            closed_at_ms: None,
            lat: f.pos.lat_deg,
            lon: f.pos.lon_deg,
            track_id: f.track_id,
            mmsi: f.mmsi,
            persons_on_board: f.persons_on_board,
            explanation: f.explanation,
            evidence: f.evidence,
            rescue: f.kind.is_distress(),
            acknowledged: None,
            retraction: None,
            contact_lost: None,
            merged_into: None,
            subject: key.1.clone(),
        };
        self.live.insert(key, id);
        self.last_active_ms.insert(id, f.time_ms);
        self.alerts.insert(id, alert);
        self.record(id)
    }

    fn update(&mut self, id: u64, f: &Finding) -> Option<AlertChange> {
        let (min_change, min_move_m) = (self.policy.min_score_change, self.policy.min_move_m);
        let a = self.alerts.get_mut(&id)?;
        let rel = (f.score - a.score).abs() / a.score.abs().max(1e-9);
        // Persons on board matter to a coordinator when the new estimate leaves the interval
        // already published, or a count replaces the prior: a looks-by-looks drift inside
        // the interval is not news (the demo's boat was re-versioned every 20-45 s by it).
        let pob_changed = match (a.persons_on_board, f.persons_on_board) {
            (None, Some(_)) => true,
            (Some(old), Some(new)) => new.estimate < old.low || new.estimate > old.high || new.basis != old.basis,
            _ => false,
        };
        // A rescue alert's score is persons over a safe capacity that jitters with a noisy
        // length: not what a coordinator acts on, so it alone makes no version.
        let score_changed = rel >= min_change && !a.rescue;
        let moved_m = lookout_core::geodesy::haversine_m(LatLon::new(a.lat, a.lon), f.pos);
        let meaningful = f.severity != a.severity || score_changed || pob_changed || moved_m >= min_move_m;
        // A new version only when something an operator acts on changed (so
        // consoles are not showered with repeats); between versions the alert
        // stays exactly as last published, so every console and ListAlerts
        // agree on what version N says.
        if !meaningful {
            return None;
        }
        a.lat = f.pos.lat_deg;
        a.lon = f.pos.lon_deg;
        a.evidence.clone_from(&f.evidence);
        a.explanation.clone_from(&f.explanation);
        a.track_id = f.track_id.or(a.track_id);
        a.mmsi = f.mmsi.or(a.mmsi);
        a.severity = f.severity;
        a.score = f.score;
        if f.persons_on_board.is_some() {
            a.persons_on_board = f.persons_on_board;
        }
        a.state = AlertState::Updated;
        a.version += 1;
        a.updated_at_ms = f.time_ms;
        Some(self.record(id))
    }

    /// Closes live alerts whose condition has been clear for `close_after_ms`,
    /// forgets long-ended ones and stale pending subjects. Call as time passes.
    pub fn tick(&mut self, now_ms: i64) -> Vec<AlertChange> {
        let close_after = self.policy.close_after_ms;
        let (lost_after, datum_every) = (self.policy.contact_lost_after_ms, self.policy.datum_update_every_ms);
        let mut live: Vec<u64> = self.live.values().copied().collect();
        live.sort_unstable();
        // A track merged into an alert is a second key to it.
        live.dedup();
        let mut out = Vec::new();
        for id in live {
            let Some(a) = self.alerts.get(&id) else { continue };
            let (rescue, state, updated) = (a.rescue, a.state, a.updated_at_ms);
            let seen = self.last_fix.get(&id).map_or(i64::MIN, |x| x.time_ms);
            let active = self.last_active_ms.get(&id).copied().unwrap_or(i64::MIN);
            if state == AlertState::ContactLost {
                // Never closed by silence; a new version as the datum grows.
                if now_ms - updated >= datum_every {
                    out.extend(self.grow_datum(id, now_ms));
                }
            } else if rescue && now_ms - seen >= lost_after {
                let why = format!("no report for {} s", (now_ms - seen) / 1000);
                out.extend(self.lose_contact(id, now_ms, why));
            } else if now_ms - active >= close_after {
                // Seen, but the condition has stayed clear (for a rescue alert: the
                // boat is still in contact and no longer judged in distress).
                out.extend(self.end(id, AlertState::Closed, now_ms, None));
            }
        }
        // A subject seen once and never again is not an incident.
        let raise_window = self.policy.raise_after_ms.max(close_after);
        self.pending.retain(|_, p| now_ms - p.first_ms < raise_window * 2);
        let keep = self.policy.keep_closed_ms;
        let forget: Vec<u64> = self
            .alerts
            .values()
            .filter(|a| a.closed_at_ms.is_some_and(|t| now_ms - t > keep))
            .map(|a| a.alert_id)
            .collect();
        for id in forget {
            self.alerts.remove(&id);
            if let Some(s) = self.last_seq_of.remove(&id) {
                self.log.remove(&s);
            }
        }
        out
    }

    /// Retracts the live alert of (`kind`, `subject`): later data shows it was
    /// not real (a late AIS report, an out-of-order satellite feed).
    pub fn retract(&mut self, kind: AlertKind, subject: &Subject, reason: &str, now_ms: i64) -> Option<AlertChange> {
        self.pending.remove(&(kind, subject.clone()));
        let id = *self.live.get(&(kind, subject.clone()))?;
        if self.alerts[&id].subject != *subject {
            // A track merged into another's alert: what explains that track does
            // not explain the boat the alert follows. It just stops leading there.
            self.live.remove(&(kind, subject.clone()));
            return None;
        }
        self.end(id, AlertState::Retracted, now_ms, Some(reason.to_string()))
    }

    /// The track of `track_id` left the picture (`why`: deleted, aged out, merged):
    /// a live rescue alert on it loses contact at once.
    pub fn track_gone(&mut self, track_id: u64, why: &str, now_ms: i64) -> Vec<AlertChange> {
        let mut ids: Vec<u64> = self
            .live
            .iter()
            .filter(|((kind, subject), _)| kind.is_distress() && *subject == Subject::Track(track_id))
            .map(|(_, id)| *id)
            .collect();
        ids.sort_unstable();
        let mut out = Vec::new();
        for id in ids {
            let a = &self.alerts[&id];
            let gone = (a.kind, Subject::Track(track_id));
            // Another track merged into the alert (the same boat) goes on: the
            // alert follows it instead of losing contact.
            let next =
                self.live.iter().filter(|(k, v)| **v == id && **k != gone).map(|(k, _)| k.1.clone()).min_by_key(|s| {
                    match s {
                        Subject::Track(t) => *t,
                        _ => u64::MAX,
                    }
                });
            // (A lost contact stays keyed on its last track until it is regained.)
            if let Some(next) = next.filter(|_| a.state != AlertState::ContactLost) {
                let primary = a.subject == gone.1;
                self.live.remove(&gone);
                if primary {
                    out.push(self.hand_over(id, next, why, now_ms));
                }
                continue;
            }
            if a.state != AlertState::ContactLost {
                out.extend(self.lose_contact(id, now_ms, why.to_string()));
            }
        }
        out
    }

    /// The track alert `id` followed ended, and `next`, judged the same boat,
    /// goes on: a version saying the alert now follows `next`.
    fn hand_over(&mut self, id: u64, next: Subject, why: &str, now_ms: i64) -> AlertChange {
        let a = self.alerts.get_mut(&id).unwrap();
        let note =
            format!("{} ended ({why}); the same boat goes on as {}", subject_name(&a.subject), subject_name(&next));
        if let Subject::Track(t) = next {
            a.track_id = Some(t);
        }
        a.subject = next;
        a.evidence.insert("track_handover".into(), note);
        a.version += 1;
        a.updated_at_ms = now_ms;
        if a.state == AlertState::Open {
            a.state = AlertState::Updated;
        }
        self.record(id)
    }

    /// Records a sighting of a live alert's subject.
    fn saw(&mut self, id: u64, f: &Finding) {
        let gnss = f.mmsi.is_some();
        self.last_fix.insert(id, LastFix { pos: f.pos, time_ms: f.time_ms, motion: f.motion, gnss });
        if f.kind.is_distress() {
            self.trails.entry(id).or_default().push(f.pos, f.time_ms);
        }
    }

    /// Retracts alert `from` as the same boat as live alert `into` (`reason`
    /// says why, `same_boat` the evidence when both tracks were live), and gives
    /// `into` a version recording it in `evidence.merged_alerts`.
    fn merge(
        &mut self,
        from: u64,
        into: u64,
        reason: String,
        same_boat: Option<&str>,
        now_ms: i64,
    ) -> Vec<AlertChange> {
        self.alerts.get_mut(&from).unwrap().merged_into = Some(into);
        let mut out: Vec<AlertChange> =
            self.end(from, AlertState::Retracted, now_ms, Some(reason)).into_iter().collect();
        let s = self.alerts.get_mut(&into).unwrap();
        let merged = match s.evidence.get("merged_alerts") {
            Some(v) => format!("{v},{from}"),
            None => from.to_string(),
        };
        s.evidence.insert("merged_alerts".into(), merged);
        if let Some(e) = same_boat {
            s.evidence.insert("same_boat".into(), e.to_string());
        }
        s.version += 1;
        s.updated_at_ms = now_ms;
        if s.state == AlertState::Open {
            s.state = AlertState::Updated;
        }
        out.push(self.record(into));
        out
    }

    /// Live rescue alerts in contact (not CONTACT_LOST) on a non-AIS track:
    /// (alert id, the track it follows), by alert id.
    pub fn rescue_tracks_in_contact(&self) -> Vec<(u64, u64)> {
        let mut out: Vec<(u64, u64)> = self
            .live
            .iter()
            .filter_map(|((kind, subject), id)| {
                let a = &self.alerts[id];
                match subject {
                    // The alert's own subject only: another track merged into it is
                    // the same boat, not another alert to compare with.
                    Subject::Track(t) if kind.is_distress() && a.subject == *subject => {
                        (a.state != AlertState::ContactLost).then_some((*id, *t))
                    }
                    _ => None,
                }
            })
            .collect();
        out.sort_unstable();
        out
    }

    /// Whether a live alert of any kind follows track `track_id` (its own, or
    /// merged into one).
    pub fn track_has_alert(&self, track_id: u64) -> bool {
        self.live.keys().any(|(_, s)| match s {
            Subject::Track(t) => *t == track_id,
            Subject::Pair(a, b) => *a == track_id || *b == track_id,
            Subject::Mmsi(_) => false,
        })
    }

    /// The live alert of (`kind`, `subject`), if one follows it.
    pub fn live_alert(&self, kind: AlertKind, subject: &Subject) -> Option<u64> {
        self.live.get(&(kind, subject.clone())).copied()
    }

    /// Tracks that live rescue alerts follow by sightings alone
    /// ([`AlertBook::regain_on_track`]), by id.
    pub fn sighting_only_tracks(&self) -> Vec<u64> {
        let mut out: Vec<u64> = self
            .sighting_only
            .iter()
            .filter_map(|id| match self.alerts.get(id)?.subject {
                Subject::Track(t) => Some(t),
                _ => None,
            })
            .collect();
        out.sort_unstable();
        out
    }

    /// Live CONTACT_LOST alerts, by id.
    pub fn lost_contacts(&self) -> Vec<(u64, &LostContact)> {
        let mut ids: Vec<u64> = self.live.values().copied().collect();
        ids.sort_unstable();
        ids.dedup();
        ids.into_iter().filter_map(|id| Some((id, self.alerts[&id].contact_lost.as_ref()?))).collect()
    }

    /// Tracks `keep` and `other` were judged the same boat (`evidence`, see
    /// [`same_boat`]): from now on `other`'s distress findings go to the rescue
    /// alert on `keep`, and if `other` carries a live rescue alert of its own,
    /// the younger of the two is retracted as merged into the older, which
    /// records it. Returns the changes made (none if `keep` has no live rescue
    /// alert in contact).
    pub fn merge_same_boat(&mut self, keep: u64, other: u64, evidence: &str, now_ms: i64) -> Vec<AlertChange> {
        let on = |book: &Self, t: u64| {
            book.live
                .iter()
                .filter(|((k, s), id)| {
                    k.is_distress() && *s == Subject::Track(t) && book.alerts[*id].state != AlertState::ContactLost
                })
                .map(|((k, _), id)| (*k, *id))
                .min_by_key(|&(_, id)| id)
        };
        let Some((kind, keep_id)) = on(self, keep) else { return Vec::new() };
        let mut out = Vec::new();
        let mut into = keep_id;
        if let Some((_, other_id)) = on(self, other).filter(|&(_, o)| o != keep_id) {
            // The older alert survives: it is the one coordinators already act on.
            let (from, to) = if other_id < keep_id { (keep_id, other_id) } else { (other_id, keep_id) };
            let reason = format!("the same boat as alert {to}: {evidence}");
            out = self.merge(from, to, reason, Some(evidence), now_ms);
            into = to;
        }
        // Both tracks now lead to the surviving alert (never stealing the key of
        // another live alert, such as a lost contact still keyed on its track).
        for t in [keep, other] {
            self.live.entry((kind, Subject::Track(t))).or_insert(into);
            self.pending.remove(&(kind, Subject::Track(t)));
        }
        out
    }

    /// A sighting of track `track_id` by a sensor with no finding of its own (a
    /// radar-only track a lost contact was associated with): it keeps the alert
    /// following that track in contact, and in distress as it was.
    pub fn sighted(&mut self, track_id: u64, pos: LatLon, time_ms: i64, motion: Option<Motion>) {
        let ids: Vec<u64> = self
            .live
            .iter()
            .filter(|((k, s), id)| {
                k.is_distress() && *s == Subject::Track(track_id) && self.sighting_only.contains(*id)
            })
            .map(|(_, id)| *id)
            .collect();
        for id in ids {
            if self.alerts[&id].state == AlertState::ContactLost {
                continue;
            }
            self.last_fix.insert(id, LastFix { pos, time_ms, motion, gnss: false });
            self.trails.entry(id).or_default().push(pos, time_ms);
            // No look has said the boat is out of distress: the condition holds.
            self.last_active_ms.insert(id, time_ms);
        }
    }

    /// Resumes CONTACT_LOST alert `id` on track `track_id`, a track with no
    /// finding of its own (radar-only, no count) associated with it: the only
    /// plausible candidate inside the datum. `why` is the evidence; it goes into
    /// `evidence.contact_regained`. Until a finding arrives for that track, its
    /// sightings ([`AlertBook::sighted`]) keep the alert in contact.
    pub fn regain_on_track(
        &mut self,
        id: u64,
        track_id: u64,
        pos: LatLon,
        time_ms: i64,
        motion: Option<Motion>,
        why: String,
    ) -> Option<AlertChange> {
        let a = self.alerts.get(&id)?;
        if a.state != AlertState::ContactLost {
            return None;
        }
        let kind = a.kind;
        let key = (kind, Subject::Track(track_id));
        self.live.retain(|_, v| *v != id);
        self.live.insert(key.clone(), id);
        self.pending.remove(&key);
        self.sighting_only.insert(id);
        let a = self.alerts.get_mut(&id).unwrap();
        a.subject = key.1;
        // The alert's persons on board, class and score stay those of the boat
        // last seen: a radar track has no count of its own.
        let f = Finding {
            kind,
            subject: Subject::Track(track_id),
            active: true,
            score: a.score,
            severity: a.severity,
            pos,
            time_ms,
            track_id: Some(track_id),
            mmsi: None,
            persons_on_board: None,
            motion,
            explanation: a.contact_lost.as_ref().map(|c| c.was.clone()).unwrap_or_default(),
            evidence: a.evidence.clone(),
        };
        self.saw(id, &f);
        self.last_active_ms.insert(id, time_ms);
        Some(self.regain(id, &f, why))
    }

    /// Moves a live rescue alert to CONTACT_LOST with a datum from its last
    /// sighting, or merges it into another live rescue alert of its kind that
    /// is inside that datum (one boat whose track broke in two). Returns the
    /// changes made (the merged-into alert gets a version recording it).
    fn lose_contact(&mut self, id: u64, now_ms: i64, why: String) -> Vec<AlertChange> {
        let Some(a) = self.alerts.get(&id) else { return Vec::new() };
        let fix = self.last_fix.get(&id).copied().unwrap_or(LastFix {
            pos: LatLon::new(a.lat, a.lon),
            time_ms: a.updated_at_ms,
            motion: None,
            gnss: a.mmsi.is_some(),
        });
        let motion = self.trails.get(&id).and_then(|t| t.mean_motion(fix.pos, fix.time_ms)).or(fix.motion);
        let lost = LostContact::new(fix.pos, fix.time_ms, motion, fix.gnss, now_ms, why, &self.policy.datum);
        let kind = a.kind;
        // Another live, seen alert of the same kind inside the datum now: the same boat.
        let mut others: Vec<(u64, f64)> = self
            .live
            .iter()
            .filter(|((k, _), other)| *k == kind && **other != id)
            .filter_map(|(_, other)| {
                let o = &self.alerts[other];
                let p = LatLon::new(o.lat, o.lon);
                (o.state != AlertState::ContactLost && lost.contains(p, now_ms))
                    .then(|| (*other, lost.distance_from_datum_nm(p, now_ms)))
            })
            .collect();
        others.sort_by(|x, y| x.1.total_cmp(&y.1).then(x.0.cmp(&y.0)));
        if let Some(&(into, dist_nm)) = others.first() {
            let name = subject_name(&self.alerts[&id].subject);
            let reason = format!("the same boat as alert {into}: {name} ended {dist_nm:.1} nm from it ({})", lost.why);
            return self.merge(id, into, reason, None, now_ms);
        }
        let a = self.alerts.get_mut(&id).unwrap();
        let mut lost = lost;
        lost.was = std::mem::take(&mut a.explanation);
        let d = lost.datum_at(now_ms);
        a.explanation = lost.explain(now_ms);
        a.lat = d.lat;
        a.lon = d.lon;
        a.contact_lost = Some(lost);
        a.state = AlertState::ContactLost;
        a.version += 1;
        a.updated_at_ms = now_ms;
        vec![self.record(id)]
    }

    /// A new version of a CONTACT_LOST alert with its datum as of `now_ms`.
    fn grow_datum(&mut self, id: u64, now_ms: i64) -> Option<AlertChange> {
        let a = self.alerts.get_mut(&id)?;
        let c = a.contact_lost.as_ref()?;
        let d = c.datum_at(now_ms);
        a.explanation = c.explain(now_ms);
        a.lat = d.lat;
        a.lon = d.lon;
        a.evidence.insert("datum_radius_nm".into(), format!("{:.1}", d.radius_nm));
        a.version += 1;
        a.updated_at_ms = now_ms;
        Some(self.record(id))
    }

    /// The CONTACT_LOST alert of `kind` whose datum holds `p` at `at_ms`
    /// (the nearest centre first, then the lowest id).
    fn lost_near(&self, kind: AlertKind, p: LatLon, at_ms: i64) -> Option<u64> {
        self.live
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .filter_map(|(_, id)| {
                let c = self.alerts[id].contact_lost.as_ref()?;
                c.contains(p, at_ms).then(|| (*id, c.distance_from_datum_nm(p, at_ms)))
            })
            .min_by(|x, y| x.1.total_cmp(&y.1).then(x.0.cmp(&y.0)))
            .map(|(id, _)| id)
    }

    /// A CONTACT_LOST alert seen again: back to UPDATED on the finding's
    /// subject, saying how contact was regained.
    fn regain(&mut self, id: u64, f: &Finding, why: String) -> AlertChange {
        let a = self.alerts.get_mut(&id).unwrap();
        a.contact_lost = None;
        a.state = AlertState::Updated;
        a.lat = f.pos.lat_deg;
        a.lon = f.pos.lon_deg;
        a.track_id = f.track_id.or(a.track_id);
        a.mmsi = f.mmsi.or(a.mmsi);
        if f.persons_on_board.is_some() {
            a.persons_on_board = f.persons_on_board;
        }
        a.evidence.clone_from(&f.evidence);
        a.evidence.insert("contact_regained".into(), why.clone());
        a.explanation = format!("{why}. {}", f.explanation);
        a.version += 1;
        a.updated_at_ms = f.time_ms;
        self.record(id)
    }

    fn end(&mut self, id: u64, state: AlertState, now_ms: i64, reason: Option<String>) -> Option<AlertChange> {
        let a = self.alerts.get_mut(&id)?;
        // Every key: the alert's subject and any track merged into it.
        self.live.retain(|_, v| *v != id);
        self.sighting_only.remove(&id);
        self.last_active_ms.remove(&id);
        self.last_fix.remove(&id);
        self.trails.remove(&id);
        a.state = state;
        a.version += 1;
        a.updated_at_ms = now_ms;
        a.closed_at_ms = Some(now_ms);
        a.retraction = reason;
        Some(self.record(id))
    }

    /// Records an operator's acknowledgement (a new version, so every console sees it).
    /// With `close`, the operator also ends the incident (the only way a
    /// CONTACT_LOST alert ends without the boat being seen again): one version,
    /// CLOSED, carrying who closed it and why. Closing an alert that has already
    /// ended records the acknowledgement only.
    pub fn acknowledge(
        &mut self,
        alert_id: u64,
        by: &str,
        note: &str,
        close: bool,
        now_ms: i64,
    ) -> Option<AlertChange> {
        let a = self.alerts.get_mut(&alert_id)?;
        if close && a.state.is_live() {
            a.acknowledged = Some(Acknowledgement { by: by.to_string(), note: note.to_string(), at_ms: now_ms });
            a.contact_lost = None;
            return self.end(alert_id, AlertState::Closed, now_ms, None);
        }
        a.acknowledged = Some(Acknowledgement { by: by.to_string(), note: note.to_string(), at_ms: now_ms });
        a.version += 1;
        a.updated_at_ms = now_ms;
        if a.state == AlertState::Open {
            a.state = AlertState::Updated;
        }
        Some(self.record(alert_id))
    }

    fn record(&mut self, id: u64) -> AlertChange {
        self.seq += 1;
        if let Some(old) = self.last_seq_of.insert(id, self.seq) {
            self.log.remove(&old);
        }
        self.log.insert(self.seq, id);
        AlertChange { seq: self.seq, alert: self.alerts[&id].clone() }
    }
}

/// The track a subject is, if it is one (`u64::MAX`, no track, otherwise).
fn track_of(s: &Subject) -> u64 {
    match s {
        Subject::Track(t) => *t,
        _ => u64::MAX,
    }
}

/// "track 12" / "tracks 3 and 4" / "MMSI 247…", for explanations.
fn subject_name(s: &Subject) -> String {
    match s {
        Subject::Track(t) => format!("track {t}"),
        Subject::Pair(a, b) => format!("tracks {a} and {b}"),
        Subject::Mmsi(m) => format!("MMSI {m}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(kind: AlertKind, track: u64, active: bool, t_s: i64, score: f64) -> Finding {
        Finding {
            kind,
            subject: Subject::Track(track),
            active,
            score,
            severity: Severity::Medium,
            pos: LatLon::new(35.5, 12.6),
            time_ms: t_s * 1000,
            track_id: Some(track),
            mmsi: None,
            persons_on_board: None,
            motion: None,
            explanation: format!("test at {t_s} s"),
            evidence: BTreeMap::new(),
        }
    }

    /// Issue 18: a rescue alert gets a new version when persons on board leave the interval
    /// already published or a count replaces the prior, not when the estimate drifts inside
    /// it or the safe capacity (and so the score) jitters.
    #[test]
    fn rescue_versions_follow_what_a_coordinator_acts_on() {
        use lookout_score::{PersonsOnBoard, PobBasis};
        let mut b = AlertBook::new(AlertPolicy::default());
        let look = |t_s: i64, estimate: u32, low: u32, high: u32, basis: PobBasis, cap: f64| Finding {
            severity: Severity::Critical,
            persons_on_board: Some(PersonsOnBoard { estimate, low, high, basis }),
            ..finding(AlertKind::Overcrowded, 9, true, t_s, f64::from(estimate) / cap)
        };
        let opened = b.observe(look(0, 60, 20, 150, PobBasis::Prior, 11.0)).expect("distress opens at once");
        assert_eq!(opened.alert.version, 1);
        // A count replaces the prior: news.
        assert_eq!(b.observe(look(20, 80, 76, 85, PobBasis::Counted, 11.0)).map(|c| c.alert.version), Some(2));
        // Drift inside 76-85 while the capacity flips 11 -> 13 -> 12: no version.
        for (t, est, cap) in [(40, 81, 13.0), (60, 79, 12.0), (80, 84, 11.0)] {
            assert!(b.observe(look(t, est, est - 3, est + 3, PobBasis::Counted, cap)).is_none(), "at {t} s");
        }
        // Outside the published interval: news.
        assert_eq!(b.observe(look(100, 95, 90, 99, PobBasis::Counted, 11.0)).map(|c| c.alert.version), Some(3));
    }

    #[test]
    fn one_noisy_finding_does_not_open_an_alert() {
        let mut b = AlertBook::new(AlertPolicy::default());
        assert!(b.observe(finding(AlertKind::Loitering, 7, true, 0, 3.0)).is_none());
        assert!(b.observe(finding(AlertKind::Loitering, 7, false, 10, 0.0)).is_none());
        assert!(b.tick(600).is_empty());
        assert_eq!(b.alerts().count(), 0);
    }

    #[test]
    fn lifecycle_open_update_close_with_versions() {
        let mut b = AlertBook::new(AlertPolicy::default());
        assert!(b.observe(finding(AlertKind::Loitering, 7, true, 0, 3.0)).is_none());
        let open = b.observe(finding(AlertKind::Loitering, 7, true, 60, 3.1)).unwrap();
        assert_eq!((open.alert.state, open.alert.version, open.alert.opened_at_ms), (AlertState::Open, 1, 0));
        // A small change of score is no new version; a big one is.
        assert!(b.observe(finding(AlertKind::Loitering, 7, true, 70, 3.2)).is_none());
        let up = b.observe(finding(AlertKind::Loitering, 7, true, 80, 6.0)).unwrap();
        assert_eq!((up.alert.state, up.alert.version), (AlertState::Updated, 2));
        // Clear, but not for long enough: still live.
        b.observe(finding(AlertKind::Loitering, 7, false, 90, 0.0));
        assert!(b.tick(200_000).is_empty());
        // The condition came back: the same alert goes on (no second alert).
        assert!(b.observe(finding(AlertKind::Loitering, 7, true, 250, 6.1)).is_none());
        let closed = b.tick(250_000 + 300_000);
        assert_eq!(closed.len(), 1);
        assert_eq!((closed[0].alert.state, closed[0].alert.version), (AlertState::Closed, 3));
        assert_eq!(b.alerts().count(), 1);
    }

    #[test]
    fn distress_opens_at_once_and_goes_to_rescue() {
        let mut b = AlertBook::new(AlertPolicy::default());
        let c = b.observe(finding(AlertKind::Overcrowded, 9, true, 0, 5.0)).unwrap();
        assert!(c.alert.rescue);
        assert_eq!(c.alert.state, AlertState::Open);
    }

    #[test]
    fn retraction_and_acknowledgement_are_versions() {
        let mut b = AlertBook::new(AlertPolicy::default());
        let id = b.observe(finding(AlertKind::Overcrowded, 9, true, 0, 5.0)).unwrap().alert.alert_id;
        let ack = b.acknowledge(id, "mrcc-rome", "tasked patrol boat", false, 5_000).unwrap();
        assert_eq!(ack.alert.version, 2);
        assert_eq!(ack.alert.acknowledged.as_ref().unwrap().by, "mrcc-rome");
        let r =
            b.retract(AlertKind::Overcrowded, &Subject::Track(9), "late AIS report explains the track", 9_000).unwrap();
        assert_eq!((r.alert.state, r.alert.version), (AlertState::Retracted, 3));
        assert!(b.retract(AlertKind::Overcrowded, &Subject::Track(9), "again", 10_000).is_none());
    }

    #[test]
    fn a_console_that_fell_behind_gets_each_affected_alert_once_in_its_current_state() {
        let mut b = AlertBook::new(AlertPolicy::default());
        let a = b.observe(finding(AlertKind::Overcrowded, 1, true, 0, 5.0)).unwrap();
        let seen = a.seq;
        let x = b.observe(finding(AlertKind::Overcrowded, 2, true, 1, 5.0)).unwrap().alert.alert_id;
        b.acknowledge(x, "op", "", false, 2_000);
        b.acknowledge(a.alert.alert_id, "op", "", false, 3_000);
        let missed = b.changed_since(seen);
        let ids: Vec<(u64, u32)> = missed.iter().map(|a| (a.alert_id, a.version)).collect();
        assert_eq!(ids, vec![(x, 2), (a.alert.alert_id, 2)]);
        assert!(b.changed_since(b.seq()).is_empty());
    }

    /// A drone's look at an overcrowded boat on `track` at `t_s`, at (lat, lon), moving east at 4 kn.
    fn boat(track: u64, t_s: i64, lat: f64, lon: f64) -> Finding {
        Finding {
            severity: Severity::Critical,
            pos: LatLon::new(lat, lon),
            motion: Some(Motion { cog_deg: 90.0, sog_kn: 4.0 }),
            ..finding(AlertKind::Overcrowded, track, true, t_s, 5.0)
        }
    }

    /// Issue 18: silence does not close a rescue alert. After `contact_lost_after` with no
    /// report it is CONTACT_LOST with a datum dead-reckoned from the last course and speed,
    /// a new version every `datum_update_every` as the datum grows, and it is never closed
    /// by the book; only an operator closes it.
    #[test]
    fn a_rescue_alert_loses_contact_instead_of_closing_and_only_an_operator_closes_it() {
        let mut b = AlertBook::new(AlertPolicy::default());
        let id = b.observe(boat(9, 0, 35.0, 12.5)).unwrap().alert.alert_id;
        assert!(b.tick(119_000).is_empty(), "two minutes have not passed");
        let lost = b.tick(120_000);
        assert_eq!(lost.len(), 1);
        let a = &lost[0].alert;
        assert_eq!((a.state, a.version), (AlertState::ContactLost, 2));
        assert!(a.state.is_live());
        let c = a.contact_lost.as_ref().unwrap();
        assert_eq!((c.last_lat, c.last_lon, c.last_seen_ms, c.lost_at_ms), (35.0, 12.5, 0, 120_000));
        assert!(c.why.contains("no report for 120 s"), "{}", c.why);
        assert!(a.explanation.starts_with("CONTACT LOST"), "{}", a.explanation);
        assert!(a.lon > 12.5, "the datum is dead-reckoned east: {}", a.lon);
        let r0 = c.datum_at(120_000).radius_nm;
        // Hours of silence: no close, a version every 10 minutes with a wider datum.
        let mut versions = Vec::new();
        for t in (130..=3 * 3600).step_by(10) {
            versions.extend(b.tick(t * 1000));
        }
        assert_eq!(versions.len(), (3 * 3600 - 120) / 600, "{versions:?}");
        let last = &versions.last().unwrap().alert;
        assert_eq!(last.state, AlertState::ContactLost);
        // The explanation says the datum of this version, not the first one.
        let r = last.contact_lost.as_ref().unwrap().datum_at(last.updated_at_ms).radius_nm;
        assert!(last.explanation.contains(&format!("radius {r:.1} nm")), "{}", last.explanation);
        assert!(last.explanation.contains("Was: test at 0 s"), "{}", last.explanation);
        assert!(last.contact_lost.as_ref().unwrap().datum_at(last.updated_at_ms).radius_nm > 3.0 * r0);
        // The operator closes it, with a note: one version, CLOSED, saying who and why.
        let closed = b.acknowledge(id, "mrcc-rome", "search ended: all 43 rescued by MV Aurora", true, 11_000_000);
        let a = closed.unwrap().alert;
        assert_eq!(a.state, AlertState::Closed);
        assert_eq!(a.acknowledged.unwrap().note, "search ended: all 43 rescued by MV Aurora");
        assert!(a.contact_lost.is_none());
    }

    #[test]
    fn a_deleted_track_loses_contact_at_once_and_the_same_track_regains_it() {
        let mut b = AlertBook::new(AlertPolicy::default());
        let id = b.observe(boat(9, 0, 35.0, 12.5)).unwrap().alert.alert_id;
        let lost = b.track_gone(9, "track deleted", 30_000);
        assert_eq!(lost[0].alert.state, AlertState::ContactLost);
        assert!(b.track_gone(9, "track deleted", 31_000).is_empty(), "already lost");
        // The same subject reported again (a coasting track updated).
        let back = b.observe(boat(9, 200, 35.0, 12.53)).unwrap();
        assert_eq!((back.alert.alert_id, back.alert.state, back.alert.version), (id, AlertState::Updated, 3));
        assert!(back.alert.contact_lost.is_none());
        assert!(back.alert.evidence["contact_regained"].contains("track 9 reported again"));
    }

    #[test]
    fn a_new_track_inside_the_datum_resumes_the_alert_and_one_outside_opens_another() {
        let mut b = AlertBook::new(AlertPolicy::default());
        let id = b.observe(boat(9, 0, 35.0, 12.5)).unwrap().alert.alert_id;
        b.track_gone(9, "track deleted", 60_000);
        // 20 minutes later, at 4 kn east the datum is ~1.33 nm east, radius ~0.7 nm.
        let t = 20 * 60;
        let far = b.observe(boat(31, t, 35.2, 12.5)).unwrap();
        assert_ne!(far.alert.alert_id, id, "12 nm away: another boat");
        let near = b.observe(boat(30, t, 35.0, 12.525)).unwrap();
        assert_eq!((near.alert.alert_id, near.alert.state), (id, AlertState::Updated));
        assert_eq!(near.alert.track_id, Some(30));
        assert!(near.alert.explanation.contains("track 30 inside the datum"), "{}", near.alert.explanation);
        // It now follows track 30: another look at track 30 updates the same alert.
        assert_eq!(b.observe(boat(30, t + 600, 35.0, 12.6)).unwrap().alert.alert_id, id);
    }

    #[test]
    fn one_boat_on_two_tracks_gives_one_alert() {
        let mut b = AlertBook::new(AlertPolicy::default());
        let first = b.observe(boat(3, 0, 34.9688, 12.4142)).unwrap().alert.alert_id;
        let second = b.observe(boat(4, 31, 34.9690, 12.4150)).unwrap().alert.alert_id;
        assert_ne!(first, second, "two live tracks: the book cannot tell yet");
        let changes = b.track_gone(3, "track deleted", 90_000);
        assert_eq!(changes.len(), 2);
        let gone = &changes[0].alert;
        assert_eq!((gone.alert_id, gone.state, gone.merged_into), (first, AlertState::Retracted, Some(second)));
        assert!(gone.retraction.as_deref().unwrap().contains("the same boat as alert"), "{gone:?}");
        let kept = &changes[1].alert;
        assert_eq!((kept.alert_id, kept.state), (second, AlertState::Updated));
        assert_eq!(kept.evidence["merged_alerts"], first.to_string());
        assert_eq!(b.alerts().filter(|a| a.state.is_live()).count(), 1);
    }

    /// Issue 18: two rescue alerts on two live tracks the judge found to be one boat
    /// merge into the older one (the younger RETRACTED with `merged_into`, the older
    /// recording `merged_alerts` and the evidence); the merged track's findings then
    /// update the surviving alert; when one track ends the alert follows the other
    /// instead of losing contact.
    #[test]
    fn two_live_tracks_judged_one_boat_merge_into_the_older_alert_which_follows_both() {
        let mut b = AlertBook::new(AlertPolicy::default());
        let first = b.observe(boat(3, 0, 34.9688, 12.4142)).unwrap().alert.alert_id;
        let second = b.observe(boat(4, 31, 34.9690, 12.4150)).unwrap().alert.alert_id;
        assert_eq!(b.rescue_tracks_in_contact(), vec![(first, 3), (second, 4)]);
        // The judge's evidence arrives with the younger track first: the older alert survives.
        let changes = b.merge_same_boat(4, 3, "tracks 3 and 4 together for 60 s", 95_000);
        assert_eq!(changes.len(), 2);
        let gone = &changes[0].alert;
        assert_eq!((gone.alert_id, gone.state, gone.merged_into), (second, AlertState::Retracted, Some(first)));
        assert!(gone.retraction.as_deref().unwrap().contains("together for 60 s"), "{gone:?}");
        let kept = &changes[1].alert;
        assert_eq!((kept.alert_id, kept.state, kept.version), (first, AlertState::Updated, 2));
        assert_eq!(kept.evidence["merged_alerts"], second.to_string());
        assert_eq!(kept.evidence["same_boat"], "tracks 3 and 4 together for 60 s");
        assert_eq!(b.rescue_tracks_in_contact(), vec![(first, 3)]);
        // Track 4's looks update the surviving alert (2 km on: a version), never a new one.
        let up = b.observe(boat(4, 120, 34.9690, 12.436)).unwrap().alert;
        assert_eq!((up.alert_id, up.track_id), (first, Some(4)));
        // Track 3 (the alert's own) is deleted: the alert follows track 4, in contact.
        let over = b.track_gone(3, "track deleted", 130_000);
        assert_eq!(over.len(), 1, "{over:?}");
        let a = &over[0].alert;
        assert_eq!((a.alert_id, a.state, a.track_id), (first, AlertState::Updated, Some(4)));
        assert!(a.evidence["track_handover"].contains("the same boat goes on as track 4"), "{a:?}");
        assert_eq!(b.rescue_tracks_in_contact(), vec![(first, 4)]);
        // Track 4 ends too: now contact is lost.
        let lost = b.track_gone(4, "track deleted", 140_000);
        assert_eq!(lost[0].alert.state, AlertState::ContactLost);
        assert_eq!(b.alerts().filter(|a| a.state.is_live()).count(), 1);
    }

    /// Tracks judged one boat before the second had an alert: its distress findings
    /// go to the open alert (no second alert, nothing retracted), and a retraction
    /// aimed at the merged track leaves the boat's alert alone.
    #[test]
    fn a_track_judged_the_same_boat_before_its_alert_opens_feeds_the_open_one() {
        let mut b = AlertBook::new(AlertPolicy::default());
        let first = b.observe(boat(3, 0, 34.9688, 12.4142)).unwrap().alert.alert_id;
        assert!(b.merge_same_boat(3, 4, "evidence", 60_000).is_empty(), "nothing to retract");
        assert!(b.merge_same_boat(5, 6, "evidence", 60_000).is_empty(), "no alert on either track");
        assert!(b.observe(boat(4, 61, 34.9690, 12.4150)).is_none(), "a look at the same boat, not news");
        let moved = b.observe(boat(4, 300, 34.9690, 12.44)).unwrap().alert;
        assert_eq!((moved.alert_id, moved.version), (first, 2));
        assert_eq!(b.alerts().count(), 1);
        // What explains track 4 (a late AIS report) does not explain the boat on track 3.
        assert!(b.retract(AlertKind::Overcrowded, &Subject::Track(4), "late AIS", 302_000).is_none());
        assert_eq!(b.get(first).unwrap().state, AlertState::Updated);
        // Track 6 had no alert: its finding opens one.
        assert_ne!(b.observe(boat(6, 301, 35.5, 12.0)).unwrap().alert.alert_id, first);
    }

    /// Issue 18: a lost contact resumed on a radar-only track (no finding of its own)
    /// stays in contact while that track is sighted, keeps the boat's persons on board,
    /// says why in `evidence.contact_regained`, and loses contact again when the
    /// sightings stop; only a CONTACT_LOST alert can be resumed so.
    #[test]
    fn a_lost_contact_resumed_on_a_radar_only_track_follows_its_sightings() {
        let mut b = AlertBook::new(AlertPolicy::default());
        let pob =
            lookout_score::PersonsOnBoard { estimate: 60, low: 55, high: 66, basis: lookout_score::PobBasis::Counted };
        let id = b.observe(Finding { persons_on_board: Some(pob), ..boat(9, 0, 35.0, 12.5) }).unwrap().alert.alert_id;
        let east = Some(Motion { cog_deg: 90.0, sog_kn: 4.0 });
        assert!(b.regain_on_track(id, 77, LatLon::new(35.0, 12.52), 60_000, east, "x".into()).is_none(), "in contact");
        b.track_gone(9, "track deleted", 60_000);
        assert_eq!(b.lost_contacts().len(), 1);
        assert!(!b.track_has_alert(77));
        let why = "contact regained: radar-only track 77 (no count) inside the datum".to_string();
        let back = b.regain_on_track(id, 77, LatLon::new(35.0, 12.52), 600_000, east, why.clone()).unwrap().alert;
        assert_eq!((back.alert_id, back.state, back.track_id), (id, AlertState::Updated, Some(77)));
        assert_eq!(back.evidence["contact_regained"], why);
        assert_eq!(back.persons_on_board, Some(pob), "the boat's count, not the radar's none");
        assert!(back.explanation.starts_with(&why) && back.explanation.contains("test at 0 s"), "{}", back.explanation);
        assert!(b.lost_contacts().is_empty() && b.track_has_alert(77));
        assert_eq!(b.sighting_only_tracks(), vec![77]);
        // Sighted every 10 s for an hour, the radar track's own finding inactive on a
        // class prior (no count): neither lost nor closed (no look says the boat is out
        // of distress).
        let prior =
            lookout_score::PersonsOnBoard { estimate: 5, low: 1, high: 203, basis: lookout_score::PobBasis::Prior };
        for t in (610..=4200).step_by(10) {
            let radar = Finding { active: false, persons_on_board: Some(prior), ..boat(77, t, 35.0, 12.52) };
            assert!(b.observe(radar).is_none());
            b.sighted(77, LatLon::new(35.0, 12.52), t * 1000, east);
            assert!(b.tick(t * 1000).iter().all(|c| c.alert.state.is_live()), "at {t} s");
        }
        assert_eq!(b.get(id).unwrap().state, AlertState::Updated);
        // The sightings stop: contact lost again after `contact_lost_after`.
        let lost = b.tick(4_200_000 + 120_000);
        assert_eq!((lost.len(), lost[0].alert.state), (1, AlertState::ContactLost));
    }

    #[test]
    fn a_rescue_alert_seen_but_no_longer_in_distress_closes() {
        let mut b = AlertBook::new(AlertPolicy::default());
        b.observe(boat(9, 0, 35.0, 12.5)).unwrap();
        // Reported every minute, no longer overcrowded (people taken off).
        let mut closed = Vec::new();
        for t in (60..=400).step_by(60) {
            b.observe(Finding { active: false, ..boat(9, t, 35.0, 12.5) });
            closed.extend(b.tick(t * 1000));
        }
        assert_eq!(closed.len(), 1);
        assert_eq!(closed[0].alert.state, AlertState::Closed);
    }

    #[test]
    fn pairs_are_one_subject_whatever_the_order() {
        assert_eq!(Subject::pair(5, 3), Subject::pair(3, 5));
    }
}
