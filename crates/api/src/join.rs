//! What the welcome page's « Rejoindre la classe » QR code says, read and written in one place by
//! the world (which projects it), the app (which scans it or takes it pasted) and `idn --world`:
//! `https://host:port/#ca=<…>&id=<…>`, the world's address and, in the fragment (never sent to
//! a server), the SHA-256 of its local certificate authority (`ca`, absent when the world has
//! none) and of its Ed25519 identity key (`id`), each in unpadded base64url. The projected page is
//! the channel the class trusts: `ca` lets a device talk HTTPS to the world without installing
//! the authority, `id` replaces trust on first use of the world's identity key.

use crate::tls::{CaFingerprint, Trust};
use crate::WorldClient;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// The SHA-256 of a world's Ed25519 identity public key (its 32 bytes), as a QR code carries it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdentityFingerprint([u8; 32]);

impl IdentityFingerprint {
    /// The fingerprint of the identity public key `public_key` (its raw bytes).
    pub fn of(public_key: &[u8]) -> Self {
        Self(Sha256::digest(public_key).into())
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for IdentityFingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IdentityFingerprint({})", base64url(&self.0))
    }
}

/// A world to join, as a QR code or a typed address names it: its base URL (no trailing `/`,
/// no fragment) and what the code pins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinAddress {
    base_url: String,
    ca: Option<CaFingerprint>,
    identity: Option<IdentityFingerprint>,
}

/// A text that does not name a world to join.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoinError {
    /// Not an `http://` or `https://` address.
    #[error("not a world address: {0:?}")]
    NotHttp(String),
    /// The fragment names a fingerprint that cannot be one (cut, mistyped, or said twice).
    #[error("the {key:?} fingerprint of the join code is malformed: {value:?}")]
    Fingerprint { key: &'static str, value: String },
}

impl JoinError {
    /// The stable code to decide on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotHttp(_) => "world_url_invalid",
            Self::Fingerprint { .. } => "join_code_invalid",
        }
    }

    /// What the person reads.
    pub fn message_fr(&self) -> String {
        match self {
            Self::NotHttp(text) => format!(
                "Adresse de la classe invalide : « {text} ». Recopiez l'adresse donnée par votre formateur, ou scannez son QR code."
            ),
            Self::Fingerprint { key, .. } => {
                let what = match *key {
                    "ca" => "l'empreinte de l'autorité (ca=)",
                    _ => "l'empreinte de la clé du monde (id=)",
                };
                format!(
                    "Ce code pour rejoindre la classe est abîmé ou incomplet : {what} est illisible. Scannez à nouveau le QR code « Rejoindre la classe », ou recopiez l'adresse en entier."
                )
            }
        }
    }
}

impl JoinAddress {
    /// The world at `base_url` (a trailing `/` is dropped) pinning what is given.
    pub fn new(
        base_url: &str,
        ca: Option<CaFingerprint>,
        identity: Option<IdentityFingerprint>,
    ) -> Result<Self, JoinError> {
        let base_url = base_url.trim().trim_end_matches('/');
        let host = base_url
            .strip_prefix("http://")
            .or_else(|| base_url.strip_prefix("https://"));
        if host.is_none_or(str::is_empty) || base_url.contains('#') {
            return Err(JoinError::NotHttp(base_url.to_owned()));
        }
        Ok(Self {
            base_url: base_url.to_owned(),
            ca,
            identity,
        })
    }

    /// A scanned or pasted text: `http(s)://…`, then optionally `#ca=…&id=…`. A part of the
    /// fragment this version does not know is skipped (a newer world may add one); a known one
    /// that is malformed or repeated refuses the whole text.
    pub fn parse(text: &str) -> Result<Self, JoinError> {
        let text = text.trim();
        let (address, fragment) = text.split_once('#').unwrap_or((text, ""));
        let mut ca = None;
        let mut identity = None;
        for part in fragment.split('&').filter(|part| !part.is_empty()) {
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            let (key, slot) = match key {
                "ca" => ("ca", &mut ca),
                "id" => ("id", &mut identity),
                _ => continue,
            };
            let malformed = || JoinError::Fingerprint {
                key,
                value: value.to_owned(),
            };
            if slot.is_some() {
                return Err(malformed());
            }
            *slot = Some(fingerprint_bytes(value).ok_or_else(malformed)?);
        }
        Self::new(
            address,
            ca.map(CaFingerprint::from_bytes),
            identity.map(IdentityFingerprint),
        )
    }

    /// The world's address, as clients call it.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The authority the code pins, if the world has a local one.
    pub fn ca(&self) -> Option<CaFingerprint> {
        self.ca
    }

    /// The identity key the code names: the device's first pin of this world must be it.
    pub fn identity(&self) -> Option<IdentityFingerprint> {
        self.identity
    }

