//! FranceConnect+ and L'Identité Numérique La Poste as two real OpenID Connect providers, and
//! the demo services (Mon Compte Formation, Mon Compte Élu) as ordinary clients of
//! FranceConnect+. FranceConnect+ federates La Poste as its client, exactly as in reality, and La
//! Poste asks the person's device through the world's login requests. Every exchange between
//! them is real HTTP on the world's own address, so any standard OIDC client can take part.
//!
//! Layout: `rules` (pure rules of FranceConnect+), `jose` (tokens, keys), `store` (short-lived
//! codes, tokens and flows), `registry` (relying parties), `provider` (token, userinfo,
//! discovery, JWKS of both providers), `client` (the OIDC client side FranceConnect+ and the demo
//! sites share), `laposte`, `fcplus`, `sites` (pages and redirects), `pages` (HTML and French).

mod client;
mod fcplus;
mod jose;
mod laposte;
mod pages;
mod provider;
mod registry;
mod rules;
mod sites;
mod store;

pub use registry::{NewRelyingParty, RegisteredRelyingParty, RelyingPartyView};

use crate::{World, WorldError};
use axum::http::HeaderMap;
use axum::Router;
use jose::FederationKeys;
use registry::{Client, Encryption};
use rules::CodeGrant;
use std::sync::Arc;
use store::Expiring;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Client id of FranceConnect+ at the La Poste identity provider.
pub const FCPLUS_CLIENT_ID: &str = "franceconnect-plus";

/// The two providers of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    FranceConnectPlus,
    LaPoste,
}

impl ProviderKind {
    pub fn path(self) -> &'static str {
        match self {
            Self::FranceConnectPlus => "/fcplus",
            Self::LaPoste => "/laposte",
        }
    }

    pub fn issuer(self, base: &str) -> String {
        format!("{base}{}", self.path())
    }
}

/// What the access token of a provider lets its client read at userinfo.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    pub client_id: String,
    pub sub: String,
    pub scopes: Vec<String>,
    pub identity: rules::IdentityClaims,
}

/// Codes and tokens of one provider.
#[derive(Default)]
pub struct ProviderStore {
    pub codes: Expiring<CodeGrant>,
    pub tokens: Expiring<TokenGrant>,
}

/// Everything the providers and the demo sites share, behind the federation's routes.
pub struct Federation {
    pub world: Arc<World>,
    pub keys: FederationKeys,
    pub http: reqwest::Client,
    pub fcplus: ProviderStore,
    pub laposte: ProviderStore,
    pub laposte_flows: Expiring<laposte::LoginFlow>,
    pub fcplus_flows: Expiring<fcplus::LoginFlow>,
    /// SHA-256 of the id_tokens FranceConnect+ issued, with their client, for logout hints.
    pub issued_id_tokens: Expiring<String>,
    pub sites: sites::Sites,
    pub jwks_cache: client::JwksCache,
    pub recipients: jose::Recipients,
}

impl Federation {
    pub fn open(world: Arc<World>) -> Result<Self, WorldError> {
        let database = world.pool().connect_options();
        let data_dir = database
            .get_filename()
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default();
        let (keys, site_keys) = FederationKeys::load_or_create(&data_dir)?;
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a plain HTTP client builds");
        Ok(Self {
            world,
            keys,
            http,
            fcplus: ProviderStore::default(),
            laposte: ProviderStore::default(),
            laposte_flows: Expiring::default(),
            fcplus_flows: Expiring::default(),
            issued_id_tokens: Expiring::default(),
            sites: sites::Sites::new(site_keys),
            jwks_cache: client::JwksCache::default(),
            recipients: jose::Recipients::default(),
        })
    }

    pub fn store(&self, provider: ProviderKind) -> &ProviderStore {
        match provider {
            ProviderKind::FranceConnectPlus => &self.fcplus,
            ProviderKind::LaPoste => &self.laposte,
        }
    }

    /// A client of `provider`. Built-in clients (FranceConnect+ at La Poste, the demo sites at
    /// FranceConnect+) have redirect URIs on the world's own address as the caller reached it.
    pub async fn client(
        &self,
        provider: ProviderKind,
        client_id: &str,
        base: &str,
    ) -> Result<Option<Client>, WorldError> {
        match provider {
            ProviderKind::LaPoste => Ok((client_id == FCPLUS_CLIENT_ID).then(|| {
                Client::new(
                    FCPLUS_CLIENT_ID,
                    "FranceConnect+",
                    &self.keys.fcplus_client_secret,
                    vec![format!("{base}/fcplus/callback")],
                    vec![],
                    Encryption::Jwk(Box::new(self.keys.fcplus_decryption.public().clone())),
                )
            })),
            ProviderKind::FranceConnectPlus => match self.sites.builtin_client(client_id, base) {
                Some(client) => Ok(Some(client)),
                None => registry::client(self.world.pool(), client_id).await,
            },
        }
    }
}

/// The world's address as the caller reached it: issuers and built-in redirect URIs follow it,
/// so the sandbox works on 127.0.0.1, a LAN name or behind a TLS proxy (`X-Forwarded-Proto`).
pub fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|value| value.to_str().ok())
        .filter(|host| {
            !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .unwrap_or("localhost");
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
    {
        Some("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{host}")
}

/// The relying-party registration API, merged into the world's documented API.
pub(crate) fn api_routes() -> OpenApiRouter<Arc<World>> {
    OpenApiRouter::new()
        .routes(routes!(
            registry::register_relying_party,
            registry::list_relying_parties
        ))
        .routes(routes!(registry::relying_party))
}

/// The providers' endpoints and the pages people see.
pub(crate) fn router(world: Arc<World>) -> Result<Router, WorldError> {
    let federation = Arc::new(Federation::open(world)?);
    Ok(provider::routes()
        .merge(laposte::routes())
        .merge(fcplus::routes())
        .merge(sites::routes())
        .with_state(federation))
}
