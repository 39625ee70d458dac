//! NMEA 0183 / IEC 61162 framing: checksums, the NMEA 4 tag block, the
//! Gatehouse `$PGHP` header, `!--VDM`/`!--VDO` fields and trailing
//! timestamps after the checksum. Everything borrows from the input line.

use super::sixbit::valid_payload;
use lookout_core::time::unix_ms;

/// Parsed leading tag block (`\s:station,c:1565218798,g:1-2-1234*hh\`).
#[derive(Default, Clone, Copy)]
pub(crate) struct TagBlock<'a> {
    /// `c:` receive time, seconds or milliseconds since the Unix epoch, as ms.
    pub time_ms: Option<i64>,
    /// `s:` source / station id.
    pub station: Option<&'a [u8]>,
    /// `g:part-total-id` sentence group id (numeric, or a hash of a non-numeric id).
    pub group: Option<u32>,
    /// True when the line had a leading tag block.
    pub present: bool,
    /// False when the tag block's own checksum is missing or wrong.
    pub checksum_ok: bool,
}

/// Fields of one `!--VDM` / `!--VDO` sentence.
#[derive(Clone, Copy)]
pub(crate) struct Vdm<'a> {
    pub talker: [u8; 2],
    pub own_ship: bool,
    /// Fragment count 1..=9.
    pub total: u8,
    /// Fragment number 1..=total.
    pub num: u8,
    /// Sequential message id 0..=9, if present.
    pub seq: Option<u8>,
    /// Radio channel byte, if present.
    pub channel: Option<u8>,
    /// Armored payload characters (validated).
    pub payload: &'a [u8],
    /// Fill bits 0..=5.
    pub fill: u8,
    /// Epoch time found after the checksum (`*hh,1327992119173`).
    pub suffix_ms: Option<i64>,
    /// Another sentence glued after this one's checksum (`...*3A!AIVDM,...`,
    /// a logger that lost a newline), to be fed as a line of its own.
    pub glued: Option<&'a [u8]>,
}

/// A checksum-valid, non-AIS, non-proprietary `$ttfff,...*hh` sentence.
#[derive(Clone, Copy)]
pub(crate) struct Other<'a> {
    pub talker: [u8; 2],
    pub formatter: [u8; 3],
    /// Between the first comma and the `*` (empty when the sentence has no fields).
    pub fields: &'a str,
    /// Epoch time found after the checksum, as for VDM.
    pub suffix_ms: Option<i64>,
}

/// What a line turned out to be.
pub(crate) enum Line<'a> {
    /// Empty, whitespace or `#` comment.
    Blank,
    Ais(TagBlock<'a>, Vdm<'a>),
    /// Another standard `$` sentence with a good checksum (e.g. `$RATTM`).
    Other(TagBlock<'a>, Other<'a>),
    /// `$PGHP` header with its time (None for headers without a usable time).
    Header(Option<i64>),
    BadChecksum,
    Malformed,
    NotAis,
}

/// XOR of all bytes.
#[inline]
fn xor(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0, |a, &b| a ^ b)
}

#[inline]
fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// Two hex digits at the start of `s` (upper or lower case).
#[inline]
fn hex2(s: &[u8]) -> Option<u8> {
    match s {
        [a, b, ..] => Some(hex_digit(*a)? << 4 | hex_digit(*b)?),
        _ => None,
    }
}

/// Parse an unsigned decimal with at most 18 digits (no sign, no spaces).
#[inline]
fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 18 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in s {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + d as u64;
    }
    Some(v)
}

