//! Coastal surveillance radar with an ARPA tracker, written as NMEA `$RATTM`.
//!
//! Model (simplifications stated):
//! - A rotating radar at a fixed site. **One scan = one timestamp**: every plot of a
//!   sweep carries the scan time, although a real antenna sees each bearing at a
//!   slightly different moment of its rotation. Scans repeat every `revisit_s`,
//!   starting at a random phase per site.
//! - Each vessel in range (and not moored in harbour, which land/harbour masking hides)
//!   is detected with probability [`detection_probability`], independently per scan.
//! - Measured range and bearing carry Gaussian noise (`range_sigma_m`,
//!   `bearing_sigma_deg`); plots are converted back geodesically.
//! - Clutter: a Poisson number of false plots per scan (mean
//!   `SensorConfig::clutter_per_scan`): 60 % sea clutter close to the radar
//!   (0.3 nm + exponential, mean 2.5 nm), 40 % inside two slowly drifting rain cells.
//! - ARPA: a target number (1..=999) is assigned on a vessel's first detection and
//!   kept while it is tracked; a track missing [`LOST_AFTER_SCANS`] consecutive scans
//!   is lost and its number freed. Numbers are handed out round-robin, so a freed one
//!   is reused as late as possible. Status is `Q` (acquiring: course/speed fields
//!   empty) for the first [`ACQUIRE_HITS`] - 1 detections, then `T` with course and
//!   speed = truth plus an estimation error shrinking with the number of hits.
//!   Clutter plots always get a fresh number, status `Q`, no course/speed, and the
//!   number is freed at once.
//! - CPA/TCPA are relative to the (stationary) radar site, from the reported velocity.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::ais_tx::utc_fields;
use super::encode::checksum;
use super::geography::{ll, LatLon};
use super::rng::{gaussian, poisson, stream_rng, Stream};
use super::world::{bearing_deg, destination, distance_m, NM_M};

/// A coastal radar site. `name` is the tag-block `s:` station id.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RadarSite {
    pub name: &'static str,
    /// Antenna position, decimal degrees.
    pub lat: f64,
    pub lon: f64,
    /// Instrumented range, nautical miles.
    pub range_nm: f64,
    /// Antenna revolution period (time between scans), seconds.
    pub revisit_s: f64,
    /// One-sigma range noise, metres.
    pub range_sigma_m: f64,
    /// One-sigma bearing noise, degrees.
    pub bearing_sigma_deg: f64,
}

impl RadarSite {
    pub fn pos(&self) -> LatLon {
        ll(self.lat, self.lon)
    }

    /// Revisit period in ms.
    pub fn revisit_ms(&self) -> i64 {
        (self.revisit_s * 1000.0).round().max(100.0) as i64
    }
}

/// Consecutive missed scans after which an ARPA track is lost.
pub const LOST_AFTER_SCANS: u32 = 8;
/// Detections needed before a track is reported `T` (with course and speed).
pub const ACQUIRE_HITS: u32 = 3;
/// Minimum range, nm (inside it: main-bang / sea-clutter suppression).
pub const MIN_RANGE_NM: f64 = 0.1;

/// How a target reflects radar energy (size and height above the sea).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RadarClass {
    /// Inflatable: low, little metal; people and the outboard are the reflectors.
    RubberBoat,
    /// Wooden boat, 15–22 m, higher freeboard and superstructure.
    WoodenBoat,
    /// Small metal / fibreglass boat, 7–9 m.
    SmallMetalBoat,
    /// Yachts, small fishing boats (< 15 m).
    SmallCraft,
    /// Fishing vessels ≥ 15 m, tugs, pilots, patrol boats.
    Medium,
    /// Merchant ships and ferries.
    Large,
}

