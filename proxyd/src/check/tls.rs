//! Layer 6: the TLS client configuration for `check-ssl` and the handshake's failure wording.
//!
//! HAProxy 2.6 checks a server certificate's name only when there is a name to check against:
//! with `check-sni` the certificate must match that name; without it (and without `verifyhost`)
//! only the chain is validated and no SNI is sent. `verify none` still lets the TLS library check
//! the handshake signatures, so a peer cannot complete the handshake without the certificate's key.

use std::fs;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_name, WebPkiServerVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::server::ParsedCertificate;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, HandshakeKind, RootCertStore,
    SignatureScheme,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{timeout_at, Instant};
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use crate::config::{CheckTls, Verify};
use crate::model::counters::Handshakes;

/// `last_chk` for every handshake failure except a name mismatch (HAProxy's `CO_ER_SSL_HANDSHAKE`).
pub const HANDSHAKE_FAILURE: &str = "SSL handshake failure";
/// `last_chk` when the certificate does not match `check-sni` (HAProxy's `CO_ER_SSL_MISMATCH_SNI`).
pub const NAME_MISMATCH: &str =
    "Server presented an SSL certificate different from the expected one";
/// `last_chk` when it does not match `verifyhost` (HAProxy's `CO_ER_SSL_MISMATCH`).
pub const HOST_MISMATCH: &str =
    "Server presented an SSL certificate different from the configured one";

/// The certificate is not valid for `verifyhost`'s name (carried through rustls's error).
#[derive(Debug)]
struct VerifyHostMismatch(String);

impl std::fmt::Display for VerifyHostMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "certificate name mismatch: not valid for '{}' (verifyhost)",
            self.0
        )
    }
}

impl std::error::Error for VerifyHostMismatch {}

/// Builds the client configuration for one server's TLS checks; done once at start because the
/// CA bundle is read from disk.
pub fn tls_client_config(tls: &CheckTls) -> Result<Arc<ClientConfig>, String> {
    let mut provider = rustls::crypto::ring::default_provider();
    // A check is thousands of short handshakes: offer AES-128/SHA-256 first, whose key schedule
    // runs on the CPU's SHA extensions, where SHA-384 is computed in software.
    provider
        .cipher_suites
        .sort_by_key(|s| s.suite() != rustls::CipherSuite::TLS13_AES_128_GCM_SHA256);
    let provider = Arc::new(provider);
    let verifier: Arc<dyn ServerCertVerifier> = match &tls.verify {
        Verify::None => Arc::new(AcceptAnyCertificate {
            algorithms: provider.signature_verification_algorithms,
        }),
        Verify::Required { ca_file } => {
            let roots = load_roots(ca_file)?;
            let webpki =
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|e| format!("ca-file '{}': {e}", ca_file.display()))?;
            // HAProxy checks the name sent as SNI, else `verifyhost`'s, else none.
            let host = match (&tls.sni, &tls.verify_host) {
                (Some(_), _) => return finish(provider, webpki),
                (None, Some(h)) => Some(
                    ServerName::try_from(h.to_ascii_lowercase())
                        .map_err(|e| format!("verifyhost '{h}': {e}"))?,
                ),
                (None, None) => None,
            };
            Arc::new(ChainOnly {
                inner: webpki,
                trusted: load_certs(ca_file)?,
                host,
            })
        }
    };
    finish(provider, verifier)
}

fn finish(
    provider: Arc<rustls::crypto::CryptoProvider>,
    verifier: Arc<dyn ServerCertVerifier>,
) -> Result<Arc<ClientConfig>, String> {
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS protocol versions: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Every certificate of a PEM bundle, as found.
fn load_certs(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = fs::read(path).map_err(|e| format!("ca-file '{}': {e}", path.display()))?;
    CertificateDer::pem_slice_iter(&pem)
        .map(|c| c.map_err(|e| format!("ca-file '{}': {e}", path.display())))
        .collect()
}

/// Reads every certificate of a PEM bundle into a root store.
fn load_roots(path: &std::path::Path) -> Result<RootCertStore, String> {
    let pem = fs::read(path).map_err(|e| format!("ca-file '{}': {e}", path.display()))?;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| format!("ca-file '{}': {e}", path.display()))?;
        roots
            .add(cert)
            .map_err(|e| format!("ca-file '{}': unusable certificate: {e}", path.display()))?;
    }
    if roots.is_empty() {
        return Err(format!(
            "ca-file '{}': no PEM certificate found",
            path.display()
        ));
    }
    Ok(roots)
}

/// The name the handshake is made for: the `check-sni` value (sent as SNI), else the target's IP
/// address, for which rustls sends no SNI — as HAProxy does when `check-sni` is absent.
pub(crate) fn server_name(
    sni: Option<&str>,
    target: SocketAddr,
) -> Result<ServerName<'static>, String> {
    match sni {
        Some(name) => {
            ServerName::try_from(name.to_string()).map_err(|e| format!("check-sni '{name}': {e}"))
        }
        None => Ok(ServerName::IpAddress(target.ip().into())),
    }
}

