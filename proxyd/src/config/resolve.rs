//! The last stage: ids, cross-references between proxies, and each server's `CheckSpec`.
//! Messages here carry no `parsing` prefix, as HAProxy's post-parse checks do not.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use super::diag::{Diagnostic, Report, Severity};
use super::global::GlobalDraft;
use super::proxy::ProxyDraft;
use super::server::ServerDraft;
use super::types::{
    Balance, CheckSpec, CheckTls, Config, HttpCheck, Mode, PoolSettings, Proxy, ProxyKind, Server,
    ServerStateFrom, TcpCheck, TcpCheckAction, Verify,
};

const DEFAULT_INTER: Duration = Duration::from_secs(2);
const DEFAULT_RISE: u32 = 2;
const DEFAULT_FALL: u32 = 3;
const DEFAULT_WEIGHT: u32 = 1;

/// HAProxy's numbering: walk in order, give each object without a custom id the first free id
/// at or after a cursor that advances by one per object (custom ids included). `first` is 2
/// for proxies when a stats socket exists: its internal `GLOBAL` proxy takes the first slot.
fn assign_ids(custom: &[Option<u32>], first: u32) -> Vec<u32> {
    let mut used: BTreeSet<u32> = custom.iter().flatten().copied().collect();
    let mut next = first;
    custom
        .iter()
        .map(|c| {
            let id = match c {
                Some(id) => *id,
                None => {
                    while used.contains(&next) {
                        next += 1;
                    }
                    used.insert(next);
                    next
                }
            };
            next += 1;
            id
        })
        .collect()
}

/// `track [<proxy>/]<server>`: the server must exist in a backend and the chain it starts must
/// end at a checked server, or HAProxy's message names what is wrong.
fn check_tracks(drafts: &[ProxyDraft], r: &mut Report) {
    let backends = || {
        drafts
            .iter()
            .filter(|p| p.kind.is_some_and(ProxyKind::is_backend))
    };
    let target = |p: &ProxyDraft, t: &str| -> Result<(String, String), String> {
        let (px, srv) = t.split_once('/').unwrap_or((p.name.as_str(), t));
        let tp = backends()
            .find(|q| q.name == px)
            .ok_or_else(|| format!("unable to find required proxy '{px}' for tracking."))?;
        tp.servers
            .iter()
            .find(|x| x.name == srv)
            .map(|_| (px.to_string(), srv.to_string()))
            .ok_or_else(|| format!("unable to find required server '{srv}' for tracking."))
    };
    let server = |px: &str, srv: &str| {
        backends()
            .find(|q| q.name == px)
            .and_then(|q| q.servers.iter().find(|x| x.name == srv).map(|x| (q, x)))
    };
    for p in backends() {
        for s in &p.servers {
            let Some(t) = &s.params.track else { continue };
            let problem = match target(p, t) {
                Err(e) => Some(e),
                Ok((px, srv)) => match server(&px, &srv) {
                    Some((_, x)) if !x.params.check && x.params.track.is_none() => Some(format!(
                        "unable to use {px}/{srv} for tracking as it does not have any check nor agent enabled."
                    )),
                    _ => {
                        // Both sides must agree on what a 404 means, or a tracking server
                        // could be stopping while its own backend has no such state. HAProxy
                        // 2.6's words, its missing space included.
                        let inconsistent = server(&px, &srv).is_some_and(|(q, _)| {
                            q.name != p.name && q.httpchk.disable_on_404 != p.httpchk.disable_on_404
                        });
                        let message = format!(
                            "unable to use {px}/{srv} fortracking: disable-on-404 option inconsistency."
                        );
                        // A chain must end somewhere: one that comes back never reaches a check.
                        let mut seen = vec![(p.name.clone(), s.name.clone())];
                        let mut at = Some((px, srv));
                        let mut looped = None;
                        while let Some(cur) = at.take() {
                            if seen.contains(&cur) {
                                looped = Some(format!(
                                    "unable to track {}/{}: the tracking chain loops.",
                                    cur.0, cur.1
                                ));
                                break;
                            }
                            at = server(&cur.0, &cur.1).and_then(|(q, x)| {
                                x.params.track.as_ref().and_then(|t| target(q, t).ok())
                            });
                            seen.push(cur);
                        }
                        looped.or_else(|| inconsistent.then_some(message))
                    }
                },
            };
            if let Some(msg) = problem {
                r.push(
                    Diagnostic::alert(
                        &p.file,
                        s.line,
                        "track",
                        format!("'server {}/{}' : {msg}", p.name, s.name),
                    )
                    .checking(),
                );
            }
        }
    }
}

