//! `lookout baseline build` and `lookout baseline render`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use lookout_ais::open_recording;
use lookout_score::baseline::{observations_from_nmea, BaselineBuilder, Basemap, GridSpec, WorldFile};
use lookout_score::Baseline;

use super::{parse_distance_m, thousands, Output, Progress};

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
        /// Recordings of ordinary AIS traffic (NMEA, plain or gzip).
        #[arg(required = true, value_name = "FILES")]
        recordings: Vec<PathBuf>,
        /// The baseline file to write (created before the recordings are read).
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
        /// Report progress on stderr every few seconds even when stderr is not a terminal
        /// (on a terminal it always does).
        #[arg(long)]
        progress: bool,
    },
    /// Draw a baseline (density, dominant course, rest areas) as a PNG over land,
    /// coastline (Natural Earth 1:50m) and a graticule, with a world file (.pgw) and
    /// projection (.prj, WGS 84) beside it so QGIS, GDAL or OpenCPN can place it.
    Render {
        /// The baseline file (from `lookout baseline build`).
        file: PathBuf,
        /// The picture to write. PNG: the name must end in .png, and NAME.pgw and
        /// NAME.prj are written beside it (replaced if present). GeoTIFF: the name must
        /// end in .tif or .tiff; the file carries its own georeference.
        #[arg(short, long)]
        output: PathBuf,
        /// png: a PNG with world file and projection beside it; geotiff: one GeoTIFF
        /// (RGB, WGS 84 / EPSG:4326 in its GeoKeys), for GIS tools that want one file.
        #[arg(long, value_enum, default_value_t = RenderFormat::Png)]
        format: RenderFormat,
    },
}

/// What `baseline render` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum RenderFormat {
    Png,
    Geotiff,
}

impl BaselineArgs {
    pub fn run(self) -> anyhow::Result<()> {
        match self.command {
            BaselineCommand::Build { recordings, output, cell, bbox, area, progress } => {
                let cell_m = parse_distance_m(&cell)?;
                build(
                    &recordings,
                    &output,
                    cell_m,
                    bbox.as_deref(),
                    area.as_deref(),
                    Progress::new("baseline", progress),
                )
            }
            BaselineCommand::Render { file, output, format } => render(&file, &output, format),
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
    mut progress: Progress,
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
    for path in recordings {
        if !path.is_file() {
            anyhow::bail!("{}: no such recording file", path.display());
        }
    }
    // Created before the recordings are read: hours of input must not be
    // read only to find the result cannot be written.
    let mut out = Output::create(output).context("cannot create the --output file")?;
    let r = learn(recordings, &mut builder, &mut progress);
    let total = match r {
        Ok(n) => n,
        Err(e) => {
            drop(out);
            let _ = std::fs::remove_file(output);
            return Err(e);
        }
    };
    progress.finish();
    let baseline = builder.finish();
    baseline.save(&mut out).with_context(|| format!("write {}", output.display()))?;
    out.finish(output)?;
    eprintln!(
        "{}: baseline of {} position reports, area {:?}, in {:.1} s",
        output.display(),
        total,
        baseline.spec().name,
        progress.elapsed_s()
    );
    Ok(())
}

/// Feeds every recording's position reports to `builder`; returns how many.
fn learn(recordings: &[PathBuf], builder: &mut BaselineBuilder, progress: &mut Progress) -> anyhow::Result<usize> {
    let mut total = 0usize;
    for (i, path) in recordings.iter().enumerate() {
        let reader = CountingReader {
            inner: open_recording(path)?,
            bytes: 0,
            progress: &mut *progress,
            what: format!("file {}/{} {}", i + 1, recordings.len(), path.display()),
            before: total,
        };
        let obs = observations_from_nmea(std::io::BufReader::new(reader))
            .with_context(|| format!("read {}", path.display()))?;
        total += obs.len();
        for o in &obs {
            builder.add(o);
        }
    }
    if total == 0 {
        anyhow::bail!("no AIS position reports in the recordings: a baseline needs ordinary AIS traffic (NMEA)");
    }
    Ok(total)
}

/// A recording's (decompressed) bytes, reporting how many have been read.
struct CountingReader<'a, R> {
    inner: R,
    bytes: u64,
    progress: &'a mut Progress,
    /// Which file, for the report.
    what: String,
    /// Position reports from the files before this one.
    before: usize,
}

impl<R: std::io::Read> std::io::Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        if self.progress.due() {
            let rate = self.bytes as f64 / 1e6 / self.progress.elapsed_s().max(1e-3);
            let text = format!(
                "{}: {:.1} MB read ({rate:.1} MB/s), {} position reports before it",
                self.what,
                self.bytes as f64 / 1e6,
                thousands(self.before as u64)
            );
            self.progress.report(text);
        }
        Ok(n)
    }
}

/// Draws a baseline file as a PNG (with world file and projection) or a GeoTIFF.
fn render(file: &Path, output: &Path, format: RenderFormat) -> anyhow::Result<()> {
    // The renderer writes what --format says whatever the name says; a .jpg holding
    // PNG bytes misleads every viewer and upload form, so the name must match. Checked
    // before the baseline is read.
    let ext = output.extension().map(|e| e.to_ascii_lowercase());
    match format {
        RenderFormat::Png if ext.as_deref() != Some("png".as_ref()) => anyhow::bail!(
            "-o {}: baseline render writes PNG only unless --format geotiff; name the file {}",
            output.display(),
            output.with_extension("png").display()
        ),
        RenderFormat::Geotiff if !matches!(ext.as_deref().and_then(|e| e.to_str()), Some("tif" | "tiff")) => {
            anyhow::bail!(
                "-o {}: --format geotiff writes a GeoTIFF; name the file {}",
                output.display(),
                output.with_extension("tif").display()
            )
        }
        _ => {}
    }
    let baseline = Baseline::load_path(file, None)?;
    // The console's embedded land polygons (one copy in the binary for both).
    let land = Basemap::from_topojson(lookout_server::console::LAND_50M_TOPOJSON, "land")
        .context("the embedded Natural Earth land (console/dist/assets/land-50m.json)")?;
    match format {
        RenderFormat::Png => {
            baseline.render_png(output, Some(&land)).with_context(|| format!("write {}", output.display()))?;
            eprintln!(
                "{}: drawn from {}; georeferenced by {} and {} (WGS 84, EPSG:4326)",
                output.display(),
                file.display(),
                WorldFile::path_for(output).display(),
                output.with_extension("prj").display()
            );
        }
        RenderFormat::Geotiff => {
            baseline.render_geotiff(output, Some(&land)).with_context(|| format!("write {}", output.display()))?;
            eprintln!(
                "{}: drawn from {}; a GeoTIFF georeferenced by its own tags (WGS 84, EPSG:4326)",
                output.display(),
                file.display()
            );
        }
    }
    Ok(())
}
