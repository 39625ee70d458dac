//! `lookout history`: where a vessel was, and every archived version of an alert.

use lookout_server::api::pb;

use super::{connect, RemoteArgs};

/// History from the service's archive (needs [archive] on the server and the analyst role).
#[derive(clap::Args)]
pub struct HistoryArgs {
    #[command(subcommand)]
    what: What,
    #[command(flatten)]
    remote: RemoteArgs,
}

#[derive(clap::Subcommand)]
enum What {
    /// Positions of a vessel between two times (at most one a minute), oldest first:
    /// `time lat lon sog_kn cog_deg archive_seq`, or JSON Lines with --json.
    Vessel {
        /// The vessel's MMSI.
        mmsi: u32,
        /// Start, RFC 3339 (e.g. 2026-12-01T02:00:00Z).
        #[arg(long)]
        from: String,
        /// End, RFC 3339.
        #[arg(long)]
        to: String,
        /// Most points to print (0: the server's default, 10,000).
        #[arg(long, default_value_t = 0)]
        max: u32,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Every archived version of an alert, oldest first, as the archive holds it (JSON).
    Alert {
        /// The alert's id.
        alert_id: u64,
    },
    /// Who called what, from where, and how it ended, oldest first (the archive's audit
    /// records; needs the admin role): `time operator role purpose method args peer
    /// outcome results [reason] #seq` (untrusted text quoted), or JSON Lines with --json.
    Audit {
        /// Start, RFC 3339.
        #[arg(long)]
        from: String,
        /// End, RFC 3339 (default: now).
        #[arg(long)]
        to: Option<String>,
        /// Only this operator's calls ("-": calls with no known operator).
        #[arg(long, default_value = "")]
        operator: String,
        /// Most entries to print (0: the server's default, 1,000; at most 10,000).
        #[arg(long, default_value_t = 0)]
        max: u32,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
}

/// Parses `--from`/`--to` (RFC 3339); the message names the flag and shows the form.
pub(crate) fn timestamp(flag: &str, s: &str) -> anyhow::Result<prost_types::Timestamp> {
    let t = humantime::parse_rfc3339_weak(s)
        .map_err(|e| anyhow::anyhow!("--{flag} {s:?} is not an RFC 3339 time such as 2026-12-01T02:00:00Z: {e}"))?;
    let d = t.duration_since(std::time::UNIX_EPOCH).map_err(|_| anyhow::anyhow!("--{flag} is before 1970"))?;
    Ok(prost_types::Timestamp { seconds: d.as_secs() as i64, nanos: d.subsec_nanos() as i32 })
}

pub(crate) fn rfc3339(t: Option<&prost_types::Timestamp>) -> String {
    t.and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos as u32))
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

impl HistoryArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        let mut client = connect(&self.remote).await?;
        match self.what {
            What::Vessel { mmsi, from, to, max, json } => {
                let req = pb::VesselHistoryRequest {
                    mmsi,
                    from: Some(timestamp("from", &from)?),
                    to: Some(timestamp("to", &to)?),
                    max_results: max,
                };
                let r = client.vessel_history(req).await.map_err(|s| self.remote.refused(s))?.into_inner();
                for p in &r.points {
                    let time = rfc3339(p.time.as_ref());
                    if json {
                        let v = serde_json::json!({
                            "mmsi": mmsi, "time": time, "lat_deg": p.lat_deg, "lon_deg": p.lon_deg,
                            "sog_kn": p.sog_kn, "cog_deg": p.cog_deg, "heading_deg": p.heading_deg,
                            "archive_seq": p.archive_seq,
                        });
                        println!("{v}");
                    } else {
                        let opt = |v: Option<f32>| v.map_or("-".to_string(), |v| format!("{v:.1}"));
                        println!(
                            "{time}  {:9.5} {:10.5}  {:>5} kn {:>5}°  #{}",
                            p.lat_deg,
                            p.lon_deg,
                            opt(p.sog_kn),
                            opt(p.cog_deg),
                            p.archive_seq
                        );
                    }
                }
                eprintln!("{} positions{}", r.points.len(), if r.truncated { " (truncated: raise --max)" } else { "" });
            }
            What::Alert { alert_id } => {
                let r = client
                    .alert_history(pb::AlertHistoryRequest { alert_id })
                    .await
                    .map_err(|s| self.remote.refused(s))?
                    .into_inner();
                for v in &r.versions {
                    println!("{}", v.record_json);
                }
                eprintln!("{} versions of alert {alert_id}", r.versions.len());
            }
            What::Audit { from, to, operator, max, json } => {
                let req = pb::AuditLogRequest {
                    from: Some(timestamp("from", &from)?),
                    to: to.as_deref().map(|t| timestamp("to", t)).transpose()?,
                    operator,
                    max_results: max,
                };
                let r = client.audit_log(req).await.map_err(|s| self.remote.refused(s))?.into_inner();
                for e in &r.entries {
                    let time = rfc3339(e.time.as_ref());
                    if json {
                        let v = serde_json::json!({
                            "time": time, "operator": e.operator, "role": e.role, "purpose": e.purpose,
                            "method": e.method, "args": e.args, "results": e.results, "peer": e.peer,
                            "outcome": e.outcome, "reason": e.reason, "archive_seq": e.archive_seq,
                        });
                        println!("{v}");
                    } else {
                        // Names and reasons are untrusted text: printed escaped, one entry a line.
                        println!(
                            "{time}  {:?} {} {:?} {} {:?} {} {} {}{}  #{}",
                            e.operator,
                            if e.role.is_empty() { "-" } else { e.role.as_str() },
                            e.purpose,
                            e.method.trim_start_matches("/lookout.v1.Lookout/"),
                            e.args,
                            e.peer,
                            e.outcome,
                            e.results.map_or("-".to_string(), |n| format!("{n} results")),
                            if e.reason.is_empty() { String::new() } else { format!(" {:?}", e.reason) },
                            e.archive_seq
                        );
                    }
                }
                eprintln!("{} calls{}", r.entries.len(), if r.truncated { " (truncated: raise --max)" } else { "" });
            }
        }
        Ok(())
    }
}
