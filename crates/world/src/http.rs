//! The world's HTTP API (axum): handlers parse, call one `World` method, render. The OpenAPI
//! description is generated from these handlers and served at `/api/openapi.json`.

use crate::api::{
    ActivationRequest, ApiError, ApprovalAnswer, ClerkLookup, ClerkValidation, ClockAdvance, ClockSetting,
    ClockView, DeclineAnswer, InboxMessage, JournalEntry, LearnerAction, LearnerSettings, LearnerView,
    LoginRequestView, MediaKind, MediaView, NewLearner, NewLoginRequest, WorldKeys, WorldStatus,
};
use crate::world::{World, MAX_MEDIA_BYTES};
use crate::WorldError;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use chrono::TimeDelta;
use serde::Deserialize;
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type Shared = State<Arc<World>>;
type ApiResult<T> = Result<Json<T>, WorldError>;

impl IntoResponse for WorldError {
    fn into_response(self) -> Response {
        let status = match &self {
            WorldError::Journey(_) => StatusCode::UNPROCESSABLE_ENTITY,
            WorldError::NotFound { .. } => StatusCode::NOT_FOUND,
            WorldError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            WorldError::Storage(_)
            | WorldError::Migration(_)
            | WorldError::Io(_)
            | WorldError::Corrupt(_) => {
                tracing::error!(error = %self, "world request failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        if status != StatusCode::INTERNAL_SERVER_ERROR {
            tracing::info!(code = self.code(), error = %self, "request refused");
        }
        (
            status,
            Json(ApiError {
                code: self.code().into(),
                message: self.message_fr(),
            }),
        )
            .into_response()
    }
}

#[derive(OpenApi)]
#[openapi(info(
    title = "IDN Sandbox — monde simulé",
    description = "Simulation of the services behind L'Identité Numérique La Poste: La Poste account, inbox, AR24, post-office clerk, clock and login approvals. Never a real service."
))]
struct ApiDoc;

/// The router with every route; `fn app` stays apart from serving so tests can call it directly.
pub fn app(world: Arc<World>) -> Router {
    let (router, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(status))
        .routes(routes!(keys))
        .routes(routes!(clock, set_clock))
        .routes(routes!(advance_clock))
        .routes(routes!(list_learners, create_learner))
        .routes(routes!(learner))
        .routes(routes!(act))
        .routes(routes!(settings))
        .routes(routes!(inbox))
        .routes(routes!(journal))
        .routes(routes!(upload_media))
        .routes(routes!(activate))
        .routes(routes!(pending_login_requests))
        .routes(routes!(answer_login_request))
        .routes(routes!(decline_login_request))
        .routes(routes!(open_login_request))
        .routes(routes!(login_request))
        .routes(routes!(clerk_lookup))
        .routes(routes!(clerk_validate))
        .with_state(world)
        .split_for_parts();
    let openapi = Arc::new(openapi);
    router
        .route(
            "/api/openapi.json",
            axum::routing::get(move || async move { Json(openapi.as_ref().clone()) }),
        )
        .layer(DefaultBodyLimit::max(MAX_MEDIA_BYTES + 1024))
}

#[utoipa::path(get, path = "/api/status", responses((status = 200, body = WorldStatus)))]
async fn status(State(world): Shared) -> ApiResult<WorldStatus> {
    Ok(Json(world.status().await?))
}

/// The world's public HPKE key, to which devices seal secret codes.
#[utoipa::path(get, path = "/api/keys", responses((status = 200, body = WorldKeys)))]
async fn keys(State(world): Shared) -> Json<WorldKeys> {
    Json(world.keys())
}

#[utoipa::path(get, path = "/api/clock", responses((status = 200, body = ClockView)))]
async fn clock(State(world): Shared) -> Json<ClockView> {
    Json(world.clock_view())
}

/// Sets the clock's mode (real, accelerated ×N, manual), optionally jumping to a time.
#[utoipa::path(put, path = "/api/clock", request_body = ClockSetting, responses((status = 200, body = ClockView), (status = 400, body = ApiError)))]
async fn set_clock(State(world): Shared, Json(setting): Json<ClockSetting>) -> ApiResult<ClockView> {
    Ok(Json(world.set_clock(setting.mode, setting.now).await?))
}

