//! `log-format`: HAProxy's custom connection lines, parsed once when the configuration loads
//! and rendered for each connection from [`Fields`].
//!
//! The TCP-mode variables of HAProxy 2.6 are all here, with its flags (`Q` quotes strings, `X`
//! writes addresses, ports and a few counters in hex, `E` escapes `"`, `\` and `]`; `%o`
//! applies its flags to every later variable), its separators (runs of spaces write one
//! space, none at the start) and its `-` for an empty string. Sample expressions are limited to
//! the connection's addresses and the proxies' names; HTTP and TLS variables are refused in a
//! TCP proxy as HAProxy refuses them (`reserved for HTTP mode`).

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::SystemTime;

use crate::logging::time as logtime;

/// A parsed format.
#[derive(Debug, Clone, PartialEq)]
pub struct LogFormat {
    nodes: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Text(String),
    /// One or more spaces of the format: one space in the line, unless one was just written.
    Sep,
    Var(Var, Flags),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Flags {
    quote: bool,
    hex: bool,
    escape: bool,
}

/// The variables a TCP proxy logs (`%ci`, `%Tw`…) and the sample fetches proxyd evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Var {
    BytesOut,
    BytesIn,
    Hostname,
    UniqueId,
    Status,
    DateGmt,
    DateLocal,
    Timestamp,
    Millis,
    Date,
    Tc,
    Td,
    Th,
    Tt,
    Tu,
    Tw,
    ActConn,
    Backend,
    BeConn,
    BackendIp,
    BackendPort,
    BackendQueue,
    ClientIp,
    ClientPort,
    Frontend,
    FeConn,
    FrontendIp,
    FrontendPort,
    FrontendXprt,
    LogCounter,
    /// `%hr`, `%hrl`, `%hs`, `%hsl`: captured headers, none in TCP mode (nothing written).
    Captures,
    Pid,
    Retries,
    RequestCounter,
    Server,
    SrvConn,
    ServerIp,
    ServerPort,
    SrvQueue,
    TermState,
    /// `%sslc`, `%sslv`: no TLS is terminated, so always empty.
    Ssl,
    // Sample fetches (`%[src]`…), rendered as strings.
    SmpSrc,
    SmpSrcPort,
    SmpDst,
    SmpDstPort,
    SmpFeName,
    SmpBeName,
    SmpSrvName,
}

const VARS: &[(&str, Var)] = &[
    ("B", Var::BytesOut),
    ("U", Var::BytesIn),
    ("H", Var::Hostname),
    ("ID", Var::UniqueId),
    ("ST", Var::Status),
    ("T", Var::DateGmt),
    ("Tl", Var::DateLocal),
    ("Ts", Var::Timestamp),
    ("ms", Var::Millis),
    ("t", Var::Date),
    ("Tc", Var::Tc),
    ("Td", Var::Td),
    ("Th", Var::Th),
    ("Tt", Var::Tt),
    ("Tu", Var::Tu),
    ("Tw", Var::Tw),
    ("ac", Var::ActConn),
    ("b", Var::Backend),
    ("bc", Var::BeConn),
    ("bi", Var::BackendIp),
    ("bp", Var::BackendPort),
    ("bq", Var::BackendQueue),
    ("ci", Var::ClientIp),
    ("cp", Var::ClientPort),
    ("f", Var::Frontend),
    ("fc", Var::FeConn),
    ("fi", Var::FrontendIp),
    ("fp", Var::FrontendPort),
    ("ft", Var::FrontendXprt),
    ("lc", Var::LogCounter),
    ("hr", Var::Captures),
    ("hrl", Var::Captures),
    ("hs", Var::Captures),
    ("hsl", Var::Captures),
    ("pid", Var::Pid),
    ("rc", Var::Retries),
    ("rt", Var::RequestCounter),
    ("s", Var::Server),
    ("sc", Var::SrvConn),
    ("si", Var::ServerIp),
    ("sp", Var::ServerPort),
    ("sq", Var::SrvQueue),
    ("ts", Var::TermState),
    ("sslc", Var::Ssl),
    ("sslv", Var::Ssl),
];

/// HAProxy's variables that only an HTTP proxy may log.
const HTTP_ONLY: &[&str] = &[
    "CC", "CS", "HM", "HP", "HPO", "HQ", "HU", "HV", "Ta", "Ti", "Tq", "TR", "Tr", "r", "tr",
    "trg", "trl", "tsc",
];

