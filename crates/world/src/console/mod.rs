//! The trainers' and support agents' console, served by the world under `/console`: staff
//! sign-in (separate from learners), the live list of learners, a learner's page, the review
//! desk, the clerk desk, the clock and the scenarios (applied through an installed engine). Server-rendered French pages (the
//! federation's approach: `format!` templates with escaping, one stylesheet), one small script
//! for live updates, a strict CSP.
//!
//! Every route is declared once in [`routes`] with who may reach it; the router is built from
//! that table and the access guard wraps each route, so a route cannot be served unguarded and
//! the tests enumerate the same table.

mod auth;
mod handlers;
mod pages;
mod scenarios;

pub use auth::{
    add_staff, scenario_engine_account, EngineAccount, Role, StaffSession, MIN_PASSWORD_CHARS,
    SCENARIO_ENGINE_EMAIL, SESSION_LIFETIME,
};
pub use scenarios::{
    Application, AppliedScenario, CatalogueEntry, ScenarioDesk, ScenarioFailure, ScenarioRunner,
    ScenarioSource,
};

use crate::{World, WorldError};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use std::sync::Arc;

/// The reasons a clerk sends a person away at the face-to-face desk (the code stays valid):
/// the form's code and its French wording in the learner's journal.
pub const CLERK_REFUSAL_REASONS: [(&str, &str); 3] = [
    ("piece_differente", "la pièce ne correspond pas"),
    ("piece_expiree", "pièce expirée"),
    ("personne_differente", "la personne n'est pas celle de la pièce"),
];

/// Name of the session cookie (HttpOnly, SameSite=Strict, Path=/console).
pub const SESSION_COOKIE: &str = "idn_console";
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

/// One console route: method, path (axum syntax), who may reach it, its handler.
pub struct ConsoleRoute {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
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
        handler,
    }
}

/// Every route of the console. The router is built from this table only.
pub fn routes() -> Vec<ConsoleRoute> {
    use handlers as h;
    use Access::{Public, Staff};
    vec![
        route(Method::GET, "/console/connexion", Public, get(h::login_page)),
        route(Method::POST, "/console/connexion", Public, post(h::login)),
        route(Method::GET, "/console/static/style.css", Public, get(h::style)),
        route(Method::GET, "/console/static/console.js", Public, get(h::script)),
        route(Method::GET, "/console", Staff(EVERY_ROLE), get(h::home)),
        route(
            Method::POST,
            "/console/deconnexion",
            Staff(EVERY_ROLE),
            post(h::logout),
        ),
        route(
            Method::GET,
            "/console/apprenants",
            Staff(READERS),
            get(h::learners),
        ),
        route(
            Method::GET,
            "/console/apprenants/lignes",
            Staff(READERS),
            get(h::learner_rows),
        ),
        route(
            Method::GET,
            "/console/apprenants/flux",
            Staff(MEDIA_READERS),
            get(h::learner_feed),
        ),
        route(
            Method::GET,
            "/console/apprenants/{id}",
            Staff(READERS),
            get(h::learner),
        ),
        route(
            Method::GET,
            "/console/apprenants/{id}/medias/{media_id}",
            Staff(MEDIA_READERS),
            get(h::media),
        ),
        route(
            Method::POST,
            "/console/apprenants/{id}/horloge",
            Staff(READERS),
            post(h::learner_clock_advance),
        ),
        route(
            Method::POST,
            "/console/apprenants/{id}/revue",
            Staff(TRAINERS),
            post(h::set_learner_review),
        ),
        route(
            Method::GET,
            "/console/revue",
            Staff(REVIEWERS),
            get(h::review_queue),
        ),
        route(
            Method::POST,
            "/console/revue/mode",
            Staff(TRAINERS),
            post(h::set_class_review),
        ),
        route(
            Method::GET,
            "/console/revue/{id}",
            Staff(REVIEWERS),
            get(h::review_page),
        ),
        route(
            Method::POST,
            "/console/revue/{id}",
            Staff(REVIEWERS),
            post(h::review_decide),
        ),
        route(Method::GET, "/console/guichet", Staff(CLERKS), get(h::clerk_page)),
        route(
            Method::POST,
            "/console/guichet",
            Staff(CLERKS),
            post(h::clerk_decide),
        ),
        route(
            Method::GET,
            "/console/horloge",
            Staff(EVERY_ROLE),
            get(h::clock_page),
        ),
        route(
            Method::POST,
            "/console/horloge/avancer",
            Staff(TRAINERS),
            post(h::clock_advance),
        ),
        route(
            Method::POST,
            "/console/horloge/vitesse",
            Staff(TRAINERS),
            post(h::clock_speed),
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
            get(h::staff_audit),
        ),
    ]
}

