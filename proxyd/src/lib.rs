//! proxyd: a TCP (TLS passthrough) load balancer that reads HAProxy's configuration language and
//! speaks HAProxy's runtime API.
//!
//! Imports point one way: `config` → `model` → {`proxy`, `check`} → `stats` → {`stats_socket`,
//! `page`}. The data path and checks only write counters and state; the socket and the page
//! only read snapshots.
//!
//! - [`config`]: HAProxy-syntax files → a validated [`config::Config`]; never touches a socket.
//! - [`model`]: the running topology (frontends, backends, servers, counters), rebuilt on reload.
//! - [`proxy`]: listeners, balancing, queueing, connecting and forwarding.
//! - [`check`]: TCP/TLS/HTTP health checks and their scheduler.
//! - [`stats`]: `show stat` rows from the model, shared by every renderer.
//! - [`stats_socket`]: the runtime API server.
//! - [`page`]: the HTTP stats page, its CSV/JSON exports and Prometheus metrics.
//! - [`daemon`]: starting, reloading and stopping all of the above.
//! - [`logging`]: HAProxy-worded messages and log targets.
//! - [`counted_io`]: byte counts of the HTTP/1 exchanges (stats page, HTTP checks).
//! - [`log_format`]: `log-format` connection lines, parsed at load and rendered per session.
//! - [`os_error`]: OS errors in the C library's words, as HAProxy prints them.
//! - [`fuzzing`]: arbitrary bytes into each parser of outside input, for `fuzz/` and tests.

pub mod check;
pub mod config;
pub mod counted_io;
pub mod daemon;
pub mod dev;
pub mod fuzzing;
pub mod log_format;
pub mod logging;
pub mod model;
pub mod os_error;
pub mod page;
pub mod proxy;
pub mod stats;
pub mod stats_socket;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use logging::Logger;
use model::Model;

/// State every part of the running daemon shares: the current model (swapped whole on reload)
/// and process-wide handles.
pub struct Shared {
    model: RwLock<Arc<Model>>,
    pub log: Logger,
    pub listener_count: AtomicUsize,
    /// Stats sockets listening, and their connected clients: HAProxy counts both in
    /// `Listeners` and `Jobs`.
    pub cli_listeners: AtomicUsize,
    pub cli_sessions: AtomicUsize,
    pub stopping: AtomicBool,
    cpu_sample: Mutex<(Instant, f64)>,
    bytes_out_sample: Mutex<(Instant, u64)>,
}

impl Shared {
    pub fn new(model: Arc<Model>, log: Logger) -> Shared {
        Shared {
            model: RwLock::new(model),
            log,
            listener_count: AtomicUsize::new(0),
            cli_listeners: AtomicUsize::new(0),
            cli_sessions: AtomicUsize::new(0),
            stopping: AtomicBool::new(false),
            cpu_sample: Mutex::new((Instant::now(), cpu_seconds())),
            bytes_out_sample: Mutex::new((Instant::now(), 0)),
        }
    }

    /// The current model. Cheap: an `Arc` clone under a read lock nobody holds for long.
    pub fn model(&self) -> Arc<Model> {
        match self.model.read() {
            Ok(m) => m.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn set_model(&self, m: Arc<Model>) {
        match self.model.write() {
            Ok(mut g) => *g = m,
            Err(poisoned) => *poisoned.into_inner() = m,
        }
    }

    pub fn stats_timeout(&self) -> Duration {
        self.model().config.global.stats_timeout
    }

    pub fn stats_maxconn(&self) -> usize {
        self.model().config.global.stats_maxconn.max(1) as usize
    }

    /// `Idle_pct`: share of the worker threads' time not spent on CPU since the last call.
    pub fn idle_pct(&self) -> u32 {
        let threads = self.model().global.nbthread.max(1) as f64;
        let now = Instant::now();
        let cpu = cpu_seconds();
        let Ok(mut last) = self.cpu_sample.lock() else {
            return 100;
        };
        let wall = now.duration_since(last.0).as_secs_f64();
        let used = (cpu - last.1).max(0.0);
        *last = (now, cpu);
        if wall <= 0.0 {
            return 100;
        }
        let busy = (used / (wall * threads)).clamp(0.0, 1.0);
        (100.0 - busy * 100.0).round() as u32
    }

    /// `BytesOutRate`: bytes sent per second since the previous call (the first call measures
    /// from start-up), computed from the process's byte counter without touching the data path.
    pub fn bytes_out_rate(&self, total: u64) -> u64 {
        let now = Instant::now();
        let Ok(mut last) = self.bytes_out_sample.lock() else {
            return 0;
        };
        let secs = now.duration_since(last.0).as_secs_f64();
        let sent = total.saturating_sub(last.1);
        *last = (now, total);
        if secs <= 0.0 {
            return 0;
        }
        (sent as f64 / secs).round() as u64
    }

    pub fn set_stopping(&self) {
        self.stopping.store(true, Relaxed);
    }
}

/// User + system CPU time of the process, in seconds.
pub fn cpu_seconds() -> f64 {
    let mut ru = libc::rusage {
        ru_utime: libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        },
        ru_stime: libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        },
        ru_maxrss: 0,
        ru_ixrss: 0,
        ru_idrss: 0,
        ru_isrss: 0,
        ru_minflt: 0,
        ru_majflt: 0,
        ru_nswap: 0,
        ru_inblock: 0,
        ru_oublock: 0,
        ru_msgsnd: 0,
        ru_msgrcv: 0,
        ru_nsignals: 0,
        ru_nvcsw: 0,
        ru_nivcsw: 0,
    };
    // SAFETY: getrusage only writes into the struct we pass.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    if rc != 0 {
        return 0.0;
    }
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(ru.ru_utime) + t(ru.ru_stime)
}
