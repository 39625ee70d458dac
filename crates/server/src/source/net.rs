//! Network sources: TCP client (reconnecting), TCP listener, UDP.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use lookout_ais::Clock;
use lookout_core::time::wall_ms;

use super::{Ingestor, SourceCtx};
use crate::error::Error;

/// Read buffer per connection, bytes.
const READ_CHUNK: usize = 64 * 1024;
/// A quiet connection still expires its stale fragments this often.
const IDLE_TICK: Duration = Duration::from_secs(1);
/// A connect attempt that hangs longer than this counts as failed.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Most UDP senders tracked at once (each has its own reassembly state, since
/// two receivers' fragments must not be mixed); the least recently heard is evicted.
const MAX_UDP_PEERS: usize = 256;
/// A feeder connection silent for this long is closed (its socket is not leaked).
const FEEDER_IDLE_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// Reads one connection until EOF, error or shutdown.
/// Returns `Ok(())` on EOF/shutdown, `Err` with the reason otherwise.
async fn pump(
    stream: &mut (impl AsyncRead + Unpin),
    ing: &mut Ingestor,
    shutdown: &CancellationToken,
    idle_timeout: Option<Duration>,
) -> Result<(), String> {
    let mut buf = vec![0u8; READ_CHUNK];
    let mut tick = tokio::time::interval(IDLE_TICK);
    let mut last_data = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            _ = tick.tick() => {
                ing.expire(wall_ms());
                ing.flush().await.map_err(|e| e.to_string())?;
                if idle_timeout.is_some_and(|t| last_data.elapsed() > t) {
                    return Err("idle timeout".into());
                }
            }
            r = stream.read(&mut buf) => match r {
                Ok(0) => {
                    ing.end_of_stream();
                    ing.flush().await.map_err(|e| e.to_string())?;
                    return Ok(());
                }
                Ok(n) => {
                    last_data = tokio::time::Instant::now();
                    ing.bytes(&buf[..n]);
                    // Waiting here is the backpressure: we stop reading while the pipeline is full.
                    ing.flush().await.map_err(|e| e.to_string())?;
                }
                Err(e) => return Err(e.to_string()),
            }
        }
    }
}

/// Connects to `address` and reads NMEA lines; reconnects with exponential
/// backoff (doubling from `min` to `max`, reset after a successful connection).
pub async fn run_tcp_client(
    ctx: SourceCtx,
    address: String,
    min: Duration,
    max: Duration,
    shutdown: CancellationToken,
) {
    let status = ctx.status.clone();
    let mut backoff = min;
    loop {
        let attempt = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&address));
        let result = tokio::select! {
            _ = shutdown.cancelled() => return,
            r = attempt => r,
        };
        match result {
            Ok(Ok(mut stream)) => {
                info!(source = ?status.name, %address, "connected");
                status.set_connected(true, None);
                backoff = min;
                let mut ing = ctx.ingestor(Clock::Live);
                let outcome = pump(&mut stream, &mut ing, &shutdown, None).await;
                drop(ing);
                let reason = outcome.err().unwrap_or_else(|| "closed by peer".into());
                status.set_connected(false, Some(reason.clone()));
                if shutdown.is_cancelled() || ctx.tx.is_closed() {
                    return;
                }
                warn!(source = ?status.name, %address, %reason, "feed dropped; reconnecting");
            }
            Ok(Err(e)) => {
                status.set_connected(false, Some(format!("connect: {e}")));
                warn!(source = ?status.name, %address, error = %e, retry_in = ?backoff, "connect failed");
            }
            Err(_) => {
                status.set_connected(false, Some("connect: timed out".into()));
                warn!(source = ?status.name, %address, retry_in = ?backoff, "connect timed out");
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(max);
    }
}

/// Binds the listener (so a configuration error surfaces at start-up).
pub async fn bind_tcp(listen: SocketAddr) -> Result<TcpListener, Error> {
    TcpListener::bind(listen).await.map_err(|e| Error::io(format!("bind tcp {listen}"), e))
}

/// Binds the UDP socket.
pub async fn bind_udp(listen: SocketAddr, recv_buffer_bytes: usize) -> Result<UdpSocket, Error> {
    let socket = UdpSocket::bind(listen).await.map_err(|e| Error::io(format!("bind udp {listen}"), e))?;
    let granted = super::udp_drops::configure(&socket, recv_buffer_bytes)
        .map_err(|e| Error::io(format!("udp {listen}: receive buffer and drop counter"), e))?;
    // Linux doubles what it grants (bookkeeping overhead), capped by net.core.rmem_max.
    if granted / 2 < recv_buffer_bytes {
        warn!(%listen, asked = recv_buffer_bytes, granted = granted / 2, "UDP receive buffer smaller than configured (raise net.core.rmem_max); bursts may be dropped, and are counted");
    }
    Ok(socket)
}

/// Accepts feeders; each connection gets its own decoder (reassembly state),
/// all share the source's counters.
/// The senders an inbound feed accepts (`allow_from`): any, or those in the networks.
#[derive(Debug, Clone, Default)]
pub struct AllowFrom(Arc<[IpNet]>);

impl AllowFrom {
    pub fn new(nets: &[IpNet]) -> Self {
        Self(nets.into())
    }

    /// Whether `ip` may send (an IPv4 peer on a dual-stack socket counts as IPv4).
    pub fn admits(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.is_empty() || self.0.iter().any(|n| n.contains(&ip))
    }
}

