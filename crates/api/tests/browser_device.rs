//! The browser device (`ui/src/backend/web`, TypeScript over WebCrypto and `@hpke/core`) and
//! this crate's protocol must produce and accept the same bytes. Two fixed sets of vectors, both
//! directions: `rust.json` is made here and checked by the TypeScript tests
//! (`ui/src/backend/web/protocol.test.ts`); `typescript.json` is made by those tests and checked
//! here, with the functions the world itself uses to open codes and verify signatures.
//! `IDN_BLESS=1 cargo test -p idn-api --test browser_device` rewrites `rust.json`;
//! `npm --prefix ui test -- -u` rewrites `typescript.json`.

use chrono::{DateTime, Utc};
use ed25519_dalek::{Signer, SigningKey};
use hpke::kem::X25519HkdfSha256;
use hpke::{Kem, Serializable};
use idn_api::protocol::{self, RequestTerms};
use idn_api::{ActivationRequest, ApprovalAnswer, DeclineAnswer, SealedSecretCode, WorldKeys};
use serde_json::{json, Value};
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/browser-device")
}

/// Gives HPKE the 32 bytes of its ephemeral key, once: the sealing is then a fixed function of
/// its inputs, which the browser device reproduces with the same bytes (`@hpke/core`'s `ekm`).
struct EphemeralSeed(Option<[u8; 32]>);

