//! Traffic baseline: what ordinary, busy traffic looks like, per place, vessel
//! class and time of day, so a scorer can say how unlikely a track's speed and
//! course are here and now.
//!
//! # What is stored (all `f32`, in *vessel-minutes*)
//!
//! A grid over the area ([`GridSpec`], default 2 km cells) holds, per cell:
//!
//! | array | index | why this resolution |
//! |---|---|---|
//! | `minutes` | `[class][tod4][row][col]` | density varies most with the hour (fleets leave at night, ferries keep timetables): 4 × 6 h bins |
//! | `speed` | `[class][tod2][row][col][10 bins]` | speed/course depend on the hour less; day (06–18) / night keeps memory ≤ 100 MB |
//! | `course` | `[class][tod2][row][col][12 bins]` | circular histogram, 30° bins centred on 0°, 30°, … |
//!
//! Time of day is local mean solar time at the area's middle longitude. The
//! 10 classes × (4 + 2 × 22) floats × 4 B = 1 920 B per cell: a 400 × 400 km
//! area at 2 km (40 000 cells) takes 76.8 MB, plus 4.8 MB for the 4× coarser
//! grid rebuilt on load. Files are zlib-compressed (mostly empty sea).
//!
//! **Counting.** A report weighs the time since the same vessel's previous
//! report, capped at 3 minutes (the longest nominal AIS interval), first report
//! 1 minute, repeats/out-of-order 0. So a ship reporting every 2 s and one
//! reporting every 3 min both add one vessel-minute per minute, and a
//! receiver hearing the same report twice adds nothing.
//! Course is counted only when moving (SOG ≥ 1 kn).
//!
//! # Scoring ([`Baseline::score`], allocation-free, ≈ 0.6–0.9 µs on a 400 km grid, `benches/baseline.rs`)
//!
//! The estimate comes from the first level with ≥ [`MIN_SUPPORT`] vessel-minutes:
//! 0 = own cell (class, day/night); 1 = 3 × 3 neighbourhood; 2 = the 4× coarser
//! cell, day and night pooled; 3 = that coarser cell, all classes. If none
//! reaches it, the level with the most support is used; with no data at all
//! the report is `known = false`: unknown, never anomalous.
//! Histograms are smoothed with a [¼ ½ ¼] kernel (circular for course) and a
//! Dirichlet prior of 0.5 vessel-minutes per bin, so thin evidence gives mild
//! p-values. `p_speed`/`p_course` are the probability mass of all bins at most
//! as probable as the report's bin (so a two-way lane has two probable bins and
//! neither direction is odd). `surprise = −ln p` with `p` Fisher's combination
//! of the two, `p = x (1 − ln x)`, `x = p_speed · p_course` (the probability,
//! under independence, of a product at least this small): 0 = ordinary,
//! ≈ 4.6 ⇔ 1 %, ≈ 6.9 ⇔ 0.1 %.
//!
//! # Live learning cap ([`Baseline::learn`])
//!
//! In any UTC day, live reports may add to one (cell, class, 6-h bin) slice at
//! most [`LEARN_CAP_SHARE`] (1 %) of the mass that slice had when the day's
//! first live report reached it, plus [`LEARN_FLOOR_MIN`] (2 vessel-minutes, so
//! never-seen places can slowly become known); the excess is dropped and
//! counted ([`Baseline::learn_dropped_minutes`]). A slice of mass M therefore
//! holds after d days at most (M + F/s)(1 + s)^d − F/s, so a week of loitering
//! is at most ≈ 7 % of a well-known cell's statistics (≈ 1 % after one day):
//! it cannot redefine normal. Large changes (a new route) need a rebuild.
//! Known limitation: where live traffic exceeds the cap, densities learnt live
//! lag; rebuild from recordings periodically.

mod basemap;
mod file;
mod grid;
mod ingest;
mod render;

pub use basemap::Basemap;
pub use ingest::{observations_from_nmea, ClassBook};
pub use render::{geotiff_tags, WorldFile, GEOKEYS_EPSG_4326, WGS84_PRJ};

pub use grid::{GridSpec, COARSE, MAX_CELLS, M_PER_DEG};

use std::collections::HashMap;

use ndarray::{Array4, Array5};

use grid::Geometry;

