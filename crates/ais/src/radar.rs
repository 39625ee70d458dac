//! ARPA radar trackers: `$--TTM` (tracked target message) and `$--TLL`
//! (target latitude/longitude), any talker, turned into [`Detection`]s.
//!
//! # Why hand-written
//! The design card names the `nmea` crate for non-AIS sentences, but measured
//! here (`shared/notes/ais-decoding.md`, `tests/offline/detect.rs`) `nmea` 0.8 falls
//! short for radar: its TTM parser needs all 15 fields, so the older 13-field
//! form (NMEA 2.x, and what OpenCPN's radar_pi writes) fails; it takes target
//! numbers 0–99 only (ARPA trackers number up to 999); bearing and course are
//! not readable through its API; TLL is not supported at all. These two
//! sentences are a few fields each, so a small parser here costs less than
//! working around the crate.
//!
//! # Field layouts (NMEA 0183; gpsd `NMEA.adoc`)
//! `$--TTM,num,dist,brg,T/R,spd,crs,T/R,cpa,tcpa,units K/N/S,name,status L/Q/T,ref,hhmmss.ss,acq A/M/R*hh`
//! (fields 14–15 only from NMEA 3; 13, 14 or 15 fields are accepted).
//! `$--TLL,num,llll.ll,N/S,yyyyy.yy,E/W,name,hhmmss.ss,status,ref*hh`
//! (8 or 9 fields; the `ref` field is left out by some writers).
//!
//! Policies: every field is trimmed of spaces first (OpenCPN space-fills
//! empty fields). An empty field is "not given"; a field that is present but
//! unreadable is an error naming it — a tracker that writes garbage should
//! be noticed, not half-believed. Empty `T/R` flags mean true (north-up), an
//! empty status means "not lost", and empty units are the site's default.

use std::sync::Arc;

use lookout_core::geodesy::{destination, distance_m, norm_deg, LatLon, M_PER_NM};
use lookout_core::{Detection, SensorKind};

/// Units of TTM distances and speeds (speeds are distance units per hour).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RangeUnit {
    /// `K`: kilometres, km/h.
    Kilometres,
    /// `N`: nautical miles, knots.
    NauticalMiles,
    /// `S`: statute miles, mph.
    StatuteMiles,
}

impl RangeUnit {
    /// Metres in one unit.
    pub fn metres(self) -> f64 {
        match self {
            RangeUnit::Kilometres => 1000.0,
            RangeUnit::NauticalMiles => M_PER_NM,
            RangeUnit::StatuteMiles => 1609.344,
        }
    }

    /// Knots in one unit per hour.
    pub fn knots(self) -> f64 {
        self.metres() / M_PER_NM
    }
}

/// ARPA target status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetStatus {
    /// `L`: lost; no longer a detection.
    Lost,
    /// `Q`: query (being acquired); still a detection.
    Query,
    /// `T`: tracking.
    Tracking,
}

/// One `$--TTM` sentence. Distances, speeds and CPA are in [`Ttm::units`].
#[derive(Debug, Clone, PartialEq)]
pub struct Ttm {
    /// Target number (NMEA says 00–99; ARPA trackers go to 999, any `u32` is taken).
    pub target: u32,
    /// Distance from own ship / the antenna.
    pub distance: Option<f64>,
    /// Bearing from own ship, degrees in [0, 360).
    pub bearing_deg: Option<f64>,
    /// Bearing is true (`T`, or empty) rather than relative (`R`).
    pub bearing_true: bool,
    pub speed: Option<f64>,
    /// Course, degrees in [0, 360).
    pub course_deg: Option<f64>,
    /// Course is true (`T`, or empty) rather than relative (`R`).
    pub course_true: bool,
    /// Distance of closest point of approach.
    pub cpa: Option<f64>,
    /// Time to CPA, minutes (negative once past).
    pub tcpa_min: Option<f64>,
    /// `None` when the field is empty: the site's default applies.
    pub units: Option<RangeUnit>,
    pub name: Option<String>,
    /// `None` when the field is empty.
    pub status: Option<TargetStatus>,
    /// Reference target (`R`): a fixed object the radar uses to stabilise.
    pub reference: bool,
    /// UTC time of day of the data, seconds since midnight (NMEA 3).
    pub time_of_day_s: Option<f64>,
    /// Acquisition: `A` automatic, `M` manual, `R` reported (NMEA 3).
    pub acquisition: Option<char>,
}

