//! One client connection: choose a server (queueing when all are full), connect with retries
//! and redispatch, forward bytes, then account and log.

use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;

use super::balance::{self, Pick};
use super::forward::{self, Accounts, Timeouts};
use super::proxy_protocol::{self, Failure as HeaderFailure};
use super::queue::{self, Left};
use crate::config::KeepAliveTuning;
use crate::logging::{self, Logger, Severity};
use crate::model::server::ServerRt;
use crate::model::sessions::Registered;
use crate::model::{BackendRt, FrontendRt, GlobalRt};

/// HAProxy's default when neither `timeout queue` nor `timeout connect` is set is "forever";
/// proxyd warns about missing timeouts at start and uses this cap so a stuck queue still ends.
const FALLBACK_CONNECT: Duration = Duration::from_secs(5);

pub struct Session {
    pub client: TcpStream,
    /// The client's address: the socket's peer, then what a PROXY header announced.
    pub peer: SocketAddr,
    /// The address the client connected to: the socket's, then what a PROXY header announced.
    pub local: SocketAddr,
    /// The listening address that accepted it, which names its `bind`.
    pub listen: SocketAddr,
    /// The bind has `accept-proxy`: the session starts once a PROXY header was read.
    pub accept_proxy: bool,
    pub frontend: Arc<FrontendRt>,
    pub global: Arc<GlobalRt>,
    pub log: Logger,
    /// Frontend and global connection slots, released when the session ends.
    pub permits: (OwnedSemaphorePermit, OwnedSemaphorePermit),
}

/// What happened before forwarding, for the log line.
struct Assigned {
    server: Arc<ServerRt>,
    stream: TcpStream,
    queue_ms: u32,
    connect_ms: u32,
    retries: u32,
}

enum Failure {
    NoServer,
    /// Waited `timeout queue` in the backend's queue, or in this server's own.
    QueueTimeout(Option<Arc<ServerRt>>),
    /// The client closed while it waited in a queue, and the backend has `option abortonclose`.
    ClientAborted(Option<Arc<ServerRt>>),
    /// The server the balancing named already had `maxqueue` connections waiting.
    QueueFull(Arc<ServerRt>),
    /// The last attempt's server, the retries made, and whether that attempt timed out
    /// (`sC`) rather than failed (`SC`).
    ConnectFailed(Arc<ServerRt>, u32, bool),
    /// The client closed while its server was being connected, with nothing left to deliver
    /// (`CC`): the server and the retries made.
    ClientClosedConnecting(Arc<ServerRt>, u32),
}

impl Failure {
    /// The server the session was assigned to when it failed.
    fn server(&self) -> Option<&Arc<ServerRt>> {
        match self {
            Failure::NoServer => None,
            Failure::QueueTimeout(srv) | Failure::ClientAborted(srv) => srv.as_ref(),
            Failure::QueueFull(srv)
            | Failure::ConnectFailed(srv, _, _)
            | Failure::ClientClosedConnecting(srv, _) => Some(srv),
        }
    }
}

/// What a session went through on its way to a server, for the log: its positions in the
/// servers' and the backend's queues (`%sq`, `%bq`: summed over every queue it waited in, 0 when
/// it waited in none), and whether it was redispatched (`%rc`'s `+`).
#[derive(Debug, Default, Clone, Copy)]
struct Route {
    server_queue: u64,
    backend_queue: u64,
    redispatched: bool,
}