/// With `tls` (`[[source]] tls`), a connection feeds only once its client
/// certificate has been verified; a failed or stalled handshake (at most
/// [`crate::listen::TLS_HANDSHAKE_TIMEOUT`]) is refused, counted in
/// `peers_refused`, and logged with the peer and why.
pub async fn run_tcp_listener(
    ctx: SourceCtx,
    listener: TcpListener,
    allow: AllowFrom,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: CancellationToken,
) {
    let status = ctx.status.clone();
    status.set_connected(true, None);
    let handshakes = Arc::new(crate::listen::LogBudget::new());
    loop {
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => break,
            a = listener.accept() => a,
        };
        match accepted {
            Ok((_, peer)) if !allow.admits(peer.ip()) => {
                // Closed unread. Logged at debug only: a scan must not flood the log; it is counted.
                debug!(source = ?status.name, %peer, "connection from outside allow_from refused");
                let mut s = status.state.lock();
                s.peers_refused += 1;
                s.last_error = format!("{peer}: not in allow_from");
            }
            Ok((stream, peer)) => {
                let (ctx, status, shutdown, tls, handshakes) =
                    (ctx.clone(), status.clone(), shutdown.clone(), tls.clone(), handshakes.clone());
                tokio::spawn(async move {
                    let outcome = match tls {
                        None => {
                            info!(source = ?status.name, %peer, "feeder connected");
                            feed(stream, &ctx, &shutdown).await
                        }
                        Some(acceptor) => {
                            let handshake =
                                tokio::time::timeout(crate::listen::TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream));
                            let verified: Result<_, String> = match handshake.await {
                                Ok(Ok(stream)) => {
                                    info!(source = ?status.name, %peer, "feeder connected (client certificate verified)");
                                    Ok(stream)
                                }
                                Ok(Err(e)) => Err(e.to_string()),
                                Err(_) => {
                                    Err(format!("no handshake within {:?}", crate::listen::TLS_HANDSHAKE_TIMEOUT))
                                }
                            };
                            match verified {
                                Ok(stream) => feed(stream, &ctx, &shutdown).await,
                                Err(why) => {
                                    {
                                        let mut s = status.state.lock();
                                        s.peers_refused += 1;
                                        s.last_error = format!("{peer}: TLS handshake failed: {why}");
                                    }
                                    if let Some(skipped) = handshakes.spend() {
                                        warn!(source = ?status.name, %peer, reason = %why, not_logged_before = skipped, "feeder refused: TLS handshake failed");
                                    }
                                    return;
                                }
                            }
                        }
                    };
                    match outcome {
                        Ok(()) => info!(source = ?status.name, %peer, "feeder disconnected"),
                        Err(e) => {
                            warn!(source = ?status.name, %peer, error = %e, "feeder dropped");
                            status.state.lock().last_error = format!("{peer}: {e}");
                        }
                    }
                });
            }
            Err(e) => {
                // Out of file descriptors and the like: pause rather than spin.
                warn!(source = ?status.name, error = %e, "accept failed");
                status.state.lock().last_error = format!("accept: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    status.set_connected(false, None);
}

/// Reads one feeder's connection (plain or TLS) into the source until it ends.
async fn feed(mut stream: impl AsyncRead + Unpin, ctx: &SourceCtx, shutdown: &CancellationToken) -> Result<(), String> {
    let mut ing = ctx.ingestor(Clock::Live);
    pump(&mut stream, &mut ing, shutdown, Some(FEEDER_IDLE_TIMEOUT)).await
}

/// Receives datagrams (one or more lines each; a datagram boundary ends a
/// line), and counts what the kernel dropped before we could read it.
pub async fn run_udp(ctx: SourceCtx, socket: UdpSocket, allow: AllowFrom, shutdown: CancellationToken) {
    let status = ctx.status.clone();
    status.set_connected(true, None);
    let mut buf = vec![0u8; 65_536];
    let mut peers: HashMap<SocketAddr, (Ingestor, u64)> = HashMap::new();
    let mut seq: u64 = 0;
    let mut tick = tokio::time::interval(IDLE_TICK);
    loop {
        let received = tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tick.tick() => {
                for (ing, _) in peers.values_mut() {
                    ing.expire(wall_ms());
                    if ing.flush().await.is_err() { return; }
                }
                continue;
            }
            r = super::udp_drops::recv(&socket, &mut buf) => r,
        };
        let mut next = Some(received);
        // Drain what is already queued before flushing: fewer, larger batches.
        while let Some(r) = next.take() {
            match r {
                Ok(super::udp_drops::Received { len: n, peer, dropped }) => {
                    if let Some(d) = dropped {
                        status.state.lock().udp_dropped = u64::from(d);
                    }
                    if allow.admits(peer.ip()) {
                        seq += 1;
                        if !peers.contains_key(&peer) && peers.len() >= MAX_UDP_PEERS {
                            if let Some(oldest) = peers.iter().min_by_key(|(_, (_, s))| *s).map(|(a, _)| *a) {
                                peers.remove(&oldest);
                            }
                        }
                        let (ing, last) = peers.entry(peer).or_insert_with(|| (ctx.ingestor(Clock::Live), 0));
                        *last = seq;
                        ing.bytes(&buf[..n]);
                        ing.end_of_stream();
                        if ing.batch_full() && ing.flush().await.is_err() {
                            return;
                        }
                    } else {
                        status.state.lock().peers_refused += 1;
                    }
                }
                Err(e) => {
                    // ICMP errors and the like surface here; the socket stays usable.
                    status.state.lock().last_error = format!("recv: {e}");
                }
            }
            if let Ok(r) = super::udp_drops::try_recv(&socket, &mut buf) {
                next = Some(Ok(r));
            }
        }
        for (ing, _) in peers.values_mut() {
            if ing.flush().await.is_err() {
                return;
            }
        }
    }
    status.set_connected(false, None);
}
