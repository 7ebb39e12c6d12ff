//! HTTPS for a world the class reaches over the network: on the Wi-Fi of a classroom anyone can
//! read and alter plain HTTP (access tokens, one-time codes). A world serves either a trainer's
//! own certificate or one issued by its **local authority** in `DATA/tls/`: an ECDSA P-256 CA
//! whose name constraints confine it to local names and private addresses, so that a device
//! told to trust it for the class can never be fooled by it for a bank. The listener does the
//! handshakes off the accept loop, so a slow or silent client never holds the others back.

use idn_api::tls::CaFingerprint;
use rcgen::{
    BasicConstraints, CertificateParams, CidrSubnet, DistinguishedName, DnType, ExtendedKeyUsagePurpose,
    GeneralSubtree, IsCa, Issuer, KeyPair, KeyUsagePurpose, NameConstraints, SanType, SerialNumber,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::server::TlsStream;

/// Where a world's TLS files live, under its data directory.
pub const DIR_NAME: &str = "tls";
const CA_CERT: &str = "ca.pem";
const CA_KEY: &str = "ca-key.pem";
const SERVER_CHAIN: &str = "server.pem";
const SERVER_KEY: &str = "server-key.pem";

const DAY: i64 = 24 * 60 * 60;
/// The authority's lifetime: the longest that operating systems accept for a private CA's
/// leaves was 825 days; the authority itself lives as long, then a new one is made.
const AUTHORITY_DAYS: i64 = 825;
/// Apple's and Chrome's ceiling for a server certificate (398 days), less a day of margin.
const SERVER_DAYS: i64 = 397;
/// A certificate with fewer days left is replaced at start, so that a class never meets an
/// expiry in the middle of a session.
const RENEW_BEFORE_DAYS: i64 = 30;
/// Certificates start an hour in the past: a device whose clock is a little behind still
/// accepts them.
const BACKDATE_SECONDS: i64 = 60 * 60;
/// How long a client has to finish its handshake before its connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in progress at once; past that, new connections wait to be taken.
const HANDSHAKES_IN_FLIGHT: usize = 256;

/// Names every authority permits: this machine (`localhost`), mDNS names (`.local`) and home
/// networks' names (`.home.arpa`, RFC 8375).
const LOCAL_DOMAINS: [&str; 3] = ["localhost", ".local", ".home.arpa"];

/// Addresses every authority permits: loopback, private (RFC 1918), shared (RFC 6598, carrier
/// and some school networks) and unique local IPv6 ones. Never a public address.
fn private_ranges() -> [(IpAddr, u8); 7] {
    [
        (IpAddr::V4(Ipv4Addr::new(127, 0, 0, 0)), 8),
        (IpAddr::V6(Ipv6Addr::LOCALHOST), 128),
        (IpAddr::V4(Ipv4Addr::new(10, 0, 0, 0)), 8),
        (IpAddr::V4(Ipv4Addr::new(172, 16, 0, 0)), 12),
        (IpAddr::V4(Ipv4Addr::new(192, 168, 0, 0)), 16),
        (IpAddr::V4(Ipv4Addr::new(100, 64, 0, 0)), 10),
        (IpAddr::V6(Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0)), 7),
    ]
}

/// Why a world cannot serve HTTPS as asked.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("TLS file {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// A certificate or key file that does not hold what it should.
    #[error("{path}: {reason}")]
    Unusable { path: PathBuf, reason: String },
    /// The certificate and the key do not belong together, or rustls refuses them.
    #[error("certificate and key refused: {0}")]
    Refused(rustls::Error),
    #[error("certificate generation failed: {0}")]
    Generation(#[from] rcgen::Error),
    /// A name asked for (`--tls-name`, `--public-url`) that the existing authority may not
    /// vouch for: its constraints were fixed when it was made.
    #[error("{name} is outside the local authority's name constraints")]
    OutsideAuthority { name: String, dir: PathBuf },
    #[error("not a host name or an IP address: {0:?}")]
    InvalidName(String),
}

