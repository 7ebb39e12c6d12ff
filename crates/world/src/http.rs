//! The world's HTTP API (axum): handlers parse, call one `World` method, render. The OpenAPI
//! description is generated from these handlers and served at `/api/openapi.json`.

use crate::access::{Access, Principal};
use crate::api::{
    ActivationRequest, ApiError, ApprovalAnswer, ClerkLookup, ClerkValidation, ClockAdvance, ClockChange,
    ClockRewind, ClockSetting, ClockView, DeclineAnswer, DeliveryPlan, InboxMessage, JournalEntry,
    LearnerAccess, LearnerAction, LearnerSettings, LearnerSituation, LearnerView, LoginRequestView,
    MediaKind, MediaView, NewLearner, NewLoginRequest, PlannedLearner, WorldKeys, WorldStatus,
};
use crate::world::{World, MAX_MEDIA_BYTES};
use crate::WorldError;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use axum::{Json, Router};
use chrono::TimeDelta;
use serde::Deserialize;
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
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
        let mut response = (status, Json(self.body())).into_response();
        crate::throttle::add_retry_after(&self, &mut response);
        response
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

/// One route of the API with who may call it. The router and the OpenAPI document's security
/// are built from this table only (`api_routes`): a route cannot exist without its rule.
pub struct ApiRoute {
    pub access: Access,
    routes: UtoipaMethodRouter<Arc<World>>,
}

fn route(access: Access, routes: UtoipaMethodRouter<Arc<World>>) -> ApiRoute {
    ApiRoute { access, routes }
}

/// Every route of the API and its rule (see `access` and SECURITY.md's table).
pub fn api_routes() -> Vec<ApiRoute> {
    use crate::access::{
        ANY_LEARNER, DEVICE_ONLY, LEARNER_OR_SIGN_IN, NO_STAFF, TRAINER, TRAINER_OR_CLERK, TRAINER_OR_SUPPORT,
    };
    let own = |staff| Access::Learner {
        kinds: ANY_LEARNER,
        staff,
    };
    vec![
        route(Access::Public, routes!(status)),
        route(Access::Public, routes!(keys)),
        route(Access::Public, routes!(clock)),
        route(Access::Staff(TRAINER), routes!(set_clock)),
        route(Access::Staff(TRAINER), routes!(advance_clock)),
        route(Access::Staff(TRAINER), routes!(rewind_clock)),
        route(Access::Staff(TRAINER), routes!(real_time_clock)),
        route(Access::Staff(TRAINER_OR_SUPPORT), routes!(clock_history)),
        route(Access::Staff(TRAINER_OR_SUPPORT), routes!(list_learners)),
        route(Access::Public, routes!(create_learner)),
        route(own(TRAINER_OR_SUPPORT), routes!(learner)),
        route(own(NO_STAFF), routes!(act)),
        route(Access::Staff(TRAINER), routes!(settings)),
        route(Access::Staff(TRAINER), routes!(delivery_plan)),
        route(Access::Staff(TRAINER), routes!(create_planned_learner)),
        route(
            Access::Learner {
                kinds: LEARNER_OR_SIGN_IN,
                staff: TRAINER_OR_SUPPORT,
            },
            routes!(inbox),
        ),
        route(own(TRAINER_OR_SUPPORT), routes!(journal)),
        route(Access::Staff(TRAINER_OR_SUPPORT), routes!(situation)),
        route(own(TRAINER_OR_SUPPORT), routes!(learner_clock)),
        route(own(TRAINER_OR_SUPPORT), routes!(advance_learner_clock)),
        route(own(TRAINER_OR_SUPPORT), routes!(learner_events)),
        route(own(NO_STAFF), routes!(activate)),
        route(
            Access::Learner {
                kinds: DEVICE_ONLY,
                staff: NO_STAFF,
            },
            routes!(pending_login_requests),
        ),
        route(
            Access::Learner {
                kinds: DEVICE_ONLY,
                staff: NO_STAFF,
            },
            routes!(open_own_login_request),
        ),
        route(
            Access::Learner {
                kinds: DEVICE_ONLY,
                staff: NO_STAFF,
            },
            routes!(answer_login_request),
        ),
        route(
            Access::Learner {
                kinds: DEVICE_ONLY,
                staff: NO_STAFF,
            },
            routes!(decline_login_request),
        ),
        route(Access::Staff(TRAINER), routes!(open_login_request)),
        route(Access::LoginRequest { staff: TRAINER }, routes!(login_request)),
        route(Access::Staff(TRAINER_OR_CLERK), routes!(clerk_lookup)),
        route(Access::Staff(TRAINER_OR_CLERK), routes!(clerk_validate)),
        route(Access::Public, routes!(start_account_login)),
        route(Access::SignInTicket, routes!(confirm_account_login)),
        route(Access::OwnCredential, routes!(revoke_own_credential)),
        route(Access::Staff(TRAINER_OR_SUPPORT), routes!(disconnect_learner)),
        route(own(NO_STAFF), routes!(upload_media)),
        route(own(NO_STAFF), routes!(crate::guidance_route::preview_guidance)),
    ]
}

