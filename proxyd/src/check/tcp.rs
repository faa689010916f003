//! Layer 4: the TCP connect that starts every check, and the errno wording HAProxy prints.

use std::io;
use std::net::SocketAddr;

use tokio::net::{TcpSocket, TcpStream};
use tokio::time::{timeout_at, Instant};

/// Why the TCP phase did not produce a connection.
#[derive(Debug)]
pub(crate) enum ConnectError {
    /// The local socket could not be created or prepared (`SOCKERR`).
    Socket(io::Error),
    /// The peer refused, reset or was unreachable (`L4CON`).
    Refused(io::Error),
    /// The deadline passed before the handshake completed (`L4TOUT`).
    Timeout,
}

/// Connects to `target`, giving up at `deadline`.
pub(crate) async fn connect(
    target: SocketAddr,
    deadline: Instant,
) -> Result<TcpStream, ConnectError> {
    let socket = match target {
        SocketAddr::V4(_) => TcpSocket::new_v4(),
        SocketAddr::V6(_) => TcpSocket::new_v6(),
    }
    .map_err(ConnectError::Socket)?;
    // HAProxy closes check connections with a reset rather than a FIN so that frequent checks do
    // not pile up sockets in TIME_WAIT on our side. A zero linger never blocks the closing thread.
    socket2::SockRef::from(&socket)
        .set_linger(Some(std::time::Duration::ZERO))
        .map_err(ConnectError::Socket)?;
    socket.set_nodelay(true).map_err(ConnectError::Socket)?;
    match timeout_at(deadline, socket.connect(target)).await {
        Err(_) => Err(ConnectError::Timeout),
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(e)) if is_local_error(&e) => Err(ConnectError::Socket(e)),
        Ok(Err(e)) => Err(ConnectError::Refused(e)),
    }
}

/// Errors that say nothing about the server: our side could not even try.
fn is_local_error(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(
            libc::EMFILE
                | libc::ENFILE
                | libc::ENOBUFS
                | libc::ENOMEM
                | libc::EADDRNOTAVAIL
                | libc::EAFNOSUPPORT
        )
    )
}

pub(crate) use crate::os_error::strerror;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strerror_matches_the_c_library_wording() {
        let e = io::Error::from_raw_os_error(libc::ECONNREFUSED);
        assert_eq!(strerror(&e), "Connection refused");
        let e = io::Error::from_raw_os_error(libc::ECONNRESET);
        assert_eq!(strerror(&e), "Connection reset by peer");
        let e = io::Error::from_raw_os_error(libc::EHOSTUNREACH);
        assert_eq!(strerror(&e), "No route to host");
    }
}
