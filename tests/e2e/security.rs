//! Attacks on the secret code, the device key and login approvals, through the world's HTTP API:
//! replayed, altered, cross-request and racing answers; the failure counter across restarts;
//! and a search of everything the world and the device wrote for the secrets they used.

use ed25519_dalek::{Signer, SigningKey};
use idn_api::{protocol, ApprovalAnswer, ClockMode, LoginRequestView, MessageChannel};
use idn_device::{Device, MemoryVault, Vault, WorldClient};
use idn_e2e::{
    account_at_sms_code, activated_device, idn_binary, last_code, refusal_code, spawn_world, MOBILE,
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

async fn enrol(client: &WorldClient, dir: &std::path::Path, email: &str) -> Enrolled {
    let (id, device, vault) = activated_device(client, dir, email, MOBILE, SECRET).await;
    Enrolled { id, device, vault }
}

impl Enrolled {
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
    let client = &world.client;
    let enrolled = enrol(client, world.dir.path(), "attaque@simulation.example").await;
    let first = client
        .open_login_request(MOBILE, "Mon Compte Formation")
        .await
        .unwrap();
    let second = client
        .open_login_request(MOBILE, "Mon Compte Formation")
        .await
        .unwrap();

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
    let client = &world.client;
    let enrolled = Arc::new(enrol(client, world.dir.path(), "course@simulation.example").await);
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
    let enrolled = enrol(&client, dir.path(), "compteur@simulation.example").await;
    let request = client
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
    assert_eq!(client.learner(&enrolled.id).await.unwrap().step, "locked");
    world.stop().await;
}

#[tokio::test]
async fn ce_n_est_pas_moi_refuses_the_request_and_is_recorded() {
    let world = spawn_world(34).await;
    let client = &world.client;
    let enrolled = enrol(client, world.dir.path(), "pasmoi@simulation.example").await;
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
    let journal = client.journal(&enrolled.id).await.unwrap();
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
    let enrolled = enrol(&client, &dir.path().join("device"), "secrets@simulation.example").await;
    let request = client
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
    let one_time_codes: Vec<String> = client
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
    let client = &world.client;
    let enrolled = enrol(client, world.dir.path(), "oubli@simulation.example").await;
    let view = client
        .act(&enrolled.id, &idn_api::LearnerAction::ForgetSecretCode)
        .await
        .unwrap();
    assert_eq!(view.step, "locked");
    let refused = client
        .open_login_request(MOBILE, "Mon Compte Formation")
        .await
        .unwrap_err();
    assert_eq!(
        refusal_code(refused),
        "secret_code_locked",
        "no login until re-activation"
    );

    // Verify identity again (face to face here), then activate with a new code on a new key.
    client
        .act(
            &enrolled.id,
            &idn_api::LearnerAction::ChooseVerification {
                mode: idn_api::VerificationMode::FaceToFace,
            },
        )
        .await
        .unwrap();
    let code = last_code(client, &enrolled.id, MessageChannel::Sms).await;
    let identity = idn_e2e::identity();
    client
        .clerk_validate(&idn_api::ClerkValidation {
            code,
            document_type: idn_api::DocumentKind::Cni,
            birth_name: identity.birth_name,
            birth_date: identity.birth_date.parse().unwrap(),
            document_number_ending: identity.document_number_ending,
        })
        .await
        .unwrap();
    let activation = last_code(client, &enrolled.id, MessageChannel::Sms).await;
    let vault = Arc::new(MemoryVault::default());
    let mut device =
        Device::open(&world.dir.path().join("nouveau-telephone"), client.clone(), vault).unwrap();
    device
        .activate(&enrolled.id, &activation, "8642")
        .await
        .expect("re-activation with a new code");

    let request = client
        .open_login_request(MOBILE, "Mon Compte Formation")
        .await
        .unwrap();
    let stale = enrolled
        .device
        .approve(&request.request_id, SECRET)
        .await
        .unwrap_err();
    assert_eq!(
        refusal_code(stale),
        "not_the_enrolled_device",
        "the old device and its key are retired"
    );
    assert_eq!(
        device.approve(&request.request_id, "8642").await.unwrap().status,
        "approved"
    );
}

#[tokio::test]
async fn a_replayed_wrong_answer_cannot_lock_the_person_out() {
    let world = spawn_world(36).await;
    let client = &world.client;
    let enrolled = enrol(client, world.dir.path(), "rejeu@simulation.example").await;
    let request = client
        .open_login_request(MOBILE, "Mon Compte Formation")
        .await
        .unwrap();
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
    let client = &world.client;
    let mut enrolled = enrol(client, world.dir.path(), "cle@simulation.example").await;
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
    let request = client
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
    let client = &world.client;
    let enrolled = enrol(client, world.dir.path(), "bloque@simulation.example").await;
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

// ----- one identity per mobile number (FranceConnect+ finds the identity by the number) -----

#[tokio::test]
async fn a_mobile_enrolled_on_one_identity_is_refused_to_another_while_its_holder_keeps_it() {
    use idn_api::LearnerAction;
    let world = spawn_world(39).await;
    let client = &world.client;
    let holder = enrol(client, world.dir.path(), "titulaire@simulation.example").await;

    let (id, code) = account_at_sms_code(client, "proche@simulation.example", "06 39 98 00 01").await;
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
        "profile"
    );

    // A holder who forgot the secret code and verifies again keeps the number meanwhile.
    client
        .act(&holder.id, &LearnerAction::ForgetSecretCode)
        .await
        .unwrap();
    client
        .act(
            &holder.id,
            &LearnerAction::ChooseVerification {
                mode: idn_api::VerificationMode::FaceToFace,
            },
        )
        .await
        .unwrap();
    let (other, code) = account_at_sms_code(client, "autre@simulation.example", MOBILE).await;
    assert_eq!(
        refusal_code(
            client
                .act(&other, &LearnerAction::ConfirmMobile { code })
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
    let client = &world.client;
    // Both prove the number before either activates: the rule holds at activation.
    let first = idn_e2e::learner_at_activation(client, "premier@simulation.example", MOBILE)
        .await
        .id;
    let second = idn_e2e::learner_at_activation(client, "second@simulation.example", MOBILE)
        .await
        .id;
    let activate = |id: String, name: &'static str| {
        let client = client.clone();
        let dir = world.dir.path().join(name);
        async move {
            let code = last_code(&client, &id, MessageChannel::Sms).await;
            let vault = Arc::new(MemoryVault::default());
            let mut device = Device::open(&dir, client.clone(), vault).unwrap();
            device.activate(&id, &code, SECRET).await.map(|_| device)
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
    assert_eq!(client.learner(&second).await.unwrap().step, "activation");

    let request = client
        .open_login_request(MOBILE, "Mon Compte Formation")
        .await
        .unwrap();
    assert_eq!(
        client
            .pending_login_requests(&first)
            .await
            .unwrap()
            .iter()
            .map(|pending| pending.request_id.as_str())
            .collect::<Vec<_>>(),
        [request.request_id.as_str()],
        "the login request reaches the one identity of the number"
    );
    assert!(client.pending_login_requests(&second).await.unwrap().is_empty());
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
    enrol(&world.client, world.dir.path(), "fichiers@simulation.example").await;
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
    let client = &world.client;
    let id = client
        .create_learner("horloge@simulation.example")
        .await
        .unwrap()
        .id;
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
        client
            .advance_learner_clock(&id, 5_461_746_301)
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
