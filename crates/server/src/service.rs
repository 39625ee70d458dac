//! Wiring: starts the sources, the pipeline and the gRPC server on shared state.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lookout_archive::Ticket;
use parking_lot::RwLock;
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use lookout_ais::LineSettings;
use lookout_alert::AlertChange;
use lookout_core::time::wall_ms;
use lookout_engine::Engine;
use lookout_score::Baseline;

use crate::config::{Config, SourceKind};
use crate::error::Error;
use crate::pipeline::{self, Input, TrackUpdate};
use crate::source::{self, SourceCtx, SourceRegistry, INGEST_QUEUE_BATCHES};
use crate::store::{Recovered, Store};

/// State shared by the pipeline and the API.
pub struct Shared {
    /// Picture, tracker, detectors, alert book and baseline. The pipeline
    /// writes; queries read. Alert changes are published while it is held
    /// (see [`Shared::publish_alert`]), so they go out in book order.
    pub engine: RwLock<Engine>,
    pub sources: SourceRegistry,
    pub updates: broadcast::Sender<TrackUpdate>,
    /// Alert changes in book order, to consoles (never waits for them).
    pub alert_updates: broadcast::Sender<Arc<AlertChange>>,
    /// Where every alert change is recorded, if configured.
    journal: Option<crate::journal::Journal>,
    /// The archive (`[archive]`), if configured: every input before it is applied.
    pub store: Option<Store>,
    /// The audit's own archive (`[audit]`), if configured.
    pub audit: Option<Store>,
    /// Inputs and ticks the archive refused (a write or fsync error); refused inputs
    /// are not applied and their feeders get an error.
    pub archive_refused: AtomicU64,
    /// Sealed segments retention deleted since start, and expired ones a legal hold kept
    /// at the last run.
    pub archive_purged: AtomicU64,
    pub archive_held: AtomicU64,
    /// What recovery from the archive did at start.
    pub recovered: Option<Recovered>,
    /// Where sources and `Ingest` calls send their batches (may backpressure).
    pub ingest_tx: mpsc::Sender<Input>,
    /// Where `PushDetections` sends its batches: a lane the pipeline drains
    /// before the line feeds, so a drone's sighting of an overcrowded boat
    /// never waits behind a backlog of AIS reports.
    pub detections_tx: mpsc::Sender<Input>,
    /// How fast each `PushDetections` feeder may push (`[service] detections_per_s_per_feeder`).
    pub detection_rate: source::grpc::DetectionRate,
    /// Radar sites and limits for line decoding (used by `Ingest` calls too).
    pub line_settings: Arc<LineSettings>,
    pub config: Config,
    pub started_ms: i64,
    /// The newest observation time the pipeline applied, ms (`clock =
    /// "recording"`); `i64::MIN` before the first.
    recording_now_ms: AtomicI64,
    /// Consoles subscribed to tracks, and to alerts.
    pub subscribers: AtomicUsize,
    pub alert_subscribers: AtomicUsize,
    /// Who may call what: one policy for the gRPC port and the console, so a reload
    /// ([`Shared::reload`]) takes effect on both.
    pub access: Arc<crate::api::AccessPolicy>,
    /// Connections per peer address on the gRPC port, and on the console's
    /// (`[service] max_connections_per_peer` each), with their refusal counts.
    pub grpc_connections: Arc<crate::listen::PeerConnections>,
    pub console_connections: Arc<crate::listen::PeerConnections>,
    /// The engine's reloadable settings in force ([`Config::engine_sections`]).
    engine_sections: parking_lot::Mutex<String>,
    /// Live subscriptions per peer address and per operator (limits in [`crate::api::limits`]).
    pub subscription_slots: Arc<crate::api::limits::SubscriptionSlots>,
    /// Cancelled when the service stops: long-lived streams end on it, so a
    /// graceful shutdown does not wait forever for subscribed consoles.
    pub shutdown: CancellationToken,
    /// What only the metrics count (latencies, alert changes, lags, refusals).
    pub metrics: Arc<crate::metrics::Metrics>,
}

