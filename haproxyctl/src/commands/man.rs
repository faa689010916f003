//! `man`: the man page (roff) generated from the clap Command; committed as `completions/haproxyctl.1`.

use crate::args::command;
use crate::error::{exit, CtlError};
use crate::render;

pub const FILE: &str = "haproxyctl.1";

pub fn generate() -> Result<String, CtlError> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(command())
        .render(&mut buf)
        .map_err(CtlError::Output)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

pub fn run() -> Result<u8, CtlError> {
    render::emit(&generate()?)?;
    Ok(exit::OK)
}
