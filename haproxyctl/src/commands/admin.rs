//! What the admin commands share: resolve selectors on every instance before changing anything,
//! send the commands over one prompt session per instance, then print what changed.

use runtime_api::client::answer_text;
use runtime_api::stat_table::{RowKind, StatRow, StatTable};

use crate::error::{exit, CtlError};
use crate::instance::{is_permission_denied, Instance};
use crate::render;
use crate::select;

/// The servers one instance will be asked to change, and how they looked before.
pub struct Plan {
    pub instance: Instance,
    pub servers: Vec<(String, String)>,
    pub before: StatTable,
}

/// Resolves selectors everywhere first, so a typo that fails on the second instance does not
/// leave the first one half-changed.
pub fn plan(
    instances: &[Instance],
    include: &[String],
    except: &[String],
) -> Result<Vec<Plan>, CtlError> {
    instances
        .iter()
        .map(|inst| {
            let before = inst.stat()?;
            let servers = select::resolve(&before, include, except)?;
            Ok(Plan {
                instance: inst.clone(),
                servers,
                before,
            })
        })
        .collect()
}

/// Sends `command(backend, server)` for every planned server. A `Permission denied` stops at
/// once (every later command would get the same answer); other refusals are printed and folded
/// into the returned status.
pub fn send(plans: &[Plan], command: impl Fn(&str, &str) -> String) -> Result<u8, CtlError> {
    let mut code = exit::OK;
    for plan in plans {
        if plan.servers.is_empty() {
            continue;
        }
        let mut session = plan.instance.session()?;
        for (b, s) in &plan.servers {
            let cmd = command(b, s);
            let answer = session.command(&cmd)?;
            code = code.max(check_answer(&plan.instance, &cmd, &answer)?);
        }
    }
    Ok(code)
}

/// Sends one command that has no server argument (e.g. `clear counters`) to every instance.
pub fn send_global(instances: &[Instance], cmd: &str) -> Result<u8, CtlError> {
    let mut code = exit::OK;
    for inst in instances {
        let answer = inst.query(cmd)?;
        code = code.max(check_answer(inst, cmd, &answer)?);
    }
    Ok(code)
}

/// Commands that change state answer with an empty line on success.
fn check_answer(inst: &Instance, cmd: &str, answer: &str) -> Result<u8, CtlError> {
    let text = answer_text(answer).trim();
    if text.is_empty() {
        return Ok(exit::OK);
    }
    if is_permission_denied(answer) {
        return Err(CtlError::PermissionDenied {
            target: inst.target.to_string(),
            command: cmd.to_string(),
        });
    }
    let err = CtlError::Rejected {
        target: inst.target.to_string(),
        command: cmd.to_string(),
        answer: text.to_string(),
    };
    eprintln!("haproxyctl: {err}");
    Ok(exit::REFUSED)
}

pub fn find<'a>(table: &'a StatTable, backend: &str, server: &str) -> Option<&'a StatRow> {
    table.rows.iter().find(|r| {
        r.kind() == Some(RowKind::Server) && r.pxname() == backend && r.svname() == server
    })
}

/// What to compare before and after.
#[derive(Clone, Copy)]
pub enum Shown {
    Status,
    Weight,
}

impl Shown {
    fn of(self, row: Option<&StatRow>) -> String {
        let v = match self {
            Shown::Status => row.map(|r| r.str("status")),
            Shown::Weight => row.map(|r| r.str("weight")),
        };
        v.unwrap_or("?").to_string()
    }

    fn prefix(self) -> &'static str {
        match self {
            Shown::Status => "",
            Shown::Weight => "weight ",
        }
    }
}

/// Fetches every planned instance again and prints `be/srv: BEFORE → AFTER` lines.
/// Returns the fresh tables so callers (drain) can keep using them.
pub fn report(plans: &[Plan], shown: Shown) -> Result<Vec<StatTable>, CtlError> {
    let several = plans.len() > 1;
    let mut out = String::new();
    let mut after_tables = Vec::new();
    for plan in plans {
        let after = plan.instance.stat()?;
        for (b, s) in &plan.servers {
            let old = shown.of(find(&plan.before, b, s));
            let new = shown.of(find(&after, b, s));
            if several {
                out.push_str(&plan.instance.label);
                out.push_str(": ");
            }
            let p = shown.prefix();
            if old == new {
                out.push_str(&format!("{b}/{s}: {p}{new} (unchanged)\n"));
            } else {
                out.push_str(&format!("{b}/{s}: {p}{old} → {new}\n"));
            }
        }
        after_tables.push(after);
    }
    render::emit(&out)?;
    Ok(after_tables)
}
