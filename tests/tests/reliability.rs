//! Reliability of the real proxyd binary: hitless reloads under load, overload and fd
//! exhaustion, backend and client faults, stalled checks, soak, chaos and hostile socket input.
//! Figures (connections, reloads, failures, fds, RSS, CPU) are printed; run with
//! `--nocapture` to see them.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::os::unix::net::UnixStream;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use e2e::backends::Backend;
use e2e::bins;
use e2e::config::Config;
use e2e::daemon::Daemon;
use e2e::faults::{self, Checked, EchoServer};
use e2e::ports;
use e2e::socket;

const RELOAD_KEY: &str = "Proxyd_reloads";

/// `show info` value of `key`.
fn info(daemon: &Daemon, key: &str) -> String {
    daemon
        .query("show info")
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}: ")).map(str::to_string))
        .unwrap_or_default()
}

fn num(daemon: &Daemon, px: &str, sv: &str, column: &str) -> u64 {
    daemon.stat(px, sv, column).parse().unwrap_or(0)
}

/// The sections of the reload test; `variant` 0 has server `s3`, 1 drops it (it drains).
fn reload_sections(fe: SocketAddr, servers: &[SocketAddr; 4], variant: usize) -> String {
    let mut text = format!(
        "frontend fe\n    bind {fe}\n    default_backend be\n\nbackend be\n    balance roundrobin\n"
    );
    for (i, addr) in servers.iter().enumerate() {
        if i == 2 && variant == 1 {
            continue;
        }
        text.push_str(&format!("    server s{} {addr} weight 10\n", i + 1));
    }
    text
}

#[test]
fn reloads_under_load_drop_nothing_and_keep_server_state() {
    const CLIENTS: usize = 200;
    const RELOADS: usize = 20;
    let echoes: Vec<EchoServer> = (0..4).map(|_| EchoServer::start()).collect();
    let addrs = [
        echoes[0].addr(),
        echoes[1].addr(),
        echoes[2].addr(),
        echoes[3].addr(),
    ];
    let fe = ports::free_addr();
    let base = Config::new().global("maxconn 2000");
    let head = base.render();
    let daemon = Daemon::proxyd(base.section(reload_sections(fe, &addrs, 0)));

    // State set over the socket that every reload must keep.
    daemon.query("set server be/s4 state maint");
    daemon.query("set server be/s1 weight 7");

    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let opened = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut workers = Vec::new();
    for i in 0..CLIENTS {
        let (stop, done, opened, failures) =
            (stop.clone(), done.clone(), opened.clone(), failures.clone());
        workers.push(thread::spawn(move || {
            // Each client keeps a connection busy and replaces it every few exchanges, so new
            // connections are opened all through the reloads.
            while !stop.load(Ordering::SeqCst) {
                opened.fetch_add(1, Ordering::SeqCst);
                let result = Checked::connect(fe).and_then(|mut c| {
                    for k in 0..8 {
                        c.roundtrip(512 + (i * 37 + k * 101) % 3000)?;
                        done.fetch_add(1, Ordering::SeqCst);
                        thread::sleep(Duration::from_millis(20));
                    }
                    c.finish()
                });
                if let Err(e) = result {
                    failures
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(e.to_string());
                    return;
                }
            }
        }));
    }

    let mut last_stot = 0;
    let mut good = 0;
    let mut bad = 0;
    let bad_text = format!(
        "{head}\n{}    frobnicate now\n",
        reload_sections(fe, &addrs, 0)
    );
    for n in 0..RELOADS {
        let is_bad = n % 5 == 3;
        let text = if is_bad {
            bad_text.clone()
        } else {
            format!("{head}\n{}", reload_sections(fe, &addrs, n % 2))
        };
        std::fs::write(daemon.config_path(), &text).expect("write config");
        faults::signal(daemon.pid(), if n % 4 == 1 { "USR2" } else { "HUP" });
        if is_bad {
            bad += 1;
            daemon.wait_until(
                "the bad configuration to be rejected",
                Duration::from_secs(20),
                |d| d.stderr().matches("Reload failed").count() == bad,
            );
        } else {
            good += 1;
            daemon.wait_until("the reload to be applied", Duration::from_secs(20), |d| {
                info(d, RELOAD_KEY) == good.to_string()
            });
        }
        let stot = num(&daemon, "fe", "FRONTEND", "stot");
        assert!(
            stot >= last_stot,
            "FRONTEND stot went down across a reload: {last_stot} -> {stot}"
        );
        last_stot = stot;
        thread::sleep(Duration::from_millis(150));
    }
    // Let the last configuration (without s3) serve a while, then stop the clients.
    thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::SeqCst);
    for w in workers {
        let _ = w.join();
    }
    let failures = failures.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let exchanges = done.load(Ordering::SeqCst);
    let connections = opened.load(Ordering::SeqCst);
    eprintln!(
        "reload under load: {CLIENTS} clients, {connections} connections, {exchanges} byte-checked \
         exchanges, {good} good + {bad} bad reloads, {} failures",
        failures.len()
    );
    if !failures.is_empty() {
        daemon.fail(&format!(
            "{} connections failed: {:?}",
            failures.len(),
            &failures[..failures.len().min(10)]
        ));
    }

    // Server state set over the socket survived every reload.
    let stat = daemon.show_stat();
    assert_eq!(
        stat.get("be", "s4", "status"),
        Some("MAINT"),
        "MAINT lost across reloads"
    );
    assert_eq!(
        stat.get("be", "s1", "weight"),
        Some("7"),
        "weight lost across reloads"
    );
    assert!(
        echoes[2].served() > 0,
        "s3 never served before it was removed"
    );
    // The bad configuration was reported with the same errors as `-c`.
    std::fs::write(daemon.config_dir_file("bad.cfg"), &bad_text).expect("write bad.cfg");
    let check = Command::new(bins::proxyd())
        .arg("-c")
        .arg("-f")
        .arg(daemon.config_dir_file("bad.cfg"))
        .output()
        .expect("run proxyd -c");
    assert!(
        !check.status.success(),
        "proxyd -c accepted the bad configuration"
    );
    let check_err = String::from_utf8_lossy(&check.stderr).replace("bad.cfg", "haproxy.cfg");
    let stderr = daemon.stderr();
    let alerts: Vec<&str> = check_err
        .lines()
        .filter(|l| l.contains("parsing ["))
        .collect();
    assert!(
        !alerts.is_empty(),
        "`-c` gave no parsing alert:\n{check_err}"
    );
    for line in alerts {
        // The pid in the prefix differs; the text from `parsing [file:line]` on must not.
        let body = line.split_once("parsing").map_or(line, |(_, b)| b);
        assert!(
            stderr.contains(body),
            "reload did not report {body:?} as `-c` does;\n-c said:\n{check_err}"
        );
    }
    let total = num(&daemon, "fe", "FRONTEND", "stot");
    assert!(
        total as usize >= connections.saturating_sub(CLIENTS),
        "stot {total} < connections {connections}"
    );
}

