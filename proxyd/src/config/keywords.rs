//! The keyword tables: every keyword proxyd understands, where it may appear and which function
//! parses it, plus the keywords HAProxy knows that proxyd accepts and ignores. Dispatch happens
//! only here, so an unknown keyword, a near-miss suggestion and a misplaced keyword are handled
//! the same way everywhere.

use super::diag::{did_you_mean, Diagnostic, Report};
use super::global::{self as g, GlobalParser};
use super::httpchk;
use super::lexer::Line;
use super::proxy::{self as p, ProxyDraft, ProxyParser};
use super::server;
use super::tcpchk;

pub const GLOBAL: &[(&str, GlobalParser)] = &[
    ("maxconn", g::maxconn),
    ("nbthread", g::nbthread),
    ("daemon", g::daemon),
    ("master-worker", g::master_worker),
    ("pidfile", g::pidfile),
    ("user", g::user),
    ("group", g::group),
    ("uid", g::uid),
    ("gid", g::gid),
    ("chroot", g::chroot),
    ("log", g::log),
    ("log-tag", g::log_tag),
    ("log-send-hostname", g::log_send_hostname),
    ("stats", g::stats),
    ("spread-checks", g::spread_checks),
    ("node", g::node),
    ("description", g::description),
    ("hard-stop-after", g::hard_stop_after),
    ("server-state-file", g::server_state_path),
    ("nbproc", g::nbproc),
    ("lua-load", g::lua_load),
    ("lua-load-per-thread", g::lua_load),
    ("server-state-base", g::server_state_path),
    ("ssl-server-verify", g::ssl_server_verify),
    ("setenv", g::setenv),
    ("presetenv", g::setenv),
    ("unsetenv", g::unsetenv),
    ("maxconnrate", g::rate_limit),
    ("maxsessrate", g::rate_limit),
    ("maxsslrate", g::rate_limit),
    ("maxcomprate", g::rate_limit),
];

/// Global keywords HAProxy knows that change nothing for a TCP passthrough proxy.
pub const GLOBAL_IGNORED: &[&str] = &[
    "ca-base",
    "crt-base",
    "key-base",
    "lua-prepend-path",
    "cpu-map",
    "localpeer",
    "resetenv",
    "maxsslconn",
    "maxcompcpuusage",
    "maxpipes",
    "maxzlibmem",
    "max-spread-checks",
    "ulimit-n",
    "quiet",
    "zero-warning",
    "insecure-fork-wanted",
    "insecure-setuid-wanted",
    "set-dumpable",
    "strict-limits",
    "expose-experimental-directives",
    "busy-polling",
    "noepoll",
    "nokqueue",
    "noevports",
    "nopoll",
    "nosplice",
    "nogetaddrinfo",
    "noreuseport",
    "unix-bind",
    "ssl-engine",
    "ssl-mode-async",
    "ssl-load-extra-files",
    "ssl-load-extra-del-ext",
    "ssl-skip-self-issued-ca",
    "ssl-dh-param-file",
    "issuers-chain-path",
    "grace",
    "pp2-never-send-local",
    "numa-cpu-mapping",
    "thread-groups",
    "thread-group",
    "fd-hard-limit",
    "anonkey",
    "cluster-secret",
    "mworker-max-reloads",
    "external-check",
    "h2-workaround-bogus-websocket-clients",
    "dns-accept-family",
    "node-id",
    "stats-file",
    "uid-base",
    "default-path",
    "httpclient.resolvers.id",
];
pub const GLOBAL_IGNORED_PREFIXES: &[&str] = &[
    "ssl-default-",
    "tune.",
    "h1-case-adjust",
    "profiling.",
    "httpclient.",
    "ssl-security-",
    "ssl-propquery",
    "ssl-provider",
    "wurfl-",
    "51degrees-",
    "deviceatlas-",
    "debug.",
];

/// Where a proxy keyword applies: frontend side, backend side, and whether `defaults` takes it.
#[derive(Clone, Copy)]
pub struct Caps {
    pub frontend: bool,
    pub backend: bool,
    pub defaults: bool,
}

const FE: Caps = Caps {
    frontend: true,
    backend: false,
    defaults: true,
};
const BE: Caps = Caps {
    frontend: false,
    backend: true,
    defaults: true,
};
const ALL: Caps = Caps {
    frontend: true,
    backend: true,
    defaults: true,
};
const FE_ONLY: Caps = Caps {
    defaults: false,
    ..FE
};
const BE_ONLY: Caps = Caps {
    defaults: false,
    ..BE
};
const ALL_NO_DEF: Caps = Caps {
    defaults: false,
    ..ALL
};

