//! The running topology, built from a validated [`Config`]: frontends, backends and servers with
//! their counters and state. One `Model` is shared by the data path, the checks, the runtime API
//! and the stats page; a reload builds a new one and carries server state across.
//!
//! - [`counters`]: atomics and rate/average helpers the data path writes.
//! - [`server`]: per-server state machine (health, admin flags, weight) and the `status` text.
//! - [`sessions`]: the sessions in progress (`show sess`, `shutdown session`).
//! - [`state_file`]: server states saved by a previous process, applied at start.
//! - this file: frontends, backends and the model that owns them.

pub mod counters;
pub mod events;
pub mod server;
pub mod sessions;
pub mod state_file;

use std::collections::VecDeque;
use std::sync::atomic::{
    AtomicBool, AtomicU32, AtomicU64, AtomicU8,
    Ordering::{AcqRel, Acquire, Relaxed, Release},
};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use tokio::sync::{oneshot, watch, Semaphore};

use crate::config::{self, Balance, Config, KeepAliveTuning, Mode, ProxyKind, StatsPage, Timeouts};
use crate::logging::{Logger, ProxyLogs};
use counters::Counters;
use server::ServerRt;

/// Frontend state as the `status` column shows it.
pub const FE_OPEN: u8 = 0;
pub const FE_PAUSED: u8 = 1;
pub const FE_STOP: u8 = 2;

#[derive(Debug)]
pub struct FrontendRt {
    pub name: String,
    pub id: u32,
    pub mode: Mode,
    pub binds: Vec<config::Bind>,
    /// Atomic because `set maxconn frontend` changes it at run time; `slots` follows it.
    pub maxconn: AtomicU32,
    /// `rate-limit sessions`: new sessions per second, 0 = no limit.
    pub sess_rate_limit: u32,
    pub backend: Option<Arc<BackendRt>>,
    /// Shared with the frontend of the same name in the next model, so a reload never resets
    /// (or splits) what `show stat` reports.
    pub counters: Arc<Counters>,
    /// Connection slots: a listener waits for a free one before it accepts, so a full
    /// frontend pushes back through the kernel's backlog instead of accepting and failing.
    pub slots: Arc<Semaphore>,
    pub state: AtomicU8,
    /// Told of every change of `state` or `maxconn`: an accept loop waiting for a slot or a
    /// connection looks again instead of accepting under a rule that no longer holds.
    pub wake: watch::Sender<()>,
    /// A `listen` section (HAProxy then says "proxy" where it says "frontend" otherwise).
    pub is_listen: bool,
    /// The listening sockets serving this frontend, registered by the listeners (weakly: the
    /// accept loops own them), so a state change acts on the ports before the command answers.
    pub sockets: Mutex<Vec<Weak<Port>>>,
    pub timeouts: Timeouts,
    pub stats: Option<StatsPage>,
    /// `option tcplog` or `log-format`, with a `log` target: one line per connection.
    pub tcplog: bool,
    /// `log-format`: connection lines in that format rather than tcplog's.
    pub log_format: Option<Arc<crate::log_format::LogFormat>>,
    /// `option logasap`: the line is written once the server connection is up.
    pub logasap: bool,
    /// Connection lines written so far (`%lc`).
    pub log_count: AtomicU64,
    /// A `log` target without `option tcplog` or `log-format`: HAProxy's legacy line
    /// (`Connect from … to … (fe/TCP)`) when a connection is accepted.
    pub connect_log: bool,
    /// `option clitcpka`: keep-alive probes on accepted connections, with their timing.
    pub tcpka: Option<KeepAliveTuning>,
    /// Where its connection lines and changes are logged.
    pub logs: ProxyLogs,
    /// Which connection lines it writes (`dontlognull`, `dontlog-normal`,
    /// `log-separate-errors`).
    pub log_filter: config::ConnLogFilter,
}

/// A connection waiting in a queue for a server slot.
#[derive(Debug)]
pub struct Waiter {
    pub tx: oneshot::Sender<Handoff>,
    pub since: Instant,
    /// The queue's `served` count when it joined.
    pub ticket: u64,
}

/// What a waiter receives: its server, the slot reserved, and its position in the queue; no
/// server when the server it waited for sends it back to be balanced again.
#[derive(Debug)]
pub struct Handoff {
    pub server: Option<Arc<ServerRt>>,
    /// 1 plus the sessions served from the same queue while it waited (`%sq` / `%bq`).
    pub position: u64,
}

