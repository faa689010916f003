//! Backends and clients for fault, load and reload tests: an echo server that can be killed
//! (every connection reset) and restarted on the same port while recording when it accepted
//! each connection, and a client that checks every byte it gets back.
//!
//! Everything is bounded: servers poll a stop flag, clients use read/write timeouts, and every
//! loop has a deadline, so a broken daemon fails a test instead of hanging it.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use socket2::SockRef;

/// How often blocked threads look at their stop flag.
const POLL: Duration = Duration::from_millis(20);
/// Client read/write timeout: far above anything a healthy proxy needs on loopback.
pub const IO_TIMEOUT: Duration = Duration::from_secs(15);

struct Inner {
    stop: AtomicBool,
    /// When each connection was accepted (health checks included).
    accepts: Mutex<Vec<Instant>>,
    /// Connections that carried at least one byte.
    served: AtomicUsize,
    /// When each of those sent its first byte (health checks never do).
    data_times: Mutex<Vec<Instant>>,
    /// Open connections, to reset them all on [`EchoServer::kill`].
    open: Mutex<Vec<TcpStream>>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

/// An echo server on 127.0.0.1 that can be killed and restarted on the same port.
pub struct EchoServer {
    addr: SocketAddr,
    inner: Arc<Inner>,
    acceptor: Option<JoinHandle<()>>,
}

impl EchoServer {
    /// On a fresh loopback port.
    pub fn start() -> EchoServer {
        EchoServer::serve(crate::ports::bind_unclaimed())
    }

    /// On `addr` again (after [`EchoServer::kill`]); retried briefly while the port is released.
    pub fn start_on(addr: SocketAddr) -> EchoServer {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match TcpListener::bind(addr) {
                Ok(l) => return EchoServer::serve(l),
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    thread::sleep(POLL);
                }
                Err(e) => panic!("cannot bind {addr} again: {e}"),
            }
        }
    }

    fn serve(listener: TcpListener) -> EchoServer {
        let addr = listener.local_addr().expect("local_addr");
        listener.set_nonblocking(true).expect("nonblocking");
        let inner = Arc::new(Inner {
            stop: AtomicBool::new(false),
            accepts: Mutex::new(Vec::new()),
            served: AtomicUsize::new(0),
            data_times: Mutex::new(Vec::new()),
            open: Mutex::new(Vec::new()),
            workers: Mutex::new(Vec::new()),
        });
        let acceptor = {
            let inner = inner.clone();
            thread::Builder::new()
                .name(format!("echo-{}", addr.port()))
                .spawn(move || accept_loop(listener, inner))
                .expect("spawn acceptor")
        };
        EchoServer {
            addr,
            inner,
            acceptor: Some(acceptor),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Accept times so far.
    pub fn accept_times(&self) -> Vec<Instant> {
        lock(&self.inner.accepts).clone()
    }

    pub fn accepted(&self) -> usize {
        lock(&self.inner.accepts).len()
    }

    /// Connections that carried data (not bare TCP checks).
    pub fn served(&self) -> usize {
        self.inner.served.load(Ordering::SeqCst)
    }

    /// When each connection that carried data sent its first byte.
    pub fn data_times(&self) -> Vec<Instant> {
        lock(&self.inner.data_times).clone()
    }

    /// Connections currently open.
    pub fn open_connections(&self) -> usize {
        lock(&self.inner.open).len()
    }

    /// Close the listener and reset every open connection, as a crashed process would.
    pub fn kill(mut self) {
        self.shutdown(true);
    }

    fn shutdown(&mut self, reset: bool) {
        self.inner.stop.store(true, Ordering::SeqCst);
        for s in lock(&self.inner.open).drain(..) {
            if reset {
                // Linger 0: close sends RST, not FIN.
                let _ = SockRef::from(&s).set_linger(Some(Duration::ZERO));
            }
            let _ = s.shutdown(Shutdown::Both);
        }
        if let Some(a) = self.acceptor.take() {
            let _ = a.join();
        }
        let workers: Vec<_> = lock(&self.inner.workers).drain(..).collect();
        for w in workers {
            let _ = w.join();
        }
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        self.shutdown(false);
    }
}

fn accept_loop(listener: TcpListener, inner: Arc<Inner>) {
    while !inner.stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                lock(&inner.accepts).push(Instant::now());
                let _ = stream.set_nonblocking(false);
                let _ = stream.set_read_timeout(Some(POLL * 5));
                if let Ok(clone) = stream.try_clone() {
                    lock(&inner.open).push(clone);
                }
                let inner2 = inner.clone();
                let worker = thread::spawn(move || echo(stream, inner2));
                let mut workers = lock(&inner.workers);
                workers.retain(|w| !w.is_finished());
                workers.push(worker);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(2))
            }
            Err(_) => thread::sleep(POLL),
        }
    }
}

