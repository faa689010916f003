//! `server` and `default-server` lines. A server starts from its proxy's `default-server`
//! parameters; what it finally means (its `CheckSpec`) is decided in `resolve`.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::diag::{did_you_mean, Diagnostic, Report};
use super::lexer::Line;
use super::proxy::ProxyDraft;
use super::types::{PoolSettings, Proxy, Server};
use super::{resolve, values};

#[derive(Debug, Clone, Default)]
pub struct ServerParams {
    pub weight: Option<u32>,
    pub maxconn: u32,
    pub minconn: u32,
    pub maxqueue: u32,
    pub backup: bool,
    pub disabled: bool,
    pub check: bool,
    pub inter: Option<Duration>,
    pub fastinter: Option<Duration>,
    pub downinter: Option<Duration>,
    pub rise: Option<u32>,
    pub fall: Option<u32>,
    pub port: Option<u16>,
    pub addr: Option<IpAddr>,
    pub check_ssl: bool,
    /// None = the global `ssl-server-verify` default.
    pub verify_required: Option<bool>,
    pub ca_file: Option<PathBuf>,
    pub check_sni: Option<String>,
    pub shutdown_on_down: bool,
    /// `track [<proxy>/]<server>` as written; resolved against the other proxies later.
    pub track: Option<String>,
    pub slowstart: Option<Duration>,
    pub verifyhost: Option<String>,
    pub pool_purge_delay: Option<Duration>,
    pub pool_max_conn: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct ServerDraft {
    pub name: String,
    pub id: Option<u32>,
    pub host: String,
    pub addr: SocketAddr,
    /// No port, or `+N`/`-N`: connect to the port the client connected to, plus N (HAProxy's
    /// mapped ports); `addr` then has port 0.
    pub port_map: Option<i32>,
    pub params: ServerParams,
    pub line: usize,
}

/// What a parameter takes, for the unknown/ignored/refused decision and for skipping.
enum Known {
    /// Accepted with a warning: `differs` says how proxyd then behaves unlike HAProxy; None when
    /// it makes no difference to a TCP passthrough proxy (HTTP-only, or for traffic proxyd
    /// never encrypts).
    Ignored {
        args: usize,
        differs: Option<&'static str>,
    },
    Refused(&'static str),
}

const PARSED: &[&str] = &[
    "weight",
    "maxconn",
    "minconn",
    "maxqueue",
    "backup",
    "no-backup",
    "disabled",
    "enabled",
    "check",
    "no-check",
    "inter",
    "fastinter",
    "downinter",
    "rise",
    "fall",
    "port",
    "addr",
    "check-ssl",
    "no-check-ssl",
    "ssl",
    "no-ssl",
    "verify",
    "ca-file",
    "sni",
    "check-sni",
    "id",
    "on-marked-down",
    "track",
    "slowstart",
    "verifyhost",
    "pool-purge-delay",
    "pool-max-conn",
];

fn known(kw: &str) -> Option<Known> {
    const IGNORED: &[(&str, usize)] = &[
        ("cookie", 1),
        ("no-agent-check", 0),
        ("alpn", 1),
        ("npn", 1),
        ("proto", 1),
        ("allow-0rtt", 0),
        ("pool-low-conn", 1),
        ("max-reuse", 1),
        ("redir", 1),
        ("ws", 1),
        ("log-proto", 1),
        ("stick", 0),
        ("non-stick", 0),
        ("check-via-socks4", 0),
    ];
    const RESOLVED_ONCE: &str =
        "server names are resolved at start and on reload, not while running";
    const TLS_DEFAULTS: &str =
        "TLS checks offer TLS 1.2 and 1.3 with proxyd's own ciphers, without a client certificate or ALPN";
    const TRAFFIC_ERRORS: &str = "traffic errors do not change a server's health, only checks do";
    const TICKETS: &str = "TLS checks resume sessions with tickets when the server offers them";
    const RESUMPTION: &str = "TLS checks always resume sessions when they can";
    const NO_TFO: &str = "connections to servers do not use TCP Fast Open";
    const DIFFERS: &[(&str, usize, &str)] = &[
        ("resolvers", 1, RESOLVED_ONCE),
        ("resolve-prefer", 1, RESOLVED_ONCE),
        ("resolve-net", 1, RESOLVED_ONCE),
        ("resolve-opts", 1, RESOLVED_ONCE),
        ("init-addr", 1, RESOLVED_ONCE),
        ("observe", 1, TRAFFIC_ERRORS),
        ("error-limit", 1, TRAFFIC_ERRORS),
        ("on-error", 1, TRAFFIC_ERRORS),
        (
            "on-marked-up",
            1,
            "a server coming back up leaves the backup servers' sessions alone",
        ),
        ("check-alpn", 1, TLS_DEFAULTS),
        ("check-proto", 1, "HTTP checks speak HTTP/1.x"),
        ("ciphers", 1, TLS_DEFAULTS),
        ("ciphersuites", 1, TLS_DEFAULTS),
        ("ssl-min-ver", 1, TLS_DEFAULTS),
        ("ssl-max-ver", 1, TLS_DEFAULTS),
        ("no-sslv3", 0, TLS_DEFAULTS),
        ("no-tlsv10", 0, TLS_DEFAULTS),
        ("no-tlsv11", 0, TLS_DEFAULTS),
        ("no-tlsv12", 0, TLS_DEFAULTS),
        ("no-tlsv13", 0, TLS_DEFAULTS),
        ("force-sslv3", 0, TLS_DEFAULTS),
        ("force-tlsv10", 0, TLS_DEFAULTS),
        ("force-tlsv11", 0, TLS_DEFAULTS),
        ("force-tlsv12", 0, TLS_DEFAULTS),
        ("force-tlsv13", 0, TLS_DEFAULTS),
        ("crt", 1, TLS_DEFAULTS),
        (
            "crl-file",
            1,
            "TLS checks do not read certificate revocation lists",
        ),
        ("no-tls-tickets", 0, TICKETS),
        ("tls-tickets", 0, TICKETS),
        ("ssl-reuse", 0, RESUMPTION),
        ("no-ssl-reuse", 0, RESUMPTION),
        (
            "namespace",
            1,
            "connections use proxyd's own network namespace",
        ),
        ("tfo", 0, NO_TFO),
        ("no-tfo", 0, NO_TFO),
        (
            "tcp-ut",
            1,
            "connections to servers keep the system's TCP user timeout",
        ),
    ];
    const NO_AGENT: &str =
        "agent checks are not implemented, the server would never follow its agent";
    const REFUSED: &[(&str, usize, &str)] = &[
        (
            "send-proxy",
            0,
            "it would change the bytes sent to the server",
        ),
        (
            "send-proxy-v2",
            0,
            "it would change the bytes sent to the server",
        ),
        (
            "send-proxy-v2-ssl",
            0,
            "it would change the bytes sent to the server",
        ),
        (
            "send-proxy-v2-ssl-cn",
            0,
            "it would change the bytes sent to the server",
        ),
        (
            "proxy-v2-options",
            1,
            "it would change the bytes sent to the server",
        ),
        (
            "check-send-proxy",
            0,
            "health checks do not speak the PROXY protocol",
        ),
        ("agent-check", 0, NO_AGENT),
        ("agent-inter", 1, NO_AGENT),
        ("agent-port", 1, NO_AGENT),
        ("agent-addr", 1, NO_AGENT),
        ("agent-send", 1, NO_AGENT),
        ("socks4", 1, "servers are reached directly"),
        (
            "source",
            1,
            "connections to servers always use the system's source address",
        ),
        (
            "usesrc",
            1,
            "connections to servers always use the system's source address",
        ),
    ];
    if let Some((_, n)) = IGNORED.iter().find(|(k, _)| *k == kw) {
        return Some(Known::Ignored {
            args: *n,
            differs: None,
        });
    }
    if let Some((_, n, why)) = DIFFERS.iter().find(|(k, _, _)| *k == kw) {
        return Some(Known::Ignored {
            args: *n,
            differs: Some(why),
        });
    }
    REFUSED
        .iter()
        .find(|(k, _, _)| *k == kw)
        .map(|(_, _, why)| Known::Refused(why))
}

/// `server-template <prefix> <count | first-last> <addr>[:<port>] [params]`: the servers
/// `<prefix><n>`, each as a `server` line would declare it. Without `resolvers` HAProxy gives
/// them all the template's address, and so does proxyd (which resolves names once, at start
/// and on reload). Problems with the parameters are reported once, for the template, in
/// HAProxy's words (`'server b/(null)'`).
pub fn server_template(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    let (prefix, range, addr) = (l.arg(1), l.arg(2), l.arg(3));
    let checking =
        |msg: String| Diagnostic::alert(l.file(), l.number, "server-template", msg).checking();
    if prefix.is_empty() || range.is_empty() || addr.is_empty() {
        return r.push(checking(
            "'server-template' expects <prefix> <nb | range> <addr>[:<port>] as arguments.".into(),
        ));
    }
    let Some((first, last)) = template_range(range) else {
        return r.push(checking(format!(
            "Wrong server-template number or range arg '{range}'."
        )));
    };
    let mut scratch = px.default_server.clone();
    let mut id = None;
    let who = format!("'server {}/(null)'", px.name);
    let before = r.list.len();
    parse_params(&mut scratch, &mut id, &l.words[4..], l, r, &who);
    if r.list[before..].iter().any(Diagnostic::is_alert) {
        return;
    }
    for n in first..=last {
        let mut words = vec![
            "server".to_string(),
            format!("{prefix}{n}"),
            l.address(addr).into_owned(),
        ];
        words.extend(l.words[4..].iter().cloned());
        let line = Line::new(Arc::clone(&l.file), l.number, words);
        // The parameters' warnings were given once above; what is about this server (its
        // address, its name) is reported once per distinct message.
        let mut own = Report::default();
        server(px, &line, &mut own);
        for d in own.list.into_iter().filter(Diagnostic::is_alert) {
            if !r.list.iter().any(|x| x.message == d.message) {
                r.push(d);
            }
        }
    }
}

/// `3` is 1 to 3, `5-7` is 5 to 7 (`0-2` is allowed, `0` and `3-1` are not).
fn template_range(s: &str) -> Option<(u32, u32)> {
    match s.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (values::uint(a)?, values::uint(b)?);
            (a <= b).then_some((a, b))
        }
        None => values::uint(s).filter(|&n| n > 0).map(|n| (1, n)),
    }
}

