//! Probes against real listeners on 127.0.0.1 (port 0), with certificates made by rcgen.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use runtime_api::status::CheckStatus;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio_rustls::TlsAcceptor;

use super::*;
use crate::config::{CheckSpec, CheckTls, Expect, ExpectMatch, HttpCheck, Verify};

const SHORT: Duration = Duration::from_millis(300);

/// A CA and one server certificate it signed, valid for `localhost` only (no IP SAN), so a
/// check to 127.0.0.1 succeeds only when the name is not checked.
struct Pki {
    ca_file: PathBuf,
    server: Arc<rustls::ServerConfig>,
}

fn pki() -> Pki {
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    // Distinct issuer names, or webpki would pick another test's CA as the issuer and report a
    // bad signature instead of an unknown authority.
    let named_ca = |name: String| {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params
    };
    let ca_key = KeyPair::generate().unwrap();
    let ca = named_ca(format!("proxyd test CA {n}"))
        .self_signed(&ca_key)
        .unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &ca, &ca_key)
        .unwrap();

    let ca_file =
        std::env::temp_dir().join(format!("proxyd-check-ca-{}-{n}.pem", std::process::id()));
    // A bundle of several certificates: an unrelated CA first, then the real one.
    let other_key = KeyPair::generate().unwrap();
    let other = named_ca(format!("proxyd unrelated CA {n}"))
        .self_signed(&other_key)
        .unwrap();
    std::fs::write(&ca_file, format!("{}{}", other.pem(), ca.pem())).unwrap();

    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let server = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![CertificateDer::from(leaf.der().to_vec())], key)
    .unwrap();
    Pki {
        ca_file,
        server: Arc::new(server),
    }
}

/// What a test backend does with each connection.
#[derive(Clone)]
enum Behaviour {
    /// Read the request head, write these bytes, close.
    Reply(&'static [u8]),
    /// Read the request head, then write nothing and keep the connection until the client goes.
    Mute,
    /// Never read or write; hold the connection until the client goes.
    Hold,
    /// Read the request head and close without a word.
    CloseAfterRequest,
}

/// Starts a backend; with `tls` it completes a TLS handshake first.
async fn backend(behaviour: Behaviour, tls: Option<Arc<rustls::ServerConfig>>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let behaviour = behaviour.clone();
            let tls = tls.clone();
            tokio::spawn(async move {
                match tls {
                    Some(config) => {
                        if let Ok(stream) = TlsAcceptor::from(config).accept(tcp).await {
                            serve(stream, behaviour).await;
                        }
                    }
                    None => serve(tcp, behaviour).await,
                }
            });
        }
    });
    addr
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, behaviour: Behaviour) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    if !matches!(behaviour, Behaviour::Hold) {
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    }
    match behaviour {
        Behaviour::Reply(bytes) => {
            let _ = stream.write_all(bytes).await;
            let _ = stream.shutdown().await;
        }
        Behaviour::Mute | Behaviour::Hold => {
            while matches!(stream.read(&mut chunk).await, Ok(n) if n > 0) {}
        }
        Behaviour::CloseAfterRequest => {
            let _ = stream.shutdown().await;
        }
    }
}

/// A port nobody listens on: bind, note the port, release it.
async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

fn spec(target: SocketAddr) -> CheckSpec {
    CheckSpec {
        target,
        port_set: None,
        addr_set: None,
        inter: Duration::from_secs(2),
        fastinter: Duration::from_secs(2),
        downinter: Duration::from_secs(2),
        rise: 2,
        fall: 3,
        tls: None,
        http: None,
        tcp: None,
        rules_tls: None,
        timeout_connect: Some(SHORT),
        timeout_check: Some(SHORT),
    }
}

fn httpchk(expect: Vec<Expect>) -> Arc<HttpCheck> {
    Arc::new(HttpCheck {
        method: "GET".into(),
        uri: "/health".into(),
        version: "HTTP/1.0".into(),
        headers: vec![],
        body: None,
        expect,
        disable_on_404: false,
    })
}

fn tls_spec(verify: Verify, sni: Option<&str>) -> CheckTls {
    CheckTls {
        verify,
        sni: sni.map(str::to_string),
        verify_host: None,
    }
}

async fn check(spec: &CheckSpec) -> CheckOutcome {
    let tls = spec.tls.as_ref().map(|t| tls_client_config(t).unwrap());
    run_check(spec, tls.as_ref()).await
}