/// One `$--TLL` sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct Tll {
    /// Target number; `None` when empty (seen in the wild).
    pub target: Option<u32>,
    pub pos: Option<LatLon>,
    pub name: Option<String>,
    /// UTC time of day, seconds since midnight.
    pub time_of_day_s: Option<f64>,
    /// `None` when the field is empty.
    pub status: Option<TargetStatus>,
    /// Reference target (`R`).
    pub reference: bool,
}

/// What was wrong with a TTM/TLL sentence. Field numbers count from 1 after
/// the sentence name (`$RATTM,<1>,<2>,...`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RadarError {
    #[error("{sentence}: {got} fields, expected {expected}")]
    FieldCount { sentence: &'static str, expected: &'static str, got: usize },
    #[error("{sentence} field {index} ({name}) {value:?}: {reason}")]
    Field { sentence: &'static str, index: usize, name: &'static str, value: String, reason: &'static str },
}

/// Field access with error context.
struct Fields<'a> {
    sentence: &'static str,
    f: Vec<&'a str>,
}

impl<'a> Fields<'a> {
    fn new(
        sentence: &'static str,
        fields: &'a str,
        expected: &'static str,
        ok: impl Fn(usize) -> bool,
    ) -> Result<Self, RadarError> {
        let f: Vec<&str> = fields.split(',').map(|s| s.trim_matches(|c: char| c == ' ' || c == '\0')).collect();
        if !ok(f.len()) {
            return Err(RadarError::FieldCount { sentence, expected, got: f.len() });
        }
        Ok(Fields { sentence, f })
    }

    /// Field `index` (1-based), `None` if empty or absent.
    fn get(&self, index: usize) -> Option<&'a str> {
        self.f.get(index - 1).copied().filter(|s| !s.is_empty())
    }

    fn err(&self, index: usize, name: &'static str, reason: &'static str) -> RadarError {
        RadarError::Field {
            sentence: self.sentence,
            index,
            name,
            value: self.f.get(index - 1).copied().unwrap_or("").to_string(),
            reason,
        }
    }

    fn num(&self, index: usize, name: &'static str) -> Result<Option<f64>, RadarError> {
        self.get(index).map(|s| decimal(s).ok_or_else(|| self.err(index, name, "not a decimal number"))).transpose()
    }

    fn non_negative(&self, index: usize, name: &'static str) -> Result<Option<f64>, RadarError> {
        match self.num(index, name)? {
            Some(v) if v < 0.0 => Err(self.err(index, name, "negative")),
            v => Ok(v),
        }
    }

    /// Degrees in [0, 360]; 360 is read as 0.
    fn angle(&self, index: usize, name: &'static str) -> Result<Option<f64>, RadarError> {
        match self.num(index, name)? {
            Some(v) if !(0.0..=360.0).contains(&v) => Err(self.err(index, name, "outside 0..360")),
            v => Ok(v.map(norm_deg)),
        }
    }

    /// `T` / `R` / empty (true).
    fn true_flag(&self, index: usize, name: &'static str) -> Result<bool, RadarError> {
        match self.get(index) {
            None | Some("T") => Ok(true),
            Some("R") => Ok(false),
            Some(_) => Err(self.err(index, name, "expected T or R")),
        }
    }

    fn target(&self, index: usize) -> Result<Option<u32>, RadarError> {
        self.get(index)
            .map(|s| {
                if s.bytes().all(|c| c.is_ascii_digit()) {
                    s.parse::<u32>().map_err(|_| self.err(index, "target number", "too large"))
                } else {
                    Err(self.err(index, "target number", "not a whole number"))
                }
            })
            .transpose()
    }

    fn name(&self, index: usize) -> Option<String> {
        self.get(index).map(str::to_string)
    }

    fn status(&self, index: usize) -> Result<Option<TargetStatus>, RadarError> {
        match self.get(index) {
            None => Ok(None),
            Some("L") => Ok(Some(TargetStatus::Lost)),
            Some("Q") => Ok(Some(TargetStatus::Query)),
            Some("T") => Ok(Some(TargetStatus::Tracking)),
            Some(_) => Err(self.err(index, "status", "expected L, Q or T")),
        }
    }

    fn reference(&self, index: usize) -> Result<bool, RadarError> {
        match self.get(index) {
            None => Ok(false),
            Some("R") => Ok(true),
            Some(_) => Err(self.err(index, "reference target", "expected R or empty")),
        }
    }

    fn time(&self, index: usize) -> Result<Option<f64>, RadarError> {
        self.get(index)
            .map(|s| time_of_day(s).ok_or_else(|| self.err(index, "time", "not a valid hhmmss.ss time of day")))
            .transpose()
    }
}

