//! Prometheus text exposition (0.0.4) with HAProxy 2.6's exporter names: `haproxy_process_*`
//! from the `show info` values, `haproxy_{frontend,backend,server}_*` from the `stats::rows`
//! snapshot. Metric suffixes are the `prometheus` names of `runtime_api::fields`; the families,
//! their order, HELP texts, TYPEs, labels, `NaN` for empty columns and the `state` label sets
//! follow a captured HAProxy 2.6.12 `/metrics`.

use std::fmt::Write as _;

use runtime_api::fields::{idx, FIELDS};
use runtime_api::info::INFO_FIELDS;
use runtime_api::row::{RowKind, StatRow, Value};

/// `content-type` of the exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4";

/// Process families: (suffix, `show info` key, counter, HELP). `failed_resolutions` is typed
/// `untyped` instead of HAProxy's `counter`: a counter without `_total` fails `promtool check
/// metrics`, and renaming it would break existing dashboards.
const PROCESS: &[(&str, &str, bool, &str)] = &[
    ("nbthread", "Nbthread", false, "Number of started threads (global.nbthread)"),
    ("nbproc", "Nbproc", false, "Number of started worker processes (historical, always 1)"),
    ("relative_process_id", "Process_num", false, "Relative worker process number (1)"),
    ("uptime_seconds", "Uptime_sec", false, "How long ago this worker process was started (seconds)"),
    ("pool_failures_total", "PoolFailed", true, "Number of failed pool allocations since this worker was started"),
    ("max_fds", "Ulimit-n", false, "Hard limit on the number of per-process file descriptors"),
    ("max_sockets", "Maxsock", false, "Hard limit on the number of per-process sockets"),
    ("max_connections", "Maxconn", false, "Hard limit on the number of per-process connections (configured or imposed by Ulimit-n)"),
    ("hard_max_connections", "Hard_maxconn", false, "Hard limit on the number of per-process connections (imposed by Memmax_MB or Ulimit-n)"),
    ("current_connections", "CurrConns", false, "Current number of connections on this worker process"),
    ("connections_total", "CumConns", true, "Total number of connections on this worker process since started"),
    ("requests_total", "CumReq", true, "Total number of requests on this worker process since started"),
    ("max_ssl_connections", "MaxSslConns", false, "Hard limit on the number of per-process SSL endpoints (front+back), 0=unlimited"),
    ("current_ssl_connections", "CurrSslConns", false, "Current number of SSL endpoints on this worker process (front+back)"),
    ("ssl_connections_total", "CumSslConns", true, "Total number of SSL endpoints on this worker process since started (front+back)"),
    ("max_pipes", "Maxpipes", false, "Hard limit on the number of pipes for splicing, 0=unlimited"),
    ("pipes_used_total", "PipesUsed", true, "Current number of pipes in use in this worker process"),
    ("pipes_free_total", "PipesFree", true, "Current number of allocated and available pipes in this worker process"),
    ("current_connection_rate", "ConnRate", false, "Number of front connections created on this worker process over the last second"),
    ("limit_connection_rate", "ConnRateLimit", false, "Hard limit for ConnRate (global.maxconnrate)"),
    ("max_connection_rate", "MaxConnRate", false, "Highest ConnRate reached on this worker process since started (in connections per second)"),
    ("current_session_rate", "SessRate", false, "Number of sessions created on this worker process over the last second"),
    ("limit_session_rate", "SessRateLimit", false, "Hard limit for SessRate (global.maxsessrate)"),
    ("max_session_rate", "MaxSessRate", false, "Highest SessRate reached on this worker process since started (in sessions per second)"),
    ("current_ssl_rate", "SslRate", false, "Number of SSL connections created on this worker process over the last second"),
    ("limit_ssl_rate", "SslRateLimit", false, "Hard limit for SslRate (global.maxsslrate)"),
    ("max_ssl_rate", "MaxSslRate", false, "Highest SslRate reached on this worker process since started (in connections per second)"),
    ("current_frontend_ssl_key_rate", "SslFrontendKeyRate", false, "Number of SSL keys created on frontends in this worker process over the last second"),
    ("max_frontend_ssl_key_rate", "SslFrontendMaxKeyRate", false, "Highest SslFrontendKeyRate reached on this worker process since started (in SSL keys per second)"),
    ("frontend_ssl_reuse", "SslFrontendSessionReuse_pct", false, "Percent of frontend SSL connections which did not require a new key"),
    ("current_backend_ssl_key_rate", "SslBackendKeyRate", false, "Number of SSL keys created on backends in this worker process over the last second"),
    ("max_backend_ssl_key_rate", "SslBackendMaxKeyRate", false, "Highest SslBackendKeyRate reached on this worker process since started (in SSL keys per second)"),
    ("ssl_cache_lookups_total", "SslCacheLookups", true, "Total number of SSL session ID lookups in the SSL session cache on this worker since started"),
    ("ssl_cache_misses_total", "SslCacheMisses", true, "Total number of SSL session ID lookups that didn't find a session in the SSL session cache on this worker since started"),
    ("http_comp_bytes_in_total", "CompressBpsIn", true, "Number of bytes submitted to the HTTP compressor in this worker process over the last second"),
    ("http_comp_bytes_out_total", "CompressBpsOut", true, "Number of bytes emitted by the HTTP compressor in this worker process over the last second"),
    ("limit_http_comp", "CompressBpsRateLim", false, "Limit of CompressBpsOut beyond which HTTP compression is automatically disabled"),
    ("current_zlib_memory", "ZlibMemUsage", false, "Amount of memory currently used by HTTP compression on the current worker process (in bytes)"),
    ("max_zlib_memory", "MaxZlibMemUsage", false, "Limit on the amount of memory used by HTTP compression above which it is automatically disabled (in bytes, see global.maxzlibmem)"),
    ("current_tasks", "Tasks", false, "Total number of tasks in the current worker process (active + sleeping)"),
    ("current_run_queue", "Run_queue", false, "Total number of active tasks+tasklets in the current worker process"),
    ("idle_time_percent", "Idle_pct", false, "Percentage of last second spent waiting in the current worker thread"),
    ("stopping", "Stopping", false, "1 if the worker process is currently stopping, otherwise zero"),
    ("jobs", "Jobs", false, "Current number of active jobs on the current worker process (frontend connections, master connections, listeners)"),
    ("unstoppable_jobs", "Unstoppable Jobs", false, "Current number of unstoppable jobs on the current worker process (master connections)"),
    ("listeners", "Listeners", false, "Current number of active listeners on the current worker process"),
    ("active_peers", "ActivePeers", false, "Current number of verified active peers connections on the current worker process"),
    ("connected_peers", "ConnectedPeers", false, "Current number of peers having passed the connection step on the current worker process"),
    ("dropped_logs_total", "DroppedLogs", true, "Total number of dropped logs for current worker process since started"),
    ("busy_polling_enabled", "BusyPolling", false, "1 if busy-polling is currently in use on the worker process, otherwise zero (config.busy-polling)"),
    ("failed_resolutions", "FailedResolutions", true, "Total number of failed DNS resolutions in current worker process since started"),
    ("bytes_out_total", "TotalBytesOut", true, "Total number of bytes emitted by current worker process since started"),
    ("spliced_bytes_out_total", "TotalSplicdedBytesOut", true, "Total number of bytes emitted by current worker process through a kernel pipe since started"),
    ("bytes_out_rate", "BytesOutRate", false, "Number of bytes emitted by current worker process over the last second"),
    ("recv_logs_total", "CumRecvLogs", true, "Total number of log messages received by log-forwarding listeners on this worker process since started"),
    ("build_info", "Build info", false, "Build info"),
    ("max_memory_bytes", "Memmax_bytes", false, "Worker process's hard limit on memory usage in byes (-m on command line)"),
    ("pool_allocated_bytes", "PoolAlloc_bytes", false, "Amount of memory allocated in pools (in bytes)"),
    ("pool_used_bytes", "PoolUsed_bytes", false, "Amount of pool memory currently used (in bytes)"),
    ("start_time_seconds", "Start_time_sec", false, "Start time in seconds"),
];

