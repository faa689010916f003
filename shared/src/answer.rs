//! Telling HAProxy's error answers from results.
//!
//! The runtime API has no status code: a command that fails answers a message instead of its
//! result (`No such server.`, `Unknown command…`, `Permission denied`). HAProxy 2.6 sends those
//! through `cli_err()`; [`ERROR_STARTS`] lists how they begin, so a client can tell a refusal from
//! an answer without knowing the command. Notices that are not failures (`Server deleted.`,
//! `New server registered.`, `IP changed from …`, `no need to change the addr`, `Frontend was
//! already shut down.`) are deliberately absent.

/// How HAProxy 2.6's error answers begin (its CLI handlers in cli.c, server.c, proxy.c, stats.c,
/// stream.c, map.c, stick_table.c, vars.c, resolvers.c, ssl_ckch.c). An answer starting with `'`
/// (`'set server <srv> state' expects …`, `'server be/s' : …`) is an error too, see [`is_error`].
pub const ERROR_STARTS: &[&str] = &[
    "Unknown command",
    "Permission denied",
    // No such server. / backend. / proxy. / frontend. / table / session (use 'show sess').
    "No such ",
    // Can't find backend. / that resolvers section / Can't display the certificate…
    "Can't ",
    "Cannot ",
    // Require 'backend/server'. / <weight> or <weight%>. / <maxconn>. / Required arguments: …
    "Require",
    "Missing ",
    // Invalid timeout value. / statistics domain. / addr '…'
    "Invalid ",
    "invalid addr ",
    "provided port is ",
    "health checks are not enabled",
    "Expects an integer value.",
    "Integer value expected.",
    "Value out of range.",
    "A frontend name is expected.",
    "Variable not found",
    "Unknown map identifier",
    "Unknown ACL identifier",
    "This command expects",
    "This server cannot be removed",
    "Session pointer expected",
    "Session not found.",
    "Server still has connections attached",
    "Only servers in maintenance mode can be deleted.",
    "Already exists a server with the same name",
    "Relative weight must be positive.",
    "Absolute weight can only be between",
    "Backend is using a static LB algorithm",
    "Backend must use a dynamic load balancing",
    "Trailing garbage in ",
    "Empty weight string",
    "Health check was not configured",
    "Agent was not configured",
    "Frontend was previously shut down",
    "Command line too long.",
];

/// The first line, without the `[3]: ` a socket declared with `severity-output number` puts first.
fn first_line(answer: &str) -> &str {
    let line = answer
        .trim_start_matches(['\n', '\r'])
        .lines()
        .next()
        .unwrap_or("");
    match line.strip_prefix('[').and_then(|l| l.split_once("]: ")) {
        Some((severity, rest)) if severity.chars().all(|c| c.is_ascii_digit()) => rest,
        _ => line,
    }
}

/// HAProxy answered with an error message instead of a result.
pub fn is_error(answer: &str) -> bool {
    let line = first_line(answer);
    // Usage errors quote the command or keyword: `'set timeout' only supports 'cli'.`
    line.starts_with('\'') || ERROR_STARTS.iter().any(|s| line.starts_with(s))
}

/// The one answer that means "not allowed at this socket's level".
pub fn is_permission_denied(answer: &str) -> bool {
    first_line(answer).trim() == "Permission denied"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haproxy_26_error_answers_are_errors() {
        for answer in [
            "No such server.\n\n",
            "No such backend.\n\n",
            "Can't find backend.\n\n",
            "Already exists a server with the same name in backend.\n\n",
            "Only servers in maintenance mode can be deleted.\n\n",
            "Server still has connections attached to it, cannot remove it.\n\n",
            "Require 'backend/server'.\n\n",
            "Absolute weight can only be between 0 and 256 inclusive.\n\n",
            "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n\n",
            "'cookie' option is not accepted for dynamic server\n\n",
            "invalid addr 'x'\n\n",
            "No such session (use 'show sess').\n\n",
            "Unknown command, but maybe one of the following ones is a better match:\n  help : x\n\n",
            "Permission denied\n\n",
            "[3]: No such server.\n\n",
        ] {
            assert!(is_error(answer), "{answer:?}");
        }
    }

    #[test]
    fn results_and_notices_are_not_errors() {
        for answer in [
            "\n",
            "",
            "Server deleted.\n\n",
            "New server registered.\n\n",
            "IP changed from '10.0.0.1' to '10.0.0.2' by 'stats socket command'\n\n",
            "no need to change the addr\n\n",
            "Frontend was already shut down.\n\n",
            "1 (initial 1)\n\n",
            "# pxname,svname,qcur\n",
            "Name: HAProxy\nVersion: 2.6.12\n\n",
            "1\n# be_id be_name srv_id\n\n",
            "0x55d0: proto=tcpv4 src=10.0.0.5:4000 fe=l be=l srv=s1\n\n",
            "admin\n\n",
            "Total events captured on [01/Jan/2024:00:00:00.000] : 0\n\n",
        ] {
            assert!(!is_error(answer), "{answer:?}");
        }
        assert!(is_permission_denied("Permission denied\n\n"));
        assert!(!is_permission_denied("No such server.\n\n"));
    }
}
