//! 6-bit payload access: lazy bit-field extraction straight from the armored
//! ASCII characters of the sentence (no unpacking pass, no allocation), and
//! the inline [`SixbitText`] string type.

use std::fmt;

/// Marks a byte that is not a valid payload character in [`DEARMOR`].
const BAD: u8 = 0xFF;

/// Armored payload character -> 6-bit value (ITU-R M.1371 / IEC 61162-1):
/// '0'..='W' are 0..=39 and '`'..='w' are 40..=63; everything else is invalid.
pub(crate) static DEARMOR: [u8; 256] = {
    let mut t = [BAD; 256];
    let mut c = 48usize;
    while c <= 87 {
        t[c] = (c - 48) as u8;
        c += 1;
    }
    let mut c = 96usize;
    while c <= 119 {
        t[c] = (c - 56) as u8;
        c += 1;
    }
    t
};

/// True when every byte is a valid armored payload character.
#[inline]
pub(crate) fn valid_payload(chars: &[u8]) -> bool {
    chars.iter().all(|&c| DEARMOR[c as usize] != BAD)
}

/// A read-only view of a message's bits over its (already validated) armored
/// characters. Bits past the end read as 0, so a field that runs off a short
/// message decodes as 0 / `@` (text terminator) instead of panicking; callers
/// check the per-type minimum length first.
#[derive(Clone, Copy)]
pub(crate) struct Bits<'a> {
    chars: &'a [u8],
    /// Payload length in bits: 6 * chars - fill bits.
    len: usize,
}

impl<'a> Bits<'a> {
    /// `chars` must have passed [`valid_payload`] (invalid ones would read as 63).
    pub(crate) fn new(chars: &'a [u8], fill: u8) -> Self {
        let len = (chars.len() * 6).saturating_sub(fill as usize);
        Bits { chars, len }
    }

    /// Number of payload bits.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    fn sixbit(&self, i: usize) -> u64 {
        match self.chars.get(i) {
            Some(&c) => (DEARMOR[c as usize] & 0x3F) as u64,
            None => 0,
        }
    }

    /// Unsigned field of `width` (1..=32) bits starting at bit `start` (MSB first).
    #[inline]
    pub(crate) fn u(&self, start: usize, width: usize) -> u32 {
        debug_assert!((1..=32).contains(&width));
        let first = start / 6;
        let last = (start + width - 1) / 6;
        let mut v: u64 = 0;
        // At most 7 characters (42 bits) for a 32-bit field: fits in u64.
        for i in first..=last {
            v = (v << 6) | self.sixbit(i);
        }
        let end_bit = (last + 1) * 6;
        v >>= end_bit - (start + width);
        (v & ((1u64 << width) - 1)) as u32
    }

    /// Two's-complement signed field of `width` (2..=32) bits.
    #[inline]
    pub(crate) fn i(&self, start: usize, width: usize) -> i32 {
        let raw = self.u(start, width);
        let shift = 32 - width as u32;
        ((raw << shift) as i32) >> shift
    }

    /// Single-bit flag.
    #[inline]
    pub(crate) fn b(&self, pos: usize) -> bool {
        self.u(pos, 1) == 1
    }

    /// `nchars` 6-bit characters starting at bit `start` (see [`SixbitText`]).
    /// Characters past the payload end are ignored.
    pub(crate) fn text(&self, start: usize, nchars: usize) -> SixbitText {
        let avail = self.len.saturating_sub(start) / 6;
        let mut t = SixbitText::default();
        t.push_sixbit(self, start, nchars.min(avail));
        t.trim_end();
        t
    }
}

/// Inline fixed-capacity ASCII text decoded from the AIS 6-bit alphabet
/// (names, call signs, destinations). No heap allocation.
///
/// Decoding stops at the first `@` (the standard's padding/terminator — some
/// transmitters leave garbage after it), then trailing spaces are trimmed.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SixbitText {
    buf: [u8; SixbitText::CAPACITY],
    len: u8,
}

impl Default for SixbitText {
    fn default() -> Self {
        SixbitText { buf: [0; Self::CAPACITY], len: 0 }
    }
}

impl SixbitText {
    /// Longest text in any decoded message: type 21 name (20) + extension (14).
    pub const CAPACITY: usize = 34;

    /// The text (always ASCII, so always valid UTF-8).
    pub fn as_str(&self) -> &str {
        // Only bytes 0x20..=0x5F are ever stored, so this cannot fail.
        std::str::from_utf8(&self.buf[..self.len as usize]).unwrap_or("")
    }

    /// True when no characters remain after `@`-termination and trimming.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `Some(self)` unless empty: "empty means not available" for optional fields.
    pub fn non_empty(self) -> Option<SixbitText> {
        (!self.is_empty()).then_some(self)
    }

    /// Build from an ASCII string (tests, fixtures). Truncates at capacity,
    /// stops at `@` and trims trailing spaces like the 6-bit decoder.
    pub fn from_ascii(s: &str) -> Self {
        let mut t = SixbitText::default();
        for &c in s.as_bytes() {
            if c == b'@' || t.len as usize == Self::CAPACITY {
                break;
            }
            t.buf[t.len as usize] = c;
            t.len += 1;
        }
        t.trim_end();
        t
    }

    /// Append up to `nchars` characters from `bits` at `start`, stopping at `@`.
    /// Returns false if it stopped at a terminator (so later parts are dropped too).
    pub(crate) fn push_sixbit(&mut self, bits: &Bits<'_>, start: usize, nchars: usize) -> bool {
        for k in 0..nchars {
            let v = bits.u(start + 6 * k, 6) as u8;
            if v == 0 {
                return false; // '@': end of text
            }
            if self.len as usize == Self::CAPACITY {
                return false;
            }
            // 0..=31 -> '@'..='_', 32..=63 -> ' '..='?'
            self.buf[self.len as usize] = if v < 32 { v + 64 } else { v };
            self.len += 1;
        }
        true
    }

    pub(crate) fn trim_end(&mut self) {
        while self.len > 0 && self.buf[self.len as usize - 1] == b' ' {
            self.len -= 1;
        }
    }
}

impl fmt::Debug for SixbitText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for SixbitText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_fields() {
        // "15M67FC000G?ufbE`FepT@3n00Sa" : type 1, mmsi 366968880? just check type+repeat
        let p = b"15M67FC000G?ufbE`FepT@3n00Sa";
        assert!(valid_payload(p));
        let b = Bits::new(p, 0);
        assert_eq!(b.len(), 168);
        assert_eq!(b.u(0, 6), 1);
        assert_eq!(b.u(6, 2), 0);
        assert_eq!(b.i(0, 6), 1);
        // past the end reads as zero
        assert_eq!(b.u(200, 10), 0);
    }

    #[test]
    fn text_stops_at_at_and_trims() {
        let t = SixbitText::from_ascii("ABC  @XYZ");
        assert_eq!(t.as_str(), "ABC");
        assert!(SixbitText::from_ascii("   ").non_empty().is_none());
    }
}
