//! A throw-away PKI written to a temporary directory.
//!
//! [`Pki::new`] makes a CA, a server certificate for `localhost` / `127.0.0.1` / `::1` signed by
//! it, and a second, unrelated CA with its own server certificate (what a misconfigured or hostile
//! backend would present). PEM files are written for daemons (`ca-file`, `crt`), and rustls
//! configs are built for the test's own servers and clients.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A certificate authority that can issue server certificates.
pub struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl Ca {
    /// A self-signed CA whose subject carries `common_name`.
    pub fn new(common_name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.distinguished_name = dn(common_name);
        let key = KeyPair::generate().expect("CA key");
        let cert = params.self_signed(&key).expect("self-sign CA");
        Ca { cert, key }
    }

    /// A server certificate for `names` (DNS names or IP literals) signed by this CA.
    pub fn issue(&self, common_name: &str, names: &[&str]) -> Leaf {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).expect("leaf params");
        params.distinguished_name = dn(common_name);
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().expect("leaf key");
        let cert = params
            .signed_by(&key, &self.cert, &self.key)
            .expect("sign leaf");
        Leaf {
            cert_der: cert.der().clone(),
            cert_pem: cert.pem(),
            key_der: key.serialize_der(),
            key_pem: key.serialize_pem(),
        }
    }

    pub fn cert_pem(&self) -> String {
        self.cert.pem()
    }

    pub fn cert_der(&self) -> CertificateDer<'static> {
        self.cert.der().clone()
    }

    /// Client config that trusts this CA only.
    pub fn client_config(&self) -> Arc<ClientConfig> {
        let mut roots = RootCertStore::empty();
        roots.add(self.cert_der()).expect("add CA to root store");
        Arc::new(
            ClientConfig::builder_with_provider(provider())
                .with_safe_default_protocol_versions()
                .expect("protocol versions")
                .with_root_certificates(roots)
                .with_no_client_auth(),
        )
    }
}

/// An issued certificate and its private key.
#[derive(Clone)]
pub struct Leaf {
    pub cert_der: CertificateDer<'static>,
    pub cert_pem: String,
    pub key_der: Vec<u8>,
    pub key_pem: String,
}

impl Leaf {
    /// rustls server config presenting this certificate.
    pub fn server_config(&self) -> Arc<ServerConfig> {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()));
        Arc::new(
            ServerConfig::builder_with_provider(provider())
                .with_safe_default_protocol_versions()
                .expect("protocol versions")
                .with_no_client_auth()
                .with_single_cert(vec![self.cert_der.clone()], key)
                .expect("server cert and key"),
        )
    }
}

/// The CA, its server certificate, an unrelated CA and its server certificate, all as PEM files.
pub struct Pki {
    dir: tempfile::TempDir,
    pub ca: Ca,
    pub server: Leaf,
    pub other_ca: Ca,
    /// A certificate for the same names, issued by `other_ca`: fails `verify required ca-file <ca>`.
    pub untrusted_server: Leaf,
}

impl Pki {
    pub fn new() -> Pki {
        let ca = Ca::new("e2e test CA");
        let other_ca = Ca::new("e2e unrelated CA");
        let names = ["localhost", "127.0.0.1", "::1"];
        let server = ca.issue("localhost", &names);
        let untrusted_server = other_ca.issue("localhost", &names);
        let dir = tempfile::Builder::new()
            .prefix("e2e-pki-")
            .tempdir()
            .expect("tempdir");
        let pki = Pki {
            dir,
            ca,
            server,
            other_ca,
            untrusted_server,
        };
        pki.write("ca.pem", &pki.ca.cert_pem());
        pki.write("other-ca.pem", &pki.other_ca.cert_pem());
        pki.write("server.crt", &pki.server.cert_pem);
        pki.write("server.key", &pki.server.key_pem);
        pki.write(
            "server.pem",
            &format!("{}{}", pki.server.cert_pem, pki.server.key_pem),
        );
        pki
    }

    fn write(&self, name: &str, contents: &str) {
        fs::write(self.dir.path().join(name), contents).expect("write PEM file");
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// PEM file of the CA (for `ca-file`).
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// PEM file of the unrelated CA.
    pub fn other_ca_file(&self) -> PathBuf {
        self.dir.path().join("other-ca.pem")
    }

    /// Server certificate and key in one PEM file (HAProxy's `crt` format).
    pub fn server_pem_file(&self) -> PathBuf {
        self.dir.path().join("server.pem")
    }

    pub fn server_cert_file(&self) -> PathBuf {
        self.dir.path().join("server.crt")
    }

    pub fn server_key_file(&self) -> PathBuf {
        self.dir.path().join("server.key")
    }

    /// Client config trusting the test CA.
    pub fn client_config(&self) -> Arc<ClientConfig> {
        self.ca.client_config()
    }
}

impl Default for Pki {
    fn default() -> Self {
        Pki::new()
    }
}

fn dn(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn
}

/// Always ring, chosen explicitly so no process-wide default provider needs installing.
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}
