//! Detectors on synthetic pictures, through the alert book: rendezvous,
//! AIS gap (with reappearance), position jump, overcrowded and dark target.
//! All inputs are written here (positions in the Strait of Sicily, open water).

use lookout_alert::{AlertBook, AlertKind, AlertPolicy, AlertState};
use lookout_core::geodesy::{destination, LatLon};
use lookout_picture::PictureConfig;
use lookout_picture::{AisClass, Changes, Kinematics, Picture, Report};
use lookout_score::baseline::{Baseline, BaselineBuilder, GridSpec, TrafficClass, TrafficObs};
use lookout_score::detectors::{ScoreConfig, Scorer, Zone, ZoneKind, Zones};

fn report(mmsi: u32, p: LatLon, sog: f32, cog: f32) -> Report<'static> {
    Report::Kinematic(Kinematics {
        mmsi,
        msg_type: 1,
        class: AisClass::A,
        pos: Some(p),
        sog_kn: Some(sog),
        cog_deg: Some(cog),
        heading_deg: None,
        nav_status: Some(0),
    })
}

struct Sea {
    pic: Picture,
    scorer: Scorer,
    book: AlertBook,
    baseline: Option<Baseline>,
}

impl Sea {
    fn new() -> Self {
        Self::with(ScoreConfig::default())
    }

    fn with(cfg: ScoreConfig) -> Self {
        Self {
            pic: Picture::new(&PictureConfig::default()),
            scorer: Scorer::new(cfg),
            book: AlertBook::new(AlertPolicy::default()),
            baseline: None,
        }
    }

    /// Applies reports at `t_ms`, scores them and feeds the book; returns the changes made.
    fn step(&mut self, t_ms: i64, reports: &[(u32, LatLon, f32, f32)]) -> Vec<(AlertKind, AlertState)> {
        let mut changes = Changes::default();
        for (mmsi, p, sog, cog) in reports {
            self.pic.apply(0, t_ms, t_ms, &report(*mmsi, *p, *sog, *cog));
            changes.changed.push(u64::from(*mmsi));
        }
        let mut batch = self.pic.apply_batch(&[], t_ms);
        changes.jumps.append(&mut batch.jumps);
        changes.removed.append(&mut batch.removed);
        // As the engine does: vessels not heard for the picture's ageing time leave it.
        changes.removed.extend(self.pic.expire(t_ms));
        let mut findings = self.scorer.observe(&self.pic, &changes, self.baseline.as_ref(), t_ms);
        if std::env::var("SCORE_DEBUG").is_ok() {
            eprintln!("{t_ms}: {:?}", findings.iter().map(|f| (f.kind, f.active)).collect::<Vec<_>>());
        }
        findings.extend(self.scorer.tick(&self.pic, self.baseline.as_ref(), t_ms));
        let mut out: Vec<(AlertKind, AlertState)> =
            findings.into_iter().filter_map(|f| self.book.observe(f)).map(|c| (c.alert.kind, c.alert.state)).collect();
        out.extend(self.book.tick(t_ms).into_iter().map(|c| (c.alert.kind, c.alert.state)));
        if std::env::var("SCORE_DEBUG").is_ok() && !out.is_empty() {
            eprintln!("{t_ms}: changes {out:?}");
        }
        out
    }
}

const HERE: LatLon = LatLon::new(35.2, 13.3);

