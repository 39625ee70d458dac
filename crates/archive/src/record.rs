//! Records and their on-disk framing.
//!
//! A frame is
//!
//! ```text
//! len    u32 LE   length of the body below, bytes
//! crc    u32 LE   CRC32C of (len, body), seeded with the previous frame's crc
//! body:
//!   seq      u64 LE  archive-wide sequence number, strictly increasing in append order
//!   time_ms  i64 LE  the caller's receive/record time, ms since the Unix epoch
//!   kind     u8
//!   flags    u8      bit 0: this record is a Merkle leaf
//!   payload  [u8]    opaque to the archive
//! ```
//!
//! Why the CRC is chained: each frame's CRC starts from the CRC stored in the frame before it
//! (the first frame of a segment starts from the segment header's CRC). A frame that is dropped,
//! duplicated or moved therefore fails the CRC of the frame that now follows it, even though
//! every frame is intact on its own. Seeding from the *stored* value (not a recomputed one) keeps
//! damage local: one flipped byte fails one frame, and the frame after it still checks.
//! The sequence number does the same job in a way a person can read ("seq 41 follows seq 39"),
//! and gives replay its position. Neither is a defence against a deliberate forger, who can
//! recompute CRCs: that is the job of the segment SHA-256s, the Merkle log and the signed
//! checkpoints.

use std::io::{self, Read};

/// Bytes before the body: `len` and `crc`.
pub const FRAME_HEADER_BYTES: usize = 8;
/// Fixed part of the body: seq, time_ms, kind, flags.
pub const BODY_FIXED_BYTES: usize = 18;
/// Largest payload accepted, bytes. Records are sentences, events and alert versions; big
/// blobs (engine snapshots) go to [`crate::Archive::write_snapshot`] instead.
pub const MAX_PAYLOAD_BYTES: usize = 4 << 20;

const FLAG_MERKLE_LEAF: u8 = 1;

/// What a record is. The caller defines its own kinds (`0..=0xEF`, see [`kinds`] for
/// Lookout's); `0xF0..=0xFF` are reserved for records the archive writes itself.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kind(pub u8);

impl Kind {
    /// A segment was sealed: its SHA-256, sequence and time range (JSON [`crate::SegmentInfo`]).
    pub const SEAL: Kind = Kind(0xF0);
    /// Segments were deleted by retention: which, when and why (JSON [`crate::PurgeRecord`]).
    pub const PURGE: Kind = Kind(0xF1);
    /// A signed checkpoint of the Merkle log (C2SP tlog-checkpoint text).
    pub const CHECKPOINT: Kind = Kind(0xF2);
    /// A legal hold was placed or released (JSON [`crate::HoldRecord`]).
    pub const HOLD: Kind = Kind(0xF3);

    /// Whether the archive reserves this kind for itself.
    pub const fn is_reserved(self) -> bool {
        self.0 >= 0xF0
    }
}

/// The kinds Lookout uses. The archive treats them like any other caller kind; they exist
/// here so that the default configuration can give them a retention (see [`crate::Config`]).
pub mod kinds {
    use super::Kind;
    /// A raw NMEA sentence (AIS or radar) with its receive time and source name.
    pub const NMEA: Kind = Kind(1);
    /// A detection event (JSON) from a radar tracker, drone, aircraft or satellite.
    pub const DETECTION: Kind = Kind(2);
    /// One version of an alert.
    pub const ALERT_VERSION: Kind = Kind(3);
    /// An operator's acknowledgement of an alert.
    pub const ACK: Kind = Kind(4);
}

/// A record as the caller hands it to [`crate::Archive::append`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRecord {
    /// What it is.
    pub kind: Kind,
    /// Receive or record time, ms since the Unix epoch.
    pub time_ms: i64,
    /// Opaque bytes.
    pub payload: Vec<u8>,
}

impl NewRecord {
    /// A record of `kind` at `time_ms` (ms since the Unix epoch).
    pub fn new(kind: Kind, time_ms: i64, payload: impl Into<Vec<u8>>) -> Self {
        NewRecord { kind, time_ms, payload: payload.into() }
    }
}

/// A record as stored: with its sequence number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Archive-wide sequence number (append order, from 0, never reused).
    pub seq: u64,
    /// Receive or record time, ms since the Unix epoch.
    pub time_ms: i64,
    /// What it is.
    pub kind: Kind,
    /// Whether the record is a leaf of the Merkle log.
    pub merkle_leaf: bool,
    /// Opaque bytes.
    pub payload: Vec<u8>,
}

impl Record {
    /// The body bytes: what the CRC covers after `len`, and the Merkle leaf data.
    pub fn body(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(BODY_FIXED_BYTES + self.payload.len());
        write_body(&mut out, self.seq, self.time_ms, self.kind, self.merkle_leaf, &self.payload);
        out
    }

    /// Merkle leaf hash of this record (RFC 6962: SHA-256(0x00 || body)).
    pub fn leaf_hash(&self) -> crate::merkle::Hash {
        crate::merkle::leaf_hash(&self.body())
    }
}

fn write_body(out: &mut Vec<u8>, seq: u64, time_ms: i64, kind: Kind, leaf: bool, payload: &[u8]) {
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&time_ms.to_le_bytes());
    out.push(kind.0);
    out.push(if leaf { FLAG_MERKLE_LEAF } else { 0 });
    out.extend_from_slice(payload);
}