impl Shared {
    /// Fresh state for `config`, with the baseline (if any) already loaded.
    pub fn new(
        config: Config,
        baseline: Option<Baseline>,
        journal: Option<crate::journal::Journal>,
        ingest_tx: mpsc::Sender<Input>,
        detections_tx: mpsc::Sender<Input>,
        shutdown: CancellationToken,
    ) -> Self {
        let metrics = Arc::new(crate::metrics::Metrics::new());
        let connections_per_peer = config.service.max_connections_per_peer;
        let engine_sections = parking_lot::Mutex::new(config.engine_sections.clone());
        Shared {
            access: Arc::new(crate::api::AccessPolicy::new(
                &config.operators,
                config.service.max_connections_per_operator,
                metrics.clone(),
            )),
            engine: RwLock::new(Engine::new(config.engine(), baseline)),
            sources: SourceRegistry::default(),
            updates: pipeline::updates_channel(),
            alert_updates: pipeline::alert_updates_channel(),
            journal,
            store: None,
            audit: None,
            archive_refused: AtomicU64::new(0),
            archive_purged: AtomicU64::new(0),
            archive_held: AtomicU64::new(0),
            recovered: None,
            ingest_tx,
            detections_tx,
            detection_rate: source::grpc::DetectionRate::new(
                std::num::NonZeroU32::new(config.service.detections_per_s_per_feeder)
                    .unwrap_or(std::num::NonZeroU32::MIN),
            ),
            line_settings: Arc::new(LineSettings::new(&config.radars, config.picture.max_future.as_millis() as i64)),
            config,
            started_ms: wall_ms(),
            recording_now_ms: AtomicI64::new(i64::MIN),
            subscribers: AtomicUsize::new(0),
            alert_subscribers: AtomicUsize::new(0),
            grpc_connections: Arc::new(crate::listen::PeerConnections::new(connections_per_peer)),
            console_connections: Arc::new(crate::listen::PeerConnections::new(connections_per_peer)),
            engine_sections,
            subscription_slots: Arc::default(),
            shutdown,
            metrics,
        }
    }
}

impl Shared {
    /// Puts what can change in a running service from `config` (a whole
    /// configuration, validated as such) in force without a restart, keeping the
    /// picture, the alerts and every stream:
    /// - the `[[operator]]`s, for every call from now on (tokens added, revoked
    ///   or given other roles);
    /// - `[score]` thresholds, `[alerts]` policy and `[[zone]]`s, from the next
    ///   batch on. With an archive the change is recorded first (kind
    ///   [`crate::store::CONFIG`]) under the engine's lock, so recovery makes it
    ///   at the same point among the inputs.
    ///
    /// Other sections (sources, picture, tracker, service, archive) take effect at
    /// the next start. Returns whether the engine's settings changed; an error
    /// (the archive refused the record) leaves them unchanged.
    pub fn reload(&self, config: &Config) -> Result<bool, Error> {
        let before = self.access.replace(&config.operators);
        info!(operators = config.operators.len(), before, "operators reloaded");
        let mut sections = self.engine_sections.lock();
        if config.engine_sections.is_empty() || *sections == config.engine_sections {
            info!("score, alerts and zones unchanged; sources, picture, tracker, service and archive take effect at the next start");
            return Ok(false);
        }
        let mut engine = self.engine.write();
        if let Some(store) = &self.store {
            let record = crate::store::config_record(&config.engine_sections, self.now_ms());
            // Not waited for: what the engine applies after it is appended after it, so
            // it reaches the disk with (or before) the first input it affects.
            let _durable_with_the_next_commit = store.append(vec![record])?;
        }
        engine.reconfigure(config.score.clone(), config.alerts.clone());
        *sections = config.engine_sections.clone();
        info!(
            zones = config.zones.len(),
            "score thresholds, alert policy and zones reloaded; sources, picture, tracker, service and archive take effect at the next start"
        );
        Ok(true)
    }

    /// Where API calls are audited: `[audit]`, else `[archive]`, else nowhere.
    pub fn audit_store(&self) -> Option<&Store> {
        self.audit.as_ref().or(self.store.as_ref())
    }

