//! `defaults`, `frontend`, `backend` and `listen` sections: the proxy-level keywords.
//! A proxy starts as a copy of its defaults section, as in HAProxy.

use std::path::PathBuf;
use std::sync::Arc;

use super::diag::{did_you_mean, Diagnostic, Report};
use super::httpchk::HttpChkDraft;
use super::keywords::bind_keyword_arity;
use super::lexer::Line;
use super::server::{ServerDraft, ServerParams};
use super::tcpchk::TcpChkDraft;
use super::types::{
    AdminCond, Balance, Bind, ConnLogFilter, HashType, KeepAliveTuning, LogTarget, Mode, ProxyKind,
    ServerStateFrom, SockOpts, StatsPage, Timeouts,
};
use super::values;

pub type ProxyParser = fn(&mut ProxyDraft, &Line, &mut Report);

#[derive(Debug, Clone)]
pub struct ProxyDraft {
    /// None for a `defaults` section.
    pub kind: Option<ProxyKind>,
    pub name: String,
    pub file: Arc<PathBuf>,
    pub line: usize,
    /// `id` with its line.
    pub id: Option<(u32, usize)>,
    pub mode: Mode,
    pub binds: Vec<Bind>,
    pub default_backend: Option<String>,
    pub maxconn: Option<u32>,
    pub fullconn: Option<u32>,
    /// `load-server-state-from-file`: none, global or local.
    pub load_server_state: ServerStateFrom,
    /// `server-state-file-name`: None for the backend's own name.
    pub server_state_file_name: Option<String>,
    pub balance: Balance,
    pub hash_type: HashType,
    pub timeouts: Timeouts,
    pub retries: u32,
    pub redispatch: bool,
    /// `option allbackups`.
    pub all_backups: bool,
    /// `option abortonclose`.
    pub abort_on_close: bool,
    /// `option log-health-checks`.
    pub log_health_checks: bool,
    /// `rate-limit sessions` (0 = none).
    pub sess_rate_limit: u32,
    /// `option nolinger`, as it applies to server connections.
    pub srv_nolinger: bool,
    pub default_server: ServerParams,
    pub servers: Vec<ServerDraft>,
    pub stats: Option<StatsPage>,
    pub httpchk: HttpChkDraft,
    pub tcpchk: TcpChkDraft,
    pub description: Option<String>,
    pub disabled: bool,
    /// `option tcplog`.
    pub tcplog: bool,
    /// `option logasap`: a connection's line is written once its server connection is up.
    pub logasap: bool,
    /// `option httplog` in HTTP mode: request lines, which proxyd does not write.
    pub httplog: bool,
    /// `log-format` with its line: the last of it and `option tcplog` wins, as in HAProxy.
    pub log_format: Option<(String, usize)>,
    /// `option clitcpka` / `srvtcpka` (both with `tcpka`).
    pub cli_tcpka: bool,
    pub srv_tcpka: bool,
    pub cli_ka: KeepAliveTuning,
    pub srv_ka: KeepAliveTuning,
    /// `log global`: this proxy logs to the global targets.
    pub log_global: bool,
    /// `log ADDR FACILITY…` lines of the proxy (or of its defaults).
    pub logs: Vec<LogTarget>,
    /// `log-tag` of the proxy: its lines carry this tag instead of the global one.
    pub log_tag: Option<String>,
    pub log_filter: ConnLogFilter,
    /// `http-request use-service prometheus-exporter if { path <p> }`.
    pub prometheus_path: Option<String>,
    /// Copied from `ssl-server-verify` when the section opens: the default of `verify`.
    pub server_verify_required: bool,
}

impl ProxyDraft {
    pub fn new_defaults(name: &str, file: Arc<PathBuf>, line: usize, verify: bool) -> Self {
        ProxyDraft {
            kind: None,
            name: name.to_string(),
            file,
            line,
            id: None,
            mode: Mode::Tcp,
            binds: Vec::new(),
            default_backend: None,
            maxconn: None,
            fullconn: None,
            load_server_state: ServerStateFrom::None,
            server_state_file_name: None,
            balance: Balance::RoundRobin,
            hash_type: HashType::default(),
            timeouts: Timeouts::default(),
            retries: 3,
            redispatch: false,
            all_backups: false,
            abort_on_close: false,
            log_health_checks: false,
            sess_rate_limit: 0,
            srv_nolinger: false,
            default_server: ServerParams::default(),
            servers: Vec::new(),
            stats: None,
            httpchk: HttpChkDraft::default(),
            tcpchk: TcpChkDraft::default(),
            description: None,
            disabled: false,
            tcplog: false,
            log_format: None,
            httplog: false,
            logasap: false,
            cli_tcpka: false,
            srv_tcpka: false,
            cli_ka: KeepAliveTuning::default(),
            srv_ka: KeepAliveTuning::default(),
            log_global: false,
            logs: Vec::new(),
            log_tag: None,
            log_filter: ConnLogFilter::default(),
            prometheus_path: None,
            server_verify_required: verify,
        }
    }

