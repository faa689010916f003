//! `show sess` and `shutdown session`: the sessions in progress, one line each, and ending one.
//!
//! HAProxy names a session by its address in memory; proxyd by a counter printed the same way
//! (`0x2a:`), so scripts that cut the first field and pass it to `shutdown session` work
//! unchanged. A line carries what a TCP session has: protocol, client address, frontend,
//! backend, server and age; HAProxy's internal flags, tasks and buffer states have no
//! counterpart and are left out, in the one-line list as in the detailed one.

use std::fmt::Write;
use std::sync::Arc;

use super::context::Ctx;
use crate::logging;
use crate::logging::time::human_time;
use crate::model::server::ServerRt;
use crate::model::sessions::Entry;
use crate::model::{BackendRt, FrontendRt};

/// `strtoul(s, NULL, 0)`: `0x` hexadecimal, a leading `0` octal, decimal otherwise, stopping at
/// the first character that does not fit (0 when none does), as HAProxy reads these ids.
fn strtoul(s: &str) -> u64 {
    let (digits, radix) = if let Some(hex) = s.strip_prefix("0x").or(s.strip_prefix("0X")) {
        (hex, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    };
    let end = digits
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(digits.len());
    u64::from_str_radix(&digits[..end], radix).unwrap_or(0)
}

/// What a session's entry points at in the running model.
struct Seen<'a> {
    peer: std::net::SocketAddr,
    proto: &'static str,
    frontend: Option<&'a FrontendRt>,
    backend: Option<&'a BackendRt>,
    server: Option<Arc<ServerRt>>,
    server_port: u16,
}

fn seen<'a>(ctx: &'a Ctx, e: &Entry) -> Seen<'a> {
    let peer = e.peer();
    Seen {
        peer,
        proto: if peer.is_ipv4() { "tcpv4" } else { "tcpv6" },
        frontend: ctx
            .model
            .frontends()
            .find(|f| f.id == e.frontend)
            .map(|f| &**f),
        backend: ctx
            .model
            .backends()
            .find(|b| b.id == e.backend)
            .map(|b| &**b),
        server: e.server.as_ref().and_then(|w| w.upgrade()),
        server_port: e.server_port,
    }
}

fn line(ctx: &Ctx, id: u64, e: &Entry) -> String {
    let s = seen(ctx, e);
    format!(
        "0x{id:x}: proto={} src={}:{} fe={} be={} srv={} age={}\n",
        s.proto,
        s.peer.ip(),
        s.peer.port(),
        s.frontend.map_or("<NONE>", |f| f.name.as_str()),
        s.backend.map_or("<NONE>", |b| b.name.as_str()),
        s.server.as_ref().map_or("<none>", |x| x.name.as_str()),
        human_time(ctx.model.global.sessions.age(e).as_secs() as i64)
    )
}

/// `show sess <id>` / `show sess all`: HAProxy's detailed layout, with the lines a TCP
/// session has.
fn detail(ctx: &Ctx, id: u64, e: &Entry) -> String {
    let s = seen(ctx, e);
    let age = ctx.model.global.sessions.age(e);
    let accepted = std::time::SystemTime::now()
        .checked_sub(age)
        .unwrap_or(std::time::UNIX_EPOCH);
    let mut out = format!(
        "0x{id:x}: [{}] id={id} proto={} source={}:{}\n",
        logging::time::date(accepted, true),
        s.proto,
        s.peer.ip(),
        s.peer.port()
    );
    if let Some(fe) = s.frontend {
        let _ = writeln!(
            out,
            "  frontend={} (id={} mode={})",
            fe.name,
            fe.id,
            fe.mode.name()
        );
    }
    if let Some(be) = s.backend {
        let _ = writeln!(
            out,
            "  backend={} (id={} mode={})",
            be.name,
            be.id,
            be.mode.name()
        );
    }
    if let Some(srv) = &s.server {
        let _ = writeln!(
            out,
            "  server={} (id={}) addr={}",
            srv.name,
            srv.id(),
            std::net::SocketAddr::new(srv.addr().ip(), s.server_port)
        );
    }
    let _ = writeln!(out, "  age={}", human_time(age.as_secs() as i64));
    out
}

pub fn show_sess(ctx: &mut Ctx, args: &[String]) -> String {
    let table = Arc::clone(&ctx.model.global.sessions);
    let arg = args.get(2).map(String::as_str).unwrap_or("");
    let wanted = strtoul(arg);
    if wanted != 0 {
        return match table.get(wanted) {
            Some(e) => detail(ctx, wanted, &e),
            None => "Session not found.\n".into(),
        };
    }
    let each = if arg == "all" { detail } else { line };
    table
        .snapshot()
        .iter()
        .map(|(id, e)| each(ctx, *id, e))
        .collect()
}

pub fn shutdown_session(ctx: &mut Ctx, args: &[String]) -> String {
    let id = args.get(2).map_or(0, |a| strtoul(a));
    if id == 0 {
        return "Session pointer expected (use 'show sess').\n".into();
    }
    if ctx.model.global.sessions.kill(id) {
        String::new()
    } else {
        "No such session (use 'show sess').\n".into()
    }
}

#[cfg(test)]
mod tests {
    use super::strtoul;

    #[test]
    fn ids_read_as_haproxy_reads_them() {
        assert_eq!(
            [
                strtoul("0x1f"),
                strtoul("31"),
                strtoul("037"),
                strtoul("abc"),
                strtoul("12x")
            ],
            [31, 31, 31, 0, 12]
        );
    }
}
