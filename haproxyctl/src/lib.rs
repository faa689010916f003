//! haproxyctl: status tables, JSON/CSV and admin actions over an HAProxy (or proxyd) stats socket.
//!
//! - [`args`]: the one clap `Command`; completions and the man page are generated from it.
//! - [`instance`]: which sockets to talk to, and fetching/parsing their answers.
//! - [`model`]: server states as HAProxy prints them, what they mean for monitoring, check words.
//! - [`select`]: `be/srv` globs, `all`, `--except`.
//! - [`commands`]: one file per subcommand; each returns the exit status it wants.
//! - [`render`]: tables, colours, JSON, CSV, human units; never touches a socket.
//! - [`error`]: failures and the exit status each maps to.
//!
//! Synchronous on purpose: one socket at a time, every call bounded by `--timeout`.

pub mod args;
pub mod commands;
pub mod error;
pub mod instance;
pub mod model;
pub mod render;
pub mod select;

pub use error::CtlError;

/// Runs a parsed command line; `Ok` carries the exit status (some commands report "not OK"
/// through it without failing).
pub fn run(cli: args::Cli) -> Result<u8, CtlError> {
    let result = commands::dispatch(cli);
    match result {
        // `haproxyctl status | head` closes stdout early; that is what the user asked for.
        Err(CtlError::BrokenPipe) => Ok(error::exit::OK),
        other => other,
    }
}
