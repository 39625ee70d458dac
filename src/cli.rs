//! The non-serving subcommands: `decode`, `near`, `simulate`, and the demo source.

use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::api::pb;
use crate::config::{SourceConfig, SourceKind};
use crate::decode::{self, DecodeCounters, Decoder, DecoderConfig};
use crate::error::Error;
use crate::geodesy::M_PER_NM;
use crate::source::{open_recording, LineSplitter};

/// The bundled recording `serve --demo` plays: AIS and radar plots, and drone detections.
pub const DEMO_RECORDING: [&str; 2] =
    ["replay-data/central-med-scenario-1h.nmea.gz", "replay-data/central-med-scenario-1h.jsonl"];

/// What `serve --demo` adds to the configuration: a real-time, looping file
/// source of the bundled recording, shifted to now, and the simulated radar sites.
pub fn add_demo(cfg: &mut crate::config::Config) {
    cfg.sources.push(SourceConfig {
        name: "demo".into(),
        format: None,
        kind: SourceKind::File {
            path: None,
            paths: DEMO_RECORDING.iter().map(PathBuf::from).collect(),
            pace: 1.0,
            repeat: true,
            shift_to_now: true,
        },
    });
    for r in crate::simulate::RADAR_SITES {
        if !cfg.radars.iter().any(|c| c.station == r.name) {
            cfg.radars.push(r.radar_config());
        }
    }
    if cfg.baseline.path.is_none() {
        // Learnt from 24 h of the simulator's ordinary traffic (replay-data/README.md);
        // used as shipped, never written back.
        cfg.baseline.path = Some(PathBuf::from(DEMO_BASELINE));
        cfg.baseline.save_every = None;
    }
}

/// The bundled baseline `serve --demo` scores against.
pub const DEMO_BASELINE: &str = "replay-data/strait-of-sicily.baseline";

/// How the client commands reach a service.
#[derive(Debug, Clone, clap::Args)]
pub struct RemoteArgs {
    /// The service (https:// with TLS).
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    pub server: String,
    /// Bearer token (when the service has [[operator]]s).
    #[arg(long, env = "LOOKOUT_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// PEM certificate of the authority that signed the server's certificate.
    #[arg(long, env = "LOOKOUT_CA")]
    pub ca: Option<PathBuf>,
}

/// Adds the bearer token to every call.
#[derive(Clone)]
pub struct Bearer(Option<tonic::metadata::MetadataValue<tonic::metadata::Ascii>>);

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(v) = &self.0 {
            req.metadata_mut().insert("authorization", v.clone());
        }
        Ok(req)
    }
}

/// A client of the service `r` names.
pub type Client = pb::lookout_client::LookoutClient<tonic::service::interceptor::InterceptedService<tonic::transport::Channel, Bearer>>;

pub async fn connect(r: &RemoteArgs) -> Result<Client, Error> {
    let server = &r.server;
    let mut endpoint = tonic::transport::Channel::from_shared(server.clone())
        .map_err(|e| Error::invalid("server", format!("{server:?}: {e}")))?;
    if let Some(ca) = &r.ca {
        let pem = std::fs::read(ca).map_err(|e| Error::io(format!("read {}", ca.display()), e))?;
        let tls = tonic::transport::ClientTlsConfig::new().ca_certificate(tonic::transport::Certificate::from_pem(pem));
        endpoint = endpoint.tls_config(tls).map_err(|e| Error::invalid("ca", e.to_string()))?;
    }
    let channel = endpoint.connect().await.map_err(|e| Error::Unavailable(format!("cannot connect to {server}: {e}")))?;
    let bearer = match &r.token {
        Some(t) => Some(format!("Bearer {}", t.trim()).parse().map_err(|_| Error::invalid("token", "is not printable ASCII"))?),
        None => None,
    };
    Ok(pb::lookout_client::LookoutClient::with_interceptor(channel, Bearer(bearer)))
}