#[test]
fn a_mother_ship_meeting_a_boat_is_one_rendezvous_alert() {
    let meeting = |sea: &mut Sea| {
        let mut events = Vec::new();
        for k in 0..40 {
            let t = k * 30_000;
            let b = destination(HERE, 90.0, 150.0);
            events.extend(sea.step(t, &[(247_000_001, HERE, 1.0, 0.0), (247_000_002, b, 1.5, 180.0)]));
        }
        events
    };
    // Knowing no port (no baseline, no port or anchorage zone), the detector
    // cannot tell open sea from a harbour: silent.
    let e = meeting(&mut Sea::new());
    assert!(!e.iter().any(|x| x.0 == AlertKind::Rendezvous), "{e:?}");
    // With Lampedusa's harbour configured, the same meeting 25 nm away is at sea.
    let lampedusa = Zones::new(vec![Zone::new(
        "Lampedusa harbour",
        ZoneKind::Port,
        &[[35.505, 12.59], [35.505, 12.62], [35.49, 12.62], [35.49, 12.59]],
    )]);
    let mut sea = Sea::with(ScoreConfig { zones: lampedusa, ..ScoreConfig::default() });
    let events = meeting(&mut sea);
    let opened: Vec<_> = events.iter().filter(|e| e.0 == AlertKind::Rendezvous).collect();
    assert_eq!(opened.first(), Some(&&(AlertKind::Rendezvous, AlertState::Open)), "{events:?}");
    assert_eq!(sea.book.alerts().filter(|a| a.kind == AlertKind::Rendezvous).count(), 1, "one incident, one alert");
    let a = sea.book.alerts().find(|a| a.kind == AlertKind::Rendezvous).unwrap();
    assert!(a.explanation.contains("150 m apart"), "{}", a.explanation);
    // They part, one at 18 kn (278 m per 30 s): the alert closes after the quiet period.
    let b = destination(HERE, 90.0, 150.0);
    let mut later = Vec::new();
    for k in 40..70 {
        let t = k * 30_000;
        let far = destination(b, 0.0, (k - 39) as f64 * 278.0);
        later.extend(sea.step(t, &[(247_000_001, HERE, 1.0, 0.0), (247_000_002, far, 18.0, 0.0)]));
    }
    assert_eq!(later, vec![(AlertKind::Rendezvous, AlertState::Closed)]);
}

#[test]
fn ais_gap_inside_coverage_then_reappearance() {
    let mut sea = Sea::new();
    let a = 247_000_010;
    let others = [(247_000_011, 2_000.0), (247_000_012, 5_000.0)];
    let mut pos_a = HERE;
    let mut events = Vec::new();
    for k in 0..120 {
        let t = k * 10_000;
        let mut r: Vec<(u32, LatLon, f32, f32)> =
            others.iter().map(|(m, d)| (*m, destination(HERE, 45.0, *d), 10.0, 90.0)).collect();
        // `a` reports for 5 minutes, then goes quiet for 15 minutes (still moving).
        pos_a = destination(pos_a, 180.0, 10.0 * 1852.0 / 360.0);
        if !(30..120).contains(&k) {
            r.push((a, pos_a, 10.0, 180.0));
        }
        events.extend(sea.step(t, &r));
    }
    assert!(events.contains(&(AlertKind::AisGap, AlertState::Open)), "{events:?}");
    // It speaks again: the alert gains the displacement and implied speed.
    let back = sea.step(120 * 10_000, &[(a, pos_a, 10.0, 180.0)]);
    let alert = sea.book.alerts().find(|x| x.kind == AlertKind::AisGap).unwrap();
    assert!(alert.evidence.contains_key("displacement_nm"), "{back:?} {alert:?}");
    assert!(alert.explanation.contains("reappeared after 15 min"), "{}", alert.explanation);
}

#[test]
fn a_shared_mmsi_two_places_at_once_is_a_position_jump() {
    let mut sea = Sea::new();
    let mut events = Vec::new();
    let far = destination(HERE, 90.0, 40.0 * 1852.0);
    for k in 0..12 {
        let p = if k % 2 == 0 { HERE } else { far };
        events.extend(sea.step(k * 10_000, &[(247_000_020, p, 12.0, 90.0)]));
    }
    assert!(events.contains(&(AlertKind::PositionJump, AlertState::Open)), "{events:?}");
    assert_eq!(sea.book.alerts().filter(|a| a.kind == AlertKind::PositionJump).count(), 1);
}

#[test]
fn a_ship_steaming_alone_raises_nothing() {
    let mut sea = Sea::new();
    let mut p = HERE;
    for k in 0..200 {
        p = destination(p, 90.0, 14.0 * 1852.0 / 360.0);
        let e = sea.step(k * 10_000, &[(247_000_030, p, 14.0, 90.0)]);
        assert!(e.is_empty(), "{e:?}");
    }
}

/// Like `ais_gap_inside_coverage_then_reappearance`, with `a` heard on
/// `heard_every` of its reports (1: all) and an optional port zone around it.
fn gap_events(heard_every: i64, zones: Zones) -> Vec<(AlertKind, AlertState)> {
    let mut sea = Sea::with(ScoreConfig { zones, ..ScoreConfig::default() });
    let a = 247_000_040;
    let others = [(247_000_041, 2_000.0), (247_000_042, 5_000.0)];
    let mut pos_a = HERE;
    let mut events = Vec::new();
    for k in 0..150 {
        let t = k * 10_000;
        let mut r: Vec<(u32, LatLon, f32, f32)> =
            others.iter().map(|(m, d)| (*m, destination(HERE, 45.0, *d), 10.0, 90.0)).collect();
        pos_a = destination(pos_a, 180.0, 10.0 * 1852.0 / 360.0);
        if k < 60 && k % heard_every == 0 {
            r.push((a, pos_a, 10.0, 180.0));
        }
        events.extend(sea.step(t, &r));
    }
    events
}

