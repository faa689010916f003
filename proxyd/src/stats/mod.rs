//! Stats rows from the running model: one snapshot function that every renderer (the stats
//! socket's CSV/typed/JSON, the HTML page, Prometheus) reads, so no value is computed twice.
//!
//! Which columns are filled for which row follows HAProxy 2.6 exactly (see the tests and
//! `shared/src/fields.rs`); a column HAProxy leaves empty stays [`Value::Empty`].

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use runtime_api::fields::idx;
use runtime_api::row::{RowKind, StatRow, Value};

use crate::check::OpState;
use crate::config::Mode;
use crate::model::counters::Counters;
use crate::model::server::{ServerRt, ServerState, WEIGHT_SCALE};
use crate::model::{BackendRt, FrontendRt, Model, ProxyRt, FE_OPEN, FE_PAUSED};

/// What a caller wants in the dump (`show stat` arguments, page options).
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Fill `addr`/`cookie`/`algo` (socket level ≥ operator, or `stats show-legends`).
    pub show_legends: bool,
    /// `-1` = all; else a proxy id.
    pub iid: Option<u32>,
    /// Bitmask 1 = frontends, 2 = backends, 4 = servers, 8 = listeners.
    pub types: u32,
    pub sid: Option<u32>,
    pub up_only: bool,
    pub no_maint: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            show_legends: true,
            iid: None,
            types: 0xF,
            sid: None,
            up_only: false,
            no_maint: false,
        }
    }
}

fn u64v(a: &AtomicU64) -> Value {
    Value::U64(a.load(Relaxed))
}

fn u32v(a: &AtomicU64) -> Value {
    Value::U32(a.load(Relaxed).min(u32::MAX as u64) as u32)
}

/// Every row, proxies in configuration order; per proxy FRONTEND, servers, BACKEND.
pub fn rows(model: &Model, opts: &Options) -> Vec<StatRow> {
    let mut out = Vec::new();
    for_each_row(model, opts, |row| out.push(row));
    out
}

/// The rows of [`rows`], handed over one at a time so a renderer can write each as it comes
/// instead of holding every row of a large configuration at once.
pub fn for_each_row(model: &Model, opts: &Options, mut emit: impl FnMut(StatRow)) {
    for p in &model.proxies {
        if opts.iid.is_some_and(|id| id != p.id) {
            continue;
        }
        proxy_rows(p, opts, &mut emit);
    }
}

fn proxy_rows(p: &ProxyRt, opts: &Options, emit: &mut impl FnMut(StatRow)) {
    if let Some(fe) = &p.frontend {
        if opts.types & 1 != 0 {
            emit(frontend_row(fe));
        }
    }
    if let Some(be) = &p.backend {
        if opts.types & 4 != 0 {
            for s in be.servers().iter() {
                if opts.sid.is_some_and(|sid| sid != s.id()) {
                    continue;
                }
                let Ok(st) = s.state.lock() else { continue };
                if opts.no_maint || opts.up_only {
                    if st.admin.maint() {
                        continue;
                    }
                    if opts.up_only
                        && st.health.state() == OpState::Stopped
                        && (!st.check_enabled || st.health.health() == 0)
                    {
                        continue;
                    }
                }
                drop(st);
                emit(server_row(be, s, opts));
            }
        }
        if opts.types & 2 != 0 {
            emit(backend_row(be, opts));
        }
    }
}

/// Columns every frontend/backend/server shows the same way.
fn common_traffic(row: &mut StatRow, c: &Counters) {
    row.set(idx::SCUR, u32v(&c.scur));
    row.set(idx::SMAX, u32v(&c.smax));
    row.set(idx::STOT, u64v(&c.stot));
    row.set(idx::BIN, u64v(&c.bin));
    row.set(idx::BOUT, u64v(&c.bout));
    row.set(idx::DRESP, Value::U64(0));
    row.set(idx::WREW, Value::U64(0));
    row.set(idx::EINT, u64v(&c.eint));
}

