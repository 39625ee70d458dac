//! `lookout simulate`: seeded, reproducible recordings of ordinary traffic,
//! and with sensors dark boats, radar plots, drone detections, ground truth
//! and labelled incidents.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use lookout_sim::{AnomalyConfig, RegionId, SensorConfig, SimConfig};

use super::{Output, Progress};

/// Write a seeded, reproducible recording of busy ordinary traffic (tag-blocked NMEA).
#[derive(clap::Args)]
pub struct SimulateArgs {
    /// Sea area (the simulator's charts).
    #[arg(long, default_value = "strait-of-sicily", value_parser = area_names())]
    area: String,
    /// Seed of every random draw: the same seed gives the same bytes.
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
    /// Report progress on stderr every few seconds even when stderr is not a terminal
    /// (on a terminal it always does).
    #[arg(long)]
    progress: bool,
}

impl SimulateArgs {
    pub fn run(self) -> anyhow::Result<()> {
        let sensors = self.detections.map(|d| SensorOutputs {
            detections: d,
            truth: self.truth,
            dark_boats: self.dark_boats,
            drones: self.drones,
            clutter: self.clutter,
            labels: self.labels.map(|path| LabelOutputs { path, per_kind: self.per_kind, noise: self.noise }),
        });
        let sim = SimConfigArgs {
            area: self.area,
            seed: self.seed,
            duration: *self.duration,
            start: self.start,
            scale: self.scale,
            loss: self.loss,
            progress: self.progress,
        };
        simulate(&sim, &self.output, sensors)
    }
}

/// The simulator's sea areas, as `--area` takes them (so a bad name lists them, as `--help` does).
pub(crate) fn area_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(RegionId::ALL.map(RegionId::name))
}

/// The `[[radar]]` configuration that makes the service read a simulated
/// site's plots (`config/demo.toml` and `config/dover.toml` hold these, and a
/// test checks them against the simulator).
pub fn radar_config(site: &lookout_sim::radar::RadarSite) -> lookout_ais::RadarConfig {
    lookout_ais::RadarConfig {
        station: site.name.to_string(),
        lat: site.lat,
        lon: site.lon,
        heading_deg: 0.0,
        units: "nm".into(),
        range_sigma_m: site.range_sigma_m,
        bearing_sigma_deg: site.bearing_sigma_deg,
        range_nm: Some(site.range_nm),
    }
}

/// What `lookout simulate` stages.
struct SimConfigArgs {
    /// Sea area name (`strait-of-sicily`, `dover-strait`).
    area: String,
    seed: u64,
    duration: Duration,
    /// Recording start, RFC 3339.
    start: String,
    /// Fleet size multiplier.
    scale: f64,
    /// AIS reception loss in good coverage, 0..1.
    loss: f64,
    /// Progress on stderr even when it is not a terminal.
    progress: bool,
}

/// Where `lookout simulate` writes the non-AIS side of a scenario.
struct SensorOutputs {
    detections: PathBuf,
    truth: Option<PathBuf>,
    dark_boats: usize,
    drones: usize,
    clutter: f64,
    /// Labelled incidents of every alert kind, if asked for.
    labels: Option<LabelOutputs>,
}

/// Where and how `lookout simulate --labels` scripts incidents.
struct LabelOutputs {
    path: PathBuf,
    per_kind: usize,
    /// Radar noise multiplier.
    noise: f64,
}