/// Moves simulated time forward; due letters, reviews and expiries happen at once.
#[utoipa::path(post, path = "/api/clock/advance", request_body = ClockAdvance, responses((status = 200, body = ClockView), (status = 400, body = ApiError)))]
async fn advance_clock(State(world): Shared, Json(advance): Json<ClockAdvance>) -> ApiResult<ClockView> {
    let delta = TimeDelta::try_seconds(advance.seconds)
        .ok_or_else(|| WorldError::bad_request("invalid_duration", "Durée invalide."))?;
    Ok(Json(world.advance_clock(delta).await?))
}

#[utoipa::path(get, path = "/api/learners", responses((status = 200, body = Vec<LearnerView>)))]
async fn list_learners(State(world): Shared) -> ApiResult<Vec<LearnerView>> {
    Ok(Json(world.learners().await?))
}

/// Starts a La Poste account: the 6-digit code is emailed to the identifier.
#[utoipa::path(post, path = "/api/learners", request_body = NewLearner, responses((status = 200, body = LearnerView), (status = 422, body = ApiError)))]
async fn create_learner(State(world): Shared, Json(new): Json<NewLearner>) -> ApiResult<LearnerView> {
    Ok(Json(world.create_learner(&new.email).await?))
}

#[utoipa::path(get, path = "/api/learners/{id}", params(("id" = String, Path)), responses((status = 200, body = LearnerView), (status = 404, body = ApiError)))]
async fn learner(State(world): Shared, Path(id): Path<String>) -> ApiResult<LearnerView> {
    Ok(Json(world.learner(&id).await?))
}

/// One action of the person on the account or the AR24 letter.
#[utoipa::path(post, path = "/api/learners/{id}/actions", params(("id" = String, Path)), request_body = LearnerAction, responses((status = 200, body = LearnerView), (status = 422, body = ApiError)))]
async fn act(
    State(world): Shared,
    Path(id): Path<String>,
    Json(action): Json<LearnerAction>,
) -> ApiResult<LearnerView> {
    Ok(Json(world.act(&id, action).await?))
}

/// Trainer setting: how the next online identification is reviewed.
#[utoipa::path(put, path = "/api/learners/{id}/settings", params(("id" = String, Path)), request_body = LearnerSettings, responses((status = 200, body = LearnerView)))]
async fn settings(
    State(world): Shared,
    Path(id): Path<String>,
    Json(settings): Json<LearnerSettings>,
) -> ApiResult<LearnerView> {
    Ok(Json(world.set_review_policy(&id, settings.review).await?))
}

/// Emails, SMS and letters the person received.
#[utoipa::path(get, path = "/api/learners/{id}/inbox", params(("id" = String, Path)), responses((status = 200, body = Vec<InboxMessage>)))]
async fn inbox(State(world): Shared, Path(id): Path<String>) -> ApiResult<Vec<InboxMessage>> {
    Ok(Json(world.inbox(&id).await?))
}

