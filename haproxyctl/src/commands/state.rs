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
    let what = target.command("B", "S");
    let plans = admin::plan(&ctx.instances()?, &args.servers, &args.except, &what)?;
    let (code, _) = admin::apply(&plans, Shown::Status, |b, s| target.command(b, s))?;
    Ok(code)
}
