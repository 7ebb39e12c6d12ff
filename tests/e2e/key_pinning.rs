//! Issue 16: the device seals the secret code to the world's HPKE key, fetched over plain HTTP.
//! A relay on the path that swaps its own key in must not get a code it can open: the device
//! pins the world's identity key at its first contact and takes an HPKE key only when that
//! identity endorses it. The relay here is an HTTP proxy the phone's client goes through (as a
//! machine on the class's network would be), forwarding everything but `GET /api/keys`. A device
//! that joined by the welcome page's QR code knows the identity key beforehand (`#…&id=`): a
//! relay met at the first contact is refused too, and so is a code of another world.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use idn_api::join::{IdentityFingerprint, JoinAddress};
use idn_api::protocol::{self, WorldIdentityKey, WorldPrivateKey};
use idn_api::{ClockMode, DeskSession, LoginRequestView, MessageChannel, SealedSecretCode, WorldKeys};
use idn_device::{Device, DeviceError, MemoryVault, WorldClient};
use idn_e2e::{activated_device, learner_at_activation, spawn_world, MOBILE};
use idn_world::{RunningWorld, WorldOptions};
use rand::rngs::OsRng;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

const SECRET: &str = "2580";
const UNTRUSTED: &str =
    "La clé du monde a changé sans preuve : ne saisissez pas votre code secret, prévenez votre formateur.";

/// What the relay answers to `GET /api/keys` in place of the world's keys.
#[derive(Debug, Clone, Copy)]
enum Swap {
    /// Its own HPKE key endorsed by its own identity key: all a relay can sign.
    OwnIdentity,
    /// Its own HPKE key (with its key id) under the world's identity and endorsement.
    WorldsEndorsement,
}

#[derive(Default)]
struct Seen {
    /// Every sealed secret code that passed through, with the path it went to.
    sealed_codes: Vec<(String, SealedSecretCode)>,
    keys_swapped: usize,
}

struct RelayState {
    swap: Swap,
    identity: WorldIdentityKey,
    hpke_public: protocol::WorldPublicKey,
    upstream: reqwest::Client,
    seen: Mutex<Seen>,
}

/// A proxy on loopback that forwards every request to the world and answers `GET /api/keys`
/// with its own HPKE key, keeping what it saw.
struct Relay {
    address: SocketAddr,
    hpke_private: WorldPrivateKey,
    state: Arc<RelayState>,
    server: tokio::task::JoinHandle<()>,
}

