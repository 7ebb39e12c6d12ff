//! The world's one error type: domain refusals pass through with their French message;
//! storage and I/O failures are logged in English and reach people as a generic French message.

use idn_journey::JourneyError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum WorldError {
    #[error(transparent)]
    Journey(#[from] JourneyError),
    #[error("{what} not found")]
    NotFound { what: &'static str },
    #[error("bad request: {code}")]
    BadRequest { code: &'static str, message_fr: String },
    /// A body past its route's limit (the media route's is `MAX_MEDIA_BYTES`).
    #[error("body too large (limit {limit} bytes)")]
    TooLarge { limit: usize },
    /// Too many attempts from one client address (`throttle.rs`); answered with `Retry-After`.
    #[error("too many attempts from this client (retry after {retry_after:?})")]
    Throttled { retry_after: std::time::Duration },
    /// No credential, or one that no longer opens anything (`access`): 401.
    #[error("unauthenticated: {code}")]
    Unauthenticated { code: &'static str, message_fr: String },
    /// A credential that does not open this route or this learner (`access`): 403.
    #[error("forbidden: {code}")]
    Forbidden { code: &'static str, message_fr: String },
    #[error("storage failure: {0}")]
    Storage(crate::StoreError),
    #[error("I/O failure: {0}")]
    Io(#[from] std::io::Error),
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
}

impl WorldError {
    pub(crate) fn bad_request(code: &'static str, message_fr: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message_fr: message_fr.into(),
        }
    }

    /// The one HTTP status of each error, for the API and the console alike.
    pub fn http_status(&self) -> axum::http::StatusCode {
        use axum::http::StatusCode;
        match self {
            Self::Journey(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::Storage(_) | Self::Io(_) | Self::Corrupt(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Journey(error) => error.code(),
            Self::NotFound { .. } => "not_found",
            Self::BadRequest { code, .. } => code,
            Self::TooLarge { .. } => "media_size",
            Self::Throttled { .. } => "too_many_requests",
            Self::Unauthenticated { code, .. } | Self::Forbidden { code, .. } => code,
            Self::Storage(_) | Self::Io(_) | Self::Corrupt(_) => "internal",
        }
    }

    /// The attempts left after a wrong code or secret code, else `None` (`ApiError`'s field).
    pub fn attempts_left(&self) -> Option<u8> {
        match self {
            Self::Journey(error) => error.attempts_left(),
            Self::NotFound { .. }
            | Self::BadRequest { .. }
            | Self::TooLarge { .. }
            | Self::Throttled { .. }
            | Self::Unauthenticated { .. }
            | Self::Forbidden { .. }
            | Self::Storage(_)
            | Self::Io(_)
            | Self::Corrupt(_) => None,
        }
    }

    /// The body people and programs receive: the stable code, the French message and, for a
    /// wrong code, the attempts left.
    pub fn body(&self) -> crate::api::ApiError {
        crate::api::ApiError {
            code: self.code().into(),
            message: self.message_fr(),
            attempts_left: self.attempts_left(),
        }
    }

    pub fn message_fr(&self) -> String {
        match self {
            Self::Journey(error) => error.message_fr(),
            Self::NotFound { what } => format!("Introuvable : {what}."),
            Self::BadRequest { message_fr, .. } => message_fr.clone(),
            Self::TooLarge { limit } => format!(
                "Le fichier est trop volumineux : {} Mo au plus.",
                limit / (1024 * 1024)
            ),
            Self::Throttled { retry_after } => {
                let minutes = crate::throttle::minutes_to_wait(*retry_after);
                let unit = if minutes == 1 { "minute" } else { "minutes" };
                format!("Trop de tentatives depuis cet appareil : réessayez dans {minutes} {unit}.")
            }
            Self::Unauthenticated { message_fr, .. } | Self::Forbidden { message_fr, .. } => {
                message_fr.clone()
            }
            Self::Storage(_) | Self::Io(_) | Self::Corrupt(_) => {
                "Le service simulé a rencontré une erreur interne ; réessayez. Rien n'a été perdu.".into()
            }
        }
    }
}

impl From<crate::StoreError> for WorldError {
    fn from(error: crate::StoreError) -> Self {
        match error {
            crate::StoreError::LearnerNotFound => Self::NotFound { what: "apprenant" },
            other => Self::Storage(other),
        }
    }
}
