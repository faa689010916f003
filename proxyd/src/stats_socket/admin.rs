//! Commands that change state: servers (state, weight, health, maxconn), frontends, counters.
//! Answers and their exact wording are HAProxy 2.6's.

use std::net::IpAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use super::context::Ctx;
use crate::check::ForcedHealth;
use crate::logging::Severity;
use crate::model::events::{self, Cause};
use crate::model::server::{ServerRt, UNCHECKED_FORCED_UP};
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
    let Some(srv) = be.server(s) else {
        return Err("No such server.\n".into());
    };
    Ok((be, srv))
}

/// Enter or leave forced maintenance; shared with the stats page's admin form.
pub fn set_maint(ctx: &Ctx, be: &BackendRt, srv: &ServerRt, on: bool) {
    let tracked = srv.tracked_state();
    let Ok(mut st) = srv.state.lock() else { return };
    if on == st.admin.fmaint {
        return;
    }
    let was_maint = st.admin.maint();
    srv.set_maint(&mut st, on, tracked);
    drop(st);
    if on && was_maint {
        // Already in maintenance through the server it tracks: HAProxy adds the flag silently.
        return;
    }
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
    // Entering or leaving drain is a change of state for `lastchg`, as HAProxy counts it.
    st.restart_lastchg();
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
        "addr" => set_addr(&srv, args.get(4..).unwrap_or_default()),
        "check-port" | "check-addr" => {
            let words = args.get(4..).unwrap_or_default();
            match set_check_dest(&srv, sub, words) {
                Ok(()) => String::new(),
                Err(CheckDestError::Usage(usage)) => usage.into(),
                Err(CheckDestError::Refused(why)) => {
                    ctx.bare = true;
                    format!("{why}\n")
                }
            }
        }
        "weight" => set_weight_value(ctx, &be, &srv, args.get(4)),
        "health" => set_health(ctx, &be, &srv, val),
        "agent" | "agent-addr" | "agent-port" | "agent-send" => {
            "agent checks are not enabled on this server.\n".into()
        }
        // HAProxy 2.6 answers its usage line both to a missing and to an unknown keyword.
        _ => "usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | agent-send | check-addr | check-port | fqdn | health | ssl | state | weight\n".into(),
    }
}

enum CheckDestError {
    /// HAProxy's usage line, answered as a normal message.
    Usage(&'static str),
    /// A refusal HAProxy ends with a single newline.
    Refused(String),
}

/// `set server <b>/<s> check-port <port>` / `check-addr <addr> [port <port>]`: where the
/// server's checks connect from their next run, checked as HAProxy 2.6 checks it (nothing
/// changes when any part is wrong). Port 0 sends checks to the server's own port again.
fn set_check_dest(srv: &ServerRt, sub: &str, words: &[String]) -> Result<(), CheckDestError> {
    let first = words.first().map(String::as_str).unwrap_or("");
    if first.is_empty() {
        return Err(CheckDestError::Usage(if sub == "check-port" {
            "set server <b>/<s> check-port requires a port.\n"
        } else {
            "set server <b>/<s> check-addr requires an address and optionally a port.\n"
        }));
    }
    if srv.check.is_none() {
        return Err(CheckDestError::Refused(
            "health checks are not enabled on this server".into(),
        ));
    }
    let mut dest = srv.check_dest();
    let port_text = if sub == "check-port" {
        Some(first)
    } else {
        let addr = first
            .parse::<IpAddr>()
            .map_err(|_| CheckDestError::Refused(format!("invalid addr '{first}'")))?;
        dest.addr = Some(addr);
        // HAProxy reads a port only after the word `port`; anything else is ignored.
        match words.get(1).map(String::as_str) {
            Some("port") => Some(words.get(2).map(String::as_str).unwrap_or("")),
            _ => None,
        }
    };
    if let Some(text) = port_text {
        dest.port = Some(check_port_value(text)?);
    }
    srv.set_check_dest(dest);
    Ok(())
}

/// A port as `set server … check-port` reads it: digits, optionally negative (then out of range).
fn check_port_value(text: &str) -> Result<u16, CheckDestError> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CheckDestError::Refused(
            "provided port is not an integer".into(),
        ));
    }
    text.parse::<i64>()
        .ok()
        .and_then(|p| u16::try_from(p).ok())
        .ok_or_else(|| CheckDestError::Refused("provided port is invalid".into()))
}

