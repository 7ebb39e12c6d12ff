//! The learners every case starts from: one at each step of the journey (the three verification
//! modes, the review, a refusal, activation, enrolled with login requests waiting, locked), built
//! once through the API into a template world whose files each case copies.

use super::{Api, Outgoing};
use axum::http::Method;
use chrono::{DateTime, TimeZone, Utc};
use ed25519_dalek::{Signer, SigningKey};
use idn_api::protocol::{self, RequestTerms, WorldPublicKey};
use idn_api::{
    ClockMode, DocumentKind, IdentityForm, InboxMessage, LearnerView, LoginRequestView, MessageChannel,
    SexField,
};
use idn_world::clock::WallClock;
use idn_world::{http, World, WorldOptions};
use rand::{CryptoRng, RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;

/// The wall clock stands still (a Monday morning) and the world's clock is manual: every code,
/// date and deadline of a case is reproducible, and only the requests under test move time.
pub struct FixedWall;

impl WallClock for FixedWall {
    fn now(&self) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
    }
}

pub const PASSWORD: &str = "Simulation2026";
pub const SECRET_CODE: &str = "2580";
pub const RELYING_PARTY: &str = "Mon Compte Formation";

/// Where a learner of the population is left standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    EmailCode,
    Password,
    Mobile,
    Profile,
    MobileCode,
    IdentityData,
    IdentityConfirmation,
    VerificationChoice,
    FaceToFace,
    PostalLetter,
    RegisteredLetter,
    LetterConfirmed,
    VisualIdentification,
    Review,
    IdentificationRefused,
    ActivationFaceToFace,
    ActivationOnline,
    EnrolledWithRequests,
    Enrolled,
    Locked,
}

/// The population: one learner per goal, two enrolled (so that one device can sign for the other).
pub const GOALS: [Goal; 20] = [
    Goal::EmailCode,
    Goal::Password,
    Goal::Mobile,
    Goal::Profile,
    Goal::MobileCode,
    Goal::IdentityData,
    Goal::IdentityConfirmation,
    Goal::VerificationChoice,
    Goal::FaceToFace,
    Goal::PostalLetter,
    Goal::RegisteredLetter,
    Goal::LetterConfirmed,
    Goal::VisualIdentification,
    Goal::Review,
    Goal::IdentificationRefused,
    Goal::ActivationFaceToFace,
    Goal::ActivationOnline,
    Goal::EnrolledWithRequests,
    Goal::Enrolled,
    Goal::Locked,
];

/// A device's signing key, fixed per learner so that cases are reproducible.
#[derive(Clone)]
pub struct Device {
    pub id: String,
    pub key: SigningKey,
}

impl Device {
    pub fn of(index: usize) -> Self {
        let seed: [u8; 32] = Sha256::digest(format!("hostile-http/device/{index}")).into();
        Self {
            id: format!("appareil-{index:02}"),
            key: SigningKey::from_bytes(&seed),
        }
    }

    pub fn public_hex(&self) -> String {
        hex::encode(self.key.verifying_key().to_bytes())
    }

    /// The activation body a device sends: the secret code sealed to the world, signed.
    pub fn activation(
        &self,
        learner_id: &str,
        code: &str,
        secret: &str,
        world_key: &WorldPublicKey,
        rng: &mut (impl CryptoRng + RngCore),
    ) -> serde_json::Value {
        let public_key = self.public_hex();
        let context = protocol::activation_context(learner_id, &self.id, &public_key);
        let sealed = protocol::seal_secret_code(world_key, secret, &context, rng).expect("sealing works");
        let signature = self.key.sign(&protocol::activation_message(
            learner_id,
            &self.id,
            &public_key,
            &sealed,
        ));
        json!({
            "activation_code": code,
            "device_id": self.id,
            "device_public_key": public_key,
            "sealed_secret_code": sealed,
            "signature": hex::encode(signature.to_bytes()),
        })
    }

    /// An approval of `request`, answering for `device_id` (normally this device's own id).
    #[allow(clippy::too_many_arguments)]
    pub fn approval(
        &self,
        learner_id: &str,
        device_id: &str,
        request: &LoginRequestView,
        sealed_for: (&str, &str),
        secret: &str,
        world_key: &WorldPublicKey,
        rng: &mut (impl CryptoRng + RngCore),
    ) -> serde_json::Value {
        let context = protocol::approval_context(learner_id, sealed_for.0, sealed_for.1);
        let sealed = protocol::seal_secret_code(world_key, secret, &context, rng).expect("sealing works");
        let terms = terms(learner_id, device_id, request);
        let signature = self.key.sign(&protocol::approval_message(&terms, &sealed));
        json!({
            "device_id": device_id,
            "sealed_secret_code": sealed,
            "signature": hex::encode(signature.to_bytes()),
        })
    }

