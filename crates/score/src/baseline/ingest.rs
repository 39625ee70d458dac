//! From recorded NMEA to [`TrafficObs`]: `lookout baseline build` reads
//! recordings with this.

use std::collections::HashMap;
use std::io::BufRead;

use super::{TrafficClass, TrafficObs};
use lookout_ais::decode::{AisClass, AisMessage, Decoder, DecoderConfig};

/// What is known of each MMSI's type: ship type from static messages (5, 19,
/// 24B) and whether it transmits class B.
#[derive(Debug, Default, Clone)]
pub struct ClassBook {
    map: HashMap<u32, (Option<u8>, bool), ahash::RandomState>,
}

impl ClassBook {
    /// Notes what a message says about its sender's type.
    pub fn note(&mut self, msg: &AisMessage) {
        match msg {
            AisMessage::StaticVoyage(s) => {
                let e = self.map.entry(s.mmsi).or_insert((None, false));
                if s.ship_type.is_some() {
                    e.0 = s.ship_type;
                }
            }
            AisMessage::StaticB(s) | AisMessage::ExtendedB(_, s) => {
                let e = self.map.entry(s.mmsi).or_insert((None, true));
                e.1 = true;
                if s.ship_type.is_some() {
                    e.0 = s.ship_type;
                }
            }
            AisMessage::Position(p) => {
                let e = self.map.entry(p.mmsi).or_insert((None, false));
                e.1 |= p.class == AisClass::B;
            }
            _ => {}
        }
    }

    /// The class of an MMSI as far as known.
    pub fn class(&self, mmsi: u32) -> TrafficClass {
        match self.map.get(&mmsi) {
            Some(&(t, b)) => TrafficClass::from_ais(t, b),
            None => TrafficClass::Unknown,
        }
    }
}

/// Decodes a recording (NMEA lines with tag-block or `$PGHP` times) into
/// vessel position reports with their class. Static data may arrive after a
/// vessel's first positions, so classes are assigned once the whole input has
/// been read. Lines without a time are skipped; the reports are returned in
/// time order (stable), base stations, aids to navigation and SAR aircraft excluded.
pub fn observations_from_nmea(r: impl BufRead) -> std::io::Result<Vec<TrafficObs>> {
    let mut dec = Decoder::new(DecoderConfig::default());
    let mut book = ClassBook::default();
    let mut out: Vec<TrafficObs> = Vec::new();
    let mut now = 0i64;
    for line in r.split(b'\n') {
        let line = line?;
        dec.feed_line(&line, now, &mut |d| {
            book.note(&d.msg);
            let Some(t) = d.received_at_ms else { return };
            now = now.max(t);
            if let Some(p) = d.msg.position() {
                if let (Some(lat), Some(lon)) = (p.lat_deg(), p.lon_deg()) {
                    out.push(TrafficObs {
                        mmsi: p.mmsi,
                        time_ms: t,
                        lat_deg: lat,
                        lon_deg: lon,
                        sog_kn: p.sog_kn(),
                        cog_deg: p.cog_deg(),
                        class: TrafficClass::Unknown,
                    });
                }
            }
        });
    }
    for o in &mut out {
        o.class = book.class(o.mmsi);
    }
    out.sort_by_key(|o| o.time_ms);
    Ok(out)
}
