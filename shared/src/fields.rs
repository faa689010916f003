//! The `show stat` column table, in HAProxy 2.6's order, byte for byte.
//!
//! Positions never move: scripts read `$2` (svname), `$18` (status) and `$37` (check_status) by
//! position. Columns 0..=102 are HAProxy's static fields (`stat_fields[]`); HAProxy prints a `-`
//! column after them, then its stats modules' columns (SSL, HTTP/2, HTTP/1), which are
//! positions 103.. here as in `show stat typed`.

/// Which row kinds may carry a value in this column (HAProxy's `STATS_PX_CAP_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kinds(u8);

impl Kinds {
    pub const L: Kinds = Kinds(1);
    pub const F: Kinds = Kinds(2);
    pub const B: Kinds = Kinds(4);
    pub const S: Kinds = Kinds(8);

    const fn of(l: bool, f: bool, b: bool, s: bool) -> Kinds {
        Kinds((l as u8) | (f as u8) << 1 | (b as u8) << 2 | (s as u8) << 3)
    }

    pub fn contains(self, other: Kinds) -> bool {
        self.0 & other.0 == other.0
    }
}

/// The value type a column is printed with in `typed` and `json` output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    S32,
    U32,
    U64,
    Str,
}

impl ValueType {
    pub fn name(self) -> &'static str {
        match self {
            ValueType::S32 => "s32",
            ValueType::U32 => "u32",
            ValueType::U64 => "u64",
            ValueType::Str => "str",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    /// Origin, nature and scope letters as `show stat typed` prints them for server and
    /// frontend rows (backend rows differ for a few gauges, see [`typed_tags`]).
    pub tags: &'static str,
    pub vtype: ValueType,
    pub kinds: Kinds,
    /// Metric name suffix in HAProxy's Prometheus exporter, when it exports the column.
    pub prometheus: Option<&'static str>,
    pub description: &'static str,
}

/// Every column, module columns included (the `-` separator is not one).
pub const COUNT: usize = FIELDS.len();
/// The static columns (0..=102); the `-` separator follows them.
pub const STATIC_COUNT: usize = 103;

/// Tags for a column on a given row kind: HAProxy reports `rate`, `rate_max`, `act` and `bck`
/// of backends as plain gauges.
pub fn typed_tags(index: usize, kind: Kinds) -> &'static str {
    if kind == Kinds::B {
        match index {
            idx::RATE | idx::RATE_MAX | idx::ACT | idx::BCK => return "MGP",
            _ => {}
        }
    }
    FIELDS.get(index).map_or("???", |f| f.tags)
}

/// Position of a column by name.
pub fn position(name: &str) -> Option<usize> {
    FIELDS.iter().position(|f| f.name == name)
}

