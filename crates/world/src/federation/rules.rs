//! FranceConnect+'s published rules for relying parties, as pure functions: what an
//! authorization request must carry, which eIDAS level it asks for, how long codes and tokens
//! live, how the pairwise `sub` is derived and which claims a scope releases. No I/O, no clock:
//! `now` is passed in, so trainers' accelerated and manual clocks apply.

use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use idn_journey::Person;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// An authorization code is single-use and lives 30 seconds.
pub const CODE_LIFETIME: TimeDelta = TimeDelta::seconds(30);
/// Access tokens (userinfo) live 60 seconds.
pub const ACCESS_TOKEN_LIFETIME: TimeDelta = TimeDelta::seconds(60);
/// The id_token's own `exp`: the relying party checks it once, at once.
pub const ID_TOKEN_LIFETIME: TimeDelta = TimeDelta::seconds(60);
/// A login in progress (choice page, mobile number, approval) is forgotten after this.
pub const FLOW_LIFETIME: TimeDelta = TimeDelta::minutes(15);
/// `state` and `nonce` carry at least this many characters of entropy.
pub const MIN_STATE_NONCE_CHARS: usize = 32;
/// What L'Identité Numérique La Poste is certified for: eIDAS "substantial".
pub const LA_POSTE_ACR: Acr = Acr::Eidas2;
/// Secret code (`pin`) and possession of the enrolled device's key (`pop`): two factors.
pub const LA_POSTE_AMR: [&str; 3] = ["pin", "pop", "mfa"];

/// The claims of the pivot identity, then contact data, in FranceConnect's names.
pub const PIVOT_CLAIMS: [&str; 6] = [
    "given_name",
    "family_name",
    "birthdate",
    "gender",
    "birthplace",
    "birthcountry",
];
pub const CONTACT_CLAIMS: [&str; 2] = ["email", "preferred_username"];
/// A scope that releases the whole pivot identity at once.
pub const PIVOT_SCOPE: &str = "identite_pivot";

/// eIDAS levels as FranceConnect names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Acr {
    Eidas2,
    Eidas3,
}

impl Acr {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eidas2 => "eidas2",
            Self::Eidas3 => "eidas3",
        }
    }
}

/// A standard OAuth 2.0 / OpenID Connect error code (RFC 6749 §4.1.2.1 and §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthError {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    AccessDenied,
    InvalidToken,
}

impl OAuthError {
    pub fn code(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::InvalidToken => "invalid_token",
        }
    }
}

/// A refusal with its code and an English description (OAuth descriptions are for developers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub error: OAuthError,
    pub description: &'static str,
}

fn refuse(error: OAuthError, description: &'static str) -> Refusal {
    Refusal { error, description }
}

/// The query of `/authorize`, as received.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuthorizeParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub acr_values: Option<String>,
    /// PKCE (RFC 7636): the challenge of the client's secret verifier, and its method.
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    /// The service's name, passed by FranceConnect+ to the identity provider so that the app can
    /// say which service asks (a sandbox extension; real providers learn it out of band).
    pub sp_name: Option<String>,
}

/// What `/authorize` decides before anything is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeRefusal {
    /// The client or its redirect URI is unknown: say so on a page, never redirect there.
    Shown(&'static str),
    /// Everything else goes back to the client in the standard form, with its `state`.
    Redirected {
        redirect_uri: String,
        state: Option<String>,
        refusal: Refusal,
    },
}

/// A checked authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: String,
    pub nonce: String,
    pub acr: Acr,
    pub scopes: Vec<String>,
    /// Present when the client used PKCE: its code then needs the verifier.
    pub code_challenge: Option<CodeChallenge>,
}

/// A PKCE challenge with the S256 method (RFC 7636 §4.2): the base64url SHA-256 of a verifier,
/// 43 characters. `plain` is refused: it protects nothing once the request is seen (RFC 9700
/// §2.1.1 says to use S256).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeChallenge(String);

/// The only PKCE method offered, as published (`code_challenge_methods_supported`).
pub const PKCE_METHOD: &str = "S256";