/// Server states of `haproxy_server_status` and `haproxy_backend_agg_*server_status`.
const SERVER_STATES: [&str; 5] = ["DOWN", "UP", "MAINT", "DRAIN", "NOLB"];
/// Check results of `haproxy_server_check_status` / `haproxy_backend_agg_check_status`.
const CHECK_STATES: [&str; 16] = [
    "HANA", "SOCKERR", "L4OK", "L4TOUT", "L4CON", "L6OK", "L6TOUT", "L6RSP", "L7TOUT", "L7RSP",
    "L7OK", "L7OKC", "L7STS", "PROCERR", "PROCTOUT", "PROCOK",
];

/// How a family's samples are produced from a row.
#[derive(Clone, Copy)]
enum Kind {
    /// The column's number; `NaN` when HAProxy leaves it empty.
    Plain,
    /// A millisecond column exported in seconds.
    Millis,
    /// `state` label per value, 1 for the row's current state.
    Status,
    /// `code` label per `hrsp_*` column.
    HttpResponses,
    /// Only servers with an enabled check.
    Check,
    /// Backend aggregates of its servers' states / check results.
    AggServers,
    AggChecks,
}

/// (column, kind, HTTP proxies only, HELP when HAProxy's differs from the column's description).
type Family = (usize, Kind, bool, Option<&'static str>);

const STATUS_HELP: Option<&str> = Some("Current status of the service, per state label value.");

const FRONTEND: &[Family] = &[
    (idx::SCUR, Kind::Plain, false, None),
    (idx::SMAX, Kind::Plain, false, None),
    (idx::SLIM, Kind::Plain, false, None),
    (idx::STOT, Kind::Plain, false, None),
    (idx::BIN, Kind::Plain, false, None),
    (idx::BOUT, Kind::Plain, false, None),
    (idx::DREQ, Kind::Plain, false, None),
    (idx::DRESP, Kind::Plain, false, None),
    (idx::EREQ, Kind::Plain, false, None),
    (idx::STATUS, Kind::Status, false, STATUS_HELP),
    (idx::RATE_LIM, Kind::Plain, false, None),
    (idx::RATE_MAX, Kind::Plain, false, None),
    (idx::HRSP_1XX, Kind::HttpResponses, true, None),
    (idx::REQ_RATE_MAX, Kind::Plain, true, None),
    (idx::REQ_TOT, Kind::Plain, true, None),
    (idx::COMP_IN, Kind::Plain, true, None),
    (idx::COMP_OUT, Kind::Plain, true, None),
    (idx::COMP_BYP, Kind::Plain, true, None),
    (idx::COMP_RSP, Kind::Plain, true, None),
    (idx::CONN_RATE_MAX, Kind::Plain, false, None),
    (idx::CONN_TOT, Kind::Plain, false, None),
    (idx::INTERCEPTED, Kind::Plain, true, None),
    (idx::DCON, Kind::Plain, false, None),
    (idx::DSES, Kind::Plain, false, None),
    (idx::WREW, Kind::Plain, false, None),
    (idx::CACHE_LOOKUPS, Kind::Plain, true, None),
    (idx::CACHE_HITS, Kind::Plain, true, None),
    (idx::EINT, Kind::Plain, false, None),
];

const AVG_Q: Option<&str> = Some("Avg. queue time for last 1024 successful connections.");
const AVG_C: Option<&str> = Some("Avg. connect time for last 1024 successful connections.");
const AVG_R: Option<&str> = Some("Avg. response time for last 1024 successful connections.");
const AVG_T: Option<&str> = Some("Avg. total time for last 1024 successful connections.");
const MAX_Q: Option<&str> = Some("Maximum observed time spent in the queue");
const MAX_C: Option<&str> =
    Some("Maximum observed time spent waiting for a connection to complete");
const MAX_R: Option<&str> = Some("Maximum observed time spent waiting for a server response");
const MAX_T: Option<&str> = Some(
    "Maximum observed total request+response time (request+queue+connect+response+processing)",
);

const BACKEND: &[Family] = &[
    (idx::QCUR, Kind::Plain, false, None),
    (idx::QMAX, Kind::Plain, false, None),
    (idx::SCUR, Kind::Plain, false, None),
    (idx::SMAX, Kind::Plain, false, None),
    (idx::SLIM, Kind::Plain, false, None),
    (idx::STOT, Kind::Plain, false, None),
    (idx::BIN, Kind::Plain, false, None),
    (idx::BOUT, Kind::Plain, false, None),
    (idx::DREQ, Kind::Plain, false, None),
    (idx::DRESP, Kind::Plain, false, None),
    (idx::ECON, Kind::Plain, false, None),
    (idx::ERESP, Kind::Plain, false, None),
    (idx::WRETR, Kind::Plain, false, None),
    (idx::WREDIS, Kind::Plain, false, None),
    (idx::STATUS, Kind::Status, false, STATUS_HELP),
    (idx::WEIGHT, Kind::Plain, false, None),
    (idx::ACT, Kind::Plain, false, None),
    (idx::BCK, Kind::Plain, false, None),
    (idx::CHKDOWN, Kind::Plain, false, None),
    (idx::LASTCHG, Kind::Plain, false, None),
    (idx::DOWNTIME, Kind::Plain, false, None),
    (idx::LBTOT, Kind::Plain, false, None),
    (idx::RATE_MAX, Kind::Plain, false, None),
    (idx::HRSP_1XX, Kind::HttpResponses, true, None),
    (idx::REQ_TOT, Kind::Plain, true, None),
    (idx::CLI_ABRT, Kind::Plain, false, None),
    (idx::SRV_ABRT, Kind::Plain, false, None),
    (idx::COMP_IN, Kind::Plain, true, None),
    (idx::COMP_OUT, Kind::Plain, true, None),
    (idx::COMP_BYP, Kind::Plain, true, None),
    (idx::COMP_RSP, Kind::Plain, true, None),
    (idx::LASTSESS, Kind::Plain, false, None),
    (idx::QTIME, Kind::Millis, false, AVG_Q),
    (idx::CTIME, Kind::Millis, false, AVG_C),
    (idx::RTIME, Kind::Millis, false, AVG_R),
    (idx::TTIME, Kind::Millis, false, AVG_T),
    (idx::WREW, Kind::Plain, false, None),
    (idx::CONNECT, Kind::Plain, false, None),
    (idx::REUSE, Kind::Plain, false, None),
    (idx::CACHE_LOOKUPS, Kind::Plain, true, None),
    (idx::CACHE_HITS, Kind::Plain, true, None),
    (idx::QTIME_MAX, Kind::Millis, false, MAX_Q),
    (idx::CTIME_MAX, Kind::Millis, false, MAX_C),
    (idx::RTIME_MAX, Kind::Millis, false, MAX_R),
    (idx::TTIME_MAX, Kind::Millis, false, MAX_T),
    (idx::EINT, Kind::Plain, false, None),
    (idx::UWEIGHT, Kind::Plain, false, None),
    (idx::AGG_SERVER_STATUS, Kind::AggServers, false, None),
    (
        idx::AGG_SERVER_CHECK_STATUS,
        Kind::AggServers,
        false,
        Some("Backend's aggregated gauge of servers' state check status"),
    ),
    (idx::AGG_CHECK_STATUS, Kind::AggChecks, false, None),
];

const SERVER: &[Family] = &[
    (idx::QCUR, Kind::Plain, false, None),
    (idx::QMAX, Kind::Plain, false, None),
    (idx::SCUR, Kind::Plain, false, None),
    (idx::SMAX, Kind::Plain, false, None),
    (idx::SLIM, Kind::Plain, false, None),
    (idx::STOT, Kind::Plain, false, None),
    (idx::BIN, Kind::Plain, false, None),
    (idx::BOUT, Kind::Plain, false, None),
    (idx::DRESP, Kind::Plain, false, None),
    (idx::ECON, Kind::Plain, false, None),
    (idx::ERESP, Kind::Plain, false, None),
    (idx::WRETR, Kind::Plain, false, None),
    (idx::WREDIS, Kind::Plain, false, None),
    (idx::STATUS, Kind::Status, false, STATUS_HELP),
    (idx::WEIGHT, Kind::Plain, false, None),
    (idx::CHKFAIL, Kind::Plain, false, None),
    (idx::CHKDOWN, Kind::Plain, false, None),
    (idx::LASTCHG, Kind::Plain, false, None),
    (idx::DOWNTIME, Kind::Plain, false, None),
    (idx::QLIMIT, Kind::Plain, false, None),
    (idx::THROTTLE, Kind::Plain, false, None),
    (idx::LBTOT, Kind::Plain, false, None),
    (idx::RATE_MAX, Kind::Plain, false, None),
    (
        idx::CHECK_STATUS,
        Kind::Check,
        false,
        Some("Status of last health check, per state label value."),
    ),
    (
        idx::CHECK_CODE,
        Kind::Check,
        false,
        Some("layer5-7 code, if available of the last health check."),
    ),
    (
        idx::CHECK_DURATION,
        Kind::Check,
        false,
        Some("Total duration of the latest server health check, in seconds."),
    ),
    (idx::HRSP_1XX, Kind::HttpResponses, true, None),
    (idx::REQ_TOT, Kind::Plain, true, None),
    (idx::CLI_ABRT, Kind::Plain, false, None),
    (idx::SRV_ABRT, Kind::Plain, false, None),
    (idx::LASTSESS, Kind::Plain, false, None),
    (idx::QTIME, Kind::Millis, false, AVG_Q),
    (idx::CTIME, Kind::Millis, false, AVG_C),
    (idx::RTIME, Kind::Millis, false, AVG_R),
    (idx::TTIME, Kind::Millis, false, AVG_T),
    (idx::WREW, Kind::Plain, false, None),
    (idx::CONNECT, Kind::Plain, false, None),
    (idx::REUSE, Kind::Plain, false, None),
    (idx::SRV_ICUR, Kind::Plain, false, None),
    (idx::SRC_ILIM, Kind::Plain, false, None),
    (idx::QTIME_MAX, Kind::Millis, false, MAX_Q),
    (idx::CTIME_MAX, Kind::Millis, false, MAX_C),
    (idx::RTIME_MAX, Kind::Millis, false, MAX_R),
    (idx::TTIME_MAX, Kind::Millis, false, MAX_T),
    (idx::EINT, Kind::Plain, false, None),
    (idx::IDLE_CONN_CUR, Kind::Plain, false, None),
    (idx::SAFE_CONN_CUR, Kind::Plain, false, None),
    (idx::USED_CONN_CUR, Kind::Plain, false, None),
    (idx::NEED_CONN_EST, Kind::Plain, false, None),
    (idx::UWEIGHT, Kind::Plain, false, None),
];

/// The whole exposition: process, then frontend, backend and server families.
pub fn render(info: &[Option<Value>], rows: &[StatRow]) -> String {
    let mut out = String::with_capacity(64 * 1024);
    process(&mut out, info);
    let pick = |k: RowKind| rows.iter().filter(move |r| r.kind == k).collect::<Vec<_>>();
    let servers = pick(RowKind::Server);
    scope(
        &mut out,
        "frontend",
        FRONTEND,
        &pick(RowKind::Frontend),
        &servers,
    );
    scope(
        &mut out,
        "backend",
        BACKEND,
        &pick(RowKind::Backend),
        &servers,
    );
    scope(&mut out, "server", SERVER, &servers, &servers);
    out
}

fn family_head(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = write!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n");
}

fn process(out: &mut String, info: &[Option<Value>]) {
    for (suffix, key, counter, help) in PROCESS {
        let name = format!("haproxy_process_{suffix}");
        let kind = if !counter {
            "gauge"
        } else if suffix.ends_with("_total") {
            "counter"
        } else {
            "untyped"
        };
        family_head(out, &name, help, kind);
        let value = INFO_FIELDS
            .iter()
            .position(|f| f.name == *key)
            .and_then(|i| info.get(i))
            .and_then(|v| v.as_ref());
        if *suffix == "build_info" {
            let version = value.map(|v| v.to_string()).unwrap_or_default();
            let _ = writeln!(out, "{name}{{version=\"{}\"}} 1", label(&version));
            continue;
        }
        let _ = writeln!(out, "{name} {}", value.map_or_else(|| "NaN".into(), number));
    }
}

fn number(v: &Value) -> String {
    match v {
        Value::S32(n) => n.to_string(),
        Value::U32(n) => n.to_string(),
        Value::U64(n) => n.to_string(),
        Value::Str(s) => s
            .parse::<f64>()
            .map_or_else(|_| "NaN".into(), |f| f.to_string()),
        Value::Empty => "NaN".into(),
    }
}

fn millis(v: &Value) -> String {
    match v {
        Value::S32(_) | Value::U32(_) | Value::U64(_) => {
            let ms: f64 = number(v).parse().unwrap_or(f64::NAN);
            format!("{:.6}", ms / 1000.0)
        }
        _ => "NaN".into(),
    }
}

/// Label values escape backslash, double quote and newline.
fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn labels(r: &StatRow, scope: &str) -> String {
    let px = label(r.name(idx::PXNAME));
    if scope == "server" {
        format!("proxy=\"{px}\",server=\"{}\"", label(r.name(idx::SVNAME)))
    } else {
        format!("proxy=\"{px}\"")
    }
}

fn is_http(r: &StatRow) -> bool {
    r.name(idx::MODE) == "http"
}

/// A server's state as the exporter groups it: transitional states count as their side.
fn server_state(status: &str) -> &'static str {
    if status.starts_with("MAINT") {
        "MAINT"
    } else if status.starts_with("DRAIN") {
        "DRAIN"
    } else if status.starts_with("NOLB") {
        "NOLB"
    } else if status.starts_with("DOWN") {
        "DOWN"
    } else {
        "UP"
    }
}

