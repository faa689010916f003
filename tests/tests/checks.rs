//! Health checks end to end: every outcome produced by a real misbehaving backend, compared
//! between proxyd and the real HAProxy 2.6 where it is installed; the transitional states of a
//! server going down and back; no traffic to a DOWN server; the request bytes on the wire.

use std::collections::BTreeMap;

use e2e::backends::{closed_port, Backend};
use e2e::certs::Pki;
use e2e::client;
use e2e::config::{self, BackendSection, Config};
use e2e::daemon::Daemon;
use e2e::differential::Under;
use e2e::ports;
use e2e::scenario::{self, CHECK_TIMEOUT};

fn proxyd(config: Config) -> Option<Daemon> {
    Some(Daemon::proxyd(config))
}

/// (status, check_status, check_code, last_chk) per server once every check has settled.
type Outcomes = BTreeMap<String, (String, String, String, String)>;

/// Backends for the outcomes not covered by the blog scenario: plain TCP, TLS only, TLS with
/// `verify none` towards an unknown CA, a listener that never speaks TLS, a 404 with
/// `disable-on-404`, and an `expect string` mismatch.
fn more_outcomes(launch: Launch) -> Option<Outcomes> {
    let pki = Pki::new();
    let tcp = Backend::echo();
    let tls_only = Backend::https(pki.server.server_config(), 200);
    let unknown_ca = Backend::https(pki.untrusted_server.server_config(), 200);
    let silent = Backend::silent();
    let not_found = Backend::http(404);
    let wrong_body = Backend::http(200);
    let verify = format!("{} inter 300ms", config::tls_check(&pki.ca_file()));
    let cfg = Config::new()
        .backend(
            BackendSection::new("be_tcp")
                .server("tcp", tcp.addr(), "check inter 300ms")
                .server("tls_only", tls_only.addr(), &verify)
                .server("tls_silent", silent.addr(), &verify),
        )
        .backend(
            BackendSection::new("be_http")
                .line("option httpchk GET /v1/status")
                .line("http-check disable-on-404")
                .server(
                    "verify_none",
                    unknown_ca.addr(),
                    "check check-ssl verify none inter 300ms",
                )
                .server("not_found", not_found.addr(), "check inter 300ms"),
        )
        .backend(
            BackendSection::new("be_body")
                .line("option httpchk GET /v1/status")
                .line("http-check expect string no-such-text")
                .server("wrong_body", wrong_body.addr(), "check inter 300ms"),
        );
    let daemon = launch(cfg)?;
    let servers = [
        ("be_tcp", "tcp"),
        ("be_tcp", "tls_only"),
        ("be_tcp", "tls_silent"),
        ("be_http", "verify_none"),
        ("be_http", "not_found"),
        ("be_body", "wrong_body"),
    ];
    Some(settled_outcomes(&daemon, &servers))
}

/// (server, status, check_status, check_code, last_chk) rows as [`Outcomes`].
fn outcomes(rows: &[(&str, &str, &str, &str, &str)]) -> Outcomes {
    rows.iter()
        .map(|(k, a, b, c, d)| {
            (
                k.to_string(),
                (a.to_string(), b.to_string(), c.to_string(), d.to_string()),
            )
        })
        .collect()
}

/// Runs `scenario` on proxyd, compares it with `want`, then with HAProxy 2.6 when installed.
fn assert_outcomes_as_haproxy(scenario: fn(Launch) -> Option<Outcomes>, want: Outcomes) {
    let got = scenario(proxyd).expect("proxyd always starts");
    assert_eq!(got, want, "proxyd's outcomes");
    match scenario(Daemon::haproxy) {
        Some(reference) => assert_eq!(got, reference, "proxyd differs from HAProxy 2.6"),
        None => eprintln!("note: HAProxy not installed, compared with the expected table only"),
    }
}

type Launch = fn(Config) -> Option<Daemon>;

