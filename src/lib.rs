//! Lookout: a maritime surveillance service for coastguards.
//!
//! Data flows one way: [`source`] (feeds) → [`decode`] (NMEA/AIS) and
//! [`detect`] (radar, detection events) → [`pipeline`] → [`picture`] (tracks
//! and R-tree, with [`track`] and [`pob`]) → [`score`] (detectors against
//! the [`baseline`]) → [`alert`] (the alert book) → [`api`] (gRPC queries and
//! streams). At the edges: [`replay`] (recordings, deterministic),
//! [`journal`] (every alert change on disk), [`simulate`] (recordings with
//! ground truth). [`service`] wires it together.

pub mod alert;
pub mod api;
pub mod baseline;
pub mod cli;
pub mod config;
pub mod decode;
pub mod detect;
pub mod error;
pub mod geodesy;
pub mod journal;
pub mod picture;
pub mod pipeline;
pub mod pob;
pub mod replay;
pub mod score;
pub mod service;
pub mod simulate;
pub mod source;
pub mod track;

pub use config::Config;
pub use error::Error;
pub use service::{run, start, Running};