/// The Daemon's directory holds the config; helper files go beside it.
trait DirFile {
    fn config_dir_file(&self, name: &str) -> std::path::PathBuf;
}

impl DirFile for Daemon {
    fn config_dir_file(&self, name: &str) -> std::path::PathBuf {
        self.config().dir().join(name)
    }
}

/// `show startup-logs` holds what proxyd wrote on stderr while reading its configuration: the
/// warnings of the start, replaced by those of a reload that succeeds, kept through one that
/// fails (the running configuration is still the one they describe).
#[test]
fn startup_logs_follow_the_configuration_that_runs() {
    let echo = EchoServer::start();
    let fe = ports::free_addr();
    let base = Config::new();
    let head = base.render();
    let sections = |warned: &str| {
        format!(
            "frontend fe\n    bind {fe}\n    {warned}\n    default_backend be\nbackend be\n    server s1 {}\n",
            echo.addr()
        )
    };
    let daemon = Daemon::proxyd(base.section(sections("option httplog")));
    let logs = daemon.query("show startup-logs");
    assert!(
        logs.contains("[WARNING]") && logs.contains("'option httplog'"),
        "start: {logs:?}"
    );
    assert!(!logs.contains("http-server-close"), "{logs:?}");

    daemon.reload_with(
        &format!("{head}\n{}", sections("option http-server-close")),
        "USR2",
    );
    let logs = daemon.query("show startup-logs");
    assert!(
        logs.contains("'option http-server-close'") && !logs.contains("httplog"),
        "after a reload: {logs:?}"
    );

    std::fs::write(
        daemon.config_path(),
        format!("{head}\n{}", sections("frobnicate now")),
    )
    .expect("write config");
    faults::signal(daemon.pid(), "USR2");
    daemon.wait_until(
        "the bad reload to be rejected",
        Duration::from_secs(20),
        |d| d.stderr().contains("Reload failed"),
    );
    assert_eq!(
        daemon.query("show startup-logs"),
        logs,
        "a failed reload changed them"
    );
    assert_eq!(
        daemon.query_on(&daemon.user_socket(), "show startup-logs"),
        "Permission denied\n\n"
    );
}