#[test]
fn silence_is_an_ais_gap_only_for_a_vessel_heard_well_away_from_port() {
    assert!(gap_events(1, Zones::default()).contains(&(AlertKind::AisGap, AlertState::Open)));
    // Heard on one report in four before (edge of coverage, weak set): its
    // 15 silent minutes are not evidence of a switched-off transponder.
    let e = gap_events(4, Zones::default());
    assert!(!e.iter().any(|x| x.0 == AlertKind::AisGap), "{e:?}");
    // In a port zone, silence is ordinary.
    let port =
        Zones::new(vec![Zone::new("port", ZoneKind::Port, &[[35.3, 13.2], [35.3, 13.4], [35.1, 13.4], [35.1, 13.2]])]);
    let e = gap_events(1, port);
    assert!(!e.iter().any(|x| x.0 == AlertKind::AisGap), "{e:?}");
}

#[test]
fn a_position_off_for_three_reports_is_a_position_jump() {
    // 20 nm off for 3 reports (30 s), then true again: out and back within
    // the alert book's raise_after, yet one incident (the condition is held
    // for jump_hold_s; without the hold the two jumps never open an alert).
    for (hold_s, alerts) in [(ScoreConfig::default().jump_hold_s, 1), (0.0, 0)] {
        let mut sea = Sea::with(ScoreConfig { jump_hold_s: hold_s, ..ScoreConfig::default() });
        let mut p = HERE;
        for k in 0..30 {
            p = destination(p, 90.0, 10.0 * 1852.0 / 360.0);
            let reported = if (10..13).contains(&k) { destination(p, 150.0, 20.0 * 1852.0) } else { p };
            sea.step(k * 10_000, &[(247_000_050, reported, 10.0, 90.0)]);
        }
        assert_eq!(sea.book.alerts().filter(|a| a.kind == AlertKind::PositionJump).count(), alerts, "hold {hold_s} s");
    }
}

/// Ships one after another sail south past two ships that are always heard, and go silent
/// at the same place: the edge of their receivers' reach. Once three have gone silent there
/// for good (aged out of the picture), the place is a learnt coverage edge and the next
/// ones raise no AIS gap; a ship going silent somewhere else still does.
#[test]
fn silence_where_ais_tracks_usually_end_is_no_ais_gap() {
    let mut sea = Sea::new();
    let east = destination(HERE, 90.0, 30.0 * 1852.0);
    let neighbours = |at: LatLon, first: u32| -> Vec<(u32, LatLon, f32, f32)> {
        vec![
            (first, destination(at, 45.0, 2_000.0), 10.0, 90.0),
            (first + 1, destination(at, 45.0, 5_000.0), 10.0, 90.0),
        ]
    };
    let mut gaps = Vec::new();
    let mut t = 0;
    // Each ship: heard for 5 minutes heading south, then silent for 40 (it ages out at 30).
    let sail = |sea: &mut Sea, t: &mut i64, mmsi: u32, from: LatLon, first_neighbour: u32| {
        let mut pos = from;
        let mut opened = false;
        for k in 0..270 {
            let mut r = neighbours(from, first_neighbour);
            pos = destination(pos, 180.0, 10.0 * 1852.0 / 360.0);
            if k < 30 {
                r.push((mmsi, pos, 10.0, 180.0));
            }
            opened |= sea.step(*t, &r).contains(&(AlertKind::AisGap, AlertState::Open));
            *t += 10_000;
        }
        opened
    };
    for i in 0..6 {
        gaps.push(sail(&mut sea, &mut t, 247_100_000 + i, HERE, 247_000_900));
    }
    assert_eq!(gaps, [true, true, true, false, false, false], "AIS gap opened, per ship in turn");
    // Elsewhere the same silence is still an AIS gap.
    assert!(sail(&mut sea, &mut t, 247_200_000, east, 247_000_950));
}

