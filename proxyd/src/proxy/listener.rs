//! Listening sockets and accept loops.
//!
//! Each bound address has one accept loop that reads its frontend from a shared slot, so a
//! reload swaps the frontend under a listener without closing the socket: clients never see a
//! refused connection during a reload. A loop waits for a frontend slot and a global slot
//! before accepting, which turns `maxconn` into kernel backlog back-pressure. A paused frontend
//! (`disable frontend`) releases its ports as HAProxy's does, so clients are refused rather
//! than left waiting; a change of state or limit reaches a loop that is already waiting.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit};
use tokio::task::JoinHandle;

use super::session::{self, Session};
use crate::logging::{self, Logger, Severity};
use crate::model::{FrontendRt, GlobalRt, Model, Port, FE_OPEN, FE_STOP, LISTEN_BACKLOG};

type FrontendSlot = Arc<RwLock<Arc<FrontendRt>>>;

struct Entry {
    frontend: FrontendSlot,
    /// The socket of a proxy listener (none for a stats page), owned by its accept loop.
    socket: Weak<Port>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// Let `fe`'s state changes reach `l` directly.
fn register(fe: &FrontendRt, l: &Arc<Port>) {
    if let Ok(mut sockets) = fe.sockets.lock() {
        sockets.retain(|w| w.strong_count() > 0);
        sockets.push(Arc::downgrade(l));
    }
}

impl Entry {
    /// False once the loop has ended (`shutdown frontend` closed its socket): a reload then
    /// binds the address again instead of handing the new frontend to a closed socket.
    fn running(&self) -> bool {
        !self.task.is_finished()
    }
}

/// All listening sockets of the process, keyed by address.
#[derive(Default)]
pub struct Listeners {
    entries: HashMap<SocketAddr, Entry>,
}

/// Bind a TCP listening socket the way HAProxy does (SO_REUSEADDR, and SO_REUSEPORT so a new
/// process can bind beside an old one during an upgrade).
pub fn bind(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let sock = socket_for(addr)?;
    sock.bind(&addr.into())?;
    sock.listen(LISTEN_BACKLOG)?;
    Ok(sock.into())
}

fn socket_for(addr: SocketAddr) -> std::io::Result<Socket> {
    let domain = if addr.is_ipv4() {
        Domain::IPV4
    } else {
        Domain::IPV6
    };
    let sock = Socket::new(domain, Type::STREAM, Some(Protocol::TCP))?;
    sock.set_reuse_address(true)?;
    sock.set_reuse_port(true)?;
    if addr.is_ipv6() {
        sock.set_only_v6(true)?;
    }
    sock.set_nonblocking(true)?;
    Ok(sock)
}

/// A proxy's listening address with its `bind` line's options.
pub struct ListenSpec<'a> {
    pub addr: SocketAddr,
    pub frontend: &'a str,
    pub bind: &'a crate::config::Bind,
    /// The `listen(2)` queue: `backlog`, else the listener's `maxconn`, as HAProxy sizes it.
    pub backlog: i32,
}

impl ListenSpec<'_> {
    pub fn new<'a>(addr: SocketAddr, fe: &'a FrontendRt) -> Option<ListenSpec<'a>> {
        let bind = fe.binds.iter().find(|b| b.addrs.contains(&addr))?;
        let maxconn = match bind.maxconn {
            0 => fe.maxconn.load(Relaxed),
            n => n,
        };
        let backlog = match bind.sockopts.backlog {
            0 => maxconn,
            n => n,
        };
        Some(ListenSpec {
            addr,
            frontend: &fe.name,
            bind,
            backlog: backlog.clamp(1, i32::MAX as u32) as i32,
        })
    }
}

/// How HAProxy names the listener at `addr` in its logs: its `name`, else its number (`id`,
/// else the first number no other listener of the frontend took, in configuration order).
pub fn listener_ref(fe: &FrontendRt, addr: SocketAddr) -> String {
    let taken: Vec<u32> = fe.binds.iter().filter_map(|b| b.id).collect();
    let mut next = 1;
    for b in &fe.binds {
        for a in &b.addrs {
            let luid = match b.id {
                Some(id) => id,
                None => {
                    while taken.contains(&next) {
                        next += 1;
                    }
                    next += 1;
                    next - 1
                }
            };
            if *a == addr {
                return b.name.clone().unwrap_or_else(|| luid.to_string());
            }
        }
    }
    "?".to_string()
}

