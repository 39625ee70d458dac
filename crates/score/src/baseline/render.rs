//! `lookout baseline render`: the baseline as a picture an analyst can read.
//! Density of all classes (vessel-minutes per km² per hour, log colour scale,
//! viridis), the dominant course per block of cells (an arrow; a double-headed
//! bar where traffic runs both ways, from the axial circular mean), learned
//! rest areas outlined in cyan, cells without data light grey; land (when a
//! [`Basemap`] is given) tinted where there is no traffic and its coastline
//! drawn over everything; a labelled graticule; title, colour bar, symbol key
//! and a scale bar. Drawn with `image` only (a 5 × 7 bitmap font below) to
//! keep dependencies lean.
//!
//! The grid's cells are latitude/longitude rectangles, so the picture is a
//! plain EPSG:4326 raster: one affine transform (the ESRI world file written
//! beside it) places every pixel, legend margins included.

use std::path::{Path, PathBuf};

use image::{Rgb, RgbImage};

use super::basemap::Basemap;
use super::*;

const NO_DATA: Rgb<u8> = Rgb([225, 225, 225]);
const BG: Rgb<u8> = Rgb([255, 255, 255]);
const INK: Rgb<u8> = Rgb([20, 20, 20]);
const ARROW: Rgb<u8> = Rgb([230, 25, 60]);
const REST: Rgb<u8> = Rgb([0, 230, 255]);
/// Land where no traffic was seen (a chart's buff).
pub(crate) const LAND: Rgb<u8> = Rgb([236, 222, 186]);
/// Coastline: near-black brown, distinct from every colour of the density scale.
pub(crate) const COAST: Rgb<u8> = Rgb([60, 40, 20]);
/// Graticule: white, thin, so it reads over the dark end of viridis and over land.
pub(crate) const GRID: Rgb<u8> = Rgb([255, 255, 255]);
const TEXT_SCALE: u32 = 2;

/// ESRI WKT of WGS 84 geographic coordinates (EPSG:4326), as `.prj` files
/// carry it: QGIS and GDAL read it as EPSG:4326 without asking.
pub const WGS84_PRJ: &str = "GEOGCS[\"GCS_WGS_1984\",DATUM[\"D_WGS_1984\",SPHEROID[\"WGS_1984\",6378137.0,298.257223563]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]]";

fn viridis(t: f64) -> Rgb<u8> {
    const S: [[f64; 3]; 5] = [[68., 1., 84.], [59., 82., 139.], [33., 145., 140.], [94., 201., 98.], [253., 231., 37.]];
    let t = t.clamp(0.0, 1.0) * 4.0;
    let i = (t as usize).min(3);
    let f = t - i as f64;
    let c = |j: usize| (S[i][j] + (S[i + 1][j] - S[i][j]) * f).round() as u8;
    Rgb([c(0), c(1), c(2)])
}

/// Where a rendered map lies on the Earth: the affine transform of an ESRI
/// world file, from pixel (column `i`, row `j`, counted from the upper-left
/// pixel, at pixel centres) to WGS 84 degrees:
/// `lon = a·i + b·j + c`, `lat = d·i + e·j + f`. The map has no rotation,
/// so `b` = `d` = 0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorldFile {
    /// Pixel width, degrees of longitude.
    pub a: f64,
    pub d: f64,
    pub b: f64,
    /// Pixel height, degrees of latitude, negative (rows run south).
    pub e: f64,
    /// Longitude of the centre of the upper-left pixel, degrees.
    pub c: f64,
    /// Latitude of the centre of the upper-left pixel, degrees.
    pub f: f64,
}

impl WorldFile {
    /// The six lines of a `.pgw` in the order the format fixes (A, D, B, E,
    /// C, F), each the shortest decimal that reads back as the same f64.
    pub fn text(&self) -> String {
        format!("{}\n{}\n{}\n{}\n{}\n{}\n", self.a, self.d, self.b, self.e, self.c, self.f)
    }

