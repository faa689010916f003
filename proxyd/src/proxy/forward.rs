//! Byte forwarding between client and server until both directions are closed.
//!
//! Half-close is passed through (a FIN from one side becomes a shutdown of the other side's
//! write half). Each side has an inactivity timeout, as HAProxy's stream timeouts in TCP mode:
//! `timeout client` / `timeout server` (the caller puts the backend's `timeout tunnel` in both), and
//! `client-fin` / `server-fin` once proxyd has shut its writes to that side (the *other* side
//! closed). Activity is any byte read from or written to that side. The timeout runs while
//! proxyd reads from the side or has bytes waiting to be written to it: a side that closed its
//! writes and has nothing pending cannot time out. A read timeout ends the reading only (the
//! other side gets a FIN, the answer can still come back, as HAProxy's `shutr`); a write that
//! stays blocked ends the session. A client's error resets the server connection, so the
//! server sees an abort rather than a clean end. Counters move as bytes move, so `show stat`
//! sees long transfers progress.
//!
//! Each direction copies through a 16 KiB buffer taken from a per-thread pool only once the
//! socket is readable and given back as soon as the bytes are written, so an idle connection
//! holds no buffer. A read that
//! fills the whole buffer marks a bulk transfer: the rest of that burst moves with `splice(2)`
//! through a pipe, socket to socket, without entering user space (HAProxy's `splice-auto`).

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering::Relaxed};
use std::task::Poll;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWriteExt, Interest, ReadBuf};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::watch;

use crate::model::counters::Counters;
use pool::{give_back_buf, take_buf, Pipe, BUF_SIZE};

mod pool;

pub use pool::{pipe_counts, spliced_bytes_out};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub client_abort: bool,
    pub server_abort: bool,
    pub killed: bool,
    /// HAProxy's termination state letters for tcplog (`--`, `cD`, `sD`, `CD`, `SD`, `K-`,
    /// `D-`).
    pub term: [u8; 2],
}

pub struct Timeouts {
    pub client: Option<Duration>,
    pub server: Option<Duration>,
    pub client_fin: Option<Duration>,
    pub server_fin: Option<Duration>,
}

/// What ends a session from outside: a new generation on its server's signal (`shutdown
/// sessions`, `on-marked-down shutdown-sessions`), or `this` answering true when the signal
/// wakes it (`shutdown session` aimed at this one).
pub struct Kill<F: Fn() -> bool> {
    pub server: watch::Receiver<u64>,
    pub this: F,
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

/// What the two directions of a session share: one reference to it in each keeps every
/// connection's state small.
struct Both {
    clock: Clock,
    /// Last activity on the client's and the server's side, in ms of `clock`.
    cli_act: AtomicU64,
    srv_act: AtomicU64,
    /// Bytes wait to be written to the client / to the server (a write is in progress).
    cli_pending: AtomicBool,
    srv_pending: AtomicBool,
    /// Directions of this session that reached end of stream.
    eofs: AtomicU8,
    /// `option nolinger`: the client's end of stream ends the session instead of being passed
    /// on as a half-close.
    client_eof_ends: bool,
}

/// One direction of a session: where bytes come from and go to, and what to tell about them.
struct Direction<'a, R, W> {
    from: OwnedReadHalf,
    to: OwnedWriteHalf,
    both: &'a Both,
    /// Client to server.
    request: bool,
    count_read: R,
    count_written: W,
}

/// What a splice burst ended with.
enum Burst {
    /// The source has nothing more for now; the pipe is empty.
    Drained,
    /// The pipe could not be used (no descriptors left, or splice unsupported): copy instead.
    Unavailable,
    Ended(End),
}

