//! Golden tests: bytes captured from HAProxy 2.6.12 (`tests/fixtures/haproxy-2.6`, config in
//! `haproxy.cfg` there) served from a fake socket to the real binary.

// Helpers and fake servers here are test code: a failed step must fail the test loudly.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

#[test]
fn status_table_matches_golden() {
    let sock = FakeSocket::haproxy26();
    let o = run(&["--socket", &sock.arg(), "status"]);
    assert_code(&o, 0);
    assert_eq!(stderr(&o), "");
    assert_golden("status.txt", &stdout(&o));
    assert_eq!(sock.commands(), ["show stat"]);
}

#[test]
fn status_is_not_coloured_when_piped_or_with_no_color() {
    let sock = FakeSocket::haproxy26();
    let plain = run(&["-s", &sock.arg(), "status"]);
    assert!(!stdout(&plain).contains('\x1b'), "escape codes in a pipe");
    let forced = run(&["-s", &sock.arg(), "status", "--color", "always"]);
    assert!(
        stdout(&forced).contains("\x1b["),
        "--color always must colour"
    );
    let no_color = run_env(&["-s", &sock.arg(), "status"], &[("NO_COLOR", "1")]);
    assert!(!stdout(&no_color).contains('\x1b'));
    let never = run(&["-s", &sock.arg(), "status", "--color", "never"]);
    assert!(!stdout(&never).contains('\x1b'));
    // An explicit `always` on the command line wins over NO_COLOR in the environment: real
    // colours (UP is green), no empty escape sequences.
    let always = run_env(
        &["-s", &sock.arg(), "status", "--color", "always"],
        &[("NO_COLOR", "1")],
    );
    assert!(
        stdout(&always).contains("\x1b[38;5;10m"),
        "{:?}",
        stdout(&always)
    );
    assert!(!stdout(&always).contains("\x1b[m"), "{:?}", stdout(&always));
}

#[test]
fn status_fits_80_columns() {
    let sock = FakeSocket::haproxy26();
    let o = run_env(&["-s", &sock.arg(), "status"], &[("COLUMNS", "80")]);
    assert_code(&o, 0);
    let out = stdout(&o);
    for line in out.lines() {
        assert!(line.chars().count() <= 80, "line too wide: {line:?}");
    }
    // The essentials survive narrowing.
    assert!(out.contains("L4CON connection refused") && out.contains("SESS"));
    assert_golden("status-80.txt", &out);
}

#[test]
fn status_filters_and_check_exit_status() {
    let sock = FakeSocket::haproxy26();
    let down = run(&["-s", &sock.arg(), "status", "--down", "--check"]);
    assert_code(&down, 1);
    let out = stdout(&down);
    assert!(out.contains("web2") && out.contains("web3") && !out.contains("web1"));
    let one = run(&[
        "-s",
        &sock.arg(),
        "status",
        "be_app",
        "--server",
        "web1",
        "--check",
    ]);
    assert_code(&one, 0);
    assert!(!stdout(&one).contains("api1"));
    let missing = run(&["-s", &sock.arg(), "status", "be_nope"]);
    assert_code(&missing, 2);
    assert!(stderr(&missing).contains("no backend matches `be_nope`"));
}

#[test]
fn status_json_uses_haproxy_names_and_keeps_unknown_fields() {
    let sock = FakeSocket::haproxy26();
    let o = run(&["-s", &sock.arg(), "status", "--json"]);
    assert_code(&o, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 6, "servers only");
    let web2 = rows.iter().find(|r| r["svname"] == "web2").unwrap();
    assert_eq!(web2["status"], "DOWN");
    assert_eq!(web2["check_status"], "L4CON");
    assert_eq!(web2["last_chk"], "Connection refused");
    assert_eq!(web2["scur"], 0);
    // Module columns after `-` are kept; the separator itself is not a field.
    assert!(web2.get("h1_bytes_in").is_some() && web2.get("-").is_none());
}

