//! The demo services, Mon Compte Formation and Mon Compte Élu: ordinary OIDC clients of
//! FranceConnect+ served by the world, in French, as the guides show them. They verify
//! everything they receive (signature, decryption, nonce, state, iss, aud, exp), and buying a
//! training asks for a fresh FranceConnect+ login, as the real service has since 25 Oct 2022.

use super::client::{RelyingClient, VerifiedLogin};
use super::jose::{DecryptionKey, SiteKeys};
use super::pages::{self, HomeMessages, NotSimulated, SiteText, ELU, MCF};
use super::registry::{Client, Encryption};
use super::store::{random_token, Expiring};
use super::{base_url, Federation, ProviderKind};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::TimeDelta;
use serde::Deserialize;
use std::sync::Arc;

type Shared = State<Arc<Federation>>;

/// How long a demo site remembers a person (world time).
const SESSION_LIFETIME: TimeDelta = TimeDelta::hours(2);

/// What a login was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum After {
    Account,
    Purchase,
}

#[derive(Debug, Clone, Default)]
struct Session {
    pending: Option<(String, String, Option<After>)>,
    login: Option<VerifiedLogin>,
    purchased: bool,
    logout_state: Option<String>,
}

/// One demo service: its registration at FranceConnect+ and its sessions.
pub struct Site {
    text: SiteText,
    client_id: &'static str,
    client_secret: String,
    key: DecryptionKey,
    sessions: Expiring<Session>,
}

pub struct Sites {
    mcf: Site,
    elu: Site,
}

impl Sites {
    /// Fresh client secrets at each start (the demo sites' sessions do not outlive the world);
    /// their decryption keys are the world's stored ones.
    pub fn new(keys: SiteKeys) -> Self {
        Self {
            mcf: Site {
                text: MCF,
                client_id: "mon-compte-formation",
                client_secret: random_token(),
                key: keys.mcf,
                sessions: Expiring::default(),
            },
            elu: Site {
                text: ELU,
                client_id: "mon-compte-elu",
                client_secret: random_token(),
                key: keys.elu,
                sessions: Expiring::default(),
            },
        }
    }

    fn site(&self, elu: bool) -> &Site {
        if elu {
            &self.elu
        } else {
            &self.mcf
        }
    }

    /// The demo sites as FranceConnect+ clients, on the address the caller used.
    pub fn builtin_client(&self, client_id: &str, base: &str) -> Option<Client> {
        let site = [&self.mcf, &self.elu]
            .into_iter()
            .find(|site| site.client_id == client_id)?;
        let prefix = site.text.prefix;
        Some(Client::new(
            site.client_id,
            site.text.name,
            &site.client_secret,
            vec![format!("{base}{prefix}/callback")],
            vec![format!("{base}{prefix}/deconnecte")],
            Encryption::Jwk(Box::new(site.key.public().clone())),
        ))
    }
}

pub fn routes() -> Router<Arc<Federation>> {
    let mut router = Router::new();
    for elu in [false, true] {
        let prefix = if elu { ELU.prefix } else { MCF.prefix };
        router = router
            .route(prefix, get(move |s, h, q| home(s, h, q, elu)))
            .route(&format!("{prefix}/"), get(move |s, h, q| home(s, h, q, elu)))
            .route(
                &format!("{prefix}/connexion-classique"),
                post(move |form| classic_login(form, elu)),
            )
            .route(
                &format!("{prefix}/mot-de-passe-oublie"),
                get(move || not_simulated(NotSimulated::ForgottenPassword, elu)),
            )
            .route(
                &format!("{prefix}/creer-mon-compte"),
                get(move || not_simulated(NotSimulated::NewAccount, elu)),
            )
            .route(
                &format!("{prefix}/franceconnect"),
                get(move |s, h| start_login(s, h, After::Account, elu)),
            )
            .route(
                &format!("{prefix}/formation/acheter"),
                post(move |s, h| purchase(s, h, elu)),
            )
            .route(
                &format!("{prefix}/callback"),
                get(move |s, h, q| callback(s, h, q, elu)),
            )
            .route(&format!("{prefix}/espace"), get(move |s, h| account(s, h, elu)))
            .route(
                &format!("{prefix}/deconnexion"),
                get(move |s, h| logout(s, h, elu)),
            )
            .route(
                &format!("{prefix}/deconnecte"),
                get(move |s, h, q| logged_out(s, h, q, elu)),
            );
    }
    router
}