impl TlsError {
    fn io(path: &Path) -> impl FnOnce(std::io::Error) -> TlsError + '_ {
        move |source| TlsError::Io {
            path: path.to_owned(),
            source,
        }
    }

    fn unusable(path: &Path, reason: impl Into<String>) -> TlsError {
        TlsError::Unusable {
            path: path.to_owned(),
            reason: reason.into(),
        }
    }

    /// The stable code to decide on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Io { .. } => "tls_file_unreadable",
            Self::Unusable { .. } => "tls_file_invalid",
            Self::Refused(_) => "tls_key_mismatch",
            Self::Generation(_) => "tls_generation_failed",
            Self::OutsideAuthority { .. } => "tls_name_outside_authority",
            Self::InvalidName(_) => "tls_name_invalid",
        }
    }

    /// What the trainer reads.
    pub fn message_fr(&self) -> String {
        match self {
            Self::Io { path, .. } => format!(
                "Le fichier {} ne peut être ni lu ni écrit : vérifiez le chemin et les droits.",
                path.display()
            ),
            Self::Unusable { path, .. } => format!(
                "Le fichier {} ne contient pas ce qu'il faut : une chaîne de certificats PEM (--tls-cert) et sa clé privée PEM (--tls-key : PKCS#8, SEC1 ou RSA).",
                path.display()
            ),
            Self::Refused(_) => {
                "Le certificat et la clé privée ne vont pas ensemble (ou ce type de clé n'est pas accepté) : vérifiez --tls-cert et --tls-key.".into()
            }
            Self::Generation(_) => {
                "Le certificat du monde n'a pas pu être créé ; relancez, et signalez-le si cela recommence.".into()
            }
            Self::OutsideAuthority { name, dir } => format!(
                "« {name} » n'est pas couvert par l'autorité locale de ce monde (elle ne garantit que les noms et adresses fixés à sa création). Pour une nouvelle autorité, arrêtez le monde, supprimez le dossier {} et relancez : chaque appareil devra faire confiance à la nouvelle autorité. Ou servez votre propre certificat avec --tls-cert et --tls-key.",
                dir.display()
            ),
            Self::InvalidName(name) => format!(
                "« {name} » n'est ni un nom d'hôte (lettres sans accent, chiffres, tirets, points) ni une adresse IP."
            ),
        }
    }
}

/// A name a server certificate carries: a host name (lower case) or an IP address.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TlsName {
    Dns(String),
    Ip(IpAddr),
}

impl TlsName {
    /// `salle-12.example`, `192.168.1.20`, `fd00::12` (or `[fd00::12]`).
    pub fn parse(text: &str) -> Result<Self, TlsError> {
        let text = text.trim();
        let bare = text
            .strip_prefix('[')
            .and_then(|inner| inner.strip_suffix(']'))
            .unwrap_or(text);
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return Ok(Self::Ip(ip));
        }
        let name = text.trim_end_matches('.').to_ascii_lowercase();
        let label_ok = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        if name.is_empty() || name.len() > 253 || !name.split('.').all(label_ok) {
            return Err(TlsError::InvalidName(text.to_owned()));
        }
        Ok(Self::Dns(name))
    }

    /// The host of a world's public URL: the authority must cover it.
    pub fn of_public_url(public_url: &crate::federation::PublicUrl) -> Result<Self, TlsError> {
        let base = public_url.as_base();
        let host = reqwest::Url::parse(&base)
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned))
            .ok_or_else(|| TlsError::InvalidName(base.clone()))?;
        Self::parse(&host)
    }

    fn san(&self) -> Result<SanType, TlsError> {
        Ok(match self {
            Self::Dns(name) => SanType::DnsName(
                name.clone()
                    .try_into()
                    .map_err(|_| TlsError::InvalidName(name.clone()))?,
            ),
            Self::Ip(ip) => SanType::IpAddress(*ip),
        })
    }
}

impl std::fmt::Display for TlsName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Dns(name) => f.write_str(name),
            Self::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// What an authority may vouch for (its name constraints' permitted subtrees).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Constraints {
    /// `localhost` (itself and below it), `.local` (below it only), as RFC 5280 and webpki read them.
    domains: Vec<String>,
    networks: Vec<(IpAddr, u8)>,
}

impl Constraints {
    /// The fixed local names and private ranges, plus `names` (this machine's host name, the
    /// public URL's host, `--tls-name`), each permitted exactly (an address as a /32 or /128).
    fn for_names(names: &[TlsName]) -> Self {
        let mut constraints = Self {
            domains: LOCAL_DOMAINS.map(str::to_owned).to_vec(),
            networks: private_ranges().to_vec(),
        };
        for name in names {
            if constraints.permits(name) {
                continue;
            }
            match name {
                TlsName::Dns(domain) => constraints.domains.push(domain.clone()),
                TlsName::Ip(ip @ IpAddr::V4(_)) => constraints.networks.push((*ip, 32)),
                TlsName::Ip(ip @ IpAddr::V6(_)) => constraints.networks.push((*ip, 128)),
            }
        }
        constraints
    }

    fn permits(&self, name: &TlsName) -> bool {
        match name {
            TlsName::Dns(name) => self.domains.iter().any(|domain| match domain.strip_prefix('.') {
                Some(parent) => name.len() > parent.len() + 1 && name.ends_with(domain.as_str()),
                None => name == domain || name.ends_with(&format!(".{domain}")),
            }),
            TlsName::Ip(ip) => self
                .networks
                .iter()
                .any(|(network, prefix)| in_network(*ip, *network, *prefix)),
        }
    }

    fn name_constraints(&self) -> NameConstraints {
        let dns = self.domains.iter().cloned().map(GeneralSubtree::DnsName);
        let ips = self.networks.iter().map(|(network, prefix)| {
            GeneralSubtree::IpAddress(CidrSubnet::from_addr_prefix(*network, *prefix))
        });
        NameConstraints {
            permitted_subtrees: dns.chain(ips).collect(),
            excluded_subtrees: Vec::new(),
        }
    }

