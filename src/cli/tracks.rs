//! `lookout tracks`: follow the live picture (SubscribeTracks), and come back
//! after the service restarts.

use std::time::Duration;

use lookout_server::api::pb;

use super::{area::parse_bbox, connect, out_line, vessel::vessel_json, RemoteArgs};

/// Follow vessels and tracks as they change (SubscribeTracks): a snapshot of the area,
/// then every update, entry and exit. If the service goes away it says so, reconnects
/// (see --reconnect-for) and subscribes again — the new subscription opens with a fresh
/// snapshot, so nothing is silently missed — and exits non-zero when it gives up.
#[derive(clap::Args)]
pub struct TracksArgs {
    /// Only this area, MIN_LAT,MIN_LON,MAX_LAT,MAX_LON in decimal degrees (default: the world).
    #[arg(long, allow_hyphen_values = true, value_parser = parse_bbox)]
    bbox: Option<pb::BoundingBox>,
    /// Only these MMSIs (repeat the flag for several).
    #[arg(long = "mmsi")]
    mmsis: Vec<u32>,
    /// At most one update per vessel per interval (the latest is sent when it ends), e.g. 10s.
    #[arg(long, default_value = "0s", value_parser = humantime::parse_duration)]
    min_interval: Duration,
    /// How long to keep trying to reconnect and subscribe again after the stream ends or the
    /// connection drops (waits of 0.5 s doubling to 8 s); 0s gives up at once.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    reconnect_for: Duration,
    /// One JSON object per line: "event" (snapshot, snapshot_complete, update, entered,
    /// exited, missed, connection_lost, reconnected) with the vessel as `lookout vessel
    /// --json` writes it, or the exit's mmsi, track_id and reason.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    remote: RemoteArgs,
}

impl TracksArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        let min_interval_ms = u32::try_from(self.min_interval.as_millis())
            .map_err(|_| anyhow::anyhow!("--min-interval is longer than 49 days"))?;
        let req = pb::SubscribeTracksRequest {
            area: self.bbox.map(|b| pb::Area { shape: Some(pb::area::Shape::Bbox(b)) }),
            min_interval_ms,
            mmsi: self.mmsis.clone(),
        };
        let mut client = connect(&self.remote).await?;
        let mut stream = client.subscribe_tracks(req.clone()).await.map_err(|s| self.remote.refused(s))?.into_inner();
        let mut events = 0u64;
        loop {
            let ended = self.print_until_the_stream_ends(&mut stream, &mut events).await?;
            if self.reconnect_for.is_zero() {
                return Err(ended);
            }
            self.say("connection_lost", &format!("-- connection lost ({ended:#}); reconnecting"), Some(&ended))?;
            stream = super::retry_with_backoff(self.reconnect_for, || async {
                let mut c = connect(&self.remote).await?;
                anyhow::Ok(c.subscribe_tracks(req.clone()).await.map_err(|s| self.remote.refused(s))?.into_inner())
            })
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "{ended:#}; gave up reconnecting after {}: {e:#}",
                    humantime::format_duration(self.reconnect_for)
                )
            })?;
            self.say("reconnected", "-- reconnected; a fresh snapshot follows", None)?;
        }
    }

    /// A line about the connection itself, as text or JSON.
    fn say(&self, event: &str, text: &str, reason: Option<&anyhow::Error>) -> anyhow::Result<()> {
        if self.json {
            let mut v = serde_json::json!({ "event": event });
            if let Some(r) = reason {
                v["reason"] = format!("{r:#}").into();
            }
            out_line(v)
        } else {
            out_line(text.to_string())
        }
    }

    /// Prints the stream's events until it ends; returns why it ended (a subscription has
    /// no natural end), or an error writing the output.
    async fn print_until_the_stream_ends(
        &self,
        stream: &mut tonic::Streaming<pb::TrackEvent>,
        events: &mut u64,
    ) -> anyhow::Result<anyhow::Error> {
        use pb::track_event::Event;
        loop {
            let e = match stream.message().await {
                Ok(Some(e)) => e,
                Ok(None) => {
                    return Ok(anyhow::anyhow!(
                        "{} ended the track subscription (the service is shutting down or restarting) after {events} event(s)",
                        self.remote.url().unwrap_or_default()
                    ))
                }
                Err(s) => {
                    return Ok(self.remote.lost(s).context(format!("lost the track subscription after {events} event(s)")))
                }
            };
            *events += 1;
            let (name, vessel) = match e.event {
                Some(Event::Snapshot(v)) => ("snapshot", v),
                Some(Event::Update(v)) => ("update", v),
                Some(Event::Entered(v)) => ("entered", v),
                Some(Event::Exited(x)) => {
                    let reason = pb::vessel_exited::Reason::try_from(x.reason)
                        .map_or("?", |r| r.as_str_name())
                        .trim_start_matches("REASON_")
                        .to_ascii_lowercase();
                    if self.json {
                        out_line(serde_json::json!({
                            "event": "exited", "mmsi": x.mmsi, "track_id": x.track_id, "reason": reason,
                        }))?;
                    } else {
                        out_line(format!("exited   {} ({reason})", id(x.mmsi, x.track_id)))?;
                    }
                    continue;
                }
                Some(Event::SnapshotComplete(c)) => {
                    self.say(
                        "snapshot_complete",
                        &format!("-- {} vessel(s) in the area; following changes", c.vessels),
                        None,
                    )?;
                    continue;
                }
                Some(Event::Missed(m)) => {
                    if self.json {
                        out_line(serde_json::json!({"event": "missed", "updates_missed": m.updates_missed}))?;
                    } else {
                        out_line(format!(
                            "-- fell behind: {} update(s) missed; a fresh snapshot follows",
                            m.updates_missed
                        ))?;
                    }
                    continue;
                }
                Some(Event::Heartbeat(_)) | None => continue,
            };
            if self.json {
                let mut v = vessel_json(&vessel);
                v["event"] = name.into();
                out_line(v)?;
            } else {
                out_line(format!("{name:<8} {}", vessel_line(&vessel)))?;
            }
        }
    }
}

/// An MMSI, or `T<track id>` for a dark track.
fn id(mmsi: u32, track_id: u64) -> String {
    if mmsi == 0 {
        format!("T{track_id}")
    } else {
        mmsi.to_string()
    }
}

/// One vessel on one line: id, name, position, SOG, COG.
fn vessel_line(v: &pb::Vessel) -> String {
    let name = v.static_data.as_ref().and_then(|s| s.name.clone()).unwrap_or_default();
    let pos = v.position.as_ref().map_or("-".into(), |p| format!("{:.4},{:.4}", p.lat_deg, p.lon_deg));
    format!(
        "{} {:?} {pos} {} kn {}°",
        id(v.mmsi, v.track_id),
        name,
        v.sog_kn.map_or("-".into(), |x| format!("{x:.1}")),
        v.cog_deg.map_or("-".into(), |x| format!("{x:.0}"))
    )
}