/// The `listen(2)` queue of `fe`'s socket at `addr`.
pub fn backlog_of(addr: SocketAddr, fe: &FrontendRt) -> i32 {
    ListenSpec::new(addr, fe).map_or(LISTEN_BACKLOG, |s| s.backlog)
}

/// Bind `spec` with its socket options, in HAProxy's order and with its verdicts: a socket
/// that cannot be made transparent or bound is an error (HAProxy's words in `Err`); an option
/// the kernel refuses otherwise is a warning, and the socket listens without it, as in HAProxy
/// (an unknown `interface` leaves it listening on every interface).
pub fn bind_with(spec: &ListenSpec<'_>) -> Result<std::net::TcpListener, String> {
    let opts = &spec.bind.sockopts;
    let addr = spec.addr;
    let what = |phase: &str, msg: String| {
        format!(
            "{phase} [{}] for frontend {}: {msg} for [{addr}]",
            spec.bind.place, spec.frontend
        )
    };
    let warn = |phase: &str, msg: String| logging::console(Severity::Warning, &what(phase, msg));
    let cannot_bind = |e: std::io::Error| {
        format!(
            "Starting frontend {}: cannot bind socket ({}) [{addr}]",
            spec.frontend,
            describe_bind_error(&e)
        )
    };
    let sock = socket_for(addr).map_err(cannot_bind)?;
    if opts.transparent {
        let done = match addr {
            SocketAddr::V4(_) => sock
                .set_ip_transparent(true)
                .or_else(|_| sock.set_freebind(true)),
            SocketAddr::V6(_) => sockopt(&sock, libc::SOL_IPV6, libc::IPV6_TRANSPARENT, 1)
                .or_else(|_| sock.set_freebind(true)),
        };
        if done.is_err() {
            return Err(what(
                "Binding",
                "cannot make receiver's socket transparent".into(),
            ));
        }
    }
    if let Some(dev) = &opts.interface {
        if let Err(e) = sock.bind_device(Some(dev.as_bytes())) {
            warn(
                "Binding",
                format!("cannot bind receiver to device '{dev}' ({})", os_text(&e)),
            );
        }
    }
    sock.bind(&addr.into()).map_err(cannot_bind)?;
    if opts.mss > 0 && sock.set_mss(opts.mss as u32).is_err() {
        warn("Starting", format!("cannot set MSS to {}", opts.mss));
    }
    if opts.tcp_ut_ms > 0
        && sock
            .set_tcp_user_timeout(Some(Duration::from_millis(opts.tcp_ut_ms.into())))
            .is_err()
    {
        warn(
            "Starting",
            format!("cannot set TCP User Timeout to {}", opts.tcp_ut_ms),
        );
    }
    // Without the option HAProxy sets 0 too, ignoring a refusal.
    let defer = i32::from(opts.defer_accept);
    if sockopt(&sock, libc::IPPROTO_TCP, libc::TCP_DEFER_ACCEPT, defer).is_err()
        && opts.defer_accept
    {
        warn("Starting", "cannot enable DEFER_ACCEPT".into());
    }
    // TCP Fast Open's queue of pending requests is sized like the accept queue.
    if opts.tfo && sockopt(&sock, libc::IPPROTO_TCP, libc::TCP_FASTOPEN, spec.backlog).is_err() {
        warn("Starting", "cannot enable TCP_FASTOPEN".into());
    }
    sock.listen(spec.backlog).map_err(|e| {
        format!(
            "Starting frontend {}: cannot listen to socket ({}) [{addr}]",
            spec.frontend,
            os_text(&e)
        )
    })?;
    Ok(sock.into())
}

/// An integer socket option socket2 has no setter for.
fn sockopt(sock: &Socket, level: i32, name: i32, value: i32) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: setsockopt reads `size_of::<i32>()` bytes from a live local; the descriptor is
    // owned by `sock` for the whole call.
    let rc = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            level,
            name,
            (&value as *const i32).cast(),
            std::mem::size_of::<i32>() as libc::socklen_t,
        )
    };
    match rc {
        0 => Ok(()),
        _ => Err(std::io::Error::last_os_error()),
    }
}

/// The C library's text for an OS error, without Rust's "(os error N)".
fn os_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// A stats frontend with nothing to forward to: a `frontend`, or a `listen` (which is its own
/// backend) without servers, as in `listen stats` + `bind :9000` + `stats enable`.
fn serves_stats_page(fe: &FrontendRt) -> bool {
    fe.stats.is_some() && fe.backend.as_ref().is_none_or(|b| b.servers().is_empty())
}

