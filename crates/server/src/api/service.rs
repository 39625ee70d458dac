//! Handlers of `lookout.v1.Lookout`.

use futures::FutureExt;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use super::audit::{self, Note};
use super::convert::{self, DEFAULT_AREA_RESULTS, DEFAULT_NEAR_RESULTS, MAX_AREA_RESULTS, MAX_NEAR_RESULTS};
use super::pb::{self, lookout_server::Lookout};
use super::{alerts, replay, sensors, subscribe};
use crate::error::Error;

/// `AuditLog` entries when `max_results` is 0.
const DEFAULT_AUDIT_ENTRIES: usize = 1000;
/// At most this many `AuditLog` entries per call.
const MAX_AUDIT_ENTRIES: usize = 10_000;
use crate::service::Shared;
use crate::source::grpc;
use crate::store::Store;
use lookout_core::time::wall_ms;
use lookout_core::LatLon;
use lookout_picture::{BandedPolygon, NearQuery, VesselFilter};

/// Whether the caller may see distress and overcrowded alerts only (the rescue role),
/// whatever its filter asks.
fn rescue_only<T>(req: &Request<T>) -> bool {
    req.extensions().get::<super::Operator>().is_some_and(|o| o.rescue_only)
}

/// The region the caller may see (its operator's `area`); `None`: anywhere.
fn region<T>(req: &Request<T>) -> Option<Arc<BandedPolygon>> {
    req.extensions().get::<super::Operator>().and_then(|o| o.area.clone())
}

/// Whether a caller restricted to `region` may see something at `p`.
pub(super) fn sees(region: Option<&BandedPolygon>, p: LatLon) -> bool {
    region.is_none_or(|r| r.covers_latlon(p))
}

pub struct LookoutApi {
    shared: Arc<Shared>,
}

/// Rejections listed in a `PushDetections` summary (all are counted).
const MAX_REJECTIONS_LISTED: usize = 100;

impl LookoutApi {
    pub fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// A place for one more live subscription from this caller, or why not.
    fn subscription_slot<T>(&self, req: &Request<T>) -> Result<super::limits::SubscriptionSlot, Status> {
        let operator = req.extensions().get::<super::Operator>().map(|o| o.name.as_str());
        self.shared.subscription_slots.take(req.remote_addr().map(|a| a.ip()), operator)
    }

    /// History needs the archive.
    fn archived(&self) -> Result<(), Error> {
        archived(&self.shared)
    }
}

/// History (and replay) needs the archive: FAILED_PRECONDITION without one.
pub(super) fn archived(shared: &Shared) -> Result<(), Error> {
    match &shared.store {
        Some(_) => Ok(()),
        None => {
            Err(Error::FailedPrecondition("history needs an archive: this service has no [archive] configured".into()))
        }
    }
}

#[tonic::async_trait]
impl Lookout for LookoutApi {
    async fn vessels_near(
        &self,
        req: Request<pb::VesselsNearRequest>,
    ) -> Result<Response<pb::VesselsNearResponse>, Status> {
        let rescue_only = rescue_only(&req);
        let (region, note) = (region(&req), Note::of(&req));
        let r = req.into_inner();
        let now_ms = self.shared.now_ms();
        let engine = self.shared.engine.read();
        let (center, datum) = match r.datum_of_alert_id {
            0 => (convert::point("", r.lat_deg, r.lon_deg)?, None),
            id => {
                if r.lat_deg != 0.0 || r.lon_deg != 0.0 {
                    return Err(Error::invalid(
                        "datum_of_alert_id",
                        "is given with lat_deg/lon_deg: ask for one point, not two",
                    )
                    .into());
                }
                let datum = alerts::datum_of(engine.book(), id, rescue_only, region.as_deref(), now_ms)?;
                (LatLon::new(datum.lat, datum.lon), Some(datum))
            }
        };
        let q = NearQuery {
            center,
            radius_m: convert::radius(r.radius_m)?,
            max_results: convert::max_results("max_results", r.max_results, DEFAULT_NEAR_RESULTS, MAX_NEAR_RESULTS)?,
            filter: VesselFilter { within: region, ..convert::filter(r.filter)? },
            now_ms,
        };
        let result = engine.picture().near(&q);
        drop(engine);
        note.args(|| match r.datum_of_alert_id {
            0 => format!("near {:.5},{:.5} r={:.0} m", center.lat_deg, center.lon_deg, q.radius_m),
            id => format!("near alert {id} datum {:.5},{:.5} r={:.0} m", center.lat_deg, center.lon_deg, q.radius_m),
        });
        note.results(result.hits.len());
        let vessels = result.hits.iter().map(|h| convert::near_hit(h, &self.shared.sources)).collect();
        Ok(Response::new(pb::VesselsNearResponse {
            vessels,
            as_of_unix_ms: q.now_ms,
            total_in_radius: result.total_in_radius as u32,
            datum: datum.as_ref().map(convert::datum),
        }))
    }

