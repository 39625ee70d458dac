//! `lookout decode --format gpsd` against gpsd's own expectations: the real
//! binary decodes gpsd's `test/sample.aivdm` from standard input, and every
//! object is compared, field by field, with gpsd's `sample.aivdm.js.chk`
//! (gpsd 3.20, `gpsdecode -j`; see shared/corpora/conformance/PROVENANCE.md).
//!
//! Run: `cargo test --test offline decode_gpsd:: -- --nocapture` (prints the tally).

use crate::support::*;
use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

/// Types Lookout decodes; gpsd objects of other types have no counterpart.
const COVERED: &[u64] = &[1, 2, 3, 4, 5, 9, 11, 18, 19, 21, 24, 27];

/// Known differences: (type, mmsi, field, reason). Each must actually occur.
const KNOWN: &[(u64, u64, &str, &str)] = &[
    (
        4,
        972_158_237,
        "lon",
        "lon 205.116887 is out of range: Lookout's decoder refuses impossible \
         coordinates and writes gpsd's not-available code 181",
    ),
    (4, 972_158_237, "lat", "lat 109.332052 is out of range: written as gpsd's not-available code 91"),
];

/// Unpaired type 24 parts we write (`"part":"A"`/`"B"`, as the gpsd daemon
/// and `gpsdecode -s` do) that plain `gpsdecode`, which wrote the .chk,
/// leaves out: part A of 271041815 (then paired with its B), the repeat of
/// that part B, part A of 271041511 (no B follows), part A of 271040660
/// (paired later) and part B of 271020195 (no A before it). Counted, not compared.
const UNPAIRED_24_PARTS: usize = 5;

/// Decimals gpsd prints for a float field of a message type (half a unit of
/// the last printed decimal is the tolerance).
fn decimals(msg_type: u64, key: &str) -> i32 {
    match key {
        "lat" | "lon" if msg_type == 27 => 1,
        "lat" | "lon" => 6,
        "speed" | "course" | "draught" => 1,
        _ => 0,
    }
}

fn run_decode(input: &[u8], args: &[&str]) -> (String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lookout"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run lookout");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

/// Field-by-field differences of `ours` from gpsd's `exp` (missing, extra, unequal).
fn diff(exp: &Value, ours: &Value) -> Vec<(String, String)> {
    let t = exp["type"].as_u64().unwrap();
    let (e, o) = (exp.as_object().unwrap(), ours.as_object().unwrap());
    let mut d = Vec::new();
    for (k, ev) in e {
        let Some(ov) = o.get(k) else {
            d.push((k.clone(), format!("missing (gpsd {ev})")));
            continue;
        };
        let equal = match (ev, ov) {
            (Value::Number(a), Value::Number(b)) => {
                let tol = 0.5 * 10f64.powi(-decimals(t, k)) + 1e-9;
                (a.as_f64().unwrap() - b.as_f64().unwrap()).abs() < tol
            }
            _ => ev == ov,
        };
        if !equal {
            d.push((k.clone(), format!("gpsd {ev}, ours {ov}")));
        }
    }
    for k in o.keys().filter(|k| !e.contains_key(*k)) {
        d.push((k.clone(), "extra field".into()));
    }
    d
}

#[test]
fn gpsd_sample_matches_gpsd_json() {
    let input = std::fs::read(corpus("conformance/gpsd/test_sample.aivdm")).unwrap();
    let (stdout, stderr) = run_decode(&input, &["decode", "--format", "gpsd", "-"]);
    assert!(stderr.contains("messages 102"), "{stderr}");
    let ours: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).expect(l)).collect();
    let chk = std::fs::read_to_string(corpus("conformance/gpsd/test_sample.aivdm.js.chk")).unwrap();
    let expected: Vec<Value> = chk
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect(l))
        .filter(|v| COVERED.contains(&v["type"].as_u64().unwrap()))
        .collect();

    let (parts, ours): (Vec<Value>, Vec<Value>) = ours.into_iter().partition(|v| v.get("part").is_some());
    for p in &parts {
        assert_eq!(p["type"], 24, "{p}");
    }
    assert_eq!(parts.len(), UNPAIRED_24_PARTS, "unpaired type 24 parts: {parts:?}");
    assert_eq!(ours.len(), expected.len(), "objects of covered types (ours vs gpsd)");

    let mut identical = 0;
    let mut known_seen = vec![false; KNOWN.len()];
    let mut failures = Vec::new();
    for (e, o) in expected.iter().zip(&ours) {
        let (t, mmsi) = (e["type"].as_u64().unwrap(), e["mmsi"].as_u64().unwrap());
        assert_eq!((o["type"].as_u64(), o["mmsi"].as_u64()), (Some(t), Some(mmsi)), "order: {o}");
        let d = diff(e, o);
        if d.is_empty() {
            identical += 1;
        }
        for (k, what) in d {
            match KNOWN.iter().position(|&(kt, km, kk, _)| kt == t && km == mmsi && kk == k) {
                Some(i) => known_seen[i] = true,
                None => failures.push(format!("type {t} mmsi {mmsi} {k}: {what}")),
            }
        }
    }
    eprintln!(
        "gpsd sample: {identical} of {} objects of covered types identical to gpsd's; {} known differences; \
         {} unpaired type 24 parts not in gpsdecode's output",
        expected.len(),
        KNOWN.len(),
        parts.len()
    );
    assert!(failures.is_empty(), "differences from gpsd:\n{}", failures.join("\n"));
    for (i, seen) in known_seen.iter().enumerate() {
        assert!(seen, "known difference no longer occurs (remove it): {:?}", KNOWN[i]);
    }
    // Every object but the one with the out-of-range position is identical.
    assert_eq!(identical, expected.len() - 1);
}

/// Paired type 24 and the device name of a file input.
#[test]
fn type24_pairing_and_device() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t24.nmea");
    // gpsd sample.aivdm: part A, part B of MMSI 271041815, then the part B again.
    std::fs::write(
        &path,
        "!AIVDM,1,1,,A,H42O55i18tMET00000000000000,2*6D\n\
         !AIVDM,1,1,,A,H42O55lti4hhhilD3nink000?050,0*40\n\
         !AIVDM,1,1,,A,H42O55lti4hhhilD3nink000?050,0*40\n",
    )
    .unwrap();
    let out =
        Command::new(env!("CARGO_BIN_EXE_lookout")).args(["decode", "--format", "gpsd"]).arg(&path).output().unwrap();
    assert!(out.status.success());
    let v: Vec<Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(v.len(), 3);
    let device = path.display().to_string();
    assert!(v.iter().all(|o| o["device"] == device.as_str() && o["class"] == "AIS" && o["scaled"] == true));
    assert_eq!((v[0]["part"].as_str(), v[0]["shipname"].as_str()), (Some("A"), Some("PROGUY")));
    assert!(v[1].get("part").is_none(), "{}", v[1]);
    assert_eq!((v[1]["shipname"].as_str(), v[1]["callsign"].as_str()), (Some("PROGUY"), Some("TC6163")));
    assert_eq!((v[2]["part"].as_str(), v[2].get("shipname")), (Some("B"), None));
}

#[test]
fn bad_format_lists_the_choices() {
    let out = Command::new(env!("CARGO_BIN_EXE_lookout")).args(["decode", "--format", "nmea", "x"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("lookout") && err.contains("gpsd"), "{err}");
}