    /// The service's now, ms: the wall clock, or with `clock = "recording"`
    /// the recording's time as far as the pipeline has played it (so dead
    /// reckoning, report ages and acknowledgements follow the recording).
    pub fn now_ms(&self) -> i64 {
        match self.config.service.clock {
            crate::config::ClockMode::Wall => wall_ms(),
            crate::config::ClockMode::Recording => match self.recording_now_ms.load(Ordering::Relaxed) {
                i64::MIN => wall_ms(),
                t => t,
            },
        }
    }

    /// Records an alert change in the archive and the journal and sends it to consoles.
    /// Call with the engine locked, so changes go out in book order
    /// whoever made them (the pipeline, or an acknowledgement). The ticket resolves
    /// when the version is on disk (`None` without an archive). `acknowledgement`:
    /// an operator made this version (counted apart in the metrics).
    pub fn publish_alert(&self, change: AlertChange, acknowledgement: bool) -> Option<Result<Ticket, Error>> {
        self.metrics.alert_changed(&change, acknowledgement);
        let ticket = self.store.as_ref().map(|s| s.append(vec![crate::store::alert_record(&change, self.now_ms())]));
        if let Some(Err(e)) = &ticket {
            self.archive_refused.fetch_add(1, Ordering::Relaxed);
            warn!(error = %e, alert_id = change.alert.alert_id, "alert version not archived");
        }
        let change = Arc::new(change);
        if let Some(j) = &self.journal {
            j.record(change.clone());
        }
        // An error only means no console is subscribed; the book keeps every
        // alert for ListAlerts and for consoles that join later.
        let _ = self.alert_updates.send(change);
        ticket
    }

    /// Called by the pipeline as the recording's clock advances.
    pub(crate) fn set_recording_now(&self, now_ms: i64) {
        self.recording_now_ms.fetch_max(now_ms, Ordering::Relaxed);
    }
}

/// A running service.
pub struct Running {
    /// The gRPC server's address.
    pub addr: SocketAddr,
    /// The console's address (`[console] listen`), if served.
    pub console_addr: Option<SocketAddr>,
    /// The metrics listener's address (`[metrics] listen`), if served.
    pub metrics_addr: Option<SocketAddr>,
    /// Bound addresses of listening sources (TCP listener, UDP), by source name.
    pub source_addrs: BTreeMap<String, SocketAddr>,
    /// Where each `[[output]]` can be reached, in configuration order: the bound
    /// address of a TCP server, the target of a UDP output.
    pub output_addrs: Vec<crate::output::OutputAddr>,
    pub shared: Arc<Shared>,
    tasks: JoinSet<()>,
    shutdown: CancellationToken,
}

impl Running {
    /// Stops everything and waits for the tasks to end.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        while self.tasks.join_next().await.is_some() {}
    }

    /// Waits until `shutdown` is cancelled, then stops.
    pub async fn wait(mut self, shutdown: CancellationToken) {
        shutdown.cancelled().await;
        self.shutdown.cancel();
        while self.tasks.join_next().await.is_some() {}
    }
}

