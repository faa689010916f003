//! Lock-free counters written by the data path and read by the stats renderers.
//!
//! The data path only ever does relaxed atomic adds here: readers tolerate a counter that is a
//! few bytes behind another, and no reader lock ever stalls a forwarding task.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Counters shared by frontends, backends and servers; each renderer picks the ones HAProxy
/// shows for its row kind.
#[derive(Debug, Default)]
pub struct Counters {
    pub scur: AtomicU64,
    pub smax: AtomicU64,
    pub stot: AtomicU64,
    pub bin: AtomicU64,
    pub bout: AtomicU64,
    pub econ: AtomicU64,
    pub eresp: AtomicU64,
    pub ereq: AtomicU64,
    pub wretr: AtomicU64,
    pub wredis: AtomicU64,
    pub lbtot: AtomicU64,
    pub cli_abrt: AtomicU64,
    pub srv_abrt: AtomicU64,
    pub connect: AtomicU64,
    pub conn_tot: AtomicU64,
    pub qcur: AtomicU64,
    pub qmax: AtomicU64,
    pub eint: AtomicU64,
    pub intercepted: AtomicU64,
    /// HTTP responses by class (index 0 = other, 1..=5 = 1xx..5xx): only the stats page, the
    /// one HTTP service proxyd runs, moves these.
    pub hrsp: [AtomicU64; 6],
    pub req_tot: AtomicU64,
    pub req_rate: RateCounter,
    /// Unix seconds of the last session assigned; -1 = never.
    pub last_sess: AtomicI64,
    pub rate: RateCounter,
    pub conn_rate: RateCounter,
    pub times: Mutex<Timings>,
    pub modules: ModuleCounters,
}

/// The counters of HAProxy's stats modules, the `show stat` columns after `-`. proxyd never
/// terminates TLS nor proxies HTTP, so only two things move them, as in HAProxy: health checks
/// with `check-ssl` (handshakes, on the server and its backend) and HTTP/1 connections, the
/// stats page's on its frontend and `option httpchk` checks' on their backend.
#[derive(Debug, Default)]
pub struct ModuleCounters {
    pub ssl_sess: AtomicU64,
    pub ssl_reused_sess: AtomicU64,
    pub ssl_failed_handshake: AtomicU64,
    pub h1_open_conns: AtomicU64,
    pub h1_open_streams: AtomicU64,
    pub h1_total_conns: AtomicU64,
    pub h1_total_streams: AtomicU64,
    pub h1_bytes_in: AtomicU64,
    pub h1_bytes_out: AtomicU64,
}

impl ModuleCounters {
    pub fn h1_conn_opened(&self) {
        self.h1_open_conns.fetch_add(1, Relaxed);
        self.h1_total_conns.fetch_add(1, Relaxed);
    }

    /// A stream is a request: on a client connection it starts with the first byte received
    /// (a connection closed silently has none), on a check's connection at once.
    pub fn h1_stream_opened(&self) {
        self.h1_open_streams.fetch_add(1, Relaxed);
        self.h1_total_streams.fetch_add(1, Relaxed);
    }

    pub fn h1_stream_closed(&self) {
        saturating_decrement(&self.h1_open_streams);
    }

    pub fn h1_conn_closed(&self, bytes_in: u64, bytes_out: u64) {
        self.h1_bytes_in.fetch_add(bytes_in, Relaxed);
        self.h1_bytes_out.fetch_add(bytes_out, Relaxed);
        saturating_decrement(&self.h1_open_conns);
    }

    /// The TLS handshakes of a health check.
    pub fn add_handshakes(&self, h: &Handshakes) {
        self.ssl_sess.fetch_add(h.full, Relaxed);
        self.ssl_reused_sess.fetch_add(h.resumed, Relaxed);
        self.ssl_failed_handshake.fetch_add(h.failed, Relaxed);
    }

    /// HAProxy's `clear counters` resets the modules' counters, all of them, with or without
    /// `all`. Open connections stay counted: zeroing them would make the gauges wrap when those
    /// connections close (HAProxy's do).
    pub fn clear(&self) {
        for c in [
            &self.ssl_sess,
            &self.ssl_reused_sess,
            &self.ssl_failed_handshake,
            &self.h1_total_conns,
            &self.h1_total_streams,
            &self.h1_bytes_in,
            &self.h1_bytes_out,
        ] {
            c.store(0, Relaxed);
        }
    }
}

/// A gauge never wraps below zero, whatever order the updates of two tasks land in.
fn saturating_decrement(g: &AtomicU64) {
    let _ = g.fetch_update(Relaxed, Relaxed, |v| Some(v.saturating_sub(1)));
}

/// How a health check's TLS handshakes ended (a `tcp-check` may connect more than once), for the
/// `ssl_*` columns. A handshake that timed out is none of these, as in HAProxy.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Handshakes {
    pub full: u64,
    pub resumed: u64,
    pub failed: u64,
}

impl Counters {
    pub fn new() -> Counters {
        let c = Counters::default();
        c.last_sess.store(-1, Relaxed);
        c
    }

