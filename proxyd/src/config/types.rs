//! The parsed configuration: what the rest of proxyd consumes. Built only by `config::load`, so
//! every value here has already been validated (defaults applied, names resolved, checks combined).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use runtime_api::level::Level;

#[derive(Debug, Clone)]
pub struct Config {
    pub global: Global,
    /// Every frontend, backend and listen section, in configuration order.
    pub proxies: Vec<Proxy>,
}

#[derive(Debug, Clone)]
pub struct Global {
    /// `maxconn`; None = derived from the file-descriptor limit, as HAProxy does.
    pub maxconn: Option<u32>,
    pub nbthread: Option<usize>,
    pub daemon: bool,
    pub pidfile: Option<PathBuf>,
    pub user: Option<String>,
    pub group: Option<String>,
    pub chroot: Option<PathBuf>,
    pub logs: Vec<LogTarget>,
    /// `log-tag`: the program name in syslog headers; HAProxy's default is the name the
    /// program was started as.
    pub log_tag: Option<String>,
    /// `log-send-hostname [NAME]`: the host name syslog headers carry (none without it).
    pub log_hostname: Option<String>,
    pub stats_sockets: Vec<StatsSocket>,
    /// `stats timeout`, default 10s.
    pub stats_timeout: Duration,
    /// `spread-checks` percent (0..=50), default 0.
    pub spread_checks: u32,
    pub node: Option<String>,
    pub description: Option<String>,
    /// `stats maxconn`, default 10.
    pub stats_maxconn: u32,
    /// `uid` / the id `user` names: the identity to drop to after binding.
    pub uid: Option<u32>,
    /// `gid` / the id `group` names.
    pub gid: Option<u32>,
    /// `hard-stop-after`: longest time old connections may keep a stopping process alive.
    pub hard_stop_after: Option<Duration>,
    /// `master-worker`.
    pub master_worker: bool,
    /// `maxconnrate`, `maxsessrate`, `maxsslrate`, `maxcomprate` (0 = no limit).
    pub rate_limits: RateLimits,
    /// `setenv`/`presetenv`/`unsetenv`, in the order the names were first set: what the
    /// process environment looks like to the configuration (and to `show env`).
    pub env: Vec<(String, Option<String>)>,
    /// `server-state-file`: the file `load-server-state-from-file global` reads, as written.
    pub server_state_file: Option<String>,
    /// `server-state-base`: the directory relative state-file names are read from.
    pub server_state_base: Option<String>,
}

/// `load-server-state-from-file`: where a backend's servers take their state from at start.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub enum ServerStateFrom {
    #[default]
    None,
    /// The global `server-state-file`.
    Global,
    /// The backend's own file: `server-state-file-name`, else the backend's name.
    Local(String),
}

/// The process-wide rate limits: new connections and sessions per second (enforced before
/// accepting), TLS sessions per second and compression kB/s (kept for `show info`: proxyd
/// neither terminates TLS nor compresses).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimits {
    pub conn: u32,
    pub sess: u32,
    pub ssl: u32,
    /// kB/s, as configured.
    pub comp: u32,
}

/// TCP keep-alive timing of one side's sockets; what is not set keeps the kernel's default
/// (`net.ipv4.tcp_keepalive_*`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeepAliveTuning {
    /// Idle time before the first probe (`TCP_KEEPIDLE`).
    pub idle: Option<Duration>,
    /// Time between probes (`TCP_KEEPINTVL`).
    pub intvl: Option<Duration>,
    /// Probes without an answer before the connection is dropped (`TCP_KEEPCNT`).
    pub cnt: Option<u32>,
}

/// Which connection lines a frontend writes (HAProxy's log options).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnLogFilter {
    /// `option dontlognull`: not the connections that never received a byte from the client.
    pub dontlognull: bool,
    /// `option dontlog-normal`: only the connections that ended in error.
    pub dontlog_normal: bool,
    /// `option log-separate-errors`: those at level `err` instead of `info`.
    pub log_separate_errors: bool,
    /// `option http-ignore-probes`: an HTTP connection closed or timed out before its first
    /// byte gets no error answer and counts no error.
    pub ignore_probes: bool,
}

