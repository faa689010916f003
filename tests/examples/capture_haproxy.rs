//! Captures reference answers from the real HAProxy into a directory:
//!
//! ```text
//! cargo run -p e2e --example capture_haproxy -- tests/fixtures/haproxy-2.6
//! ```
//!
//! Three runs: `stats.cfg` (stats socket answers and errors), `httpchk.cfg` (the raw HTTP check
//! requests) and `logs.cfg` (log lines for DOWN/UP transitions and a tcplog line). Each socket
//! answer is stored byte for byte; `commands.tsv` maps every file to the socket level and the exact
//! bytes sent.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use e2e::backends::Backend;
use e2e::certs::Pki;
use e2e::client;
use e2e::config::{self, BackendSection, Config};
use e2e::daemon::Daemon;
use e2e::ports;
use e2e::scenario;
use e2e::socket::StatTable;

const WAIT: Duration = Duration::from_secs(20);

fn main() {
    let out: PathBuf = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("tests/fixtures/haproxy-2.6"));
    fs::create_dir_all(&out).expect("create output directory");
    capture_stats(&out);
    capture_httpchk(&out);
    capture_logs(&out);
    eprintln!("captured into {}", out.display());
}

fn write(out: &Path, name: &str, bytes: &[u8]) {
    fs::write(out.join(name), bytes).unwrap_or_else(|e| panic!("write {name}: {e}"));
}

fn haproxy(config: Config) -> Daemon {
    Daemon::haproxy(config).expect("the real haproxy must be installed to capture fixtures")
}

/// Every check has a final result: nothing `INI`, nothing in flight (`* `).
fn checks_settled(stat: &StatTable, expected: &[(&str, &str, &str, &str)]) -> bool {
    expected.iter().all(|(px, sv, status, check)| {
        stat.get(px, sv, "status") == Some(*status)
            && stat.get(px, sv, "check_status") == Some(*check)
    })
}

fn capture_stats(out: &Path) {
    let pki = Pki::new();
    let up = Backend::echo();
    let dis = Backend::echo();
    let nocheck = Backend::echo();
    let bk = Backend::echo();
    let s200 = Backend::https(pki.server.server_config(), 200);
    let s503 = Backend::https(pki.server.server_config(), 503);
    let fe_tcp = ports::free_addr();
    let fe_tls = ports::free_addr();
    let tls = format!("{} inter 1s", config::tls_check(&pki.ca_file()));
    let cfg = Config::new()
        .frontend("fe_tcp", fe_tcp, "be_tcp")
        .backend(
            BackendSection::new("be_tcp")
                .line("balance roundrobin")
                .server("up", up.addr(), "check inter 1s")
                .server("refused", ports::closed_addr(), "check inter 1s")
                .server("dis", dis.addr(), "check inter 1s disabled")
                .server("nocheck", nocheck.addr(), "")
                .server("bk", bk.addr(), "check inter 1s backup"),
        )
        .frontend("fe_tls", fe_tls, "be_https")
        .backend(
            BackendSection::new("be_https")
                .line("balance roundrobin")
                .line("option httpchk GET /v1/status")
                .line("http-check expect status 200")
                .server("s200", s200.addr(), &tls)
                .server("s503", s503.addr(), &tls),
        );
    let daemon = haproxy(cfg);
    write(out, "stats.cfg", daemon.config_text().as_bytes());
    let expected = [
        ("be_tcp", "up", "UP", "L4OK"),
        ("be_tcp", "refused", "DOWN", "L4CON"),
        ("be_tcp", "dis", "MAINT", ""),
        ("be_tcp", "nocheck", "no check", ""),
        ("be_tcp", "bk", "UP", "L4OK"),
        ("be_https", "s200", "UP", "L7OK"),
        ("be_https", "s503", "DOWN", "L7STS"),
    ];
    daemon.wait_until("every check settled", WAIT, |d| {
        checks_settled(&d.show_stat(), &expected)
    });
    // One proxied session so that traffic counters are not all zero.
    let echoed = client::tcp_roundtrip(fe_tcp, b"hello\n").expect("echo through fe_tcp");
    assert_eq!(echoed, b"hello\n");
    daemon.wait_until("the session to be accounted", WAIT, |d| {
        d.stat("fe_tcp", "FRONTEND", "stot") == "1" && d.stat("fe_tcp", "FRONTEND", "scur") == "0"
    });

    let admin = daemon.socket();
    let user = daemon.user_socket();
    let captures: &[(&str, &Path, &str)] = &[
        ("show-stat.csv", &admin, "show stat\n"),
        ("show-stat-typed.txt", &admin, "show stat typed\n"),
        ("show-stat-json.txt", &admin, "show stat json\n"),
        ("show-stat-user-level.csv", &user, "show stat\n"),
        ("show-info.txt", &admin, "show info\n"),
        ("show-info-typed.txt", &admin, "show info typed\n"),
        ("show-servers-state.txt", &admin, "show servers state\n"),
        ("show-backend.txt", &admin, "show backend\n"),
        ("help.txt", &admin, "help\n"),
        ("help-user-level.txt", &user, "help\n"),
        ("no-trailing-newline.txt", &admin, "show info"),
        (
            "two-commands-one-line.txt",
            &admin,
            "show cli level;show backend\n",
        ),
        ("error-unknown-command-foo.txt", &admin, "foo\n"),
        ("error-empty-line.txt", &admin, "\n"),
        (
            "error-show-stat-no-such-proxy.txt",
            &admin,
            "show stat nosuch -1 -1\n",
        ),
        (
            "error-disable-server-no-such-backend.txt",
            &admin,
            "disable server nobe/x\n",
        ),
        (
            "error-set-server-state-no-such-server.txt",
            &admin,
            "set server be_tcp/x state bogus\n",
        ),
        (
            "error-set-server-state-bogus.txt",
            &admin,
            "set server be_tcp/up state bogus\n",
        ),
        (
            "error-set-weight-abc.txt",
            &admin,
            "set weight be_tcp/up abc\n",
        ),
        (
            "error-permission-denied-user-level.txt",
            &user,
            "disable server be_tcp/up\n",
        ),
    ];
    // A query that lands while a check is in flight shows `* L4OK`; such a capture is retaken.
    for attempt in 1..=10 {
        let mut manifest = String::from("# file\tsocket level\tbytes sent (Rust escapes)\n");
        let mut in_flight = false;
        for (file, socket, sent) in captures {
            let answer = daemon.query_raw_on(socket, sent.as_bytes());
            in_flight |=
                file.starts_with("show-stat") && String::from_utf8_lossy(&answer).contains("* L");
            write(out, file, &answer);
            let level = if *socket == admin.as_path() {
                "admin"
            } else {
                "user"
            };
            let _ = writeln!(manifest, "{file}\t{level}\t{}", sent.escape_default());
        }
        write(out, "commands.tsv", manifest.as_bytes());
        if !in_flight {
            return;
        }
        eprintln!("attempt {attempt}: a check was in flight, capturing again");
        daemon.wait_until("no check in flight", WAIT, |d| {
            !d.query("show stat").contains("* L")
        });
    }
    daemon.fail("could not capture a `show stat` without a check in flight");
}

