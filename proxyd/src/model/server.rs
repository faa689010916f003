//! A server at run time: its configuration, counters, and the state that checks and the runtime
//! API change (operational state, health counter, admin flags, weight).
//!
//! The data path reads only `usable` and `weight` (atomics); everything else sits behind a
//! mutex that is taken on state changes and by stats readers, never per byte.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::OnceLock;
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use runtime_api::status::CheckStatus;
use tokio::sync::watch;

use super::counters::Counters;
use super::BackendRt;
use crate::check::{self, CheckOutcome, Health, OpState};
use crate::config::{self, CheckSpec, PoolSettings};

/// HAProxy's `BE_WEIGHT_SCALE`: dynamic algorithms count weights in sixteenths.
pub const WEIGHT_SCALE: u64 = 16;

/// Whole seconds on a monotonic clock that starts with the process: `slowstart` steps by
/// seconds, as HAProxy's does.
pub fn clock_secs() -> u64 {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    ORIGIN.get_or_init(Instant::now).elapsed().as_secs()
}

/// `server_recalc_eweight` during `slowstart`: `(16 × elapsed + slowstart) / slowstart`
/// sixteenths per point of user weight, all in whole seconds.
fn warming_eweight(uweight: u64, slowstart: u64, elapsed: u64) -> u64 {
    uweight * ((WEIGHT_SCALE * elapsed + slowstart) / slowstart)
}

/// `server_throttle_rate`: the effective weight as a percentage of the full one.
fn throttle_pct(eweight: u64, uweight: u64) -> u32 {
    ((100 * eweight + WEIGHT_SCALE - 1) / (WEIGHT_SCALE * uweight)) as u32
}

/// Administrative flags (`srv_admin_state` bits).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Admin {
    /// Forced maintenance (`disable server`, `state maint`).
    pub fmaint: bool,
    /// Maintenance inherited from the tracked server.
    pub imaint: bool,
    /// Maintenance from the configuration (`disabled`).
    pub cmaint: bool,
    /// Forced drain (`state drain`).
    pub fdrain: bool,
    /// Drain inherited from the tracked server.
    pub idrain: bool,
}

impl Admin {
    pub fn maint(self) -> bool {
        self.fmaint || self.imaint || self.cmaint
    }
    pub fn drain(self) -> bool {
        self.fdrain || self.idrain
    }
    /// The bitmask printed by `show servers state` (HAProxy's `SRV_ADMF_*`).
    pub fn bits(self) -> u32 {
        (self.fmaint as u32)
            | (self.imaint as u32) << 1
            | (self.cmaint as u32) << 2
            | (self.fdrain as u32) << 3
            | (self.idrain as u32) << 4
    }
    /// `via` is the tracked server (`backend/server`): inherited maintenance names it.
    fn as_check_admin(self, via: Option<&str>) -> check::Admin {
        match via.and_then(|v| v.split_once('/')) {
            Some((backend, server)) if self.imaint => check::Admin::MaintVia {
                backend: backend.to_string(),
                server: server.to_string(),
            },
            _ if self.maint() => check::Admin::Maint,
            _ if self.drain() => check::Admin::Drain,
            _ => check::Admin::Ready,
        }
    }
}

#[derive(Debug)]
pub struct ServerState {
    pub admin: Admin,
    /// Health counter and operational state. Unchecked servers keep one too (rise = fall = 1):
    /// `set server ... health down` applies to them as well.
    pub health: Health,
    /// A check is configured and not disabled with `disable health`.
    pub check_enabled: bool,
    /// A check is running right now (`* ` prefix on `check_status`).
    pub check_running: bool,
    /// Checks paused by an entry into maintenance (HAProxy's `CHK_ST_PAUSED`): a server added
    /// in maintenance with `add server` never entered it, so its checks are not paused.
    pub check_paused: bool,
    /// The health counter HAProxy keeps (and `show servers state` prints) for a server without
    /// a check: its default rise at start ([`UNCHECKED_HEALTH`], 0 for a server added at run
    /// time), 0 once it went down for maintenance or was forced down, the top of the scale
    /// ([`UNCHECKED_FORCED_UP`]) once forced up or stopping. Leaving maintenance keeps it.
    pub unchecked_health: u32,
    /// The health counter `show servers state` shows in maintenance: 0, unless saved states
    /// restored one to a server the configuration keeps in maintenance (HAProxy zeroes it on
    /// entering maintenance, and that server entered before the restore).
    pub maint_health: u32,
    /// The last finished check; None until the first one (`INI`).
    pub last_check: Option<CheckOutcome>,
    /// Current user weight (`set weight` changes it).
    pub uweight: u32,
    pub chkfail: u64,
    pub chkdown: u64,
    pub last_change: Instant,
    /// Accumulated time spent stopped, not counting the current stop.
    pub downtime: Duration,
    /// Whether the server counted as stopped at `last_change` (for `downtime`).
    stopped: bool,
}