/// Not an `async fn`: its argument would be kept twice in every connection's task (the
/// argument, and the local an `async fn` moves it into), 192 bytes per connection.
#[allow(clippy::manual_async_fn)]
pub fn run(mut s: Session) -> impl std::future::Future<Output = ()> + Send {
    async move {
        let start = Instant::now();
        // Formatted only if a tcplog line is written: a String per session would cost every idle
        // connection its heap block.
        let accepted = std::time::SystemTime::now();
        let global = s.global.clone();
        let log = s.log.clone();
        let fe = s.frontend.clone();
        // While the header is awaited the connection holds its slots and counts in `scur`, but it
        // is a session (`stot`, the session rate) only once the header was read, as in HAProxy.
        fe.counters.session_opened();
        s.global.counters.session_started();
        // Taken after the header's wait, so that it is not kept in every connection's task.
        let Some(socket_peer) = proxy_header(&mut s, &fe, accepted).await else {
            return;
        };
        fe.counters.session_counted();
        let mut lctx = LogCtx {
            peer: s.peer,
            global: &global,
            log: &log,
            // HAProxy's unique stream number, from 0 (`%rt`).
            uniq: global.streams.fetch_add(1, Relaxed),
            addrs: fe
                .log_format
                .as_deref()
                .filter(|f| f.wants_addresses())
                .map(|f| {
                    Box::new(LogAddrs {
                        frontend: f.wants_frontend_address().then_some(s.local),
                        ..LogAddrs::default()
                    })
                }),
            asap: fe.logasap,
            client_waiting: false,
        };
        if fe.connect_log {
            connect_line(&s, &fe);
        }
        let _ = s.client.set_nodelay(true);
        if let Some(tune) = &fe.tcpka {
            keep_alive(&s.client, tune);
        }

        let Some(be) = fe.backend.clone() else {
            fe.counters.session_ended();
            s.global.counters.session_ended();
            return;
        };
        be.counters.session_started();
        be.counters.mark_last_session();
        let registered = global.sessions.register(socket_peer, fe.id, be.id);

        let mut route = Route::default();
        let ends = (s.peer, s.local.port());
        let total_ms = |start: Instant| start.elapsed().as_millis().min(u32::MAX as u128) as u32;
        // Matched without a binding of its own: the result would stay in the task beside `a`.
        match assign_and_connect(&be, &s.client, ends, &registered, &mut route).await {
            Ok(a) => {
                let srv = a.server.clone();
                if let (Some(f), Some(addrs)) = (fe.log_format.as_deref(), lctx.addrs.as_mut()) {
                    if f.wants_backend_source() {
                        addrs.backend_source = a.stream.local_addr().ok();
                    }
                    if f.wants_server_address() {
                        addrs.server = a.stream.peer_addr().ok();
                    }
                }
                let _ = a.stream.set_nodelay(true);
                if let Some(tune) = &be.tcpka {
                    keep_alive(&a.stream, tune);
                }
                // `option logasap`: the line is written now, with the times and bytes so far and
                // the session still counted on its backend and server, as HAProxy writes it.
                let early = fe.tcplog && fe.logasap;
                if early {
                    lctx.client_waiting = client_bytes_waiting(&s.client);
                    tcplog(
                        &lctx,
                        &fe,
                        &be,
                        Some(&srv.name),
                        accepted,
                        (a.queue_ms as i64, a.connect_ms as i64, total_ms(start)),
                        (0, 0),
                        "--",
                        a.retries,
                        route,
                    );
                }
                let kill = forward::Kill {
                    server: srv.kill.subscribe(),
                    this: || registered.killed(),
                };
                let outcome = forward::forward(
                    s.client,
                    a.stream,
                    Timeouts {
                        // A TCP stream has no analyser left once connected: `timeout tunnel`
                        // replaces both sides' timeouts from the start, as in HAProxy.
                        client: be.timeouts.tunnel.or(fe.timeouts.client),
                        server: be.timeouts.tunnel.or(be.timeouts.server),
                        client_fin: fe.timeouts.client_fin,
                        server_fin: be.timeouts.server_fin,
                    },
                    Accounts {
                        list: [&fe.counters, &be.counters, &srv.counters],
                        global: &s.global.counters,
                    },
                    kill,
                    be.nolinger,
                );
                // `shutdown session` may have come while the session was connecting.
                let outcome = if registered.killed() {
                    forward::Outcome {
                        killed: true,
                        term: *b"K-",
                        ..forward::Outcome::default()
                    }
                } else {
                    outcome.await
                };
                if outcome.client_abort {
                    be.counters.cli_abrt.fetch_add(1, Relaxed);
                    srv.counters.cli_abrt.fetch_add(1, Relaxed);
                }
                if outcome.server_abort {
                    be.counters.srv_abrt.fetch_add(1, Relaxed);
                    srv.counters.srv_abrt.fetch_add(1, Relaxed);
                    // A server that errors is a response error; one that merely went quiet past
                    // `timeout server` (`sD`) is not, as HAProxy counts it.
                    if &outcome.term == b"SD" {
                        be.counters.eresp.fetch_add(1, Relaxed);
                        srv.counters.eresp.fetch_add(1, Relaxed);
                    }
                }
                let ttime = total_ms(start);
                for c in [&be.counters, &srv.counters] {
                    if let Ok(mut t) = c.times.lock() {
                        t.record(a.queue_ms, a.connect_ms, ttime);
                    }
                }
                // HAProxy detaches the stream from its server and backend before logging (`%sc` and
                // `%bc` no longer count it, `%ac` and `%fc` still do) and hands the slot to a
                // waiter after.
                queue::give_back(&be, &srv);
                be.counters.session_ended();
                if fe.tcplog && !early {
                    let term = String::from_utf8_lossy(&outcome.term).into_owned();
                    tcplog(
                        &lctx,
                        &fe,
                        &be,
                        Some(&srv.name),
                        accepted,
                        (a.queue_ms as i64, a.connect_ms as i64, ttime),
                        (outcome.bytes_out, outcome.bytes_in),
                        &term,
                        a.retries,
                        route,
                    );
                }
                queue::dispatch(&be);
            }
            Err(f) => {
                let unsent = drain_unsent(&s.client);
                if unsent > 0 {
                    fe.counters.bin.fetch_add(unsent, Relaxed);
                    be.counters.bin.fetch_add(unsent, Relaxed);
                    // Counted on the server the session was assigned to, as HAProxy counts it.
                    if let Some(srv) = f.server() {
                        srv.counters.bin.fetch_add(unsent, Relaxed);
                    }
                }
                let waited = ms_since(start) as i64;
                let (srv_name, term, retries, q, c) = match &f {
                    Failure::NoServer => ("<NOSRV>".to_string(), "SC", 0, -1, -1),
                    Failure::QueueTimeout(None) => ("<NOSRV>".to_string(), "sQ", 0, waited, -1),
                    Failure::QueueTimeout(Some(srv)) => (srv.name.clone(), "sQ", 0, waited, -1),
                    Failure::ClientAborted(None) => ("<NOSRV>".to_string(), "CQ", 0, waited, -1),
                    Failure::ClientAborted(Some(srv)) => (srv.name.clone(), "CQ", 0, waited, -1),
                    Failure::QueueFull(srv) => (srv.name.clone(), "SQ", 0, -1, -1),
                    Failure::ConnectFailed(srv, retries, timed_out) => {
                        let term = if *timed_out { "sC" } else { "SC" };
                        (srv.name.clone(), term, *retries, 0, -1)
                    }
                    Failure::ClientClosedConnecting(srv, retries) => {
                        (srv.name.clone(), "CC", *retries, 0, -1)
                    }
                };
                be.counters.session_ended();
                if fe.tcplog {
                    let ttime = total_ms(start);
                    tcplog(
                        &lctx,
                        &fe,
                        &be,
                        Some(&srv_name),
                        accepted,
                        (q, c, ttime),
                        (0, unsent),
                        term,
                        retries,
                        route,
                    );
                }
            }
        }
        fe.counters.session_ended();
        s.global.counters.session_ended();
        drop(s.permits);
    }
}

