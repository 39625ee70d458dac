//! `Replay` and `AreaHistory`: what happened in a window, from the archive's indexes.
//!
//! Positions come from the position index (one a minute per vessel, as `VesselHistory`
//! gives them), read a few minutes of the window at a time so a long window costs no more
//! memory than a short one; alert versions come from the alert index, whose every version
//! is read once per replay (alert versions are few) and chosen by their own `updated_at`,
//! the engine's clock, as `lookout export` chooses them (under the recording clock a
//! record's archive time can be the wall clock's). The segments are never scanned.
//!
//! Deterministic: the order is (time, positions before alert versions, MMSI or alert id,
//! version), every field comes from the index, and pacing changes only when a message is
//! sent, so the same window gives the same messages.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;

use super::convert::{self, timestamp};
use super::pb::{self, replay_event::Event};
use crate::error::Error;
use crate::service::Shared;
use lookout_archive::GeoBox;
use lookout_core::LatLon;
use lookout_picture::{Area, BandedPolygon};

/// Replay messages queued for a client before the replay waits for it.
pub const REPLAY_QUEUE: usize = 256;
/// Longest window `Replay` plays, ms: a day (an incident and its approach), not a month.
pub const MAX_REPLAY_WINDOW_MS: i64 = 24 * 3_600_000;
/// Fastest `Replay` pace, times real time: an hour a second.
pub const MAX_REPLAY_SPEED: f64 = 3600.0;
/// How much of the window is read from the index at once, ms: at one position a minute,
/// five per vessel.
const REPLAY_CHUNK_MS: i64 = 5 * 60_000;
/// Most positions in one [`REPLAY_CHUNK_MS`] of a window: 40,000 vessels reporting. More
/// is refused (RESOURCE_EXHAUSTED) rather than held in memory: ask for an area.
pub const MAX_REPLAY_CHUNK_POSITIONS: usize = 200_000;

/// A validated `Replay` request.
pub struct ReplaySpec {
    from_ms: i64,
    to_ms: i64,
    area: Area,
    /// The area's bounding boxes for the index; `None` for the whole world.
    boxes: Option<Vec<GeoBox>>,
    /// Times real time; 0 is unpaced.
    speed: f64,
    /// The caller's region (its operator's `area`), set by the server: positions and
    /// alert versions outside it are not replayed.
    within: Option<Arc<BandedPolygon>>,
}

impl ReplaySpec {
    /// Checks a request: INVALID_ARGUMENT naming the field, RESOURCE_EXHAUSTED naming the
    /// limit.
    pub fn from_request(r: pb::ReplayRequest) -> Result<Self, Error> {
        let (from_ms, to_ms) = window(r.from, r.to, MAX_REPLAY_WINDOW_MS, "MAX_REPLAY_WINDOW")?;
        if !r.speed.is_finite() || r.speed < 0.0 {
            return Err(Error::invalid("speed", format!("{} is not a pace: 0 (unpaced) or more", r.speed)));
        }
        if r.speed > MAX_REPLAY_SPEED {
            return Err(Error::invalid(
                "speed",
                format!("{} exceeds {MAX_REPLAY_SPEED} times real time (MAX_REPLAY_SPEED)", r.speed),
            ));
        }
        let area = convert::area(r.area, false)?;
        Ok(ReplaySpec { from_ms, to_ms, boxes: boxes(&area), area, speed: r.speed, within: None })
    }

    /// Restricts the replay to the caller's region (`None`: anywhere).
    pub fn within(mut self, region: Option<Arc<BandedPolygon>>) -> Self {
        self.within = region;
        self
    }

    /// The replay in a few words, for the audit.
    pub fn summary(&self) -> String {
        format!(
            "replay {} {} speed={}",
            super::audit::area(&self.area),
            super::audit::window(self.from_ms, self.to_ms),
            self.speed
        )
    }
}

/// Whether `(lat, lon)` is inside `area` and the caller's `region`.
fn inside(area: &Area, region: Option<&BandedPolygon>, lat: f64, lon: f64) -> bool {
    let p = LatLon::new(lat, lon);
    area.contains(p) && region.is_none_or(|r| r.covers_latlon(p))
}

