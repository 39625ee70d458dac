//! Identifiers shared by every stage.

/// Maritime Mobile Service Identity. One MMSI is *not* assumed to be one ship:
/// shared and false MMSIs exist, which is why the picture keeps the source of
/// every report and a later stage scores implausible jumps.
pub type Mmsi = u32;

/// Track identifier: stable, never reused, unique across AIS vessels and
/// non-AIS tracks.
pub type TrackId = u64;

/// Index of a source in the service's registry (its name lives there).
pub type SourceId = u16;