impl CodeChallenge {
    /// `method` absent means `plain` (RFC 7636 §4.3), so it must say S256.
    pub fn parse(challenge: &str, method: Option<&str>) -> Result<Self, Refusal> {
        if method != Some(PKCE_METHOD) {
            return Err(refuse(
                OAuthError::InvalidRequest,
                "code_challenge_method must be S256 (plain is not supported)",
            ));
        }
        let base64url = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if challenge.len() != 43 || !challenge.chars().all(base64url) {
            return Err(refuse(
                OAuthError::InvalidRequest,
                "code_challenge must be the base64url SHA-256 of the verifier (43 characters)",
            ));
        }
        Ok(Self(challenge.to_owned()))
    }

    /// Whether `verifier` (43 to 128 unreserved characters, RFC 7636 §4.1) hashes to this
    /// challenge.
    pub fn is_met_by(&self, verifier: &str) -> bool {
        use base64::Engine;
        use sha2::Digest;
        let unreserved = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~');
        (43..=128).contains(&verifier.len())
            && verifier.chars().all(unreserved)
            && base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
                == self.0
    }
}

/// The client's registration as the rules need it.
pub struct ClientRules<'a> {
    pub client_id: &'a str,
    pub redirect_uris: &'a [String],
}

/// Checks an authorization request against FranceConnect+'s rules: authorization code flow only,
/// `openid` scope, `state` and `nonce` of at least 32 characters, `acr_values` asking for eidas2
/// or eidas3 (`eidas1` refused, unknown values ignored). `offered` is the best level the identity
/// providers behind can reach.
pub fn check_authorize(
    params: &AuthorizeParams,
    client: Option<ClientRules<'_>>,
    offered: Acr,
) -> Result<AuthorizationRequest, AuthorizeRefusal> {
    let client = client.ok_or(AuthorizeRefusal::Shown("unknown_client"))?;
    let redirect_uri = params
        .redirect_uri
        .as_deref()
        .filter(|uri| client.redirect_uris.iter().any(|registered| registered == uri))
        .ok_or(AuthorizeRefusal::Shown("redirect_uri_mismatch"))?;
    let back = |refusal: Refusal| AuthorizeRefusal::Redirected {
        redirect_uri: redirect_uri.to_owned(),
        state: params.state.clone().filter(|state| !state.is_empty()),
        refusal,
    };
    if params.response_type.as_deref() != Some("code") {
        return Err(back(refuse(
            OAuthError::UnsupportedResponseType,
            "only the authorization code flow (response_type=code) is supported",
        )));
    }
    let scopes: Vec<String> = params
        .scope
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    if !scopes.iter().any(|scope| scope == "openid") {
        return Err(back(refuse(
            OAuthError::InvalidScope,
            "the openid scope is required",
        )));
    }
    let state = params.state.as_deref().unwrap_or_default();
    if state.chars().count() < MIN_STATE_NONCE_CHARS {
        return Err(back(refuse(
            OAuthError::InvalidRequest,
            "state is required and must be at least 32 characters long",
        )));
    }
    let nonce = params.nonce.as_deref().unwrap_or_default();
    if nonce.chars().count() < MIN_STATE_NONCE_CHARS {
        return Err(back(refuse(
            OAuthError::InvalidRequest,
            "nonce is required and must be at least 32 characters long",
        )));
    }
    let acr = requested_acr(params.acr_values.as_deref().unwrap_or_default()).map_err(back)?;
    let code_challenge = params
        .code_challenge
        .as_deref()
        .map(|challenge| CodeChallenge::parse(challenge, params.code_challenge_method.as_deref()))
        .transpose()
        .map_err(back)?;
    if acr > offered {
        return Err(back(refuse(
            OAuthError::AccessDenied,
            "no identity provider of this sandbox reaches the requested eIDAS level",
        )));
    }
    Ok(AuthorizationRequest {
        client_id: client.client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        state: state.to_owned(),
        nonce: nonce.to_owned(),
        acr,
        scopes,
        code_challenge,
    })
}

/// The lowest level the client accepts among those it lists: eidas1 is refused, unknown values
/// are ignored, and a request naming no known level asks for eidas2 (FranceConnect+'s floor).
pub fn requested_acr(acr_values: &str) -> Result<Acr, Refusal> {
    let mut lowest = None;
    for value in acr_values.split_whitespace() {
        let level = match value {
            "eidas1" => {
                return Err(refuse(
                    OAuthError::InvalidRequest,
                    "acr_values eidas1 is not accepted by FranceConnect+ (eidas2 or eidas3)",
                ))
            }
            "eidas2" => Acr::Eidas2,
            "eidas3" => Acr::Eidas3,
            _ => continue,
        };
        lowest = Some(lowest.map_or(level, |current: Acr| current.min(level)));
    }
    Ok(lowest.unwrap_or(Acr::Eidas2))
}

