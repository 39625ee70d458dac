//! AIS / NMEA 0183 decoder: line framing, checksums, NMEA 4 tag blocks,
//! Gatehouse `$PGHP` headers, multi-sentence reassembly and AIS field
//! extraction, with per-source counters.
//!
//! # Why hand-written
//! Measured on this project's 2-core machine over a 1M-sentence AIVDM corpus:
//! the `ais` 0.12 crate decodes ~1.0M sentences/s with ~2.8 allocations per
//! sentence, cannot reassemble interleaved fragments, ignores tag blocks and
//! stores lat/lon as f32; `nmea-parser` 0.11 manages ~0.3M/s and panics on
//! fuzzed input. This decoder allocates nothing per sentence (reassembly
//! buffers are recycled), reads bit fields lazily straight from the armored
//! payload, and targets >= 2M sentences/s on one core. Measured (2026-11-22,
//! `benches/decode.rs`, 611k real lines): 13.3M lines/s on the raw feeds,
//! 10.5M bare VDM sentences/s, vs 2.4M/s for `ais` 0.12 on the same sentences.
//!
//! # Policies
//! - A `!--VDM` sentence without `*hh` checksum is **rejected** (`malformed`):
//!   it cannot be told apart from a truncated one. Lower-case hex is accepted.
//! - The tag block's own checksum is **advisory**: a mismatch is counted in
//!   `tag_bad_checksum` but its fields are still used, because real feeds get
//!   it wrong (AMSA writes `*00`, Kystverket checksums only part of it) while
//!   the sentence behind it carries its own, verified checksum.
//! - Receive time priority: tag block `c:` > preceding `$PGHP` header >
//!   epoch suffix after the checksum (the suffix is arrival time at the
//!   relay, later than the satellite receive time in `$PGHP`).
//! - A `$PGHP` time applies to the following AIS sentences until a message's
//!   last fragment has been seen (so it covers every fragment of its message).
//! - Lines longer than [`MAX_LINE_BYTES`] are counted as `oversize` and skipped.
//! - Any two-byte talker is accepted (AMSA's `!=IVDM`, DMA's `!BYVDM` carry
//!   valid checksums; gpsd drops them), and there is no 82-byte sentence limit.
//! - A sentence glued after another's checksum (`...*hh!AIVDM,...`) is fed as
//!   a line of its own (and counted in `lines`).
//! - Leading junk before `!` (a logger's timestamp) is skipped when `!--VDM`
//!   / `!--VDO` follows.
//! - Message types 0 and 28..=63 do not exist: `malformed`.
//! - Radar `TTM`/`TLL` sentences with a good checksum count as
//!   `radar_sentences`; other standard `$ttfff` sentences (GPS, ...) count as
//!   `not_ais`; when their checksum is good, `feed_line_with` hands them on
//!   (a `$PGHP` time is then used up by them). A wrong checksum counts as
//!   `bad_checksum` (before 2026-11-22 such lines counted as `not_ais`); one
//!   without checksum, proprietary `$P...` sentences and garbage stay
//!   `not_ais`; non-ASCII fields behind a good checksum are `malformed`.
//!
//! # Counter identities (tested)
//! `lines == blank + oversize + not_ais + radar_sentences + headers + bad_checksum + ais_sentences + malformed_lines()`
//! where `malformed_lines() = malformed - malformed_payload`, and, once
//! everything pending was expired,
//! `ais_sentences == assembled_sentences + fragments_expired + fragments_orphan + fragments_duplicate`
//! and `assembled_sentences` fragments gave `messages + malformed_payload` messages.

mod ais;
mod nmea;
mod reassembly;
mod record;
mod sixbit;

use std::fmt;

pub use ais::{
    e4min_to_deg, AidToNavigation, AisClass, AisMessage, BaseStationReport, Dimensions, PayloadError, PositionReport,
    ReportExtras, SarAircraft, StaticB, StaticPart, StaticVoyage,
};
pub use record::{record, Record};
pub use sixbit::SixbitText;