pub const PROXY: &[(&str, Caps, ProxyParser)] = &[
    ("bind", FE_ONLY, p::bind),
    ("mode", ALL, p::mode),
    ("default_backend", FE, p::default_backend),
    ("use_backend", FE_ONLY, p::use_backend),
    ("balance", BE, p::balance),
    ("log-tag", ALL, p::log_tag),
    // Their capability is checked with HAProxy's own wording for them.
    ("clitcpka-idle", ALL, p::tcpka_tuning),
    ("clitcpka-intvl", ALL, p::tcpka_tuning),
    ("clitcpka-cnt", ALL, p::tcpka_tuning),
    ("srvtcpka-idle", ALL, p::tcpka_tuning),
    ("srvtcpka-intvl", ALL, p::tcpka_tuning),
    ("srvtcpka-cnt", ALL, p::tcpka_tuning),
    ("hash-type", BE, p::hash_type),
    ("hash-balance-factor", ALL, p::hash_balance_factor),
    ("server", BE_ONLY, server::server),
    ("server-template", BE_ONLY, server::server_template),
    ("default-server", BE, server::default_server),
    ("maxconn", FE, p::maxconn),
    ("rate-limit", ALL, p::rate_limit),
    ("log-format", ALL, p::log_format),
    ("fullconn", BE, p::fullconn),
    ("load-server-state-from-file", BE, p::load_server_state),
    ("server-state-file-name", BE, p::server_state_file_name),
    ("timeout", ALL, p::timeout),
    ("retries", BE, p::retries),
    ("option", ALL, p::option),
    ("no", ALL, p::no_option),
    ("http-check", BE, httpchk::http_check),
    ("tcp-check", BE, tcpchk::tcp_check),
    ("http-request", ALL_NO_DEF, p::http_request),
    ("tcp-request", ALL, p::tcp_rules),
    ("tcp-response", ALL, p::tcp_rules),
    ("errorfile", ALL, p::ignored),
    ("stats", ALL, p::stats),
    ("id", ALL_NO_DEF, p::id),
    ("description", ALL_NO_DEF, p::description),
    ("log", ALL, p::log),
    ("disabled", ALL, p::disabled),
    ("enabled", ALL, p::ignored),
];

/// Proxy keywords HAProxy knows that proxyd accepts with a warning: they shape HTTP
/// processing, logging or persistence, none of which a TCP passthrough proxy performs.
pub const PROXY_IGNORED: &[&str] = &[
    "acl",
    "backlog",
    "bind-process",
    "capture",
    "compression",
    "cookie",
    "declare",
    "dynamic-cookie-key",
    "email-alert",
    "errorfiles",
    "errorloc",
    "errorloc302",
    "errorloc303",
    "force-persist",
    "filter",
    "http-after-response",
    "http-error",
    "http-response",
    "http-reuse",
    "http-send-name-header",
    "ignore-persist",
    "log-format-sd",
    "error-log-format",
    "max-keep-alive-queue",
    "max-session-srv-conns",
    "monitor",
    "monitor-uri",
    "monitor-net",
    "redirect",
    "stick-table",
    "unique-id-format",
    "unique-id-header",
    "grace",
    "external-check",
];

/// Proxy keywords HAProxy knows whose effect proxyd cannot reproduce: refusing them is safer
/// than silently routing differently.
pub const PROXY_UNSUPPORTED: &[(&str, &str)] = &[
    (
        "use-server",
        "servers are chosen by the 'balance' algorithm only",
    ),
    (
        "stick",
        "servers are chosen by the 'balance' algorithm only (no stick tables)",
    ),
    (
        "persist",
        "servers are chosen by the 'balance' algorithm only (no RDP cookie persistence)",
    ),
    (
        "dispatch",
        "connections go to the backend's servers: declare the address as a 'server'",
    ),
    (
        "source",
        "connections to servers always use the system's source address",
    ),
    (
        "usesrc",
        "connections to servers always use the system's source address",
    ),
];

