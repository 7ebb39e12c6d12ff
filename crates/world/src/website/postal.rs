//! « Si vous ne disposez pas de smartphone … une procédure courrier dédiée » (004): the notice,
//! the « Formulaire de demande de vérification d'identité pour l'achat de formation CPF » filled
//! online (the sandbox's stand-in for the fillable PDF), its printable version in capitals, the
//! envelope (which copies, on separate pages, the Compte Formation), then the request's
//! follow-up with the letters that come back. The rules are `idn_journey::postal_request`'s;
//! this file translates forms and renders pages.

use super::pages::page;
use super::{is_https, other_origin, see_other, session, Shared};
use crate::federation::base_url;
use crate::store::PostalRow;
use crate::World;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use chrono::{DateTime, NaiveDate, Utc};
use idn_journey::account::Civility;
use idn_journey::local_time;
use idn_journey::postal_request::{
    Envelope, EnvelopeProblem, FormField, IdentityCopy, Motive, PostalStage, RequestForm, SocialSecurityCopy,
};
use serde::Deserialize;
use std::sync::Arc;

const NOTICE: &str = "/identite-numerique/procedure-courrier";
const FORM: &str = "/identite-numerique/procedure-courrier/formulaire";
const FOLLOW_UP: &str = "/identite-numerique/procedure-courrier/suivi";

pub(super) fn routes() -> Router<Arc<World>> {
    Router::new()
        .route(NOTICE, get(notice))
        .route(FORM, get(empty_form).post(form_action))
        .route(FOLLOW_UP, get(follow_up).post(skip_wait))
}

/// The form as posted: every field text, the boxes present when ticked.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub(super) struct PostalForm {
    pub action: String,
    pub civility: String,
    pub birth_name: String,
    pub usage_name: String,
    pub given_names: String,
    /// `AAAA-MM-JJ`, as `<input type="date">` sends it.
    pub birth_date: String,
    pub birth_place: String,
    pub street: String,
    pub postcode: String,
    pub city: String,
    pub email: String,
    pub phone: String,
    pub motive_no_smartphone: Option<String>,
    pub motive_other: Option<String>,
    pub identity_copy: String,
    pub social_security_copy: String,
    pub separate_pages: Option<String>,
    pub compte_formation: Option<String>,
}

/// A field typed in a shape the form cannot take, with what to type instead.
struct FormatError {
    field: FormField,
    message: &'static str,
}

impl PostalForm {
    /// The form's data, or what is typed in a shape it cannot take. Empty mandatory fields are
    /// not refused here: on paper nothing stops a person from posting them, and the answer says
    /// what was missing.
    fn request_form(&self) -> Result<RequestForm, Vec<FormatError>> {
        let mut errors = Vec::new();
        let birth_date = match self.birth_date.trim() {
            "" => None,
            text => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                Ok(date) => Some(date),
                Err(_) => {
                    errors.push(FormatError {
                        field: FormField::BirthDate,
                        message: "Date de naissance : indiquez le jour, le mois et l'année (par exemple 17/05/1980).",
                    });
                    None
                }
            },
        };
        let postcode = self.postcode.trim();
        let five_digits = postcode.len() == 5 && postcode.bytes().all(|b| b.is_ascii_digit());
        if !postcode.is_empty() && !five_digits {
            errors.push(FormatError {
                field: FormField::Postcode,
                message: "Code postal : 5 chiffres, par exemple 69003.",
            });
        }
        let email = self.email.trim();
        if !email.is_empty() && idn_journey::account::Email::parse(email).is_err() {
            errors.push(FormatError {
                field: FormField::Email,
                message: "Adresse e-mail : elle doit ressembler à prenom.nom@exemple.fr.",
            });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut motives = Vec::new();
        if self.motive_no_smartphone.is_some() {
            motives.push(Motive::NoSmartphone);
        }
        if self.motive_other.is_some() {
            motives.push(Motive::Other);
        }
        Ok(RequestForm {
            civility: match self.civility.as_str() {
                "madame" => Some(Civility::Madame),
                "monsieur" => Some(Civility::Monsieur),
                _ => None,
            },
            birth_name: self.birth_name.trim().to_owned(),
            usage_name: self.usage_name.trim().to_owned(),
            given_names: self.given_names.trim().to_owned(),
            birth_date,
            birth_place: self.birth_place.trim().to_owned(),
            street: self.street.trim().to_owned(),
            postcode: postcode.to_owned(),
            city: self.city.trim().to_owned(),
            email: email.to_owned(),
            phone: self.phone.trim().to_owned(),
            motives,
        })
    }

