//! `proxyd --dev`: the whole mission on one machine in one command. Two demo HTTPS backends
//! (certificates made at start; one answers `/v1/status` with 200, the other with 503), a TLS
//! passthrough frontend in front of them, a stats socket and the stats page, all on loopback
//! under a fresh temporary directory that is removed when the [`DevSetup`] is dropped.
//!
//! Nothing here is specific to a demo inside the daemon: the configuration is ordinary HAProxy
//! text written to `proxyd.cfg`, loaded and served by the same code as `proxyd -f`.

use std::hash::{BuildHasher, Hasher};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::Shared;

/// Bound on reading a request head from a demo client, so a stalled client costs one task only.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The check interval of the demo servers: short, so the first results show within seconds.
const CHECK_INTER: &str = "1s";

/// Everything `--dev` prepared: the configuration to load and what to tell the user.
pub struct DevSetup {
    pub dir: PathBuf,
    pub config_path: PathBuf,
    pub socket: PathBuf,
    pub frontend: SocketAddr,
    pub stats: SocketAddr,
    pub ca_file: PathBuf,
    /// backend1 (503) and backend2 (200).
    pub backends: [SocketAddr; 2],
}

impl Drop for DevSetup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A random 64-bit value without a random-number crate: std seeds `RandomState` from the OS.
fn random_u64() -> u64 {
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}

/// A new private directory `proxyd-dev-XXXXXXXX` under `$TMPDIR`. `mkdir` fails on an existing
/// name (symlinks included), so another local user cannot slip files or links into it.
fn make_private_dir() -> Result<PathBuf, String> {
    use std::os::unix::fs::DirBuilderExt;
    let base = std::env::temp_dir();
    let mut last_error = String::new();
    for _ in 0..16 {
        let dir = base.join(format!("proxyd-dev-{:08x}", random_u64() as u32));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                last_error = e.to_string();
            }
            Err(e) => return Err(format!("cannot create {}: {e}", dir.display())),
        }
    }
    Err(format!(
        "cannot create a directory in {}: {last_error}",
        base.display()
    ))
}

fn free_port() -> Result<SocketAddr, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| format!("cannot bind a loopback port: {e}"))?;
    l.local_addr().map_err(|e| e.to_string())
}

/// A small HTTPS server: `/v1/status` answers `status`, anything else a short page naming it.
async fn demo_backend(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    status: u16,
    name: &'static str,
) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            // Out of descriptors or similar: back off instead of spinning.
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let _ =
                tokio::time::timeout(REQUEST_TIMEOUT, serve_one(tcp, acceptor, status, name)).await;
        });
    }
}

async fn serve_one(
    tcp: tokio::net::TcpStream,
    acceptor: tokio_rustls::TlsAcceptor,
    status: u16,
    name: &str,
) {
    let Ok(mut tls) = acceptor.accept(tcp).await else {
        return;
    };
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    // The request head only (bounded); the demo has no use for bodies.
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
        match tls.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut req = httparse::Request::new(&mut headers);
    let path = match req.parse(&buf) {
        Ok(_) => req.path.unwrap_or("/").to_string(),
        Err(_) => return,
    };
    let (code, reason, ctype, body) = if path == "/v1/status" {
        let (reason, word) = if status == 200 {
            ("OK", "ok")
        } else {
            ("Service Unavailable", "unavailable")
        };
        (
            status,
            reason,
            "application/json",
            format!("{{\"status\":\"{word}\",\"server\":\"{name}\"}}\n"),
        )
    } else {
        (
            200,
            "OK",
            "text/plain",
            format!("hello from {name} over TLS passthrough\n"),
        )
    };
    let resp = format!(
        "HTTP/1.1 {code} {reason}\r\ncontent-type: {ctype}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tls.write_all(resp.as_bytes()).await;
    let _ = tls.shutdown().await;
}

fn write(path: &Path, data: &str) -> Result<(), String> {
    std::fs::write(path, data).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// A TLS acceptor for one demo backend. Each backend has its own certificate (its name in the
/// subject), so a client going through the proxy can tell which backend it reached.
fn backend_acceptor(
    name: &str,
    ca: &rcgen::Certificate,
    ca_key: &rcgen::KeyPair,
) -> Result<tokio_rustls::TlsAcceptor, String> {
    let key = rcgen::KeyPair::generate().map_err(|e| format!("key for {name}: {e}"))?;
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .map_err(|e| format!("certificate for {name}: {e}"))?;
    params.subject_alt_names.push(rcgen::SanType::IpAddress(
        std::net::Ipv4Addr::LOCALHOST.into(),
    ));
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, format!("proxyd dev {name}"));
    let cert = params
        .signed_by(&key, ca, ca_key)
        .map_err(|e| format!("certificate for {name}: {e}"))?;
    let certs = vec![CertificateDer::from(cert.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let tls = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| format!("TLS configuration for {name}: {e}"))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(tls)))
}

