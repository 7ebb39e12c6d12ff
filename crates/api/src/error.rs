//! The client's one error type: the world's refusals keep their stable code and French message;
//! an unreachable world and an answer that does not parse get their own.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum ClientError {
    /// The world refused the request; `code` is stable, `message` is for people,
    /// `attempts_left` set for a wrong code or secret code (the world's `ApiError`).
    #[error("world refused the request: {code}")]
    World {
        status: u16,
        code: String,
        message: String,
        attempts_left: Option<u8>,
    },
    #[error("cannot reach the world at {url}: {source}")]
    Unreachable { url: String, source: reqwest::Error },
    #[error("unexpected answer from the world: {0}")]
    Protocol(String),
}

impl ClientError {
    /// The stable code to decide on.
    pub fn code(&self) -> &str {
        match self {
            Self::World { code, .. } => code,
            Self::Unreachable { source, .. } if crate::tls::is_certificate_refusal(source) => "tls_untrusted",
            Self::Unreachable { .. } => "world_unreachable",
            Self::Protocol(_) => "protocol",
        }
    }

    /// What the person reads.
    pub fn message_fr(&self) -> String {
        match self {
            Self::World { message, .. } => message.clone(),
            Self::Unreachable { source, .. } if crate::tls::is_certificate_refusal(source) => {
                crate::tls::UNTRUSTED_FR.into()
            }
            Self::Unreachable { .. } => {
                "Le service simulé ne répond pas : vérifiez qu'il est démarré, puis réessayez.".into()
            }
            Self::Protocol(_) => "Réponse inattendue du service simulé ; réessayez.".into(),
        }
    }

    /// The attempts left after the world's refusal of a wrong code, when it says so.
    pub fn attempts_left(&self) -> Option<u8> {
        match self {
            Self::World { attempts_left, .. } => *attempts_left,
            Self::Unreachable { .. } | Self::Protocol(_) => None,
        }
    }

    /// The world's refusal with this code (`None` for any other failure).
    pub fn is_refusal(&self, code: &str) -> bool {
        matches!(self, Self::World { code: refused, .. } if refused == code)
    }
}
