//! Clients a test uses to send traffic through the daemon under test.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use rustls::{ClientConfig, ClientConnection, StreamOwned};
use rustls_pki_types::{CertificateDer, ServerName};

/// Bound on connecting and on each read/write, so a broken proxy fails the test instead of hanging it.
pub const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// What a TLS client saw: the certificate chain the server presented and the raw answer.
#[derive(Debug, Clone)]
pub struct TlsExchange {
    pub peer_certificates: Vec<CertificateDer<'static>>,
    pub response: Vec<u8>,
}

impl TlsExchange {
    /// The answer's first line, e.g. `HTTP/1.1 200 OK`.
    pub fn status_line(&self) -> String {
        let text = String::from_utf8_lossy(&self.response);
        text.lines().next().unwrap_or_default().to_string()
    }

    /// The bytes after the blank line ending the headers.
    pub fn body(&self) -> &[u8] {
        match self.response.windows(4).position(|w| w == b"\r\n\r\n") {
            Some(p) => &self.response[p + 4..],
            None => &[],
        }
    }
}

/// Connects to `addr` with TLS (SNI `server_name`), sends `GET <path> HTTP/1.1`, reads to EOF.
pub fn tls_get(
    addr: SocketAddr,
    config: Arc<ClientConfig>,
    server_name: &str,
    path: &str,
) -> io::Result<TlsExchange> {
    let name = ServerName::try_from(server_name.to_string())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let conn = ClientConnection::new(config, name).map_err(io::Error::other)?;
    let tcp = connect(addr)?;
    let mut tls = StreamOwned::new(conn, tcp);
    let request =
        format!("GET {path} HTTP/1.1\r\nhost: {server_name}\r\nconnection: close\r\n\r\n");
    tls.write_all(request.as_bytes())?;
    tls.flush()?;
    let mut response = Vec::new();
    match tls.read_to_end(&mut response) {
        Ok(_) => {}
        // A server that closes without close_notify still delivered its answer.
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && !response.is_empty() => {}
        Err(e) => return Err(e),
    }
    let peer_certificates = tls
        .conn
        .peer_certificates()
        .map(|certs| certs.iter().map(|c| c.clone().into_owned()).collect())
        .unwrap_or_default();
    Ok(TlsExchange {
        peer_certificates,
        response,
    })
}

/// Connects with [`IO_TIMEOUT`] on connect, reads and writes.
pub fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let tcp = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
    tcp.set_read_timeout(Some(IO_TIMEOUT))?;
    tcp.set_write_timeout(Some(IO_TIMEOUT))?;
    Ok(tcp)
}

/// Sends `payload` over plain TCP, half-closes, and returns everything read until EOF.
pub fn tcp_roundtrip(addr: SocketAddr, payload: &[u8]) -> io::Result<Vec<u8>> {
    let mut tcp = connect(addr)?;
    tcp.write_all(payload)?;
    tcp.shutdown(std::net::Shutdown::Write)?;
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer)?;
    Ok(answer)
}
