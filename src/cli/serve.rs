//! `lookout serve`: runs the service.

use std::path::{Path, PathBuf};

use anyhow::Context;
use lookout_server::config::{SourceConfig, SourceKind};
use lookout_server::Config;
use tokio_util::sync::CancellationToken;

/// Where `serve` looks for its configuration when `--config` is not given,
/// relative to the working directory (running from the repository).
pub const DEFAULT_CONFIG_PATH: &str = "config/default.toml";

/// `config/default.toml` of this version, built in: what `serve` runs on
/// without `--config` where there is no `config/default.toml` (an installed
/// binary, any other directory).
pub const DEFAULT_CONFIG: &str = include_str!("../../config/default.toml");

/// The demo configuration: the one place the bundled scenario's radar sites
/// and zones are written down (a test checks them against the simulator).
const DEMO_CONFIG: &str = include_str!("../../config/demo.toml");

/// The demo's files, by name within a data directory, and a copy of each
/// built into the binary (2.8 MB in all; replay-data/README.md says how they
/// were made): the recording `serve --demo` plays (AIS and radar plots, then
/// drone detections) and the baseline it scores against.
const DEMO_FILES: [(&str, &[u8]); 3] = [
    ("central-med-scenario-1h.nmea.gz", include_bytes!("../../replay-data/central-med-scenario-1h.nmea.gz")),
    ("central-med-scenario-1h.jsonl", include_bytes!("../../replay-data/central-med-scenario-1h.jsonl")),
    ("strait-of-sicily.baseline", include_bytes!("../../replay-data/strait-of-sicily.baseline")),
];

/// Run the service.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// Configuration file [default: config/default.toml in the working directory if
    /// there is one, else the copy of it built into this binary].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Also play the bundled recording (AIS, radar, drone) in real time, looping, with its
    /// radar sites and baseline. Its files are taken from ./replay-data, else
    /// $XDG_DATA_HOME/lookout/replay-data or $XDG_DATA_DIRS/lookout/replay-data, else the
    /// copy built into this binary is written to $XDG_CACHE_HOME/lookout/demo and used.
    #[arg(long)]
    demo: bool,
}

impl ServeArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        // An explicit --config must exist; the default is a convenience that
        // falls back to the built-in copy, and the log says which was used.
        let path = match self.config {
            Some(p) => Some(p),
            None if Path::new(DEFAULT_CONFIG_PATH).is_file() => Some(PathBuf::from(DEFAULT_CONFIG_PATH)),
            None => None,
        };
        let mut cfg = match &path {
            Some(p) => Config::load(p).with_context(|| format!("loading {}", p.display()))?,
            None => {
                let cwd = std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_else(|_| "?".into());
                tracing::info!(
                    "no --config and no {DEFAULT_CONFIG_PATH} in {cwd}: using the built-in default configuration \
                     (config/default.toml of lookout {})",
                    env!("CARGO_PKG_VERSION")
                );
                Config::parse(DEFAULT_CONFIG).context("the built-in config/default.toml")?
            }
        };
        let demo = if self.demo { Some(DemoData::find()?) } else { None };
        if let Some(d) = &demo {
            add_demo(&mut cfg, d);
        }
        let shutdown = CancellationToken::new();
        tokio::spawn(stop_on_signal(shutdown.clone()));
        let running = lookout_server::start(cfg).await?;
        tokio::spawn(reload_on_change(path, demo, running.shared.clone()));
        running.wait(shutdown).await;
        Ok(())
    }
}

/// Where `serve --demo` found (or put) the demo's files.
#[derive(Debug, Clone)]
pub struct DemoData {
    /// The directory holding every file of [`DEMO_FILES`].
    pub dir: PathBuf,
}