#[test]
fn removed_server_drains_its_sessions_after_reload() {
    let keep = EchoServer::start();
    let gone = EchoServer::start();
    let fe = ports::free_addr();
    let base = Config::new();
    let head = base.render();
    let both = format!(
        "frontend fe\n    bind {fe}\n    default_backend be\n\nbackend be\n    balance roundrobin\n    server keep {}\n    server gone {}\n",
        keep.addr(),
        gone.addr()
    );
    let daemon = Daemon::proxyd(base.section(both));
    let mut conns: Vec<Checked> = (0..6)
        .map(|_| {
            let mut c = Checked::connect(fe).expect("connect");
            c.roundtrip(100).expect("first echo");
            c
        })
        .collect();
    assert!(
        gone.open_connections() >= 2,
        "no session on the server to be removed"
    );
    let only_keep = format!(
        "{head}\nfrontend fe\n    bind {fe}\n    default_backend be\n\nbackend be\n    server keep {}\n",
        keep.addr()
    );
    daemon.reload_with(&only_keep, "HUP");
    let before = gone.served();
    for c in &mut conns {
        c.roundtrip(4000)
            .expect("a session of the removed server was cut by the reload");
    }
    for c in conns {
        c.finish().expect("clean close");
    }
    for _ in 0..10 {
        faults::short_connection(fe, 64).expect("new connection after reload");
    }
    assert_eq!(
        gone.served(),
        before,
        "a new connection went to the removed server"
    );
    assert!(
        daemon.show_stat().row("be", "gone").is_none(),
        "removed server still listed"
    );
}

/// A reload applies a server's changed settings (here `maxconn` and `maxqueue`; any setting of its line or of its checks): that
/// server starts afresh with them, as every server does after an HAProxy reload, while a server
/// whose configuration did not change keeps its counters and state.
#[test]
fn reload_applies_changed_server_settings_and_keeps_unchanged_servers() {
    let a = EchoServer::start();
    let b = EchoServer::start();
    let fe = ports::free_addr();
    let base = Config::new();
    let head = base.render();
    let sections = |a_opts: &str| {
        format!(
            "frontend fe\n    bind {fe}\n    default_backend be\n\nbackend be\n    balance first\n    server a {} {a_opts}\n    server b {} maxconn 1\n",
            a.addr(),
            b.addr()
        )
    };
    let daemon = Daemon::proxyd(base.section(sections("maxconn 1 maxqueue 5")));
    // One session on each server (`first` fills a, then b), then both closed.
    let mut one = Checked::connect(fe).expect("connect");
    one.roundtrip(10).expect("echo on a");
    let mut two = Checked::connect(fe).expect("connect");
    two.roundtrip(10).expect("echo on b");
    one.finish().expect("close");
    two.finish().expect("close");
    daemon.wait_until("both sessions counted", Duration::from_secs(10), |d| {
        d.stat("be", "a", "stot") == "1" && d.stat("be", "b", "stot") == "1"
    });
    daemon.query("disable server be/b");
    daemon.reload_with(
        &format!("{head}\n{}", sections("maxconn 3 maxqueue 7")),
        "HUP",
    );
    let t = daemon.show_stat();
    assert_eq!(t.get("be", "a", "slim"), Some("3"), "new maxconn applied");
    assert_eq!(
        t.get("be", "a", "qlimit"),
        Some("7"),
        "new maxqueue applied"
    );
    assert_eq!(
        t.get("be", "a", "stot"),
        Some("0"),
        "a changed server starts afresh"
    );
    assert_eq!(
        t.get("be", "b", "stot"),
        Some("1"),
        "an unchanged server keeps its counters"
    );
    assert_eq!(t.get("be", "b", "status"), Some("MAINT"), "and its state");
}

/// A wrapper that starts proxyd with at most `nofile` open files.
fn proxyd_with_fd_limit(config: Config, nofile: u32) -> Daemon {
    let wrapper = config.dir().join("proxyd-ulimit.sh");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nulimit -n {nofile} || exit 97\nexec {} \"$@\"\n",
            bins::proxyd().display()
        ),
    )
    .expect("write wrapper");
    let made = Command::new("chmod")
        .arg("755")
        .arg(&wrapper)
        .status()
        .expect("chmod");
    assert!(made.success());
    let daemon = Daemon::start(&wrapper, config);
    daemon.wait_ready(e2e::daemon::READY_TIMEOUT);
    daemon
}

