//! What a scrape reads from the running service: the counters and state
//! `Stats` shows (sources, picture, alert book, subscribers, queues), read at
//! scrape time rather than counted a second time.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use lookout_alert::{AlertKind, Severity};
use lookout_core::time::wall_ms;
use lookout_core::{ShipClass, VesselClass};
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;

use super::{label, Stream};
use crate::service::Shared;

/// `type` label values of AIS messages, by message type number (1..=27 in use).
const AIS_TYPES: [&str; 32] = [
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19", "20",
    "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31",
];

/// Reads [`Shared`] at each scrape.
pub(super) struct Collector {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Collector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Collector").finish_non_exhaustive()
    }
}

impl Collector {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }
}

/// One metric family: its samples (label set, value) under one descriptor.
/// The descriptor is written even with no samples (no alerts live, no dark
/// tracks), so every family the service exports is declared on every scrape
/// and dashboards and rules can be checked against one.
struct Series<L, V> {
    name: &'static str,
    help: &'static str,
    samples: Vec<(L, V)>,
}

impl<L: EncodeLabelSet, V> Series<L, V> {
    fn new(name: &'static str, help: &'static str) -> Self {
        Self { name, help, samples: Vec::new() }
    }

    fn push(&mut self, labels: L, value: V) {
        self.samples.push((labels, value));
    }
}

impl<L: EncodeLabelSet> Series<L, u64> {
    fn counters(&self, enc: &mut DescriptorEncoder) -> Result<(), std::fmt::Error> {
        // Full stops as the registry writes them for its own metrics.
        let mut m = enc.encode_descriptor(self.name, &format!("{}.", self.help), None, MetricType::Counter)?;
        for (l, v) in &self.samples {
            ConstCounter::new(*v).encode(m.encode_family(l)?)?;
        }
        Ok(())
    }
}

impl<L: EncodeLabelSet> Series<L, f64> {
    fn gauges(&self, enc: &mut DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let mut m = enc.encode_descriptor(self.name, &format!("{}.", self.help), None, MetricType::Gauge)?;
        for (l, v) in &self.samples {
            ConstGauge::new(*v).encode(m.encode_family(l)?)?;
        }
        Ok(())
    }
}

/// One unlabelled sample.
const NONE: [(&str, &str); 0] = [];

impl prometheus_client::collector::Collector for Collector {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        self.sources(&mut enc)?;
        self.picture_and_alerts(&mut enc)?;
        self.queues(&mut enc)
    }
}

impl Collector {
    /// Per source: lines, messages by type, errors by reason, time since the
    /// last message (so a quiet station shows), connection state. Every live
    /// source appears (at most `MAX_SOURCES`, names at most 64 bytes).
    fn sources(&self, enc: &mut DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let now = wall_ms();
        let sources = self.shared.sources.all();
        let states: Vec<_> = sources.iter().map(|s| (s, s.state.lock().clone())).collect();
        let mut lines = Series::new("source_lines", "Lines received, by source");
        let mut messages = Series::new(
            "source_messages",
            "Messages decoded, by source and type (AIS message type 1-27; radar: TTM/TLL detections; detection: \
             detection events)",
        );
        let mut errors =
            Series::new("source_errors", "Lines, messages and datagrams refused or lost, by source and reason");
        let mut age = Series::new(
            "source_last_message_age_seconds",
            "Seconds since the source's last message (since it was registered, if it has sent none)",
        );
        let mut connected = Series::new(
            "source_connected",
            "1 while the source is connected (a listener: while it listens; a file: while it plays)",
        );
        let mut disconnects = Series::new("source_disconnects", "Times the source's connection ended");
        for (s, st) in &states {
            let name = s.name.as_str();
            let c = &st.counters;
            let d = &st.detections;
            lines.push([("source", name)], c.lines + st.oversize_lines);
            for (t, n) in c.by_type.iter().enumerate().filter(|(_, n)| **n > 0) {
                messages.push([("source", name), ("type", AIS_TYPES[t])], *n);
            }
            if d.radar_detections > 0 {
                messages.push([("source", name), ("type", "radar")], d.radar_detections);
            }
            if d.events > 0 {
                messages.push([("source", name), ("type", "detection")], d.events);
            }
            for (reason, n) in [
                ("bad_checksum", c.bad_checksum),
                ("malformed", c.malformed),
                ("oversize", c.oversize + st.oversize_lines),
                ("invalid_position", c.invalid_position),
                ("fragments_expired", c.fragments_expired),
                ("fragments_orphan", c.fragments_orphan),
                ("fragments_duplicate", c.fragments_duplicate),
                ("radar_error", d.radar_errors),
                ("radar_unconfigured", d.radar_unconfigured),
                ("detection_rejected", d.events_rejected),
                ("udp_dropped", st.udp_dropped),
                ("peer_not_allowed", st.peers_refused),
            ] {
                errors.push([("source", name), ("reason", reason)], n);
            }
            let last = st.last_message_ms.unwrap_or(s.registered_ms);
            age.push([("source", name)], (now - last).max(0) as f64 / 1000.0);
            connected.push([("source", name), ("kind", s.kind)], if st.connected { 1.0 } else { 0.0 });
            disconnects.push([("source", name)], st.disconnects);
        }
        lines.counters(enc)?;
        messages.counters(enc)?;
        errors.counters(enc)?;
        age.gauges(enc)?;
        connected.gauges(enc)?;
        disconnects.counters(enc)
    }

