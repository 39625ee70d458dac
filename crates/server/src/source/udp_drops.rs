//! UDP datagrams the kernel dropped because the socket's receive buffer was
//! full: a burst from an AIS receiver faster than the service reads loses
//! datagrams before any of our code sees them (13 % of a 100k burst in one
//! probe), and nothing counted them. With `SO_RXQ_OVFL` the kernel attaches
//! the socket's running drop count to every datagram it delivers; we read it
//! with `recvmsg`, which tokio's `UdpSocket` does not expose, hence the libc
//! call here (Linux).

use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;

use tokio::io::Interest;
use tokio::net::UdpSocket;

/// Asks the kernel to report drops (`SO_RXQ_OVFL`) and for a receive buffer
/// of `recv_buffer_bytes` (capped by the kernel at `net.core.rmem_max`);
/// returns the size the kernel granted, bytes.
pub fn configure(socket: &UdpSocket, recv_buffer_bytes: usize) -> io::Result<usize> {
    let sock = socket2::SockRef::from(socket);
    sock.set_recv_buffer_size(recv_buffer_bytes)?;
    let on: libc::c_int = 1;
    // SAFETY: a valid socket fd, and a pointer to a c_int of the size passed.
    let r = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RXQ_OVFL,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    sock.recv_buffer_size()
}

/// One datagram: its length, sender, and the socket's drop count so far
/// (absent if the kernel attached none).
pub struct Received {
    pub len: usize,
    pub peer: SocketAddr,
    pub dropped: Option<u32>,
}

/// Waits for and receives one datagram into `buf`.
pub async fn recv(socket: &UdpSocket, buf: &mut [u8]) -> io::Result<Received> {
    socket.async_io(Interest::READABLE, || recvmsg(socket, buf)).await
}

/// Receives one datagram if one is queued (`WouldBlock` otherwise).
pub fn try_recv(socket: &UdpSocket, buf: &mut [u8]) -> io::Result<Received> {
    socket.try_io(Interest::READABLE, || recvmsg(socket, buf))
}

fn recvmsg(socket: &UdpSocket, buf: &mut [u8]) -> io::Result<Received> {
    // SAFETY: every pointer handed to recvmsg points into a live local of the
    // size given with it; the control buffer is aligned for cmsghdr; the
    // CMSG_* walk stays within msg_controllen, as the kernel wrote it.
    unsafe {
        let mut addr = socket2::SockAddrStorage::zeroed();
        let mut iov = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: buf.len() };
        // Room for one u32 control message, aligned as cmsghdr wants.
        let mut control = [0u64; 8];
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_namelen = addr.size_of();
        msg.msg_name = (addr.view_as::<libc::sockaddr_storage>() as *mut libc::sockaddr_storage).cast();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = std::mem::size_of_val(&control) as _;
        let n = libc::recvmsg(socket.as_raw_fd(), &mut msg, libc::MSG_DONTWAIT);
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut dropped = None;
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        while !cmsg.is_null() {
            if (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SO_RXQ_OVFL {
                dropped = Some(std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<u32>()));
            }
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
        let peer = socket2::SockAddr::new(addr, msg.msg_namelen)
            .as_socket()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "datagram from a non-IP address"))?;
        Ok(Received { len: n as usize, peer, dropped })
    }
}
