//! Detection events from radar trackers, drones (EO/IR cameras), patrol
//! aircraft and satellite imagery, as they arrive through gRPC
//! `PushDetections` or as JSON Lines files (one event per line, in the proto3
//! JSON form of the same message), and their validation into [`Detection`]s.
//!
//! # JSON form
//! Field names in snake_case as in the proto (`sensor_id`), or the proto3
//! JSON lowerCamelCase (`sensorId`). Following the proto3 JSON mapping,
//! numbers may also be written as strings (`"12"`, `"NaN"`: int64 values are
//! strings in proto3 JSON), `null` means absent, and enum values may carry
//! their proto prefix (`SENSOR_KIND_RADAR`, `VESSEL_CLASS_RUBBER_BOAT`);
//! enum names are matched ignoring ASCII case. Numeric enum values are
//! refused (their numbers belong to the proto, not to this file's readers).
//! Empty `detection_id` / `image_ref` strings are absent (proto3 writes
//! nothing for an empty string).
//!
//! # Unknown fields are errors
//! Proto3 JSON parsers ignore unknown fields by default, for schema
//! evolution. Here they are **rejected**, naming the field: these files are
//! written by our own integrations, and a misspelt field (`person_counted`,
//! `positionError`) would otherwise silently drop the very value a rescue
//! decision rests on (persons on board, position error). The cost — an older
//! Lookout refuses files from a newer schema — is visible and fixable; a
//! silently dropped head count is neither.
//!
//! # Presence
//! `time`, `sensor_id`, `sensor_kind`, `lat`, `lon` and `position_error_m`
//! must be present: a missing `lat` must not become 0°. (A proto3 writer
//! omits fields equal to their default, so the proto should declare `lat` /
//! `lon` with presence, or writers must emit defaults.)

use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use lookout_core::{Detection, SensorKind, VesselClass};

use crate::InvalidField as Error;

/// Largest accepted one-sigma position error, metres (100 km).
pub const MAX_POSITION_ERROR_M: f64 = 100_000.0;
/// Largest accepted head count in one detection.
pub const MAX_PERSONS: i64 = 5000;
/// Largest accepted speed, knots.
pub const MAX_SPEED_KN: f64 = 100.0;
/// Largest accepted vessel length, metres.
pub const MAX_LENGTH_M: f64 = 500.0;
/// Longest accepted `sensor_id` / `detection_id`, bytes.
pub const MAX_ID_BYTES: usize = 256;
/// Longest accepted `image_ref`, bytes.
pub const MAX_IMAGE_REF_BYTES: usize = 2048;

/// Raw, unvalidated event exactly as JSON carries it: snake_case names with
/// the proto3 JSON camelCase names as aliases; unknown fields rejected (see
/// the module doc for why). [`DetectionEvent::validate`] turns it into a
/// [`Detection`]; [`parse_json_line`] does both and names the offending
/// field on every error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectionEvent {
    /// RFC 3339, e.g. `2026-11-22T03:10:00Z`.
    pub time: String,
    #[serde(alias = "sensorId")]
    pub sensor_id: String,
    /// RADAR, DRONE, EO_IR, AIRCRAFT, SAR_SATELLITE, OTHER (optionally `SENSOR_KIND_`-prefixed).
    #[serde(alias = "sensorKind")]
    pub sensor_kind: String,
    #[serde(deserialize_with = "de_f64")]
    pub lat: f64,
    #[serde(deserialize_with = "de_f64")]
    pub lon: f64,
    /// One-sigma horizontal error, metres.
    #[serde(alias = "positionErrorM", deserialize_with = "de_f64")]
    pub position_error_m: f64,
    #[serde(default, alias = "courseDeg", deserialize_with = "de_opt_f64", skip_serializing_if = "Option::is_none")]
    pub course_deg: Option<f64>,
    #[serde(default, alias = "speedKn", deserialize_with = "de_opt_f64", skip_serializing_if = "Option::is_none")]
    pub speed_kn: Option<f64>,
    #[serde(default, alias = "lengthM", deserialize_with = "de_opt_f64", skip_serializing_if = "Option::is_none")]
    pub length_m: Option<f64>,
    /// RUBBER_BOAT, WOODEN_BOAT, FISHING, SAILING, MOTOR_YACHT, MERCHANT, UNKNOWN
    /// (optionally `VESSEL_CLASS_`-prefixed).
    #[serde(default, alias = "vesselClass", skip_serializing_if = "Option::is_none")]
    pub vessel_class: Option<String>,
    #[serde(
        default,
        alias = "personsCounted",
        deserialize_with = "de_opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub persons_counted: Option<i64>,
    /// 0..=1; only with `persons_counted`.
    #[serde(
        default,
        alias = "countConfidence",
        deserialize_with = "de_opt_f64",
        skip_serializing_if = "Option::is_none"
    )]
    pub count_confidence: Option<f64>,
    #[serde(default, alias = "detectionId", skip_serializing_if = "Option::is_none")]
    pub detection_id: Option<String>,
    #[serde(default, alias = "imageRef", skip_serializing_if = "Option::is_none")]
    pub image_ref: Option<String>,
}