    /// HAProxy's name for the section kind, used in messages.
    pub fn section_name(&self) -> &'static str {
        match self.kind {
            None => "defaults",
            Some(ProxyKind::Frontend) => "frontend",
            Some(ProxyKind::Backend) => "backend",
            Some(ProxyKind::Listen) => "listen",
        }
    }

    fn is_backend(&self) -> bool {
        self.kind.is_none() || self.kind.is_some_and(ProxyKind::is_backend)
    }

    fn is_frontend(&self) -> bool {
        self.kind.is_none() || self.kind.is_some_and(ProxyKind::is_frontend)
    }
}

/// `bind <addr>[,<addr>...] [params]`; also used for the 1.x `listen <name> <addr>` form.
pub fn bind(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    let text = l.arg(1);
    if text.is_empty() {
        return r.alert(
            l,
            "'bind' expects {<path>|[addr1]:port1[-end1]}{,[addr]:port[-end]}... as arguments.",
        );
    }
    if let Some(b) = parse_bind(text, &l.words[2..], l, r, px.section_name()) {
        px.binds.push(b);
    }
}

pub fn parse_bind(
    text: &str,
    params: &[String],
    l: &Line,
    r: &mut Report,
    section: &str,
) -> Option<Bind> {
    let mut addrs = Vec::new();
    let mut ok = true;
    for raw in text.split(',') {
        let item = l.address(raw);
        let item = item.as_ref();
        if item.starts_with('/')
            || item.contains("unix@")
            || item.contains("abns@")
            || item.contains("fd@")
        {
            r.unsupported(
                l,
                &format!("bind {item}"),
                "proxies listen on TCP addresses only",
            );
            ok = false;
            continue;
        }
        match values::bind_addrs(item) {
            Ok(a) => addrs.extend(a),
            Err(e) => {
                r.alert(l, format!("'bind' : {e}"));
                ok = false;
            }
        }
    }
    let mut bind = Bind {
        addrs,
        name: None,
        maxconn: 0,
        id: None,
        accept_proxy: false,
        sockopts: SockOpts::default(),
        place: format!("{}:{}", l.file().display(), l.number),
        text: text.to_string(),
    };
    let prefix = format!("'bind {text}' in section '{section}'");
    let mut i = 0;
    while i < params.len() {
        let kw = params[i].as_str();
        let val = params.get(i + 1).map(String::as_str).unwrap_or("");
        match kw {
            "name" if val.is_empty() => {
                r.alert(l, format!("{prefix} : 'name' : missing name"));
                ok = false;
            }
            "name" => bind.name = Some(val.to_string()),
            "maxconn" => match values::uint(val) {
                Some(n) => bind.maxconn = n,
                None => {
                    r.alert(l, format!("{prefix} : 'maxconn' : expects an integer argument, got '{val}'"));
                    ok = false;
                }
            },
            "accept-proxy" => bind.accept_proxy = true,
            "id" => match values::uint(val) {
                Some(0) => {
                    r.alert(l, format!("{prefix} : 'id' : custom id has to be > 0"));
                    ok = false;
                }
                Some(n) => bind.id = Some(n),
                None if val.is_empty() => {
                    r.alert(l, format!("{prefix} : 'id' : expects an integer argument"));
                    ok = false;
                }
                None => {
                    r.alert(l, format!("{prefix} : 'id' : expects an integer argument, found '{val}'"));
                    ok = false;
                }
            },
            "interface" if val.is_empty() => {
                r.alert(l, format!("{prefix} : 'interface' : missing interface name"));
                ok = false;
            }
            "interface" => bind.sockopts.interface = Some(val.to_string()),
            "transparent" => bind.sockopts.transparent = true,
            "defer-accept" => bind.sockopts.defer_accept = true,
            "tfo" => bind.sockopts.tfo = true,
            "backlog" if val.is_empty() => {
                r.alert(l, format!("{prefix} : 'backlog' : missing value"));
                ok = false;
            }
            // HAProxy reads it with atol: what is not a number is 0, the default.
            "backlog" => match values::atoi(val) {
                n if n < 0 => {
                    r.alert(l, format!("{prefix} : 'backlog' : invalid value {n}, must be > 0"));
                    ok = false;
                }
                n => bind.sockopts.backlog = n.min(i64::from(i32::MAX)) as u32,
            },
            "mss" if val.is_empty() => {
                r.alert(l, format!("{prefix} : 'mss' : missing MSS value"));
                ok = false;
            }
            "mss" => match values::atoi(val) {
                n if (1..=65535).contains(&n.abs()) => bind.sockopts.mss = n as i32,
                _ => {
                    r.alert(l, format!("{prefix} : 'mss' : expects an MSS with and absolute value between 1 and 65535"));
                    ok = false;
                }
            },
            "tcp-ut" if val.is_empty() => {
                r.alert(l, format!("{prefix} : 'tcp-ut' : missing TCP User Timeout value"));
                ok = false;
            }
            "tcp-ut" => match values::time(val) {
                Ok(d) => bind.sockopts.tcp_ut_ms = d.as_millis().min(u128::from(u32::MAX)) as u32,
                Err(_) => {
                    r.alert(l, format!("{prefix} : 'tcp-ut' : expects a positive delay in milliseconds"));
                    ok = false;
                }
            },
            "namespace" | "accept-netscaler-cip" => {
                let why = match kw {
                    "namespace" => "it listens in the network namespace it was started in; start it inside that namespace (ip netns exec) instead",
                    _ => "it does not decode NetScaler Client IP headers, which would reach the servers and hide the client's address; use 'accept-proxy' with the PROXY protocol instead",
                };
                r.alert(l, format!("{prefix} : '{kw}' is not supported by proxyd: {why}."));
                ok = false;
            }
            "ssl" | "crt" | "crt-list" => {
                r.alert(
                    l,
                    format!(
                        "{prefix} : '{kw}' is not supported by proxyd: it passes TLS through to the servers and never terminates it."
                    ),
                );
                ok = false;
            }
            _ => match bind_keyword_arity(kw) {
                Some(_) => r.warn(
                    l,
                    format!("{prefix} : '{kw}' is ignored by proxyd (no effect on a TCP passthrough proxy)."),
                ),
                None => {
                    let names = super::keywords::BIND_KEYWORDS.iter().map(|(k, _)| *k);
                    r.alert(l, format!("{prefix}: unknown keyword '{kw}'{}", did_you_mean(kw, names)));
                    ok = false;
                    i += 1;
                    continue;
                }
            },
        }
        i += 1 + bind_keyword_arity(kw).unwrap_or(0);
    }
    ok.then_some(bind)
}

