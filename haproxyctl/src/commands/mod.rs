//! One file per subcommand. Each `run` returns the exit status it wants, or an error whose status
//! is fixed in [`crate::error`].
//!
//! `admin` holds what enable/disable/drain/ready/weight/health share: selecting servers, sending
//! the commands over one prompt session, and printing what changed.

pub mod admin;
pub mod check;
pub mod clear_counters;
pub mod completions;
pub mod drain;
pub mod exec;
pub mod health;
pub mod man;
pub mod sessions;
pub mod show;
pub mod state;
pub mod status;
pub mod watch;
pub mod weight;

use std::time::Duration;

use runtime_api::stat_table::StatTable;

use crate::args::{Cli, Cmd};
use crate::error::CtlError;
use crate::instance::{self, Instance};
use crate::render::colour;

/// What every socket command needs from the global flags.
pub struct Ctx {
    pub sockets: Vec<String>,
    pub timeout: Duration,
    pub colour: bool,
}

impl Ctx {
    pub fn instances(&self) -> Result<Vec<Instance>, CtlError> {
        instance::resolve(&self.sockets, self.timeout)
    }

    /// Whether output needs an instance column/prefix.
    pub fn several(instances: &[Instance]) -> bool {
        instances.len() > 1
    }
}

/// The environment variable that names the sockets when --socket is not given.
pub const SOCKET_ENV: &str = "HAPROXY_SOCKET";

pub fn dispatch(cli: Cli) -> Result<u8, CtlError> {
    let sockets = if cli.sockets.is_empty() {
        std::env::var_os(SOCKET_ENV)
            .map(|v| v.to_string_lossy().split(',').map(String::from).collect())
            .unwrap_or_default()
    } else {
        cli.sockets
    };
    let colour = colour::enabled(cli.color);
    colour::apply(colour);
    let ctx = Ctx {
        sockets,
        timeout: cli.timeout,
        colour,
    };
    match cli.command {
        Cmd::Status(a) => status::run(&ctx, &a),
        Cmd::Watch(a) => watch::run(&ctx, &a),
        Cmd::Show(a) => show::run(&ctx, &a),
        Cmd::Exec(a) => exec::run(&ctx, &a),
        Cmd::Enable(a) | Cmd::Ready(a) => state::run(&ctx, &a, state::Target::Ready),
        Cmd::Disable(a) => state::run(&ctx, &a, state::Target::Maint),
        Cmd::Drain(a) => drain::run(&ctx, &a),
        Cmd::Weight(a) => weight::run(&ctx, &a),
        Cmd::Health(a) => health::run(&ctx, &a),
        Cmd::ClearCounters(a) => clear_counters::run(&ctx, &a),
        Cmd::Sessions(a) => sessions::run(&ctx, &a),
        Cmd::Check(a) => Ok(check::run(&ctx, &a)),
        Cmd::Completions(a) => completions::run(&a),
        Cmd::Man(a) => man::run(&a),
    }
}

/// `show stat` from every instance. Failures are printed at once (so the others still show) and
/// folded into the returned exit status; with a single instance the error is returned as is.
pub fn fetch_stats(instances: &[Instance]) -> Result<(Vec<(Instance, StatTable)>, u8), CtlError> {
    if let [one] = instances {
        let table = one.stat()?;
        return Ok((vec![(one.clone(), table)], crate::error::exit::OK));
    }
    let mut ok = Vec::new();
    let mut code = crate::error::exit::OK;
    for inst in instances {
        match inst.stat() {
            Ok(t) => ok.push((inst.clone(), t)),
            Err(e) => {
                eprintln!("haproxyctl: {e}");
                code = code.max(e.exit_code());
            }
        }
    }
    if ok.is_empty() {
        return Err(CtlError::Reported(code));
    }
    Ok((ok, code))
}