/// The outcome of each server once its checks have settled: a final state and a check that is
/// not running (HAProxy empties `last_chk` while one runs).
fn settled_outcomes(daemon: &Daemon, servers: &[(&str, &str)]) -> Outcomes {
    let mut out = Outcomes::new();
    daemon.wait_until(
        "every server settled after its checks",
        CHECK_TIMEOUT,
        |d| {
            let stat = d.show_stat();
            out.clear();
            servers.iter().all(|(be, srv)| {
                let get = |c: &str| stat.get(be, srv, c).unwrap_or("").to_string();
                let status = get("status");
                let check = get("check_status");
                let settled = !check.is_empty()
                    && check != "INI"
                    && !check.starts_with('*')
                    && (status == "UP" || status == "DOWN" || status == "NOLB");
                out.insert(
                    format!("{be}/{srv}"),
                    (status, check, get("check_code"), get("last_chk")),
                );
                settled
            })
        },
    );
    out
}

/// `option tcp-check` rules against real services: a banner, an echo, a server that answers
/// something else and closes, one that never answers, a closed port and a TLS server reached
/// with `tcp-check connect ssl`.
fn tcp_check_outcomes(launch: Launch) -> Option<Outcomes> {
    let pki = Pki::new();
    let banner = Backend::banner(b"+OK ready\r\n");
    let echo = Backend::echo();
    let garbage = Backend::garbage();
    let silent = Backend::silent();
    let closing = Backend::closing();
    let https = Backend::https(pki.server.server_config(), 200);
    let closed = e2e::backends::closed_port();
    let ca = pki.ca_file();
    let cfg = Config::new()
        .defaults("timeout check 300ms")
        .backend(
            BackendSection::new("be_banner")
                .line("option tcp-check")
                .line("tcp-check expect string +OK")
                .server("ok", banner.addr(), "check inter 300ms")
                .server("quiet", silent.addr(), "check inter 300ms")
                .server("closing", closing.addr(), "check inter 300ms"),
        )
        .backend(
            BackendSection::new("be_unwanted")
                .line("option tcp-check")
                .line("tcp-check expect ! string +OK comment no-banner")
                .server("banner", banner.addr(), "check inter 300ms"),
        )
        .backend(
            BackendSection::new("be_ping")
                .line("option tcp-check")
                .line("tcp-check comment ping")
                .line("tcp-check send PING\\r\\n\\r\\n")
                .line("tcp-check expect string PING comment echoed")
                .server("echo", echo.addr(), "check inter 300ms")
                .server("other", garbage.addr(), "check inter 300ms")
                .server("closed", closed, "check inter 300ms"),
        )
        .backend(
            BackendSection::new("be_ports")
                .line("option tcp-check")
                .line(format!("tcp-check connect port {}", banner.port()))
                .line("tcp-check expect rstring ^\\+OK")
                .line(format!(
                    "tcp-check connect port {} comment second",
                    closed.port()
                ))
                .server("s", banner.addr(), "check inter 300ms"),
        )
        .backend(
            BackendSection::new("be_tls")
                .line("option tcp-check")
                .line("tcp-check connect ssl")
                .line("tcp-check send \"GET /v1/status HTTP/1.0\\r\\n\\r\\n\"")
                .line("tcp-check expect rstring \"^HTTP/1\\.[01] 200\"")
                .line("tcp-check expect binary 0d0a")
                .server(
                    "https",
                    https.addr(),
                    &format!("check inter 300ms verify required ca-file {}", ca.display()),
                )
                .server(
                    "clear",
                    echo.addr(),
                    &format!("check inter 300ms verify required ca-file {}", ca.display()),
                ),
        )
        .backend(
            BackendSection::new("be_no_rules")
                .line("option tcp-check")
                .server("up", banner.addr(), "check inter 300ms")
                .server("down", closed, "check inter 300ms"),
        );
    let daemon = launch(cfg)?;
    let servers = [
        ("be_banner", "ok"),
        ("be_banner", "quiet"),
        ("be_banner", "closing"),
        ("be_unwanted", "banner"),
        ("be_ping", "echo"),
        ("be_ping", "other"),
        ("be_ping", "closed"),
        ("be_ports", "s"),
        ("be_tls", "https"),
        ("be_tls", "clear"),
        ("be_no_rules", "up"),
        ("be_no_rules", "down"),
    ];
    let outcomes = without_port(settled_outcomes(&daemon, &servers), closed.port());
    assert_last_chk_empty_while_running(&daemon, "be_banner", "quiet");
    Some(outcomes)
}

