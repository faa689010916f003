//! `load-server-state-from-file`: at start, servers take the state a previous process saved
//! with `show servers state` (format version 1), as HAProxy's `apply_server_state()` applies
//! it: operational and administrative state, user weight, check status and health, age of the
//! last change, port, the address of a server named by host name and the check's address and
//! port. What the configuration changed since wins (a new weight, `disabled` added or removed).
//!
//! `-c` applies them to a model it then drops, and so reports what a start would, as HAProxy's
//! does.
//!
//! - [`lines`]: reading a file and checking each line's fields.
//! - this file: which file each backend reads, and applying a line to its server.

mod lines;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use runtime_api::status::CheckStatus;

use super::events;
use super::server::{CheckDest, Dest, ServerRt, UNCHECKED_FORCED_UP};
use super::Model;
use crate::check::{CheckOutcome, OpState, Transition};
use crate::config::{Config, Proxy, ServerStateFrom};
use crate::logging::{self, Logger, Severity};
use lines::{
    read_file, read_lines, validate, FileError, Saved, CHECK_CONFIGURED, CHECK_ENABLED, CMAINT,
    FDRAIN, FMAINT,
};

/// What a walk meets: a warning, or a server with the fields of its saved line.
enum Found<'a> {
    Warning(String),
    Server {
        proxy: &'a Proxy,
        server: &'a str,
        fields: &'a [String],
    },
}

/// Applies the saved states to the servers of `model` that `fresh` accepts (at a reload, those
/// that did not keep their state), reporting as HAProxy does at start. Returns how many
/// messages it printed.
pub fn apply(model: &Model, log: &Logger, fresh: impl Fn(&ServerRt) -> bool) -> usize {
    let before = logging::console_lines();
    logging::configuring(|| {
        walk(&model.config, &mut |found| match found {
            Found::Warning(w) => logging::console(Severity::Warning, &w),
            Found::Server {
                proxy,
                server,
                fields,
            } => {
                let Some(be) = model.backend(&proxy.name) else {
                    return;
                };
                let Some(srv) = be.servers().iter().find(|s| s.name == server).cloned() else {
                    return;
                };
                if !fresh(&srv) {
                    return;
                }
                match validate(fields) {
                    Ok(saved) => restore(be, &srv, &saved, Some(log)),
                    Err(errors) => {
                        logging::console(Severity::Warning, &failed(&proxy.name, server, &errors))
                    }
                }
            }
        })
    });
    logging::console_lines() - before
}

/// Arbitrary bytes read as a global state file and applied, silently, to `model`'s servers (for
/// the fuzz targets and the randomized tests): nothing in a file may panic.
pub fn apply_bytes(model: &Model, data: &[u8]) {
    let Some(lines) = read_lines(data, None, &mut |_| {}) else {
        return;
    };
    for be in model.backends() {
        for srv in be.servers().iter() {
            let key = (be.name.clone(), srv.name.clone());
            if let Some(saved) = lines.get(&key).and_then(|f| validate(f).ok()) {
                restore(be, srv, &saved, None);
            }
        }
    }
}

fn failed(backend: &str, server: &str, errors: &str) -> String {
    format!("server-state application failed for server '{backend}/{server}'{errors}")
}