impl ServerState {
    /// Restart `lastchg` for a change that is not a start or stop (entering or leaving
    /// drain); time spent stopped so far still counts in `downtime`.
    pub fn restart_lastchg(&mut self) {
        let now = Instant::now();
        if self.stopped {
            self.downtime += now.duration_since(self.last_change);
        }
        self.last_change = now;
    }

    /// `lastchg` as a previous process saved it: the last change was `ago`, and a server
    /// stopped now has been since then (HAProxy restores no other downtime).
    pub fn restore_lastchg(&mut self, ago: Duration) {
        let now = Instant::now();
        // The monotonic clock starts at boot; a saved age older than that is shown from boot.
        self.last_change = now.checked_sub(ago).unwrap_or_else(|| {
            let mut earliest = now;
            let mut step = ago;
            while !step.is_zero() {
                step /= 2;
                if let Some(t) = earliest.checked_sub(step) {
                    earliest = t;
                }
            }
            earliest
        });
        self.downtime = Duration::ZERO;
    }

    pub fn check_status(&self) -> CheckStatus {
        self.last_check
            .as_ref()
            .map_or(CheckStatus::Init, |c| c.status)
    }

    /// Stopped for routing and accounting: down by checks, or in maintenance.
    pub fn is_stopped(&self) -> bool {
        self.admin.maint() || self.health.state() == OpState::Stopped
    }
}

/// Why a server's sessions were ended from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Killed,
    ServerDown,
}

#[derive(Debug)]
pub struct ServerRt {
    pub name: String,
    /// The `sid` column and `#N` in commands; a reload that keeps the server renumbers it as
    /// the new file numbers it ([`ServerRt::renumber`]).
    id: AtomicU32,
    pub host: String,
    /// Where connections go; `set server … addr` changes it while running.
    dest: RwLock<Dest>,
    /// The check's own address and port (`addr`, `port`; `set server … check-addr|check-port`
    /// change them while running), each `None` to follow [`ServerRt::addr`].
    check_dest: RwLock<CheckDest>,
    pub backup: bool,
    pub iweight: u32,
    /// 0 = unlimited. Atomic because `set maxconn server` changes it at run time.
    pub maxconn: AtomicU32,
    /// `minconn` (equal to `maxconn` when not configured): see [`ServerRt::current_maxconn`].
    pub minconn: u32,
    /// What HAProxy's dynamic limit reads of the backend: its sessions and its `fullconn`.
    /// Set when the server joins the backend (and again at each reload that keeps it).
    backend_sessions: OnceLock<Arc<Counters>>,
    fullconn: AtomicU32,
    /// The configuration the server was built from (its line, its checks), hashed: a reload
    /// keeps the running server only when that did not change.
    config_hash: u64,
    pub maxqueue: u32,
    pub shutdown_on_down: bool,
    pub check: Option<CheckSpec>,
    pub counters: Counters,
    pub state: Mutex<ServerState>,
    /// Eligible for new load-balanced connections. Derived from `state` on every change so the
    /// data path never takes the state lock.
    pub usable: AtomicBool,
    /// The user weight (`uweight`); [`ServerRt::eweight`] is what balancing uses.
    pub weight: AtomicU32,
    /// `slowstart` in seconds (0 = none).
    pub slowstart: u32,
    pub pool: PoolSettings,
    /// While warming up after coming back: 1 + the second (on [`clock_secs`]) it came back;
    /// 0 otherwise. Read by the data path, so an atomic beside the state.
    warming_since: AtomicU64,
    /// Bumped to close every session of this server (`shutdown sessions`, on-marked-down).
    pub kill: watch::Sender<u64>,
    /// Added with `add server` (HAProxy's dynamic server), not read from the configuration.
    pub dynamic: bool,
    /// The id `hash-type consistent` places this server's points by: its id, but 0 for a
    /// server added at run time without `id`, whose points HAProxy 2.6 computes before it
    /// assigns the id.
    ring_id: AtomicU32,
    /// Connections waiting for this server in particular (its balancing named it; see
    /// [`crate::proxy::queue`]).
    pub queue: super::WaitQueue,
    /// Removed with `del server`: its check task ends.
    pub deleted: AtomicBool,
    /// Some server tracks or tracked it: HAProxy then refuses to delete it, even once the
    /// tracking server is gone (`SRV_F_NON_PURGEABLE`).
    pub pinned: AtomicBool,
    /// A connection to it was attempted at least once (HAProxy's `est_need_conns` in TCP mode:
    /// set by the first connection, never cleared, not even by `clear counters all`).
    pub connected_once: AtomicBool,
    /// `track`: the server whose state this one takes (`backend/server`, the `tracked` column).
    pub track: Option<String>,
    /// Who tracks whom in the running model; set when the model is built.
    pub links: Mutex<TrackLinks>,
}