/// Generate certificates, start the demo backends and write the configuration. Must run inside
/// a tokio runtime (the backends are tasks of it).
pub async fn prepare() -> Result<DevSetup, String> {
    let dir = make_private_dir()?;
    // From here on the directory belongs to a DevSetup, whose drop removes it on any error.
    let mut setup = DevSetup {
        config_path: dir.join("proxyd.cfg"),
        socket: dir.join("stats"),
        ca_file: dir.join("ca.pem"),
        dir,
        frontend: SocketAddr::from(([127, 0, 0, 1], 0)),
        stats: SocketAddr::from(([127, 0, 0, 1], 0)),
        backends: [SocketAddr::from(([127, 0, 0, 1], 0)); 2],
    };

    let ca_key = rcgen::KeyPair::generate().map_err(|e| format!("CA key: {e}"))?;
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new())
        .map_err(|e| format!("CA certificate: {e}"))?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "proxyd dev CA");
    let ca = ca_params
        .self_signed(&ca_key)
        .map_err(|e| format!("CA certificate: {e}"))?;
    write(&setup.ca_file, &ca.pem())?;

    for (i, (name, status)) in [("backend1", 503), ("backend2", 200)]
        .into_iter()
        .enumerate()
    {
        let acceptor = backend_acceptor(name, &ca, &ca_key)?;
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("cannot bind a loopback port for {name}: {e}"))?;
        setup.backends[i] = listener.local_addr().map_err(|e| e.to_string())?;
        tokio::spawn(demo_backend(listener, acceptor, status, name));
    }
    setup.write_config()?;
    Ok(setup)
}

impl DevSetup {
    /// Pick fresh ports for the frontend and the stats page and (re)write the configuration.
    /// The ports are free when picked but not held, so start-up retries with new ones if another
    /// program takes one in between.
    pub fn write_config(&mut self) -> Result<(), String> {
        self.frontend = free_port()?;
        self.stats = free_port()?;
        let config = format!(
            "# Written by proxyd --dev: TLS passthrough with HTTPS health checks, as in
# \"HAProxy: TLS passthrough with HTTPS checks\". Edit it and send SIGHUP to reload.
global
    stats socket {sock} mode 600 level admin
    stats timeout 30s

defaults
    mode tcp
    timeout connect 2s
    timeout client 1m
    timeout server 1m

frontend fe_demo
    bind {frontend}
    default_backend be_demo

backend be_demo
    balance roundrobin
    option httpchk GET /v1/status
    http-check expect status 200
    server backend1 {b1} check check-ssl verify required ca-file {ca} check-sni localhost inter {CHECK_INTER} maxconn 5
    server backend2 {b2} check check-ssl verify required ca-file {ca} check-sni localhost inter {CHECK_INTER} maxconn 5

listen stats
    bind {stats}
    mode http
    stats enable
    stats uri /
    stats refresh 5s
",
            sock = self.socket.display(),
            ca = self.ca_file.display(),
            frontend = self.frontend,
            stats = self.stats,
            b1 = self.backends[0],
            b2 = self.backends[1],
        );
        write(&self.config_path, &config)
    }

