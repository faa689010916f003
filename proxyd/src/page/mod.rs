//! The HTTP stats page: what a `stats enable` frontend serves, HAProxy 2.6's way.
//!
//! Every answer renders one [`crate::stats::rows`] snapshot (plus the `show info` values), so
//! the page, its exports and `/metrics` never compute a value twice; the stats socket reads
//! the same rows.
//!
//! - this file: the accept loop, per-request counters and routing.
//! - [`http`]: bounded HTTP/1.x request reading and response writing, HAProxy's error pages.
//! - [`uri`]: the stats URI prefix and its `;csv` `;json` `;typed` `;up` `;no-maint`
//!   `;norefresh` `;st=` options.
//! - [`auth`]: `stats auth` (Basic) and the `stats admin` condition.
//! - [`html`]: the HTML page (and `style.css`, HAProxy's look).
//! - [`export`]: `;csv`, `;json`, `;typed` through the socket's renderers.
//! - [`admin`]: the admin form's POST, applied with the runtime API's functions.
//! - [`prometheus`]: the text exposition with HAProxy's exporter names.
//!
//! Not here: TLS (the page is plain HTTP, as a `bind` without `ssl`), keep-alive, the JSON
//! schema and HAProxy's JavaScript select-all checkbox.

pub mod admin;
pub mod auth;
pub mod export;
pub mod html;
pub mod http;
pub mod prometheus;
pub mod uri;

use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::counted_io::Counted;
use crate::model::{FrontendRt, Model, Port};
use crate::proxy::listener::{accept_with_slots, gate, Accepted, Changes, Gate, ACCEPT_BACKOFF};
use crate::stats::{self, Options};
use crate::stats_socket::context::Ctx;
use crate::Shared;
use http::{Method, ReadError, Request, Response};
use runtime_api::level::Level;

/// Read timeout when the frontend has no `timeout client` (HAProxy would wait forever; a
/// stats page should not hold a connection slot for a silent client).
const DEFAULT_CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// Serve the stats page on `listener` until `stop` fires. `fe` is the frontend at start; each
/// connection uses the frontend of the current model with the same name, so a reload's new
/// `stats` settings and counters apply without rebinding.
pub async fn serve(
    listener: std::net::TcpListener,
    fe: Arc<FrontendRt>,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let Ok(mut l) = TcpListener::from_std(listener) else {
        return;
    };
    let backlog = l.local_addr().map_or(crate::model::LISTEN_BACKLOG, |a| {
        crate::proxy::listener::backlog_of(a, &fe)
    });
    let Ok(port) = Port::new(&l, backlog) else {
        return;
    };
    let mut seen_pauses = 0;
    loop {
        let fe = current_frontend(&shared, &fe);
        let global = shared.model().global.clone();
        // The frontend's state and the frontend's and process's `maxconn` hold here as on a
        // proxy listener.
        let mut changes = Changes::new(&fe, &global);
        let state;
        (l, state) = match gate(l, &port, &mut seen_pauses, &fe) {
            Ok(x) => x,
            Err(_) => return,
        };
        match state {
            Gate::Open => {}
            Gate::Closed => return,
            Gate::Paused => {
                // A reload makes a new frontend without telling this one: look again now and then.
                tokio::select! {
                    _ = changes.next() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.changed() => return,
                }
                continue;
            }
        }
        let (accepted, permits) =
            match accept_with_slots(&l, &fe, &global, &mut stop, &mut changes).await {
                Accepted::Conn(r, p) => (r, p),
                Accepted::Recheck => continue,
                Accepted::Stop => return,
            };
        let Ok((sock, peer)) = accepted else {
            // Out of descriptors or a transient error: back off rather than spin.
            tokio::select! {
                _ = tokio::time::sleep(ACCEPT_BACKOFF) => {}
                _ = stop.changed() => return,
            }
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            handle(sock, peer, fe, shared).await;
            drop(permits);
        });
    }
}

fn current_frontend(shared: &Shared, fe: &Arc<FrontendRt>) -> Arc<FrontendRt> {
    shared
        .model()
        .frontends()
        .find(|f| f.name == fe.name && f.stats.is_some())
        .cloned()
        .unwrap_or_else(|| fe.clone())
}

