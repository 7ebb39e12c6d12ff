//! The endpoints both providers share: token (code → id_token + access token), userinfo
//! (`application/jwt`), discovery and JWKS. Errors answer in the standard OAuth form
//! (`{"error", "error_description"}`, `WWW-Authenticate` at userinfo).

use super::error::FederationError;
use super::jose::{self, Recipient, SigningKey};
use super::registry::{Client, Encryption};
use super::rules::{self, OAuthError, Refusal};
use super::store::random_token;
use super::{base_url, Federation, JwksAddresses, ProviderKind, TokenGrant};
use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::sync::Arc;

type Shared = State<Arc<Federation>>;
/// Set by `expose` on a served world that refuses private addresses; absent means any address.
type JwksRule = Option<axum::Extension<JwksAddresses>>;

pub fn routes() -> Router<Arc<Federation>> {
    let mut router = Router::new();
    for provider in [ProviderKind::FranceConnectPlus, ProviderKind::LaPoste] {
        let path = provider.path();
        router = router
            .route(
                &format!("{path}/token"),
                axum::routing::post(move |state, rule, headers, form| {
                    token(state, rule, headers, form, provider)
                }),
            )
            .route(
                &format!("{path}/userinfo"),
                get(move |state, rule, headers| userinfo(state, rule, headers, provider))
                    .post(move |state, rule, headers| userinfo(state, rule, headers, provider)),
            )
            .route(&format!("{path}/jwks"), get(move |state| jwks(state, provider)))
            .route(
                &format!("{path}/.well-known/openid-configuration"),
                get(move |state, headers| discovery(state, headers, provider)),
            );
    }
    router
}

fn signing_key(federation: &Federation, provider: ProviderKind) -> &SigningKey {
    match provider {
        ProviderKind::FranceConnectPlus => &federation.keys.fcplus_signing,
        ProviderKind::LaPoste => &federation.keys.laposte_signing,
    }
}

fn pairwise_key(federation: &Federation, provider: ProviderKind) -> &[u8; 32] {
    match provider {
        ProviderKind::FranceConnectPlus => &federation.keys.fcplus_pairwise,
        ProviderKind::LaPoste => &federation.keys.laposte_pairwise,
    }
}

/// A standard OAuth error answer.
pub struct OAuthFailure {
    status: StatusCode,
    refusal: Refusal,
}

impl OAuthFailure {
    fn new(refusal: Refusal) -> Self {
        let status = match refusal.error {
            OAuthError::InvalidClient | OAuthError::InvalidToken => StatusCode::UNAUTHORIZED,
            _ => StatusCode::BAD_REQUEST,
        };
        Self { status, refusal }
    }

    fn of(error: OAuthError, description: &'static str) -> Self {
        Self::new(Refusal { error, description })
    }

    fn server(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "token endpoint failed");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            refusal: Refusal {
                error: OAuthError::InvalidRequest,
                description: "the provider failed; try again",
            },
        }
    }
}

impl IntoResponse for OAuthFailure {
    fn into_response(self) -> Response {
        tracing::info!(
            error = self.refusal.error.code(),
            description = self.refusal.description,
            "OAuth request refused"
        );
        let body = Json(json!({
            "error": self.refusal.error.code(),
            "error_description": self.refusal.description,
        }));
        let mut response = (self.status, [(header::CACHE_CONTROL, "no-store")], body).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            let challenge = format!(
                "Bearer error=\"{}\", error_description=\"{}\"",
                self.refusal.error.code(),
                self.refusal.description
            );
            if let Ok(value) = challenge.parse() {
                response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
            }
        }
        response
    }
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    code_verifier: Option<String>,
}

/// `client_secret_basic` (Authorization header) or `client_secret_post` (form fields).
fn client_credentials(headers: &HeaderMap, form: &TokenForm) -> Option<(String, String)> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
        .and_then(|encoded| {
            base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .ok()
        })
        .and_then(|decoded| String::from_utf8(decoded).ok());
    if let Some(decoded) = basic {
        let (id, secret) = decoded.split_once(':')?;
        let decode = |text: &str| {
            reqwest::Url::parse(&format!("http://x/?v={text}"))
                .ok()
                .and_then(|url| url.query_pairs().next().map(|(_, value)| value.into_owned()))
        };
        return Some((decode(id)?, decode(secret)?));
    }
    Some((form.client_id.clone()?, form.client_secret.clone()?))
}

