//! Tokens as FranceConnect+ exchanges them: a JWT signed with ES256, then encrypted to the
//! recipient's key (RSA-OAEP for RSA keys, ECDH-ES for P-256 keys, content always A256GCM).
//! The cryptography is josekit's (over OpenSSL); nothing here is hand-written crypto. The
//! providers' keys live in `federation-keys.json` next to the database, never in it.
//!
//! Keys are turned into OpenSSL objects once (signers, decrypters, verifiers, recipients'
//! encrypters), not per token: OpenSSL 3's key decoders cost more than the signature itself
//! (a quarter of the CPU of a login in the federation benchmark before this was done).

use crate::keys::write_private_file;
use crate::WorldError;
use josekit::jwe::{self, JweDecrypter, JweEncrypter, JweHeader};
use josekit::jwk::{alg::ec::EcCurve, Jwk, JwkSet};
use josekit::jws::alg::ecdsa::EcdsaJwsSigner;
use josekit::jws::{JwsHeader, JwsVerifier, ES256};
use josekit::jwt::{self, JwtPayload};
use josekit::JoseError;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

const KEYS_FILE: &str = "federation-keys.json";
/// The only content encryption FranceConnect+ uses.
pub const CONTENT_ENCRYPTION: &str = "A256GCM";
pub const SIGNING_ALG: &str = "ES256";

/// Why a token could not be made or read; the detail is for logs, never for people.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("{0}: {1}")]
    Jose(&'static str, #[source] JoseError),
    #[error("{0}")]
    Rule(&'static str),
}

fn failed(context: &'static str) -> impl FnOnce(JoseError) -> TokenError {
    move |source| TokenError::Jose(context, source)
}

/// The public half of a key, keeping its `kid`, `alg` and `use` (josekit drops them), so that
/// headers name the key and decrypters find it.
fn public_of(private: &Jwk) -> Result<Jwk, JoseError> {
    let mut public = private.to_public_key()?;
    if let Some(kid) = private.key_id() {
        public.set_key_id(kid);
    }
    if let Some(alg) = private.algorithm() {
        public.set_algorithm(alg);
    }
    if let Some(key_use) = private.key_use() {
        public.set_key_use(key_use);
    }
    Ok(public)
}

/// A provider's ES256 key pair, with its signer made once.
pub struct SigningKey {
    private: Jwk,
    public: Jwk,
    signer: EcdsaJwsSigner,
}

impl SigningKey {
    fn generate(kid: &str) -> Result<Self, JoseError> {
        let mut private = Jwk::generate_ec_key(EcCurve::P256)?;
        private.set_key_id(kid);
        private.set_algorithm(SIGNING_ALG);
        private.set_key_use("sig");
        Self::from_private(private)
    }

    fn from_private(private: Jwk) -> Result<Self, JoseError> {
        let public = public_of(&private)?;
        let signer = ES256.signer_from_jwk(&private)?;
        Ok(Self {
            private,
            public,
            signer,
        })
    }

    pub fn public(&self) -> &Jwk {
        &self.public
    }

    pub fn jwks(&self) -> JwkSet {
        let mut set = JwkSet::new();
        set.push_key(self.public.clone());
        set
    }
}

/// A decryption key pair (ours, or a demo relying party's), with its decrypter made once.
pub struct DecryptionKey {
    private: Jwk,
    public: Jwk,
    decrypter: Box<dyn JweDecrypter>,
}

impl DecryptionKey {
    /// An RSA-2048 key for RSA-OAEP.
    pub fn generate_rsa(kid: &str) -> Result<Self, JoseError> {
        let mut private = Jwk::generate_rsa_key(2048)?;
        private.set_algorithm("RSA-OAEP");
        Self::finish(private, kid)
    }

    /// A P-256 key for ECDH-ES.
    pub fn generate_ec(kid: &str) -> Result<Self, JoseError> {
        let mut private = Jwk::generate_ec_key(EcCurve::P256)?;
        private.set_algorithm("ECDH-ES");
        Self::finish(private, kid)
    }

    fn finish(mut private: Jwk, kid: &str) -> Result<Self, JoseError> {
        private.set_key_id(kid);
        private.set_key_use("enc");
        Self::from_private(private)
    }

    fn from_private(private: Jwk) -> Result<Self, JoseError> {
        let public = public_of(&private)?;
        let decrypter = decrypter_for(&private)?;
        Ok(Self {
            private,
            public,
            decrypter,
        })
    }

    pub fn public(&self) -> &Jwk {
        &self.public
    }

    pub fn private(&self) -> &Jwk {
        &self.private
    }
}

/// The encryption algorithm a recipient's public key calls for.
fn encrypter_for(recipient: &Jwk) -> Result<Box<dyn JweEncrypter>, JoseError> {
    Ok(match recipient.key_type() {
        "RSA" => Box::new(jwe::RSA_OAEP.encrypter_from_jwk(recipient)?),
        _ => Box::new(jwe::ECDH_ES.encrypter_from_jwk(recipient)?),
    })
}

fn decrypter_for(key: &Jwk) -> Result<Box<dyn JweDecrypter>, JoseError> {
    Ok(match key.key_type() {
        "RSA" => Box::new(jwe::RSA_OAEP.decrypter_from_jwk(key)?),
        _ => Box::new(jwe::ECDH_ES.decrypter_from_jwk(key)?),
    })
}

/// Whether a relying party's public key can receive our tokens: an RSA key of 2048 bits or more,
/// or a P-256 key, with no private part.
pub fn check_recipient_key(jwk: &Jwk) -> Result<(), &'static str> {
    if jwk.parameter("d").is_some() {
        return Err("the key holds a private part: register the public key only");
    }
    match jwk.key_type() {
        "RSA" => {
            let bits = jwk
                .parameter("n")
                .and_then(Value::as_str)
                .map_or(0, |n| n.trim_end_matches('=').len() * 6);
            if bits < 2040 {
                return Err("RSA keys must have at least 2048 bits");
            }
        }
        "EC" if jwk.curve() == Some("P-256") => {}
        _ => return Err("the key must be RSA (RSA-OAEP) or EC P-256 (ECDH-ES)"),
    }
    encrypter_for(jwk)
        .map(|_| ())
        .map_err(|_| "the key cannot encrypt")
}

