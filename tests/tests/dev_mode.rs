//! `proxyd --dev` run as a newcomer runs it: the instructions it prints are parsed and each one
//! is carried out — the `nc -U | awk` pipeline verbatim through `sh`, the haproxyctl command,
//! the `curl` through the proxy, the stats page — and its temporary directory must disappear on
//! SIGINT and SIGTERM, with two instances side by side.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use e2e::bins;
use e2e::client;
use e2e::socket;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

/// Start-up includes making certificates and waiting (bounded by proxyd) for the first checks;
/// generous, as the machine is shared.
const START_TIMEOUT: Duration = Duration::from_secs(60);
const STEP_TIMEOUT: Duration = Duration::from_secs(30);
const EXPECTED_PIPELINE: &str = "backend1 DOWN L7STS\nbackend2 UP L7OK\n";

/// A running `proxyd --dev` with its `$TMPDIR` of its own; killed on drop.
struct DevRun {
    child: Child,
    args: Vec<String>,
    tmpdir: PathBuf,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<String>>,
}

/// What the instructions said to run.
#[derive(Debug)]
struct Instructions {
    pipeline: String,
    haproxyctl: String,
    curl: String,
    page: String,
    /// Whether proxyd said the first checks had run before printing.
    checks_done: bool,
}

impl DevRun {
    fn start(tmpdir: &Path, extra: &[&str]) -> DevRun {
        let mut args = vec!["--dev".to_string()];
        args.extend(extra.iter().map(|s| s.to_string()));
        let mut child = Command::new(bins::proxyd())
            .args(&args)
            .env("TMPDIR", tmpdir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start proxyd {args:?}: {e}"));
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let out = child.stdout.take().expect("piped stdout");
        let lines = stdout.clone();
        thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                lock(&lines).push(line);
            }
        });
        let mut err = child.stderr.take().expect("piped stderr");
        let text = stderr.clone();
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                lock(&text).push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        DevRun {
            child,
            args,
            tmpdir: tmpdir.to_path_buf(),
            stdout,
            stderr,
        }
    }

    fn stdout_lines(&self) -> Vec<String> {
        lock(&self.stdout).clone()
    }

    fn context(&self) -> String {
        format!(
            "---- proxyd {} (TMPDIR={}) ----\n---- stdout ----\n{}\n---- stderr ----\n{}",
            self.args.join(" "),
            self.tmpdir.display(),
            self.stdout_lines().join("\n"),
            lock(&self.stderr)
        )
    }

    fn fail(&self, message: &str) -> ! {
        panic!("{message}\n{}", self.context())
    }

    /// Waits for the instructions: the full text ends with "Stop with Ctrl-C", the quiet form
    /// is four lines.
    fn instructions(&mut self, quiet: bool) -> Instructions {
        let complete = socket::wait_for(START_TIMEOUT, || {
            let lines = self.stdout_lines();
            if quiet {
                lines.len() >= 4
            } else {
                lines.iter().any(|l| l.contains("Stop with Ctrl-C"))
            }
        });
        if let Ok(Some(status)) = self.child.try_wait() {
            self.fail(&format!(
                "proxyd --dev exited with {status} during start-up"
            ));
        }
        if !complete {
            self.fail(&format!("no instructions after {START_TIMEOUT:?}"));
        }
        let lines = self.stdout_lines();
        let find = |what: &str, pred: &dyn Fn(&str) -> bool| -> String {
            let found: Vec<&str> = lines.iter().map(|l| l.trim()).filter(|l| pred(l)).collect();
            match found.as_slice() {
                [one] => one.to_string(),
                _ => self.fail(&format!("expected one {what} line, found {found:?}")),
            }
        };
        Instructions {
            pipeline: find("`nc -U` pipeline", &|l| l.starts_with("echo 'show stat' |")),
            haproxyctl: find("haproxyctl", &|l| {
                l.contains("haproxyctl") && l.ends_with(" status")
            }),
            curl: find("curl", &|l| l.starts_with("curl ")),
            page: find("stats page", &|l| l.starts_with("http://")),
            checks_done: lines
                .iter()
                .any(|l| l.contains("first health checks have run")),
        }
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap_or_else(|e| self.fail(&format!("cannot run kill: {e}")));
        assert!(status.success(), "kill -{name} failed: {status}");
    }

    /// Waits for the process to exit; fails with context after [`STEP_TIMEOUT`].
    fn wait_exit(&mut self) -> std::process::ExitStatus {
        let mut status = None;
        socket::wait_for(STEP_TIMEOUT, || {
            status = self.child.try_wait().ok().flatten();
            status.is_some()
        });
        status.unwrap_or_else(|| self.fail(&format!("still running {STEP_TIMEOUT:?} later")))
    }
}