/// `frontend`, `backend` or `proxy` (for listen), as HAProxy names proxies in these messages.
fn type_name(kind: ProxyKind) -> &'static str {
    match kind {
        ProxyKind::Frontend => "frontend",
        ProxyKind::Backend => "backend",
        ProxyKind::Listen => "proxy",
    }
}

pub fn resolve(g: GlobalDraft, drafts: Vec<ProxyDraft>, r: &mut Report) -> Config {
    let first = if g.global.stats_sockets.is_empty() {
        1
    } else {
        2
    };
    let custom: Vec<Option<u32>> = drafts.iter().map(|p| p.id.map(|(id, _)| id)).collect();
    let ids = assign_ids(&custom, first);

    for (i, p) in drafts.iter().enumerate() {
        let Some((id, line)) = p.id else { continue };
        if let Some(prev) = drafts[..i]
            .iter()
            .find(|q| q.id.map(|(v, _)| v) == Some(id))
        {
            r.push(
                Diagnostic::alert(
                    &p.file,
                    line,
                    "id",
                    format!(
                        "{} {} reuses same custom id as {} {} (declared at {}:{}).",
                        p.section_name(),
                        p.name,
                        prev.section_name(),
                        prev.name,
                        prev.file.display(),
                        prev.line
                    ),
                )
                .tight(),
            );
        }
    }

    check_tracks(&drafts, r);
    let mut proxies = Vec::with_capacity(drafts.len());
    for (p, id) in drafts.iter().zip(ids) {
        let Some(kind) = p.kind else { continue };
        proxies.push(proxy(p, kind, id, &drafts, r));
        if kind.is_backend()
            && p.load_server_state == ServerStateFrom::Global
            && g.global.server_state_file.is_none()
        {
            r.push(Diagnostic::global(
                Severity::Warning,
                "load-server-state-from-file",
                format!(
                    "backend '{}' configured to load server state file from global section 'server-state-file' directive. Unfortunately, 'server-state-file' is not set!",
                    p.name
                ),
            ));
        }
    }
    let mut global = g.global;
    global.env = g
        .env_order
        .iter()
        .map(|n| (n.clone(), g.env.get(n).cloned().flatten()))
        .collect();
    Config { global, proxies }
}

