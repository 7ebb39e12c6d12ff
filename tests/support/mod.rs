//! Helpers shared by the end-to-end suites: find the `idn` binary, spawn a world in-process or
//! as a separate process, and walk a learner through the early steps.

use idn_api::{
    Civility, ClockMode, Credential, DeskSession, DocumentKind, IdentityForm, LearnerAccess, LearnerAction,
    LearnerView, MessageChannel, SexField, VerificationMode,
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
    /// The world without a credential: what anyone may call (status, keys, the class time,
    /// opening an account, typing a password).
    pub client: WorldClient,
    /// The world as its trainer: the engine's console session as Bearer (class clock, settings,
    /// the clerk's desk, login requests in a relying party's name).
    pub trainer: WorldClient,
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
    let trainer = DeskSession::sign_in(&running.base_url(), &engine.email, &engine.password)
        .await
        .expect("the engine's trainer account signs in at the console")
        .api();
    TestWorld {
        running,
        client,
        trainer,
        dir,
        engine,
    }
}

/// A learner as the suites drive them: the account's id and the world as that learner (the
/// account credential its creation answered). `access` is that answer, for a phone to adopt.
#[derive(Debug, Clone)]
pub struct Learner {
    pub id: String,
    pub client: WorldClient,
    pub access: LearnerAccess,
}

impl Learner {
    /// The learner an account opening (or a sign-in, an activation) answered, acting with the
    /// credential that came with it.
    pub fn from_access(world: &WorldClient, access: LearnerAccess) -> Self {
        Self {
            id: access.learner.id.clone(),
            client: world.with_credential(Credential::new(access.credential.token.clone())),
            access,
        }
    }

    /// The last code of `channel` in this learner's inbox.
    pub async fn last_code(&self, channel: MessageChannel) -> String {
        last_code(&self.client, &self.id, channel).await
    }

    pub async fn act(&self, action: &LearnerAction) -> Result<LearnerView, ClientError> {
        self.client.act(&self.id, action).await
    }
}

/// « Créer mon compte »: a new account, and the learner acting with its credential.
pub async fn new_learner(world: &WorldClient, email: &str) -> Learner {
    let access = world.create_learner(email).await.expect("create");
    Learner::from_access(world, access)
}

/// The password every helper's account chooses.
pub const PASSWORD: &str = "Simulation2026";

/// « Se connecter avec un compte La Poste existant » from a phone: the password (which earns the
/// sign-in ticket), the code read with that ticket and typed back; the account's new credential.
pub async fn sign_in(world: &WorldClient, email: &str) -> Learner {
    let started = world
        .start_account_login(email, PASSWORD)
        .await
        .expect("right password");
    let signing_in = world.with_credential(Credential::new(started.ticket.token.clone()));
    let code = last_code(
        &signing_in,
        &started.challenge.account_id,
        started.challenge.channel,
    )
    .await;
    let access = signing_in
        .confirm_account_login(email, &code)
        .await
        .expect("right code");
    Learner::from_access(world, access)
}

/// The world served by `running` as a trainer, by an API token made on the world's machine
/// (what `idn staff add` and `idn staff token create` do), for worlds started without the
/// scenario engine's account.
pub async fn trainer_of(running: &RunningWorld) -> WorldClient {
    let email = "formatrice@simulation.example";
    idn_world::console::add_staff(
        running.world(),
        email,
        idn_world::console::Role::Trainer,
        "Formatrice2026!",
    )
    .await
    .expect("a trainer account");
    let (_, token) =
        idn_world::access::credentials::create_staff_token(running.world(), email, "suites", None)
            .await
            .expect("a trainer's token");
    WorldClient::new(running.base_url()).with_credential(Credential::new(token))
}

