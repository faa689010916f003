//! `check [BACKEND…]`: one Nagios-style line and exit status.
//!
//! - OK (0): every server usable or out of rotation on purpose (MAINT/DRAIN/NOLB and weight 0 are
//!   decisions, not failures; `UP 2/3` still serves). "Up" counts servers that take traffic.
//! - WARNING (1): some server (active or backup) is DOWN or still recovering (`DOWN 1/2`).
//! - CRITICAL (2): a backend with servers has none that takes traffic, whatever the reason: its
//!   BACKEND row says DOWN, or every server is down, in maintenance or at weight 0.
//! - UNKNOWN (3): a socket could not be read, or a backend pattern matched nothing.

use runtime_api::stat_table::{RowKind, StatTable};

use super::Ctx;
use crate::args::CheckArgs;
use crate::error::CtlError;
use crate::instance::Instance;
use crate::model::{self, State};
use crate::render;
use crate::select::glob_match;

pub const OK: u8 = 0;
pub const WARNING: u8 = 1;
pub const CRITICAL: u8 = 2;
pub const UNKNOWN: u8 = 3;

pub fn run(ctx: &Ctx, args: &CheckArgs) -> u8 {
    let (code, line) = match fetch(ctx).and_then(|stats| evaluate(&stats, &args.backends)) {
        Ok(v) => v,
        Err(e) => (
            UNKNOWN,
            format!("HAPROXY UNKNOWN - {}", e.message().unwrap_or_default()),
        ),
    };
    // A closed stdout changes nothing about the verdict.
    let _ = render::emit(&format!("{line}\n"));
    code
}

fn fetch(ctx: &Ctx) -> Result<Vec<(Instance, StatTable)>, CtlError> {
    ctx.instances()?
        .into_iter()
        .map(|inst| {
            let t = inst.stat()?;
            Ok((inst, t))
        })
        .collect()
}

#[derive(Default)]
struct Tally {
    backends: usize,
    active_up: usize,
    active_total: usize,
    backup_up: usize,
    backup_total: usize,
    down: Vec<String>,
    /// Up but at weight 0: HAProxy sends them nothing.
    zero_weight: Vec<String>,
    admin: Vec<String>,
    critical: Vec<String>,
}

/// Returns the exit status and the line.
pub fn evaluate(
    stats: &[(Instance, StatTable)],
    patterns: &[String],
) -> Result<(u8, String), CtlError> {
    let several = stats.len() > 1;
    let mut t = Tally::default();
    let mut matched = vec![false; patterns.len()];
    for (inst, table) in stats {
        let backends = table
            .rows
            .iter()
            .filter(|r| r.kind() == Some(RowKind::Backend));
        for backend_row in backends {
            let be = backend_row.pxname();
            if !patterns.is_empty() {
                let hits: Vec<usize> = (0..patterns.len())
                    .filter(|&i| glob_match(&patterns[i], be))
                    .collect();
                if hits.is_empty() {
                    continue;
                }
                hits.into_iter().for_each(|i| matched[i] = true);
            }
            let servers: Vec<_> = table
                .rows
                .iter()
                .filter(|r| r.kind() == Some(RowKind::Server) && r.pxname() == be)
                .collect();
            // A backend without servers (redirects, `http-request return`) has nothing to fail.
            if servers.is_empty() {
                continue;
            }
            t.backends += 1;
            let name = |s: &str| {
                if several {
                    format!("{}:{be}/{s}", inst.label)
                } else {
                    format!("{be}/{s}")
                }
            };
            let mut usable = 0;
            for r in servers {
                let state = State::parse(r.str("status"));
                let up = model::takes_traffic(r);
                usable += usize::from(up);
                if model::is_backup(r) {
                    t.backup_total += 1;
                    t.backup_up += usize::from(up);
                } else {
                    t.active_total += 1;
                    t.active_up += usize::from(up);
                }
                if state.is_failure() {
                    t.down.push(name(r.svname()));
                } else if state.is_usable() && !up {
                    t.zero_weight.push(name(r.svname()));
                } else if state.is_administrative() {
                    t.admin
                        .push(format!("{} {}", name(r.svname()), r.str("status")));
                }
            }
            // HAProxy's own verdict: DOWN when the servers' total weight is 0.
            if usable == 0 || State::parse(backend_row.str("status")) == State::Down {
                t.critical.push(if several {
                    format!("{}:{be}", inst.label)
                } else {
                    be.to_string()
                });
            }
        }
    }
    if let Some(i) = matched.iter().position(|m| !m) {
        return Err(CtlError::Usage(format!(
            "no backend matches `{}`",
            patterns[i]
        )));
    }
    let code = if !t.critical.is_empty() {
        CRITICAL
    } else if !t.down.is_empty() {
        WARNING
    } else {
        OK
    };
    Ok((code, line(code, &t)))
}

fn line(code: u8, t: &Tally) -> String {
    let word = match code {
        OK => "OK",
        WARNING => "WARNING",
        CRITICAL => "CRITICAL",
        _ => "UNKNOWN",
    };
    let mut parts = Vec::new();
    if !t.critical.is_empty() {
        parts.push(format!("no usable server in {}", t.critical.join(", ")));
    }
    if !t.down.is_empty() {
        parts.push(format!("down: {}", t.down.join(", ")));
    }
    parts.push(format!(
        "{} backend{}, active {}/{} up",
        t.backends,
        if t.backends == 1 { "" } else { "s" },
        t.active_up,
        t.active_total
    ));
    if t.backup_total > 0 {
        parts.push(format!("backup {}/{} up", t.backup_up, t.backup_total));
    }
    if !t.zero_weight.is_empty() {
        parts.push(format!("weight 0: {}", t.zero_weight.join(", ")));
    }
    if !t.admin.is_empty() {
        parts.push(format!("admin: {}", t.admin.join(", ")));
    }
    format!(
        "HAPROXY {word} - {} | active_up={} active_total={} backup_up={} backup_total={} down={} admin={}",
        parts.join("; "),
        t.active_up,
        t.active_total,
        t.backup_up,
        t.backup_total,
        t.down.len(),
        t.admin.len()
    )
}
