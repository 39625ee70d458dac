//! The subcommands, one module each. [`Args`] is the whole command line;
//! each module holds its subcommand's arguments and the code that runs it.

mod ack;
mod alerts;
mod archive;
mod area;
mod baseline;
mod decode;
mod export;
pub mod gpsd;
mod history;
mod hold;
mod near;
mod replay;
mod serve;
mod simulate;
mod stats;
mod token;
mod tracks;
mod vessel;

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use lookout_core::geodesy::M_PER_NM;
use lookout_server::api::pb;

pub use alerts::{alert_filter_args, alert_json, alert_line, AlertKindArg, SeverityArg};
pub use baseline::simulated_area;
pub use decode::{decode_file, Format as DecodeFormat};
pub use near::{near_json, near_table};
pub use serve::{add_demo, DemoData, DEFAULT_CONFIG, DEFAULT_CONFIG_PATH};
pub use simulate::radar_config;
pub use stats::stats_json;
pub use vessel::vessel_json;

/// The whole command line.
#[derive(Parser)]
#[command(name = "lookout", version, about = "Maritime surveillance: AIS ingest, live vessel picture, rescue queries")]
pub struct Args {
    /// Log format on stderr: text (coloured only on a terminal) or json (one
    /// object per line, for log shippers). RUST_LOG sets the levels.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    Serve(serve::ServeArgs),
    Decode(decode::DecodeArgs),
    Near(near::NearArgs),
    Vessel(vessel::VesselArgs),
    Area(area::AreaArgs),
    Stats(stats::StatsArgs),
    Alerts(alerts::AlertsArgs),
    Token(token::TokenArgs),
    Ack(ack::AckArgs),
    Replay(replay::ReplayArgs),
    Baseline(baseline::BaselineArgs),
    Simulate(simulate::SimulateArgs),
    Archive(archive::ArchiveArgs),
    Verify(archive::VerifyArgs),
    Export(export::ExportArgs),
    History(history::HistoryArgs),
    Hold(hold::HoldArgs),
    Tracks(tracks::TracksArgs),
}

impl Args {
    /// Sets up logging to stderr. Untrusted text (source names, notes) is
    /// logged as quoted, escaped values by the code that logs it; JSON escapes
    /// everything by construction.
    pub fn init_logging(&self) {
        use std::io::IsTerminal;
        let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
        let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
        match self.log_format {
            LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
            LogFormat::Json => builder.json().with_current_span(false).init(),
        }
    }

    /// Runs the subcommand.
    pub async fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Serve(a) => a.run().await,
            Command::Decode(a) => a.run(),
            Command::Near(a) => a.run().await,
            Command::Vessel(a) => a.run().await,
            Command::Area(a) => a.run().await,
            Command::Stats(a) => a.run().await,
            Command::Alerts(a) => a.run().await,
            Command::Token(a) => a.run(),
            Command::Ack(a) => a.run().await,
            Command::Replay(a) => a.run(),
            Command::Baseline(a) => a.run(),
            Command::Simulate(a) => a.run(),
            Command::Archive(a) => a.run(),
            Command::Verify(a) => a.run(),
            Command::Export(a) => a.run(),
            Command::History(a) => a.run().await,
            Command::Hold(a) => a.run().await,
            Command::Tracks(a) => a.run().await,
        }
    }
}

/// A request refused for what it asks (a window or a selection too large): exit status 2,
/// as for a bad command line, with a message naming the limit.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// The exit status for an error: 2 for a [`Refused`] request, 1 for anything else.
pub fn exit_status(e: &anyhow::Error) -> u8 {
    if e.downcast_ref::<Refused>().is_some() {
        2
    } else {
        1
    }
}

