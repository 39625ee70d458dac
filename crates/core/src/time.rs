//! Time: milliseconds since the Unix epoch (UTC) everywhere, converted to
//! and from civil time by `chrono`.

use chrono::{DateTime, NaiveDate, SecondsFormat};

/// The wall clock, ms since the Unix epoch.
pub fn wall_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Unix ms for a UTC civil time; `None` if any field is out of range (a
/// leap second, `s` = 60, counts as the first second of the next minute).
pub fn unix_ms(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, ms: u32) -> Option<i64> {
    if !(1970..=9999).contains(&y) || h > 23 || mi > 59 || s > 60 || ms > 999 {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, mo, d)?;
    let days = date.signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1)?).num_days();
    Some(((days * 24 + i64::from(h)) * 60 + i64::from(mi)) * 60_000 + i64::from(s) * 1000 + i64::from(ms))
}

/// RFC 3339 UTC with milliseconds, e.g. `2010-06-11T11:46:11.390Z`.
pub fn rfc3339_ms(unix_ms: i64) -> String {
    match DateTime::from_timestamp_millis(unix_ms) {
        Some(t) => t.to_rfc3339_opts(SecondsFormat::Millis, true),
        None => format!("{unix_ms} ms"),
    }
}

/// Parses an RFC 3339 time to Unix ms.
pub fn parse_rfc3339_ms(s: &str) -> Result<i64, chrono::ParseError> {
    DateTime::parse_from_rfc3339(s).map(|t| t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(unix_ms(2010, 6, 11, 11, 46, 11, 390), Some(1_276_256_771_390));
        assert_eq!(rfc3339_ms(1_276_256_771_390), "2010-06-11T11:46:11.390Z");
        assert_eq!(rfc3339_ms(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(parse_rfc3339_ms("2010-06-11T11:46:11.390Z"), Ok(1_276_256_771_390));
        assert_eq!(unix_ms(2010, 2, 30, 0, 0, 0, 0), None);
        assert_eq!(unix_ms(2016, 12, 31, 23, 59, 60, 0), unix_ms(2017, 1, 1, 0, 0, 0, 0));
    }
}