    /// What to try next. `haproxyctl` is the command line that runs haproxyctl (see
    /// [`haproxyctl_command`]). Quiet: the four commands only, one per line, for scripts.
    pub fn instructions(&self, haproxyctl: &str, checks_done: bool, quiet: bool) -> String {
        let sock = sh_quote(&self.socket.to_string_lossy());
        let pipeline = format!(
            "echo 'show stat' | nc -U {sock} | awk -F, '/backend[1-2]/ {{print $2,$18,$37}}'"
        );
        let ctl = format!("{haproxyctl} --socket {sock} status");
        let fport = self.frontend.port();
        let curl = format!(
            "curl --cacert {ca} --resolve localhost:{fport}:127.0.0.1 https://localhost:{fport}/",
            ca = sh_quote(&self.ca_file.to_string_lossy()),
        );
        let page = format!("http://{}/", self.stats);
        if quiet {
            return format!("{pipeline}\n{ctl}\n{curl}\n{page}\n");
        }
        let when = if checks_done {
            "The first health checks have run"
        } else {
            "The first health checks are still running (give them a few seconds)"
        };
        format!(
            "proxyd --dev is running (configuration: {cfg})

  Two HTTPS backends sit behind a TLS passthrough frontend; backend1 answers
  /v1/status with 503, backend2 with 200. {when}.

  The stats socket, as in the blog post (expect backend1 DOWN L7STS, backend2 UP L7OK):
    {pipeline}

  The same with haproxyctl:
    {ctl}

  TLS straight through to the healthy backend (the certificate is backend2's own):
    {curl}

  The stats page:
    {page}

  Stop with Ctrl-C; the directory {dir} goes with it.
",
            cfg = self.config_path.display(),
            dir = self.dir.display(),
        )
    }
}

/// Wait until every checked server has a finished check, or `timeout`. Returns whether they all
/// have: the instructions then promise a socket that already shows UP and DOWN.
pub async fn wait_for_first_checks(shared: &Shared, timeout: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let model = shared.model();
        let pending = model.backends().any(|b| {
            b.servers().iter().any(|s| {
                s.check.is_some()
                    && s.state
                        .lock()
                        .map(|st| st.check_enabled && st.last_check.is_none())
                        .unwrap_or(false)
            })
        });
        if !pending {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// How the user runs haproxyctl from here: the binary next to this one when it was built or
/// installed together (`cargo build`, `cargo install`), else `haproxyctl` from `$PATH`, else
/// through cargo from the source tree (the README's path: only proxyd is built at that point).
pub fn haproxyctl_command() -> String {
    let sibling = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join("haproxyctl")));
    if let Some(path) = sibling.filter(|p| p.is_file()) {
        return sh_quote(&path.to_string_lossy());
    }
    let on_path = std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join("haproxyctl").is_file()));
    if on_path {
        "haproxyctl".to_string()
    } else {
        "cargo run --release -q -p haproxyctl --".to_string()
    }
}

/// `s` as one `sh` word: unchanged when it holds only characters the shell leaves alone.
pub fn sh_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:@%=,".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sh_quote_leaves_plain_paths_and_quotes_the_rest() {
        assert_eq!(
            sh_quote("/tmp/proxyd-dev-1a/stats"),
            "/tmp/proxyd-dev-1a/stats"
        );
        assert_eq!(sh_quote("/tmp/a b/stats"), "'/tmp/a b/stats'");
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
        assert_eq!(sh_quote(""), "''");
    }

    #[test]
    fn private_dirs_are_fresh_and_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let a = make_private_dir().expect("first dir");
        let b = make_private_dir().expect("second dir");
        assert_ne!(a, b);
        let mode = std::fs::metadata(&a)
            .expect("metadata")
            .permissions()
            .mode();
        let _ = std::fs::remove_dir(&a);
        let _ = std::fs::remove_dir(&b);
        assert_eq!(mode & 0o777, 0o700, "{}", a.display());
    }
}
