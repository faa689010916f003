//! `show stat`: CSV, typed and JSON dumps with HAProxy's filters.

use runtime_api::csv;
use runtime_api::level::Level;

use super::context::Ctx;
use crate::config::values::atoi;
use crate::stats::{self, Options};

pub fn show_stat(ctx: &mut Ctx, args: &[String]) -> String {
    let a = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let mut opts = Options {
        show_legends: ctx.socket_level >= Level::Operator,
        ..Options::default()
    };
    let mut rest = 2;
    if a(2) == "domain" {
        match a(3) {
            "proxy" => rest = 4,
            "resolvers" => return String::new(),
            _ => return "Invalid statistics domain.\n".into(),
        }
    }
    if !a(rest).is_empty() && !a(rest + 1).is_empty() && !a(rest + 2).is_empty() {
        let name = a(rest);
        let iid = match ctx.model.proxies.iter().find(|p| p.name == name) {
            Some(p) => p.id as i64,
            None => atoi(name),
        };
        if iid == 0 {
            return "No such proxy.\n".into();
        }
        opts.iid = (iid > 0).then_some(iid as u32);
        let types = atoi(a(rest + 1));
        opts.types = if types < 0 { 0xF } else { types as u32 };
        let sid = atoi(a(rest + 2));
        opts.sid = (sid >= 0).then_some(sid as u32);
        rest += 3;
    }
    let mut typed = false;
    let mut json = false;
    let mut desc = false;
    for w in args.iter().skip(rest) {
        match w.as_str() {
            "typed" => typed = true,
            "json" => json = true,
            "desc" => desc = true,
            "up" => opts.up_only = true,
            "no-maint" => opts.no_maint = true,
            _ => {}
        }
    }
    // Rows are rendered as they are built: a 10,000-server dump never holds every row at once.
    let mut out = String::with_capacity(4096);
    if json {
        let mut rows = Vec::new();
        stats::for_each_row(&ctx.model, &opts, |r| rows.push(r));
        csv::write_json(&mut out, &rows);
    } else if typed {
        stats::for_each_row(&ctx.model, &opts, |r| {
            csv::write_typed_row(&mut out, &r, desc)
        });
    } else {
        csv::write_header(&mut out);
        stats::for_each_row(&ctx.model, &opts, |r| csv::write_row(&mut out, &r));
    }
    out
}

/// The JSON schema that `show stat json` and `show info json` follow: a fixed document, the
/// one HAProxy 2.6 prints byte for byte (a test checks both that and that our JSON output has
/// every key the schema requires).
const SCHEMA_JSON: &str = include_str!("schema.json");

pub fn show_schema_json(_: &mut Ctx, _: &[String]) -> String {
    SCHEMA_JSON.to_owned()
}
