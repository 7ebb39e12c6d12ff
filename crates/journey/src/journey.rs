//! The state machine: a learner's whole journey, fed commands and "now", returning the
//! messages to send. Calling `advance` again with the same time is harmless.

use crate::account::{Account, Email, MobileHolder, MobileNumber, PasswordDigest, Profile};
use crate::codes::{CodeKind, IssuedCode};
use crate::enrolment::{ApprovalStatus, DeviceId, EnrolledDevice, LoginApproval, ProofCheck};
use crate::identity::{IdentityDocument, IdentityInput, PresentedDocument};
use crate::sign_in::{PasswordCheck, SignIn};
use crate::verification::{
    Identification, LetterContents, LetterStatus, RefusalReason, RegisteredLetter, ReviewDecision,
    ReviewPlan, SpokenDigits, Submission, VerificationMode, LETTER_SENDER,
};
use crate::{calendar, rules, JourneyError};
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};

/// Where a learner stands, as a screen or a trainer names it. On the wire it is its snake_case
/// code (`Step::code`), and the screens' TypeScript switches over the union of those codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Step {
    NotStarted,
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
    VisualIdentification,
    Review,
    IdentificationRefused,
    Activation,
    Enrolled,
    Locked,
}

impl Step {
    /// Every step, in the journey's order.
    pub const ALL: [Step; 18] = [
        Self::NotStarted,
        Self::EmailCode,
        Self::Password,
        Self::Mobile,
        Self::Profile,
        Self::MobileCode,
        Self::IdentityData,
        Self::IdentityConfirmation,
        Self::VerificationChoice,
        Self::FaceToFace,
        Self::PostalLetter,
        Self::RegisteredLetter,
        Self::VisualIdentification,
        Self::Review,
        Self::IdentificationRefused,
        Self::Activation,
        Self::Enrolled,
        Self::Locked,
    ];

    /// The step of a code (`email_code`…), as scenario files and scripts name it.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|step| step.code() == code)
    }

    /// Stable snake_case code, for wire formats and scripts.
    pub fn code(self) -> &'static str {
        match self {
            Self::NotStarted => "not_started",
            Self::EmailCode => "email_code",
            Self::Password => "password",
            Self::Mobile => "mobile",
            Self::MobileCode => "mobile_code",
            Self::Profile => "profile",
            Self::IdentityData => "identity_data",
            Self::IdentityConfirmation => "identity_confirmation",
            Self::VerificationChoice => "verification_choice",
            Self::FaceToFace => "face_to_face",
            Self::PostalLetter => "postal_letter",
            Self::RegisteredLetter => "registered_letter",
            Self::VisualIdentification => "visual_identification",
            Self::Review => "review",
            Self::IdentificationRefused => "identification_refused",
            Self::Activation => "activation",
            Self::Enrolled => "enrolled",
            Self::Locked => "locked",
        }
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            Self::NotStarted => "Création du compte",
            Self::EmailCode => "Code reçu par e-mail",
            Self::Password => "Choix du mot de passe",
            Self::Mobile => "Numéro de téléphone",
            Self::MobileCode => "Code reçu par SMS",
            Self::Profile => "Civilité, prénom et nom",
            Self::IdentityData => "Vos informations personnelles",
            Self::IdentityConfirmation => "Confirmation de vos informations",
            Self::VerificationChoice => "Choix du mode de vérification",
            Self::FaceToFace => "Vérification en face à face",
            Self::PostalLetter => "Vérification par courrier",
            Self::RegisteredLetter => "Courrier recommandé AR24",
            Self::VisualIdentification => "Identification visuelle",
            Self::Review => "Identification en cours de traitement",
            Self::IdentificationRefused => "Identification refusée",
            Self::Activation => "Code d'activation",
            Self::Enrolled => "Identité Numérique active",
            Self::Locked => "Code secret bloqué",
        }
    }
}

/// The person once the identity data is confirmed: never changes afterwards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub account: Account,
    pub identity: IdentityDocument,
    pub identity_confirmed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LockReason {
    TooManySecretCodeFailures,
    SecretCodeForgotten,
}

/// Each state holds exactly the data it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Stage {
    #[default]
    NotStarted,
    EmailCode {
        email: Email,
        code: IssuedCode,
    },
    Password {
        email: Email,
    },
    Mobile {
        email: Email,
        password: PasswordDigest,
    },
    /// The number typed, before « Créer mon compte » (002 step 6).
    Profile {
        email: Email,
        password: PasswordDigest,
        mobile: MobileNumber,
    },
    /// The account is created; its number awaits the SMS code (002 step 7).
    MobileCode {
        account: Account,
        code: IssuedCode,
    },
    IdentityData {
        account: Account,
    },
    IdentityConfirmation {
        account: Account,
        draft: IdentityDocument,
    },
    VerificationChoice {
        person: Person,
    },
    /// The activation code was sent; the clerk (or postman) has not validated yet.
    FaceToFace {
        person: Person,
        code: IssuedCode,
        by_post: bool,
    },
    PostalLetter {
        person: Person,
        sent_at: DateTime<Utc>,
        arrives_at: DateTime<Utc>,
    },
    Online {
        person: Person,
        letter: RegisteredLetter,
    },
    /// Awaiting the final validation in the app. Face to face, `code` is the very code the
    /// clerk accepted.
    Activation {
        person: Person,
        code: IssuedCode,
        verified_by: VerificationMode,
        /// The AR24 letter when verified online, so its tracking timeline stays readable.
        letter: Option<RegisteredLetter>,
    },
    Enrolled {
        person: Person,
        device: EnrolledDevice,
        approvals: Vec<LoginApproval>,
        secret_failures: u8,
    },
    Locked {
        person: Person,
        reason: LockReason,
        /// Kept so relying parties still read each request's final status ("blocked").
        approvals: Vec<LoginApproval>,
    },
}

