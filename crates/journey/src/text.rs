//! Text that people and clients type, screened before any value type reads it: it is stored,
//! sent in messages and shown to staff, so it carries no control character (NUL, line breaks,
//! escapes), no bidirectional override or isolate (which reorders what a reader sees, U+202E
//! turning `moc.elpmaxe` into `example.com`) and no invisible formatting, and it has a length.

use crate::identity::IdentityField;
use crate::JourneyError;

/// A field of free text, so a refusal can say which one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextField {
    Email,
    AccountFirstName,
    AccountLastName,
    Identity(IdentityField),
    /// The name of the service asking for a login, as a relying party gives it.
    RelyingParty,
    /// The identifier a device gives itself at activation.
    DeviceId,
}

impl TextField {
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::Email => "Adresse e-mail",
            Self::AccountFirstName => "Prénom",
            Self::AccountLastName => "Nom",
            Self::Identity(field) => field.label_fr(),
            Self::RelyingParty => "Nom du service demandeur",
            Self::DeviceId => "Identifiant de l'appareil",
        }
    }
}

/// Characters refused in every text field: controls (C0, DEL, C1), the bidirectional marks,
/// embeddings, overrides and isolates, and invisible formatting (zero-width characters, word
/// joiner, invisible operators, byte-order mark, interlinear annotations).
pub fn is_forbidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
        )
}

/// Refuses `raw` when it holds a forbidden character or more than `max_chars` characters.
/// Checked before any other rule of the field, so the person reads the actual problem.
pub fn screen(raw: &str, field: TextField, max_chars: usize) -> Result<&str, JourneyError> {
    if raw.chars().any(is_forbidden) {
        return Err(JourneyError::ForbiddenCharacter { field });
    }
    if raw.chars().nth(max_chars).is_some() {
        return Err(JourneyError::TextTooLong { field, max_chars });
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_bidi_and_invisible_characters_are_refused_french_text_is_not() {
        for raw in [
            "a\u{0}b",
            "a\nb",
            "a\u{1b}[31mb",
            "a\u{7f}b",
            "a\u{85}b",
            "moc.elpmaxe\u{202E}",
            "a\u{2066}b\u{2069}",
            "a\u{200F}b",
            "a\u{061C}b",
            "a\u{200B}b",
            "a\u{FEFF}b",
            "a\u{2028}b",
        ] {
            assert_eq!(
                screen(raw, TextField::Email, 100),
                Err(JourneyError::ForbiddenCharacter {
                    field: TextField::Email
                }),
                "{raw:?} must be refused"
            );
        }
        for raw in [
            "Marie-Noëlle D'Aubigné",
            "Zoé",
            "Œdipe Ærø",
            "Nguyễn Thị Minh Anh",
            "Saint-Étienne-du-Rouvray",
            "jean.o'neil+cpf@exemple.fr",
            "D\u{2019}Artagnan",
        ] {
            assert_eq!(
                screen(raw, TextField::Email, 100),
                Ok(raw),
                "{raw:?} is plain text"
            );
        }
    }

    #[test]
    fn the_length_counts_characters_not_bytes() {
        let accents = "é".repeat(100);
        assert!(screen(&accents, TextField::AccountLastName, 100).is_ok());
        assert_eq!(
            screen(&format!("{accents}é"), TextField::AccountLastName, 100),
            Err(JourneyError::TextTooLong {
                field: TextField::AccountLastName,
                max_chars: 100
            })
        );
    }
}
