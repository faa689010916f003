//! The HTML page, laid out like HAProxy 2.6's: process block, colour legend, display options,
//! then one table per proxy (FRONTEND, servers, BACKEND) with HAProxy's column groups, row
//! classes and CSS tooltips. Every figure comes from the `stats::rows` snapshot and the
//! `show info` values; nothing here measures anything itself.

use std::fmt::Write as _;

use runtime_api::fields::idx;
use runtime_api::info::INFO_FIELDS;
use runtime_api::row::{RowKind, StatRow, Value};

use super::admin::{self, Status};
use super::uri::StatsUri;
use crate::config::{ProxyKind, StatsPage};
use crate::logging::time::human_time;
use crate::model::Model;
use crate::stats_socket::info::{PRODUCT, RELEASE_DATE, VERSION};

const STYLE: &str = include_str!("style.css");

/// What the page needs besides the rows.
pub struct PageCtx<'a> {
    pub model: &'a Model,
    pub page: &'a StatsPage,
    pub uri: &'a StatsUri,
    /// `show info` values, in `INFO_FIELDS` order.
    pub info: &'a [Option<Value>],
    /// This client may use the admin form.
    pub admin: bool,
}

pub fn render(ctx: &PageCtx<'_>, rows: &[StatRow]) -> String {
    let mut out = String::with_capacity(16 * 1024 + rows.len() * 2048);
    head(&mut out, ctx);
    process_block(&mut out, ctx);
    if let Some(st) = ctx.uri.st {
        banner(&mut out, ctx, st);
    }
    for p in &ctx.model.proxies {
        let proxy_rows: Vec<&StatRow> = rows.iter().filter(|r| r.iid == p.id).collect();
        if proxy_rows.is_empty() {
            continue;
        }
        let cap = match p.kind {
            ProxyKind::Listen => "proxy",
            ProxyKind::Frontend => "frontend",
            ProxyKind::Backend => "backend",
        };
        let form = ctx.admin && p.backend.as_ref().is_some_and(|b| !b.servers().is_empty());
        let info = ProxyInfo {
            name: &p.name,
            cap,
            mode: p.mode.name(),
            id: p.id,
            form,
        };
        proxy_table(&mut out, ctx, &info, &proxy_rows);
    }
    out.push_str("</body></html>\n");
    out
}

struct ProxyInfo<'a> {
    name: &'a str,
    cap: &'static str,
    mode: &'static str,
    id: u32,
    form: bool,
}

fn info(ctx: &PageCtx<'_>, key: &str) -> String {
    INFO_FIELDS
        .iter()
        .position(|f| f.name == key)
        .and_then(|i| ctx.info.get(i))
        .and_then(|v| v.as_ref())
        .map(|v| v.to_string())
        .unwrap_or_default()
}

fn head(out: &mut String, ctx: &PageCtx<'_>) {
    let node = ctx.model.global.node.as_str();
    let on_node = if ctx.page.show_node && !node.is_empty() {
        format!(" on {}", esc(node))
    } else {
        String::new()
    };
    let _ = write!(
        out,
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\"\n\
         \"http://www.w3.org/TR/html4/loose.dtd\">\n\
         <html><head><title>Statistics Report for {PRODUCT}{on_node}</title>\n\
         <link rel=\"icon\" href=\"data:,\">\n\
         <meta http-equiv=\"content-type\" content=\"text/html; charset=iso-8859-1\">\n\
         <style type=\"text/css\"><!--\n{STYLE}-->\n</style></head>\n"
    );
    let title = if ctx.page.hide_version {
        PRODUCT.to_string()
    } else {
        format!("{PRODUCT} version {VERSION}, released {RELEASE_DATE}")
    };
    let _ = write!(
        out,
        "<body><h1>{title}</h1>\n<h2>Statistics Report for pid {}{on_node}</h2>\n\
         <hr width=\"100%\" class=\"hr\">\n<h3>&gt; General process information</h3>\n",
        info(ctx, "Pid")
    );
}