    /// The constraints an existing authority certificate carries.
    fn of_certificate(certificate: &x509_parser::certificate::X509Certificate<'_>) -> Option<Self> {
        use x509_parser::extensions::GeneralName;
        let extension = certificate.name_constraints().ok()??;
        let mut constraints = Self {
            domains: Vec::new(),
            networks: Vec::new(),
        };
        for subtree in extension.value.permitted_subtrees.as_deref().unwrap_or_default() {
            match &subtree.base {
                GeneralName::DNSName(domain) => constraints.domains.push(domain.to_ascii_lowercase()),
                GeneralName::IPAddress(bytes) => {
                    let (address, mask) = bytes.split_at(bytes.len() / 2);
                    let prefix = mask.iter().map(|byte| byte.count_ones()).sum::<u32>() as u8;
                    let network = match address.len() {
                        4 => IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(address).ok()?)),
                        16 => IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(address).ok()?)),
                        _ => return None,
                    };
                    constraints.networks.push((network, prefix));
                }
                _ => {}
            }
        }
        Some(constraints)
    }
}

fn in_network(ip: IpAddr, network: IpAddr, prefix: u8) -> bool {
    match (ip, network) {
        (IpAddr::V4(ip), IpAddr::V4(network)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix.min(32))).unwrap_or(0);
            u32::from(ip) & mask == u32::from(network) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(network)) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(prefix.min(128)))
                .unwrap_or(0);
            u128::from(ip) & mask == u128::from(network) & mask
        }
        _ => false,
    }
}

/// The names a server certificate should carry for a world listening on `listen`: this machine
/// by every name a device may use, and the names asked for. An unspecified address (0.0.0.0)
/// listens on every interface, so every interface's address is named.
fn wanted_names(
    listen: SocketAddr,
    interfaces: &[IpAddr],
    hostname: Option<&TlsName>,
    requested: &[TlsName],
) -> BTreeSet<TlsName> {
    let mut names: BTreeSet<TlsName> = [
        TlsName::Dns("localhost".into()),
        TlsName::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        TlsName::Ip(IpAddr::V6(Ipv6Addr::LOCALHOST)),
    ]
    .into();
    if let Some(TlsName::Dns(host)) = hostname {
        names.insert(TlsName::Dns(host.clone()));
        let first_label = host.split('.').next().unwrap_or(host);
        if !host.ends_with(".local") {
            names.insert(TlsName::Dns(format!("{first_label}.local")));
        }
    }
    if listen.ip().is_unspecified() {
        names.extend(interfaces.iter().copied().map(TlsName::Ip));
    } else {
        names.insert(TlsName::Ip(listen.ip()));
    }
    names.extend(requested.iter().cloned());
    names
}

/// This machine's host name, when it is one a certificate can carry.
fn machine_name() -> Option<TlsName> {
    let name = gethostname::gethostname();
    TlsName::parse(name.to_str()?)
        .ok()
        .filter(|name| matches!(name, TlsName::Dns(_)))
}

fn interface_addresses() -> Vec<IpAddr> {
    match if_addrs::get_if_addrs() {
        Ok(interfaces) => interfaces.iter().map(|interface| interface.ip()).collect(),
        Err(error) => {
            // Loopback and the host's names are still in the certificate.
            tracing::warn!(%error, "network interfaces not listed; their addresses are not in the certificate");
            Vec::new()
        }
    }
}

/// What is known of a server certificate already issued, to decide whether to issue anew.
#[derive(Debug, Clone, PartialEq, Eq)]
struct IssuedCertificate {
    names: BTreeSet<TlsName>,
    /// Seconds since the Unix epoch.
    not_after: i64,
    /// The authority that signed it (the second certificate of `server.pem`).
    issuer: Option<CaFingerprint>,
}

/// The rule of reissue at start: a new server certificate when there is none, when it names
/// other hosts than those wanted (a new interface, a new `--tls-name`), when another authority
/// signed it, or when fewer than 30 days remain.
fn needs_reissue(
    issued: Option<&IssuedCertificate>,
    wanted: &BTreeSet<TlsName>,
    authority: CaFingerprint,
    now: i64,
) -> bool {
    match issued {
        None => true,
        Some(issued) => {
            issued.names != *wanted
                || issued.issuer != Some(authority)
                || issued.not_after - now < RENEW_BEFORE_DAYS * DAY
        }
    }
}

fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => after.as_secs() as i64,
        Err(before) => -(before.duration().as_secs() as i64),
    }
}

fn date(seconds: i64) -> Result<time::OffsetDateTime, TlsError> {
    time::OffsetDateTime::from_unix_timestamp(seconds).map_err(|_| TlsError::Generation(rcgen::Error::Time))
}

fn random_serial() -> SerialNumber {
    let mut bytes: [u8; 16] = rand::random();
    // A positive INTEGER: browsers refuse reused (issuer, serial) pairs, so each is random.
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01;
    SerialNumber::from_slice(&bytes)
}

