//! The trainers' and support agents' console, served by the world under `/console`: staff
//! sign-in (separate from learners), the live list of learners, a learner's page, the review
//! desk, the clerk desk, the clock and the scenarios (applied through an installed engine).
//! Server-rendered French pages (askama templates in `templates/console/`, extending the world's
//! one layout, one escaping rule; one stylesheet), one small script for live updates, a strict
//! CSP; beside them the desks as JSON (`/console/api/…`) for programs, which decide through the
//! same functions as the forms.
//!
//! Every route is declared once in [`routes`] with who may reach it and what it answers (a page
//! or JSON); the router is built from that table and the access guard wraps each route, so a
//! route cannot be served unguarded and the tests enumerate the same table.

mod assets;
mod auth;
mod class_overview;
mod clerk_pages;
mod clock_pages;
mod desk_api;
mod desks;
mod handlers;
mod help_pages;
mod journal_fr;
mod learner_pages;
mod pages;
mod postal_desk;
mod review_pages;
mod scenarios;
mod sign_in_pages;
mod staff_pages;

pub use auth::{
    add_staff, scenario_engine_account, EngineAccount, Role, StaffSession, MIN_PASSWORD_CHARS,
    SCENARIO_ENGINE_EMAIL, SESSION_LIFETIME,
};
pub(crate) use auth::{audit_done, digest, fresh_token, session};
pub use scenarios::{
    Application, AppliedScenario, CatalogueEntry, ScenarioDesk, ScenarioFailure, ScenarioRunner,
    ScenarioSource,
};

use crate::api::{ApiError, ClerkRefusalReason, CONSOLE_SESSION_COOKIE, CSRF_HEADER};
use crate::{World, WorldError};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post, put, MethodRouter};
use axum::{Json, Router};
use std::sync::Arc;

/// The reasons a clerk sends a person away at the face-to-face desk (the code stays valid): each
/// [`ClerkRefusalReason`]'s code and its French wording in the learner's journal.
pub const CLERK_REFUSAL_REASONS: [(&str, &str); ClerkRefusalReason::ALL.len()] = {
    let mut reasons = [("", ""); ClerkRefusalReason::ALL.len()];
    let mut index = 0;
    while index < reasons.len() {
        let reason = ClerkRefusalReason::ALL[index];
        reasons[index] = (reason.code(), reason.label_fr());
        index += 1;
    }
    reasons
};

/// Name of the session cookie (HttpOnly, SameSite=Strict, Path=/console), for pages and JSON.
pub const SESSION_COOKIE: &str = CONSOLE_SESSION_COOKIE;
/// Double-submit cookie of the sign-in form (there is no session yet to hold its token).
pub const LOGIN_COOKIE: &str = "idn_console_login";
/// Largest form body accepted by the console.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// Who may reach a route.
#[derive(Debug, Clone, Copy)]
pub enum Access {
    /// The sign-in page and the stylesheet and script.
    Public,
    /// A staff session with one of these roles.
    Staff(&'static [Role]),
}

const EVERY_ROLE: &[Role] = &Role::ALL;
const READERS: &[Role] = &[Role::Trainer, Role::SupportAgent];
const MEDIA_READERS: &[Role] = &[Role::Trainer, Role::SupportAgent, Role::Reviewer];
const REVIEWERS: &[Role] = &[Role::Trainer, Role::Reviewer];
const CLERKS: &[Role] = &[Role::Trainer, Role::Clerk];
const TRAINERS: &[Role] = &[Role::Trainer];

/// What a route answers, and so how it is refused and how it proves it comes from the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// A page for people; a form carries the session's CSRF token in its `csrf` field.
    Page,
    /// JSON for programs (`/console/api/…`); a state-changing call carries the session's CSRF
    /// token in the `X-CSRF-Token` header, refusals are `{code, message}`.
    Json,
}

/// One console route: method, path (axum syntax), who may reach it, what it answers, its handler.
pub struct ConsoleRoute {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    pub surface: Surface,
    handler: MethodRouter<Arc<World>>,
}

fn route(
    method: Method,
    path: &'static str,
    access: Access,
    handler: MethodRouter<Arc<World>>,
) -> ConsoleRoute {
    ConsoleRoute {
        method,
        path,
        access,
        surface: Surface::Page,
        handler,
    }
}

