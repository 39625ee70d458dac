//! Durations in configuration files are always written the humane way
//! (`"30s"`, `"5m"`, `"1h 30m"`, parsed by `humantime`), whatever unit a
//! field keeps inside: `#[serde(rename = "delete_min", with =
//! "lookout_core::duration::ms")] delete_min_ms: i64` reads `delete_min =
//! "30s"` into milliseconds. A bare number is refused: its unit would be a
//! guess.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serializer};

fn parse<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let s = String::deserialize(d)?;
    humantime::parse_duration(s.trim())
        .map_err(|e| serde::de::Error::custom(format!("{s:?} is not a duration like \"30s\" or \"5m\": {e}")))
}

fn show<S: Serializer>(d: Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&humantime::format_duration(d).to_string())
}

/// A field in milliseconds (`i64`).
pub mod ms {
    use super::*;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let v = parse(d)?;
        i64::try_from(v.as_millis()).map_err(|_| serde::de::Error::custom("duration too long"))
    }

    pub fn serialize<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
        show(Duration::from_millis(u64::try_from(*v).unwrap_or(0)), s)
    }
}

/// A field in seconds (`f64`).
pub mod secs {
    use super::*;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(parse(d)?.as_secs_f64())
    }

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        show(Duration::from_secs_f64(v.max(0.0)), s)
    }
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize, serde::Serialize, Debug, PartialEq)]
    struct T {
        #[serde(rename = "hold", with = "super::ms")]
        hold_ms: i64,
        #[serde(rename = "age", with = "super::secs")]
        age_s: f64,
    }

    #[test]
    fn humane_strings_in_and_out() {
        let t: T = serde_json::from_str(r#"{"hold":"1m 30s","age":"250ms"}"#).unwrap();
        assert_eq!(t, T { hold_ms: 90_000, age_s: 0.25 });
        let back: T = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        assert_eq!(back, t);
        let err = serde_json::from_str::<T>(r#"{"hold":30,"age":"1s"}"#).unwrap_err().to_string();
        assert!(err.contains("expected a string"), "{err}");
        let err = serde_json::from_str::<T>(r#"{"hold":"soon","age":"1s"}"#).unwrap_err().to_string();
        assert!(err.contains("\"soon\" is not a duration"), "{err}");
    }
}