impl<R: Fn(u64), W: Fn(u64)> Direction<'_, R, W> {
    fn read_side_activity(&self) -> &AtomicU64 {
        match self.request {
            true => &self.both.cli_act,
            false => &self.both.srv_act,
        }
    }

    fn write_side_activity(&self) -> &AtomicU64 {
        match self.request {
            true => &self.both.srv_act,
            false => &self.both.cli_act,
        }
    }

    fn write_side_pending(&self) -> &AtomicBool {
        match self.request {
            true => &self.both.srv_pending,
            false => &self.both.cli_pending,
        }
    }

    /// A read error: for the client's side, the server is to get a reset, not the FIN that
    /// dropping the write half would send (the caller resets it).
    fn read_error(self) -> End {
        if self.request {
            self.to.forget();
        }
        End::ReadErr
    }

    async fn pump(mut self, mut splice_ok: bool) -> End {
        loop {
            // Readiness waits do not spend the task's cooperative budget but reads do: once the
            // budget is spent a read answers `Pending` while `readable()` keeps answering ready,
            // so without a yield here this loop would spin without ever reading again.
            tokio::task::coop::consume_budget().await;
            // Wait for data before taking a buffer: an idle connection then costs no buffer memory.
            // A peer's FIN shows in the readiness (EPOLLRDHUP): once it has arrived, a read that
            // does not fill the buffer took everything there will ever be, and the `recv` that
            // would only answer 0 is saved, as HAProxy saves it.
            let fin_seen = match self.from.ready(Interest::READABLE).await {
                Ok(r) => r.is_read_closed(),
                Err(_) => return self.read_error(),
            };
            let mut buf = take_buf();
            // `poll_read` rather than `try_read`: a short read clears the readiness, which saves
            // the extra read that would only report EAGAIN.
            let read = poll_fn(|cx| {
                let mut rb = ReadBuf::new(&mut buf);
                match Pin::new(&mut self.from).poll_read(cx, &mut rb) {
                    Poll::Ready(r) => Poll::Ready(Some(r.map(|()| rb.filled().len()))),
                    // Readiness was stale: go back to waiting, without the buffer.
                    Poll::Pending => Poll::Ready(None),
                }
            })
            .await;
            let n = match read {
                None => {
                    give_back_buf(buf);
                    continue;
                }
                Some(Ok(0)) => {
                    let last = self.eof().await;
                    return self.finish(last);
                }
                Some(Ok(n)) => n,
                Some(Err(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
                Some(Err(_)) => return self.read_error(),
            };
            self.read_side_activity()
                .store(self.both.clock.now(), Relaxed);
            (self.count_read)(n as u64);
            self.write_side_pending().store(true, Relaxed);
            if self.to.write_all(&buf[..n]).await.is_err() {
                return End::WriteErr;
            }
            self.write_side_pending().store(false, Relaxed);
            give_back_buf(buf);
            (self.count_written)(n as u64);
            self.write_side_activity()
                .store(self.both.clock.now(), Relaxed);
            if fin_seen && n < BUF_SIZE {
                let last = self.eof().await;
                return self.finish(last);
            }
            if n == BUF_SIZE && splice_ok {
                match self.splice_burst().await {
                    Burst::Drained => {}
                    Burst::Unavailable => splice_ok = false,
                    Burst::Ended(End::Eof) => {
                        let last = self.eof().await;
                        return self.finish(last);
                    }
                    Burst::Ended(End::ReadErr) => return self.read_error(),
                    Burst::Ended(e) => return e,
                }
            }
        }
    }

    /// Pass the end of stream on; true when this is the session's last direction to end. Both
    /// sockets are then about to be closed with nothing left unread, which sends the FIN: no
    /// `shutdown` needed.
    async fn eof(&mut self) -> bool {
        self.read_side_activity()
            .store(self.both.clock.now(), Relaxed);
        let last =
            self.both.eofs.fetch_add(1, Relaxed) != 0 || self.request && self.both.client_eof_ends;
        if !last {
            let _ = self.to.shutdown().await;
        }
        last
    }

    /// End the direction after [`Self::eof`]. Dropping a write half that was not shut down
    /// would send a `shutdown` of its own: the last direction opts out of it.
    fn finish(self, last: bool) -> End {
        if last {
            self.to.forget();
        }
        End::Eof
    }

    /// Move bytes socket → pipe → socket until the source would block. The pipe is emptied
    /// before each refill, so an `EAGAIN` on the source side always means "no data" and one on
    /// the destination side always means "no room".
    async fn splice_burst(&mut self) -> Burst {
        let Some(pipe) = Pipe::take() else {
            return Burst::Unavailable;
        };
        let from: &TcpStream = self.from.as_ref();
        let to: &TcpStream = self.to.as_ref();
        loop {
            // `try_io` spends no budget: yield now and then so a source that never drains
            // cannot keep the other sessions of this thread waiting.
            tokio::task::coop::consume_budget().await;
            let n = match from.try_io(Interest::READABLE, || pipe.fill_from(from)) {
                Ok(0) => {
                    pipe.give_back();
                    return Burst::Ended(End::Eof);
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    pipe.give_back();
                    return Burst::Drained;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if unsupported(&e) => {
                    pipe.give_back();
                    return Burst::Unavailable;
                }
                Err(_) => return Burst::Ended(End::ReadErr),
            };
            self.read_side_activity()
                .store(self.both.clock.now(), Relaxed);
            (self.count_read)(n as u64);
            let mut left = n;
            self.write_side_pending().store(true, Relaxed);
            while left > 0 {
                if to.writable().await.is_err() {
                    return Burst::Ended(End::WriteErr);
                }
                match to.try_io(Interest::WRITABLE, || pipe.drain_to(to, left)) {
                    Ok(0) => return Burst::Ended(End::WriteErr),
                    Ok(m) => {
                        left -= m;
                        (self.count_written)(m as u64);
                        self.write_side_activity()
                            .store(self.both.clock.now(), Relaxed);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    // The pipe still holds bytes: it is closed rather than given back.
                    Err(_) => return Burst::Ended(End::WriteErr),
                }
            }
            self.write_side_pending().store(false, Relaxed);
        }
    }
}

/// Errors that mean splice cannot work on these descriptors (not a connection failure).
fn unsupported(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EINVAL) | Some(libc::ENOSYS))
}

/// Not an `async fn` wrapping [`forward_with`]: that would keep a second copy of the arguments
/// in every session's state, about 180 bytes per connection.
///
/// With `reset_server` (`option nolinger` in the backend) the server's connection is never
/// half-closed nor closed with a FIN: a client's FIN ends the session, and the server gets a
/// reset whenever the session ends, as HAProxy closes it with a zero linger time.
pub fn forward<'a, F: Fn() -> bool + 'a>(
    client: TcpStream,
    server: TcpStream,
    t: Timeouts,
    acc: Accounts<'a>,
    kill: Kill<F>,
    reset_server: bool,
) -> impl std::future::Future<Output = Outcome> + 'a {
    forward_with(client, server, t, acc, kill, true, reset_server)
}

