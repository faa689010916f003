//! The HTTP stats page end to end, in process: a model built from a hand-written `Config`, a
//! real loopback listener served by `page::serve`, and real HTTP over `std::net::TcpStream`.

// Helpers outside `#[test]` functions set up fixtures: failing loudly is what a test wants.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use proxyd::check::CheckOutcome;
use proxyd::config::*;
use proxyd::logging::Logger;
use proxyd::model::Model;
use proxyd::stats::{self, Options};
use proxyd::{page, Shared};
use runtime_api::status::CheckStatus;
use tokio::sync::watch;

const IO_TIMEOUT: Duration = Duration::from_secs(10);

fn stats_page() -> StatsPage {
    StatsPage {
        uri: "/stats".into(),
        realm: "HAProxy Statistics".into(),
        auth: Vec::new(),
        hide_version: false,
        refresh: Some(Duration::from_secs(10)),
        show_legends: true,
        show_node: true,
        admin: Some(AdminCond::Always),
        prometheus_path: Some("/metrics".into()),
    }
}

/// `frontend stats` (mode http, the page), `frontend fe_app` → `backend be_app` with an
/// HTTP-checked server, a failing backup, an unchecked one and a disabled one. The topology
/// comes from the real loader; the page options are the test's.
fn config(page: StatsPage) -> Config {
    let text = "
global
    maxconn 1000
    nbthread 1
    node testnode
    # Takes proxy id 1, as in HAProxy, so user proxies start at 2.
    stats socket /run/proxyd-test-never-bound.sock
defaults
    timeout connect 5s
    timeout client 5s
    timeout server 5s
frontend stats
    mode http
    bind 127.0.0.1:1
    stats enable
frontend fe_app
    bind 127.0.0.1:2
    default_backend be_app
backend be_app
    server s1 127.0.0.1:1 check
    server s2 127.0.0.1:2 check backup
    server s3 127.0.0.1:3
    server s4 127.0.0.1:4 disabled
";
    let loaded = load_str(std::path::Path::new("test.cfg"), text, &|_| None)
        .unwrap_or_else(|d| panic!("test configuration rejected: {d:?}"));
    let mut config = loaded.config;
    for p in &mut config.proxies {
        if p.name == "stats" {
            p.stats = Some(page.clone());
        }
    }
    config
}

fn outcome(status: CheckStatus, code: Option<u16>, info: &str, ms: u64) -> CheckOutcome {
    CheckOutcome {
        status,
        code,
        info: info.into(),
        detail: None,
        duration: Duration::from_millis(ms),
    }
}

struct Page {
    addr: SocketAddr,
    shared: Arc<Shared>,
    _stop: watch::Sender<bool>,
    _rt: tokio::runtime::Runtime,
}

