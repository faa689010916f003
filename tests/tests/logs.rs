//! What reaches the log servers: the words, the syslog priority and the tag of every server
//! state change, the `option log-health-checks` lines and the backend alerts, as HAProxy 2.6
//! sends them, seen by a syslog server on loopback UDP.

use std::time::Duration;

use e2e::backends::Backend;
use e2e::config::{BackendSection, Config};
use e2e::daemon::Daemon;
use e2e::differential::{assert_same_as_haproxy, on_both};
use e2e::syslog::Syslog;

const SOON: Duration = Duration::from_secs(10);

/// A syslog line's message: what follows `<PRI>TAG: `.
fn message(line: &str) -> &str {
    line.split_once(": ").map_or(line, |(_, m)| m)
}

/// `check duration: 12ms` → `check duration: Nms`: the only part that depends on timing.
fn masked(line: &str) -> String {
    let Some((head, tail)) = line.split_once("check duration: ") else {
        return line.to_string();
    };
    let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
    format!("{head}check duration: N{}", &tail[digits..])
}

/// One server through every kind of change (checks passing, `disable-on-404`, failing, back,
/// maintenance from DOWN and from UP, drain, health forced from the CLI) with a server of
/// another backend tracking it: the lines, their order, priorities (`<129>` alert for a server
/// going down from UP, `<133>` notice for the rest, `<128>` emergency for a backend left without
/// servers) and the `log-tag`, identical to HAProxy's.
#[test]
fn state_changes_and_health_check_lines_reach_syslog_as_haproxys() {
    let s1 = Backend::http(200);
    let t1 = Backend::echo();
    let seen = on_both(|under| {
        s1.set_status(200);
        let syslog = Syslog::start();
        let cfg = Config::new()
            .log_to(syslog.addr())
            .global("log-tag lb")
            .backend(
                BackendSection::new("be")
                    .line("option httpchk GET /v1/status")
                    .line("http-check disable-on-404")
                    .line("option log-health-checks")
                    .server("s1", s1.addr(), "check inter 100ms rise 2 fall 2"),
            )
            .backend(
                // HAProxy refuses to track a server whose backend differs on disable-on-404.
                BackendSection::new("bt")
                    .line("option httpchk GET /v1/status")
                    .line("http-check disable-on-404")
                    .server("t1", t1.addr(), "track be/s1"),
            );
        let daemon = under.start(cfg)?;
        let status = |d: &Daemon, want: &str| {
            d.wait_until(&format!("be/s1 {want}"), SOON, |d| {
                d.stat("be", "s1", "status") == want
            })
        };
        let logged = |needle: &str| {
            syslog.wait_for(SOON, |l| l.iter().any(|l| l.contains(needle)));
        };
        // The first check takes the server from health 2 (rise) to 3 (rise + fall - 1).
        logged("Health check for server be/s1 succeeded");
        s1.set_status(404);
        status(&daemon, "NOLB");
        s1.set_status(503);
        status(&daemon, "DOWN");
        s1.set_status(200);
        status(&daemon, "UP");
        s1.set_status(503);
        status(&daemon, "DOWN");
        daemon.query("disable server be/s1");
        status(&daemon, "MAINT");
        s1.set_status(200);
        daemon.query("enable server be/s1");
        status(&daemon, "UP");
        // Leaving maintenance restarts at health 2; the next check logs the climb to 3.
        logged("Server be/s1 is UP/READY (leaving forced maintenance).");
        daemon.query("set server be/s1 state drain");
        status(&daemon, "DRAIN");
        daemon.query("set server be/s1 state ready");
        status(&daemon, "UP");
        daemon.query("disable server be/s1");
        status(&daemon, "MAINT");
        daemon.query("enable server be/s1");
        status(&daemon, "UP");
        daemon.query("disable health be/s1");
        daemon.query("set server be/s1 health down");
        status(&daemon, "DOWN");
        daemon.query("set server be/s1 health up");
        // Running with its checks disabled.
        status(&daemon, "no check");
        let last = "Server bt/t1 is UP via be/s1.";
        let count = |l: &[String]| l.iter().filter(|l| l.contains(last)).count();
        // t1 comes back up four times before the last: once with s1's checks, twice leaving
        // maintenance (`is UP/READY`, not counted) and once forced.
        let lines = syslog.wait_for(SOON, |l| count(l) == 3);
        drop(daemon);
        Some(lines.iter().map(|l| masked(l)).collect::<Vec<_>>())
    });
    for (under, lines) in &seen {
        eprintln!("{under:?}:");
        for l in lines {
            eprintln!("  {l:?}");
        }
    }
    assert_same_as_haproxy("state-change logs", &seen);
}