#[test]
fn fd_exhaustion_refuses_politely_without_spinning_and_recovers() {
    const NOFILE: u32 = 64;
    let echo = EchoServer::start();
    let fe = ports::free_addr();
    let config = Config::new()
        .log_to_stderr()
        .global("maxconn 1000")
        .frontend("fe", fe, "be")
        .section(format!("backend be\n    server s1 {}\n", echo.addr()));
    let daemon = proxyd_with_fd_limit(config, NOFILE);
    assert_eq!(
        info(&daemon, "Ulimit-n"),
        NOFILE.to_string(),
        "Ulimit-n is not the process limit"
    );
    assert_eq!(
        info(&daemon, "Maxconn"),
        "1000",
        "Maxconn is not the configured one"
    );
    let pid = daemon.pid();

    // Far more connections than fds: each proxied one needs two.
    let mut held = Vec::new();
    let mut refused = 0;
    let mut served = 0;
    for _ in 0..80 {
        match std::net::TcpStream::connect_timeout(&fe, Duration::from_secs(5)) {
            Ok(s) => held.push(s),
            Err(_) => refused += 1,
        }
    }
    let cpu_before = faults::cpu_time(pid);
    let window = Instant::now();
    for (i, s) in held.iter_mut().enumerate() {
        // The first connection has fds to spare and must be served even on a loaded machine;
        // the others are only sampled.
        let wait = if i == 0 {
            faults::IO_TIMEOUT
        } else {
            Duration::from_millis(30)
        };
        let _ = s.set_read_timeout(Some(wait));
        let _ = s.write_all(b"ping");
        let mut buf = [0u8; 4];
        if s.read_exact(&mut buf).is_ok() && &buf == b"ping" {
            served += 1;
        }
    }
    thread::sleep(Duration::from_secs(3).saturating_sub(window.elapsed()));
    let cpu = faults::cpu_time(pid).saturating_sub(cpu_before);
    let elapsed = window.elapsed();
    eprintln!(
        "fd exhaustion: ulimit -n {NOFILE}, 80 connections: {served} served, {refused} refused at \
         connect, the rest waiting; proxyd used {cpu:?} CPU in {elapsed:?}; {} fds open",
        faults::fd_count(pid)
    );
    assert!(
        daemon.exit_status().is_none(),
        "proxyd died when out of fds"
    );
    assert!(
        served > 0 && served < 80,
        "expected some but not all connections served, got {served}"
    );
    assert!(
        cpu < elapsed / 3,
        "proxyd spun while out of fds: {cpu:?} CPU in {elapsed:?}"
    );
    let alerts = daemon.stderr().matches("reached system fd limit").count();
    assert_eq!(
        alerts, 1,
        "fd exhaustion should be logged once per episode, got {alerts}"
    );

    drop(held);
    // Recovery: new connections succeed once the others are closed.
    let mut last = String::new();
    let recovered = socket::wait_for(Duration::from_secs(20), || {
        match faults::short_connection(fe, 1000) {
            Ok(()) => true,
            Err(e) => {
                last = e.to_string();
                false
            }
        }
    });
    if !recovered {
        daemon.fail(&format!("no recovery after fds were released: {last}"));
    }
    for _ in 0..20 {
        faults::short_connection(fe, 1000)
            .unwrap_or_else(|e| daemon.fail(&format!("after recovery: {e}")));
    }
    assert_eq!(info(&daemon, "Ulimit-n"), NOFILE.to_string());
}

#[test]
fn frontend_maxconn_holds_extra_connections_in_the_backlog() {
    let echo = EchoServer::start();
    let fe = ports::free_addr();
    let config = Config::new()
        .section(format!(
            "frontend fe\n    bind {fe}\n    maxconn 5\n    default_backend be\n"
        ))
        .section(format!("backend be\n    server s1 {}\n", echo.addr()));
    let daemon = Daemon::proxyd(config);
    let mut first: Vec<Checked> = (0..5)
        .map(|_| {
            let mut c = Checked::connect(fe).expect("connect");
            c.roundtrip(10).expect("echo");
            c
        })
        .collect();
    // The sixth is accepted by the kernel but not by proxyd until a slot frees.
    let sixth = Checked::connect(fe).expect("connect sixth");
    sixth
        .stream()
        .set_read_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    sixth.stream().set_nonblocking(false).expect("blocking");
    let waited = sixth.stream().write_all(b"x").and_then(|_| {
        let mut b = [0u8; 1];
        sixth.stream().read_exact(&mut b)
    });
    assert!(
        waited.is_err(),
        "a sixth connection was served beyond frontend maxconn 5"
    );
    assert_eq!(num(&daemon, "fe", "FRONTEND", "scur"), 5);
    first.pop().expect("one").finish().expect("close");
    sixth
        .stream()
        .set_read_timeout(Some(faults::IO_TIMEOUT))
        .expect("timeout");
    let mut b = [0u8; 1];
    sixth
        .stream()
        .read_exact(&mut b)
        .expect("the waiting connection is served once a slot frees");
    assert_eq!(&b, b"x");
    assert_eq!(num(&daemon, "fe", "FRONTEND", "slim"), 5);
}

