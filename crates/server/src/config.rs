//! Service configuration, read from TOML (`config/default.toml`). Each
//! stage owns its section (`[picture]` in `lookout-picture`, `[tracker]` in
//! `lookout-track`, `[score]` and `[[zone]]` in `lookout-score`, `[alerts]`
//! in `lookout-alert`, `[[radar]]` in `lookout-ais`); this module gathers
//! them with the service's own (`[service]`, `[[source]]`, `[[operator]]`,
//! `[baseline]`, `[console]`, `[metrics]`) and checks the whole, reporting
//! every problem at once.
//!
//! Every duration is written the humane way (`"30m"`, `"5s"`), parsed by
//! `humantime`. Unknown keys are rejected so a typo is an error, not a default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lookout_ais::{LineFormat, RadarConfig};
use lookout_alert::AlertPolicy;
use lookout_engine::EngineConfig;
use lookout_picture::PictureConfig;
use lookout_score::{ScoreConfig, ZoneConfig, Zones};
use lookout_track::TrackerConfig;
use serde::Deserialize;

use crate::error::Error;

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub service: ServiceConfig,
    #[serde(default)]
    pub picture: PictureConfig,
    /// Named input feeds. `[[source]]` tables in TOML.
    #[serde(default, rename = "source")]
    pub sources: Vec<SourceConfig>,
    /// Radar sites whose `TTM`/`TLL` sentences arrive on the sources.
    /// `[[radar]]` tables in TOML.
    #[serde(default, rename = "radar")]
    pub radars: Vec<RadarConfig>,
    /// The multi-sensor tracker (gates, confirmation, deletion). `[tracker]`.
    #[serde(default)]
    pub tracker: TrackerConfig,
    /// Detector thresholds. `[score]`.
    #[serde(default)]
    pub score: ScoreConfig,
    /// Alert hysteresis. `[alerts]`.
    #[serde(default)]
    pub alerts: AlertPolicy,
    /// The traffic baseline the detectors score against. `[baseline]`.
    #[serde(default)]
    pub baseline: BaselineConfig,
    /// Who may use the API. `[[operator]]` tables, here and in `operators_file`;
    /// none: the API is open.
    #[serde(default, rename = "operator")]
    pub operators: Vec<OperatorConfig>,
    /// A file of more `[[operator]]` tables, relative to this file's folder:
    /// the accounts change without anyone editing the service's settings, and a
    /// running `lookout serve` puts a change in force within
    /// [`OPERATORS_FILE_POLL`]. Once loaded, the resolved path.
    #[serde(default)]
    pub operators_file: Option<PathBuf>,
    /// Ports, anchorages, fishing grounds and traffic lanes. `[[zone]]`
    /// tables in TOML; [`Config::parse`] hands them to the detectors.
    #[serde(default, rename = "zone")]
    pub zones: Vec<ZoneConfig>,
    /// AIS receiving stations with their nominal range (`[[ais_receiver]]` tables);
    /// [`Config::parse`] hands them to the AIS_GAP detector as a prior on coverage.
    #[serde(default, rename = "ais_receiver")]
    pub ais_receivers: Vec<lookout_score::AisReceiverConfig>,
    /// The operations-centre console in the browser. `[console]`; without
    /// `listen`, no console is served.
    #[serde(default)]
    pub console: crate::console::ConsoleConfig,
    /// Prometheus metrics (`GET /metrics`) on a listener of their own.
    /// `[metrics]`; without `listen`, no metrics are served.
    #[serde(default)]
    pub metrics: crate::metrics::MetricsConfig,
    /// The archive: every input, acknowledgement and alert version on disk before it
    /// counts, and recovery from it at start. `[archive]`; absent, a restart forgets.
    #[serde(default)]
    pub archive: Option<crate::store::ArchiveConfig>,
    /// Every API call in an audit archive of its own. `[audit]`; absent, calls are
    /// audited in `[archive]` when there is one (and only logged otherwise).
    #[serde(default)]
    pub audit: Option<crate::store::AuditConfig>,
    /// NMEA output feeds for chart plotters (`[[output]]` tables; see [`crate::output`]).
    #[serde(default, rename = "output")]
    pub outputs: Vec<crate::output::OutputConfig>,
    /// The sections a reload may change in a running engine (`[score]`, `[alerts]`,
    /// `[[zone]]`), as canonical TOML: what the archive records when they change,
    /// and what recovery reads back. Empty for a configuration built in code.
    #[serde(skip)]
    pub engine_sections: String,
}

/// `[score]`, `[alerts]` and `[[zone]]` of `text` alone, as canonical TOML (keys
/// sorted), so the same settings always give the same text.
fn engine_sections(text: &str) -> Result<String, Error> {
    let table: toml::Table = toml::from_str(text).map_err(|e| Error::config(e.to_string().trim_end()))?;
    let kept: toml::Table = table.into_iter().filter(|(k, _)| RELOADABLE_SECTIONS.contains(&k.as_str())).collect();
    toml::to_string(&kept).map_err(|e| Error::config(format!("engine sections: {e}")))
}

/// How often a running service looks at `operators_file` for a change.
pub const OPERATORS_FILE_POLL: Duration = Duration::from_secs(2);

/// The top-level keys a reload (SIGHUP) puts in force in the running engine; the
/// others take effect at the next start.
pub const RELOADABLE_SECTIONS: [&str; 4] = ["score", "alerts", "zone", "ais_receiver"];

