//! Layer 7: send the `option httpchk` request and judge the response as HAProxy 2.6 does.
//!
//! The response is judged after every read: status rules need only the head, body rules
//! (`string`, `rstring`) are decided as soon as the answer is certain — a match found early
//! ends the check, a mismatch waits for the end of the body (or a full buffer).

use std::io;
use std::sync::atomic::{AtomicU8, Ordering::Relaxed};

use runtime_api::status::CheckStatus;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{timeout_at, Instant};

use super::tcp::strerror;
use crate::config::{Expect, ExpectMatch, ExpectOpts, HttpCheck};

/// HAProxy reads a check response into one buffer (`tune.bufsize`, 16 KiB by default) and
/// judges what it has once that buffer is full; a body beyond it is never seen.
pub const RESPONSE_LIMIT: usize = 16 * 1024;

/// `last_chk` texts of body rules (src/tcpcheck.c).
pub const NO_BODY: &str = "HTTP content check could not find a response body";
pub const NO_MATCH: &str = "HTTP content check did not match";
pub const UNWANTED_MATCH: &str = "HTTP check matched unwanted content";

/// The end of an HTTP check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub status: CheckStatus,
    pub code: Option<u16>,
    pub info: String,
}

impl Verdict {
    fn new(status: CheckStatus, code: Option<u16>, info: impl Into<String>) -> Self {
        Verdict {
            status,
            code,
            info: info.into(),
        }
    }
    fn invalid() -> Self {
        Verdict::new(CheckStatus::L7Rsp, None, "")
    }
}

/// Sends the request and reads until a verdict or `deadline` (`L7TOUT`).
/// `server_running` enables `disable-on-404`, which HAProxy applies only to a server not DOWN.
pub(crate) async fn exchange<S>(
    stream: &mut S,
    check: &HttpCheck,
    server_running: bool,
    deadline: Instant,
) -> Verdict
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let first = check.expect.first().and_then(|r| r.opts.tout_status);
    let tout = Tout::new(first.unwrap_or(CheckStatus::L7Tout));
    match timeout_at(
        deadline,
        exchange_inner(stream, check, server_running, &tout),
    )
    .await
    {
        Ok(verdict) => verdict,
        Err(_) => Verdict::new(tout.get(), None, ""),
    }
}

async fn exchange_inner<S>(
    stream: &mut S,
    check: &HttpCheck,
    server_running: bool,
    tout: &Tout,
) -> Verdict
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let request = check.request_bytes();
    if let Err(e) = write_request(stream, &request).await {
        return socket_error(&e);
    }
    let head_only = check.method.eq_ignore_ascii_case("HEAD");
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        let want = (RESPONSE_LIMIT - buf.len()).min(chunk.len());
        let n = match stream.read(&mut chunk[..want]).await {
            Ok(n) => n,
            // A reset before any byte is an I/O error, not an answer (HAProxy: SOCKERR).
            Err(e) if buf.is_empty() && !is_eof(&e) => return socket_error(&e),
            // After some bytes, or a TLS peer closing without close_notify: judge what came.
            Err(_) => 0,
        };
        buf.extend_from_slice(&chunk[..n]);
        let last_read = n == 0 || buf.len() >= RESPONSE_LIMIT;
        if let Some(verdict) = judge_with(&buf, last_read, head_only, check, server_running, tout) {
            return verdict;
        }
        if last_read {
            // judge() always decides on the last read; this is a safety net.
            return Verdict::invalid();
        }
    }
}

async fn write_request<S: AsyncWrite + Unpin>(stream: &mut S, request: &[u8]) -> io::Result<()> {
    stream.write_all(request).await?;
    stream.flush().await
}

fn is_eof(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::UnexpectedEof
}

fn socket_error(e: &io::Error) -> Verdict {
    Verdict::new(CheckStatus::SockErr, None, strerror(e))
}

