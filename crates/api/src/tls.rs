//! Which HTTPS servers a client of a world believes. A class world on the LAN is served under a
//! local certificate authority that no operating system knows, so a client trusts, in order: what
//! the operating system trusts (a trainer's real certificate, or the class authority once the
//! person installed it), authorities given as files (`--ca-cert`), and the authority pinned by
//! its SHA-256 fingerprint (the welcome page's QR code, `--ca-fingerprint`), under which the
//! server's certificate must still verify in full (host name, validity, the authority's name
//! constraints). rustls runs on the ring provider only (see the workspace's Cargo.toml).

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// What a person reads when a world's certificate is refused: the two ways to trust a class world.
pub const UNTRUSTED_FR: &str = "Certificat du monde non reconnu : scannez le QR code de la page d'accueil ou indiquez l'autorité du formateur (--ca-cert).";

/// The SHA-256 of a certificate (DER), as a trainer projects it and a QR code carries it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CaFingerprint([u8; 32]);

impl CaFingerprint {
    /// The fingerprint of `certificate` (its DER bytes), as browsers compute it.
    pub fn of(certificate: &[u8]) -> Self {
        Self(Sha256::digest(certificate).into())
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// `AB:CD:…` as browsers show it, or the same 64 hexadecimal digits without separators
    /// (colons, spaces and case do not matter: people copy it from a projected page).
    pub fn parse(text: &str) -> Result<Self, TrustError> {
        let digits: String = text.chars().filter(|c| !matches!(c, ':' | ' ' | '-')).collect();
        let bytes = hex::decode(&digits).map_err(|_| TrustError::Fingerprint(text.trim().to_owned()))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| TrustError::Fingerprint(text.trim().to_owned()))?;
        Ok(Self(bytes))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// `AB:CD:EF:…`, the form browsers and operating systems show.
impl std::fmt::Display for CaFingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (index, byte) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str(":")?;
            }
            write!(f, "{byte:02X}")?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for CaFingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CaFingerprint({self})")
    }
}

/// A trust that cannot be built from what was given.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("cannot read the authority file {path}: {source}")]
    Unreadable { path: PathBuf, source: std::io::Error },
    #[error("{path} holds no usable PEM certificate")]
    NoCertificate { path: PathBuf },
    #[error("not a SHA-256 fingerprint: {0:?}")]
    Fingerprint(String),
}

impl TrustError {
    /// The stable code to decide on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unreadable { .. } => "ca_cert_unreadable",
            Self::NoCertificate { .. } => "ca_cert_invalid",
            Self::Fingerprint(_) => "ca_fingerprint_invalid",
        }
    }

    /// What the person reads.
    pub fn message_fr(&self) -> String {
        match self {
            Self::Unreadable { path, .. } => format!(
                "Le fichier de l'autorité {} ne peut pas être lu : vérifiez le chemin (sur le serveur : DONNÉES/tls/ca.pem).",
                path.display()
            ),
            Self::NoCertificate { path } => format!(
                "Le fichier {} ne contient pas de certificat d'autorité au format PEM (« -----BEGIN CERTIFICATE----- »).",
                path.display()
            ),
            Self::Fingerprint(text) => format!(
                "« {text} » n'est pas une empreinte SHA-256 : recopiez les 32 paires de caractères affichées sur la page d'accueil (AB:CD:…)."
            ),
        }
    }
}

/// The ring provider, the only one linked (aws-lc-rs needs cmake and a long C build).
pub fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Whom a client believes (see the module's documentation). Cloning shares the verifier, which
/// reads the operating system's authorities once, at the first handshake.
#[derive(Clone)]
pub struct Trust {
    pinned_ca: Option<CaFingerprint>,
    extra_roots: Vec<CertificateDer<'static>>,
    platform: bool,
    verifier: Arc<OnceLock<Arc<ClassVerifier>>>,
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trust")
            .field("pinned_ca", &self.pinned_ca)
            .field(
                "extra_roots",
                &self
                    .extra_roots
                    .iter()
                    .map(|root| CaFingerprint::of(root))
                    .collect::<Vec<_>>(),
            )
            .field("platform", &self.platform)
            .finish()
    }
}

