//! One health check from connect to verdict: TCP, then TLS (`check-ssl`), then HTTP
//! (`option httpchk`), each failure mapped to HAProxy's status and `last_chk` text.
//!
//! Deadlines follow HAProxy 2.6 (`process_chk_conn`): the whole check gets `inter`; when
//! `timeout check` is set, connect and TLS handshake get min(`timeout connect`, `inter`) and the
//! HTTP exchange gets `timeout check` from the moment the connection is ready.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use runtime_api::status::CheckStatus;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;

use super::http;
use super::tcp::{self, ConnectError};
use super::tcpcheck;
use super::tls::{self, HandshakeError};
use crate::config::{CheckSpec, HttpCheck};
use crate::counted_io::{Counted, Sent};
use crate::model::counters::Handshakes;

/// What one check found. Rendered into the `check_status`, `check_code`, `check_duration`,
/// `last_chk` columns and the state-change log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutcome {
    pub status: CheckStatus,
    /// The HTTP status; only for L7OK, L7OKC and L7STS.
    pub code: Option<u16>,
    /// HAProxy's `last_chk` text, byte for byte (empty for successes and timeouts).
    pub info: String,
    /// A plain-words reason when `info` is terse (TLS failures), for logs and `haproxyctl`.
    pub detail: Option<String>,
    /// From the start of the check to its verdict; HAProxy shows it in whole milliseconds.
    pub duration: Duration,
}

impl CheckOutcome {
    /// `check_duration` in milliseconds, as HAProxy prints it.
    pub fn duration_ms(&self) -> u128 {
        self.duration.as_millis()
    }
}

/// What a check moved that HAProxy's stats modules count: its TLS handshake (`ssl_*` columns of
/// the server and its backend) and the clear-text bytes of an HTTP check (`h1_*` of the backend).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CheckIo {
    pub tls: Handshakes,
    pub h1_read: u64,
    pub h1_written: u64,
}

/// Runs one check of a server that is not DOWN. See [`run_check_in_state`].
pub async fn run_check(spec: &CheckSpec, tls: Option<&Arc<rustls::ClientConfig>>) -> CheckOutcome {
    run_check_in_state(spec, spec.target, tls, true).await
}

/// Runs one check. `server_running` is false while the server is DOWN: `disable-on-404` then
/// does not apply and a 404 stays a wrong status, so a server cannot come back as NOLB.
/// `tls` must be the configuration from [`tls::tls_client_config`] when `spec.tls` is set; a
/// missing one is reported as a socket error rather than silently checking in clear text.
pub async fn run_check_in_state(
    spec: &CheckSpec,
    target: SocketAddr,
    tls: Option<&Arc<rustls::ClientConfig>>,
    server_running: bool,
) -> CheckOutcome {
    run_check_metered(spec, target, tls, server_running, &mut CheckIo::default()).await
}

/// [`run_check_in_state`], recording in `io` what the stats modules count.
pub async fn run_check_metered(
    spec: &CheckSpec,
    target: SocketAddr,
    tls: Option<&Arc<rustls::ClientConfig>>,
    server_running: bool,
    io: &mut CheckIo,
) -> CheckOutcome {
    let start = Instant::now();
    let finish = |status, code, info: String, detail| CheckOutcome {
        status,
        code: if status.has_code() { code } else { None },
        info,
        detail,
        duration: start.elapsed(),
    };

    if let Some(rules) = &spec.tcp {
        let v = tcpcheck::run(
            spec,
            rules,
            target,
            tcpcheck::TlsClient {
                config: tls,
                handshakes: &mut io.tls,
            },
        )
        .await;
        return finish(v.status, v.code, v.info, v.detail);
    }
    let check_timeout = spec.timeout_check.filter(|t| !t.is_zero());
    let whole = start + spec.inter;
    let connect_deadline = match (check_timeout, spec.timeout_connect.filter(|t| !t.is_zero())) {
        (Some(_), Some(connect)) => start + connect.min(spec.inter),
        _ => whole,
    };

    let tcp = match tcp::connect(target, connect_deadline).await {
        Ok(stream) => Sent(stream),
        Err(ConnectError::Timeout) => {
            return finish(CheckStatus::L4Tout, None, String::new(), None)
        }
        Err(ConnectError::Refused(e)) => {
            return finish(CheckStatus::L4Con, None, tcp::strerror(&e), None)
        }
        Err(ConnectError::Socket(e)) => {
            let detail = Some(format!("local socket for {target}: {e}"));
            return finish(CheckStatus::SockErr, None, tcp::strerror(&e), detail);
        }
    };

    let Some(tls_spec) = &spec.tls else {
        let Some(http_check) = &spec.http else {
            return finish(CheckStatus::L4Ok, None, String::new(), None);
        };
        let mut tcp = tcp;
        let deadline = read_deadline(check_timeout, whole);
        let v = counted_exchange(&mut tcp, http_check, server_running, deadline, io).await;
        return finish(v.status, v.code, v.info, None);
    };

    let Some(config) = tls else {
        let detail = Some("check-ssl is set but no TLS client configuration was built".to_string());
        return finish(CheckStatus::SockErr, None, String::new(), detail);
    };
    let name = match tls::server_name(tls_spec.sni.as_deref(), target) {
        Ok(name) => name,
        Err(e) => return finish(CheckStatus::SockErr, None, String::new(), Some(e)),
    };
    let mut stream =
        match tls::handshake(tcp, Arc::clone(config), name, connect_deadline, &mut io.tls).await {
            Ok(stream) => stream,
            Err(HandshakeError::Timeout) => {
                return finish(CheckStatus::L6Tout, None, String::new(), None)
            }
            Err(HandshakeError::Failed { info, detail }) => {
                return finish(CheckStatus::L6Rsp, None, info.to_string(), Some(detail))
            }
        };
    let Some(http_check) = &spec.http else {
        return finish(CheckStatus::L6Ok, None, String::new(), None);
    };
    let deadline = read_deadline(check_timeout, whole);
    let v = counted_exchange(&mut stream, http_check, server_running, deadline, io).await;
    finish(v.status, v.code, v.info, None)
}

async fn counted_exchange<S>(
    stream: &mut S,
    check: &HttpCheck,
    server_running: bool,
    deadline: Instant,
    io: &mut CheckIo,
) -> http::Verdict
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut counted = Counted::new(stream);
    let v = http::exchange(&mut counted, check, server_running, deadline).await;
    io.h1_read += counted.read;
    io.h1_written += counted.written;
    v
}

/// `timeout check` counts from the moment the connection (and TLS) is ready; without it the
/// check's `inter` budget keeps running.
fn read_deadline(check_timeout: Option<Duration>, whole: Instant) -> Instant {
    match check_timeout {
        Some(t) => Instant::now() + t,
        None => whole,
    }
}
