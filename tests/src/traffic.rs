//! Traffic shapes for data-path tests: which server a connection reached, connections held open
//! to load a server, large verifiable streams, and backends driven by a closure.
//!
//! A "tagged" server is a [`Backend::banner`] that sends its own name and a newline on accept, so
//! a client learns where the proxy sent it from the first line it reads, and an open connection
//! keeps a session (and a server slot) busy for as long as the test holds it.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::backends::Backend;
use crate::client;

/// A server that announces `name` on every connection.
pub fn tagged(name: &str) -> Backend {
    Backend::banner(format!("{name}\n").as_bytes())
}

/// An open client connection through the proxy and the server that answered it.
pub struct Held {
    pub stream: TcpStream,
    pub server: String,
}

impl Held {
    /// Connects to `addr` and reads the server's tag (within [`client::IO_TIMEOUT`]).
    pub fn open(addr: SocketAddr) -> io::Result<Held> {
        let mut stream = client::connect(addr)?;
        let server = read_line(&mut stream)?;
        Ok(Held { stream, server })
    }

    /// Closes the connection and waits until the proxy has seen it go: the proxy's session ends
    /// once it reads the FIN and the server closes its side, so the caller still polls counters.
    pub fn close(self) {
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

/// Connects, reads the tag, closes: the server one new connection is sent to.
pub fn server_of_next_connection(addr: SocketAddr) -> io::Result<String> {
    let held = Held::open(addr)?;
    let server = held.server.clone();
    held.close();
    Ok(server)
}

/// Reads up to and excluding `\n`; an EOF before it is an error.
pub fn read_line(stream: &mut TcpStream) -> io::Result<String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match stream.read(&mut byte)? {
            0 => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "connection closed after {:?}, before a full line",
                        String::from_utf8_lossy(&line)
                    ),
                ))
            }
            _ if byte[0] == b'\n' => return Ok(String::from_utf8_lossy(&line).into_owned()),
            _ => line.push(byte[0]),
        }
    }
}

/// What a connection did within a wait: data arrived, the peer closed, or nothing happened.
#[derive(Debug, PartialEq, Eq)]
pub enum Waited {
    Data(Vec<u8>),
    Closed,
    Nothing,
}

/// Waits up to `wait` for the first bytes or the end of `stream`; resets count as closed.
pub fn wait_for_data(stream: &mut TcpStream, wait: Duration) -> io::Result<Waited> {
    stream.set_read_timeout(Some(wait))?;
    let mut buf = [0u8; 4096];
    let got = match stream.read(&mut buf) {
        Ok(0) => Waited::Closed,
        Ok(n) => Waited::Data(buf[..n].to_vec()),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
        {
            Waited::Nothing
        }
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
            ) =>
        {
            Waited::Closed
        }
        Err(e) => return Err(e),
    };
    stream.set_read_timeout(Some(client::IO_TIMEOUT))?;
    Ok(got)
}

/// A reproducible byte stream: the bytes at any offset can be recomputed, so a receiver checks
/// every byte without holding the whole transfer in memory.
#[derive(Debug, Clone)]
pub struct Pattern {
    state: u64,
    pending: Vec<u8>,
}

impl Pattern {
    pub fn new(seed: u64) -> Pattern {
        Pattern {
            state: seed | 1,
            pending: Vec::new(),
        }
    }

    /// Fills `buf` with the next bytes of the stream.
    pub fn fill(&mut self, buf: &mut [u8]) {
        let mut i = 0;
        while i < buf.len() && !self.pending.is_empty() {
            buf[i] = self.pending.remove(0);
            i += 1;
        }
        let mut words = buf[i..].chunks_exact_mut(8);
        for word in &mut words {
            word.copy_from_slice(&self.step().to_le_bytes());
        }
        let tail = words.into_remainder();
        if !tail.is_empty() {
            let bytes = self.step().to_le_bytes();
            let n = tail.len();
            tail.copy_from_slice(&bytes[..n]);
            self.pending.extend_from_slice(&bytes[n..]);
        }
    }