/// Column positions, for code that fills rows.
pub mod idx {
    pub const PXNAME: usize = 0;
    pub const SVNAME: usize = 1;
    pub const QCUR: usize = 2;
    pub const QMAX: usize = 3;
    pub const SCUR: usize = 4;
    pub const SMAX: usize = 5;
    pub const SLIM: usize = 6;
    pub const STOT: usize = 7;
    pub const BIN: usize = 8;
    pub const BOUT: usize = 9;
    pub const DREQ: usize = 10;
    pub const DRESP: usize = 11;
    pub const EREQ: usize = 12;
    pub const ECON: usize = 13;
    pub const ERESP: usize = 14;
    pub const WRETR: usize = 15;
    pub const WREDIS: usize = 16;
    pub const STATUS: usize = 17;
    pub const WEIGHT: usize = 18;
    pub const ACT: usize = 19;
    pub const BCK: usize = 20;
    pub const CHKFAIL: usize = 21;
    pub const CHKDOWN: usize = 22;
    pub const LASTCHG: usize = 23;
    pub const DOWNTIME: usize = 24;
    pub const QLIMIT: usize = 25;
    pub const PID: usize = 26;
    pub const IID: usize = 27;
    pub const SID: usize = 28;
    pub const THROTTLE: usize = 29;
    pub const LBTOT: usize = 30;
    pub const TRACKED: usize = 31;
    pub const TYPE: usize = 32;
    pub const RATE: usize = 33;
    pub const RATE_LIM: usize = 34;
    pub const RATE_MAX: usize = 35;
    pub const CHECK_STATUS: usize = 36;
    pub const CHECK_CODE: usize = 37;
    pub const CHECK_DURATION: usize = 38;
    pub const HRSP_1XX: usize = 39;
    pub const HRSP_2XX: usize = 40;
    pub const HRSP_3XX: usize = 41;
    pub const HRSP_4XX: usize = 42;
    pub const HRSP_5XX: usize = 43;
    pub const HRSP_OTHER: usize = 44;
    pub const HANAFAIL: usize = 45;
    pub const REQ_RATE: usize = 46;
    pub const REQ_RATE_MAX: usize = 47;
    pub const REQ_TOT: usize = 48;
    pub const CLI_ABRT: usize = 49;
    pub const SRV_ABRT: usize = 50;
    pub const COMP_IN: usize = 51;
    pub const COMP_OUT: usize = 52;
    pub const COMP_BYP: usize = 53;
    pub const COMP_RSP: usize = 54;
    pub const LASTSESS: usize = 55;
    pub const LAST_CHK: usize = 56;
    pub const LAST_AGT: usize = 57;
    pub const QTIME: usize = 58;
    pub const CTIME: usize = 59;
    pub const RTIME: usize = 60;
    pub const TTIME: usize = 61;
    pub const AGENT_STATUS: usize = 62;
    pub const AGENT_CODE: usize = 63;
    pub const AGENT_DURATION: usize = 64;
    pub const CHECK_DESC: usize = 65;
    pub const AGENT_DESC: usize = 66;
    pub const CHECK_RISE: usize = 67;
    pub const CHECK_FALL: usize = 68;
    pub const CHECK_HEALTH: usize = 69;
    pub const AGENT_RISE: usize = 70;
    pub const AGENT_FALL: usize = 71;
    pub const AGENT_HEALTH: usize = 72;
    pub const ADDR: usize = 73;
    pub const COOKIE: usize = 74;
    pub const MODE: usize = 75;
    pub const ALGO: usize = 76;
    pub const CONN_RATE: usize = 77;
    pub const CONN_RATE_MAX: usize = 78;
    pub const CONN_TOT: usize = 79;
    pub const INTERCEPTED: usize = 80;
    pub const DCON: usize = 81;
    pub const DSES: usize = 82;
    pub const WREW: usize = 83;
    pub const CONNECT: usize = 84;
    pub const REUSE: usize = 85;
    pub const CACHE_LOOKUPS: usize = 86;
    pub const CACHE_HITS: usize = 87;
    pub const SRV_ICUR: usize = 88;
    pub const SRC_ILIM: usize = 89;
    pub const QTIME_MAX: usize = 90;
    pub const CTIME_MAX: usize = 91;
    pub const RTIME_MAX: usize = 92;
    pub const TTIME_MAX: usize = 93;
    pub const EINT: usize = 94;
    pub const IDLE_CONN_CUR: usize = 95;
    pub const SAFE_CONN_CUR: usize = 96;
    pub const USED_CONN_CUR: usize = 97;
    pub const NEED_CONN_EST: usize = 98;
    pub const UWEIGHT: usize = 99;
    pub const AGG_SERVER_STATUS: usize = 100;
    pub const AGG_SERVER_CHECK_STATUS: usize = 101;
    pub const AGG_CHECK_STATUS: usize = 102;
    pub const SSL_SESS: usize = 103;
    pub const SSL_REUSED_SESS: usize = 104;
    pub const SSL_FAILED_HANDSHAKE: usize = 105;
    pub const H2_HEADERS_RCVD: usize = 106;
    pub const H2_DATA_RCVD: usize = 107;
    pub const H2_SETTINGS_RCVD: usize = 108;
    pub const H2_RST_STREAM_RCVD: usize = 109;
    pub const H2_GOAWAY_RCVD: usize = 110;
    pub const H2_DETECTED_CONN_PROTOCOL_ERRORS: usize = 111;
    pub const H2_DETECTED_STRM_PROTOCOL_ERRORS: usize = 112;
    pub const H2_RST_STREAM_RESP: usize = 113;
    pub const H2_GOAWAY_RESP: usize = 114;
    pub const H2_OPEN_CONNECTIONS: usize = 115;
    pub const H2_BACKEND_OPEN_STREAMS: usize = 116;
    pub const H2_TOTAL_CONNECTIONS: usize = 117;
    pub const H2_BACKEND_TOTAL_STREAMS: usize = 118;
    pub const H1_OPEN_CONNECTIONS: usize = 119;
    pub const H1_OPEN_STREAMS: usize = 120;
    pub const H1_TOTAL_CONNECTIONS: usize = 121;
    pub const H1_TOTAL_STREAMS: usize = 122;
    pub const H1_BYTES_IN: usize = 123;
    pub const H1_BYTES_OUT: usize = 124;
    pub const H1_SPLICED_BYTES_IN: usize = 125;
    pub const H1_SPLICED_BYTES_OUT: usize = 126;
}

