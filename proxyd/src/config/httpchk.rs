//! `option httpchk` and `http-check`: the HTTP request a check sends and what it expects back.

use super::diag::{Diagnostic, Report};
use super::lexer::Line;
use super::proxy::ProxyDraft;
use super::types::{Expect, ExpectMatch, ExpectOpts, HttpCheck};

#[derive(Debug, Clone, Default)]
pub struct HttpChkDraft {
    /// `option httpchk` seen (inherited from defaults like any option).
    pub enabled: bool,
    pub method: Option<String>,
    pub uri: Option<String>,
    pub version: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub sent: bool,
    pub expect: Vec<Expect>,
    pub disable_on_404: bool,
    /// Line of the first `http-check` rule, to point at when `option httpchk` is missing.
    pub rules_line: Option<usize>,
}

impl HttpChkDraft {
    pub fn build(&self) -> Option<HttpCheck> {
        if !self.enabled {
            return None;
        }
        Some(HttpCheck {
            method: self.method.clone().unwrap_or_else(|| "OPTIONS".into()),
            uri: self.uri.clone().unwrap_or_else(|| "/".into()),
            version: self.version.clone().unwrap_or_else(|| "HTTP/1.0".into()),
            headers: self.headers.clone(),
            body: self.body.clone(),
            expect: self.expect.clone(),
            disable_on_404: self.disable_on_404,
        })
    }
}

/// `option httpchk [<uri>] | [<method> <uri> [<version>]]`. The version may carry extra
/// header lines after `\r\n`, a 1.x habit 2.6 still honours with a deprecation warning.
pub fn option_httpchk(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    let args = &l.words[2..];
    px.tcpchk.enabled = false;
    // HAProxy forgets the protocol check, and no longer warns about tcp-check rules.
    px.tcpchk.proto = None;
    px.tcpchk.unused = false;
    let h = &mut px.httpchk;
    h.enabled = true;
    h.method = None;
    h.uri = None;
    h.version = None;
    h.headers.clear();
    h.body = None;
    match args {
        [] => {}
        [uri] => h.uri = Some(uri.clone()),
        [meth, uri] => {
            h.method = Some(meth.clone());
            h.uri = Some(uri.clone());
        }
        [meth, uri, ver, ..] => {
            h.method = Some(meth.clone());
            h.uri = Some(uri.clone());
            let mut parts = ver.split("\r\n");
            h.version = parts.next().map(str::to_string);
            let extra: Vec<&str> = parts.collect();
            if !extra.is_empty() {
                r.push(
                    Diagnostic::warning(
                        l.file(),
                        l.number,
                        "option",
                        "'option httpchk' : hiding headers or body at the end of the version string is deprecated. Please, consider to use 'http-check send' directive instead.",
                    )
                    .tight(),
                );
            }
            let mut in_body = false;
            let mut body = Vec::new();
            for line in extra {
                if in_body {
                    body.push(line);
                } else if line.is_empty() {
                    in_body = true;
                } else if let Some((name, value)) = line.split_once(':') {
                    h.headers
                        .push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
                } else {
                    r.alert(
                        l,
                        format!("'option httpchk' : invalid header line '{line}'."),
                    );
                }
            }
            if !body.is_empty() {
                h.body = Some(body.join("\r\n"));
            }
        }
    }
}

pub fn http_check(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    px.httpchk.rules_line.get_or_insert(l.number);
    match l.arg(1) {
        "send" => send(&mut px.httpchk, l, r),
        "expect" => expect(&mut px.httpchk, l, r),
        "disable-on-404" => px.httpchk.disable_on_404 = true,
        "send-state" | "comment" => r.ignored(l, &format!("http-check {}", l.arg(1))),
        a if a.starts_with("set-var") || a.starts_with("unset-var") => {
            r.ignored(l, &format!("http-check {a}"))
        }
        "connect" => r.unsupported(
            l,
            "http-check connect",
            "checks connect to the server (or its 'addr'/'port') as configured on the server line",
        ),
        other => r.alert(
            l,
            format!("'http-check' only supports 'disable-on-404', 'send-state', 'comment', 'connect', 'send', 'expect', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got '{other}'"),
        ),
    }
}

fn send(h: &mut HttpChkDraft, l: &Line, r: &mut Report) {
    if h.sent {
        return r.unsupported(
            l,
            "http-check send",
            "a check sends a single request, and one 'http-check send' already describes it",
        );
    }
    h.sent = true;
    let mut i = 2;
    while i < l.words.len() {
        let kw = l.arg(i);
        let val = l.arg(i + 1);
        let needs = |r: &mut Report, what: &str| {
            r.alert(
                l,
                format!("'http-check send' : '{kw}' expects {what} as argument."),
            );
        };
        match kw {
            "meth" | "uri" | "ver" | "body" | "comment" | "uri-lf" | "body-lf" if val.is_empty() => {
                return needs(r, "a value")
            }
            "meth" => h.method = Some(val.to_string()),
            "uri" => h.uri = Some(val.to_string()),
            "ver" => h.version = Some(val.to_string()),
            "body" => h.body = Some(val.to_string()),
            "comment" => {}
            "uri-lf" | "body-lf" if val.contains('%') => {
                return r.unsupported(l, &format!("http-check send {kw}"), "log-format expressions are not evaluated; use 'uri' or 'body'")
            }
            "uri-lf" => h.uri = Some(val.to_string()),
            "body-lf" => h.body = Some(val.to_string()),
            "hdr" => {
                let value = l.arg(i + 2);
                if val.is_empty() || l.words.len() <= i + 2 {
                    return needs(r, "<name> and <fmt>");
                }
                h.headers.push((val.to_ascii_lowercase(), value.to_string()));
                i += 3;
                continue;
            }
            other => {
                return r.alert(
                    l,
                    format!("'http-check send' : expects 'comment', 'meth', 'uri', 'uri-lf', 'ver', 'hdr', 'body' or 'body-lf' but got '{other}' as argument.."),
                )
            }
        }
        i += 2;
    }
}

