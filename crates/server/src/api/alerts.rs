//! `SubscribeAlerts`, `ListAlerts` and `AcknowledgeAlert`.
//!
//! One task per subscribed console, as for tracks: it listens to the alert
//! fan-out (which never waits), filters, and writes into the console's own
//! bounded queue. A console that falls behind loses its place in the
//! fan-out; it is then told how many changes it missed and sent the current
//! state of every alert those changes touched (from the book's change log),
//! distress first. No alert is lost silently and nobody else slows down.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;
use tracing::info;

use super::convert;
use super::pb::{self, alert_event::Event};
use crate::error::Error;
use crate::metrics::Stream;
use crate::service::Shared;
use lookout_alert::{Alert, AlertBook, AlertChange, AlertFilter, Datum};
use lookout_core::LatLon;
use lookout_picture::BandedPolygon;

/// Events queued per alert console before its task waits (and eventually lags).
pub const ALERT_SUBSCRIBER_QUEUE: usize = 256;
/// `ListAlerts` results when the request does not say.
const DEFAULT_LIST_RESULTS: usize = 1000;
const MAX_LIST_RESULTS: usize = 10_000;
/// Longest `by` and `note` of an acknowledgement, characters.
const MAX_ACK_BY: usize = 200;
const MAX_ACK_NOTE: usize = 2000;

/// Starts the subscription task and returns the console's stream.
pub fn subscribe(
    shared: Arc<Shared>,
    filter: AlertFilter,
    slot: super::limits::SubscriptionSlot,
) -> ReceiverStream<Result<pb::AlertEvent, Status>> {
    let (tx, rx) = mpsc::channel(ALERT_SUBSCRIBER_QUEUE);
    let queue = tx.downgrade();
    shared.metrics.watch_queue(Stream::Alerts, move || queue.upgrade().map(|q| q.max_capacity() - q.capacity()));
    // Subscribe before the snapshot so no change falls between the two.
    let updates = shared.alert_updates.subscribe();
    shared.alert_subscribers.fetch_add(1, Ordering::Relaxed);
    tokio::spawn(async move {
        let mut sub = Subscription { shared: shared.clone(), filter, tx, seq: 0, synced: 0, live: HashSet::new() };
        // Ends when the console goes away (a failed send) or the service stops.
        let _ = sub.run(updates).await;
        shared.alert_subscribers.fetch_sub(1, Ordering::Relaxed);
        drop(slot);
    });
    ReceiverStream::new(rx)
}

/// The console has gone away.
struct Gone;

struct Subscription {
    shared: Arc<Shared>,
    filter: AlertFilter,
    tx: mpsc::Sender<Result<pb::AlertEvent, Status>>,
    seq: u64,
    /// The book's change number this console is current to: fan-out
    /// messages at or below it are already reflected in what it was sent.
    synced: u64,
    /// Live alerts the console holds, so it also hears when one of them
    /// leaves its area or ends.
    live: HashSet<u64>,
}