/// A recipient's public key, ready to encrypt to.
pub struct Recipient {
    kid: Option<String>,
    encrypter: Box<dyn JweEncrypter>,
}

impl Recipient {
    pub fn of(jwk: &Jwk) -> Result<Self, TokenError> {
        Ok(Self {
            kid: jwk.key_id().map(str::to_owned),
            encrypter: encrypter_for(jwk).map_err(failed("recipient key"))?,
        })
    }
}

/// Recipients' encrypters by key (the JWK's JSON): relying parties' keys are read from storage
/// or their JWKS URL at every token, and turned into an encrypter once.
#[derive(Default)]
pub struct Recipients {
    ready: Mutex<HashMap<String, Arc<Recipient>>>,
}

/// Enough for every registered relying party of a class; beyond it, the cache starts afresh.
const MAX_CACHED_RECIPIENTS: usize = 1024;

impl Recipients {
    pub fn get(&self, jwk: &Jwk) -> Result<Arc<Recipient>, TokenError> {
        let key = jwk.to_string();
        if let Some(ready) = self.ready.lock().expect("recipients lock").get(&key) {
            return Ok(ready.clone());
        }
        let recipient = Arc::new(Recipient::of(jwk)?);
        let mut ready = self.ready.lock().expect("recipients lock");
        if ready.len() >= MAX_CACHED_RECIPIENTS {
            ready.clear();
        }
        ready.insert(key, recipient.clone());
        Ok(recipient)
    }
}

/// An issuer's published ES256 keys, ready to verify with.
pub struct IssuerKeys {
    verifiers: Vec<(Option<String>, Box<dyn JwsVerifier>)>,
}

impl IssuerKeys {
    /// The usable keys of `set` (others are skipped: a JWKS may hold keys of other kinds).
    pub fn of(set: &JwkSet) -> Self {
        Self {
            verifiers: set
                .keys()
                .into_iter()
                .filter_map(|jwk| {
                    let verifier = ES256.verifier_from_jwk(jwk).ok()?;
                    Some((
                        jwk.key_id().map(str::to_owned),
                        Box::new(verifier) as Box<dyn JwsVerifier>,
                    ))
                })
                .collect(),
        }
    }
}

/// A token as a provider issues it: the signed JWT and its encryption to the recipient.
pub struct Sealed {
    /// The compact JWE sent to the recipient.
    pub encrypted: String,
    /// The compact JWS inside it, which the recipient holds once it has decrypted the token.
    pub signed: String,
}

