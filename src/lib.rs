//! Lookout: a maritime surveillance service for coastguards.
//!
//! Data flows one way: [`source`] (feeds) → [`decode`] (NMEA/AIS) →
//! [`pipeline`] → [`picture`] (vessels + R-tree) → [`api`] (gRPC queries and
//! streams). [`simulate`] writes recordings; [`service`] wires it together.

pub mod alert;
pub mod api;
pub mod baseline;
pub mod cli;
pub mod config;
pub mod decode;
pub mod detect;
pub mod error;
pub mod geodesy;
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