pub fn frontend_row(fe: &FrontendRt) -> StatRow {
    let c = &fe.counters;
    let mut r = StatRow::new(RowKind::Frontend, &fe.name, "FRONTEND", fe.id, 0);
    common_traffic(&mut r, c);
    r.set(idx::SLIM, Value::U32(fe.maxconn.load(Relaxed)));
    r.set(idx::DREQ, Value::U64(0));
    r.set(idx::EREQ, u64v(&c.ereq));
    let status = match fe.state.load(Relaxed) {
        FE_OPEN => "OPEN",
        FE_PAUSED => "PAUSED",
        _ => "STOP",
    };
    r.set(idx::STATUS, Value::Str(status.into()));
    r.set(idx::RATE, Value::U32(c.rate.get()));
    r.set(idx::RATE_LIM, Value::U32(fe.sess_rate_limit));
    r.set(idx::RATE_MAX, Value::U32(c.rate.max()));
    r.set(idx::REQ_RATE, Value::U32(c.req_rate.get()));
    r.set(idx::REQ_RATE_MAX, Value::U32(c.req_rate.max()));
    r.set(idx::REQ_TOT, u64v(&c.req_tot));
    for i in [idx::COMP_IN, idx::COMP_OUT, idx::COMP_BYP, idx::COMP_RSP] {
        r.set(i, Value::U64(0));
    }
    r.set(idx::MODE, Value::Str(fe.mode.name().into()));
    r.set(idx::CONN_RATE, Value::U32(c.conn_rate.get()));
    r.set(idx::CONN_RATE_MAX, Value::U32(c.conn_rate.max()));
    r.set(idx::CONN_TOT, u64v(&c.conn_tot));
    r.set(idx::DCON, Value::U64(0));
    r.set(idx::DSES, Value::U64(0));
    let http = fe.mode == Mode::Http;
    if http {
        http_columns(&mut r, c);
        r.set(idx::INTERCEPTED, u64v(&c.intercepted));
        r.set(idx::CACHE_LOOKUPS, Value::U64(0));
        r.set(idx::CACHE_HITS, Value::U64(0));
    }
    module_columns(&mut r, c);
    r
}

/// The stats modules' columns after `-`, for the row kinds each module serves (SSL: every row;
/// HTTP/2 and HTTP/1: frontends and backends). proxyd speaks no HTTP/2 anywhere: those stay 0
/// as they do in HAProxy for a proxy no HTTP/2 client or server ever reached.
fn module_columns(r: &mut StatRow, c: &Counters) {
    let m = &c.modules;
    r.set(idx::SSL_SESS, u64v(&m.ssl_sess));
    r.set(idx::SSL_REUSED_SESS, u64v(&m.ssl_reused_sess));
    r.set(idx::SSL_FAILED_HANDSHAKE, u64v(&m.ssl_failed_handshake));
    if matches!(r.kind, RowKind::Server | RowKind::Listener) {
        return;
    }
    for i in idx::H2_HEADERS_RCVD..=idx::H2_BACKEND_TOTAL_STREAMS {
        r.set(i, Value::U64(0));
    }
    r.set(idx::H1_OPEN_CONNECTIONS, u64v(&m.h1_open_conns));
    r.set(idx::H1_OPEN_STREAMS, u64v(&m.h1_open_streams));
    r.set(idx::H1_TOTAL_CONNECTIONS, u64v(&m.h1_total_conns));
    r.set(idx::H1_TOTAL_STREAMS, u64v(&m.h1_total_streams));
    r.set(idx::H1_BYTES_IN, u64v(&m.h1_bytes_in));
    r.set(idx::H1_BYTES_OUT, u64v(&m.h1_bytes_out));
    // Splicing is for HTTP bodies the multiplexer forwards; the stats page and checks have none
    // to splice.
    r.set(idx::H1_SPLICED_BYTES_IN, Value::U64(0));
    r.set(idx::H1_SPLICED_BYTES_OUT, Value::U64(0));
}

fn http_columns(r: &mut StatRow, c: &Counters) {
    let cols = [
        idx::HRSP_OTHER,
        idx::HRSP_1XX,
        idx::HRSP_2XX,
        idx::HRSP_3XX,
        idx::HRSP_4XX,
        idx::HRSP_5XX,
    ];
    for (i, col) in cols.iter().enumerate() {
        r.set(*col, u64v(&c.hrsp[i]));
    }
}

