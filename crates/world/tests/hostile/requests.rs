//! The requests of the property: for a learner at its step, the requests a person, their
//! device, a clerk, a relying party or a trainer would send, who each one addresses, and which of
//! them cost an Argon2 hash. `mutations.rs` spoils them.

use super::checks::Learner;
use super::mutations::{spoil, Intent, Mutation};
use super::population::{action, last_code, upload, Device, Media, PASSWORD, RELYING_PARTY, SECRET_CODE};
use super::Outgoing;
use axum::http::Method;
use idn_api::protocol::WorldPublicKey;
use idn_api::{LoginRequestView, MessageChannel};
use rand_chacha::ChaCha20Rng;
use serde_json::{json, Value};

/// What a request is, for the journal and the rules of the journey.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    ConfirmEmail,
    ResendEmailCode,
    ChoosePassword,
    RegisterMobile,
    ConfirmMobile,
    ResendMobileCode,
    CompleteProfile,
    EnterIdentity,
    ConfirmIdentity,
    ChooseFaceToFace,
    ChooseByPost,
    ChooseOnline,
    ReadLetter,
    ConfirmLetterIdentity,
    DeclineLetter,
    StartVisualIdentification,
    SubmitVisualIdentification,
    ResendActivationCode,
    ForgetSecretCode,
    ClerkValidate,
    ClerkLookup,
    Activate,
    OpenLoginRequest,
    Approve,
    Decline,
    PendingRequests,
    LoginRequestStatus,
    UploadFront,
    UploadBack,
    UploadVideo,
    ReviewPolicy,
    DeliveryPlan,
    LearnerClock,
    ClassClock,
    SetClock,
    SignIn,
    ConfirmSignIn,
    CreateLearner,
    Read,
}

