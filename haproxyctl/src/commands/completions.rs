//! `completions SHELL`: a completion script generated from the clap Command. The same generator
//! writes the files committed under `completions/` (see [`FILES`]).

use clap_complete::Shell;

use crate::args::{command, CompletionsArgs};
use crate::error::{exit, CtlError};
use crate::render;

/// Committed file names, relative to the workspace's `completions/` directory.
pub const FILES: [(Shell, &str); 5] = [
    (Shell::Bash, "haproxyctl.bash"),
    (Shell::Zsh, "_haproxyctl"),
    (Shell::Fish, "haproxyctl.fish"),
    (Shell::Elvish, "haproxyctl.elv"),
    (Shell::PowerShell, "_haproxyctl.ps1"),
];

pub fn generate(shell: Shell) -> String {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut command(), "haproxyctl", &mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

pub fn run(args: &CompletionsArgs) -> Result<u8, CtlError> {
    render::emit(&generate(args.shell))?;
    Ok(exit::OK)
}