/// Number of vessel-type classes.
pub const N_CLASSES: usize = 10;
/// 6-hour bins for density.
pub const N_TOD4: usize = 4;
/// Day (06–18 local) and night, for the speed/course histograms.
pub const N_TOD2: usize = 2;
/// Speed bins: upper edges in knots of all but the last (open) bin.
pub const SPEED_EDGES_KN: [f64; N_SPEED - 1] = [1.0, 3.0, 5.0, 8.0, 11.0, 14.0, 17.0, 21.0, 26.0];
pub const N_SPEED: usize = 10;
/// 12 course bins of 30°, bin i centred on 30·i degrees.
pub const N_COURSE: usize = 12;
/// Speed bins counted as "lingering": stopped or slow, < 3 kn.
pub const LINGER_BINS: usize = 2;
/// Minimum vessel-minutes behind an estimate before falling back a level.
pub const MIN_SUPPORT: f64 = 30.0;
/// Per-day cap on live learning, as a share of a slice's mass.
pub const LEARN_CAP_SHARE: f64 = 0.01;
/// Per-day floor of the live learning cap, vessel-minutes per slice.
pub const LEARN_FLOOR_MIN: f64 = 2.0;
/// Rest area: at least this many stopped/slow vessel-minutes per observed hour…
pub const REST_MIN_PER_HOUR: f64 = 0.5;
/// …making at least this share of the cell's traffic.
pub const REST_MIN_SHARE: f64 = 0.3;

const MAX_WEIGHT_MIN: f64 = 3.0;
const FIRST_WEIGHT_MIN: f64 = 1.0;
const ALPHA: f64 = 0.5;
const MIN_COURSE_SOG_KN: f64 = 1.0;

/// Vessel-type classes of the baseline. Small craft, class B and unknown
/// types are classes of their own, so the baseline covers them too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum TrafficClass {
    /// AIS 70–79.
    Cargo = 0,
    /// AIS 80–89.
    Tanker = 1,
    /// AIS 60–69 (ferries, cruise ships).
    Passenger = 2,
    /// AIS 40–49 (high-speed craft).
    HighSpeed = 3,
    /// AIS 30.
    Fishing = 4,
    /// AIS 36 sailing, 37 pleasure craft.
    Leisure = 5,
    /// Tug, towing, pilot, SAR, law enforcement, port tender, dredger, diving,
    /// military, anti-pollution, medical: AIS 31–35, 50–55, 58, 59.
    Service = 6,
    /// Small craft: class B transponders without a usable ship type; rubber and
    /// wooden boats from detections.
    SmallCraft = 7,
    /// Known but other types: WIG (20–29), reserved, spare, "other" (90–99).
    Other = 8,
    /// No or undefined ship type from a class A transponder or a detection.
    Unknown = 9,
}

impl TrafficClass {
    pub const ALL: [TrafficClass; N_CLASSES] = [
        TrafficClass::Cargo,
        TrafficClass::Tanker,
        TrafficClass::Passenger,
        TrafficClass::HighSpeed,
        TrafficClass::Fishing,
        TrafficClass::Leisure,
        TrafficClass::Service,
        TrafficClass::SmallCraft,
        TrafficClass::Other,
        TrafficClass::Unknown,
    ];

    /// From the AIS ship type (message 5/19/24B) and whether the transponder is class B.
    pub fn from_ais(ship_type: Option<u8>, class_b: bool) -> Self {
        use TrafficClass::*;
        match ship_type.unwrap_or(0) {
            30 => Fishing,
            31..=35 | 50..=55 | 58 | 59 => Service,
            36 | 37 => Leisure,
            40..=49 => HighSpeed,
            60..=69 => Passenger,
            70..=79 => Cargo,
            80..=89 => Tanker,
            20..=29 | 38 | 39 | 56 | 57 | 90..=99 => Other,
            _ if class_b => SmallCraft,
            _ => Unknown,
        }
    }

    /// From a detection's class name as in the proto / JSON Lines events
    /// (`RUBBER_BOAT`, `WOODEN_BOAT`, `FISHING`, `SAILING`, `MOTOR_YACHT`,
    /// `MERCHANT`, `UNKNOWN`; case-insensitive, `VESSEL_CLASS_` prefix optional).
    pub fn from_detection_name(name: &str) -> Self {
        let n = name.trim().to_ascii_uppercase();
        let n = n.strip_prefix("VESSEL_CLASS_").unwrap_or(&n);
        match n.replace(['-', ' '], "_").as_str() {
            "RUBBER_BOAT" | "RUBBERBOAT" | "WOODEN_BOAT" | "WOODENBOAT" => TrafficClass::SmallCraft,
            "FISHING" => TrafficClass::Fishing,
            "SAILING" | "MOTOR_YACHT" | "MOTORYACHT" => TrafficClass::Leisure,
            "MERCHANT" => TrafficClass::Cargo,
            _ => TrafficClass::Unknown,
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TrafficClass::Cargo => "cargo",
            TrafficClass::Tanker => "tanker",
            TrafficClass::Passenger => "passenger",
            TrafficClass::HighSpeed => "high_speed",
            TrafficClass::Fishing => "fishing",
            TrafficClass::Leisure => "leisure",
            TrafficClass::Service => "service",
            TrafficClass::SmallCraft => "small_craft",
            TrafficClass::Other => "other",
            TrafficClass::Unknown => "unknown",
        }
    }
}