// ---------------------------------------------------------------------------
// Lenient proto3-JSON scalars, shared by the serde derive and parse_json_line.

/// A proto3 JSON double: a number, or a string holding one (`"1.5"`, `"NaN"`,
/// `"Infinity"`, `"-Infinity"`). Non-finite values pass here and are refused
/// by validation, naming the field.
fn value_f64(v: &Value) -> Result<f64, String> {
    match v {
        Value::Number(n) => n.as_f64().ok_or_else(|| format!("not a number: {n}")),
        Value::String(s) => match s.as_str() {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            t => t.trim().parse::<f64>().map_err(|_| format!("not a number: {s:?}")),
        },
        other => Err(format!("expected a number, got {}", kind(other))),
    }
}

/// A proto3 JSON integer: a number without fraction, or a string holding one.
fn value_i64(v: &Value) -> Result<i64, String> {
    let integral = |f: f64| (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64);
    match v {
        Value::Number(n) => {
            n.as_i64().or_else(|| n.as_f64().and_then(integral)).ok_or_else(|| format!("not a whole number: {n}"))
        }
        Value::String(s) => s
            .trim()
            .parse::<i64>()
            .ok()
            .or_else(|| s.trim().parse::<f64>().ok().and_then(integral))
            .ok_or_else(|| format!("not a whole number: {s:?}")),
        other => Err(format!("expected a whole number, got {}", kind(other))),
    }
}

fn value_string(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        other => Err(format!("expected a string, got {}", kind(other))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn de_f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    value_f64(&Value::deserialize(d)?).map_err(serde::de::Error::custom)
}

fn de_opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        v => value_f64(&v).map(Some).map_err(serde::de::Error::custom),
    }
}

fn de_opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        v => value_i64(&v).map(Some).map_err(serde::de::Error::custom),
    }
}

// ---------------------------------------------------------------------------

/// Every field: (snake_case name, proto3 JSON name).
const FIELDS: [(&str, &str); 14] = [
    ("time", "time"),
    ("sensor_id", "sensorId"),
    ("sensor_kind", "sensorKind"),
    ("lat", "lat"),
    ("lon", "lon"),
    ("position_error_m", "positionErrorM"),
    ("course_deg", "courseDeg"),
    ("speed_kn", "speedKn"),
    ("length_m", "lengthM"),
    ("vessel_class", "vesselClass"),
    ("persons_counted", "personsCounted"),
    ("count_confidence", "countConfidence"),
    ("detection_id", "detectionId"),
    ("image_ref", "imageRef"),
];