fn proxy(p: &ProxyDraft, kind: ProxyKind, id: u32, all: &[ProxyDraft], r: &mut Report) -> Proxy {
    let tname = type_name(kind);
    if kind.is_frontend() && p.binds.is_empty() {
        r.push(Diagnostic::global(
            Severity::Warning,
            "bind",
            format!(
                "{tname} '{}' has no 'bind' directive. Please declare it as a backend if this was intended.",
                p.name
            ),
        ));
    }
    let t = &p.timeouts;
    if kind.is_frontend() && t.client.is_none()
        || kind.is_backend() && (t.connect.is_none() || t.server.is_none())
    {
        r.push(Diagnostic::global(
            Severity::Warning,
            "timeout",
            format!(
                "missing timeouts for {tname} '{}'.\n   | While not properly invalid, you will certainly encounter various problems\n   | with such a configuration. To fix this, please ensure that all following\n   | timeouts are set to a non-zero value: 'client', 'connect', 'server'.",
                p.name
            ),
        ));
    }
    let default_backend = if kind.is_frontend() {
        p.default_backend.clone()
    } else {
        None
    };
    if let Some(name) = &default_backend {
        check_default_backend(p, kind, name, all, r);
    }
    let stats = match (&p.stats, p.mode) {
        (Some(_), Mode::Tcp) => {
            r.push(Diagnostic::global(
                Severity::Warning,
                "stats",
                format!(
                    "'stats' statement ignored for {tname} '{}' as it requires HTTP mode.",
                    p.name
                ),
            ));
            None
        }
        (s, _) => s.clone(),
    };
    // The Prometheus exporter is served by the same HTTP service as the stats page.
    let stats = match (&p.prometheus_path, p.mode, stats) {
        (Some(path), Mode::Http, s) => {
            let mut page = s.unwrap_or_else(super::proxy::default_stats_page);
            page.prometheus_path = Some(path.clone());
            Some(page)
        }
        (_, _, s) => s,
    };
    let http_check = if kind.is_backend() {
        if !p.httpchk.enabled && p.httpchk.rules_line.is_some() {
            r.push(Diagnostic::global(
                Severity::Warning,
                "http-check",
                format!(
                    "{tname} '{}' uses http-check rules without 'option httpchk', so the rules are ignored.",
                    p.name
                ),
            ));
        }
        p.httpchk.build().map(Arc::new)
    } else {
        None
    };
    let tcp_check = if kind.is_backend() {
        if p.tcpchk.unused {
            r.push(Diagnostic::global(
                Severity::Warning,
                "tcp-check",
                format!(
                    "{tname} '{}' uses tcp-check rules without 'option tcp-check', so the rules are ignored.",
                    p.name
                ),
            ));
        }
        p.tcpchk.build().map(Arc::new)
    } else {
        None
    };
    let checks = Checks {
        http: http_check.as_ref(),
        tcp: tcp_check.as_ref(),
    };
    let servers = servers(p, checks, r);
    Proxy {
        name: p.name.clone(),
        id,
        kind,
        mode: p.mode,
        binds: if kind.is_frontend() {
            p.binds.clone()
        } else {
            Vec::new()
        },
        default_backend,
        maxconn: p.maxconn,
        sess_rate_limit: p.sess_rate_limit,
        fullconn: p.fullconn,
        server_state: match &p.load_server_state {
            ServerStateFrom::Local(_) => ServerStateFrom::Local(
                p.server_state_file_name
                    .clone()
                    .unwrap_or_else(|| p.name.clone()),
            ),
            other => other.clone(),
        },
        balance: match p.balance {
            Balance::Source(_) => Balance::Source(p.hash_type),
            other => other,
        },
        timeouts: p.timeouts.clone(),
        retries: p.retries,
        redispatch: p.redispatch,
        all_backups: p.all_backups,
        abort_on_close: p.abort_on_close,
        log_health_checks: p.log_health_checks,
        nolinger: p.srv_nolinger,
        servers,
        stats,
        http_check,
        tcp_check,
        description: p.description.clone(),
        tcplog: p.tcplog,
        log_format: log_format(p, kind, r),
        httplog: p.httplog,
        logasap: p.logasap,
        log_global: p.log_global,
        logs: p.logs.clone(),
        log_tag: p.log_tag.clone(),
        log_filter: p.log_filter,
        cli_tcpka: p.cli_tcpka,
        srv_tcpka: p.srv_tcpka,
        cli_ka: p.cli_ka,
        srv_ka: p.srv_ka,
        server_verify_required: p.server_verify_required,
        file: p.file.as_ref().clone(),
        line: p.line,
    }
}