    pub fn decline(
        &self,
        learner_id: &str,
        device_id: &str,
        request: &LoginRequestView,
    ) -> serde_json::Value {
        let terms = terms(learner_id, device_id, request);
        let signature = self.key.sign(&protocol::decline_message(&terms));
        json!({"device_id": device_id, "signature": hex::encode(signature.to_bytes())})
    }
}

fn terms<'a>(learner_id: &'a str, device_id: &'a str, request: &'a LoginRequestView) -> RequestTerms<'a> {
    RequestTerms {
        learner_id,
        request_id: &request.request_id,
        relying_party: &request.relying_party,
        challenge: &request.challenge,
        deadline: request.deadline,
        device_id,
    }
}

/// What the test knows of a learner beyond what the world shows: what the person would type.
#[derive(Clone)]
pub struct Facts {
    pub index: usize,
    pub id: String,
    pub email: String,
    pub mobile: String,
    pub identity: IdentityForm,
    pub device: Device,
    /// The account credential the account's opening (or a confirmed sign-in) gave.
    pub account: String,
    /// The device credential the learner's activation gave, once activated.
    pub device_credential: Option<String>,
    /// The sign-in ticket the right password gave, until the code is confirmed.
    pub ticket: Option<String>,
}

const BIRTH_NAMES: [&str; 8] = [
    "Lefèvre", "Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Simon", "Michel",
];

impl Facts {
    pub fn new(index: usize, id: String) -> Self {
        Self {
            index,
            id,
            email: format!("apprenant{index:02}@simulation.example"),
            mobile: format!("+336399{index:05}"),
            identity: identity(index),
            device: Device::of(index),
            account: String::new(),
            device_credential: None,
            ticket: None,
        }
    }
}

/// A valid identity, different for each learner (birth name, birth date, number ending).
pub fn identity(index: usize) -> IdentityForm {
    IdentityForm {
        document_type: Some(DocumentKind::Cni),
        sex: Some(if index.is_multiple_of(2) {
            SexField::Male
        } else {
            SexField::Female
        }),
        given_names: vec!["Jean".into(), "Édouard".into()],
        birth_name: format!(
            "{}{}",
            BIRTH_NAMES[index % 8],
            ["", "-Roux", "-Petit"][index / 8 % 3]
        ),
        usage_name: None,
        birth_date: format!("19{:02}-02-{:02}", 60 + index % 30, 1 + index % 28),
        birth_country: "99100".into(),
        birth_commune: Some("Bastia".into()),
        birth_insee_code: Some("2B033".into()),
        nationality: "FRA".into(),
        issue_date: "2020-01-15".into(),
        expiry_date: "2034-01-14".into(),
        document_number_ending: format!("7K{index:02}"),
    }
}

/// The files a case uploads, made once: two sides of a specimen card and a short video.
pub struct Media {
    pub front: Vec<u8>,
    pub back: Vec<u8>,
    pub video: Vec<u8>,
    /// Their SHA-256, computed once (hashing the video takes milliseconds in a debug build).
    sums: [String; 3],
}

impl Media {
    /// The SHA-256 (hex) of one of the files, or of any other bytes.
    pub fn checksum(&self, bytes: &[u8]) -> String {
        [&self.front, &self.back, &self.video]
            .iter()
            .position(|file| std::ptr::eq(file.as_slice(), bytes))
            .map(|index| self.sums[index].clone())
            .unwrap_or_else(|| sha256_hex(bytes))
    }

    /// The ids under which the world stores a learner's front, back and video.
    pub fn ids(&self, learner_id: &str) -> [String; 3] {
        let id = |kind: &str, sum: &str| {
            let scoped = sha256_hex(format!("{learner_id}\n{sum}").as_bytes());
            format!("{kind}-{}", &scoped[..24])
        };
        [
            id("photo", &self.sums[0]),
            id("photo", &self.sums[1]),
            id("video", &self.sums[2]),
        ]
    }

    fn make() -> Self {
        let photo = |page: idn_capture::DocumentPage| {
            let config = idn_capture::SyntheticConfig {
                seed: 4,
                ..idn_capture::SyntheticConfig::default()
            };
            let mut source = idn_capture::SyntheticDocumentSource::new(
                page,
                &idn_capture::SpecimenIdentity::example(),
                config,
            )
            .unwrap();
            idn_capture::photograph(&mut source, page.format(), 50, idn_capture::JpegQuality::DOCUMENT)
                .unwrap()
                .jpeg
        };
        let (front, back, video) = (
            photo(idn_capture::DocumentPage::CniFront),
            photo(idn_capture::DocumentPage::CniBack),
            video(),
        );
        let sums = [sha256_hex(&front), sha256_hex(&back), sha256_hex(&video)];
        Self {
            front,
            back,
            video,
            sums,
        }
    }
}

