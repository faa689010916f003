//! `option tcp-check`: a backend's rules run in order — connect, send, expect — as HAProxy
//! 2.6's `tcpcheck_main` runs them, with its statuses and `last_chk` texts.
//!
//! What HAProxy does and this follows: a `connect` closes the previous connection and starts
//! with empty buffers; a `send` empties the input buffer; an `expect` reads when the previous
//! rule was a connect or a send, then judges everything received since, waiting for more while
//! the answer may still come (until the end of the data, a full buffer or `min-recv`); when an
//! expect must wait, the chain of consecutive expects it belongs to is judged again from its
//! first rule once more bytes arrived. Errors name the step (`at step 2 of tcp-check (expect
//! string '+PONG')`), and success reads `(tcp-check)`.
//!
//! The protocol checks (`option redis-check`…) run here too, as in HAProxy: their texts come
//! from their rules' `on-error`/`on-success` or are empty, connection errors name no step, and
//! MySQL's and LDAP's answers are read by their own parsers (`custom`).

use crate::counted_io::Sent;
use std::net::SocketAddr;
use std::sync::Arc;

use runtime_api::status::CheckStatus;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{timeout_at, Instant};

use super::http::{contains, RESPONSE_LIMIT};
use super::tcp::{self, strerror, ConnectError};
use super::tls::{self, HandshakeError};
use crate::config::{
    CheckSpec, CheckText, CustomExpect, TcpCheck, TcpCheckAction, TcpCheckRule, TcpConnect,
    TcpExpect, TcpPattern,
};
use crate::model::counters::Handshakes;

/// HAProxy keeps a check's text in 128 bytes with its NUL (`HCHK_DESC_LEN`).
const DESC_MAX: usize = 127;

/// The end of a tcp-check.
pub(crate) struct Verdict {
    pub status: CheckStatus,
    pub code: Option<u16>,
    pub info: String,
    pub detail: Option<String>,
}

impl Verdict {
    fn new(status: CheckStatus, info: impl Into<String>) -> Self {
        Verdict {
            status,
            code: None,
            info: info.into(),
            detail: None,
        }
    }
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// One connection of the check and what it has received since the last connect or send.
struct Conn {
    io: Box<dyn Io>,
    tls: bool,
    input: Vec<u8>,
    /// The server ended its side (or an error followed some data): nothing more will come.
    ended: bool,
}

/// How a rule's evaluation went.
enum Step {
    Next,
    /// An expect needs more bytes.
    Wait,
    Stop(Verdict),
}

/// The client configuration for connects that use TLS, and the tally of their handshakes.
pub(crate) struct TlsClient<'a> {
    pub config: Option<&'a Arc<rustls::ClientConfig>>,
    pub handshakes: &'a mut Handshakes,
}