/// Connections waiting for a slot, oldest first, and how many left it to be served.
#[derive(Debug, Default)]
pub struct WaitQueue {
    pub waiting: Mutex<VecDeque<Waiter>>,
    pub served: AtomicU64,
}

#[derive(Debug)]
pub struct BackendState {
    pub up: bool,
    pub last_change: Instant,
    pub downtime: Duration,
    pub chkdown: u64,
}

#[derive(Debug)]
pub struct BackendRt {
    pub name: String,
    pub id: u32,
    pub mode: Mode,
    pub balance: Balance,
    pub timeouts: Timeouts,
    pub retries: u32,
    pub redispatch: bool,
    /// `option allbackups`.
    pub all_backups: bool,
    /// `option abortonclose`.
    pub abort_on_close: bool,
    /// `option log-health-checks`.
    pub log_health_checks: bool,
    /// `option nolinger`: server connections are reset, never half-closed.
    pub nolinger: bool,
    /// `option srvtcpka`: keep-alive probes on server connections, with their timing.
    pub tcpka: Option<KeepAliveTuning>,
    /// Where its servers' state changes are logged.
    pub logs: ProxyLogs,
    pub fullconn: u32,
    /// Read through [`BackendRt::servers`]; `add server` / `del server` replace the list.
    servers: RwLock<Arc<Vec<Arc<ServerRt>>>>,
    /// Shared with the backend of the same name in the next model (see [`FrontendRt::counters`]).
    pub counters: Arc<Counters>,
    /// Load-balancing cursor state; held only while picking a server.
    pub lb: Mutex<crate::proxy::balance::LbState>,
    /// Connections waiting for any server's slot. The lock is taken when a session queues and
    /// when one ends on a full server, never while forwarding.
    pub queue: WaitQueue,
    /// Connections waiting in the queues of this backend's servers, all together: while 0, a
    /// freed slot looks at the backend's queue only.
    pub server_waiters: AtomicU64,
    pub state: Mutex<BackendState>,
    pub has_http_check: bool,
}

#[derive(Debug)]
pub struct ProxyRt {
    pub name: String,
    pub id: u32,
    pub kind: ProxyKind,
    pub mode: Mode,
    pub frontend: Option<Arc<FrontendRt>>,
    pub backend: Option<Arc<BackendRt>>,
}

/// Process-wide figures for `show info`.
#[derive(Debug)]
pub struct GlobalRt {
    pub maxconn: AtomicU32,
    /// The configured (or derived) maxconn: `Hard_maxconn`, the ceiling of `set maxconn global`.
    pub hard_maxconn: AtomicU32,
    pub counters: Counters,
    pub started: Instant,
    pub started_unix: u64,
    pub node: String,
    pub description: Option<String>,
    pub nbthread: usize,
    pub ulimit_n: u64,
    pub reloads: AtomicU32,
    /// Every frontend's sessions draw from this too (`global maxconn`).
    pub slots: Arc<Semaphore>,
    /// Told of every change of `maxconn` (see [`FrontendRt::wake`]).
    pub wake: watch::Sender<()>,
    /// Sessions in progress, across reloads.
    pub sessions: Arc<sessions::SessionTable>,
    /// The configured rate limits, changed by `set rate-limit … global` and reloads.
    pub rate_limits: RateLimitsRt,
    /// Streams started: proxied connections, stats page requests and stats socket clients
    /// (HAProxy's `global.req_count`: `CumReq`, and `%rt` numbers from it).
    pub streams: AtomicU64,
}

/// [`config::RateLimits`] as the accept loops and `show info` read them while they change.
#[derive(Debug, Default)]
pub struct RateLimitsRt {
    pub conn: AtomicU32,
    pub sess: AtomicU32,
    pub ssl: AtomicU32,
    /// kB/s.
    pub comp: AtomicU32,
}

impl RateLimitsRt {
    pub fn set(&self, l: &config::RateLimits) {
        self.conn.store(l.conn, Relaxed);
        self.sess.store(l.sess, Relaxed);
        self.ssl.store(l.ssl, Relaxed);
        self.comp.store(l.comp, Relaxed);
    }
}

impl GlobalRt {
    /// `maxconn` (from `set maxconn global` or a reload) with its slots.
    pub fn set_maxconn(&self, v: u32) {
        let old = self.maxconn.swap(v, Relaxed);
        resize_slots(&self.slots, old, v);
        self.wake.send_replace(());
    }
}