/// HAProxy empties `last_chk` when a check starts: a row showing a running check (`* L7TOUT`)
/// has no text though the previous check left one.
fn assert_last_chk_empty_while_running(daemon: &Daemon, be: &str, srv: &str) {
    let mut seen_running = false;
    daemon.wait_until(
        "a check of a timing-out server seen running",
        CHECK_TIMEOUT,
        |d| {
            let stat = d.show_stat();
            let check = stat.get(be, srv, "check_status").unwrap_or("");
            if check.starts_with('*') {
                let text = stat.get(be, srv, "last_chk").unwrap_or("");
                assert_eq!(text, "", "last_chk while a check runs ({check})");
                seen_running = true;
            }
            seen_running
        },
    );
}

fn expected_tcp_check_outcomes() -> Outcomes {
    outcomes(&[
        ("be_banner/ok", "UP", "L7OK", "0", "(tcp-check)"),
        (
            "be_banner/quiet",
            "DOWN",
            "L7TOUT",
            "",
            " at step 1 of tcp-check (expect string '+OK')",
        ),
        (
            "be_banner/closing",
            "DOWN",
            "L7RSP",
            "",
            "TCPCHK got an empty response at step 1",
        ),
        (
            "be_unwanted/banner",
            "DOWN",
            "L7RSP",
            "",
            "TCPCHK matched unwanted content '+OK' at step 1 comment: no-banner",
        ),
        ("be_ping/echo", "UP", "L7OK", "0", "(tcp-check)"),
        (
            "be_ping/other",
            "DOWN",
            "L7RSP",
            "",
            "TCPCHK did not match content 'PING' at step 3 comment: echoed",
        ),
        (
            "be_ping/closed",
            "DOWN",
            "L4CON",
            "",
            "Connection refused at initial connection step of tcp-check",
        ),
        (
            "be_ports/s",
            "DOWN",
            "L4CON",
            "",
            "Connection refused at step 3 of tcp-check (connect port PORT) comment: 'second'",
        ),
        ("be_tls/https", "UP", "L7OK", "0", "(tcp-check)"),
        (
            "be_tls/clear",
            "DOWN",
            "L6RSP",
            "",
            "SSL handshake failure at step 1 of tcp-check (connect)",
        ),
        ("be_no_rules/up", "UP", "L4OK", "", ""),
        (
            "be_no_rules/down",
            "DOWN",
            "L4CON",
            "",
            "Connection refused at initial connection step of tcp-check",
        ),
    ])
}

/// The closed port differs from run to run: written `PORT` for comparisons.
fn without_port(mut o: Outcomes, port: u16) -> Outcomes {
    for v in o.values_mut() {
        v.3 = v.3.replace(&port.to_string(), "PORT");
    }
    o
}

fn expected_outcomes() -> Outcomes {
    outcomes(&[
        ("be_tcp/tcp", "UP", "L4OK", "", ""),
        ("be_tcp/tls_only", "UP", "L6OK", "", ""),
        ("be_tcp/tls_silent", "DOWN", "L6TOUT", "", ""),
        ("be_http/verify_none", "UP", "L7OK", "200", ""),
        ("be_http/not_found", "NOLB", "L7OKC", "404", ""),
        (
            "be_body/wrong_body",
            "DOWN",
            "L7RSP",
            "",
            "HTTP content check did not match",
        ),
    ])
}

#[test]
fn tcp_tls_and_http_outcomes_match_haproxy() {
    assert_outcomes_as_haproxy(more_outcomes, expected_outcomes());
}

#[test]
fn tcp_check_rules_report_as_haproxy() {
    assert_outcomes_as_haproxy(tcp_check_outcomes, expected_tcp_check_outcomes());
}

