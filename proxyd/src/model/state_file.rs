//! `load-server-state-from-file`: at start, servers take the state a previous process saved
//! with `show servers state` (format version 1), as HAProxy's `apply_server_state()` applies
//! it: operational and administrative state, user weight, check status and health, age of the
//! last change, port, the address of a server named by host name and the check's address and
//! port. What the configuration changed since wins (a new weight, `disabled` added or removed).
//!
//! `-c` applies them to a model it then drops, and so reports what a start would, as HAProxy's
//! does.

use std::collections::HashMap;
use std::io::{BufRead, Read};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use runtime_api::status::CheckStatus;

use super::events;
use super::server::{CheckDest, Dest, ServerRt, UNCHECKED_FORCED_UP};
use super::Model;
use crate::check::{CheckOutcome, OpState, Transition};
use crate::config::{values, Config, Proxy, ServerStateFrom};
use crate::logging::{self, Logger, Severity};

/// HAProxy reads lines of up to this size; a longer one is cut and the file found corrupted.
const LINE_MAX: usize = 512;
/// A version-1 line has 20 fields, and up to 5 optional ones after them.
const MIN_FIELDS: usize = 20;
const MAX_FIELDS: usize = 25;

/// `srv_admin_state` bits (HAProxy's `SRV_ADMF_*`).
const FMAINT: u32 = 0x01;
const CMAINT: u32 = 0x04;
const FDRAIN: u32 = 0x08;
/// Inherited (from a tracked server, DNS) or informational: recomputed, never restored.
const RECOMPUTED: u32 = 0x02 | 0x10 | 0x20 | 0x80;
/// `srv_check_state` bits: in progress, configured, enabled, paused, agent.
const CHECK_CONFIGURED: u32 = 0x02;
const CHECK_ENABLED: u32 = 0x04;
const CHECK_BITS: u32 = 0x1f;
/// HAProxy's `SRV_UWGHT_MAX` and `HCHK_STATUS_SIZE`.
const WEIGHT_MAX: i64 = 256;
const CHECK_STATUS_COUNT: i64 = 21;

/// One server's saved state, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    /// 0 stopped, 1 starting, 2 running, 3 stopping.
    op: u8,
    admin: u32,
    uweight: u32,
    iweight: u32,
    /// Seconds since the last change, as saved.
    last_change: u64,
    check_status: u8,
    check_health: u32,
    check_state: u32,
    addr: Option<IpAddr>,
    port: Option<u16>,
    check_port: Option<u16>,
    check_addr: Option<IpAddr>,
}

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

enum FileError {
    Open(String),
    Empty,
    Version,
    Corrupted(usize),
    /// A line of another backend in a backend's own file.
    Mismatch(String),
}

/// A usable line's fields, and where it was (leftover lines are reported in file order).
#[derive(Debug)]
struct Line {
    fields: Vec<String>,
    line: usize,
}

impl std::ops::Deref for Line {
    type Target = [String];
    fn deref(&self) -> &[String] {
        &self.fields
    }
}

type Lines = HashMap<(String, String), Line>;

/// The usable lines of one file keyed by backend and server name, None when the file cannot
/// be used at all. With `own`, the file belongs to that backend: a line must name it by name
/// (or by id, when the saved backend had a forced one).
fn read_file(
    path: &str,
    own: Option<&Proxy>,
    on_error: &mut dyn FnMut(FileError),
) -> Option<Lines> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            on_error(FileError::Open(crate::os_error::strerror(&e)));
            return None;
        }
    };
    read_lines(std::io::BufReader::new(file), own, on_error)
}