pub fn set_health(ctx: &Ctx, be: &BackendRt, srv: &ServerRt, val: &str) -> String {
    let forced = match val {
        "up" => ForcedHealth::Up,
        "stopping" => ForcedHealth::Stopping,
        "down" => ForcedHealth::Down,
        _ => return "'set server <srv> health' expects 'up', 'stopping', or 'down'.\n".into(),
    };
    if srv.track.is_some() {
        return "cannot change health on a tracking server.\n".into();
    }
    let Ok(mut st) = srv.state.lock() else {
        return String::new();
    };
    let from = st.health.state();
    let t = st.health.force(forced);
    st.unchecked_health = match forced {
        ForcedHealth::Down => 0,
        _ => UNCHECKED_FORCED_UP,
    };
    srv.publish(&mut st);
    drop(st);
    match t {
        Some(t) => events::transition(be, srv, t, from, Cause::Cli, ctx.log()),
        None => events::after_change(be, ctx.log()),
    }
    String::new()
}

/// `set server b/s addr IP [port PORT]`: new connections (and checks without their own
/// `addr`/`port`) go there; sessions already open stay where they are. The answer is HAProxy's
/// `srv_update_addr_port` report, each part saying what changed or why not.
fn set_addr(srv: &ServerRt, words: &[String]) -> String {
    const BY: &str = "by 'stats socket command'";
    let Some(ip_text) = words.first().filter(|w| !w.is_empty()) else {
        return "set server <b>/<s> addr requires an address and optionally a port.\n".into();
    };
    let Ok(ip) = ip_text.parse::<IpAddr>() else {
        return format!("Invalid addr '{ip_text}' {BY}\n");
    };
    let mut dest = srv.dest();
    let mut parts = Vec::new();
    if ip == dest.addr.ip() {
        parts.push("no need to change the addr".to_string());
    } else {
        parts.push(format!("IP changed from '{}' to '{ip}'", dest.addr.ip()));
        dest.addr.set_ip(ip);
    }
    if words.get(1).map(String::as_str) == Some("port") {
        let text = words.get(2).map(String::as_str).unwrap_or("");
        // HAProxy shows a mapped port as its 16-bit offset (`-1` is `+65535`).
        let current = match dest.port_map {
            Some(offset) => format!("+{}", offset as u16),
            None => dest.addr.port().to_string(),
        };
        let is_map = text.starts_with(['+', '-']);
        let number = text
            .get(usize::from(is_map)..)
            .and_then(|d| d.parse::<i64>().ok());
        match number {
            _ if is_map && srv.check.is_some() && srv.check_dest().port.is_none() => parts.push(
                "can't change <port> to port map because it is incompatible with current health check port configuration (use 'port' statement from the 'server' directive.".to_string(),
            ),
            None => parts.push(format!("problem converting port '{text}' to an int")),
            Some(n) if is_map => {
                let offset = if text.starts_with('-') { -n } else { n };
                parts.push(format!("port changed from '{current}' to '{text}'"));
                // Kept in 16 bits, as HAProxy does here (`-2` then shows as 65534; a `-2` read
                // from the configuration shows as -2): the same port once added to the client's.
                dest.port_map = Some(i32::from(offset as u16));
                dest.addr.set_port(0);
            }
            // A port past 65535 wraps, as HAProxy stores it in 16 bits.
            Some(n) => {
                let port = n as u16;
                if dest.port_map.is_none() && port == dest.addr.port() {
                    parts.push("no need to change the port".to_string());
                } else {
                    parts.push(format!("port changed from '{current}' to '{port}'"));
                    dest.port_map = None;
                    dest.addr.set_port(port);
                }
            }
        }
    }
    srv.set_dest(dest);
    format!("{} {BY}\n", parts.join(", "))
}