    async fn get_vessel(&self, req: Request<pb::GetVesselRequest>) -> Result<Response<pb::Vessel>, Status> {
        let (region, note) = (region(&req), Note::of(&req));
        let mmsi = convert::mmsi(req.into_inner().mmsi, "mmsi")?;
        note.args(|| format!("mmsi {mmsi}"));
        // A vessel outside the caller's region is NOT_FOUND with the same words as an
        // unknown one: its existence is not revealed.
        let v = self
            .shared
            .engine
            .read()
            .picture()
            .get(mmsi)
            .cloned()
            .filter(|v| region.is_none() || v.fix.is_some_and(|f| sees(region.as_deref(), f.pos)));
        let v = v.ok_or_else(|| Error::NotFound(format!("MMSI {mmsi} is not in the live picture")))?;
        note.results(1);
        Ok(Response::new(convert::vessel(&v, &self.shared.sources)))
    }

    async fn vessels_in_area(
        &self,
        req: Request<pb::VesselsInAreaRequest>,
    ) -> Result<Response<pb::VesselsInAreaResponse>, Status> {
        let (region, note) = (region(&req), Note::of(&req));
        let r = req.into_inner();
        let area = convert::area(r.area, true)?;
        let limit = convert::max_results("max_results", r.max_results, DEFAULT_AREA_RESULTS, MAX_AREA_RESULTS)?;
        let filter = VesselFilter { within: region, ..convert::filter(r.filter)? };
        note.args(|| format!("area {}", audit::area(&area)));
        let (found, total) = super::query::in_area(self.shared.clone(), area, filter, limit).await?;
        note.results(found.len());
        let vessels = found.iter().map(|v| convert::vessel(v, &self.shared.sources)).collect();
        Ok(Response::new(pb::VesselsInAreaResponse { vessels, total_in_area: total as u32 }))
    }

    type SubscribeTracksStream = ReceiverStream<Result<pb::TrackEvent, Status>>;

    async fn subscribe_tracks(
        &self,
        req: Request<pb::SubscribeTracksRequest>,
    ) -> Result<Response<Self::SubscribeTracksStream>, Status> {
        let (region, note) = (region(&req), Note::of(&req));
        let slot = self.subscription_slot(&req)?;
        let spec = subscribe::Spec::from_request(req.into_inner())?.within(region);
        note.args(|| spec.summary());
        Ok(Response::new(subscribe::start(self.shared.clone(), spec, slot)))
    }

