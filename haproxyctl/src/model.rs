//! What a server row means: its state as HAProxy prints it (`UP 2/3`, `MAINT (via b/s)`, …), how
//! that counts for monitoring, and its last check in plain words.

use runtime_api::stat_table::StatRow;
use runtime_api::status::CheckStatus;

/// A server's `status` column, classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    Up,
    /// `UP x/y`: failing checks, still serving.
    GoingDown,
    Down,
    /// `DOWN x/y`: passing checks, not serving yet.
    GoingUp,
    /// Soft-stopped by the check (`disable-on-404`) or `health stopping`.
    NoLb,
    Drain,
    Maint,
    /// Running without an enabled health check.
    NoCheck,
    Unknown,
}

impl State {
    pub fn parse(status: &str) -> State {
        let (word, rest) = status.split_once(' ').unwrap_or((status, ""));
        let transitional = rest.contains('/') && !rest.starts_with('(');
        match word {
            "UP" if transitional => State::GoingDown,
            "UP" => State::Up,
            "DOWN" if transitional => State::GoingUp,
            "DOWN" => State::Down,
            "NOLB" => State::NoLb,
            "DRAIN" => State::Drain,
            "MAINT" => State::Maint,
            "no" if rest == "check" => State::NoCheck,
            _ => State::Unknown,
        }
    }

    /// Takes new sessions: `UP 2/3` still does.
    pub fn is_usable(self) -> bool {
        matches!(self, State::Up | State::GoingDown | State::NoCheck)
    }

    /// A health failure (as opposed to an operator's decision).
    pub fn is_failure(self) -> bool {
        matches!(self, State::Down | State::GoingUp)
    }

    /// Out of rotation on purpose: MAINT, DRAIN, NOLB.
    pub fn is_administrative(self) -> bool {
        matches!(self, State::Drain | State::Maint | State::NoLb)
    }
}

/// The last check as `CODE words`, e.g. `L4CON connection refused`, `L7STS 503 Service Unavailable`.
pub fn check_words(row: &StatRow) -> String {
    let raw = row.str("check_status");
    if raw.is_empty() {
        if let Some(tracked) = row.get("tracked").filter(|t| !t.is_empty()) {
            return format!("tracks {tracked}");
        }
        return String::new();
    }
    // `* L4OK` = a check is running; the code shown is the previous result.
    let (running, code) = match raw.strip_prefix("* ") {
        Some(c) => (true, c),
        None => (false, raw),
    };
    let detail = row.str("last_chk").trim();
    let http = row.str("check_code");
    let words = match CheckStatus::from_name(code) {
        Some(CheckStatus::Init) => "not checked yet".to_string(),
        Some(CheckStatus::Unknown) => "no result".to_string(),
        Some(CheckStatus::SockErr) => or_detail(detail, "socket error"),
        Some(CheckStatus::L4Ok) => "port open".to_string(),
        Some(CheckStatus::L4Tout) => "connect timeout".to_string(),
        Some(CheckStatus::L4Con) => or_detail(detail, "connection failed").to_lowercase(),
        Some(CheckStatus::L6Ok) => "TLS handshake ok".to_string(),
        Some(CheckStatus::L6Tout) => "TLS handshake timeout".to_string(),
        Some(CheckStatus::L6Rsp) => match detail {
            "" | "SSL handshake failure" => "TLS handshake failed".to_string(),
            d => format!("TLS handshake failed: {d}"),
        },
        Some(CheckStatus::L7Tout) => "no reply in time".to_string(),
        Some(CheckStatus::L7Rsp) => or_detail(detail, "invalid reply"),
        Some(CheckStatus::L7Ok) => http.to_string(),
        Some(CheckStatus::L7OkC) => format!("{http} (soft-stop)"),
        Some(CheckStatus::L7Sts) => format!("{http} {detail}").trim().to_string(),
        None => detail.to_string(),
    };
    let mut out = if words.is_empty() {
        code.to_string()
    } else {
        format!("{code} {words}")
    };
    if running {
        out.push_str(" (checking)");
    }
    out
}

fn or_detail(detail: &str, fallback: &str) -> String {
    if detail.is_empty() {
        fallback.to_string()
    } else {
        detail.to_string()
    }
}

/// True for `bck` = 1.
pub fn is_backup(row: &StatRow) -> bool {
    row.str("bck") == "1"
}

/// A server whose `weight` column reads 0 (`set weight 0`, or a percentage that rounded down).
/// Versions without the column never count as 0.
pub fn zero_weight(row: &StatRow) -> bool {
    row.u64("weight") == Some(0)
}

/// Takes new sessions: a usable state and a weight above 0. HAProxy never picks a server of
/// weight 0, and marks a backend whose usable servers all weigh 0 DOWN, so `UP` alone is not enough.
pub fn takes_traffic(row: &StatRow) -> bool {
    State::parse(row.str("status")).is_usable() && !zero_weight(row)
}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_api::stat_table::StatTable;

    #[test]
    fn states_parse_like_the_stats_page() {
        assert_eq!(State::parse("UP"), State::Up);
        assert_eq!(State::parse("UP 2/3"), State::GoingDown);
        assert_eq!(State::parse("DOWN 1/2"), State::GoingUp);
        assert_eq!(State::parse("DOWN (agent)"), State::Down);
        assert_eq!(State::parse("DRAIN (agent)"), State::Drain);
        assert_eq!(State::parse("MAINT (via be/s)"), State::Maint);
        assert_eq!(State::parse("no check"), State::NoCheck);
        assert_eq!(State::parse("NOLB 1/3"), State::NoLb);
        assert!(State::GoingDown.is_usable() && !State::GoingUp.is_usable());
        assert!(State::Drain.is_administrative() && !State::Drain.is_failure());
    }

    fn row(status: &str, code: &str, last: &str) -> StatRow {
        let t = StatTable::parse(&format!(
            "# pxname,svname,check_status,check_code,last_chk,type,\nbe,s,{status},{code},{last},2,\n"
        ))
        .unwrap();
        t.rows[0].clone()
    }

    #[test]
    fn checks_read_as_plain_words() {
        assert_eq!(
            check_words(&row("L4CON", "", "Connection refused")),
            "L4CON connection refused"
        );
        assert_eq!(
            check_words(&row("L7STS", "503", "Service Unavailable")),
            "L7STS 503 Service Unavailable"
        );
        assert_eq!(check_words(&row("L7OK", "200", "")), "L7OK 200");
        assert_eq!(
            check_words(&row("L6RSP", "", "")),
            "L6RSP TLS handshake failed"
        );
        assert_eq!(
            check_words(&row("* L4OK", "", "")),
            "L4OK port open (checking)"
        );
        assert_eq!(check_words(&row("INI", "", "")), "INI not checked yet");
        assert_eq!(check_words(&row("", "", "")), "");
    }
}