impl Kind {
    /// The journal's name of the command (empty: nothing journaled).
    pub fn journal_action(self) -> &'static str {
        match self {
            Self::ConfirmEmail => "confirm_email",
            Self::ResendEmailCode => "resend_email_code",
            Self::ChoosePassword => "choose_password",
            Self::RegisterMobile => "register_mobile",
            Self::ConfirmMobile => "confirm_mobile",
            Self::ResendMobileCode => "resend_mobile_code",
            Self::CompleteProfile => "complete_profile",
            Self::EnterIdentity => "enter_identity",
            Self::ConfirmIdentity => "confirm_identity",
            Self::ChooseFaceToFace | Self::ChooseByPost | Self::ChooseOnline => "choose_verification",
            Self::ReadLetter => "read_letter",
            Self::ConfirmLetterIdentity => "confirm_letter_identity",
            Self::DeclineLetter => "decline_letter",
            Self::StartVisualIdentification => "start_visual_identification",
            Self::SubmitVisualIdentification => "submit_visual_identification",
            Self::ResendActivationCode => "resend_activation_code",
            Self::ForgetSecretCode => "forget_secret_code",
            Self::ClerkValidate => "clerk_validate",
            Self::Activate => "activate",
            Self::OpenLoginRequest => "open_login_request",
            Self::Approve => "answer_login_request",
            Self::Decline => "decline_login_request",
            Self::ReviewPolicy => "plan_review",
            Self::DeliveryPlan => "plan_delivery",
            Self::LearnerClock => "advance_learner_clock",
            Self::SignIn => "sign_in",
            Self::ConfirmSignIn => "confirm_sign_in",
            Self::CreateLearner => "start_account",
            Self::ClassClock
            | Self::SetClock
            | Self::ClerkLookup
            | Self::PendingRequests
            | Self::LoginRequestStatus
            | Self::UploadFront
            | Self::UploadBack
            | Self::UploadVideo
            | Self::Read => "",
        }
    }

    /// Whether an accepted request writes one journal line for the learner it addresses.
    pub fn journaled(self) -> bool {
        !self.journal_action().is_empty() && self != Self::CreateLearner
    }

    /// Accepted once, a second copy must be refused: the step, the code or the request is spent.
    pub fn spent_once_accepted(self) -> bool {
        matches!(
            self,
            Self::ConfirmEmail
                | Self::ConfirmMobile
                | Self::ChoosePassword
                | Self::CompleteProfile
                | Self::ConfirmIdentity
                | Self::ClerkValidate
                | Self::Activate
                | Self::Approve
                | Self::Decline
                | Self::SubmitVisualIdentification
                | Self::ForgetSecretCode
        )
    }

    /// Whether the request may be replayed later in a case and must then be refused (a step the
    /// journey never comes back to, a code or a login request answered for good).
    pub(super) fn never_valid_again(self) -> bool {
        matches!(
            self,
            Self::ConfirmEmail
                | Self::ConfirmMobile
                | Self::ChoosePassword
                | Self::CompleteProfile
                | Self::ConfirmIdentity
                | Self::ClerkValidate
                | Self::Activate
                | Self::Approve
                | Self::Decline
        )
    }

    /// The wire type the endpoint reads its body into, to tell which mutated bodies it must refuse.
    pub(super) fn parses(self, body: &[u8]) -> bool {
        fn parses_as<T: serde::de::DeserializeOwned>(body: &[u8]) -> bool {
            serde_json::from_slice::<T>(body).is_ok()
        }
        match self {
            Self::ConfirmEmail
            | Self::ResendEmailCode
            | Self::ChoosePassword
            | Self::RegisterMobile
            | Self::ConfirmMobile
            | Self::ResendMobileCode
            | Self::CompleteProfile
            | Self::EnterIdentity
            | Self::ConfirmIdentity
            | Self::ChooseFaceToFace
            | Self::ChooseByPost
            | Self::ChooseOnline
            | Self::ReadLetter
            | Self::ConfirmLetterIdentity
            | Self::DeclineLetter
            | Self::StartVisualIdentification
            | Self::SubmitVisualIdentification
            | Self::ResendActivationCode
            | Self::ForgetSecretCode => parses_as::<idn_api::LearnerAction>(body),
            Self::ClerkValidate => parses_as::<idn_api::ClerkValidation>(body),
            Self::Activate => parses_as::<idn_api::ActivationRequest>(body),
            Self::OpenLoginRequest => parses_as::<idn_api::NewLoginRequest>(body),
            Self::Approve => parses_as::<idn_api::ApprovalAnswer>(body),
            Self::Decline => parses_as::<idn_api::DeclineAnswer>(body),
            Self::ReviewPolicy => parses_as::<idn_api::LearnerSettings>(body),
            Self::DeliveryPlan => parses_as::<idn_api::DeliveryPlan>(body),
            Self::LearnerClock | Self::ClassClock => parses_as::<idn_api::ClockAdvance>(body),
            Self::SetClock => parses_as::<idn_api::ClockSetting>(body),
            Self::SignIn => parses_as::<idn_api::AccountLogin>(body),
            Self::ConfirmSignIn => parses_as::<idn_api::AccountLoginConfirmation>(body),
            Self::CreateLearner => parses_as::<idn_api::NewLearner>(body),
            Self::ClerkLookup
            | Self::PendingRequests
            | Self::LoginRequestStatus
            | Self::UploadFront
            | Self::UploadBack
            | Self::UploadVideo
            | Self::Read => true,
        }
    }
}

/// Kinds that a learner may be sent at any step (the step decides whether they are taken).
pub(super) const LEARNER_ACTIONS: [Kind; 19] = [
    Kind::ConfirmEmail,
    Kind::ResendEmailCode,
    Kind::ChoosePassword,
    Kind::RegisterMobile,
    Kind::ConfirmMobile,
    Kind::ResendMobileCode,
    Kind::CompleteProfile,
    Kind::EnterIdentity,
    Kind::ConfirmIdentity,
    Kind::ChooseFaceToFace,
    Kind::ChooseByPost,
    Kind::ChooseOnline,
    Kind::ReadLetter,
    Kind::ConfirmLetterIdentity,
    Kind::DeclineLetter,
    Kind::StartVisualIdentification,
    Kind::SubmitVisualIdentification,
    Kind::ResendActivationCode,
    Kind::ForgetSecretCode,
];

