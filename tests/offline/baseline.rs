//! Traffic baseline tests. Data: seeded synthetic lane traffic generated here
//! (ChaCha8, fixed seeds), and the bundled simulator's default recording
//! (`lookout_sim::write_recording(&SimConfig::default())`: 1 h of Strait of Sicily traffic).

use lookout_score::baseline::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const DAY_MS: i64 = 86_400_000;
const T0: i64 = 1_780_272_000_000; // 2026-06-01T00:00Z
const LANE_LAT: f64 = 35.5;

fn lane_spec() -> GridSpec {
    GridSpec {
        min_lat_deg: 35.0,
        min_lon_deg: 12.0,
        max_lat_deg: 36.0,
        max_lon_deg: 13.2,
        cell_m: 2000.0,
        name: "test-lane".into(),
    }
}

/// `ships` cargo/tanker transits of a two-way east-west lane (lon 12.1–13.1,
/// lat 35.5 ± 0.008°) at 12–16 kn, starting uniformly over 7 days, reporting every 30 s.
fn lane_obs(ships: usize, seed: u64) -> Vec<TrafficObs> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut v = Vec::new();
    for i in 0..ships {
        let east = i % 2 == 0;
        let sog: f64 = rng.random_range(12.0..16.0);
        let lat = LANE_LAT + rng.random_range(-0.008..0.008);
        let start = T0 + rng.random_range(0..7 * DAY_MS);
        let class = if i % 5 == 0 { TrafficClass::Tanker } else { TrafficClass::Cargo };
        let deg_per_s = sog * 1852.0 / 3600.0 / (M_PER_DEG * lat.to_radians().cos());
        let mut t = start;
        loop {
            let d = (t - start) as f64 / 1000.0 * deg_per_s;
            let lon = if east { 12.1 + d } else { 13.1 - d };
            if !(12.1..=13.1).contains(&lon) {
                break;
            }
            let cog = if east { 90.0 } else { 270.0 } + rng.random_range(-4.0..4.0);
            v.push(TrafficObs {
                mmsi: 200_000_000 + i as u32,
                time_ms: t,
                lat_deg: lat + rng.random_range(-0.0005..0.0005),
                lon_deg: lon,
                sog_kn: Some(sog + rng.random_range(-0.3..0.3)),
                cog_deg: Some((cog + 360.0f64) % 360.0),
                class,
            });
            t += 30_000;
        }
    }
    v.sort_by_key(|o| o.time_ms);
    v
}

fn lane_baseline() -> Baseline {
    let mut b = BaselineBuilder::new(lane_spec());
    for o in lane_obs(1000, 7) {
        b.add(&o);
    }
    b.finish()
}

fn obs(lat: f64, lon: f64, sog: f64, cog: f64, class: TrafficClass, t: i64) -> TrafficObs {
    TrafficObs { mmsi: 999, time_ms: t, lat_deg: lat, lon_deg: lon, sog_kn: Some(sog), cog_deg: Some(cog), class }
}

const NOON: i64 = T0 + 3 * DAY_MS + 11 * 3_600_000;

#[test]
fn lane_directions_usual_crossing_and_slow_unusual_far_cell_unknown() {
    let b = lane_baseline();
    for cog in [90.0, 270.0, 85.0, 275.0] {
        let s = b.score(&obs(LANE_LAT, 12.6, 14.0, cog, TrafficClass::Cargo, NOON));
        assert!(s.known && s.level == 0, "{s:?}");
        assert!(s.p_course > 0.3 && s.p_speed > 0.2 && s.surprise < 2.0, "lane traffic at {cog}°: {s:?}");
        assert!(s.density > 0.0 && s.linger_rate < 0.01, "{s:?}");
    }
    let cross = b.score(&obs(LANE_LAT, 12.6, 14.0, 0.0, TrafficClass::Cargo, NOON));
    assert!(cross.p_course < 0.01 && cross.surprise > 4.6, "crossing: {cross:?}");
    let cross_s = b.score(&obs(LANE_LAT, 12.6, 14.0, 180.0, TrafficClass::Cargo, NOON));
    assert!(cross_s.p_course < 0.01, "crossing south: {cross_s:?}");
    let slow = b.score(&obs(LANE_LAT, 12.6, 2.0, 90.0, TrafficClass::Cargo, NOON));
    assert!(slow.p_speed < 0.01 && slow.surprise > 4.0, "2 kn in the lane: {slow:?}");
    let far = b.score(&obs(35.05, 12.05, 14.0, 0.0, TrafficClass::Cargo, NOON));
    assert!(!far.known && far.surprise == 0.0 && far.p_course == 1.0, "empty cell: {far:?}");
    let outside = b.score(&obs(40.0, 20.0, 14.0, 0.0, TrafficClass::Cargo, NOON));
    assert!(!outside.known);
    // circular statistics see a two-way lane
    let cs = b.course_stats(LANE_LAT, 12.6, None).unwrap();
    assert!(cs.resultant < 0.3 && cs.axial_resultant > 0.9 && (cs.axial_deg - 90.0).abs() < 5.0, "{cs:?}");
}