pub fn mode(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    match l.arg(1) {
        "tcp" => px.mode = Mode::Tcp,
        "http" => px.mode = Mode::Http,
        "health" => r.unsupported(
            l,
            "mode health",
            "use 'monitor-uri' on an HTTP load balancer in front",
        ),
        other => r.alert(l, format!("unknown proxy mode '{other}'.")),
    }
}

pub fn default_backend(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    if l.arg(1).is_empty() {
        return r.alert(l, "'default_backend' expects a backend name.");
    }
    px.default_backend = Some(l.arg(1).to_string());
}

pub fn use_backend(_: &mut ProxyDraft, l: &Line, r: &mut Report) {
    r.unsupported(
        l,
        "use_backend",
        "content switching needs ACLs; route the frontend with 'default_backend'",
    );
}

pub fn balance(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    let algo = l.arg(1);
    px.balance = match algo {
        "roundrobin" => Balance::RoundRobin,
        "static-rr" => Balance::StaticRr,
        "leastconn" => Balance::LeastConn,
        "first" => Balance::First,
        "source" => Balance::Source(HashType::default()),
        "random" => Balance::Random { draws: 2 },
        a if a.starts_with("random(") && a.ends_with(')') => {
            match values::uint(&a["random(".len()..a.len() - 1]) {
                Some(d) if d > 0 => Balance::Random { draws: d },
                _ => return r.alert(l, "'balance random' : draws must be a positive integer."),
            }
        }
        a if ["uri", "url_param", "hash", "hdr", "rdp-cookie"]
            .iter()
            .any(|k| a == *k || a.starts_with(&format!("{k}("))) =>
        {
            return r.unsupported(
                l,
                &format!("balance {a}"),
                "it hashes HTTP or TLS-terminated content; use roundrobin, static-rr, leastconn, first, source or random",
            );
        }
        _ => {
            return r.alert(
                l,
                "balance only supports 'roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'url_param', 'hdr(name)' and 'rdp-cookie(name)' options.",
            )
        }
    };
    if l.words.len() > 2 {
        r.warn(
            l,
            format!("'balance {algo}' : extra arguments are ignored by proxyd."),
        );
    }
}

/// HAProxy 2.6's `hash-type` parser, errors included.
pub fn hash_type(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    let consistent = match l.arg(1) {
        "consistent" => true,
        "map-based" => false,
        "avalanche" => {
            return r.alert(
                l,
                "experimental feature 'hash-type avalanche' is not supported anymore, please use 'hash-type map-based sdbm avalanche' instead.",
            )
        }
        _ => return r.alert(l, "'hash-type' only supports 'consistent' and 'map-based'."),
    };
    let avalanche = match l.arg(2) {
        "" => consistent,
        "sdbm" | "djb2" | "wt6" | "crc32" => match l.arg(3) {
            "avalanche" => true,
            "" => false,
            _ => {
                return r.alert(
                    l,
                    "'hash-type' only supports 'avalanche' as a modifier for hash functions.",
                )
            }
        },
        _ => {
            return r.alert(
                l,
                "'hash-type' only supports 'sdbm', 'djb2', 'crc32', or 'wt6' hash functions.",
            )
        }
    };
    px.hash_type = HashType {
        consistent,
        avalanche,
        ..px.hash_type
    };
}