/// The requests that make sense at a step, the journey's own ones weighted first.
fn at_step(step: &str, signing_in: bool) -> Vec<(u32, Kind)> {
    use Kind::*;
    let own: &[Kind] = match step {
        "email_code" => &[ConfirmEmail, ConfirmEmail, ResendEmailCode],
        "password" => &[ChoosePassword],
        "mobile" => &[RegisterMobile],
        "profile" => &[CompleteProfile, CompleteProfile, RegisterMobile],
        "mobile_code" => &[ConfirmMobile, ConfirmMobile, ResendMobileCode, RegisterMobile],
        "identity_data" => &[EnterIdentity],
        "identity_confirmation" => &[ConfirmIdentity, ConfirmIdentity, EnterIdentity],
        "verification_choice" => &[ChooseFaceToFace, ChooseByPost, ChooseOnline],
        "face_to_face" => &[
            ClerkValidate,
            ClerkValidate,
            ClerkLookup,
            ChooseOnline,
            ChooseByPost,
        ],
        "postal_letter" => &[LearnerClock, ChooseFaceToFace, ChooseOnline],
        "registered_letter" => &[
            ReadLetter,
            ConfirmLetterIdentity,
            StartVisualIdentification,
            DeclineLetter,
            UploadFront,
            UploadVideo,
        ],
        "visual_identification" => &[
            SubmitVisualIdentification,
            SubmitVisualIdentification,
            UploadBack,
            UploadVideo,
            StartVisualIdentification,
            ChooseByPost,
        ],
        "review" => &[LearnerClock, LearnerClock, ReadLetter, ReviewPolicy],
        "identification_refused" => &[StartVisualIdentification, ChooseFaceToFace, ReadLetter],
        "activation" => &[Activate, Activate, ResendActivationCode, ChooseOnline],
        "enrolled" => &[
            OpenLoginRequest,
            Approve,
            Approve,
            Decline,
            PendingRequests,
            ForgetSecretCode,
        ],
        "locked" => &[ChooseFaceToFace, ChooseOnline, OpenLoginRequest, Approve],
        _ => &[],
    };
    let mut kinds: Vec<(u32, Kind)> = own.iter().map(|kind| (6, *kind)).collect();
    kinds.extend([
        (1, ReviewPolicy),
        (1, DeliveryPlan),
        (1, LearnerClock),
        (1, ClassClock),
        (1, SetClock),
        (1, Read),
        (1, LoginRequestStatus),
        (1, CreateLearner),
    ]);
    // Logging in to the app with the account (a new phone): costs an Argon2 check, so only
    // the enrolled and the locked do it here, leaving the case's Argon2 to a chosen password.
    if matches!(step, "enrolled" | "locked") {
        kinds.push((1, SignIn));
    }
    if signing_in {
        kinds.push((6, ConfirmSignIn));
    }
    kinds
}

/// Who a request addresses, worked out again when it is replayed (the world may have moved).
#[derive(Debug, Clone)]
pub enum Address {
    /// The learner in its path.
    Path(usize),
    /// The learner at the counter with this face-to-face code.
    FaceToFaceCode(String),
    /// The enrolled or locked identity of this mobile number.
    Mobile(String),
    /// The accounts of this email.
    Email(String),
    /// Nobody: a read, an upload, an unknown learner.
    Nobody,
    /// Every learner (time passing for the class).
    Everyone,
}

/// Who sends a request, and so which credential it presents (resolved when it is sent: a
/// learner's credentials change as they activate or sign in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// Nobody yet: opening an account, typing a password.
    Anonymous,
    /// The learner at this index, with their account credential.
    Account(usize),
    /// The learner at this index from their activated phone (their account credential when
    /// they have no phone: the world then asks for the phone's).
    Device(usize),
    /// The learner at this index with the sign-in ticket their password earned.
    SignIn(usize),
    /// The class's trainer (the clerk's desk, a relying party, settings, the support reading).
    Trainer,
}

impl Sender {
    /// Who sends a request of `kind` to `path` for learner `who`, as SECURITY.md's table says.
    pub fn of(kind: Kind, who: usize, path: &str) -> Self {
        match kind {
            Kind::Read if path.ends_with("/situation") => Self::Trainer,
            Kind::ConfirmEmail
            | Kind::ResendEmailCode
            | Kind::ChoosePassword
            | Kind::RegisterMobile
            | Kind::ConfirmMobile
            | Kind::ResendMobileCode
            | Kind::CompleteProfile
            | Kind::EnterIdentity
            | Kind::ConfirmIdentity
            | Kind::ChooseFaceToFace
            | Kind::ChooseByPost
            | Kind::ChooseOnline
            | Kind::ReadLetter
            | Kind::ConfirmLetterIdentity
            | Kind::DeclineLetter
            | Kind::StartVisualIdentification
            | Kind::SubmitVisualIdentification
            | Kind::ResendActivationCode
            | Kind::ForgetSecretCode
            | Kind::Activate
            | Kind::UploadFront
            | Kind::UploadBack
            | Kind::UploadVideo
            | Kind::LearnerClock
            | Kind::Read => Self::Account(who),
            Kind::Approve | Kind::Decline | Kind::PendingRequests => Self::Device(who),
            Kind::ClerkValidate
            | Kind::ClerkLookup
            | Kind::OpenLoginRequest
            | Kind::LoginRequestStatus
            | Kind::ReviewPolicy
            | Kind::DeliveryPlan
            | Kind::ClassClock
            | Kind::SetClock => Self::Trainer,
            Kind::SignIn | Kind::CreateLearner => Self::Anonymous,
            Kind::ConfirmSignIn => Self::SignIn(who),
        }
    }

