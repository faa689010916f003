//! HAProxy's runtime API (the stats socket protocol) as data, shared by `proxyd` and `haproxyctl`.
//!
//! - [`fields`]: the `show stat` column table (position, name, row kinds, typed tags).
//! - [`info`]: the `show info` key table.
//! - [`row`]: one stat row with "empty" as a real value.
//! - [`csv`]: `show stat` rendered as CSV, typed and JSON, byte for byte.
//! - [`status`]: check status codes (`L4OK` … `L7STS`) and their descriptions.
//! - [`level`]: socket access levels.
//! - [`stat_table`]: reading `show stat` (and `show info`, `show servers state`) by header name.
//! - [`client`]: a blocking client for Unix or TCP stats sockets, with timeouts.
//! - [`answer`]: HAProxy's error answers (`No such server.`, `Unknown command`…) told from results.
//!
//! No async runtime and no server code live here.

pub mod answer;
pub mod client;
pub mod csv;
pub mod fields;
pub mod info;
pub mod level;
pub mod row;
pub mod stat_table;
pub mod status;