/// Tries `attempt` again, waiting 0.5 s doubling to 8 s between tries, until it
/// succeeds or `give_up_after` has passed (then its last error): how `alerts
/// --follow` and `tracks` come back after the service restarts.
pub(crate) async fn retry_with_backoff<T, F, Fut>(
    give_up_after: std::time::Duration,
    mut attempt: F,
) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    use std::time::{Duration, Instant};
    let deadline = Instant::now() + give_up_after;
    let mut wait = Duration::from_millis(500);
    loop {
        tokio::time::sleep(wait.min(deadline.saturating_duration_since(Instant::now()))).await;
        match attempt().await {
            Ok(t) => return Ok(t),
            Err(e) if Instant::now() >= deadline => return Err(e),
            Err(_) => wait = (wait * 2).min(Duration::from_secs(8)),
        }
    }
}

/// How the client commands reach a service.
#[derive(Debug, Clone, clap::Args)]
pub struct RemoteArgs {
    /// The service: http://HOST:PORT, or https://HOST:PORT for TLS. A bare
    /// HOST:PORT (as grpcurl takes it) means http://, or https:// with --ca.
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    pub server: String,
    /// Bearer token (when the service has [[operator]]s).
    #[arg(long, env = "LOOKOUT_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// PEM certificate of the authority that signed the server's certificate (for https://).
    #[arg(long, env = "LOOKOUT_CA")]
    pub ca: Option<PathBuf>,
    /// What the call is for, recorded in the service's audit beside your role's
    /// purpose (e.g. "case 2026-117"; sent as the lookout-purpose header).
    #[arg(long, env = "LOOKOUT_PURPOSE")]
    pub purpose: Option<String>,
}

/// How long a client waits for the TCP connection (and TLS handshake) before
/// saying the service cannot be reached: a dropped SYN would otherwise hang
/// for the kernel's two minutes.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

