//! L'Identité Numérique La Poste as an identity provider: its authorization endpoint, the
//! "Identifiez-vous" page asking for the mobile number, the live wait for the approval on the
//! device (server-sent events from the world's change feed, with the one-minute countdown), the
//! pages for each way it can end, and the code sent back to FranceConnect+.

use super::pages::{self, LpOutcome};
use super::rules::{self, AuthorizeParams, AuthorizeRefusal, ClientRules, CodeGrant, Grant, IdentityClaims};
use super::store::random_token;
use super::{base_url, Federation, ProviderKind};
use crate::api::{LoginRequestView, NewLoginRequest};
use crate::WorldError;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use idn_journey::JourneyError;
use serde::Deserialize;
use std::sync::Arc;

type Shared = State<Arc<Federation>>;

/// A login at La Poste, from the authorization request to the code.
#[derive(Debug, Clone)]
pub struct LoginFlow {
    request: rules::AuthorizationRequest,
    /// The service the person is logging into, shown here and in the app.
    service: String,
    login_request: Option<String>,
}

pub fn routes() -> Router<Arc<Federation>> {
    Router::new()
        .route("/laposte/authorize", get(authorize))
        .route("/laposte/connexion/{flow}", get(login_page).post(identify))
        .route("/laposte/attente/{flow}", get(wait_page))
        .route("/laposte/attente/{flow}/evenements", get(wait_events))
        .route("/laposte/suite/{flow}", get(next))
        .route("/laposte/issue/{flow}/{outcome}", get(outcome_page))
        .route("/laposte/abandon/{flow}", get(abandon))
        // « Créez votre Identité Numérique »: L'Identité Numérique's web site (`website`).
        .route(
            "/laposte/creer",
            get(|| async { axum::response::Redirect::permanent("/identite-numerique/creer") }),
        )
}

fn flow_urls(flow: &str) -> (String, String) {
    (
        format!("/laposte/connexion/{flow}"),
        format!("/laposte/abandon/{flow}"),
    )
}

/// A redirect back to the client with a standard error.
pub fn error_redirect(redirect_uri: &str, state: Option<&str>, error: &str, description: &str) -> Response {
    let mut url = match reqwest::Url::parse(redirect_uri) {
        Ok(url) => url,
        Err(_) => return pages::fc_error("redirect_uri_mismatch").into_response(),
    };
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("error", error);
        query.append_pair("error_description", description);
        if let Some(state) = state {
            query.append_pair("state", state);
        }
    }
    Redirect::to(url.as_str()).into_response()
}

/// The answer to an authorization request that breaks a rule.
pub fn refusal_response(refusal: AuthorizeRefusal) -> Response {
    match refusal {
        AuthorizeRefusal::Shown(reason) => {
            (axum::http::StatusCode::BAD_REQUEST, pages::fc_error(reason)).into_response()
        }
        AuthorizeRefusal::Redirected {
            redirect_uri,
            state,
            refusal,
        } => error_redirect(
            &redirect_uri,
            state.as_deref(),
            refusal.error.code(),
            refusal.description,
        ),
    }
}

async fn authorize(
    State(federation): Shared,
    headers: HeaderMap,
    Query(params): Query<AuthorizeParams>,
) -> Result<Response, WorldError> {
    let base = base_url(&headers);
    let client_id = params.client_id.clone().unwrap_or_default();
    let client = federation
        .client(ProviderKind::LaPoste, &client_id, &base)
        .await?;
    let checked = rules::check_authorize(
        &params,
        client.as_ref().map(|client| ClientRules {
            client_id: &client.client_id,
            redirect_uris: &client.redirect_uris,
        }),
        rules::LA_POSTE_ACR,
    );
    let request = match checked {
        Ok(request) => request,
        Err(refusal) => return Ok(refusal_response(refusal)),
    };
    let service = params
        .sp_name
        .as_deref()
        .map(str::trim)
        .filter(|name| !name.is_empty() && name.chars().count() <= 100)
        .unwrap_or("FranceConnect+")
        .to_owned();
    let now = federation.world.now();
    let flow = random_token();
    federation.laposte_flows.insert(
        flow.clone(),
        LoginFlow {
            request,
            service,
            login_request: None,
        },
        now + rules::FLOW_LIFETIME,
        now,
    );
    Ok(Redirect::to(&format!("/laposte/connexion/{flow}")).into_response())
}

fn unknown_flow() -> Response {
    (axum::http::StatusCode::NOT_FOUND, pages::fc_error("unknown_flow")).into_response()
}

async fn login_page(State(federation): Shared, Path(flow): Path<String>) -> Response {
    let Some(login) = federation.laposte_flows.get(&flow, federation.world.now()) else {
        return unknown_flow();
    };
    let (action, cancel) = flow_urls(&flow);
    pages::lp_login(&action, &cancel, &login.service, None, "").into_response()
}

#[derive(Debug, Deserialize)]
struct MobileForm {
    mobile: String,
}