const FETCHES: &[(&str, Var)] = &[
    ("src", Var::SmpSrc),
    ("src_port", Var::SmpSrcPort),
    ("dst", Var::SmpDst),
    ("dst_port", Var::SmpDstPort),
    ("fe_name", Var::SmpFeName),
    ("be_name", Var::SmpBeName),
    ("srv_name", Var::SmpSrvName),
];

/// Why a format was refused: HAProxy's text, or a sample expression proxyd does not evaluate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatError {
    Haproxy(String),
    Unsupported(String),
}

impl LogFormat {
    /// Parses `text` (the `log-format` argument) as HAProxy's `parse_logformat_string`.
    pub fn parse(text: &str) -> Result<LogFormat, FormatError> {
        let err = |m: String| Err(FormatError::Haproxy(m));
        let mut nodes = Vec::new();
        let mut global = Flags::default();
        let mut text_run = String::new();
        let b = text.as_bytes();
        let mut i = 0;
        let flush = |run: &mut String, nodes: &mut Vec<Node>| {
            if !run.is_empty() {
                nodes.push(Node::Text(std::mem::take(run)));
            }
        };
        while i < b.len() {
            match b[i] {
                b' ' => {
                    flush(&mut text_run, &mut nodes);
                    if nodes.last() != Some(&Node::Sep) {
                        nodes.push(Node::Sep);
                    }
                    i += 1;
                }
                b'%' if b.get(i + 1) == Some(&b'%') => {
                    text_run.push('%');
                    i += 2;
                }
                b'%' => {
                    flush(&mut text_run, &mut nodes);
                    i += 1;
                    let mut flags = global;
                    let mut args_text = None;
                    if b.get(i) == Some(&b'{') {
                        let Some(end) = text[i + 1..].find('}') else {
                            return err(format!("truncated line after '{}'.", &text[i + 1..]));
                        };
                        let args = &text[i + 1..i + 1 + end];
                        for a in args.split(',') {
                            apply_flag(&mut flags, a);
                        }
                        args_text = Some(&text[i..i + 2 + end]);
                        i += end + 2;
                    }
                    if b.get(i) == Some(&b'[') {
                        let Some(end) = text[i + 1..].find(']') else {
                            return err(format!("truncated line after '{}'.", &text[i..]));
                        };
                        let expr = &text[i + 1..i + 1 + end];
                        let var = fetch(expr)?;
                        nodes.push(Node::Var(var, flags));
                        i += end + 2;
                        continue;
                    }
                    let start = i;
                    while i < b.len() && b[i].is_ascii_alphanumeric() {
                        i += 1;
                    }
                    let name = &text[start..i];
                    if name.is_empty() {
                        return match args_text {
                            Some(a) => err(format!(
                                "parse argument modifier without variable name near '%{a}'."
                            )),
                            None => err("truncated line after '%'.".into()),
                        };
                    }
                    if name == "o" {
                        global = flags;
                        continue;
                    }
                    if HTTP_ONLY.contains(&name) {
                        return err(format!(
                            "format variable '{name}' is reserved for HTTP mode."
                        ));
                    }
                    let Some((_, var)) = VARS.iter().find(|(n, _)| *n == name) else {
                        return err(format!("no such format variable '{name}'. If you wanted to emit the '%' character verbatim, you need to use '%%'."));
                    };
                    nodes.push(Node::Var(*var, flags));
                }
                _ => {
                    let c = text[i..].chars().next().unwrap_or(' ');
                    text_run.push(c);
                    i += c.len_utf8();
                }
            }
        }
        flush(&mut text_run, &mut nodes);
        Ok(LogFormat { nodes })
    }

    /// True when the format logs the server connection's local address (`%bi`, `%bp`), which
    /// costs a system call per connection to learn.
    pub fn wants_backend_source(&self) -> bool {
        self.nodes
            .iter()
            .any(|n| matches!(n, Node::Var(Var::BackendIp | Var::BackendPort, _)))
    }

    /// True when the format logs the server's address (`%si`, `%sp`).
    pub fn wants_server_address(&self) -> bool {
        self.nodes
            .iter()
            .any(|n| matches!(n, Node::Var(Var::ServerIp | Var::ServerPort, _)))
    }

    /// True when the format logs any address besides the client's.
    pub fn wants_addresses(&self) -> bool {
        self.wants_frontend_address() || self.wants_backend_source() || self.wants_server_address()
    }

