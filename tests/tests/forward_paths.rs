//! The data path's two ways of moving bytes: small reads are copied through a buffer, and a read
//! that fills the buffer switches that direction to `splice(2)` through a pipe. These transfers
//! are large enough to take the splice path many times over; every byte must arrive once, in
//! order, half-closes must pass through, and the byte counters must be exact.

use std::cell::Cell;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use e2e::backends::Backend;
use e2e::config::{BackendSection, Config};
use e2e::daemon::Daemon;
use e2e::ports;
use e2e::socket::{self, StatTable};

const REQUEST_LEN: usize = 8 * 1024 * 1024 + 123;
const RESPONSE_LEN: usize = 16 * 1024 * 1024 + 7;
const IO_DEADLINE: Duration = Duration::from_secs(60);

/// A deterministic, non-periodic byte stream: a reordered, duplicated or lost chunk of any size
/// changes what the reader sees at that offset.
struct Pattern(u64);

impl Pattern {
    fn new(seed: u64) -> Pattern {
        Pattern(seed | 1)
    }

    fn fill(&mut self, buf: &mut [u8]) {
        for b in buf {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            *b = (self.0 >> 24) as u8;
        }
    }
}

fn write_pattern(stream: &mut TcpStream, seed: u64, len: usize) -> io::Result<()> {
    let mut pattern = Pattern::new(seed);
    let mut buf = vec![0u8; 64 * 1024 + 17];
    let mut left = len;
    while left > 0 {
        let n = left.min(buf.len());
        pattern.fill(&mut buf[..n]);
        stream.write_all(&buf[..n])?;
        left -= n;
    }
    Ok(())
}

/// Reads to end of stream; returns how many bytes came and the offset of the first byte that
/// differs from the pattern, if any.
fn read_pattern(stream: &mut TcpStream, seed: u64) -> io::Result<(usize, Option<usize>)> {
    let mut pattern = Pattern::new(seed);
    let mut buf = vec![0u8; 100_000];
    let mut expected = vec![0u8; buf.len()];
    let mut total = 0;
    let mut first_diff = None;
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok((total, first_diff));
        }
        pattern.fill(&mut expected[..n]);
        if first_diff.is_none() {
            if let Some(i) = buf[..n]
                .iter()
                .zip(&expected[..n])
                .position(|(a, b)| a != b)
            {
                first_diff = Some(total + i);
            }
        }
        total += n;
    }
}

/// A server that reads the whole request (until the client's FIN reaches it), only then sends
/// its response and closes. It answers at all only if the half-close passed through.
fn sink_then_source(
    listener: TcpListener,
) -> thread::JoinHandle<io::Result<(usize, Option<usize>)>> {
    thread::spawn(move || {
        let (mut stream, _) = listener.accept()?;
        stream.set_read_timeout(Some(IO_DEADLINE))?;
        stream.set_write_timeout(Some(IO_DEADLINE))?;
        let seen = read_pattern(&mut stream, 1)?;
        write_pattern(&mut stream, 2, RESPONSE_LEN)?;
        stream.shutdown(Shutdown::Write)?;
        Ok(seen)
    })
}

fn proxy_to(server: SocketAddr) -> (Daemon, SocketAddr) {
    let front = ports::free_addr();
    let config = Config::new()
        .frontend("fe", front, "be")
        .backend(BackendSection::new("be").server("s1", server, ""));
    (Daemon::proxyd(config), front)
}

