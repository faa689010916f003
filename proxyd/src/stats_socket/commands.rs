//! The command table: words, required level, handler. Dispatch picks the longest matching
//! entry; anything else is an unknown command and gets HAProxy's usage text.

use std::net::SocketAddr;

use runtime_api::level::Level;

use super::context::Ctx;
use super::{absent, admin, dynamic, help, info, servers, sessions, stat};
use crate::config::{ListenAddr, StatsSocket};

type Handler = fn(&mut Ctx, &[String]) -> String;

struct Command {
    words: &'static [&'static str],
    level: Level,
    run: Handler,
}

const COMMANDS: &[Command] = &[
    Command {
        words: &["show", "stat"],
        level: Level::User,
        run: stat::show_stat,
    },
    Command {
        words: &["show", "info"],
        level: Level::User,
        run: info::show_info,
    },
    // Three keywords, as HAProxy registers it: `show schema` alone is an unknown command.
    Command {
        words: &["show", "schema", "json"],
        level: Level::User,
        run: stat::show_schema_json,
    },
    Command {
        words: &["show", "servers", "state"],
        level: Level::User,
        run: servers::show_servers_state,
    },
    Command {
        words: &["show", "servers", "conn"],
        level: Level::User,
        run: servers::show_servers_conn,
    },
    Command {
        words: &["show", "startup-logs"],
        level: Level::Operator,
        run: show_startup_logs,
    },
    Command {
        words: &["show", "cli", "sockets"],
        level: Level::User,
        run: show_cli_sockets,
    },
    Command {
        words: &["enable", "agent"],
        level: Level::Admin,
        run: admin::enable_agent,
    },
    Command {
        words: &["disable", "agent"],
        level: Level::Admin,
        run: admin::disable_agent,
    },
    Command {
        words: &["show", "errors"],
        level: Level::Operator,
        run: show_errors,
    },
    Command {
        words: &["show", "backend"],
        level: Level::User,
        run: servers::show_backend,
    },
    Command {
        words: &["show", "cli", "level"],
        level: Level::User,
        run: show_cli_level,
    },
    Command {
        words: &["show", "version"],
        level: Level::User,
        run: show_version,
    },
    Command {
        words: &["get", "weight"],
        level: Level::User,
        run: admin::get_weight,
    },
    Command {
        words: &["set", "timeout"],
        level: Level::User,
        run: set_timeout,
    },
    Command {
        words: &["clear", "counters"],
        level: Level::Operator,
        run: admin::clear_counters,
    },
    Command {
        words: &["disable", "server"],
        level: Level::Admin,
        run: admin::disable_server,
    },
    Command {
        words: &["enable", "server"],
        level: Level::Admin,
        run: admin::enable_server,
    },
    Command {
        words: &["set", "server"],
        level: Level::Admin,
        run: admin::set_server,
    },
    Command {
        words: &["set", "weight"],
        level: Level::Admin,
        run: admin::set_weight,
    },
    Command {
        words: &["enable", "health"],
        level: Level::Admin,
        run: admin::enable_health,
    },
    Command {
        words: &["disable", "health"],
        level: Level::Admin,
        run: admin::disable_health,
    },
    Command {
        words: &["disable", "frontend"],
        level: Level::Admin,
        run: admin::disable_frontend,
    },
    Command {
        words: &["enable", "frontend"],
        level: Level::Admin,
        run: admin::enable_frontend,
    },
    Command {
        words: &["shutdown", "frontend"],
        level: Level::Admin,
        run: admin::shutdown_frontend,
    },
    Command {
        words: &["shutdown", "sessions", "server"],
        level: Level::Admin,
        run: admin::shutdown_sessions,
    },
    // Registered as three keywords, as in HAProxy: `set maxconn` alone is an unknown command.
    Command {
        words: &["set", "maxconn", "server"],
        level: Level::Admin,
        run: admin::set_maxconn_server,
    },
    Command {
        words: &["set", "maxconn", "global"],
        level: Level::Admin,
        run: admin::set_maxconn_global,
    },
    Command {
        words: &["set", "maxconn", "frontend"],
        level: Level::Admin,
        run: admin::set_maxconn_frontend,
    },
    Command {
        words: &["set", "rate-limit"],
        level: Level::Admin,
        run: admin::set_rate_limit,
    },
    Command {
        words: &["show", "sess"],
        level: Level::Operator,
        run: sessions::show_sess,
    },
    Command {
        words: &["shutdown", "session"],
        level: Level::Admin,
        run: sessions::shutdown_session,
    },
    Command {
        words: &["show", "env"],
        level: Level::Operator,
        run: show_env,
    },
    Command {
        words: &["add", "server"],
        level: Level::Admin,
        run: dynamic::add_server,
    },
    Command {
        words: &["del", "server"],
        level: Level::Admin,
        run: dynamic::del_server,
    },
    // Things a passthrough proxy never has: HAProxy's answers when there are none.
    Command {
        words: &["show", "table"],
        level: Level::User,
        run: absent::show_table,
    },
    Command {
        words: &["clear", "table"],
        level: Level::User,
        run: absent::clear_table,
    },
    Command {
        words: &["set", "table"],
        level: Level::User,
        run: absent::set_table,
    },
    Command {
        words: &["show", "map"],
        level: Level::User,
        run: absent::show_map,
    },
    Command {
        words: &["show", "acl"],
        level: Level::User,
        run: absent::show_acl,
    },
    Command {
        words: &["get", "map"],
        level: Level::User,
        run: absent::map_or_acl,
    },
    Command {
        words: &["get", "acl"],
        level: Level::User,
        run: absent::map_or_acl,
    },
    Command {
        words: &["add", "map"],
        level: Level::User,
        run: absent::map_or_acl,
    },
    Command {
        words: &["add", "acl"],
        level: Level::User,
        run: absent::map_or_acl,
    },
    Command {
        words: &["del", "map"],
        level: Level::User,
        run: absent::map_or_acl,
    },
    Command {
        words: &["del", "acl"],
        level: Level::User,
        run: absent::map_or_acl,
    },
    Command {
        words: &["set", "map"],
        level: Level::User,
        run: absent::map_or_acl,
    },
    Command {
        words: &["set", "acl"],
        level: Level::User,
        run: absent::map_or_acl,
    },
    Command {
        words: &["clear", "map"],
        level: Level::User,
        run: absent::map_or_acl,
    },
    Command {
        words: &["clear", "acl"],
        level: Level::User,
        run: absent::map_or_acl,
    },
    Command {
        words: &["prepare", "map"],
        level: Level::User,
        run: absent::map_or_acl,
    },
    Command {
        words: &["prepare", "acl"],
        level: Level::User,
        run: absent::map_or_acl,
    },
    Command {
        words: &["commit", "map"],
        level: Level::User,
        run: absent::map_or_acl,
    },
    Command {
        words: &["commit", "acl"],
        level: Level::User,
        run: absent::map_or_acl,
    },
    Command {
        words: &["show", "peers"],
        level: Level::User,
        run: absent::nothing,
    },
    Command {
        words: &["show", "resolvers"],
        level: Level::User,
        run: absent::show_resolvers,
    },
    Command {
        words: &["show", "cache"],
        level: Level::Admin,
        run: absent::nothing,
    },
    Command {
        words: &["show", "ssl", "cert"],
        level: Level::User,
        run: absent::show_ssl_cert,
    },
    Command {
        words: &["show", "ssl", "crl-file"],
        level: Level::User,
        run: absent::show_ssl_crl_file,
    },
    Command {
        words: &["show", "ssl", "crt-list"],
        level: Level::Admin,
        run: absent::nothing,
    },
    Command {
        words: &["show", "ssl", "ocsp-response"],
        level: Level::User,
        run: absent::nothing,
    },
    Command {
        words: &["show", "tls-keys"],
        level: Level::User,
        run: absent::show_tls_keys,
    },
    Command {
        words: &["get", "var"],
        level: Level::Operator,
        run: absent::get_var,
    },
    Command {
        words: &["expert-mode"],
        level: Level::Admin,
        run: session_mode,
    },
    Command {
        words: &["experimental-mode"],
        level: Level::Admin,
        run: session_mode,
    },
    Command {
        words: &["operator"],
        level: Level::User,
        run: lower_operator,
    },
    Command {
        words: &["user"],
        level: Level::User,
        run: lower_user,
    },
];