/// Where an archived alert version puts the alert (its `lat`, `lon`); `None` if the
/// record does not say.
pub fn position_of(payload: &[u8]) -> Option<LatLon> {
    #[derive(Deserialize)]
    struct At {
        lat: f64,
        lon: f64,
    }
    let at: At = serde_json::from_slice(payload).ok()?;
    Some(LatLon::new(at.lat, at.lon))
}

/// `from` and `to`, both required, `from <= to`, at most `max_ms` apart (`limit` names it).
pub(super) fn window(
    from: Option<prost_types::Timestamp>,
    to: Option<prost_types::Timestamp>,
    max_ms: i64,
    limit: &str,
) -> Result<(i64, i64), Error> {
    let (from, to) = (convert::time_ms("from", from)?, convert::time_ms("to", to)?);
    if to < from {
        return Err(Error::invalid("to", "is before from"));
    }
    if to - from > max_ms {
        return Err(Error::ResourceExhausted(format!(
            "to - from is {} s, longer than the limit of {} s ({limit}): ask for a shorter window",
            (to - from) / 1000,
            max_ms / 1000
        )));
    }
    Ok((from, to))
}

/// An area's bounding boxes, as the index takes them; `None` for the world.
fn boxes(area: &Area) -> Option<Vec<GeoBox>> {
    match area {
        Area::World => None,
        a => Some(
            a.envelopes()
                .into_iter()
                .map(|([min_lon, min_lat], [max_lon, max_lat])| GeoBox { min_lat, min_lon, max_lat, max_lon })
                .collect(),
        ),
    }
}

/// Starts a replay task and returns its stream; the task ends when the window has been
/// sent or the client has gone (its queue closed), whichever comes first.
pub fn start(
    shared: Arc<Shared>,
    spec: ReplaySpec,
    slot: super::limits::SubscriptionSlot,
) -> ReceiverStream<Result<pb::ReplayEvent, Status>> {
    let (tx, rx) = mpsc::channel(REPLAY_QUEUE);
    tokio::spawn(async move {
        if let Err(Stop::Failed(status)) = run(&shared, &spec, &tx).await {
            let _ = tx.send(Err(status)).await;
        }
        drop(slot);
    });
    ReceiverStream::new(rx)
}

/// Why a replay stopped early.
enum Stop {
    /// The client went away.
    Gone,
    /// An error to send it.
    Failed(Status),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Stop::Failed(e.into())
    }
}

/// One message to send, with its place in the order.
struct Pending {
    key: (i64, u8, u64, u32),
    event: Event,
}

async fn run(
    shared: &Arc<Shared>,
    spec: &ReplaySpec,
    tx: &mpsc::Sender<Result<pb::ReplayEvent, Status>>,
) -> Result<(), Stop> {
    let (from, to) = (spec.from_ms, spec.to_ms);
    let (area, region) = (spec.area.clone(), spec.within.clone());
    let alerts = blocking(shared, move |s| alert_versions(s, from, to, &area, region.as_deref())).await?;
    let mut alerts = alerts.into_iter().peekable();
    let started = tokio::time::Instant::now();
    let (mut positions_sent, mut alerts_sent) = (0u64, 0u64);
    let mut t = from;
    while t < to {
        let end = (t + REPLAY_CHUNK_MS).min(to);
        if tx.is_closed() {
            return Err(Stop::Gone);
        }
        let (boxes, area, region) = (spec.boxes.clone(), spec.area.clone(), spec.within.clone());
        let (rows, more) = blocking(shared, move |s| {
            let keep = |lat: f64, lon: f64| inside(&area, region.as_deref(), lat, lon);
            Ok(s.archive().positions_in_window(boxes.as_deref(), &keep, t, end, MAX_REPLAY_CHUNK_POSITIONS)?)
        })
        .await?;
        if more {
            return Err(Error::ResourceExhausted(format!(
                "more than {MAX_REPLAY_CHUNK_POSITIONS} positions in the {} minutes from {} \
                 (MAX_REPLAY_CHUNK_POSITIONS): replay a smaller area",
                REPLAY_CHUNK_MS / 60_000,
                lookout_core::time::rfc3339_ms(t)
            ))
            .into());
        }
        let mut batch: Vec<Pending> = rows
            .into_iter()
            .map(|(mmsi, row)| Pending {
                key: (row.time_ms, 0, mmsi, 0),
                event: Event::Position(pb::ReplayPosition {
                    mmsi: mmsi as u32,
                    point: Some(convert::history_point(&row)),
                }),
            })
            .collect();
        while let Some(a) = alerts.next_if(|a| a.key.0 < end) {
            batch.push(a);
        }
        batch.sort_by_key(|p| p.key);
        for p in batch {
            if spec.speed > 0.0 {
                let due = started + Duration::from_secs_f64((p.key.0 - from) as f64 / 1000.0 / spec.speed);
                tokio::select! {
                    _ = tokio::time::sleep_until(due) => {}
                    _ = tx.closed() => return Err(Stop::Gone),
                }
            }
            match p.event {
                Event::Position(_) => positions_sent += 1,
                _ => alerts_sent += 1,
            }
            let event = pb::ReplayEvent { time: Some(timestamp(p.key.0)), event: Some(p.event) };
            tx.send(Ok(event)).await.map_err(|_| Stop::Gone)?;
        }
        t = end;
    }
    let end = pb::ReplayEnd { positions: positions_sent, alert_versions: alerts_sent };
    let event = pb::ReplayEvent { time: Some(timestamp(to)), event: Some(Event::End(end)) };
    tx.send(Ok(event)).await.map_err(|_| Stop::Gone)
}