    /// True when the format logs the address the client connected to (`%fi`, `%fp`, `dst`).
    pub fn wants_frontend_address(&self) -> bool {
        self.nodes.iter().any(|n| {
            matches!(
                n,
                Node::Var(
                    Var::FrontendIp | Var::FrontendPort | Var::SmpDst | Var::SmpDstPort,
                    _
                )
            )
        })
    }

    /// The line for one connection (HAProxy's `sess_build_logline`).
    pub fn render(&self, f: &Fields<'_>) -> String {
        let mut out = String::new();
        let mut last_space = true;
        for node in &self.nodes {
            match node {
                Node::Sep => {
                    if !last_space {
                        out.push(' ');
                        last_space = true;
                    }
                    continue;
                }
                Node::Text(t) => out.push_str(t),
                Node::Var(v, flags) => var(&mut out, *v, *flags, f),
            }
            last_space = false;
        }
        out
    }
}

fn apply_flag(flags: &mut Flags, arg: &str) {
    let (on, name) = match arg.as_bytes().first() {
        Some(b'+') => (true, &arg[1..]),
        Some(b'-') => (false, &arg[1..]),
        _ => return,
    };
    match name {
        "Q" => flags.quote = on,
        "X" => flags.hex = on,
        "E" => flags.escape = on,
        // HAProxy ignores the flags it does not know.
        _ => {}
    }
}

