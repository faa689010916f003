//! The sockets a command talks to, and fetching their answers as parsed tables.

use std::path::Path;
use std::time::Duration;

use runtime_api::client::{self, Session, Target};
use runtime_api::stat_table::{ParseError, StatTable};

use crate::error::CtlError;

/// Tried in order when neither --socket nor HAPROXY_SOCKET is given: the Debian/RHEL packaged
/// `stats socket` path first, then the one many guides use.
pub const DEFAULT_SOCKETS: [&str; 2] = ["/var/lib/haproxy/stats", "/run/haproxy/admin.sock"];

/// One HAProxy (or proxyd) process, known by the socket it was named with.
#[derive(Debug, Clone)]
pub struct Instance {
    /// As the user wrote it; shown in the instance column when several are queried.
    pub label: String,
    pub target: Target,
    pub timeout: Duration,
}

/// Turns --socket values (possibly none) into instances.
pub fn resolve(sockets: &[String], timeout: Duration) -> Result<Vec<Instance>, CtlError> {
    let named: Vec<&str> = sockets
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if named.is_empty() {
        let Some(found) = DEFAULT_SOCKETS.iter().find(|p| Path::new(p).exists()) else {
            return Err(CtlError::NoDefaultSocket {
                tried: DEFAULT_SOCKETS.join(" or "),
            });
        };
        return resolve(&[found.to_string()], timeout);
    }
    named
        .into_iter()
        .map(|s| {
            Ok(Instance {
                label: s.to_string(),
                // A malformed address is a mistake on the command line, not an unreachable socket.
                target: s
                    .parse()
                    .map_err(|e: client::ClientError| CtlError::Usage(e.to_string()))?,
                timeout,
            })
        })
        .collect()
}

pub use runtime_api::answer::{is_error, is_permission_denied};

impl Instance {
    /// One command, one connection; the raw answer.
    pub fn query(&self, command: &str) -> Result<String, CtlError> {
        Ok(client::query(&self.target, command, self.timeout)?)
    }

    pub fn session(&self) -> Result<Session, CtlError> {
        Ok(Session::open(&self.target, self.timeout)?)
    }

    /// `show stat`, parsed; an error answer becomes [`CtlError::Rejected`].
    pub fn stat(&self) -> Result<StatTable, CtlError> {
        let answer = self.query("show stat")?;
        StatTable::parse(&answer).map_err(|e| self.rejected("show stat", &answer, e))
    }

    /// Maps a non-table answer to the right error, keeping HAProxy's words.
    pub fn rejected(&self, command: &str, answer: &str, err: ParseError) -> CtlError {
        if is_permission_denied(answer) {
            return CtlError::PermissionDenied {
                target: self.target.to_string(),
                command: command.to_string(),
            };
        }
        let answer = match err {
            ParseError::NotATable(text) if text.is_empty() => "empty answer".to_string(),
            ParseError::NotATable(text) => text,
            other => other.to_string(),
        };
        CtlError::Rejected {
            target: self.target.to_string(),
            command: command.to_string(),
            answer,
        }
    }
}