#[test]
fn backend_killed_mid_transfer_ends_only_its_sessions_and_counts_srv_abrt() {
    let doomed = EchoServer::start();
    let healthy = EchoServer::start();
    let fe = ports::free_addr();
    let daemon = Daemon::proxyd(Config::new().frontend("fe", fe, "be").section(format!(
        "backend be\n    balance roundrobin\n    server doomed {}\n    server healthy {}\n",
        doomed.addr(),
        healthy.addr()
    )));
    let mut conns: Vec<Checked> = (0..10)
        .map(|_| {
            let mut c = Checked::connect(fe).expect("connect");
            c.roundtrip(2000).expect("echo");
            c
        })
        .collect();
    let on_doomed = doomed.served();
    assert_eq!(on_doomed + healthy.served(), 10);
    doomed.kill();
    let mut failed = 0;
    for c in &mut conns {
        if c.roundtrip(2000).is_err() {
            failed += 1;
        }
    }
    assert_eq!(
        failed, on_doomed,
        "only the killed server's sessions may fail"
    );
    daemon.wait_until(
        "srv_abrt on the killed server",
        Duration::from_secs(10),
        |d| num(d, "be", "doomed", "srv_abrt") == on_doomed as u64,
    );
    assert_eq!(num(&daemon, "be", "doomed", "eresp"), on_doomed as u64);
    assert_eq!(num(&daemon, "be", "healthy", "srv_abrt"), 0);
    assert_eq!(num(&daemon, "be", "BACKEND", "srv_abrt"), on_doomed as u64);
}

#[test]
fn client_that_vanishes_counts_cli_abrt() {
    let echo = EchoServer::start();
    let fe = ports::free_addr();
    let daemon = Daemon::proxyd(
        Config::new()
            .frontend("fe", fe, "be")
            .section(format!("backend be\n    server s1 {}\n", echo.addr())),
    );
    let mut c = Checked::connect(fe).expect("connect");
    c.roundtrip(100).expect("echo");
    c.reset();
    daemon.wait_until(
        "cli_abrt after a client reset",
        Duration::from_secs(10),
        |d| num(d, "be", "s1", "cli_abrt") == 1 && num(d, "be", "BACKEND", "cli_abrt") == 1,
    );
    assert_eq!(num(&daemon, "be", "s1", "srv_abrt"), 0);
    faults::short_connection(fe, 100).expect("proxy still serves");
}

#[test]
fn a_stalled_check_target_does_not_delay_other_checks() {
    let stalled = Backend::silent();
    let good = Backend::http(200);
    let fe = ports::free_addr();
    let daemon = Daemon::proxyd(
        Config::new()
            .defaults("timeout check 10s")
            .frontend("fe", fe, "be")
            .section(format!(
                "backend be\n    option httpchk GET /health\n    server stalled {} check inter 200ms\n    server good {} check inter 200ms\n",
                stalled.addr(),
                good.addr()
            )),
    );
    daemon.wait_until(
        "the stalled server to be probed",
        Duration::from_secs(10),
        |_| stalled.accepted() >= 1,
    );
    let start = good.requests().len();
    let t0 = Instant::now();
    thread::sleep(Duration::from_secs(3));
    let checks = good.requests().len() - start;
    let elapsed = t0.elapsed();
    eprintln!(
        "stalled check: good server checked {checks} times in {elapsed:?} (inter 200ms) while \
         the stalled one was connected {} times",
        stalled.accepted()
    );
    assert!(
        checks >= 7,
        "other checks lost their rhythm: {checks} in {elapsed:?}"
    );
    assert_eq!(daemon.stat("be", "good", "status"), "UP");
}