/// Runs an index read on the blocking pool (the index is a file).
async fn blocking<T: Send + 'static>(
    shared: &Arc<Shared>,
    work: impl FnOnce(&crate::store::Store) -> Result<T, Error> + Send + 'static,
) -> Result<T, Stop> {
    let shared = shared.clone();
    tokio::task::spawn_blocking(move || work(shared.store.as_ref().expect("checked by the handler")))
        .await
        .map_err(|e| Stop::Failed(Status::internal(format!("replay task: {e}"))))?
        .map_err(Stop::from)
}

/// The alert versions made in `[from_ms, to_ms)` (by `updated_at`) at a position inside
/// `area` and the caller's `region`, in replay order.
fn alert_versions(
    store: &crate::store::Store,
    from_ms: i64,
    to_ms: i64,
    area: &Area,
    region: Option<&BandedPolygon>,
) -> Result<Vec<Pending>, Error> {
    let mut out = Vec::new();
    for (alert_id, row) in store.archive().all_alert_versions()? {
        let Some((updated_ms, alert)) = archived_alert(&row.payload) else {
            tracing::warn!(alert_id, version = row.version, "archived alert version unreadable; not replayed");
            continue;
        };
        let inside = alert.position.as_ref().is_some_and(|p| inside(area, region, p.lat_deg, p.lon_deg));
        if (from_ms..to_ms).contains(&updated_ms) && inside {
            out.push(Pending {
                key: (updated_ms, 1, alert_id, row.version),
                event: Event::Alert(Box::new(pb::ReplayAlert {
                    alert: Some(alert),
                    archive_seq: row.seq,
                    record_json: String::from_utf8_lossy(&row.payload).into_owned(),
                })),
            });
        }
    }
    out.sort_by_key(|p| p.key);
    Ok(out)
}

/// An archived alert version (`lookout_alert::AlertRecord`, as the store wrote it).
#[derive(Deserialize)]
struct ArchivedAlert {
    alert_id: u64,
    kind: lookout_score::AlertKind,
    severity: lookout_score::Severity,
    score: f64,
    state: lookout_alert::AlertState,
    version: u32,
    opened_at: String,
    updated_at: String,
    closed_at: Option<String>,
    lat: f64,
    lon: f64,
    track_id: Option<u64>,
    mmsi: Option<u32>,
    persons_on_board: Option<ArchivedPob>,
    rescue: bool,
    explanation: String,
    evidence: std::collections::BTreeMap<String, String>,
    retraction: Option<String>,
    merged_into: Option<u64>,
    contact_lost: Option<ArchivedContactLost>,
    acknowledged: Option<ArchivedAck>,
}

#[derive(Deserialize)]
struct ArchivedPob {
    estimate: u32,
    low: u32,
    high: u32,
    basis: String,
}

#[derive(Deserialize)]
struct ArchivedMotion {
    cog_deg: f64,
    sog_kn: f64,
}

#[derive(Deserialize)]
struct ArchivedContactLost {
    last_lat: f64,
    last_lon: f64,
    last_seen: String,
    lost_at: String,
    why: String,
    motion: Option<ArchivedMotion>,
    position_error_nm: f64,
    datum_lat: f64,
    datum_lon: f64,
    datum_radius_nm: f64,
}

