//! `server-state-file` and `load-server-state-from-file`: servers start in the state a previous
//! process saved with `show servers state`, as operators keep maintenance, drain and weights
//! across restarts. Each scenario runs on the real HAProxy 2.6 (when installed) and on proxyd.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use e2e::backends::Backend;
use e2e::config::{BackendSection, Config};
use e2e::daemon::Daemon;
use e2e::differential::{assert_same_as_haproxy, on_both, Under};
use e2e::ports;
use e2e::traffic;

const HEADER: &str = "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port";

/// `show servers state` without the ages (they tick) and the version line.
fn servers_state(d: &Daemon) -> Vec<String> {
    d.query("show servers state")
        .lines()
        .skip(2)
        .filter(|l| !l.is_empty() && !l.contains(" first "))
        .map(|l| {
            let mut f: Vec<&str> = l.split(' ').collect();
            if f.len() > 9 {
                f[9] = "-";
            }
            f.join(" ")
        })
        .collect()
}

/// The age of the last change of every server, in seconds.
fn ages(d: &Daemon) -> Vec<u64> {
    d.query("show servers state")
        .lines()
        .skip(2)
        .filter_map(|l| l.split(' ').nth(9)?.parse().ok())
        .collect()
}

/// What the daemon said about the saved states on stderr, without its pid.
fn state_messages(d: &Daemon) -> Vec<String> {
    d.stderr()
        .lines()
        .filter(|l| l.contains(" : config : "))
        .filter_map(|l| l.split_once(" : config : ").map(|(_, m)| m.to_string()))
        .collect()
}

/// The status columns an operator reads, per server.
fn status_columns(d: &Daemon) -> Vec<String> {
    let t = d.show_stat();
    t.rows
        .iter()
        .filter(|r| r["pxname"] == "be" && r["svname"] != "first")
        .map(|r| {
            let col = |c: &str| r.get(c).cloned().unwrap_or_default();
            [
                r["svname"].clone(),
                col("status"),
                col("weight"),
                col("chkdown"),
                col("check_status"),
                col("check_code"),
                col("check_duration"),
                col("last_chk"),
            ]
            .join(",")
        })
        .collect()
}

/// A state file as `show servers state` writes it, with these server lines.
fn write_state(path: &Path, lines: &[String]) {
    let mut text = format!("1\n{HEADER}\n");
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    std::fs::write(path, text).expect("write the state file");
}

/// One saved line of backend 3 `be` (behind the frontend and the stats sockets' ids).
fn saved(id: u32, name: &str, port: u16, middle: &str) -> String {
    format!("3 be {id} {name} 127.0.0.1 {middle} 0 0 0 - {port} - 0 0 - - 0")
}

/// Every kind of saved state and of bad line, applied to a backend whose servers the
/// configuration partly changed since: the same states, columns and messages as HAProxy.
#[test]
fn saved_states_are_applied_as_haproxy_applies_them() {
    let web = Backend::http(200);
    let port = web.addr().port();
    let seen = on_both(|under| {
        let listen = ports::free_addr();
        let mut config = Config::new();
        let state = config.dir().join("servers.state");
        // op admin uweight iweight age check_status check_result check_health check_state
        let lines = [
            saved(2, "maintdown", port, "0 1 1 1 100 6 3 0 14"),
            saved(3, "maintup", port, "2 1 1 1 110 6 3 4 14"),
            saved(4, "down", port, "0 0 1 1 200 8 2 0 6"),
            saved(5, "heavy", port, "2 0 50 1 300 6 3 4 6"),
            saved(6, "reweighted", port, "2 0 50 2 300 6 3 4 6"),
            saved(7, "drain", port, "2 8 1 1 400 6 3 4 6"),
            saved(8, "undrained", port, "2 8 0 0 400 6 3 4 6"),
            saved(9, "nohealth", port, "2 0 1 1 500 6 3 4 2"),
            saved(10, "starting", port, "1 0 1 1 600 6 3 1 6"),
            saved(11, "stopping", port, "3 0 1 1 600 6 3 3 6"),
            saved(12, "nochk", port, "0 1 1 1 700 1 0 0 0"),
            saved(13, "cfgmaint", port, "2 0 1 1 700 6 3 4 6"),
            saved(14, "wascfg", port, "0 5 1 1 700 6 3 4 14"),
            saved(15, "bad", port, "9 0 1 1 700 6 3 4 6"),
            saved(16, "l7", port, "2 0 1 1 800 15 3 4 6"),
            saved(17, "fall1", port, "3 0 1 1 800 6 3 1 6"),
            saved(18, "bkdown", port, "0 0 1 1 800 8 2 0 6"),
            saved(19, "badweight", port, "2 0 999 1 700 6 3 4 6"),
            saved(20, "gone", port, "2 0 1 1 600 6 3 4 6"),
            "4 other 1 x 127.0.0.1 2 0 1 1 700 6 3 4 6 0 0 0 - 1 - 0 0 - - 0".to_string(),
        ];
        write_state(&state, &lines);
        config = config
            .global(format!("server-state-file {}", state.display()))
            .defaults("load-server-state-from-file global")
            // No check reaches the servers but the first one's, which starts at once.
            .defaults("default-server check inter 1h")
            .section(format!(
                "frontend fe\n    bind {listen}\n    default_backend be\n"
            ));
        let mut be = BackendSection::new("be").server("first", web.addr(), "");
        for (name, opts) in [
            ("maintdown", ""),
            ("maintup", ""),
            ("down", ""),
            ("heavy", ""),
            ("reweighted", ""),
            ("drain", ""),
            ("undrained", "weight 3"),
            ("nohealth", ""),
            ("starting", ""),
            ("stopping", ""),
            ("nochk", "no-check"),
            ("cfgmaint", "disabled"),
            ("wascfg", ""),
            ("bad", ""),
            ("l7", ""),
            ("fall1", "fall 1"),
            ("bkdown", "backup"),
            ("badweight", ""),
            ("new", ""),
        ] {
            be = be.server(name, web.addr(), opts);
        }
        let daemon = under.start(config.backend(be))?;
        let got = (
            servers_state(&daemon),
            status_columns(&daemon),
            state_messages(&daemon),
        );
        // Ages continue from the saved ones (the first and the new server start at 0).
        let ages = ages(&daemon);
        assert!(
            ages[1] >= 100 && ages[1] < 110 && ages[3] >= 200 && ages[3] < 210,
            "{under:?}: {ages:?}"
        );
        Some(got)
    });
    assert_same_as_haproxy("servers after the saved states", &seen);
    let (_, (state, columns, messages)) = seen.last().expect("proxyd ran");
    assert!(state
        .iter()
        .any(|l| l.starts_with("3 be 2 maintdown 127.0.0.1 0 1 ")));
    assert!(columns.iter().any(|c| c.starts_with("heavy,UP,50,")));
    assert!(columns.iter().any(|c| c.starts_with("drain,DRAIN,")));
    assert!(
        messages.iter().any(|m| {
            m
            == "server-state application failed for server 'be/bad', invalid srv_op_state value '9'"
        }),
        "{messages:?}"
    );
}