/// Something a person, a clerk, a reviewer or a relying party does.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    StartAccount {
        email: Email,
    },
    ConfirmEmail {
        code: String,
    },
    ResendEmailCode,
    ChoosePassword {
        digest: PasswordDigest,
    },
    RegisterMobile {
        mobile: MobileNumber,
    },
    /// The SMS code typed back, with the world's answer about the number's holder.
    ConfirmMobile {
        code: String,
        holder: MobileHolder,
    },
    ResendMobileCode,
    CompleteProfile {
        profile: Profile,
        terms_accepted: bool,
    },
    EnterIdentity {
        input: IdentityInput,
    },
    ConfirmIdentity,
    ChooseVerification {
        mode: VerificationMode,
        /// AR24's terms of use ticked (001): required online, ignored otherwise.
        terms_accepted: bool,
    },
    /// The clerk (or postman) checks the activation code and the document shown.
    ClerkValidate {
        code: String,
        presented: PresentedDocument,
    },
    /// "Lire mon courrier".
    ReadLetter,
    /// "Confirmer mon identité".
    ConfirmLetterIdentity,
    /// "Je ne suis pas cette personne".
    DeclineLetter,
    StartVisualIdentification,
    SubmitVisualIdentification {
        submission: Submission,
        plan: ReviewPlan,
    },
    /// A reviewer at the desk decides (automatic plans decide by themselves in `advance`).
    ReviewIdentification {
        decision: ReviewDecision,
    },
    ResendActivationCode,
    Activate {
        code: String,
        device: EnrolledDevice,
        /// The world's answer about the number's holder, read in the activation's transaction.
        holder: MobileHolder,
    },
    OpenLoginRequest {
        request_id: String,
        relying_party: String,
        mobile: MobileNumber,
        challenge: String,
        /// Simulated seconds per real second: the person gets one minute of *their* time to
        /// approve, even when a trainer runs the clock faster. 1 for real or manual time.
        clock_speed: f64,
    },
    AnswerLoginRequest {
        request_id: String,
        device_id: DeviceId,
        proof: ProofCheck,
    },
    DeclineLoginRequest {
        request_id: String,
        device_id: DeviceId,
    },
    ForgetSecretCode,
    /// Logging in to the app with the account: the world's verdict on the typed password.
    SignIn {
        password: PasswordCheck,
    },
    /// The confirmation code of that login, typed back.
    ConfirmSignIn {
        code: String,
    },
}

impl Command {
    /// Name used in the journal and in errors.
    pub fn name(&self) -> &'static str {
        match self {
            Self::StartAccount { .. } => "start_account",
            Self::ConfirmEmail { .. } => "confirm_email",
            Self::ResendEmailCode => "resend_email_code",
            Self::ChoosePassword { .. } => "choose_password",
            Self::RegisterMobile { .. } => "register_mobile",
            Self::ConfirmMobile { .. } => "confirm_mobile",
            Self::ResendMobileCode => "resend_mobile_code",
            Self::CompleteProfile { .. } => "complete_profile",
            Self::EnterIdentity { .. } => "enter_identity",
            Self::ConfirmIdentity => "confirm_identity",
            Self::ChooseVerification { .. } => "choose_verification",
            Self::ClerkValidate { .. } => "clerk_validate",
            Self::ReadLetter => "read_letter",
            Self::ConfirmLetterIdentity => "confirm_letter_identity",
            Self::DeclineLetter => "decline_letter",
            Self::StartVisualIdentification => "start_visual_identification",
            Self::SubmitVisualIdentification { .. } => "submit_visual_identification",
            Self::ReviewIdentification { .. } => "review_identification",
            Self::ResendActivationCode => "resend_activation_code",
            Self::Activate { .. } => "activate",
            Self::OpenLoginRequest { .. } => "open_login_request",
            Self::AnswerLoginRequest { .. } => "answer_login_request",
            Self::DeclineLoginRequest { .. } => "decline_login_request",
            Self::ForgetSecretCode => "forget_secret_code",
            Self::SignIn { .. } => "sign_in",
            Self::ConfirmSignIn { .. } => "confirm_sign_in",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Channel {
    Email,
    Sms,
    /// A paper letter in the mailbox.
    Post,
}

/// What the world must tell the person; the world's catalogue turns it into French text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Notice {
    EmailCode {
        code: String,
        valid_until: DateTime<Utc>,
    },
    MobileCode {
        code: String,
        valid_until: DateTime<Utc>,
    },
    AccountCreated,
    /// The activation code, by SMS, when the person chooses face to face: shown to the clerk,
    /// then typed into the app for the final validation.
    FaceToFaceCode {
        code: String,
        valid_until: DateTime<Utc>,
    },
    PostalLetterSent {
        arrives_at: DateTime<Utc>,
    },
    PostalLetterDelivered {
        code: String,
        valid_until: DateTime<Utc>,
    },
    /// AR24's first email: a registered letter will arrive « dans les prochaines minutes » (001).
    RegisteredLetterAnnounced,
    RegisteredLetterAvailable {
        letter_id: String,
    },
    /// La Poste's « Email de confirmation de l'envoi du dossier » after the visual
    /// identification is submitted (000).
    DossierSent {
        letter_id: String,
    },
    /// AR24's « Email d'information de la signature électronique de votre dossier » (000).
    DossierSigned {
        letter_id: String,
    },
    /// AR24: the identity is verified, « Consulter mon courrier » reveals the activation code
    /// (001); the code itself comes by SMS.
    IdentificationAccepted {
        letter_id: String,
    },
    IdentificationRefused {
        reason: RefusalReason,
    },
    ActivationCode {
        code: String,
        valid_until: DateTime<Utc>,
    },
    IdentityActivated,
    LoginApproved {
        relying_party: String,
    },
    /// The confirmation code of a login to the app with the account.
    SignInCode {
        code: String,
        valid_until: DateTime<Utc>,
    },
}

impl Notice {
    /// Every message kind's stable code, as scenario files and delivery plans name them.
    pub const CODES: [&'static str; 16] = [
        "email_code",
        "mobile_code",
        "account_created",
        "face_to_face_code",
        "postal_letter_sent",
        "postal_letter_delivered",
        "registered_letter_announced",
        "registered_letter_available",
        "dossier_sent",
        "dossier_signed",
        "identification_accepted",
        "identification_refused",
        "activation_code",
        "identity_activated",
        "login_approved",
        "sign_in_code",
    ];