/// A person or system allowed to call the API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorConfig {
    /// Shown in the access log and recorded on acknowledgements.
    pub name: String,
    /// SHA-256 of the bearer token, 64 hex digits (`lookout token` makes both).
    /// Each operator has this or `certificate_subject`, not both.
    #[serde(default)]
    pub token_sha256: Option<String>,
    /// The subject of the client certificate that identifies this operator on
    /// the gRPC port, in RFC 4514 form as `openssl x509 -noout -subject
    /// -nameopt RFC2253` prints it (e.g. "CN=radar-lampedusa,O=Guardia Costiera").
    /// Needs `[service.tls] client_ca`, whose authority must have signed it:
    /// machines such as radar and drone feeders carry a certificate, not a token.
    #[serde(default)]
    pub certificate_subject: Option<String>,
    pub roles: Vec<Role>,
    /// When the token stops working, RFC 3339 (e.g. "2027-01-31T00:00:00Z"); none: never.
    #[serde(default)]
    pub expires: Option<String>,
    /// The region this operator may see, as `[[lat, lon], ...]` vertices in degrees (at
    /// least 3, the closing vertex optional, not crossing the antimeridian). Enforced by
    /// the server on every query, stream, alert and history call: a vessel or alert whose
    /// last position is outside does not exist for this operator. None: the whole sea.
    #[serde(default)]
    pub area: Option<Vec<[f64; 2]>>,
}

impl OperatorConfig {
    /// When the token expires, ms since the epoch; `Err` if `expires` is not RFC 3339.
    pub fn expires_ms(&self) -> Result<Option<i64>, String> {
        self.expires
            .as_deref()
            .map(|t| {
                chrono::DateTime::parse_from_rfc3339(t.trim())
                    .map(|d| d.timestamp_millis())
                    .map_err(|e| format!("expires {t:?} is not an RFC 3339 time such as 2027-01-31T00:00:00Z: {e}"))
            })
            .transpose()
    }

    /// The region of [`OperatorConfig::area`], ready for point tests; `Ok(None)` without
    /// one, `Err` naming what is wrong with it (fewer than 3 distinct vertices, a
    /// latitude/longitude out of range, all vertices on one line, or wider than 180° of
    /// longitude).
    pub fn region(&self) -> Result<Option<std::sync::Arc<lookout_picture::BandedPolygon>>, String> {
        let Some(vertices) = &self.area else { return Ok(None) };
        let points: Vec<lookout_core::LatLon> =
            vertices.iter().map(|[lat, lon]| lookout_core::LatLon::new(*lat, *lon)).collect();
        let area = lookout_picture::Area::polygon(&points).map_err(|e| format!("area: {}", e.reason))?;
        // Twice the signed area (shoelace), degrees²: zero when every vertex lies on one
        // line, a polygon that holds no water and would hide the whole sea.
        let n = points.len();
        let twice: f64 = (0..n)
            .map(|i| {
                let (a, b) = (points[i], points[(i + 1) % n]);
                a.lon_deg * b.lat_deg - b.lon_deg * a.lat_deg
            })
            .sum();
        if twice.abs() < 1e-12 {
            return Err("area: its vertices are all on one line (the polygon has no surface)".into());
        }
        match area {
            lookout_picture::Area::Polygon(p) => Ok(Some(p)),
            _ => Err("area: not a polygon".into()),
        }
    }

    /// The digest's bytes, if it is 64 hex digits.
    pub fn digest(&self) -> Option<[u8; 32]> {
        let h = self.token_sha256.as_deref()?.trim();
        if h.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(h.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(out)
    }
}

/// What an operator may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Queries and streams: vessels, tracks, alerts.
    Viewer,
    /// A viewer who may also acknowledge alerts.
    Operator,
    /// Feeds data in (`Ingest`, `PushDetections`).
    Feeder,
    /// History from the archive (`VesselHistory`, `AlertHistory`, `Replay`, `AreaHistory`).
    Analyst,
    /// A rescue coordination centre: `VesselsNear`, `GetVessel`, and the distress and
    /// overcrowded alerts only (`ListAlerts`, `SubscribeAlerts` filtered server-side):
    /// pictures given for rescue do not serve enforcement.
    Rescue,
    /// Everything, and alone the service's own counters (`Stats`: its feeds'
    /// names and addresses are part of the surveillance network's layout).
    Admin,
}

impl Role {
    /// Every role, in the order `lookout token --help` lists them.
    pub const ALL: [Role; 6] = [Role::Viewer, Role::Operator, Role::Feeder, Role::Analyst, Role::Rescue, Role::Admin];

    /// The role's name in the configuration (`roles = ["viewer"]`).
    pub fn name(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Feeder => "feeder",
            Role::Analyst => "analyst",
            Role::Rescue => "rescue",
            Role::Admin => "admin",
        }
    }

    /// What the role may do, in one line (for command-line help).
    pub fn summary(self) -> &'static str {
        match self {
            Role::Viewer => "Queries and streams: vessels, tracks, alerts",
            Role::Operator => "A viewer who may also acknowledge alerts",
            Role::Feeder => "Feeds data in (Ingest, PushDetections)",
            Role::Analyst => "History from the archive (VesselHistory, AlertHistory, Replay, AreaHistory)",
            Role::Rescue => "A rescue centre: VesselsNear, GetVessel, and distress and overcrowded alerts only",
            Role::Admin => "Everything, and alone the service's own counters (Stats, AuditLog) and legal holds",
        }
    }

    /// Whether holding `self` grants `need`.
    pub fn allows(self, need: Role) -> bool {
        self == need || self == Role::Admin || (self == Role::Operator && need == Role::Viewer)
    }

    /// Whether this role may call the `lookout.v1.Lookout` method `method`.
    pub fn may_call(self, method: &str) -> bool {
        match self {
            Role::Admin => true,
            Role::Rescue => matches!(method, "VesselsNear" | "GetVessel" | "ListAlerts" | "SubscribeAlerts"),
            _ => self.allows(Role::for_method(method)),
        }
    }

    /// The role a method needs (besides admin; `Rescue` may call a few viewer methods).
    pub fn for_method(method: &str) -> Role {
        match method {
            "Ingest" | "PushDetections" => Role::Feeder,
            "AcknowledgeAlert" => Role::Operator,
            "VesselHistory" | "AlertHistory" | "Replay" | "AreaHistory" => Role::Analyst,
            "VesselsNear" | "GetVessel" | "VesselsInArea" | "SubscribeTracks" | "ListAlerts" | "SubscribeAlerts"
            | "ListSensors" => Role::Viewer,
            // Stats, AuditLog, the legal holds, and any method added without a line
            // here: fail closed, so a new call is never open to every viewer by accident.
            _ => Role::Admin,
        }
    }
}

