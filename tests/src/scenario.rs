//! Whole scenarios: the backends, the config and the expected observations, independent of which
//! daemon runs them. A test builds the scenario, starts `Daemon::haproxy(s.config())` or
//! `Daemon::proxyd(s.config())`, and calls the scenario's checks.

use std::net::SocketAddr;
use std::time::Duration;

use crate::backends::Backend;
use crate::certs::{Leaf, Pki};
use crate::client;
use crate::config::{self, BackendSection, Config};
use crate::daemon::Daemon;
use crate::ports;
use crate::socket;

/// Long enough for the first checks (spread over one `inter`) to complete on a loaded CI machine.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(15);

/// The monitoring setup: a TLS-passthrough frontend in front of two HTTPS servers health-checked
/// with `GET /v1/status` over TLS, verified against the test CA. `backend1.example.com` answers
/// 503 and `backend2.example.com` answers 200, so the monitoring pipeline must print exactly
/// `backend1.example.com DOWN L7STS` and `backend2.example.com UP L7OK`.
pub struct BlogScenario {
    pub pki: Pki,
    /// Certificate presented by backend2 (its own, so a client can tell which server it reached).
    pub backend2_leaf: Leaf,
    pub backend1: Backend,
    pub backend2: Backend,
    pub listen: SocketAddr,
}

/// Backend section name; must not match `/backend[1-2]/`, or the awk filter would print its rows.
pub const BLOG_BACKEND: &str = "api_servers";
pub const BLOG_FRONTEND: &str = "tls_in";
/// What the monitoring pipeline prints once both servers completed a check.
pub const BLOG_EXPECTED: &str = "backend1.example.com DOWN L7STS\nbackend2.example.com UP L7OK\n";

impl BlogScenario {
    pub fn new() -> BlogScenario {
        let pki = Pki::new();
        let backend2_leaf = pki
            .ca
            .issue("backend2.example.com", &["localhost", "127.0.0.1"]);
        let backend1 = Backend::https(pki.server.server_config(), 503);
        let backend2 = Backend::https(backend2_leaf.server_config(), 200);
        BlogScenario {
            pki,
            backend2_leaf,
            backend1,
            backend2,
            listen: ports::free_addr(),
        }
    }

    /// A fresh config (with its own directory) for one daemon run.
    pub fn config(&self) -> Config {
        let check = format!("{} inter 500ms", config::tls_check(&self.pki.ca_file()));
        Config::new()
            .frontend(BLOG_FRONTEND, self.listen, BLOG_BACKEND)
            .backend(
                BackendSection::new(BLOG_BACKEND)
                    .line("balance roundrobin")
                    .line("option httpchk GET /v1/status")
                    .line("http-check expect status 200")
                    .server("backend1.example.com", self.backend1.addr(), &check)
                    .server("backend2.example.com", self.backend2.addr(), &check),
            )
    }

    /// Both servers have finished at least one check and none is in flight.
    pub fn wait_for_completed_checks(&self, daemon: &Daemon) {
        daemon.wait_until("a completed check on both servers", CHECK_TIMEOUT, |d| {
            let stat = d.show_stat();
            ["backend1.example.com", "backend2.example.com"]
                .iter()
                .all(|srv| {
                    let status = stat.get(BLOG_BACKEND, srv, "check_status").unwrap_or("");
                    let duration = stat.get(BLOG_BACKEND, srv, "check_duration").unwrap_or("");
                    !duration.is_empty()
                        && !status.is_empty()
                        && status != "INI"
                        && !status.starts_with('*')
                })
        });
    }

    /// The shell pipeline prints exactly [`BLOG_EXPECTED`]. Retried briefly, since a query that
    /// lands while a check is in flight shows `* L7OK`.
    pub fn assert_monitoring_pipeline(&self, daemon: &Daemon) {
        let mut last = String::new();
        let matched = socket::wait_for(CHECK_TIMEOUT, || {
            last = socket::monitoring_pipeline(&daemon.socket())
                .unwrap_or_else(|e| daemon.fail(&format!("monitoring pipeline failed: {e}")));
            last == BLOG_EXPECTED
        });
        if !matched {
            daemon.fail(&format!(
                "monitoring pipeline printed {last:?}, expected {BLOG_EXPECTED:?}"
            ));
        }
    }

