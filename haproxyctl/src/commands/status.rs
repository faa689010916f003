//! `status`: one table per backend with each server's state, last check in plain words, sessions,
//! traffic and downtime. Also the row selection and cells `watch` reuses.

use runtime_api::stat_table::{RowKind, StatRow, StatTable, SEPARATOR_COLUMN};

use super::Ctx;
use crate::args::{FilterArgs, OutputArgs, StatusArgs};
use crate::error::{exit, CtlError};
use crate::instance::Instance;
use crate::model::{self, State};
use crate::render::table::{self, Column, Styled};
use crate::render::{self, colour, human, json};
use crate::select::{glob_match, Selector};

/// A server row and the instance it came from.
pub struct Line<'a> {
    pub instance: &'a str,
    pub row: &'a StatRow,
}

impl Line<'_> {
    pub fn state(&self) -> State {
        State::parse(self.row.str("status"))
    }
}

/// One backend's selected servers, across instances.
pub struct Group<'a> {
    pub backend: String,
    /// The BACKEND row of each instance that has this backend.
    pub summary: Vec<Line<'a>>,
    /// Every server of the backend, for the heading's counts.
    pub all: Vec<Line<'a>>,
    /// The servers that passed the filters.
    pub servers: Vec<Line<'a>>,
}

/// Applies backend/server/down filters. A backend pattern or a server selector that matches
/// nothing is a usage error: a typo must not look like "all fine". `--down` is a state filter, so
/// an empty result there is an answer, not an error. Without any table (every socket failed)
/// there is nothing to check the patterns against.
pub fn select<'a>(
    stats: &'a [(Instance, StatTable)],
    filter: &FilterArgs,
) -> Result<Vec<Group<'a>>, CtlError> {
    let patterns: Vec<&String> = filter.backends.iter().chain(&filter.backend).collect();
    // `all` and `BACKEND/SERVER` read as for the admin commands; a bare glob names servers.
    let server_sel = match filter.server.as_deref() {
        Some(s) if s.contains('/') || s == "all" => Some(Selector::parse(s)?),
        _ => None,
    };
    let mut server_matched = false;
    let mut groups: Vec<Group<'a>> = Vec::new();
    let mut matched = vec![false; patterns.len()];
    for (inst, table) in stats {
        for row in &table.rows {
            let kind = row.kind();
            if !matches!(kind, Some(RowKind::Server) | Some(RowKind::Backend)) {
                continue;
            }
            let be = row.pxname();
            if !patterns.is_empty() {
                let hits: Vec<usize> = (0..patterns.len())
                    .filter(|&i| glob_match(patterns[i], be))
                    .collect();
                if hits.is_empty() {
                    continue;
                }
                hits.into_iter().for_each(|i| matched[i] = true);
            }
            let idx = match groups.iter().position(|g| g.backend == be) {
                Some(i) => i,
                None => {
                    groups.push(Group {
                        backend: be.to_string(),
                        summary: Vec::new(),
                        all: Vec::new(),
                        servers: Vec::new(),
                    });
                    groups.len() - 1
                }
            };
            let line = Line {
                instance: &inst.label,
                row,
            };
            if kind == Some(RowKind::Backend) {
                groups[idx].summary.push(line);
                continue;
            }
            let name_ok = match (&server_sel, &filter.server) {
                (Some(sel), _) => sel.matches(be, row.svname()),
                (None, Some(glob)) => glob_match(glob, row.svname()),
                (None, None) => true,
            };
            server_matched |= name_ok;
            let down_ok = !filter.down || !matches!(line.state(), State::Up | State::NoCheck);
            groups[idx].all.push(Line {
                instance: &inst.label,
                row,
            });
            if name_ok && down_ok {
                groups[idx].servers.push(line);
            }
        }
    }
    if stats.is_empty() {
        return Ok(groups);
    }
    if let Some(i) = matched.iter().position(|m| !m) {
        return Err(CtlError::Usage(format!(
            "no backend matches `{}`",
            patterns[i]
        )));
    }
    if let (Some(server), false) = (&filter.server, server_matched) {
        return Err(CtlError::Usage(match patterns.is_empty() {
            true => format!("no server matches `{server}`"),
            false => format!("no server of the selected backends matches `{server}`"),
        }));
    }
    if filter.server.is_some() || filter.down {
        groups.retain(|g| !g.servers.is_empty());
    }
    Ok(groups)
}