    async fn ingest(&self, req: Request<Streaming<pb::IngestRequest>>) -> Result<Response<pb::IngestSummary>, Status> {
        let req_operator = req.extensions().get::<super::Operator>().cloned();
        let note = Note::of(&req);
        let mut stream = req.into_inner();
        let Some(first) = stream.message().await? else {
            return Err(Error::invalid("source", "the stream ended before the first message").into());
        };
        let name = grpc::feeder_name(&first.source)?;
        note.args(|| format!("source {name}"));
        // A feeder feeds under its own name ("name" or "name/station"), never another's.
        if let Some(op) = req_operator.as_ref().filter(|o| !o.admin) {
            let own = name == op.name || name.strip_prefix(op.name.as_str()).is_some_and(|r| r.starts_with('/'));
            if !own {
                return Err(Status::permission_denied(format!(
                    "source {name:?}: operator {:?} may only feed as {:?} or {:?}",
                    op.name,
                    op.name,
                    format!("{}/<station>", op.name)
                )));
            }
        }
        let mut call = grpc::IngestCall::open(
            &self.shared.sources,
            name,
            self.shared.ingest_tx.clone(),
            self.shared.line_settings.clone(),
            self.shared.store.as_ref().map(Store::reader_ids),
        )?;
        let mut next = Some(first);
        let outcome: Result<(), Status> = async {
            while let Some(msg) = next.take() {
                call.lines(&msg.lines).await?;
                // A feeder streaming forever must not hold up a graceful shutdown.
                next = tokio::select! {
                    m = stream.message() => m?,
                    _ = self.shared.shutdown.cancelled() => None,
                };
            }
            // The reply says "received": only once it is on disk.
            call.durable().await?;
            Ok(())
        }
        .await;
        let status = call.close(outcome.as_ref().err().map(|e| e.message().to_string()));
        outcome?;
        let stats = convert::source_stats(&status);
        note.results(stats.lines as usize);
        Ok(Response::new(pb::IngestSummary { stats: Some(stats) }))
    }

    async fn push_detections(
        &self,
        req: Request<Streaming<pb::DetectionEvent>>,
    ) -> Result<Response<pb::PushDetectionsSummary>, Status> {
        // Whose rate this call spends: the operator's, or on an open service the address's.
        let feeder = match (req.extensions().get::<super::Operator>(), req.remote_addr()) {
            (Some(op), _) => op.name.clone(),
            (None, Some(addr)) => addr.ip().to_canonical().to_string(),
            (None, None) => String::new(),
        };
        self.shared.detection_rate.forget_idle();
        let note = Note::of(&req);
        let mut stream = req.into_inner();
        let mut push = grpc::DetectionPush::open(
            &self.shared.sources,
            self.shared.detections_tx.clone(),
            self.shared.store.is_some(),
            self.shared.line_settings.max_future_ms,
        )?;
        let mut summary = pb::PushDetectionsSummary::default();
        let mut index = 0u64;
        loop {
            // Take what has already arrived without waiting; when nothing
            // more is ready, what is held goes to the pipeline before waiting
            // for more: a drone may keep one stream open for hours, and its
            // sighting must not sit here until a batch fills. (Dropping the
            // unready `message()` future loses nothing: the decoder state is
            // in `stream`.)
            let next = match stream.message().now_or_never() {
                Some(m) => m?,
                None => {
                    push.send().await?;
                    tokio::select! {
                        m = stream.message() => m?,
                        _ = self.shared.shutdown.cancelled() => None,
                    }
                }
            };
            let Some(event) = next else { break };
            // Over its rate, the call stops reading: flow control slows the sender. What it
            // holds goes to the pipeline first, so waiting never delays a sighting.
            if !self.shared.detection_rate.try_admit(&feeder) {
                push.send().await?;
                self.shared.detection_rate.admit(&feeder).await;
            }
            let detection_id = event.detection_id.clone();
            match push.offer(convert::detection_event(event), self.shared.now_ms()) {
                Ok(()) => summary.accepted += 1,
                Err(e) => {
                    summary.rejected += 1;
                    if summary.rejections.len() < MAX_REJECTIONS_LISTED {
                        let (field, reason) = match &e {
                            Error::InvalidArgument(e) => (e.field.to_string(), e.reason.clone()),
                            other => (String::new(), other.to_string()),
                        };
                        summary.rejections.push(pb::Rejection {
                            index,
                            detection_id,
                            code: "INVALID_ARGUMENT".into(),
                            field,
                            reason,
                        });
                    }
                }
            }
            index += 1;
            if push.batch_full() {
                push.send().await?;
            }
        }
        push.send().await?;
        // The summary says "accepted": only once the events are on disk (answers come in
        // order, so the last one covers them all).
        push.durable().await?;
        note.results(summary.accepted as usize);
        Ok(Response::new(summary))
    }

    type SubscribeAlertsStream = ReceiverStream<Result<pb::AlertEvent, Status>>;