#[test]
fn unresolvable_server_host_fails_start_naming_file_and_line() {
    let fe = ports::free_addr();
    let config = Config::new()
        .frontend("fe", fe, "be")
        .section("backend be\n    server s1 no-such-host.invalid:80\n");
    let text = config.render();
    let line = text
        .lines()
        .position(|l| l.contains("no-such-host.invalid"))
        .expect("server line")
        + 1;
    let daemon = Daemon::start(&bins::proxyd(), config);
    let mut status = None;
    socket::wait_for(Duration::from_secs(30), || {
        status = daemon.exit_status();
        status.is_some()
    });
    let stderr = daemon.stderr();
    let status =
        status.unwrap_or_else(|| daemon.fail("proxyd kept running with an unresolvable server"));
    assert_eq!(status.code(), Some(1), "{stderr}");
    let place = format!("haproxy.cfg:{line}]");
    assert!(
        stderr.contains(&place) && stderr.contains("no-such-host.invalid"),
        "error should name {place} and the host:\n{stderr}"
    );
}

/// `count` short connections, `parallel` at a time; returns (failures, first error).
fn short_connections(fe: SocketAddr, count: usize, parallel: usize) -> (usize, String) {
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let first = Arc::new(Mutex::new(String::new()));
    let workers: Vec<_> = (0..parallel)
        .map(|_| {
            let (next, failed, first) = (next.clone(), failed.clone(), first.clone());
            thread::spawn(move || {
                while next.fetch_add(1, Ordering::SeqCst) < count {
                    if let Err(e) = faults::short_connection(fe, 64) {
                        failed.fetch_add(1, Ordering::SeqCst);
                        let mut f = first.lock().unwrap_or_else(|e| e.into_inner());
                        if f.is_empty() {
                            *f = e.to_string();
                        }
                    }
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.join();
    }
    let f = first.lock().unwrap_or_else(|e| e.into_inner()).clone();
    (failed.load(Ordering::SeqCst), f)
}

fn soak(count: usize) {
    let echo = EchoServer::start();
    let fe = ports::free_addr();
    let daemon = Daemon::proxyd(
        Config::new()
            .frontend("fe", fe, "be")
            .section(format!("backend be\n    server s1 {}\n", echo.addr())),
    );
    let pid = daemon.pid();
    // Warm up (thread pools, allocator arenas) before taking the baseline.
    let (failed, err) = short_connections(fe, 500, 8);
    assert_eq!(failed, 0, "warm-up failed: {err}");
    daemon.wait_until("warm-up sessions to end", Duration::from_secs(10), |d| {
        num(d, "fe", "FRONTEND", "scur") == 0
    });
    let fds0 = faults::fd_count(pid);
    let rss0 = faults::rss_kib(pid);
    let t0 = Instant::now();
    let (failed, err) = short_connections(fe, count, 8);
    let took = t0.elapsed();
    let mut fds1 = faults::fd_count(pid);
    socket::wait_for(Duration::from_secs(10), || {
        fds1 = faults::fd_count(pid);
        fds1 <= fds0
    });
    let rss1 = faults::rss_kib(pid);
    eprintln!(
        "soak: {count} connections in {took:?} ({:.0}/s), {failed} failed; fds {fds0} -> {fds1}; \
         RSS {rss0} KiB -> {rss1} KiB",
        count as f64 / took.as_secs_f64()
    );
    if failed > 0 {
        daemon.fail(&format!(
            "{failed} of {count} connections failed, first: {err}"
        ));
    }
    // The baseline may include a warm-up connection still closing: no more than it, then.
    assert!(fds1 <= fds0, "fds leaked: {fds0} before, {fds1} after");
    assert!(
        rss1 < rss0 + 32 * 1024,
        "RSS grew from {rss0} KiB to {rss1} KiB"
    );
    let stot = num(&daemon, "fe", "FRONTEND", "stot");
    assert_eq!(stot as usize, count + 500);
    assert_eq!(num(&daemon, "fe", "FRONTEND", "scur"), 0);
}

/// About 35 s on the 2-core machine (debug build), so it runs in the normal suite.
#[test]
fn soak_hundred_thousand_short_connections_returns_to_starting_fds() {
    soak(100_000);
}

#[test]
fn no_connection_reaches_a_server_while_the_socket_shows_it_down() {
    let mut servers: Vec<Option<EchoServer>> = (0..3).map(|_| Some(EchoServer::start())).collect();
    let addrs: Vec<SocketAddr> = servers.iter().flatten().map(|s| s.addr()).collect();
    let fe = ports::free_addr();
    let mut section =
        String::from("backend be\n    balance roundrobin\n    retries 3\n    option redispatch\n");
    for (i, a) in addrs.iter().enumerate() {
        section.push_str(&format!(
            "    server s{i} {a} check inter 200ms fall 2 rise 3\n"
        ));
    }
    let daemon = Daemon::proxyd(Config::new().frontend("fe", fe, "be").section(section));
    daemon.wait_until("all servers UP", Duration::from_secs(10), |d| {
        (0..3).all(|i| d.stat("be", &format!("s{i}"), "status") == "UP")
    });

    let stop = Arc::new(AtomicBool::new(false));
    let attempts = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let load: Vec<_> = (0..6)
        .map(|_| {
            let (stop, attempts, failed) = (stop.clone(), attempts.clone(), failed.clone());
            thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    attempts.fetch_add(1, Ordering::SeqCst);
                    if faults::short_connection(fe, 32).is_err() {
                        failed.fetch_add(1, Ordering::SeqCst);
                    }
                    thread::sleep(Duration::from_millis(5));
                }
            })
        })
        .collect();

    // (time, status) of each victim as the socket showed it, polled as fast as it answers.
    let mut timeline: Vec<Vec<(Instant, String)>> = vec![Vec::new(); 3];
    let mut data_times: Vec<Vec<Instant>> = vec![Vec::new(); 3];
    for round in 0..3 {
        let victim = round % 3;
        let name = format!("s{victim}");
        let killed = servers[victim].take().expect("victim running");
        data_times[victim].extend(killed.data_times());
        killed.kill();
        let poll = |until: &str, timeline: &mut Vec<(Instant, String)>| {
            let deadline = Instant::now() + Duration::from_secs(15);
            loop {
                let status = daemon.stat("be", &name, "status");
                timeline.push((Instant::now(), status.clone()));
                if status == until {
                    return;
                }
                if Instant::now() > deadline {
                    daemon.fail(&format!("{name} never became {until}"));
                }
                thread::sleep(Duration::from_millis(10));
            }
        };
        poll("DOWN", &mut timeline[victim]);
        thread::sleep(Duration::from_millis(300));
        servers[victim] = Some(EchoServer::start_on(addrs[victim]));
        poll("UP", &mut timeline[victim]);
        thread::sleep(Duration::from_millis(300));
    }
    stop.store(true, Ordering::SeqCst);
    for t in load {
        let _ = t.join();
    }
    let mut violations = Vec::new();
    for (victim, server) in servers.iter().enumerate() {
        if let Some(s) = server {
            data_times[victim].extend(s.data_times());
        }
        let line = &timeline[victim];
        for &t in &data_times[victim] {
            // A connection at `t` is a violation when the samples just before and just after
            // it both show DOWN: the server was DOWN the whole time in between.
            let before = line.iter().rev().find(|(at, _)| *at <= t);
            let after = line.iter().find(|(at, _)| *at > t);
            if let (Some((_, b)), Some((_, a))) = (before, after) {
                if b == "DOWN" && a == "DOWN" {
                    violations.push(format!("s{victim}"));
                }
            }
        }
    }
    let downs: usize = timeline
        .iter()
        .map(|l| l.iter().filter(|(_, s)| s == "DOWN").count())
        .sum();
    eprintln!(
        "chaos: 3 kill/restart rounds, {} connections ({} failed during the outages), {downs} DOWN samples, {} connections reached a DOWN server",
        attempts.load(Ordering::SeqCst),
        failed.load(Ordering::SeqCst),
        violations.len()
    );
    if !violations.is_empty() {
        daemon.fail(&format!(
            "connections reached servers shown DOWN: {violations:?}"
        ));
    }
}

/// Connect to a Unix stats socket.
fn unix(path: &std::path::Path) -> UnixStream {
    let s = UnixStream::connect(path).expect("connect stats socket");
    s.set_read_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    s
}

/// Everything the socket sends until it closes.
fn read_all(mut s: UnixStream) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    out
}