fn json_route(
    method: Method,
    path: &'static str,
    access: Access,
    handler: MethodRouter<Arc<World>>,
) -> ConsoleRoute {
    ConsoleRoute {
        surface: Surface::Json,
        ..route(method, path, access, handler)
    }
}

/// Every route of the console. The router is built from this table only.
pub fn routes() -> Vec<ConsoleRoute> {
    use Access::{Public, Staff};
    vec![
        route(
            Method::GET,
            "/console/connexion",
            Public,
            get(sign_in_pages::login_page),
        ),
        route(
            Method::POST,
            "/console/connexion",
            Public,
            post(sign_in_pages::login),
        ),
        route(
            Method::GET,
            "/console/static/style.css",
            Public,
            get(assets::style),
        ),
        route(
            Method::GET,
            "/console/static/console.js",
            Public,
            get(assets::script),
        ),
        route(
            Method::GET,
            "/console",
            Staff(EVERY_ROLE),
            get(sign_in_pages::home),
        ),
        route(
            Method::POST,
            "/console/deconnexion",
            Staff(EVERY_ROLE),
            post(sign_in_pages::logout),
        ),
        route(
            Method::GET,
            "/console/apprenants",
            Staff(READERS),
            get(learner_pages::learners),
        ),
        route(
            Method::GET,
            "/console/apprenants/lignes",
            Staff(READERS),
            get(learner_pages::learner_rows),
        ),
        route(
            Method::GET,
            "/console/apprenants/flux",
            Staff(MEDIA_READERS),
            get(learner_pages::learner_feed),
        ),
        route(
            Method::GET,
            "/console/apprenants/{id}",
            Staff(READERS),
            get(learner_pages::learner),
        ),
        route(
            Method::GET,
            "/console/apprenants/{id}/medias/{media_id}",
            Staff(MEDIA_READERS),
            get(learner_pages::media),
        ),
        route(
            Method::POST,
            "/console/apprenants/{id}/horloge",
            Staff(READERS),
            post(clock_pages::learner_clock_advance),
        ),
        route(
            Method::POST,
            "/console/apprenants/{id}/aide",
            Staff(READERS),
            post(help_pages::give_help),
        ),
        route(
            Method::POST,
            "/console/apprenants/{id}/revue",
            Staff(TRAINERS),
            post(learner_pages::set_learner_review),
        ),
        route(
            Method::GET,
            "/console/revue",
            Staff(REVIEWERS),
            get(review_pages::review_queue),
        ),
        route(
            Method::POST,
            "/console/revue/mode",
            Staff(TRAINERS),
            post(review_pages::set_class_review),
        ),
        route(
            Method::GET,
            "/console/revue/{id}",
            Staff(REVIEWERS),
            get(review_pages::review_page),
        ),
        route(
            Method::POST,
            "/console/revue/{id}",
            Staff(REVIEWERS),
            post(review_pages::review_decide),
        ),
        route(
            Method::GET,
            "/console/guichet",
            Staff(CLERKS),
            get(clerk_pages::clerk_page),
        ),
        route(
            Method::POST,
            "/console/guichet",
            Staff(CLERKS),
            post(clerk_pages::clerk_decide),
        ),
        route(
            Method::GET,
            "/console/guichet/courrier",
            Staff(CLERKS),
            get(postal_desk::postal_desk_page),
        ),
        route(
            Method::POST,
            "/console/guichet/courrier",
            Staff(CLERKS),
            post(postal_desk::postal_desk_validate),
        ),
        route(
            Method::GET,
            "/console/horloge",
            Staff(EVERY_ROLE),
            get(clock_pages::clock_page),
        ),
        route(
            Method::POST,
            "/console/horloge/avancer",
            Staff(TRAINERS),
            post(clock_pages::clock_advance),
        ),
        route(
            Method::POST,
            "/console/horloge/vitesse",
            Staff(TRAINERS),
            post(clock_pages::clock_speed),
        ),
        route(
            Method::POST,
            "/console/horloge/revenir",
            Staff(TRAINERS),
            post(clock_pages::clock_rewind),
        ),
        route(
            Method::POST,
            "/console/horloge/heure-reelle",
            Staff(TRAINERS),
            post(clock_pages::clock_real_time),
        ),
        route(
            Method::GET,
            "/console/scenarios",
            Staff(READERS),
            get(scenarios::page),
        ),
        route(
            Method::POST,
            "/console/scenarios/appliquer",
            Staff(READERS),
            post(scenarios::apply_catalogue),
        ),
        route(
            Method::POST,
            "/console/scenarios/fichier",
            Staff(READERS),
            post(scenarios::apply_file),
        ),
        route(
            Method::GET,
            "/console/scenarios/suivi/{job}",
            Staff(READERS),
            get(scenarios::follow),
        ),
        route(
            Method::GET,
            "/console/personnel",
            Staff(TRAINERS),
            get(staff_pages::staff_audit),
        ),
        // The desks as JSON: the same roles as their pages and forms.
        json_route(
            Method::POST,
            "/console/api/connexion",
            Public,
            post(desk_api::sign_in),
        ),
        json_route(
            Method::POST,
            "/console/api/deconnexion",
            Staff(EVERY_ROLE),
            post(desk_api::sign_out),
        ),
        json_route(
            Method::GET,
            "/console/api/revue",
            Staff(REVIEWERS),
            get(desk_api::review_queue),
        ),
        json_route(
            Method::GET,
            "/console/api/revue/{id}",
            Staff(REVIEWERS),
            get(desk_api::submission),
        ),
        json_route(
            Method::POST,
            "/console/api/revue/{id}/decision",
            Staff(REVIEWERS),
            post(desk_api::review_decide),
        ),
        json_route(
            Method::PUT,
            "/console/api/apprenants/{id}/revue",
            Staff(TRAINERS),
            put(desk_api::set_review_desk),
        ),
        json_route(
            Method::GET,
            "/console/api/guichet/{code}",
            Staff(CLERKS),
            get(desk_api::clerk_case),
        ),
        json_route(
            Method::POST,
            "/console/api/guichet/decisions",
            Staff(CLERKS),
            post(desk_api::clerk_decide),
        ),
    ]
}