#[test]
fn status_csv_keeps_header_names() {
    let sock = FakeSocket::haproxy26();
    let o = run(&["-s", &sock.arg(), "status", "--csv", "be_api"]);
    assert_code(&o, 0);
    let out = stdout(&o);
    let mut lines = out.lines();
    assert!(lines.next().unwrap().starts_with("pxname,svname,qcur,"));
    assert_eq!(lines.clone().count(), 2);
    assert!(lines.all(|l| l.starts_with("be_api,api")));
    // The same columns as `show stat --csv`: HAProxy's `-` separator is not one.
    let show = run(&["-s", &sock.arg(), "show", "stat", "--csv"]);
    let header = |o: &std::process::Output| stdout(o).lines().next().unwrap().to_string();
    assert_eq!(header(&o), header(&show));
    assert!(!header(&o).split(',').any(|c| c == "-"), "{}", header(&o));
    assert_eq!(header(&o).split(',').count(), 127);
}

#[test]
fn several_sockets_add_an_instance_column() {
    let a = FakeSocket::haproxy26();
    let b = FakeSocket::haproxy26();
    let o = run(&["-s", &a.arg(), "-s", &b.arg(), "status", "be_api"]);
    assert_code(&o, 0);
    let out = stdout(&o);
    assert!(out.contains("INSTANCE"));
    assert_eq!(out.matches(&a.arg()).count(), 2);
    assert_eq!(out.matches(&b.arg()).count(), 2);
    let j = run(&[
        "-s",
        &format!("{},{}", a.arg(), b.arg()),
        "status",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&j)).unwrap();
    assert_eq!(v[0]["instance"], a.arg());
}

#[test]
fn check_reports_nagios_status() {
    let sock = FakeSocket::haproxy26();
    let all = run(&["-s", &sock.arg(), "check"]);
    assert_code(&all, 2);
    assert_eq!(
        stdout(&all),
        "HAPROXY CRITICAL - no usable server in be_api; down: be_app/web2, be_api/api1, be_api/api2; \
         2 backends, active 1/5 up; backup 1/1 up; admin: be_app/web3 MAINT | active_up=1 active_total=5 \
         backup_up=1 backup_total=1 down=3 admin=1\n"
    );
    let app = run(&["-s", &sock.arg(), "check", "be_app"]);
    assert_code(&app, 1);
    assert!(stdout(&app).starts_with("HAPROXY WARNING - down: be_app/web2;"));
}

#[test]
fn check_treats_maint_drain_and_transitions_as_fine() {
    let csv = fixture("show-stat.txt");
    let csv = set_field(&csv, "be_app", "web2", "status", "UP 2/3");
    let csv = set_field(&csv, "be_app", "web1", "status", "DRAIN");
    let sock = FakeSocket::start(move |cmd| match cmd {
        "show stat" => csv.clone(),
        _ => "\n".into(),
    });
    let o = run(&["-s", &sock.arg(), "check", "be_app"]);
    assert_code(&o, 0);
    assert!(stdout(&o).starts_with("HAPROXY OK - 1 backend, active 1/3 up; backup 1/1 up; admin: be_app/web1 DRAIN, be_app/web3 MAINT"), "{}", stdout(&o));
}

#[test]
fn check_is_unknown_when_the_socket_is_unreadable() {
    let o = run(&["-s", "/nonexistent/haproxy.sock", "check"]);
    assert_code(&o, 3);
    assert!(stdout(&o).starts_with("HAPROXY UNKNOWN - cannot connect to /nonexistent/haproxy.sock"));
}

#[test]
fn show_passes_raw_answers_through() {
    let sock = FakeSocket::haproxy26();
    let o = run(&["-s", &sock.arg(), "show", "stat"]);
    assert_code(&o, 0);
    assert_eq!(stdout(&o), fixture("show-stat.txt"));
    let e = run(&["-s", &sock.arg(), "exec", "show version"]);
    assert_eq!(stdout(&e), fixture("show-version.txt"));
    let bad = run(&["-s", &sock.arg(), "exec", "bogus"]);
    assert_code(&bad, 4);
    assert!(stdout(&bad).starts_with("Unknown command"));
}