/// One position report as the baseline sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrafficObs {
    pub mmsi: u32,
    /// UTC, ms since the Unix epoch.
    pub time_ms: i64,
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub sog_kn: Option<f64>,
    pub cog_deg: Option<f64>,
    pub class: TrafficClass,
}

/// How (un)usual a report is here, for its class and time of day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellScore {
    /// false: no data even after fallback (or outside the grid): 'unknown', never anomalous.
    pub known: bool,
    /// Vessel-minutes (with a speed) behind the estimate.
    pub support: f64,
    /// 0 = own cell, 1 = 3×3 neighbourhood, 2 = 4× coarser cell, 3 = coarser cell, all classes.
    pub level: u8,
    /// Vessel-minutes per km² per hour (reports normalised to one per vessel-minute,
    /// i.e. the mean number of vessels present per km² × 60): this class and 6-h bin at
    /// levels 0–1, this class all day at 2, all classes at 3.
    pub density: f64,
    /// Probability mass of speed bins at most as probable as this report's (1 if no SOG).
    pub p_speed: f64,
    /// Likewise for course, from the circular histogram (1 if no COG or SOG < 1 kn).
    pub p_course: f64,
    /// Share of vessel-minutes here that are stopped or slow (< 3 kn).
    pub linger_rate: f64,
    /// −ln of Fisher's combined tail probability of speed and course (0 = ordinary).
    pub surprise: f64,
}

impl CellScore {
    /// The score of a report the baseline knows nothing about.
    pub const UNKNOWN: CellScore = CellScore {
        known: false,
        support: 0.0,
        level: 0,
        density: 0.0,
        p_speed: 1.0,
        p_course: 1.0,
        linger_rate: 0.0,
        surprise: 0.0,
    };
}

/// Circular statistics of a cell's course histogram (bin centres as angles).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CourseStats {
    /// Vessel-minutes with a course.
    pub support: f64,
    /// Circular mean course, degrees, and mean resultant length R (0..1).
    pub mean_deg: f64,
    pub resultant: f64,
    /// Axial (doubled-angle) mean, degrees in 0..180, and its R: a two-way lane
    /// has a low `resultant` but a high `axial_resultant`.
    pub axial_deg: f64,
    pub axial_resultant: f64,
    /// Centre of the fullest bin, degrees.
    pub mode_deg: f64,
}

/// Why a baseline could not be built, saved, loaded or drawn.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("baseline file i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("not a Lookout baseline file (bad magic bytes)")]
    NotBaseline,
    #[error("baseline file has format version {found}, this Lookout reads version {expected}: rebuild it with `lookout baseline build`")]
    WrongVersion { found: u32, expected: u32 },
    #[error("baseline file is for area '{found}', expected '{expected}'")]
    WrongArea { found: String, expected: String },
    #[error("baseline file is corrupt: {0}")]
    Corrupt(String),
    #[error("invalid baseline grid: {0}")]
    InvalidSpec(String),
    #[error("cannot render baseline: {0}")]
    Render(String),
}

/// A baseline file could not be read or written; names the file.
#[derive(Debug, thiserror::Error)]
#[error("baseline {path}: {source}")]
pub struct BaselineFileError {
    pub path: std::path::PathBuf,
    #[source]
    pub source: BaselineError,
}

/// Which bin of speed and of course a report falls in (None = not available).
#[inline]
fn speed_bin(sog: Option<f64>) -> Option<usize> {
    let s = sog?;
    if !s.is_finite() || !(0.0..=102.3).contains(&s) {
        return None;
    }
    Some(SPEED_EDGES_KN.iter().take_while(|&&e| s >= e).count())
}

#[inline]
fn course_bin(sog: Option<f64>, cog: Option<f64>) -> Option<usize> {
    let (s, c) = (sog?, cog?);
    if s.is_nan() || s < MIN_COURSE_SOG_KN || !c.is_finite() || !(0.0..=360.0).contains(&c) {
        return None;
    }
    Some((((c + 15.0) / 30.0) as usize) % N_COURSE)
}

#[inline]
fn tod4(minute: usize) -> usize {
    minute / 360
}

#[inline]
fn tod2_of4(t4: usize) -> usize {
    // 0 = night (18–06), 1 = day (06–18)
    (t4 == 1 || t4 == 2) as usize
}

/// Per-vessel weighting: time since the vessel's last counted report, capped.
fn weight_min(last: &mut HashMap<u32, i64, ahash::RandomState>, mmsi: u32, t: i64) -> f64 {
    match last.get_mut(&mmsi) {
        None => {
            last.insert(mmsi, t);
            FIRST_WEIGHT_MIN
        }
        Some(prev) => {
            if t <= *prev {
                0.0
            } else {
                let dt = (t - *prev) as f64 / 60_000.0;
                *prev = t;
                dt.min(MAX_WEIGHT_MIN)
            }
        }
    }
}