    /// A TLS client at the frontend is connected straight to backend2 (the only UP server): it
    /// sees backend2's certificate and backend2's HTTP answers, and backend1 gets no traffic.
    pub fn assert_tls_passthrough(&self, daemon: &Daemon) {
        let client_config = self.pki.client_config();
        for path in ["/v1/status", "/bytes/100000"] {
            let exchange = client::tls_get(self.listen, client_config.clone(), "localhost", path)
                .unwrap_or_else(|e| {
                    daemon.fail(&format!("TLS GET {path} through the frontend failed: {e}"))
                });
            if exchange.peer_certificates.first() != Some(&self.backend2_leaf.cert_der) {
                daemon.fail("the client did not see backend2's certificate");
            }
            if exchange.status_line() != "HTTP/1.1 200 OK" {
                daemon.fail(&format!(
                    "GET {path}: unexpected answer {:?}",
                    exchange.status_line()
                ));
            }
        }
        let big = client::tls_get(self.listen, client_config, "localhost", "/bytes/100000")
            .unwrap_or_else(|e| daemon.fail(&format!("TLS GET /bytes/100000 failed: {e}")));
        if big.body().len() != 100_000 {
            daemon.fail(&format!(
                "body of /bytes/100000 has {} bytes",
                big.body().len()
            ));
        }
        if self.backend2.requests_to("/bytes/").len() != 2 {
            daemon.fail(&format!(
                "backend2 saw {} /bytes/ requests, expected 2",
                self.backend2.requests_to("/bytes/").len()
            ));
        }
        if !self.backend1.requests_to("/bytes/").is_empty() {
            daemon.fail("backend1 is DOWN but received client traffic");
        }
    }
}

impl Default for BlogScenario {
    fn default() -> Self {
        BlogScenario::new()
    }
}

/// Starts a daemon on a config: `Daemon::haproxy`, or `|c| Some(Daemon::proxyd(c))`.
/// `None` means the daemon is not available and the scenario is skipped.
pub trait Launch: FnOnce(Config) -> Option<Daemon> {}
impl<F: FnOnce(Config) -> Option<Daemon>> Launch for F {}

/// The `option httpchk` / `http-check send` variants whose request bytes are captured in
/// `tests/fixtures/haproxy-2.6/<name>.request`.
pub const HTTPCHK_VARIANTS: [(&str, &[&str]); 4] = [
    ("httpchk-default", &["option httpchk"]),
    ("httpchk-get-v1-status", &["option httpchk GET /v1/status"]),
    (
        "httpchk-legacy-host-header",
        &[r"option httpchk GET /x HTTP/1.1\r\nHost:\ a"],
    ),
    (
        "httpchk-send-head",
        &[
            "option httpchk",
            "http-check send meth HEAD uri /p ver HTTP/1.1 hdr Host h",
        ],
    ),
];

/// One backend per [`HTTPCHK_VARIANTS`] entry, each with one plain HTTP server; returns the
/// daemon and the servers (same order) once every server has received a check request.
pub fn httpchk_requests(launch: impl Launch) -> Option<(Daemon, Vec<Backend>)> {
    let servers: Vec<Backend> = HTTPCHK_VARIANTS
        .iter()
        .map(|_| Backend::http(200))
        .collect();
    let mut cfg = Config::new();
    for ((name, lines), server) in HTTPCHK_VARIANTS.iter().zip(&servers) {
        let mut section = BackendSection::new(&name.replace('-', "_"));
        for line in *lines {
            section = section.line(*line);
        }
        cfg = cfg.backend(section.server("srv", server.addr(), "check inter 1s"));
    }
    let daemon = launch(cfg)?;
    daemon.wait_until("a check request on every server", CHECK_TIMEOUT, |_| {
        servers.iter().all(|s| !s.requests().is_empty())
    });
    Some((daemon, servers))
}

