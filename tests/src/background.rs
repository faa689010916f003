//! `proxyd -D -p PIDFILE`: a daemon the test did not keep as a child.
//!
//! The foreground parent is waited for (it exits once the background process is serving or has
//! failed); the background process is found through its pid file and killed on drop if still
//! alive. Only that pid is ever signalled.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

use crate::bins;
use crate::config::Config;
use crate::socket;

/// How long the foreground parent may take to report start-up.
pub const START_TIMEOUT: Duration = Duration::from_secs(15);

/// The outcome of `proxyd -D -p <pidfile> -f <config>`.
pub struct Background {
    pub config: Config,
    pub pidfile: PathBuf,
    /// The foreground parent's exit status and what it wrote.
    pub parent_status: ExitStatus,
    pub parent_stdout: String,
    pub parent_stderr: String,
    /// The background process, read from the pid file once the parent has exited.
    pub pid: Option<u32>,
}

impl Background {
    /// Writes the config, runs the foreground parent to completion and reads the pid file.
    pub fn start(config: Config) -> Background {
        let cfg_path = config.dir().join("haproxy.cfg");
        fs::write(&cfg_path, config.render()).expect("write config");
        let pidfile = config.dir().join("proxyd.pid");
        let out_path = config.dir().join("parent-stdout.log");
        let err_path = config.dir().join("parent-stderr.log");
        let mut child = Command::new(bins::proxyd())
            .arg("-D")
            .arg("-p")
            .arg(&pidfile)
            .arg("-f")
            .arg(&cfg_path)
            .current_dir(config.dir())
            .stdin(Stdio::null())
            .stdout(File::create(&out_path).expect("create stdout log"))
            .stderr(File::create(&err_path).expect("create stderr log"))
            .spawn()
            .expect("spawn proxyd -D");
        let mut status = None;
        socket::wait_for(START_TIMEOUT, || {
            status = child.try_wait().ok().flatten();
            status.is_some()
        });
        let parent_status = match status {
            Some(s) => s,
            None => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "`proxyd -D` did not return within {START_TIMEOUT:?}\nconfig:\n{}",
                    config.render()
                );
            }
        };
        let pid = fs::read_to_string(&pidfile)
            .ok()
            .and_then(|t| t.trim().parse().ok());
        Background {
            parent_stdout: fs::read_to_string(&out_path).unwrap_or_default(),
            parent_stderr: fs::read_to_string(&err_path).unwrap_or_default(),
            config,
            pidfile,
            parent_status,
            pid,
        }
    }

    /// Whether `pid` names a live (not zombie) process.
    pub fn alive(pid: u32) -> bool {
        match fs::read_to_string(format!("/proc/{pid}/stat")) {
            // The state letter follows the parenthesised command name.
            Ok(stat) => stat
                .rsplit_once(") ")
                .is_some_and(|(_, rest)| !rest.starts_with('Z') && !rest.starts_with('X')),
            Err(_) => false,
        }
    }

    /// Sends `signal` (a `kill` name such as `TERM`) to the background process.
    pub fn signal(&self, signal: &str) {
        let pid = self.pid.expect("background pid");
        send_signal(pid, signal);
    }

    pub fn context(&self) -> String {
        format!(
            "parent: {}\nparent stdout:\n{}\nparent stderr:\n{}\npid file {}: {:?}\nconfig:\n{}",
            self.parent_status,
            self.parent_stdout,
            self.parent_stderr,
            self.pidfile.display(),
            self.pid,
            self.config.render()
        )
    }

    pub fn dir(&self) -> &Path {
        self.config.dir()
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(pid) = self.pid {
            if Background::alive(pid) {
                send_signal(pid, "KILL");
            }
        }
    }
}

/// `kill -<signal> <pid>`, for a process this test started.
pub fn send_signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} {pid} failed: {status}");
}