/// Parse `N` or `N%` like HAProxy's `server_parse_weight_change_request`.
fn parse_weight(srv: &ServerRt, be: &BackendRt, raw: Option<&String>) -> Result<u32, String> {
    let Some(raw) = raw.filter(|r| !r.is_empty()) else {
        return Err("Require <weight> or <weight%>.\n".into());
    };
    // strtol(): an optional sign, then digits (`+5` is 5).
    let sign = usize::from(raw.starts_with(['+', '-']));
    let digits = sign + raw[sign..].bytes().take_while(u8::is_ascii_digit).count();
    let Ok(n) = raw[..digits].parse::<i64>() else {
        return Err("Empty weight string empty or preceded by garbage".into());
    };
    let rest = &raw[digits..];
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
    if !set_check_enabled(ctx, &be, &srv, on) && on {
        // HAProxy 2.6 refuses to enable an unconfigured check but disables one silently.
        return "Health check was not configured on this server, cannot enable.\n".into();
    }
    String::new()
}

/// `enable agent`: proxyd refuses `agent-check` in the configuration, so no server has an agent
/// and the answer is HAProxy's for a server without one.
pub fn enable_agent(ctx: &mut Ctx, args: &[String]) -> String {
    match lookup(ctx, args.get(2)) {
        Ok(_) => "Agent was not configured on this server, cannot enable.\n".into(),
        Err(e) => e,
    }
}

/// `disable agent`: HAProxy disables a server's absent agent without a word.
pub fn disable_agent(ctx: &mut Ctx, args: &[String]) -> String {
    match lookup(ctx, args.get(2)) {
        Ok(_) => String::new(),
        Err(e) => e,
    }
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
            srv.kill_sessions(crate::model::server::Ended::Killed);
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
        return match new_state {
            FE_PAUSED => "Frontend was previously shut down, cannot disable.\n",
            FE_OPEN => "Frontend was previously shut down, cannot enable.\n",
            _ => "Frontend was already shut down.\n",
        }
        .into();
    }
    if new_state == FE_PAUSED && cur == FE_PAUSED {
        return "All sockets are already disabled.\n".into();
    }
    if new_state == FE_OPEN && cur == FE_OPEN {
        return "All sockets are already enabled.\n".into();
    }
    fe.set_state(new_state);
    // HAProxy's warnings for pause_proxy, resume_proxy and stop_proxy.
    let what = if fe.is_listen { "proxy" } else { "frontend" };
    let line = match new_state {
        FE_PAUSED => format!("Paused {what} {}.", fe.name),
        FE_OPEN => format!("Resumed {what} {}.", fe.name),
        _ => {
            // A `listen` section is its own backend: HAProxy counts both sides of the proxy.
            let be_conns = if fe.is_listen {
                ctx.model
                    .backend(&fe.name)
                    .map_or(0, |b| b.counters.stot.load(Relaxed))
            } else {
                0
            };
            format!(
                "Proxy {} stopped (cumulated conns: FE: {}, BE: {be_conns}).",
                fe.name,
                fe.counters.conn_tot.load(Relaxed)
            )
        }
    };
    ctx.log()
        .of(&fe.logs)
        .state_change(Severity::Warning, &line);
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