/// `lookout token`: a new random token and its configuration entry.
pub fn new_token(name: &str, roles: &[String]) -> Result<(), Error> {
    use rand::TryRngCore;
    for r in roles {
        if !["viewer", "operator", "feeder", "admin"].contains(&r.as_str()) {
            return Err(Error::invalid("role", format!("{r:?} is not viewer, operator, feeder or admin")));
        }
    }
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.try_fill_bytes(&mut bytes).map_err(|e| Error::io("random token", std::io::Error::other(e.to_string())))?;
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let roles: Vec<String> = roles.iter().map(|r| format!("{r:?}")).collect();
    eprintln!("token for {name} (give it to them; it is not stored anywhere):");
    println!("{token}");
    eprintln!("\nconfiguration entry:\n[[operator]]\nname = {name:?}\ntoken_sha256 = \"{}\"\nroles = [{}]", crate::api::token_digest_hex(&token), roles.join(", "));
    Ok(())
}

fn remote(s: tonic::Status) -> Error {
    Error::Remote { code: format!("{:?}", s.code()), message: s.message().to_string() }
}

/// `lookout alerts`: the alerts a service holds (distress first), or with
/// `follow` every change as it happens, one line each.
pub async fn alerts(server: &RemoteArgs, filter: pb::AlertFilter, include_ended: bool, follow: bool) -> Result<(), Error> {
    let mut client = connect(server).await?;
    if !follow {
        let r = client
            .list_alerts(pb::ListAlertsRequest { filter: Some(filter), include_ended, max_results: 0 })
            .await
            .map_err(remote)?
            .into_inner();
        println!("{} alert(s)", r.total);
        for a in &r.alerts {
            println!("{}", alert_line(a));
        }
        return Ok(());
    }
    let mut stream = client
        .subscribe_alerts(pb::SubscribeAlertsRequest { filter: Some(filter) })
        .await
        .map_err(remote)?
        .into_inner();
    while let Some(e) = stream.message().await.map_err(remote)? {
        use pb::alert_event::Event;
        match e.event {
            Some(Event::Snapshot(a)) | Some(Event::Change(a)) => println!("{}", alert_line(&a)),
            Some(Event::SnapshotComplete(c)) => println!("-- {} live alert(s); following changes", c.alerts),
            Some(Event::Missed(m)) => {
                println!("-- fell behind: {} change(s) missed, {} alert(s) re-sent", m.changes_missed, m.alerts_resent)
            }
            Some(Event::Heartbeat(_)) | None => {}
        }
    }
    Ok(())
}

/// `lookout ack`: acknowledges an alert as `by`.
pub async fn ack(server: &RemoteArgs, alert_id: u64, by: &str, note: &str) -> Result<(), Error> {
    let a = connect(server)
        .await?
        .acknowledge_alert(pb::AcknowledgeAlertRequest { alert_id, by: by.to_string(), note: note.to_string() })
        .await
        .map_err(remote)?
        .into_inner();
    println!("{}", alert_line(&a));
    Ok(())
}

/// One alert as one line for an operator.
pub fn alert_line(a: &pb::Alert) -> String {
    let kind = pb::AlertKind::try_from(a.kind).map_or("?", |k| k.as_str_name()).trim_start_matches("ALERT_KIND_");
    let sev = pb::Severity::try_from(a.severity).map_or("?", |k| k.as_str_name()).trim_start_matches("SEVERITY_");
    let state = pb::AlertState::try_from(a.state).map_or("?", |k| k.as_str_name()).trim_start_matches("ALERT_STATE_");
    let t = a.updated_at.as_ref().map_or(String::new(), |t| crate::decode::rfc3339_ms(t.seconds * 1000 + i64::from(t.nanos / 1_000_000)));
    let pos = a.position.as_ref().map_or(String::new(), |p| format!("{:.4},{:.4}", p.lat_deg, p.lon_deg));
    let who = match (a.mmsi, a.track_id) {
        (Some(m), _) => format!("MMSI {m}"),
        (None, Some(t)) => format!("T{t}"),
        _ => String::new(),
    };
    let ack = a.acknowledged.as_ref().map_or(String::new(), |k| format!(" [ack {}]", k.by));
    format!(
        "#{} v{} {}{} {} {} {} {} {}: {}{}",
        a.alert_id,
        a.version,
        if a.rescue { "RESCUE " } else { "" },
        kind,
        sev,
        state,
        t,
        pos,
        who,
        a.explanation,
        ack
    )
}

/// Parses a distance with its unit: `20nm`, `5km`, `800m` (a bare number is metres).
pub fn parse_distance_m(s: &str) -> Result<f64, Error> {
    let s = s.trim().to_ascii_lowercase();
    let (num, factor) = if let Some(n) = s.strip_suffix("nm") {
        (n, M_PER_NM)
    } else if let Some(n) = s.strip_suffix("km") {
        (n, 1000.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 1.0)
    } else {
        (s.as_str(), 1.0)
    };
    match num.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v * factor),
        _ => Err(Error::invalid("radius", format!("{s:?} is not a positive distance like 20nm, 5km or 800m"))),
    }
}