fn process_block(out: &mut String, ctx: &PageCtx<'_>) {
    let i = |k: &str| info(ctx, k);
    let _ = write!(
        out,
        "<table border=0><tr><td align=\"left\" nowrap width=\"1%\">\n\
         <p><b>pid = </b> {} (process #1, nbproc = 1, nbthread = {})<br>\n\
         <b>uptime = </b> {}<br>\n\
         <b>system limits:</b> memmax = unlimited; ulimit-n = {}<br>\n\
         <b>maxsock = </b> {}; <b>maxconn = </b> {}; <b>maxpipes = </b> 0<br>\n\
         current conns = {}; current pipes = 0/0; conn rate = {}/sec; bit rate = 0.000 kbps<br>\n\
         Running tasks: {}/{}; idle = {} %<br>\n</td>",
        i("Pid"),
        i("Nbthread"),
        i("Uptime"),
        i("Ulimit-n"),
        i("Maxsock"),
        i("Maxconn"),
        i("CurrConns"),
        i("ConnRate"),
        i("Run_queue"),
        i("Tasks"),
        i("Idle_pct"),
    );
    legend(out);
    display_options(out, ctx);
    out.push_str("</tr></table>\n");
}

/// HAProxy's colour legend, cell for cell.
fn legend(out: &mut String) {
    out.push_str(
        "<td align=\"center\" nowrap>\n<table class=\"lgd\"><tr>\n\
         <td class=\"active_up\">&nbsp;</td><td class=\"noborder\">active UP </td><td class=\"backup_up\">&nbsp;</td><td class=\"noborder\">backup UP </td></tr><tr>\n\
         <td class=\"active_going_down\"></td><td class=\"noborder\">active UP, going down </td><td class=\"backup_going_down\"></td><td class=\"noborder\">backup UP, going down </td></tr><tr>\n\
         <td class=\"active_going_up\"></td><td class=\"noborder\">active DOWN, going up </td><td class=\"backup_going_up\"></td><td class=\"noborder\">backup DOWN, going up </td></tr><tr>\n\
         <td class=\"active_down\"></td><td class=\"noborder\">active or backup DOWN &nbsp;</td><td class=\"active_no_check\"></td><td class=\"noborder\">not checked </td></tr><tr>\n\
         <td class=\"maintain\"></td><td class=\"noborder\" colspan=\"3\">active or backup DOWN for maintenance (MAINT) &nbsp;</td></tr><tr>\n\
         <td class=\"active_draining\"></td><td class=\"noborder\" colspan=\"3\">active or backup SOFT STOPPED for maintenance &nbsp;</td></tr></table>\n\
         Note: \"NOLB\"/\"DRAIN\" = UP with load-balancing disabled.</td>",
    );
}

fn display_options(out: &mut String, ctx: &PageCtx<'_>) {
    let base = esc(&ctx.page.uri);
    let u = ctx.uri;
    let scope = u
        .scope
        .as_deref()
        .map(|s| format!(";scope={}", esc(s)))
        .unwrap_or_default();
    let norefresh = if u.norefresh { ";norefresh" } else { "" };
    let up = if u.up { ";up" } else { "" };
    let _ = writeln!(
        out,
        "<td align=\"left\" valign=\"top\" nowrap width=\"1%\"><b>Display option:</b><ul style=\"margin-top: 0.25em;\">\
         <li><form method=\"GET\">Scope : <input value=\"{}\" name=\"scope\" size=\"8\" maxlength=\"20\" tabindex=\"1\"/></form>",
        esc(u.scope.as_deref().unwrap_or(""))
    );
    if u.up {
        let _ = writeln!(
            out,
            "<li><a href=\"{base}{norefresh}{scope}\">Show all servers</a><br>"
        );
    } else {
        let _ = writeln!(
            out,
            "<li><a href=\"{base};up{norefresh}{scope}\">Hide 'DOWN' servers</a><br>"
        );
    }
    if ctx.page.refresh.is_some() {
        if u.norefresh {
            let _ = writeln!(
                out,
                "<li><a href=\"{base}{up}{scope}\">Enable refresh</a><br>"
            );
        } else {
            let _ = writeln!(
                out,
                "<li><a href=\"{base}{up};norefresh{scope}\">Disable refresh</a><br>"
            );
        }
    }
    let _ = write!(
        out,
        "<li><a href=\"{base}{up}{norefresh}{scope}\">Refresh now</a><br>\n\
         <li><a href=\"{base};csv;norefresh{scope}\">CSV export</a><br>\n\
         <li><a href=\"{base};json;norefresh{scope}\">JSON export</a><br>\n\
         </ul></td>"
    );
}

