//! The postal procedure at the desk (004): the person comes with the registered letter and the
//! identity document whose copy they posted; the postman or the clerk validates. The same page
//! lists the class's postal requests for the trainer: posted, returned, letter delivered,
//! validated. The rules are `idn_journey::postal_request`'s, through `World::postal_validate`.

use super::audit_done;
use super::auth::StaffSession;
use super::handlers::{failure, Session, Shared};
use super::pages::{self, when, Frame};
use crate::store::PostalRow;
use crate::WorldError;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form};
use chrono::NaiveDate;
use idn_journey::identity::PresentedField;
use idn_journey::postal_request::{IdentityCopy, PostalStage, RequestForm, ShownDocument};
use idn_journey::JourneyError;
use serde::Deserialize;

/// One line of the class's postal requests.
struct RequestLine {
    number: i64,
    name: String,
    stage: &'static str,
    detail: String,
}

fn line(row: &PostalRow) -> RequestLine {
    let form = &row.request.envelope.form;
    let name = RequestForm::printed(&format!("{} {}", form.given_names, form.birth_name));
    let (stage, detail) = match &row.request.stage {
        PostalStage::Posted { answer_at } => ("Postée", format!("réponse vers le {}", when(*answer_at))),
        PostalStage::Returned { problems, .. } => (
            "Renvoyée incomplète",
            problems
                .iter()
                .map(|problem| problem.label_fr())
                .collect::<Vec<_>>()
                .join(" "),
        ),
        PostalStage::LetterDelivered { letter_number, .. } => {
            ("Lettre recommandée distribuée", format!("n° {letter_number}"))
        }
        PostalStage::Validated { at, .. } => ("Identité validée", format!("le {}", when(*at))),
    };
    RequestLine {
        number: row.number,
        name,
        stage,
        detail,
    }
}

#[derive(Template)]
#[template(path = "console/postal_desk.html")]
struct PostalDeskPage<'a> {
    frame: Frame<'a>,
    outcome: Option<(&'static str, String)>,
    form: PostalDeskForm,
    kinds: Vec<(&'static str, &'static str)>,
    differs: Vec<PresentedField>,
    requests: Vec<RequestLine>,
}

impl PostalDeskPage<'_> {
    fn differs_on(&self, field: &str) -> bool {
        self.differs.iter().any(|differing| match differing {
            PresentedField::DocumentType => field == "type",
            PresentedField::BirthName => field == "nom",
            PresentedField::BirthDate => field == "naissance",
            PresentedField::DocumentNumberEnding => false,
        })
    }
}

/// What the clerk copied from the letter and the document.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PostalDeskForm {
    letter_number: String,
    document_type: String,
    birth_name: String,
    birth_date: String,
}

async fn render(
    world: &crate::World,
    session: &StaffSession,
    status: StatusCode,
    outcome: Option<(&'static str, String)>,
    form: PostalDeskForm,
    differs: Vec<PresentedField>,
) -> Response {
    let requests = match world.postal_requests().await {
        Ok(rows) => rows.iter().map(line).collect(),
        Err(error) => return failure(session, error),
    };
    pages::render(
        status,
        &PostalDeskPage {
            frame: Frame::signed_in(session, "Procédure courrier"),
            outcome,
            form,
            kinds: IdentityCopy::ALL
                .into_iter()
                .map(|kind| (kind.code(), kind.document_fr()))
                .collect(),
            differs,
            requests,
        },
    )
}

pub async fn postal_desk_page(State(world): Shared, Extension(session): Session) -> Response {
    render(
        &world,
        &session,
        StatusCode::OK,
        None,
        PostalDeskForm::default(),
        Vec::new(),
    )
    .await
}

/// « Valider l'identité »: the letter's number and the document shown, compared with the form.
pub async fn postal_desk_validate(
    State(world): Shared,
    Extension(session): Session,
    Form(form): Form<PostalDeskForm>,
) -> Response {
    let outcome = validate(&world, &form).await;
    match outcome {
        Ok(number) => {
            let detail = format!("demande n° {number}");
            audit_done(&world, &session, "postal_validate", None, Some(&detail)).await;
            let message = format!(
                "Identité validée avec la lettre recommandée n° {} (demande n° {number}) : la vérification d'identité pour l'achat de formation CPF est terminée.",
                form.letter_number.trim().to_uppercase()
            );
            render(
                &world,
                &session,
                StatusCode::OK,
                Some(("success", message)),
                PostalDeskForm::default(),
                Vec::new(),
            )
            .await
        }
        Err(error) => {
            let differs = match &error {
                WorldError::Journey(JourneyError::DocumentMismatch { fields }) => fields.clone(),
                _ => Vec::new(),
            };
            // Compared with the form the person posted, not with data confirmed in an app.
            let message = if differs.is_empty() {
                error.message_fr()
            } else {
                let what: Vec<&str> = differs.iter().map(|field| field.mismatch_fr()).collect();
                format!(
                    "La pièce présentée ne correspond pas au formulaire envoyé. {}",
                    what.join(" ")
                )
            };
            // The person is still at the counter: what the clerk copied stays on the form.
            render(
                &world,
                &session,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(("error", message)),
                form,
                differs,
            )
            .await
        }
    }
}

async fn validate(world: &crate::World, form: &PostalDeskForm) -> Result<i64, WorldError> {
    let copy_kind = IdentityCopy::from_code(form.document_type.trim()).ok_or_else(|| {
        WorldError::bad_request("invalid_document_type", "Choisissez le type de pièce présentée.")
    })?;
    let birth_date = NaiveDate::parse_from_str(form.birth_date.trim(), "%Y-%m-%d").map_err(|_| {
        WorldError::bad_request(
            "invalid_date",
            "Date de naissance invalide : indiquez le jour, le mois et l'année.",
        )
    })?;
    world
        .postal_validate(
            &form.letter_number,
            ShownDocument {
                copy_kind,
                birth_name: form.birth_name.clone(),
                birth_date,
            },
        )
        .await
}