/// `hash-balance-factor`: checked as HAProxy 2.6 checks it (atol, 0 or above 100; no warning in
/// a frontend, where it changes nothing).
pub fn hash_balance_factor(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    if l.arg(1).is_empty() {
        return r.alert(l, "'hash-balance-factor' expects an integer argument.");
    }
    let factor = values::atoi(l.arg(1));
    if factor != 0 && factor <= 100 {
        return r.alert(l, "'hash-balance-factor' must be 0 or greater than 100.");
    }
    px.hash_type.balance_factor = factor.max(0) as u32;
}

pub fn maxconn(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    match counted(l, r) {
        Some(n) => px.maxconn = Some(n),
        None => r.alert(l, format!("'{}' expects an integer argument.", l.arg(0))),
    }
}

pub fn fullconn(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    match counted(l, r) {
        Some(n) => px.fullconn = Some(n),
        None => r.alert(l, format!("'{}' expects an integer argument.", l.arg(0))),
    }
}

/// `load-server-state-from-file { global | local | none }`.
pub fn load_server_state(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    px.load_server_state = match l.arg(1) {
        "global" => ServerStateFrom::Global,
        // The file name is settled once the section is complete.
        "local" => ServerStateFrom::Local(String::new()),
        "none" => ServerStateFrom::None,
        other => {
            return r.alert(
                l,
                format!(
                    "'{}' expects 'global', 'local' or 'none'. Got '{other}'",
                    l.arg(0)
                ),
            )
        }
    };
}

/// `server-state-file-name [ <file> | use-backend-name ]`: without a file, the backend's name.
pub fn server_state_file_name(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    if l.words.len() > 2 {
        return r.alert(
            l,
            format!(
                "'{}' cannot handle unexpected argument '{}'.",
                l.arg(0),
                l.arg(2)
            ),
        );
    }
    px.server_state_file_name = match l.arg(1) {
        "" | "use-backend-name" => None,
        file => Some(file.to_string()),
    };
}

/// `clitcpka-idle|intvl|cnt` and `srvtcpka-…`: the keep-alive timing of one side's sockets, used
/// where `option clitcpka`/`srvtcpka`/`tcpka` turn keep-alive on. Times default to seconds.
pub fn tcpka_tuning(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    let kw = l.arg(0);
    let client = kw.starts_with("cli");
    let (capable, cap) = match client {
        true => (px.is_frontend(), "frontend"),
        false => (px.is_backend(), "backend"),
    };
    if !capable {
        // HAProxy's `warnifnotcap` wording, which differs from the keyword table's.
        r.warn(
            l,
            format!(
                "{kw} will be ignored because {} '{}' has no {cap} capability",
                px.section_name(),
                px.name
            ),
        );
    }
    let arg = l.arg(1);
    if arg.is_empty() {
        return r.alert(l, format!("'{kw}' expects an integer value"));
    }
    let tune = if client {
        &mut px.cli_ka
    } else {
        &mut px.srv_ka
    };
    if kw.ends_with("-cnt") {
        // HAProxy reads the count with atol().
        let digits = arg.len() - arg.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        tune.cnt = arg[..digits].parse().ok().filter(|&n| n > 0);
        return;
    }
    let parsed = match arg.bytes().all(|b| b.is_ascii_digit()) {
        true => arg
            .parse::<u64>()
            .map(std::time::Duration::from_secs)
            .map_err(|_| values::TimeError::Overflow),
        false => r.time(arg),
    };
    match parsed {
        Ok(d) => {
            let d = (!d.is_zero()).then_some(d);
            if kw.ends_with("-idle") {
                tune.idle = d;
            } else {
                tune.intvl = d;
            }
        }
        Err(values::TimeError::Unexpected(c)) => r.alert(
            l,
            format!("unexpected character '{c}' in argument to <{kw}>."),
        ),
        Err(e) => r.alert(l, e.describe(kw, arg)),
    }
}

pub fn retries(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    match counted(l, r) {
        Some(n) => px.retries = n,
        None => r.alert(
            l,
            "'retries' expects an integer argument (dispatch counts for one)",
        ),
    }
}

/// The count in the keyword's first argument, read as HAProxy reads it (see
/// [`values::count`]), with a warning when it was not a plain number.
fn counted(l: &Line, r: &mut Report) -> Option<u32> {
    let (n, exact) = values::count(l.arg(1))?;
    if !exact {
        r.warn(l, values::loosely_read(l.arg(0), l.arg(1), n));
    }
    Some(n)
}

