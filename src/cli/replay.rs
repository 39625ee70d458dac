//! `lookout replay`: recordings through the engine, alerts to JSON Lines.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use lookout_score::Baseline;
use lookout_server::Config;

use super::Output;

/// Run recordings (.nmea and .jsonl, merged by time) through the pipeline as
/// fast as possible, on their own clock, and write every alert in its final state.
#[derive(clap::Args)]
pub struct ReplayArgs {
    /// Recordings: NMEA (AIS and radar sentences) and .jsonl detection events, plain or gzip.
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
}

impl ReplayArgs {
    pub fn run(self) -> anyhow::Result<()> {
        let cfg = match &self.config {
            Some(p) => Config::load(p).with_context(|| format!("loading {}", p.display()))?,
            None => Config::parse("")?,
        };
        // --baseline wins over the configuration's [baseline] path.
        let baseline = match (&self.baseline, &cfg.baseline.path) {
            (Some(p), _) => Some(Baseline::load_path(p, None)?),
            (None, Some(p)) => Some(Baseline::load_path(p, cfg.baseline.area.as_deref())?),
            (None, None) => None,
        };
        let (alerts, summary) =
            lookout_engine::replay_alerts(&self.files, &cfg.radars, &cfg.engine(), baseline.as_ref())?;
        let mut out = Output::create(&self.alerts_out)?;
        for a in &alerts {
            serde_json::to_writer(&mut out, &a.record()).context("write alerts")?;
            out.write_all(b"\n").context("write alerts")?;
        }
        out.finish(&self.alerts_out)?;
        let c = &summary.counters;
        eprintln!(
            "{}: {} alerts from {} observations ({} AIS messages, {} radar detections, {} detection events, {} rejected)",
            self.alerts_out.display(),
            alerts.len(),
            summary.observations,
            c.decode.messages,
            c.detections.radar_detections,
            c.detections.events,
            c.detections.events_rejected
        );
        Ok(())
    }
}
