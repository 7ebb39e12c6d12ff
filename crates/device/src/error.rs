//! The device core's one error type: the world's refusals keep their code and French message;
//! local failures (vault, network, files) get their own.

use idn_api::ClientError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum DeviceError {
    /// The world refused the request, could not be reached or answered off the protocol.
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("OS keyring unavailable: {0}")]
    VaultUnavailable(String),
    #[error("vault failure: {0}")]
    Vault(String),
    #[error("this device is not activated")]
    NotActivated,
    #[error("the device key is missing from the vault")]
    DeviceKeyMissing,
    #[error("device profile unreadable: {0}")]
    ProfileUnreadable(String),
    #[error("sealing the secret code failed")]
    Sealing,
    /// The world's keys are not those this device pinned at its first contact with the world,
    /// nor endorsed by its pinned identity: someone on the path may be swapping them. Nothing
    /// was sealed or sent; why is logged.
    #[error("the world's keys are not endorsed by the identity this device pinned")]
    WorldKeyUntrusted,
    /// The world's identity key is not the one named by the QR code the device joined it by:
    /// the address leads elsewhere than the projected world. Nothing was pinned, sealed or sent.
    #[error("the world's identity key is not the one its join code names")]
    WorldNotTheScannedOne,
    #[error("invalid input: {code}")]
    Invalid { code: &'static str, message: String },
    #[error("device file I/O failure: {0}")]
    Io(#[from] std::io::Error),
}

impl DeviceError {
    pub fn code(&self) -> &str {
        match self {
            Self::Client(error) => error.code(),
            Self::VaultUnavailable(_) => "vault_unavailable",
            Self::Vault(_) => "vault",
            Self::NotActivated => "not_activated",
            Self::DeviceKeyMissing => "device_key_missing",
            Self::ProfileUnreadable(_) => "device_profile",
            Self::Sealing => "sealing",
            Self::WorldKeyUntrusted | Self::WorldNotTheScannedOne => "world_key_untrusted",
            Self::Invalid { code, .. } => code,
            Self::Io(_) => "device_io",
        }
    }

    /// The attempts left after the world refused a wrong code or secret code, when it says so:
    /// a screen warns before the last one.
    pub fn attempts_left(&self) -> Option<u8> {
        match self {
            Self::Client(error) => error.attempts_left(),
            Self::VaultUnavailable(_)
            | Self::Vault(_)
            | Self::NotActivated
            | Self::DeviceKeyMissing
            | Self::ProfileUnreadable(_)
            | Self::Sealing
            | Self::WorldKeyUntrusted
            | Self::WorldNotTheScannedOne
            | Self::Invalid { .. }
            | Self::Io(_) => None,
        }
    }

    pub fn message_fr(&self) -> String {
        match self {
            Self::Client(error) => error.message_fr(),
            Self::VaultUnavailable(_) => "Le trousseau du système (keyring) n'est pas disponible : ouvrez une session de bureau, ou utilisez le coffre en mémoire pour un essai (--vault memoire).".into(),
            Self::Vault(_) => "Le trousseau du système a refusé l'opération ; réessayez.".into(),
            Self::NotActivated => "Cet appareil n'est pas encore activé : saisissez d'abord votre code d'activation.".into(),
            Self::DeviceKeyMissing => "La clé de cet appareil est introuvable dans le trousseau : activez à nouveau votre Identité Numérique.".into(),
            Self::ProfileUnreadable(_) => "Les données de cet appareil sont illisibles : retirez l'identité de l'appareil puis activez-la à nouveau.".into(),
            Self::Sealing => "Le code secret n'a pas pu être protégé pour l'envoi ; réessayez.".into(),
            Self::WorldKeyUntrusted => "La clé du monde a changé sans preuve : ne saisissez pas votre code secret, prévenez votre formateur.".into(),
            Self::WorldNotTheScannedOne => "Ce monde ne correspond pas au QR code scanné : ne saisissez pas votre code secret, vérifiez l'adresse et prévenez votre formateur.".into(),
            Self::Invalid { message, .. } => message.clone(),
            Self::Io(_) => "Impossible d'enregistrer les données de l'appareil ; vérifiez l'espace disque.".into(),
        }
    }
}