impl RadarClass {
    /// (p_max, r50 nm, steepness k) of [`detection_probability`].
    pub fn pd_params(self) -> (f64, f64, f64) {
        match self {
            RadarClass::RubberBoat => (0.85, 19.0, 2.1),
            RadarClass::WoodenBoat => (0.93, 35.0, 2.5),
            RadarClass::SmallMetalBoat => (0.88, 22.0, 2.1),
            RadarClass::SmallCraft => (0.92, 28.0, 2.5),
            RadarClass::Medium => (0.97, 60.0, 3.0),
            RadarClass::Large => (0.995, 400.0, 4.0),
        }
    }
}

/// Probability that one scan detects a target of `class` at `range_nm`:
///
/// `Pd(r) = p_max / (1 + (r / r50)^k)` within the site's range, 0 beyond it.
///
/// `p_max` is the close-range ceiling (sea state, a low boat hidden in the swell),
/// `r50` the range at which Pd has fallen to half of it (it grows with the target's
/// radar cross-section and height), `k` how sharp the fall is. For rubber boats
/// (`0.85, 19 nm, 2.1`) that gives Pd ≈ 0.80 at 5 nm and ≈ 0.40 at 20 nm; merchant
/// ships (`0.995, 400 nm, 4`) stay ≈ 0.99 throughout any coastal radar's range.
pub fn detection_probability(class: RadarClass, range_nm: f64, max_range_nm: f64) -> f64 {
    if range_nm > max_range_nm || range_nm < MIN_RANGE_NM {
        return 0.0;
    }
    let (p_max, r50, k) = class.pd_params();
    p_max / (1.0 + (range_nm / r50).powf(k))
}

/// What a radar scan sees of one vessel (true state at the scan time).
#[derive(Debug, Clone, Copy)]
pub struct RadarTarget {
    /// Stable index of the vessel in the scenario (track key).
    pub index: usize,
    pub pos: LatLon,
    pub cog_deg: f64,
    pub sog_kn: f64,
    pub class: RadarClass,
}

#[derive(Debug, Clone)]
struct Track {
    number: u16,
    hits: u32,
    misses: u32,
    seen_this_scan: bool,
}

/// A rain cell: clutter source drifting with the weather.
#[derive(Debug, Clone, Copy)]
struct RainCell {
    centre: LatLon,
    radius_m: f64,
    drift_deg: f64,
    drift_kn: f64,
}

/// One plot ready to format.
struct Plot {
    number: u16,
    range_nm: f64,
    bearing_deg: f64,
    velocity: Option<(f64, f64)>, // (course deg, speed kn)
    tracked: bool,
}

/// One radar's state: ARPA tracks, number pool, clutter sources.
pub struct Radar {
    pub site: RadarSite,
    rng: ChaCha8Rng,
    /// Time of the next scan, UNIX ms.
    pub next_scan_ms: i64,
    tracks: std::collections::BTreeMap<usize, Track>,
    in_use: Vec<bool>,
    next_number: u16,
    rain: Vec<RainCell>,
    start_ms: i64,
    /// Scans done.
    pub scans: u64,
}

/// Result of one scan: formatted lines and tallies.
pub struct ScanOutput {
    pub lines: Vec<String>,
    pub clutter: u64,
}

impl Radar {
    pub fn new(seed: u64, index: usize, site: RadarSite, start_ms: i64) -> Radar {
        let mut rng = stream_rng(seed, Stream::Radar, index as u64);
        let phase = rng.random_range(0..site.revisit_ms());
        let rain = (0..2)
            .map(|_| RainCell {
                centre: destination(
                    site.pos(),
                    rng.random_range(0.0..360.0),
                    rng.random_range(0.3..0.9) * site.range_nm * NM_M,
                ),
                radius_m: rng.random_range(2.0..5.0) * NM_M,
                drift_deg: rng.random_range(60.0..120.0),
                drift_kn: rng.random_range(8.0..15.0),
            })
            .collect();
        Radar {
            site,
            rng,
            next_scan_ms: start_ms + phase,
            tracks: Default::default(),
            in_use: vec![false; 1000],
            next_number: 1,
            rain,
            start_ms,
            scans: 0,
        }
    }