/// Every (address, frontend) pair the model wants bound.
fn wanted(model: &Model) -> Vec<(SocketAddr, Arc<FrontendRt>)> {
    let mut out = Vec::new();
    for fe in model.frontends() {
        if serves_stats_page(fe) {
            // Served by the stats page server instead.
            continue;
        }
        for b in &fe.binds {
            for a in &b.addrs {
                out.push((*a, fe.clone()));
            }
        }
    }
    out
}

/// Addresses of frontends that serve the HTTP stats page.
pub fn stats_binds(model: &Model) -> Vec<(SocketAddr, Arc<FrontendRt>)> {
    let mut out = Vec::new();
    for fe in model.frontends() {
        if serves_stats_page(fe) {
            for b in &fe.binds {
                for a in &b.addrs {
                    out.push((*a, fe.clone()));
                }
            }
        }
    }
    out
}

impl Listeners {
    /// Pre-bind every address of `model` that is not bound yet. Fails with HAProxy's message
    /// for the first address that cannot be bound, leaving existing listeners untouched.
    pub fn prepare(
        &self,
        model: &Model,
    ) -> Result<HashMap<SocketAddr, std::net::TcpListener>, String> {
        let mut fresh = HashMap::new();
        for (addr, fe) in wanted(model).into_iter().chain(stats_binds(model)) {
            if self.entries.get(&addr).is_some_and(Entry::running) || fresh.contains_key(&addr) {
                continue;
            }
            let Some(spec) = ListenSpec::new(addr, &fe) else {
                continue;
            };
            fresh.insert(addr, bind_with(&spec)?);
        }
        Ok(fresh)
    }

    /// Make the running listeners match `model`: keep sockets whose address stays (swapping
    /// their frontend), start loops on the fresh sockets, stop the ones no longer wanted.
    pub fn apply(
        &mut self,
        model: &Model,
        mut fresh: HashMap<SocketAddr, std::net::TcpListener>,
        log: &Logger,
        stats_page: &dyn Fn(
            std::net::TcpListener,
            Arc<FrontendRt>,
            watch::Receiver<bool>,
        ) -> JoinHandle<()>,
    ) {
        let mut keep = HashMap::new();
        let global = model.global.clone();
        let all: Vec<(SocketAddr, Arc<FrontendRt>, bool)> = wanted(model)
            .into_iter()
            .map(|(a, f)| (a, f, false))
            .chain(stats_binds(model).into_iter().map(|(a, f)| (a, f, true)))
            .collect();
        for (addr, fe, is_stats) in all {
            if let Some(entry) = self.entries.remove(&addr).filter(Entry::running) {
                if let Ok(mut slot) = entry.frontend.write() {
                    let old = std::mem::replace(&mut *slot, fe.clone());
                    // A loop waiting under the old frontend (paused, or for a slot) looks again.
                    old.wake.send_replace(());
                }
                if let Some(l) = entry.socket.upgrade() {
                    register(&fe, &l);
                }
                keep.insert(addr, entry);
                continue;
            }
            let Some(std_listener) = fresh.remove(&addr) else {
                continue;
            };
            let (stop_tx, stop_rx) = watch::channel(false);
            let slot: FrontendSlot = Arc::new(RwLock::new(fe.clone()));
            let mut socket = Weak::new();
            let task = if is_stats {
                stats_page(std_listener, fe.clone(), stop_rx)
            } else {
                let slot2 = slot.clone();
                let log = log.clone();
                let global = global.clone();
                let backlog = backlog_of(addr, &fe);
                match TcpListener::from_std(std_listener)
                    .and_then(|l| Ok((Port::new(&l, backlog)?, l)))
                {
                    Ok((port, l)) => {
                        let port = Arc::new(port);
                        register(&fe, &port);
                        socket = Arc::downgrade(&port);
                        tokio::spawn(accept_loop(l, addr, port, slot2, global, log, stop_rx))
                    }
                    Err(e) => {
                        logging::console(
                            Severity::Alert,
                            &format!("cannot register listener {addr}: {e}"),
                        );
                        continue;
                    }
                }
            };
            keep.insert(
                addr,
                Entry {
                    frontend: slot,
                    socket,
                    stop: stop_tx,
                    task,
                },
            );
        }
        for (_, old) in self.entries.drain() {
            let _ = old.stop.send(true);
            drop(old.task);
        }
        self.entries = keep;
    }

