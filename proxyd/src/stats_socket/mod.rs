//! The runtime API server (HAProxy's stats socket) on Unix and TCP sockets.
//!
//! - [`parse`]: lines into `;`-separated commands and words.
//! - [`commands`]: the command table and session-level commands; [`stat`], [`info`],
//!   [`servers`], [`admin`], [`dynamic`] (`add server`, `del server`) and [`sessions`]
//!   (`show sess`, `shutdown session`) hold one family of commands each; [`absent`] answers
//!   for tables, maps, ACLs, peers, resolvers and certificates, which a passthrough proxy never
//!   has.
//! - [`help`]: HAProxy's usage list and fuzzy matcher for unknown commands.
//! - this file: listeners and the per-connection session (non-interactive and prompt modes,
//!   idle timeout, bounded input).
//!
//! Commands only read stats snapshots and call the model's state-change functions.

pub mod absent;
pub mod admin;
pub mod commands;
pub mod context;
pub mod dynamic;
pub mod help;
pub mod info;
pub mod parse;
pub mod servers;
pub mod sessions;
pub mod stat;

use crate::counted_io::Sent;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use runtime_api::level::Level;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::{watch, Semaphore};

use crate::config::{ListenAddr, StatsSocket};
use crate::logging::{self, Severity};
use crate::Shared;
use commands::Effect;
use context::Ctx;

/// Longest line accepted, HAProxy's buffer size: longer input is an error, never a crash.
const MAX_LINE: usize = 16 * 1024;
/// Input read and dropped after refusing a long line, so closing does not reset the answer.
const DRAIN_LIMIT: usize = 1024 * 1024;

/// A bound stats socket, ready to serve.
pub enum Bound {
    Unix(UnixListener, PathBuf),
    Tcp(TcpListener),
}

/// Bind a socket as configured. A Unix socket is created beside its final path and renamed
/// over it, so a running client of a previous socket is never left without one.
pub fn bind(sock: &StatsSocket) -> Result<Bound, String> {
    match &sock.addr {
        ListenAddr::Unix(path) => {
            let tmp = tmp_path(path);
            let _ = std::fs::remove_file(&tmp);
            let std_listener = std::os::unix::net::UnixListener::bind(&tmp)
                .map_err(|e| format!("cannot bind UNIX socket ({e}) [{}]", path.display()))?;
            if let Some(mode) = sock.mode {
                std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode)).map_err(
                    |e| format!("cannot change UNIX socket mode ({e}) [{}]", path.display()),
                )?;
            }
            if sock.uid.is_some() || sock.gid.is_some() {
                std::os::unix::fs::chown(&tmp, sock.uid, sock.gid).map_err(|e| {
                    format!(
                        "cannot change UNIX socket ownership ({e}) [{}]",
                        path.display()
                    )
                })?;
            }
            std::fs::rename(&tmp, path)
                .map_err(|e| format!("cannot bind UNIX socket ({e}) [{}]", path.display()))?;
            std_listener
                .set_nonblocking(true)
                .map_err(|e| e.to_string())?;
            let l = UnixListener::from_std(std_listener).map_err(|e| e.to_string())?;
            Ok(Bound::Unix(l, path.clone()))
        }
        ListenAddr::Tcp(addr) => {
            let std_listener = crate::proxy::listener::bind(*addr)
                .map_err(|e| format!("cannot bind socket ({e}) [{addr}]"))?;
            let l = TcpListener::from_std(std_listener).map_err(|e| e.to_string())?;
            Ok(Bound::Tcp(l))
        }
    }
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(format!(".{}.tmp", std::process::id()));
    PathBuf::from(p)
}

/// Clients allowed to be connected beyond `stats maxconn`. Only `stats maxconn` sessions run
/// commands at once; the others wait idle (each bounded by the idle timeout), so a crowd of
/// idle or hostile connections cannot lock a well-behaved client out of the socket.
const EXTRA_WAITING_CLIENTS: usize = 1024;

/// Serve one bound socket until `stop` fires; the Unix socket file is removed on exit.
pub async fn serve(
    bound: Bound,
    level: Level,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    // `stats maxconn` bounds the sessions running commands; connected clients are bounded too,
    // and further ones wait in the backlog rather than starve the proxy of fds.
    let busy = Arc::new(Semaphore::new(shared.stats_maxconn()));
    let connected = Arc::new(Semaphore::new(
        shared.stats_maxconn() + EXTRA_WAITING_CLIENTS,
    ));
    let mut errors = crate::proxy::listener::AcceptErrors::default();
    let path = match &bound {
        Bound::Unix(_, p) => Some(p.clone()),
        Bound::Tcp(_) => None,
    };
    shared.cli_listeners.fetch_add(1, Relaxed);
    loop {
        let permit = tokio::select! {
            p = connected.clone().acquire_owned() => p,
            _ = stop.changed() => break,
        };
        let accepted = tokio::select! {
            a = accept(&bound) => a,
            _ = stop.changed() => break,
        };
        match accepted {
            Ok(stream) => {
                // HAProxy counts a CLI client as a connection and a stream (`CumConns`,
                // `CumReq`, `%rt`) and as a job while it stays.
                let g = &shared.model().global;
                g.counters.conn_tot.fetch_add(1, Relaxed);
                g.streams.fetch_add(1, Relaxed);
                shared.cli_sessions.fetch_add(1, Relaxed);
                let shared = shared.clone();
                let busy = busy.clone();
                tokio::spawn(async move {
                    match stream {
                        Stream::Unix(s) => session_with(Sent(s), level, shared.clone(), busy).await,
                        Stream::Tcp(s) => session_with(Sent(s), level, shared.clone(), busy).await,
                    }
                    shared.cli_sessions.fetch_sub(1, Relaxed);
                    drop(permit);
                });
            }
            Err(e) => {
                if errors.starts_now() {
                    logging::console(
                        Severity::Warning,
                        &format!("stats socket accept failed ({e}); pausing accepts."),
                    );
                }
                drop(permit);
                tokio::select! {
                    _ = tokio::time::sleep(crate::proxy::listener::ACCEPT_BACKOFF) => {}
                    _ = stop.changed() => break,
                }
            }
        }
    }
    shared.cli_listeners.fetch_sub(1, Relaxed);
    if let Some(path) = path {
        let _ = std::fs::remove_file(&path);
    }
}

