//! Log output: HAProxy's wording for state changes and its `tcplog` format for connections.
//!
//! Alerts and warnings always go to stderr prefixed like HAProxy's (`[WARNING]  (pid) : `);
//! traffic and state-change lines also go to every `log` target of the global section (stderr
//! and stdout raw, Unix and UDP syslog in RFC 3164 form) whose level takes them, at HAProxy's
//! priority for each, which is not always the severity shown on stderr.

use std::io::Write as _;
use std::net::UdpSocket;
use std::os::unix::net::UnixDatagram;
use std::sync::{Arc, Mutex};

use crate::config::{LogDest, LogFormat, LogTarget};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Syslog only: the console says `[ALERT]` for what HAProxy logs at `emerg`.
    Emerg = 0,
    Alert = 1,
    /// Syslog only: connections that ended in error under `option log-separate-errors`.
    Err = 3,
    Warning = 4,
    Notice = 5,
    Info = 6,
}

impl Severity {
    fn tag(self) -> &'static str {
        match self {
            Severity::Emerg | Severity::Alert | Severity::Err => "[ALERT]",
            Severity::Warning => "[WARNING]",
            Severity::Notice => "[NOTICE]",
            Severity::Info => "[INFO]",
        }
    }
}

thread_local! {
    /// Set while this thread applies what the configuration asks for at start (the saved
    /// server states): HAProxy says such messages in the configuration's voice and, not
    /// serving yet, sends nothing to its log targets.
    static CONFIGURING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` as part of reading the configuration: see [`CONFIGURING`].
pub fn configuring<R>(f: impl FnOnce() -> R) -> R {
    CONFIGURING.with(|c| c.set(true));
    let r = f();
    CONFIGURING.with(|c| c.set(false));
    r
}

fn is_configuring() -> bool {
    CONFIGURING.with(|c| c.get())
}

/// Operator messages printed so far (`-c` says "Warnings were found." after any).
static CONSOLE_LINES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

pub fn console_lines() -> usize {
    CONSOLE_LINES.load(std::sync::atomic::Ordering::Relaxed)
}

/// Print an operator message on stderr in HAProxy's layout.
pub fn console(sev: Severity, msg: &str) {
    CONSOLE_LINES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let context = if is_configuring() { "config : " } else { "" };
    stderr_line(&format!(
        "{:<10} ({}) : {context}{}",
        sev.tag(),
        std::process::id(),
        msg
    ));
}

/// Writes one line on stderr, and into the startup logs while the process starts or reloads.
pub fn stderr_line(line: &str) {
    let line = format!("{line}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
    startup::record(&line);
}

/// `show startup-logs`: what the process wrote on stderr while it started, as HAProxy keeps it.
/// Recording stops once the service is ready; a reload records its own reading of the
/// configuration and, if it succeeds, that replaces the first (HAProxy's new worker shows the
/// logs of the parse that made it); a failed reload leaves the running one's logs.
pub mod startup {
    use std::sync::Mutex;

    struct Logs {
        shown: String,
        /// Some while starting or reloading.
        recording: Option<String>,
    }

    static LOGS: Mutex<Logs> = Mutex::new(Logs {
        shown: String::new(),
        recording: Some(String::new()),
    });

    pub(super) fn record(line: &str) {
        if let Ok(mut logs) = LOGS.lock() {
            if let Some(r) = logs.recording.as_mut() {
                r.push_str(line);
            }
        }
    }

    /// A reload starts reading the configuration.
    pub fn begin() {
        if let Ok(mut logs) = LOGS.lock() {
            logs.recording = Some(String::new());
        }
    }

    /// The service is running with what was read: its logs become the ones shown.
    pub fn commit() {
        if let Ok(mut logs) = LOGS.lock() {
            if let Some(r) = logs.recording.take() {
                logs.shown = r;
            }
        }
    }

    /// The reload failed: the running service keeps its logs.
    pub fn abandon() {
        if let Ok(mut logs) = LOGS.lock() {
            logs.recording = None;
        }
    }

    pub fn text() -> String {
        LOGS.lock().map(|l| l.shown.clone()).unwrap_or_default()
    }
}

enum Out {
    Stderr,
    Stdout,
    Unix(UnixDatagram, std::path::PathBuf),
    Udp(UdpSocket, std::net::SocketAddr),
}

struct Sink {
    out: Out,
    facility: u8,
    max_level: u8,
    min_level: u8,
    format: LogFormat,
}

impl Sink {
    /// The priority this target sends a message of severity `sev` at, if it takes it.
    fn level_for(&self, sev: Severity) -> Option<u8> {
        let level = sev as u8;
        (level <= self.max_level).then_some(level.max(self.min_level))
    }
}

/// The process's log targets. Cloning shares them, and a reload's new targets with them.
#[derive(Clone, Default)]
pub struct Logger {
    targets: Arc<Mutex<Targets>>,
}

#[derive(Default)]
struct Targets {
    sinks: Vec<Sink>,
    /// The syslog header's program name.
    tag: String,
    /// `log-send-hostname`: the host name in the header.
    host: Option<String>,
}

impl std::fmt::Debug for Logger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Logger")
    }
}

fn facility_code(name: &str) -> u8 {
    const NAMES: [&str; 24] = [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "auth2",
        "ftp", "ntp", "audit", "alert", "cron2", "local0", "local1", "local2", "local3", "local4",
        "local5", "local6", "local7",
    ];
    NAMES.iter().position(|n| *n == name).unwrap_or(16) as u8
}

impl Logger {
    /// `tag` names the program in syslog headers (`log-tag`, else the program's own name);
    /// `host` is `log-send-hostname`'s name, if any.
    pub fn new(targets: &[LogTarget], tag: Option<&str>, host: Option<&str>) -> Logger {
        let log = Logger::default();
        log.reconfigure(targets, tag, host);
        log
    }

    /// Send to `targets` from now on, in every clone of this logger: a reload's `log` lines
    /// take effect as a new HAProxy process's would.
    pub fn reconfigure(&self, targets: &[LogTarget], tag: Option<&str>, host: Option<&str>) {
        let mut sinks = Vec::new();
        for t in targets {
            let out = match &t.dest {
                LogDest::Stderr => Out::Stderr,
                LogDest::Stdout => Out::Stdout,
                LogDest::Unix(path) => match UnixDatagram::unbound() {
                    Ok(sock) => {
                        let _ = sock.set_nonblocking(true);
                        Out::Unix(sock, path.clone())
                    }
                    Err(_) => continue,
                },
                LogDest::Udp(addr) => {
                    let bind = if addr.is_ipv4() {
                        "0.0.0.0:0"
                    } else {
                        "[::]:0"
                    };
                    match UdpSocket::bind(bind) {
                        Ok(sock) => {
                            let _ = sock.set_nonblocking(true);
                            Out::Udp(sock, *addr)
                        }
                        Err(_) => continue,
                    }
                }
            };
            sinks.push(Sink {
                out,
                facility: facility_code(&t.facility),
                max_level: t.max_level,
                min_level: t.min_level,
                format: t.format,
            });
        }
        let tag = tag.map_or_else(program_name, str::to_string);
        if let Ok(mut t) = self.targets.lock() {
            *t = Targets {
                sinks,
                tag,
                host: host.map(str::to_string),
            };
        }
    }

    /// Send one line to every target that takes its severity, with a proxy's own `log-tag` if
    /// it has one. Datagram sinks never block: a full socket drops the line, as HAProxy does
    /// (it counts them in `DroppedLogs`).
    fn send(&self, sev: Severity, msg: &str, tag: Option<&str>) {
        let Ok(targets) = self.targets.lock() else {
            return;
        };
        let tag = tag.unwrap_or(&targets.tag);
        let host = targets.host.as_deref();
        for sink in targets.sinks.iter() {
            let Some(level) = sink.level_for(sev) else {
                continue;
            };
            let header = Header {
                facility: sink.facility,
                level,
                host,
                tag,
            };
            let line = log_line(sink.format, &header, msg);
            match &sink.out {
                Out::Stderr => {
                    let _ = std::io::stderr().write_all(line.as_bytes());
                }
                Out::Stdout => {
                    let _ = std::io::stdout().write_all(line.as_bytes());
                }
                Out::Unix(sock, path) => count_drop(sock.send_to(line.as_bytes(), path)),
                Out::Udp(sock, addr) => count_drop(sock.send_to(line.as_bytes(), addr)),
            }
        }
    }

    /// The targets a proxy logs to: these (the global ones) with `log global`, and its own.
    pub fn of<'a>(&'a self, proxy: &'a ProxyLogs) -> ProxyLog<'a> {
        ProxyLog {
            global: proxy.global.then_some(self),
            own: proxy.own.as_ref(),
            tag: proxy.tag.as_deref(),
        }
    }
}

/// Where one proxy's lines go, as HAProxy's per-proxy `log` lines decide: the global targets
/// (`log global`), the proxy's own (`log ADDR FACILITY…`), both, or none (then only stderr
/// hears of its servers).
#[derive(Clone, Default)]
pub struct ProxyLogs {
    pub global: bool,
    pub own: Option<Logger>,
    /// The proxy's `log-tag`, on its lines to every target.
    pub tag: Option<String>,
}

impl std::fmt::Debug for ProxyLogs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ProxyLogs(global: {}, own: {})",
            self.global,
            self.own.is_some()
        )
    }
}

/// A proxy's targets, for the messages about it.
pub struct ProxyLog<'a> {
    global: Option<&'a Logger>,
    own: Option<&'a Logger>,
    tag: Option<&'a str>,
}

impl ProxyLog<'_> {
    pub fn send(&self, sev: Severity, msg: &str) {
        if is_configuring() {
            return;
        }
        for log in [self.global, self.own].into_iter().flatten() {
            log.send(sev, msg, self.tag);
        }
    }

    /// A message on stderr (always) and to the proxy's targets, at the same severity.
    pub fn state_change(&self, sev: Severity, msg: &str) {
        console(sev, msg);
        self.send(sev, msg);
    }

    /// A server's state change: a warning on stderr whatever the priority HAProxy logs it at
    /// (`alert` for a server that stops serving, `notice` for the rest).
    pub fn server_change(&self, priority: Severity, msg: &str) {
        console(Severity::Warning, msg);
        self.send(priority, msg);
    }

    /// A backend left without a server: an alert on stderr, an emergency in the logs, worded
    /// slightly differently in each as HAProxy does.
    pub fn backend_down(&self, console_msg: &str, log_msg: &str) {
        // A backend the saved states leave empty at start goes down without a word.
        if is_configuring() {
            return;
        }
        console(Severity::Alert, console_msg);
        self.send(Severity::Emerg, log_msg);
    }
}

/// The name this program was started as, as HAProxy's default `log-tag`.
fn program_name() -> String {
    std::env::args_os()
        .next()
        .and_then(|a| {
            std::path::Path::new(&a)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "proxyd".to_string())
}

/// Log lines a full or absent syslog socket refused (`DroppedLogs` in `show info`).
static DROPPED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// HAProxy's line for a connection accepted by a frontend that logs without a format:
/// `Connect from 127.0.0.1:53712 to 127.0.0.1:8443 (fe/TCP)`.
pub fn connect_line(
    peer: std::net::SocketAddr,
    local: std::net::SocketAddr,
    fe: &crate::model::FrontendRt,
) -> String {
    let mode = match fe.mode {
        crate::config::Mode::Http => "HTTP",
        crate::config::Mode::Tcp => "TCP",
    };
    format!(
        "Connect from {}:{} to {}:{} ({}/{mode})",
        peer.ip(),
        peer.port(),
        local.ip(),
        local.port(),
        fe.name
    )
}

pub fn dropped_logs() -> u64 {
    DROPPED.load(std::sync::atomic::Ordering::Relaxed)
}

fn count_drop(sent: std::io::Result<usize>) {
    if sent.is_err() {
        DROPPED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// What a log line's header may say.
struct Header<'a> {
    facility: u8,
    level: u8,
    /// `log-send-hostname`.
    host: Option<&'a str>,
    tag: &'a str,
}

/// One line in the target's `format`, ending with a newline as HAProxy's do.
fn log_line(format: LogFormat, h: &Header<'_>, msg: &str) -> String {
    use self::time::{iso_now, syslog_timestamp};
    let pri = u32::from(h.facility) * 8 + u32::from(h.level);
    let pid = std::process::id();
    match format {
        LogFormat::Rfc3164 | LogFormat::Local => {
            let host = match (format, h.host) {
                (LogFormat::Rfc3164, Some(host)) => format!("{host} "),
                _ => String::new(),
            };
            format!(
                "<{pri}>{} {host}{}[{pid}]: {msg}\n",
                syslog_timestamp(),
                h.tag
            )
        }
        LogFormat::Rfc5424 => format!(
            "<{pri}>1 {} {} {} {pid} - - {msg}\n",
            iso_now(),
            h.host.unwrap_or("-"),
            h.tag
        ),
        LogFormat::Priority => format!("<{pri}>{msg}\n"),
        LogFormat::Short => format!("<{}>{msg}\n", h.level),
        LogFormat::Timed => format!("<{}>{} {msg}\n", h.level, iso_now()),
        LogFormat::Iso => format!("{} {msg}\n", iso_now()),
        LogFormat::Raw => format!("{msg}\n"),
    }
}

pub mod time {
    //! Local-time-free timestamps: proxyd logs in UTC, which keeps the code free of timezone
    //! databases and the logs comparable across hosts.
    use std::time::{SystemTime, UNIX_EPOCH};

    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];

    /// (year, month 1-12, day, hour, minute, second, millis) in UTC.
    pub fn now_parts() -> (i64, u32, u32, u32, u32, u32, u32) {
        let (y, m, d, h, mi, s, us) = parts(SystemTime::now());
        (y, m, d, h, mi, s, us / 1000)
    }

    /// `2026-11-25T08:38:18.757228+00:00`: the ISO 8601 date of the `rfc5424`, `timed` and
    /// `iso` log formats (in UTC, as every proxyd date).
    pub fn iso_now() -> String {
        let (y, m, d, h, mi, s, us) = parts(SystemTime::now());
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{us:06}+00:00")
    }

    /// `24/Nov/2026:15:22:22.123`, HAProxy's `%t` in tcplog; with `micros`,
    /// `24/Nov/2026:15:22:22.123456`, as HAProxy dates a session in `show sess`.
    pub fn date(t: SystemTime, micros: bool) -> String {
        let (y, m, d, h, mi, s, us) = parts(t);
        let month = MONTHS[(m - 1) as usize];
        let head = format!("{d:02}/{month}/{y}:{h:02}:{mi:02}:{s:02}");
        if micros {
            format!("{head}.{us:06}")
        } else {
            format!("{head}.{:03}", us / 1000)
        }
    }

    /// `25/Nov/2026:10:23:28 +0000`, HAProxy's `%T` (and `%Tl`, local time being UTC here).
    pub fn gmt_date(t: SystemTime) -> String {
        let (y, m, d, h, mi, s, _) = parts(t);
        let month = MONTHS[(m - 1) as usize];
        format!("{d:02}/{month}/{y}:{h:02}:{mi:02}:{s:02} +0000")
    }

    /// HAProxy's `human_time`: at most two units, `?` when unknown.
    pub fn human_time(t: i64) -> String {
        use std::fmt::Write;
        if t < 0 {
            return "?".into();
        }
        let (day, hour, minute) = (86_400, 3600, 60);
        let mut out = String::new();
        let mut cnt = 2;
        if t >= day {
            let _ = write!(out, "{}d", t / day);
            cnt -= 1;
        }
        if cnt > 0 && t % day / hour > 0 {
            let _ = write!(out, "{}h", t % day / hour);
            cnt -= 1;
        }
        if cnt > 0 && t % hour / minute > 0 {
            let _ = write!(out, "{}m", t % hour / minute);
            cnt -= 1;
        }
        if (cnt > 0 && t % minute > 0) || t == 0 {
            let _ = write!(out, "{}s", t % minute);
        }
        out
    }

    /// (year, month 1-12, day, hour, minute, second, micros) of `t` in UTC.
    fn parts(t: SystemTime) -> (i64, u32, u32, u32, u32, u32, u32) {
        let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
        let secs = d.as_secs() as i64;
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (y, m, day) = civil_from_days(days);
        (
            y,
            m,
            day,
            (rem / 3600) as u32,
            (rem % 3600 / 60) as u32,
            (rem % 60) as u32,
            d.subsec_micros(),
        )
    }

    /// Howard Hinnant's days-to-civil algorithm.
    fn civil_from_days(z: i64) -> (i64, u32, u32) {
        let z = z + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        (if m <= 2 { y + 1 } else { y }, m, d)
    }

    /// `Nov 24 15:22:22`
    pub fn syslog_timestamp() -> String {
        let (_, m, d, h, mi, s, _) = now_parts();
        format!(
            "{} {:>2} {:02}:{:02}:{:02}",
            MONTHS[(m - 1) as usize],
            d,
            h,
            mi,
            s
        )
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn human_time_matches_haproxy() {
            use super::human_time;
            assert_eq!(human_time(-1), "?");
            assert_eq!(human_time(0), "0s");
            assert_eq!(human_time(2), "2s");
            assert_eq!(human_time(65), "1m5s");
            assert_eq!(human_time(3600), "1h");
            assert_eq!(human_time(3 * 3600 + 125), "3h2m");
            assert_eq!(human_time(86_400 * 2 + 7200 + 5), "2d2h");
        }

        #[test]
        fn dates_in_haproxys_layouts() {
            let t = std::time::UNIX_EPOCH + std::time::Duration::from_micros(1_764_000_000_123_456);
            assert_eq!(super::date(t, false), "24/Nov/2025:16:00:00.123");
            assert_eq!(super::date(t, true), "24/Nov/2025:16:00:00.123456");
        }

        #[test]
        fn civil_dates() {
            assert_eq!(super::civil_from_days(0), (1970, 1, 1));
            assert_eq!(super::civil_from_days(20_416), (2025, 11, 24));
        }
    }
}
