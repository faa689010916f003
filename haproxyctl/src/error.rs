//! Failures and their exit statuses (documented in `--help`, see [`crate::args::EXIT_CODES`]).

use runtime_api::client::ClientError;
use runtime_api::level::Level;

/// Exit statuses. `check` uses the Nagios convention instead (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
pub mod exit {
    pub const OK: u8 = 0;
    /// The command worked but the outcome is "not OK": `status --check` found a failing server,
    /// `drain --wait` timed out.
    pub const NOT_OK: u8 = 1;
    /// Bad command line (also clap's own status), or a selector that matches no server.
    pub const USAGE: u8 = 2;
    /// The socket could not be reached or did not answer in time.
    pub const SOCKET: u8 = 3;
    /// HAProxy answered with an error: permission denied for this socket level, unknown object, …
    pub const REFUSED: u8 = 4;
}

#[derive(Debug, thiserror::Error)]
pub enum CtlError {
    #[error("{0}")]
    Client(#[from] ClientError),
    #[error("no stats socket found at {tried} — is haproxy running with a `stats socket` line? use --socket PATH or set HAPROXY_SOCKET")]
    NoDefaultSocket { tried: String },
    #[error("{target} refused `{command}`: Permission denied — this socket's level is too low; admin commands need a socket declared with `level admin` (see `haproxyctl exec 'show cli level'`)")]
    PermissionDenied { target: String, command: String },
    #[error("{target} is a level {level} socket and `{command}` needs level {needed}: nothing was changed; declare the socket with `level {needed}` (see `haproxyctl exec 'show cli level'`)")]
    LevelTooLow {
        target: String,
        level: Level,
        needed: Level,
        command: String,
    },
    #[error("{target} rejected `{command}`: {answer}")]
    Rejected {
        target: String,
        command: String,
        answer: String,
    },
    #[error("{0}")]
    Usage(String),
    /// stdout was closed by the reader; treated as success by [`crate::run`].
    #[error("broken pipe")]
    BrokenPipe,
    #[error("writing output: {0}")]
    Output(std::io::Error),
    #[error("terminal: {0}")]
    Terminal(std::io::Error),
    /// Already reported on stderr (e.g. per-instance failures); only the status is left.
    #[error("")]
    Reported(u8),
}

impl CtlError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CtlError::Client(_) | CtlError::NoDefaultSocket { .. } => exit::SOCKET,
            CtlError::PermissionDenied { .. }
            | CtlError::LevelTooLow { .. }
            | CtlError::Rejected { .. } => exit::REFUSED,
            CtlError::Usage(_) => exit::USAGE,
            CtlError::BrokenPipe => exit::OK,
            CtlError::Output(_) | CtlError::Terminal(_) => exit::NOT_OK,
            CtlError::Reported(code) => *code,
        }
    }

    /// What to print on stderr, if anything.
    pub fn message(&self) -> Option<String> {
        match self {
            CtlError::BrokenPipe | CtlError::Reported(_) => None,
            other => Some(other.to_string()),
        }
    }

    /// Classifies a write error on stdout.
    pub fn from_output(err: std::io::Error) -> CtlError {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            CtlError::BrokenPipe
        } else {
            CtlError::Output(err)
        }
    }
}
