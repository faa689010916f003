//! Admin commands against a fake socket that records commands and applies them to the captured
//! `show stat`, so the before → after report can be checked.

// Helpers and fake servers here are test code: a failed step must fail the test loudly.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};

use common::*;

/// A fake HAProxy whose `set server … state|weight` changes its `show stat` answer.
fn stateful() -> FakeSocket {
    let csv = Arc::new(Mutex::new(fixture("show-stat.txt")));
    FakeSocket::start(move |cmd| {
        let mut csv = csv.lock().unwrap();
        let words: Vec<&str> = cmd.split(' ').collect();
        match words.as_slice() {
            ["show", "stat"] => csv.clone(),
            ["set", "server", target, what, value] => {
                let Some((b, s)) = target.split_once('/') else {
                    return "Require 'backend/server'.\n\n".into();
                };
                if !csv.contains(&format!("\n{b},{s},")) {
                    return "No such server.\n\n".into();
                }
                let (column, v) = match (*what, *value) {
                    ("state", "drain") => ("status", "DRAIN"),
                    ("state", "maint") => ("status", "MAINT"),
                    ("state", "ready") => ("status", "UP"),
                    ("health", "down") => ("status", "DOWN"),
                    ("weight", w) => ("weight", w),
                    _ => return "unexpected\n\n".into(),
                };
                *csv = set_field(&csv, b, s, column, v);
                "\n".into()
            }
            ["clear", "counters", ..] => "\n".into(),
            _ => fixture("unknown-command.txt"),
        }
    })
}

fn set_commands(sock: &FakeSocket) -> Vec<String> {
    sock.commands()
        .into_iter()
        .filter(|c| c.starts_with("set ") || c.starts_with("clear "))
        .collect()
}

#[test]
fn drain_sets_state_and_prints_the_change() {
    let sock = stateful();
    let o = run(&["-s", &sock.arg(), "drain", "be_app/web1"]);
    assert_code(&o, 0);
    assert_eq!(stdout(&o), "be_app/web1: UP → DRAIN\n");
    // `quit` is sent as the session closes; when the fake logs it races with the next connection.
    let commands: Vec<String> = sock
        .commands()
        .into_iter()
        .filter(|c| c != "quit")
        .collect();
    assert_eq!(
        commands,
        [
            "show cli level",
            "show stat",
            "prompt",
            "set server be_app/web1 state drain",
            "show stat"
        ]
    );
}

#[test]
fn globs_all_and_except_select_servers() {
    let sock = stateful();
    let o = run(&[
        "-s",
        &sock.arg(),
        "disable",
        "all",
        "--except",
        "be_api/*",
        "--except",
        "be_app/web3",
    ]);
    assert_code(&o, 0);
    assert_eq!(
        set_commands(&sock),
        [
            "set server be_app/web1 state maint",
            "set server be_app/web2 state maint",
            "set server be_app/spare state maint",
        ]
    );
    assert_eq!(
        stdout(&o),
        "be_app/web1: UP → MAINT\nbe_app/web2: DOWN → MAINT\nbe_app/spare: UP → MAINT\n"
    );
    let e = run(&["-s", &sock.arg(), "enable", "be_app/web[12]"]);
    assert_code(&e, 0);
    assert_eq!(
        stdout(&e),
        "be_app/web1: MAINT → UP\nbe_app/web2: MAINT → UP\n"
    );
}

#[test]
fn unmatched_or_malformed_selectors_change_nothing() {
    let sock = stateful();
    let o = run(&["-s", &sock.arg(), "disable", "be_app/web1", "be_app/nope"]);
    assert_code(&o, 2);
    assert_eq!(stderr(&o), "haproxyctl: no server matches `be_app/nope`\n");
    let bare = run(&["-s", &sock.arg(), "drain", "web1"]);
    assert_code(&bare, 2);
    assert!(stderr(&bare).contains("expected BACKEND/SERVER"));
    assert!(set_commands(&sock).is_empty());
}

#[test]
fn weight_health_and_clear_counters_send_the_right_commands() {
    let sock = stateful();
    let w = run(&["-s", &sock.arg(), "weight", "be_app/web1", "50"]);
    assert_code(&w, 0);
    assert_eq!(stdout(&w), "be_app/web1: weight 1 → 50\n");
    let h = run(&["-s", &sock.arg(), "health", "be_app/web1", "down"]);
    assert_eq!(stdout(&h), "be_app/web1: UP → DOWN\n");
    let c = run(&["-s", &sock.arg(), "clear-counters", "--all"]);
    assert_code(&c, 0);
    let bad = run(&["-s", &sock.arg(), "weight", "be_app/web1", "-3"]);
    assert_code(&bad, 2);
    assert_eq!(
        set_commands(&sock),
        [
            "set server be_app/web1 weight 50",
            "set server be_app/web1 health down",
            "clear counters all"
        ]
    );
}

#[test]
fn permission_denied_answer_names_the_socket_level() {
    let sock = FakeSocket::start(|cmd| {
        if cmd == "show stat" {
            fixture("show-stat.txt")
        } else {
            fixture("permission-denied.txt")
        }
    });
    let o = run(&["-s", &sock.arg(), "disable", "be_app/web1", "be_app/web2"]);
    assert_code(&o, 4);
    assert!(
        stderr(&o).contains("refused `set server be_app/web1 state maint`: Permission denied — this socket's level is too low"),
        "{}",
        stderr(&o)
    );
    // It stops at the first refusal: the rest would be refused the same way.
    assert!(!sock.commands().iter().any(|c| c.contains("web2")));
}