/// The console's router, every route behind its access guard and the security headers.
pub(crate) fn router(world: Arc<World>) -> Router {
    let mut router = Router::new();
    for ConsoleRoute {
        path,
        access,
        surface,
        handler,
        ..
    } in routes()
    {
        let guarded = handler.route_layer(axum::middleware::from_fn_with_state(
            (world.clone(), access, surface),
            guard,
        ));
        router = router.route(path, guarded);
    }
    router
        .layer(axum::extract::DefaultBodyLimit::max(MAX_FORM_BYTES))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(world)
}

async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let set = |headers: &mut HeaderMap, name: header::HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    if !headers.contains_key(header::CACHE_CONTROL) {
        set(headers, header::CACHE_CONTROL, "no-store");
    }
    response
}

/// A cookie's value from the request headers.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// The `csrf` field of a URL-encoded form (tokens are hex, so no decoding is needed).
fn form_field<'a>(body: &'a [u8], name: &str) -> Option<&'a str> {
    std::str::from_utf8(body)
        .ok()?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value on a response (values built here are always valid header values).
pub(crate) fn set_cookie(response: &mut Response, value: String) {
    if let Ok(value) = value.parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// `; Secure` when the console is reached through HTTPS (a proxy says so).
pub(crate) fn secure_suffix(headers: &HeaderMap) -> &'static str {
    match headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
    {
        Some("https") => "; Secure",
        _ => "",
    }
}

/// The session cookie both sign-ins set: HttpOnly, SameSite=Strict, scoped to the console.
pub(crate) fn session_cookie(token: &str, headers: &HeaderMap) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={}{}",
        SESSION_LIFETIME.num_seconds(),
        secure_suffix(headers)
    )
}

/// The session cookie removed, at sign-out.
pub(crate) fn cleared_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// Why a request is turned away, as the person (or the program) is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No live staff session: pages go to the sign-in page, everything else gets 401.
    SignedOut,
    /// A staff session whose role may not do this.
    WrongRole(Role),
    /// A form or call without the session's CSRF token.
    Csrf,
    /// A sign-in with an unknown address or a wrong password.
    WrongCredentials,
    /// Too many failed sign-ins for this address lately.
    Throttled,
}