    fn envelope(&self, form: RequestForm) -> Envelope {
        Envelope {
            form,
            identity_copy: IdentityCopy::from_code(&self.identity_copy),
            social_security_copy: SocialSecurityCopy::from_code(&self.social_security_copy),
            separate_pages: self.separate_pages.is_some(),
            compte_formation_created: self.compte_formation.is_some(),
        }
    }
}

/// The notice « à conserver par le demandeur » (004) and the way in.
#[derive(Template)]
#[template(path = "website/postal_notice.html")]
struct NoticePage {
    signed_in: bool,
    has_request: bool,
}

/// The form, empty or as typed, with what must be typed differently.
#[derive(Template)]
#[template(path = "website/postal_form.html")]
struct FormPage {
    signed_in: bool,
    form: PostalForm,
    errors: Vec<&'static str>,
}

/// The form as printed (capitals), what its asterisks still lack, and the envelope.
#[derive(Template)]
#[template(path = "website/postal_preview.html")]
struct PreviewPage {
    signed_in: bool,
    form: PostalForm,
    printed: Vec<(&'static str, String)>,
    motives: Vec<&'static str>,
    empty_mandatory: Vec<&'static str>,
    identity_copies: Vec<(&'static str, &'static str)>,
    social_copies: Vec<(&'static str, &'static str)>,
}

impl PreviewPage {
    /// The form's typed values, carried unchanged to the envelope's form.
    fn hidden_fields(&self) -> [(&'static str, &str); 11] {
        let form = &self.form;
        [
            ("civility", &form.civility),
            ("birth_name", &form.birth_name),
            ("usage_name", &form.usage_name),
            ("given_names", &form.given_names),
            ("birth_date", &form.birth_date),
            ("birth_place", &form.birth_place),
            ("street", &form.street),
            ("postcode", &form.postcode),
            ("city", &form.city),
            ("email", &form.email),
            ("phone", &form.phone),
        ]
    }
}

/// The request's follow-up: posted, returned, its registered letter, validated.
#[derive(Template)]
#[template(path = "website/postal_follow_up.html")]
struct FollowUpPage {
    signed_in: bool,
    number: i64,
    stage: PostalStage,
    posted_at: DateTime<Utc>,
    printed_name: String,
}

impl FollowUpPage {
    fn when(&self, at: &DateTime<Utc>) -> String {
        local_time::in_sentence(*at)
    }