pub fn timeout(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    let which = l.arg(1);
    let kw = format!("timeout {which}");
    let t = &mut px.timeouts;
    let slot = match which {
        "connect" => &mut t.connect,
        "client" => &mut t.client,
        "server" => &mut t.server,
        "queue" => &mut t.queue,
        "check" => &mut t.check,
        "client-fin" => &mut t.client_fin,
        "server-fin" => &mut t.server_fin,
        "tunnel" => &mut t.tunnel,
        "http-request" | "http-keep-alive" | "tarpit" => {
            if let Err(e) = r.time(l.arg(2)) {
                return r.alert(l, e.describe(&kw, l.arg(2)));
            }
            if !extra_timeout_argument(l, &kw, r) {
                r.ignored(l, &kw);
            }
            return;
        }
        _ => {
            return r.alert(
                l,
                format!("'timeout' supports 'client', 'server', 'connect', 'check', 'queue', 'http-keep-alive', 'http-request', 'tunnel', 'tarpit', 'client-fin' and 'server-fin' (got '{which}')"),
            )
        }
    };
    match r.time(l.arg(2)) {
        // 0 means "no timeout" in HAProxy.
        Ok(d) => {
            if !extra_timeout_argument(l, &kw, r) {
                *slot = (!d.is_zero()).then_some(d);
            }
        }
        Err(e) => r.alert(l, e.describe(&kw, l.arg(2))),
    }
}

/// `timeout connect 5 s` is an error in HAProxy (the unit must be attached to the number):
/// read as 5 ms it would quietly become a thousand times shorter.
fn extra_timeout_argument(l: &Line, kw: &str, r: &mut Report) -> bool {
    let extra = l.arg(3);
    if !extra.is_empty() {
        r.alert(
            l,
            format!(
                "'{kw}' : unexpected extra argument '{extra}' after value '{}'.",
                l.arg(2)
            ),
        );
    }
    !extra.is_empty()
}

/// Options that only matter to the frontend side (`true`) or backend side (`false`);
/// their capability is checked like HAProxy's `warnifnotcap`.
const OPTIONS_IGNORED: &[(&str, Option<bool>)] = &[
    ("httplog", Some(true)),
    ("httpslog", Some(true)),
    ("socket-stats", Some(true)),
    ("http-buffer-request", None),
    ("forwardfor", None),
    ("originalto", None),
    ("http-server-close", None),
    ("http-keep-alive", None),
    ("httpclose", None),
    ("http-pretend-keepalive", None),
    ("http-no-delay", None),
    ("http-use-htx", None),
    ("http-use-proxy-header", Some(true)),
    ("http-restrict-req-hdr-names", None),
    ("accept-invalid-http-request", Some(true)),
    ("accept-invalid-http-response", Some(false)),
    ("h1-case-adjust-bogus-client", Some(true)),
    ("h1-case-adjust-bogus-server", Some(false)),
    ("disable-h2-upgrade", Some(true)),
    ("idle-close-on-response", Some(true)),
    ("splice-auto", None),
    ("splice-request", None),
    ("splice-response", None),
    ("contstats", None),
    ("checkcache", Some(false)),
    ("independent-streams", None),
    ("persist", Some(false)),
    ("prefer-last-server", Some(false)),
    ("transparent", Some(false)),
    ("tcp-smart-accept", Some(true)),
    ("tcp-smart-connect", Some(false)),
];

/// Options proxyd refuses, with the reason.
const OPTIONS_UNSUPPORTED: &[(&str, &str)] = &[
    (
        "spop-check",
        "SPOP agents are not checked; use 'option tcp-check' with 'send-binary' and 'expect'",
    ),
    ("external-check", "checks do not run external commands"),
];

fn option_cap_ok(px: &ProxyDraft, l: &Line, r: &mut Report, name: &str, frontend: bool) -> bool {
    let ok = if frontend {
        px.is_frontend()
    } else {
        px.is_backend()
    };
    if !ok {
        let cap = if frontend { "frontend" } else { "backend" };
        r.warn(
            l,
            format!(
                "'{name}' ignored because {} '{}' has no {cap} capability.",
                px.section_name(),
                px.name
            ),
        );
    }
    ok
}