/// One `log` line: where to, the syslog facility, and which severities it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogTarget {
    pub dest: LogDest,
    /// `local0`…, by name.
    pub facility: String,
    /// `log … <facility> <level>`: less severe messages are not sent (7, `debug`, if absent).
    pub max_level: u8,
    /// `log … <facility> <level> <minlevel>`: more severe messages are sent at this level
    /// instead (0, `emerg`, if absent), so an alert does not reach every terminal.
    pub min_level: u8,
    /// `log … format <f>`: the header each line carries.
    pub format: LogFormat,
}

/// HAProxy's `log … format` names: what precedes the message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// `<PRI>Mmm dd hh:mm:ss [host ]tag[pid]: `
    #[default]
    Rfc3164,
    /// As `rfc3164`, never with the host name.
    Local,
    /// `<PRI>1 ISO-8601 host|- tag pid - - `
    Rfc5424,
    /// `<PRI>`
    Priority,
    /// `<LEVEL>`
    Short,
    /// `<LEVEL>ISO-8601 `
    Timed,
    /// `ISO-8601 `
    Iso,
    /// Nothing.
    Raw,
}

impl LogFormat {
    pub fn parse(name: &str) -> Option<LogFormat> {
        Some(match name {
            "rfc3164" => LogFormat::Rfc3164,
            "local" => LogFormat::Local,
            "rfc5424" => LogFormat::Rfc5424,
            "priority" => LogFormat::Priority,
            "short" => LogFormat::Short,
            "timed" => LogFormat::Timed,
            "iso" => LogFormat::Iso,
            "raw" => LogFormat::Raw,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogDest {
    /// `log stderr ...` / `log stdout ...`
    Stderr,
    Stdout,
    /// `log /dev/log ...`: a Unix datagram socket.
    Unix(PathBuf),
    /// `log 127.0.0.1:514 ...`: UDP.
    Udp(SocketAddr),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenAddr {
    Unix(PathBuf),
    Tcp(SocketAddr),
}

#[derive(Debug, Clone)]
pub struct StatsSocket {
    pub addr: ListenAddr,
    /// `mode 600`: permissions of the Unix socket file; None = leave the umask's choice.
    pub mode: Option<u32>,
    /// `level`, default operator.
    pub level: Level,
    /// `user`/`uid`, `group`/`gid`, resolved to numeric ids.
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    /// `expose-fd listeners`: a new process may fetch the listening sockets here on reload.
    pub expose_fd_listeners: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyKind {
    Frontend,
    Backend,
    Listen,
}

impl ProxyKind {
    pub fn is_frontend(self) -> bool {
        matches!(self, ProxyKind::Frontend | ProxyKind::Listen)
    }
    pub fn is_backend(self) -> bool {
        matches!(self, ProxyKind::Backend | ProxyKind::Listen)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Tcp,
    Http,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Tcp => "tcp",
            Mode::Http => "http",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Balance {
    RoundRobin,
    StaticRr,
    LeastConn,
    First,
    /// `source`, with the backend's `hash-type`.
    Source(HashType),
    /// `random` / `random(<draws>)`, default 2 draws.
    Random {
        draws: u32,
    },
}

impl Balance {
    /// The `algo` column (HAProxy reports `random` as `unknown`).
    pub fn algo_name(self) -> &'static str {
        match self {
            Balance::RoundRobin => "roundrobin",
            Balance::StaticRr => "static-rr",
            Balance::LeastConn => "leastconn",
            Balance::First => "first",
            Balance::Source(_) => "source",
            Balance::Random { .. } => "unknown",
        }
    }
    /// Static algorithms only accept runtime weights 0% and 100%; consistent hashing follows
    /// weights (and `slowstart`) while servers are up.
    pub fn is_static(self) -> bool {
        match self {
            Balance::StaticRr => true,
            Balance::Source(h) => !h.consistent,
            _ => false,
        }
    }
}

/// `hash-type <method> [<function> [avalanche]]`: how a hash picks a server. For `balance
/// source` HAProxy uses the client address itself as the hash, so `<function>` (checked, as
/// HAProxy checks it) changes nothing; only the method and `avalanche` do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HashType {
    /// `consistent`: points on a ring per server, the nearest one wins; else HAProxy's default
    /// map of weighted slots.
    pub consistent: bool,
    /// The hash goes through Bob Jenkins' full avalanche first (the default with
    /// `consistent` and no function).
    pub avalanche: bool,
    /// `hash-balance-factor` (percent, 0 when off): with `consistent`, a server already serving
    /// its share of this many times the average load per weight unit is passed over for the
    /// next one around the ring (HAProxy's bounded loads).
    pub balance_factor: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Option<Duration>,
    pub client: Option<Duration>,
    pub server: Option<Duration>,
    pub queue: Option<Duration>,
    pub check: Option<Duration>,
    pub client_fin: Option<Duration>,
    pub server_fin: Option<Duration>,
    /// Replaces `client` and `server` once the server connection is up (a TCP proxy has no
    /// analysers left by then); read from the backend.
    pub tunnel: Option<Duration>,
}

#[derive(Debug, Clone)]
pub struct Bind {
    /// Resolved addresses (a hostname may give several).
    pub addrs: Vec<SocketAddr>,
    /// `name` on the bind line; None = HAProxy's `sock-<n>`.
    pub name: Option<String>,
    /// `maxconn` on the bind line (listener `slim`), 0 when unset.
    pub maxconn: u32,
    /// `id` on the bind line: the listener's number in logs when it has no `name`.
    pub id: Option<u32>,
    /// `accept-proxy`: every connection starts with a PROXY protocol header (v1 or v2) whose
    /// addresses replace the socket's.
    pub accept_proxy: bool,
    pub sockopts: SockOpts,
    /// `FILE:LINE` of the bind line, for HAProxy's start-up messages.
    pub place: String,
    /// The text as written, for messages.
    pub text: String,
}

/// Socket options of a listening socket, applied as HAProxy's `tcp_bind_listener` does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SockOpts {
    /// `interface`: SO_BINDTODEVICE.
    pub interface: Option<String>,
    /// `transparent`: IP_TRANSPARENT (IP_FREEBIND when refused), to bind foreign addresses.
    pub transparent: bool,
    /// `backlog`, 0 when unset (the listener's maxconn then sizes the queue).
    pub backlog: u32,
    /// `defer-accept`: TCP_DEFER_ACCEPT of one second.
    pub defer_accept: bool,
    /// `tfo`: TCP_FASTOPEN with the backlog as its queue length.
    pub tfo: bool,
    /// `mss`: TCP_MAXSEG when positive; a negative value only lowers what clients announce,
    /// which the listening socket never carries.
    pub mss: i32,
    /// `tcp-ut`: TCP_USER_TIMEOUT in milliseconds, 0 when unset.
    pub tcp_ut_ms: u32,
}

#[derive(Debug, Clone)]
pub struct Proxy {
    pub name: String,
    /// Proxy id (`id` keyword or assigned), the `iid` column. Unique.
    pub id: u32,
    pub kind: ProxyKind,
    pub mode: Mode,
    pub binds: Vec<Bind>,
    pub default_backend: Option<String>,
    /// Frontend `maxconn`; None = global maxconn.
    pub maxconn: Option<u32>,
    /// Frontend `rate-limit sessions`, 0 = none.
    pub sess_rate_limit: u32,
    /// Backend `fullconn`; None = HAProxy's automatic value.
    pub fullconn: Option<u32>,
    /// `load-server-state-from-file` with `server-state-file-name` resolved.
    pub server_state: ServerStateFrom,
    pub balance: Balance,
    pub timeouts: Timeouts,
    /// `retries`, default 3.
    pub retries: u32,
    pub redispatch: bool,
    /// `option allbackups`: with no active server usable, every usable backup takes traffic
    /// (balanced), not only the first.
    pub all_backups: bool,
    /// `option abortonclose`: a client that closes while it waits in a queue is dropped at
    /// once rather than connected to a server later.
    pub abort_on_close: bool,
    /// `option log-health-checks`: a line for every check that moves the health counter or
    /// changes the check's status.
    pub log_health_checks: bool,
    /// `option nolinger`: server connections end with a reset, and a client's FIN ends the
    /// session rather than half-closing the server's side.
    pub nolinger: bool,
    pub servers: Vec<Server>,
    /// `stats enable` and friends; None when the section serves no stats page.
    pub stats: Option<StatsPage>,
    /// `option httpchk` present (for the `http` health-check columns and messages).
    pub http_check: Option<Arc<HttpCheck>>,
    /// `option tcp-check` with its rules (servers added at run time get them too).
    pub tcp_check: Option<Arc<TcpCheck>>,
    /// `description`.
    pub description: Option<String>,
    /// `option tcplog`: one line per connection, to this proxy's log targets.
    pub tcplog: bool,
    /// `option logasap`: the connection line is written when the server connection is up.
    pub logasap: bool,
    /// `option httplog` in an HTTP-mode proxy (its request lines are not written).
    pub httplog: bool,
    /// `log-format`, parsed: connection lines in that format instead of tcplog's.
    pub log_format: Option<Arc<crate::log_format::LogFormat>>,
    /// `log global`: this proxy's lines go to the global targets.
    pub log_global: bool,
    /// The proxy's own `log` lines (after those of its defaults section, which it inherits).
    pub logs: Vec<LogTarget>,
    /// The proxy's `log-tag`, replacing the global one on its lines.
    pub log_tag: Option<String>,
    /// Which connection lines a frontend logs, and at which level.
    pub log_filter: ConnLogFilter,
    /// `option clitcpka` (or `tcpka`): TCP keep-alive probes on client connections.
    pub cli_tcpka: bool,
    /// `option srvtcpka` (or `tcpka`): TCP keep-alive probes on server connections.
    pub srv_tcpka: bool,
    /// `clitcpka-idle`, `-intvl`, `-cnt`: the probes' timing on client connections.
    pub cli_ka: KeepAliveTuning,
    /// `srvtcpka-idle`, `-intvl`, `-cnt`: the probes' timing on server connections.
    pub srv_ka: KeepAliveTuning,
    /// `ssl-server-verify` when the section was read: what `verify` defaults to, also for
    /// servers added at run time.
    pub server_verify_required: bool,
    /// Where the section starts, for messages.
    pub file: PathBuf,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct Server {
    pub name: String,
    /// `id` or position from 1, the `sid` column.
    pub id: u32,
    /// Hostname or IP as written (the `srv_fqdn` in `show servers state` when a hostname).
    pub host: String,
    pub addr: SocketAddr,
    /// Connect to the client's destination port plus this offset (no port, `+N` or `-N` after
    /// the address); `addr` then has port 0.
    pub port_map: Option<i32>,
    /// `weight`, default 1 (0..=256).
    pub weight: u32,
    /// 0 = unlimited.
    pub maxconn: u32,
    /// `minconn`: with the backend's `fullconn`, the limit grows from it to `maxconn` with the
    /// backend's load; equal to `maxconn` when not given.
    pub minconn: u32,
    /// 0 = unlimited.
    pub maxqueue: u32,
    pub backup: bool,
    /// `disabled`: starts in MAINT.
    pub disabled: bool,
    /// `on-marked-down shutdown-sessions`.
    pub shutdown_on_down: bool,
    /// `track`: the server whose state this one follows, as `backend/server`.
    pub track: Option<String>,
    /// `slowstart` in whole seconds (rounded up, as HAProxy keeps it); 0 = none.
    pub slowstart: u32,
    /// `pool-purge-delay` and `pool-max-conn`: HAProxy's idle-connection pool, which TCP mode
    /// never fills; kept for `show servers conn`.
    pub pool: PoolSettings,
    /// `check` given: how this server is checked.
    pub check: Option<CheckSpec>,
    pub line: usize,
}

/// A server's idle-connection pool settings as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// `pool-purge-delay` in milliseconds (HAProxy's default 5 s).
    pub purge_delay_ms: u32,
    /// `pool-max-conn`: -1 = unlimited, HAProxy's default.
    pub max_conn: i32,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            purge_delay_ms: 5000,
            max_conn: -1,
        }
    }
}

#[derive(Debug, Clone)]
pub struct CheckSpec {
    /// Where checks connect: server address with `addr`/`port` applied.
    pub target: SocketAddr,
    /// `port` given explicitly (0 in `show servers state` otherwise).
    pub port_set: Option<u16>,
    pub addr_set: Option<IpAddr>,
    pub inter: Duration,
    pub fastinter: Duration,
    pub downinter: Duration,
    pub rise: u32,
    pub fall: u32,
    /// `check-ssl` (or `ssl` without port/addr): TLS before the probe.
    pub tls: Option<CheckTls>,
    /// `option httpchk`: an HTTP request/response after connect (and TLS).
    pub http: Option<Arc<HttpCheck>>,
    /// `option tcp-check`: the backend's `tcp-check` rules, run instead of the plain probe.
    pub tcp: Option<Arc<TcpCheck>>,
    /// TLS settings for `tcp-check connect … ssl` on a server without `check-ssl` (its
    /// `verify`/`ca-file`/`check-sni` as for `check-ssl`); `tls` serves when it is set.
    pub rules_tls: Option<CheckTls>,
    /// Backend `timeout connect`, bounds connect + TLS handshake with `inter`.
    pub timeout_connect: Option<Duration>,
    /// Backend `timeout check`, bounds the read phase.
    pub timeout_check: Option<Duration>,
}

impl CheckSpec {
    /// The TLS settings checks of this server may need: `check-ssl`'s, or those for
    /// `tcp-check connect … ssl`.
    pub fn any_tls(&self) -> Option<&CheckTls> {
        self.tls.as_ref().or(self.rules_tls.as_ref())
    }
}

#[derive(Debug, Clone)]
pub struct CheckTls {
    pub verify: Verify,
    /// `check-sni`.
    pub sni: Option<String>,
    /// `verifyhost`: the name the certificate must carry when no SNI is sent.
    pub verify_host: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verify {
    None,
    /// `verify required` with its `ca-file` PEM bundle.
    Required {
        ca_file: PathBuf,
    },
}

#[derive(Debug, Clone)]
pub struct HttpCheck {
    pub method: String,
    pub uri: String,
    pub version: String,
    /// Lower-cased names, in order, as they go on the wire.
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// Empty = the implicit `status 200-399`.
    pub expect: Vec<Expect>,
    pub disable_on_404: bool,
}

impl HttpCheck {
    /// The exact request bytes HAProxy 2.6 sends for this check.
    pub fn request_bytes(&self) -> Vec<u8> {
        let mut out = format!("{} {} {}\r\n", self.method, self.uri, self.version);
        let is_11 = self.version.eq_ignore_ascii_case("HTTP/1.1");
        for (name, value) in &self.headers {
            out.push_str(name);
            out.push_str(": ");
            out.push_str(value);
            out.push_str("\r\n");
        }
        if let Some(body) = &self.body {
            out.push_str(&format!("content-length: {}\r\n", body.len()));
        }
        if is_11 && !self.headers.iter().any(|(n, _)| n == "connection") {
            out.push_str("connection: close\r\n");
        }
        out.push_str("\r\n");
        if let Some(body) = &self.body {
            out.push_str(body);
        }
        out.into_bytes()
    }
}

/// `option tcp-check` with its rules, as HAProxy 2.6 runs them (src/tcpcheck.c), or one of
/// the protocol checks HAProxy builds from the same rules (`option redis-check`…).
#[derive(Debug, Clone)]
pub struct TcpCheck {
    /// In configuration order, the implicit first `connect` included when the rules do not
    /// start with one.
    pub rules: Vec<TcpCheckRule>,
    /// The protocol check these rules implement; None for the configuration's own rules.
    pub protocol: Option<ProtocolCheck>,
}

/// HAProxy's predefined tcp-check rulesets. Their failures are worded by the rules themselves
/// (`on-error`) or not at all: no step numbers, no "TCPCHK did not match", no `(tcp-check)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolCheck {
    Redis,
    Smtp,
    Pgsql,
    Mysql,
    Ldap,
    SslHello,
}

#[derive(Debug, Clone)]
pub struct TcpCheckRule {
    /// HAProxy's step number: the rule's position among the proxy's `tcp-check` lines from 1,
    /// 0 for the implicit connect ("initial connection step").
    pub step: usize,
    pub comment: Option<String>,
    pub action: TcpCheckAction,
}

#[derive(Debug, Clone)]
pub enum TcpCheckAction {
    Connect(TcpConnect),
    /// `send` / `send-binary`: the bytes written.
    Send(Vec<u8>),
    /// `bytes` with the current Unix time written big-endian over the 4 bytes at `time_at`:
    /// ssl-hello-chk's `%[date(),htonl,hex]`, which a server may check for freshness.
    SendTimed {
        bytes: Vec<u8>,
        time_at: usize,
    },
    Expect(TcpExpect),
    /// `comment`: names nothing but numbers a step.
    Comment,
}

#[derive(Debug, Clone, Default)]
pub struct TcpConnect {
    /// `port N`; otherwise the server's check port.
    pub port: Option<u16>,
    /// `ssl`.
    pub ssl: bool,
    /// `sni NAME`.
    pub sni: Option<String>,
    /// `default` (and the implicit connect): the server's `check-ssl` and `check-sni` apply.
    pub default: bool,
    /// Inserted because the rules did not start with a `connect`.
    pub implicit: bool,
}

#[derive(Debug, Clone)]
pub struct TcpExpect {
    pub negate: bool,
    /// `min-recv`; -1 when absent (wait for a match until the end of the data).
    pub min_recv: i64,
    pub pattern: TcpPattern,
    pub ok_status: Option<runtime_api::status::CheckStatus>,
    pub error_status: Option<runtime_api::status::CheckStatus>,
    pub tout_status: Option<runtime_api::status::CheckStatus>,
    /// `on-error`: the failure's text instead of the generic one.
    pub on_error: Option<CheckText>,
    /// `on-success`: the text when this is the last rule and it passed.
    pub on_success: Option<CheckText>,
    /// `status-code res.payload(FROM,LEN)`: the check code read from the answer, in decimal.
    pub status_code: Option<(usize, usize)>,
}

impl TcpExpect {
    pub fn new(pattern: TcpPattern) -> Self {
        TcpExpect {
            negate: false,
            min_recv: -1,
            pattern,
            ok_status: None,
            error_status: None,
            tout_status: None,
            on_error: None,
            on_success: None,
            status_code: None,
        }
    }
}

/// The texts HAProxy's protocol checks build with log-format expressions, each the one form
/// they use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckText {
    Fixed(String),
    /// `%[res.payload(FROM,0)]` (what was received from byte FROM on), then `ltrim(' ')` and
    /// `cut_crlf` (up to the first CR or LF) when set.
    Payload {
        from: usize,
        ltrim_spaces: bool,
        cut_crlf: bool,
    },
}

#[derive(Debug, Clone)]
pub enum TcpPattern {
    String(Vec<u8>),
    /// The bytes decoded from the configured hex digits.
    Binary(Vec<u8>),
    Rstring(regex::bytes::Regex),
    /// Matched against the received bytes written as upper-case hex.
    Rbinary(regex::Regex),
    /// A protocol check's own parser of the answer.
    Custom(CustomExpect),
}

/// HAProxy's `tcpcheck_*_expect_*` functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomExpect {
    /// The server's initial handshake packet (or its error packet).
    MysqlHandshake,
    /// The packet answering the authentication, after the handshake.
    MysqlOk,
    /// The bindResponse to an anonymous LDAPv3 bind.
    LdapBindResponse,
}

#[derive(Debug, Clone)]
pub struct Expect {
    pub negate: bool,
    pub matcher: ExpectMatch,
    pub opts: ExpectOpts,
}

/// The options of an `http-check expect` rule that change what a check reports.
#[derive(Debug, Clone, Default)]
pub struct ExpectOpts {
    /// `comment`: appended to the failure text (` comment: …`).
    pub comment: Option<String>,
    /// `ok-status`: the status when this is the last rule and it passed (default `L7OK`).
    pub ok_status: Option<runtime_api::status::CheckStatus>,
    /// `error-status`: the status when this rule fails.
    pub error_status: Option<runtime_api::status::CheckStatus>,
    /// `tout-status`: the status when the check times out waiting for this rule.
    pub tout_status: Option<runtime_api::status::CheckStatus>,
    /// `min-recv`: body bytes awaited before judging; with it a mismatch is final.
    pub min_recv: Option<i64>,
}

#[derive(Debug, Clone)]
pub enum ExpectMatch {
    /// `status 200,300-399`: inclusive ranges.
    Status(Vec<(u16, u16)>),
    Rstatus(regex::Regex),
    String(String),
    Rstring(regex::Regex),
}

#[derive(Debug, Clone)]
pub struct StatsPage {
    /// `stats uri`, default `/haproxy?stats`; matched as a prefix.
    pub uri: String,
    /// `stats realm`, default `HAProxy Statistics`.
    pub realm: String,
    /// `stats auth user:pass`, several allowed; empty = no authentication.
    pub auth: Vec<(String, String)>,
    pub hide_version: bool,
    pub refresh: Option<Duration>,
    pub show_legends: bool,
    pub show_node: bool,
    /// `stats admin if TRUE|LOCALHOST`.
    pub admin: Option<AdminCond>,
    /// Path answered by HAProxy's Prometheus exporter
    /// (`http-request use-service prometheus-exporter if { path /metrics }`).
    pub prometheus_path: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminCond {
    Always,
    Localhost,
}