/// The router with every route; `fn app` stays apart from serving so tests can call it directly.
pub fn app(world: Arc<World>) -> Router {
    let mut api = OpenApiRouter::with_openapi(ApiDoc::openapi());
    let mut media = OpenApiRouter::new();
    for ApiRoute {
        access,
        routes: (schemas, mut paths, method_router),
    } in api_routes()
    {
        document_access(&mut paths, access);
        let guarded = method_router.route_layer(axum::middleware::from_fn_with_state(
            (world.clone(), access),
            crate::access::guard,
        ));
        // Uploads are the only large bodies: their own limit, everyone else's stays small.
        if paths.paths.keys().any(|path| path.ends_with("/media")) {
            media = media.routes((schemas, paths, guarded));
        } else {
            api = api.routes((schemas, paths, guarded));
        }
    }
    // Relying parties are registered by a trainer (a tester's own application included: with a
    // trainer's API token).
    let mut registry = crate::federation::api_routes();
    document_access(
        &mut registry.get_openapi_mut().paths,
        Access::Staff(crate::access::TRAINER),
    );
    let registry = registry.route_layer(axum::middleware::from_fn_with_state(
        (world.clone(), Access::Staff(crate::access::TRAINER)),
        crate::access::guard,
    ));
    let (router, mut openapi) = api
        .merge(registry)
        .layer(DefaultBodyLimit::max(MAX_JSON_BYTES))
        .merge(media.layer(DefaultBodyLimit::max(MAX_MEDIA_BYTES)))
        .with_state(world.clone())
        .split_for_parts();
    declare_security_schemes(&mut openapi);
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
    // The device's screens for a phone's browser, at the address of the welcome page's QR code.
    let router = router.merge(crate::web_app::router());
    // L'Identité Numérique's web site, for a learner who starts on a computer (`website`).
    let router = router.merge(crate::website::router(world.clone()));
    router
        .route(
            "/api/openapi.json",
            axum::routing::get(move || async move { Json(openapi.as_ref().clone()) }),
        )
        .fallback(|| async { WorldError::NotFound { what: "adresse" } })
        .layer(axum::middleware::map_response(method_not_allowed_as_json))
}

/// The operations of one path.
fn operations(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// The OpenAPI security requirements of a rule: any one of them opens the route.
fn requirements(access: Access) -> Vec<utoipa::openapi::security::SecurityRequirement> {
    use utoipa::openapi::security::SecurityRequirement;
    let schemes = access.schemes();
    if schemes.is_empty() {
        // Public: the empty requirement says "no credential needed".
        return vec![SecurityRequirement::default()];
    }
    schemes
        .into_iter()
        .map(|(name, roles)| SecurityRequirement::new(name, roles))
        .collect()
}

/// Writes a route's rule into its operations, with the refusals it can answer.
fn document_access(paths: &mut utoipa::openapi::Paths, access: Access) {
    use utoipa::openapi::{RefOr, Response};
    for (_, item) in paths.paths.iter_mut() {
        for operation in operations(item) {
            operation.security = Some(requirements(access));
            if access.schemes().is_empty() {
                continue;
            }
            for (status, description) in [
                ("401", "authentication_required, credential_unknown, credential_expired, credential_revoked"),
                ("403", "not_your_learner, staff_required, role_not_allowed, device_credential_required, account_credential_required"),
            ] {
                let refusal = utoipa::openapi::ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        utoipa::openapi::ContentBuilder::new()
                            .schema(Some(utoipa::openapi::Ref::from_schema_name("ApiError")))
                            .build(),
                    )
                    .build();
                operation
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert(RefOr::<Response>::T(refusal));
            }
        }
    }
}

