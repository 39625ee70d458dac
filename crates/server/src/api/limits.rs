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
            give_back(&mut held, key);
        }
    }
}

/// One place `key` held in `held` given back; a key holding none is removed, so the
/// maps of who holds how many stay as small as the holders. Shared by every count of
/// held places (subscriptions, connections per address and per operator).
pub(crate) fn give_back<K: std::hash::Hash + Eq>(held: &mut HashMap<K, usize>, key: &K) {
    if let Some(n) = held.get_mut(key) {
        *n -= 1;
        if *n == 0 {
            held.remove(key);
        }
    }
}

/// Connections one operator holds, from all its addresses, against `[service]
/// max_connections_per_operator`. A connection counts for the operator of its first
/// authenticated call (an operator is known only once a call is read, not at accept) and
/// until it closes: a leaked or shared token cannot hold thousands of connections from
/// many addresses, each passing `max_connections_per_peer`.
#[derive(Debug)]
pub struct OperatorConnections {
    max: usize,
    held: parking_lot::Mutex<HashMap<String, usize>>,
    /// Calls refused because their operator held `max` other connections.
    pub refused: std::sync::atomic::AtomicU64,
}

/// Whose connection this is; every request on one connection carries a clone (in
/// [`crate::listen::PeerInfo`]), so the operator's count is given back when the last
/// clone, the connection's own, is dropped.
#[derive(Debug, Clone, Default)]
pub struct ConnectionOwner(Arc<parking_lot::Mutex<Option<OwnerHold>>>);

/// One connection counted under one operator.
#[derive(Debug)]
struct OwnerHold {
    registry: Arc<OperatorConnections>,
    operator: String,
}

impl Drop for OwnerHold {
    fn drop(&mut self) {
        give_back(&mut self.registry.held.lock(), &self.operator);
    }
}

impl Default for OperatorConnections {
    fn default() -> Self {
        Self::new(crate::config::DEFAULT_MAX_CONNECTIONS_PER_OPERATOR)
    }
}

impl OperatorConnections {
    /// At most `max` connections per operator.
    pub fn new(max: usize) -> Self {
        Self { max, held: Default::default(), refused: Default::default() }
    }

    /// Counts `connection` under `operator` on its first authenticated call, or
    /// RESOURCE_EXHAUSTED naming the limit when the operator already holds `max`. A
    /// connection already counted passes, whoever calls on it: a gateway multiplexing
    /// several operators over one connection is counted once, under the first.
    pub fn claim(self: &Arc<Self>, connection: &ConnectionOwner, operator: &str) -> Result<(), Status> {
        let mut owner = connection.0.lock();
        if owner.is_some() {
            return Ok(());
        }
        let mut held = self.held.lock();
        let n = held.entry(operator.to_string()).or_default();
        if *n >= self.max {
            let n = *n;
            if n == 0 {
                held.remove(operator);
            }
            self.refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Err(Status::resource_exhausted(format!(
                "operator {operator:?} holds {n} connections ([service] max_connections_per_operator {}); close one \
                 before opening another",
                self.max
            )));
        }
        *n += 1;
        *owner = Some(OwnerHold { registry: self.clone(), operator: operator.to_string() });
        Ok(())
    }

    /// Connections `operator` holds now.
    pub fn held_by(&self, operator: &str) -> usize {
        self.held.lock().get(operator).copied().unwrap_or(0)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operator_holds_at_most_its_connections_and_gets_them_back() {
        let ops = Arc::new(OperatorConnections::new(2));
        let (a, b, c) = (ConnectionOwner::default(), ConnectionOwner::default(), ConnectionOwner::default());
        ops.claim(&a, "ana").unwrap();
        // Further calls on a counted connection pass, by anyone.
        ops.claim(&a, "ana").unwrap();
        ops.claim(&a, "ben").unwrap();
        ops.claim(&b, "ana").unwrap();
        let refused = ops.claim(&c, "ana").unwrap_err();
        assert_eq!(refused.code(), Code::ResourceExhausted);
        assert!(refused.message().contains("max_connections_per_operator 2"), "{}", refused.message());
        assert_eq!(ops.refused.load(std::sync::atomic::Ordering::Relaxed), 1);
        // Another operator is not held back by ana.
        ops.claim(&c, "ben").unwrap();
        assert_eq!((ops.held_by("ana"), ops.held_by("ben")), (2, 1));
        // A connection's clones (one per request) keep it counted until the last goes.
        let request_copy = a.clone();
        drop(a);
        assert_eq!(ops.held_by("ana"), 2);
        drop(request_copy);
        assert_eq!(ops.held_by("ana"), 1);
        ops.claim(&ConnectionOwner::default(), "ana").unwrap();
        drop((b, c));
        assert_eq!(ops.held_by("ben"), 0);
    }
}