#[derive(Deserialize)]
struct ArchivedAck {
    by: String,
    note: String,
    at: String,
}

/// An archived alert version as the API's `Alert`, with its `updated_at` in ms; `None`
/// if the record does not parse.
fn archived_alert(payload: &[u8]) -> Option<(i64, pb::Alert)> {
    let a: ArchivedAlert = serde_json::from_slice(payload).ok()?;
    let ms = |s: &str| lookout_core::time::parse_rfc3339_ms(s).ok();
    let ts = |s: &str| ms(s).map(timestamp);
    let latlon = |lat_deg, lon_deg| pb::LatLon { lat_deg, lon_deg };
    let updated_ms = ms(&a.updated_at)?;
    let alert = pb::Alert {
        alert_id: a.alert_id,
        kind: convert::alert_kind_to_pb(a.kind) as i32,
        severity: convert::severity_to_pb(a.severity) as i32,
        score: a.score,
        state: convert::alert_state_to_pb(a.state) as i32,
        version: a.version,
        opened_at: ts(&a.opened_at),
        updated_at: Some(timestamp(updated_ms)),
        closed_at: a.closed_at.as_deref().and_then(ts),
        position: Some(latlon(a.lat, a.lon)),
        track_id: a.track_id,
        mmsi: a.mmsi,
        persons_on_board: a.persons_on_board.map(|p| pb::PersonsOnBoard {
            estimate: p.estimate,
            low: p.low,
            high: p.high,
            basis: match p.basis.as_str() {
                "counted" => pb::PobBasis::Counted,
                _ => pb::PobBasis::Prior,
            } as i32,
            ..Default::default()
        }),
        explanation: a.explanation,
        evidence: a.evidence.into_iter().collect(),
        rescue: a.rescue,
        acknowledged: a.acknowledged.map(|k| pb::Acknowledgement { at: ts(&k.at), by: k.by, note: k.note }),
        retraction: a.retraction.unwrap_or_default(),
        track_ids: a.track_id.into_iter().collect(),
        contact_lost: a.contact_lost.map(|c| pb::ContactLost {
            last_position: Some(latlon(c.last_lat, c.last_lon)),
            last_seen: ts(&c.last_seen),
            lost_at: ts(&c.lost_at),
            cog_deg: c.motion.as_ref().map(|m| m.cog_deg),
            sog_kn: c.motion.as_ref().map(|m| m.sog_kn),
            why: c.why,
            position_error_nm: c.position_error_nm,
            datum: Some(pb::Datum {
                position: Some(latlon(c.datum_lat, c.datum_lon)),
                radius_nm: c.datum_radius_nm,
                at: Some(timestamp(updated_ms)),
            }),
            ..Default::default()
        }),
        merged_into: a.merged_into,
    };
    Some((updated_ms, alert))
}