/// With `accept-proxy`, waits for the PROXY header and takes the addresses it announces.
/// Returns the socket's own peer (`show sess` shows it, as HAProxy 2.6 does after a PROXY
/// header), or None when the header failed: logged, and the connection counted out.
async fn proxy_header(
    s: &mut Session,
    fe: &FrontendRt,
    accepted: std::time::SystemTime,
) -> Option<SocketAddr> {
    let socket_peer = s.peer;
    if s.accept_proxy {
        match proxy_protocol::receive(&s.client, fe.timeouts.client).await {
            Ok((_, Some((src, dst)))) => (s.peer, s.local) = (src, dst),
            Ok((_, None)) => {}
            Err((failure, announced)) => {
                if let Some((src, _)) = announced {
                    s.peer = src;
                }
                embryonic_failed(s, failure, accepted);
                fe.counters.session_ended();
                s.global.counters.session_ended();
                return None;
            }
        }
    }
    Some(socket_peer)
}

/// TCP keep-alive probes on `stream`, with the timing the configuration sets (the kernel's
/// defaults for the rest).
fn keep_alive(stream: &TcpStream, tune: &KeepAliveTuning) {
    let mut ka = socket2::TcpKeepalive::new();
    if let Some(idle) = tune.idle {
        ka = ka.with_time(idle);
    }
    if let Some(intvl) = tune.intvl {
        ka = ka.with_interval(intvl);
    }
    if let Some(cnt) = tune.cnt {
        ka = ka.with_retries(cnt);
    }
    let _ = socket2::SockRef::from(stream).set_tcp_keepalive(&ka);
}