impl Refusal {
    /// The one HTTP status of each refusal, for pages and JSON alike.
    pub(crate) fn status(self) -> StatusCode {
        match self {
            Self::SignedOut | Self::WrongCredentials => StatusCode::UNAUTHORIZED,
            Self::WrongRole(_) | Self::Csrf => StatusCode::FORBIDDEN,
            Self::Throttled => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    /// Stable code, for programs.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Self::SignedOut => "signed_out",
            Self::WrongRole(_) => "role_not_allowed",
            Self::Csrf => "csrf_token_invalid",
            Self::WrongCredentials => "login_refused",
            Self::Throttled => "login_throttled",
        }
    }

    fn title_fr(self) -> &'static str {
        match self {
            Self::SignedOut => "Connexion requise",
            Self::WrongRole(_) => "Accès refusé",
            Self::Csrf => "Formulaire refusé",
            Self::WrongCredentials | Self::Throttled => "Connexion refusée",
        }
    }

    pub(crate) fn message_fr(self, surface: Surface) -> String {
        match (self, surface) {
            (Self::SignedOut, _) => "Votre session a expiré ou vous n'êtes pas connecté : connectez-vous à nouveau.".to_owned(),
            (Self::WrongRole(role), Surface::Page) => {
                format!("Votre rôle ({}) ne donne pas accès à cette page.", role.label_fr())
            }
            (Self::WrongRole(role), Surface::Json) => {
                format!("Votre rôle ({}) ne donne pas accès à ce guichet.", role.label_fr())
            }
            (Self::Csrf, Surface::Page) => "Ce formulaire n'a pas été envoyé depuis votre session de la console (jeton anti-CSRF absent ou faux). Rechargez la page et recommencez.".to_owned(),
            (Self::Csrf, Surface::Json) => "Demande refusée : le jeton anti-CSRF de votre session manque ou est faux (en-tête X-CSRF-Token).".to_owned(),
            (Self::WrongCredentials, _) => pages::LOGIN_REFUSED.to_owned(),
            (Self::Throttled, _) => pages::LOGIN_THROTTLED.to_owned(),
        }
    }

    fn response(self, method: &Method, surface: Surface) -> Response {
        match (self, surface) {
            (_, Surface::Json) => self.json(),
            (Refusal::SignedOut, Surface::Page) if method == Method::GET => {
                let mut response = Redirect::to("/console/connexion").into_response();
                *response.status_mut() = StatusCode::SEE_OTHER;
                response
            }
            (_, Surface::Page) => pages::refusal(self.status(), self.title_fr(), &self.message_fr(surface)),
        }
    }

    /// The refusal as the desk API answers it: `{code, message}` with its status.
    pub(crate) fn json(self) -> Response {
        (
            self.status(),
            Json(ApiError::new(self.code(), self.message_fr(Surface::Json))),
        )
            .into_response()
    }
}

/// The access guard of every console route: a live staff session with an allowed role, and for
/// a state-changing request the session's CSRF token (a form's `csrf` field, a JSON call's
/// `X-CSRF-Token` header). Learners have no staff session, so they never pass.
async fn guard(
    State((world, access, surface)): State<(Arc<World>, Access, Surface)>,
    request: Request,
    next: Next,
) -> Response {
    let roles = match access {
        Access::Public => return next.run(request).await,
        Access::Staff(roles) => roles,
    };
    let method = request.method().clone();
    let Some(token) = cookie(request.headers(), SESSION_COOKIE) else {
        return Refusal::SignedOut.response(&method, surface);
    };
    let session = match auth::session(&world, &token).await {
        Ok(Some(session)) => session,
        Ok(None) => return Refusal::SignedOut.response(&method, surface),
        Err(error) => return error.into_response(),
    };
    if !roles.contains(&session.role) {
        return Refusal::WrongRole(session.role).response(&method, surface);
    }
    let reads = method == Method::GET || method == Method::HEAD;
    let (mut parts, body) = request.into_parts();
    let body = match surface {
        _ if reads => body,
        Surface::Json => {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|value| value.to_str().ok());
            if !sent.is_some_and(|sent| auth::same_secret(sent, &session.csrf_token)) {
                return Refusal::Csrf.response(&method, surface);
            }
            body
        }
        Surface::Page => {
            let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
                return WorldError::bad_request("invalid_body", "Formulaire illisible ou trop volumineux.")
                    .into_response();
            };
            if !form_field(&bytes, "csrf").is_some_and(|sent| auth::same_secret(sent, &session.csrf_token)) {
                return Refusal::Csrf.response(&method, surface);
            }
            Body::from(bytes)
        }
    };
    parts.extensions.insert(session);
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
mod tests;