/// Reads the global file once, then each backend's lines from it or from its own file, in
/// the order HAProxy goes: backends as declared, servers as declared.
fn walk(config: &Config, on: &mut dyn FnMut(Found<'_>)) {
    let global = config.global.server_state_file.as_ref().and_then(|name| {
        let path = path_of(config, name);
        read_file(&path, None, &mut |e| {
            on(Found::Warning(match e {
                FileError::Open(why) => {
                    format!("config: Can't open global server state file '{path}': {why}")
                }
                FileError::Empty => format!("config: Empty global server state file '{path}'."),
                FileError::Version => {
                    format!("config: Can't get version of the global server state file '{path}'.")
                }
                FileError::Corrupted(n) => {
                    format!("config: corrupted global server state file '{path}' at line {n}.")
                }
                FileError::Mismatch(w) => w,
            }))
        })
    });
    for proxy in config.proxies.iter().filter(|p| p.kind.is_backend()) {
        if proxy.servers.is_empty() {
            continue;
        }
        match &proxy.server_state {
            ServerStateFrom::None => {}
            ServerStateFrom::Global => {
                if let Some(lines) = &global {
                    for s in &proxy.servers {
                        if let Some(fields) = lines.get(&(proxy.name.clone(), s.name.clone())) {
                            on(Found::Server {
                                proxy,
                                server: &s.name,
                                fields,
                            });
                        }
                    }
                }
            }
            ServerStateFrom::Local(name) => {
                let path = path_of(config, name);
                let px = &proxy.name;
                let lines = read_file(&path, Some(proxy), &mut |e| {
                    on(Found::Warning(match e {
                        FileError::Open(why) => {
                            format!("Proxy '{px}': Can't open server state file '{path}': {why}.")
                        }
                        FileError::Empty => {
                            format!("Proxy '{px}': Empty server state file '{path}'.")
                        }
                        FileError::Version => format!(
                            "Proxy '{px}': Can't get version of the server state file '{path}'."
                        ),
                        FileError::Corrupted(n) => format!(
                            "Proxy '{px}': corrupted server state file '{path}' at line {n}."
                        ),
                        FileError::Mismatch(w) => w,
                    }))
                });
                let Some(mut lines) = lines else { continue };
                for s in &proxy.servers {
                    if let Some(fields) = lines.remove(&(px.clone(), s.name.clone())) {
                        on(Found::Server {
                            proxy,
                            server: &s.name,
                            fields: &fields,
                        });
                    }
                }
                let mut left: Vec<_> = lines.into_values().collect();
                left.sort_by_key(|f| f.line);
                for f in left {
                    on(Found::Warning(format!(
                        "Proxy '{px}': can't find server '{}' in backend '{px}'",
                        f.fields[3]
                    )));
                }
            }
        }
    }
}

/// A relative name is taken from `server-state-base` when it is set (else from the working
/// directory).
fn path_of(config: &Config, name: &str) -> String {
    match &config.global.server_state_base {
        Some(base) if !name.starts_with('/') => {
            let sep = if base.ends_with('/') { "" } else { "/" };
            format!("{base}{sep}{name}")
        }
        _ => name.to_string(),
    }
}

/// `srv_state_srv_update()` on one server, then what follows from it: the line a server
/// restored down or stopping gets (none without `log`), the servers that track it, the
/// backend's own state.
fn restore(be: &Arc<super::BackendRt>, srv: &Arc<ServerRt>, saved: &Saved, log: Option<&Logger>) {
    let Ok(mut st) = srv.state.lock() else { return };
    let was_maint = st.admin.maint();
    let before = st.health.state();
    if srv.check.is_some() {
        st.health.restore(saved.op, saved.check_health);
    } else {
        // An unchecked server keeps HAProxy's default rise 2 and fall 3 steps for the column.
        let mut steps = crate::check::Health::new(2, 3);
        steps.restore(saved.op, saved.check_health);
        st.unchecked_health = match steps.state() {
            OpState::Running if steps.health() == 4 => UNCHECKED_FORCED_UP,
            _ => steps.health(),
        };
        st.health.force(events::forced(steps.state()));
    }
    srv.publish(&mut st);
    let after = st.health.state();
    if was_maint && srv.check.is_some() {
        st.maint_health = st.health.health();
    }
    drop(st);
    if let Some(log) = log.filter(|_| !was_maint && after != before) {
        match after {
            OpState::Stopped => events::restored(be, srv, Transition::Down, log),
            OpState::Stopping => events::restored(be, srv, Transition::Stopping, log),
            OpState::Running => {}
        }
    }

    let Ok(mut st) = srv.state.lock() else { return };
    // A change of `disabled` in the configuration wins; otherwise the saved forced
    // maintenance comes back, or goes if the configuration's was lifted at run time.
    let cmaint = st.admin.cmaint;
    let mut entered_maint = false;
    if (saved.admin & CMAINT != 0) == cmaint {
        if saved.admin & FMAINT != 0 && !cmaint {
            entered_maint = !st.admin.maint();
            srv.set_maint(&mut st, true, None);
        } else if saved.admin & FMAINT == 0 && cmaint {
            st.admin.fmaint = false;
            srv.publish(&mut st);
        }
    }
    // A drain saved with a configured weight of 0 is dropped once the weight is set again.
    let drained =
        !st.admin.fmaint && saved.admin & FDRAIN != 0 && (saved.iweight > 0 || srv.iweight == 0);
    if drained {
        st.admin.fdrain = true;
    }
    st.restore_lastchg(Duration::from_secs(saved.last_change));
    if srv.check.is_some() {
        st.last_check = match CheckStatus::from_code(saved.check_status) {
            None | Some(CheckStatus::Init) => None,
            Some(status) => Some(CheckOutcome {
                status,
                code: status.has_code().then_some(0),
                info: String::new(),
                detail: None,
                duration: Duration::ZERO,
            }),
        };
        // Only `disable health` is carried over, never an enabling.
        if saved.check_state & CHECK_CONFIGURED != 0 && saved.check_state & CHECK_ENABLED == 0 {
            st.check_enabled = false;
        }
    }
    if saved.iweight == srv.iweight {
        st.uweight = saved.uweight;
    }
    srv.publish(&mut st);
    drop(st);
    if let Some(log) = log.filter(|_| drained) {
        events::restored_drain(be, srv, log);
    }

    // Where the server is: the saved port, the address of a server named by host name (an
    // address written in the configuration stays), the check's own address and port.
    let dest = srv.dest();
    let mut addr = dest.addr;
    if let Some(port) = saved.port.filter(|_| dest.port_map.is_none()) {
        addr.set_port(port);
    }
    if let Some(ip) = saved.addr.filter(|_| srv.host.parse::<IpAddr>().is_err()) {
        addr.set_ip(ip);
    }
    srv.set_dest(Dest {
        addr,
        port_map: dest.port_map,
    });
    if srv.check.is_some() && (saved.check_addr.is_some() || saved.check_port.is_some()) {
        let own = srv.check_dest();
        srv.set_check_dest(CheckDest {
            addr: saved.check_addr.or(own.addr),
            port: saved.check_port.or(own.port),
        });
    }

    events::follow(be, srv, log, events::Propagate::Health);
    if entered_maint {
        events::follow(be, srv, log, events::Propagate::Admin);
    }
    be.refresh_state();
}