    /// `#ca=…&id=…` (only the parts known), or nothing: what follows a page's address in a QR
    /// code (`/application` carries it too).
    pub fn fragment(&self) -> String {
        let parts: Vec<String> = [
            self.ca.map(|ca| format!("ca={}", base64url(ca.as_bytes()))),
            self.identity.map(|id| format!("id={}", base64url(&id.0))),
        ]
        .into_iter()
        .flatten()
        .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!("#{}", parts.join("&"))
        }
    }

    /// Whom a client of this world believes: the operating system, and the pinned authority.
    pub fn trust(&self) -> Trust {
        match self.ca {
            Some(ca) => Trust::platform().with_pinned_ca(ca),
            None => Trust::platform(),
        }
    }

    /// A client of this world with [`JoinAddress::trust`].
    pub fn client(&self) -> WorldClient {
        let trust = self.trust();
        WorldClient::configured(&self.base_url, move |builder| trust.configure(builder))
    }
}

/// The join code's text: the address alone when nothing is pinned, else `base/#ca=…&id=…`.
impl std::fmt::Display for JoinAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fragment = self.fragment();
        if fragment.is_empty() {
            f.write_str(&self.base_url)
        } else {
            write!(f, "{}/{fragment}", self.base_url)
        }
    }
}

/// Unpadded base64url (RFC 4648 §5), what URL fragments carry without escaping.
fn base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// 32 bytes from unpadded base64url (padding is tolerated: some scanners add it). The decoder
/// refuses non-zero leftover bits, so one fingerprint has one spelling.
fn fingerprint_bytes(text: &str) -> Option<[u8; 32]> {
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .ok()?
        .try_into()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CA: [u8; 32] = [0xAB; 32];

    fn identity() -> IdentityFingerprint {
        IdentityFingerprint::of(&[7; 32])
    }

    #[test]
    fn a_join_code_reads_back_what_was_written() {
        let full = JoinAddress::new(
            "https://192.168.1.20:8787/",
            Some(CaFingerprint::from_bytes(CA)),
            Some(identity()),
        )
        .unwrap();
        let text = full.to_string();
        assert!(
            text.starts_with("https://192.168.1.20:8787/#ca=q6ur")
                && text.contains("&id=")
                && !text.ends_with('='),
            "{text}"
        );
        assert_eq!(JoinAddress::parse(&text), Ok(full.clone()));
        assert_eq!(full.base_url(), "https://192.168.1.20:8787");

        let identity_only =
            JoinAddress::new("http://salle-12.home.arpa:8787", None, Some(identity())).unwrap();
        assert!(!identity_only.to_string().contains("ca="), "no authority, no ca");
        assert_eq!(JoinAddress::parse(&identity_only.to_string()), Ok(identity_only));

        let bare = JoinAddress::parse("  http://127.0.0.1:8787/ ").unwrap();
        assert_eq!(
            (bare.base_url(), bare.ca(), bare.identity()),
            ("http://127.0.0.1:8787", None, None),
            "a typed address without fragment is a world as before"
        );
        assert_eq!(bare.to_string(), "http://127.0.0.1:8787");
        assert_eq!(JoinAddress::parse("http://127.0.0.1:8787/#").unwrap(), bare);
    }

    #[test]
    fn a_join_code_skips_what_it_does_not_know_and_tolerates_padding() {
        let written = JoinAddress::new(
            "https://classe.local",
            Some(CaFingerprint::from_bytes(CA)),
            Some(identity()),
        )
        .unwrap();
        let padded = format!("{}=&v=2&", written.to_string().replace("&id=", "&futur=1&id="));
        assert_eq!(JoinAddress::parse(&padded), Ok(written));
    }

    #[test]
    fn a_malformed_join_code_is_refused_in_french() {
        let good = base64url(&CA);
        for (text, code) in [
            ("192.168.1.20:8787", "world_url_invalid"),
            ("https://", "world_url_invalid"),
            ("WIFI:T:WPA;S:classe;;", "world_url_invalid"),
            ("https://h/#ca=", "join_code_invalid"),
            ("https://h/#ca=AB:CD", "join_code_invalid"),
            (&format!("https://h/#ca={}", &good[..40]), "join_code_invalid"),
            (&format!("https://h/#id={good}A"), "join_code_invalid"),
            (&format!("https://h/#ca={good}&ca={good}"), "join_code_invalid"),
            // The last character of 32 bytes carries 4 bits: `r` leaves some set.
            (&format!("https://h/#id={}r", &good[..42]), "join_code_invalid"),
        ] {
            let refused = JoinAddress::parse(text).unwrap_err();
            assert_eq!(refused.code(), code, "{text:?}: {refused:?}");
            assert!(
                !refused.message_fr().is_empty() && !refused.message_fr().contains("malformed"),
                "{text:?}: a French reason: {}",
                refused.message_fr()
            );
        }
        let cut = JoinAddress::parse("https://h/#id=abc").unwrap_err();
        assert!(
            cut.message_fr().contains("clé du monde") && cut.message_fr().contains("Scannez à nouveau"),
            "{}",
            cut.message_fr()
        );
    }
}
