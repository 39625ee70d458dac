//! Tests of the running service from outside: the real server over real
//! sockets (gRPC, TLS, TCP and UDP feeds, HTTP metrics), the `lookout`
//! binary as a child process (CLI, restart after `kill -9`), and the
//! browser console in Debian's chromium.
//!
//! One test binary, not one per file: each binary links the whole of
//! Lookout again, and with two dozen of them linking took longer than the
//! tests. `cargo test --test service <module>::` runs one file's tests.

mod support;

mod access;
mod alerts_server;
mod archive_replay;
mod cli;
mod console_e2e;
mod determinism;
mod export;
mod fusion;
mod hostile;
mod metrics;
mod output;
mod restart;
mod server;
