//! Receiving the PROXY protocol (v1 text, v2 binary) on `accept-proxy` binds, with HAProxy
//! 2.6's rules (`conn_recv_proxy`): the header must arrive whole in the first bytes the client
//! sends (HAProxy peeks once and never waits for the rest), v1 addresses are read as HAProxy's
//! own lenient parsers read them, v2 TLVs are walked and a CRC32C TLV is checked, and each
//! failure has HAProxy's reason for the log line.
//!
//! Hand-written rather than taken from a crate (`ppp`, `proxy-protocol`): those parse the
//! specification strictly, and HAProxy accepts and refuses a different set of headers (a v1
//! `999.1.1.1` is 231.1.1.1, a v2 `PROXY` over AF_UNSPEC is refused, a failure after the
//! address block keeps the announced source for the log line).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::net::TcpStream;

/// What HAProxy reads with one `recv(MSG_PEEK)`: its buffer size (`tune.bufsize`).
const PEEK_MAX: usize = 16384;
const V2_SIGNATURE: &[u8; 12] = b"\r\n\r\n\x00\r\nQUIT\n";
const V2_HEADER_LEN: usize = 16;
const V2_ADDR_LEN_INET: usize = 12;
const V2_ADDR_LEN_INET6: usize = 36;
const TLV_HEADER_LEN: usize = 3;
const TLV_CRC32C: u8 = 0x03;
const TLV_AUTHORITY: u8 = 0x02;
const TLV_UNIQUE_ID: u8 = 0x05;
/// HAProxy's `PP2_AUTHORITY_MAX` and `UNIQUEID_LEN`: longer TLVs make the header invalid.
const AUTHORITY_MAX: usize = 255;
const UNIQUE_ID_MAX: usize = 128;

/// Why a connection was closed before its header was read, as HAProxy's `CO_ER_PRX_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    Empty,
    Abort,
    Timeout,
    Truncated,
    NotHeader,
    Bad,
    BadProto,
}

impl Failure {
    /// HAProxy's `conn_err_code_str`.
    pub fn text(self) -> &'static str {
        match self {
            Failure::Empty => "Connection closed while waiting for PROXY protocol header",
            Failure::Abort => "Connection error while waiting for PROXY protocol header",
            Failure::Timeout => "Timeout while waiting for PROXY protocol header",
            Failure::Truncated => "Truncated PROXY protocol header received",
            Failure::NotHeader => {
                "Received something which does not look like a PROXY protocol header"
            }
            Failure::Bad => "Received an invalid PROXY protocol header",
            Failure::BadProto => "Received an unhandled protocol in the PROXY protocol header",
        }
    }

    /// `option dontlognull` drops these, as HAProxy does: nothing was received, or the
    /// connection broke (a timeout is dropped too, see [`crate::proxy::session`]).
    pub fn is_null(self) -> bool {
        matches!(self, Failure::Empty | Failure::Abort)
    }
}

/// The announced source and destination, replacing the socket's.
pub type Announced = (SocketAddr, SocketAddr);

/// A parse's outcome: the header's length and its addresses (`None` for LOCAL, UNKNOWN and
/// families HAProxy keeps the socket's addresses for), or why it failed with the addresses
/// HAProxy had already written into the connection when it gave up.
pub type Parsed = Result<(usize, Option<Announced>), (Failure, Option<Announced>)>;

/// Parse the first bytes a client sent (at least one).
pub fn parse(buf: &[u8]) -> Parsed {
    if buf.len() < 6 {
        return Err((Failure::Truncated, None));
    }
    match buf.strip_prefix(b"PROXY ") {
        Some(rest) => parse_v1(buf.len(), rest).map_err(|f| (f, None)),
        None => parse_v2(buf),
    }
}