/// Options that turn a flag on (`no option` turns it off), with the side they need as in
/// [`OPTIONS_IGNORED`].
type SetFlag = fn(&mut ProxyDraft, bool);
const OPTION_FLAGS: &[(&str, Option<bool>, SetFlag)] = &[
    ("redispatch", Some(false), |px, on| px.redispatch = on),
    ("allbackups", Some(false), |px, on| px.all_backups = on),
    ("abortonclose", Some(false), |px, on| px.abort_on_close = on),
    ("dontlognull", Some(true), |px, on| {
        px.log_filter.dontlognull = on
    }),
    ("dontlog-normal", Some(true), |px, on| {
        px.log_filter.dontlog_normal = on
    }),
    ("log-separate-errors", Some(true), |px, on| {
        px.log_filter.log_separate_errors = on
    }),
    ("http-ignore-probes", Some(true), |px, on| {
        px.log_filter.ignore_probes = on
    }),
    ("log-health-checks", Some(false), |px, on| {
        px.log_health_checks = on
    }),
    ("tcpka", None, |px, on| {
        px.cli_tcpka = on;
        px.srv_tcpka = on;
    }),
    ("clitcpka", Some(true), |px, on| px.cli_tcpka = on),
    ("srvtcpka", Some(false), |px, on| px.srv_tcpka = on),
];

pub fn option(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    let name = l.arg(1);
    if let Some(&(_, side, set)) = OPTION_FLAGS.iter().find(|(o, _, _)| *o == name) {
        if side.is_none_or(|fe| option_cap_ok(px, l, r, name, fe)) {
            set(px, true);
        }
        return;
    }
    match name {
        "httpchk" => {
            if option_cap_ok(px, l, r, name, false) {
                super::httpchk::option_httpchk(px, l, r);
            }
        }
        "tcp-check" => {
            if option_cap_ok(px, l, r, name, false) {
                super::tcpchk::option_tcp_check(px);
            }
        }
        _ if super::protochk::OPTIONS.contains(&name) => {
            if option_cap_ok(px, l, r, name, false) {
                super::protochk::option(px, l, r);
            }
        }
        // On the client side HAProxy 2.6 still closes with a FIN wherever this was tried (its
        // linger risk is cleared by every clean shutdown): only server connections change.
        "nolinger" if !px.is_backend() => r.warn(
            l,
            "'option nolinger' is ignored by proxyd in a frontend: client connections end as \
             without it (with a FIN, as HAProxy's do whenever they end cleanly).",
        ),
        "nolinger" => px.srv_nolinger = true,
        "logasap" => {
            if option_cap_ok(px, l, r, name, true) {
                px.logasap = true;
            }
        }
        "tcplog" => {
            if option_cap_ok(px, l, r, name, true) {
                px.tcplog = true;
                px.log_format = None;
            }
        }
        // In HTTP mode (the stats page) HAProxy writes request lines proxyd does not: none.
        "httplog" | "httpslog" if px.mode == Mode::Http => {
            if option_cap_ok(px, l, r, name, true) {
                px.httplog = true;
                r.ignored(l, &format!("option {name}"));
            }
        }
        // Outside HTTP mode HAProxy logs these proxies' connections in the TCP format.
        "httplog" | "httpslog" if px.mode != Mode::Http => {
            if option_cap_ok(px, l, r, name, true) {
                r.warn(
                    l,
                    format!(
                        "'option {name}' not usable with {} '{}' (needs 'mode http'). Falling back to 'option tcplog'.",
                        px.section_name(),
                        px.name
                    ),
                );
                px.tcplog = true;
                px.log_format = None;
            }
        }
        _ => match OPTIONS_UNSUPPORTED.iter().find(|(o, _)| *o == name) {
            Some((_, why)) => r.unsupported(l, &format!("option {name}"), why),
            None => match OPTIONS_IGNORED.iter().find(|(o, _)| *o == name) {
                Some((_, side)) => {
                    if side.is_none_or(|fe| option_cap_ok(px, l, r, name, fe)) {
                        r.ignored(l, &format!("option {name}"));
                    }
                }
                None => r.alert(l, format!("unknown option '{name}'.")),
            },
        },
    }
}

/// The options HAProxy 2.6 parses apart from its table of flags, which refuse `no option`.
const OPTIONS_NOT_NEGATABLE: &[&str] = &[
    "tcplog",
    "httplog",
    "httpslog",
    "httpchk",
    "ssl-hello-chk",
    "smtpchk",
    "mysql-check",
    "pgsql-check",
    "redis-check",
    "ldap-check",
    "spop-check",
    "tcp-check",
    "external-check",
    "forwardfor",
    "originalto",
    "http-restrict-req-hdr-names",
    "tcpka",
    "http-use-htx",
];

