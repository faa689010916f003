//! `show stat` latency and size, proxyd side by side with HAProxy, on the same generated
//! configuration with 10, 1,000 and 10,000 servers (no health checks).
//!
//! ```sh
//! cargo run --release -p e2e --example show_stat_bench [-- ROUNDS]
//! ```
//!
//! Each figure is the median of ROUNDS (default 21) complete exchanges: connect, send
//! `show stat`, read to the end. Servers are spread over backends of 100, each behind a frontend.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use e2e::config::Config;
use e2e::daemon::Daemon;
use e2e::ports;
use e2e::socket;

const SIZES: [usize; 3] = [10, 1_000, 10_000];
const PER_BACKEND: usize = 100;

fn config(servers: usize) -> Config {
    let target = ports::closed_addr();
    let mut cfg = Config::new();
    let backends = servers.div_ceil(PER_BACKEND);
    for b in 0..backends {
        let mut text = format!(
            "frontend fe{b}\n    bind {}\n    default_backend be{b}\n\nbackend be{b}\n",
            ports::free_addr()
        );
        let count = PER_BACKEND.min(servers - b * PER_BACKEND);
        for s in 0..count {
            let _ = writeln!(text, "    server s{s} {target}");
        }
        cfg = cfg.section(text);
    }
    cfg
}

/// Median latency and answer size of `show stat` on the daemon's socket.
fn measure(d: &Daemon, rounds: usize) -> (Duration, usize) {
    let sock = d.socket();
    let mut times = Vec::with_capacity(rounds);
    let mut size = 0;
    for _ in 0..rounds {
        let started = Instant::now();
        let answer = socket::query_raw(&sock, b"show stat\n")
            .unwrap_or_else(|e| d.fail(&format!("show stat: {e}")));
        times.push(started.elapsed());
        size = answer.len();
    }
    times.sort();
    (times[times.len() / 2], size)
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(21);
    println!("show stat, median of {rounds} exchanges (connect, command, read to EOF)");
    println!(
        "{:>8}  {:>12} {:>12}  {:>12} {:>12}",
        "servers", "HAProxy", "bytes", "proxyd", "bytes"
    );
    for servers in SIZES {
        let haproxy = Daemon::haproxy(config(servers)).map(|d| {
            let m = measure(&d, rounds);
            drop(d);
            m
        });
        let proxyd = {
            let d = Daemon::proxyd(config(servers));
            measure(&d, rounds)
        };
        let (h_time, h_size) = match haproxy {
            Some((t, s)) => (format!("{:.2} ms", t.as_secs_f64() * 1e3), s.to_string()),
            None => ("-".to_string(), "-".to_string()),
        };
        println!(
            "{servers:>8}  {h_time:>12} {h_size:>12}  {:>12} {:>12}",
            format!("{:.2} ms", proxyd.0.as_secs_f64() * 1e3),
            proxyd.1
        );
    }
}
