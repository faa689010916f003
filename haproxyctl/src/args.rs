//! The one clap `Command`: flags, subcommands and the exit-status table shown by `--help`.
//! Completions and the man page are generated from [`command`], so they never drift from it.

use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

pub const EXIT_CODES: &str = "\
Exit status:
  0  success
  1  not OK: `status --check` found a failing server or a DOWN backend, `drain --wait` timed out
  2  usage error, or a server selector that matches nothing
  3  socket unreachable (missing, permission denied, refused) or no answer within --timeout
  4  HAProxy refused the command (socket level too low, unknown backend/server, …)
  `check` uses Nagios statuses instead: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.

Sockets: --socket (repeatable, or comma-separated in HAPROXY_SOCKET), else
/var/lib/haproxy/stats, else /run/haproxy/admin.sock. Use tcp://HOST:PORT for TCP.";

#[derive(Parser, Debug)]
#[command(
    name = "haproxyctl",
    version,
    about = "Status tables, JSON and admin actions over an HAProxy (or proxyd) stats socket",
    after_help = EXIT_CODES
)]
pub struct Cli {
    /// Stats socket: a Unix socket path or tcp://HOST:PORT; repeat to query several instances
    /// [default: $HAPROXY_SOCKET, comma-separated]
    // HAPROXY_SOCKET is read in `commands::dispatch`, not through clap's `env`: clap counts an
    // argument taken from the environment as given, and would print it in every usage line as if
    // the command needed it.
    #[arg(
        short = 's',
        long = "socket",
        value_name = "PATH|tcp://HOST:PORT",
        value_delimiter = ',',
        global = true
    )]
    pub sockets: Vec<String>,

    /// Bound on each socket exchange (connect, send, whole answer), e.g. 5s, 500ms
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration, global = true)]
    pub timeout: Duration,

    /// Colour the status column: auto = only on a terminal and without NO_COLOR
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Cmd,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Servers per backend: state, last check in plain words, sessions, traffic
    Status(StatusArgs),
    /// Refreshing status view with rates between samples; q or Ctrl-C quits
    Watch(WatchArgs),
    /// Show stat|info|servers-state|backends (raw, --json or --csv), or any other `show` word (raw)
    Show(ShowArgs),
    /// Send a raw runtime API command and print the answer as is
    Exec(ExecArgs),
    /// Put servers back in service (`set server B/S state ready`)
    Enable(ServersArgs),
    /// Put servers in maintenance (`set server B/S state maint`)
    Disable(ServersArgs),
    /// Stop sending new sessions to servers (`state drain`), optionally wait until they are idle
    Drain(DrainArgs),
    /// Same as enable: `set server B/S state ready`
    Ready(ServersArgs),
    /// Set a server's weight, absolute (0-256) or relative to its initial weight (N%)
    Weight(WeightArgs),
    /// Force a server's health check result (`set server B/S health up|stopping|down`)
    Health(HealthArgs),
    /// Reset maxima (`clear counters`), or every counter with --all (admin level)
    ClearCounters(ClearCountersArgs),
    /// Sessions in progress (`show sess`) by server and client; --kill ends them
    Sessions(SessionsArgs),
    /// One Nagios-style line: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
    Check(CheckArgs),
    /// Print a shell completion script
    Completions(CompletionsArgs),
    /// Print the man page (roff), or a subcommand's page (haproxyctl-SUBCOMMAND(1))
    Man(ManArgs),
}

#[derive(Args, Debug, Clone, Default)]
pub struct OutputArgs {
    /// JSON array of rows; field names are HAProxy's CSV column names
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// CSV with HAProxy's column names
    #[arg(long)]
    pub csv: bool,
}

#[derive(Args, Debug, Clone, Default)]
pub struct FilterArgs {
    /// Backends to show (globs allowed)
    #[arg(value_name = "BACKEND")]
    pub backends: Vec<String>,
    /// Backend to show (globs allowed), same as the positional form
    #[arg(short = 'b', long = "backend", value_name = "GLOB")]
    pub backend: Vec<String>,
    /// Only servers whose name matches (glob, BACKEND/SERVER glob, or `all`); matching no server
    /// is a usage error (exit 2)
    #[arg(long, value_name = "GLOB")]
    pub server: Option<String>,
    /// Only servers that are not fully up (DOWN, going up/down, MAINT, DRAIN, NOLB)
    #[arg(long)]
    pub down: bool,
}

#[derive(Args, Debug, Clone)]
pub struct StatusArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Exit 1 when a matched server fails its checks (DOWN, DOWN x/y) or a shown backend is DOWN;
    /// MAINT, DRAIN, NOLB and weight 0 are an operator's intent, not failures
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Args, Debug, Clone)]
pub struct WatchArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Time between samples
    #[arg(short = 'i', long, value_name = "DURATION", default_value = "2s", value_parser = parse_duration)]
    pub interval: Duration,
    /// Stop after N samples, at least 1 (default: until q or Ctrl-C); exits 3 when none could be read
    #[arg(short = 'n', long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub iterations: Option<u64>,
}

