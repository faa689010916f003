//! Commands that change state: servers (state, weight, health, maxconn), frontends, counters.
//! Answers and their exact wording are HAProxy 2.6's.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use super::context::Ctx;
use crate::check::ForcedHealth;
use crate::model::events::{self, Cause};
use crate::model::server::ServerRt;
use crate::model::{BackendRt, FE_OPEN, FE_PAUSED, FE_STOP};

/// Resolve `<backend>/<server>` or answer HAProxy's error.
pub fn lookup(ctx: &Ctx, arg: Option<&String>) -> Result<(Arc<BackendRt>, Arc<ServerRt>), String> {
    let Some(arg) = arg.filter(|a| !a.is_empty()) else {
        return Err("Require 'backend/server'.\n".into());
    };
    let Some((b, s)) = arg.split_once('/') else {
        return Err("Require 'backend/server'.\n".into());
    };
    let Some(be) = ctx.model.backend(b).cloned() else {
        return Err("No such backend.\n".into());
    };
    let Some(srv) = be.server(s).cloned() else {
        return Err("No such server.\n".into());
    };
    Ok((be, srv))
}

/// Enter or leave forced maintenance; shared with the stats page's admin form.
pub fn set_maint(ctx: &Ctx, be: &BackendRt, srv: &ServerRt, on: bool) {
    let Ok(mut st) = srv.state.lock() else { return };
    let was_maint = st.admin.maint();
    if on == was_maint {
        return;
    }
    srv.set_maint(&mut st, on);
    drop(st);
    let cause = if on {
        Cause::EnterMaint
    } else {
        Cause::LeaveMaint
    };
    events::admin_change(be, srv, cause, ctx.log());
}

/// Enter or leave forced drain; shared with the stats page's admin form.
pub fn set_drain(ctx: &Ctx, be: &BackendRt, srv: &ServerRt, on: bool) {
    let Ok(mut st) = srv.state.lock() else { return };
    if st.admin.fdrain == on {
        return;
    }
    st.admin.fdrain = on;
    srv.publish(&mut st);
    drop(st);
    let cause = if on {
        Cause::EnterDrain
    } else {
        Cause::LeaveDrain
    };
    events::admin_change(be, srv, cause, ctx.log());
}

pub fn disable_server(ctx: &mut Ctx, args: &[String]) -> String {
    match lookup(ctx, args.get(2)) {
        Ok((be, srv)) => {
            set_maint(ctx, &be, &srv, true);
            String::new()
        }
        Err(e) => e,
    }
}

pub fn enable_server(ctx: &mut Ctx, args: &[String]) -> String {
    match lookup(ctx, args.get(2)) {
        Ok((be, srv)) => {
            set_maint(ctx, &be, &srv, false);
            String::new()
        }
        Err(e) => e,
    }
}

/// `set server <b>/<s> state|weight|health|maxconn ...`
pub fn set_server(ctx: &mut Ctx, args: &[String]) -> String {
    let (be, srv) = match lookup(ctx, args.get(2)) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let sub = args.get(3).map(String::as_str).unwrap_or("");
    let val = args.get(4).map(String::as_str).unwrap_or("");
    match sub {
        "state" => match val {
            "ready" => {
                set_drain(ctx, &be, &srv, false);
                set_maint(ctx, &be, &srv, false);
                String::new()
            }
            "drain" => {
                set_maint(ctx, &be, &srv, false);
                set_drain(ctx, &be, &srv, true);
                String::new()
            }
            "maint" => {
                set_maint(ctx, &be, &srv, true);
                String::new()
            }
            _ => "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n".into(),
        },
        "weight" => set_weight_value(ctx, &be, &srv, args.get(4)),
        "health" => set_health(ctx, &be, &srv, val),
        "agent" | "agent-addr" | "agent-port" | "agent-send" => {
            "agent checks are not enabled on this server.\n".into()
        }
        "" => "usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | agent-send | check-addr | check-port | fqdn | health | ssl | state | weight\n".into(),
        _ => "'set server <srv>' only supports 'agent', 'health', 'state', 'weight', 'addr', 'fqdn', 'check-addr', 'check-port' and 'ssl'.\n".into(),
    }
}