/// Runs `rules` against `target`.
pub(crate) async fn run(
    spec: &CheckSpec,
    rules: &TcpCheck,
    target: SocketAddr,
    mut tls: TlsClient<'_>,
) -> Verdict {
    let check_timeout = spec.timeout_check.filter(|t| !t.is_zero());
    // Only the configuration's own rules name their step in connection errors and timeouts.
    let plain = rules.protocol.is_none();
    let mut conn: Option<Conn> = None;
    let mut deadline = Instant::now() + spec.inter;
    // The last rule that was started (comments do not count), as HAProxy's `current_step`.
    let mut current: Option<&TcpCheckRule> = None;
    let mut must_read = true;
    let mut i = 0;
    while let Some(rule) = rules.rules.get(i) {
        let step = match &rule.action {
            TcpCheckAction::Comment => Step::Next,
            TcpCheckAction::Connect(c) => {
                current = Some(rule);
                drop(conn.take());
                let now = Instant::now();
                let mut connect_by = now + spec.inter;
                if let (Some(_), Some(t)) = (check_timeout, spec.timeout_connect) {
                    connect_by = connect_by.min(now + t);
                }
                match open(spec, c, rule, plain, target, &mut tls, connect_by).await {
                    Ok(new) => {
                        conn = Some(new);
                        deadline = match check_timeout {
                            Some(t) => Instant::now() + t,
                            None => connect_by,
                        };
                        must_read = true;
                        Step::Next
                    }
                    Err(v) => Step::Stop(v),
                }
            }
            TcpCheckAction::Send(data) => {
                current = Some(rule);
                must_read = true;
                match conn.as_mut() {
                    Some(c) => send(c, data, rule, plain, deadline).await,
                    None => Step::Stop(no_connection(rule)),
                }
            }
            TcpCheckAction::SendTimed { bytes, time_at } => {
                current = Some(rule);
                must_read = true;
                let data = with_unix_time(bytes, *time_at);
                match conn.as_mut() {
                    Some(c) => send(c, &data, rule, plain, deadline).await,
                    None => Step::Stop(no_connection(rule)),
                }
            }
            TcpCheckAction::Expect(e) => {
                current = Some(rule);
                let Some(c) = conn.as_mut() else {
                    return no_connection(rule);
                };
                let mut step = if must_read {
                    must_read = false;
                    receive(c, e, rule, plain, deadline).await
                } else {
                    Step::Next
                };
                if matches!(step, Step::Next) {
                    step = judge(e, rule, plain, &c.input, c.ended);
                }
                if matches!(step, Step::Wait) {
                    match receive(c, e, rule, plain, deadline).await {
                        Step::Next | Step::Wait => {
                            i = chain_head(rules, i);
                            continue;
                        }
                        stop => stop,
                    }
                } else {
                    step
                }
            }
        };
        match step {
            Step::Next => i += 1,
            // Only expects wait, and they resolved it above.
            Step::Wait => i += 1,
            Step::Stop(v) => return v,
        }
    }
    success(current, plain, conn.as_ref())
}

/// `bytes` with the current Unix time, big-endian, over the 4 bytes at `at`.
fn with_unix_time(bytes: &[u8], at: usize) -> Vec<u8> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as u32);
    let mut data = bytes.to_vec();
    if let Some(slot) = data.get_mut(at..at + 4) {
        slot.copy_from_slice(&now.to_be_bytes());
    }
    data
}

/// The first expect of the run of consecutive expects (comments between them included) that
/// ends at `i`: where HAProxy resumes once more bytes arrived.
fn chain_head(rules: &TcpCheck, i: usize) -> usize {
    let mut head = i;
    for j in (0..i).rev() {
        match rules.rules[j].action {
            TcpCheckAction::Expect(_) => head = j,
            TcpCheckAction::Comment => {}
            _ => break,
        }
    }
    head
}

/// The verdict when every rule passed, from the last rule run.
fn success(current: Option<&TcpCheckRule>, plain: bool, conn: Option<&Conn>) -> Verdict {
    let passed = |status| Verdict {
        status,
        code: Some(0),
        info: if plain {
            "(tcp-check)".into()
        } else {
            String::new()
        },
        detail: None,
    };
    let input = conn.map_or(&[][..], |c| &c.input[..]);
    match current.map(|r| &r.action) {
        Some(TcpCheckAction::Expect(e)) => {
            let mut v = passed(e.ok_status.unwrap_or(CheckStatus::L7Ok));
            if let Some(text) = &e.on_success {
                v.info = check_text(text, input);
            }
            v.code = Some(status_code(e, input).unwrap_or(0));
            v
        }
        Some(TcpCheckAction::Connect(c)) => {
            let status = match conn.is_some_and(|c| c.tls) {
                true => CheckStatus::L6Ok,
                false => CheckStatus::L4Ok,
            };
            Verdict::new(status, if c.implicit { "" } else { "(tcp-check)" })
        }
        _ => passed(CheckStatus::L7Ok),
    }
}