/// HAProxy 2.6's protocol checks against servers that answer right, answer an error, say
/// something else, stay silent or are not there: the outcome of each, and the bytes each
/// server received (ssl-hello-chk's timestamp zeroed).
fn protocol_check_run(under: Under) -> Option<(Outcomes, BTreeMap<String, Vec<u8>>)> {
    let mysql_greeting = b"\x0e\x00\x00\x00\x0a5.7.42-log\x00\x00\x00";
    let scripts: Vec<(&str, &str, Backend)> = vec![
        (
            "redis_ok",
            "option redis-check",
            Backend::script(b"", &[b"+PONG\r\n"]),
        ),
        (
            "redis_err",
            "option redis-check",
            Backend::script(b"", &[b"-ERR unknown command 'PING'\r\n"]),
        ),
        (
            "smtp_ok",
            "option smtpchk EHLO example.com",
            Backend::script(
                b"220 mx ESMTP\r\n",
                &[b"250-mx Hello\r\n250 SIZE 1000\r\n", b"221 2.0.0 Bye\r\n"],
            ),
        ),
        (
            "smtp_busy",
            "option smtpchk",
            Backend::script(b"554 5.3.2  busy\r\n", &[]),
        ),
        (
            "pgsql_ok",
            "option pgsql-check user haproxy",
            Backend::script(b"", &[b"R\x00\x00\x00\x08\x00\x00\x00\x00"]),
        ),
        (
            "pgsql_err",
            "option pgsql-check user haproxy",
            Backend::script(b"", &[b"E\x00\x00\x00\x10SFATAL\x00C28000\x00\x00"]),
        ),
        (
            "mysql_ok",
            "option mysql-check user haproxy",
            Backend::script(
                mysql_greeting,
                &[b"\x07\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00"],
            ),
        ),
        (
            "mysql_denied",
            "option mysql-check",
            Backend::script(
                b"\x2d\x00\x00\x00\xff\x6a\x04Host '127.0.0.1' is not allowed to connect",
                &[],
            ),
        ),
        (
            "ldap_ok",
            "option ldap-check",
            Backend::script(
                b"",
                &[b"\x30\x0c\x02\x01\x01\x61\x07\x0a\x01\x00\x04\x00\x04\x00"],
            ),
        ),
        (
            "ldap_refused",
            "option ldap-check",
            Backend::script(
                b"",
                &[b"\x30\x0c\x02\x01\x01\x61\x07\x0a\x01\x31\x04\x00\x04\x00"],
            ),
        ),
        (
            "ldap_http",
            "option ldap-check",
            Backend::script(b"", &[b"HTTP/1.0 400 Bad Request\r\n\r\n"]),
        ),
        (
            "ssl_hello",
            "option ssl-hello-chk",
            Backend::script(b"", &[b"\x16\x03\x03\x00\x3a\x02\x00\x00\x36\x03\x03"]),
        ),
        (
            "ssl_plain",
            "option ssl-hello-chk",
            Backend::script(b"", &[b"SSH-2.0-OpenSSH\r\n"]),
        ),
    ];
    let silent = Backend::silent();
    let mut cfg = Config::new().defaults("timeout check 300ms");
    for (name, option, backend) in &scripts {
        cfg = cfg.backend(BackendSection::new(name).line(*option).server(
            "s",
            backend.addr(),
            "check inter 300ms",
        ));
    }
    let others = [
        ("redis_closed", "option redis-check", closed_port()),
        ("ldap_silent", "option ldap-check", silent.addr()),
    ];
    for (name, option, addr) in others {
        cfg = cfg.backend(BackendSection::new(name).line(option).server(
            "s",
            addr,
            "check inter 300ms",
        ));
    }
    let daemon = under.start(cfg)?;
    let names: Vec<&str> = scripts
        .iter()
        .map(|(n, _, _)| *n)
        .chain(others.iter().map(|(n, _, _)| *n))
        .collect();
    let servers: Vec<(&str, &str)> = names.iter().map(|n| (*n, "s")).collect();
    let outcomes = settled_outcomes(&daemon, &servers);
    let mut received = BTreeMap::new();
    daemon.wait_until(
        "a first check recorded by every script",
        CHECK_TIMEOUT,
        |_| scripts.iter().all(|(_, _, b)| !b.requests().is_empty()),
    );
    for (name, _, backend) in &scripts {
        let mut first = backend.requests().swap_remove(0);
        if name.starts_with("ssl") {
            if let Some(time) = first.get_mut(11..15) {
                time.fill(0);
            }
        }
        received.insert(name.to_string(), first);
    }
    Some((outcomes, received))
}

