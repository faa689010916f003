//! `bind` options that decide who may connect and what the session sees: `accept-proxy` (the
//! PROXY protocol header) and the listening socket's options. Each scenario runs on the real
//! HAProxy 2.6 first, when installed, and proxyd must show the same.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

use e2e::backends::Backend;
use e2e::config::{BackendSection, Config};
use e2e::daemon::Daemon;
use e2e::differential::{assert_same_as_haproxy, on_both, Under};
use e2e::ports;

const SOON: Duration = Duration::from_secs(10);
const V2_SIG: &[u8] = b"\r\n\r\n\x00\r\nQUIT\n";

fn v2(cmd: u8, fam: u8, body: &[u8]) -> Vec<u8> {
    let mut h = V2_SIG.to_vec();
    h.extend([0x20 | cmd, fam]);
    h.extend((body.len() as u16).to_be_bytes());
    h.extend(body);
    h
}

/// What the client got back from an echo server behind the proxy: the bytes, or how the
/// connection ended.
fn exchange(listen: SocketAddr, first: &[u8], then: Option<&[u8]>) -> String {
    let Ok(mut c) = TcpStream::connect(listen) else {
        return "refused".into();
    };
    let _ = c.set_read_timeout(Some(SOON));
    if c.write_all(first).is_err() {
        return "write failed".into();
    }
    if let Some(rest) = then {
        // Sent apart, as a second segment: HAProxy judges the header on the first.
        std::thread::sleep(Duration::from_millis(200));
        if c.write_all(rest).is_err() {
            return "reset".into();
        }
    }
    let mut buf = [0u8; 64];
    match c.read(&mut buf) {
        Ok(0) => "closed".into(),
        Ok(n) => String::from_utf8_lossy(&buf[..n]).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => "reset".into(),
        Err(e) => format!("error {:?}", e.kind()),
    }
}

/// The logged lines after the date, with the loopback client's port and the times masked.
fn masked(line: &str) -> String {
    let line = match (line.find('['), line.find(']')) {
        (Some(a), Some(b)) if a < b => format!("{}{}", &line[..a], &line[b + 1..]),
        _ => line.to_string(),
    };
    line.split(' ')
        .map(|w| match w {
            w if w.starts_with("127.0.0.1:") => "127.0.0.1:PORT".to_string(),
            w if w.contains('/')
                && w.split('/').all(|n| n.parse::<i64>().is_ok())
                && w.split('/').count() == 3 =>
            {
                "TIMES".to_string()
            }
            // Sessions end concurrently: how many were running is not the point here.
            w if w.split('/').count() == 5 && w.split('/').all(|n| n.parse::<u64>().is_ok()) => {
                "CONNS".to_string()
            }
            w => w.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn log_lines(daemon: &Daemon, n: usize) -> Vec<String> {
    let mut lines = Vec::new();
    daemon.wait_until("every connection's log line", SOON, |d| {
        lines = d
            .stderr()
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('['))
            .map(masked)
            .collect();
        lines.len() >= n
    });
    lines
}

/// A name, the first bytes sent and, sent apart, the rest.
type Case = (&'static str, Vec<u8>, Option<&'static [u8]>);

#[test]
fn accept_proxy_reads_the_header_and_logs_refusals_as_haproxy_does() {
    let echo = Backend::echo();
    let mut addr4 = vec![203, 0, 113, 5, 203, 0, 113, 6];
    addr4.extend(5555u16.to_be_bytes());
    addr4.extend(80u16.to_be_bytes());
    let cases: Vec<Case> = vec![
        (
            "v1 tcp4",
            b"PROXY TCP4 192.0.2.7 198.51.100.9 4242 443\r\nhello".to_vec(),
            None,
        ),
        (
            "v1 tcp6",
            b"PROXY TCP6 2001:db8::7 2001:db8::9 4243 8443\r\nhello".to_vec(),
            None,
        ),
        ("v1 unknown", b"PROXY UNKNOWN\r\nhello".to_vec(), None),
        (
            "v2 tcp4",
            [v2(1, 0x11, &addr4), b"hello".to_vec()].concat(),
            None,
        ),
        (
            "v2 local",
            [v2(0, 0x00, b""), b"hello".to_vec()].concat(),
            None,
        ),
        (
            "v2 bad tlv",
            [
                v2(1, 0x11, &[addr4.clone(), vec![0xEE, 0, 9]].concat()),
                b"hello".to_vec(),
            ]
            .concat(),
            None,
        ),
        (
            "v1 other protocol",
            b"PROXY TCP5 1.2.3.4 1.2.3.4 1 2\r\nhello".to_vec(),
            None,
        ),
        (
            "v1 bad address",
            b"PROXY TCP4 1.2.3.4;1.2.3.4 1 2\r\nhello".to_vec(),
            None,
        ),
        ("no header", b"GET / HTTP/1.0\r\n\r\n".to_vec(), None),
        (
            "header in two segments",
            b"PROXY TCP4 1.2.3.4 ".to_vec(),
            Some(b"5.6.7.8 1 2\r\nhello"),
        ),
    ];
    let n = cases.len();
    let seen = on_both(|under| {
        let listen = ports::free_addr();
        let cfg = Config::new()
            .log_to_stderr()
            .defaults("option tcplog")
            .section(format!(
                "frontend fe\n    bind {listen} accept-proxy\n    default_backend be\n"
            ))
            .backend(BackendSection::new("be").server("s1", echo.addr(), ""));
        let daemon = under.start(cfg)?;
        let mut replies = Vec::new();
        for (name, first, then) in &cases {
            replies.push(format!("{name}: {}", exchange(listen, first, *then)));
        }
        let mut lines = log_lines(&daemon, n);
        // Lines come in the order sessions end, which differs between the two.
        lines.sort();
        let stot = daemon.stat("fe", "FRONTEND", "stot");
        let conns = daemon.stat("fe", "FRONTEND", "conn_tot");
        Some((replies, lines, stot, conns))
    });
    for (under, (replies, _, _, _)) in &seen {
        for accepted in ["v1 tcp4", "v1 tcp6", "v1 unknown", "v2 tcp4", "v2 local"] {
            // The server gets what follows the header, never the header.
            assert!(
                replies.contains(&format!("{accepted}: hello")),
                "{under:?}: {replies:?}"
            );
        }
    }
    assert_same_as_haproxy("replies, log lines, sessions and connections", &seen);
    let (_, (_, lines, stot, conns)) = seen.last().expect("proxyd ran");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("192.0.2.7:4242  fe be/s1")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with("fe/1: Truncated PROXY protocol header received")),
        "{lines:?}"
    );
    assert_eq!((stot.as_str(), conns.as_str()), ("5", "10"));
}

