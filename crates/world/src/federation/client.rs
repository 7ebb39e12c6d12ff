//! The OpenID Connect client side, as FranceConnect+ uses it towards La Poste and the demo
//! services towards FranceConnect+: discovery, code exchange, decryption, signature and claim
//! checks (iss, aud, exp, nonce, acr), userinfo as `application/jwt`. Nothing is trusted
//! because it comes from the same process: everything goes over HTTP and is verified.

use super::jose::{self, DecryptionKey, IssuerKeys};
use super::rules::IdentityClaims;
use chrono::{DateTime, Utc};
use josekit::jwk::JwkSet;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long fetched discovery documents and key sets are reused (real time: a cache, not a rule).
const CACHE_TTL: Duration = Duration::from_secs(300);
/// A discovery document or a key set is a few kilobytes: a relying party's `jwks_uri` that
/// answers more is refused, so that a registration cannot make the world read without end.
const MAX_DOCUMENT_BYTES: usize = 64 * 1024;
/// A key set slower than this is unreachable (the token request waiting for it has a person behind).
const FETCH_TIMEOUT: Duration = Duration::from_secs(3);

/// The body of `response`, refused beyond `MAX_DOCUMENT_BYTES` without reading further.
async fn limited_body(mut response: reqwest::Response, url: &str) -> Result<Vec<u8>, String> {
    let too_big = || format!("GET {url}: more than {MAX_DOCUMENT_BYTES} bytes");
    if response
        .content_length()
        .is_some_and(|length| length > MAX_DOCUMENT_BYTES as u64)
    {
        return Err(too_big());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| format!("GET {url}: {error}"))?
    {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Discovery documents and JWKS by URL, and issuers' keys ready to verify with.
#[derive(Default)]
pub struct JwksCache {
    documents: Mutex<HashMap<String, (Value, Instant)>>,
    issuers: Mutex<HashMap<String, (Arc<IssuerKeys>, Instant)>>,
}

impl JwksCache {
    async fn document(&self, http: &reqwest::Client, url: &str) -> Result<Value, String> {
        if let Some((value, at)) = self.documents.lock().expect("cache lock").get(url) {
            if at.elapsed() < CACHE_TTL {
                return Ok(value.clone());
            }
        }
        // The client follows no redirect (a 3xx is refused here), and the whole exchange, body
        // included, must end within FETCH_TIMEOUT.
        let response = http
            .get(url)
            .timeout(FETCH_TIMEOUT)
            .send()
            .await
            .map_err(|error| format!("GET {url}: {error}"))?;
        if !response.status().is_success() {
            return Err(format!("GET {url}: status {}", response.status()));
        }
        let body = limited_body(response, url).await?;
        let value: Value =
            serde_json::from_slice(&body).map_err(|error| format!("GET {url}: not JSON: {error}"))?;
        self.documents
            .lock()
            .expect("cache lock")
            .insert(url.to_owned(), (value.clone(), Instant::now()));
        Ok(value)
    }

    pub async fn fetch(&self, http: &reqwest::Client, url: &str) -> Result<JwkSet, String> {
        let value = self.document(http, url).await?;
        let map = value.as_object().cloned().ok_or("JWKS is not an object")?;
        JwkSet::from_map(map).map_err(|error| format!("JWKS {url}: {error}"))
    }

    /// An issuer's signing keys from its JWKS URL, turned into verifiers once per fetch.
    pub async fn issuer_keys(&self, http: &reqwest::Client, url: &str) -> Result<Arc<IssuerKeys>, String> {
        if let Some((keys, at)) = self.issuers.lock().expect("cache lock").get(url) {
            if at.elapsed() < CACHE_TTL {
                return Ok(keys.clone());
            }
        }
        let keys = Arc::new(IssuerKeys::of(&self.fetch(http, url).await?));
        self.issuers
            .lock()
            .expect("cache lock")
            .insert(url.to_owned(), (keys.clone(), Instant::now()));
        Ok(keys)
    }
}

/// A client's registration at a provider.
pub struct RelyingClient<'a> {
    pub issuer: String,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub decryption: &'a DecryptionKey,
    pub redirect_uri: String,
}

/// A verified login.
#[derive(Debug, Clone)]
pub struct VerifiedLogin {
    pub sub: String,
    pub amr: Vec<String>,
    pub auth_time: DateTime<Utc>,
    pub id_token: String,
    pub identity: IdentityClaims,
}

/// Checks an opened id_token's claims: issuer, audience, expiry, nonce and eIDAS level.
pub fn check_id_token(
    claims: &Map<String, Value>,
    issuer: &str,
    client_id: &str,
    nonce: &str,
    now: DateTime<Utc>,
) -> Result<(), &'static str> {
    if claims.get("iss").and_then(Value::as_str) != Some(issuer) {
        return Err("id_token iss is not the provider's issuer");
    }
    let audience_ok = match claims.get("aud") {
        Some(Value::String(aud)) => aud == client_id,
        Some(Value::Array(auds)) => auds.len() == 1 && auds[0].as_str() == Some(client_id),
        _ => false,
    };
    if !audience_ok {
        return Err("id_token aud is not this client");
    }
    match claims.get("exp").and_then(Value::as_i64) {
        Some(exp) if exp > now.timestamp() => {}
        _ => return Err("id_token expired"),
    }
    if claims.get("nonce").and_then(Value::as_str) != Some(nonce) {
        return Err("id_token nonce differs from the one sent");
    }
    if !matches!(
        claims.get("acr").and_then(Value::as_str),
        Some("eidas2" | "eidas3")
    ) {
        return Err("id_token acr is not eidas2 or eidas3");
    }
    if claims
        .get("sub")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err("id_token has no sub");
    }
    Ok(())
}