/// The server's configuration, hashed through its `Debug` form (its checks hold regular
/// expressions, which have no equality): everything but where it sits, its line and its
/// position-given id, so a comment added above it or a server removed before it changes
/// nothing.
fn config_hash(cfg: &config::Server) -> u64 {
    use std::hash::{Hash, Hasher};
    let unplaced = config::Server {
        line: 0,
        id: 0,
        ..cfg.clone()
    };
    let mut h = std::collections::hash_map::DefaultHasher::new();
    format!("{unplaced:?}").hash(&mut h);
    h.finish()
}

/// A small value read whole under its lock (a panic elsewhere cannot leave it half-written).
fn read_value<T: Copy>(lock: &RwLock<T>) -> T {
    lock.read().map(|v| *v).unwrap_or_else(|e| *e.into_inner())
}

fn write_value<T: Copy>(lock: &RwLock<T>, value: T) {
    match lock.write() {
        Ok(mut v) => *v = value,
        Err(e) => *e.into_inner() = value,
    }
}

/// Where a server's checks go when not where its traffic goes; port 0 means the server's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckDest {
    pub addr: Option<IpAddr>,
    pub port: Option<u16>,
}

/// Where a server's connections go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dest {
    pub addr: SocketAddr,
    /// See [`config::Server::port_map`].
    pub port_map: Option<i32>,
}

/// `DEF_RISETIME`: the health HAProxy gives a server without a check.
pub const UNCHECKED_HEALTH: u32 = 2;
/// `DEF_RISETIME + DEF_FALLTIME - 1`: its health once forced up or stopping.
pub const UNCHECKED_FORCED_UP: u32 = 4;

/// The tracked server, and the servers (with their backends) that track this one. Weak both
/// ways: a reload that drops one side leaves nothing alive.
#[derive(Debug, Default)]
pub struct TrackLinks {
    pub target: Weak<ServerRt>,
    pub trackers: Vec<(Weak<BackendRt>, Weak<ServerRt>)>,
}