fn cookie_name(site: &Site) -> String {
    format!("idn_{}", site.text.prefix.trim_start_matches('/'))
}

fn session_id(site: &Site, headers: &HeaderMap) -> Option<String> {
    crate::console::cookie(headers, &cookie_name(site))
}

fn session(federation: &Federation, site: &Site, headers: &HeaderMap) -> Option<(String, Session)> {
    let id = session_id(site, headers)?;
    let session = site.sessions.get(&id, federation.world.now())?;
    Some((id, session))
}

/// Stores the session and answers with its cookie.
fn with_session(
    federation: &Federation,
    site: &Site,
    id: Option<String>,
    session: Session,
    response: Response,
) -> Response {
    let now = federation.world.now();
    let id = id.unwrap_or_else(random_token);
    site.sessions
        .insert(id.clone(), session, now + SESSION_LIFETIME, now);
    let cookie = format!(
        "{}={id}; Path={}; HttpOnly; SameSite=Lax",
        cookie_name(site),
        site.text.prefix
    );
    ([(header::SET_COOKIE, cookie)], response).into_response()
}

#[derive(Debug, Deserialize)]
struct HomeQuery {
    erreur: Option<String>,
}

async fn home(
    State(federation): Shared,
    headers: HeaderMap,
    Query(query): Query<HomeQuery>,
    elu: bool,
) -> Response {
    let site = federation.sites.site(elu);
    if session(&federation, site, &headers).is_some_and(|(_, session)| session.login.is_some()) {
        return Redirect::to(&format!("{}/espace", site.text.prefix)).into_response();
    }
    let messages = HomeMessages {
        error: query.erreur.is_some().then_some(pages::RP_LOGIN_FAILED),
        ..HomeMessages::default()
    };
    pages::rp_home(&site.text, messages).into_response()
}

#[derive(Debug, Deserialize)]
struct ClassicForm {
    nir: String,
    #[allow(dead_code)]
    password: String,
}

fn site_text(elu: bool) -> &'static SiteText {
    if elu {
        &ELU
    } else {
        &MCF
    }
}

/// The classic form exists for accounts created before 25 October 2022; the sandbox has none,
/// and says so once the number is well formed.
async fn classic_login(Form(form): Form<ClassicForm>, elu: bool) -> Response {
    let text = site_text(elu);
    let digits: String = form.nir.chars().filter(|c| !c.is_whitespace()).collect();
    let valid_nir = digits.len() == 15
        && digits
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || (i == 6 && matches!(c, 'A' | 'B')));
    let messages = HomeMessages {
        error: Some(if valid_nir {
            pages::RP_CLASSIC_REFUSED
        } else {
            pages::RP_CLASSIC_INVALID_NIR
        }),
        notice: None,
        simulated_only: valid_nir,
    };
    pages::rp_home(text, messages).into_response()
}

/// « MOT DE PASSE OUBLIÉ » and « CRÉER MON COMPTE »: what they are for, and that only the
/// FranceConnect+ login is simulated.
async fn not_simulated(topic: NotSimulated, elu: bool) -> Response {
    pages::rp_not_simulated(site_text(elu), topic).into_response()
}

/// "S'identifier avec FranceConnect+": a fresh state and nonce, then FranceConnect+.
async fn start_login(State(federation): Shared, headers: HeaderMap, after: After, elu: bool) -> Response {
    let site = federation.sites.site(elu);
    let base = base_url(&headers);
    let (id, mut session) = session(&federation, site, &headers)
        .map(|(id, session)| (Some(id), session))
        .unwrap_or_default();
    let state = random_token();
    let nonce = random_token();
    let mut url = reqwest::Url::parse(&format!(
        "{}/authorize",
        ProviderKind::FranceConnectPlus.issuer(&base)
    ))
    .expect("the world's address is a URL");
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", site.client_id)
        .append_pair("redirect_uri", &format!("{base}{}/callback", site.text.prefix))
        .append_pair(
            "scope",
            "openid given_name family_name birthdate gender birthplace birthcountry email preferred_username",
        )
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("acr_values", "eidas2");
    session.pending = Some((state, nonce, Some(after)));
    with_session(
        &federation,
        site,
        id,
        session,
        Redirect::to(url.as_str()).into_response(),
    )
}

