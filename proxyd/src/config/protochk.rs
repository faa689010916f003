//! `option redis-check`, `smtpchk`, `pgsql-check`, `mysql-check`, `ldap-check` and
//! `ssl-hello-chk`: the tcp-check rulesets HAProxy 2.6 builds for them (src/tcpcheck.c,
//! `proxy_parse_*_opt`), with the same steps, patterns, statuses and texts, so they run on the
//! tcp-check engine like a configuration's own rules.
//!
//! Where HAProxy fills its rules from check variables (`check.smtp_cmd`, `check.username`…)
//! the bytes are computed here once; only ssl-hello-chk's timestamp is left to each check.

use runtime_api::status::CheckStatus;

use super::diag::Report;
use super::lexer::Line;
use super::proxy::ProxyDraft;
use super::types::{
    CheckText, CustomExpect, ProtocolCheck, TcpCheckAction, TcpCheckRule, TcpConnect, TcpExpect,
    TcpPattern,
};

/// The option names, for the option table.
pub const OPTIONS: &[&str] = &[
    "redis-check",
    "smtpchk",
    "pgsql-check",
    "mysql-check",
    "ldap-check",
    "ssl-hello-chk",
];

/// `option <name> [args]` for one of [`OPTIONS`]: the check type becomes that protocol's
/// ruleset (the last check option of a section wins, as in HAProxy).
pub fn option(px: &mut ProxyDraft, l: &Line, r: &mut Report) {
    let name = l.arg(1);
    let args: Vec<&str> = l.words.iter().skip(2).map(String::as_str).collect();
    let built = match name {
        "redis-check" => no_args(name, &args).map(|()| (ProtocolCheck::Redis, redis())),
        "ssl-hello-chk" => no_args(name, &args).map(|()| (ProtocolCheck::SslHello, ssl_hello())),
        "ldap-check" => no_args(name, &args).map(|()| (ProtocolCheck::Ldap, ldap())),
        "smtpchk" => too_many(name, &args, 2).map(|()| (ProtocolCheck::Smtp, smtp(&args))),
        "pgsql-check" => too_many(name, &args, 2)
            .and_then(|()| pgsql(&args))
            .map(|rules| (ProtocolCheck::Pgsql, rules)),
        "mysql-check" => too_many(name, &args, 3)
            .and_then(|()| mysql(&args))
            .map(|rules| (ProtocolCheck::Mysql, rules)),
        _ => Err(format!("unknown option '{name}'.")),
    };
    match built {
        Ok((kind, rules)) => {
            let t = &mut px.tcpchk;
            t.enabled = true;
            t.proto = Some((kind, rules));
            t.unused = false;
            px.httpchk.enabled = false;
        }
        Err(msg) => r.alert(l, msg),
    }
}

fn no_args(name: &str, args: &[&str]) -> Result<(), String> {
    too_many(name, args, 0)
}

/// HAProxy's `alertif_too_many_args_idx`.
fn too_many(name: &str, args: &[&str], max: usize) -> Result<(), String> {
    match args.get(max) {
        Some(extra) => Err(format!(
            "'option {name}' cannot handle unexpected argument '{extra}'."
        )),
        None => Ok(()),
    }
}

/// Numbers the rules from 1 as HAProxy's `index + 1`.
fn numbered(actions: Vec<TcpCheckAction>) -> Vec<TcpCheckRule> {
    actions
        .into_iter()
        .enumerate()
        .map(|(i, action)| TcpCheckRule {
            step: i + 1,
            comment: None,
            action,
        })
        .collect()
}

/// `tcp-check connect default linger`, the first rule of the checks that read a banner.
fn connect_default() -> TcpCheckAction {
    TcpCheckAction::Connect(TcpConnect {
        default: true,
        ..TcpConnect::default()
    })
}

/// The patterns are HAProxy's; `(?-u)` lets them see any byte, as PCRE does on a buffer.
fn rstring(pattern: &str) -> TcpPattern {
    let re = regex::bytes::Regex::new(&format!("(?-u){pattern}"));
    TcpPattern::Rstring(re.unwrap_or_else(|e| unreachable!("built-in pattern {pattern}: {e}")))
}