/// One connection, one request, counted as HAProxy counts it: the connection and the bytes it
/// moved on the frontend's HTTP/1 counters, the request on the frontend, and on the backend when
/// the request is not the stats page's (HAProxy hands those to the backend, which has no
/// server: 503).
async fn handle(sock: TcpStream, peer: SocketAddr, fe: Arc<FrontendRt>, shared: Arc<Shared>) {
    let local = sock.local_addr();
    let mut sock = Counted::new(sock);
    let h1 = &fe.counters.modules;
    h1.h1_conn_opened();
    let stream = exchange(&mut sock, local, peer, &fe, &shared).await;
    if stream {
        h1.h1_stream_closed();
    }
    h1.h1_conn_closed(sock.read, sock.written);
    // `TotalBytesOut` counts what left on the socket, whoever wrote it.
    shared
        .model()
        .global
        .counters
        .bout
        .fetch_add(sock.written, Relaxed);
}

/// Serves the connection; true when a request started on it (an HTTP/1 stream).
async fn exchange(
    sock: &mut Counted<TcpStream>,
    local: std::io::Result<SocketAddr>,
    peer: SocketAddr,
    fe: &Arc<FrontendRt>,
    shared: &Arc<Shared>,
) -> bool {
    let model = shared.model();
    let c = &fe.counters;
    let g = &model.global.counters;
    c.conn_tot.fetch_add(1, Relaxed);
    c.conn_rate.hit();
    g.conn_tot.fetch_add(1, Relaxed);
    g.conn_rate.hit();
    c.session_started();
    g.session_started();
    model.global.streams.fetch_add(1, Relaxed);
    if fe.connect_log {
        if let Ok(local) = local {
            let line = crate::logging::connect_line(peer, local, fe);
            shared
                .log
                .of(&fe.logs)
                .send(crate::logging::Severity::Info, &line);
        }
    }
    let timeout = fe.timeouts.client.unwrap_or(DEFAULT_CLIENT_TIMEOUT);
    let read = http::read_request(sock, timeout).await;
    let stream = sock.read > 0;
    if stream {
        c.modules.h1_stream_opened();
    }
    let req = match read {
        Ok(req) => req,
        Err(_) if !stream && fe.log_filter.ignore_probes => {
            // `option http-ignore-probes`: a connection that never sent a byte (a probe, a
            // browser's pre-connect) is closed without an answer or an error counted.
            c.session_ended();
            g.session_ended();
            return stream;
        }
        Err(e) => {
            // HAProxy's multiplexer answers a request it could not read (closed early, timed
            // out, malformed) by itself, with its raw error message. No stream carried those
            // bytes: `bout` does not count them, `h1_bytes_out` does.
            c.ereq.fetch_add(1, Relaxed);
            c.req_tot.fetch_add(1, Relaxed);
            c.req_rate.hit();
            let status = if e == ReadError::Timeout { 408 } else { 400 };
            http::write_raw(sock, &http::mux_error(status)).await;
            c.hrsp[4].fetch_add(1, Relaxed);
            c.session_ended();
            g.session_ended();
            return stream;
        }
    };
    c.bin.fetch_add(req.htx_size, Relaxed);
    c.req_tot.fetch_add(1, Relaxed);
    c.req_rate.hit();
    let (resp, to_backend) = respond(&req, peer, fe, shared, &model);
    let be = fe.backend.as_deref();
    if let (true, Some(be)) = (to_backend, be) {
        let b = &be.counters;
        b.session_started();
        b.mark_last_session();
        b.req_tot.fetch_add(1, Relaxed);
        // No server to connect to: HAProxy counts the attempt as a connection error.
        b.econ.fetch_add(1, Relaxed);
    }
    let head_only = req.method == Method::Head;
    let sent = http::write_response(sock, &resp, head_only).await;
    let bout = if sent > 0 {
        resp.htx_size(head_only)
    } else {
        0
    };
    c.bout.fetch_add(bout, Relaxed);
    c.hrsp[resp.class()].fetch_add(1, Relaxed);
    if let Some(be) = be {
        // The backend carried the request either way: the stats page is served from it.
        be.counters.bin.fetch_add(req.htx_size, Relaxed);
        be.counters.bout.fetch_add(bout, Relaxed);
        if to_backend {
            be.counters.hrsp[resp.class()].fetch_add(1, Relaxed);
            be.counters.session_ended();
        }
    }
    c.session_ended();
    g.session_ended();
    stream
}

