//! L'Identité Numérique's web site, as the guides show it on a computer (000, 002, 004): the
//! landing page, « Créer votre Identité Numérique » with the conditions and the ways to do it,
//! the Compte La Poste (« Définissez un identifiant », its code, password, mobile number,
//! civility and CGU, the SMS code), the identity data and their confirmation, the choice of the
//! verification mode, then « Continuez sur votre smartphone »: the app signs in with the same
//! identifiers and goes on where the site left off. Every step is the journey's: a form is
//! translated into the action the app would send ([`forms`]), through the same
//! [`World::act`], journal and credential. Served to any browser at `/identite-numerique/`.

mod forms;
mod pages;
mod postal;
mod session;

use crate::access::credentials::{revoke_own, RevokedBecause};
use crate::api::MessageChannel;
use crate::federation::base_url;
use crate::throttle::ClientAddress;
use crate::{World, WorldError};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use forms::{StepForm, UnknownForm};
use pages::{page, Create, Home, Identifier, Inbox, SignIn, StepPage};
use serde::Deserialize;
use std::sync::Arc;

const HOME: &str = "/identite-numerique/";
const STEPS: &str = "/identite-numerique/parcours";
const SIGN_IN: &str = "/identite-numerique/connexion";

pub(crate) fn router(world: Arc<World>) -> Router {
    Router::new()
        .route("/identite-numerique", get(|| async { Redirect::permanent(HOME) }))
        .route(HOME, get(home))
        .route("/identite-numerique/creer", get(create))
        .route("/identite-numerique/compte", get(identifier).post(open_account))
        .route(SIGN_IN, get(sign_in).post(start_sign_in))
        .route("/identite-numerique/connexion/code", post(confirm_sign_in))
        .route(STEPS, get(step).post(act))
        .route("/identite-numerique/messagerie", get(inbox))
        .route("/identite-numerique/deconnexion", post(sign_out))
        .merge(postal::routes())
        .with_state(world)
}

type Shared = State<Arc<World>>;

async fn home(State(world): Shared, headers: HeaderMap) -> Response {
    let signed_in = session::account(&world, &headers).await.is_some();
    page(Home { signed_in }).into_response()
}

async fn create(State(world): Shared, headers: HeaderMap) -> Response {
    let signed_in = session::account(&world, &headers).await.is_some();
    page(Create { signed_in }).into_response()
}

async fn identifier(State(world): Shared, headers: HeaderMap) -> Response {
    if session::account(&world, &headers).await.is_some() {
        return Redirect::to(STEPS).into_response();
    }
    page(Identifier {
        signed_in: false,
        email: String::new(),
        error: None,
    })
    .into_response()
}

#[derive(Debug, Deserialize)]
struct IdentifierForm {
    #[serde(default)]
    email: String,
}

/// « Continuer » on « Définissez un identifiant »: the account opens, its 6-digit code is
/// emailed, and this browser keeps the account's credential.
async fn open_account(
    State(world): Shared,
    client: ClientAddress,
    headers: HeaderMap,
    Form(form): Form<IdentifierForm>,
) -> Response {
    if !session::same_origin(&headers, &base_url(&headers)) {
        return other_origin();
    }
    let opened = match world.throttles().account_opening(client.0) {
        Ok(()) => {
            world
                .open_account_with_access(form.email.trim(), Vec::new())
                .await
        }
        Err(error) => Err(error),
    };
    match opened {
        Ok(access) => {
            let cookie = session::keep_account(&access.credential.token, is_https(&headers));
            see_other(STEPS, vec![cookie])
        }
        Err(error) => {
            tracing::info!(code = error.code(), "site: account not opened");
            (
                error.http_status(),
                page(Identifier {
                    signed_in: false,
                    email: form.email,
                    error: Some(error.message_fr()),
                }),
            )
                .into_response()
        }
    }
}