fn rbinary(pattern: &str) -> TcpPattern {
    let re = regex::Regex::new(pattern);
    TcpPattern::Rbinary(re.unwrap_or_else(|e| unreachable!("built-in pattern {pattern}: {e}")))
}

/// `%[res.payload(FROM,0),ltrim(' '),cut_crlf]` and its shorter forms.
fn payload(from: usize, ltrim_spaces: bool, cut_crlf: bool) -> Option<CheckText> {
    Some(CheckText::Payload {
        from,
        ltrim_spaces,
        cut_crlf,
    })
}

fn fixed(text: &str) -> Option<CheckText> {
    Some(CheckText::Fixed(text.to_string()))
}

fn redis() -> Vec<TcpCheckRule> {
    let mut pong = TcpExpect::new(TcpPattern::String(b"+PONG\r\n".to_vec()));
    pong.error_status = Some(CheckStatus::L7Sts);
    pong.on_error = payload(0, false, true);
    pong.on_success = fixed("Redis server is ok");
    numbered(vec![
        TcpCheckAction::Send(b"*1\r\n$4\r\nPING\r\n".to_vec()),
        TcpCheckAction::Expect(pong),
    ])
}

/// Where the Unix time goes in [`SSLV3_CLIENT_HELLO`].
const HELLO_TIME_AT: usize = 11;

/// HAProxy's SSLv3 CLIENT HELLO: record and handshake headers, version 3.0, 4 bytes of time,
/// a 28-byte random, no session, 39 common ciphers, null compression.
fn sslv3_client_hello() -> Vec<u8> {
    let mut b = vec![
        0x16, 0x03, 0x00, 0x00, 0x79, 0x01, 0x00, 0x00, 0x75, 0x03, 0x00,
    ];
    b.extend_from_slice(&[0; 4]);
    b.extend_from_slice(b"HAPROXYSSLCHK\nHAPROXYSSLCHK\n");
    b.extend_from_slice(&[0x00, 0x00, 0x4e]);
    for cipher in (0x01..=0x1bu16).chain(0x2f..=0x3a) {
        b.extend_from_slice(&cipher.to_be_bytes());
    }
    b.extend_from_slice(&[0x01, 0x00]);
    b
}

fn ssl_hello() -> Vec<TcpCheckRule> {
    let mut hello = TcpExpect::new(rbinary("^1[56]"));
    hello.min_recv = 5;
    hello.ok_status = Some(CheckStatus::L6Ok);
    hello.error_status = Some(CheckStatus::L6Rsp);
    hello.tout_status = Some(CheckStatus::L6Tout);
    numbered(vec![
        TcpCheckAction::SendTimed {
            bytes: sslv3_client_hello(),
            time_at: HELLO_TIME_AT,
        },
        TcpCheckAction::Expect(hello),
    ])
}

fn smtp(args: &[&str]) -> Vec<TcpCheckRule> {
    let command = match args {
        [verb @ ("EHLO" | "HELO"), domain, ..] if !domain.is_empty() => {
            format!("{verb} {domain}\r\n")
        }
        _ => "HELO localhost\r\n".to_string(),
    };
    let reply = |pattern: &str, min_recv: i64| {
        let mut e = TcpExpect::new(rstring(pattern));
        e.min_recv = min_recv;
        e.error_status = Some(CheckStatus::L7Sts);
        e.on_error = payload(4, true, true);
        e.status_code = Some((0, 3));
        e
    };
    let mut banner = TcpExpect::new(rstring("^[0-9]{3}[ \r]"));
    banner.min_recv = 4;
    banner.error_status = Some(CheckStatus::L7Rsp);
    banner.on_error = payload(0, false, true);
    let mut hello = reply("^(2[0-9]{2}-[^\r]*\r\n)*2[0-9]{2}[ \r]", -1);
    hello.on_success = payload(4, true, true);
    let mut quit = reply("^2[0-9]{2}[- \r]", 4);
    quit.on_success = payload(4, true, true);
    numbered(vec![
        connect_default(),
        TcpCheckAction::Expect(banner),
        TcpCheckAction::Expect(reply("^2[0-9]{2}[ \r]", 4)),
        TcpCheckAction::Send(command.into_bytes()),
        TcpCheckAction::Expect(hello),
        TcpCheckAction::Send(b"QUIT\r\n".to_vec()),
        TcpCheckAction::Expect(quit),
    ])
}

