//! Latency of every `lookout.v1.Lookout` call, per method: a tower layer
//! around the whole gRPC server (outside the access layer, so refused calls
//! are timed too), and around the console's gRPC-Web route.

use std::pin::Pin;
use std::sync::{Arc, LazyLock};
use std::task::{Context, Poll};
use std::time::Instant;

use prost::Message;
use tonic::codegen::http;

use super::{HistogramFamily, MethodLabels, Metrics};

/// The path prefix of the API's methods.
const API_PREFIX: &str = "/lookout.v1.Lookout/";
/// The `method` label of every other path (health checks, reflection, and
/// whatever a client makes up: a label per invented path would be unbounded).
const OTHER: &str = "other";

/// The methods of `lookout.v1.Lookout`, read from the compiled descriptor so
/// a method added to the proto is measured without touching this file.
static METHODS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let set = prost_types::FileDescriptorSet::decode(crate::api::pb::FILE_DESCRIPTOR_SET)
        .expect("the descriptor set compiled into the binary decodes");
    let mut names: Vec<&'static str> = set
        .file
        .iter()
        .filter(|f| f.package() == "lookout.v1")
        .flat_map(|f| &f.service)
        .filter(|s| s.name() == "Lookout")
        .flat_map(|s| &s.method)
        .map(|m| &*m.name().to_string().leak())
        .collect();
    names.sort_unstable();
    names.push(OTHER);
    names
});

/// Every `method` label value: the API's methods, and `other`.
pub(super) fn methods() -> impl Iterator<Item = &'static str> {
    METHODS.iter().copied()
}

/// The `method` label of a request path.
fn method_of(path: &str) -> &'static str {
    path.strip_prefix(API_PREFIX).and_then(|m| METHODS.iter().find(|k| **k == m).copied()).unwrap_or(OTHER)
}

/// Times each call into `lookout_grpc_request_duration_seconds`.
#[derive(Clone)]
pub struct GrpcMetricsLayer {
    latency: HistogramFamily<MethodLabels>,
}

impl GrpcMetricsLayer {
    pub fn new(metrics: &Arc<Metrics>) -> Self {
        Self { latency: metrics.grpc_latency.clone() }
    }
}

impl<S> tower::Layer<S> for GrpcMetricsLayer {
    type Service = GrpcMetrics<S>;
    fn layer(&self, inner: S) -> Self::Service {
        GrpcMetrics { inner, latency: self.latency.clone() }
    }
}

/// See [`GrpcMetricsLayer`].
#[derive(Clone)]
pub struct GrpcMetrics<S> {
    inner: S,
    latency: HistogramFamily<MethodLabels>,
}

impl<S, B, R> tower::Service<http::Request<B>> for GrpcMetrics<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let labels = MethodLabels { method: method_of(req.uri().path()) };
        let latency = self.latency.clone();
        let start = Instant::now();
        let fut = self.inner.call(req);
        Box::pin(async move {
            let resp = fut.await;
            latency.get_or_create(&labels).observe(start.elapsed().as_secs_f64());
            resp
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_come_from_the_descriptor_and_others_are_lumped() {
        let all: Vec<&str> = methods().collect();
        for m in ["VesselsNear", "Stats", "SubscribeAlerts", "Ingest", OTHER] {
            assert!(all.contains(&m), "{m} in {all:?}");
        }
        assert_eq!(method_of("/lookout.v1.Lookout/VesselsNear"), "VesselsNear");
        assert_eq!(method_of("/lookout.v1.Lookout/NoSuchMethod"), OTHER);
        assert_eq!(method_of("/grpc.health.v1.Health/Check"), OTHER);
        assert_eq!(method_of("/lookout.v1.Lookout/"), OTHER);
    }
}
