//! Segment files: a 40-byte header, then frames (see [`crate::record`]).
//!
//! ```text
//! magic       8 bytes  "LKARCHV\0"
//! version     u16 LE   1
//! reserved    u16      0
//! segment     u64 LE   segment number within its lane (from 1, never reused)
//! first_seq   u64 LE   no record in the segment has a smaller sequence number
//! created_ms  i64 LE   wall-clock creation time, ms since the Unix epoch
//! crc         u32 LE   CRC32C of the 36 bytes above; seeds the first frame's CRC
//! ```
//!
//! An open segment is `NNNNNNNNNN.seg`; once sealed it is compressed to `NNNNNNNNNN.seg.gz`
//! (gzip, so `zcat` reads it) and the `.seg` removed once the copy has been read back and its
//! SHA-256 checked. The SHA-256 recorded for a segment is of its uncompressed bytes, header
//! included, so it does not depend on the compressor.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::fault::Faults;
use crate::merkle::Hash;
use crate::record::{encode_frame, FrameReader, Record};

/// Magic bytes at the start of every segment.
pub const SEGMENT_MAGIC: &[u8; 8] = b"LKARCHV\0";
/// Format version written in the header.
pub const SEGMENT_VERSION: u16 = 1;
/// Header length, bytes.
pub const HEADER_BYTES: usize = 40;
/// gzip level for sealed segments: level 6 is within 2-8 % of zstd -3 on NMEA (crate docs).
const GZIP_LEVEL: u32 = 6;
/// Read buffer for segment files, bytes.
const READ_BUFFER_BYTES: usize = 256 * 1024;

/// A segment's header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentHeader {
    /// Segment number within its lane.
    pub segment: u64,
    /// Lower bound of the sequence numbers in the segment.
    pub first_seq: u64,
    /// Creation time, ms since the Unix epoch.
    pub created_ms: i64,
}

impl SegmentHeader {
    fn encode(&self) -> ([u8; HEADER_BYTES], u32) {
        let mut b = [0u8; HEADER_BYTES];
        b[0..8].copy_from_slice(SEGMENT_MAGIC);
        b[8..10].copy_from_slice(&SEGMENT_VERSION.to_le_bytes());
        b[12..20].copy_from_slice(&self.segment.to_le_bytes());
        b[20..28].copy_from_slice(&self.first_seq.to_le_bytes());
        b[28..36].copy_from_slice(&self.created_ms.to_le_bytes());
        let crc = crc32c::crc32c(&b[..36]);
        b[36..40].copy_from_slice(&crc.to_le_bytes());
        (b, crc)
    }

    pub(crate) fn decode(b: &[u8; HEADER_BYTES]) -> Result<(SegmentHeader, u32), String> {
        if &b[0..8] != SEGMENT_MAGIC {
            return Err("not an archive segment (bad magic)".into());
        }
        let crc = u32::from_le_bytes(b[36..40].try_into().unwrap());
        if crc32c::crc32c(&b[..36]) != crc {
            return Err("segment header CRC mismatch".into());
        }
        let version = u16::from_le_bytes(b[8..10].try_into().unwrap());
        if version != SEGMENT_VERSION {
            return Err(format!("segment format version {version} is not known"));
        }
        let h = SegmentHeader {
            segment: u64::from_le_bytes(b[12..20].try_into().unwrap()),
            first_seq: u64::from_le_bytes(b[20..28].try_into().unwrap()),
            created_ms: i64::from_le_bytes(b[28..36].try_into().unwrap()),
        };
        Ok((h, crc))
    }
}

/// Path of the open (uncompressed) form of segment `no`.
pub fn plain_path(lane_dir: &Path, no: u64) -> PathBuf {
    lane_dir.join(format!("{no:010}.seg"))
}

/// Path of the sealed, compressed form of segment `no`.
pub fn gz_path(lane_dir: &Path, no: u64) -> PathBuf {
    lane_dir.join(format!("{no:010}.seg.gz"))
}

