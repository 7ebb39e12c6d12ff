//! The scenario file format: a persona, a seed, the step to reach and the faults on the way,
//! read and checked before anything is done to a world, and written back (`to_toml`).

use super::*;

/// The format version this build reads and writes.
pub const SCENARIO_VERSION: u32 = 1;

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

pub(super) fn default_seed() -> u64 {
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
    pub(super) fn wire(self) -> VerificationMode {
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
    /// Face to face, the one activation code while it waits for the clerk (15 days from its SMS).
    FaceToFace,
    /// The activation code awaited in the app: face to face the same code once the clerk
    /// validated, online the one AR24's validation sent.
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
    /// Another identity was activated with the persona's mobile number first (a relative's, a
    /// number's previous owner): the SMS code typed back is refused, one identity per number.
    MobileAlreadyEnrolled,
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

pub(super) fn once() -> u8 {
    1
}

impl Fault {
    /// The step where this fault happens; `None` when it changes an action of the normal path
    /// (delivery plans, a typo, a refused identification) rather than adding one.
    pub(super) fn step(&self) -> Option<&'static str> {
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
            Self::MobileAlreadyEnrolled => Some("mobile_code"),
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
    pub(super) fn device_failure(&self) -> Option<idn_capture::CaptureError> {
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

pub(super) fn code_step(code: CodeName) -> &'static str {
    match code {
        CodeName::Email => "email_code",
        CodeName::Sms => "mobile_code",
        CodeName::FaceToFace => "face_to_face",
        CodeName::Activation => "activation",
    }
}

/// The step a scenario's `reach` names: any step of the journey but « not started ».
pub fn reachable_step(code: &str) -> Option<idn_journey::Step> {
    idn_journey::Step::from_code(code).filter(|step| *step != idn_journey::Step::NotStarted)
}

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
        if reachable_step(&self.reach).is_none() {
            let expected: Vec<&str> = idn_journey::Step::ALL[1..]
                .iter()
                .map(|step| step.code())
                .collect();
            invalid!(
                "{} : étape « {} » inconnue (attendues : {})",
                self.name,
                self.reach,
                expected.join(", ")
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
                    "{} : au guichet, le code d'activation est tapé par le guichetier ; un code faux ne trouve personne",
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