/// What the client sent while it waited for a server that never came. HAProxy has read it into
/// the session's buffer by then and counts it in `bin`; with nothing left unread, closing the
/// socket sends a FIN where unread bytes would make the kernel send a reset. Like HAProxy's
/// buffer, this takes at most 16 KiB.
fn drain_unsent(client: &TcpStream) -> u64 {
    use std::os::fd::AsRawFd;
    const LIMIT: usize = 16 * 1024;
    let mut buf = [0u8; LIMIT];
    let mut total = 0;
    while total < LIMIT {
        // SAFETY: the descriptor is open (borrowed from `client`) and `buf[total..]` is writable
        // for its whole length. MSG_DONTWAIT: take only what is already there.
        let n = unsafe {
            libc::recv(
                client.as_raw_fd(),
                buf[total..].as_mut_ptr().cast(),
                LIMIT - total,
                libc::MSG_DONTWAIT,
            )
        };
        if n <= 0 {
            break;
        }
        total += n as usize;
    }
    total as u64
}

fn ms_since(t: Instant) -> u32 {
    t.elapsed().as_millis().min(u32::MAX as u128) as u32
}

/// `ends`: the client's address and the port it connected to, as the session sees them.
async fn assign_and_connect(
    be: &Arc<BackendRt>,
    client: &TcpStream,
    (peer, local_port): (SocketAddr, u16),
    registered: &Registered,
    route: &mut Route,
) -> Result<Assigned, Failure> {
    let connect_timeout = be.timeouts.connect.unwrap_or(FALLBACK_CONNECT);
    let queue_started = Instant::now();
    let abort = be.abort_on_close.then_some(client);
    let mut srv = match choose(be, peer, None, abort, route).await {
        Ok(s) => s,
        Err(f @ Failure::ClientAborted(_)) => return Err(f),
        Err(f) => {
            be.counters.econ.fetch_add(1, Relaxed);
            return Err(f);
        }
    };
    let queue_ms = ms_since(queue_started);
    // HAProxy's `conn_retries`: every failed attempt spends one, whether the next attempt
    // retries the same server or is redispatched.
    let mut retries_left = be.retries;
    let mut retries_done = 0;
    loop {
        // HAProxy counts a server session (`stot`) per connection attempt, so a refused
        // server retried twice shows 3.
        srv.counters.stot.fetch_add(1, Relaxed);
        srv.counters.rate.hit();
        srv.counters.mark_last_session();
        srv.counters.connect.fetch_add(1, Relaxed);
        be.counters.connect.fetch_add(1, Relaxed);
        // Read first: a store on every connection would bounce the line between threads.
        if !srv.connected_once.load(Relaxed) {
            srv.connected_once.store(true, Relaxed);
        }
        let target = srv.connect_addr(local_port);
        registered.set_server(&srv, target.port());
        let t0 = Instant::now();
        let res = tokio::select! {
            r = tokio::time::timeout(connect_timeout, TcpStream::connect(target)) => r,
            () = closed_with_nothing_to_send(client) => {
                queue::release(be, &srv);
                return Err(Failure::ClientClosedConnecting(srv, retries_done));
            }
        };
        let quick = match res {
            Ok(Ok(stream)) => {
                return Ok(Assigned {
                    server: srv,
                    stream,
                    queue_ms,
                    connect_ms: ms_since(t0),
                    retries: retries_done,
                });
            }
            Ok(Err(_)) => true,
            Err(_) => false,
        };
        if retries_left == 0 {
            srv.counters.econ.fetch_add(1, Relaxed);
            be.counters.econ.fetch_add(1, Relaxed);
            queue::release(be, &srv);
            return Err(Failure::ConnectFailed(srv, retries_done, !quick));
        }
        retries_left -= 1;
        retries_done += 1;
        let active = be.usable_counts().0;
        // A redispatch that can only land on the same server is counted as a retry, as HAProxy
        // counts it once the server is chosen.
        if should_redispatch(be, &srv, retries_left, active) && balance::has_alternative(be, &srv) {
            srv.counters.wredis.fetch_add(1, Relaxed);
            be.counters.wredis.fetch_add(1, Relaxed);
            route.redispatched = true;
            queue::release(be, &srv);
            srv = match choose(be, peer, Some(&srv), abort, route).await {
                Ok(other) => other,
                Err(f) => {
                    be.counters.econ.fetch_add(1, Relaxed);
                    return Err(f);
                }
            };
            // HAProxy waits before the next attempt only when it may hit the same server.
            if quick && active <= 1 && !turnaround(client, connect_timeout).await {
                queue::release(be, &srv);
                return Err(Failure::ClientClosedConnecting(srv, retries_done));
            }
        } else {
            srv.counters.wretr.fetch_add(1, Relaxed);
            be.counters.wretr.fetch_add(1, Relaxed);
            // An immediate refusal would otherwise hammer the server: HAProxy waits
            // min(timeout connect, 1s) before retrying the same server.
            if quick && !turnaround(client, connect_timeout).await {
                queue::release(be, &srv);
                return Err(Failure::ClientClosedConnecting(srv, retries_done));
            }
            // A server marked DOWN during that wait gets no retry: with `option redispatch`,
            // HAProxy moves the session to another server at once (back_handle_st_cer).
            if be.redispatch && !srv.is_usable() {
                if let Ok(other) = choose(be, peer, Some(&srv), abort, route).await {
                    if Arc::ptr_eq(&other, &srv) {
                        queue::release(be, &other);
                    } else {
                        srv.counters.wredis.fetch_add(1, Relaxed);
                        be.counters.wredis.fetch_add(1, Relaxed);
                        route.redispatched = true;
                        queue::release(be, &srv);
                        srv = other;
                    }
                }
            }
        }
    }
}