/// Signs `claims` with ES256 and encrypts the result to `recipient`.
pub fn seal(
    claims: &Map<String, Value>,
    signer: &SigningKey,
    recipient: &Recipient,
) -> Result<Sealed, TokenError> {
    let mut header = JwsHeader::new();
    header.set_token_type("JWT");
    if let Some(kid) = signer.private.key_id() {
        header.set_key_id(kid);
    }
    let payload = JwtPayload::from_map(claims.clone()).map_err(failed("claims"))?;
    let signed = jwt::encode_with_signer(&payload, &header, &signer.signer).map_err(failed("signature"))?;
    let mut header = JweHeader::new();
    header.set_content_encryption(CONTENT_ENCRYPTION);
    header.set_content_type("JWT");
    if let Some(kid) = &recipient.kid {
        header.set_key_id(kid);
    }
    let encrypted = jwe::serialize_compact(signed.as_bytes(), &header, recipient.encrypter.as_ref())
        .map_err(failed("encryption"))?;
    Ok(Sealed { encrypted, signed })
}

/// A token decrypted and verified: its claims, and the signed JWT it carried.
pub struct Opened {
    pub claims: Map<String, Value>,
    pub signed: String,
}

/// Decrypts `token` with `key`, then checks its ES256 signature against `issuer_keys`.
/// The caller checks `iss`, `aud`, `exp` and `nonce`.
pub fn open(token: &str, key: &DecryptionKey, issuer_keys: &IssuerKeys) -> Result<Opened, TokenError> {
    let (signed, header) =
        jwe::deserialize_compact(token, key.decrypter.as_ref()).map_err(failed("decryption"))?;
    if header.content_encryption() != Some(CONTENT_ENCRYPTION) {
        return Err(TokenError::Rule("content encryption must be A256GCM"));
    }
    let signed =
        String::from_utf8(signed).map_err(|_| TokenError::Rule("the decrypted token is not text"))?;
    let (payload, _) = jwt::decode_with_verifier_selector(&signed, |header| {
        // Only ES256, and only the issuer's key named by `kid` (any of them when unnamed).
        if header.algorithm() != Some(SIGNING_ALG) {
            return Ok(None);
        }
        Ok(issuer_keys
            .verifiers
            .iter()
            .find(|(kid, _)| header.key_id().is_none() || kid.as_deref() == header.key_id())
            .map(|(_, verifier)| verifier.as_ref()))
    })
    .map_err(failed("signature"))?;
    Ok(Opened {
        claims: payload.claims_set().clone(),
        signed,
    })
}

/// Everything the two providers keep secret: signing keys, FranceConnect+'s decryption key
/// (La Poste encrypts to it), the keys of the pairwise `sub`, and FranceConnect+'s client secret
/// at La Poste. Created on first start, then read back so tokens and `sub`s survive restarts.
pub struct FederationKeys {
    pub fcplus_signing: SigningKey,
    pub laposte_signing: SigningKey,
    pub fcplus_decryption: DecryptionKey,
    pub fcplus_pairwise: [u8; 32],
    pub laposte_pairwise: [u8; 32],
    pub fcplus_client_secret: String,
}

/// The demo sites' own decryption keys (Mon Compte Formation: RSA-OAEP; Mon Compte Élu:
/// ECDH-ES), stored with the providers' keys so that a restart does not spend a fresh RSA key
/// generation (0.2–0.5 s here) before the world answers.
pub struct SiteKeys {
    pub mcf: DecryptionKey,
    pub elu: DecryptionKey,
}