/// A frontend on `listen` and backend `be` of checked servers `a`, `b` and `c` that take the
/// states saved in `state`.
fn restartable(listen: SocketAddr, state: &Path, servers: [SocketAddr; 3]) -> Config {
    let mut be = BackendSection::new("be").line("load-server-state-from-file global");
    for (name, addr) in ["a", "b", "c"].into_iter().zip(servers) {
        be = be.server(name, addr, "check inter 200ms");
    }
    Config::new()
        .global(format!("server-state-file {}", state.display()))
        .section(format!(
            "frontend fe\n    bind {listen}\n    default_backend be\n"
        ))
        .backend(be)
}

/// The operator's restart: states changed at run time are saved with `show servers state`
/// and come back in the next process, which sends no connection to the server left in
/// maintenance. A file saved by proxyd is read the same by HAProxy.
#[test]
fn a_restart_keeps_what_the_runtime_api_changed() {
    let a = traffic::tagged("a");
    let b = traffic::tagged("b");
    let c = traffic::tagged("c");
    let servers = [a.addr(), b.addr(), c.addr()];
    let seen = on_both(|under| {
        let listen = ports::free_addr();
        let make = |state: &Path| restartable(listen, state, servers);
        let first_config = Config::new();
        let state = first_config.dir().join("servers.state");
        let first = under.start(make(&state))?;
        first.wait_until("checks done", Duration::from_secs(10), |d| {
            d.stat("be", "c", "status") == "UP"
        });
        for cmd in [
            "disable server be/a",
            "set weight be/b 30",
            "set server be/c state drain",
        ] {
            first.query(cmd);
        }
        let saved = first.query("show servers state");
        std::fs::write(&state, &saved).expect("save the states");
        first.stop();

        let second = under.start(make(&state))?;
        let restored = servers_state(&second);
        // `a` in maintenance and `c` draining: every connection goes to `b`.
        let servers: Vec<String> = (0..6)
            .map(|_| {
                traffic::server_of_next_connection(listen)
                    .unwrap_or_else(|e| second.fail(&format!("{under:?}: {e}")))
            })
            .collect();
        let messages = state_messages(&second);
        Some(((restored, servers, messages), saved))
    });
    for (under, ((restored, servers, _), _)) in &seen {
        assert_eq!(servers, &vec!["b".to_string(); 6], "{under:?}");
        assert!(
            restored[0].contains(" 0 1 1 1 - ") && restored[1].contains(" 2 0 30 1 - "),
            "{under:?}: {restored:?}"
        );
    }
    let restarts: Vec<_> = seen.iter().map(|(u, (r, _))| (*u, r.clone())).collect();
    assert_same_as_haproxy("the restarted servers", &restarts);

    // The file proxyd wrote, read by HAProxy: the same servers as proxyd restored.
    let Some((_, ((from_proxyd, ..), proxyd_file))) =
        seen.iter().find(|(u, _)| *u == Under::Proxyd)
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("from-proxyd.state");
    std::fs::write(&state, proxyd_file).expect("write");
    if let Some(haproxy) = Daemon::haproxy(restartable(ports::free_addr(), &state, servers)) {
        assert_eq!(&servers_state(&haproxy)[..], &from_proxyd[..]);
    }
}