/// Issue 13: configured AIS stations as a prior on coverage. A ship heard 5 minutes, then
/// silent, while two neighbours are heard: inside a station's reach it is an AIS gap
/// (the evidence names the station); beyond 80 % of the station's range it left coverage,
/// already for the first ship, where the learnt edges need three. Without the station,
/// the same first ship far out is a gap (what the prior changes).
#[test]
fn silence_beyond_the_configured_receivers_is_no_ais_gap() {
    use lookout_score::{AisReceiverConfig, AisReceivers};
    let with_station = |on: bool| {
        let mut cfg = ScoreConfig::default();
        if on {
            let station =
                AisReceiverConfig { name: "Lampedusa".into(), lat: HERE.lat_deg, lon: HERE.lon_deg, range_nm: 20.0 };
            cfg.ais_receivers = AisReceivers::new(vec![station]);
        }
        Sea::with(cfg)
    };
    // Heard for 5 minutes heading south from `from`, then silent for 40: did AIS_GAP open,
    // and with what evidence?
    let sail = |sea: &mut Sea, from: LatLon| -> Option<String> {
        let mut pos = from;
        let mut evidence = None;
        for k in 0..270 {
            let t = k * 10_000;
            let mut r = vec![
                (247_000_900, destination(from, 45.0, 2_000.0), 10.0, 90.0),
                (247_000_901, destination(from, 45.0, 5_000.0), 10.0, 90.0),
            ];
            pos = destination(pos, 180.0, 10.0 * 1852.0 / 360.0);
            if k < 30 {
                r.push((247_100_000, pos, 10.0, 180.0));
            }
            if sea.step(t, &r).contains(&(AlertKind::AisGap, AlertState::Open)) && evidence.is_none() {
                let a = sea.book.alerts().find(|a| a.kind == AlertKind::AisGap).expect("the gap alert");
                evidence = Some(format!("{:?}", a.evidence));
            }
        }
        evidence
    };
    let inside = sail(&mut with_station(true), destination(HERE, 180.0, 2.0 * 1852.0));
    let inside = inside.expect("a ship going quiet 3-10 nm from the station is an AIS gap");
    assert!(inside.contains("Lampedusa") && inside.contains("range 20 nm"), "{inside}");
    let far = destination(HERE, 180.0, 18.0 * 1852.0);
    assert_eq!(sail(&mut with_station(true), far), None, "19 nm out of a 20 nm station: left coverage");
    assert!(sail(&mut with_station(false), far).is_some(), "without the station, the first ship is a gap");
}

/// A baseline of 34.8–35.6 N, 12.8–13.8 E: merchant ships steaming east through HERE, and
/// pleasure craft idling off a "coast" 40 km north of it (written here, 24 h of each).
fn baseline_with_yachts_inshore() -> Baseline {
    let spec = GridSpec {
        min_lat_deg: 34.8,
        min_lon_deg: 12.8,
        max_lat_deg: 35.6,
        max_lon_deg: 13.8,
        cell_m: 2000.0,
        name: "test".into(),
    };
    let mut b = BaselineBuilder::new(spec);
    let inshore = destination(HERE, 0.0, 40_000.0);
    for minute in 0..24 * 60 {
        let t = i64::from(minute) * 60_000;
        for (i, lane) in [-3_000.0, 0.0, 3_000.0].iter().enumerate() {
            let p = destination(destination(HERE, 0.0, *lane), 90.0, f64::from(minute % 60) * 500.0 - 15_000.0);
            let mmsi = 247_300_000 + i as u32;
            b.add(&TrafficObs {
                mmsi,
                time_ms: t,
                lat_deg: p.lat_deg,
                lon_deg: p.lon_deg,
                sog_kn: Some(14.0),
                cog_deg: Some(90.0),
                class: TrafficClass::Cargo,
            });
        }
        for y in 0..3 {
            let p = destination(inshore, 120.0 * f64::from(y), 1_000.0);
            b.add(&TrafficObs {
                mmsi: 247_400_000 + y,
                time_ms: t,
                lat_deg: p.lat_deg,
                lon_deg: p.lon_deg,
                sog_kn: Some(0.5),
                cog_deg: None,
                class: TrafficClass::Leisure,
            });
        }
    }
    b.finish()
}