    fn alloc_number(&mut self) -> u16 {
        for _ in 0..999 {
            let n = self.next_number;
            self.next_number = n % 999 + 1;
            if !self.in_use[n as usize] {
                self.in_use[n as usize] = true;
                return n;
            }
        }
        // All 999 in use (never in practice): share the next one.
        let n = self.next_number;
        self.next_number = n % 999 + 1;
        n
    }

    /// One scan at `t_ms` over `targets` (all vessels; out-of-range ones are skipped).
    pub fn scan(&mut self, t_ms: i64, targets: &[RadarTarget], clutter_mean: f64) -> ScanOutput {
        self.scans += 1;
        let site = self.site;
        let here = site.pos();
        let max_m = site.range_nm * NM_M;
        // Cheap prefilter (degrees) before the geodesic range.
        let dlat_max = site.range_nm / 60.0 * 1.05;
        let dlon_max = dlat_max / here.lat.to_radians().cos();
        for tr in self.tracks.values_mut() {
            tr.seen_this_scan = false;
        }
        let mut plots = Vec::new();
        for tg in targets {
            if (tg.pos.lat - here.lat).abs() > dlat_max || (tg.pos.lon - here.lon).abs() > dlon_max {
                continue;
            }
            let r = distance_m(here, tg.pos);
            if r > max_m {
                continue;
            }
            let pd = detection_probability(tg.class, r / NM_M, site.range_nm);
            if !self.rng.random_bool(pd) {
                continue;
            }
            let b = bearing_deg(here, tg.pos);
            let rm = (r + site.range_sigma_m * gaussian(&mut self.rng)).max(1.0);
            let bm = (b + site.bearing_sigma_deg * gaussian(&mut self.rng)).rem_euclid(360.0);
            let number = match self.tracks.get(&tg.index) {
                Some(t) => t.number,
                None => {
                    let n = self.alloc_number();
                    self.tracks.insert(tg.index, Track { number: n, hits: 0, misses: 0, seen_this_scan: false });
                    n
                }
            };
            let tr = self.tracks.get_mut(&tg.index).expect("just inserted");
            tr.hits += 1;
            tr.misses = 0;
            tr.seen_this_scan = true;
            let hits = tr.hits;
            let velocity = if hits >= ACQUIRE_HITS {
                // ARPA velocity estimate: truth + error shrinking with track age.
                let sd = 0.2 + 1.5 / (hits as f64).sqrt();
                let (s, c) = (tg.sog_kn, tg.cog_deg.to_radians());
                let ve = s * c.sin() + sd * gaussian(&mut self.rng);
                let vn = s * c.cos() + sd * gaussian(&mut self.rng);
                Some((ve.atan2(vn).to_degrees().rem_euclid(360.0), ve.hypot(vn)))
            } else {
                None
            };
            plots.push(Plot { number, range_nm: rm / NM_M, bearing_deg: bm, velocity, tracked: hits >= ACQUIRE_HITS });
        }
        // Tracks not seen: coast, then lose.
        let mut lost = Vec::new();
        for (&k, tr) in self.tracks.iter_mut() {
            if !tr.seen_this_scan {
                tr.misses += 1;
                if tr.misses >= LOST_AFTER_SCANS {
                    lost.push(k);
                }
            }
        }
        for k in lost {
            if let Some(tr) = self.tracks.remove(&k) {
                self.in_use[tr.number as usize] = false;
            }
        }
        // Clutter.
        let n_clutter = poisson(&mut self.rng, clutter_mean);
        let mut clutter_numbers = Vec::new();
        for _ in 0..n_clutter {
            let Some((rm, bm)) = self.clutter_position(t_ms) else {
                continue;
            };
            let number = self.alloc_number();
            clutter_numbers.push(number);
            plots.push(Plot { number, range_nm: rm / NM_M, bearing_deg: bm, velocity: None, tracked: false });
        }
        for n in clutter_numbers {
            self.in_use[n as usize] = false;
        }
        // Reported in sweep order.
        plots.sort_by(|a, b| a.bearing_deg.total_cmp(&b.bearing_deg).then(a.number.cmp(&b.number)));
        let tag = {
            let body = format!("s:{},c:{}", site.name, t_ms);
            format!("\\{}*{:02X}\\", body, checksum(&body))
        };
        let time = hhmmss(t_ms);
        let lines = plots.iter().map(|p| format!("{}{}", tag, ttm_sentence(p, &time))).collect();
        ScanOutput { lines, clutter: n_clutter as u64 }
    }