/// [`judge`] for callers outside the crate (fuzzing, property tests): the check status and HTTP
/// code a response buffer gives, or None while more bytes are needed.
pub fn judge_response(
    buf: &[u8],
    last_read: bool,
    head_only: bool,
    check: &HttpCheck,
    server_running: bool,
) -> Option<(CheckStatus, Option<u16>)> {
    judge(buf, last_read, head_only, check, server_running).map(|v| (v.status, v.code))
}

/// Judges the bytes received so far; None = wait for more. `last_read` = nothing more will come.
pub(crate) fn judge(
    buf: &[u8],
    last_read: bool,
    head_only: bool,
    check: &HttpCheck,
    server_running: bool,
) -> Option<Verdict> {
    judge_with(
        buf,
        last_read,
        head_only,
        check,
        server_running,
        &Tout::new(CheckStatus::L7Tout),
    )
}

/// [`judge`], noting in `tout` the status a timeout would give now: the `tout-status` of the
/// rule that waits (the first one while the head is incomplete).
fn judge_with(
    buf: &[u8],
    last_read: bool,
    head_only: bool,
    check: &HttpCheck,
    server_running: bool,
    tout: &Tout,
) -> Option<Verdict> {
    let implicit = [Expect {
        negate: false,
        matcher: ExpectMatch::Status(vec![(200, 399)]),
        opts: ExpectOpts::default(),
    }];
    let rules = if check.expect.is_empty() {
        &implicit[..]
    } else {
        &check.expect[..]
    };
    let timeout_status = |rule: &Expect| rule.opts.tout_status.unwrap_or(CheckStatus::L7Tout);
    // An unparsable answer fails the first rule, whose comment it carries.
    let invalid = || {
        let mut v = Verdict::invalid();
        append_comment(&mut v.info, &rules[0]);
        Some(v)
    };
    let head = match parse_head(buf) {
        Head::Incomplete if last_read => return invalid(),
        Head::Incomplete => {
            tout.set(timeout_status(&rules[0]));
            return None;
        }
        Head::Invalid => return invalid(),
        Head::Complete(head) => head,
    };
    let raw_body = &buf[head.len..];
    let body = if head_only || matches!(head.code, 100..=199 | 204 | 304) {
        Body {
            data: Vec::new(),
            complete: true,
        }
    } else {
        match decode_body(&head.framing, raw_body) {
            Some(body) => body,
            None => return Some(Verdict::invalid()),
        }
    };
    let body_done = last_read || body.complete;

    if check.disable_on_404 && server_running && head.code == 404 {
        return Some(Verdict::new(CheckStatus::L7OkC, Some(404), ""));
    }
    for rule in rules {
        match rule_result(rule, &head, &body.data, body_done) {
            RuleResult::Pass => {}
            RuleResult::Wait => {
                tout.set(timeout_status(rule));
                return None;
            }
            RuleResult::Fail(mut verdict) => {
                if let Some(status) = rule.opts.error_status {
                    verdict.status = status;
                }
                // A status chosen by `error-status` may carry the code (L7OKC, L7STS).
                verdict.code = verdict.status.has_code().then_some(head.code);
                append_comment(&mut verdict.info, rule);
                return Some(verdict);
            }
        }
    }
    let last = rules.last().and_then(|r| r.opts.ok_status);
    Some(Verdict::new(
        last.unwrap_or(CheckStatus::L7Ok),
        Some(head.code),
        "",
    ))
}

/// The status a timeout would give now, shared between the reading future and the deadline
/// that may drop it (an atomic: the check's future moves between threads).
pub(crate) struct Tout(AtomicU8);

impl Tout {
    fn new(s: CheckStatus) -> Self {
        let t = Tout(AtomicU8::new(0));
        t.set(s);
        t
    }

    fn set(&self, s: CheckStatus) {
        let i = CheckStatus::ALL.iter().position(|x| *x == s).unwrap_or(0);
        self.0.store(i as u8, Relaxed);
    }

