//! Baseline file: hand-written little-endian layout (not serde/bincode) so that
//! every length is checked against limits *before* anything is allocated, the
//! arrays stream straight into and out of ndarray storage, and the layout is
//! stable and documented independently of any crate's encoding:
//!
//! ```text
//! "LKBASELN" | u32 version | u32 header_len (≤ 4096) | header | u32 crc32(header)
//! | zlib( minutes ‖ speed ‖ course as f32 LE, C order ) | u32 crc32(uncompressed payload)
//! | u32 crc32(every byte before this one)
//! header = u16 name_len, name (UTF-8), f64 min_lat, min_lon, max_lat, max_lon, cell_m,
//!          u8 classes, tod4, tod2, speed_bins, course_bins, u32 rows, cols, f64 hours[4]
//! ```
//! Magic, then version, are checked first (clear "not a baseline" / "wrong
//! version" errors), then the header CRC, the spec, the area name, and finally
//! the whole-file CRC (so *any* changed or missing byte is caught, even one
//! zlib would decode to the same data), the payload length and CRC, and that
//! every value is finite and ≥ 0.

use std::io::{Read, Write};

use flate2::{read::ZlibDecoder, write::ZlibEncoder, Compression};

use super::*;

const MAGIC: &[u8; 8] = b"LKBASELN";
const MAX_HEADER: usize = 4096;
/// Largest file read (compressed).
const MAX_FILE: u64 = 2 << 30;

fn corrupt<T>(m: impl Into<String>) -> Result<T, BaselineError> {
    Err(BaselineError::Corrupt(m.into()))
}

struct Cur<'a>(&'a [u8]);
impl<'a> Cur<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], BaselineError> {
        if self.0.len() < n {
            return corrupt("truncated");
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, BaselineError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, BaselineError> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into().unwrap()))
    }
    fn u32(&mut self) -> Result<u32, BaselineError> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }
    fn f64(&mut self) -> Result<f64, BaselineError> {
        Ok(f64::from_le_bytes(self.take(8)?.try_into().unwrap()))
    }
}

/// A writer that hashes what passes through it.
struct HashW<W: Write> {
    w: W,
    h: crc32fast::Hasher,
}
impl<W: Write> Write for HashW<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.w.write(buf)?;
        self.h.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.w.flush()
    }
}

impl Baseline {
    /// Writes the baseline (see the module docs of `file.rs` for the layout).
    pub fn save(&self, w: impl Write) -> Result<(), BaselineError> {
        let mut w = HashW { w, h: crc32fast::Hasher::new() };
        let s = &self.spec;
        let mut h = Vec::with_capacity(128);
        h.extend_from_slice(&(s.name.len() as u16).to_le_bytes());
        h.extend_from_slice(s.name.as_bytes());
        for v in [s.min_lat_deg, s.min_lon_deg, s.max_lat_deg, s.max_lon_deg, s.cell_m] {
            h.extend_from_slice(&v.to_le_bytes());
        }
        h.extend_from_slice(&[N_CLASSES as u8, N_TOD4 as u8, N_TOD2 as u8, N_SPEED as u8, N_COURSE as u8]);
        h.extend_from_slice(&(self.geom.rows as u32).to_le_bytes());
        h.extend_from_slice(&(self.geom.cols as u32).to_le_bytes());
        for v in self.hours {
            h.extend_from_slice(&v.to_le_bytes());
        }
        w.write_all(MAGIC)?;
        w.write_all(&Self::FORMAT_VERSION.to_le_bytes())?;
        w.write_all(&(h.len() as u32).to_le_bytes())?;
        w.write_all(&h)?;
        w.write_all(&crc32fast::hash(&h).to_le_bytes())?;
        let mut crc = crc32fast::Hasher::new();
        let mut enc = ZlibEncoder::new(&mut w, Compression::fast());
        let mut buf = Vec::with_capacity(1 << 16);
        for arr in [
            self.minutes.as_slice().expect("standard layout"),
            self.speed.as_slice().expect("standard layout"),
            self.course.as_slice().expect("standard layout"),
        ] {
            for chunk in arr.chunks(1 << 14) {
                buf.clear();
                for v in chunk {
                    buf.extend_from_slice(&v.to_le_bytes());
                }
                crc.update(&buf);
                enc.write_all(&buf)?;
            }
        }
        enc.finish()?;
        w.write_all(&crc.finalize().to_le_bytes())?;
        let file_crc = w.h.clone().finalize();
        w.w.write_all(&file_crc.to_le_bytes())?;
        w.flush()?;
        Ok(())
    }

    /// Reads a baseline file. The error names the file and says what is
    /// wrong with it (not a baseline, wrong version, other area, corrupt).
    pub fn load_path(path: &std::path::Path, expect_area: Option<&str>) -> Result<Baseline, BaselineFileError> {
        let named = |source| BaselineFileError { path: path.to_path_buf(), source };
        let f = std::fs::File::open(path).map_err(|e| named(e.into()))?;
        Self::load(std::io::BufReader::new(f), expect_area).map_err(named)
    }

