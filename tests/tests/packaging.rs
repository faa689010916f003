//! What an operator installs: the systemd unit (checked by `systemd-analyze verify`), the
//! `Type=notify` protocol it relies on (spoken to a socket the test owns, as systemd would
//! listen), the man page against the real usage text, and `cargo install` of both binaries.

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use e2e::backends::Backend;
use e2e::bins;
use e2e::config::{BackendSection, Config};
use e2e::ports;
use e2e::socket;

const UNIT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../packaging/proxyd.service");
const MAN_PAGE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../packaging/proxyd.8");
const NOTIFY_TIMEOUT: Duration = Duration::from_secs(30);

fn tempdir(prefix: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .expect("tempdir")
}

fn found_on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
}

fn unit_text() -> String {
    std::fs::read_to_string(UNIT).unwrap_or_else(|e| panic!("read {UNIT}: {e}"))
}

#[test]
fn systemd_unit_passes_systemd_analyze_verify() {
    if !found_on_path("systemd-analyze") {
        eprintln!("note: systemd-analyze not found, skipping the unit check (package systemd)");
        return;
    }
    // verify insists that every Exec*= program exists: point them at the binary under test.
    let dir = tempdir("e2e-unit-");
    let unit = dir.path().join("proxyd.service");
    let text = unit_text().replace("/usr/sbin/proxyd", &bins::proxyd().to_string_lossy());
    std::fs::write(&unit, &text).expect("write unit");
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&unit)
        .output()
        .expect("run systemd-analyze");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // verify exits 0 on unknown keys and bad values and only says so: any word about our file
    // is a failure. Lines about other units on the machine are not ours to judge.
    let ours: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains(&*unit.to_string_lossy()) || l.contains("proxyd.service"))
        .collect();
    assert!(
        out.status.success() && ours.is_empty(),
        "systemd-analyze verify {}: {}\n{stderr}\n---- unit ----\n{text}",
        unit.display(),
        out.status
    );
}