/// Decodes files to JSON Lines on stdout; a summary of counters goes to stderr.
pub fn decode_files(files: &[PathBuf]) -> Result<(), Error> {
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    for path in files {
        let counters = match decode_file(path, &mut out) {
            Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            r => r?,
        };
        eprintln!(
            "{}: lines {} ais_sentences {} messages {} bad_checksum {} malformed {} not_ais {} fragments_expired {} fragments_orphan {} oversize {}",
            path.display(),
            counters.lines,
            counters.ais_sentences,
            counters.messages,
            counters.bad_checksum,
            counters.malformed,
            counters.not_ais,
            counters.fragments_expired,
            counters.fragments_orphan,
            counters.oversize
        );
    }
    match out.flush() {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.map_err(|e| Error::io("write stdout", e)),
    }
}

/// Decodes one file into `out` (one JSON object per message); returns its counters.
pub fn decode_file(path: &Path, out: &mut impl Write) -> Result<DecodeCounters, Error> {
    let mut reader = open_recording(path)?;
    let mut decoder = Decoder::new(DecoderConfig::default());
    let mut splitter = LineSplitter::default();
    let mut buf = vec![0u8; 64 * 1024];
    let mut last_ms: i64 = 0;
    let mut json: Vec<u8> = Vec::with_capacity(256 * 1024);
    let write_ctx = || "write stdout".to_string();
    loop {
        let n = reader.read(&mut buf).map_err(|e| Error::io(format!("read {}", path.display()), e))?;
        if n == 0 {
            splitter.finish(|line| decoder.feed_line(line, last_ms, &mut |d| push_record(&mut json, &mut last_ms, &d)));
            decoder.expire(i64::MAX);
            out.write_all(&json).map_err(|e| Error::io(write_ctx(), e))?;
            break;
        }
        splitter.feed(&buf[..n], |line| {
            decoder.feed_line(line, last_ms, &mut |d| push_record(&mut json, &mut last_ms, &d))
        });
        out.write_all(&json).map_err(|e| Error::io(write_ctx(), e))?;
        json.clear();
    }
    let mut c = decoder.counters().clone();
    c.oversize += splitter.oversize;
    c.lines += splitter.oversize;
    Ok(c)
}

fn push_record(json: &mut Vec<u8>, last_ms: &mut i64, d: &decode::Decoded) {
    *last_ms = d.received_at_ms.unwrap_or(*last_ms);
    // Serialising plain data into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *json, &decode::record(d));
    json.push(b'\n');
}

/// `lookout near`: queries a running service and prints a table.
pub async fn near(server: &RemoteArgs, lat: f64, lon: f64, radius_m: f64, max: u32) -> Result<(), Error> {
    let resp = connect(server)
        .await?
        .vessels_near(pb::VesselsNearRequest { lat_deg: lat, lon_deg: lon, radius_m, max_results: max, filter: None })
        .await
        .map_err(remote)?
        .into_inner();
    print!("{}", near_table(&resp, radius_m));
    Ok(())
}

