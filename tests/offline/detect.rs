//! Non-AIS detection inputs: radar `TTM`/`TLL` (through the decoder's
//! `feed_line_with`), radar geometry, and JSON Lines detection events.
//!
//! Inputs:
//! - `shared/corpora/conformance/radar_ttm_tll_samples.nmea`: real-world and
//!   documentation samples, each with its source in a comment (gpsd, AeroRust
//!   nmea, adrianmo/go-nmea, ktuukkan/marine-api, OpenCPN radar_pi, MR-231).
//! - Everything else is written here by hand: NMEA lines get their
//!   checksums computed by `support::with_checksum`; geometry is checked against the
//!   crate's WGS84 geodesic (`lookout_core::geodesy`); JSON events are
//!   hand-written in the proto3 JSON form of `PushDetections` events.

use crate::support::*;
use lookout_ais::decode::{Decoder, Sentence};
use lookout_ais::event::{parse_json_line, DetectionEvent};
use lookout_ais::radar::{
    parse_tll, parse_ttm, tll_detection, ttm_detection, RadarError, RadarOutcome, RadarSite, RangeUnit, TargetStatus,
    Tll, Ttm,
};
use lookout_core::geodesy::{distance_m, inverse, LatLon, M_PER_NM};
use lookout_core::{SensorKind, VesselClass};

const SAMPLES: &str = "conformance/radar_ttm_tll_samples.nmea";

/// A tag block `\body*hh\` with the right checksum, before `sentence`.
fn tagged(tag: &str, sentence: &str) -> String {
    format!("\\{tag}*{:02X}\\{sentence}", tag.bytes().fold(0u8, |a, b| a ^ b))
}

/// Owned copy of a `Sentence` (which borrows the line).
#[derive(Debug, Clone, PartialEq)]
struct Got {
    received_at_ms: Option<i64>,
    station: Option<String>,
    talker: [u8; 2],
    formatter: [u8; 3],
    fields: String,
}

fn got(s: Sentence<'_>) -> Got {
    Got {
        received_at_ms: s.received_at_ms,
        station: s.station.map(|s| s.as_str().to_string()),
        talker: s.talker,
        formatter: s.formatter,
        fields: s.fields.to_string(),
    }
}

/// Feeds lines; returns (AIS messages, other sentences, decoder).
fn feed(lines: &[&str]) -> (Vec<lookout_ais::decode::Decoded>, Vec<Got>, Decoder) {
    let mut d = Decoder::default();
    let (mut ais, mut other) = (Vec::new(), Vec::new());
    for (i, l) in lines.iter().enumerate() {
        d.feed_line_with(l.as_bytes(), i as i64, &mut |m| ais.push(m), &mut |s| other.push(got(s)));
    }
    (ais, other, d)
}

