//! `clear-counters [--all]`: `clear counters` (maxima, operator level) or `clear counters all`
//! (every counter, admin level).

use super::admin;
use super::Ctx;
use crate::args::ClearCountersArgs;
use crate::error::{exit, CtlError};
use crate::render;

pub fn run(ctx: &Ctx, args: &ClearCountersArgs) -> Result<u8, CtlError> {
    let instances = ctx.instances()?;
    let cmd = if args.all {
        "clear counters all"
    } else {
        "clear counters"
    };
    let code = admin::send_global(&instances, cmd)?;
    if code == exit::OK {
        let what = if args.all {
            "all counters cleared"
        } else {
            "maxima cleared (use --all for every counter)"
        };
        let mut out = String::new();
        for inst in &instances {
            out.push_str(&format!("{}: {what}\n", inst.label));
        }
        render::emit(&out)?;
    }
    Ok(code)
}