/// Segment numbers present in a lane directory (either form), ascending.
pub fn list_segments(lane_dir: &Path) -> io::Result<Vec<u64>> {
    let mut out = BTreeSet::new();
    let entries = match fs::read_dir(lane_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    for e in entries {
        let name = e?.file_name();
        let name = name.to_string_lossy();
        let stem = name.strip_suffix(".seg.gz").or_else(|| name.strip_suffix(".seg"));
        if let Some(no) = stem.and_then(|s| s.parse::<u64>().ok()) {
            out.insert(no);
        }
    }
    Ok(out.into_iter().collect())
}

/// Opens segment `no` for reading, compressed form first (the plain one may be removed by
/// the compressor at any moment, but not before the compressed one is complete). `limit`
/// caps how many bytes of a plain segment are read: the writer's durable length, so a reader
/// never sees a record that is still being written.
pub fn open_for_read(lane_dir: &Path, no: u64, limit: Option<u64>) -> io::Result<(PathBuf, Box<dyn Read + Send>)> {
    let gz = gz_path(lane_dir, no);
    match File::open(&gz) {
        Ok(f) => {
            let r = flate2::read::GzDecoder::new(BufReader::with_capacity(READ_BUFFER_BYTES, f));
            return Ok((gz, Box::new(BufReader::with_capacity(READ_BUFFER_BYTES, r))));
        }
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        Err(_) => {}
    }
    let plain = plain_path(lane_dir, no);
    match File::open(&plain) {
        Ok(f) => {
            let r: Box<dyn Read + Send> = match limit {
                Some(n) => Box::new(BufReader::with_capacity(READ_BUFFER_BYTES, f.take(n))),
                None => Box::new(BufReader::with_capacity(READ_BUFFER_BYTES, f)),
            };
            Ok((plain, r))
        }
        // Compressed between our two opens: the .gz is complete now.
        Err(e) if e.kind() == io::ErrorKind::NotFound && gz.exists() => open_for_read(lane_dir, no, limit),
        Err(e) => Err(e),
    }
}

/// Where and why a segment stops being readable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadSpot {
    /// Byte offset in the uncompressed segment.
    pub offset: u64,
    /// Index (from 0) of the first record that could not be read.
    pub record_index: u64,
    /// What is wrong.
    pub reason: String,
}

/// What a scan of a segment found.
pub struct Scan {
    /// The header (None if it is missing or damaged: then nothing else was read).
    pub header: Option<SegmentHeader>,
    /// Length of the readable prefix, bytes.
    pub good_len: u64,
    /// Records in the readable prefix.
    pub records: u64,
    /// Sequence numbers of the first and last readable records.
    pub seq_range: Option<(u64, u64)>,
    /// Record time range, ms since the Unix epoch.
    pub time_range: Option<(i64, i64)>,
    /// Kinds seen.
    pub kinds: BTreeSet<u8>,
    /// CRC of the last good frame (or of the header): the seed of the next frame.
    pub last_crc: u32,
    /// SHA-256 state over the readable prefix.
    pub hasher: Sha256,
    /// Where reading stopped early, if it did.
    pub bad: Option<BadSpot>,
}

impl Scan {
    /// SHA-256 of the readable prefix.
    pub fn sha256(&self) -> Hash {
        self.hasher.clone().finalize().into()
    }
}

/// Reads a whole segment, checking the header, every frame's chained CRC and that sequence
/// numbers only grow; calls `each` for every good record with its byte offset and index.
pub fn scan(mut r: impl Read, mut each: impl FnMut(&Record, u64, u64)) -> io::Result<Scan> {
    let mut s = Scan {
        header: None,
        good_len: 0,
        records: 0,
        seq_range: None,
        time_range: None,
        kinds: BTreeSet::new(),
        last_crc: 0,
        hasher: Sha256::new(),
        bad: None,
    };
    let bad = |offset, index, reason: String| Some(BadSpot { offset, record_index: index, reason });
    let mut hb = [0u8; HEADER_BYTES];
    let n = match crate::record::read_full(&mut r, &mut hb) {
        Ok(n) => n,
        Err(e) if is_data_error(&e) => {
            s.bad = bad(0, 0, format!("compressed data damaged: {e}"));
            return Ok(s);
        }
        Err(e) => return Err(e),
    };
    if n < HEADER_BYTES {
        s.bad = bad(0, 0, "incomplete segment header".into());
        return Ok(s);
    }
    let (header, crc) = match SegmentHeader::decode(&hb) {
        Ok(x) => x,
        Err(reason) => {
            s.bad = bad(0, 0, reason);
            return Ok(s);
        }
    };
    s.header = Some(header);
    s.hasher.update(hb);
    s.good_len = HEADER_BYTES as u64;
    s.last_crc = crc;
    let mut frames = FrameReader::new(r, crc);
    let mut next_min_seq = header.first_seq;
    loop {
        let frame = match frames.next() {
            Ok(None) => break,
            Ok(Some(Ok(f))) => f,
            Ok(Some(Err(e))) => {
                s.bad = bad(s.good_len, s.records, e.to_string());
                break;
            }
            Err(e) if is_data_error(&e) => {
                s.bad = bad(s.good_len, s.records, format!("compressed data damaged: {e}"));
                break;
            }
            Err(e) => return Err(e),
        };
        let rec = &frame.record;
        if rec.seq < next_min_seq {
            s.bad = bad(
                s.good_len,
                s.records,
                format!("sequence number {} where at least {next_min_seq} was due", rec.seq),
            );
            break;
        }
        each(rec, s.good_len, s.records);
        next_min_seq = rec.seq + 1;
        s.hasher.update(frames.last_frame_bytes());
        s.good_len += frame.len;
        s.last_crc = frame.crc;
        s.records += 1;
        s.kinds.insert(rec.kind.0);
        s.seq_range = Some((s.seq_range.map_or(rec.seq, |r| r.0), rec.seq));
        s.time_range = Some(match s.time_range {
            None => (rec.time_ms, rec.time_ms),
            Some((a, b)) => (a.min(rec.time_ms), b.max(rec.time_ms)),
        });
    }
    Ok(s)
}

