//! `sessions [SERVER...] [--client GLOB] [--kill]`: the sessions in progress (`show sess`) as a
//! table, JSON or CSV, filtered by server and client; `--kill` ends the listed ones (`shutdown
//! session`). proxyd's lines and HAProxy's read alike: the id before `:`, then `key=value`
//! words, of which the proxy, server, client and age are kept. The CLI session that asks (HAProxy
//! lists it, on its `GLOBAL` frontend) is left out.

use runtime_api::level::Level;
use runtime_api::stat_table::{ParseError, RowKind};

use super::Ctx;
use crate::args::SessionsArgs;
use crate::error::{exit, CtlError};
use crate::instance::{is_permission_denied, Instance};
use crate::render::table::{self, Column, Styled};
use crate::render::{self, csv, json};
use crate::select::{glob_match, Selector};

/// One session of a `show sess` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sess {
    id: String,
    proto: String,
    client: String,
    frontend: String,
    backend: String,
    server: String,
    age: String,
}

const FIELDS: [&str; 7] = ["id", "proto", "src", "fe", "be", "srv", "age"];

impl Sess {
    fn values(&self) -> [&str; 7] {
        [
            &self.id,
            &self.proto,
            &self.client,
            &self.frontend,
            &self.backend,
            &self.server,
            &self.age,
        ]
    }
}

/// `0x…: key=value …`, the shape of every line of HAProxy's and proxyd's `show sess`.
fn is_session_line(line: &str) -> bool {
    line.split_once(": ")
        .is_some_and(|(id, _)| id.starts_with("0x") && id.len() > 2)
}

fn parse_line(line: &str) -> Option<Sess> {
    if !is_session_line(line) {
        return None;
    }
    let (id, rest) = line.split_once(": ")?;
    let get = |key: &str| {
        rest.split_whitespace()
            .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
            .unwrap_or("")
            .to_string()
    };
    let s = Sess {
        id: id.to_string(),
        proto: get("proto"),
        client: get("src"),
        frontend: get("fe"),
        backend: get("be"),
        server: get("srv"),
        age: get("age"),
    };
    (s.frontend != "GLOBAL").then_some(s)
}

/// `BACKEND` alone means all its servers.
fn selectors(args: &[String]) -> Result<Vec<Selector>, CtlError> {
    args.iter()
        .map(|a| {
            if a.contains('/') || a == "all" {
                Selector::parse(a)
            } else {
                Selector::parse(&format!("{a}/*"))
            }
        })
        .collect()
}

fn wanted(s: &Sess, servers: &[Selector], client: Option<&str>) -> bool {
    let on_server = servers.is_empty() || servers.iter().any(|x| x.matches(&s.backend, &s.server));
    let from_client = client.is_none_or(|g| {
        glob_match(g, &s.client)
            || s.client
                .rsplit_once(':')
                .is_some_and(|(ip, _)| glob_match(g, ip))
    });
    on_server && from_client
}

/// Each selector must name at least one server of `show stat` on some instance: a server without
/// sessions gives an empty list, a typo a usage error (and `--kill` then ends nothing).
fn check_selectors(
    instances: &[Instance],
    raw: &[String],
    servers: &[Selector],
) -> Result<(), CtlError> {
    let tables = instances
        .iter()
        .map(Instance::stat)
        .collect::<Result<Vec<_>, _>>()?;
    for (sel, raw) in servers.iter().zip(raw) {
        let known = tables
            .iter()
            .flat_map(|t| &t.rows)
            .any(|r| r.kind() == Some(RowKind::Server) && sel.matches(r.pxname(), r.svname()));
        if !known {
            return Err(CtlError::Usage(format!("no server matches `{raw}`")));
        }
    }
    Ok(())
}

/// The sessions of one `show sess` answer. Every line of it names a session; anything else (an
/// HTTP error from a socket that is not a stats socket, an error message) is a refusal, so it is
/// never shown as an empty list.
fn sessions_of(inst: &Instance, answer: &str) -> Result<Vec<Sess>, CtlError> {
    if is_permission_denied(answer) {
        return Err(CtlError::PermissionDenied {
            target: inst.target.to_string(),
            command: "show sess".into(),
        });
    }
    let mut out = Vec::new();
    for line in answer.lines().filter(|l| !l.trim().is_empty()) {
        if !is_session_line(line) {
            return Err(inst.rejected(
                "show sess",
                answer,
                ParseError::NotATable(answer.trim().to_string()),
            ));
        }
        out.extend(parse_line(line));
    }
    Ok(out)
}