/// A code waiting to be exchanged.
#[derive(Debug, Clone)]
pub struct CodeGrant {
    pub client_id: String,
    pub redirect_uri: String,
    pub issued_at: DateTime<Utc>,
    /// The authorization request's PKCE challenge, if it had one.
    pub code_challenge: Option<CodeChallenge>,
    pub grant: Grant,
}

/// What a login established, carried from the code to the tokens.
#[derive(Debug, Clone)]
pub struct Grant {
    /// The subject at this provider, before the pairwise derivation.
    pub subject: String,
    pub nonce: String,
    pub acr: Acr,
    pub amr: Vec<String>,
    pub auth_time: DateTime<Utc>,
    pub scopes: Vec<String>,
    pub identity: IdentityClaims,
}

/// Redeems a code at the token endpoint. The caller has already removed the code from the
/// store, so whatever this answers, the code cannot be used again.
pub fn redeem(
    code: Option<CodeGrant>,
    client_id: &str,
    redirect_uri: Option<&str>,
    code_verifier: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Grant, Refusal> {
    let code = code.ok_or(refuse(
        OAuthError::InvalidGrant,
        "the authorization code is unknown or was already used",
    ))?;
    if code.client_id != client_id {
        return Err(refuse(
            OAuthError::InvalidGrant,
            "the authorization code was issued to another client",
        ));
    }
    if redirect_uri != Some(code.redirect_uri.as_str()) {
        return Err(refuse(
            OAuthError::InvalidGrant,
            "redirect_uri differs from the one of the authorization request",
        ));
    }
    if now >= code.issued_at + CODE_LIFETIME {
        return Err(refuse(
            OAuthError::InvalidGrant,
            "the authorization code expired (30 seconds)",
        ));
    }
    // RFC 7636 §4.6: a code issued with a challenge needs its verifier. RFC 9700 §2.1.1: a
    // verifier for a code issued without a challenge is refused too (PKCE downgrade).
    match (&code.code_challenge, code_verifier) {
        (Some(challenge), Some(verifier)) if challenge.is_met_by(verifier) => {}
        (None, None) => {}
        (Some(_), Some(_)) => {
            return Err(refuse(
                OAuthError::InvalidGrant,
                "code_verifier does not match the code_challenge of the authorization request",
            ))
        }
        (Some(_), None) => {
            return Err(refuse(
                OAuthError::InvalidGrant,
                "code_verifier is required: the authorization request carried a code_challenge",
            ))
        }
        (None, Some(_)) => {
            return Err(refuse(
                OAuthError::InvalidGrant,
                "code_verifier given but the authorization request carried no code_challenge",
            ))
        }
    }
    Ok(code.grant)
}

/// The person as identity providers describe them, in FranceConnect's claim names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityClaims {
    /// Every given name, space-separated, in the order of the document.
    pub given_name: String,
    /// Birth name, in upper case.
    pub family_name: String,
    /// YYYY-MM-DD.
    pub birthdate: String,
    /// `male` or `female`.
    pub gender: String,
    /// 5-character INSEE code of the commune, empty when born abroad.
    pub birthplace: String,
    /// 5-digit INSEE code of the country, 99100 for France.
    pub birthcountry: String,
    /// Usage name in upper case, empty when the person has none.
    pub preferred_username: String,
    pub email: String,
}

impl IdentityClaims {
    pub fn of(person: &Person) -> Self {
        let pivot = person.identity.pivot_identity();
        Self {
            given_name: pivot.given_name,
            family_name: pivot.family_name.to_uppercase(),
            birthdate: pivot.birthdate.format("%Y-%m-%d").to_string(),
            gender: pivot.gender.to_owned(),
            birthplace: pivot.birthplace,
            birthcountry: pivot.birthcountry,
            preferred_username: person
                .identity
                .usage_name
                .as_ref()
                .map(|name| name.as_str().to_uppercase())
                .unwrap_or_default(),
            email: person.account.email.as_str().to_owned(),
        }
    }

