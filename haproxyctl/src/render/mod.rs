//! Output: tables, colours, JSON, CSV and human units. Pure functions from rows to text; writing to
//! stdout goes through [`emit`] so a closed pipe is recognised everywhere.

pub mod colour;
pub mod csv;
pub mod human;
pub mod json;
pub mod table;

use std::io::Write;

use crate::error::CtlError;

/// Writes to stdout; a reader that went away (`| head`) becomes [`CtlError::BrokenPipe`].
pub fn emit(text: &str) -> Result<(), CtlError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(CtlError::from_output)
}
