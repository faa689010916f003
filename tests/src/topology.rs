//! The stats-socket reference topology, built the same way for proxyd and for real HAProxy so
//! their answers can be compared line for line.
//!
//! - `fe` (tcp) → `be`: `up1` (checked, UP), `refused` (checked, closed port), `dis` (`disabled`),
//!   `nochk` (no check), `bk` (checked `backup`);
//! - `be_https`: HTTPS checks (`GET /v1/status`, verified against the test CA) on `ok` (200) and
//!   `bad` (503);
//! - `li`: a `listen` section with one checked server `s1`.
//!
//! Every server but `refused` is a real listener, so traffic sent through `fe` or `li` reaches an
//! echo server. Each daemon gets its own bind ports and socket directory; the servers are shared.

use std::net::SocketAddr;
use std::time::Duration;

use crate::backends::Backend;
use crate::certs::Pki;
use crate::config::{self, BackendSection, Config};
use crate::daemon::Daemon;
use crate::ports;
use crate::socket::{self, StatTable};

/// Check interval of every checked server.
pub const INTER: &str = "inter 300ms";
/// How long a test waits for checks to settle on a loaded machine.
pub const SETTLE_TIMEOUT: Duration = Duration::from_secs(20);

/// The servers, shared by every daemon built from this topology.
pub struct Topology {
    pub pki: Pki,
    pub echo: Backend,
    pub bk_echo: Backend,
    pub https_ok: Backend,
    pub https_bad: Backend,
    pub refused: SocketAddr,
}

/// One daemon's listening addresses.
#[derive(Debug, Clone, Copy)]
pub struct Binds {
    pub fe: SocketAddr,
    pub li: SocketAddr,
}

impl Topology {
    pub fn new() -> Topology {
        let pki = Pki::new();
        let https_ok = Backend::https(pki.server.server_config(), 200);
        let https_bad = Backend::https(pki.server.server_config(), 503);
        Topology {
            echo: Backend::echo(),
            bk_echo: Backend::echo(),
            https_ok,
            https_bad,
            refused: ports::closed_addr(),
            pki,
        }
    }

    /// A config (with an `operator` socket besides the admin and user ones) on fresh ports.
    pub fn config(&self) -> (Config, Binds) {
        let binds = Binds {
            fe: ports::free_addr(),
            li: ports::free_addr(),
        };
        let cfg = Config::new();
        let operator = cfg.dir().join("operator.sock");
        let tls = format!("{} {INTER}", config::tls_check(&self.pki.ca_file()));
        let chk = format!("check {INTER}");
        let cfg = cfg
            .global(format!(
                "stats socket {} mode 600 level operator",
                operator.display()
            ))
            .frontend("fe", binds.fe, "be")
            .backend(
                BackendSection::new("be")
                    .line("balance roundrobin")
                    .server("up1", self.echo.addr(), &chk)
                    .server("refused", self.refused, &chk)
                    .server("dis", self.echo.addr(), &format!("{chk} disabled"))
                    .server("nochk", self.echo.addr(), "")
                    .server("bk", self.bk_echo.addr(), &format!("{chk} backup")),
            )
            .backend(
                BackendSection::new("be_https")
                    .line("option httpchk GET /v1/status")
                    .line("http-check expect status 200")
                    .server("ok", self.https_ok.addr(), &tls)
                    .server("bad", self.https_bad.addr(), &tls),
            )
            .section(format!(
                "listen li\n    bind {}\n    server s1 {} {chk}\n",
                binds.li,
                self.echo.addr()
            ));
        (cfg, binds)
    }

    /// Waits until every checked server has completed a check and reached its final state.
    pub fn wait_settled(&self, daemon: &Daemon) {
        daemon.wait_until("checks settled", SETTLE_TIMEOUT, |d| {
            settled(&d.show_stat())
        });
    }
}

impl Default for Topology {
    fn default() -> Self {
        Topology::new()
    }
}

/// Final states: the table every daemon must reach. (`pxname`, `svname`, `status`,
/// `check_status`, `check_code`, `last_chk`, `check_health`).
pub const SETTLED: [(&str, &str, &str, &str, &str, &str, &str); 7] = [
    ("be", "up1", "UP", "L4OK", "", "", "4"),
    (
        "be",
        "refused",
        "DOWN",
        "L4CON",
        "",
        "Connection refused",
        "0",
    ),
    ("be", "dis", "MAINT", "", "", "", ""),
    ("be", "bk", "UP", "L4OK", "", "", "4"),
    ("be_https", "ok", "UP", "L7OK", "200", "", "4"),
    (
        "be_https",
        "bad",
        "DOWN",
        "L7STS",
        "503",
        "Service Unavailable",
        "0",
    ),
    ("li", "s1", "UP", "L4OK", "", "", "4"),
];

/// Every row of [`SETTLED`] holds and no check is in flight.
pub fn settled(stat: &StatTable) -> bool {
    SETTLED
        .iter()
        .all(|(px, sv, status, chk, code, last, health)| {
            stat.get(px, sv, "status") == Some(*status)
                && stat.get(px, sv, "check_status") == Some(*chk)
                && stat.get(px, sv, "check_code") == Some(*code)
                && stat.get(px, sv, "last_chk") == Some(*last)
                && stat.get(px, sv, "check_health") == Some(*health)
        })
}

/// A CSV line split on commas (no value of this topology is quoted).
pub fn raw_fields(line: &str) -> Vec<&str> {
    line.split(',').collect()
}

/// `show stat` as raw lines: the header without `# ` and the data rows, no trailing blank line.
pub fn raw_stat(text: &str) -> (String, Vec<String>) {
    let mut lines = text.lines().filter(|l| !l.is_empty());
    let header = lines
        .next()
        .unwrap_or_default()
        .trim_start_matches("# ")
        .to_string();
    (header, lines.map(str::to_string).collect())
}

/// One query on a socket path, for tests that do not go through a [`Daemon`].
pub fn ask(sock: &std::path::Path, command: &str) -> String {
    socket::query(sock, command).unwrap_or_else(|e| format!("<error: {e}>"))
}
