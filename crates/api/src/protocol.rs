//! The approval protocol, shared by the device and the world.
//!
//! At activation the device creates an Ed25519 key pair (the private half never leaves its
//! vault) and seals the chosen secret code to the world's HPKE key (RFC 9180, X25519 +
//! HKDF-SHA256 + ChaCha20-Poly1305), bound to what it answers. Every approval is signed with the
//! device key over the request and its fresh challenge, and carries the code sealed again. The
//! world opens it, compares a keyed HMAC with its verifier, and counts failures. The device
//! stores no code; the database stores only the HMAC, whose key lives outside it.
//!
//! The world's HPKE key is endorsed by its Ed25519 identity key, so that a device which pinned
//! the identity at its first contact can tell the world's key from one a relay swapped in.

use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem, OpModeR, OpModeS, Serializable};
use rand::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};

use crate::{SealedSecretCode, WorldKeys};

pub const HPKE_SUITE: &str = "DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305";
const HPKE_INFO: &[u8] = b"idn-sandbox/v1/secret-code";

pub type WorldPrivateKey = <X25519HkdfSha256 as Kem>::PrivateKey;
pub type WorldPublicKey = <X25519HkdfSha256 as Kem>::PublicKey;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtocolError;

pub fn generate_world_key(rng: &mut (impl CryptoRng + RngCore)) -> (WorldPrivateKey, WorldPublicKey) {
    X25519HkdfSha256::gen_keypair(rng)
}

pub fn public_key_hex(key: &WorldPublicKey) -> String {
    hex::encode(key.to_bytes())
}

pub fn parse_public_key(hex_key: &str) -> Result<WorldPublicKey, ProtocolError> {
    let bytes = hex::decode(hex_key).map_err(|_| ProtocolError)?;
    WorldPublicKey::from_bytes(&bytes).map_err(|_| ProtocolError)
}

pub fn private_key_bytes(key: &WorldPrivateKey) -> Vec<u8> {
    key.to_bytes().to_vec()
}

pub fn parse_private_key(bytes: &[u8]) -> Result<WorldPrivateKey, ProtocolError> {
    WorldPrivateKey::from_bytes(bytes).map_err(|_| ProtocolError)
}

pub fn public_from_private(key: &WorldPrivateKey) -> WorldPublicKey {
    X25519HkdfSha256::sk_to_pk(key)
}

/// What the world's identity key signs to endorse an HPKE key: this label, the key id and the
/// key, all of fixed length (21 + 16 + 32 bytes), so no two endorsed keys share a message.
const ENDORSEMENT_LABEL: &[u8] = b"idn-world-hpke-key-v1";

/// The world's long-lived signing key (Ed25519): it never seals anything, it vouches for the
/// HPKE key devices seal to.
pub type WorldIdentityKey = ed25519_dalek::SigningKey;

/// The first 16 bytes of SHA-256 of the HPKE public key: what names one HPKE key.
pub fn hpke_key_id(key: &WorldPublicKey) -> [u8; 16] {
    let digest = Sha256::digest(key.to_bytes());
    let mut id = [0u8; 16];
    id.copy_from_slice(&digest[..16]);
    id
}

fn endorsement_message(key: &WorldPublicKey) -> Vec<u8> {
    let mut message = ENDORSEMENT_LABEL.to_vec();
    message.extend_from_slice(&hpke_key_id(key));
    message.extend_from_slice(&key.to_bytes());
    message
}

/// The answer of `GET /api/keys`: the HPKE key, its id and its endorsement by `identity`.
pub fn world_keys(identity: &WorldIdentityKey, hpke: &WorldPublicKey) -> WorldKeys {
    use ed25519_dalek::Signer;
    WorldKeys {
        hpke_suite: HPKE_SUITE.into(),
        hpke_public_key: public_key_hex(hpke),
        key_id: hex::encode(hpke_key_id(hpke)),
        identity_public_key: hex::encode(identity.verifying_key().to_bytes()),
        endorsement: hex::encode(identity.sign(&endorsement_message(hpke)).to_bytes()),
    }
}

/// A world's keys whose endorsement holds: the HPKE key was signed by this identity (which says
/// nothing yet about whether the identity is the world's: the device compares it with its pin).
#[derive(Debug, Clone)]
pub struct EndorsedWorldKeys {
    /// Ed25519 public key, lowercase hex (as sent, once parsed).
    pub identity_public_key: String,
    /// X25519 public key, lowercase hex.
    pub hpke_public_key: String,
    pub hpke: WorldPublicKey,
}