/// [`forward`], with `splice` false to copy every byte through user space (what happens when
/// no pipe can be had).
async fn forward_with<F: Fn() -> bool>(
    client: TcpStream,
    server: TcpStream,
    t: Timeouts,
    acc: Accounts<'_>,
    kill: Kill<F>,
    splice: bool,
    reset_server: bool,
) -> Outcome {
    let Kill {
        server: mut kill,
        this: killed,
    } = kill;
    let generation = *kill.borrow();
    let both = Both {
        clock: Clock {
            origin: Instant::now(),
        },
        cli_act: AtomicU64::new(0),
        srv_act: AtomicU64::new(0),
        cli_pending: AtomicBool::new(false),
        srv_pending: AtomicBool::new(false),
        eofs: AtomicU8::new(0),
        client_eof_ends: reset_server,
    };
    // The socket to reset when the session ends (`reset_server`, or a client's error): known
    // before the halves move into their directions.
    let server_fd = std::os::fd::AsRawFd::as_raw_fd(&server);
    let client_fd = std::os::fd::AsRawFd::as_raw_fd(&client);
    let (cr, cw) = client.into_split();
    let (sr, sw) = server.into_split();
    let bytes_in = AtomicU64::new(0);
    let bytes_out = AtomicU64::new(0);

    let req = Direction {
        from: cr,
        to: sw,
        both: &both,
        request: true,
        count_read: |n| {
            bytes_in.fetch_add(n, Relaxed);
            for c in acc.list {
                c.bin.fetch_add(n, Relaxed);
            }
        },
        count_written: |n| {
            acc.global.bout.fetch_add(n, Relaxed);
        },
    }
    .pump(splice);
    let res = Direction {
        from: sr,
        to: cw,
        both: &both,
        request: false,
        count_read: |n| {
            bytes_out.fetch_add(n, Relaxed);
            for c in acc.list {
                c.bout.fetch_add(n, Relaxed);
            }
        },
        count_written: |n| {
            acc.global.bout.fetch_add(n, Relaxed);
        },
    }
    .pump(splice);
    tokio::pin!(req);
    tokio::pin!(res);

    let mut kill_alive = true;
    let mut req_end: Option<End> = None;
    let mut res_end: Option<End> = None;
    // Reading from that side timed out: its socket was shut for reads, which its direction
    // sees as an end of stream and passes on.
    let mut read_stopped = [false; 2];
    let mut reset_at_end = false;
    let mut out = Outcome {
        term: *b"--",
        ..Outcome::default()
    };

    loop {
        if req_end.is_some() && res_end.is_some() {
            break;
        }
        let (cli_deadline, srv_deadline) = deadlines(&t, &both, req_end, res_end, read_stopped);
        let next = match (cli_deadline, srv_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let now = both.clock.now();
        let sleep = tokio::time::sleep(Duration::from_millis(
            next.map_or(3_600_000, |n| n.saturating_sub(now)),
        ));
        tokio::select! {
            e = &mut req, if req_end.is_none() => {
                req_end = Some(e);
                match e {
                    End::ReadErr => {
                        out.client_abort = true;
                        out.term = *b"CD";
                        reset_at_end = true;
                        break;
                    }
                    End::WriteErr => { out.server_abort = true; out.term = *b"SD"; break; }
                    End::Eof if reset_server => break,
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
                // Activity while asleep moved the deadlines: only what is still due counts.
                let now = both.clock.now();
                let (cli_deadline, srv_deadline) =
                    deadlines(&t, &both, req_end, res_end, read_stopped);
                let side = if cli_deadline.is_some_and(|d| now >= d) {
                    0
                } else if srv_deadline.is_some_and(|d| now >= d) {
                    1
                } else {
                    continue;
                };
                if out.term == *b"--" {
                    out.term = [[b'c', b's'][side], b'D'];
                    if side == 0 {
                        out.client_abort = true;
                    } else {
                        out.server_abort = true;
                    }
                }
                let (pending, reading) = match side {
                    0 => (&both.cli_pending, req_end.is_none()),
                    _ => (&both.srv_pending, res_end.is_none()),
                };
                // A blocked write, or a side already done reading: nothing more can move. With
                // `nolinger` a timeout ends the session (and resets the server), as HAProxy's.
                if pending.load(Relaxed) || !reading || read_stopped[side] || reset_server {
                    break;
                }
                read_stopped[side] = true;
                shut_reads([client_fd, server_fd][side]);
            }
            r = kill.changed(), if kill_alive => {
                if r.is_err() {
                    kill_alive = false;
                } else {
                    // HAProxy leaves the second letter at `-` for a session ended this way.
                    let order = *kill.borrow_and_update();
                    if order != generation && order & 1 == 1 {
                        out.term = *b"D-";
                    } else if order != generation || killed() {
                        out.term = *b"K-";
                    } else {
                        continue;
                    }
                    out.killed = true;
                    break;
                }
            }
        }
    }
    if reset_server || reset_at_end {
        reset(server_fd);
    }
    out.bytes_in = bytes_in.load(Relaxed);
    out.bytes_out = bytes_out.load(Relaxed);
    out
}

/// Each side's inactivity deadline (ms of the session's clock), computed afresh from its last
/// activity: it runs while proxyd reads from the side or has bytes waiting for it, on the fin
/// timeout once the other side's end was passed on.
fn deadlines(
    t: &Timeouts,
    both: &Both,
    req_end: Option<End>,
    res_end: Option<End>,
    read_stopped: [bool; 2],
) -> (Option<u64>, Option<u64>) {
    let cli_to = match res_end {
        Some(_) => t.client_fin.or(t.client),
        None => t.client,
    };
    let srv_to = match req_end {
        Some(_) => t.server_fin.or(t.server),
        None => t.server,
    };
    let cli_runs = req_end.is_none() && !read_stopped[0] || both.cli_pending.load(Relaxed);
    let srv_runs = res_end.is_none() && !read_stopped[1] || both.srv_pending.load(Relaxed);
    let at = |act: &AtomicU64, d: Duration| act.load(Relaxed) + d.as_millis() as u64;
    (
        cli_to.filter(|_| cli_runs).map(|d| at(&both.cli_act, d)),
        srv_to.filter(|_| srv_runs).map(|d| at(&both.srv_act, d)),
    )
}

/// Stop reading from `fd` after its read timeout: the direction reading it sees an end of
/// stream, passes it on as a FIN, and the answer from the other side can still come back.
fn shut_reads(fd: std::os::fd::RawFd) {
    // SAFETY: `fd` is a socket still owned (and open) by the session's halves.
    unsafe {
        libc::shutdown(fd, libc::SHUT_RD);
    }
}

/// Abort the connection on `fd` now with a reset, before its write half, dropped with the
/// session, could send a FIN. A TCP socket connected to `AF_UNSPEC` is disconnected the way a
/// close with zero linger would; the descriptor stays open until its owner closes it.
fn reset(fd: std::os::fd::RawFd) {
    let unspec = libc::sockaddr {
        sa_family: libc::AF_UNSPEC as libc::sa_family_t,
        sa_data: [0; 14],
    };
    // SAFETY: `fd` is the server socket, still owned (and open) by the halves this function's
    // caller holds; `unspec` is a valid `sockaddr` of the length given.
    unsafe {
        libc::connect(
            fd,
            &unspec,
            std::mem::size_of::<libc::sockaddr>() as libc::socklen_t,
        );
    }
}

#[cfg(test)]
mod tests;