    /// The live picture by class, the picture's own counters, and the alert
    /// book: live and unacknowledged alerts with the age of the oldest. The
    /// engine is read once, briefly (a pass over the vessels and alerts).
    fn picture_and_alerts(&self, enc: &mut DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let now_ms = self.shared.now_ms();
        let mut vessels: HashMap<ShipClass, u64> = HashMap::new();
        let mut tracks: HashMap<Option<VesselClass>, u64> = HashMap::new();
        // (kind, severity, distress) -> (live, unacknowledged, oldest unacknowledged opened_at_ms)
        let mut alerts: BTreeMap<(AlertKind, Severity, bool), (u64, u64, i64)> = BTreeMap::new();
        let (tracker_tracks, applied, pc) = {
            let engine = self.shared.engine.read();
            let pic = engine.picture();
            // AIS vessels with a position: what Stats calls live vessels.
            for v in pic.vessels().filter(|v| v.mmsi != 0 && v.fix.is_some()) {
                *vessels.entry(v.static_data.ship_class()).or_default() += 1;
            }
            for t in pic.dark_tracks() {
                *tracks.entry(t.fusion.as_ref().and_then(|f| f.vessel_class)).or_default() += 1;
            }
            for a in engine.book().alerts().filter(|a| a.state.is_live()) {
                let e = alerts.entry((a.kind, a.severity, a.rescue)).or_insert((0, 0, i64::MAX));
                e.0 += 1;
                if a.acknowledged.is_none() {
                    e.1 += 1;
                    e.2 = e.2.min(a.opened_at_ms);
                }
            }
            (pic.track_count(), engine.observations_applied(), pic.counters().clone())
        };

        let mut live = Series::new("live_vessels", "AIS vessels with a valid position, by ship class (AIS ship type)");
        let mut by_class: Vec<(String, u64)> = vessels.into_iter().map(|(c, n)| (label(&c), n)).collect();
        by_class.sort();
        for (c, n) in &by_class {
            live.push([("ship_class", c.as_str())], *n as f64);
        }
        live.gauges(enc)?;
        let mut dark = Series::new(
            "live_tracks",
            "Confirmed tracks no AIS report explains (radar, drone), by the class sensors judged (unclassified: none yet)",
        );
        let mut by_class: Vec<(String, u64)> = tracks
            .into_iter()
            .map(|(c, n)| (c.as_ref().map_or_else(|| "unclassified".to_string(), label), n))
            .collect();
        by_class.sort();
        for (c, n) in &by_class {
            dark.push([("vessel_class", c.as_str())], *n as f64);
        }
        dark.gauges(enc)?;
        let mut g = Series::new("tracker_tracks", "Tracks the multi-sensor tracker holds, tentative ones included");
        g.push(NONE, tracker_tracks as f64);
        g.gauges(enc)?;

        let mut c = Series::new("observations_applied", "Observations the engine applied");
        c.push(NONE, applied);
        c.counters(enc)?;
        let mut c = Series::new(
            "reports_rejected",
            "Position reports the picture did not apply, by reason (stale: older than the vessel's position; future: \
             stamped beyond max_future; invalid_mmsi; vessel_cap: a new MMSI while picture.max_vessels were held)",
        );
        c.push([("reason", "stale")], pc.stale_reports);
        c.push([("reason", "future")], pc.future_reports);
        c.push([("reason", "invalid_mmsi")], pc.invalid_mmsi);
        c.push([("reason", "vessel_cap")], pc.vessels_refused_at_cap);
        c.counters(enc)?;
        let mut c =
            Series::new("reports_held_future", "Reports stamped ahead of the clock, held until their time came");
        c.push(NONE, pc.held_future);
        c.counters(enc)?;
        let mut c = Series::new("vessels_aged_out", "Vessels that left the picture unheard for vessel_max_age");
        c.push(NONE, pc.aged_out);
        c.counters(enc)?;

        let mut live = Series::new("alerts_live", "Open or updated alerts, by kind, severity and distress");
        let mut unacked = Series::new("alerts_unacknowledged", "Live alerts no operator has acknowledged");
        let mut oldest = Series::new(
            "alert_unacknowledged_oldest_age_seconds",
            "Seconds since the oldest unacknowledged live alert opened (service clock)",
        );
        let labelled: Vec<_> = alerts.into_iter().map(|((k, s, d), v)| ((label(&k), label(&s), d), v)).collect();
        for ((kind, severity, distress), (n, un, first)) in &labelled {
            let l = [("kind", kind.as_str()), ("severity", severity.as_str()), ("distress", bool_label(*distress))];
            live.push(l, *n as f64);
            unacked.push(l, *un as f64);
            if *un > 0 {
                oldest.push(l, (now_ms - first).max(0) as f64 / 1000.0);
            }
        }
        live.gauges(enc)?;
        unacked.gauges(enc)?;
        oldest.gauges(enc)
    }

