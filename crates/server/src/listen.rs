//! Accepting connections for the gRPC port and the console: TCP_NODELAY on
//! every socket, a limit on the connections one address may hold, and the
//! TLS handshake done here rather than inside tonic.
//!
//! Why not tonic's own acceptor (`Server::tls_config`, `TcpIncoming`):
//! - it logs a failed handshake at debug level without the peer, so an
//!   operator whose client has the wrong CA sees nothing in the server's log;
//! - it has no handshake timeout unless asked, and a client that connects and
//!   never speaks TLS holds its socket for ever;
//! - it stops the whole server on an accept error it does not know, such as
//!   EMFILE (out of file descriptors) under a connection flood;
//! - it has no per-address connection limit.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::rustls;
use tokio_rustls::server::TlsStream;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::{Connected, TcpConnectInfo};
use tracing::{info, warn};

/// Connections accepted (and past their handshake) that the server has not
/// yet taken. Full: the accept loop waits, and new connections queue in the
/// kernel's backlog instead.
pub const ACCEPTED_QUEUE: usize = 128;
/// Longest a client may take to complete the TLS handshake after connecting.
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause after an accept error such as EMFILE (out of file descriptors), so
/// the loop does not spin while connections are being closed.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);
/// Refusals and handshake failures logged per [`LOG_WINDOW`], each; the rest
/// are counted, and the next line says how many were not logged. A scanner
/// must not be able to fill the disk with log lines.
const LOGGED_PER_WINDOW: u32 = 10;
const LOG_WINDOW: Duration = Duration::from_secs(60);

/// Server-side TLS for the gRPC port and the console: the certificate chain
/// and key of `[service.tls]`, HTTP/2 offered by ALPN (and HTTP/1.1 for the
/// console's gRPC-Web). With `client_ca`, a client may present a certificate
/// (one that authority did not sign fails the handshake); people with bearer
/// tokens still connect without one.
pub fn tls_server_config(cfg: &crate::config::TlsConfig) -> Result<Arc<rustls::ServerConfig>, crate::Error> {
    let clients = cfg.client_ca.as_deref().map(|ca| ClientCerts { ca, required: false });
    let mut config = server_config(&cfg.cert, &cfg.key, clients)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Server-side TLS for an NMEA feed (`[[source]] tls`): only clients whose
/// certificate `client_ca` signed complete the handshake.
pub fn feed_tls_acceptor(cfg: &crate::config::FeedTlsConfig) -> Result<tokio_rustls::TlsAcceptor, crate::Error> {
    let clients = ClientCerts { ca: &cfg.client_ca, required: true };
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(server_config(&cfg.cert, &cfg.key, Some(clients))?)))
}

/// Client certificates a server takes: signed by `ca`, and whether a client
/// must present one.
struct ClientCerts<'a> {
    ca: &'a std::path::Path,
    required: bool,
}

