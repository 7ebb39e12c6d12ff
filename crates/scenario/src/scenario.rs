//! Scenario files (`scenarios/*.toml`, format in `scenarios/README.md`): a persona, a seed, the
//! step to reach and the faults met on the way, with the French explanation an agent gives the
//! user. Applying one drives the world exactly as a person would — the device core, the public
//! API, the learner's own clock for expiries (a class's other learners keep theirs) — and never writes its database.

use crate::desk::{ConsoleDesk, Presented, Review};
use crate::error::{bail, invalid, Context, Result, ScenarioError};
use crate::persona::{self, Persona};
use idn_api::{
    BlockerView, ClerkValidation, DeliveryFate, DeliveryFault, DocumentKind, JournalDetail, LearnerAction,
    LearnerSituation, LearnerView, MediaKind, MessageChannel, PendingCodeView, PlannedLearner, ReviewPolicy,
    Side, SubmittedPhoto, VerificationMode,
};
use idn_capture::{
    photograph, Degradation, Degradations, DocumentPage, Framing, JpegQuality, SceneConfig, Speech,
    SyntheticConfig, SyntheticDocumentSource, SyntheticFaceScene, SyntheticVoice, VideoSettings,
};
use idn_device::{ClientError, Device, DeviceError, MemoryVault, Vault, WorldClient};
use idn_journey::{rules, Step};
use idn_world::console::EngineAccount;
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The format version this build reads and writes.
pub const SCENARIO_VERSION: u32 = 1;

/// The relying party the scenarios log in to.
pub const RELYING_PARTY: &str = "Mon Compte Formation";

/// Preview frames before a photo is taken by hand when auto-capture never fires (as `idn
/// capture`: a degraded photo is never auto-captured).
const PHOTO_PREVIEW_FRAMES: u32 = 50;

/// Length of a recording: the lead-in and three digits with pauses (as `idn capture video`).
const VIDEO_SECONDS: f64 = 6.0;

/// How long the engine waits for the world to announce a decision that is due (the automatic
/// review once its time has come): far beyond the world's sweep, which runs twice a second.
const DECISION_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Why a scenario with desk decisions cannot be applied here, in French.
const NO_DESK_ACCOUNT: &str = "ce scénario fait décider un bureau de la console (examen AR24 ou guichet) : seul le monde lancé avec le moteur de scénarios lui donne un compte — appliquez-le depuis la page « Scénarios » de la console de ce monde, ou dans un monde neuf (idn scenario apply --data-dir, idn replay)";

/// One scenario file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub version: u32,
    /// Catalogue name; the file's stem when absent.
    #[serde(default)]
    pub name: String,
    /// Short French title.
    pub title: String,
    /// What the agent sees, in one French sentence.
    #[serde(default)]
    pub situation: String,
    /// What the agent tells the user, in French.
    pub explanation: String,
    /// A catalogue persona's name, or a whole persona.
    pub persona: PersonaRef,
    /// Seed of a fresh world: the same seed and scenario give the same journal, byte for byte.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// How the identity is verified when the path goes through verification.
    #[serde(default)]
    pub verification: Verification,
    /// Step code where the learner lands (`email_code`, `review`, `locked`…).
    pub reach: String,
    /// Faults, each applied at its step (see the README).
    #[serde(default, rename = "fault", skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<Fault>,
}

fn default_seed() -> u64 {
    1
}

#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum PersonaRef {
    Named(String),
    Inline(Box<Persona>),
}

/// A name, or a whole persona whose errors (a misspelt field) are reported as they are, which
/// serde's untagged enums would hide.
impl<'de> Deserialize<'de> for PersonaRef {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match toml::Value::deserialize(deserializer)? {
            toml::Value::String(name) => Ok(Self::Named(name)),
            table => Persona::deserialize(table)
                .map(|persona| Self::Inline(Box::new(persona)))
                .map_err(serde::de::Error::custom),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    #[default]
    FaceToFace,
    Online,
    ByPost,
}

impl Verification {
    fn wire(self) -> VerificationMode {
        match self {
            Self::FaceToFace => VerificationMode::FaceToFace,
            Self::Online => VerificationMode::Online,
            Self::ByPost => VerificationMode::ByPost,
        }
    }
}

/// The codes a person types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeName {
    Email,
    Sms,
    FaceToFace,
    Activation,
}

/// Fields of the identity form a typo can hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TypoField {
    FirstGivenName,
    BirthName,
    BirthDate,
    BirthCommune,
    DocumentNumberEnding,
}

/// Something that goes wrong on the way, applied at its step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// The message lands in the spam folder (planned from the account's creation).
    MessageInSpam {
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        channel: Option<MessageChannel>,
    },
    /// The message never arrives (planned from the account's creation).
    MessageWithheld {
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        channel: Option<MessageChannel>,
    },
    /// A wrong code typed `times` times at the code's step.
    WrongCode {
        code: CodeName,
        #[serde(default = "once")]
        times: u8,
    },
    /// The code's validity passes (the learner's clock moves forward by it).
    CodeExpired { code: CodeName },
    /// The identity form is typed with this field wrong, then confirmed.
    IdentityTypo { field: TypoField, typed: String },
    /// The persona's identity is typed and refused (under 18, document expired…).
    IdentityRefused,
    /// The visual identification is refused with this reason (`RefusalReason` code).
    IdentificationRefused { reason: String },
    /// "J'ai oublié mon code secret" in the app.
    SecretCodeForgotten,
    /// A wrong secret code typed `times` times to approve a login.
    WrongSecretCode {
        #[serde(default = "once")]
        times: u8,
    },
    /// A login request left unanswered past its minute.
    ApprovalExpired,
    /// The identity was moved to a new phone; the old one answers a login request.
    ApprovalFromOtherDevice,
    /// Another mobile number typed on FranceConnect+.
    WrongMobileTyped { typed: String },
    /// The phone has no camera.
    CameraMissing,
    /// The person refused the camera permission.
    CameraDenied,
    /// The phone has no usable microphone.
    MicrophoneMissing,
    /// The person refused the microphone permission.
    MicrophoneDenied,
    /// The network drops while a photo is sent: the world receives a truncated file.
    UploadInterrupted,
    /// The online identification goes to the console's review desk (the learner is put on
    /// « revue manuelle » just before submitting) and the engine decides there as the reviewer
    /// would; without a decision it waits at the desk.
    ReviewDesk {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        decision: Option<DeskDecision>,
        /// A `RefusalReason` code, with `decision = "refused"`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The post-office clerk decides at the console's face-to-face desk: validates the document
    /// shown, or sends the person away with a reason (the code stays valid).
    ClerkDesk {
        decision: ClerkDecision,
        /// One of [`CLERK_REFUSAL_REASONS`], with `decision = "refused"`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

/// The review desk's decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeskDecision {
    Accepted,
    Refused,
}

/// The clerk's decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClerkDecision {
    Validated,
    Refused,
}

/// The reasons a clerk sends a person away, as the console's face-to-face desk offers them.
pub use idn_world::console::CLERK_REFUSAL_REASONS;

fn once() -> u8 {
    1
}

impl Fault {
    /// The step where this fault happens; `None` when it changes an action of the normal path
    /// (delivery plans, a typo, a refused identification) rather than adding one.
    fn step(&self) -> Option<&'static str> {
        match self {
            Self::MessageInSpam { .. }
            | Self::MessageWithheld { .. }
            | Self::IdentityTypo { .. }
            | Self::IdentificationRefused { .. }
            | Self::ReviewDesk { decision: None, .. } => None,
            Self::ReviewDesk {
                decision: Some(_), ..
            } => Some("review"),
            Self::ClerkDesk { .. } => Some("face_to_face"),
            Self::WrongCode { code, .. } | Self::CodeExpired { code } => Some(code_step(*code)),
            Self::IdentityRefused => Some("identity_data"),
            Self::SecretCodeForgotten
            | Self::WrongSecretCode { .. }
            | Self::ApprovalExpired
            | Self::ApprovalFromOtherDevice
            | Self::WrongMobileTyped { .. } => Some("enrolled"),
            Self::CameraMissing
            | Self::CameraDenied
            | Self::MicrophoneMissing
            | Self::MicrophoneDenied
            | Self::UploadInterrupted => Some("visual_identification"),
        }
    }

    /// The device's own failure this fault simulates, as the app reports it.
    fn device_failure(&self) -> Option<idn_capture::CaptureError> {
        use idn_capture::CaptureError;
        match self {
            Self::CameraMissing => Some(CaptureError::NoCamera(String::new())),
            Self::CameraDenied => Some(CaptureError::CameraUnavailable(
                "permission refusée par le système".into(),
            )),
            Self::MicrophoneMissing => Some(CaptureError::NoMicrophone("aucun micro".into())),
            Self::MicrophoneDenied => Some(CaptureError::NoMicrophone(
                "permission refusée par le système".into(),
            )),
            _ => None,
        }
    }
}

