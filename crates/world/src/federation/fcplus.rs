//! FranceConnect+ facing relying parties: the authorization endpoint with its rules, the page
//! "Je choisis un moyen pour me connecter sur : <service>", the federation of L'Identité
//! Numérique La Poste as an ordinary OIDC client of it, the code sent back to the relying party,
//! and RP-initiated logout.

use super::client::RelyingClient;
use super::laposte::{error_redirect, refusal_response};
use super::pages;
use super::provider::id_token_digest;
use super::rules::{self, AuthorizeParams, ClientRules, CodeGrant, Grant};
use super::store::random_token;
use super::{base_url, Federation, ProviderKind, FCPLUS_CLIENT_ID};
use crate::WorldError;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use std::sync::Arc;

type Shared = State<Arc<Federation>>;

/// A relying party's login at FranceConnect+, while the person picks and uses a provider.
#[derive(Debug, Clone)]
pub struct LoginFlow {
    request: rules::AuthorizationRequest,
    service: String,
    /// The nonce FranceConnect+ sent to La Poste (its `state` is the flow id).
    idp_nonce: Option<String>,
}

pub fn routes() -> Router<Arc<Federation>> {
    Router::new()
        .route("/fcplus/authorize", get(authorize))
        .route("/fcplus/choix/{flow}", get(choice))
        .route("/fcplus/choix/{flow}/laposte", get(choose_laposte))
        .route("/fcplus/callback", get(callback))
        .route("/fcplus/abandon/{flow}", get(abandon))
        .route("/fcplus/session/end", get(end_session))
        .route("/fcplus/a-propos", get(|| async { pages::fc_about() }))
}

fn unknown_flow() -> Response {
    (StatusCode::NOT_FOUND, pages::fc_error("unknown_flow")).into_response()
}

async fn authorize(
    State(federation): Shared,
    headers: HeaderMap,
    Query(params): Query<AuthorizeParams>,
) -> Result<Response, WorldError> {
    let base = base_url(&headers);
    let client_id = params.client_id.clone().unwrap_or_default();
    let client = federation
        .client(ProviderKind::FranceConnectPlus, &client_id, &base)
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
    let now = federation.world.now();
    let flow = random_token();
    federation.fcplus_flows.insert(
        flow.clone(),
        LoginFlow {
            request,
            service: client.map(|client| client.name).unwrap_or_default(),
            idp_nonce: None,
        },
        now + rules::FLOW_LIFETIME,
        now,
    );
    Ok(Redirect::to(&format!("/fcplus/choix/{flow}")).into_response())
}

#[derive(Debug, Deserialize)]
struct ChoiceQuery {
    echec: Option<String>,
}

async fn choice(
    State(federation): Shared,
    Path(flow): Path<String>,
    Query(query): Query<ChoiceQuery>,
) -> Response {
    let Some(login) = federation.fcplus_flows.get(&flow, federation.world.now()) else {
        return unknown_flow();
    };
    pages::fc_choice(
        &login.service,
        &format!("/fcplus/choix/{flow}/laposte"),
        &format!("/fcplus/abandon/{flow}"),
        query.echec.is_some().then_some(pages::FC_IDP_FAILED),
    )
    .into_response()
}

/// The person picked La Poste: FranceConnect+ sends its own authorization request there.
async fn choose_laposte(State(federation): Shared, headers: HeaderMap, Path(flow): Path<String>) -> Response {
    let nonce = random_token();
    let now = federation.world.now();
    let Some(login) = federation.fcplus_flows.update(&flow, now, |login| {
        login.idp_nonce = Some(nonce.clone());
    }) else {
        return unknown_flow();
    };
    let base = base_url(&headers);
    let mut url = reqwest::Url::parse(&format!("{}/authorize", ProviderKind::LaPoste.issuer(&base)))
        .expect("the world's address is a URL");
    let mut scopes = vec!["openid", rules::PIVOT_SCOPE];
    scopes.extend(rules::CONTACT_CLAIMS);
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", FCPLUS_CLIENT_ID)
        .append_pair("redirect_uri", &format!("{base}/fcplus/callback"))
        .append_pair("scope", &scopes.join(" "))
        .append_pair("state", &flow)
        .append_pair("nonce", &nonce)
        .append_pair("acr_values", login.request.acr.as_str())
        .append_pair("sp_name", &login.service);
    Redirect::to(url.as_str()).into_response()
}