fn pgsql(args: &[&str]) -> Result<Vec<TcpCheckRule>, String> {
    let user = match args {
        [] | [_] => {
            return Err("'option pgsql-check' expects 'user <username>' as argument.".into())
        }
        ["user", user, ..] => *user,
        _ => return Err("'option pgsql-check' only supports optional values: 'user'.".into()),
    };
    // StartupMessage: length, protocol 3.0, "user" = <user>, end of parameters.
    let mut startup = ((15 + user.len()) as u32).to_be_bytes().to_vec();
    startup.extend_from_slice(b"\x00\x03\x00\x00user\x00");
    startup.extend_from_slice(user.as_bytes());
    startup.extend_from_slice(b"\x00\x00");
    let mut not_error = TcpExpect::new(rstring("^E"));
    not_error.negate = true;
    not_error.min_recv = 5;
    not_error.error_status = Some(CheckStatus::L7Rsp);
    not_error.on_error = payload(6, false, false);
    let mut auth = TcpExpect::new(rbinary(
        "^52000000[A-Z0-9]{2}000000(00|02|03|04|05|06|07|09|0A)",
    ));
    auth.min_recv = 9;
    auth.error_status = Some(CheckStatus::L7Sts);
    auth.on_success = fixed("PostgreSQL server is ok");
    auth.on_error = fixed("PostgreSQL unknown error");
    Ok(numbered(vec![
        connect_default(),
        TcpCheckAction::Send(startup),
        TcpCheckAction::Expect(not_error),
        TcpCheckAction::Expect(auth),
    ]))
}

fn mysql(args: &[&str]) -> Result<Vec<TcpCheckRule>, String> {
    let custom = |c| TcpCheckAction::Expect(TcpExpect::new(TcpPattern::Custom(c)));
    let Some(&first) = args.first() else {
        return Ok(numbered(vec![
            connect_default(),
            custom(CustomExpect::MysqlHandshake),
        ]));
    };
    if first != "user" {
        return Err(format!(
            "'option mysql-check' only supports optional values: 'user' (got '{first}')."
        ));
    }
    let user = match args.get(1) {
        Some(u) if !u.is_empty() => u.as_bytes(),
        _ => return Err("'option mysql-check user' expects <username> as argument.".into()),
    };
    // A client authentication packet (sequence 1) with no password, then COM_QUIT.
    let (fixed_len, head): (usize, &[u8]) = match args.get(2).copied() {
        None | Some("post-41") => (
            7 + 27,
            b"\x00\x82\x00\x00\x00\x80\x00\x01\x21\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
        ),
        Some("pre-41") => (7, b"\x00\x80\x00\x00\x01"),
        Some(other) => {
            return Err(format!(
                "keyword 'user' only supports 'post-41' and 'pre-41' (got '{other}')."
            ))
        }
    };
    let len = (user.len() + fixed_len) as u32;
    let mut auth = len.to_le_bytes()[..3].to_vec();
    auth.push(1);
    auth.extend_from_slice(head);
    auth.extend_from_slice(user);
    auth.extend_from_slice(b"\x00\x00\x01\x00\x00\x00\x01");
    Ok(numbered(vec![
        connect_default(),
        TcpCheckAction::Send(auth),
        custom(CustomExpect::MysqlHandshake),
        custom(CustomExpect::MysqlOk),
    ]))
}