    fn get(&self) -> CheckStatus {
        CheckStatus::ALL
            .get(self.0.load(Relaxed) as usize)
            .copied()
            .unwrap_or(CheckStatus::L7Tout)
    }
}

/// HAProxy ends a failure's text with the failing rule's ` comment: …`.
fn append_comment(info: &mut String, rule: &Expect) {
    if let Some(c) = &rule.opts.comment {
        info.push_str(" comment: ");
        info.push_str(c);
    }
}

enum RuleResult {
    Pass,
    Wait,
    Fail(Verdict),
}

/// One `http-check expect` rule, with HAProxy's waiting and wording (tcpcheck_eval_expect_http).
fn rule_result(rule: &Expect, head: &ResponseHead, body: &[u8], body_done: bool) -> RuleResult {
    let matched = match &rule.matcher {
        ExpectMatch::Status(ranges) => ranges
            .iter()
            .any(|&(lo, hi)| (lo..=hi).contains(&head.code)),
        ExpectMatch::Rstatus(re) => re.is_match(&head.code.to_string()),
        ExpectMatch::String(_) | ExpectMatch::Rstring(_) => {
            if body.is_empty() {
                if !body_done {
                    return RuleResult::Wait;
                }
                return RuleResult::Fail(Verdict::new(CheckStatus::L7Rsp, None, NO_BODY));
            }
            let min_recv = rule.opts.min_recv;
            if !body_done && min_recv.is_some_and(|m| m > 0 && (body.len() as i64) < m) {
                return RuleResult::Wait;
            }
            let found = match &rule.matcher {
                ExpectMatch::String(needle) => contains(body, needle.as_bytes()),
                ExpectMatch::Rstring(re) => re.is_match(&String::from_utf8_lossy(body)),
                _ => false,
            };
            // A missing match may still arrive, unless `min-recv` made the answer final; a
            // present one is final either way.
            if !found && !body_done && min_recv.is_none() {
                return RuleResult::Wait;
            }
            if found != rule.negate {
                return RuleResult::Pass;
            }
            let info = if rule.negate {
                UNWANTED_MATCH
            } else {
                NO_MATCH
            };
            return RuleResult::Fail(Verdict::new(CheckStatus::L7Rsp, None, info));
        }
    };
    if matched != rule.negate {
        RuleResult::Pass
    } else {
        RuleResult::Fail(Verdict::new(
            CheckStatus::L7Sts,
            Some(head.code),
            head.reason.clone(),
        ))
    }
}

/// Whether `needle` occurs in `haystack` (HAProxy's `my_memmem`; an empty needle always does).
pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

#[derive(Debug)]
enum Head {
    Incomplete,
    Invalid,
    Complete(ResponseHead),
}

#[derive(Debug)]
struct ResponseHead {
    code: u16,
    reason: String,
    /// Bytes taken by the status line and headers, including the blank line.
    len: usize,
    framing: Framing,
}

#[derive(Debug)]
enum Framing {
    Length(usize),
    Chunked,
    UntilClose,
}

/// Most header fields HAProxy accepts in a message (`global.tune.max_http_hdr`).
const MAX_HEADERS: usize = 101;

/// Parses the status line by hand — HAProxy accepts codes httparse rejects (`HTTP/1.1 99 Odd`
/// gives L7STS 99) — and the header block with httparse.
fn parse_head(buf: &[u8]) -> Head {
    let Some(eol) = buf.iter().position(|&b| b == b'\n') else {
        return Head::Incomplete;
    };
    let line = buf[..eol].strip_suffix(b"\r").unwrap_or(&buf[..eol]);
    let Some((code, reason)) = parse_status_line(line) else {
        return Head::Invalid;
    };
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let (len, headers) = match httparse::parse_headers(&buf[eol + 1..], &mut headers) {
        Ok(httparse::Status::Complete((len, headers))) => (eol + 1 + len, headers),
        Ok(httparse::Status::Partial) => return Head::Incomplete,
        Err(_) => return Head::Invalid,
    };
    let mut framing = Framing::UntilClose;
    for h in headers.iter() {
        if h.name.eq_ignore_ascii_case("transfer-encoding") {
            if String::from_utf8_lossy(h.value)
                .to_ascii_lowercase()
                .contains("chunked")
            {
                framing = Framing::Chunked;
                break;
            }
        } else if h.name.eq_ignore_ascii_case("content-length") {
            match std::str::from_utf8(h.value)
                .ok()
                .and_then(|v| v.trim().parse().ok())
            {
                Some(n) => framing = Framing::Length(n),
                None => return Head::Invalid,
            }
        }
    }
    Head::Complete(ResponseHead {
        code,
        reason,
        len,
        framing,
    })
}

