//! Producing the batches and delivering them: a TCP server for any number of
//! plotters (up to [`MAX_OUTPUT_CLIENTS`]), or UDP datagrams to one target.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::{
    nmea, Batch, OutputConfig, OutputKind, OutputStats, CLIENT_WRITE_TIMEOUT, MAX_OUTPUT_CLIENTS, STATIC_EVERY_BATCHES,
    UDP_DATAGRAM_BYTES,
};
use crate::error::Error;
use crate::service::Shared;
use crate::source::AllowFrom;

/// A bound output, ready to run.
pub enum Bound {
    Tcp(TcpListener),
    Udp(UdpSocket, SocketAddr),
}

/// Binds the output's socket (a port in use stops the start, naming the output).
pub async fn bind(cfg: &OutputConfig) -> Result<Bound, Error> {
    match cfg.kind {
        OutputKind::TcpServer => {
            let listen = cfg.listen.ok_or_else(|| Error::config("output: tcp_server without listen"))?;
            let l = TcpListener::bind(listen).await.map_err(|e| Error::io(format!("bind output {listen}"), e))?;
            Ok(Bound::Tcp(l))
        }
        OutputKind::Udp => {
            let target = cfg.target.ok_or_else(|| Error::config("output: udp without target"))?;
            let local: SocketAddr = if target.is_ipv4() { ([0, 0, 0, 0], 0).into() } else { ([0u16; 8], 0).into() };
            let s =
                UdpSocket::bind(local).await.map_err(|e| Error::io(format!("bind output socket for {target}"), e))?;
            // Lets `target` be a broadcast address (a boat's or a watch room's LAN).
            s.set_broadcast(true).map_err(|e| Error::io("output SO_BROADCAST", e))?;
            Ok(Bound::Udp(s, target))
        }
    }
}

/// Runs one output until `shutdown`: every `interval` a batch of the picture, sent
/// to every TCP client or to the UDP target.
pub async fn run(shared: Arc<Shared>, cfg: OutputConfig, bound: Bound, stats: Arc<OutputStats>) {
    let shutdown = shared.shutdown.clone();
    // Validated with the configuration; an invalid area cannot reach here.
    let area = cfg.area().ok().flatten();
    let (tx, rx) = watch::channel(Arc::new(Batch::default()));
    let udp = match bound {
        Bound::Tcp(listener) => {
            tokio::spawn(accept(listener, rx, AllowFrom::new(&cfg.allow_from), stats.clone(), shutdown.clone()));
            None
        }
        Bound::Udp(socket, target) => Some((socket, target)),
    };
    let mut tick = tokio::time::interval(cfg.interval);
    // A late batch is not made up for: the next one is the whole picture again.
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seq = 0u64;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        let with_static = seq.is_multiple_of(STATIC_EVERY_BATCHES);
        seq += 1;
        // Copy under the read lock; encode outside it, off the async workers.
        let targets = nmea::snapshot(shared.engine.read().picture(), area.as_ref());
        let encoded = tokio::task::spawn_blocking(move || {
            let mut bytes = Vec::with_capacity(targets.len() * 56);
            let sentences = nmea::encode(&targets, with_static, &mut bytes);
            (bytes, sentences)
        })
        .await;
        let Ok((bytes, sentences)) = encoded else { return };
        stats.batches.fetch_add(1, Ordering::Relaxed);
        match &udp {
            None => {
                // Replaces the previous batch; never waits for a client.
                tx.send_replace(Arc::new(Batch { seq, bytes, sentences }));
            }
            Some((socket, target)) => send_udp(socket, *target, &bytes, &stats).await,
        }
    }
}

/// Sends `bytes` (whole CR LF lines) in datagrams of at most [`UDP_DATAGRAM_BYTES`],
/// each holding whole sentences.
async fn send_udp(socket: &UdpSocket, target: SocketAddr, bytes: &[u8], stats: &OutputStats) {
    let mut rest = bytes;
    while !rest.is_empty() {
        let mut end = 0;
        for (i, _) in rest.iter().enumerate().filter(|(_, b)| **b == b'\n') {
            if i + 1 > UDP_DATAGRAM_BYTES && end > 0 {
                break;
            }
            end = i + 1;
        }
        if end == 0 {
            end = rest.len();
        }
        let (datagram, more) = rest.split_at(end);
        rest = more;
        match socket.send_to(datagram, target).await {
            Ok(_) => {
                let n = datagram.iter().filter(|b| **b == b'\n').count() as u64;
                stats.sentences_sent.fetch_add(n, Ordering::Relaxed);
            }
            Err(e) => {
                // A target that is down answers with ICMP errors; count, say so once
                // in a while (debug), and keep sending: it may come back.
                stats.send_errors.fetch_add(1, Ordering::Relaxed);
                debug!(%target, error = %e, "output datagram not sent");
            }
        }
    }
}