/// Learns a baseline from recorded traffic (reports in roughly time order per vessel).
pub struct BaselineBuilder {
    b: Baseline,
    last: HashMap<u32, i64, ahash::RandomState>,
    minutes_seen: std::collections::HashSet<i64, ahash::RandomState>,
    /// Reports outside the grid or with an invalid position.
    pub outside: u64,
    /// Reports that added no weight (repeats, out of order).
    pub repeats: u64,
}

impl BaselineBuilder {
    /// Panics if the spec is invalid; see [`BaselineBuilder::try_new`].
    pub fn new(spec: GridSpec) -> Self {
        Self::try_new(spec).expect("invalid GridSpec")
    }

    pub fn try_new(spec: GridSpec) -> Result<Self, BaselineError> {
        Ok(BaselineBuilder {
            b: Baseline::empty(spec)?,
            last: HashMap::default(),
            minutes_seen: Default::default(),
            outside: 0,
            repeats: 0,
        })
    }

    pub fn add(&mut self, obs: &TrafficObs) {
        let Some((r, c)) = self.b.geom.cell(obs.lat_deg, obs.lon_deg) else {
            self.outside += 1;
            return;
        };
        self.minutes_seen.insert(obs.time_ms.div_euclid(60_000));
        let w = weight_min(&mut self.last, obs.mmsi, obs.time_ms);
        if w <= 0.0 {
            self.repeats += 1;
            return;
        }
        let t4 = tod4(self.b.geom.minute_of_day(obs.time_ms));
        self.b.add_weight(obs, r, c, t4, w);
    }

    pub fn finish(mut self) -> Baseline {
        for &m in &self.minutes_seen {
            let t4 = tod4(self.b.geom.minute_of_day(m * 60_000));
            self.b.hours[t4] += 1.0 / 60.0;
        }
        self.b.rebuild_derived();
        self.b
    }
}

/// Live-learning state (not saved).
#[derive(Debug, Default, Clone)]
struct LiveState {
    last: HashMap<u32, i64, ahash::RandomState>,
    day: i64,
    /// slice id -> (mass at first touch today, added today)
    budget: HashMap<usize, (f64, f64), ahash::RandomState>,
    last_minute: i64,
    dropped_min: f64,
}

/// The learned traffic baseline of one area.
#[derive(Clone)]
pub struct Baseline {
    spec: GridSpec,
    geom: Geometry,
    /// Vessel-minutes [class][tod4][row][col].
    minutes: Array4<f32>,
    /// Vessel-minutes by speed bin [class][tod2][row][col][bin].
    speed: Array5<f32>,
    /// Vessel-minutes by course bin [class][tod2][row][col][bin] (moving only).
    course: Array5<f32>,
    /// Hours of observation per 6-h bin.
    hours: [f64; N_TOD4],
    // ---- derived on load / build, not saved ----
    /// Coarse grid, day and night pooled: [class][crow][ccol][bin].
    c_speed: Array4<f32>,
    c_course: Array4<f32>,
    /// Coarse vessel-minutes [class][crow][ccol] (all day).
    c_minutes: ndarray::Array3<f32>,
    rest: Vec<bool>,
    live: LiveState,
}

impl std::fmt::Debug for Baseline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Baseline")
            .field("spec", &self.spec)
            .field("rows", &self.geom.rows)
            .field("cols", &self.geom.cols)
            .field("hours", &self.hours)
            .finish_non_exhaustive()
    }
}

impl PartialEq for Baseline {
    /// Equal learned content (spec, arrays, hours); live-learning state is ignored.
    fn eq(&self, o: &Baseline) -> bool {
        self.spec == o.spec
            && self.hours == o.hours
            && self.minutes == o.minutes
            && self.speed == o.speed
            && self.course == o.course
    }
}

impl Baseline {
    /// Version of the file layout written by [`Baseline::save`].
    pub const FORMAT_VERSION: u32 = 1;

    /// An empty baseline (every report scores 'unknown').
    pub fn empty(spec: GridSpec) -> Result<Baseline, BaselineError> {
        spec.validate()?;
        let geom = Geometry::new(&spec);
        let (rows, cols) = (geom.rows, geom.cols);
        let (crows, ccols) = (geom.crows, geom.ccols);
        Ok(Baseline {
            minutes: Array4::zeros((N_CLASSES, N_TOD4, rows, cols)),
            speed: Array5::zeros((N_CLASSES, N_TOD2, rows, cols, N_SPEED)),
            course: Array5::zeros((N_CLASSES, N_TOD2, rows, cols, N_COURSE)),
            hours: [0.0; N_TOD4],
            c_speed: Array4::zeros((N_CLASSES, crows, ccols, N_SPEED)),
            c_course: Array4::zeros((N_CLASSES, crows, ccols, N_COURSE)),
            c_minutes: ndarray::Array3::zeros((N_CLASSES, crows, ccols)),
            rest: vec![false; rows * cols],
            live: LiveState::default(),
            spec,
            geom,
        })
    }

