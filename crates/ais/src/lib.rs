//! Lines in, observations out: NMEA 0183 / AIS decoding ([`decode`]) and its
//! inverse, the encoder the simulator and the output feed write with ([`encode`]); ARPA
//! radar `TTM`/`TLL` from configured sites ([`radar`]), detection events
//! from drones, cameras, aircraft and satellites ([`event`]), and the line
//! decoding every source shares, live or replayed ([`lines`], [`recording`]).

pub mod decode;
pub mod encode;
pub mod event;
pub mod lines;
pub mod radar;
pub mod recording;
pub mod split;

pub use event::{parse_json_line, DetectionEvent};
pub use lines::{
    Batch, Clock, DetectionCounters, LineDecoder, LineFormat, LineSettings, Observation, Payload, ReadCounters,
};
pub use radar::{RadarConfig, RadarError, RadarSite};
pub use recording::{open_recording, Recording, RecordingError};
pub use split::{LineSplitter, MAX_LINE_BYTES};

pub use lookout_core::InvalidField;