impl FrontendRt {
    /// `maxconn` (from `set maxconn frontend`) with its slots.
    pub fn set_maxconn(&self, v: u32) {
        let old = self.maxconn.swap(v, Relaxed);
        resize_slots(&self.slots, old, v);
        self.wake.send_replace(());
    }

    /// `FE_OPEN`, `FE_PAUSED` or `FE_STOP`. The ports follow before this returns (paused and
    /// stopped ones refuse connections); the accept loops are woken to follow too, and a
    /// stopped one closes its socket.
    pub fn set_state(&self, state: u8) {
        self.state.store(state, Relaxed);
        if let Ok(sockets) = self.sockets.lock() {
            for port in sockets.iter().filter_map(Weak::upgrade) {
                port.follow(state);
            }
        }
        self.wake.send_replace(());
    }
}

/// A listening socket as its frontend's state changes see it: a duplicate of the accept
/// loop's descriptor (the loop owns the socket; this shares it), whether it listens now, and
/// how many times it was paused.
#[derive(Debug)]
pub struct Port {
    fd: std::os::fd::OwnedFd,
    listening: AtomicBool,
    pauses: AtomicU64,
    /// The `listen(2)` queue it was bound with, which resuming must give it again.
    backlog: i32,
}

impl Port {
    pub fn new(listener: &tokio::net::TcpListener, backlog: i32) -> std::io::Result<Port> {
        use std::os::fd::AsFd;
        Ok(Port {
            fd: listener.as_fd().try_clone_to_owned()?,
            listening: AtomicBool::new(true),
            pauses: AtomicU64::new(0),
            backlog,
        })
    }

    /// Times the socket stopped listening. A pause leaves a hang-up in the accept loop's
    /// readiness that tokio never clears, so after one the loop registers the socket afresh.
    pub fn pauses(&self) -> u64 {
        self.pauses.load(Acquire)
    }

    /// Follow a frontend state: `listen` when open; otherwise `shutdown(SHUT_RD)`, which on
    /// Linux stops listening (pending and new connections are refused) but keeps the address
    /// bound, so `listen` resumes it: HAProxy's `tcp_pause_listener`. A syscall only on a
    /// change: a second `shutdown` of a socket that no longer listens would mark it shut for
    /// reading, and the connections it accepts after `listen` would inherit that.
    pub fn follow(&self, state: u8) {
        use std::os::fd::AsRawFd;
        let want = state == FE_OPEN;
        if self.listening.swap(want, AcqRel) == want {
            return;
        }
        let fd = self.fd.as_raw_fd();
        // SAFETY: plain syscalls on a descriptor `self.fd` owns for the whole call.
        let rc = unsafe {
            if want {
                libc::listen(fd, self.backlog)
            } else {
                libc::shutdown(fd, libc::SHUT_RD)
            }
        };
        if rc != 0 {
            // The socket stays as it was (a paused one then keeps connections in its backlog).
            self.listening.store(!want, Release);
        } else if !want {
            self.pauses.fetch_add(1, AcqRel);
        }
    }
}

/// `listen(2)` backlog of the stats sockets listening on TCP.
pub const LISTEN_BACKLOG: i32 = 1024;

#[derive(Debug)]
pub struct Model {
    pub proxies: Vec<ProxyRt>,
    pub global: Arc<GlobalRt>,
    pub config: Config,
    /// Ends the check tasks of this model's servers (on reload and on exit), those of servers
    /// added at run time included.
    pub checks_stop: watch::Sender<bool>,
}

/// A proxy's log targets: the global ones with `log global`, and sockets of its own for its
/// own `log` lines (a listen section's frontend and backend each hold one; they send alike).
fn proxy_logs(config: &Config, p: &config::Proxy) -> ProxyLogs {
    let g = &config.global;
    ProxyLogs {
        global: p.log_global,
        own: (!p.logs.is_empty())
            .then(|| Logger::new(&p.logs, g.log_tag.as_deref(), g.log_hostname.as_deref())),
        tag: p.log_tag.clone(),
    }
}

impl Model {
    pub fn backend(&self, name: &str) -> Option<&Arc<BackendRt>> {
        self.proxies
            .iter()
            .filter_map(|p| p.backend.as_ref())
            .find(|b| b.name == name || id_matches(name, b.id))
    }