    pub fn spec(&self) -> &GridSpec {
        &self.spec
    }

    /// (rows, cols) of the fine grid.
    pub fn dims(&self) -> (usize, usize) {
        (self.geom.rows, self.geom.cols)
    }

    /// (row, col) of a position's cell, None outside the grid.
    pub fn cell_of(&self, lat_deg: f64, lon_deg: f64) -> Option<(usize, usize)> {
        self.geom.cell(lat_deg, lon_deg)
    }

    /// Centre (lat, lon) of a cell.
    pub fn cell_centre(&self, row: usize, col: usize) -> (f64, f64) {
        self.geom.centre(row, col)
    }

    /// Hours of observation behind each 6-h bin (00–06, 06–12, 12–18, 18–24 local).
    pub fn hours_observed(&self) -> [f64; N_TOD4] {
        self.hours
    }

    /// Bytes held by the arrays (fine + coarse).
    pub fn memory_bytes(&self) -> usize {
        4 * (self.minutes.len() + self.speed.len() + self.course.len())
            + 4 * (self.c_speed.len() + self.c_course.len() + self.c_minutes.len())
            + self.rest.len()
    }

    /// Vessel-minutes live learning refused because of the cap.
    pub fn learn_dropped_minutes(&self) -> f64 {
        self.live.dropped_min
    }

    fn add_weight(&mut self, obs: &TrafficObs, r: usize, c: usize, t4: usize, w: f64) {
        let k = obs.class.index();
        let t2 = tod2_of4(t4);
        let (cr, cc) = (r / COARSE, c / COARSE);
        let w32 = w as f32;
        self.minutes[[k, t4, r, c]] += w32;
        self.c_minutes[[k, cr, cc]] += w32;
        if let Some(b) = speed_bin(obs.sog_kn) {
            self.speed[[k, t2, r, c, b]] += w32;
            self.c_speed[[k, cr, cc, b]] += w32;
        }
        if let Some(b) = course_bin(obs.sog_kn, obs.cog_deg) {
            self.course[[k, t2, r, c, b]] += w32;
            self.c_course[[k, cr, cc, b]] += w32;
        }
    }

    /// Recomputes the coarse grid and rest areas from the fine arrays.
    fn rebuild_derived(&mut self) {
        self.c_speed.fill(0.0);
        self.c_course.fill(0.0);
        self.c_minutes.fill(0.0);
        let (rows, cols) = (self.geom.rows, self.geom.cols);
        for k in 0..N_CLASSES {
            for r in 0..rows {
                for c in 0..cols {
                    let (cr, cc) = (r / COARSE, c / COARSE);
                    for t4 in 0..N_TOD4 {
                        self.c_minutes[[k, cr, cc]] += self.minutes[[k, t4, r, c]];
                    }
                    for t2 in 0..N_TOD2 {
                        for b in 0..N_SPEED {
                            self.c_speed[[k, cr, cc, b]] += self.speed[[k, t2, r, c, b]];
                        }
                        for b in 0..N_COURSE {
                            self.c_course[[k, cr, cc, b]] += self.course[[k, t2, r, c, b]];
                        }
                    }
                }
            }
        }
        for r in 0..rows {
            for c in 0..cols {
                self.update_rest(r, c);
            }
        }
    }

    /// Stopped/slow and total vessel-minutes (with a speed) of a cell, all
    /// hours and every class but service craft: pilots, tugs and patrol boats
    /// wait wherever their work takes them (a patrol boat's stop anywhere in
    /// its patrol box would make that spot a "port"), ordinary vessels stop
    /// at places.
    fn linger_totals(&self, r: usize, c: usize) -> (f64, f64) {
        let (mut slow, mut all) = (0.0f64, 0.0f64);
        for k in (0..N_CLASSES).filter(|&k| k != TrafficClass::Service.index()) {
            for t2 in 0..N_TOD2 {
                for b in 0..N_SPEED {
                    let v = self.speed[[k, t2, r, c, b]] as f64;
                    all += v;
                    if b < LINGER_BINS {
                        slow += v;
                    }
                }
            }
        }
        (slow, all)
    }

    fn update_rest(&mut self, r: usize, c: usize) {
        let hours: f64 = self.hours.iter().sum();
        let (slow, all) = self.linger_totals(r, c);
        self.rest[r * self.geom.cols + c] =
            hours > 0.0 && slow / hours >= REST_MIN_PER_HOUR && all > 0.0 && slow / all >= REST_MIN_SHARE;
    }