/// What the session must do after a command.
pub enum Effect {
    /// Write the text, then the end-of-response newline (and prompt).
    Reply(String),
    /// Write the text only (`operator -`).
    Raw(String),
    TogglePrompt,
    Quit,
}

pub fn execute(ctx: &mut Ctx, words: &[String]) -> Effect {
    let first = words.first().map(String::as_str).unwrap_or("");
    match first {
        "quit" => return Effect::Quit,
        "prompt" => return Effect::TogglePrompt,
        "help" => return Effect::Reply(help::usage_message(&words[1..], true)),
        _ => {}
    }
    let found = COMMANDS
        .iter()
        .filter(|c| {
            c.words
                .iter()
                .enumerate()
                .all(|(i, w)| words.get(i).map(String::as_str) == Some(*w))
        })
        .max_by_key(|c| c.words.len());
    let Some(cmd) = found else {
        return Effect::Reply(help::usage_message(words, false));
    };
    if ctx.level < cmd.level {
        return Effect::Reply("Permission denied\n".into());
    }
    ctx.bare = false;
    let out = (cmd.run)(ctx, words);
    // `operator -` / `user -` lower the level without the end-of-response line.
    if ctx.bare
        || matches!(first, "operator" | "user") && words.get(1).map(String::as_str) == Some("-")
    {
        return Effect::Raw(out);
    }
    Effect::Reply(out)
}

