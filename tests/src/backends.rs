//! Real listeners on 127.0.0.1 for the daemon under test to forward to and health-check.
//!
//! Each [`Backend`] owns a listener on a kernel-chosen port, an accept thread and one thread per
//! connection; dropping it stops them all and closes the port. Every backend counts accepted
//! connections (health checks included) and connections that carried client bytes, so a test can
//! tell load-balanced traffic from bare TCP checks. HTTP(S) backends also record each raw request.
//!
//! | constructor | behaviour |
//! |---|---|
//! | [`Backend::echo`] | writes back whatever it reads |
//! | [`Backend::banner`] | sends fixed bytes on accept, then reads until EOF |
//! | [`Backend::https`] / [`Backend::http`] | HTTP/1.x: `GET /bytes/N` gets N bytes, anything else the current status (switchable at run time) |
//! | [`Backend::garbage`] | reads the request, answers bytes that are not HTTP, closes |
//! | [`Backend::silent`] | accepts and never writes |
//! | [`Backend::closing`] | accepts and closes at once, without a byte |
//! | [`Backend::tls_silent`] | completes the TLS handshake, then never writes |
//! | [`Backend::script`] | sends a greeting, answers each read with the next reply, then ends its side; records what it read |
//! | [`closed_port`] | an address where nothing listens |

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rustls::{ServerConfig, ServerConnection, StreamOwned};

/// How often blocked connection threads look at the stop flag.
const POLL: Duration = Duration::from_millis(50);
/// Upper bound on reading one request: a client that sends half a request is not waited for
/// forever, so dropping a backend always finishes.
const REQUEST_DEADLINE: Duration = Duration::from_secs(10);
/// Requests larger than this are cut: a check or test request is a few hundred bytes.
const MAX_REQUEST: usize = 64 * 1024;
/// What [`Backend::garbage`] answers.
pub const GARBAGE: &[u8] = b"\x00\xffthis is not HTTP\x01\x02\r\n\r\n";

#[derive(Clone)]
enum Kind {
    Echo,
    Banner(Vec<u8>),
    Http(Option<Arc<ServerConfig>>),
    Garbage,
    Silent,
    Closing,
    TlsSilent(Arc<ServerConfig>),
    Script {
        greeting: Vec<u8>,
        replies: Vec<Vec<u8>>,
    },
}

struct Shared {
    kind: Kind,
    stop: AtomicBool,
    accepted: AtomicUsize,
    served: AtomicUsize,
    status: Arc<AtomicU16>,
    /// Raw requests, in arrival order. A std `Mutex`: pushed once per request, never held across I/O.
    requests: Mutex<Vec<Vec<u8>>>,
    /// Connection threads, joined on drop (each polls `stop` every [`POLL`]).
    workers: Mutex<Vec<JoinHandle<()>>>,
}

/// A listener on 127.0.0.1 serving one [`Kind`] of behaviour until dropped.
pub struct Backend {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl Backend {
    /// Echoes every byte back.
    pub fn echo() -> Backend {
        Backend::start(Kind::Echo, 200)
    }

    /// Sends `banner` as soon as a connection is accepted.
    pub fn banner(banner: &[u8]) -> Backend {
        Backend::start(Kind::Banner(banner.to_vec()), 200)
    }

    /// HTTPS with `tls` (e.g. [`crate::certs::Leaf::server_config`]); answers `status`.
    pub fn https(tls: Arc<ServerConfig>, status: u16) -> Backend {
        Backend::start(Kind::Http(Some(tls)), status)
    }

    /// Plain HTTP; answers `status`.
    pub fn http(status: u16) -> Backend {
        Backend::start(Kind::Http(None), status)
    }

    /// Reads what the client sends, answers [`GARBAGE`], closes.
    pub fn garbage() -> Backend {
        Backend::start(Kind::Garbage, 200)
    }

    /// Accepts and never writes a byte.
    pub fn silent() -> Backend {
        Backend::start(Kind::Silent, 200)
    }

    /// Accepts and closes the connection at once (a FIN, no data).
    pub fn closing() -> Backend {
        Backend::start(Kind::Closing, 200)
    }

    /// Completes the TLS handshake, then never writes a byte.
    pub fn tls_silent(tls: Arc<ServerConfig>) -> Backend {
        Backend::start(Kind::TlsSilent(tls), 200)
    }

    /// A protocol server in miniature: `greeting` on accept (if any), then one reply per read,
    /// then a FIN while it keeps reading. What each connection sent is kept in [`Self::requests`].
    pub fn script(greeting: &[u8], replies: &[&[u8]]) -> Backend {
        let replies = replies.iter().map(|r| r.to_vec()).collect();
        Backend::start(
            Kind::Script {
                greeting: greeting.to_vec(),
                replies,
            },
            200,
        )
    }