async fn sign_in(State(world): Shared, headers: HeaderMap) -> Response {
    if session::account(&world, &headers).await.is_some() {
        return Redirect::to(STEPS).into_response();
    }
    page(SignIn {
        signed_in: false,
        email: String::new(),
        error: None,
        code_sent_to: None,
    })
    .into_response()
}

#[derive(Debug, Deserialize)]
struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// « Se connecter »: the password checked as the app's sign-in checks it (same counters, same
/// locks), then the code sent by SMS or email; the ticket that types it back stays in a cookie.
async fn start_sign_in(
    State(world): Shared,
    client: ClientAddress,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    if !session::same_origin(&headers, &base_url(&headers)) {
        return other_origin();
    }
    let started = match world
        .start_account_login_from(client.0, form.email.trim(), &form.password)
        .await
    {
        Ok(challenge) => world
            .issue_sign_in_ticket(&challenge.account_id)
            .await
            .map(|ticket| (challenge, ticket)),
        Err(error) => Err(error),
    };
    match started {
        Ok((challenge, ticket)) => {
            let sent_to = match challenge.channel {
                MessageChannel::Sms => format!("par SMS au {}", challenge.destination),
                MessageChannel::Email | MessageChannel::Post => {
                    format!("par e-mail à {}", challenge.destination)
                }
            };
            let cookie = session::keep_sign_in(&ticket.token, is_https(&headers));
            let mut response = page(SignIn {
                signed_in: false,
                email: form.email,
                error: None,
                code_sent_to: Some(sent_to),
            })
            .into_response();
            response.headers_mut().append(header::SET_COOKIE, cookie);
            response
        }
        Err(error) => {
            tracing::info!(code = error.code(), "site: sign-in refused");
            (
                error.http_status(),
                page(SignIn {
                    signed_in: false,
                    email: form.email,
                    error: Some(error.message_fr()),
                    code_sent_to: None,
                }),
            )
                .into_response()
        }
    }
}

#[derive(Debug, Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
}

/// The sign-in's code typed back: this browser now holds the account's credential.
async fn confirm_sign_in(State(world): Shared, headers: HeaderMap, Form(form): Form<CodeForm>) -> Response {
    if !session::same_origin(&headers, &base_url(&headers)) {
        return other_origin();
    }
    let Some(ticket) = session::sign_in(&world, &headers).await else {
        return see_other(SIGN_IN, session::forget(false));
    };
    let email = match ticket.learner_id() {
        Some(id) => world.learner(id).await.ok().and_then(|learner| learner.email),
        None => None,
    };
    let confirmed = match email {
        Some(email) => world.confirm_sign_in(&ticket, &email, &form.code).await,
        None => Err(WorldError::NotFound { what: "compte" }),
    };
    match confirmed {
        Ok(access) => {
            let mut cookies = session::forget(false);
            cookies.push(session::keep_account(
                &access.credential.token,
                is_https(&headers),
            ));
            see_other(STEPS, cookies)
        }
        Err(error) => (
            error.http_status(),
            page(SignIn {
                signed_in: false,
                email: String::new(),
                error: Some(error.message_fr()),
                code_sent_to: Some("par SMS ou par e-mail".into()),
            }),
        )
            .into_response(),
    }
}

#[derive(Debug, Default, Deserialize)]
struct StepQuery {
    /// Set after « Renvoyer le code »: the page says a new code went out.
    #[serde(default)]
    renvoye: Option<String>,
}

/// The page of the step the learner stands at.
async fn step(State(world): Shared, headers: HeaderMap, Query(query): Query<StepQuery>) -> Response {
    let Some(id) = learner_of(&world, &headers).await else {
        return Redirect::to(SIGN_IN).into_response();
    };
    let notice = query
        .renvoye
        .map(|_| "Un nouveau code vient de vous être envoyé.".to_owned());
    render_step(&world, &id, StepForm::default(), None, notice, StatusCode::OK).await
}

