//! Test support: a fake stats socket that serves canned answers and records the commands it got,
//! the captured HAProxy 2.6 fixtures, and a runner for the real `haproxyctl` binary.
#![allow(dead_code)]
// Each test file uses a different subset.
// Test support: a failed setup step must fail the test loudly, which is what unwrap does.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub const BIN: &str = env!("CARGO_BIN_EXE_haproxyctl");

pub fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/haproxy-2.6")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "haproxyctl-test-{}-{tag}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub type Handler = dyn Fn(&str) -> String + Send + Sync;

/// A Unix socket speaking the runtime API framing: one command per connection, or many after
/// `prompt` (answers then end with `> `). Every command is recorded.
pub struct FakeSocket {
    pub path: PathBuf,
    log: Arc<Mutex<Vec<String>>>,
    _dir: TempDir,
}

impl FakeSocket {
    pub fn start(handler: impl Fn(&str) -> String + Send + Sync + 'static) -> FakeSocket {
        let dir = TempDir::new("sock");
        let path = dir.0.join("stats.sock");
        let listener = UnixListener::bind(&path).unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let thread_log = Arc::clone(&log);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let handler = Arc::clone(&handler);
                let log = Arc::clone(&thread_log);
                std::thread::spawn(move || serve(stream, &*handler, &log));
            }
        });
        FakeSocket {
            path,
            log,
            _dir: dir,
        }
    }

    /// Serves the captured HAProxy 2.6 answers.
    pub fn haproxy26() -> FakeSocket {
        FakeSocket::start(haproxy26_answer)
    }

    pub fn commands(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    pub fn arg(&self) -> String {
        self.path.display().to_string()
    }
}

pub fn haproxy26_answer(cmd: &str) -> String {
    match cmd {
        "show stat" => fixture("show-stat.txt"),
        "show stat json" => fixture("show-stat-json.txt"),
        "show stat typed" => fixture("show-stat-typed.txt"),
        "show info" => fixture("show-info.txt"),
        "show servers state" => fixture("show-servers-state.txt"),
        "show backend" => fixture("show-backend.txt"),
        "show version" => fixture("show-version.txt"),
        _ => fixture("unknown-command.txt"),
    }
}

fn serve(stream: std::os::unix::net::UnixStream, handler: &Handler, log: &Mutex<Vec<String>>) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    let mut prompt = false;
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let cmd = line.trim_end_matches(['\n', '\r']).to_string();
        log.lock().unwrap().push(cmd.clone());
        let reply = match cmd.as_str() {
            "prompt" => {
                prompt = !prompt;
                "\n".to_string()
            }
            "quit" => return,
            _ => handler(&cmd),
        };
        let reply = if prompt { format!("{reply}> ") } else { reply };
        if writer.write_all(reply.as_bytes()).is_err() {
            return;
        }
        if !prompt {
            // HAProxy closes a non-interactive session once the buffered commands are answered.
            return;
        }
    }
}

/// Runs the binary with a clean environment (no colour, width or socket hints inherited).
pub fn run(args: &[&str]) -> Output {
    run_env(args, &[])
}

pub fn run_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS")
        .env_remove("HAPROXY_SOCKET");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts the exit status, printing both streams when it differs.
pub fn assert_code(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "exit status\n--- stdout\n{}\n--- stderr\n{}",
        stdout(o),
        stderr(o)
    );
}

/// Compares with a file under tests/golden; `UPDATE_GOLDEN=1` rewrites it instead.
pub fn assert_golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1)", path.display()));
    assert_eq!(
        actual, expected,
        "{name} differs from the golden file (UPDATE_GOLDEN=1 rewrites it)"
    );
}

/// Changes one column of one server row in `show stat` CSV, found by header name.
pub fn set_field(csv: &str, backend: &str, server: &str, column: &str, value: &str) -> String {
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    let idx = header
        .trim_start_matches("# ")
        .split(',')
        .position(|c| c == column)
        .unwrap();
    let mut out = format!("{header}\n");
    for line in lines {
        let mut fields: Vec<String> = line.split(',').map(String::from).collect();
        if fields.len() > idx && fields[0] == backend && fields[1] == server {
            fields[idx] = value.to_string();
        }
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}
