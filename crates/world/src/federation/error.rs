//! What can go wrong between the federation's parties (a provider's discovery document, key set,
//! token and userinfo endpoints, a relying party's key set), as data: a caller decides on the
//! variant and a log line prints the English `Display`. None of it is shown to a person: the
//! pages that follow a failure keep their own French text (`pages.rs`).

use super::jose::TokenError;
use reqwest::StatusCode;

#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    /// A configured or registered address that is not an absolute URL.
    #[error("{url} is not a valid URL")]
    InvalidUrl { url: String },
    /// Private addresses are refused for this fetch and the URL names one literally.
    #[error("GET {url}: private address refused")]
    PrivateAddress { url: String },
    /// No answer: connection refused, name unknown, timeout, connection cut while reading.
    #[error("{url} unreachable: {source}")]
    Unreachable {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// An answer that is not a success (a redirect included: none is followed).
    #[error("{url} answered HTTP status {status}")]
    Status { url: String, status: StatusCode },
    /// A discovery document or a key set is a few kilobytes; this one was not.
    #[error("GET {url}: more than {limit} bytes")]
    TooLarge { url: String, limit: usize },
    /// An answer that is not the JSON document expected.
    #[error("{url}: bad document: {reason}")]
    BadDocument { url: String, reason: String },
    /// A JSON document that is not a JWK set.
    #[error("{url}: bad key set: {source}")]
    BadKeys {
        url: String,
        #[source]
        source: josekit::JoseError,
    },
    /// The discovery document names another issuer than the one configured.
    #[error("discovery names issuer {found:?}, not {expected}")]
    IssuerMismatch { expected: String, found: Option<String> },
    /// A field the client needs is missing from a provider's answer (`jwks_uri` in discovery,
    /// `id_token` in the token response…).
    #[error("{document} has no {field}")]
    MissingField {
        document: &'static str,
        field: &'static str,
    },
    /// The token endpoint refused the exchange with a standard OAuth error.
    #[error("token endpoint refused ({status}): {code}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    TokenRejected {
        status: StatusCode,
        /// The OAuth error code (`invalid_grant`, `invalid_client`…).
        code: String,
        description: Option<String>,
    },
    /// A token (id_token, userinfo answer) that cannot be decrypted or whose signature fails.
    #[error("{token}: {source}")]
    Token {
        token: &'static str,
        #[source]
        source: TokenError,
    },
    /// An id_token whose claims break a rule (issuer, audience, expiry, nonce, level, subject).
    #[error("id_token refused: {0}")]
    IdTokenClaims(&'static str),
    /// Userinfo answered, but not a success in `application/jwt`.
    #[error("userinfo answered {status} as {content_type:?}")]
    UserinfoRefused {
        status: StatusCode,
        content_type: String,
    },
    /// Userinfo speaks of another person or comes from another issuer than the id_token.
    #[error("userinfo sub or iss differs from the id_token's")]
    UserinfoMismatch,
    /// A relying party's key set (`jwks_uri`) could not be read.
    #[error("key set of client {client_id} unreadable: {source}")]
    ClientKeySet {
        client_id: String,
        #[source]
        source: Box<FederationError>,
    },
    /// A relying party's key set holds no key that tokens can be encrypted to.
    #[error("no encryption key in the key set of client {client_id}")]
    NoEncryptionKey { client_id: String },
    /// A relying party's encryption key that cannot be turned into an encrypter.
    #[error("encryption key of client {client_id}: {source}")]
    RecipientKey {
        client_id: String,
        #[source]
        source: TokenError,
    },
}

impl FederationError {
    /// The error of sending a request to `url` or reading its answer.
    pub(super) fn unreachable(url: &str) -> impl FnOnce(reqwest::Error) -> Self + '_ {
        move |source| Self::Unreachable {
            url: url.to_owned(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_token_request_is_logged_with_its_oauth_code() {
        let refused = FederationError::TokenRejected {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_grant".into(),
            description: Some("the code has expired".into()),
        };
        assert_eq!(
            refused.to_string(),
            "token endpoint refused (400 Bad Request): invalid_grant (the code has expired)"
        );
        let bare = FederationError::TokenRejected {
            status: StatusCode::UNAUTHORIZED,
            code: "invalid_client".into(),
            description: None,
        };
        assert_eq!(
            bare.to_string(),
            "token endpoint refused (401 Unauthorized): invalid_client",
            "no description, no empty parentheses"
        );
    }
}
