//! Rate limits, on HAProxy 2.6 and proxyd alike: a frontend's `rate-limit sessions`, the
//! process's `maxconnrate` / `maxsessrate` hold the next clients in the kernel's backlog until
//! the rate allows them; `set rate-limit` answers and changes the process limits; `show info`
//! and `show stat` report them.
//!
//! Bounds, not exact timings: a loaded machine only delays connections, so "at most the limit
//! (plus the one that lands at a period's edge) within the first half second" and "the whole
//! burst takes longer than the limit allows" hold on any machine, and fail without the limit.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use e2e::backends::Backend;
use e2e::config::{BackendSection, Config};
use e2e::daemon::Daemon;
use e2e::differential::{assert_same_as_haproxy, on_both};
use e2e::ports;

const BURST: usize = 30;
const LIMIT: usize = 10;

/// Opens `n` connections at once through `addr`, each sending a line and reading it back;
/// returns how long each took to be served, sorted.
fn burst(daemon: &Daemon, addr: SocketAddr, n: usize) -> Vec<Duration> {
    let start = Instant::now();
    let served = Arc::new(Mutex::new(Vec::new()));
    let clients: Vec<_> = (0..n)
        .map(|_| {
            let served = Arc::clone(&served);
            thread::spawn(move || -> std::io::Result<()> {
                let mut s = TcpStream::connect(addr)?;
                s.set_read_timeout(Some(Duration::from_secs(20)))?;
                s.write_all(b"x\n")?;
                let mut buf = [0u8; 2];
                s.read_exact(&mut buf)?;
                if let Ok(mut v) = served.lock() {
                    v.push(start.elapsed());
                }
                Ok(())
            })
        })
        .collect();
    for c in clients {
        match c.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => daemon.fail(&format!("a client of the burst failed: {e}")),
            Err(_) => daemon.fail("a client thread panicked"),
        }
    }
    let mut times = served.lock().map(|v| v.clone()).unwrap_or_default();
    times.sort();
    times
}

fn within(times: &[Duration], ms: u64) -> usize {
    times
        .iter()
        .filter(|t| **t < Duration::from_millis(ms))
        .count()
}

/// Asserts the shape a limit of [`LIMIT`] per second gives a burst of [`BURST`]: at most
/// `early_max` served within the first 500 ms, and about 2 s for all of them (without a limit
/// all are served within milliseconds).
fn assert_paced(daemon: &Daemon, what: &str, times: &[Duration], early_max: usize) {
    let early = within(times, 500);
    let last = times.last().copied().unwrap_or_default();
    if early > early_max || last < Duration::from_millis(1500) {
        daemon.fail(&format!(
            "{what}: {early} of {BURST} served within 500 ms, the last after {last:?}; a limit of {LIMIT}/s allows at most {early_max} at first and needs ~2 s for all"
        ));
    }
}

/// A burst on a quiet counter opens a period of its own: the limit, and one more at its edge.
const FRESH: usize = LIMIT + 1;
/// A burst that starts within a period another one opened gets the rest of that period and
/// the next one's first half.
const MID_PERIOD: usize = 2 * LIMIT;

/// One thread: HAProxy's threads each take up to the remaining allowance when a burst wakes
/// them together, so with two a first burst may get twice the limit through.
fn config(echo: &Backend, limited: SocketAddr, free: SocketAddr, global: &[&str]) -> Config {
    let mut cfg = Config::new().global("nbthread 1");
    for g in global {
        cfg = cfg.global(*g);
    }
    cfg.section(format!(
        "frontend limited\n    bind {limited}\n    rate-limit sessions {LIMIT}\n    default_backend be\n"
    ))
    .frontend("free", free, "be")
    .backend(BackendSection::new("be").server("s", echo.addr(), ""))
}

#[test]
fn a_frontend_rate_limit_holds_clients_back_as_haproxy() {
    let echo = Backend::echo();
    let seen = on_both(|under| {
        let (limited, free) = (ports::free_addr(), ports::free_addr());
        let daemon = under.start(config(&echo, limited, free, &[]))?;
        let rate_lim = (
            daemon.stat("limited", "FRONTEND", "rate_lim"),
            daemon.stat("free", "FRONTEND", "rate_lim"),
        );
        let times = burst(&daemon, limited, BURST);
        assert_paced(
            &daemon,
            &format!("{under:?} rate-limit sessions"),
            &times,
            FRESH,
        );
        // The other frontend is not held back by this one's limit.
        let times = burst(&daemon, free, BURST);
        if within(&times, 1000) < BURST {
            daemon.fail(&format!(
                "{under:?}: a frontend without a limit served {} of {BURST} within 1 s",
                within(&times, 1000)
            ));
        }
        Some(rate_lim)
    });
    assert_same_as_haproxy("rate_lim of a limited and a free frontend", &seen);
    assert!(seen
        .iter()
        .any(|(_, v)| *v == ("10".to_string(), "0".to_string())));
}

/// The answers of `set rate-limit` and what `show info` reports before and after.
#[test]
fn set_rate_limit_answers_and_applies_as_haproxy() {
    let echo = Backend::echo();
    let seen = on_both(|under| {
        let (limited, free) = (ports::free_addr(), ports::free_addr());
        let daemon = under.start(config(
            &echo,
            limited,
            free,
            &["maxconnrate 5000", "maxsessrate 4000", "maxsslrate 300"],
        ))?;
        let limits = |d: &Daemon| -> Vec<String> {
            d.query("show info")
                .lines()
                .filter(|l| l.contains("RateLimit") || l.starts_with("CompressBpsRateLim"))
                .map(str::to_string)
                .collect()
        };
        let mut transcript = limits(&daemon);
        for cmd in [
            "set rate-limit",
            "set rate-limit connections",
            "set rate-limit connections frontend 5",
            "set rate-limit connections global",
            "set rate-limit connections global -1",
            "set rate-limit connections global 99999999999",
            "set rate-limit ssl-sessions global x",
            "set rate-limit http-compression global 5",
            "set rate-limit sessions global 0",
            "set rate-limit connections global 10",
        ] {
            transcript.push(format!("> {cmd}"));
            transcript.push(daemon.query(cmd));
        }
        transcript.extend(limits(&daemon));
        // The lowered process limit now holds back the frontend that has none of its own.
        let times = burst(&daemon, free, BURST);
        assert_paced(
            &daemon,
            &format!("{under:?} set rate-limit connections"),
            &times,
            FRESH,
        );
        daemon.query("set rate-limit connections global 0");
        daemon.query(&format!("set rate-limit sessions global {LIMIT}"));
        let times = burst(&daemon, free, BURST);
        assert_paced(
            &daemon,
            &format!("{under:?} set rate-limit sessions"),
            &times,
            MID_PERIOD,
        );
        Some(transcript)
    });
    assert_same_as_haproxy("show info limits and set rate-limit answers", &seen);
    let (_, proxyd) = seen.last().expect("proxyd ran");
    assert!(
        proxyd.contains(&"ConnRateLimit: 5000".to_string()),
        "{proxyd:?}"
    );
    assert!(
        proxyd.contains(&"ConnRateLimit: 10".to_string()),
        "{proxyd:?}"
    );
}
