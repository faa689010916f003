//! What the admin commands share: check every instance's level and resolve selectors everywhere
//! before changing anything, send the commands over one prompt session per instance, then print
//! what changed — also when a later instance fails, so no change goes unreported.

use runtime_api::client::answer_text;
use runtime_api::level::Level;
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

/// Asks every instance its level (`show cli level`, HAProxy 2.0 and later) and refuses before
/// any change when one is below `needed`: with several sockets, a command that cannot run
/// everywhere must not run anywhere. An instance that does not answer with a level (an older
/// version) is not judged here; its refusal of the command itself still stops us.
pub fn require_level(instances: &[Instance], needed: Level, command: &str) -> Result<(), CtlError> {
    for inst in instances {
        let answer = inst.query("show cli level")?;
        if let Some(level) = Level::parse(answer_text(&answer).trim()) {
            if level < needed {
                return Err(CtlError::LevelTooLow {
                    target: inst.target.to_string(),
                    level,
                    needed,
                    command: command.to_string(),
                });
            }
        }
    }
    Ok(())
}

/// Checks levels and resolves selectors everywhere first, so a typo or a low level on the second
/// instance does not leave the first one changed.
pub fn plan(
    instances: &[Instance],
    include: &[String],
    except: &[String],
    command: &str,
) -> Result<Vec<Plan>, CtlError> {
    require_level(instances, Level::Admin, command)?;
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

/// Sends `command(backend, server)` for every planned server, then prints what changed on every
/// instance that was sent something. A `Permission denied` or a lost socket stops at once (every
/// later command would fare the same), after the changes made so far are reported; other
/// refusals are printed and folded into the returned status. Also returns the fresh tables.
pub fn apply(
    plans: &[Plan],
    shown: Shown,
    command: impl Fn(&str, &str) -> String,
) -> Result<(u8, Vec<StatTable>), CtlError> {
    let mut code = exit::OK;
    let mut reached = 0;
    let mut failure = None;
    for plan in plans {
        reached += 1;
        if let Err(e) = send(plan, &command).map(|c| code = code.max(c)) {
            failure = Some(e);
            break;
        }
    }
    let touched = &plans[..reached];
    let several = plans.len() > 1;
    match failure {
        None => Ok((code, report(touched, several, shown, false)?)),
        Some(err) => {
            // The instance that failed may be gone too; report what can still be read.
            let _ = report(touched, several, shown, true);
            Err(err)
        }
    }
}

fn send(plan: &Plan, command: &impl Fn(&str, &str) -> String) -> Result<u8, CtlError> {
    let mut code = exit::OK;
    if plan.servers.is_empty() {
        return Ok(code);
    }
    let mut session = plan.instance.session()?;
    for (b, s) in &plan.servers {
        let cmd = command(b, s);
        let answer = session.command(&cmd)?;
        code = code.max(check_answer(&plan.instance, &cmd, &answer)?);
    }
    Ok(code)
}

/// Sends one command that has no server argument (e.g. `clear counters`) to every instance.
/// Returns the status and the instances where it worked; on an error that stops the run, those
/// that worked before it are returned alongside.
pub fn send_global<'a>(
    instances: &'a [Instance],
    cmd: &str,
) -> (u8, Vec<&'a Instance>, Option<CtlError>) {
    let mut code = exit::OK;
    let mut done = Vec::new();
    for inst in instances {
        match inst
            .query(cmd)
            .and_then(|answer| check_answer(inst, cmd, &answer))
        {
            Ok(exit::OK) => done.push(inst),
            Ok(c) => code = code.max(c),
            Err(e) => return (code, done, Some(e)),
        }
    }
    (code, done, None)
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

/// Fetches every planned instance again and prints `be/srv: BEFORE → AFTER` lines, prefixed by
/// the instance when `several`. Returns the fresh tables so callers (weight) can keep using them.
/// `after_failure`: an instance that cannot be read is left out instead of failing the report.
fn report(
    plans: &[Plan],
    several: bool,
    shown: Shown,
    after_failure: bool,
) -> Result<Vec<StatTable>, CtlError> {
    let mut out = String::new();
    let mut after_tables = Vec::new();
    for plan in plans {
        let after = match plan.instance.stat() {
            Ok(t) => t,
            Err(_) if after_failure => continue,
            Err(e) => return Err(e),
        };
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