#[test]
fn show_json_for_info_servers_state_and_backends() {
    let sock = FakeSocket::haproxy26();
    let info = run(&["-s", &sock.arg(), "show", "info", "--json"]);
    assert_code(&info, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&info)).unwrap();
    assert_eq!(v["Name"], "HAProxy");
    assert_eq!(v["Version"], "2.6.12-1+deb12u4");
    assert!(v.get("Unstoppable Jobs").is_some());

    let st = run(&["-s", &sock.arg(), "show", "servers-state", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&st)).unwrap();
    assert_eq!(v[2]["srv_name"], "web3");
    assert_eq!(v[2]["srv_admin_state"], 5);
    assert_eq!(v[2]["srv_fqdn"], serde_json::Value::Null);
    assert!(sock.commands().contains(&"show servers state".to_string()));

    let be = run(&["-s", &sock.arg(), "show", "backends", "--csv"]);
    assert_eq!(stdout(&be), "name\nbe_app\nbe_api\n");

    let stat = run(&["-s", &sock.arg(), "show", "stat", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&stat)).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 9);
    assert_eq!(v[0]["svname"], "FRONTEND");
}

#[test]
fn user_level_csv_without_addresses_still_renders() {
    let csv = fixture("show-stat-user.txt");
    let sock = FakeSocket::start(move |_| csv.clone());
    let o = run(&["-s", &sock.arg(), "status", "be_app"]);
    assert_code(&o, 0);
    assert!(stdout(&o).contains("web2") && stdout(&o).contains("L4CON"));
}

#[test]
fn fewer_columns_from_an_older_version_still_render() {
    // Only a handful of columns, in a different order: lookups are by name.
    let csv = "# svname,pxname,status,type,scur,\nweb1,be_old,UP,2,3,\nBACKEND,be_old,UP,1,3,\n\n";
    let sock = FakeSocket::start(move |_| csv.to_string());
    let o = run(&["-s", &sock.arg(), "status"]);
    assert_code(&o, 0);
    assert!(
        stdout(&o).contains("be_old: UP, 1/1 active up"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("web1"));
}

#[test]
fn show_json_or_csv_of_typed_or_json_answers_is_a_usage_error() {
    let sock = FakeSocket::haproxy26();
    for args in [
        &["show", "stat", "typed", "--json"][..],
        &["show", "stat", "typed", "--csv"],
        &["show", "stat", "json", "--json"],
        &["show", "info", "typed", "--json"],
        &["show", "info", "json", "--csv"],
    ] {
        let o = run(&[&["-s", &sock.arg()][..], args].concat());
        assert_code(&o, 2);
        assert_eq!(stdout(&o), "", "{args:?}");
        assert!(
            stderr(&o).contains("drop --json/--csv"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    assert!(
        sock.commands().is_empty(),
        "nothing is asked: {:?}",
        sock.commands()
    );
    // After servers-state the word is a backend's name, asked as such (this one does not exist).
    let be = run(&["-s", &sock.arg(), "show", "servers-state", "json", "--json"]);
    assert_code(&be, 4);
    assert_eq!(sock.commands(), ["show servers state json"]);
    // Without --json/--csv they are HAProxy's own formats, passed through.
    let typed = run(&["-s", &sock.arg(), "show", "stat", "typed"]);
    assert_code(&typed, 0);
    assert_eq!(stdout(&typed), fixture("show-stat-typed.txt"));
}

#[test]
fn haproxy_socket_names_the_sockets_without_appearing_in_usage_lines() {
    let a = FakeSocket::haproxy26();
    let b = FakeSocket::haproxy26();
    let both = format!("{},{}", a.arg(), b.arg());
    let o = run_env(&["status", "be_api"], &[("HAPROXY_SOCKET", &both)]);
    assert_code(&o, 0);
    assert_eq!(stdout(&o).matches(&b.arg()).count(), 2, "{}", stdout(&o));
    // --socket wins over the environment.
    let o = run_env(
        &["-s", &a.arg(), "status", "be_api"],
        &[("HAPROXY_SOCKET", "/nonexistent")],
    );
    assert_code(&o, 0);
    // A usage error must not show --socket as if the command required it.
    let o = run_env(&["weight"], &[("HAPROXY_SOCKET", &a.arg())]);
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("Usage: haproxyctl weight <SERVER> <WEIGHT>"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn show_help_offers_json_and_csv_only_for_the_four_tables() {
    let o = run(&["show", "--help"]);
    assert_code(&o, 0);
    let help = stdout(&o);
    let json_line = help
        .lines()
        .find(|l| l.contains("--json/--csv"))
        .unwrap_or_else(|| panic!("{help}"));
    assert!(!json_line.contains("version"), "{help}");
}