#[test]
fn sparse_cells_fall_back_to_neighbourhood_then_coarser() {
    let mut bb = BaselineBuilder::new(lane_spec());
    for o in lane_obs(1000, 7) {
        bb.add(&o);
    }
    // one passenger ferry along the lane, once
    let mut t = NOON;
    let mut lon = 12.1;
    while lon < 13.1 {
        bb.add(&TrafficObs {
            mmsi: 1,
            time_ms: t,
            lat_deg: LANE_LAT,
            lon_deg: lon,
            sog_kn: Some(18.0),
            cog_deg: Some(90.0),
            class: TrafficClass::Passenger,
        });
        t += 10_000;
        lon += 18.0 * 1852.0 / 360.0 / (M_PER_DEG * 0.814);
    }
    let b = bb.finish();
    let (lr, lc) = b.cell_of(LANE_LAT, 12.6).unwrap();
    let mut levels = Vec::new();
    for dr in 0..10 {
        let (lat, lon) = b.cell_centre(lr + dr, lc);
        let s = b.score(&obs(lat, lon, 14.0, 90.0, TrafficClass::Cargo, NOON));
        levels.push(if s.known { s.level as i32 } else { -1 });
    }
    // own cell, then neighbourhood, then the coarser cell or all classes, then unknown
    assert_eq!(levels[0], 0, "{levels:?}");
    assert!(levels.contains(&1), "{levels:?}");
    assert!(levels.iter().any(|&l| l >= 2), "{levels:?}");
    assert_eq!(*levels.last().unwrap(), -1, "{levels:?}");
    let known: Vec<i32> = levels.iter().copied().take_while(|&l| l >= 0).collect();
    assert!(known.windows(2).all(|w| w[0] <= w[1]), "{levels:?}");
    // a class with a handful of minutes here pools more widely
    let p = b.score(&obs(LANE_LAT, 12.6, 18.0, 90.0, TrafficClass::Passenger, NOON));
    assert!(p.known && p.level >= 1 && p.surprise < 3.0, "{p:?}");
}

fn saved(b: &Baseline) -> Vec<u8> {
    let mut v = Vec::new();
    b.save(&mut v).unwrap();
    v
}

