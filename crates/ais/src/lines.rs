//! Lines to observations: the decoding every source shares, live or
//! replayed. A [`LineDecoder`] owns one AIS [`Decoder`] (reassembly state),
//! turns radar sentences from configured sites and detection-event lines
//! into detections, and stamps every observation with its receive time.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use lookout_core::time::wall_ms;
use lookout_core::{Detection, SourceId};
use tracing::warn;

use crate::decode::{AisMessage, DecodeCounters, Decoder, DecoderConfig};
use crate::radar::{RadarOutcome, RadarSite};

/// What a source observed.
#[derive(Debug, Clone)]
pub enum Payload {
    Ais(AisMessage),
    /// Boxed: detections are rarer and larger than AIS messages, and batches
    /// of AIS should stay compact.
    Detection(Box<Detection>),
}

/// One decoded AIS message or detection, with its receive time and source.
#[derive(Debug, Clone)]
pub struct Observation {
    pub source: SourceId,
    /// Receive time, ms since the Unix epoch.
    pub at_ms: i64,
    pub payload: Payload,
}

/// A batch of observations from one source, in arrival order.
pub type Batch = Vec<Observation>;

/// What the lines of a source are: NMEA (AIS and radar sentences) or
/// detection events (JSON Lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineFormat {
    Nmea,
    Detections,
}

impl LineFormat {
    /// `.jsonl` and `.jsonl.gz` files hold detections; anything else NMEA.
    pub fn for_path(path: &std::path::Path) -> Self {
        let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        if name.ends_with(".jsonl") || name.ends_with(".jsonl.gz") {
            LineFormat::Detections
        } else {
            LineFormat::Nmea
        }
    }
}

/// How a source stamps receive times.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Clock {
    /// Lines without their own time get the wall clock.
    Live,
    /// A recording: lines without a time inherit the last time seen in it.
    Recording,
}

/// Shared settings of line decoding: radar sites and the future-time limit.
#[derive(Debug, Clone, Default)]
pub struct LineSettings {
    /// Radar sites by station (tag-block `s:` or source name).
    pub radars: BTreeMap<String, RadarSite>,
    /// Detection events stamped further ahead of the wall clock are rejected (live only).
    pub max_future_ms: i64,
}

impl LineSettings {
    /// Settings for these radar sites; detection events stamped more than
    /// `max_future_ms` ahead of the wall clock are refused (live sources).
    pub fn new(radars: &[crate::radar::RadarConfig], max_future_ms: i64) -> Self {
        Self { radars: radars.iter().map(|r| (r.station.clone(), r.site())).collect(), max_future_ms }
    }
}

/// What a source counted beyond the AIS decoder's own counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DetectionCounters {
    /// `TTM`/`TLL` sentences turned into detections.
    pub radar_detections: u64,
    /// Radar sentences that did not parse.
    pub radar_errors: u64,
    /// Radar sentences from a station with no `[[radar]]` site configured.
    pub radar_unconfigured: u64,
    /// Valid radar sentences that are not detections (lost targets).
    pub radar_no_detection: u64,
    /// Detection events (JSON Lines) accepted.
    pub events: u64,
    /// Detection events rejected (impossible values); see `last_rejection`.
    pub events_rejected: u64,
    pub last_rejection: String,
}

impl DetectionCounters {
    pub fn since(&self, earlier: &DetectionCounters) -> DetectionCounters {
        DetectionCounters {
            radar_detections: self.radar_detections - earlier.radar_detections,
            radar_errors: self.radar_errors - earlier.radar_errors,
            radar_unconfigured: self.radar_unconfigured - earlier.radar_unconfigured,
            radar_no_detection: self.radar_no_detection - earlier.radar_no_detection,
            events: self.events - earlier.events,
            events_rejected: self.events_rejected - earlier.events_rejected,
            last_rejection: self.last_rejection.clone(),
        }
    }

    /// Adds `d` to these counters.
    pub fn merge(&mut self, d: &DetectionCounters) {
        self.radar_detections += d.radar_detections;
        self.radar_errors += d.radar_errors;
        self.radar_unconfigured += d.radar_unconfigured;
        self.radar_no_detection += d.radar_no_detection;
        self.events += d.events;
        self.events_rejected += d.events_rejected;
        if !d.last_rejection.is_empty() {
            self.last_rejection.clone_from(&d.last_rejection);
        }
    }
}

/// Turns lines into observations: the decoding every source shares, live or
/// replayed. Owns one [`Decoder`] (reassembly state) and the clock policy.
pub struct LineDecoder {
    source: SourceId,
    source_name: Arc<str>,
    format: LineFormat,
    decoder: Decoder,
    settings: Arc<LineSettings>,
    pub clock: Clock,
    /// Last receive time seen (recording clock), ms since epoch.
    last_time_ms: Option<i64>,
    detections: DetectionCounters,
    /// Stations already reported as unconfigured (logged once each).
    warned: BTreeSet<String>,
    radar_buf: Vec<Detection>,
}

impl LineDecoder {
    pub fn new(
        source: SourceId,
        source_name: &str,
        format: LineFormat,
        settings: Arc<LineSettings>,
        clock: Clock,
    ) -> Self {
        Self {
            source,
            source_name: source_name.into(),
            format,
            decoder: Decoder::new(DecoderConfig::default()),
            settings,
            clock,
            last_time_ms: None,
            detections: DetectionCounters::default(),
            warned: BTreeSet::new(),
            radar_buf: Vec::new(),
        }
    }