    /// Stop accepting everywhere (soft stop); established sessions run on.
    pub fn stop_all(&mut self) {
        for (_, e) in self.entries.drain() {
            let _ = e.stop.send(true);
        }
    }

    pub fn count(&self) -> usize {
        self.entries.len()
    }
}

fn describe_bind_error(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::EADDRINUSE) => "Address already in use".into(),
        Some(libc::EACCES) => "Permission denied".into(),
        Some(libc::EADDRNOTAVAIL) => "Cannot assign requested address".into(),
        _ => e.to_string(),
    }
}

/// Pause after a failed accept: short enough to resume quickly once fds are released, long
/// enough that a process out of fds stays idle instead of spinning.
pub const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// A frontend slot and a process slot, held for the whole session.
pub type Slots = (OwnedSemaphorePermit, OwnedSemaphorePermit);

/// What an accept loop got.
pub enum Accepted {
    Conn(std::io::Result<(TcpStream, SocketAddr)>, Slots),
    /// The frontend's state or a limit changed while waiting: look again before accepting.
    Recheck,
    /// Asked to stop (or the slot pools are gone).
    Stop,
}

/// Changes an accept loop must not miss: its frontend's state and `maxconn`, the global
/// `maxconn`. Taken before the loop reads them, so a change made in between still wakes it.
pub struct Changes {
    fe: watch::Receiver<()>,
    global: watch::Receiver<()>,
}

impl Changes {
    pub fn new(fe: &FrontendRt, global: &GlobalRt) -> Changes {
        Changes {
            fe: fe.wake.subscribe(),
            global: global.wake.subscribe(),
        }
    }

    pub async fn next(&mut self) {
        let r = tokio::select! {
            r = self.fe.changed() => r,
            r = self.global.changed() => r,
        };
        if r.is_err() {
            // The frontend left the model (a reload): the loop's stop or slot swap comes next.
            std::future::pending::<()>().await;
        }
    }
}

/// Wait for a frontend slot and a global slot, then accept: with `maxconn` reached the next
/// client waits in the kernel backlog instead of being accepted and dropped.
pub async fn accept_with_slots(
    listener: &TcpListener,
    fe: &FrontendRt,
    global: &GlobalRt,
    stop: &mut watch::Receiver<bool>,
    changes: &mut Changes,
) -> Accepted {
    let permits = tokio::select! {
        p = async {
            let a = fe.slots.clone().acquire_owned().await;
            let b = global.slots.clone().acquire_owned().await;
            (a, b)
        } => p,
        _ = stop.changed() => return Accepted::Stop,
        _ = changes.next() => return Accepted::Recheck,
    };
    let (Ok(fe_permit), Ok(g_permit)) = permits else {
        return Accepted::Stop;
    };
    // Over a rate limit the next client waits in the backlog, as behind a full `maxconn`.
    let wait = rate_wait(fe, global);
    if !wait.is_zero() {
        tokio::select! {
            _ = tokio::time::sleep(wait) => return Accepted::Recheck,
            _ = stop.changed() => return Accepted::Stop,
            _ = changes.next() => return Accepted::Recheck,
        }
    }
    // Slots taken before a limit was lowered must not admit one more connection: on a change
    // they are given back (a lowered semaphore collects them first) and taken again.
    let accepted = tokio::select! {
        r = listener.accept() => r,
        _ = stop.changed() => return Accepted::Stop,
        _ = changes.next() => return Accepted::Recheck,
    };
    Accepted::Conn(accepted, (fe_permit, g_permit))
}

/// How long before the next accept keeps every rate limit: `maxconnrate` and `maxsessrate`
/// over the process's connections, `rate-limit sessions` over the frontend's (every
/// connection of a passthrough proxy is a session).
fn rate_wait(fe: &FrontendRt, global: &GlobalRt) -> Duration {
    let limits = &global.rate_limits;
    let process = &global.counters.conn_rate;
    [
        process.wait_for_room(limits.conn.load(Relaxed)),
        process.wait_for_room(limits.sess.load(Relaxed)),
        fe.counters.conn_rate.wait_for_room(fe.sess_rate_limit),
    ]
    .into_iter()
    .max()
    .unwrap_or(Duration::ZERO)
}

/// Where an accept loop stands with its frontend's state.
pub enum Gate {
    Open,
    /// Paused: wait for the next change, then look again.
    Paused,
    /// Shut down: end the loop, which closes the socket.
    Closed,
}