impl RemoteArgs {
    /// The URL to dial: `--server` as given, or a bare `HOST:PORT` with
    /// `http://` in front (`https://` when `--ca` names an authority, since a
    /// CA only makes sense for TLS).
    pub fn url(&self) -> anyhow::Result<String> {
        let s = self.server.trim();
        let url = match s.split_once("://") {
            Some((scheme, _)) if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") => {
                s.to_string()
            }
            Some((scheme, rest)) => anyhow::bail!(
                "--server {s:?}: the scheme must be http:// or https://, not {scheme}://; e.g. --server http://{rest}"
            ),
            None if self.ca.is_some() => format!("https://{s}"),
            None => format!("http://{s}"),
        };
        let uri: tonic::transport::Uri = url.parse().map_err(|e| {
            anyhow::anyhow!("--server {s:?} is not an address like http://127.0.0.1:50051 or 127.0.0.1:50051 ({e})")
        })?;
        if uri.host().is_none_or(str::is_empty) {
            anyhow::bail!("--server {s:?} names no host; e.g. --server http://127.0.0.1:50051");
        }
        Ok(url)
    }

    /// `HOST:PORT` of the service, as messages name it.
    fn host_port(&self) -> String {
        let url = self.url().unwrap_or_else(|_| self.server.clone());
        match url.parse::<tonic::transport::Uri>() {
            Ok(u) => {
                let https = u.scheme_str() == Some("https");
                let port = u.port_u16().unwrap_or(if https { 443 } else { 80 });
                format!("{}:{port}", u.host().unwrap_or_default())
            }
            Err(_) => self.server.clone(),
        }
    }

    fn is_https(&self) -> bool {
        self.url().is_ok_and(|u| u[..5].eq_ignore_ascii_case("https"))
    }

    /// A failed call as the user should read it: what went wrong, the cause
    /// the transport reported, and what to try.
    pub fn refused(&self, s: tonic::Status) -> anyhow::Error {
        use tonic::Code;
        let msg = s.message();
        match s.code() {
            Code::Unauthenticated if self.token.is_none() => anyhow::anyhow!(
                "{} wants a token ({msg}): give --token or set LOOKOUT_TOKEN (`lookout token` makes one)",
                self.host_port()
            ),
            Code::Unauthenticated => {
                anyhow::anyhow!("{} did not accept the token ({msg}): check --token / LOOKOUT_TOKEN", self.host_port())
            }
            Code::PermissionDenied => {
                anyhow::anyhow!("permission denied: {msg} (ask for a token with the role this needs)")
            }
            Code::Unimplemented => anyhow::anyhow!(
                "{} does not offer this call ({msg}): is it a Lookout service of this version?",
                self.host_port()
            ),
            // Transport failures reach the caller as UNAVAILABLE (or UNKNOWN /
            // INTERNAL for an HTTP/2 protocol error) with the cause as source.
            Code::Unavailable | Code::Unknown | Code::Internal | Code::Cancelled
                if std::error::Error::source(&s).is_some() =>
            {
                anyhow::anyhow!("{}", self.explain_transport(&s))
            }
            Code::Unavailable => anyhow::anyhow!("{} is unavailable: {msg}", self.host_port()),
            Code::InvalidArgument | Code::OutOfRange | Code::FailedPrecondition => {
                anyhow::anyhow!("the service refused the request: {msg}")
            }
            Code::NotFound => anyhow::anyhow!("{msg}"),
            Code::ResourceExhausted => anyhow::anyhow!("the service refused the request as too large: {msg}"),
            Code::DeadlineExceeded => anyhow::anyhow!("the service gave up on the request: {msg}"),
            c => anyhow::anyhow!("the service refused the call: {c:?}: {msg}"),
        }
    }

    /// Why the service could not be reached, from the error's `source()`
    /// chain: refused, name not resolved, timed out, TLS against plaintext,
    /// plaintext against TLS, certificate not trusted; each with the fix.
    pub fn explain_transport(&self, e: &(dyn std::error::Error + 'static)) -> String {
        let at = self.host_port();
        let host = at.rsplit_once(':').map_or(at.as_str(), |(h, _)| h).to_string();
        let mut chain: Vec<String> = Vec::new();
        let mut io_kinds = Vec::new();
        let mut cur = Some(e);
        while let Some(c) = cur {
            if let Some(io) = c.downcast_ref::<std::io::Error>() {
                io_kinds.push(io.kind());
            }
            chain.push(c.to_string());
            cur = c.source();
        }
        // Keywords are looked for anywhere in the chain; the innermost
        // message is the one shown (outer ones only wrap it, and a Status
        // repeats it in Debug form).
        let lower = chain.join(": ").to_ascii_lowercase();
        let cause = chain.iter().rev().find(|t| !t.trim().is_empty()).cloned().unwrap_or_default();
        use std::io::ErrorKind as K;
        let plain = format!("http://{at}");
        let tls = format!("https://{at}");
        if io_kinds.contains(&K::ConnectionRefused) || lower.contains("connection refused") {
            format!("connection refused at {at}: is `lookout serve` running, and listening on that address? ({cause})")
        } else if lower.contains("dns error")
            || lower.contains("failed to lookup address")
            || lower.contains("name or service not known")
        {
            format!("cannot resolve the host name {host:?} ({cause}): check --server")
        } else if io_kinds.contains(&K::TimedOut) || lower.contains("timed out") || lower.contains("timeout") {
            format!(
                "no answer from {at} within {} s: is the host up, and does a firewall let the port through? ({cause})",
                CONNECT_TIMEOUT.as_secs()
            )
        } else if self.is_https()
            && (lower.contains("invalidcontenttype")
                || lower.contains("corrupt message")
                || lower.contains("wrong version number")
                || lower.contains("invalid content type"))
        {
            format!("TLS handshake with {at} failed: the service answered in plaintext. Use --server {plain} ({cause})")
        } else if self.is_https() && (lower.contains("certificate") || lower.contains("unknownissuer")) {
            match &self.ca {
                None => format!(
                    "the certificate of {at} is not trusted ({cause}): give --ca with the authority that signed it"
                ),
                Some(ca) => format!(
                    "the certificate of {at} is not trusted ({cause}): is it signed by --ca {}, and does it name {host:?}?",
                    ca.display()
                ),
            }
        } else if !self.is_https()
            && (lower.contains("frame with invalid size")
                || lower.contains("invalid frame")
                || lower.contains("connection reset")
                || lower.contains("broken pipe")
                || lower.contains("connection closed")
                || lower.contains("connection was not ready")
                || io_kinds.iter().any(|k| matches!(k, K::ConnectionReset | K::BrokenPipe | K::UnexpectedEof)))
        {
            // A TLS server drops a plaintext HTTP/2 preface (a broken pipe or
            // reset, a connection closed before it was ready, or its alert read
            // as an oversized frame, by timing).
            format!(
                "{at} did not answer in plaintext HTTP/2 gRPC ({cause}): if the service uses TLS, use --server {tls} with --ca"
            )
        } else {
            format!("cannot reach {at}: {cause}")
        }
    }

    /// A subscription that failed after it was running: the connection was
    /// there, so the cause is the service stopping or the network, not the
    /// address or the protocol.
    pub fn lost(&self, s: tonic::Status) -> anyhow::Error {
        if std::error::Error::source(&s).is_none() {
            return self.refused(s);
        }
        let mut cause = s.to_string();
        let mut cur = std::error::Error::source(&s);
        while let Some(c) = cur {
            cause = c.to_string();
            cur = c.source();
        }
        anyhow::anyhow!(
            "the connection to {} was lost: the service stopped, or the network failed ({cause})",
            self.host_port()
        )
    }
}

