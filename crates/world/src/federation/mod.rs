//! FranceConnect+ and L'Identité Numérique La Poste as two real OpenID Connect providers, and
//! the demo services (Mon Compte Formation, Mon Compte Élu) as ordinary clients of
//! FranceConnect+. FranceConnect+ federates La Poste as its client, exactly as in reality, and La
//! Poste asks the person's device through the world's login requests. Every exchange between
//! them is real HTTP on the world's own address, so any standard OIDC client can take part.
//!
//! Layout: `rules` (pure rules of FranceConnect+), `jose` (tokens, keys), `store` (short-lived
//! codes, tokens and flows), `registry` (relying parties), `provider` (token, userinfo,
//! discovery, JWKS of both providers), `client` (the OIDC client side FranceConnect+ and the demo
//! sites share, its failures typed by `error`), `laposte`, `fcplus`, `sites` (pages and
//! redirects), `pages` (the typed contexts of their askama templates, under `templates/`, and
//! their French messages).

mod client;
mod error;
mod fcplus;
mod jose;
mod laposte;
mod pages;
mod provider;
mod registry;
mod rules;
mod sites;
mod store;

pub(crate) use pages::{Page, Theme};

use crate::{World, WorldError};
use axum::http::{header, HeaderMap, HeaderValue};
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
    /// Fetches relying parties' key sets when private addresses are refused: its resolver
    /// connects only to public addresses (see `client::PublicAddressesOnly`).
    pub public_http: reqwest::Client,
}

/// Whom the back-channel (FranceConnect+ → La Poste, the demo sites → FranceConnect+, all on
/// the world's own address) trusts: the operating system (a trainer's own certificate) and the
/// world's local authority when it has one, so that a world served over HTTPS reaches itself.
fn own_trust(data_dir: &std::path::Path) -> idn_api::tls::Trust {
    let trust = idn_api::tls::Trust::platform();
    let authority = data_dir.join(crate::tls::DIR_NAME).join("ca.pem");
    if !authority.exists() {
        return trust;
    }
    match trust.clone().with_ca_file(&authority) {
        Ok(with_authority) => with_authority,
        Err(error) => {
            tracing::warn!(%error, "the world's local authority is unreadable; its back-channel trusts the platform only");
            trust
        }
    }
}

impl Federation {
    pub fn open(world: Arc<World>) -> Result<Self, WorldError> {
        let (keys, site_keys) = FederationKeys::load_or_create(world.data_dir())?;
        let builder = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none());
        let http = own_trust(world.data_dir())
            .configure(builder)
            .build()
            .expect("an HTTP client builds");
        let public_http = client::public_addresses_client();
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
            public_http,
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
                None => registry::client(&self.world, client_id).await,
            },
        }
    }
}

/// The world's address as the caller reached it: issuers and built-in redirect URIs follow it,
/// so the sandbox works on 127.0.0.1, a LAN name or behind a TLS proxy (`X-Forwarded-Proto`).
/// A world with a `PublicUrl` rewrites both headers first (`expose`), so this gives that URL.
pub fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .filter(|host| is_plain_authority(host))
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

/// Letters, digits and `.-:[]` only: what `base_url` accepts from a Host header.
fn is_plain_authority(authority: &str) -> bool {
    !authority.is_empty()
        && authority
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

/// The address a served world is reached by (`idn world serve --public-url`): issuers, discovery
/// documents and built-in redirect URIs name it whatever Host a request carries, so nobody can
/// make the providers name another host, and every token of the world carries one issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    scheme: &'static str,
    /// Host and port as a Host header carries them (`salle-12.example:8443`, `[fd00::1]`).
    authority: HeaderValue,
}