    fn problem(&self, problem: &EnvelopeProblem) -> String {
        problem.label_fr()
    }
}

async fn signed_in(world: &World, headers: &HeaderMap) -> bool {
    session::account(world, headers).await.is_some()
}

async fn notice(State(world): Shared, headers: HeaderMap) -> Response {
    let has_request = match session::postal_request(&headers) {
        Some(token) => matches!(world.postal_request_of_token(&token).await, Ok(Some(_))),
        None => false,
    };
    page(NoticePage {
        signed_in: signed_in(&world, &headers).await,
        has_request,
    })
    .into_response()
}

async fn empty_form(State(world): Shared, headers: HeaderMap) -> Response {
    page(FormPage {
        signed_in: signed_in(&world, &headers).await,
        form: PostalForm::default(),
        errors: Vec::new(),
    })
    .into_response()
}

/// « Vérifier et imprimer » (`preview`), « Modifier le formulaire » (`edit`) and « Poster
/// l'enveloppe » (`post`).
async fn form_action(State(world): Shared, headers: HeaderMap, Form(form): Form<PostalForm>) -> Response {
    if !session::same_origin(&headers, &base_url(&headers)) {
        return other_origin();
    }
    let signed_in = signed_in(&world, &headers).await;
    let fields = match form.request_form() {
        Ok(fields) => fields,
        Err(errors) => {
            tracing::info!(fields = ?errors.iter().map(|error| error.field).collect::<Vec<_>>(), "site: postal form refused");
            let errors = errors.into_iter().map(|error| error.message).collect();
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                page(FormPage {
                    signed_in,
                    form,
                    errors,
                }),
            )
                .into_response();
        }
    };
    match form.action.as_str() {
        "preview" => page(preview(signed_in, form, &fields)).into_response(),
        "post" => match world.post_postal_request(form.envelope(fields)).await {
            Ok(posted) => {
                tracing::info!(number = posted.number, "site: postal request posted");
                let cookie = session::keep_postal_request(&posted.token, is_https(&headers));
                see_other(FOLLOW_UP, vec![cookie])
            }
            Err(error) => error.into_response(),
        },
        _ => page(FormPage {
            signed_in,
            form,
            errors: Vec::new(),
        })
        .into_response(),
    }
}

fn preview(signed_in: bool, form: PostalForm, fields: &RequestForm) -> PreviewPage {
    let printed = |text: &str| RequestForm::printed(text);
    let civility = match fields.civility {
        Some(Civility::Madame) => "MADAME".to_owned(),
        Some(Civility::Monsieur) => "MONSIEUR".to_owned(),
        None => String::new(),
    };
    PreviewPage {
        signed_in,
        printed: vec![
            ("Civilité *", civility),
            ("Nom de naissance *", printed(&fields.birth_name)),
            ("Nom d'usage", printed(&fields.usage_name)),
            ("Prénom(s) *", printed(&fields.given_names)),
            (
                "Date de naissance *",
                fields
                    .birth_date
                    .map(|date| date.format("%d/%m/%Y").to_string())
                    .unwrap_or_default(),
            ),
            ("Lieu de naissance *", printed(&fields.birth_place)),
            ("Adresse *", printed(&fields.street)),
            ("Code postal *", fields.postcode.clone()),
            ("Commune *", printed(&fields.city)),
            ("Adresse e-mail *", fields.email.to_lowercase()),
            ("Téléphone", fields.phone.clone()),
        ],
        motives: fields.motives.iter().map(|motive| motive.label_fr()).collect(),
        empty_mandatory: fields
            .empty_mandatory()
            .into_iter()
            .map(FormField::label_fr)
            .collect(),
        identity_copies: IdentityCopy::ALL
            .into_iter()
            .map(|copy| (copy.code(), copy.label_fr()))
            .collect(),
        social_copies: SocialSecurityCopy::ALL
            .into_iter()
            .map(|copy| (copy.code(), copy.label_fr()))
            .collect(),
        form,
    }
}

async fn follow_up(State(world): Shared, headers: HeaderMap) -> Response {
    let Some(token) = session::postal_request(&headers) else {
        return Redirect::to(NOTICE).into_response();
    };
    match world.postal_request_of_token(&token).await {
        Ok(Some(PostalRow { number, request })) => {
            let form = &request.envelope.form;
            page(FollowUpPage {
                signed_in: signed_in(&world, &headers).await,
                number,
                posted_at: request.posted_at,
                printed_name: RequestForm::printed(&format!("{} {}", form.given_names, form.birth_name)),
                stage: request.stage,
            })
            .into_response()
        }
        Ok(None) => Redirect::to(NOTICE).into_response(),
        Err(error) => error.into_response(),
    }
}

/// « Recevoir la réponse maintenant (bac à sable) ».
async fn skip_wait(State(world): Shared, headers: HeaderMap) -> Response {
    if !session::same_origin(&headers, &base_url(&headers)) {
        return other_origin();
    }
    let Some(token) = session::postal_request(&headers) else {
        return Redirect::to(NOTICE).into_response();
    };
    match world.postal_skip_wait(&token).await {
        Ok(()) => see_other(FOLLOW_UP, Vec::new()),
        Err(error) => error.into_response(),
    }
}
