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
    #[error("storage failure: {0}")]
    Storage(#[from] sqlx::Error),
    /// The transaction core's connections (rusqlite), see `World`.
    #[error("storage failure: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration failure: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
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

    pub fn code(&self) -> &'static str {
        match self {
            Self::Journey(error) => error.code(),
            Self::NotFound { .. } => "not_found",
            Self::BadRequest { code, .. } => code,
            Self::Storage(_) | Self::Sqlite(_) | Self::Migration(_) | Self::Io(_) | Self::Corrupt(_) => {
                "internal"
            }
        }
    }

    pub fn message_fr(&self) -> String {
        match self {
            Self::Journey(error) => error.message_fr(),
            Self::NotFound { what } => format!("Introuvable : {what}."),
            Self::BadRequest { message_fr, .. } => message_fr.clone(),
            Self::Storage(_) | Self::Sqlite(_) | Self::Migration(_) | Self::Io(_) | Self::Corrupt(_) => {
                "Le service simulé a rencontré une erreur interne ; réessayez. Rien n'a été perdu.".into()
            }
        }
    }
}