/// One `show stat` value; the answer's size is added to `answered` (the socket's own bytes
/// count in `TotalBytesOut`).
fn stat_u64(daemon: &Daemon, answered: &Cell<u64>, px: &str, sv: &str, column: &str) -> u64 {
    let text = daemon.query("show stat");
    answered.set(answered.get() + text.len() as u64);
    StatTable::parse(&text)
        .ok()
        .and_then(|t| t.get(px, sv, column).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

#[test]
fn bulk_transfer_after_half_close_arrives_whole_and_is_counted_exactly() {
    let listener = ports::bind_unclaimed();
    let server = sink_then_source(listener.try_clone().expect("clone listener"));
    let (daemon, front) = proxy_to(listener.local_addr().expect("addr"));
    // `TotalBytesOut` before the transfer; from here on every answer's size is kept.
    let before = daemon.query("show info");
    let answered = Cell::new(before.len() as u64);
    let start_total: u64 = before
        .lines()
        .find_map(|l| l.strip_prefix("TotalBytesOut: "))
        .and_then(|v| v.trim().parse().ok())
        .expect("TotalBytesOut");

    let started = Instant::now();
    let mut client = TcpStream::connect(front).expect("connect to proxyd");
    client.set_read_timeout(Some(IO_DEADLINE)).expect("timeout");
    client
        .set_write_timeout(Some(IO_DEADLINE))
        .expect("timeout");
    write_pattern(&mut client, 1, REQUEST_LEN).expect("send request");
    client.shutdown(Shutdown::Write).expect("half-close");
    let (got, diff) = read_pattern(&mut client, 2).expect("read response");
    let (server_got, server_diff) = server
        .join()
        .expect("server thread")
        .expect("server side of the transfer");

    assert_eq!(server_got, REQUEST_LEN, "request bytes at the server");
    assert_eq!(server_diff, None, "request corrupted at this offset");
    assert_eq!(got, RESPONSE_LEN, "response bytes at the client");
    assert_eq!(diff, None, "response corrupted at this offset");

    let counted = socket::wait_for(Duration::from_secs(10), || {
        stat_u64(&daemon, &answered, "be", "s1", "bin") == REQUEST_LEN as u64
            && stat_u64(&daemon, &answered, "be", "s1", "bout") == RESPONSE_LEN as u64
    });
    if !counted {
        daemon.fail(&format!(
            "counters after {:?}: s1 bin {} bout {}, backend bin {} bout {}, frontend bin {} bout {}",
            started.elapsed(),
            stat_u64(&daemon, &answered, "be", "s1", "bin"),
            stat_u64(&daemon, &answered, "be", "s1", "bout"),
            stat_u64(&daemon, &answered, "be", "BACKEND", "bin"),
            stat_u64(&daemon, &answered, "be", "BACKEND", "bout"),
            stat_u64(&daemon, &answered, "fe", "FRONTEND", "bin"),
            stat_u64(&daemon, &answered, "fe", "FRONTEND", "bout"),
        ));
    }
    assert_eq!(
        stat_u64(&daemon, &answered, "be", "BACKEND", "bin"),
        REQUEST_LEN as u64
    );
    assert_eq!(
        stat_u64(&daemon, &answered, "be", "BACKEND", "bout"),
        RESPONSE_LEN as u64
    );
    assert_eq!(
        stat_u64(&daemon, &answered, "fe", "FRONTEND", "bin"),
        REQUEST_LEN as u64
    );
    assert_eq!(
        stat_u64(&daemon, &answered, "fe", "FRONTEND", "bout"),
        RESPONSE_LEN as u64
    );

    // `show info` sees the same traffic: every byte written (both directions), most of it
    // spliced, pipes now idle in the pools, and a non-zero output rate since start-up.
    let info = daemon.query("show info");
    let key = |name: &str| -> u64 {
        info.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| daemon.fail(&format!("show info has no numeric {name}")))
    };
    let written = (REQUEST_LEN + RESPONSE_LEN) as u64;
    // Both directions, and what the stats socket answered meanwhile (the last answer not yet).
    assert_eq!(
        key("TotalBytesOut"),
        start_total + answered.get() + written,
        "TotalBytesOut"
    );
    let spliced = key("TotalSplicdedBytesOut");
    assert!(
        spliced > written / 2 && spliced <= written,
        "TotalSplicdedBytesOut {spliced} of {written}"
    );
    assert!(key("PipesFree") > 0, "no pipe back in a pool");
    assert_eq!(
        key("PipesUsed"),
        0,
        "a pipe is still held after the transfer"
    );
    assert!(key("BytesOutRate") > 0, "BytesOutRate after the transfer");
}

#[test]
fn bulk_echo_in_both_directions_at_once_arrives_in_order() {
    let echo = Backend::echo();
    let (_daemon, front) = proxy_to(echo.addr());
    let mut client = TcpStream::connect(front).expect("connect to proxyd");
    client.set_read_timeout(Some(IO_DEADLINE)).expect("timeout");
    client
        .set_write_timeout(Some(IO_DEADLINE))
        .expect("timeout");
    let mut writer = client.try_clone().expect("clone client");
    let sender = thread::spawn(move || -> io::Result<()> {
        write_pattern(&mut writer, 7, REQUEST_LEN)?;
        writer.shutdown(Shutdown::Write)
    });
    let (got, diff) = read_pattern(&mut client, 7).expect("read echo");
    sender.join().expect("sender thread").expect("send");
    assert_eq!(got, REQUEST_LEN, "echoed bytes");
    assert_eq!(diff, None, "echo corrupted at this offset");
}

#[test]
fn shutdown_sessions_ends_a_transfer_stalled_on_a_slow_client() {
    // The server streams without end; the client reads a little and stops, so the proxy sits
    // with bytes it cannot deliver (in a pipe or a buffer). `shutdown sessions` must still end it.
    let listener = ports::bind_unclaimed();
    let server_addr = listener.local_addr().expect("addr");
    let server = thread::spawn(move || -> io::Result<()> {
        let (mut stream, _) = listener.accept()?;
        stream.set_write_timeout(Some(IO_DEADLINE))?;
        // Ends with an error once the proxy closes the connection.
        let _ = write_pattern(&mut stream, 3, usize::MAX / 2);
        Ok(())
    });
    let (daemon, front) = proxy_to(server_addr);
    let mut client = TcpStream::connect(front).expect("connect to proxyd");
    client.set_read_timeout(Some(IO_DEADLINE)).expect("timeout");
    let mut first = vec![0u8; 256 * 1024];
    client
        .read_exact(&mut first)
        .expect("first bytes of the stream");

    let stalled = socket::wait_for(Duration::from_secs(10), || {
        stat_u64(&daemon, &Cell::default(), "be", "s1", "scur") == 1
    });
    assert!(
        stalled,
        "session not visible: {}",
        daemon.query("show stat")
    );
    let answer = daemon.query("shutdown sessions server be/s1");
    assert!(
        answer.trim().is_empty(),
        "shutdown sessions answered: {answer:?}"
    );

    // Drain what was already in flight; the stream must then end (EOF or reset) well before
    // the 30 s inactivity timeouts could have ended it.
    let started = Instant::now();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        match client.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => assert!(
                started.elapsed() < Duration::from_secs(20),
                "stream still flowing after shutdown sessions"
            ),
        }
    }
    assert!(started.elapsed() < Duration::from_secs(20));
    drop(client);
    server.join().expect("server thread").expect("server");
    let gone = socket::wait_for(Duration::from_secs(10), || {
        stat_u64(&daemon, &Cell::default(), "be", "s1", "scur") == 0
    });
    assert!(gone, "session still counted: {}", daemon.query("show stat"));
}
