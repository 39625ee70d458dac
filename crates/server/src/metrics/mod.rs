//! Prometheus metrics on their own listener (`[metrics] listen`), in the
//! OpenMetrics text format of the official client (`prometheus-client`).
//!
//! Most series are read at scrape time from the counters and state the
//! service already keeps for `Stats` ([`collect`]): nothing is counted twice,
//! and a scrape shows exactly what `Stats` would. What nothing else measured —
//! latencies, alert changes, subscriber lag, authentication failures — is
//! counted here, at the one place it happens, in [`Metrics`].
//!
//! Label values are bounded: alert kinds, severities and classes are enums;
//! gRPC methods are the API's own (anything else is `other`); source names
//! are at most `MAX_SOURCE_NAME_BYTES` long and at most `MAX_SOURCES` live
//! at once (idle `Ingest` names expire from the registry, and so from here).

mod collect;
mod grpc;
mod http;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use lookout_alert::{AlertChange, AlertState};
use parking_lot::Mutex;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use serde::Deserialize;

pub use grpc::GrpcMetricsLayer;
pub use http::{bind, serve};

/// What a scrape of `shared` returns now, as OpenMetrics text (for callers in
/// the same process, such as tests; Prometheus uses [`serve`]).
pub fn render(shared: &Arc<crate::service::Shared>) -> Result<String, std::fmt::Error> {
    let registry = shared.metrics.registry(shared.clone());
    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, &registry)?;
    Ok(out)
}

/// The content type of a scrape: OpenMetrics 1.0 text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// `[metrics]`: where Prometheus scrapes `GET /metrics` (absent: not served).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Address of the metrics listener, e.g. `127.0.0.1:9464`. It has no
    /// authentication: keep it on loopback or a monitoring network.
    pub listen: Option<SocketAddr>,
}

/// Upper bounds of the ingest-to-alert histogram, seconds: a distress
/// sighting should reach consoles in well under a second; the alert rule
/// fires at a p99 of 1 s.
const INGEST_TO_ALERT_BUCKETS: [f64; 13] =
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Upper bounds of the gRPC latency histogram, seconds: fine below 5 ms, where
/// the targets for `VesselsNear` lie (p50 < 1 ms, p99 < 5 ms), up to the
/// server's query deadline.
const GRPC_BUCKETS: [f64; 16] =
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Why a call was refused at the access layer (the `reason` label of
/// `lookout_auth_failures_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// No `authorization: Bearer` header.
    MissingToken,
    /// A token no operator holds.
    UnknownToken,
    /// A verified client certificate whose subject is no operator's.
    UnknownCertificate,
    /// An operator's token past its `expires`.
    ExpiredToken,
    /// A known operator without the role for the method.
    PermissionDenied,
    /// Refused unchecked: too many failures from the address (`MAX_AUTH_FAILURES`).
    LockedOut,
}

impl AuthFailure {
    const ALL: [AuthFailure; 6] = [
        AuthFailure::MissingToken,
        AuthFailure::UnknownToken,
        AuthFailure::UnknownCertificate,
        AuthFailure::ExpiredToken,
        AuthFailure::PermissionDenied,
        AuthFailure::LockedOut,
    ];

    fn label(self) -> &'static str {
        match self {
            AuthFailure::MissingToken => "missing_token",
            AuthFailure::UnknownToken => "unknown_token",
            AuthFailure::UnknownCertificate => "unknown_certificate",
            AuthFailure::ExpiredToken => "expired_token",
            AuthFailure::PermissionDenied => "permission_denied",
            AuthFailure::LockedOut => "locked_out",
        }
    }
}

/// A subscriber stream (the `stream` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    /// `SubscribeTracks`.
    Tracks,
    /// `SubscribeAlerts`.
    Alerts,
}

impl Stream {
    const ALL: [Stream; 2] = [Stream::Tracks, Stream::Alerts];