/// Appends one frame to `out` and returns its CRC (the seed of the next frame).
pub(crate) fn encode_frame(out: &mut Vec<u8>, prev_crc: u32, rec: &Record) -> u32 {
    let start = out.len();
    let len = (BODY_FIXED_BYTES + rec.payload.len()) as u32;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // crc, filled below
    write_body(out, rec.seq, rec.time_ms, rec.kind, rec.merkle_leaf, &rec.payload);
    let crc = frame_crc(prev_crc, &out[start..start + 4], &out[start + FRAME_HEADER_BYTES..]);
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
    crc
}

fn frame_crc(prev_crc: u32, len: &[u8], body: &[u8]) -> u32 {
    let c = crc32c::crc32c_append(prev_crc, len);
    crc32c::crc32c_append(c, body)
}

/// Why a frame could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// The file ends inside the frame (a torn write, or a truncation).
    Truncated,
    /// The length field is impossible.
    BadLength(u32),
    /// The CRC does not match (damage, or a dropped, moved or inserted frame).
    BadCrc,
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameError::Truncated => write!(f, "incomplete record (file ends inside it)"),
            FrameError::BadLength(n) => write!(f, "impossible record length {n}"),
            FrameError::BadCrc => {
                write!(f, "CRC mismatch (damaged record, or a record dropped, moved or inserted before it)")
            }
        }
    }
}

/// Reads frames one at a time from any byte stream (a plain or a gzip segment).
pub(crate) struct FrameReader<R> {
    inner: R,
    prev_crc: u32,
    buf: Vec<u8>,
}

/// One frame read: the record, the frame's length in bytes and its raw bytes' CRC.
pub(crate) struct Frame {
    pub record: Record,
    pub len: u64,
    pub crc: u32,
}

impl<R: Read> FrameReader<R> {
    pub fn new(inner: R, seed_crc: u32) -> Self {
        FrameReader { inner, prev_crc: seed_crc, buf: Vec::new() }
    }

    /// The raw bytes of the last frame returned (for hashing a segment as it is read).
    pub fn last_frame_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The next frame; `Ok(None)` at a clean end of file; `Ok(Some(Err))` for a bad frame
    /// (the stream is then not usable any further).
    pub fn next(&mut self) -> io::Result<Option<Result<Frame, FrameError>>> {
        self.buf.clear();
        self.buf.resize(FRAME_HEADER_BYTES, 0);
        match read_full(&mut self.inner, &mut self.buf)? {
            0 => return Ok(None),
            n if n < FRAME_HEADER_BYTES => return Ok(Some(Err(FrameError::Truncated))),
            _ => {}
        }
        let len = u32::from_le_bytes(self.buf[0..4].try_into().unwrap());
        let stored_crc = u32::from_le_bytes(self.buf[4..8].try_into().unwrap());
        if (len as usize) < BODY_FIXED_BYTES || len as usize > BODY_FIXED_BYTES + MAX_PAYLOAD_BYTES {
            return Ok(Some(Err(FrameError::BadLength(len))));
        }
        self.buf.resize(FRAME_HEADER_BYTES + len as usize, 0);
        let got = read_full(&mut self.inner, &mut self.buf[FRAME_HEADER_BYTES..])?;
        if got < len as usize {
            return Ok(Some(Err(FrameError::Truncated)));
        }
        let body = &self.buf[FRAME_HEADER_BYTES..];
        if frame_crc(self.prev_crc, &self.buf[0..4], body) != stored_crc {
            return Ok(Some(Err(FrameError::BadCrc)));
        }
        self.prev_crc = stored_crc;
        let record = Record {
            seq: u64::from_le_bytes(body[0..8].try_into().unwrap()),
            time_ms: i64::from_le_bytes(body[8..16].try_into().unwrap()),
            kind: Kind(body[16]),
            merkle_leaf: body[17] & FLAG_MERKLE_LEAF != 0,
            payload: body[BODY_FIXED_BYTES..].to_vec(),
        };
        Ok(Some(Ok(Frame { record, len: (FRAME_HEADER_BYTES + len as usize) as u64, crc: stored_crc })))
    }
}

/// Reads until `buf` is full or the stream ends; returns the bytes read.
pub(crate) fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(seq: u64, payload: &[u8]) -> Record {
        Record {
            seq,
            time_ms: 1_700_000_000_000 + seq as i64,
            kind: kinds::NMEA,
            merkle_leaf: seq.is_multiple_of(2),
            payload: payload.to_vec(),
        }
    }

    #[test]
    fn frames_round_trip_and_chain() {
        let mut buf = Vec::new();
        let mut crc = 7;
        for i in 0..5 {
            crc = encode_frame(&mut buf, crc, &rec(i, format!("line {i}").as_bytes()));
        }
        let mut r = FrameReader::new(&buf[..], 7);
        for i in 0..5 {
            let f = r.next().unwrap().unwrap().unwrap();
            assert_eq!(f.record, rec(i, format!("line {i}").as_bytes()));
        }
        assert!(r.next().unwrap().is_none());
        // The same bytes with another seed fail at once: frames are tied to what precedes them.
        let mut r = FrameReader::new(&buf[..], 8);
        assert_eq!(r.next().unwrap().unwrap().err(), Some(FrameError::BadCrc));
    }

    #[test]
    fn truncation_is_reported_as_truncated() {
        let mut buf = Vec::new();
        encode_frame(&mut buf, 0, &rec(0, b"abcdef"));
        for cut in 1..buf.len() {
            let mut r = FrameReader::new(&buf[..cut], 0);
            assert_eq!(r.next().unwrap().unwrap().err(), Some(FrameError::Truncated), "cut {cut}");
        }
    }
}