/// Epoch seconds or milliseconds -> ms. Values above 1e11 are taken as ms
/// (1e11 s is the year 5138; 1e11 ms is 1973).
fn epoch_to_ms(v: u64) -> Option<i64> {
    let ms = if v > 100_000_000_000 { v } else { v.checked_mul(1000)? };
    i64::try_from(ms).ok()
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if first.is_ascii_whitespace() || *first == 0 {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = s {
        if last.is_ascii_whitespace() || *last == 0 {
            s = rest;
        } else {
            break;
        }
    }
    s
}

/// Classify and parse one line (any bytes).
pub(crate) fn parse_line(line: &[u8]) -> Line<'_> {
    let line = trim(line);
    match line.first() {
        None | Some(b'#') => return Line::Blank,
        _ => {}
    }
    let (tag, rest) = if line[0] == b'\\' {
        // Leading tag block: `\...*hh\`. The sentence follows the closing `\`.
        match line[1..].iter().position(|&c| c == b'\\') {
            Some(end) => (parse_tag_block(&line[1..1 + end]), &line[end + 2..]),
            None => return Line::Malformed,
        }
    } else {
        (TagBlock::default(), line)
    };
    let rest = match rest.first() {
        Some(b'!') | Some(b'$') => rest,
        // Some loggers prefix a timestamp or receiver name: look for the sentence start.
        _ => match rest.iter().position(|&c| c == b'!') {
            Some(p) if matches!(rest.get(p + 3..p + 6), Some(b"VDM") | Some(b"VDO")) => &rest[p..],
            _ => return Line::NotAis,
        },
    };
    if rest.starts_with(b"$PGHP,") {
        return parse_pghp(rest);
    }
    // `!ttVDM,` / `!ttVDO,`: any two-byte talker (AI, AB, BS, SA, AN, ...).
    if rest.len() < 7 || rest[0] != b'!' || &rest[3..5] != b"VD" || rest[6] != b',' {
        // Off the AIS hot path: other `$` sentences (radar TTM/TLL, ...).
        return if rest[0] == b'$' { parse_other(tag, rest) } else { Line::NotAis };
    }
    let own_ship = match rest[5] {
        b'M' => false,
        b'O' => true,
        _ => return Line::NotAis,
    };
    let talker = [rest[1], rest[2]];
    // The payload alphabet has no '*', so the first '*' starts the checksum.
    let Some(star) = rest.iter().position(|&c| c == b'*') else {
        // Policy: a sentence without checksum is rejected (malformed): on a
        // serial/UDP feed it cannot be told apart from a truncated one.
        return Line::Malformed;
    };
    let Some(sum) = hex2(&rest[star + 1..]) else {
        return Line::Malformed;
    };
    if xor(&rest[1..star]) != sum {
        return Line::BadChecksum;
    }
    let after = &rest[star + 3..];
    let suffix_ms = trailing_epoch(after);
    let glued = matches!(after.first(), Some(b'!') | Some(b'\\')).then_some(after);
    match parse_vdm_fields(&rest[7..star]) {
        Some((total, num, seq, channel, payload, fill)) => {
            Line::Ais(tag, Vdm { talker, own_ship, total, num, seq, channel, payload, fill, suffix_ms, glued })
        }
        None => Line::Malformed,
    }
}

/// `$ttfff,fields*hh` (or `$ttfff*hh`): a standard talker sentence other than
/// AIS. Policies: the checksum is verified (a mismatch is `BadChecksum`); a
/// sentence without `*hh` is `NotAis` (it cannot be told from a truncated one,
/// and it was never counted otherwise); proprietary `$P...` sentences other
/// than `$PGHP` and anything not of this shape stay `NotAis`; a sentence
/// whose fields are not ASCII is `Malformed`.
#[cold]
fn parse_other<'a>(tag: TagBlock<'a>, rest: &'a [u8]) -> Line<'a> {
    let talker_ok = |c: u8| c.is_ascii_uppercase() || c.is_ascii_digit();
    let (t0, t1) = match rest.get(1..3) {
        Some(&[a, b]) if a != b'P' && talker_ok(a) && talker_ok(b) => (a, b),
        _ => return Line::NotAis,
    };
    let formatter = match rest.get(3..6) {
        Some(&[a, b, c]) if [a, b, c].iter().all(|c| c.is_ascii_uppercase()) => [a, b, c],
        _ => return Line::NotAis,
    };
    if !matches!(rest.get(6), Some(b',') | Some(b'*')) {
        return Line::NotAis;
    }
    let Some(star) = rest.iter().position(|&c| c == b'*') else {
        return Line::NotAis;
    };
    let Some(sum) = hex2(&rest[star + 1..]) else {
        return Line::NotAis;
    };
    if xor(&rest[1..star]) != sum {
        return Line::BadChecksum;
    }
    let fields = if star > 6 { &rest[7..star] } else { &[][..] };
    let Some(fields) = fields.is_ascii().then(|| std::str::from_utf8(fields).ok()).flatten() else {
        return Line::Malformed;
    };
    Line::Other(tag, Other { talker: [t0, t1], formatter, fields, suffix_ms: trailing_epoch(&rest[star + 3..]) })
}

type VdmFields<'a> = (u8, u8, Option<u8>, Option<u8>, &'a [u8], u8);

/// `total,num,seq,channel,payload,fill[,extra...]` (extra fields, seen in some
/// logger output, are ignored).
fn parse_vdm_fields(body: &[u8]) -> Option<VdmFields<'_>> {
    let mut it = body.split(|&c| c == b',');
    let total = single_digit(it.next()?)?;
    let num = single_digit(it.next()?)?;
    if !(1..=9).contains(&total) || !(1..=total).contains(&num) {
        return None;
    }
    let seq = match it.next()? {
        [] => None,
        [d] if d.is_ascii_digit() => Some(d - b'0'),
        _ => return None,
    };
    let channel = match it.next()? {
        [] => None,
        [c] if c.is_ascii_alphanumeric() => Some(*c),
        _ => return None,
    };
    let payload = it.next()?;
    if payload.is_empty() || !valid_payload(payload) {
        return None;
    }
    // Fill bits: a missing field is read as 0 (some encoders omit it).
    let fill = match it.next() {
        None | Some([]) => 0,
        Some([d]) if (b'0'..=b'5').contains(d) => d - b'0',
        _ => return None,
    };
    if fill as usize > payload.len() * 6 {
        return None;
    }
    Some((total, num, seq, channel, payload, fill))
}