/// The key a client's tokens are encrypted to: registered inline, or read from its JWKS URL
/// (on a public address only when `addresses` says so).
pub async fn recipient_key(
    federation: &Federation,
    client: &Client,
    addresses: JwksAddresses,
) -> Result<Arc<Recipient>, FederationError> {
    let jwk = match &client.encryption {
        Encryption::Jwk(jwk) => jwk.as_ref().clone(),
        Encryption::JwksUri(uri) => {
            let set = match addresses {
                JwksAddresses::Any => federation.jwks_cache.fetch(&federation.http, uri).await,
                JwksAddresses::PublicOnly => {
                    federation
                        .jwks_cache
                        .fetch_public(&federation.public_http, uri)
                        .await
                }
            }
            .map_err(|source| FederationError::ClientKeySet {
                client_id: client.client_id.clone(),
                source: Box::new(source),
            })?;
            set.keys()
                .into_iter()
                .find(|jwk| jwk.key_use() != Some("sig") && jose::check_recipient_key(jwk).is_ok())
                .cloned()
                .ok_or_else(|| FederationError::NoEncryptionKey {
                    client_id: client.client_id.clone(),
                })?
        }
    };
    federation
        .recipients
        .get(&jwk)
        .map_err(|source| FederationError::RecipientKey {
            client_id: client.client_id.clone(),
            source,
        })
}

/// How an issued id_token is known again at logout: the hex SHA-256 of its compact form.
pub fn id_token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

async fn token(
    State(federation): Shared,
    rule: JwksRule,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
    provider: ProviderKind,
) -> Result<Response, OAuthFailure> {
    let Form(form) = form.map_err(|_| {
        OAuthFailure::of(
            OAuthError::InvalidRequest,
            "the body must be application/x-www-form-urlencoded",
        )
    })?;
    let base = base_url(&headers);
    let (client_id, secret) = client_credentials(&headers, &form).ok_or(OAuthFailure::of(
        OAuthError::InvalidClient,
        "client authentication is required (client_secret_basic or client_secret_post)",
    ))?;
    let client = federation
        .client(provider, &client_id, &base)
        .await
        .map_err(OAuthFailure::server)?
        .filter(|client| client.secret_matches(&secret))
        .ok_or(OAuthFailure::of(
            OAuthError::InvalidClient,
            "unknown client or wrong secret",
        ))?;
    if form.grant_type.as_deref() != Some("authorization_code") {
        return Err(OAuthFailure::of(
            OAuthError::UnsupportedGrantType,
            "only grant_type=authorization_code is supported",
        ));
    }
    let code = form.code.as_deref().ok_or(OAuthFailure::of(
        OAuthError::InvalidRequest,
        "the code parameter is missing",
    ))?;
    let store = federation.store(provider);
    let now = federation.world.now();
    let grant = rules::redeem(
        store.codes.take(code),
        &client.client_id,
        form.redirect_uri.as_deref(),
        form.code_verifier.as_deref(),
        now,
    )
    .map_err(OAuthFailure::new)?;
    let sub = rules::pairwise_sub(
        pairwise_key(&federation, provider),
        &client.client_id,
        &grant.subject,
    );
    let issuer = provider.issuer(&base);
    let mut claims = Map::new();
    claims.insert("iss".into(), issuer.clone().into());
    claims.insert("sub".into(), sub.clone().into());
    claims.insert("aud".into(), client.client_id.clone().into());
    claims.insert("exp".into(), (now + rules::ID_TOKEN_LIFETIME).timestamp().into());
    claims.insert("iat".into(), now.timestamp().into());
    claims.insert("auth_time".into(), grant.auth_time.timestamp().into());
    claims.insert("nonce".into(), grant.nonce.clone().into());
    claims.insert("acr".into(), grant.acr.as_str().into());
    claims.insert("amr".into(), json!(grant.amr));
    let recipient = recipient_key(&federation, &client, rule.map(|rule| rule.0).unwrap_or_default())
        .await
        .map_err(OAuthFailure::server)?;
    let id_token =
        jose::seal(&claims, signing_key(&federation, provider), &recipient).map_err(OAuthFailure::server)?;
    let access_token = random_token();
    store.tokens.insert(
        access_token.clone(),
        TokenGrant {
            client_id: client.client_id.clone(),
            sub,
            scopes: grant.scopes.clone(),
            identity: grant.identity,
        },
        now + rules::ACCESS_TOKEN_LIFETIME,
        now,
    );
    if provider == ProviderKind::FranceConnectPlus {
        // The hint at logout is this token, or the JWS inside it once the relying party has
        // decrypted it (OIDC Core 3.1.2.1): one entry under both digests.
        federation.issued_id_tokens.insert_under(
            vec![
                id_token_digest(&id_token.encrypted),
                id_token_digest(&id_token.signed),
            ],
            client.client_id.clone(),
            now + chrono::TimeDelta::hours(12),
            now,
        );
    }
    tracing::info!(provider = provider.path(), client = %client.client_id, "tokens issued");
    let body = Json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": rules::ACCESS_TOKEN_LIFETIME.num_seconds(),
        "id_token": id_token.encrypted,
        "scope": grant.scopes.join(" "),
    }));
    Ok((
        [(header::CACHE_CONTROL, "no-store"), (header::PRAGMA, "no-cache")],
        body,
    )
        .into_response())
}