/// Formats a `VesselsNear` answer as a table for a rescue coordinator.
pub fn near_table(r: &pb::VesselsNearResponse, radius_m: f64) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} vessel(s) within {:.1} nm (showing {})",
        r.total_in_radius,
        radius_m / M_PER_NM,
        r.vessels.len()
    );
    let _ = writeln!(
        s,
        "{:>13}  {:<20} {:<5} {:>7} {:>5} {:>5} {:>5} {:>7} {:>13} {:>6}  PERSONS_ON_BOARD",
        "MMSI/TRACK", "NAME", "CLASS", "DIST_NM", "BRG", "CTS", "SOG", "ETA", "CPA_NM@MIN", "AGE_S"
    );
    for h in &r.vessels {
        let Some(v) = &h.vessel else { continue };
        let name = v.static_data.as_ref().and_then(|s| s.name.clone()).unwrap_or_default();
        let class = match pb::AisClass::try_from(v.ais_class) {
            _ if v.mmsi == 0 => "DARK",
            Ok(pb::AisClass::A) => "A",
            Ok(pb::AisClass::B) => "B",
            Ok(pb::AisClass::SarAircraft) => "SAR",
            _ => "?",
        };
        // A dark target has no MMSI: show its track id.
        let id = if v.mmsi == 0 { format!("T{}", v.track_id) } else { v.mmsi.to_string() };
        let pob = v.persons_on_board.as_ref().map_or(String::new(), |p| {
            format!("{} ({}-{}){}", p.estimate, p.low, p.high, if p.overcrowded { " OVERCROWDED" } else { "" })
        });
        let sog = v.sog_kn.map_or("-".to_string(), |x| format!("{x:.1}"));
        let eta = h.eta_s.map_or("-".to_string(), |e| format!("{}:{:02}", (e / 3600.0) as u64, ((e % 3600.0) / 60.0) as u64));
        let cpa = h.cpa.as_ref().map_or("-".to_string(), |c| format!("{:.1}@{:.0}", c.distance_m / M_PER_NM, c.time_s / 60.0));
        let _ = writeln!(
            s,
            "{:>13}  {:<20} {:<5} {:>7.2} {:>5.0} {:>5.0} {:>5} {:>7} {:>13} {:>6.0}  {}",
            id,
            name.chars().take(20).collect::<String>(),
            class,
            h.distance_nm,
            h.bearing_from_point_deg,
            h.course_to_steer_deg,
            sog,
            eta,
            cpa,
            h.report_age_s,
            pob
        );
    }
    s
}

/// `lookout replay`: recordings through the pipeline, alerts to JSON Lines.
pub fn replay(files: &[PathBuf], cfg: &crate::config::Config, baseline: Option<&Path>, alerts_out: &Path) -> Result<(), Error> {
    // --baseline wins over the configuration's [baseline] path.
    let baseline = match (baseline, &cfg.baseline.path) {
        (Some(p), _) => Some(load_baseline(p)?),
        (None, Some(p)) => Some(crate::baseline::Baseline::load_path(p, cfg.baseline.area.as_deref())?),
        (None, None) => None,
    };
    let (alerts, summary) = crate::replay::replay_alerts(files, cfg, baseline.as_ref())?;
    let mut out = Output::create(alerts_out)?;
    for a in &alerts {
        serde_json::to_writer(&mut out, &a.record()).map_err(|e| Error::io("write alerts", e.into()))?;
        out.write_all(b"\n").map_err(|e| Error::io("write alerts", e))?;
    }
    out.finish(alerts_out)?;
    let c = &summary.counters;
    eprintln!(
        "{}: {} alerts from {} observations ({} AIS messages, {} radar detections, {} detection events, {} rejected)",
        alerts_out.display(),
        alerts.len(),
        summary.observations,
        c.decode.messages,
        c.detections.radar_detections,
        c.detections.events,
        c.detections.events_rejected
    );
    Ok(())
}

fn load_baseline(path: &Path) -> Result<crate::baseline::Baseline, Error> {
    crate::baseline::Baseline::load_path(path, None)
}

/// `lookout baseline build`: learns a baseline from recordings.
pub fn baseline_build(
    recordings: &[PathBuf],
    output: &Path,
    cell_m: f64,
    bbox: Option<&str>,
    area: Option<&str>,
) -> Result<(), Error> {
    use crate::baseline::{BaselineBuilder, GridSpec};
    let spec = match bbox {
        // A known area by name, or by default the Strait of Sicily.
        None => match area {
            None => GridSpec::strait_of_sicily(cell_m),
            Some(a) => GridSpec::named(a, cell_m).ok_or_else(|| {
                Error::invalid("area", format!("{a:?} is not a known area (strait-of-sicily, dover-strait): give --bbox too"))
            })?,
        },
        Some(b) => {
            let v: Vec<f64> = b.split(',').map(|x| x.trim().parse::<f64>()).collect::<Result<_, _>>().map_err(|_| {
                Error::invalid("bbox", format!("{b:?} is not MIN_LAT,MIN_LON,MAX_LAT,MAX_LON in degrees"))
            })?;
            let [min_lat_deg, min_lon_deg, max_lat_deg, max_lon_deg] = v[..] else {
                return Err(Error::invalid("bbox", "needs four numbers: MIN_LAT,MIN_LON,MAX_LAT,MAX_LON"));
            };
            GridSpec { min_lat_deg, min_lon_deg, max_lat_deg, max_lon_deg, cell_m, name: area.unwrap_or_default().to_string() }
        }
    };
    let spec = GridSpec { name: area.map_or(spec.name.clone(), str::to_string), ..spec };
    let mut builder = BaselineBuilder::try_new(spec).map_err(|e| Error::invalid("bbox", e.to_string()))?;
    let mut total = 0usize;
    for path in recordings {
        let reader = std::io::BufReader::new(open_recording(path)?);
        let obs = crate::baseline::observations_from_nmea(reader)
            .map_err(|e| Error::io(format!("read {}", path.display()), e))?;
        total += obs.len();
        for o in &obs {
            builder.add(o);
        }
    }
    let baseline = builder.finish();
    let mut out = Output::create(output)?;
    baseline.save(&mut out).map_err(|e| Error::io(format!("write {}", output.display()), std::io::Error::other(e.to_string())))?;
    out.finish(output)?;
    eprintln!("{}: baseline of {} position reports, area {:?}", output.display(), total, baseline.spec().name);
    Ok(())
}

