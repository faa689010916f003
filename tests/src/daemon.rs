//! A daemon under test (`proxyd` or the real `haproxy`), run in the foreground on a [`Config`].
//!
//! The daemon is started as `<program> -db -f <dir>/haproxy.cfg` with stdout and stderr in files of
//! the config's directory, and killed when the [`Daemon`] is dropped. Every stats-socket query made
//! through it is kept in a transcript; [`Daemon::fail`] panics with the config, the command line,
//! the daemon's stderr and that transcript, and the same context is printed if a test panics
//! while the daemon is alive.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use crate::bins;
use crate::config::Config;
use crate::socket::{self, StatTable};

/// How long a daemon gets to open its stats socket.
pub const READY_TIMEOUT: Duration = Duration::from_secs(10);
/// Transcript entries kept (the most recent ones) and bytes kept of each answer.
const TRANSCRIPT_ENTRIES: usize = 30;
const TRANSCRIPT_ANSWER_BYTES: usize = 4096;

/// A running daemon; killed on drop.
pub struct Daemon {
    /// Locked for `try_wait`/`kill` only.
    child: Mutex<Child>,
    config: Config,
    config_text: String,
    config_path: PathBuf,
    stderr_path: PathBuf,
    program: PathBuf,
    command: String,
    /// Socket queries and answers, with how many times in a row each was seen (polling repeats
    /// the same query). Locked only to append or print.
    transcript: Mutex<Vec<(String, usize)>>,
    /// Set once [`Daemon::fail`] has put the context in a panic message, so drop does not repeat it.
    context_reported: AtomicBool,
}

impl Daemon {
    /// Starts the workspace's `proxyd` (built on first use) and waits until its socket answers.
    pub fn proxyd(config: Config) -> Daemon {
        let daemon = Daemon::start(&bins::proxyd(), config);
        daemon.wait_ready(READY_TIMEOUT);
        daemon
    }

    /// Starts the real HAProxy and waits until its socket answers; `None` (with a note on stderr)
    /// when HAProxy is not installed, so differential tests pass without it.
    pub fn haproxy(config: Config) -> Option<Daemon> {
        let Some(program) = bins::haproxy() else {
            eprintln!(
                "note: {} not found, skipping the run against real HAProxy (apt-get install haproxy)",
                bins::HAPROXY_PATH
            );
            return None;
        };
        let daemon = Daemon::start(&program, config);
        daemon.wait_ready(READY_TIMEOUT);
        Some(daemon)
    }

    /// Writes the config and spawns `program -db -f <config>`; does not wait for readiness.
    pub fn start(program: &Path, config: Config) -> Daemon {
        let config_text = config.render();
        let config_path = config.dir().join("haproxy.cfg");
        fs::write(&config_path, &config_text).expect("write config");
        let stderr_path = config.dir().join("stderr.log");
        let stdout_path = config.dir().join("stdout.log");
        let mut cmd = Command::new(program);
        cmd.arg("-db")
            .arg("-f")
            .arg(&config_path)
            .current_dir(config.dir())
            .stdin(Stdio::null())
            .stdout(File::create(&stdout_path).expect("create stdout.log"))
            .stderr(File::create(&stderr_path).expect("create stderr.log"));
        let command = format!("{} -db -f {}", program.display(), config_path.display());
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `{command}`: {e}\nconfig:\n{config_text}"));
        Daemon {
            child: Mutex::new(child),
            config,
            config_text,
            config_path,
            stderr_path,
            program: program.to_path_buf(),
            command,
            transcript: Mutex::new(Vec::new()),
            context_reported: AtomicBool::new(false),
        }
    }

    /// Polls the admin socket with `show info` until it answers; fails with context if the daemon
    /// exits or `timeout` passes.
    pub fn wait_ready(&self, timeout: Duration) {
        let socket = self.socket();
        let mut last_error = String::from("socket never answered");
        let ready = socket::wait_for(timeout, || {
            if let Some(status) = self.exit_status() {
                last_error = format!("daemon exited with {status}");
                return true;
            }
            match socket::query(&socket, "show info") {
                Ok(answer) if !answer.is_empty() => return true,
                Ok(_) => last_error = "empty answer to `show info`".to_string(),
                Err(e) => last_error = format!("{}: {e}", socket.display()),
            }
            false
        });
        if let Some(status) = self.exit_status() {
            self.fail(&format!(
                "daemon exited with {status} before its stats socket answered"
            ));
        }
        if !ready {
            self.fail(&format!("daemon not ready after {timeout:?}: {last_error}"));
        }
    }

    /// `Some(status)` once the process has exited.
    pub fn exit_status(&self) -> Option<std::process::ExitStatus> {
        lock(&self.child).try_wait().ok().flatten()
    }