    async fn subscribe_alerts(
        &self,
        req: Request<pb::SubscribeAlertsRequest>,
    ) -> Result<Response<Self::SubscribeAlertsStream>, Status> {
        let rescue_only = rescue_only(&req);
        let (region, note) = (region(&req), Note::of(&req));
        let slot = self.subscription_slot(&req)?;
        let mut filter = convert::alert_filter(req.into_inner().filter)?;
        filter.rescue_only |= rescue_only;
        filter.within = region;
        note.args(|| alerts::summary(&filter, false));
        Ok(Response::new(alerts::subscribe(self.shared.clone(), filter, slot)))
    }

    async fn list_alerts(
        &self,
        req: Request<pb::ListAlertsRequest>,
    ) -> Result<Response<pb::ListAlertsResponse>, Status> {
        let rescue_only = rescue_only(&req);
        let (region, note) = (region(&req), Note::of(&req));
        let r = alerts::list(&self.shared, req.into_inner(), rescue_only, region, &note)?;
        note.results(r.alerts.len());
        Ok(Response::new(r))
    }

    async fn acknowledge_alert(
        &self,
        req: Request<pb::AcknowledgeAlertRequest>,
    ) -> Result<Response<pb::Alert>, Status> {
        let operator = req.extensions().get::<super::Operator>().cloned();
        let note = Note::of(&req);
        let r = req.into_inner();
        note.args(|| format!("alert {}{}", r.alert_id, if r.close { " close" } else { "" }));
        let (alert, durable) = alerts::acknowledge(&self.shared, r, operator)?;
        // Acknowledged only once the acknowledgement is on disk.
        if let Some(ticket) = durable {
            ticket.await.map_err(Error::from)?;
        }
        note.results(1);
        Ok(Response::new(alert))
    }

    async fn list_sensors(
        &self,
        req: Request<pb::ListSensorsRequest>,
    ) -> Result<Response<pb::ListSensorsResponse>, Status> {
        let r = sensors::list(&self.shared);
        Note::of(&req).results(r.sensors.len());
        Ok(Response::new(r))
    }

    async fn vessel_history(
        &self,
        req: Request<pb::VesselHistoryRequest>,
    ) -> Result<Response<pb::VesselHistoryResponse>, Status> {
        let (region, note) = (region(&req), Note::of(&req));
        let r = req.into_inner();
        let mmsi = convert::mmsi(r.mmsi, "mmsi")?;
        let (from, to) = super::replay::window(r.from, r.to, convert::MAX_HISTORY_WINDOW_MS, "MAX_HISTORY_WINDOW")?;
        note.args(|| format!("mmsi {mmsi} {}", audit::window(from, to)));
        let limit = convert::max_results(
            "max_results",
            r.max_results,
            convert::DEFAULT_HISTORY_POINTS,
            convert::MAX_HISTORY_POINTS,
        )?;
        self.archived()?;
        let shared = self.shared.clone();
        // The index is a file: read it off the async workers.
        let rows = tokio::task::spawn_blocking(move || {
            let store = shared.store.as_ref().expect("checked above");
            store.archive().positions(u64::from(mmsi), from, to)
        })
        .await
        .map_err(|e| Status::internal(format!("history task: {e}")))?
        .map_err(Error::from)?;
        // Positions outside the caller's region are not history it may see.
        let rows: Vec<_> = rows
            .into_iter()
            .filter(|r| sees(region.as_deref(), LatLon::new(r.sample.lat_deg, r.sample.lon_deg)))
            .collect();
        let truncated = rows.len() > limit;
        let points: Vec<_> = rows.iter().take(limit).map(convert::history_point).collect();
        note.results(points.len());
        Ok(Response::new(pb::VesselHistoryResponse { points, truncated }))
    }

    async fn alert_history(
        &self,
        req: Request<pb::AlertHistoryRequest>,
    ) -> Result<Response<pb::AlertHistoryResponse>, Status> {
        let (region, note) = (region(&req), Note::of(&req));
        let id = req.into_inner().alert_id;
        if id == 0 {
            return Err(Error::invalid("alert_id", "is required").into());
        }
        note.args(|| format!("alert {id}"));
        self.archived()?;
        let shared = self.shared.clone();
        let rows = tokio::task::spawn_blocking(move || {
            shared.store.as_ref().expect("checked above").archive().alert_versions(id)
        })
        .await
        .map_err(|e| Status::internal(format!("history task: {e}")))?
        .map_err(Error::from)?;
        // Versions at a position outside the caller's region are not shown; with none
        // left the alert is NOT_FOUND as an unknown one is.
        let rows: Vec<_> = rows
            .into_iter()
            .filter(|r| region.is_none() || replay::position_of(&r.payload).is_some_and(|p| sees(region.as_deref(), p)))
            .collect();
        if rows.is_empty() {
            return Err(Error::NotFound(format!("alert {id} has no archived versions")).into());
        }
        note.results(rows.len());
        Ok(Response::new(pb::AlertHistoryResponse {
            versions: rows.into_iter().map(convert::archived_version).collect(),
        }))
    }

