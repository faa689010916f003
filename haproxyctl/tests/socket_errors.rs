//! Bad sockets give the documented messages and exit statuses, within the timeout.

// Helpers and fake servers here are test code: a failed step must fail the test loudly.
#![allow(clippy::unwrap_used)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

#[test]
fn nonexistent_socket_exits_3_with_a_hint() {
    let o = run(&["--socket", "/nonexistent/stats", "status"]);
    assert_code(&o, 3);
    assert_eq!(
        stderr(&o),
        "haproxyctl: cannot connect to /nonexistent/stats: no such socket — is haproxy running with a \
         `stats socket` line? use --socket or HAPROXY_SOCKET\n"
    );
    assert_eq!(stdout(&o), "");
}

#[test]
fn missing_default_sockets_are_named() {
    if haproxyctl::instance::DEFAULT_SOCKETS
        .iter()
        .any(|p| std::path::Path::new(p).exists())
    {
        println!("note: a default socket exists on this machine; nothing to test here");
        return;
    }
    let o = run(&["status"]);
    assert_code(&o, 3);
    assert!(stderr(&o)
        .contains("no stats socket found at /var/lib/haproxy/stats or /run/haproxy/admin.sock"));
}

#[test]
fn stale_socket_file_is_connection_refused() {
    let dir = TempDir::new("stale");
    let path = dir.0.join("stats.sock");
    drop(UnixListener::bind(&path).unwrap());
    let o = run(&["-s", path.to_str().unwrap(), "status"]);
    assert_code(&o, 3);
    assert!(stderr(&o).contains("connection refused"), "{}", stderr(&o));
}

#[test]
fn permission_denied_exits_3_with_the_group_hint() {
    let dir = TempDir::new("perm");
    std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = dir.0.join("stats.sock");
    let _listener = UnixListener::bind(&path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args(["-s", path.to_str().unwrap(), "status"]);
    // root bypasses file permissions; run as `nobody` so the kernel really refuses.
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        cmd.uid(65534).gid(65534);
    }
    let o = cmd.output().unwrap();
    if o.status.code() == Some(0) || stderr(&o).contains("Permission denied (os error") {
        println!("note: could not drop privileges to test EACCES here; skipped");
        return;
    }
    assert_code(&o, 3);
    assert_eq!(
        stderr(&o),
        format!(
            "haproxyctl: cannot connect to {}: permission denied — run as a member of group haproxy or use --socket\n",
            path.display()
        )
    );
}

#[test]
fn silent_socket_times_out_within_the_bound() {
    let dir = TempDir::new("silent");
    let path = dir.0.join("stats.sock");
    let listener = UnixListener::bind(&path).unwrap();
    // Accept and hold connections without ever answering.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming() {
            held.push(s);
        }
    });
    let started = Instant::now();
    let o = run(&["-s", path.to_str().unwrap(), "--timeout", "300ms", "status"]);
    assert_code(&o, 3);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        stderr(&o).contains("no answer within 0.3s"),
        "{}",
        stderr(&o)
    );
    // `check` turns the same failure into UNKNOWN; --timeout also goes after the subcommand.
    let c = run(&["-s", path.to_str().unwrap(), "check", "--timeout", "300ms"]);
    assert_code(&c, 3);
    assert!(stdout(&c).starts_with("HAPROXY UNKNOWN"));
}

#[test]
fn bad_tcp_address_is_a_usage_error() {
    for addr in [
        "tcp://localhost",
        "tcp://127.0.0.1",
        "tcp://host:notaport",
        "tcp://:80",
    ] {
        let o = run(&["-s", addr, "status"]);
        assert_code(&o, 2);
        assert_eq!(
            stderr(&o),
            format!("haproxyctl: invalid socket address {addr}: expected tcp://HOST:PORT\n")
        );
    }
}

#[test]
fn tcp_sockets_work_too() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        use std::io::{BufRead, BufReader, Write};
        for s in listener.incoming().flatten() {
            let mut line = String::new();
            let mut r = BufReader::new(s.try_clone().unwrap());
            let _ = r.read_line(&mut line);
            let mut w = s;
            let _ = w.write_all(haproxy26_answer(line.trim()).as_bytes());
        }
    });
    let o = run(&["-s", &format!("tcp://{addr}"), "check", "be_app"]);
    assert_code(&o, 1);
}

#[test]
fn broken_pipe_on_stdout_is_success() {
    let sock = FakeSocket::haproxy26();
    // The JSON dump is larger than a pipe buffer, so the write really hits the closed pipe.
    let mut child = Command::new(BIN)
        .args(["-s", &sock.arg(), "exec", "show stat json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_code(&o, 0);
    assert_eq!(stderr(&o), "");
}

#[test]
fn a_socket_that_is_not_a_stats_socket_is_refused_by_sessions_too() {
    // What an HTTP listener (e.g. the stats page) answers to `show sess\n`.
    let sock = FakeSocket::start(|_| {
        "HTTP/1.1 400 Bad request\r\nContent-length: 90\r\nConnection: close\r\n\r\n<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n".into()
    });
    for args in [&["status"][..], &["sessions"], &["sessions", "--json"]] {
        let o = run(&[&["-s", &sock.arg()][..], args].concat());
        assert_code(&o, 4);
        assert!(stderr(&o).contains("rejected"), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("HTTP/1.1 400"),
            "{args:?}: {}",
            stderr(&o)
        );
        assert_eq!(stdout(&o), "", "{args:?}");
    }
}

#[test]
fn watch_that_never_reads_a_sample_exits_3_and_refuses_zero_samples() {
    let dir = TempDir::new("watch");
    let path = dir.0.join("stats.sock");
    let listener = UnixListener::bind(&path).unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming() {
            held.push(s);
        }
    });
    let s = path.to_str().unwrap();
    let o = run(&[
        "-s",
        s,
        "watch",
        "-n",
        "2",
        "-i",
        "100ms",
        "--timeout",
        "200ms",
    ]);
    assert_code(&o, 3);
    assert!(stdout(&o).contains("error: "), "{}", stdout(&o));
    let zero = run(&["-s", s, "watch", "-n", "0"]);
    assert_code(&zero, 2);
    // A socket that answers makes it a success, as before.
    let sock = FakeSocket::haproxy26();
    let ok = run(&["-s", &sock.arg(), "watch", "-n", "1"]);
    assert_code(&ok, 0);
}

#[test]
fn a_regular_file_or_directory_is_not_a_socket() {
    let dir = TempDir::new("notsock");
    let file = dir.0.join("stats");
    std::fs::write(&file, "").unwrap();
    for (path, what) in [(&file, "a regular file"), (&dir.0, "a directory")] {
        let o = run(&["-s", path.to_str().unwrap(), "status"]);
        assert_code(&o, 3);
        assert!(
            stderr(&o).contains(&format!("{what}, not a socket")),
            "{}",
            stderr(&o)
        );
        assert!(!stderr(&o).contains("refused"), "{}", stderr(&o));
    }
}
