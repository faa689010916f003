//! The `global` section: process settings, logging and stats sockets.

use std::collections::HashMap;
use std::ffi::CString;
use std::path::PathBuf;
use std::time::Duration;

use runtime_api::level::Level;

use super::diag::{did_you_mean, Diagnostic, Report};
use super::keywords::{self, BIND_KEYWORDS};
use super::lexer::Line;
use super::types::{Global, ListenAddr, LogDest, LogFormat, LogTarget, RateLimits, StatsSocket};
use super::values;

pub struct GlobalDraft {
    pub global: Global,
    /// `ssl-server-verify`: the default of a server's `verify`.
    pub server_verify_required: bool,
    /// `setenv`/`presetenv`/`unsetenv` values, consulted before the process environment so
    /// that later lines see them, as in HAProxy.
    pub env: HashMap<String, Option<String>>,
    /// The names of `env`, in the order they were first set (for `show env`).
    pub env_order: Vec<String>,
    /// `maxconnrate`, `maxsessrate`, `maxsslrate`, `maxcomprate` already seen.
    pub rates_set: [bool; 4],
}

impl GlobalDraft {
    fn set_env(&mut self, name: String, value: Option<String>) {
        if !self.env.contains_key(&name) {
            self.env_order.push(name.clone());
        }
        self.env.insert(name, value);
    }
}

impl Default for GlobalDraft {
    fn default() -> Self {
        GlobalDraft {
            global: Global {
                maxconn: None,
                nbthread: None,
                daemon: false,
                pidfile: None,
                user: None,
                group: None,
                chroot: None,
                logs: Vec::new(),
                log_tag: None,
                log_hostname: None,
                stats_sockets: Vec::new(),
                stats_timeout: Duration::from_secs(10),
                spread_checks: 0,
                node: None,
                description: None,
                stats_maxconn: 10,
                uid: None,
                gid: None,
                hard_stop_after: None,
                master_worker: false,
                rate_limits: RateLimits::default(),
                env: Vec::new(),
                server_state_file: None,
                server_state_base: None,
            },
            server_verify_required: true,
            env: HashMap::new(),
            env_order: Vec::new(),
            rates_set: [false; 4],
        }
    }
}

pub type GlobalParser = fn(&mut GlobalDraft, &Line, &mut Report);

pub fn maxconn(g: &mut GlobalDraft, l: &Line, r: &mut Report) {
    if g.global.maxconn.is_some() {
        // HAProxy flags this as an alert that does not stop the load.
        r.warn(l, "'maxconn' already specified. Continuing.");
        return;
    }
    match values::count(l.arg(1)) {
        Some((n, exact)) => {
            if !exact {
                r.warn(l, values::loosely_read("maxconn", l.arg(1), n));
            }
            g.global.maxconn = Some(n)
        }
        None => r.alert(l, "'maxconn' expects an integer argument."),
    }
}

/// `maxconnrate`, `maxsessrate`, `maxsslrate`, `maxcomprate`: HAProxy refuses only a missing
/// value and reads the rest with `atol` (so a word means no limit).
pub fn rate_limit(g: &mut GlobalDraft, l: &Line, r: &mut Report) {
    let kw = l.arg(0);
    let limits = &mut g.global.rate_limits;
    let (slot, set) = match kw {
        "maxconnrate" => (&mut limits.conn, &mut g.rates_set[0]),
        "maxsessrate" => (&mut limits.sess, &mut g.rates_set[1]),
        "maxsslrate" => (&mut limits.ssl, &mut g.rates_set[2]),
        _ => (&mut limits.comp, &mut g.rates_set[3]),
    };
    if *set {
        // HAProxy prints this as an alert that does not stop the load.
        return r.warn(l, format!("'{kw}' already specified. Continuing."));
    }
    if l.arg(1).is_empty() {
        return r.alert(l, format!("'{kw}' expects an integer argument."));
    }
    *set = true;
    *slot = values::atoi(l.arg(1)).clamp(0, i64::from(u32::MAX)) as u32;
}

pub fn nbthread(g: &mut GlobalDraft, l: &Line, r: &mut Report) {
    match values::uint(l.arg(1)) {
        Some(n) if n > 0 => g.global.nbthread = usize::try_from(n).ok(),
        Some(_) => r.alert(l, "'nbthread' must be > 0."),
        None => r.alert(
            l,
            format!(
                "'nbthread' passed a missing or unparsable integer value in '{}'",
                l.arg(1)
            ),
        ),
    }
}