/// `expert-mode [on|off]`, `experimental-mode [on|off]`: anything but `on` switches off, as
/// in HAProxy; without an argument, the state.
fn session_mode(ctx: &mut Ctx, words: &[String]) -> String {
    let name = words[0].as_str();
    let flag = match name {
        "expert-mode" => &mut ctx.expert,
        _ => &mut ctx.experimental,
    };
    match words.get(1).map(String::as_str) {
        None | Some("") => format!("{name} is {}\n", if *flag { "ON" } else { "OFF" }),
        Some(arg) => {
            *flag = arg == "on";
            String::new()
        }
    }
}

fn show_cli_level(ctx: &mut Ctx, _: &[String]) -> String {
    format!("{}\n", ctx.level.name())
}

/// `show errors [<px>] [request|response]`: HAProxy's captures of requests and responses its
/// HTTP parser rejected. proxyd never parses the traffic it forwards (as HAProxy does not in
/// TCP mode), so there is never a capture: the answer is HAProxy's header with 0 events.
fn show_errors(ctx: &mut Ctx, args: &[String]) -> String {
    if let Some(px) = args.get(2) {
        // HAProxy takes a proxy's name or `#id`, else whatever number atoi() reads, unchecked.
        let known = ctx.model.backend(px).is_some() || ctx.model.frontend(px).is_some();
        if !known && crate::config::values::atoi(px) == 0 {
            return "No such proxy.\n".into();
        }
    }
    format!(
        "Total events captured on [{}] : 0\n",
        crate::logging::time::date(std::time::SystemTime::now(), false)
    )
}

fn show_version(_: &mut Ctx, _: &[String]) -> String {
    format!("{}\n", info::VERSION)
}

/// The environment the configuration sees (what `"${VAR}"` expands): the process's, in its
/// own order, with `setenv` values in place, `unsetenv` ones gone and new names last, as
/// HAProxy's `setenv` leaves its environment.
fn show_env(ctx: &mut Ctx, args: &[String]) -> String {
    let overlay = &ctx.model.config.global.env;
    let set = |k: &str| overlay.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let mut vars: Vec<(String, String)> = std::env::vars_os()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .filter_map(|(k, v)| match set(&k) {
            Some(Some(new)) => Some((k, new)),
            Some(None) => None,
            None => Some((k, v)),
        })
        .collect();
    for (k, v) in overlay {
        if let (Some(v), false) = (v, vars.iter().any(|(n, _)| n == k)) {
            vars.push((k.clone(), v.clone()));
        }
    }
    // HAProxy sets HAPROXY_CLI once the configuration is read, so it names the stats sockets of
    // the configuration running now (a reload may have changed them).
    let cli = cli_listeners(&ctx.model.config.global.stats_sockets);
    if !cli.is_empty() {
        match vars.iter_mut().find(|(k, _)| k == "HAPROXY_CLI") {
            Some((_, v)) => *v = cli,
            None => vars.push(("HAPROXY_CLI".into(), cli)),
        }
    }
    let line = |(k, v): &(String, String)| format!("{k}={v}\n");
    match args.get(2).filter(|a| !a.is_empty()) {
        Some(name) => vars
            .iter()
            .find(|(k, _)| k == name)
            .map_or("Variable not found\n".into(), line),
        None => vars.iter().map(line).collect(),
    }
}