#[derive(Serialize, Deserialize)]
struct StoredKeys {
    fcplus_signing: Map<String, Value>,
    laposte_signing: Map<String, Value>,
    fcplus_decryption: Map<String, Value>,
    fcplus_pairwise: String,
    laposte_pairwise: String,
    fcplus_client_secret: String,
    /// Absent from files written before the demo sites' keys were kept: made and added then.
    #[serde(default)]
    mcf_decryption: Option<Map<String, Value>>,
    #[serde(default)]
    elu_decryption: Option<Map<String, Value>>,
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn corrupt(what: &str) -> WorldError {
    WorldError::Corrupt(format!("{KEYS_FILE}: {what}"))
}

impl FederationKeys {
    /// Reads `federation-keys.json` from `data_dir`, creating it (mode 0600) on first start and
    /// adding the keys an older file lacks.
    pub fn load_or_create(data_dir: &Path) -> Result<(Self, SiteKeys), WorldError> {
        let path = data_dir.join(KEYS_FILE);
        let generation_failed = |error: JoseError| WorldError::Corrupt(format!("key generation: {error}"));
        let (mut stored, mut changed) = match std::fs::read(&path) {
            Ok(bytes) => (
                serde_json::from_slice::<StoredKeys>(&bytes).map_err(|_| corrupt("unreadable"))?,
                false,
            ),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let generated = (|| -> Result<StoredKeys, JoseError> {
                    Ok(StoredKeys {
                        fcplus_signing: SigningKey::generate("fcplus-es256-1")?.private.as_ref().clone(),
                        laposte_signing: SigningKey::generate("laposte-es256-1")?.private.as_ref().clone(),
                        fcplus_decryption: DecryptionKey::generate_ec("fcplus-ecdh-1")?
                            .private
                            .as_ref()
                            .clone(),
                        fcplus_pairwise: random_hex(),
                        laposte_pairwise: random_hex(),
                        fcplus_client_secret: random_hex(),
                        mcf_decryption: None,
                        elu_decryption: None,
                    })
                })()
                .map_err(generation_failed)?;
                (generated, true)
            }
            Err(error) => return Err(error.into()),
        };
        if stored.mcf_decryption.is_none() {
            let key = DecryptionKey::generate_rsa("mcf-rsa-oaep").map_err(generation_failed)?;
            stored.mcf_decryption = Some(key.private.as_ref().clone());
            changed = true;
        }
        if stored.elu_decryption.is_none() {
            let key = DecryptionKey::generate_ec("elu-ecdh-es").map_err(generation_failed)?;
            stored.elu_decryption = Some(key.private.as_ref().clone());
            changed = true;
        }
        if changed {
            write_private_file(&path, &serde_json::to_vec(&stored).expect("keys serialise"))?;
        }
        Self::decode(stored)
    }

