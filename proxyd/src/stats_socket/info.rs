//! `show info`: process figures under HAProxy's key names.

use std::fmt::Write as _;
use std::sync::atomic::Ordering::Relaxed;

use runtime_api::fields::ValueType;
use runtime_api::info::INFO_FIELDS;
use runtime_api::row::Value;

use super::context::Ctx;

pub const PRODUCT: &str = "proxyd";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Release date printed by `show info` and `-v`.
pub const RELEASE_DATE: &str = "2026/11/24";

fn uptime_text(secs: u64) -> String {
    format!(
        "{}d {}h{:02}m{:02}s",
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Resident memory from /proc, for the pool figures (proxyd allocates from the system heap).
fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map(|pages| pages * 4096)
        .unwrap_or(0)
}

/// Tasks waiting in the runtime's shared queue, the closest thing to HAProxy's run queue.
fn run_queue() -> u64 {
    tokio::runtime::Handle::try_current()
        .map(|h| h.metrics().global_queue_depth() as u64)
        .unwrap_or(0)
}

fn task_count() -> u64 {
    tokio::runtime::Handle::try_current()
        .map(|h| h.metrics().num_alive_tasks() as u64)
        .unwrap_or(0)
}

/// Every key's value, in table order; `None` = HAProxy prints nothing for it.
pub fn values(ctx: &Ctx) -> Vec<Option<Value>> {
    let g = &ctx.model.global;
    let up = g.started.elapsed().as_secs();
    let maxconn = g.maxconn.load(Relaxed);
    let rss = rss_bytes();
    let listeners =
        (ctx.shared.listener_count.load(Relaxed) + ctx.shared.cli_listeners.load(Relaxed)) as u64;
    let cli_sessions = ctx.shared.cli_sessions.load(Relaxed) as u64;
    let cur = g.counters.scur.load(Relaxed);
    // Every byte a socket sent: the proxied ones both ways and the stats page's, then the
    // checks' and the stats socket's.
    let bytes_out = g.counters.bout.load(Relaxed) + crate::counted_io::sent();
    let (pipes_used, pipes_free) = crate::proxy::forward::pipe_counts();
    INFO_FIELDS
        .iter()
        .map(|f| {
            let v = match f.name {
                "Name" => Value::Str(PRODUCT.into()),
                "Version" | "Build info" => Value::Str(VERSION.into()),
                "Release_date" => Value::Str(RELEASE_DATE.into()),
                "Nbthread" => Value::U32(g.nbthread as u32),
                "Nbproc" | "Process_num" => Value::U32(1),
                "Pid" => Value::U32(std::process::id()),
                "Uptime" => Value::Str(uptime_text(up)),
                "Uptime_sec" => Value::U32(up as u32),
                "Memmax_MB" | "Memmax_bytes" => Value::U32(0),
                "PoolAlloc_MB" | "PoolUsed_MB" => Value::U32((rss >> 20) as u32),
                "PoolAlloc_bytes" | "PoolUsed_bytes" => Value::U64(rss),
                "Ulimit-n" => Value::U32(g.ulimit_n.min(u32::MAX as u64) as u32),
                "Maxsock" => Value::U32(g.ulimit_n.min(u32::MAX as u64) as u32),
                "Maxconn" => Value::U32(maxconn),
                "Hard_maxconn" => Value::U32(g.hard_maxconn.load(Relaxed)),
                "CurrConns" => Value::U32(cur as u32),
                "CumConns" => Value::U32(g.counters.conn_tot.load(Relaxed) as u32),
                "CumReq" => Value::U32(g.streams.load(Relaxed) as u32),
                "ConnRate" | "SessRate" => Value::U32(g.counters.conn_rate.get()),
                "MaxConnRate" | "MaxSessRate" => Value::U32(g.counters.conn_rate.max()),
                "ConnRateLimit" => Value::U32(g.rate_limits.conn.load(Relaxed)),
                "SessRateLimit" => Value::U32(g.rate_limits.sess.load(Relaxed)),
                "SslRateLimit" => Value::U32(g.rate_limits.ssl.load(Relaxed)),
                "CompressBpsRateLim" => {
                    Value::U32(g.rate_limits.comp.load(Relaxed).wrapping_mul(1024))
                }
                "Tasks" => Value::U32(task_count() as u32),
                "Run_queue" => Value::U32(run_queue() as u32),
                "Idle_pct" => Value::U32(ctx.shared.idle_pct()),
                "node" => Value::Str(g.node.clone()),
                "description" => match &g.description {
                    Some(d) => Value::Str(d.clone()),
                    None => return None,
                },
                "Stopping" => Value::U32(ctx.shared.stopping.load(Relaxed) as u32),
                "Jobs" => Value::U32((cur + listeners + cli_sessions) as u32),
                "Listeners" => Value::U32(listeners as u32),
                "TotalBytesOut" => Value::U64(bytes_out),
                "BytesOutRate" => Value::U64(ctx.shared.bytes_out_rate(bytes_out)),
                "TotalSplicdedBytesOut" => Value::U64(crate::proxy::forward::spliced_bytes_out()),
                "DroppedLogs" => Value::U32(crate::logging::dropped_logs() as u32),
                "PipesUsed" => Value::U32(pipes_used as u32),
                "PipesFree" => Value::U32(pipes_free as u32),
                "Start_time_sec" => Value::U32(g.started_unix as u32),
                "Tainted" => Value::Str("0".into()),
                // Subsystems proxyd does not have (TLS termination, compression, peers,
                // resolvers): their true value is zero.
                "ZlibMemUsage" | "MaxZlibMemUsage" => return None,
                _ => match f.vtype {
                    ValueType::U64 => Value::U64(0),
                    _ => Value::U32(0),
                },
            };
            Some(v)
        })
        .collect()
}

/// proxyd's own key, printed after every HAProxy 2.6 key (HAProxy has no reload count in
/// `show info`; its master CLI's `show proc` has one): configuration reloads (SIGHUP/SIGUSR2)
/// applied since start.
pub const RELOADS_KEY: &str = "Proxyd_reloads";
const RELOADS_DESC: &str = "Number of configuration reloads applied since started";

pub fn show_info(ctx: &mut Ctx, args: &[String]) -> String {
    let typed = args.iter().any(|a| a == "typed");
    let json = args.iter().any(|a| a == "json");
    // `desc` appends each key's description to the plain and typed forms, as HAProxy does
    // (never to JSON).
    let desc = |d: &str| {
        if args.iter().any(|a| a == "desc") {
            format!(":\"{d}\"")
        } else {
            String::new()
        }
    };
    let vals = values(ctx);
    let reloads = Value::U32(ctx.model.global.reloads.load(Relaxed));
    let reloads_pos = INFO_FIELDS.last().map_or(0, |f| f.pos) + 1;
    let mut out = String::new();
    if json {
        out.push('[');
        let mut first = true;
        for (f, v) in INFO_FIELDS.iter().zip(vals.iter()) {
            let Some(v) = v else { continue };
            if !first {
                out.push(',');
            }
            first = false;
            let _ = write!(
                out,
                "{{\"field\":{{\"pos\":{},\"name\":\"{}\"}},\"processNum\":1,",
                f.pos, f.name
            );
            runtime_api::csv::write_json_tags(&mut out, f.tags);
            runtime_api::csv::write_json_value(&mut out, v);
            out.push('}');
        }
        let _ = write!(
            out,
            ",{{\"field\":{{\"pos\":{reloads_pos},\"name\":\"{RELOADS_KEY}\"}},\"processNum\":1,"
        );
        runtime_api::csv::write_json_tags(&mut out, "MCP");
        runtime_api::csv::write_json_value(&mut out, &reloads);
        out.push('}');
        out.push_str("]\n");
        return out;
    }
    for (f, v) in INFO_FIELDS.iter().zip(vals.iter()) {
        let Some(v) = v else { continue };
        if typed {
            let _ = writeln!(
                out,
                "{}.{}.1:{}:{}:{}{}",
                f.pos,
                f.name,
                f.tags,
                v.type_name(),
                v,
                desc(f.desc)
            );
        } else {
            let _ = writeln!(out, "{}: {}{}", f.name, v, desc(f.desc));
        }
    }
    let reloads_desc = desc(RELOADS_DESC);
    if typed {
        let _ = writeln!(
            out,
            "{reloads_pos}.{RELOADS_KEY}.1:MCP:{}:{reloads}{reloads_desc}",
            reloads.type_name()
        );
    } else {
        let _ = writeln!(out, "{RELOADS_KEY}: {reloads}{reloads_desc}");
    }
    out
}
