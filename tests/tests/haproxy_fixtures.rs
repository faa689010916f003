//! The captured HAProxy 2.6 answers are complete and say what the compatibility reference says;
//! these run without HAProxy installed.

use std::fs;
use std::path::PathBuf;

use e2e::socket::StatTable;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/haproxy-2.6")
        .join(name);
    fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn text(name: &str) -> String {
    String::from_utf8(fixture(name)).expect("fixture is UTF-8")
}

#[test]
fn captured_show_stat_ends_rows_with_a_comma_and_the_answer_with_a_blank_line() {
    let csv = text("show-stat.csv");
    assert!(csv.starts_with("# pxname,svname,qcur,"));
    assert!(csv.ends_with(",\n\n"));
    assert!(csv
        .lines()
        .filter(|l| !l.is_empty())
        .all(|l| l.ends_with(',')));
}

#[test]
fn captured_show_stat_has_every_server_state_of_the_capture_config() {
    let table = StatTable::parse(&text("show-stat.csv")).unwrap();
    let expected = [
        ("be_tcp", "up", "UP", "L4OK", "", ""),
        (
            "be_tcp",
            "refused",
            "DOWN",
            "L4CON",
            "",
            "Connection refused",
        ),
        ("be_tcp", "dis", "MAINT", "", "", ""),
        ("be_tcp", "nocheck", "no check", "", "", ""),
        ("be_tcp", "bk", "UP", "L4OK", "", ""),
        ("be_https", "s200", "UP", "L7OK", "200", ""),
        (
            "be_https",
            "s503",
            "DOWN",
            "L7STS",
            "503",
            "Service Unavailable",
        ),
    ];
    for (px, sv, status, check, code, last_chk) in expected {
        let row = table
            .row(px, sv)
            .unwrap_or_else(|| panic!("no row {px}/{sv}"));
        assert_eq!(row["status"], status, "{px}/{sv}");
        assert_eq!(row["check_status"], check, "{px}/{sv}");
        assert_eq!(row["check_code"], code, "{px}/{sv}");
        assert_eq!(row["last_chk"], last_chk, "{px}/{sv}");
    }
    let separator = table.columns.iter().position(|c| c == "-").unwrap();
    assert_eq!(table.columns[separator - 1], "agg_check_status");
    assert_eq!(separator, 103);
}

#[test]
fn captured_user_level_show_stat_hides_addr_and_algo() {
    let table = StatTable::parse(&text("show-stat-user-level.csv")).unwrap();
    assert_eq!(table.get("be_tcp", "up", "addr"), Some(""));
    assert_eq!(table.get("be_tcp", "BACKEND", "algo"), Some(""));
    let admin = StatTable::parse(&text("show-stat.csv")).unwrap();
    assert!(admin
        .get("be_tcp", "up", "addr")
        .unwrap()
        .starts_with("127.0.0.1:"));
    assert_eq!(admin.get("be_tcp", "BACKEND", "algo"), Some("roundrobin"));
}

#[test]
fn captured_error_answers_are_byte_exact() {
    let cases: [(&str, &[u8]); 7] = [
        ("error-show-stat-no-such-proxy.txt", b"No such proxy.\n\n"),
        (
            "error-disable-server-no-such-backend.txt",
            b"No such backend.\n\n",
        ),
        (
            "error-set-server-state-no-such-server.txt",
            b"No such server.\n\n",
        ),
        (
            "error-set-server-state-bogus.txt",
            b"'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n\n",
        ),
        (
            "error-set-weight-abc.txt",
            b"Empty weight string empty or preceded by garbage\n",
        ),
        (
            "error-permission-denied-user-level.txt",
            b"Permission denied\n\n",
        ),
        ("no-trailing-newline.txt", b""),
    ];
    for (name, expected) in cases {
        assert_eq!(fixture(name), expected, "{name}");
    }
}

#[test]
fn captured_unknown_commands_list_the_commands() {
    assert!(text("error-empty-line.txt")
        .starts_with("Unknown command. Please enter one of the following commands only:\n"));
    assert!(text("error-unknown-command-foo.txt")
        .starts_with("Unknown command, but maybe one of the following ones is a better match:\n"));
    assert!(text("help.txt").starts_with("The following commands are valid at this level:\n"));
    assert_eq!(fixture("help.txt"), fixture("help-user-level.txt"));
}

#[test]
fn captured_check_requests_lower_case_headers_and_add_connection_close_for_http_1_1() {
    assert_eq!(
        fixture("httpchk-default.request"),
        b"OPTIONS / HTTP/1.0\r\n\r\n"
    );
    assert_eq!(
        fixture("httpchk-get-v1-status.request"),
        b"GET /v1/status HTTP/1.0\r\n\r\n"
    );
    assert_eq!(
        fixture("httpchk-legacy-host-header.request"),
        b"GET /x HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n"
    );
    assert_eq!(
        fixture("httpchk-send-head.request"),
        b"HEAD /p HTTP/1.1\r\nhost: h\r\nconnection: close\r\n\r\n"
    );
}

#[test]
fn captured_servers_state_starts_with_version_and_header() {
    let state = text("show-servers-state.txt");
    let mut lines = state.lines();
    assert_eq!(lines.next(), Some("1"));
    assert!(lines
        .next()
        .unwrap()
        .starts_with("# be_id be_name srv_id srv_name srv_addr"));
    assert!(state.ends_with("\n\n"));
}