    /// One xorshift64 step per 8 bytes keeps generation cheap in unoptimised builds.
    fn step(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x
    }
}

/// What a [`transfer`] observed.
#[derive(Debug)]
pub struct Transfer {
    pub sent: u64,
    pub received: u64,
    /// Offset of the first byte that differed from the expected stream, if any.
    pub first_mismatch: Option<u64>,
    pub elapsed: Duration,
}

/// Sends `len` bytes of [`Pattern::new(seed)`] on `stream` from a second thread while reading
/// the answer, which must be the same stream (an echo server behind the proxy), then half-closes
/// and reads to EOF.
pub fn transfer(stream: TcpStream, len: u64, seed: u64) -> io::Result<Transfer> {
    let start = Instant::now();
    let mut writer = stream.try_clone()?;
    let sender = thread::spawn(move || -> io::Result<u64> {
        let mut pattern = Pattern::new(seed);
        let mut buf = vec![0u8; 256 * 1024];
        let mut sent = 0u64;
        while sent < len {
            let n = (len - sent).min(buf.len() as u64) as usize;
            pattern.fill(&mut buf[..n]);
            writer.write_all(&buf[..n])?;
            sent += n as u64;
        }
        writer.shutdown(Shutdown::Write)?;
        Ok(sent)
    });
    let mut reader = stream;
    let mut expected = Pattern::new(seed);
    let mut buf = vec![0u8; 256 * 1024];
    let mut want = vec![0u8; 256 * 1024];
    let mut received = 0u64;
    let mut first_mismatch = None;
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        expected.fill(&mut want[..n]);
        if first_mismatch.is_none() && buf[..n] != want[..n] {
            let at = buf[..n]
                .iter()
                .zip(&want[..n])
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            first_mismatch = Some(received + at as u64);
        }
        received += n as u64;
    }
    let sent = sender
        .join()
        .map_err(|_| io::Error::other("sender thread panicked"))??;
    Ok(Transfer {
        sent,
        received,
        first_mismatch,
        elapsed: start.elapsed(),
    })
}

/// A backend whose connections are handled by a closure, one thread each. The closure gets the
/// accepted stream (with [`client::IO_TIMEOUT`] on reads and writes) and a log it may append to.
pub struct Scripted {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Vec<String>>>,
    acceptor: Option<JoinHandle<()>>,
}

impl Scripted {
    pub fn start(
        handler: impl Fn(TcpStream, &Mutex<Vec<String>>) + Send + Sync + 'static,
    ) -> Scripted {
        let listener: TcpListener = crate::ports::bind_unclaimed();
        let addr = listener.local_addr().expect("scripted backend local_addr");
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));
        let handler = Arc::new(handler);
        let acceptor = {
            let stop = Arc::clone(&stop);
            let log = Arc::clone(&log);
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    let _ = stream.set_read_timeout(Some(client::IO_TIMEOUT));
                    let _ = stream.set_write_timeout(Some(client::IO_TIMEOUT));
                    let handler = Arc::clone(&handler);
                    let log = Arc::clone(&log);
                    // Detached: every handler is bounded by the I/O timeouts above.
                    thread::spawn(move || handler(stream, &log));
                }
            })
        };
        Scripted {
            addr,
            stop,
            log,
            acceptor: Some(acceptor),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What the handlers logged so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// Appends `line` to a [`Scripted`] handler's log.
pub fn note(log: &Mutex<Vec<String>>, line: String) {
    log.lock().unwrap_or_else(|e| e.into_inner()).push(line);
}

#[cfg(test)]
mod tests {
    use super::Pattern;

    #[test]
    fn pattern_is_the_same_stream_whatever_the_chunking() {
        let mut whole = vec![0u8; 1000];
        Pattern::new(7).fill(&mut whole);
        let mut pieces = Pattern::new(7);
        let mut joined = Vec::new();
        for size in [1, 3, 8, 13, 975] {
            let mut buf = vec![0u8; size];
            pieces.fill(&mut buf);
            joined.extend_from_slice(&buf);
        }
        assert_eq!(whole, joined);
        assert_ne!(whole[..8], whole[8..16]);
    }
}