/// Bind parameters with the number of arguments each takes (shared by `bind` and `stats socket`).
pub const BIND_KEYWORDS: &[(&str, usize)] = &[
    ("accept-netscaler-cip", 1),
    ("accept-proxy", 0),
    ("allow-0rtt", 0),
    ("alpn", 1),
    ("backlog", 1),
    ("ca-file", 1),
    ("ca-ignore-err", 1),
    ("ca-sign-file", 1),
    ("ca-sign-pass", 1),
    ("ca-verify-file", 1),
    ("ciphers", 1),
    ("ciphersuites", 1),
    ("crl-file", 1),
    ("crt", 1),
    ("crt-ignore-err", 1),
    ("crt-list", 1),
    ("curves", 1),
    ("defer-accept", 0),
    ("ecdhe", 1),
    ("expose-fd", 1),
    ("force-sslv3", 0),
    ("force-tlsv10", 0),
    ("force-tlsv11", 0),
    ("force-tlsv12", 0),
    ("force-tlsv13", 0),
    ("generate-certificates", 0),
    ("gid", 1),
    ("group", 1),
    ("id", 1),
    ("interface", 1),
    ("level", 1),
    ("maxconn", 1),
    ("mode", 1),
    ("mss", 1),
    ("name", 1),
    ("namespace", 1),
    ("nice", 1),
    ("no-ca-names", 0),
    ("no-sslv3", 0),
    ("no-tls-tickets", 0),
    ("no-tlsv10", 0),
    ("no-tlsv11", 0),
    ("no-tlsv12", 0),
    ("no-tlsv13", 0),
    ("npn", 1),
    ("prefer-client-ciphers", 0),
    ("process", 1),
    ("proto", 1),
    ("quic-cc-algo", 1),
    ("quic-force-retry", 0),
    ("severity-output", 1),
    ("ssl", 0),
    ("ssl-max-ver", 1),
    ("ssl-min-ver", 1),
    ("strict-sni", 0),
    ("tcp-ut", 1),
    ("tfo", 0),
    ("thread", 1),
    ("tls-ticket-keys", 1),
    ("transparent", 0),
    ("uid", 1),
    ("user", 1),
    ("v4v6", 0),
    ("v6only", 0),
    ("verify", 1),
];

pub fn bind_keyword_arity(kw: &str) -> Option<usize> {
    BIND_KEYWORDS
        .iter()
        .find(|(k, _)| *k == kw)
        .map(|(_, a)| *a)
}

/// Sections HAProxy knows that have no meaning for proxyd; their contents are skipped.
pub const IGNORED_SECTIONS: &[&str] = &[
    "userlist",
    "peers",
    "resolvers",
    "mailers",
    "program",
    "http-errors",
    "cache",
    "ring",
    "fcgi-app",
    "crt-store",
    "traces",
];

pub fn global_keyword(g: &mut g::GlobalDraft, l: &Line, r: &mut Report) {
    let kw = l.arg(0);
    if let Some((_, parse)) = GLOBAL.iter().find(|(k, _)| *k == kw) {
        return parse(g, l, r);
    }
    if GLOBAL_IGNORED.contains(&kw) || GLOBAL_IGNORED_PREFIXES.iter().any(|p| kw.starts_with(p)) {
        return r.ignored(l, kw);
    }
    let names = GLOBAL
        .iter()
        .map(|(k, _)| *k)
        .chain(GLOBAL_IGNORED.iter().copied());
    r.alert(
        l,
        format!(
            "unknown keyword '{kw}' in 'global' section{}",
            did_you_mean(kw, names)
        ),
    );
}

pub fn proxy_keyword(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    let kw = l.arg(0);
    let Some((_, caps, parse)) = PROXY.iter().find(|(k, _, _)| *k == kw) else {
        if PROXY_IGNORED.contains(&kw) {
            return r.ignored(l, kw);
        }
        if let Some((_, why)) = PROXY_UNSUPPORTED.iter().find(|(k, _)| *k == kw) {
            return r.unsupported(l, kw, why);
        }
        let names = PROXY
            .iter()
            .map(|(k, _, _)| *k)
            .chain(PROXY_IGNORED.iter().copied());
        return r.alert(
            l,
            format!(
                "unknown keyword '{kw}' in '{}' section{}",
                px.section_name(),
                did_you_mean(kw, names)
            ),
        );
    };
    match px.kind {
        None if !caps.defaults => {
            let d = Diagnostic::alert(
                l.file(),
                l.number,
                kw,
                format!("'{kw}' not allowed in 'defaults' section."),
            );
            // HAProxy reports the misplaced `server` from its server-line parser.
            r.push(if kw == "server" { d.checking() } else { d });
        }
        Some(kind)
            if !(caps.frontend && kind.is_frontend() || caps.backend && kind.is_backend()) =>
        {
            let cap = if caps.backend { "backend" } else { "frontend" };
            r.warn(
                l,
                format!(
                    "'{kw}' ignored because {} '{}' has no {cap} capability.",
                    px.section_name(),
                    px.name
                ),
            );
        }
        _ => parse(px, l, r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_have_no_duplicates() {
        let mut names: Vec<&str> = PROXY.iter().map(|(k, _, _)| *k).collect();
        names.extend(PROXY_IGNORED);
        names.extend(PROXY_UNSUPPORTED.iter().map(|(k, _)| *k));
        let before = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(before, names.len());
        let mut globals: Vec<&str> = GLOBAL.iter().map(|(k, _)| *k).collect();
        globals.extend(GLOBAL_IGNORED);
        let before = globals.len();
        globals.sort_unstable();
        globals.dedup();
        assert_eq!(before, globals.len());
    }

    #[test]
    fn bind_arity() {
        assert_eq!(bind_keyword_arity("name"), Some(1));
        assert_eq!(bind_keyword_arity("ssl"), Some(0));
        assert_eq!(bind_keyword_arity("bogus"), None);
    }
}
