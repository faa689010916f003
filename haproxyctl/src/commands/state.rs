//! `enable`, `ready`, `disable`: `set server B/S state ready|maint` on the selected servers.

use super::admin::{self, Shown};
use super::Ctx;
use crate::args::ServersArgs;
use crate::error::CtlError;

#[derive(Debug, Clone, Copy)]
pub enum Target {
    Ready,
    Maint,
    Drain,
}

impl Target {
    pub fn word(self) -> &'static str {
        match self {
            Target::Ready => "ready",
            Target::Maint => "maint",
            Target::Drain => "drain",
        }
    }

    pub fn command(self, backend: &str, server: &str) -> String {
        format!("set server {backend}/{server} state {}", self.word())
    }
}

pub fn run(ctx: &Ctx, args: &ServersArgs, target: Target) -> Result<u8, CtlError> {
    let plans = admin::plan(&ctx.instances()?, &args.servers, &args.except)?;
    let code = admin::send(&plans, |b, s| target.command(b, s))?;
    admin::report(&plans, Shown::Status)?;
    Ok(code)
}