    /// (range m, bearing deg) of a false plot.
    /// A clutter echo's (range m, bearing °), or `None` when it falls outside the
    /// radar's instrumented range. Such echoes are discarded, not clamped to the
    /// edge: clamping piled rain-cell clutter onto one ring at the maximum range
    /// (Pozzallo, 27.97 nm), where the tracker confirmed it as dark targets.
    fn clutter_position(&mut self, t_ms: i64) -> Option<(f64, f64)> {
        let here = self.site.pos();
        let max_m = self.site.range_nm * NM_M;
        if self.rng.random_bool(0.6) {
            let u: f64 = self.rng.random_range(f64::MIN_POSITIVE..1.0);
            let r = (0.3 - 2.5 * u.ln()) * NM_M;
            let b = self.rng.random_range(0.0..360.0);
            (r < max_m).then_some((r, b))
        } else {
            let cell = self.rain[self.rng.random_range(0..self.rain.len())];
            let hours = (t_ms - self.start_ms) as f64 / 3_600_000.0;
            let centre = destination(cell.centre, cell.drift_deg, cell.drift_kn * hours * NM_M);
            let p =
                destination(centre, self.rng.random_range(0.0..360.0), cell.radius_m * self.rng.random::<f64>().sqrt());
            let r = distance_m(here, p);
            (MIN_RANGE_NM * NM_M..max_m).contains(&r).then(|| (r, bearing_deg(here, p)))
        }
    }
}

/// `hhmmss.ss` UTC of a UNIX ms time.
pub fn hhmmss(t_ms: i64) -> String {
    let (_, _, _, h, m, s) = utc_fields(t_ms.div_euclid(1000));
    format!("{:02}{:02}{:02}.{:02}", h, m, s, t_ms.rem_euclid(1000) / 10)
}

/// An angle rounded to `1/scale` degree in [0, 360) (so 359.996 prints as 0.00).
fn wrap_360(deg: f64, scale: f64) -> f64 {
    ((deg * scale).round() / scale).rem_euclid(360.0)
}

/// `$RATTM` (NMEA 0183 v3, 15 fields), with checksum, no line ending.
fn ttm_sentence(p: &Plot, time: &str) -> String {
    let (speed, course, cpa, tcpa) = match p.velocity {
        Some((course, speed)) => {
            // Relative to the stationary radar: position p (nm), velocity v (kn).
            let b = p.bearing_deg.to_radians();
            let (pe, pn) = (p.range_nm * b.sin(), p.range_nm * b.cos());
            let c = course.to_radians();
            let (ve, vn) = (speed * c.sin(), speed * c.cos());
            let v2 = ve * ve + vn * vn;
            let (cpa, tcpa_h) = if v2 < 1e-4 {
                (p.range_nm, 0.0)
            } else {
                let t = -(pe * ve + pn * vn) / v2;
                ((pe + ve * t).hypot(pn + vn * t), t)
            };
            (
                format!("{:.1}", speed),
                format!("{:.1}", wrap_360(course, 10.0)),
                format!("{:.2}", cpa),
                format!("{:.1}", tcpa_h * 60.0),
            )
        }
        None => Default::default(),
    };
    let body = format!(
        "RATTM,{:02},{:.3},{:.2},T,{},{},T,{},{},N,,{},,{},A",
        p.number,
        p.range_nm,
        wrap_360(p.bearing_deg, 100.0),
        speed,
        course,
        cpa,
        tcpa,
        if p.tracked { 'T' } else { 'Q' },
        time
    );
    format!("${}*{:02X}", body, checksum(&body))
}