async fn userinfo(
    State(federation): Shared,
    rule: JwksRule,
    headers: HeaderMap,
    provider: ProviderKind,
) -> Result<Response, OAuthFailure> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or(OAuthFailure::of(
            OAuthError::InvalidToken,
            "a Bearer access token is required",
        ))?;
    let now = federation.world.now();
    let grant = federation
        .store(provider)
        .tokens
        .get(token, now)
        .ok_or(OAuthFailure::of(
            OAuthError::InvalidToken,
            "the access token is unknown or expired (60 seconds)",
        ))?;
    let base = base_url(&headers);
    let client = federation
        .client(provider, &grant.client_id, &base)
        .await
        .map_err(OAuthFailure::server)?
        .ok_or(OAuthFailure::of(
            OAuthError::InvalidToken,
            "the client is no longer registered",
        ))?;
    let mut claims = rules::released_claims(&grant.sub, &grant.identity, &grant.scopes);
    claims.insert("iss".into(), provider.issuer(&base).into());
    claims.insert("aud".into(), grant.client_id.clone().into());
    claims.insert("iat".into(), now.timestamp().into());
    let recipient = recipient_key(&federation, &client, rule.map(|rule| rule.0).unwrap_or_default())
        .await
        .map_err(OAuthFailure::server)?;
    let sealed =
        jose::seal(&claims, signing_key(&federation, provider), &recipient).map_err(OAuthFailure::server)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/jwt"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        sealed.encrypted,
    )
        .into_response())
}

async fn jwks(State(federation): Shared, provider: ProviderKind) -> Response {
    let set = signing_key(&federation, provider).jwks();
    let value: Value = serde_json::to_value(set.as_ref()).unwrap_or_default();
    ([(header::CACHE_CONTROL, "public, max-age=300")], Json(value)).into_response()
}