/// Each server of [`httpchk_requests`] received exactly the bytes HAProxy 2.6 sends for its
/// variant (`tests/fixtures/haproxy-2.6/<name>.request`).
pub fn assert_check_requests_match_fixtures(daemon: &Daemon, servers: &[Backend]) {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/haproxy-2.6");
    for ((name, _), server) in HTTPCHK_VARIANTS.iter().zip(servers) {
        let path = fixtures.join(format!("{name}.request"));
        let expected = std::fs::read(&path)
            .unwrap_or_else(|e| daemon.fail(&format!("cannot read {}: {e}", path.display())));
        let requests = server.requests();
        let Some(got) = requests.first() else {
            daemon.fail(&format!("{name}: no check request received"));
        };
        if got != &expected {
            daemon.fail(&format!(
                "{name}: sent {:?}, HAProxy 2.6 sends {:?}",
                String::from_utf8_lossy(got),
                String::from_utf8_lossy(&expected)
            ));
        }
    }
}

/// Three TCP-checked echo servers, the third on a closed port: once checks settle, ten sessions
/// alternate between the two UP servers and none reaches the DOWN one.
pub fn roundrobin_spreads_sessions_over_up_servers(launch: impl Launch) {
    let s1 = Backend::echo();
    let s2 = Backend::echo();
    let listen = ports::free_addr();
    let cfg = Config::new().frontend("fe", listen, "be").backend(
        BackendSection::new("be")
            .line("balance roundrobin")
            .server("s1", s1.addr(), "check inter 500ms")
            .server("s2", s2.addr(), "check inter 500ms")
            .server("gone", ports::closed_addr(), "check inter 500ms"),
    );
    let Some(daemon) = launch(cfg) else { return };
    daemon.wait_until("s1 and s2 UP, gone DOWN", CHECK_TIMEOUT, |d| {
        let stat = d.show_stat();
        stat.get("be", "s1", "status") == Some("UP")
            && stat.get("be", "s2", "status") == Some("UP")
            && stat.get("be", "gone", "status") == Some("DOWN")
            && stat.get("be", "gone", "check_status") == Some("L4CON")
    });
    for i in 0..10 {
        let payload = format!("session {i}\n");
        let echoed = client::tcp_roundtrip(listen, payload.as_bytes())
            .unwrap_or_else(|e| daemon.fail(&format!("session {i}: {e}")));
        if echoed != payload.as_bytes() {
            daemon.fail(&format!(
                "session {i} echoed {:?}",
                String::from_utf8_lossy(&echoed)
            ));
        }
    }
    let spread = (s1.served(), s2.served());
    if spread != (5, 5) {
        daemon.fail(&format!(
            "sessions per server (s1, s2) = {spread:?}, expected (5, 5)"
        ));
    }
    daemon.wait_until("stot 10 on the backend", CHECK_TIMEOUT, |d| {
        d.stat("be", "BACKEND", "stot") == "10" && d.stat("be", "gone", "stot") == "0"
    });
}

/// HTTP checks against servers that misbehave in different ways end in HAProxy's distinct codes:
/// 404 → L7STS, garbage → L7RSP, silent after connect → L7TOUT, silent after the TLS handshake →
/// L7TOUT, certificate from an unknown CA → L6RSP, refused → L4CON.
pub fn failing_checks_report_distinct_statuses(launch: impl Launch) {
    let pki = Pki::new();
    let not_found = Backend::http(404);
    let garbage = Backend::garbage();
    let silent = Backend::silent();
    let tls_silent = Backend::tls_silent(pki.server.server_config());
    let untrusted = Backend::https(pki.untrusted_server.server_config(), 200);
    let tls = format!("{} inter 500ms", config::tls_check(&pki.ca_file()));
    let cfg = Config::new().backend(
        BackendSection::new("be")
            .line("option httpchk GET /v1/status")
            .server("not_found", not_found.addr(), "check inter 500ms")
            .server("garbage", garbage.addr(), "check inter 500ms")
            .server("silent", silent.addr(), "check inter 500ms")
            .server("tls_silent", tls_silent.addr(), &tls)
            .server("untrusted", untrusted.addr(), &tls)
            .server("refused", ports::closed_addr(), "check inter 500ms"),
    );
    let Some(daemon) = launch(cfg) else { return };
    let expected = [
        ("not_found", "L7STS", "404", "Not Found"),
        ("garbage", "L7RSP", "", ""),
        ("silent", "L7TOUT", "", ""),
        ("tls_silent", "L7TOUT", "", ""),
        ("untrusted", "L6RSP", "", "SSL handshake failure"),
        ("refused", "L4CON", "", "Connection refused"),
    ];
    daemon.wait_until(
        "every server DOWN with its check status",
        CHECK_TIMEOUT,
        |d| {
            let stat = d.show_stat();
            expected.iter().all(|(srv, status, code, last_chk)| {
                stat.get("be", srv, "status") == Some("DOWN")
                    && stat.get("be", srv, "check_status") == Some(*status)
                    && stat.get("be", srv, "check_code") == Some(*code)
                    && stat.get("be", srv, "last_chk") == Some(*last_chk)
            })
        },
    );
}

