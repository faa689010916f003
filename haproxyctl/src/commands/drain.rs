//! `drain SERVER… [--wait [--max-wait 5m] [--then maint]]`: the safe maintenance sequence.
//! Set DRAIN, poll the current sessions until they reach 0 (progress on stderr), then optionally
//! MAINT. A timeout leaves the servers in DRAIN and exits 1 so scripts stop before maintenance.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use super::admin::{self, Plan, Shown};
use super::state::Target;
use super::Ctx;
use crate::args::{DrainArgs, ThenState};
use crate::error::{exit, CtlError};
use crate::render::human;

pub fn run(ctx: &Ctx, args: &DrainArgs) -> Result<u8, CtlError> {
    let plans = admin::plan(
        &ctx.instances()?,
        &args.servers.servers,
        &args.servers.except,
        &Target::Drain.command("B", "S"),
    )?;
    let (code, _) = admin::apply(&plans, Shown::Status, |b, s| Target::Drain.command(b, s))?;
    if !args.wait || code != exit::OK {
        return Ok(code);
    }
    match wait_idle(&plans, args.max_wait, args.poll)? {
        Waited::Idle(took) => {
            eprintln!("drained: no sessions left after {}", human::duration(took));
        }
        Waited::TimedOut(left) => {
            eprintln!(
                "haproxyctl: still {} after {}; servers left in DRAIN, not moved to maintenance",
                describe(&left),
                human::duration(args.max_wait)
            );
            return Ok(exit::NOT_OK);
        }
    }
    if args.then == Some(ThenState::Maint) {
        // Re-plan from the current tables so the report shows DRAIN → MAINT.
        let plans = admin::plan(
            &ctx.instances()?,
            &args.servers.servers,
            &args.servers.except,
            &Target::Maint.command("B", "S"),
        )?;
        let (code, _) = admin::apply(&plans, Shown::Status, |b, s| Target::Maint.command(b, s))?;
        return Ok(code);
    }
    Ok(exit::OK)
}

enum Waited {
    Idle(Duration),
    /// Servers with sessions left: (backend/server, scur).
    TimedOut(Vec<(String, u64)>),
}

fn describe(left: &[(String, u64)]) -> String {
    left.iter()
        .map(|(n, c)| format!("{c} session{} on {n}", if *c == 1 { "" } else { "s" }))
        .collect::<Vec<_>>()
        .join(", ")
}

fn remaining(plans: &[Plan]) -> Result<Vec<(String, u64)>, CtlError> {
    let mut left = Vec::new();
    for plan in plans {
        let table = plan.instance.stat()?;
        for (b, s) in &plan.servers {
            let scur = admin::find(&table, b, s)
                .and_then(|r| r.u64("scur"))
                .unwrap_or(0);
            if scur > 0 {
                left.push((format!("{b}/{s}"), scur));
            }
        }
    }
    Ok(left)
}

fn wait_idle(plans: &[Plan], timeout: Duration, poll: Duration) -> Result<Waited, CtlError> {
    let started = Instant::now();
    let deadline = started + timeout;
    let tty = std::io::stderr().is_terminal();
    let mut last_shown = String::new();
    loop {
        let left = remaining(plans)?;
        if left.is_empty() {
            if tty {
                eprint!("\r\x1b[K");
            }
            return Ok(Waited::Idle(started.elapsed()));
        }
        let now = Instant::now();
        if now >= deadline {
            if tty {
                eprintln!();
            }
            return Ok(Waited::TimedOut(left));
        }
        let line = format!(
            "waiting: {} ({} left)",
            describe(&left),
            human::duration_secs(deadline.saturating_duration_since(now).as_secs())
        );
        if tty {
            // One line rewritten in place; the count matters, not the history.
            eprint!("\r\x1b[K{line}");
            let _ = std::io::stderr().flush();
        } else if describe(&left) != last_shown {
            eprintln!("{line}");
        }
        last_shown = describe(&left);
        std::thread::sleep(poll.min(deadline.saturating_duration_since(Instant::now())));
    }
}