/// `set maxconn server <b>/<s> <n>`, parsed as HAProxy's `server_parse_maxconn_change_request`
/// (its two garbage messages have no newline; `strtol` accepts a sign, stored unsigned).
pub fn set_maxconn_server(ctx: &mut Ctx, args: &[String]) -> String {
    let (be, srv) = match lookup(ctx, args.get(3)) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let raw = args.get(4).map(String::as_str).unwrap_or("");
    if raw.is_empty() {
        return "Require <maxconn>.\n".into();
    }
    let (value, rest) = strtol(raw);
    let Some(value) = value else {
        return "maxconn string empty or preceded by garbage".into();
    };
    if !rest.is_empty() {
        return "Trailing garbage in maxconn string".into();
    }
    srv.maxconn.store(value as u32, Relaxed);
    crate::proxy::queue::dispatch(&be);
    String::new()
}

/// `set maxconn global <n>`: C `atoi`, 0 means the hard limit, above it is refused.
pub fn set_maxconn_global(ctx: &mut Ctx, args: &[String]) -> String {
    let raw = args.get(3).map(String::as_str).unwrap_or("");
    if raw.is_empty() {
        return "Expects an integer value.\n".into();
    }
    let g = &ctx.model.global;
    let hard = g.hard_maxconn.load(Relaxed);
    let (value, _) = strtol(raw);
    let value = value.unwrap_or(0).clamp(i32::MIN as i64, i32::MAX as i64);
    if value > hard as i64 {
        return "Value out of range.\n".into();
    }
    g.set_maxconn(if value <= 0 { hard } else { value as u32 });
    String::new()
}

pub fn set_maxconn_frontend(ctx: &mut Ctx, args: &[String]) -> String {
    let Some(name) = args.get(3).filter(|a| !a.is_empty()) else {
        return "A frontend name is expected.\n".into();
    };
    let Some(fe) = ctx.model.frontend(name) else {
        return "No such frontend.\n".into();
    };
    let raw = args.get(4).map(String::as_str).unwrap_or("");
    if raw.is_empty() {
        return "Integer value expected.\n".into();
    }
    // C `atoi` into an `int`, as HAProxy reads it: garbage is 0, a valid limit (the frontend
    // accepts nothing), and values past `INT_MAX` wrap as glibc's do.
    let value = strtol(raw).0.unwrap_or(0) as i32;
    if value < 0 {
        return "Value out of range.\n".into();
    }
    fe.set_maxconn(value as u32);
    String::new()
}

/// `set rate-limit connections|sessions|ssl-sessions|http-compression global <n>`: HAProxy's
/// `atoi` into an `int` (a word is 0, no limit; past `INT_MAX` wraps), negative refused.
pub fn set_rate_limit(ctx: &mut Ctx, args: &[String]) -> String {
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let limits = &ctx.model.global.rate_limits;
    let slot = match (arg(2), arg(3)) {
        ("connections", "global") => &limits.conn,
        ("sessions", "global") => &limits.sess,
        ("ssl-sessions", "global") => &limits.ssl,
        ("http-compression", "global") => &limits.comp,
        _ => {
            return "'set rate-limit' only supports :\n   - 'connections global' to set the per-process maximum connection rate\n   - 'sessions global' to set the per-process maximum session rate\n   - 'ssl-sessions global' to set the per-process maximum SSL session rate\n   - 'http-compression global' to set the per-process maximum compression speed in kB/s\n".into()
        }
    };
    let raw = arg(4);
    if raw.is_empty() {
        return "Expects an integer value.\n".into();
    }
    let value = strtol(raw).0.unwrap_or(0) as i32;
    if value < 0 {
        return "Value out of range.\n".into();
    }
    slot.store(value as u32, Relaxed);
    // Accept loops waiting out a limit look again at once.
    ctx.model.global.wake.send_replace(());
    String::new()
}

/// C `strtol` base 10: optional spaces and sign, digits; `None` when no digit was read.
fn strtol(s: &str) -> (Option<i64>, &str) {
    let t = s.trim_start();
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits = body.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return (None, s);
    }
    let n = body[..digits].bytes().fold(0i64, |acc, d| {
        acc.saturating_mul(10).saturating_add((d - b'0') as i64)
    });
    (Some(if neg { -n } else { n }), &body[digits..])
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
        for s in be.servers().iter() {
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