pub fn daemon(g: &mut GlobalDraft, _: &Line, _: &mut Report) {
    g.global.daemon = true;
}

pub fn master_worker(g: &mut GlobalDraft, l: &Line, r: &mut Report) {
    match l.arg(1) {
        "" => {}
        "no-exit-on-failure" => r.ignored(l, "master-worker no-exit-on-failure"),
        other => {
            return r.alert(
                l,
                format!("'master-worker' only supports 'no-exit-on-failure' (got '{other}')."),
            )
        }
    }
    g.global.master_worker = true;
}

fn one_arg<'a>(l: &'a Line, r: &mut Report, what: &str) -> Option<&'a str> {
    if l.arg(1).is_empty() {
        r.alert(l, format!("'{}' expects {what} as an argument.", l.arg(0)));
        None
    } else {
        Some(l.arg(1))
    }
}

pub fn pidfile(g: &mut GlobalDraft, l: &Line, r: &mut Report) {
    if let Some(p) = one_arg(l, r, "a file name") {
        g.global.pidfile = Some(PathBuf::from(p));
    }
}

pub fn chroot(g: &mut GlobalDraft, l: &Line, r: &mut Report) {
    if let Some(p) = one_arg(l, r, "a directory") {
        g.global.chroot = Some(PathBuf::from(p));
    }
}

pub fn user(g: &mut GlobalDraft, l: &Line, r: &mut Report) {
    let Some(name) = one_arg(l, r, "a user name") else {
        return;
    };
    match user_id(name) {
        Some(uid) => {
            g.global.user = Some(name.to_string());
            g.global.uid = Some(uid);
        }
        None => r.alert(l, format!("cannot find user id for '{name}' (0:Success)")),
    }
}

pub fn group(g: &mut GlobalDraft, l: &Line, r: &mut Report) {
    let Some(name) = one_arg(l, r, "a group name") else {
        return;
    };
    match group_id(name) {
        Some(gid) => {
            g.global.group = Some(name.to_string());
            g.global.gid = Some(gid);
        }
        None => r.alert(l, format!("cannot find group id for '{name}' (0:Success)")),
    }
}

pub fn uid(g: &mut GlobalDraft, l: &Line, r: &mut Report) {
    match values::uint(l.arg(1)) {
        Some(n) => g.global.uid = Some(n),
        None => r.alert(l, "'uid' expects an integer argument."),
    }
}

pub fn gid(g: &mut GlobalDraft, l: &Line, r: &mut Report) {
    match values::uint(l.arg(1)) {
        Some(n) => g.global.gid = Some(n),
        None => r.alert(l, "'gid' expects an integer argument."),
    }
}

const FACILITIES: [&str; 24] = [
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "auth2",
    "ftp", "ntp", "audit", "alert", "cron2", "local0", "local1", "local2", "local3", "local4",
    "local5", "local6", "local7",
];
const LEVELS: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];

/// `log <target> [len <n>] [format <f>] [sample <r>:<n>] <facility> [<level> [<minlevel>]]`.
pub fn parse_log(l: &Line, r: &mut Report) -> Option<LogTarget> {
    let target = l.address(l.arg(1));
    let target = target.as_ref();
    let mut i = 2;
    let mut format = LogFormat::default();
    while matches!(l.arg(i), "len" | "format" | "sample") {
        if l.arg(i) == "format" {
            let name = l.arg(i + 1);
            match LogFormat::parse(name) {
                Some(f) => format = f,
                None => {
                    r.alert(l, format!("log : unknown log format '{name}'"));
                    return None;
                }
            }
        }
        i += 2;
    }
    let facility = l.arg(i);
    if target.is_empty() || facility.is_empty() {
        r.alert(l, "log : expects <address> and <facility>  as arguments");
        return None;
    }
    if !FACILITIES.contains(&facility) {
        r.alert(l, format!("log : unknown log facility '{facility}'"));
        return None;
    }
    let mut levels = [7u8, 0u8];
    for (slot, level) in levels.iter_mut().zip([l.arg(i + 1), l.arg(i + 2)]) {
        if level.is_empty() {
            continue;
        }
        match LEVELS.iter().position(|n| *n == level) {
            Some(n) => *slot = n as u8,
            None => {
                r.alert(l, format!("unknown optional log level '{level}'"));
                return None;
            }
        }
    }
    let dest = match target {
        "stderr" => LogDest::Stderr,
        "stdout" => LogDest::Stdout,
        t if t.starts_with('/') => LogDest::Unix(PathBuf::from(t)),
        t if t.starts_with("unix@") => LogDest::Unix(PathBuf::from(&t["unix@".len()..])),
        t if t.starts_with("ring@") || t.starts_with("fd@") => {
            r.unsupported(
                l,
                &format!("log {t}"),
                "only stdout, stderr, unix and UDP syslog targets are available",
            );
            return None;
        }
        t => {
            let t = t.strip_prefix("udp@").unwrap_or(t);
            let hp = values::split_host_port(t);
            // A bare IP (IPv6 colons are not a port) or a bare name means syslog's port 514.
            let (host, port) = match (t.parse::<std::net::IpAddr>(), hp.port) {
                (Err(_), Some(p)) => match values::port(p) {
                    Ok(port) => (hp.host, port),
                    Err(e) => {
                        r.alert(l, format!("log : {e}"));
                        return None;
                    }
                },
                _ => (hp.host.trim_start_matches('[').trim_end_matches(']'), 514),
            };
            let host = if hp.port.is_none() || t.parse::<std::net::IpAddr>().is_ok() {
                t
            } else {
                host
            };
            match values::resolve_host(host, hp.family, port).and_then(|v| v.into_iter().next()) {
                Some(addr) => LogDest::Udp(addr),
                None => {
                    r.alert(
                        l,
                        format!("log : invalid address: '{host}' in '{}'", l.arg(1)),
                    );
                    return None;
                }
            }
        }
    };
    Some(LogTarget {
        dest,
        facility: facility.to_string(),
        max_level: levels[0],
        min_level: levels[1],
        format,
    })
}