/// `HTTP/<d>.<d> <code> [<reason>]`.
fn parse_status_line(line: &[u8]) -> Option<(u16, String)> {
    let line = std::str::from_utf8(line).ok()?;
    let (version, rest) = line.split_once(' ')?;
    let v = version.strip_prefix("HTTP/")?.as_bytes();
    if v.len() != 3 || !v[0].is_ascii_digit() || v[1] != b'.' || !v[2].is_ascii_digit() {
        return None;
    }
    let rest = rest.trim_start_matches(' ');
    let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
    if code.is_empty() || code.len() > 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((code.parse().ok()?, reason.trim().to_string()))
}

struct Body {
    data: Vec<u8>,
    /// The framing says the body is whole (HAProxy's end-of-message).
    complete: bool,
}

/// The body received so far, de-chunked; None when the chunk framing is broken.
fn decode_body(framing: &Framing, raw: &[u8]) -> Option<Body> {
    match framing {
        Framing::Length(n) => Some(Body {
            data: raw[..raw.len().min(*n)].to_vec(),
            complete: raw.len() >= *n,
        }),
        Framing::UntilClose => Some(Body {
            data: raw.to_vec(),
            complete: false,
        }),
        Framing::Chunked => dechunk(raw),
    }
}

fn dechunk(mut raw: &[u8]) -> Option<Body> {
    let mut data = Vec::new();
    loop {
        let Some(eol) = raw.iter().position(|&b| b == b'\n') else {
            return Some(Body {
                data,
                complete: false,
            });
        };
        let line = std::str::from_utf8(&raw[..eol])
            .ok()?
            .trim_end_matches('\r');
        let size_text = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).ok()?;
        raw = &raw[eol + 1..];
        if size == 0 {
            // Trailers are not needed to judge the body.
            return Some(Body {
                data,
                complete: true,
            });
        }
        if raw.len() < size {
            data.extend_from_slice(raw);
            return Some(Body {
                data,
                complete: false,
            });
        }
        data.extend_from_slice(&raw[..size]);
        raw = &raw[size..];
        // The CRLF closing the chunk data.
        let skip = if raw.starts_with(b"\r\n") {
            2
        } else if raw.starts_with(b"\n") {
            1
        } else {
            0
        };
        if skip == 0 && !raw.is_empty() && !raw.starts_with(b"\r") {
            return None;
        }
        if skip == 0 {
            return Some(Body {
                data,
                complete: false,
            });
        }
        raw = &raw[skip..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(expect: Vec<Expect>) -> HttpCheck {
        HttpCheck {
            method: "OPTIONS".into(),
            uri: "/".into(),
            version: "HTTP/1.0".into(),
            headers: vec![],
            body: None,
            expect,
            disable_on_404: false,
        }
    }

    fn string(s: &str) -> Vec<Expect> {
        vec![Expect {
            negate: false,
            matcher: ExpectMatch::String(s.into()),
            opts: Default::default(),
        }]
    }

    fn status(v: &Option<Verdict>) -> Option<(CheckStatus, Option<u16>, &str)> {
        v.as_ref().map(|v| (v.status, v.code, v.info.as_str()))
    }

    #[test]
    fn expect_options_choose_status_text_and_waiting() {
        let rule = |matcher, opts| Expect {
            negate: false,
            matcher,
            opts,
        };
        let unavailable = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n";
        let c = check(vec![rule(
            ExpectMatch::Status(vec![(200, 200)]),
            ExpectOpts {
                comment: Some("api".into()),
                error_status: Some(CheckStatus::L7OkC),
                ..ExpectOpts::default()
            },
        )]);
        assert_eq!(
            status(&judge(unavailable, true, false, &c, true)),
            Some((
                CheckStatus::L7OkC,
                Some(503),
                "Service Unavailable comment: api"
            ))
        );
        // `ok-status` of the last rule names the success.
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello";
        let c = check(vec![rule(
            ExpectMatch::String("hello".into()),
            ExpectOpts {
                ok_status: Some(CheckStatus::L6Ok),
                ..ExpectOpts::default()
            },
        )]);
        assert_eq!(
            status(&judge(ok, true, false, &c, true)),
            Some((CheckStatus::L6Ok, Some(200), ""))
        );
        // `min-recv`: wait for that many body bytes, then a mismatch is final.
        let partial = b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\nhel";
        let c = check(vec![rule(
            ExpectMatch::String("zz".into()),
            ExpectOpts {
                min_recv: Some(3),
                tout_status: Some(CheckStatus::L6Tout),
                ..ExpectOpts::default()
            },
        )]);
        assert_eq!(
            status(&judge(partial, false, false, &c, true)),
            Some((CheckStatus::L7Rsp, None, NO_MATCH))
        );
        let tout = Tout::new(CheckStatus::L7Tout);
        assert!(judge_with(b"HTTP/1.1 2", false, false, &c, true, &tout).is_none());
        assert_eq!(tout.get(), CheckStatus::L6Tout);
    }

    #[test]
    fn status_rules_decide_on_the_head_alone() {
        let c = check(vec![]);
        let v = judge(b"HTTP/1.1 301 Moved\r\n\r\n", false, false, &c, true);
        assert_eq!(status(&v), Some((CheckStatus::L7Ok, Some(301), "")));
        let v = judge(
            b"HTTP/1.1 404 Not Found\r\nx: y\r\n\r\n",
            false,
            false,
            &c,
            true,
        );
        assert_eq!(
            status(&v),
            Some((CheckStatus::L7Sts, Some(404), "Not Found"))
        );
        // HAProxy accepts odd codes and a missing reason.
        let v = judge(b"HTTP/1.1 99 Odd\r\n\r\n", false, false, &c, true);
        assert_eq!(status(&v), Some((CheckStatus::L7Sts, Some(99), "Odd")));
        let v = judge(b"HTTP/1.1 503\r\n\r\n", false, false, &c, true);
        assert_eq!(status(&v), Some((CheckStatus::L7Sts, Some(503), "")));
        let v = judge(b"HTTP/1.0 200\r\n\r\n", false, false, &c, true);
        assert_eq!(status(&v), Some((CheckStatus::L7Ok, Some(200), "")));
    }

    #[test]
    fn incomplete_heads_wait_and_broken_ones_fail() {
        let c = check(vec![]);
        assert_eq!(
            judge(b"HTTP/1.1 200 OK\r\nX-A: b\r\n", false, false, &c, true),
            None
        );
        let v = judge(b"HTTP/1.1 200 OK\r\nX-A: b\r\n", true, false, &c, true);
        assert_eq!(status(&v), Some((CheckStatus::L7Rsp, None, "")));
        assert_eq!(
            status(&judge(b"", true, false, &c, true)),
            Some((CheckStatus::L7Rsp, None, ""))
        );
        assert_eq!(
            status(&judge(b"garbage\r\n\r\n", false, false, &c, true)),
            Some((CheckStatus::L7Rsp, None, ""))
        );
    }

    #[test]
    fn body_rules_wait_for_a_mismatch_but_not_for_a_match() {
        let partial = b"HTTP/1.1 200 OK\r\n\r\nhel";
        assert_eq!(
            status(&judge(partial, false, false, &check(string("hel")), true)),
            Some((CheckStatus::L7Ok, Some(200), ""))
        );
        assert_eq!(
            judge(partial, false, false, &check(string("hello")), true),
            None
        );
        let v = judge(partial, true, false, &check(string("hello")), true);
        assert_eq!(status(&v), Some((CheckStatus::L7Rsp, None, NO_MATCH)));
        // Content-Length reached = end of message, even with the connection still open.
        let whole = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello";
        assert_eq!(
            status(&judge(whole, false, false, &check(string("nope")), true)),
            Some((CheckStatus::L7Rsp, None, NO_MATCH))
        );
        let short = b"HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\nhello";
        assert_eq!(
            judge(short, false, false, &check(string("nope")), true),
            None
        );
    }

    #[test]
    fn an_empty_body_is_reported_as_missing() {
        let v = judge(
            b"HTTP/1.1 200 OK\r\n\r\n",
            true,
            false,
            &check(string("x")),
            true,
        );
        assert_eq!(status(&v), Some((CheckStatus::L7Rsp, None, NO_BODY)));
        // HEAD answers have no body whatever Content-Length says.
        let v = judge(
            b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\n",
            false,
            true,
            &check(string("x")),
            true,
        );
        assert_eq!(status(&v), Some((CheckStatus::L7Rsp, None, NO_BODY)));
    }

    #[test]
    fn chunked_bodies_are_decoded_before_matching() {
        let resp = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nhel\r\n2;x=y\r\nlo\r\n0\r\n\r\n";
        assert_eq!(
            status(&judge(resp, false, false, &check(string("hello")), true)),
            Some((CheckStatus::L7Ok, Some(200), ""))
        );
        let cut = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nhel\r\n";
        assert_eq!(
            judge(cut, false, false, &check(string("hello")), true),
            None
        );
        let bad = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n";
        assert_eq!(
            status(&judge(bad, false, false, &check(string("x")), true)),
            Some((CheckStatus::L7Rsp, None, ""))
        );
    }

    #[test]
    fn negated_and_regex_rules() {
        let resp = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 4\r\n\r\nbusy";
        let rule = |negate, matcher| {
            vec![Expect {
                negate,
                matcher,
                opts: ExpectOpts::default(),
            }]
        };
        let re = |s| regex::Regex::new(s).unwrap();
        let v = judge(
            resp,
            false,
            false,
            &check(rule(true, ExpectMatch::Rstatus(re("^5")))),
            true,
        );
        assert_eq!(
            status(&v),
            Some((CheckStatus::L7Sts, Some(503), "Service Unavailable"))
        );
        let v = judge(
            resp,
            false,
            false,
            &check(rule(false, ExpectMatch::Status(vec![(500, 599)]))),
            true,
        );
        assert_eq!(status(&v), Some((CheckStatus::L7Ok, Some(503), "")));
        let v = judge(
            resp,
            false,
            false,
            &check(rule(true, ExpectMatch::Rstring(re("b.sy")))),
            true,
        );
        assert_eq!(status(&v), Some((CheckStatus::L7Rsp, None, UNWANTED_MATCH)));
        let v = judge(
            resp,
            false,
            false,
            &check(rule(true, ExpectMatch::String("idle".into()))),
            true,
        );
        assert_eq!(status(&v), Some((CheckStatus::L7Ok, Some(503), "")));
    }

    #[test]
    fn disable_on_404_only_while_the_server_runs() {
        let mut c = check(vec![]);
        c.disable_on_404 = true;
        let resp = b"HTTP/1.1 404 Not Found\r\n\r\n";
        assert_eq!(
            status(&judge(resp, false, false, &c, true)),
            Some((CheckStatus::L7OkC, Some(404), ""))
        );
        assert_eq!(
            status(&judge(resp, false, false, &c, false)),
            Some((CheckStatus::L7Sts, Some(404), "Not Found"))
        );
    }
}