/// Four seconds of the synthetic scene with the digits said clearly: what the machine checks pass.
fn video() -> Vec<u8> {
    use idn_capture::{SceneConfig, Speech, SyntheticFaceScene, SyntheticVoice, VideoSettings};
    let mut voice = SyntheticVoice::new("123".parse().unwrap(), Speech::Clear, 1);
    let config = SceneConfig {
        width: 320,
        height: 240,
        ..SceneConfig::default()
    };
    let mut scene = SyntheticFaceScene::new(
        &idn_capture::SpecimenIdentity::example(),
        config,
        voice.spoken_intervals(),
    )
    .unwrap();
    idn_capture::record_video(
        &mut scene,
        &mut voice,
        std::time::Duration::from_secs(4),
        VideoSettings::default(),
    )
    .unwrap()
    .clip
    .mp4
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub fn upload(learner_id: &str, kind: &str, content_type: &str, bytes: &[u8], checksum: &str) -> Outgoing {
    Outgoing {
        method: Method::POST,
        path: format!("/api/learners/{learner_id}/media?kind={kind}"),
        headers: vec![
            ("content-type", content_type.to_owned()),
            ("x-content-sha256", checksum.to_owned()),
        ],
        body: bytes.to_vec(),
    }
}

/// The newest code of `channel` in a learner's inbox.
pub fn last_code(inbox: &[InboxMessage], channel: MessageChannel) -> Option<String> {
    inbox
        .iter()
        .rev()
        .filter(|message| message.channel == channel)
        .find_map(|message| message.code.clone())
}

pub fn action(id: &str, body: serde_json::Value) -> Outgoing {
    Outgoing::json(Method::POST, format!("/api/learners/{id}/actions"), &body)
}

/// The template world: built once, kept open and idle while cases copy its files.
pub struct Template {
    /// Declared first, closed first: the database closes before its directory goes.
    _world: Arc<World>,
    pub dir: tempfile::TempDir,
    pub learners: Vec<Facts>,
    pub media: Arc<Media>,
    pub world_key: Arc<WorldPublicKey>,
    /// A trainer's API token (`idn staff token create`): the clerk's desk, a relying party's
    /// login requests, the class clock, settings, the support reading.
    pub trainer: String,
}

/// The trainer of the template world (a staff account and its API token, made on the world's
/// machine as `idn staff add` and `idn staff token create` do).
const TRAINER_EMAIL: &str = "formatrice@simulation.example";

pub async fn open_world(dir: &Path) -> (Arc<World>, Api) {
    let mut options = WorldOptions::new(dir);
    options.seed = Some(15);
    options.initial_clock = Some(ClockMode::Manual);
    // Every request comes from the one in-process client and the wall clock stands still: the
    // per-address password quota would turn the cases' logins into 429s, which is not what
    // the property looks at (`throttle.rs` tests the quota).
    options.password_attempts_per_address = idn_world::throttle::AttemptQuota {
        burst: 1_000_000,
        window: std::time::Duration::from_secs(15 * 60),
    };
    let world = Arc::new(
        World::open(options, Arc::new(FixedWall))
            .await
            .expect("the world opens"),
    );
    let api = Api {
        router: http::app(world.clone()),
    };
    (world, api)
}

impl Template {
    pub async fn build() -> Self {
        let media = tokio::task::spawn_blocking(Media::make);
        let dir = tempfile::tempdir().unwrap();
        let (world, api) = open_world(dir.path()).await;
        let keys: idn_api::WorldKeys = api.read("/api/keys").await;
        idn_world::console::add_staff(
            &world,
            TRAINER_EMAIL,
            idn_world::console::Role::Trainer,
            "Formatrice2026!",
        )
        .await
        .expect("a trainer account");
        let (_, trainer) =
            idn_world::access::credentials::create_staff_token(&world, TRAINER_EMAIL, "hostile", None)
                .await
                .expect("a trainer's token");
        let world_key = Arc::new(protocol::parse_public_key(&keys.hpke_public_key).unwrap());
        // Created in order (a learner's id depends on how many came before), then walked
        // side by side: each walk's codes depend only on its own learner.
        let mut learners = Vec::new();
        for index in 0..GOALS.len() {
            let email = Facts::new(index, String::new()).email;
            let view = api
                .must(Outgoing::json(
                    Method::POST,
                    "/api/learners",
                    &json!({"email": email}),
                ))
                .await;
            let mut facts = Facts::new(index, view["id"].as_str().unwrap().to_owned());
            facts.account = view["credential"]["token"].as_str().unwrap().to_owned();
            learners.push(facts);
        }
        let media = Arc::new(media.await.unwrap());
        let walks: Vec<_> = learners
            .iter()
            .zip(GOALS)
            .map(|(facts, goal)| {
                let (api, facts, media, world_key, trainer) = (
                    api.clone(),
                    facts.clone(),
                    media.clone(),
                    world_key.clone(),
                    trainer.clone(),
                );
                tokio::spawn(async move { walk(&api, &facts, goal, &media, &world_key, &trainer).await })
            })
            .collect();
        for (facts, walk) in learners.iter_mut().zip(walks) {
            facts.device_credential = walk.await.expect("every learner reaches their step");
        }
        for (facts, goal) in learners.iter().zip(GOALS) {
            let view: LearnerView = api
                .read_as(&format!("/api/learners/{}", facts.id), &trainer)
                .await;
            assert_eq!(
                view.step.code(),
                goal_step(goal),
                "learner {} stands at {goal:?}",
                facts.index
            );
        }
        Self {
            dir,
            learners,
            media,
            world_key,
            trainer,
            _world: world,
        }
    }

    /// A fresh copy of the template world for one case. The template is idle: its database file
    /// and then its WAL copied in that order hold every committed page (a checkpoint running
    /// meanwhile only copies WAL pages into the file; the WAL is never reset without a writer).
    pub async fn copy(&self) -> (tempfile::TempDir, Arc<World>, Api) {
        let dir = tempfile::tempdir().unwrap();
        let mut names: Vec<_> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| !name.ends_with("-shm"))
            .collect();
        // The database before its WAL.
        names.sort_by_key(|name| name.ends_with("-wal"));
        for name in names {
            let from = self.dir.path().join(&name);
            if from.is_file() {
                std::fs::copy(&from, dir.path().join(&name)).unwrap();
            }
        }
        let (world, api) = open_world(dir.path()).await;
        (dir, world, api)
    }
}