/// A rule that needs a connection when none is open cannot happen with a ruleset that starts
/// with a connect (the parser and the implicit connect see to it); reported, never panicked.
fn no_connection(rule: &TcpCheckRule) -> Verdict {
    Verdict::new(
        CheckStatus::SockErr,
        format!("TCPCHK no connection at step {}", rule.step),
    )
}

async fn open(
    spec: &CheckSpec,
    c: &TcpConnect,
    rule: &TcpCheckRule,
    plain: bool,
    target: SocketAddr,
    tls: &mut TlsClient<'_>,
    connect_by: Instant,
) -> Result<Conn, Verdict> {
    let addr = SocketAddr::new(target.ip(), c.port.unwrap_or(target.port()));
    let where_ = step_text(rule, plain);
    let tcp = match tcp::connect(addr, connect_by).await {
        Ok(s) => Sent(s),
        Err(ConnectError::Timeout) => return Err(Verdict::new(CheckStatus::L4Tout, where_)),
        Err(ConnectError::Refused(e)) => {
            return Err(Verdict::new(
                CheckStatus::L4Con,
                format!("{}{where_}", strerror(&e)),
            ))
        }
        Err(ConnectError::Socket(e)) => {
            let mut v = Verdict::new(CheckStatus::SockErr, format!("{}{where_}", strerror(&e)));
            v.detail = Some(format!("local socket for {addr}: {e}"));
            return Err(v);
        }
    };
    let use_tls = c.ssl || c.default && spec.tls.is_some();
    if !use_tls {
        return Ok(Conn::new(Box::new(tcp), false));
    }
    let Some(config) = tls.config else {
        let mut v = Verdict::new(CheckStatus::SockErr, where_);
        v.detail = Some("TLS is asked for but no TLS client configuration was built".into());
        return Err(v);
    };
    let sni = c.sni.as_deref().or_else(|| {
        c.default
            .then(|| spec.tls.as_ref().and_then(|t| t.sni.as_deref()))
            .flatten()
    });
    let name = tls::server_name(sni, addr).map_err(|e| {
        let mut v = Verdict::new(CheckStatus::SockErr, where_.clone());
        v.detail = Some(e);
        v
    })?;
    match tls::handshake(tcp, Arc::clone(config), name, connect_by, tls.handshakes).await {
        Ok(stream) => Ok(Conn::new(Box::new(stream), true)),
        Err(HandshakeError::Timeout) => Err(Verdict::new(CheckStatus::L6Tout, where_)),
        Err(HandshakeError::Failed { info, detail }) => {
            let mut v = Verdict::new(CheckStatus::L6Rsp, format!("{info}{where_}"));
            v.detail = Some(detail);
            Err(v)
        }
    }
}

impl Conn {
    fn new(io: Box<dyn Io>, tls: bool) -> Self {
        Conn {
            io,
            tls,
            input: Vec::new(),
            ended: false,
        }
    }
}

async fn send(
    c: &mut Conn,
    data: &[u8],
    rule: &TcpCheckRule,
    plain: bool,
    deadline: Instant,
) -> Step {
    c.input.clear();
    if data.len() >= RESPONSE_LIMIT {
        return Step::Stop(Verdict::new(
            CheckStatus::L7Rsp,
            format!(
                "tcp-check send : string too large ({}) for buffer size ({RESPONSE_LIMIT}) at step {}",
                data.len(),
                rule.step
            ),
        ));
    }
    let write = async {
        c.io.write_all(data).await?;
        c.io.flush().await
    };
    match timeout_at(deadline, write).await {
        Ok(Ok(())) => Step::Next,
        Ok(Err(e)) => Step::Stop(Verdict::new(
            CheckStatus::SockErr,
            format!("{}{}", strerror(&e), step_text(rule, plain)),
        )),
        Err(_) => Step::Stop(Verdict::new(CheckStatus::L7Tout, step_text(rule, plain))),
    }
}

