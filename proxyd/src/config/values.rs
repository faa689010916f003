//! Argument values shared by every section: times, integers and socket addresses.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::time::Duration;

/// HAProxy stores timers as signed 32-bit milliseconds.
const MAX_TIMER_MS: u128 = 2_147_483_647;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeError {
    Empty,
    /// The first character that is neither a digit nor part of a unit.
    Unexpected(char),
    Overflow,
}

impl TimeError {
    /// The message as HAProxy words it for `keyword` (e.g. `timeout check`) and its argument.
    pub fn describe(&self, keyword: &str, arg: &str) -> String {
        match self {
            TimeError::Empty => format!("'{keyword}' expects an integer value (in milliseconds)"),
            TimeError::Unexpected(c) => format!("unexpected character '{c}' in '{keyword}'"),
            TimeError::Overflow => format!(
                "timer overflow in argument '{arg}' to '{keyword}' (maximum value is 2147483647 ms or ~24.8 days)"
            ),
        }
    }
}

impl std::fmt::Display for TimeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TimeError::Empty => f.write_str("expects an integer value (in milliseconds)"),
            TimeError::Unexpected(c) => write!(f, "unexpected character '{c}'"),
            TimeError::Overflow => {
                f.write_str("timer overflow (maximum value is 2147483647 ms or ~24.8 days)")
            }
        }
    }
}

/// A HAProxy time: digits, then an optional unit `us`, `ms` (default), `s`, `m`, `h` or `d`.
/// What follows a unit is ignored (see [`timer`]).
pub fn time(s: &str) -> Result<Duration, TimeError> {
    timer(s).map(|(d, _)| d)
}

/// [`time`], with the first character left after the unit: HAProxy 2.6's `parse_time_err()`
/// reads `10sec` as 10 s and `5mx` as 5 minutes, warning about that character (see
/// [`trailing_warning`]); only a character where a unit should start is an error.
pub fn timer(s: &str) -> Result<(Duration, Option<char>), TimeError> {
    let digits_end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(digits_end);
    if digits.is_empty() {
        return Err(match s.chars().next() {
            None => TimeError::Empty,
            Some(c) => TimeError::Unexpected(c),
        });
    }
    let n: u128 = digits.parse().map_err(|_| TimeError::Overflow)?;
    let second = unit.as_bytes().get(1).copied();
    let (micros_per, unit_len) = match unit.chars().next() {
        None => (1_000, 0),
        Some('s') => (1_000_000, 1),
        Some('u') if second == Some(b's') => (1, 2),
        Some('m') if second == Some(b's') => (1_000, 2),
        Some('m') => (60_000_000, 1),
        Some('h') => (3_600_000_000, 1),
        Some('d') => (86_400_000_000, 1),
        Some(c) => return Err(TimeError::Unexpected(c)),
    };
    let micros = n.saturating_mul(micros_per);
    let trailing = unit[unit_len..].chars().next();
    if micros.div_ceil(1_000) > MAX_TIMER_MS {
        return Err(TimeError::Overflow);
    }
    let micros = u64::try_from(micros).map_err(|_| TimeError::Overflow)?;
    Ok((Duration::from_micros(micros), trailing))
}

/// HAProxy's warning for a time with something after its unit.
pub fn trailing_warning(c: char, value: &str) -> String {
    format!("unexpected character '{c}' after the timer value '{value}', only (us=microseconds,ms=milliseconds,s=seconds,m=minutes,h=hours,d=days) are supported. This will be reported as an error in next versions.")
}

/// A decimal integer; HAProxy's `atoi` would read garbage as 0, which hides typos.
pub fn uint(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A count as HAProxy reads it, with `atol()`: the leading digits, the rest ignored (`10k` is
/// 10, `abc` is 0). `None` for an empty word (HAProxy's "expects an integer argument"). The flag
/// is false when the word was more than a number: the value is then probably not what was
/// meant, which deserves a warning (see [`loosely_read`]) where HAProxy says nothing.
pub fn count(s: &str) -> Option<(u32, bool)> {
    if s.is_empty() {
        return None;
    }
    let n = atoi(s).clamp(0, i64::from(u32::MAX)) as u32;
    Some((n, uint(s).is_some()))
}

/// The warning for a [`count`] that was not a plain number.
pub fn loosely_read(kw: &str, word: &str, n: u32) -> String {
    format!("'{kw} {word}' is read as {kw} {n}, as HAProxy reads it (the digits before the first other character).")
}

pub fn port(s: &str) -> Result<u16, String> {
    match uint(s) {
        Some(p @ 1..=65535) => u16::try_from(p).map_err(|_| format!("invalid port '{s}'")),
        _ => Err(format!("invalid port '{s}'")),
    }
}

/// Which families an address prefix (`ipv4@`, `ipv6@`) allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Any,
    V4,
    V6,
}

/// `host:port` split the HAProxy way: the port follows the *last* colon, so `::1:80` is
/// host `::1` port 80; `[::1]:80` is accepted too. An empty or `*` host means "any".
pub struct HostPort<'a> {
    pub family: Family,
    pub host: &'a str,
    /// None when the text had no colon at all.
    pub port: Option<&'a str>,
}