/// `lookout simulate`: writes a recording, and with `sensors` the radar
/// plots, drone detections and ground truth of a scenario with dark boats, and
/// with `sensors.labels` scripted incidents of every alert kind and their labels.
fn simulate(args: &SimConfigArgs, output: &Path, sensors: Option<SensorOutputs>) -> anyhow::Result<()> {
    let region = RegionId::from_name(&args.area).ok_or_else(|| {
        let known: Vec<&str> = RegionId::ALL.iter().map(|r| r.name()).collect();
        anyhow::anyhow!("--area {:?} is not one of {}", args.area, known.join(", "))
    })?;
    let start = &args.start;
    let start_ms =
        lookout_core::time::parse_rfc3339_ms(start).map_err(|e| anyhow::anyhow!("--start {start:?}: {e}"))?;
    if !(args.scale.is_finite() && args.scale > 0.0) {
        anyhow::bail!("--scale must be > 0");
    }
    if !(0.0..=1.0).contains(&args.loss) {
        anyhow::bail!("--loss must be within 0..=1");
    }
    let cfg = SimConfig {
        region,
        seed: args.seed,
        start_unix_ms: start_ms,
        duration_s: u32::try_from(args.duration.as_secs()).map_err(|_| anyhow::anyhow!("--duration is too long"))?,
        vessel_scale: args.scale,
        reception_loss: args.loss,
        ..Default::default()
    };
    let out = Output::create(output)?;
    let mut out = SimProgress {
        inner: out,
        progress: Progress::new("simulate", args.progress),
        start_s: start_ms.div_euclid(1000),
        duration_s: u64::from(cfg.duration_s),
        bytes: 0,
    };
    let Some(so) = sensors else {
        let s = lookout_sim::write_recording(&cfg, &mut out).with_context(|| format!("write {}", output.display()))?;
        out.progress.finish();
        eprintln!("{}: {} vessels, {} messages in {} sentences", output.display(), s.vessels, s.messages, s.sentences);
        return out.inner.finish(output);
    };
    if !(so.clutter.is_finite() && so.clutter >= 0.0) {
        anyhow::bail!("--clutter must be >= 0");
    }
    let sc = SensorConfig {
        dark_boats: so.dark_boats,
        drones: so.drones,
        clutter_per_scan: so.clutter,
        ..SensorConfig::for_region(region)
    };
    let mut det = Output::create(&so.detections)?;
    let mut truth = so.truth.as_deref().map(Output::create).transpose()?;
    let mut sink = std::io::sink();
    let truth_out: &mut dyn Write = match truth.as_mut() {
        Some(t) => t,
        None => &mut sink,
    };
    let (s, labels) = match &so.labels {
        None => (
            lookout_sim::write_scenario(&cfg, &sc, &mut out, &mut det, truth_out)
                .with_context(|| format!("write {}", output.display()))?,
            None,
        ),
        Some(l) => {
            if !(l.noise.is_finite() && l.noise >= 0.0) {
                anyhow::bail!("--noise must be >= 0");
            }
            let an = AnomalyConfig { per_kind: l.per_kind, noise_scale: l.noise, ..Default::default() };
            let mut lab = Output::create(&l.path)?;
            let a = lookout_sim::write_anomaly_scenario(&cfg, &sc, &an, &mut out, &mut det, truth_out, &mut lab)
                .with_context(|| format!("write {}", output.display()))?;
            lab.finish(&l.path)?;
            (a.scenario.clone(), Some(a))
        }
    };
    out.progress.finish();
    det.finish(&so.detections)?;
    if let (Some(t), Some(p)) = (truth, so.truth.as_deref()) {
        t.finish(p)?;
    }
    eprintln!(
        "{}: {}: {} vessels ({} dark), {} AIS messages, {} radar plots ({} clutter) in {} scans, {} drone detections, {} truth lines",
        output.display(),
        region.region().title,
        s.ais.vessels + s.dark_boats,
        s.dark_boats,
        s.ais.messages,
        s.radar_sentences,
        s.radar_clutter,
        s.radar_scans,
        s.drone_events,
        s.truth_lines
    );
    if let (Some(a), Some(l)) = (labels, &so.labels) {
        let kinds: Vec<String> = a.labels.iter().map(|(k, n)| format!("{k} {n}")).collect();
        eprintln!(
            "{}: labels {} ({} scripted AIS vessels, {} scripted boats without AIS, {} extra drones)",
            l.path.display(),
            kinds.join(", "),
            a.scripted_ais_vessels,
            a.scripted_dark_boats,
            a.extra_drones
        );
    }
    out.inner.finish(output)
}

/// The recording's writer, reporting progress: how far the simulated clock
/// has got, read from the newest tag block's `c:` (unix seconds) in what was
/// just written, so the simulator itself needs no hook.
struct SimProgress<W> {
    inner: W,
    progress: Progress,
    start_s: i64,
    duration_s: u64,
    bytes: u64,
}

impl<W: Write> SimProgress<W> {
    fn report(&mut self, buf: &[u8]) {
        let Some(t) = last_tag_time(buf) else { return };
        let done_s = (t - self.start_s).clamp(0, self.duration_s as i64) as f64;
        let elapsed = self.progress.elapsed_s().max(1e-3);
        let total = self.duration_s.max(1) as f64;
        let left_s = if done_s > 0.0 { elapsed * (total - done_s) / done_s } else { f64::NAN };
        let text = format!(
            "{:.0}% ({} of {} simulated), {:.1} MB written, {:.0}x real time, about {} left",
            100.0 * done_s / total,
            humantime::format_duration(Duration::from_secs(done_s as u64)),
            humantime::format_duration(Duration::from_secs(self.duration_s)),
            self.bytes as f64 / 1e6,
            done_s / elapsed,
            if left_s.is_finite() { format!("{:.0} s", left_s) } else { "?".into() }
        );
        self.progress.report(text);
    }
}

impl<W: Write> Write for SimProgress<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        if self.progress.due() {
            self.report(&buf[..n]);
        }
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The time (unix seconds) of the last tag block (`\s:station,c:1780272000*1A\`) in `buf`.
fn last_tag_time(buf: &[u8]) -> Option<i64> {
    let at = buf.windows(3).rposition(|w| w == b",c:" || w == b"\\c:")? + 3;
    let digits: &[u8] = &buf[at..];
    let end = digits.iter().position(|b| !b.is_ascii_digit()).unwrap_or(digits.len());
    std::str::from_utf8(&digits[..end]).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::last_tag_time;

    #[test]
    fn the_last_tag_block_time_is_found() {
        let buf = b"\\s:sim-malta,c:1780272000*1A\\!AIVDM,1,1,,A,13dtK<0P2,0*71\n\\s:x,c:1780272010*1B\\!AIVDM";
        assert_eq!(last_tag_time(buf), Some(1_780_272_010));
        assert_eq!(last_tag_time(b"\\c:17*00\\"), Some(17));
        assert_eq!(last_tag_time(b"!AIVDM,1,1,,A,13dtK<0P2,0*71\n"), None);
    }
}