/// A name that is no [`Role`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {given:?}: the roles are {}", Role::ALL.map(Role::name).join(", "))]
pub struct UnknownRole {
    pub given: String,
}

/// Parses a role by its configuration name ([`Role::name`]; exact case, as in the
/// configuration file).
impl std::str::FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.name() == s).ok_or_else(|| UnknownRole { given: s.to_string() })
    }
}

/// TLS for the gRPC server (rustls).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
    /// PEM certificates of the authority that signs client certificates. Set:
    /// a client may present a certificate, and one this authority did not sign
    /// fails the handshake; `[[operator]] certificate_subject` names whose it is.
    /// Clients without a certificate still connect (they use bearer tokens).
    #[serde(default)]
    pub client_ca: Option<PathBuf>,
    /// Every `feeder` operator must be identified by a client certificate
    /// (`certificate_subject`), never by a bearer token alone: a token can be
    /// copied off a radar site's disk, a key in a hardware module cannot.
    #[serde(default)]
    pub feeders_need_certificates: bool,
}

/// Where the baseline comes from and whether live traffic updates it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BaselineConfig {
    /// Baseline file (`lookout baseline build`), loaded at start. Without
    /// one, the detectors that need a baseline (loitering, route deviation,
    /// learned rest areas) stay silent rather than guess, and so does
    /// rendezvous unless a port or anchorage `[[zone]]` is configured.
    pub path: Option<PathBuf>,
    /// Refuse a baseline built for another area (its grid name, e.g.
    /// "strait-of-sicily").
    pub area: Option<String>,
    /// Learn incrementally from live AIS traffic (capped per cell and day,
    /// so a week of smuggling cannot teach it that smuggling is normal).
    pub learn: bool,
    /// Write the learned baseline back to `path` this often (and at shutdown).
    /// Absent: never written back.
    #[serde(with = "humantime_serde")]
    pub save_every: Option<Duration>,
}

impl Default for BaselineConfig {
    fn default() -> Self {
        Self { path: None, area: None, learn: true, save_every: None }
    }
}

/// Which clock the service runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockMode {
    /// The wall clock: a live service.
    #[default]
    Wall,
    /// The newest observation's own time: for replaying a recording (not
    /// shifted to now) into a running server, so ageing, hysteresis and
    /// alert times follow the recording as `lookout replay` does.
    Recording,
}

/// Default of `[service] detections_per_s_per_feeder`: 25 times what a busy
/// sensor gateway sends, and about a twentieth of what one client can push on
/// this project's 2-core machine (so a flood takes a small share of the engine).
pub const DEFAULT_DETECTIONS_PER_S_PER_FEEDER: u32 = 5_000;
/// Default of `[service] max_connections_per_peer`.
pub const DEFAULT_MAX_CONNECTIONS_PER_PEER: usize = 256;
/// Default of `[service] max_connections_per_operator`: as many as one address may
/// hold, so a watch room sharing one login behind one NAT address is never refused
/// by it, while a leaked token spread over many addresses is.
pub const DEFAULT_MAX_CONNECTIONS_PER_OPERATOR: usize = DEFAULT_MAX_CONNECTIONS_PER_PEER;

/// The gRPC endpoint and streaming behaviour.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceConfig {
    /// Address the gRPC server listens on.
    pub listen: SocketAddr,
    /// Interval between heartbeats on streaming calls.
    #[serde(with = "humantime_serde")]
    pub heartbeat: Duration,
    /// How often each source's counters are written to the log.
    #[serde(with = "humantime_serde")]
    pub stats_log_every: Duration,
    /// "wall" (default) or "recording".
    pub clock: ClockMode,
    /// Append every alert change (JSON Lines) to this file.
    pub alert_journal: Option<PathBuf>,
    /// Serve gRPC over TLS. `[service.tls]`.
    pub tls: Option<TlsConfig>,
    /// Detection events per second each `PushDetections` feeder (an operator,
    /// or an address on an open service) may push; faster feeders are slowed
    /// by flow control, not refused. A drone sends a few per second, a sensor
    /// gateway a few hundred.
    pub detections_per_s_per_feeder: u32,
    /// TCP connections one peer address may hold open on the gRPC port (and,
    /// separately, on the console's); further connections are closed at once
    /// and counted. A console holds one, a watch room behind one NAT address a
    /// few dozen.
    pub max_connections_per_peer: usize,
    /// Connections one operator may hold on the gRPC port and the console's
    /// together, from all its addresses. A connection counts from its first
    /// authenticated call until it closes; a call on a further connection is
    /// refused (RESOURCE_EXHAUSTED naming the limit) and counted.
    pub max_connections_per_operator: usize,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 50051)),
            heartbeat: Duration::from_secs(5),
            stats_log_every: Duration::from_secs(60),
            clock: ClockMode::Wall,
            alert_journal: None,
            tls: None,
            detections_per_s_per_feeder: DEFAULT_DETECTIONS_PER_S_PER_FEEDER,
            max_connections_per_peer: DEFAULT_MAX_CONNECTIONS_PER_PEER,
            max_connections_per_operator: DEFAULT_MAX_CONNECTIONS_PER_OPERATOR,
        }
    }
}

/// One input feed. `kind` selects the transport. (Unknown keys are caught by
/// [`SourceKind`]: serde cannot deny them on a struct with a flattened field.)
#[derive(Debug, Clone, Deserialize)]
pub struct SourceConfig {
    /// Unique name, shown in `Stats` and in logs.
    pub name: String,
    /// What the lines are: NMEA (AIS and radar sentences) or detection events
    /// (JSON Lines). Files ending in `.jsonl` / `.jsonl.gz` default to detections.
    #[serde(default)]
    pub format: Option<LineFormat>,
    /// Networks an inbound feed (`tcp_listener`, `udp`) takes senders from, in
    /// CIDR notation (`"10.20.0.0/16"`, `"192.0.2.7/32"`); empty: any sender.
    /// Others are refused unread and counted (`peers_refused`). A UDP source
    /// address can be forged, so this narrows a feed; it does not authenticate it.
    #[serde(default)]
    pub allow_from: Vec<ipnet::IpNet>,
    /// With `[[operator]]`s configured, an inbound network feed carries no
    /// token, so it is accepted only when this says so (and the start log
    /// says it): nobody opens an unauthenticated way into the picture by
    /// accident.
    #[serde(default)]
    pub allow_unauthenticated: bool,
    /// TLS with client certificates on a `tcp_listener` feed: only a sender
    /// whose certificate the `client_ca` signed may feed (an authenticated
    /// feed, so `allow_unauthenticated` is not needed for it).
    #[serde(default)]
    pub tls: Option<FeedTlsConfig>,
    #[serde(flatten)]
    pub kind: SourceKind,
}