/// HAProxy's wait between a refused connect and the next attempt, `min(timeout connect, 1s)`;
/// false when the client closed meanwhile with nothing to send, which ends the session at once
/// (`CC`) without another attempt, as in HAProxy.
async fn turnaround(client: &TcpStream, connect_timeout: Duration) -> bool {
    tokio::select! {
        () = tokio::time::sleep(connect_timeout.min(Duration::from_secs(1))) => true,
        () = closed_with_nothing_to_send(client) => false,
    }
}

/// Resolves once the client has closed (or reset) its connection with no byte left unread.
/// HAProxy then abandons the server connection it is making (`CC`, at once rather than after
/// `timeout connect` and the retries); a client whose bytes still wait keeps the attempt
/// going, since they are to be delivered.
async fn closed_with_nothing_to_send(client: &TcpStream) {
    let mut one = [0u8; 1];
    match client.peek(&mut one).await {
        Ok(0) | Err(_) => {}
        Ok(_) => std::future::pending().await,
    }
}

/// HAProxy 2.6's choice after a failed connect with `option redispatch` (default interval -1):
/// move when the server is no longer usable, on the last retry, or at once when another active
/// server exists and the algorithm does not tie clients to servers (`balance source`).
fn should_redispatch(
    be: &BackendRt,
    srv: &ServerRt,
    retries_left: u32,
    active_usable: u32,
) -> bool {
    be.redispatch
        && (!srv.is_usable()
            || retries_left == 0
            || (active_usable > 1 && !matches!(be.balance, crate::config::Balance::Source(_))))
}