fn code_step(code: CodeName) -> &'static str {
    match code {
        CodeName::Email => "email_code",
        CodeName::Sms => "mobile_code",
        CodeName::FaceToFace => "face_to_face",
        CodeName::Activation => "activation",
    }
}

/// Every step a scenario can reach, in the order of the journey.
pub const STEPS: [&str; 17] = [
    "email_code",
    "password",
    "mobile",
    "mobile_code",
    "profile",
    "identity_data",
    "identity_confirmation",
    "verification_choice",
    "face_to_face",
    "postal_letter",
    "registered_letter",
    "visual_identification",
    "review",
    "identification_refused",
    "activation",
    "enrolled",
    "locked",
];

impl Scenario {
    /// Reads a scenario file; `fallback_name` (the file's stem) names it when the file does not.
    pub fn parse(text: &str, fallback_name: &str) -> Result<Self> {
        let mut scenario: Scenario = toml::from_str(text).context("scénario illisible")?;
        if scenario.version != SCENARIO_VERSION {
            invalid!(
                "scénario en version {} : cette version d'idn lit la version {SCENARIO_VERSION}",
                scenario.version
            );
        }
        if scenario.name.is_empty() {
            scenario.name = fallback_name.to_owned();
        }
        scenario.check()?;
        Ok(scenario)
    }

    /// What can be checked before the world is touched.
    pub fn check(&self) -> Result<()> {
        if !STEPS.contains(&self.reach.as_str()) {
            invalid!(
                "{} : étape « {} » inconnue (attendues : {})",
                self.name,
                self.reach,
                STEPS.join(", ")
            );
        }
        let persona = self.persona()?;
        persona.check()?;
        for fault in &self.faults {
            match fault {
                Fault::MessageInSpam { message, .. } | Fault::MessageWithheld { message, .. }
                    if !idn_journey::Notice::CODES.contains(&message.as_str()) =>
                {
                    invalid!("{} : message « {message} » inconnu", self.name)
                }
                Fault::WrongCode {
                    code: CodeName::FaceToFace,
                    ..
                } => invalid!(
                    "{} : le code de face à face est tapé par le guichetier ; un code faux ne trouve personne",
                    self.name
                ),
                Fault::IdentificationRefused { reason }
                    if idn_journey::verification::RefusalReason::from_code(reason).is_none() =>
                {
                    invalid!("{} : motif de refus « {reason} » inconnu", self.name)
                }
                Fault::WrongCode { times, .. } | Fault::WrongSecretCode { times } if *times == 0 => {
                    invalid!("{} : `times` vaut au moins 1", self.name)
                }
                Fault::ReviewDesk { decision, reason } => match (decision, reason.as_deref()) {
                    (Some(DeskDecision::Refused), Some(reason))
                        if idn_journey::verification::RefusalReason::from_code(reason).is_some() => {}
                    (Some(DeskDecision::Refused), reason) => invalid!(
                        "{} : un refus au bureau d'examen donne un motif connu (`reason`), reçu « {} »",
                        self.name,
                        reason.unwrap_or("")
                    ),
                    (_, Some(_)) => invalid!(
                        "{} : `reason` ne va qu'avec `decision = \"refused\"`",
                        self.name
                    ),
                    (_, None) => {}
                },
                Fault::ClerkDesk { decision, reason } => match (decision, reason.as_deref()) {
                    (ClerkDecision::Refused, Some(reason))
                        if CLERK_REFUSAL_REASONS.iter().any(|(code, _)| *code == reason) => {}
                    (ClerkDecision::Refused, reason) => invalid!(
                        "{} : un refus du guichetier donne un motif parmi {} (reçu « {} »)",
                        self.name,
                        CLERK_REFUSAL_REASONS
                            .iter()
                            .map(|(code, _)| *code)
                            .collect::<Vec<_>>()
                            .join(", "),
                        reason.unwrap_or("")
                    ),
                    (ClerkDecision::Validated, Some(_)) => invalid!(
                        "{} : `reason` ne va qu'avec `decision = \"refused\"`",
                        self.name
                    ),
                    (ClerkDecision::Validated, None) => {}
                },
                _ => {}
            }
        }
        let desks = self
            .faults
            .iter()
            .filter(|fault| matches!(fault, Fault::ReviewDesk { .. }))
            .count();
        let automatic = self
            .faults
            .iter()
            .any(|fault| matches!(fault, Fault::IdentificationRefused { .. }));
        if desks > 1 || (desks == 1 && automatic) {
            invalid!(
                "{} : une seule identification passe par le bureau d'examen (`review_desk`), sans `identification_refused`",
                self.name
            );
        }
        let desk_reach = self.faults.iter().find_map(|fault| match fault {
            Fault::ReviewDesk { decision, .. } => Some(match decision {
                None => &["review"][..],
                Some(DeskDecision::Refused) => &["identification_refused"][..],
                Some(DeskDecision::Accepted) => &["activation", "enrolled", "locked"][..],
            }),
            _ => None,
        });
        if let Some(reaches) = desk_reach.filter(|reaches| !reaches.contains(&self.reach.as_str())) {
            invalid!(
                "{} : avec cette décision du bureau d'examen, l'apprenant s'arrête à l'étape « {} », pas « {} »",
                self.name,
                reaches.join(" », « "),
                self.reach
            );
        }
        if desks == 1 && self.verification != Verification::Online {
            invalid!(
                "{} : le bureau d'examen examine les identifications en ligne (`verification = \"online\"`)",
                self.name
            );
        }
        Ok(())
    }

    /// Whether a fault decides at one of the console's desks (review or clerk), which the
    /// engine does only under the console account its world gave it.
    pub fn decides_at_a_desk(&self) -> bool {
        self.faults
            .iter()
            .any(|fault| matches!(fault, Fault::ReviewDesk { .. } | Fault::ClerkDesk { .. }))
    }

    pub fn persona(&self) -> Result<&Persona> {
        match &self.persona {
            PersonaRef::Named(name) => persona::named(name),
            PersonaRef::Inline(persona) => Ok(persona),
        }
    }

    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("a scenario serialises")
    }
}

macro_rules! catalogue {
    ($($name:literal),* $(,)?) => {
        /// The shipped scenarios, embedded: (name, file text).
        pub const CATALOGUE: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("../../../scenarios/", $name, ".toml"))),)*
        ];
    };
}

catalogue!(
    "code-email-non-recu",
    "code-email-expire",
    "code-email-errone",
    "code-email-trop-d-essais",
    "code-email-dans-les-spams",
    "code-sms-non-recu",
    "code-sms-expire",
    "code-sms-errone",
    "courrier-ar24-dans-les-spams",
    "identite-confirmee-avec-une-faute",
    "piece-expiree",
    "mineur",
    "code-face-a-face-expire",
    "identification-refusee-lunettes",
    "identification-refusee-flou",
    "identification-refusee-reflet",
    "identification-refusee-etui",
    "identification-refusee-chiffres",
    "identification-refusee-visage-non-visible",
    "identification-en-cours-d-examen",
    "code-activation-errone",
    "code-activation-expire",
    "code-secret-oublie",
    "code-secret-bloque",
    "validation-hors-delai",
    "validation-depuis-un-autre-telephone",
    "mauvais-numero-sur-franceconnect",
    "camera-absente",
    "camera-refusee",
    "micro-absent",
    "micro-refuse",
    "envoi-interrompu",
    "parcours-complet-titre-de-sejour",
    "parcours-complet-passeport-par-courrier",
    "identification-refusee-au-bureau-d-examen-etui",
    "identification-en-attente-au-bureau-d-examen",
    "refus-au-guichet",
    "validation-au-guichet-apres-un-refus",
);

/// The shipped scenarios, parsed. They are checked by this crate's tests.
pub fn catalogue() -> Vec<Scenario> {
    CATALOGUE
        .iter()
        .map(|(name, text)| Scenario::parse(text, name).expect("shipped scenarios are valid (tested)"))
        .collect()
}

/// A catalogue scenario by name (never a path: the console applies only these and uploads).
pub fn from_catalogue(name: &str) -> Result<Scenario> {
    match CATALOGUE.iter().find(|(known, _)| *known == name) {
        Some((name, text)) => Scenario::parse(text, name),
        None => invalid!("scénario « {name} » absent du catalogue"),
    }
}

/// A catalogue name or the path of a scenario file.
pub fn load(name_or_path: &str) -> Result<Scenario> {
    if let Some((name, text)) = CATALOGUE.iter().find(|(name, _)| *name == name_or_path) {
        return Scenario::parse(text, name);
    }
    let path = Path::new(name_or_path);
    if path.exists() {
        let text = std::fs::read_to_string(path).with_context(|| format!("lecture de {}", path.display()))?;
        let stem = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or("scenario");
        return Scenario::parse(&text, stem).with_context(|| path.display().to_string());
    }
    invalid!(
        "scénario « {name_or_path} » introuvable : ni un fichier, ni un nom du catalogue (idn scenario list)"
    )
}