/// `log <addr> <facility> <level> [<minlevel>]`: a target set to `notice` gets no connection
/// lines (`info`) but the alerts; one set to `info notice` gets both, the alerts lowered to
/// `notice`; frontend changes are warnings. Facility, priorities and what each target got are
/// HAProxy's.
#[test]
fn log_levels_filter_and_cap_what_each_target_gets() {
    let s1 = e2e::traffic::tagged("s1");
    let seen = on_both(|under| {
        let (quiet, capped) = (Syslog::start(), Syslog::start());
        let listen = e2e::ports::free_addr();
        let dead = e2e::ports::closed_addr();
        let cfg = Config::new()
            .global(format!("log {} local0 notice", quiet.addr()))
            .global(format!("log {} local1 info notice", capped.addr()))
            .defaults("log global")
            .section(format!(
                "frontend fe\n    bind {listen}\n    option tcplog\n    default_backend be\n"
            ))
            .backend(
                BackendSection::new("be")
                    .server("s1", s1.addr(), "")
                    .server("s2", dead, "check inter 100ms fall 1 rise 1"),
            );
        let daemon = under.start(cfg)?;
        daemon.wait_until("s2 down", SOON, |d| d.stat("be", "s2", "status") == "DOWN");
        let got = e2e::traffic::server_of_next_connection(listen)
            .unwrap_or_else(|e| daemon.fail(&format!("{e}")));
        capped.wait_for(SOON, |l| l.iter().any(|l| l.contains(" fe be/")));
        daemon.query("disable frontend fe");
        daemon.query("enable frontend fe");
        let last = "Resumed frontend fe.";
        let both = |s: &Syslog| s.wait_for(SOON, |l| l.iter().any(|l| l.contains(last)));
        // Priority and message; the tag is the program's name (`haproxy`, `proxyd`). Of a
        // connection line, only where it went.
        let shown = |lines: Vec<String>| -> Vec<String> {
            lines
                .iter()
                .map(|l| {
                    let pri = l.split_once('>').map_or("", |(p, _)| p);
                    let msg = message(l);
                    match msg.split_once(" fe be/") {
                        Some((_, tail)) => {
                            let srv = tail.split_whitespace().next().unwrap_or("");
                            format!("{pri}> connection to be/{srv}")
                        }
                        None => format!("{pri}> {}", masked(msg)),
                    }
                })
                .collect()
        };
        let q = shown(both(&quiet));
        let c = shown(both(&capped));
        drop(daemon);
        Some((got, q, c))
    });
    eprintln!("{seen:#?}");
    assert_same_as_haproxy("log levels", &seen);
}

/// A reload that changes the `log` lines and `log-tag` sends what follows to the new targets
/// only, as the new process of an HAProxy reload would.
#[test]
fn a_reload_sends_logs_to_the_new_targets() {
    let s1 = Backend::echo();
    let (before, after) = (Syslog::start(), Syslog::start());
    let config = |target: &Syslog, tag: &str| {
        Config::new()
            .global(format!("log {} local0", target.addr()))
            .global(format!("log-tag {tag}"))
            .defaults("log global")
            .backend(BackendSection::new("be").server("s1", s1.addr(), ""))
    };
    let daemon = Daemon::proxyd(config(&before, "first"));
    daemon.query("disable server be/s1");
    before.wait_for(SOON, |l| l.iter().any(|l| l.contains("maintenance")));
    // Same sockets, other log lines.
    let text = daemon
        .config_text()
        .replace(&before.addr().to_string(), &after.addr().to_string())
        .replace("log-tag first", "log-tag second");
    std::fs::write(daemon.config_path(), text).expect("write the new configuration");
    e2e::faults::signal(daemon.pid(), "HUP");
    daemon.wait_for_stderr("Reloading: new configuration is now active.", SOON);
    daemon.query("enable server be/s1");
    let want = "<133>second: Server be/s1 is UP/READY (leaving forced maintenance).\n";
    let got = after.wait_for(SOON, |l| l.iter().any(|l| l == want));
    assert!(got.iter().any(|l| l == want), "new target got {got:#?}");
    let old = before.lines();
    assert_eq!(
        old,
        ["<129>first: Server be/s1 is going DOWN for maintenance. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.\n".to_string(),
         "<128>first: backend be has no server available!\n".to_string()],
        "the old target got only what came before the reload"
    );
}