/// Pick a server with a reserved slot, waiting in the backend's queue when every server is full,
/// or in the named server's own queue when the balancing names one (a hash, `leastconn`) that is
/// full or already has connections waiting.
async fn choose(
    be: &Arc<BackendRt>,
    peer: SocketAddr,
    exclude: Option<&Arc<ServerRt>>,
    abort: Option<&TcpStream>,
    route: &mut Route,
) -> Result<Arc<ServerRt>, Failure> {
    let mut wait_for_a_freed_slot = false;
    'pick: loop {
        // A few attempts: another session may take the slot between pick and reserve.
        for _ in 0..8 {
            match balance::pick(be, peer.ip(), exclude) {
                // Full, or others already wait for it: join them.
                Pick::Named(s) if !balance::has_free_slot(&s) => {
                    s.counters.lbtot.fetch_add(1, Relaxed);
                    be.counters.lbtot.fetch_add(1, Relaxed);
                    match wait_on_server(be, s, abort, route).await? {
                        Some(s) => return Ok(s),
                        // Its server left and the backend redispatches: balance again.
                        None => continue 'pick,
                    }
                }
                Pick::Named(s) | Pick::Server(s) => {
                    if queue::try_reserve(be, &s) {
                        s.counters.lbtot.fetch_add(1, Relaxed);
                        be.counters.lbtot.fetch_add(1, Relaxed);
                        return Ok(s);
                    }
                }
                Pick::NoServer => return Err(Failure::NoServer),
                Pick::Full => break 'pick,
                // Not handed a free server at once: it waits for a slot to free, as in HAProxy.
                Pick::DrawFull => {
                    wait_for_a_freed_slot = true;
                    break 'pick;
                }
            }
        }
        break;
    }
    let Some(ticket) = queue::enqueue(be, !wait_for_a_freed_slot) else {
        return Err(Failure::NoServer);
    };
    match ticket.wait(queue_timeout(be), &be.queue, abort).await {
        Ok(h) => {
            route.backend_queue += h.position;
            h.server.ok_or(Failure::NoServer)
        }
        Err((position, why)) => {
            route.backend_queue += position;
            queue::prune(be, None);
            Err(match why {
                Left::TimedOut => Failure::QueueTimeout(None),
                Left::ClientGone => Failure::ClientAborted(None),
            })
        }
    }
}

fn queue_timeout(be: &BackendRt) -> Duration {
    be.timeouts
        .queue
        .or(be.timeouts.connect)
        .unwrap_or(FALLBACK_CONNECT)
}

/// Wait in `srv`'s own queue, as HAProxy does for a server its balancing named. A full queue
/// (`maxqueue`) or a queue timeout fails the connection, counted on the server too. `None`: the
/// server went down or into maintenance and, with `option redispatch`, sent its waiters back to
/// be balanced again (`wredis` on it).
async fn wait_on_server(
    be: &Arc<BackendRt>,
    srv: Arc<ServerRt>,
    abort: Option<&TcpStream>,
    route: &mut Route,
) -> Result<Option<Arc<ServerRt>>, Failure> {
    let Some(ticket) = queue::enqueue_on(be, &srv) else {
        srv.counters.econ.fetch_add(1, Relaxed);
        return Err(Failure::QueueFull(srv));
    };
    match ticket.wait(queue_timeout(be), &srv.queue, abort).await {
        Ok(h) => {
            route.server_queue += h.position;
            if h.server.is_none() {
                srv.counters.wredis.fetch_add(1, Relaxed);
                be.counters.wredis.fetch_add(1, Relaxed);
                route.redispatched = true;
            }
            Ok(h.server)
        }
        Err((position, Left::ClientGone)) => {
            route.server_queue += position;
            queue::prune(be, Some(&srv));
            Err(Failure::ClientAborted(Some(srv)))
        }
        Err((position, Left::TimedOut)) => {
            route.server_queue += position;
            queue::prune(be, Some(&srv));
            srv.counters.econ.fetch_add(1, Relaxed);
            Err(Failure::QueueTimeout(Some(srv)))
        }
    }
}