fn show_startup_logs(_: &mut Ctx, _: &[String]) -> String {
    crate::logging::startup::text()
}

/// `show cli sockets`: every stats socket with its level; `all` processes, as HAProxy prints
/// for a socket not bound to some of them.
fn show_cli_sockets(ctx: &mut Ctx, _: &[String]) -> String {
    let mut out = String::from("# socket lvl processes\n");
    for s in &ctx.model.config.global.stats_sockets {
        out.push_str(&format!("{} {} all\n", cli_listener(s), s.level.name()));
    }
    out
}

/// `HAPROXY_CLI`'s value: every stats socket as `unix@PATH`, `ipv4@IP:PORT` or
/// `ipv6@[IP]:PORT`, separated by `;`.
fn cli_listeners(sockets: &[StatsSocket]) -> String {
    sockets
        .iter()
        .map(cli_listener)
        .collect::<Vec<_>>()
        .join(";")
}

/// A stats socket as HAProxy names a listener: `unix@PATH`, `ipv4@IP:PORT`, `ipv6@[IP]:PORT`.
fn cli_listener(s: &StatsSocket) -> String {
    match &s.addr {
        ListenAddr::Unix(path) => format!("unix@{}", path.display()),
        ListenAddr::Tcp(addr @ SocketAddr::V4(_)) => format!("ipv4@{addr}"),
        ListenAddr::Tcp(addr @ SocketAddr::V6(_)) => format!("ipv6@{addr}"),
    }
}

fn lower(ctx: &mut Ctx, to: Level) -> String {
    if to > ctx.level {
        return "Permission denied\n".into();
    }
    ctx.level = to;
    String::new()
}

fn lower_operator(ctx: &mut Ctx, _: &[String]) -> String {
    lower(ctx, Level::Operator)
}

fn lower_user(ctx: &mut Ctx, _: &[String]) -> String {
    lower(ctx, Level::User)
}

fn set_timeout(ctx: &mut Ctx, args: &[String]) -> String {
    if args.get(2).map(String::as_str) != Some("cli") {
        return "'set timeout' only supports 'cli'.\n".into();
    }
    let raw = args.get(3).map(String::as_str).unwrap_or("");
    if raw.is_empty() {
        return "Expects an integer value.\n".into();
    }
    match parse_seconds(raw) {
        Some(secs) if secs >= 1 => {
            ctx.timeout = std::time::Duration::from_secs(secs);
            String::new()
        }
        _ => "Invalid timeout value.\n".into(),
    }
}

/// HAProxy's `parse_time_err` with seconds as the default unit: digits and an optional
/// `us|ms|s|m|h|d` suffix, rounded up to whole seconds.
fn parse_seconds(raw: &str) -> Option<u64> {
    let digits = raw.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let n: u64 = raw[..digits].parse().ok()?;
    let (num, den) = match &raw[digits..] {
        "" | "s" => (1, 1),
        "us" => (1, 1_000_000),
        "ms" => (1, 1000),
        "m" => (60, 1),
        "h" => (3600, 1),
        "d" => (86_400, 1),
        _ => return None,
    };
    n.checked_mul(num).map(|v| v.div_ceil(den))
}

#[cfg(test)]
mod tests {
    use super::parse_seconds;

    #[test]
    fn cli_timeouts_take_units_and_round_up_to_seconds() {
        assert_eq!(parse_seconds("5"), Some(5));
        assert_eq!(parse_seconds("2m"), Some(120));
        assert_eq!(parse_seconds("500ms"), Some(1));
        assert_eq!(parse_seconds("0"), Some(0));
        assert_eq!(parse_seconds("10x"), None);
        assert_eq!(parse_seconds("abc"), None);
    }
}