#[derive(Args, Debug, Clone)]
pub struct ShowArgs {
    /// stat, info, servers-state or backends (these four also with --json/--csv), or any other
    /// `show` word(s), printed as HAProxy answers them: version, sess, env, errors, …
    #[arg(value_name = "WHAT", required = true, num_args = 1..)]
    pub what: Vec<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Args, Debug, Clone)]
pub struct ExecArgs {
    /// The command, e.g. 'show servers conn be_app' (several words are joined with spaces)
    #[arg(value_name = "COMMAND", required = true, num_args = 1.., trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

#[derive(Args, Debug, Clone)]
pub struct SessionsArgs {
    /// Only sessions on these servers: BACKEND or BACKEND/SERVER (globs allowed)
    #[arg(value_name = "SERVER")]
    pub servers: Vec<String>,
    /// Only sessions from clients whose address (IP or IP:PORT) matches this glob
    #[arg(long, value_name = "GLOB")]
    pub client: Option<String>,
    /// End the listed sessions (`shutdown session`, admin level)
    #[arg(long)]
    pub kill: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Args, Debug, Clone)]
pub struct ServersArgs {
    /// BACKEND/SERVER (globs allowed on both sides, e.g. be_app/web*), or `all`
    #[arg(value_name = "SERVER", required = true)]
    pub servers: Vec<String>,
    /// Leave out servers matching this selector (repeatable)
    #[arg(long, value_name = "SERVER")]
    pub except: Vec<String>,
}

#[derive(Args, Debug, Clone)]
pub struct DrainArgs {
    #[command(flatten)]
    pub servers: ServersArgs,
    /// Wait until the drained servers have no current sessions
    #[arg(long)]
    pub wait: bool,
    /// Give up waiting after this long (with --wait); --timeout bounds each socket exchange
    #[arg(long = "max-wait", value_name = "DURATION", default_value = "5m", value_parser = parse_duration, requires = "wait")]
    pub max_wait: Duration,
    /// Once drained, move the servers to this state (with --wait)
    #[arg(long, value_enum, requires = "wait")]
    pub then: Option<ThenState>,
    /// Time between polls of the session count (with --wait)
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_duration)]
    pub poll: Duration,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThenState {
    Maint,
}

#[derive(Args, Debug, Clone)]
pub struct WeightArgs {
    /// BACKEND/SERVER (globs allowed)
    #[arg(value_name = "SERVER")]
    pub server: String,
    /// 0-256, or a percentage of the initial weight such as 50%
    #[arg(value_name = "WEIGHT")]
    pub weight: String,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthState {
    Up,
    Down,
    Stopping,
}

#[derive(Args, Debug, Clone)]
pub struct HealthArgs {
    /// BACKEND/SERVER (globs allowed)
    #[arg(value_name = "SERVER")]
    pub server: String,
    #[arg(value_enum, value_name = "STATE")]
    pub state: HealthState,
}

#[derive(Args, Debug, Clone)]
pub struct ClearCountersArgs {
    /// Reset every counter, not only maxima (needs an admin-level socket)
    #[arg(long)]
    pub all: bool,
}

#[derive(Args, Debug, Clone)]
pub struct CheckArgs {
    /// Backends to check (globs allowed); default all
    #[arg(value_name = "BACKEND")]
    pub backends: Vec<String>,
}

#[derive(Args, Debug, Clone)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Args, Debug, Clone)]
pub struct ManArgs {
    /// A subcommand whose page to print instead, e.g. status
    #[arg(value_name = "SUBCOMMAND")]
    pub subcommand: Option<String>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// The clap `Command` behind the parser, for completions and the man page.
pub fn command() -> clap::Command {
    Cli::command()
}

/// `500ms`, `5s`, `3m`, `1h`, or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("`{s}`: expected a duration such as 500ms, 5s, 3m, 1h"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "" | "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("`{s}`: unknown unit `{unit}` (use ms, s, m or h)")),
    };
    if !secs.is_finite() || secs <= 0.0 || secs > 7.0 * 86400.0 {
        return Err(format!("`{s}`: must be more than 0 and at most a week"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_definition_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn timeout_is_global_and_drain_waits_with_max_wait() {
        let cli = Cli::try_parse_from(["haproxyctl", "status", "--timeout", "1s"]).unwrap();
        assert_eq!(cli.timeout, Duration::from_secs(1));
        let cli = Cli::try_parse_from([
            "haproxyctl",
            "drain",
            "b/s",
            "--wait",
            "--max-wait",
            "2m",
            "--timeout",
            "3s",
        ])
        .unwrap();
        assert_eq!(cli.timeout, Duration::from_secs(3));
        match cli.command {
            Cmd::Drain(d) => assert_eq!(d.max_wait, Duration::from_secs(120)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5d").is_err());
        assert!(parse_duration("abc").is_err());
    }
}
