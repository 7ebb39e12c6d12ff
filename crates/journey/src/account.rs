//! The La Poste account: identifier (email), password rule, mobile number, civility and names.
//! Each value is parsed once at the boundary; after that it cannot be malformed.

use crate::text::TextField;
use crate::{rules, JourneyError};
use serde::{Deserialize, Serialize};
use std::fmt;
use unicode_normalization::UnicodeNormalization;

/// The account identifier: an email address the person can read. Stored lowercased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, JourneyError> {
        let raw = crate::text::screen(raw.trim(), TextField::Email, rules::EMAIL_MAX_CHARS)?;
        let email = raw.to_lowercase();
        let (local, domain) = email.split_once('@').ok_or(JourneyError::InvalidEmail)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.contains(char::is_whitespace)
            && !local.contains(['@', '<', '>', '(', ')', ',', ';', ':', '"']);
        if !(domain_ok && local_ok) || email.len() > rules::EMAIL_MAX_CHARS {
            return Err(JourneyError::InvalidEmail);
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password that follows the rule: 8 characters or more, with an uppercase letter, a
/// lowercase letter and a digit. Never stored by the journey; `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, JourneyError> {
        let long_enough = raw.chars().count() >= rules::PASSWORD_MIN_LENGTH;
        let has_upper = raw.chars().any(char::is_uppercase);
        let has_lower = raw.chars().any(char::is_lowercase);
        let has_digit = raw.chars().any(|c| c.is_ascii_digit());
        if long_enough && has_upper && has_lower && has_digit {
            Ok(Self(raw.to_owned()))
        } else {
            Err(JourneyError::WeakPassword)
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// The password's one-way digest as the world computed it (PHC string). The journey only
/// records that the account has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordDigest(pub String);

/// A phone number in international form (E.164, "+33612345678"). A French national number
/// typed with a leading 0 is read as +33.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MobileNumber(String);

impl MobileNumber {
    pub fn parse(raw: &str) -> Result<Self, JourneyError> {
        let compact: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '.' | '-' | '(' | ')'))
            .collect();
        let international = if let Some(rest) = compact.strip_prefix("00") {
            format!("+{rest}")
        } else if compact.starts_with('0') && compact.len() == 10 {
            format!("+33{}", &compact[1..])
        } else {
            compact
        };
        let digits = international
            .strip_prefix('+')
            .ok_or(JourneyError::InvalidMobile)?;
        let valid = (8..=15).contains(&digits.len())
            && digits.chars().all(|c| c.is_ascii_digit())
            && !digits.starts_with('0');
        if !valid {
            return Err(JourneyError::InvalidMobile);
        }
        Ok(Self(international))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number as shown in messages, with its end hidden like real services do.
    pub fn masked(&self) -> String {
        let visible = self.0.len().saturating_sub(2);
        format!("{}**", &self.0[..visible.min(self.0.len())])
    }
}

impl fmt::Display for MobileNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The world's answer, from its records, to "is this mobile number already the number of another
/// activated Identité Numérique?" (the journey sees one learner, never the others). See
/// [`rules::IDENTITIES_PER_MOBILE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MobileHolder {
    /// No other identity was activated with this number.
    NoOtherIdentity,
    /// Another learner's identity was activated with this number (enrolled, locked, or
    /// verifying again after a forgotten code): it holds the number.
    AnotherIdentity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Civility {
    Madame,
    Monsieur,
}

/// A name as written on a document: letters (accents allowed), hyphens, apostrophes and
/// single spaces, in Unicode NFC as FranceConnect's pivot identity carries it. Typographic
/// apostrophes become ASCII ones; nothing else is changed, since the spelling must match the
/// document exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonName(String);

impl PersonName {
    /// `None` when the text is not a plausible name; the caller names the field in its error.
    pub fn parse(raw: &str) -> Option<Self> {
        let nfc: String = raw.nfc().collect();
        let unified = nfc.replace(['\u{2019}', '\u{2018}', '\u{02BC}'], "'");
        let words: Vec<&str> = unified.split_whitespace().collect();
        let name = words.join(" ");
        let first_is_letter = name.chars().next().is_some_and(char::is_alphabetic);
        let last_is_letter = name.chars().last().is_some_and(char::is_alphabetic);
        let allowed = name
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, '-' | '\'' | ' '));
        let no_double_punctuation = !name.contains("--") && !name.contains("''");
        (first_is_letter && last_is_letter && allowed && no_double_punctuation && name.chars().count() <= 100)
            .then_some(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// "Civilité, prénom, nom" of the La Poste account, plus the consents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub civility: Civility,
    pub first_name: PersonName,
    pub last_name: PersonName,
    /// Marketing opt-in: off unless the person ticked it.
    pub marketing_opt_in: bool,
}

/// The finished La Poste account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub email: Email,
    pub password: PasswordDigest,
    pub mobile: MobileNumber,
    pub profile: Profile,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_rule_of_the_cpf_site() {
        for (raw, accepted) in [
            ("Motdepasse1", true),
            ("Ab1defgh", true),
            ("Ab1defg", false),
            ("motdepasse1", false),
            ("MOTDEPASSE1", false),
            ("Motdepasse", false),
            ("Élodie2024", true),
        ] {
            assert_eq!(Password::parse(raw).is_ok(), accepted, "password {raw:?}");
        }
    }

    #[test]
    fn mobile_numbers_are_read_in_international_form() {
        for (raw, expected) in [
            ("+33 6 12 34 56 78", Some("+33612345678")),
            ("06 12 34 56 78", Some("+33612345678")),
            ("0033612345678", Some("+33612345678")),
            ("+262 692 12 34 56", Some("+262692123456")),
            ("612345678", None),
            ("+33 6 12 34 ab", None),
        ] {
            assert_eq!(
                MobileNumber::parse(raw).ok().map(|m| m.0),
                expected.map(String::from),
                "number {raw:?}"
            );
        }
    }

    #[test]
    fn names_keep_accents_hyphens_and_apostrophes() {
        for (raw, expected) in [
            ("  Jean-Édouard ", Some("Jean-Édouard")),
            ("D\u{2019}Artagnan", Some("D'Artagnan")),
            ("Marie   Claire", Some("Marie Claire")),
            ("Zoe\u{0301}", Some("Zoé")),
            ("Jean2", None),
            ("-Jean", None),
            ("", None),
        ] {
            assert_eq!(
                PersonName::parse(raw).map(|n| n.0),
                expected.map(String::from),
                "name {raw:?}"
            );
        }
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse(" Camille.Martin@Exemple.fr").unwrap().as_str(),
            "camille.martin@exemple.fr"
        );
        for hidden in ["a\u{0}b@x.fr", "camille\u{202E}rf.elpmaxe@x.fr"] {
            assert_eq!(
                Email::parse(hidden),
                Err(JourneyError::ForbiddenCharacter {
                    field: TextField::Email
                }),
                "email {hidden:?}: what staff would read is not what was typed"
            );
        }
        for bad in [
            "camille",
            "camille@",
            "@exemple.fr",
            "camille@exemple",
            "cam ille@exemple.fr",
        ] {
            assert_eq!(
                Email::parse(bad),
                Err(JourneyError::InvalidEmail),
                "email {bad:?}"
            );
        }
    }
}