enum Stream {
    Unix(tokio::net::UnixStream),
    Tcp(tokio::net::TcpStream),
}

async fn accept(bound: &Bound) -> std::io::Result<Stream> {
    match bound {
        Bound::Unix(l, _) => l.accept().await.map(|(s, _)| Stream::Unix(s)),
        Bound::Tcp(l) => l.accept().await.map(|(s, _)| Stream::Tcp(s)),
    }
}

/// One client: read lines, run their commands, answer, and close as HAProxy does.
pub async fn session<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    level: Level,
    shared: Arc<Shared>,
) {
    let busy = Arc::new(Semaphore::new(shared.stats_maxconn()));
    session_with(stream, level, shared, busy).await
}

/// [`session`], running commands only while holding one of `busy`'s permits.
async fn session_with<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    level: Level,
    shared: Arc<Shared>,
    busy: Arc<Semaphore>,
) {
    let mut ctx = Ctx {
        model: shared.model(),
        shared: shared.clone(),
        level,
        socket_level: level,
        interactive: false,
        timeout: shared.stats_timeout(),
        quit: false,
        bare: false,
        expert: false,
        experimental: false,
    };
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    // When the line now in `buf` began: a line must be complete within the timeout of its
    // first byte, so a client trickling one byte at a time cannot hold a session forever.
    let mut line_started: Option<Instant> = None;
    loop {
        let mut ran = false;
        let mut permit = None;
        while let Some(pos) = buf.iter().position(|&b| b == b'\n') {
            if pos > MAX_LINE {
                refuse_long_line(&mut stream).await;
                return;
            }
            if permit.is_none() {
                permit = match busy.clone().acquire_owned().await {
                    Ok(p) => Some(p),
                    Err(_) => return,
                };
            }
            let mut line: Vec<u8> = buf.drain(..=pos).collect();
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            ran = true;
            let out = run_line(&mut ctx, &shared, &String::from_utf8_lossy(&line));
            if !out.is_empty() && stream.write_all(out.as_bytes()).await.is_err() {
                return;
            }
            if ctx.quit {
                let _ = stream.shutdown().await;
                return;
            }
        }
        // Non-interactive: the session ends once the buffered input is consumed.
        if ran && !ctx.interactive && buf.is_empty() {
            let _ = stream.shutdown().await;
            return;
        }
        if buf.len() > MAX_LINE {
            refuse_long_line(&mut stream).await;
            return;
        }
        drop(permit);
        if ran {
            // A partial line left after complete ones starts its own clock.
            line_started = None;
        }
        let wait = if buf.is_empty() {
            line_started = None;
            ctx.timeout
        } else {
            let since = *line_started.get_or_insert_with(Instant::now);
            ctx.timeout.saturating_sub(since.elapsed())
        };
        match tokio::time::timeout(wait, stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            // EOF, error or idle timeout; an unterminated last line is dropped.
            _ => {
                let _ = stream.shutdown().await;
                return;
            }
        }
    }
}

/// A line longer than [`MAX_LINE`]: answer an error and close. HAProxy closes without a word;
/// the error tells a script what went wrong. The rest of the input is read and dropped for a
/// moment first, since closing a socket with unread input resets it and the client could lose
/// the answer.
async fn refuse_long_line<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S) {
    let _ = stream.write_all(b"Command line too long.\n\n").await;
    let _ = stream.shutdown().await;
    let mut sink = [0u8; 8192];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
    let mut left = DRAIN_LIMIT;
    while left > 0 {
        match tokio::time::timeout_at(deadline, stream.read(&mut sink)).await {
            Ok(Ok(n)) if n > 0 => left = left.saturating_sub(n),
            _ => break,
        }
    }
}

/// Run every command of one line and return the bytes to send back.
fn run_line(ctx: &mut Ctx, shared: &Arc<Shared>, line: &str) -> String {
    ctx.model = shared.model();
    let mut out = String::new();
    for words in parse::split_line(line) {
        match commands::execute(ctx, &words) {
            Effect::Reply(t) => {
                out.push_str(&t);
                out.push('\n');
                if ctx.interactive {
                    out.push_str("> ");
                }
            }
            Effect::Raw(t) => out.push_str(&t),
            Effect::TogglePrompt => {
                ctx.interactive = !ctx.interactive;
                out.push('\n');
                if ctx.interactive {
                    out.push_str("> ");
                }
            }
            Effect::Quit => {
                ctx.quit = true;
                break;
            }
        }
    }
    out
}