    /// Subscribers, how far the slowest is behind the fan-out, the fullest
    /// console queue; the pipeline's input queues; archive refusals; start time.
    fn queues(&self, enc: &mut DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let sh = &self.shared;
        let m = &sh.metrics;
        let mut subs = Series::new("subscribers", "Consoles subscribed, by stream");
        let mut backlog = Series::new(
            "subscriber_fanout_backlog",
            "Updates the slowest subscriber has yet to take from the fan-out (at capacity it lags), by stream",
        );
        let mut capacity = Series::new("subscriber_fanout_capacity", "Capacity of the fan-out, updates, by stream");
        let mut depth = Series::new("subscriber_queue_depth_max", "Events waiting in the fullest console's own queue");
        for s in Stream::ALL {
            let l = [("stream", s.label())];
            let (n, len, cap) = match s {
                Stream::Tracks => {
                    (sh.subscribers.load(Ordering::Relaxed), sh.updates.len(), crate::pipeline::TRACK_UPDATES_CAPACITY)
                }
                Stream::Alerts => (
                    sh.alert_subscribers.load(Ordering::Relaxed),
                    sh.alert_updates.len(),
                    crate::pipeline::ALERT_UPDATES_CAPACITY,
                ),
            };
            subs.push(l, n as f64);
            backlog.push(l, len as f64);
            capacity.push(l, cap as f64);
            depth.push(l, m.deepest_queue(s) as f64);
        }
        subs.gauges(enc)?;
        backlog.gauges(enc)?;
        capacity.gauges(enc)?;
        depth.gauges(enc)?;

        let mut q = Series::new(
            "ingest_queue_batches",
            "Batches waiting for the pipeline, by lane (lines: sources and Ingest; detections: PushDetections)",
        );
        let mut qc = Series::new("ingest_queue_capacity_batches", "Capacity of the pipeline's input queues, by lane");
        for (lane, tx) in [("lines", &sh.ingest_tx), ("detections", &sh.detections_tx)] {
            q.push([("lane", lane)], (tx.max_capacity() - tx.capacity()) as f64);
            qc.push([("lane", lane)], tx.max_capacity() as f64);
        }
        q.gauges(enc)?;
        qc.gauges(enc)?;

        let mut c = Series::new("archive_refused", "Inputs, ticks and alert versions the archive refused");
        c.push(NONE, sh.archive_refused.load(Ordering::Relaxed));
        c.counters(enc)?;
        let mut t = Series::new(
            "detections_throttled",
            "Detection events a PushDetections feeder had to wait to send, over [service] detections_per_s_per_feeder",
        );
        t.push(NONE, sh.detection_rate.throttled());
        t.counters(enc)?;
        let mut refused = Series::new(
            "connections_refused",
            "Connections closed at once because their address held [service] max_connections_per_peer, by listener",
        );
        let mut tls = Series::new("tls_handshake_failures", "TLS handshakes that failed or timed out, by listener");
        for (server, peers) in [("grpc", &sh.grpc_connections), ("console", &sh.console_connections)] {
            refused.push([("server", server)], peers.refused.load(Ordering::Relaxed));
            tls.push([("server", server)], peers.handshake_failures.load(Ordering::Relaxed));
        }
        refused.counters(enc)?;
        tls.counters(enc)?;
        let mut per_op = Series::new(
            "operator_connections_refused",
            "Calls refused because their operator held [service] max_connections_per_operator other connections",
        );
        per_op.push(NONE, sh.access.connections.refused.load(Ordering::Relaxed));
        per_op.counters(enc)?;
        self.outputs(enc)?;
        let mut g = Series::new("start_time_seconds", "When the service started, seconds since the Unix epoch");
        g.push(NONE, sh.started_ms as f64 / 1000.0);
        g.gauges(enc)
    }
}