fn assert_line_identity(d: &Decoder) {
    let c = d.counters();
    assert_eq!(
        c.lines,
        c.blank
            + c.oversize
            + c.not_ais
            + c.radar_sentences
            + c.headers
            + c.bad_checksum
            + c.ais_sentences
            + c.malformed_lines(),
        "{c:?}"
    );
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

// ---------------------------------------------------------------------------
// The sample file, through the decoder and the parsers.

#[test]
fn every_sample_reaches_the_radar_parser_and_parses_as_documented() {
    let text = corpus_text(SAMPLES);
    let lines: Vec<&str> = text.lines().collect();
    let (ais, other, d) = feed(&lines);
    assert!(ais.is_empty());
    let c = d.counters();
    assert_eq!(c.bad_checksum, 0, "the file says its checksums were verified: {c:?}");
    assert_eq!(other.len(), 9, "{c:?}");
    assert_eq!((c.radar_sentences, c.not_ais), (9, 0), "radar sentences are counted as radar, not as garbage");
    assert_line_identity(&d);
    assert!(other.iter().all(|s| &s.talker == b"RA" && s.received_at_ms.is_none()));

    let ttm: Vec<Result<Ttm, RadarError>> =
        other.iter().filter(|s| &s.formatter == b"TTM").map(|s| parse_ttm(&s.fields)).collect();
    let tll: Vec<Result<Tll, RadarError>> =
        other.iter().filter(|s| &s.formatter == b"TLL").map(|s| parse_tll(&s.fields)).collect();
    assert_eq!((ttm.len(), tll.len()), (5, 4));

    // AeroRust/nmea: NMEA 3+ 15-field form.
    let t = ttm[0].as_ref().unwrap();
    assert_eq!(
        *t,
        Ttm {
            target: 1,
            distance: Some(0.2),
            bearing_deg: Some(190.8),
            bearing_true: true,
            speed: Some(12.1),
            course_deg: Some(109.7),
            course_true: true,
            cpa: Some(0.1),
            tcpa_min: Some(0.5),
            units: Some(RangeUnit::NauticalMiles),
            name: Some("TGT01".into()),
            status: Some(TargetStatus::Tracking),
            reference: false,
            time_of_day_s: Some(10.0 * 3600.0 + 21.0),
            acquisition: Some('A'),
        }
    );
    // go-nmea doc example: no name, no time, manual acquisition.
    let t = ttm[1].as_ref().unwrap();
    assert_eq!(
        (t.target, t.distance, t.bearing_deg, t.speed, t.course_deg),
        (2, Some(1.43), Some(170.5), Some(0.16), Some(264.4))
    );
    assert_eq!(
        (t.cpa, t.tcpa_min, t.name.as_deref(), t.time_of_day_s, t.acquisition),
        (Some(1.42), Some(36.9), None, None, Some('M'))
    );
    // Go fixture: empty speed/course, acquiring.
    let t = ttm[2].as_ref().unwrap();
    assert_eq!((t.speed, t.course_deg, t.cpa, t.tcpa_min), (None, None, Some(0.13), None));
    assert_eq!(t.status, Some(TargetStatus::Query));
    // MR-231: invalid time 783344 (negative test), reported as field 14.
    match &ttm[3] {
        Err(RadarError::Field { sentence: "TTM", index: 14, name: "time", value, .. }) => {
            assert_eq!(value, "783344")
        }
        other => panic!("expected a time error: {other:?}"),
    }
    let msg = ttm[3].as_ref().unwrap_err().to_string();
    assert!(msg.contains("field 14") && msg.contains("time"), "{msg}");
    // OpenCPN radar_pi: 13 fields, space-filled.
    let t = ttm[4].as_ref().unwrap();
    assert_eq!(
        (t.target, t.distance, t.bearing_deg, t.speed, t.course_deg),
        (1, Some(1.234), Some(45.0), Some(5.2), Some(135.0))
    );
    assert_eq!((t.cpa, t.tcpa_min, t.reference, t.time_of_day_s, t.acquisition), (None, None, false, None, None));
    assert_eq!(t.name.as_deref(), Some("ARPA 1"));
    assert_eq!(t.status, Some(TargetStatus::Tracking));

    // marine-api javadoc.
    let t = tll[0].as_ref().unwrap();
    assert_eq!(
        (t.target, t.name.as_deref(), t.status, t.reference),
        (Some(1), Some("TEST1"), Some(TargetStatus::Tracking), false)
    );
    let p = t.pos.unwrap();
    assert!((p.lat_deg - 37.525175333).abs() < 1e-8 && (p.lon_deg - 24.6).abs() < 1e-9, "{p:?}");
    assert!((t.time_of_day_s.unwrap() - (16.0 * 3600.0 + 16.0 * 60.0 + 17.88)).abs() < 1e-9);
    // OpenCPN.
    let t = tll[1].as_ref().unwrap();
    let p = t.pos.unwrap();
    assert!((p.lat_deg - 56.056166667).abs() < 1e-8 && (p.lon_deg - 18.9996).abs() < 1e-9, "{p:?}");
    assert!((t.time_of_day_s.unwrap() - (3600.0 + 52.0 * 60.0 + 0.36)).abs() < 1e-9);
    // go-nmea: mostly empty (no target number, no status).
    let t = tll[2].as_ref().unwrap();
    assert_eq!((t.target, t.name.as_deref(), t.time_of_day_s, t.status, t.reference), (None, None, None, None, false));
    let p = t.pos.unwrap();
    assert!((p.lat_deg - 36.790366667).abs() < 1e-8 && (p.lon_deg - 14.5432).abs() < 1e-9, "{p:?}");
    // Lost reference target, western longitude.
    let t = tll[3].as_ref().unwrap();
    assert_eq!(
        (t.target, t.name.as_deref(), t.time_of_day_s, t.status, t.reference),
        (Some(1), Some("test"), Some(7755.0), Some(TargetStatus::Lost), true)
    );
    let p = t.pos.unwrap();
    assert!((p.lat_deg - 36.775711).abs() < 1e-8 && (p.lon_deg + 2.589629667).abs() < 1e-8, "{p:?}");

    // Through a site: 9 sentences -> 1 error, lost TLL no detection, 7 detections.
    let site = site(0.0, RangeUnit::NauticalMiles);
    let mut dec = Decoder::default();
    let (mut n_det, mut n_none, mut n_err) = (0, 0, 0);
    for l in &lines {
        dec.feed_line_with(l.as_bytes(), 0, &mut |_| {}, &mut |s| match site.sentence(&s, 1_795_341_625_000) {
            RadarOutcome::Detection(d) => {
                assert_eq!(d.sensor_kind, SensorKind::Radar);
                n_det += 1;
            }
            RadarOutcome::NoDetection => n_none += 1,
            RadarOutcome::Error(_) => n_err += 1,
            RadarOutcome::NotRadar => panic!(),
        });
    }
    assert_eq!((n_det, n_none, n_err), (7, 1, 1));
}

#[test]
fn malformed_ttm_and_tll_fields_are_named() {
    let err = |r: Result<Ttm, RadarError>| match r.unwrap_err() {
        RadarError::Field { index, name, .. } => (index, name),
        e => panic!("{e}"),
    };
    assert_eq!(err(parse_ttm("x1,1.0,90,T,,,T,,,N,,T,")), (1, "target number"));
    assert_eq!(err(parse_ttm(",1.0,90,T,,,T,,,N,,T,")), (1, "target number"));
    assert_eq!(err(parse_ttm("1,-1.0,90,T,,,T,,,N,,T,")), (2, "distance"));
    assert_eq!(err(parse_ttm("1,1.0,361,T,,,T,,,N,,T,")), (3, "bearing"));
    assert_eq!(err(parse_ttm("1,1.0,9e1,T,,,T,,,N,,T,")), (3, "bearing"));
    assert_eq!(err(parse_ttm("1,1.0,90,X,,,T,,,N,,T,")), (4, "bearing T/R"));
    assert_eq!(err(parse_ttm("1,1.0,90,T,,,T,,,M,,T,")), (10, "units"));
    assert_eq!(err(parse_ttm("1,1.0,90,T,,,T,,,N,,X,")), (12, "status"));
    assert_eq!(err(parse_ttm("1,1.0,90,T,,,T,,,N,,T,,,Z")), (15, "acquisition"));
    assert!(matches!(parse_ttm("1,1.0,90,T"), Err(RadarError::FieldCount { got: 4, .. })));
    assert!(matches!(parse_tll("1,3600.0,N"), Err(RadarError::FieldCount { got: 3, .. })));
    let tll_err = |s| match parse_tll(s).unwrap_err() {
        RadarError::Field { index, name, .. } => (index, name),
        e => panic!("{e}"),
    };
    assert_eq!(tll_err("1,3660.0,N,01200.0,E,,,T,"), (2, "latitude"));
    assert_eq!(tll_err("1,9100.0,N,01200.0,E,,,T,"), (2, "latitude"));
    assert_eq!(tll_err("1,3600.0,X,01200.0,E,,,T,"), (3, "hemisphere"));
    assert_eq!(tll_err("1,3600.0,N,,,,,T,"), (4, "longitude"));
    assert_eq!(tll_err("1,3600.0,N,18100.0,E,,,T,"), (4, "longitude"));
    // 360 is read as 0.
    assert_eq!(parse_ttm("1,1.0,360,T,,,T,,,N,,T,").unwrap().bearing_deg, Some(0.0));
}

// ---------------------------------------------------------------------------
// TTM/TLL -> Detection.

/// A shore radar on Lampedusa's latitude band: 35.5N 12.6E.
fn site(heading_deg: f64, default_units: RangeUnit) -> RadarSite {
    RadarSite {
        name: "radar-lampedusa".into(),
        pos: LatLon::new(35.5, 12.6),
        heading_deg,
        default_units,
        range_sigma_m: 20.0,
        bearing_sigma_deg: 0.5,
    }
}

const T0: i64 = 1_795_341_625_000; // 2026-11-22T10:00:25Z

#[test]
fn ttm_geometry_true_and_relative() {
    let s = site(0.0, RangeUnit::NauticalMiles);
    let ttm = parse_ttm("01,2.0,090.0,T,10.0,180.0,T,,,N,,T,").unwrap();
    let d = ttm_detection(&s, &ttm, T0).unwrap();
    let inv = inverse(s.pos, d.pos);
    assert!((distance_m(s.pos, d.pos) - 2.0 * M_PER_NM).abs() < 0.01, "{d:?}");
    assert!((inv.azimuth1_deg - 90.0).abs() < 1e-9, "{inv:?}");
    assert!(d.pos.lon_deg > 12.6 && (d.pos.lat_deg - 35.5).abs() < 0.001, "{d:?}");
    assert_eq!((d.course_deg, d.speed_kn), (Some(180.0), Some(10.0)));
    assert_eq!(d.sensor_kind, SensorKind::Radar);
    assert_eq!(&*d.sensor_id, "radar-lampedusa");
    assert_eq!(d.detection_id.as_deref(), Some("1"));
    assert_eq!(d.time_ms, T0, "no time of day in the sentence: receive time");
    // sqrt(20² + (3704 m · 0.5°)²) ≈ 38.0 m
    let expect = (20.0f64.powi(2) + (2.0 * M_PER_NM * 0.5f64.to_radians()).powi(2)).sqrt();
    assert!(
        (d.position_error_m - expect).abs() < 1e-6 && (d.position_error_m - 38.0).abs() < 0.1,
        "{}",
        d.position_error_m
    );

    // Relative bearing 090 and course 180 on a site whose reference heads 045.
    let s45 = site(45.0, RangeUnit::NauticalMiles);
    let ttm = parse_ttm("01,2.0,090.0,R,10.0,180.0,R,,,N,TGT,Q,").unwrap();
    let d = ttm_detection(&s45, &ttm, T0).unwrap();
    let inv = inverse(s45.pos, d.pos);
    assert!((inv.azimuth1_deg - 135.0).abs() < 1e-9, "{inv:?}");
    assert!((inv.distance_m - 2.0 * M_PER_NM).abs() < 0.01);
    assert_eq!(d.course_deg, Some(225.0));
    assert_eq!(d.detection_id.as_deref(), Some("1 TGT"), "acquiring (Q) is still a detection");
    // A relative bearing wraps past north: 350 R + 045 = 035 T.
    let d = ttm_detection(&s45, &parse_ttm("01,2.0,350,R,,,R,,,N,,T,").unwrap(), T0).unwrap();
    assert!((inverse(s45.pos, d.pos).azimuth1_deg - 35.0).abs() < 1e-9);
}

#[test]
fn ttm_units_lost_targets_and_time_of_day() {
    let s = site(0.0, RangeUnit::Kilometres);
    let at = |fields: &str| ttm_detection(&s, &parse_ttm(fields).unwrap(), T0);
    // K: km and km/h.
    let d = at("7,2.0,000,T,10.0,0,T,,,K,,T,").unwrap();
    assert!((distance_m(s.pos, d.pos) - 2000.0).abs() < 0.01);
    assert!((d.speed_kn.unwrap() - 10_000.0 / M_PER_NM).abs() < 1e-9);
    // S: statute miles and mph.
    let d = at("7,2.0,000,T,10.0,0,T,,,S,,T,").unwrap();
    assert!((distance_m(s.pos, d.pos) - 2.0 * 1609.344).abs() < 0.01);
    assert!((d.speed_kn.unwrap() - 16_093.44 / M_PER_NM).abs() < 1e-9);
    // N.
    let d = at("7,2.0,000,T,10.0,0,T,,,N,,T,").unwrap();
    assert!((distance_m(s.pos, d.pos) - 2.0 * M_PER_NM).abs() < 0.01);
    assert!(close(d.speed_kn, 10.0));
    // Empty units: the site's default (km here).
    let d = at("7,2.0,000,T,10.0,0,T,,,,,T,").unwrap();
    assert!((distance_m(s.pos, d.pos) - 2000.0).abs() < 0.01);
    // Lost: not a detection; no distance or bearing: cannot be placed.
    assert_eq!(at("7,2.0,000,T,10.0,0,T,,,N,,L,"), None);
    assert_eq!(at("7,,000,T,10.0,0,T,,,N,,T,"), None);
    assert_eq!(at("7,2.0,,T,10.0,0,T,,,N,,T,"), None);
    // Time of day refines the receive time (10:00:25 received, 10:00:21 measured).
    let d = at("7,2.0,000,T,,,T,,,N,,T,,100021.00,A").unwrap();
    assert_eq!(d.time_ms, T0 - 4_000);
    // Across midnight: received 00:00:02, measured 23:59:59 the day before.
    let midnight = T0 - 10 * 3_600_000 - 25_000;
    let d = ttm_detection(&s, &parse_ttm("7,2.0,000,T,,,T,,,N,,T,,235959,A").unwrap(), midnight + 2_000).unwrap();
    assert_eq!(d.time_ms, midnight - 1_000);
}

#[test]
fn tll_detections() {
    let s = site(0.0, RangeUnit::NauticalMiles);
    // 2 nm due north of the site: 35°32.0'N 12°36.0'E is ~2 nm (1' of latitude ≈ 1 nm).
    let tll = parse_tll("12,3532.000,N,01236.000,E,SKIFF,100020,T,").unwrap();
    let d = tll_detection(&s, &tll, T0).unwrap();
    assert_eq!(d.pos, LatLon::new(35.0 + 32.0 / 60.0, 12.6));
    assert_eq!(d.time_ms, T0 - 5_000);
    assert_eq!(d.detection_id.as_deref(), Some("12 SKIFF"));
    let range = distance_m(s.pos, d.pos);
    assert!((range - 2.0 * M_PER_NM).abs() < 20.0, "{range}");
    assert!((d.position_error_m - s.position_error_m(range)).abs() < 1e-9);
    assert_eq!((d.course_deg, d.speed_kn), (None, None));
    // Lost, or no position: none.
    assert_eq!(tll_detection(&s, &parse_tll("12,3532.000,N,01236.000,E,,,L,").unwrap(), T0), None);
    assert_eq!(tll_detection(&s, &parse_tll("12,,,,,,,T,").unwrap(), T0), None);
}

// ---------------------------------------------------------------------------
// Decoder: `feed_line_with`.

const AIS: &str = "!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C"; // from decode_conformance

#[test]
fn tag_blocked_radar_lines_reach_other_with_their_time_and_ais_still_decodes() {
    let ttm = with_checksum('$', "RATTM,01,2.0,090.0,T,10.0,180.0,T,,,N,,T,");
    let tll = with_checksum('$', "RATLL,01,3532.000,N,01236.000,E,,,T,");
    let bad = ttm.replace("*", "*0"); // wrong checksum digits
    let bad2 = with_checksum('$', "RATTM,01,2.0,090.0,T,10.0,180.0,T,,,N,,T,").replace("2.0,", "3.0,"); // corrupted field
    let no_sum = "$RATTM,01,2.0,090.0,T,10.0,180.0,T,,,N,,T,".to_string();
    let tag_ttm = tagged("s:radar-lmp,c:1795341625", &ttm);
    let tag_ms = tagged("c:1795341625123", &tll);
    let pghp = with_checksum('$', "PGHP,1,2026,11,22,10,0,25,500,248,1,0,1,");
    let lines: Vec<&str> = vec![
        &tag_ttm,
        AIS,
        &bad,
        &bad2,
        &no_sum,
        &tag_ms,
        &pghp,
        &ttm,
        &ttm,
        "$PXYZ,1,2*00",
        "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47",
    ];
    let (ais, other, d) = feed(&lines);
    assert_eq!(ais.len(), 1, "AIS lines still decode");
    let c = d.counters();
    assert_eq!(c.bad_checksum, 2, "{c:?}");
    assert_eq!(c.messages, 1);
    assert_eq!(c.headers, 1);
    // 5 handed on (4 radar sentences and $GPGGA); the TTM without a checksum
    // and the proprietary sentence are not AIS.
    assert_eq!((c.radar_sentences, c.not_ais), (4, 3), "{c:?}");
    assert_eq!(c.tag_bad_checksum, 0);
    assert_line_identity(&d);
    assert_eq!(other.len(), 5, "{other:?}");
    assert_eq!(
        other[0],
        Got {
            received_at_ms: Some(1_795_341_625_000),
            station: Some("radar-lmp".into()),
            talker: *b"RA",
            formatter: *b"TTM",
            fields: "01,2.0,090.0,T,10.0,180.0,T,,,N,,T,".into(),
        }
    );
    assert_eq!((other[1].formatter, other[1].received_at_ms), (*b"TLL", Some(1_795_341_625_123)));
    // $PGHP applies to the next sentence only.
    assert_eq!(other[2].received_at_ms, Some(1_795_341_625_500));
    assert_eq!(other[3].received_at_ms, None);
    assert_eq!((&other[4].talker, &other[4].formatter), (b"GP", b"GGA"));
    assert!(other.iter().all(|s| !s.fields.contains("3.0,")), "bad checksum never handed on");

    // feed_line counts exactly the same.
    let mut plain = Decoder::default();
    for (i, l) in lines.iter().enumerate() {
        plain.feed_line(l.as_bytes(), i as i64, &mut |_| {});
    }
    assert_eq!(plain.counters(), d.counters());

    // End to end: a site turns the tag-blocked TTM into a detection at the tag time.
    let s = site(0.0, RangeUnit::NauticalMiles);
    let mut dec = Decoder::default();
    let mut dets = Vec::new();
    dec.feed_line_with(tag_ttm.as_bytes(), 0, &mut |_| {}, &mut |s2| {
        if let RadarOutcome::Detection(x) = s.sentence(&s2, 0) {
            dets.push(x)
        }
    });
    assert_eq!(dets.len(), 1);
    assert_eq!(dets[0].time_ms, 1_795_341_625_000);
    assert!((distance_m(s.pos, dets[0].pos) - 2.0 * M_PER_NM).abs() < 0.01);
    let gga = with_checksum('$', "GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,");
    dec.feed_line_with(gga.as_bytes(), 0, &mut |_| {}, &mut |s2| {
        assert_eq!(s.sentence(&s2, 0), RadarOutcome::NotRadar)
    });
}

// ---------------------------------------------------------------------------
// JSON Lines detection events.

const NOW: i64 = 1_795_341_625_000; // 2026-11-22T10:00:25Z
const FUTURE: i64 = 300_000;

const SNAKE: &str = r#"{"time":"2026-11-22T10:00:00Z","sensor_id":"drone-7","sensor_kind":"EO_IR","lat":35.81,"lon":12.93,"position_error_m":15.5,"course_deg":352.0,"speed_kn":6.5,"length_m":9.0,"vessel_class":"RUBBER_BOAT","persons_counted":48,"count_confidence":0.7,"detection_id":"frame-1181","image_ref":"s3://evidence/drone-7/1181.jpg"}"#;

const CAMEL: &str = r#"{"time":"2026-11-22T11:00:00+01:00","sensorId":"drone-7","sensorKind":"SENSOR_KIND_EO_IR","lat":35.81,"lon":12.93,"positionErrorM":15.5,"courseDeg":352.0,"speedKn":"6.5","lengthM":9.0,"vesselClass":"VESSEL_CLASS_RUBBER_BOAT","personsCounted":"48","countConfidence":0.7,"detectionId":"frame-1181","imageRef":"s3://evidence/drone-7/1181.jpg"}"#;

#[test]
fn json_lines_snake_and_camel_case() {
    let a = parse_json_line(SNAKE, NOW, FUTURE).unwrap();
    let b = parse_json_line(CAMEL, NOW, FUTURE).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.time_ms, NOW - 25_000);
    assert_eq!(a.sensor_kind, SensorKind::EoIr);
    assert_eq!(a.vessel_class, Some(VesselClass::RubberBoat));
    assert_eq!(a.pos, LatLon::new(35.81, 12.93));
    assert_eq!((a.persons_counted, a.count_confidence), (Some(48), Some(0.7)));
    assert_eq!((a.course_deg, a.speed_kn, a.length_m), (Some(352.0), Some(6.5), Some(9.0)));
    assert_eq!(a.detection_id.as_deref(), Some("frame-1181"));
    assert_eq!(a.image_ref.as_deref(), Some("s3://evidence/drone-7/1181.jpg"));
    assert_eq!(&*a.sensor_id, "drone-7");

    // Minimal: only the required fields; nulls are absent; proto-prefixed kinds.
    for (kind, want) in [
        ("SENSOR_KIND_RADAR", SensorKind::Radar),
        ("DRONE", SensorKind::Drone),
        ("SENSOR_KIND_AIRCRAFT", SensorKind::Aircraft),
        ("SAR_SATELLITE", SensorKind::SarSatellite),
        ("SENSOR_KIND_OTHER", SensorKind::Other),
    ] {
        let l = format!(
            r#"{{"time":"2026-11-22T10:00:00.250Z","sensorId":"s","sensorKind":"{kind}","lat":-35,"lon":-179.5,"positionErrorM":1000,"personsCounted":null}}"#
        );
        let d = parse_json_line(&l, NOW, FUTURE).unwrap();
        assert_eq!(d.sensor_kind, want);
        assert_eq!(d.time_ms, NOW - 24_750);
        assert_eq!((d.persons_counted, d.vessel_class, d.detection_id), (None, None, None));
    }
    for (class, want) in [
        ("VESSEL_CLASS_WOODEN_BOAT", VesselClass::WoodenBoat),
        ("FISHING", VesselClass::Fishing),
        ("VESSEL_CLASS_SAILING", VesselClass::Sailing),
        ("MOTOR_YACHT", VesselClass::MotorYacht),
        ("VESSEL_CLASS_MERCHANT", VesselClass::Merchant),
        ("UNKNOWN", VesselClass::Unknown),
    ] {
        let l = SNAKE.replace("RUBBER_BOAT", class);
        assert_eq!(parse_json_line(&l, NOW, FUTURE).unwrap().vessel_class, Some(want));
    }
    // The serde derive reads the same lines.
    let e: DetectionEvent = serde_json::from_str(CAMEL).unwrap();
    assert_eq!(e.validate(NOW, FUTURE).unwrap(), a);

    // Replay: the caller's clock (the recording's) decides what is "future".
    assert!(parse_json_line(SNAKE, NOW - 3_600_000, FUTURE).is_err());
    assert!(parse_json_line(SNAKE, NOW - 25_000 - FUTURE, FUTURE).is_ok());
}