    /// Writes the baseline to `path` through a temporary file and a rename,
    /// so a crash half-way leaves the previous file whole.
    pub fn save_path(&self, path: &std::path::Path) -> Result<(), BaselineFileError> {
        let tmp = path.with_extension("tmp");
        let named = |source| BaselineFileError { path: path.to_path_buf(), source };
        let f = std::fs::File::create(&tmp).map_err(|e| named(e.into()))?;
        let mut w = std::io::BufWriter::new(f);
        self.save(&mut w).map_err(named)?;
        let f = w.into_inner().map_err(|e| named(e.into_error().into()))?;
        f.sync_all().map_err(|e| named(e.into()))?;
        std::fs::rename(&tmp, path).map_err(|e| named(e.into()))
    }

    /// Reads a baseline. `expect_area`: refuse a file built for another area.
    /// Any bytes give a value or an error, never a panic.
    pub fn load(r: impl Read, expect_area: Option<&str>) -> Result<Baseline, BaselineError> {
        let mut bytes = Vec::new();
        r.take(MAX_FILE).read_to_end(&mut bytes)?;
        if bytes.len() < MAGIC.len() || &bytes[..8] != MAGIC {
            return Err(BaselineError::NotBaseline);
        }
        let mut cur = Cur(&bytes[8..]);
        let version = cur.u32()?;
        if version != Self::FORMAT_VERSION {
            return Err(BaselineError::WrongVersion { found: version, expected: Self::FORMAT_VERSION });
        }
        let hlen = cur.u32()? as usize;
        if hlen > MAX_HEADER {
            return corrupt(format!("header length {hlen} too large"));
        }
        let hbytes = cur.take(hlen)?;
        if crc32fast::hash(hbytes) != cur.u32()? {
            return corrupt("header checksum mismatch");
        }
        let mut h = Cur(hbytes);
        let nlen = h.u16()? as usize;
        let name = std::str::from_utf8(h.take(nlen)?)
            .map_err(|_| BaselineError::Corrupt("area name is not UTF-8".into()))?
            .to_string();
        let spec = GridSpec {
            min_lat_deg: h.f64()?,
            min_lon_deg: h.f64()?,
            max_lat_deg: h.f64()?,
            max_lon_deg: h.f64()?,
            cell_m: h.f64()?,
            name,
        };
        let dims = [h.u8()?, h.u8()?, h.u8()?, h.u8()?, h.u8()?];
        if dims != [N_CLASSES as u8, N_TOD4 as u8, N_TOD2 as u8, N_SPEED as u8, N_COURSE as u8] {
            return corrupt(format!("array layout {dims:?} does not match this version"));
        }
        let (rows, cols) = (h.u32()? as usize, h.u32()? as usize);
        let mut hours = [0.0; N_TOD4];
        for v in hours.iter_mut() {
            *v = h.f64()?;
            if !v.is_finite() || *v < 0.0 {
                return corrupt("invalid hours observed");
            }
        }
        spec.validate().map_err(|e| BaselineError::Corrupt(format!("bad grid in header: {e}")))?;
        if spec.dims() != (rows, cols) {
            return corrupt("grid size does not match the area and cell size");
        }
        if let Some(want) = expect_area {
            if want != spec.name {
                return Err(BaselineError::WrongArea { found: spec.name, expected: want.to_string() });
            }
        }
        let rest = cur.0;
        if rest.len() < 8 {
            return corrupt("truncated");
        }
        let (all, file_crc) = bytes.split_at(bytes.len() - 4);
        if crc32fast::hash(all) != u32::from_le_bytes(file_crc.try_into().unwrap()) {
            return corrupt("file checksum mismatch (damaged or truncated)");
        }
        let rest = &rest[..rest.len() - 4];
        if rest.len() < 4 {
            return corrupt("truncated");
        }
        let (z, tail) = rest.split_at(rest.len() - 4);
        let want_crc = u32::from_le_bytes(tail.try_into().unwrap());
        let mut b = Baseline::empty(spec)?;
        b.hours = hours;
        let mut dec = ZlibDecoder::new(z);
        let mut crc = crc32fast::Hasher::new();
        let mut buf = vec![0u8; 1 << 16];
        let err = |e: std::io::Error| BaselineError::Corrupt(format!("payload: {e}"));
        for arr in [
            b.minutes.as_slice_mut().expect("standard layout"),
            b.speed.as_slice_mut().expect("standard layout"),
            b.course.as_slice_mut().expect("standard layout"),
        ] {
            for chunk in arr.chunks_mut(1 << 14) {
                let n = chunk.len() * 4;
                dec.read_exact(&mut buf[..n]).map_err(err)?;
                crc.update(&buf[..n]);
                for (v, bs) in chunk.iter_mut().zip(buf[..n].chunks_exact(4)) {
                    *v = f32::from_le_bytes(bs.try_into().unwrap());
                }
            }
        }
        if dec.read(&mut buf[..1]).map_err(err)? != 0 {
            return corrupt("payload longer than the grid");
        }
        if crc.finalize() != want_crc {
            return corrupt("payload checksum mismatch");
        }
        let ok = |a: &[f32]| a.iter().all(|v| v.is_finite() && *v >= 0.0);
        if !(ok(b.minutes.as_slice().unwrap()) && ok(b.speed.as_slice().unwrap()) && ok(b.course.as_slice().unwrap())) {
            return corrupt("negative or non-finite counts");
        }
        b.rebuild_derived();
        Ok(b)
    }
}