/// [`read_file`] on what `reader` yields.
fn read_lines(
    mut reader: impl BufRead,
    own: Option<&Proxy>,
    on_error: &mut dyn FnMut(FileError),
) -> Option<Lines> {
    let mut next_line = || -> Option<Vec<u8>> {
        let mut buf = Vec::new();
        // `fgets` with HAProxy's buffer: at most LINE_MAX - 1 bytes per read.
        let mut limited = (&mut reader).take(LINE_MAX as u64 - 1);
        match limited.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(buf),
        }
    };
    let Some(first) = next_line() else {
        on_error(FileError::Empty);
        return None;
    };
    if version(&first) != Some(1) {
        on_error(FileError::Version);
        return None;
    }
    let mut lines = Lines::new();
    let mut number = 0;
    while let Some(raw) = next_line() {
        number += 1;
        let Some(fields) = split(&raw) else {
            on_error(FileError::Corrupted(number));
            return None;
        };
        if fields.is_empty() {
            continue;
        }
        let backend = match own {
            None => fields[1].clone(),
            Some(px) => {
                let by_id = leading_int(&fields[0]).unwrap_or(0) == i64::from(px.id);
                let by_name = fields[1] == px.name;
                let forced = leading_int(&fields[15]).unwrap_or(0) & 1 == 1;
                if !by_id && !by_name {
                    continue;
                }
                if !by_id {
                    on_error(FileError::Mismatch(format!(
                        "Proxy '{}': backend ID mismatch: from server state file: '{}', from running config '{}'",
                        px.name, fields[0], px.id
                    )));
                } else if !by_name {
                    on_error(FileError::Mismatch(format!(
                        "Proxy '{}': backend name mismatch: from server state file: '{}', from running config '{}'",
                        px.name, fields[1], px.name
                    )));
                    if !forced {
                        continue;
                    }
                }
                px.name.clone()
            }
        };
        // A second line for the same server (a hand-made file) is dropped.
        lines.entry((backend, fields[3].clone())).or_insert(Line {
            fields,
            line: number,
        });
    }
    Some(lines)
}

/// The version on the first line: digits and nothing else before the newline.
fn version(line: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(line).ok()?.strip_suffix('\n')?;
    let n = values::strtol(text)?;
    n.rest.is_empty().then_some(n.value)
}

/// A line's fields: empty for a blank or comment line, None for a line without its newline
/// (cut, or the last one unterminated) or with a field count no version-1 line has.
fn split(raw: &[u8]) -> Option<Vec<String>> {
    let text = String::from_utf8_lossy(raw);
    let text = text.strip_suffix('\n')?;
    let body = text.trim_start_matches([' ', '\t']);
    if body.is_empty() || body.starts_with('#') {
        return Some(Vec::new());
    }
    let fields: Vec<String> = body
        .split([' ', '\t'])
        .filter(|f| !f.is_empty())
        .take(MAX_FIELDS)
        .map(str::to_string)
        .collect();
    (fields.len() >= MIN_FIELDS).then_some(fields)
}

/// A field as HAProxy's `strtol()` reads it; None for no digit or a value out of range.
fn leading_int(s: &str) -> Option<i64> {
    values::strtol(s).filter(|n| !n.overflow).map(|n| n.value)
}

