//! `option tcp-check` and `tcp-check`: the scripted checks of TCP services (connect, send,
//! expect), parsed with HAProxy 2.6's rules and wording.
//!
//! Inheritance follows HAProxy: a proxy uses the rules of its defaults section until its first
//! own `tcp-check` line, which starts its own list; `option tcp-check` keeps a list already in
//! use, and otherwise starts from the proxy's own rules (none from the defaults). The protocol
//! checks (`option redis-check`…, see `protochk`) replace the rules in use with theirs until
//! the next check option.

use runtime_api::status::CheckStatus;

use super::diag::Report;
use super::lexer::Line;
use super::proxy::ProxyDraft;
use super::types::{
    ProtocolCheck, TcpCheck, TcpCheckAction, TcpCheckRule, TcpConnect, TcpExpect, TcpPattern,
};
use super::values::atoi;

#[derive(Debug, Clone, Default)]
pub struct TcpChkDraft {
    /// `option tcp-check` or a protocol check is the check type (a later `option httpchk`
    /// replaces it).
    pub enabled: bool,
    /// The protocol check in use instead of `rules`, with its ruleset.
    pub proto: Option<(ProtocolCheck, Vec<TcpCheckRule>)>,
    /// `tcp-check` lines were written while another check type was in use and no later
    /// check option took them up: HAProxy warns that they are ignored.
    pub unused: bool,
    /// The explicit rules in use, in order.
    pub rules: Vec<TcpCheckRule>,
    /// `rules` were written in this section (not inherited from its defaults).
    pub own: bool,
    /// Line of the section's first `tcp-check` rule, for the warning when the option is missing.
    pub rules_line: Option<usize>,
}

impl TcpChkDraft {
    /// What a proxy starts with when it inherits from a defaults section.
    pub fn inherited(&self) -> Self {
        TcpChkDraft {
            enabled: self.enabled,
            proto: self.proto.clone(),
            unused: false,
            rules: self.rules.clone(),
            own: false,
            rules_line: None,
        }
    }

    /// The ruleset to run, with HAProxy's implicit first `connect` when the first rule that is
    /// not a comment is not a connect.
    pub fn build(&self) -> Option<TcpCheck> {
        if !self.enabled {
            return None;
        }
        let (mut rules, protocol) = match &self.proto {
            Some((kind, rules)) => (rules.clone(), Some(*kind)),
            None => (self.rules.clone(), None),
        };
        let first = rules
            .iter()
            .find(|r| !matches!(r.action, TcpCheckAction::Comment));
        if !first.is_some_and(|r| matches!(r.action, TcpCheckAction::Connect(_))) {
            rules.insert(
                0,
                TcpCheckRule {
                    step: 0,
                    comment: None,
                    action: TcpCheckAction::Connect(TcpConnect {
                        default: true,
                        implicit: true,
                        ..TcpConnect::default()
                    }),
                },
            );
        }
        Some(TcpCheck { rules, protocol })
    }
}

/// `option tcp-check`.
pub fn option_tcp_check(px: &mut ProxyDraft) {
    let t = &mut px.tcpchk;
    // HAProxy keeps a tcp-check ruleset already in use; otherwise the proxy's own rules apply.
    if t.enabled && t.proto.is_none() && !t.rules.is_empty() {
        return;
    }
    t.enabled = true;
    t.proto = None;
    t.unused = false;
    if !t.own {
        t.rules.clear();
    }
    px.httpchk.enabled = false;
}

/// A `tcp-check` line.
pub fn tcp_check(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    let action = l.arg(1);
    let parsed = match action {
        // Inherited rules are about to be replaced: only the proxy's own come before.
        "connect" => connect(if px.tcpchk.own { &px.tcpchk.rules } else { &[] }, l),
        "send" | "send-binary" => send(l),
        "expect" => expect(l),
        "comment" => match l.arg(2) {
            "" => Err("'tcp-check comment' : expects a string as argument.".into()),
            c => Ok((TcpCheckAction::Comment, Some(c.to_string()))),
        },
        "send-lf" | "send-binary-lf" => {
            return r.unsupported(
                l,
                &format!("tcp-check {action}"),
                "log-format expressions are not evaluated; use 'send' or 'send-binary'",
            )
        }
        a if a.starts_with("set-var") || a.starts_with("unset-var") => {
            return r.unsupported(
                l,
                &format!("tcp-check {a}"),
                "check variables are not evaluated",
            )
        }
        other => Err(RuleError::Alert(format!(
            "'tcp-check' only supports 'comment', 'connect', 'send', 'send-binary', 'expect', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got '{other}'"
        ))),
    };
    match parsed {
        Ok((action, comment)) => {
            let t = &mut px.tcpchk;
            if !t.own {
                t.rules.clear();
                t.own = true;
            }
            t.unused |= !t.enabled || t.proto.is_some();
            t.rules_line.get_or_insert(l.number);
            t.rules.push(TcpCheckRule {
                step: t.rules.len() + 1,
                comment,
                action,
            });
        }
        Err(RuleError::Unsupported(what, why)) => r.unsupported(l, &what, &why),
        Err(RuleError::Alert(msg)) => r.alert(l, msg),
    }
}

