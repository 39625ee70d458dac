//! `lookout alerts`: the alerts a service holds, or every change as it happens.

use std::time::Duration;

use lookout_server::api::pb;

use super::{connect, out_line, RemoteArgs};

/// List the alerts a running service holds (distress first), or follow them live.
#[derive(clap::Args)]
pub struct AlertsArgs {
    /// Keep the subscription open and print every change (SubscribeAlerts). If the
    /// service goes away it reconnects (see --reconnect-for) and exits non-zero with a
    /// message when it gives up.
    #[arg(long)]
    follow: bool,
    /// With --follow: how long to keep trying to reconnect and subscribe again after the
    /// stream ends or the connection drops (waits of 0.5 s doubling to 8 s). The new
    /// subscription opens with the live alerts, so nothing is missed; 0s gives up at once.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    reconnect_for: Duration,
    /// Only distress-like alerts (for a rescue coordination centre).
    #[arg(long)]
    rescue_only: bool,
    /// Only these kinds (repeat the flag for several), e.g. --kind DARK_TARGET --kind RENDEZVOUS.
    #[arg(long = "kind", value_enum, ignore_case = true)]
    kinds: Vec<AlertKindArg>,
    /// Lowest severity to show.
    #[arg(long, value_enum, ignore_case = true)]
    min_severity: Option<SeverityArg>,
    /// Also closed and retracted alerts (a list only: a live subscription carries
    /// live alerts and their changes, endings included).
    #[arg(long, conflicts_with = "follow")]
    ended: bool,
    /// One JSON object per line instead of text: alert_id, version, kind, severity, state,
    /// opened_at, updated_at, lat_deg, lon_deg, mmsi, track_id, persons_on_board, explanation,
    /// evidence, acknowledged...; with --follow each line also has "event": snapshot,
    /// snapshot_complete, change or missed.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    remote: RemoteArgs,
}

/// An alert kind as the command line names it (the proto's names without `ALERT_KIND_`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlertKindArg {
    /// Confirmed radar/drone track with no AIS.
    #[value(alias = "dark-target")]
    DarkTarget,
    /// Stopped reporting inside coverage, away from port.
    #[value(alias = "ais-gap")]
    AisGap,
    /// Lingering where vessels do not linger.
    Loitering,
    /// Two vessels together, slow, away from port.
    Rendezvous,
    /// Movement the baseline finds very unlikely.
    #[value(alias = "route-deviation")]
    RouteDeviation,
    /// Impossible speed, or one MMSI in two places.
    #[value(alias = "position-jump")]
    PositionJump,
    /// Persons on board above safe capacity: distress.
    Overcrowded,
}

impl AlertKindArg {
    fn pb(self) -> pb::AlertKind {
        match self {
            Self::DarkTarget => pb::AlertKind::DarkTarget,
            Self::AisGap => pb::AlertKind::AisGap,
            Self::Loitering => pb::AlertKind::Loitering,
            Self::Rendezvous => pb::AlertKind::Rendezvous,
            Self::RouteDeviation => pb::AlertKind::RouteDeviation,
            Self::PositionJump => pb::AlertKind::PositionJump,
            Self::Overcrowded => pb::AlertKind::Overcrowded,
        }
    }
}

/// A severity as the command line names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SeverityArg {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl SeverityArg {
    fn pb(self) -> pb::Severity {
        match self {
            Self::Info => pb::Severity::Info,
            Self::Low => pb::Severity::Low,
            Self::Medium => pb::Severity::Medium,
            Self::High => pb::Severity::High,
            Self::Critical => pb::Severity::Critical,
        }
    }
}

impl AlertsArgs {
    /// Prints the alerts, one line each (distress first), or with `--follow`
    /// every change as it happens.
    pub async fn run(self) -> anyhow::Result<()> {
        let filter = alert_filter_args(&self.kinds, self.min_severity, self.rescue_only);
        let mut client = connect(&self.remote).await?;
        if !self.follow {
            let r = client
                .list_alerts(pb::ListAlertsRequest { filter: Some(filter), include_ended: self.ended, max_results: 0 })
                .await
                .map_err(|s| self.remote.refused(s))?
                .into_inner();
            if self.json {
                for a in &r.alerts {
                    out_line(alert_json(a))?;
                }
            } else {
                out_line(format!("{} alert(s)", r.total))?;
                for a in &r.alerts {
                    out_line(alert_line(a))?;
                }
            }
            return Ok(());
        }
        let mut stream = client
            .subscribe_alerts(pb::SubscribeAlertsRequest { filter: Some(filter.clone()) })
            .await
            .map_err(|s| self.remote.refused(s))?
            .into_inner();
        let mut changes = 0u64;
        loop {
            let ended = self.print_until_the_stream_ends(&mut stream, &mut changes).await?;
            if self.reconnect_for.is_zero() {
                return Err(ended);
            }
            // A console that stops at the first restart of the service is no console:
            // try again, and say so, until --reconnect-for runs out.
            if self.json {
                out_line(serde_json::json!({"event": "connection_lost", "reason": format!("{ended:#}")}))?;
            } else {
                out_line(format!("-- connection lost ({ended:#}); reconnecting"))?;
            }
            stream = match self.resubscribe(&filter).await {
                Ok(s) => s,
                Err(e) => {
                    return Err(ended.context(format!(
                        "connection lost; gave up reconnecting after {}: {e:#}",
                        humantime::format_duration(self.reconnect_for)
                    )))
                }
            };
            if self.json {
                out_line(serde_json::json!({"event": "reconnected"}))?;
            } else {
                out_line("-- reconnected; the live alerts follow again".to_string())?;
            }
        }
    }