    /// A session starts on this object: current, max, total and rate move together.
    pub fn session_started(&self) {
        self.session_opened();
        self.session_counted();
    }

    /// A connection that holds a session slot (`scur`, `smax`) and may not become a session.
    pub fn session_opened(&self) {
        let now = self.scur.fetch_add(1, Relaxed) + 1;
        self.smax.fetch_max(now, Relaxed);
    }

    /// That connection became a session (`stot`, the session rate).
    pub fn session_counted(&self) {
        self.stot.fetch_add(1, Relaxed);
        self.rate.hit();
    }

    pub fn session_ended(&self) {
        self.scur.fetch_sub(1, Relaxed);
    }

    pub fn queued(&self) {
        let now = self.qcur.fetch_add(1, Relaxed) + 1;
        self.qmax.fetch_max(now, Relaxed);
    }

    pub fn dequeued(&self) {
        self.qcur.fetch_sub(1, Relaxed);
    }

    pub fn mark_last_session(&self) {
        self.last_sess.store(unix_now() as i64, Relaxed);
    }

    /// `lastsess`: seconds since the last session, -1 if never.
    pub fn lastsess(&self) -> i32 {
        let t = self.last_sess.load(Relaxed);
        if t < 0 {
            -1
        } else {
            (unix_now() as i64 - t).clamp(0, i32::MAX as i64) as i32
        }
    }

    pub fn load(v: &AtomicU64) -> u64 {
        v.load(Relaxed)
    }

    /// `clear counters`: maxima, and the stats modules' counters.
    pub fn clear_max(&self) {
        self.modules.clear();
        self.smax.store(self.scur.load(Relaxed), Relaxed);
        self.qmax.store(self.qcur.load(Relaxed), Relaxed);
        self.rate.clear_max();
        self.conn_rate.clear_max();
        self.req_rate.clear_max();
        if let Ok(mut t) = self.times.lock() {
            t.clear_max();
        }
    }

    /// `clear counters all`: every counter, as HAProxy (current gauges stay).
    pub fn clear_all(&self) {
        for c in [
            &self.stot,
            &self.bin,
            &self.bout,
            &self.econ,
            &self.eresp,
            &self.ereq,
            &self.wretr,
            &self.wredis,
            &self.lbtot,
            &self.cli_abrt,
            &self.srv_abrt,
            &self.connect,
            &self.conn_tot,
            &self.eint,
            &self.intercepted,
            &self.req_tot,
            &self.hrsp[0],
            &self.hrsp[1],
            &self.hrsp[2],
            &self.hrsp[3],
            &self.hrsp[4],
            &self.hrsp[5],
        ] {
            c.store(0, Relaxed);
        }
        self.last_sess.store(-1, Relaxed);
        self.clear_max();
        if let Ok(mut t) = self.times.lock() {
            *t = Timings::default();
        }
    }
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Events over the last second, HAProxy's `freq_ctr`: the current second's count plus the
/// previous second's count weighted by how much of it is still inside the sliding window.
#[derive(Debug)]
pub struct RateCounter {
    inner: Mutex<RateState>,
}

#[derive(Debug, Default)]
struct RateState {
    /// Start of the current one-second period, in ms since the process clock's origin.
    period_start_ms: u64,
    curr: u32,
    prev: u32,
    max: u32,
}

impl Default for RateCounter {
    fn default() -> Self {
        RateCounter {
            inner: Mutex::new(RateState::default()),
        }
    }
}

fn clock_ms() -> u64 {
    use std::sync::OnceLock;
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    ORIGIN.get_or_init(Instant::now).elapsed().as_millis() as u64
}

impl RateState {
    fn rotate(&mut self, now: u64) {
        let elapsed = now.saturating_sub(self.period_start_ms);
        if elapsed >= 2000 || self.curr == 0 && self.prev == 0 {
            // After a quiet spell (or at first) a period starts with its first event, as
            // HAProxy's counters restart: a burst then gets a whole period, whatever the
            // clock says.
            self.prev = 0;
            self.curr = 0;
            self.period_start_ms = now;
        } else if elapsed >= 1000 {
            self.prev = self.curr;
            self.curr = 0;
            self.period_start_ms += 1000;
        }
    }

    fn value(&self, now: u64) -> u32 {
        let into = now.saturating_sub(self.period_start_ms).min(1000);
        let prev_part = (self.prev as u64 * (1000 - into)) / 1000;
        self.curr + prev_part as u32
    }
}

impl RateCounter {
    pub fn hit(&self) {
        let now = clock_ms();
        if let Ok(mut s) = self.inner.lock() {
            s.rotate(now);
            s.curr = s.curr.saturating_add(1);
            let v = s.value(now);
            s.max = s.max.max(v);
        }
    }

    /// Current rate (events over the last second).
    pub fn get(&self) -> u32 {
        let now = clock_ms();
        match self.inner.lock() {
            Ok(mut s) => {
                s.rotate(now);
                s.value(now)
            }
            Err(_) => 0,
        }
    }

    pub fn max(&self) -> u32 {
        self.inner.lock().map(|s| s.max).unwrap_or(0)
    }