    /// Whether the cell of this position or one of its 8 neighbours is a learned
    /// place of rest: at least [`REST_MIN_PER_HOUR`] stopped/slow (< 3 kn)
    /// vessel-minutes per observed hour making at least [`REST_MIN_SHARE`] of its
    /// traffic (ports, anchorages, fishing grounds), service craft not
    /// counted. Outside the grid: false.
    pub fn is_rest_area(&self, lat_deg: f64, lon_deg: f64) -> bool {
        let Some((r, c)) = self.geom.cell(lat_deg, lon_deg) else {
            return false;
        };
        let (rows, cols) = (self.geom.rows, self.geom.cols);
        for rr in r.saturating_sub(1)..=(r + 1).min(rows - 1) {
            for cc in c.saturating_sub(1)..=(c + 1).min(cols - 1) {
                if self.rest[rr * cols + cc] {
                    return true;
                }
            }
        }
        false
    }

    /// How (un)usual a report is here, for its class and time of day. Allocation-free.
    pub fn score(&self, obs: &TrafficObs) -> CellScore {
        let g = &self.geom;
        let Some((r, c)) = g.cell(obs.lat_deg, obs.lon_deg) else {
            return CellScore::UNKNOWN;
        };
        let k = obs.class.index();
        let t4 = tod4(g.minute_of_day(obs.time_ms));
        let t2 = tod2_of4(t4);
        let sp = self.speed.as_slice().expect("standard layout");
        let co = self.course.as_slice().expect("standard layout");
        let (rows, cols) = (g.rows, g.cols);
        let fine = |k: usize, t2: usize, r: usize, c: usize| ((k * N_TOD2 + t2) * rows + r) * cols + c;

        let mut best: Option<(u8, [f64; N_SPEED], [f64; N_COURSE], f64)> = None;
        let mut consider = |level: u8, s: [f64; N_SPEED], cs: [f64; N_COURSE]| -> bool {
            let sup: f64 = s.iter().sum();
            if best.as_ref().is_none_or(|b| sup > b.3) {
                best = Some((level, s, cs, sup));
            }
            sup >= MIN_SUPPORT
        };
        let add = |s: &mut [f64; N_SPEED], cs: &mut [f64; N_COURSE], i: usize| {
            for (a, v) in s.iter_mut().zip(&sp[i * N_SPEED..(i + 1) * N_SPEED]) {
                *a += *v as f64;
            }
            for (a, v) in cs.iter_mut().zip(&co[i * N_COURSE..(i + 1) * N_COURSE]) {
                *a += *v as f64;
            }
        };
        // level 0: own cell
        let mut s = [0.0; N_SPEED];
        let mut cs = [0.0; N_COURSE];
        add(&mut s, &mut cs, fine(k, t2, r, c));
        let mut done = consider(0, s, cs);
        // level 1: 3 × 3
        if !done {
            for rr in r.saturating_sub(1)..=(r + 1).min(rows - 1) {
                for cc in c.saturating_sub(1)..=(c + 1).min(cols - 1) {
                    if (rr, cc) != (r, c) {
                        add(&mut s, &mut cs, fine(k, t2, rr, cc));
                    }
                }
            }
            done = consider(1, s, cs);
        }
        // level 2: coarse cell, this class; level 3: all classes
        let (cr, cc) = (r / COARSE, c / COARSE);
        let csp = self.c_speed.as_slice().expect("standard layout");
        let cco = self.c_course.as_slice().expect("standard layout");
        let coarse = |k: usize| (k * g.crows + cr) * g.ccols + cc;
        let add_c = |s: &mut [f64; N_SPEED], cs: &mut [f64; N_COURSE], i: usize| {
            for (a, v) in s.iter_mut().zip(&csp[i * N_SPEED..(i + 1) * N_SPEED]) {
                *a += *v as f64;
            }
            for (a, v) in cs.iter_mut().zip(&cco[i * N_COURSE..(i + 1) * N_COURSE]) {
                *a += *v as f64;
            }
        };
        if !done {
            let mut s = [0.0; N_SPEED];
            let mut cs = [0.0; N_COURSE];
            add_c(&mut s, &mut cs, coarse(k));
            done = consider(2, s, cs);
        }
        if !done {
            let mut s = [0.0; N_SPEED];
            let mut cs = [0.0; N_COURSE];
            for kk in 0..N_CLASSES {
                add_c(&mut s, &mut cs, coarse(kk));
            }
            consider(3, s, cs);
        }
        let Some((level, s, cs, support)) = best else {
            return CellScore::UNKNOWN;
        };
        if support <= 0.0 {
            return CellScore::UNKNOWN;
        }
        let p_speed = match speed_bin(obs.sog_kn) {
            Some(b) => tail_p::<N_SPEED>(&s, b, false),
            None => 1.0,
        };
        let p_course = match course_bin(obs.sog_kn, obs.cog_deg) {
            Some(b) if cs.iter().sum::<f64>() > 0.0 => tail_p::<N_COURSE>(&cs, b, true),
            _ => 1.0,
        };
        let linger_rate = (s[0] + s[1]) / support;
        let density = self.density_at(level, k, t4, r, c);
        let x = (p_speed * p_course).max(1e-300);
        let p = (x * (1.0 - x.ln())).min(1.0);
        CellScore { known: true, support, level, density, p_speed, p_course, linger_rate, surprise: -p.ln() }
    }