    /// (lon, lat) degrees of the point at pixel coordinates (`i`, `j`)
    /// (pixel centres are whole numbers).
    pub fn lon_lat(&self, i: f64, j: f64) -> (f64, f64) {
        (self.a * i + self.b * j + self.c, self.d * i + self.e * j + self.f)
    }

    /// Pixel coordinates (`i`, `j`) of (lon, lat) degrees; the pixel holding
    /// it is (`i.round()`, `j.round()`).
    pub fn pixel(&self, lon: f64, lat: f64) -> (f64, f64) {
        ((lon - self.c) / self.a, (lat - self.f) / self.e)
    }

    /// The world file's name for `image`: `.pgw` beside a `.png`.
    pub fn path_for(image: &Path) -> PathBuf {
        image.with_extension("pgw")
    }
}

/// Writes the PNG at `path`, its world file (`.pgw`) and its projection
/// (`.prj`, WGS 84) beside it; returns the world file's transform.
pub(crate) fn render_png(b: &Baseline, path: &Path, basemap: Option<&Basemap>) -> Result<WorldFile, BaselineError> {
    let (img, world) = render(b, basemap);
    let err = |p: &Path, e: &dyn std::fmt::Display| BaselineError::Render(format!("{}: {e}", p.display()));
    img.save_with_format(path, image::ImageFormat::Png).map_err(|e| err(path, &e))?;
    let pgw = WorldFile::path_for(path);
    std::fs::write(&pgw, world.text()).map_err(|e| err(&pgw, &e))?;
    let prj = path.with_extension("prj");
    std::fs::write(&prj, WGS84_PRJ).map_err(|e| err(&prj, &e))?;
    Ok(world)
}

/// GeoKey directory of a GeoTIFF in WGS 84 degrees (GeoTIFF 1.0, OGC 19-008): header
/// (version 1, revision 1.0, 3 keys), then each key as (id, location 0 = value here,
/// count 1, value): GTModelTypeGeoKey (1024) = 2 geographic, GTRasterTypeGeoKey
/// (1025) = 1 PixelIsArea, GeographicTypeGeoKey (2048) = 4326.
pub const GEOKEYS_EPSG_4326: [u16; 16] = [1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, 4326];

/// The GeoTIFF tags of `world`'s map, `(ModelPixelScale, ModelTiepoint)`: the
/// pixel size in degrees (x, y, z = 0), and raster point (0, 0) — with PixelIsArea
/// the upper-left *corner* of the upper-left pixel, where the world file names its
/// centre — tied to its longitude and latitude.
pub fn geotiff_tags(world: &WorldFile) -> ([f64; 3], [f64; 6]) {
    let scale = [world.a, -world.e, 0.0];
    let (lon, lat) = world.lon_lat(-0.5, -0.5);
    (scale, [0.0, 0.0, 0.0, lon, lat, 0.0])
}

/// Writes the map at `path` as a GeoTIFF (RGB, 8 bits a channel, uncompressed),
/// georeferenced in WGS 84 (EPSG:4326) by its own tags (see [`geotiff_tags`],
/// [`GEOKEYS_EPSG_4326`]), so no world file is needed; returns the same transform as
/// [`render_png`] would write to the `.pgw`.
pub(crate) fn render_geotiff(b: &Baseline, path: &Path, basemap: Option<&Basemap>) -> Result<WorldFile, BaselineError> {
    use tiff::encoder::{colortype::RGB8, TiffEncoder};
    use tiff::tags::Tag;
    let (img, world) = render(b, basemap);
    let err = |e: &dyn std::fmt::Display| BaselineError::Render(format!("{}: {e}", path.display()));
    let file = std::fs::File::create(path).map_err(|e| err(&e))?;
    let mut enc = TiffEncoder::new(std::io::BufWriter::new(file)).map_err(|e| err(&e))?;
    let mut tif = enc.new_image::<RGB8>(img.width(), img.height()).map_err(|e| err(&e))?;
    let (scale, tiepoint) = geotiff_tags(&world);
    let d = tif.encoder();
    d.write_tag(Tag::ModelPixelScaleTag, &scale[..]).map_err(|e| err(&e))?;
    d.write_tag(Tag::ModelTiepointTag, &tiepoint[..]).map_err(|e| err(&e))?;
    d.write_tag(Tag::GeoKeyDirectoryTag, &GEOKEYS_EPSG_4326[..]).map_err(|e| err(&e))?;
    tif.write_data(img.as_raw()).map_err(|e| err(&e))?;
    Ok(world)
}