impl Trust {
    /// What the operating system trusts, nothing more: a typed address, a trainer's real
    /// certificate.
    pub fn platform() -> Self {
        Self {
            pinned_ca: None,
            extra_roots: Vec::new(),
            platform: true,
            verifier: Arc::default(),
        }
    }

    /// The operating system's authorities and those of a PEM file (`--ca-cert`; on the server,
    /// `DATA/tls/ca.pem`).
    pub fn from_ca_file(path: &Path) -> Result<Self, TrustError> {
        Self::platform().with_ca_file(path)
    }

    /// The operating system's authorities and the one whose fingerprint is `text` (`AB:CD:…` or
    /// 64 hexadecimal digits).
    pub fn from_fingerprint(text: &str) -> Result<Self, TrustError> {
        Ok(Self::platform().with_pinned_ca(CaFingerprint::parse(text)?))
    }

    /// Adds the authorities of a PEM file.
    pub fn with_ca_file(self, path: &Path) -> Result<Self, TrustError> {
        let pem = std::fs::read(path).map_err(|source| TrustError::Unreadable {
            path: path.to_owned(),
            source,
        })?;
        self.with_ca_pem(&pem).map_err(|_| TrustError::NoCertificate {
            path: path.to_owned(),
        })
    }

    /// Adds the authorities of PEM text; refused unless every certificate there is one a
    /// verifier can use as a root (the error then names no file: see `with_ca_file`).
    pub fn with_ca_pem(mut self, pem: &[u8]) -> Result<Self, TrustError> {
        let roots = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| TrustError::NoCertificate { path: PathBuf::new() })?;
        let mut store = RootCertStore::empty();
        if roots.is_empty() || roots.iter().any(|root| store.add(root.clone()).is_err()) {
            return Err(TrustError::NoCertificate { path: PathBuf::new() });
        }
        self.extra_roots.extend(roots);
        self.verifier = Arc::default();
        Ok(self)
    }

    /// Adds the authority whose certificate has this fingerprint: it must be in the chain the
    /// server presents (a world's local authority always is).
    pub fn with_pinned_ca(mut self, fingerprint: CaFingerprint) -> Self {
        self.pinned_ca = Some(fingerprint);
        self.verifier = Arc::default();
        self
    }

    /// The same trust without the operating system's authorities: only what was given. For
    /// tests that must not depend on the machine's store.
    pub fn without_platform(mut self) -> Self {
        self.platform = false;
        self.verifier = Arc::default();
        self
    }

    /// `builder` with this trust for every HTTPS connection (`WorldClient::configured`).
    pub fn configure(&self, builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        builder.use_preconfigured_tls(self.client_config())
    }

    /// The rustls configuration of this trust, for a client that is not reqwest.
    pub fn client_config(&self) -> ClientConfig {
        let verifier = self
            .verifier
            .get_or_init(|| Arc::new(ClassVerifier::new(self)))
            .clone();
        ClientConfig::builder_with_provider(crypto_provider())
            .with_safe_default_protocol_versions()
            .expect("the ring provider supports TLS 1.2 and 1.3")
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth()
    }
}

/// True when `error` happened because the server's certificate was refused (unknown authority,
/// wrong host name, expired…), as opposed to a world that does not answer. A `ClientError::
/// Unreachable` for which this holds is `tls_untrusted` for people (`UNTRUSTED_FR`).
pub fn is_certificate_refusal(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(error) = next {
        if is_certificate_error(error) {
            return true;
        }
        // `io::Error::source` skips the error it wraps (tokio-rustls wraps rustls's that way).
        if let Some(inner) = error.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            if is_certificate_refusal(inner) {
                return true;
            }
        }
        next = error.source();
    }
    false
}