pub fn goal_step(goal: Goal) -> &'static str {
    match goal {
        Goal::EmailCode => "email_code",
        Goal::Password => "password",
        Goal::Mobile => "mobile",
        Goal::Profile => "profile",
        Goal::MobileCode => "mobile_code",
        Goal::IdentityData => "identity_data",
        Goal::IdentityConfirmation => "identity_confirmation",
        Goal::VerificationChoice => "verification_choice",
        Goal::FaceToFace => "face_to_face",
        Goal::PostalLetter => "postal_letter",
        Goal::RegisteredLetter | Goal::LetterConfirmed => "registered_letter",
        Goal::VisualIdentification => "visual_identification",
        Goal::Review => "review",
        Goal::IdentificationRefused => "identification_refused",
        Goal::ActivationFaceToFace | Goal::ActivationOnline => "activation",
        Goal::EnrolledWithRequests | Goal::Enrolled => "enrolled",
        Goal::Locked => "locked",
    }
}

/// Walks a new learner along the normal path to `goal`, through the API only: the learner with
/// their account credential, the trainer (`trainer`'s token) at the clerk's desk, for the review
/// setting and as the relying party. The device credential of an activation, if one was made.
async fn walk(
    api: &Api,
    facts: &Facts,
    goal: Goal,
    media: &Media,
    world_key: &WorldPublicKey,
    trainer: &str,
) -> Option<String> {
    let id = facts.id.as_str();
    let account = facts.account.as_str();
    let inbox = |api: &Api| {
        let path = format!("/api/learners/{id}/inbox");
        let api = api.clone();
        let account = account.to_owned();
        async move { api.read_as::<Vec<InboxMessage>>(&path, &account).await }
    };
    let act = |body: serde_json::Value| api.must(action(id, body).bearer(account));
    if goal == Goal::EmailCode {
        return None;
    }
    let code = last_code(&inbox(api).await, MessageChannel::Email).unwrap();
    act(json!({"action": "confirm_email", "code": code})).await;
    if goal == Goal::Password {
        return None;
    }
    act(json!({"action": "choose_password", "password": PASSWORD})).await;
    if goal == Goal::Mobile {
        return None;
    }
    act(json!({"action": "register_mobile", "mobile": facts.mobile})).await;
    if goal == Goal::Profile {
        return None;
    }
    // « Créer mon compte », then the SMS code (002 steps 6 and 7).
    act(
        json!({"action": "complete_profile", "civility": "monsieur", "first_name": "Jean",
        "last_name": facts.identity.birth_name, "terms_accepted": true}),
    )
    .await;
    if goal == Goal::MobileCode {
        return None;
    }
    let code = last_code(&inbox(api).await, MessageChannel::Sms).unwrap();
    act(json!({"action": "confirm_mobile", "code": code})).await;
    if goal == Goal::IdentityData {
        return None;
    }
    let mut enter = serde_json::to_value(&facts.identity).unwrap();
    enter["action"] = json!("enter_identity");
    act(enter).await;
    if goal == Goal::IdentityConfirmation {
        return None;
    }
    act(json!({"action": "confirm_identity"})).await;
    let mode = match goal {
        Goal::VerificationChoice => return None,
        Goal::PostalLetter => "by_post",
        Goal::RegisteredLetter
        | Goal::LetterConfirmed
        | Goal::VisualIdentification
        | Goal::Review
        | Goal::IdentificationRefused
        | Goal::ActivationOnline => "online",
        _ => "face_to_face",
    };
    act(json!({"action": "choose_verification", "mode": mode, "terms_accepted": mode == "online"})).await;
    match goal {
        Goal::FaceToFace | Goal::PostalLetter | Goal::RegisteredLetter => return None,
        _ => {}
    }
    if mode == "online" {
        act(json!({"action": "read_letter"})).await;
        act(json!({"action": "confirm_letter_identity"})).await;
        if goal == Goal::LetterConfirmed {
            return None;
        }
        act(json!({"action": "start_visual_identification"})).await;
        for (kind, content_type, bytes) in [
            ("photo", "image/jpeg", &media.front),
            ("photo", "image/jpeg", &media.back),
            ("video", "video/mp4", &media.video),
        ] {
            api.must(upload(id, kind, content_type, bytes, &media.checksum(bytes)).bearer(account))
                .await;
        }
        if goal == Goal::VisualIdentification {
            return None;
        }
        if goal == Goal::IdentificationRefused {
            api.must(
                Outgoing::json(
                    Method::PUT,
                    format!("/api/learners/{id}/settings"),
                    &json!({"review": "refuse_next", "reason": "reflet"}),
                )
                .bearer(trainer),
            )
            .await;
        }
        act(submission(id, media)).await;
        if goal == Goal::Review {
            return None;
        }
        api.must(
            Outgoing::json(
                Method::POST,
                format!("/api/learners/{id}/clock/advance"),
                &json!({"seconds": 16 * 60}),
            )
            .bearer(account),
        )
        .await;
        return None;
    }
    let code = last_code(&inbox(api).await, MessageChannel::Sms).unwrap();
    let identity = &facts.identity;
    api.must(
        Outgoing::json(
            Method::POST,
            "/api/clerk/validations",
            &json!({"code": code, "document_type": "cni", "birth_name": identity.birth_name,
            "birth_date": identity.birth_date, "document_number_ending": identity.document_number_ending}),
        )
        .bearer(trainer),
    )
    .await;
    if goal == Goal::ActivationFaceToFace {
        return None;
    }
    let code = last_code(&inbox(api).await, MessageChannel::Sms).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(facts.index as u64);
    let body = facts
        .device
        .activation(id, &code, SECRET_CODE, world_key, &mut rng);
    let activated = api
        .must(Outgoing::json(Method::POST, format!("/api/learners/{id}/activation"), &body).bearer(account))
        .await;
    let device_credential = activated["credential"]["token"]
        .as_str()
        .expect("the activation gives the device's credential")
        .to_owned();
    match goal {
        Goal::EnrolledWithRequests => {
            for _ in 0..2 {
                api.must(
                    Outgoing::json(
                        Method::POST,
                        "/api/login-requests",
                        &json!({"mobile": facts.mobile, "relying_party": RELYING_PARTY}),
                    )
                    .bearer(trainer),
                )
                .await;
            }
        }
        Goal::Locked => {
            act(json!({"action": "forget_secret_code"})).await;
        }
        _ => {}
    }
    Some(device_credential)
}

/// The online submission of a learner: both sides of the card and the video, as uploaded.
pub fn submission(id: &str, media: &Media) -> serde_json::Value {
    let [front, back, video] = media.ids(id);
    json!({
        "action": "submit_visual_identification",
        "document_type": "cni",
        "photos": [
            {"side": "front", "media_id": front},
            {"side": "back", "media_id": back},
        ],
        "video_media_id": video,
    })
}