/// Route one request. Outside the stats URI (and `/metrics`) a stats-only frontend has no
/// server to hand the request to: HAProxy answers 503, so does this. The flag says the request
/// went to the backend rather than to the stats page.
fn respond(
    req: &Request,
    peer: SocketAddr,
    fe: &FrontendRt,
    shared: &Arc<Shared>,
    model: &Arc<Model>,
) -> (Response, bool) {
    let Some(page) = fe.stats.as_ref() else {
        return (Response::haproxy_error(503), true);
    };
    let ctx = || Ctx {
        shared: shared.clone(),
        model: model.clone(),
        level: Level::Admin,
        socket_level: Level::Admin,
        interactive: false,
        timeout: Duration::from_secs(10),
        quit: false,
        bare: false,
        expert: false,
        experimental: false,
    };
    let path = req.target.split(['?', ';']).next().unwrap_or("");
    if let Some(metrics) = page.prometheus_path.as_deref() {
        if path == metrics && matches!(req.method, Method::Get | Method::Head) {
            // The exporter is an HTTP service of its own (`use-service`), not behind `stats auth`.
            fe.counters.intercepted.fetch_add(1, Relaxed);
            let info = crate::stats_socket::info::values(&ctx());
            let rows = stats::rows(model, &Options::default());
            let metrics = Response::new(200)
                .header("cache-control", "no-cache")
                .header("content-type", prometheus::CONTENT_TYPE)
                .body(prometheus::render(&info, &rows));
            return (metrics, false);
        }
    }
    let Some(u) = uri::parse(&page.uri, &req.target) else {
        return (Response::haproxy_error(503), true);
    };
    if req.method == Method::Other {
        return (Response::haproxy_error(503), true);
    }
    fe.counters.intercepted.fetch_add(1, Relaxed);
    if !auth::allowed(page, req.header("authorization")) {
        return (auth::challenge(page), false);
    }
    let admin = auth::admin_allowed(page, peer.ip());
    if req.method == Method::Post {
        let status = if !admin {
            admin::Status::Deny
        } else if req.body_too_large {
            admin::Status::Excd
        } else {
            admin::apply(&ctx(), &req.body)
        };
        let location = format!("{};st={}{}", page.uri, status.code(), u.keep());
        let redirect = Response::new(303)
            .header("cache-control", "no-cache")
            .header("content-type", "text/plain")
            .header("content-length", "0")
            .header("location", location);
        return (redirect, false);
    }
    let opts = Options {
        show_legends: page.show_legends,
        up_only: u.up,
        no_maint: u.no_maint,
        ..Options::default()
    };
    let mut rows = stats::rows(model, &opts);
    if let Some(scope) = &u.scope {
        let scope = scope.to_ascii_lowercase();
        rows.retain(|r| {
            r.name(runtime_api::fields::idx::PXNAME)
                .to_ascii_lowercase()
                .contains(&scope)
        });
    }
    let (body, content_type) = match export::render(u.format, &rows) {
        Some(x) => x,
        None => {
            let info = crate::stats_socket::info::values(&ctx());
            let pctx = html::PageCtx {
                model,
                page,
                uri: &u,
                info: &info,
                admin,
            };
            (html::render(&pctx, &rows), "text/html")
        }
    };
    let mut resp = Response::new(200)
        .header("cache-control", "no-cache")
        .header("content-type", content_type);
    if let Some(refresh) = page.refresh.filter(|_| !u.norefresh) {
        resp = resp.header("refresh", refresh.as_secs().to_string());
    }
    (resp.body(body), false)
}