    /// What a person calls the message of kind `code` (one of [`Notice::CODES`]), for the
    /// journal and the console; `None` for an unknown code.
    pub fn label_fr_of(code: &str) -> Option<&'static str> {
        Some(match code {
            "email_code" => "Code reçu par e-mail",
            "mobile_code" => "Code reçu par SMS",
            "account_created" => "Compte La Poste créé",
            "face_to_face_code" => "Code d'activation (face à face)",
            "postal_letter_sent" => "Courrier de vérification envoyé",
            "postal_letter_delivered" => "Lettre recommandée avec le code d'activation",
            "registered_letter_announced" => "Annonce d'un courrier recommandé AR24",
            "registered_letter_available" => "Courrier recommandé AR24 disponible",
            "dossier_sent" => "Confirmation de l'envoi du dossier",
            "dossier_signed" => "Signature électronique du dossier",
            "identification_accepted" => "Identification acceptée",
            "identification_refused" => "Identification refusée",
            "activation_code" => "Code d'activation",
            "identity_activated" => "Identité Numérique activée",
            "login_approved" => "Connexion validée",
            "sign_in_code" => "Code de connexion au compte La Poste",
            _ => return None,
        })
    }

    /// Stable code of this kind of message (one of [`Notice::CODES`]).
    pub fn code(&self) -> &'static str {
        match self {
            Self::EmailCode { .. } => "email_code",
            Self::MobileCode { .. } => "mobile_code",
            Self::AccountCreated => "account_created",
            Self::FaceToFaceCode { .. } => "face_to_face_code",
            Self::PostalLetterSent { .. } => "postal_letter_sent",
            Self::PostalLetterDelivered { .. } => "postal_letter_delivered",
            Self::RegisteredLetterAnnounced => "registered_letter_announced",
            Self::RegisteredLetterAvailable { .. } => "registered_letter_available",
            Self::DossierSent { .. } => "dossier_sent",
            Self::DossierSigned { .. } => "dossier_signed",
            Self::IdentificationAccepted { .. } => "identification_accepted",
            Self::IdentificationRefused { .. } => "identification_refused",
            Self::ActivationCode { .. } => "activation_code",
            Self::IdentityActivated => "identity_activated",
            Self::LoginApproved { .. } => "login_approved",
            Self::SignInCode { .. } => "sign_in_code",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Effect {
    Send { channel: Channel, notice: Notice },
}

fn send(channel: Channel, notice: Notice) -> Effect {
    Effect::Send { channel, notice }
}

/// A learner's journey. Only `handle` and `advance` change it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Journey {
    stage: Stage,
    /// Logging in to the app with the account; absent from the stored form while idle, so
    /// journeys stored before it read back unchanged.
    #[serde(default, skip_serializing_if = "SignIn::is_idle")]
    sign_in: SignIn,
}

impl Journey {
    pub fn stage(&self) -> &Stage {
        &self.stage
    }

    /// The account's login state (wrong passwords, lock, confirmation code awaited).
    pub fn sign_in_state(&self) -> &SignIn {
        &self.sign_in
    }

    /// The account's password digest, once a password was chosen: the world checks a login's
    /// password against it. `None` before: such an account cannot be logged into yet.
    pub fn password_digest(&self) -> Option<&PasswordDigest> {
        match &self.stage {
            Stage::NotStarted | Stage::EmailCode { .. } | Stage::Password { .. } => None,
            Stage::Mobile { password, .. } | Stage::Profile { password, .. } => Some(password),
            Stage::MobileCode { account, .. }
            | Stage::IdentityData { account }
            | Stage::IdentityConfirmation { account, .. } => Some(&account.password),
            Stage::VerificationChoice { person }
            | Stage::FaceToFace { person, .. }
            | Stage::PostalLetter { person, .. }
            | Stage::Online { person, .. }
            | Stage::Activation { person, .. }
            | Stage::Enrolled { person, .. }
            | Stage::Locked { person, .. } => Some(&person.account.password),
        }
    }

    /// The mobile number typed and waiting for its SMS code to be typed back.
    pub fn mobile_awaiting_code(&self) -> Option<&MobileNumber> {
        match &self.stage {
            Stage::MobileCode { account, .. } => Some(&account.mobile),
            _ => None,
        }
    }

    /// The mobile number once the person proved it (SMS code typed back).
    fn confirmed_mobile(&self) -> Option<&MobileNumber> {
        match &self.stage {
            Stage::NotStarted
            | Stage::EmailCode { .. }
            | Stage::Password { .. }
            | Stage::Mobile { .. }
            | Stage::Profile { .. }
            | Stage::MobileCode { .. } => None,
            Stage::IdentityData { account } | Stage::IdentityConfirmation { account, .. } => {
                Some(&account.mobile)
            }
            Stage::VerificationChoice { person }
            | Stage::FaceToFace { person, .. }
            | Stage::PostalLetter { person, .. }
            | Stage::Online { person, .. }
            | Stage::Activation { person, .. }
            | Stage::Enrolled { person, .. }
            | Stage::Locked { person, .. } => Some(&person.account.mobile),
        }
    }