#[test]
fn accept_proxy_waits_for_the_header_no_longer_than_timeout_client() {
    let echo = Backend::echo();
    let seen = on_both(|under: Under| {
        let listen = ports::free_addr();
        let cfg = Config::new()
            .log_to_stderr()
            .defaults("option tcplog")
            .defaults("timeout client 1s")
            .section(format!(
                "frontend fe\n    bind {listen} accept-proxy name edge\n    default_backend be\n"
            ))
            .backend(BackendSection::new("be").server("s1", echo.addr(), ""));
        let daemon = under.start(cfg)?;
        let mut silent = TcpStream::connect(listen).expect("connect");
        let _ = silent.set_read_timeout(Some(SOON));
        daemon.wait_until("the waiting connection in scur", SOON, |d| {
            d.stat("fe", "FRONTEND", "scur") == "1"
        });
        let waiting = (
            daemon.stat("fe", "FRONTEND", "stot"),
            daemon.query("show sess").contains("fe=fe"),
        );
        let started = std::time::Instant::now();
        let mut buf = [0u8; 8];
        let end = match silent.read(&mut buf) {
            Ok(0) => "closed",
            Ok(_) => "data",
            Err(_) => "error",
        };
        let waited = started.elapsed();
        assert!(
            waited < Duration::from_secs(5),
            "{under:?} closed after {waited:?}"
        );
        Some((waiting, end, log_lines(&daemon, 1)))
    });
    assert_same_as_haproxy("a client that never sends its header", &seen);
    if let Some((_, (_, _, lines))) = seen.last() {
        assert_eq!(
            lines,
            &["127.0.0.1:PORT  fe/edge: Timeout while waiting for PROXY protocol header"]
        );
    }
}

#[test]
fn announced_addresses_drive_source_balancing_and_the_log_format() {
    let (a, b) = (Backend::echo(), Backend::echo());
    let seen = on_both(|under| {
        let listen = ports::free_addr();
        let cfg = Config::new()
            .log_to_stderr()
            .section(format!(
                "frontend fe\n    log-format \"%ci:%cp %fi:%fp %[src] %s\"\n    bind {listen} accept-proxy\n    default_backend be\n"
            ))
            .backend(
                BackendSection::new("be")
                    .line("balance source")
                    .server("s1", a.addr(), "")
                    .server("s2", b.addr(), ""),
            );
        let daemon = under.start(cfg)?;
        for i in 1..=6 {
            let header = format!("PROXY TCP4 10.0.0.{i} 10.9.9.9 1000 80\r\nx");
            assert_eq!(exchange(listen, header.as_bytes(), None), "x");
        }
        let mut lines = log_lines(&daemon, 6);
        lines.sort();
        Some(lines)
    });
    assert_same_as_haproxy("clients spread by their announced address", &seen);
    if let Some((_, lines)) = seen.last() {
        assert!(
            lines.contains(&"10.0.0.1:1000 10.9.9.9:80 10.0.0.1 s2".to_string()),
            "{lines:?}"
        );
        assert!(
            lines.contains(&"10.0.0.2:1000 10.9.9.9:80 10.0.0.2 s1".to_string()),
            "{lines:?}"
        );
    }
}