fn parse_v1(total: usize, line: &[u8]) -> Result<(usize, Option<Announced>), Failure> {
    if total < 9 {
        return Err(Failure::Truncated);
    }
    let consumed = |rest: &[u8]| total - rest.len();
    if let Some(mut p) = line.strip_prefix(b"TCP4 ") {
        let src = inet4_lenient(&mut p);
        let p = expect_space(p)?;
        let mut p = p;
        let dst = inet4_lenient(&mut p);
        let mut p = expect_space(p)?;
        let sport = read_uint(&mut p);
        let mut p = expect_space(p)?;
        let dport = read_uint(&mut p);
        if p.len() < 2 {
            return Err(Failure::Truncated);
        }
        if &p[..2] != b"\r\n" {
            return Err(Failure::Bad);
        }
        let addrs = (
            SocketAddr::new(IpAddr::V4(src), sport as u16),
            SocketAddr::new(IpAddr::V4(dst), dport as u16),
        );
        return Ok((consumed(&p[2..]), Some(addrs)));
    }
    if let Some(p) = line.strip_prefix(b"TCP6 ") {
        // Up to the CR, which must be followed by LF; fields are split on single spaces and
        // only the first four count, as HAProxy cuts the line.
        let mut end = None;
        for i in 0..p.len() {
            if i + 2 > p.len() {
                break;
            }
            if p[i] == b'\r' {
                if p[i + 1] != b'\n' {
                    return Err(Failure::Bad);
                }
                end = Some(i);
                break;
            }
        }
        let Some(end) = end else {
            return Err(Failure::Truncated);
        };
        let fields: Vec<&[u8]> = p[..end].split(|&b| b == b' ').collect();
        if fields.len() < 4 {
            return Err(Failure::Bad);
        }
        let port = |f: &[u8]| {
            let mut q = f;
            let n = read_uint(&mut q);
            q.is_empty().then_some(n as u16).ok_or(Failure::Bad)
        };
        let sport = port(fields[2])?;
        let dport = port(fields[3])?;
        let ip = |f: &[u8]| {
            std::str::from_utf8(f)
                .ok()
                .and_then(|s| s.parse::<Ipv6Addr>().ok())
                .ok_or(Failure::Bad)
        };
        let src = ip(fields[0])?;
        let dst = ip(fields[1])?;
        let addrs = (
            SocketAddr::new(IpAddr::V6(src), sport),
            SocketAddr::new(IpAddr::V6(dst), dport),
        );
        return Ok((consumed(&p[end + 2..]), Some(addrs)));
    }
    if line.starts_with(b"UNKNOWN\r\n") {
        return Ok((consumed(&line[9..]), None));
    }
    Err(Failure::BadProto)
}

fn expect_space(p: &[u8]) -> Result<&[u8], Failure> {
    match p.split_first() {
        None => Err(Failure::Truncated),
        Some((b' ', rest)) => Ok(rest),
        Some(_) => Err(Failure::Bad),
    }
}

/// HAProxy's `read_uint`: digits up to the first other byte, wrapping on overflow.
fn read_uint(p: &mut &[u8]) -> u32 {
    let mut n: u32 = 0;
    while let Some((&b, rest)) = p.split_first() {
        if !b.is_ascii_digit() {
            break;
        }
        n = n.wrapping_mul(10).wrapping_add(u32::from(b - b'0'));
        *p = rest;
    }
    n
}

/// HAProxy's `inetaddr_host_lim_ret`: up to four dot-separated groups of digits, each the last
/// three digits of its group, with the carries of digits above 255 spilling into the next
/// byte (so `999.1.1.1` reads as 231.1.1.1); stops at the first byte that is not a digit or a
/// dot following a group.
fn inet4_lenient(p: &mut &[u8]) -> Ipv4Addr {
    let zero = u32::from_be_bytes([b'0'; 4]);
    let (mut d100, mut d10, mut d1) = (zero, zero, zero);
    let mut shift: i32 = 24;
    loop {
        let digits = p.iter().take_while(|b| b.is_ascii_digit()).count();
        let group = &p[..digits];
        *p = &p[digits..];
        let mut regs = [&mut d1, &mut d10, &mut d100].into_iter();
        for &c in group.iter().rev().take(3) {
            if let Some(r) = regs.next() {
                *r |= u32::from(c) << shift;
            }
        }
        if shift == 0 || p.first() != Some(&b'.') {
            break;
        }
        shift -= 8;
        *p = &p[1..];
    }
    let (d100, d10, d1) = (
        d100.wrapping_sub(zero),
        d10.wrapping_sub(zero),
        d1.wrapping_sub(zero),
    );
    Ipv4Addr::from(
        d100.wrapping_mul(10)
            .wrapping_add(d10)
            .wrapping_mul(10)
            .wrapping_add(d1),
    )
}

