//! The admin form (`stats admin`): HAProxy's POST fields (`s=<server>`… `action=<a>`
//! `b=#<backend-id>`), applied through the same functions as the runtime API, answered with a
//! 303 to `<uri>;st=<CODE>` whose page shows the result banner.

use std::sync::Arc;

use crate::model::server::ServerRt;
use crate::model::BackendRt;
use crate::stats_socket::admin as runtime;
use crate::stats_socket::context::Ctx;

/// HAProxy's `STAT_STATUS_*` codes, carried in the redirect as `;st=<code>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Every named server was changed.
    Done,
    /// Nothing to do (no server named, or the action did not apply).
    None,
    /// Some servers changed, some were unknown.
    Part,
    /// Invalid parameters: unknown backend, action, or every server unknown.
    Errp,
    /// The form did not fit the request buffer.
    Excd,
    /// `stats admin` does not allow this client.
    Deny,
    /// Any other code in the URI.
    Unkn,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::Done => "DONE",
            Status::None => "NONE",
            Status::Part => "PART",
            Status::Errp => "ERRP",
            Status::Excd => "EXCD",
            Status::Deny => "DENY",
            Status::Unkn => "UNKN",
        }
    }

    pub fn from_code(code: &str) -> Option<Status> {
        Some(match code {
            "DONE" => Status::Done,
            "NONE" => Status::None,
            "PART" => Status::Part,
            "ERRP" => Status::Errp,
            "EXCD" => Status::Excd,
            "DENY" => Status::Deny,
            _ => Status::Unkn,
        })
    }

    /// Banner class and HTML text, as HAProxy's page prints them.
    pub fn banner(self) -> (&'static str, &'static str) {
        match self {
            Status::Done => ("active_up", "Action processed successfully."),
            Status::None => ("active_going_down", "Nothing has changed."),
            Status::Part => (
                "active_going_down",
                "Action partially processed.<br>Some server names are probably unknown or ambiguous (duplicated names in the backend).",
            ),
            Status::Errp => (
                "active_down",
                "Action not processed because of invalid parameters.<ul><li>The action is maybe unknown.</li><li>Invalid key parameter (empty or too long).</li><li>The backend name is probably unknown or ambiguous (duplicated names).</li><li>Some server names are probably unknown or ambiguous (duplicated names in the backend).</li></ul>",
            ),
            Status::Excd => (
                "active_down",
                "<b>Action not processed : the buffer couldn't store all the data.<br>You should retry with less servers at a time.</b>",
            ),
            Status::Deny => ("active_down", "<b>Action denied.</b>"),
            Status::Unkn => ("active_no_check", "Unexpected result."),
        }
    }
}

/// The actions of HAProxy's select box, plus its older names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Ready,
    Drain,
    Maint,
    DisableHealth,
    EnableHealth,
    ForceUp,
    ForceNolb,
    ForceDown,
    /// Agent checks: proxyd has none, so these never change a server.
    Agent,
    Shutdown,
    /// Legacy `disable`/`enable` (maintenance) and `stop`/`start` (drain).
    Disable,
    Enable,
    Stop,
    Start,
}

impl Action {
    pub fn parse(v: &str) -> Option<Action> {
        Some(match v {
            "ready" => Action::Ready,
            "drain" => Action::Drain,
            "maint" => Action::Maint,
            "dhlth" => Action::DisableHealth,
            "ehlth" => Action::EnableHealth,
            "hrunn" => Action::ForceUp,
            "hnolb" => Action::ForceNolb,
            "hdown" => Action::ForceDown,
            "dagent" | "eagent" | "arunn" | "adown" => Action::Agent,
            "shutdown" => Action::Shutdown,
            "disable" => Action::Disable,
            "enable" => Action::Enable,
            "stop" => Action::Stop,
            "start" => Action::Start,
            _ => return None,
        })
    }
}

/// `(value, label)` pairs of the form's select box, in HAProxy's order.
pub const ACTIONS: &[(&str, &str)] = &[
    ("", ""),
    ("ready", "Set state to READY"),
    ("drain", "Set state to DRAIN"),
    ("maint", "Set state to MAINT"),
    ("dhlth", "Health: disable checks"),
    ("ehlth", "Health: enable checks"),
    ("hrunn", "Health: force UP"),
    ("hnolb", "Health: force NOLB"),
    ("hdown", "Health: force DOWN"),
    ("dagent", "Agent: disable checks"),
    ("eagent", "Agent: enable checks"),
    ("arunn", "Agent: force UP"),
    ("adown", "Agent: force DOWN"),
    ("shutdown", "Kill Sessions"),
];

