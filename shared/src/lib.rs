//! HAProxy's runtime API (the stats socket protocol) as data, shared by `proxyd` and `haproxyctl`.
//!
//! - [`fields`]: the `show stat` column table (position, name, row kinds, typed tags).
//! - [`info`]: the `show info` key table.
//! - [`row`]: one stat row with "empty" as a real value.
//! - [`csv`]: `show stat` rendered as CSV, typed and JSON, byte for byte.
//! - [`status`]: check status codes (`L4OK` … `L7STS`) and their descriptions.
//! - [`level`]: socket access levels.
//!
//! No async runtime and no server code live here.

pub mod csv;
pub mod fields;
pub mod info;
pub mod level;
pub mod row;
pub mod status;