    type ReplayStream = ReceiverStream<Result<pb::ReplayEvent, Status>>;

    async fn replay(&self, req: Request<pb::ReplayRequest>) -> Result<Response<Self::ReplayStream>, Status> {
        // The request is checked before a slot is taken, and without an archive nothing is.
        let spec = replay::ReplaySpec::from_request(req.get_ref().clone())?.within(region(&req));
        Note::of(&req).args(|| spec.summary());
        self.archived()?;
        // A paced replay is as long-lived as a subscription, and counted with them.
        let slot = self.subscription_slot(&req)?;
        Ok(Response::new(replay::start(self.shared.clone(), spec, slot)))
    }

    async fn area_history(
        &self,
        req: Request<pb::AreaHistoryRequest>,
    ) -> Result<Response<pb::AreaHistoryResponse>, Status> {
        let (region, note) = (region(&req), Note::of(&req));
        let r = replay::area_history(self.shared.clone(), req.into_inner(), region, &note).await?;
        note.results(r.vessels.iter().map(|v| v.points.len()).sum());
        Ok(Response::new(r))
    }

    async fn audit_log(&self, req: Request<pb::AuditLogRequest>) -> Result<Response<pb::AuditLogResponse>, Status> {
        let note = Note::of(&req);
        let r = req.into_inner();
        let from = convert::time_ms("from", r.from)?;
        let to = match r.to {
            Some(t) => convert::time_ms("to", Some(t))?,
            None => wall_ms() + 1,
        };
        if to < from {
            return Err(Error::invalid("to", "is before from").into());
        }
        let limit = convert::max_results("max_results", r.max_results, DEFAULT_AUDIT_ENTRIES, MAX_AUDIT_ENTRIES)?;
        note.args(|| {
            let who = if r.operator.is_empty() { String::new() } else { format!(" operator {}", r.operator) };
            format!("audit {}{who}", audit::window(from, to))
        });
        if self.shared.audit_store().is_none() {
            return Err(Error::FailedPrecondition(
                "the audit needs [audit] or [archive]: this service keeps no audit records".into(),
            )
            .into());
        }
        let shared = self.shared.clone();
        let operator = r.operator;
        // Segments are files: read them off the async workers.
        let (entries, truncated) = tokio::task::spawn_blocking(move || {
            let store = shared.audit_store().expect("checked above");
            let opts = lookout_archive::ReadOptions {
                kinds: Some(vec![crate::store::AUDIT]),
                ..lookout_archive::ReadOptions::time(from, to)
            };
            let mut out = Vec::new();
            for rec in store.archive().read(opts) {
                let rec = rec?;
                let Ok(a) = serde_json::from_slice::<crate::store::AuditRecord>(&rec.payload) else { continue };
                if !operator.is_empty() && a.operator != operator {
                    continue;
                }
                if out.len() == limit {
                    return Ok::<_, lookout_archive::Error>((out, true));
                }
                out.push(pb::AuditEntry {
                    time: Some(convert::timestamp(rec.time_ms)),
                    archive_seq: rec.seq,
                    operator: a.operator,
                    method: a.method,
                    peer: a.peer,
                    outcome: a.outcome,
                    reason: a.reason,
                    role: a.role,
                    purpose: a.purpose,
                    args: a.args,
                    results: a.results,
                });
            }
            Ok((out, false))
        })
        .await
        .map_err(|e| Status::internal(format!("audit task: {e}")))?
        .map_err(Error::from)?;
        note.results(entries.len());
        Ok(Response::new(pb::AuditLogResponse { entries, truncated }))
    }