/// `verifyhost` on a TLS check without `check-sni`: a name the certificate does not carry is
/// L6RSP "different from the configured one"; its own name, in any case, passes; with
/// `check-sni` the SNI is what must match ("different from the expected one").
pub fn verifyhost_names_the_certificate_a_check_expects(launch: impl Launch) {
    let pki = Pki::new();
    let web = Backend::https(pki.server.server_config(), 200);
    let tls = config::tls_check(&pki.ca_file());
    let cfg = Config::new().backend(
        BackendSection::new("be")
            .server(
                "wrong",
                web.addr(),
                &format!("{tls} inter 300ms verifyhost wrong.example"),
            )
            .server(
                "right",
                web.addr(),
                &format!("{tls} inter 300ms verifyhost LOCALHOST"),
            )
            .server(
                "sni",
                web.addr(),
                &format!("{tls} inter 300ms verifyhost localhost check-sni wrong.example"),
            ),
    );
    let Some(daemon) = launch(cfg) else { return };
    let expected = [
        (
            "wrong",
            "DOWN",
            "L6RSP",
            "Server presented an SSL certificate different from the configured one",
        ),
        ("right", "UP", "L6OK", ""),
        (
            "sni",
            "DOWN",
            "L6RSP",
            "Server presented an SSL certificate different from the expected one",
        ),
    ];
    daemon.wait_until("each check's outcome", CHECK_TIMEOUT, |d| {
        let stat = d.show_stat();
        expected.iter().all(|(srv, state, status, last_chk)| {
            stat.get("be", srv, "status") == Some(*state)
                && stat.get("be", srv, "check_status") == Some(*status)
                && stat.get("be", srv, "last_chk") == Some(*last_chk)
        })
    });
}

/// A server whose status flips 200 → 503 → 200 goes DOWN after `fall` failed checks and UP after
/// `rise` good ones, and each transition is logged on stderr.
pub fn status_flip_takes_server_down_and_up_with_log_lines(launch: impl Launch) {
    let web = Backend::http(200);
    let cfg = Config::new().log_to_stderr().backend(
        BackendSection::new("be")
            .line("option httpchk GET /v1/status")
            .server("web", web.addr(), "check inter 200ms"),
    );
    let Some(daemon) = launch(cfg) else { return };
    daemon.wait_until("web UP", CHECK_TIMEOUT, |d| {
        d.stat("be", "web", "status") == "UP"
    });
    web.set_status(503);
    daemon.wait_until("web DOWN", CHECK_TIMEOUT, |d| {
        d.stat("be", "web", "status") == "DOWN"
    });
    daemon.wait_for_stderr(
        "Server be/web is DOWN, reason: Layer7 wrong status, code: 503, info: \"Service Unavailable\"",
        CHECK_TIMEOUT,
    );
    web.set_status(200);
    daemon.wait_until("web UP again", CHECK_TIMEOUT, |d| {
        d.stat("be", "web", "status") == "UP"
    });
    daemon.wait_for_stderr(
        "Server be/web is UP, reason: Layer7 check passed, code: 200",
        CHECK_TIMEOUT,
    );
}