fn check_default_backend(
    p: &ProxyDraft,
    kind: ProxyKind,
    name: &str,
    all: &[ProxyDraft],
    r: &mut Report,
) {
    let target = all
        .iter()
        .find(|b| b.name == name && b.kind.is_some_and(ProxyKind::is_backend));
    let Some(b) = target else {
        return r.push(Diagnostic::global(
            Severity::Alert,
            "default_backend",
            format!(
                "Proxy '{}': unable to find required default_backend: '{name}'.",
                p.name
            ),
        ));
    };
    if b.mode != p.mode {
        r.push(Diagnostic::global(
            Severity::Alert,
            "default_backend",
            format!(
                "{} {} '{}' ({}:{}) tries to use incompatible {} {} '{}' ({}:{}) as its default backend (see 'mode').",
                p.mode.name(),
                type_name(kind),
                p.name,
                p.file.display(),
                p.line,
                b.mode.name(),
                b.kind.map(type_name).unwrap_or("backend"),
                b.name,
                b.file.display(),
                b.line
            ),
        ));
    }
}

/// A frontend's `log-format`, parsed where HAProxy parses it: in a TCP frontend that logs
/// somewhere.
fn log_format(
    p: &ProxyDraft,
    kind: ProxyKind,
    r: &mut Report,
) -> Option<Arc<crate::log_format::LogFormat>> {
    use crate::log_format::{FormatError, LogFormat};
    let (text, line) = p.log_format.as_ref()?;
    if !kind.is_frontend() || p.mode != Mode::Tcp {
        return None;
    }
    if !p.log_global && p.logs.is_empty() {
        r.push(Diagnostic::global(
            Severity::Warning,
            "log-format",
            format!(
                "log format ignored for {} '{}' since it has no log address.",
                p.section_name(),
                p.name
            ),
        ));
        return None;
    }
    match LogFormat::parse(text) {
        Ok(f) => Some(Arc::new(f)),
        Err(FormatError::Haproxy(msg)) => {
            let mut d = Diagnostic::alert(
                &p.file,
                *line,
                "log-format",
                format!("failed to parse log-format : {msg}"),
            );
            d.stage = super::diag::Stage::ParsingUpper;
            r.push(d);
            None
        }
        Err(FormatError::Unsupported(what)) => {
            r.push(Diagnostic::alert(
                &p.file,
                *line,
                "log-format",
                format!("'log-format' is not supported by proxyd with a {what}."),
            ));
            None
        }
    }
}

/// The backend's check type, shared by its servers.
#[derive(Clone, Copy)]
pub struct Checks<'a> {
    pub http: Option<&'a Arc<HttpCheck>>,
    pub tcp: Option<&'a Arc<TcpCheck>>,
}

fn servers(p: &ProxyDraft, checks: Checks, r: &mut Report) -> Vec<Server> {
    let custom: Vec<Option<u32>> = p.servers.iter().map(|s| s.id).collect();
    let ids = assign_ids(&custom, 1);
    p.servers
        .iter()
        .zip(ids)
        .map(|(s, id)| server(p, s, id, checks, r))
        .collect()
}

pub fn server(p: &ProxyDraft, s: &ServerDraft, id: u32, checks: Checks, r: &mut Report) -> Server {
    // As HAProxy's check_config_validity(): `minconn` alone (or above `maxconn`) becomes the
    // fixed limit, `maxconn` alone is its own minimum.
    let (maxconn, minconn) = match (s.params.maxconn, s.params.minconn) {
        (max, min) if max < min => (min, min),
        (max, 0) => (max, max),
        limits => limits,
    };
    Server {
        name: s.name.clone(),
        id,
        host: s.host.clone(),
        addr: s.addr,
        port_map: s.port_map,
        weight: s.params.weight.unwrap_or(DEFAULT_WEIGHT),
        maxconn,
        minconn,
        maxqueue: s.params.maxqueue,
        backup: s.params.backup,
        disabled: s.params.disabled,
        shutdown_on_down: s.params.shutdown_on_down,
        slowstart: s.params.slowstart.map_or(0, |d| {
            d.as_millis().div_ceil(1000).min(u32::MAX as u128) as u32
        }),
        pool: PoolSettings {
            purge_delay_ms: s
                .params
                .pool_purge_delay
                .map_or(5000, |d| d.as_millis().min(u32::MAX as u128) as u32),
            max_conn: s.params.pool_max_conn.unwrap_or(-1),
        },
        track: s.params.track.as_ref().map(|t| match t.split_once('/') {
            Some(_) => t.clone(),
            None => format!("{}/{t}", p.name),
        }),
        check: check_spec(p, s, checks, r),
        line: s.line,
    }
}