/// Make the socket follow `fe`'s state ([`Port::follow`]; no syscall while it stays) and say
/// what the loop should do. Once open again after a pause the socket is registered with the
/// runtime afresh: the pause left a hang-up in its readiness that tokio never clears, and
/// every accept would then be retried at once, forever. `Err` when that fails (the socket is
/// then closed).
pub fn gate(
    listener: TcpListener,
    port: &Port,
    seen_pauses: &mut u64,
    fe: &FrontendRt,
) -> std::io::Result<(TcpListener, Gate)> {
    let state = fe.state.load(std::sync::atomic::Ordering::Relaxed);
    port.follow(state);
    let gate = match state {
        FE_OPEN => Gate::Open,
        FE_STOP => Gate::Closed,
        _ => Gate::Paused,
    };
    let pauses = port.pauses();
    if matches!(gate, Gate::Open) && pauses != *seen_pauses {
        *seen_pauses = pauses;
        return Ok((TcpListener::from_std(listener.into_std()?)?, gate));
    }
    Ok((listener, gate))
}

/// An error episode ends after this long without an accept error.
const EPISODE_QUIET: Duration = Duration::from_secs(10);

/// Accept errors are logged once per episode, not once per failed accept.
#[derive(Default)]
pub struct AcceptErrors {
    last: Option<std::time::Instant>,
}

impl AcceptErrors {
    /// Record an error; true when it opens a new episode (and so deserves a log line).
    pub fn starts_now(&mut self) -> bool {
        let now = std::time::Instant::now();
        let new = match self.last {
            Some(t) => now.duration_since(t) >= EPISODE_QUIET,
            None => true,
        };
        self.last = Some(now);
        new
    }
}

async fn accept_loop(
    mut listener: TcpListener,
    addr: SocketAddr,
    port: Arc<Port>,
    slot: FrontendSlot,
    global: Arc<crate::model::GlobalRt>,
    log: Logger,
    mut stop: watch::Receiver<bool>,
) {
    let mut episode = AcceptErrors::default();
    let mut seen_pauses = 0;
    loop {
        let fe = match slot.read() {
            Ok(f) => f.clone(),
            Err(_) => return,
        };
        let mut changes = Changes::new(&fe, &global);
        let gated = gate(listener, &port, &mut seen_pauses, &fe);
        let state;
        (listener, state) = match gated {
            Ok(x) => x,
            Err(e) => {
                logging::console(
                    Severity::Alert,
                    &format!("Proxy {}: cannot resume a listener: {e}", fe.name),
                );
                return;
            }
        };
        match state {
            Gate::Open => {}
            Gate::Closed => return,
            Gate::Paused => {
                tokio::select! {
                    _ = changes.next() => continue,
                    _ = stop.changed() => return,
                }
            }
        }
        let (accepted, permits) =
            match accept_with_slots(&listener, &fe, &global, &mut stop, &mut changes).await {
                Accepted::Conn(r, p) => (r, p),
                Accepted::Recheck => continue,
                Accepted::Stop => return,
            };
        let (fe_permit, g_permit) = permits;
        match accepted {
            Ok((client, peer)) => {
                fe.counters
                    .conn_tot
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                fe.counters.conn_rate.hit();
                global
                    .counters
                    .conn_tot
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                global.counters.conn_rate.hit();
                let bind = fe.binds.iter().find(|b| b.addrs.contains(&addr));
                let s = Session {
                    local: client.local_addr().unwrap_or(addr),
                    listen: addr,
                    accept_proxy: bind.is_some_and(|b| b.accept_proxy),
                    client,
                    peer,
                    frontend: fe,
                    global: global.clone(),
                    log: log.clone(),
                    permits: (fe_permit, g_permit),
                };
                tokio::spawn(session::run(s));
            }
            Err(_) if fe.state.load(std::sync::atomic::Ordering::Relaxed) != FE_OPEN => {
                // Paused or shut down while accepting: the socket no longer listens.
            }
            Err(e) => {
                // Out of file descriptors (or a transient accept error): the connection stays
                // in the kernel backlog; back off instead of spinning, and say so once per
                // episode (accepts that succeed in between, as fds come and go, do not end it).
                if episode.starts_now() {
                    logging::console(
                        Severity::Alert,
                        &format!(
                            "Proxy {} reached system fd limit or accept failed ({e}); pausing accepts.",
                            fe.name
                        ),
                    );
                }
                drop(fe_permit);
                drop(g_permit);
                tokio::select! {
                    _ = tokio::time::sleep(ACCEPT_BACKOFF) => {}
                    _ = stop.changed() => return,
                }
            }
        }
    }
}
