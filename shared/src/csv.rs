//! `show stat` renderers: CSV, typed and JSON, byte for byte as HAProxy 2.6 prints them.
//!
//! Framing (the blank line that ends a CLI answer) belongs to the caller: the HTTP `;csv`
//! export has none.

use std::fmt::Write as _;

use crate::fields::{self, FIELDS};
use crate::row::{StatRow, Value};

/// `# pxname,svname,...,agg_check_status,-,ssl_sess,...,` and a newline: every name is followed
/// by a comma, the `-` separator comes between the static and the module columns.
pub fn write_header(out: &mut String) {
    out.push_str("# ");
    for (pos, f) in FIELDS.iter().enumerate() {
        out.push_str(f.name);
        out.push(',');
        separator_after(out, pos);
    }
    out.push('\n');
}

pub fn write_row(out: &mut String, row: &StatRow) {
    for (pos, v) in row.values.iter().enumerate() {
        match v {
            Value::Empty => {}
            Value::Str(s) => push_csv_str(out, s),
            other => {
                let _ = write!(out, "{other}");
            }
        }
        out.push(',');
        separator_after(out, pos);
    }
    out.push('\n');
}

/// HAProxy's `-` column: not a field (typed and JSON output never show it), printed by the CSV
/// writer after the last static field, in the header and in every row.
fn separator_after(out: &mut String, pos: usize) {
    if pos + 1 == fields::STATIC_COUNT {
        out.push_str("-,");
    }
}

/// HAProxy quotes only strings holding a comma, a quote, CR or LF (`csv_enc_append`).
fn push_csv_str(out: &mut String, s: &str) {
    if s.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

/// `show stat typed [desc]`: one line per non-empty field.
pub fn write_typed_row(out: &mut String, row: &StatRow, desc: bool) {
    let kind = row.kind.kinds();
    for (pos, v) in row.values.iter().enumerate() {
        if v.is_empty() {
            continue;
        }
        let name = FIELDS[pos].name;
        let tags = fields::typed_tags(pos, kind);
        let _ = write!(
            out,
            "{}.{}.{}.{}.{}.1:{}:{}:{}",
            row.kind.letter(),
            row.iid,
            row.sid,
            pos,
            name,
            tags,
            v.type_name(),
            v
        );
        if desc {
            let _ = write!(out, ":\"{}\"", FIELDS[pos].description);
        }
        out.push('\n');
    }
}

/// `show stat json`: one line, an array of rows, each an array of field objects.
pub fn write_json(out: &mut String, rows: &[StatRow]) {
    out.push('[');
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        let mut first = true;
        let kind = row.kind.kinds();
        for (pos, v) in row.values.iter().enumerate() {
            if v.is_empty() {
                continue;
            }
            if !first {
                out.push(',');
            }
            first = false;
            let _ = write!(
                out,
                "{{\"objType\":\"{}\",\"proxyId\":{},\"id\":{},\"field\":{{\"pos\":{},\"name\":\"{}\"}},\"processNum\":1,",
                row.kind.json_name(),
                row.iid,
                row.sid,
                pos,
                FIELDS[pos].name
            );
            write_json_tags(out, fields::typed_tags(pos, kind));
            write_json_value(out, v);
            out.push('}');
        }
        out.push(']');
    }
    out.push_str("]\n");
}

/// `"tags":{...},` from the three tag letters.
pub fn write_json_tags(out: &mut String, tags: &str) {
    let mut letters = tags.chars();
    let origin = match letters.next() {
        Some('M') => "Metric",
        Some('S') => "Status",
        Some('K') => "Key",
        Some('C') => "Config",
        Some('P') => "Product",
        _ => "Unknown",
    };
    let nature = match letters.next() {
        Some('G') => "Gauge",
        Some('L') => "Limit",
        Some('m') => "Min",
        Some('M') => "Max",
        Some('R') => "Rate",
        Some('C') => "Counter",
        Some('D') => "Duration",
        Some('A') => "Age",
        Some('T') => "Time",
        Some('N') => "Name",
        Some('O') => "Output",
        Some('a') => "Avg",
        _ => "Unknown",
    };
    let scope = match letters.next() {
        Some('P') => "Process",
        Some('S') => "Service",
        Some('s') => "System",
        Some('C') => "Cluster",
        _ => "Unknown",
    };
    let _ = write!(
        out,
        "\"tags\":{{\"origin\":\"{origin}\",\"nature\":\"{nature}\",\"scope\":\"{scope}\"}},"
    );
}

/// `"value":{"type":"u32","value":3}`.
pub fn write_json_value(out: &mut String, v: &Value) {
    match v {
        Value::Str(s) => {
            let quoted = serde_json::Value::String(s.clone()).to_string();
            let _ = write!(out, "\"value\":{{\"type\":\"str\",\"value\":{quoted}}}");
        }
        other => {
            let _ = write!(
                out,
                "\"value\":{{\"type\":\"{}\",\"value\":{}}}",
                other.type_name(),
                other
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::idx;
    use crate::row::RowKind;

    #[test]
    fn rows_end_with_separator_and_comma() {
        let mut row = StatRow::new(RowKind::Server, "be", "s1", 2, 1);
        row.set(idx::STATUS, Value::Str("UP".into()));
        let mut out = String::new();
        write_row(&mut out, &row);
        assert!(out.starts_with("be,s1,"));
        assert!(out.ends_with(",\n"));
        // Field count as awk sees it: every column, the separator, and the empty last field.
        assert_eq!(out.split(',').count(), fields::COUNT + 2);
        let cols: Vec<&str> = out.split(',').collect();
        assert_eq!(cols[17], "UP");
        assert_eq!(cols[fields::STATIC_COUNT], "-");

        let mut header = String::new();
        write_header(&mut header);
        let names: Vec<&str> = header.trim_end().split(',').collect();
        assert_eq!(names[fields::STATIC_COUNT - 1], "agg_check_status");
        assert_eq!(names[fields::STATIC_COUNT], "-");
        assert_eq!(names[fields::STATIC_COUNT + 1], "ssl_sess");
        assert_eq!(names.len(), fields::COUNT + 2);
    }

    #[test]
    fn strings_are_quoted_like_haproxy() {
        let mut out = String::new();
        push_csv_str(&mut out, "Bad, \"quoted\" thing");
        assert_eq!(out, "\"Bad, \"\"quoted\"\" thing\"");
    }

    #[test]
    fn typed_lines_skip_empty_fields() {
        let mut row = StatRow::new(RowKind::Server, "be", "s1", 5, 1);
        row.set(idx::CHECK_CODE, Value::U32(200));
        let mut out = String::new();
        write_typed_row(&mut out, &row, false);
        assert!(out.contains("S.5.1.37.check_code.1:MOP:u32:200\n"));
        assert!(!out.contains("qcur"));
    }
}