    fn density_at(&self, level: u8, k: usize, t4: usize, r: usize, c: usize) -> f64 {
        let g = &self.geom;
        let all_h: f64 = self.hours.iter().sum();
        match level {
            0 | 1 => {
                let (r0, r1, c0, c1) = if level == 0 {
                    (r, r, c, c)
                } else {
                    (r.saturating_sub(1), (r + 1).min(g.rows - 1), c.saturating_sub(1), (c + 1).min(g.cols - 1))
                };
                let (mut m, mut area) = (0.0, 0.0);
                let use_t4 = self.hours[t4] > 0.0;
                for rr in r0..=r1 {
                    for cc in c0..=c1 {
                        area += g.row_area_km2[rr];
                        if use_t4 {
                            m += self.minutes[[k, t4, rr, cc]] as f64;
                        } else {
                            m += (0..N_TOD4).map(|t| self.minutes[[k, t, rr, cc]] as f64).sum::<f64>();
                        }
                    }
                }
                let h = if use_t4 { self.hours[t4] } else { all_h };
                if h > 0.0 && area > 0.0 {
                    m / area / h
                } else {
                    0.0
                }
            }
            _ => {
                let (cr, cc) = (r / COARSE, c / COARSE);
                let m: f64 = if level == 2 {
                    self.c_minutes[[k, cr, cc]] as f64
                } else {
                    (0..N_CLASSES).map(|kk| self.c_minutes[[kk, cr, cc]] as f64).sum()
                };
                let rows = (cr * COARSE)..((cr + 1) * COARSE).min(g.rows);
                let ncols = ((cc + 1) * COARSE).min(g.cols) - cc * COARSE;
                let area: f64 = rows.map(|rr| g.row_area_km2[rr] * ncols as f64).sum();
                if all_h > 0.0 && area > 0.0 {
                    m / area / all_h
                } else {
                    0.0
                }
            }
        }
    }

    /// The grid cell (row, column) of a position; None outside the grid.
    pub fn cell(&self, lat_deg: f64, lon_deg: f64) -> Option<(usize, usize)> {
        self.geom.cell(lat_deg, lon_deg)
    }

    /// Vessel-minutes of some classes (all hours) in the cell of this
    /// position and the `ring` rings of cells around it (`ring = 1`: the
    /// 3 × 3 neighbourhood). None outside the grid. Zero where none of them
    /// was seen: for ships that keep to routes, off every route they take.
    pub fn class_minutes_near(&self, lat_deg: f64, lon_deg: f64, classes: &[TrafficClass], ring: usize) -> Option<f64> {
        let (r, c) = self.geom.cell(lat_deg, lon_deg)?;
        let (rows, cols) = (self.geom.rows, self.geom.cols);
        let mut m = 0.0f64;
        for class in classes {
            let k = class.index();
            for rr in r.saturating_sub(ring)..=(r + ring).min(rows - 1) {
                for cc in c.saturating_sub(ring)..=(c + ring).min(cols - 1) {
                    for t in 0..N_TOD4 {
                        m += self.minutes[[k, t, rr, cc]] as f64;
                    }
                }
            }
        }
        Some(m)
    }

    /// Circular statistics of the course histogram of one cell (a class, or all
    /// classes with `None`; day and night pooled). None outside the grid.
    pub fn course_stats(&self, lat_deg: f64, lon_deg: f64, class: Option<TrafficClass>) -> Option<CourseStats> {
        let (r, c) = self.geom.cell(lat_deg, lon_deg)?;
        let mut h = [0.0f64; N_COURSE];
        for k in 0..N_CLASSES {
            if class.is_some_and(|cl| cl.index() != k) {
                continue;
            }
            for t2 in 0..N_TOD2 {
                for (b, v) in h.iter_mut().enumerate() {
                    *v += self.course[[k, t2, r, c, b]] as f64;
                }
            }
        }
        Some(course_stats_of(&h))
    }

