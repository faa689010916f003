//! A blocking client for the stats socket, Unix or TCP, where every step is bounded in time and size.
//!
//! - [`Target`]: where the socket is (`/path` or `tcp://host:port`).
//! - [`query`]: one command per connection, the way `socat stdio` talks to HAProxy: write
//!   `command\n`, read until the server closes.
//! - [`Session`]: several commands over one connection, using HAProxy's interactive `prompt` mode.
//! - [`ClientError`]: failures an operator can act on (not found, permission, refused, timeout).
//!
//! No async runtime: the CLI and the end-to-end tests only ever need one socket at a time.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Largest answer accepted. A `show stat` of a few thousand servers is a few MiB; anything beyond
/// this is a runaway peer, and buffering it would only end in an out-of-memory kill.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// What HAProxy prints after each answer once `prompt` mode is on.
const PROMPT: &[u8] = b"\n> ";

/// Where a stats socket lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Unix(PathBuf),
    /// `host:port`, as written after `tcp://`.
    Tcp(String),
}

impl FromStr for Target {
    type Err = ClientError;

    fn from_str(s: &str) -> Result<Target, ClientError> {
        if let Some(addr) = s.strip_prefix("tcp://") {
            // A bare host would make connect() fail later with a vague error; say it now.
            let valid = addr
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
            if !valid {
                return Err(ClientError::InvalidTarget(format!(
                    "{s}: expected tcp://HOST:PORT"
                )));
            }
            return Ok(Target::Tcp(addr.to_string()));
        }
        if s.is_empty() {
            return Err(ClientError::InvalidTarget("empty socket path".to_string()));
        }
        Ok(Target::Unix(PathBuf::from(s)))
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Unix(path) => write!(f, "{}", path.display()),
            Target::Tcp(addr) => write!(f, "tcp://{addr}"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("invalid socket address {0}")]
    InvalidTarget(String),
    #[error("cannot connect to {target}: no such socket — is haproxy running with a `stats socket` line? use --socket or HAPROXY_SOCKET")]
    NotFound { target: String },
    #[error("cannot connect to {target}: permission denied — run as a member of group haproxy or use --socket")]
    PermissionDenied { target: String },
    #[error("cannot connect to {target}: connection refused — nothing is listening there (stale socket file or wrong port?)")]
    Refused { target: String },
    #[error("cannot connect to {target}: {what}, not a socket — check the path of the `stats socket` line")]
    NotASocket { target: String, what: &'static str },
    #[error("{target}: no answer within {}s while {phase} — the socket is stuck or overloaded; raise --timeout if this is a huge config", timeout.as_secs_f64())]
    Timeout {
        target: String,
        phase: &'static str,
        timeout: Duration,
    },
    #[error("{target}: answer larger than {limit} bytes, giving up")]
    TooLarge { target: String, limit: usize },
    #[error("{target}: connection closed before the prompt came back")]
    Closed { target: String },
    #[error("{target}: {phase}: {source}")]
    Io {
        target: String,
        phase: &'static str,
        #[source]
        source: io::Error,
    },
}

impl ClientError {
    /// Rewrites the OS error of `phase` into the variant an operator can act on.
    fn from_io(target: &Target, phase: &'static str, timeout: Duration, err: io::Error) -> Self {
        let target = target.to_string();
        match err.kind() {
            io::ErrorKind::NotFound => ClientError::NotFound { target },
            io::ErrorKind::PermissionDenied => ClientError::PermissionDenied { target },
            io::ErrorKind::ConnectionRefused => ClientError::Refused { target },
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => ClientError::Timeout {
                target,
                phase,
                timeout,
            },
            _ => ClientError::Io {
                target,
                phase,
                source: err,
            },
        }
    }

    /// True when nothing was reached at all (as opposed to a socket that misbehaved).
    pub fn is_connect_failure(&self) -> bool {
        matches!(
            self,
            ClientError::NotFound { .. }
                | ClientError::PermissionDenied { .. }
                | ClientError::Refused { .. }
                | ClientError::NotASocket { .. }
                | ClientError::InvalidTarget(_)
        )
    }
}

enum Stream {
    Unix(UnixStream),
    Tcp(TcpStream),
}

impl Stream {
    fn set_timeouts(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Unix(s) => {
                s.set_read_timeout(t)?;
                s.set_write_timeout(t)
            }
            Stream::Tcp(s) => {
                s.set_read_timeout(t)?;
                s.set_write_timeout(t)
            }
        }
    }

    fn shutdown_write(&self) -> io::Result<()> {
        match self {
            Stream::Unix(s) => s.shutdown(std::net::Shutdown::Write),
            Stream::Tcp(s) => s.shutdown(std::net::Shutdown::Write),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Unix(s) => s.read(buf),
            Stream::Tcp(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Unix(s) => s.write(buf),
            Stream::Tcp(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Unix(s) => s.flush(),
            Stream::Tcp(s) => s.flush(),
        }
    }
}

fn connect_unix(path: &Path, timeout: Duration) -> io::Result<UnixStream> {
    // connect(2) on a Unix socket blocks when the listener's backlog is full, and std offers no
    // connect timeout for Unix sockets. A thread bounds the wait; if it is still stuck when we give
    // up, it stays parked until the process exits, which for a CLI is moments later.
    let (tx, rx) = mpsc::channel();
    let owned = path.to_path_buf();
    std::thread::spawn(move || {
        // The receiver may be gone after a timeout; nothing left to tell then.
        let _ = tx.send(UnixStream::connect(owned));
    });
    match rx.recv_timeout(timeout) {
        Ok(result) => result,
        Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "connect timed out")),
    }
}

fn connect_tcp(addr: &str, timeout: Duration) -> io::Result<TcpStream> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, "address resolved to nothing");
    for sa in addr.to_socket_addrs()? {
        match TcpStream::connect_timeout(&sa, timeout) {
            Ok(s) => return Ok(s),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// What the path is when it exists but is no socket. Linux refuses connect(2) to a regular file
/// or a directory with ECONNREFUSED, which would otherwise read as a stale socket.
fn not_a_socket(path: &Path) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    let kind = std::fs::metadata(path).ok()?.file_type();
    if kind.is_socket() {
        None
    } else if kind.is_dir() {
        Some("a directory")
    } else if kind.is_file() {
        Some("a regular file")
    } else {
        Some("a special file")
    }
}

fn connect(target: &Target, timeout: Duration) -> Result<Stream, ClientError> {
    let stream = match target {
        Target::Unix(path) => connect_unix(path, timeout).map(Stream::Unix),
        Target::Tcp(addr) => connect_tcp(addr, timeout).map(Stream::Tcp),
    }
    .map_err(|e| match target {
        Target::Unix(path) if e.kind() == io::ErrorKind::ConnectionRefused => {
            match not_a_socket(path) {
                Some(what) => ClientError::NotASocket {
                    target: target.to_string(),
                    what,
                },
                None => ClientError::from_io(target, "connecting", timeout, e),
            }
        }
        _ => ClientError::from_io(target, "connecting", timeout, e),
    })?;
    stream
        .set_timeouts(Some(timeout))
        .map_err(|e| ClientError::from_io(target, "setting timeouts", timeout, e))?;
    Ok(stream)
}

/// Reads into `buf` until EOF, or until `done(buf)` holds, within `deadline` and the size bound.
/// Returns whether `done` matched (false = EOF).
fn read_until(
    stream: &mut Stream,
    buf: &mut Vec<u8>,
    target: &Target,
    timeout: Duration,
    deadline: Instant,
    done: impl Fn(&[u8]) -> bool,
) -> Result<bool, ClientError> {
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if done(buf) {
            return Ok(true);
        }
        // A peer trickling one byte per second would defeat a per-read timeout; the deadline
        // bounds the whole answer.
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ClientError::Timeout {
                target: target.to_string(),
                phase: "reading the answer",
                timeout,
            });
        }
        stream
            .set_timeouts(Some(left))
            .map_err(|e| ClientError::from_io(target, "setting timeouts", timeout, e))?;
        let n = match stream.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(ClientError::from_io(
                    target,
                    "reading the answer",
                    timeout,
                    e,
                ))
            }
        };
        if n == 0 {
            return Ok(false);
        }
        if buf.len() + n > MAX_RESPONSE_BYTES {
            return Err(ClientError::TooLarge {
                target: target.to_string(),
                limit: MAX_RESPONSE_BYTES,
            });
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn write_command(
    stream: &mut Stream,
    target: &Target,
    timeout: Duration,
    command: &str,
) -> Result<(), ClientError> {
    let mut line = String::with_capacity(command.len() + 1);
    line.push_str(command.trim_end_matches(['\n', '\r']));
    // HAProxy silently drops a last line without its newline.
    line.push('\n');
    stream
        .write_all(line.as_bytes())
        .and_then(|()| stream.flush())
        .map_err(|e| ClientError::from_io(target, "sending the command", timeout, e))
}

/// Sends one command and returns the whole answer, including HAProxy's end-of-answer empty line.
///
/// `timeout` bounds the connect, the write, and the whole read (not each read call).
pub fn query(target: &Target, command: &str, timeout: Duration) -> Result<String, ClientError> {
    let deadline = Instant::now() + timeout;
    let mut stream = connect(target, timeout)?;
    write_command(&mut stream, target, timeout, command)?;
    // Half-closing tells a server that waits for more input (proxyd, or HAProxy in some builds)
    // that the request is complete. Some peers reject shutdown on an already-closed socket; the
    // answer is what matters.
    let _ = stream.shutdown_write();
    let mut buf = Vec::new();
    read_until(&mut stream, &mut buf, target, timeout, deadline, |_| false)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// One connection in HAProxy's interactive `prompt` mode: many commands, one connect.
///
/// Each answer is returned exactly as [`query`] would return it (text plus the empty line),
/// without the `> ` prompt.
pub struct Session {
    stream: Stream,
    target: Target,
    timeout: Duration,
}

impl Session {
    pub fn open(target: &Target, timeout: Duration) -> Result<Session, ClientError> {
        let mut session = Session {
            stream: connect(target, timeout)?,
            target: target.clone(),
            timeout,
        };
        write_command(&mut session.stream, target, timeout, "prompt")?;
        let deadline = Instant::now() + timeout;
        let mut buf = Vec::new();
        let prompted = read_until(
            &mut session.stream,
            &mut buf,
            target,
            timeout,
            deadline,
            |b| b.ends_with(PROMPT),
        )?;
        if !prompted {
            return Err(ClientError::Closed {
                target: target.to_string(),
            });
        }
        Ok(session)
    }

    /// Runs one command; the timeout applies to this command alone.
    pub fn command(&mut self, command: &str) -> Result<String, ClientError> {
        let deadline = Instant::now() + self.timeout;
        write_command(&mut self.stream, &self.target, self.timeout, command)?;
        let mut buf = Vec::new();
        let prompted = read_until(
            &mut self.stream,
            &mut buf,
            &self.target,
            self.timeout,
            deadline,
            |b| b.ends_with(PROMPT),
        )?;
        if !prompted {
            return Err(ClientError::Closed {
                target: self.target.to_string(),
            });
        }
        // Keep the "\n" that ends the answer, drop only the "> ".
        buf.truncate(buf.len() - 2);
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // Polite goodbye so HAProxy frees the session at once; failure changes nothing.
        let _ = self.stream.write_all(b"quit\n");
    }
}

/// The answer without HAProxy's end-of-answer empty line and trailing newlines.
pub fn answer_text(answer: &str) -> &str {
    answer.trim_end_matches(['\n', '\r'])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixListener;

    fn temp_socket(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("runtime-api-client-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        let _ = std::fs::remove_file(&path);
        path
    }

    #[test]
    fn targets_parse_paths_and_tcp() {
        assert_eq!(
            "/run/haproxy/admin.sock".parse::<Target>().unwrap(),
            Target::Unix("/run/haproxy/admin.sock".into())
        );
        assert_eq!(
            "tcp://127.0.0.1:9999".parse::<Target>().unwrap(),
            Target::Tcp("127.0.0.1:9999".into())
        );
        assert!("tcp://127.0.0.1".parse::<Target>().is_err());
        assert!("tcp://:80".parse::<Target>().is_err());
        assert_eq!(
            Target::Tcp("h:1".into()).to_string(),
            "tcp://h:1".to_string()
        );
    }

    #[test]
    fn missing_socket_is_not_found() {
        let err = query(
            &Target::Unix("/nonexistent/stats".into()),
            "show info",
            Duration::from_secs(1),
        )
        .unwrap_err();
        assert!(matches!(err, ClientError::NotFound { .. }), "{err}");
    }

    #[test]
    fn a_file_or_directory_is_not_a_socket() {
        let dir = temp_socket("not-a-socket");
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("stats");
        std::fs::write(&file, "").unwrap();
        for (path, what) in [(&file, "a regular file"), (&dir, "a directory")] {
            let err = query(
                &Target::Unix(path.clone()),
                "show info",
                Duration::from_secs(1),
            )
            .unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "cannot connect to {}: {what}, not a socket — check the path of the `stats socket` line",
                    path.display()
                )
            );
        }
    }

    #[test]
    fn permission_denied_message_tells_what_to_do() {
        let err = ClientError::from_io(
            &Target::Unix("/var/lib/haproxy/stats".into()),
            "connecting",
            Duration::from_secs(1),
            io::Error::from(io::ErrorKind::PermissionDenied),
        );
        assert_eq!(
            err.to_string(),
            "cannot connect to /var/lib/haproxy/stats: permission denied — run as a member of group haproxy or use --socket"
        );
    }

    #[test]
    fn silent_socket_times_out_within_bound() {
        let path = temp_socket("silent.sock");
        let listener = UnixListener::bind(&path).unwrap();
        // Accept and hold the connection open without answering.
        let holder = std::thread::spawn(move || listener.accept().map(|(s, _)| s));
        let started = Instant::now();
        let err = query(&Target::Unix(path), "show info", Duration::from_millis(300)).unwrap_err();
        assert!(matches!(err, ClientError::Timeout { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(3));
        drop(holder.join());
    }

    #[test]
    fn prompt_session_strips_prompt_and_keeps_answers_apart() {
        let path = temp_socket("prompt.sock");
        let listener = UnixListener::bind(&path).unwrap();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut seen = Vec::new();
            let mut byte = [0u8; 1];
            let mut line = Vec::new();
            while s.read(&mut byte).unwrap() == 1 {
                if byte[0] != b'\n' {
                    line.push(byte[0]);
                    continue;
                }
                let cmd = String::from_utf8(std::mem::take(&mut line)).unwrap();
                let reply: &[u8] = match cmd.as_str() {
                    "prompt" => b"\n> ",
                    "show cli level" => b"admin\n\n> ",
                    "quit" => break,
                    _ => b"Unknown command\n\n> ",
                };
                seen.push(cmd);
                s.write_all(reply).unwrap();
            }
            seen
        });
        let mut session = Session::open(&Target::Unix(path), Duration::from_secs(2)).unwrap();
        assert_eq!(session.command("show cli level").unwrap(), "admin\n\n");
        assert_eq!(session.command("bogus").unwrap(), "Unknown command\n\n");
        drop(session);
        assert_eq!(
            server.join().unwrap(),
            vec!["prompt", "show cli level", "bogus"]
        );
    }
}
