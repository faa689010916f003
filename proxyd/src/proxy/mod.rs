//! The TCP data path.
//!
//! - [`listener`]: bound sockets and their `bind` options, accept loops, maxconn
//!   back-pressure, reload hand-over.
//! - [`proxy_protocol`]: the PROXY header an `accept-proxy` bind reads before the session.
//! - [`balance`]: server selection per algorithm, as HAProxy's trees, maps and ring choose.
//! - [`queue`]: server slots (`maxconn`), the backend's queue and the servers' own.
//! - [`session`]: one connection: assign, connect with retries/redispatch, log.
//! - [`forward`]: bytes both ways with half-close and inactivity timeouts.
//!
//! This module only writes counters; it never renders stats.

pub mod balance;
pub mod forward;
pub mod listener;
pub mod proxy_protocol;
pub mod queue;
pub mod session;
