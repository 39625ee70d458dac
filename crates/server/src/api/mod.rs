//! The gRPC edge: `lookout.v1.Lookout`, the standard health service and
//! server reflection. Protobuf types stay in this module.

mod access;
mod alerts;
pub mod audit;
pub mod codec;
mod convert;
pub mod limits;
mod query;
mod replay;
mod sensors;
mod service;
mod subscribe;

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::{error, warn};

use crate::service::Shared;

/// Generated protobuf and gRPC types of `lookout.v1`.
pub mod pb {
    tonic::include_proto!("lookout.v1");
    /// Encoded descriptor set, for server reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("lookout_descriptor");
}

pub use access::{
    token_digest_hex, AccessLayer, AccessPolicy, Audit, Operator, AUTH_FAILURE_WINDOW_MS, MAX_AUTH_FAILURES,
};
pub use convert::{MAX_NEAR_RESULTS, MAX_RADIUS_M};

/// The access layer (tokens, roles, access log) for another listener of the
/// same API: the console's gRPC-Web (`crate::console`).
pub(crate) fn access_layer(shared: &Arc<Shared>) -> access::AccessLayer {
    access::AccessLayer::new(shared.access.clone()).with_audit(audit_sink(shared))
}

/// Where the access layer's records go: `[audit]`, else the archive, when there is one.
fn audit_sink(shared: &Arc<Shared>) -> Option<access::Audit> {
    shared.audit_store()?;
    let shared = shared.clone();
    Some(Arc::new(move |rec: crate::store::AuditRecord| {
        let store = shared.audit_store().expect("checked above");
        // The reply does not wait for the disk: the record is in the archive's
        // next group commit. A refusal (archive unhealthy) is counted and logged.
        if let Err(e) = store.append(vec![rec.record(lookout_core::time::wall_ms())]) {
            shared.metrics.audit_not_archived();
            tracing::warn!(error = %e, method = %rec.method, "audit record not archived");
        }
    }))
}

/// The `lookout.v1.Lookout` service on `shared`, with its request limits:
/// for the gRPC listener and for the console's gRPC-Web.
pub(crate) fn lookout_service(shared: Arc<Shared>) -> pb::lookout_server::LookoutServer<service::LookoutApi> {
    pb::lookout_server::LookoutServer::new(service::LookoutApi::new(shared))
        .max_decoding_message_size(limits::MAX_REQUEST_BYTES)
}

/// Serves the API on `listener` until `shutdown`.
pub async fn serve(
    shared: Arc<Shared>,
    listener: TcpListener,
    tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    shutdown: CancellationToken,
) {
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<pb::lookout_server::LookoutServer<service::LookoutApi>>().await;
    // Reflection in both versions: v1, and v1alpha for the clients that
    // still only speak it (grpcui, several language libraries).
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let (reflection_v1, reflection_v1alpha) = match (reflection().build_v1(), reflection().build_v1alpha()) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            error!(error = %e, "reflection service");
            return;
        }
    };
    let policy = shared.access.clone();
    let audit = audit_sink(&shared);
    let timing = crate::metrics::GrpcMetricsLayer::new(&shared.metrics);
    if policy.is_open() {
        warn!("no [[operator]] configured: the API is open to anyone who can reach it; keep it on a trusted network");
    } else if tls.is_none() {
        warn!("operators are configured without [service.tls]: bearer tokens travel in clear");
    }
    // TCP_NODELAY, the per-address connection limit and TLS are the acceptor's.
    let incoming = crate::listen::incoming(listener, tls, shared.grpc_connections.clone(), "gRPC", shutdown.clone());
    let api = lookout_service(shared);
    let builder = tonic::transport::Server::builder()
        .initial_stream_window_size(limits::STREAM_WINDOW_BYTES)
        .initial_connection_window_size(limits::CONNECTION_WINDOW_BYTES);
    // Timing outermost, so calls the access layer refuses are timed too.
    let result = builder
        .layer(timing)
        .layer(limits::RequestSizeLayer)
        .layer(access::AccessLayer::new(policy).with_audit(audit))
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(api)
        .serve_with_incoming_shutdown(incoming, shutdown.cancelled())
        .await;
    if let Err(e) = result {
        error!(error = %e, "gRPC server stopped");
    }
}