impl Page {
    fn start(page: StatsPage) -> Page {
        let model = Arc::new(Model::build(config(page), None));
        // Give the checked servers real results: s1 passes an HTTP check, s2 fails.
        let be = model.backend("be_app").unwrap().clone();
        for _ in 0..2 {
            let s1 = be.server("s1").unwrap();
            let mut st = s1.state.lock().unwrap();
            s1.apply_check(&mut st, outcome(CheckStatus::L7Ok, Some(200), "OK", 3));
        }
        for _ in 0..4 {
            let s2 = be.server("s2").unwrap();
            let mut st = s2.state.lock().unwrap();
            s2.apply_check(
                &mut st,
                outcome(CheckStatus::L4Con, None, "Connection refused", 0),
            );
        }
        be.refresh_state();
        let fe = model.frontend("stats").unwrap().clone();
        let shared = Arc::new(Shared::new(model, Logger::new(&[], None, None)));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stop_rx) = watch::channel(false);
        let _guard = rt.enter();
        rt.spawn(page::serve(listener, fe, shared.clone(), stop_rx));
        Page {
            addr,
            shared,
            _stop: stop,
            _rt: rt,
        }
    }

    /// Send raw bytes, read the whole answer (the page closes after each response).
    fn raw(&self, request: &str) -> Reply {
        let mut s = TcpStream::connect_timeout(&self.addr, IO_TIMEOUT).unwrap();
        s.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        s.write_all(request.as_bytes()).unwrap();
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).unwrap();
        Reply::parse(&buf, request)
    }

    fn get(&self, target: &str) -> Reply {
        self.raw(&format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n"))
    }

    fn get_auth(&self, target: &str, basic: &str) -> Reply {
        self.raw(&format!(
            "GET {target} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {basic}\r\n\r\n"
        ))
    }

    fn post(&self, target: &str, body: &str) -> Reply {
        self.raw(&format!(
            "POST {target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ))
    }

    fn model(&self) -> Arc<Model> {
        self.shared.model()
    }

    fn server_status(&self, name: &str) -> String {
        let m = self.model();
        let s = m.backend("be_app").unwrap().server(name).unwrap().clone();
        let st = s.state.lock().unwrap();
        s.status_text(&st)
    }
}

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn parse(buf: &[u8], request: &str) -> Reply {
        let text = String::from_utf8_lossy(buf).into_owned();
        let (head, body) = text
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("no response head for {request:?}: {text:?}"));
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("bad status line for {request:?}: {head:?}"));
        let headers = lines
            .filter_map(|l| l.split_once(": "))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect();
        Reply {
            status,
            headers,
            body: body.to_string(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[test]
fn page_renders_haproxy_layout_and_counts_the_request() {
    let p = Page::start(stats_page());
    let r = p.get("/stats");
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    assert_eq!(r.header("refresh"), Some("10"));
    let b = &r.body;
    for needle in [
        "<title>Statistics Report for proxyd on testnode</title>",
        "proxyd version ",
        "&gt; General process information",
        "<b>pid = </b> ",
        "active UP, going down",
        "<th colspan=3>Queue</th><th colspan=3>Session rate</th><th colspan=6>Sessions</th>",
        "<th>Dwntme</th><th>Thrtle</th>",
        "<tr class=\"active_up\">",
        "<u> L7OK/200 in 3ms<div class=tips>Layer7 check passed: OK</div></u>",
        "<tr class=\"backup_down\">",
        "L4CON in 0ms<div class=tips>Layer4 connection problem: Connection refused</div>",
        "<tr class=\"active_no_check\">",
        "<i>no check</i>",
        "<tr class=\"maintain\">",
        "IPv4: 127.0.0.1:1, id: 1",
        "balancing: roundrobin",
        "cap: frontend, mode: http, id: 2",
        "<select name=action>",
        "<input type=\"hidden\" name=\"b\" value=\"#4\">",
    ] {
        assert!(b.contains(needle), "page lacks {needle:?}");
    }
    assert!(b.ends_with("</body></html>\n"));
    let m = p.model();
    let c = &m.frontend("stats").unwrap().counters;
    // The response is counted once it is written, after the client saw EOF: wait for the
    // session to end (the last step) before reading the counters.
    let deadline = Instant::now() + IO_TIMEOUT;
    while c.scur.load(Relaxed) != 0 {
        assert!(Instant::now() < deadline, "session never ended");
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(c.intercepted.load(Relaxed), 1);
    assert_eq!(c.req_tot.load(Relaxed), 1);
    assert_eq!(c.hrsp[2].load(Relaxed), 1);
    assert_eq!(c.conn_tot.load(Relaxed), 1);
    assert!(c.bout.load(Relaxed) > r.body.len() as u64);
    assert!(c.bin.load(Relaxed) > 0);
}

#[test]
fn outside_the_uri_is_haproxys_503_and_head_has_no_body() {
    let p = Page::start(stats_page());
    let r = p.get("/other");
    assert_eq!(r.status, 503);
    assert_eq!(
        r.body,
        "<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n"
    );
    assert_eq!(r.header("content-length"), Some("107"));
    let r = p.raw("HEAD /stats HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    // Prefix match, as HAProxy.
    assert_eq!(p.get("/statsfoo;norefresh").status, 200);
    let r = p.raw("GARBAGE\r\n\r\n");
    assert_eq!(r.status, 400);
    let m = p.model();
    let c = &m.frontend("stats").unwrap().counters;
    let deadline = Instant::now() + IO_TIMEOUT;
    while c.scur.load(Relaxed) != 0 {
        assert!(Instant::now() < deadline, "session never ended");
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(c.hrsp[5].load(Relaxed), 1);
    assert_eq!(c.hrsp[4].load(Relaxed), 1);
    assert_eq!(c.ereq.load(Relaxed), 1);
}

#[test]
fn auth_challenges_with_the_realm_and_accepts_configured_users() {
    let mut page = stats_page();
    page.realm = "Example Stats".into();
    page.auth = vec![
        ("admin".into(), "secret".into()),
        ("ops".into(), "pw".into()),
    ];
    let p = Page::start(page);
    let r = p.get("/stats");
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("www-authenticate"),
        Some("Basic realm=\"Example Stats\"")
    );
    assert_eq!(
        r.body,
        "<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n"
    );
    // admin:wrong
    assert_eq!(p.get_auth("/stats", "YWRtaW46d3Jvbmc=").status, 401);
    // admin:secret, ops:pw
    assert_eq!(p.get_auth("/stats", "YWRtaW46c2VjcmV0").status, 200);
    assert_eq!(p.get_auth("/stats;csv", "b3BzOnB3").status, 200);
}

#[test]
fn hide_version_hides_the_version() {
    let mut page = stats_page();
    page.hide_version = true;
    page.show_node = false;
    let p = Page::start(page);
    let body = p.get("/stats").body;
    assert!(body.contains("<h1>proxyd</h1>"));
    assert!(
        !body.contains("version"),
        "version shown despite hide-version"
    );
    assert!(!body.contains("testnode"));
    let shown = Page::start(stats_page()).get("/stats").body;
    assert!(shown.contains(&format!("proxyd version {}", env!("CARGO_PKG_VERSION"))));
}

/// The CSV of every row but the serving frontend's own (which the request itself moves).
fn csv_without(text: &str, px: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with(&format!("{px},")))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn csv_export_is_the_sockets_show_stat() {
    let p = Page::start(stats_page());
    let opts = Options {
        show_legends: true,
        ..Options::default()
    };
    // Seconds-resolution columns (lastchg) may tick between two renders: retry a few times.
    for attempt in 0.. {
        let expected = |m: &Model| {
            let mut out = String::new();
            runtime_api::csv::write_header(&mut out);
            for r in stats::rows(m, &opts) {
                runtime_api::csv::write_row(&mut out, &r);
            }
            out
        };
        let before = expected(&p.model());
        let r = p.get("/stats;csv;norefresh");
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("text/plain"));
        assert_eq!(r.header("cache-control"), Some("no-cache"));
        assert_eq!(r.header("refresh"), None);
        assert!(r.body.starts_with("# pxname,svname,"));
        assert!(
            !r.body.ends_with("\n\n"),
            "CSV must not end with a blank line"
        );
        if csv_without(&r.body, "stats") == csv_without(&before, "stats") {
            break;
        }
        assert!(attempt < 3, "CSV differs:\n{}\n---\n{before}", r.body);
    }
    // `;up` drops the DOWN backup and the MAINT server; `;no-maint` only the latter.
    let up = p.get("/stats;up;csv").body;
    assert!(!up.contains("be_app,s2,") && !up.contains("be_app,s4,"));
    let nm = p.get("/stats;no-maint;csv").body;
    assert!(nm.contains("be_app,s2,") && !nm.contains("be_app,s4,"));
}

#[test]
fn json_and_typed_exports() {
    let p = Page::start(stats_page());
    let r = p.get("/stats;json");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("refresh"), Some("10"));
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), p.model().proxies.len() + 4);
    let typed = p.get("/stats;typed").body;
    assert!(
        typed.contains("S.4.4.17.status.1:SGP:str:MAINT\n"),
        "{typed}"
    );
}

#[test]
fn admin_form_changes_server_state_and_is_denied_without_stats_admin() {
    let p = Page::start(stats_page());
    assert_eq!(p.server_status("s3"), "no check");
    let r = p.post("/stats", "s=s3&action=drain&b=%234");
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/stats;st=DONE"));
    assert_eq!(r.header("content-length"), Some("0"));
    assert_eq!(p.server_status("s3"), "DRAIN");
    let r = p.post("/stats;norefresh", "s=s3&s=nope&action=ready&b=%234");
    assert_eq!(r.header("location"), Some("/stats;st=PART;norefresh"));
    assert_eq!(p.server_status("s3"), "no check");
    assert_eq!(
        p.post("/stats", "s=s1&action=bogus&b=%234")
            .header("location"),
        Some("/stats;st=ERRP")
    );
    assert_eq!(
        p.post("/stats", "action=ready&b=%234").header("location"),
        Some("/stats;st=NONE")
    );
    let banner = p.get("/stats;st=DONE").body;
    assert!(banner.contains("Action processed successfully."));

    let mut page = stats_page();
    page.admin = None;
    let p = Page::start(page);
    let r = p.post("/stats", "s=s3&action=maint&b=%234");
    assert_eq!(r.header("location"), Some("/stats;st=DENY"));
    assert_eq!(p.server_status("s3"), "no check");
    assert!(!p.get("/stats").body.contains("<select name=action>"));
}

fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
}