/// Pixel frame of the map area within the picture.
struct Frame {
    /// Upper-left corner of the map area, pixels.
    x0: u32,
    top: u32,
    /// Map area size, pixels.
    mw: u32,
    mh: u32,
    /// Pixels per cell edge.
    p: u32,
    /// Geographic edges of the map area, degrees (the grid rounded up to
    /// whole cells, so east and north may pass the spec's max a little).
    west: f64,
    north: f64,
    dlon: f64,
    dlat: f64,
}

impl Frame {
    /// Continuous pixel position (corner convention: pixel (x, y) spans
    /// x..x+1) of (lon, lat).
    fn xy(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            self.x0 as f64 + (lon - self.west) / self.dlon * self.p as f64,
            self.top as f64 + (self.north - lat) / self.dlat * self.p as f64,
        )
    }

    fn east(&self) -> f64 {
        self.west + self.mw as f64 / self.p as f64 * self.dlon
    }

    fn south(&self) -> f64 {
        self.north - self.mh as f64 / self.p as f64 * self.dlat
    }

    fn world_file(&self) -> WorldFile {
        let a = self.dlon / self.p as f64;
        let e = -self.dlat / self.p as f64;
        // Pixel i's centre lies at corner coordinate i + 0.5.
        WorldFile {
            a,
            d: 0.0,
            b: 0.0,
            e,
            c: self.west + (0.5 - self.x0 as f64) * a,
            f: self.north + (0.5 - self.top as f64) * e,
        }
    }

    fn contains(&self, x: i64, y: i64) -> bool {
        x >= self.x0 as i64 && y >= self.top as i64 && x < (self.x0 + self.mw) as i64 && y < (self.top + self.mh) as i64
    }
}

