//! The `lookout` command: parse arguments, load configuration, run.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use lookout::{cli, Config};

#[derive(Parser)]
#[command(name = "lookout", version, about = "Maritime surveillance: AIS ingest, live vessel picture, rescue queries")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service.
    Serve {
        /// Configuration file.
        #[arg(long, default_value = "config/default.toml")]
        config: PathBuf,
        /// Also play the bundled recording (replay-data/: AIS, radar, drone) in real time, looping.
        #[arg(long)]
        demo: bool,
    },
    /// Decode NMEA files (plain or gzip) to one JSON object per AIS message on stdout.
    Decode {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Ask a running service which vessels are near a position.
    Near {
        /// Latitude, decimal degrees (south negative).
        #[arg(allow_hyphen_values = true)]
        lat: f64,
        /// Longitude, decimal degrees (west negative).
        #[arg(allow_hyphen_values = true)]
        lon: f64,
        /// Search radius with unit: nm, km or m (e.g. 20nm).
        #[arg(long, default_value = "20nm")]
        radius: String,
        #[arg(long, default_value_t = 20)]
        max: u32,
        #[command(flatten)]
        remote: cli::RemoteArgs,
    },
    /// List the alerts a running service holds (distress first), or follow them live.
    Alerts {
        /// Keep the subscription open and print every change (SubscribeAlerts).
        #[arg(long)]
        follow: bool,
        /// Only distress-like alerts (for a rescue coordination centre).
        #[arg(long)]
        rescue_only: bool,
        /// Only these kinds, e.g. --kind DARK_TARGET --kind RENDEZVOUS.
        #[arg(long = "kind")]
        kinds: Vec<String>,
        /// Lowest severity: INFO, LOW, MEDIUM, HIGH, CRITICAL.
        #[arg(long)]
        min_severity: Option<String>,
        /// Also closed and retracted alerts (list only).
        #[arg(long)]
        ended: bool,
        #[command(flatten)]
        remote: cli::RemoteArgs,
    },
    /// Make a bearer token for an operator: prints the token (give it to the
    /// operator) and the [[operator]] table with its SHA-256 (for the config).
    Token {
        /// The operator's name, as the access log and acknowledgements show it.
        #[arg(long)]
        name: String,
        /// viewer, operator (viewer + acknowledge), feeder (Ingest, PushDetections), admin.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
    /// Acknowledge an alert (recorded with who and why, and sent to every console).
    Ack {
        alert_id: u64,
        /// Who acknowledges (operator or centre).
        #[arg(long)]
        by: String,
        #[arg(long, default_value = "")]
        note: String,
        #[command(flatten)]
        remote: cli::RemoteArgs,
    },
    /// Run recordings (.nmea and .jsonl, merged by time) through the pipeline as
    /// fast as possible, on their own clock, and write every alert in its final state.
    Replay {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Configuration (radar sites, tracker, detectors); default: built-in defaults.
        #[arg(long)]
        config: Option<PathBuf>,
        /// A baseline file (from `lookout baseline build`) for loitering and route deviation.
        #[arg(long)]
        baseline: Option<PathBuf>,
        /// Where to write the alerts (JSON Lines).
        #[arg(long)]
        alerts_out: PathBuf,
    },
    /// Traffic baselines: build from recordings, render as a picture.
    Baseline {
        #[command(subcommand)]
        command: BaselineCommand,
    },
    /// Write a seeded, reproducible recording of busy ordinary traffic (tag-blocked NMEA).
    Simulate {
        /// Sea area: strait-of-sicily or dover-strait.
        #[arg(long, default_value = "strait-of-sicily")]
        area: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Recording length, e.g. 1h, 30m.
        #[arg(long, default_value = "1h")]
        duration: humantime::Duration,
        /// Recording start (RFC 3339).
        #[arg(long, default_value = "2026-06-01T00:00:00Z")]
        start: String,
        /// Fleet size relative to the area's (~200 vessels in the Strait of Sicily, ~300 in the Dover Strait).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        /// Probability (0..1) that a transmission in good coverage is not received.
        #[arg(long, default_value_t = 0.05)]
        loss: f64,
        /// Output file (AIS, and radar TTM when sensors are simulated); gzip-compressed when it ends in .gz.
        #[arg(short, long)]
        output: PathBuf,
        /// Also simulate dark boats, radars and drones, writing drone detections (JSON Lines) here.
        #[arg(long)]
        detections: Option<PathBuf>,
        /// Ground truth (JSON Lines, every vessel every 10 s), with sensors.
        #[arg(long, requires = "detections")]
        truth: Option<PathBuf>,
        /// Dark boats (no AIS), with sensors.
        #[arg(long, default_value_t = 6)]
        dark_boats: usize,
        /// Drones, with sensors.
        #[arg(long, default_value_t = 1)]
        drones: usize,
        /// Mean false radar plots per scan, with sensors.
        #[arg(long, default_value_t = 2.0)]
        clutter: f64,
        /// Also script labelled incidents of every alert kind into the traffic, with
        /// normal look-alikes, and write the labels (JSON Lines) here; with sensors.
        #[arg(long, requires = "detections")]
        labels: Option<PathBuf>,
        /// Scripted incidents per alert kind, with --labels.
        #[arg(long, default_value_t = 2)]
        per_kind: usize,
        /// Radar noise multiplier (errors and clutter), with --labels.
        #[arg(long, default_value_t = 1.0)]
        noise: f64,
    },
}

#[derive(Subcommand)]
enum BaselineCommand {
    /// Learn normal traffic from recorded AIS (NMEA files, plain or gzip).
    Build {
        #[arg(required = true)]
        recordings: Vec<PathBuf>,
        #[arg(short, long)]
        output: PathBuf,
        /// Cell edge with unit (m, km, nm).
        #[arg(long, default_value = "2km")]
        cell: String,
        /// Area as MIN_LAT,MIN_LON,MAX_LAT,MAX_LON (default: the area --area names,
        /// or the Strait of Sicily).
        #[arg(long, allow_hyphen_values = true, requires = "area")]
        bbox: Option<String>,
        /// Area name, checked when the baseline is loaded; without --bbox one of the
        /// known areas: strait-of-sicily, dover-strait.
        #[arg(long)]
        area: Option<String>,
    },
    /// Draw a baseline (density, dominant course, rest areas) as a PNG.
    Render {
        file: PathBuf,
        #[arg(short, long)]
        output: PathBuf,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Args::parse().command {
        Command::Serve { config, demo } => {
            let mut cfg = Config::load(&config).with_context(|| format!("loading {}", config.display()))?;
            if demo {
                cli::add_demo(&mut cfg);
            }
            let shutdown = CancellationToken::new();
            let stop = shutdown.clone();
            tokio::spawn(async move {
                let _ = tokio::signal::ctrl_c().await;
                stop.cancel();
            });
            lookout::run(cfg, shutdown).await?;
        }
        Command::Decode { files } => cli::decode_files(&files)?,
        Command::Near { lat, lon, radius, max, remote } => {
            let radius_m = cli::parse_distance_m(&radius)?;
            cli::near(&remote, lat, lon, radius_m, max).await?;
        }
        Command::Alerts { follow, rescue_only, kinds, min_severity, ended, remote } => {
            let filter = cli::alert_filter_args(&kinds, min_severity.as_deref(), rescue_only)?;
            cli::alerts(&remote, filter, ended, follow).await?;
        }
        Command::Ack { alert_id, by, note, remote } => cli::ack(&remote, alert_id, &by, &note).await?,
        Command::Token { name, roles } => cli::new_token(&name, &roles)?,
        Command::Replay { files, config, baseline, alerts_out } => {
            let cfg = match config {
                Some(p) => Config::load(&p).with_context(|| format!("loading {}", p.display()))?,
                None => Config::parse("")?,
            };
            cli::replay(&files, &cfg, baseline.as_deref(), &alerts_out)?;
        }
        Command::Baseline { command: BaselineCommand::Build { recordings, output, cell, bbox, area } } => {
            let cell_m = cli::parse_distance_m(&cell)?;
            cli::baseline_build(&recordings, &output, cell_m, bbox.as_deref(), area.as_deref())?;
        }
        Command::Baseline { command: BaselineCommand::Render { file, output } } => cli::baseline_render(&file, &output)?,
        Command::Simulate {
            area,
            seed,
            duration,
            start,
            scale,
            loss,
            output,
            detections,
            truth,
            dark_boats,
            drones,
            clutter,
            labels,
            per_kind,
            noise,
        } => {
            let sensors = detections.map(|d| cli::SensorOutputs {
                detections: d,
                truth,
                dark_boats,
                drones,
                clutter,
                labels: labels.map(|path| cli::LabelOutputs { path, per_kind, noise }),
            });
            let sim = cli::SimulateArgs { area, seed, duration: *duration, start, scale, loss };
            cli::simulate(&sim, &output, sensors)?;
        }
    }
    Ok(())
}