    /// How long until the rate is below `limit` (zero when it already is, or without a
    /// limit): HAProxy's `next_event_delay`, after which a rate-limited listener accepts again.
    pub fn wait_for_room(&self, limit: u32) -> Duration {
        if limit == 0 {
            return Duration::ZERO;
        }
        let now = clock_ms();
        let Ok(mut s) = self.inner.lock() else {
            return Duration::ZERO;
        };
        s.rotate(now);
        if s.value(now) < limit {
            return Duration::ZERO;
        }
        let into = now.saturating_sub(s.period_start_ms).min(999);
        let (curr, prev, limit) = (u64::from(s.curr), u64::from(s.prev), u64::from(limit));
        let ms = if curr < limit {
            // Within this period the previous one's share shrinks: curr + prev·(1000−x)/1000
            // falls below the limit once x passes this point (prev > 0, or the rate would be
            // below the limit already).
            let at = 1000 - ((limit - curr) * 1000) / prev.max(1);
            at.saturating_sub(into) + 1
        } else {
            // Only the next period helps, where this one's count is the share that shrinks.
            let at = 1000u64.saturating_sub(limit * 1000 / curr);
            (1000 - into) + at + 1
        };
        Duration::from_millis(ms)
    }

    fn clear_max(&self) {
        let now = clock_ms();
        if let Ok(mut s) = self.inner.lock() {
            s.rotate(now);
            s.max = s.value(now);
        }
    }
}

/// HAProxy's averages of queue/connect/total times, plus their maxima: the plain mean of the
/// first 512 sessions, then a sliding average over 512 (`swrate_add_dynamic` with a window of
/// 0 until then, as HAProxy 2.6.12 counts: 1, 2, 3 and 4 s give 2500 ms, not the 1875 a window
/// of min(sessions, 512) would).
#[derive(Debug, Default, Clone)]
pub struct Timings {
    samples: u64,
    q_sum: u64,
    c_sum: u64,
    t_sum: u64,
    pub qtime_max: u32,
    pub ctime_max: u32,
    pub ttime_max: u32,
}

const TIME_STATS_SAMPLES: u64 = 512;

/// With `n` 0 the sample is only added: the sum of the first samples, not yet sliding.
fn swrate_add(sum: &mut u64, n: u64, v: u64) {
    let decay = if n == 0 { 0 } else { (*sum).div_ceil(n) };
    *sum = *sum - decay + v;
}

fn swrate_avg(sum: u64, n: u64) -> u32 {
    sum.div_ceil(n).min(u32::MAX as u64) as u32
}

impl Timings {
    /// Record one finished session; times in ms.
    pub fn record(&mut self, qtime: u32, ctime: u32, ttime: u32) {
        self.samples += 1;
        let n = if self.samples > TIME_STATS_SAMPLES {
            TIME_STATS_SAMPLES
        } else {
            0
        };
        swrate_add(&mut self.q_sum, n, qtime as u64);
        swrate_add(&mut self.c_sum, n, ctime as u64);
        swrate_add(&mut self.t_sum, n, ttime as u64);
        self.qtime_max = self.qtime_max.max(qtime);
        self.ctime_max = self.ctime_max.max(ctime);
        self.ttime_max = self.ttime_max.max(ttime);
    }

    fn window(&self) -> u64 {
        self.samples.clamp(1, TIME_STATS_SAMPLES)
    }

    pub fn qtime(&self) -> u32 {
        swrate_avg(self.q_sum, self.window())
    }
    pub fn ctime(&self) -> u32 {
        swrate_avg(self.c_sum, self.window())
    }
    pub fn ttime(&self) -> u32 {
        swrate_avg(self.t_sum, self.window())
    }

    fn clear_max(&mut self) {
        self.qtime_max = 0;
        self.ctime_max = 0;
        self.ttime_max = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_follow_haproxy_swrate() {
        let mut t = Timings::default();
        t.record(0, 10, 100);
        assert_eq!((t.ctime(), t.ttime()), (10, 100));
        // The first sessions average plainly.
        let mut plain = Timings::default();
        for s in [1000, 2000, 3000, 4000] {
            plain.record(0, 0, s);
        }
        assert_eq!(plain.ttime(), 2500);
        // The sliding sum converges slowly, as HAProxy's does.
        for _ in 0..20_000 {
            t.record(0, 4, 50);
        }
        assert_eq!(t.ctime(), 4);
        assert_eq!(t.ttime(), 50);
        assert_eq!(t.ttime_max, 100);
    }

    #[test]
    fn rate_counts_events_in_the_last_second() {
        let r = RateCounter::default();
        for _ in 0..5 {
            r.hit();
        }
        assert!(r.get() >= 4 && r.get() <= 5);
        assert_eq!(r.max(), 5);
    }

    #[test]
    fn session_gauges_track_max() {
        let c = Counters::new();
        c.session_started();
        c.session_started();
        c.session_ended();
        assert_eq!(Counters::load(&c.scur), 1);
        assert_eq!(Counters::load(&c.smax), 2);
        assert_eq!(Counters::load(&c.stot), 2);
        assert_eq!(c.lastsess(), -1);
    }
}
