//! `haproxyctl` against a running proxyd (the topology of `e2e::topology`): the status table and
//! its plain-words check meanings, JSON keyed by the CSV names, `check` exit codes as servers go
//! down, admin commands that change proxyd's routing, `drain --wait`, and the refusal on a
//! `level user` socket.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use e2e::bins;
use e2e::client;
use e2e::config::Config;
use e2e::daemon::Daemon;
use e2e::ports;
use e2e::topology::{raw_fields, raw_stat, Binds, Topology};

fn ctl(socket: &Path, args: &[&str]) -> Output {
    Command::new(bins::haproxyctl())
        .arg("--socket")
        .arg(socket)
        .arg("--color")
        .arg("never")
        .args(args)
        .env("COLUMNS", "200")
        .env_remove("HAPROXY_SOCKET")
        .output()
        .expect("run haproxyctl")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `listen li_tcp` with unchecked servers on a closed port: their state is only what a test sets,
/// and the daemon is ready as soon as its socket answers.
fn unchecked(servers: &[&str]) -> Daemon {
    let mut section = format!("listen li_tcp\n    bind {}\n", ports::free_addr());
    for s in servers {
        section.push_str(&format!("    server {s} {}\n", ports::closed_addr()));
    }
    Daemon::proxyd(Config::new().section(section))
}

fn started() -> (Topology, Daemon, Binds) {
    let topo = Topology::new();
    let (cfg, binds) = topo.config();
    let d = Daemon::proxyd(cfg);
    topo.wait_settled(&d);
    (topo, d, binds)
}

#[test]
fn status_table_shows_states_and_check_meanings_and_json_uses_csv_names() {
    let (_topo, d, _) = started();
    let out = ctl(&d.socket(), &["status"]);
    let table = text(&out);
    assert!(out.status.success(), "{table}");
    let line = |srv: &str| -> String {
        table
            .lines()
            .find(|l| l.split_whitespace().next() == Some(srv))
            .unwrap_or_else(|| panic!("no row for {srv} in\n{table}"))
            .to_string()
    };
    assert!(
        line("up1").contains("UP") && line("up1").contains("L4OK"),
        "{table}"
    );
    let refused = line("refused");
    assert!(
        refused.contains("DOWN") && refused.contains("L4CON connection refused"),
        "{table}"
    );
    assert!(line("dis").contains("MAINT"), "{table}");
    assert!(line("nochk").contains("no check"), "{table}");
    assert!(table.contains("bk (backup)"), "{table}");
    let bad = line("bad");
    assert!(
        bad.contains("DOWN") && bad.contains("L7STS 503 Service Unavailable"),
        "{table}"
    );
    assert!(line("ok").contains("L7OK 200"), "{table}");

    // --down keeps only servers that are not fully up.
    let down = text(&ctl(&d.socket(), &["status", "--down"]));
    assert!(down.contains("refused") && down.contains("bad"), "{down}");
    assert!(
        !down.lines().any(|l| l.trim_start().starts_with("up1 ")),
        "{down}"
    );

    // --json: one object per row, keyed by the CSV header's names.
    let out = ctl(&d.socket(), &["status", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let rows = rows.as_array().expect("array");
    let (header, _) = raw_stat(&d.query("show stat"));
    let names: Vec<&str> = raw_fields(&header)
        .into_iter()
        .filter(|n| !n.is_empty() && *n != "-")
        .collect();
    let up1 = rows
        .iter()
        .find(|r| r["pxname"] == "be" && r["svname"] == "up1")
        .expect("be/up1 in JSON");
    let keys: Vec<&String> = up1.as_object().expect("object").keys().collect();
    for name in &names {
        assert!(
            keys.iter().any(|k| k == name),
            "JSON lacks {name}: {keys:?}"
        );
    }
    assert_eq!(up1["status"], "UP");
    assert_eq!(up1["check_status"], "L4OK");
}

#[test]
fn check_exit_codes_follow_servers_going_down() {
    let (_topo, d, _) = started();
    let sock = d.socket();
    let code = |args: &[&str]| ctl(&sock, args).status.code();
    assert_eq!(code(&["check", "li"]), Some(0), "li has its one server UP");
    assert_eq!(
        code(&["check"]),
        Some(1),
        "refused and bad are DOWN: WARNING"
    );
    // Both be_https servers down: a backend with no usable server is CRITICAL.
    assert_eq!(code(&["health", "be_https/ok", "down"]), Some(0));
    let out = ctl(&sock, &["check", "be_https"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    // MAINT is administrative, not a failure.
    assert_eq!(code(&["disable", "li/s1"]), Some(0));
    assert_eq!(d.stat("li", "s1", "status"), "MAINT");
    let out = ctl(&d.socket(), &["check", "li"]);
    assert_ne!(out.status.code(), Some(1), "{}", text(&out));
    // An unreadable socket is UNKNOWN.
    let missing = d.config().dir().join("nope.sock");
    assert_eq!(ctl(&missing, &["check"]).status.code(), Some(3));
}

fn sessions_to(d: &Daemon, binds: &Binds, n: usize) -> (u64, u64) {
    let count = |s: &str| d.stat("be", s, "stot").parse::<u64>().unwrap_or(0);
    let before = (count("up1"), count("nochk"));
    for _ in 0..n {
        let back = client::tcp_roundtrip(binds.fe, b"ping\n")
            .unwrap_or_else(|e| d.fail(&format!("session through fe: {e}")));
        assert_eq!(back, b"ping\n");
    }
    (count("up1") - before.0, count("nochk") - before.1)
}

#[test]
fn admin_commands_change_proxyd_routing() {
    let (_topo, d, binds) = started();
    let sock = d.socket();
    assert_eq!(sessions_to(&d, &binds, 4), (2, 2));
    let out = ctl(&sock, &["disable", "be/up1"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("be/up1"),
        "prints what changed: {}",
        text(&out)
    );
    assert_eq!(sessions_to(&d, &binds, 4), (0, 4));
    assert!(ctl(&sock, &["enable", "be/up1"]).status.success());
    assert!(ctl(&sock, &["drain", "be/nochk"]).status.success());
    assert!(d.stat("be", "nochk", "status").starts_with("DRAIN"));
    assert_eq!(sessions_to(&d, &binds, 4), (4, 0));
    assert!(ctl(&sock, &["ready", "be/nochk"]).status.success());
    assert!(ctl(&sock, &["weight", "be/up1", "3"]).status.success());
    assert_eq!(d.query("get weight be/up1"), "3 (initial 1)\n\n");
    assert_eq!(sessions_to(&d, &binds, 8), (6, 2));
    assert!(ctl(&sock, &["weight", "be/up1", "100%"]).status.success());
    assert!(ctl(&sock, &["health", "be/up1", "down"]).status.success());
    assert_eq!(d.stat("be", "up1", "status"), "DOWN");
    assert_eq!(sessions_to(&d, &binds, 3), (0, 3));
    // A level user socket refuses, says why, exits 4, and changes nothing.
    let out = ctl(&d.user_socket(), &["disable", "be/nochk"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(
        text(&out).contains("is a level user socket"),
        "{}",
        text(&out)
    );
    assert_eq!(d.stat("be", "nochk", "status"), "no check");
}

#[test]
fn drain_wait_finishes_when_the_last_session_ends() {
    let (_topo, d, binds) = started();
    // One open session through `li` to s1.
    let mut session = client::connect(binds.li).expect("connect li");
    session.write_all(b"hold\n").expect("write");
    let mut buf = [0u8; 5];
    session.read_exact(&mut buf).expect("echo");
    d.wait_until("s1 scur 1", Duration::from_secs(10), |d| {
        d.stat("li", "s1", "scur") == "1"
    });
    let mut child = Command::new(bins::haproxyctl())
        .arg("--socket")
        .arg(d.socket())
        .args([
            "drain",
            "li/s1",
            "--wait",
            "--max-wait",
            "30s",
            "--poll",
            "200ms",
        ])
        .args(["--then", "maint"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn haproxyctl drain");
    d.wait_until("s1 in DRAIN", Duration::from_secs(10), |d| {
        d.stat("li", "s1", "status").starts_with("DRAIN")
    });
    thread::sleep(Duration::from_millis(600));
    assert!(
        child.try_wait().expect("try_wait").is_none(),
        "drain --wait returned while a session was open"
    );
    drop(session);
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("drain --wait did not finish after the session closed");
        }
        thread::sleep(Duration::from_millis(50));
    };
    let out = child.wait_with_output().expect("output");
    assert!(status.success(), "{}", text(&out));
    assert_eq!(d.stat("li", "s1", "status"), "MAINT", "--then maint");
}

#[test]
fn sessions_lists_by_server_and_client_and_kill_ends_them() {
    let (_topo, d, binds) = started();
    let mut session = client::connect(binds.li).expect("connect li");
    session.write_all(b"hold\n").expect("write");
    let mut buf = [0u8; 5];
    session.read_exact(&mut buf).expect("echo");
    let local = session.local_addr().expect("local address").to_string();
    let sock = d.socket();
    let out = ctl(&sock, &["sessions", "li"]);
    let table = text(&out);
    assert!(out.status.success(), "{table}");
    let row = table
        .lines()
        .find(|l| l.contains(&local))
        .unwrap_or_else(|| panic!("no row for {local} in\n{table}"));
    assert!(
        row.contains("li/s1") && row.trim_start().starts_with("0x"),
        "{row}"
    );
    assert!(!text(&ctl(&sock, &["sessions", "be"])).contains(&local));
    let json = text(&ctl(
        &sock,
        &["sessions", "--json", "--client", "127.0.0.1"],
    ));
    let parsed: serde_json::Value = serde_json::from_str(&json).expect("JSON array");
    assert!(
        parsed.as_array().is_some_and(|a| a
            .iter()
            .any(|s| s["src"] == local.as_str() && s["srv"] == "s1")),
        "{json}"
    );
    // Reading sessions needs the operator level.
    let out = ctl(&d.user_socket(), &["sessions"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let out = ctl(
        &sock,
        &["sessions", "li/s1", "--client", "127.0.0.1", "--kill"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("1 session(s) ended"), "{}", text(&out));
    session
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    assert!(
        matches!(session.read(&mut buf), Ok(0) | Err(_)),
        "the session was not ended"
    );
    d.wait_until("no session on li", Duration::from_secs(10), |d| {
        !text(&ctl(&d.socket(), &["sessions", "li"])).contains(&local)
    });
}

#[test]
fn check_is_critical_when_the_backend_is_down_with_a_server_at_weight_0() {
    let d = unchecked(&["a", "b"]);
    let sock = d.socket();
    assert_eq!(
        ctl(&sock, &["weight", "li_tcp/a", "0"]).status.code(),
        Some(0)
    );
    assert_eq!(ctl(&sock, &["disable", "li_tcp/b"]).status.code(), Some(0));
    assert_eq!(d.stat("li_tcp", "a", "status"), "no check");
    assert_eq!(d.stat("li_tcp", "BACKEND", "status"), "DOWN");
    let out = ctl(&sock, &["check", "li_tcp"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).starts_with("HAPROXY CRITICAL - no usable server in li_tcp; 1 backend, active 0/2 up; weight 0: li_tcp/a;"),
        "{}",
        text(&out)
    );
    let out = ctl(&sock, &["status"]);
    assert!(
        text(&out).starts_with("li_tcp: DOWN, 0/2 active up (1 up at weight 0), roundrobin\n"),
        "{}",
        text(&out)
    );
    // Weight 0 on its own is an operator's decision: with b back the backend is UP and OK.
    assert_eq!(ctl(&sock, &["enable", "li_tcp/b"]).status.code(), Some(0));
    let out = ctl(&sock, &["check", "li_tcp"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("active 1/2 up; weight 0: li_tcp/a"),
        "{}",
        text(&out)
    );
}

#[test]
fn status_check_passes_admin_states_and_fails_a_down_backend() {
    let d = unchecked(&["a", "b"]);
    let sock = d.socket();
    let check = |d: &Daemon| ctl(&d.socket(), &["status", "--check"]);
    assert_eq!(ctl(&sock, &["drain", "li_tcp/a"]).status.code(), Some(0));
    let out = check(&d);
    assert_eq!(
        out.status.code(),
        Some(0),
        "DRAIN is intent: {}",
        text(&out)
    );
    assert_eq!(ctl(&sock, &["disable", "li_tcp/a"]).status.code(), Some(0));
    let out = check(&d);
    assert_eq!(
        out.status.code(),
        Some(0),
        "MAINT is intent: {}",
        text(&out)
    );
    // With both in maintenance nothing takes traffic: HAProxy's BACKEND row says DOWN.
    assert_eq!(ctl(&sock, &["disable", "li_tcp/b"]).status.code(), Some(0));
    let out = check(&d);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

#[test]
fn selectors_that_match_nothing_exit_2_and_change_nothing() {
    let d = unchecked(&["a", "b"]);
    let sock = d.socket();
    let usage = |args: &[&str], says: &str| {
        let out = ctl(&sock, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(text(&out).contains(says), "{args:?}: {}", text(&out));
    };
    usage(
        &["status", "--server", "nosuch", "--check"],
        "no server matches `nosuch`",
    );
    usage(&["status", "--server", "li_tcp/zz"], "no server matches");
    usage(
        &["status", "li_tcp", "--server", "zz"],
        "no server of the selected backends matches `zz`",
    );
    usage(
        &["sessions", "nosuch/x", "--json"],
        "no server matches `nosuch/x`",
    );
    usage(
        &["sessions", "nosuch", "--kill"],
        "no server matches `nosuch`",
    );
    usage(&["disable", "all", "--except", "all"], "no server left");
    usage(
        &[
            "drain", "all", "--except", "all", "--wait", "--then", "maint",
        ],
        "no server left",
    );
    assert_eq!(d.stat("li_tcp", "a", "status"), "no check");
    // `all` means every server, as for the admin commands; a state filter that leaves nothing
    // is an answer, not a typo.
    let out = ctl(&sock, &["status", "--server", "all"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains(" a ") && text(&out).contains(" b "),
        "{}",
        text(&out)
    );
    let out = ctl(&sock, &["status", "--down"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = ctl(&sock, &["sessions", "li_tcp/a", "--kill"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("0 session(s) ended"), "{}", text(&out));
}

#[test]
fn exec_and_show_exit_4_on_haproxy_error_answers() {
    let d = unchecked(&["a", "b"]);
    let sock = d.socket();
    for (args, answer) in [
        (
            &["exec", "set server li_tcp/zz state ready"][..],
            "No such server.",
        ),
        (
            &["exec", "set server nosuch/a state ready"],
            "No such backend.",
        ),
        (
            &["exec", "add server li_tcp/a 127.0.0.1:1"],
            "Already exists a server with the same name in backend.",
        ),
        (
            &["exec", "del server li_tcp/a"],
            "Only servers in maintenance mode can be deleted.",
        ),
        (&["exec", "show bogus"], "Unknown command"),
        (&["show", "bogus"], "Unknown command"),
        (&["show", "servers-state", "nosuch"], "Can't find backend."),
    ] {
        let out = ctl(&sock, args);
        assert_eq!(out.status.code(), Some(4), "{args:?}: {}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stdout).starts_with(answer),
            "{args:?}: {}",
            text(&out)
        );
    }
    // Answers that are results, or notices, are not refusals.
    for args in [
        &["exec", "get weight li_tcp/a"][..],
        &["exec", "set server li_tcp/a state ready"],
        &["show", "servers-state", "li_tcp"],
        &["show", "version"],
    ] {
        let out = ctl(&sock, args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
    }
    assert_eq!(d.stat("li_tcp", "a", "status"), "no check");
}

#[test]
fn admin_commands_on_several_sockets_change_nothing_unless_all_allow_them() {
    let d = unchecked(&["a", "b"]);
    let both = |args: &[&str]| {
        Command::new(bins::haproxyctl())
            .arg("-s")
            .arg(d.socket())
            .arg("-s")
            .arg(d.user_socket())
            .args(args)
            .env_remove("HAPROXY_SOCKET")
            .output()
            .expect("run haproxyctl")
    };
    for args in [&["disable", "li_tcp/a"][..], &["clear-counters", "--all"]] {
        let out = both(args);
        assert_eq!(out.status.code(), Some(4), "{args:?}: {}", text(&out));
        assert!(
            text(&out).contains("is a level user socket")
                && text(&out).contains("nothing was changed"),
            "{args:?}: {}",
            text(&out)
        );
    }
    assert_eq!(d.stat("li_tcp", "a", "status"), "no check");
    // Reading works everywhere.
    let out = both(&["status"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn weight_warns_when_a_percentage_rounds_a_server_down_to_0() {
    let d = unchecked(&["a", "b"]);
    let sock = d.socket();
    let out = ctl(&sock, &["weight", "li_tcp/*", "50%"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "li_tcp/a: weight 1 → 0\nli_tcp/b: weight 1 → 0\n"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "haproxyctl: warning: `50%` left li_tcp/a, li_tcp/b at weight 0 (HAProxy rounds down): no new sessions go there\n"
    );
    // Asking for 0 is not a surprise.
    let out = ctl(&sock, &["weight", "li_tcp/a", "0"]);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{}", text(&out));
    let out = ctl(&sock, &["weight", "li_tcp/a", "100%"]);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{}", text(&out));
    assert_eq!(d.stat("li_tcp", "a", "weight"), "1");
}