/// The authority's certificate, as a world hands it to the class and to its own clients.
#[derive(Debug, Clone)]
pub struct AuthorityCertificate {
    der: Vec<u8>,
    pem: String,
    path: PathBuf,
}

impl AuthorityCertificate {
    fn new(der: Vec<u8>, path: PathBuf) -> Self {
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD.encode(&der);
        let lines: Vec<&str> = encoded
            .as_bytes()
            .chunks(64)
            .map(|line| std::str::from_utf8(line).expect("base64 is ASCII"))
            .collect();
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            lines.join("\n")
        );
        Self { der, pem, path }
    }

    /// The certificate as devices install it (`.crt`, `application/x-x509-ca-cert`).
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// `DATA/tls/ca.pem`, for `--ca-cert` on the server's machine.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What a person compares with the projected page before trusting it.
    pub fn fingerprint(&self) -> CaFingerprint {
        CaFingerprint::of(&self.der)
    }
}

/// The world's local certificate authority, loaded from or created in `DATA/tls/`.
struct LocalAuthority {
    certificate: AuthorityCertificate,
    key: KeyPair,
    constraints: Constraints,
    not_after: i64,
}

impl LocalAuthority {
    /// The authority of `dir`, made when there is none or when it is about to expire. Each of
    /// `requested` must be within its constraints: an authority is never widened, because
    /// devices trusted it for what it was.
    fn open_or_create(
        dir: &Path,
        hostname: Option<&TlsName>,
        requested: &[TlsName],
        now: i64,
    ) -> Result<Self, TlsError> {
        let existing = Self::open(dir)?.filter(|authority| {
            let fresh = authority.not_after - now >= RENEW_BEFORE_DAYS * DAY;
            if !fresh {
                tracing::warn!(dir = %dir.display(), "local authority about to expire: a new one is made and devices must trust it again");
            }
            fresh
        });
        let authority = match existing {
            Some(authority) => authority,
            None => Self::create(dir, hostname, requested, now)?,
        };
        if let Some(name) = requested.iter().find(|name| !authority.constraints.permits(name)) {
            return Err(TlsError::OutsideAuthority {
                name: name.to_string(),
                dir: dir.to_owned(),
            });
        }
        Ok(authority)
    }

    fn open(dir: &Path) -> Result<Option<Self>, TlsError> {
        let (cert_path, key_path) = (dir.join(CA_CERT), dir.join(CA_KEY));
        if !cert_path.exists() || !key_path.exists() {
            return Ok(None);
        }
        let der = CertificateDer::from_pem_file(&cert_path)
            .map_err(|_| TlsError::unusable(&cert_path, "no PEM certificate"))?;
        let key_pem = std::fs::read_to_string(&key_path).map_err(TlsError::io(&key_path))?;
        let key = KeyPair::from_pem(&key_pem).map_err(|_| TlsError::unusable(&key_path, "no PEM key"))?;
        let (_, parsed) = x509_parser::parse_x509_certificate(&der)
            .map_err(|_| TlsError::unusable(&cert_path, "not an X.509 certificate"))?;
        let constraints = Constraints::of_certificate(&parsed)
            .ok_or_else(|| TlsError::unusable(&cert_path, "an authority without name constraints"))?;
        let not_after = parsed.validity().not_after.timestamp();
        Ok(Some(Self {
            certificate: AuthorityCertificate::new(der.to_vec(), cert_path),
            key,
            constraints,
            not_after,
        }))
    }

    fn create(
        dir: &Path,
        hostname: Option<&TlsName>,
        requested: &[TlsName],
        now: i64,
    ) -> Result<Self, TlsError> {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let names: Vec<TlsName> = hostname.into_iter().chain(requested).cloned().collect();
        let constraints = Constraints::for_names(&names);
        let host = hostname.map_or_else(|| "cet ordinateur".to_owned(), TlsName::to_string);
        let mut params = CertificateParams::default();
        let mut subject = DistinguishedName::new();
        subject.push(
            DnType::CommonName,
            format!("IDN Sandbox — autorité locale de {host} (simulation)"),
        );
        subject.push(DnType::OrganizationName, "IDN Sandbox (simulation)");
        params.distinguished_name = subject;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.name_constraints = Some(constraints.name_constraints());
        params.serial_number = Some(random_serial());
        let not_after = now + AUTHORITY_DAYS * DAY;
        params.not_before = date(now - BACKDATE_SECONDS)?;
        params.not_after = date(not_after)?;
        let certificate = params.self_signed(&key)?;
        create_private_dir(dir)?;
        let cert_path = dir.join(CA_CERT);
        write_file(&dir.join(CA_KEY), key.serialize_pem().as_bytes(), 0o600)?;
        write_file(&cert_path, certificate.pem().as_bytes(), 0o644)?;
        tracing::info!(dir = %dir.display(), "local certificate authority created");
        Ok(Self {
            certificate: AuthorityCertificate::new(certificate.der().to_vec(), cert_path),
            key,
            constraints,
            not_after,
        })
    }