/// `[[source]] tls = { cert, key, client_ca }`: PEM files.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedTlsConfig {
    /// The feed's certificate chain.
    pub cert: PathBuf,
    /// Its private key.
    pub key: PathBuf,
    /// The authority (PEM, one or more certificates) whose client certificates are accepted.
    pub client_ca: PathBuf,
}

impl SourceConfig {
    /// The line format of a network source (files go by their names).
    pub fn line_format(&self) -> LineFormat {
        self.format.unwrap_or(LineFormat::Nmea)
    }
}

impl SourceKind {
    /// A feed anyone who can reach its socket may send to (`tcp_listener`, `udp`):
    /// the kind `allow_from` and `allow_unauthenticated` are about.
    pub fn is_inbound(&self) -> bool {
        matches!(self, SourceKind::TcpListener { .. } | SourceKind::Udp { .. })
    }

    /// The files of a `file` source: `path` first, then `paths`.
    pub fn files(&self) -> Vec<PathBuf> {
        match self {
            SourceKind::File { path, paths, .. } => path.iter().chain(paths).cloned().collect(),
            _ => vec![],
        }
    }
}

/// Transport of a source.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SourceKind {
    /// Connects to a feed (e.g. a national AIS network) and reconnects with
    /// exponential backoff when it drops.
    TcpClient {
        /// `host:port`.
        address: String,
        #[serde(default = "default_backoff_min", with = "humantime_serde")]
        reconnect_min: Duration,
        #[serde(default = "default_backoff_max", with = "humantime_serde")]
        reconnect_max: Duration,
    },
    /// Accepts feeders that connect and push NMEA lines.
    TcpListener { listen: SocketAddr },
    /// Receives datagrams, as AIS-catcher or rtl-ais send them.
    Udp {
        listen: SocketAddr,
        /// Socket receive buffer, bytes: how large a burst the kernel holds
        /// while the service catches up (capped by `net.core.rmem_max`;
        /// datagrams dropped beyond it are counted as `udp_dropped`).
        #[serde(default = "default_udp_recv_buffer")]
        recv_buffer_bytes: usize,
    },
    /// Plays a recording: one file (`path`) or several merged by time
    /// (`paths`), plain or gzip (detected by content). `.jsonl` files hold
    /// detection events, others NMEA (AIS and radar sentences).
    File {
        #[serde(default)]
        path: Option<PathBuf>,
        #[serde(default)]
        paths: Vec<PathBuf>,
        /// Replay speed: 1.0 is real time, 10.0 ten times faster, 0 as fast as possible.
        #[serde(default)]
        pace: f64,
        /// Start again at the end (for demos).
        #[serde(default, rename = "loop")]
        repeat: bool,
        /// Shift recorded times so the recording plays as if it were happening now
        /// (a demo on old data still shows a live picture; the default). Off:
        /// recorded times are kept, and vessels older than `vessel_max_age` age out.
        #[serde(default = "default_true")]
        shift_to_now: bool,
    },
}

/// Whether two TCP listeners would want the same port (port 0 is any free
/// port, so never the same; an unspecified address takes the port on every one).
fn same_port(a: SocketAddr, b: SocketAddr) -> bool {
    a.port() != 0 && a.port() == b.port() && (a.ip() == b.ip() || a.ip().is_unspecified() || b.ip().is_unspecified())
}

fn default_udp_recv_buffer() -> usize {
    // 4 MiB holds about 50,000 AIS datagrams: a second of a national feed.
    4 << 20
}

fn default_true() -> bool {
    true
}
fn default_backoff_min() -> Duration {
    Duration::from_secs(1)
}
fn default_backoff_max() -> Duration {
    Duration::from_secs(60)
}

/// The `[[operator]]` tables of an `operators_file` (nothing else may be in it).
fn read_operators(path: &Path) -> Result<Vec<OperatorConfig>, Error> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct OperatorsFile {
        #[serde(default, rename = "operator")]
        operators: Vec<OperatorConfig>,
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::config(format!("operators_file: cannot read {}: {e}", path.display())))?;
    toml::from_str::<OperatorsFile>(&text)
        .map(|f| f.operators)
        .map_err(|e| Error::config(format!("operators_file {}: {}", path.display(), e.to_string().trim_end())))
}