impl Collector {
    /// The `[[output]]` feeds, by `output` (`tcp_server <addr>` or `udp <addr>`: one
    /// per configured output, so the label is bounded by the configuration).
    fn outputs(&self, enc: &mut DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let outputs = self.shared.metrics.outputs.all();
        let mut sent = Series::new(
            "output_sentences_sent",
            "NMEA sentences written to output clients (TCP: per client) or sent (UDP)",
        );
        let mut batches = Series::new("output_batches", "Pictures encoded for an output");
        let mut refused = Series::new(
            "output_clients_refused",
            "Output connections closed unserved: over MAX_OUTPUT_CLIENTS or not in allow_from",
        );
        let mut skipped = Series::new(
            "output_batches_skipped",
            "Whole pictures a slow output client skipped, a newer one having replaced them",
        );
        let mut stalled = Series::new(
            "output_clients_stalled",
            "Output clients disconnected after CLIENT_WRITE_TIMEOUT without taking a batch",
        );
        let mut errors = Series::new("output_send_errors", "UDP output datagrams that could not be sent");
        let mut clients = Series::new("output_clients", "Clients connected to a TCP output now");
        for o in &outputs {
            let l = [("output", o.label.as_str())];
            sent.push(l, o.sentences_sent.load(Ordering::Relaxed));
            batches.push(l, o.batches.load(Ordering::Relaxed));
            refused.push(l, o.clients_refused.load(Ordering::Relaxed));
            skipped.push(l, o.batches_skipped.load(Ordering::Relaxed));
            stalled.push(l, o.clients_stalled.load(Ordering::Relaxed));
            errors.push(l, o.send_errors.load(Ordering::Relaxed));
            clients.push(l, o.clients.load(Ordering::Relaxed) as f64);
        }
        for s in [sent, batches, refused, skipped, stalled, errors] {
            s.counters(enc)?;
        }
        clients.gauges(enc)
    }
}

fn bool_label(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}