fn fetch(expr: &str) -> Result<Var, FormatError> {
    match FETCHES.iter().find(|(n, _)| *n == expr) {
        Some((_, v)) => Ok(*v),
        None => Err(FormatError::Unsupported(format!(
            "sample expression '%[{expr}]' (proxyd evaluates only {})",
            FETCHES
                .iter()
                .map(|(n, _)| format!("'{n}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// What a connection line can show.
pub struct Fields<'a> {
    pub client: SocketAddr,
    /// The address the client connected to (`%fi`), when the format needs it.
    pub frontend_addr: Option<SocketAddr>,
    /// The server connection's local address (`%bi`), when the format needs it.
    pub backend_source: Option<SocketAddr>,
    /// The server's address, once one was chosen and connected to.
    pub server_addr: Option<SocketAddr>,
    pub accepted: SystemTime,
    pub frontend: &'a str,
    pub backend: &'a str,
    pub server: Option<&'a str>,
    /// Milliseconds spent queued, or -1 when the session never reached a queue.
    pub queue_ms: i64,
    /// Milliseconds to connect, or -1 when no connection was established.
    pub connect_ms: i64,
    pub total_ms: u32,
    pub bytes_out: u64,
    pub bytes_in: u64,
    pub term: &'a str,
    pub actconn: u64,
    pub feconn: u64,
    pub beconn: u64,
    pub srvconn: u64,
    pub retries: u32,
    pub redispatched: bool,
    pub srv_queue: u64,
    pub backend_queue: u64,
    pub log_counter: u64,
    pub request_counter: u64,
    pub hostname: &'a str,
    /// Written early (`option logasap`): times and byte counts are marked `+`.
    pub asap: bool,
}

fn var(out: &mut String, v: Var, flags: Flags, f: &Fields<'_>) {
    // HAProxy 2.6 counts %Tw from a request date TCP streams do not have (-1).
    let tw = if f.queue_ms >= 0 { f.queue_ms + 1 } else { -1 };
    let t_connect = (f.queue_ms >= 0 && f.connect_ms >= 0).then(|| f.queue_ms + f.connect_ms);
    let num = |out: &mut String, n: i64| {
        let _ = write!(out, "{n}");
    };
    match v {
        Var::BytesOut => {
            if f.asap {
                out.push('+');
            }
            num(out, f.bytes_out as i64)
        }
        Var::BytesIn => num(out, f.bytes_in as i64),
        Var::Hostname => text(out, Some(f.hostname), flags),
        Var::UniqueId => text(out, None, flags),
        Var::Status => out.push('0'),
        Var::DateGmt => out.push_str(&logtime::gmt_date(f.accepted)),
        Var::DateLocal => out.push_str(&logtime::gmt_date(f.accepted)),
        Var::Timestamp => {
            let secs = unix_secs(f.accepted);
            match flags.hex {
                true => {
                    let _ = write!(out, "{:04X}", secs as u32);
                }
                false => num(out, secs as i64),
            }
        }
        Var::Millis => {
            let ms = millis(f.accepted);
            match flags.hex {
                true => {
                    let _ = write!(out, "{ms:02X}");
                }
                false => {
                    let _ = write!(out, "{ms:03}");
                }
            }
        }
        Var::Date => out.push_str(&logtime::date(f.accepted, false)),
        Var::Tc => num(out, f.connect_ms),
        Var::Td => num(out, t_connect.map_or(-1, |c| i64::from(f.total_ms) - c)),
        Var::Th => out.push('0'),
        Var::Tt | Var::Tu => {
            if f.asap {
                out.push('+');
            }
            num(out, i64::from(f.total_ms))
        }
        Var::Tw => num(out, tw),
        Var::ActConn => num(out, f.actconn as i64),
        Var::Backend => text(out, Some(f.backend), flags),
        Var::BeConn => num(out, f.beconn as i64),
        Var::BackendIp => ip(out, f.backend_source, flags),
        Var::BackendPort => port(out, f.backend_source, flags),
        Var::BackendQueue => num(out, f.backend_queue as i64),
        Var::ClientIp => ip(out, Some(f.client), flags),
        Var::ClientPort => port(out, Some(f.client), flags),
        Var::Frontend => text(out, Some(f.frontend), flags),
        Var::FeConn => num(out, f.feconn as i64),
        Var::FrontendIp => ip(out, f.frontend_addr, flags),
        Var::FrontendPort => port(out, f.frontend_addr, flags),
        // Quoted like a string but never escaped nor dashed (HAProxy copies the name).
        Var::FrontendXprt => {
            let q = if flags.quote { "\"" } else { "" };
            let _ = write!(out, "{q}{}{q}", f.frontend);
        }
        Var::LogCounter => num(out, f.log_counter as i64),
        Var::Captures => {}
        Var::Pid => {
            let pid = std::process::id();
            match flags.hex {
                true => {
                    let _ = write!(out, "{pid:04X}");
                }
                false => num(out, i64::from(pid)),
            }
        }
        Var::Retries => {
            if f.redispatched {
                out.push('+');
            }
            num(out, i64::from(f.retries));
        }
        Var::RequestCounter => match flags.hex {
            true => {
                let _ = write!(out, "{:04X}", f.request_counter);
            }
            false => num(out, f.request_counter as i64),
        },
        Var::Server => text(out, Some(f.server.unwrap_or("<NOSRV>")), flags),
        Var::SrvConn => num(out, f.srvconn as i64),
        Var::ServerIp => ip(out, f.server_addr, flags),
        Var::ServerPort => port(out, f.server_addr, flags),
        Var::SrvQueue => num(out, f.srv_queue as i64),
        Var::TermState => out.push_str(f.term),
        Var::Ssl => text(out, None, flags),
        Var::SmpSrc => text(out, Some(&f.client.ip().to_string()), flags),
        Var::SmpSrcPort => text(out, Some(&f.client.port().to_string()), flags),
        Var::SmpDst => text(
            out,
            f.frontend_addr.map(|a| a.ip().to_string()).as_deref(),
            flags,
        ),
        Var::SmpDstPort => text(
            out,
            f.frontend_addr.map(|a| a.port().to_string()).as_deref(),
            flags,
        ),
        Var::SmpFeName => text(out, Some(f.frontend), flags),
        Var::SmpBeName => text(out, Some(f.backend), flags),
        Var::SmpSrvName => text(out, f.server, flags),
    }
}

/// HAProxy's `lf_text_len`: quoted with `Q` (an empty value is then `""`), escaped with `E`,
/// `-` when empty.
fn text(out: &mut String, s: Option<&str>, flags: Flags) {
    if flags.quote {
        out.push('"');
    }
    match s.filter(|s| !s.is_empty()) {
        Some(s) if flags.escape => {
            for c in s.chars() {
                if matches!(c, '"' | '\\' | ']') {
                    out.push('\\');
                }
                out.push(c);
            }
        }
        Some(s) => out.push_str(s),
        None if !flags.quote => out.push('-'),
        None => {}
    }
    if flags.quote {
        out.push('"');
    }
}

/// HAProxy's `lf_ip`: upper-case hex bytes with `X`, else the address as text.
fn ip(out: &mut String, addr: Option<SocketAddr>, flags: Flags) {
    let Some(addr) = addr else {
        return text(out, None, flags);
    };
    if flags.hex {
        match addr.ip() {
            std::net::IpAddr::V4(v4) => {
                for b in v4.octets() {
                    let _ = write!(out, "{b:02X}");
                }
            }
            std::net::IpAddr::V6(v6) => {
                for b in v6.octets() {
                    let _ = write!(out, "{b:02X}");
                }
            }
        }
        return;
    }
    text(out, Some(&addr.ip().to_string()), flags);
}

/// HAProxy's `lf_port`: `%04X` with `X`, else the number (never quoted).
fn port(out: &mut String, addr: Option<SocketAddr>, flags: Flags) {
    let Some(addr) = addr else {
        return text(out, None, flags);
    };
    if flags.hex {
        let _ = write!(out, "{:04X}", addr.port());
    } else {
        let _ = write!(out, "{}", addr.port());
    }
}

fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn millis(t: SystemTime) -> u32 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_millis())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Fields<'static> {
        Fields {
            client: "127.0.0.1:56848".parse().unwrap(),
            frontend_addr: Some("127.0.0.1:29093".parse().unwrap()),
            backend_source: Some("127.0.0.1:40000".parse().unwrap()),
            server_addr: Some("127.0.0.1:29002".parse().unwrap()),
            accepted: SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_795_602_208_764),
            frontend: "fe",
            backend: "be",
            server: Some("s1"),
            queue_ms: 0,
            connect_ms: 0,
            total_ms: 5,
            bytes_out: 3,
            bytes_in: 3,
            term: "--",
            actconn: 1,
            feconn: 1,
            beconn: 0,
            srvconn: 0,
            retries: 0,
            redispatched: false,
            srv_queue: 0,
            backend_queue: 0,
            log_counter: 0,
            request_counter: 1,
            hostname: "vm",
            asap: false,
        }
    }

    #[test]
    fn flags_separators_and_dashes_follow_haproxy() {
        // Observed with HAProxy 2.6.12 on the same format.
        let f = LogFormat::parse(r#"  a   %ci  %{+Q}ID %{+Q}sslv %{+Q,+E}[src] %{+E}o %ft "q]\  %{+X}fi:%{+X}fp %{+X}ms %{+Q}cp %{+Q}Tt %{+Q}ts  "#)
            .expect("format");
        assert_eq!(
            f.render(&fields()),
            r#"a 127.0.0.1 "" "" "127.0.0.1" fe "q]\ 7F000001:71A5 2FC 56848 5 -- "#
        );
        let f = LogFormat::parse(r"%{+Q}o %ci %ft %{-Q}b %{+X}ci:%{+X}cp %{+X}Ts %{+Q}s [%[src]] %[dst_port] %{+X}rt %{+X}B %{+X}Tt")
            .expect("format");
        assert_eq!(
            f.render(&fields()),
            r#""127.0.0.1" "fe" be 7F000001:DE10 6B06B720 "s1" ["127.0.0.1"] "29093" 0001 3 5"#
        );
    }

    #[test]
    fn tcplog_is_a_log_format() {
        let f = LogFormat::parse(
            "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq",
        )
        .expect("format");
        let line = f.render(&fields());
        assert!(line.starts_with("127.0.0.1:56848 ["), "{line}");
        assert!(
            line.ends_with("] fe be/s1 1/0/5 3 -- 1/1/0/0/0 0/0"),
            "{line}"
        );
    }

    #[test]
    fn bad_formats_get_haproxys_words() {
        let e = |s: &str| match LogFormat::parse(s) {
            Err(FormatError::Haproxy(m)) => m,
            other => panic!("{s}: {other:?}"),
        };
        assert_eq!(e("%xyz"), "no such format variable 'xyz'. If you wanted to emit the '%' character verbatim, you need to use '%%'.");
        assert_eq!(e("%ci %"), "truncated line after '%'.");
        assert_eq!(e("%{+Q ci"), "truncated line after '+Q ci'.");
        assert_eq!(e("%Ta"), "format variable 'Ta' is reserved for HTTP mode.");
        assert_eq!(
            e("%{+Q}"),
            "parse argument modifier without variable name near '%{+Q}'."
        );
        assert!(matches!(
            LogFormat::parse("%[src,ipmask(24)]"),
            Err(FormatError::Unsupported(_))
        ));
        assert_eq!(
            LogFormat::parse("100%% %H").map(|f| f.render(&fields())),
            Ok("100% vm".to_string())
        );
    }
}
