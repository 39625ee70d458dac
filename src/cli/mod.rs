//! The subcommands, one module each. [`Args`] is the whole command line;
//! each module holds its subcommand's arguments and the code that runs it.

mod ack;
mod alerts;
mod archive;
mod baseline;
mod decode;
mod history;
mod near;
mod replay;
mod serve;
mod simulate;
mod token;

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Parser, Subcommand};
use lookout_core::geodesy::M_PER_NM;
use lookout_server::api::pb;

pub use alerts::{alert_filter_args, alert_line};
pub use baseline::simulated_area;
pub use decode::decode_file;
pub use near::near_table;
pub use serve::{add_demo, DEMO_BASELINE, DEMO_RECORDING};
pub use simulate::radar_config;

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
    Alerts(alerts::AlertsArgs),
    Token(token::TokenArgs),
    Ack(ack::AckArgs),
    Replay(replay::ReplayArgs),
    Baseline(baseline::BaselineArgs),
    Simulate(simulate::SimulateArgs),
    Archive(archive::ArchiveArgs),
    History(history::HistoryArgs),
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
            Command::Alerts(a) => a.run().await,
            Command::Token(a) => a.run(),
            Command::Ack(a) => a.run().await,
            Command::Replay(a) => a.run(),
            Command::Baseline(a) => a.run(),
            Command::Simulate(a) => a.run(),
            Command::Archive(a) => a.run(),
            Command::History(a) => a.run().await,
        }
    }
}

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
pub type Client = pb::lookout_client::LookoutClient<
    tonic::service::interceptor::InterceptedService<tonic::transport::Channel, Bearer>,
>;

/// A client of the service `r` names, with its token.
pub async fn connect(r: &RemoteArgs) -> anyhow::Result<Client> {
    let server = &r.server;
    let mut endpoint = tonic::transport::Channel::from_shared(server.clone())
        .with_context(|| format!("--server {server:?} is not a URL"))?;
    if let Some(ca) = &r.ca {
        let pem = std::fs::read(ca).with_context(|| format!("read {}", ca.display()))?;
        let tls = tonic::transport::ClientTlsConfig::new().ca_certificate(tonic::transport::Certificate::from_pem(pem));
        endpoint = endpoint.tls_config(tls).context("--ca")?;
    }
    let channel = endpoint.connect().await.with_context(|| format!("cannot connect to {server}"))?;
    let bearer = match &r.token {
        Some(t) => Some(
            format!("Bearer {}", t.trim()).parse().map_err(|_| anyhow::anyhow!("--token is not printable ASCII"))?,
        ),
        None => None,
    };
    Ok(pb::lookout_client::LookoutClient::with_interceptor(channel, Bearer(bearer)))
}

/// A refused call, as the user should read it.
fn remote(s: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("server refused the call: {:?}: {}", s.code(), s.message())
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