/// Adds the bearer token to every call.
#[derive(Clone)]
pub struct Bearer {
    token: Option<tonic::metadata::MetadataValue<tonic::metadata::Ascii>>,
    purpose: Option<tonic::metadata::MetadataValue<tonic::metadata::Ascii>>,
}

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(v) = &self.token {
            req.metadata_mut().insert("authorization", v.clone());
        }
        if let Some(v) = &self.purpose {
            req.metadata_mut().insert("lookout-purpose", v.clone());
        }
        Ok(req)
    }
}

/// A client of the service `r` names.
pub type Client = pb::lookout_client::LookoutClient<
    tonic::service::interceptor::InterceptedService<tonic::transport::Channel, Bearer>,
>;

/// A client of the service `r` names, with its token. A connection that
/// fails says why (see [`RemoteArgs::explain_transport`]).
pub async fn connect(r: &RemoteArgs) -> anyhow::Result<Client> {
    let url = r.url()?;
    let mut endpoint =
        tonic::transport::Channel::from_shared(url.clone()).map_err(|e| anyhow::anyhow!("--server {url:?}: {e}"))?;
    endpoint = endpoint.connect_timeout(CONNECT_TIMEOUT);
    if r.is_https() {
        // Without --ca no authority is trusted (no system roots are built in),
        // so the handshake still runs and its failure can say what to do.
        let mut tls = tonic::transport::ClientTlsConfig::new();
        if let Some(ca) = &r.ca {
            let pem = std::fs::read(ca).with_context(|| format!("--ca: read {}", ca.display()))?;
            tls = tls.ca_certificate(tonic::transport::Certificate::from_pem(pem));
        }
        endpoint = endpoint.tls_config(tls).context("--ca")?;
    } else if r.ca.is_some() {
        anyhow::bail!("--ca is for TLS, but --server {url:?} is plaintext: use --server https://{}", r.host_port());
    }
    let channel = endpoint.connect().await.map_err(|e| anyhow::anyhow!("{}", r.explain_transport(&e)))?;
    let bearer = match &r.token {
        Some(t) => Some(
            format!("Bearer {}", t.trim()).parse().map_err(|_| anyhow::anyhow!("--token is not printable ASCII"))?,
        ),
        None => None,
    };
    let purpose = match &r.purpose {
        Some(p) => Some(p.trim().parse().map_err(|_| anyhow::anyhow!("--purpose must be printable ASCII"))?),
        None => None,
    };
    Ok(pb::lookout_client::LookoutClient::with_interceptor(channel, Bearer { token: bearer, purpose }))
}