#[test]
fn metrics_use_haproxy_names_and_pass_promtool() {
    let p = Page::start(stats_page());
    let r = p.get("/metrics");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/plain; version=0.0.4"));
    let t = &r.body;
    let s = |srv: &str, state: &str| {
        metric(
            t,
            &format!(
                "haproxy_server_status{{proxy=\"be_app\",server=\"{srv}\",state=\"{state}\"}}"
            ),
        )
    };
    assert_eq!(s("s1", "UP"), Some(1.0));
    assert_eq!(s("s1", "DOWN"), Some(0.0));
    assert_eq!(s("s2", "DOWN"), Some(1.0));
    assert_eq!(s("s3", "UP"), Some(1.0));
    assert_eq!(s("s4", "MAINT"), Some(1.0));
    assert_eq!(
        metric(
            t,
            "haproxy_server_check_status{proxy=\"be_app\",server=\"s1\",state=\"L7OK\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        metric(
            t,
            "haproxy_server_check_code{proxy=\"be_app\",server=\"s1\"}"
        ),
        Some(200.0)
    );
    assert!(!t.contains("haproxy_server_check_status{proxy=\"be_app\",server=\"s3\""));
    assert_eq!(
        metric(t, "haproxy_backend_active_servers{proxy=\"be_app\"}"),
        Some(2.0)
    );
    assert!(metric(t, "haproxy_frontend_bytes_in_total{proxy=\"fe_app\"}").is_some());
    assert!(t.contains("haproxy_process_build_info{version=\""));
    assert!(t.contains("# TYPE haproxy_frontend_http_responses_total counter\n"));
    // Same HELP and TYPE as HAProxy 2.6.12's exporter for every family both expose.
    let reference = include_str!("page/haproxy-2.6-metrics.txt");
    let heads = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| l.starts_with("# HELP ") || l.starts_with("# TYPE "))
            .map(str::to_string)
            .collect()
    };
    let theirs = heads(reference);
    for h in heads(t) {
        let allowed_deviation = h == "# TYPE haproxy_process_failed_resolutions untyped";
        assert!(
            theirs.contains(&h) || allowed_deviation,
            "not in HAProxy 2.6's exporter: {h}"
        );
    }
    // promtool, when installed.
    let promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    match promtool {
        Err(_) => eprintln!("note: promtool not installed; skipping `promtool check metrics`"),
        Ok(mut child) => {
            child.stdin.take().unwrap().write_all(t.as_bytes()).unwrap();
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "promtool check metrics failed:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn chromium_screenshot_of_the_page() {
    let Some(browser) = ["chromium", "chromium-browser"].into_iter().find(|b| {
        Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    }) else {
        eprintln!("note: chromium not installed; skipping the screenshot test");
        return;
    };
    let p = Page::start(stats_page());
    // Some traffic-looking figures so the screenshot shows grouped digits.
    let m = p.model();
    let be = m.backend("be_app").unwrap();
    be.counters.bin.store(12_345_678, Relaxed);
    be.server("s1").unwrap().counters.stot.store(4321, Relaxed);
    let dir = std::env::temp_dir().join(format!("proxyd-page-shot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let png = dir.join("page.png");
    let url = format!("http://{}/stats;norefresh", p.addr);
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1400,900")
        .arg(&url)
        .output()
        .unwrap();
    let bytes = std::fs::read(&png).unwrap_or_else(|e| {
        panic!(
            "no screenshot ({e}); chromium said:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(bytes.starts_with(b"\x89PNG"), "not a PNG");
    // A blank 1400x900 page compresses to a few KiB; the tables make it far larger.
    assert!(
        bytes.len() > 30_000,
        "screenshot looks empty: {} bytes",
        bytes.len()
    );
    if let Ok(target) = std::env::var("PROXYD_PAGE_SCREENSHOT") {
        std::fs::copy(&png, target).unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
}