#[test]
fn protocol_checks_report_and_send_as_haproxy() {
    let seen = e2e::differential::on_both(protocol_check_run);
    let (_, (got, received)) = seen.last().expect("proxyd ran");
    let rfc = "See RFC: http://tools.ietf.org/html/rfc4511#section-4.1.9";
    let want = outcomes(&[
        ("redis_ok/s", "UP", "L7OK", "0", "Redis server is ok"),
        (
            "redis_err/s",
            "DOWN",
            "L7STS",
            "0",
            "-ERR unknown command 'PING'",
        ),
        ("redis_closed/s", "DOWN", "L4CON", "", "Connection refused"),
        ("smtp_ok/s", "UP", "L7OK", "221", "2.0.0 Bye"),
        ("smtp_busy/s", "DOWN", "L7STS", "554", "5.3.2  busy"),
        ("pgsql_ok/s", "UP", "L7OK", "0", "PostgreSQL server is ok"),
        ("pgsql_err/s", "DOWN", "L7RSP", "", "FATAL"),
        ("mysql_ok/s", "UP", "L7OK", "0", ""),
        (
            "mysql_denied/s",
            "DOWN",
            "L7STS",
            "1130",
            "Host '127.0.0.1' is not allowed to connect",
        ),
        ("ldap_ok/s", "UP", "L7OK", "0", ""),
        ("ldap_refused/s", "DOWN", "L7STS", "49", rfc),
        ("ldap_http/s", "DOWN", "L7RSP", "", "Not LDAPv3 protocol"),
        ("ldap_silent/s", "DOWN", "L7TOUT", "", ""),
        ("ssl_hello/s", "UP", "L6OK", "", ""),
        ("ssl_plain/s", "DOWN", "L6RSP", "", ""),
    ]);
    assert_eq!(got, &want, "proxyd's outcomes");
    assert_eq!(received["redis_ok"], b"*1\r\n$4\r\nPING\r\n");
    assert_eq!(received["smtp_ok"], b"EHLO example.com\r\nQUIT\r\n");
    assert_eq!(received["smtp_busy"], b"");
    e2e::differential::assert_same_as_haproxy("protocol check outcomes and bytes", &seen);
}

/// `http-check expect` options: `comment` on failures, `error-status` and `ok-status` choosing
/// the status (an error reported as `L7OKC` drains the server), `tout-status` on a silent one.
fn http_expect_option_outcomes(launch: Launch) -> Option<Outcomes> {
    let unavailable = Backend::http(503);
    let ok = Backend::http(200);
    let silent = Backend::silent();
    let be = |name: &str, rule: &str, addr| {
        BackendSection::new(name)
            .line("option httpchk GET /v1/status")
            .line(rule)
            .server("s", addr, "check inter 300ms")
    };
    let cfg = Config::new()
        .defaults("timeout check 300ms")
        .backend(be(
            "commented",
            "http-check expect status 200 comment api-down",
            unavailable.addr(),
        ))
        .backend(be(
            "drained",
            "http-check expect status 200 error-status L7OKC",
            unavailable.addr(),
        ))
        .backend(be(
            "ok_as_nolb",
            "http-check expect ok-status L7OKC status 200",
            ok.addr(),
        ))
        .backend(be(
            "body",
            "http-check expect string nope comment body-check",
            ok.addr(),
        ))
        .backend(be(
            "quiet",
            "http-check expect status 200 tout-status L4TOUT",
            silent.addr(),
        ));
    let daemon = launch(cfg)?;
    let servers = [
        ("commented", "s"),
        ("drained", "s"),
        ("ok_as_nolb", "s"),
        ("body", "s"),
        ("quiet", "s"),
    ];
    Some(settled_outcomes(&daemon, &servers))
}

#[test]
fn http_check_expect_options_report_as_haproxy() {
    let want = outcomes(&[
        (
            "commented/s",
            "DOWN",
            "L7STS",
            "503",
            "Service Unavailable comment: api-down",
        ),
        ("drained/s", "NOLB", "L7OKC", "503", "Service Unavailable"),
        ("ok_as_nolb/s", "NOLB", "L7OKC", "200", ""),
        (
            "body/s",
            "DOWN",
            "L7RSP",
            "",
            "HTTP content check did not match comment: body-check",
        ),
        ("quiet/s", "DOWN", "L4TOUT", "", ""),
    ]);
    assert_outcomes_as_haproxy(http_expect_option_outcomes, want);
}