fn server_config(
    cert: &std::path::Path,
    key: &std::path::Path,
    clients: Option<ClientCerts<'_>>,
) -> Result<rustls::ServerConfig, crate::Error> {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let read = |p: &std::path::Path, what: &str| {
        std::fs::read(p).map_err(|e| crate::Error::io(format!("read TLS {what} {}", p.display()), e))
    };
    let bad = |p: &std::path::Path, what: &str, e: &dyn std::fmt::Display| {
        crate::Error::config(format!("TLS {what} {}: {e}", p.display()))
    };
    let certs_in = |p: &std::path::Path, what: &str| -> Result<Vec<CertificateDer<'static>>, crate::Error> {
        let certs = CertificateDer::pem_slice_iter(&read(p, what)?)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(p, what, &e))?;
        if certs.is_empty() {
            return Err(bad(p, what, &"no PEM certificate in the file"));
        }
        Ok(certs)
    };
    let certs = certs_in(cert, "certificate")?;
    let key = PrivateKeyDer::from_pem_slice(&read(key, "key")?).map_err(|e| bad(key, "key", &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| crate::Error::config(format!("TLS: {e}")))?;
    let builder = match clients {
        None => builder.with_no_client_auth(),
        Some(ClientCerts { ca, required }) => {
            let mut roots = rustls::RootCertStore::empty();
            for c in certs_in(ca, "client_ca")? {
                roots.add(c).map_err(|e| bad(ca, "client_ca", &e))?;
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(roots.into(), provider);
            let verifier = if required { verifier } else { verifier.allow_unauthenticated() };
            let verifier = verifier.build().map_err(|e| bad(ca, "client_ca", &e))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    builder
        .with_single_cert(certs, key)
        .map_err(|e| crate::Error::config(format!("TLS certificate and key {}: {e}", cert.display())))
}

/// Connections held per peer address, against `[service] max_connections_per_peer`.
#[derive(Debug)]
pub struct PeerConnections {
    max: usize,
    held: Mutex<HashMap<IpAddr, usize>>,
    /// Connections closed at once because their address held `max`.
    pub refused: AtomicU64,
    /// TLS handshakes that failed or timed out.
    pub handshake_failures: AtomicU64,
}

impl PeerConnections {
    /// At most `max` connections per address.
    pub fn new(max: usize) -> Self {
        Self { max, held: Mutex::default(), refused: AtomicU64::new(0), handshake_failures: AtomicU64::new(0) }
    }

    /// A place for one more connection from `ip`, or `None` (counted) when it holds `max`.
    pub fn take(self: &Arc<Self>, ip: IpAddr) -> Option<PeerSlot> {
        let ip = ip.to_canonical();
        let mut held = self.held.lock();
        let n = held.entry(ip).or_default();
        if *n >= self.max {
            drop(held);
            self.refused.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        *n += 1;
        Some(PeerSlot { peers: self.clone(), ip })
    }

    /// Connections `ip` holds now.
    pub fn held_by(&self, ip: IpAddr) -> usize {
        self.held.lock().get(&ip.to_canonical()).copied().unwrap_or(0)
    }
}

/// One connection's place; given back when the connection is dropped.
#[derive(Debug)]
pub struct PeerSlot {
    peers: Arc<PeerConnections>,
    ip: IpAddr,
}

impl Drop for PeerSlot {
    fn drop(&mut self) {
        crate::api::limits::give_back(&mut self.peers.held.lock(), &self.ip);
    }
}

/// An accepted connection, plain or TLS, holding its peer's place.
pub struct Conn {
    io: Io,
    peer: SocketAddr,
    local: Option<SocketAddr>,
    /// The verified client certificate's subject (TLS with `client_ca` only).
    subject: Option<Arc<str>>,
    /// Whose connection this is; given back with the connection.
    owner: crate::api::limits::ConnectionOwner,
    _slot: PeerSlot,
}

/// What the API learns of a connection (in each request's extensions): its
/// addresses, and who its client certificate says it is.
#[derive(Debug, Clone)]
pub struct PeerInfo {
    pub tcp: TcpConnectInfo,
    /// The RFC 4514 subject of the client's certificate, which the handshake
    /// verified against `[service.tls] client_ca`; `None` without one.
    pub certificate_subject: Option<Arc<str>>,
    /// The operator the connection counts for (`max_connections_per_operator`), once a
    /// call on it is authenticated.
    pub owner: crate::api::limits::ConnectionOwner,
}

/// The RFC 4514 subject of a DER certificate (the leaf of a verified chain).
/// Special characters come escaped (RFC 4514 §2.4), so a subject is safe to log.
fn subject_of(cert: &rustls::pki_types::CertificateDer<'_>) -> Option<Arc<str>> {
    use x509_cert::der::Decode as _;
    let cert = x509_cert::Certificate::from_der(cert.as_ref()).ok()?;
    Some(cert.tbs_certificate.subject.to_string().into())
}

enum Io {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Connected for Conn {
    // Our own type rather than tonic's `TlsConnectInfo` (which only tonic can
    // make): the access layer reads it, and puts the `TcpConnectInfo` that
    // `Request::remote_addr` reads into the request for the handlers.
    type ConnectInfo = PeerInfo;

    fn connect_info(&self) -> PeerInfo {
        PeerInfo {
            tcp: TcpConnectInfo { local_addr: self.local, remote_addr: Some(self.peer) },
            certificate_subject: self.subject.clone(),
            owner: self.owner.clone(),
        }
    }
}

impl AsyncRead for Conn {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Io::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().io {
            Io::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().io {
            Io::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match &self.io {
            Io::Plain(s) => s.is_write_vectored(),
            Io::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Io::Plain(s) => Pin::new(s).poll_flush(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Io::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Log lines of one kind, at most [`LOGGED_PER_WINDOW`] per [`LOG_WINDOW`].
pub(crate) struct LogBudget {
    window: Mutex<(Instant, u32, u64)>,
}

impl LogBudget {
    pub(crate) fn new() -> Self {
        Self { window: Mutex::new((Instant::now(), 0, 0)) }
    }

    /// Whether to log one more line, and how many were left unlogged before it.
    pub(crate) fn spend(&self) -> Option<u64> {
        let mut w = self.window.lock();
        if w.0.elapsed() >= LOG_WINDOW {
            let skipped = w.2;
            *w = (Instant::now(), 1, 0);
            return Some(skipped);
        }
        if w.1 < LOGGED_PER_WINDOW {
            w.1 += 1;
            Some(0)
        } else {
            w.2 += 1;
            None
        }
    }
}

/// Accepts connections on `listener` until `shutdown`, for the server named
/// `what` ("gRPC", "console"), and yields them for `serve_with_incoming`:
/// TCP_NODELAY set (without it Nagle held replies over ~1 KB back for ~40 ms:
/// VesselsNear took 44 ms over the wire against 0.3 ms in process), at most
/// `peers`' limit per address, and with `tls` the handshake completed within
/// [`TLS_HANDSHAKE_TIMEOUT`]. Refusals and failed handshakes are counted in
/// `peers` and logged with the peer's address.
pub fn incoming(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    peers: Arc<PeerConnections>,
    what: &'static str,
    shutdown: CancellationToken,
) -> ReceiverStream<io::Result<Conn>> {
    let (tx, rx) = mpsc::channel(ACCEPTED_QUEUE);
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let local = listener.local_addr().ok();
    tokio::spawn(async move {
        let refusals = LogBudget::new();
        let handshakes = Arc::new(LogBudget::new());
        loop {
            let (tcp, peer) = tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tx.closed() => return,
                r = listener.accept() => match r {
                    Ok(c) => c,
                    Err(e) => {
                        // EMFILE and friends pass once connections close; never end the server.
                        warn!(server = what, error = %e, "accept failed; retrying");
                        tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                        continue;
                    }
                },
            };
            if let Err(e) = tcp.set_nodelay(true) {
                warn!(server = what, %peer, error = %e, "TCP_NODELAY");
            }
            let Some(slot) = peers.take(peer.ip()) else {
                if let Some(skipped) = refusals.spend() {
                    warn!(
                        server = what,
                        %peer,
                        limit = peers.max,
                        not_logged_before = skipped,
                        "connection refused: the address holds max_connections_per_peer connections"
                    );
                }
                continue; // dropping `tcp` closes it
            };
            match &acceptor {
                None => {
                    if tx
                        .send(Ok(Conn {
                            io: Io::Plain(tcp),
                            peer,
                            local,
                            subject: None,
                            owner: Default::default(),
                            _slot: slot,
                        }))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Some(acceptor) => {
                    // Each handshake in its own task: a slow client must not hold up the others.
                    let (acceptor, tx, peers, handshakes) =
                        (acceptor.clone(), tx.clone(), peers.clone(), handshakes.clone());
                    tokio::spawn(async move {
                        let failed = match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                            Ok(Ok(s)) => {
                                let subject =
                                    s.get_ref().1.peer_certificates().and_then(|c| c.first()).and_then(subject_of);
                                let io = Io::Tls(Box::new(s));
                                let _ = tx
                                    .send(Ok(Conn { io, peer, local, subject, owner: Default::default(), _slot: slot }))
                                    .await;
                                return;
                            }
                            Ok(Err(e)) => e.to_string(),
                            Err(_) => format!("no handshake within {TLS_HANDSHAKE_TIMEOUT:?}"),
                        };
                        peers.handshake_failures.fetch_add(1, Ordering::Relaxed);
                        if let Some(skipped) = handshakes.spend() {
                            info!(server = what, %peer, reason = %failed, not_logged_before = skipped, "TLS handshake failed");
                        }
                    });
                }
            }
        }
    });
    ReceiverStream::new(rx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_holds_at_most_its_limit_and_gets_places_back() {
        let peers = Arc::new(PeerConnections::new(2));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let one = peers.take(a).unwrap();
        let _two = peers.take(a).unwrap();
        assert!(peers.take(a).is_none(), "a third connection from one address");
        assert!(peers.take(b).is_some(), "another address is not affected");
        assert_eq!(peers.refused.load(Ordering::Relaxed), 1);
        drop(one);
        assert_eq!(peers.held_by(a), 1);
        let _three = peers.take(a).expect("a closed connection gives its place back");
        // An IPv4 peer seen as IPv4-mapped IPv6 is the same address.
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(peers.held_by(mapped), 2);
    }

    #[test]
    fn log_lines_are_budgeted() {
        let budget = LogBudget::new();
        let logged = (0..LOGGED_PER_WINDOW + 5).filter(|_| budget.spend().is_some()).count();
        assert_eq!(logged, LOGGED_PER_WINDOW as usize);
    }
}
