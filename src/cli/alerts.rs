//! `lookout alerts`: the alerts a service holds, or every change as it happens.

use lookout_server::api::pb;

use super::{connect, remote, RemoteArgs};

/// List the alerts a running service holds (distress first), or follow them live.
#[derive(clap::Args)]
pub struct AlertsArgs {
    /// Keep the subscription open and print every change (SubscribeAlerts).
    #[arg(long)]
    follow: bool,
    /// Only distress-like alerts (for a rescue coordination centre).
    #[arg(long)]
    rescue_only: bool,
    /// Only these kinds, e.g. --kind DARK_TARGET --kind RENDEZVOUS.
    #[arg(long = "kind")]
    kinds: Vec<String>,
    /// Lowest severity: INFO, LOW, MEDIUM, HIGH, CRITICAL.
    #[arg(long)]
    min_severity: Option<String>,
    /// Also closed and retracted alerts (list only).
    #[arg(long)]
    ended: bool,
    #[command(flatten)]
    remote: RemoteArgs,
}

impl AlertsArgs {
    /// Prints the alerts, one line each (distress first), or with `--follow`
    /// every change as it happens.
    pub async fn run(self) -> anyhow::Result<()> {
        let filter = alert_filter_args(&self.kinds, self.min_severity.as_deref(), self.rescue_only)?;
        let mut client = connect(&self.remote).await?;
        if !self.follow {
            let r = client
                .list_alerts(pb::ListAlertsRequest { filter: Some(filter), include_ended: self.ended, max_results: 0 })
                .await
                .map_err(remote)?
                .into_inner();
            println!("{} alert(s)", r.total);
            for a in &r.alerts {
                println!("{}", alert_line(a));
            }
            return Ok(());
        }
        let mut stream = client
            .subscribe_alerts(pb::SubscribeAlertsRequest { filter: Some(filter) })
            .await
            .map_err(remote)?
            .into_inner();
        while let Some(e) = stream.message().await.map_err(remote)? {
            use pb::alert_event::Event;
            match e.event {
                Some(Event::Snapshot(a)) | Some(Event::Change(a)) => println!("{}", alert_line(&a)),
                Some(Event::SnapshotComplete(c)) => {
                    println!("-- {} live alert(s); following changes", c.alerts)
                }
                Some(Event::Missed(m)) => {
                    println!(
                        "-- fell behind: {} change(s) missed, {} alert(s) re-sent",
                        m.changes_missed, m.alerts_resent
                    )
                }
                Some(Event::Heartbeat(_)) | None => {}
            }
        }
        Ok(())
    }
}

/// One alert as one line for an operator.
pub fn alert_line(a: &pb::Alert) -> String {
    let kind = pb::AlertKind::try_from(a.kind).map_or("?", |k| k.as_str_name()).trim_start_matches("ALERT_KIND_");
    let sev = pb::Severity::try_from(a.severity).map_or("?", |k| k.as_str_name()).trim_start_matches("SEVERITY_");
    let state = pb::AlertState::try_from(a.state).map_or("?", |k| k.as_str_name()).trim_start_matches("ALERT_STATE_");
    let t = a
        .updated_at
        .as_ref()
        .map_or(String::new(), |t| lookout_core::time::rfc3339_ms(t.seconds * 1000 + i64::from(t.nanos / 1_000_000)));
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
        kind,
        sev,
        state,
        t,
        pos,
        who,
        a.explanation,
        ack
    )
}

/// An alert filter from command-line names (`DARK_TARGET`, `HIGH`); the
/// server checks the rest.
pub fn alert_filter_args(
    kinds: &[String],
    min_severity: Option<&str>,
    rescue_only: bool,
) -> anyhow::Result<pb::AlertFilter> {
    let kinds = kinds
        .iter()
        .map(|k| {
            let name = format!("ALERT_KIND_{}", k.trim().to_ascii_uppercase());
            pb::AlertKind::from_str_name(&name)
                .map(|k| k as i32)
                .ok_or_else(|| anyhow::anyhow!("--kind {k:?} is not an alert kind"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let min_severity = match min_severity {
        None => 0,
        Some(s) => pb::Severity::from_str_name(&format!("SEVERITY_{}", s.trim().to_ascii_uppercase()))
            .map(|s| s as i32)
            .ok_or_else(|| anyhow::anyhow!("--min-severity {s:?} is not a severity"))?,
    };
    Ok(pb::AlertFilter { area: None, kinds, min_severity, rescue_only })
}
