//! Reading the socket's tabular answers by column name: `show stat` (CSV), `show info`
//! (`Key: value`) and `show servers state` (space separated).
//!
//! Columns are found through the header, never by position, so older HAProxy versions (fewer
//! columns), newer ones (more columns, module columns after `-`) and proxyd all read the same.
//! Every column is kept in order so JSON output can carry fields this code does not know.

use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The answer is not a table; HAProxy answered with a message instead (kept verbatim).
    #[error("{0}")]
    NotATable(String),
    #[error("line {line}: unterminated quoted value")]
    UnterminatedQuote { line: usize },
}

/// Column names of one answer, shared by all its rows.
#[derive(Debug)]
struct Header {
    names: Vec<String>,
    index: HashMap<String, usize>,
}

impl Header {
    fn new(names: Vec<String>) -> Arc<Header> {
        let mut index = HashMap::with_capacity(names.len());
        for (i, n) in names.iter().enumerate() {
            // First occurrence wins, should a module ever repeat a name.
            index.entry(n.clone()).or_insert(i);
        }
        Arc::new(Header { names, index })
    }
}

/// What a `show stat` row describes: the same kinds the writer uses.
pub use crate::row::RowKind;

/// One row of named values. `get` tells a missing column (`None`) from an empty value (`Some("")`).
#[derive(Debug, Clone)]
pub struct StatRow {
    header: Arc<Header>,
    values: Vec<String>,
}

/// The separator HAProxy prints between static and module columns; it names no field.
pub const SEPARATOR_COLUMN: &str = "-";

impl StatRow {
    pub fn get(&self, name: &str) -> Option<&str> {
        let i = *self.header.index.get(name)?;
        self.values.get(i).map(String::as_str)
    }

    /// The value as a number; `None` when absent, empty or not a number.
    pub fn u64(&self, name: &str) -> Option<u64> {
        self.get(name)?.parse().ok()
    }

    /// Signed, for columns that use -1 as "never" (`lastsess`).
    pub fn i64(&self, name: &str) -> Option<i64> {
        self.get(name)?.parse().ok()
    }

    /// The value, or "" when the column is absent.
    pub fn str(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }

    pub fn pxname(&self) -> &str {
        self.str("pxname")
    }

    pub fn svname(&self) -> &str {
        self.str("svname")
    }

    /// From `type`; rows from sources without it fall back to the FRONTEND/BACKEND names.
    pub fn kind(&self) -> Option<RowKind> {
        if let Some(k) = self.get("type").and_then(RowKind::from_type_column) {
            return Some(k);
        }
        match self.svname() {
            "FRONTEND" => Some(RowKind::Frontend),
            "BACKEND" => Some(RowKind::Backend),
            "" => None,
            _ => Some(RowKind::Server),
        }
    }

    /// Every `(column, value)` in header order, the `-` separator left out.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.header
            .names
            .iter()
            .zip(self.values.iter())
            .filter(|(n, _)| n.as_str() != SEPARATOR_COLUMN)
            .map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Raw values in header order (the `-` separator included), for re-emitting CSV.
    pub fn values(&self) -> &[String] {
        &self.values
    }
}

/// A parsed `show stat` answer.
#[derive(Debug, Clone)]
pub struct StatTable {
    header: Arc<Header>,
    pub rows: Vec<StatRow>,
}

impl StatTable {
    /// Parses `show stat` CSV. The header must start with `# `; an answer that does not is an
    /// error message from the server and is returned as [`ParseError::NotATable`].
    pub fn parse(text: &str) -> Result<StatTable, ParseError> {
        let body = text.trim_start_matches(['\n', '\r']);
        let Some(rest) = body.strip_prefix("# ") else {
            return Err(ParseError::NotATable(text.trim().to_string()));
        };
        let mut records = parse_csv(rest)?.into_iter();
        let names = records.next().unwrap_or_default();
        let header = Header::new(names);
        let rows = records
            .filter(|r| !(r.len() == 1 && r[0].is_empty()))
            .map(|values| StatRow {
                header: Arc::clone(&header),
                values,
            })
            .collect();
        Ok(StatTable { header, rows })
    }

    /// Column names in order, the `-` separator included.
    pub fn columns(&self) -> &[String] {
        &self.header.names
    }

    pub fn has_column(&self, name: &str) -> bool {
        self.header.index.contains_key(name)
    }
}

/// Splits CSV into records: quoted values may hold `,`, `""` and newlines; the trailing comma
/// HAProxy puts after each value does not make an extra empty field.
fn parse_csv(text: &str) -> Result<Vec<Vec<String>>, ParseError> {
    let mut records = Vec::new();
    let mut record: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    // Whether the current record has a comma after its last field, i.e. the next field is real.
    let mut pending_field = false;
    let mut line = 1;
    let mut chars = text.chars().peekable();
    let end_record = |record: &mut Vec<String>, field: &mut String, pending: bool| {
        if !field.is_empty() || pending {
            record.push(std::mem::take(field));
        }
        std::mem::take(record)
    };
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' => {
                in_quotes = true;
                pending_field = true;
            }
            ',' => {
                record.push(std::mem::take(&mut field));
                pending_field = false;
            }
            '\r' => {}
            '\n' => {
                line += 1;
                let r = end_record(&mut record, &mut field, pending_field);
                pending_field = false;
                records.push(r);
            }
            _ => {
                field.push(c);
                pending_field = true;
            }
        }
    }
    if in_quotes {
        return Err(ParseError::UnterminatedQuote { line });
    }
    let r = end_record(&mut record, &mut field, pending_field);
    if !r.is_empty() {
        records.push(r);
    }
    // Blank lines (HAProxy's end-of-answer line) are empty records; drop them.
    records.retain(|r| !r.is_empty());
    Ok(records)
}