/// `http-check expect [options] [!] <match> <pattern> [options]`: HAProxy reads the options
/// wherever they stand on the line.
fn expect(h: &mut HttpChkDraft, l: &Line, r: &mut Report) {
    let mut negate = false;
    let mut opts = ExpectOpts::default();
    let mut matcher = None;
    let mut i = 2;
    loop {
        let (kw, val) = (l.arg(i), l.arg(i + 1));
        if kw.is_empty() && matcher.is_some() {
            break;
        }
        match expect_option(kw, val, &mut opts) {
            Ok(Opt::Taken) => {
                i += 2;
                continue;
            }
            Ok(Opt::Ignored) => {
                r.warn(
                    l,
                    format!("'http-check expect' : '{kw}' is ignored by proxyd."),
                );
                i += 2;
                continue;
            }
            Ok(Opt::NotAnOption) => {}
            Err(msg) => return r.alert(l, format!("'http-check expect' : {msg}")),
        }
        if kw == "!" {
            negate = true;
            i += 1;
            continue;
        }
        // A second pattern is refused as such; any other word as an unknown kind.
        let kinds = [
            "status",
            "rstatus",
            "string",
            "rstring",
            "hdr",
            "fhdr",
            "string-lf",
            "rstring-lf",
        ];
        if matcher.is_some() && kinds.contains(&kw) {
            return r.alert(l, "'http-check expect' : only on pattern expected.");
        }
        match expect_matcher(kw, val) {
            Ok(m) => matcher = Some(m),
            Err(Refusal::Alert(msg)) => return r.alert(l, msg),
            Err(Refusal::Unsupported) => {
                return r.unsupported(
                    l,
                    &format!("http-check expect {kw}"),
                    "only 'status', 'rstatus', 'string' and 'rstring' are matched",
                )
            }
        }
        i += 2;
    }
    let Some(matcher) = matcher else { return };
    h.expect.push(Expect {
        negate,
        matcher,
        opts,
    });
}

enum Opt {
    Taken,
    /// Valid for HAProxy, no effect on the outcome here.
    Ignored,
    NotAnOption,
}

fn expect_option(kw: &str, val: &str, opts: &mut ExpectOpts) -> Result<Opt, String> {
    let known = matches!(
        kw,
        "min-recv"
            | "comment"
            | "ok-status"
            | "error-status"
            | "tout-status"
            | "on-success"
            | "on-error"
            | "status-code"
    );
    if !known {
        return Ok(Opt::NotAnOption);
    }
    if val.is_empty() {
        let what = match kw {
            "min-recv" => "an integer",
            "status-code" => "an expression",
            _ => "a string",
        };
        return Err(format!("'{kw}' expects {what} as argument."));
    }
    match kw {
        "min-recv" => opts.min_recv = Some(super::values::atoi(val)),
        "comment" => opts.comment = Some(val.to_string()),
        "ok-status" => opts.ok_status = Some(super::tcpchk::expect_status(kw, val)?),
        "error-status" => opts.error_status = Some(super::tcpchk::expect_status(kw, val)?),
        "tout-status" => opts.tout_status = Some(super::tcpchk::expect_status(kw, val)?),
        // Log-format texts and codes: the check's outcome is the same without them.
        _ => return Ok(Opt::Ignored),
    }
    Ok(Opt::Taken)
}

enum Refusal {
    Alert(String),
    Unsupported,
}

fn expect_matcher(kind: &str, pattern: &str) -> Result<ExpectMatch, Refusal> {
    let alert = |m: String| Refusal::Alert(m);
    match kind {
        "status" | "rstatus" | "string" | "rstring" if pattern.is_empty() => Err(alert(format!(
            "'http-check expect' : '{kind}' expects a <pattern> as argument."
        ))),
        "status" => status_ranges(pattern).map(ExpectMatch::Status).ok_or_else(|| {
            alert(format!(
                "'http-check expect' : invalid status code list '{pattern}'."
            ))
        }),
        "string" => Ok(ExpectMatch::String(pattern.to_string())),
        "rstatus" | "rstring" => match regex::Regex::new(pattern) {
            Ok(re) if kind == "rstatus" => Ok(ExpectMatch::Rstatus(re)),
            Ok(re) => Ok(ExpectMatch::Rstring(re)),
            Err(e) => Err(alert(format!(
                "'http-check expect' : regex '{pattern}' is invalid ({}).",
                regex_reason(&e)
            ))),
        },
        "hdr" | "fhdr" | "string-lf" | "rstring-lf" => Err(Refusal::Unsupported),
        other => Err(alert(format!(
            "'http-check expect' : 'only supports min-recv, [!]string', '[!]rstring', '[!]string-lf', '[!]status', '[!]rstatus', [!]hdr, [!]fhdr or comment but got '{other}' as argument.."
        ))),
    }
}

/// `200`, `200-399`, `200,302,400-499`.
fn status_ranges(s: &str) -> Option<Vec<(u16, u16)>> {
    s.split(',')
        .map(|part| {
            let (lo, hi) = part.split_once('-').unwrap_or((part, part));
            let lo: u16 = lo.parse().ok()?;
            let hi: u16 = hi.parse().ok()?;
            (lo <= hi).then_some((lo, hi))
        })
        .collect()
}

pub(super) fn regex_reason(e: &regex::Error) -> String {
    // The regex crate's message spans several lines; the last one names the problem.
    e.to_string()
        .lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or("invalid")
        .trim_start_matches("error: ")
        .to_string()
}