async fn purchase(state: Shared, headers: HeaderMap, elu: bool) -> Response {
    let site = state.sites.site(elu);
    if session(&state, site, &headers).is_none_or(|(_, session)| session.login.is_none()) {
        return Redirect::to(site.text.prefix).into_response();
    }
    start_login(state, headers, After::Purchase, elu).await
}

#[derive(Debug, Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn callback(
    State(federation): Shared,
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
    elu: bool,
) -> Response {
    let site = federation.sites.site(elu);
    let failed = Redirect::to(&format!("{}?erreur=1", site.text.prefix)).into_response();
    let Some((id, mut session)) = session(&federation, site, &headers) else {
        return failed;
    };
    // The state is spent whatever happens next.
    let Some((state, nonce, after)) = session.pending.take() else {
        return failed;
    };
    if query.state.as_deref() != Some(state.as_str()) || query.error.is_some() {
        tracing::info!(error = ?query.error, "demo site: login not completed");
        return with_session(&federation, site, Some(id), session, failed);
    }
    let Some(code) = query.code else {
        return with_session(&federation, site, Some(id), session, failed);
    };
    let base = base_url(&headers);
    let client = RelyingClient {
        issuer: ProviderKind::FranceConnectPlus.issuer(&base),
        client_id: site.client_id,
        client_secret: &site.client_secret,
        decryption: &site.key,
        redirect_uri: format!("{base}{}/callback", site.text.prefix),
    };
    let now = federation.world.now();
    match client
        .complete(&federation.http, &federation.jwks_cache, &code, &nonce, now)
        .await
    {
        Ok(verified) => {
            if let Some(previous) = &session.login {
                if previous.sub != verified.sub {
                    // Another person logged in: nothing of the previous one is kept.
                    session.purchased = false;
                }
            }
            if after == Some(After::Purchase) {
                session.purchased = true;
            }
            session.login = Some(verified);
            let target = Redirect::to(&format!("{}/espace", site.text.prefix)).into_response();
            with_session(&federation, site, Some(id), session, target)
        }
        Err(error) => {
            tracing::warn!(%error, site = site.text.name, "demo site refused the FranceConnect+ answer");
            with_session(&federation, site, Some(id), session, failed)
        }
    }
}

async fn account(State(federation): Shared, headers: HeaderMap, elu: bool) -> Response {
    let site = federation.sites.site(elu);
    match session(&federation, site, &headers)
        .and_then(|(_, session)| Some((session.login.clone()?, session)))
    {
        Some((login, session)) => {
            pages::rp_account(&site.text, &login.identity, &login.sub, session.purchased).into_response()
        }
        None => Redirect::to(site.text.prefix).into_response(),
    }
}

/// "Se déconnecter": the service forgets the person, then FranceConnect+ ends its session.
async fn logout(State(federation): Shared, headers: HeaderMap, elu: bool) -> Response {
    let site = federation.sites.site(elu);
    let Some((id, mut session)) = session(&federation, site, &headers) else {
        return Redirect::to(site.text.prefix).into_response();
    };
    let Some(login) = session.login.take() else {
        return Redirect::to(site.text.prefix).into_response();
    };
    let base = base_url(&headers);
    let state = random_token();
    let mut url = reqwest::Url::parse(&format!(
        "{}/session/end",
        ProviderKind::FranceConnectPlus.issuer(&base)
    ))
    .expect("the world's address is a URL");
    url.query_pairs_mut()
        .append_pair("id_token_hint", &login.id_token)
        .append_pair("state", &state)
        .append_pair(
            "post_logout_redirect_uri",
            &format!("{base}{}/deconnecte", site.text.prefix),
        );
    session.purchased = false;
    session.logout_state = Some(state);
    with_session(
        &federation,
        site,
        Some(id),
        session,
        Redirect::to(url.as_str()).into_response(),
    )
}

#[derive(Debug, Deserialize)]
struct LoggedOutQuery {
    state: Option<String>,
}

async fn logged_out(
    State(federation): Shared,
    headers: HeaderMap,
    Query(query): Query<LoggedOutQuery>,
    elu: bool,
) -> Response {
    let site = federation.sites.site(elu);
    let confirmed = session(&federation, site, &headers)
        .and_then(|(_, session)| session.logout_state)
        .is_some_and(|state| Some(state) == query.state);
    let messages = HomeMessages {
        notice: confirmed.then_some(pages::RP_LOGGED_OUT),
        ..HomeMessages::default()
    };
    pages::rp_home(&site.text, messages).into_response()
}