/// The document's security schemes: Bearer tokens, named by who holds them.
fn declare_security_schemes(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
    let components = openapi.components.get_or_insert_with(Default::default);
    for (name, format, description) in [
        ("apprenant", "idn_la_…", "The La Poste account's credential, from POST /api/learners or a confirmed sign-in."),
        ("appareil", "idn_ld_…", "The activated phone's credential, from POST /api/learners/{id}/activation."),
        ("connexion", "idn_si_…", "The sign-in ticket, from POST /api/account-logins with the right password."),
        ("personnel", "idn_st_… or a console session", "A staff member's API token (idn staff token create) or console session; the requirement lists the roles allowed."),
    ] {
        components.security_schemes.insert(
            name.to_owned(),
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format(format)
                    .description(Some(description))
                    .build(),
            ),
        );
    }
}

/// axum answers an unsupported method with an empty 405; give it the API's error format.
async fn method_not_allowed_as_json(response: Response) -> Response {
    if response.status() == StatusCode::METHOD_NOT_ALLOWED {
        let error = ApiError::new(
            "method_not_allowed",
            "Cette méthode HTTP n'est pas acceptée à cette adresse.",
        );
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

/// Sets the clock's mode (real, accelerated ×N, manual), optionally from a time: a later one is
/// a jump (a year at most), an earlier one moves the class back as `POST /api/clock/rewind` does.
#[utoipa::path(put, path = "/api/clock", request_body = ClockSetting, responses((status = 200, body = ClockView), (status = 400, body = ApiError)))]
async fn set_clock(
    State(world): Shared,
    Extension(principal): Extension<Principal>,
    Body(setting): Body<ClockSetting>,
) -> ApiResult<ClockView> {
    Ok(Json(
        world
            .set_clock_by(setting.mode, setting.now, staff_email(&principal))
            .await?,
    ))
}

/// Moves simulated time forward; due letters, reviews and expiries happen at once.
#[utoipa::path(post, path = "/api/clock/advance", request_body = ClockAdvance, responses((status = 200, body = ClockView), (status = 400, body = ApiError)))]
async fn advance_clock(
    State(world): Shared,
    Extension(principal): Extension<Principal>,
    Body(advance): Body<ClockAdvance>,
) -> ApiResult<ClockView> {
    let delta = TimeDelta::try_seconds(advance.seconds)
        .ok_or_else(|| WorldError::bad_request("invalid_duration", "Durée invalide."))?;
    Ok(Json(
        world.advance_clock_by(delta, staff_email(&principal)).await?,
    ))
}

/// « Revenir à ce moment »: the class clock goes back to `to`, its speed kept. A learner's time
/// never goes back: those who acted after `to` stay at their own time (journaled for each);
/// the others and every new learner are at `to`. Refused before the world's creation
/// (`clock_before_world`) and for a time not earlier than the class's (`clock_not_earlier`).
#[utoipa::path(post, path = "/api/clock/rewind", request_body = ClockRewind, responses((status = 200, body = ClockView), (status = 400, body = ApiError, description = "clock_before_world, clock_not_earlier")))]
async fn rewind_clock(
    State(world): Shared,
    Extension(principal): Extension<Principal>,
    Body(rewind): Body<ClockRewind>,
) -> ApiResult<ClockView> {
    Ok(Json(
        world.rewind_clock(rewind.to, staff_email(&principal)).await?,
    ))
}

/// « Revenir à l'heure réelle »: real time from the wall clock's time; going back keeps the
/// learners who acted later at their own time, as a rewind does.
#[utoipa::path(post, path = "/api/clock/real", responses((status = 200, body = ClockView)))]
async fn real_time_clock(
    State(world): Shared,
    Extension(principal): Extension<Principal>,
) -> ApiResult<ClockView> {
    Ok(Json(world.real_time_clock(staff_email(&principal)).await?))
}

/// The class clock's latest changes, newest first: who moved it, from when to when.
#[utoipa::path(get, path = "/api/clock/history", responses((status = 200, body = Vec<ClockChange>)))]
async fn clock_history(State(world): Shared) -> ApiResult<Vec<ClockChange>> {
    Ok(Json(world.clock_history().await?))
}

/// The staff member behind a request, for the clock's history.
fn staff_email(principal: &Principal) -> Option<&str> {
    principal.staff().map(|staff| staff.email.as_str())
}

#[utoipa::path(get, path = "/api/learners", responses((status = 200, body = Vec<LearnerView>)))]
async fn list_learners(State(world): Shared) -> ApiResult<Vec<LearnerView>> {
    Ok(Json(world.learners().await?))
}

/// Starts a La Poste account: the 6-digit code is emailed to the identifier. The answer carries
/// the account's credential, shown this once. Counted per client address (`throttle.rs`: 10 an
/// hour); a trainer's `POST /api/trainer/learners` is not.
#[utoipa::path(post, path = "/api/learners", request_body = NewLearner, responses((status = 200, body = LearnerAccess), (status = 422, body = ApiError), (status = 429, body = ApiError)))]
async fn create_learner(
    State(world): Shared,
    client: crate::throttle::ClientAddress,
    Body(new): Body<NewLearner>,
) -> ApiResult<LearnerAccess> {
    world.throttles().account_opening(client.0)?;
    Ok(Json(
        world.open_account_with_access(&new.email, Vec::new()).await?,
    ))
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
/// The answer carries the learner's account credential, for the trainer to hand on.
#[utoipa::path(post, path = "/api/trainer/learners", request_body = PlannedLearner, responses((status = 200, body = LearnerAccess), (status = 400, body = ApiError), (status = 422, body = ApiError)))]
async fn create_planned_learner(
    State(world): Shared,
    Body(new): Body<PlannedLearner>,
) -> ApiResult<LearnerAccess> {
    Ok(Json(
        world.open_account_with_access(&new.email, new.delivery).await?,
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
async fn learner_events(
    State(world): Shared,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, WorldError> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    use tokio::sync::broadcast::error::RecvError;

    let changes = world.subscribe();
    let first = world.learner(&id).await?;
    let event = |view: &LearnerView| Event::default().event("learner").json_data(view);
    let initial = futures_util::stream::once(std::future::ready(event(&first)));
    // The credential is checked again at each change and every minute: a phone whose identity
    // was activated elsewhere, or removed, stops receiving the learner's updates.
    let recheck = tokio::time::interval_at(
        tokio::time::Instant::now() + CREDENTIAL_RECHECK,
        CREDENTIAL_RECHECK,
    );
    let state = (world, id, changes, principal, recheck);
    let updates = futures_util::stream::unfold(
        state,
        move |(world, id, mut changes, principal, mut recheck)| async move {
            loop {
                let changed = tokio::select! {
                    change = changes.recv() => Some(change),
                    _ = recheck.tick() => None,
                };
                if matches!(&changed, Some(Ok(change)) if change.learner_id != id) {
                    continue;
                }
                match crate::access::credentials::still_valid(&world, &principal).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::info!(learner = %id, "event stream ends: credential ended");
                        return None;
                    }
                    Err(error) => {
                        tracing::warn!(%error, learner = %id, "event stream ends: credential unreadable");
                        return None;
                    }
                }
                match changed {
                    None => continue,
                    Some(Ok(_) | Err(RecvError::Lagged(_))) => match world.learner(&id).await {
                        Ok(view) => return Some((event(&view), (world, id, changes, principal, recheck))),
                        Err(error) => {
                            tracing::warn!(%error, learner = %id, "event stream ends: learner unreadable");
                            return None;
                        }
                    },
                    Some(Err(RecvError::Closed)) => return None,
                }
            }
        },
    );
    let stream = futures_util::StreamExt::chain(initial, updates);
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()).into_response())
}

/// How often an open event stream checks that its credential still opens it.
const CREDENTIAL_RECHECK: std::time::Duration = std::time::Duration::from_secs(60);

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

/// The device types the activation code and enrols its key and the sealed secret code. The
/// answer carries the device's credential; every other credential of the learner ends.
#[utoipa::path(post, path = "/api/learners/{id}/activation", params(("id" = String, Path)), request_body = ActivationRequest, responses((status = 200, body = LearnerAccess), (status = 422, body = ApiError)))]
async fn activate(
    State(world): Shared,
    Path(id): Path<String>,
    Body(request): Body<ActivationRequest>,
) -> ApiResult<LearnerAccess> {
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

/// « Simuler une connexion » on the activated phone: a request to the learner's own number.
#[utoipa::path(post, path = "/api/learners/{id}/login-requests", params(("id" = String, Path)), request_body = crate::api::OwnLoginRequest, responses((status = 200, body = LoginRequestView), (status = 400, body = ApiError), (status = 422, body = ApiError)))]
async fn open_own_login_request(
    State(world): Shared,
    Path(id): Path<String>,
    Body(request): Body<crate::api::OwnLoginRequest>,
) -> ApiResult<LoginRequestView> {
    Ok(Json(
        world.open_own_login_request(&id, request.relying_party).await?,
    ))
}

/// Ends the credential of this request (« Supprimer cette identité de l'appareil », signing out).
#[utoipa::path(delete, path = "/api/credentials/current", responses((status = 204)))]
async fn revoke_own_credential(
    State(world): Shared,
    Extension(principal): Extension<Principal>,
) -> Result<StatusCode, WorldError> {
    crate::access::credentials::revoke_own(
        &world,
        &principal,
        crate::access::credentials::RevokedBecause::Removed,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Support's « Déconnecter tous ses appareils »: every credential of the learner ends.
#[utoipa::path(delete, path = "/api/learners/{id}/credentials", params(("id" = String, Path)), responses((status = 204), (status = 404, body = ApiError)))]
async fn disconnect_learner(State(world): Shared, Path(id): Path<String>) -> Result<StatusCode, WorldError> {
    world.disconnect_learner(&id).await?;
    Ok(StatusCode::NO_CONTENT)
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

/// The clerk types the face-to-face code to find the person (30 lookups a minute per staff member).
#[utoipa::path(get, path = "/api/clerk/{code}", params(("code" = String, Path)), responses((status = 200, body = ClerkLookup), (status = 404, body = ApiError), (status = 429, body = ApiError)))]
async fn clerk_lookup(
    State(world): Shared,
    Extension(principal): Extension<Principal>,
    Path(code): Path<String>,
) -> ApiResult<ClerkLookup> {
    if let Some(staff) = principal.staff() {
        world.throttles().clerk_lookup(&staff.staff_id)?;
    }
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
/// The answer adds the sign-in ticket, the credential that reads the code's message and types it back.
#[utoipa::path(post, path = "/api/account-logins", request_body = crate::api::AccountLogin, responses((status = 200, body = crate::api::AccountLoginStarted), (status = 422, body = ApiError, description = "wrong_credentials, account_locked, invalid_email"), (status = 429, body = ApiError)))]
async fn start_account_login(
    State(world): Shared,
    client: crate::throttle::ClientAddress,
    Body(login): Body<crate::api::AccountLogin>,
) -> ApiResult<crate::api::AccountLoginStarted> {
    let challenge = world
        .start_account_login_from(client.0, &login.email, &login.password)
        .await?;
    let ticket = world.issue_sign_in_ticket(&challenge.account_id).await?;
    Ok(Json(crate::api::AccountLoginStarted { challenge, ticket }))
}

/// The confirmation code typed back with the sign-in ticket: the account's view and credential
/// once right.
#[utoipa::path(post, path = "/api/account-logins/confirmation", request_body = crate::api::AccountLoginConfirmation, responses((status = 200, body = LearnerAccess), (status = 422, body = ApiError, description = "code_wrong, code_expired, code_attempts_exhausted, no_sign_in_pending")))]
async fn confirm_account_login(
    State(world): Shared,
    Extension(ticket): Extension<Principal>,
    Body(confirmation): Body<crate::api::AccountLoginConfirmation>,
) -> ApiResult<LearnerAccess> {
    Ok(Json(
        world
            .confirm_sign_in(&ticket, &confirmation.email, &confirmation.code)
            .await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body as HttpBody;
    use axum::http::Request;
    use tower::ServiceExt;

    async fn document() -> serde_json::Value {
        let dir = tempfile::tempdir().unwrap();
        let world = World::open(
            crate::WorldOptions::new(dir.path()),
            Arc::new(crate::clock::SystemWallClock),
        )
        .await
        .unwrap();
        let response = app(Arc::new(world))
            .oneshot(Request::get("/api/openapi.json").body(HttpBody::empty()).unwrap())
            .await
            .unwrap();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    /// `POST /api/learners` from one phone on the class Wi-Fi: 10 accounts, then 429 with
    /// Retry-After and a French message; another phone still opens its account, and the world's
    /// own machine (no address: in-process) is not counted.
    #[tokio::test]
    async fn one_address_opens_ten_accounts_an_hour_and_another_still_opens_its_own() {
        use axum::extract::ConnectInfo;
        let dir = tempfile::tempdir().unwrap();
        let world = World::open(
            crate::WorldOptions::new(dir.path()),
            Arc::new(crate::clock::SystemWallClock),
        )
        .await
        .unwrap();
        let app = app(Arc::new(world));
        let open = |from: Option<&str>, n: usize| {
            let mut request = Request::post("/api/learners")
                .header("content-type", "application/json")
                .body(HttpBody::from(format!(
                    r#"{{"email":"compte{n}@simulation.example"}}"#
                )))
                .unwrap();
            if let Some(from) = from {
                let peer: std::net::SocketAddr = format!("{from}:50000").parse().unwrap();
                request.extensions_mut().insert(ConnectInfo(peer));
            }
            app.clone().oneshot(request)
        };
        for n in 0..10 {
            let response = open(Some("192.168.1.66"), n).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "account {n} of 10");
        }
        let refused = open(Some("192.168.1.66"), 10).await.unwrap();
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            refused.headers()["retry-after"],
            "360",
            "one more every 6 minutes"
        );
        let bytes = axum::body::to_bytes(refused.into_body(), usize::MAX)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body["code"], "too_many_requests");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("réessayez dans 6 minutes"),
            "{body}"
        );
        let other = open(Some("192.168.1.10"), 11).await.unwrap();
        assert_eq!(other.status(), StatusCode::OK, "another phone opens its account");
        for n in 12..24 {
            let local = open(None, n).await.unwrap();
            assert_eq!(local.status(), StatusCode::OK, "the world's own machine ({n})");
        }
    }

    /// The document says who may call every operation, from the same table as the router: a
    /// route without its rule cannot be added, and a client reading the document knows which
    /// credential to send.
    #[tokio::test]
    async fn every_operation_of_the_document_declares_who_may_call_it() {
        let document = document().await;
        let schemes = document["components"]["securitySchemes"].as_object().unwrap();
        for name in ["apprenant", "appareil", "connexion", "personnel"] {
            assert_eq!(schemes[name]["scheme"], "bearer", "{name} is a Bearer scheme");
        }
        let mut public = Vec::new();
        let mut guarded = 0;
        for (path, item) in document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let security = operation["security"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{method} {path} declares no security"));
                if security
                    .iter()
                    .any(|requirement| requirement.as_object().unwrap().is_empty())
                {
                    public.push(format!("{method} {path}"));
                } else {
                    guarded += 1;
                    assert!(
                        operation["responses"]["401"].is_object()
                            && operation["responses"]["403"].is_object(),
                        "{method} {path} documents its refusals"
                    );
                }
            }
        }
        public.sort();
        assert_eq!(
            public,
            [
                "get /api/clock",
                "get /api/keys",
                "get /api/status",
                "post /api/account-logins",
                "post /api/learners",
            ],
            "only these are open to anyone"
        );
        assert!(
            guarded >= 30,
            "every other operation needs a credential ({guarded})"
        );
    }
}