/// `log-tag <string>`: the program name in the syslog header.
pub fn log_tag(g: &mut GlobalDraft, l: &Line, r: &mut Report) {
    match l.arg(1) {
        "" => r.alert(l, "'log-tag' expects a tag for use in syslog."),
        tag => g.global.log_tag = Some(tag.to_string()),
    }
}

/// `log-send-hostname [<string>]`: syslog headers carry this name, or the system's.
pub fn log_send_hostname(g: &mut GlobalDraft, l: &Line, _: &mut Report) {
    g.global.log_hostname = Some(match l.arg(1) {
        "" => crate::model::hostname(),
        name => name.to_string(),
    });
}

pub fn log(g: &mut GlobalDraft, l: &Line, r: &mut Report) {
    if l.arg(1) == "global" {
        return r.alert(l, "'log global' makes no sense in the 'global' section.");
    }
    if let Some(t) = parse_log(l, r) {
        g.global.logs.push(t);
    }
}

pub fn stats(g: &mut GlobalDraft, l: &Line, r: &mut Report) {
    match l.arg(1) {
        "socket" => {
            if let Some(s) = stats_socket(l, r) {
                g.global.stats_sockets.push(s);
            }
        }
        "timeout" => match r.time(l.arg(2)) {
            Ok(d) if !d.is_zero() => g.global.stats_timeout = d,
            Ok(_) => r.alert(l, "'stats timeout' expects a positive value"),
            Err(values::TimeError::Unexpected(c)) => {
                r.alert(l, format!("'stats timeout' : unexpected character '{c}'"))
            }
            Err(e) => r.alert(l, format!("'stats timeout' : {e}")),
        },
        "maxconn" => match values::uint(l.arg(2)) {
            Some(n) if n > 0 => g.global.stats_maxconn = n,
            _ => r.alert(l, "'stats maxconn' : expects a positive integer value"),
        },
        "bind-process" => r.ignored(l, "stats bind-process"),
        other => r.alert(
            l,
            format!(
                "'stats' only supports 'socket', 'maxconn', 'bind-process' and 'timeout' (got '{other}')."
            ),
        ),
    }
}