pub fn set_health(ctx: &Ctx, be: &BackendRt, srv: &ServerRt, val: &str) -> String {
    let forced = match val {
        "up" => ForcedHealth::Up,
        "stopping" => ForcedHealth::Stopping,
        "down" => ForcedHealth::Down,
        _ => return "'set server <srv> health' expects 'up', 'stopping', or 'down'.\n".into(),
    };
    let Ok(mut st) = srv.state.lock() else {
        return String::new();
    };
    let t = st.health.force(forced);
    srv.publish(&mut st);
    drop(st);
    match t {
        Some(t) => events::transition(be, srv, t, Cause::Cli, ctx.log()),
        None => events::after_change(be, ctx.log()),
    }
    String::new()
}

/// Parse `N` or `N%` like HAProxy's `server_parse_weight_change_request`.
fn parse_weight(srv: &ServerRt, be: &BackendRt, raw: Option<&String>) -> Result<u32, String> {
    let Some(raw) = raw.filter(|r| !r.is_empty()) else {
        return Err("Require <weight> or <weight%>.\n".into());
    };
    let digits: String = raw
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    let Ok(n) = digits.parse::<i64>() else {
        return Err("Empty weight string empty or preceded by garbage".into());
    };
    let rest = &raw[digits.len()..];
    let w = if rest == "%" {
        if n < 0 {
            return Err("Relative weight must be positive.\n".into());
        }
        (srv.iweight as i64 * n / 100).min(256)
    } else if rest.is_empty() {
        if !(0..=256).contains(&n) {
            return Err("Absolute weight can only be between 0 and 256 inclusive.\n".into());
        }
        n
    } else {
        return Err("Trailing garbage in weight string".into());
    };
    if be.balance.is_static() && w != 0 && w as u32 != srv.iweight {
        return Err(
            "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n"
                .into(),
        );
    }
    Ok(w as u32)
}

fn set_weight_value(ctx: &Ctx, be: &BackendRt, srv: &ServerRt, raw: Option<&String>) -> String {
    match parse_weight(srv, be, raw) {
        Ok(w) => {
            if let Ok(mut st) = srv.state.lock() {
                st.uweight = w;
                srv.publish(&mut st);
            }
            events::after_change(be, ctx.log());
            String::new()
        }
        Err(e) => e,
    }
}

/// `set weight <b>/<s> <w>` (deprecated form).
pub fn set_weight(ctx: &mut Ctx, args: &[String]) -> String {
    match lookup(ctx, args.get(2)) {
        Ok((be, srv)) => set_weight_value(ctx, &be, &srv, args.get(3)),
        Err(e) => e,
    }
}

pub fn get_weight(ctx: &mut Ctx, args: &[String]) -> String {
    match lookup(ctx, args.get(2)) {
        Ok((_, srv)) => {
            let cur = srv.state.lock().map(|s| s.uweight).unwrap_or(0);
            format!("{} (initial {})\n", cur, srv.iweight)
        }
        Err(e) => e,
    }
}

pub fn enable_health(ctx: &mut Ctx, args: &[String]) -> String {
    toggle_health(ctx, args, true)
}

pub fn disable_health(ctx: &mut Ctx, args: &[String]) -> String {
    toggle_health(ctx, args, false)
}

fn toggle_health(ctx: &Ctx, args: &[String], on: bool) -> String {
    let (be, srv) = match lookup(ctx, args.get(2)) {
        Ok(x) => x,
        Err(e) => return e,
    };
    if !set_check_enabled(ctx, &be, &srv, on) {
        let verb = if on { "enable" } else { "disable" };
        return format!("Health check was not configured on this server, cannot {verb}.\n");
    }
    String::new()
}

/// `enable|disable health`; false when the server has no check configured. Shared with the
/// stats page's admin form.
pub fn set_check_enabled(ctx: &Ctx, be: &BackendRt, srv: &ServerRt, on: bool) -> bool {
    if srv.check.is_none() {
        return false;
    }
    if let Ok(mut st) = srv.state.lock() {
        st.check_enabled = on;
        if on {
            st.health.reset();
        }
        srv.publish(&mut st);
    }
    events::after_change(be, ctx.log());
    true
}