fn banner(out: &mut String, ctx: &PageCtx<'_>, st: Status) {
    let (class, text) = st.banner();
    let _ = writeln!(
        out,
        "<p><div class={class}><a class=lfsb href=\"{}{}\" title=\"Remove this message\">[X]</a> {text}</div>",
        esc(&ctx.page.uri),
        esc(&ctx.uri.keep())
    );
}

const COLUMN_GROUPS: &str = "<th colspan=3>Queue</th><th colspan=3>Session rate</th><th colspan=6>Sessions</th><th colspan=2>Bytes</th><th colspan=2>Denied</th><th colspan=3>Errors</th><th colspan=2>Warnings</th><th colspan=9>Server</th></tr>\n";
const COLUMNS: &str = "<tr class=\"titre\"><th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th><th>Max</th><th>Limit</th><th>Total</th><th>LbTot</th><th>Last</th><th>In</th><th>Out</th><th>Req</th><th>Resp</th><th>Req</th><th>Conn</th><th>Resp</th><th>Retr</th><th>Redis</th><th>Status</th><th>LastChk</th><th>Wght</th><th>Act</th><th>Bck</th><th>Chk</th><th>Dwn</th><th>Dwntme</th><th>Thrtle</th>\n</tr>";

fn proxy_table(out: &mut String, ctx: &PageCtx<'_>, p: &ProxyInfo<'_>, rows: &[&StatRow]) {
    let name = esc(p.name);
    if p.form {
        out.push_str("<form method=\"post\">");
    }
    let _ = write!(
        out,
        "<table class=\"tbl\" width=\"100%\">\n<tr class=\"titre\"><th class=\"pxname\" width=\"10%\"><a name=\"{name}\"></a>"
    );
    if ctx.page.show_legends {
        let _ = write!(
            out,
            "<u><a class=px href=\"#{name}\">{name}</a><div class=tips>cap: {}, mode: {}, id: {}</div></u>",
            p.cap, p.mode, p.id
        );
    } else {
        let _ = write!(out, "<a class=px href=\"#{name}\">{name}</a>");
    }
    out.push_str("</th><th class=\"empty\" width=\"90%\"></th></tr>\n</table>\n");
    out.push_str("<table class=\"tbl\" width=\"100%\">\n<tr class=\"titre\">");
    if p.form {
        out.push_str("<th rowspan=2 width=1></th>");
    } else {
        out.push_str("<th rowspan=2></th>");
    }
    out.push_str("<th rowspan=2></th>");
    out.push_str(COLUMN_GROUPS);
    out.push_str(COLUMNS);
    for r in rows {
        match r.kind {
            RowKind::Frontend => frontend_row(out, p, r),
            RowKind::Server => server_row(out, ctx, p, r),
            RowKind::Backend => backend_row(out, ctx, p, r),
            RowKind::Listener => {}
        }
    }
    out.push_str("</table>");
    if p.form {
        out.push_str("Choose the action to perform on the checked servers : <select name=action>");
        for (value, label) in admin::ACTIONS {
            let _ = write!(out, "<option value=\"{value}\">{label}</option>");
        }
        let _ = write!(
            out,
            "</select><input type=\"hidden\" name=\"b\" value=\"#{}\">&nbsp;<input type=\"submit\" value=\"Apply\"></form>",
            p.id
        );
    }
    out.push_str("<p>\n");
}

