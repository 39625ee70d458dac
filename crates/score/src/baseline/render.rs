//! `lookout baseline render`: the baseline as a picture an analyst can read.
//! Density of all classes (vessel-minutes per km² per hour, log colour scale,
//! viridis), the dominant course per block of cells (an arrow; a double-headed
//! bar where traffic runs both ways, from the axial circular mean), learned
//! rest areas outlined in cyan, cells without data light grey; title, colour
//! bar, symbol key and a scale bar. Drawn with `image` only (a 5 × 7 bitmap font
//! below) to keep dependencies lean.

use image::{Rgb, RgbImage};

use super::*;

const NO_DATA: Rgb<u8> = Rgb([225, 225, 225]);
const BG: Rgb<u8> = Rgb([255, 255, 255]);
const INK: Rgb<u8> = Rgb([20, 20, 20]);
const ARROW: Rgb<u8> = Rgb([230, 25, 60]);
const REST: Rgb<u8> = Rgb([0, 230, 255]);
const TEXT_SCALE: u32 = 2;

fn viridis(t: f64) -> Rgb<u8> {
    const S: [[f64; 3]; 5] = [[68., 1., 84.], [59., 82., 139.], [33., 145., 140.], [94., 201., 98.], [253., 231., 37.]];
    let t = t.clamp(0.0, 1.0) * 4.0;
    let i = (t as usize).min(3);
    let f = t - i as f64;
    let c = |j: usize| (S[i][j] + (S[i + 1][j] - S[i][j]) * f).round() as u8;
    Rgb([c(0), c(1), c(2)])
}

pub(crate) fn render_png(b: &Baseline, path: &std::path::Path) -> Result<(), BaselineError> {
    let img = render(b);
    img.save_with_format(path, image::ImageFormat::Png)
        .map_err(|e| BaselineError::Render(format!("{}: {e}", path.display())))
}

/// Draws the picture (public within the crate for tests of the layout).
pub(crate) fn render(b: &Baseline) -> RgbImage {
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
    text(&mut img, 16 + px, sy - 5, &format!("{km:.0} KM   N UP"), INK);
    img
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
        _ => return None,
    })
}