/// Columns backends and servers share.
fn be_srv_common(r: &mut StatRow, c: &Counters) {
    common_traffic(r, c);
    r.set(idx::QCUR, u32v(&c.qcur));
    r.set(idx::QMAX, u32v(&c.qmax));
    r.set(idx::ECON, u64v(&c.econ));
    r.set(idx::ERESP, u64v(&c.eresp));
    r.set(idx::WRETR, u64v(&c.wretr));
    r.set(idx::WREDIS, u64v(&c.wredis));
    r.set(idx::LBTOT, u64v(&c.lbtot));
    r.set(idx::RATE, Value::U32(c.rate.get()));
    r.set(idx::RATE_MAX, Value::U32(c.rate.max()));
    r.set(idx::CLI_ABRT, u64v(&c.cli_abrt));
    r.set(idx::SRV_ABRT, u64v(&c.srv_abrt));
    r.set(idx::LASTSESS, Value::S32(c.lastsess()));
    let t = c.times.lock().map(|t| t.clone()).unwrap_or_default();
    r.set(idx::QTIME, Value::U32(t.qtime()));
    r.set(idx::CTIME, Value::U32(t.ctime()));
    // No response phase in TCP mode: HAProxy reports 0.
    r.set(idx::RTIME, Value::U32(0));
    r.set(idx::TTIME, Value::U32(t.ttime()));
    r.set(idx::CONNECT, u64v(&c.connect));
    // Passthrough never reuses a server connection.
    r.set(idx::REUSE, Value::U64(0));
    r.set(idx::QTIME_MAX, Value::U32(t.qtime_max));
    r.set(idx::CTIME_MAX, Value::U32(t.ctime_max));
    r.set(idx::RTIME_MAX, Value::U32(0));
    r.set(idx::TTIME_MAX, Value::U32(t.ttime_max));
}

pub fn server_row(be: &BackendRt, s: &ServerRt, opts: &Options) -> StatRow {
    let c = &s.counters;
    let mut r = StatRow::new(RowKind::Server, &be.name, &s.name, be.id, s.id());
    be_srv_common(&mut r, c);
    let Ok(st) = s.state.lock() else {
        return r;
    };
    let maxconn = s.maxconn.load(Relaxed);
    if maxconn > 0 {
        r.set(idx::SLIM, Value::U32(maxconn));
    }
    if s.maxqueue > 0 {
        r.set(idx::QLIMIT, Value::U32(s.maxqueue));
    }
    r.set(idx::STATUS, Value::Str(s.status_text(&st)));
    if let Some(t) = &s.track {
        r.set(idx::TRACKED, Value::Str(t.clone()));
    }
    // The effective weight, rounded up to whole points (throttled during `slowstart`).
    let dynamic = !be.balance.is_static();
    let scale = if dynamic { WEIGHT_SCALE } else { 1 };
    r.set(
        idx::WEIGHT,
        Value::U32(s.eweight(dynamic).div_ceil(scale) as u32),
    );
    r.set(idx::UWEIGHT, Value::U32(st.uweight));
    if let Some(t) = s.throttle(dynamic) {
        r.set(idx::THROTTLE, Value::U32(t));
    }
    r.set(idx::ACT, Value::U32((!s.backup) as u32));
    r.set(idx::BCK, Value::U32(s.backup as u32));
    r.set(
        idx::LASTCHG,
        Value::U32(st.last_change.elapsed().as_secs() as u32),
    );
    let checked = s.check.is_some() && st.check_enabled;
    if checked {
        r.set(idx::CHKFAIL, Value::U64(st.chkfail));
        r.set(idx::CHKDOWN, Value::U64(st.chkdown));
        r.set(
            idx::DOWNTIME,
            Value::U32(ServerRt::downtime_secs(&st) as u32),
        );
        if !st.admin.maint() {
            let status = st.check_status();
            let mut text = String::new();
            if st.check_running {
                text.push_str("* ");
            }
            text.push_str(status.name());
            r.set(idx::CHECK_STATUS, Value::Str(text));
            if let Some(lc) = &st.last_check {
                if let Some(code) = lc.code.filter(|_| status.has_code()) {
                    r.set(idx::CHECK_CODE, Value::U32(code as u32));
                }
                r.set(
                    idx::CHECK_DURATION,
                    Value::U64(lc.duration_ms().min(u64::MAX as u128) as u64),
                );
            }
            // HAProxy empties the text when a check starts (HCHK_STATUS_START) while the status
            // column keeps the previous result behind its '* '.
            let info = match (st.check_running, &st.last_check) {
                (false, Some(c)) => c.info.as_str(),
                _ => "",
            };
            r.set(idx::LAST_CHK, Value::Str(info.into()));
            r.set(idx::CHECK_DESC, Value::Str(status.description().into()));
            r.set(idx::CHECK_RISE, Value::U32(s.rise()));
            r.set(idx::CHECK_FALL, Value::U32(s.fall()));
            r.set(idx::CHECK_HEALTH, Value::U32(st.health.health()));
        }
    }
    if be.mode == Mode::Http {
        http_columns(&mut r, c);
        r.set(idx::REQ_TOT, u64v(&c.req_tot));
    }
    if opts.show_legends {
        r.set(idx::ADDR, Value::Str(s.addr_text()));
    }
    r.set(idx::MODE, Value::Str(be.mode.name().into()));
    // No connection pooling in passthrough: every server connection is in use by its session.
    r.set(idx::SRV_ICUR, Value::U32(0));
    r.set(idx::IDLE_CONN_CUR, Value::U32(0));
    r.set(idx::SAFE_CONN_CUR, Value::U32(0));
    let usage = ConnUsage::of(be, s, &st);
    r.set(idx::USED_CONN_CUR, Value::U32(usage.used));
    r.set(idx::NEED_CONN_EST, Value::U32(usage.max_used));
    module_columns(&mut r, c);
    r
}