/// A cell's text: empty stays empty, numbers get HAProxy's digit grouping.
fn cell(r: &StatRow, i: usize) -> String {
    match r.get(i) {
        Value::Empty => String::new(),
        Value::U32(v) => u2h(*v as u64),
        Value::U64(v) => u2h(*v),
        Value::S32(v) => v.to_string(),
        Value::Str(s) => esc(s),
    }
}

fn num(r: &StatRow, i: usize) -> u64 {
    match r.get(i) {
        Value::U32(v) => *v as u64,
        Value::U64(v) => *v,
        Value::S32(v) => (*v).max(0) as u64,
        _ => 0,
    }
}

/// Number or `-` when the limit is unset (empty or 0).
fn limit(r: &StatRow, i: usize) -> String {
    if num(r, i) == 0 {
        "-".into()
    } else {
        cell(r, i)
    }
}

/// HAProxy's `U2H`: thousands groups after the first are separated by a letter-spaced span.
fn u2h(v: u64) -> String {
    let digits = v.to_string();
    let first = digits.len() % 3;
    let mut out = String::new();
    let groups: Vec<&str> = {
        let mut g = Vec::new();
        if first > 0 {
            g.push(&digits[..first]);
        }
        let mut i = first;
        while i < digits.len() {
            g.push(&digits[i..i + 3]);
            i += 3;
        }
        g
    };
    let last = groups.len().saturating_sub(1);
    for (i, g) in groups.iter().enumerate() {
        if i < last {
            let _ = write!(out, "<span class=\"rls\">{g}</span>");
        } else {
            out.push_str(g);
        }
    }
    out
}

fn tips_table(lines: &[(&str, String)]) -> String {
    let mut s = String::from("<div class=tips><table class=det>");
    for (k, v) in lines {
        let _ = write!(s, "<tr><th>{k}</th><td>{v}</td></tr>");
    }
    s.push_str("</table></div>");
    s
}

fn with_tips(value: String, tips: String) -> String {
    format!("<u>{value}{tips}</u>")
}

fn is_http(r: &StatRow) -> bool {
    r.name(idx::MODE) == "http"
}