    /// Connects and subscribes again, waiting 0.5 s doubling to 8 s between tries,
    /// until `--reconnect-for` runs out.
    async fn resubscribe(&self, filter: &pb::AlertFilter) -> anyhow::Result<tonic::Streaming<pb::AlertEvent>> {
        super::retry_with_backoff(self.reconnect_for, || async {
            let mut c = connect(&self.remote).await?;
            let req = pb::SubscribeAlertsRequest { filter: Some(filter.clone()) };
            anyhow::Ok(c.subscribe_alerts(req).await.map_err(|s| self.remote.refused(s))?.into_inner())
        })
        .await
    }

    /// Prints the stream's events until it ends; returns why it ended (a
    /// subscription has no natural end), or an error writing the output.
    async fn print_until_the_stream_ends(
        &self,
        stream: &mut tonic::Streaming<pb::AlertEvent>,
        changes: &mut u64,
    ) -> anyhow::Result<anyhow::Error> {
        loop {
            let e = match stream.message().await {
                Ok(Some(e)) => e,
                // The service ending it means it is shutting down (or restarting),
                // and a console must not read that as "all quiet".
                Ok(None) => {
                    return Ok(anyhow::anyhow!(
                        "{} ended the alert subscription (the service is shutting down or restarting) after {changes} change(s); no longer following",
                        self.remote.url().unwrap_or_default()
                    ))
                }
                Err(s) => {
                    return Ok(self
                        .remote
                        .lost(s)
                        .context(format!("lost the alert subscription after {changes} change(s); no longer following")))
                }
            };
            use pb::alert_event::Event;
            match (e.event, self.json) {
                (Some(Event::Snapshot(a)), false) => out_line(alert_line(&a))?,
                (Some(Event::Change(a)), false) => {
                    *changes += 1;
                    out_line(alert_line(&a))?
                }
                (Some(Event::Snapshot(a)), true) => out_line(event_json("snapshot", alert_json(&a)))?,
                (Some(Event::Change(a)), true) => {
                    *changes += 1;
                    out_line(event_json("change", alert_json(&a)))?
                }
                (Some(Event::SnapshotComplete(c)), false) => {
                    out_line(format!("-- {} live alert(s); following changes", c.alerts))?
                }
                (Some(Event::SnapshotComplete(c)), true) => {
                    out_line(serde_json::json!({"event": "snapshot_complete", "alerts": c.alerts}))?
                }
                (Some(Event::Missed(m)), false) => out_line(format!(
                    "-- fell behind: {} change(s) missed, {} alert(s) re-sent",
                    m.changes_missed, m.alerts_resent
                ))?,
                (Some(Event::Missed(m)), true) => out_line(serde_json::json!({
                    "event": "missed", "changes_missed": m.changes_missed, "alerts_resent": m.alerts_resent
                }))?,
                (Some(Event::Heartbeat(_)) | None, _) => {}
            }
        }
    }
}

/// `alert` with `"event": event` in front.
fn event_json(event: &str, alert: serde_json::Value) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    m.insert("event".into(), event.into());
    if let serde_json::Value::Object(a) = alert {
        m.extend(a);
    }
    serde_json::Value::Object(m)
}

fn kind_name(k: i32) -> &'static str {
    pb::AlertKind::try_from(k).map_or("?", |k| k.as_str_name()).trim_start_matches("ALERT_KIND_")
}

fn severity_name(s: i32) -> &'static str {
    pb::Severity::try_from(s).map_or("?", |k| k.as_str_name()).trim_start_matches("SEVERITY_")
}

fn state_name(s: i32) -> &'static str {
    pb::AlertState::try_from(s).map_or("?", |k| k.as_str_name()).trim_start_matches("ALERT_STATE_")
}

/// A protobuf time as RFC 3339 UTC with milliseconds.
pub(crate) fn time_text(t: &prost_types::Timestamp) -> String {
    lookout_core::time::rfc3339_ms(t.seconds * 1000 + i64::from(t.nanos / 1_000_000))
}

