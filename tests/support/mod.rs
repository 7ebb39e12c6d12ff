//! Helpers shared by the end-to-end suites: find the `idn` binary, spawn a world in-process or
//! as a separate process, and walk a learner through the early steps.

use idn_api::{
    Civility, ClockMode, DocumentKind, IdentityForm, LearnerAction, LearnerView, MessageChannel, SexField,
    VerificationMode,
};
use idn_device::{ClientError, Device, DeviceError, MemoryVault, WorldClient};
use idn_world::{RunningWorld, WorldOptions};
use std::path::PathBuf;
use std::sync::Arc;

/// The `idn` binary of this workspace, built on first use: `cargo test` builds a package's
/// binaries only for that package's own tests, and these suites live in another package.
pub fn idn_binary() -> PathBuf {
    static BUILT: std::sync::Once = std::sync::Once::new();
    let mut dir = std::env::current_exe().expect("test executable path");
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let binary = dir.join(format!("idn{}", std::env::consts::EXE_SUFFIX));
    BUILT.call_once(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = std::process::Command::new(cargo);
        build.args(["build", "--quiet", "-p", "idn-cli", "--bin", "idn"]);
        if dir.file_name().is_some_and(|profile| profile == "release") {
            build.arg("--release");
        }
        let status = build.status().expect("cargo runs");
        assert!(status.success(), "building the idn binary failed");
    });
    assert!(
        binary.exists(),
        "{} is missing after `cargo build -p idn-cli`",
        binary.display()
    );
    binary
}

/// A world in this process on a loopback port, with a manual clock and a seed.
pub struct TestWorld {
    pub running: RunningWorld,
    pub client: WorldClient,
    pub dir: tempfile::TempDir,
    /// The scenario engine's console account in this world (what `idn world serve` gives it).
    pub engine: idn_world::console::EngineAccount,
}

pub async fn spawn_world(seed: u64) -> TestWorld {
    spawn_world_with(seed, |_, _| {}).await
}