/// HAProxy's accounting of a server's connections in use (`used_conn_cur`, `need_conn_est`,
/// `show servers conn`). Its estimate of the connections needed is the most used at once here:
/// the purge that would lower it runs only for servers with idle connections, which
/// passthrough never has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnUsage {
    pub used: u32,
    pub max_used: u32,
}

impl ConnUsage {
    pub fn of(be: &BackendRt, s: &ServerRt, st: &ServerState) -> ConnUsage {
        // Every connection the server saw counts, its health checks' included: a checked server
        // shows at least 1 once a check ran.
        let checked_once = s.check.is_some() && (st.last_check.is_some() || st.check_running);
        let once = (checked_once || s.connected_once.load(Relaxed)) as u64;
        let c = &s.counters;
        let (used, max_used) = match be.mode {
            // In TCP mode HAProxy makes each server connection private to its session, which
            // takes it out of the server's used count as soon as it is made: with 400 sessions
            // open it shows 0 used, and 1 (the count the first connection reached) as the most
            // used.
            Mode::Tcp => (0, once),
            Mode::Http => (c.scur.load(Relaxed), c.smax.load(Relaxed).max(once)),
        };
        let clamp = |v: u64| v.min(u32::MAX as u64) as u32;
        ConnUsage {
            used: clamp(used),
            max_used: clamp(max_used),
        }
    }
}

pub fn backend_row(be: &BackendRt, opts: &Options) -> StatRow {
    let c = &be.counters;
    let mut r = StatRow::new(RowKind::Backend, &be.name, "BACKEND", be.id, 0);
    be_srv_common(&mut r, c);
    r.set(idx::SLIM, Value::U32(be.fullconn));
    r.set(idx::DREQ, Value::U64(0));
    let (act, bck, weight) = be.usable_counts();
    let (up, last_change, chkdown, downtime) = match be.state.lock() {
        Ok(st) => {
            let mut d = st.downtime;
            if !st.up {
                d += st.last_change.elapsed();
            }
            (st.up, st.last_change, st.chkdown, d.as_secs())
        }
        Err(_) => (true, std::time::Instant::now(), 0, 0),
    };
    let mut status = if up {
        "UP".to_string()
    } else {
        "DOWN".to_string()
    };
    if opts.up_only || opts.no_maint {
        let running = be
            .servers()
            .iter()
            .filter(|s| {
                s.state
                    .lock()
                    .map(|st| ServerRt::is_running(&st))
                    .unwrap_or(false)
            })
            .count();
        status = format!("{status} ({running}/{})", be.servers().len());
    }
    r.set(idx::STATUS, Value::Str(status));
    r.set(idx::WEIGHT, Value::U32(weight.effective as u32));
    r.set(idx::UWEIGHT, Value::U32(weight.user));
    r.set(idx::ACT, Value::U32(act));
    r.set(idx::BCK, Value::U32(bck));
    r.set(idx::CHKDOWN, Value::U64(chkdown));
    r.set(
        idx::LASTCHG,
        Value::U32(last_change.elapsed().as_secs() as u32),
    );
    if !be.servers().is_empty() {
        r.set(idx::DOWNTIME, Value::U32(downtime as u32));
    }
    for i in [idx::COMP_IN, idx::COMP_OUT, idx::COMP_BYP, idx::COMP_RSP] {
        r.set(i, Value::U64(0));
    }
    if be.mode == Mode::Http {
        http_columns(&mut r, c);
        r.set(idx::REQ_TOT, u64v(&c.req_tot));
        r.set(idx::CACHE_LOOKUPS, Value::U64(0));
        r.set(idx::CACHE_HITS, Value::U64(0));
    }
    r.set(idx::MODE, Value::Str(be.mode.name().into()));
    if opts.show_legends {
        r.set(idx::ALGO, Value::Str(be.balance.algo_name().into()));
    }
    // HAProxy prints these aggregated gauges as 0 in CSV; they exist for Prometheus only.
    for i in [
        idx::AGG_SERVER_STATUS,
        idx::AGG_SERVER_CHECK_STATUS,
        idx::AGG_CHECK_STATUS,
    ] {
        r.set(i, Value::U32(0));
    }
    module_columns(&mut r, c);
    r
}