/// One read for an expect (HAProxy's `tcpcheck_eval_recv`): appends what arrived, notes the
/// end of the data, and reports a timeout, a connection error before any byte, or an empty
/// answer.
async fn receive(
    c: &mut Conn,
    e: &TcpExpect,
    rule: &TcpCheckRule,
    plain: bool,
    deadline: Instant,
) -> Step {
    let mut got = 0;
    if !c.ended && c.input.len() < RESPONSE_LIMIT {
        let mut chunk = [0u8; 4096];
        let want = (RESPONSE_LIMIT - c.input.len()).min(chunk.len());
        match timeout_at(deadline, c.io.read(&mut chunk[..want])).await {
            Err(_) => {
                let status = e.tout_status.unwrap_or(CheckStatus::L7Tout);
                return Step::Stop(Verdict::new(status, step_text(rule, plain)));
            }
            Ok(Ok(0)) => c.ended = true,
            Ok(Ok(n)) => {
                c.input.extend_from_slice(&chunk[..n]);
                got = n;
            }
            // A TLS peer closing without close_notify ends the data like a FIN.
            Ok(Err(err)) if err.kind() == std::io::ErrorKind::UnexpectedEof => c.ended = true,
            // A reset right after the last bytes is common: judge what came.
            Ok(Err(_)) if !c.input.is_empty() => c.ended = true,
            Ok(Err(err)) => {
                return Step::Stop(Verdict::new(
                    CheckStatus::SockErr,
                    format!("{}{}", strerror(&err), step_text(rule, plain)),
                ))
            }
        }
    }
    if got == 0 && c.ended && c.input.is_empty() {
        let mut info = format!("TCPCHK got an empty response at step {}", rule.step);
        if let Some(comment) = &rule.comment {
            info.push_str(&format!(" comment: '{comment}'"));
        }
        let status = e.error_status.unwrap_or(CheckStatus::L7Rsp);
        let mut v = Verdict::new(status, info);
        // Shown only with the statuses that have one (an `error-status L7STS`).
        v.code = Some(0);
        return Step::Stop(v);
    }
    Step::Next
}

/// HAProxy's `tcpcheck_eval_expect` on the bytes received so far.
fn judge(e: &TcpExpect, rule: &TcpCheckRule, plain: bool, input: &[u8], ended: bool) -> Step {
    let last_read = ended || input.len() >= RESPONSE_LIMIT;
    if !last_read {
        let literal = match &e.pattern {
            TcpPattern::String(p) | TcpPattern::Binary(p) => p.len(),
            _ => 0,
        };
        if input.len() < literal || e.min_recv > 0 && (input.len() as i64) < e.min_recv {
            return Step::Wait;
        }
    }
    let matched = match &e.pattern {
        TcpPattern::String(p) | TcpPattern::Binary(p) => contains(input, p),
        // HAProxy hands the regex at most one byte less than the buffer.
        TcpPattern::Rstring(re) => re.is_match(&input[..input.len().min(RESPONSE_LIMIT - 1)]),
        TcpPattern::Rbinary(re) => re.is_match(&upper_hex(input)),
        TcpPattern::Custom(custom) => return custom_expect(*custom, e, input, last_read),
    };
    if !matched && !last_read && e.min_recv == -1 {
        return Step::Wait;
    }
    if matched != e.negate {
        return Step::Next;
    }
    let status = e.error_status.unwrap_or(CheckStatus::L7Rsp);
    if e.on_error.is_some() || !plain {
        let info = e.on_error.as_ref().map(|t| check_text(t, input));
        return Step::Stop(failed(e, status, info.unwrap_or_default(), input));
    }
    let mut info = String::from(match matched {
        true => "TCPCHK matched unwanted content",
        false => "TCPCHK did not match content",
    });
    match &e.pattern {
        TcpPattern::String(p) => info.push_str(&format!(" '{}'", c_text(p))),
        TcpPattern::Binary(_) => info.push_str(" (binary)"),
        TcpPattern::Rstring(_) => info.push_str(" (regex)"),
        TcpPattern::Rbinary(_) => info.push_str(" (binary regex)"),
        TcpPattern::Custom(_) => info.push_str(" (custom function)"),
    }
    info.push_str(&format!(" at step {}", rule.step));
    if let Some(comment) = &rule.comment {
        info.push_str(" comment: ");
        info.push_str(comment);
    }
    Step::Stop(failed(e, status, info, input))
}