    pub fn pid(&self) -> u32 {
        lock(&self.child).id()
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn config_text(&self) -> &str {
        &self.config_text
    }

    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    /// The admin-level stats socket.
    pub fn socket(&self) -> PathBuf {
        self.config.admin_socket()
    }

    /// The user-level stats socket.
    pub fn user_socket(&self) -> PathBuf {
        self.config.user_socket()
    }

    /// What `PROGRAM -c -f CONFIG` prints (stdout, then stderr), from the daemon's directory,
    /// without pids and version notices.
    pub fn check_config(&self) -> Vec<String> {
        let out = Command::new(&self.program)
            .arg("-c")
            .arg("-f")
            .arg(&self.config_path)
            .current_dir(self.config.dir())
            .output()
            .unwrap_or_else(|e| self.fail(&format!("running -c: {e}")));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        text.lines()
            .filter(|l| !l.starts_with("[NOTICE]"))
            .map(|l| match (l.find(" ("), l.find(") : ")) {
                (Some(a), Some(b)) if a < b => format!("{}{}", &l[..a], &l[b + 1..]),
                _ => l.to_string(),
            })
            .collect()
    }

    /// Writes `config_text` over the daemon's file and reloads it with `signal` (`HUP` or
    /// `USR2`), waiting until proxyd counts the reload applied (`Proxyd_reloads`).
    pub fn reload_with(&self, config_text: &str, signal: &str) {
        let reloads = |d: &Daemon| {
            d.query("show info")
                .lines()
                .find_map(|l| l.strip_prefix("Proxyd_reloads: "))
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(0)
        };
        let before = reloads(self);
        fs::write(&self.config_path, config_text).expect("write config");
        crate::faults::signal(self.pid(), signal);
        self.wait_until("the reload", Duration::from_secs(20), |d| {
            reloads(d) > before
        });
    }

    /// Everything the daemon wrote to stderr so far.
    pub fn stderr(&self) -> String {
        fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// `command` on the admin socket; fails the test with context on I/O errors.
    pub fn query(&self, command: &str) -> String {
        self.query_on(&self.socket(), command)
    }

    /// `command` on the given socket; recorded in the transcript.
    pub fn query_on(&self, socket: &Path, command: &str) -> String {
        let answer = self.query_raw_on(socket, format!("{command}\n").as_bytes());
        String::from_utf8_lossy(&answer).into_owned()
    }

    /// Raw bytes in, raw bytes out, on the given socket; recorded in the transcript.
    pub fn query_raw_on(&self, socket: &Path, bytes: &[u8]) -> Vec<u8> {
        match socket::query_raw(socket, bytes) {
            Ok(answer) => {
                self.record(bytes, &answer);
                answer
            }
            Err(e) => self.fail(&format!(
                "query {:?} on {} failed: {e}",
                String::from_utf8_lossy(bytes),
                socket.display()
            )),
        }
    }

    /// `show stat`, parsed; fails the test with context if it does not parse.
    pub fn show_stat(&self) -> StatTable {
        let text = self.query("show stat");
        StatTable::parse(&text).unwrap_or_else(|e| self.fail(&format!("bad `show stat`: {e}")))
    }

    /// One `show stat` value (empty string when the row or column is missing).
    pub fn stat(&self, pxname: &str, svname: &str, column: &str) -> String {
        self.show_stat()
            .get(pxname, svname, column)
            .unwrap_or_default()
            .to_string()
    }

    /// Polls `condition` until it holds; fails with context naming `what` after `timeout`.
    pub fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        mut condition: impl FnMut(&Daemon) -> bool,
    ) {
        if !socket::wait_for(timeout, || condition(self)) {
            self.fail(&format!("timed out after {timeout:?} waiting for {what}"));
        }
    }

    /// Panics with `message` and everything needed to understand the failure.
    pub fn fail(&self, message: &str) -> ! {
        self.context_reported.store(true, Ordering::SeqCst);
        panic!("{message}\n{}", self.context())
    }

    /// Config, command line, stderr and socket transcript, as one printable block.
    pub fn context(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(text, "---- command ----\n{}", self.command);
        if let Some(status) = self.exit_status() {
            let _ = writeln!(text, "(exited: {status})");
        }
        let _ = writeln!(
            text,
            "---- config {} ----\n{}",
            self.config_path.display(),
            self.config_text
        );
        let _ = writeln!(text, "---- stderr ----\n{}", self.stderr());
        let _ = writeln!(text, "---- socket transcript ----");
        for (entry, times) in lock(&self.transcript).iter() {
            let _ = writeln!(text, "{entry}");
            if *times > 1 {
                let _ = writeln!(text, "(same query and answer {times} times in a row)");
            }
        }
        text
    }

    fn record(&self, sent: &[u8], answer: &[u8]) {
        let mut shown =
            String::from_utf8_lossy(&answer[..answer.len().min(TRANSCRIPT_ANSWER_BYTES)])
                .into_owned();
        if answer.len() > TRANSCRIPT_ANSWER_BYTES {
            let _ = write!(shown, "… ({} bytes in all)", answer.len());
        }
        let entry = format!("> {:?}\n{shown}", String::from_utf8_lossy(sent));
        let mut transcript = lock(&self.transcript);
        match transcript.last_mut() {
            Some((last, times)) if *last == entry => *times += 1,
            _ => {
                if transcript.len() == TRANSCRIPT_ENTRIES {
                    transcript.remove(0);
                }
                transcript.push((entry, 1));
            }
        }
    }

    /// Kills the daemon and waits for it; returns its stderr.
    pub fn stop(&self) -> String {
        {
            let mut child = lock(&self.child);
            let _ = child.kill();
            let _ = child.wait();
        }
        self.stderr()
    }

    /// Polls the daemon's stderr until it contains `needle`; fails with context after `timeout`.
    pub fn wait_for_stderr(&self, needle: &str, timeout: Duration) -> String {
        let mut found = String::new();
        if !socket::wait_for(timeout, || {
            found = self.stderr();
            found.contains(needle)
        }) {
            self.fail(&format!(
                "stderr never contained {needle:?} within {timeout:?}"
            ));
        }
        found
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if thread::panicking() && !self.context_reported.load(Ordering::SeqCst) {
            eprintln!("daemon context at failure:\n{}", self.context());
        }
        self.stop();
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
