//! `health be/srv up|down|stopping`: forces the check result (`set server B/S health …`).

use super::admin::{self, Shown};
use super::Ctx;
use crate::args::{HealthArgs, HealthState};
use crate::error::CtlError;

pub fn run(ctx: &Ctx, args: &HealthArgs) -> Result<u8, CtlError> {
    let word = match args.state {
        HealthState::Up => "up",
        HealthState::Down => "down",
        HealthState::Stopping => "stopping",
    };
    let command = |b: &str, s: &str| format!("set server {b}/{s} health {word}");
    let plans = admin::plan(
        &ctx.instances()?,
        std::slice::from_ref(&args.server),
        &[],
        &command("B", "S"),
    )?;
    let (code, _) = admin::apply(&plans, Shown::Status, command)?;
    Ok(code)
}
