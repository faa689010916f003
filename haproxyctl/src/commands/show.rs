//! `show stat|info|servers-state|backends|…`: the socket's answer as is, or as JSON/CSV with
//! HAProxy's own field names for the four tabular answers.

use runtime_api::stat_table::{Info, ServersState, StatRow, StatTable, SEPARATOR_COLUMN};

use super::Ctx;
use crate::args::ShowArgs;
use crate::error::{exit, CtlError};
use crate::instance::{is_error, is_permission_denied, Instance};
use crate::render::{self, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Stat,
    Info,
    ServersState,
    Backends,
    Other,
}

/// Our names to the runtime API's words; anything else is passed through after `show`.
fn translate(words: &[String]) -> (Kind, String) {
    let first = words.first().map(String::as_str).unwrap_or("");
    let rest = words.get(1..).unwrap_or(&[]).join(" ");
    let with_rest = |base: &str| {
        if rest.is_empty() {
            base.to_string()
        } else {
            format!("{base} {rest}")
        }
    };
    match first {
        "stat" => (Kind::Stat, with_rest("show stat")),
        "info" => (Kind::Info, with_rest("show info")),
        "servers-state" => (Kind::ServersState, with_rest("show servers state")),
        "servers" if words.get(1).map(String::as_str) == Some("state") => {
            (Kind::ServersState, format!("show {}", words.join(" ")))
        }
        "backends" | "backend" => (Kind::Backends, "show backend".to_string()),
        _ => (Kind::Other, format!("show {}", words.join(" "))),
    }
}

pub fn run(ctx: &Ctx, args: &ShowArgs) -> Result<u8, CtlError> {
    let (kind, command) = translate(&args.what);
    let machine = args.output.json || args.output.csv;
    if machine && kind == Kind::Other {
        return Err(CtlError::Usage(
            "--json and --csv are available for stat, info, servers-state and backends; use plain `show` for the rest".into(),
        ));
    }
    // Those answers are already machine formats of their own, which the CSV and `Key: value`
    // readers would turn into nonsense rather than refuse. Only for stat and info: after
    // servers-state a word names a backend, which may well be called `json`.
    let own_format = matches!(kind, Kind::Stat | Kind::Info)
        .then(|| {
            args.what
                .iter()
                .find(|w| matches!(w.as_str(), "typed" | "json"))
        })
        .flatten();
    if let Some(format) = own_format.filter(|_| machine) {
        return Err(CtlError::Usage(format!(
            "--json and --csv convert HAProxy's plain answer; drop `{format}`, or drop --json/--csv to get HAProxy's own {format} output"
        )));
    }
    let instances = ctx.instances()?;
    let several = Ctx::several(&instances);
    let mut answers = Vec::new();
    for inst in &instances {
        let answer = inst.query(&command)?;
        if is_permission_denied(&answer) {
            return Err(CtlError::PermissionDenied {
                target: inst.target.to_string(),
                command,
            });
        }
        answers.push((inst, answer));
    }
    if !machine {
        // As `exec`: the answer as is, and exit 4 when it is one of HAProxy's error messages.
        let mut code = exit::OK;
        for (inst, answer) in &answers {
            if several {
                render::emit(&format!("==> {} <==\n", inst.label))?;
            }
            render::emit(answer)?;
            if is_error(answer) {
                code = exit::REFUSED;
            }
        }
        return Ok(code);
    }
    let tables: Vec<(Option<&str>, Table)> = answers
        .iter()
        .map(|(inst, answer)| {
            let t = parse(kind, inst, &command, answer)?;
            Ok((several.then_some(inst.label.as_str()), t))
        })
        .collect::<Result<_, CtlError>>()?;
    let text = if args.output.json {
        to_json(&tables, several)
    } else {
        to_csv(&tables, several)?
    };
    render::emit(&text)?;
    Ok(exit::OK)
}

/// A parsed answer as ordered columns and rows of (name, value).
struct Table {
    columns: Vec<String>,
    rows: Vec<Vec<(String, String)>>,
    /// `show info`: one record of name/value pairs rather than rows.
    record: bool,
}