pub fn split_host_port(text: &str) -> HostPort<'_> {
    let (family, rest) = if let Some(r) = text.strip_prefix("ipv4@") {
        (Family::V4, r)
    } else if let Some(r) = text.strip_prefix("ipv6@") {
        (Family::V6, r)
    } else {
        (Family::Any, text)
    };
    if let Some(inner) = rest.strip_prefix('[') {
        if let Some((host, after)) = inner.split_once(']') {
            let port = after.strip_prefix(':');
            return HostPort { family, host, port };
        }
    }
    match rest.rsplit_once(':') {
        Some((host, port)) => HostPort {
            family,
            host,
            port: Some(port),
        },
        None => HostPort {
            family,
            host: rest,
            port: None,
        },
    }
}

/// Resolves a host for `family`. Empty and `*` mean the wildcard address.
pub fn resolve_host(host: &str, family: Family, port: u16) -> Option<Vec<SocketAddr>> {
    if host.is_empty() || host == "*" {
        let ip: IpAddr = match family {
            Family::V6 => IpAddr::from([0u16; 8]),
            _ => IpAddr::from([0u8; 4]),
        };
        return Some(vec![SocketAddr::new(ip, port)]);
    }
    if host == "::" {
        return Some(vec![SocketAddr::new(IpAddr::from([0u16; 8]), port)]);
    }
    let found: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => (host, port).to_socket_addrs().ok()?.collect(),
    };
    let wanted: Vec<SocketAddr> = found
        .into_iter()
        .filter(|a| match family {
            Family::Any => true,
            Family::V4 => a.is_ipv4(),
            Family::V6 => a.is_ipv6(),
        })
        .collect();
    (!wanted.is_empty()).then_some(wanted)
}

/// One element of a `bind` list: `addr:port` or `addr:low-high`, every address resolved.
pub fn bind_addrs(item: &str) -> Result<Vec<SocketAddr>, String> {
    let hp = split_host_port(item);
    let Some(port_text) = hp.port else {
        return Err(format!("missing port specification in '{item}'"));
    };
    let (low, high) = match port_text.split_once('-') {
        Some((l, h)) => (port(l)?, port(h)?),
        None => {
            let p = port(port_text)?;
            (p, p)
        }
    };
    if high < low {
        return Err(format!("invalid port range '{port_text}'"));
    }
    let base = resolve_host(hp.host, hp.family, 0)
        .ok_or_else(|| format!("invalid address: '{}' in '{item}'", hp.host))?;
    let mut out = Vec::new();
    for ip in base {
        for p in low..=high {
            out.push(SocketAddr::new(ip.ip(), p));
        }
    }
    Ok(out)
}

/// C's atoi(), as HAProxy reads many numbers: optional blanks and sign, then digits up to the
/// first other character (`12abc` is 12, `abc` is 0).
pub fn atoi(s: &str) -> i64 {
    strtol(s).map_or(0, |n| n.value)
}

/// What C's `strtol(s, &end, 10)` read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Strtol<'a> {
    /// Clamped to the range, as strtol clamps to `long`'s.
    pub value: i64,
    /// The value did not fit (`ERANGE`).
    pub overflow: bool,
    /// What follows the digits (`end`).
    pub rest: &'a str,
}

