//! When checks run: one task per checked server, first checks staggered over the first
//! interval, then `inter` / `fastinter` / `downinter` with `spread-checks` jitter. Results go
//! into the server's state; transitions go through [`crate::model::events`].

use std::collections::HashMap;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use rustls::ClientConfig;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::log::{self as checklog, ServerRef};
use super::{run_check_metered, state, tls_client_config, CheckIo, CheckOutcome, OpState};
use crate::config::CheckSpec;
use crate::logging::{self, Logger, Severity};
use crate::model::counters::ModuleCounters;
use crate::model::events::{self, Cause};
use crate::model::server::ServerRt;
use crate::model::{BackendRt, GlobalRt, Model};

/// Start a check task for every checked server of `model`. They stop with the model
/// ([`Model::checks_stop`]).
pub fn spawn_all(model: &Model, log: &Logger) -> Vec<JoinHandle<()>> {
    let stop = model.checks_stop.subscribe();
    let checked: Vec<(Arc<BackendRt>, Arc<ServerRt>)> = model
        .backends()
        .flat_map(|be| {
            let servers = be.servers();
            servers
                .iter()
                .filter(|s| s.check.is_some())
                .map(|s| (be.clone(), s.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    let total = checked.len().max(1) as u32;
    let spread = model.config.global.spread_checks;
    // Servers with the same TLS settings share one parsed CA bundle and verifier; each keeps its
    // own TLS session cache so its checks resume sessions with that server, as HAProxy's do.
    let mut tls_configs: HashMap<String, Result<Arc<ClientConfig>, String>> = HashMap::new();
    checked
        .into_iter()
        .enumerate()
        .map(|(pos, (be, srv))| {
            let tls = srv.check.as_ref().and_then(CheckSpec::any_tls).map(|t| {
                tls_configs
                    .entry(format!("{t:?}"))
                    .or_insert_with(|| tls_client_config(t))
                    .clone()
                    .map(|shared| with_own_sessions(&shared))
            });
            let log = log.clone();
            let stop = stop.clone();
            tokio::spawn(run_server(
                be,
                srv,
                tls,
                (pos as u32, total, spread),
                model.global.clone(),
                log,
                stop,
            ))
        })
        .collect()
}

/// Start the check task of a server added at run time; it ends with the model or when the
/// server is deleted. Its TLS settings are its own: there is no farm to share them with.
pub fn spawn_added(model: &Model, be: Arc<BackendRt>, srv: Arc<ServerRt>, log: &Logger) {
    let tls = srv
        .check
        .as_ref()
        .and_then(CheckSpec::any_tls)
        .map(|t| tls_client_config(t).map(|shared| with_own_sessions(&shared)));
    let spread = model.config.global.spread_checks;
    let stop = model.checks_stop.subscribe();
    tokio::spawn(run_server(
        be,
        srv,
        tls,
        (0, 1, spread),
        model.global.clone(),
        log.clone(),
        stop,
    ));
}

/// A copy of `shared` (verifier, roots and provider stay shared) with a session cache of its
/// own: without SNI every server on one address would otherwise share one cache entry.
fn with_own_sessions(shared: &Arc<ClientConfig>) -> Arc<ClientConfig> {
    let mut own = ClientConfig::clone(shared);
    own.resumption = rustls::client::Resumption::in_memory_sessions(2);
    Arc::new(own)
}

/// A cheap uniform draw in [0, 1) without a dependency: checks only need jitter.
fn unit_random(seed: &mut u64) -> f64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    (*seed >> 11) as f64 / (1u64 << 53) as f64
}

/// `place`: the server's position among the `total` checked servers and `spread-checks`.
async fn run_server(
    be: Arc<BackendRt>,
    srv: Arc<ServerRt>,
    tls: Option<Result<Arc<ClientConfig>, String>>,
    (pos, total, spread): (u32, u32, u32),
    global: Arc<GlobalRt>,
    log: Logger,
    mut stop: watch::Receiver<bool>,
) {
    let Some(spec) = srv.check.clone() else {
        return;
    };
    let tls = match tls {
        Some(Ok(c)) => Some(c),
        Some(Err(e)) => {
            logging::console(
                Severity::Alert,
                &format!(
                    "Server {}/{}: cannot prepare the TLS check: {e}",
                    be.name, srv.name
                ),
            );
            None
        }
        None => None,
    };
    let mut seed = (std::process::id() as u64) << 32 ^ (srv.id() as u64) << 16 ^ be.id as u64 | 1;
    // Stagger the first checks over the first interval so a large farm is not probed at once.
    let first = spec.inter * pos / total;
    if sleep_or_stop(first, &mut stop).await {
        return;
    }
    loop {
        if srv.deleted.load(Relaxed) {
            return;
        }
        let (enabled, running) = match srv.state.lock() {
            Ok(mut st) => {
                let enabled = st.check_enabled && !st.admin.maint();
                if enabled {
                    st.check_running = true;
                }
                (enabled, st.health.state() != OpState::Stopped)
            }
            Err(_) => return,
        };
        let wait = if enabled {
            let target = srv.check_target().unwrap_or(spec.target);
            let mut io = CheckIo::default();
            let h1 = H1Check::open(&spec, &be.counters.modules);
            // HAProxy counts its checks' connections in `CumConns`.
            global.counters.conn_tot.fetch_add(1, Relaxed);
            let outcome: CheckOutcome = tokio::select! {
                o = run_check_metered(&spec, target, tls.as_ref(), running, &mut io) => o,
                _ = stop.changed() => return,
            };
            srv.counters.modules.add_handshakes(&io.tls);
            be.counters.modules.add_handshakes(&io.tls);
            if let Some(h1) = h1 {
                h1.close(&io);
            }
            let (transition, from, report, wait) = match srv.state.lock() {
                Ok(mut st) => {
                    let counted = st.check_enabled && !st.admin.maint();
                    let from = st.health.state();
                    let before = (st.health.health(), st.last_check.as_ref().map(|c| c.status));
                    let t = srv.apply_check(&mut st, outcome.clone());
                    // HAProxy's `set_server_check_status`: a line when the health counter
                    // moved or the check's status differs from the previous check's.
                    let report = (be.log_health_checks
                        && counted
                        && (st.health.health() != before.0 || Some(outcome.status) != before.1))
                        .then(|| {
                            let who = ServerRef {
                                backend: &be.name,
                                server: &srv.name,
                                backup: srv.backup,
                            };
                            checklog::health_check_line(who, &outcome, &st.health, st.uweight == 0)
                        });
                    (t, from, report, st.health.next_interval(&spec))
                }
                Err(_) => return,
            };
            if let Some(line) = report {
                log.of(&be.logs).server_change(Severity::Notice, &line);
            }
            if let Some(t) = transition {
                events::transition(&be, &srv, t, from, Cause::Check(&outcome), &log);
            }
            wait
        } else {
            spec.inter
        };
        let wait = state::spread(wait, spread, unit_random(&mut seed));
        if sleep_or_stop(wait, &mut stop).await {
            return;
        }
    }
}

/// An `option httpchk` check is an HTTP/1 connection with one stream on the backend, as
/// HAProxy's H1 multiplexer counts it from the connect on (a refused connect included).
struct H1Check<'a> {
    counters: &'a ModuleCounters,
    io: CheckIo,
}

impl<'a> H1Check<'a> {
    fn open(spec: &CheckSpec, counters: &'a ModuleCounters) -> Option<H1Check<'a>> {
        if spec.http.is_none() || spec.tcp.is_some() {
            return None;
        }
        counters.h1_conn_opened();
        counters.h1_stream_opened();
        Some(H1Check {
            counters,
            io: CheckIo::default(),
        })
    }

    fn close(mut self, io: &CheckIo) {
        self.io = *io;
    }
}

impl Drop for H1Check<'_> {
    fn drop(&mut self) {
        self.counters.h1_stream_closed();
        self.counters
            .h1_conn_closed(self.io.h1_read, self.io.h1_written);
    }
}

/// Sleep; true when asked to stop instead.
async fn sleep_or_stop(d: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    if *stop.borrow() {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => false,
        _ = stop.changed() => true,
    }
}