/// One line of `idn scenario list --json`.
#[derive(Debug, Clone, Serialize)]
pub struct ListedScenario {
    pub name: String,
    pub title: String,
    pub situation: String,
    pub reach: String,
    pub reach_label: String,
    pub persona: String,
    pub verification: Verification,
    pub faults: Vec<String>,
    pub explanation: String,
}

pub fn list() -> Vec<ListedScenario> {
    catalogue()
        .into_iter()
        .map(|scenario| ListedScenario {
            persona: scenario.persona().map(|p| p.name.clone()).unwrap_or_default(),
            reach_label: step_label(&scenario.reach).to_owned(),
            faults: scenario.faults.iter().map(fault_kind).collect(),
            name: scenario.name,
            title: scenario.title,
            situation: scenario.situation,
            reach: scenario.reach,
            verification: scenario.verification,
            explanation: scenario.explanation,
        })
        .collect()
}

fn fault_kind(fault: &Fault) -> String {
    serde_json::to_value(fault)
        .ok()
        .and_then(|value| {
            value
                .get("kind")
                .and_then(|kind| kind.as_str())
                .map(str::to_owned)
        })
        .unwrap_or_default()
}

/// The French name of a step code.
pub fn step_label(code: &str) -> &'static str {
    idn_journey::Step::from_code(code).map_or("étape inconnue", idn_journey::Step::label_fr)
}

/// Something the scenario did on purpose that the service refused, as the person saw it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Refusal {
    pub action: String,
    pub code: String,
    pub message: String,
}

/// A failure of the phone itself, as the app reports it; the world never hears of it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeviceFailure {
    pub fault: String,
    pub code: String,
    pub message: String,
}

/// Where a scenario left the learner.
#[derive(Debug, Clone, Serialize)]
pub struct Applied {
    pub scenario: String,
    pub title: String,
    pub learner_id: String,
    pub email: String,
    pub mobile: String,
    pub step: String,
    pub step_label: String,
    pub explanation: String,
    /// Refusals met on purpose (wrong codes, refused identity, FranceConnect+…).
    pub refusals: Vec<Refusal>,
    /// The phone's own failures, for the app to show (the world knows nothing of them).
    pub device_failures: Vec<DeviceFailure>,
    /// The last login request opened, if any.
    pub login_request: Option<String>,
    /// The code awaited now and what is left of it, as the world reads it.
    pub pending_code: Option<PendingCodeView>,
    /// What keeps the person from going on ("code reçu par SMS expiré"…), as the world reads it.
    pub blockers: Vec<BlockerView>,
    /// Where the simulated phones keep their profile.
    pub devices_dir: PathBuf,
}

/// How a scenario is applied.
pub struct ApplyOptions {
    /// Phones are kept here (`telephone-1`, `telephone-2`).
    pub devices_dir: PathBuf,
    pub vault: Arc<dyn Vault>,
    /// The profile folder of a phone that must end up holding the identity (the app's own
    /// device, at start): the last phone of the scenario is this one, and it remembers the
    /// account even when the scenario stops before activation, so the app opens on the learner.
    pub identity_phone: Option<PathBuf>,
}

impl ApplyOptions {
    /// Phones in `devices_dir` with their keys in memory (gone when `idn` exits).
    pub fn in_memory(devices_dir: PathBuf) -> Self {
        Self {
            devices_dir,
            vault: Arc::new(MemoryVault::default()),
            identity_phone: None,
        }
    }
}

/// The world's refusal carried by `error`, if it is one.
fn refusal_of(error: &DeviceError) -> Option<(String, String)> {
    match error {
        DeviceError::Client(ClientError::World {
            status,
            code,
            message,
        }) if *status < 500 => Some((code.clone(), message.clone())),
        DeviceError::Invalid { code, message } => Some(((*code).to_owned(), message.clone())),
        _ => None,
    }
}

/// A scenario being applied: the learner, the phones, what happened.
struct Run<'a> {
    client: &'a WorldClient,
    scenario: &'a Scenario,
    persona: Persona,
    options: &'a ApplyOptions,
    id: String,
    /// Phones in the order the person used them; the last one holds the identity.
    devices: Vec<Device>,
    refusals: Vec<Refusal>,
    device_failures: Vec<DeviceFailure>,
    login_request: Option<String>,
    /// The refusal reason still to produce at the next visual identification.
    refusal_to_produce: Option<String>,
    /// The console account the engine decides under at the desks, when its world gave it one.
    staff: Option<&'a EngineAccount>,
    /// The engine's console session, opened at the first desk decision.
    desk: Option<ConsoleDesk>,
    /// The learner is still to be put on the review desk before the next submission.
    review_desk_to_plan: bool,
}

/// Applies `scenario` through `client`'s world and checks that the learner landed on its step.
/// A scenario whose faults decide at the console's desks needs [`apply_as`].
pub async fn apply(client: &WorldClient, scenario: &Scenario, options: &ApplyOptions) -> Result<Applied> {
    apply_as(client, scenario, options, None).await
}

/// As [`apply`], with the console account the world gave the engine: decisions at the review
/// desk and the clerk's desk (`review_desk`, `clerk_desk`) are taken with it, through the
/// console's sign-in and forms, and show in the staff audit under its address.
pub async fn apply_as(
    client: &WorldClient,
    scenario: &Scenario,
    options: &ApplyOptions,
    staff: Option<&EngineAccount>,
) -> Result<Applied> {
    scenario.check()?;
    if staff.is_none() && scenario.decides_at_a_desk() {
        // Refused before the world is touched: no learner left half-way.
        invalid!("{} : {NO_DESK_ACCOUNT}", scenario.name);
    }
    let mut persona = scenario.persona()?.clone();
    // On a world that already has learners, the persona gets contacts of its own: two learners
    // sharing a mobile number would receive each other's login requests.
    let existing = client.status().await?.learners;
    if existing > 0 {
        distinguish(&mut persona, existing);
    }
    let delivery: Vec<DeliveryFault> = scenario
        .faults
        .iter()
        .filter_map(|fault| match fault {
            Fault::MessageInSpam { message, channel } => Some((message, channel, DeliveryFate::Spam)),
            Fault::MessageWithheld { message, channel } => Some((message, channel, DeliveryFate::Withheld)),
            _ => None,
        })
        .map(|(message, channel, fate)| DeliveryFault {
            message: message.clone(),
            channel: *channel,
            fate,
            times: 1,
        })
        .collect();
    let learner = client
        .create_planned_learner(&PlannedLearner {
            email: persona.email.clone(),
            delivery,
        })
        .await?;
    let mut run = Run {
        client,
        scenario,
        persona,
        options,
        id: learner.id,
        devices: Vec::new(),
        refusals: Vec::new(),
        device_failures: Vec::new(),
        login_request: None,
        refusal_to_produce: scenario.faults.iter().find_map(|fault| match fault {
            Fault::IdentificationRefused { reason } => Some(reason.clone()),
            _ => None,
        }),
        staff,
        desk: None,
        review_desk_to_plan: scenario
            .faults
            .iter()
            .any(|fault| matches!(fault, Fault::ReviewDesk { .. })),
    };
    let walked = run.walk().await;
    if let Some(desk) = run.desk.take() {
        // The engine's session ends with the scenario, as a person signs out.
        desk.sign_out().await;
    }
    let view = walked?;
    if run.options.identity_phone.is_some() {
        let id = run.id.clone();
        let holder = run.holder();
        run.phone(holder)?.remember_account(&id)?;
    }
    let situation = run.client.situation(&run.id).await?;
    Ok(Applied {
        pending_code: situation.pending_code,
        blockers: situation.blockers,
        scenario: scenario.name.clone(),
        title: scenario.title.clone(),
        learner_id: run.id,
        email: run.persona.email,
        mobile: run.persona.mobile,
        step: view.step.code().to_owned(),
        step_label: view.step_label,
        explanation: scenario.explanation.clone(),
        refusals: run.refusals,
        device_failures: run.device_failures,
        login_request: run.login_request,
        devices_dir: options.devices_dir.clone(),
    })
}

/// Email `local+sN@domain` and a mobile number moved by `10 × N` in its last four digits.
fn distinguish(persona: &mut Persona, n: u64) {
    if let Some((local, domain)) = persona.email.split_once('@') {
        persona.email = format!("{local}+s{n}@{domain}");
    }
    let digits = persona.mobile.len().saturating_sub(4);
    if let Ok(last) = persona.mobile[digits..].parse::<u64>() {
        persona.mobile = format!("{}{:04}", &persona.mobile[..digits], (last + 10 * n) % 10_000);
    }
}