#[test]
fn json_lines_invalid_events_name_the_field() {
    let field_of = |line: &str| match parse_json_line(line, NOW, FUTURE) {
        Err(e) => e.field,
        other => panic!("expected InvalidArgument for {line}: {other:?}"),
    };
    let with = |from: &str, to: &str| {
        assert!(SNAKE.contains(from), "{from}");
        SNAKE.replacen(from, to, 1)
    };
    let cases: Vec<(String, &str)> = vec![
        (with(r#""lat":35.81"#, r#""lat":91"#), "lat"),
        (with(r#""lat":35.81"#, r#""lat":-90.5"#), "lat"),
        (with(r#""lat":35.81"#, r#""lat":"NaN""#), "lat"),
        (with(r#""lat":35.81"#, r#""lat":"north""#), "lat"),
        (with(r#""lat":35.81,"#, ""), "lat"),
        (with(r#""lon":12.93"#, r#""lon":180.01"#), "lon"),
        (with(r#""lon":12.93"#, r#""lon":"-Infinity""#), "lon"),
        (with(r#""position_error_m":15.5"#, r#""position_error_m":0"#), "position_error_m"),
        (with(r#""position_error_m":15.5"#, r#""position_error_m":-3"#), "position_error_m"),
        (with(r#""position_error_m":15.5"#, r#""position_error_m":100001"#), "position_error_m"),
        (with(r#""position_error_m":15.5"#, r#""position_error_m":"Infinity""#), "position_error_m"),
        (with(r#""persons_counted":48"#, r#""persons_counted":-1"#), "persons_counted"),
        (with(r#""persons_counted":48"#, r#""persons_counted":5001"#), "persons_counted"),
        (with(r#""persons_counted":48"#, r#""persons_counted":4.5"#), "persons_counted"),
        (with(r#""count_confidence":0.7"#, r#""count_confidence":1.01"#), "count_confidence"),
        (with(r#""count_confidence":0.7"#, r#""count_confidence":-0.1"#), "count_confidence"),
        (with(r#""persons_counted":48,"#, ""), "count_confidence"),
        (with(r#""speed_kn":6.5"#, r#""speed_kn":-0.1"#), "speed_kn"),
        (with(r#""speed_kn":6.5"#, r#""speed_kn":100.5"#), "speed_kn"),
        (with(r#""course_deg":352.0"#, r#""course_deg":360"#), "course_deg"),
        (with(r#""course_deg":352.0"#, r#""course_deg":-1"#), "course_deg"),
        (with(r#""length_m":9.0"#, r#""length_m":0"#), "length_m"),
        (with(r#""length_m":9.0"#, r#""length_m":501"#), "length_m"),
        (with(r#""sensor_id":"drone-7""#, r#""sensor_id":"""#), "sensor_id"),
        (with(r#""sensor_id":"drone-7""#, r#""sensor_id":"   ""#), "sensor_id"),
        (with(r#""sensor_kind":"EO_IR""#, r#""sensor_kind":"SUBMARINE""#), "sensor_kind"),
        (with(r#""sensor_kind":"EO_IR""#, r#""sensor_kind":"SENSOR_KIND_UNSPECIFIED""#), "sensor_kind"),
        (with(r#""sensor_kind":"EO_IR""#, r#""sensor_kind":3"#), "sensor_kind"),
        (with(r#""vessel_class":"RUBBER_BOAT""#, r#""vessel_class":"CANOE""#), "vessel_class"),
        (with(r#""time":"2026-11-22T10:00:00Z""#, r#""time":"yesterday""#), "time"),
        (with(r#""time":"2026-11-22T10:00:00Z""#, r#""time":"2026-11-22T10:00:00""#), "time"),
        (with(r#""time":"2026-11-22T10:00:00Z""#, r#""time":"2026-11-22T10:05:26Z""#), "time"),
        (with(r#""time":"2026-11-22T10:00:00Z","#, ""), "time"),
        (with(r#""image_ref""#, r#""imageRef":"x","image_ref""#), "image_ref"),
        (with(r#""lat":35.81"#, r#""lat":35.81,"latitude":35.81"#), "event"),
        ("[1,2]".into(), "event"),
        ("not json".into(), "event"),
    ];
    for (line, field) in &cases {
        assert_eq!(field_of(line), *field, "{line}");
    }
    // Exactly at the future limit is accepted.
    let at_limit = with(r#""time":"2026-11-22T10:00:00Z""#, r#""time":"2026-11-22T10:05:25Z""#);
    assert!(parse_json_line(&at_limit, NOW, FUTURE).is_ok());
    // The message says what was wrong.
    let e = parse_json_line(&cases[0].0, NOW, FUTURE).unwrap_err().to_string();
    assert!(e.starts_with("invalid lat:") && e.contains("91"), "{e}");
}

// ---------------------------------------------------------------------------
// Why not the `nmea` crate (0.8, dev-dependency only): measured on the same samples.

#[test]
fn nmea_crate_falls_short_on_radar_sentences() {
    use nmea::{parse_str, ParseResult};
    let text = corpus_text(SAMPLES);
    let samples: Vec<&str> = text.lines().filter(|l| l.starts_with('$')).collect();
    let ttm_ok = |s: &str| matches!(parse_str(s), Ok(ParseResult::TTM(_)));
    // The NMEA 3 15-field TTMs parse...
    assert!(ttm_ok(samples[0]) && ttm_ok(samples[1]) && ttm_ok(samples[2]));
    // ...but the older 13-field form does not, space-filled (OpenCPN) or not,
    assert!(!ttm_ok(samples[4]), "{:?}", parse_str(samples[4]));
    let thirteen = with_checksum('$', "RATTM,01,2.0,090.0,T,10.0,180.0,T,,,N,,T,");
    assert!(!ttm_ok(&thirteen));
    assert!(parse_ttm(thirteen[7..thirteen.len() - 3].trim_end_matches('*')).is_ok());
    // target numbers stop at 99,
    let target_100 = with_checksum('$', "RATTM,100,0.2,190.8,T,12.1,109.7,T,0.1,0.5,N,TGT01,T,,100021.00,A");
    assert!(!ttm_ok(&target_100));
    // bearing and course are private fields of `TtmAngle` (nothing to assert
    // at run time: `data.bearing_from_own_ship.unwrap().angle` does not compile),
    // and TLL is not supported.
    for tll in &samples[5..] {
        assert!(!matches!(parse_str(tll), Ok(ParseResult::TTM(_))));
        assert!(matches!(parse_str(tll), Ok(ParseResult::Unsupported(_)) | Err(_)), "{tll}");
    }
    // Ours reads all of them (the MR-231 time error aside).
    let ours = samples.iter().filter(|s| {
        let body = &s[7..s.find('*').unwrap()];
        if s[3..6] == *"TTM" {
            parse_ttm(body).is_ok()
        } else {
            parse_tll(body).is_ok()
        }
    });
    assert_eq!(ours.count(), 8);
}