/// Accepts plotters until `shutdown`; each gets its own task.
async fn accept(
    listener: TcpListener,
    batches: watch::Receiver<Arc<Batch>>,
    allow: AllowFrom,
    stats: Arc<OutputStats>,
    shutdown: CancellationToken,
) {
    loop {
        let (tcp, peer) = tokio::select! {
            _ = shutdown.cancelled() => return,
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // EMFILE and the like pass as connections close; never end the output.
                    warn!(output = %stats.label, error = %e, "accept failed; retrying");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        if !allow.admits(peer.ip()) {
            stats.clients_refused.fetch_add(1, Ordering::Relaxed);
            warn!(output = %stats.label, %peer, "output client refused: not in allow_from");
            continue;
        }
        // Taken here, in the one accepting task, so the count cannot overshoot.
        if stats.clients.load(Ordering::Relaxed) >= MAX_OUTPUT_CLIENTS {
            stats.clients_refused.fetch_add(1, Ordering::Relaxed);
            warn!(output = %stats.label, %peer, limit = MAX_OUTPUT_CLIENTS, "output client refused: at MAX_OUTPUT_CLIENTS");
            continue;
        }
        stats.clients.fetch_add(1, Ordering::Relaxed);
        // Without it, the last partial segment of each batch can wait ~40 ms for an ACK.
        if let Err(e) = tcp.set_nodelay(true) {
            warn!(output = %stats.label, %peer, error = %e, "TCP_NODELAY");
        }
        info!(output = %stats.label, %peer, "output client connected");
        let (batches, stats, shutdown) = (batches.clone(), stats.clone(), shutdown.clone());
        tokio::spawn(async move {
            let why = serve_client(tcp, batches, &stats, shutdown).await;
            stats.clients.fetch_sub(1, Ordering::Relaxed);
            info!(output = %stats.label, %peer, why, "output client gone");
        });
    }
}

/// Writes the newest batch to one client whenever there is a newer one, starting
/// with the one current when it connected; returns why it stopped.
async fn serve_client(
    tcp: TcpStream,
    mut batches: watch::Receiver<Arc<Batch>>,
    stats: &OutputStats,
    shutdown: CancellationToken,
) -> &'static str {
    let (mut rd, mut wr) = tcp.into_split();
    // The picture as of now goes out at once, not an interval later.
    batches.mark_changed();
    let mut last_seq = None;
    let mut discard = [0u8; 512];
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return "shutdown",
            r = batches.changed() => if r.is_err() { return "output stopped" },
            // The feed is one-way; what a client sends is read and dropped, and its
            // end-of-stream is how a closed plotter is noticed between batches.
            r = rd.read(&mut discard) => match r {
                Ok(0) | Err(_) => return "closed by the client",
                Ok(_) => continue,
            },
        }
        let batch = batches.borrow_and_update().clone();
        if let Some(last) = last_seq {
            // Pictures replaced while this client was still writing an older one.
            stats.batches_skipped.fetch_add(batch.seq.saturating_sub(last + 1), Ordering::Relaxed);
        }
        last_seq = Some(batch.seq);
        if batch.bytes.is_empty() {
            continue;
        }
        match tokio::time::timeout(CLIENT_WRITE_TIMEOUT, wr.write_all(&batch.bytes)).await {
            Ok(Ok(())) => {
                stats.sentences_sent.fetch_add(batch.sentences, Ordering::Relaxed);
            }
            Ok(Err(_)) => return "write failed",
            Err(_) => {
                stats.clients_stalled.fetch_add(1, Ordering::Relaxed);
                return "stalled past CLIENT_WRITE_TIMEOUT";
            }
        }
    }
}