    fn decode(stored: StoredKeys) -> Result<(Self, SiteKeys), WorldError> {
        let jwk = |map: Map<String, Value>| Jwk::from_map(map).map_err(|_| corrupt("bad key"));
        let decryption = |map: Option<Map<String, Value>>| {
            DecryptionKey::from_private(jwk(map.ok_or_else(|| corrupt("missing key"))?)?)
                .map_err(|_| corrupt("bad key"))
        };
        let pairwise = |text: &str| -> Result<[u8; 32], WorldError> {
            hex::decode(text)
                .ok()
                .and_then(|bytes| bytes.try_into().ok())
                .ok_or_else(|| corrupt("bad pairwise key"))
        };
        let sites = SiteKeys {
            mcf: decryption(stored.mcf_decryption)?,
            elu: decryption(stored.elu_decryption)?,
        };
        let keys = Self {
            fcplus_signing: SigningKey::from_private(jwk(stored.fcplus_signing)?)
                .map_err(|_| corrupt("bad key"))?,
            laposte_signing: SigningKey::from_private(jwk(stored.laposte_signing)?)
                .map_err(|_| corrupt("bad key"))?,
            fcplus_decryption: DecryptionKey::from_private(jwk(stored.fcplus_decryption)?)
                .map_err(|_| corrupt("bad key"))?,
            fcplus_pairwise: pairwise(&stored.fcplus_pairwise)?,
            laposte_pairwise: pairwise(&stored.laposte_pairwise)?,
            fcplus_client_secret: stored.fcplus_client_secret,
        };
        Ok((keys, sites))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims() -> Map<String, Value> {
        json!({ "iss": "http://monde.invalid/fcplus", "sub": "abc", "given_name": "Jean Édouard" })
            .as_object()
            .unwrap()
            .clone()
    }

    #[test]
    fn sealed_tokens_open_with_the_recipient_key_and_the_issuer_jwks() {
        let issuer = SigningKey::generate("issuer").unwrap();
        for recipient in [
            DecryptionKey::generate_rsa("rp-rsa").unwrap(),
            DecryptionKey::generate_ec("rp-ec").unwrap(),
        ] {
            let token = seal(&claims(), &issuer, &Recipient::of(recipient.public()).unwrap()).unwrap();
            assert_eq!(
                token.encrypted.split('.').count(),
                5,
                "a compact JWE has five parts"
            );
            assert_eq!(
                token.signed.split('.').count(),
                3,
                "a compact JWS has three parts"
            );
            let opened = open(&token.encrypted, &recipient, &IssuerKeys::of(&issuer.jwks())).unwrap();
            assert_eq!(opened.claims["given_name"], "Jean Édouard");
            assert_eq!(
                opened.signed, token.signed,
                "the recipient finds the very JWS the issuer signed inside the JWE"
            );
        }
    }

    #[test]
    fn another_issuer_or_another_recipient_cannot_pass() {
        let issuer = SigningKey::generate("issuer").unwrap();
        let impostor = SigningKey::generate("issuer").unwrap();
        let recipient = DecryptionKey::generate_ec("rp").unwrap();
        let other = DecryptionKey::generate_ec("rp").unwrap();
        let to_recipient = Recipient::of(recipient.public()).unwrap();
        let issuer_keys = IssuerKeys::of(&issuer.jwks());
        let forged = seal(&claims(), &impostor, &to_recipient).unwrap();
        assert!(
            open(&forged.encrypted, &recipient, &issuer_keys).is_err(),
            "a signature by another key is refused even with the same kid"
        );
        let token = seal(&claims(), &issuer, &to_recipient).unwrap();
        assert!(open(&token.encrypted, &other, &issuer_keys).is_err());
    }

    #[test]
    fn a_relying_party_that_changes_its_key_gets_tokens_for_the_new_one() {
        let issuer = SigningKey::generate("issuer").unwrap();
        let issuer_keys = IssuerKeys::of(&issuer.jwks());
        let recipients = Recipients::default();
        let old = DecryptionKey::generate_ec("rp").unwrap();
        let new = DecryptionKey::generate_ec("rp").unwrap();
        let to_old = recipients.get(old.public()).unwrap();
        assert!(
            Arc::ptr_eq(&to_old, &recipients.get(old.public()).unwrap()),
            "the same key is made into an encrypter once"
        );
        let token = seal(&claims(), &issuer, &recipients.get(new.public()).unwrap()).unwrap();
        assert!(
            open(&token.encrypted, &new, &issuer_keys).is_ok(),
            "a new key with the same kid is not mistaken for the cached one"
        );
        assert!(open(&token.encrypted, &old, &issuer_keys).is_err());
    }

    #[test]
    fn only_public_rsa_2048_or_p256_keys_are_accepted_as_recipients() {
        let rsa = DecryptionKey::generate_rsa("k").unwrap();
        assert!(check_recipient_key(rsa.public()).is_ok());
        assert!(
            check_recipient_key(rsa.private()).is_err(),
            "private parts are refused"
        );
        let ec = DecryptionKey::generate_ec("k").unwrap();
        assert!(check_recipient_key(ec.public()).is_ok());
        let small = Jwk::generate_rsa_key(1024).unwrap().to_public_key().unwrap();
        assert!(check_recipient_key(&small).is_err());
    }

    #[test]
    fn keys_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let (first, first_sites) = FederationKeys::load_or_create(dir.path()).unwrap();
        let (again, again_sites) = FederationKeys::load_or_create(dir.path()).unwrap();
        assert_eq!(first.fcplus_signing.public(), again.fcplus_signing.public());
        assert_eq!(first.fcplus_pairwise, again.fcplus_pairwise);
        assert_eq!(first.fcplus_client_secret, again.fcplus_client_secret);
        assert_eq!(first_sites.mcf.public(), again_sites.mcf.public());
        assert_eq!(first_sites.elu.public(), again_sites.elu.public());
    }

    #[test]
    fn a_file_without_the_demo_sites_keys_gets_them_and_keeps_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let (first, _) = FederationKeys::load_or_create(dir.path()).unwrap();
        let path = dir.path().join(KEYS_FILE);
        let mut older: Map<String, Value> = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        older.remove("mcf_decryption");
        older.remove("elu_decryption");
        std::fs::write(&path, serde_json::to_vec(&older).unwrap()).unwrap();

        let (upgraded, sites) = FederationKeys::load_or_create(dir.path()).unwrap();
        assert_eq!(first.laposte_signing.public(), upgraded.laposte_signing.public());
        assert_eq!(sites.mcf.public().key_type(), "RSA");
        assert_eq!(sites.elu.public().key_type(), "EC");
        let (_, again) = FederationKeys::load_or_create(dir.path()).unwrap();
        assert_eq!(sites.mcf.public(), again.mcf.public());
    }
}