/// Errors that mean "the compressed bytes are damaged" rather than "the disk failed".
fn is_data_error(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput | io::ErrorKind::UnexpectedEof)
}

/// Fsyncs a directory, so that a file created, renamed or removed in it stays so after a crash.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The segment a lane is appending to.
pub(crate) struct OpenSegment {
    pub header: SegmentHeader,
    pub path: PathBuf,
    file: File,
    /// Encoded frames not yet handed to the kernel.
    buf: Vec<u8>,
    /// Bytes handed to the kernel.
    pub written_len: u64,
    /// Bytes known to be on disk (after the last successful fdatasync).
    pub durable_len: u64,
    prev_crc: u32,
    hasher: Sha256,
    pub records: u64,
    pub seq_range: Option<(u64, u64)>,
    pub time_range: Option<(i64, i64)>,
    pub kinds: BTreeSet<u8>,
}

impl OpenSegment {
    /// Creates a new segment file with its header, durably (file and directory synced).
    pub fn create(lane_dir: &Path, header: SegmentHeader) -> io::Result<OpenSegment> {
        fs::create_dir_all(lane_dir)?;
        let path = plain_path(lane_dir, header.segment);
        let mut file = OpenOptions::new().create(true).truncate(true).write(true).open(&path)?;
        let (bytes, crc) = header.encode();
        file.write_all(&bytes)?;
        file.sync_all()?;
        sync_dir(lane_dir)?;
        let mut hasher = Sha256::new();
        hasher.update(bytes);
        Ok(OpenSegment {
            header,
            path,
            file,
            buf: Vec::new(),
            written_len: HEADER_BYTES as u64,
            durable_len: HEADER_BYTES as u64,
            prev_crc: crc,
            hasher,
            records: 0,
            seq_range: None,
            time_range: None,
            kinds: BTreeSet::new(),
        })
    }

    /// Continues a segment found on disk, after recovery cut it to its readable prefix.
    pub fn resume(path: PathBuf, scan: Scan) -> io::Result<OpenSegment> {
        let mut file = OpenOptions::new().write(true).open(&path)?;
        // Writes go after the readable prefix (recovery has cut anything beyond it).
        file.seek(io::SeekFrom::Start(scan.good_len))?;
        Ok(OpenSegment {
            header: scan.header.expect("resumed segments have a header"),
            path,
            file,
            buf: Vec::new(),
            written_len: scan.good_len,
            durable_len: scan.good_len,
            prev_crc: scan.last_crc,
            hasher: scan.hasher,
            records: scan.records,
            seq_range: scan.seq_range,
            time_range: scan.time_range,
            kinds: scan.kinds,
        })
    }

    /// Bytes in the file plus those waiting in the buffer.
    pub fn len(&self) -> u64 {
        self.written_len + self.buf.len() as u64
    }

    /// Encodes a record into the write buffer.
    pub fn push(&mut self, rec: &Record) {
        self.prev_crc = encode_frame(&mut self.buf, self.prev_crc, rec);
        self.records += 1;
        self.kinds.insert(rec.kind.0);
        self.seq_range = Some((self.seq_range.map_or(rec.seq, |r| r.0), rec.seq));
        self.time_range = Some(match self.time_range {
            None => (rec.time_ms, rec.time_ms),
            Some((a, b)) => (a.min(rec.time_ms), b.max(rec.time_ms)),
        });
    }

