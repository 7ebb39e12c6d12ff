//! The OpenID Connect client side, as FranceConnect+ uses it towards La Poste and the demo
//! services towards FranceConnect+: discovery, code exchange, decryption, signature and claim
//! checks (iss, aud, exp, nonce, acr), userinfo as `application/jwt`. Nothing is trusted
//! because it comes from the same process: everything goes over HTTP and is verified.

use super::error::FederationError;
use super::jose::{self, DecryptionKey, IssuerKeys};
use super::rules::IdentityClaims;
use chrono::{DateTime, Utc};
use josekit::jwk::JwkSet;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
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
async fn limited_body(mut response: reqwest::Response, url: &str) -> Result<Vec<u8>, FederationError> {
    let too_big = || FederationError::TooLarge {
        url: url.to_owned(),
        limit: MAX_DOCUMENT_BYTES,
    };
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
        .map_err(FederationError::unreachable(url))?
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
    async fn document(&self, http: &reqwest::Client, url: &str) -> Result<Value, FederationError> {
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
            .map_err(FederationError::unreachable(url))?;
        if !response.status().is_success() {
            return Err(FederationError::Status {
                url: url.to_owned(),
                status: response.status(),
            });
        }
        let body = limited_body(response, url).await?;
        let value: Value = serde_json::from_slice(&body).map_err(|error| FederationError::BadDocument {
            url: url.to_owned(),
            reason: format!("not JSON: {error}"),
        })?;
        self.documents
            .lock()
            .expect("cache lock")
            .insert(url.to_owned(), (value.clone(), Instant::now()));
        Ok(value)
    }

    pub async fn fetch(&self, http: &reqwest::Client, url: &str) -> Result<JwkSet, FederationError> {
        let value = self.document(http, url).await?;
        let Value::Object(map) = value else {
            return Err(FederationError::BadDocument {
                url: url.to_owned(),
                reason: "a key set is a JSON object".into(),
            });
        };
        JwkSet::from_map(map).map_err(|source| FederationError::BadKeys {
            url: url.to_owned(),
            source,
        })
    }

    /// A relying party's key set on a public address only; `public_http` comes from
    /// `public_addresses_client`, which checks the addresses of names.
    pub async fn fetch_public(
        &self,
        public_http: &reqwest::Client,
        url: &str,
    ) -> Result<JwkSet, FederationError> {
        let parsed =
            reqwest::Url::parse(url).map_err(|_| FederationError::InvalidUrl { url: url.to_owned() })?;
        // reqwest connects to a literal address without asking the resolver: checked here.
        if parsed
            .host_str()
            .and_then(literal_ip)
            .is_some_and(|ip| !is_public(ip))
        {
            return Err(FederationError::PrivateAddress { url: url.to_owned() });
        }
        self.fetch(public_http, url).await
    }

    /// An issuer's signing keys from its JWKS URL, turned into verifiers once per fetch.
    pub async fn issuer_keys(
        &self,
        http: &reqwest::Client,
        url: &str,
    ) -> Result<Arc<IssuerKeys>, FederationError> {
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

/// Whether `ip` is an address of the public Internet. Loopback, private (RFC 1918, unique
/// local), link-local (169.254/16 with the cloud metadata service, fe80::/10), shared (CGNAT),
/// unspecified, broadcast, multicast, documentation and reserved ranges are not, and neither is
/// an IPv4 address wrapped in IPv6 (mapped, compatible, NAT64) whose IPv4 address is not.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || a == 0
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    // IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) reach an IPv4 address too.
    let embedded = Ipv4Addr::from(((segments[6] as u32) << 16) | segments[7] as u32);
    if segments[..6] == [0; 6] || segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return !ip.is_unspecified() && !ip.is_loopback() && is_public_v4(embedded);
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_unique_local()
        || ip.is_unicast_link_local()
        || ip.is_multicast()
        || (segments[0] & 0xffc0) == 0xfec0 // deprecated site-local
        || (segments[0] == 0x2001 && segments[1] == 0x0db8)) // documentation
}

