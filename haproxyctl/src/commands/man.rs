//! `man [SUBCOMMAND]`: the man pages (roff) generated from the clap Command: `haproxyctl(1)` and
//! one `haproxyctl-SUBCOMMAND(1)` per subcommand, the pages its SUBCOMMANDS section points to.
//! All are committed under `completions/` (see [`pages`]).

use crate::args::{command, ManArgs};
use crate::error::{exit, CtlError};
use crate::render;

/// The main page's file name, relative to the workspace's `completions/` directory.
pub const FILE: &str = "haproxyctl.1";

/// The Command as the pages describe it: without clap's `help` subcommand, which would otherwise
/// be listed as a `haproxyctl-help(1)` page that does not exist. Built, so each subcommand
/// carries its `haproxyctl-NAME` display name and `haproxyctl NAME` usage.
fn built() -> clap::Command {
    let mut cmd = command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

fn render(cmd: clap::Command) -> Result<String, CtlError> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd)
        .source(format!("haproxyctl {}", env!("CARGO_PKG_VERSION")))
        .render(&mut buf)
        .map_err(CtlError::Output)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// The main page.
pub fn generate() -> Result<String, CtlError> {
    render(built())
}

/// Every page as (file name, roff): the main page first, then one per subcommand.
pub fn pages() -> Result<Vec<(String, String)>, CtlError> {
    let cmd = built();
    let mut out = vec![(FILE.to_string(), render(cmd.clone())?)];
    for sub in cmd.get_subcommands() {
        let file = format!("haproxyctl-{}.1", sub.get_name());
        out.push((file, render(sub.clone())?));
    }
    Ok(out)
}

pub fn run(args: &ManArgs) -> Result<u8, CtlError> {
    let page = match &args.subcommand {
        None => generate()?,
        Some(name) => {
            let cmd = built();
            let Some(sub) = cmd.find_subcommand(name) else {
                let names: Vec<&str> = cmd.get_subcommands().map(|s| s.get_name()).collect();
                return Err(CtlError::Usage(format!(
                    "`{name}`: no such subcommand (one of {})",
                    names.join(", ")
                )));
            };
            render(sub.clone())?
        }
    };
    render::emit(&page)?;
    Ok(exit::OK)
}