#[test]
fn save_load_round_trip_and_refusals() {
    let b = lane_baseline();
    let bytes = saved(&b);
    let l = Baseline::load(&bytes[..], Some("test-lane")).unwrap();
    assert!(l == b, "round trip differs");
    let o = obs(LANE_LAT, 12.6, 2.0, 0.0, TrafficClass::Cargo, NOON);
    assert_eq!(l.score(&o), b.score(&o));
    assert_eq!(l.is_rest_area(LANE_LAT, 12.6), b.is_rest_area(LANE_LAT, 12.6));
    assert!(Baseline::load(&bytes[..], None).is_ok());

    let mut v = bytes.clone();
    v[8..12].copy_from_slice(&7u32.to_le_bytes());
    let e = Baseline::load(&v[..], None).unwrap_err();
    assert!(matches!(e, BaselineError::WrongVersion { found: 7, expected: Baseline::FORMAT_VERSION }), "{e}");
    assert!(e.to_string().contains("version 7"));

    let e = Baseline::load(&bytes[..], Some("aegean")).unwrap_err();
    assert!(
        matches!(&e, BaselineError::WrongArea { found, expected } if found == "test-lane" && expected == "aegean"),
        "{e}"
    );

    for cut in [9, 14, 40, 100, bytes.len() / 2, bytes.len() - 1] {
        let e = Baseline::load(&bytes[..cut], None).unwrap_err();
        assert!(matches!(e, BaselineError::Corrupt(_)), "cut at {cut}: {e}");
    }
    assert!(matches!(Baseline::load(&bytes[..5], None), Err(BaselineError::NotBaseline)));
    assert!(matches!(Baseline::load(&b"PNG not a baseline"[..], None), Err(BaselineError::NotBaseline)));
    // bit flips in the header and in the payload
    for pos in [20, 40, 70, bytes.len() / 2, bytes.len() - 20, bytes.len() - 2] {
        let mut v = bytes.clone();
        v[pos] ^= 0x10;
        let e = Baseline::load(&v[..], None).unwrap_err();
        assert!(matches!(e, BaselineError::Corrupt(_)), "flip at {pos}: {e}");
    }
}

#[test]
fn random_and_mutated_bytes_never_panic() {
    let b = Baseline::empty(GridSpec { cell_m: 10_000.0, ..lane_spec() }).unwrap();
    let good = saved(&b);
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for i in 0..3000 {
        let n = rng.random_range(0..400);
        let mut v: Vec<u8> = (0..n).map(|_| rng.random()).collect();
        if i % 3 == 0 && v.len() >= 12 {
            v[..8].copy_from_slice(b"LKBASELN");
            v[8..12].copy_from_slice(&Baseline::FORMAT_VERSION.to_le_bytes());
        }
        assert!(Baseline::load(&v[..], None).is_err());
    }
    for _ in 0..1500 {
        let mut v = good.clone();
        for _ in 0..rng.random_range(1..4) {
            let p = rng.random_range(0..v.len());
            v[p] = v[p].wrapping_add(rng.random_range(1..=255));
        }
        if rng.random_bool(0.3) {
            let keep = rng.random_range(0..v.len());
            v.truncate(keep);
        }
        assert!(Baseline::load(&v[..], None).is_err(), "a mutated file was accepted");
    }
}

#[test]
fn a_week_of_loitering_moves_a_cell_by_at_most_the_cap() {
    let mut b = lane_baseline();
    let t_score = T0 + 8 * DAY_MS + 11 * 3_600_000;
    let probe = obs(LANE_LAT, 12.6, 0.3, 90.0, TrafficClass::Cargo, t_score);
    let before = b.score(&probe);
    assert!(before.level == 0 && before.p_speed < 0.01 && before.linger_rate < 0.01, "{before:?}");
    let m0 = before.support;
    // 5 cargo ships loiter in the cell for 7 days, reporting every 20 s
    let start = T0 + 8 * DAY_MS;
    let mut n = 0u64;
    let mut t = start;
    while t < start + 7 * DAY_MS {
        for k in 0..5u32 {
            b.learn(&TrafficObs {
                mmsi: 300_000_000 + k,
                time_ms: t,
                lat_deg: LANE_LAT + 0.001 * k as f64,
                lon_deg: 12.6,
                sog_kn: Some(0.2),
                cog_deg: Some(123.0),
                class: TrafficClass::Cargo,
            });
            n += 1;
        }
        t += 20_000;
    }
    let after = b.score(&TrafficObs { time_ms: t_score + 7 * DAY_MS, ..probe });
    // Rule: per UTC day a (cell, class, 6-h) slice grows ≤ s·mass + F. The probe's
    // day/night histogram pools two 6-h slices of total mass m0, so in 7 days at most
    // (m0 + 2F/s)((1+s)^7 − 1) minutes were added.
    let (s, f) = (LEARN_CAP_SHARE, LEARN_FLOOR_MIN);
    let max_added = (m0 + 2.0 * f / s) * ((1.0 + s).powi(7) - 1.0);
    let bound = (before.linger_rate * m0 + max_added) / (m0 + max_added);
    assert!(after.linger_rate > before.linger_rate, "live learning had no effect: {after:?}");
    assert!(after.linger_rate <= bound + 1e-6, "linger {} > cap bound {bound} (m0 {m0})", after.linger_rate);
    assert!(after.support - m0 <= max_added + 1e-3);
    // a week at 5 vessels = 50 400 vessel-minutes offered; nearly all refused
    assert!(b.learn_dropped_minutes() > 40_000.0, "{}", b.learn_dropped_minutes());
    assert!(after.p_speed < 0.15, "loitering became normal: {after:?}");
    assert!(n > 100_000);
    // elsewhere, a never-seen cell can slowly become known through the floor
    let far = obs(35.05, 12.05, 5.0, 45.0, TrafficClass::Fishing, t);
    assert!(!b.score(&far).known);
    for i in 0..10 {
        b.learn(&TrafficObs { time_ms: t + i * 60_000, mmsi: 5, ..far });
    }
    assert!(b.score(&TrafficObs { time_ms: t, ..far }).known);
}