/// Decode `application/x-www-form-urlencoded`; a malformed escape stays as written.
pub fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(body);
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (url_decode(k), url_decode(v))
        })
        .collect()
}

fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Apply a posted form and say how it went (HAProxy's `stats_process_http_post`).
pub fn apply(ctx: &Ctx, body: &[u8]) -> Status {
    let pairs = form_pairs(body);
    // HAProxy scans the parameters from the end, so the last `b` and `action` win.
    let backend = pairs.iter().rev().find(|(k, _)| k == "b").map(|(_, v)| v);
    let action = pairs
        .iter()
        .rev()
        .find(|(k, _)| k == "action")
        .map(|(_, v)| v);
    let be = match backend {
        Some(name) => match ctx.model.backend(name) {
            Some(be) => Some(be.clone()),
            None => return Status::Errp,
        },
        None => None,
    };
    let action = match action {
        Some(a) => match Action::parse(a) {
            Some(a) => Some(a),
            None => return Status::Errp,
        },
        None => None,
    };
    let (Some(be), Some(action)) = (be, action) else {
        // Servers are only processed once both the backend and the action are known.
        return Status::None;
    };
    let mut total = 0u32;
    let mut altered = 0u32;
    for (_, name) in pairs.iter().filter(|(k, _)| k == "s") {
        match be.server(name) {
            Some(srv) => {
                if apply_one(ctx, &be, &srv, action) {
                    total += 1;
                    altered += 1;
                }
            }
            // Unknown server: counted, never altered.
            None => total += 1,
        }
    }
    if total == 0 {
        Status::None
    } else if altered == 0 {
        Status::Errp
    } else if altered == total {
        Status::Done
    } else {
        Status::Part
    }
}

/// One server; true when the action applied to it.
fn apply_one(ctx: &Ctx, be: &Arc<BackendRt>, srv: &Arc<ServerRt>, action: Action) -> bool {
    let (maint, drain) = srv
        .state
        .lock()
        .map(|st| (st.admin.fmaint, st.admin.fdrain))
        .unwrap_or((false, false));
    match action {
        Action::Ready => {
            runtime::set_drain(ctx, be, srv, false);
            runtime::set_maint(ctx, be, srv, false);
            true
        }
        Action::Drain => {
            runtime::set_maint(ctx, be, srv, false);
            runtime::set_drain(ctx, be, srv, true);
            true
        }
        Action::Maint => {
            runtime::set_maint(ctx, be, srv, true);
            true
        }
        Action::DisableHealth => runtime::set_check_enabled(ctx, be, srv, false),
        Action::EnableHealth => runtime::set_check_enabled(ctx, be, srv, true),
        Action::ForceUp => runtime::set_health(ctx, be, srv, "up").is_empty(),
        Action::ForceNolb => runtime::set_health(ctx, be, srv, "stopping").is_empty(),
        Action::ForceDown => runtime::set_health(ctx, be, srv, "down").is_empty(),
        Action::Agent => false,
        Action::Shutdown => {
            srv.kill_sessions(crate::model::server::Ended::Killed);
            true
        }
        Action::Disable if !maint => {
            runtime::set_maint(ctx, be, srv, true);
            true
        }
        Action::Enable if maint => {
            runtime::set_maint(ctx, be, srv, false);
            true
        }
        Action::Stop if !drain => {
            runtime::set_drain(ctx, be, srv, true);
            true
        }
        Action::Start if drain => {
            runtime::set_drain(ctx, be, srv, false);
            true
        }
        Action::Disable | Action::Enable | Action::Stop | Action::Start => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_are_url_decoded() {
        let p = form_pairs(b"s=web+1&s=a%2Fb&action=drain&b=%236&bad=%zz");
        assert_eq!(p[0], ("s".into(), "web 1".into()));
        assert_eq!(p[1].1, "a/b");
        assert_eq!(p[3].1, "#6");
        assert_eq!(p[4].1, "%zz");
    }

    #[test]
    fn codes_round_trip() {
        for s in [
            Status::Done,
            Status::None,
            Status::Part,
            Status::Errp,
            Status::Excd,
            Status::Deny,
        ] {
            assert_eq!(Status::from_code(s.code()), Some(s));
        }
        assert_eq!(Status::from_code("WHAT"), Some(Status::Unkn));
    }
}
