//! The gRPC edge: `lookout.v1.Lookout`, the standard health service and
//! server reflection. Protobuf types stay in this module.

mod access;
mod alerts;
mod convert;
mod service;
mod subscribe;

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;
use tracing::{error, warn};

use crate::service::Shared;

/// Generated protobuf and gRPC types of `lookout.v1`.
pub mod pb {
    tonic::include_proto!("lookout.v1");
    /// Encoded descriptor set, for server reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("lookout_descriptor");
}

pub use access::{token_digest_hex, Operator};
pub use convert::{MAX_NEAR_RESULTS, MAX_RADIUS_M};

/// TLS settings for the server, read (and checked) before anything starts.
pub fn tls_config(cfg: &crate::config::TlsConfig) -> Result<tonic::transport::ServerTlsConfig, crate::Error> {
    let read = |p: &std::path::Path, what: &str| {
        std::fs::read(p).map_err(|e| crate::Error::io(format!("read TLS {what} {}", p.display()), e))
    };
    let identity = tonic::transport::Identity::from_pem(read(&cfg.cert, "certificate")?, read(&cfg.key, "key")?);
    Ok(tonic::transport::ServerTlsConfig::new().identity(identity))
}

/// Serves the API on `listener` until `shutdown`.
pub async fn serve(
    shared: Arc<Shared>,
    listener: TcpListener,
    tls: Option<tonic::transport::ServerTlsConfig>,
    shutdown: CancellationToken,
) {
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<pb::lookout_server::LookoutServer<service::LookoutApi>>().await;
    let reflection = match tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
    {
        Ok(r) => r,
        Err(e) => {
            error!(error = %e, "reflection service");
            return;
        }
    };
    let policy = Arc::new(access::AccessPolicy::new(&shared.config.operators));
    if policy.is_open() {
        warn!("no [[operator]] configured: the API is open to anyone who can reach it; keep it on a trusted network");
    } else if tls.is_none() {
        warn!("operators are configured without [service.tls]: bearer tokens travel in clear");
    }
    let api = pb::lookout_server::LookoutServer::new(service::LookoutApi::new(shared));
    let mut builder = tonic::transport::Server::builder();
    if let Some(tls) = tls {
        builder = match builder.tls_config(tls) {
            Ok(b) => b,
            Err(e) => {
                error!(error = %e, "TLS configuration");
                return;
            }
        };
    }
    let result = builder
        .layer(access::AccessLayer::new(policy))
        .add_service(health_service)
        .add_service(reflection)
        .add_service(api)
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown.cancelled())
        .await;
    if let Err(e) = result {
        error!(error = %e, "gRPC server stopped");
    }
}