/// `lookout baseline render`: draws a baseline file as a PNG.
pub fn baseline_render(file: &Path, output: &Path) -> Result<(), Error> {
    let baseline = load_baseline(file)?;
    baseline.render_png(output).map_err(|e| Error::io(format!("write {}", output.display()), std::io::Error::other(e.to_string())))?;
    eprintln!("{}: drawn from {}", output.display(), file.display());
    Ok(())
}

/// What `lookout simulate` stages.
pub struct SimulateArgs {
    /// Sea area name (`strait-of-sicily`, `dover-strait`).
    pub area: String,
    pub seed: u64,
    pub duration: Duration,
    /// Recording start, RFC 3339.
    pub start: String,
    /// Fleet size multiplier.
    pub scale: f64,
    /// AIS reception loss in good coverage, 0..1.
    pub loss: f64,
}

/// Where `lookout simulate` writes the non-AIS side of a scenario.
pub struct SensorOutputs {
    pub detections: PathBuf,
    pub truth: Option<PathBuf>,
    pub dark_boats: usize,
    pub drones: usize,
    pub clutter: f64,
    /// Labelled incidents of every alert kind, if asked for.
    pub labels: Option<LabelOutputs>,
}

/// Where and how `lookout simulate --labels` scripts incidents.
pub struct LabelOutputs {
    pub path: PathBuf,
    pub per_kind: usize,
    /// Radar noise multiplier.
    pub noise: f64,
}

/// An output file, gzip-compressed when the name ends in `.gz` (fixed level,
/// no timestamp in the header: same input, same bytes).
enum Output {
    Plain(BufWriter<std::fs::File>),
    Gz(flate2::write::GzEncoder<BufWriter<std::fs::File>>),
}

impl Output {
    fn create(path: &Path) -> Result<Self, Error> {
        let file = std::fs::File::create(path).map_err(|e| Error::io(format!("write {}", path.display()), e))?;
        let w = BufWriter::new(file);
        Ok(if path.extension().is_some_and(|e| e == "gz") {
            Output::Gz(flate2::GzBuilder::new().mtime(0).write(w, flate2::Compression::new(9)))
        } else {
            Output::Plain(w)
        })
    }

    /// Completes the file (the gzip trailer) and reports any error, which a drop would swallow.
    fn finish(self, path: &Path) -> Result<(), Error> {
        let r = match self {
            Output::Plain(mut w) => w.flush(),
            Output::Gz(gz) => gz.finish().and_then(|mut w| w.flush()),
        };
        r.map_err(|e| Error::io(format!("write {}", path.display()), e))
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Output::Plain(w) => w.write(buf),
            Output::Gz(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Output::Plain(w) => w.flush(),
            Output::Gz(w) => w.flush(),
        }
    }
}

