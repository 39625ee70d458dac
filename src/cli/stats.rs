//! `lookout stats`: how the service and each of its feeds are doing (Stats).

use lookout_server::api::pb;

use super::{connect, out_line, RemoteArgs};

/// Show the service's counters: picture, tracker, alerts, archive, and per feed
/// what it read and rejected.
#[derive(clap::Args)]
pub struct StatsArgs {
    /// One JSON object instead of text (the Stats response's field names; times in
    /// seconds or ms as the names say).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    remote: RemoteArgs,
}

impl StatsArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        let r = connect(&self.remote)
            .await?
            .stats(pb::StatsRequest {})
            .await
            .map_err(|s| self.remote.refused(s))?
            .into_inner();
        if self.json {
            return out_line(stats_json(&r));
        }
        out_line(format!(
            "up {}; {} live vessels, {} dark tracks ({} tracker tracks), {} live alerts, {} observations applied",
            humantime::format_duration(std::time::Duration::from_secs(r.uptime_s.max(0) as u64)),
            r.live_vessels,
            r.dark_tracks,
            r.tracker_tracks,
            r.live_alerts,
            r.observations_applied
        ))?;
        out_line(format!(
            "baseline {}; subscribers: {} track, {} alert; refused reports: {} stale, {} future ({} held), {} invalid MMSI, {} new vessels and {} new tracks at the caps; {} aged out",
            if r.baseline_loaded { "loaded" } else { "none (loitering and route deviation off)" },
            r.subscribers,
            r.alert_subscribers,
            r.stale_reports,
            r.future_reports,
            r.held_future_reports,
            r.invalid_mmsi,
            r.vessels_refused_at_cap,
            r.tracks_refused_at_cap,
            r.aged_out
        ))?;
        if let Some(a) = &r.archive {
            out_line(format!(
                "archive {}: durable to #{}, {} refused; recovery {} observations, {} alert versions ({} differing) in {} ms; retention purged {} segments ({} held)",
                a.health,
                a.durable_seq,
                a.refused,
                a.recovered_observations,
                a.recovered_alert_versions,
                a.recovered_alert_versions_differing,
                a.recovery_ms,
                a.segments_purged,
                a.segments_held
            ))?;
        }
        for s in &r.sources {
            out_line(format!(
                "feed {:?} ({}{}): {} lines, {} AIS messages, {} radar detections, {} detections ({} rejected); bad: {} checksum, {} malformed, {} not AIS, {} oversize{}{}{}",
                s.name,
                s.kind,
                if s.connected { ", connected" } else { "" },
                s.lines,
                s.messages,
                s.radar_detections,
                s.detections,
                s.detections_rejected,
                s.bad_checksum,
                s.malformed,
                s.not_ais,
                s.oversize,
                if s.udp_dropped > 0 { format!(", {} UDP datagrams dropped", s.udp_dropped) } else { String::new() },
                if s.peers_refused > 0 {
                    format!(", {} senders refused (allow_from)", s.peers_refused)
                } else {
                    String::new()
                },
                if s.last_error.is_empty() { String::new() } else { format!("; last error: {}", s.last_error) }
            ))?;
        }
        Ok(())
    }
}

/// The Stats response as one JSON object, with the proto's field names.
pub fn stats_json(r: &pb::StatsResponse) -> serde_json::Value {
    let sources: Vec<_> = r
        .sources
        .iter()
        .map(|s| {
            serde_json::json!({
                "name": s.name, "kind": s.kind, "connected": s.connected, "lines": s.lines,
                "ais_sentences": s.ais_sentences, "messages": s.messages, "bad_checksum": s.bad_checksum,
                "malformed": s.malformed, "not_ais": s.not_ais, "fragments_expired": s.fragments_expired,
                "fragments_orphan": s.fragments_orphan, "fragments_duplicate": s.fragments_duplicate,
                "oversize": s.oversize, "invalid_position": s.invalid_position, "connects": s.connects,
                "disconnects": s.disconnects,
                "messages_by_type": s.messages_by_type.iter().map(|(k, v)| (k.to_string(), *v))
                    .collect::<std::collections::BTreeMap<_, _>>(),
                "last_line_unix_ms": s.last_line_unix_ms, "last_error": s.last_error,
                "radar_sentences": s.radar_sentences, "radar_detections": s.radar_detections,
                "radar_errors": s.radar_errors, "radar_unconfigured": s.radar_unconfigured,
                "detections": s.detections, "detections_rejected": s.detections_rejected,
                "udp_dropped": s.udp_dropped,
                "peers_refused": s.peers_refused,
            })
        })
        .collect();
    serde_json::json!({
        "uptime_s": r.uptime_s,
        "live_vessels": r.live_vessels,
        "indexed_positions": r.indexed_positions,
        "aged_out": r.aged_out,
        "subscribers": r.subscribers,
        "dark_tracks": r.dark_tracks,
        "tracker_tracks": r.tracker_tracks,
        "alert_subscribers": r.alert_subscribers,
        "live_alerts": r.live_alerts,
        "baseline_loaded": r.baseline_loaded,
        "observations_applied": r.observations_applied,
        "stale_reports": r.stale_reports,
        "future_reports": r.future_reports,
        "held_future_reports": r.held_future_reports,
        "invalid_mmsi": r.invalid_mmsi,
        "vessels_refused_at_cap": r.vessels_refused_at_cap,
        "tracks_refused_at_cap": r.tracks_refused_at_cap,
        "archive": r.archive.as_ref().map(|a| serde_json::json!({
            "durable_seq": a.durable_seq, "health": a.health, "refused": a.refused,
            "recovered_batches": a.recovered_batches, "recovered_observations": a.recovered_observations,
            "recovered_ticks": a.recovered_ticks, "recovered_acks": a.recovered_acks,
            "recovered_alert_versions": a.recovered_alert_versions,
            "recovered_alert_versions_differing": a.recovered_alert_versions_differing,
            "recovered_unreadable": a.recovered_unreadable, "recovery_ms": a.recovery_ms,
            "segments_purged": a.segments_purged, "segments_held": a.segments_held,
        })),
        "sources": sources,
    })
}
