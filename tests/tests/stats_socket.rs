//! The stats socket end to end: proxyd side by side with the real HAProxy 2.6 on the same
//! topology (`e2e::topology`), session behaviour, counters under real traffic, admin commands on
//! the data path, levels, filters, and the monitoring clients operators already run.
//!
//! Differential tests pass with a note when HAProxy is not installed; the proxyd-only tests
//! always run.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use e2e::client;
use e2e::daemon::Daemon;
use e2e::ports;
use e2e::socket::{self, StatTable};
use e2e::topology::{raw_fields, raw_stat, Binds, Topology, SETTLED};

/// HAProxy 2.6 and proxyd on the same topology, both settled.
struct Pair {
    topo: Topology,
    haproxy: Daemon,
    proxyd: Daemon,
    /// Where each listens: (HAProxy's, proxyd's).
    binds: (Binds, Binds),
}

fn pair() -> Option<Pair> {
    let topo = Topology::new();
    let (h_cfg, h_binds) = topo.config();
    let haproxy = Daemon::haproxy(h_cfg)?;
    let (x_cfg, x_binds) = topo.config();
    let proxyd = Daemon::proxyd(x_cfg);
    topo.wait_settled(&haproxy);
    topo.wait_settled(&proxyd);
    Some(Pair {
        topo,
        haproxy,
        proxyd,
        binds: (h_binds, x_binds),
    })
}

/// `show stat` taken when no check is in flight on either side (a running check shows `* L4OK`).
fn quiet_stat(d: &Daemon) -> String {
    let mut text = String::new();
    d.wait_until(
        "a show stat without a check in flight",
        Duration::from_secs(10),
        |d| {
            text = d.query("show stat");
            !text.contains(",* ")
        },
    );
    text
}

#[test]
fn show_stat_has_haproxy_26_header_rows_field_counts_and_empty_fields() {
    let Some(p) = pair() else { return };
    let h = quiet_stat(&p.haproxy);
    let x = quiet_stat(&p.proxyd);
    let (h_header, h_rows) = raw_stat(&h);
    let (x_header, x_rows) = raw_stat(&x);
    let h_cols = raw_fields(&h_header);
    let x_cols = raw_fields(&x_header);

    // Header: HAProxy 2.6's, byte for byte: the static columns, `-`, the SSL, HTTP/2 and HTTP/1
    // modules' columns, and the empty field after the trailing comma.
    assert_eq!(h_header, x_header, "headers differ");
    assert_eq!(x_cols[x_cols.len() - 1], "");
    assert!(x.ends_with(",\n\n"), "proxyd's answer ends {:?}", tail(&x));
    assert!(h.ends_with(",\n\n"));

    // Rows: same order, each with exactly the header's field count.
    let names = |rows: &[String]| -> Vec<(String, String)> {
        rows.iter()
            .map(|r| {
                let f = raw_fields(r);
                (f[0].to_string(), f[1].to_string())
            })
            .collect()
    };
    assert_eq!(names(&h_rows), names(&x_rows), "row order differs");
    for row in &x_rows {
        assert_eq!(raw_fields(row).len(), x_cols.len(), "field count of {row}");
    }

    // Per row, every column: empty exactly where HAProxy is empty, and equal values for every
    // column whose value does not depend on timing or on the process.
    let timing = [
        "lastchg",
        "downtime",
        "check_duration",
        "pid",
        "slim", // derived from ulimit-n and the descriptors HAProxy reserves; compared below
        // How many checks ran so far, and which TLS handshakes resumed (a session ticket may
        // arrive after a check closed): compared as sums below.
        "ssl_sess",
        "ssl_reused_sess",
        "h1_total_connections",
        "h1_total_streams",
        "h1_bytes_in",
        "h1_bytes_out",
        "h1_open_connections",
        "h1_open_streams",
    ];
    for (hr, xr) in h_rows.iter().zip(&x_rows) {
        let (hf, xf) = (raw_fields(hr), raw_fields(xr));
        for i in 0..h_cols.len() {
            let col = h_cols[i];
            assert_eq!(
                hf[i].is_empty(),
                xf[i].is_empty(),
                "{}/{} column {i} {col}: HAProxy {:?}, proxyd {:?}",
                hf[0],
                hf[1],
                hf[i],
                xf[i]
            );
            if !timing.contains(&col) {
                assert_eq!(hf[i], xf[i], "{}/{} column {i} {col}", hf[0], hf[1]);
            }
        }
    }

    // The modules' counters of the HTTPS-checked backend: every check is one HTTP/1 connection
    // with one stream and one TLS handshake, sending the same request on both.
    let (ht, xt) = (parse(&h), parse(&x));
    let mut per_check = Vec::new();
    for (who, t) in [("HAProxy", &ht), ("proxyd", &xt)] {
        let n = |col: &str| -> u64 {
            t.get("be_https", "BACKEND", col)
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{who}: be_https/BACKEND {col}"))
        };
        let checks = n("h1_total_connections");
        assert!(checks >= 2, "{who}: {checks} HTTP check connections");
        assert_eq!(n("h1_total_streams"), checks, "{who}");
        assert_eq!(n("ssl_sess") + n("ssl_reused_sess"), checks, "{who}");
        assert_eq!(n("h1_open_connections"), 0, "{who}");
        assert_eq!(
            n("h1_bytes_out") % checks,
            0,
            "{who}: checks sent requests of different sizes"
        );
        per_check.push(n("h1_bytes_out") / checks);
    }
    assert_eq!(per_check[0], per_check[1], "request bytes per check");

    // maxconn as HAProxy derives it from ulimit-n, so frontend `slim` and backend `slim`
    // (fullconn) agree too.
    for (px, sv) in [("fe", "FRONTEND"), ("be", "BACKEND"), ("li", "FRONTEND")] {
        assert_eq!(
            ht.get(px, sv, "slim"),
            xt.get(px, sv, "slim"),
            "{px}/{sv} slim"
        );
    }

    // The check columns operators page on, per server, once settled.
    for (px, sv, status, chk, ..) in SETTLED {
        assert_eq!(xt.get(px, sv, "status"), Some(status), "{px}/{sv}");
        assert_eq!(xt.get(px, sv, "check_status"), Some(chk), "{px}/{sv}");
        for col in ["check_code", "last_chk", "check_desc", "check_health"] {
            assert_eq!(ht.get(px, sv, col), xt.get(px, sv, col), "{px}/{sv} {col}");
        }
    }
}