    fn start(kind: Kind, status: u16) -> Backend {
        let listener = crate::ports::bind_unclaimed();
        let addr = listener.local_addr().expect("backend local_addr");
        let shared = Arc::new(Shared {
            kind,
            stop: AtomicBool::new(false),
            accepted: AtomicUsize::new(0),
            served: AtomicUsize::new(0),
            status: Arc::new(AtomicU16::new(status)),
            requests: Mutex::new(Vec::new()),
            workers: Mutex::new(Vec::new()),
        });
        let acceptor = {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name(format!("backend-{}", addr.port()))
                .spawn(move || accept_loop(listener, shared))
                .expect("spawn backend acceptor")
        };
        Backend {
            addr,
            shared,
            acceptor: Some(acceptor),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Connections accepted so far, health checks included.
    pub fn accepted(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// Connections on which the client sent at least one byte of application data (after TLS).
    /// A plain TCP health check connects and closes without sending anything, so on a TCP backend
    /// this counts proxied sessions only.
    pub fn served(&self) -> usize {
        self.shared.served.load(Ordering::SeqCst)
    }

    /// The status HTTP(S) backends currently answer.
    pub fn status(&self) -> u16 {
        self.shared.status.load(Ordering::SeqCst)
    }

    /// Changes the status answered from now on (e.g. 200 → 503 to make a check fail).
    pub fn set_status(&self, status: u16) {
        self.shared.status.store(status, Ordering::SeqCst);
    }

    /// The switch behind [`Backend::set_status`], for sharing with other threads.
    pub fn status_handle(&self) -> Arc<AtomicU16> {
        Arc::clone(&self.shared.status)
    }

    /// Every raw request received (request line, headers and body), in arrival order.
    pub fn requests(&self) -> Vec<Vec<u8>> {
        lock(&self.shared.requests).clone()
    }

    /// Requests whose target starts with `prefix`, e.g. `/bytes/` for test traffic next to
    /// `/v1/status` health checks.
    pub fn requests_to(&self, prefix: &str) -> Vec<Vec<u8>> {
        self.requests()
            .into_iter()
            .filter(|r| request_target(r).is_some_and(|t| t.starts_with(prefix)))
            .collect()
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept(); the loop sees `stop` and returns.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        let workers = std::mem::take(&mut *lock(&self.shared.workers));
        for worker in workers {
            let _ = worker.join();
        }
    }
}

/// An address on 127.0.0.1 where nothing listens (connections are refused).
pub fn closed_port() -> SocketAddr {
    crate::ports::closed_addr()
}

/// The target of an HTTP request line (`GET /v1/status HTTP/1.0` → `/v1/status`).
pub fn request_target(request: &[u8]) -> Option<&str> {
    let line_end = request.windows(2).position(|w| w == b"\r\n")?;
    let line = std::str::from_utf8(&request[..line_end]).ok()?;
    line.split(' ').nth(1)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        shared.accepted.fetch_add(1, Ordering::SeqCst);
        let worker_shared = Arc::clone(&shared);
        let worker = thread::spawn(move || {
            let _ = serve(stream, &worker_shared);
        });
        let mut workers = lock(&shared.workers);
        workers.retain(|w| !w.is_finished());
        workers.push(worker);
    }
}

fn serve(stream: TcpStream, shared: &Shared) -> io::Result<()> {
    stream.set_read_timeout(Some(POLL))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    stream.set_nodelay(true)?;
    match &shared.kind {
        Kind::Echo => {
            let mut stream = stream;
            let mut buf = [0u8; 16 * 1024];
            let mut counted = false;
            while let Some(n) = read_some(&mut stream, &mut buf, shared)? {
                count_once(&mut counted, shared);
                stream.write_all(&buf[..n])?;
            }
            Ok(())
        }
        Kind::Banner(banner) => {
            let mut stream = stream;
            stream.write_all(banner)?;
            drain(&mut stream, shared)
        }
        Kind::Http(None) => serve_http(stream, shared),
        Kind::Http(Some(tls)) => {
            let conn = ServerConnection::new(Arc::clone(tls)).map_err(io::Error::other)?;
            let mut tls = StreamOwned::new(conn, stream);
            serve_http(&mut tls, shared)?;
            tls.conn.send_close_notify();
            tls.flush()?;
            let _ = tls.sock.shutdown(Shutdown::Write);
            Ok(())
        }
        Kind::Garbage => {
            let mut stream = stream;
            let _ = read_request(&mut stream, shared)?;
            stream.write_all(GARBAGE)?;
            stream.shutdown(Shutdown::Write)
        }
        Kind::Silent => drain(&mut { stream }, shared),
        Kind::Closing => stream.shutdown(Shutdown::Both),
        Kind::TlsSilent(tls) => {
            let conn = ServerConnection::new(Arc::clone(tls)).map_err(io::Error::other)?;
            let mut tls = StreamOwned::new(conn, stream);
            let deadline = Instant::now() + REQUEST_DEADLINE;
            while tls.conn.is_handshaking() {
                match tls.conn.complete_io(&mut tls.sock) {
                    Ok(_) => {}
                    Err(e) if is_timeout(&e) && !stop_or_late(shared, deadline) => {}
                    Err(e) => return Err(e),
                }
            }
            drain(&mut tls, shared)
        }
        Kind::Script { greeting, replies } => {
            let mut got = Vec::new();
            // Checkers often end with a reset: what arrived before it is kept all the same.
            let result = converse(stream, greeting, replies, &mut got, shared);
            lock(&shared.requests).push(got);
            result
        }
    }
}

fn converse(
    mut stream: TcpStream,
    greeting: &[u8],
    replies: &[Vec<u8>],
    got: &mut Vec<u8>,
    shared: &Shared,
) -> io::Result<()> {
    stream.write_all(greeting)?;
    let mut buf = [0u8; 4096];
    for reply in replies {
        let Some(n) = read_some(&mut stream, &mut buf, shared)? else {
            return Ok(());
        };
        got.extend_from_slice(&buf[..n]);
        stream.write_all(reply)?;
    }
    stream.shutdown(Shutdown::Write)?;
    while let Some(n) = read_some(&mut stream, &mut buf, shared)? {
        got.extend_from_slice(&buf[..n]);
    }
    Ok(())
}

fn count_once(counted: &mut bool, shared: &Shared) {
    if !*counted {
        *counted = true;
        shared.served.fetch_add(1, Ordering::SeqCst);
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

fn stop_or_late(shared: &Shared, deadline: Instant) -> bool {
    shared.stop.load(Ordering::SeqCst) || Instant::now() > deadline
}

/// One read that retries on timeouts until data, EOF (`None`) or stop (`None`).
fn read_some(stream: &mut impl Read, buf: &mut [u8], shared: &Shared) -> io::Result<Option<usize>> {
    loop {
        if shared.stop.load(Ordering::SeqCst) {
            return Ok(None);
        }
        match stream.read(buf) {
            Ok(0) => return Ok(None),
            Ok(n) => return Ok(Some(n)),
            Err(e) if is_timeout(&e) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Reads and discards until EOF or stop, counting the connection if any byte arrives.
fn drain(stream: &mut impl Read, shared: &Shared) -> io::Result<()> {
    let mut buf = [0u8; 4096];
    let mut counted = false;
    while read_some(stream, &mut buf, shared)?.is_some() {
        count_once(&mut counted, shared);
    }
    Ok(())
}

/// Reads one HTTP request: headers up to the blank line, then `content-length` bytes of body.
/// Returns what arrived (possibly partial) or `None` if the client sent nothing.
fn read_request(stream: &mut impl Read, shared: &Shared) -> io::Result<Option<Vec<u8>>> {
    let deadline = Instant::now() + REQUEST_DEADLINE;
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(head_end) = find(&request, b"\r\n\r\n").map(|p| p + 4) {
            let wanted = head_end + content_length(&request[..head_end]);
            if request.len() >= wanted || request.len() >= MAX_REQUEST {
                break;
            }
        } else if request.len() >= MAX_REQUEST {
            break;
        }
        if stop_or_late(shared, deadline) {
            break;
        }
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => request.extend_from_slice(&buf[..n]),
            Err(e) if is_timeout(&e) => continue,
            Err(e) => return Err(e),
        }
    }
    if request.is_empty() {
        return Ok(None);
    }
    shared.served.fetch_add(1, Ordering::SeqCst);
    lock(&shared.requests).push(request.clone());
    Ok(Some(request))
}

fn serve_http(mut stream: impl Read + Write, shared: &Shared) -> io::Result<()> {
    let Some(request) = read_request(&mut stream, shared)? else {
        return Ok(());
    };
    let head = request.starts_with(b"HEAD ");
    let target = request_target(&request).unwrap_or("/");
    let (status, body) = match target.strip_prefix("/bytes/").map(str::parse::<usize>) {
        Some(Ok(n)) => (200, (0..n).map(|i| b'a' + (i % 26) as u8).collect()),
        _ => {
            let status = shared.status.load(Ordering::SeqCst);
            (status, format!("status {status}\n").into_bytes())
        }
    };
    let mut response = format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        reason(status),
        body.len()
    )
    .into_bytes();
    if !head {
        response.extend_from_slice(&body);
    }
    stream.write_all(&response)?;
    stream.flush()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn content_length(head: &[u8]) -> usize {
    String::from_utf8_lossy(head)
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0)
}

/// Reason phrases as HAProxy reports them in `last_chk` for L7STS.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}
