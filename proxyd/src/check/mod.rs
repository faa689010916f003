//! Health checks: one probe per call, the pure state machine that turns results into UP/DOWN
//! decisions, and the scheduler that runs probes and feeds results to the model.
//!
//! - `probe`  [`run_check`]: connect → TLS → HTTP with HAProxy 2.6's deadlines → [`CheckOutcome`]
//! - `tcp`    the connect and errno texts (`L4OK`, `L4CON`, `L4TOUT`, `SOCKERR`)
//! - `tls`    [`tls_client_config`] (`verify none|required`, `check-sni`) and handshake failures (`L6*`)
//! - `http`   request/response and `http-check expect` rules (`L7*`)
//! - `tcpcheck` `option tcp-check`: the backend's connect/send/expect rules, step by step, and
//!   the protocol checks built from such rules (redis, smtp, pgsql, mysql, ldap, ssl-hello)
//! - `state`  [`Health`]: rise/fall counter, transitions, `status` column text, next interval
//! - `scheduler` one task per checked server: when checks run, where results go
//! - `log`    the state-change and `option log-health-checks` lines, worded as HAProxy's

mod http;
pub mod log;
mod probe;
pub mod scheduler;
pub mod state;
mod tcp;
mod tcpcheck;
mod tls;

pub use http::{judge_response, NO_BODY, NO_MATCH, RESPONSE_LIMIT, UNWANTED_MATCH};
pub use probe::{run_check, run_check_in_state, run_check_metered, CheckIo, CheckOutcome};
pub use state::{Admin, ForcedHealth, Health, OpState, Step, Transition};
pub use tls::{tls_client_config, HANDSHAKE_FAILURE, HOST_MISMATCH, NAME_MISMATCH};

#[cfg(test)]
mod tests;