    /// A login with the account: refused as wrong credentials while it has no password; else the
    /// password's verdict counts, and a match sends the confirmation code by SMS to a confirmed
    /// mobile number, by email otherwise.
    fn sign_in(
        &mut self,
        password: PasswordCheck,
        now: DateTime<Utc>,
        rng: &mut dyn RngCore,
    ) -> Result<Vec<Effect>, JourneyError> {
        if self.password_digest().is_none() {
            return Err(JourneyError::WrongCredentials);
        }
        let (channel, kind) = match self.confirmed_mobile() {
            Some(_) => (Channel::Sms, CodeKind::Mobile),
            None => (Channel::Email, CodeKind::Email),
        };
        let code = self.sign_in.check_password(password, kind, now, rng)?;
        Ok(vec![send(
            channel,
            Notice::SignInCode {
                code: code.value().into(),
                valid_until: code.expires_at(),
            },
        )])
    }

    pub fn step(&self) -> Step {
        match &self.stage {
            Stage::NotStarted => Step::NotStarted,
            Stage::EmailCode { .. } => Step::EmailCode,
            Stage::Password { .. } => Step::Password,
            Stage::Mobile { .. } => Step::Mobile,
            Stage::MobileCode { .. } => Step::MobileCode,
            Stage::Profile { .. } => Step::Profile,
            Stage::IdentityData { .. } => Step::IdentityData,
            Stage::IdentityConfirmation { .. } => Step::IdentityConfirmation,
            Stage::VerificationChoice { .. } => Step::VerificationChoice,
            Stage::FaceToFace { .. } => Step::FaceToFace,
            Stage::PostalLetter { .. } => Step::PostalLetter,
            Stage::Online { letter, .. } => match &letter.identification {
                Identification::NotStarted => Step::RegisteredLetter,
                Identification::Started { .. } => Step::VisualIdentification,
                Identification::UnderReview { .. } => Step::Review,
                Identification::Refused { .. } => Step::IdentificationRefused,
            },
            Stage::Activation { .. } => Step::Activation,
            Stage::Enrolled { .. } => Step::Enrolled,
            Stage::Locked { .. } => Step::Locked,
        }
    }

    /// The confirmed person, from the confirmation of the identity data onwards.
    /// What « Consulter mon courrier » shows once the identity is verified online and until the
    /// activation (the current activation code, resent ones included); `None` otherwise.
    pub fn letter_contents(&self) -> Option<LetterContents> {
        match &self.stage {
            Stage::Activation {
                code,
                verified_by: VerificationMode::Online,
                letter: Some(_),
                ..
            } => Some(LetterContents {
                sender: LETTER_SENDER,
                activation_code: code.value().to_owned(),
                valid_until: code.expires_at(),
            }),
            _ => None,
        }
    }

    pub fn person(&self) -> Option<&Person> {
        match &self.stage {
            Stage::VerificationChoice { person }
            | Stage::FaceToFace { person, .. }
            | Stage::PostalLetter { person, .. }
            | Stage::Online { person, .. }
            | Stage::Activation { person, .. }
            | Stage::Enrolled { person, .. }
            | Stage::Locked { person, .. } => Some(person),
            Stage::NotStarted
            | Stage::EmailCode { .. }
            | Stage::Password { .. }
            | Stage::Mobile { .. }
            | Stage::MobileCode { .. }
            | Stage::Profile { .. }
            | Stage::IdentityData { .. }
            | Stage::IdentityConfirmation { .. } => None,
        }
    }

    /// The code a clerk types to find this learner, while face to face is pending.
    pub fn face_to_face_code(&self) -> Option<&str> {
        match &self.stage {
            Stage::FaceToFace { code, .. } => Some(code.value()),
            _ => None,
        }
    }

    pub fn login_approvals(&self) -> &[LoginApproval] {
        match &self.stage {
            Stage::Enrolled { approvals, .. } | Stage::Locked { approvals, .. } => approvals,
            _ => &[],
        }
    }

    /// One login request of this identity, whatever its status.
    pub fn login_approval(&self, request_id: &str) -> Option<&LoginApproval> {
        self.login_approvals()
            .iter()
            .find(|approval| approval.request_id == request_id)
    }

    pub fn enrolled_device(&self) -> Option<&EnrolledDevice> {
        match &self.stage {
            Stage::Enrolled { device, .. } => Some(device),
            _ => None,
        }
    }

    /// The earliest time at which `advance` has something to do.
    pub fn next_deadline(&self) -> Option<DateTime<Utc>> {
        match &self.stage {
            Stage::PostalLetter { arrives_at, .. } => Some(*arrives_at),
            Stage::Online { letter, .. } => match &letter.identification {
                Identification::UnderReview {
                    plan: ReviewPlan::Automatic { decide_at, .. },
                    ..
                } => Some(*decide_at),
                _ => None,
            },
            Stage::Enrolled { approvals, .. } => approvals
                .iter()
                .filter(|approval| approval.status == ApprovalStatus::Pending)
                .map(|approval| approval.deadline)
                .min(),
            _ => None,
        }
    }

    /// Lets time pass: delivers the postal letter, applies due automatic reviews, expires
    /// login requests. Events are dated when they were due, not when noticed.
    pub fn advance(&mut self, now: DateTime<Utc>, rng: &mut dyn RngCore) -> Vec<Effect> {
        let mut effects = Vec::new();
        match &mut self.stage {
            Stage::PostalLetter {
                person, arrives_at, ..
            } if now >= *arrives_at => {
                let code = IssuedCode::issue_valid_for(
                    CodeKind::Activation,
                    rules::FACE_TO_FACE_VALIDITY,
                    *arrives_at,
                    rng,
                );
                effects.push(send(
                    Channel::Post,
                    Notice::PostalLetterDelivered {
                        code: code.value().into(),
                        valid_until: code.expires_at(),
                    },
                ));
                self.stage = Stage::FaceToFace {
                    person: person.clone(),
                    code,
                    by_post: true,
                };
            }
            Stage::Online { letter, .. } => {
                if let Identification::UnderReview {
                    plan: ReviewPlan::Automatic { decision, decide_at },
                    ..
                } = letter.identification
                {
                    if now >= decide_at {
                        effects = self.apply_review(decision, decide_at, rng);
                    }
                }
            }
            Stage::Enrolled { approvals, .. } => {
                for approval in approvals.iter_mut() {
                    if approval.status == ApprovalStatus::Pending && now >= approval.deadline {
                        approval.status = ApprovalStatus::Expired;
                    }
                }
            }
            _ => {}
        }
        effects
    }