/// How a TLS handshake failed.
#[derive(Debug)]
pub(crate) enum HandshakeError {
    /// `L6TOUT`: the deadline passed first.
    Timeout,
    /// `L6RSP`: `info` is HAProxy's `last_chk`, `detail` says why in plain words.
    Failed { info: &'static str, detail: String },
}

/// Makes the handshake and records in `counted` how it ended, as HAProxy's SSL module counts
/// it: a resumed session, a full one, or a failure (a timeout is none of them).
pub(crate) async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(
    tcp: S,
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
    deadline: Instant,
    counted: &mut Handshakes,
) -> Result<TlsStream<S>, HandshakeError> {
    let expected = name.to_str().into_owned();
    match timeout_at(deadline, TlsConnector::from(config).connect(name, tcp)).await {
        Err(_) => Err(HandshakeError::Timeout),
        Ok(Ok(stream)) => {
            if stream.get_ref().1.handshake_kind() == Some(HandshakeKind::Resumed) {
                counted.resumed += 1;
            } else {
                counted.full += 1;
            }
            Ok(stream)
        }
        Ok(Err(e)) => {
            counted.failed += 1;
            Err(classify(&e, &expected))
        }
    }
}

/// Maps a handshake error to HAProxy's `last_chk` and a reason an operator can act on.
fn classify(e: &io::Error, expected: &str) -> HandshakeError {
    let tls = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    let (info, detail) = match tls {
        Some(rustls::Error::InvalidCertificate(cert)) => match cert {
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                (
                    NAME_MISMATCH,
                    format!("certificate name mismatch: not valid for '{expected}'"),
                )
            }
            CertificateError::UnknownIssuer => (
                HANDSHAKE_FAILURE,
                "certificate signed by unknown authority".to_string(),
            ),
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                (HANDSHAKE_FAILURE, "certificate has expired".to_string())
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => (
                HANDSHAKE_FAILURE,
                "certificate is not valid yet".to_string(),
            ),
            CertificateError::BadSignature => (
                HANDSHAKE_FAILURE,
                "certificate signature does not verify against the CA of the same name".to_string(),
            ),
            CertificateError::Other(other) if other.0.is::<VerifyHostMismatch>() => {
                (HOST_MISMATCH, other.0.to_string())
            }
            other => (HANDSHAKE_FAILURE, format!("invalid certificate: {other}")),
        },
        Some(rustls::Error::InvalidMessage(_)) => (
            HANDSHAKE_FAILURE,
            "the server did not answer with TLS".to_string(),
        ),
        Some(rustls::Error::AlertReceived(alert)) => (
            HANDSHAKE_FAILURE,
            format!("the server sent TLS alert {alert:?}"),
        ),
        Some(other) => (HANDSHAKE_FAILURE, other.to_string()),
        None if e.kind() == io::ErrorKind::UnexpectedEof => (
            HANDSHAKE_FAILURE,
            "connection closed during TLS handshake".to_string(),
        ),
        None => (
            HANDSHAKE_FAILURE,
            format!("{} during TLS handshake", super::tcp::strerror(e)),
        ),
    };
    HandshakeError::Failed { info, detail }
}

/// `verify none`: any certificate is accepted, the handshake signatures are still checked.
#[derive(Debug)]
struct AcceptAnyCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// `verify required` without `check-sni`: the chain must lead to the CA bundle; the name is
/// looked at only with `verifyhost` (`host`), once the chain is accepted, as HAProxy's verify
/// callback does. webpki checks the name last, so a name error means the chain was accepted.
///
/// A server certificate that is itself in the CA bundle is trusted as OpenSSL trusts it, even when
/// self-signed with `CA:TRUE` (what `openssl req -x509` makes, and what a per-server `ca-file`
/// such as the blog's `servicebox1.example.com.pem` usually holds); webpki alone refuses a CA
/// certificate as an end entity.
#[derive(Debug)]
struct ChainOnly {
    inner: Arc<WebPkiServerVerifier>,
    trusted: Vec<CertificateDer<'static>>,
    host: Option<ServerName<'static>>,
}

impl ChainOnly {
    fn check_host(
        &self,
        end_entity: &CertificateDer<'_>,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(host) = &self.host else {
            return Ok(ServerCertVerified::assertion());
        };
        let parsed = ParsedCertificate::try_from(end_entity)?;
        verify_server_name(&parsed, host).map_err(|_| {
            rustls::Error::InvalidCertificate(CertificateError::Other(rustls::OtherError(
                Arc::new(VerifyHostMismatch(host.to_str().into_owned())),
            )))
        })?;
        Ok(ServerCertVerified::assertion())
    }
}

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self
            .trusted
            .iter()
            .any(|c| c.as_ref() == end_entity.as_ref())
        {
            return self.check_host(end_entity);
        }
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => self.check_host(end_entity),
            Ok(_) => self.check_host(end_entity),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}