    /// The server certificate and key in `dir` for `wanted`, issued anew when the rule says so.
    fn server_certificate(
        &self,
        dir: &Path,
        wanted: &BTreeSet<TlsName>,
        now: i64,
    ) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TlsError> {
        let (chain_path, key_path) = (dir.join(SERVER_CHAIN), dir.join(SERVER_KEY));
        let issued = read_chain(&chain_path)
            .ok()
            .filter(|_| key_path.exists())
            .and_then(|chain| issued_certificate(&chain));
        let authority = self.certificate.fingerprint();
        if !needs_reissue(issued.as_ref(), wanted, authority, now) {
            if let (Ok(chain), Ok(key)) = (read_chain(&chain_path), read_key(&key_path)) {
                return Ok((chain, key));
            }
        }
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::default();
        let mut subject = DistinguishedName::new();
        subject.push(DnType::CommonName, "IDN Sandbox — monde simulé de la classe");
        params.distinguished_name = subject;
        params.subject_alt_names = wanted.iter().map(TlsName::san).collect::<Result<_, _>>()?;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        params.serial_number = Some(random_serial());
        params.not_before = date(now - BACKDATE_SECONDS)?;
        params.not_after = date((now + SERVER_DAYS * DAY).min(self.not_after))?;
        let issuer = Issuer::from_ca_cert_der(&CertificateDer::from(self.certificate.der()), &self.key)?;
        let certificate = params.signed_by(&key, &issuer)?;
        let chain_pem = format!("{}{}", certificate.pem(), self.certificate.pem());
        write_file(&key_path, key.serialize_pem().as_bytes(), 0o600)?;
        write_file(&chain_path, chain_pem.as_bytes(), 0o644)?;
        tracing::info!(names = ?wanted, "server certificate issued by the local authority");
        Ok((
            vec![
                certificate.der().clone(),
                CertificateDer::from(self.certificate.der().to_vec()),
            ],
            PrivateKeyDer::try_from(key.serialize_der())
                .map_err(|reason| TlsError::unusable(&key_path, reason))?,
        ))
    }
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = std::fs::read(path).map_err(TlsError::io(path))?;
    let chain = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| TlsError::unusable(path, "unreadable PEM certificates"))?;
    if chain.is_empty() {
        return Err(TlsError::unusable(path, "no PEM certificate"));
    }
    Ok(chain)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bytes = std::fs::read(path).map_err(TlsError::io(path))?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|_| TlsError::unusable(path, "no PEM private key"))
}

/// The names, expiry and issuer of the first certificate of `chain`.
fn issued_certificate(chain: &[CertificateDer<'_>]) -> Option<IssuedCertificate> {
    use x509_parser::extensions::GeneralName;
    let (_, leaf) = x509_parser::parse_x509_certificate(chain.first()?).ok()?;
    let mut names = BTreeSet::new();
    if let Ok(Some(extension)) = leaf.subject_alternative_name() {
        for name in &extension.value.general_names {
            match name {
                GeneralName::DNSName(dns) => {
                    names.insert(TlsName::Dns(dns.to_ascii_lowercase()));
                }
                GeneralName::IPAddress(bytes) => {
                    let ip = match bytes.len() {
                        4 => IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(*bytes).ok()?)),
                        16 => IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(*bytes).ok()?)),
                        _ => continue,
                    };
                    names.insert(TlsName::Ip(ip));
                }
                _ => {}
            }
        }
    }
    Some(IssuedCertificate {
        names,
        not_after: leaf.validity().not_after.timestamp(),
        issuer: chain.get(1).map(|issuer| CaFingerprint::of(issuer)),
    })
}