/// A reload keeps the live state of the servers it keeps and gives the saved state to a
/// server whose settings changed (it starts afresh, as in HAProxy's new process).
#[test]
fn a_reload_restores_only_the_servers_that_start_afresh() {
    let a = traffic::tagged("a");
    let b = traffic::tagged("b");
    let listen = ports::free_addr();
    let base = Config::new();
    let state = base.dir().join("servers.state");
    let head = base
        .global(format!("server-state-file {}", state.display()))
        .defaults("load-server-state-from-file global");
    let text = head.render();
    let sections = |a_opts: &str| {
        format!(
            "frontend fe\n    bind {listen}\n    default_backend be\n\nbackend be\n    server a {} check inter 200ms {a_opts}\n    server b {} check inter 200ms\n",
            a.addr(),
            b.addr()
        )
    };
    let daemon = Daemon::proxyd(head.section(sections("maxconn 10")));
    daemon.wait_until("checks done", Duration::from_secs(10), |d| {
        d.stat("be", "b", "status") == "UP" && d.stat("be", "a", "status") == "UP"
    });
    daemon.query("disable server be/a");
    daemon.query("disable server be/b");
    let saved = daemon.query("show servers state");
    std::fs::write(&state, saved).expect("save the states");
    // After the save, b comes back: the kept server keeps that, not the file's.
    daemon.query("enable server be/b");
    daemon.reload_with(&format!("{text}\n{}", sections("maxconn 20")), "HUP");
    let t = daemon.show_stat();
    assert_eq!(t.get("be", "a", "slim"), Some("20"), "a started afresh");
    assert_eq!(
        t.get("be", "a", "status"),
        Some("MAINT"),
        "with the saved maintenance"
    );
    assert_ne!(
        t.get("be", "b", "status"),
        Some("MAINT"),
        "b kept its live state"
    );
}

/// Problems with the files are reported as HAProxy reports them, at start and by `-c`, and
/// what can be applied still is.
#[test]
fn unreadable_files_and_lines_are_reported_as_haproxy_reports_them() {
    let web = Backend::http(200);
    let port = web.addr().port();
    let seen = on_both(|under| {
        let listen = ports::free_addr();
        let config = Config::new();
        let dir = config.dir().to_path_buf();
        // be: a local file with a line of another backend (same id, other name) and a server
        // the configuration no longer has; bv: a file without a version; bc: a corrupted one;
        // bm: a file that does not exist (relative to server-state-base).
        write_state(
            &dir.join("be"),
            &[
                saved(1, "s", port, "0 1 1 1 100 6 3 0 14"),
                saved(2, "old", port, "2 0 1 1 100 6 3 4 6"),
                "3 elsewhere 1 s 127.0.0.1 0 1 1 1 100 6 3 0 14 0 0 0 - 1 - 0 0 - - 0".to_string(),
            ],
        );
        std::fs::write(dir.join("bv"), "x\n").expect("write");
        std::fs::write(
            dir.join("bc"),
            format!("1\n{HEADER}\n4 bc 1 s 127.0.0.1 0 1 1"),
        )
        .expect("write");
        let config = config
            .global(format!("server-state-base {}", dir.display()))
            .defaults("load-server-state-from-file local")
            .defaults("default-server check inter 1h")
            .section(format!(
                "frontend fe\n    bind {listen}\n    default_backend be\n"
            ))
            .backend(
                BackendSection::new("be")
                    .server("first", web.addr(), "")
                    .server("s", web.addr(), ""),
            )
            .backend(BackendSection::new("bv").server("s", web.addr(), ""))
            .backend(BackendSection::new("bc").server("s", web.addr(), ""))
            .backend(BackendSection::new("bm").server("s", web.addr(), ""));
        let daemon = under.start(config)?;
        let dir = dir.display().to_string();
        let here = |lines: Vec<String>| -> Vec<String> {
            lines.iter().map(|l| l.replace(&dir, "DIR")).collect()
        };
        let messages = here(state_messages(&daemon));
        let status = daemon.stat("be", "s", "status");
        let checked = here(daemon.check_config());
        Some((messages, status, checked))
    });
    assert_same_as_haproxy("state file problems", &seen);
    let (_, (messages, status, _)) = seen.last().expect("proxyd ran");
    assert_eq!(status, "MAINT");
    assert!(
        messages
            .iter()
            .any(|m| m == "Proxy 'be': can't find server 'old' in backend 'be'"),
        "{messages:?}"
    );
}
