//! Whole-file behaviour: real configurations, defaults, ids and HAProxy's exact messages.
//! Expected wordings were taken from `haproxy -c` (2.6.12) on the same input.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;
use runtime_api::level::Level;
use runtime_api::status::CheckStatus;

fn no_env(_: &str) -> Option<String> {
    None
}

fn load_text(text: &str) -> Result<Loaded, Vec<Diagnostic>> {
    load_str(Path::new("t.cfg"), text, &no_env)
}

fn ok(text: &str) -> Loaded {
    match load_text(text) {
        Ok(l) => l,
        Err(d) => panic!("config refused:\n{}\n---\n{text}", render(&d)),
    }
}

fn render(d: &[Diagnostic]) -> String {
    d.iter().map(|d| format!("{d:#}\n")).collect()
}

/// Every message, as `haproxy -c` would print it minus the pid.
fn messages(text: &str) -> String {
    match load_text(text) {
        Ok(l) => render(&l.warnings),
        Err(d) => render(&d),
    }
}

fn assert_has(text: &str, expected: &str) {
    let got = messages(text);
    assert!(got.contains(expected), "missing:\n{expected}\ngot:\n{got}");
}

const TIMEOUTS: &str = "defaults\n  timeout connect 5s\n  timeout client 5s\n  timeout server 5s\n";