use nmea::Line;
use reassembly::{Fragment, Reassembler};
use sixbit::Bits;

/// Lines longer than this many bytes (after nothing is trimmed) are skipped as
/// `oversize`. NMEA sentences are at most 82 bytes; tag blocks and logger
/// suffixes add a few hundred at most, so 1 KiB is generous yet bounds work.
pub const MAX_LINE_BYTES: usize = 1024;

/// Decoder settings.
#[derive(Clone, Debug)]
pub struct DecoderConfig {
    /// Incomplete multi-sentence messages are dropped this many milliseconds
    /// after their first fragment arrived (default 10 000).
    pub fragment_timeout_ms: i64,
    /// At most this many incomplete messages are held; the oldest is dropped
    /// when a new one would exceed it (default 4096). Bounds memory on a
    /// hostile or broken feed.
    pub max_pending_fragments: usize,
}

impl Default for DecoderConfig {
    fn default() -> Self {
        DecoderConfig { fragment_timeout_ms: 10_000, max_pending_fragments: 4096 }
    }
}

/// Per-source counters. All counts are since the decoder was created.
#[derive(Clone, Default, Debug, PartialEq, Eq)]
pub struct DecodeCounters {
    /// Lines fed.
    pub lines: u64,
    /// Blank lines and `#` comments.
    pub blank: u64,
    /// `!--VDM`/`!--VDO` sentences with good checksum and framing.
    pub ais_sentences: u64,
    /// Complete AIS messages decoded (including `AisMessage::Other`).
    pub messages: u64,
    /// Sentences (or `$PGHP` headers) whose checksum did not match.
    pub bad_checksum: u64,
    /// Bad framing or fields, missing checksum, bad 6-bit characters, and
    /// complete messages whose payload is too short / invalid for its type
    /// (those also counted in `malformed_payload`).
    pub malformed: u64,
    /// The part of `malformed` counted per complete message rather than per line.
    pub malformed_payload: u64,
    /// Other NMEA sentences, proprietary sentences and garbage lines.
    pub not_ais: u64,
    /// Radar `TTM`/`TLL` sentences with a good checksum (handed on to the
    /// radar parser; counted apart so a radar feed does not read as garbage).
    pub radar_sentences: u64,
    /// `$PGHP` headers (good checksum).
    pub headers: u64,
    /// Tag blocks whose own checksum was missing or wrong (the line is still used).
    pub tag_bad_checksum: u64,
    /// Fragments dropped because their message did not complete within the
    /// timeout or was evicted by the pending bound.
    pub fragments_expired: u64,
    /// Fragments whose message never saw fragment 1, or superseded by a new
    /// message reusing the same sequential id.
    pub fragments_orphan: u64,
    /// Fragments dropped as exact duplicates of one already held (the same
    /// sentence relayed by two receivers).
    pub fragments_duplicate: u64,
    /// Sentences that went into complete messages.
    pub assembled_sentences: u64,
    /// Lines longer than [`MAX_LINE_BYTES`].
    pub oversize: u64,
    /// Messages with a latitude/longitude out of range (not the "not
    /// available" codes); their position is `None`.
    pub invalid_position: u64,
    /// Complete messages by AIS type (index = type 1..=27).
    pub by_type: [u64; 32],
}

impl DecodeCounters {
    /// Add another decoder's counters (e.g. to total several sources).
    pub fn merge(&mut self, o: &DecodeCounters) {
        self.each_with(o, |a, b| *a += b);
    }

    /// What was counted since `earlier`, a previous snapshot of the same decoder.
    pub fn since(&self, earlier: &DecodeCounters) -> DecodeCounters {
        let mut d = self.clone();
        d.each_with(earlier, |a, b| *a = a.saturating_sub(b));
        d
    }