/// A parsed `show info` answer: `Key: value` lines in order.
#[derive(Debug, Clone, Default)]
pub struct Info {
    pub entries: Vec<(String, String)>,
}

impl Info {
    /// Keys may contain spaces (`Unstoppable Jobs`); the first `: ` splits key from value.
    pub fn parse(text: &str) -> Result<Info, ParseError> {
        let mut entries = Vec::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let Some((k, v)) = line.split_once(':') else {
                return Err(ParseError::NotATable(text.trim().to_string()));
            };
            entries.push((k.to_string(), v.strip_prefix(' ').unwrap_or(v).to_string()));
        }
        if entries.is_empty() {
            return Err(ParseError::NotATable(text.trim().to_string()));
        }
        Ok(Info { entries })
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// A parsed `show servers state` answer (format version line, `# ` header, space-separated rows).
/// Rows reuse [`StatRow`]; `-` stays `-` as HAProxy prints it for empty strings.
#[derive(Debug, Clone)]
pub struct ServersState {
    pub version: String,
    header: Arc<Header>,
    pub rows: Vec<StatRow>,
}

impl ServersState {
    pub fn parse(text: &str) -> Result<ServersState, ParseError> {
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let not_table = || ParseError::NotATable(text.trim().to_string());
        let version = lines.next().ok_or_else(not_table)?.trim().to_string();
        if version.parse::<u32>().is_err() {
            return Err(not_table());
        }
        let names = lines
            .next()
            .and_then(|l| l.strip_prefix("# "))
            .ok_or_else(not_table)?
            .split_whitespace()
            .map(str::to_string)
            .collect();
        let header = Header::new(names);
        let rows = lines
            .map(|l| StatRow {
                header: Arc::clone(&header),
                values: l.split_whitespace().map(str::to_string).collect(),
            })
            .collect();
        Ok(ServersState {
            version,
            header,
            rows,
        })
    }

    pub fn columns(&self) -> &[String] {
        &self.header.names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "# pxname,svname,scur,status,type,-,ssl_sess,\n\
        fe,FRONTEND,3,OPEN,0,-,0,\n\
        be,web1,1,UP 2/3,2,-,,\n\
        be,BACKEND,1,UP,1,-,5,\n\n";

    #[test]
    fn columns_are_found_by_name_and_empty_differs_from_absent() {
        let t = StatTable::parse(SMALL).unwrap();
        assert_eq!(t.rows.len(), 3);
        let web1 = &t.rows[1];
        assert_eq!(web1.get("status"), Some("UP 2/3"));
        assert_eq!(web1.get("ssl_sess"), Some(""));
        assert_eq!(web1.get("qcur"), None);
        assert_eq!(web1.u64("scur"), Some(1));
        assert_eq!(web1.kind(), Some(RowKind::Server));
        assert_eq!(t.rows[2].kind(), Some(RowKind::Backend));
        let names: Vec<_> = web1.fields().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            ["pxname", "svname", "scur", "status", "type", "ssl_sess"]
        );
    }

    #[test]
    fn quoted_values_keep_commas_quotes_and_newlines() {
        let t = StatTable::parse(
            "# pxname,svname,last_chk,type,\nbe,s,\"Bad, \"\"quoted\"\"\nthing\",2,\n\n",
        )
        .unwrap();
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0].get("last_chk"), Some("Bad, \"quoted\"\nthing"));
        assert_eq!(t.rows[0].get("type"), Some("2"));
    }

    #[test]
    fn short_rows_and_missing_type_still_work() {
        let t = StatTable::parse("# pxname,svname,status,type,\nbe,BACKEND,UP\n").unwrap();
        assert_eq!(t.rows[0].get("status"), Some("UP"));
        assert_eq!(t.rows[0].get("type"), None);
        assert_eq!(t.rows[0].kind(), Some(RowKind::Backend));
    }

    #[test]
    fn error_answers_are_not_tables() {
        assert_eq!(
            StatTable::parse("Permission denied\n\n").unwrap_err(),
            ParseError::NotATable("Permission denied".into())
        );
        assert!(matches!(
            StatTable::parse("# a,\n\"open"),
            Err(ParseError::UnterminatedQuote { .. })
        ));
    }

    #[test]
    fn info_keeps_order_and_spaced_keys() {
        let i = Info::parse("Name: HAProxy\nUnstoppable Jobs: 0\nUptime: 0d 0h00m12s\n\n").unwrap();
        assert_eq!(i.get("Unstoppable Jobs"), Some("0"));
        assert_eq!(i.get("Uptime"), Some("0d 0h00m12s"));
        assert_eq!(i.entries[0].0, "Name");
    }

    #[test]
    fn servers_state_reads_by_name() {
        let s = ServersState::parse(
            "1\n# be_id be_name srv_id srv_name srv_admin_state\n3 be_app 1 web1 8\n\n",
        )
        .unwrap();
        assert_eq!(s.version, "1");
        assert_eq!(s.rows[0].get("srv_admin_state"), Some("8"));
        assert!(ServersState::parse("Can't find backend.\n\n").is_err());
    }
}