/// Why a key-set URL may not be fetched when private addresses are refused, in French for the
/// person registering it: its host is a private address, or a name all of whose addresses are.
/// A name that does not resolve (yet, or within 3 s) passes: the fetch checks again, address by
/// address.
pub async fn private_jwks_host(url: &str) -> Option<String> {
    let parsed = reqwest::Url::parse(url).ok()?;
    let port = parsed.port_or_known_default().unwrap_or(80);
    let host = parsed.host_str()?;
    if let Some(ip) = literal_ip(host) {
        return (!is_public(ip)).then(|| format!("{ip} est une adresse privée ou locale"));
    }
    let lookup = tokio::time::timeout(FETCH_TIMEOUT, tokio::net::lookup_host((host, port)));
    let addresses: Vec<SocketAddr> = lookup.await.ok()?.ok()?.collect();
    (!addresses.is_empty() && !addresses.iter().any(|address| is_public(address.ip())))
        .then(|| format!("{host} ne désigne que des adresses privées ou locales"))
}

/// The IP address a URL's host names literally (`127.0.0.1`, `[::1]`), if it is one.
fn literal_ip(host: &str) -> Option<IpAddr> {
    host.trim_start_matches('[').trim_end_matches(']').parse().ok()
}

/// A resolver that gives reqwest only the public addresses of a name, so that the connection
/// goes to an address checked at the moment of the fetch (DNS may have changed since the
/// registration). Literal IP addresses never reach a resolver: `JwksCache::fetch_public` checks
/// them first.
struct PublicAddressesOnly;

impl reqwest::dns::Resolve for PublicAddressesOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let name = name.as_str().to_owned();
            let public: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .filter(|address| is_public(address.ip()))
                .collect();
            if public.is_empty() {
                return Err(format!("{name} resolves to no public address").into());
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The client for relying parties' key sets when private addresses are refused: public
/// addresses only, no redirect, and no proxy (a proxy would resolve the name itself).
pub fn public_addresses_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(PublicAddressesOnly))
        .build()
        .expect("a plain HTTP client builds")
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
    /// The id_token as the client holds it once decrypted: the signed JWT, which is what it
    /// sends back as `id_token_hint` at logout (OIDC Core 3.1.2.1).
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