    /// Applies `f` to every counter of `self` paired with the same counter of `o`.
    fn each_with(&mut self, o: &DecodeCounters, f: impl Fn(&mut u64, u64)) {
        f(&mut self.lines, o.lines);
        f(&mut self.blank, o.blank);
        f(&mut self.ais_sentences, o.ais_sentences);
        f(&mut self.messages, o.messages);
        f(&mut self.bad_checksum, o.bad_checksum);
        f(&mut self.malformed, o.malformed);
        f(&mut self.malformed_payload, o.malformed_payload);
        f(&mut self.not_ais, o.not_ais);
        f(&mut self.radar_sentences, o.radar_sentences);
        f(&mut self.headers, o.headers);
        f(&mut self.tag_bad_checksum, o.tag_bad_checksum);
        f(&mut self.fragments_expired, o.fragments_expired);
        f(&mut self.fragments_orphan, o.fragments_orphan);
        f(&mut self.fragments_duplicate, o.fragments_duplicate);
        f(&mut self.assembled_sentences, o.assembled_sentences);
        f(&mut self.oversize, o.oversize);
        f(&mut self.invalid_position, o.invalid_position);
        for (a, b) in self.by_type.iter_mut().zip(o.by_type.iter()) {
            f(a, *b);
        }
    }

    /// Malformed counted per line (framing, fields, characters, missing checksum).
    pub fn malformed_lines(&self) -> u64 {
        self.malformed - self.malformed_payload
    }
}

/// Receiving station id from a tag block `s:` field: inline, at most 15 bytes
/// of printable ASCII (longer ids are truncated; ids with other bytes are dropped).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct StationId {
    buf: [u8; 15],
    len: u8,
}

impl StationId {
    /// Maximum stored length in bytes.
    pub const CAPACITY: usize = 15;

    /// `None` if empty or not printable ASCII.
    pub fn new(s: &[u8]) -> Option<StationId> {
        if s.is_empty() || !s.iter().all(|c| c.is_ascii_graphic() || *c == b' ') {
            return None;
        }
        let n = s.len().min(Self::CAPACITY);
        let mut id = StationId { buf: [0; 15], len: n as u8 };
        id.buf[..n].copy_from_slice(&s[..n]);
        Some(id)
    }

    pub fn as_str(&self) -> &str {
        // Only printable ASCII is stored.
        std::str::from_utf8(&self.buf[..self.len as usize]).unwrap_or("")
    }
}

impl fmt::Debug for StationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for StationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One complete AIS message with its envelope.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    /// Receive time (Unix ms, UTC) from the line itself: tag block `c:`
    /// (seconds or milliseconds, detected), a preceding `$PGHP` header, or an
    /// epoch suffix after the checksum. `None` when the line carries no time
    /// (the caller then uses wall clock live, or last recording time in replay).
    pub received_at_ms: Option<i64>,
    /// Tag block `s:` station, if any.
    pub station: Option<StationId>,
    /// NMEA talker, e.g. `*b"AI"`, `*b"BS"`.
    pub talker: [u8; 2],
    /// `!--VDO`: our own ship's report.
    pub own_ship: bool,
    /// Radio channel: `b'A'`, `b'B'`, `b'1'`, `b'2'`, if given.
    pub channel: Option<u8>,
    pub msg: AisMessage,
}

/// A checksum-valid non-AIS NMEA sentence (e.g. `$RATTM`), with the line's
/// time and station, borrowed from the line (see [`Decoder::feed_line_with`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sentence<'a> {
    /// Receive time (Unix ms, UTC), found as for [`Decoded::received_at_ms`].
    pub received_at_ms: Option<i64>,
    /// Tag block `s:` station, if any.
    pub station: Option<StationId>,
    /// NMEA talker, e.g. `*b"RA"`.
    pub talker: [u8; 2],
    /// Sentence formatter, e.g. `*b"TTM"`.
    pub formatter: [u8; 3],
    /// The fields: everything between the first comma and the `*` (ASCII).
    pub fields: &'a str,
}

