//! The class's name, as the trainer gives it when serving the world: shown on the welcome page
//! and the console, and given to a device that joins so that it confirms the class by name.

use super::*;

/// Characters of a class's name. The sandbox's choice: a room and a date fit, a paragraph not.
pub const CLASS_NAME_MAX_CHARS: usize = 80;

/// A class's name: trimmed, not empty, at most [`CLASS_NAME_MAX_CHARS`], no control character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassName(String);

impl ClassName {
    pub fn parse(text: &str) -> Result<Self, WorldError> {
        let name = text.trim();
        if name.is_empty()
            || name.chars().count() > CLASS_NAME_MAX_CHARS
            || name.chars().any(char::is_control)
        {
            return Err(WorldError::bad_request(
                "invalid_class_name",
                format!(
                    "Le nom de la classe compte de 1 à {CLASS_NAME_MAX_CHARS} caractères, sans retour à la ligne."
                ),
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl World {
    /// The class's name, when the trainer gave one.
    pub fn class_name(&self) -> Option<&str> {
        self.class_name.as_ref().map(ClassName::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_class_name_is_trimmed_and_an_empty_or_multiline_one_is_refused() {
        assert_eq!(
            ClassName::parse("  Salle 12 — mardi  ").unwrap().as_str(),
            "Salle 12 — mardi"
        );
        for refused in ["", "   ", "Salle\n12", &"x".repeat(CLASS_NAME_MAX_CHARS + 1)] {
            assert!(ClassName::parse(refused).is_err(), "{refused:?}");
        }
    }
}
