//! Tests that need no running service: decoders against other decoders'
//! conformance suites, the tracker, persons on board, the baseline, the
//! detectors, the simulator, and the detection evaluations.
//!
//! One test binary, not one per file: each binary links the whole of
//! Lookout again, and with two dozen of them linking took longer than the
//! tests. `cargo test --test offline <module>::` runs one file's tests.

mod support;

mod baseline;
mod decode_conformance;
mod decode_gpsd;
mod detect;
mod pob;
mod proptest_parsers;
mod real_injected;
mod replay_alerts;
mod scenario_fusion;
mod score;
mod simulate;
mod simulate_anomalies;
mod simulate_sensors;
mod track;