/// `server-template` declares `<prefix><n>` servers as HAProxy does: names, order, ids,
/// addresses (a name resolved once for all), each with the template's parameters.
#[test]
fn server_templates_declare_servers_as_haproxy() {
    let echo = Backend::echo();
    let seen = e2e::differential::on_both(|under| {
        let cfg = Config::new().backend(
            BackendSection::new("be")
                .server("first", echo.addr(), "")
                .line(format!(
                    "server-template web 3 {} check inter 300ms",
                    echo.addr()
                ))
                .line(format!("server-template api 5-6 localhost:{}", echo.port()))
                .server("last", echo.addr(), ""),
        );
        let daemon = under.start(cfg)?;
        let names = ["first", "web1", "web2", "web3", "api5", "api6", "last"];
        let mut rows = Vec::new();
        daemon.wait_until("the templated servers checked", CHECK_TIMEOUT, |d| {
            let stat = d.show_stat();
            rows = names
                .iter()
                .map(|n| {
                    let get = |c: &str| stat.get("be", n, c).unwrap_or("?").to_string();
                    [
                        n.to_string(),
                        get("status"),
                        get("check_status"),
                        get("sid"),
                    ]
                })
                .collect();
            rows.iter().all(|r| !r[2].starts_with('*') && r[2] != "INI")
        });
        let state: Vec<String> = daemon
            .query("show servers state be")
            .lines()
            .skip(2)
            .filter(|l| !l.is_empty())
            .map(|l| l.split(' ').skip(2).take(3).collect::<Vec<_>>().join(" "))
            .collect();
        Some((rows, state))
    });
    e2e::differential::assert_same_as_haproxy("servers declared by server-template", &seen);
    let (_, (rows, _)) = seen.last().expect("proxyd ran");
    assert_eq!(rows[1][..3], ["web1", "UP", "L4OK"].map(String::from));
    assert_eq!(rows[4][..3], ["api5", "no check", ""].map(String::from));
}

#[test]
fn check_requests_are_the_bytes_haproxy_sends() {
    let (daemon, servers) = scenario::httpchk_requests(proxyd).expect("proxyd always starts");
    scenario::assert_check_requests_match_fixtures(&daemon, &servers);
}

/// A server failing its checks walks UP → UP 2/3 → UP 1/3 → DOWN, then recovering
/// DOWN → DOWN 1/2 → UP, and takes no new session while DOWN.
#[test]
fn server_walks_transitional_states_and_gets_no_traffic_while_down() {
    let web = Backend::http(200);
    let other = Backend::http(200);
    let listen = ports::free_addr();
    let cfg = Config::new().frontend("fe", listen, "be").backend(
        BackendSection::new("be")
            .line("option httpchk GET /v1/status")
            .server("web", web.addr(), "check inter 400ms rise 2 fall 3")
            .server("other", other.addr(), "check inter 400ms"),
    );
    let daemon = Daemon::proxyd(cfg);
    daemon.wait_until("web UP", CHECK_TIMEOUT, |d| {
        d.stat("be", "web", "status") == "UP" && d.stat("be", "other", "status") == "UP"
    });

    let mut seen: Vec<String> = Vec::new();
    let mut record = |d: &Daemon| {
        let s = d.stat("be", "web", "status");
        if seen.last() != Some(&s) {
            seen.push(s.clone());
        }
        s
    };
    web.set_status(503);
    daemon.wait_until("web DOWN", CHECK_TIMEOUT, |d| record(d) == "DOWN");

    // While DOWN, every new session goes to the other server (checks still reach `web`, so
    // look for the sessions' own bytes in what `web` received).
    for _ in 0..10 {
        client::tcp_roundtrip(listen, b"ping").unwrap_or_else(|e| daemon.fail(&e.to_string()));
    }
    let sessions_on_web = || {
        web.requests()
            .iter()
            .filter(|r| r.starts_with(b"ping"))
            .count()
    };
    let served_while_down = sessions_on_web();
    web.set_status(200);
    daemon.wait_until("web UP again", CHECK_TIMEOUT, |d| record(d) == "UP");
    let expected = ["UP", "UP 2/3", "UP 1/3", "DOWN", "DOWN 1/2", "UP"];
    assert_eq!(seen, expected, "status sequence");
    assert_eq!(served_while_down, 0, "a DOWN server received sessions");
    assert!(
        other.served() >= 10,
        "the UP server did not take the sessions"
    );
}