/// Per-proxy `log` lines: a backend with `log global` logs its servers' changes to the global
/// targets, one with a target of its own to that one (with its facility), one with neither
/// nowhere but stderr; a frontend's connection lines go to its own target. What each syslog
/// server gets is HAProxy's.
#[test]
fn each_proxy_logs_where_its_own_log_lines_say() {
    let s1 = e2e::traffic::tagged("s1");
    let seen = on_both(|under| {
        let (global, own) = (Syslog::start(), Syslog::start());
        let listen = e2e::ports::free_addr();
        let dead = || e2e::ports::closed_addr();
        let checked = "check inter 100ms fall 1 rise 1";
        let cfg = Config::new()
            .global(format!("log {} local0", global.addr()))
            .section(format!(
                "frontend fe\n    bind {listen}\n    log {} local4\n    option tcplog\n    default_backend withlog\n",
                own.addr()
            ))
            .backend(
                BackendSection::new("withlog")
                    .line("log global")
                    .server("up", s1.addr(), "")
                    .server("w", dead(), checked),
            )
            .backend(BackendSection::new("nolog").server("n", dead(), checked))
            .backend(
                BackendSection::new("own")
                    .line(format!("log {} local3", own.addr()))
                    .server("o", dead(), checked),
            );
        let daemon = under.start(cfg)?;
        for (be, sv) in [("withlog", "w"), ("nolog", "n"), ("own", "o")] {
            daemon.wait_until(&format!("{be}/{sv} down"), SOON, |d| {
                d.stat(be, sv, "status") == "DOWN"
            });
        }
        e2e::traffic::server_of_next_connection(listen)
            .unwrap_or_else(|e| daemon.fail(&format!("{e}")));
        own.wait_for(SOON, |l| l.iter().any(|l| l.contains(" fe withlog/")));
        global.wait_for(SOON, |l| l.iter().any(|l| l.contains("withlog/w")));
        // Priority and the start of the message: enough to tell which line went where.
        let shown = |s: &Syslog| -> Vec<String> {
            let mut v: Vec<String> = s
                .lines()
                .iter()
                .map(|l| {
                    let pri = l.split_once('>').map_or("", |(p, _)| p);
                    let msg = message(l);
                    let head = match msg.split_once(" fe withlog/") {
                        Some(_) => "connection line",
                        None => msg.split(", reason").next().unwrap_or(msg),
                    };
                    format!("{pri}> {}", head.trim_end())
                })
                .collect();
            v.sort();
            v
        };
        Some((shown(&global), shown(&own)))
    });
    eprintln!("{seen:#?}");
    assert_same_as_haproxy("per-proxy logs", &seen);
}

/// `log-send-hostname NAME` puts the host name in every syslog header, and a proxy's own
/// `log-tag` replaces the global one on its lines (to the global targets too), as in HAProxy.
#[test]
fn syslog_headers_carry_the_host_name_and_each_proxys_tag() {
    let seen = on_both(|under| {
        let syslog = Syslog::start();
        let checked = "check inter 100ms fall 1 rise 1";
        let cfg = Config::new()
            .log_to(syslog.addr())
            .global("log-send-hostname myhost")
            .global("log-tag gtag")
            .backend(BackendSection::new("be").line("log-tag betag").server(
                "s1",
                e2e::ports::closed_addr(),
                checked,
            ))
            .backend(BackendSection::new("be2").server("s2", e2e::ports::closed_addr(), checked));
        let daemon = under.start(cfg)?;
        let lines = syslog.wait_for(SOON, |l| l.len() >= 4);
        drop(daemon);
        let mut shown: Vec<String> = lines
            .iter()
            .map(|l| {
                l.split(", reason")
                    .next()
                    .unwrap_or(l)
                    .trim_end()
                    .to_string()
            })
            .collect();
        shown.sort();
        Some(shown)
    });
    for (under, lines) in &seen {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("<129>myhost betag: Server be/s1 is DOWN")),
            "{under:?}: {lines:#?}"
        );
    }
    assert_same_as_haproxy("host name and tags", &seen);
}