/// A vessel of AIS ship type `ship_type` drifting at 0.5 kn at `at` for `minutes`: did
/// LOITERING open?
fn drifting(baseline: Baseline, ship_type: u8, at: LatLon, minutes: i64) -> bool {
    let mut sea = Sea::new();
    sea.baseline = Some(baseline);
    let mmsi = 247_500_001;
    let stat = lookout_picture::StaticUpdate {
        mmsi,
        msg_type: 5,
        class: Some(AisClass::A),
        name: Some("DRIFTER"),
        callsign: None,
        imo: None,
        ship_type: Some(ship_type),
        dims: None,
        destination: None,
        draught_dm: None,
    };
    sea.pic.apply(0, 0, 0, &lookout_picture::Report::Static(stat));
    let mut opened = false;
    for k in 0..minutes * 6 {
        let p = destination(at, 200.0, k as f64 * 0.5 * 1852.0 / 360.0);
        opened |= sea.step(k * 10_000, &[(mmsi, p, 0.5, 200.0)]).contains(&(AlertKind::Loitering, AlertState::Open));
    }
    opened
}

#[test]
fn a_yacht_adrift_far_from_where_yachts_go_loiters_but_not_inshore_or_off_the_grid() {
    let b = baseline_with_yachts_inshore();
    let offshore = destination(HERE, 180.0, 20_000.0);
    let inshore = destination(HERE, 0.0, 40_000.0);
    // A merchant ship adrift offshore: loitering after the usual 20 minutes.
    assert!(drifting(b.clone(), 70, offshore, 40));
    // A pleasure craft (type 37) there: not after 100 minutes, yes after 130.
    assert!(!drifting(b.clone(), 37, offshore, 100));
    assert!(drifting(b.clone(), 37, offshore, 130));
    // Where pleasure craft idle, never.
    assert!(!drifting(b.clone(), 37, inshore, 130));
    // Outside the baseline's grid nothing is known: no loitering, whoever drifts.
    assert!(!drifting(b, 70, LatLon::new(34.0, 13.3), 60));
}

/// Issue 13: type 27 (long-range AIS: positions in 1/10 minute, about 185 m) interleaved
/// with a ship's class A reports must not look like a position jump, a known complaint
/// against chart plotters. The type 27 sentence is a real one from gpsd's test suite
/// (`../shared/corpora/conformance/gpsd/test_sample.aivdm`, MMSI 206914217); the class A
/// reports of the same ship are written here, 0.05' (the largest rounding type 27 can
/// have) away from its position. In a control, the class A reports are 12 nm away from
/// the type 27 ones, and that must jump (so type 27 positions are applied at all).
#[test]
fn long_range_type_27_reports_are_no_position_jump() {
    use lookout_ais::decode::{Decoder, DecoderConfig};
    use lookout_sim::encode::{tag_block, PositionReport};
    let sample = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora/conformance/gpsd/test_sample.aivdm"),
    )
    .expect("gpsd's test_sample.aivdm in ../shared/corpora");
    let mut found = None;
    for line in sample.lines().filter(|l| l.starts_with("!AIVDM")) {
        let mut d = Decoder::new(DecoderConfig::default());
        d.feed_line(line.as_bytes(), 0, &mut |m| {
            if let (27, Some(p)) = (m.msg.msg_type(), m.msg.position()) {
                if m.msg.mmsi() == 206_914_217 {
                    found = Some((line.to_string(), p.lat_deg().unwrap(), p.lon_deg().unwrap()));
                }
            }
        });
    }
    let (type27, lat, lon) = found.expect("the type 27 sentence of MMSI 206914217");
    let t0 = 1_780_000_000;
    let play = |off_deg: f64| -> Vec<lookout_alert::Alert> {
        let mut nmea = String::new();
        for k in 0..12i64 {
            let t = t0 + 20 * k;
            // Class A, `off_deg` north and 0.05' east of the type 27 position.
            let a = PositionReport::under_way(206_914_217, lat + off_deg, lon + 0.05 / 60.0, 0.0, 0.0).sentence();
            nmea += &format!("{}{a}\n{}{type27}\n", tag_block("rx-1", t), tag_block("rx-1", t + 10));
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t27.nmea");
        std::fs::write(&path, nmea).unwrap();
        let cfg = lookout_engine::EngineConfig::default();
        lookout_engine::replay_alerts(&[path], &[], &cfg, None).unwrap().0
    };
    let jumps = |alerts: &[lookout_alert::Alert]| alerts.iter().filter(|a| a.kind == AlertKind::PositionJump).count();
    assert_eq!(jumps(&play(0.05 / 60.0)), 0, "type 27 rounding is no position jump");
    // The control: the same ship's class A reports 12 nm from its type 27 ones. Were
    // type 27 positions not applied at all, this would not jump either.
    assert!(jumps(&play(0.2)) > 0, "the control: type 27 reports 12 nm from the class A ones are a jump");
}