const OK: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 11\r\n\r\nhello world";
const UNAVAILABLE: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n";

#[tokio::test]
async fn https_200_is_l7ok_with_code() {
    let pki = pki();
    let addr = backend(Behaviour::Reply(OK), Some(pki.server.clone())).await;
    let mut s = spec(addr);
    s.tls = Some(tls_spec(
        Verify::Required {
            ca_file: pki.ca_file.clone(),
        },
        None,
    ));
    s.http = Some(httpchk(vec![]));
    let out = check(&s).await;
    assert_eq!(
        (out.status, out.code, out.info.as_str()),
        (CheckStatus::L7Ok, Some(200), ""),
        "{out:?}"
    );
}

#[tokio::test]
async fn https_503_is_l7sts_with_reason_phrase() {
    let pki = pki();
    let addr = backend(Behaviour::Reply(UNAVAILABLE), Some(pki.server.clone())).await;
    let mut s = spec(addr);
    s.tls = Some(tls_spec(Verify::None, None));
    s.http = Some(httpchk(vec![]));
    let out = check(&s).await;
    assert_eq!(
        (out.status, out.code, out.info.as_str()),
        (CheckStatus::L7Sts, Some(503), "Service Unavailable"),
        "{out:?}"
    );
}

#[tokio::test]
async fn closed_port_is_l4con_connection_refused() {
    let mut s = spec(closed_port().await);
    s.http = Some(httpchk(vec![]));
    let out = check(&s).await;
    assert_eq!(
        (out.status, out.code, out.info.as_str()),
        (CheckStatus::L4Con, None, "Connection refused")
    );
}

#[tokio::test]
async fn plain_tcp_connect_is_l4ok() {
    let addr = backend(Behaviour::Hold, None).await;
    let out = check(&spec(addr)).await;
    assert_eq!((out.status, out.info.as_str()), (CheckStatus::L4Ok, ""));
}

#[tokio::test]
async fn full_accept_queue_is_l4tout_after_the_connect_timeout() {
    // Linux drops SYNs to a listener whose accept queue is full, which is the closest thing to
    // an unanswered SYN that loopback offers. Fill the queue of a never-accepting listener.
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut held = Vec::new();
    for _ in 0..16 {
        match tokio::time::timeout(Duration::from_millis(200), TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => held.push(stream),
            _ => break,
        }
    }
    let mut s = spec(addr);
    s.timeout_connect = Some(Duration::from_millis(150));
    let out = check(&s).await;
    assert_eq!(
        (out.status, out.info.as_str()),
        (CheckStatus::L4Tout, ""),
        "{out:?}"
    );
    assert!(out.duration >= Duration::from_millis(150), "{out:?}");
    drop(listener);
}

#[tokio::test]
async fn tls_only_check_is_l6ok() {
    let pki = pki();
    let addr = backend(Behaviour::Hold, Some(pki.server.clone())).await;
    let mut s = spec(addr);
    s.tls = Some(tls_spec(
        Verify::Required {
            ca_file: pki.ca_file.clone(),
        },
        Some("localhost"),
    ));
    let out = check(&s).await;
    assert_eq!(
        (out.status, out.code, out.info.as_str()),
        (CheckStatus::L6Ok, None, ""),
        "{out:?}"
    );
}

#[tokio::test]
async fn silent_peer_is_l6tout_bounded_by_the_connect_timeout() {
    let addr = backend(Behaviour::Hold, None).await;
    let mut s = spec(addr);
    s.tls = Some(tls_spec(Verify::None, None));
    s.http = Some(httpchk(vec![]));
    s.timeout_connect = Some(Duration::from_millis(150));
    s.timeout_check = Some(Duration::from_secs(5));
    let out = check(&s).await;
    assert_eq!(
        (out.status, out.info.as_str()),
        (CheckStatus::L6Tout, ""),
        "{out:?}"
    );
    assert!(
        out.duration >= Duration::from_millis(150) && out.duration < Duration::from_secs(2),
        "{out:?}"
    );
}