#[test]
fn stats_socket_survives_oversize_binary_slowloris_and_idle_crowds() {
    let daemon = Daemon::proxyd(Config::new().global("stats timeout 2s"));
    let path = daemon.socket();

    // Oversize line: refused with an error, never buffered without bound.
    let mut big = unix(&path);
    let _ = big.write_all(&vec![b'a'; 64 * 1024]);
    let answer = String::from_utf8_lossy(&read_all(big)).into_owned();
    assert!(
        answer.contains("too long"),
        "oversize line answered {answer:?}"
    );

    // Binary garbage: an error answer, and the socket still works.
    let mut bin = unix(&path);
    bin.write_all(b"\x00\xff\xfe\x01garbage\x7f\n")
        .expect("write");
    let answer = String::from_utf8_lossy(&read_all(bin)).into_owned();
    assert!(
        answer.contains("Unknown command"),
        "binary line answered {answer:?}"
    );

    // 500 idle connections and a slowloris sending one byte every half second.
    let idle: Vec<UnixStream> = (0..500).map(|_| unix(&path)).collect();
    let slow = unix(&path);
    let slow_start = Instant::now();
    let slow_thread = thread::spawn(move || {
        let mut slow = slow;
        for b in b"show info and never a newline".iter().cycle().take(40) {
            if slow.write_all(&[*b]).is_err() {
                break;
            }
            thread::sleep(Duration::from_millis(500));
        }
        slow_start.elapsed()
    });
    let t = Instant::now();
    let answer = daemon.query("show info");
    let took = t.elapsed();
    assert!(
        answer.contains("Pid: "),
        "well-behaved client got {answer:?}"
    );
    assert!(
        took < Duration::from_secs(5),
        "well-behaved client waited {took:?} behind idle ones"
    );

    // Idle connections time out (stats timeout 2s).
    let closed = idle
        .into_iter()
        .filter(|s| {
            let mut s = s;
            let mut b = [0u8; 1];
            matches!(s.read(&mut b), Ok(0))
        })
        .count();
    let slow_lasted = slow_thread.join().expect("slowloris thread");
    eprintln!(
        "stats socket: 500 idle connections, {closed} closed by the idle timeout; the slowloris was cut after {slow_lasted:?}; a well-behaved query took {took:?}"
    );
    assert_eq!(closed, 500, "idle connections were not timed out");
    assert!(
        slow_lasted < Duration::from_secs(10),
        "slowloris held its session {slow_lasted:?}"
    );
    assert!(daemon.query("show info").contains("Pid: "));
}

