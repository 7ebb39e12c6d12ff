//! The face-to-face desk's page: the clerk looks up a code, compares the confirmed identity
//! with the document presented, validates or sends the person away, decided by `desks.rs`.

use super::desks;
use super::handlers::{identity_facts, Session, Shared};
use super::pages::{self, when, Fact, Frame};
use crate::api::{ClerkCase, ClerkRefusalReason, ClerkVerdict, CopiedDocument, DocumentKind};
use crate::WorldError;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form};
use idn_journey::identity::PresentedField;
use idn_journey::JourneyError;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct ClerkQuery {
    #[serde(default)]
    code: String,
}

/// What the desk answered the last form: a success, or why it refused.
struct Outcome {
    kind: &'static str,
    message: String,
}

/// A choice of a select.
struct Choice {
    value: &'static str,
    label: String,
    selected: bool,
}

/// The identity to compare and the clerk's two forms (validate, send away), with what the
/// clerk typed last kept when the desk refused it.
struct Found {
    until: String,
    identity: Option<Vec<Fact>>,
    kinds: Vec<Choice>,
    reasons: Vec<Choice>,
    /// A reason was chosen in the last form (else « Choisissez le motif » is selected).
    reason_chosen: bool,
    birth_name: String,
    birth_date: String,
    document_number_ending: String,
    /// The fields the journey found different from the confirmed identity, marked on the form.
    differs: Differs,
}

/// Which of the form's fields differ (`JourneyError::DocumentMismatch`), for `aria-invalid`
/// and the line under each.
#[derive(Default)]
struct Differs {
    document_type: bool,
    birth_name: bool,
    birth_date: bool,
    document_number_ending: bool,
}

impl Differs {
    fn of(error: &WorldError) -> Self {
        let mut differs = Self::default();
        if let WorldError::Journey(JourneyError::DocumentMismatch { fields }) = error {
            for field in fields {
                match field {
                    PresentedField::DocumentType => differs.document_type = true,
                    PresentedField::BirthName => differs.birth_name = true,
                    PresentedField::BirthDate => differs.birth_date = true,
                    PresentedField::DocumentNumberEnding => differs.document_number_ending = true,
                }
            }
        }
        differs
    }
}

#[derive(Template)]
#[template(path = "console/clerk.html")]
struct ClerkPage<'a> {
    frame: Frame<'a>,
    code: &'a str,
    outcome: Option<Outcome>,
    lookup_error: Option<String>,
    found: Option<Found>,
}

pub async fn clerk_page(
    State(world): Shared,
    Extension(session): Session,
    Query(query): Query<ClerkQuery>,
) -> Response {
    let code = query.code.trim().to_owned();
    let (found, lookup_error) = if code.is_empty() {
        (None, None)
    } else {
        match desks::clerk_case(&world, &session, &code).await {
            Ok(case) => (Some(found(&case, None, Differs::default())), None),
            Err(error) => (None, Some(error.message_fr())),
        }
    };
    pages::ok(&ClerkPage {
        frame: Frame::signed_in(&session, "Guichet face à face"),
        code: &code,
        outcome: None,
        lookup_error,
        found,
    })
}

/// The case looked up, and the forms filled with `typed` (what the clerk copied last), if any,
/// with the fields that `differs` marked.
fn found(case: &ClerkCase, typed: Option<&ClerkForm>, differs: Differs) -> Found {
    let chosen_kind = typed.map(|form| form.document_type.as_str()).unwrap_or_default();
    let chosen_reason = typed.map(|form| form.reason.as_str()).unwrap_or_default();
    let reasons: Vec<Choice> = ClerkRefusalReason::ALL
        .iter()
        .map(|reason| Choice {
            value: reason.code(),
            label: capitalized(reason.label_fr()),
            selected: reason.code() == chosen_reason,
        })
        .collect();
    Found {
        until: when(case.valid_until),
        // A face-to-face code is only sent once the identity is confirmed.
        identity: identity_facts(Some(&case.identity), true),
        kinds: DocumentKind::ALL
            .iter()
            .map(|kind| Choice {
                value: kind.code(),
                label: kind.label_fr().to_owned(),
                selected: kind.code() == chosen_kind,
            })
            .collect(),
        reason_chosen: reasons.iter().any(|reason| reason.selected),
        reasons,
        birth_name: typed.map(|form| form.birth_name.clone()).unwrap_or_default(),
        birth_date: typed.map(|form| form.birth_date.clone()).unwrap_or_default(),
        document_number_ending: typed
            .map(|form| form.document_number_ending.clone())
            .unwrap_or_default(),
        differs,
    }
}

/// The text with its first letter in capitals (a reason's wording opening an option).
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[derive(Deserialize)]
pub struct ClerkForm {
    code: String,
    decision: String,
    #[serde(default)]
    document_type: String,
    #[serde(default)]
    birth_name: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    document_number_ending: String,
    #[serde(default)]
    reason: String,
}

pub async fn clerk_decide(
    State(world): Shared,
    Extension(session): Session,
    Form(form): Form<ClerkForm>,
) -> Response {
    let code = form.code.trim().to_owned();
    let verdict = match form.decision.as_str() {
        "valider" => Ok(ClerkVerdict::Validate {
            code: code.clone(),
            presented: CopiedDocument {
                document_type: form.document_type.clone(),
                birth_name: form.birth_name.clone(),
                birth_date: form.birth_date.clone(),
                document_number_ending: form.document_number_ending.clone(),
            },
        }),
        "refuser" => Ok(ClerkVerdict::Refuse {
            code: code.clone(),
            reason: form.reason.clone(),
        }),
        _ => Err(WorldError::bad_request("invalid_decision", "Décision inconnue.")),
    };
    let outcome = match verdict {
        Ok(verdict) => desks::decide_clerk(&world, &session, &verdict).await,
        Err(error) => Err(error),
    };
    let (status, outcome, found) = match outcome {
        Ok(decided) => (
            StatusCode::OK,
            Outcome {
                kind: "success",
                message: decided.message,
            },
            None,
        ),
        Err(error) => {
            // The person is still at the counter: the identity to compare stays on the page,
            // and so does what the clerk copied from the document, each field that differs
            // marked.
            let found = desks::clerk_case(&world, &session, &code)
                .await
                .ok()
                .map(|case| found(&case, Some(&form), Differs::of(&error)));
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Outcome {
                    kind: "error",
                    message: error.message_fr(),
                },
                found,
            )
        }
    };
    pages::render(
        status,
        &ClerkPage {
            frame: Frame::signed_in(&session, "Guichet face à face"),
            code: &code,
            outcome: Some(outcome),
            lookup_error: None,
            found,
        },
    )
}