impl rand::RngCore for EphemeralSeed {
    fn next_u32(&mut self) -> u32 {
        unreachable!("HPKE draws its ephemeral seed with fill_bytes")
    }
    fn next_u64(&mut self) -> u64 {
        unreachable!("HPKE draws its ephemeral seed with fill_bytes")
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        let seed = self.0.take().expect("one ephemeral key per sealing");
        assert_eq!(dest.len(), 32, "an X25519 ephemeral seed is 32 bytes");
        dest.copy_from_slice(&seed);
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl rand::CryptoRng for EphemeralSeed {}

fn seal(world: &protocol::WorldPublicKey, code: &str, context: &[u8], seed: [u8; 32]) -> SealedSecretCode {
    protocol::seal_secret_code(world, code, context, &mut EphemeralSeed(Some(seed))).unwrap()
}

/// The world of both sets of vectors: its identity and HPKE keys from fixed seeds.
struct VectorWorld {
    identity: SigningKey,
    hpke_ikm: [u8; 32],
    private: protocol::WorldPrivateKey,
    public: protocol::WorldPublicKey,
}

fn world() -> VectorWorld {
    let hpke_ikm = [0x22; 32];
    let (private, public) = X25519HkdfSha256::derive_keypair(&hpke_ikm);
    VectorWorld {
        identity: SigningKey::from_bytes(&[0x11; 32]),
        hpke_ikm,
        private,
        public,
    }
}

fn terms_json(terms: &RequestTerms<'_>) -> Value {
    json!({
        "learner_id": terms.learner_id,
        "request_id": terms.request_id,
        "relying_party": terms.relying_party,
        "challenge": terms.challenge,
        "deadline": terms.deadline.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        "device_id": terms.device_id,
    })
}

/// The vectors this crate makes: every input, every intermediate message and every output.
fn rust_vectors() -> Value {
    let world = world();
    let keys = protocol::world_keys(&world.identity, &world.public);
    let device = SigningKey::from_bytes(&[0x33; 32]);
    let device_public = hex::encode(device.verifying_key().to_bytes());

    let (learner, device_id, secret) = ("apprenant-vecteur-rust", "telephone-vecteur-rust", "2580");
    let activation_seed = [0x44; 32];
    let context = protocol::activation_context(learner, device_id, &device_public);
    let sealed = seal(&world.public, secret, &context, activation_seed);
    let signed = protocol::activation_message(learner, device_id, &device_public, &sealed);
    let activation = ActivationRequest {
        activation_code: "482913".into(),
        device_id: device_id.into(),
        device_public_key: device_public.clone(),
        sealed_secret_code: sealed,
        signature: hex::encode(device.sign(&signed).to_bytes()),
    };

    let deadline: DateTime<Utc> = "2026-12-03T09:00:59.123456789Z".parse().unwrap();
    let challenge = "9f1c0e7a5b3d2f4e6a8c0b1d3f5e7a9c1b3d5f7e9a0c2e4f6b8d0a1c3e5f7b9d";
    let terms = RequestTerms {
        learner_id: learner,
        request_id: "demande-vecteur-rust",
        relying_party: "Mon Compte Formation",
        challenge,
        deadline,
        device_id,
    };
    let approval_seed = [0x55; 32];
    let approval_context = protocol::approval_context(learner, terms.request_id, challenge);
    let sealed = seal(&world.public, secret, &approval_context, approval_seed);
    let approval_signed = protocol::approval_message(&terms, &sealed);
    let approval = ApprovalAnswer {
        device_id: device_id.into(),
        sealed_secret_code: sealed,
        signature: hex::encode(device.sign(&approval_signed).to_bytes()),
    };
    let decline_signed = protocol::decline_message(&terms);
    let decline = DeclineAnswer {
        device_id: device_id.into(),
        signature: hex::encode(device.sign(&decline_signed).to_bytes()),
    };

    json!({
        "about": "Made by crates/api/tests/browser_device.rs (IDN_BLESS=1 rewrites it); checked by ui/src/backend/web/protocol.test.ts.",
        "hpke_suite": protocol::HPKE_SUITE,
        "world": {
            "identity_seed": hex::encode(world.identity.to_bytes()),
            "hpke_ikm": hex::encode(world.hpke_ikm),
            "hpke_private_key": hex::encode(protocol::private_key_bytes(&world.private)),
            "keys": keys,
        },
        "device": { "seed": hex::encode(device.to_bytes()), "public_key": device_public },
        "activation": {
            "learner_id": learner,
            "secret_code": secret,
            "ephemeral_seed": hex::encode(activation_seed),
            "context": hex::encode(&context),
            "signed": hex::encode(&signed),
            "request": activation,
        },
        "approval": {
            "terms": terms_json(&terms),
            "deadline_micros": deadline.timestamp_micros().to_string(),
            "secret_code": secret,
            "ephemeral_seed": hex::encode(approval_seed),
            "context": hex::encode(&approval_context),
            "signed": hex::encode(&approval_signed),
            "answer": approval,
        },
        "decline": {
            "terms": terms_json(&terms),
            "signed": hex::encode(&decline_signed),
            "answer": decline,
        },
    })
}

#[test]
fn the_committed_rust_vectors_are_what_this_crate_makes() {
    let path = fixtures().join("rust.json");
    let fresh = rust_vectors();
    if std::env::var_os("IDN_BLESS").is_some() {
        std::fs::create_dir_all(fixtures()).unwrap();
        let text = format!("{}\n", serde_json::to_string_pretty(&fresh).unwrap());
        std::fs::write(&path, text).unwrap();
        return;
    }
    // Compared as JSON values, not text: in a workspace build serde_json may keep insertion
    // order (another crate enables `preserve_order`), which changes the text but not the vectors.
    let committed: serde_json::Value = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    assert!(
        committed == fresh,
        "{} is not what the protocol makes now: if the change is meant, run `IDN_BLESS=1 cargo test -p idn-api \
         --test browser_device`, then `npm --prefix ui test` (the browser device must follow)",
        path.display()
    );
}

fn typescript_vectors() -> Value {
    let path = fixtures().join("typescript.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error} (made by `npm --prefix ui test`)", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("typescript.json has no text at {pointer}"))
}

fn seed(value: &Value, pointer: &str) -> [u8; 32] {
    hex::decode(text(value, pointer)).unwrap().try_into().unwrap()
}

fn terms_of<'a>(value: &'a Value, deadline: DateTime<Utc>) -> RequestTerms<'a> {
    RequestTerms {
        learner_id: text(value, "/learner_id"),
        request_id: text(value, "/request_id"),
        relying_party: text(value, "/relying_party"),
        challenge: text(value, "/challenge"),
        deadline,
        device_id: text(value, "/device_id"),
    }
}

