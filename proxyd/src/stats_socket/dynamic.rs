//! `add server` and `del server`: servers added to and removed from a running backend, with
//! HAProxy 2.6's rules and answers. A dynamic server lives until the next reload, which builds
//! the backends from the configuration again, as HAProxy's do.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use super::context::Ctx;
use crate::check::scheduler;
use crate::config;
use crate::logging::{self, Severity};
use crate::model::server::ServerRt;
use crate::model::{self, BackendRt};

/// The backend of `<backend>/<server>` and the server's name, or HAProxy's answer.
fn target(ctx: &Ctx, arg: Option<&String>) -> Result<(Arc<BackendRt>, String), &'static str> {
    let (b, s) = arg
        .and_then(|a| a.split_once('/'))
        .filter(|(b, s)| !b.is_empty() && !s.is_empty())
        .ok_or("Require 'backend/server'.\n")?;
    let be = ctx.model.backend(b).ok_or("No such backend.\n")?;
    Ok((be.clone(), s.to_string()))
}

pub fn add_server(ctx: &mut Ctx, args: &[String]) -> String {
    let (be, name) = match target(ctx, args.get(2)) {
        Ok(found) => found,
        Err(e) => return bare(ctx, e),
    };
    // Hash maps and static-rr's fixed rotation are built once for the configured servers.
    if be.balance.is_static() {
        return bare(
            ctx,
            "Backend must use a dynamic load balancing to support dynamic servers.\n",
        );
    }
    let Some(px) = ctx.model.config.proxies.iter().find(|p| p.name == be.name) else {
        return bare(ctx, "No such backend.\n");
    };
    let who = format!("'server {}/{name}'", be.name);
    let parsed = config::dynamic_server(px, &name, &args[3..]).and_then(|cfg| {
        let tracked = match &cfg.track {
            Some(t) => Some(tracked_server(ctx, t)?),
            None => None,
        };
        Ok((cfg, tracked))
    });
    let (mut cfg, tracked) = match parsed {
        Ok(found) => found,
        Err(e) => {
            logging::console(Severity::Alert, &format!("{who} : {e}"));
            return format!("{e}\n");
        }
    };
    let explicit_id = cfg.id != 0;
    let added = be.edit_servers(|list| {
        if list.iter().any(|s| s.name == name) {
            return Err("Already exists a server with the same name in backend.".to_string());
        }
        if cfg.id != 0 {
            if let Some(prev) = list.iter().find(|s| s.id() == cfg.id) {
                return Err(format!(
                    "'id' : custom id {} already used at {} ('server {}').",
                    cfg.id,
                    defined_at(px, prev),
                    prev.name
                ));
            }
        } else {
            cfg.id = (1..)
                .find(|id| list.iter().all(|s| s.id() != *id))
                .unwrap_or(0);
        }
        let mut next = list.to_vec();
        let mut srv = ServerRt::new_dynamic(&cfg);
        if !explicit_id {
            srv.unplaced_on_ring();
        }
        srv.attach(&be.counters, be.fullconn);
        next.push(Arc::new(srv));
        Ok(next)
    });
    if let Err(e) = added {
        logging::console(Severity::Alert, &format!("{who} : {e}"));
        return format!("{e}\n");
    }
    // Linked only: as in HAProxy the new server takes the tracked one's state when it leaves
    // maintenance, and its maintenance or drain at their next change.
    if let (Some((_, target)), Some(srv)) = (&tracked, be.server(&name)) {
        model::link_track(&be, &srv, target);
    }
    if let Some(srv) = be.server(&name).filter(|s| s.check.is_some()) {
        if tokio::runtime::Handle::try_current().is_ok() {
            scheduler::spawn_added(&ctx.model, be.clone(), srv, ctx.log());
        }
    }
    logging::console(Severity::Notice, &format!("{who} : New server registered."));
    "New server registered.\n".into()
}

/// The server `track backend/server` names in the running model, or HAProxy's refusal: it must
/// exist, have been read from the configuration, and be checked or track one that is.
fn tracked_server(ctx: &Ctx, track: &str) -> Result<(Arc<BackendRt>, Arc<ServerRt>), String> {
    let (b, s) = track.split_once('/').unwrap_or(("", track));
    let be = ctx
        .model
        .backends()
        .find(|be| be.name == b)
        .ok_or_else(|| format!("unable to find required proxy '{b}' for tracking."))?;
    let srv = be
        .server(s)
        .ok_or_else(|| format!("unable to find required server '{s}' for tracking."))?;
    if srv.dynamic {
        return Err(format!(
            "unable to use {b}/{s} for tracking as it is a dynamic server."
        ));
    }
    if srv.check.is_none() && srv.track.is_none() {
        return Err(format!(
            "unable to use {b}/{s} for tracking as it does not have any check nor agent enabled."
        ));
    }
    Ok((be.clone(), srv))
}

/// Where HAProxy says a server was defined: its configuration line, `(null):0` for a dynamic one.
fn defined_at(px: &config::Proxy, srv: &ServerRt) -> String {
    px.servers
        .iter()
        .find(|s| s.name == srv.name && !srv.dynamic)
        .map_or("(null):0".to_string(), |s| {
            format!("{}:{}", px.file.display(), s.line)
        })
}

pub fn del_server(ctx: &mut Ctx, args: &[String]) -> String {
    let (be, name) = match target(ctx, args.get(2)) {
        Ok(found) => found,
        Err(e) => return bare(ctx, e),
    };
    let removed = be.edit_servers(|list| {
        let Some(srv) = list.iter().find(|s| s.name == name) else {
            return Err("No such server.".to_string());
        };
        if srv.pinned.load(Relaxed) {
            return Err("This server cannot be removed at runtime due to other configuration elements pointing to it.".to_string());
        }
        if !srv.state.lock().is_ok_and(|st| st.admin.maint()) {
            return Err("Only servers in maintenance mode can be deleted.".to_string());
        }
        if srv.counters.scur.load(Relaxed) > 0 || queued_for(&be, srv, list) {
            return Err(
                "Server still has connections attached to it, cannot remove it.".to_string(),
            );
        }
        srv.deleted.store(true, Relaxed);
        untrack(srv);
        Ok(list
            .iter()
            .filter(|s| !Arc::ptr_eq(s, srv))
            .cloned()
            .collect())
    });
    if let Err(e) = removed {
        return bare(ctx, &format!("{e}\n"));
    }
    be.refresh_state();
    logging::console(Severity::Notice, "Server deleted.");
    bare(ctx, "Server deleted.\n")
}

/// A deleted tracking server leaves its tracked server's list.
fn untrack(srv: &Arc<ServerRt>) {
    let target = srv.links.lock().ok().and_then(|l| l.target.upgrade());
    if let Some(target) = target {
        if let Ok(mut l) = target.links.lock() {
            l.trackers
                .retain(|(_, t)| t.upgrade().is_some_and(|t| !Arc::ptr_eq(&t, srv)));
        }
    }
}

/// Waiters in the server's own queue, or in the backend's when it is the only server (`list`,
/// read under the list's lock).
fn queued_for(be: &BackendRt, srv: &ServerRt, list: &[Arc<ServerRt>]) -> bool {
    srv.counters.qcur.load(Relaxed) > 0
        || (list.len() == 1 && be.queue.waiting.lock().is_ok_and(|q| !q.is_empty()))
}

/// An answer HAProxy ends with a single newline, without the blank line of other answers.
fn bare(ctx: &mut Ctx, text: &str) -> String {
    ctx.bare = true;
    text.to_string()
}