#[test]
fn other_refusals_keep_haproxy_words() {
    let sock = FakeSocket::start(|cmd| {
        if cmd == "show stat" {
            fixture("show-stat.txt")
        } else {
            fixture("no-such-server.txt")
        }
    });
    let o = run(&["-s", &sock.arg(), "ready", "be_app/web1"]);
    assert_code(&o, 4);
    assert!(stderr(&o).contains("rejected `set server be_app/web1 state ready`: No such server."));
}

#[test]
fn drain_wait_polls_until_idle_then_maint() {
    // Sessions drop by one per poll: 2, 1, 0.
    let polls = Arc::new(Mutex::new(0u32));
    let status = Arc::new(Mutex::new("UP".to_string()));
    let sock = FakeSocket::start(move |cmd| {
        let mut st = status.lock().unwrap();
        match cmd {
            "show stat" => {
                let mut n = polls.lock().unwrap();
                let scur = 2u32.saturating_sub(n.saturating_sub(2));
                *n += 1;
                let csv = set_field(
                    &fixture("show-stat.txt"),
                    "be_app",
                    "web1",
                    "scur",
                    &scur.to_string(),
                );
                set_field(&csv, "be_app", "web1", "status", &st)
            }
            "set server be_app/web1 state drain" => {
                *st = "DRAIN".into();
                "\n".into()
            }
            "set server be_app/web1 state maint" => {
                *st = "MAINT".into();
                "\n".into()
            }
            _ => "Unknown command.\n\n".into(),
        }
    });
    let o = run(&[
        "-s",
        &sock.arg(),
        "drain",
        "be_app/web1",
        "--wait",
        "--max-wait",
        "20s",
        "--then",
        "maint",
        "--poll",
        "20ms",
    ]);
    assert_code(&o, 0);
    assert_eq!(
        stdout(&o),
        "be_app/web1: UP → DRAIN\nbe_app/web1: DRAIN → MAINT\n"
    );
    let err = stderr(&o);
    assert!(err.contains("waiting: 2 sessions on be_app/web1"), "{err}");
    assert!(err.contains("waiting: 1 session on be_app/web1"), "{err}");
    assert!(err.contains("drained: no sessions left"), "{err}");
}

#[test]
fn drain_wait_timeout_leaves_drain_and_exits_1() {
    let csv = set_field(&fixture("show-stat.txt"), "be_app", "web1", "scur", "3");
    let sock = FakeSocket::start(move |cmd| match cmd {
        "show stat" => csv.clone(),
        _ => "\n".into(),
    });
    let o = run(&[
        "-s",
        &sock.arg(),
        "drain",
        "be_app/web1",
        "--wait",
        "--max-wait",
        "300ms",
        "--then",
        "maint",
        "--poll",
        "50ms",
    ]);
    assert_code(&o, 1);
    assert!(
        stderr(&o).contains("still 3 sessions on be_app/web1 after 300ms; servers left in DRAIN, not moved to maintenance"),
        "{}",
        stderr(&o)
    );
    assert!(!sock.commands().iter().any(|c| c.ends_with("state maint")));
}

#[test]
fn a_refusal_on_a_later_instance_still_reports_the_changes_made() {
    let a = stateful();
    // An instance that does not tell its level (as before HAProxy 2.0) and refuses changes.
    let b = FakeSocket::start(|cmd| match cmd {
        "show stat" => fixture("show-stat.txt"),
        "show cli level" => fixture("unknown-command.txt"),
        _ => fixture("permission-denied.txt"),
    });
    let o = run(&["-s", &a.arg(), "-s", &b.arg(), "disable", "be_app/web1"]);
    assert_code(&o, 4);
    // The refusing instance is reported too: what is known about it is that nothing changed.
    assert_eq!(
        stdout(&o),
        format!(
            "{}: be_app/web1: UP → MAINT\n{}: be_app/web1: UP (unchanged)\n",
            a.arg(),
            b.arg()
        )
    );
    assert!(stderr(&o).contains("Permission denied"), "{}", stderr(&o));
    let c = run(&["-s", &a.arg(), "-s", &b.arg(), "clear-counters", "--all"]);
    assert_code(&c, 4);
    assert_eq!(stdout(&c), format!("{}: all counters cleared\n", a.arg()));
}

#[test]
fn a_level_too_low_anywhere_changes_nothing_anywhere() {
    let a = stateful();
    let b = FakeSocket::start(|cmd| match cmd {
        "show stat" => fixture("show-stat.txt"),
        "show cli level" => fixture("cli-level-user.txt"),
        _ => fixture("permission-denied.txt"),
    });
    for args in [
        &["disable", "be_app/web1"][..],
        &["clear-counters", "--all"],
        &["clear-counters"],
        &["sessions", "--kill"],
    ] {
        let o = run(&[&["-s", &a.arg(), "-s", &b.arg()][..], args].concat());
        assert_code(&o, 4);
        assert_eq!(stdout(&o), "", "{args:?}");
        assert!(
            stderr(&o).contains(&format!("{} is a level user socket", b.arg())),
            "{args:?}: {}",
            stderr(&o)
        );
        assert!(stderr(&o).contains("nothing was changed"), "{}", stderr(&o));
    }
    assert!(set_commands(&a).is_empty(), "{:?}", a.commands());
}