/// Per-source decoder: owns reassembly state and counters. One per source; not shared.
pub struct Decoder {
    cfg: DecoderConfig,
    counters: DecodeCounters,
    reasm: Reassembler,
    /// Time from the last `$PGHP` header, pending for the next AIS message.
    header_ms: Option<i64>,
    /// `now_ms` of the last expiry sweep.
    last_sweep_ms: i64,
    /// Reused buffer for reassembled payloads.
    scratch: Vec<u8>,
}

impl Decoder {
    pub fn new(cfg: DecoderConfig) -> Self {
        let reasm = Reassembler::new(cfg.max_pending_fragments, cfg.fragment_timeout_ms);
        Decoder {
            cfg,
            counters: DecodeCounters::default(),
            reasm,
            header_ms: None,
            last_sweep_ms: i64::MIN,
            scratch: Vec::new(),
        }
    }

    /// The configuration this decoder was built with.
    pub fn config(&self) -> &DecoderConfig {
        &self.cfg
    }

    /// Feed one line (trailing `\r\n` optional, any bytes, any length). Calls
    /// `out` for each complete AIS message. `now_ms` is the caller's notion of
    /// current time (wall clock live, recording time in replay), used only for
    /// fragment expiry. Other NMEA sentences are counted (`not_ais`) and dropped;
    /// use [`Decoder::feed_line_with`] to receive them.
    #[inline]
    pub fn feed_line(&mut self, line: &[u8], now_ms: i64, out: &mut impl FnMut(Decoded)) {
        self.feed_line_with(line, now_ms, out, &mut |_| {})
    }