/// HAProxy's default line for a frontend that logs without a format: written at accept, for
/// every connection (`dontlognull` does not apply to it).
fn connect_line(s: &Session, fe: &FrontendRt) {
    let line = logging::connect_line(s.peer, s.local, fe);
    s.log.of(&fe.logs).send(Severity::Info, &line);
}

/// HAProxy's `session_kill_embryonic`: a connection closed before its PROXY header was read
/// is logged (by a frontend with a connection format) as `CLIENT [DATE] FE/LISTENER: REASON`,
/// `dontlognull` leaving out the ones that never sent anything, broke or timed out.
fn embryonic_failed(s: &Session, failure: HeaderFailure, accepted: std::time::SystemTime) {
    let fe = &s.frontend;
    let filter = fe.log_filter;
    if !fe.tcplog
        || (filter.dontlognull && (failure.is_null() || failure == HeaderFailure::Timeout))
    {
        return;
    }
    let level = match filter.log_separate_errors {
        true => Severity::Err,
        false => Severity::Info,
    };
    let line = format!(
        "{}:{} [{}] {}/{}: {}",
        s.peer.ip(),
        s.peer.port(),
        logging::time::date(accepted, false),
        fe.name,
        super::listener::listener_ref(fe, s.listen),
        failure.text()
    );
    s.log.of(&fe.logs).send(level, &line);
}

/// Whether the client has sent bytes the proxy has not read yet: with `option logasap` the
/// line is written before forwarding starts, and `dontlognull` must see what HAProxy, which
/// reads while it connects, would have seen.
fn client_bytes_waiting(client: &tokio::net::TcpStream) -> bool {
    let mut one = [std::mem::MaybeUninit::<u8>::uninit(); 1];
    // Non-blocking socket: no data is WouldBlock, not a wait.
    matches!(socket2::SockRef::from(client).peek(&mut one), Ok(n) if n > 0)
}

/// The system's name (`%H`), asked once.
fn host_name() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(crate::model::hostname)
}

/// What a log line needs from the session once its sockets are gone.
struct LogCtx<'a> {
    peer: SocketAddr,
    global: &'a GlobalRt,
    log: &'a Logger,
    uniq: u64,
    /// Learnt only for a `log-format` that shows them; boxed, as most sessions never need them
    /// and every idle connection would carry their room.
    addrs: Option<Box<LogAddrs>>,
    /// `option logasap`: Tt and the byte count are marked `+` (written before the end).
    asap: bool,
    /// The client sent bytes not forwarded yet (for `dontlognull` on an early line).
    client_waiting: bool,
}

/// The addresses only a `log-format` line shows (`%fi`/`%fp`, `%bi`/`%bp`, `%si`/`%sp`).
#[derive(Default)]
struct LogAddrs {
    frontend: Option<SocketAddr>,
    backend_source: Option<SocketAddr>,
    server: Option<SocketAddr>,
}