async fn discovery(State(_): Shared, headers: HeaderMap, provider: ProviderKind) -> Json<Value> {
    let base = base_url(&headers);
    let issuer = provider.issuer(&base);
    let acr: &[&str] = match provider {
        ProviderKind::FranceConnectPlus => &["eidas2", "eidas3"],
        ProviderKind::LaPoste => &["eidas2"],
    };
    let mut scopes = vec!["openid", rules::PIVOT_SCOPE];
    scopes.extend(rules::PIVOT_CLAIMS);
    scopes.extend(rules::CONTACT_CLAIMS);
    let mut claims = vec![
        "sub",
        "iss",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "acr",
        "amr",
    ];
    claims.extend(rules::PIVOT_CLAIMS);
    claims.extend(rules::CONTACT_CLAIMS);
    let mut document = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["pairwise"],
        "scopes_supported": scopes,
        "claims_supported": claims,
        "acr_values_supported": acr,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        // PKCE is enforced when the client uses it; a client learns so only from this list
        // (RFC 9700 §2.1.1, RFC 8414 §2): without it openid-client's `supportsPKCE()` is false.
        "code_challenge_methods_supported": [rules::PKCE_METHOD],
        "id_token_signing_alg_values_supported": [jose::SIGNING_ALG],
        "id_token_encryption_alg_values_supported": ["RSA-OAEP", "ECDH-ES"],
        "id_token_encryption_enc_values_supported": [jose::CONTENT_ENCRYPTION],
        "userinfo_signing_alg_values_supported": [jose::SIGNING_ALG],
        "userinfo_encryption_alg_values_supported": ["RSA-OAEP", "ECDH-ES"],
        "userinfo_encryption_enc_values_supported": [jose::CONTENT_ENCRYPTION],
        "request_parameter_supported": false,
        // Absent, it would mean true (OpenID Connect Discovery 1.0 §3).
        "request_uri_parameter_supported": false,
        "claims_parameter_supported": false,
        "frontchannel_logout_supported": false,
        // A URL (Discovery §3): the sandbox's welcome page says what it simulates.
        "service_documentation": format!("{base}/"),
    });
    // Only FranceConnect+ ends sessions (RP-initiated logout); La Poste has no such endpoint.
    if provider == ProviderKind::FranceConnectPlus {
        document["end_session_endpoint"] = format!("{issuer}/session/end").into();
    }
    Json(document)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemWallClock;
    use crate::{World, WorldOptions};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// `provider`'s discovery document as a relying party reaching the world at `host` reads it.
    async fn discovered(provider: ProviderKind, host: &str) -> Value {
        use http_body_util::BodyExt;
        use tower::ServiceExt;
        let dir = tempfile::tempdir().unwrap();
        let world = Arc::new(
            World::open(WorldOptions::new(dir.path()), Arc::new(SystemWallClock))
                .await
                .unwrap(),
        );
        let request =
            axum::http::Request::get(format!("{}/.well-known/openid-configuration", provider.path()))
                .header(header::HOST, host)
                .body(axum::body::Body::empty())
                .unwrap();
        let response = crate::http::app(world).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice(&body).unwrap()
    }

    #[tokio::test]
    async fn discovery_names_a_documentation_url_and_no_request_uri() {
        for provider in [ProviderKind::FranceConnectPlus, ProviderKind::LaPoste] {
            let document = discovered(provider, "192.168.1.20:8787").await;
            let documentation = document["service_documentation"].as_str().unwrap_or_default();
            assert!(
                reqwest::Url::parse(documentation).is_ok(),
                "service_documentation is a URL (Discovery §3), not prose: {documentation:?}"
            );
            assert_eq!(
                documentation, "http://192.168.1.20:8787/",
                "the world's own welcome page"
            );
            assert_eq!(
                document["request_uri_parameter_supported"],
                json!(false),
                "absent would mean true: request_uri is not supported"
            );
            assert_eq!(
                document["code_challenge_methods_supported"],
                json!(["S256"]),
                "clients learn that PKCE is enforced only from the discovery (RFC 9700 §2.1.1)"
            );
        }
    }

    #[tokio::test]
    async fn only_franceconnect_plus_advertises_an_end_session_endpoint() {
        let fcplus = discovered(ProviderKind::FranceConnectPlus, "monde.test").await;
        assert_eq!(
            fcplus["end_session_endpoint"],
            "http://monde.test/fcplus/session/end"
        );
        let laposte = discovered(ProviderKind::LaPoste, "monde.test").await;
        assert!(
            laposte.get("end_session_endpoint").is_none(),
            "La Poste has no logout endpoint to advertise: {laposte}"
        );
    }

    /// A key set on loopback, answered to every request (as a relying party's own application).
    async fn key_set_on_loopback(key: &josekit::jwk::Jwk) -> String {
        let body = json!({ "keys": [key] }).to_string();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut request = [0u8; 2048];
                let _ = socket.read(&mut request).await;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
                let _ = socket.shutdown().await;
            }
        });
        format!("http://{address}/jwks")
    }

    /// DNS or a stored registration may point a key set at a private address after it was
    /// checked: the token endpoint checks again, at the moment it fetches.
    #[tokio::test]
    async fn tokens_are_encrypted_to_a_key_set_on_a_private_address_only_when_allowed() {
        let dir = tempfile::tempdir().unwrap();
        let world = Arc::new(
            World::open(WorldOptions::new(dir.path()), Arc::new(SystemWallClock))
                .await
                .unwrap(),
        );
        let federation = Federation::open(world).unwrap();
        let key = jose::DecryptionKey::generate_ec("rp-enc").unwrap();
        let uri = key_set_on_loopback(key.public()).await;
        let client = Client::new("rp", "Service", "s", vec![], vec![], Encryption::JwksUri(uri));
        let refused = recipient_key(&federation, &client, JwksAddresses::PublicOnly).await;
        assert!(
            matches!(
                &refused,
                Err(FederationError::ClientKeySet { source, .. })
                    if matches!(**source, FederationError::PrivateAddress { .. })
            ),
            "a served world does not read a key set on loopback: {:?}",
            refused.err()
        );
        assert!(
            recipient_key(&federation, &client, JwksAddresses::Any)
                .await
                .is_ok(),
            "a local world reads it (the refusal above is the rule's, not the server's)"
        );
    }
}