/// Everything that happened to the learner, refused actions included.
#[utoipa::path(get, path = "/api/learners/{id}/journal", params(("id" = String, Path)), responses((status = 200, body = Vec<JournalEntry>)))]
async fn journal(State(world): Shared, Path(id): Path<String>) -> ApiResult<Vec<JournalEntry>> {
    Ok(Json(world.journal(&id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct MediaQuery {
    kind: MediaKind,
}

/// Uploads a photo or the video; the body is the file, `x-content-sha256` its SHA-256 (hex).
#[utoipa::path(post, path = "/api/learners/{id}/media", params(("id" = String, Path), MediaQuery), request_body(content = Vec<u8>, content_type = "application/octet-stream"), responses((status = 200, body = MediaView), (status = 400, body = ApiError)))]
async fn upload_media(
    State(world): Shared,
    Path(id): Path<String>,
    Query(query): Query<MediaQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<MediaView> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let checksum = header("x-content-sha256");
    if checksum.is_empty() {
        return Err(WorldError::bad_request(
            "checksum_missing",
            "La somme de contrôle du fichier manque (en-tête x-content-sha256).",
        ));
    }
    Ok(Json(
        world
            .store_media(&id, query.kind, &header("content-type"), &checksum, &body)
            .await?,
    ))
}

/// The device types the activation code and enrols its key and the sealed secret code.
#[utoipa::path(post, path = "/api/learners/{id}/activation", params(("id" = String, Path)), request_body = ActivationRequest, responses((status = 200, body = LearnerView), (status = 422, body = ApiError)))]
async fn activate(
    State(world): Shared,
    Path(id): Path<String>,
    Json(request): Json<ActivationRequest>,
) -> ApiResult<LearnerView> {
    Ok(Json(world.activate(&id, request).await?))
}

/// Login requests waiting for approval in the app.
#[utoipa::path(get, path = "/api/learners/{id}/login-requests", params(("id" = String, Path)), responses((status = 200, body = Vec<LoginRequestView>)))]
async fn pending_login_requests(
    State(world): Shared,
    Path(id): Path<String>,
) -> ApiResult<Vec<LoginRequestView>> {
    Ok(Json(world.pending_login_requests(&id).await?))
}

#[utoipa::path(post, path = "/api/learners/{id}/login-requests/{request_id}/approve", params(("id" = String, Path), ("request_id" = String, Path)), request_body = ApprovalAnswer, responses((status = 200, body = LoginRequestView), (status = 422, body = ApiError)))]
async fn answer_login_request(
    State(world): Shared,
    Path((id, request_id)): Path<(String, String)>,
    Json(answer): Json<ApprovalAnswer>,
) -> ApiResult<LoginRequestView> {
    Ok(Json(world.answer_login_request(&id, &request_id, answer).await?))
}

#[utoipa::path(post, path = "/api/learners/{id}/login-requests/{request_id}/decline", params(("id" = String, Path), ("request_id" = String, Path)), request_body = DeclineAnswer, responses((status = 200, body = LoginRequestView), (status = 422, body = ApiError)))]
async fn decline_login_request(
    State(world): Shared,
    Path((id, request_id)): Path<(String, String)>,
    Json(answer): Json<DeclineAnswer>,
) -> ApiResult<LoginRequestView> {
    Ok(Json(world.decline_login_request(&id, &request_id, answer).await?))
}

/// The relying party's side: a person typed their mobile number on FranceConnect+.
#[utoipa::path(post, path = "/api/login-requests", request_body = NewLoginRequest, responses((status = 200, body = LoginRequestView), (status = 422, body = ApiError)))]
async fn open_login_request(
    State(world): Shared,
    Json(request): Json<NewLoginRequest>,
) -> ApiResult<LoginRequestView> {
    Ok(Json(world.open_login_request(request).await?))
}

#[utoipa::path(get, path = "/api/login-requests/{request_id}", params(("request_id" = String, Path)), responses((status = 200, body = LoginRequestView), (status = 422, body = ApiError)))]
async fn login_request(State(world): Shared, Path(request_id): Path<String>) -> ApiResult<LoginRequestView> {
    Ok(Json(world.login_request(&request_id).await?))
}

/// The clerk types the face-to-face code to find the person.
#[utoipa::path(get, path = "/api/clerk/{code}", params(("code" = String, Path)), responses((status = 200, body = ClerkLookup), (status = 404, body = ApiError)))]
async fn clerk_lookup(State(world): Shared, Path(code): Path<String>) -> ApiResult<ClerkLookup> {
    Ok(Json(world.clerk_lookup(&code).await?))
}

/// The clerk compares the document shown with the confirmed data and validates.
#[utoipa::path(post, path = "/api/clerk/validations", request_body = ClerkValidation, responses((status = 200, body = LearnerView), (status = 422, body = ApiError)))]
async fn clerk_validate(
    State(world): Shared,
    Json(validation): Json<ClerkValidation>,
) -> ApiResult<LearnerView> {
    Ok(Json(world.clerk_validate(validation).await?))
}