impl ServerRt {
    pub fn new(cfg: &config::Server) -> ServerRt {
        let health = match &cfg.check {
            Some(spec) => Health::from_spec(spec),
            None => Health::new(1, 1),
        };
        let admin = Admin {
            fmaint: cfg.disabled,
            cmaint: cfg.disabled,
            ..Admin::default()
        };
        let state = ServerState {
            admin,
            health,
            check_enabled: cfg.check.is_some(),
            check_running: false,
            check_paused: cfg.disabled,
            unchecked_health: UNCHECKED_HEALTH,
            maint_health: 0,
            last_check: None,
            uweight: cfg.weight,
            chkfail: 0,
            chkdown: 0,
            last_change: Instant::now(),
            downtime: Duration::ZERO,
            stopped: cfg.disabled,
        };
        let (kill, _) = watch::channel(0);
        let srv = ServerRt {
            name: cfg.name.clone(),
            id: AtomicU32::new(cfg.id),
            host: cfg.host.clone(),
            dest: RwLock::new(Dest {
                addr: cfg.addr,
                port_map: cfg.port_map,
            }),
            check_dest: RwLock::new(CheckDest {
                addr: cfg.check.as_ref().and_then(|c| c.addr_set),
                port: cfg.check.as_ref().and_then(|c| c.port_set),
            }),
            backup: cfg.backup,
            iweight: cfg.weight,
            maxconn: AtomicU32::new(cfg.maxconn),
            minconn: cfg.minconn,
            backend_sessions: OnceLock::new(),
            fullconn: AtomicU32::new(0),
            config_hash: config_hash(cfg),
            maxqueue: cfg.maxqueue,
            shutdown_on_down: cfg.shutdown_on_down,
            check: cfg.check.clone(),
            counters: Counters::new(),
            state: Mutex::new(state),
            usable: AtomicBool::new(false),
            weight: AtomicU32::new(cfg.weight),
            kill,
            dynamic: false,
            ring_id: AtomicU32::new(cfg.id),
            queue: super::WaitQueue::default(),
            deleted: AtomicBool::new(false),
            connected_once: AtomicBool::new(false),
            pinned: AtomicBool::new(false),
            track: cfg.track.clone(),
            links: Mutex::default(),
            slowstart: cfg.slowstart,
            pool: cfg.pool,
            warming_since: AtomicU64::new(0),
        };
        if let Ok(mut st) = srv.state.lock() {
            srv.publish(&mut st);
        }
        srv
    }

    /// A server added with `add server`: in forced maintenance until `enable server`, its check
    /// (if any) off until `enable health`, as HAProxy starts them.
    pub fn new_dynamic(cfg: &config::Server) -> ServerRt {
        let mut srv = ServerRt::new(cfg);
        srv.dynamic = true;
        if let Ok(st) = srv.state.get_mut() {
            st.admin.fmaint = true;
            st.unchecked_health = 0;
            st.check_enabled = false;
            st.check_paused = false;
            st.stopped = true;
        }
        if let Ok(mut st) = srv.state.lock() {
            srv.publish(&mut st);
        }
        srv
    }

    pub fn id(&self) -> u32 {
        self.id.load(Relaxed)
    }

    pub fn ring_id(&self) -> u32 {
        self.ring_id.load(Relaxed)
    }

    /// A server added at run time without `id`: HAProxy 2.6 computes its ring points before
    /// it assigns the id.
    pub fn unplaced_on_ring(&mut self) {
        *self.ring_id.get_mut() = 0;
    }

    /// Kept across a reload: it takes the id the new file gives it, as every server of
    /// HAProxy's new process does.
    pub fn renumber(&self, id: u32) {
        self.id.store(id, Relaxed);
        self.ring_id.store(id, Relaxed);
    }

    pub fn rise(&self) -> u32 {
        self.check.as_ref().map_or(1, |c| c.rise)
    }
    pub fn fall(&self) -> u32 {
        self.check.as_ref().map_or(1, |c| c.fall)
    }

    /// Recompute what the data path reads from the full state, and keep `lastchg`,
    /// `downtime` and `chkdown` right when the server starts or stops.
    pub fn publish(&self, st: &mut ServerState) {
        let stopped = st.is_stopped();
        if stopped != st.stopped {
            let now = Instant::now();
            if st.stopped {
                st.downtime += now.duration_since(st.last_change);
            } else {
                st.chkdown += 1;
            }
            st.stopped = stopped;
            st.last_change = now;
            // HAProxy's SRV_ST_STARTING: back from down or maintenance, never at start.
            let since = if !stopped && self.slowstart > 0 {
                clock_secs() + 1
            } else {
                0
            };
            self.warming_since.store(since, Relaxed);
        }
        let usable = !stopped
            && st.health.state() == OpState::Running
            && !st.admin.drain()
            && st.uweight > 0;
        self.weight.store(st.uweight, Relaxed);
        self.usable.store(usable, Relaxed);
    }