    async fn place_hold(&self, req: Request<pb::PlaceHoldRequest>) -> Result<Response<pb::LegalHold>, Status> {
        let by = req.extensions().get::<super::Operator>().map_or("-", |o| o.name.as_str()).to_string();
        let note = Note::of(&req);
        let hold = convert::hold_from_pb(req.into_inner().hold, &by)?;
        note.args(|| format!("hold {:?} {}", hold.name, audit::window(hold.from_ms, hold.to_ms)));
        self.archived()?;
        let shared = self.shared.clone();
        let placed = hold.clone();
        // Waits for the hold's record to be on disk: off the async workers.
        tokio::task::spawn_blocking(move || {
            let store = shared.store.as_ref().expect("checked above");
            store.archive().place_hold(placed, wall_ms())
        })
        .await
        .map_err(|e| Status::internal(format!("hold task: {e}")))?
        .map_err(Error::from)?;
        tracing::info!(hold = %hold.name, by = %by, from_ms = hold.from_ms, to_ms = hold.to_ms, "legal hold placed");
        Ok(Response::new(convert::hold_to_pb(hold)))
    }

    async fn release_hold(
        &self,
        req: Request<pb::ReleaseHoldRequest>,
    ) -> Result<Response<pb::ReleaseHoldResponse>, Status> {
        let by = req.extensions().get::<super::Operator>().map_or("-", |o| o.name.as_str()).to_string();
        let note = Note::of(&req);
        let name = req.into_inner().name;
        note.args(|| format!("release hold {name:?}"));
        self.archived()?;
        let shared = self.shared.clone();
        let n = name.clone();
        let released = tokio::task::spawn_blocking(move || {
            shared.store.as_ref().expect("checked above").archive().release_hold(&n, wall_ms())
        })
        .await
        .map_err(|e| Status::internal(format!("hold task: {e}")))?
        .map_err(Error::from)?;
        if !released {
            return Err(Error::NotFound(format!("legal hold {name:?}")).into());
        }
        tracing::info!(hold = %name, by = %by, "legal hold released");
        Ok(Response::new(pb::ReleaseHoldResponse {}))
    }

    async fn list_holds(&self, _req: Request<pb::ListHoldsRequest>) -> Result<Response<pb::ListHoldsResponse>, Status> {
        self.archived()?;
        let mut holds = self.shared.store.as_ref().expect("checked above").archive().holds();
        holds.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Response::new(pb::ListHoldsResponse { holds: holds.into_iter().map(convert::hold_to_pb).collect() }))
    }

    async fn stats(&self, _req: Request<pb::StatsRequest>) -> Result<Response<pb::StatsResponse>, Status> {
        let (live_alerts, baseline_loaded) = {
            let engine = self.shared.engine.read();
            (engine.book().alerts().filter(|a| a.state.is_live()).count() as u32, engine.baseline().is_some())
        };
        let sources = self.shared.sources.all().iter().map(|s| convert::source_stats(s)).collect();
        let engine = self.shared.engine.read();
        let pic = engine.picture();
        Ok(Response::new(pb::StatsResponse {
            sources,
            live_vessels: pic.positioned() as u32,
            indexed_positions: pic.indexed() as u32,
            aged_out: pic.counters().aged_out,
            uptime_s: (wall_ms() - self.shared.started_ms) / 1000,
            subscribers: self.shared.subscribers.load(Ordering::Relaxed) as u32,
            dark_tracks: pic.dark_tracks().count() as u32,
            tracker_tracks: pic.track_count() as u32,
            alert_subscribers: self.shared.alert_subscribers.load(Ordering::Relaxed) as u32,
            live_alerts,
            baseline_loaded,
            observations_applied: engine.observations_applied(),
            stale_reports: pic.counters().stale_reports,
            future_reports: pic.counters().future_reports,
            held_future_reports: pic.counters().held_future,
            invalid_mmsi: pic.counters().invalid_mmsi,
            vessels_refused_at_cap: pic.counters().vessels_refused_at_cap,
            tracks_refused_at_cap: pic.tracks_refused_at_cap(),
            archive: self.shared.store.as_ref().map(|store| convert::archive_stats(&self.shared, store)),
        }))
    }
}
