//! The sign-in page and form (throttled per client address, with a double-submit cookie),
//! sign-out, and the home page that sends each role to its desk.

use super::auth::{self, Role};
use super::handlers::{see_other, Session, Shared};
use super::pages;
use super::{
    cleared_session_cookie, cookie, secure_suffix, session_cookie, set_cookie, LOGIN_COOKIE, SESSION_COOKIE,
};
use crate::throttle::{self, ClientAddress};
use crate::WorldError;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use serde::Deserialize;

fn login_form(headers: &HeaderMap, error: Option<&str>, status: StatusCode) -> Response {
    let token = auth::fresh_token();
    let mut response = pages::login(status, &token, error);
    set_cookie(
        &mut response,
        format!(
            "{LOGIN_COOKIE}={token}; Path=/console/connexion; HttpOnly; SameSite=Strict; Max-Age=1800{}",
            secure_suffix(headers)
        ),
    );
    response
}

pub async fn login_page(State(world): Shared, headers: HeaderMap) -> Response {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        if let Ok(Some(_)) = auth::session(&world, &token).await {
            return see_other("/console");
        }
    }
    login_form(&headers, None, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    email: String,
    password: String,
}

pub async fn login(
    State(world): Shared,
    client: ClientAddress,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let sent_back = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if sent_back.is_empty() || !auth::same_secret(&sent_back, &form.csrf) {
        return login_form(&headers, Some(pages::LOGIN_FORM_EXPIRED), StatusCode::FORBIDDEN);
    }
    match auth::open_session(&world, client.0, &form.email, &form.password).await {
        Ok(Ok((token, _))) => {
            let mut response = see_other("/console");
            set_cookie(&mut response, session_cookie(&token, &headers));
            set_cookie(
                &mut response,
                format!("{LOGIN_COOKIE}=; Path=/console/connexion; HttpOnly; SameSite=Strict; Max-Age=0"),
            );
            response
        }
        Ok(Err(refusal)) => login_form(
            &headers,
            Some(&refusal.message_fr(super::Surface::Page)),
            refusal.status(),
        ),
        Err(error @ WorldError::Throttled { .. }) => {
            // The form again, saying how long this device waits; the header says it to programs.
            let mut response = login_form(&headers, Some(&error.message_fr()), error.http_status());
            throttle::add_retry_after(&error, &mut response);
            response
        }
        Err(error) => error.into_response(),
    }
}

pub async fn logout(State(world): Shared, Extension(session): Session, headers: HeaderMap) -> Response {
    let token = cookie(&headers, SESSION_COOKIE);
    if let Err(error) = auth::close_session(&world, &session, token.as_deref()).await {
        return error.into_response();
    }
    let mut response = see_other("/console/connexion");
    set_cookie(&mut response, cleared_session_cookie());
    response
}

pub async fn home(Extension(session): Session) -> Response {
    see_other(match session.role {
        Role::Trainer | Role::SupportAgent => "/console/apprenants",
        Role::Reviewer => "/console/revue",
        Role::Clerk => "/console/guichet",
    })
}