/// `line` with its dates and process id masked and its priority (`<PRI>` first) kept: each
/// digit of a short number becomes `N`, a run of four digits or more one `N…`, whose length
/// (a process id's) may differ between two runs.
fn mask_digits(line: &str) -> String {
    let (kept, rest) = match line.strip_prefix('<').and_then(|r| r.split_once('>')) {
        Some((pri, rest)) => (format!("<{pri}>"), rest),
        None => (String::new(), line),
    };
    let mut out = kept;
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        match run.len() {
            0 => {}
            1..=3 => out.push_str(&"N".repeat(run.len())),
            _ => out.push_str("N…"),
        }
        run.clear();
    };
    for c in rest.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// `log … format F`: each of HAProxy's eight formats frames the same line as HAProxy frames it
/// (digits masked: dates and the process id differ between the two runs).
#[test]
fn each_log_format_frames_lines_as_haproxys() {
    const FORMATS: [&str; 8] = [
        "rfc3164", "local", "rfc5424", "priority", "short", "timed", "iso", "raw",
    ];
    let seen = on_both(|under| {
        let servers: Vec<Syslog> = FORMATS.iter().map(|_| Syslog::start()).collect();
        let mut cfg = Config::new()
            .global("log-send-hostname myhost")
            .global("log-tag lb")
            .defaults("log global");
        for (f, s) in FORMATS.iter().zip(&servers) {
            cfg = cfg.global(format!("log {} format {f} local2", s.addr()));
        }
        let cfg = cfg.backend(BackendSection::new("be").server(
            "s1",
            e2e::ports::closed_addr(),
            "check inter 100ms fall 1 rise 1",
        ));
        let daemon = under.start(cfg)?;
        let mut framed = Vec::new();
        for (f, s) in FORMATS.iter().zip(&servers) {
            let raw = s.wait_for_raw(SOON, |l| l.iter().any(|l| l.contains("is DOWN")));
            let line = raw
                .iter()
                .find(|l| l.contains("is DOWN"))
                .cloned()
                .unwrap_or_default();
            let masked = mask_digits(line.split(", reason").next().unwrap_or(""));
            framed.push(format!(
                "{f}: {masked:?} ends with a newline: {}",
                line.ends_with('\n')
            ));
        }
        drop(daemon);
        Some(framed)
    });
    eprintln!("{seen:#?}");
    assert_same_as_haproxy("log formats", &seen);
}