/// A trainer's API token for the world in `data_dir`, made on the world's machine as a trainer
/// would (`idn staff add`, then `idn staff token create`), for `IDN_TOKEN`. Run before or while
/// the world is served from that folder.
pub fn trainer_token(data_dir: &std::path::Path) -> String {
    let email = "formatrice@simulation.example";
    let idn = |args: &[&str]| {
        let output = std::process::Command::new(idn_binary())
            .args(args)
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--json")
            .output()
            .expect("idn runs");
        assert!(
            output.status.success(),
            "idn {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&output.stdout).expect("JSON answer")
    };
    idn(&[
        "staff",
        "add",
        "--role",
        "formateur",
        "--email",
        email,
        "--password",
        "Formatrice2026!",
    ]);
    let token = idn(&["staff", "token", "create", "--email", email, "--nom", "suites"]);
    token["token"].as_str().expect("the token's secret").to_owned()
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

/// The last code of `channel` in learner `id`'s inbox, read by `client` (the learner, or staff).
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

/// A new account up to « Renseignez vos informations » (before « Créer mon compte »), with
/// `mobile` typed. `world` is any client of the world (the account is opened anonymously).
pub async fn account_at_profile(world: &WorldClient, email: &str, mobile: &str) -> Learner {
    let learner = new_learner(world, email).await;
    let code = learner.last_code(MessageChannel::Email).await;
    learner
        .act(&LearnerAction::ConfirmEmail { code })
        .await
        .expect("email code");
    learner
        .act(&LearnerAction::ChoosePassword {
            password: PASSWORD.into(),
        })
        .await
        .expect("password");
    learner
        .act(&LearnerAction::RegisterMobile {
            mobile: mobile.into(),
        })
        .await
        .expect("mobile");
    learner
}

/// The profile every helper types on « Renseignez vos informations ».
pub fn profile_action() -> LearnerAction {
    LearnerAction::CompleteProfile {
        civility: Civility::Monsieur,
        first_name: "Jean".into(),
        last_name: "Lefèvre".into(),
        terms_accepted: true,
        marketing_opt_in: false,
    }
}

/// A new account created (« Créer mon compte ») whose number awaits its SMS code (002 steps 6
/// and 7): the learner and the code received.
pub async fn account_at_sms_code(world: &WorldClient, email: &str, mobile: &str) -> (Learner, String) {
    let learner = account_at_profile(world, email, mobile).await;
    learner.act(&profile_action()).await.expect("profile");
    let code = learner.last_code(MessageChannel::Sms).await;
    (learner, code)
}

/// Account created, identity confirmed: the learner stands at the verification choice.
pub async fn learner_with_confirmed_identity(world: &WorldClient, email: &str, mobile: &str) -> Learner {
    let (learner, code) = account_at_sms_code(world, email, mobile).await;
    learner
        .act(&LearnerAction::ConfirmMobile { code })
        .await
        .expect("sms code");
    learner
        .act(&LearnerAction::EnterIdentity(Box::new(identity())))
        .await
        .expect("identity");
    let view = learner
        .act(&LearnerAction::ConfirmIdentity)
        .await
        .expect("confirm identity");
    assert_eq!(view.step, "verification_choice", "the identity is confirmed");
    learner
}

/// Face to face chosen: the learner and the activation code they show at the post office (by
/// SMS), the one code of the face-to-face path (002).
pub async fn learner_at_face_to_face(world: &WorldClient, email: &str, mobile: &str) -> (Learner, String) {
    let learner = learner_with_confirmed_identity(world, email, mobile).await;
    learner
        .act(&LearnerAction::ChooseVerification {
            mode: VerificationMode::FaceToFace,
            terms_accepted: false,
        })
        .await
        .expect("face to face");
    let code = learner.last_code(MessageChannel::Sms).await;
    (learner, code)
}

/// The clerk's validation of the learner's identity document (`identity()`), for `code`.
pub fn clerk_validation(code: String) -> idn_api::ClerkValidation {
    let form = identity();
    idn_api::ClerkValidation {
        code,
        document_type: DocumentKind::Cni,
        birth_name: form.birth_name,
        birth_date: form.birth_date.parse().unwrap(),
        document_number_ending: form.document_number_ending,
    }
}

/// Face to face validated by the clerk (`trainer`, who may work the clerk's desk): the learner
/// makes the final validation in the app with the code the clerk saw.
pub async fn learner_at_activation(
    world: &WorldClient,
    trainer: &WorldClient,
    email: &str,
    mobile: &str,
) -> Learner {
    let (learner, code) = learner_at_face_to_face(world, email, mobile).await;
    let view = trainer
        .clerk_validate(&clerk_validation(code))
        .await
        .expect("clerk validates");
    assert_eq!(
        view.step, "activation",
        "after the clerk, the final validation is in the app"
    );
    learner
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

/// A learner activated on a device of their own (in `dir/email`, key in memory) with `secret`:
/// the phone adopts the account (its credential), then activates, and from then on its client
/// carries the device credential.
pub async fn activated_device(
    world: &WorldClient,
    trainer: &WorldClient,
    dir: &std::path::Path,
    email: &str,
    mobile: &str,
    secret: &str,
) -> (String, Device, Arc<MemoryVault>) {
    let learner = learner_at_activation(world, trainer, email, mobile).await;
    let code = learner.last_code(MessageChannel::Sms).await;
    let vault = Arc::new(MemoryVault::default());
    let mut device = Device::open(&dir.join(email), world.anonymous(), vault.clone()).unwrap();
    device.adopt_account(&learner.access).expect("the phone signs in");
    let view = device
        .activate(&learner.id, &code, secret)
        .await
        .expect("activation");
    assert_eq!(view.step, "enrolled");
    (learner.id, device, vault)
}

/// GETs `url` and reads its JSON body; a transport or decoding error fails the test.
pub async fn get_json(client: &reqwest::Client, url: impl reqwest::IntoUrl) -> serde_json::Value {
    client.get(url).send().await.unwrap().json().await.unwrap()
}
