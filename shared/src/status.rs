//! Health-check status codes, HAProxy's `check_statuses[]` (src/check.c) byte for byte.
//!
//! The numeric value is what `show servers state` prints in `srv_check_status`; the name is the
//! `check_status` column; the description is the `check_desc` column.

/// The closed set of check outcomes HAProxy reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CheckStatus {
    Unknown,
    Init,
    SockErr,
    L4Ok,
    L4Tout,
    L4Con,
    L6Ok,
    L6Tout,
    L6Rsp,
    L7Tout,
    L7Rsp,
    L7Ok,
    L7OkC,
    L7Sts,
}

/// How a status counts for the health counter (`srv_check_result` in `show servers state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckResult {
    Unknown = 0,
    Neutral = 1,
    Failed = 2,
    Passed = 3,
    CondPass = 4,
}

impl CheckStatus {
    pub const ALL: [CheckStatus; 14] = [
        CheckStatus::Unknown,
        CheckStatus::Init,
        CheckStatus::SockErr,
        CheckStatus::L4Ok,
        CheckStatus::L4Tout,
        CheckStatus::L4Con,
        CheckStatus::L6Ok,
        CheckStatus::L6Tout,
        CheckStatus::L6Rsp,
        CheckStatus::L7Tout,
        CheckStatus::L7Rsp,
        CheckStatus::L7Ok,
        CheckStatus::L7OkC,
        CheckStatus::L7Sts,
    ];

    /// The `check_status` column.
    pub fn name(self) -> &'static str {
        match self {
            CheckStatus::Unknown => "UNK",
            CheckStatus::Init => "INI",
            CheckStatus::SockErr => "SOCKERR",
            CheckStatus::L4Ok => "L4OK",
            CheckStatus::L4Tout => "L4TOUT",
            CheckStatus::L4Con => "L4CON",
            CheckStatus::L6Ok => "L6OK",
            CheckStatus::L6Tout => "L6TOUT",
            CheckStatus::L6Rsp => "L6RSP",
            CheckStatus::L7Tout => "L7TOUT",
            CheckStatus::L7Rsp => "L7RSP",
            CheckStatus::L7Ok => "L7OK",
            CheckStatus::L7OkC => "L7OKC",
            CheckStatus::L7Sts => "L7STS",
        }
    }

    /// The `check_desc` column.
    pub fn description(self) -> &'static str {
        match self {
            CheckStatus::Unknown => "Unknown",
            CheckStatus::Init => "Initializing",
            CheckStatus::SockErr => "Socket error",
            CheckStatus::L4Ok => "Layer4 check passed",
            CheckStatus::L4Tout => "Layer4 timeout",
            CheckStatus::L4Con => "Layer4 connection problem",
            CheckStatus::L6Ok => "Layer6 check passed",
            CheckStatus::L6Tout => "Layer6 timeout",
            CheckStatus::L6Rsp => "Layer6 invalid response",
            CheckStatus::L7Tout => "Layer7 timeout",
            CheckStatus::L7Rsp => "Layer7 invalid response",
            CheckStatus::L7Ok => "Layer7 check passed",
            CheckStatus::L7OkC => "Layer7 check conditionally passed",
            CheckStatus::L7Sts => "Layer7 wrong status",
        }
    }

    /// `enum healthcheck_status` value, printed by `show servers state`.
    pub fn code(self) -> u8 {
        match self {
            CheckStatus::Unknown => 0,
            CheckStatus::Init => 1,
            CheckStatus::SockErr => 5,
            CheckStatus::L4Ok => 6,
            CheckStatus::L4Tout => 7,
            CheckStatus::L4Con => 8,
            CheckStatus::L6Ok => 9,
            CheckStatus::L6Tout => 10,
            CheckStatus::L6Rsp => 11,
            CheckStatus::L7Tout => 12,
            CheckStatus::L7Rsp => 13,
            CheckStatus::L7Ok => 15,
            CheckStatus::L7OkC => 16,
            CheckStatus::L7Sts => 17,
        }
    }

    pub fn result(self) -> CheckResult {
        match self {
            CheckStatus::Unknown | CheckStatus::Init => CheckResult::Unknown,
            CheckStatus::L4Ok | CheckStatus::L6Ok | CheckStatus::L7Ok => CheckResult::Passed,
            CheckStatus::L7OkC => CheckResult::CondPass,
            _ => CheckResult::Failed,
        }
    }

    /// Only these carry `check_code` (HAProxy's `HCHK_STATUS_L57DATA` boundary).
    pub fn has_code(self) -> bool {
        matches!(
            self,
            CheckStatus::L7Ok | CheckStatus::L7OkC | CheckStatus::L7Sts
        )
    }

    /// The status `show servers state` printed as `code` (the inverse of [`Self::code`]).
    pub fn from_code(code: u8) -> Option<CheckStatus> {
        CheckStatus::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The state-change log line's "reason": HAProxy prints the description.
    pub fn from_name(name: &str) -> Option<CheckStatus> {
        let name = name.trim_start_matches("* ");
        CheckStatus::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl std::fmt::Display for CheckStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_codes_match_haproxy() {
        for s in CheckStatus::ALL {
            assert_eq!(CheckStatus::from_name(s.name()), Some(s));
        }
        assert_eq!(
            CheckStatus::from_name("* L6TOUT"),
            Some(CheckStatus::L6Tout)
        );
        assert_eq!(CheckStatus::L7Sts.code(), 17);
        assert_eq!(
            CheckStatus::L4Con.description(),
            "Layer4 connection problem"
        );
        assert!(CheckStatus::L7Sts.has_code() && !CheckStatus::L7Rsp.has_code());
    }
}