pub fn run(ctx: &Ctx, args: &StatusArgs) -> Result<u8, CtlError> {
    let instances = ctx.instances()?;
    let (stats, fetch_code) = super::fetch_stats(&instances)?;
    let several = Ctx::several(&instances);
    let groups = select(&stats, &args.filter)?;

    let text = if args.output.json || args.output.csv {
        machine_output(&args.output, &stats, &groups, several)?
    } else {
        human_output(&groups, several, ctx.colour, table::target_width())
    };
    render::emit(&text)?;

    if args.check && !healthy(&groups) {
        return Ok(exit::NOT_OK.max(fetch_code));
    }
    Ok(fetch_code)
}

/// What `--check` passes: the same line as `check` draws between OK/WARNING and failures. MAINT,
/// DRAIN, NOLB and weight 0 are an operator's intent; a server failing its checks, or a backend
/// HAProxy itself reports DOWN (nothing can take its traffic), is not.
fn healthy(groups: &[Group<'_>]) -> bool {
    let failing = groups
        .iter()
        .flat_map(|g| &g.servers)
        .any(|l| l.state().is_failure());
    let backend_down = groups
        .iter()
        .flat_map(|g| &g.summary)
        .any(|l| l.state() == State::Down);
    !failing && !backend_down
}

fn machine_output(
    out: &OutputArgs,
    stats: &[(Instance, StatTable)],
    groups: &[Group<'_>],
    several: bool,
) -> Result<String, CtlError> {
    let lines = groups.iter().flat_map(|g| &g.servers);
    if out.json {
        let items: Vec<String> = lines
            .map(|l| json::stat_row(several.then_some(l.instance), l.row))
            .collect();
        return Ok(json::array(&items));
    }
    let Some((_, first)) = stats.first() else {
        return Ok(String::new());
    };
    // HAProxy's `-` separator names no field; `show stat --csv` and the JSON leave it out too.
    let columns: Vec<String> = first
        .columns()
        .iter()
        .filter(|c| c.as_str() != SEPARATOR_COLUMN)
        .cloned()
        .collect();
    let mut header = Vec::new();
    if several {
        header.push("instance".to_string());
    }
    header.extend(columns.iter().cloned());
    let rows: Vec<Vec<String>> = lines
        .map(|l| {
            let mut r = Vec::new();
            if several {
                r.push(l.instance.to_string());
            }
            r.extend(columns.iter().map(|c| l.row.str(c).to_string()));
            r
        })
        .collect();
    render::csv::write(&header, &rows)
}

/// Columns of the status table; the drop order decides what goes first on a narrow terminal.
fn columns(several: bool) -> Vec<Column> {
    let mut c = Vec::new();
    if several {
        c.push(Column::left("INSTANCE", 0));
    }
    c.extend([
        Column::left("SERVER", 0),
        Column::left("STATUS", 0),
        Column::left("CHECK", 0),
        Column::right("DUR", 2),
        Column::right("LAST CHG", 6),
        Column::right("SESS", 0),
        Column::right("MAX", 3),
        Column::right("QUEUE", 5),
        Column::right("WEIGHT", 7),
        Column::right("IN", 4),
        Column::right("OUT", 4),
        Column::right("DOWNTIME", 1),
    ]);
    c
}

/// The server's name, marked when it is a backup so it reads apart from active servers.
pub fn server_name(row: &StatRow) -> String {
    if model::is_backup(row) {
        format!("{} (backup)", row.svname())
    } else {
        row.svname().to_string()
    }
}

pub fn status_cell(line: &Line<'_>) -> Styled {
    Styled {
        text: line.row.str("status").to_string(),
        colour: colour::state_colour(line.state()),
        emphasis: false,
    }
}

fn opt(v: Option<u64>, f: impl Fn(u64) -> String) -> String {
    v.map(f).unwrap_or_default()
}

fn cells(line: &Line<'_>, several: bool) -> Vec<Styled> {
    let r = line.row;
    let mut c: Vec<Styled> = Vec::new();
    if several {
        c.push(line.instance.into());
    }
    c.push(server_name(r).into());
    c.push(status_cell(line));
    c.push(model::check_words(r).into());
    c.push(opt(r.u64("check_duration"), |ms| format!("{ms}ms")).into());
    c.push(opt(r.u64("lastchg"), human::duration_secs).into());
    c.push(r.str("scur").into());
    c.push(r.str("smax").into());
    c.push(r.str("qcur").into());
    c.push(r.str("weight").into());
    c.push(opt(r.u64("bin"), human::bytes).into());
    c.push(opt(r.u64("bout"), human::bytes).into());
    c.push(opt(r.u64("downtime"), human::duration_secs).into());
    c
}

/// `be_app: UP, 2/3 active up, backup 1/1 up, roundrobin`; a server at weight 0 takes no traffic,
/// so it is not counted as up but named apart: `0/2 active up (1 up at weight 0)`.
pub fn heading(group: &Group<'_>, several: bool) -> String {
    let mut parts = Vec::new();
    if let [one] = group.summary.as_slice() {
        if !several {
            parts.push(one.row.str("status").to_string());
        }
    }
    // (taking traffic, total, up but at weight 0)
    let count = |backup: bool| {
        let servers: Vec<&Line<'_>> = group
            .all
            .iter()
            .filter(|l| model::is_backup(l.row) == backup)
            .collect();
        let up = servers
            .iter()
            .filter(|l| model::takes_traffic(l.row))
            .count();
        let idle = servers
            .iter()
            .filter(|l| l.state().is_usable() && model::zero_weight(l.row))
            .count();
        (up, servers.len(), idle)
    };
    let zero = |n: usize| {
        if n > 0 {
            format!(" ({n} up at weight 0)")
        } else {
            String::new()
        }
    };
    let (up, total, idle) = count(false);
    if total > 0 {
        parts.push(format!("{up}/{total} active up{}", zero(idle)));
    }
    let (bup, btotal, bidle) = count(true);
    if btotal > 0 {
        parts.push(format!("backup {bup}/{btotal} up{}", zero(bidle)));
    }
    if let Some(algo) = group
        .summary
        .first()
        .and_then(|l| l.row.get("algo"))
        .filter(|a| !a.is_empty())
    {
        parts.push(algo.to_string());
    }
    if parts.is_empty() {
        group.backend.clone()
    } else {
        format!("{}: {}", group.backend, parts.join(", "))
    }
}

pub fn human_output(
    groups: &[Group<'_>],
    several: bool,
    colour: bool,
    width: Option<u16>,
) -> String {
    if groups.is_empty() {
        return "no servers match\n".to_string();
    }
    let cols = columns(several);
    let all_rows: Vec<Vec<Styled>> = groups
        .iter()
        .flat_map(|g| g.servers.iter().map(|l| cells(l, several)))
        .collect();
    // Decided once so every backend's table has the same columns.
    let keep = table::fit(&cols, &all_rows, width);
    let mut out = String::new();
    for (i, g) in groups.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&heading(g, several));
        out.push('\n');
        if g.servers.is_empty() {
            out.push_str("  (no servers)\n");
            continue;
        }
        let rows: Vec<Vec<Styled>> = g.servers.iter().map(|l| cells(l, several)).collect();
        out.push_str(&table::render(&cols, &rows, &keep, colour, width));
    }
    out
}