/// Checks a `GET /api/keys` answer: the suite is ours, `key_id` names the HPKE key, and the
/// endorsement is the identity key's strict Ed25519 signature over it. Any failure is one error:
/// the device refuses the keys whatever was wrong with them.
pub fn verify_world_keys(keys: &WorldKeys) -> Result<EndorsedWorldKeys, ProtocolError> {
    if keys.hpke_suite != HPKE_SUITE {
        return Err(ProtocolError);
    }
    let hpke = parse_public_key(&keys.hpke_public_key)?;
    let key_id = hex::decode(&keys.key_id).map_err(|_| ProtocolError)?;
    if key_id != hpke_key_id(&hpke) {
        return Err(ProtocolError);
    }
    let identity = parse_verifying_key(&keys.identity_public_key).ok_or(ProtocolError)?;
    let signature = hex::decode(&keys.endorsement).map_err(|_| ProtocolError)?;
    let signature = ed25519_dalek::Signature::from_slice(&signature).map_err(|_| ProtocolError)?;
    identity
        .verify_strict(&endorsement_message(&hpke), &signature)
        .map_err(|_| ProtocolError)?;
    Ok(EndorsedWorldKeys {
        identity_public_key: hex::encode(identity.to_bytes()),
        hpke_public_key: public_key_hex(&hpke),
        hpke,
    })
}

fn parse_verifying_key(hex_key: &str) -> Option<ed25519_dalek::VerifyingKey> {
    let bytes = hex::decode(hex_key).ok()?;
    let bytes = <[u8; 32]>::try_from(bytes.as_slice()).ok()?;
    ed25519_dalek::VerifyingKey::from_bytes(&bytes).ok()
}

/// Seals the secret code to the world, bound to `context` (what the code answers).
pub fn seal_secret_code(
    world_key: &WorldPublicKey,
    code: &str,
    context: &[u8],
    rng: &mut (impl CryptoRng + RngCore),
) -> Result<SealedSecretCode, ProtocolError> {
    let (encapsulated, ciphertext) =
        hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256, _>(
            &OpModeS::Base,
            world_key,
            HPKE_INFO,
            code.as_bytes(),
            context,
            rng,
        )
        .map_err(|_| ProtocolError)?;
    Ok(SealedSecretCode {
        encapsulated_key: hex::encode(encapsulated.to_bytes()),
        ciphertext: hex::encode(ciphertext),
    })
}

/// Opens a sealed code; fails if it was sealed for another context or tampered with.
pub fn open_secret_code(
    world_key: &WorldPrivateKey,
    sealed: &SealedSecretCode,
    context: &[u8],
) -> Result<String, ProtocolError> {
    let encapsulated = hex::decode(&sealed.encapsulated_key).map_err(|_| ProtocolError)?;
    let encapsulated =
        <X25519HkdfSha256 as Kem>::EncappedKey::from_bytes(&encapsulated).map_err(|_| ProtocolError)?;
    let ciphertext = hex::decode(&sealed.ciphertext).map_err(|_| ProtocolError)?;
    let plaintext = hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256>(
        &OpModeR::Base,
        world_key,
        &encapsulated,
        HPKE_INFO,
        &ciphertext,
        context,
    )
    .map_err(|_| ProtocolError)?;
    String::from_utf8(plaintext).map_err(|_| ProtocolError)
}

/// Identifies one answer: the same sealed code sent twice is a replay.
pub fn sealed_digest(sealed: &SealedSecretCode) -> String {
    let mut hasher = Sha256::new();
    hasher.update(sealed.encapsulated_key.as_bytes());
    hasher.update(b"\0");
    hasher.update(sealed.ciphertext.as_bytes());
    hex::encode(hasher.finalize())
}

fn message(parts: &[&str]) -> Vec<u8> {
    parts.join("\n").into_bytes()
}

/// HPKE context of the code sealed at activation.
pub fn activation_context(learner_id: &str, device_id: &str, device_public_key: &str) -> Vec<u8> {
    message(&[
        "idn-sandbox/v1/activation",
        learner_id,
        device_id,
        device_public_key,
    ])
}

/// What the device signs at activation: proof it holds the private key it enrols.
pub fn activation_message(
    learner_id: &str,
    device_id: &str,
    device_public_key: &str,
    sealed: &SealedSecretCode,
) -> Vec<u8> {
    message(&[
        "idn-sandbox/v1/activation-signature",
        learner_id,
        device_id,
        device_public_key,
        &sealed_digest(sealed),
    ])
}

/// HPKE context of the code sealed for one approval: it cannot be replayed on another.
pub fn approval_context(learner_id: &str, request_id: &str, challenge: &str) -> Vec<u8> {
    message(&["idn-sandbox/v1/approval", learner_id, request_id, challenge])
}

/// Everything an answer to a login request decides on; the device signs all of it, so a
/// signature cannot be moved to another request, service, deadline or decision.
#[derive(Debug, Clone, Copy)]
pub struct RequestTerms<'a> {
    pub learner_id: &'a str,
    pub request_id: &'a str,
    pub relying_party: &'a str,
    pub challenge: &'a str,
    pub deadline: chrono::DateTime<chrono::Utc>,
    pub device_id: &'a str,
}

impl RequestTerms<'_> {
    fn parts(&self, decision: &'static str) -> Vec<String> {
        vec![
            self.learner_id.to_owned(),
            self.request_id.to_owned(),
            self.relying_party.to_owned(),
            self.challenge.to_owned(),
            self.deadline.timestamp_micros().to_string(),
            self.device_id.to_owned(),
            decision.to_owned(),
        ]
    }
}

