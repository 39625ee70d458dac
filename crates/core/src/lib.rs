//! Lookout's shared vocabulary, used by every stage: WGS84 positions and
//! geodesy ([`geodesy`]), time ([`time`]), identifiers ([`ids`]), the ship
//! classes of AIS and of sensors ([`ship`]) and non-AIS detections
//! ([`detection`]). No I/O, no state.

pub mod detection;
pub mod duration;
pub mod geodesy;
pub mod ids;
pub mod ship;
pub mod time;

pub use detection::{Detection, SensorKind};
pub use geodesy::LatLon;
pub use ids::{Mmsi, SourceId, TrackId};
pub use ship::{AisClass, ShipClass, VesselClass};

/// An input value is impossible; `field` names it as the sender wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidField {
    pub field: &'static str,
    pub reason: String,
}

impl InvalidField {
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self { field, reason: reason.into() }
    }
}

impl std::fmt::Display for InvalidField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid {}: {}", self.field, self.reason)
    }
}

impl std::error::Error for InvalidField {}