#[tokio::test]
async fn certificate_from_another_ca_is_l6rsp() {
    let (ours, theirs) = (pki(), pki());
    let addr = backend(Behaviour::Reply(OK), Some(theirs.server.clone())).await;
    let mut s = spec(addr);
    s.tls = Some(tls_spec(
        Verify::Required {
            ca_file: ours.ca_file.clone(),
        },
        None,
    ));
    s.http = Some(httpchk(vec![]));
    let out = check(&s).await;
    assert_eq!(
        (out.status, out.info.as_str()),
        (CheckStatus::L6Rsp, HANDSHAKE_FAILURE),
        "{out:?}"
    );
    assert_eq!(
        out.detail.as_deref(),
        Some("certificate signed by unknown authority")
    );

    // The same server passes once verification is off.
    s.tls = Some(tls_spec(Verify::None, None));
    let out = check(&s).await;
    assert_eq!(
        (out.status, out.code),
        (CheckStatus::L7Ok, Some(200)),
        "{out:?}"
    );
}

#[tokio::test]
async fn check_sni_must_match_the_certificate() {
    let pki = pki();
    let addr = backend(Behaviour::Hold, Some(pki.server.clone())).await;
    let mut s = spec(addr);
    s.tls = Some(tls_spec(
        Verify::Required {
            ca_file: pki.ca_file.clone(),
        },
        Some("wrong.example"),
    ));
    let out = check(&s).await;
    assert_eq!(
        (out.status, out.info.as_str()),
        (CheckStatus::L6Rsp, NAME_MISMATCH),
        "{out:?}"
    );
    assert!(out.detail.unwrap().contains("wrong.example"));
}

/// HAProxy 2.6.12, same certificate: `verifyhost` naming another host is L6RSP with the
/// "configured one" text; the right name (in any case) passes; `check-sni`, when set, is what is
/// verified instead.
#[tokio::test]
async fn verifyhost_must_match_the_certificate_when_no_sni_is_sent() {
    let pki = pki();
    let addr = backend(Behaviour::Hold, Some(pki.server.clone())).await;
    let mut s = spec(addr);
    let required = || Verify::Required {
        ca_file: pki.ca_file.clone(),
    };
    let with_host = |sni: Option<&str>, host: &str| CheckTls {
        verify_host: Some(host.to_string()),
        ..tls_spec(required(), sni)
    };
    s.tls = Some(with_host(None, "wrong.example"));
    let out = check(&s).await;
    assert_eq!(
        (out.status, out.info.as_str()),
        (CheckStatus::L6Rsp, HOST_MISMATCH),
        "{out:?}"
    );
    s.tls = Some(with_host(None, "LOCALHOST"));
    assert_eq!(check(&s).await.status, CheckStatus::L6Ok);
    s.tls = Some(with_host(Some("wrong.example"), "localhost"));
    let out = check(&s).await;
    assert_eq!(
        (out.status, out.info.as_str()),
        (CheckStatus::L6Rsp, NAME_MISMATCH),
        "{out:?}"
    );
}

#[tokio::test]
async fn peer_answering_plain_text_to_tls_is_l6rsp() {
    // A backend that talks first, in clear text.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let chatty = listener.local_addr().unwrap();
    tokio::spawn(async move {
        if let Ok((mut tcp, _)) = listener.accept().await {
            let _ = tcp.write_all(b"220 hello, this is not TLS\r\n").await;
            let mut sink = [0u8; 512];
            while matches!(tcp.read(&mut sink).await, Ok(n) if n > 0) {}
        }
    });
    let mut s = spec(chatty);
    s.tls = Some(tls_spec(Verify::None, None));
    let out = check(&s).await;
    assert_eq!(
        (out.status, out.info.as_str()),
        (CheckStatus::L6Rsp, HANDSHAKE_FAILURE),
        "{out:?}"
    );
}

#[tokio::test]
async fn plain_http_garbage_is_l7rsp_without_info() {
    let addr = backend(Behaviour::Reply(b"garbage\r\n\r\n"), None).await;
    let mut s = spec(addr);
    s.http = Some(httpchk(vec![]));
    let out = check(&s).await;
    assert_eq!(
        (out.status, out.code, out.info.as_str()),
        (CheckStatus::L7Rsp, None, ""),
        "{out:?}"
    );
}

#[tokio::test]
async fn close_without_reply_is_l7rsp() {
    let addr = backend(Behaviour::CloseAfterRequest, None).await;
    let mut s = spec(addr);
    s.http = Some(httpchk(vec![]));
    let out = check(&s).await;
    assert_eq!(
        (out.status, out.info.as_str()),
        (CheckStatus::L7Rsp, ""),
        "{out:?}"
    );
}

