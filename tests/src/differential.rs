//! One scenario run on the real HAProxy 2.6 (when installed) and then on proxyd, and the
//! comparison of what each showed: the way a behaviour HAProxy defines is shown to be HAProxy's
//! before proxyd is held to it.

use crate::config::Config;
use crate::daemon::Daemon;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Under {
    Haproxy,
    Proxyd,
}

impl Under {
    /// Starts the daemon on `config`; `None` when HAProxy is not installed.
    pub fn start(self, config: Config) -> Option<Daemon> {
        match self {
            Under::Haproxy => Daemon::haproxy(config),
            Under::Proxyd => Some(Daemon::proxyd(config)),
        }
    }
}

/// Runs `scenario` against HAProxy (when installed), then proxyd; returns what each observed.
pub fn on_both<T: std::fmt::Debug>(scenario: impl Fn(Under) -> Option<T>) -> Vec<(Under, T)> {
    let mut seen = Vec::new();
    for under in [Under::Haproxy, Under::Proxyd] {
        if let Some(v) = scenario(under) {
            seen.push((under, v));
        }
    }
    seen
}

/// Asserts that proxyd observed what HAProxy observed on the same scenario.
pub fn assert_same_as_haproxy<T: std::fmt::Debug + PartialEq>(what: &str, seen: &[(Under, T)]) {
    let haproxy = seen.iter().find(|(u, _)| *u == Under::Haproxy);
    let proxyd = seen.iter().find(|(u, _)| *u == Under::Proxyd);
    if let (Some((_, h)), Some((_, p))) = (haproxy, proxyd) {
        assert_eq!(
            p, h,
            "{what}: proxyd (left) differs from HAProxy 2.6 (right)"
        );
    }
}