/// `AreaHistory`: the positions inside `area` (and the caller's `region`) in the window,
/// by vessel, and whether `max_results` cut them short (then the earliest are given).
pub async fn area_history(
    shared: Arc<Shared>,
    r: pb::AreaHistoryRequest,
    region: Option<Arc<BandedPolygon>>,
    note: &super::audit::Note,
) -> Result<pb::AreaHistoryResponse, Error> {
    let area = convert::area(r.area, true)?;
    let (from, to) = window(r.from, r.to, convert::MAX_HISTORY_WINDOW_MS, "MAX_HISTORY_WINDOW")?;
    note.args(|| format!("area {} {}", super::audit::area(&area), super::audit::window(from, to)));
    let limit = convert::max_results(
        "max_results",
        r.max_results,
        convert::DEFAULT_HISTORY_POINTS,
        convert::MAX_HISTORY_POINTS,
    )?;
    super::service::archived(&shared)?;
    let boxes = boxes(&area);
    // A month of an area can be many rows: one of the heavy-query slots, with its deadline.
    let (rows, truncated) = super::query::off_the_workers(move |_| {
        let store = shared.store.as_ref().expect("checked above");
        let keep = |lat: f64, lon: f64| inside(&area, region.as_deref(), lat, lon);
        Ok(store.archive().positions_in_window(boxes.as_deref(), &keep, from, to, limit)?)
    })
    .await?;
    let mut by_vessel: std::collections::BTreeMap<u64, Vec<pb::HistoryPoint>> = Default::default();
    for (mmsi, row) in &rows {
        by_vessel.entry(*mmsi).or_default().push(convert::history_point(row));
    }
    let vessels =
        by_vessel.into_iter().map(|(mmsi, points)| pb::VesselTrackHistory { mmsi: mmsi as u32, points }).collect();
    Ok(pb::AreaHistoryResponse { vessels, truncated })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: i64) -> Option<prost_types::Timestamp> {
        Some(prost_types::Timestamp { seconds: s, nanos: 0 })
    }

    #[test]
    fn requests_are_refused_by_field_and_limit() {
        let ok = pb::ReplayRequest { from: ts(1_000), to: ts(4_600), area: None, speed: 60.0 };
        assert!(ReplaySpec::from_request(ok.clone()).is_ok());
        let msg = |r: pb::ReplayRequest| match ReplaySpec::from_request(r) {
            Err(e) => {
                let s: Status = e.into();
                (s.code(), s.message().to_string())
            }
            Ok(_) => panic!("accepted"),
        };
        let (code, m) = msg(pb::ReplayRequest { to: ts(999), ..ok.clone() });
        assert_eq!(code, tonic::Code::InvalidArgument);
        assert!(m.contains("to"), "{m}");
        let (code, m) = msg(pb::ReplayRequest { from: None, ..ok.clone() });
        assert!(code == tonic::Code::InvalidArgument && m.contains("from"), "{m}");
        let (code, m) = msg(pb::ReplayRequest { to: ts(1_000 + 86_401), ..ok.clone() });
        assert!(code == tonic::Code::ResourceExhausted && m.contains("MAX_REPLAY_WINDOW"), "{m}");
        for speed in [-1.0, f64::NAN, 3601.0] {
            let (code, m) = msg(pb::ReplayRequest { speed, ..ok.clone() });
            assert!(code == tonic::Code::InvalidArgument && m.contains("speed"), "{speed}: {m}");
        }
        let vertices = (0..1001)
            .map(|i| {
                let a = i as f64 / 1001.0 * std::f64::consts::TAU;
                pb::LatLon { lat_deg: 35.0 + a.sin(), lon_deg: 12.0 + a.cos() }
            })
            .collect();
        let polygon = pb::Area { shape: Some(pb::area::Shape::Polygon(pb::Polygon { vertices })) };
        let (code, m) = msg(pb::ReplayRequest { area: Some(polygon), ..ok });
        assert!(code == tonic::Code::ResourceExhausted && m.contains("MAX_POLYGON_VERTICES"), "{m}");
    }

    #[test]
    fn an_archived_alert_reads_back_as_the_api_alert() {
        let json = br#"{"seq":7,"alert_id":3,"kind":"OVERCROWDED","severity":"CRITICAL","score":0.912,"state":"CONTACT_LOST","version":4,"opened_at":"2026-06-01T00:10:00Z","updated_at":"2026-06-01T00:20:00.500Z","lat":35.1,"lon":12.2,"track_id":9,"persons_on_board":{"estimate":70,"low":55,"high":85,"basis":"counted"},"rescue":true,"explanation":"70 people","evidence":{"a":"1"},"contact_lost":{"last_lat":35.1,"last_lon":12.2,"last_seen":"2026-06-01T00:17:00Z","lost_at":"2026-06-01T00:19:00Z","why":"no report","motion":{"cog_deg":90.0,"sog_kn":4.0},"position_error_nm":0.5,"datum_lat":35.1,"datum_lon":12.25,"datum_radius_nm":1.2}}"#;
        let (ms, a) = archived_alert(json).unwrap();
        assert_eq!(ms, 1_780_273_200_500);
        assert_eq!(
            (a.alert_id, a.version, a.kind(), a.state()),
            (3, 4, pb::AlertKind::Overcrowded, pb::AlertState::ContactLost)
        );
        assert_eq!(a.persons_on_board.unwrap().basis(), pb::PobBasis::Counted);
        let c = a.contact_lost.unwrap();
        assert_eq!(c.datum.unwrap().radius_nm, 1.2);
        assert_eq!(c.sog_kn, Some(4.0));
        assert!(archived_alert(b"{\"alert_id\":3}").is_none());
    }
}