    /// Incremental learning from live traffic, capped (see the module docs):
    /// in any UTC day a (cell, class, 6-h bin) slice grows by at most
    /// [`LEARN_CAP_SHARE`] of its mass plus [`LEARN_FLOOR_MIN`] vessel-minutes.
    pub fn learn(&mut self, obs: &TrafficObs) {
        let Some((r, c)) = self.geom.cell(obs.lat_deg, obs.lon_deg) else {
            return;
        };
        let day = obs.time_ms.div_euclid(86_400_000);
        if day > self.live.day {
            self.live.day = day;
            self.live.budget.clear();
            let horizon = obs.time_ms - 86_400_000;
            self.live.last.retain(|_, t| *t >= horizon);
        }
        let minute = obs.time_ms.div_euclid(60_000);
        let t4 = tod4(self.geom.minute_of_day(obs.time_ms));
        if minute > self.live.last_minute {
            self.live.last_minute = minute;
            self.hours[t4] += 1.0 / 60.0;
        }
        let w = weight_min(&mut self.live.last, obs.mmsi, obs.time_ms);
        if w <= 0.0 {
            return;
        }
        let k = obs.class.index();
        let slice = ((k * N_TOD4 + t4) * self.geom.rows + r) * self.geom.cols + c;
        let mass = self.minutes[[k, t4, r, c]] as f64;
        let e = self.live.budget.entry(slice).or_insert((mass, 0.0));
        let allowed = (LEARN_CAP_SHARE * e.0 + LEARN_FLOOR_MIN - e.1).max(0.0);
        let w_eff = w.min(allowed);
        e.1 += w_eff;
        self.live.dropped_min += w - w_eff;
        if w_eff > 0.0 {
            self.add_weight(obs, r, c, t4, w_eff);
            self.update_rest(r, c);
        }
    }

    /// Draws the baseline (density heat map, dominant course per block, rest
    /// areas, graticule, legend; land and coastline from `basemap` when
    /// given) as a PNG at `path`, and writes beside it the world file (`.pgw`)
    /// and projection (`.prj`, WGS 84) that let GIS tools place it. Returns
    /// the world file's transform.
    pub fn render_png(&self, path: &std::path::Path, basemap: Option<&Basemap>) -> Result<WorldFile, BaselineError> {
        render::render_png(self, path, basemap)
    }

    /// Draws the baseline as [`Baseline::render_png`] does, written as a GeoTIFF at
    /// `path` that carries its own georeference (WGS 84, EPSG:4326): no world file.
    /// Returns the transform a `.pgw` of the same map would hold.
    pub fn render_geotiff(
        &self,
        path: &std::path::Path,
        basemap: Option<&Basemap>,
    ) -> Result<WorldFile, BaselineError> {
        render::render_geotiff(self, path, basemap)
    }
}

/// Tail probability of bin `b` of a smoothed histogram with a Dirichlet prior:
/// the mass of all bins at most as probable as `b`.
#[inline]
fn tail_p<const N: usize>(h: &[f64; N], b: usize, circular: bool) -> f64 {
    let mut q = [0.0f64; N];
    for i in 0..N {
        let (l, r) = if circular { ((i + N - 1) % N, (i + 1) % N) } else { (i.saturating_sub(1), (i + 1).min(N - 1)) };
        q[i] = 0.5 * h[i] + 0.25 * (h[l] + h[r]) + ALPHA;
    }
    let tot: f64 = q.iter().sum();
    let qb = q[b] * (1.0 + 1e-9);
    let p: f64 = q.iter().filter(|&&v| v <= qb).sum();
    (p / tot).min(1.0)
}

fn course_stats_of(h: &[f64; N_COURSE]) -> CourseStats {
    let (mut c1, mut s1, mut c2, mut s2, mut n) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let mut mode = 0;
    for (b, &v) in h.iter().enumerate() {
        let a = (b as f64 * 30.0).to_radians();
        c1 += v * a.cos();
        s1 += v * a.sin();
        c2 += v * (2.0 * a).cos();
        s2 += v * (2.0 * a).sin();
        n += v;
        if v > h[mode] {
            mode = b;
        }
    }
    let norm = |d: f64| d.rem_euclid(360.0);
    CourseStats {
        support: n,
        mean_deg: norm(s1.atan2(c1).to_degrees()),
        resultant: if n > 0.0 { (c1 * c1 + s1 * s1).sqrt() / n } else { 0.0 },
        axial_deg: norm(s2.atan2(c2).to_degrees()) / 2.0,
        axial_resultant: if n > 0.0 { (c2 * c2 + s2 * s2).sqrt() / n } else { 0.0 },
        mode_deg: mode as f64 * 30.0,
    }
}

impl From<lookout_core::VesselClass> for TrafficClass {
    /// A detection's class (drone, camera, aircraft operator).
    fn from(c: lookout_core::VesselClass) -> Self {
        use lookout_core::VesselClass as V;
        match c {
            V::RubberBoat | V::WoodenBoat => TrafficClass::SmallCraft,
            V::Fishing => TrafficClass::Fishing,
            V::Sailing | V::MotorYacht => TrafficClass::Leisure,
            V::Merchant => TrafficClass::Cargo,
            V::Unknown => TrafficClass::Unknown,
        }
    }
}
