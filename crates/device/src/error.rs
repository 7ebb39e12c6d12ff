//! The device core's one error type: the world's refusals keep their code and French message;
//! local failures (vault, network, files) get their own.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum DeviceError {
    /// The world refused the request; `code` is stable, `message` is for people.
    #[error("world refused the request: {code}")]
    World {
        status: u16,
        code: String,
        message: String,
    },
    #[error("cannot reach the world at {url}: {source}")]
    Unreachable { url: String, source: reqwest::Error },
    #[error("unexpected answer from the world: {0}")]
    Protocol(String),
    #[error("OS keyring unavailable: {0}")]
    VaultUnavailable(String),
    #[error("vault failure: {0}")]
    Vault(String),
    #[error("this device is not activated")]
    NotActivated,
    #[error("the device key is missing from the vault")]
    DeviceKeyMissing,
    #[error("invalid input: {code}")]
    Invalid { code: &'static str, message: String },
    #[error("device file I/O failure: {0}")]
    Io(#[from] std::io::Error),
}

impl DeviceError {
    pub fn code(&self) -> &str {
        match self {
            Self::World { code, .. } => code,
            Self::Unreachable { .. } => "world_unreachable",
            Self::Protocol(_) => "protocol",
            Self::VaultUnavailable(_) => "vault_unavailable",
            Self::Vault(_) => "vault",
            Self::NotActivated => "not_activated",
            Self::DeviceKeyMissing => "device_key_missing",
            Self::Invalid { code, .. } => code,
            Self::Io(_) => "device_io",
        }
    }

    pub fn message_fr(&self) -> String {
        match self {
            Self::World { message, .. } => message.clone(),
            Self::Unreachable { .. } => "Le service simulé ne répond pas : vérifiez qu'il est démarré, puis réessayez.".into(),
            Self::Protocol(_) => "Réponse inattendue du service simulé ; réessayez.".into(),
            Self::VaultUnavailable(_) => "Le trousseau du système (keyring) n'est pas disponible : ouvrez une session de bureau, ou utilisez le coffre en mémoire pour un essai (--vault memoire).".into(),
            Self::Vault(_) => "Le trousseau du système a refusé l'opération ; réessayez.".into(),
            Self::NotActivated => "Cet appareil n'est pas encore activé : saisissez d'abord votre code d'activation.".into(),
            Self::DeviceKeyMissing => "La clé de cet appareil est introuvable dans le trousseau : activez à nouveau votre Identité Numérique.".into(),
            Self::Invalid { message, .. } => message.clone(),
            Self::Io(_) => "Impossible d'enregistrer les données de l'appareil ; vérifiez l'espace disque.".into(),
        }
    }
}