impl Run<'_> {
    /// The engine's console session, signed in on first use.
    async fn desk(&mut self) -> Result<&ConsoleDesk> {
        if self.desk.is_none() {
            let Some(account) = self.staff else {
                invalid!("{} : {NO_DESK_ACCOUNT}", self.scenario.name);
            };
            self.desk = Some(ConsoleDesk::sign_in(self.client.base_url(), account).await?);
        }
        Ok(self.desk.as_ref().expect("signed in just above"))
    }

    /// Walks the journey until the learner stands on the scenario's step with every fault
    /// applied; each iteration does one thing a person (or time) does.
    async fn walk(&mut self) -> Result<LearnerView> {
        let mut done = vec![false; self.scenario.faults.len()];
        for (index, fault) in self.scenario.faults.iter().enumerate() {
            // Applied as the account starts (delivery), or inside the normal path's actions.
            if fault.step().is_none() {
                done[index] = true;
            }
        }
        for _ in 0..80 {
            let view = self.client.learner(&self.id).await?;
            let due = self
                .scenario
                .faults
                .iter()
                .enumerate()
                .find(|(index, fault)| !done[*index] && fault.step() == Some(view.step.code()));
            if let Some((index, fault)) = due {
                let fault = fault.clone();
                self.apply_fault(&fault, &view).await?;
                done[index] = true;
                continue;
            }
            if view.step.code() == self.scenario.reach {
                if let Some(reason) = &self.refusal_to_produce {
                    bail!("{} : le refus « {reason} » n'a pas eu lieu", self.scenario.name);
                }
                if let Some((_, fault)) = self
                    .scenario
                    .faults
                    .iter()
                    .enumerate()
                    .find(|(index, _)| !done[*index])
                {
                    bail!(
                        "{} : l'incident {} n'a pas pu se produire avant l'étape « {} »",
                        self.scenario.name,
                        fault_kind(fault),
                        view.step_label
                    );
                }
                return Ok(view);
            }
            self.progress(&view)
                .await
                .with_context(|| format!("{} : à l'étape « {} »", self.scenario.name, view.step_label))?;
        }
        bail!(
            "{} : l'étape « {} » n'a pas été atteinte",
            self.scenario.name,
            step_label(&self.scenario.reach)
        )
    }

    async fn act(&self, action: LearnerAction) -> Result<LearnerView> {
        Ok(self.client.act(&self.id, &action).await?)
    }

    /// Runs `call`, which must be refused by the world; the refusal is kept for the report.
    fn expect_refusal<T, E: Into<DeviceError>>(
        &mut self,
        action: &str,
        outcome: Result<T, E>,
        accepted: &[&str],
    ) -> Result<()> {
        match outcome.map_err(Into::into) {
            Ok(_) => bail!("« {action} » devait être refusé et a été accepté"),
            Err(error) => match refusal_of(&error) {
                Some((code, message)) if accepted.contains(&code.as_str()) => {
                    self.refusals.push(Refusal {
                        action: action.to_owned(),
                        code,
                        message,
                    });
                    Ok(())
                }
                _ => Err(error.into()),
            },
        }
    }

    async fn last_code(&self, channels: &[MessageChannel]) -> Result<Option<String>> {
        Ok(self
            .client
            .inbox(&self.id)
            .await?
            .iter()
            .rev()
            .filter(|message| channels.contains(&message.channel))
            .find_map(|message| message.code.clone()))
    }

    /// Time passes for this learner only (the class clock is left alone).
    /// Moves the learner's time by `delta`, rounded up to the second: a deadline at 2.7 s must
    /// have come once the advance is made, not be 0.7 s ahead.
    async fn advance(&self, delta: chrono::TimeDelta) -> Result<()> {
        if delta > chrono::TimeDelta::zero() {
            let whole_seconds = delta.num_seconds() + i64::from(delta.subsec_nanos() > 0);
            self.client.advance_learner_clock(&self.id, whole_seconds).await?;
        }
        Ok(())
    }

    fn identity(&self) -> idn_api::IdentityForm {
        let mut form = self.persona.identity.clone();
        for fault in &self.scenario.faults {
            if let Fault::IdentityTypo { field, typed } = fault {
                let typed = typed.clone();
                match field {
                    TypoField::FirstGivenName => match form.given_names.first_mut() {
                        Some(first) => *first = typed,
                        None => form.given_names.push(typed),
                    },
                    TypoField::BirthName => form.birth_name = typed,
                    TypoField::BirthDate => form.birth_date = typed,
                    TypoField::BirthCommune => form.birth_commune = Some(typed),
                    TypoField::DocumentNumberEnding => form.document_number_ending = typed,
                }
            }
        }
        form
    }

    fn document(&self) -> DocumentKind {
        self.persona.identity.document_type.unwrap_or(DocumentKind::Cni)
    }

    /// The index of the phone that holds the identity at the end: the second one when the
    /// identity moves to a new phone, the first otherwise.
    fn holder(&self) -> usize {
        let moves = self
            .scenario
            .faults
            .iter()
            .any(|fault| matches!(fault, Fault::ApprovalFromOtherDevice));
        usize::from(moves)
    }

    /// The phone holding the identity, opened on first use.
    fn phone(&mut self, index: usize) -> Result<&mut Device> {
        while self.devices.len() <= index {
            let opening = self.devices.len();
            let dir = match &self.options.identity_phone {
                Some(own) if opening == self.holder() => own.clone(),
                _ => self
                    .options
                    .devices_dir
                    .join(format!("telephone-{}", opening + 1)),
            };
            self.devices.push(Device::open(
                &dir,
                self.client.clone(),
                self.options.vault.clone(),
            )?);
        }
        Ok(&mut self.devices[index])
    }

    /// One step of the normal path.
    async fn progress(&mut self, view: &LearnerView) -> Result<()> {
        match view.step.code() {
            "email_code" => match self.last_code(&[MessageChannel::Email]).await? {
                Some(code) => drop(self.act(LearnerAction::ConfirmEmail { code }).await?),
                // Nothing arrived: the person asks for a new code, as the screen offers.
                None => drop(self.act(LearnerAction::ResendEmailCode).await?),
            },
            "password" => drop(
                self.act(LearnerAction::ChoosePassword {
                    password: self.persona.password.clone(),
                })
                .await?,
            ),
            "mobile" => drop(
                self.act(LearnerAction::RegisterMobile {
                    mobile: self.persona.mobile.clone(),
                })
                .await?,
            ),
            "mobile_code" => match self.last_code(&[MessageChannel::Sms]).await? {
                Some(code) => drop(self.act(LearnerAction::ConfirmMobile { code }).await?),
                None => drop(self.act(LearnerAction::ResendMobileCode).await?),
            },
            "profile" => drop(
                self.act(LearnerAction::CompleteProfile {
                    civility: self.persona.civility,
                    first_name: self.persona.account_first_name(),
                    last_name: self.persona.account_last_name(),
                    terms_accepted: true,
                    marketing_opt_in: false,
                })
                .await?,
            ),
            "identity_data" => drop(
                self.act(LearnerAction::EnterIdentity(Box::new(self.identity())))
                    .await?,
            ),
            "identity_confirmation" => drop(self.act(LearnerAction::ConfirmIdentity).await?),
            "verification_choice" | "locked" => drop(
                self.act(LearnerAction::ChooseVerification {
                    mode: self.scenario.verification.wire(),
                })
                .await?,
            ),
            "face_to_face" => self.clerk().await?,
            "postal_letter" => self.advance(rules::POSTAL_LETTER_DELAY).await?,
            "registered_letter" => {
                let letter = view.registered_letter.as_ref();
                if !letter.is_some_and(|letter| letter.opened) {
                    self.act(LearnerAction::ReadLetter).await?;
                }
                if !letter.is_some_and(|letter| letter.identity_confirmed) {
                    self.act(LearnerAction::ConfirmLetterIdentity).await?;
                }
                self.act(LearnerAction::StartVisualIdentification).await?;
            }
            "visual_identification" => self.submit_identification(view).await?,
            "review" => drop(self.wait_for_review(view).await?),
            "identification_refused" => drop(self.act(LearnerAction::StartVisualIdentification).await?),
            "activation" => {
                let code = self
                    .last_code(&[MessageChannel::Sms, MessageChannel::Email])
                    .await?
                    .context("aucun code d'activation reçu")?;
                let secret = self.persona.secret_code.clone();
                let id = self.id.clone();
                let phone = self.devices.len().max(1) - 1;
                self.phone(phone)?.activate(&id, &code, &secret).await?;
            }
            other => bail!("rien ne mène plus loin depuis l'étape « {} »", step_label(other)),
        }
        Ok(())
    }

    /// Time passes until the automatic review is due, then the engine waits for the world to
    /// announce its decision on the learner's event stream: the world decides in its own
    /// transaction (at once when the learner's clock jumps, or at its sweep on a running
    /// class clock), and the engine reads the outcome only once it is there.
    async fn wait_for_review(&self, view: &LearnerView) -> Result<LearnerView> {
        let mut events = self.client.learner_events(&self.id).await?;
        let now = self.client.learner_clock(&self.id).await?.now;
        let due = view
            .next_deadline
            .context("l'examen n'a pas d'échéance (examen au guichet)")?;
        self.advance(due - now).await?;
        tokio::time::timeout(DECISION_WAIT, first_view_past(&mut events, "review"))
            .await
            .map_err(|_| {
                ScenarioError::NotLanded(format!(
                    "l'examen n'a pas été décidé {} s après son échéance",
                    DECISION_WAIT.as_secs()
                ))
            })?
    }

    /// The post-office clerk reads the code and the document the person shows (the real one:
    /// a typo in the confirmed data is caught here).
    async fn clerk(&mut self) -> Result<()> {
        let code = self
            .last_code(&[MessageChannel::Sms, MessageChannel::Post])
            .await?
            .context("aucun code de face à face reçu")?;
        let identity = &self.persona.identity;
        self.client
            .clerk_validate(&ClerkValidation {
                code,
                document_type: self.document(),
                birth_name: identity.birth_name.clone(),
                birth_date: identity.birth_date.parse().context("date de naissance")?,
                document_number_ending: identity.document_number_ending.clone(),
            })
            .await?;
        Ok(())
    }

    /// Photos and video of the visual identification, from the synthetic camera and voice with
    /// this persona's specimen, degraded when the scenario wants a refusal the world's
    /// automatic review can see; a refusal only a person can judge is planned for the reviewer.
    async fn submit_identification(&mut self, view: &LearnerView) -> Result<()> {
        if self.review_desk_to_plan {
            // « Revue manuelle » for this learner, as a trainer sets it on their page.
            self.review_desk_to_plan = false;
            let id = self.id.clone();
            self.desk().await?.put_on_review_desk(&id).await?;
        }
        let reason = self.refusal_to_produce.take();
        let mut photo_fault = Degradations::NONE;
        let mut speech = Speech::Clear;
        let mut framing = Framing::Good;
        match reason.as_deref() {
            None => {}
            Some("flou") => photo_fault = photo_fault.with(Degradation::Blur),
            Some("reflet") => photo_fault = photo_fault.with(Degradation::Glare),
            Some("piece_dans_un_etui") => photo_fault = photo_fault.with(Degradation::Sleeve),
            Some("document_illisible") => photo_fault = photo_fault.with(Degradation::OutOfFrame),
            Some("chiffres_inaudibles_ou_errones") => speech = Speech::Silent,
            Some(other) => {
                if other == "visage_non_visible" {
                    framing = Framing::FaceOutOfView;
                }
                // Glasses, a face out of view, an expired document, different data: a
                // machine does not judge them; the trainer's planned refusal plays the reviewer.
                self.client
                    .set_review_policy(
                        &self.id,
                        ReviewPolicy::RefuseNext {
                            reason: other.to_owned(),
                        },
                    )
                    .await?;
            }
        }
        let digits = view
            .registered_letter
            .as_ref()
            .and_then(|letter| letter.spoken_digits.clone())
            .context("la lettre n'indique pas les 3 chiffres à dire")?;
        let specimen = self.persona.specimen()?;
        let seed = self.scenario.seed;
        let document = self.document();
        let mut photos = Vec::new();
        for (index, (side, page)) in pages(document).iter().enumerate() {
            let degradations = if index == 0 {
                photo_fault
            } else {
                Degradations::NONE
            };
            let jpeg = photo(*page, &specimen, degradations, seed)?;
            let stored = self
                .client
                .upload_media(&self.id, MediaKind::Photo, "image/jpeg", jpeg)
                .await?;
            photos.push(SubmittedPhoto {
                side: *side,
                media_id: stored.media_id,
            });
        }
        let mp4 = video(&specimen, pages(document)[0].1, &digits, speech, framing, seed)?;
        let video = self
            .client
            .upload_media(&self.id, MediaKind::Video, "video/mp4", mp4)
            .await?;
        self.act(LearnerAction::SubmitVisualIdentification {
            document_type: document,
            photos,
            video_media_id: video.media_id,
        })
        .await?;
        if let Some(reason) = reason {
            // The review happens after its delay; then the refusal must carry the reason.
            let review = self.client.learner(&self.id).await?;
            let refused = self.wait_for_review(&review).await?;
            let got = refused
                .registered_letter
                .as_ref()
                .and_then(|letter| letter.refusal_reason.clone());
            if got.as_deref() != Some(reason.as_str()) {
                bail!(
                    "l'identification devait être refusée pour « {reason} », résultat : {} ({})",
                    refused.step_label,
                    got.unwrap_or_else(|| "aucun motif".into())
                );
            }
        }
        Ok(())
    }

    async fn open_login_request(&mut self, mobile: &str) -> Result<String, DeviceError> {
        let request = self.client.open_login_request(mobile, RELYING_PARTY).await?;
        self.login_request = Some(request.request_id.clone());
        Ok(request.request_id)
    }

    async fn apply_fault(&mut self, fault: &Fault, view: &LearnerView) -> Result<()> {
        let kind = fault_kind(fault);
        if let Some(failure) = fault.device_failure() {
            self.device_failures.push(DeviceFailure {
                fault: kind,
                code: failure.code().to_owned(),
                message: failure.message_fr(),
            });
            return Ok(());
        }
        match fault {
            Fault::WrongCode { code, times } => {
                for _ in 0..*times {
                    self.type_wrong_code(*code).await?;
                }
            }
            Fault::CodeExpired { code } => {
                let validity = match code {
                    CodeName::Email => rules::EMAIL_CODE_VALIDITY,
                    CodeName::Sms => rules::MOBILE_CODE_VALIDITY,
                    CodeName::FaceToFace => rules::FACE_TO_FACE_VALIDITY,
                    CodeName::Activation => rules::ACTIVATION_CODE_VALIDITY,
                };
                self.advance(validity).await?;
            }
            Fault::IdentityRefused => {
                let outcome = self
                    .client
                    .act(&self.id, &LearnerAction::EnterIdentity(Box::new(self.identity())))
                    .await;
                let expected = self.persona.refused_with.clone().unwrap_or_default();
                self.expect_refusal(
                    "enter_identity",
                    outcome,
                    &[
                        expected.as_str(),
                        "underage",
                        "document_expired",
                        "residence_permit_too_short",
                    ],
                )?;
            }
            Fault::SecretCodeForgotten => drop(self.act(LearnerAction::ForgetSecretCode).await?),
            Fault::WrongSecretCode { times } => {
                let mobile = self.persona.mobile.clone();
                let request = self.open_login_request(&mobile).await?;
                let wrong = shifted(&self.persona.secret_code);
                let phone = self.devices.len().max(1) - 1;
                for _ in 0..*times {
                    let outcome = self.phone(phone)?.approve(&request, &wrong).await;
                    self.expect_refusal(
                        "answer_login_request",
                        outcome,
                        &["wrong_secret_code", "secret_code_locked"],
                    )?;
                }
            }
            Fault::ApprovalExpired => {
                let mobile = self.persona.mobile.clone();
                let request = self.open_login_request(&mobile).await?;
                let deadline = self.client.login_request(&request).await?.deadline;
                let now = self.client.learner_clock(&self.id).await?.now;
                self.advance(deadline - now + chrono::TimeDelta::seconds(1))
                    .await?;
            }
            Fault::ApprovalFromOtherDevice => self.move_to_new_phone_then_answer_from_old().await?,
            Fault::WrongMobileTyped { typed } => {
                let outcome = self.client.open_login_request(typed, RELYING_PARTY).await;
                self.expect_refusal("open_login_request", outcome, &["mobile_mismatch"])?;
            }
            Fault::UploadInterrupted => {
                let specimen = self.persona.specimen()?;
                let page = pages(self.document())[0].1;
                let jpeg = photo(page, &specimen, Degradations::NONE, self.scenario.seed)?;
                // Cut short, with the checksum of the whole file: an upload interrupted on the way.
                let whole = hex::encode(sha2::Sha256::digest(&jpeg));
                let cut = jpeg[..jpeg.len() / 3].to_vec();
                let outcome = self
                    .client
                    .upload_media_declared(&self.id, MediaKind::Photo, "image/jpeg", cut, &whole)
                    .await;
                self.expect_refusal("upload_media", outcome, &["checksum_mismatch"])?;
            }
            Fault::ReviewDesk {
                decision: Some(decision),
                reason,
            } => self.decide_at_review_desk(*decision, reason.as_deref()).await?,
            Fault::ClerkDesk { decision, reason } => {
                self.decide_at_clerk_desk(*decision, reason.as_deref()).await?
            }
            Fault::MessageInSpam { .. }
            | Fault::MessageWithheld { .. }
            | Fault::IdentityTypo { .. }
            | Fault::IdentificationRefused { .. }
            | Fault::ReviewDesk { decision: None, .. }
            | Fault::CameraMissing
            | Fault::CameraDenied
            | Fault::MicrophoneMissing
            | Fault::MicrophoneDenied => {
                bail!(
                    "incident {kind} appliqué hors de son étape ({})",
                    view.step.code()
                )
            }
        }
        Ok(())
    }

    /// The reviewer opens the identification waiting at the desk and decides; a refusal must
    /// reach the learner with its reason.
    async fn decide_at_review_desk(&mut self, decision: DeskDecision, reason: Option<&str>) -> Result<()> {
        let id = self.id.clone();
        let review = match (decision, reason) {
            (DeskDecision::Accepted, _) => Review::Accept,
            (DeskDecision::Refused, Some(reason)) => Review::Refuse { reason },
            (DeskDecision::Refused, None) => invalid!("un refus au bureau d'examen donne un motif"),
        };
        self.desk().await?.review(&id, review).await?;
        if decision == DeskDecision::Refused {
            let refused = self.client.learner(&self.id).await?;
            let got = refused
                .registered_letter
                .as_ref()
                .and_then(|letter| letter.refusal_reason.clone());
            if got.as_deref() != reason {
                bail!(
                    "le refus du bureau d'examen devait porter le motif « {} », résultat : {} ({})",
                    reason.unwrap_or_default(),
                    refused.step_label,
                    got.unwrap_or_else(|| "aucun motif".into())
                );
            }
        }
        Ok(())
    }

    /// The clerk looks up the code the person brings and validates the document shown (the
    /// persona's real one), or sends the person away with a reason.
    async fn decide_at_clerk_desk(&mut self, decision: ClerkDecision, reason: Option<&str>) -> Result<()> {
        let code = self
            .last_code(&[MessageChannel::Sms, MessageChannel::Post])
            .await?
            .context("aucun code de face à face reçu")?;
        match (decision, reason) {
            (ClerkDecision::Validated, _) => {
                let identity = self.persona.identity.clone();
                let document_type = match self.document() {
                    DocumentKind::Cni => "cni",
                    DocumentKind::Passeport => "passeport",
                    DocumentKind::TitreDeSejour => "titre_de_sejour",
                };
                let presented = Presented {
                    document_type,
                    birth_name: &identity.birth_name,
                    birth_date: &identity.birth_date,
                    document_number_ending: &identity.document_number_ending,
                };
                self.desk().await?.clerk_validate(&code, &presented).await
            }
            (ClerkDecision::Refused, Some(reason)) => {
                self.desk().await?.clerk_refuse(&code, reason).await?;
                let label = CLERK_REFUSAL_REASONS
                    .iter()
                    .find(|(known, _)| *known == reason)
                    .map_or(reason, |(_, label)| label);
                self.refusals.push(Refusal {
                    action: "clerk_refuse".into(),
                    code: reason.to_owned(),
                    message: format!("Validation refusée au guichet : {label}. Le code reste valable."),
                });
                Ok(())
            }
            (ClerkDecision::Refused, None) => invalid!("un refus du guichetier donne un motif"),
        }
    }

    async fn type_wrong_code(&mut self, code: CodeName) -> Result<()> {
        let accepted = ["code_wrong", "code_attempts_exhausted"];
        match code {
            CodeName::Email => {
                let right = self.last_code(&[MessageChannel::Email]).await?;
                let wrong = right.as_deref().map_or_else(|| "000000".to_owned(), shifted);
                let outcome = self
                    .client
                    .act(&self.id, &LearnerAction::ConfirmEmail { code: wrong })
                    .await;
                self.expect_refusal("confirm_email", outcome, &accepted)
            }
            CodeName::Sms => {
                // The SMS alphabet has no 0: "0000" is never the right code.
                let outcome = self
                    .client
                    .act(&self.id, &LearnerAction::ConfirmMobile { code: "0000".into() })
                    .await;
                self.expect_refusal("confirm_mobile", outcome, &accepted)
            }
            CodeName::Activation => {
                let right = self
                    .last_code(&[MessageChannel::Sms, MessageChannel::Email])
                    .await?;
                let wrong = right.as_deref().map_or_else(|| "000000".to_owned(), shifted);
                let secret = self.persona.secret_code.clone();
                let id = self.id.clone();
                let outcome = self.phone(0)?.activate(&id, &wrong, &secret).await;
                self.expect_refusal("activate", outcome, &accepted)
            }
            CodeName::FaceToFace => bail!("le code de face à face est tapé par le guichetier"),
        }
    }

    /// The person re-verified their identity to move it to a new phone (after "code secret
    /// oublié"); the old phone still shows login requests and answers one: refused.
    async fn move_to_new_phone_then_answer_from_old(&mut self) -> Result<()> {
        self.act(LearnerAction::ForgetSecretCode).await?;
        self.act(LearnerAction::ChooseVerification {
            mode: VerificationMode::FaceToFace,
        })
        .await?;
        self.clerk().await?;
        let code = self
            .last_code(&[MessageChannel::Sms])
            .await?
            .context("aucun code d'activation reçu")?;
        let secret = self.persona.secret_code.clone();
        let id = self.id.clone();
        let new_phone = self.devices.len();
        self.phone(new_phone)?.activate(&id, &code, &secret).await?;
        let mobile = self.persona.mobile.clone();
        let request = self.open_login_request(&mobile).await?;
        let outcome = self.phone(new_phone - 1)?.approve(&request, &secret).await;
        self.expect_refusal("answer_login_request", outcome, &["not_the_enrolled_device"])
    }
}