/// Draws the picture and says where it lies (public within the crate for
/// tests of the layout).
pub(crate) fn render(b: &Baseline, basemap: Option<&Basemap>) -> (RgbImage, WorldFile) {
    let g = &b.geom;
    let (rows, cols) = (g.rows, g.cols);
    let p = (900 / rows.max(cols)).clamp(1, 12) as u32;
    let (mw, mh) = (cols as u32 * p, rows as u32 * p);
    let (left, top, bottom) = (10u32, 40u32, 120u32);
    let width = (mw + 2 * left).max(760);
    let height = top + mh + bottom;
    let mut img = RgbImage::from_pixel(width, height, BG);

    // density, all classes and hours
    let hours: f64 = b.hours.iter().sum();
    let mut dens = vec![0.0f64; rows * cols];
    for r in 0..rows {
        for c in 0..cols {
            let m: f64 = (0..N_CLASSES)
                .flat_map(|k| (0..N_TOD4).map(move |t| (k, t)))
                .map(|(k, t)| b.minutes[[k, t, r, c]] as f64)
                .sum();
            dens[r * cols + c] = if hours > 0.0 { m / g.row_area_km2[r] / hours } else { 0.0 };
        }
    }
    let mut nz: Vec<f64> = dens.iter().copied().filter(|&d| d > 0.0).collect();
    nz.sort_by(|a, b| a.total_cmp(b));
    let (lo, hi) = if nz.is_empty() {
        (0.01, 1.0)
    } else {
        let hi = nz[((nz.len() - 1) as f64 * 0.99) as usize].max(1e-9);
        (nz[0].max(hi / 1e4), hi)
    };
    let (llo, lhi) = (lo.log10(), hi.log10().max(lo.log10() + 1e-6));
    let x0 = (width - mw) / 2;
    let frame = Frame {
        x0,
        top,
        mw,
        mh,
        p,
        west: g.min_lon,
        north: g.min_lat + rows as f64 * g.dlat,
        dlon: g.dlon,
        dlat: g.dlat,
    };
    for r in 0..rows {
        for c in 0..cols {
            let d = dens[r * cols + c];
            let col = if d > 0.0 { viridis((d.log10() - llo) / (lhi - llo)) } else { NO_DATA };
            // north up: row 0 (south) at the bottom
            let y = top + (rows - 1 - r) as u32 * p;
            let x = x0 + c as u32 * p;
            for dy in 0..p {
                for dx in 0..p {
                    img.put_pixel(x + dx, y + dy, col);
                }
            }
        }
    }
    // Land under the traffic: tinted only where no traffic was seen (ports
    // keep their density), outlined after the graticule so the coast stays
    // unbroken. Rest areas and arrows go over both.
    let step = graticule_step(&frame);
    if let Some(m) = basemap {
        fill_land(&mut img, &frame, m);
    }
    graticule_lines(&mut img, &frame, step);
    if let Some(m) = basemap {
        coastline(&mut img, &frame, m);
    }
    // rest areas
    for r in 0..rows {
        for c in 0..cols {
            if b.rest[r * cols + c] {
                let y = top + (rows - 1 - r) as u32 * p;
                let x = x0 + c as u32 * p;
                rect(&mut img, x as i64, y as i64, p.max(2) as i64, p.max(2) as i64, REST);
            }
        }
    }
    // dominant course per block
    let blk = ((24 / p).max(1) as usize).max(2);
    for br in (0..rows).step_by(blk) {
        for bc in (0..cols).step_by(blk) {
            let mut h = [0.0f64; N_COURSE];
            for r in br..(br + blk).min(rows) {
                for c in bc..(bc + blk).min(cols) {
                    for k in 0..N_CLASSES {
                        for t in 0..N_TOD2 {
                            for (i, v) in h.iter_mut().enumerate() {
                                *v += b.course[[k, t, r, c, i]] as f64;
                            }
                        }
                    }
                }
            }
            let st = course_stats_of(&h);
            if st.support < 10.0 * (hours / 24.0).max(1.0) {
                continue;
            }
            let nr = ((br + blk).min(rows) - br) as f64;
            let nc = ((bc + blk).min(cols) - bc) as f64;
            let cx = x0 as f64 + (bc as f64 + nc / 2.0) * p as f64;
            let cy = top as f64 + (rows as f64 - br as f64 - nr / 2.0) * p as f64;
            let len = 0.42 * blk as f64 * p as f64;
            let two_way = st.resultant < 0.5 * st.axial_resultant;
            let dir = if two_way {
                st.axial_deg
            } else if st.resultant > 0.3 {
                st.mean_deg
            } else {
                st.mode_deg
            };
            arrow(&mut img, cx, cy, dir, len, two_way);
        }
    }
    // frame
    rect(&mut img, x0 as i64 - 1, top as i64 - 1, mw as i64 + 2, mh as i64 + 2, INK);
    graticule_labels(&mut img, &frame, step);

    // title
    let title = format!("LOOKOUT BASELINE: {}  CELL {} M  {:.0} H OBSERVED", b.spec.name, b.spec.cell_m, hours);
    text(&mut img, 10, 12, &title, INK);
    // colour bar
    let ly = top + mh + 14;
    let bar_w = 256u32;
    for i in 0..bar_w {
        let col = viridis(i as f64 / (bar_w - 1) as f64);
        for dy in 0..14 {
            img.put_pixel(10 + i, ly + dy, col);
        }
    }
    rect(&mut img, 9, ly as i64 - 1, bar_w as i64 + 2, 16, INK);
    text(&mut img, 10, ly + 20, &fmt_num(lo), INK);
    let hs = fmt_num(hi);
    text(&mut img, 10 + bar_w - text_w(&hs), ly + 20, &hs, INK);
    let unit = "VESSEL-MIN/KM2/H, ALL CLASSES (LOG)";
    text(&mut img, 10, ly + 40, unit, INK);
    // key
    let kx = 10 + bar_w.max(text_w(unit)) + 24;
    fill(&mut img, kx, ly, 14, 14, NO_DATA);
    rect(&mut img, kx as i64, ly as i64, 14, 14, INK);
    text(&mut img, kx + 20, ly, "NO DATA (UNKNOWN)", INK);
    rect(&mut img, kx as i64, ly as i64 + 20, 14, 14, REST);
    rect(&mut img, kx as i64 + 1, ly as i64 + 21, 12, 12, REST);
    text(&mut img, kx + 20, ly + 20, "REST AREA", INK);
    arrow(&mut img, kx as f64 + 7.0, ly as f64 + 47.0, 90.0, 9.0, false);
    text(&mut img, kx + 20, ly + 40, "DOMINANT COURSE", INK);
    arrow(&mut img, kx as f64 + 7.0, ly as f64 + 67.0, 90.0, 9.0, true);
    text(&mut img, kx + 20, ly + 60, "TWO-WAY LANE", INK);
    // scale bar: 20 km (or 5 cells if cells are large)
    let km = if b.spec.cell_m * 5.0 > 20_000.0 { (b.spec.cell_m * 5.0 / 1000.0).round() } else { 20.0 };
    let px = (km * 1000.0 / b.spec.cell_m * p as f64).round() as u32;
    let sy = ly + 84;
    fill(&mut img, 10, sy, px.max(1), 4, INK);
    let scale_note = format!("{km:.0} KM   N UP");
    text(&mut img, 16 + px, sy - 5, &scale_note, INK);
    // Where the geography came from, right-aligned on the scale bar's line
    // when it fits.
    let source = format!(
        "{}GRID {}  WGS84",
        if basemap.is_some() { "LAND: NATURAL EARTH 1:50M  " } else { "" },
        deg_text(step, "")
    );
    let sw = text_w(&source);
    if 16 + px + text_w(&scale_note) + 24 + sw + 10 <= width {
        text(&mut img, width - 10 - sw, sy - 5, &source, INK);
    }
    let world = frame.world_file();
    (img, world)
}