    /// Applies a command at `now`. On error the state may still have changed (a failed
    /// attempt is counted), so callers keep the journey whatever the result.
    pub fn handle(
        &mut self,
        command: Command,
        now: DateTime<Utc>,
        rng: &mut dyn RngCore,
    ) -> Result<Vec<Effect>, JourneyError> {
        let mut effects = self.advance(now, rng);
        effects.extend(self.apply(command, now, rng)?);
        Ok(effects)
    }

    fn wrong_step(&self, command: &Command) -> JourneyError {
        JourneyError::WrongStep {
            action: command.name(),
            step: self.step(),
        }
    }

    fn apply(
        &mut self,
        command: Command,
        now: DateTime<Utc>,
        rng: &mut dyn RngCore,
    ) -> Result<Vec<Effect>, JourneyError> {
        // Logging in leaves the stage where it is, whatever it is.
        let command = match command {
            Command::SignIn { password } => return self.sign_in(password, now, rng),
            Command::ConfirmSignIn { code } => return self.sign_in.confirm(&code, now).map(|()| Vec::new()),
            other => other,
        };
        let today = now.date_naive();
        let wrong_step = self.wrong_step(&command);
        match (&mut self.stage, command) {
            (Stage::NotStarted, Command::StartAccount { email }) => {
                let code = IssuedCode::issue(CodeKind::Email, now, rng);
                let effect = send(
                    Channel::Email,
                    Notice::EmailCode {
                        code: code.value().into(),
                        valid_until: code.expires_at(),
                    },
                );
                self.stage = Stage::EmailCode { email, code };
                Ok(vec![effect])
            }
            (Stage::EmailCode { email, code }, Command::ConfirmEmail { code: typed }) => {
                code.check(&typed, now)?;
                self.stage = Stage::Password { email: email.clone() };
                Ok(vec![])
            }
            (Stage::EmailCode { code, .. }, Command::ResendEmailCode) => {
                *code = code.reissue(now, rng)?;
                Ok(vec![send(
                    Channel::Email,
                    Notice::EmailCode {
                        code: code.value().into(),
                        valid_until: code.expires_at(),
                    },
                )])
            }
            (Stage::Password { email }, Command::ChoosePassword { digest }) => {
                self.stage = Stage::Mobile {
                    email: email.clone(),
                    password: digest,
                };
                Ok(vec![])
            }
            (Stage::Mobile { email, password }, Command::RegisterMobile { mobile }) => {
                self.stage = Stage::Profile {
                    email: email.clone(),
                    password: password.clone(),
                    mobile,
                };
                Ok(vec![])
            }
            // Back from « Renseignez vos informations » to correct the number: no SMS yet.
            (Stage::Profile { mobile: typed, .. }, Command::RegisterMobile { mobile }) => {
                *typed = mobile;
                Ok(vec![])
            }
            // « Créer mon compte » (002 step 6): the account exists, then the SMS code proves its
            // number (step 7).
            (
                Stage::Profile {
                    email,
                    password,
                    mobile,
                },
                Command::CompleteProfile {
                    profile,
                    terms_accepted,
                },
            ) => {
                if !terms_accepted {
                    return Err(JourneyError::TermsNotAccepted);
                }
                let account = Account {
                    email: email.clone(),
                    password: password.clone(),
                    mobile: mobile.clone(),
                    profile,
                };
                let code = IssuedCode::issue(CodeKind::Mobile, now, rng);
                let sms = send(
                    Channel::Sms,
                    Notice::MobileCode {
                        code: code.value().into(),
                        valid_until: code.expires_at(),
                    },
                );
                self.stage = Stage::MobileCode { account, code };
                Ok(vec![send(Channel::Email, Notice::AccountCreated), sms])
            }
            (Stage::MobileCode { account, code }, Command::ConfirmMobile { code: typed, holder }) => {
                code.check(&typed, now)?;
                // Said only to whoever proved they hold the phone (the right code); they stay
                // here and may type another number (that new SMS counts as a resend).
                refuse_a_held_mobile(holder, Step::MobileCode)?;
                self.stage = Stage::IdentityData {
                    account: account.clone(),
                };
                Ok(vec![])
            }
            (Stage::MobileCode { code, .. }, Command::ResendMobileCode) => {
                *code = code.reissue(now, rng)?;
                Ok(vec![send(
                    Channel::Sms,
                    Notice::MobileCode {
                        code: code.value().into(),
                        valid_until: code.expires_at(),
                    },
                )])
            }
            // A person who typed a wrong number goes back and types another one; the new SMS
            // counts as a resend, so changing numbers cannot bypass the resend limit.
            (Stage::MobileCode { account, code }, Command::RegisterMobile { mobile }) => {
                *code = code.reissue(now, rng)?;
                account.mobile = mobile;
                Ok(vec![send(
                    Channel::Sms,
                    Notice::MobileCode {
                        code: code.value().into(),
                        valid_until: code.expires_at(),
                    },
                )])
            }
            (
                Stage::IdentityData { account } | Stage::IdentityConfirmation { account, .. },
                Command::EnterIdentity { input },
            ) => {
                let draft = IdentityDocument::parse(&input, today)?;
                self.stage = Stage::IdentityConfirmation {
                    account: account.clone(),
                    draft,
                };
                Ok(vec![])
            }
            (Stage::IdentityConfirmation { account, draft }, Command::ConfirmIdentity) => {
                let person = Person {
                    account: account.clone(),
                    identity: draft.clone(),
                    identity_confirmed_at: now,
                };
                self.stage = Stage::VerificationChoice { person };
                Ok(vec![])
            }
            (
                Stage::VerificationChoice { .. }
                | Stage::FaceToFace { .. }
                | Stage::PostalLetter { .. }
                | Stage::Online { .. }
                | Stage::Enrolled { .. }
                | Stage::Locked { .. }
                | Stage::Activation { .. },
                Command::EnterIdentity { .. },
            ) => Err(JourneyError::IdentityAlreadyConfirmed),
            (
                Stage::VerificationChoice { person }
                | Stage::FaceToFace { person, .. }
                | Stage::PostalLetter { person, .. }
                | Stage::Activation { person, .. }
                | Stage::Locked { person, .. },
                Command::ChooseVerification { mode, terms_accepted },
            ) => {
                let person = person.clone();
                self.choose_verification(person, mode, terms_accepted, now, rng)
            }
            (Stage::Online { person, letter }, Command::ChooseVerification { mode, terms_accepted })
                if !matches!(letter.identification, Identification::UnderReview { .. }) =>
            {
                let person = person.clone();
                self.choose_verification(person, mode, terms_accepted, now, rng)
            }
            (
                Stage::FaceToFace { person, code, .. },
                Command::ClerkValidate {
                    code: typed,
                    presented,
                },
            ) => {
                code.check(&typed, now)?;
                if person.identity.is_expired_on(today) {
                    return Err(JourneyError::DocumentExpired);
                }
                let fields = person.identity.differences(&presented);
                if !fields.is_empty() {
                    return Err(JourneyError::DocumentMismatch { fields });
                }
                // The final validation happens in the app, with this same code (002).
                self.stage = Stage::Activation {
                    person: person.clone(),
                    code: code.kept_for(rules::FINAL_VALIDATION_VALIDITY, now),
                    verified_by: VerificationMode::FaceToFace,
                    letter: None,
                };
                Ok(vec![])
            }
            (Stage::Online { letter, .. }, Command::ReadLetter) => {
                if !letter.opened {
                    letter.opened = true;
                }
                Ok(vec![])
            }
            (Stage::Online { letter, .. }, Command::ConfirmLetterIdentity) => {
                if !letter.opened {
                    return Err(JourneyError::LetterNotOpened);
                }
                letter.identity_confirmed = true;
                Ok(vec![])
            }
            (Stage::Online { person, letter }, Command::DeclineLetter) => {
                if matches!(letter.identification, Identification::UnderReview { .. }) {
                    return Err(wrong_step);
                }
                if !letter.opened {
                    return Err(JourneyError::LetterNotOpened);
                }
                letter.record(now, LetterStatus::RecipientDeclined);
                self.stage = Stage::VerificationChoice {
                    person: person.clone(),
                };
                Ok(vec![])
            }
            (Stage::Online { letter, .. }, Command::StartVisualIdentification) => {
                if !letter.identity_confirmed {
                    return Err(JourneyError::LetterNotOpened);
                }
                match letter.identification {
                    Identification::NotStarted
                    | Identification::Refused { .. }
                    | Identification::Started { .. } => {
                        letter.identification = Identification::Started {
                            digits: SpokenDigits::draw(rng),
                        };
                        letter.record(now, LetterStatus::IdentificationStarted);
                        Ok(vec![])
                    }
                    Identification::UnderReview { .. } => Err(wrong_step),
                }
            }
            (Stage::Online { letter, .. }, Command::SubmitVisualIdentification { submission, plan }) => {
                let Identification::Started { digits } = &letter.identification else {
                    return Err(JourneyError::IdentificationNotStarted);
                };
                for side in submission.document_type.required_sides() {
                    if !submission.photos.iter().any(|(taken, _)| taken == side) {
                        return Err(JourneyError::IncompleteSubmission(side.label_fr()));
                    }
                }
                let review_deadline = calendar::add_weekday_hours(now, rules::REVIEW_MAX_WEEKDAY_HOURS);
                let plan = match plan {
                    ReviewPlan::Automatic { decision, decide_at } => ReviewPlan::Automatic {
                        decision,
                        decide_at: decide_at.clamp(now, review_deadline),
                    },
                    ReviewPlan::Desk => ReviewPlan::Desk,
                };
                letter.identification = Identification::UnderReview {
                    digits: digits.clone(),
                    submission,
                    submitted_at: now,
                    review_deadline,
                    plan,
                };
                letter.record(now, LetterStatus::IdentificationRecorded);
                letter.record(now, LetterStatus::IdentificationProcessing);
                let letter_id = letter.letter_id.clone();
                // The two emails 000 names after « ENVOI DES INFORMATIONS AU GROUPE LA POSTE ».
                Ok(vec![
                    send(
                        Channel::Email,
                        Notice::DossierSent {
                            letter_id: letter_id.clone(),
                        },
                    ),
                    send(Channel::Email, Notice::DossierSigned { letter_id }),
                ])
            }
            (Stage::Online { letter, .. }, Command::ReviewIdentification { decision }) => {
                if !matches!(letter.identification, Identification::UnderReview { .. }) {
                    return Err(wrong_step);
                }
                Ok(self.apply_review(decision, now, rng))
            }
            (Stage::Activation { code, .. }, Command::ResendActivationCode) => {
                *code = code.reissue(now, rng)?;
                let notice = Notice::ActivationCode {
                    code: code.value().into(),
                    valid_until: code.expires_at(),
                };
                // The code comes by SMS (002 face to face, 001 online); online the letter's
                // contents show the new one too.
                Ok(vec![send(Channel::Sms, notice)])
            }
            (
                Stage::Activation { person, code, .. },
                Command::Activate {
                    code: typed,
                    device,
                    holder,
                },
            ) => {
                code.check(&typed, now)?;
                // Another learner may have activated with this number since this one proved it.
                refuse_a_held_mobile(holder, Step::Activation)?;
                let device = EnrolledDevice {
                    enrolled_at: now,
                    ..device
                };
                self.stage = Stage::Enrolled {
                    person: person.clone(),
                    device,
                    approvals: Vec::new(),
                    secret_failures: 0,
                };
                Ok(vec![send(Channel::Email, Notice::IdentityActivated)])
            }
            (
                Stage::Enrolled {
                    person, approvals, ..
                },
                Command::OpenLoginRequest {
                    request_id,
                    relying_party,
                    mobile,
                    challenge,
                    clock_speed,
                },
            ) => {
                if mobile != person.account.mobile {
                    return Err(JourneyError::MobileMismatch);
                }
                let pending = approvals
                    .iter()
                    .filter(|approval| approval.status == ApprovalStatus::Pending && now < approval.deadline)
                    .count();
                if pending >= rules::MAX_PENDING_LOGIN_REQUESTS {
                    return Err(JourneyError::TooManyPendingLoginRequests);
                }
                let recent = approvals
                    .iter()
                    .filter(|approval| approval.created_at > now - rules::LOGIN_REQUEST_RATE_WINDOW)
                    .count();
                if recent >= rules::MAX_LOGIN_REQUESTS_PER_WINDOW {
                    return Err(JourneyError::LoginRequestRateLimited);
                }
                if approvals.len() >= rules::KEPT_LOGIN_REQUESTS {
                    let oldest_answered = approvals
                        .iter()
                        .position(|approval| approval.status != ApprovalStatus::Pending);
                    if let Some(index) = oldest_answered {
                        approvals.remove(index);
                    }
                }
                approvals.push(LoginApproval {
                    request_id,
                    relying_party,
                    challenge,
                    created_at: now,
                    deadline: now + rules::login_approval_window(clock_speed),
                    status: ApprovalStatus::Pending,
                    answered_at: None,
                    answers_seen: Vec::new(),
                });
                Ok(vec![])
            }
            (
                Stage::Enrolled {
                    person,
                    device,
                    approvals,
                    secret_failures,
                },
                Command::AnswerLoginRequest {
                    request_id,
                    device_id,
                    proof,
                },
            ) => {
                let approval = pending_approval(approvals, &request_id, now)?;
                if device_id != device.device_id {
                    return Err(JourneyError::NotTheEnrolledDevice);
                }
                if !proof.signature_valid {
                    return Err(JourneyError::InvalidDeviceSignature);
                }
                if approval.answers_seen.contains(&proof.answer_digest) {
                    return Err(JourneyError::AnswerReplayed);
                }
                approval.answers_seen.push(proof.answer_digest);
                if !proof.secret_code_matches {
                    *secret_failures += 1;
                    if *secret_failures >= rules::MAX_SECRET_CODE_FAILURES {
                        approval.status = ApprovalStatus::Blocked;
                        approval.answered_at = Some(now);
                        for other in approvals
                            .iter_mut()
                            .filter(|other| other.status == ApprovalStatus::Pending)
                        {
                            other.status = ApprovalStatus::Blocked;
                            other.answered_at = Some(now);
                        }
                        self.stage = Stage::Locked {
                            person: person.clone(),
                            reason: LockReason::TooManySecretCodeFailures,
                            approvals: std::mem::take(approvals),
                        };
                        return Err(JourneyError::SecretCodeLocked);
                    }
                    return Err(JourneyError::WrongSecretCode {
                        remaining: rules::MAX_SECRET_CODE_FAILURES - *secret_failures,
                    });
                }
                *secret_failures = 0;
                approval.status = ApprovalStatus::Approved;
                approval.answered_at = Some(now);
                Ok(vec![send(
                    Channel::Email,
                    Notice::LoginApproved {
                        relying_party: approval.relying_party.clone(),
                    },
                )])
            }
            (
                Stage::Enrolled {
                    device, approvals, ..
                },
                Command::DeclineLoginRequest {
                    request_id,
                    device_id,
                },
            ) => {
                let approval = pending_approval(approvals, &request_id, now)?;
                if device_id != device.device_id {
                    return Err(JourneyError::NotTheEnrolledDevice);
                }
                approval.status = ApprovalStatus::Declined;
                approval.answered_at = Some(now);
                Ok(vec![])
            }
            (
                Stage::Enrolled {
                    person, approvals, ..
                },
                Command::ForgetSecretCode,
            ) => {
                for pending in approvals
                    .iter_mut()
                    .filter(|approval| approval.status == ApprovalStatus::Pending)
                {
                    pending.status = ApprovalStatus::Blocked;
                    pending.answered_at = Some(now);
                }
                self.stage = Stage::Locked {
                    person: person.clone(),
                    reason: LockReason::SecretCodeForgotten,
                    approvals: std::mem::take(approvals),
                };
                Ok(vec![])
            }
            (Stage::Locked { .. }, Command::AnswerLoginRequest { .. } | Command::OpenLoginRequest { .. }) => {
                Err(JourneyError::SecretCodeLocked)
            }
            _ => Err(wrong_step),
        }
    }