type Parsed = Result<(TcpCheckAction, Option<String>), RuleError>;

enum RuleError {
    /// HAProxy's own complaint, word for word.
    Alert(String),
    /// Valid for HAProxy but not carried out by proxyd: (what, why).
    Unsupported(String, String),
}

impl From<String> for RuleError {
    fn from(msg: String) -> Self {
        RuleError::Alert(msg)
    }
}

impl From<&str> for RuleError {
    fn from(msg: &str) -> Self {
        RuleError::Alert(msg.to_string())
    }
}

fn connect(existing: &[TcpCheckRule], l: &Line) -> Parsed {
    let first = existing
        .iter()
        .find(|r| !matches!(r.action, TcpCheckAction::Comment));
    if first.is_some_and(|r| !matches!(r.action, TcpCheckAction::Connect(_))) {
        return Err("'tcp-check connect' : first step MUST also be a 'connect', optionally preceded by a 'set-var', an 'unset-var' or a 'comment', when there is a 'connect' step in the tcp-check ruleset.".into());
    }
    let mut c = TcpConnect::default();
    let mut comment = None;
    let mut i = 2;
    while i < l.words.len() {
        let kw = l.arg(i);
        let val = l.arg(i + 1);
        match kw {
            "default" => c.default = true,
            "ssl" => c.ssl = true,
            "linger" => {}
            "port" => {
                if val.is_empty() {
                    return Err("'tcp-check connect' : 'port' expects a port number or a sample expression as argument.".into());
                }
                match val.parse::<u32>() {
                    Ok(p) if (1..=65535).contains(&p) => c.port = Some(p as u16),
                    Ok(p) => {
                        return Err(format!(
                            "'tcp-check connect' : expects a valid TCP port (from range 1 to 65535) or a sample expression, got {p}."
                        ).into())
                    }
                    Err(_) => {
                        return Err(RuleError::Unsupported(
                            "tcp-check connect port <expression>".into(),
                            "the port is a number".into(),
                        ))
                    }
                }
                i += 1;
            }
            "comment" | "sni" => {
                if val.is_empty() {
                    return Err(format!(
                        "'tcp-check connect' : '{kw}' expects a {} as argument.",
                        if kw == "sni" { "value" } else { "string" }
                    ).into());
                }
                if kw == "sni" {
                    c.sni = Some(val.to_string());
                } else {
                    comment = Some(val.to_string());
                }
                i += 1;
            }
            "addr" | "send-proxy" | "via-socks4" | "alpn" | "proto" => {
                return Err(RuleError::Unsupported(
                    format!("tcp-check connect {kw}"),
                    "a connect rule reaches the server's address (or its check 'addr'), with 'port', 'ssl' and 'sni'".into(),
                ))
            }
            other => {
                return Err(format!(
                    "'tcp-check connect' : expects 'comment', 'port', 'addr', 'send-proxy', 'ssl', 'sni', 'alpn' or 'via-socks4', 'linger', 'default' but got '{other}' as argument.."
                ).into())
            }
        }
        i += 1;
    }
    Ok((TcpCheckAction::Connect(c), comment))
}

fn send(l: &Line) -> Parsed {
    let kw = l.arg(1);
    let data = l.arg(2);
    if data.is_empty() {
        let what = if kw == "send" {
            "string"
        } else {
            "binary string"
        };
        return Err(format!("'tcp-check {kw}' : '{what}' expects a {kw} as argument.").into());
    }
    let mut comment = None;
    let mut i = 3;
    while i < l.words.len() {
        match l.arg(i) {
            "comment" if l.arg(i + 1).is_empty() => {
                return Err(
                    format!("'tcp-check {kw}' : 'comment' expects a string as argument.").into(),
                )
            }
            "comment" => {
                comment = Some(l.arg(i + 1).to_string());
                i += 2;
            }
            other => {
                return Err(format!(
                    "'tcp-check {kw}' : expects 'comment' but got '{other}' as argument.."
                )
                .into())
            }
        }
    }
    let bytes = if kw == "send" {
        data.as_bytes().to_vec()
    } else {
        hex(data).map_err(|why| {
            format!("'tcp-check send-binary' : '{data}' invalid binary string ({why}).\n.")
        })?
    };
    Ok((TcpCheckAction::Send(bytes), comment))
}