/// A failed expect of a protocol check: its text, and the code its `status-code` reads (0 when
/// it has none, as HAProxy resets the code when a check starts).
fn failed(e: &TcpExpect, status: CheckStatus, info: String, input: &[u8]) -> Verdict {
    Verdict {
        status,
        code: Some(status_code(e, input).unwrap_or(0)),
        info,
        detail: None,
    }
}

/// A [`CheckText`] evaluated on what was received, as HAProxy's log-format writes it into the
/// check's text: cut at the first NUL and at [`DESC_MAX`] bytes.
fn check_text(text: &CheckText, input: &[u8]) -> String {
    match text {
        CheckText::Fixed(s) => s.clone(),
        &CheckText::Payload {
            from,
            ltrim_spaces,
            cut_crlf,
        } => {
            let mut bytes = input.get(from..).unwrap_or_default();
            if ltrim_spaces {
                let start = bytes.iter().position(|&b| b != b' ').unwrap_or(bytes.len());
                bytes = &bytes[start..];
            }
            if cut_crlf {
                let end = bytes
                    .iter()
                    .position(|&b| b == b'\r' || b == b'\n')
                    .unwrap_or(bytes.len());
                bytes = &bytes[..end];
            }
            desc(bytes)
        }
    }
}

/// Bytes from the server as a check's text: up to the first NUL, at most [`DESC_MAX`] bytes.
fn desc(bytes: &[u8]) -> String {
    let text = c_text(bytes);
    let mut end = text.len().min(DESC_MAX);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// `status-code res.payload(FROM,LEN)`: those bytes read as a decimal number.
fn status_code(e: &TcpExpect, input: &[u8]) -> Option<u16> {
    let (from, len) = e.status_code?;
    let bytes = input.get(from..from.checked_add(len)?)?;
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

/// HAProxy's `tcpcheck_mysql_expect_*` and `tcpcheck_ldap_expect_bindrsp`. A success only
/// lets the next rule run: the last rule's success is reported by [`success`].
fn custom_expect(custom: CustomExpect, e: &TcpExpect, input: &[u8], last_read: bool) -> Step {
    let byte = |i: usize| input.get(i).copied().unwrap_or(0);
    let le =
        |at: usize, n: usize| (0..n).fold(0usize, |v, i| v | (byte(at + i) as usize) << (8 * i));
    let be = |at: usize, n: usize| (0..n).fold(0usize, |v, i| v << 8 | byte(at + i) as usize);
    let stop = |status, code: u16, info: &[u8]| {
        let mut v = failed(e, status, desc(info), input);
        v.code = Some(code);
        Step::Stop(v)
    };
    let too_short = || match last_read {
        false => Step::Wait,
        true => stop(CheckStatus::L7Rsp, 0, b""),
    };
    match custom {
        CustomExpect::MysqlHandshake | CustomExpect::MysqlOk => {
            let offset = match custom {
                CustomExpect::MysqlOk => 4 + le(0, 3),
                _ => 0,
            };
            if input.len() < offset + 4 || input.len() < offset + le(offset, 3) + 4 {
                return too_short();
            }
            // An error packet: 0xff, a 2-byte code, then the message.
            if byte(offset + 4) == 0xff {
                let info = input.get(offset + 7..).unwrap_or_default();
                return stop(CheckStatus::L7Sts, le(offset + 5, 2) as u16, info);
            }
            Step::Next
        }
        CustomExpect::LdapBindResponse => {
            let not_ldap = || stop(CheckStatus::L7Rsp, 0, b"Not LDAPv3 protocol");
            if input.len() < 2 {
                return too_short();
            }
            // The LDAPMessage's length: short form, or long form on 2 or 4 bytes.
            let (nbytes, len) = match byte(1) {
                b if b & 0x80 == 0 => (0, b as usize),
                b => {
                    let n = (b & 0x7f) as usize;
                    if input.len() < 1 + n {
                        return too_short();
                    }
                    match n {
                        2 | 4 => (n, be(2, n)),
                        _ => return not_ldap(),
                    }
                }
            };
            if input.len() < 2 + nbytes + len {
                return too_short();
            }
            // messageID 1, then a bindResponse.
            let mut at = 2 + nbytes;
            if input.get(at..at + 4) != Some(b"\x02\x01\x01\x61") {
                return not_ldap();
            }
            at += 4;
            at += 1 + match byte(at) {
                b if b & 0x80 != 0 => (b & 0x7f) as usize,
                _ => 0,
            };
            // The resultCode, an ENUMERATED.
            if input.get(at..at + 2) != Some(b"\x0a\x01") {
                return not_ldap();
            }
            match byte(at + 2) {
                0 => Step::Next,
                code => stop(
                    CheckStatus::L7Sts,
                    code as u16,
                    b"See RFC: http://tools.ietf.org/html/rfc4511#section-4.1.9",
                ),
            }
        }
    }
}

/// Where a check failed, as HAProxy appends it to the error (`chk_report_conn_err`), with
/// its leading space; nothing for a protocol check.
fn step_text(rule: &TcpCheckRule, plain: bool) -> String {
    if !plain {
        return String::new();
    }
    if rule.step == 0 {
        return " at initial connection step of tcp-check".into();
    }
    let mut s = format!(" at step {} of tcp-check", rule.step);
    match &rule.action {
        TcpCheckAction::Connect(c) => match c.port {
            Some(p) => s.push_str(&format!(" (connect port {p})")),
            None => s.push_str(" (connect)"),
        },
        TcpCheckAction::Expect(e) => match &e.pattern {
            TcpPattern::String(p) => s.push_str(&format!(" (expect string '{}')", c_text(p))),
            TcpPattern::Binary(p) => s.push_str(&format!(" (expect binary '{}')", c_text(p))),
            TcpPattern::Rstring(_) => s.push_str(" (expect regex)"),
            TcpPattern::Rbinary(_) => s.push_str(" (expect binary regex)"),
            TcpPattern::Custom(_) => s.push_str(" (expect custom)"),
        },
        TcpCheckAction::Send(_) | TcpCheckAction::SendTimed { .. } => s.push_str(" (send)"),
        TcpCheckAction::Comment => {}
    }
    if let Some(comment) = &rule.comment {
        s.push_str(&format!(" comment: '{comment}'"));
    }
    s
}

/// Bytes as C's `%.*s` prints them: up to the first NUL.
fn c_text(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// HAProxy's `dump_binary`: every byte as two upper-case hex digits.
fn upper_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(step: usize, action: TcpCheckAction, comment: Option<&str>) -> TcpCheckRule {
        TcpCheckRule {
            step,
            comment: comment.map(str::to_string),
            action,
        }
    }

    fn expect(pattern: TcpPattern) -> TcpExpect {
        TcpExpect::new(pattern)
    }

    fn verdict(s: Step) -> Option<(CheckStatus, String)> {
        match s {
            Step::Stop(v) => Some((v.status, v.info)),
            _ => None,
        }
    }

    #[test]
    fn an_expect_waits_while_the_answer_may_still_come() {
        let e = expect(TcpPattern::String(b"+PONG".to_vec()));
        let r = rule(2, TcpCheckAction::Expect(e.clone()), None);
        assert!(matches!(judge(&e, &r, true, b"+PO", false), Step::Wait));
        assert!(matches!(judge(&e, &r, true, b"-ERR x", false), Step::Wait));
        assert!(matches!(
            judge(&e, &r, true, b"xx+PONG\r\n", false),
            Step::Next
        ));
        assert_eq!(
            verdict(judge(&e, &r, true, b"-ERR\r\n", true)),
            Some((
                CheckStatus::L7Rsp,
                "TCPCHK did not match content '+PONG' at step 2".into()
            ))
        );
    }

    #[test]
    fn min_recv_makes_a_mismatch_conclusive() {
        let mut e = expect(TcpPattern::String(b"OK".to_vec()));
        e.min_recv = 4;
        let r = rule(1, TcpCheckAction::Expect(e.clone()), Some("why"));
        assert!(matches!(judge(&e, &r, true, b"abc", false), Step::Wait));
        assert_eq!(
            verdict(judge(&e, &r, true, b"abcd", false)),
            Some((
                CheckStatus::L7Rsp,
                "TCPCHK did not match content 'OK' at step 1 comment: why".into()
            ))
        );
    }

    #[test]
    fn negated_and_binary_patterns_word_their_failures_as_haproxy() {
        let mut e = expect(TcpPattern::String(b"+OK".to_vec()));
        e.negate = true;
        e.error_status = Some(CheckStatus::L7OkC);
        let r = rule(1, TcpCheckAction::Expect(e.clone()), None);
        assert_eq!(
            verdict(judge(&e, &r, true, b"+OK hello", false)),
            Some((
                CheckStatus::L7OkC,
                "TCPCHK matched unwanted content '+OK' at step 1".into()
            ))
        );
        let re = regex::Regex::new("^0001").expect("regex");
        let e = expect(TcpPattern::Rbinary(re));
        let r = rule(3, TcpCheckAction::Expect(e.clone()), None);
        assert!(matches!(
            judge(&e, &r, true, b"\x00\x01\x02", true),
            Step::Next
        ));
        let re = regex::Regex::new("^68656C").expect("regex");
        let e = expect(TcpPattern::Rbinary(re));
        assert!(matches!(judge(&e, &r, true, b"hello", true), Step::Next));
        assert_eq!(
            verdict(judge(&e, &r, true, b"bye", true)),
            Some((
                CheckStatus::L7Rsp,
                "TCPCHK did not match content (binary regex) at step 3".into()
            ))
        );
    }

    #[test]
    fn step_texts_name_the_rule_that_was_running() {
        let implicit = rule(
            0,
            TcpCheckAction::Connect(TcpConnect {
                implicit: true,
                default: true,
                ..TcpConnect::default()
            }),
            None,
        );
        assert_eq!(
            step_text(&implicit, true),
            " at initial connection step of tcp-check"
        );
        let port = rule(
            6,
            TcpCheckAction::Connect(TcpConnect {
                port: Some(29999),
                ..TcpConnect::default()
            }),
            None,
        );
        assert_eq!(
            step_text(&port, true),
            " at step 6 of tcp-check (connect port 29999)"
        );
        let e = rule(
            4,
            TcpCheckAction::Expect(expect(TcpPattern::String(b"+PONG".to_vec()))),
            Some("pong"),
        );
        assert_eq!(
            step_text(&e, true),
            " at step 4 of tcp-check (expect string '+PONG') comment: 'pong'"
        );
        let b = rule(
            1,
            TcpCheckAction::Expect(expect(TcpPattern::Binary(vec![0, 1, 3]))),
            None,
        );
        assert_eq!(
            step_text(&b, true),
            " at step 1 of tcp-check (expect binary '')"
        );
    }

    fn custom(
        c: CustomExpect,
        input: &[u8],
        last_read: bool,
    ) -> Option<(CheckStatus, u16, String)> {
        match custom_expect(c, &expect(TcpPattern::Custom(c)), input, last_read) {
            Step::Stop(v) => Some((v.status, v.code.unwrap_or(u16::MAX), v.info)),
            Step::Wait => Some((CheckStatus::Init, 0, "wait".into())),
            Step::Next => None,
        }
    }

    #[test]
    fn ldap_bind_responses_read_as_haproxy_reads_them() {
        let ldap = |hex: &str, last| custom(CustomExpect::LdapBindResponse, &unhex(hex), last);
        assert_eq!(ldap("300c02010161070a010004000400", false), None);
        // Active Directory's 4-byte lengths.
        assert_eq!(
            ldap("3084000000100201016184000000070a010004000400", false),
            None
        );
        let rfc = "See RFC: http://tools.ietf.org/html/rfc4511#section-4.1.9".to_string();
        assert_eq!(
            ldap("300c02010161070a013104000400", false),
            Some((CheckStatus::L7Sts, 49, rfc))
        );
        let not_ldap = Some((CheckStatus::L7Rsp, 0, "Not LDAPv3 protocol".to_string()));
        assert_eq!(ldap("300c02010162070a010004000400", false), not_ldap);
        assert_eq!(ldap("3083000000", false), not_ldap);
        assert_eq!(
            ldap("300c02010161", false),
            Some((CheckStatus::Init, 0, "wait".into()))
        );
        assert_eq!(
            ldap("300c02010161", true),
            Some((CheckStatus::L7Rsp, 0, String::new()))
        );
    }

    #[test]
    fn mysql_packets_read_as_haproxy_reads_them() {
        let handshake = unhex("0a0000000a352e372e3432000000");
        assert_eq!(
            custom(CustomExpect::MysqlHandshake, &handshake, false),
            None
        );
        let wait = Some((CheckStatus::Init, 0, "wait".to_string()));
        assert_eq!(custom(CustomExpect::MysqlOk, &handshake, false), wait);
        let mut both = handshake.clone();
        both.extend_from_slice(&unhex("0700000200000002000000"));
        assert_eq!(custom(CustomExpect::MysqlOk, &both, false), None);
        // An error packet: its code, its message up to a NUL.
        let err = unhex("0c000000ff102761620063646566670a");
        assert_eq!(
            custom(CustomExpect::MysqlHandshake, &err, false),
            Some((CheckStatus::L7Sts, 10000, "ab".into()))
        );
        assert_eq!(
            custom(CustomExpect::MysqlHandshake, &unhex("0500"), true),
            Some((CheckStatus::L7Rsp, 0, String::new()))
        );
    }

    #[test]
    fn protocol_texts_come_from_the_answer() {
        let smtp = CheckText::Payload {
            from: 4,
            ltrim_spaces: true,
            cut_crlf: true,
        };
        assert_eq!(check_text(&smtp, b"500   nope\r\nmore"), "nope");
        assert_eq!(check_text(&smtp, b"554 \r\n"), "");
        assert_eq!(check_text(&smtp, b"55"), "");
        let pg = CheckText::Payload {
            from: 6,
            ltrim_spaces: false,
            cut_crlf: false,
        };
        assert_eq!(check_text(&pg, b"E\0\0\0\x2bSFATAL\0C28000"), "FATAL");
        assert_eq!(check_text(&pg, &[b'e'; 300]).len(), DESC_MAX);
        let mut e = expect(rstring_any());
        e.status_code = Some((0, 3));
        assert_eq!(status_code(&e, b"221 bye"), Some(221));
        assert_eq!(status_code(&e, b"2x"), None);
    }

    fn rstring_any() -> TcpPattern {
        TcpPattern::Rstring(regex::bytes::Regex::new("").expect("regex"))
    }

    fn unhex(s: &str) -> Vec<u8> {
        crate::config::hex(s).expect("hex")
    }

    #[test]
    fn chains_of_expects_resume_from_their_first_rule() {
        let e = || TcpCheckAction::Expect(expect(TcpPattern::String(b"x".to_vec())));
        let rules = TcpCheck {
            protocol: None,
            rules: vec![
                rule(1, TcpCheckAction::Send(b"a".to_vec()), None),
                rule(2, e(), None),
                rule(3, TcpCheckAction::Comment, Some("c")),
                rule(4, e(), None),
            ],
        };
        assert_eq!(chain_head(&rules, 3), 1);
        assert_eq!(chain_head(&rules, 1), 1);
    }
}