fn http_lines(r: &StatRow, lines: &mut Vec<(&'static str, String)>) {
    lines.push(("Cum. HTTP requests:", cell(r, idx::REQ_TOT)));
    lines.push(("- HTTP 1xx responses:", cell(r, idx::HRSP_1XX)));
    lines.push(("- HTTP 2xx responses:", cell(r, idx::HRSP_2XX)));
    lines.push(("- HTTP 3xx responses:", cell(r, idx::HRSP_3XX)));
    lines.push(("- HTTP 4xx responses:", cell(r, idx::HRSP_4XX)));
    lines.push(("- HTTP 5xx responses:", cell(r, idx::HRSP_5XX)));
    lines.push(("- other responses:", cell(r, idx::HRSP_OTHER)));
}

fn times_lines(r: &StatRow, lines: &mut Vec<(&'static str, String)>) {
    lines.push(("Max / Avg over last 1024 success. conn.", String::new()));
    let pair = |max: usize, avg: usize| format!("{} / {} ms", num(r, max), num(r, avg));
    lines.push(("- Queue time:", pair(idx::QTIME_MAX, idx::QTIME)));
    lines.push(("- Connect time:", pair(idx::CTIME_MAX, idx::CTIME)));
    lines.push(("- Total time:", pair(idx::TTIME_MAX, idx::TTIME)));
}

fn anchor(px: &str, obj: &str, label: &str) -> String {
    let a = format!("{}/{}", esc(px), esc(obj));
    format!(
        "<a name=\"{a}\"></a><a class=lfsb href=\"#{a}\">{}</a>",
        esc(label)
    )
}

fn frontend_row(out: &mut String, p: &ProxyInfo<'_>, r: &StatRow) {
    let http = is_http(r);
    let mut cur = vec![
        (
            "Current connection rate:",
            format!("{}/s", num(r, idx::CONN_RATE)),
        ),
        ("Current session rate:", format!("{}/s", num(r, idx::RATE))),
    ];
    let mut max = vec![
        (
            "Max connection rate:",
            format!("{}/s", num(r, idx::CONN_RATE_MAX)),
        ),
        ("Max session rate:", format!("{}/s", num(r, idx::RATE_MAX))),
    ];
    let mut tot = vec![
        ("Cum. connections:", cell(r, idx::CONN_TOT)),
        ("Cum. sessions:", cell(r, idx::STOT)),
    ];
    if http {
        cur.push((
            "Current request rate:",
            format!("{}/s", num(r, idx::REQ_RATE)),
        ));
        max.push((
            "Max request rate:",
            format!("{}/s", num(r, idx::REQ_RATE_MAX)),
        ));
        http_lines(r, &mut tot);
        tot.push(("Intercepted requests:", cell(r, idx::INTERCEPTED)));
    }
    let _ = write!(
        out,
        "<tr class=\"frontend\"><td></td><td class=ac>{}</td><td colspan=3></td>\
         <td>{}</td><td>{}</td><td>{}</td>\
         <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td></td><td></td>\
         <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td></td><td></td><td></td><td></td>\
         <td class=ac>{}</td><td class=ac colspan=8></td></tr>",
        anchor(p.name, "Frontend", "Frontend"),
        with_tips(cell(r, idx::RATE), tips_table(&cur)),
        with_tips(cell(r, idx::RATE_MAX), tips_table(&max)),
        limit(r, idx::RATE_LIM),
        cell(r, idx::SCUR),
        cell(r, idx::SMAX),
        cell(r, idx::SLIM),
        with_tips(cell(r, idx::STOT), tips_table(&tot)),
        cell(r, idx::BIN),
        cell(r, idx::BOUT),
        cell(r, idx::DREQ),
        cell(r, idx::DRESP),
        cell(r, idx::EREQ),
        cell(r, idx::STATUS),
    );
}

/// The row class from the `status` text, HAProxy's `srv_hlt_st` colour choice.
pub fn server_class(status: &str, backup: bool) -> &'static str {
    let side = |active: &'static str, back: &'static str| if backup { back } else { active };
    let transitional = status.contains('/');
    if status.starts_with("MAINT") {
        "maintain"
    } else if status.starts_with("DRAIN") {
        side("active_draining", "backup_draining")
    } else if status == "no check" {
        side("active_no_check", "backup_no_check")
    } else if status.starts_with("DOWN") {
        if transitional {
            side("active_going_up", "backup_going_up")
        } else {
            side("active_down", "backup_down")
        }
    } else if status.starts_with("NOLB") {
        if transitional {
            side("active_going_down", "backup_going_down")
        } else {
            side("active_nolb", "backup_nolb")
        }
    } else if transitional {
        side("active_going_down", "backup_going_down")
    } else {
        side("active_up", "backup_up")
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "Y"
    } else {
        "-"
    }
}

fn resets(r: &StatRow) -> String {
    format!(
        "<u>{}<div class=tips>Connection resets during transfers: {} client, {} server</div></u>",
        cell(r, idx::ERESP),
        num(r, idx::CLI_ABRT),
        num(r, idx::SRV_ABRT)
    )
}

fn server_row(out: &mut String, ctx: &PageCtx<'_>, p: &ProxyInfo<'_>, r: &StatRow) {
    let sv = r.name(idx::SVNAME);
    let status = r.name(idx::STATUS);
    let backup = num(r, idx::BCK) > 0;
    let class = server_class(status, backup);
    let checkbox = if p.form {
        format!(
            "<input class='{}-checkbox' type=\"checkbox\" name=\"s\" value=\"{}\">",
            esc(p.name),
            esc(sv)
        )
    } else {
        String::new()
    };
    let name_cell = match r.get(idx::ADDR) {
        Value::Str(addr) if ctx.page.show_legends => {
            let family = if addr.starts_with('[') {
                "IPv6"
            } else {
                "IPv4"
            };
            format!(
                "<a name=\"{0}/{1}\"></a><u><a class=lfsb href=\"#{0}/{1}\">{1}</a><div class=tips>{family}: {2}, id: {3}</div></u>",
                esc(p.name),
                esc(sv),
                esc(addr),
                r.sid
            )
        }
        _ => anchor(p.name, sv, sv),
    };
    let cur_tips = tips_table(&[
        ("Current active connections:", cell(r, idx::SCUR)),
        ("Current used connections:", cell(r, idx::USED_CONN_CUR)),
        ("Current idle connections:", cell(r, idx::SRV_ICUR)),
        ("- unsafe:", cell(r, idx::IDLE_CONN_CUR)),
        ("- safe:", cell(r, idx::SAFE_CONN_CUR)),
        (
            "Estimated need of connections:",
            cell(r, idx::NEED_CONN_EST),
        ),
        ("Active connections limit:", limit(r, idx::SLIM)),
        ("Idle connections limit:", "-".into()),
    ]);
    let mut tot = vec![("Cum. sessions:", cell(r, idx::STOT))];
    if is_http(r) {
        http_lines(r, &mut tot);
    }
    times_lines(r, &mut tot);
    let status_cell = if status == "no check" {
        "<i>no check</i>".to_string()
    } else {
        format!(
            "{} {}",
            human_time(num(r, idx::LASTCHG) as i64),
            esc(status)
        )
    };
    let lastchk = match r.get(idx::CHECK_STATUS) {
        Value::Str(check) => {
            let mut text = format!(" {}", esc(check));
            if !r.get(idx::CHECK_CODE).is_empty() {
                let _ = write!(text, "/{}", num(r, idx::CHECK_CODE));
            }
            if !r.get(idx::CHECK_DURATION).is_empty() {
                let _ = write!(text, " in {}ms", num(r, idx::CHECK_DURATION));
            }
            let mut tip = esc(r.name(idx::CHECK_DESC));
            let last = r.name(idx::LAST_CHK);
            if !last.is_empty() {
                let _ = write!(tip, ": {}", esc(last));
            }
            format!("<td class=ac><u>{text}<div class=tips>{tip}</div></u></td>")
        }
        _ => "<td></td>".to_string(),
    };
    let checks = if r.get(idx::CHKFAIL).is_empty() {
        "<td colspan=3></td>".to_string()
    } else {
        format!(
            "<td><u>{}<div class=tips>Failed Health Checks</div></u></td><td>{}</td><td>{}</td>",
            cell(r, idx::CHKFAIL),
            cell(r, idx::CHKDOWN),
            human_time(num(r, idx::DOWNTIME) as i64)
        )
    };
    let _ = writeln!(
        out,
        "<tr class=\"{class}\"><td>{checkbox}</td><td class=ac>{name_cell}</td>\
         <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td></td>\
         <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
         <td>{}</td><td>{}</td><td></td><td>{}</td><td></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
         <td class=ac>{status_cell}</td>{lastchk}<td class=ac>{}/{}</td><td class=ac>{}</td><td class=ac>{}</td>\
         {checks}<td class=ac>-</td></tr>",
        cell(r, idx::QCUR),
        cell(r, idx::QMAX),
        limit(r, idx::QLIMIT),
        cell(r, idx::RATE),
        cell(r, idx::RATE_MAX),
        with_tips(cell(r, idx::SCUR), cur_tips),
        cell(r, idx::SMAX),
        limit(r, idx::SLIM),
        with_tips(cell(r, idx::STOT), tips_table(&tot)),
        cell(r, idx::LBTOT),
        human_time(lastsess(r)),
        cell(r, idx::BIN),
        cell(r, idx::BOUT),
        cell(r, idx::DRESP),
        cell(r, idx::ECON),
        resets(r),
        cell(r, idx::WRETR),
        cell(r, idx::WREDIS),
        num(r, idx::WEIGHT),
        num(r, idx::UWEIGHT),
        yes_no(!backup),
        yes_no(backup),
    );
}

fn lastsess(r: &StatRow) -> i64 {
    match r.get(idx::LASTSESS) {
        Value::S32(v) => *v as i64,
        _ => -1,
    }
}

fn backend_row(out: &mut String, ctx: &PageCtx<'_>, p: &ProxyInfo<'_>, r: &StatRow) {
    let name_cell = match r.get(idx::ALGO) {
        Value::Str(algo) if ctx.page.show_legends => format!(
            "<u>{}<div class=tips>balancing: {}</div></u>",
            anchor(p.name, "Backend", "Backend"),
            esc(algo)
        ),
        _ => anchor(p.name, "Backend", "Backend"),
    };
    let mut tot = vec![
        ("Cum. sessions:", cell(r, idx::STOT)),
        ("New connections:", cell(r, idx::CONNECT)),
    ];
    if is_http(r) {
        http_lines(r, &mut tot);
    }
    times_lines(r, &mut tot);
    let downtime = if r.get(idx::DOWNTIME).is_empty() {
        "&nbsp;".to_string()
    } else {
        human_time(num(r, idx::DOWNTIME) as i64)
    };
    let _ = write!(
        out,
        "<tr class=\"backend\"><td></td><td class=ac>{name_cell}</td>\
         <td>{}</td><td>{}</td><td></td><td>{}</td><td>{}</td><td></td>\
         <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
         <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
         <td class=ac>{} {}</td><td class=ac>&nbsp;</td><td class=ac>{}/{}</td><td class=ac>{}</td><td class=ac>{}</td>\
         <td class=ac>&nbsp;</td><td>{}</td><td>{downtime}</td><td></td></tr>",
        cell(r, idx::QCUR),
        cell(r, idx::QMAX),
        cell(r, idx::RATE),
        cell(r, idx::RATE_MAX),
        cell(r, idx::SCUR),
        cell(r, idx::SMAX),
        cell(r, idx::SLIM),
        with_tips(cell(r, idx::STOT), tips_table(&tot)),
        cell(r, idx::LBTOT),
        human_time(lastsess(r)),
        cell(r, idx::BIN),
        cell(r, idx::BOUT),
        cell(r, idx::DREQ),
        cell(r, idx::DRESP),
        cell(r, idx::ECON),
        resets(r),
        cell(r, idx::WRETR),
        cell(r, idx::WREDIS),
        human_time(num(r, idx::LASTCHG) as i64),
        cell(r, idx::STATUS),
        num(r, idx::WEIGHT),
        num(r, idx::UWEIGHT),
        cell(r, idx::ACT),
        cell(r, idx::BCK),
        cell(r, idx::CHKDOWN),
    );
}

/// Minimal HTML escaping for names and texts from the configuration and checks.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u2h_groups_thousands_like_haproxy() {
        assert_eq!(u2h(983), "983");
        assert_eq!(u2h(9983), "<span class=\"rls\">9</span>983");
        assert_eq!(
            u2h(1_234_567),
            "<span class=\"rls\">1</span><span class=\"rls\">234</span>567"
        );
    }

    #[test]
    fn row_classes_follow_the_status_text() {
        assert_eq!(server_class("UP", false), "active_up");
        assert_eq!(server_class("UP 1/3", false), "active_going_down");
        assert_eq!(server_class("DOWN 1/2", true), "backup_going_up");
        assert_eq!(server_class("DOWN", true), "backup_down");
        assert_eq!(server_class("MAINT", false), "maintain");
        assert_eq!(server_class("MAINT (via b/s)", false), "maintain");
        assert_eq!(server_class("DRAIN", false), "active_draining");
        assert_eq!(server_class("no check", false), "active_no_check");
        assert_eq!(server_class("NOLB", true), "backup_nolb");
    }
}