    /// Like [`Decoder::feed_line`], but also hands checksum-valid non-AIS `$`
    /// sentences (e.g. `$RATTM`, `$RATLL`) to `other`, with the line's
    /// receive time (tag block `c:` > preceding `$PGHP` > epoch suffix) and
    /// tag-block station. They are counted in `radar_sentences` (`TTM`,
    /// `TLL`) or `not_ais` (the consumer counts its own outcomes); counting is
    /// identical to `feed_line`.
    pub fn feed_line_with(
        &mut self,
        line: &[u8],
        now_ms: i64,
        out: &mut impl FnMut(Decoded),
        other: &mut impl FnMut(Sentence<'_>),
    ) {
        self.counters.lines += 1;
        // Lazy expiry, at most once a second of `now_ms`, only if anything is pending.
        if self.reasm.pending_messages() > 0 && now_ms.saturating_sub(self.last_sweep_ms).saturating_abs() >= 1000 {
            self.expire(now_ms);
        }
        if line.len() > MAX_LINE_BYTES {
            self.counters.oversize += 1;
            return;
        }
        let (tag, vdm) = match nmea::parse_line(line) {
            Line::Ais(tag, vdm) => (tag, vdm),
            Line::Blank => return self.counters.blank += 1,
            Line::Header(t) => {
                self.counters.headers += 1;
                self.header_ms = t;
                return;
            }
            Line::BadChecksum => return self.counters.bad_checksum += 1,
            Line::Malformed => return self.counters.malformed += 1,
            Line::NotAis => return self.counters.not_ais += 1,
            Line::Other(tag, o) => {
                let c = &mut self.counters;
                if matches!(&o.formatter, b"TTM" | b"TLL") {
                    c.radar_sentences += 1;
                } else {
                    c.not_ais += 1;
                }
                c.tag_bad_checksum += u64::from(tag.present && !tag.checksum_ok);
                // A `$PGHP` header covers the next complete message, whichever it is.
                let received_at_ms = tag.time_ms.or(self.header_ms.take()).or(o.suffix_ms);
                other(Sentence {
                    received_at_ms,
                    station: tag.station.and_then(StationId::new),
                    talker: o.talker,
                    formatter: o.formatter,
                    fields: o.fields,
                });
                return;
            }
        };
        let c = &mut self.counters;
        c.ais_sentences += 1;
        c.tag_bad_checksum += u64::from(tag.present && !tag.checksum_ok);
        let time_ms = tag.time_ms.or(self.header_ms).or(vdm.suffix_ms);
        if vdm.num == vdm.total {
            self.header_ms = None;
        }
        let station = tag.station.and_then(StationId::new);
        let env = |msg| Decoded {
            received_at_ms: time_ms,
            station,
            talker: vdm.talker,
            own_ship: vdm.own_ship,
            channel: vdm.channel,
            msg,
        };
        if vdm.total == 1 {
            // Fast path: decode straight from the line.
            c.assembled_sentences += 1;
            if let Some(msg) = decode(&Bits::new(vdm.payload, vdm.fill), c) {
                out(env(msg));
            }
        } else {
            self.reassemble(&tag, &vdm, time_ms, station, now_ms, out);
        }
        if let Some(next) = vdm.glued {
            // Two sentences on one line: the second counts as a line of its own.
            self.feed_line_with(next, now_ms, out, other);
        }
    }

    fn reassemble(
        &mut self,
        tag: &nmea::TagBlock<'_>,
        vdm: &nmea::Vdm<'_>,
        time_ms: Option<i64>,
        station: Option<StationId>,
        now_ms: i64,
        out: &mut impl FnMut(Decoded),
    ) {
        let c = &mut self.counters;
        let key = u64::from(vdm.talker[0]) << 56
            | u64::from(vdm.talker[1]) << 48
            | u64::from(vdm.own_ship) << 40
            | u64::from(vdm.total) << 32
            | u64::from(vdm.seq.unwrap_or(0xFF)) << 24
            | u64::from(vdm.channel.unwrap_or(0)) << 16;
        let frag = Fragment {
            key,
            group: tag.group,
            num: vdm.num,
            total: vdm.total,
            payload: vdm.payload,
            fill: vdm.fill,
            time_ms,
            station,
        };
        if let Some(done) = self.reasm.add(frag, now_ms, c, &mut self.scratch) {
            if let Some(msg) = decode(&Bits::new(&self.scratch, done.fill), c) {
                out(Decoded {
                    received_at_ms: done.time_ms,
                    station: done.station,
                    talker: vdm.talker,
                    own_ship: vdm.own_ship,
                    channel: vdm.channel,
                    msg,
                });
            }
        }
    }

    /// Drop fragments older than the timeout (counted as `fragments_expired`,
    /// or `fragments_orphan` if their message never saw fragment 1).
    /// `feed_line` also calls this lazily.
    pub fn expire(&mut self, now_ms: i64) {
        self.last_sweep_ms = now_ms;
        self.reasm.expire(now_ms, &mut self.counters);
    }

    pub fn counters(&self) -> &DecodeCounters {
        &self.counters
    }

    /// Fragments currently held for reassembly.
    pub fn pending_fragments(&self) -> u64 {
        self.reasm.pending_fragments()
    }
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new(DecoderConfig::default())
    }
}

/// Decode one complete armored payload (the 6-bit field of a VDM sentence,
/// all fragments concatenated) with its fill bits (0..=5), outside any
/// `Decoder` — for tools and tests. No envelope, no counters.
pub fn decode_payload(armored: &[u8], fill_bits: u8) -> Result<AisMessage, PayloadError> {
    if fill_bits > 5 || !sixbit::valid_payload(armored) {
        return Err(PayloadError::BadPayload);
    }
    ais::decode_payload(&Bits::new(armored, fill_bits), &mut ais::Flags::default())
}

/// Decode a complete payload, updating counters.
fn decode(bits: &Bits<'_>, c: &mut DecodeCounters) -> Option<AisMessage> {
    let mut flags = ais::Flags::default();
    match ais::decode_payload(bits, &mut flags) {
        Ok(msg) => {
            c.messages += 1;
            c.by_type[msg.msg_type() as usize & 31] += 1;
            c.invalid_position += u64::from(flags.invalid_position);
            Some(msg)
        }
        Err(_) => {
            c.malformed += 1;
            c.malformed_payload += 1;
            None
        }
    }
}
