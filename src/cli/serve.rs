//! `lookout serve`: runs the service.

use std::path::PathBuf;

use anyhow::Context;
use lookout_server::config::{SourceConfig, SourceKind};
use lookout_server::Config;
use tokio_util::sync::CancellationToken;

/// The bundled recording `serve --demo` plays: AIS and radar plots, and drone detections.
pub const DEMO_RECORDING: [&str; 2] =
    ["replay-data/central-med-scenario-1h.nmea.gz", "replay-data/central-med-scenario-1h.jsonl"];

/// The bundled baseline `serve --demo` scores against.
pub const DEMO_BASELINE: &str = "replay-data/strait-of-sicily.baseline";

/// The demo configuration: the one place the bundled scenario's radar sites
/// and zones are written down (a test checks them against the simulator).
const DEMO_CONFIG: &str = include_str!("../../config/demo.toml");

/// Run the service.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// Configuration file.
    #[arg(long, default_value = "config/default.toml")]
    config: PathBuf,
    /// Also play the bundled recording (replay-data/: AIS, radar, drone) in real time, looping.
    #[arg(long)]
    demo: bool,
}

impl ServeArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        let mut cfg = Config::load(&self.config).with_context(|| format!("loading {}", self.config.display()))?;
        if self.demo {
            add_demo(&mut cfg);
        }
        let shutdown = CancellationToken::new();
        tokio::spawn(stop_on_signal(shutdown.clone()));
        let running = lookout_server::start(cfg).await?;
        tokio::spawn(reload_on_hangup(self.config, self.demo, running.shared.clone()));
        running.wait(shutdown).await;
        Ok(())
    }
}

/// On SIGHUP, reads the configuration file again and puts its `[[operator]]`s in force
/// (tokens added, revoked, given other roles) without a restart. A file that does not
/// load changes nothing, and the log says why.
async fn reload_on_hangup(path: PathBuf, demo: bool, shared: std::sync::Arc<lookout_server::Shared>) {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut hup) = signal(SignalKind::hangup()) else {
        tracing::warn!("cannot listen for SIGHUP: operators reload only with a restart");
        return;
    };
    while hup.recv().await.is_some() {
        match Config::load(&path) {
            Ok(mut cfg) => {
                if demo {
                    add_demo(&mut cfg);
                }
                shared.reload_operators(&cfg);
            }
            Err(e) => {
                tracing::error!(error = %e, file = %path.display(), "SIGHUP: configuration not reloaded; operators unchanged")
            }
        }
    }
}

/// Cancels `shutdown` on SIGINT (Ctrl-C) or SIGTERM (how systemd and
/// container runtimes stop a service): both shut down gracefully — the
/// baseline saved, the journal flushed, console streams ended with OK.
async fn stop_on_signal(shutdown: CancellationToken) {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the service gracefully");
            let _ = tokio::signal::ctrl_c().await;
            shutdown.cancel();
            return;
        }
    };
    let which = tokio::select! {
        _ = tokio::signal::ctrl_c() => "SIGINT",
        _ = term.recv() => "SIGTERM",
    };
    tracing::info!(signal = which, "shutting down");
    shutdown.cancel();
}

/// What `serve --demo` adds to the configuration: a real-time, looping file
/// source of the bundled recording, shifted to now, the bundled scenario's
/// radar sites (from `config/demo.toml`), its baseline, and (unless
/// configured) the console on 127.0.0.1:8080.
pub fn add_demo(cfg: &mut Config) {
    cfg.sources.push(SourceConfig {
        name: "demo".into(),
        format: None,
        allow_from: vec![],
        allow_unauthenticated: false,
        kind: SourceKind::File {
            path: None,
            paths: DEMO_RECORDING.iter().map(PathBuf::from).collect(),
            pace: 1.0,
            repeat: true,
            shift_to_now: true,
        },
    });
    if cfg.console.listen.is_none() {
        cfg.console.listen = Some(std::net::SocketAddr::from(([127, 0, 0, 1], 8080)));
    }
    let demo = Config::parse(DEMO_CONFIG).expect("config/demo.toml is valid (tested)");
    for r in demo.radars {
        if !cfg.radars.iter().any(|c| c.station == r.station) {
            cfg.radars.push(r);
        }
    }
    if cfg.baseline.path.is_none() {
        // Learnt from 24 h of the simulator's ordinary traffic (replay-data/README.md);
        // used as shipped, never written back.
        cfg.baseline.path = Some(PathBuf::from(DEMO_BASELINE));
        cfg.baseline.save_every = None;
    }
}