pub fn shutdown_sessions(ctx: &mut Ctx, args: &[String]) -> String {
    if args.get(2).map(String::as_str) != Some("server") {
        return "'shutdown sessions' only supports 'server'.\n".into();
    }
    match lookup(ctx, args.get(3)) {
        Ok((_, srv)) => {
            srv.kill_sessions();
            String::new()
        }
        Err(e) => e,
    }
}

fn frontend_cmd(ctx: &Ctx, args: &[String], new_state: u8) -> String {
    let Some(name) = args.get(2).filter(|a| !a.is_empty()) else {
        return "A frontend name is expected.\n".into();
    };
    let Some(fe) = ctx.model.frontend(name) else {
        return "No such frontend.\n".into();
    };
    let cur = fe.state.load(Relaxed);
    if cur == FE_STOP {
        return "Frontend was already shut down.\n".into();
    }
    if new_state == FE_PAUSED && cur == FE_PAUSED {
        return "All sockets are already disabled.\n".into();
    }
    if new_state == FE_OPEN && cur == FE_OPEN {
        return "All sockets are already enabled.\n".into();
    }
    fe.state.store(new_state, Relaxed);
    String::new()
}

pub fn disable_frontend(ctx: &mut Ctx, args: &[String]) -> String {
    frontend_cmd(ctx, args, FE_PAUSED)
}
pub fn enable_frontend(ctx: &mut Ctx, args: &[String]) -> String {
    frontend_cmd(ctx, args, FE_OPEN)
}
pub fn shutdown_frontend(ctx: &mut Ctx, args: &[String]) -> String {
    frontend_cmd(ctx, args, FE_STOP)
}

pub fn set_maxconn(ctx: &mut Ctx, args: &[String]) -> String {
    let what = args.get(2).map(String::as_str).unwrap_or("");
    match what {
        "server" => {
            let (be, srv) = match lookup(ctx, args.get(3)) {
                Ok(x) => x,
                Err(e) => return e,
            };
            match args.get(4).and_then(|v| v.parse::<u32>().ok()) {
                Some(v) => {
                    srv.maxconn.store(v, Relaxed);
                    crate::proxy::queue::dispatch(&be);
                    String::new()
                }
                None => "Integer value expected.\n".into(),
            }
        }
        "global" => match args.get(3).and_then(|v| v.parse::<u32>().ok()) {
            Some(v) if v > 0 => {
                let g = &ctx.model.global;
                let old = g.maxconn.swap(v, Relaxed);
                if v > old {
                    g.slots.add_permits((v - old) as usize);
                } else {
                    let _ = g.slots.forget_permits((old - v) as usize);
                }
                String::new()
            }
            _ => "Expects an integer value.\n".into(),
        },
        "frontend" => "'set maxconn frontend' is not supported by proxyd.\n".into(),
        _ => "'set maxconn' only supports 'frontend', 'server', and 'global'.\n".into(),
    }
}

pub fn clear_counters(ctx: &mut Ctx, args: &[String]) -> String {
    let all = args.get(2).map(String::as_str) == Some("all");
    if all && ctx.level < runtime_api::level::Level::Admin {
        return "Permission denied\n".into();
    }
    let m = &ctx.model;
    let clear = |c: &crate::model::counters::Counters| {
        if all {
            c.clear_all();
        } else {
            c.clear_max();
        }
    };
    for fe in m.frontends() {
        clear(&fe.counters);
    }
    for be in m.backends() {
        clear(&be.counters);
        for s in &be.servers {
            clear(&s.counters);
            if all {
                if let Ok(mut st) = s.state.lock() {
                    st.chkfail = 0;
                    st.chkdown = 0;
                }
            }
        }
        if all {
            if let Ok(mut st) = be.state.lock() {
                st.chkdown = 0;
            }
        }
    }
    m.global.counters.clear_max();
    String::new()
}