#[test]
fn servers_state_backend_list_info_keys_typed_and_json_match_haproxy() {
    let Some(p) = pair() else { return };
    let (h, x) = (&p.haproxy, &p.proxyd);

    // `show servers state`: same header, and per server the same columns except the age. A
    // check in progress (srv_check_state bit 0x1) resets srv_check_result on both, so each
    // side is read between two checks.
    let between_checks = |d: &Daemon| {
        let mut state = String::new();
        let idle = socket::wait_for(Duration::from_secs(5), || {
            state = d.query("show servers state");
            state.lines().skip(2).filter(|l| !l.is_empty()).all(|l| {
                l.split(' ')
                    .nth(13)
                    .and_then(|f| f.parse::<u32>().ok())
                    .is_some_and(|flags| flags & 0x1 == 0)
            })
        });
        assert!(idle, "a check was always in progress:\n{state}");
        state
    };
    let (hs, xs) = (between_checks(h), between_checks(x));
    let (hl, xl): (Vec<&str>, Vec<&str>) = (hs.lines().collect(), xs.lines().collect());
    assert_eq!(hl.len(), xl.len(), "HAProxy:\n{hs}\nproxyd:\n{xs}");
    assert_eq!(hl[..2], xl[..2]);
    for (a, b) in hl.iter().zip(&xl).skip(2) {
        let (mut a, mut b): (Vec<&str>, Vec<&str>) =
            (a.split(' ').collect(), b.split(' ').collect());
        if a.len() > 9 && b.len() > 9 {
            // srv_time_since_last_change
            a[9] = "";
            b[9] = "";
        }
        assert_eq!(a, b, "show servers state");
    }
    assert_eq!(
        h.query("show servers state be_https").lines().count(),
        x.query("show servers state be_https").lines().count()
    );
    assert_eq!(h.query("show backend"), x.query("show backend"));

    // `show info`: every key HAProxy prints, in its order (the values differ by nature), then
    // proxyd's own keys after HAProxy's last one.
    let keys = |t: &str| -> Vec<String> {
        t.lines()
            .filter_map(|l| l.split_once(':').map(|(k, _)| k.to_string()))
            .collect()
    };
    let haproxy_keys = keys(&h.query("show info"));
    let proxyd_keys = keys(&x.query("show info"));
    assert_eq!(
        haproxy_keys,
        proxyd_keys[..haproxy_keys.len().min(proxyd_keys.len())]
    );
    assert_eq!(proxyd_keys[haproxy_keys.len()..], ["Proxyd_reloads"]);
    for key in [
        "Maxconn",
        "Hard_maxconn",
        "Nbthread",
        "Ulimit-n",
        "CurrConns",
    ] {
        assert_eq!(
            info_value(&h.query("show info"), key),
            info_value(&x.query("show info"), key),
            "show info {key}"
        );
    }

    // `show stat typed desc`: for every field both print, the same tags, type and description.
    let typed = |t: &str| -> BTreeMap<String, String> {
        t.lines()
            .filter_map(|l| {
                let (name, rest) = l.split_once(':')?;
                let mut parts = rest.splitn(3, ':');
                let tags = parts.next()?;
                let ty = parts.next()?;
                let (_, desc) = l.rsplit_once(":\"")?;
                Some((name.to_string(), format!("{tags}:{ty} \"{desc}")))
            })
            .collect()
    };
    let (ht, xt) = (
        typed(&h.query("show stat typed desc")),
        typed(&x.query("show stat typed desc")),
    );
    assert_eq!(
        ht.keys().collect::<Vec<_>>(),
        xt.keys().collect::<Vec<_>>(),
        "typed field lists differ"
    );
    for (k, v) in &ht {
        assert_eq!(Some(v), xt.get(k), "typed tags of {k}");
    }
    let info_typed = |t: &str| -> Vec<String> {
        t.lines()
            .filter_map(|l| {
                let mut it = l.splitn(4, ':');
                Some(format!("{}:{}:{}", it.next()?, it.next()?, it.next()?))
            })
            .collect()
    };
    let haproxy_typed = info_typed(&h.query("show info typed"));
    let proxyd_typed = info_typed(&x.query("show info typed"));
    assert_eq!(
        haproxy_typed,
        proxyd_typed[..haproxy_typed.len().min(proxyd_typed.len())]
    );
    assert_eq!(
        proxyd_typed[haproxy_typed.len()..],
        ["72.Proxyd_reloads.1:MCP:u32"]
    );
    // `desc`: every key with HAProxy's description, in the plain and the typed forms.
    for cmd in ["show info desc", "show info typed desc"] {
        let described = |t: &str| -> Vec<String> {
            t.lines()
                .filter_map(|l| {
                    let (head, desc) = l.rsplit_once(":\"")?;
                    let key = head.split(':').next()?;
                    Some(format!("{key} \"{desc}"))
                })
                .collect()
        };
        let (hd, xd) = (described(&h.query(cmd)), described(&x.query(cmd)));
        assert!(hd.len() > 60, "{cmd}: {hd:?}");
        assert_eq!(hd, xd[..hd.len().min(xd.len())], "{cmd}");
    }

    // `show stat json`: an array of rows of field objects with the same keys and tags.
    let shape = |t: &str| -> Vec<Vec<String>> {
        let v: serde_json::Value = serde_json::from_str(t.trim_end())
            .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", &t[..t.len().min(300)]));
        v.as_array()
            .expect("array of rows")
            .iter()
            .map(|row| {
                row.as_array()
                    .expect("array of fields")
                    .iter()
                    .map(|f| {
                        let keys: Vec<&String> = f.as_object().expect("object").keys().collect();
                        format!(
                            "{keys:?} {} {} {}",
                            f["field"]["name"], f["tags"], f["value"]["type"]
                        )
                    })
                    .collect()
            })
            .collect()
    };
    assert_eq!(
        shape(&h.query("show stat json")),
        shape(&x.query("show stat json"))
    );
    let _ = &p.topo;
}

/// `show schema json` is HAProxy's document byte for byte, and what proxyd prints for
/// `show info json` and `show stat json` has every key that document requires.
#[test]
fn show_schema_json_is_haproxys_and_our_json_output_follows_it() {
    let Some(p) = pair() else { return };
    let (h, x) = (
        p.haproxy.query("show schema json"),
        p.proxyd.query("show schema json"),
    );
    assert_eq!(h, x);
    assert_eq!(
        p.proxyd.query("show schema"),
        p.haproxy.query("show schema")
    );

    let schema: serde_json::Value = serde_json::from_str(x.trim_end()).expect("schema is JSON");
    let variants = schema["oneOf"].as_array().expect("oneOf");
    let required = |title: &str| -> Vec<String> {
        let v = variants
            .iter()
            .find(|v| v["title"] == title)
            .unwrap_or_else(|| panic!("no {title} in the schema"));
        v["items"]["required"]
            .as_array()
            .expect("required keys")
            .iter()
            .map(|k| k.as_str().expect("key").to_owned())
            .collect()
    };
    let tags = &schema["definitions"]["tags"];
    for (title, command) in [("Info", "show info json"), ("Stat", "show stat json")] {
        let keys = required(title);
        let out: serde_json::Value =
            serde_json::from_str(p.proxyd.query(command).trim_end()).expect("JSON output");
        let items: Vec<&serde_json::Value> = match out.as_array() {
            // `show stat json` nests one array of fields per row.
            Some(a) if a.first().is_some_and(|r| r.is_array()) => a
                .iter()
                .flat_map(|r| r.as_array().expect("row").iter())
                .collect(),
            Some(a) => a.iter().collect(),
            None => panic!("{command}: not an array"),
        };
        assert!(items.len() > 50, "{command}: only {} items", items.len());
        for item in items {
            for k in &keys {
                assert!(item.get(k).is_some(), "{command}: {item} lacks {k:?}");
            }
            for (tag, allowed) in tags.as_object().expect("tags") {
                let Some(allowed) = allowed["enum"].as_array() else {
                    continue;
                };
                assert!(
                    allowed.contains(&item["tags"][tag]),
                    "{command}: {item} has a {tag} outside the schema's"
                );
            }
        }
    }
}