/// A plain decimal (`12`, `-0.5`, `.5`): digits, at most one point, optional
/// leading sign; no exponents, `inf` or `NaN` (which `str::parse` accepts).
fn decimal(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let digits = body.bytes().filter(u8::is_ascii_digit).count();
    let points = body.bytes().filter(|&c| c == b'.').count();
    if digits == 0 || points > 1 || digits + points != body.len() {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// `hhmmss` or `hhmmss.ss` -> seconds since midnight (a leap second 60 is allowed).
fn time_of_day(s: &str) -> Option<f64> {
    let (hms, frac) = s.split_once('.').unwrap_or((s, ""));
    if hms.len() != 6 || !hms.bytes().all(|c| c.is_ascii_digit()) || !frac.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let two = |i: usize| u32::from(hms.as_bytes()[i] - b'0') * 10 + u32::from(hms.as_bytes()[i + 1] - b'0');
    let (h, m, sec) = (two(0), two(2), two(4));
    if h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let frac = if frac.is_empty() { 0.0 } else { format!("0.{frac}").parse::<f64>().ok()? };
    Some(f64::from(h * 3600 + m * 60 + sec) + frac)
}

/// `llll.ll` / `yyyyy.yy` degrees-and-minutes with hemisphere -> signed degrees.
fn lat_lon_part(
    f: &Fields<'_>,
    index: usize,
    name: &'static str,
    max_deg: f64,
    pos: char,
    neg: char,
) -> Result<Option<f64>, RadarError> {
    let (value, hemi) = (f.get(index), f.get(index + 1));
    let Some(value) = value else {
        return match hemi {
            None => Ok(None),
            Some(_) => Err(f.err(index, name, "hemisphere without value")),
        };
    };
    let v = decimal(value).filter(|v| *v >= 0.0).ok_or_else(|| f.err(index, name, "not a ddmm.mm value"))?;
    let deg = (v / 100.0).trunc();
    let min = v - deg * 100.0;
    if min >= 60.0 {
        return Err(f.err(index, name, "minutes not below 60"));
    }
    let deg = deg + min / 60.0;
    if deg > max_deg {
        return Err(f.err(index, name, "out of range"));
    }
    match hemi.and_then(|h| h.chars().next().filter(|_| h.len() == 1)) {
        Some(c) if c == pos => Ok(Some(deg)),
        Some(c) if c == neg => Ok(Some(-deg)),
        _ => Err(f.err(index + 1, "hemisphere", "missing or not a hemisphere letter")),
    }
}

/// Parse the fields of a TTM sentence: the part between `$RATTM,` and `*`.
pub fn parse_ttm(fields: &str) -> Result<Ttm, RadarError> {
    let f = Fields::new("TTM", fields, "13 to 15", |n| (13..=15).contains(&n))?;
    let target = f.target(1)?.ok_or_else(|| f.err(1, "target number", "missing"))?;
    let units = match f.get(10) {
        None => None,
        Some("K") => Some(RangeUnit::Kilometres),
        Some("N") => Some(RangeUnit::NauticalMiles),
        Some("S") => Some(RangeUnit::StatuteMiles),
        Some(_) => return Err(f.err(10, "units", "expected K, N or S")),
    };
    let acquisition = match f.get(15) {
        None => None,
        Some(s @ ("A" | "M" | "R")) => s.chars().next(),
        Some(_) => return Err(f.err(15, "acquisition", "expected A, M or R")),
    };
    Ok(Ttm {
        target,
        distance: f.non_negative(2, "distance")?,
        bearing_deg: f.angle(3, "bearing")?,
        bearing_true: f.true_flag(4, "bearing T/R")?,
        speed: f.non_negative(5, "speed")?,
        course_deg: f.angle(6, "course")?,
        course_true: f.true_flag(7, "course T/R")?,
        cpa: f.non_negative(8, "CPA")?,
        tcpa_min: f.num(9, "TCPA")?,
        units,
        name: f.name(11),
        status: f.status(12)?,
        reference: f.reference(13)?,
        time_of_day_s: f.time(14)?,
        acquisition,
    })
}

/// Parse the fields of a TLL sentence: the part between `$RATLL,` and `*`.
pub fn parse_tll(fields: &str) -> Result<Tll, RadarError> {
    let f = Fields::new("TLL", fields, "8 or 9", |n| (8..=9).contains(&n))?;
    let lat = lat_lon_part(&f, 2, "latitude", 90.0, 'N', 'S')?;
    let lon = lat_lon_part(&f, 4, "longitude", 180.0, 'E', 'W')?;
    let pos = match (lat, lon) {
        (Some(lat), Some(lon)) => Some(LatLon::new(lat, lon)),
        (None, None) => None,
        (None, _) => return Err(f.err(2, "latitude", "missing while longitude is given")),
        (_, None) => return Err(f.err(4, "longitude", "missing while latitude is given")),
    };
    Ok(Tll {
        target: f.target(1)?,
        pos,
        name: f.name(6),
        time_of_day_s: f.time(7)?,
        status: f.status(8)?,
        reference: f.reference(9)?,
    })
}

/// A configured radar site.
#[derive(Debug, Clone, PartialEq)]
pub struct RadarSite {
    /// Becomes the detections' `sensor_id`.
    pub name: String,
    /// Antenna position.
    pub pos: LatLon,
    /// Fixed heading of the antenna reference, degrees true, for bearings and
    /// courses marked `R` (relative); 0 for north-up shore radars.
    pub heading_deg: f64,
    /// Units to assume when a TTM leaves them empty.
    pub default_units: RangeUnit,
    /// One-sigma range error, metres.
    pub range_sigma_m: f64,
    /// One-sigma bearing error, degrees.
    pub bearing_sigma_deg: f64,
}

impl RadarSite {
    /// One-sigma position error at `range_m`: sqrt(σr² + (range·σθ)²), at least 1 m.
    pub fn position_error_m(&self, range_m: f64) -> f64 {
        let cross = range_m * self.bearing_sigma_deg.to_radians();
        (self.range_sigma_m * self.range_sigma_m + cross * cross).sqrt().max(1.0)
    }
}

/// Half a day: a sentence's time of day is used only this close to the receive time.
pub const TIME_OF_DAY_MAX_SKEW_MS: i64 = 12 * 3_600_000;

/// The receive time refined by a sentence's UTC time of day: the instant with
/// that time of day nearest to `received_at_ms` (yesterday, today or
/// tomorrow, so a midnight rollover works), if within ±12 h; else the
/// receive time.
pub fn refine_time(received_at_ms: i64, time_of_day_s: Option<f64>) -> i64 {
    const DAY_MS: i64 = 86_400_000;
    let Some(tod) = time_of_day_s.filter(|t| t.is_finite() && (0.0..86_401.0).contains(t)) else {
        return received_at_ms;
    };
    let midnight = received_at_ms.div_euclid(DAY_MS) * DAY_MS;
    let tod_ms = (tod * 1000.0).round() as i64;
    [midnight - DAY_MS, midnight, midnight + DAY_MS]
        .into_iter()
        .map(|d| d + tod_ms)
        .min_by_key(|t| (t - received_at_ms).abs())
        .filter(|t| (t - received_at_ms).abs() <= TIME_OF_DAY_MAX_SKEW_MS)
        .unwrap_or(received_at_ms)
}

fn detection_id(target: Option<u32>, name: Option<&str>) -> Option<Arc<str>> {
    match (target, name) {
        (Some(t), Some(n)) => Some(format!("{t} {n}").into()),
        (Some(t), None) => Some(t.to_string().into()),
        (None, Some(n)) => Some(n.into()),
        (None, None) => None,
    }
}

/// Converts a TTM into a [`Detection`] from `site`: the target lies at the
/// geodesic destination along the bearing (relative bearings and courses
/// rotated by the site heading), speed in knots, one-sigma error from the
/// site's range and bearing sigmas, `detection_id` "target number[ name]",
/// time = `received_at_ms` refined by the sentence's time of day (see
/// [`refine_time`]). `None` for lost targets (status `L`) and targets
/// without distance or bearing; acquiring (`Q`) targets are detections.
pub fn ttm_detection(site: &RadarSite, ttm: &Ttm, received_at_ms: i64) -> Option<Detection> {
    if ttm.status == Some(TargetStatus::Lost) {
        return None;
    }
    let units = ttm.units.unwrap_or(site.default_units);
    let range_m = ttm.distance? * units.metres();
    let rotate = |deg: f64, is_true: bool| {
        if is_true {
            deg
        } else {
            norm_deg(deg + site.heading_deg)
        }
    };
    let bearing = rotate(ttm.bearing_deg?, ttm.bearing_true);
    let pos = destination(site.pos, bearing, range_m);
    if !pos.is_valid() || !range_m.is_finite() {
        return None;
    }
    Some(Detection {
        time_ms: refine_time(received_at_ms, ttm.time_of_day_s),
        sensor_id: site.name.as_str().into(),
        sensor_kind: SensorKind::Radar,
        pos,
        position_error_m: site.position_error_m(range_m),
        course_deg: ttm.course_deg.map(|c| rotate(c, ttm.course_true)),
        speed_kn: ttm.speed.map(|s| s * units.knots()),
        length_m: None,
        vessel_class: None,
        persons_counted: None,
        count_confidence: None,
        detection_id: detection_id(Some(ttm.target), ttm.name.as_deref()),
        image_ref: None,
    })
}

/// Converts a TLL into a [`Detection`]: its position as given, the error
/// estimated from the site's sigmas at the target's distance from the site,
/// time as for [`ttm_detection`]. `None` for lost targets and TLLs without a
/// position.
pub fn tll_detection(site: &RadarSite, tll: &Tll, received_at_ms: i64) -> Option<Detection> {
    if tll.status == Some(TargetStatus::Lost) {
        return None;
    }
    let pos = tll.pos.filter(LatLon::is_valid)?;
    Some(Detection {
        time_ms: refine_time(received_at_ms, tll.time_of_day_s),
        sensor_id: site.name.as_str().into(),
        sensor_kind: SensorKind::Radar,
        pos,
        position_error_m: site.position_error_m(distance_m(site.pos, pos)),
        course_deg: None,
        speed_kn: None,
        length_m: None,
        vessel_class: None,
        persons_counted: None,
        count_confidence: None,
        detection_id: detection_id(tll.target, tll.name.as_deref()),
        image_ref: None,
    })
}

/// What a radar site made of one NMEA sentence.
#[derive(Debug, Clone, PartialEq)]
pub enum RadarOutcome {
    /// Neither TTM nor TLL.
    NotRadar,
    Detection(Detection),
    /// A valid sentence that is not a detection (lost target, no position).
    NoDetection,
    Error(RadarError),
}

impl RadarSite {
    /// Parse a `TTM`/`TLL` sentence handed on by
    /// [`crate::decode::Decoder::feed_line_with`] and convert it. The time is
    /// the sentence's receive time, or `fallback_ms` (wall clock live,
    /// recording clock in replay) when the line carried none.
    pub fn sentence(&self, s: &crate::decode::Sentence<'_>, fallback_ms: i64) -> RadarOutcome {
        let t = s.received_at_ms.unwrap_or(fallback_ms);
        let r = match &s.formatter {
            b"TTM" => parse_ttm(s.fields).map(|x| ttm_detection(self, &x, t)),
            b"TLL" => parse_tll(s.fields).map(|x| tll_detection(self, &x, t)),
            _ => return RadarOutcome::NotRadar,
        };
        match r {
            Ok(Some(d)) => RadarOutcome::Detection(d),
            Ok(None) => RadarOutcome::NoDetection,
            Err(e) => RadarOutcome::Error(e),
        }
    }
}

/// A radar site. A radar sentence belongs to the site whose `station` equals
/// the line's tag-block `s:` station, or else the name of the source it came
/// on (a feed dedicated to one radar needs no tag blocks).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RadarConfig {
    pub station: String,
    /// Antenna position, WGS84 degrees.
    pub lat: f64,
    pub lon: f64,
    /// Heading of the antenna reference, degrees true, for relative bearings (0: north-up).
    #[serde(default)]
    pub heading_deg: f64,
    /// Units assumed when a TTM leaves them empty: "nm", "km" or "sm".
    #[serde(default = "default_units")]
    pub units: String,
    /// One-sigma range error, metres.
    #[serde(default = "default_range_sigma")]
    pub range_sigma_m: f64,
    /// One-sigma bearing error, degrees.
    #[serde(default = "default_bearing_sigma")]
    pub bearing_sigma_deg: f64,
    /// Instrumented range, nautical miles: only drawn as the site's coverage
    /// on the console (`ListSensors`); plots are taken at any range.
    #[serde(default)]
    pub range_nm: Option<f64>,
}

fn default_units() -> String {
    "nm".into()
}
fn default_range_sigma() -> f64 {
    30.0
}
fn default_bearing_sigma() -> f64 {
    0.5
}

impl RadarConfig {
    /// What is wrong with this site, each problem naming it.
    pub fn problems(&self) -> Vec<String> {
        let site = format!("radar {:?}", self.station);
        let mut out = Vec::new();
        if self.station.trim().is_empty() {
            out.push(format!("{site}: station must be set"));
        }
        if !LatLon::new(self.lat, self.lon).is_valid() {
            out.push(format!("{site}: lat/lon out of range"));
        }
        if !["nm", "km", "sm"].contains(&self.units.as_str()) {
            out.push(format!("{site}: units must be nm, km or sm"));
        }
        if !(self.range_sigma_m > 0.0 && self.bearing_sigma_deg > 0.0) {
            out.push(format!("{site}: range_sigma_m and bearing_sigma_deg must be > 0"));
        }
        if !self.heading_deg.is_finite() {
            out.push(format!("{site}: heading_deg must be a number"));
        }
        if self.range_nm.is_some_and(|n| !(n > 0.0 && n.is_finite())) {
            out.push(format!("{site}: range_nm must be > 0"));
        }
        out
    }

    /// The site as the radar parser needs it (validated by the service configuration).
    pub fn site(&self) -> RadarSite {
        RadarSite {
            name: self.station.clone(),
            pos: LatLon::new(self.lat, self.lon),
            heading_deg: self.heading_deg,
            default_units: match self.units.as_str() {
                "km" => RangeUnit::Kilometres,
                "sm" => RangeUnit::StatuteMiles,
                _ => RangeUnit::NauticalMiles,
            },
            range_sigma_m: self.range_sigma_m,
            bearing_sigma_deg: self.bearing_sigma_deg,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_strict() {
        assert_eq!(decimal("1.5"), Some(1.5));
        assert_eq!(decimal("-0.5"), Some(-0.5));
        assert_eq!(decimal(".5"), Some(0.5));
        for bad in ["", ".", "-", "1e3", "inf", "NaN", "1.2.3", "1,2", "0x1"] {
            assert_eq!(decimal(bad), None, "{bad}");
        }
    }

    #[test]
    fn times_of_day() {
        assert_eq!(time_of_day("100021.00"), Some(36021.0));
        assert_eq!(time_of_day("020915"), Some(7755.0));
        assert!((time_of_day("161617.88").unwrap() - 58577.88).abs() < 1e-9);
        for bad in ["783344", "246000", "126000", "12000", "120000.x", "1200000"] {
            assert_eq!(time_of_day(bad), None, "{bad}");
        }
    }

    #[test]
    fn time_refinement_handles_midnight() {
        let day = 20_000 * 86_400_000i64; // a midnight
                                          // Received 00:00:05, data stamped 23:59:58 the day before.
        assert_eq!(refine_time(day + 5_000, Some(86_398.0)), day - 2_000);
        // Received 23:59:58, stamped 00:00:01 the next day.
        assert_eq!(refine_time(day - 2_000, Some(1.0)), day + 1_000);
        assert_eq!(refine_time(day + 5_000, None), day + 5_000);
    }
}
