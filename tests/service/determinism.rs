//! One engine, two drivers: a recording played through the real service
//! (a file source on the recording's clock, as fast as the pipeline takes
//! it) and through `lookout_engine::replay` gives the same alert changes,
//! byte for byte: every version of every alert, in the same order, with the
//! same sequence numbers.
//!
//! Data: `lookout simulate`'s labelled anomaly scenario (seed 3, 45 min of
//! Strait of Sicily traffic with every alert kind scripted in, three coastal
//! radars and drones), and a baseline learnt from one hour of ordinary
//! traffic on seed 2. The live side is read from the service's alert journal.

use crate::support::*;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lookout_score::baseline::Baseline;
use lookout_server::api::pb;
use lookout_server::Config;

/// The service's configuration: the demo's radar sites and zones, the
/// baseline (not learning), the alert journal, and a file source playing
/// `files` as fast as possible on the recording's clock.
fn config(baseline: &Path, journal: &Path, files: &[PathBuf]) -> Config {
    let demo = Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.toml")).unwrap();
    let paths: Vec<String> = files.iter().map(|p| format!("{:?}", p.display().to_string())).collect();
    let text = format!(
        "[service]\nlisten = \"127.0.0.1:0\"\nclock = \"recording\"\nalert_journal = {:?}\n\
         [baseline]\npath = {:?}\nlearn = false\n\
         [[source]]\nname = \"recording\"\nkind = \"file\"\npaths = [{}]\npace = 0\nshift_to_now = false\n",
        journal.display().to_string(),
        baseline.display().to_string(),
        paths.join(", ")
    );
    let mut c = Config::parse(&text).unwrap();
    c.radars = demo.radars;
    c.zones = demo.zones;
    c.score.zones = demo.score.zones;
    c
}

/// A journal line without its wall-clock `written_at` field.
fn without_written_at(line: &str) -> String {
    let start = line.find(",\"written_at\":\"").expect("journal lines carry written_at");
    let end = line[start + 15..].find('"').unwrap() + start + 16;
    format!("{}{}", &line[..start], &line[end..])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_service_and_replay_give_the_same_alerts_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let (files, baseline_path) = scenario(dir.path(), "s", 3, 45, 1);
    let journal = dir.path().join("journal.jsonl");
    let cfg = config(&baseline_path, &journal, &files);

    // Replay: every alert change, as the journal writes it (seq, then the record).
    let baseline = Baseline::load_path(&baseline_path, None).unwrap();
    let mut engine = lookout_engine::Engine::new(cfg.engine(), Some(baseline));
    let mut replayed = Vec::new();
    let summary = lookout_engine::replay(&files, &cfg.radars, &mut engine, |_, _, step| {
        for c in &step.alerts {
            let record = serde_json::to_string(&c.alert.record()).unwrap();
            replayed.push(format!("{{\"seq\":{},{}", c.seq, &record[1..]));
        }
    })
    .unwrap();
    assert!(replayed.len() > 20, "the scenario raises alerts: {}", replayed.len());

    // Live: the same files through the running service, until the source has
    // finished and the pipeline has applied everything it read.
    let running = lookout_server::start(cfg).await.unwrap();
    let mut c = pb::lookout_client::LookoutClient::connect(format!("http://{}", running.addr)).await.unwrap();
    let observations = summary.observations;
    let mut drained = false;
    for _ in 0..2400 {
        let s = c.stats(pb::StatsRequest {}).await.unwrap().into_inner();
        let src = s.sources.iter().find(|s| s.name == "recording").unwrap();
        if !src.connected && src.lines > 0 && s.observations_applied >= observations {
            drained = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(drained, "the service applied the whole recording");
    running.stop().await;
    // The journal's writer thread finishes what is queued once the service is gone.
    let mut live = Vec::new();
    for _ in 0..200 {
        live = std::fs::read_to_string(&journal).unwrap().lines().map(without_written_at).collect::<Vec<_>>();
        if live.len() >= replayed.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(live.len(), replayed.len(), "as many alert changes live as replayed");
    for (i, (l, r)) in live.iter().zip(&replayed).enumerate() {
        assert_eq!(l, r, "alert change {i} differs");
    }
}
