//! Scoring: the traffic [`baseline`] learnt from ordinary AIS traffic, and
//! the [`detectors`] that score what changed in the picture against it (and
//! against the configured zones), reporting [`Finding`]s.

pub mod baseline;
pub mod detectors;
pub mod finding;

pub use baseline::Baseline;
pub use detectors::{AisReceiverConfig, AisReceivers, ScoreConfig, Scorer, Zone, ZoneConfig, ZoneKind, Zones};
pub use finding::{AlertKind, Finding, PersonsOnBoard, PobBasis, Severity, Subject};