fn echo(mut stream: TcpStream, inner: Arc<Inner>) {
    let mut buf = [0u8; 16 * 1024];
    let mut counted = false;
    let me = stream.local_addr().ok().zip(stream.peer_addr().ok());
    loop {
        if inner.stop.load(Ordering::SeqCst) {
            break;
        }
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if !counted {
                    lock(&inner.data_times).push(Instant::now());
                    inner.served.fetch_add(1, Ordering::SeqCst);
                    counted = true;
                }
                if stream.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break,
        }
    }
    let mut open = lock(&inner.open);
    open.retain(|s| s.local_addr().ok().zip(s.peer_addr().ok()) != me);
}

/// A connection through the proxy with every byte checked.
pub struct Checked {
    stream: TcpStream,
    /// Seed of the next message, so each one differs.
    next: u64,
}

impl Checked {
    pub fn connect(addr: SocketAddr) -> io::Result<Checked> {
        let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        stream.set_nodelay(true)?;
        let next = u64::from(stream.local_addr()?.port()) << 32;
        Ok(Checked { stream, next })
    }

    /// Send `len` pseudo-random bytes and check the echo is the same bytes, in order.
    pub fn roundtrip(&mut self, len: usize) -> io::Result<()> {
        let payload = pattern(self.next, len);
        self.next += 1;
        self.stream.write_all(&payload)?;
        let mut got = vec![0u8; len];
        self.stream.read_exact(&mut got)?;
        if got != payload {
            let at = got.iter().zip(&payload).position(|(a, b)| a != b);
            return Err(io::Error::other(format!(
                "echo differs from what was sent (first difference at byte {at:?} of {len})"
            )));
        }
        Ok(())
    }

    /// Close with FIN and wait for the proxy to close its side.
    pub fn finish(mut self) -> io::Result<()> {
        self.stream.shutdown(Shutdown::Write)?;
        let mut rest = Vec::new();
        self.stream.read_to_end(&mut rest)?;
        if !rest.is_empty() {
            return Err(io::Error::other(format!(
                "{} unexpected bytes after the last echo",
                rest.len()
            )));
        }
        Ok(())
    }

    /// Vanish with RST (SO_LINGER 0), as a crashed client does.
    pub fn reset(self) {
        let _ = SockRef::from(&self.stream).set_linger(Some(Duration::ZERO));
    }

    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }
}

/// Deterministic bytes that differ with `seed` and position (xorshift).
pub fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed ^ 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Connect, one echo of `len` bytes, close: the unit of the soak and load tests.
pub fn short_connection(addr: SocketAddr, len: usize) -> io::Result<()> {
    let mut c = Checked::connect(addr)?;
    c.roundtrip(len)?;
    c.finish()
}

/// Send `signal` (e.g. "HUP") to `pid` with kill(1).
pub fn signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} {pid} failed");
}

/// Open file descriptors of `pid`.
pub fn fd_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Resident memory of `pid` in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    status_field(pid, "VmRSS:")
}

fn status_field(pid: u32, key: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// CPU time (user + system) `pid` has used so far.
pub fn cpu_time(pid: u32) -> Duration {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let rest = text.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of stat(5); `rest` starts at field 3.
    let total = ticks(11) + ticks(12);
    Duration::from_millis(total * 1000 / clock_ticks())
}

fn clock_ticks() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .filter(|&t| t > 0)
        .unwrap_or(100)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