impl Drop for DevRun {
    fn drop(&mut self) {
        if thread::panicking() {
            eprintln!("{}", self.context());
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn tmpdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("e2e-dev-tmp-")
        .tempdir()
        .expect("tempdir")
}

/// Entries of `dir` whose name starts with `proxyd-dev-`.
fn dev_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|it| {
            it.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("proxyd-dev-"))
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

/// `sh -c SCRIPT`: (exit success, stdout, stderr).
fn sh(script: &str) -> (bool, String, String) {
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run sh -c {script:?}: {e}"));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Words of a printed command; single-quoted words are unquoted (proxyd quotes unusual paths).
fn words(line: &str) -> Vec<String> {
    line.split_whitespace()
        .map(|w| w.trim_matches('\'').to_string())
        .collect()
}

/// The value following `flag` in a printed command.
fn flag_value(line: &str, flag: &str) -> Option<String> {
    let w = words(line);
    let i = w.iter().position(|x| x == flag)?;
    w.get(i + 1).cloned()
}

/// Runs the printed pipeline verbatim until it prints the seed's two lines. When proxyd said the
/// first checks had run, the very first run must already show them.
fn assert_pipeline(run: &DevRun, ins: &Instructions) {
    let mut last = (false, String::new(), String::new());
    let mut first = true;
    let ok = socket::wait_for(STEP_TIMEOUT, || {
        last = sh(&ins.pipeline);
        let good = last.0 && last.1 == EXPECTED_PIPELINE;
        if first && ins.checks_done && !good {
            run.fail(&format!(
                "proxyd said the first checks had run, yet `{}` printed {:?} (stderr {:?})",
                ins.pipeline, last.1, last.2
            ));
        }
        first = false;
        good
    });
    if !ok {
        run.fail(&format!(
            "`{}` never printed {EXPECTED_PIPELINE:?}; last: ok={} stdout={:?} stderr={:?}",
            ins.pipeline, last.0, last.1, last.2
        ));
    }
}

fn client_config_trusting(ca_file: &Path) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca_file).expect("read the printed CA file") {
        roots.add(cert.expect("PEM certificate")).expect("add CA");
    }
    Arc::new(
        rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth(),
    )
}

/// `GET /` over plain HTTP/1.0; the whole answer.
fn http_get(addr: SocketAddr) -> std::io::Result<String> {
    let mut tcp = client::connect(addr)?;
    tcp.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer)?;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

#[test]
fn printed_commands_work_as_printed() {
    let tmp = tmpdir();
    let mut run = DevRun::start(tmp.path(), &[]);
    let ins = run.instructions(false);
    let dirs = dev_dirs(tmp.path());
    if dirs.len() != 1 {
        run.fail(&format!(
            "expected one proxyd-dev-* directory, found {dirs:?}"
        ));
    }

    // 1. The blog's monitoring one-liner, exactly as printed.
    assert_pipeline(&run, &ins);

    // 2. haproxyctl with the printed arguments, run from the binary this workspace built.
    let printed = words(&ins.haproxyctl);
    let args_at = match printed.iter().position(|w| w == "--") {
        Some(i) if printed.first().map(String::as_str) == Some("cargo") => i + 1,
        _ => 1,
    };
    let out = Command::new(bins::haproxyctl())
        .args(&printed[args_at..])
        .env("NO_COLOR", "1")
        .output()
        .expect("run haproxyctl");
    let table = String::from_utf8_lossy(&out.stdout);
    let row = |name: &str| table.lines().find(|l| l.trim_start().starts_with(name));
    let row_ok = |name: &str, state: &str, check: &str| {
        row(name).is_some_and(|l| l.contains(state) && l.contains(check))
    };
    if !out.status.success()
        || !row_ok("backend1", "DOWN", "L7STS")
        || !row_ok("backend2", "UP", "L7OK")
    {
        run.fail(&format!(
            "`{}` gave {}:\n{table}\n{}",
            ins.haproxyctl,
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }

    // 3. curl through the proxy, as printed: TLS is passed through to the healthy backend.
    let (ok, body, err) = sh(&ins.curl);
    if !ok || body != "hello from backend2 over TLS passthrough\n" {
        run.fail(&format!(
            "`{}`: ok={ok} stdout={body:?} stderr={err}",
            ins.curl
        ));
    }
    // The certificate seen through the proxy is backend2's own: proxyd does not terminate TLS.
    let ca_file = PathBuf::from(flag_value(&ins.curl, "--cacert").expect("--cacert in curl"));
    let port: u16 = ins
        .curl
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .unwrap_or_else(|| run.fail("no port at the end of the curl URL"));
    let tls = client_config_trusting(&ca_file);
    let through = client::tls_get(([127, 0, 0, 1], port).into(), tls.clone(), "localhost", "/")
        .unwrap_or_else(|e| run.fail(&format!("TLS through the frontend: {e}")));
    let sock = PathBuf::from(flag_value(&ins.haproxyctl, "--socket").expect("--socket"));
    let stat = socket::show_stat(&sock).expect("show stat");
    let backend = |name: &str| -> SocketAddr {
        let addr = stat.get("be_demo", name, "addr").unwrap_or_default();
        addr.parse()
            .unwrap_or_else(|_| run.fail(&format!("bad addr {addr:?} for {name}")))
    };
    let direct = |name: &str| {
        client::tls_get(backend(name), tls.clone(), "localhost", "/")
            .unwrap_or_else(|e| run.fail(&format!("TLS straight to {name}: {e}")))
            .peer_certificates
    };
    assert!(!through.peer_certificates.is_empty(), "no peer certificate");
    assert_eq!(
        through.peer_certificates,
        direct("backend2"),
        "the frontend presented a certificate other than backend2's"
    );
    assert_ne!(direct("backend1"), direct("backend2"));

    // 4. The stats page.
    let page: SocketAddr = ins
        .page
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap_or_else(|_| run.fail(&format!("bad page URL {:?}", ins.page)));
    let answer = http_get(page).unwrap_or_else(|e| run.fail(&format!("GET {}: {e}", ins.page)));
    if !answer.starts_with("HTTP/1.") || !answer.contains(" 200 ") || !answer.contains("be_demo") {
        let head: String = answer.chars().take(300).collect();
        run.fail(&format!("GET {} answered {head:?}", ins.page));
    }

    run.signal("TERM");
    let status = run.wait_exit();
    assert!(status.success(), "exit status after SIGTERM: {status}");
    assert_eq!(dev_dirs(tmp.path()), Vec::<PathBuf>::new(), "left behind");
}

#[test]
fn quiet_prints_only_the_four_commands() {
    let tmp = tmpdir();
    let mut run = DevRun::start(tmp.path(), &["-q"]);
    let ins = run.instructions(true);
    assert_pipeline(&run, &ins);
    let lines = run.stdout_lines();
    if lines.len() != 4 {
        run.fail(&format!("-q printed {} lines, expected 4", lines.len()));
    }
    run.signal("INT");
    assert!(run.wait_exit().success());
    assert_eq!(dev_dirs(tmp.path()), Vec::<PathBuf>::new(), "left behind");
}

#[test]
fn two_instances_run_side_by_side_and_clean_up_on_sigint_and_sigterm() {
    let tmp = tmpdir();
    let mut a = DevRun::start(tmp.path(), &[]);
    let mut b = DevRun::start(tmp.path(), &[]);
    let ia = a.instructions(false);
    let ib = b.instructions(false);
    assert_ne!(ia.pipeline, ib.pipeline, "both instances use one socket");
    assert_ne!(ia.curl, ib.curl, "both instances use one frontend");
    assert_ne!(ia.page, ib.page, "both instances use one stats page");
    assert_eq!(dev_dirs(tmp.path()).len(), 2);
    assert_pipeline(&a, &ia);
    assert_pipeline(&b, &ib);

    a.signal("INT");
    let sa = a.wait_exit();
    assert!(sa.success(), "exit status after SIGINT: {sa}");
    let left = dev_dirs(tmp.path());
    if left.len() != 1 {
        a.fail(&format!("after SIGINT to one instance: {left:?}"));
    }
    // The other instance is untouched.
    assert_pipeline(&b, &ib);

    b.signal("TERM");
    let sb = b.wait_exit();
    assert!(sb.success(), "exit status after SIGTERM: {sb}");
    assert_eq!(dev_dirs(tmp.path()), Vec::<PathBuf>::new(), "left behind");
}

#[test]
fn interrupt_during_start_up_still_removes_the_directory() {
    let tmp = tmpdir();
    let mut run = DevRun::start(tmp.path(), &[]);
    // As soon as the directory exists: before or while the first checks run.
    if !socket::wait_for(START_TIMEOUT, || !dev_dirs(tmp.path()).is_empty()) {
        run.fail("no proxyd-dev-* directory appeared");
    }
    run.signal("INT");
    let status = run.wait_exit();
    assert!(status.success(), "exit status after SIGINT: {status}");
    let left = dev_dirs(tmp.path());
    if !left.is_empty() {
        run.fail(&format!("left behind: {left:?}"));
    }
}