/// One alert as one line for an operator.
pub fn alert_line(a: &pb::Alert) -> String {
    let t = a.updated_at.as_ref().map_or(String::new(), time_text);
    let pos = a.position.as_ref().map_or(String::new(), |p| format!("{:.4},{:.4}", p.lat_deg, p.lon_deg));
    let who = match (a.mmsi, a.track_id) {
        (Some(m), _) => format!("MMSI {m}"),
        (None, Some(t)) => format!("T{t}"),
        _ => String::new(),
    };
    let ack = a.acknowledged.as_ref().map_or(String::new(), |k| format!(" [ack {}]", k.by));
    format!(
        "#{} v{} {}{} {} {} {} {} {}: {}{}",
        a.alert_id,
        a.version,
        if a.rescue { "RESCUE " } else { "" },
        kind_name(a.kind),
        severity_name(a.severity),
        state_name(a.state),
        t,
        pos,
        who,
        a.explanation,
        ack
    )
}

/// One alert as a JSON object, for scripts. Stable field names, units in
/// the names: `alert_id`, `version`, `kind` (e.g. `"DARK_TARGET"`),
/// `severity` (`"HIGH"`), `state` (`"OPEN"`, `"UPDATED"`, `"CONTACT_LOST"`, `"CLOSED"`,
/// `"RETRACTED"`), `rescue`, `score`, `opened_at`, `updated_at`, `closed_at`
/// (RFC 3339 or null), `lat_deg`, `lon_deg`, `mmsi`, `track_id` (null when
/// unknown), `track_ids`, `persons_on_board` (`{estimate, low, high, basis, looks, safe_capacity, overcrowded}` or
/// null), `explanation`, `evidence` (object of strings), `acknowledged`
/// (`{by, note, at}` or null), `retraction`, `merged_into` (the alert a retracted
/// duplicate of the same boat went into) and `contact_lost` (`{last_lat_deg,
/// last_lon_deg, last_seen, lost_at, why, cog_deg, sog_kn, datum_lat_deg, datum_lon_deg,
/// datum_radius_nm}` while the state is `CONTACT_LOST`, else null).
pub fn alert_json(a: &pb::Alert) -> serde_json::Value {
    serde_json::json!({
        "alert_id": a.alert_id,
        "version": a.version,
        "kind": kind_name(a.kind),
        "severity": severity_name(a.severity),
        "state": state_name(a.state),
        "rescue": a.rescue,
        "score": a.score,
        "opened_at": a.opened_at.as_ref().map(time_text),
        "updated_at": a.updated_at.as_ref().map(time_text),
        "closed_at": a.closed_at.as_ref().map(time_text),
        "lat_deg": a.position.as_ref().map(|p| p.lat_deg),
        "lon_deg": a.position.as_ref().map(|p| p.lon_deg),
        "mmsi": a.mmsi,
        "track_id": a.track_id,
        "track_ids": a.track_ids,
        "persons_on_board": a.persons_on_board.as_ref().map(super::pob_json),
        "explanation": a.explanation,
        "evidence": a.evidence.iter().collect::<std::collections::BTreeMap<_, _>>(),
        "acknowledged": a.acknowledged.as_ref().map(|k| serde_json::json!({
            "by": k.by, "note": k.note, "at": k.at.as_ref().map(time_text),
        })),
        "retraction": a.retraction,
        "merged_into": a.merged_into,
        "contact_lost": a.contact_lost.as_ref().map(|c| serde_json::json!({
            "last_lat_deg": c.last_position.as_ref().map(|p| p.lat_deg),
            "last_lon_deg": c.last_position.as_ref().map(|p| p.lon_deg),
            "last_seen": c.last_seen.as_ref().map(time_text),
            "lost_at": c.lost_at.as_ref().map(time_text),
            "why": c.why,
            "cog_deg": c.cog_deg,
            "sog_kn": c.sog_kn,
            "datum_lat_deg": c.datum.as_ref().and_then(|d| d.position.as_ref()).map(|p| p.lat_deg),
            "datum_lon_deg": c.datum.as_ref().and_then(|d| d.position.as_ref()).map(|p| p.lon_deg),
            "datum_radius_nm": c.datum.as_ref().map(|d| d.radius_nm),
        })),
    })
}

/// An alert filter from command-line values; the server checks the rest.
pub fn alert_filter_args(
    kinds: &[AlertKindArg],
    min_severity: Option<SeverityArg>,
    rescue_only: bool,
) -> pb::AlertFilter {
    pb::AlertFilter {
        area: None,
        kinds: kinds.iter().map(|k| k.pb() as i32).collect(),
        min_severity: min_severity.map_or(0, |s| s.pb() as i32),
        rescue_only,
    }
}