#[test]
fn systemd_unit_checks_before_start_and_reload_and_reloads_with_sigusr2() {
    let text = unit_text();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    for wanted in [
        "Type=notify",
        "Environment=\"CONFIG=/etc/haproxy/haproxy.cfg\" \"EXTRAOPTS=\"",
        "ExecStartPre=/usr/sbin/proxyd -c -q -f $CONFIG",
        "ExecStart=/usr/sbin/proxyd -db -f $CONFIG $EXTRAOPTS",
        "ExecReload=/usr/sbin/proxyd -c -q -f $CONFIG",
        "ExecReload=/bin/kill -USR2 $MAINPID",
        "RuntimeDirectory=haproxy",
        "StateDirectory=haproxy",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
    ] {
        assert!(lines.contains(&wanted), "{UNIT} lacks `{wanted}`");
    }
    // The pre-start check is silent and succeeds on HAProxy's stock configuration, where
    // installed: the unit is a drop-in for haproxy.service.
    let stock = Path::new("/etc/haproxy/haproxy.cfg");
    if !stock.is_file() {
        eprintln!(
            "note: {} absent, skipping the drop-in check",
            stock.display()
        );
        return;
    }
    let out = Command::new(bins::proxyd())
        .args(["-c", "-q", "-f"])
        .arg(stock)
        .output()
        .expect("run proxyd -c");
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "proxyd -c -q -f {}: {}\nstdout: {}\nstderr: {}",
        stock.display(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// proxyd run as systemd runs it: foreground, `NOTIFY_SOCKET` in the environment.
struct Notified {
    child: Child,
    socket: UnixDatagram,
    config: Config,
    frontend: std::net::SocketAddr,
    _backend: Backend,
    received: Vec<String>,
}

impl Notified {
    /// `notify_socket`: the value of `NOTIFY_SOCKET`; `socket` is bound to it.
    fn start(socket: UnixDatagram, notify_socket: &str) -> Notified {
        let backend = Backend::echo();
        let frontend = ports::free_addr();
        let config = Config::new()
            .frontend("fe", frontend, "be")
            .backend(BackendSection::new("be").server("s1", backend.addr(), ""));
        let path = config.dir().join("haproxy.cfg");
        std::fs::write(&path, config.render()).expect("write config");
        let child = Command::new(bins::proxyd())
            .arg("-db")
            .arg("-f")
            .arg(&path)
            .env("NOTIFY_SOCKET", notify_socket)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start proxyd");
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("read timeout");
        Notified {
            child,
            socket,
            config,
            frontend,
            _backend: backend,
            received: Vec::new(),
        }
    }

    /// The next datagram; fails if none arrives within [`NOTIFY_TIMEOUT`] or proxyd exits.
    fn next(&mut self) -> String {
        let deadline = Instant::now() + NOTIFY_TIMEOUT;
        let mut buf = [0u8; 4096];
        loop {
            match self.socket.recv(&mut buf) {
                Ok(n) => {
                    let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
                    self.received.push(msg.clone());
                    return msg;
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => panic!("recv on the notify socket: {e}"),
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("proxyd exited with {status}; received {:?}", self.received);
            }
            assert!(
                Instant::now() < deadline,
                "no notification within {NOTIFY_TIMEOUT:?}; received {:?}",
                self.received
            );
        }
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name}: {status}");
    }

    /// READY=1 only once the frontend and the stats socket are bound; RELOADING=1 then
    /// READY=1 on SIGUSR2; STOPPING=1 on SIGTERM, then a clean exit.
    fn run_protocol(mut self) {
        assert_eq!(self.next(), "READY=1");
        // Connecting proves the listen() happened before the notification was sent.
        std::net::TcpStream::connect_timeout(&self.frontend, Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("frontend {} not bound at READY=1: {e}", self.frontend));
        let info = socket::query(&self.config.admin_socket(), "show info")
            .unwrap_or_else(|e| panic!("stats socket not bound at READY=1: {e}"));
        assert!(info.contains("Pid: "), "show info answered {info:?}");

        self.signal("USR2");
        assert_eq!(self.next(), "RELOADING=1");
        assert_eq!(self.next(), "READY=1");

        self.signal("TERM");
        assert_eq!(self.next(), "STOPPING=1");
        let deadline = Instant::now() + NOTIFY_TIMEOUT;
        let status = loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "proxyd still running after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(status.success(), "exit status {status}");
    }
}

impl Drop for Notified {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn notify_socket_gets_ready_after_binding_and_reloading_around_sigusr2() {
    let dir = tempdir("e2e-notify-");
    let path = dir.path().join("notify");
    let socket = UnixDatagram::bind(&path).expect("bind the notify socket");
    Notified::start(socket, &path.to_string_lossy()).run_protocol();
}

#[test]
fn notify_socket_in_the_abstract_namespace_works_too() {
    use std::os::linux::net::SocketAddrExt;
    // systemd passes `@name` for abstract sockets; a per-process name keeps parallel runs apart.
    let name = format!("e2e-proxyd-notify-{}", std::process::id());
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
        .expect("abstract address");
    let socket = UnixDatagram::bind_addr(&addr).expect("bind the abstract notify socket");
    Notified::start(socket, &format!("@{name}")).run_protocol();
}

#[test]
fn man_page_documents_every_option_of_the_usage_text() {
    let man = std::fs::read_to_string(MAN_PAGE).unwrap_or_else(|e| panic!("{MAN_PAGE}: {e}"));
    // roff writes a literal minus as `\-`.
    let man = man.replace("\\-", "-");
    let out = Command::new(bins::proxyd())
        .arg("-h")
        .output()
        .expect("run proxyd -h");
    let usage = String::from_utf8_lossy(&out.stdout);
    let options: Vec<String> = usage
        .split(|c: char| c.is_whitespace() || "[]*|".contains(c))
        .filter(|w| w.starts_with('-') && w.len() > 1)
        .map(|w| w.trim_end_matches([',', ';']).to_string())
        .collect();
    assert!(
        options.len() >= 6,
        "too few options found in the usage text:\n{usage}"
    );
    for opt in &options {
        // `-vdVD` in the synopsis is a cluster of single-letter flags.
        let flags: Vec<String> = if !opt.starts_with("--") && opt.len() > 3 {
            opt[1..].chars().map(|c| format!("-{c}")).collect()
        } else {
            vec![opt.clone()]
        };
        for flag in flags {
            assert!(
                man.contains(&format!("B {flag}")) || man.contains(&format!("B{flag}")) || {
                    man.lines()
                        .any(|l| l.starts_with(".B") && l.split_whitespace().any(|w| w == flag))
                },
                "{MAN_PAGE} does not document `{flag}` (from `proxyd -h`)"
            );
        }
    }
    for signal in ["SIGTERM", "SIGINT", "SIGUSR1", "SIGUSR2", "SIGHUP"] {
        assert!(man.contains(signal), "{MAN_PAGE} does not mention {signal}");
    }
    if found_on_path("groff") {
        let out = Command::new("groff")
            .args(["-man", "-ww", "-z"])
            .arg(MAN_PAGE)
            .output()
            .expect("run groff");
        let warnings = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && warnings.is_empty(),
            "groff -man -ww: {warnings}"
        );
    }
}

/// `<target-dir>` and the cargo profile of this test binary (`<target-dir>/<profile>/deps/…`),
/// so `cargo install` reuses what the test run already compiled.
fn profile_and_target_dir() -> Option<(String, PathBuf)> {
    let exe = std::env::current_exe().ok()?;
    let profile_dir = exe.parent()?.parent()?;
    let profile = match profile_dir.file_name()?.to_str()? {
        "debug" => "dev".to_string(),
        other => other.to_string(),
    };
    Some((profile, profile_dir.parent()?.to_path_buf()))
}

#[test]
fn cargo_install_installs_both_binaries() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root");
    let root = tempdir("e2e-install-");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    for package in ["proxyd", "haproxyctl"] {
        let mut cmd = Command::new(&cargo);
        cmd.current_dir(workspace)
            .args([
                "install",
                "--locked",
                "--offline",
                "--quiet",
                "--path",
                package,
            ])
            .arg("--root")
            .arg(root.path());
        if let Some((profile, target_dir)) = profile_and_target_dir() {
            cmd.arg("--profile")
                .arg(profile)
                .arg("--target-dir")
                .arg(target_dir);
        }
        // The test's own package variables would look like a changed environment to build
        // scripts and force a rebuild.
        for (name, _) in std::env::vars_os() {
            let name_str = name.to_string_lossy();
            if name_str.starts_with("CARGO_PKG_")
                || name_str.starts_with("CARGO_MANIFEST_")
                || name_str.starts_with("CARGO_BIN_")
                || [
                    "CARGO_CRATE_NAME",
                    "CARGO_PRIMARY_PACKAGE",
                    "CARGO_TARGET_TMPDIR",
                ]
                .contains(&&*name_str)
                || name_str == "OUT_DIR"
            {
                cmd.env_remove(&name);
            }
        }
        let out = cmd.output().expect("run cargo install");
        assert!(
            out.status.success(),
            "{cmd:?}: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let installed = root.path().join("bin").join(package);
        let version = Command::new(&installed)
            .arg(if package == "proxyd" {
                "-v"
            } else {
                "--version"
            })
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}", installed.display()));
        let text = String::from_utf8_lossy(&version.stdout);
        assert!(
            version.status.success() && text.contains(env!("CARGO_PKG_VERSION")),
            "{} printed {text:?}",
            installed.display()
        );
    }
}