impl RelyingClient<'_> {
    /// Exchanges `code`, verifies the id_token, reads userinfo and verifies it too.
    pub async fn complete(
        &self,
        http: &reqwest::Client,
        cache: &JwksCache,
        code: &str,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<VerifiedLogin, String> {
        let discovery = cache
            .document(http, &format!("{}/.well-known/openid-configuration", self.issuer))
            .await?;
        if discovery.get("issuer").and_then(Value::as_str) != Some(self.issuer.as_str()) {
            return Err("discovery issuer differs from the configured issuer".into());
        }
        let endpoint = |name: &str| {
            discovery
                .get(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| format!("discovery has no {name}"))
        };
        let keys = cache.issuer_keys(http, &endpoint("jwks_uri")?).await?;
        let response = http
            .post(endpoint("token_endpoint")?)
            .basic_auth(self.client_id, Some(self.client_secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", self.redirect_uri.as_str()),
            ])
            .send()
            .await
            .map_err(|error| format!("token endpoint: {error}"))?;
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .map_err(|error| format!("token endpoint: {error}"))?;
        if !status.is_success() {
            return Err(format!("token endpoint refused: {body}"));
        }
        let id_token = body
            .get("id_token")
            .and_then(Value::as_str)
            .ok_or("no id_token")?
            .to_owned();
        let access_token = body
            .get("access_token")
            .and_then(Value::as_str)
            .ok_or("no access_token")?;
        let claims =
            jose::open(&id_token, self.decryption, &keys).map_err(|error| format!("id_token: {error}"))?;
        check_id_token(&claims, &self.issuer, self.client_id, nonce, now)?;
        let sub = claims["sub"].as_str().unwrap_or_default().to_owned();
        let response = http
            .get(endpoint("userinfo_endpoint")?)
            .bearer_auth(access_token)
            .send()
            .await
            .map_err(|error| format!("userinfo: {error}"))?;
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        if !response.status().is_success() || !content_type.starts_with("application/jwt") {
            return Err(format!(
                "userinfo answered {} ({content_type})",
                response.status()
            ));
        }
        let sealed = response
            .text()
            .await
            .map_err(|error| format!("userinfo: {error}"))?;
        let info =
            jose::open(&sealed, self.decryption, &keys).map_err(|error| format!("userinfo: {error}"))?;
        if info.get("sub").and_then(Value::as_str) != Some(sub.as_str())
            || info.get("iss").and_then(Value::as_str) != Some(self.issuer.as_str())
        {
            return Err("userinfo sub or iss differs from the id_token's".into());
        }
        Ok(VerifiedLogin {
            amr: claims
                .get("amr")
                .and_then(Value::as_array)
                .map(|values| {
                    values
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            auth_time: claims
                .get("auth_time")
                .and_then(Value::as_i64)
                .and_then(|seconds| DateTime::from_timestamp(seconds, 0))
                .unwrap_or(now),
            sub,
            id_token,
            identity: IdentityClaims::from_claims(&info),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A one-shot HTTP server answering `response` (raw bytes) to the first request.
    async fn answering(response: Vec<u8>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 2048];
            let _ = socket.read(&mut request).await;
            let _ = socket.write_all(&response).await;
            let _ = socket.shutdown().await;
        });
        format!("http://{address}/jwks")
    }

    fn plain_http() -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn a_jwks_uri_that_redirects_or_answers_too_much_is_refused() {
        let redirect = answering(
            b"HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/\r\nContent-Length: 0\r\n\r\n".to_vec(),
        )
        .await;
        let refused = JwksCache::default().fetch(&plain_http(), &redirect).await;
        assert!(
            refused.is_err(),
            "a redirect must not be followed to another address"
        );

        let mut huge = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"keys\":[".to_vec();
        huge.extend(std::iter::repeat_n(b' ', MAX_DOCUMENT_BYTES + 1));
        let endless = answering(huge).await;
        let refused = JwksCache::default().fetch(&plain_http(), &endless).await;
        assert!(
            refused.as_ref().is_err_and(|error| error.contains("more than")),
            "a body beyond the limit is refused, not read to the end: {refused:?}"
        );

        let small = answering(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"keys\":[]}"
                .to_vec(),
        )
        .await;
        assert!(
            JwksCache::default().fetch(&plain_http(), &small).await.is_ok(),
            "a small key set is read"
        );
    }

    #[test]
    fn id_tokens_are_checked_for_issuer_audience_expiry_nonce_and_level() {
        let now = DateTime::from_timestamp(1_780_000_000, 0).unwrap();
        let good = json!({ "iss": "http://w/fcplus", "aud": "mcf", "exp": now.timestamp() + 60,
            "nonce": "n", "acr": "eidas2", "sub": "s" });
        let check =
            |claims: Value| check_id_token(claims.as_object().unwrap(), "http://w/fcplus", "mcf", "n", now);
        assert_eq!(check(good.clone()), Ok(()));
        for (field, value, why) in [
            ("iss", json!("http://w/laposte"), "another issuer"),
            ("aud", json!("elu"), "another audience"),
            ("exp", json!(now.timestamp()), "expired"),
            ("nonce", json!("other"), "replayed nonce"),
            ("acr", json!("eidas1"), "too low a level"),
            ("sub", json!(""), "no subject"),
        ] {
            let mut claims = good.clone();
            claims[field] = value;
            assert!(check(claims).is_err(), "{why} must be refused");
        }
    }
}
