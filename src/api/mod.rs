//! The gRPC edge: `lookout.v1.Lookout`, the standard health service and
//! server reflection. Protobuf types stay in this module.

mod alerts;
mod convert;
mod service;
mod subscribe;

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;
use tracing::error;

use crate::service::Shared;

/// Generated protobuf and gRPC types of `lookout.v1`.
pub mod pb {
    tonic::include_proto!("lookout.v1");
    /// Encoded descriptor set, for server reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("lookout_descriptor");
}

pub use convert::{MAX_NEAR_RESULTS, MAX_RADIUS_M};

/// Serves the API on `listener` until `shutdown`.
pub async fn serve(shared: Arc<Shared>, listener: TcpListener, shutdown: CancellationToken) {
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
    let api = pb::lookout_server::LookoutServer::new(service::LookoutApi::new(shared));
    let result = tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(reflection)
        .add_service(api)
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown.cancelled())
        .await;
    if let Err(e) = result {
        error!(error = %e, "gRPC server stopped");
    }
}