#[derive(Debug, Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// La Poste answered: verify everything as any client would, then answer the relying party.
async fn callback(
    State(federation): Shared,
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let flow = query.state.unwrap_or_default();
    let now = federation.world.now();
    let Some(login) = federation.fcplus_flows.get(&flow, now) else {
        return unknown_flow();
    };
    let back_to_choice = Redirect::to(&format!("/fcplus/choix/{flow}?echec=1")).into_response();
    let (Some(code), None, Some(nonce)) = (query.code, query.error, login.idp_nonce.clone()) else {
        return back_to_choice;
    };
    let base = base_url(&headers);
    let laposte = RelyingClient {
        issuer: ProviderKind::LaPoste.issuer(&base),
        client_id: FCPLUS_CLIENT_ID,
        client_secret: &federation.keys.fcplus_client_secret,
        decryption: &federation.keys.fcplus_decryption,
        redirect_uri: format!("{base}/fcplus/callback"),
    };
    let verified = match laposte
        .complete(&federation.http, &federation.jwks_cache, &code, &nonce, now)
        .await
    {
        Ok(verified) => verified,
        Err(error) => {
            tracing::warn!(%error, "La Poste login could not be verified");
            return back_to_choice;
        }
    };
    if federation.fcplus_flows.take(&flow).is_none() {
        return unknown_flow();
    }
    let now = federation.world.now();
    let code = random_token();
    federation.fcplus.codes.insert(
        code.clone(),
        CodeGrant {
            client_id: login.request.client_id.clone(),
            redirect_uri: login.request.redirect_uri.clone(),
            issued_at: now,
            code_challenge: login.request.code_challenge.clone(),
            grant: Grant {
                // La Poste's pairwise sub for FranceConnect+ identifies the person here.
                subject: verified.sub,
                nonce: login.request.nonce.clone(),
                acr: rules::LA_POSTE_ACR,
                amr: verified.amr,
                auth_time: verified.auth_time,
                scopes: login.request.scopes.clone(),
                identity: verified.identity,
            },
        },
        now + rules::CODE_LIFETIME,
        now,
    );
    let Ok(mut url) = reqwest::Url::parse(&login.request.redirect_uri) else {
        return pages::fc_error("redirect_uri_mismatch").into_response();
    };
    url.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &login.request.state);
    Redirect::to(url.as_str()).into_response()
}

async fn abandon(State(federation): Shared, Path(flow): Path<String>) -> Response {
    match federation.fcplus_flows.take(&flow) {
        Some(login) => error_redirect(
            &login.request.redirect_uri,
            Some(&login.request.state),
            "access_denied",
            "the person went back to the service without logging in",
        ),
        None => unknown_flow(),
    }
}

#[derive(Debug, Deserialize)]
struct EndSession {
    id_token_hint: Option<String>,
    state: Option<String>,
    post_logout_redirect_uri: Option<String>,
}

/// RP-initiated logout: a known `id_token_hint` (encrypted or decrypted), a `state`, and a registered
/// `post_logout_redirect_uri` of the same client; the person goes back there with the state.
async fn end_session(
    State(federation): Shared,
    headers: HeaderMap,
    Query(query): Query<EndSession>,
) -> Result<Response, WorldError> {
    let refused = || Ok((StatusCode::BAD_REQUEST, pages::fc_error("logout_refused")).into_response());
    let (Some(hint), Some(state), Some(target)) =
        (query.id_token_hint, query.state, query.post_logout_redirect_uri)
    else {
        return refused();
    };
    if state.chars().count() < rules::MIN_STATE_NONCE_CHARS {
        return refused();
    }
    // The token as issued (a JWE) or the JWS inside it, which a relying party that decrypted the
    // token holds (OIDC Core 3.1.2.1); either one ends the session, and only once.
    let Some(client_id) = federation.issued_id_tokens.take(&id_token_digest(&hint)) else {
        return refused();
    };
    let client = federation
        .client(ProviderKind::FranceConnectPlus, &client_id, &base_url(&headers))
        .await?;
    let Some(client) = client.filter(|client| client.post_logout_redirect_uris.contains(&target)) else {
        return refused();
    };
    let Ok(mut url) = reqwest::Url::parse(&target) else {
        return refused();
    };
    url.query_pairs_mut().append_pair("state", &state);
    tracing::info!(client = %client.client_id, "FranceConnect+ session ended");
    Ok(Redirect::to(url.as_str()).into_response())
}
