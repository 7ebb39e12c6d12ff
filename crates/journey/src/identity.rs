//! "Vos informations personnelles": the identity document's data, its validation against the
//! world's current date, and the pivot identity FranceConnect+ hands to relying parties.

use crate::account::PersonName;
use crate::text::{self, TextField};
use crate::{rules, JourneyError};
use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DocumentType {
    /// Carte nationale d'identité (front and back).
    Cni,
    /// Passeport (photo page).
    Passeport,
    /// Titre de séjour (front and back), accepted when valid 5 years or more.
    TitreDeSejour,
}

impl DocumentType {
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::Cni => "Carte nationale d'identité",
            Self::Passeport => "Passeport",
            Self::TitreDeSejour => "Titre de séjour",
        }
    }

    /// The photos the visual identification needs for this document.
    pub fn required_sides(self) -> &'static [DocumentSide] {
        match self {
            Self::Cni | Self::TitreDeSejour => &[DocumentSide::Front, DocumentSide::Back],
            Self::Passeport => &[DocumentSide::PhotoPage],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum DocumentSide {
    Front,
    Back,
    PhotoPage,
}

impl DocumentSide {
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::Front => "le recto de la pièce",
            Self::Back => "le verso de la pièce",
            Self::PhotoPage => "la page photo du passeport",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sex {
    Female,
    Male,
}

/// Each field of the form, so an error can say which one is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IdentityField {
    DocumentType,
    Sex,
    GivenNames,
    BirthName,
    UsageName,
    BirthDate,
    BirthCommune,
    BirthInseeCode,
    BirthCountry,
    Nationality,
    IssueDate,
    ExpiryDate,
    DocumentNumberEnding,
}

impl IdentityField {
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::DocumentType => "Pièce d'identité",
            Self::Sex => "Sexe",
            Self::GivenNames => "Prénom(s)",
            Self::BirthName => "Nom de naissance",
            Self::UsageName => "Nom d'usage",
            Self::BirthDate => "Date de naissance",
            Self::BirthCommune => "Commune de naissance",
            Self::BirthInseeCode => "Code INSEE de la commune de naissance",
            Self::BirthCountry => "Pays de naissance",
            Self::Nationality => "Nationalité",
            Self::IssueDate => "Date d'émission",
            Self::ExpiryDate => "Date d'expiration",
            Self::DocumentNumberEnding => "4 derniers caractères du numéro de la pièce",
        }
    }

    pub fn hint_fr(self) -> &'static str {
        match self {
            Self::DocumentType => "choisissez Carte nationale d'identité, Passeport ou Titre de séjour.",
            Self::Sex => "indiquez le sexe inscrit sur la pièce.",
            Self::GivenNames | Self::BirthName | Self::UsageName | Self::BirthCommune => {
                "écrivez-le exactement comme sur la pièce (lettres, accents, tirets et apostrophes uniquement)."
            }
            Self::BirthDate | Self::IssueDate | Self::ExpiryDate => "indiquez une date valide (JJ/MM/AAAA).",
            Self::BirthInseeCode => "5 caractères, par exemple 75056 ou 2A004.",
            Self::BirthCountry => "code pays INSEE à 5 chiffres commençant par 99 (99100 pour la France).",
            Self::Nationality => "code pays à 3 lettres (FRA pour la nationalité française).",
            Self::DocumentNumberEnding => "4 lettres ou chiffres, tels qu'imprimés sur la pièce.",
        }
    }
}

/// INSEE code of a French commune: 5 characters, the department being 2 digits, or 2A/2B in
/// Corsica.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InseeCode(String);