/// A string field of a provider's JSON answer, or the error naming what is missing.
fn field<'v>(document: &'v Value, name: &'static str, of: &'static str) -> Result<&'v str, FederationError> {
    document
        .get(name)
        .and_then(Value::as_str)
        .ok_or(FederationError::MissingField {
            document: of,
            field: name,
        })
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
    ) -> Result<VerifiedLogin, FederationError> {
        let discovery = cache
            .document(http, &format!("{}/.well-known/openid-configuration", self.issuer))
            .await?;
        let issuer = discovery.get("issuer").and_then(Value::as_str);
        if issuer != Some(self.issuer.as_str()) {
            return Err(FederationError::IssuerMismatch {
                expected: self.issuer.clone(),
                found: issuer.map(str::to_owned),
            });
        }
        let endpoint = |name| field(&discovery, name, "discovery").map(str::to_owned);
        let keys = cache.issuer_keys(http, &endpoint("jwks_uri")?).await?;
        let token_endpoint = endpoint("token_endpoint")?;
        let response = http
            .post(&token_endpoint)
            .basic_auth(self.client_id, Some(self.client_secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", self.redirect_uri.as_str()),
            ])
            .send()
            .await
            .map_err(FederationError::unreachable(&token_endpoint))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(FederationError::unreachable(&token_endpoint))?;
        let body: Option<Value> = serde_json::from_slice(&body).ok();
        if !status.is_success() {
            // RFC 6749 §5.2: a refusal carries its OAuth error code; an answer without one is
            // a failure of the endpoint, named by its status.
            let text = |name: &str| {
                body.as_ref()
                    .and_then(|body| body.get(name))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            return Err(match text("error") {
                Some(code) => FederationError::TokenRejected {
                    status,
                    code,
                    description: text("error_description"),
                },
                None => FederationError::Status {
                    url: token_endpoint,
                    status,
                },
            });
        }
        let body = body.ok_or_else(|| FederationError::BadDocument {
            url: token_endpoint.clone(),
            reason: "the token response is not JSON".into(),
        })?;
        let id_token = field(&body, "id_token", "the token response")?;
        let access_token = field(&body, "access_token", "the token response")?;
        let id_token =
            jose::open(id_token, self.decryption, &keys).map_err(|source| FederationError::Token {
                token: "id_token",
                source,
            })?;
        let claims = id_token.claims;
        check_id_token(&claims, &self.issuer, self.client_id, nonce, now)
            .map_err(FederationError::IdTokenClaims)?;
        let sub = claims["sub"].as_str().unwrap_or_default().to_owned();
        let userinfo_endpoint = endpoint("userinfo_endpoint")?;
        let response = http
            .get(&userinfo_endpoint)
            .bearer_auth(access_token)
            .send()
            .await
            .map_err(FederationError::unreachable(&userinfo_endpoint))?;
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        if !response.status().is_success() || !content_type.starts_with("application/jwt") {
            return Err(FederationError::UserinfoRefused {
                status: response.status(),
                content_type,
            });
        }
        let sealed = response
            .text()
            .await
            .map_err(FederationError::unreachable(&userinfo_endpoint))?;
        let info = jose::open(&sealed, self.decryption, &keys)
            .map_err(|source| FederationError::Token {
                token: "userinfo",
                source,
            })?
            .claims;
        if info.get("sub").and_then(Value::as_str) != Some(sub.as_str())
            || info.get("iss").and_then(Value::as_str) != Some(self.issuer.as_str())
        {
            return Err(FederationError::UserinfoMismatch);
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
            id_token: id_token.signed,
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
            matches!(&refused, Err(FederationError::Status { status, .. }) if status.is_redirection()),
            "a redirect must not be followed to another address: {refused:?}"
        );

        let mut huge = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"keys\":[".to_vec();
        huge.extend(std::iter::repeat_n(b' ', MAX_DOCUMENT_BYTES + 1));
        let endless = answering(huge).await;
        let refused = JwksCache::default().fetch(&plain_http(), &endless).await;
        assert!(
            matches!(refused, Err(FederationError::TooLarge { .. })),
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
    fn only_addresses_of_the_public_internet_are_public() {
        for private in [
            "127.0.0.1",
            "127.8.9.10",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.254",
            "192.168.1.20",
            "169.254.169.254",
            "0.0.0.0",
            "0.1.2.3",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "240.0.0.1",
            "192.0.2.10",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2001:db8::1",
        ] {
            assert!(
                !is_public(private.parse().unwrap()),
                "{private} is not a public address"
            );
        }
        for public in [
            "93.184.215.14",
            "172.32.0.1",
            "100.128.0.1",
            "2a01:cb00::1",
            "::ffff:93.184.215.14",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public} is a public address");
        }
    }

    #[tokio::test]
    async fn a_key_set_on_a_private_host_is_named_so_and_a_public_or_unknown_one_passes() {
        for url in [
            "http://127.0.0.1:8080/jwks",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/jwks",
            "http://[::ffff:10.0.0.1]/jwks",
            "http://localhost:3000/jwks",
        ] {
            assert!(private_jwks_host(url).await.is_some(), "{url} must be refused");
        }
        for url in ["https://93.184.215.14/jwks", "https://service.invalid/jwks"] {
            assert_eq!(
                private_jwks_host(url).await,
                None,
                "{url}: a public address passes, and so does a name that does not resolve yet"
            );
        }
    }

    #[tokio::test]
    async fn a_fetch_restricted_to_public_addresses_never_connects_to_a_private_one() {
        let ok =
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"keys\":[]}";
        let literal = answering(ok.to_vec()).await;
        let refused = JwksCache::default()
            .fetch_public(&public_addresses_client(), &literal)
            .await;
        assert!(
            matches!(refused, Err(FederationError::PrivateAddress { .. })),
            "a literal loopback address is refused before connecting: {refused:?}"
        );
        // A name resolving to loopback only (DNS may have changed since the registration).
        let named = answering(ok.to_vec()).await.replace("127.0.0.1", "localhost");
        let refused = JwksCache::default()
            .fetch_public(&public_addresses_client(), &named)
            .await;
        assert!(
            matches!(refused, Err(FederationError::Unreachable { .. })),
            "localhost resolves to no public address: {refused:?}"
        );
        // The same servers are read when private addresses are allowed: the refusals above are
        // the rule's, not a broken server's.
        let allowed = answering(ok.to_vec()).await.replace("127.0.0.1", "localhost");
        assert!(JwksCache::default().fetch(&plain_http(), &allowed).await.is_ok());
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