/// Whether `e` comes from writing to a closed pipe (`lookout ... | head`):
/// the reader had enough, which is not a failure.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}

/// Writes one line to stdout, reporting a closed pipe as an error (which
/// `main` ends quietly on) where `println!` would panic.
pub fn out_line(line: impl std::fmt::Display) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").context("write stdout")
}

/// Progress of a long command (`simulate`, `replay`, `baseline build`) on
/// stderr: one line every few seconds saying how far it got and how fast, so
/// a 40-second run does not look hung. On a terminal the line is rewritten
/// in place; elsewhere (a log file, a test) it is quiet unless `--progress`
/// asks for it, and then each report is its own line.
pub(crate) struct Progress {
    label: &'static str,
    enabled: bool,
    tty: bool,
    start: std::time::Instant,
    /// When the last report was written; `None` before the first, which is
    /// written at once so the user sees the work has started.
    last: Option<std::time::Instant>,
    every: Duration,
}

impl Progress {
    /// Progress for `label` (the command's name), shown on a terminal, or
    /// anywhere when `force`.
    pub(crate) fn new(label: &'static str, force: bool) -> Self {
        use std::io::IsTerminal;
        let tty = std::io::stderr().is_terminal();
        Progress {
            label,
            enabled: force || tty,
            tty,
            start: std::time::Instant::now(),
            last: None,
            // A log gets fewer lines than a terminal, which overwrites its one.
            every: if tty { Duration::from_secs(1) } else { Duration::from_secs(3) },
        }
    }

    /// Whether a report is due (cheap: call it as often as convenient).
    pub(crate) fn due(&self) -> bool {
        self.enabled && self.last.is_none_or(|l| l.elapsed() >= self.every)
    }

    /// Seconds since the command started.
    pub(crate) fn elapsed_s(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    /// Writes a report (whether or not one is due).
    pub(crate) fn report(&mut self, text: impl std::fmt::Display) {
        if !self.enabled {
            return;
        }
        self.last = Some(std::time::Instant::now());
        let mut err = std::io::stderr().lock();
        // Progress is a courtesy: a closed stderr must not fail the work.
        let _ = if self.tty {
            write!(err, "\r\x1b[K{}: {text}", self.label)
        } else {
            writeln!(err, "{}: {text}", self.label)
        };
        let _ = err.flush();
    }

    /// Clears the terminal line before the command's summary.
    pub(crate) fn finish(&self) {
        if self.enabled && self.tty && self.last.is_some() {
            eprint!("\r\x1b[K");
        }
    }
}

/// `n` with thousands separators, for progress lines.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut s = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            s.push(',');
        }
        s.push(c);
    }
    s
}

/// Parses a distance with its unit: `20nm`, `5km`, `800m` (a bare number is metres).
pub fn parse_distance_m(s: &str) -> anyhow::Result<f64> {
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
        _ => anyhow::bail!("{s:?} is not a positive distance like 20nm, 5km or 800m"),
    }
}

/// An output file, gzip-compressed when the name ends in `.gz` (fixed level,
/// no timestamp in the header: same input, same bytes).
enum Output {
    Plain(BufWriter<std::fs::File>),
    Gz(flate2::write::GzEncoder<BufWriter<std::fs::File>>),
}

impl Output {
    fn create(path: &Path) -> anyhow::Result<Self> {
        let file = std::fs::File::create(path).with_context(|| format!("write {}", path.display()))?;
        let w = BufWriter::new(file);
        Ok(if path.extension().is_some_and(|e| e == "gz") {
            Output::Gz(flate2::GzBuilder::new().mtime(0).write(w, flate2::Compression::new(9)))
        } else {
            Output::Plain(w)
        })
    }