/// HAProxy's checks of a line's fields (`srv_state_srv_update`): every bad field is named,
/// and a line with one is not applied at all.
fn validate(f: &[String]) -> Result<Saved, String> {
    let mut errors = String::new();
    let mut field = |i: usize, name: &str, ok: &dyn Fn(i64) -> bool| -> i64 {
        let raw = &f[i];
        match leading_int(raw).filter(|v| ok(*v)) {
            Some(v) => v,
            None => {
                errors.push_str(&format!(", invalid {name} value '{raw}'"));
                0
            }
        }
    };
    let op = field(5, "srv_op_state", &|v| (0..=3).contains(&v));
    let admin = field(6, "srv_admin_state", &|v| {
        let kept = (v as u32) & !RECOMPUTED;
        (0..=i64::from(u32::MAX)).contains(&v)
            && [0, FMAINT, CMAINT, CMAINT | FMAINT, CMAINT | FDRAIN, FDRAIN].contains(&kept)
    }) as u32
        & !RECOMPUTED;
    let uweight = field(7, "srv_uweight", &|v| (0..=WEIGHT_MAX).contains(&v));
    let iweight = field(8, "srv_iweight", &|v| (0..=WEIGHT_MAX).contains(&v));
    let last_change = field(9, "srv_last_time_change", &|_| true);
    let check_status = field(10, "srv_check_status", &|v| v < CHECK_STATUS_COUNT);
    field(11, "srv_check_result", &|v| (0..=4).contains(&v));
    let check_health = field(12, "srv_check_health", &|_| true);
    let bits = |v: i64| (v as u64) & !u64::from(CHECK_BITS) == 0;
    let check_state = field(13, "srv_check_state", &bits);
    field(14, "srv_agent_state", &bits);
    field(15, "bk_f_forced_id", &|v| v == 0 || v == 1);
    field(16, "srv_f_forced_id", &|v| v == 0 || v == 1);
    let port = match f[18].bytes().take_while(u8::is_ascii_digit).count() {
        0 => Some(0),
        n => f[18][..n].parse::<u32>().ok().filter(|p| *p <= 65535),
    };
    if port.is_none() {
        errors.push_str(&format!(", invalid srv_port value '{}'", f[18]));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let optional = |i: usize| {
        f.get(i)
            .map(String::as_str)
            .filter(|v| *v != "-" && *v != "0")
    };
    Ok(Saved {
        op: op as u8,
        admin,
        uweight: uweight as u32,
        iweight: iweight as u32,
        last_change: last_change.max(0) as u64,
        check_status: check_status.clamp(0, 255) as u8,
        check_health: check_health.clamp(0, i64::from(u32::MAX)) as u32,
        check_state: check_state as u32,
        addr: f[4].parse().ok(),
        port: port.map(|p| p as u16),
        check_port: optional(21).and_then(|p| p.parse().ok()),
        check_addr: optional(22).and_then(|a| a.parse().ok()),
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> Vec<String> {
        split(format!("{text}\n").as_bytes()).expect("a valid line")
    }

    #[test]
    fn fields_are_checked_as_haproxy_checks_them() {
        let ok = line("3 be 1 s 127.0.0.1 2 8 50 1 300 15 3 4 6 0 0 0 - 8080 - 0 0 - - 0");
        let saved = validate(&ok).expect("valid");
        assert_eq!(
            (saved.op, saved.admin, saved.uweight, saved.check_status),
            (2, FDRAIN, 50, 15)
        );
        let bad = line("3 be 1 s 127.0.0.1 9 64 999 1 x 6 3 4 6 0 2 0 - 70000 - 0 0 - - 0");
        assert_eq!(
            validate(&bad),
            Err(", invalid srv_op_state value '9', invalid srv_admin_state value '64', invalid srv_uweight value '999', invalid srv_last_time_change value 'x', invalid bk_f_forced_id value '2', invalid srv_port value '70000'".to_string())
        );
        // strtol reads what it can: "2abc" is 2; inherited flags are dropped, not refused.
        let lenient = line("3 be 1 s - 2abc 26 1 1 0 6 3 4 6 0 0 0 - 80 - 0 0 - - 0");
        assert_eq!(validate(&lenient).map(|s| (s.op, s.admin)), Ok((2, FDRAIN)));
    }

    #[test]
    fn lines_without_newline_or_with_too_few_fields_are_corrupted() {
        assert_eq!(split(b"3 be 1 s"), None);
        assert_eq!(
            split(b"3 be 1 s 127.0.0.1 2 0 1 1 0 6 3 4 6 0 0 0 -\n"),
            None
        );
        assert_eq!(split(b"  # a comment\n"), Some(vec![]));
        assert_eq!(split(b"\n"), Some(vec![]));
        let long: String = (0..30).map(|i| format!("{i} ")).collect();
        assert_eq!(
            split(format!("{long}\n").as_bytes()).map(|f| f.len()),
            Some(25)
        );
        assert_eq!(version(b"1\n"), Some(1));
        assert_eq!(version(b"1 \n"), None);
        assert_eq!(version(b"1"), None);
    }
}