    fn choose_verification(
        &mut self,
        person: Person,
        mode: VerificationMode,
        terms_accepted: bool,
        now: DateTime<Utc>,
        rng: &mut dyn RngCore,
    ) -> Result<Vec<Effect>, JourneyError> {
        if person.identity.is_expired_on(now.date_naive()) {
            return Err(JourneyError::DocumentExpired);
        }
        if mode == VerificationMode::Online && !terms_accepted {
            return Err(JourneyError::Ar24TermsNotAccepted);
        }
        let effects = match mode {
            VerificationMode::FaceToFace => {
                // « vous allez ensuite recevoir un code d'activation sur votre portable » (002).
                let code =
                    IssuedCode::issue_valid_for(CodeKind::Activation, rules::FACE_TO_FACE_VALIDITY, now, rng);
                let effect = send(
                    Channel::Sms,
                    Notice::FaceToFaceCode {
                        code: code.value().into(),
                        valid_until: code.expires_at(),
                    },
                );
                self.stage = Stage::FaceToFace {
                    person,
                    code,
                    by_post: false,
                };
                vec![effect]
            }
            VerificationMode::ByPost => {
                let arrives_at = now + rules::POSTAL_LETTER_DELAY;
                self.stage = Stage::PostalLetter {
                    person,
                    sent_at: now,
                    arrives_at,
                };
                vec![send(Channel::Email, Notice::PostalLetterSent { arrives_at })]
            }
            VerificationMode::Online => {
                let letter_id = format!("LRE-{:010}", rng.next_u64() % 10_000_000_000);
                let mut letter = RegisteredLetter {
                    letter_id: letter_id.clone(),
                    opened: false,
                    identity_confirmed: false,
                    identification: Identification::NotStarted,
                    refusals: 0,
                    timeline: Vec::new(),
                };
                // AR24 announces the letter first, then sends it (001).
                letter.record(now, LetterStatus::AnnouncementEmailDelivered);
                letter.record(now, LetterStatus::LetterSent);
                letter.record(now, LetterStatus::NotificationEmailDelivered);
                self.stage = Stage::Online { person, letter };
                vec![
                    send(Channel::Email, Notice::RegisteredLetterAnnounced),
                    send(Channel::Email, Notice::RegisteredLetterAvailable { letter_id }),
                ]
            }
        };
        Ok(effects)
    }