/// "S'identifier": the world opens a login request for the device, or says why it cannot.
async fn identify(
    State(federation): Shared,
    Path(flow): Path<String>,
    Form(form): Form<MobileForm>,
) -> Result<Response, WorldError> {
    let world = &federation.world;
    let Some(login) = federation.laposte_flows.get(&flow, world.now()) else {
        return Ok(unknown_flow());
    };
    let opened = world
        .open_login_request(NewLoginRequest {
            mobile: form.mobile.clone(),
            relying_party: login.service.clone(),
        })
        .await;
    let outcome = match opened {
        Ok(view) => {
            federation.laposte_flows.update(&flow, world.now(), |login| {
                login.login_request = Some(view.request_id.clone());
            });
            tracing::info!(request = %view.request_id, "La Poste login waits for the device");
            return Ok(Redirect::to(&format!("/laposte/attente/{flow}")).into_response());
        }
        Err(WorldError::Journey(JourneyError::MobileMismatch)) => {
            if enrolment_in_progress(&federation, &form.mobile).await? {
                LpOutcome::NotActivated
            } else {
                LpOutcome::UnknownNumber
            }
        }
        Err(WorldError::Journey(JourneyError::SecretCodeLocked)) => LpOutcome::Locked,
        Err(WorldError::Journey(
            JourneyError::TooManyPendingLoginRequests | JourneyError::LoginRequestRateLimited,
        )) => LpOutcome::TooManyRequests,
        Err(refused @ (WorldError::Journey(_) | WorldError::BadRequest { .. })) => {
            let (action, cancel) = flow_urls(&flow);
            let message = refused.message_fr();
            return Ok(
                pages::lp_login(&action, &cancel, &login.service, Some(&message), &form.mobile)
                    .into_response(),
            );
        }
        Err(other) => return Err(other),
    };
    Ok(Redirect::to(&format!("/laposte/issue/{flow}/{}", outcome.id())).into_response())
}

/// Whether someone is creating an identity with this number (confirmed identity, not yet
/// activated): the number is known, the identity is not usable yet.
async fn enrolment_in_progress(federation: &Federation, mobile: &str) -> Result<bool, WorldError> {
    let Ok(mobile) = idn_journey::account::MobileNumber::parse(mobile) else {
        return Ok(false);
    };
    federation.world.mobile_registered(mobile.as_str()).await
}

async fn current_request(
    federation: &Federation,
    flow: &str,
) -> Result<Option<(LoginFlow, LoginRequestView)>, WorldError> {
    let Some(login) = federation.laposte_flows.get(flow, federation.world.now()) else {
        return Ok(None);
    };
    let Some(request_id) = login.login_request.clone() else {
        return Ok(None);
    };
    let view = federation.world.login_request(&request_id).await?;
    Ok(Some((login, view)))
}

async fn wait_page(State(federation): Shared, Path(flow): Path<String>) -> Result<Response, WorldError> {
    let Some((login, view)) = current_request(&federation, &flow).await? else {
        return Ok(Redirect::to(&format!("/laposte/connexion/{flow}")).into_response());
    };
    if view.status != "pending" {
        return Ok(Redirect::to(&format!("/laposte/suite/{flow}")).into_response());
    }
    let (_, cancel) = flow_urls(&flow);
    let wait = format!("/laposte/attente/{flow}");
    let events = format!("/laposte/attente/{flow}/evenements");
    let next = format!("/laposte/suite/{flow}");
    let urls = pages::WaitUrls {
        wait: &wait,
        events: &events,
        next: &next,
        cancel: &cancel,
    };
    Ok(pages::lp_wait(
        &login.service,
        countdown_seconds(&view, countdown_factor(&federation)),
        urls,
    )
    .into_response())
}

/// How many simulated seconds make one second on the countdown: the journey gives one minute of
/// the person's own time even when a trainer runs the clock faster, so the page shows real seconds.
fn countdown_factor(federation: &Federation) -> f64 {
    match federation.world.clock_view().mode {
        crate::api::ClockMode::Accelerated { factor } if factor > 1.0 => factor,
        crate::api::ClockMode::Accelerated { .. }
        | crate::api::ClockMode::Real
        | crate::api::ClockMode::Manual => 1.0,
    }
}

fn countdown_seconds(view: &LoginRequestView, factor: f64) -> i64 {
    (view.seconds_left as f64 / factor).ceil() as i64
}

async fn learner_of_request(federation: &Federation, request_id: &str) -> Result<String, WorldError> {
    federation
        .world
        .learner_of_login_request(request_id)
        .await?
        .ok_or(WorldError::Journey(JourneyError::UnknownLoginRequest))
}

