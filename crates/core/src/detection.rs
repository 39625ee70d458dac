//! Non-AIS detections: coastal and ship radars (ARPA `TTM`/`TLL`), drones and
//! cameras, patrol aircraft and satellite imagery. Every input form (decoded
//! in `lookout-ais`) becomes one [`Detection`]; the tracker fuses them.

use std::sync::Arc;

use crate::geodesy::LatLon;
use crate::ship::VesselClass;

/// What kind of sensor made a detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SensorKind {
    Radar,
    Drone,
    EoIr,
    Aircraft,
    SarSatellite,
    Other,
}

/// One validated detection of a vessel by a non-AIS sensor.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// Observation time, ms since the Unix epoch.
    pub time_ms: i64,
    pub sensor_id: Arc<str>,
    pub sensor_kind: SensorKind,
    pub pos: LatLon,
    /// One-sigma horizontal position error, metres (> 0).
    pub position_error_m: f64,
    /// Course over ground, degrees true.
    pub course_deg: Option<f64>,
    pub speed_kn: Option<f64>,
    pub length_m: Option<f64>,
    pub vessel_class: Option<VesselClass>,
    /// People counted on board in this look (a lower bound when confidence is low).
    pub persons_counted: Option<u32>,
    /// Confidence of the count, 0..=1.
    pub count_confidence: Option<f64>,
    /// Sensor's own id of this detection (radar target number, drone frame id).
    pub detection_id: Option<Arc<str>>,
    /// Reference to imagery (evidence), e.g. a URI.
    pub image_ref: Option<Arc<str>>,
}