#[inline]
fn single_digit(f: &[u8]) -> Option<u8> {
    match f {
        [d] if d.is_ascii_digit() => Some(d - b'0'),
        _ => None,
    }
}

/// Time after the checksum: the last comma-separated field, when it is an
/// epoch in seconds (10 digits) or milliseconds (13 digits) — exactEarth/AMSA
/// `*hh,1327992119173`, USCG `*hh,d-...,S...,r...,1241544035`.
fn trailing_epoch(after: &[u8]) -> Option<i64> {
    let after = trim(after);
    if after.first() != Some(&b',') {
        return None;
    }
    let last = after.rsplit(|&c| c == b',').next()?;
    if last.len() != 10 && last.len() != 13 {
        return None;
    }
    epoch_to_ms(parse_u64(last)?)
}

/// Tag block body `k:v,k:v*hh` (without the surrounding backslashes).
///
/// Policy: the tag block checksum is checked but only advisory
/// (`checksum_ok`, counted by the decoder): real feeds get it wrong (AMSA
/// writes `*00`; Kystverket computes it before prefixing `g:`), and the
/// sentence behind it has its own checksum that must pass.
fn parse_tag_block(body: &[u8]) -> TagBlock<'_> {
    let mut t = TagBlock { present: true, ..TagBlock::default() };
    let fields = match body.iter().rposition(|&c| c == b'*') {
        Some(star) => {
            t.checksum_ok = hex2(&body[star + 1..]) == Some(xor(&body[..star]));
            &body[..star]
        }
        None => body,
    };
    for f in fields.split(|&c| c == b',') {
        match f {
            [b'c', b':', v @ ..] => t.time_ms = parse_u64(v).and_then(epoch_to_ms),
            [b's', b':', v @ ..] if !v.is_empty() => t.station = Some(v),
            [b'g', b':', v @ ..] => {
                // part-total-id; only the id identifies the group.
                let id = v.rsplit(|&c| c == b'-').next().unwrap_or(&[]);
                if !id.is_empty() {
                    t.group = Some(match parse_u64(id) {
                        Some(n) => n as u32,
                        None => fnv1a(id),
                    });
                }
            }
            _ => {}
        }
    }
    t
}

fn fnv1a(s: &[u8]) -> u32 {
    s.iter().fold(0x811c_9dc5u32, |h, &c| (h ^ c as u32).wrapping_mul(0x0100_0193))
}

/// `$PGHP,1,yyyy,m,d,h,m,s,ms,country,region,pss,online,cc*hh` (Gatehouse):
/// the receive time of the AIS sentence(s) that follow.
fn parse_pghp(rest: &[u8]) -> Line<'_> {
    let Some(star) = rest.iter().position(|&c| c == b'*') else {
        return Line::Malformed;
    };
    match hex2(&rest[star + 1..]) {
        Some(sum) if sum == xor(&rest[1..star]) => {}
        Some(_) => return Line::BadChecksum,
        None => return Line::Malformed,
    }
    let mut f = rest[6..star].split(|&c| c == b',');
    let mut num = || f.next().and_then(parse_u64);
    let time = (|| {
        if num()? != 1 {
            return None; // only message type 1 carries a time
        }
        let (y, mo, d, h, mi, s, ms) = (num()?, num()?, num()?, num()?, num()?, num()?, num()?);
        let small = |v: u64| u32::try_from(v).ok();
        unix_ms(y as i64, small(mo)?, small(d)?, small(h)?, small(mi)?, small(s)?, small(ms)?)
    })();
    Line::Header(time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pghp_time() {
        match parse_line(b"$PGHP,1,2010,6,11,11,46,11,390,231,45,992190934,1,2B*5B\r\n") {
            Line::Header(t) => assert_eq!(t, Some(1_276_256_771_390)),
            _ => panic!("not a header"),
        }
    }

    #[test]
    fn tag_block_and_suffix() {
        match parse_line(b"\\s:rORBCOMM104,q:u,c:1418172113,T:2014-12-10 00.41.53*55\\!AIVDM,1,1,,B,13F?Vv700<DJuLEtvep`iToV0<00,0*78") {
            Line::Ais(t, v) => {
                assert!(t.checksum_ok);
                assert_eq!(t.time_ms, Some(1_418_172_113_000));
                assert_eq!(t.station, Some(&b"rORBCOMM104"[..]));
                assert_eq!(v.channel, Some(b'B'));
            }
            _ => panic!(),
        }
        match parse_line(b"!AIVDM,1,1,,B,IFICEMae<`HfcEV4M8aEWM<2VH1j6?;6<t9>,0*51,1327992119173") {
            Line::Ais(_, v) => assert_eq!(v.suffix_ms, Some(1_327_992_119_173)),
            _ => panic!(),
        }
    }
}