    /// Whole seconds since the server came back, while `slowstart` is not over.
    pub fn warming(&self) -> Option<u64> {
        let since = self.warming_since.load(Relaxed);
        if since == 0 {
            return None;
        }
        let elapsed = clock_secs().saturating_sub(since - 1);
        (elapsed < u64::from(self.slowstart)).then_some(elapsed)
    }

    /// HAProxy's effective weight (`server_recalc_eweight`), in its units: 1/16 of a weight
    /// point (`BE_WEIGHT_SCALE`) with a dynamic algorithm, where `slowstart` throttles it, whole
    /// points with a static one.
    pub fn eweight(&self, dynamic: bool) -> u64 {
        let uw = u64::from(self.weight.load(Relaxed));
        if !dynamic {
            return uw;
        }
        match self.warming() {
            Some(elapsed) => warming_eweight(uw, u64::from(self.slowstart), elapsed),
            None => uw * WEIGHT_SCALE,
        }
    }

    /// The `throttle` column: how far into `slowstart` the weight is, in percent.
    pub fn throttle(&self, dynamic: bool) -> Option<u32> {
        self.warming()?;
        let uw = u64::from(self.weight.load(Relaxed));
        if uw == 0 || !dynamic {
            return Some(100);
        }
        Some(throttle_pct(self.eweight(true), uw))
    }

    /// Where the server serves: the backend's sessions and `fullconn`, for the dynamic limit.
    pub fn attach(&self, backend: &Arc<Counters>, fullconn: u32) {
        let _ = self.backend_sessions.set(backend.clone());
        self.fullconn.store(fullconn, Relaxed);
    }

    /// The reload's configuration for this server is the one it runs with.
    pub fn configured_as(&self, cfg: &config::Server) -> bool {
        self.config_hash == config_hash(cfg)
    }

    /// The connection limit now (`srv_dynamic_maxconn`); 0 = unlimited. With `minconn` below
    /// `maxconn` it follows the backend's load: `maxconn × sessions / fullconn`, never under
    /// `minconn`, `maxconn` once the backend holds `fullconn` sessions. During `slowstart` it
    /// grows from 1 to that.
    pub fn current_maxconn(&self) -> u32 {
        let mut max = self.maxconn.load(Relaxed);
        if let Some(be) = self.backend_sessions.get() {
            let beconn = be.scur.load(Relaxed);
            let full = u64::from(self.fullconn.load(Relaxed));
            if beconn < full && self.minconn != max {
                max = (beconn * u64::from(max) / full).max(u64::from(self.minconn)) as u32;
            }
        }
        match self.warming() {
            Some(elapsed) if max > 0 => {
                let ratio = 100 * elapsed / u64::from(self.slowstart);
                ((u64::from(max) * ratio / 100) as u32).max(1)
            }
            _ => max,
        }
    }

    pub fn is_usable(&self) -> bool {
        self.usable.load(Relaxed)
    }

    /// Up whatever the weight or drain (`show stat up`, the backend's `(n/m)`).
    pub fn is_running(st: &ServerState) -> bool {
        !st.is_stopped()
    }

    /// Close every established session of this server.
    /// `why` is what the log's termination state will say: sessions `killed` by an admin
    /// (`K`) or ended because the server went down (`D`, `on-marked-down shutdown-sessions`).
    /// It travels in the signal's lowest bit; the rest counts the orders.
    pub fn kill_sessions(&self, why: Ended) {
        self.kill
            .send_modify(|g| *g = (g.wrapping_add(2) & !1) | (why == Ended::ServerDown) as u64);
    }

    /// Wake this server's sessions without ending them: the one `shutdown session` marked in
    /// the session table ends, the others go on.
    pub fn wake_sessions(&self) {
        self.kill.send_modify(|_| {});
    }

    /// Apply one finished check (HAProxy's `set_server_check_status`). Returns the transition
    /// it caused, if any.
    pub fn apply_check(
        &self,
        st: &mut ServerState,
        outcome: CheckOutcome,
    ) -> Option<check::Transition> {
        let status = outcome.status;
        st.last_check = Some(outcome);
        st.check_running = false;
        if st.admin.maint() || !st.check_enabled {
            return None;
        }
        let step = st.health.apply_step(status);
        if step.failure_counted {
            st.chkfail += 1;
        }
        self.publish(st);
        step.transition
    }