fn check_state(r: &StatRow) -> &str {
    r.name(idx::CHECK_STATUS).trim_start_matches("* ")
}

fn scope(
    out: &mut String,
    scope: &str,
    families: &[Family],
    rows: &[&StatRow],
    servers: &[&StatRow],
) {
    for &(col, kind, http_only, help) in families {
        let Some(suffix) = FIELDS[col].prometheus else {
            continue;
        };
        let rows: Vec<&StatRow> = rows
            .iter()
            .copied()
            .filter(|r| !http_only || is_http(r))
            .collect();
        if rows.is_empty() {
            continue;
        }
        let name = format!("haproxy_{scope}_{suffix}");
        let typ = if suffix.ends_with("_total") {
            "counter"
        } else {
            "gauge"
        };
        family_head(out, &name, help.unwrap_or(FIELDS[col].description), typ);
        match kind {
            Kind::Plain | Kind::Millis => {
                for r in &rows {
                    let v = if matches!(kind, Kind::Millis) {
                        millis(r.get(col))
                    } else {
                        number(r.get(col))
                    };
                    let _ = writeln!(out, "{name}{{{}}} {v}", labels(r, scope));
                }
            }
            Kind::Status => {
                for r in &rows {
                    let status = r.name(idx::STATUS);
                    let (states, current): (&[&str], &str) = match r.kind {
                        RowKind::Server => (&SERVER_STATES, server_state(status)),
                        RowKind::Frontend => (
                            &["DOWN", "UP"],
                            if status == "OPEN" { "UP" } else { "DOWN" },
                        ),
                        _ => (
                            &["DOWN", "UP"],
                            if status.starts_with("UP") {
                                "UP"
                            } else {
                                "DOWN"
                            },
                        ),
                    };
                    for s in states {
                        let _ = writeln!(
                            out,
                            "{name}{{{},state=\"{s}\"}} {}",
                            labels(r, scope),
                            (*s == current) as u8
                        );
                    }
                }
            }
            Kind::HttpResponses => {
                let codes = [
                    (idx::HRSP_1XX, "1xx"),
                    (idx::HRSP_2XX, "2xx"),
                    (idx::HRSP_3XX, "3xx"),
                    (idx::HRSP_4XX, "4xx"),
                    (idx::HRSP_5XX, "5xx"),
                    (idx::HRSP_OTHER, "other"),
                ];
                for (c, code) in codes {
                    for r in &rows {
                        let _ = writeln!(
                            out,
                            "{name}{{{},code=\"{code}\"}} {}",
                            labels(r, scope),
                            number(r.get(c))
                        );
                    }
                }
            }
            Kind::Check => {
                for r in rows.iter().filter(|r| !r.get(idx::CHECK_STATUS).is_empty()) {
                    let l = labels(r, scope);
                    match col {
                        idx::CHECK_STATUS => {
                            let cur = check_state(r);
                            for s in CHECK_STATES {
                                let _ = writeln!(
                                    out,
                                    "{name}{{{l},state=\"{s}\"}} {}",
                                    (s == cur) as u8
                                );
                            }
                        }
                        idx::CHECK_CODE => {
                            let v = match r.get(col) {
                                Value::Empty => "0".to_string(),
                                v => number(v),
                            };
                            let _ = writeln!(out, "{name}{{{l}}} {v}");
                        }
                        _ => {
                            let _ = writeln!(out, "{name}{{{l}}} {}", millis(r.get(col)));
                        }
                    }
                }
            }
            Kind::AggServers | Kind::AggChecks => {
                for r in &rows {
                    let mine = servers.iter().filter(|s| s.iid == r.iid);
                    let l = labels(r, scope);
                    if matches!(kind, Kind::AggServers) {
                        let states: Vec<&str> =
                            mine.map(|s| server_state(s.name(idx::STATUS))).collect();
                        for s in SERVER_STATES {
                            let n = states.iter().filter(|x| **x == s).count();
                            let _ = writeln!(out, "{name}{{{l},state=\"{s}\"}} {n}");
                        }
                    } else {
                        let states: Vec<&str> = mine.map(|s| check_state(s)).collect();
                        for s in CHECK_STATES {
                            let n = states.iter().filter(|x| **x == s).count();
                            let _ = writeln!(out, "{name}{{{l},state=\"{s}\"}} {n}");
                        }
                    }
                }
            }
        }
    }
}