    /// `outgoing` as this sender sends it: with their credential, if they hold one.
    pub fn sign(self, outgoing: &Outgoing, learners: &[Learner], trainer: &str) -> Outgoing {
        let facts = |index: usize| learners.get(index).map(|learner| &learner.facts);
        let token = match self {
            Self::Anonymous => None,
            Self::Trainer => Some(trainer),
            Self::Account(index) => facts(index).map(|facts| facts.account.as_str()),
            Self::Device(index) => {
                facts(index).map(|facts| facts.device_credential.as_deref().unwrap_or(&facts.account))
            }
            Self::SignIn(index) => facts(index).and_then(|facts| facts.ticket.as_deref()),
        };
        match token {
            Some(token) => outgoing.clone().bearer(token),
            None => outgoing.clone(),
        }
    }
}

/// What the world must do with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Refused,
    /// The world decides (the property still checks everything else).
    Either,
}

/// A request ready to send, with what it may change and what the world must answer.
#[derive(Debug, Clone)]
pub struct Planned {
    pub kind: Kind,
    /// One request, or the same request twice at once.
    pub sends: Vec<Outgoing>,
    /// Whose credential the request presents.
    pub sender: Sender,
    pub address: Address,
    pub expect: Expect,
    pub mutation: Mutation,
    /// The learner the request was drawn for (its step is the one counted).
    pub drawn_for: usize,
    pub why: String,
}

/// Everything the plan needs to know about the case.
pub struct Case<'a> {
    pub learners: &'a [Learner],
    pub media: &'a Media,
    pub world_key: &'a WorldPublicKey,
    /// The requests sent so far and whether they were accepted.
    pub history: &'a [(Planned, bool)],
    /// Requests that cost an Argon2 hash still allowed in this case (≈0.8 s each in debug).
    pub argon2_left: usize,
}

impl Case<'_> {
    /// The learners a request addresses, as the world stands now.
    pub fn may_change(&self, address: &Address) -> Vec<usize> {
        let all = 0..self.learners.len();
        match address {
            Address::Path(index) => vec![*index],
            Address::FaceToFaceCode(code) => {
                let code = canonical_code(code);
                all.filter(|index| {
                    let seen = &self.learners[*index].seen;
                    seen.step() == "face_to_face"
                        && seen
                            .inbox
                            .iter()
                            .any(|message| message.code.as_deref() == Some(code.as_str()))
                })
                .collect()
            }
            Address::Mobile(mobile) => {
                let Some(mobile) = international_mobile(mobile) else {
                    return Vec::new();
                };
                all.filter(|index| {
                    let seen = &self.learners[*index].seen;
                    matches!(seen.step(), "enrolled" | "locked")
                        && seen.view.mobile.as_deref() == Some(mobile.as_str())
                })
                .collect()
            }
            Address::Email(email) => {
                let email = email.trim().to_lowercase();
                all.filter(|index| self.learners[*index].seen.view.email.as_deref() == Some(email.as_str()))
                    .collect()
            }
            Address::Nobody => Vec::new(),
            Address::Everyone => all.collect(),
        }
    }
}

/// A code as the world reads what was typed: spaces ignored, letters uppercased.
pub(super) fn canonical_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase()
}