/// `server <name> <addr>[:<port>] [params]`.
pub fn server(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    let (name, addr_text) = (l.arg(1), l.arg(2));
    if name.is_empty() || addr_text.is_empty() {
        return r.push(
            Diagnostic::alert(
                l.file(),
                l.number,
                "server",
                "'server' expects <name> and <addr>[:<port>] as arguments.",
            )
            .checking(),
        );
    }
    let who = format!("'server {}/{name}'", px.name);
    let mut params = px.default_server.clone();
    let mut id = None;
    let ok = parse_params(&mut params, &mut id, &l.words[3..], l, r, &who);
    let Some((host, addr, port_map)) = server_addr(&l.address(addr_text), l, r, &who) else {
        return;
    };
    if let Some(prev) = px.servers.iter().find(|s| s.name == name) {
        // HAProxy words this one differently from the other server errors.
        return r.alert(
            l,
            format!(
                "backend '{}', another server named '{name}' was already defined at line {}, please use distinct names.",
                px.name, prev.line
            ),
        );
    }
    if let Some(n) = id {
        if let Some(prev) = px.servers.iter().find(|s| s.id == Some(n)) {
            return r.push(
                Diagnostic::alert(
                    l.file(),
                    l.number,
                    "id",
                    format!(
                        "{who} : 'id' : custom id {n} already used at {}:{} ('server {}').",
                        l.file().display(),
                        prev.line,
                        prev.name
                    ),
                )
                .checking(),
            );
        }
    }
    if ok {
        px.servers.push(ServerDraft {
            name: name.to_string(),
            id,
            host,
            addr,
            port_map,
            params,
            line: l.number,
        });
    }
}