/// `spawn_world` with its options changed first, knowing the address it will listen on (so that
/// a public URL can name its port).
pub async fn spawn_world_with(
    seed: u64,
    configure: impl FnOnce(&mut WorldOptions, std::net::SocketAddr),
) -> TestWorld {
    let dir = tempfile::tempdir().expect("temp dir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let mut options = WorldOptions::new(dir.path().join("world"));
    options.seed = Some(seed);
    options.initial_clock = Some(ClockMode::Manual);
    configure(&mut options, listener.local_addr().expect("bound address"));
    // As `idn world serve` does: the console applies scenarios through the world's address,
    // deciding at the desks under the engine's own console account.
    let idn_scenario::ServedWorld {
        world: running,
        engine,
    } = idn_scenario::serve(options, listener)
        .await
        .expect("world starts with its scenario engine");
    let client = WorldClient::new(running.base_url());
    TestWorld {
        running,
        client,
        dir,
        engine,
    }
}

pub const MOBILE: &str = "+33639980001";

pub fn identity() -> IdentityForm {
    IdentityForm {
        document_type: Some(DocumentKind::Cni),
        sex: Some(SexField::Male),
        given_names: vec!["Jean".into(), "Édouard".into()],
        birth_name: "Lefèvre".into(),
        usage_name: None,
        birth_date: "1985-02-11".into(),
        birth_country: "99100".into(),
        birth_commune: Some("Bastia".into()),
        birth_insee_code: Some("2B033".into()),
        nationality: "FRA".into(),
        issue_date: "2020-01-15".into(),
        expiry_date: "2034-01-14".into(),
        document_number_ending: "7K2P".into(),
    }
}

pub async fn last_code(client: &WorldClient, id: &str, channel: MessageChannel) -> String {
    client
        .inbox(id)
        .await
        .expect("inbox")
        .iter()
        .rev()
        .filter(|message| message.channel == channel)
        .find_map(|message| message.code.clone())
        .unwrap_or_else(|| panic!("no {channel:?} code in the inbox"))
}

/// A new account brought to the SMS code of `mobile`: the id and the code received.
pub async fn account_at_sms_code(client: &WorldClient, email: &str, mobile: &str) -> (String, String) {
    let id = client.create_learner(email).await.expect("create").id;
    let code = last_code(client, &id, MessageChannel::Email).await;
    client
        .act(&id, &LearnerAction::ConfirmEmail { code })
        .await
        .expect("email code");
    client
        .act(
            &id,
            &LearnerAction::ChoosePassword {
                password: "Simulation2026".into(),
            },
        )
        .await
        .expect("password");
    client
        .act(
            &id,
            &LearnerAction::RegisterMobile {
                mobile: mobile.into(),
            },
        )
        .await
        .expect("mobile");
    let code = last_code(client, &id, MessageChannel::Sms).await;
    (id, code)
}

/// A new account up to « Civilité, prénom et nom », with `mobile` confirmed.
pub async fn account_at_profile(client: &WorldClient, email: &str, mobile: &str) -> String {
    let (id, code) = account_at_sms_code(client, email, mobile).await;
    client
        .act(&id, &LearnerAction::ConfirmMobile { code })
        .await
        .expect("sms code");
    id
}

/// Account created, identity confirmed: the learner stands at the verification choice.
pub async fn learner_with_confirmed_identity(client: &WorldClient, email: &str, mobile: &str) -> LearnerView {
    let id = account_at_profile(client, email, mobile).await;
    client
        .act(
            &id,
            &LearnerAction::CompleteProfile {
                civility: Civility::Monsieur,
                first_name: "Jean".into(),
                last_name: "Lefèvre".into(),
                terms_accepted: true,
                marketing_opt_in: false,
            },
        )
        .await
        .expect("profile");
    client
        .act(&id, &LearnerAction::EnterIdentity(Box::new(identity())))
        .await
        .expect("identity");
    client
        .act(&id, &LearnerAction::ConfirmIdentity)
        .await
        .expect("confirm identity")
}

/// Face to face chosen: the learner's id and the code they bring to the post office (by SMS).
pub async fn learner_at_face_to_face(client: &WorldClient, email: &str, mobile: &str) -> (String, String) {
    let id = learner_with_confirmed_identity(client, email, mobile).await.id;
    client
        .act(
            &id,
            &LearnerAction::ChooseVerification {
                mode: VerificationMode::FaceToFace,
            },
        )
        .await
        .expect("face to face");
    let code = last_code(client, &id, MessageChannel::Sms).await;
    (id, code)
}

/// Face to face validated by the clerk: the learner waits for the activation code.
pub async fn learner_at_activation(client: &WorldClient, email: &str, mobile: &str) -> LearnerView {
    let (_, code) = learner_at_face_to_face(client, email, mobile).await;
    let form = identity();
    client
        .clerk_validate(&idn_api::ClerkValidation {
            code,
            document_type: DocumentKind::Cni,
            birth_name: form.birth_name,
            birth_date: form.birth_date.parse().unwrap(),
            document_number_ending: form.document_number_ending,
        })
        .await
        .expect("clerk validates")
}

/// The code and French message of a refusal from the world (from the client or the device).
pub fn refusal(error: impl Into<DeviceError>) -> (String, String) {
    match error.into() {
        DeviceError::Client(ClientError::World { code, message, .. }) => {
            assert!(!message.is_empty(), "a refusal carries a French message");
            (code, message)
        }
        other => panic!("expected a refusal from the world, got {other:?}"),
    }
}

/// The code of a refusal from the world, which always carries a French message.
pub fn refusal_code(error: impl Into<DeviceError>) -> String {
    refusal(error).0
}

/// A learner activated on a device of their own (in `dir/email`, key in memory) with `secret`.
pub async fn activated_device(
    client: &WorldClient,
    dir: &std::path::Path,
    email: &str,
    mobile: &str,
    secret: &str,
) -> (String, Device, Arc<MemoryVault>) {
    let id = learner_at_activation(client, email, mobile).await.id;
    let code = last_code(client, &id, MessageChannel::Sms).await;
    let vault = Arc::new(MemoryVault::default());
    let mut device = Device::open(&dir.join(email), client.clone(), vault.clone()).unwrap();
    let view = device.activate(&id, &code, secret).await.expect("activation");
    assert_eq!(view.step, "enrolled");
    (id, device, vault)
}

/// GETs `url` and reads its JSON body; a transport or decoding error fails the test.
pub async fn get_json(client: &reqwest::Client, url: impl reqwest::IntoUrl) -> serde_json::Value {
    client.get(url).send().await.unwrap().json().await.unwrap()
}