/// A reload numbers the servers it keeps as the new file numbers them, as HAProxy's new process
/// numbers every server: with `a` gone, `b` and `c` are 1 and 2 (what a fresh start of the new
/// file shows, in proxyd and in HAProxy), and `b` keeps its counters.
#[test]
fn a_reload_renumbers_kept_servers_as_the_new_file_does() {
    let servers: Vec<EchoServer> = (0..3).map(|_| EchoServer::start()).collect();
    let fe = ports::free_addr();
    let backend = |with_a: bool| {
        let mut text = "backend be\n    balance first\n".to_string();
        for (name, s) in ["a", "b", "c"].iter().zip(&servers) {
            if with_a || *name != "a" {
                text.push_str(&format!("    server {name} {}\n", s.addr()));
            }
        }
        text
    };
    let front = format!("frontend fe\n    bind {fe}\n    default_backend be\n");
    let base = Config::new();
    let head = base.render();
    let daemon = Daemon::proxyd(base.section(format!("{front}\n{}", backend(true))));
    daemon.query("disable server be/a");
    let mut one = Checked::connect(fe).expect("connect");
    one.roundtrip(10).expect("echo on b");
    one.finish().expect("close");
    daemon.wait_until("b's session counted", Duration::from_secs(10), |d| {
        d.stat("be", "b", "stot") == "1"
    });
    daemon.reload_with(&format!("{head}\n{front}\n{}", backend(false)), "HUP");
    let sids = |d: &Daemon| -> Vec<(String, String)> {
        ["b", "c"]
            .iter()
            .map(|s| (s.to_string(), d.stat("be", s, "sid")))
            .collect()
    };
    let expected = vec![("b".to_string(), "1".to_string()), ("c".into(), "2".into())];
    assert_eq!(sids(&daemon), expected, "after the reload");
    assert_eq!(daemon.stat("be", "b", "stot"), "1", "b kept its counters");
    let state = daemon.query("show servers state be");
    assert!(
        state.contains(" be 1 b ") && state.contains(" be 2 c "),
        "{state}"
    );
    // A reload that fails (its new listener's port is taken) after numbering the servers it
    // would keep leaves the running numbers.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let busy = taken.local_addr().expect("addr");
    std::fs::write(
        daemon.config_path(),
        format!(
            "{head}\n{front}\nfrontend other\n    bind {busy}\n    default_backend be\n\nbackend be\n    server c {}\n",
            servers[2].addr()
        ),
    )
    .expect("write config");
    faults::signal(daemon.pid(), "HUP");
    daemon.wait_for_stderr("Reload failed", Duration::from_secs(20));
    assert_eq!(sids(&daemon), expected, "after a failed reload");
    // A fresh start of the new file, in proxyd and in HAProxy.
    let fresh = Daemon::proxyd(Config::new().section(backend(false)));
    assert_eq!(sids(&fresh), expected, "proxyd started on the new file");
    if let Some(haproxy) = Daemon::haproxy(Config::new().section(backend(false))) {
        assert_eq!(sids(&haproxy), expected, "HAProxy started on the new file");
    }
}