#[test]
fn class_mapping_covers_small_craft_class_b_and_unknown() {
    use TrafficClass::*;
    assert_eq!(TrafficClass::from_ais(Some(70), false), Cargo);
    assert_eq!(TrafficClass::from_ais(Some(84), false), Tanker);
    assert_eq!(TrafficClass::from_ais(Some(60), false), Passenger);
    assert_eq!(TrafficClass::from_ais(Some(40), false), HighSpeed);
    assert_eq!(TrafficClass::from_ais(Some(30), true), Fishing);
    assert_eq!(TrafficClass::from_ais(Some(37), true), Leisure);
    assert_eq!(TrafficClass::from_ais(Some(52), false), Service);
    assert_eq!(TrafficClass::from_ais(Some(55), false), Service);
    assert_eq!(TrafficClass::from_ais(None, true), SmallCraft);
    assert_eq!(TrafficClass::from_ais(None, false), Unknown);
    assert_eq!(TrafficClass::from_ais(Some(99), false), Other);
    assert_eq!(TrafficClass::from_detection_name("RUBBER_BOAT"), SmallCraft);
    assert_eq!(TrafficClass::from_detection_name("motor_yacht"), Leisure);
    assert_eq!(TrafficClass::from(lookout_core::VesselClass::WoodenBoat), SmallCraft);
}

#[test]
fn memory_of_a_400_km_grid_is_sensible() {
    let spec = GridSpec {
        min_lat_deg: 34.0,
        min_lon_deg: 11.0,
        max_lat_deg: 34.0 + 400_000.0 / M_PER_DEG,
        max_lon_deg: 11.0 + 400_000.0 / (M_PER_DEG * (35.8f64).to_radians().cos()),
        cell_m: 2000.0,
        name: "400km".into(),
    };
    let b = Baseline::empty(spec).unwrap();
    let (r, c) = b.dims();
    assert!((200..=202).contains(&r) && (200..=202).contains(&c), "{r}×{c}");
    let mb = b.memory_bytes() as f64 / 1e6;
    assert!(mb < 100.0, "{mb} MB");
    let file = saved(&b);
    assert!(file.len() < 1_000_000, "empty 400 km file {} B", file.len());
    assert!(Baseline::empty(GridSpec { cell_m: 100.0, ..b.spec().clone() }).is_err(), "2.6e7 cells must be refused");
}

fn sim_baseline() -> (Baseline, Vec<TrafficObs>) {
    let mut rec = Vec::new();
    lookout_sim::write_recording(&lookout_sim::SimConfig::default(), &mut rec).unwrap();
    let obs = observations_from_nmea(&rec[..]).unwrap();
    let mut bb = BaselineBuilder::new(lookout::cli::simulated_area("strait-of-sicily", 2000.0).unwrap());
    for o in &obs {
        bb.add(o);
    }
    (bb.finish(), obs)
}

