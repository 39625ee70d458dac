//! `lookout baseline build` and `lookout baseline render`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use lookout_ais::open_recording;
use lookout_score::baseline::{observations_from_nmea, BaselineBuilder, GridSpec};
use lookout_score::Baseline;

use super::{parse_distance_m, Output};

/// Traffic baselines: build from recordings, render as a picture.
#[derive(clap::Args)]
pub struct BaselineArgs {
    #[command(subcommand)]
    command: BaselineCommand,
}

#[derive(clap::Subcommand)]
enum BaselineCommand {
    /// Learn normal traffic from recorded AIS (NMEA files, plain or gzip).
    Build {
        /// Recordings of ordinary AIS traffic.
        #[arg(required = true)]
        recordings: Vec<PathBuf>,
        /// The baseline file to write.
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
        /// simulator's areas: strait-of-sicily, dover-strait.
        #[arg(long)]
        area: Option<String>,
    },
    /// Draw a baseline (density, dominant course, rest areas) as a PNG.
    Render {
        /// The baseline file.
        file: PathBuf,
        /// The PNG to write.
        #[arg(short, long)]
        output: PathBuf,
    },
}

impl BaselineArgs {
    pub fn run(self) -> anyhow::Result<()> {
        match self.command {
            BaselineCommand::Build { recordings, output, cell, bbox, area } => {
                build(&recordings, &output, parse_distance_m(&cell)?, bbox.as_deref(), area.as_deref())
            }
            BaselineCommand::Render { file, output } => render(&file, &output),
        }
    }
}

/// The grid of one of the simulator's sea areas.
pub fn simulated_area(name: &str, cell_m: f64) -> Option<GridSpec> {
    let region = lookout_sim::RegionId::from_name(name)?.region();
    let [min_lat_deg, min_lon_deg, max_lat_deg, max_lon_deg] = region.bounds_deg;
    Some(GridSpec { min_lat_deg, min_lon_deg, max_lat_deg, max_lon_deg, cell_m, name: region.name.to_string() })
}

/// Learns a baseline from recordings.
fn build(
    recordings: &[PathBuf],
    output: &Path,
    cell_m: f64,
    bbox: Option<&str>,
    area: Option<&str>,
) -> anyhow::Result<()> {
    let spec = match bbox {
        // A simulated area by name, or by default the Strait of Sicily.
        None => {
            let name = area.unwrap_or("strait-of-sicily");
            simulated_area(name, cell_m).ok_or_else(|| {
                anyhow::anyhow!("--area {name:?} is not a known area (strait-of-sicily, dover-strait): give --bbox too")
            })?
        }
        Some(b) => {
            let v: Vec<f64> = b
                .split(',')
                .map(|x| x.trim().parse::<f64>())
                .collect::<Result<_, _>>()
                .map_err(|_| anyhow::anyhow!("--bbox {b:?} is not MIN_LAT,MIN_LON,MAX_LAT,MAX_LON in degrees"))?;
            let [min_lat_deg, min_lon_deg, max_lat_deg, max_lon_deg] = v[..] else {
                anyhow::bail!("--bbox needs four numbers: MIN_LAT,MIN_LON,MAX_LAT,MAX_LON");
            };
            GridSpec {
                min_lat_deg,
                min_lon_deg,
                max_lat_deg,
                max_lon_deg,
                cell_m,
                name: area.unwrap_or_default().to_string(),
            }
        }
    };
    let mut builder = BaselineBuilder::try_new(spec).context("--bbox")?;
    let mut total = 0usize;
    for path in recordings {
        let reader = std::io::BufReader::new(open_recording(path)?);
        let obs = observations_from_nmea(reader).with_context(|| format!("read {}", path.display()))?;
        total += obs.len();
        for o in &obs {
            builder.add(o);
        }
    }
    let baseline = builder.finish();
    let mut out = Output::create(output)?;
    baseline.save(&mut out).with_context(|| format!("write {}", output.display()))?;
    out.finish(output)?;
    eprintln!("{}: baseline of {} position reports, area {:?}", output.display(), total, baseline.spec().name);
    Ok(())
}

/// Draws a baseline file as a PNG.
fn render(file: &Path, output: &Path) -> anyhow::Result<()> {
    let baseline = Baseline::load_path(file, None)?;
    baseline.render_png(output).with_context(|| format!("write {}", output.display()))?;
    eprintln!("{}: drawn from {}", output.display(), file.display());
    Ok(())
}
