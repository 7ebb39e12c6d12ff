//! Attacks on the secret code, the device key and login approvals, through the world's HTTP API:
//! replayed, altered, cross-request and racing answers; the failure counter across restarts;
//! and a search of everything the world and the device wrote for the secrets they used.

use ed25519_dalek::{Signer, SigningKey};
use idn_api::{protocol, ApprovalAnswer, ClockMode, LoginRequestView, MessageChannel};
use idn_device::{Device, MemoryVault, Vault, WorldClient};
use idn_e2e::{
    account_at_sms_code, activated_device, clerk_validation, idn_binary, last_code, refusal_code,
    spawn_world, Learner, TestWorld, MOBILE,
};
use idn_world::{RunningWorld, WorldOptions};
use rand::rngs::OsRng;
use std::sync::Arc;

const SECRET: &str = "5093";

struct Enrolled {
    id: String,
    device: Device,
    vault: Arc<MemoryVault>,
}

/// A learner activated on a phone in `dir`; `trainer` validates at the clerk's desk.
async fn enrol(client: &WorldClient, trainer: &WorldClient, dir: &std::path::Path, email: &str) -> Enrolled {
    let (id, device, vault) = activated_device(client, trainer, dir, email, MOBILE, SECRET).await;
    Enrolled { id, device, vault }
}

/// `enrol` in a test world, the phone's folder in the world's.
async fn enrol_in(world: &TestWorld, email: &str) -> Enrolled {
    enrol(&world.client, &world.trainer, world.dir.path(), email).await
}

impl Enrolled {
    /// The world as this learner's phone (its device credential).
    fn client(&self) -> &WorldClient {
        self.device.client()
    }

    fn key(&self) -> SigningKey {
        let name = format!("device-signing-key/{}", self.device.profile().device_id);
        let bytes = self.vault.get(&name).unwrap().expect("device key in the vault");
        SigningKey::from_bytes(bytes.as_slice().try_into().unwrap())
    }

    /// An approval built by hand, so a test can alter what is signed or where it is sent.
    async fn answer(
        &self,
        client: &WorldClient,
        request: &LoginRequestView,
        relying_party: &str,
        code: &str,
    ) -> ApprovalAnswer {
        let keys = client.keys().await.unwrap();
        let world_key = protocol::parse_public_key(&keys.hpke_public_key).unwrap();
        let context = protocol::approval_context(&self.id, &request.request_id, &request.challenge);
        let sealed = protocol::seal_secret_code(&world_key, code, &context, &mut OsRng).unwrap();
        let device_id = &self.device.profile().device_id;
        let terms = protocol::RequestTerms {
            learner_id: &self.id,
            request_id: &request.request_id,
            relying_party,
            challenge: &request.challenge,
            deadline: request.deadline,
            device_id,
        };
        let signature = self.key().sign(&protocol::approval_message(&terms, &sealed));
        ApprovalAnswer {
            device_id: device_id.clone(),
            sealed_secret_code: sealed,
            signature: hex::encode(signature.to_bytes()),
        }
    }
}