/// `no option <name>`: turns off an option a defaults section turned on.
pub fn no_option(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    // `no log`: nothing inherited from the defaults section is logged.
    if l.arg(1) == "log" {
        px.log_global = false;
        px.logs.clear();
        return;
    }
    if l.arg(1) != "option" {
        // HAProxy's two messages: the negation, then the keyword it could not place.
        r.push(
            Diagnostic::alert(
                l.file(),
                l.number,
                "no",
                "negation/default currently supported only for options, log, busy-polling, \
                 set-dumpable, strict-limits, insecure-fork-wanted and numa-cpu-mapping.",
            )
            .tight(),
        );
        return r.alert(
            l,
            format!(
                "unknown keyword '{}' in '{}' section",
                l.arg(1),
                px.section_name()
            ),
        );
    }
    let name = l.arg(2);
    if OPTIONS_NOT_NEGATABLE.contains(&name) {
        return r.push(
            Diagnostic::alert(
                l.file(),
                l.number,
                "no",
                format!("negation/default is not supported for option '{name}'."),
            )
            .tight(),
        );
    }
    if let Some(&(_, _, set)) = OPTION_FLAGS.iter().find(|(o, _, _)| *o == name) {
        return set(px, false);
    }
    match name {
        "nolinger" => px.srv_nolinger = false,
        _ if OPTIONS_IGNORED.iter().any(|(o, _)| *o == name)
            || OPTIONS_UNSUPPORTED.iter().any(|(o, _)| *o == name) => {}
        _ => r.alert(l, format!("unknown option '{name}'.")),
    }
}

pub fn ignored(_: &mut ProxyDraft, l: &Line, r: &mut Report) {
    r.ignored(l, l.arg(0));
}

pub fn disabled(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    px.disabled = true;
    r.unsupported(l, "disabled", "remove the section instead");
}

pub fn id(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    let say = |r: &mut Report, msg: &str| {
        r.push(Diagnostic::alert(l.file(), l.number, "id", msg).tight());
    };
    match counted(l, r) {
        Some(n) if n > 0 => px.id = Some((n, l.number)),
        Some(_) => say(r, "custom id has to be > 0."),
        None => say(r, "'id' expects an integer argument."),
    }
}

pub fn description(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    if l.words.len() < 2 {
        return r.alert(l, "'description' expects a string argument.");
    }
    px.description = Some(l.words[1..].join(" "));
}

/// `log-tag <string>` in a proxy: the tag of the lines it logs, to every target.
pub fn log_tag(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    match l.arg(1) {
        "" => r.alert(l, "'log-tag' expects a tag for use in syslog."),
        tag => px.log_tag = Some(tag.to_string()),
    }
}

/// `log global` (the global targets) or a target of the proxy's own; several add up.
pub fn log(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    match l.arg(1) {
        "global" => px.log_global = true,
        _ => {
            if let Some(t) = super::global::parse_log(l, r) {
                px.logs.push(t);
            }
        }
    }
}

pub fn default_stats_page() -> StatsPage {
    StatsPage {
        uri: "/haproxy?stats".to_string(),
        realm: "HAProxy Statistics".to_string(),
        auth: Vec::new(),
        hide_version: false,
        refresh: None,
        show_legends: false,
        show_node: false,
        admin: None,
        prometheus_path: None,
    }
}

/// `http-request`: only HAProxy's Prometheus exporter form does something in proxyd;
/// every other rule shapes HTTP traffic proxyd does not terminate.
/// `tcp-request` / `tcp-response`. An `accept` rule, and the delay before content rules are
/// judged, change nothing when no rule rejects: ignored with a warning. Every other action
/// would refuse, track, delay or rewrite connections that proxyd forwards as they come, so the
/// file is refused rather than run without its access rules.
pub fn tcp_rules(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    let (kw, sub, action) = (l.arg(0), l.arg(1), l.arg(2));
    let request = kw == "tcp-request";
    match sub {
        "inspect-delay" => return r.ignored(l, &format!("{kw} inspect-delay")),
        "connection" | "session" if request && px.kind.is_some_and(|k| !k.is_frontend()) => {
            return r.alert(
                l,
                format!(
                    "tcp-request {sub} is not allowed because {} {} is not a frontend",
                    px.section_name(),
                    px.name
                ),
            )
        }
        "connection" | "session" | "content" if request => {}
        "content" if px.kind.is_some_and(|k| !k.is_backend()) => {
            return r.alert(
                l,
                "tcp-response content is only allowed in 'backend' sections or 'defaults' section with a name",
            )
        }
        "content" => {}
        other => {
            let expected = match request {
                true => "'inspect-delay', 'connection', or 'content'",
                false => "'inspect-delay' or 'content'",
            };
            return r.alert(
                l,
                format!(
                    "'{kw}' expects {expected} in {} '{}' (got '{other}')",
                    px.section_name(),
                    px.name
                ),
            );
        }
    }
    match action {
        "accept" => r.ignored(l, &format!("{kw} {sub} accept")),
        "" => r.alert(
            l,
            format!(
                "'{kw} {sub}' expects an action in {} '{}' (got '').",
                px.section_name(),
                px.name
            ),
        ),
        _ => r.unsupported(
            l,
            &format!("{kw} {sub} {action}"),
            "connections are forwarded without TCP rules (only 'accept' rules and 'inspect-delay', which change nothing without a rule that refuses, are accepted)",
        ),
    }
}