#[test]
fn simulator_ferries_and_fishing_usual_ports_are_rest_areas_and_render() {
    let (b, obs) = sim_baseline();
    assert!(obs.len() > 10_000, "{}", obs.len());
    let h: f64 = b.hours_observed().iter().sum();
    assert!((h - 1.0).abs() < 0.05, "{h}");
    for class in [TrafficClass::Passenger, TrafficClass::HighSpeed, TrafficClass::Fishing] {
        let mine: Vec<&TrafficObs> =
            obs.iter().filter(|o| o.class == class && o.sog_kn.is_some_and(|s| s > 1.0)).collect();
        assert!(mine.len() > 50, "{class:?}: {}", mine.len());
        let scores: Vec<CellScore> = mine.iter().map(|o| b.score(o)).collect();
        let known = scores.iter().filter(|s| s.known).count();
        let usual = scores.iter().filter(|s| s.surprise < 4.6).count();
        assert_eq!(known, scores.len(), "{class:?}");
        assert!(usual as f64 >= 0.95 * scores.len() as f64, "{class:?}: {usual}/{} usual", scores.len());
    }
    // where the hour gives enough support, a vessel at 35 kn across the flow would not be
    let ferry = obs
        .iter()
        .find(|o| {
            o.sog_kn.is_some_and(|s| s > 10.0) && {
                let s = b.score(o);
                s.level <= 1 && s.support >= 100.0
            }
        })
        .unwrap();
    let odd = b.score(&TrafficObs { sog_kn: Some(35.0), cog_deg: ferry.cog_deg.map(|c| (c + 90.0) % 360.0), ..*ferry });
    assert!(odd.surprise > b.score(ferry).surprise + 2.0, "{odd:?}");

    assert!(b.is_rest_area(35.8930, 14.5160), "Valletta Grand Harbour");
    assert!(b.is_rest_area(35.4990, 12.6050), "Lampedusa");
    assert!(!b.is_rest_area(36.3, 13.0), "open sea");
    assert!(!b.is_rest_area(50.0, 0.0));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("map.png");
    b.render_png(&path, None).unwrap();
    let img = image::open(&path).unwrap();
    let (rows, cols) = b.dims();
    let p = (900 / rows.max(cols)).clamp(1, 12) as u32;
    assert_eq!(img.width(), (cols as u32 * p + 20).max(760));
    assert_eq!(img.height(), 40 + rows as u32 * p + 120);
    if let Ok(out) = std::env::var("BASELINE_PNG_OUT") {
        std::fs::copy(&path, out).unwrap();
    }
    let bytes = saved(&b);
    eprintln!(
        "sim baseline: {} × {} cells, {:.1} MB in memory, file {} kB",
        rows,
        cols,
        b.memory_bytes() as f64 / 1e6,
        bytes.len() / 1000
    );
    assert!(Baseline::load(&bytes[..], Some("strait-of-sicily")).unwrap() == b);
}

#[test]
fn lane_render_is_a_png_of_the_expected_size() {
    let b = lane_baseline();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lane.png");
    b.render_png(&path, None).unwrap();
    let img = image::open(&path).unwrap();
    let (rows, cols) = b.dims();
    let p = (900 / rows.max(cols)).clamp(1, 12) as u32;
    assert_eq!((img.width(), img.height()), ((cols as u32 * p + 20).max(760), 40 + rows as u32 * p + 120));
    if let Ok(out) = std::env::var("BASELINE_LANE_PNG_OUT") {
        std::fs::copy(&path, out).unwrap();
    }
    assert!(b.render_png(std::path::Path::new("/nonexistent-dir/x.png"), None).is_err());
    assert!(dir.path().join("lane.pgw").is_file() && dir.path().join("lane.prj").is_file());
}