pub fn run(ctx: &Ctx, args: &SessionsArgs) -> Result<u8, CtlError> {
    let servers = selectors(&args.servers)?;
    let instances = ctx.instances()?;
    if !servers.is_empty() {
        check_selectors(&instances, &args.servers, &servers)?;
    }
    if args.kill {
        super::admin::require_level(&instances, Level::Admin, "shutdown session")?;
    }
    let several = Ctx::several(&instances);
    let mut listed: Vec<(&Instance, Sess)> = Vec::new();
    for inst in &instances {
        let answer = inst.query("show sess")?;
        listed.extend(
            sessions_of(inst, &answer)?
                .into_iter()
                .filter(|s| wanted(s, &servers, args.client.as_deref()))
                .map(|s| (inst, s)),
        );
    }
    let mut code = exit::OK;
    if args.kill {
        for (inst, s) in &listed {
            let answer = inst.query(&format!("shutdown session {}", s.id))?;
            if is_permission_denied(&answer) {
                return Err(CtlError::PermissionDenied {
                    target: inst.target.to_string(),
                    command: "shutdown session".into(),
                });
            }
            // A session that ended on its own meanwhile is not a failure.
            if !answer.trim().is_empty() && !answer.starts_with("No such session") {
                eprintln!("haproxyctl: {}: {}", s.id, answer.trim());
                code = exit::REFUSED;
            }
        }
    }
    let label = |inst: &Instance| several.then(|| inst.label.clone());
    if args.output.json {
        let items: Vec<String> = listed
            .iter()
            .map(|(inst, s)| {
                let instance = label(inst);
                json::row_object(instance.as_deref(), FIELDS.into_iter().zip(s.values()))
            })
            .collect();
        render::emit(&json::array(&items))?;
        return Ok(code);
    }
    if args.output.csv {
        let mut header: Vec<String> = FIELDS.iter().map(|f| f.to_string()).collect();
        if several {
            header.insert(0, "instance".into());
        }
        let rows: Vec<Vec<String>> = listed
            .iter()
            .map(|(inst, s)| {
                label(inst)
                    .into_iter()
                    .chain(s.values().iter().map(|v| v.to_string()))
                    .collect()
            })
            .collect();
        render::emit(&csv::write(&header, &rows)?)?;
        return Ok(code);
    }
    let mut columns = vec![
        Column::left("SESSION", 3),
        Column::left("CLIENT", 0),
        Column::left("FRONTEND", 2),
        Column::left("BACKEND/SERVER", 0),
        Column::right("AGE", 1),
    ];
    if several {
        columns.insert(0, Column::left("INSTANCE", 0));
    }
    let rows: Vec<Vec<Styled>> = listed
        .iter()
        .map(|(inst, s)| {
            label(inst)
                .into_iter()
                .chain([
                    s.id.clone(),
                    s.client.clone(),
                    s.frontend.clone(),
                    format!("{}/{}", s.backend, s.server),
                    s.age.clone(),
                ])
                .map(Styled::from)
                .collect()
        })
        .collect();
    let width = table::target_width();
    let keep = table::fit(&columns, &rows, width);
    let mut out = table::render(&columns, &rows, &keep, ctx.colour, width);
    if args.kill {
        out.push_str(&format!("{} session(s) ended\n", listed.len()));
    }
    render::emit(&out)?;
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_proxyd_and_haproxy_lines_and_skips_the_cli_session() {
        let proxyd = "0x100000001: proto=tcpv4 src=127.0.0.1:50832 fe=fe be=be srv=web1 age=3s";
        let haproxy = "0x5566: proto=tcpv4 src=10.0.0.5:4000 fe=l be=l srv=s1 ts=00 epoch=0 age=1m2s calls=2 rq[f=848000h,i=0,an=00h,rx=49s,wx=,ax=] rp[f=80008000h] scf=[8,0h,fd=12] exp=0s rc=0 c_exp=";
        let cli =
            "0x7f72: proto=unix_stream src=unix:1 fe=GLOBAL be=<NONE> srv=<none> ts=00 age=0s";
        let a = parse_line(proxyd).expect("proxyd line");
        assert_eq!(
            a.values(),
            [
                "0x100000001",
                "tcpv4",
                "127.0.0.1:50832",
                "fe",
                "be",
                "web1",
                "3s"
            ]
        );
        let b = parse_line(haproxy).expect("haproxy line");
        assert_eq!((b.server.as_str(), b.age.as_str()), ("s1", "1m2s"));
        assert!(parse_line(cli).is_none() && parse_line("").is_none());
        let on = |sel: &[&str], client: Option<&str>, s: &Sess| {
            let sel: Vec<String> = sel.iter().map(|x| x.to_string()).collect();
            wanted(s, &selectors(&sel).expect("selectors"), client)
        };
        assert!(on(&["be"], None, &a) && on(&["be/web*"], None, &a) && !on(&["l"], None, &a));
        assert!(on(&[], Some("10.0.0.*"), &b) && !on(&[], Some("10.0.0.*"), &a));
        assert!(on(&[], Some("127.0.0.1:50832"), &a));
    }
}