    pub fn frontend(&self, name: &str) -> Option<&Arc<FrontendRt>> {
        self.proxies
            .iter()
            .filter_map(|p| p.frontend.as_ref())
            .find(|f| f.name == name || id_matches(name, f.id))
    }

    pub fn backends(&self) -> impl Iterator<Item = &Arc<BackendRt>> {
        self.proxies.iter().filter_map(|p| p.backend.as_ref())
    }

    pub fn frontends(&self) -> impl Iterator<Item = &Arc<FrontendRt>> {
        self.proxies.iter().filter_map(|p| p.frontend.as_ref())
    }

    /// Gives every configured server the id this model's file gives it (after a reload that
    /// renumbered servers it shared with a model that was then not used).
    pub fn renumber_servers(&self) {
        for p in self.config.proxies.iter().filter(|p| p.kind.is_backend()) {
            let Some(be) = self.backend(&p.name) else {
                continue;
            };
            for s in &p.servers {
                if let Some(srv) = be.servers().iter().find(|r| r.name == s.name) {
                    srv.renumber(s.id);
                }
            }
        }
    }
}

/// `#<id>` names an object by its numeric id, as HAProxy's CLI allows.
fn id_matches(name: &str, id: u32) -> bool {
    name.strip_prefix('#')
        .and_then(|n| n.parse::<u32>().ok())
        .is_some_and(|n| n == id)
}