/// `render_geotiff` writes the same map as `render_png`, read back with the `tiff`
/// decoder: the same size, RGB, and GeoTIFF tags that put it where the `.pgw` does
/// (WGS 84, PixelIsArea: the tiepoint is the upper-left pixel's corner, the world
/// file names its centre).
#[test]
fn lane_render_as_geotiff_is_placed_where_the_world_file_places_the_png() {
    use tiff::tags::Tag;
    let b = lane_baseline();
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("lane.png");
    b.render_png(&png, None).unwrap();
    let pgw = read_world_file(&dir.path().join("lane.pgw"));
    let tif = dir.path().join("lane.tif");
    assert_eq!(b.render_geotiff(&tif, None).unwrap(), pgw);
    assert!(!dir.path().join("lane.tfw").exists(), "a GeoTIFF needs no world file");

    let mut d = tiff::decoder::Decoder::new(std::fs::File::open(&tif).unwrap()).unwrap();
    let img = image::open(&png).unwrap();
    assert_eq!(d.dimensions().unwrap(), (img.width(), img.height()));
    assert_eq!(d.colortype().unwrap(), tiff::ColorType::RGB(8));
    let scale = d.get_tag_f64_vec(Tag::ModelPixelScaleTag).unwrap();
    let tie = d.get_tag_f64_vec(Tag::ModelTiepointTag).unwrap();
    let keys = d.get_tag_u16_vec(Tag::GeoKeyDirectoryTag).unwrap();
    assert_eq!(keys, [1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, 4326]);
    assert_eq!(scale, [pgw.a, -pgw.e, 0.0]);
    assert_eq!(&tie[..3], [0.0, 0.0, 0.0]);
    // The extent: corners from the GeoTIFF tags, and from the world file.
    let (w, h) = (f64::from(img.width()), f64::from(img.height()));
    let tif_extent = [tie[3], tie[4] - h * scale[1], tie[3] + w * scale[0], tie[4]];
    let (west, north) = pgw.lon_lat(-0.5, -0.5);
    let (east, south) = pgw.lon_lat(w - 0.5, h - 0.5);
    for (t, p) in tif_extent.iter().zip([west, south, east, north]) {
        assert!((t - p).abs() < 1e-9, "{tif_extent:?} vs {:?}", [west, south, east, north]);
    }
    // Pixels: the same picture as the PNG.
    let tiff::decoder::DecodingResult::U8(pixels) = d.read_image().unwrap() else { panic!("8-bit") };
    assert_eq!(pixels, img.to_rgb8().into_raw());
    assert!(b.render_geotiff(std::path::Path::new("/nonexistent-dir/x.tif"), None).is_err());
}

/// The six numbers of a world file (A, D, B, E, C, F), read back from its text.
fn read_world_file(path: &std::path::Path) -> WorldFile {
    let text = std::fs::read_to_string(path).unwrap();
    let v: Vec<f64> = text.lines().map(|l| l.trim().parse().unwrap()).collect();
    let [a, d, b, e, c, f] = v[..] else { panic!("{path:?} has {} lines, not 6: {text}", v.len()) };
    WorldFile { a, d, b, e, c, f }
}

/// Pixel colours along the column through `lon`, from `lat_from` to `lat_to`.
fn column(img: &image::RgbImage, w: &WorldFile, lon: f64, lat_from: f64, lat_to: f64) -> Vec<[u8; 3]> {
    let (i, j0) = w.pixel(lon, lat_from);
    let j1 = w.pixel(lon, lat_to).1;
    let (lo, hi) = (j0.min(j1).round() as u32, j0.max(j1).round() as u32);
    (lo..=hi).map(|j| img.get_pixel(i.round() as u32, j).0).collect()
}

const COAST: [u8; 3] = [60, 40, 20];
const LAND: [u8; 3] = [236, 222, 186];
const GRID: [u8; 3] = [255, 255, 255];