/// A mobile number as the world stores it (`MobileNumber::parse`), if it is one.
fn international_mobile(raw: &str) -> Option<String> {
    let compact: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '.' | '-' | '(' | ')'))
        .collect();
    let international = if let Some(rest) = compact.strip_prefix("00") {
        format!("+{rest}")
    } else if compact.starts_with('0') && compact.len() == 10 {
        format!("+33{}", &compact[1..])
    } else {
        compact
    };
    let digits = international.strip_prefix('+')?;
    ((8..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0'))
    .then_some(international)
}

/// A password the world accepts (and therefore hashes with Argon2).
fn strong(password: &str) -> bool {
    password.chars().count() >= 8
        && password.chars().any(char::is_uppercase)
        && password.chars().any(char::is_lowercase)
        && password.chars().any(|c| c.is_ascii_digit())
}

/// Whether sending this request costs an Argon2 hash or check.
pub fn costs_argon2(outgoing: &Outgoing) -> bool {
    if outgoing.path == "/api/account-logins" && outgoing.method == Method::POST {
        return true;
    }
    outgoing.path.ends_with("/actions")
        && outgoing.json_body().is_some_and(|body| {
            body["action"] == "choose_password" && body["password"].as_str().is_some_and(strong)
        })
}

/// The newest code of the face-to-face step: by SMS, or in the postal letter.
fn face_to_face_code(learner: &Learner) -> String {
    learner
        .seen
        .inbox
        .iter()
        .rev()
        .filter(|message| matches!(message.channel, MessageChannel::Sms | MessageChannel::Post))
        .find_map(|message| message.code.clone())
        .unwrap_or_else(|| "000000".into())
}

/// A login request of the learner to answer: a pending one, else the last one ever opened.
pub(super) fn login_request(learner: &Learner) -> Option<LoginRequestView> {
    learner.seen.pending.first().or(learner.requests.last()).cloned()
}

/// The device the world has enrolled for the learner (their own unless another activated).
pub(super) fn enrolled_device(learner: &Learner, learners: &[Learner]) -> Device {
    learner
        .seen
        .view
        .device_id
        .as_deref()
        .and_then(|id| learners.iter().find(|other| other.facts.device.id == id))
        .map(|other| other.facts.device.clone())
        .unwrap_or_else(|| learner.facts.device.clone())
}

/// The request of `kind` as learner `who` would send it now.
pub(super) fn build(kind: Kind, who: usize, case: &Case<'_>, rng: &mut ChaCha20Rng) -> (Outgoing, Address) {
    let learner = &case.learners[who];
    let facts = &learner.facts;
    let id = facts.id.as_str();
    let inbox = &learner.seen.inbox;
    let email_code = || last_code(inbox, MessageChannel::Email).unwrap_or_else(|| "000000".into());
    let sms_code = || last_code(inbox, MessageChannel::Sms).unwrap_or_else(|| "AAAA".into());
    let act = |body: Value| (action(id, body), Address::Path(who));
    let path = Address::Path(who);
    let absent_request = || LoginRequestView {
        request_id: "00000000-0000-4000-8000-000000000000".into(),
        relying_party: RELYING_PARTY.into(),
        challenge: "00".repeat(32),
        created_at: chrono::DateTime::UNIX_EPOCH,
        deadline: chrono::DateTime::UNIX_EPOCH,
        status: "pending".into(),
        seconds_left: 0,
    };
    match kind {
        Kind::ConfirmEmail => act(json!({"action": "confirm_email", "code": email_code()})),
        Kind::ResendEmailCode => act(json!({"action": "resend_email_code"})),
        Kind::ChoosePassword => act(json!({"action": "choose_password", "password": PASSWORD})),
        Kind::RegisterMobile => act(json!({"action": "register_mobile", "mobile": facts.mobile})),
        Kind::ConfirmMobile => act(json!({"action": "confirm_mobile", "code": sms_code()})),
        Kind::ResendMobileCode => act(json!({"action": "resend_mobile_code"})),
        Kind::CompleteProfile => act(json!({"action": "complete_profile", "civility": "madame",
            "first_name": "Marie-Noëlle", "last_name": facts.identity.birth_name, "terms_accepted": true,
            "marketing_opt_in": false})),
        Kind::EnterIdentity => {
            let mut body = serde_json::to_value(&facts.identity).unwrap();
            body["action"] = json!("enter_identity");
            act(body)
        }
        Kind::ConfirmIdentity => act(json!({"action": "confirm_identity"})),
        Kind::ChooseFaceToFace => act(json!({"action": "choose_verification", "mode": "face_to_face"})),
        Kind::ChooseByPost => act(json!({"action": "choose_verification", "mode": "by_post"})),
        Kind::ChooseOnline => {
            act(json!({"action": "choose_verification", "mode": "online", "terms_accepted": true}))
        }
        Kind::ReadLetter => act(json!({"action": "read_letter"})),
        Kind::ConfirmLetterIdentity => act(json!({"action": "confirm_letter_identity"})),
        Kind::DeclineLetter => act(json!({"action": "decline_letter"})),
        Kind::StartVisualIdentification => act(json!({"action": "start_visual_identification"})),
        Kind::SubmitVisualIdentification => act(super::population::submission(id, case.media)),
        Kind::ResendActivationCode => act(json!({"action": "resend_activation_code"})),
        Kind::ForgetSecretCode => act(json!({"action": "forget_secret_code"})),
        Kind::ClerkValidate => {
            let code = face_to_face_code(learner);
            let identity = &facts.identity;
            let body = json!({"code": code, "document_type": "cni", "birth_name": identity.birth_name,
                "birth_date": identity.birth_date, "document_number_ending": identity.document_number_ending});
            (
                Outgoing::json(Method::POST, "/api/clerk/validations", &body),
                Address::FaceToFaceCode(code),
            )
        }
        Kind::ClerkLookup => (
            Outgoing::get(format!("/api/clerk/{}", face_to_face_code(learner))),
            Address::Nobody,
        ),
        Kind::Activate => {
            let body = facts
                .device
                .activation(id, &sms_code(), SECRET_CODE, case.world_key, rng);
            (
                Outgoing::json(Method::POST, format!("/api/learners/{id}/activation"), &body),
                path,
            )
        }
        Kind::OpenLoginRequest => {
            let mobile = learner
                .seen
                .view
                .mobile
                .clone()
                .unwrap_or_else(|| facts.mobile.clone());
            let body = json!({"mobile": mobile, "relying_party": RELYING_PARTY});
            (
                Outgoing::json(Method::POST, "/api/login-requests", &body),
                Address::Mobile(mobile),
            )
        }
        Kind::Approve => {
            let request = login_request(learner).unwrap_or_else(absent_request);
            let device = enrolled_device(learner, case.learners);
            let body = device.approval(
                id,
                &device.id,
                &request,
                (&request.request_id, &request.challenge),
                SECRET_CODE,
                case.world_key,
                rng,
            );
            let path = format!("/api/learners/{id}/login-requests/{}/approve", request.request_id);
            (Outgoing::json(Method::POST, path, &body), Address::Path(who))
        }
        Kind::Decline => {
            let request = login_request(learner).unwrap_or_else(absent_request);
            let device = enrolled_device(learner, case.learners);
            let body = device.decline(id, &device.id, &request);
            let path = format!("/api/learners/{id}/login-requests/{}/decline", request.request_id);
            (Outgoing::json(Method::POST, path, &body), Address::Path(who))
        }
        Kind::PendingRequests => (
            Outgoing::get(format!("/api/learners/{id}/login-requests")),
            Address::Nobody,
        ),
        Kind::LoginRequestStatus => {
            // A relying party reads the request it opened: this learner's, else anyone's.
            let request = login_request(learner)
                .or_else(|| case.learners.iter().find_map(login_request))
                .unwrap_or_else(absent_request);
            (
                Outgoing::get(format!("/api/login-requests/{}", request.request_id)),
                Address::Nobody,
            )
        }
        Kind::UploadFront | Kind::UploadBack | Kind::UploadVideo => {
            let (kind, content_type, bytes) = match kind {
                Kind::UploadFront => ("photo", "image/jpeg", &case.media.front),
                Kind::UploadBack => ("photo", "image/jpeg", &case.media.back),
                _ => ("video", "video/mp4", &case.media.video),
            };
            (
                upload(id, kind, content_type, bytes, &case.media.checksum(bytes)),
                Address::Nobody,
            )
        }
        Kind::ReviewPolicy => {
            let body = if learner.seen.step() == "review" || who.is_multiple_of(2) {
                json!({"review": "refuse_next", "reason": "flou"})
            } else {
                json!({"review": "automatic"})
            };
            (
                Outgoing::json(Method::PUT, format!("/api/learners/{id}/settings"), &body),
                path,
            )
        }
        Kind::DeliveryPlan => {
            let body = json!({"faults": [{"message": "email_code", "fate": "spam", "times": 1}]});
            (
                Outgoing::json(Method::PUT, format!("/api/learners/{id}/delivery"), &body),
                path,
            )
        }
        Kind::LearnerClock => {
            let seconds = match learner.seen.step() {
                "postal_letter" => 29 * 24 * 3600,
                "review" => 16 * 60,
                _ => 90,
            };
            let body = json!({"seconds": seconds});
            (
                Outgoing::json(Method::POST, format!("/api/learners/{id}/clock/advance"), &body),
                path,
            )
        }
        Kind::SetClock => {
            // Manual or accelerated: the wall clock stands still, so time does not run; an
            // accelerated clock only gives new login requests a longer window.
            let body = if who.is_multiple_of(2) {
                json!({"mode": "accelerated", "factor": 60.0})
            } else {
                json!({"mode": "manual"})
            };
            (
                Outgoing::json(Method::PUT, "/api/clock", &body),
                Address::Everyone,
            )
        }
        Kind::ClassClock => (
            Outgoing::json(Method::POST, "/api/clock/advance", &json!({"seconds": 30})),
            Address::Everyone,
        ),
        Kind::SignIn => {
            let body = json!({"email": facts.email, "password": PASSWORD});
            (
                Outgoing::json(Method::POST, "/api/account-logins", &body),
                Address::Email(facts.email.clone()),
            )
        }
        Kind::ConfirmSignIn => {
            let code = inbox
                .iter()
                .rev()
                .find_map(|message| message.code.clone())
                .unwrap_or_default();
            let body = json!({"email": facts.email, "code": code});
            (
                Outgoing::json(Method::POST, "/api/account-logins/confirmation", &body),
                Address::Email(facts.email.clone()),
            )
        }
        Kind::CreateLearner => {
            let email = format!("nouveau{:02}@simulation.example", case.learners.len());
            (
                Outgoing::json(Method::POST, "/api/learners", &json!({"email": email})),
                Address::Nobody,
            )
        }
        Kind::Read => {
            let reading = ["", "/journal", "/inbox", "/situation", "/clock"][who % 5];
            (
                Outgoing::get(format!("/api/learners/{id}{reading}")),
                Address::Nobody,
            )
        }
    }
}

/// Turns one intent into the request(s) to send.
pub fn plan(intent: &Intent, case: &Case<'_>, rng: &mut ChaCha20Rng) -> Planned {
    let who = match case.history.last() {
        Some((earlier, _)) if intent.follow => earlier.drawn_for,
        _ => intent.learner.index(case.learners.len()),
    };
    let step = case.learners[who].seen.step();
    let signing_in = case.learners[who]
        .seen
        .journal
        .last()
        .is_some_and(|line| line.action == "sign_in" && line.outcome == "ok");
    let mut kinds = at_step(step, signing_in);
    if case.argon2_left == 0 {
        kinds.retain(|(_, kind)| !matches!(kind, Kind::SignIn | Kind::ChoosePassword));
    }
    if case.learners.len() >= 26 {
        kinds.retain(|(_, kind)| *kind != Kind::CreateLearner);
    }
    let total: u32 = kinds.iter().map(|(weight, _)| weight).sum();
    let mut chosen = intent.pick.index(total as usize) as u32;
    let kind = kinds
        .iter()
        .find(|(weight, _)| {
            let found = chosen < *weight;
            chosen = chosen.saturating_sub(*weight);
            found
        })
        .map(|(_, kind)| *kind)
        .unwrap_or(Kind::Read);
    let mut planned = spoil(kind, who, intent, case, rng);
    let cost = planned
        .sends
        .iter()
        .filter(|outgoing| costs_argon2(outgoing))
        .count();
    if cost > case.argon2_left {
        // Keeps the case fast: the same request with a weak password (refused before hashing),
        // or, for a login with the account, a read.
        for outgoing in &mut planned.sends {
            if let Some(mut body) = outgoing.json_body().filter(|_| costs_argon2(outgoing)) {
                if body.get("action").is_some() {
                    body["password"] = json!("faible");
                    *outgoing = Outgoing::json(outgoing.method.clone(), outgoing.path.clone(), &body);
                    planned.expect = Expect::Refused;
                    planned.why += " (password weakened: no Argon2 left in this case)";
                } else {
                    *outgoing = Outgoing::get(format!("/api/learners/{}", case.learners[who].facts.id));
                    planned.kind = Kind::Read;
                    planned.sender = Sender::Account(who);
                    planned.address = Address::Nobody;
                    planned.expect = Expect::Either;
                    planned.why += " (login replaced by a read: no Argon2 left in this case)";
                }
            }
        }
    }
    planned
}
