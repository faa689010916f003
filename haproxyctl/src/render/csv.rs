//! CSV out: HAProxy's column names (without the `# `), an `instance` column first when several
//! sockets are queried.

use crate::error::CtlError;

/// Writes a header and rows; values are quoted only when needed, like HAProxy does.
pub fn write(header: &[String], rows: &[Vec<String>]) -> Result<String, CtlError> {
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::Any(b'\n'))
        .flexible(true)
        .from_writer(Vec::new());
    let io = |e: ::csv::Error| CtlError::Output(std::io::Error::other(e));
    w.write_record(header).map_err(io)?;
    for r in rows {
        w.write_record(r).map_err(io)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| CtlError::Output(std::io::Error::other(e.to_string())))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