/// Commands with wrong arguments, unknown objects or insufficient level get HAProxy's exact
/// answer. None of them changes state, so both daemons see the same sequence.
#[test]
fn bad_commands_and_levels_get_haproxy_answers() {
    let Some(p) = pair() else { return };
    let admin = [
        "foo",
        "",
        "show stat nosuch -1 -1",
        "disable server nobe/x",
        "disable server be",
        "disable server be/x",
        "enable server be/x",
        "set server be/x state bogus",
        "set server be/up1 state bogus",
        "set weight be/up1 abc",
        "set weight be/up1 5x",
        "set weight be/up1 300",
        "set weight be/up1 -1",
        // A sign is read (strtol): out of range, not garbage. (A weight that succeeds would
        // move the balancing other tests of this pair watch.)
        "set weight be/up1 +300",
        "set weight be/up1 5-3",
        "set server be/up1",
        "set server be/up1 foo",
        "set server be/up1 weight",
        "set server be/up1 health bogus",
        "get weight be/x",
        "get weight be",
        "get weight",
        "get weight be/up1",
        "set timeout cli 0",
        "set timeout cli abc",
        "set timeout cli",
        "set timeout foo",
        "enable health be/nochk",
        "disable health be/nochk",
        "show servers state nosuch",
        "set maxconn",
        "set maxconn foo",
        "set maxconn server be/up1 abc",
        "set maxconn server be/up1 5x",
        "set maxconn server be/up1",
        "set maxconn global 999999999",
        "set maxconn frontend",
        "set maxconn frontend nosuch 5",
        "set maxconn frontend be 5",
        "set maxconn frontend fe",
        "set maxconn frontend fe -1",
        "set maxconn frontend fe 5000000000",
        "set maxconn frontend fe 5x",
        "shutdown sessions",
        "shutdown frontend nosuch",
        "add server be/up1 127.0.0.1:1",
        "add server be/new",
        "add server be/new 127.0.0.1:99999",
        "add server be/new 127.0.0.1:1 weight 300",
        "add server be/new 127.0.0.1:1 wieght 3",
        "add server be/new 127.0.0.1:1 bogus",
        "add server be/new 127.0.0.1:1 no-check",
        "add server be/new 127.0.0.1:1 check rise 0",
        "add server be/new 127.0.0.1:1 check inter 0",
        "add server be/new 127.0.0.1:1 check-ssl verify required",
        "add server be/new 127.0.0.1:1 check-ssl verify none ca-file /nonexistent",
        "add server fe/new 127.0.0.1:1",
        "del server be/up1",
        "del server be/nosuch",
        "del server be",
        "show env E2E_NOT_SET",
        "show errors nosuch",
        "show errors #999",
        "show errors 0",
        "show servers conn nosuch",
        "enable agent be/up1",
        "disable agent be/up1",
        "enable agent be/nosuch",
        "disable agent nosuch/x",
        "enable agent",
        "show sess 0xdeadbeef0",
        "shutdown session",
        "shutdown session abc",
        "shutdown session 0xdeadbeef0",
        "show env HOME",
        "disable frontend",
        "show cli level",
        "help",
        "help show",
        "show\0 backend",
        "\0show version",
        "user; show cli level; operator",
        "operator; show cli level; clear counters all; user; show cli level; operator",
        // Things neither proxy has here: the same empty lists and failed lookups.
        "show table",
        "show table t",
        "clear table t",
        "set table",
        "show map",
        "show map m",
        "get map m",
        "add map m k v",
        "del map m k",
        "set map m k v",
        "clear map m",
        "prepare map m",
        "commit map m",
        "get acl a k",
        "add acl a",
        "del acl a k",
        "commit acl @1 a",
        "show peers",
        "show resolvers r",
        "show cache",
        "show ssl cert",
        "show ssl cert c",
        "show ssl crl-file",
        "show ssl crt-list",
        "show ssl ocsp-response",
        "show tls-keys",
        "get var v",
        "expert-mode",
        "expert-mode on; expert-mode; expert-mode foo; expert-mode",
        "experimental-mode on; experimental-mode; experimental-mode off; experimental-mode",
    ];
    let user = [
        "expert-mode on",
        "experimental-mode",
        "add server be/new 127.0.0.1:1",
        "del server be/up1",
        "show env HOME",
        "show sess",
        "show errors",
        "show startup-logs",
        "enable agent be/up1",
        "shutdown session 0x1",
        "disable server be/up1",
        "set server be/up1 state maint",
        "set weight be/up1 0",
        "clear counters",
        "clear counters all",
        "show cli level",
        "operator",
        "get weight be/up1",
        "set timeout cli 5",
        "help",
        "show ssl cert",
        "show cache",
        "get var v",
        "show map m",
    ];
    let operator = [
        "shutdown session 0xdeadbeef0",
        "clear counters all",
        "disable server be/up1",
        "show cli level",
        "user; clear counters",
    ];
    let op = |d: &Daemon| d.config().dir().join("operator.sock");
    let mut failures = Vec::new();
    let mut compare = |label: &str, h: String, x: String| {
        if h != x {
            failures.push(format!("{label}\n  HAProxy: {h:?}\n  proxyd:  {x:?}"));
        }
    };
    for cmd in admin {
        let (h, x) = (p.haproxy.query(cmd), p.proxyd.query(cmd));
        compare(&format!("admin: {cmd:?}"), h, x);
    }
    for cmd in user {
        let h = p.haproxy.query_on(&p.haproxy.user_socket(), cmd);
        let x = p.proxyd.query_on(&p.proxyd.user_socket(), cmd);
        compare(&format!("user: {cmd:?}"), h, x);
    }
    for cmd in operator {
        let h = p.haproxy.query_on(&op(&p.haproxy), cmd);
        let x = p.proxyd.query_on(&op(&p.proxyd), cmd);
        compare(&format!("operator: {cmd:?}"), h, x);
    }
    assert!(
        failures.is_empty(),
        "{} answers differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The refusals really refused: up1 is still UP and weighted on both.
    for d in [&p.haproxy, &p.proxyd] {
        assert_eq!(d.stat("be", "up1", "status"), "UP");
        assert_eq!(d.query("get weight be/up1"), "1 (initial 1)\n\n");
    }
}

/// With sessions open, HAProxy's TCP mode counts no server connection as in use (each is private
/// to its session) and estimates 1 needed once a server saw a connection or a check: the same
/// on both sides in `show stat` and `show servers conn`, including the pool settings of servers
/// added at run time. `show errors` has no capture to show on either.
#[test]
fn servers_conn_and_used_connections_match_haproxy_with_sessions_open() {
    let Some(p) = pair() else { return };
    let mut held = Vec::new();
    for (d, binds) in [(&p.haproxy, p.binds.0), (&p.proxyd, p.binds.1)] {
        let fe = binds.fe;
        for _ in 0..4 {
            let mut c =
                client::connect(fe).unwrap_or_else(|e| d.fail(&format!("connect {fe}: {e}")));
            c.write_all(b"x")
                .unwrap_or_else(|e| d.fail(&format!("send: {e}")));
            let mut b = [0u8; 1];
            c.read_exact(&mut b)
                .unwrap_or_else(|e| d.fail(&format!("echo: {e}")));
            held.push(c);
        }
        d.wait_until("4 sessions open", Duration::from_secs(10), |d| {
            num(d, "fe", "FRONTEND", "scur") == 4
        });
        let echo = p.topo.echo.addr();
        for cmd in [
            format!("add server be/dyn {echo} pool-max-conn 3 pool-purge-delay 2s"),
            format!("add server be/dyn0 {echo}"),
        ] {
            assert_eq!(d.query(&cmd), "New server registered.\n\n", "{cmd}");
        }
    }
    let columns = |d: &Daemon| -> Vec<(String, String, String)> {
        let stat = d.show_stat();
        stat.rows
            .iter()
            .filter(|r| r.get("type").map(String::as_str) == Some("2"))
            .map(|r| {
                let get = |c: &str| r.get(c).cloned().unwrap_or_default();
                // HAProxy's estimate counts the most connections a server had at once:
                // a health check overlapping a session's connect makes it 2 now and then
                // (seen once in CI); what is compared is whether the server needed any.
                let need = match get("need_conn_est").parse::<u32>() {
                    Ok(n) => n.min(1).to_string(),
                    Err(_) => get("need_conn_est"),
                };
                (
                    format!("{}/{}", get("pxname"), get("svname")),
                    get("used_conn_cur"),
                    need,
                )
            })
            .collect()
    };
    assert_eq!(columns(&p.haproxy), columns(&p.proxyd));
    assert!(
        columns(&p.proxyd)
            .iter()
            .any(|(_, used, need)| used == "0" && need == "1"),
        "no server shows its connections"
    );
    // `used_max` and `need_est` (columns 8 and 9) at most 1, as above.
    let conns = |d: &Daemon, cmd: &str| -> String {
        d.query(cmd)
            .lines()
            .map(|l| {
                if l.starts_with('#') {
                    return l.to_string();
                }
                let mut w: Vec<String> = l.split(' ').map(str::to_string).collect();
                for i in [7, 8] {
                    if let Some(n) = w.get(i).and_then(|v| v.parse::<u32>().ok()) {
                        w[i] = n.min(1).to_string();
                    }
                }
                w.join(" ")
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    for cmd in [
        "show servers conn",
        "show servers conn be",
        "show servers conn #3",
    ] {
        assert_eq!(conns(&p.haproxy, cmd), conns(&p.proxyd, cmd), "{cmd}");
    }
    let dated = |d: &Daemon, cmd: &str| {
        let text = d.query(cmd);
        let (head, tail) = text.split_once('[').unwrap_or((&text, ""));
        let tail = tail.split_once(']').map_or("", |(_, t)| t);
        format!("{head}[…]{tail}")
    };
    for cmd in ["show errors", "show errors fe request", "show errors -1"] {
        assert_eq!(dated(&p.haproxy, cmd), dated(&p.proxyd, cmd), "{cmd}");
    }
    assert_eq!(
        dated(&p.proxyd, "show errors"),
        "Total events captured on […] : 0\n\n"
    );
    // `show cli sockets`: the same sockets (each daemon's own directory), levels and order.
    let sockets = |d: &Daemon| {
        d.query("show cli sockets")
            .replace(&d.config().dir().display().to_string(), "DIR")
    };
    assert_eq!(sockets(&p.haproxy), sockets(&p.proxyd));
    assert!(sockets(&p.proxyd).contains("unix@DIR/admin.sock admin all\n"));
    drop(held);
}

/// Raw exchanges on one connection: `a;b`, two lines in one write, an unterminated last line,
/// prompt mode with `quit`, CRLF. The answers are byte-identical; proxyd's long-line error is
/// its own (HAProxy closes without a word) and is checked on proxyd alone.
#[test]
fn session_framing_matches_haproxy() {
    let Some(p) = pair() else { return };
    let exchanges: [&[u8]; 9] = [
        b"show backend;get weight be/up1\n",
        b"show backend\nget weight be/up1\n",
        b"show backend",
        b"show backend\nget weight be/up1",
        b"prompt\nshow backend\nquit\nshow backend\n",
        b"prompt\nshow backend\n",
        b"prompt\nprompt\nshow backend\n",
        b"show backend\r\n",
        b"quit\nshow backend\n",
    ];
    for bytes in exchanges {
        let h = p.haproxy.query_raw_on(&p.haproxy.socket(), bytes);
        let x = p.proxyd.query_raw_on(&p.proxyd.socket(), bytes);
        assert_eq!(
            String::from_utf8_lossy(&h),
            String::from_utf8_lossy(&x),
            "answers to {:?}",
            String::from_utf8_lossy(bytes)
        );
    }
    // Binary garbage starting with NUL: the first command is empty, and both print the full
    // command list for it.
    let mut garbage: Vec<u8> = (0u8..=255).filter(|b| *b != b'\n').collect();
    garbage.push(b'\n');
    let first = |a: Vec<u8>| -> String {
        let text = String::from_utf8_lossy(&a).into_owned();
        text.split("\n\n").next().unwrap_or_default().to_string()
    };
    let h = first(p.haproxy.query_raw_on(&p.haproxy.socket(), &garbage));
    let x = first(p.proxyd.query_raw_on(&p.proxyd.socket(), &garbage));
    assert!(h.starts_with("Unknown command. Please enter one of the following commands only:"));
    assert_eq!(h, x, "answers to binary garbage");
}

#[test]
fn long_lines_and_garbage_get_an_error_and_the_socket_keeps_serving() {
    let topo = Topology::new();
    let d = Daemon::proxyd(topo.config().0);
    let sock = d.socket();
    let mut long = vec![b'a'; 100 * 1024];
    long.push(b'\n');
    let answer = d.query_raw_on(&sock, &long);
    assert_eq!(answer, b"Command line too long.\n\n");
    let mut long_cmd = b"show stat ".to_vec();
    long_cmd.extend(std::iter::repeat_n(b'x', 17 * 1024));
    long_cmd.push(b'\n');
    assert_eq!(
        d.query_raw_on(&sock, &long_cmd),
        b"Command line too long.\n\n"
    );
    let mut garbage: Vec<u8> = (0..64 * 1024).map(|i| (i * 7 + 3) as u8).collect();
    garbage.push(b'\n');
    let answer = d.query_raw_on(&sock, &garbage);
    assert!(
        String::from_utf8_lossy(&answer).starts_with("Unknown command")
            || answer == b"Command line too long.\n\n",
        "answer to garbage: {:?}",
        String::from_utf8_lossy(&answer[..answer.len().min(200)])
    );
    // A line just under the limit is still a command.
    let mut ok = b"show backend ".to_vec();
    ok.extend(std::iter::repeat_n(b'y', 15 * 1024));
    ok.push(b'\n');
    assert!(d.query_raw_on(&sock, &ok).starts_with(b"# name\n"));
    assert!(d.query("show info").contains("Name: proxyd"));
    assert!(d.exit_status().is_none(), "proxyd exited");
}

/// `stats timeout` closes an idle client; `set timeout cli` changes it for that session only.
/// Checked on both daemons with `stats timeout 1s`.
#[test]
fn idle_clients_are_closed_after_stats_timeout_and_set_timeout_cli_extends_it() {
    let topo = Topology::new();
    let mk = || topo.config().0.global("stats timeout 1s");
    let haproxy = Daemon::haproxy(mk());
    let proxyd = Daemon::proxyd(mk());
    for d in haproxy.iter().chain([&proxyd]) {
        let idle = closed_after(&d.socket(), b"");
        assert!(
            idle >= Duration::from_millis(800) && idle < Duration::from_secs(5),
            "idle client closed after {idle:?}"
        );
        // Interactive session asking for 3 s: still open after 1.5 s.
        let mut s = UnixStream::connect(d.socket()).expect("connect");
        s.write_all(b"prompt\nset timeout cli 3\n").expect("write");
        thread::sleep(Duration::from_millis(1500));
        s.write_all(b"show backend\n").expect("write after 1.5s");
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let started = Instant::now();
        let mut got = Vec::new();
        let _ = s.read_to_end(&mut got);
        let text = String::from_utf8_lossy(&got);
        assert!(text.contains("# name\nbe\nbe_https\nli\n"), "got {text:?}");
        assert!(started.elapsed() >= Duration::from_secs(2), "closed early");
    }
}

/// Seconds until the daemon closes a connection that sent `bytes` and nothing more.
fn closed_after(sock: &Path, bytes: &[u8]) -> Duration {
    let mut s = UnixStream::connect(sock).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let started = Instant::now();
    s.write_all(bytes).expect("write");
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    started.elapsed()
}

/// A hundred clients connect at once; `stats maxconn` (10) queues the rest, all are answered.
#[test]
fn a_hundred_concurrent_clients_are_all_answered() {
    let topo = Topology::new();
    let haproxy = Daemon::haproxy(topo.config().0);
    let proxyd = Daemon::proxyd(topo.config().0);
    for d in haproxy.iter().chain([&proxyd]) {
        let sock = d.socket();
        let answers: Vec<String> = thread::scope(|scope| {
            let handles: Vec<_> = (0..100)
                .map(|_| {
                    let sock = sock.clone();
                    scope.spawn(move || {
                        socket::query(&sock, "show stat").unwrap_or_else(|e| e.to_string())
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        let good = answers
            .iter()
            .filter(|a| a.starts_with("# pxname,svname,") && a.ends_with("\n\n"))
            .count();
        if good != 100 {
            d.fail(&format!(
                "{good}/100 clients got a full answer; one bad: {:?}",
                answers.iter().find(|a| !a.starts_with("# pxname"))
            ));
        }
    }
}

fn parse(text: &str) -> StatTable {
    StatTable::parse(text).unwrap_or_else(|e| panic!("bad show stat: {e}\n{text}"))
}

fn info_value(info: &str, key: &str) -> Option<String> {
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}: ")).map(str::to_string))
}

fn tail(s: &str) -> &str {
    &s[s.len().saturating_sub(40)..]
}

fn num(d: &Daemon, px: &str, sv: &str, col: &str) -> u64 {
    d.stat(px, sv, col).parse().unwrap_or(0)
}

/// Sends `size` bytes through `addr` to an echo server and checks they come back.
fn echo_session(d: &Daemon, addr: std::net::SocketAddr, size: usize) {
    let payload: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    let back = client::tcp_roundtrip(addr, &payload)
        .unwrap_or_else(|e| d.fail(&format!("session through {addr}: {e}")));
    if back != payload {
        d.fail(&format!("echo returned {} of {size} bytes", back.len()));
    }
}

#[test]
fn counters_equal_the_traffic_sent() {
    let topo = Topology::new();
    let (cfg, binds) = topo.config();
    let d = Daemon::proxyd(cfg);
    topo.wait_settled(&d);
    // `be` has two usable active servers (up1, nochk) sharing the sessions round-robin.
    let sizes = [1000usize, 20_000, 300_000];
    for size in sizes {
        echo_session(&d, binds.fe, size);
    }
    let total: u64 = sizes.iter().sum::<usize>() as u64;
    d.wait_until("counters settled", Duration::from_secs(10), |d| {
        num(d, "be", "up1", "scur") == 0 && num(d, "fe", "FRONTEND", "scur") == 0
    });
    for (px, sv) in [("fe", "FRONTEND"), ("be", "BACKEND")] {
        assert_eq!(num(&d, px, sv, "bin"), total, "{px}/{sv} bin");
        assert_eq!(num(&d, px, sv, "bout"), total, "{px}/{sv} bout");
        assert_eq!(num(&d, px, sv, "stot"), 3, "{px}/{sv} stot");
    }
    // Round-robin from the start: up1 got sessions 1 and 3, nochk session 2.
    let servers = |col: &str| (num(&d, "be", "up1", col), num(&d, "be", "nochk", col));
    let (a, b) = servers("bin");
    assert_eq!(a + b, total, "server bin");
    assert!(
        [sizes[0] + sizes[2], sizes[1]].contains(&(a as usize)),
        "up1 bin {a}: not a whole set of sessions"
    );
    assert_eq!(servers("bout"), (a, b), "server bout");
    let (sa, sb) = servers("stot");
    assert_eq!(sa + sb, 3);
    assert_eq!(servers("lbtot"), (sa, sb));
    assert_eq!(servers("connect"), (sa, sb));
    assert_eq!(num(&d, "be", "BACKEND", "lbtot"), 3);
    assert_eq!(num(&d, "be", "BACKEND", "connect"), 3);
    assert_eq!(num(&d, "fe", "FRONTEND", "conn_tot"), 3);
    assert_eq!(
        num(&d, "be", "bk", "stot"),
        0,
        "backup used while up1 is UP"
    );
    let stat = d.show_stat();
    let get = |sv: &str, col: &str| stat.get("be", sv, col).unwrap_or("").to_string();
    let lastsess: i64 = get("up1", "lastsess").parse().unwrap_or(-1);
    assert!((0..60).contains(&lastsess), "lastsess {lastsess}");
    assert_eq!(
        get("bk", "lastsess"),
        "-1",
        "a server never used has lastsess -1"
    );
    let ttime: u64 = get("up1", "ttime").parse().unwrap_or(u64::MAX);
    let ctime: u64 = get("up1", "ctime").parse().unwrap_or(u64::MAX);
    assert!(
        ttime < 10_000 && ctime <= ttime,
        "ctime {ctime} ttime {ttime}"
    );
    assert!(
        num(&d, "fe", "FRONTEND", "rate") > 0 || num(&d, "fe", "FRONTEND", "rate_max") >= 1,
        "no rate after traffic"
    );
    assert!(num(&d, "fe", "FRONTEND", "rate_max") >= 1);
    // `show info` sees the same sessions, and counts every stats socket client too, as
    // HAProxy does: two queries in a row differ by one, the second query's own connection.
    let cum = |key: &str| -> u64 {
        let info = d.query("show info");
        info_value(&info, key)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| d.fail(&format!("no {key} in {info}")))
    };
    let first = cum("CumConns");
    assert!(
        first > 3,
        "CumConns {first} after 3 sessions and socket queries"
    );
    assert_eq!(cum("CumConns"), first + 1);
    let req = cum("CumReq");
    assert_eq!(cum("CumReq"), req + 1);
    // `clear counters` resets maxima only; `clear counters all` resets totals.
    d.query("clear counters");
    assert_eq!(num(&d, "be", "BACKEND", "bin"), total);
    assert_eq!(num(&d, "be", "up1", "smax"), 0);
    d.query("clear counters all");
    for col in ["bin", "bout", "stot", "lbtot", "connect"] {
        assert_eq!(
            num(&d, "be", "BACKEND", col),
            0,
            "{col} after clear counters all"
        );
        assert_eq!(
            num(&d, "be", "up1", col),
            0,
            "{col} after clear counters all"
        );
    }
}

/// Which servers of `be` 12 sessions through `fe` reached: (up1, nochk, bk).
fn spread(topo: &Topology, d: &Daemon, fe: std::net::SocketAddr, n: usize) -> Vec<u64> {
    let before: Vec<u64> = ["up1", "nochk", "bk"]
        .iter()
        .map(|s| num(d, "be", s, "stot"))
        .collect();
    for _ in 0..n {
        echo_session(d, fe, 100);
    }
    let _ = topo;
    ["up1", "nochk", "bk"]
        .iter()
        .zip(before)
        .map(|(s, b)| num(d, "be", s, "stot") - b)
        .collect()
}

#[test]
fn admin_commands_change_routing_at_once() {
    let topo = Topology::new();
    let (cfg, binds) = topo.config();
    let d = Daemon::proxyd(cfg);
    topo.wait_settled(&d);
    // up1 and nochk share round-robin; bk is backup.
    assert_eq!(spread(&topo, &d, binds.fe, 12), [6, 6, 0]);
    // maint stops new connections to up1.
    assert_eq!(d.query("set server be/up1 state maint"), "\n");
    assert_eq!(d.stat("be", "up1", "status"), "MAINT");
    assert_eq!(spread(&topo, &d, binds.fe, 6), [0, 6, 0]);
    // drain: still no new connections, status DRAIN.
    assert_eq!(d.query("set server be/up1 state drain"), "\n");
    // Leaving maintenance restarts the checks at `rise`, so it may read `DRAIN 1/3` for a while.
    assert!(d.stat("be", "up1", "status").starts_with("DRAIN"));
    assert_eq!(spread(&topo, &d, binds.fe, 6), [0, 6, 0]);
    // ready again, then weight 3 vs 1: a 3:1 spread.
    assert_eq!(d.query("set server be/up1 state ready"), "\n");
    assert_eq!(d.query("set server be/up1 weight 3"), "\n");
    assert_eq!(d.query("get weight be/up1"), "3 (initial 1)\n\n");
    assert_eq!(d.stat("be", "up1", "weight"), "3");
    assert_eq!(d.stat("be", "BACKEND", "weight"), "4");
    assert_eq!(spread(&topo, &d, binds.fe, 12), [9, 3, 0]);
    // weight 0 on both actives and health down: the backup takes over.
    assert_eq!(d.query("set weight be/up1 0"), "\n");
    assert_eq!(d.query("set server be/nochk health down"), "\n");
    assert_eq!(d.stat("be", "nochk", "status"), "DOWN");
    assert_eq!(spread(&topo, &d, binds.fe, 4), [0, 0, 4]);
    // Back: `show stat up` / `no-maint` and the (n/m) suffix.
    d.query("set server be/nochk health up");
    d.query("set weight be/up1 100%");
    d.query("disable server be/bk");
    let up = parse(&d.query("show stat up"));
    let names: Vec<&str> = up
        .rows
        .iter()
        .filter(|r| r["pxname"] == "be")
        .map(|r| r["svname"].as_str())
        .collect();
    assert_eq!(names, ["up1", "nochk", "BACKEND"], "show stat up");
    assert_eq!(up.get("be", "BACKEND", "status"), Some("UP (2/5)"));
    let nm = parse(&d.query("show stat no-maint"));
    let names: Vec<&str> = nm
        .rows
        .iter()
        .filter(|r| r["pxname"] == "be")
        .map(|r| r["svname"].as_str())
        .collect();
    assert_eq!(
        names,
        ["up1", "refused", "nochk", "BACKEND"],
        "show stat no-maint"
    );
    assert_eq!(d.stat("be", "BACKEND", "status"), "UP");
}

#[test]
fn show_stat_filters_select_proxy_type_and_server() {
    let topo = Topology::new();
    let d = Daemon::proxyd(topo.config().0);
    let rows = |cmd: &str| -> Vec<String> {
        parse(&d.query(cmd))
            .rows
            .iter()
            .map(|r| format!("{}/{}", r["pxname"], r["svname"]))
            .collect()
    };
    assert_eq!(
        rows("show stat be 4 -1"),
        ["be/up1", "be/refused", "be/dis", "be/nochk", "be/bk"]
    );
    assert_eq!(rows("show stat be 2 -1"), ["be/BACKEND"]);
    assert_eq!(rows("show stat -1 1 -1"), ["fe/FRONTEND", "li/FRONTEND"]);
    assert_eq!(rows("show stat be -1 2"), ["be/refused", "be/BACKEND"]);
    let iid = d.stat("li", "s1", "iid");
    assert_eq!(rows(&format!("show stat {iid} 4 1")), ["li/s1"]);
    assert_eq!(d.query("show stat nosuch -1 -1"), "No such proxy.\n\n");
    let desc = d.query("show stat be 4 1 typed desc");
    assert!(
        desc.lines().any(|l| l.starts_with("S.")
            && l.contains(".17.status.1:SGP:str:UP:\"")
            && l.ends_with('"')),
        "{desc}"
    );
    assert!(desc.lines().all(|l| l.is_empty() || l.ends_with('"')));
}

/// The blog's pipeline verbatim on this topology: `$2,$18,$37` are svname, status, check_status.
#[test]
fn awk_columns_2_18_37_are_svname_status_check_status() {
    let topo = Topology::new();
    let d = Daemon::proxyd(topo.config().0);
    topo.wait_settled(&d);
    let script = format!(
        "echo 'show stat' | nc -U {} | awk -F, '$1==\"be_https\" {{print $2,$18,$37}}'",
        socket::shell_quote(&d.socket().to_string_lossy())
    );
    let mut last = String::new();
    let ok = socket::wait_for(Duration::from_secs(10), || {
        let out = Command::new("sh").arg("-c").arg(&script).output();
        last = out
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        last == "ok UP L7OK\nbad DOWN L7STS\nBACKEND UP \n"
    });
    assert!(ok, "pipeline printed {last:?}");
}

/// `prometheus-haproxy-exporter` (Debian) scrapes proxyd's socket: no parse error, and the
/// values it exports are proxyd's.
#[test]
fn prometheus_haproxy_exporter_reads_proxyd() {
    let Some(exporter) = which("prometheus-haproxy-exporter") else {
        eprintln!("note: prometheus-haproxy-exporter not installed, skipping (apt-get install prometheus-haproxy-exporter)");
        return;
    };
    let topo = Topology::new();
    let (cfg, binds) = topo.config();
    let d = Daemon::proxyd(cfg);
    topo.wait_settled(&d);
    echo_session(&d, binds.fe, 5000);
    let listen = ports::free_addr();
    let mut child = Command::new(exporter)
        .arg(format!(
            "--haproxy.scrape-uri=unix:{}",
            d.socket().display()
        ))
        .arg(format!("--web.listen-address={listen}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start exporter");
    let mut metrics = String::new();
    let ok = socket::wait_for(Duration::from_secs(15), || {
        metrics = http_get(listen, "/metrics").unwrap_or_default();
        metrics.contains("haproxy_up")
    });
    let _ = child.kill();
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    let _ = child.wait();
    assert!(ok, "no metrics; exporter stderr:\n{stderr}");
    let value = |name: &str| -> Option<f64> {
        metrics.lines().find_map(|l| {
            l.strip_prefix(name)
                .and_then(|rest| rest.trim().parse::<f64>().ok())
        })
    };
    assert_eq!(value("haproxy_up"), Some(1.0), "{metrics}");
    assert!(
        !stderr.contains("rror"),
        "exporter reported errors:\n{stderr}"
    );
    assert_eq!(
        value("haproxy_exporter_csv_parse_failures_total"),
        Some(0.0),
        "{metrics}"
    );
    assert_eq!(
        value("haproxy_server_up{backend=\"be\",server=\"up1\"}"),
        Some(1.0)
    );
    assert_eq!(
        value("haproxy_server_up{backend=\"be\",server=\"refused\"}"),
        Some(0.0)
    );
    assert_eq!(
        value("haproxy_backend_bytes_in_total{backend=\"be\"}"),
        Some(5000.0)
    );
    assert_eq!(
        value("haproxy_frontend_bytes_in_total{frontend=\"fe\"}"),
        Some(5000.0)
    );
    assert_eq!(
        value("haproxy_frontend_connections_total{frontend=\"fe\"}"),
        Some(1.0)
    );
    assert_eq!(value("haproxy_backend_up{backend=\"be_https\"}"), Some(1.0));
}

/// `hatop` (Debian) in a tmux pane against proxyd: it switches to prompt mode, sets the CLI
/// timeout, reads `show info` and `show stat`, and draws the servers.
#[test]
fn hatop_starts_against_proxyd_and_lists_the_servers() {
    let (Some(hatop), Some(_)) = (which("hatop"), which("tmux")) else {
        eprintln!("note: hatop or tmux not installed, skipping (apt-get install hatop tmux)");
        return;
    };
    let topo = Topology::new();
    let d = Daemon::proxyd(topo.config().0);
    topo.wait_settled(&d);
    let session = format!("hatop-{}", std::process::id());
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    };
    let cmd = format!("{} -s {}", hatop.display(), d.socket().display());
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "200",
        "-y",
        "50",
        &cmd,
    ]);
    let mut screen = String::new();
    let ok = socket::wait_for(Duration::from_secs(15), || {
        screen = tmux(&["capture-pane", "-p", "-t", &session]);
        ["up1", "refused", "nochk", "ok", "bad", "s1"]
            .iter()
            .all(|s| screen.contains(s))
    });
    tmux(&["send-keys", "-t", &session, "q"]);
    thread::sleep(Duration::from_millis(300));
    tmux(&["kill-session", "-t", &session]);
    assert!(ok, "hatop screen:\n{screen}");
    assert!(screen.contains("proxyd"), "hatop screen:\n{screen}");
    assert!(screen.contains("DOWN") && screen.contains("UP"), "{screen}");
}

fn which(program: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(program))
        .find(|p| p.is_file())
}

/// A minimal HTTP/1.0 GET on loopback; the body as text.
fn http_get(addr: std::net::SocketAddr, path: &str) -> Option<String> {
    let mut s = client::connect(addr).ok()?;
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").as_bytes())
        .ok()?;
    let _ = s.shutdown(Shutdown::Write);
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    out.split_once("\r\n\r\n").map(|(_, b)| b.to_string())
}

/// What one HTTP exchange with a stats listener got back: the raw answer bytes.
fn page_exchange(listen: std::net::SocketAddr, send: &[u8], close_write: bool) -> Vec<u8> {
    let mut s = std::net::TcpStream::connect(listen).expect("connect to the stats listener");
    s.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let _ = s.write_all(send);
    if close_write {
        let _ = s.shutdown(Shutdown::Write);
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    out
}

/// The stats listener counts requests as HAProxy does: on the frontend every request and
/// every error its HTTP/1 layer answered itself (raw 400/408, bytes counted in `h1_bytes_*`
/// and not in `bout`), on the backend the requests that were not the page's (503, no server);
/// `bin`/`bout` in HAProxy's internal message size; the HTTP/1 module's connections and
/// streams (a connection closed without a byte makes no stream).
#[test]
fn stats_listener_counts_requests_and_errors_as_haproxy() {
    let config = |listen: std::net::SocketAddr| {
        e2e::config::Config::new().section(format!(
            "listen st\n    bind {listen}\n    mode http\n    timeout client 1s\n    stats enable\n    stats uri /stats\n"
        ))
    };
    let (h_listen, x_listen) = (ports::free_addr(), ports::free_addr());
    let Some(h) = Daemon::haproxy(config(h_listen)) else {
        return;
    };
    let x = Daemon::proxyd(config(x_listen));
    // proxyd answers one request per connection: the requests ask for that.
    let exchanges: [(&str, &[u8], bool); 7] = [
        (
            "request outside the page",
            b"GET /nope HTTP/1.1\r\nHost: a\r\nUser-Agent: t\r\nConnection: close\r\n\r\n",
            false,
        ),
        ("HTTP/1.0 request", b"GET /x HTTP/1.0\r\n\r\n", false),
        (
            "HEAD request",
            b"HEAD /nope HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
            false,
        ),
        ("garbage", b"GARBAGE\r\n\r\n", false),
        ("closed without a byte", b"", true),
        ("half a request then closed", b"GET /stats HT", true),
        ("half a request then silent", b"GET /stats HT", false),
    ];
    for (what, send, close) in exchanges {
        let ha = page_exchange(h_listen, send, close);
        let xa = page_exchange(x_listen, send, close);
        assert_eq!(
            String::from_utf8_lossy(&ha),
            String::from_utf8_lossy(&xa),
            "{what}: answers differ"
        );
    }
    let cols = [
        "scur",
        "stot",
        "bin",
        "bout",
        "ereq",
        "econ",
        "hrsp_2xx",
        "hrsp_4xx",
        "hrsp_5xx",
        "req_tot",
        "conn_tot",
        "h1_open_connections",
        "h1_open_streams",
        "h1_total_connections",
        "h1_total_streams",
        "h1_bytes_in",
        "h1_bytes_out",
    ];
    let settled = |d: &Daemon| d.stat("st", "FRONTEND", "scur") == "0";
    h.wait_until("no connection left", Duration::from_secs(10), settled);
    x.wait_until("no connection left", Duration::from_secs(10), settled);
    let (ht, xt) = (h.show_stat(), x.show_stat());
    for sv in ["FRONTEND", "BACKEND"] {
        for col in cols {
            assert_eq!(
                ht.get("st", sv, col),
                xt.get("st", sv, col),
                "st/{sv} {col}"
            );
        }
    }
    assert_eq!(ht.get("st", "FRONTEND", "ereq"), Some("4"));
}

/// `CumConns` counts the health checks' connections besides the clients' and the stats
/// socket's, as HAProxy's does: an operator graphing it sees the check load.
#[test]
fn cum_conns_counts_check_connections_as_haproxy() {
    let server = e2e::backends::Backend::http(200);
    let seen = e2e::differential::on_both(|under| {
        let cfg = e2e::config::Config::new().backend(
            e2e::config::BackendSection::new("be")
                .line("option httpchk GET /")
                .server("s1", server.addr(), "check inter 100"),
        );
        let daemon = under.start(cfg)?;
        let num = |text: &str, key: &str| -> u64 {
            info_value(text, key)
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0)
        };
        let checks = |d: &Daemon| -> u64 {
            d.stat("be", "BACKEND", "h1_total_connections")
                .parse()
                .unwrap_or(0)
        };
        let c0 = num(&daemon.query("show info"), "CumConns");
        let h0 = checks(&daemon);
        // Every query below is one more stats socket connection, counted too.
        let mut queries = 1;
        let deadline = Instant::now() + Duration::from_secs(10);
        while checks(&daemon) < h0 + 4 {
            queries += 1;
            assert!(Instant::now() < deadline, "{under:?}: checks did not run");
            thread::sleep(Duration::from_millis(50));
        }
        let c1 = num(&daemon.query("show info"), "CumConns");
        queries += 1;
        Some(c1 - c0 >= 4 + queries)
    });
    for (under, counted) in &seen {
        assert!(
            counted,
            "{under:?}: CumConns did not count the check connections"
        );
    }
}

/// `show info` `TotalBytesOut` counts every byte the process's sockets send, as HAProxy's
/// does: each stats socket answer once written, and each HTTP check's request (18 bytes for
/// `GET /`), besides the proxied bytes (`forward_paths.rs`).
#[test]
fn total_bytes_out_counts_stats_socket_answers_and_check_requests() {
    use e2e::backends::Backend;
    use e2e::config::{BackendSection, Config};
    use e2e::differential::{assert_same_as_haproxy, on_both};

    let web = Backend::http(200);
    let seen = on_both(|under| {
        let config = Config::new().backend(
            BackendSection::new("be")
                .line("option httpchk GET /")
                .server("s", web.addr(), "check inter 100ms"),
        );
        let daemon = under.start(config)?;
        // Every answer's size, and the TotalBytesOut an answer carries.
        let answered = std::cell::Cell::new(0u64);
        let query = |cmd: &str| {
            let answer = daemon.query(cmd);
            answered.set(answered.get() + answer.len() as u64);
            answer
        };
        let total = |info: &str| -> u64 {
            info_value(info, "TotalBytesOut")
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| daemon.fail("no TotalBytesOut"))
        };
        // Checks off, and none left in progress (`* ` before its status).
        let settle = || {
            query("disable health be/s");
            let idle = socket::wait_for(Duration::from_secs(5), || {
                !query("show stat").contains(",* ")
            });
            assert!(idle, "{under:?}: a check stayed in progress");
        };
        settle();
        let first = query("show info");
        let (start, checks_before) = (total(&first), web.served());
        answered.set(first.len() as u64);
        query("enable health be/s");
        let ran = socket::wait_for(Duration::from_secs(10), || {
            web.served() >= checks_before + 3
        });
        assert!(ran, "{under:?}: checks did not run");
        settle();
        let checks = (web.served() - checks_before) as u64;
        let last = query("show info");
        let end = total(&last);
        // An answer is not counted in the value it carries.
        let between = answered.get() - last.len() as u64;
        let from_checks = (end - start).checked_sub(between).unwrap_or_else(|| {
            daemon.fail(&format!(
                "{under:?}: TotalBytesOut grew by {} over {between} bytes of answers",
                end - start
            ))
        });
        assert_eq!(
            from_checks % checks,
            0,
            "{under:?}: {from_checks} bytes for {checks} checks"
        );
        // And answers alone move it by their own size.
        let again = query("show info");
        assert_eq!(
            total(&again).checked_sub(end),
            Some(last.len() as u64),
            "{under:?}"
        );
        Some(from_checks / checks)
    });
    assert_same_as_haproxy("bytes sent per check", &seen);
    assert_eq!(seen.last().map(|(_, b)| *b), Some(18));
}