/// Graticule spacing, degrees: the finest of a chart's usual steps that
/// puts at most six lines across the map's longer side.
fn graticule_step(f: &Frame) -> f64 {
    const STEPS: [f64; 12] = [0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 45.0];
    let span = (f.east() - f.west).max(f.north - f.south());
    STEPS.into_iter().find(|s| span / s <= 6.0).unwrap_or(90.0)
}

/// The multiples of `step` within lo..=hi. Counted in whole steps, so 0.1°
/// lines do not drift by float error.
fn multiples(lo: f64, hi: f64, step: f64) -> impl Iterator<Item = f64> {
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(move |k| k as f64 * step)
}

/// Meridians and parallels, 1 px wide, each in the pixel column (row) whose
/// span holds it.
fn graticule_lines(img: &mut RgbImage, f: &Frame, step: f64) {
    for lon in multiples(f.west, f.east(), step) {
        let x = f.xy(lon, f.north).0.floor() as i64;
        for y in f.top as i64..(f.top + f.mh) as i64 {
            if f.contains(x, y) {
                img.put_pixel(x as u32, y as u32, GRID);
            }
        }
    }
    for lat in multiples(f.south(), f.north, step) {
        let y = f.xy(f.west, lat).1.floor() as i64;
        for x in f.x0 as i64..(f.x0 + f.mw) as i64 {
            if f.contains(x, y) {
                img.put_pixel(x as u32, y as u32, GRID);
            }
        }
    }
}

