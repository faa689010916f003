//! Starting, reloading and stopping: binds listeners and stats sockets, starts checks, and on
//! reload builds a new model beside the old one, swapping only when everything is ready.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::check::scheduler;
use crate::config::{Config, ListenAddr};
use crate::logging::{self, Logger, Severity};
use crate::model::server::ServerRt;
use crate::model::{state_file, Model};
use crate::proxy::listener::Listeners;
use crate::stats_socket;
use crate::Shared;

pub struct Daemon {
    pub shared: Arc<Shared>,
    listeners: Listeners,
    checks: Vec<JoinHandle<()>>,
    sockets: Vec<(ListenAddr, watch::Sender<bool>, JoinHandle<()>)>,
}

fn page_server(
    shared: &Arc<Shared>,
) -> impl Fn(
    std::net::TcpListener,
    Arc<crate::model::FrontendRt>,
    watch::Receiver<bool>,
) -> JoinHandle<()>
       + '_ {
    move |l, fe, stop| {
        let shared = shared.clone();
        tokio::spawn(async move { crate::page::serve(l, fe, shared, stop).await })
    }
}

impl Daemon {
    /// Bind everything the configuration asks for and start serving. Must run inside a tokio
    /// runtime. Nothing is left running when it fails.
    pub fn start(config: Config, log: Logger) -> Result<Daemon, String> {
        let model = Arc::new(Model::build(config, None));
        state_file::apply(&model, &log, |_| true);
        let shared = Arc::new(Shared::new(model.clone(), log.clone()));
        let mut listeners = Listeners::default();
        let fresh = listeners.prepare(&model)?;
        let mut sockets = Vec::new();
        let mut bound = Vec::new();
        for s in &model.config.global.stats_sockets {
            bound.push((s.clone(), stats_socket::bind(s)?));
        }
        listeners.apply(&model, fresh, &log, &page_server(&shared));
        shared.listener_count.store(listeners.count(), Relaxed);
        for (s, b) in bound {
            let (tx, rx) = watch::channel(false);
            let task = tokio::spawn(stats_socket::serve(b, s.level, shared.clone(), rx));
            sockets.push((s.addr.clone(), tx, task));
        }
        let checks = scheduler::spawn_all(&model, &log);
        Ok(Daemon {
            shared,
            listeners,
            checks,
            sockets,
        })
    }

    /// Switch to a new configuration without dropping a connection: listeners that stay keep
    /// their sockets, servers that stay keep their state and counters. On error the running
    /// configuration is untouched.
    pub fn reload(&mut self, config: Config) -> Result<(), String> {
        let old = self.shared.model();
        let model = Arc::new(Model::build(config, Some(&old)));
        let bound = self.listeners.prepare(&model).and_then(|fresh| {
            // New stats sockets are bound before anything changes; kept ones stay as they are.
            let mut new_sockets = Vec::new();
            for s in &model.config.global.stats_sockets {
                if !self.sockets.iter().any(|(a, _, _)| *a == s.addr) {
                    new_sockets.push((s.clone(), stats_socket::bind(s)?));
                }
            }
            Ok((fresh, new_sockets))
        });
        let (fresh, new_sockets) = match bound {
            Ok(b) => b,
            Err(e) => {
                // The servers the new model would have kept took its numbering: give them back
                // the running one's.
                old.renumber_servers();
                return Err(e);
            }
        };
        let log = self.shared.log.clone();
        // Servers that kept their state keep it; the others take the saved one, as every
        // server does when HAProxy's new process starts.
        let kept: Vec<*const ServerRt> = old
            .backends()
            .flat_map(|b| b.servers().iter().map(Arc::as_ptr).collect::<Vec<_>>())
            .collect();
        state_file::apply(&model, &log, |s| !kept.contains(&std::ptr::from_ref(s)));
        self.listeners
            .apply(&model, fresh, &log, &page_server(&self.shared));
        self.shared
            .listener_count
            .store(self.listeners.count(), Relaxed);
        model.global.reloads.fetch_add(1, Relaxed);
        self.shared.set_model(model.clone());
        let g = &model.config.global;
        log.reconfigure(&g.logs, g.log_tag.as_deref(), g.log_hostname.as_deref());

        let wanted: Vec<ListenAddr> = model
            .config
            .global
            .stats_sockets
            .iter()
            .map(|s| s.addr.clone())
            .collect();
        self.sockets.retain(|(addr, stop, _)| {
            let keep = wanted.contains(addr);
            if !keep {
                let _ = stop.send(true);
            }
            keep
        });
        for (s, b) in new_sockets {
            let (tx, rx) = watch::channel(false);
            let task = tokio::spawn(stats_socket::serve(b, s.level, self.shared.clone(), rx));
            self.sockets.push((s.addr.clone(), tx, task));
        }

        let _ = old.checks_stop.send(true);
        for t in self.checks.drain(..) {
            t.abort();
        }
        self.checks = scheduler::spawn_all(&model, &log);
        Ok(())
    }

    /// Stop accepting (SIGUSR1 / soft stop); sessions in progress continue.
    pub fn soft_stop(&mut self) {
        self.shared.set_stopping();
        self.listeners.stop_all();
        self.shared.listener_count.store(0, Relaxed);
    }

    /// Sessions still being forwarded.
    pub fn active_sessions(&self) -> u64 {
        self.shared.model().global.counters.scur.load(Relaxed)
    }

    /// Stop everything; Unix socket files are removed.
    pub async fn shutdown(mut self) {
        self.soft_stop();
        let _ = self.shared.model().checks_stop.send(true);
        for (_, stop, task) in self.sockets.drain(..) {
            let _ = stop.send(true);
            let _ = tokio::time::timeout(Duration::from_secs(1), task).await;
        }
        for t in self.checks.drain(..) {
            t.abort();
        }
    }
}

/// Report a reload outcome the way HAProxy's master does.
pub fn report_reload(result: &Result<(), String>) {
    match result {
        Ok(()) => logging::console(
            Severity::Notice,
            "Reloading: new configuration is now active.",
        ),
        Err(e) => logging::console(
            Severity::Alert,
            &format!("Reload failed, keeping the previous configuration: {e}"),
        ),
    }
}
