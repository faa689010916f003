//! Log lines about checks, worded as HAProxy 2.6 writes them (`srv_append_status`,
//! `set_server_check_status`), without the trailing newline.

use std::fmt::Write;

use super::probe::CheckOutcome;
use super::state::{Health, Transition};
use crate::config::ProxyKind;

/// The server a line is about.
#[derive(Debug, Clone, Copy)]
pub struct ServerRef<'a> {
    pub backend: &'a str,
    pub server: &'a str,
    pub backup: bool,
}

/// Backend figures printed after a state change, taken after the change was applied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Usable active and backup servers (`srv_act`, `srv_bck`).
    pub active: u32,
    pub backup: u32,
    /// Connections still on the server (`cur_sess`).
    pub sessions_active: u32,
    /// Queued connections moved to other servers.
    pub requeued: u32,
    /// The server's queue length.
    pub queued: u32,
}

/// Why the state changed, for the text after "is DOWN".
#[derive(Debug, Clone, Copy)]
pub enum Cause<'a> {
    /// A check result: ", reason: ..., code: ..., info: "...", check duration: Nms".
    Check(&'a CheckOutcome),
    /// A plain reason such as `changed from CLI`.
    Text(&'a str),
    /// Nothing: `option log-health-checks` already logged the check itself.
    Silent,
    /// A tracking server following `backend/server`: ` via be/srv`.
    Via(&'a str),
}

/// `Server be/srv is DOWN, reason: Layer7 wrong status, code: 503, info: "Service Unavailable",
/// check duration: 3ms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued,
/// 0 remaining in queue.`
pub fn state_change_line(
    srv: ServerRef<'_>,
    transition: Transition,
    cause: Cause<'_>,
    counts: &Counts,
) -> String {
    let mut line = format!(
        "{}Server {}/{} is {}",
        if srv.backup { "Backup " } else { "" },
        srv.backend,
        srv.server,
        match transition {
            Transition::Up => "UP",
            Transition::Down => "DOWN",
            Transition::Stopping => "stopping",
        }
    );
    match cause {
        Cause::Check(outcome) => append_outcome(&mut line, outcome),
        Cause::Text(text) if !text.is_empty() => {
            let _ = write!(line, ", {text}");
        }
        Cause::Via(tracked) => {
            let _ = write!(line, " via {tracked}");
        }
        Cause::Text(_) | Cause::Silent => {}
    }
    let on_backup = if counts.backup > 0 && counts.active == 0 {
        " Running on backup."
    } else {
        ""
    };
    let _ = match transition {
        Transition::Down => write!(
            line,
            ". {} active and {} backup servers left.{on_backup} {} sessions active, {} requeued, {} remaining in queue.",
            counts.active, counts.backup, counts.sessions_active, counts.requeued, counts.queued
        ),
        Transition::Up | Transition::Stopping => write!(
            line,
            ". {} active and {} backup servers online.{on_backup} {} sessions requeued, {} total in queue.",
            counts.active, counts.backup, counts.requeued, counts.queued
        ),
    };
    line
}

/// `option log-health-checks`: `Health check for server be/srv failed, reason: ..., check
/// duration: 0ms, status: 2/3 UP.` — `health` is the counter after the result was applied.
pub fn health_check_line(
    srv: ServerRef<'_>,
    outcome: &CheckOutcome,
    health: &Health,
    weight_zero: bool,
) -> String {
    use runtime_api::status::CheckResult;
    let result = outcome.status.result();
    let mut line = format!(
        "Health check for {}server {}/{} {}{}",
        if srv.backup { "backup " } else { "" },
        srv.backend,
        srv.server,
        if result == CheckResult::CondPass {
            "conditionally "
        } else {
            ""
        },
        if matches!(result, CheckResult::Passed | CheckResult::CondPass) {
            "succeeded"
        } else {
            "failed"
        },
    );
    append_outcome(&mut line, outcome);
    let _ = write!(line, ", status: {}.", health.log_status(weight_zero));
    line
}

/// `backend 'be' has no server available!` on stderr and `backend be has no server available!`
/// in the logs (`proxy` for a listen section), as HAProxy words them.
pub fn no_server_lines(kind: ProxyKind, name: &str) -> (String, String) {
    let kind = match kind {
        ProxyKind::Listen => "proxy",
        ProxyKind::Frontend => "frontend",
        ProxyKind::Backend => "backend",
    };
    (
        format!("{kind} '{name}' has no server available!"),
        format!("{kind} {name} has no server available!"),
    )
}

fn append_outcome(line: &mut String, outcome: &CheckOutcome) {
    let _ = write!(line, ", reason: {}", outcome.status.description());
    if outcome.status.has_code() {
        let _ = write!(line, ", code: {}", outcome.code.unwrap_or(0));
    }
    if !outcome.info.is_empty() {
        let _ = write!(line, ", info: \"{}\"", ascii_encode(&outcome.info));
    }
    let _ = write!(line, ", check duration: {}ms", outcome.duration_ms());
}

/// HAProxy's `chunk_asciiencode` with `"` as the quote: control bytes, non-ASCII, `\` and `"`
/// are escaped so a server-supplied reason cannot break the log line.
fn ascii_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        match b {
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            0x1b => out.push_str("\\e"),
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\x{b:02X}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_api::status::CheckStatus;
    use std::time::Duration;

    fn outcome(status: CheckStatus, code: Option<u16>, info: &str, ms: u64) -> CheckOutcome {
        CheckOutcome {
            status,
            code,
            info: info.into(),
            detail: None,
            duration: Duration::from_millis(ms),
        }
    }

    const SRV: ServerRef<'static> = ServerRef {
        backend: "be",
        server: "srv",
        backup: false,
    };

    // Every expected line below was printed by HAProxy 2.6.12 for the same situation.
    #[test]
    fn down_and_up_lines_match_haproxy() {
        let o = outcome(CheckStatus::L7Sts, Some(503), "Service Unavailable", 3);
        let counts = Counts {
            active: 1,
            ..Counts::default()
        };
        assert_eq!(
            state_change_line(SRV, Transition::Down, Cause::Check(&o), &counts),
            "Server be/srv is DOWN, reason: Layer7 wrong status, code: 503, info: \"Service Unavailable\", \
             check duration: 3ms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue."
        );
        let o = outcome(CheckStatus::L7Ok, Some(200), "", 2);
        let counts = Counts {
            active: 2,
            backup: 1,
            ..Counts::default()
        };
        assert_eq!(
            state_change_line(SRV, Transition::Up, Cause::Check(&o), &counts),
            "Server be/srv is UP, reason: Layer7 check passed, code: 200, check duration: 2ms. \
             2 active and 1 backup servers online. 0 sessions requeued, 0 total in queue."
        );
    }

    #[test]
    fn other_reasons_and_backup_wording() {
        let o = outcome(CheckStatus::L4Tout, None, "", 1001);
        let backup = ServerRef {
            backup: true,
            ..SRV
        };
        assert_eq!(
            state_change_line(backup, Transition::Down, Cause::Check(&o), &Counts::default()),
            "Backup Server be/srv is DOWN, reason: Layer4 timeout, check duration: 1001ms. \
             0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue."
        );
        let o = outcome(CheckStatus::L7OkC, Some(404), "", 2);
        let counts = Counts {
            backup: 1,
            ..Counts::default()
        };
        assert_eq!(
            state_change_line(SRV, Transition::Stopping, Cause::Check(&o), &counts),
            "Server be/srv is stopping, reason: Layer7 check conditionally passed, code: 404, check duration: 2ms. \
             0 active and 1 backup servers online. Running on backup. 0 sessions requeued, 0 total in queue."
        );
        assert_eq!(
            state_change_line(SRV, Transition::Down, Cause::Silent, &Counts::default()),
            "Server be/srv is DOWN. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue."
        );
        let o = outcome(CheckStatus::SockErr, None, "Connection reset by peer", 0);
        assert!(state_change_line(SRV, Transition::Down, Cause::Check(&o), &Counts::default())
            .starts_with("Server be/srv is DOWN, reason: Socket error, info: \"Connection reset by peer\", check duration: 0ms."));
    }

    #[test]
    fn health_check_lines_match_haproxy() {
        let mut h = Health::new(2, 3);
        let ok = outcome(CheckStatus::L7Ok, Some(200), "", 0);
        h.apply(ok.status);
        assert_eq!(
            health_check_line(SRV, &ok, &h, false),
            "Health check for server be/srv succeeded, reason: Layer7 check passed, code: 200, check duration: 0ms, status: 3/3 UP."
        );
        let bad = outcome(CheckStatus::L7Sts, Some(503), "Service Unavailable", 0);
        for _ in 0..3 {
            h.apply(bad.status);
        }
        assert_eq!(
            health_check_line(SRV, &bad, &h, false),
            "Health check for server be/srv failed, reason: Layer7 wrong status, code: 503, \
             info: \"Service Unavailable\", check duration: 0ms, status: 0/2 DOWN."
        );
        h.apply(ok.status);
        assert!(health_check_line(SRV, &ok, &h, false).ends_with("status: 1/2 DOWN."));
        let c = outcome(CheckStatus::L7OkC, Some(404), "", 1);
        let mut h = Health::new(2, 3);
        h.apply(c.status);
        assert_eq!(
            health_check_line(ServerRef { backup: true, ..SRV }, &c, &h, false),
            "Health check for backup server be/srv conditionally succeeded, reason: Layer7 check conditionally passed, \
             code: 404, check duration: 1ms, status: 3/3 UP."
        );
    }

    #[test]
    fn no_server_and_escaping() {
        assert_eq!(
            no_server_lines(ProxyKind::Backend, "be"),
            (
                "backend 'be' has no server available!".to_string(),
                "backend be has no server available!".to_string()
            )
        );
        assert_eq!(
            no_server_lines(ProxyKind::Listen, "li").0,
            "proxy 'li' has no server available!"
        );
        assert_eq!(ascii_encode("a\"b\\c\r\u{1}"), "a\\\"b\\\\c\\r\\x01");
    }
}