#[tokio::test]
async fn tls_without_http_answer_is_l7tout_after_timeout_check() {
    let pki = pki();
    let addr = backend(Behaviour::Mute, Some(pki.server.clone())).await;
    let mut s = spec(addr);
    s.tls = Some(tls_spec(Verify::None, None));
    s.http = Some(httpchk(vec![]));
    s.timeout_check = Some(Duration::from_millis(200));
    let out = check(&s).await;
    assert_eq!(
        (out.status, out.code, out.info.as_str()),
        (CheckStatus::L7Tout, None, ""),
        "{out:?}"
    );
    assert!(out.duration >= Duration::from_millis(200), "{out:?}");
}

#[tokio::test]
async fn without_timeout_check_inter_bounds_the_whole_check() {
    let addr = backend(Behaviour::Mute, None).await;
    let mut s = spec(addr);
    s.http = Some(httpchk(vec![]));
    s.timeout_check = None;
    s.timeout_connect = Some(Duration::from_secs(5));
    s.inter = Duration::from_millis(250);
    let out = check(&s).await;
    assert_eq!(out.status, CheckStatus::L7Tout, "{out:?}");
    assert!(
        out.duration >= Duration::from_millis(250) && out.duration < Duration::from_secs(2),
        "{out:?}"
    );
}

#[tokio::test]
async fn body_expectations_over_the_network() {
    let addr = backend(Behaviour::Reply(OK), None).await;
    let rule = |negate, matcher| Expect {
        negate,
        matcher,
        opts: Default::default(),
    };
    let cases = [
        (
            rule(false, ExpectMatch::String("world".into())),
            CheckStatus::L7Ok,
            "",
        ),
        (
            rule(false, ExpectMatch::String("nope".into())),
            CheckStatus::L7Rsp,
            NO_MATCH,
        ),
        (
            rule(true, ExpectMatch::String("hello".into())),
            CheckStatus::L7Rsp,
            UNWANTED_MATCH,
        ),
        (
            rule(
                false,
                ExpectMatch::Rstring(regex::Regex::new("^hel+o").unwrap()),
            ),
            CheckStatus::L7Ok,
            "",
        ),
        (
            rule(
                false,
                ExpectMatch::Rstatus(regex::Regex::new("^3").unwrap()),
            ),
            CheckStatus::L7Sts,
            "OK",
        ),
        (
            rule(true, ExpectMatch::Status(vec![(200, 200)])),
            CheckStatus::L7Sts,
            "OK",
        ),
    ];
    for (expect, status, info) in cases {
        let mut s = spec(addr);
        s.http = Some(httpchk(vec![expect.clone()]));
        let out = check(&s).await;
        assert_eq!(
            (out.status, out.info.as_str()),
            (status, info),
            "{expect:?} gave {out:?}"
        );
    }
}

#[tokio::test]
async fn not_found_with_disable_on_404_depends_on_the_server_state() {
    let addr = backend(Behaviour::Reply(b"HTTP/1.1 404 Not Found\r\n\r\n"), None).await;
    let mut s = spec(addr);
    let mut http = (*httpchk(vec![])).clone();
    http.disable_on_404 = true;
    s.http = Some(Arc::new(http));
    let running = run_check_in_state(&s, s.target, None, true).await;
    assert_eq!(
        (running.status, running.code, running.info.as_str()),
        (CheckStatus::L7OkC, Some(404), "")
    );
    let down = run_check_in_state(&s, s.target, None, false).await;
    assert_eq!(
        (down.status, down.code, down.info.as_str()),
        (CheckStatus::L7Sts, Some(404), "Not Found")
    );
}

#[tokio::test]
async fn the_request_goes_out_byte_for_byte() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let mut got = Vec::new();
        let mut chunk = [0u8; 256];
        while !got.ends_with(b"\r\n\r\n") {
            let n = tcp.read(&mut chunk).await.unwrap();
            assert!(n > 0, "closed early: {got:?}");
            got.extend_from_slice(&chunk[..n]);
        }
        tcp.write_all(OK).await.unwrap();
        got
    });
    let mut s = spec(addr);
    let mut http = (*httpchk(vec![])).clone();
    http.method = "HEAD".into();
    http.uri = "/ping".into();
    http.version = "HTTP/1.1".into();
    http.headers = vec![("host".into(), "example.com".into())];
    s.http = Some(Arc::new(http));
    let out = check(&s).await;
    assert_eq!(out.status, CheckStatus::L7Ok, "{out:?}");
    let got = server.await.unwrap();
    assert_eq!(
        got,
        b"HEAD /ping HTTP/1.1\r\nhost: example.com\r\nconnection: close\r\n\r\n"
    );
}
