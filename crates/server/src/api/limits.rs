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

/// HTTP/2 flow-control window of one call's request stream, bytes. h2 closes a whole
/// connection (GOAWAY ENHANCE_YOUR_CALM "too_many_data_frames") when small DATA frames
/// (under 256 bytes: one drone event each, as grpcio sends them) waiting unread cost more
/// than half the connection window; hyper's default 1 MiB stream window let one stream
/// buffer four times that while the pipeline was busy. 64 KiB per stream keeps even
/// 50-byte events within budget for several concurrent feeds, and slows the sender —
/// flow control — instead. Throughput per stream is 64 KiB per round trip (640 MB/s on a
/// 0.1 ms LAN, 1.3 MB/s ≈ 15,000 AIS lines/s at 50 ms).
pub const STREAM_WINDOW_BYTES: u32 = 64 << 10;
/// HTTP/2 connection window, bytes: h2's small-frame budget is half of it (1 MiB).
pub const CONNECTION_WINDOW_BYTES: u32 = 2 << 20;

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
