//! The stats socket as a test sees it: one-shot queries, `show stat` by header name, polling.
//!
//! Queries use std's `UnixStream` directly (not the workspace's client) so the tests check the
//! daemon against an independent reading of the protocol: write `cmd\n`, half-close, read to EOF.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

/// Bound on one socket query: the daemon answers in milliseconds; a stuck socket must fail the
/// test rather than hang it.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(5);
/// Bound on one answer: `show stat` of a test config is a few kilobytes.
const MAX_ANSWER: u64 = 16 * 1024 * 1024;

/// Sends `bytes` as they are, half-closes, and returns everything read until EOF.
pub fn query_raw(socket: &Path, bytes: &[u8]) -> io::Result<Vec<u8>> {
    let mut stream = UnixStream::connect(socket)?;
    stream.set_read_timeout(Some(QUERY_TIMEOUT))?;
    stream.set_write_timeout(Some(QUERY_TIMEOUT))?;
    stream.write_all(bytes)?;
    stream.shutdown(Shutdown::Write)?;
    let mut answer = Vec::new();
    stream.take(MAX_ANSWER).read_to_end(&mut answer)?;
    Ok(answer)
}

/// Sends `command` followed by `\n` and returns the answer as text (lossy UTF-8).
pub fn query(socket: &Path, command: &str) -> io::Result<String> {
    let answer = query_raw(socket, format!("{command}\n").as_bytes())?;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

/// `show stat` parsed by header name.
pub fn show_stat(socket: &Path) -> io::Result<StatTable> {
    let text = query(socket, "show stat")?;
    StatTable::parse(&text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// A parsed `show stat` answer: columns in header order, rows as name → value maps.
#[derive(Debug, Clone, Default)]
pub struct StatTable {
    pub columns: Vec<String>,
    pub rows: Vec<HashMap<String, String>>,
}

impl StatTable {
    /// Parses CSV with a `# ` header line. Rows end with a trailing comma, as HAProxy writes them;
    /// quoted values (`"a, ""b"""`) are unquoted. The final blank line is ignored.
    pub fn parse(text: &str) -> Result<StatTable, String> {
        let mut lines = text.lines().filter(|l| !l.is_empty());
        let header = lines
            .next()
            .ok_or("empty answer, expected a `# pxname,...` header")?;
        let header = header
            .strip_prefix("# ")
            .ok_or_else(|| format!("header does not start with `# `: {header:?}"))?;
        let mut columns = split_csv(header);
        if columns.last().is_some_and(|c| c.is_empty()) {
            columns.pop();
        }
        let mut rows = Vec::new();
        for line in lines {
            let values = split_csv(line);
            if values.len() < columns.len() {
                return Err(format!(
                    "row has {} values for {} columns: {line:?}",
                    values.len(),
                    columns.len()
                ));
            }
            rows.push(columns.iter().cloned().zip(values).collect());
        }
        Ok(StatTable { columns, rows })
    }

    /// The row of `pxname`/`svname` (`FRONTEND`, `BACKEND` or a server name).
    pub fn row(&self, pxname: &str, svname: &str) -> Option<&HashMap<String, String>> {
        self.rows.iter().find(|r| {
            r.get("pxname").map(String::as_str) == Some(pxname)
                && r.get("svname").map(String::as_str) == Some(svname)
        })
    }

    /// One value, e.g. `get("be", "srv1", "check_status")`.
    pub fn get(&self, pxname: &str, svname: &str, column: &str) -> Option<&str> {
        self.row(pxname, svname)?.get(column).map(String::as_str)
    }
}

/// Splits one CSV line; `"` quoting with doubled inner quotes.
fn split_csv(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (',', false) => fields.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// Polls `condition` every 20 ms until it holds (`true`) or `timeout` passes (`false`).
pub fn wait_for(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// The monitoring one-liner, run by `sh` exactly as an operator types it:
/// `echo 'show stat' | nc -U SOCK | awk -F, '/backend[1-2]/ {print $2,$18,$37}'`
/// ($2 svname, $18 status, $37 check_status). Returns stdout; fails if the pipeline fails.
pub fn monitoring_pipeline(socket: &Path) -> io::Result<String> {
    let script = format!(
        "echo 'show stat' | nc -U {} | awk -F, '/backend[1-2]/ {{print $2,$18,$37}}'",
        shell_quote(&socket.to_string_lossy())
    );
    let output = Command::new("sh").arg("-c").arg(&script).output()?;
    if !output.status.success() {
        return Err(io::Error::other(format!(
            "`{script}` exited with {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Single-quotes `s` for `sh`.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_table_reads_values_by_header_name_and_unquotes() {
        let text = "# pxname,svname,status,last_chk,\nbe,s1,UP,\"Bad, \"\"quoted\"\"\",\nbe,BACKEND,UP,,\n\n";
        let table = StatTable::parse(text).unwrap();
        assert_eq!(table.columns, ["pxname", "svname", "status", "last_chk"]);
        assert_eq!(table.get("be", "s1", "last_chk"), Some("Bad, \"quoted\""));
        assert_eq!(table.get("be", "BACKEND", "status"), Some("UP"));
        assert_eq!(table.rows.len(), 2);
    }

    #[test]
    fn stat_table_rejects_an_answer_without_header() {
        assert!(StatTable::parse("Unknown command.\n\n").is_err());
    }
}