/// The request's status now and after every change of its learner (approval, refusal, expiry
/// by the sweeper): no reload, no polling.
async fn wait_events(State(federation): Shared, Path(flow): Path<String>) -> Result<Response, WorldError> {
    use tokio::sync::broadcast::error::RecvError;
    let changes = federation.world.subscribe();
    let Some((login, first)) = current_request(&federation, &flow).await? else {
        return Ok(unknown_flow());
    };
    let request_id = login.login_request.clone().unwrap_or_default();
    let learner_id = learner_of_request(&federation, &request_id).await?;
    let factor = countdown_factor(&federation);
    let event = move |view: &LoginRequestView| {
        Event::default().event("statut").json_data(serde_json::json!({
            "status": view.status,
            "seconds_left": countdown_seconds(view, factor),
        }))
    };
    let initial = futures_util::stream::once(std::future::ready(event(&first)));
    let done = first.status != "pending";
    let updates = futures_util::stream::unfold(
        (federation, request_id, learner_id, changes, done),
        move |(federation, request_id, learner_id, mut changes, done)| async move {
            if done {
                return None;
            }
            loop {
                match changes.recv().await {
                    Ok(change) if change.learner_id != learner_id => continue,
                    Ok(_) | Err(RecvError::Lagged(_)) => match federation
                        .world
                        .login_request(&request_id)
                        .await
                    {
                        Ok(view) => {
                            let done = view.status != "pending";
                            return Some((event(&view), (federation, request_id, learner_id, changes, done)));
                        }
                        Err(error) => {
                            tracing::warn!(%error, "login wait stream ends: request unreadable");
                            return None;
                        }
                    },
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    );
    let stream = futures_util::StreamExt::chain(initial, updates);
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()).into_response())
}

/// After the device answered: a code for FranceConnect+, or the page that says why not.
async fn next(State(federation): Shared, Path(flow): Path<String>) -> Result<Response, WorldError> {
    let login = federation
        .laposte_flows
        .get(&flow, federation.world.now())
        .filter(|login| login.login_request.is_some());
    let Some(login) = login else {
        return Ok(Redirect::to(&format!("/laposte/connexion/{flow}")).into_response());
    };
    let request_id = login.login_request.as_deref().unwrap_or_default();
    let (view, learner_id, journey) = federation.world.login_request_of(request_id).await?;
    let outcome = match view.status.as_str() {
        "pending" => return Ok(Redirect::to(&format!("/laposte/attente/{flow}")).into_response()),
        "approved" => None,
        "declined" => Some(LpOutcome::Refused),
        "blocked" => Some(LpOutcome::Locked),
        _ => Some(LpOutcome::Expired),
    };
    if let Some(outcome) = outcome {
        return Ok(Redirect::to(&format!("/laposte/issue/{flow}/{}", outcome.id())).into_response());
    }
    // The flow is spent: one approval gives one code.
    if federation.laposte_flows.take(&flow).is_none() {
        return Ok(unknown_flow());
    }
    let person = journey
        .person()
        .ok_or_else(|| WorldError::Corrupt("approved login of a learner without identity".into()))?;
    let now = federation.world.now();
    let code = random_token();
    federation.laposte.codes.insert(
        code.clone(),
        CodeGrant {
            client_id: login.request.client_id.clone(),
            redirect_uri: login.request.redirect_uri.clone(),
            issued_at: now,
            code_challenge: login.request.code_challenge.clone(),
            grant: Grant {
                subject: learner_id,
                nonce: login.request.nonce.clone(),
                acr: rules::LA_POSTE_ACR,
                amr: rules::LA_POSTE_AMR.map(str::to_owned).to_vec(),
                auth_time: now,
                scopes: login.request.scopes.clone(),
                identity: IdentityClaims::of(person),
            },
        },
        now + rules::CODE_LIFETIME,
        now,
    );
    let mut url = reqwest::Url::parse(&login.request.redirect_uri)
        .map_err(|_| WorldError::Corrupt("stored redirect_uri".into()))?;
    url.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &login.request.state);
    Ok(Redirect::to(url.as_str()).into_response())
}

async fn outcome_page(State(federation): Shared, Path((flow, outcome)): Path<(String, String)>) -> Response {
    let outcome = [
        LpOutcome::Expired,
        LpOutcome::Refused,
        LpOutcome::UnknownNumber,
        LpOutcome::NotActivated,
        LpOutcome::Locked,
        LpOutcome::TooManyRequests,
    ]
    .into_iter()
    .find(|candidate| candidate.id() == outcome);
    match (
        outcome,
        federation.laposte_flows.get(&flow, federation.world.now()),
    ) {
        (Some(outcome), Some(_)) => {
            let (retry, cancel) = flow_urls(&flow);
            pages::lp_outcome(outcome, &retry, &cancel).into_response()
        }
        _ => unknown_flow(),
    }
}

/// "Revenir à FranceConnect+": the standard `access_denied` back to the client.
async fn abandon(State(federation): Shared, Path(flow): Path<String>) -> Response {
    match federation.laposte_flows.take(&flow) {
        Some(login) => error_redirect(
            &login.request.redirect_uri,
            Some(&login.request.state),
            "access_denied",
            "the person did not complete the login with L'Identite Numerique La Poste",
        ),
        None => unknown_flow(),
    }
}