impl Config {
    /// Reads and validates a configuration file (and its `operators_file`).
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text =
            std::fs::read_to_string(path).map_err(|e| Error::config(format!("cannot read {}: {e}", path.display())))?;
        Self::parse_in(&text, path.parent()).map_err(|e| match e {
            Error::Config(problems) => {
                Error::Config(problems.into_iter().map(|m| format!("{}: {m}", path.display())).collect())
            }
            other => other,
        })
    }

    /// Parses and validates TOML text: every problem is reported, each
    /// naming its key. An `operators_file` is relative to the working directory.
    pub fn parse(text: &str) -> Result<Self, Error> {
        Self::parse_in(text, None)
    }

    /// [`Config::parse`] of a file in `dir`, where its `operators_file` is.
    fn parse_in(text: &str, dir: Option<&Path>) -> Result<Self, Error> {
        let mut cfg: Config = toml::from_str(text).map_err(|e| Error::config(e.to_string().trim_end()))?;
        if let Some(file) = &cfg.operators_file {
            let file = dir.map_or_else(|| file.clone(), |d| d.join(file));
            cfg.operators.extend(read_operators(&file)?);
            cfg.operators_file = Some(file);
        }
        let problems = cfg.problems();
        if !problems.is_empty() {
            return Err(Error::Config(problems));
        }
        cfg.score.zones = Zones::new(cfg.zones.iter().map(ZoneConfig::zone).collect());
        cfg.score.ais_receivers = lookout_score::AisReceivers::new(cfg.ais_receivers.clone());
        cfg.engine_sections = engine_sections(text)?;
        Ok(cfg)
    }

    /// The engine's sections.
    pub fn engine(&self) -> EngineConfig {
        EngineConfig {
            picture: self.picture.clone(),
            tracker: self.tracker.clone(),
            score: self.score.clone(),
            alerts: self.alerts.clone(),
            learn: self.baseline.learn,
        }
    }

    /// The TCP listeners other than metrics, each with the key that sets it.
    fn tcp_listeners(&self) -> impl Iterator<Item = (String, SocketAddr)> + '_ {
        let service = std::iter::once(("service.listen".to_string(), self.service.listen));
        let console = self.console.listen.map(|a| ("console.listen".to_string(), a));
        let sources = self.sources.iter().filter_map(|s| match s.kind {
            SourceKind::TcpListener { listen } => Some((format!("the listen of source {:?}", s.name), listen)),
            _ => None,
        });
        let outputs = self
            .outputs
            .iter()
            .enumerate()
            .filter_map(|(i, o)| o.listen.map(|a| (format!("output {}'s listen", i + 1), a)));
        service.chain(console).chain(sources).chain(outputs)
    }

    /// Everything wrong with the configuration, each naming its key.
    fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(a) = &self.archive {
            out.extend(a.problems());
        }
        if let Some(a) = &self.audit {
            out.extend(a.problems(self.archive.as_ref()));
        }
        out.extend(crate::output::config::problems(&self.outputs));
        for (i, o) in self.outputs.iter().enumerate() {
            let on_loopback = o.listen.or(o.target).is_some_and(|a| a.ip().is_loopback());
            if !self.operators.is_empty() && !on_loopback && !o.allow_unauthenticated {
                out.push(format!(
                    "output {}: with [[operator]]s configured, this feed would show every vessel and dark track to \
                     anyone on its network, with no token: keep it on loopback, or set allow_unauthenticated = true \
                     (with allow_from) to mean it",
                    i + 1
                ));
            }
        }
        if let Err(e) = self.alerts.validate() {
            out.push(e);
        }
        if !(0.01..=1.0).contains(&self.score.gap_edge_cell_deg) {
            out.push(format!(
                "score.gap_edge_cell_deg must be within 0.01..=1 degrees, got {}",
                self.score.gap_edge_cell_deg
            ));
        }
        if !(0.0..=1.0).contains(&self.score.gap_edge_min_share) {
            out.push(format!("score.gap_edge_min_share must be within 0..=1, got {}", self.score.gap_edge_min_share));
        }
        let mut names = std::collections::BTreeSet::new();
        for s in &self.sources {
            if s.name.trim().is_empty() {
                out.push("source.name must not be empty".into());
            } else if let Some(p) = crate::source::source_name_problem(&s.name) {
                out.push(format!("source.name {:?}…: {p}", s.name.chars().take(40).collect::<String>()));
            } else if !names.insert(s.name.as_str()) {
                out.push(format!("source.name {:?} is used twice", s.name));
            }
            match &s.kind {
                SourceKind::File { pace, .. } if !(pace.is_finite() && *pace >= 0.0) => {
                    out.push(format!("source {:?}: pace must be >= 0", s.name));
                }
                SourceKind::File { .. } if s.kind.files().is_empty() => {
                    out.push(format!("source {:?}: a file source needs path or paths", s.name));
                }
                SourceKind::TcpClient { reconnect_min, reconnect_max, .. }
                    if reconnect_min.is_zero() || reconnect_min > reconnect_max =>
                {
                    out.push(format!("source {:?}: need 0 < reconnect_min <= reconnect_max", s.name));
                }
                _ => {}
            }
            let inbound = s.kind.is_inbound();
            if !inbound && !s.allow_from.is_empty() {
                out.push(format!("source {:?}: allow_from applies to tcp_listener and udp sources only", s.name));
            }
            if s.tls.is_some() && !matches!(s.kind, SourceKind::TcpListener { .. }) {
                out.push(format!("source {:?}: tls applies to tcp_listener sources only", s.name));
            }
            if inbound && !self.operators.is_empty() && !s.allow_unauthenticated && s.tls.is_none() {
                out.push(format!(
                    "source {:?}: with [[operator]]s configured, this feed would take NMEA from anyone who can \
                     reach it, without a token: set allow_unauthenticated = true to mean it (and allow_from to \
                     the senders' networks), require client certificates (tls = {{ cert, key, client_ca }}), \
                     or feed through Ingest with a feeder token",
                    s.name
                ));
            }
        }
        let mut stations = std::collections::BTreeSet::new();
        for r in &self.radars {
            out.extend(r.problems());
            if !r.station.trim().is_empty() && !stations.insert(r.station.as_str()) {
                out.push(format!("radar {:?}: station is used twice", r.station));
            }
        }
        let mut zone_names = std::collections::BTreeSet::new();
        for z in &self.zones {
            out.extend(z.problems());
            if !z.name.trim().is_empty() && !zone_names.insert(z.name.as_str()) {
                out.push(format!("zone {:?}: name is used twice", z.name));
            }
        }
        let mut receiver_names = std::collections::BTreeSet::new();
        for r in &self.ais_receivers {
            out.extend(r.problems());
            if !r.name.trim().is_empty() && !receiver_names.insert(r.name.as_str()) {
                out.push(format!("ais_receiver {:?}: name is used twice", r.name));
            }
        }
        out.extend(self.picture.problems());
        if self.tracker.max_tracks == 0 {
            out.push("tracker.max_tracks must be > 0".into());
        }
        if self.service.heartbeat.is_zero() {
            out.push("service.heartbeat must be > 0".into());
        }
        if self.service.detections_per_s_per_feeder == 0 {
            out.push("service.detections_per_s_per_feeder must be > 0".into());
        }
        if self.service.tls.as_ref().is_some_and(|t| t.feeders_need_certificates && t.client_ca.is_none()) {
            out.push("service.tls.feeders_need_certificates needs service.tls.client_ca".into());
        }
        if self.service.max_connections_per_peer == 0 {
            out.push("service.max_connections_per_peer must be > 0".into());
        }
        if self.service.max_connections_per_operator == 0 {
            out.push("service.max_connections_per_operator must be > 0".into());
        }
        if self.service.stats_log_every.is_zero() {
            out.push("service.stats_log_every must be > 0".into());
        }
        let mut operators = std::collections::BTreeSet::new();
        for o in &self.operators {
            if o.name.trim().is_empty() || !operators.insert(o.name.as_str()) {
                out.push(format!("operator {:?}: name must be set and unique", o.name));
            }
            if let Err(e) = o.expires_ms() {
                out.push(format!("operator {:?}: {e}", o.name));
            }
            let client_ca = self.service.tls.as_ref().is_some_and(|t| t.client_ca.is_some());
            match (&o.token_sha256, &o.certificate_subject) {
                (Some(_), None) if o.digest().is_none() => out.push(format!(
                    "operator {:?}: token_sha256 must be 64 hex digits (the SHA-256 of the token, not the token)",
                    o.name
                )),
                (Some(_), None) => {}
                (None, Some(s)) if s.trim().is_empty() => {
                    out.push(format!("operator {:?}: certificate_subject must not be empty", o.name))
                }
                (None, Some(_)) if !client_ca => out.push(format!(
                    "operator {:?}: certificate_subject needs [service.tls] client_ca (the authority that signs client \
                     certificates)",
                    o.name
                )),
                (None, Some(_)) => {}
                (None, None) => out.push(format!(
                    "operator {:?}: give token_sha256 (a bearer token) or certificate_subject (a client certificate)",
                    o.name
                )),
                (Some(_), Some(_)) => out.push(format!(
                    "operator {:?}: token_sha256 and certificate_subject are exclusive: one identity per operator",
                    o.name
                )),
            }
            let tls = self.service.tls.as_ref();
            if tls.is_some_and(|t| t.feeders_need_certificates)
                && o.roles.contains(&Role::Feeder)
                && o.certificate_subject.is_none()
            {
                out.push(format!(
                    "operator {:?}: service.tls.feeders_need_certificates: a feeder needs certificate_subject",
                    o.name
                ));
            }
            if o.roles.is_empty() {
                out.push(format!("operator {:?}: roles must not be empty", o.name));
            }
            if let Err(e) = o.region() {
                out.push(format!("operator {:?}: {e}", o.name));
            }
        }
        if let Some(m) = self.metrics.listen {
            out.extend(
                self.tcp_listeners().filter(|(_, a)| same_port(m, *a)).map(|(what, a)| {
                    format!("metrics.listen {m} is also {what} ({a}): give metrics a port of its own")
                }),
            );
        }
        match (&self.baseline.path, self.baseline.save_every) {
            (None, Some(_)) => out.push("baseline.save_every needs baseline.path".into()),
            (_, Some(d)) if d < Duration::from_secs(1) => out.push("baseline.save_every must be at least 1s".into()),
            _ => {}
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A role's name parses back to it and is the name the configuration file uses;
    /// anything else is refused, naming every role.
    #[test]
    fn history_from_the_archive_is_for_analysts() {
        for method in ["VesselHistory", "AlertHistory", "Replay", "AreaHistory"] {
            assert!(Role::Analyst.may_call(method) && Role::Admin.may_call(method), "{method}");
            for other in [Role::Viewer, Role::Operator, Role::Feeder, Role::Rescue] {
                assert!(!other.may_call(method), "{other:?} may not call {method}");
            }
        }
    }

    /// The service's own counters, the audit, the legal holds and any method this table
    /// does not know are the admin's alone.
    #[test]
    fn what_no_line_names_is_the_admins() {
        for method in ["Stats", "AuditLog", "PlaceHold", "ReleaseHold", "ListHolds", "SomeNewMethod"] {
            assert!(Role::Admin.may_call(method), "{method}");
            for other in [Role::Viewer, Role::Operator, Role::Feeder, Role::Analyst, Role::Rescue] {
                assert!(!other.may_call(method), "{other:?} may not call {method}");
            }
        }
        assert!(Role::Viewer.may_call("SubscribeTracks") && Role::Operator.may_call("ListSensors"));
    }

    /// Issue 17: an operator's region is a real polygon, and a bad one is refused naming the
    /// operator and the field.
    #[test]
    fn an_operators_area_is_a_polygon_on_the_globe() {
        let digest = "0".repeat(64);
        let with = |area: &str| {
            Config::parse(&format!(
                "[[operator]]\nname = \"sicily\"\ntoken_sha256 = \"{digest}\"\nroles = [\"viewer\"]\narea = {area}\n"
            ))
        };
        let ok = with("[[35.0, 12.0], [35.0, 13.0], [36.0, 13.0], [36.0, 12.0]]").unwrap();
        let region = ok.operators[0].region().unwrap().expect("a region");
        assert!(region.covers_latlon(lookout_core::LatLon::new(35.5, 12.5)));
        assert!(!region.covers_latlon(lookout_core::LatLon::new(36.5, 12.5)));
        let none = Config::parse(&format!(
            "[[operator]]\nname = \"rome\"\ntoken_sha256 = \"{digest}\"\nroles = [\"viewer\"]\n"
        ))
        .unwrap();
        assert!(none.operators[0].region().unwrap().is_none(), "no area: the whole sea");
        for (area, says) in [
            ("[[35.0, 12.0], [36.0, 13.0]]", "at least 3"),
            ("[[35.0, 12.0], [35.0, 12.0], [36.0, 13.0], [35.0, 12.0]]", "at least 3"),
            ("[[35.0, 12.0], [95.0, 13.0], [36.0, 13.0]]", "not a valid latitude/longitude"),
            ("[[35.0, 12.0], [35.0, 190.0], [36.0, 13.0]]", "not a valid latitude/longitude"),
            ("[[35.0, 12.0], [35.5, 12.5], [36.0, 13.0]]", "one line"),
            ("[[35.0, -170.0], [35.0, 170.0], [36.0, 170.0]]", "180"),
        ] {
            let e = with(area).unwrap_err().to_string();
            assert!(e.contains("operator \"sicily\": area") && e.contains(says), "{area}: {e}");
        }
        assert!(with("[35.0, 12.0]").is_err(), "vertices are [lat, lon] pairs");
    }

    #[test]
    fn roles_parse_by_their_configuration_names() {
        for r in Role::ALL {
            assert_eq!(r.name().parse::<Role>(), Ok(r));
            assert_eq!(serde_json::from_str::<Role>(&format!("{:?}", r.name())).unwrap(), r);
        }
        let e = "captain".parse::<Role>().unwrap_err().to_string();
        assert_eq!(e, r#"unknown role "captain": the roles are viewer, operator, feeder, analyst, rescue, admin"#);
        assert!("Viewer".parse::<Role>().is_err(), "exact case, as in the configuration");
    }

    #[test]
    fn parses_every_source_kind() {
        let cfg = Config::parse(
            r#"
            [service]
            listen = "127.0.0.1:0"
            heartbeat = "2s"
            [picture]
            vessel_max_age = "10m"
            [[source]]
            name = "dma"
            kind = "tcp_client"
            address = "localhost:4001"
            reconnect_max = "30s"
            [[source]]
            name = "feeders"
            kind = "tcp_listener"
            listen = "127.0.0.1:0"
            [[source]]
            name = "catcher"
            kind = "udp"
            listen = "127.0.0.1:0"
            [[source]]
            name = "rec"
            kind = "file"
            path = "replay-data/x.nmea.gz"
            pace = 10.0
            loop = true
            "#,
        )
        .unwrap();
        assert_eq!(cfg.sources.len(), 4);
        assert_eq!(cfg.service.heartbeat, Duration::from_secs(2));
        assert!(matches!(cfg.sources[3].kind, SourceKind::File { repeat: true, .. }));
        assert_eq!(cfg.sources[3].kind.files(), vec![PathBuf::from("replay-data/x.nmea.gz")]);
        let two = Config::parse("[[source]]\nname='r'\nkind='file'\npaths=['a.nmea','b.jsonl']\n").unwrap();
        assert_eq!(two.sources[0].kind.files().len(), 2);
        assert!(Config::parse("[[source]]\nname='r'\nkind='file'\n").is_err());
    }

    #[test]
    fn rejects_typos_and_duplicates() {
        assert!(Config::parse("[service]\nlisten_addr = \"1.2.3.4:1\"").is_err());
        let dup = "[[source]]\nname='a'\nkind='udp'\nlisten='127.0.0.1:0'\n\
                   [[source]]\nname='a'\nkind='udp'\nlisten='127.0.0.1:1'\n";
        let err = Config::parse(dup).unwrap_err().to_string();
        assert!(err.contains("used twice"), "{err}");
    }

    #[test]
    fn lost_contact_settings_are_checked_too() {
        let c = Config::parse("[alerts]\ncontact_lost_after = \"90s\"\n[alerts.datum]\nunmodelled_drift_kn = 0.5\n")
            .unwrap();
        assert_eq!((c.alerts.contact_lost_after_ms, c.alerts.datum.unmodelled_drift_kn), (90_000, 0.5));
        let e = Config::parse("[alerts.datum]\nsafety_factor = 0.9\n").unwrap_err().to_string();
        assert!(e.contains("alerts.datum.safety_factor"), "{e}");
    }

    #[test]
    fn tracker_settings_are_checked_too() {
        let cfg = Config::parse("[tracker]\ngate_probability = 0.995\n").unwrap();
        assert_eq!(cfg.tracker.gate_probability, 0.995);
        // A removed or misspelt key is an error, not silently ignored.
        assert!(Config::parse("[tracker]\nconfirm_hits = 3\n").is_err());
    }

    #[test]
    fn zones_are_parsed_and_checked() {
        let ok = "[[zone]]\nname = 'Pozzallo'\nkind = 'port'\npolygon = [[36.725, 14.83], [36.725, 14.86], [36.70, 14.86], [36.70, 14.83]]\n";
        let cfg = Config::parse(ok).unwrap();
        assert_eq!(cfg.zones.len(), 1);
        assert!(cfg.score.zones.at_rest_place(lookout_core::LatLon::new(36.71, 14.845)));
        let two = "[[zone]]\nname = 'a'\nkind = 'anchorage'\npolygon = [[36.7, 14.8], [36.8, 14.9]]\n";
        let err = Config::parse(two).unwrap_err().to_string();
        assert!(err.contains("zone \"a\"") && err.contains("at least 3"), "{err}");
        let bad = "[[zone]]\nname = 'b'\nkind = 'port'\npolygon = [[36.7, 14.8], [96.8, 14.9], [36.6, 14.9]]\n";
        let err = Config::parse(bad).unwrap_err().to_string();
        assert!(err.contains("zone \"b\"") && err.contains("not a valid"), "{err}");
        assert!(Config::parse("[[zone]]\nname = 'c'\nkind = 'harbour'\npolygon = []\n").is_err());
        let square = "polygon = [[51.0, 1.4], [51.1, 1.4], [51.1, 1.5], [51.0, 1.5]]\n";
        let lane =
            Config::parse(&format!("[[zone]]\nname = 'l'\nkind = 'traffic_lane'\ndirection_deg = 230\n{square}"))
                .unwrap();
        assert!(lane.score.zones.lane_against(lookout_core::LatLon::new(51.05, 1.45), 50.0, 135.0).is_some());
        let err =
            Config::parse(&format!("[[zone]]\nname = 'l'\nkind = 'traffic_lane'\n{square}")).unwrap_err().to_string();
        assert!(err.contains("zone \"l\"") && err.contains("direction_deg"), "{err}");
        let err = Config::parse(&format!("[[zone]]\nname = 'p'\nkind = 'port'\ndirection_deg = 10\n{square}"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("only for a traffic_lane"), "{err}");
        let err = Config::parse(&format!("[[zone]]\nname = 'l'\nkind = 'traffic_lane'\ndirection_deg = 400\n{square}"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("not within 0..360"), "{err}");
    }

    #[test]
    fn ais_receivers_reach_the_gap_detector_and_are_checked() {
        let one = "[[ais_receiver]]\nname = 'Lampedusa'\nlat = 35.5\nlon = 12.6\nrange_nm = 40\n";
        let cfg = Config::parse(one).unwrap();
        let reach = cfg.score.ais_receivers.reach(lookout_core::LatLon::new(35.6, 12.6)).unwrap();
        assert_eq!(reach.station.name, "Lampedusa");
        assert!(reach.heard_well);
        let err = Config::parse(&format!("{one}{one}")).unwrap_err().to_string();
        assert!(err.contains("ais_receiver \"Lampedusa\": name is used twice"), "{err}");
        let err = Config::parse("[[ais_receiver]]\nname = 'x'\nlat = 35\nlon = 12\nrange_nm = 900\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("range_nm 900"), "{err}");
        assert!(Config::parse("[[ais_receiver]]\nname = 'x'\nlat = 35\nlon = 12\n").is_err(), "range_nm is required");
        assert!(Config::parse("").unwrap().score.ais_receivers.is_empty());
    }

    #[test]
    fn metrics_are_off_unless_listen_is_set_and_need_a_port_of_their_own() {
        assert!(Config::parse("").unwrap().metrics.listen.is_none());
        let on = Config::parse("[metrics]\nlisten = \"127.0.0.1:9464\"\n").unwrap();
        assert_eq!(on.metrics.listen, Some("127.0.0.1:9464".parse().unwrap()));
        assert!(Config::parse("[metrics]\nlisten = \"127.0.0.1:0\"\n").is_ok(), "port 0: any free port");
        assert!(Config::parse("[metrics]\nport = 9464\n").is_err(), "unknown keys are refused");
        assert!(Config::parse("[metrics]\nlisten = \"nowhere\"\n").is_err());
        let clash = "[service]\nlisten = \"127.0.0.1:50051\"\n[console]\nlisten = \"0.0.0.0:8080\"\n\
                     [metrics]\nlisten = \"127.0.0.1:8080\"\n";
        let err = Config::parse(clash).unwrap_err().to_string();
        assert!(err.contains("metrics.listen") && err.contains("console.listen"), "{err}");
        let clash = "[metrics]\nlisten = \"127.0.0.1:10111\"\n\
                     [[source]]\nname = 'feeders'\nkind = 'tcp_listener'\nlisten = '127.0.0.1:10111'\n";
        let err = Config::parse(clash).unwrap_err().to_string();
        assert!(err.contains("source \"feeders\""), "{err}");
        // A UDP source on the same port number is another protocol: no clash.
        let udp = "[metrics]\nlisten = \"127.0.0.1:10110\"\n\
                   [[source]]\nname = 'catcher'\nkind = 'udp'\nlisten = '127.0.0.1:10110'\n";
        assert!(Config::parse(udp).is_ok());
    }

    #[test]
    fn shipped_configs_parse() {
        for f in ["config/default.toml", "config/demo.toml", "config/dover.toml"] {
            let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(f);
            Config::load(&p).unwrap_or_else(|e| panic!("{f}: {e}"));
        }
    }

    /// An NMEA output has no token: with operators configured, one off loopback must be meant.
    #[test]
    fn an_open_output_off_loopback_must_be_meant_when_operators_are_configured() {
        let op =
            format!("[[operator]]\nname = \"watch\"\ntoken_sha256 = {:?}\nroles = [\"viewer\"]\n", "ab".repeat(32));
        let out = |listen: &str, extra: &str| {
            format!("[[output]]\nkind = \"tcp_server\"\nformat = \"nmea\"\nlisten = \"{listen}\"\n{extra}")
        };
        assert!(Config::parse(&(out("127.0.0.1:10110", "") + &op)).is_ok(), "loopback is the watch room's own");
        let e = Config::parse(&(out("0.0.0.0:10110", "") + &op)).unwrap_err().to_string();
        assert!(e.contains("output 1") && e.contains("allow_unauthenticated"), "{e}");
        assert!(Config::parse(&(out("0.0.0.0:10110", "allow_unauthenticated = true\n") + &op)).is_ok());
        assert!(Config::parse(&out("0.0.0.0:10110", "")).is_ok(), "an open service warns at start instead");
    }

    #[test]
    fn an_operators_file_is_relative_to_the_configuration_and_checked_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let digest = "ab".repeat(32);
        let op =
            |name: &str| format!("[[operator]]\nname = {name:?}\ntoken_sha256 = {digest:?}\nroles = [\"viewer\"]\n");
        std::fs::create_dir(dir.path().join("etc")).unwrap();
        let cfg = dir.path().join("etc/lookout.toml");
        std::fs::write(&cfg, format!("operators_file = \"people.toml\"\n{}", op("inline"))).unwrap();
        std::fs::write(dir.path().join("etc/people.toml"), op("from-file")).unwrap();
        let c = Config::load(&cfg).unwrap();
        let names: Vec<_> = c.operators.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["inline", "from-file"]);
        assert_eq!(c.operators_file.as_deref(), Some(dir.path().join("etc/people.toml").as_path()));
        // Checked as a whole: a name in both is a duplicate; anything but operators is refused.
        std::fs::write(dir.path().join("etc/people.toml"), op("inline")).unwrap();
        assert!(Config::load(&cfg).unwrap_err().to_string().contains("name must be set and unique"));
        std::fs::write(dir.path().join("etc/people.toml"), "[service]\nlisten = \"0.0.0.0:1\"\n").unwrap();
        let e = Config::load(&cfg).unwrap_err().to_string();
        assert!(e.contains("people.toml") && e.contains("service"), "{e}");
        std::fs::remove_file(dir.path().join("etc/people.toml")).unwrap();
        assert!(Config::load(&cfg).unwrap_err().to_string().contains("operators_file: cannot read"));
    }
}