/// The bundled baseline drawn over the console's Natural Earth land: the world
/// file places cell centres exactly, the coast of Sicily and Malta lies where
/// the chart has it, and the 13°E meridian is a graticule line.
#[test]
fn bundled_baseline_map_is_georeferenced_with_coast_and_graticule() {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("replay-data/strait-of-sicily.baseline");
    let b = Baseline::load_path(&file, Some("strait-of-sicily")).unwrap();
    let land = Basemap::from_topojson(lookout_server::console::LAND_50M_TOPOJSON, "land").unwrap();
    assert!(land.ring_count() > 1000, "{}", land.ring_count());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sicily.png");
    let returned = b.render_png(&path, Some(&land)).unwrap();
    if let Ok(out) = std::env::var("BASELINE_MAP_PNG_OUT") {
        std::fs::copy(&path, out).unwrap();
    }

    // The world file as GIS tools read it: six lines, no rotation, north up.
    let w = read_world_file(&dir.path().join("sicily.pgw"));
    assert_eq!(w, returned);
    assert_eq!((w.b, w.d), (0.0, 0.0));
    assert!(w.a > 0.0 && w.e < 0.0);
    let prj = std::fs::read_to_string(dir.path().join("sicily.prj")).unwrap();
    assert!(prj.starts_with("GEOGCS[") && prj.contains("WGS_1984"), "{prj}");

    // A cell's centre pixel maps back to the cell's centre. The layout (as in
    // the size tests above): p px per cell, map centred, 40 px of title above.
    let img = image::open(&path).unwrap().to_rgb8();
    let (rows, cols) = b.dims();
    let p = (900 / rows.max(cols)).clamp(1, 12);
    let x0 = (img.width() as usize - cols * p) / 2;
    let spec = b.spec();
    let (dlat, dlon) = spec.cell_deg();
    for (r, c) in [(0, 0), (rows - 1, cols - 1), (rows / 2, cols / 3), (7, cols - 3)] {
        // Pixel centres are whole numbers; a cell of p pixels has its centre
        // (p - 1) / 2 past its first pixel's.
        let i = (x0 + c * p) as f64 + (p as f64 - 1.0) / 2.0;
        let j = (40 + (rows - 1 - r) * p) as f64 + (p as f64 - 1.0) / 2.0;
        let (lon, lat) = w.lon_lat(i, j);
        let (want_lon, want_lat) =
            (spec.min_lon_deg + (c as f64 + 0.5) * dlon, spec.min_lat_deg + (r as f64 + 0.5) * dlat);
        assert!((lon - want_lon).abs() < 1e-9 && (lat - want_lat).abs() < 1e-9, "cell ({r}, {c}): {lon}, {lat}");
    }
    // The world file spans the whole picture: the map's frame is the grid's extent.
    let (ul_lon, _) = w.lon_lat(x0 as f64 - 0.5, 0.0);
    assert!((ul_lon - spec.min_lon_deg).abs() < 1e-9, "{ul_lon}");

    // Sicily's south coast crosses 14.25°E at Gela (37.06°N): sea below, land
    // above (no traffic there), coastline in between.
    let gela = column(&img, &w, 14.25, 36.95, 37.20);
    assert!(gela.contains(&COAST), "no coast at Gela: {gela:?}");
    assert_eq!(column(&img, &w, 14.25, 37.3, 37.3), vec![LAND]);
    assert!(!column(&img, &w, 14.25, 36.9, 36.9).contains(&LAND));
    // Malta at 14.40°E: coast on both sides of 35.88°N, land between.
    let malta = column(&img, &w, 14.40, 35.78, 36.0);
    assert!(malta.iter().filter(|&&c| c == COAST).count() >= 2, "Malta: {malta:?}");
    assert!(column(&img, &w, 14.42, 35.88, 35.88).contains(&LAND));
    // Open sea south of Malta: no coast anywhere near.
    assert!(!column(&img, &w, 14.3, 35.0, 35.4).contains(&COAST));

    // The 13°E meridian is a graticule line (except where drawn over by
    // arrows, the coast and its label band); the columns beside it are not.
    let at = |lon: f64| column(&img, &w, lon, 34.85, 38.0).iter().filter(|&&c| c == GRID).count();
    let (line, n) = (at(13.0), column(&img, &w, 13.0, 34.85, 38.0).len());
    let px = w.a;
    assert!(line as f64 > 0.85 * n as f64, "{line} of {n} px");
    assert!(at(13.0 - px) < n / 20 && at(13.0 + px) < n / 20);
    // and so is the 36°N parallel, across the whole map
    let (_, j) = w.pixel(12.0, 36.0);
    let row: Vec<[u8; 3]> = (x0..x0 + cols * p).map(|i| img.get_pixel(i as u32, j.round() as u32).0).collect();
    assert!(row.iter().filter(|&&c| c == GRID).count() as f64 > 0.85 * row.len() as f64);
}