impl InseeCode {
    pub fn parse(raw: &str) -> Option<Self> {
        let code = raw.trim().to_ascii_uppercase();
        let bytes = code.as_bytes();
        let department_ok = bytes.len() == 5
            && (bytes[..2].iter().all(u8::is_ascii_digit) || &bytes[..2] == b"2A" || &bytes[..2] == b"2B");
        (department_ok && bytes[2..].iter().all(u8::is_ascii_digit) && &code[..2] != "99")
            .then_some(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// INSEE country code ("code officiel géographique"): 99 followed by 3 digits; France is 99100.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountryCode(String);

impl CountryCode {
    pub const FRANCE: &'static str = "99100";

    pub fn parse(raw: &str) -> Option<Self> {
        let code = raw.trim();
        (code.len() == 5 && code.starts_with("99") && code.bytes().all(|b| b.is_ascii_digit()))
            .then(|| Self(code.to_owned()))
    }

    pub fn is_france(&self) -> bool {
        self.0 == Self::FRANCE
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Birthplace {
    /// Born in France: the commune and its INSEE code.
    France {
        commune: PersonName,
        insee_code: InseeCode,
    },
    /// Born abroad: FranceConnect's pivot identity then has an empty birthplace.
    Abroad { country: CountryCode },
}

/// The form as typed, before any check; dates are ISO `YYYY-MM-DD`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityInput {
    pub document_type: Option<DocumentType>,
    pub sex: Option<Sex>,
    pub given_names: Vec<String>,
    pub birth_name: String,
    pub usage_name: Option<String>,
    pub birth_date: String,
    pub birth_country: String,
    pub birth_commune: Option<String>,
    pub birth_insee_code: Option<String>,
    pub nationality: String,
    pub issue_date: String,
    pub expiry_date: String,
    pub document_number_ending: String,
}

/// Identity data that passed every check on the day it was typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityDocument {
    pub document_type: DocumentType,
    pub sex: Sex,
    pub given_names: Vec<PersonName>,
    pub birth_name: PersonName,
    pub usage_name: Option<PersonName>,
    pub birth_date: NaiveDate,
    pub birthplace: Birthplace,
    pub nationality: String,
    pub issue_date: NaiveDate,
    pub expiry_date: NaiveDate,
    pub document_number_ending: String,
}

/// What the post-office clerk reads on the document shown at the counter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresentedDocument {
    pub document_type: DocumentType,
    pub birth_name: String,
    pub birth_date: NaiveDate,
    pub document_number_ending: String,
}

/// A field the clerk compares between the document presented and the confirmed identity: the
/// fields of `PresentedDocument`, named in a refusal so the clerk knows which one differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PresentedField {
    DocumentType,
    BirthName,
    BirthDate,
    DocumentNumberEnding,
}

impl PresentedField {
    /// The clerk's reading of this difference, in French.
    pub fn mismatch_fr(self) -> &'static str {
        match self {
            Self::DocumentType => "Le type de pièce ne correspond pas.",
            Self::BirthName => "Le nom de naissance ne correspond pas.",
            Self::BirthDate => "La date de naissance ne correspond pas.",
            Self::DocumentNumberEnding => {
                "Les 4 derniers caractères du numéro de la pièce ne correspondent pas."
            }
        }
    }
}

/// The identity FranceConnect+ passes to relying parties (OpenID Connect claims).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PivotIdentity {
    pub given_name: String,
    pub family_name: String,
    pub birthdate: NaiveDate,
    pub gender: &'static str,
    /// INSEE commune code, empty when born abroad.
    pub birthplace: String,
    pub birthcountry: String,
}

fn field(field: IdentityField) -> JourneyError {
    JourneyError::InvalidField { field }
}

fn parse_date(raw: &str, which: IdentityField) -> Result<NaiveDate, JourneyError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| field(which))
}

fn add_years(date: NaiveDate, years: u32) -> Option<NaiveDate> {
    date.checked_add_months(Months::new(years * 12))
}

/// Refuses the form when a field holds a character no document prints (control, bidirectional,
/// invisible) or is too long, and when it lists more given names than the rule allows: checked
/// before the fields are read, so the refusal names the actual problem.
fn screen_form(input: &IdentityInput) -> Result<(), JourneyError> {
    let name = |raw: &str, field: IdentityField| {
        text::screen(raw, TextField::Identity(field), rules::NAME_MAX_CHARS).map(drop)
    };
    let other = |raw: &str, field: IdentityField| {
        text::screen(raw, TextField::Identity(field), rules::IDENTITY_FIELD_MAX_CHARS).map(drop)
    };
    let given_names = input.given_names.iter().filter(|name| !name.trim().is_empty());
    if given_names.clone().nth(rules::MAX_GIVEN_NAMES).is_some() {
        return Err(JourneyError::TooManyGivenNames {
            max: rules::MAX_GIVEN_NAMES,
        });
    }
    for given_name in &input.given_names {
        name(given_name, IdentityField::GivenNames)?;
    }
    name(&input.birth_name, IdentityField::BirthName)?;
    if let Some(usage_name) = &input.usage_name {
        name(usage_name, IdentityField::UsageName)?;
    }
    if let Some(commune) = &input.birth_commune {
        name(commune, IdentityField::BirthCommune)?;
    }
    if let Some(insee_code) = &input.birth_insee_code {
        other(insee_code, IdentityField::BirthInseeCode)?;
    }
    other(&input.birth_date, IdentityField::BirthDate)?;
    other(&input.birth_country, IdentityField::BirthCountry)?;
    other(&input.nationality, IdentityField::Nationality)?;
    other(&input.issue_date, IdentityField::IssueDate)?;
    other(&input.expiry_date, IdentityField::ExpiryDate)?;
    other(&input.document_number_ending, IdentityField::DocumentNumberEnding)
}