fn create_private_dir(dir: &Path) -> Result<(), TlsError> {
    std::fs::create_dir_all(dir).map_err(TlsError::io(dir))?;
    set_mode(dir, 0o700)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<(), TlsError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(TlsError::io(path))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> Result<(), TlsError> {
    Ok(())
}

/// Written whole then renamed, with `mode` from the start (a key is never readable by others,
/// not even for a moment).
fn write_file(path: &Path, bytes: &[u8], mode: u32) -> Result<(), TlsError> {
    use std::io::Write;
    let temporary = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let write = || -> std::io::Result<()> {
        let mut file = options.open(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    };
    write().map_err(TlsError::io(path))?;
    set_mode(path, mode)
}

/// How a world serves HTTPS.
#[derive(Debug, Clone)]
pub enum TlsSetup {
    /// Under the world's local authority in `DATA/tls/`, for this machine's names and
    /// addresses and for `names` (`--tls-name`, the public URL's host).
    LocalAuthority { names: Vec<TlsName> },
    /// With a trainer's own certificate chain and private key (PEM files).
    Certificate { chain: PathBuf, key: PathBuf },
}

/// A world's HTTPS, ready to serve: the rustls configuration and, under a local authority, the
/// authority's certificate to hand to the class.
#[derive(Clone)]
pub struct ServerTls {
    config: Arc<rustls::ServerConfig>,
    authority: Option<AuthorityCertificate>,
    names: BTreeSet<TlsName>,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field(
                "authority",
                &self.authority.as_ref().map(AuthorityCertificate::fingerprint),
            )
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

impl ServerTls {
    /// Prepares `setup` for a world in `data_dir` listening on `listen`, at `now`.
    pub fn prepare(
        data_dir: &Path,
        setup: &TlsSetup,
        listen: SocketAddr,
        now: SystemTime,
    ) -> Result<Self, TlsError> {
        match setup {
            TlsSetup::LocalAuthority { names } => Self::local_authority(
                &data_dir.join(DIR_NAME),
                names,
                listen,
                &interface_addresses(),
                now,
            ),
            TlsSetup::Certificate { chain, key } => Self::certificate(chain, key),
        }
    }

    fn local_authority(
        dir: &Path,
        requested: &[TlsName],
        listen: SocketAddr,
        interfaces: &[IpAddr],
        now: SystemTime,
    ) -> Result<Self, TlsError> {
        let now = unix_seconds(now);
        let hostname = machine_name();
        let authority = LocalAuthority::open_or_create(dir, hostname.as_ref(), requested, now)?;
        // Names found on this machine that the authority may not vouch for (a public address,
        // a host renamed since) are left out rather than making a certificate no one accepts.
        let (wanted, left_out): (BTreeSet<TlsName>, BTreeSet<TlsName>) =
            wanted_names(listen, interfaces, hostname.as_ref(), requested)
                .into_iter()
                .partition(|name| authority.constraints.permits(name));
        if !left_out.is_empty() {
            tracing::info!(names = ?left_out, "outside the local authority's constraints: not in the server certificate");
        }
        let (chain, key) = authority.server_certificate(dir, &wanted, now)?;
        Ok(Self {
            config: server_config(chain, key)?,
            authority: Some(authority.certificate),
            names: wanted,
        })
    }

    fn certificate(chain_path: &Path, key_path: &Path) -> Result<Self, TlsError> {
        let chain = read_chain(chain_path)?;
        let key = read_key(key_path)?;
        let names = issued_certificate(&chain)
            .ok_or_else(|| TlsError::unusable(chain_path, "not an X.509 certificate"))?
            .names;
        Ok(Self {
            config: server_config(chain, key)?,
            authority: None,
            names,
        })
    }

    /// The local authority's certificate (`None` with a trainer's own certificate, which the
    /// devices' operating systems are expected to trust already).
    pub fn authority(&self) -> Option<&AuthorityCertificate> {
        self.authority.as_ref()
    }

    /// The names and addresses the served certificate is valid for.
    pub fn names(&self) -> &BTreeSet<TlsName> {
        &self.names
    }

    /// Whom a client of this world should trust: the operating system, plus the local
    /// authority when there is one.
    pub fn client_trust(&self) -> idn_api::tls::Trust {
        let trust = idn_api::tls::Trust::platform();
        match &self.authority {
            Some(authority) => trust
                .with_ca_pem(authority.pem().as_bytes())
                .expect("the authority's own certificate is a usable root"),
            None => trust,
        }
    }

    pub(crate) fn listener(&self, listener: TcpListener) -> std::io::Result<TlsListener> {
        TlsListener::new(listener, self.config.clone())
    }
}

fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let mut config = rustls::ServerConfig::builder_with_provider(idn_api::tls::crypto_provider())
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Refused)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(TlsError::Refused)?;
    // The world speaks HTTP/1.1 (axum's `http1`); saying so spares clients a guess.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A TCP listener whose connections come out TLS-wrapped. Each handshake runs in a task of its
/// own with a deadline, and finished ones come back through a channel: a client that connects
/// and says nothing never holds up the next one's `accept`.
pub struct TlsListener {
    local: SocketAddr,
    handshaken: tokio::sync::mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    acceptor: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    pub fn new(listener: TcpListener, config: Arc<rustls::ServerConfig>) -> std::io::Result<Self> {
        let local = listener.local_addr()?;
        let (sender, handshaken) = tokio::sync::mpsc::channel(HANDSHAKES_IN_FLIGHT);
        let tls = tokio_rustls::TlsAcceptor::from(config);
        let in_flight = Arc::new(tokio::sync::Semaphore::new(HANDSHAKES_IN_FLIGHT));
        let acceptor = tokio::spawn(async move {
            loop {
                let Ok(permit) = in_flight.clone().acquire_owned().await else {
                    return;
                };
                let (stream, peer) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        accept_failed(error).await;
                        continue;
                    }
                };
                if sender.is_closed() {
                    return;
                }
                let (tls, sender) = (tls.clone(), sender.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(stream)).await {
                        Ok(Ok(stream)) => {
                            // The permit is the handshake's, not the connection's.
                            drop(permit);
                            let _ = sender.send((stream, peer)).await;
                        }
                        // A browser that does not trust the authority yet closes here: normal.
                        Ok(Err(error)) => tracing::debug!(%peer, %error, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(Self {
            local,
            handshaken,
            acceptor,
        })
    }
}

/// As axum's own listener: errors of one connection are skipped; others (too many open files)
/// wait a second, which gives the process time to close some.
async fn accept_failed(error: std::io::Error) {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset => {
            tracing::debug!(%error, "connection lost before it was accepted");
        }
        _ => {
            tracing::error!(%error, "accept failed; retrying in a second");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.acceptor.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.handshaken.recv().await {
            Some(accepted) => accepted,
            // The accepting task ended (only when the runtime shuts down): nothing comes again.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::client::danger::ServerCertVerifier;
    use rustls::client::WebPkiServerVerifier;
    use rustls::pki_types::{ServerName, UnixTime};

    const NOW: i64 = 1_800_000_000;

    fn at(seconds: i64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds as u64)
    }

    fn name(text: &str) -> TlsName {
        TlsName::parse(text).unwrap()
    }

    fn class_world(dir: &Path, requested: &[TlsName], now: i64) -> ServerTls {
        let listen: SocketAddr = "0.0.0.0:8787".parse().unwrap();
        let interfaces = [
            "127.0.0.1".parse().unwrap(),
            "192.168.1.20".parse().unwrap(),
            // A public address on this machine: the authority may not vouch for it.
            "203.0.113.7".parse().unwrap(),
        ];
        ServerTls::local_authority(dir, requested, listen, &interfaces, at(now)).unwrap()
    }

    /// Whether a certificate for `host`, signed by the authority of `dir` whatever its
    /// constraints, is accepted by a client that trusts that authority.
    fn accepted_for(dir: &Path, host: &str) -> Result<(), rustls::Error> {
        let authority = LocalAuthority::open(dir).unwrap().unwrap();
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = CertificateParams::new(vec![host.to_owned()]).unwrap();
        params.not_before = date(NOW - DAY).unwrap();
        params.not_after = date(NOW + DAY).unwrap();
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let issuer =
            Issuer::from_ca_cert_der(&CertificateDer::from(authority.certificate.der()), &authority.key)
                .unwrap();
        let forged = params.signed_by(&key, &issuer).unwrap();
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from(authority.certificate.der().to_vec()))
            .unwrap();
        let verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), idn_api::tls::crypto_provider())
                .build()
                .unwrap();
        verifier
            .verify_server_cert(
                forged.der(),
                &[],
                &ServerName::try_from(host.to_owned()).unwrap(),
                &[],
                UnixTime::since_unix_epoch(Duration::from_secs(NOW as u64)),
            )
            .map(|_| ())
    }

    #[test]
    fn the_local_authority_cannot_vouch_for_a_bank_even_if_its_key_signs_one() {
        let dir = tempfile::tempdir().unwrap();
        class_world(dir.path(), &[name("salle-12.example")], NOW);
        for host in [
            "www.labanquepostale.fr",
            "8.8.8.8",
            "localhost.evil.example",
            "203.0.113.7",
        ] {
            assert!(
                accepted_for(dir.path(), host).is_err(),
                "a certificate for {host} under the class authority must be refused by its own trusters"
            );
        }
        for host in [
            "localhost",
            "poste-3.local",
            "salle-12.example",
            "192.168.1.20",
            "10.1.2.3",
            "fd00::12",
        ] {
            assert_eq!(
                accepted_for(dir.path(), host),
                Ok(()),
                "{host} is a local name or a private address the authority was made for"
            );
        }
    }

    #[test]
    fn the_server_certificate_names_this_machine_and_its_private_addresses_only() {
        let dir = tempfile::tempdir().unwrap();
        let served = class_world(dir.path(), &[name("salle-12.example")], NOW);
        let names = served.names();
        for expected in [
            "localhost",
            "127.0.0.1",
            "::1",
            "192.168.1.20",
            "salle-12.example",
        ] {
            assert!(
                names.contains(&name(expected)),
                "{expected} is missing from {names:?}"
            );
        }
        assert!(
            !names.contains(&name("203.0.113.7")),
            "a public interface address is left out: the authority may not vouch for it"
        );
        let chain = read_chain(&dir.path().join(SERVER_CHAIN)).unwrap();
        let issued = issued_certificate(&chain).unwrap();
        assert_eq!(
            &issued.names, names,
            "server.pem carries what the world says it serves"
        );
        assert_eq!(
            issued.issuer,
            Some(served.authority().unwrap().fingerprint()),
            "server.pem carries the authority after the leaf, so a pinned client finds it"
        );
        assert!(
            issued.not_after - NOW <= SERVER_DAYS * DAY,
            "browsers refuse server certificates of more than 398 days"
        );
    }

    #[test]
    fn a_name_outside_the_existing_authority_is_refused_with_the_way_out() {
        let dir = tempfile::tempdir().unwrap();
        class_world(dir.path(), &[], NOW);
        let error = ServerTls::local_authority(
            dir.path(),
            &[name("www.banque.example")],
            "0.0.0.0:8787".parse().unwrap(),
            &[],
            at(NOW),
        )
        .unwrap_err();
        assert_eq!(error.code(), "tls_name_outside_authority");
        assert!(
            error.message_fr().contains("supprimez le dossier") && error.message_fr().contains("--tls-cert"),
            "the trainer is told how to go on: {}",
            error.message_fr()
        );
        let error = TlsName::parse("salle_12!").unwrap_err();
        assert_eq!(error.code(), "tls_name_invalid");
    }

    #[test]
    fn the_server_certificate_is_reissued_when_its_names_change_or_it_nears_its_end() {
        let authority = CaFingerprint::from_bytes([7; 32]);
        let names: BTreeSet<TlsName> = [name("localhost"), name("192.168.1.20")].into();
        let issued = IssuedCertificate {
            names: names.clone(),
            not_after: NOW + 100 * DAY,
            issuer: Some(authority),
        };
        assert!(needs_reissue(None, &names, authority, NOW), "no certificate yet");
        assert!(
            !needs_reissue(Some(&issued), &names, authority, NOW),
            "same names, 100 days left"
        );
        let mut moved = names.clone();
        moved.insert(name("10.0.0.5"));
        assert!(
            needs_reissue(Some(&issued), &moved, authority, NOW),
            "a new interface address"
        );
        assert!(
            needs_reissue(Some(&issued), &names, CaFingerprint::from_bytes([8; 32]), NOW),
            "signed by another authority"
        );
        assert!(
            !needs_reissue(Some(&issued), &names, authority, NOW + 70 * DAY),
            "30 days left: still kept"
        );
        assert!(
            needs_reissue(Some(&issued), &names, authority, NOW + 71 * DAY),
            "fewer than 30 days left"
        );

        // The same rule on disk: a restart keeps the certificate, a new name or time replaces it.
        let dir = tempfile::tempdir().unwrap();
        let chain = || std::fs::read(dir.path().join(SERVER_CHAIN)).unwrap();
        let fingerprint = class_world(dir.path(), &[], NOW)
            .authority()
            .unwrap()
            .fingerprint();
        let first = chain();
        class_world(dir.path(), &[], NOW + DAY);
        assert_eq!(
            chain(),
            first,
            "a restart with the same names keeps the certificate"
        );
        class_world(dir.path(), &[name("salle-12.home.arpa")], NOW + DAY);
        let renamed = chain();
        assert_ne!(renamed, first, "a new --tls-name needs a new certificate");
        let later = class_world(dir.path(), &[name("salle-12.home.arpa")], NOW + 380 * DAY);
        assert_ne!(chain(), renamed, "fewer than 30 days left: renewed at start");
        assert_eq!(
            later.authority().unwrap().fingerprint(),
            fingerprint,
            "renewing the server certificate keeps the authority devices trust"
        );
    }

    #[cfg(unix)]
    #[test]
    fn keys_are_readable_by_the_worlds_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let tls = dir.path().join(DIR_NAME);
        class_world(&tls, &[], NOW);
        let mode = |file: &str| std::fs::metadata(tls.join(file)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(""), 0o700);
        assert_eq!(mode(CA_KEY), 0o600);
        assert_eq!(mode(SERVER_KEY), 0o600);
        assert_eq!(
            mode(CA_CERT),
            0o644,
            "the authority's certificate is public: devices install it"
        );
    }

    #[test]
    fn a_trainers_certificate_is_served_and_a_key_of_another_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let own = rcgen::generate_simple_self_signed(vec!["salle-12.example".into()]).unwrap();
        let other = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let (chain, key, wrong) = (
            dir.path().join("cert.pem"),
            dir.path().join("key.pem"),
            dir.path().join("autre.pem"),
        );
        std::fs::write(&chain, own.cert.pem()).unwrap();
        std::fs::write(&key, own.signing_key.serialize_pem()).unwrap();
        std::fs::write(&wrong, other.serialize_pem()).unwrap();
        let setup = |key: &Path| TlsSetup::Certificate {
            chain: chain.clone(),
            key: key.to_owned(),
        };
        let served =
            ServerTls::prepare(dir.path(), &setup(&key), "0.0.0.0:8443".parse().unwrap(), at(NOW)).unwrap();
        assert!(
            served.authority().is_none(),
            "a trainer's certificate comes without an authority to install"
        );
        assert!(served.names().contains(&name("salle-12.example")));
        let refused = ServerTls::prepare(
            dir.path(),
            &setup(&wrong),
            "0.0.0.0:8443".parse().unwrap(),
            at(NOW),
        )
        .unwrap_err();
        assert_eq!(refused.code(), "tls_key_mismatch", "{refused:?}");
        let refused = ServerTls::prepare(
            dir.path(),
            &setup(&chain),
            "0.0.0.0:8443".parse().unwrap(),
            at(NOW),
        )
        .unwrap_err();
        assert_eq!(
            refused.code(),
            "tls_file_invalid",
            "a certificate given as the key: {refused:?}"
        );
    }
}
