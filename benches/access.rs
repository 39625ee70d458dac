//! Load driver for issue 17's access targets: the access layer adds < 20 µs per
//! call at p99, and the audit keeps up with 20,000 calls/s.
//!
//! Run: `cargo bench --bench access` (defaults: `-- --calls 200000 --operators
//! 100 --rate 20000 --seconds 5`).
//!
//! In this process, on a current-thread tokio runtime, the service's own
//! [`AccessLayer`] (bearer token → SHA-256 → operator table, role check, the
//! `access` log line formatted by the service's tracing subscriber into a sink)
//! is put in front of an inner service that answers at once, and called
//! directly through tower, one call at a time. What it costs is the layered
//! call's time minus the bare inner service's, per percentile:
//!
//! * `bare`: the inner service alone;
//! * `access`: the layer, `--operators` operators, no audit;
//! * `access+audit`: the layer with every call handed to an audit archive on
//!   disk (`[audit]`: the same `Store` and group commit the service uses, 200 ms).
//!
//! Then the audit's throughput: calls through `access+audit` paced at `--rate`
//! per second for `--seconds`, then one more record appended and waited for —
//! its ticket resolves when everything before it is on disk, so the time it
//! takes is the backlog the archive had at the end — and the records read back
//! from the archive (all must be there). Last, the same unpaced: the ceiling.
//!
//! Over the wire the layer's cost drowns in the network's (a unary call over
//! loopback is ~100 µs at p50, `cargo bench --bench wire`); this measures the
//! layer alone.

#[path = "common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use lookout_server::api::{token_digest_hex, AccessLayer, AccessPolicy, Audit};
use lookout_server::metrics::Metrics;
use lookout_server::store::{AuditConfig, AuditRecord, Store, AUDIT};
use lookout_server::Config;
use tonic::codegen::http;
use tower::{Layer, Service, ServiceExt};

const METHOD: &str = "/lookout.v1.Lookout/ListAlerts";

fn main() {
    let calls = common::arg("--calls", 200_000);
    let operators = common::arg("--operators", 100);
    let rate = common::arg("--rate", 20_000);
    let seconds = common::arg("--seconds", 5);
    // The service's log formatting, into a sink: every allowed call writes an
    // `access` line at info level, and that is part of the layer's cost.
    tracing_subscriber::fmt().with_writer(std::io::sink).with_max_level(tracing::Level::INFO).init();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(run(calls, operators, rate, seconds));
}

