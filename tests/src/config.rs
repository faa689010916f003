//! HAProxy configuration text for tests, and the temporary directory it lives in.
//!
//! A [`Config`] owns a temporary directory holding the stats sockets (`admin.sock` at level admin,
//! `user.sock` at level user) and, once a daemon starts, `haproxy.cfg` and the daemon's output.
//! Sections are plain text; [`BackendSection`] and [`Config::frontend`] cover the common shapes.
//!
//! ```text
//! let cfg = Config::new()
//!     .frontend("fe_tls", listen_addr, "servers")
//!     .backend(BackendSection::new("servers").line("option httpchk GET /v1/status")
//!         .server("backend1.example.com", b1.addr(), "check check-ssl verify required ca-file ..."));
//! ```

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// A configuration and the directory its files live in.
pub struct Config {
    dir: tempfile::TempDir,
    global: Vec<String>,
    defaults: Vec<String>,
    sections: Vec<String>,
}

impl Config {
    /// Global section with two stats sockets (admin and user level) and TCP-mode defaults with
    /// short connect timeouts, so failing checks are seen quickly.
    pub fn new() -> Config {
        let dir = tempfile::Builder::new()
            .prefix("e2e-daemon-")
            .tempdir()
            .expect("tempdir");
        let admin = dir.path().join("admin.sock");
        let user = dir.path().join("user.sock");
        Config {
            global: vec![
                format!("stats socket {} mode 600 level admin", admin.display()),
                format!("stats socket {} mode 600 level user", user.display()),
                "stats timeout 30s".to_string(),
            ],
            defaults: vec![
                "mode tcp".to_string(),
                "timeout connect 1s".to_string(),
                "timeout client 30s".to_string(),
                "timeout server 30s".to_string(),
                "timeout check 1s".to_string(),
            ],
            sections: Vec::new(),
            dir,
        }
    }

    /// The directory holding sockets, the written config and the daemon's output.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Stats socket at level admin.
    pub fn admin_socket(&self) -> PathBuf {
        self.dir.path().join("admin.sock")
    }

    /// Stats socket at level user.
    pub fn user_socket(&self) -> PathBuf {
        self.dir.path().join("user.sock")
    }

    /// Adds a line to `global`.
    pub fn global(mut self, line: impl Into<String>) -> Config {
        self.global.push(line.into());
        self
    }

    /// Adds a line to `defaults`.
    pub fn defaults(mut self, line: impl Into<String>) -> Config {
        self.defaults.push(line.into());
        self
    }

    /// Sends logs (server state changes, and with `option tcplog` one line per connection) to
    /// the daemon's stderr without a syslog header.
    pub fn log_to_stderr(self) -> Config {
        self.global("log stderr format raw local0 info")
            .defaults("log global")
    }

    /// Sends logs to the syslog server at `addr` (facility local0), for every proxy.
    pub fn log_to(self, addr: impl std::fmt::Display) -> Config {
        self.global(format!("log {addr} local0"))
            .defaults("log global")
    }

    /// Appends a whole section, verbatim.
    pub fn section(mut self, text: impl Into<String>) -> Config {
        self.sections.push(text.into());
        self
    }

    /// `frontend <name>` bound on `bind`, sending everything to `backend`.
    pub fn frontend(self, name: &str, bind: SocketAddr, backend: &str) -> Config {
        self.section(format!(
            "frontend {name}\n    bind {bind}\n    default_backend {backend}\n"
        ))
    }

    /// Appends a backend section.
    pub fn backend(self, backend: BackendSection) -> Config {
        let text = backend.render();
        self.section(text)
    }

    /// The configuration file's text.
    pub fn render(&self) -> String {
        let mut text = String::from("global\n");
        for line in &self.global {
            let _ = writeln!(text, "    {line}");
        }
        text.push_str("\ndefaults\n");
        for line in &self.defaults {
            let _ = writeln!(text, "    {line}");
        }
        for section in &self.sections {
            text.push('\n');
            text.push_str(section);
        }
        text
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

/// A `backend` section: option lines, then servers in declaration order.
#[derive(Debug, Clone)]
pub struct BackendSection {
    name: String,
    lines: Vec<String>,
    servers: Vec<String>,
}

impl BackendSection {
    pub fn new(name: &str) -> BackendSection {
        BackendSection {
            name: name.to_string(),
            lines: Vec::new(),
            servers: Vec::new(),
        }
    }

    /// Adds a line such as `balance roundrobin` or `option httpchk GET /v1/status`.
    pub fn line(mut self, line: impl Into<String>) -> BackendSection {
        self.lines.push(line.into());
        self
    }

    /// Adds `server <name> <addr> <options>`.
    pub fn server(mut self, name: &str, addr: SocketAddr, options: &str) -> BackendSection {
        self.servers.push(
            format!("server {name} {addr} {options}")
                .trim_end()
                .to_string(),
        );
        self
    }

    pub fn render(&self) -> String {
        let mut text = format!("backend {}\n", self.name);
        for line in self.lines.iter().chain(&self.servers) {
            let _ = writeln!(text, "    {line}");
        }
        text
    }
}

/// Server options for an HTTPS health check that trusts only `ca_file`.
pub fn tls_check(ca_file: &Path) -> String {
    format!(
        "check check-ssl verify required ca-file {}",
        ca_file.display()
    )
}