impl IdentityDocument {
    /// Parses and checks the form on `today`, the world's current date.
    pub fn parse(input: &IdentityInput, today: NaiveDate) -> Result<Self, JourneyError> {
        screen_form(input)?;
        let document_type = input.document_type.ok_or(field(IdentityField::DocumentType))?;
        let sex = input.sex.ok_or(field(IdentityField::Sex))?;
        let given_names = input
            .given_names
            .iter()
            .filter(|name| !name.trim().is_empty())
            .map(|name| PersonName::parse(name).ok_or(field(IdentityField::GivenNames)))
            .collect::<Result<Vec<_>, _>>()?;
        if given_names.is_empty() {
            return Err(field(IdentityField::GivenNames));
        }
        let birth_name = PersonName::parse(&input.birth_name).ok_or(field(IdentityField::BirthName))?;
        let usage_name = match input.usage_name.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => Some(PersonName::parse(raw).ok_or(field(IdentityField::UsageName))?),
        };
        let usage_name = usage_name.filter(|name| name != &birth_name);
        let birth_date = parse_date(&input.birth_date, IdentityField::BirthDate)?;
        if birth_date > today {
            return Err(field(IdentityField::BirthDate));
        }
        let country = CountryCode::parse(&input.birth_country).ok_or(field(IdentityField::BirthCountry))?;
        let birthplace = if country.is_france() {
            let commune = input
                .birth_commune
                .as_deref()
                .and_then(PersonName::parse)
                .ok_or(field(IdentityField::BirthCommune))?;
            let insee_code = input
                .birth_insee_code
                .as_deref()
                .and_then(InseeCode::parse)
                .ok_or(field(IdentityField::BirthInseeCode))?;
            Birthplace::France { commune, insee_code }
        } else {
            Birthplace::Abroad { country }
        };
        let nationality = input.nationality.trim().to_ascii_uppercase();
        if nationality.len() != 3 || !nationality.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(field(IdentityField::Nationality));
        }
        let issue_date = parse_date(&input.issue_date, IdentityField::IssueDate)?;
        let expiry_date = parse_date(&input.expiry_date, IdentityField::ExpiryDate)?;
        let ending = input.document_number_ending.trim().to_ascii_uppercase();
        if ending.len() != 4 || !ending.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(field(IdentityField::DocumentNumberEnding));
        }
        if expiry_date <= issue_date || issue_date < birth_date {
            return Err(field(IdentityField::ExpiryDate));
        }
        if issue_date > today {
            return Err(JourneyError::DocumentIssuedInFuture);
        }
        if add_years(birth_date, rules::ADULT_AGE_YEARS).is_none_or(|adult| adult > today) {
            return Err(JourneyError::Underage);
        }
        if expiry_date < today {
            return Err(JourneyError::DocumentExpired);
        }
        if document_type == DocumentType::TitreDeSejour
            && add_years(issue_date, rules::RESIDENCE_PERMIT_MIN_VALIDITY_YEARS)
                .is_none_or(|min| expiry_date < min)
        {
            return Err(JourneyError::ResidencePermitTooShort);
        }
        Ok(Self {
            document_type,
            sex,
            given_names,
            birth_name,
            usage_name,
            birth_date,
            birthplace,
            nationality,
            issue_date,
            expiry_date,
            document_number_ending: ending,
        })
    }

    pub fn is_expired_on(&self, today: NaiveDate) -> bool {
        self.expiry_date < today
    }

    /// The clerk's comparison: same kind of document, same birth name (ignoring case and
    /// accents' composition), same birth date, same number ending. Empty when the document
    /// matches; else every field that differs, in the form's order.
    pub fn differences(&self, presented: &PresentedDocument) -> Vec<PresentedField> {
        let same_name = PersonName::parse(&presented.birth_name)
            .is_some_and(|name| name.as_str().to_lowercase() == self.birth_name.as_str().to_lowercase());
        [
            (
                PresentedField::DocumentType,
                self.document_type == presented.document_type,
            ),
            (PresentedField::BirthName, same_name),
            (PresentedField::BirthDate, self.birth_date == presented.birth_date),
            (
                PresentedField::DocumentNumberEnding,
                self.document_number_ending == presented.document_number_ending.trim().to_ascii_uppercase(),
            ),
        ]
        .into_iter()
        .filter_map(|(field, same)| (!same).then_some(field))
        .collect()
    }

    pub fn pivot_identity(&self) -> PivotIdentity {
        let (birthplace, birthcountry) = match &self.birthplace {
            Birthplace::France { insee_code, .. } => {
                (insee_code.as_str().to_owned(), CountryCode::FRANCE.to_owned())
            }
            Birthplace::Abroad { country } => (String::new(), country.as_str().to_owned()),
        };
        PivotIdentity {
            given_name: self
                .given_names
                .iter()
                .map(PersonName::as_str)
                .collect::<Vec<_>>()
                .join(" "),
            family_name: self.birth_name.as_str().to_owned(),
            birthdate: self.birth_date,
            gender: match self.sex {
                Sex::Female => "female",
                Sex::Male => "male",
            },
            birthplace,
            birthcountry,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
    }

    pub fn valid_input() -> IdentityInput {
        IdentityInput {
            document_type: Some(DocumentType::Cni),
            sex: Some(Sex::Female),
            given_names: vec![
                "Camille".into(),
                "Marie-Noëlle".into(),
                "Anaïs".into(),
                "Zoé".into(),
            ],
            birth_name: "D'Aubigné".into(),
            usage_name: Some("Martin".into()),
            birth_date: "1990-05-17".into(),
            birth_country: "99100".into(),
            birth_commune: Some("Ajaccio".into()),
            birth_insee_code: Some("2a004".into()),
            nationality: "fra".into(),
            issue_date: "2021-06-01".into(),
            expiry_date: "2036-05-31".into(),
            document_number_ending: "x4b2".into(),
        }
    }

    fn check(edit: impl FnOnce(&mut IdentityInput)) -> Result<IdentityDocument, JourneyError> {
        let mut input = valid_input();
        edit(&mut input);
        IdentityDocument::parse(&input, today())
    }

    #[test]
    fn a_complete_form_becomes_the_pivot_identity() {
        let document = check(|_| {}).expect("valid form");
        let pivot = document.pivot_identity();
        assert_eq!(
            pivot.given_name, "Camille Marie-Noëlle Anaïs Zoé",
            "every given name, in order"
        );
        assert_eq!(pivot.family_name, "D'Aubigné");
        assert_eq!(pivot.birthplace, "2A004", "Corsican INSEE codes keep 2A");
        assert_eq!(pivot.birthcountry, "99100");
        assert_eq!(document.document_number_ending, "X4B2");
    }

    type Case = (
        &'static str,
        Box<dyn FnOnce(&mut IdentityInput)>,
        Result<(), JourneyError>,
    );

    #[test]
    fn rules_of_the_form() {
        let cases: Vec<Case> = vec![
            (
                "18 today is adult",
                Box::new(|i| i.birth_date = "2008-03-02".into()),
                Ok(()),
            ),
            (
                "18 tomorrow is a minor",
                Box::new(|i| i.birth_date = "2008-03-03".into()),
                Err(JourneyError::Underage),
            ),
            (
                "expired yesterday",
                Box::new(|i| i.expiry_date = "2026-03-01".into()),
                Err(JourneyError::DocumentExpired),
            ),
            (
                "expires today is still valid",
                Box::new(|i| i.expiry_date = "2026-03-02".into()),
                Ok(()),
            ),
            (
                "issued tomorrow",
                Box::new(|i| {
                    i.issue_date = "2026-03-03".into();
                }),
                Err(JourneyError::DocumentIssuedInFuture),
            ),
            (
                "born abroad has no commune",
                Box::new(|i| {
                    i.birth_country = "99350".into();
                    i.birth_commune = None;
                    i.birth_insee_code = None;
                }),
                Ok(()),
            ),
            (
                "born in France needs the INSEE code",
                Box::new(|i| i.birth_insee_code = None),
                Err(field(IdentityField::BirthInseeCode)),
            ),
            (
                "digits in a name",
                Box::new(|i| i.birth_name = "Dupont2".into()),
                Err(field(IdentityField::BirthName)),
            ),
            (
                "no given name",
                Box::new(|i| i.given_names = vec![" ".into()]),
                Err(field(IdentityField::GivenNames)),
            ),
            (
                "short residence permit",
                Box::new(|i| {
                    i.document_type = Some(DocumentType::TitreDeSejour);
                    i.expiry_date = "2026-05-31".into();
                }),
                Err(JourneyError::ResidencePermitTooShort),
            ),
            (
                "five-year residence permit",
                Box::new(|i| {
                    i.document_type = Some(DocumentType::TitreDeSejour);
                    i.expiry_date = "2026-06-01".into();
                }),
                Ok(()),
            ),
            (
                "ten given names",
                Box::new(|i| i.given_names = vec!["Jean".into(); 10]),
                Ok(()),
            ),
            (
                "eleven given names",
                Box::new(|i| i.given_names = vec!["Jean".into(); 11]),
                Err(JourneyError::TooManyGivenNames { max: 10 }),
            ),
            (
                "2,000 given names",
                Box::new(|i| i.given_names = vec!["Jean".into(); 2000]),
                Err(JourneyError::TooManyGivenNames { max: 10 }),
            ),
            (
                "empty given-name slots do not count",
                Box::new(|i| {
                    i.given_names = vec!["Jean".into(); 10];
                    i.given_names.extend(vec![" ".to_owned(); 5]);
                }),
                Ok(()),
            ),
            (
                "NUL in a given name",
                Box::new(|i| i.given_names[1] = "Marie\u{0}Noëlle".into()),
                Err(JourneyError::ForbiddenCharacter {
                    field: TextField::Identity(IdentityField::GivenNames),
                }),
            ),
            (
                "right-to-left override in the birth name",
                Box::new(|i| i.birth_name = "\u{202E}éngibuA'D".into()),
                Err(JourneyError::ForbiddenCharacter {
                    field: TextField::Identity(IdentityField::BirthName),
                }),
            ),
            (
                "isolate in the commune of birth",
                Box::new(|i| i.birth_commune = Some("Ajaccio\u{2067}".into())),
                Err(JourneyError::ForbiddenCharacter {
                    field: TextField::Identity(IdentityField::BirthCommune),
                }),
            ),
            (
                "line break in the number ending",
                Box::new(|i| i.document_number_ending = "X4\nB2".into()),
                Err(JourneyError::ForbiddenCharacter {
                    field: TextField::Identity(IdentityField::DocumentNumberEnding),
                }),
            ),
            (
                "a usage name of 101 letters",
                Box::new(|i| i.usage_name = Some("a".repeat(101))),
                Err(JourneyError::TextTooLong {
                    field: TextField::Identity(IdentityField::UsageName),
                    max_chars: 100,
                }),
            ),
            (
                "a date of 10,000 characters",
                Box::new(|i| i.birth_date = "1".repeat(10_000)),
                Err(JourneyError::TextTooLong {
                    field: TextField::Identity(IdentityField::BirthDate),
                    max_chars: 32,
                }),
            ),
            (
                "number ending too long",
                Box::new(|i| i.document_number_ending = "12345".into()),
                Err(field(IdentityField::DocumentNumberEnding)),
            ),
        ];
        for (name, edit, expected) in cases {
            assert_eq!(check(edit).map(|_| ()), expected, "case: {name}");
        }
    }

    #[test]
    fn clerk_comparison_ignores_case_but_not_the_number() {
        let document = check(|_| {}).unwrap();
        let mut shown = PresentedDocument {
            document_type: DocumentType::Cni,
            birth_name: "d'aubigné".into(),
            birth_date: NaiveDate::from_ymd_opt(1990, 5, 17).unwrap(),
            document_number_ending: "X4B2".into(),
        };
        assert_eq!(document.differences(&shown), vec![]);
        shown.document_number_ending = "X4B3".into();
        assert_eq!(
            document.differences(&shown),
            vec![PresentedField::DocumentNumberEnding],
            "another document must be refused, naming its number"
        );
    }

    #[test]
    fn clerk_comparison_names_every_field_that_differs() {
        let document = check(|_| {}).unwrap();
        let shown = PresentedDocument {
            document_type: DocumentType::Passeport,
            birth_name: "Martin".into(),
            birth_date: NaiveDate::from_ymd_opt(1990, 5, 18).unwrap(),
            document_number_ending: " x4b2 ".into(),
        };
        assert_eq!(
            document.differences(&shown),
            vec![
                PresentedField::DocumentType,
                PresentedField::BirthName,
                PresentedField::BirthDate
            ],
            "kind, birth name and birth date differ; the number matches once trimmed and in capitals"
        );
        let unreadable_name = PresentedDocument {
            birth_name: "D'Aubigné\u{0}".into(),
            ..shown
        };
        assert!(
            document
                .differences(&unreadable_name)
                .contains(&PresentedField::BirthName),
            "a name that does not parse cannot be the same name"
        );
    }
}
