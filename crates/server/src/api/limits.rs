//! Limits on what one call may ask of the service, with errors that name
//! them: RESOURCE_EXHAUSTED and the limit, so a client knows what to change.

use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
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

/// Live subscriptions (`SubscribeTracks` and `SubscribeAlerts` together) one peer
/// address may hold. A console holds two; a watch room behind one NAT address, a few
/// dozen. Each costs a task, a queue and a share of every fan-out, so one client
/// opening thousands would slow every console.
pub const MAX_SUBSCRIPTIONS_PER_PEER: usize = 64;
/// Live subscriptions one authenticated operator may hold, from all its addresses.
pub const MAX_SUBSCRIPTIONS_PER_OPERATOR: usize = 128;

/// Who holds how many live subscriptions.
#[derive(Debug, Default)]
pub struct SubscriptionSlots {
    held: parking_lot::Mutex<HashMap<SlotKey, usize>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum SlotKey {
    Peer(IpAddr),
    Operator(String),
}

impl SubscriptionSlots {
    /// A slot for a new subscription from `peer` by `operator`, or RESOURCE_EXHAUSTED
    /// naming the limit either has reached.
    pub fn take(self: &Arc<Self>, peer: Option<IpAddr>, operator: Option<&str>) -> Result<SubscriptionSlot, Status> {
        let mut keys = Vec::with_capacity(2);
        if let Some(ip) = peer {
            keys.push((SlotKey::Peer(ip.to_canonical()), MAX_SUBSCRIPTIONS_PER_PEER, "MAX_SUBSCRIPTIONS_PER_PEER"));
        }
        if let Some(name) = operator {
            keys.push((
                SlotKey::Operator(name.to_string()),
                MAX_SUBSCRIPTIONS_PER_OPERATOR,
                "MAX_SUBSCRIPTIONS_PER_OPERATOR",
            ));
        }
        let mut held = self.held.lock();
        for (key, limit, name) in &keys {
            if held.get(key).copied().unwrap_or(0) >= *limit {
                let who = match key {
                    SlotKey::Peer(ip) => format!("address {ip}"),
                    SlotKey::Operator(op) => format!("operator {op:?}"),
                };
                return Err(Status::resource_exhausted(format!(
                    "{who} holds {limit} live subscriptions ({name}); end one before opening another"
                )));
            }
        }
        for (key, _, _) in &keys {
            *held.entry(key.clone()).or_default() += 1;
        }
        Ok(SubscriptionSlot { slots: self.clone(), keys: keys.into_iter().map(|(k, _, _)| k).collect() })
    }
}

/// One live subscription's place; given back when the subscription's task ends
/// (its console went away, noticed at the next event or heartbeat, or the service stops).
#[derive(Debug)]
pub struct SubscriptionSlot {
    slots: Arc<SubscriptionSlots>,
    keys: Vec<SlotKey>,
}

impl Drop for SubscriptionSlot {
    fn drop(&mut self) {
        let mut held = self.slots.held.lock();
        for key in &self.keys {
            if let Some(n) = held.get_mut(key) {
                *n -= 1;
                if *n == 0 {
                    held.remove(key);
                }
            }
        }
    }
}

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