pub const FIELDS: [Field; 127] = [
    Field {
        name: "pxname",
        tags: "KNS",
        vtype: ValueType::Str,
        kinds: Kinds::of(true, true, true, true),
        prometheus: None,
        description: "Proxy name",
    },
    Field {
        name: "svname",
        tags: "KNS",
        vtype: ValueType::Str,
        kinds: Kinds::of(true, true, true, true),
        prometheus: None,
        description: "Server name",
    },
    Field {
        name: "qcur",
        tags: "MGP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, true, true),
        prometheus: Some("current_queue"),
        description: "Number of current queued connections",
    },
    Field {
        name: "qmax",
        tags: "MMP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, true, true),
        prometheus: Some("max_queue"),
        description: "Highest value of queued connections encountered since process started",
    },
    Field {
        name: "scur",
        tags: "MGP",
        vtype: ValueType::U32,
        kinds: Kinds::of(true, true, true, true),
        prometheus: Some("current_sessions"),
        description: "Number of current sessions on the frontend, backend or server",
    },
    Field {
        name: "smax",
        tags: "MMP",
        vtype: ValueType::U32,
        kinds: Kinds::of(true, true, true, true),
        prometheus: Some("max_sessions"),
        description: "Highest value of current sessions encountered since process started",
    },
    Field {
        name: "slim",
        tags: "CLP",
        vtype: ValueType::U32,
        kinds: Kinds::of(true, true, true, true),
        prometheus: Some("limit_sessions"),
        description: "Frontend/listener/server's maxconn, backend's fullconn",
    },
    Field {
        name: "stot",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(true, true, true, true),
        prometheus: Some("sessions_total"),
        description: "Total number of sessions since process started",
    },
    Field {
        name: "bin",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(true, true, true, true),
        prometheus: Some("bytes_in_total"),
        description: "Total number of request bytes since process started",
    },
    Field {
        name: "bout",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(true, true, true, true),
        prometheus: Some("bytes_out_total"),
        description: "Total number of response bytes since process started",
    },
    Field {
        name: "dreq",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(true, true, true, false),
        prometheus: Some("requests_denied_total"),
        description: "Total number of denied requests since process started",
    },
    Field {
        name: "dresp",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(true, true, true, true),
        prometheus: Some("responses_denied_total"),
        description: "Total number of denied responses since process started",
    },
    Field {
        name: "ereq",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(true, true, false, false),
        prometheus: Some("request_errors_total"),
        description: "Total number of invalid requests since process started",
    },
    Field {
        name: "econ",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, false, true, true),
        prometheus: Some("connection_errors_total"),
        description: "Total number of failed connections to server since the worker process started",
    },
    Field {
        name: "eresp",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, false, true, true),
        prometheus: Some("response_errors_total"),
        description: "Total number of invalid responses since the worker process started",
    },
    Field {
        name: "wretr",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, false, true, true),
        prometheus: Some("retry_warnings_total"),
        description: "Total number of server connection retries since the worker process started",
    },
    Field {
        name: "wredis",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, false, true, true),
        prometheus: Some("redispatch_warnings_total"),
        description: "Total number of server redispatches due to connection failures since the worker process started",
    },
    Field {
        name: "status",
        tags: "SGP",
        vtype: ValueType::Str,
        kinds: Kinds::of(true, true, true, true),
        prometheus: Some("status"),
        description: "Frontend/listen status: OPEN/WAITING/FULL/STOP; backend: UP/DOWN; server: last check status",
    },
    Field {
        name: "weight",
        tags: "MaP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, true, true),
        prometheus: Some("weight"),
        description: "Server's effective weight, or sum of active servers' effective weights for a backend",
    },
    Field {
        name: "act",
        tags: "SGP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, true, true),
        prometheus: Some("active_servers"),
        description: "Total number of active UP servers with a non-zero weight",
    },
    Field {
        name: "bck",
        tags: "SGP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, true, true),
        prometheus: Some("backup_servers"),
        description: "Total number of backup UP servers with a non-zero weight",
    },
    Field {
        name: "chkfail",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, false, false, true),
        prometheus: Some("check_failures_total"),
        description: "Total number of failed individual health checks per server/backend, since the worker process started",
    },
    Field {
        name: "chkdown",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, false, true, true),
        prometheus: Some("check_up_down_total"),
        description: "Total number of failed checks causing UP to DOWN server transitions, per server/backend, since the worker process started",
    },
    Field {
        name: "lastchg",
        tags: "MAP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, true, true),
        prometheus: Some("check_last_change_seconds"),
        description: "How long ago the last server state changed, in seconds",
    },
    Field {
        name: "downtime",
        tags: "MCP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, true, true),
        prometheus: Some("downtime_seconds_total"),
        description: "Total time spent in DOWN state, for server or backend",
    },
    Field {
        name: "qlimit",
        tags: "CGS",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, false, true),
        prometheus: Some("queue_limit"),
        description: "Limit on the number of connections in queue, for servers only (maxqueue argument)",
    },
    Field {
        name: "pid",
        tags: "KGP",
        vtype: ValueType::U32,
        kinds: Kinds::of(true, true, true, true),
        prometheus: None,
        description: "Relative worker process number (1)",
    },
    Field {
        name: "iid",
        tags: "KGS",
        vtype: ValueType::U32,
        kinds: Kinds::of(true, true, true, true),
        prometheus: None,
        description: "Frontend or Backend numeric identifier ('id' setting)",
    },
    Field {
        name: "sid",
        tags: "KGS",
        vtype: ValueType::U32,
        kinds: Kinds::of(true, true, true, true),
        prometheus: None,
        description: "Server numeric identifier ('id' setting)",
    },
    Field {
        name: "throttle",
        tags: "MaP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, false, true),
        prometheus: Some("current_throttle"),
        description: "Throttling ratio applied to a server's maxconn and weight during the slowstart period (0 to 100%)",
    },
    Field {
        name: "lbtot",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, false, true, true),
        prometheus: Some("loadbalanced_total"),
        description: "Total number of requests routed by load balancing since the worker process started (ignores queue pop and stickiness)",
    },
    Field {
        name: "tracked",
        tags: "CGS",
        vtype: ValueType::Str,
        kinds: Kinds::of(false, false, false, true),
        prometheus: None,
        description: "Name of the other server this server tracks for its state",
    },
    Field {
        name: "type",
        tags: "CGS",
        vtype: ValueType::U32,
        kinds: Kinds::of(true, true, true, true),
        prometheus: None,
        description: "Type of the object (Listener, Frontend, Backend, Server)",
    },
    Field {
        name: "rate",
        tags: "MRP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, true, true, true),
        prometheus: Some("current_session_rate"),
        description: "Total number of sessions processed by this object over the last second (sessions for listeners/frontends, requests for backends/servers)",
    },
    Field {
        name: "rate_lim",
        tags: "CLP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, true, false, false),
        prometheus: Some("limit_session_rate"),
        description: "Limit on the number of sessions accepted in a second (frontend only, 'rate-limit sessions' setting)",
    },
    Field {
        name: "rate_max",
        tags: "MMP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, true, true, true),
        prometheus: Some("max_session_rate"),
        description: "Highest value of sessions per second observed since the worker process started",
    },
    Field {
        name: "check_status",
        tags: "MOP",
        vtype: ValueType::Str,
        kinds: Kinds::of(false, false, false, true),
        prometheus: Some("check_status"),
        description: "Status report of the server's latest health check, prefixed with '*' if a check is currently in progress",
    },
    Field {
        name: "check_code",
        tags: "MOP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, false, true),
        prometheus: Some("check_code"),
        description: "HTTP/SMTP/LDAP status code reported by the latest server health check",
    },
    Field {
        name: "check_duration",
        tags: "MDP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, false, false, true),
        prometheus: Some("check_duration_seconds"),
        description: "Total duration of the latest server health check, in milliseconds",
    },
    Field {
        name: "hrsp_1xx",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, true),
        prometheus: Some("http_responses_total"),
        description: "Total number of HTTP responses with status 100-199 returned by this object since the worker process started",
    },
    Field {
        name: "hrsp_2xx",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, true),
        prometheus: Some("http_responses_total"),
        description: "Total number of HTTP responses with status 200-299 returned by this object since the worker process started",
    },
    Field {
        name: "hrsp_3xx",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, true),
        prometheus: Some("http_responses_total"),
        description: "Total number of HTTP responses with status 300-399 returned by this object since the worker process started",
    },
    Field {
        name: "hrsp_4xx",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, true),
        prometheus: Some("http_responses_total"),
        description: "Total number of HTTP responses with status 400-499 returned by this object since the worker process started",
    },
    Field {
        name: "hrsp_5xx",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, true),
        prometheus: Some("http_responses_total"),
        description: "Total number of HTTP responses with status 500-599 returned by this object since the worker process started",
    },
    Field {
        name: "hrsp_other",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, true),
        prometheus: Some("http_responses_total"),
        description: "Total number of HTTP responses with status <100, >599 returned by this object since the worker process started (error -1 included)",
    },
    Field {
        name: "hanafail",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, false, false, true),
        prometheus: None,
        description: "Total number of failed checks caused by an 'on-error' directive after an 'observe' condition matched",
    },
    Field {
        name: "req_rate",
        tags: "MRP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, true, false, false),
        prometheus: None,
        description: "Number of HTTP requests processed over the last second on this object",
    },
    Field {
        name: "req_rate_max",
        tags: "MMP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, true, false, false),
        prometheus: Some("http_requests_rate_max"),
        description: "Highest value of http requests observed since the worker process started",
    },
    Field {
        name: "req_tot",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, true),
        prometheus: Some("http_requests_total"),
        description: "Total number of HTTP requests processed by this object since the worker process started",
    },
    Field {
        name: "cli_abrt",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, false, true, true),
        prometheus: Some("client_aborts_total"),
        description: "Total number of requests or connections aborted by the client since the worker process started",
    },
    Field {
        name: "srv_abrt",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, false, true, true),
        prometheus: Some("server_aborts_total"),
        description: "Total number of requests or connections aborted by the server since the worker process started",
    },
    Field {
        name: "comp_in",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, false),
        prometheus: Some("http_comp_bytes_in_total"),
        description: "Total number of bytes submitted to the HTTP compressor for this object since the worker process started",
    },
    Field {
        name: "comp_out",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, false),
        prometheus: Some("http_comp_bytes_out_total"),
        description: "Total number of bytes emitted by the HTTP compressor for this object since the worker process started",
    },
    Field {
        name: "comp_byp",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, false),
        prometheus: Some("http_comp_bytes_bypassed_total"),
        description: "Total number of bytes that bypassed HTTP compression for this object since the worker process started (CPU/memory/bandwidth limitation)",
    },
    Field {
        name: "comp_rsp",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, false),
        prometheus: Some("http_comp_responses_total"),
        description: "Total number of HTTP responses that were compressed for this object since the worker process started",
    },
    Field {
        name: "lastsess",
        tags: "MAP",
        vtype: ValueType::S32,
        kinds: Kinds::of(false, false, true, true),
        prometheus: Some("last_session_seconds"),
        description: "How long ago some traffic was seen on this object on this worker process, in seconds",
    },
    Field {
        name: "last_chk",
        tags: "MOP",
        vtype: ValueType::Str,
        kinds: Kinds::of(false, false, false, true),
        prometheus: None,
        description: "Short description of the latest health check report for this server (see also check_desc)",
    },
    Field {
        name: "last_agt",
        tags: "MOP",
        vtype: ValueType::Str,
        kinds: Kinds::of(false, false, false, true),
        prometheus: None,
        description: "Short description of the latest agent check report for this server (see also agent_desc)",
    },
    Field {
        name: "qtime",
        tags: "MaP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, true, true),
        prometheus: Some("queue_time_average_seconds"),
        description: "Time spent in the queue, in milliseconds, averaged over the 1024 last requests (backend/server)",
    },
    Field {
        name: "ctime",
        tags: "MaP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, true, true),
        prometheus: Some("connect_time_average_seconds"),
        description: "Time spent waiting for a connection to complete, in milliseconds, averaged over the 1024 last requests (backend/server)",
    },
    Field {
        name: "rtime",
        tags: "MaP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, true, true),
        prometheus: Some("response_time_average_seconds"),
        description: "Time spent waiting for a server response, in milliseconds, averaged over the 1024 last requests (backend/server)",
    },
    Field {
        name: "ttime",
        tags: "MaP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, true, true),
        prometheus: Some("total_time_average_seconds"),
        description: "Total request+response time (request+queue+connect+response+processing), in milliseconds, averaged over the 1024 last requests (backend/server)",
    },
    Field {
        name: "agent_status",
        tags: "MOP",
        vtype: ValueType::Str,
        kinds: Kinds::of(false, false, false, true),
        prometheus: Some("agent_status"),
        description: "Status report of the server's latest agent check, prefixed with '*' if a check is currently in progress",
    },
    Field {
        name: "agent_code",
        tags: "MOP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, false, true),
        prometheus: Some("agent_code"),
        description: "Status code reported by the latest server agent check",
    },
    Field {
        name: "agent_duration",
        tags: "MDP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, false, false, true),
        prometheus: Some("agent_duration_seconds"),
        description: "Total duration of the latest server agent check, in milliseconds",
    },
    Field {
        name: "check_desc",
        tags: "MOP",
        vtype: ValueType::Str,
        kinds: Kinds::of(false, false, false, true),
        prometheus: None,
        description: "Textual description of the latest health check report for this server",
    },
    Field {
        name: "agent_desc",
        tags: "MOP",
        vtype: ValueType::Str,
        kinds: Kinds::of(false, false, false, true),
        prometheus: None,
        description: "Textual description of the latest agent check report for this server",
    },
    Field {
        name: "check_rise",
        tags: "CGS",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, false, true),
        prometheus: None,
        description: "Number of successful health checks before declaring a server UP (server 'rise' setting)",
    },
    Field {
        name: "check_fall",
        tags: "CGS",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, false, true),
        prometheus: None,
        description: "Number of failed health checks before declaring a server DOWN (server 'fall' setting)",
    },
    Field {
        name: "check_health",
        tags: "CGS",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, false, true),
        prometheus: None,
        description: "Current server health check level (0..fall-1=DOWN, fall..rise-1=UP)",
    },
    Field {
        name: "agent_rise",
        tags: "CGS",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, false, true),
        prometheus: None,
        description: "Number of successful agent checks before declaring a server UP (server 'rise' setting)",
    },
    Field {
        name: "agent_fall",
        tags: "CGS",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, false, true),
        prometheus: None,
        description: "Number of failed agent checks before declaring a server DOWN (server 'fall' setting)",
    },
    Field {
        name: "agent_health",
        tags: "CGS",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, false, true),
        prometheus: None,
        description: "Current server agent check level (0..fall-1=DOWN, fall..rise-1=UP)",
    },
    Field {
        name: "addr",
        tags: "CGS",
        vtype: ValueType::Str,
        kinds: Kinds::of(true, false, false, true),
        prometheus: None,
        description: "Server's address:port, shown only if show-legends is set, or at levels oper/admin for the CLI",
    },
    Field {
        name: "cookie",
        tags: "CGS",
        vtype: ValueType::Str,
        kinds: Kinds::of(false, false, true, true),
        prometheus: None,
        description: "Backend's cookie name or Server's cookie value, shown only if show-legends is set, or at levels oper/admin for the CLI",
    },
    Field {
        name: "mode",
        tags: "CGS",
        vtype: ValueType::Str,
        kinds: Kinds::of(true, true, true, true),
        prometheus: None,
        description: "'mode' setting (tcp/http/health/cli)",
    },
    Field {
        name: "algo",
        tags: "CGS",
        vtype: ValueType::Str,
        kinds: Kinds::of(false, false, true, false),
        prometheus: None,
        description: "Backend's load balancing algorithm, shown only if show-legends is set, or at levels oper/admin for the CLI",
    },
    Field {
        name: "conn_rate",
        tags: "MRP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, true, false, false),
        prometheus: None,
        description: "Number of new connections accepted over the last second on the frontend for this worker process",
    },
    Field {
        name: "conn_rate_max",
        tags: "MMP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, true, false, false),
        prometheus: Some("connections_rate_max"),
        description: "Highest value of connections per second observed since the worker process started",
    },
    Field {
        name: "conn_tot",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(true, true, false, false),
        prometheus: Some("connections_total"),
        description: "Total number of new connections accepted on this frontend since the worker process started",
    },
    Field {
        name: "intercepted",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, false, false),
        prometheus: Some("intercepted_requests_total"),
        description: "Total number of HTTP requests intercepted on the frontend (redirects/stats/services) since the worker process started",
    },
    Field {
        name: "dcon",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(true, true, false, false),
        prometheus: Some("denied_connections_total"),
        description: "Total number of incoming connections blocked on a listener/frontend by a tcp-request connection rule since the worker process started",
    },
    Field {
        name: "dses",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(true, true, false, false),
        prometheus: Some("denied_sessions_total"),
        description: "Total number of incoming sessions blocked on a listener/frontend by a tcp-request connection rule since the worker process started",
    },
    Field {
        name: "wrew",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(true, true, true, true),
        prometheus: Some("failed_header_rewriting_total"),
        description: "Total number of failed HTTP header rewrites since the worker process started",
    },
    Field {
        name: "connect",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, false, true, true),
        prometheus: Some("connection_attempts_total"),
        description: "Total number of outgoing connection attempts on this backend/server since the worker process started",
    },
    Field {
        name: "reuse",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, false, true, true),
        prometheus: Some("connection_reuses_total"),
        description: "Total number of reused connection on this backend/server since the worker process started",
    },
    Field {
        name: "cache_lookups",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, false),
        prometheus: Some("http_cache_lookups_total"),
        description: "Total number of HTTP requests looked up in the cache on this frontend/backend since the worker process started",
    },
    Field {
        name: "cache_hits",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, false),
        prometheus: Some("http_cache_hits_total"),
        description: "Total number of HTTP requests not found in the cache on this frontend/backend since the worker process started",
    },
    Field {
        name: "srv_icur",
        tags: "MGP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, false, true),
        prometheus: Some("idle_connections_current"),
        description: "Current number of idle connections available for reuse on this server",
    },
    Field {
        name: "src_ilim",
        tags: "MGP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, false, true),
        prometheus: Some("idle_connections_limit"),
        description: "Limit on the number of available idle connections on this server (server 'pool_max_conn' directive)",
    },
    Field {
        name: "qtime_max",
        tags: "MMP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, true, true),
        prometheus: Some("max_queue_time_seconds"),
        description: "Maximum observed time spent in the queue, in milliseconds (backend/server)",
    },
    Field {
        name: "ctime_max",
        tags: "MMP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, true, true),
        prometheus: Some("max_connect_time_seconds"),
        description: "Maximum observed time spent waiting for a connection to complete, in milliseconds (backend/server)",
    },
    Field {
        name: "rtime_max",
        tags: "MMP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, true, true),
        prometheus: Some("max_response_time_seconds"),
        description: "Maximum observed time spent waiting for a server response, in milliseconds (backend/server)",
    },
    Field {
        name: "ttime_max",
        tags: "MMP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, true, true),
        prometheus: Some("max_total_time_seconds"),
        description: "Maximum observed total request+response time (request+queue+connect+response+processing), in milliseconds (backend/server)",
    },
    Field {
        name: "eint",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(true, true, true, true),
        prometheus: Some("internal_errors_total"),
        description: "Total number of internal errors since process started",
    },
    Field {
        name: "idle_conn_cur",
        tags: "MGP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, false, true),
        prometheus: Some("unsafe_idle_connections_current"),
        description: "Current number of unsafe idle connections",
    },
    Field {
        name: "safe_conn_cur",
        tags: "MGP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, false, true),
        prometheus: Some("safe_idle_connections_current"),
        description: "Current number of safe idle connections",
    },
    Field {
        name: "used_conn_cur",
        tags: "MGP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, false, true),
        prometheus: Some("used_connections_current"),
        description: "Current number of connections in use",
    },
    Field {
        name: "need_conn_est",
        tags: "MGP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, false, true),
        prometheus: Some("need_connections_current"),
        description: "Estimated needed number of connections",
    },
    Field {
        name: "uweight",
        tags: "MaP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, true, true),
        prometheus: Some("uweight"),
        description: "Server's user weight, or sum of active servers' user weights for a backend",
    },
    Field {
        name: "agg_server_status",
        tags: "MGP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, true, false),
        prometheus: Some("agg_server_status"),
        description: "Backend's aggregated gauge of servers' status",
    },
    Field {
        name: "agg_server_check_status",
        tags: "MGP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, true, false),
        prometheus: Some("agg_server_check_status"),
        description: "Backend's aggregated gauge of servers' state check status",
    },
    Field {
        name: "agg_check_status",
        tags: "MGP",
        vtype: ValueType::U32,
        kinds: Kinds::of(false, false, true, false),
        prometheus: Some("agg_check_status"),
        description: "Backend's aggregated gauge of servers' state check status",
    },
    // HAProxy prints the `-` separator here; the stats modules' columns follow, in the order
    // a Debian 2.6 build registers its modules: SSL, HTTP/2, HTTP/1.
    Field {
        name: "ssl_sess",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(true, true, true, true),
        prometheus: None,
        description: "Total number of ssl sessions established",
    },
    Field {
        name: "ssl_reused_sess",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(true, true, true, true),
        prometheus: None,
        description: "Total number of ssl sessions reused",
    },
    Field {
        name: "ssl_failed_handshake",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(true, true, true, true),
        prometheus: None,
        description: "Total number of failed handshake",
    },
    Field {
        name: "h2_headers_rcvd",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, false),
        prometheus: None,
        description: "Total number of received HEADERS frames",
    },
    Field {
        name: "h2_data_rcvd",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, false),
        prometheus: None,
        description: "Total number of received DATA frames",
    },
    Field {
        name: "h2_settings_rcvd",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, false),
        prometheus: None,
        description: "Total number of received SETTINGS frames",
    },
    Field {
        name: "h2_rst_stream_rcvd",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, false),
        prometheus: None,
        description: "Total number of received RST_STREAM frames",
    },
    Field {
        name: "h2_goaway_rcvd",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, false),
        prometheus: None,
        description: "Total number of received GOAWAY frames",
    },
    Field {
        name: "h2_detected_conn_protocol_errors",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, false),
        prometheus: None,
        description: "Total number of connection protocol errors",
    },
    Field {
        name: "h2_detected_strm_protocol_errors",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, false),
        prometheus: None,
        description: "Total number of stream protocol errors",
    },
    Field {
        name: "h2_rst_stream_resp",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, false),
        prometheus: None,
        description: "Total number of RST_STREAM sent on detected error",
    },
    Field {
        name: "h2_goaway_resp",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, false),
        prometheus: None,
        description: "Total number of GOAWAY sent on detected error",
    },
    Field {
        name: "h2_open_connections",
        tags: "MGP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, false),
        prometheus: None,
        description: "Count of currently open connections",
    },
    Field {
        name: "h2_backend_open_streams",
        tags: "MGP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, false),
        prometheus: None,
        description: "Count of currently open streams",
    },
    Field {
        name: "h2_total_connections",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, false),
        prometheus: None,
        description: "Total number of connections",
    },
    Field {
        name: "h2_backend_total_streams",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, false),
        prometheus: None,
        description: "Total number of streams",
    },
    Field {
        name: "h1_open_connections",
        tags: "MGP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, false),
        prometheus: None,
        description: "Count of currently open connections",
    },
    Field {
        name: "h1_open_streams",
        tags: "MGP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, false),
        prometheus: None,
        description: "Count of currently open streams",
    },
    Field {
        name: "h1_total_connections",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, false),
        prometheus: None,
        description: "Total number of connections",
    },
    Field {
        name: "h1_total_streams",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, false),
        prometheus: None,
        description: "Total number of streams",
    },
    Field {
        name: "h1_bytes_in",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, false),
        prometheus: None,
        description: "Total number of bytes received",
    },
    Field {
        name: "h1_bytes_out",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, false),
        prometheus: None,
        description: "Total number of bytes send",
    },
    Field {
        name: "h1_spliced_bytes_in",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, false),
        prometheus: None,
        description: "Total number of bytes received using kernel splicing",
    },
    Field {
        name: "h1_spliced_bytes_out",
        tags: "MCP",
        vtype: ValueType::U64,
        kinds: Kinds::of(false, true, true, false),
        prometheus: None,
        description: "Total number of bytes sendusing kernel splicing",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn awk_positions_used_by_operators_are_stable() {
        // awk -F, counts from 1: $2 svname, $18 status, $37 check_status.
        assert_eq!(FIELDS[1].name, "svname");
        assert_eq!(FIELDS[17].name, "status");
        assert_eq!(FIELDS[36].name, "check_status");
        assert_eq!(FIELDS[STATIC_COUNT - 1].name, "agg_check_status");
        assert_eq!(FIELDS[COUNT - 1].name, "h1_spliced_bytes_out");
    }

    #[test]
    fn names_are_unique() {
        for (i, f) in FIELDS.iter().enumerate() {
            assert_eq!(position(f.name), Some(i), "{} appears twice", f.name);
        }
    }

    #[test]
    fn haproxy_26_header_prefix_matches_capture() {
        let header: Vec<&str> = FIELDS[..STATIC_COUNT].iter().map(|f| f.name).collect();
        let captured = "pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status";
        assert_eq!(header.join(","), captured);
    }

    #[test]
    fn backend_gauges_use_haproxy_tags() {
        assert_eq!(typed_tags(idx::RATE, Kinds::B), "MGP");
        assert_eq!(typed_tags(idx::RATE, Kinds::F), "MRP");
        assert_eq!(typed_tags(idx::ACT, Kinds::S), "SGP");
    }
}