async fn run(calls: usize, operators: usize, rate: usize, seconds: usize) {
    let mut text = String::new();
    for i in 0..operators {
        text += &format!(
            "[[operator]]\nname = \"watch-{i}\"\ntoken_sha256 = \"{}\"\nroles = [\"viewer\"]\n",
            token_digest_hex(&format!("token-{i}"))
        );
    }
    let config = Config::parse(&text).unwrap();
    let policy = Arc::new(AccessPolicy::new(
        &config.operators,
        config.service.max_connections_per_operator,
        Arc::new(Metrics::new()),
    ));
    let dir = tempfile::tempdir().unwrap();
    let audit_cfg = AuditConfig {
        path: dir.path().join("audit"),
        fsync_interval: Duration::from_millis(200),
        seal_every: Duration::from_secs(3600),
        signing_key: None,
        checkpoint_every: Duration::from_secs(300),
    };
    let store = Arc::new(Store::open(&audit_cfg.archive(), Default::default()).unwrap());
    let sink = {
        let store = store.clone();
        // As the service's sink (`api::audit_sink`): append, never wait for the disk.
        let audit: Audit = Arc::new(move |rec: AuditRecord| {
            let _ = store.append(vec![rec.record(lookout_core::time::wall_ms())]);
        });
        audit
    };
    let inner = tower::service_fn(|_req: http::Request<()>| async {
        Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    });
    let request = |i: usize| {
        http::Request::builder()
            .uri(METHOD)
            .header("authorization", format!("Bearer token-{}", i % operators))
            .body(())
            .unwrap()
    };

    println!("{calls} calls each, {operators} operators, one at a time (current-thread runtime)");
    println!("{:<14} {:>9} {:>9} {:>9} {:>9}", "", "p50 µs", "p99 µs", "p99.9 µs", "max µs");
    let bare = time(inner, calls, &request).await;
    report("bare", &bare);
    let access = time(AccessLayer::new(policy.clone()).layer(inner), calls, &request).await;
    report("access", &access);
    let audited =
        time(AccessLayer::new(policy.clone()).with_audit(Some(sink.clone())).layer(inner), calls, &request).await;
    report("access+audit", &audited);
    let p = |v: &[f64], q: f64| percentile(v, q);
    println!(
        "added by the layer with the audit: p50 {:.2} µs, p99 {:.2} µs, p99.9 {:.2} µs (target: p99 < 20 µs: {})",
        p(&audited, 0.5) - p(&bare, 0.5),
        p(&audited, 0.99) - p(&bare, 0.99),
        p(&audited, 0.999) - p(&bare, 0.999),
        if p(&audited, 0.99) - p(&bare, 0.99) < 20.0 { "met" } else { "NOT met" }
    );

    // Throughput: paced, then flat out.
    let mut svc = AccessLayer::new(policy).with_audit(Some(sink)).layer(inner);
    for (what, pace) in [("paced", Some(rate)), ("unpaced", None)] {
        drain(&store).await;
        let before = count(&store);
        let start = Instant::now();
        let end = start + Duration::from_secs(seconds as u64);
        let mut n = 0usize;
        while Instant::now() < end {
            if let Some(r) = pace {
                // Calls due by now at `rate`/s; sleep to the next millisecond when ahead.
                let due = (start.elapsed().as_secs_f64() * r as f64) as usize;
                if n >= due {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    continue;
                }
            }
            svc.ready().await.unwrap().call(request(n)).await.unwrap();
            n += 1;
        }
        let sent_s = start.elapsed().as_secs_f64();
        let drain_ms = drain(&store).await;
        let recorded = count(&store) - before - 1;
        println!(
            "audit {what}: {n} calls in {sent_s:.2} s = {:.0} calls/s; the archive's backlog at the end took {drain_ms:.0} ms \
             to reach the disk (group commit every 200 ms); {recorded} of {n} records read back{}",
            n as f64 / sent_s,
            if pace.is_some() {
                if n as f64 / sent_s >= 0.98 * rate as f64 && recorded == n && drain_ms < 1000.0 {
                    format!(" (target {rate} calls/s: met)")
                } else {
                    format!(" (target {rate} calls/s: NOT met)")
                }
            } else {
                String::new()
            }
        );
    }
    println!(
        "machine: {} cores, rss {:.0} MB",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        common::rss_mb()
    );
}

/// Per-call time of `svc` over `calls` calls, µs.
async fn time<S>(mut svc: S, calls: usize, request: &dyn Fn(usize) -> http::Request<()>) -> Vec<f64>
where
    S: Service<http::Request<()>, Response = http::Response<String>>,
    S::Error: std::fmt::Debug,
{
    let mut out = Vec::with_capacity(calls);
    // Warm up (caches, the archive's first segment).
    for i in 0..1000 {
        svc.ready().await.unwrap().call(request(i)).await.unwrap();
    }
    for i in 0..calls {
        let req = request(i);
        let t = Instant::now();
        let answer = svc.ready().await.unwrap().call(req).await.unwrap();
        out.push(t.elapsed().as_secs_f64() * 1e6);
        assert!(answer.headers().get("grpc-status").is_none(), "call {i} refused");
    }
    out.sort_by(f64::total_cmp);
    out
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn report(what: &str, v: &[f64]) {
    let p = |q| percentile(v, q);
    println!("{what:<14} {:>9.2} {:>9.2} {:>9.2} {:>9.2}", p(0.5), p(0.99), p(0.999), v[v.len() - 1]);
}

/// Appends one more record and waits until it is on disk: everything appended
/// before it is then on disk too (group commit, in order). How long it took, ms.
async fn drain(store: &Store) -> f64 {
    let t = Instant::now();
    let marker = lookout_archive::NewRecord::new(AUDIT, lookout_core::time::wall_ms(), b"{}".to_vec());
    store.append(vec![marker]).unwrap().await.unwrap();
    t.elapsed().as_secs_f64() * 1e3
}

/// Audit records in the archive (read back from its segments).
fn count(store: &Store) -> usize {
    let opts =
        lookout_archive::ReadOptions { kinds: Some(vec![AUDIT]), ..lookout_archive::ReadOptions::time(0, i64::MAX) };
    store.archive().read(opts).filter(|r| r.is_ok()).count()
}
