//! `lookout replay`: recordings through the engine, alerts to JSON Lines.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use lookout_engine::{Engine, EngineConfig};
use lookout_score::Baseline;
use lookout_server::Config;

use super::{thousands, Output, Progress};

/// Run recordings (.nmea and .jsonl, merged by time) through the pipeline as
/// fast as possible, on their own clock, and write every alert in its final state.
/// A recording that yields no observation at all is an error (exit status 1).
#[derive(clap::Args)]
pub struct ReplayArgs {
    /// Recordings: NMEA (AIS and radar sentences, optionally tag-blocked) and .jsonl
    /// detection events, plain or gzip (.gz); several are merged by time.
    #[arg(required = true, value_name = "FILES")]
    files: Vec<PathBuf>,
    /// Configuration (radar sites, tracker, detectors); default: built-in defaults.
    #[arg(long)]
    config: Option<PathBuf>,
    /// A baseline file (from `lookout baseline build`) for loitering and route deviation.
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// Where to write the alerts (JSON Lines; gzip when it ends in .gz). Created before
    /// the replay starts, and removed again if the replay fails.
    #[arg(long)]
    alerts_out: PathBuf,
    /// Report progress on stderr every few seconds even when stderr is not a terminal
    /// (on a terminal it always does).
    #[arg(long)]
    progress: bool,
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
        for f in &self.files {
            if !f.is_file() {
                anyhow::bail!("{}: no such recording file", f.display());
            }
        }
        // Checked before the work: a replay of a long recording must not
        // run to the end only to find it cannot write its result.
        let out = Output::create(&self.alerts_out).context("cannot create the --alerts-out file")?;
        let r = self.replay_into(out, &cfg, baseline);
        if r.is_err() {
            // No half-written or empty file that could pass for "no alerts".
            let _ = std::fs::remove_file(&self.alerts_out);
        }
        r
    }

    fn replay_into(&self, mut out: Output, cfg: &Config, baseline: Option<Baseline>) -> anyhow::Result<()> {
        // As `lookout_engine::replay_alerts`, with a progress report between batches.
        let mut engine = Engine::new(EngineConfig { learn: false, ..cfg.engine() }, baseline);
        let mut progress = Progress::new("replay", self.progress);
        let summary = lookout_engine::replay(&self.files, &cfg.radars, &mut engine, |now_ms, engine, _| {
            if progress.due() {
                let n = engine.observations_applied();
                let rate = n as f64 / progress.elapsed_s().max(1e-3);
                let text = format!(
                    "at {} in the recording, {} observations ({}/s), {} alerts",
                    lookout_core::time::rfc3339_ms(now_ms),
                    thousands(n),
                    thousands(rate as u64),
                    engine.book().alerts().count()
                );
                progress.report(text);
            }
        })?;
        progress.finish();
        let c = &summary.counters;
        if summary.observations == 0 {
            let names: Vec<String> = self.files.iter().map(|f| f.display().to_string()).collect();
            anyhow::bail!(
                "no observations in {}: {} lines read, {} AIS sentences, {} radar sentences, {} detection events ({} rejected{}), {} lines not AIS; is it an NMEA or .jsonl recording?",
                names.join(", "),
                c.decode.lines,
                c.decode.ais_sentences,
                c.decode.radar_sentences,
                c.detections.events,
                c.detections.events_rejected,
                if c.detections.last_rejection.is_empty() {
                    String::new()
                } else {
                    format!(", last: {}", c.detections.last_rejection)
                },
                c.decode.not_ais
            );
        }
        let mut alerts: Vec<_> = engine.book().alerts().cloned().collect();
        alerts.sort_by_key(|a| a.alert_id);
        for a in &alerts {
            serde_json::to_writer(&mut out, &a.record()).context("write alerts")?;
            out.write_all(b"\n").context("write alerts")?;
        }
        out.finish(&self.alerts_out)?;
        eprintln!(
            "{}: {} alerts from {} observations ({} AIS messages, {} radar detections, {} detection events, {} rejected) in {:.1} s",
            self.alerts_out.display(),
            alerts.len(),
            summary.observations,
            c.decode.messages,
            c.detections.radar_detections,
            c.detections.events,
            c.detections.events_rejected,
            progress.elapsed_s()
        );
        Ok(())
    }
}
