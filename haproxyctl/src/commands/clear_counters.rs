//! `clear-counters [--all]`: `clear counters` (maxima, operator level) or `clear counters all`
//! (every counter, admin level).

use runtime_api::level::Level;

use super::admin;
use super::Ctx;
use crate::args::ClearCountersArgs;
use crate::error::CtlError;
use crate::render;

pub fn run(ctx: &Ctx, args: &ClearCountersArgs) -> Result<u8, CtlError> {
    let instances = ctx.instances()?;
    let (cmd, needed, what) = if args.all {
        ("clear counters all", Level::Admin, "all counters cleared")
    } else {
        (
            "clear counters",
            Level::Operator,
            "maxima cleared (use --all for every counter)",
        )
    };
    admin::require_level(&instances, needed, cmd)?;
    // Every instance where it worked is reported, also when another refused.
    let (code, done, failure) = admin::send_global(&instances, cmd);
    let out: String = done
        .iter()
        .map(|inst| format!("{}: {what}\n", inst.label))
        .collect();
    render::emit(&out)?;
    match failure {
        Some(err) => Err(err),
        None => Ok(code),
    }
}
