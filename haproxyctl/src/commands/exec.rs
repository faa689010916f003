//! `exec 'RAW COMMAND'`: the answer exactly as the socket sent it. Exit 4 when HAProxy answered
//! with one of its error messages (`Permission denied`, `Unknown command`, `No such server.`, …,
//! see [`runtime_api::answer`]), so scripts can tell.

use super::Ctx;
use crate::args::ExecArgs;
use crate::error::{exit, CtlError};
use crate::instance::{is_error, is_permission_denied};
use crate::render;

pub fn run(ctx: &Ctx, args: &ExecArgs) -> Result<u8, CtlError> {
    let command = args.command.join(" ");
    let instances = ctx.instances()?;
    let several = Ctx::several(&instances);
    let mut code = exit::OK;
    for inst in &instances {
        let answer = inst.query(&command)?;
        if several {
            render::emit(&format!("==> {} <==\n", inst.label))?;
        }
        if is_permission_denied(&answer) {
            return Err(CtlError::PermissionDenied {
                target: inst.target.to_string(),
                command,
            });
        }
        render::emit(&answer)?;
        if is_error(&answer) {
            code = exit::REFUSED;
        }
    }
    Ok(code)
}