impl DetectionEvent {
    /// Reads an event from a parsed JSON object, naming the field on every
    /// error (unknown field, given twice, wrong type, missing). An unknown
    /// field or a non-object is reported as field `event`.
    pub fn from_json_value(v: Value) -> Result<DetectionEvent, Error> {
        let Value::Object(obj) = v else {
            return Err(Error::new("event", format!("expected a JSON object, got {}", kind(&v))));
        };
        let mut slots: [Option<Value>; 14] = Default::default();
        for (key, value) in obj {
            let Some(i) = FIELDS.iter().position(|(s, c)| key == *s || key == *c) else {
                return Err(Error::new("event", format!("unknown field {key:?}")));
            };
            if slots[i].is_some() {
                return Err(Error::new(FIELDS[i].0, "given twice"));
            }
            // proto3 JSON: null is the default value, i.e. absent.
            if !value.is_null() {
                slots[i] = Some(value);
            }
        }
        let mut slots = slots.into_iter().zip(FIELDS.iter().map(|f| f.0));
        let mut next = move || slots.next().expect("14 fields");
        fn req<T>((v, name): (Option<Value>, &'static str), conv: fn(&Value) -> Result<T, String>) -> Result<T, Error> {
            let v = v.ok_or_else(|| Error::new(name, "missing"))?;
            conv(&v).map_err(|e| Error::new(name, e))
        }
        fn opt<T>(
            (v, name): (Option<Value>, &'static str),
            conv: fn(&Value) -> Result<T, String>,
        ) -> Result<Option<T>, Error> {
            v.map(|v| conv(&v).map_err(|e| Error::new(name, e))).transpose()
        }
        Ok(DetectionEvent {
            time: req(next(), value_string)?,
            sensor_id: req(next(), value_string)?,
            sensor_kind: req(next(), value_string)?,
            lat: req(next(), value_f64)?,
            lon: req(next(), value_f64)?,
            position_error_m: req(next(), value_f64)?,
            course_deg: opt(next(), value_f64)?,
            speed_kn: opt(next(), value_f64)?,
            length_m: opt(next(), value_f64)?,
            vessel_class: opt(next(), value_string)?,
            persons_counted: opt(next(), value_i64)?,
            count_confidence: opt(next(), value_f64)?,
            detection_id: opt(next(), value_string)?,
            image_ref: opt(next(), value_string)?,
        })
    }

    /// Checks every field and builds the [`Detection`]. `now_ms` is the
    /// current time (the recording's clock in replay); events stamped more
    /// than `max_future_ms` after it are refused. Errors are
    /// `InvalidArgument` naming the snake_case field.
    pub fn validate(self, now_ms: i64, max_future_ms: i64) -> Result<Detection, Error> {
        let time_ms = parse_time(&self.time)?;
        if time_ms.saturating_sub(now_ms) > max_future_ms {
            return Err(Error::new(
                "time",
                format!("{} is {} ms in the future (at most {max_future_ms} allowed)", self.time, time_ms - now_ms),
            ));
        }
        let sensor_id = self.sensor_id.trim();
        if sensor_id.is_empty() {
            return Err(Error::new("sensor_id", "empty"));
        }
        if sensor_id.len() > MAX_ID_BYTES {
            return Err(Error::new("sensor_id", format!("longer than {MAX_ID_BYTES} bytes")));
        }
        let sensor_kind = parse_sensor_kind(&self.sensor_kind)?;
        in_range("lat", self.lat, -90.0, 90.0)?;
        in_range("lon", self.lon, -180.0, 180.0)?;
        let e = finite("position_error_m", self.position_error_m)?;
        if e <= 0.0 || e > MAX_POSITION_ERROR_M {
            return Err(Error::new("position_error_m", format!("{e} is not in (0, {MAX_POSITION_ERROR_M}] m")));
        }
        if let Some(c) = self.course_deg {
            if !(0.0..360.0).contains(&finite("course_deg", c)?) {
                return Err(Error::new("course_deg", format!("{c} is not in [0, 360)")));
            }
        }
        if let Some(s) = self.speed_kn {
            in_range("speed_kn", s, 0.0, MAX_SPEED_KN)?;
        }
        if let Some(l) = self.length_m {
            let l = finite("length_m", l)?;
            if l <= 0.0 || l > MAX_LENGTH_M {
                return Err(Error::new("length_m", format!("{l} is not in (0, {MAX_LENGTH_M}] m")));
            }
        }
        let vessel_class = match self.vessel_class.as_deref() {
            None => None,
            Some(s) => parse_vessel_class(s)?,
        };
        let persons_counted = match self.persons_counted {
            None => None,
            Some(n) if (0..=MAX_PERSONS).contains(&n) => Some(n as u32),
            Some(n) => return Err(Error::new("persons_counted", format!("{n} is not in 0..={MAX_PERSONS}"))),
        };
        if let Some(c) = self.count_confidence {
            in_range("count_confidence", c, 0.0, 1.0)?;
            if persons_counted.is_none() {
                return Err(Error::new("count_confidence", "given without persons_counted"));
            }
        }
        let detection_id = optional_text("detection_id", self.detection_id, MAX_ID_BYTES)?;
        let image_ref = optional_text("image_ref", self.image_ref, MAX_IMAGE_REF_BYTES)?;
        Ok(Detection {
            time_ms,
            sensor_id: sensor_id.into(),
            sensor_kind,
            pos: lookout_core::LatLon::new(self.lat, self.lon),
            position_error_m: e,
            course_deg: self.course_deg,
            speed_kn: self.speed_kn,
            length_m: self.length_m,
            vessel_class,
            persons_counted,
            count_confidence: self.count_confidence,
            detection_id,
            image_ref,
        })
    }
}

/// Parses and validates one JSON Lines event (see [`DetectionEvent`]).
/// Every error is `InvalidArgument` naming the snake_case field (`event` for
/// a line that is not a JSON object or has an unknown field).
pub fn parse_json_line(line: &str, now_ms: i64, max_future_ms: i64) -> Result<Detection, Error> {
    let v: Value = serde_json::from_str(line.trim()).map_err(|e| Error::new("event", format!("not JSON: {e}")))?;
    DetectionEvent::from_json_value(v)?.validate(now_ms, max_future_ms)
}

/// RFC 3339 -> Unix ms.
fn parse_time(s: &str) -> Result<i64, Error> {
    lookout_core::time::parse_rfc3339_ms(s.trim())
        .map_err(|e| Error::new("time", format!("{s:?} is not an RFC 3339 time: {e}")))
}

fn finite(field: &'static str, v: f64) -> Result<f64, Error> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(Error::new(field, format!("{v} is not a finite number")))
    }
}

fn in_range(field: &'static str, v: f64, lo: f64, hi: f64) -> Result<f64, Error> {
    if (lo..=hi).contains(&finite(field, v)?) {
        Ok(v)
    } else {
        Err(Error::new(field, format!("{v} is not in [{lo}, {hi}]")))
    }
}

fn optional_text(field: &'static str, v: Option<String>, max: usize) -> Result<Option<Arc<str>>, Error> {
    match v {
        Some(s) if s.len() > max => Err(Error::new(field, format!("longer than {max} bytes"))),
        Some(s) if !s.trim().is_empty() => Ok(Some(s.trim().into())),
        _ => Ok(None),
    }
}

/// Strips an optional proto enum prefix, case-insensitively.
fn enum_name<'a>(s: &'a str, prefix: &str) -> &'a str {
    let s = s.trim();
    match s.get(..prefix.len()) {
        Some(p) if p.eq_ignore_ascii_case(prefix) => &s[prefix.len()..],
        _ => s,
    }
}

