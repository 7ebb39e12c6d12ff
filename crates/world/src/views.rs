//! Turns a journey into the plain views of the API.

use crate::api::{
    ActivationView, FaceToFaceView, IdentitySummary, LearnerView, LetterContentsView, LoginRequestView,
    PostalLetterView, RegisteredLetterView, ReviewPolicy, TimelineEntryView, VerificationMode as WireMode,
};
use chrono::{DateTime, Utc};
use idn_journey::enrolment::{ApprovalStatus, LoginApproval};
use idn_journey::identity::{Birthplace, IdentityDocument};
use idn_journey::verification::{Identification, RegisteredLetter, VerificationMode};
use idn_journey::{Journey, LockReason, Stage};

pub fn learner_view(id: &str, journey: &Journey, review_policy: &ReviewPolicy) -> LearnerView {
    let step = journey.step();
    let (email, mobile) = contact(journey);
    let person = journey.person();
    let draft = match journey.stage() {
        Stage::IdentityConfirmation { draft, .. } => Some(draft),
        _ => None,
    };
    let mut view = LearnerView {
        id: id.to_owned(),
        step,
        step_label: step.label_fr().to_owned(),
        email,
        mobile,
        next_deadline: journey.next_deadline(),
        identity: person
            .map(|person| &person.identity)
            .or(draft)
            .map(identity_summary),
        identity_confirmed: person.is_some(),
        face_to_face: None,
        postal_letter: None,
        registered_letter: None,
        activation: None,
        device_id: journey.enrolled_device().map(|device| device.device_id.0.clone()),
        lock_reason: None,
        review_policy: review_policy.clone(),
    };
    match journey.stage() {
        Stage::FaceToFace { code, by_post, .. } => {
            view.face_to_face = Some(FaceToFaceView {
                valid_until: code.expires_at(),
                by_post: *by_post,
            });
        }
        Stage::PostalLetter {
            sent_at, arrives_at, ..
        } => {
            view.postal_letter = Some(PostalLetterView {
                sent_at: *sent_at,
                arrives_at: *arrives_at,
            });
        }
        Stage::Online { letter, .. } => view.registered_letter = Some(letter_view(letter)),
        Stage::Activation {
            code,
            verified_by,
            letter,
            ..
        } => {
            view.registered_letter = letter.as_ref().map(|letter| RegisteredLetterView {
                contents: journey.letter_contents().map(|contents| LetterContentsView {
                    sender: contents.sender.to_owned(),
                    activation_code: contents.activation_code,
                    valid_until: contents.valid_until,
                }),
                ..letter_view(letter)
            });
            view.activation = Some(ActivationView {
                valid_until: code.expires_at(),
                verified_by: wire_mode(*verified_by),
            });
        }
        Stage::Locked { reason, .. } => {
            view.lock_reason = Some(
                match reason {
                    LockReason::TooManySecretCodeFailures => "too_many_secret_code_failures",
                    LockReason::SecretCodeForgotten => "secret_code_forgotten",
                }
                .to_owned(),
            );
        }
        Stage::NotStarted
        | Stage::EmailCode { .. }
        | Stage::Password { .. }
        | Stage::Mobile { .. }
        | Stage::MobileCode { .. }
        | Stage::Profile { .. }
        | Stage::IdentityData { .. }
        | Stage::IdentityConfirmation { .. }
        | Stage::VerificationChoice { .. }
        | Stage::Enrolled { .. } => {}
    }
    view
}

fn letter_view(letter: &RegisteredLetter) -> RegisteredLetterView {
    let (digits, deadline, refusal) = match &letter.identification {
        Identification::NotStarted => (None, None, None),
        Identification::Started { digits } => (Some(digits.as_str().to_owned()), None, None),
        Identification::UnderReview {
            digits,
            review_deadline,
            ..
        } => (Some(digits.as_str().to_owned()), Some(*review_deadline), None),
        Identification::Refused { reason, .. } => (None, None, Some(*reason)),
    };
    RegisteredLetterView {
        letter_id: letter.letter_id.clone(),
        opened: letter.opened,
        identity_confirmed: letter.identity_confirmed,
        spoken_digits: digits,
        review_deadline: deadline,
        refusal_reason: refusal.map(|reason| reason.code().to_owned()),
        refusal_reason_label: refusal.map(|reason| reason.label_fr().to_owned()),
        refusals: letter.refusals,
        timeline: letter
            .timeline
            .iter()
            .map(|entry| TimelineEntryView {
                at: entry.at,
                label: entry.status.label_fr().to_owned(),
            })
            .collect(),
        upcoming: letter.upcoming().into_iter().map(str::to_owned).collect(),
        contents: None,
    }
}