#[tokio::test]
async fn replayed_altered_and_cross_request_answers_are_refused_and_journaled() {
    let world = spawn_world(31).await;
    let enrolled = enrol_in(&world, "attaque@simulation.example").await;
    let first = world
        .trainer
        .open_login_request(MOBILE, "Mon Compte Formation")
        .await
        .unwrap();
    let second = world
        .trainer
        .open_login_request(MOBILE, "Mon Compte Formation")
        .await
        .unwrap();
    // The answers are forged on the enrolled phone itself: its credential, its key.
    let client = enrolled.client();

    let altered = enrolled
        .answer(client, &first, "Service malveillant", SECRET)
        .await;
    assert_eq!(
        refusal_code(
            client
                .approve(&enrolled.id, &first.request_id, &altered)
                .await
                .unwrap_err()
        ),
        "invalid_device_signature"
    );

    let for_first = enrolled
        .answer(client, &first, &first.relying_party, SECRET)
        .await;
    let moved = client
        .approve(&enrolled.id, &second.request_id, &for_first)
        .await
        .unwrap_err();
    assert_eq!(
        refusal_code(moved),
        "invalid_device_signature",
        "an answer cannot be moved to another request"
    );

    let mut tampered = for_first.clone();
    tampered.sealed_secret_code.ciphertext = format!("00{}", &tampered.sealed_secret_code.ciphertext[2..]);
    assert_eq!(
        refusal_code(
            client
                .approve(&enrolled.id, &first.request_id, &tampered)
                .await
                .unwrap_err()
        ),
        "invalid_device_signature"
    );

    assert_eq!(
        client
            .approve(&enrolled.id, &first.request_id, &for_first)
            .await
            .unwrap()
            .status,
        "approved"
    );
    let replay = client
        .approve(&enrolled.id, &first.request_id, &for_first)
        .await
        .unwrap_err();
    assert_eq!(refusal_code(replay), "login_request_already_answered");

    let journal = client.journal(&enrolled.id).await.unwrap();
    let outcomes: Vec<&str> = journal
        .iter()
        .filter(|entry| entry.action == "answer_login_request")
        .map(|entry| entry.outcome.as_str())
        .collect();
    assert_eq!(
        outcomes,
        [
            "invalid_device_signature",
            "invalid_device_signature",
            "invalid_device_signature",
            "ok",
            "login_request_already_answered"
        ],
        "every refusal is in the journal"
    );
    assert_eq!(
        client.learner(&enrolled.id).await.unwrap().step,
        "enrolled",
        "forged answers spent no attempt"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_answers_end_in_exactly_one_outcome() {
    let world = spawn_world(32).await;
    let client = &world.trainer;
    let enrolled = Arc::new(enrol_in(&world, "course@simulation.example").await);
    for round in 0..8 {
        let request = client
            .open_login_request(MOBILE, "Mon Compte Formation")
            .await
            .unwrap();
        let mut racers = Vec::new();
        for racer in 0..12 {
            let enrolled = enrolled.clone();
            let request_id = request.request_id.clone();
            racers.push(tokio::spawn(async move {
                if racer % 3 == 0 {
                    enrolled.device.decline(&request_id).await.map(|view| view.status)
                } else {
                    enrolled
                        .device
                        .approve(&request_id, SECRET)
                        .await
                        .map(|view| view.status)
                }
            }));
        }
        let mut successes = Vec::new();
        for racer in racers {
            match racer.await.unwrap() {
                Ok(status) => successes.push(status),
                Err(error) => assert_eq!(
                    refusal_code(error),
                    "login_request_already_answered",
                    "round {round}"
                ),
            }
        }
        assert_eq!(
            successes.len(),
            1,
            "round {round}: exactly one answer wins, got {successes:?}"
        );
        let final_status = client.login_request(&request.request_id).await.unwrap().status;
        assert_eq!(
            final_status, successes[0],
            "round {round}: the winner's outcome is the request's"
        );
        client.advance_clock(120).await.unwrap();
    }
}

#[tokio::test]
async fn wrong_code_counter_survives_a_restart_and_locks_at_three() {
    let dir = tempfile::tempdir().unwrap();
    let options = || {
        let mut options = WorldOptions::new(dir.path().join("world"));
        options.seed = Some(33);
        options.initial_clock = Some(ClockMode::Manual);
        options
    };
    let world = RunningWorld::start_with(options(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let client = WorldClient::new(world.base_url());
    let trainer = idn_e2e::trainer_of(&world).await;
    let enrolled = enrol(&client, &trainer, dir.path(), "compteur@simulation.example").await;
    let request = trainer
        .open_login_request(MOBILE, "Mon Compte Formation")
        .await
        .unwrap();
    for wrong in ["1234", "4321"] {
        assert_eq!(
            refusal_code(
                enrolled
                    .device
                    .approve(&request.request_id, wrong)
                    .await
                    .unwrap_err()
            ),
            "wrong_secret_code"
        );
    }
    world.stop().await;

    let world = RunningWorld::start_with(options(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let client = WorldClient::new(world.base_url());
    let device = Device::open(
        &dir.path().join("compteur@simulation.example"),
        client.clone(),
        enrolled.vault.clone(),
    )
    .unwrap();
    assert_eq!(
        refusal_code(device.approve(&request.request_id, "9876").await.unwrap_err()),
        "secret_code_locked"
    );
    assert_eq!(
        device.client().learner(&enrolled.id).await.unwrap().step,
        "locked",
        "the phone's credential outlived the restart"
    );
    world.stop().await;
}

#[tokio::test]
async fn ce_n_est_pas_moi_refuses_the_request_and_is_recorded() {
    let world = spawn_world(34).await;
    let client = &world.trainer;
    let enrolled = enrol_in(&world, "pasmoi@simulation.example").await;
    let request = client
        .open_login_request(MOBILE, "Mon Compte Formation")
        .await
        .unwrap();
    assert_eq!(
        enrolled.device.decline(&request.request_id).await.unwrap().status,
        "declined"
    );
    assert_eq!(
        client.login_request(&request.request_id).await.unwrap().status,
        "declined",
        "the relying party sees the refusal"
    );
    let journal = enrolled.client().journal(&enrolled.id).await.unwrap();
    assert!(journal
        .iter()
        .any(|entry| entry.action == "decline_login_request" && entry.outcome == "ok"));
}

/// Occurrences of `needle` not glued to other letters or digits (a 4-digit code would otherwise
/// be found by chance inside hex strings and timestamps).
fn standalone(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).enumerate().any(|(at, window)| {
        window == needle
            && (at == 0 || !haystack[at - 1].is_ascii_alphanumeric())
            && haystack
                .get(at + needle.len())
                .is_none_or(|next| !next.is_ascii_alphanumeric())
    })
}

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_is_written_anywhere_after_a_full_journey() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log_path = dir.path().join("world.log");
    // The class's trainer, by API token made on the world's machine before it is served.
    let trainer_token = idn_e2e::trainer_token(&dir.path().join("world"));
    let mut world = std::process::Command::new(idn_binary())
        .args([
            "world",
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(dir.path().join("world"))
        .env("IDN_LOG", "trace")
        .stdout(std::fs::File::create(dir.path().join("world.out")).unwrap())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let client = WorldClient::new(format!("http://127.0.0.1:{port}"));
    for _ in 0..200 {
        if client.status().await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let trainer = client.with_credential(idn_api::Credential::new(trainer_token));
    let enrolled = enrol(
        &client,
        &trainer,
        &dir.path().join("device"),
        "secrets@simulation.example",
    )
    .await;
    let request = trainer
        .open_login_request(MOBILE, "Mon Compte Formation")
        .await
        .unwrap();
    let _ = enrolled.device.approve(&request.request_id, "1111").await;
    assert_eq!(
        enrolled
            .device
            .approve(&request.request_id, SECRET)
            .await
            .unwrap()
            .status,
        "approved"
    );
    let one_time_codes: Vec<String> = enrolled
        .client()
        .inbox(&enrolled.id)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|message| message.code)
        .collect();
    let private_key = enrolled.key().to_bytes();
    let _ = world.kill();
    let _ = world.wait();

    let files = files_under(dir.path());
    // The simulated mailbox holds the one-time codes by design (it is the person's inbox):
    // finding them proves the search looks where it should.
    let activation_code = one_time_codes.last().expect("an activation code was sent");
    assert!(
        files
            .iter()
            .any(|file| standalone(&std::fs::read(file).unwrap(), activation_code.as_bytes())),
        "the search must find the mailbox's codes in the world's storage"
    );
    assert!(
        files.iter().any(|file| file.ends_with("world.sqlite"))
            && files.iter().any(|file| file.ends_with("device.json"))
    );
    assert!(
        std::fs::metadata(&log_path).unwrap().len() > 1000,
        "the world logged at trace level"
    );
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let name = file.display();
        assert!(
            !standalone(&bytes, SECRET.as_bytes()),
            "secret code found in {name}"
        );
        assert!(
            !standalone(&bytes, b"1111"),
            "a typed wrong secret code found in {name}"
        );
        assert!(!standalone(&bytes, b"Simulation2026"), "password found in {name}");
        assert!(
            !bytes.windows(32).any(|window| window == private_key),
            "device private key found in {name}"
        );
        assert!(
            !standalone(&bytes, hex::encode(private_key).as_bytes()),
            "device private key (hex) found in {name}"
        );
        let is_log = file.extension().is_some_and(|ext| ext == "log" || ext == "out");
        if is_log {
            for code in &one_time_codes {
                assert!(
                    !standalone(&bytes, code.as_bytes()),
                    "one-time code {code} found in the log {name}"
                );
            }
        }
    }
}

#[tokio::test]
async fn forgotten_secret_code_is_recovered_by_verifying_again_and_re_activating() {
    let world = spawn_world(35).await;
    let trainer = &world.trainer;
    let enrolled = enrol_in(&world, "oubli@simulation.example").await;
    // « J'ai oublié mon code secret », on the phone.
    let phone = enrolled.client();
    let view = phone
        .act(&enrolled.id, &idn_api::LearnerAction::ForgetSecretCode)
        .await
        .unwrap();
    assert_eq!(view.step, "locked");
    let refused = trainer
        .open_login_request(MOBILE, "Mon Compte Formation")
        .await
        .unwrap_err();
    assert_eq!(
        refusal_code(refused),
        "secret_code_locked",
        "no login until re-activation"
    );

    // Verify identity again (face to face here), then activate with a new code on a new phone,
    // signed into the account.
    phone
        .act(
            &enrolled.id,
            &idn_api::LearnerAction::ChooseVerification {
                mode: idn_api::VerificationMode::FaceToFace,
                terms_accepted: false,
            },
        )
        .await
        .unwrap();
    let code = last_code(phone, &enrolled.id, MessageChannel::Sms).await;
    trainer.clerk_validate(&clerk_validation(code)).await.unwrap();
    let activation = last_code(phone, &enrolled.id, MessageChannel::Sms).await;
    let signed_in = idn_e2e::sign_in(&world.client, "oubli@simulation.example").await;
    let vault = Arc::new(MemoryVault::default());
    let mut device = Device::open(
        &world.dir.path().join("nouveau-telephone"),
        world.client.clone(),
        vault,
    )
    .unwrap();
    device.adopt_account(&signed_in.access).unwrap();
    device
        .activate(&enrolled.id, &activation, "8642")
        .await
        .expect("re-activation with a new code");

    let request = trainer
        .open_login_request(MOBILE, "Mon Compte Formation")
        .await
        .unwrap();
    let (code, message) = idn_e2e::refusal(
        enrolled
            .device
            .approve(&request.request_id, SECRET)
            .await
            .unwrap_err(),
    );
    assert_eq!(
        code, "credential_revoked",
        "the old phone's access ended with the new activation"
    );
    assert!(message.contains("autre téléphone"), "{message}");
    assert_eq!(
        device.approve(&request.request_id, "8642").await.unwrap().status,
        "approved"
    );
}

#[tokio::test]
async fn a_replayed_wrong_answer_cannot_lock_the_person_out() {
    let world = spawn_world(36).await;
    let enrolled = enrol_in(&world, "rejeu@simulation.example").await;
    let request = world
        .trainer
        .open_login_request(MOBILE, "Mon Compte Formation")
        .await
        .unwrap();
    // Replayed from the phone's own connection: the phone's credential does not make an old
    // answer new.
    let client = enrolled.client();
    let captured = enrolled
        .answer(client, &request, &request.relying_party, "1234")
        .await;
    assert_eq!(
        refusal_code(
            client
                .approve(&enrolled.id, &request.request_id, &captured)
                .await
                .unwrap_err()
        ),
        "wrong_secret_code"
    );
    for _ in 0..4 {
        assert_eq!(
            refusal_code(
                client
                    .approve(&enrolled.id, &request.request_id, &captured)
                    .await
                    .unwrap_err()
            ),
            "answer_replayed"
        );
    }
    assert_eq!(client.learner(&enrolled.id).await.unwrap().step, "enrolled");
    assert_eq!(
        enrolled
            .device
            .approve(&request.request_id, SECRET)
            .await
            .unwrap()
            .status,
        "approved"
    );
}

#[tokio::test]
async fn a_refused_activation_keeps_the_enrolled_key() {
    let world = spawn_world(37).await;
    let mut enrolled = enrol_in(&world, "cle@simulation.example").await;
    let again = enrolled
        .device
        .activate(&enrolled.id.clone(), "000000", "1357")
        .await
        .unwrap_err();
    assert_eq!(
        refusal_code(again),
        "wrong_step",
        "the identity is already active"
    );
    let request = world
        .trainer
        .open_login_request(MOBILE, "Mon Compte Formation")
        .await
        .unwrap();
    assert_eq!(
        enrolled
            .device
            .approve(&request.request_id, SECRET)
            .await
            .unwrap()
            .status,
        "approved",
        "the enrolled key still signs"
    );
}

#[tokio::test]
async fn after_a_lock_the_relying_party_reads_blocked() {
    let world = spawn_world(38).await;
    let client = &world.trainer;
    let enrolled = enrol_in(&world, "bloque@simulation.example").await;
    let request = client
        .open_login_request(MOBILE, "Mon Compte Formation")
        .await
        .unwrap();
    for wrong in ["1234", "2345", "3456"] {
        let _ = enrolled.device.approve(&request.request_id, wrong).await;
    }
    assert_eq!(
        client.login_request(&request.request_id).await.unwrap().status,
        "blocked"
    );
}

#[tokio::test]
async fn a_mobile_enrolled_on_one_identity_is_refused_to_another_while_its_holder_keeps_it() {
    use idn_api::LearnerAction;
    let world = spawn_world(39).await;
    let holder = enrol_in(&world, "titulaire@simulation.example").await;

    let (Learner { id, client, .. }, code) =
        account_at_sms_code(&world.client, "proche@simulation.example", "06 39 98 00 01").await;
    let client = &client;
    let (code_name, message) = idn_e2e::refusal(
        client
            .act(&id, &LearnerAction::ConfirmMobile { code: code.clone() })
            .await
            .unwrap_err(),
    );
    assert_eq!(
        code_name, "mobile_already_enrolled",
        "the number typed (national form) is the enrolled identity's"
    );
    assert!(
        message.contains("une seule Identité Numérique") && message.contains("assistance"),
        "the person reads what it means and what to do: {message}"
    );
    let view = client.learner(&id).await.unwrap();
    assert_eq!(view.step, "mobile_code", "the number can still be changed");
    let journal = client.journal(&id).await.unwrap();
    assert_eq!(
        journal.last().unwrap().outcome,
        "mobile_already_enrolled",
        "the refusal is journaled for support agents"
    );

    // Another number of their own: the account goes on.
    client
        .act(
            &id,
            &LearnerAction::RegisterMobile {
                mobile: "+33639980077".into(),
            },
        )
        .await
        .unwrap();
    let code = last_code(client, &id, MessageChannel::Sms).await;
    assert_eq!(
        client
            .act(&id, &LearnerAction::ConfirmMobile { code })
            .await
            .unwrap()
            .step,
        "identity_data"
    );

    // A holder who forgot the secret code and verifies again keeps the number meanwhile.
    holder
        .client()
        .act(&holder.id, &LearnerAction::ForgetSecretCode)
        .await
        .unwrap();
    holder
        .client()
        .act(
            &holder.id,
            &LearnerAction::ChooseVerification {
                mode: idn_api::VerificationMode::FaceToFace,
                terms_accepted: false,
            },
        )
        .await
        .unwrap();
    let (other, code) = account_at_sms_code(&world.client, "autre@simulation.example", MOBILE).await;
    assert_eq!(
        refusal_code(
            other
                .act(&LearnerAction::ConfirmMobile { code })
                .await
                .unwrap_err()
        ),
        "mobile_already_enrolled",
        "an identity being verified again still holds its number"
    );
}

#[tokio::test]
async fn the_second_activation_with_one_mobile_is_refused_and_logins_reach_the_first() {
    let world = spawn_world(40).await;
    let (client, trainer) = (&world.client, &world.trainer);
    // Both prove the number before either activates: the rule holds at activation.
    let first = idn_e2e::learner_at_activation(client, trainer, "premier@simulation.example", MOBILE).await;
    let second = idn_e2e::learner_at_activation(client, trainer, "second@simulation.example", MOBILE).await;
    let activate = |learner: Learner, name: &'static str| {
        let client = client.clone();
        let dir = world.dir.path().join(name);
        async move {
            let code = learner.last_code(MessageChannel::Sms).await;
            let vault = Arc::new(MemoryVault::default());
            let mut device = Device::open(&dir, client, vault).unwrap();
            device.adopt_account(&learner.access).unwrap();
            device.activate(&learner.id, &code, SECRET).await.map(|_| device)
        }
    };
    let first_device = activate(first.clone(), "premier")
        .await
        .expect("first activation");
    let Err(refused) = activate(second.clone(), "second").await else {
        panic!("a second identity was activated with the number of the first");
    };
    let (code, message) = idn_e2e::refusal(refused);
    assert_eq!(code, "mobile_already_enrolled");
    assert!(
        message.contains("assistance"),
        "the number cannot change any more: {message}"
    );
    assert_eq!(
        second.client.learner(&second.id).await.unwrap().step,
        "activation",
        "the refused activation left the account and its credential as they were"
    );

    let request = trainer
        .open_login_request(MOBILE, "Mon Compte Formation")
        .await
        .unwrap();
    assert_eq!(
        first_device
            .pending_requests()
            .await
            .unwrap()
            .iter()
            .map(|pending| pending.request_id.as_str())
            .collect::<Vec<_>>(),
        [request.request_id.as_str()],
        "the login request reaches the one identity of the number"
    );
    assert_eq!(
        refusal_code(
            second
                .client
                .pending_login_requests(&second.id)
                .await
                .unwrap_err()
        ),
        "device_credential_required",
        "the second identity has no activated phone to ask"
    );
    assert_eq!(
        first_device
            .approve(&request.request_id, SECRET)
            .await
            .unwrap()
            .status,
        "approved"
    );
}

// ----- the world's files -----

#[cfg(unix)]
#[tokio::test]
async fn a_served_worlds_folder_database_and_keys_are_its_owners_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    let world = spawn_world(41).await;
    enrol_in(&world, "fichiers@simulation.example").await;
    let data = world.dir.path().join("world");
    let private_files = [
        "world.sqlite",
        "world.sqlite-wal",
        "world.sqlite-shm",
        "world-secrets.key",
        "federation-keys.json",
    ];
    let check = |when: &str| {
        assert_eq!(mode(&data), 0o700, "{when}: the data directory");
        for name in private_files {
            assert_eq!(mode(&data.join(name)), 0o600, "{when}: {name}");
        }
        for entry in std::fs::read_dir(&data).unwrap() {
            let path = entry.unwrap().path();
            assert_eq!(
                mode(&path) & 0o077,
                0,
                "{when}: {} is readable by others",
                path.display()
            );
        }
    };
    check("served");
    world.running.stop().await;

    // A world made before the rule, reopened, is tightened.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    for name in private_files {
        let path = data.join(name);
        if path.exists() {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
    let mut options = WorldOptions::new(&data);
    options.initial_clock = Some(ClockMode::Manual);
    let reopened = RunningWorld::start_with(options, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    check("reopened");
    reopened.stop().await;
}

// ----- the class clock: bounded jumps and speeds -----

/// One request (or a trainer's typo, `idn clock advance 9999sem`) used to move the class clock to
/// 2200, ageing every identity document past its expiry for good. A jump is bounded to a year and
/// the speed to ×3 600; the refusals are in French and the clock is left where it was.
#[tokio::test]
async fn the_class_clock_cannot_be_thrown_years_ahead() {
    let world = spawn_world(170).await;
    let client = &world.trainer;
    let learner = idn_e2e::new_learner(&world.client, "horloge@simulation.example").await;
    let before = client.clock().await.unwrap().now;

    let (code, message) = idn_e2e::refusal(client.advance_clock(5_461_746_301).await.unwrap_err());
    assert_eq!(code, "clock_jump_too_large");
    assert!(message.contains("366 jours"), "{message}");
    let (code, _) = idn_e2e::refusal(client.advance_clock(367 * 86_400).await.unwrap_err());
    assert_eq!(code, "clock_jump_too_large", "a year and a day is refused");
    let (code, _) = idn_e2e::refusal(
        client
            .set_clock(ClockMode::Manual, Some(before + chrono::TimeDelta::days(400)))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        code, "clock_jump_too_large",
        "setting a date 400 days ahead is a jump too"
    );
    let (code, message) = idn_e2e::refusal(
        client
            .set_clock(ClockMode::Accelerated { factor: 1_000_000.0 }, None)
            .await
            .unwrap_err(),
    );
    assert_eq!(code, "invalid_clock_factor");
    assert!(message.contains("3 600"), "{message}");
    let (code, _) = idn_e2e::refusal(
        learner
            .client
            .advance_learner_clock(&learner.id, 5_461_746_301)
            .await
            .unwrap_err(),
    );
    assert_eq!(
        code, "clock_jump_too_large",
        "one learner's clock is bounded alike"
    );
    let after = client.clock().await.unwrap().now;
    assert!(
        after - before < chrono::TimeDelta::minutes(1),
        "the refusals left the clock alone: {before} → {after}"
    );

    client.advance_clock(366 * 86_400).await.unwrap();
    client
        .set_clock(ClockMode::Accelerated { factor: 3_600.0 }, None)
        .await
        .unwrap();
}

// ----- who may call what (issue 16): each learner acts for themself, staff by role -----

/// A classmate's account credential, and no credential at all, against every step of the old
/// takeover chain (« code secret oublié » on someone else's identity, face to face, the clerk's
/// validation, reading the new activation code in their inbox): each refused, nothing changed,
/// and the victim's phone still approves logins.
#[tokio::test]
async fn a_classmate_cannot_take_over_an_enrolled_identity() {
    use idn_api::{LearnerAction, VerificationMode};
    let world = spawn_world(171).await;
    let victim = enrol_in(&world, "victime@simulation.example").await;
    let classmate =
        idn_e2e::account_at_profile(&world.client, "voisin@simulation.example", "+33639980042").await;
    let anonymous = &world.client;
    for (who, client, expected) in [
        ("a classmate", &classmate.client, "not_your_learner"),
        ("no credential", anonymous, "authentication_required"),
    ] {
        let steps = [
            (
                "forget_secret_code",
                client
                    .act(&victim.id, &LearnerAction::ForgetSecretCode)
                    .await
                    .map(drop),
            ),
            (
                "choose face to face",
                client
                    .act(
                        &victim.id,
                        &LearnerAction::ChooseVerification {
                            mode: VerificationMode::FaceToFace,
                            terms_accepted: false,
                        },
                    )
                    .await
                    .map(drop),
            ),
            ("read the inbox", client.inbox(&victim.id).await.map(drop)),
            ("read the journal", client.journal(&victim.id).await.map(drop)),
        ];
        for (step, answer) in steps {
            let (code, message) = idn_e2e::refusal(answer.expect_err(step));
            assert_eq!(code, expected, "{who}: {step} ({message})");
        }
        let clerk = client
            .clerk_validate(&clerk_validation("123456".into()))
            .await
            .expect_err("the clerk's validation is the clerk's");
        let expected_at_the_desk = match expected {
            "not_your_learner" => "staff_required",
            other => other,
        };
        assert_eq!(
            refusal_code(clerk),
            expected_at_the_desk,
            "{who}: the clerk's desk"
        );
    }
    assert_eq!(
        victim.client().learner(&victim.id).await.unwrap().step,
        "enrolled",
        "the identity is untouched"
    );
    let request = world
        .trainer
        .open_login_request(MOBILE, "Mon Compte Formation")
        .await
        .unwrap();
    assert_eq!(
        victim
            .device
            .approve(&request.request_id, SECRET)
            .await
            .unwrap()
            .status,
        "approved",
        "the victim's phone still approves"
    );
}

#[tokio::test]
async fn anonymous_callers_and_learners_cannot_list_learners_or_read_an_inbox() {
    let world = spawn_world(172).await;
    let alice = idn_e2e::new_learner(&world.client, "alice@simulation.example").await;
    let bob = idn_e2e::new_learner(&world.client, "bob@simulation.example").await;
    let (code, message) = idn_e2e::refusal(world.client.learners().await.unwrap_err());
    assert_eq!(code, "authentication_required");
    assert!(message.contains("Identifiez-vous"), "{message}");
    assert_eq!(
        refusal_code(alice.client.learners().await.unwrap_err()),
        "staff_required",
        "a learner does not list the class"
    );
    assert_eq!(
        refusal_code(world.client.inbox(&alice.id).await.unwrap_err()),
        "authentication_required"
    );
    let (code, message) = idn_e2e::refusal(bob.client.inbox(&alice.id).await.unwrap_err());
    assert_eq!(code, "not_your_learner", "Bob reads Alice's codes");
    assert!(message.contains("autre apprenant"), "{message}");
    assert_eq!(
        refusal_code(bob.client.inbox("inconnu").await.unwrap_err()),
        "not_your_learner",
        "the same refusal whether or not the learner exists"
    );
    // What they may: their own inbox, and the trainer the class list.
    assert_eq!(
        alice.client.inbox(&alice.id).await.unwrap().len(),
        1,
        "Alice's email code"
    );
    assert_eq!(world.trainer.learners().await.unwrap().len(), 2);
}

#[tokio::test]
async fn only_a_trainer_moves_the_class_clock() {
    let world = spawn_world(173).await;
    let base = world.running.base_url();
    let before = world.client.clock().await.unwrap().now;
    let http = reqwest::Client::new();
    let anonymous = http
        .post(format!("{base}/api/clock/advance"))
        .json(&serde_json::json!({ "seconds": 86_400 }))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(
        anonymous.headers()["www-authenticate"],
        "Bearer realm=\"idn-sandbox\"",
        "a 401 says how to authenticate (RFC 6750)"
    );
    let body: serde_json::Value = anonymous.json().await.unwrap();
    assert_eq!(body["code"], "authentication_required");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|message| message.contains("Identifiez-vous")),
        "{body}"
    );
    let learner = idn_e2e::new_learner(&world.client, "eleve@simulation.example").await;
    assert_eq!(
        refusal_code(learner.client.advance_clock(86_400).await.unwrap_err()),
        "staff_required",
        "a learner moves their own time only"
    );
    assert_eq!(
        refusal_code(
            learner
                .client
                .set_clock(ClockMode::Accelerated { factor: 60.0 }, None)
                .await
                .unwrap_err()
        ),
        "staff_required"
    );
    assert!(
        world.client.clock().await.unwrap().now - before < chrono::TimeDelta::minutes(1),
        "the refusals left the class's time alone"
    );
    let moved = world
        .trainer
        .advance_clock(86_400)
        .await
        .expect("the trainer moves it");
    assert!(moved.now - before >= chrono::TimeDelta::days(1));
}

#[tokio::test]
async fn activation_elsewhere_revokes_the_old_phone() {
    use idn_api::{LearnerAction, VerificationMode};
    let world = spawn_world(174).await;
    let old = enrol_in(&world, "nouveau-tel@simulation.example").await;
    // The person gets a new phone: signs in there, forgets the code, verifies again, activates.
    let account = idn_e2e::sign_in(&world.client, "nouveau-tel@simulation.example").await;
    account.act(&LearnerAction::ForgetSecretCode).await.unwrap();
    account
        .act(&LearnerAction::ChooseVerification {
            mode: VerificationMode::FaceToFace,
            terms_accepted: false,
        })
        .await
        .unwrap();
    let code = account.last_code(MessageChannel::Sms).await;
    world
        .trainer
        .clerk_validate(&clerk_validation(code))
        .await
        .unwrap();
    let activation = account.last_code(MessageChannel::Sms).await;
    let mut new_phone = Device::open(
        &world.dir.path().join("nouveau"),
        world.client.clone(),
        Arc::new(MemoryVault::default()),
    )
    .unwrap();
    new_phone.adopt_account(&account.access).unwrap();
    new_phone.activate(&old.id, &activation, "7314").await.unwrap();

    let (code, message) = idn_e2e::refusal(old.device.pending_requests().await.unwrap_err());
    assert_eq!(code, "credential_revoked", "the old phone's access ended");
    assert!(
        message.contains("activée sur un autre téléphone"),
        "the old phone says why, in French: {message}"
    );
    assert!(new_phone.pending_requests().await.unwrap().is_empty());
    assert_eq!(
        account.client.learner(&old.id).await.unwrap().step,
        "enrolled",
        "the La Poste account's credential keeps working"
    );
}

#[tokio::test]
async fn removing_the_identity_revokes_its_credential() {
    let world = spawn_world(175).await;
    let mut enrolled = enrol_in(&world, "retrait@simulation.example").await;
    let before_removal = enrolled.client().clone();
    enrolled.device.remove_identity().await.expect("removed");
    assert!(
        enrolled.device.client().credential().is_none(),
        "the phone forgot its credential"
    );
    let (code, message) = idn_e2e::refusal(
        before_removal
            .pending_login_requests(&enrolled.id)
            .await
            .unwrap_err(),
    );
    assert_eq!(
        code, "credential_revoked",
        "a copy of the removed phone's credential no longer works"
    );
    assert!(message.contains("retirée"), "{message}");
    assert_eq!(
        refusal_code(before_removal.learner(&enrolled.id).await.unwrap_err()),
        "credential_revoked"
    );
}

/// Every operation of the OpenAPI document declares who may call it; each non-public one refuses
/// an anonymous caller (401, French message), each learner route refuses a classmate (403
/// `not_your_learner`), and the public ones answer without asking for a credential. Paths use
/// real ids (a learner, a login request, a face-to-face code, a relying party), so a refusal
/// is the guard's and not a 404.
#[tokio::test]
async fn every_route_refuses_who_it_must() {
    let world = spawn_world(176).await;
    let base = world.running.base_url();
    let victim = enrol_in(&world, "cible@simulation.example").await;
    let (classmate, face_to_face_code) =
        idn_e2e::learner_at_face_to_face(&world.client, "camarade@simulation.example", "+33639980043").await;
    let request = world
        .trainer
        .open_login_request(MOBILE, "Mon Compte Formation")
        .await
        .unwrap();
    let encryption_key = josekit::jwk::Jwk::generate_ec_key(josekit::jwk::alg::ec::EcCurve::P256).unwrap();
    let relying_party = world
        .trainer
        .register_relying_party(&idn_api::NewRelyingParty {
            name: "Service de test".into(),
            redirect_uris: vec!["http://127.0.0.1:9/retour".into()],
            post_logout_redirect_uris: Vec::new(),
            encryption_jwk: Some(
                serde_json::to_value(encryption_key.to_public_key().unwrap().as_ref()).unwrap(),
            ),
            jwks_uri: None,
        })
        .await
        .expect("the trainer registers a relying party");
    let spec: serde_json::Value = reqwest::get(format!("{base}/api/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let real_path = |path: &str| {
        path.replace("{id}", &victim.id)
            .replace("{request_id}", &request.request_id)
            .replace("{code}", &face_to_face_code)
            .replace("{client_id}", &relying_party.relying_party.client_id)
    };
    let http = reqwest::Client::new();
    let send = |method: &str, path: &str, token: Option<&str>| {
        let mut request = http.request(
            method.to_uppercase().parse().unwrap(),
            format!("{base}{}", real_path(path)),
        );
        if method != "get" && method != "delete" {
            request = request.json(&serde_json::json!({}));
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let classmate_token = classmate.client.credential().unwrap().expose().to_owned();
    let (mut operations, mut refusals) = (0, 0);
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().unwrap() {
            if !["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                continue;
            }
            operations += 1;
            let name = format!("{} {path}", method.to_uppercase());
            let security = operation["security"]
                .as_array()
                .unwrap_or_else(|| panic!("{name} declares no security"));
            assert!(!security.is_empty(), "{name}: an empty security list");
            let public = security
                .iter()
                .any(|requirement| requirement.as_object().is_some_and(|r| r.is_empty()));
            let response = send(method, path, None).await.unwrap();
            let status = response.status();
            if public {
                assert!(
                    security.len() == 1,
                    "{name}: public, and yet a credential is listed"
                );
                assert!(
                    status != 401 && status != 403 && !status.is_server_error(),
                    "{name} is public but answered {status} to an anonymous caller"
                );
                continue;
            }
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            assert_eq!(status, 401, "{name} anonymously: {body}");
            assert_eq!(body["code"], "authentication_required", "{name}");
            assert!(
                body["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("Identifiez-vous")),
                "{name}: a French message: {body}"
            );
            refusals += 1;
            let learner_route = security.iter().any(|requirement| {
                requirement.get("apprenant").is_some() || requirement.get("appareil").is_some()
            }) && (path.contains("{id}") || path.contains("{request_id}"));
            if learner_route {
                let response = send(method, path, Some(&classmate_token)).await.unwrap();
                let status = response.status();
                let body: serde_json::Value = response.json().await.unwrap_or_default();
                assert_eq!(status, 403, "{name} with a classmate's credential: {body}");
                assert_eq!(body["code"], "not_your_learner", "{name}");
                refusals += 1;
            }
        }
    }
    assert!(operations >= 30, "the whole API was read: {operations}");
    println!("{operations} operations checked, {refusals} refusals");
    assert_eq!(
        victim
            .device
            .approve(&request.request_id, SECRET)
            .await
            .unwrap()
            .status,
        "approved",
        "nothing the refused calls sent changed the victim's login"
    );
}
