//! The world's HTTP API (axum): handlers parse, call one `World` method, render. The OpenAPI
//! description is generated from these handlers and served at `/api/openapi.json`.

use crate::api::{
    ActivationRequest, ApiError, ApprovalAnswer, ClerkLookup, ClerkValidation, ClockAdvance, ClockSetting,
    ClockView, DeclineAnswer, DeliveryPlan, InboxMessage, JournalEntry, LearnerAction, LearnerSettings,
    LearnerSituation, LearnerView, LoginRequestView, MediaKind, MediaView, NewLearner, NewLoginRequest,
    PlannedLearner, WorldKeys, WorldStatus,
};
use crate::world::{World, MAX_MEDIA_BYTES};
use crate::WorldError;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, State};
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

/// JSON bodies, path and query parameters whose rejections answer in the API's error format
/// (stable code, French message) instead of axum's plain text.
#[derive(axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(WorldError))]
struct Body<T>(T);

#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(WorldError))]
struct Path<T>(T);

#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(WorldError))]
struct Query<T>(T);

impl From<JsonRejection> for WorldError {
    fn from(rejection: JsonRejection) -> Self {
        let message = match &rejection {
            JsonRejection::MissingJsonContentType(_) => {
                "La requête doit être en JSON (Content-Type: application/json).".to_owned()
            }
            JsonRejection::JsonSyntaxError(_) => {
                "Le corps de la requête n'est pas du JSON valide.".to_owned()
            }
            JsonRejection::JsonDataError(error) => {
                format!("Champs de la requête invalides : {}", error.body_text())
            }
            JsonRejection::BytesRejection(_) => {
                "Le corps de la requête est illisible ou trop volumineux.".to_owned()
            }
            _ => "Requête invalide.".to_owned(),
        };
        tracing::info!(%rejection, "JSON body refused");
        WorldError::bad_request("invalid_body", message)
    }
}

impl From<PathRejection> for WorldError {
    fn from(rejection: PathRejection) -> Self {
        tracing::info!(%rejection, "path refused");
        WorldError::bad_request("invalid_path", "Adresse de la requête invalide.")
    }
}

impl From<QueryRejection> for WorldError {
    fn from(rejection: QueryRejection) -> Self {
        tracing::info!(%rejection, "query refused");
        WorldError::bad_request(
            "invalid_query",
            format!("Paramètres de la requête invalides : {}", rejection.body_text()),
        )
    }
}

/// Largest JSON body: forms and answers are small; only media uploads are large.
const MAX_JSON_BYTES: usize = 64 * 1024;

impl IntoResponse for WorldError {
    fn into_response(self) -> Response {
        let status = self.http_status();
        if status.is_server_error() {
            tracing::error!(error = %self, "world request failed");
        } else {
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
#[openapi(
    components(schemas(MediaKind)),
    info(
        title = "IDN Sandbox — monde simulé",
        description = "Simulation of the services behind L'Identité Numérique La Poste: La Poste account, inbox, AR24, post-office clerk, clock and login approvals. Never a real service."
    )
)]
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
        .routes(routes!(delivery_plan))
        .routes(routes!(create_planned_learner))
        .routes(routes!(inbox))
        .routes(routes!(journal))
        .routes(routes!(situation))
        .routes(routes!(learner_clock))
        .routes(routes!(advance_learner_clock))
        .routes(routes!(learner_events))
        .routes(routes!(activate))
        .routes(routes!(pending_login_requests))
        .routes(routes!(answer_login_request))
        .routes(routes!(decline_login_request))
        .routes(routes!(open_login_request))
        .routes(routes!(login_request))
        .routes(routes!(clerk_lookup))
        .routes(routes!(clerk_validate))
        .routes(routes!(start_account_login))
        .routes(routes!(confirm_account_login))
        .merge(crate::federation::api_routes())
        .layer(DefaultBodyLimit::max(MAX_JSON_BYTES))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(upload_media))
                .layer(DefaultBodyLimit::max(MAX_MEDIA_BYTES)),
        )
        .with_state(world.clone())
        .split_for_parts();
    let openapi = Arc::new(openapi);
    // FranceConnect+, La Poste's identity provider and the demo services (pages and OIDC).
    let router = match crate::federation::router(world.clone()) {
        Ok(federation) => router.merge(federation),
        Err(error) => {
            tracing::error!(%error, "FranceConnect+ simulation unavailable: its keys could not be read");
            router
        }
    };
    // The trainers' and support agents' console (staff sessions only; see `console`).
    let router = router.merge(crate::console::router(world.clone()));
    // The welcome page a trainer projects: the QR codes to join the class and to continue on a phone.
    let router = router.merge(crate::welcome::router(world.clone()));
    router
        .route(
            "/api/openapi.json",
            axum::routing::get(move || async move { Json(openapi.as_ref().clone()) }),
        )
        .fallback(|| async { WorldError::NotFound { what: "adresse" } })
        .layer(axum::middleware::map_response(method_not_allowed_as_json))
}