/// C's `strtol()` in base 10: blanks, a sign, digits up to the first other character; None
/// when there is no digit (`end == s`).
pub fn strtol(s: &str) -> Option<Strtol<'_>> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let end = digits
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(digits.len());
    if end == 0 {
        return None;
    }
    let mut overflow = false;
    let n = digits[..end].bytes().fold(0i64, |n, d| {
        let next = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(i64::from(d - b'0')));
        overflow |= next.is_none();
        next.unwrap_or(i64::MAX)
    });
    Some(Strtol {
        value: if neg { -n } else { n },
        overflow,
        rest: &digits[end..],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_as_atol() {
        assert_eq!(count(""), None);
        assert_eq!(count("10"), Some((10, true)));
        assert_eq!(count("10k"), Some((10, false)));
        assert_eq!(count("abc"), Some((0, false)));
        assert_eq!(count("-5"), Some((0, false)));
    }

    #[test]
    fn atoi_is_c_like() {
        assert_eq!(atoi("-1"), -1);
        assert_eq!(atoi("12abc"), 12);
        assert_eq!(atoi(" +7"), 7);
        assert_eq!(atoi("be_tcp"), 0);
    }

    #[test]
    fn times_with_units() {
        assert_eq!(time("5000"), Ok(Duration::from_millis(5000)));
        assert_eq!(time("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(time("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(time("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(time("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(time("1d"), Ok(Duration::from_secs(86400)));
        assert_eq!(time("500us"), Ok(Duration::from_micros(500)));
        assert_eq!(time("0"), Ok(Duration::ZERO));
    }

    #[test]
    fn time_errors_name_the_culprit() {
        assert_eq!(time(""), Err(TimeError::Empty));
        assert_eq!(time("abc"), Err(TimeError::Unexpected('a')));
        assert_eq!(time("5x"), Err(TimeError::Unexpected('x')));
        assert_eq!(time("5ux"), Err(TimeError::Unexpected('u')));
        assert_eq!(time("5u"), Err(TimeError::Unexpected('u')));
        assert_eq!(timer("5mx"), Ok((Duration::from_secs(300), Some('x'))));
        assert_eq!(timer("10sec"), Ok((Duration::from_secs(10), Some('e'))));
        assert_eq!(timer("10mss"), Ok((Duration::from_millis(10), Some('s'))));
        assert_eq!(timer("1d2"), Ok((Duration::from_secs(86400), Some('2'))));
        assert_eq!(timer("10s"), Ok((Duration::from_secs(10), None)));
        assert_eq!(time("99999999999"), Err(TimeError::Overflow));
        assert_eq!(time("25d"), Err(TimeError::Overflow));
        assert_eq!(
            TimeError::Unexpected('a').describe("timeout check", "abc"),
            "unexpected character 'a' in 'timeout check'"
        );
        assert_eq!(
            TimeError::Overflow.describe("timeout server", "99999999999"),
            "timer overflow in argument '99999999999' to 'timeout server' (maximum value is 2147483647 ms or ~24.8 days)"
        );
    }

    #[test]
    fn integers_reject_garbage() {
        assert_eq!(uint("12"), Some(12));
        assert_eq!(uint("-1"), None);
        assert_eq!(uint("1x"), None);
        assert_eq!(uint(""), None);
        assert_eq!(port("0"), Err("invalid port '0'".into()));
        assert_eq!(port("99999"), Err("invalid port '99999'".into()));
    }

    #[test]
    fn bind_address_forms() {
        let one = |s: &str| bind_addrs(s).expect(s);
        assert_eq!(one(":80"), vec!["0.0.0.0:80".parse().unwrap()]);
        assert_eq!(one("*:81"), vec!["0.0.0.0:81".parse().unwrap()]);
        assert_eq!(one("[::]:82"), vec!["[::]:82".parse().unwrap()]);
        assert_eq!(one(":::83"), vec!["[::]:83".parse().unwrap()]);
        assert_eq!(one("::1:84"), vec!["[::1]:84".parse().unwrap()]);
        assert_eq!(
            one("ipv4@127.0.0.1:85"),
            vec!["127.0.0.1:85".parse().unwrap()]
        );
        assert_eq!(one("ipv6@:86"), vec!["[::]:86".parse().unwrap()]);
        assert_eq!(one("127.0.0.1:90-91").len(), 2);
        assert!(one("localhost:87").iter().all(|a| a.ip().is_loopback()));
    }

    #[test]
    fn bind_address_errors_match_haproxy() {
        assert_eq!(
            bind_addrs("127.0.0.1"),
            Err("missing port specification in '127.0.0.1'".into())
        );
        assert_eq!(
            bind_addrs("nosuch.invalid:80"),
            Err("invalid address: 'nosuch.invalid' in 'nosuch.invalid:80'".into())
        );
        assert_eq!(
            bind_addrs("127.0.0.1:99999"),
            Err("invalid port '99999'".into())
        );
    }
}