/// What the device signs to approve a login request ("approve", with the sealed code).
pub fn approval_message(terms: &RequestTerms<'_>, sealed: &SealedSecretCode) -> Vec<u8> {
    let mut parts = vec!["idn-sandbox/v1/approval-signature".to_owned()];
    parts.extend(terms.parts("approve"));
    parts.push(sealed_digest(sealed));
    parts.join("\n").into_bytes()
}

/// What the device signs to refuse a login request ("Ce n'est pas moi").
pub fn decline_message(terms: &RequestTerms<'_>) -> Vec<u8> {
    let mut parts = vec!["idn-sandbox/v1/decline-signature".to_owned()];
    parts.extend(terms.parts("decline"));
    parts.join("\n").into_bytes()
}

/// Verifies an Ed25519 signature (hex key and signature).
pub fn verify_signature(public_key_hex: &str, signed: &[u8], signature_hex: &str) -> bool {
    use ed25519_dalek::Signature;
    let Some(key) = parse_verifying_key(public_key_hex) else {
        return false;
    };
    let Ok(signature) = hex::decode(signature_hex) else {
        return false;
    };
    let Ok(signature) = Signature::from_slice(&signature) else {
        return false;
    };
    key.verify_strict(signed, &signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::OsRng;

    #[test]
    fn sealed_code_opens_only_in_its_own_context() {
        let (private, public) = generate_world_key(&mut OsRng);
        let context = approval_context("learner", "request-1", "abcd");
        let sealed = seal_secret_code(&public, "1234", &context, &mut OsRng).unwrap();
        assert_eq!(open_secret_code(&private, &sealed, &context).unwrap(), "1234");
        let other = approval_context("learner", "request-2", "abcd");
        assert_eq!(
            open_secret_code(&private, &sealed, &other),
            Err(ProtocolError),
            "replay on another request must fail"
        );
    }

    fn endorsed_by_a_new_identity() -> (WorldIdentityKey, WorldPublicKey, WorldKeys) {
        let identity = WorldIdentityKey::generate(&mut OsRng);
        let (_, hpke) = generate_world_key(&mut OsRng);
        let keys = world_keys(&identity, &hpke);
        (identity, hpke, keys)
    }

    #[test]
    fn a_worlds_endorsed_hpke_key_verifies_under_its_identity() {
        let (identity, hpke, keys) = endorsed_by_a_new_identity();
        let endorsed = verify_world_keys(&keys).expect("the world's own answer verifies");
        assert_eq!(endorsed.hpke, hpke);
        assert_eq!(
            endorsed.identity_public_key,
            hex::encode(identity.verifying_key().to_bytes())
        );
        assert_eq!(keys.key_id.len(), 32, "16 bytes of SHA-256, hex");
    }

    #[test]
    fn an_endorsement_with_any_byte_altered_is_refused() {
        let (_, _, keys) = endorsed_by_a_new_identity();
        // One bit of any byte of the key, its id, the identity or the signature.
        let flip = |hex_text: &str, byte: usize| {
            let mut bytes = hex::decode(hex_text).unwrap();
            bytes[byte] ^= 0x01;
            hex::encode(bytes)
        };
        for byte in 0..32 {
            let mut altered = keys.clone();
            altered.hpke_public_key = flip(&keys.hpke_public_key, byte);
            assert!(verify_world_keys(&altered).is_err(), "HPKE key byte {byte}");
            let mut altered = keys.clone();
            altered.identity_public_key = flip(&keys.identity_public_key, byte);
            assert!(verify_world_keys(&altered).is_err(), "identity byte {byte}");
        }
        for byte in 0..16 {
            let mut altered = keys.clone();
            altered.key_id = flip(&keys.key_id, byte);
            assert!(verify_world_keys(&altered).is_err(), "key id byte {byte}");
        }
        for byte in 0..64 {
            let mut altered = keys.clone();
            altered.endorsement = flip(&keys.endorsement, byte);
            assert!(verify_world_keys(&altered).is_err(), "endorsement byte {byte}");
        }
    }

    #[test]
    fn a_relays_key_with_the_worlds_endorsement_or_its_own_identity_is_told_apart() {
        let (_, _, world) = endorsed_by_a_new_identity();
        let (relay_identity, relay_hpke, relay) = endorsed_by_a_new_identity();
        // The relay's key under the world's endorsement (its id recomputed): the signature fails.
        let mut swapped = world.clone();
        swapped.hpke_public_key = relay.hpke_public_key.clone();
        swapped.key_id = relay.key_id.clone();
        assert!(verify_world_keys(&swapped).is_err());
        // Signed by the relay's own identity it verifies, as another identity: the pin decides.
        let endorsed = verify_world_keys(&world_keys(&relay_identity, &relay_hpke)).unwrap();
        assert_ne!(endorsed.identity_public_key, world.identity_public_key);
    }
}