impl PublicUrl {
    pub fn parse(text: &str) -> Result<Self, WorldError> {
        let refused = |why: &str| {
            WorldError::bad_request(
                "invalid_public_url",
                format!(
                    "Adresse publique « {text} » refusée : {why}. Exemple : https://salle-12.example:8443"
                ),
            )
        };
        let url = reqwest::Url::parse(text.trim())
            .map_err(|_| refused("ce n'est pas une adresse absolue valide"))?;
        let scheme = match url.scheme() {
            "http" => "http",
            "https" => "https",
            _ => return Err(refused("elle doit commencer par http:// ou https://")),
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refused(
                "elle ne doit pas contenir d'identifiant ni de mot de passe",
            ));
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(refused(
                "elle ne doit avoir ni chemin, ni paramètres (?), ni fragment (#) : seulement le schéma, l'hôte et le port",
            ));
        }
        let host = url
            .host_str()
            .filter(|host| !host.is_empty())
            .ok_or_else(|| refused("l'hôte manque"))?;
        let authority = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        if !is_plain_authority(&authority) {
            return Err(refused(
                "l'hôte ne peut contenir que des lettres sans accent, des chiffres, des points et des tirets",
            ));
        }
        let authority = HeaderValue::from_str(&authority).map_err(|_| refused("l'hôte est invalide"))?;
        Ok(Self { scheme, authority })
    }

    /// `https://salle-12.example:8443`, without a trailing slash (as `base_url` answers).
    pub fn as_base(&self) -> String {
        format!(
            "{}://{}",
            self.scheme,
            self.authority.to_str().expect("checked as plain ASCII")
        )
    }
}

/// Where the world may fetch a relying party's key set (`jwks_uri`) from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum JwksAddresses {
    /// Any address, loopback and private ones included: a developer points a local world at
    /// their own application on localhost. The default of a world without `expose`.
    #[default]
    Any,
    /// Public addresses only: anyone who reaches a served world could otherwise make it read
    /// its own loopback, the LAN or a cloud metadata service (169.254.169.254).
    PublicOnly,
}

