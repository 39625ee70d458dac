//! `lookout replay`: recordings through the engine, alerts to JSON Lines.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use lookout_engine::{Engine, EngineConfig};
use lookout_score::Baseline;
use lookout_server::Config;

use lookout_ais::LineSettings;
use lookout_archive::{ArchiveView, ReadOptions};
use lookout_server::source::SourceRegistry;

use super::{thousands, Output, Progress, Refused};

/// Most archived records `--archive` reads for one replay (each an input batch, a tick,
/// an acknowledgement or an alert version): they are held and put in append order before
/// the engine sees them, as the archive keeps its lanes apart.
pub const MAX_ARCHIVE_REPLAY_RECORDS: usize = 2_000_000;

/// Run recordings (.nmea and .jsonl, merged by time), or a window of an archive, through
/// the pipeline as fast as possible, on their own clock, and write every alert in its
/// final state. A recording that yields no observation at all is an error (exit status 1).
#[derive(clap::Args)]
pub struct ReplayArgs {
    /// Recordings: NMEA (AIS and radar sentences, optionally tag-blocked) and .jsonl
    /// detection events, plain or gzip (.gz); several are merged by time.
    #[arg(required_unless_present = "archive", conflicts_with = "archive", value_name = "FILES")]
    files: Vec<PathBuf>,
    /// Instead of files: an archive directory ([archive] dir), read without its lock (a
    /// running service goes on undisturbed). Its inputs, ticks and acknowledgements with
    /// archive time in --from..--to drive a fresh engine, as recovery drives the service's.
    #[arg(long, requires_all = ["from", "to"])]
    archive: Option<PathBuf>,
    /// Start of the archive window, RFC 3339 (e.g. 2026-06-01T00:00:00Z).
    #[arg(long, requires = "archive")]
    from: Option<String>,
    /// End of the archive window (exclusive), RFC 3339.
    #[arg(long, requires = "archive")]
    to: Option<String>,
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
        let window = match (&self.archive, &self.from, &self.to) {
            (Some(dir), Some(from), Some(to)) => {
                let ms = |flag: &str, s: &str| -> anyhow::Result<i64> {
                    let t = super::history::timestamp(flag, s).map_err(|e| Refused(e.to_string()))?;
                    Ok(t.seconds * 1000 + i64::from(t.nanos) / 1_000_000)
                };
                let (f, t) = (ms("from", from)?, ms("to", to)?);
                if t <= f {
                    return Err(Refused(format!("--to {to} is not after --from {from}")).into());
                }
                Some((dir.clone(), f, t))
            }
            _ => None,
        };
        // Checked before the work: a replay of a long recording must not
        // run to the end only to find it cannot write its result.
        let out = Output::create(&self.alerts_out).context("cannot create the --alerts-out file")?;
        let r = match window {
            Some((dir, from, to)) => self.replay_archive_into(out, &cfg, baseline, &dir, from, to),
            None => self.replay_into(out, &cfg, baseline),
        };
        if r.is_err() {
            // No half-written or empty file that could pass for "no alerts".
            let _ = std::fs::remove_file(&self.alerts_out);
        }
        r
    }

    fn replay_into(&self, out: Output, cfg: &Config, baseline: Option<Baseline>) -> anyhow::Result<()> {
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
        let alerts = self.write_alerts(out, &engine)?;
        eprintln!(
            "{}: {} alerts from {} observations ({} AIS messages, {} radar detections, {} detection events, {} rejected) in {:.1} s",
            self.alerts_out.display(),
            alerts,
            summary.observations,
            c.decode.messages,
            c.detections.radar_detections,
            c.detections.events,
            c.detections.events_rejected,
            progress.elapsed_s()
        );
        Ok(())
    }

    /// Every alert the engine holds, in its final state, one JSON object a line by id.
    fn write_alerts(&self, mut out: Output, engine: &Engine) -> anyhow::Result<usize> {
        let mut alerts: Vec<_> = engine.book().alerts().cloned().collect();
        alerts.sort_by_key(|a| a.alert_id);
        for a in &alerts {
            serde_json::to_writer(&mut out, &a.record()).context("write alerts")?;
            out.write_all(b"\n").context("write alerts")?;
        }
        out.finish(&self.alerts_out)?;
        Ok(alerts.len())
    }

    /// The `--archive` form: the window's records, in append order, through a fresh engine
    /// the way recovery drives the service's (`lookout_server::store::drive`).
    fn replay_archive_into(
        &self,
        out: Output,
        cfg: &Config,
        baseline: Option<Baseline>,
        dir: &Path,
        from_ms: i64,
        to_ms: i64,
    ) -> anyhow::Result<()> {
        let started = std::time::Instant::now();
        let mut progress = Progress::new("replay", self.progress);
        let view = ArchiveView::open(dir).with_context(|| format!("read the archive {}", dir.display()))?;
        let mut records = Vec::new();
        for r in view.records(ReadOptions::time(from_ms, to_ms)) {
            let (_, rec) = r.with_context(|| format!("read the archive {}", dir.display()))?;
            if progress.due() {
                progress.report(format!("reading the archive: {} records", thousands(records.len() as u64)));
            }
            if records.len() == MAX_ARCHIVE_REPLAY_RECORDS {
                return Err(Refused(format!(
                    "the window holds more than {MAX_ARCHIVE_REPLAY_RECORDS} archive records \
                     (MAX_ARCHIVE_REPLAY_RECORDS): replay a shorter window"
                ))
                .into());
            }
            records.push(rec);
        }
        // The view reads lane after lane; the engine needs them as they were appended.
        records.sort_by_key(|r| r.seq);
        let n_records = records.len();
        let settings = Arc::new(LineSettings::new(&cfg.radars, cfg.picture.max_future.as_millis() as i64));
        let mut engine = Engine::new(EngineConfig { learn: false, ..cfg.engine() }, baseline);
        progress.report(format!("{} records read; replaying them", thousands(n_records as u64)));
        // Progress between records: how far through the window, in records and archive time.
        let replayed = records.into_iter().enumerate().map(|(i, rec)| {
            if progress.due() {
                progress.report(format!(
                    "at {} in the archive, {} of {} records ({:.0} %)",
                    lookout_core::time::rfc3339_ms(rec.time_ms),
                    thousands(i as u64),
                    thousands(n_records as u64),
                    100.0 * i as f64 / n_records.max(1) as f64
                ));
            }
            Ok(rec)
        });
        let (done, _) = lookout_server::store::drive(replayed, &mut engine, &SourceRegistry::default(), &settings)?;
        progress.finish();
        if done.observations == 0 {
            anyhow::bail!(
                "no observations in {} between {} and {} ({n_records} records read)",
                dir.display(),
                lookout_core::time::rfc3339_ms(from_ms),
                lookout_core::time::rfc3339_ms(to_ms)
            );
        }
        let n = self.write_alerts(out, &engine)?;
        eprintln!(
            "{}: {n} alerts from {} observations in {n_records} archive records ({} input batches, {} ticks, \
             {} acknowledgements; {} archived alert versions, {} made again differently, {} unreadable records) in {:.1} s",
            self.alerts_out.display(),
            done.observations,
            done.batches,
            done.ticks,
            done.acks,
            done.alert_versions_archived,
            done.alert_versions_differing,
            done.unreadable,
            started.elapsed().as_secs_f64()
        );
        Ok(())
    }
}