fn with_timeouts(body: &str) -> String {
    format!("{TIMEOUTS}{body}")
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("proxyd-config-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn ca_file(tag: &str) -> PathBuf {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("cert");
    let path = temp_dir(tag).join("ca.pem");
    std::fs::write(&path, cert.cert.pem()).expect("write ca");
    path
}

#[test]
fn blog_config_loads_with_a_warning_for_the_listen_address() {
    let ca = ca_file("blog");
    let text = format!(
        r"global
    stats socket /var/lib/haproxy/stats
frontend fe_service
    bind localhost:443
    mode tcp
    default_backend be_service
backend be_service
    balance roundrobin
    mode tcp
    option httpchk GET /v1/status
    http-check expect status 200
    server backend1.example.com localhost:8443 check check-ssl verify required ca-file {ca} maxconn 5
    server backend2.example.com 127.0.0.1:8443 check check-ssl verify required ca-file {ca} maxconn 5
listen stats :9000
    mode http
    stats enable
    stats hide-version
    stats realm Haproxy\ Statistics
    stats uri /
",
        ca = ca.display()
    );
    let loaded = ok(&text);
    let w = render(&loaded.warnings);
    assert!(
        w.contains("parsing [t.cfg:14] : please use the 'bind' keyword for listening addresses: read as 'bind :9000'"),
        "{w}"
    );
    let c = &loaded.config;
    assert_eq!(c.global.stats_sockets.len(), 1);
    assert_eq!(c.global.stats_sockets[0].level, Level::Operator);
    let names: Vec<(&str, u32)> = c.proxies.iter().map(|p| (p.name.as_str(), p.id)).collect();
    assert_eq!(names, [("fe_service", 2), ("be_service", 3), ("stats", 4)]);
    let fe = &c.proxies[0];
    assert!(fe.binds[0]
        .addrs
        .iter()
        .all(|a| a.ip().is_loopback() && a.port() == 443));
    assert_eq!(fe.default_backend.as_deref(), Some("be_service"));
    let be = &c.proxies[1];
    assert_eq!(be.servers.len(), 2);
    let s = &be.servers[0];
    assert_eq!((s.id, s.maxconn, s.weight), (1, 5, 1));
    assert_eq!(s.host, "localhost");
    let chk = s.check.as_ref().expect("checked");
    assert_eq!(chk.target, s.addr);
    assert_eq!(
        (chk.inter, chk.rise, chk.fall),
        (Duration::from_secs(2), 2, 3)
    );
    let tls = chk.tls.as_ref().expect("check-ssl");
    assert_eq!(
        tls.verify,
        Verify::Required {
            ca_file: ca.clone()
        }
    );
    let http = chk.http.as_ref().expect("httpchk");
    assert_eq!(http.request_bytes(), b"GET /v1/status HTTP/1.0\r\n\r\n");
    assert!(
        matches!(http.expect[..], [Expect { negate: false, matcher: ExpectMatch::Status(ref v), .. }] if v == &[(200, 200)])
    );
    let st = &c.proxies[2];
    assert_eq!(st.kind, ProxyKind::Listen);
    assert_eq!(st.binds[0].addrs, vec!["0.0.0.0:9000".parse().unwrap()]);
    let page = st.stats.as_ref().expect("stats page");
    assert_eq!(
        (page.uri.as_str(), page.realm.as_str()),
        ("/", "Haproxy Statistics")
    );
    assert!(page.hide_version);
}

/// Debian's stock /etc/haproxy/haproxy.cfg (haproxy 2.6.12-1+deb12u4).
const DEBIAN_STOCK: &str = "global
\tlog /dev/log\tlocal0
\tlog /dev/log\tlocal1 notice
\tchroot /var/lib/haproxy
\tstats socket /run/haproxy/admin.sock mode 660 level admin
\tstats timeout 30s
\tuser haproxy
\tgroup haproxy
\tdaemon

\t# Default SSL material locations
\tca-base /etc/ssl/certs
\tcrt-base /etc/ssl/private

\t# See: https://ssl-config.mozilla.org/#server=haproxy&server-version=2.0.3&config=intermediate
        ssl-default-bind-ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384
        ssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256
        ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets

defaults
\tlog\tglobal
\tmode\thttp
\toption\thttplog
\toption\tdontlognull
        timeout connect 5000
        timeout client  50000
        timeout server  50000
\terrorfile 400 /etc/haproxy/errors/400.http
\terrorfile 403 /etc/haproxy/errors/403.http
\terrorfile 408 /etc/haproxy/errors/408.http
\terrorfile 500 /etc/haproxy/errors/500.http
\terrorfile 502 /etc/haproxy/errors/502.http
\terrorfile 503 /etc/haproxy/errors/503.http
\terrorfile 504 /etc/haproxy/errors/504.http
";

#[test]
fn debian_stock_file_loads() {
    // The stock file names the `haproxy` account; machines without it get root instead.
    let text = if global::user_id("haproxy").is_some() && global::group_id("haproxy").is_some() {
        DEBIAN_STOCK.to_string()
    } else {
        DEBIAN_STOCK
            .replace("user haproxy", "user root")
            .replace("group haproxy", "group root")
    };
    let loaded = ok(&text);
    let g = &loaded.config.global;
    assert!(g.daemon);
    assert_eq!(g.stats_timeout, Duration::from_secs(30));
    assert_eq!(g.chroot.as_deref(), Some(Path::new("/var/lib/haproxy")));
    assert_eq!(g.logs.len(), 2);
    let sock = &g.stats_sockets[0];
    assert_eq!((sock.level, sock.mode), (Level::Admin, Some(0o660)));
    assert!(loaded.config.proxies.is_empty());
    let w = render(&loaded.warnings);
    assert!(w.contains("'ca-base' is ignored by proxyd"), "{w}");
    assert!(
        w.contains("'ssl-default-bind-ciphers' is ignored by proxyd"),
        "{w}"
    );
    assert!(w.contains("'errorfile' is ignored by proxyd"), "{w}");
}

#[test]
fn the_installed_debian_file_loads_when_present() {
    let path = PathBuf::from("/etc/haproxy/haproxy.cfg");
    if path.exists() && global::user_id("haproxy").is_some() {
        if let Err(d) = load(&[path], &no_env) {
            panic!("{}", render(&d));
        }
    }
}

#[test]
fn defaults_apply_when_nothing_is_said() {
    let c = ok(&with_timeouts(
        "global\nbackend b\n  option httpchk\n  server s 127.0.0.1:80 check\n",
    ))
    .config;
    assert_eq!(c.global.stats_timeout, Duration::from_secs(10));
    assert_eq!(c.global.stats_maxconn, 10);
    let b = &c.proxies[0];
    assert_eq!(b.id, 1, "no stats socket: ids start at 1");
    assert_eq!(
        (b.mode, b.balance, b.retries),
        (Mode::Tcp, Balance::RoundRobin, 3)
    );
    assert!(!b.redispatch);
    let chk = b.servers[0].check.as_ref().expect("check");
    assert_eq!(chk.fastinter, Duration::from_secs(2));
    assert_eq!(chk.downinter, Duration::from_secs(2));
    assert!(chk.tls.is_none());
    let http = chk.http.as_ref().expect("http");
    assert_eq!(http.request_bytes(), b"OPTIONS / HTTP/1.0\r\n\r\n");
    assert!(http.expect.is_empty());
}

#[test]
fn proxies_inherit_the_last_defaults_and_from() {
    let c = ok("defaults base\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n  option redispatch\n  option allbackups\n  retries 5\n  default-server inter 3s weight 7\ndefaults\n  timeout connect 2s\n  timeout client 2s\n  timeout server 2s\nbackend plain\n  server s 127.0.0.1:1\nbackend derived from base\n  no option redispatch\n  server s 127.0.0.1:1 check\nbackend without from base\n  no option allbackups\n  server s 127.0.0.1:1 check\n").config;
    let plain = &c.proxies[0];
    assert_eq!(
        (plain.mode, plain.retries, plain.redispatch),
        (Mode::Tcp, 3, false)
    );
    assert_eq!(plain.servers[0].weight, 1);
    let derived = &c.proxies[1];
    assert_eq!((derived.mode, derived.retries), (Mode::Http, 5));
    assert!(!derived.redispatch);
    assert!(derived.all_backups && !c.proxies[2].all_backups && !plain.all_backups);
    assert_eq!(derived.servers[0].weight, 7);
    assert_eq!(
        derived.servers[0].check.as_ref().map(|c| c.inter),
        Some(Duration::from_secs(3))
    );
    assert_eq!(derived.timeouts.connect, Some(Duration::from_secs(1)));
}

#[test]
fn ids_match_haproxy_with_a_stats_socket() {
    let c = ok(&with_timeouts("global\n  stats socket /tmp/x level admin\nfrontend f\n  bind 127.0.0.1:19001\n  default_backend b\nbackend b\n  server s1 127.0.0.1:1 id 2\n  server s2 127.0.0.1:2\n  server s3 127.0.0.1:3\nbackend c\n  id 2\nlisten l\n  bind 127.0.0.1:19002\n")).config;
    let ids: Vec<u32> = c.proxies.iter().map(|p| p.id).collect();
    assert_eq!(ids, [3, 4, 2, 6]);
    let sids: Vec<u32> = c.proxies[1].servers.iter().map(|s| s.id).collect();
    assert_eq!(sids, [2, 3, 4]);
}

#[test]
fn global_keywords() {
    let c = ok("global\n  maxconn 500\n  nbthread 4\n  pidfile /run/p.pid\n  uid 0\n  gid 0\n  master-worker\n  hard-stop-after 30s\n  spread-checks 5\n  node n-1.x\n  description my  box\n  stats maxconn 20\n  stats timeout 1m\n  stats socket ipv4@127.0.0.1:9999 level user expose-fd listeners\n  stats socket /tmp/s mode 600 uid 0 gid 0\n  log stderr format raw local0\n  log stdout local0\n  log 127.0.0.1:514 local0 info\n  log 127.0.0.1 local1\n  log /dev/log local0 notice\n  log \"${HOST-127.0.0.1}:515\" local2\n  log 127.0.0.1:516 local3 info notice\n  log-tag lb\n  log-send-hostname myhost\n  setenv PORTX 7000\n  tune.bufsize 16384\n").config;
    let g = c.global;
    assert_eq!((g.maxconn, g.nbthread), (Some(500), Some(4)));
    assert_eq!((g.uid, g.gid, g.master_worker), (Some(0), Some(0), true));
    assert_eq!(g.hard_stop_after, Some(Duration::from_secs(30)));
    assert_eq!((g.spread_checks, g.stats_maxconn), (5, 20));
    assert_eq!(g.node.as_deref(), Some("n-1.x"));
    assert_eq!(g.description.as_deref(), Some("my box"));
    assert_eq!(g.stats_timeout, Duration::from_secs(60));
    let s0 = &g.stats_sockets[0];
    assert_eq!(s0.addr, ListenAddr::Tcp("127.0.0.1:9999".parse().unwrap()));
    assert_eq!(s0.level, Level::User);
    assert!(s0.expose_fd_listeners);
    let s1 = &g.stats_sockets[1];
    assert_eq!((s1.mode, s1.uid, s1.gid), (Some(0o600), Some(0), Some(0)));
    let target = |dest: LogDest, f: &str, max_level: u8| LogTarget {
        dest,
        facility: f.into(),
        max_level,
        min_level: 0,
        format: LogFormat::default(),
    };
    let udp = |a: &str| LogDest::Udp(a.parse().unwrap());
    let raw = |dest| LogTarget {
        format: LogFormat::Raw,
        ..target(dest, "local0", 7)
    };
    assert_eq!(g.logs[0], raw(LogDest::Stderr));
    assert_eq!(g.logs[1], target(LogDest::Stdout, "local0", 7));
    assert_eq!(g.logs[2], target(udp("127.0.0.1:514"), "local0", 6));
    assert_eq!(g.logs[3], target(udp("127.0.0.1:514"), "local1", 7));
    let unix = LogDest::Unix("/dev/log".into());
    assert_eq!(g.logs[4], target(unix, "local0", 5));
    assert_eq!(g.logs[5], target(udp("127.0.0.1:515"), "local2", 7));
    let capped = LogTarget {
        min_level: 5,
        ..target(udp("127.0.0.1:516"), "local3", 6)
    };
    assert_eq!(g.logs[6], capped);
    assert_eq!(g.log_tag.as_deref(), Some("lb"));
    assert_eq!(g.log_hostname.as_deref(), Some("myhost"));
}

#[test]
fn setenv_feeds_later_lines() {
    let c = ok(&with_timeouts("global\n  setenv PORT 7001\n  presetenv PORT 1\nfrontend f\n  bind \"127.0.0.1:${PORT}\"\n  default_backend b\nbackend b\n")).config;
    assert_eq!(c.proxies[0].binds[0].addrs[0].port(), 7001);
    // An inherited variable is not overridden by `presetenv` either; `show env` gets the
    // names in the order they were first set.
    let c = ok(&with_timeouts(
        "global\n  presetenv PATH /nowhere\n  setenv B 1\n  unsetenv A\n  setenv B 2\n",
    ))
    .config;
    assert_eq!(
        c.global.env,
        vec![
            ("B".to_string(), Some("2".to_string())),
            ("A".to_string(), None)
        ]
    );
}

#[test]
fn environment_comes_from_the_caller() {
    let env = |n: &str| (n == "BE").then(|| "127.0.0.1:8080".to_string());
    let c = load_str(
        Path::new("e.cfg"),
        &with_timeouts("backend b\n  server s \"$BE\"\n"),
        &env,
    )
    .expect("loads")
    .config;
    assert_eq!(
        c.proxies[0].servers[0].addr,
        "127.0.0.1:8080".parse().unwrap()
    );
}

/// HAProxy expands variables in addresses without quotes (checked with `haproxy -c` and by
/// listening on `bind 127.0.0.1:${PORT}`), but not in other words: `weight ${W}0` is `0`.
#[test]
fn addresses_expand_variables_without_quotes() {
    let env = |n: &str| match n {
        "IP" => Some("127.0.0.2".to_string()),
        "PORT" => Some("7005".to_string()),
        "W" => Some("5".to_string()),
        _ => None,
    };
    let text = with_timeouts(
        "global\n  log ${IP}:${PORT} local0\n  stats socket ipv4@$IP:7006\nfrontend f\n  bind 127.0.0.1:${PORT},${IP}:7007\n  default_backend b\nbackend b\n  server s1 ${IP}:80 addr $IP weight 1${W}\n  server-template t 2 $IP:81\n",
    );
    let c = load_str(Path::new("e.cfg"), &text, &env)
        .expect("loads")
        .config;
    let addrs: Vec<String> = c.proxies[0].binds[0]
        .addrs
        .iter()
        .map(|a| a.to_string())
        .collect();
    assert_eq!(addrs, ["127.0.0.1:7005", "127.0.0.2:7007"]);
    let b = &c.proxies[1];
    assert_eq!(b.servers[0].addr, "127.0.0.2:80".parse().unwrap());
    assert_eq!(b.servers[0].weight, 1);
    assert_eq!(b.servers[2].addr, "127.0.0.2:81".parse().unwrap());
    let text = with_timeouts("backend b\n  server s1 ${NOPE}127.0.0.1:80\n  server s2 zz$W:80\n");
    let got = match load_str(Path::new("t.cfg"), &text, &env) {
        Ok(_) => panic!("loads"),
        Err(d) => render(&d),
    };
    assert!(
        got.contains("'server b/s2' : could not resolve address 'zz5'."),
        "{got}"
    );
    assert!(!got.contains("'server b/s1'"), "{got}");
}

/// Conditional blocks as `haproxy -c` reads them: branches, nesting, the report directives and
/// the errors that stop the reading (no summary line after them).
#[test]
fn conditional_blocks_choose_lines() {
    let env = |n: &str| (n == "WITH_B").then(|| "yes".to_string());
    let text = with_timeouts(
        ".if streq(\"$WITH_B\",yes) && version_atleast(2.4)\nbackend b\n  .if 0\n    server x 127.0.0.1:1 foo\n  .elif defined(NOPE)\n    server y 127.0.0.1:2\n  .else\n    server z 127.0.0.1:3\n  .endif\n.else\nbackend c\n.endif\n.notice \"read\"\n.warning \"careful\"\n",
    );
    let loaded = load_str(Path::new("t.cfg"), &text, &env).expect("loads");
    let names: Vec<String> = loaded
        .config
        .proxies
        .iter()
        .flat_map(|p| {
            p.servers
                .iter()
                .map(move |s| format!("{}/{}", p.name, s.name))
        })
        .collect();
    assert_eq!(names, ["b/z"]);
    let said = render(&loaded.warnings);
    assert!(
        said.contains("[NOTICE]   : config : parsing [t.cfg:17]: 'read'."),
        "{said}"
    );
    assert!(
        said.contains("[WARNING]  : config : parsing [t.cfg:18]: 'careful'."),
        "{said}"
    );
    for (body, want) in [
        (".endif\n", "parsing [t.cfg:5]: lone '.endif' with no matching '.if'."),
        (".if 1\n", "parsing [t.cfg:5]: non-terminated '.if' block."),
        (".if 1\n.else\n.else\n.endif\n", "parsing [t.cfg:7]: '.else' after '.else' is not permitted."),
        (".if foo(1)\n.endif\n", "parsing [t.cfg:5]: unparsable conditional expression 'foo(1)' in '.if' at position 1:\n  .if foo(1)\n      ^"),
        (".alert \"stop\"\nbackend b\n  nonsense\n", "parsing [t.cfg:5]: 'stop'."),
        (".foo\n", "parsing [t.cfg:5]: unknown directive '.foo'."),
    ] {
        let got = match load_text(&with_timeouts(body)) {
            Ok(_) => panic!("{body} loads"),
            Err(d) => d,
        };
        let said = render(&got);
        assert!(said.contains(want), "{body}: {said}");
        // An aborting error is the last thing said.
        if !body.starts_with(".foo") {
            assert!(got.iter().all(|d| !d.message.contains("nonsense")), "{said}");
            assert!(got.last().is_some_and(|d| d.aborts), "{said}");
        }
    }
}

/// HAProxy reads a directory's `*.cfg` regular files in name order and skips hidden ones.
#[test]
fn directories_skip_hidden_files() {
    let dir = temp_dir("hidden");
    std::fs::write(dir.join("10-a.cfg"), with_timeouts("backend be\n")).expect("write");
    std::fs::write(dir.join(".10-a.cfg"), "backend be\n").expect("write");
    std::fs::write(dir.join(".x.cfg"), "backend hidden\n").expect("write");
    std::fs::write(dir.join("20-b.conf"), "backend other\n").expect("write");
    std::fs::create_dir_all(dir.join("30-d.cfg")).expect("dir");
    let c = load(std::slice::from_ref(&dir), &no_env)
        .expect("loads")
        .config;
    let names: Vec<&str> = c.proxies.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["be"]);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn global_errors_match_haproxy() {
    let text = "global\n  stats socket /tmp/x level foo\n  stats socket /tmp/z foo\n  stats timeout abc\n  nbthread x\n  spread-checks 60\n  log foo\n  node \"a b\"\n  foo bar\n  maxconn 1\n  maxconn 2\n  user nosuchuser-xyz\n";
    for want in [
        "parsing [t.cfg:2] : 'stats socket' : ''level' only supports 'user', 'operator', and 'admin' (got 'foo')'",
        "parsing [t.cfg:3] : 'stats socket' : unknown keyword 'foo'",
        "parsing [t.cfg:4] : 'stats timeout' : unexpected character 'a'",
        "parsing [t.cfg:5] : 'nbthread' passed a missing or unparsable integer value in 'x'",
        "parsing [t.cfg:6]: 'spread-checks' needs a positive value in range 0..50.",
        "parsing [t.cfg:7] : log : expects <address> and <facility>  as arguments",
        "parsing [t.cfg:8]: 'node' requires valid node name",
        "[ALERT]    : config : parsing [t.cfg:9] : unknown keyword 'foo' in 'global' section\n",
        "[WARNING]  : config : parsing [t.cfg:11] : 'maxconn' already specified. Continuing.",
        "parsing [t.cfg:12] : cannot find user id for 'nosuchuser-xyz' (0:Success)",
    ] {
        assert_has(text, want);
    }
}

#[test]
fn unknown_keywords_get_suggestions() {
    let text = with_timeouts("backend be\n  ballance roundrobin\n  server s1 127.0.0.1:1 wieght 3\nfrontend f\n  bind 127.0.0.1:1 nmae x\n  default_backnd be\n");
    assert_has(&text, "parsing [t.cfg:6] : unknown keyword 'ballance' in 'backend' section; did you mean 'balance' maybe ?");
    assert_has(
        &text,
        "[t.cfg:7] : 'server be/s1' : unknown keyword 'wieght'; did you mean 'weight' maybe ?",
    );
    assert_has(&text, "parsing [t.cfg:9] : 'bind 127.0.0.1:1' in section 'frontend': unknown keyword 'nmae'; did you mean 'name' maybe ?");
    assert_has(&text, "unknown keyword 'default_backnd' in 'frontend' section; did you mean 'default_backend' maybe ?");
}

#[test]
fn server_errors_match_haproxy() {
    let text = with_timeouts("backend b\n  server s1 127.0.0.1:8443 check inter 0\n  server s2 127.0.0.1:1 weight 300\n  server s3 127.0.0.1:1 rise 0\n  server s4\n  server s5 nosuchhost.invalid:80\n  server s6 127.0.0.1:99999\n  server s7 127.0.0.1:1 verify maybe\n  server s8 127.0.0.1:1 on-marked-down foo\n  server s9 127.0.0.1:1 check ca-file /nonexistent.pem\n  server s10 127.0.0.1:1 inter abc\n  server s1 127.0.0.1:2\n  server s11 127.0.0.1:1 ssl\n  server s12 127.0.0.1:1 send-proxy\n  server s13 127.0.0.1:1 id 4\n  server s14 127.0.0.1:1 id 4\n");
    for want in [
        "[t.cfg:6] : 'server b/s1' : invalid value 0 for argument 'inter' of server s1..",
        "[t.cfg:7] : 'server b/s2' : weight of server s2 is not within 0 and 256 (300)..",
        "[t.cfg:8] : 'server b/s3' : 'rise' has to be > 0..",
        "[t.cfg:9] : 'server' expects <name> and <addr>[:<port>] as arguments.",
        "[t.cfg:10] : 'server b/s5' : could not resolve address 'nosuchhost.invalid'.",
        "[t.cfg:11] : 'server b/s6' : invalid port '99999'",
        "[t.cfg:12] : 'server b/s7' : 'verify' : unknown verify method 'maybe', only 'none' and 'required' are supported.",
        "[t.cfg:13] : 'server b/s8' : 'on-marked-down' expects 'shutdown-sessions' but got 'foo'.",
        "[t.cfg:14] : 'server b/s9' : Couldn't open the ca-file '/nonexistent.pem' (No such file or directory).",
        "config : 'ca-file' : unable to load /nonexistent.pem.",
        "[t.cfg:15] : 'server b/s10' : unexpected character 'a' in 'inter' argument of server s10..",
        "[t.cfg:17] : 'server b/s11' : 'ssl' is not supported by proxyd",
        "[t.cfg:18] : 'server b/s12' : 'send-proxy' is not supported by proxyd",
        "[t.cfg:20] : 'server b/s14' : 'id' : custom id 4 already used at t.cfg:19 ('server s13').",
    ] {
        assert_has(&text, want);
    }
}

#[test]
fn duplicate_server_names_are_refused() {
    assert_has(
        &with_timeouts("backend b\n  server s1 127.0.0.1:1\n  server s1 127.0.0.1:2\n"),
        "parsing [t.cfg:7] : backend 'b', another server named 's1' was already defined at line 6, please use distinct names.",
    );
}

#[test]
fn a_ca_file_without_certificates_is_refused() {
    let path = temp_dir("badca").join("bad.pem");
    std::fs::write(&path, "not a pem\n").expect("write");
    let text = with_timeouts(&format!(
        "backend b\n  server s 127.0.0.1:1 check check-ssl ca-file {}\n",
        path.display()
    ));
    assert_has(
        &text,
        &format!(
            "Couldn't open the ca-file '{}' (no certificate or crl found).",
            path.display()
        ),
    );
}

#[test]
fn check_ssl_needs_a_ca_file_unless_verify_none() {
    let text = with_timeouts("backend b\n  server s1 127.0.0.1:8443 check check-ssl\n");
    assert_has(&text, "[ALERT]    : config : [t.cfg:6] : 'server b/s1' : verify is enabled by default but no CA file specified. If you're running on a LAN where you're certain to trust the server's certificate, please set an explicit 'verify none' statement on the 'server' line, or use 'ssl-server-verify none' in the global section to disable server-side verifications by default.");
    let c = ok(&with_timeouts("backend b\n  server s1 127.0.0.1:8443 check check-ssl verify none check-sni api.example port 9000 addr 127.0.0.2\n")).config;
    let chk = c.proxies[0].servers[0].check.as_ref().expect("check");
    let tls = chk.tls.as_ref().expect("tls");
    assert_eq!(
        (tls.verify.clone(), tls.sni.as_deref()),
        (Verify::None, Some("api.example"))
    );
    assert_eq!(chk.target, "127.0.0.2:9000".parse().unwrap());
    assert_eq!(
        (chk.port_set, chk.addr_set),
        (Some(9000), Some("127.0.0.2".parse().unwrap()))
    );
    let global_none = "global\n  ssl-server-verify none\n".to_string() + &with_timeouts("backend b\n  server s 127.0.0.1:1 check check-ssl\n  server t 127.0.0.1:1 check check-ssl verify required\n");
    assert_has(
        &global_none,
        "[t.cfg:9] : 'server b/t' : verify is enabled but no CA file specified.",
    );
    assert!(!messages(&global_none).contains("'server b/s'"));
    // HAProxy prepares check-ssl's TLS context even when `check` is absent.
    let unchecked = with_timeouts("backend b\n  server u 127.0.0.1:1 check-ssl verify required\n");
    assert_has(
        &unchecked,
        "[t.cfg:6] : 'server b/u' : verify is enabled by default but no CA file specified.",
    );
}

#[test]
fn server_parameters() {
    let c = ok(&with_timeouts("backend b\n  timeout check 4s\n  default-server fall 5 maxqueue 9\n  server s 127.0.0.1:1 weight 0 maxconn 7 backup disabled check fastinter 1s downinter 10s rise 4 on-marked-down shutdown-sessions id 9 cookie x\n  server t 127.0.0.1:2 check no-check\n")).config;
    let s = &c.proxies[0].servers[0];
    assert_eq!((s.weight, s.maxconn, s.maxqueue, s.id), (0, 7, 9, 9));
    assert!(s.backup && s.disabled && s.shutdown_on_down);
    let chk = s.check.as_ref().expect("check");
    assert_eq!((chk.rise, chk.fall), (4, 5));
    assert_eq!(chk.fastinter, Duration::from_secs(1));
    assert_eq!(chk.downinter, Duration::from_secs(10));
    assert_eq!(chk.timeout_check, Some(Duration::from_secs(4)));
    assert_eq!(chk.timeout_connect, Some(Duration::from_secs(5)));
    assert!(c.proxies[0].servers[1].check.is_none());
}

#[test]
fn proxy_errors_match_haproxy() {
    let text = with_timeouts("backend b\n  balance foo\n  mode fooo\n  timeout foo 5s\n  timeout check abc\n  timeout server 99999999999\n  option foo\n  timeout check\nbackend b\nfrontend f\n  bind 127.0.0.1\n  bind nosuch.invalid:80\n  bind 127.0.0.1:99999\n  bind\n  bind 127.0.0.1:1 name\n  bind 127.0.0.1:2 ssl crt /x.pem\n  use_backend b\n");
    for want in [
        "parsing [t.cfg:6] : balance only supports 'roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'url_param', 'hdr(name)' and 'rdp-cookie(name)' options.",
        "parsing [t.cfg:7] : unknown proxy mode 'fooo'.",
        "parsing [t.cfg:8] : 'timeout' supports 'client', 'server', 'connect', 'check', 'queue', 'http-keep-alive', 'http-request', 'tunnel', 'tarpit', 'client-fin' and 'server-fin' (got 'foo')",
        "parsing [t.cfg:9] : unexpected character 'a' in 'timeout check'",
        "parsing [t.cfg:10] : timer overflow in argument '99999999999' to 'timeout server' (maximum value is 2147483647 ms or ~24.8 days)",
        "parsing [t.cfg:11] : unknown option 'foo'.",
        "parsing [t.cfg:12] : 'timeout check' expects an integer value (in milliseconds)",
        "Parsing [t.cfg:13]: backend 'b' has the same name as backend 'b' declared at t.cfg:5.",
        "parsing [t.cfg:15] : 'bind' : missing port specification in '127.0.0.1'",
        "parsing [t.cfg:16] : 'bind' : invalid address: 'nosuch.invalid' in 'nosuch.invalid:80'",
        "parsing [t.cfg:17] : 'bind' : invalid port '99999'",
        "parsing [t.cfg:18] : 'bind' expects {<path>|[addr1]:port1[-end1]}{,[addr]:port[-end]}... as arguments.",
        "parsing [t.cfg:19] : 'bind 127.0.0.1:1' in section 'frontend' : 'name' : missing name",
        "parsing [t.cfg:20] : 'bind 127.0.0.1:2' in section 'frontend' : 'ssl' is not supported by proxyd",
        "parsing [t.cfg:21] : 'use_backend' is not supported by proxyd",
    ] {
        assert_has(&text, want);
    }
}

#[test]
fn section_errors_match_haproxy() {
    let text = "maxconn 5\nfrontend\nbackend \"x y\"\nfrontend f from nodef\ndefaults\n  bind :1\n  server s 127.0.0.1:1\n";
    for want in [
        "parsing [t.cfg:1]: unknown keyword 'maxconn' out of section.",
        "parsing [t.cfg:2] : 'frontend' expects an <id> argument",
        "parsing [t.cfg:3] : character ' ' is not permitted in 'backend' name 'x y'.",
        "parsing [t.cfg:4] : defaults section 'nodef' not found for frontend 'f'.",
        "parsing [t.cfg:6] : 'bind' not allowed in 'defaults' section.",
        "[ALERT]    : config : [t.cfg:7] : 'server' not allowed in 'defaults' section.",
    ] {
        assert_has(text, want);
    }
    assert_has(
        "global\n  pidfile \"x\n",
        "parsing [t.cfg:2]: unmatched quote at position 11:\n  pidfile \"x\n          ^",
    );
}

#[test]
fn cross_references_match_haproxy() {
    assert_has(
        &with_timeouts("frontend f\n  bind 127.0.0.1:1\n  default_backend nob\n"),
        "[ALERT]    : config : Proxy 'f': unable to find required default_backend: 'nob'.",
    );
    assert_has(
        &with_timeouts(
            "frontend f\n  bind 127.0.0.1:1\n  default_backend g\nfrontend g\n  bind 127.0.0.1:2\n",
        ),
        "Proxy 'f': unable to find required default_backend: 'g'.",
    );
    assert_has(
        &with_timeouts("frontend f\n  bind 127.0.0.1:1\n  mode http\n  default_backend b\nbackend b\n  mode tcp\n"),
        "[ALERT]    : config : http frontend 'f' (t.cfg:5) tries to use incompatible tcp backend 'b' (t.cfg:9) as its default backend (see 'mode').",
    );
    assert_has(
        &with_timeouts("backend b\n  id 5\nbackend c\n  id 5\n"),
        "parsing [t.cfg:8]: backend c reuses same custom id as backend b (declared at t.cfg:5).",
    );
    // A frontend and a backend may share a name.
    ok(&with_timeouts(
        "frontend b\n  bind :1\n  default_backend b\nbackend b\n",
    ));
}

#[test]
fn post_parse_warnings_match_haproxy() {
    let text = "frontend f\n  default_backend b\nbackend b\n  http-check expect status 200\nlisten l\n  stats enable\n";
    for want in [
        "[WARNING]  : config : frontend 'f' has no 'bind' directive. Please declare it as a backend if this was intended.",
        "[WARNING]  : config : backend 'b' uses http-check rules without 'option httpchk', so the rules are ignored.",
        "[WARNING]  : config : proxy 'l' has no 'bind' directive.",
        "[WARNING]  : config : 'stats' statement ignored for proxy 'l' as it requires HTTP mode.",
        "[WARNING]  : config : missing timeouts for frontend 'f'.\n   | While not properly invalid, you will certainly encounter various problems\n   | with such a configuration. To fix this, please ensure that all following\n   | timeouts are set to a non-zero value: 'client', 'connect', 'server'.",
    ] {
        assert_has(text, want);
    }
    let loaded = ok(text);
    assert!(loaded.config.proxies[2].stats.is_none());
}

#[test]
fn capability_warnings() {
    let text = with_timeouts("frontend f\n  bind :1\n  option httpchk\n  http-check expect status 200\n  default_backend b\nbackend b\n  default_backend x\n");
    assert_has(
        &text,
        "parsing [t.cfg:7] : 'httpchk' ignored because frontend 'f' has no backend capability.",
    );
    assert_has(
        &text,
        "parsing [t.cfg:8] : 'http-check' ignored because frontend 'f' has no backend capability.",
    );
    assert_has(&text, "parsing [t.cfg:11] : 'default_backend' ignored because backend 'b' has no frontend capability.");
}

#[test]
fn balance_and_proxy_keywords() {
    let c = ok(&with_timeouts("backend a\n  balance static-rr\nbackend b\n  balance random(3)\n  fullconn 100\n  retries 1\n  option redispatch\n  timeout queue 2s\n  timeout client-fin 1s\n  timeout server-fin 1s\n  timeout tunnel 1h\n  id 40\n  description the b\nbackend c\n  balance random\nbackend d\n  balance leastconn\nbackend e\n  balance first\nbackend f\n  balance source\nfrontend g\n  maxconn 100\n  bind 127.0.0.1:7000-7001,[::1]:7002 name web maxconn 10 v4v6\n  bind ipv4@127.0.0.1:7003\n  default_backend a\n")).config;
    let algos: Vec<Balance> = c.proxies[..6].iter().map(|p| p.balance).collect();
    assert_eq!(
        algos,
        [
            Balance::StaticRr,
            Balance::Random { draws: 3 },
            Balance::Random { draws: 2 },
            Balance::LeastConn,
            Balance::First,
            Balance::Source(Default::default())
        ]
    );
    let b = &c.proxies[1];
    assert_eq!(
        (b.fullconn, b.retries, b.redispatch, b.id),
        (Some(100), 1, true, 40)
    );
    assert_eq!(b.timeouts.queue, Some(Duration::from_secs(2)));
    assert_eq!(b.timeouts.client_fin, Some(Duration::from_secs(1)));
    assert_eq!(b.description.as_deref(), Some("the b"));
    let g = &c.proxies[6];
    assert_eq!(g.maxconn, Some(100));
    assert_eq!(g.binds.len(), 2);
    assert_eq!(g.binds[0].addrs.len(), 3);
    assert_eq!(
        (g.binds[0].name.as_deref(), g.binds[0].maxconn),
        (Some("web"), 10)
    );
    assert_has(
        &with_timeouts("backend b\n  balance uri\n"),
        "'balance uri' is not supported by proxyd",
    );
}

#[test]
fn httpchk_forms() {
    let req = |body: &str| -> Vec<u8> {
        let c = ok(&with_timeouts(&format!(
            "backend b\n{body}\n  server s 127.0.0.1:1 check\n"
        )))
        .config;
        c.proxies[0]
            .http_check
            .as_ref()
            .expect("httpchk")
            .request_bytes()
    };
    assert_eq!(
        req("  option httpchk /health"),
        b"OPTIONS /health HTTP/1.0\r\n\r\n"
    );
    assert_eq!(req("  option httpchk GET /r"), b"GET /r HTTP/1.0\r\n\r\n");
    assert_eq!(
        req("  option httpchk GET /nohost HTTP/1.1"),
        b"GET /nohost HTTP/1.1\r\nconnection: close\r\n\r\n"
    );
    assert_eq!(
        req(r"  option httpchk GET /health HTTP/1.1\r\nHost:\ example.org"),
        b"GET /health HTTP/1.1\r\nhost: example.org\r\nconnection: close\r\n\r\n"
    );
    assert_eq!(
        req("  option httpchk\n  http-check send meth HEAD uri /ping ver HTTP/1.1 hdr Host example.com"),
        b"HEAD /ping HTTP/1.1\r\nhost: example.com\r\nconnection: close\r\n\r\n"
    );
    assert_eq!(
        req("  option httpchk\n  http-check send meth POST uri /post ver HTTP/1.1 hdr Host h.example hdr Content-Type text/plain body \"hello\""),
        b"POST /post HTTP/1.1\r\nhost: h.example\r\ncontent-type: text/plain\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello"
    );
    assert_has(
        &with_timeouts(r"backend b
  option httpchk GET / HTTP/1.1\r\nHost:\ x
"),
        "[WARNING]  : config : parsing [t.cfg:6]: 'option httpchk' : hiding headers or body at the end of the version string is deprecated. Please, consider to use 'http-check send' directive instead.",
    );
}

#[test]
fn http_check_expect_forms() {
    let c = ok(&with_timeouts("backend b\n  option httpchk\n  http-check expect ! status 500,502-504\n  http-check expect rstatus ^2\n  http-check expect string OK\n  http-check expect rstring ^up$\n  http-check disable-on-404\n")).config;
    let h = c.proxies[0].http_check.as_ref().expect("httpchk");
    assert!(h.disable_on_404);
    assert_eq!(h.expect.len(), 4);
    assert!(h.expect[0].negate);
    assert!(
        matches!(&h.expect[0].matcher, ExpectMatch::Status(v) if v == &[(500, 500), (502, 504)])
    );
    assert!(matches!(&h.expect[1].matcher, ExpectMatch::Rstatus(re) if re.is_match("204")));
    assert!(matches!(&h.expect[2].matcher, ExpectMatch::String(s) if s == "OK"));
    assert!(matches!(&h.expect[3].matcher, ExpectMatch::Rstring(_)));
    let text = with_timeouts("backend b\n  option httpchk\n  http-check expect foo 200\n  http-check expect status\n  http-check expect ! string\n  http-check foo\n  http-check send meth GET foo\n  http-check expect rstatus (\n");
    for want in [
        "parsing [t.cfg:7] : 'http-check expect' : 'only supports min-recv, [!]string', '[!]rstring', '[!]string-lf', '[!]status', '[!]rstatus', [!]hdr, [!]fhdr or comment but got 'foo' as argument..",
        "parsing [t.cfg:8] : 'http-check expect' : 'status' expects a <pattern> as argument.",
        "parsing [t.cfg:9] : 'http-check expect' : 'string' expects a <pattern> as argument.",
        "parsing [t.cfg:10] : 'http-check' only supports 'disable-on-404', 'send-state', 'comment', 'connect', 'send', 'expect', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got 'foo'",
        "parsing [t.cfg:11] : 'http-check send' : expects 'comment', 'meth', 'uri', 'uri-lf', 'ver', 'hdr', 'body' or 'body-lf' but got 'foo' as argument..",
        "parsing [t.cfg:12] : 'http-check expect' : regex '(' is invalid",
    ] {
        assert_has(&text, want);
    }
}

#[test]
fn tcp_check_rules_parse_with_haproxys_steps_and_words() {
    let c = ok(&with_timeouts(
        r"backend b
  option tcp-check
  tcp-check comment hello
  tcp-check connect port 6379 ssl sni redis.example
  tcp-check send PING\r\n comment ping
  tcp-check send-binary 50494e47
  tcp-check expect min-recv 5 error-status L7OKC ! rstring ^-ERR
  tcp-check expect binary 2b504f4e47
",
    ))
    .config;
    let t = c.proxies[0].tcp_check.as_ref().expect("tcp-check");
    // The rules start with a connect: no implicit one; steps count the comment.
    assert_eq!(t.rules.len(), 6);
    assert_eq!(
        t.rules.iter().map(|r| r.step).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5, 6]
    );
    assert!(matches!(&t.rules[1].action, TcpCheckAction::Connect(c)
        if c.port == Some(6379) && c.ssl && c.sni.as_deref() == Some("redis.example") && !c.implicit));
    assert!(matches!(&t.rules[2].action, TcpCheckAction::Send(d) if d == b"PING\r\n"));
    assert_eq!(t.rules[2].comment.as_deref(), Some("ping"));
    assert!(matches!(&t.rules[3].action, TcpCheckAction::Send(d) if d == b"PING"));
    assert!(matches!(&t.rules[4].action, TcpCheckAction::Expect(e)
        if e.negate && e.min_recv == 5 && e.error_status == Some(CheckStatus::L7OkC)
            && matches!(&e.pattern, TcpPattern::Rstring(_))));
    assert!(matches!(&t.rules[5].action, TcpCheckAction::Expect(e)
        if matches!(&e.pattern, TcpPattern::Binary(b) if b == b"+PONG")));
    // The server's TLS for `connect ssl` comes from its own line though it has no check-ssl.
    let srv = |text: &str| {
        let c = ok(&with_timeouts(text)).config;
        c.proxies[0].servers[0].check.clone().expect("check")
    };
    let spec = srv("backend b\n  option tcp-check\n  tcp-check connect ssl\n  server s 127.0.0.1:1 check verify none\n");
    assert!(spec.tls.is_none() && spec.rules_tls.is_some());
    // Without a connect first, HAProxy's implicit connect (step 0) is added.
    let spec = srv("backend b\n  option tcp-check\n  tcp-check expect string +OK\n  server s 127.0.0.1:1 check\n");
    let rules = &spec.tcp.expect("rules").rules;
    assert!(matches!(&rules[0].action, TcpCheckAction::Connect(c) if c.implicit && c.default));
    assert_eq!((rules[0].step, rules[1].step), (0, 1));
}

#[test]
fn tcp_check_rules_inherit_as_in_haproxy() {
    let c = ok(&with_timeouts("defaults d\n  mode tcp\n  option tcp-check\n  tcp-check expect string NOPE\nbackend inherit from d\n  server s 127.0.0.1:1 check\nbackend own from d\n  tcp-check connect\n  tcp-check expect string +OK\n  server s 127.0.0.1:1 check\nbackend http from d\n  option httpchk\n  server s 127.0.0.1:1 check\nbackend back from d\n  option httpchk\n  option tcp-check\n  server s 127.0.0.1:1 check\n")).config;
    let rules = |name: &str| {
        let p = c.proxies.iter().find(|p| p.name == name).expect(name);
        p.tcp_check.as_ref().map(|t| t.rules.len())
    };
    // Observed with HAProxy 2.6: the defaults' rules, the backend's own, httpchk, and after
    // `option httpchk` then `option tcp-check` the backend's own (none: a plain connect).
    assert_eq!(rules("inherit"), Some(2));
    assert_eq!(rules("own"), Some(2));
    assert_eq!(rules("http"), None);
    assert_eq!(rules("back"), Some(1));
}

/// Which check each backend runs: the protocol check's name, `tcp-check` with its number of
/// rules, `httpchk`, or none.
fn check_kinds(text: &str) -> Vec<(String, String)> {
    let c = ok(&with_timeouts(text)).config;
    c.proxies
        .iter()
        .map(|p| {
            let kind = match (&p.tcp_check, &p.http_check) {
                (Some(t), _) => match t.protocol {
                    Some(proto) => format!("{proto:?}"),
                    None => format!("tcp-check {}", t.rules.len()),
                },
                (None, Some(_)) => "httpchk".into(),
                (None, None) => "none".into(),
            };
            (p.name.clone(), kind)
        })
        .collect()
}

#[test]
fn protocol_checks_are_the_last_check_option_as_in_haproxy() {
    // Observed with HAProxy 2.6.12 on the bytes each server received.
    let kinds = check_kinds(
        r"defaults d1
  mode tcp
  option redis-check
backend inherits from d1
  server s 127.0.0.1:1 check
backend own_rules from d1
  option tcp-check
  tcp-check send hello

  tcp-check expect string PONG
  server s 127.0.0.1:1 check
defaults d2
  mode tcp
  option tcp-check
  tcp-check send hello

  tcp-check expect string PONG
backend replaces_rules from d2
  option redis-check
  server s 127.0.0.1:1 check
backend back_to_own_rules from d2
  option redis-check
  option tcp-check
  server s 127.0.0.1:1 check
backend then_httpchk from d2
  option redis-check
  option httpchk GET /x
  server s 127.0.0.1:1 check
backend after_httpchk from d2
  option httpchk GET /x
  option ldap-check
  server s 127.0.0.1:1 check
backend rules_then_proto from d2
  option tcp-check
  tcp-check send hello

  option smtpchk
  server s 127.0.0.1:1 check
",
    );
    let want = [
        ("inherits", "Redis"),
        ("own_rules", "tcp-check 3"),
        ("replaces_rules", "Redis"),
        // The backend's own rules, none: an implicit connect only.
        ("back_to_own_rules", "tcp-check 1"),
        ("then_httpchk", "httpchk"),
        ("after_httpchk", "Ldap"),
        ("rules_then_proto", "Smtp"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(kinds, want);
    // Rules written under a protocol check are ignored with HAProxy's warning; rules taken up
    // by a later check option, even `option httpchk`, are not warned about.
    let warnings = |text: &str| render(&ok(&with_timeouts(text)).warnings);
    let warn = warnings(
        "backend b\n  option redis-check\n  tcp-check send foo\n  server s 127.0.0.1:1 check\n",
    );
    assert!(
        warn.contains("backend 'b' uses tcp-check rules without 'option tcp-check', so the rules are ignored."),
        "{warn}"
    );
    for quiet in [
        "backend b\n  option tcp-check\n  tcp-check send hello\n  option redis-check\n",
        "backend b\n  tcp-check send x\n  option httpchk\n",
    ] {
        assert!(!warnings(quiet).contains("tcp-check rules"), "{quiet}");
    }
}

#[test]
fn protocol_check_options_are_refused_in_haproxys_words() {
    let text = with_timeouts("backend b1\n  option redis-check foo\nbackend b2\n  option smtpchk EHLO a b\nbackend b3\n  option pgsql-check\nbackend b4\n  option mysql-check user x post-42\nbackend b5\n  option mysql-check user x pre-41 extra\nfrontend f\n  bind :1\n  option ldap-check\n  default_backend b1\n");
    for want in [
        "[ALERT]    : config : parsing [t.cfg:6] : 'option redis-check' cannot handle unexpected argument 'foo'.",
        "parsing [t.cfg:8] : 'option smtpchk' cannot handle unexpected argument 'b'.",
        "parsing [t.cfg:10] : 'option pgsql-check' expects 'user <username>' as argument.",
        "parsing [t.cfg:12] : keyword 'user' only supports 'post-41' and 'pre-41' (got 'post-42').",
        "parsing [t.cfg:14] : 'option mysql-check' cannot handle unexpected argument 'extra'.",
        "[WARNING]  : config : parsing [t.cfg:17] : 'ldap-check' ignored because frontend 'f' has no backend capability.",
    ] {
        assert_has(&text, want);
    }
}

#[test]
fn tcp_check_errors_match_haproxy() {
    let text = with_timeouts("backend b\n  option tcp-check\n  tcp-check send-binary 0g\n  tcp-check send-binary 012\n  tcp-check foo\n  tcp-check expect string\n  tcp-check expect foo bar\n  tcp-check send x\n  tcp-check connect\n  tcp-check connect foo\n  tcp-check send a b\n  tcp-check expect ok-status L7STS string a\n  tcp-check comment\n  tcp-check expect binary 0x\n  tcp-check send-lf %[src]\n  server s 127.0.0.1:1 check\n");
    for want in [
        "parsing [t.cfg:7] : 'tcp-check send-binary' : '0g' invalid binary string (an hex digit is expected (found 'g')).\n.",
        "parsing [t.cfg:8] : 'tcp-check send-binary' : '012' invalid binary string (an even number of hex digit is expected).\n.",
        "parsing [t.cfg:9] : 'tcp-check' only supports 'comment', 'connect', 'send', 'send-binary', 'expect', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got 'foo'",
        "parsing [t.cfg:10] : 'tcp-check expect' : 'string' expects a <pattern> as argument.",
        "parsing [t.cfg:11] : 'tcp-check expect' : 'only supports min-recv, '[!]binary', '[!]string', '[!]rstring', '[!]string-lf''[!]rbinary', '[!]binary-lf' or comment but got 'foo' as argument..",
        "parsing [t.cfg:13] : 'tcp-check connect' : first step MUST also be a 'connect', optionally preceded by a 'set-var', an 'unset-var' or a 'comment', when there is a 'connect' step in the tcp-check ruleset.",
        // HAProxy checks the place of a connect before its arguments.
        "parsing [t.cfg:14] : 'tcp-check connect' : first step MUST",
        "parsing [t.cfg:15] : 'tcp-check send' : expects 'comment' but got 'b' as argument..",
        "parsing [t.cfg:16] : 'tcp-check expect' : 'ok-status' only supports 'L4OK', 'L6OK', 'L7OK' or 'L7OKC' status (got 'L7STS')..",
        "parsing [t.cfg:17] : 'tcp-check comment' : expects a string as argument.",
        "parsing [t.cfg:18] : 'tcp-check expect' : invalid binary string (an hex digit is expected (found 'x')).",
        "parsing [t.cfg:19] : 'tcp-check send-lf' is not supported by proxyd",
    ] {
        assert_has(&text, want);
    }
    assert_has(
        &with_timeouts("backend b\n  option tcp-check\n  tcp-check connect foo\n"),
        "parsing [t.cfg:7] : 'tcp-check connect' : expects 'comment', 'port', 'addr', 'send-proxy', 'ssl', 'sni', 'alpn' or 'via-socks4', 'linger', 'default' but got 'foo' as argument..",
    );
    let warn = render(
        &ok(&with_timeouts(
            "backend b\n  tcp-check expect string +OK\n  server s 127.0.0.1:1 check\n",
        ))
        .warnings,
    );
    assert!(
        warn.contains("backend 'b' uses tcp-check rules without 'option tcp-check', so the rules are ignored."),
        "{warn}"
    );
}

#[test]
fn tcp_rules_are_ignored_only_where_they_change_nothing() {
    let text = with_timeouts("frontend f\n  bind :1\n  tcp-request inspect-delay 5s\n  tcp-request content accept if { req_ssl_hello_type 1 }\n  tcp-request connection reject if { src 10.0.0.0/8 }\n  tcp-request foo\n  tcp-response content accept\n  default_backend b\nbackend b\n  tcp-request connection accept\n  stick on src\n  server s 127.0.0.1:1\n");
    for want in [
        "[WARNING]  : config : parsing [t.cfg:7] : 'tcp-request inspect-delay' is ignored by proxyd",
        "[WARNING]  : config : parsing [t.cfg:8] : 'tcp-request content accept' is ignored by proxyd",
        "[ALERT]    : config : parsing [t.cfg:9] : 'tcp-request connection reject' is not supported by proxyd",
        // HAProxy's words for misplaced or unknown rules.
        "[ALERT]    : config : parsing [t.cfg:10] : 'tcp-request' expects 'inspect-delay', 'connection', or 'content' in frontend 'f' (got 'foo')",
        "[ALERT]    : config : parsing [t.cfg:11] : tcp-response content is only allowed in 'backend' sections or 'defaults' section with a name",
        "[ALERT]    : config : parsing [t.cfg:14] : tcp-request connection is not allowed because backend b is not a frontend",
        "[ALERT]    : config : parsing [t.cfg:15] : 'stick' is not supported by proxyd",
    ] {
        assert_has(&text, want);
    }
    let text = with_timeouts("backend b\n  dispatch 127.0.0.1:80\n  persist rdp-cookie\n");
    assert_has(
        &text,
        "parsing [t.cfg:6] : 'dispatch' is not supported by proxyd",
    );
    assert_has(
        &text,
        "parsing [t.cfg:7] : 'persist' is not supported by proxyd",
    );
}

#[test]
fn rate_limits_parse_as_haproxy_reads_them() {
    let c = ok(&with_timeouts("global\n  maxconnrate 50\n  maxsessrate x\n  maxsslrate 7\n  maxcomprate 3\ndefaults d\n  mode tcp\n  rate-limit sessions 9\nfrontend f from d\n  bind :1\n  default_backend b\nbackend b\n  server s 127.0.0.1:1\n")).config;
    // `maxsessrate x` is atol's 0: no limit, and no complaint.
    assert_eq!(
        c.global.rate_limits,
        RateLimits {
            conn: 50,
            sess: 0,
            ssl: 7,
            comp: 3
        }
    );
    let f = c.proxies.iter().find(|p| p.name == "f").expect("f");
    assert_eq!(f.sess_rate_limit, 9);
    let text = with_timeouts("global\n  maxconnrate\n  maxsessrate 5\n  maxsessrate 6\nfrontend f\n  bind :1\n  rate-limit\n  rate-limit sessions\n  rate-limit foo 3\n  rate-limit sessions x\n  default_backend b\nbackend b\n  rate-limit sessions 5\n  server s 127.0.0.1:1\n");
    for want in [
        "[ALERT]    : config : parsing [t.cfg:6] : 'maxconnrate' expects an integer argument.",
        "parsing [t.cfg:8] : 'maxsessrate' already specified. Continuing.",
        "[ALERT]    : config : parsing [t.cfg:11] : 'rate-limit' only supports 'sessions' (got '')",
        "[ALERT]    : config : parsing [t.cfg:12] : 'rate-limit sessions' expects expects an integer value (in sessions/second)",
        "[ALERT]    : config : parsing [t.cfg:13] : 'rate-limit' only supports 'sessions' (got 'foo')",
        "[ALERT]    : config : parsing [t.cfg:14] : 'rate-limit sessions' : unexpected character 'x' in integer value 'x'",
        "[WARNING]  : config : parsing [t.cfg:17] : rate-limit sessions will be ignored because backend 'b' has no frontend capability",
    ] {
        assert_has(&text, want);
    }
}

#[test]
fn server_templates_expand_into_servers() {
    let c = ok(&with_timeouts("backend b\n  server first 127.0.0.1:1\n  server-template web 3 127.0.0.1:80 check weight 5\n  server-template api 0-1 127.0.0.2:81\n")).config;
    let names: Vec<&str> = c.proxies[0]
        .servers
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["first", "web1", "web2", "web3", "api0", "api1"]);
    let web2 = &c.proxies[0].servers[2];
    assert_eq!(web2.addr.to_string(), "127.0.0.1:80");
    assert_eq!(web2.weight, 5);
    assert!(web2.check.is_some());
    let text = with_timeouts("backend b\n  server-template w\n  server-template w 0 127.0.0.1:1\n  server-template w 3-1 127.0.0.1:1\n  server-template w 2 127.0.0.1:1 foo\n");
    for want in [
        "[t.cfg:6] : 'server-template' expects <prefix> <nb | range> <addr>[:<port>] as arguments.",
        "[t.cfg:7] : Wrong server-template number or range arg '0'.",
        "[t.cfg:8] : Wrong server-template number or range arg '3-1'.",
        "[t.cfg:9] : 'server b/(null)' : unknown keyword 'foo'",
    ] {
        assert_has(&text, want);
    }
}

#[test]
fn log_format_is_parsed_where_haproxy_parses_it() {
    let text = with_timeouts("global\n  log 127.0.0.1:514 local0\nfrontend a\n  bind :1\n  log global\n  log-format \"%ci %xyz\"\n  default_backend b\nfrontend c\n  bind :2\n  log global\n  log-format %Ta\n  default_backend b\nfrontend d\n  bind :3\n  log-format a b\n  default_backend b\nfrontend e\n  bind :4\n  log-format %ci\n  default_backend b\nbackend b\n  server s 127.0.0.1:1\n");
    for want in [
        "[ALERT]    : config : Parsing [t.cfg:10]: failed to parse log-format : no such format variable 'xyz'. If you wanted to emit the '%' character verbatim, you need to use '%%'.",
        "[ALERT]    : config : Parsing [t.cfg:15]: failed to parse log-format : format variable 'Ta' is reserved for HTTP mode.",
        "[ALERT]    : config : parsing [t.cfg:19] : log-format expects only one argument, don't forget to escape spaces!",
        "[WARNING]  : config : log format ignored for frontend 'e' since it has no log address.",
    ] {
        assert_has(&text, want);
    }
    // The last of `option tcplog` and `log-format` wins.
    let c = ok(&with_timeouts("global\n  log 127.0.0.1:514 local0\ndefaults\n  log global\n  mode tcp\nfrontend f\n  bind :1\n  log-format %ci\n  option tcplog\n  default_backend b\nfrontend g\n  bind :2\n  option tcplog\n  log-format %ci\n  default_backend b\nbackend b\n  server s 127.0.0.1:1\n")).config;
    let fe = |n: &str| c.proxies.iter().find(|p| p.name == n).expect(n);
    assert!(fe("f").tcplog && fe("f").log_format.is_none());
    assert!(!fe("g").tcplog && fe("g").log_format.is_some());
}

#[test]
fn stats_page_keywords() {
    let c = ok(&with_timeouts("listen s\n  bind :8404\n  mode http\n  stats uri /stats\n  stats auth a:b\n  stats auth c:d:e\n  stats refresh 10s\n  stats show-legends\n  stats show-node\n  stats show-modules\n  stats admin if LOCALHOST\n")).config;
    let p = c.proxies[0].stats.as_ref().expect("stats");
    assert_eq!(p.uri, "/stats");
    assert_eq!(p.realm, "HAProxy Statistics");
    assert_eq!(
        p.auth,
        [("a".into(), "b".into()), ("c".into(), "d:e".into())]
    );
    assert_eq!(p.refresh, Some(Duration::from_secs(10)));
    assert!(p.show_legends && p.show_node);
    assert_eq!(p.admin, Some(AdminCond::Localhost));
    let text = with_timeouts("listen s\n  bind :1\n  mode http\n  stats admin if FOO\n  stats admin\n  stats foo\n  stats admin if TRUE\n");
    assert_has(&text, "parsing [t.cfg:8] : error detected while parsing a 'stats admin' rule : no such ACL : 'FOO'.");
    assert_has(&text, "parsing [t.cfg:9] : 'stats admin' requires either 'if' or 'unless' followed by a condition.");
    assert_has(&text, "parsing [t.cfg:10]: unknown stats parameter 'foo', expects 'admin', 'uri', 'realm', 'auth', 'scope', 'enable', 'hide-version', 'show-node', 'show-desc' or 'show-legends'.");
}

#[test]
fn ignored_sections_and_keywords_warn() {
    let text = with_timeouts("userlist u\n  user a insecure-password b\npeers p\n  peer x 127.0.0.1:1\nresolvers r\n  nameserver d 127.0.0.1:53\nbackend b\n  option tcplog\n  option http-server-close\n  http-request deny\n  cookie SRV insert\n  timeout http-request 5s\n  log global\n");
    let loaded = ok(&text);
    let w = render(&loaded.warnings);
    for want in [
        "parsing [t.cfg:5] : 'userlist' section is ignored by proxyd",
        "'peers' section is ignored by proxyd",
        "'option http-server-close' is ignored by proxyd (no effect on a TCP passthrough proxy).",
        "'http-request' is ignored by proxyd",
        "'cookie' is ignored by proxyd",
        "'timeout http-request' is ignored by proxyd",
        "parsing [t.cfg:12] : 'tcplog' ignored because backend 'b' has no frontend capability.",
    ] {
        assert!(w.contains(want), "missing {want}\n{w}");
    }
    assert_has(
        &with_timeouts("backend b\n  option spop-check\n"),
        "'option spop-check' is not supported by proxyd: SPOP agents are not checked",
    );
}

#[test]
fn every_error_is_reported_not_just_the_first() {
    let errs = load_text("global\n  foo\n  bar\nbackend b\n  baz\n").expect_err("refused");
    assert_eq!(errs.iter().filter(|d| d.is_alert()).count(), 3);
    assert_eq!(errs[2].line, 5);
    assert_eq!(errs[2].keyword, "baz");
}

#[test]
fn files_and_directories() {
    let dir = temp_dir("dir");
    std::fs::write(dir.join("20-be.cfg"), "backend b\n  server s 127.0.0.1:1\n").expect("w");
    std::fs::write(dir.join("10-def.cfg"), TIMEOUTS).expect("w");
    std::fs::write(dir.join("skip.txt"), "garbage").expect("w");
    let loaded = load(std::slice::from_ref(&dir), &no_env).expect("loads");
    assert_eq!(
        loaded.config.proxies[0].timeouts.connect,
        Some(Duration::from_secs(5))
    );
    let errs = load(&[PathBuf::from("/nonexistent.cfg")], &no_env).expect_err("missing");
    assert_eq!(
        format!("{:#}", errs[0]),
        "[ALERT]    : config : Cannot open configuration file/directory /nonexistent.cfg : No such file or directory"
    );
}

#[test]
fn parse_time_is_public_and_worded() {
    assert_eq!(parse_time("10s"), Ok(Duration::from_secs(10)));
    assert_eq!(parse_time("1500"), Ok(Duration::from_millis(1500)));
    assert_eq!(
        parse_time("1x"),
        Err("unexpected character 'x'".to_string())
    );
}

#[test]
fn servers_added_at_run_time_skip_default_server_and_refuse_what_haproxy_refuses() {
    let c = ok(&with_timeouts(
        "backend b\n  default-server check inter 3s maxconn 7\n  option httpchk GET /v1/status\n  server s 127.0.0.1:1\n",
    ))
    .config;
    let px = &c.proxies[0];
    let words = |w: &str| w.split_whitespace().map(String::from).collect::<Vec<_>>();
    let plain = crate::config::dynamic_server(px, "d", &words("127.0.0.1:9000")).expect("plain");
    assert_eq!(
        (plain.maxconn, plain.check.is_none(), plain.id),
        (0, true, 0)
    );
    let checked = crate::config::dynamic_server(px, "d", &words("127.0.0.1:9000 check id 9"))
        .expect("checked");
    let spec = checked.check.expect("check");
    assert_eq!(
        (spec.inter, spec.http.is_some(), checked.id),
        (Duration::from_secs(2), true, 9)
    );
    for (line, answer) in [
        (
            "127.0.0.1:1 cookie x",
            "'cookie' option is not accepted for dynamic server",
        ),
        ("127.0.0.1:1 bogus", "unknown keyword 'bogus'."),
        (
            "127.0.0.1:1 weight 300",
            "weight of server d is not within 0 and 256 (300)..",
        ),
        (
            "",
            "'server' expects <name> and <addr>[:<port>] as arguments.",
        ),
    ] {
        assert_eq!(
            crate::config::dynamic_server(px, "d", &words(line))
                .err()
                .as_deref(),
            Some(answer),
            "{line}"
        );
    }
    let named = crate::config::dynamic_server(px, "d", &words("localhost:1")).err();
    assert!(named.is_some_and(|e| e.contains("needs an IP address")));
}

#[test]
fn server_keywords_proxyd_does_not_honour_say_what_differs_or_are_refused() {
    let warned = with_timeouts(
        "backend b\n  server s 127.0.0.1:1 cookie c observe layer4 init-addr last,libc check check-ssl verify none ssl-min-ver TLSv1.3\n",
    );
    let ok_config = ok(&warned);
    assert_eq!(ok_config.config.proxies[0].servers.len(), 1);
    assert_has(
        &warned,
        "'cookie' is ignored by proxyd (no effect on a TCP passthrough proxy).",
    );
    assert_has(
        &warned,
        "'observe' is ignored by proxyd: traffic errors do not change a server's health, only checks do.",
    );
    assert_has(&warned, "'init-addr' is ignored by proxyd: server names are resolved at start and on reload, not while running.");
    assert_has(
        &warned,
        "'ssl-min-ver' is ignored by proxyd: TLS checks offer TLS 1.2 and 1.3",
    );
    let agent = with_timeouts("backend b\n  server s 127.0.0.1:1 check agent-check\n");
    assert!(load_text(&agent).is_err(), "agent-check must be refused");
    assert_has(&agent, "agent checks are not implemented");
    let c = ok(&with_timeouts(
        "backend b\n  server s 127.0.0.1:1 check check-ssl verify none verifyhost api.example\n",
    ))
    .config;
    let tls = c.proxies[0].servers[0]
        .check
        .as_ref()
        .and_then(|k| k.tls.as_ref());
    assert_eq!(
        tls.and_then(|t| t.verify_host.as_deref()),
        Some("api.example")
    );
}

#[test]
fn track_needs_an_existing_checked_server_and_no_check_of_its_own() {
    let c = ok(&with_timeouts(
        "backend b1\n  server s1 127.0.0.1:1 check\nbackend b2\n  server t1 127.0.0.1:2 track b1/s1\n  server t2 127.0.0.1:2 track t1\n",
    ))
    .config;
    let tracks: Vec<Option<&str>> = c.proxies[1]
        .servers
        .iter()
        .map(|s| s.track.as_deref())
        .collect();
    assert_eq!(tracks, vec![Some("b1/s1"), Some("b2/t1")]);
    // Every message below is HAProxy 2.6.12's for the same line.
    let bad = with_timeouts(
        "backend b1\n  server s1 127.0.0.1:1 check\n  server s9 127.0.0.1:1\nbackend b3\n  server w 127.0.0.1:1 track b1/s9\n  server x 127.0.0.1:1 track b1/nope\n  server y 127.0.0.1:1 track nope/s1\n  server z 127.0.0.1:1 check track b1/s1\n",
    );
    for expected in [
        "[t.cfg:9] : 'server b3/w' : unable to use b1/s9 for tracking as it does not have any check nor agent enabled.",
        "[t.cfg:10] : 'server b3/x' : unable to find required server 'nope' for tracking.",
        "[t.cfg:11] : 'server b3/y' : unable to find required proxy 'nope' for tracking.",
        "[t.cfg:12] : 'server b3/z' : unable to enable checks and tracking at the same time!",
    ] {
        assert_has(&bad, expected);
    }
    let looped = with_timeouts(
        "backend b\n  server a 127.0.0.1:1 track c\n  server c 127.0.0.1:1 track a\n",
    );
    assert_has(&looped, "the tracking chain loops.");
    let d404 = "backend b1\n  option httpchk\n  http-check disable-on-404\n  server s1 127.0.0.1:1 check\nbackend b2\n  server t1 127.0.0.1:2 track b1/s1\n";
    assert_has(
        &with_timeouts(d404),
        "[t.cfg:10] : 'server b2/t1' : unable to use b1/s1 fortracking: disable-on-404 option inconsistency.",
    );
}

#[test]
fn slowstart_is_kept_in_whole_seconds_and_bad_values_are_refused() {
    let c = ok(&with_timeouts(
        "backend b\n  server s 127.0.0.1:1 slowstart 1500ms\n  server t 127.0.0.1:1\n",
    ))
    .config;
    let ss: Vec<u32> = c.proxies[0].servers.iter().map(|s| s.slowstart).collect();
    assert_eq!(ss, vec![2, 0]);
    // HAProxy 2.6.12's words.
    assert_has(
        &with_timeouts("backend b1\n  server s1 127.0.0.1:1 slowstart 10x\n"),
        "[t.cfg:6] : 'server b1/s1' : unexpected character 'x' in 'slowstart' argument of server s1..",
    );
}

#[test]
fn pool_settings_are_kept_for_show_servers_conn_and_bad_values_are_refused() {
    let c = ok(&with_timeouts(
        "backend b\n  server s 127.0.0.1:1 pool-purge-delay 7s pool-max-conn 12\n  server t 127.0.0.1:1\n",
    ))
    .config;
    let pools: Vec<(u32, i32)> = c.proxies[0]
        .servers
        .iter()
        .map(|s| (s.pool.purge_delay_ms, s.pool.max_conn))
        .collect();
    assert_eq!(pools, vec![(7000, 12), (5000, -1)]);
    // HAProxy 2.6.12's words, double periods included.
    for (line, message) in [
        (
            "pool-purge-delay 7x",
            "'server b1/s1' : unexpected character 'x' in argument to <pool-purge-delay>..",
        ),
        (
            "pool-max-conn -5",
            "'server b1/s1' : 'pool-max-conn' must be >= -1.",
        ),
        (
            "pool-max-conn",
            "'server b1/s1' : 'pool-max-conn' expects <value> as argument..",
        ),
        (
            "pool-purge-delay",
            "'server b1/s1' : 'pool-purge-delay' expects <value> as argument..",
        ),
    ] {
        assert_has(
            &with_timeouts(&format!("backend b1\n  server s1 127.0.0.1:1 {line}\n")),
            &format!("[t.cfg:6] : {message}"),
        );
    }
}

#[test]
fn servers_without_a_port_map_the_clients_port_and_need_a_check_port() {
    let c = ok(&with_timeouts(
        "backend b\n  server s 127.0.0.1\n  server t 127.0.0.1:+2\n  server u 127.0.0.1:-1 check port 80\n  server v 127.0.0.1:8080\n",
    ))
    .config;
    let maps: Vec<Option<i32>> = c.proxies[0].servers.iter().map(|s| s.port_map).collect();
    assert_eq!(maps, vec![Some(0), Some(2), Some(-1), None]);
    let checked = c.proxies[0].servers[2]
        .check
        .as_ref()
        .map(|c| c.target.port());
    assert_eq!(checked, Some(80));
    // HAProxy 2.6.12's words, without file and line.
    assert_has(
        &with_timeouts("backend b1\n  server s1 127.0.0.1 check\n"),
        "config: backend 'b1': server 's1' has neither service port nor check port.",
    );
}

#[test]
fn hash_type_is_read_as_haproxy_reads_it() {
    let c = ok(&with_timeouts(
        "defaults\n  hash-type consistent\nbackend a\n  balance source\nbackend b\n  balance source\n  hash-type map-based djb2 avalanche\nbackend c\n  balance source\n  hash-type map-based\nbackend d\n  balance source\n  hash-type consistent wt6\nbackend e\n  hash-type consistent\n",
    ))
    .config;
    let algos: Vec<Balance> = c.proxies.iter().map(|p| p.balance).collect();
    let source = |consistent, avalanche| {
        Balance::Source(HashType {
            consistent,
            avalanche,
            balance_factor: 0,
        })
    };
    assert_eq!(
        algos,
        [
            source(true, true),
            source(false, true),
            source(false, false),
            source(true, false),
            Balance::RoundRobin,
        ]
    );
    // Consistent hashing follows weights at run time; the map does not.
    assert!(!algos[0].is_static() && algos[1].is_static());
    // HAProxy 2.6.12's words.
    for (args, message) in [
        ("bogus", "'hash-type' only supports 'consistent' and 'map-based'."),
        ("", "'hash-type' only supports 'consistent' and 'map-based'."),
        (
            "avalanche",
            "experimental feature 'hash-type avalanche' is not supported anymore, please use 'hash-type map-based sdbm avalanche' instead.",
        ),
        (
            "consistent none",
            "'hash-type' only supports 'sdbm', 'djb2', 'crc32', or 'wt6' hash functions.",
        ),
        (
            "map-based sdbm bar",
            "'hash-type' only supports 'avalanche' as a modifier for hash functions.",
        ),
    ] {
        assert_has(
            &with_timeouts(&format!("backend b1\n  hash-type {args}\n")),
            &format!("[t.cfg:6] : {message}"),
        );
    }
    assert_has(
        &with_timeouts("frontend f\n  bind 127.0.0.1:1\n  hash-type consistent\n"),
        "[t.cfg:7] : 'hash-type' ignored because frontend 'f' has no backend capability.",
    );
    for (value, message) in [
        ("99", "'hash-balance-factor' must be 0 or greater than 100."),
        (
            "12abc",
            "'hash-balance-factor' must be 0 or greater than 100.",
        ),
        ("", "'hash-balance-factor' expects an integer argument."),
    ] {
        assert_has(
            &with_timeouts(&format!("backend b1\n  hash-balance-factor {value}\n")),
            &format!("[t.cfg:6] : {message}"),
        );
    }
    // atol() reads `abc` as 0: off, accepted without a word.
    assert_eq!(
        messages(&with_timeouts("backend b1\n  hash-balance-factor abc\n")),
        ""
    );
    let c = ok(&with_timeouts(
        "defaults\n  hash-balance-factor 150\nbackend a\n  balance source\n  hash-type consistent\nbackend b\n  balance source\n  hash-balance-factor 0\n",
    ))
    .config;
    let factors: Vec<Balance> = c.proxies.iter().map(|p| p.balance).collect();
    assert_eq!(
        factors,
        [
            Balance::Source(HashType {
                consistent: true,
                avalanche: true,
                balance_factor: 150
            }),
            Balance::Source(HashType::default()),
        ]
    );
}

#[test]
fn tcp_keepalive_options_set_their_side() {
    let c = ok(&with_timeouts(
        "defaults\n  option tcpka\nfrontend f\n  bind 127.0.0.1:1\n  no option clitcpka\nbackend b\n  no option srvtcpka\nbackend c\n",
    ))
    .config;
    let sides: Vec<(bool, bool)> = c
        .proxies
        .iter()
        .map(|p| (p.cli_tcpka, p.srv_tcpka))
        .collect();
    assert_eq!(sides, [(false, true), (true, false), (true, true)]);
    assert_has(
        &with_timeouts("frontend f\n  bind 127.0.0.1:1\n  option srvtcpka\n"),
        "'srvtcpka' ignored because frontend 'f' has no backend capability.",
    );
    let c = ok(&with_timeouts(
        "defaults\n  clitcpka-idle 100\n  clitcpka-intvl 2m\n  clitcpka-cnt 3\n  srvtcpka-intvl 5\nbackend b\n",
    ))
    .config;
    let p = &c.proxies[0];
    let secs = |d: Option<Duration>| d.map(|d| d.as_secs());
    assert_eq!(
        (secs(p.cli_ka.idle), secs(p.cli_ka.intvl), p.cli_ka.cnt),
        (Some(100), Some(120), Some(3))
    );
    assert_eq!((secs(p.srv_ka.intvl), p.srv_ka.idle), (Some(5), None));
    assert_has(
        &with_timeouts("backend b\n  srvtcpka-idle 5x\n"),
        "parsing [t.cfg:6] : unexpected character 'x' in argument to <srvtcpka-idle>.",
    );
}

#[test]
fn negations_and_per_proxy_lines_read_as_haproxy_reads_them() {
    let c = ok(&with_timeouts(
        "defaults\n  option nolinger\nbackend b\n  no option nolinger\nbackend c\n",
    ))
    .config;
    let nolinger: Vec<bool> = c.proxies.iter().map(|p| p.nolinger).collect();
    assert_eq!(nolinger, [false, true]);
    assert_has(
        &with_timeouts("frontend f\n  bind 127.0.0.1:1\n  option nolinger\n"),
        "'option nolinger' is ignored by proxyd in a frontend",
    );
    let c = ok(&with_timeouts(
        "defaults\n  log global\n  log 127.0.0.1:514 local1\n  log-tag d\nbackend b\n  no log\n  log-tag b\nbackend c\n",
    ))
    .config;
    let tags: Vec<Option<&str>> = c.proxies.iter().map(|p| p.log_tag.as_deref()).collect();
    assert_eq!(tags, [Some("b"), Some("d")]);
    let logs: Vec<(bool, usize)> = c
        .proxies
        .iter()
        .map(|p| (p.log_global, p.logs.len()))
        .collect();
    assert_eq!(logs, [(false, 0), (true, 1)]);
    let no_foo = with_timeouts("backend b\n  no foo\n");
    assert_has(
        &no_foo,
        "parsing [t.cfg:6]: negation/default currently supported only for options, log, busy-polling, set-dumpable, strict-limits, insecure-fork-wanted and numa-cpu-mapping.",
    );
    assert_has(
        &no_foo,
        "parsing [t.cfg:6] : unknown keyword 'foo' in 'backend' section",
    );
    // HAProxy 2.6 parses these apart from its flag table and refuses their negation.
    let refused = with_timeouts(
        "backend b\n  no option tcpka\n  no option tcplog\n  no option httpchk\n  no option log-health-checks\n",
    );
    for (line, name) in [(6, "tcpka"), (7, "tcplog"), (8, "httpchk")] {
        assert_has(
            &refused,
            &format!(
                "parsing [t.cfg:{line}]: negation/default is not supported for option '{name}'."
            ),
        );
    }
}

#[test]
fn server_keywords_haproxy_2_6_does_not_know_are_refused_as_unknown() {
    for kw in [
        "shard 1",
        "guid x",
        "hash-key id",
        "check-reuse-pool",
        "pool-conn-name x",
        "curves X25519",
        "sigalgs x",
        "client-sigalgs x",
    ] {
        let text = with_timeouts(&format!("backend be\n  server s1 127.0.0.1:1 {kw}\n"));
        let name = kw.split(' ').next().unwrap_or_default();
        assert_has(
            &text,
            &format!("[t.cfg:6] : 'server be/s1' : unknown keyword '{name}'"),
        );
    }
}

#[test]
fn bind_options_are_read_with_haproxys_checks() {
    let text = with_timeouts(
        "frontend fe\n  bind 127.0.0.1:1 accept-proxy interface lo transparent backlog 77 defer-accept tfo mss 1200 tcp-ut 3m id 7\n  bind 127.0.0.1:2 mss -100 backlog x\n",
    );
    let loaded = ok(&text);
    let fe = loaded
        .config
        .proxies
        .iter()
        .find(|p| p.name == "fe")
        .expect("fe");
    let b = &fe.binds[0];
    assert!(b.accept_proxy);
    assert_eq!(b.id, Some(7));
    let want = SockOpts {
        interface: Some("lo".into()),
        transparent: true,
        backlog: 77,
        defer_accept: true,
        tfo: true,
        mss: 1200,
        tcp_ut_ms: 180_000,
    };
    assert_eq!(b.sockopts, want);
    assert_eq!(
        (fe.binds[1].sockopts.mss, fe.binds[1].sockopts.backlog),
        (-100, 0)
    );
    assert_eq!(b.place, "t.cfg:6");
    for (opt, msg) in [
        ("backlog", "'backlog' : missing value"),
        ("backlog -1", "'backlog' : invalid value -1, must be > 0"),
        ("mss", "'mss' : missing MSS value"),
        (
            "mss 70000",
            "'mss' : expects an MSS with and absolute value between 1 and 65535",
        ),
        ("tcp-ut", "'tcp-ut' : missing TCP User Timeout value"),
        (
            "tcp-ut x",
            "'tcp-ut' : expects a positive delay in milliseconds",
        ),
        ("interface", "'interface' : missing interface name"),
        ("id 0", "'id' : custom id has to be > 0"),
        ("id x", "'id' : expects an integer argument, found 'x'"),
        ("namespace blue", "'namespace' is not supported by proxyd"),
        (
            "accept-netscaler-cip 1234",
            "'accept-netscaler-cip' is not supported by proxyd",
        ),
    ] {
        let text = with_timeouts(&format!("frontend fe\n  bind 127.0.0.1:1 {opt}\n"));
        assert_has(
            &text,
            &format!("parsing [t.cfg:6] : 'bind 127.0.0.1:1' in section 'frontend' : {msg}"),
        );
    }
}

#[test]
fn minconn_and_maxconn_settle_as_haproxy_settles_them() {
    let c = ok(&with_timeouts(
        "backend b\n  server only_min 127.0.0.1:1 minconn 5\n  server only_max 127.0.0.1:2 maxconn 10\n  server both 127.0.0.1:3 minconn 2 maxconn 10\n  server above 127.0.0.1:4 minconn 20 maxconn 10\n  server none 127.0.0.1:5\n",
    ))
    .config;
    let limits: Vec<(u32, u32)> = c.proxies[0]
        .servers
        .iter()
        .map(|s| (s.minconn, s.maxconn))
        .collect();
    assert_eq!(limits, [(5, 5), (10, 10), (2, 10), (20, 20), (0, 0)]);
}

#[test]
fn server_state_keywords_match_haproxy() {
    // Messages as `haproxy -c` 2.6.12 prints them; a second file name is an alert that does
    // not stop the load.
    let c = ok(&with_timeouts(
        "global\n  server-state-file /a\n  server-state-file /b\n  server-state-base /s\ndefaults\n  load-server-state-from-file local\nbackend be\n  server s 127.0.0.1:1\nbackend named\n  server-state-file-name other\n  server s 127.0.0.1:1\nbackend global\n  load-server-state-from-file global\n  server s 127.0.0.1:1\nbackend off\n  load-server-state-from-file none\n  server-state-file-name use-backend-name\n  server s 127.0.0.1:1\n",
    ));
    assert_eq!(c.config.global.server_state_file.as_deref(), Some("/a"));
    assert_eq!(c.config.global.server_state_base.as_deref(), Some("/s"));
    let from: Vec<_> = c
        .config
        .proxies
        .iter()
        .map(|p| p.server_state.clone())
        .collect();
    assert_eq!(
        from,
        [
            ServerStateFrom::Local("be".into()),
            ServerStateFrom::Local("other".into()),
            ServerStateFrom::Global,
            ServerStateFrom::None,
        ]
    );
    assert!(render(&c.warnings).contains(
        "[ALERT]    : config : parsing [t.cfg:7] : 'server-state-file' already specified. Continuing."
    ));
    for (text, want) in [
        ("global\n  server-state-file\n", "parsing [t.cfg:2] : 'server-state-file' expect one argument: a file path."),
        ("global\n  server-state-base\n", "parsing [t.cfg:2] : 'server-state-base' expects one argument: a directory path."),
        ("defaults\n  load-server-state-from-file foo\n", "parsing [t.cfg:2] : 'load-server-state-from-file' expects 'global', 'local' or 'none'. Got 'foo'"),
        ("defaults\n  server-state-file-name a b\n", "parsing [t.cfg:2] : 'server-state-file-name' cannot handle unexpected argument 'b'."),
    ] {
        assert_has(text, want);
    }
    assert_has(
        &with_timeouts("backend be\n  load-server-state-from-file global\n  server s 127.0.0.1:1\n"),
        "backend 'be' configured to load server state file from global section 'server-state-file' directive. Unfortunately, 'server-state-file' is not set!",
    );
}

#[test]
fn nbproc_is_refused_as_haproxy_26_refuses_it() {
    assert_has(
        "global\n  nbproc 1\n",
        "[ALERT]    : config : parsing [t.cfg:2] : nbproc is not supported any more since HAProxy 2.5. Threads will automatically be used on multi-processor machines if available.",
    );
}

#[test]
fn lua_files_haproxy_cannot_read_fail_the_load_as_in_haproxy() {
    // HAProxy 2.6.12's alerts; a file it reads is ignored here with a warning.
    let dir = temp_dir("lua");
    let script = dir.join("ok.lua");
    std::fs::write(&script, "core.log(0, 'x')\n").expect("write");
    let missing = dir.join("missing.lua");
    assert_has(
        &format!("global\n  lua-load {}\n", missing.display()),
        &format!(
            "parsing [t.cfg:2] : error in Lua file '{0}': cannot open {0}: No such file or directory",
            missing.display()
        ),
    );
    assert_has(
        &format!("global\n  lua-load-per-thread {}\n", dir.display()),
        &format!(
            "parsing [t.cfg:2] : error in Lua file '{0}': cannot read {0}: Is a directory",
            dir.display()
        ),
    );
    assert_has(
        "global\n  lua-load\n",
        "parsing [t.cfg:2] : 'lua-load' expects a file name as parameter.",
    );
    assert_has(
        &format!("global\n  lua-load {}\n", script.display()),
        "'lua-load' is ignored by proxyd",
    );
}