impl BackendRt {
    /// The servers in configuration order, dynamic ones last. A snapshot: a pick or a stats
    /// dump works on one consistent list while `add server` / `del server` replace it.
    pub fn servers(&self) -> Arc<Vec<Arc<ServerRt>>> {
        match self.servers.read() {
            Ok(list) => list.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Replace the server list (`add server`, `del server`) through `edit`, which sees the
    /// current list and returns the new one, or an answer for the operator.
    pub fn edit_servers(
        &self,
        edit: impl FnOnce(&[Arc<ServerRt>]) -> Result<Vec<Arc<ServerRt>>, String>,
    ) -> Result<(), String> {
        let mut list = match self.servers.write() {
            Ok(list) => list,
            Err(poisoned) => poisoned.into_inner(),
        };
        *list = Arc::new(edit(&list)?);
        Ok(())
    }

    pub fn server(&self, name: &str) -> Option<Arc<ServerRt>> {
        self.servers()
            .iter()
            .find(|s| s.name == name || id_matches(name, s.id()))
            .cloned()
    }

    /// Recompute the backend's up/down state after a server changed; returns true when the
    /// backend just lost its last usable server.
    pub fn refresh_state(&self) -> bool {
        let servers = self.servers();
        let any = servers.is_empty() || servers.iter().any(|s| s.is_usable());
        let Ok(mut st) = self.state.lock() else {
            return false;
        };
        if st.up == any {
            return false;
        }
        let now = Instant::now();
        if !st.up {
            let since = st.last_change;
            st.downtime += now.duration_since(since);
        } else {
            st.chkdown += 1;
        }
        st.up = any;
        st.last_change = now;
        !any
    }

    /// The state a backend starts in: down when every server starts disabled, which HAProxy
    /// does not count as a transition (`chkdown` 0). Tracking, linked afterwards, goes through
    /// [`Self::refresh_state`] and is counted, as in HAProxy.
    fn settle_state(&self) {
        let servers = self.servers();
        let any = servers.is_empty() || servers.iter().any(|s| s.is_usable());
        if let Ok(mut st) = self.state.lock() {
            st.up = any;
        }
    }

    /// Usable active and backup servers, and the weights of those in use (actives, else every
    /// backup with `option allbackups`, else the first backup, as HAProxy's
    /// `update_backend_weight`): effective (HAProxy's `weight` column, rounded up to whole
    /// points) and user.
    pub fn usable_counts(&self) -> (u32, u32, Weights) {
        let dynamic = !self.balance.is_static();
        let (mut act, mut bck) = (0, 0);
        let (mut act_w, mut bck_w, mut first_w) =
            (Weights::default(), Weights::default(), Weights::default());
        for s in self.servers().iter() {
            if s.is_usable() {
                let (n, w) = if s.backup {
                    (&mut bck, &mut bck_w)
                } else {
                    (&mut act, &mut act_w)
                };
                *n += 1;
                let one = Weights {
                    effective: s.eweight(dynamic),
                    user: s.weight.load(Relaxed),
                };
                w.effective += one.effective;
                w.user += one.user;
                if s.backup && bck == 1 {
                    first_w = one;
                }
            }
        }
        let mut used: Weights = match (act > 0, self.all_backups) {
            (true, _) => act_w,
            (false, true) => bck_w,
            (false, false) => first_w,
        };
        let scale = if dynamic { server::WEIGHT_SCALE } else { 1 };
        used.effective = used.effective.div_ceil(scale);
        (act, bck, used)
    }
}

/// A backend's weights (see [`BackendRt::usable_counts`]).
#[derive(Debug, Default, Clone, Copy)]
pub struct Weights {
    pub effective: u64,
    pub user: u32,
}

pub const DEFAULT_MAXCONN_FALLBACK: u32 = 4096;

/// HAProxy 2.6 derives `maxconn` from the fd limit when the configuration sets none
/// (`compute_ideal_maxconn`): from `ulimit-n` it subtracts 20 reserved descriptors, one per
/// listener and per health-checked server, and three per thread (poller and wake-up pipe), then
/// halves the rest, since a proxied connection holds two sockets.
pub fn derived_maxconn(ulimit_n: u64, nbthread: usize, listeners_and_checks: u64) -> u32 {
    if ulimit_n == 0 {
        return DEFAULT_MAXCONN_FALLBACK;
    }
    let reserved = 20 + 3 * nbthread as u64 + listeners_and_checks;
    (ulimit_n.saturating_sub(reserved) / 2).clamp(1, 1_000_000) as u32
}

/// Listening sockets (stats sockets and every bind address) and checked servers: the
/// descriptors HAProxy sets aside before sizing `maxconn`.
fn fixed_fds(config: &Config) -> u64 {
    let sockets = config.global.stats_sockets.len();
    let binds: usize = config
        .proxies
        .iter()
        .flat_map(|p| p.binds.iter())
        .map(|b| b.addrs.len())
        .sum();
    let checks = config
        .proxies
        .iter()
        .flat_map(|p| p.servers.iter())
        .filter(|s| s.check.is_some())
        .count();
    (sockets + binds + checks) as u64
}

pub fn fd_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes into the struct we pass.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
    if rc == 0 {
        lim.rlim_cur
    } else {
        0
    }
}

impl Model {
    /// Build the running topology. `previous` carries server state (admin flags, weights,
    /// health, counters) across a reload for servers that keep their backend and name.
    pub fn build(config: Config, previous: Option<&Model>) -> Model {
        let ulimit_n = fd_limit();
        let nbthread = config.global.nbthread.unwrap_or_else(default_threads);
        let maxconn = config
            .global
            .maxconn
            .unwrap_or_else(|| derived_maxconn(ulimit_n, nbthread, fixed_fds(&config)));
        let global = match previous {
            Some(prev) => {
                prev.global.set_maxconn(maxconn);
                prev.global.hard_maxconn.store(maxconn, Relaxed);
                prev.global.rate_limits.set(&config.global.rate_limits);
                prev.global.wake.send_replace(());
                prev.global.clone()
            }
            None => Arc::new(GlobalRt {
                maxconn: AtomicU32::new(maxconn),
                hard_maxconn: AtomicU32::new(maxconn),
                counters: Counters::new(),
                started: Instant::now(),
                started_unix: counters::unix_now(),
                node: config.global.node.clone().unwrap_or_else(hostname),
                description: config.global.description.clone(),
                nbthread,
                ulimit_n,
                reloads: AtomicU32::new(0),
                slots: Arc::new(Semaphore::new(maxconn as usize)),
                wake: watch::Sender::new(()),
                sessions: Arc::default(),
                streams: AtomicU64::new(0),
                rate_limits: {
                    let r = RateLimitsRt::default();
                    r.set(&config.global.rate_limits);
                    r
                },
            }),
        };

        let mut backends: Vec<(String, Arc<BackendRt>)> = Vec::new();
        for p in config.proxies.iter().filter(|p| p.kind.is_backend()) {
            let logs = proxy_logs(&config, p);
            let prev_be = previous.and_then(|m| m.backend(&p.name)).cloned();
            let servers: Vec<Arc<ServerRt>> = p
                .servers
                .iter()
                .map(|s| {
                    match prev_be
                        .as_ref()
                        .and_then(|b| b.server(&s.name))
                        .filter(|old| !old.dynamic && same_server(old, s))
                    {
                        Some(old) => {
                            old.renumber(s.id);
                            old
                        }
                        None => Arc::new(ServerRt::new(s)),
                    }
                })
                .collect();
            let fullconn = p.fullconn.unwrap_or_else(|| {
                // 10% of the sum of maxconn of the frontends that use this backend, min 1.
                let sum: u64 = config
                    .proxies
                    .iter()
                    .filter(|f| {
                        f.kind.is_frontend()
                            && (f.default_backend.as_deref() == Some(&p.name)
                                || (f.kind == ProxyKind::Listen && f.name == p.name))
                    })
                    .map(|f| f.maxconn.unwrap_or(maxconn) as u64)
                    .sum();
                sum.div_ceil(10).max(1) as u32
            });
            let be = Arc::new(BackendRt {
                name: p.name.clone(),
                id: p.id,
                mode: p.mode,
                balance: p.balance,
                timeouts: p.timeouts.clone(),
                retries: p.retries,
                redispatch: p.redispatch,
                all_backups: p.all_backups,
                abort_on_close: p.abort_on_close,
                log_health_checks: p.log_health_checks,
                nolinger: p.nolinger,
                tcpka: p.srv_tcpka.then_some(p.srv_ka),
                logs: logs.clone(),
                fullconn,
                lb: Mutex::new(crate::proxy::balance::LbState::default()),
                servers: RwLock::new(Arc::new(servers)),
                counters: prev_be
                    .as_ref()
                    .map(|b| b.counters.clone())
                    .unwrap_or_else(|| Arc::new(Counters::new())),
                queue: WaitQueue::default(),
                server_waiters: AtomicU64::new(0),
                state: Mutex::new(BackendState {
                    up: true,
                    last_change: Instant::now(),
                    downtime: Duration::ZERO,
                    chkdown: 0,
                }),
                has_http_check: p.http_check.is_some(),
            });
            for s in be.servers().iter() {
                s.attach(&be.counters, be.fullconn);
            }
            be.settle_state();
            // HAProxy builds its balancing trees before tracking is linked.
            if let Ok(mut lb) = be.lb.lock() {
                lb.start(be.balance, be.all_backups, &be.servers());
            }
            backends.push((p.name.clone(), be));
        }
        link_tracks(&backends);
        for (_, be) in &backends {
            be.refresh_state();
        }

        let mut proxies = Vec::new();
        for p in &config.proxies {
            let backend = if p.kind.is_backend() {
                backends
                    .iter()
                    .find(|(n, _)| n == &p.name)
                    .map(|(_, b)| b.clone())
            } else {
                None
            };
            let frontend = if p.kind.is_frontend() {
                let target = if p.kind == ProxyKind::Listen && !p.servers.is_empty() {
                    backend.clone()
                } else {
                    p.default_backend
                        .as_ref()
                        .and_then(|n| backends.iter().find(|(bn, _)| bn == n))
                        .map(|(_, b)| b.clone())
                        .or_else(|| {
                            (p.kind == ProxyKind::Listen)
                                .then(|| backend.clone())
                                .flatten()
                        })
                };
                let fe_maxconn = p.maxconn.unwrap_or(maxconn);
                let prev_fe = previous.and_then(|m| m.frontend(&p.name));
                // Sessions still running hold permits of the previous semaphore: keep it (resized)
                // so `maxconn` counts old and new sessions together.
                let (counters, slots) = match prev_fe {
                    Some(old) => {
                        resize_slots(&old.slots, old.maxconn.load(Relaxed), fe_maxconn);
                        (old.counters.clone(), old.slots.clone())
                    }
                    None => (
                        Arc::new(Counters::new()),
                        Arc::new(Semaphore::new(fe_maxconn as usize)),
                    ),
                };
                // A frontend with somewhere to log: its own targets or `log global`.
                let logged = (p.log_global && !config.global.logs.is_empty()) || !p.logs.is_empty();
                Some(Arc::new(FrontendRt {
                    name: p.name.clone(),
                    id: p.id,
                    mode: p.mode,
                    binds: p.binds.clone(),
                    maxconn: AtomicU32::new(fe_maxconn),
                    sess_rate_limit: p.sess_rate_limit,
                    backend: target,
                    counters,
                    slots,
                    state: AtomicU8::new(FE_OPEN),
                    wake: watch::Sender::new(()),
                    is_listen: p.kind == ProxyKind::Listen,
                    sockets: Mutex::new(Vec::new()),
                    timeouts: p.timeouts.clone(),
                    stats: p.stats.clone(),
                    tcplog: (p.tcplog || p.log_format.is_some()) && logged,
                    log_format: p.log_format.clone(),
                    logasap: p.logasap,
                    log_count: AtomicU64::new(0),
                    connect_log: logged && !p.tcplog && p.log_format.is_none() && !p.httplog,
                    tcpka: p.cli_tcpka.then_some(p.cli_ka),
                    logs: proxy_logs(&config, p),
                    log_filter: p.log_filter,
                }))
            } else {
                None
            };
            proxies.push(ProxyRt {
                name: p.name.clone(),
                id: p.id,
                kind: p.kind,
                mode: p.mode,
                frontend,
                backend,
            });
        }
        Model {
            proxies,
            global,
            config,
            checks_stop: watch::Sender::new(false),
        }
    }
}

/// Grow or shrink a connection-slot semaphore from `old` to `new` permits. Shrinking takes only
/// free permits; the rest are taken as they come back, so the limit converges without ever
/// closing a running session.
fn resize_slots(slots: &Arc<Semaphore>, old: u32, new: u32) {
    if new > old {
        slots.add_permits((new - old) as usize);
    } else if new < old {
        let excess = old - new;
        let taken = slots.forget_permits(excess as usize) as u32;
        let rest = excess - taken;
        if rest > 0 {
            // Queue for the rest now, not when a task first runs: the semaphore is fair, so the
            // permits that sessions (or an accept loop told to look again) give back from here
            // on pay this debt before anyone else gets one.
            let mut debt = Box::pin(slots.clone().acquire_many_owned(rest));
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            match std::future::Future::poll(debt.as_mut(), &mut cx) {
                std::task::Poll::Ready(Ok(p)) => p.forget(),
                std::task::Poll::Ready(Err(_)) => {}
                std::task::Poll::Pending => {
                    if let Ok(handle) = tokio::runtime::Handle::try_current() {
                        handle.spawn(async move {
                            if let Ok(p) = debt.await {
                                p.forget();
                            }
                        });
                    }
                }
            }
        }
    }
}

/// A server keeps its run-time state across a reload only if what it points at is unchanged.
/// A reload keeps a running server (its state, counters and sessions) only when nothing of its
/// configuration changed; otherwise it starts afresh with the new settings, as every server
/// does after an HAProxy reload (a new `maxconn` or check URI must apply).
fn same_server(old: &ServerRt, new: &config::Server) -> bool {
    old.configured_as(new)
}

/// Point each tracking server at the server it follows and back (a reload may have replaced
/// either), then give the trackers their servers' states.
fn link_tracks(backends: &[(String, Arc<BackendRt>)]) {
    let servers: Vec<(&Arc<BackendRt>, Arc<ServerRt>)> = backends
        .iter()
        .flat_map(|(_, be)| {
            be.servers()
                .iter()
                .map(move |s| (be, s.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    for (_, s) in &servers {
        if let Ok(mut l) = s.links.lock() {
            *l = server::TrackLinks::default();
        }
    }
    for (be, s) in &servers {
        let Some((tb, ts)) = s.track.as_deref().and_then(|t| t.split_once('/')) else {
            continue;
        };
        let Some((_, target)) = servers.iter().find(|(b, x)| b.name == tb && x.name == ts) else {
            continue;
        };
        link_track(be, s, target);
    }
    // From the ends of the chains down: each root hands its state on.
    for (be, s) in servers.iter().filter(|(_, s)| s.track.is_none()) {
        events::follow(be, s, None, events::Propagate::All);
    }
}

/// Points `srv` (of `be`) at the server it tracks, and that server back at it.
pub fn link_track(be: &Arc<BackendRt>, srv: &Arc<ServerRt>, target: &Arc<ServerRt>) {
    if let Ok(mut l) = srv.links.lock() {
        l.target = Arc::downgrade(target);
    }
    if let Ok(mut l) = target.links.lock() {
        l.trackers.push((Arc::downgrade(be), Arc::downgrade(srv)));
    }
    target.pinned.store(true, Relaxed);
}

fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

pub fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes into buf.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return String::new();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}