/// The console's router, every route behind its access guard and the security headers.
pub(crate) fn router(world: Arc<World>) -> Router {
    let mut router = Router::new();
    for ConsoleRoute {
        path,
        access,
        handler,
        ..
    } in routes()
    {
        let guarded = handler.route_layer(axum::middleware::from_fn_with_state(
            (world.clone(), access),
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

/// Why a request is turned away, as the person sees it.
pub(crate) enum Refusal {
    /// No live staff session: pages go to the sign-in page, everything else gets 401.
    SignedOut,
    /// A staff session whose role may not do this.
    WrongRole(Role),
    /// A form without the session's CSRF token.
    Csrf,
}

impl Refusal {
    fn response(self, method: &Method) -> Response {
        match self {
            Refusal::SignedOut if method == Method::GET => {
                let mut response = Redirect::to("/console/connexion").into_response();
                *response.status_mut() = StatusCode::SEE_OTHER;
                response
            }
            Refusal::SignedOut => (
                StatusCode::UNAUTHORIZED,
                pages::refusal("Connexion requise", "Votre session a expiré ou vous n'êtes pas connecté : connectez-vous à nouveau."),
            )
                .into_response(),
            Refusal::WrongRole(role) => (
                StatusCode::FORBIDDEN,
                pages::refusal(
                    "Accès refusé",
                    &format!("Votre rôle ({}) ne donne pas accès à cette page.", role.label_fr()),
                ),
            )
                .into_response(),
            Refusal::Csrf => (
                StatusCode::FORBIDDEN,
                pages::refusal(
                    "Formulaire refusé",
                    "Ce formulaire n'a pas été envoyé depuis votre session de la console (jeton anti-CSRF absent ou faux). Rechargez la page et recommencez.",
                ),
            )
                .into_response(),
        }
    }
}

/// The access guard of every console route: a live staff session with an allowed role, and for
/// a form the session's CSRF token. Learners have no staff session, so they never pass.
async fn guard(
    State((world, access)): State<(Arc<World>, Access)>,
    request: Request,
    next: Next,
) -> Response {
    let roles = match access {
        Access::Public => return next.run(request).await,
        Access::Staff(roles) => roles,
    };
    let method = request.method().clone();
    let Some(token) = cookie(request.headers(), SESSION_COOKIE) else {
        return Refusal::SignedOut.response(&method);
    };
    let session = match auth::session(&world, &token).await {
        Ok(Some(session)) => session,
        Ok(None) => return Refusal::SignedOut.response(&method),
        Err(error) => return error.into_response(),
    };
    if !roles.contains(&session.role) {
        return Refusal::WrongRole(session.role).response(&method);
    }
    let (mut parts, body) = request.into_parts();
    let body = if method == Method::GET || method == Method::HEAD {
        body
    } else {
        let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
            return WorldError::bad_request("invalid_body", "Formulaire illisible ou trop volumineux.")
                .into_response();
        };
        if !form_field(&bytes, "csrf").is_some_and(|sent| auth::same_secret(sent, &session.csrf_token)) {
            return Refusal::Csrf.response(&method);
        }
        Body::from(bytes)
    };
    parts.extensions.insert(session);
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
mod tests;