/// Labels inside the frame, on white: longitudes along the bottom edge,
/// latitudes along the left; a label that would cross the frame or the
/// corner is left out.
fn graticule_labels(img: &mut RgbImage, f: &Frame, step: f64) {
    let h = 7 * TEXT_SCALE;
    let band = f.top + f.mh - h - 4; // top of the bottom label band
    for lon in multiples(f.west, f.east(), step) {
        let s = deg_text(
            lon,
            if lon < 0.0 {
                "W"
            } else if lon > 0.0 {
                "E"
            } else {
                ""
            },
        );
        let w = text_w(&s);
        let x = f.xy(lon, f.north).0.floor() as i64 - w as i64 / 2;
        if x < f.x0 as i64 + 2 || x + w as i64 > (f.x0 + f.mw) as i64 - 2 {
            continue;
        }
        label(img, x as u32, band + 2, &s);
    }
    for lat in multiples(f.south(), f.north, step) {
        let s = deg_text(
            lat,
            if lat < 0.0 {
                "S"
            } else if lat > 0.0 {
                "N"
            } else {
                ""
            },
        );
        let y = f.xy(f.west, lat).1.floor() as i64 - h as i64 / 2;
        if y < f.top as i64 + 2 || y + h as i64 > band as i64 - 2 {
            continue;
        }
        label(img, f.x0 + 3, y as u32, &s);
    }
}

/// Text on a white box one pixel larger all round.
fn label(img: &mut RgbImage, x: u32, y: u32, s: &str) {
    fill(img, x.saturating_sub(2), y.saturating_sub(2), text_w(s) + 2, 7 * TEXT_SCALE + 4, BG);
    text(img, x, y, s, INK);
}

/// `35°N`, `12.5°E`, `0.25°`: no more decimals than the value needs (two at most).
fn deg_text(v: f64, hemisphere: &str) -> String {
    let a = v.abs();
    let mut s = format!("{a:.2}");
    while s.ends_with('0') {
        s.pop();
    }
    if s.ends_with('.') {
        s.pop();
    }
    format!("{s}°{hemisphere}")
}

/// Land inside the frame: even-odd scanline fill of every ring near the map,
/// at pixel centres, painting only cells without traffic.
fn fill_land(img: &mut RgbImage, f: &Frame, m: &Basemap) {
    // Edges in pixel coordinates, only those whose rows meet the frame.
    let (y_lo, y_hi) = (f.top as f64, (f.top + f.mh) as f64);
    let mut edges: Vec<((f64, f64), (f64, f64))> = Vec::new();
    for r in near(f, m) {
        for w in r.points.windows(2) {
            let (a, b) = (f.xy(w[0].0, w[0].1), f.xy(w[1].0, w[1].1));
            if a.1.max(b.1) >= y_lo && a.1.min(b.1) <= y_hi && a.1 != b.1 {
                edges.push((a, b));
            }
        }
    }
    let mut xs: Vec<f64> = Vec::new();
    for y in f.top..f.top + f.mh {
        let yc = y as f64 + 0.5;
        xs.clear();
        // Half-open in y, so a vertex shared by two edges counts once.
        xs.extend(
            edges
                .iter()
                .filter(|(a, b)| (a.1 <= yc) != (b.1 <= yc))
                .map(|(a, b)| a.0 + (yc - a.1) / (b.1 - a.1) * (b.0 - a.0)),
        );
        xs.sort_by(|a, b| a.total_cmp(b));
        for pair in xs.chunks_exact(2) {
            // pixels whose centre lies between the two crossings
            let from = (pair[0] - 0.5).ceil().max(f.x0 as f64) as i64;
            let to = (pair[1] - 0.5).floor().min((f.x0 + f.mw - 1) as f64) as i64;
            for x in from..=to {
                if img.get_pixel(x as u32, y) == &NO_DATA {
                    img.put_pixel(x as u32, y, LAND);
                }
            }
        }
    }
}