fn check_spec(
    p: &ProxyDraft,
    s: &ServerDraft,
    checks: Checks,
    r: &mut Report,
) -> Option<CheckSpec> {
    let sp = &s.params;
    // HAProxy prepares the TLS context of `check-ssl` (and refuses a verification without
    // CA) whether or not `check` is there.
    let rules_want_tls = checks.tcp.is_some_and(|t| {
        t.rules
            .iter()
            .any(|r| matches!(&r.action, TcpCheckAction::Connect(c) if c.ssl))
    });
    let tls = if sp.check_ssl || rules_want_tls {
        let required = sp.verify_required.unwrap_or(p.server_verify_required);
        let verify = match (required, &sp.ca_file) {
            (false, _) => Verify::None,
            (true, Some(ca)) => Verify::Required {
                ca_file: ca.clone(),
            },
            (true, None) => {
                let msg = if p.server_verify_required {
                    "verify is enabled by default but no CA file specified. If you're running on a LAN where you're certain to trust the server's certificate, please set an explicit 'verify none' statement on the 'server' line, or use 'ssl-server-verify none' in the global section to disable server-side verifications by default."
                } else {
                    "verify is enabled but no CA file specified."
                };
                r.push(
                    Diagnostic::alert(
                        &p.file,
                        s.line,
                        "verify",
                        format!("'server {}/{}' : {msg}", p.name, s.name),
                    )
                    .checking(),
                );
                return None;
            }
        };
        Some(CheckTls {
            verify,
            sni: sp.check_sni.clone(),
            verify_host: sp.verifyhost.clone(),
        })
    } else {
        None
    };
    if !sp.check {
        return None;
    }
    if s.port_map.is_some() && sp.port.is_none() {
        r.push(Diagnostic::global(
            Severity::Alert,
            "port",
            format!(
                "config: backend '{}': server '{}' has neither service port nor check port.",
                p.name, s.name
            ),
        ));
        return None;
    }
    let inter = sp.inter.unwrap_or(DEFAULT_INTER);
    let ip = sp.addr.unwrap_or(s.addr.ip());
    let port = sp.port.unwrap_or(s.addr.port());
    Some(CheckSpec {
        target: SocketAddr::new(ip, port),
        port_set: sp.port,
        addr_set: sp.addr,
        inter,
        fastinter: sp.fastinter.unwrap_or(inter),
        downinter: sp.downinter.unwrap_or(inter),
        rise: sp.rise.unwrap_or(DEFAULT_RISE),
        fall: sp.fall.unwrap_or(DEFAULT_FALL),
        tls: if sp.check_ssl { tls.clone() } else { None },
        rules_tls: if sp.check_ssl { None } else { tls },
        http: checks.http.cloned(),
        tcp: checks.tcp.cloned(),
        timeout_connect: p.timeouts.connect,
        timeout_check: p.timeouts.check,
    })
}

#[cfg(test)]
mod tests {
    use super::assign_ids;

    #[test]
    fn ids_follow_haproxy_numbering() {
        // Observed with HAProxy 2.6 and a stats socket: f, b, c (id 2), l -> 3, 4, 2, 6.
        assert_eq!(assign_ids(&[None, None, Some(2), None], 2), [3, 4, 2, 6]);
        // Same with c at id 1 -> 2, 3, 1, 5.
        assert_eq!(assign_ids(&[None, None, Some(1), None], 2), [2, 3, 1, 5]);
        // Servers s1 (id 2), s2, s3 -> 2, 3, 4.
        assert_eq!(assign_ids(&[Some(2), None, None], 1), [2, 3, 4]);
        assert_eq!(assign_ids(&[None, None], 1), [1, 2]);
    }
}