    fn start_activation(
        &mut self,
        person: Person,
        verified_by: VerificationMode,
        letter: Option<RegisteredLetter>,
        now: DateTime<Utc>,
        rng: &mut dyn RngCore,
    ) -> Vec<Effect> {
        let code = IssuedCode::issue(CodeKind::Activation, now, rng);
        let notice = Notice::ActivationCode {
            code: code.value().into(),
            valid_until: code.expires_at(),
        };
        self.stage = Stage::Activation {
            person,
            code,
            verified_by,
            letter,
        };
        // The email gives access to the letter, whose contents show the code (001).
        vec![send(Channel::Sms, notice)]
    }

    fn apply_review(
        &mut self,
        decision: ReviewDecision,
        at: DateTime<Utc>,
        rng: &mut dyn RngCore,
    ) -> Vec<Effect> {
        let Stage::Online { person, letter } = &mut self.stage else {
            return Vec::new();
        };
        match decision {
            ReviewDecision::Accepted => {
                letter.record(at, LetterStatus::IdentificationAccepted);
                letter.record(at, LetterStatus::ResultEmailDelivered);
                let (person, letter) = (person.clone(), letter.clone());
                let mut effects = vec![send(
                    Channel::Email,
                    Notice::IdentificationAccepted {
                        letter_id: letter.letter_id.clone(),
                    },
                )];
                effects.extend(self.start_activation(
                    person,
                    VerificationMode::Online,
                    Some(letter),
                    at,
                    rng,
                ));
                effects
            }
            ReviewDecision::Refused(reason) => {
                letter.refusals += 1;
                letter.identification = Identification::Refused {
                    reason,
                    attempts: letter.refusals,
                };
                letter.record(at, LetterStatus::IdentificationRefused);
                letter.record(at, LetterStatus::ResultEmailDelivered);
                vec![send(Channel::Email, Notice::IdentificationRefused { reason })]
            }
        }
    }
}

/// One identity per mobile number ([`rules::IDENTITIES_PER_MOBILE`]).
fn refuse_a_held_mobile(holder: MobileHolder, step: Step) -> Result<(), JourneyError> {
    match holder {
        MobileHolder::NoOtherIdentity => Ok(()),
        MobileHolder::AnotherIdentity => Err(JourneyError::MobileAlreadyEnrolled { step }),
    }
}

fn pending_approval<'a>(
    approvals: &'a mut [LoginApproval],
    request_id: &str,
    now: DateTime<Utc>,
) -> Result<&'a mut LoginApproval, JourneyError> {
    let approval = approvals
        .iter_mut()
        .find(|approval| approval.request_id == request_id)
        .ok_or(JourneyError::UnknownLoginRequest)?;
    if approval.status == ApprovalStatus::Pending && now >= approval.deadline {
        approval.status = ApprovalStatus::Expired;
    }
    match approval.status {
        ApprovalStatus::Pending => Ok(approval),
        ApprovalStatus::Expired => Err(JourneyError::LoginRequestExpired),
        ApprovalStatus::Approved | ApprovalStatus::Declined | ApprovalStatus::Blocked => {
            Err(JourneyError::LoginRequestAlreadyAnswered)
        }
    }
}

/// A step shows as its code, as on the wire.
impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.code())
    }
}

/// A step equals its code: `view.step == "enrolled"` reads as the wire does.
impl PartialEq<&str> for Step {
    fn eq(&self, code: &&str) -> bool {
        self.code() == *code
    }
}

#[cfg(test)]
mod step_tests {
    use super::Step;

    #[test]
    fn a_step_is_its_code_on_the_wire_and_reads_back_from_it() {
        for step in Step::ALL {
            assert_eq!(
                serde_json::to_string(&step).unwrap(),
                format!("\"{}\"", step.code())
            );
            assert_eq!(Step::from_code(step.code()), Some(step));
        }
        assert_eq!(Step::from_code("etape_inventee"), None);
    }
}