/// The keywords `add server` takes (HAProxy 2.6's dynamic server keywords that proxyd parses);
/// the others get HAProxy's refusal.
const DYNAMIC: &[&str] = &[
    "addr",
    "backup",
    "ca-file",
    "check",
    "check-sni",
    "check-ssl",
    "disabled",
    "downinter",
    "enabled",
    "fall",
    "fastinter",
    "id",
    "inter",
    "maxconn",
    "maxqueue",
    "minconn",
    "no-backup",
    "on-marked-down",
    "port",
    "rise",
    "sni",
    "ssl",
    "track",
    "verify",
    "verifyhost",
    "weight",
    "pool-max-conn",
    "pool-purge-delay",
];

/// `add server <px>/<name> <addr> [params]` on the runtime API: the words are read as a
/// `server` line of `px` without its `default-server`, as HAProxy does. `Err` is HAProxy's
/// answer, without the `parsing [...]` prefix of a configuration message. The server's id is
/// the one given with `id`, or 0 for the caller to assign.
pub fn dynamic(px: &Proxy, name: &str, words: &[String]) -> Result<Server, String> {
    let who = format!("'server {}/{name}'", px.name);
    if let Some(kw) = words
        .iter()
        .skip(1)
        .find(|w| PARSED.contains(&w.as_str()) || known(w).is_some())
        .filter(|w| !DYNAMIC.contains(&w.as_str()))
    {
        return Err(format!("'{kw}' option is not accepted for dynamic server"));
    }
    if let Some(addr) = words.first() {
        let host = values::split_host_port(addr).host;
        let host = host.trim_start_matches("ipv4@").trim_start_matches("ipv6@");
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if !host.is_empty() && host.parse::<IpAddr>().is_err() {
            return Err(format!(
                "{who} : proxyd needs an IP address for a server added at run time ('{host}' is a name; HAProxy would leave it unresolved)."
            ));
        }
    }
    let file = Arc::new(PathBuf::from("(cli)"));
    let mut draft = ProxyDraft::new_defaults(&px.name, file.clone(), 0, px.server_verify_required);
    draft.timeouts = px.timeouts.clone();
    let line = Line::new(
        file,
        0,
        ["server", name]
            .into_iter()
            .map(String::from)
            .chain(words.iter().cloned())
            .collect(),
    );
    let mut r = Report::default();
    server(&mut draft, &line, &mut r);
    let s = match draft.servers.pop() {
        Some(s) if !r.has_alerts() => s,
        _ => return Err(cli_alert(&r, &who)),
    };
    let cfg = resolve::server(
        &draft,
        &s,
        s.id.unwrap_or(0),
        resolve::Checks {
            http: px.http_check.as_ref(),
            tcp: px.tcp_check.as_ref(),
        },
        &mut r,
    );
    if r.has_alerts() {
        return Err(cli_alert(&r, &who));
    }
    // HAProxy 2.6 gives a server added at run time no pool unless asked: no purge delay and
    // a limit of 0 idle connections (configured servers get 5 s and no limit).
    let pool = PoolSettings {
        purge_delay_ms: s
            .params
            .pool_purge_delay
            .map_or(0, |d| d.as_millis().min(u32::MAX as u128) as u32),
        max_conn: s.params.pool_max_conn.unwrap_or(0),
    };
    Ok(Server { pool, ..cfg })
}