fn from_rows<'a>(columns: Vec<String>, rows: impl Iterator<Item = &'a StatRow>) -> Table {
    Table {
        columns,
        rows: rows
            .map(|r| {
                r.fields()
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect()
            })
            .collect(),
        record: false,
    }
}

fn parse(kind: Kind, inst: &Instance, command: &str, answer: &str) -> Result<Table, CtlError> {
    let rejected = |e| inst.rejected(command, answer, e);
    Ok(match kind {
        Kind::Stat => {
            let t = StatTable::parse(answer).map_err(rejected)?;
            let cols = t
                .columns()
                .iter()
                .filter(|c| c.as_str() != SEPARATOR_COLUMN)
                .cloned()
                .collect();
            from_rows(cols, t.rows.iter())
        }
        Kind::ServersState => {
            let s = ServersState::parse(answer).map_err(rejected)?;
            let mut t = from_rows(s.columns().to_vec(), s.rows.iter());
            // `-` is how the state file writes an empty string.
            for row in &mut t.rows {
                for (_, v) in row.iter_mut() {
                    if v == "-" {
                        v.clear();
                    }
                }
            }
            t
        }
        Kind::Info => {
            let i = Info::parse(answer).map_err(rejected)?;
            Table {
                columns: i.entries.iter().map(|(k, _)| k.clone()).collect(),
                rows: vec![i.entries],
                record: true,
            }
        }
        Kind::Backends => Table {
            columns: vec!["name".into()],
            rows: answer
                .lines()
                .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
                .map(|l| vec![("name".to_string(), l.trim().to_string())])
                .collect(),
            record: false,
        },
        Kind::Other => Table {
            columns: Vec::new(),
            rows: Vec::new(),
            record: false,
        },
    })
}

fn to_json(tables: &[(Option<&str>, Table)], several: bool) -> String {
    // `show info` of one instance is one object, not a list of one.
    if let [(None, t)] = tables {
        if let (true, Some(row)) = (t.record, t.rows.first()) {
            let fields = row.iter().map(|(n, v)| (n.as_str(), v.as_str()));
            return format!("{}\n", json::row_object(None, fields));
        }
    }
    let items: Vec<String> = tables
        .iter()
        .flat_map(|(inst, t)| {
            t.rows.iter().map(move |row| {
                json::row_object(
                    if several { *inst } else { None },
                    row.iter().map(|(n, v)| (n.as_str(), v.as_str())),
                )
            })
        })
        .collect();
    json::array(&items)
}

fn to_csv(tables: &[(Option<&str>, Table)], several: bool) -> Result<String, CtlError> {
    let Some((_, first)) = tables.first() else {
        return Ok(String::new());
    };
    let is_info = first.record;
    let mut header: Vec<String> = Vec::new();
    if several {
        header.push("instance".into());
    }
    let mut rows = Vec::new();
    if is_info {
        // Info reads better as name,value lines than as one very wide row.
        header.extend(["name".to_string(), "value".to_string()]);
        for (inst, t) in tables {
            for row in &t.rows {
                for (k, v) in row {
                    let mut r: Vec<String> = inst.iter().map(|s| s.to_string()).collect();
                    r.extend([k.clone(), v.clone()]);
                    rows.push(r);
                }
            }
        }
    } else {
        header.extend(first.columns.iter().cloned());
        for (inst, t) in tables {
            for row in &t.rows {
                let mut r: Vec<String> = inst.iter().map(|s| s.to_string()).collect();
                r.extend(first.columns.iter().map(|c| {
                    row.iter()
                        .find(|(n, _)| n == c)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                }));
                rows.push(r);
            }
        }
    }
    render::csv::write(&header, &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    #[test]
    fn friendly_names_map_to_runtime_api_words() {
        assert_eq!(
            translate(&words("servers-state be_app")).1,
            "show servers state be_app"
        );
        assert_eq!(translate(&words("backends")).1, "show backend");
        assert_eq!(translate(&words("stat typed")).1, "show stat typed");
        assert_eq!(
            translate(&words("sess all")),
            (Kind::Other, "show sess all".into())
        );
    }
}