    /// Enter or leave forced maintenance (`state maint` / `state ready`).
    /// Enter or leave forced maintenance. `tracked` is the operational state of the server this
    /// one tracks, read by the caller (this server's state is locked here, and the tracked one's
    /// must not be locked under it): a tracking server leaves maintenance in that state.
    pub fn set_maint(&self, st: &mut ServerState, on: bool, tracked: Option<OpState>) {
        st.check_paused = on;
        st.maint_health = 0;
        if on {
            if !st.admin.maint() && st.health.state() != OpState::Stopped {
                st.unchecked_health = 0;
            }
            st.admin.fmaint = true;
            // HAProxy's srv_adm_set_maint() clears a forced drain, without a word about it.
            st.admin.fdrain = false;
        } else {
            st.admin.fmaint = false;
            st.admin.cmaint = false;
            match tracked {
                Some(op) => {
                    st.health.force(crate::model::events::forced(op));
                }
                // Back to health = rise, as at start: one failure then means DOWN.
                None => st.health.reset(),
            }
        }
        self.publish(st);
    }

    /// Where a session's connection goes: the server's address, or with mapped ports its IP
    /// and the port the client connected to (`local_port`) plus the offset (wrapping like
    /// HAProxy's 16 bits).
    pub fn connect_addr(&self, local_port: u16) -> SocketAddr {
        let dest = self.dest();
        match dest.port_map {
            None => dest.addr,
            Some(offset) => {
                let port = local_port;
                SocketAddr::new(dest.addr.ip(), (i32::from(port) + offset) as u16)
            }
        }
    }

    /// Where connections go now.
    pub fn dest(&self) -> Dest {
        read_value(&self.dest)
    }

    pub fn set_dest(&self, dest: Dest) {
        write_value(&self.dest, dest);
    }

    /// The server's IP address (and its port, 0 with mapped ports).
    pub fn addr(&self) -> SocketAddr {
        self.dest().addr
    }

    /// Where this server's checks connect: their own address and port, else where its traffic
    /// goes (which `set server … addr` may have changed since the configuration was read).
    pub fn check_target(&self) -> Option<SocketAddr> {
        self.check.as_ref()?;
        let own = self.check_dest();
        let addr = self.addr();
        Some(SocketAddr::new(
            own.addr.unwrap_or(addr.ip()),
            own.port.filter(|&p| p != 0).unwrap_or(addr.port()),
        ))
    }

    pub fn check_dest(&self) -> CheckDest {
        read_value(&self.check_dest)
    }

    pub fn set_check_dest(&self, dest: CheckDest) {
        write_value(&self.check_dest, dest);
    }

    /// The port as HAProxy prints it in `show servers state` and `show servers conn`: the
    /// service port, or the offset of mapped ports as an unsigned 32-bit number.
    pub fn port_field(&self) -> u32 {
        let dest = self.dest();
        match dest.port_map {
            None => u32::from(dest.addr.port()),
            Some(offset) => offset as u32,
        }
    }

    /// The `addr` column: `IP:PORT`, with mapped ports the signed offset (`127.0.0.1:-1`).
    pub fn addr_text(&self) -> String {
        let dest = self.dest();
        match dest.port_map {
            None => dest.addr.to_string(),
            Some(offset) => {
                let ip = SocketAddr::new(dest.addr.ip(), 0).to_string();
                format!("{}:{offset}", ip.trim_end_matches(":0"))
            }
        }
    }

    /// The operational state of the server this one tracks, if it tracks one.
    pub fn tracked_state(&self) -> Option<OpState> {
        let target = self.links.lock().ok()?.target.upgrade()?;
        let st = target.state.lock().ok()?;
        Some(st.health.state())
    }

    /// Seconds spent stopped, including the current stop (`downtime`).
    pub fn downtime_secs(st: &ServerState) -> u64 {
        let mut d = st.downtime;
        if st.stopped {
            d += st.last_change.elapsed();
        }
        d.as_secs()
    }