/// The served router, with the public address and the key-set rule applied to every request.
/// A local world (no public URL, any key-set address, plain HTTP) gets the router unchanged.
/// With `https`, the world serves TLS itself: every request says so (`X-Forwarded-Proto:
/// https`, whatever the client sent), so issuers, redirect URIs, QR codes and the console's
/// `Secure` cookies follow.
pub(crate) fn expose(app: Router, public_url: Option<PublicUrl>, jwks: JwksAddresses, https: bool) -> Router {
    let app = match jwks {
        JwksAddresses::Any => app,
        JwksAddresses::PublicOnly => app.layer(axum::Extension(jwks)),
    };
    match public_url {
        None if https => app.layer(axum::middleware::map_request(
            |mut request: axum::extract::Request| async move {
                request
                    .headers_mut()
                    .insert("x-forwarded-proto", HeaderValue::from_static("https"));
                request
            },
        )),
        None => app,
        // Rewriting Host and X-Forwarded-Proto at the edge, as a reverse proxy would, puts every
        // place that derives an address from them (`base_url`: issuers, redirect URIs, the
        // welcome page's QR code) on the configured one, without each handler knowing of it.
        Some(public_url) => app.layer(axum::middleware::map_request(
            move |mut request: axum::extract::Request| {
                let public_url = public_url.clone();
                async move {
                    let headers = request.headers_mut();
                    headers.insert(header::HOST, public_url.authority.clone());
                    headers.insert("x-forwarded-proto", HeaderValue::from_static(public_url.scheme));
                    request
                }
            },
        )),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemWallClock;
    use crate::WorldOptions;
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    /// The issuer of `provider`'s discovery document, as `app` answers to a request for `host`.
    async fn discovered_issuer(app: &Router, provider: ProviderKind, host: &str) -> String {
        let request = Request::get(format!("{}/.well-known/openid-configuration", provider.path()))
            .header(header::HOST, host)
            .header("x-forwarded-proto", "https")
            .body(Body::empty())
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let document: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert!(
            document["jwks_uri"]
                .as_str()
                .unwrap()
                .starts_with(document["issuer"].as_str().unwrap()),
            "every endpoint is under the issuer"
        );
        document["issuer"].as_str().unwrap().to_owned()
    }

    async fn app(public_url: Option<PublicUrl>) -> (tempfile::TempDir, Router) {
        let dir = tempfile::tempdir().unwrap();
        let world = Arc::new(
            World::open(WorldOptions::new(dir.path()), Arc::new(SystemWallClock))
                .await
                .unwrap(),
        );
        let app = expose(crate::http::app(world), public_url, JwksAddresses::Any, false);
        (dir, app)
    }

    #[tokio::test]
    async fn with_a_public_url_both_providers_name_it_whatever_host_the_request_carries() {
        let public = PublicUrl::parse("http://salle-12.example:8443/").unwrap();
        let (_dir, app) = app(Some(public)).await;
        for provider in [ProviderKind::LaPoste, ProviderKind::FranceConnectPlus] {
            assert_eq!(
                discovered_issuer(&app, provider, "attaquant.example").await,
                format!("http://salle-12.example:8443{}", provider.path()),
                "a forged Host (and X-Forwarded-Proto) must not change the issuer"
            );
        }
    }

    #[tokio::test]
    async fn without_a_public_url_the_providers_follow_the_host_of_the_request() {
        let (_dir, app) = app(None).await;
        for provider in [ProviderKind::LaPoste, ProviderKind::FranceConnectPlus] {
            assert_eq!(
                discovered_issuer(&app, provider, "192.168.1.20:8787").await,
                format!("https://192.168.1.20:8787{}", provider.path()),
                "local use and TLS proxies rely on the Host and X-Forwarded-Proto"
            );
        }
    }

    #[tokio::test]
    async fn the_back_channel_reaches_a_world_served_under_its_own_authority() {
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let tls = crate::tls::ServerTls::prepare(
            dir.path(),
            &crate::tls::TlsSetup::LocalAuthority { names: vec![] },
            listener.local_addr().unwrap(),
            std::time::SystemTime::now(),
        )
        .unwrap();
        let running = crate::RunningWorld::start_serving(
            WorldOptions::new(dir.path()),
            listener,
            crate::Transport::Tls(tls),
        )
        .await
        .unwrap();
        let status = format!("{}/api/status", running.local_url());
        let back_channel = own_trust(dir.path())
            .configure(reqwest::Client::builder())
            .build()
            .unwrap();
        let answer = back_channel.get(&status).send().await;
        assert!(
            answer.is_ok_and(|answer| answer.status().is_success()),
            "FranceConnect+ must reach La Poste on the world's own HTTPS address"
        );
        let stranger = tempfile::tempdir().unwrap();
        let refused = own_trust(stranger.path())
            .without_platform()
            .configure(reqwest::Client::builder())
            .build()
            .unwrap()
            .get(&status)
            .send()
            .await
            .unwrap_err();
        assert!(
            idn_api::tls::is_certificate_refusal(&refused),
            "a world without this authority does not trust it: {refused:?}"
        );
        running.stop().await;
    }

    #[test]
    fn a_public_url_is_a_scheme_a_host_and_a_port_only() {
        for (text, base) in [
            ("https://salle-12.example:8443", "https://salle-12.example:8443"),
            ("https://salle-12.example:8443/", "https://salle-12.example:8443"),
            ("http://192.168.1.20:8787", "http://192.168.1.20:8787"),
            ("https://Salle-12.Example:443", "https://salle-12.example"),
            ("http://[fd00::12]:8787", "http://[fd00::12]:8787"),
        ] {
            assert_eq!(PublicUrl::parse(text).unwrap().as_base(), base, "{text}");
        }
        for text in [
            "salle-12.example:8443",
            "ftp://salle-12.example",
            "https://salle-12.example/idn",
            "https://salle-12.example/?a=b",
            "https://salle-12.example/#x",
            "https://formateur:secret@salle-12.example",
            "https://salle_12.example",
            "https://",
        ] {
            let refused = PublicUrl::parse(text);
            assert!(
                refused
                    .as_ref()
                    .is_err_and(|error| error.message_fr().contains("Adresse publique")),
                "{text} must be refused with a French reason: {refused:?}"
            );
        }
    }
}
