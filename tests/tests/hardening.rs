//! Files and hostile clients: stats socket files get the permissions the configuration asks
//! for (the same as HAProxy's), a stale socket file is replaced and the file is removed on exit;
//! the HTTP stats page bounds what a client can make it hold.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

use e2e::config::Config;
use e2e::daemon::Daemon;
use e2e::faults;
use e2e::ports;
use e2e::socket;

/// Two more sockets: one with no `mode` (the umask decides, as for HAProxy) and one `mode 660`.
fn socket_config() -> Config {
    let cfg = Config::new();
    let plain = cfg.dir().join("plain.sock");
    let group = cfg.dir().join("group.sock");
    cfg.global(format!("stats socket {}", plain.display()))
        .global(format!(
            "stats socket {} mode 660 level admin",
            group.display()
        ))
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn socket_files_get_the_same_permissions_as_haproxy() {
    let proxyd = Daemon::proxyd(socket_config());
    let ours = (
        mode(&proxyd.config().dir().join("plain.sock")),
        mode(&proxyd.config().dir().join("group.sock")),
        mode(&proxyd.socket()),
    );
    assert_eq!(ours.1, 0o660, "mode 660 socket");
    assert_eq!(ours.2, 0o600, "mode 600 socket");
    match Daemon::haproxy(socket_config()) {
        Some(haproxy) => {
            let theirs = (
                mode(&haproxy.config().dir().join("plain.sock")),
                mode(&haproxy.config().dir().join("group.sock")),
                mode(&haproxy.socket()),
            );
            assert_eq!(
                ours, theirs,
                "socket modes (plain, 660, 600) differ from HAProxy's"
            );
        }
        None => eprintln!("note: HAProxy not installed; compared with the configured modes only"),
    }
}

#[test]
fn stale_socket_file_is_replaced_and_removed_on_exit() {
    let cfg = Config::new();
    let admin = cfg.admin_socket();
    // A socket file left by a process that died: nobody listens on it.
    drop(std::os::unix::net::UnixListener::bind(&admin).expect("stale socket"));
    assert!(std::fs::metadata(&admin).is_ok_and(|m| m.file_type().is_socket()));
    let daemon = Daemon::proxyd(cfg);
    let answer = daemon.query("show cli level");
    assert_eq!(answer, "admin\n\n");
    // SIGTERM: the daemon removes its socket files.
    faults::signal(daemon.pid(), "TERM");
    let gone = socket::wait_for(Duration::from_secs(10), || !admin.exists());
    assert!(gone, "{} still exists after SIGTERM", admin.display());
}

fn page_config(listen: std::net::SocketAddr) -> Config {
    Config::new().section(format!(
        "listen stats\n    bind {listen}\n    mode http\n    timeout client 1s\n    stats enable\n    stats uri /\n"
    ))
}

fn http(listen: std::net::SocketAddr, request: &[u8]) -> String {
    let mut s = TcpStream::connect(listen).expect("connect to the page");
    s.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let _ = s.write_all(request);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn stats_page_bounds_requests_and_idle_clients() {
    let listen = ports::free_addr();
    let daemon = Daemon::proxyd(page_config(listen));
    let ok = socket::wait_for(Duration::from_secs(10), || {
        TcpStream::connect(listen).is_ok()
    });
    assert!(ok, "the page never listened");

    // An oversized request head is refused, not buffered.
    let mut big = b"GET / HTTP/1.1\r\nHost: x\r\n".to_vec();
    for i in 0..400 {
        big.extend_from_slice(format!("X-Filler-{i}: {}\r\n", "a".repeat(100)).as_bytes());
    }
    big.extend_from_slice(b"\r\n");
    let answer = http(listen, &big);
    assert!(
        answer.starts_with("HTTP/1.1 400"),
        "oversized head: {answer:.80}"
    );

    // Garbage is a bad request.
    let answer = http(listen, b"\x00\x01\x02 not http\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 400"), "garbage: {answer:.80}");

    // A client that sends nothing is closed after `timeout client` (1s here).
    let mut idle = TcpStream::connect(listen).expect("connect");
    idle.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let started = Instant::now();
    let mut out = Vec::new();
    let _ = idle.read_to_end(&mut out);
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(8),
        "idle client held for {waited:?}"
    );

    // Meanwhile and after all that, the page still serves a well-behaved client.
    let answer = http(listen, b"GET /;csv HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 200"), "page: {answer:.80}");
    assert!(answer.contains("# pxname,svname,"), "page: {answer:.200}");
    drop(daemon);
}

/// A syslog target that cannot take lines never blocks the proxy: the lines are dropped and
/// counted in `show info` (`DroppedLogs`), and traffic flows on.
#[test]
fn unreachable_syslog_target_drops_and_counts_lines() {
    let echo = e2e::backends::Backend::echo();
    let listen = ports::free_addr();
    let cfg = Config::new();
    let nowhere = cfg.dir().join("no-syslog-here.sock");
    let cfg = cfg
        .global(format!("log {} local0", nowhere.display()))
        .defaults("log global")
        .defaults("option tcplog")
        .frontend("fe", listen, "be")
        .backend(e2e::config::BackendSection::new("be").server("s1", echo.addr(), ""));
    let daemon = Daemon::proxyd(cfg);
    for _ in 0..3 {
        let answer = e2e::client::tcp_roundtrip(listen, b"ping")
            .unwrap_or_else(|e| daemon.fail(&format!("traffic stopped: {e}")));
        assert_eq!(answer, b"ping");
    }
    let dropped = |d: &Daemon| -> u64 {
        d.query("show info")
            .lines()
            .find_map(|l| l.strip_prefix("DroppedLogs: "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    daemon.wait_until("three dropped log lines", Duration::from_secs(10), |d| {
        dropped(d) >= 3
    });
}