/// The last alert of `r` (a bad `ca-file` has two; the CLI gives HAProxy's last) as the
/// runtime API words it: without the `'server px/name' : ` the configuration puts first.
fn cli_alert(r: &Report, who: &str) -> String {
    let msg = r
        .list
        .iter()
        .rfind(|d| d.is_alert())
        .map_or("", |d| d.message.as_str());
    let prefix = format!("{who} : ");
    let msg = msg.strip_prefix(&prefix).unwrap_or(msg);
    // The configuration goes on with the list of keywords; the CLI ends the sentence.
    if msg.starts_with("unknown keyword") && !msg.contains("did you mean") {
        format!("{msg}.")
    } else {
        msg.to_string()
    }
}

pub fn default_server(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    let mut params = px.default_server.clone();
    let mut id = None;
    if parse_params(
        &mut params,
        &mut id,
        &l.words[1..],
        l,
        r,
        "'default-server'",
    ) {
        if id.is_some() {
            return r.alert(l, "'default-server' : 'id' is not permitted here.");
        }
        px.default_server = params;
    }
}

/// The server's host as written, its address, and its port mapping (see
/// [`ServerDraft::port_map`]).
fn server_addr(
    text: &str,
    l: &Line,
    r: &mut Report,
    who: &str,
) -> Option<(String, SocketAddr, Option<i32>)> {
    let fail = |r: &mut Report, msg: String| {
        r.push(
            Diagnostic::alert(l.file(), l.number, "server", format!("{who} : {msg}")).checking(),
        );
    };
    // A bare IPv6 address has colons but no port.
    let hp = values::split_host_port(text);
    let (host, port_text) = match (text.parse::<IpAddr>(), hp.port) {
        (Ok(_), _) | (_, None) => (text, ""),
        (Err(_), Some(p)) => (hp.host, p),
    };
    let host = host.trim_start_matches("ipv4@").trim_start_matches("ipv6@");
    let (port, port_map) = if port_text.is_empty() {
        (0, Some(0))
    } else if let Some(offset) = port_text.strip_prefix(['+', '-']) {
        match values::port(offset) {
            Ok(n) if port_text.starts_with('-') => (0, Some(-i32::from(n))),
            Ok(n) => (0, Some(i32::from(n))),
            Err(e) => {
                fail(r, e);
                return None;
            }
        }
    } else {
        // HAProxy reads the port's leading digits (`:8x` is 8) and `:0` as no port at all
        // (the client's destination port).
        let digits = port_text.len()
            - port_text
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .len();
        if digits == 0 {
            let bad = port_text.chars().next().unwrap_or(' ');
            fail(
                r,
                format!("invalid character '{bad}' in port number '{port_text}' in '{text}'\n"),
            );
            return None;
        }
        match port_text[..digits].parse::<u32>() {
            Ok(0) => (0, Some(0)),
            Ok(p @ 1..=65535) => {
                if digits < port_text.len() {
                    r.push(
                            Diagnostic::warning(
                                l.file(),
                                l.number,
                                "server",
                                format!("{who} : port '{port_text}' is read as {p}, as HAProxy reads it (the digits before the first other character)."),
                            )
                            .checking(),
                        );
                }
                (p as u16, None)
            }
            _ => {
                fail(r, format!("invalid port '{port_text}'"));
                return None;
            }
        }
    };
    match values::resolve_host(host, hp.family, port).and_then(|v| v.into_iter().next()) {
        Some(addr) if !host.is_empty() && host != "*" => Some((host.to_string(), addr, port_map)),
        _ => {
            fail(r, format!("could not resolve address '{host}'."));
            None
        }
    }
}

