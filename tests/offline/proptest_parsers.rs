//! Property tests of the parsers that take untrusted input (issue 12): the NMEA/AIS
//! decoder, the radar `TTM`/`TLL` parsers and the detection-event JSON reader never
//! panic on arbitrary bytes, and AIS position reports written by the simulator's encoder
//! (itself checked against gpsd in tests/offline/simulate.rs) decode back to the same fields.

use lookout_ais::decode::{AisMessage as Decoded, Decoder, DecoderConfig};
use lookout_ais::radar::{parse_tll, parse_ttm};
use lookout_sim::encode::{AisMessage, PositionReport};
use proptest::prelude::*;

fn decode_all(lines: &[String]) -> Vec<Decoded> {
    let mut dec = Decoder::new(DecoderConfig::default());
    let mut out = Vec::new();
    for l in lines {
        dec.feed_line(l.as_bytes(), 0, &mut |d| out.push(d.msg));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    /// Arbitrary bytes, and arbitrary bytes behind a plausible sentence start.
    #[test]
    fn the_decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300), prefix in 0usize..4) {
        let head: &[u8] = [&b""[..], b"!AIVDM,", b"\\s:x,c:1*00\\!AIVDM,2,1,3,A,", b"$RATTM,"][prefix];
        let line = [head, &bytes].concat();
        let mut dec = Decoder::new(DecoderConfig::default());
        dec.feed_line(&line, 0, &mut |_| {});
        dec.feed_line_with(&line, 0, &mut |_| {}, &mut |_| {});
    }

    #[test]
    fn radar_parsers_never_panic(s in "[0-9A-Za-z.,*-]{0,120}") {
        let _ = parse_ttm(&s);
        let _ = parse_tll(&s);
    }

    #[test]
    fn the_detection_reader_never_panics(s in "\\PC{0,200}", json in prop::bool::ANY) {
        let text = if json { format!("{{\"time\":\"{s}\",\"lat\":{s}}}") } else { s };
        let _ = lookout_ais::parse_json_line(&text, 1_780_000_000_000, 300_000);
    }

    /// Type 1-3 reports round-trip through the simulator's encoder and our decoder.
    #[test]
    fn position_reports_round_trip(
        msg_type in 1u8..=3,
        mmsi in 1u32..=999_999_999,
        nav_status in 0u8..=15,
        sog in 0u16..=1023,
        lon in -108_000_000i32..=108_000_000,
        lat in -54_000_000i32..=54_000_000,
        cog in 0u16..=3600,
        heading in 0u16..=511,
    ) {
        let r = PositionReport {
            msg_type, repeat: 0, mmsi, nav_status, rot: -128, sog, accuracy: false, lon, lat, cog, heading,
            second: 60, maneuver: 0, spare: 0, raim: false, radio: 0,
        };
        let out = decode_all(&AisMessage::Position(r).to_sentences('A', 0));
        prop_assert_eq!(out.len(), 1);
        let Decoded::Position(p) = &out[0] else { panic!("not a position: {:?}", out[0]) };
        prop_assert_eq!(p.msg_type, msg_type);
        prop_assert_eq!(p.mmsi, mmsi);
        prop_assert_eq!(p.lon_e4min, Some(lon));
        prop_assert_eq!(p.lat_e4min, Some(lat));
        prop_assert_eq!(p.sog_dkn, (sog != 1023).then_some(sog));
        prop_assert_eq!(p.cog_ddeg, (cog < 3600).then_some(cog));
        prop_assert_eq!(p.heading_deg, (heading <= 359).then_some(heading));
        prop_assert_eq!(p.nav_status, (nav_status != 15).then_some(nav_status));
    }
}