/// Coastline: every ring near the map, 1 px wide, clipped to the frame.
fn coastline(img: &mut RgbImage, f: &Frame, m: &Basemap) {
    let (x_lo, x_hi, y_lo, y_hi) = (f.x0 as f64, (f.x0 + f.mw) as f64, f.top as f64, (f.top + f.mh) as f64);
    for r in near(f, m) {
        for w in r.points.windows(2) {
            let (a, b) = (f.xy(w[0].0, w[0].1), f.xy(w[1].0, w[1].1));
            // Segments wholly off one side of the frame are not walked.
            if a.0.max(b.0) < x_lo || a.0.min(b.0) > x_hi || a.1.max(b.1) < y_lo || a.1.min(b.1) > y_hi {
                continue;
            }
            let n = ((b.0 - a.0).abs().max((b.1 - a.1).abs()).ceil() as i64).max(1);
            for k in 0..=n {
                let t = k as f64 / n as f64;
                let (x, y) = ((a.0 + (b.0 - a.0) * t).floor() as i64, (a.1 + (b.1 - a.1) * t).floor() as i64);
                if f.contains(x, y) {
                    img.put_pixel(x as u32, y as u32, COAST);
                }
            }
        }
    }
}

/// Rings whose bounding box meets the map's.
fn near<'a>(f: &'a Frame, m: &'a Basemap) -> impl Iterator<Item = &'a super::basemap::Ring> + 'a {
    let (w, s, e, n) = (f.west, f.south(), f.east(), f.north);
    m.rings.iter().filter(move |r| r.bbox.0 <= e && r.bbox.2 >= w && r.bbox.1 <= n && r.bbox.3 >= s)
}

fn fmt_num(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

fn put(img: &mut RgbImage, x: i64, y: i64, c: Rgb<u8>) {
    if x >= 0 && y >= 0 && (x as u32) < img.width() && (y as u32) < img.height() {
        img.put_pixel(x as u32, y as u32, c);
    }
}

fn fill(img: &mut RgbImage, x: u32, y: u32, w: u32, h: u32, c: Rgb<u8>) {
    for dy in 0..h {
        for dx in 0..w {
            put(img, (x + dx) as i64, (y + dy) as i64, c);
        }
    }
}

fn rect(img: &mut RgbImage, x: i64, y: i64, w: i64, h: i64, c: Rgb<u8>) {
    for i in 0..w {
        put(img, x + i, y, c);
        put(img, x + i, y + h - 1, c);
    }
    for j in 0..h {
        put(img, x, y + j, c);
        put(img, x + w - 1, y + j, c);
    }
}

fn line(img: &mut RgbImage, x0: f64, y0: f64, x1: f64, y1: f64, c: Rgb<u8>) {
    let n = ((x1 - x0).abs().max((y1 - y0).abs()).ceil() as i64).max(1);
    for i in 0..=n {
        let t = i as f64 / n as f64;
        let (x, y) = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t);
        // 2 px wide
        put(img, x.round() as i64, y.round() as i64, c);
        put(img, x.round() as i64 + 1, y.round() as i64, c);
        put(img, x.round() as i64, y.round() as i64 + 1, c);
    }
}

/// An arrow centred at (cx, cy) pointing to `deg` (true, north up), half-length `len`.
fn arrow(img: &mut RgbImage, cx: f64, cy: f64, deg: f64, len: f64, both: bool) {
    let a = deg.to_radians();
    let (dx, dy) = (a.sin(), -a.cos());
    let (hx, hy) = (cx + dx * len, cy + dy * len);
    let (tx, ty) = (cx - dx * len, cy - dy * len);
    line(img, tx, ty, hx, hy, ARROW);
    let head = |img: &mut RgbImage, x: f64, y: f64, ang: f64| {
        for s in [-1.0f64, 1.0] {
            let b = ang + std::f64::consts::PI + s * 0.5;
            line(img, x, y, x + b.sin() * len * 0.55, y - b.cos() * len * 0.55, ARROW);
        }
    };
    head(img, hx, hy, a);
    if both {
        head(img, tx, ty, a + std::f64::consts::PI);
    }
}