/// Applies `words` to `p`. Returns false after the first error, as HAProxy stops there too.
fn parse_params(
    p: &mut ServerParams,
    id: &mut Option<u32>,
    words: &[String],
    l: &Line,
    r: &mut Report,
    who: &str,
) -> bool {
    let srv_name = who.rsplit('/').next().unwrap_or("").trim_end_matches('\'');
    let fail = |r: &mut Report, msg: String| {
        r.push(
            Diagnostic::alert(l.file(), l.number, "server", format!("{who} : {msg}")).checking(),
        );
        false
    };
    let mut i = 0;
    while i < words.len() {
        let kw = words[i].as_str();
        let val = words.get(i + 1).map(String::as_str).unwrap_or("");
        let takes_arg = matches!(
            kw,
            "weight"
                | "maxconn"
                | "minconn"
                | "maxqueue"
                | "inter"
                | "fastinter"
                | "downinter"
                | "rise"
                | "fall"
                | "port"
                | "addr"
                | "verify"
                | "ca-file"
                | "sni"
                | "check-sni"
                | "id"
                | "on-marked-down"
                | "track"
                | "slowstart"
                | "verifyhost"
                | "pool-purge-delay"
                | "pool-max-conn"
        );
        if kw.starts_with("pool-") && val.is_empty() {
            return fail(r, format!("'{kw}' expects <value> as argument.."));
        }
        if takes_arg && val.is_empty() {
            return fail(r, format!("'{kw}' expects an argument."));
        }
        let int = |r: &mut Report| match values::count(val) {
            Some((n, exact)) => {
                if !exact {
                    r.push(
                        Diagnostic::warning(
                            l.file(),
                            l.number,
                            "server",
                            format!("{who} : {}", values::loosely_read(kw, val, n)),
                        )
                        .checking(),
                    );
                }
                Ok(n)
            }
            None => Err(fail(
                r,
                format!("'{kw}' expects an integer argument (got '{val}')."),
            )),
        };
        match kw {
            "weight" => match int(r) {
                Ok(w @ 0..=256) => p.weight = Some(w),
                Ok(w) => {
                    return fail(
                        r,
                        format!("weight of server {srv_name} is not within 0 and 256 ({w}).."),
                    )
                }
                Err(e) => return e,
            },
            "maxconn" => match int(r) {
                Ok(n) => p.maxconn = n,
                Err(e) => return e,
            },
            "minconn" => match int(r) {
                Ok(n) => p.minconn = n,
                Err(e) => return e,
            },
            // HAProxy reads it with atoi(): anything but a number is 0.
            "pool-max-conn" => match val.parse::<i64>().unwrap_or(0) {
                n @ -1..=0x7fff_ffff => p.pool_max_conn = Some(n as i32),
                _ => return fail(r, format!("'{kw}' must be >= -1.")),
            },
            "maxqueue" => match int(r) {
                Ok(n) => p.maxqueue = n,
                Err(e) => return e,
            },
            "rise" | "fall" => match int(r) {
                Ok(0) => return fail(r, format!("'{kw}' has to be > 0..")),
                Ok(n) if kw == "rise" => p.rise = Some(n),
                Ok(n) => p.fall = Some(n),
                Err(e) => return e,
            },
            "inter" | "fastinter" | "downinter" => match values::timer(val).map(|(d, trailing)| {
                if let Some(c) = trailing {
                    r.push(
                        Diagnostic::warning(l.file(), l.number, "server", format!("{who} : {}", values::trailing_warning(c, val)))
                            .checking(),
                    );
                }
                d
            }) {
                Ok(d) if d.is_zero() => {
                    return fail(
                        r,
                        format!("invalid value 0 for argument '{kw}' of server {srv_name}.."),
                    )
                }
                Ok(d) => match kw {
                    "inter" => p.inter = Some(d),
                    "fastinter" => p.fastinter = Some(d),
                    _ => p.downinter = Some(d),
                },
                Err(values::TimeError::Unexpected(c)) => {
                    return fail(
                        r,
                        format!("unexpected character '{c}' in '{kw}' argument of server {srv_name}.."),
                    )
                }
                Err(e) => return fail(r, e.describe(kw, val)),
            },
            "port" => match values::port(val) {
                Ok(n) => p.port = Some(n),
                Err(e) => return fail(r, format!("'port' : {e}.")),
            },
            "addr" => {
                let val = l.address(val);
                match values::resolve_host(&val, values::Family::Any, 0)
                    .and_then(|v| v.into_iter().next())
                {
                    Some(a) => p.addr = Some(a.ip()),
                    None => {
                        return fail(r, format!("'addr' : invalid address: '{val}' in '{val}'."))
                    }
                }
            }
            "backup" => p.backup = true,
            "no-backup" => p.backup = false,
            "disabled" => p.disabled = true,
            "enabled" => p.disabled = false,
            "check" => p.check = true,
            "no-check" => p.check = false,
            "check-ssl" => p.check_ssl = true,
            "no-check-ssl" => p.check_ssl = false,
            "no-ssl" => {}
            "ssl" => {
                return fail(
                    r,
                    "'ssl' is not supported by proxyd: it forwards the client's TLS untouched and never encrypts traffic to servers; use 'check-ssl' for TLS health checks.".to_string(),
                )
            }
            "verify" => match val {
                "none" => p.verify_required = Some(false),
                "required" => p.verify_required = Some(true),
                _ => {
                    return fail(
                        r,
                        format!("'verify' : unknown verify method '{val}', only 'none' and 'required' are supported."),
                    )
                }
            },
            "ca-file" => match check_ca_file(Path::new(val)) {
                Ok(()) => p.ca_file = Some(PathBuf::from(val)),
                Err(reason) => {
                    fail(r, format!("Couldn't open the ca-file '{val}' ({reason})."));
                    r.push(Diagnostic::global(
                        super::diag::Severity::Alert,
                        "ca-file",
                        format!("'ca-file' : unable to load {val}."),
                    ));
                    return false;
                }
            },
            "sni" => {
                r.push(
                    Diagnostic::warning(
                        l.file(),
                        l.number,
                        "sni",
                        format!("{who} : 'sni' is ignored by proxyd (traffic keeps the client's own SNI); use 'check-sni' for checks."),
                    )
                    .checking(),
                );
            }
            "check-sni" => p.check_sni = Some(val.to_string()),
            "id" => match int(r) {
                Ok(n) if n > 0 => *id = Some(n),
                Ok(_) => return fail(r, "'id' : custom id has to be > 0.".to_string()),
                Err(e) => return e,
            },
            "track" => p.track = Some(val.to_string()),
            "verifyhost" => p.verifyhost = Some(val.to_string()),
            "slowstart" | "pool-purge-delay" => match values::timer(val).map(|(d, trailing)| {
                if let Some(c) = trailing {
                    r.push(
                        Diagnostic::warning(l.file(), l.number, "server", format!("{who} : {}", values::trailing_warning(c, val)))
                            .checking(),
                    );
                }
                d
            }) {
                Ok(d) if kw == "slowstart" => p.slowstart = Some(d),
                Ok(d) => p.pool_purge_delay = Some(d),
                // HAProxy words the same mistake differently for the two.
                Err(values::TimeError::Unexpected(c)) if kw == "slowstart" => {
                    return fail(
                        r,
                        format!("unexpected character '{c}' in '{kw}' argument of server {srv_name}.."),
                    )
                }
                Err(values::TimeError::Unexpected(c)) => {
                    return fail(
                        r,
                        format!("unexpected character '{c}' in argument to <{kw}>.."),
                    )
                }
                Err(e) => return fail(r, e.describe(kw, val)),
            },
            "on-marked-down" => match val {
                "shutdown-sessions" => p.shutdown_on_down = true,
                _ => {
                    return fail(
                        r,
                        format!("'on-marked-down' expects 'shutdown-sessions' but got '{val}'."),
                    )
                }
            },
            _ => match known(kw) {
                Some(Known::Ignored { args: n, differs }) => {
                    let why = match differs {
                        Some(how) => format!(": {how}"),
                        None => " (no effect on a TCP passthrough proxy)".to_string(),
                    };
                    r.push(
                        Diagnostic::warning(
                            l.file(),
                            l.number,
                            kw,
                            format!("{who} : '{kw}' is ignored by proxyd{why}."),
                        )
                        .checking(),
                    );
                    i += 1 + n;
                    continue;
                }
                Some(Known::Refused(why)) => {
                    return fail(r, format!("'{kw}' is not supported by proxyd: {why}."))
                }
                None => {
                    return fail(
                        r,
                        format!("unknown keyword '{kw}'{}", did_you_mean(kw, PARSED.iter().copied())),
                    )
                }
            },
        }
        i += if takes_arg { 2 } else { 1 };
    }
    if p.check && p.track.is_some() {
        return fail(
            r,
            "unable to enable checks and tracking at the same time!".to_string(),
        );
    }
    true
}

/// A CA bundle must exist and hold at least one certificate, or every TLS check would fail.
fn check_ca_file(path: &Path) -> Result<(), String> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;
    let iter = CertificateDer::pem_file_iter(path).map_err(|e| match e {
        rustls_pki_types::pem::Error::Io(io) => os_reason(&io),
        other => format!("{other:?}"),
    })?;
    let mut found = false;
    for cert in iter {
        match cert {
            Ok(_) => found = true,
            Err(rustls_pki_types::pem::Error::Io(io)) => return Err(os_reason(&io)),
            Err(_) => return Err("no certificate or crl found".to_string()),
        }
    }
    if found {
        Ok(())
    } else {
        Err("no certificate or crl found".to_string())
    }
}

/// `No such file or directory`, without Rust's ` (os error 2)` suffix, like strerror().
fn os_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}