/// `option dontlognull`, `dontlog-normal` and `log-separate-errors` in a frontend: which of a
/// connection that sends nothing, a normal exchange and one whose server refuses it are logged,
/// and at which priority (`info`, or `err` for the failure), as HAProxy decides.
#[test]
fn log_options_choose_which_connection_lines_are_written() {
    use std::io::{Read, Write};
    // The server speaks first: a client that has read its banner knows the proxy is connected
    // (one closing sooner ends `CC` or `--` in HAProxy depending on which it sees first).
    let banner = Backend::banner(b"hi\n");
    for option in [
        "",
        "option dontlognull",
        "option dontlog-normal",
        "option log-separate-errors",
    ] {
        let seen = on_both(|under| {
            let syslog = Syslog::start();
            let (good, bad, mark) = (
                e2e::ports::free_addr(),
                e2e::ports::free_addr(),
                e2e::ports::free_addr(),
            );
            let section = |name: &str, listen, be: &str| {
                format!(
                    "frontend {name}\n    bind {listen}\n    option tcplog\n    {option}\n    default_backend {be}\n"
                )
            };
            let cfg = Config::new()
                .log_to(syslog.addr())
                .defaults("retries 0")
                .section(section("fgood", good, "good"))
                .section(section("fbad", bad, "bad"))
                .section(format!(
                    "frontend fmark\n    bind {mark}\n    option tcplog\n    default_backend good\n"
                ))
                .backend(BackendSection::new("good").server("s", banner.addr(), ""))
                .backend(BackendSection::new("bad").server("s", e2e::ports::closed_addr(), ""));
            let daemon = under.start(cfg)?;
            let mut back = [0u8; 5];
            // Nothing sent: the client reads the banner and closes.
            let mut c = e2e::client::connect(good).unwrap_or_else(|e| daemon.fail(&format!("{e}")));
            c.read_exact(&mut back[..3])
                .unwrap_or_else(|e| daemon.fail(&format!("banner: {e}")));
            drop(c);
            // A normal exchange.
            let mut c = e2e::client::connect(good).unwrap_or_else(|e| daemon.fail(&format!("{e}")));
            c.read_exact(&mut back[..3])
                .and_then(|()| c.write_all(b"hello"))
                .unwrap_or_else(|e| daemon.fail(&format!("exchange: {e}")));
            drop(c);
            // Refused by its server before any byte of the client's arrived: whether bytes
            // sent at once arrive before the refusal is a race on loopback, for HAProxy too, so
            // the client writes once it has seen the connection closed.
            let mut c = e2e::client::connect(bad).unwrap_or_else(|e| daemon.fail(&format!("{e}")));
            let _ = c.read(&mut back);
            let _ = c.write_all(b"hello");
            drop(c);
            // Sessions are counted out after their line is written.
            daemon.wait_until("the three sessions ended", SOON, |d| {
                let st = d.show_stat();
                let get = |px: &str, c: &str| st.get(px, "FRONTEND", c).unwrap_or("").to_string();
                (
                    get("fgood", "scur"),
                    get("fgood", "stot"),
                    get("fbad", "scur"),
                    get("fbad", "stot"),
                ) == ("0".into(), "2".into(), "0".into(), "1".into())
            });
            // A last exchange through a frontend that logs everything marks the end: what was
            // sent before it has reached the syslog server once its line has.
            let mut c = e2e::client::connect(mark).unwrap_or_else(|e| daemon.fail(&format!("{e}")));
            c.read_exact(&mut back[..3])
                .and_then(|()| c.write_all(b"mark"))
                .unwrap_or_else(|e| daemon.fail(&format!("marker: {e}")));
            drop(c);
            syslog.wait_for(SOON, |l| l.iter().any(|l| l.contains(" fmark ")));
            let mut lines: Vec<String> = syslog
                .lines()
                .iter()
                .filter(|l| !l.contains(" fmark "))
                .filter_map(|l| {
                    let pri = l.split_once('>').map(|(p, _)| p.to_string())?;
                    let f: Vec<&str> = l.split(' ').collect();
                    // frontend, backend/server, termination state
                    Some(format!("{pri}> {} {} {}", f.get(3)?, f.get(4)?, f.get(7)?))
                })
                .collect();
            lines.sort();
            Some(lines)
        });
        eprintln!("{option:?}: {seen:#?}");
        assert_same_as_haproxy(&format!("connection lines with {option:?}"), &seen);
    }
}

