//! The Lookout service: sources (feeds) → the [`pipeline`], which drives
//! the engine (`lookout-engine`) → the [`api`] (gRPC queries and streams),
//! with the [`store`] (the archive: every input, acknowledgement and alert
//! version, durably; recovery at start) and the [`journal`] at the edge. [`config`]
//! gathers every stage's section; [`service`] wires it together; [`metrics`]
//! exports it all to Prometheus; [`output`] sends the picture to chart plotters as NMEA.

pub mod api;
pub mod config;
pub mod console;
pub mod error;
pub mod journal;
pub mod listen;
pub mod metrics;
pub mod output;
pub mod pipeline;
pub mod service;
pub mod source;
pub mod store;

pub use config::Config;
pub use error::Error;
pub use service::{run, start, Running, Shared};
