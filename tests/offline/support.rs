//! Helpers shared by the tests that need no running service.

use lookout_sim::RegionId;

/// Rough land boxes, (name, min lat, max lat, min lon, max lon), drawn for the
/// tests from charts (not the simulator's own coastlines, so a coastline
/// mistake in the simulator is caught): the islands, Sicily's interior and Cap
/// Bon; the interiors of Kent, Romney Marsh, Sussex, Essex and the French coast.
pub fn land(region: RegionId) -> &'static [(&'static str, f64, f64, f64, f64)] {
    match region {
        RegionId::StraitOfSicily => &[
            ("Malta", 35.845, 35.925, 14.36, 14.47),
            ("Gozo", 36.03, 36.06, 14.21, 14.30),
            ("Sicily", 37.45, 37.90, 13.30, 14.80),
            ("Sicily SE", 36.82, 37.00, 14.60, 15.00),
            ("Lampedusa", 35.508, 35.522, 12.55, 12.60),
            ("Pantelleria", 36.76, 36.80, 11.97, 12.03),
            ("Cap Bon", 36.70, 36.95, 10.75, 10.95),
        ],
        RegionId::DoverStrait => &[
            ("Kent", 51.13, 51.30, 0.90, 1.33),
            ("Romney Marsh", 50.96, 51.05, 0.75, 0.95),
            ("Sussex", 50.86, 51.10, 0.00, 0.55),
            ("Essex", 51.60, 51.80, 0.50, 0.85),
            ("Boulonnais", 50.60, 50.85, 1.65, 2.20),
            ("Calaisis", 50.80, 50.93, 1.75, 2.40),
            ("Flanders", 50.80, 51.00, 2.40, 3.00),
        ],
    }
}

/// The land box `(lat, lon)` is in, if any.
pub fn on_land(region: RegionId, lat: f64, lon: f64) -> Option<&'static str> {
    land(region).iter().find(|b| lat > b.1 && lat < b.2 && lon > b.3 && lon < b.4).map(|b| b.0)
}

/// A file of the shared corpora beside the checkout (`../shared/corpora/<rel>`; each
/// corpus says where it came from in its own README).
pub fn corpus(rel: &str) -> String {
    format!("{}/../shared/corpora/{}", env!("CARGO_MANIFEST_DIR"), rel)
}

/// A corpus file's text; fails the test naming the path if it cannot be read.
pub fn corpus_text(rel: &str) -> String {
    let p = corpus(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// `body` framed as an NMEA sentence with `start` (`!` for AIS, `$` for radar) and its
/// checksum (the XOR of the body's bytes).
pub fn with_checksum(start: char, body: &str) -> String {
    format!("{start}{body}*{:02X}", body.bytes().fold(0u8, |a, b| a ^ b))
}