    /// The `status` column, HAProxy's `srv_hlt_st[]` selection.
    pub fn status_text(&self, st: &ServerState) -> String {
        let admin = st.admin.as_check_admin(self.track.as_deref());
        // A tracking server shows the state it took (its health has no steps to count).
        if st.check_enabled || self.track.is_some() {
            st.health.status_text(&admin)
        } else {
            check::state::unchecked_status_text(st.health.state() != OpState::Stopped, &admin)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slowstart_steps_match_haproxys() {
        // HAProxy 2.6.12, weight 10, slowstart 10s, 2, 4 and 6 s after coming back: weight
        // column 3, 5, 7 and throttle 25, 43, 62; just back: 1 and 6.
        for (elapsed, column, throttle) in [(0, 1, 6), (2, 3, 25), (4, 5, 43), (6, 7, 62)] {
            let e = warming_eweight(10, 10, elapsed);
            assert_eq!(
                (e.div_ceil(WEIGHT_SCALE), throttle_pct(e, 10)),
                (column, throttle),
                "{elapsed} s"
            );
        }
    }
    use crate::config::types::*;
    use std::time::Duration;

    fn server(check: bool) -> ServerRt {
        let addr: SocketAddr = "127.0.0.1:1".parse().unwrap();
        ServerRt::new(&config::Server {
            name: "s".into(),
            id: 1,
            host: "127.0.0.1".into(),
            addr,
            port_map: None,
            weight: 1,
            maxconn: 0,
            minconn: 0,
            maxqueue: 0,
            backup: false,
            disabled: false,
            shutdown_on_down: false,
            track: None,
            slowstart: 0,
            pool: PoolSettings::default(),
            check: check.then(|| CheckSpec {
                target: addr,
                port_set: None,
                addr_set: None,
                inter: Duration::from_secs(2),
                fastinter: Duration::from_secs(2),
                downinter: Duration::from_secs(2),
                rise: 2,
                fall: 3,
                tls: None,
                http: None,
                tcp: None,
                rules_tls: None,
                timeout_connect: None,
                timeout_check: None,
            }),
            line: 1,
        })
    }

    fn outcome(status: CheckStatus) -> CheckOutcome {
        CheckOutcome {
            status,
            code: None,
            info: String::new(),
            detail: None,
            duration: Duration::ZERO,
        }
    }

    #[test]
    fn check_results_drive_routing_and_counters() {
        let s = server(true);
        let mut st = s.state.lock().unwrap();
        assert_eq!(s.status_text(&st), "UP 1/3");
        assert!(s.is_usable());
        s.apply_check(&mut st, outcome(CheckStatus::L4Ok));
        s.apply_check(&mut st, outcome(CheckStatus::L4Con));
        s.apply_check(&mut st, outcome(CheckStatus::L4Con));
        assert_eq!(s.status_text(&st), "UP 1/3");
        let t = s.apply_check(&mut st, outcome(CheckStatus::L4Con));
        assert_eq!(t, Some(check::Transition::Down));
        assert_eq!(s.status_text(&st), "DOWN");
        assert_eq!((st.chkfail, st.chkdown), (3, 1));
        assert!(!s.is_usable());
        s.apply_check(&mut st, outcome(CheckStatus::L4Ok));
        let t = s.apply_check(&mut st, outcome(CheckStatus::L4Ok));
        assert_eq!(t, Some(check::Transition::Up));
        assert!(s.is_usable());
    }

    #[test]
    fn unchecked_server_shows_no_check_and_maint_drain_override() {
        let s = server(false);
        let mut st = s.state.lock().unwrap();
        assert_eq!(s.status_text(&st), "no check");
        st.admin.fdrain = true;
        s.publish(&mut st);
        assert_eq!(s.status_text(&st), "DRAIN");
        assert!(!s.is_usable());
        st.admin.fdrain = false;
        s.set_maint(&mut st, true, None);
        assert_eq!(s.status_text(&st), "MAINT");
        assert_eq!(st.chkdown, 1);
        s.set_maint(&mut st, false, None);
        assert_eq!(s.status_text(&st), "no check");
        assert!(s.is_usable());
    }
}
