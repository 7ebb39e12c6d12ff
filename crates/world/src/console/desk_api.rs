//! The review and clerk desks as JSON (`/console/api/…`), so that programs (the scenario engine,
//! the tests) decide with data instead of reading pages: the same staff sign-in, session cookie,
//! roles, guard and audit as the pages, the decisions of `desks.rs`, the bodies of `idn_api`'s
//! desk module, errors as `{code, message}` with `WorldError`'s status.
//!
//! The sign-in takes JSON only: a cross-site form cannot send `application/json` without the
//! browser asking first (CORS), and the world never allows it. Every state-changing call carries
//! the session's CSRF token in the `X-CSRF-Token` header, checked by the guard.

use super::auth::{self, StaffSession};
use super::{cleared_session_cookie, cookie, desks, session_cookie, set_cookie, SESSION_COOKIE};
use crate::api::{
    ClerkCase, ClerkDecided, ClerkVerdict, ReviewDecided, ReviewDeskSetting, ReviewQueueItem,
    ReviewSubmission, ReviewVerdict, StaffSessionView, StaffSignIn,
};
use crate::throttle::{self, ClientAddress};
use crate::{World, WorldError};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use std::sync::Arc;

type Shared = State<Arc<World>>;
type Session = Extension<StaffSession>;
type Answer<T> = Result<Json<T>, WorldError>;

/// A JSON body whose rejection answers `{code, message}` in French (as the world's API does).
#[derive(axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(WorldError))]
pub struct Body<T>(T);

/// A path parameter whose rejection answers `{code, message}` in French.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(WorldError))]
pub struct Path<T>(T);

/// `POST /console/api/connexion`: opens a session (throttled per client like the form), sets
/// its cookie and answers its CSRF token; a client that must wait gets 429 `too_many_requests`
/// with `Retry-After`.
pub async fn sign_in(
    State(world): Shared,
    client: ClientAddress,
    headers: HeaderMap,
    Body(credentials): Body<StaffSignIn>,
) -> Response {
    match auth::open_session(&world, client.0, &credentials.email, &credentials.password).await {
        Ok(Ok((token, session))) => {
            let mut response = Json(StaffSessionView {
                email: session.email,
                role: session.role.code().to_owned(),
                csrf_token: session.csrf_token,
                expires_at: session.expires_at,
            })
            .into_response();
            set_cookie(&mut response, session_cookie(&token, &headers));
            response
        }
        Ok(Err(refusal)) => refusal.json(),
        Err(WorldError::Throttled { retry_after }) => throttle::refusal(retry_after),
        Err(error) => error.into_response(),
    }
}

/// `POST /console/api/deconnexion`: the session ends at once; 204.
pub async fn sign_out(State(world): Shared, Extension(session): Session, headers: HeaderMap) -> Response {
    let token = cookie(&headers, SESSION_COOKIE);
    match auth::close_session(&world, &session, token.as_deref()).await {
        Ok(()) => {
            let mut response = StatusCode::NO_CONTENT.into_response();
            set_cookie(&mut response, cleared_session_cookie());
            response
        }
        Err(error) => error.into_response(),
    }
}

/// `GET /console/api/revue`: the identifications waiting for review.
pub async fn review_queue(State(world): Shared) -> Answer<Vec<ReviewQueueItem>> {
    desks::review_queue(&world).await.map(Json)
}

/// `GET /console/api/revue/{id}`: one identification under review.
pub async fn submission(State(world): Shared, Path(id): Path<String>) -> Answer<ReviewSubmission> {
    desks::submission(&world, &id).await.map(Json)
}

/// `POST /console/api/revue/{id}/decision`: accept, or refuse with a reason's code.
pub async fn review_decide(
    State(world): Shared,
    Extension(session): Session,
    Path(id): Path<String>,
    Body(verdict): Body<ReviewVerdict>,
) -> Answer<ReviewDecided> {
    desks::decide_review(&world, &session, &id, &verdict)
        .await
        .map(Json)
}

/// `PUT /console/api/apprenants/{id}/revue`: « revue manuelle » or automatic review.
pub async fn set_review_desk(
    State(world): Shared,
    Extension(session): Session,
    Path(id): Path<String>,
    Body(setting): Body<ReviewDeskSetting>,
) -> Answer<ReviewDeskSetting> {
    desks::set_review_desk(&world, &session, &id, setting)
        .await
        .map(Json)
}

/// `GET /console/api/guichet/{code}`: what the clerk sees for this face-to-face code.
pub async fn clerk_case(
    State(world): Shared,
    Extension(session): Session,
    Path(code): Path<String>,
) -> Answer<ClerkCase> {
    desks::clerk_case(&world, &session, &code).await.map(Json)
}

/// `POST /console/api/guichet/decisions`: validate with the document copied, or refuse.
pub async fn clerk_decide(
    State(world): Shared,
    Extension(session): Session,
    Body(verdict): Body<ClerkVerdict>,
) -> Answer<ClerkDecided> {
    desks::decide_clerk(&world, &session, &verdict).await.map(Json)
}