fn parse_v2(buf: &[u8]) -> Parsed {
    if buf.len() < V2_HEADER_LEN {
        return Err((Failure::Truncated, None));
    }
    if &buf[..12] != V2_SIGNATURE || (buf[12] & 0xf0) != 0x20 {
        return Err((Failure::NotHeader, None));
    }
    let len = usize::from(u16::from_be_bytes([buf[14], buf[15]]));
    let total = V2_HEADER_LEN + len;
    if buf.len() < total {
        return Err((Failure::Truncated, None));
    }
    match buf[12] & 0x0f {
        // LOCAL: the socket's addresses stay, whatever follows.
        0x00 => Ok((total, None)),
        0x01 => {
            let a = &buf[V2_HEADER_LEN..total];
            let port = |i: usize| u16::from_be_bytes([a[i], a[i + 1]]);
            // HAProxy walks TLVs from the end of the address block, or from the start of the
            // header for a family it does not know, which makes those headers invalid.
            let (addrs, mut offset) = match buf[13] {
                0x11 if len < V2_ADDR_LEN_INET => return Err((Failure::Bad, None)),
                0x11 => {
                    let ip =
                        |i: usize| IpAddr::V4(Ipv4Addr::new(a[i], a[i + 1], a[i + 2], a[i + 3]));
                    let addrs = (
                        SocketAddr::new(ip(0), port(8)),
                        SocketAddr::new(ip(4), port(10)),
                    );
                    (Some(addrs), V2_HEADER_LEN + V2_ADDR_LEN_INET)
                }
                0x21 if len < V2_ADDR_LEN_INET6 => return Err((Failure::Bad, None)),
                0x21 => {
                    let ip = |i: usize| {
                        let mut o = [0u8; 16];
                        o.copy_from_slice(&a[i..i + 16]);
                        IpAddr::V6(Ipv6Addr::from(o))
                    };
                    let addrs = (
                        SocketAddr::new(ip(0), port(32)),
                        SocketAddr::new(ip(16), port(34)),
                    );
                    (Some(addrs), V2_HEADER_LEN + V2_ADDR_LEN_INET6)
                }
                _ => (None, 0),
            };
            let bad = Err((Failure::Bad, addrs));
            while offset < total {
                if offset + TLV_HEADER_LEN > total {
                    return bad;
                }
                let kind = buf[offset];
                let tlv_len = usize::from(u16::from_be_bytes([buf[offset + 1], buf[offset + 2]]));
                let value = offset + TLV_HEADER_LEN;
                offset = value + tlv_len;
                if offset > total {
                    return bad;
                }
                let fits = match kind {
                    TLV_CRC32C => {
                        tlv_len == 4 && {
                            let mut copy = buf[..total].to_vec();
                            copy[value..value + 4].fill(0);
                            let sent = u32::from_be_bytes([
                                buf[value],
                                buf[value + 1],
                                buf[value + 2],
                                buf[value + 3],
                            ]);
                            crc32c(&copy) == sent
                        }
                    }
                    TLV_AUTHORITY => tlv_len <= AUTHORITY_MAX,
                    TLV_UNIQUE_ID => tlv_len <= UNIQUE_ID_MAX,
                    _ => true,
                };
                if !fits {
                    return bad;
                }
            }
            Ok((total, addrs))
        }
        _ => Err((Failure::Bad, None)),
    }
}

/// CRC-32C (Castagnoli), as the v2 CRC32C TLV carries it.
fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0x82F6_3B78 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

/// Wait for the client's first bytes (up to `timeout`, HAProxy's `timeout client`; none
/// waits for ever), parse them and remove the header from the socket.
pub async fn receive(client: &TcpStream, timeout: Option<Duration>) -> Parsed {
    let wait = first_bytes(client);
    let peeked = match timeout {
        Some(t) => match tokio::time::timeout(t, wait).await {
            Ok(r) => r,
            Err(_) => return Err((Failure::Timeout, None)),
        },
        None => wait.await,
    };
    let buf = match peeked {
        Ok(b) if b.is_empty() => return Err((Failure::Empty, None)),
        Ok(b) => b,
        Err(_) => return Err((Failure::Abort, None)),
    };
    let (len, addrs) = parse(&buf)?;
    // Read exactly the header now, leaving what follows for the server.
    let mut header = vec![0u8; len];
    let read = client.try_read(&mut header);
    match read {
        Ok(n) if n == len => Ok((len, addrs)),
        _ => Err((Failure::Abort, addrs)),
    }
}

/// One peek at what the client sent, as soon as anything (or the end) arrives.
async fn first_bytes(client: &TcpStream) -> std::io::Result<Vec<u8>> {
    let mut buf = vec![0u8; PEEK_MAX];
    loop {
        client.readable().await?;
        match client.try_io(tokio::io::Interest::READABLE, || {
            socket2::SockRef::from(client).peek(as_uninit(&mut buf))
        }) {
            Ok(n) => {
                buf.truncate(n);
                return Ok(buf);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        }
    }
}

fn as_uninit(buf: &mut [u8]) -> &mut [std::mem::MaybeUninit<u8>] {
    // SAFETY: `u8` and `MaybeUninit<u8>` share their layout, and peek only writes bytes.
    unsafe { &mut *(buf as *mut [u8] as *mut [std::mem::MaybeUninit<u8>]) }
}

#[cfg(test)]
mod tests;