/// One form of the step page: the journey takes it or says why not, and the page keeps what
/// was typed.
async fn act(State(world): Shared, headers: HeaderMap, Form(form): Form<StepForm>) -> Response {
    if !session::same_origin(&headers, &base_url(&headers)) {
        return other_origin();
    }
    let Some(id) = learner_of(&world, &headers).await else {
        return Redirect::to(SIGN_IN).into_response();
    };
    let action = match form.action() {
        Ok(action) => action,
        Err(UnknownForm) => {
            tracing::info!(action = form.action, "site: a form the site does not show");
            let error = "Ce formulaire n'existe pas sur le site. Rechargez la page.".to_owned();
            return render_step(&world, &id, form, Some(error), None, StatusCode::BAD_REQUEST).await;
        }
    };
    let resend = matches!(form.action.as_str(), "resend_email_code" | "resend_mobile_code");
    match world.act(&id, action).await {
        Ok(_) if resend => see_other(&format!("{STEPS}?renvoye=1"), Vec::new()),
        Ok(_) => see_other(STEPS, Vec::new()),
        Err(error) => {
            tracing::info!(code = error.code(), action = form.action, "site: step refused");
            let status = error.http_status();
            render_step(&world, &id, form, Some(error.message_fr()), None, status).await
        }
    }
}

async fn render_step(
    world: &World,
    id: &str,
    form: StepForm,
    error: Option<String>,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    match world.learner(id).await {
        Ok(learner) => {
            let step = learner.step;
            let page = page(StepPage {
                signed_in: true,
                side: pages::side_bar(step),
                learner,
                step,
                form,
                error,
                notice,
            });
            (status, page).into_response()
        }
        Err(error) => error.into_response(),
    }
}

/// The account's simulated mailbox and SMS (reachable during « Se connecter » too: the ticket
/// reads the code's message, as in the app).
async fn inbox(State(world): Shared, headers: HeaderMap) -> Response {
    let id = match learner_of(&world, &headers).await {
        Some(id) => Some(id),
        None => session::sign_in(&world, &headers)
            .await
            .and_then(|ticket| ticket.learner_id().map(str::to_owned)),
    };
    let Some(id) = id else {
        return Redirect::to(SIGN_IN).into_response();
    };
    match world.inbox(&id).await {
        Ok(mut messages) => {
            messages.sort_by(|a, b| b.at.cmp(&a.at).then(b.id.cmp(&a.id)));
            let signed_in = session::account(&world, &headers).await.is_some();
            page(Inbox { signed_in, messages }).into_response()
        }
        Err(error) => error.into_response(),
    }
}

/// « Se déconnecter »: this browser's credential ends at the world, and its cookies go.
async fn sign_out(State(world): Shared, headers: HeaderMap) -> Response {
    if !session::same_origin(&headers, &base_url(&headers)) {
        return other_origin();
    }
    if let Some(principal) = session::account(&world, &headers).await {
        if let Err(error) = revoke_own(&world, &principal, RevokedBecause::Removed).await {
            tracing::warn!(%error, "site: the credential could not be ended at sign-out");
        }
    }
    see_other(HOME, session::forget(true))
}

async fn learner_of(world: &World, headers: &HeaderMap) -> Option<String> {
    session::account(world, headers)
        .await
        .and_then(|principal| principal.learner_id().map(str::to_owned))
}

fn is_https(headers: &HeaderMap) -> bool {
    base_url(headers).starts_with("https://")
}

/// 303 to `to` (a form's answer: the browser then GETs the page), with cookies to set.
fn see_other(to: &str, cookies: Vec<HeaderValue>) -> Response {
    let mut response = Redirect::to(to).into_response();
    for cookie in cookies {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

fn other_origin() -> Response {
    tracing::info!("site: a form posted from another origin refused");
    (
        StatusCode::FORBIDDEN,
        "Ce formulaire vient d'un autre site : il est refusé. Ouvrez L'Identité Numérique à son adresse.",
    )
        .into_response()
}

#[cfg(test)]
mod tests;