/// A frontend that logs without `option tcplog` writes HAProxy's legacy line when it accepts a
/// connection, `dontlognull` or not (`<134>` info: `Connect from 127.0.0.1:P to 127.0.0.1:P
/// (plain/TCP)`), and `option httplog` in TCP mode falls back to the tcplog line.
#[test]
fn frontends_without_a_format_log_each_accepted_connection() {
    let echo = Backend::echo();
    let seen = on_both(|under| {
        let syslog = Syslog::start();
        let (plain, quiet, http, stats) = (
            e2e::ports::free_addr(),
            e2e::ports::free_addr(),
            e2e::ports::free_addr(),
            e2e::ports::free_addr(),
        );
        let cfg = Config::new()
            .log_to(syslog.addr())
            .frontend("plain", plain, "be")
            .section(format!(
                "frontend quiet\n    bind {quiet}\n    option dontlognull\n    default_backend be\n"
            ))
            .section(format!(
                "frontend http\n    bind {http}\n    option httplog\n    default_backend be\n"
            ))
            .section(format!(
                "listen stats\n    bind {stats}\n    mode http\n    stats enable\n    stats uri /\n"
            ))
            .backend(BackendSection::new("be").server("s", echo.addr(), ""));
        let daemon = under.start(cfg)?;
        for addr in [plain, quiet, quiet, http] {
            e2e::client::tcp_roundtrip(addr, b"ping\n")
                .unwrap_or_else(|e| daemon.fail(&format!("through {addr}: {e}")));
        }
        // A connection that sends nothing: `dontlognull` does not hide the accept line.
        drop(e2e::client::connect(quiet).unwrap_or_else(|e| daemon.fail(&format!("{e}"))));
        // The stats page, an HTTP-mode proxy: `(stats/HTTP)`.
        e2e::client::tcp_roundtrip(stats, b"GET / HTTP/1.0\r\n\r\n")
            .unwrap_or_else(|e| daemon.fail(&format!("stats page: {e}")));
        syslog.wait_for(SOON, |l| {
            l.iter().filter(|l| l.contains("Connect from")).count() == 5
                && l.iter().any(|l| l.contains(" http be/s "))
        });
        let mut lines: Vec<String> = syslog
            .lines()
            .iter()
            .map(|l| {
                // `<134>TAG: Connect from …`: the priority and the message, with the ports
                // (which differ between runs) masked; of a tcplog line its proxies only.
                let pri = l.split_once('>').map_or("", |(p, _)| p);
                let msg = message(l).trim_end();
                let words: Vec<&str> = msg.split(' ').collect();
                if !msg.starts_with("Connect from") {
                    // Proxies, and of the timers Tw/Tc (Tt varies): HAProxy's Tw is 1 without
                    // queueing in TCP mode.
                    let timers = words
                        .get(4)
                        .map_or("", |t| t.rsplitn(2, '/').last().unwrap_or(""));
                    return format!(
                        "{pri}> tcplog {} {timers}",
                        words.get(2..4).unwrap_or(&[]).join(" ")
                    );
                }
                let masked: Vec<String> = words
                    .iter()
                    .map(|w| match w.rsplit_once(':') {
                        Some((ip, port)) if port.bytes().all(|b| b.is_ascii_digit()) => {
                            format!("{ip}:P")
                        }
                        _ => w.to_string(),
                    })
                    .collect();
                format!("{pri}> {}", masked.join(" "))
            })
            .collect();
        lines.sort();
        Some(lines)
    });
    assert_same_as_haproxy("lines of frontends without a log format", &seen);
    let (_, proxyd) = seen.last().expect("proxyd ran");
    assert!(
        proxyd.contains(&"<134> Connect from 127.0.0.1:P to 127.0.0.1:P (quiet/TCP)".to_string()),
        "{proxyd:#?}"
    );
    assert!(
        proxyd.contains(&"<134> tcplog http be/s 1/0".to_string()),
        "{proxyd:#?}"
    );
    assert!(
        proxyd.contains(&"<134> Connect from 127.0.0.1:P to 127.0.0.1:P (stats/HTTP)".to_string()),
        "{proxyd:#?}"
    );
}

/// `log-format` lines, variable by variable, flags (`%{+Q}o`, `-Q`, `+X`, `+E`), samples,
/// counters (`%lc`, `%rt`) and a refused connection (`SC`, `%Tc` -1): the same text as
/// HAProxy's.
#[test]
fn log_format_lines_are_haproxys() {
    let echo = Backend::echo();
    let dead = e2e::ports::closed_addr();
    let seen = on_both(|under| {
        let syslog = Syslog::start();
        let (a, b) = (e2e::ports::free_addr(), e2e::ports::free_addr());
        let cfg = Config::new()
            .log_to(syslog.addr())
            .global("nbthread 1")
            .section(format!(
                "frontend fe\n    bind {a}\n    log-format \"ci=%ci fi=%fi ft=%ft f=%f b=%b s=%s Tc=%Tc Th=%Th B=%B U=%U ts=%ts ac=%ac fc=%fc bc=%bc sc=%sc rc=%rc sq=%sq bq=%bq bi=%bi si=%si lc=%lc rt=%rt ID=%ID ST=%ST hr=%hr sslv=%sslv pct=%% q=%{{+Q}}b x=%{{+X}}si e=%{{+Q,+E}}[be_name] [%[src]] %[srv_name] %Tw\"\n    default_backend be\n"
            ))
            .section(format!(
                "frontend fe2\n    bind {b}\n    log-format \"%{{+Q}}o %ci %ft %{{-Q}}b %{{+Q}}s %{{+E}}ft %[fe_name] lc=%lc %ts %s %Tw/%Tc\"\n    default_backend dead\n"
            ))
            .backend(BackendSection::new("be").server("s1", echo.addr(), ""))
            .backend(
                BackendSection::new("dead")
                    .line("retries 0")
                    .server("s1", dead, ""),
            );
        let _daemon = under.start(cfg)?;
        for addr in [a, b, a] {
            let _ = e2e::client::tcp_roundtrip(addr, b"hi\n");
            // One at a time: `%rt` and `%lc` count in the order lines are written.
            syslog.wait_for(SOON, |l| !l.is_empty());
        }
        let lines = syslog.wait_for(SOON, |l| l.len() == 3);
        Some(
            lines
                .iter()
                .map(|l| message(l).to_string())
                .collect::<Vec<_>>(),
        )
    });
    assert_same_as_haproxy("log-format lines", &seen);
    let (_, proxyd) = seen.last().expect("proxyd ran");
    assert!(
        proxyd[1]
            .starts_with("\"127.0.0.1\" \"fe2\" dead \"s1\" \"fe2\" \"fe2\" lc=0 SC \"s1\" 1/-1"),
        "{proxyd:#?}"
    );
}