impl Relay {
    async fn start(swap: Swap) -> Relay {
        let (hpke_private, hpke_public) = protocol::generate_world_key(&mut OsRng);
        let state = Arc::new(RelayState {
            swap,
            identity: WorldIdentityKey::generate(&mut OsRng),
            hpke_public,
            upstream: reqwest::Client::builder().no_proxy().build().unwrap(),
            seen: Mutex::new(Seen::default()),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let app = axum::Router::new().fallback(relay).with_state(state.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Relay {
            address,
            hpke_private,
            state,
            server,
        }
    }

    /// The world at `base_url`, as a phone whose traffic goes through this relay reaches it.
    fn client_for(&self, base_url: &str) -> WorldClient {
        let proxy = format!("http://{}", self.address);
        WorldClient::configured(base_url, move |builder| {
            builder.proxy(reqwest::Proxy::http(&proxy).expect("the relay's address"))
        })
    }

    fn keys_swapped(&self) -> usize {
        self.state.seen.lock().unwrap().keys_swapped
    }

    /// The secret codes the relay opened with its private key, trying every context given.
    fn codes_opened(&self, contexts: &[Vec<u8>]) -> Vec<String> {
        let seen = self.state.seen.lock().unwrap();
        seen.sealed_codes
            .iter()
            .flat_map(|(_, sealed)| {
                contexts.iter().filter_map(|context| {
                    protocol::open_secret_code(&self.hpke_private, sealed, context).ok()
                })
            })
            .collect()
    }

    fn sealed_paths(&self) -> Vec<String> {
        let seen = self.state.seen.lock().unwrap();
        seen.sealed_codes.iter().map(|(path, _)| path.clone()).collect()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn relay(State(state): State<Arc<RelayState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    // A proxy receives the whole URL (absolute form) and forwards to it.
    let url = parts.uri.to_string();
    let path = parts.uri.path().to_owned();
    let body = axum::body::to_bytes(body, 1 << 24).await.unwrap();
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(&body) {
        if let Some(sealed) = json.get("sealed_secret_code") {
            let sealed: SealedSecretCode = serde_json::from_value(sealed.clone()).unwrap();
            state
                .seen
                .lock()
                .unwrap()
                .sealed_codes
                .push((path.clone(), sealed));
        }
    }
    let mut forwarded = state.upstream.request(parts.method.clone(), &url).body(body);
    for (name, value) in &parts.headers {
        if !matches!(
            name.as_str(),
            "host" | "connection" | "proxy-connection" | "content-length"
        ) {
            forwarded = forwarded.header(name, value);
        }
    }
    let answer = match forwarded.send().await {
        Ok(answer) => answer,
        Err(error) => return (StatusCode::BAD_GATEWAY, error.to_string()).into_response(),
    };
    let status = answer.status();
    let headers = answer.headers().clone();
    let bytes = answer.bytes().await.unwrap();
    let bytes = if parts.method == axum::http::Method::GET && path == "/api/keys" {
        let world: WorldKeys = serde_json::from_slice(&bytes).unwrap();
        state.seen.lock().unwrap().keys_swapped += 1;
        let own = protocol::world_keys(&state.identity, &state.hpke_public);
        let swapped = match state.swap {
            Swap::OwnIdentity => own,
            Swap::WorldsEndorsement => WorldKeys {
                hpke_public_key: own.hpke_public_key,
                key_id: own.key_id,
                ..world
            },
        };
        serde_json::to_vec(&swapped).unwrap().into()
    } else {
        bytes
    };
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    for (name, value) in &headers {
        if !matches!(
            name.as_str(),
            "connection" | "transfer-encoding" | "content-length"
        ) {
            response.headers_mut().append(name, value.clone());
        }
    }
    response
}

/// What the person reads when the world is not the one whose code was scanned.
const NOT_THE_SCANNED_ONE: &str = "Ce monde ne correspond pas au QR code scanné";

/// The text of the welcome page's « Rejoindre la classe » QR code of the world at `base_url`.
async fn join_code_of(base_url: &str) -> JoinAddress {
    let png = reqwest::get(format!("{base_url}/qr/rejoindre.png"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let texts = idn_capture::read_qr_codes(&idn_capture::decode_still(&png).unwrap());
    JoinAddress::parse(&texts[0]).expect("the welcome page's code is a join code")
}

fn world_pins(phone_dir: &std::path::Path) -> Vec<serde_json::Value> {
    let profile: serde_json::Value =
        serde_json::from_slice(&std::fs::read(phone_dir.join("device.json")).unwrap()).unwrap();
    profile["world_pins"].as_array().cloned().unwrap_or_default()
}

fn assert_untrusted(error: DeviceError, why: &str) {
    assert_eq!(error.code(), "world_key_untrusted", "{why}: {error:?}");
    assert_eq!(
        error.message_fr(),
        UNTRUSTED,
        "{why}: the person is told not to type the code"
    );
}

/// The contexts a code sealed for this request could be opened in.
fn approval_contexts(learner_id: &str, request: &LoginRequestView) -> Vec<Vec<u8>> {
    vec![protocol::approval_context(
        learner_id,
        &request.request_id,
        &request.challenge,
    )]
}

#[tokio::test]
async fn a_relay_swapping_the_worlds_key_cannot_open_the_secret_code() {
    let world = spawn_world(1601).await;
    let base_url = world.running.base_url();
    let email = "relais@simulation.example";
    // The phone met the world directly first: activation pinned its identity and HPKE key.
    let (learner_id, first_contact, vault) = activated_device(
        &world.client,
        &world.trainer,
        world.dir.path(),
        email,
        MOBILE,
        SECRET,
    )
    .await;
    drop(first_contact);
    let phone_dir = world.dir.path().join(email);

    for swap in [Swap::OwnIdentity, Swap::WorldsEndorsement] {
        let request = world
            .trainer
            .open_login_request(MOBILE, "Mon Compte Formation")
            .await
            .unwrap();
        let relay = Relay::start(swap).await;
        let phone = Device::open(&phone_dir, relay.client_for(&base_url), vault.clone()).unwrap();
        let error = phone.approve(&request.request_id, SECRET).await.unwrap_err();
        assert_untrusted(
            error,
            &format!("{swap:?}: the world's key was swapped on the path"),
        );
        assert!(
            relay.keys_swapped() > 0,
            "{swap:?}: the phone's traffic went through the relay"
        );
        assert_eq!(
            relay.sealed_paths(),
            Vec::<String>::new(),
            "{swap:?}: nothing is sealed to an untrusted key"
        );
        assert_eq!(
            relay.codes_opened(&approval_contexts(&learner_id, &request)),
            Vec::<String>::new(),
            "{swap:?}: the relay's private key opens no secret code"
        );

        // Off the relay, the same phone answers the same request: nothing was spent.
        let direct = Device::open(&phone_dir, world.client.clone(), vault.clone()).unwrap();
        let answered = direct.approve(&request.request_id, SECRET).await.unwrap();
        assert_eq!(
            answered.status, "approved",
            "{swap:?}: the pinned key still reaches the world"
        );
    }
}

#[tokio::test]
async fn a_device_meeting_a_relay_first_is_refused_when_the_endorsement_does_not_verify() {
    let world = spawn_world(1602).await;
    let base_url = world.running.base_url();
    let email = "premier-contact@simulation.example";
    let learner = learner_at_activation(&world.client, &world.trainer, email, MOBILE).await;
    let code = learner.last_code(MessageChannel::Sms).await;
    let phone_dir = world.dir.path().join(email);
    let vault = Arc::new(MemoryVault::default());

    // The relay cannot sign for the world's identity: it sends its own HPKE key under the
    // world's identity key and endorsement.
    let relay = Relay::start(Swap::WorldsEndorsement).await;
    let mut phone = Device::open(&phone_dir, relay.client_for(&base_url), vault.clone()).unwrap();
    phone.adopt_account(&learner.access).unwrap();
    let error = phone.activate(&learner.id, &code, SECRET).await.unwrap_err();
    assert_untrusted(error, "the endorsement does not cover the relay's key");
    assert!(
        relay.keys_swapped() > 0,
        "the phone's traffic went through the relay"
    );
    assert_eq!(
        relay.sealed_paths(),
        Vec::<String>::new(),
        "no activation carrying a sealed code left the phone"
    );
    assert_eq!(
        learner.client.learner(&learner.id).await.unwrap().step,
        "activation",
        "the world heard of no activation"
    );
    drop(phone);

    // Directly, the same phone activates: the refusal was the relay's key, and the refused
    // keys were not pinned.
    let mut phone = Device::open(&phone_dir, world.client.clone(), vault).unwrap();
    let view = phone.activate(&learner.id, &code, SECRET).await.unwrap();
    assert_eq!(view.step, "enrolled");
}

#[tokio::test]
async fn a_new_hpke_key_endorsed_by_the_pinned_identity_is_accepted() {
    let world = spawn_world(1603).await;
    let address = world.running.address();
    let email = "nouvelle-cle@simulation.example";
    let (_, first_contact, vault) = activated_device(
        &world.client,
        &world.trainer,
        world.dir.path(),
        email,
        MOBILE,
        SECRET,
    )
    .await;
    drop(first_contact);
    let before = world.client.keys().await.unwrap();
    world.running.stop().await;

    // What `idn world rotate-key` will do (not built yet), by hand with the world stopped: a new
    // HPKE private key at the head of the secrets file, its verifier and identity keys kept.
    let data_dir = world.dir.path().join("world");
    let secrets_file = data_dir.join("world-secrets.key");
    let mut secrets = std::fs::read(&secrets_file).unwrap();
    let (new_private, new_public) = protocol::generate_world_key(&mut OsRng);
    secrets[..32].copy_from_slice(&protocol::private_key_bytes(&new_private));
    std::fs::write(&secrets_file, &secrets).unwrap();

    let mut options = WorldOptions::new(&data_dir);
    options.initial_clock = Some(ClockMode::Manual);
    let restarted = RunningWorld::start_with(options, address).await.unwrap();
    let base_url = restarted.base_url();
    let after = WorldClient::new(&base_url).keys().await.unwrap();
    assert_eq!(after.hpke_public_key, protocol::public_key_hex(&new_public));
    assert_ne!(after.hpke_public_key, before.hpke_public_key);
    assert_eq!(
        after.identity_public_key, before.identity_public_key,
        "the world's identity is the one the phone pinned"
    );

    let trainer = DeskSession::sign_in(&base_url, &world.engine.email, &world.engine.password)
        .await
        .unwrap()
        .api();
    let request = trainer
        .open_login_request(MOBILE, "Mon Compte Formation")
        .await
        .unwrap();
    let phone_dir = world.dir.path().join(email);
    let phone = Device::open(&phone_dir, WorldClient::new(&base_url), vault.clone()).unwrap();
    let answered = phone.approve(&request.request_id, SECRET).await.unwrap();
    assert_eq!(
        answered.status, "approved",
        "the code sealed to the new key opens in the world"
    );

    // The identity stays the anchor after the change: a relay's own identity is still refused.
    let relay = Relay::start(Swap::OwnIdentity).await;
    let request = trainer
        .open_login_request(MOBILE, "Mon Compte Formation")
        .await
        .unwrap();
    let through_relay = Device::open(&phone_dir, relay.client_for(&base_url), vault).unwrap();
    let error = through_relay
        .approve(&request.request_id, SECRET)
        .await
        .unwrap_err();
    assert_untrusted(error, "another identity after the endorsed change");
    restarted.stop().await;
}

#[tokio::test]
async fn a_device_joined_by_the_qr_code_refuses_a_relay_met_at_its_first_contact() {
    let world = spawn_world(1604).await;
    let base_url = world.running.base_url();
    let join = join_code_of(&base_url).await;
    let identity = join.identity().expect("the code names the world's identity key");
    let email = "qr-relais@simulation.example";
    let learner = learner_at_activation(&world.client, &world.trainer, email, MOBILE).await;
    let code = learner.last_code(MessageChannel::Sms).await;
    let phone_dir = world.dir.path().join(email);
    let vault = Arc::new(MemoryVault::default());

    // Trust on first use would pin the relay's own identity here and seal the code to its key.
    let relay = Relay::start(Swap::OwnIdentity).await;
    let mut phone = Device::open(&phone_dir, relay.client_for(&base_url), vault.clone())
        .unwrap()
        .expecting_world_identity(identity);
    phone.adopt_account(&learner.access).unwrap();
    let error = phone.activate(&learner.id, &code, SECRET).await.unwrap_err();
    assert_eq!(error.code(), "world_key_untrusted", "{error:?}");
    assert!(
        error.message_fr().starts_with(NOT_THE_SCANNED_ONE),
        "the person is told the world is not the scanned one: {}",
        error.message_fr()
    );
    assert!(
        relay.keys_swapped() > 0,
        "the phone's traffic went through the relay"
    );
    assert_eq!(
        relay.sealed_paths(),
        Vec::<String>::new(),
        "nothing is sealed to the relay's key"
    );
    assert_eq!(
        world_pins(&phone_dir),
        Vec::<serde_json::Value>::new(),
        "nothing is pinned"
    );
    let refused = Device::check_world_identity(&relay.client_for(&base_url), identity)
        .await
        .unwrap_err();
    assert_eq!(
        refused.code(),
        "world_key_untrusted",
        "joining through the relay is refused at once too"
    );
    drop(phone);

    // Directly, the same phone with the same code activates and pins the world's identity.
    let mut phone = Device::open(&phone_dir, world.client.clone(), vault)
        .unwrap()
        .expecting_world_identity(identity);
    let view = phone.activate(&learner.id, &code, SECRET).await.unwrap();
    assert_eq!(view.step, "enrolled");
    let keys = world.client.keys().await.unwrap();
    let pins = world_pins(&phone_dir);
    assert_eq!(pins.len(), 1);
    assert_eq!(pins[0]["identity_public_key"], keys.identity_public_key);
}

#[tokio::test]
async fn a_qr_code_naming_another_worlds_identity_is_refused_and_nothing_is_pinned() {
    let world = spawn_world(1605).await;
    let other = spawn_world(1606).await;
    let base_url = world.running.base_url();
    // The code of another class's world, its address replaced by this one's (a stale or forged
    // code): its identity is not this world's.
    let stranger = join_code_of(&other.running.base_url()).await;
    let forged = JoinAddress::new(&base_url, None, stranger.identity()).unwrap();
    let right = join_code_of(&base_url).await;
    assert_ne!(
        forged.identity(),
        right.identity(),
        "each world has its own identity"
    );

    let email = "qr-autre-monde@simulation.example";
    let learner = learner_at_activation(&world.client, &world.trainer, email, MOBILE).await;
    let code = learner.last_code(MessageChannel::Sms).await;
    let phone_dir = world.dir.path().join(email);
    let vault = Arc::new(MemoryVault::default());
    let wrong: IdentityFingerprint = forged.identity().unwrap();
    let mut phone = Device::open(&phone_dir, forged.client(), vault.clone())
        .unwrap()
        .expecting_world_identity(wrong);
    phone.adopt_account(&learner.access).unwrap();
    let error = phone.activate(&learner.id, &code, SECRET).await.unwrap_err();
    assert_eq!(error.code(), "world_key_untrusted", "{error:?}");
    assert!(
        error.message_fr().starts_with(NOT_THE_SCANNED_ONE),
        "{}",
        error.message_fr()
    );
    assert_eq!(
        world_pins(&phone_dir),
        Vec::<serde_json::Value>::new(),
        "nothing is pinned"
    );
    assert_eq!(
        learner.client.learner(&learner.id).await.unwrap().step,
        "activation",
        "the world heard of no activation"
    );
    drop(phone);

    let mut phone = Device::open(&phone_dir, right.client(), vault)
        .unwrap()
        .expecting_world_identity(right.identity().unwrap());
    let view = phone.activate(&learner.id, &code, SECRET).await.unwrap();
    assert_eq!(
        view.step, "enrolled",
        "the right code activates: nothing was spent"
    );
}