/// HAProxy's tcplog: `%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq`.
#[allow(clippy::too_many_arguments)]
fn tcplog(
    s: &LogCtx<'_>,
    fe: &FrontendRt,
    be: &BackendRt,
    srv: Option<&str>,
    accepted: std::time::SystemTime,
    (tw, tc, tt): (i64, i64, u32),
    (bytes, from_client): (u64, u64),
    term: &str,
    retries: u32,
    route: Route,
) {
    // HAProxy's `strm_log`: an error is a redispatch, a termination cause other than none or
    // local, or retries; `dontlognull` drops what never received a byte from the client.
    let error =
        route.redispatched || !matches!(term.as_bytes().first(), Some(b'-' | b'L')) || retries > 0;
    let filter = fe.log_filter;
    let null = from_client == 0 && !s.client_waiting;
    if (filter.dontlognull && null) || (filter.dontlog_normal && !error) {
        return;
    }
    let level = match filter.log_separate_errors && error {
        true => Severity::Err,
        false => Severity::Info,
    };
    let ac = s.global.counters.scur.load(Relaxed);
    let fc = fe.counters.scur.load(Relaxed);
    let bc = be.counters.scur.load(Relaxed);
    let sc = srv
        .and_then(|n| be.server(n))
        .map_or(0, |x| x.counters.scur.load(Relaxed));
    let lc = fe.log_count.fetch_add(1, Relaxed);
    if let Some(format) = &fe.log_format {
        let line = format.render(&crate::log_format::Fields {
            client: s.peer,
            frontend_addr: s.addrs.as_ref().and_then(|a| a.frontend),
            backend_source: s.addrs.as_ref().and_then(|a| a.backend_source),
            server_addr: s.addrs.as_ref().and_then(|a| a.server),
            accepted,
            frontend: &fe.name,
            backend: &be.name,
            server: srv,
            queue_ms: tw,
            connect_ms: tc,
            total_ms: tt,
            bytes_out: bytes,
            bytes_in: from_client,
            term,
            actconn: ac,
            feconn: fc,
            beconn: bc,
            srvconn: sc,
            retries,
            redispatched: route.redispatched,
            srv_queue: route.server_queue,
            backend_queue: route.backend_queue,
            log_counter: lc,
            request_counter: s.uniq,
            hostname: host_name(),
            asap: s.asap,
        });
        return s.log.of(&fe.logs).send(level, &line);
    }
    // HAProxy 2.6 computes %Tw as the queue date minus the request date, and a TCP stream has
    // no request date (-1): every TCP line shows one millisecond more than the queue took.
    let tw = if tw >= 0 { tw + 1 } else { tw };
    let plus = if s.asap { "+" } else { "" };
    let line = format!(
        "{}:{} [{}] {} {}/{} {}/{}/{plus}{} {plus}{} {} {}/{}/{}/{}/{}{} {}/{}",
        s.peer.ip(),
        s.peer.port(),
        logging::time::date(accepted, false),
        fe.name,
        be.name,
        srv.unwrap_or("<NOSRV>"),
        tw,
        tc,
        tt,
        bytes,
        term,
        ac,
        fc,
        bc,
        sc,
        if route.redispatched { "+" } else { "" },
        retries,
        route.server_queue,
        route.backend_queue
    );
    s.log.of(&fe.logs).send(level, &line);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;
    use std::path::Path;
    use tokio::sync::Semaphore;

    /// Every connection is one task holding this future: with tokio's 128-byte task alignment it
    /// is most of what an idle connection costs, which the benchmark holds against HAProxy's
    /// 3.3 KiB. In a release build it was 2,360 bytes (a 2,560-byte task) before the session
    /// stopped being an `async fn` and the rarely used addresses moved out of it, and is 2,040
    /// (a 2,176-byte task); the unoptimised test build lays it out in 2,104.
    #[test]
    fn session_task_per_connection_stays_small() {
        let text = "defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\nfrontend fe\n  bind 127.0.0.1:1\n  default_backend be\nbackend be\n  server s 127.0.0.1:2\n";
        let loaded = crate::config::load_str(Path::new("t.cfg"), text, &|_| None).expect("config");
        let model = Model::build(loaded.config, None);
        let fe = model.frontends().next().cloned().expect("frontend");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let addr = l.local_addr().expect("addr");
            let client = TcpStream::connect(addr).await.expect("connect");
            let slots = Arc::new(Semaphore::new(2));
            let permit = || slots.clone().try_acquire_owned().expect("permit");
            let s = Session {
                client,
                peer: addr,
                local: addr,
                listen: addr,
                accept_proxy: false,
                frontend: fe,
                global: model.global.clone(),
                log: Logger::new(&[], None, None),
                permits: (permit(), permit()),
            };
            let size = std::mem::size_of_val(&run(s));
            assert!(
                size <= 2_104,
                "session future is {size} bytes per connection"
            );
        });
    }
}