/// A listening socket of `pid` on `addr`, duplicated into this process (pidfd_getfd).
fn listening_socket(pid: u32, addr: SocketAddr) -> Option<OwnedFd> {
    // SAFETY: plain syscalls; every descriptor they return is owned below.
    let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::c_int, 0) };
    if pidfd < 0 {
        return None;
    }
    // SAFETY: pidfd_open returned a descriptor nobody else owns.
    let pidfd = unsafe { OwnedFd::from_raw_fd(pidfd as i32) };
    let entries = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    for e in entries.flatten() {
        let Ok(n) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        // SAFETY: as above.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_getfd, pidfd.as_raw_fd(), n, 0) };
        if fd < 0 {
            continue;
        }
        // SAFETY: pidfd_getfd returned a fresh descriptor.
        let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
        let sock = socket2::SockRef::from(&fd);
        let listening = sock.is_listener().unwrap_or(false);
        let local = sock.local_addr().ok().and_then(|a| a.as_socket());
        if listening && local == Some(addr) {
            return Some(fd);
        }
    }
    None
}

fn int_opt(fd: &OwnedFd, level: i32, name: i32) -> i32 {
    let mut v: libc::c_int = -1;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `v`.
    unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (&mut v as *mut i32).cast(),
            &mut len,
        )
    };
    v
}

/// The listening queue's size as `ss -ltn` shows it (Send-Q) and the address with its device:
/// a socket's backlog is only told through sock_diag.
fn ss_backlog(addr: SocketAddr) -> Option<String> {
    let filter = format!("sport = :{}", addr.port());
    let out = std::process::Command::new("ss")
        .args(["-ltnH", &filter])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let words: Vec<&str> = text.split_whitespace().collect();
    let local = words.get(3)?.replace(&addr.port().to_string(), "PORT");
    Some(format!("{} {local}", words.get(2)?))
}

#[test]
fn listening_sockets_get_the_bind_lines_options_as_haproxy_sets_them() {
    let echo = Backend::echo();
    let seen = on_both(|under| {
        let (a, b, c) = (ports::free_addr(), ports::free_addr(), ports::free_addr());
        let cfg = Config::new()
            .section(format!(
                "frontend fe\n    maxconn 55\n    bind {a} backlog 77 defer-accept tfo mss 1200 tcp-ut 4s\n    bind {b} interface lo transparent tfo maxconn 33\n    bind {c}\n    default_backend be\n"
            ))
            .backend(BackendSection::new("be").server("s1", echo.addr(), ""));
        let daemon = under.start(cfg)?;
        let mut shown = Vec::new();
        for addr in [a, b, c] {
            let Some(fd) = listening_socket(daemon.pid(), addr) else {
                daemon.fail(&format!("no listening socket on {addr}"));
            };
            let dev = socket2::SockRef::from(&fd)
                .device()
                .ok()
                .flatten()
                .map(|d| String::from_utf8_lossy(&d).into_owned());
            let queue = ss_backlog(addr).unwrap_or_default();
            shown.push(format!(
                "{queue} defer={} mss={} tfo={} user-timeout={} transparent={} device={dev:?}",
                int_opt(&fd, libc::IPPROTO_TCP, libc::TCP_DEFER_ACCEPT),
                int_opt(&fd, libc::IPPROTO_TCP, libc::TCP_MAXSEG),
                int_opt(&fd, libc::IPPROTO_TCP, libc::TCP_FASTOPEN),
                int_opt(&fd, libc::IPPROTO_TCP, libc::TCP_USER_TIMEOUT),
                int_opt(&fd, libc::SOL_IP, libc::IP_TRANSPARENT),
            ));
        }
        // Bound to `lo`, the listener still serves loopback clients.
        assert_eq!(exchange(b, b"hi", None), "hi", "{under:?}");
        Some(shown)
    });
    assert_same_as_haproxy("listening socket options", &seen);
    if let Some((_, shown)) = seen.last() {
        assert!(
            shown[0].starts_with("77 ")
                && shown[0].contains("defer=1 mss=1200 tfo=77 user-timeout=4000"),
            "{shown:?}"
        );
        assert!(
            shown[1].contains("transparent=1 device=Some(\"lo\")") && shown[1].starts_with("33 "),
            "{shown:?}"
        );
    }
}