pub fn wire_mode(mode: VerificationMode) -> WireMode {
    match mode {
        VerificationMode::FaceToFace => WireMode::FaceToFace,
        VerificationMode::Online => WireMode::Online,
        VerificationMode::ByPost => WireMode::ByPost,
    }
}

/// The account's email and mobile, as far as the journey knows them.
pub fn contact(journey: &Journey) -> (Option<String>, Option<String>) {
    if let Some(person) = journey.person() {
        return (
            Some(person.account.email.to_string()),
            Some(person.account.mobile.to_string()),
        );
    }
    match journey.stage() {
        Stage::EmailCode { email, .. } | Stage::Password { email } | Stage::Mobile { email, .. } => {
            (Some(email.to_string()), None)
        }
        Stage::Profile { email, mobile, .. } => (Some(email.to_string()), Some(mobile.to_string())),
        Stage::MobileCode { account, .. }
        | Stage::IdentityData { account }
        | Stage::IdentityConfirmation { account, .. } => {
            (Some(account.email.to_string()), Some(account.mobile.to_string()))
        }
        _ => (None, None),
    }
}

/// The first name used in messages, once the profile is known.
pub fn first_name(journey: &Journey) -> Option<String> {
    match journey.stage() {
        Stage::MobileCode { account, .. }
        | Stage::IdentityData { account }
        | Stage::IdentityConfirmation { account, .. } => Some(account.profile.first_name.to_string()),
        _ => journey
            .person()
            .map(|person| person.account.profile.first_name.to_string()),
    }
}

pub fn identity_summary(identity: &IdentityDocument) -> IdentitySummary {
    let (birthplace, birth_country) = match &identity.birthplace {
        Birthplace::France { commune, insee_code } => {
            (format!("{commune} ({})", insee_code.as_str()), "99100".to_owned())
        }
        Birthplace::Abroad { country } => (String::new(), country.as_str().to_owned()),
    };
    IdentitySummary {
        document_type: identity.document_type.label_fr().to_owned(),
        document_kind: identity.document_type.into(),
        sex: identity.sex.into(),
        given_names: identity.given_names.iter().map(ToString::to_string).collect(),
        birth_name: identity.birth_name.to_string(),
        usage_name: identity.usage_name.as_ref().map(ToString::to_string),
        birth_date: identity.birth_date,
        birthplace,
        birth_country,
        nationality: identity.nationality.clone(),
        issue_date: identity.issue_date,
        expiry_date: identity.expiry_date,
        document_number_ending: identity.document_number_ending.clone(),
    }
}

pub fn approval_status_code(status: ApprovalStatus) -> &'static str {
    match status {
        ApprovalStatus::Pending => "pending",
        ApprovalStatus::Approved => "approved",
        ApprovalStatus::Declined => "declined",
        ApprovalStatus::Expired => "expired",
        ApprovalStatus::Blocked => "blocked",
    }
}

pub fn login_request_view(approval: &LoginApproval, now: DateTime<Utc>) -> LoginRequestView {
    let status = if approval.status == ApprovalStatus::Pending && now >= approval.deadline {
        ApprovalStatus::Expired
    } else {
        approval.status
    };
    LoginRequestView {
        request_id: approval.request_id.clone(),
        relying_party: approval.relying_party.clone(),
        challenge: approval.challenge.clone(),
        created_at: approval.created_at,
        deadline: approval.deadline,
        status: approval_status_code(status).to_owned(),
        seconds_left: if status == ApprovalStatus::Pending {
            (approval.deadline - now).num_seconds().max(0)
        } else {
            0
        },
    }
}