/// The first view of the stream whose step is no longer `step`.
async fn first_view_past(events: &mut idn_device::LearnerEvents, step: &str) -> Result<LearnerView> {
    while let Some(view) = events.next().await? {
        if view.step.code() != step {
            return Ok(view);
        }
    }
    bail!("le monde a fermé le flux d'événements avant la décision de l'examen")
}

/// The support agent's reading of a learner (`GET /api/learners/{id}/situation`).
pub async fn situation(client: &WorldClient, learner_id: &str) -> Result<LearnerSituation> {
    Ok(client.situation(learner_id).await?)
}

/// The learner's current situation as a scenario file a support agent applies on their own
/// machine: the persona as the world knows it (account and identity as typed), the step reached,
/// and the faults the journal and the views show. The password and the secret code, which the
/// world never keeps in clear, are replaced by the demo persona's.
pub async fn export(client: &WorldClient, learner_id: &str) -> Result<Scenario> {
    let view = client.learner(learner_id).await?;
    let journal = client.journal(learner_id).await?;
    let now = client.learner_clock(learner_id).await?.now;
    let situation = client.situation(learner_id).await?;
    let form = situation
        .identity
        .clone()
        .unwrap_or_else(|| persona::demo().identity.clone());
    let profile = situation.profile.as_ref();
    let persona = Persona {
        name: format!("apprenant-{}", &learner_id[..learner_id.len().min(8)]),
        title: "Persona exportée d'un apprenant (mot de passe et code secret remplacés : le monde ne les garde pas en clair)"
            .into(),
        email: view.email.clone().unwrap_or_else(|| persona::demo().email.clone()),
        mobile: view.mobile.clone().unwrap_or_else(|| persona::demo().mobile.clone()),
        password: persona::demo().password.clone(),
        secret_code: persona::demo().secret_code.clone(),
        civility: profile.map_or(idn_api::Civility::Madame, |profile| profile.civility),
        first_name: profile
            .map(|profile| profile.first_name.clone())
            .or_else(|| form.given_names.first().cloned()),
        last_name: Some(
            profile
                .map(|profile| profile.last_name.clone())
                .unwrap_or_else(|| form.usage_name.clone().unwrap_or_else(|| form.birth_name.clone())),
        ),
        birth_date_presumed: false,
        printed_birthplace: None,
        refused_with: None,
        identity: form,
    };
    let verification = match (
        &view.activation,
        &view.registered_letter,
        &view.face_to_face,
        &view.postal_letter,
    ) {
        (Some(activation), _, _, _) => match activation.verified_by {
            VerificationMode::FaceToFace => Verification::FaceToFace,
            VerificationMode::Online => Verification::Online,
            VerificationMode::ByPost => Verification::ByPost,
        },
        (None, Some(_), _, _) => Verification::Online,
        (None, None, Some(face), _) if face.by_post => Verification::ByPost,
        (None, None, _, Some(_)) => Verification::ByPost,
        _ => Verification::FaceToFace,
    };
    let faults = faults_seen(&view, &journal, now);
    Ok(Scenario {
        version: SCENARIO_VERSION,
        name: format!("situation-{}", &learner_id[..learner_id.len().min(8)]),
        title: format!("Situation de l'apprenant {learner_id}"),
        situation: format!(
            "Exportée à l'étape « {} » ({} événements au journal).",
            view.step_label,
            journal.len()
        ),
        explanation: "Situation reproduite depuis le monde d'un utilisateur : voir son journal (idn journal export) pour le détail de ce qui s'est passé.".into(),
        persona: PersonaRef::Inline(Box::new(persona)),
        seed: default_seed(),
        verification,
        reach: view.step.code().to_owned(),
        faults,
    })
}