/// Binds every socket, then starts the sources, the pipeline and the API.
/// Errors (a port in use, an unreadable file) surface here, before anything runs.
pub async fn start(config: Config) -> Result<Running, Error> {
    let shutdown = CancellationToken::new();
    // A wrong-version, other-area or corrupt baseline stops the start with a
    // message naming the file; the service never runs on a half-read one.
    let baseline = match &config.baseline.path {
        Some(p) => {
            let b = Baseline::load_path(p, config.baseline.area.as_deref())?;
            info!(path = %p.display(), area = %b.spec().name, learn = config.baseline.learn, "baseline loaded");
            Some(b)
        }
        None => {
            if config.score.zones.has_rest_places() {
                info!("no baseline configured: loitering, route deviation and learned rest areas are off");
            } else {
                info!("no baseline and no port or anchorage zone configured: loitering, route deviation and rendezvous are off");
            }
            None
        }
    };
    let tls = config.service.tls.as_ref().map(crate::listen::tls_server_config).transpose()?;
    let journal = match &config.service.alert_journal {
        Some(p) => {
            // The writer thread ends by itself once the service is dropped,
            // after writing what was queued.
            let (j, _writer) = crate::journal::Journal::open(p)?;
            info!(path = %p.display(), "alert journal");
            Some(j)
        }
        None => None,
    };
    let (tx, rx) = mpsc::channel::<Input>(INGEST_QUEUE_BATCHES);
    let (det_tx, det_rx) = mpsc::channel::<Input>(pipeline::DETECTIONS_QUEUE_BATCHES);
    let mut shared = Shared::new(config.clone(), baseline, journal, tx.clone(), det_tx, shutdown.clone());
    // Configured sources first, in config order, so they keep their ids across restarts.
    let mut statuses = Vec::new();
    for sc in &config.sources {
        let kind = match &sc.kind {
            SourceKind::TcpClient { .. } => "tcp_client",
            SourceKind::TcpListener { .. } => "tcp_listener",
            SourceKind::Udp { .. } => "udp",
            SourceKind::File { .. } => "file",
        };
        let status = shared
            .sources
            .register(&sc.name, kind)
            .ok_or_else(|| Error::config(format!("source {:?} cannot be registered", sc.name)))?;
        statuses.push(status);
    }
    if let Some(ac) = &config.archive {
        let store = Store::open(ac, shared.line_settings.clone())?;
        // Synchronous, before anything else runs: nothing may touch the engine meanwhile.
        let (rec, completed) =
            crate::store::recover(&store, shared.engine.get_mut(), &shared.sources, &shared.line_settings)?;
        if let Some(t) = completed {
            t.await?;
        }
        info!(
            batches = rec.batches,
            observations = rec.observations,
            ticks = rec.ticks,
            acks = rec.acks,
            alert_versions = rec.alert_versions_made,
            differing = rec.alert_versions_differing,
            unreadable = rec.unreadable,
            took_ms = rec.took_ms,
            "recovered from the archive"
        );
        if rec.alert_versions_differing > 0 {
            warn!(differing = rec.alert_versions_differing, "recovery made alert versions that differ from the archived ones (see the README: a learning baseline saved since the archive began does this)");
        }
        if let Some(t) = rec.last_now_ms {
            shared.set_recording_now(t);
        }
        // The engine's settings as recorded, if they are not the file's: the file's
        // are recorded and put in force now, so a later recovery applies the inputs
        // from here on with them (and the earlier ones with theirs).
        if !config.engine_sections.is_empty() && rec.engine_sections.as_deref() != Some(&config.engine_sections) {
            let at = rec.last_now_ms.unwrap_or_else(wall_ms);
            store.append(vec![crate::store::config_record(&config.engine_sections, at)])?.await?;
            shared.engine.get_mut().reconfigure(config.score.clone(), config.alerts.clone());
            if rec.engine_sections.is_some() {
                info!("score, alerts or zones differ from the archive's last: the configuration file's are recorded and in force");
            }
        }
        shared.recovered = Some(rec);
        shared.store = Some(store);
    }
    if let Some(a) = &config.audit {
        shared.audit = Some(Store::open(&a.archive(), shared.line_settings.clone())?);
        info!(path = %a.path.display(), "API calls are audited in an archive of their own");
    }
    let shared = Arc::new(shared);
    let readers = shared.store.as_ref().map(Store::reader_ids);
    let mut tasks = JoinSet::new();
    let mut source_addrs = BTreeMap::new();
    let settings = shared.line_settings.clone();
    for (sc, status) in config.sources.iter().zip(statuses) {
        let ctx = SourceCtx {
            status,
            tx: tx.clone(),
            format: sc.line_format(),
            settings: settings.clone(),
            reader: readers.clone(),
        };
        let stop = shutdown.clone();
        if sc.kind.is_inbound() && !config.operators.is_empty() && sc.tls.is_none() {
            // Validation let it through only with `allow_unauthenticated`: say so.
            warn!(source = ?sc.name, allow_from = ?sc.allow_from, "feed takes NMEA without a token (allow_unauthenticated)");
        }
        let allow = source::AllowFrom::new(&sc.allow_from);
        match sc.kind.clone() {
            SourceKind::TcpClient { address, reconnect_min, reconnect_max } => {
                tasks.spawn(source::run_tcp_client(ctx, address, reconnect_min, reconnect_max, stop));
            }
            SourceKind::TcpListener { listen } => {
                // A bad certificate, key or authority stops the start, naming the file.
                let tls = sc.tls.as_ref().map(crate::listen::feed_tls_acceptor).transpose()?;
                let l = source::bind_tcp(listen).await?;
                source_addrs.insert(sc.name.clone(), l.local_addr().map_err(|e| Error::io("local_addr", e))?);
                tasks.spawn(source::run_tcp_listener(ctx, l, allow, tls, stop));
            }
            SourceKind::Udp { listen, recv_buffer_bytes } => {
                let s = source::bind_udp(listen, recv_buffer_bytes).await?;
                source_addrs.insert(sc.name.clone(), s.local_addr().map_err(|e| Error::io("local_addr", e))?);
                tasks.spawn(source::run_udp(ctx, s, allow, stop));
            }
            SourceKind::File { pace, repeat, shift_to_now, .. } => {
                let paths = sc.kind.files();
                // Fail at start-up, not silently in a thread, if a file is missing.
                for p in &paths {
                    lookout_ais::open_recording(p)?;
                }
                tasks.spawn_blocking(move || source::run_file(ctx, paths, pace, repeat, shift_to_now, stop));
            }
        }
    }
    drop(tx);
    tasks.spawn(pipeline::run_pipeline(shared.clone(), rx, det_rx, shutdown.clone()));
    tasks.spawn(log_stats(shared.clone(), shutdown.clone()));
    if let Some(ac) = &config.archive {
        tasks.spawn(run_retention(shared.clone(), ac.purge_every, shutdown.clone()));
    }
    let mut output_addrs = Vec::new();
    for oc in &config.outputs {
        // Bound now, so a port in use stops the start like any other listener.
        let bound = crate::output::net::bind(oc).await?;
        let addr = match &bound {
            crate::output::net::Bound::Tcp(l) => {
                crate::output::OutputAddr::TcpServer(l.local_addr().map_err(|e| Error::io("local_addr", e))?)
            }
            crate::output::net::Bound::Udp(_, target) => crate::output::OutputAddr::Udp(*target),
        };
        let stats = Arc::new(crate::output::OutputStats::new(addr.to_string()));
        shared.metrics.outputs.add(stats.clone());
        info!(output = %addr, interval = ?oc.interval, area = !oc.area.is_empty(), "NMEA output feed");
        if matches!(addr, crate::output::OutputAddr::TcpServer(a) if !a.ip().is_loopback()) && oc.allow_from.is_empty()
        {
            warn!(output = %addr, "NMEA output open to any address (no allow_from): it shows every dark track, unauthenticated");
        }
        tasks.spawn(crate::output::net::run(shared.clone(), oc.clone(), bound, stats));
        output_addrs.push(addr);
    }

    let listener = tokio::net::TcpListener::bind(config.service.listen)
        .await
        .map_err(|e| Error::io(format!("bind gRPC {}", config.service.listen), e))?;
    let addr = listener.local_addr().map_err(|e| Error::io("local_addr", e))?;
    let console_addr = match config.console.listen {
        Some(listen) => {
            let l = crate::console::bind(listen).await?;
            let a = l.local_addr().map_err(|e| Error::io("local_addr", e))?;
            tasks.spawn(crate::console::serve(shared.clone(), l, tls.clone(), shutdown.clone()));
            Some(a)
        }
        None => None,
    };
    let metrics_addr = match config.metrics.listen {
        Some(listen) => {
            let l = crate::metrics::bind(listen).await?;
            let a = l.local_addr().map_err(|e| Error::io("local_addr", e))?;
            tasks.spawn(crate::metrics::serve(shared.clone(), l, shutdown.clone()));
            Some(a)
        }
        None => None,
    };
    tasks.spawn(crate::api::serve(shared.clone(), listener, tls, shutdown.clone()));
    let outputs: Vec<String> = output_addrs.iter().map(|a| a.to_string()).collect();
    info!(%addr, sources = config.sources.len(), ?outputs, "lookout serving");
    Ok(Running { addr, console_addr, metrics_addr, source_addrs, output_addrs, shared, tasks, shutdown })
}