impl DemoData {
    /// The first directory holding all the demo's files: `./replay-data` (the
    /// repository), then `lookout/replay-data` in the XDG data directories
    /// (where a package would install them); failing those, the copy built
    /// into the binary, written to `$XDG_CACHE_HOME/lookout/demo` (rewritten
    /// if it differs, so a newer binary never plays an older copy). The error
    /// names every directory tried.
    pub fn find() -> anyhow::Result<DemoData> {
        let mut tried = vec![PathBuf::from("replay-data")];
        tried.extend(xdg_data_dirs().into_iter().map(|d| d.join("lookout/replay-data")));
        for dir in &tried {
            if DEMO_FILES.iter().all(|(name, _)| dir.join(name).is_file()) {
                tracing::info!(dir = %dir.display(), "demo data");
                return Ok(DemoData { dir: dir.clone() });
            }
        }
        let names = DEMO_FILES.map(|(n, _)| n).join(", ");
        // Absolute, so the message says which working directory was meant.
        let looked = tried
            .iter()
            .map(|d| std::path::absolute(d).unwrap_or_else(|_| d.clone()).display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let Some(cache) = xdg_cache_home().map(|d| d.join("lookout/demo")) else {
            anyhow::bail!(
                "--demo: the demo data ({names}) is in none of {looked}, and neither XDG_CACHE_HOME nor HOME is set, \
                 so the copy built into lookout has nowhere to go"
            );
        };
        write_embedded(&cache).with_context(|| {
            format!(
                "--demo: the demo data ({names}) is in none of {looked}, and the copy built into lookout \
                 could not be written to {}",
                cache.display()
            )
        })?;
        tracing::info!(dir = %cache.display(), "demo data: the copy built into lookout");
        Ok(DemoData { dir: cache })
    }

    /// The recording: AIS and radar (NMEA, gzip) and drone detections (JSON Lines).
    pub fn recording(&self) -> Vec<PathBuf> {
        DEMO_FILES[..2].iter().map(|(n, _)| self.dir.join(n)).collect()
    }

    /// The baseline the demo scores against.
    pub fn baseline(&self) -> PathBuf {
        self.dir.join(DEMO_FILES[2].0)
    }
}

/// `$XDG_DATA_HOME` (default `~/.local/share`), then `$XDG_DATA_DIRS`
/// (default `/usr/local/share:/usr/share`), per the XDG Base Directory
/// specification; relative entries are ignored, as it says.
fn xdg_data_dirs() -> Vec<PathBuf> {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    let mut dirs = Vec::new();
    match env("XDG_DATA_HOME") {
        Some(d) => dirs.push(PathBuf::from(d)),
        None => dirs.extend(env("HOME").map(|h| Path::new(&h).join(".local/share"))),
    }
    let system = env("XDG_DATA_DIRS").unwrap_or_else(|| "/usr/local/share:/usr/share".into());
    dirs.extend(std::env::split_paths(&system));
    dirs.retain(|d| d.is_absolute());
    dirs
}

/// `$XDG_CACHE_HOME`, else `~/.cache`.
fn xdg_cache_home() -> Option<PathBuf> {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    env("XDG_CACHE_HOME").filter(|d| d.is_absolute()).or_else(|| env("HOME").map(|h| h.join(".cache")))
}

/// Writes the built-in demo files into `dir`, each unless already there with
/// the same bytes. Each goes to a temporary name first and is renamed into
/// place, so a second `serve --demo` starting at once never reads half a file.
fn write_embedded(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, bytes) in DEMO_FILES {
        let path = dir.join(name);
        if std::fs::read(&path).is_ok_and(|b| b == bytes) {
            continue;
        }
        let tmp = dir.join(format!(".{name}.{}", std::process::id()));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &path)?;
    }
    Ok(())
}

/// On SIGHUP, reads the configuration file again and puts its `[[operator]]`s, `[score]`
/// thresholds, `[alerts]` policy and `[[zone]]`s in force without a restart
/// ([`lookout_server::Shared::reload`]). And whenever its `operators_file` changes
/// (looked at every `OPERATORS_FILE_POLL`), the operators alone: tokens are revoked
/// and accounts added without a signal. Either way the whole file is loaded, so the
/// operators are checked as at start; a file that does not load changes nothing, and
/// the log says why. On the built-in configuration (`path` None) there is nothing to
/// reload, and the log says that instead.
async fn reload_on_change(
    path: Option<PathBuf>,
    demo: Option<DemoData>,
    shared: std::sync::Arc<lookout_server::Shared>,
) {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut hup) = signal(SignalKind::hangup()) else {
        tracing::warn!("cannot listen for SIGHUP: the configuration reloads only with a restart");
        return;
    };
    // Modification time and length: an editor that rewrites within one mtime tick
    // usually changes the length.
    let stamp =
        |f: &Option<PathBuf>| f.as_ref().and_then(|f| std::fs::metadata(f).ok()).map(|m| (m.modified().ok(), m.len()));
    let mut file = shared.config.operators_file.clone();
    let mut seen = stamp(&file);
    let mut tick = tokio::time::interval(lookout_server::config::OPERATORS_FILE_POLL);
    loop {
        let hangup = tokio::select! {
            h = hup.recv() => match h { Some(()) => true, None => return },
            _ = tick.tick() => false,
        };
        if !hangup && (file.is_none() || stamp(&file) == seen) {
            continue;
        }
        let Some(path) = &path else {
            tracing::warn!("SIGHUP: running on the built-in configuration, which cannot change; start with --config FILE to reload it");
            continue;
        };
        seen = stamp(&file);
        let mut cfg = match Config::load(path) {
            Ok(cfg) => cfg,
            Err(e) if hangup => {
                tracing::error!(error = %e, file = %path.display(), "SIGHUP: configuration not reloaded; nothing changed");
                continue;
            }
            Err(e) => {
                tracing::error!(error = %e, file = %path.display(), "operators_file changed, but the configuration does not load: operators not reloaded; nothing changed");
                continue;
            }
        };
        if let Some(d) = &demo {
            add_demo(&mut cfg, d);
        }
        if hangup {
            if let Err(e) = shared.reload(&cfg) {
                tracing::error!(error = %e, "SIGHUP: score, alerts and zones not reloaded (operators were)");
            }
            file = cfg.operators_file.clone();
            seen = stamp(&file);
        } else {
            let before = shared.access.replace(&cfg.operators);
            tracing::info!(operators = cfg.operators.len(), before, "operators reloaded: operators_file changed");
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
/// configured) the console on 127.0.0.1:8080; the files from `data`.
pub fn add_demo(cfg: &mut Config, data: &DemoData) {
    cfg.sources.push(SourceConfig {
        name: "demo".into(),
        format: None,
        allow_from: vec![],
        allow_unauthenticated: false,
        tls: None,
        kind: SourceKind::File { path: None, paths: data.recording(), pace: 1.0, repeat: true, shift_to_now: true },
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
        cfg.baseline.path = Some(data.baseline());
        cfg.baseline.save_every = None;
    }
}