    /// Receive time of the last decoded message (recording clock), ms since epoch.
    pub fn last_time_ms(&self) -> Option<i64> {
        self.last_time_ms
    }

    pub fn counters(&self) -> &DecodeCounters {
        self.decoder.counters()
    }

    pub fn detection_counters(&self) -> &DetectionCounters {
        &self.detections
    }

    /// Expires stale fragments.
    pub fn expire(&mut self, now_ms: i64) {
        self.decoder.expire(now_ms);
    }

    /// Decodes one complete line, appending what it carries to `out`.
    pub fn line(&mut self, line: &[u8], out: &mut Vec<Observation>) {
        let wall = if self.clock == Clock::Live { wall_ms() } else { 0 };
        self.line_at(line, wall, out);
    }

    /// [`LineDecoder::line`] with the wall clock given, ms since the epoch
    /// (only read under [`Clock::Live`]): the archive records the time each
    /// line was received, so recovery decodes it exactly as it was decoded live.
    pub fn line_at(&mut self, line: &[u8], wall: i64, out: &mut Vec<Observation>) {
        match self.format {
            LineFormat::Nmea => self.nmea_line(line, wall, out),
            LineFormat::Detections => self.event_line(line, wall, out),
        }
    }

    /// The format this decoder reads.
    pub fn format(&self) -> LineFormat {
        self.format
    }

    fn nmea_line(&mut self, line: &[u8], wall: i64, out: &mut Vec<Observation>) {
        let now = match self.clock {
            Clock::Live => wall,
            Clock::Recording => self.last_time_ms.unwrap_or(0),
        };
        let (clock, source, last) = (&mut self.clock, self.source, &mut self.last_time_ms);
        let (settings, name, counts, warned, radar) =
            (&self.settings, &self.source_name, &mut self.detections, &mut self.warned, &mut self.radar_buf);
        self.decoder.feed_line_with(
            line,
            now,
            &mut |d| {
                let at_ms = stamp(clock, last, d.received_at_ms, wall);
                out.push(Observation { source, at_ms, payload: Payload::Ais(d.msg) });
            },
            &mut |s| {
                if !matches!(&s.formatter, b"TTM" | b"TLL") {
                    return;
                }
                let station = s.station.as_ref().map_or(&**name, |st| st.as_str());
                let Some(site) = settings.radars.get(station) else {
                    counts.radar_unconfigured += 1;
                    if warned.insert(station.to_string()) {
                        warn!(source = ?name, station = ?station, "radar sentences from a station with no [[radar]] site configured; counting them as radar_unconfigured");
                    }
                    return;
                };
                match site.sentence(&s, now) {
                    RadarOutcome::Detection(d) => radar.push(d),
                    RadarOutcome::NoDetection => counts.radar_no_detection += 1,
                    RadarOutcome::Error(_) => counts.radar_errors += 1,
                    RadarOutcome::NotRadar => {}
                }
            },
        );
        for mut d in self.radar_buf.drain(..) {
            self.detections.radar_detections += 1;
            let at_ms = stamp(&mut self.clock, &mut self.last_time_ms, Some(d.time_ms), wall);
            d.time_ms = at_ms;
            out.push(Observation { source: self.source, at_ms, payload: Payload::Detection(Box::new(d)) });
        }
    }

    fn event_line(&mut self, line: &[u8], wall: i64, out: &mut Vec<Observation>) {
        let text = String::from_utf8_lossy(line);
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') {
            return;
        }
        let (wall, now, max_future) = match self.clock {
            Clock::Live => (wall, wall, self.settings.max_future_ms),
            // A recording has no "now" to be ahead of.
            Clock::Recording => (0, i64::MAX / 4, 0),
        };
        match crate::event::parse_json_line(text, now, max_future) {
            Ok(mut d) => {
                self.detections.events += 1;
                let at_ms = stamp(&mut self.clock, &mut self.last_time_ms, Some(d.time_ms), wall);
                d.time_ms = at_ms;
                out.push(Observation { source: self.source, at_ms, payload: Payload::Detection(Box::new(d)) });
            }
            Err(e) => {
                self.detections.events_rejected += 1;
                self.detections.last_rejection = e.to_string();
            }
        }
    }
}

/// The receive time of a message under `clock`: its own time if the line
/// carried one, else the wall clock (live) or the recording's last time.
fn stamp(clock: &mut Clock, last: &mut Option<i64>, own_ms: Option<i64>, wall: i64) -> i64 {
    match clock {
        Clock::Live => own_ms.unwrap_or(wall),
        Clock::Recording => {
            let t = own_ms.or(*last).unwrap_or(0);
            *last = Some(t);
            t
        }
    }
}

/// Everything one reader of a source counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadCounters {
    pub decode: DecodeCounters,
    pub detections: DetectionCounters,
    /// Lines dropped by the line splitter for their length.
    pub oversize_lines: u64,
}

impl ReadCounters {
    pub fn merge(&mut self, o: &ReadCounters) {
        self.decode.merge(&o.decode);
        self.detections.merge(&o.detections);
        self.oversize_lines += o.oversize_lines;
    }
}
