//! `proxyd --dev`: the whole mission on one machine in one command. Two demo HTTPS backends
//! (certificates made at start; one answers `/v1/status` with 200, the other with 503), a TLS
//! passthrough frontend in front of them, a stats socket and the stats page, all on loopback
//! under a fresh temporary directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Everything `--dev` prepared: the configuration to load and what to tell the user.
pub struct DevSetup {
    pub dir: PathBuf,
    pub config_path: PathBuf,
    pub socket: PathBuf,
    pub frontend: SocketAddr,
    pub stats: SocketAddr,
    pub ca_file: PathBuf,
}

fn free_port() -> std::io::Result<SocketAddr> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    l.local_addr()
}

/// A small HTTPS server: `/v1/status` answers `status`, anything else a short page.
async fn demo_backend(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    status: u16,
    name: &'static str,
) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let Ok(Ok(mut tls)) =
                tokio::time::timeout(std::time::Duration::from_secs(10), acceptor.accept(tcp))
                    .await
            else {
                return;
            };
            let mut buf = Vec::with_capacity(1024);
            let mut chunk = [0u8; 1024];
            // Read the request head (bounded); the demo does not need bodies.
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
            let (code, reason, body) = if path == "/v1/status" {
                if status == 200 {
                    (
                        200,
                        "OK",
                        format!("{{\"status\":\"ok\",\"server\":\"{name}\"}}\n"),
                    )
                } else {
                    (
                        status,
                        "Service Unavailable",
                        format!("{{\"status\":\"unavailable\",\"server\":\"{name}\"}}\n"),
                    )
                }
            } else {
                (
                    200,
                    "OK",
                    format!("hello from {name} over TLS passthrough\n"),
                )
            };
            let resp = format!(
                "HTTP/1.1 {code} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = tls.write_all(resp.as_bytes()).await;
            let _ = tls.shutdown().await;
        });
    }
}

fn write(path: &Path, data: &str) -> Result<(), String> {
    std::fs::write(path, data).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Generate certificates, start the demo backends and write the configuration.
pub async fn prepare() -> Result<DevSetup, String> {
    let dir = std::env::temp_dir().join(format!("proxyd-dev-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;

    let ca_key = rcgen::KeyPair::generate().map_err(|e| e.to_string())?;
    let mut ca_params =
        rcgen::CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "proxyd dev CA");
    let ca = ca_params.self_signed(&ca_key).map_err(|e| e.to_string())?;

    let srv_key = rcgen::KeyPair::generate().map_err(|e| e.to_string())?;
    let mut srv_params =
        rcgen::CertificateParams::new(vec!["localhost".to_string()]).map_err(|e| e.to_string())?;
    srv_params.subject_alt_names.push(rcgen::SanType::IpAddress(
        "127.0.0.1".parse().map_err(|_| "bad ip")?,
    ));
    let srv_cert = srv_params
        .signed_by(&srv_key, &ca, &ca_key)
        .map_err(|e| e.to_string())?;

    let ca_file = dir.join("ca.pem");
    write(&ca_file, &ca.pem())?;

    let certs = vec![CertificateDer::from(srv_cert.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(srv_key.serialize_der()));
    let tls = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| e.to_string())?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));

    let b1 = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let b2 = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let p1 = b1.local_addr().map_err(|e| e.to_string())?;
    let p2 = b2.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(demo_backend(b1, acceptor.clone(), 503, "backend1"));
    tokio::spawn(demo_backend(b2, acceptor, 200, "backend2"));

    let frontend = free_port().map_err(|e| e.to_string())?;
    let stats = free_port().map_err(|e| e.to_string())?;
    let socket = dir.join("stats");
    let config = format!(
        "# Generated by proxyd --dev: TLS passthrough with HTTPS health checks.
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
    server backend1 {p1} check check-ssl verify required ca-file {ca} check-sni localhost inter 1s maxconn 5
    server backend2 {p2} check check-ssl verify required ca-file {ca} check-sni localhost inter 1s maxconn 5

listen stats
    bind {stats}
    mode http
    stats enable
    stats uri /
    stats refresh 5s
",
        sock = socket.display(),
        ca = ca_file.display(),
    );
    let config_path = dir.join("proxyd.cfg");
    write(&config_path, &config)?;
    Ok(DevSetup {
        dir,
        config_path,
        socket,
        frontend,
        stats,
        ca_file,
    })
}

impl DevSetup {
    /// What to try next, printed once proxyd is serving.
    pub fn instructions(&self) -> String {
        let sock = self.socket.display();
        format!(
            "proxyd --dev is running (configuration: {cfg})

  Two HTTPS backends sit behind a TLS passthrough frontend; backend1 answers
  /v1/status with 503, backend2 with 200. Within a few seconds:

  The stats socket, as in the blog post:
    echo 'show stat' | nc -U {sock} | awk -F, '/backend[1-2]/ {{print $2,$18,$37}}'

  The same with haproxyctl:
    cargo run -p haproxyctl -- --socket {sock} status

  TLS straight through to a healthy backend (the certificate is the backend's):
    curl --cacert {ca} --resolve localhost:{fport}:127.0.0.1 https://localhost:{fport}/

  The stats page:
    http://{stats}/

  Stop with Ctrl-C.
",
            cfg = self.config_path.display(),
            ca = self.ca_file.display(),
            fport = self.frontend.port(),
            stats = self.stats,
        )
    }
}