/// `lookout simulate`: writes a recording, and with `sensors` the radar
/// plots, drone detections and ground truth of a scenario with dark boats, and
/// with `sensors.labels` scripted incidents of every alert kind and their labels.
pub fn simulate(args: &SimulateArgs, output: &Path, sensors: Option<SensorOutputs>) -> Result<(), Error> {
    use crate::simulate::{AnomalyConfig, RegionId, SensorConfig, SimConfig};
    let region = RegionId::from_name(&args.area).ok_or_else(|| {
        let known: Vec<&str> = RegionId::ALL.iter().map(|r| r.name()).collect();
        Error::invalid("area", format!("{:?} is not one of {}", args.area, known.join(", ")))
    })?;
    let start = &args.start;
    let start_ms = chrono::DateTime::parse_from_rfc3339(start)
        .map_err(|e| Error::invalid("start", format!("{start:?}: {e}")))?
        .timestamp_millis();
    if !(args.scale.is_finite() && args.scale > 0.0) {
        return Err(Error::invalid("scale", "must be > 0"));
    }
    if !(0.0..=1.0).contains(&args.loss) {
        return Err(Error::invalid("loss", "must be within 0..=1"));
    }
    let cfg = SimConfig {
        region,
        seed: args.seed,
        start_unix_ms: start_ms,
        duration_s: u32::try_from(args.duration.as_secs()).map_err(|_| Error::invalid("duration", "too long"))?,
        vessel_scale: args.scale,
        reception_loss: args.loss,
        ..Default::default()
    };
    let ctx = |p: &Path| format!("write {}", p.display());
    let mut out = Output::create(output)?;
    let Some(so) = sensors else {
        let s = crate::simulate::write_recording(&cfg, &mut out).map_err(|e| Error::io(ctx(output), e))?;
        eprintln!("{}: {} vessels, {} messages in {} sentences", output.display(), s.vessels, s.messages, s.sentences);
        return out.finish(output);
    };
    if !(so.clutter.is_finite() && so.clutter >= 0.0) {
        return Err(Error::invalid("clutter", "must be >= 0"));
    }
    let sc = SensorConfig { dark_boats: so.dark_boats, drones: so.drones, clutter_per_scan: so.clutter, ..SensorConfig::for_region(region) };
    let mut det = Output::create(&so.detections)?;
    let mut truth = so.truth.as_deref().map(Output::create).transpose()?;
    let mut sink = std::io::sink();
    let truth_out: &mut dyn Write = match truth.as_mut() {
        Some(t) => t,
        None => &mut sink,
    };
    let (s, labels) = match &so.labels {
        None => (crate::simulate::write_scenario(&cfg, &sc, &mut out, &mut det, truth_out).map_err(|e| Error::io(ctx(output), e))?, None),
        Some(l) => {
            if !(l.noise.is_finite() && l.noise >= 0.0) {
                return Err(Error::invalid("noise", "must be >= 0"));
            }
            let an = AnomalyConfig { per_kind: l.per_kind, noise_scale: l.noise, ..Default::default() };
            let mut lab = Output::create(&l.path)?;
            let a = crate::simulate::write_anomaly_scenario(&cfg, &sc, &an, &mut out, &mut det, truth_out, &mut lab)
                .map_err(|e| Error::io(ctx(output), e))?;
            lab.finish(&l.path)?;
            (a.scenario.clone(), Some(a))
        }
    };
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
    out.finish(output)
}

/// An alert filter from command-line names (`DARK_TARGET`, `HIGH`); the
/// server checks the rest.
pub fn alert_filter_args(kinds: &[String], min_severity: Option<&str>, rescue_only: bool) -> Result<pb::AlertFilter, Error> {
    let kinds = kinds
        .iter()
        .map(|k| {
            let name = format!("ALERT_KIND_{}", k.trim().to_ascii_uppercase());
            pb::AlertKind::from_str_name(&name).map(|k| k as i32).ok_or_else(|| Error::invalid("kind", format!("{k:?} is not an alert kind")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let min_severity = match min_severity {
        None => 0,
        Some(s) => pb::Severity::from_str_name(&format!("SEVERITY_{}", s.trim().to_ascii_uppercase()))
            .map(|s| s as i32)
            .ok_or_else(|| Error::invalid("min_severity", format!("{s:?} is not a severity")))?,
    };
    Ok(pb::AlertFilter { area: None, kinds, min_severity, rescue_only })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_with_units() {
        assert_eq!(parse_distance_m("20nm").unwrap(), 20.0 * 1852.0);
        assert_eq!(parse_distance_m("5km").unwrap(), 5000.0);
        assert_eq!(parse_distance_m("800 m").unwrap(), 800.0);
        assert_eq!(parse_distance_m("750").unwrap(), 750.0);
        assert!(parse_distance_m("-3nm").is_err());
        assert!(parse_distance_m("far").is_err());
    }
}