/// `RADAR`, `SENSOR_KIND_RADAR`, ... (ASCII case ignored).
pub fn parse_sensor_kind(s: &str) -> Result<SensorKind, Error> {
    let name = enum_name(s, "SENSOR_KIND_").to_ascii_uppercase();
    Ok(match name.as_str() {
        "RADAR" => SensorKind::Radar,
        "DRONE" => SensorKind::Drone,
        "EO_IR" => SensorKind::EoIr,
        "AIRCRAFT" => SensorKind::Aircraft,
        "SAR_SATELLITE" => SensorKind::SarSatellite,
        "OTHER" => SensorKind::Other,
        _ => {
            return Err(Error::new(
                "sensor_kind",
                format!("{s:?} is not one of RADAR, DRONE, EO_IR, AIRCRAFT, SAR_SATELLITE, OTHER"),
            ))
        }
    })
}

/// `RUBBER_BOAT`, `VESSEL_CLASS_RUBBER_BOAT`, ... (ASCII case ignored);
/// `VESSEL_CLASS_UNSPECIFIED` (the proto3 default) is absent.
pub fn parse_vessel_class(s: &str) -> Result<Option<VesselClass>, Error> {
    let name = enum_name(s, "VESSEL_CLASS_").to_ascii_uppercase();
    Ok(Some(match name.as_str() {
        "UNSPECIFIED" => return Ok(None),
        "RUBBER_BOAT" => VesselClass::RubberBoat,
        "WOODEN_BOAT" => VesselClass::WoodenBoat,
        "FISHING" => VesselClass::Fishing,
        "SAILING" => VesselClass::Sailing,
        "MOTOR_YACHT" => VesselClass::MotorYacht,
        "MERCHANT" => VesselClass::Merchant,
        "UNKNOWN" => VesselClass::Unknown,
        _ => {
            return Err(Error::new(
                "vessel_class",
                format!(
                    "{s:?} is not one of RUBBER_BOAT, WOODEN_BOAT, FISHING, SAILING, MOTOR_YACHT, MERCHANT, UNKNOWN"
                ),
            ))
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"time":"2026-11-22T03:10:00Z","sensor_id":"drone-7","sensor_kind":"DRONE","lat":35.5,"lon":12.6,"position_error_m":25,"persons_counted":"41","count_confidence":0.8}"#;

    #[test]
    fn serde_derive_and_json_line_reader_agree() {
        let a: DetectionEvent = serde_json::from_str(LINE).unwrap();
        let b = DetectionEvent::from_json_value(serde_json::from_str(LINE).unwrap()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.persons_counted, Some(41));
        // Round trip through Serialize.
        let again: DetectionEvent = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        assert_eq!(again, a);
        // Both refuse unknown fields.
        let bad = LINE.replace("\"lat\"", "\"latitude\"");
        assert!(serde_json::from_str::<DetectionEvent>(&bad).is_err());
        assert!(DetectionEvent::from_json_value(serde_json::from_str(&bad).unwrap()).is_err());
    }

    #[test]
    fn enum_prefixes() {
        assert_eq!(parse_sensor_kind("SENSOR_KIND_EO_IR").unwrap(), SensorKind::EoIr);
        assert_eq!(parse_sensor_kind("sar_satellite").unwrap(), SensorKind::SarSatellite);
        assert!(parse_sensor_kind("SENSOR_KIND_UNSPECIFIED").is_err());
        assert!(parse_sensor_kind("SENSOR_KIND_").is_err());
        assert_eq!(parse_vessel_class("VESSEL_CLASS_RUBBER_BOAT").unwrap(), Some(VesselClass::RubberBoat));
        assert_eq!(parse_vessel_class("VESSEL_CLASS_UNSPECIFIED").unwrap(), None);
        assert!(parse_vessel_class("CANOE").is_err());
    }
}