/// `option logasap`: the line is written as soon as the server connection is up, while the
/// session still runs (`+` before Tt and the byte count, `--`, the session counted on its
/// backend and server), and a session that never connects is logged at its end with the same
/// marks.
#[test]
fn logasap_writes_the_line_when_the_server_connection_is_up() {
    use std::io::{Read, Write};
    let echo = Backend::echo();
    let dead = e2e::ports::closed_addr();
    let seen = on_both(|under| {
        let syslog = Syslog::start();
        let (a, b, c) = (
            e2e::ports::free_addr(),
            e2e::ports::free_addr(),
            e2e::ports::free_addr(),
        );
        let section = |name: &str, addr, extra: &str, be: &str| {
            format!(
                "frontend {name}\n    bind {addr}\n    option tcplog\n    option logasap\n{extra}    default_backend {be}\n"
            )
        };
        let cfg = Config::new()
            .log_to(syslog.addr())
            .global("nbthread 1")
            .defaults("retries 0")
            .section(section("fe", a, "", "be"))
            .section(section(
                "fe2",
                b,
                "    log-format \"%Tt %B %ts %U\"\n",
                "be",
            ))
            .section(section("fe3", c, "", "dead"))
            .backend(BackendSection::new("be").server("s1", echo.addr(), ""))
            .backend(BackendSection::new("dead").server("s1", dead, ""));
        let daemon = under.start(cfg)?;
        let mut lines = Vec::new();
        for addr in [a, b] {
            let mut s = e2e::client::connect(addr).unwrap_or_else(|e| daemon.fail(&format!("{e}")));
            let mut back = [0u8; 6];
            s.write_all(b"hello\n")
                .and_then(|()| s.read_exact(&mut back))
                .unwrap_or_else(|e| daemon.fail(&format!("echo: {e}")));
            // Still connected: the line must already be there.
            let got = syslog.wait_for(SOON, |l| l.len() == lines.len() + 1);
            lines.push(got.last().cloned().unwrap_or_default());
            drop(s);
        }
        // `%ac` counts the sessions still running: the two above must have ended.
        daemon.wait_until("the first sessions ended", SOON, |d| {
            ["fe", "fe2"]
                .iter()
                .all(|f| d.stat(f, "FRONTEND", "scur") == "0")
        });
        let _ = e2e::client::tcp_roundtrip(c, b"hello\n");
        let got = syslog.wait_for(SOON, |l| l.len() == 3);
        lines.push(got.last().cloned().unwrap_or_default());
        Some(
            lines
                .iter()
                .map(|l| {
                    // The message without client address and date; `+N` times kept as `+`.
                    let msg = message(l).trim_end();
                    let words: Vec<&str> = msg.split(' ').collect();
                    let kept = if words.len() > 4 {
                        &words[2..]
                    } else {
                        &words[..]
                    };
                    kept.iter()
                        .map(|w| match w.split_once('+') {
                            Some((head, n))
                                if n.bytes().all(|b| b.is_ascii_digit())
                                    && !n.is_empty()
                                    && !w.starts_with('+') =>
                            {
                                format!("{head}+N")
                            }
                            _ => w.to_string(),
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect::<Vec<_>>(),
        )
    });
    assert_same_as_haproxy("logasap lines", &seen);
    let (_, proxyd) = seen.last().expect("proxyd ran");
    assert_eq!(
        proxyd[0], "fe be/s1 1/0/+N +0 -- 1/1/1/1/0 0/0",
        "{proxyd:#?}"
    );
    assert_eq!(
        proxyd[2], "fe3 dead/s1 1/-1/+N +0 SC 1/1/0/0/0 0/0",
        "{proxyd:#?}"
    );
}