/// `stats socket <path>|ipv4@<host>:<port> [params]`.
fn stats_socket(l: &Line, r: &mut Report) -> Option<StatsSocket> {
    let text = l.address(l.arg(2));
    let text = text.as_ref();
    if text.is_empty() {
        r.alert(
            l,
            "'stats socket' requires an address or a path as an argument.",
        );
        return None;
    }
    let addr = if let Some(path) = text.strip_prefix("unix@") {
        ListenAddr::Unix(PathBuf::from(path))
    } else if text.starts_with('/') || text.starts_with('.') {
        ListenAddr::Unix(PathBuf::from(text))
    } else if text.starts_with("abns@") || text.starts_with("fd@") || text.starts_with("sockpair@")
    {
        r.unsupported(
            l,
            &format!("stats socket {text}"),
            "only Unix paths and TCP addresses can be listened on",
        );
        return None;
    } else {
        match values::bind_addrs(text) {
            Ok(v) => ListenAddr::Tcp(*v.first()?),
            Err(e) => {
                r.alert(l, format!("'stats socket' : {e}"));
                return None;
            }
        }
    };
    let mut sock = StatsSocket {
        addr,
        mode: None,
        level: Level::Operator,
        uid: None,
        gid: None,
        expose_fd_listeners: false,
    };
    let mut ok = true;
    let mut i = 3;
    while i < l.words.len() {
        let kw = l.arg(i);
        let val = l.arg(i + 1);
        let mut bad = |msg: String, r: &mut Report| {
            r.alert(l, format!("'stats socket' : {msg}"));
            ok = false;
        };
        match kw {
            "mode" => match u32::from_str_radix(val, 8) {
                Ok(m) if !val.is_empty() => sock.mode = Some(m),
                _ => bad(
                    format!("''mode' : missing or invalid mode '{val}' (octal integer expected)'"),
                    r,
                ),
            },
            "level" => match Level::parse(val) {
                Some(lv) => sock.level = lv,
                None => bad(
                    format!(
                        "''level' only supports 'user', 'operator', and 'admin' (got '{val}')'"
                    ),
                    r,
                ),
            },
            "user" => match user_id(val) {
                Some(u) => sock.uid = Some(u),
                None => bad(format!("''user' : unknown user name '{val}''"), r),
            },
            "group" => match group_id(val) {
                Some(gid) => sock.gid = Some(gid),
                None => bad(format!("''group' : unknown group name '{val}''"), r),
            },
            "uid" => match values::uint(val) {
                Some(u) => sock.uid = Some(u),
                None => bad(
                    format!("''uid' : expects an integer argument (got '{val}')'"),
                    r,
                ),
            },
            "gid" => match values::uint(val) {
                Some(gid) => sock.gid = Some(gid),
                None => bad(
                    format!("''gid' : expects an integer argument (got '{val}')'"),
                    r,
                ),
            },
            "expose-fd" => {
                if val == "listeners" {
                    sock.expose_fd_listeners = true;
                } else {
                    bad(
                        "''expose-fd' : unsupported value, expects 'listeners''".to_string(),
                        r,
                    );
                }
            }
            _ => match keywords::bind_keyword_arity(kw) {
                Some(arity) => {
                    r.warn(
                        l,
                        format!("'stats socket' : '{kw}' is ignored by proxyd (no effect on a TCP passthrough proxy)."),
                    );
                    i += 1 + arity;
                    continue;
                }
                None => {
                    let hint = did_you_mean(kw, BIND_KEYWORDS.iter().map(|(k, _)| *k))
                        .replace("; did you mean", ". Did you mean");
                    bad(format!("unknown keyword '{kw}'{hint}"), r);
                    i += 1;
                    continue;
                }
            },
        }
        i += 2;
    }
    ok.then_some(sock)
}

pub fn spread_checks(g: &mut GlobalDraft, l: &Line, r: &mut Report) {
    match values::uint(l.arg(1)) {
        Some(n @ 0..=50) => g.global.spread_checks = n,
        _ => r.push(
            Diagnostic::alert(
                l.file(),
                l.number,
                l.arg(0),
                "'spread-checks' needs a positive value in range 0..50.",
            )
            .tight(),
        ),
    }
}

pub fn node(g: &mut GlobalDraft, l: &Line, r: &mut Report) {
    let name = l.arg(1);
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if valid {
        g.global.node = Some(name.to_string());
    } else {
        r.push(
            Diagnostic::alert(
                l.file(),
                l.number,
                "node",
                "'node' requires valid node name - non-empty string with digits(0-9), letters(A-Z, a-z), dot(.), hyphen(-) or underscode(_).",
            )
            .tight(),
        );
    }
}

pub fn description(g: &mut GlobalDraft, l: &Line, r: &mut Report) {
    if l.words.len() < 2 {
        return r.alert(l, "'description' expects a string argument.");
    }
    g.global.description = Some(l.words[1..].join(" "));
}

pub fn hard_stop_after(g: &mut GlobalDraft, l: &Line, r: &mut Report) {
    match r.time(l.arg(1)) {
        Ok(d) => g.global.hard_stop_after = Some(d),
        Err(e) => r.alert(l, e.describe("hard-stop-after", l.arg(1))),
    }
}

pub fn ssl_server_verify(g: &mut GlobalDraft, l: &Line, r: &mut Report) {
    match l.arg(1) {
        "none" => g.server_verify_required = false,
        "required" => g.server_verify_required = true,
        other => r.alert(
            l,
            format!("'ssl-server-verify' : expects 'none' or 'required' but got '{other}'."),
        ),
    }
}