/// The faults a learner met, read from the views and the journal (refused actions, time that
/// passed, planned deliveries). The world does not hear of a phone's own failures nor of a
/// number typed on FranceConnect+ that matched nobody: those cannot be exported.
fn faults_seen(
    view: &LearnerView,
    journal: &[idn_api::JournalEntry],
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<Fault> {
    let mut faults = Vec::new();
    for entry in journal {
        let Some(JournalDetail::DeliveryPlanned { faults: planned }) = &entry.detail else {
            continue;
        };
        faults.extend(planned.iter().map(|fault| {
            let (message, channel) = (fault.message.clone(), fault.channel);
            match fault.fate {
                DeliveryFate::Withheld => Fault::MessageWithheld { message, channel },
                DeliveryFate::Spam => Fault::MessageInSpam { message, channel },
            }
        }));
    }
    // Refusals of the current code, counted since it was last (re)issued.
    let wrong_since = |action: &str, reissued: &[&str]| {
        journal
            .iter()
            .rev()
            .take_while(|entry| !(reissued.contains(&entry.action.as_str()) && entry.outcome == "ok"))
            .filter(|entry| {
                entry.action == action
                    && matches!(entry.outcome.as_str(), "code_wrong" | "code_attempts_exhausted")
            })
            .count()
    };
    let times = |count: usize| u8::try_from(count).unwrap_or(u8::MAX);
    let last_refused = |action: &str, code: &str| {
        journal
            .iter()
            .rev()
            .find(|entry| entry.action == action)
            .is_some_and(|entry| entry.outcome == code)
    };
    // The clerk's refusals at the console's desk since the verification was last chosen (the
    // code stays valid: the person came back, or has still to).
    let round = journal
        .iter()
        .rposition(|entry| entry.action == "choose_verification" && entry.outcome == "ok")
        .unwrap_or(0);
    faults.extend(
        journal[round..]
            .iter()
            .filter_map(|entry| match &entry.detail {
                Some(JournalDetail::ClerkRefused { reason }) if entry.outcome == "ok" => Some(reason),
                _ => None,
            })
            .map(|reason| Fault::ClerkDesk {
                decision: ClerkDecision::Refused,
                reason: Some(reason.clone()),
            }),
    );
    // Whether the last decision on an online identification was the reviewer's at the desk
    // (the automatic review's is the clock's `time_passed`).
    let decided_at_desk = journal
        .iter()
        .rev()
        .find(|entry| {
            entry.outcome == "ok" && entry.step_before == Step::Review && entry.step_after != Step::Review
        })
        .is_some_and(|entry| entry.action == "review_identification");
    match view.step.code() {
        "email_code" => {
            let wrong = wrong_since("confirm_email", &["start_account", "resend_email_code"]);
            if wrong > 0 {
                faults.push(Fault::WrongCode {
                    code: CodeName::Email,
                    times: times(wrong),
                });
            }
            if last_refused("confirm_email", "code_expired") {
                faults.push(Fault::CodeExpired {
                    code: CodeName::Email,
                });
            }
        }
        "mobile_code" => {
            let wrong = wrong_since("confirm_mobile", &["register_mobile", "resend_mobile_code"]);
            if wrong > 0 {
                faults.push(Fault::WrongCode {
                    code: CodeName::Sms,
                    times: times(wrong),
                });
            }
            if last_refused("confirm_mobile", "code_expired") {
                faults.push(Fault::CodeExpired { code: CodeName::Sms });
            }
        }
        "face_to_face"
            if view
                .face_to_face
                .as_ref()
                .is_some_and(|face| face.valid_until <= now) =>
        {
            faults.push(Fault::CodeExpired {
                code: CodeName::FaceToFace,
            });
        }
        "identification_refused" => {
            let reason = view
                .registered_letter
                .as_ref()
                .and_then(|letter| letter.refusal_reason.clone());
            faults.extend(reason.map(|reason| {
                if decided_at_desk {
                    Fault::ReviewDesk {
                        decision: Some(DeskDecision::Refused),
                        reason: Some(reason),
                    }
                } else {
                    Fault::IdentificationRefused { reason }
                }
            }));
        }
        // Waiting at the desk: no automatic decision is scheduled.
        "review" if view.next_deadline.is_none() => faults.push(Fault::ReviewDesk {
            decision: None,
            reason: None,
        }),
        "activation" => {
            let online = view
                .activation
                .as_ref()
                .is_some_and(|activation| activation.verified_by == VerificationMode::Online);
            if online && decided_at_desk {
                faults.push(Fault::ReviewDesk {
                    decision: Some(DeskDecision::Accepted),
                    reason: None,
                });
            }
            let wrong = wrong_since("activate", &["resend_activation_code"]);
            if wrong > 0 {
                faults.push(Fault::WrongCode {
                    code: CodeName::Activation,
                    times: times(wrong),
                });
            }
            if view
                .activation
                .as_ref()
                .is_some_and(|activation| activation.valid_until <= now)
            {
                faults.push(Fault::CodeExpired {
                    code: CodeName::Activation,
                });
            }
        }
        "locked" => match view.lock_reason.as_deref() {
            Some("secret_code_forgotten") => faults.push(Fault::SecretCodeForgotten),
            _ => faults.push(Fault::WrongSecretCode {
                times: times(usize::from(rules::MAX_SECRET_CODE_FAILURES)),
            }),
        },
        "enrolled" => {
            let answers: Vec<_> = journal
                .iter()
                .filter(|entry| entry.action == "answer_login_request")
                .collect();
            if answers
                .iter()
                .any(|entry| entry.outcome == "not_the_enrolled_device")
            {
                faults.push(Fault::ApprovalFromOtherDevice);
            } else {
                let wrong = answers
                    .iter()
                    .rev()
                    .take_while(|entry| entry.outcome != "ok")
                    .filter(|entry| entry.outcome == "wrong_secret_code")
                    .count();
                if wrong > 0 {
                    faults.push(Fault::WrongSecretCode { times: times(wrong) });
                }
            }
            let expired = journal
                .iter()
                .any(|entry| entry.action == "time_passed" && entry.step_before == Step::Enrolled);
            if expired {
                faults.push(Fault::ApprovalExpired);
            }
        }
        _ => {}
    }
    faults
}

/// Each digit moved by one: a code of the same shape that is never the right one (and keeps
/// a secret code's digits all different).
fn shifted(code: &str) -> String {
    code.chars()
        .map(|c| match c.to_digit(10) {
            Some(digit) => char::from_digit((digit + 1) % 10, 10).unwrap_or(c),
            None => c,
        })
        .collect()
}

/// The photos a document needs, in the order the app takes them.
fn pages(document: DocumentKind) -> &'static [(Side, DocumentPage)] {
    match document {
        DocumentKind::Cni => &[
            (Side::Front, DocumentPage::CniFront),
            (Side::Back, DocumentPage::CniBack),
        ],
        DocumentKind::Passeport => &[(Side::PhotoPage, DocumentPage::PassportPhotoPage)],
        DocumentKind::TitreDeSejour => &[
            (Side::Front, DocumentPage::TitreDeSejourFront),
            (Side::Back, DocumentPage::TitreDeSejourBack),
        ],
    }
}

