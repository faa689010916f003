//! HAProxy's runtime API (the stats socket protocol) as data, shared by `proxyd` and `haproxyctl`.
//!
//! - [`fields`]: the `show stat` column table (position, name, row kinds, typed tags).
//! - [`info`]: the `show info` key table.
//! - [`status`]: check status codes (`L4OK` … `L7STS`) and their descriptions.
//! - [`level`]: socket access levels.
//! - [`csv`]: writing `show stat` byte for byte and reading it back by header name.
//! - [`client`]: a blocking client for Unix or TCP stats sockets, with timeouts.
//!
//! No async runtime and no server code live here.

pub mod level;
pub mod status;