#[test]
fn the_browser_devices_sealed_codes_open_in_the_world_and_its_signatures_verify() {
    let vectors = typescript_vectors();
    let world = world();
    assert_eq!(
        text(&vectors, "/world_hpke_public_key"),
        protocol::public_key_hex(&world.public),
        "the TypeScript vectors seal to the Rust vectors' world"
    );
    // The device key WebCrypto imported from the seed is the one Ed25519 derives from it.
    let device = SigningKey::from_bytes(&seed(&vectors, "/device/seed"));
    let device_public = hex::encode(device.verifying_key().to_bytes());
    assert_eq!(text(&vectors, "/device/public_key"), device_public);

    // Activation: the body as the browser sends it, read as the world reads it.
    let activation = &vectors["activation"];
    let request: ActivationRequest = serde_json::from_value(activation["request"].clone())
        .expect("the browser's activation body is the world's ActivationRequest");
    let learner = text(activation, "/learner_id");
    let context = protocol::activation_context(learner, &request.device_id, &request.device_public_key);
    assert_eq!(
        protocol::open_secret_code(&world.private, &request.sealed_secret_code, &context).as_deref(),
        Ok(text(activation, "/secret_code")),
        "the world opens the code the browser sealed at activation"
    );
    let signed = protocol::activation_message(
        learner,
        &request.device_id,
        &request.device_public_key,
        &request.sealed_secret_code,
    );
    assert!(
        protocol::verify_signature(&request.device_public_key, &signed, &request.signature),
        "the world accepts the browser's proof of possession"
    );
    let again = seal(
        &world.public,
        text(activation, "/secret_code"),
        &context,
        seed(activation, "/ephemeral_seed"),
    );
    assert_eq!(
        (again.encapsulated_key.as_str(), again.ciphertext.as_str()),
        (
            request.sealed_secret_code.encapsulated_key.as_str(),
            request.sealed_secret_code.ciphertext.as_str()
        ),
        "same seed, same bytes: @hpke/core and the hpke crate are one HPKE"
    );
    assert_eq!(request.signature, hex::encode(device.sign(&signed).to_bytes()));

    // Approval: every term signed, the code sealed for this very request.
    let approval = &vectors["approval"];
    let deadline: DateTime<Utc> = text(approval, "/terms/deadline").parse().unwrap();
    assert_eq!(
        text(approval, "/deadline_micros"),
        deadline.timestamp_micros().to_string(),
        "the browser counts the deadline's microseconds as chrono does"
    );
    let terms = terms_of(&approval["terms"], deadline);
    let answer: ApprovalAnswer = serde_json::from_value(approval["answer"].clone())
        .expect("the browser's approval body is the world's ApprovalAnswer");
    let context = protocol::approval_context(terms.learner_id, terms.request_id, terms.challenge);
    assert_eq!(
        protocol::open_secret_code(&world.private, &answer.sealed_secret_code, &context).as_deref(),
        Ok(text(approval, "/secret_code"))
    );
    let other_request = protocol::approval_context(terms.learner_id, "une-autre-demande", terms.challenge);
    assert!(
        protocol::open_secret_code(&world.private, &answer.sealed_secret_code, &other_request).is_err(),
        "the code the browser sealed opens for its own request only"
    );
    let signed = protocol::approval_message(&terms, &answer.sealed_secret_code);
    assert!(protocol::verify_signature(
        &device_public,
        &signed,
        &answer.signature
    ));
    assert_eq!(answer.device_id, terms.device_id);
    let again = seal(
        &world.public,
        text(approval, "/secret_code"),
        &context,
        seed(approval, "/ephemeral_seed"),
    );
    assert_eq!(again.ciphertext, answer.sealed_secret_code.ciphertext);
    assert_eq!(answer.signature, hex::encode(device.sign(&signed).to_bytes()));

    // « Ce n'est pas moi ».
    let decline = &vectors["decline"];
    let deadline: DateTime<Utc> = text(decline, "/terms/deadline").parse().unwrap();
    let terms = terms_of(&decline["terms"], deadline);
    let answer: DeclineAnswer = serde_json::from_value(decline["answer"].clone())
        .expect("the browser's decline body is the world's DeclineAnswer");
    let signed = protocol::decline_message(&terms);
    assert!(protocol::verify_signature(
        &device_public,
        &signed,
        &answer.signature
    ));
    assert!(
        !protocol::verify_signature(
            &device_public,
            &protocol::approval_message(&terms, &again),
            &answer.signature
        ),
        "a refusal's signature is no approval"
    );
}

#[test]
fn the_browser_devices_vectors_cover_a_world_key_it_checked_like_the_app() {
    // The browser checks the same endorsement (`verify_world_keys`) before sealing: the keys it
    // sealed to are the Rust vectors' world's, endorsed by its identity.
    let keys: WorldKeys = serde_json::from_value(rust_vectors()["world"]["keys"].clone()).unwrap();
    let endorsed = protocol::verify_world_keys(&keys).expect("the vectors' world keys verify");
    assert_eq!(
        endorsed.hpke_public_key,
        text(&typescript_vectors(), "/world_hpke_public_key")
    );
    assert_eq!(endorsed.hpke.to_bytes().len(), 32);
}