    fn get(&self, claim: &str) -> Option<&str> {
        Some(match claim {
            "given_name" => &self.given_name,
            "family_name" => &self.family_name,
            "birthdate" => &self.birthdate,
            "gender" => &self.gender,
            "birthplace" => &self.birthplace,
            "birthcountry" => &self.birthcountry,
            "preferred_username" => &self.preferred_username,
            "email" => &self.email,
            _ => return None,
        })
    }

    /// Reads back the claims a provider released (all of them when the scope asked for all).
    pub fn from_claims(claims: &serde_json::Map<String, serde_json::Value>) -> Self {
        let text = |name: &str| {
            claims
                .get(name)
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        Self {
            given_name: text("given_name"),
            family_name: text("family_name"),
            birthdate: text("birthdate"),
            gender: text("gender"),
            birthplace: text("birthplace"),
            birthcountry: text("birthcountry"),
            preferred_username: text("preferred_username"),
            email: text("email"),
        }
    }
}

/// The userinfo claims a set of scopes releases, `sub` included.
pub fn released_claims(
    sub: &str,
    identity: &IdentityClaims,
    scopes: &[String],
) -> serde_json::Map<String, serde_json::Value> {
    let mut claims = serde_json::Map::new();
    claims.insert("sub".into(), sub.into());
    let all_pivot = scopes.iter().any(|scope| scope == PIVOT_SCOPE);
    for name in PIVOT_CLAIMS.iter().chain(CONTACT_CLAIMS.iter()) {
        let asked = scopes.iter().any(|scope| scope == name) || (all_pivot && PIVOT_CLAIMS.contains(name));
        if asked {
            if let Some(value) = identity.get(name) {
                claims.insert((*name).to_owned(), value.into());
            }
        }
    }
    claims
}

/// The pairwise `sub`: the same person gets the same `sub` at one relying party every time, and
/// unrelated ones at two relying parties, so services cannot join their records on it. Shaped
/// like FranceConnect's (64 hex characters then `v1`).
pub fn pairwise_sub(key: &[u8; 32], client_id: &str, subject: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(client_id.as_bytes());
    mac.update(b"\n");
    mac.update(subject.as_bytes());
    format!("{}v1", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATE: &str = "state-0123456789abcdef0123456789abcdef";
    const NONCE: &str = "nonce-0123456789abcdef0123456789abcdef";
    const REDIRECT: &str = "https://service.invalid/callback";

    fn params() -> AuthorizeParams {
        AuthorizeParams {
            response_type: Some("code".into()),
            client_id: Some("client".into()),
            redirect_uri: Some(REDIRECT.into()),
            scope: Some("openid given_name".into()),
            state: Some(STATE.into()),
            nonce: Some(NONCE.into()),
            acr_values: Some("eidas2".into()),
            code_challenge: None,
            code_challenge_method: None,
            sp_name: None,
        }
    }

    fn check(params: &AuthorizeParams) -> Result<AuthorizationRequest, AuthorizeRefusal> {
        let uris = vec![REDIRECT.to_owned()];
        check_authorize(
            params,
            Some(ClientRules {
                client_id: "client",
                redirect_uris: &uris,
            }),
            Acr::Eidas2,
        )
    }

    fn redirected_error(result: Result<AuthorizationRequest, AuthorizeRefusal>) -> &'static str {
        match result {
            Err(AuthorizeRefusal::Redirected { refusal, .. }) => refusal.error.code(),
            other => panic!("expected an error sent back to the client, got {other:?}"),
        }
    }

    #[test]
    fn a_complete_request_is_accepted_at_eidas2() {
        let request = check(&params()).expect("a request following every rule is accepted");
        assert_eq!(request.acr, Acr::Eidas2);
        assert_eq!(request.state, STATE);
    }

    #[test]
    fn unknown_client_and_wrong_redirect_uri_are_never_redirected_to() {
        assert_eq!(
            check_authorize(&params(), None, Acr::Eidas2),
            Err(AuthorizeRefusal::Shown("unknown_client"))
        );
        let mut wrong = params();
        wrong.redirect_uri = Some("https://attacker.invalid/callback".into());
        assert_eq!(
            check(&wrong),
            Err(AuthorizeRefusal::Shown("redirect_uri_mismatch"))
        );
        wrong.redirect_uri = Some(format!("{REDIRECT}/"));
        assert_eq!(
            check(&wrong),
            Err(AuthorizeRefusal::Shown("redirect_uri_mismatch")),
            "redirect URIs match exactly, not by prefix"
        );
    }

    #[test]
    fn short_or_missing_state_and_nonce_are_refused() {
        for (state, nonce) in [
            (None, Some(NONCE)),
            (Some("short"), Some(NONCE)),
            (Some(STATE), None),
            (Some(STATE), Some("0123456789abcdef0123456789abcde")),
        ] {
            let mut request = params();
            request.state = state.map(Into::into);
            request.nonce = nonce.map(Into::into);
            assert_eq!(
                redirected_error(check(&request)),
                "invalid_request",
                "state {state:?} nonce {nonce:?}"
            );
        }
    }

    #[test]
    fn only_the_authorization_code_flow_is_accepted() {
        for response_type in [None, Some("token"), Some("id_token"), Some("code id_token")] {
            let mut request = params();
            request.response_type = response_type.map(Into::into);
            assert_eq!(redirected_error(check(&request)), "unsupported_response_type");
        }
        let mut request = params();
        request.scope = Some("given_name".into());
        assert_eq!(redirected_error(check(&request)), "invalid_scope");
    }

    #[test]
    fn eidas1_is_refused_unknown_levels_ignored_and_eidas3_unreachable_here() {
        let level = |values: &str| requested_acr(values).map_err(|refusal| refusal.error.code());
        assert_eq!(level("eidas1"), Err("invalid_request"));
        assert_eq!(level("eidas2 eidas1"), Err("invalid_request"));
        assert_eq!(level("eidas2"), Ok(Acr::Eidas2));
        assert_eq!(level("loa-quelconque eidas2"), Ok(Acr::Eidas2));
        assert_eq!(level("inconnu"), Ok(Acr::Eidas2), "unknown values are ignored");
        assert_eq!(
            level("eidas3 eidas2"),
            Ok(Acr::Eidas2),
            "the lowest accepted level"
        );
        let mut request = params();
        request.acr_values = Some("eidas3".into());
        assert_eq!(redirected_error(check(&request)), "access_denied");
        request.acr_values = Some("eidas1".into());
        assert_eq!(redirected_error(check(&request)), "invalid_request");
    }

    fn code(issued_at: DateTime<Utc>) -> CodeGrant {
        CodeGrant {
            client_id: "client".into(),
            redirect_uri: REDIRECT.into(),
            issued_at,
            code_challenge: None,
            grant: Grant {
                subject: "learner".into(),
                nonce: NONCE.into(),
                acr: Acr::Eidas2,
                amr: vec!["pin".into()],
                auth_time: issued_at,
                scopes: vec!["openid".into()],
                identity: identity(),
            },
        }
    }

    fn identity() -> IdentityClaims {
        IdentityClaims {
            given_name: "Jean Édouard".into(),
            family_name: "LEFÈVRE".into(),
            birthdate: "1985-02-11".into(),
            gender: "male".into(),
            birthplace: "2B033".into(),
            birthcountry: "99100".into(),
            preferred_username: String::new(),
            email: "jean@exemple.fr".into(),
        }
    }

    #[test]
    fn codes_expire_after_30_seconds_and_are_bound_to_client_and_redirect_uri() {
        let t0 = DateTime::from_timestamp(1_780_000_000, 0).unwrap();
        let within = t0 + TimeDelta::seconds(29);
        assert!(redeem(Some(code(t0)), "client", Some(REDIRECT), None, within).is_ok());
        let error = |result: Result<Grant, Refusal>| result.map(|_| ()).map_err(|r| r.error.code());
        assert_eq!(
            error(redeem(
                Some(code(t0)),
                "client",
                Some(REDIRECT),
                None,
                t0 + CODE_LIFETIME
            )),
            Err("invalid_grant"),
            "a code is dead at 30 s"
        );
        assert_eq!(
            error(redeem(None, "client", Some(REDIRECT), None, t0)),
            Err("invalid_grant")
        );
        assert_eq!(
            error(redeem(Some(code(t0)), "other", Some(REDIRECT), None, t0)),
            Err("invalid_grant")
        );
        assert_eq!(
            error(redeem(
                Some(code(t0)),
                "client",
                Some("https://service.invalid/x"),
                None,
                t0
            )),
            Err("invalid_grant")
        );
        assert_eq!(
            error(redeem(Some(code(t0)), "client", None, None, t0)),
            Err("invalid_grant")
        );
    }

    // A verifier and its S256 challenge, computed apart from this code (Node's
    // `createHash('sha256').update(verifier).digest('base64url')`).
    const VERIFIER: &str = "dBjftJeZ4CVP-mJ92K1qUMuV82Mw5nwYE6-4X0Q-c1M";
    const CHALLENGE: &str = "FAiOGIcrUoriTJpy80Nc39W4cMG6A94Ed12lUUxbs4Q";

    #[test]
    fn a_code_issued_with_a_pkce_challenge_needs_its_verifier_and_only_that_one() {
        let t0 = DateTime::from_timestamp(1_780_000_000, 0).unwrap();
        let mut request = params();
        request.code_challenge = Some(CHALLENGE.into());
        request.code_challenge_method = Some("S256".into());
        let challenge = check(&request).unwrap().code_challenge;
        assert!(challenge.is_some(), "the challenge is kept with the request");
        let bound = CodeGrant {
            code_challenge: challenge,
            ..code(t0)
        };
        let error = |result: Result<Grant, Refusal>| result.map(|_| ()).map_err(|r| r.error.code());
        assert_eq!(
            error(redeem(
                Some(bound.clone()),
                "client",
                Some(REDIRECT),
                Some(VERIFIER),
                t0
            )),
            Ok(()),
            "the verifier meets its own challenge"
        );
        assert_eq!(
            error(redeem(Some(bound.clone()), "client", Some(REDIRECT), None, t0)),
            Err("invalid_grant"),
            "a stolen code without the verifier is worthless"
        );
        let other = "dBjftJeZ4CVP-mJ92K1qUMuV82Mw5nwYE6-4X0Q-c1N";
        assert_eq!(
            error(redeem(Some(bound), "client", Some(REDIRECT), Some(other), t0)),
            Err("invalid_grant"),
            "another verifier does not meet the challenge"
        );
        assert_eq!(
            error(redeem(
                Some(code(t0)),
                "client",
                Some(REDIRECT),
                Some(VERIFIER),
                t0
            )),
            Err("invalid_grant"),
            "a verifier for a code issued without a challenge is a downgrade (RFC 9700 §2.1.1)"
        );
    }

    #[test]
    fn pkce_is_s256_only() {
        let mut request = params();
        request.code_challenge = Some(CHALLENGE.into());
        assert_eq!(
            redirected_error(check(&request)),
            "invalid_request",
            "no method means plain (RFC 7636 §4.3), which is refused"
        );
        request.code_challenge_method = Some("plain".into());
        assert_eq!(redirected_error(check(&request)), "invalid_request");
        request.code_challenge_method = Some("S256".into());
        request.code_challenge = Some("too-short".into());
        assert_eq!(redirected_error(check(&request)), "invalid_request");
    }

    #[test]
    fn pairwise_sub_is_stable_per_client_and_differs_between_clients() {
        let key = [7u8; 32];
        let first = pairwise_sub(&key, "mcf", "learner-1");
        assert_eq!(
            first,
            pairwise_sub(&key, "mcf", "learner-1"),
            "stable across logins"
        );
        assert_ne!(
            first,
            pairwise_sub(&key, "elu", "learner-1"),
            "differs per relying party"
        );
        assert_ne!(first, pairwise_sub(&key, "mcf", "learner-2"));
        assert_eq!(first.len(), 66);
        assert!(first.ends_with("v1"));
    }

    #[test]
    fn scopes_release_only_the_claims_asked_for() {
        let scopes: Vec<String> = ["openid", "given_name", "email"].map(Into::into).to_vec();
        let claims = released_claims("sub-1", &identity(), &scopes);
        let mut names: Vec<&str> = claims.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["email", "given_name", "sub"]);
        let scopes: Vec<String> = ["openid", PIVOT_SCOPE].map(Into::into).to_vec();
        let claims = released_claims("sub-1", &identity(), &scopes);
        for name in PIVOT_CLAIMS {
            assert!(claims.contains_key(name), "{name} is part of the pivot identity");
        }
        assert!(!claims.contains_key("email"), "contact data needs its own scope");
        assert_eq!(claims["birthplace"], "2B033");
    }
}