    /// Hands the buffer to the kernel and fdatasyncs. On error the segment must not be used
    /// again: the writer stops, and the next open cuts whatever part of a record got out.
    pub fn commit(&mut self, faults: Option<&Faults>) -> io::Result<()> {
        if !self.buf.is_empty() {
            let allowed = faults.map_or(self.buf.len(), |f| f.allow_write(self.buf.len()));
            self.file.write_all(&self.buf[..allowed])?;
            self.hasher.update(&self.buf[..allowed]);
            self.written_len += allowed as u64;
            if allowed < self.buf.len() {
                return Err(io::Error::new(io::ErrorKind::StorageFull, "no space left on device (simulated)"));
            }
            self.buf.clear();
        }
        if self.durable_len < self.written_len {
            if let Some(f) = faults {
                f.check_sync()?;
            }
            self.file.sync_data()?;
            self.durable_len = self.written_len;
            if let Some(f) = faults {
                f.synced();
            }
        }
        Ok(())
    }

    /// Best effort after a failed write: cut the file back to what was durable, so that
    /// nothing half-written stays behind (recovery would cut it too).
    pub fn cut_to_durable(&mut self) {
        self.buf.clear();
        if self.file.set_len(self.durable_len).is_ok() {
            let _ = self.file.sync_data();
        }
    }

    /// SHA-256 of everything written (call after a successful commit).
    pub fn sha256(&self) -> Hash {
        self.hasher.clone().finalize().into()
    }
}

/// Compresses a sealed segment to `.seg.gz`, checks the copy by reading it back against
/// `sha256` (of the uncompressed bytes), then removes the plain file.
pub fn compress(lane_dir: &Path, no: u64, sha256: &Hash) -> io::Result<()> {
    let plain = plain_path(lane_dir, no);
    let gz = gz_path(lane_dir, no);
    let tmp = lane_dir.join(format!("{no:010}.seg.gz.tmp"));
    {
        let mut input = BufReader::with_capacity(READ_BUFFER_BYTES, File::open(&plain)?);
        let out = File::create(&tmp)?;
        let mut enc = flate2::write::GzEncoder::new(
            io::BufWriter::with_capacity(READ_BUFFER_BYTES, out),
            flate2::Compression::new(GZIP_LEVEL),
        );
        io::copy(&mut input, &mut enc)?;
        let out = enc.finish()?.into_inner().map_err(|e| e.into_error())?;
        out.sync_all()?;
    }
    let mut check = Sha256::new();
    let mut dec = flate2::read::GzDecoder::new(BufReader::new(File::open(&tmp)?));
    io::copy(&mut dec, &mut HashWriter(&mut check))?;
    if <[u8; 32]>::from(check.finalize()) != *sha256 {
        fs::remove_file(&tmp)?;
        return Err(io::Error::other(format!(
            "compressed copy of {} does not match its SHA-256; plain file kept",
            plain.display()
        )));
    }
    fs::rename(&tmp, &gz)?;
    sync_dir(lane_dir)?;
    fs::remove_file(&plain)?;
    sync_dir(lane_dir)
}

struct HashWriter<'a>(&'a mut Sha256);

impl Write for HashWriter<'_> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0.update(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::kinds;

    #[test]
    fn write_scan_compress_scan() {
        let dir = tempfile::tempdir().unwrap();
        let h = SegmentHeader { segment: 3, first_seq: 10, created_ms: 5 };
        let mut seg = OpenSegment::create(dir.path(), h).unwrap();
        for i in 0..100u64 {
            seg.push(&Record {
                seq: 10 + i * 2,
                time_ms: 1000 + i as i64,
                kind: kinds::NMEA,
                merkle_leaf: false,
                payload: format!("!AIVDM,1,1,,A,{i},0*00").into_bytes(),
            });
        }
        seg.commit(None).unwrap();
        let sha = seg.sha256();
        let (_, r) = open_for_read(dir.path(), 3, None).unwrap();
        let s = scan(r, |_, _, _| {}).unwrap();
        assert!(s.bad.is_none());
        assert_eq!((s.records, s.seq_range, s.sha256()), (100, Some((10, 208)), sha));
        compress(dir.path(), 3, &sha).unwrap();
        assert!(!plain_path(dir.path(), 3).exists());
        let (p, r) = open_for_read(dir.path(), 3, None).unwrap();
        assert!(p.ends_with("0000000003.seg.gz"));
        let s2 = scan(r, |_, _, _| {}).unwrap();
        assert_eq!((s2.records, s2.sha256()), (100, sha));
    }
}
