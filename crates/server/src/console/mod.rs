//! The operations-centre console in the browser, on `[console] listen`.
//!
//! One listener, one origin: `/` and `/assets/*` are the page's static files
//! (built from `console/` by `npm ci && npm run build` and embedded in the
//! binary, so the page works offline and `cargo build` needs no Node), and
//! `/lookout.v1.Lookout/*` is the same `lookout.v1` API as the gRPC port,
//! spoken as gRPC-Web (`tonic-web`) behind the same access layer: bearer
//! tokens and roles apply exactly as for any other client. Same origin, so
//! no CORS. Browsers speak gRPC-Web over HTTP/1.1 (or h2 under TLS), hence
//! `accept_http1`. With `[service.tls]` the console is served over TLS too.

mod assets;

/// Natural Earth land polygons at 1:50 million (public domain), as TopoJSON
/// from the `world-atlas` npm package 2.0.2 (`land-50m.json`, object `land`,
/// quantised to about 0.0036° × 0.0017°), copied into `console/dist` by the
/// console build. The console's basemap, and the coastline of
/// `lookout baseline render`: one embedded copy for both.
pub const LAND_50M_TOPOJSON: &[u8] = include_bytes!("../../../../console/dist/assets/land-50m.json");

use std::net::SocketAddr;
use std::sync::Arc;

use serde::Deserialize;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::ServiceBuilder;
use tracing::{error, info, warn};

use crate::service::Shared;

/// The API's path on the console listener.
const API_ROUTE: &str = "/lookout.v1.Lookout/{*method}";

/// `[console]`: where the console is served (absent: not served).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleConfig {
    /// Address of the console's HTTP listener, e.g. `127.0.0.1:8080`.
    pub listen: Option<SocketAddr>,
}

/// Serves the console on `listener` until `shutdown`.
pub async fn serve(
    shared: Arc<Shared>,
    listener: TcpListener,
    tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    shutdown: CancellationToken,
) {
    // The API, as gRPC-Web: framing undone first, then the same access check
    // as on the gRPC port (a refusal goes back as a gRPC-Web status the page
    // can read). Only this route speaks gRPC-Web; everything else is a
    // static file (or 404).
    let api = ServiceBuilder::new()
        .layer(crate::metrics::GrpcMetricsLayer::new(&shared.metrics))
        .layer(tonic_web::GrpcWebLayer::new())
        .layer(crate::api::access_layer(&shared))
        .layer(crate::api::limits::RequestSizeLayer)
        .service(crate::api::lookout_service(shared.clone()));
    let router = axum::Router::new().route_service(API_ROUTE, api).fallback(assets::handler);
    let mut builder = tonic::transport::Server::builder()
        .accept_http1(true)
        .initial_stream_window_size(crate::api::limits::STREAM_WINDOW_BYTES)
        .initial_connection_window_size(crate::api::limits::CONNECTION_WINDOW_BYTES);
    if tls.is_none() && !shared.config.operators.is_empty() {
        warn!("console: operators are configured without [service.tls]: bearer tokens travel in clear");
    }
    // TCP_NODELAY (console events are small and latency matters more than
    // packing), the per-address connection limit and TLS are the acceptor's.
    let incoming =
        crate::listen::incoming(listener, tls, shared.console_connections.clone(), "console", shutdown.clone());
    let result = builder
        .add_routes(tonic::service::Routes::from(router))
        .serve_with_incoming_shutdown(incoming, shutdown.cancelled())
        .await;
    if let Err(e) = result {
        error!(error = %e, "console server stopped");
    }
}

/// Binds the console's listener (a port in use fails the start, as for gRPC).
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, crate::Error> {
    let l = TcpListener::bind(addr).await.map_err(|e| crate::Error::io(format!("bind console {addr}"), e))?;
    info!(addr = %l.local_addr().unwrap_or(addr), "console listening (open it in a browser)");
    Ok(l)
}