/// Applies the archive's retention every `every` (and once at start): what it deletes
/// is recorded in the archive first, by [`lookout_archive::Archive::purge_expired`].
async fn run_retention(shared: Arc<Shared>, every: Duration, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        let s = shared.clone();
        // File deletion and an fdatasync: off the async workers.
        let outcome = tokio::task::spawn_blocking(move || {
            s.store.as_ref().map(|store| store.archive().purge_expired(lookout_core::time::wall_ms()))
        })
        .await;
        match outcome {
            Ok(Some(Ok(r))) => {
                shared.archive_purged.fetch_add(r.purged.len() as u64, Ordering::Relaxed);
                shared.archive_held.store(r.held.len() as u64, Ordering::Relaxed);
                if !r.purged.is_empty() || !r.held.is_empty() {
                    info!(
                        purged = r.purged.len(),
                        held = r.held.len(),
                        index_rows_deleted = r.index_rows_deleted,
                        purge_seq = ?r.purge_seq,
                        "archive retention applied"
                    );
                }
            }
            Ok(Some(Err(e))) => warn!(error = %e, "archive retention failed; nothing unrecorded was deleted"),
            Ok(None) => return,
            Err(e) => warn!(error = %e, "archive retention task failed"),
        }
    }
}

/// Writes every source's counters and the picture's size to the log, periodically.
async fn log_stats(shared: Arc<Shared>, shutdown: CancellationToken) {
    let mut every = tokio::time::interval(shared.config.service.stats_log_every);
    every.tick().await;
    // Vessels and tracks refused at the caps as of the last line (warned about once per rise).
    let mut last_caps = (0u64, 0u64);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = every.tick() => {}
        }
        let expired = shared.sources.expire_idle(wall_ms());
        if expired > 0 {
            info!(expired, idle = ?crate::source::SOURCE_IDLE_EXPIRY, "idle Ingest sources expired from Stats");
        }
        for s in shared.sources.all() {
            let st = s.state.lock().clone();
            let c = &st.counters;
            info!(
                source = ?s.name, kind = s.kind, connected = st.connected, lines = c.lines,
                messages = c.messages, bad_checksum = c.bad_checksum, malformed = c.malformed,
                not_ais = c.not_ais, radar_sentences = c.radar_sentences, fragments_expired = c.fragments_expired,
                fragments_orphan = c.fragments_orphan, fragments_duplicate = c.fragments_duplicate, oversize = c.oversize + st.oversize_lines,
                invalid_position = c.invalid_position, radar_detections = st.detections.radar_detections,
                radar_errors = st.detections.radar_errors, radar_unconfigured = st.detections.radar_unconfigured,
                detections = st.detections.events, detections_rejected = st.detections.events_rejected,
                udp_dropped = st.udp_dropped, peers_refused = st.peers_refused, last_error = ?st.last_error, "source counters"
            );
        }
        let (vessels, dark_tracks, pc, tracks_refused_at_cap) = {
            let e = shared.engine.read();
            let p = e.picture();
            (p.positioned(), p.dark_tracks().count(), p.counters().clone(), p.tracks_refused_at_cap())
        };
        info!(
            vessels,
            dark_tracks,
            applied = pc.reports_applied,
            stale = pc.stale_reports,
            future = pc.future_reports,
            held_future = pc.held_future,
            invalid_mmsi = pc.invalid_mmsi,
            aged_out = pc.aged_out,
            vessels_refused_at_cap = pc.vessels_refused_at_cap,
            tracks_refused_at_cap,
            "picture"
        );
        // The caps are what keeps a hostile feed from exhausting memory; reaching one
        // deserves a warning of its own, not only a number in the line above.
        if pc.vessels_refused_at_cap > last_caps.0 || tracks_refused_at_cap > last_caps.1 {
            warn!(
                vessels_refused = pc.vessels_refused_at_cap - last_caps.0,
                tracks_refused = tracks_refused_at_cap - last_caps.1,
                vessels,
                "picture at its cap (picture.max_vessels / tracker.max_tracks): new vessels or tracks refused since the last stats line"
            );
            last_caps = (pc.vessels_refused_at_cap, tracks_refused_at_cap);
        }
    }
}

/// Runs the service until `shutdown` is cancelled.
pub async fn run(config: Config, shutdown: CancellationToken) -> Result<(), Error> {
    start(config).await?.wait(shutdown).await;
    Ok(())
}
