//! Each header below was sent to HAProxy 2.6.12 on an `accept-proxy` bind; the expectation is
//! what its log showed (the client address, or the reason it closed the connection).

use super::*;

const SIG: &[u8] = b"\r\n\r\n\x00\r\nQUIT\n";

fn v2(cmd: u8, fam: u8, body: &[u8]) -> Vec<u8> {
    let mut h = SIG.to_vec();
    h.extend([0x20 | cmd, fam]);
    h.extend((body.len() as u16).to_be_bytes());
    h.extend(body);
    h
}

fn addr4() -> Vec<u8> {
    let mut a = vec![203, 0, 113, 5, 203, 0, 113, 6];
    a.extend(5555u16.to_be_bytes());
    a.extend(80u16.to_be_bytes());
    a
}

fn with_crc(good: bool) -> Vec<u8> {
    let mut body = addr4();
    body.extend([TLV_CRC32C, 0, 4, 0, 0, 0, 0]);
    let mut h = v2(1, 0x11, &body);
    let mut crc = crc32c(&h);
    if !good {
        crc ^= 1;
    }
    let n = h.len();
    h[n - 4..].copy_from_slice(&crc.to_be_bytes());
    h
}

/// The source address HAProxy logged, or its reason.
fn outcome(header: &[u8]) -> Result<String, Failure> {
    let mut bytes = header.to_vec();
    bytes.extend(b"hello");
    match parse(&bytes) {
        Ok((len, addrs)) => {
            assert_eq!(&bytes[len..], b"hello", "header length of {header:?}");
            Ok(addrs.map_or("kept".to_string(), |(s, d)| format!("{s} {d}")))
        }
        Err((f, _)) => Err(f),
    }
}

#[test]
fn headers_are_accepted_and_refused_as_haproxy_does() {
    use Failure::*;
    let ok = |s: &str| Ok(s.to_string());
    let cases: Vec<(&str, Vec<u8>, Result<String, Failure>)> = vec![
        (
            "v1 tcp4",
            b"PROXY TCP4 192.0.2.7 198.51.100.9 4242 443\r\n".to_vec(),
            ok("192.0.2.7:4242 198.51.100.9:443"),
        ),
        (
            "v1 tcp6",
            b"PROXY TCP6 2001:db8::7 2001:db8::9 4243 8443\r\n".to_vec(),
            ok("[2001:db8::7]:4243 [2001:db8::9]:8443"),
        ),
        ("v1 unknown", b"PROXY UNKNOWN\r\n".to_vec(), ok("kept")),
        (
            "v1 other protocol",
            b"PROXY TCP5 1.2.3.4 1.2.3.4 1 2\r\n".to_vec(),
            Err(BadProto),
        ),
        (
            "v1 unknown with addresses",
            b"PROXY UNKNOWN 1.2.3.4\r\n".to_vec(),
            Err(BadProto),
        ),
        (
            "v1 bad separator",
            b"PROXY TCP4 1.2.3.4;1.2.3.4 1 2\r\n".to_vec(),
            Err(Bad),
        ),
        (
            "v1 five groups",
            b"PROXY TCP4 1.2.3.4.5 9.8.7.6 1 2\r\n".to_vec(),
            Err(Bad),
        ),
        (
            "v1 digits carry",
            b"PROXY TCP4 999.1.1.1 2.2.2.2 70000 2\r\n".to_vec(),
            ok("231.1.1.1:4464 2.2.2.2:2"),
        ),
        (
            "v1 port not a number",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 x 2\r\n".to_vec(),
            Err(Bad),
        ),
        (
            "v1 tcp6 with ipv4",
            b"PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n".to_vec(),
            Err(Bad),
        ),
        (
            "v1 tcp6 extra field",
            b"PROXY TCP6 ::1 ::2 1 2 3\r\n".to_vec(),
            ok("[::1]:1 [::2]:2"),
        ),
        (
            "v1 tcp6 empty port",
            b"PROXY TCP6 ::1 ::2  2\r\n".to_vec(),
            ok("[::1]:0 [::2]:2"),
        ),
        (
            "v1 lf only",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n".to_vec(),
            Err(Bad),
        ),
        (
            "v1 lower case",
            b"proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n".to_vec(),
            Err(NotHeader),
        ),
        (
            "not a header",
            b"GET / HTTP/1.0\r\n\r\n".to_vec(),
            Err(NotHeader),
        ),
        (
            "v2 tcp4",
            v2(1, 0x11, &addr4()),
            ok("203.0.113.5:5555 203.0.113.6:80"),
        ),
        ("v2 local", v2(0, 0x00, b""), ok("kept")),
        ("v2 local with addresses", v2(0, 0x11, &addr4()), ok("kept")),
        ("v2 proxy unspec", v2(1, 0x00, b""), Err(Bad)),
        ("v2 proxy unix", v2(1, 0x31, &[0; 216]), Err(Bad)),
        ("v2 proxy udp4", v2(1, 0x12, &addr4()), Err(Bad)),
        (
            "v2 short address block",
            v2(1, 0x11, &addr4()[..8]),
            Err(Bad),
        ),
        (
            "v2 tlv",
            v2(1, 0x11, &[addr4(), vec![0xEE, 0, 2, b'a', b'b']].concat()),
            ok("203.0.113.5:5555 203.0.113.6:80"),
        ),
        (
            "v2 tlv too long",
            v2(1, 0x11, &[addr4(), vec![0xEE, 0, 5, b'a', b'b']].concat()),
            Err(Bad),
        ),
        (
            "v2 partial tlv header",
            v2(1, 0x11, &[addr4(), vec![0xEE, 0]].concat()),
            Err(Bad),
        ),
        (
            "v2 crc32c",
            with_crc(true),
            ok("203.0.113.5:5555 203.0.113.6:80"),
        ),
        ("v2 crc32c wrong", with_crc(false), Err(Bad)),
        (
            "v2 version 1",
            [SIG, &[0x11, 0x11, 0, 12], &addr4()].concat(),
            Err(NotHeader),
        ),
        ("v2 unknown command", v2(2, 0x11, &addr4()), Err(Bad)),
    ];
    for (name, header, want) in cases {
        assert_eq!(outcome(&header), want, "{name}");
    }
}

#[test]
fn a_header_cut_short_is_truncated_not_awaited() {
    for sent in [
        &b"GET"[..],
        b"PROXY TCP4 1.2.",
        b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r",
        &SIG[..10],
    ] {
        assert_eq!(
            parse(sent).err().map(|e| e.0),
            Some(Failure::Truncated),
            "{sent:?}"
        );
    }
    let whole = v2(1, 0x11, &addr4());
    assert_eq!(
        parse(&whole[..20]).err().map(|e| e.0),
        Some(Failure::Truncated)
    );
}

#[test]
fn a_v2_failure_after_the_addresses_keeps_them_for_the_log() {
    let (failure, addrs) = parse(&with_crc(false)).expect_err("bad crc");
    assert_eq!(failure, Failure::Bad);
    assert_eq!(
        addrs.map(|a| a.0.to_string()).as_deref(),
        Some("203.0.113.5:5555")
    );
}

#[test]
fn crc32c_matches_the_standard_check_value() {
    assert_eq!(crc32c(b"123456789"), 0xE306_9283);
}
