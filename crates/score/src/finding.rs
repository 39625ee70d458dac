//! What detectors report: a [`Finding`] says "this condition holds (or no
//! longer holds) for this subject, now", with the numbers behind it. The
//! alert book (`lookout-alert`) turns findings into alerts.

use std::collections::BTreeMap;

use lookout_core::LatLon;

/// What kind of incident an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlertKind {
    /// A confirmed radar/drone track with no AIS correlation.
    DarkTarget,
    /// A vessel stopped reporting inside coverage, away from port.
    AisGap,
    /// Lingering at low speed where vessels do not linger.
    Loitering,
    /// Two vessels close together at low speed away from port.
    Rendezvous,
    /// Movement the baseline finds very unlikely.
    RouteDeviation,
    /// An implied speed no vessel reaches, or one MMSI in two places.
    PositionJump,
    /// More people on board than the boat can carry safely.
    Overcrowded,
}

impl AlertKind {
    /// Distress-like kinds go first, and to rescue: saving lives comes before
    /// any investigation.
    pub fn is_distress(self) -> bool {
        matches!(self, AlertKind::Overcrowded)
    }
}

/// How urgent an alert is. Ordered: `Critical` is the highest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

/// Who an alert is about: the incident's identity. The same subject with the
/// same kind is the same incident while its alert is live.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    /// A vessel or track, by track id.
    Track(u64),
    /// Two tracks (in ascending order), e.g. a rendezvous.
    Pair(u64, u64),
    /// An MMSI (e.g. one identity seen in two places at once).
    Mmsi(u32),
}

impl Subject {
    /// A pair subject, independent of the order the tracks were given in.
    pub fn pair(a: u64, b: u64) -> Self {
        Subject::Pair(a.min(b), a.max(b))
    }
}

/// Persons-on-board estimate carried by an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PersonsOnBoard {
    pub estimate: u32,
    pub low: u32,
    pub high: u32,
    /// What the number rests on: a coordinator must not read a prior as a count.
    pub basis: PobBasis,
}

/// What a persons-on-board estimate rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PobBasis {
    /// The class and length prior only: no one has counted.
    Prior,
    /// At least one count (a drone or camera look) fused with the prior.
    Counted,
}

/// What a detector observed about one subject at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub kind: AlertKind,
    pub subject: Subject,
    /// True while the condition holds; false reports that it no longer does.
    pub active: bool,
    /// The detector's measure of how unusual this is (larger: more).
    pub score: f64,
    pub severity: Severity,
    pub pos: LatLon,
    pub time_ms: i64,
    pub track_id: Option<u64>,
    pub mmsi: Option<u32>,
    pub persons_on_board: Option<PersonsOnBoard>,
    /// How the subject was moving, when known: a rescue alert dead-reckons its
    /// datum from the last one if contact is lost.
    pub motion: Option<Motion>,
    /// One sentence with the numbers, for an operator.
    pub explanation: String,
    /// Structured evidence (name → value), kept in name order.
    pub evidence: BTreeMap<String, String>,
}

/// Course and speed over ground at a finding.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Motion {
    /// Course over ground, degrees true.
    pub cog_deg: f64,
    /// Speed over ground, knots.
    pub sog_kn: f64,
}
