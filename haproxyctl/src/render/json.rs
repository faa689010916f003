//! JSON rows whose keys are HAProxy's CSV column names, in column order, unknown columns included.
//! Written by hand because a map would reorder keys (serde_json's default map is sorted).

use runtime_api::stat_table::StatRow;

/// Columns that hold names or text even when they look numeric (a backend may be called `123`).
const TEXT_COLUMNS: &[&str] = &[
    "pxname",
    "svname",
    "status",
    "tracked",
    "check_status",
    "last_chk",
    "last_agt",
    "agent_status",
    "check_desc",
    "agent_desc",
    "addr",
    "cookie",
    "mode",
    "algo",
    "be_name",
    "srv_name",
    "srv_addr",
    "srv_fqdn",
    "srvrecord",
    "srv_check_addr",
    "srv_agent_addr",
];

fn value(name: &str, v: &str) -> String {
    if v.is_empty() {
        return "null".to_string();
    }
    if !TEXT_COLUMNS.contains(&name) && v.parse::<i64>().is_ok() {
        return v.to_string();
    }
    string(v)
}

fn string(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// One object; `instance` (when several sockets are queried) comes first.
pub fn row_object<'a>(
    instance: Option<&str>,
    fields: impl Iterator<Item = (&'a str, &'a str)>,
) -> String {
    let mut parts = Vec::new();
    if let Some(i) = instance {
        parts.push(format!("\"instance\":{}", string(i)));
    }
    parts.extend(fields.map(|(n, v)| format!("{}:{}", string(n), value(n, v))));
    format!("{{{}}}", parts.join(","))
}

pub fn stat_row(instance: Option<&str>, row: &StatRow) -> String {
    row_object(instance, row.fields())
}

/// Objects one per line inside an array, so `grep` and `jq` both work on it.
pub fn array(items: &[String]) -> String {
    if items.is_empty() {
        return "[]\n".to_string();
    }
    format!("[\n  {}\n]\n", items.join(",\n  "))
}

/// Key/value pairs as an object with string values (`show info`).
pub fn string_object<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let parts: Vec<String> = pairs
        .map(|(k, v)| format!("{}:{}", string(k), string(v)))
        .collect();
    format!("{{{}}}", parts.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_stay_numbers_and_names_stay_strings() {
        let s = row_object(
            Some("a.sock"),
            [
                ("pxname", "123"),
                ("scur", "4"),
                ("status", "UP"),
                ("qlimit", ""),
            ]
            .into_iter(),
        );
        assert_eq!(
            s,
            r#"{"instance":"a.sock","pxname":"123","scur":4,"status":"UP","qlimit":null}"#
        );
        let v: serde_json::Value = serde_json::from_str(&array(&[s])).unwrap();
        assert_eq!(v[0]["scur"], 4);
    }
}