/// Preview frames a person waits, with a degraded picture that auto-capture will never take,
/// before pressing the shutter by hand (half a second at 25 images per second).
const PATIENCE_WITH_A_BAD_PICTURE: u32 = 12;

/// A photo from the synthetic camera as the app takes it: auto-capture when the guidance
/// passes, by hand otherwise.
fn photo(
    page: DocumentPage,
    specimen: &idn_capture::SpecimenIdentity,
    degradations: Degradations,
    seed: u64,
) -> Result<Vec<u8>> {
    let preview_frames = if degradations.is_empty() {
        PHOTO_PREVIEW_FRAMES
    } else {
        PATIENCE_WITH_A_BAD_PICTURE
    };
    let config = SyntheticConfig {
        seed,
        degradations,
        ..SyntheticConfig::default()
    };
    let mut source = SyntheticDocumentSource::new(page, specimen, config)?;
    Ok(photograph(&mut source, page.format(), preview_frames, JpegQuality::DOCUMENT)?.jpeg)
}

fn video(
    specimen: &idn_capture::SpecimenIdentity,
    page: DocumentPage,
    digits: &str,
    speech: Speech,
    framing: Framing,
    seed: u64,
) -> Result<Vec<u8>> {
    let digits: idn_capture::SpokenDigits = digits
        .parse()
        .map_err(|error| ScenarioError::Invalid(format!("{error}")))?;
    let mut voice = SyntheticVoice::new(digits, speech, seed);
    let config = SceneConfig {
        seed,
        page,
        framing,
        ..SceneConfig::default()
    };
    let mut scene = SyntheticFaceScene::new(specimen, config, voice.spoken_intervals())?;
    let recording = idn_capture::record_video(
        &mut scene,
        &mut voice,
        std::time::Duration::from_secs_f64(VIDEO_SECONDS),
        VideoSettings::default(),
    )?;
    Ok(recording.clip.mp4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_scenario_reads_and_names_a_known_persona() {
        let scenarios = catalogue();
        assert_eq!(scenarios.len(), CATALOGUE.len());
        for scenario in &scenarios {
            assert!(
                !scenario.explanation.trim().is_empty(),
                "{}: explanation for the agent",
                scenario.name
            );
            assert!(
                !scenario.situation.trim().is_empty(),
                "{}: one-line situation",
                scenario.name
            );
            scenario.persona().expect("known persona");
        }
    }

    #[test]
    fn every_file_in_scenarios_is_in_the_embedded_catalogue() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
        for entry in std::fs::read_dir(&dir).expect("scenarios directory") {
            let path = entry.unwrap().path();
            let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
            if path.extension().is_some_and(|ext| ext == "toml") && stem != "personas" {
                assert!(
                    CATALOGUE.iter().any(|(name, _)| *name == stem),
                    "{stem}.toml is missing from the catalogue! macro"
                );
            }
        }
    }

    #[test]
    fn a_scenario_survives_its_own_toml() {
        for scenario in catalogue() {
            let again = Scenario::parse(&scenario.to_toml(), "x").expect("written scenario reads");
            assert_eq!(again.faults, scenario.faults, "{}", scenario.name);
            assert_eq!(again.reach, scenario.reach);
        }
    }

    #[test]
    fn scenarios_of_another_version_or_with_unknown_steps_are_refused() {
        let text = |version: u32, reach: &str| {
            format!("version = {version}\ntitle = \"t\"\nexplanation = \"e\"\npersona = \"camille-daubigne\"\nreach = \"{reach}\"\n")
        };
        assert!(Scenario::parse(&text(1, "review"), "ok").is_ok());
        let newer = Scenario::parse(&text(2, "review"), "v2").unwrap_err();
        assert!(format!("{newer:#}").contains("version 2"));
        let unknown = Scenario::parse(&text(1, "nowhere"), "x").unwrap_err();
        assert!(format!("{unknown:#}").contains("nowhere"));
    }

    #[test]
    fn an_inline_persona_with_a_misspelt_field_says_which() {
        let mut persona = toml::Value::try_from(persona::demo()).unwrap();
        let identity = persona.get_mut("identity").unwrap().as_table_mut().unwrap();
        let birth = identity.remove("birth_name").unwrap();
        identity.insert("birth_nme".into(), birth);
        let mut scenario = toml::Table::new();
        scenario.insert("version".into(), 1.into());
        scenario.insert("title".into(), "t".into());
        scenario.insert("explanation".into(), "e".into());
        scenario.insert("reach".into(), "email_code".into());
        scenario.insert("persona".into(), persona);
        let error = Scenario::parse(&toml::to_string(&scenario).unwrap(), "x").unwrap_err();
        assert!(format!("{error:#}").contains("birth_nme"), "{error:#}");
    }

    #[test]
    fn desk_decisions_need_a_known_reason_only_when_refused() {
        let text = |verification: &str, faults: &str| {
            format!("version = 1\ntitle = \"t\"\nexplanation = \"e\"\npersona = \"camille-daubigne\"\nverification = \"{verification}\"\nreach = \"identification_refused\"\n{faults}")
        };
        let desk = |decision: &str, reason: &str| {
            format!("[[fault]]\nkind = \"review_desk\"\ndecision = \"{decision}\"\n{reason}")
        };
        let read = |verification: &str, faults: &str| Scenario::parse(&text(verification, faults), "x");
        let refused = read("online", &desk("refused", "reason = \"lunettes\"\n")).expect("a real reason");
        assert_eq!(
            refused.faults,
            vec![Fault::ReviewDesk {
                decision: Some(DeskDecision::Refused),
                reason: Some("lunettes".into())
            }]
        );
        let unknown = read("online", &desk("refused", "reason = \"chapeau\"\n")).unwrap_err();
        assert!(format!("{unknown:#}").contains("chapeau"), "{unknown:#}");
        assert!(
            read("online", &desk("refused", "")).is_err(),
            "a refusal names its reason"
        );
        assert!(read("online", &desk("accepted", "reason = \"lunettes\"\n")).is_err());
        let too_far = read("online", &desk("accepted", "")).unwrap_err();
        assert!(
            format!("{too_far:#}").contains("« activation »"),
            "an accepted identification does not stop at a refusal: {too_far:#}"
        );
        assert!(
            read("face_to_face", &desk("accepted", "")).is_err(),
            "the desk examines online identifications"
        );
        let both = format!(
            "{}[[fault]]\nkind = \"identification_refused\"\nreason = \"flou\"\n",
            desk("accepted", "")
        );
        assert!(
            read("online", &both).is_err(),
            "one identification, one way to decide it"
        );

        let clerk = |decision: &str, reason: &str| {
            text(
                "face_to_face",
                &format!("[[fault]]\nkind = \"clerk_desk\"\ndecision = \"{decision}\"\n{reason}"),
            )
        };
        assert!(Scenario::parse(&clerk("refused", "reason = \"piece_expiree\"\n"), "x").is_ok());
        assert!(Scenario::parse(&clerk("refused", "reason = \"lunettes\"\n"), "x").is_err());
        assert!(Scenario::parse(&clerk("validated", ""), "x").is_ok());
    }

    #[test]
    fn an_export_reads_the_journal_details_never_their_sentences() {
        let line = |seq, action: &str, message: &str, detail| idn_api::JournalEntry {
            seq,
            at: chrono::DateTime::UNIX_EPOCH,
            actor: "formateur".into(),
            action: action.into(),
            outcome: "ok".into(),
            message: Some(message.into()),
            detail,
            step_before: Step::FaceToFace,
            step_after: Step::FaceToFace,
        };
        let journal = vec![
            line(
                1,
                "plan_delivery",
                "(phrase réécrite : on ne la lit pas)",
                Some(JournalDetail::DeliveryPlanned {
                    faults: vec![idn_api::DeliveryFault {
                        message: "activation_code".into(),
                        channel: Some(MessageChannel::Sms),
                        fate: DeliveryFate::Withheld,
                        times: 1,
                    }],
                }),
            ),
            line(
                2,
                "clerk_refuse",
                "Validation refusée au guichet (personne_differente) : …",
                Some(JournalDetail::ClerkRefused {
                    reason: "piece_expiree".into(),
                }),
            ),
            // Prose alone (a line whose old sentence could not be read back) says nothing.
            line(
                3,
                "clerk_refuse",
                "Validation refusée au guichet (piece_differente) : …",
                None,
            ),
        ];
        let view: LearnerView = serde_json::from_value(serde_json::json!({
            "id": "x", "step": "face_to_face", "step_label": "", "email": null, "mobile": null,
            "next_deadline": null, "identity": null, "identity_confirmed": true, "face_to_face": null,
            "postal_letter": null, "registered_letter": null, "activation": null, "device_id": null,
            "lock_reason": null, "review_policy": { "review": "automatic" }
        }))
        .unwrap();
        let faults = faults_seen(&view, &journal, chrono::DateTime::UNIX_EPOCH);
        assert!(
            faults.iter().any(|fault| matches!(
                fault,
                Fault::MessageWithheld { message, channel: Some(MessageChannel::Sms) } if message == "activation_code"
            )),
            "{faults:?}"
        );
        let clerk: Vec<_> = faults
            .iter()
            .filter_map(|fault| match fault {
                Fault::ClerkDesk { reason, .. } => reason.as_deref(),
                _ => None,
            })
            .collect();
        assert_eq!(clerk, ["piece_expiree"], "the detail decides, not the sentence");
    }

    #[test]
    fn a_shifted_code_is_wrong_and_keeps_its_shape() {
        assert_eq!(shifted("123459"), "234560");
        assert_eq!(shifted("2580"), "3691");
        let secret = shifted("9024");
        let bytes = secret.as_bytes();
        assert!(bytes.iter().enumerate().all(|(i, c)| !bytes[..i].contains(c)));
    }

    #[test]
    fn a_second_learner_of_a_persona_gets_contacts_of_its_own() {
        let mut persona = persona::demo().clone();
        distinguish(&mut persona, 3);
        assert_eq!(persona.email, "camille.daubigne+s3@simulation.example");
        assert_eq!(persona.mobile, "+33639980131");
    }
}