fn text_w(s: &str) -> u32 {
    s.chars().count() as u32 * 6 * TEXT_SCALE
}

fn text(img: &mut RgbImage, x: u32, y: u32, s: &str, c: Rgb<u8>) {
    for (i, ch) in s.chars().enumerate() {
        let Some(g) = glyph(ch.to_ascii_uppercase()) else {
            continue;
        };
        for (row, bits) in g.as_bytes().chunks(5).enumerate() {
            for (col, &bit) in bits.iter().enumerate() {
                if bit == b'1' {
                    let px = x + (i as u32 * 6 + col as u32) * TEXT_SCALE;
                    let py = y + row as u32 * TEXT_SCALE;
                    fill(img, px, py, TEXT_SCALE, TEXT_SCALE, c);
                }
            }
        }
    }
}

/// 5 × 7 glyphs, rows top to bottom.
fn glyph(ch: char) -> Option<&'static str> {
    Some(match ch {
        'A' => "01110100011000111111100011000110001",
        'B' => "11110100011000111110100011000111110",
        'C' => "01110100011000010000100001000101110",
        'D' => "11110100011000110001100011000111110",
        'E' => "11111100001000011110100001000011111",
        'F' => "11111100001000011110100001000010000",
        'G' => "01110100011000010111100011000101111",
        'H' => "10001100011000111111100011000110001",
        'I' => "01110001000010000100001000010001110",
        'J' => "00111000100001000010000101001001100",
        'K' => "10001100101010011000101001001010001",
        'L' => "10000100001000010000100001000011111",
        'M' => "10001110111010110101100011000110001",
        'N' => "10001100011100110101100111000110001",
        'O' => "01110100011000110001100011000101110",
        'P' => "11110100011000111110100001000010000",
        'Q' => "01110100011000110001101011001001101",
        'R' => "11110100011000111110101001001010001",
        'S' => "01111100001000001110000010000111110",
        'T' => "11111001000010000100001000010000100",
        'U' => "10001100011000110001100011000101110",
        'V' => "10001100011000110001100010101000100",
        'W' => "10001100011000110101101011010101010",
        'X' => "10001100010101000100010101000110001",
        'Y' => "10001100010101000100001000010000100",
        'Z' => "11111000010001000100010001000011111",
        '0' => "01110100011001110101110011000101110",
        '1' => "00100011000010000100001000010001110",
        '2' => "01110100010000100010001000100011111",
        '3' => "11111000100010000010000011000101110",
        '4' => "00010001100101010010111110001000010",
        '5' => "11111100001111000001000011000101110",
        '6' => "00110010001000011110100011000101110",
        '7' => "11111000010001000100010000100001000",
        '8' => "01110100011000101110100011000101110",
        '9' => "01110100011000101111000010001001100",
        '.' => "00000000000000000000000000110001100",
        '-' => "00000000000000011111000000000000000",
        '/' => "00001000100001000100010000100010000",
        ':' => "00000011000110000000011000110000000",
        '(' => "00010001000100001000010000010000010",
        ')' => "01000001000001000010000100010001000",
        ',' => "00000000000000000000011000010001000",
        '%' => "11000110010001000100010001001100011",
        '<' => "00010001000100010000010000010000010",
        '>' => "01000001000001000001000100010001000",
        '=' => "00000000001111100000111110000000000",
        '+' => "00000001000010011111001000010000000",
        '_' => "00000000000000000000000000000011111",
        '°' => "01100100101001001100000000000000000",
        _ => return None,
    })
}
