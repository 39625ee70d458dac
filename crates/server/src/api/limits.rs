//! Limits on what one call may ask of the service, with errors that name
//! them: RESOURCE_EXHAUSTED and the limit, so a client knows what to change.

use std::pin::Pin;
use std::task::{Context, Poll};

use tonic::codegen::http;
use tonic::{Code, Status};

/// Largest request message, bytes: a few thousand NMEA lines per `Ingest`
/// message, a polygon of [`MAX_POLYGON_VERTICES`] with room to spare. Larger
/// messages are refused before they are read into memory.
pub const MAX_REQUEST_BYTES: usize = 1 << 20;
/// Largest polygon in `VesselsInArea` or `SubscribeTracks`, vertices: a
/// search area or a region's border, not a coastline at chart resolution.
/// Point-in-polygon costs grow with it on every vessel tested.
pub const MAX_POLYGON_VERTICES: usize = 1000;

/// Tonic refuses an oversized request with OUT_OF_RANGE and its own wording;
/// this layer says RESOURCE_EXHAUSTED and names the limit, as our other
/// limits do.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestSizeLayer;

impl<S> tower::Layer<S> for RequestSizeLayer {
    type Service = RequestSize<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RequestSize(inner)
    }
}

/// See [`RequestSizeLayer`].
#[derive(Debug, Clone)]
pub struct RequestSize<S>(S);

impl<S, B, R> tower::Service<http::Request<B>> for RequestSize<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let fut = self.0.call(req);
        Box::pin(async move {
            let mut resp = fut.await?;
            if is_oversize_refusal(resp.headers()) {
                let status = Status::resource_exhausted(format!(
                    "the request message exceeds the limit of {MAX_REQUEST_BYTES} bytes (MAX_REQUEST_BYTES)"
                ));
                let headers = resp.headers_mut();
                headers.remove("grpc-message");
                // Only fails for a message that cannot be a header, which ours is not.
                let _ = status.add_header(headers);
            }
            Ok(resp)
        })
    }
}

/// A trailers-only response carrying tonic's "message length too large".
fn is_oversize_refusal(h: &http::HeaderMap) -> bool {
    let code = h.get("grpc-status").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<i32>().ok());
    code == Some(Code::OutOfRange as i32)
        && h.get("grpc-message")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|m| m.contains("message%20length%20too%20large") || m.contains("message length too large"))
}