/// `rate-limit sessions <n>`: new sessions per second a frontend accepts.
pub fn rate_limit(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    if l.arg(1) != "sessions" {
        return r.alert(
            l,
            format!("'rate-limit' only supports 'sessions' (got '{}')", l.arg(1)),
        );
    }
    let raw = l.arg(2);
    if raw.is_empty() {
        return r.alert(
            l,
            "'rate-limit sessions' expects expects an integer value (in sessions/second)",
        );
    }
    let Some(n) = values::uint(raw) else {
        let bad = raw.chars().find(|c| !c.is_ascii_digit()).unwrap_or(' ');
        return r.alert(
            l,
            format!(
                "'rate-limit sessions' : unexpected character '{bad}' in integer value '{raw}'"
            ),
        );
    };
    // HAProxy's wording for this one differs from the other keywords' capability warning.
    if px.kind.is_some_and(|k| !k.is_frontend()) {
        return r.warn(
            l,
            format!(
                "rate-limit sessions will be ignored because {} '{}' has no frontend capability",
                px.section_name(),
                px.name
            ),
        );
    }
    px.sess_rate_limit = n;
}

/// `log-format <format>`: replaces `option tcplog` (the last one wins, as in HAProxy). The
/// format is parsed once the proxy's mode and log targets are known (HAProxy ignores it, with
/// a warning, where nothing is logged).
pub fn log_format(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    if l.words.len() > 2 {
        return r.alert(
            l,
            "log-format expects only one argument, don't forget to escape spaces!",
        );
    }
    px.log_format = Some((l.arg(1).to_string(), l.number));
    px.tcplog = false;
}

pub fn http_request(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    let words: Vec<&str> = (1..9).map(|i| l.arg(i)).collect();
    if words[..4] == ["use-service", "prometheus-exporter", "if", "{"]
        && words[4] == "path"
        && !words[5].is_empty()
        && words[6] == "}"
        && words[7].is_empty()
    {
        px.prometheus_path = Some(words[5].to_string());
        return;
    }
    r.ignored(l, "http-request");
}

/// `stats enable|uri|realm|auth|hide-version|refresh|show-legends|show-node|admin`: any of them
/// turns the page on, as in HAProxy.
pub fn stats(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    let sub = l.arg(1);
    let arg = l.arg(2);
    let need_arg = |r: &mut Report, what: &str| {
        r.alert(l, format!("'stats {sub}' expects {what} as argument."));
    };
    let page = px.stats.get_or_insert_with(default_stats_page);
    match sub {
        "enable" => {}
        "uri" if arg.is_empty() => need_arg(r, "an URI prefix"),
        "uri" => page.uri = arg.to_string(),
        "realm" if arg.is_empty() => need_arg(r, "a realm"),
        "realm" => page.realm = arg.to_string(),
        "auth" => match arg.split_once(':') {
            Some((u, p)) => page.auth.push((u.to_string(), p.to_string())),
            None => need_arg(r, "<user>:<password>"),
        },
        "hide-version" => page.hide_version = true,
        "show-legends" => page.show_legends = true,
        "show-node" => page.show_node = true,
        "show-desc" => r.ignored(l, "stats show-desc"),
        // HAProxy accepts it though its list of parameters in the error below leaves it out.
        "show-modules" => r.warn(
            l,
            "'stats show-modules' is ignored by proxyd: the page does not show the stats modules' counters ('show stat' and the ;csv export list them).".to_string(),
        ),
        "scope" => r.ignored(l, "stats scope"),
        "refresh" => match r.time(arg) {
            Ok(d) => page.refresh = Some(d),
            Err(e) => r.alert(l, e.describe("stats refresh", arg)),
        },
        "admin" => {
            let cond = l.arg(3);
            match (arg, cond) {
                ("if", "TRUE") | ("unless", "FALSE") => page.admin = Some(AdminCond::Always),
                ("if", "LOCALHOST") => page.admin = Some(AdminCond::Localhost),
                ("if" | "unless", "") | ("", _) => r.alert(
                    l,
                    "'stats admin' requires either 'if' or 'unless' followed by a condition.",
                ),
                ("if" | "unless", c) if c.chars().all(|ch| ch.is_ascii_uppercase() || ch == '_') && !["FALSE", "TRUE", "LOCALHOST"].contains(&c) => r.alert(
                    l,
                    format!("error detected while parsing a 'stats admin' rule : no such ACL : '{c}'."),
                ),
                _ => r.unsupported(
                    l,
                    &format!("stats admin {arg} {cond}"),
                    "only 'if TRUE' and 'if LOCALHOST' are understood",
                ),
            }
        }
        _ => r.push(
            Diagnostic::alert(
                l.file(),
                l.number,
                "stats",
                format!("unknown stats parameter '{sub}', expects 'admin', 'uri', 'realm', 'auth', 'scope', 'enable', 'hide-version', 'show-node', 'show-desc' or 'show-legends'."),
            )
            .tight(),
        ),
    }
}
