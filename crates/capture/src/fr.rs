//! Every French sentence this crate shows to people, in one place: guidance hints and error
//! messages. Logs stay in English (`Display`).

use crate::{CaptureError, Hint};

/// The short instruction shown over the preview when a check fails.
pub(crate) fn hint(hint: Hint) -> &'static str {
    match hint {
        Hint::NoDocument => "Aucune pièce détectée : posez-la à plat sur un fond sombre et uni",
        Hint::OutOfFrame => "Pièce hors cadre : la pièce entière doit être visible",
        Hint::TooFar => "Pièce trop loin : rapprochez-la",
        Hint::WrongShape => "Forme inattendue : présentez la pièce demandée, bien à plat",
        Hint::TooDark => "Image trop sombre : éclairez davantage la pièce",
        Hint::TooBright => "Image trop claire : évitez la lumière directe",
        Hint::Glare => "Reflet détecté : inclinez légèrement la pièce",
        Hint::LowContrast => "Contraste trop faible : sortez la pièce de sa pochette",
        Hint::Blurry => "Image floue : tenez l'appareil immobile",
    }
}

pub(crate) fn error_message(error: &CaptureError) -> String {
    match error {
        CaptureError::NoCamera(_) => {
            "Aucune caméra n'a été trouvée. Branchez une caméra, ou choisissez une photo dans la Photothèque.".to_owned()
        }
        CaptureError::CameraUnavailable(_) => {
            "La caméra ne répond pas : fermez les autres applications qui l'utilisent et vérifiez l'autorisation d'accès à la caméra.".to_owned()
        }
        CaptureError::UnsupportedPixelFormat(_) => {
            "Cette caméra envoie des images dans un format non pris en charge. Essayez une autre caméra.".to_owned()
        }
        CaptureError::NoMicrophone(_) => {
            "Aucun micro utilisable n'a été trouvé. Branchez un micro et vérifiez l'autorisation d'accès au micro.".to_owned()
        }
        CaptureError::FrameSizeMismatch { .. } | CaptureError::EmptyFrame { .. } => {
            "L'image reçue est incomplète. Reprenez la photo.".to_owned()
        }
        CaptureError::FileUnreadable { .. } => {
            "Ce fichier ne peut pas être lu. Choisissez une autre photo.".to_owned()
        }
        CaptureError::UnsupportedImage { .. } => {
            "Ce fichier n'est pas une photo JPEG ou PNG lisible. Choisissez une autre photo.".to_owned()
        }
        CaptureError::InvalidJpegQuality(_) | CaptureError::JpegEncoding(_) => {
            "La photo n'a pas pu être enregistrée. Réessayez.".to_owned()
        }
        CaptureError::UnknownDegradation(name) => {
            let known: Vec<&str> = crate::Degradation::ALL.iter().map(|d| d.name()).collect();
            format!(
                "Dégradation inconnue « {name} » : choisissez parmi {}.",
                known.join(", ")
            )
        }
    }
}