fn is_certificate_error(error: &(dyn std::error::Error + 'static)) -> bool {
    matches!(
        error.downcast_ref::<rustls::Error>(),
        Some(rustls::Error::InvalidCertificate(_))
    )
}

/// The composite verifier of `Trust`. A composite rather than the platform verifier with extra
/// roots: Android's platform verifier cannot take extra roots, and a pin is not a root until the
/// server presents the certificate it names.
#[derive(Debug)]
struct ClassVerifier {
    provider: Arc<CryptoProvider>,
    /// Whether to ask the operating system at all.
    platform_wanted: bool,
    /// Read at the first handshake, so that a client of a plain-HTTP world never reads the
    /// system's store. `None` inside when this machine has no store (a bare container): the
    /// given authorities are then all there is, which is what the person asked for.
    platform: OnceLock<Option<rustls_platform_verifier::Verifier>>,
    extra_roots: Option<Arc<WebPkiServerVerifier>>,
    pinned_ca: Option<CaFingerprint>,
}

impl ClassVerifier {
    fn new(trust: &Trust) -> Self {
        let provider = crypto_provider();
        let extra_roots = (!trust.extra_roots.is_empty()).then(|| {
            let mut store = RootCertStore::empty();
            store.add_parsable_certificates(trust.extra_roots.iter().cloned());
            WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
                .build()
                .expect("roots checked when they were given")
        });
        Self {
            provider,
            platform_wanted: trust.platform,
            platform: OnceLock::new(),
            extra_roots,
            pinned_ca: trust.pinned_ca,
        }
    }

    fn platform(&self) -> Option<&rustls_platform_verifier::Verifier> {
        if !self.platform_wanted {
            return None;
        }
        self.platform
            .get_or_init(|| match rustls_platform_verifier::Verifier::new(self.provider.clone()) {
                Ok(verifier) => Some(verifier),
                Err(error) => {
                    tracing::debug!(%error, "no platform certificate store; only the given authorities are trusted");
                    None
                }
            })
            .as_ref()
    }

    /// A verifier whose only root is the presented certificate the pin names, if any.
    fn pinned(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
    ) -> Option<Arc<WebPkiServerVerifier>> {
        let pin = self.pinned_ca?;
        let anchor = std::iter::once(end_entity)
            .chain(intermediates)
            .find(|certificate| CaFingerprint::of(certificate) == pin)?;
        let mut store = RootCertStore::empty();
        store.add(anchor.clone().into_owned()).ok()?;
        WebPkiServerVerifier::builder_with_provider(Arc::new(store), self.provider.clone())
            .build()
            .ok()
    }
}

impl ServerCertVerifier for ClassVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // The last refusal is the most specific one: a certificate under the pinned authority
        // but for another host says "wrong name", not "unknown authority".
        let mut refusal = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        if let Some(platform) = self.platform() {
            match platform.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
                Ok(verified) => return Ok(verified),
                Err(error) => refusal = error,
            }
        }
        let given = self.extra_roots.iter().cloned();
        for verifier in given.chain(self.pinned(end_entity, intermediates)) {
            match verifier.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
                Ok(verified) => return Ok(verified),
                Err(error) => refusal = error,
            }
        }
        tracing::debug!(error = %refusal, "server certificate refused");
        Err(refusal)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_reads_as_browsers_show_it_and_as_bare_hexadecimal() {
        let shown =
            "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";
        let fingerprint = CaFingerprint::parse(shown).unwrap();
        assert_eq!(
            fingerprint.to_string(),
            shown,
            "shown back the way it was projected"
        );
        let bare = shown.replace(':', "").to_lowercase();
        assert_eq!(CaFingerprint::parse(&format!(" {bare} ")).unwrap(), fingerprint);
        for wrong in ["", "AB:CD", &format!("{bare}00"), &bare.replace('a', "g")] {
            let refused = CaFingerprint::parse(wrong);
            assert!(
                matches!(&refused, Err(error) if error.code() == "ca_fingerprint_invalid" && error.message_fr().contains("SHA-256")),
                "{wrong:?} must be refused with a French reason: {refused:?}"
            );
        }
    }

    #[test]
    fn a_file_without_a_certificate_is_refused_with_its_name() {
        let dir = std::env::temp_dir().join(format!("idn-trust-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("pas-un-certificat.pem");
        std::fs::write(&path, "bonjour").unwrap();
        let refused = Trust::from_ca_file(&path).unwrap_err();
        assert_eq!(refused.code(), "ca_cert_invalid");
        assert!(
            refused.message_fr().contains("pas-un-certificat.pem"),
            "{}",
            refused.message_fr()
        );
        let missing = Trust::from_ca_file(&dir.join("absent.pem")).unwrap_err();
        assert_eq!(missing.code(), "ca_cert_unreadable");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