impl Subscription {
    async fn run(&mut self, mut updates: broadcast::Receiver<Arc<AlertChange>>) -> Result<(), Gone> {
        self.snapshot().await?;
        let mut heartbeat = tokio::time::interval(self.shared.config.service.heartbeat);
        heartbeat.tick().await;
        loop {
            tokio::select! {
                u = updates.recv() => match u {
                    Ok(c) => {
                        if c.seq > self.synced {
                            self.synced = c.seq;
                            self.on_change(&c.alert).await?;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        self.shared.metrics.subscriber_lagged(Stream::Alerts, n);
                        self.resync(n).await?
                    }
                    Err(broadcast::error::RecvError::Closed) => return Ok(()),
                },
                _ = heartbeat.tick() => {
                    let live_alerts = self.live.len() as u32;
                    self.send(Event::Heartbeat(pb::AlertHeartbeat { server_time_unix_ms: self.shared.now_ms(), live_alerts })).await?;
                }
                _ = self.tx.closed() => return Err(Gone),
                _ = self.shared.shutdown.cancelled() => return Ok(()),
            }
        }
    }

    /// The live alerts matching the filter, distress first.
    async fn snapshot(&mut self) -> Result<(), Gone> {
        let mut alerts: Vec<Alert> = {
            let engine = self.shared.engine.read();
            self.synced = engine.book().seq();
            engine.book().alerts().filter(|a| a.state.is_live() && self.filter.matches(a)).cloned().collect()
        };
        alerts.sort_by(Alert::priority_cmp);
        for a in &alerts {
            self.live.insert(a.alert_id);
            self.send(Event::Snapshot(convert::alert(a))).await?;
        }
        self.send(Event::SnapshotComplete(pb::AlertSnapshotComplete { alerts: alerts.len() as u32 })).await
    }

    /// Catches up after falling behind: every alert changed since `synced`
    /// that concerns this console, in its current state, distress first.
    async fn resync(&mut self, missed: u64) -> Result<(), Gone> {
        let mut alerts: Vec<Alert> = {
            let engine = self.shared.engine.read();
            let changed = engine.book().changed_since(self.synced);
            self.synced = engine.book().seq();
            changed.into_iter().filter(|a| self.concerns(a)).cloned().collect()
        };
        alerts.sort_by(Alert::priority_cmp);
        let resent = alerts.len() as u32;
        self.send(Event::Missed(pb::AlertsMissed { changes_missed: missed, alerts_resent: resent })).await?;
        for a in &alerts {
            self.track(a);
            self.send(Event::Change(convert::alert(a))).await?;
        }
        Ok(())
    }

    async fn on_change(&mut self, a: &Alert) -> Result<(), Gone> {
        if !self.concerns(a) {
            return Ok(());
        }
        self.track(a);
        self.send(Event::Change(convert::alert(a))).await
    }

    /// It matches the filter, or the console holds it (and must hear that it
    /// ended or left the area it asked for). Never an alert outside the caller's region:
    /// one that moves out is not sent again (its position there would be shown), and
    /// leaves the live count the heartbeat gives.
    fn concerns(&self, a: &Alert) -> bool {
        self.filter.visible(a) && (self.filter.matches(a) || self.live.contains(&a.alert_id))
    }

    fn track(&mut self, a: &Alert) {
        if a.state.is_live() && self.filter.matches(a) {
            self.live.insert(a.alert_id);
        } else {
            self.live.remove(&a.alert_id);
        }
    }

    async fn send(&mut self, e: Event) -> Result<(), Gone> {
        self.seq += 1;
        self.tx.send(Ok(pb::AlertEvent { seq: self.seq, event: Some(e) })).await.map_err(|_| Gone)
    }
}

/// An alert request in a few words for the audit: "alerts world", "alerts bbox …
/// kinds=2 min_severity=High rescue_only ended".
pub fn summary(f: &AlertFilter, include_ended: bool) -> String {
    let mut s = format!("alerts {}", super::audit::area(&f.area));
    if !f.kinds.is_empty() {
        s += &format!(" kinds={}", f.kinds.len());
    }
    if let Some(m) = f.min_severity {
        s += &format!(" min_severity={m:?}");
    }
    if f.rescue_only {
        s += " rescue_only";
    }
    if include_ended {
        s += " ended";
    }
    s
}

/// `ListAlerts`: for a caller restricted to `region`, only the alerts positioned inside.
pub fn list(
    shared: &Shared,
    r: pb::ListAlertsRequest,
    rescue_only: bool,
    region: Option<Arc<BandedPolygon>>,
    note: &super::audit::Note,
) -> Result<pb::ListAlertsResponse, Error> {
    let mut filter = convert::alert_filter(r.filter)?;
    filter.rescue_only |= rescue_only;
    filter.within = region;
    note.args(|| summary(&filter, r.include_ended));
    let limit = convert::max_results("max_results", r.max_results, DEFAULT_LIST_RESULTS, MAX_LIST_RESULTS)?;
    let mut alerts: Vec<Alert> = {
        let engine = shared.engine.read();
        engine
            .book()
            .alerts()
            .filter(|a| (r.include_ended || a.state.is_live()) && filter.matches(a))
            .cloned()
            .collect()
    };
    alerts.sort_by(Alert::priority_cmp);
    let total = alerts.len() as u32;
    Ok(pb::ListAlertsResponse { alerts: alerts.iter().take(limit).map(convert::alert).collect(), total })
}

/// The point a rescue query about alert `id` is centred on, as of `now_ms`: a
/// CONTACT_LOST alert's grown datum, else its last position (radius 0). An
/// alert the caller may not see (a non-rescue alert for the rescue role, one
/// outside its region) is NOT_FOUND like an unknown one, so its existence does
/// not leak.
pub fn datum_of(
    book: &AlertBook,
    id: u64,
    rescue_only: bool,
    region: Option<&BandedPolygon>,
    now_ms: i64,
) -> Result<Datum, Error> {
    let not_found = || Error::NotFound(format!("alert {id} (unknown, ended and forgotten, or not yours to see)"));
    let a = book
        .get(id)
        .filter(|a| (a.rescue || !rescue_only) && super::service::sees(region, LatLon::new(a.lat, a.lon)))
        .ok_or_else(not_found)?;
    Ok(match &a.contact_lost {
        Some(c) => c.datum_at(now_ms),
        None => Datum { lat: a.lat, lon: a.lon, radius_nm: 0.0, at_ms: a.updated_at_ms },
    })
}

/// `AcknowledgeAlert`: a new version of the alert, sent to every console
/// and written to the log with who and why (operators are accountable).
/// With operators configured, `by` is the authenticated operator, whatever
/// the request says: an acknowledgement cannot be made in another's name.
pub fn acknowledge(
    shared: &Shared,
    r: pb::AcknowledgeAlertRequest,
    operator: Option<super::Operator>,
) -> Result<(pb::Alert, Option<lookout_archive::Ticket>), Error> {
    if r.alert_id == 0 {
        return Err(Error::invalid("alert_id", "is required"));
    }
    let by = operator.as_ref().map_or(r.by.trim(), |o| o.name.as_str());
    if by.is_empty() {
        return Err(Error::invalid("by", "is required: who acknowledges"));
    }
    if by.chars().count() > MAX_ACK_BY {
        return Err(Error::invalid("by", format!("longer than {MAX_ACK_BY} characters")));
    }
    if r.note.chars().count() > MAX_ACK_NOTE {
        return Err(Error::invalid("note", format!("longer than {MAX_ACK_NOTE} characters")));
    }
    if r.close && r.note.trim().is_empty() {
        return Err(Error::invalid("note", "is required with close: say why the incident ends"));
    }
    let mut engine = shared.engine.write();
    // An alert outside the operator's region is NOT_FOUND as an unknown one is.
    let region = operator.as_ref().and_then(|o| o.area.as_deref());
    if !engine.book().get(r.alert_id).is_none_or(|a| super::service::sees(region, LatLon::new(a.lat, a.lon))) {
        return Err(Error::NotFound(format!("alert {} (unknown, or ended and forgotten)", r.alert_id)));
    }
    let now_ms = shared.now_ms();
    let change = engine
        .acknowledge(r.alert_id, by, &r.note, r.close, now_ms)
        .ok_or_else(|| Error::NotFound(format!("alert {} (unknown, or ended and forgotten)", r.alert_id)))?;
    // Who and why are untrusted text: logged quoted and escaped (`?`), so a
    // note cannot forge a log line with a newline or colour it with ANSI codes.
    info!(alert_id = r.alert_id, kind = ?change.alert.kind, by = ?by, note = ?r.note, version = change.alert.version, close = r.close, "alert acknowledged");
    let out = convert::alert(&change.alert);
    // Archived under the engine's lock, in the order the book made it, before the
    // version it caused; the ticket of the version covers both.
    if let Some(store) = &shared.store {
        let ack =
            crate::store::AckRecord { alert_id: r.alert_id, by: by.to_string(), note: r.note.clone(), close: r.close };
        // Dropping this ticket is fine: the version's ticket below resolves after it.
        drop(store.append(vec![ack.record(now_ms)])?);
    }
    // Under the engine's lock, so consoles get changes in book order.
    let ticket = shared.publish_alert(change, true).transpose()?;
    Ok((out, ticket))
}
