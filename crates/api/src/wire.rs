//! The world's wire format: request and response bodies of the HTTP API. Plain data;
//! conversions to journey types happen in `world` at once.

use chrono::{DateTime, NaiveDate, Utc};
use idn_journey::identity::{DocumentSide, DocumentType, Sex};
pub use idn_journey::Step;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An error as people and programs receive it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApiError {
    /// Stable machine-readable code (e.g. `code_expired`): decide on this, never on text.
    pub code: String,
    /// French sentence for the person.
    pub message: String,
    /// Attempts left after this refusal, for a wrong code (`code_wrong`) or secret code
    /// (`wrong_secret_code`): screens warn before the last one. Absent for any other refusal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub attempts_left: Option<u8>,
}

impl ApiError {
    /// A refusal that counts no attempts.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            attempts_left: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorldStatus {
    pub service: String,
    pub version: String,
    pub simulation: bool,
    pub now: DateTime<Utc>,
    pub clock: ClockView,
    pub learners: u64,
    /// The class's name as the trainer gave it (`idn world serve --class`): a device that joins
    /// confirms it by name. Absent when the trainer gave none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "mode")]
pub enum ClockMode {
    /// Wall-clock time (plus any advance made so far).
    Real,
    /// Time runs `factor` times faster than the wall clock.
    Accelerated { factor: f64 },
    /// Time stands still until advanced.
    Manual,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClockView {
    pub now: DateTime<Utc>,
    #[serde(flatten)]
    pub mode: ClockMode,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClockAdvance {
    pub seconds: i64,
}

/// One learner's clock: the class clock plus the learner's own advance. A learner has no speed
/// of their own (their time runs at the class clock's), so a person still has a real minute to
/// approve a login.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LearnerClockView {
    pub learner_id: String,
    /// The learner's time: the class clock's time plus `offset_seconds`.
    pub now: DateTime<Utc>,
    /// How far the learner is ahead of the class (seconds, never negative).
    pub offset_seconds: i64,
    /// The class clock.
    pub class: ClockView,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClockSetting {
    #[serde(flatten)]
    pub mode: ClockMode,
    /// Jump to this time first (optional).
    pub now: Option<DateTime<Utc>>,
}

/// « Revenir à ce moment »: the class clock goes back to `to` (its speed is kept). Learners who
/// acted after that moment stay at their own time (journaled for each).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClockRewind {
    pub to: DateTime<Utc>,
}

/// What a change of the class clock was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockChangeKind {
    /// Moved forward by a duration (`POST /api/clock/advance`).
    Advance,
    /// A new speed, or a later date (`PUT /api/clock`).
    Set,
    /// Back to an earlier time (`POST /api/clock/rewind`, or `PUT /api/clock` with an earlier date).
    Rewind,
    /// « Revenir à l'heure réelle »: real time, from the wall clock's time (`POST /api/clock/real`).
    RealTime,
}

/// One change of the class clock, as its history keeps it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClockChange {
    /// When it was made (the world's real, wall-clock time).
    pub recorded_at: DateTime<Utc>,
    pub kind: ClockChangeKind,
    /// The class's simulated time just before the change.
    pub before: DateTime<Utc>,
    /// The class's simulated time just after it.
    pub after: DateTime<Utc>,
    /// The clock's speed after the change.
    #[serde(flatten)]
    pub mode: ClockMode,
    /// The staff member who made it (their email); absent for the world's own changes.
    pub by: Option<String>,
    /// Learners kept at their own later time by a move back (0 otherwise).
    pub learners_kept: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewLearner {
    /// The identifier of the La Poste account; the 6-digit code is emailed there.
    pub email: String,
}

/// How the world reviews this learner's next online visual identification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "review")]
pub enum ReviewPolicy {
    /// Accept what passes the checks the world can make, after the review delay.
    Automatic,
    /// Refuse the next submission with this reason (a code of `RefusalReason`), then go back to automatic.
    RefuseNext { reason: String },
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LearnerSettings {
    #[serde(flatten)]
    pub review: ReviewPolicy,
}

/// Everything a person does on the La Poste account and the AR24 letter, one action per call.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum LearnerAction {
    ConfirmEmail {
        code: String,
    },
    ResendEmailCode,
    ChoosePassword {
        password: String,
    },
    RegisterMobile {
        mobile: String,
    },
    ConfirmMobile {
        code: String,
    },
    ResendMobileCode,
    CompleteProfile {
        civility: Civility,
        first_name: String,
        last_name: String,
        terms_accepted: bool,
        #[serde(default)]
        marketing_opt_in: bool,
    },
    EnterIdentity(Box<IdentityForm>),
    ConfirmIdentity,
    ChooseVerification {
        mode: VerificationMode,
        /// AR24's terms of use, ticked before « Confirmer »: required online, ignored otherwise.
        #[serde(default)]
        terms_accepted: bool,
    },
    ReadLetter,
    ConfirmLetterIdentity,
    DeclineLetter,
    StartVisualIdentification,
    SubmitVisualIdentification {
        document_type: DocumentKind,
        photos: Vec<SubmittedPhoto>,
        video_media_id: String,
    },
    ResendActivationCode,
    ForgetSecretCode,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Civility {
    Madame,
    Monsieur,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerificationMode {
    FaceToFace,
    Online,
    ByPost,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Cni,
    Passeport,
    TitreDeSejour,
}

impl From<DocumentKind> for DocumentType {
    fn from(kind: DocumentKind) -> Self {
        match kind {
            DocumentKind::Cni => DocumentType::Cni,
            DocumentKind::Passeport => DocumentType::Passeport,
            DocumentKind::TitreDeSejour => DocumentType::TitreDeSejour,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Front,
    Back,
    PhotoPage,
}

impl From<Side> for DocumentSide {
    fn from(side: Side) -> Self {
        match side {
            Side::Front => DocumentSide::Front,
            Side::Back => DocumentSide::Back,
            Side::PhotoPage => DocumentSide::PhotoPage,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SubmittedPhoto {
    pub side: Side,
    pub media_id: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SexField {
    Female,
    Male,
}

impl From<SexField> for Sex {
    fn from(sex: SexField) -> Self {
        match sex {
            SexField::Female => Sex::Female,
            SexField::Male => Sex::Male,
        }
    }
}

impl From<Sex> for SexField {
    fn from(sex: Sex) -> Self {
        match sex {
            Sex::Female => SexField::Female,
            Sex::Male => SexField::Male,
        }
    }
}

/// "Vos informations personnelles" as typed; dates are `YYYY-MM-DD`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct IdentityForm {
    pub document_type: Option<DocumentKind>,
    pub sex: Option<SexField>,
    /// Every given name, in the order of the document.
    pub given_names: Vec<String>,
    pub birth_name: String,
    pub usage_name: Option<String>,
    pub birth_date: String,
    /// INSEE country code, 99100 for France.
    pub birth_country: String,
    pub birth_commune: Option<String>,
    pub birth_insee_code: Option<String>,
    /// ISO 3166 alpha-3 code, e.g. FRA.
    pub nationality: String,
    pub issue_date: String,
    pub expiry_date: String,
    pub document_number_ending: String,
}

/// A learner as every screen, the CLI and trainers see them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LearnerView {
    pub id: String,
    /// Where the learner stands (its stable code: `email_code`, `review`, `enrolled`…).
    pub step: Step,
    /// The step's French name.
    pub step_label: String,
    pub email: Option<String>,
    pub mobile: Option<String>,
    pub next_deadline: Option<DateTime<Utc>>,
    pub identity: Option<IdentitySummary>,
    pub identity_confirmed: bool,
    pub face_to_face: Option<FaceToFaceView>,
    pub postal_letter: Option<PostalLetterView>,
    pub registered_letter: Option<RegisteredLetterView>,
    pub activation: Option<ActivationView>,
    pub device_id: Option<String>,
    pub lock_reason: Option<String>,
    pub review_policy: ReviewPolicy,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IdentitySummary {
    /// The document's name as people read it (« Carte nationale d'identité »).
    pub document_type: String,
    /// The same document as a code, for screens that decide on it (the visual identification
    /// offers the declared document first, 003).
    pub document_kind: DocumentKind,
    /// « Sexe » on the confirmation screen (003).
    pub sex: SexField,
    pub given_names: Vec<String>,
    pub birth_name: String,
    pub usage_name: Option<String>,
    pub birth_date: NaiveDate,
    pub birthplace: String,
    pub birth_country: String,
    pub nationality: String,
    /// « Date d'émission » on the confirmation screen (003).
    pub issue_date: NaiveDate,
    pub expiry_date: NaiveDate,
    pub document_number_ending: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FaceToFaceView {
    pub valid_until: DateTime<Utc>,
    pub by_post: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PostalLetterView {
    pub sent_at: DateTime<Utc>,
    pub arrives_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RegisteredLetterView {
    pub letter_id: String,
    pub opened: bool,
    pub identity_confirmed: bool,
    /// The 3 digits to say in the video, once the visual identification has started.
    pub spoken_digits: Option<String>,
    pub review_deadline: Option<DateTime<Utc>>,
    pub refusal_reason: Option<String>,
    pub refusal_reason_label: Option<String>,
    pub refusals: u32,
    pub timeline: Vec<TimelineEntryView>,
    /// Labels of the tracking entries not reached yet, in order, shown as coming (greyed) as
    /// AR24's page does; empty once decided and notified.
    pub upcoming: Vec<String>,
    /// What reading the letter shows once the identification is accepted (« Consulter mon
    /// courrier »); absent before.
    pub contents: Option<LetterContentsView>,
}

/// The letter's contents once the identity is verified: who sends it and the activation code
/// to type in the app.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LetterContentsView {
    /// « La Poste — L'Identité Numérique ».
    pub sender: String,
    pub activation_code: String,
    pub valid_until: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TimelineEntryView {
    pub at: DateTime<Utc>,
    pub label: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ActivationView {
    pub valid_until: DateTime<Utc>,
    pub verified_by: VerificationMode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageChannel {
    Email,
    Sms,
    Post,
}

/// An email, SMS or paper letter the person received.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InboxMessage {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub channel: MessageChannel,
    pub sender: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// "Lire mon courrier" and similar links.
    pub link: Option<String>,
    /// `inbox` or `spam` (AR24's notification may land in spam, as guides warn).
    pub folder: String,
    /// The code this message carries, for testers (also in the body).
    pub code: Option<String>,
    /// The button the message offers, for screens that open the letter from it.
    pub action: Option<MessageAction>,
}

/// A message's button: AR24's letter email « Lire mon courrier », its result email once the
/// identity is verified « Consulter mon courrier ».
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageAction {
    ReadLetter,
    ConsultLetter,
}

/// One line of a learner's journal: who did what, when, and what it changed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MediaView {
    pub media_id: String,
    pub content_type: String,
    pub sha256: String,
    pub size: u64,
    /// For a video: the world's machine checks on the file (absent for a photo).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_checks: Option<VideoChecksView>,
}

/// The machine checks the world made on an uploaded video, the same as the app's on its own
/// recording (duration, sound, loudness, three utterances); the face and the digits are left to
/// the reviewer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct VideoChecksView {
    pub duration_ms: u64,
    pub passed: bool,
    /// What to fix, first failing check first (empty when every check passed).
    pub hints: Vec<CaptureHint>,
}

/// One thing to change in a photo or a video: a stable code the screens decide on, and the
/// French sentence shown to the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CaptureHint {
    pub code: String,
    pub message: String,
}

/// The world's guidance on one preview frame of a document photo
/// (`POST /api/learners/{id}/guidance`): the app's Rust guidance, for a phone's browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GuidanceView {
    /// What the person should change, first failing check first (`None`: all good).
    pub hint: Option<CaptureHint>,
    /// Consecutive frames passing every check, this one included; the device sends it back with
    /// the next frame.
    pub steady: u8,
    /// Auto-capture: enough steady good frames, take the photo now.
    pub capture: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Photo,
    Video,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClerkValidation {
    pub code: String,
    pub document_type: DocumentKind,
    pub birth_name: String,
    pub birth_date: NaiveDate,
    pub document_number_ending: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClerkLookup {
    pub learner_id: String,
    pub given_names: Vec<String>,
    pub birth_name: String,
    pub document_type: String,
    pub valid_until: DateTime<Utc>,
}

/// The public keys a device needs: the world's HPKE key (X25519) to seal the secret code, and
/// its endorsement by the world's Ed25519 identity key, which the device pins at its first
/// contact (`protocol::verify_world_keys`). A later key rotation adds a `rotations` list here
/// (each new identity key signed by the previous one) without changing these fields: a device
/// follows it from the identity it pinned, and one that does not know it ignores it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorldKeys {
    pub hpke_suite: String,
    /// X25519 public key, hex.
    pub hpke_public_key: String,
    /// Names the HPKE key: the first 16 bytes of SHA-256 of its 32 bytes, hex.
    pub key_id: String,
    /// The world's Ed25519 identity key, hex.
    pub identity_public_key: String,
    /// Ed25519 signature (hex) by the identity key over
    /// `idn-world-hpke-key-v1` ‖ key id ‖ HPKE public key (raw bytes).
    pub endorsement: String,
}

/// A secret code sealed to the world's key (HPKE base mode), hex.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SealedSecretCode {
    pub encapsulated_key: String,
    pub ciphertext: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ActivationRequest {
    pub activation_code: String,
    pub device_id: String,
    /// Ed25519 public key, hex.
    pub device_public_key: String,
    pub sealed_secret_code: SealedSecretCode,
    /// Ed25519 signature (hex) of `protocol::activation_message`.
    pub signature: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewLoginRequest {
    /// The number typed on FranceConnect+.
    pub mobile: String,
    pub relying_party: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginRequestView {
    pub request_id: String,
    pub relying_party: String,
    pub challenge: String,
    pub created_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    /// `pending`, `approved`, `declined`, `expired` or `blocked`.
    pub status: String,
    /// Seconds left to answer, at the world's current time.
    pub seconds_left: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApprovalAnswer {
    pub device_id: String,
    pub sealed_secret_code: SealedSecretCode,
    /// Ed25519 signature (hex) of `protocol::approval_message`.
    pub signature: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeclineAnswer {
    pub device_id: String,
    /// Ed25519 signature (hex) of `protocol::decline_message`.
    pub signature: String,
}

/// What the simulated mail and SMS providers do with one kind of message, as a trainer or a
/// scenario plans it: guides warn that AR24's email may land in spam, and a code may never
/// arrive. The journey still sends the message; only its delivery changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeliveryFault {
    /// Kind of message: `email_code`, `mobile_code`, `face_to_face_code`,
    /// `registered_letter_available`, `activation_code`… (`Notice::CODES` in the journey).
    pub message: String,
    /// Only on this channel (the activation code goes by email and by SMS); any when absent.
    #[serde(default)]
    pub channel: Option<MessageChannel>,
    pub fate: DeliveryFate,
    /// How many of the next such messages it affects; later ones arrive normally.
    #[serde(default = "one_time")]
    pub times: u32,
}

fn one_time() -> u32 {
    1
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryFate {
    /// Delivered to the spam folder (`folder: "spam"` in the inbox).
    Spam,
    /// Never delivered: the person's inbox does not show it (the world keeps it, withheld).
    Withheld,
}

/// The delivery faults still to happen for one learner.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeliveryPlan {
    pub faults: Vec<DeliveryFault>,
}

/// A learner created by a trainer or a scenario, with the delivery faults planned from the very
/// first message (the emailed code is sent as the account is created).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlannedLearner {
    pub email: String,
    #[serde(default)]
    pub delivery: Vec<DeliveryFault>,
}

/// Where a learner is stuck, as a support agent reads it: the code awaited and what is left of
/// it, the blockers, the account and the identity exactly as typed, what delivery still plans.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LearnerSituation {
    pub learner_id: String,
    pub step: Step,
    pub step_label: String,
    /// The world's time the situation was read at.
    pub now: DateTime<Utc>,
    pub pending_code: Option<PendingCodeView>,
    pub blockers: Vec<BlockerView>,
    /// Wrong secret codes still tolerated, once enrolled (0 when locked).
    pub secret_code_attempts_left: Option<u8>,
    pub profile: Option<ProfileView>,
    /// The identity form as typed (awaiting confirmation, or confirmed).
    pub identity: Option<IdentityForm>,
    pub delivery_plan: Vec<DeliveryFault>,
    /// Messages sent but never delivered to the person (planned losses).
    pub withheld_messages: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PendingCodeView {
    /// `email`, `sms`, `face_to_face` or `activation`.
    pub kind: String,
    pub valid_until: DateTime<Utc>,
    pub expired: bool,
    pub attempts_left: u8,
    pub resends_left: u8,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BlockerView {
    /// Stable code, e.g. `code_expired:sms`, `identification_refused:reflet`, `locked:secret_code_forgotten`.
    pub code: String,
    /// As a support agent names it, in French.
    pub label: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProfileView {
    pub civility: Civility,
    pub first_name: String,
    pub last_name: String,
}

/// « Se connecter avec un compte La Poste existant »: the account's email and password.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct AccountLogin {
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for AccountLogin {
    // A password never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountLogin")
            .field("email", &self.email)
            .field("password", &"***")
            .finish()
    }
}

/// The password was right: a confirmation code went to the person, by SMS to a confirmed mobile
/// number, else by email.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccountLoginChallenge {
    /// The account's id, told once the password is right: the device shows this account's
    /// messages (the person's own SMS and mailbox, where the code arrives) while the code is
    /// awaited, and follows the account only once the code is confirmed.
    pub account_id: String,
    pub channel: MessageChannel,
    /// Where it went, half hidden ("+336399800**", "c****@exemple.fr").
    pub destination: String,
    pub expires_at: DateTime<Utc>,
}

/// The confirmation code typed back, for the account of this email.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccountLoginConfirmation {
    pub email: String,
    pub code: String,
}

// — Relying parties registered with the simulated FranceConnect+ —

/// A relying party to register.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewRelyingParty {
    /// The service's name, shown on "Je choisis un moyen pour me connecter sur : …".
    pub name: String,
    /// Where codes are sent back; matched exactly.
    pub redirect_uris: Vec<String>,
    /// Where `end_session` may send the person back after logout; matched exactly.
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Public key the id_token and userinfo are encrypted to: RSA (RSA-OAEP, 2048 bits or more)
    /// or EC P-256 (ECDH-ES). Give this or `jwks_uri`.
    #[schema(value_type = Option<Object>)]
    pub encryption_jwk: Option<serde_json::Value>,
    /// Where the relying party publishes its encryption key. Give this or `encryption_jwk`.
    pub jwks_uri: Option<String>,
}

/// A registered relying party, without its secret.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RelyingPartyView {
    pub client_id: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    #[schema(value_type = Option<Object>)]
    pub encryption_jwk: Option<serde_json::Value>,
    pub jwks_uri: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Where the sandbox's FranceConnect+ describes itself (relative to the world's address).
    pub discovery_path: String,
}

/// The answer to a registration: the only time the secret is shown.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RegisteredRelyingParty {
    #[serde(flatten)]
    pub relying_party: RelyingPartyView,
    pub client_secret: String,
}

// — Access to the world's API —

/// What a credential lets its holder do (see SECURITY.md's credential table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// The La Poste account's holder, until the identity is activated on a phone (30 days).
    Account,
    /// The phone where the Identité Numérique is activated: the only one that answers login
    /// requests. Ends when the identity is activated elsewhere or removed from the phone.
    Device,
    /// The right password was typed: enough to read the sign-in code and type it back (10 min).
    SignIn,
}

/// A credential the world just issued; `token` is shown this once and stored only as a digest.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct IssuedCredential {
    /// Sent as `Authorization: Bearer <token>`.
    pub token: String,
    pub kind: CredentialKind,
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for IssuedCredential {
    // A token never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedCredential")
            .field("kind", &self.kind)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A learner's view with the credential that now acts for them: a new account (`account`), an
/// account signed into (`account`), an activation (`device`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LearnerAccess {
    #[serde(flatten)]
    pub learner: LearnerView,
    pub credential: IssuedCredential,
}

/// The password was right: the challenge, and the sign-in ticket that reads the code's message
/// and types it back.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccountLoginStarted {
    #[serde(flatten)]
    pub challenge: AccountLoginChallenge,
    pub ticket: IssuedCredential,
}

/// The app's « Simuler une connexion »: a login request to the learner's own phone, in the name
/// of a demo service.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OwnLoginRequest {
    pub relying_party: String,
}

/// A staff API token, as `idn staff token list` shows it (never the secret).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApiTokenView {
    pub id: String,
    pub staff_email: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}