fn ldap() -> Vec<TcpCheckRule> {
    let mut ber = TcpExpect::new(rbinary("^30"));
    ber.min_recv = 14;
    ber.on_error = fixed("Not LDAPv3 protocol");
    numbered(vec![
        // An anonymous simple bind, LDAPv3, message 1.
        TcpCheckAction::Send(b"\x30\x0c\x02\x01\x01\x60\x07\x02\x01\x03\x04\x00\x80\x00".to_vec()),
        TcpCheckAction::Expect(ber),
        TcpCheckAction::Expect(TcpExpect::new(TcpPattern::Custom(
            CustomExpect::LdapBindResponse,
        ))),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(rules: &[TcpCheckRule]) -> Vec<Vec<u8>> {
        rules
            .iter()
            .filter_map(|r| match &r.action {
                TcpCheckAction::Send(b) => Some(b.clone()),
                TcpCheckAction::SendTimed { bytes, .. } => Some(bytes.clone()),
                _ => None,
            })
            .collect()
    }

    fn unhex(s: &str) -> Vec<u8> {
        crate::config::hex(s).expect("hex")
    }

    /// The bytes HAProxy 2.6.12 was seen sending, the timestamp zeroed.
    #[test]
    fn requests_are_the_bytes_haproxy_sends() {
        let mut hello = unhex(
            "16030000790100007503006b06cd3c484150524f585953534c43484b0a484150524f585953534c43484b0a00004e000100020003000400050006000700080009000a000b000c000d000e000f0010001100120013001400150016001700180019001a001b002f0030003100320033003400350036003700380039003a0100",
        );
        hello[HELLO_TIME_AT..HELLO_TIME_AT + 4].fill(0);
        assert_eq!(sent(&ssl_hello()), vec![hello]);
        assert_eq!(sent(&redis()), vec![b"*1\r\n$4\r\nPING\r\n".to_vec()]);
        assert_eq!(
            sent(&pgsql(&["user", "haproxy"]).expect("valid")),
            vec![unhex("00000016000300007573657200686170726f78790000")]
        );
        assert_eq!(
            sent(&mysql(&["user", "haproxy"]).expect("valid")),
            vec![unhex("290000010082000000800001210000000000000000000000000000000000000000000000686170726f787900000100000001")]
        );
        assert_eq!(
            sent(&mysql(&["user", "haproxy", "pre-41"]).expect("valid")),
            vec![unhex("0e0000010080000001686170726f787900000100000001")]
        );
        assert!(sent(&mysql(&[]).expect("valid")).is_empty());
        assert_eq!(sent(&ldap()), vec![unhex("300c020101600702010304008000")]);
        assert_eq!(
            sent(&smtp(&["EHLO", "example.com"])),
            vec![b"EHLO example.com\r\n".to_vec(), b"QUIT\r\n".to_vec()]
        );
        for args in [&[][..], &["ehlo", "x"], &["EHLO"], &["FOO", "bar"]] {
            assert_eq!(sent(&smtp(args))[0], b"HELO localhost\r\n");
        }
    }

    #[test]
    fn arguments_are_refused_in_haproxys_words() {
        assert_eq!(
            too_many("redis-check", &["foo"], 0),
            Err("'option redis-check' cannot handle unexpected argument 'foo'.".into())
        );
        assert_eq!(
            too_many("smtpchk", &["EHLO", "a", "b"], 2),
            Err("'option smtpchk' cannot handle unexpected argument 'b'.".into())
        );
        let pg = |a: &[&str]| pgsql(a).err();
        assert_eq!(
            pg(&["user"]).as_deref(),
            Some("'option pgsql-check' expects 'user <username>' as argument.")
        );
        assert_eq!(
            pg(&["foo", "bar"]).as_deref(),
            Some("'option pgsql-check' only supports optional values: 'user'.")
        );
        let my = |a: &[&str]| mysql(a).err();
        assert_eq!(
            my(&["foo"]).as_deref(),
            Some("'option mysql-check' only supports optional values: 'user' (got 'foo').")
        );
        assert_eq!(
            my(&["user"]).as_deref(),
            Some("'option mysql-check user' expects <username> as argument.")
        );
        assert_eq!(
            my(&["user", "x", "post-42"]).as_deref(),
            Some("keyword 'user' only supports 'post-41' and 'pre-41' (got 'post-42').")
        );
    }

    #[test]
    fn the_steps_are_numbered_as_haproxys() {
        let steps: Vec<usize> = smtp(&[]).iter().map(|r| r.step).collect();
        assert_eq!(steps, [1, 2, 3, 4, 5, 6, 7]);
        assert!(matches!(smtp(&[])[0].action, TcpCheckAction::Connect(ref c) if c.default));
        assert!(matches!(redis()[0].action, TcpCheckAction::Send(_)));
    }
}