    fn label(self) -> &'static str {
        match self {
            Stream::Tracks => "tracks",
            Stream::Alerts => "alerts",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct StreamLabels {
    stream: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct MethodLabels {
    method: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct AlertChangeLabels {
    kind: String,
    severity: String,
    change: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// Depth of one console's queue, events; `None` once the console has gone.
type QueueDepth = Box<dyn Fn() -> Option<usize> + Send + Sync>;

/// The measurements nothing else keeps, counted where they happen. Always
/// present (a counter costs an atomic add); exported only with `[metrics] listen`.
pub struct Metrics {
    /// Seconds from a batch being handed to the pipeline to its alert changes
    /// being published, for batches that changed an alert.
    ingest_to_alert: Histogram,
    alert_changes: Family<AlertChangeLabels, Counter>,
    auth_failures: Family<ReasonLabels, Counter>,
    /// Audit records the archive refused (it stopped taking input).
    audit_not_archived: Counter,
    /// Times a subscriber fell behind the fan-out (and was re-sent the state).
    subscriber_lags: Family<StreamLabels, Counter>,
    /// Updates subscribers missed in those lags.
    subscriber_missed: Family<StreamLabels, Counter>,
    grpc_latency: HistogramFamily<MethodLabels>,
    /// Every live console's queue, by stream, for its depth at scrape time.
    queues: Mutex<HashMap<Stream, Vec<QueueDepth>>>,
    /// The `[[output]]` feeds' counters, read at scrape time.
    pub outputs: crate::output::OutputRegistry,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let m = Metrics {
            ingest_to_alert: Histogram::new(INGEST_TO_ALERT_BUCKETS),
            alert_changes: Family::default(),
            auth_failures: Family::default(),
            audit_not_archived: Counter::default(),
            subscriber_lags: Family::default(),
            subscriber_missed: Family::default(),
            grpc_latency: Family::new_with_constructor(|| Histogram::new(GRPC_BUCKETS)),
            queues: Mutex::default(),
            outputs: crate::output::OutputRegistry::default(),
        };
        // Every series that can be named in advance starts at zero, so rates and
        // quantiles exist from the first scrape rather than from the first event.
        for r in AuthFailure::ALL {
            let _ = m.auth_failures.get_or_create(&ReasonLabels { reason: r.label() });
        }
        for s in Stream::ALL {
            let _ = m.subscriber_lags.get_or_create(&StreamLabels { stream: s.label() });
            let _ = m.subscriber_missed.get_or_create(&StreamLabels { stream: s.label() });
        }
        for method in grpc::methods() {
            let _ = m.grpc_latency.get_or_create(&MethodLabels { method });
        }
        m
    }

    /// Records a batch whose alert changes were published `latency` after it
    /// was handed to the pipeline.
    pub fn ingest_to_alert(&self, latency: Duration) {
        self.ingest_to_alert.observe(latency.as_secs_f64());
    }

    /// Counts a published alert change; `acknowledgement` when an operator made it.
    pub fn alert_changed(&self, c: &AlertChange, acknowledgement: bool) {
        let a = &c.alert;
        let change = match a.state {
            _ if acknowledgement => "acknowledged",
            AlertState::Open if a.version == 1 => "raised",
            AlertState::Open | AlertState::Updated => "updated",
            AlertState::Closed => "closed",
            AlertState::Retracted => "retracted",
            AlertState::ContactLost => "contact_lost",
        };
        let labels = AlertChangeLabels { kind: label(&a.kind), severity: label(&a.severity), change };
        self.alert_changes.get_or_create(&labels).inc();
    }

    /// Counts a call refused at the access layer.
    pub fn auth_failed(&self, why: AuthFailure) {
        self.auth_failures.get_or_create(&ReasonLabels { reason: why.label() }).inc();
    }

    /// Counts an audit record the archive refused.
    pub fn audit_not_archived(&self) {
        self.audit_not_archived.inc();
    }

    /// Counts a subscriber that fell `missed` updates behind the fan-out.
    pub fn subscriber_lagged(&self, stream: Stream, missed: u64) {
        let l = StreamLabels { stream: stream.label() };
        self.subscriber_lags.get_or_create(&l).inc();
        self.subscriber_missed.get_or_create(&l).inc_by(missed);
    }

    /// Registers a console's queue, read at scrape time until the console has
    /// gone (`depth` returns `None`).
    pub fn watch_queue(&self, stream: Stream, depth: impl Fn() -> Option<usize> + Send + Sync + 'static) {
        let mut q = self.queues.lock();
        let list = q.entry(stream).or_default();
        // Pruned here as well as at scrape time, so an unscraped service does not
        // keep one closure per console that ever connected.
        list.retain(|d| d().is_some());
        list.push(Box::new(depth));
    }

    /// The fullest live console queue of `stream`, events (0 with none).
    fn deepest_queue(&self, stream: Stream) -> usize {
        let mut q = self.queues.lock();
        let list = q.entry(stream).or_default();
        let mut deepest = 0;
        list.retain(|d| match d() {
            Some(n) => {
                deepest = deepest.max(n);
                true
            }
            None => false,
        });
        deepest
    }

    /// The registry a scrape encodes: these instruments, and the collector
    /// that reads `shared` at scrape time.
    fn registry(&self, shared: Arc<crate::service::Shared>) -> prometheus_client::registry::Registry {
        let mut r = prometheus_client::registry::Registry::with_prefix("lookout");
        r.register(
            "ingest_to_alert_seconds",
            "Seconds from a batch being handed to the pipeline to its alert changes being published",
            self.ingest_to_alert.clone(),
        );
        r.register(
            "alert_changes",
            "Alert versions published, by kind, severity and change (raised, updated, acknowledged, closed, retracted, contact_lost)",
            self.alert_changes.clone(),
        );
        r.register("auth_failures", "Calls refused at the access layer, by reason", self.auth_failures.clone());
        r.register(
            "audit_records_not_archived",
            "Audit records of API calls the archive refused (it stopped taking input)",
            self.audit_not_archived.clone(),
        );
        r.register(
            "subscriber_lags",
            "Times a subscriber fell behind the fan-out and was re-sent the current state",
            self.subscriber_lags.clone(),
        );
        r.register(
            "subscriber_missed_updates",
            "Updates subscribers missed by falling behind the fan-out",
            self.subscriber_missed.clone(),
        );
        r.register(
            "grpc_request_duration_seconds",
            "Seconds from a call's arrival to its response head (unary: the answer; streams: until the stream opens; \
             Ingest and PushDetections: the whole upload), by method",
            self.grpc_latency.clone(),
        );
        r.register_collector(Box::new(collect::Collector::new(shared)));
        r
    }
}

/// An enum's variant as a label value: `DarkTarget` → `dark_target`.
fn label<T: std::fmt::Debug>(v: &T) -> String {
    let name = format!("{v:?}");
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_labels_are_snake_case() {
        assert_eq!(label(&lookout_alert::AlertKind::DarkTarget), "dark_target");
        assert_eq!(label(&lookout_alert::Severity::Critical), "critical");
        assert_eq!(label(&lookout_core::ShipClass::HighSpeed), "high_speed");
        assert_eq!(label(&lookout_core::VesselClass::RubberBoat), "rubber_boat");
    }

    #[test]
    fn gone_consoles_leave_the_queue_list() {
        let m = Metrics::new();
        let alive = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let a = alive.clone();
        m.watch_queue(Stream::Alerts, move || a.load(std::sync::atomic::Ordering::Relaxed).then_some(7));
        m.watch_queue(Stream::Alerts, || Some(3));
        assert_eq!(m.deepest_queue(Stream::Alerts), 7);
        alive.store(false, std::sync::atomic::Ordering::Relaxed);
        assert_eq!(m.deepest_queue(Stream::Alerts), 3);
        assert_eq!(m.queues.lock()[&Stream::Alerts].len(), 1);
        assert_eq!(m.deepest_queue(Stream::Tracks), 0);
    }
}