fn expect(l: &Line) -> Parsed {
    let mut e = TcpExpect::new(TcpPattern::String(Vec::new()));
    let mut comment = None;
    let mut pattern = None;
    let mut i = 2;
    while i < l.words.len() {
        let kw = l.arg(i);
        let val = l.arg(i + 1);
        match kw {
            "!" => e.negate = true,
            "min-recv" | "comment" | "ok-status" | "error-status" | "tout-status" | "on-success"
            | "on-error" | "status-code"
                if val.is_empty() =>
            {
                let what = match kw {
                    "min-recv" => "an integer",
                    "comment" | "on-success" | "on-error" => "a string",
                    "status-code" => "an expression",
                    _ => "a string",
                };
                return Err(format!(
                    "'tcp-check expect' : '{kw}' expects {what} as argument."
                ).into());
            }
            // atoi(): what is not a number counts as 0, as in HAProxy.
            "min-recv" => {
                e.min_recv = atoi(val);
                i += 1;
            }
            "comment" => {
                comment = Some(val.to_string());
                i += 1;
            }
            "ok-status" | "error-status" | "tout-status" => {
                let st = expect_status(kw, val)
                    .map_err(|why| RuleError::Alert(format!("'tcp-check expect' : {why}")))?;
                match kw {
                    "ok-status" => e.ok_status = Some(st),
                    "error-status" => e.error_status = Some(st),
                    _ => e.tout_status = Some(st),
                }
                i += 1;
            }
            "on-success" | "on-error" | "status-code" => {
                return Err(RuleError::Unsupported(
                    format!("tcp-check expect {kw}"),
                    "log-format expressions are not evaluated".into(),
                ))
            }
            "string" | "binary" | "rstring" | "rbinary" | "string-lf" | "binary-lf" => {
                if val.is_empty() {
                    return Err(format!(
                        "'tcp-check expect' : '{kw}' expects a <pattern> as argument."
                    ).into());
                }
                if pattern.is_some() {
                    return Err("'tcp-check expect' : only on pattern expected.".into());
                }
                pattern = Some(match kw {
                    "string" => TcpPattern::String(val.as_bytes().to_vec()),
                    "binary" => TcpPattern::Binary(hex(val).map_err(|why| {
                        format!("'tcp-check expect' : invalid binary string ({why}).")
                    })?),
                    "rstring" => TcpPattern::Rstring(
                        regex::bytes::Regex::new(val).map_err(|err| bad_regex(val, &err))?,
                    ),
                    "rbinary" => TcpPattern::Rbinary(
                        regex::Regex::new(val).map_err(|err| bad_regex(val, &err))?,
                    ),
                    _ => {
                        return Err(RuleError::Unsupported(
                            format!("tcp-check expect {kw}"),
                            "log-format expressions are not evaluated; use 'string' or 'binary'"
                                .into(),
                        ))
                    }
                });
                i += 1;
            }
            other => {
                return Err(format!(
                    "'tcp-check expect' : 'only supports min-recv, '[!]binary', '[!]string', '[!]rstring', '[!]string-lf''[!]rbinary', '[!]binary-lf' or comment but got '{other}' as argument.."
                ).into())
            }
        }
        i += 1;
    }
    let Some(pattern) = pattern else {
        return Err("'tcp-check expect' : expects a pattern.".into());
    };
    e.pattern = pattern;
    Ok((TcpCheckAction::Expect(e), comment))
}

/// The status an expect's `ok-status`, `error-status` or `tout-status` names, among those
/// HAProxy allows for each (shared by `tcp-check` and `http-check`).
pub(super) fn expect_status(kw: &str, val: &str) -> Result<CheckStatus, String> {
    let (allowed, list): (&[CheckStatus], &str) = match kw {
        "ok-status" => (
            &[
                CheckStatus::L7Ok,
                CheckStatus::L7OkC,
                CheckStatus::L6Ok,
                CheckStatus::L4Ok,
            ],
            "'L4OK', 'L6OK', 'L7OK' or 'L7OKC'",
        ),
        "error-status" => (
            &[
                CheckStatus::L7Rsp,
                CheckStatus::L7Sts,
                CheckStatus::L7OkC,
                CheckStatus::L6Rsp,
                CheckStatus::L4Con,
            ],
            "'L7OKC', 'L7RSP', 'L7STS', 'L6RSP' or 'L4CON'",
        ),
        _ => (
            &[
                CheckStatus::L7Tout,
                CheckStatus::L6Tout,
                CheckStatus::L4Tout,
            ],
            "'L4TOUT', 'L6TOUT' or 'L7TOUT'",
        ),
    };
    CheckStatus::from_name(val)
        .filter(|s| allowed.contains(s))
        .ok_or_else(|| format!("'{kw}' only supports {list} status (got '{val}').."))
}

fn bad_regex(pattern: &str, e: &regex::Error) -> String {
    format!(
        "'tcp-check expect' : regex '{pattern}' is invalid ({}).",
        super::httpchk::regex_reason(e)
    )
}

/// HAProxy's `parse_binary` for hex strings, with its error texts.
pub(crate) fn hex(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) {
        return Err("an even number of hex digit is expected".into());
    }
    s.as_bytes()
        .chunks(2)
        .map(|pair| {
            let digit = |c: u8| {
                (c as char)
                    .to_digit(16)
                    .ok_or_else(|| format!("an hex digit is expected (found '{}')", c as char))
            };
            Ok((digit(pair[0])? * 16 + digit(pair[1])?) as u8)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_strings_decode_with_haproxys_complaints() {
        assert_eq!(hex("50494e47"), Ok(b"PING".to_vec()));
        assert_eq!(hex("0aFF"), Ok(vec![0x0a, 0xff]));
        assert_eq!(
            hex("012"),
            Err("an even number of hex digit is expected".to_string())
        );
        assert_eq!(
            hex("0g"),
            Err("an hex digit is expected (found 'g')".to_string())
        );
    }
}
