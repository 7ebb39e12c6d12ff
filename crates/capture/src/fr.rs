//! Every French sentence this crate shows to people, in one place: guidance hints and error
//! messages. Logs stay in English (`Display`).

use crate::{CaptureError, Hint, VideoHint};

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

/// What to do when a machine check of the video fails.
pub(crate) fn video_hint(hint: VideoHint) -> String {
    match hint {
        VideoHint::TooShort => {
            "Vidéo trop courte : enregistrez au moins 3 secondes, le temps de dire les 3 chiffres".to_owned()
        }
        VideoHint::TooLong => "Vidéo trop longue : 30 secondes au plus".to_owned(),
        VideoHint::Choppy => "Vidéo saccadée : fermez les autres applications et recommencez".to_owned(),
        VideoHint::NoSound => {
            "Aucun son enregistré : vérifiez que le micro est branché et autorisé".to_owned()
        }
        VideoHint::TooQuiet => "Voix trop faible : parlez plus fort, face à l'appareil".to_owned(),
        VideoHint::UtteranceCount(heard) => format!(
            "{heard} prise(s) de parole entendue(s) : dites les 3 chiffres, un par un, en marquant une pause"
        ),
    }
}

pub(crate) fn error_message(error: &CaptureError) -> String {
    match error {
        CaptureError::InvalidDigits(_) => "Il faut 3 chiffres, de 0 à 9.".to_owned(),
        CaptureError::InvalidVideoSettings(_) | CaptureError::VideoEncoding(_) => {
            "La vidéo n'a pas pu être enregistrée. Recommencez l'enregistrement.".to_owned()
        }
        CaptureError::UnreadableVideo(_) => {
            "Cette vidéo est illisible : enregistrez-la à nouveau dans l'application.".to_owned()
        }
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
        CaptureError::QrTextTooLong(_) => {
            "Ce texte est trop long pour tenir dans un QR code.".to_owned()
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

/// What the QR scanner says over the preview while it looks for a world's address.
pub(crate) fn qr_reading(reading: &crate::QrReading) -> String {
    match reading {
        crate::QrReading::NoCode => {
            "Aucun QR code lisible : cadrez le QR code affiché par votre formateur, en entier et bien net".to_owned()
        }
        crate::QrReading::NotAWorldAddress(_) => {
            "Ce QR code n'est pas celui d'une classe : scannez le QR code « Rejoindre la classe » de la page d'accueil du monde simulé".to_owned()
        }
        crate::QrReading::WorldAddress(address) => format!("QR code lu : {address}"),
    }
}