/// axum answers an unsupported method with an empty 405; give it the API's error format.
async fn method_not_allowed_as_json(response: Response) -> Response {
    if response.status() == StatusCode::METHOD_NOT_ALLOWED {
        let error = ApiError {
            code: "method_not_allowed".into(),
            message: "Cette méthode HTTP n'est pas acceptée à cette adresse.".into(),
        };
        return (StatusCode::METHOD_NOT_ALLOWED, Json(error)).into_response();
    }
    response
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
async fn set_clock(State(world): Shared, Body(setting): Body<ClockSetting>) -> ApiResult<ClockView> {
    Ok(Json(world.set_clock(setting.mode, setting.now).await?))
}

/// Moves simulated time forward; due letters, reviews and expiries happen at once.
#[utoipa::path(post, path = "/api/clock/advance", request_body = ClockAdvance, responses((status = 200, body = ClockView), (status = 400, body = ApiError)))]
async fn advance_clock(State(world): Shared, Body(advance): Body<ClockAdvance>) -> ApiResult<ClockView> {
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
async fn create_learner(State(world): Shared, Body(new): Body<NewLearner>) -> ApiResult<LearnerView> {
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
    Body(action): Body<LearnerAction>,
) -> ApiResult<LearnerView> {
    Ok(Json(world.act(&id, action).await?))
}

/// Trainer setting: how the next online identification is reviewed.
#[utoipa::path(put, path = "/api/learners/{id}/settings", params(("id" = String, Path)), request_body = LearnerSettings, responses((status = 200, body = LearnerView)))]
async fn settings(
    State(world): Shared,
    Path(id): Path<String>,
    Body(settings): Body<LearnerSettings>,
) -> ApiResult<LearnerView> {
    Ok(Json(world.set_review_policy(&id, settings.review).await?))
}

/// Trainer setting: what the mail and SMS providers do with the learner's next messages (spam,
/// never delivered). Journaled, like every change of a learner.
#[utoipa::path(put, path = "/api/learners/{id}/delivery", params(("id" = String, Path)), request_body = DeliveryPlan, responses((status = 200, body = LearnerView), (status = 400, body = ApiError), (status = 404, body = ApiError)))]
async fn delivery_plan(
    State(world): Shared,
    Path(id): Path<String>,
    Body(plan): Body<DeliveryPlan>,
) -> ApiResult<LearnerView> {
    Ok(Json(world.set_delivery_plan(&id, plan.faults).await?))
}

/// A trainer or a scenario creates a learner whose messages follow a delivery plan from the
/// first one (the emailed code is sent as the account starts).
#[utoipa::path(post, path = "/api/trainer/learners", request_body = PlannedLearner, responses((status = 200, body = LearnerView), (status = 400, body = ApiError), (status = 422, body = ApiError)))]
async fn create_planned_learner(
    State(world): Shared,
    Body(new): Body<PlannedLearner>,
) -> ApiResult<LearnerView> {
    Ok(Json(
        world.create_planned_learner(&new.email, new.delivery).await?,
    ))
}

/// Emails, SMS and letters the person received.
#[utoipa::path(get, path = "/api/learners/{id}/inbox", params(("id" = String, Path)), responses((status = 200, body = Vec<InboxMessage>)))]
async fn inbox(State(world): Shared, Path(id): Path<String>) -> ApiResult<Vec<InboxMessage>> {
    Ok(Json(world.inbox(&id).await?))
}

/// Where the learner is stuck, as a support agent reads it: the code awaited (attempts and
/// resends left), the blockers, the identity as typed, the delivery still planned.
#[utoipa::path(get, path = "/api/learners/{id}/situation", params(("id" = String, Path)), responses((status = 200, body = LearnerSituation), (status = 404, body = ApiError)))]
async fn situation(State(world): Shared, Path(id): Path<String>) -> ApiResult<LearnerSituation> {
    Ok(Json(world.situation(&id).await?))
}

/// One learner's clock: the class clock plus the learner's own advance.
#[utoipa::path(get, path = "/api/learners/{id}/clock", params(("id" = String, Path)), responses((status = 200, body = crate::api::LearnerClockView), (status = 404, body = ApiError)))]
async fn learner_clock(
    State(world): Shared,
    Path(id): Path<String>,
) -> ApiResult<crate::api::LearnerClockView> {
    Ok(Json(world.learner_clock(&id).await?))
}

/// Moves one learner's time forward, the rest of the class keeping the class clock: their due
/// codes expire, their review is decided, their 15 days pass. Journaled.
#[utoipa::path(post, path = "/api/learners/{id}/clock/advance", params(("id" = String, Path)), request_body = ClockAdvance, responses((status = 200, body = crate::api::LearnerClockView), (status = 400, body = ApiError), (status = 404, body = ApiError)))]
async fn advance_learner_clock(
    State(world): Shared,
    Path(id): Path<String>,
    Body(advance): Body<ClockAdvance>,
) -> ApiResult<crate::api::LearnerClockView> {
    let delta = TimeDelta::try_seconds(advance.seconds)
        .ok_or_else(|| WorldError::bad_request("invalid_duration", "Durée invalide."))?;
    Ok(Json(world.advance_learner_clock(&id, delta).await?))
}

/// Everything that happened to the learner, refused actions included.
#[utoipa::path(get, path = "/api/learners/{id}/journal", params(("id" = String, Path)), responses((status = 200, body = Vec<JournalEntry>)))]
async fn journal(State(world): Shared, Path(id): Path<String>) -> ApiResult<Vec<JournalEntry>> {
    Ok(Json(world.journal(&id).await?))
}

/// Live updates for the device's screens and the console: a server-sent `learner` event with the
/// learner's view now, then after every change (step, inbox, journal, login request). Lagging
/// receivers skip to the current view; nothing is lost because each event is a full view.
#[utoipa::path(get, path = "/api/learners/{id}/events", params(("id" = String, Path)), responses((status = 200, content_type = "text/event-stream", body = LearnerView), (status = 404, body = ApiError)))]
async fn learner_events(State(world): Shared, Path(id): Path<String>) -> Result<Response, WorldError> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    use tokio::sync::broadcast::error::RecvError;

    let changes = world.subscribe();
    let first = world.learner(&id).await?;
    let event = |view: &LearnerView| Event::default().event("learner").json_data(view);
    let initial = futures_util::stream::once(std::future::ready(event(&first)));
    let updates =
        futures_util::stream::unfold((world, id, changes), move |(world, id, mut changes)| async move {
            loop {
                match changes.recv().await {
                    Ok(change) if change.learner_id != id => continue,
                    Ok(_) | Err(RecvError::Lagged(_)) => match world.learner(&id).await {
                        Ok(view) => return Some((event(&view), (world, id, changes))),
                        Err(error) => {
                            tracing::warn!(%error, learner = %id, "event stream ends: learner unreadable");
                            return None;
                        }
                    },
                    Err(RecvError::Closed) => return None,
                }
            }
        });
    let stream = futures_util::StreamExt::chain(initial, updates);
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()).into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct MediaQuery {
    kind: MediaKind,
}

/// Uploads a photo or the video; the body is the file, `x-content-sha256` its SHA-256 (hex).
#[utoipa::path(post, path = "/api/learners/{id}/media", params(("id" = String, Path), MediaQuery), request_body(content = Vec<u8>, content_type = "application/octet-stream"), responses((status = 200, body = MediaView), (status = 400, body = ApiError), (status = 413, body = ApiError)))]
async fn upload_media(
    State(world): Shared,
    Path(id): Path<String>,
    Query(query): Query<MediaQuery>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<MediaView> {
    let body = body.map_err(|rejection| {
        tracing::info!(%rejection, "media body refused");
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            WorldError::TooLarge {
                limit: MAX_MEDIA_BYTES,
            }
        } else {
            WorldError::bad_request("invalid_body", "Le fichier envoyé est illisible ; réessayez.")
        }
    })?;
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
    Body(request): Body<ActivationRequest>,
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
    Body(answer): Body<ApprovalAnswer>,
) -> ApiResult<LoginRequestView> {
    Ok(Json(world.answer_login_request(&id, &request_id, answer).await?))
}

#[utoipa::path(post, path = "/api/learners/{id}/login-requests/{request_id}/decline", params(("id" = String, Path), ("request_id" = String, Path)), request_body = DeclineAnswer, responses((status = 200, body = LoginRequestView), (status = 422, body = ApiError)))]
async fn decline_login_request(
    State(world): Shared,
    Path((id, request_id)): Path<(String, String)>,
    Body(answer): Body<DeclineAnswer>,
) -> ApiResult<LoginRequestView> {
    Ok(Json(world.decline_login_request(&id, &request_id, answer).await?))
}

/// The relying party's side: a person typed their mobile number on FranceConnect+.
#[utoipa::path(post, path = "/api/login-requests", request_body = NewLoginRequest, responses((status = 200, body = LoginRequestView), (status = 422, body = ApiError)))]
async fn open_login_request(
    State(world): Shared,
    Body(request): Body<NewLoginRequest>,
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
    Body(validation): Body<ClerkValidation>,
) -> ApiResult<LearnerView> {
    Ok(Json(world.clerk_validate(validation).await?))
}

/// « Se connecter avec un compte La Poste existant »: a right password sends a confirmation code
/// (by SMS to a confirmed mobile, else by email). A wrong password and an unknown email get the
/// same refusal; five wrong passwords in a row lock the login for 15 minutes.
#[utoipa::path(post, path = "/api/account-logins", request_body = crate::api::AccountLogin, responses((status = 200, body = crate::api::AccountLoginChallenge), (status = 422, body = ApiError, description = "wrong_credentials, account_locked, invalid_email")))]
async fn start_account_login(
    State(world): Shared,
    Body(login): Body<crate::api::AccountLogin>,
) -> ApiResult<crate::api::AccountLoginChallenge> {
    Ok(Json(
        world.start_account_login(&login.email, &login.password).await?,
    ))
}

/// The confirmation code typed back; the account's view (its id and step) once right.
#[utoipa::path(post, path = "/api/account-logins/confirmation", request_body = crate::api::AccountLoginConfirmation, responses((status = 200, body = LearnerView), (status = 422, body = ApiError, description = "code_wrong, code_expired, code_attempts_exhausted, no_sign_in_pending")))]
async fn confirm_account_login(
    State(world): Shared,
    Body(confirmation): Body<crate::api::AccountLoginConfirmation>,
) -> ApiResult<LearnerView> {
    Ok(Json(
        world
            .confirm_account_login(&confirmation.email, &confirmation.code)
            .await?,
    ))
}
