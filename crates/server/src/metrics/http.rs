//! `GET /metrics` on its own listener: plain HTTP/1.1 (axum), apart from the
//! gRPC port and the console, so a scrape never competes with operators'
//! calls for a connection and monitoring needs no token.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use crate::service::Shared;

/// Binds the metrics listener (a port in use fails the start, as for gRPC).
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, crate::Error> {
    let l = TcpListener::bind(addr).await.map_err(|e| crate::Error::io(format!("bind metrics {addr}"), e))?;
    let bound = l.local_addr().unwrap_or(addr);
    info!(addr = %bound, "metrics listening (GET /metrics)");
    if !bound.ip().is_loopback() {
        warn!(addr = %bound, "metrics are served without authentication on a non-loopback address");
    }
    Ok(l)
}

/// Serves `GET /metrics` on `listener` until `shutdown`.
pub async fn serve(shared: Arc<Shared>, listener: TcpListener, shutdown: CancellationToken) {
    let registry = Arc::new(shared.metrics.registry(shared.clone()));
    let app = axum::Router::new().route("/metrics", get(scrape)).with_state(registry);
    // A scrape is one small request and one answer: Nagle's algorithm would
    // hold the answer's tail back for the client's delayed ACK (~40 ms).
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            warn!(error = %e, "TCP_NODELAY on a metrics connection");
        }
    });
    if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown.cancelled_owned()).await {
        error!(error = %e, "metrics server stopped");
    }
}

/// Encodes the registry off the async workers: the collector takes the
/// engine's read lock and walks the picture, which should not stall a worker
/// that other tasks are waiting on.
async fn scrape(State(registry): State<Arc<Registry>>) -> Response {
    let encoded = tokio::task::spawn_blocking(move || {
        let mut body = String::with_capacity(64 << 10);
        prometheus_client::encoding::text::encode(&mut body, &registry).map(|()| body)
    })
    .await;
    match encoded {
        Ok(Ok(body)) => ([(header::CONTENT_TYPE, super::CONTENT_TYPE)], body).into_response(),
        Ok(Err(_)) => (StatusCode::INTERNAL_SERVER_ERROR, "encoding the metrics failed\n").into_response(),
        Err(e) => {
            error!(error = %e, "metrics scrape task");
            (StatusCode::INTERNAL_SERVER_ERROR, "the metrics scrape failed\n").into_response()
        }
    }
}
