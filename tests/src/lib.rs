//! Support for end-to-end tests: real binaries, real listeners, real sockets.
//!
//! - [`bins`]: builds `proxyd` and `haproxyctl` once per test run; finds the real `haproxy`.
//! - [`ports`]: free loopback ports, never handed out twice within one test process.
//! - [`certs`]: a throw-away PKI (two unrelated CAs, server certificates) and rustls configs.
//! - [`backends`]: listeners the daemon forwards to or health-checks (echo, banner, HTTP(S) with a
//!   switchable status, garbage, silent, TLS-silent, closed port), each counting what it saw.
//! - [`client`]: TLS and TCP clients that send traffic through the daemon.
//! - [`config`]: HAProxy configuration text built from those backends.
//! - [`daemon`]: runs `proxyd` or `haproxy` in the foreground on a config and reports loudly on
//!   failure (config, command, stderr, socket transcript).
//! - [`differential`]: a scenario run on HAProxy, then proxyd, and the comparison.
//! - [`faults`]: a killable echo server recording accept times, byte-checked clients, and
//!   `/proc` figures (fds, RSS, CPU time) of the daemon under test.
//! - [`socket`]: one-shot stats socket queries, `show stat` parsed by header name, polling with a
//!   deadline, and the `echo 'show stat' | nc -U | awk` monitoring pipeline.
//! - [`syslog`]: a UDP syslog server; the lines a daemon logged, priority and tag kept.
//! - [`topology`]: the stats-socket reference topology, identical for proxyd and HAProxy.
//! - [`scenario`]: whole scenarios (config + backends + assertions) run against either daemon.
//! - [`traffic`]: tagged servers, held connections, verifiable large streams, scripted backends.
//! - [`background`]: `proxyd -D -p PIDFILE`, found through its pid file.
//!
//! Nothing here depends on proxyd's code: a test exercises whatever binary it is given, so each
//! scenario can run against real HAProxy to show it describes HAProxy's behaviour.

pub mod backends;
pub mod background;
pub mod bins;
pub mod certs;
pub mod client;
pub mod config;
pub mod daemon;
pub mod differential;
pub mod faults;
pub mod ports;
pub mod scenario;
pub mod socket;
pub mod syslog;
pub mod topology;
pub mod traffic;