pub fn setenv(g: &mut GlobalDraft, l: &Line, r: &mut Report) {
    let kw = l.arg(0);
    if l.words.len() != 3 {
        return r.alert(l, format!("'{kw}' expects exactly 2 arguments."));
    }
    let name = l.arg(1).to_string();
    // `presetenv` never overrides a value that already exists, set earlier or inherited.
    let exists = match g.env.get(&name) {
        Some(v) => v.is_some(),
        None => std::env::var_os(&name).is_some(),
    };
    if kw == "presetenv" && exists {
        return;
    }
    g.set_env(name, Some(l.arg(2).to_string()));
}

pub fn unsetenv(g: &mut GlobalDraft, l: &Line, r: &mut Report) {
    if l.words.len() < 2 {
        return r.alert(l, "'unsetenv' expects at least 1 argument.");
    }
    for name in &l.words[1..] {
        g.set_env(name.clone(), None);
    }
}

pub fn user_id(name: &str) -> Option<u32> {
    let c = CString::new(name).ok()?;
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: all-zero is a valid `passwd` (null pointers, zero ids); it is only read after
    // getpwnam_r reports success.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer refers to live storage of the advertised size; getpwnam_r (unlike
    // getpwnam) writes only into that storage, so parallel loads cannot race.
    let rc = unsafe {
        libc::getpwnam_r(
            c.as_ptr(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        )
    };
    (rc == 0 && !result.is_null()).then_some(pwd.pw_uid)
}

pub fn group_id(name: &str) -> Option<u32> {
    let c = CString::new(name).ok()?;
    let mut buf = vec![0 as libc::c_char; 64 * 1024];
    // SAFETY: as in `user_id`, a zeroed `group` is valid and only read after success.
    let mut grp: libc::group = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::group = std::ptr::null_mut();
    // SAFETY: as in `user_id`; getgrnam_r writes only into the buffers we pass.
    let rc = unsafe {
        libc::getgrnam_r(
            c.as_ptr(),
            &mut grp,
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        )
    };
    (rc == 0 && !result.is_null()).then_some(grp.gr_gid)
}

/// `server-state-file <file>` and `server-state-base <dir>`: set once; a second one is an
/// alert that does not stop the load, as in HAProxy.
pub fn server_state_path(g: &mut GlobalDraft, l: &Line, r: &mut Report) {
    let kw = l.arg(0);
    let (slot, what) = match kw {
        "server-state-base" => (
            &mut g.global.server_state_base,
            "expects one argument: a directory path.",
        ),
        _ => (
            &mut g.global.server_state_file,
            "expect one argument: a file path.",
        ),
    };
    if slot.is_some() {
        return r.push(
            Diagnostic::alert(
                l.file(),
                l.number,
                kw,
                format!("'{kw}' already specified. Continuing."),
            )
            .continuing(),
        );
    }
    if l.arg(1).is_empty() {
        return r.alert(l, format!("'{kw}' {what}"));
    }
    *slot = Some(l.arg(1).to_string());
}

/// `nbproc`: gone from HAProxy 2.5 on, which refuses a file that still has it.
pub fn nbproc(_: &mut GlobalDraft, l: &Line, r: &mut Report) {
    r.alert(
        l,
        "nbproc is not supported any more since HAProxy 2.5. Threads will automatically be used on multi-processor machines if available.",
    );
}

/// `lua-load FILE`: proxyd runs no Lua, but a file HAProxy could not read fails the load as it
/// does in HAProxy (a file it reads is ignored with a warning).
pub fn lua_load(_: &mut GlobalDraft, l: &Line, r: &mut Report) {
    let (kw, file) = (l.arg(0), l.arg(1));
    if file.is_empty() {
        return r.alert(l, format!("'{kw}' expects a file name as parameter."));
    }
    // Lua's own wording: `fopen` failing is "cannot open", reading it (a directory) "cannot read".
    let unreadable = match std::fs::File::open(file) {
        Err(e) => Some(format!(
            "cannot open {file}: {}",
            crate::os_error::strerror(&e)
        )),
        Ok(mut f) => std::io::Read::read_to_end(&mut f, &mut Vec::new())
            .err()
            .map(|e| format!("cannot read {file}: {}", crate::os_error::strerror(&e))),
    };
    match unreadable {
        Some(why) => r.alert(l, format!("error in Lua file '{file}': {why}")),
        None => r.ignored(l, kw),
    }
}