    /// Completes the file (the gzip trailer) and reports any error, which a drop would swallow.
    fn finish(self, path: &Path) -> anyhow::Result<()> {
        let r = match self {
            Output::Plain(mut w) => w.flush(),
            Output::Gz(gz) => gz.finish().and_then(|mut w| w.flush()),
        };
        r.with_context(|| format!("write {}", path.display()))
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

/// Persons on board as a coordinator should read them: a count with its interval and how
/// many looks ("81 (79-83, 12 looks)"), or a prior marked as one ("~5 (prior, 1-203)").
pub fn pob_text(p: &pb::PersonsOnBoard) -> String {
    let flag = if p.overcrowded { " OVERCROWDED" } else { "" };
    match p.basis() {
        pb::PobBasis::Counted => format!(
            "{} ({}-{}, {} look{}){flag}",
            p.estimate,
            p.low,
            p.high,
            p.looks,
            if p.looks == 1 { "" } else { "s" }
        ),
        _ => format!("~{} (prior, {}-{}){flag}", p.estimate, p.low, p.high),
    }
}

/// Persons on board for `--json` output: `{estimate, low, high, basis, looks, ...}`.
pub fn pob_json(p: &pb::PersonsOnBoard) -> serde_json::Value {
    serde_json::json!({
        "estimate": p.estimate, "low": p.low, "high": p.high,
        "basis": match p.basis() { pb::PobBasis::Counted => "counted", _ => "prior" },
        "looks": p.looks,
        "safe_capacity": p.safe_capacity, "overcrowded": p.overcrowded,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every flag and positional of every subcommand says what it is for.
    #[test]
    fn persons_on_board_say_whether_they_are_a_count() {
        let mut p = pb::PersonsOnBoard { estimate: 5, low: 1, high: 203, ..Default::default() };
        p.set_basis(pb::PobBasis::Prior);
        assert_eq!(pob_text(&p), "~5 (prior, 1-203)");
        p = pb::PersonsOnBoard { estimate: 81, low: 79, high: 83, looks: 12, overcrowded: true, ..Default::default() };
        p.set_basis(pb::PobBasis::Counted);
        assert_eq!(pob_text(&p), "81 (79-83, 12 looks) OVERCROWDED");
        assert_eq!(pob_json(&p)["basis"], "counted");
    }

    #[test]
    fn every_argument_has_help() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for a in cmd.get_arguments() {
                if a.get_help().is_none() && a.get_long_help().is_none() {
                    missing.push(format!("{path} {}", a.get_id()));
                }
            }
            for sub in cmd.get_subcommands() {
                if sub.get_about().is_none() && sub.get_name() != "help" {
                    missing.push(format!("{path} {} (the command)", sub.get_name()));
                }
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&<Args as clap::CommandFactory>::command(), "lookout", &mut missing);
        assert!(missing.is_empty(), "without help: {missing:?}");
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn bare_host_port_means_http_and_other_schemes_are_refused() {
        let r = |server: &str, ca: Option<&str>| RemoteArgs {
            server: server.into(),
            token: None,
            ca: ca.map(PathBuf::from),
            purpose: None,
        };
        assert_eq!(r("127.0.0.1:50051", None).url().unwrap(), "http://127.0.0.1:50051");
        assert_eq!(r("localhost:50051", None).url().unwrap(), "http://localhost:50051");
        assert_eq!(r("localhost:50051", Some("ca.pem")).url().unwrap(), "https://localhost:50051");
        assert_eq!(r("HTTPS://h:1", None).url().unwrap(), "HTTPS://h:1");
        let e = r("grpc://h:1", None).url().unwrap_err().to_string();
        assert!(e.contains("http:// or https://"), "{e}");
        assert_eq!(r("h:7", None).host_port(), "h:7");
        assert_eq!(r("https://h", None).host_port(), "h:443");
    }

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