fn capture_httpchk(out: &Path) {
    let (daemon, servers) = scenario::httpchk_requests(Daemon::haproxy)
        .expect("the real haproxy must be installed to capture fixtures");
    write(out, "httpchk.cfg", daemon.config_text().as_bytes());
    for ((name, _), server) in scenario::HTTPCHK_VARIANTS.iter().zip(&servers) {
        write(out, &format!("{name}.request"), &server.requests()[0]);
    }
    write(out, "httpchk-stderr.txt", daemon.stop().as_bytes());
}

fn capture_logs(out: &Path) {
    let web = Backend::http(200);
    let listen = ports::free_addr();
    let cfg = Config::new()
        .log_to_stderr()
        .section(format!(
            "frontend fe_log\n    bind {listen}\n    option tcplog\n    default_backend be_log\n"
        ))
        .backend(
            BackendSection::new("be_log")
                .line("option httpchk GET /v1/status")
                .server("web", web.addr(), "check inter 300ms")
                .server("refused", ports::closed_addr(), "check inter 300ms"),
        );
    let daemon = haproxy(cfg);
    write(out, "logs.cfg", daemon.config_text().as_bytes());
    daemon.wait_until("web UP, refused DOWN", WAIT, |d| {
        d.stat("be_log", "web", "status") == "UP" && d.stat("be_log", "refused", "status") == "DOWN"
    });
    let answer = client::tcp_roundtrip(listen, b"GET /bytes/10 HTTP/1.0\r\n\r\n")
        .expect("GET through fe_log");
    assert!(
        answer.starts_with(b"HTTP/1.1 200 OK"),
        "{:?}",
        String::from_utf8_lossy(&answer)
    );
    daemon.wait_for_stderr("fe_log be_log/web", WAIT);
    web.set_status(503);
    daemon.wait_until("web DOWN", WAIT, |d| {
        d.stat("be_log", "web", "status") == "DOWN"
    });
    web.set_status(200);
    daemon.wait_until("web UP again", WAIT, |d| {
        d.stat("be_log", "web", "status") == "UP"
    });
    daemon.wait_for_stderr("be_log/web is UP", WAIT);
    write(out, "logs-stderr.txt", daemon.stop().as_bytes());
}
