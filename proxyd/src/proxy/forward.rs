//! Byte forwarding between client and server until both directions are closed.
//!
//! Half-close is passed through (a FIN from one side becomes a shutdown of the other side's
//! write half). Each side has an inactivity timeout (`timeout client` / `timeout server`,
//! replaced by `client-fin` / `server-fin` once that side has closed); activity is any byte read
//! from or written to that side. Counters move as bytes move, so `show stat` sees long
//! transfers progress.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::watch;

use crate::model::counters::Counters;

/// Size of each direction's buffer, HAProxy's default `tune.bufsize`.
const BUF_SIZE: usize = 16 * 1024;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub client_abort: bool,
    pub server_abort: bool,
    pub killed: bool,
    /// HAProxy's termination state letters for tcplog (`--`, `cD`, `sD`, `CD`, `SD`, `KD`).
    pub term: [u8; 2],
}

pub struct Timeouts {
    pub client: Option<Duration>,
    pub server: Option<Duration>,
    pub client_fin: Option<Duration>,
    pub server_fin: Option<Duration>,
}

/// Which counters bytes are added to, request direction then response direction.
pub struct Accounts<'a> {
    pub list: [&'a Counters; 3],
    pub global: &'a Counters,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Eof,
    ReadErr,
    WriteErr,
}

struct Clock {
    origin: Instant,
}

impl Clock {
    fn now(&self) -> u64 {
        self.origin.elapsed().as_millis() as u64
    }
}

async fn pump(
    from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    from_activity: &AtomicU64,
    to_activity: &AtomicU64,
    clock: &Clock,
    count_read: impl Fn(u64),
    count_written: impl Fn(u64),
) -> End {
    let mut buf: Option<Box<[u8]>> = None;
    loop {
        // Wait for data before taking a buffer: an idle connection then costs no buffer memory.
        if from.readable().await.is_err() {
            return End::ReadErr;
        }
        let b = buf.get_or_insert_with(|| vec![0u8; BUF_SIZE].into_boxed_slice());
        let n = match from.try_read(b) {
            Ok(0) => {
                from_activity.store(clock.now(), Relaxed);
                let _ = to.shutdown().await;
                return End::Eof;
            }
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return End::ReadErr,
        };
        from_activity.store(clock.now(), Relaxed);
        count_read(n as u64);
        if to.write_all(&b[..n]).await.is_err() {
            return End::WriteErr;
        }
        count_written(n as u64);
        to_activity.store(clock.now(), Relaxed);
        // Give the memory back once traffic pauses: the next read reallocates.
        if n < BUF_SIZE {
            buf = None;
        }
    }
}

pub async fn forward(
    client: TcpStream,
    server: TcpStream,
    t: Timeouts,
    acc: Accounts<'_>,
    mut kill: watch::Receiver<u64>,
) -> Outcome {
    let clock = Clock {
        origin: Instant::now(),
    };
    let cli_act = AtomicU64::new(0);
    let srv_act = AtomicU64::new(0);
    let (cr, cw) = client.into_split();
    let (sr, sw) = server.into_split();
    let bytes_in = AtomicU64::new(0);
    let bytes_out = AtomicU64::new(0);

    let req = pump(
        cr,
        sw,
        &cli_act,
        &srv_act,
        &clock,
        |n| {
            bytes_in.fetch_add(n, Relaxed);
            for c in acc.list {
                c.bin.fetch_add(n, Relaxed);
            }
        },
        |n| {
            for c in acc.list {
                c.req_out.fetch_add(n, Relaxed);
            }
            acc.global.bout.fetch_add(n, Relaxed);
        },
    );
    let res = pump(
        sr,
        cw,
        &srv_act,
        &cli_act,
        &clock,
        |n| {
            bytes_out.fetch_add(n, Relaxed);
            for c in acc.list {
                c.bout.fetch_add(n, Relaxed);
            }
        },
        |n| {
            for c in acc.list {
                c.res_out.fetch_add(n, Relaxed);
            }
            acc.global.bout.fetch_add(n, Relaxed);
        },
    );
    tokio::pin!(req);
    tokio::pin!(res);

    let mut kill_alive = true;
    let mut req_end: Option<End> = None;
    let mut res_end: Option<End> = None;
    let mut out = Outcome {
        term: *b"--",
        ..Outcome::default()
    };

    loop {
        if req_end.is_some() && res_end.is_some() {
            break;
        }
        // Next inactivity deadline for each side; a closed direction switches to its fin timeout.
        let cli_to = if req_end.is_some() {
            t.client_fin.or(t.client)
        } else {
            t.client
        };
        let srv_to = if res_end.is_some() {
            t.server_fin.or(t.server)
        } else {
            t.server
        };
        let now = clock.now();
        let cli_deadline = cli_to.map(|d| cli_act.load(Relaxed) + d.as_millis() as u64);
        let srv_deadline = srv_to.map(|d| srv_act.load(Relaxed) + d.as_millis() as u64);
        let next = match (cli_deadline, srv_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let sleep = tokio::time::sleep(Duration::from_millis(
            next.map_or(3_600_000, |n| n.saturating_sub(now)),
        ));
        tokio::select! {
            e = &mut req, if req_end.is_none() => {
                req_end = Some(e);
                match e {
                    End::ReadErr => { out.client_abort = true; out.term = *b"CD"; break; }
                    End::WriteErr => { out.server_abort = true; out.term = *b"SD"; break; }
                    End::Eof => {}
                }
            }
            e = &mut res, if res_end.is_none() => {
                res_end = Some(e);
                match e {
                    End::ReadErr => { out.server_abort = true; out.term = *b"SD"; break; }
                    End::WriteErr => { out.client_abort = true; out.term = *b"CD"; break; }
                    End::Eof => {}
                }
            }
            _ = sleep => {
                let now = clock.now();
                if cli_deadline.is_some_and(|d| now >= d) {
                    out.client_abort = true;
                    out.term = *b"cD";
                    break;
                }
                if srv_deadline.is_some_and(|d| now >= d) {
                    out.server_abort = true;
                    out.term = *b"sD";
                    break;
                }
            }
            r = kill.changed(), if kill_alive => {
                if r.is_ok() {
                    out.killed = true;
                    out.term = *b"KD";
                    break;
                }
                kill_alive = false;
            }
        }
    }
    out.bytes_in = bytes_in.load(Relaxed);
    out.bytes_out = bytes_out.load(Relaxed);
    out
}
