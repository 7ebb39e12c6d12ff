//! The persona catalogue (`scenarios/personas.toml`, embedded): fictitious French identities
//! that exercise what real services stumble on. Scenario files name one, or carry their own.

use crate::error::{invalid, Context, Result};
use chrono::NaiveDate;
use idn_api::{Civility, IdentityForm, SexField};
use idn_capture::{SpecimenIdentity, SpecimenSex};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// The catalogue as shipped; `idn` reads it from its own binary.
pub const PERSONAS_TOML: &str = include_str!("../../../scenarios/personas.toml");

/// The format version this build reads.
pub const PERSONAS_VERSION: u32 = 1;

/// The persona `idn demo` plays.
pub const DEMO_PERSONA: &str = "camille-daubigne";

/// A fictitious person: account, identity document as typed in "Vos informations
/// personnelles", and the secret code they choose.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Persona {
    /// Stable name, used by scenario files (`persona = "…"`).
    pub name: String,
    /// What this persona exercises, in French.
    #[serde(default)]
    pub title: String,
    pub email: String,
    pub mobile: String,
    pub password: String,
    /// 4 different digits.
    pub secret_code: String,
    pub civility: Civility,
    /// The account's first and last name ("Civilité, prénom, nom"); the first given name and
    /// the usage (else birth) name when absent.
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    /// The document shows no full birth date (e.g. "XX/XX/1988"): `identity.birth_date` holds
    /// the presumed date French services record, the 1st of January.
    #[serde(default)]
    pub birth_date_presumed: bool,
    /// Birthplace as printed on the synthetic specimen when born abroad ("DAKAR (SÉNÉGAL)").
    #[serde(default)]
    pub printed_birthplace: Option<String>,
    /// The journey's error code when this identity is refused by design (`underage`,
    /// `document_expired`); absent for an identity the service accepts.
    #[serde(default)]
    pub refused_with: Option<String>,
    #[serde(deserialize_with = "strict_identity")]
    pub identity: IdentityForm,
}

/// `IdentityForm` as a file spells it: the API's form accepts unknown fields, a file must not
/// (a misspelt `usage_nam` would silently drop the usage name).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdentityFields {
    document_type: Option<idn_api::DocumentKind>,
    sex: Option<SexField>,
    given_names: Vec<String>,
    birth_name: String,
    usage_name: Option<String>,
    birth_date: String,
    birth_country: String,
    birth_commune: Option<String>,
    birth_insee_code: Option<String>,
    nationality: String,
    issue_date: String,
    expiry_date: String,
    document_number_ending: String,
}

fn strict_identity<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<IdentityForm, D::Error> {
    let fields = IdentityFields::deserialize(deserializer)?;
    Ok(IdentityForm {
        document_type: fields.document_type,
        sex: fields.sex,
        given_names: fields.given_names,
        birth_name: fields.birth_name,
        usage_name: fields.usage_name,
        birth_date: fields.birth_date,
        birth_country: fields.birth_country,
        birth_commune: fields.birth_commune,
        birth_insee_code: fields.birth_insee_code,
        nationality: fields.nationality,
        issue_date: fields.issue_date,
        expiry_date: fields.expiry_date,
        document_number_ending: fields.document_number_ending,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile {
    version: u32,
    persona: Vec<Persona>,
}

impl Persona {
    pub fn account_first_name(&self) -> String {
        self.first_name
            .clone()
            .or_else(|| self.identity.given_names.first().cloned())
            .unwrap_or_default()
    }

    pub fn account_last_name(&self) -> String {
        self.last_name
            .clone()
            .or_else(|| self.identity.usage_name.clone())
            .unwrap_or_else(|| self.identity.birth_name.clone())
    }

    /// The data the synthetic camera prints on this persona's specimen document.
    pub fn specimen(&self) -> Result<SpecimenIdentity> {
        let form = &self.identity;
        let date = |text: &str, what: &str| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d").with_context(|| {
                format!(
                    "persona {} : {what} « {text} » n'est pas une date AAAA-MM-JJ",
                    self.name
                )
            })
        };
        let birth_place = match (
            &self.printed_birthplace,
            &form.birth_commune,
            &form.birth_insee_code,
        ) {
            (Some(printed), _, _) => printed.clone(),
            (None, Some(commune), Some(insee)) if insee.len() >= 2 => {
                format!("{} ({})", commune.to_uppercase(), &insee[..2])
            }
            _ => String::new(),
        };
        Ok(SpecimenIdentity {
            sex: match form.sex {
                Some(SexField::Male) => SpecimenSex::Male,
                Some(SexField::Female) | None => SpecimenSex::Female,
            },
            given_names: form.given_names.clone(),
            birth_name: form.birth_name.clone(),
            usage_name: form.usage_name.clone(),
            birth_date: date(&form.birth_date, "la date de naissance")?,
            birth_place,
            nationality: form.nationality.clone(),
            issue_date: date(&form.issue_date, "la date de délivrance")?,
            expiry_date: date(&form.expiry_date, "la date d'expiration")?,
            document_number_ending: form.document_number_ending.clone(),
        })
    }

    /// Checks what the world cannot check for us before a scenario starts: a secret code of 4
    /// different digits (the device refuses anything else).
    pub fn check(&self) -> Result<()> {
        let code = self.secret_code.as_bytes();
        let distinct = code.iter().enumerate().all(|(i, c)| !code[..i].contains(c));
        if code.len() != 4 || !code.iter().all(u8::is_ascii_digit) || !distinct {
            invalid!(
                "persona {} : le code secret doit comporter 4 chiffres tous différents",
                self.name
            );
        }
        if self.identity.document_type.is_none() || self.identity.sex.is_none() {
            invalid!("persona {} : type de pièce et sexe sont obligatoires", self.name);
        }
        Ok(())
    }
}

/// Reads a persona catalogue in this build's format.
pub fn parse_catalogue(text: &str) -> Result<Vec<Persona>> {
    let file: CatalogueFile = toml::from_str(text).context("catalogue de personas illisible")?;
    if file.version != PERSONAS_VERSION {
        invalid!(
            "catalogue de personas en version {} : cette version d'idn lit la version {PERSONAS_VERSION}",
            file.version
        );
    }
    for (index, persona) in file.persona.iter().enumerate() {
        persona.check()?;
        if file.persona[..index]
            .iter()
            .any(|other| other.name == persona.name)
        {
            invalid!("persona {} : nom en double dans le catalogue", persona.name);
        }
    }
    Ok(file.persona)
}

/// The shipped catalogue. It is checked by this crate's tests, so reading it cannot fail.
pub fn catalogue() -> &'static [Persona] {
    static CATALOGUE: OnceLock<Vec<Persona>> = OnceLock::new();
    CATALOGUE
        .get_or_init(|| parse_catalogue(PERSONAS_TOML).expect("scenarios/personas.toml is valid (tested)"))
}

pub fn find(name: &str) -> Option<&'static Persona> {
    catalogue().iter().find(|persona| persona.name == name)
}

/// The persona named `name`, or an error listing the catalogue.
pub fn named(name: &str) -> Result<&'static Persona> {
    find(name).with_context(|| {
        format!(
            "persona inconnue « {name} » : choisissez parmi {}",
            catalogue()
                .iter()
                .map(|persona| persona.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// The demo persona, as `idn demo` and the synthetic camera use it.
pub fn demo() -> &'static Persona {
    find(DEMO_PERSONA).expect("the demo persona is in the catalogue (tested)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use idn_journey::identity::{DocumentType, IdentityDocument, IdentityInput, Sex};

    /// The date the catalogue's expectations are checked on; documents stay valid until 2031.
    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn input(form: &IdentityForm) -> IdentityInput {
        IdentityInput {
            document_type: form.document_type.map(Into::into),
            sex: form.sex.map(Into::into),
            given_names: form.given_names.clone(),
            birth_name: form.birth_name.clone(),
            usage_name: form.usage_name.clone(),
            birth_date: form.birth_date.clone(),
            birth_country: form.birth_country.clone(),
            birth_commune: form.birth_commune.clone(),
            birth_insee_code: form.birth_insee_code.clone(),
            nationality: form.nationality.clone(),
            issue_date: form.issue_date.clone(),
            expiry_date: form.expiry_date.clone(),
            document_number_ending: form.document_number_ending.clone(),
        }
    }

    #[test]
    fn every_persona_is_accepted_or_refused_as_the_catalogue_says() {
        for persona in catalogue() {
            let outcome = IdentityDocument::parse(&input(&persona.identity), today());
            match (&persona.refused_with, outcome) {
                (None, Ok(_)) => {}
                (Some(expected), Err(error)) => assert_eq!(
                    error.code(),
                    expected,
                    "{} is refused for the stated reason",
                    persona.name
                ),
                (None, Err(error)) => panic!("{} should be accepted, got {error}", persona.name),
                (Some(expected), Ok(_)) => panic!("{} should be refused with {expected}", persona.name),
            }
            persona.specimen().expect("the specimen's dates read");
        }
    }

    #[test]
    fn the_catalogue_covers_the_edge_cases_real_services_stumble_on() {
        let accepted: Vec<IdentityDocument> = catalogue()
            .iter()
            .filter(|persona| persona.refused_with.is_none())
            .map(|persona| IdentityDocument::parse(&input(&persona.identity), today()).unwrap())
            .collect();
        let any = |what: &str, test: &dyn Fn(&IdentityDocument) -> bool| {
            assert!(accepted.iter().any(test), "no accepted persona has {what}");
        };
        any("more than three given names", &|d| d.given_names.len() > 3);
        any("a usage name", &|d| d.usage_name.is_some());
        any("an apostrophe in the birth name", &|d| {
            d.birth_name.as_str().contains('\'')
        });
        any("a hyphen in a given name", &|d| {
            d.given_names.iter().any(|name| name.as_str().contains('-'))
        });
        any("an accent", &|d| !d.birth_name.as_str().is_ascii());
        any("a birth abroad with an empty pivot birthplace", &|d| {
            d.pivot_identity().birthplace.is_empty() && d.pivot_identity().birthcountry != "99100"
        });
        any("a birth in Corse-du-Sud (2A)", &|d| {
            d.pivot_identity().birthplace.starts_with("2A")
        });
        any("a birth in Haute-Corse (2B)", &|d| {
            d.pivot_identity().birthplace.starts_with("2B")
        });
        any("a male with Marie among his given names", &|d| {
            d.sex == Sex::Male && d.given_names.iter().any(|name| name.as_str() == "Marie")
        });
        for kind in [
            DocumentType::Cni,
            DocumentType::Passeport,
            DocumentType::TitreDeSejour,
        ] {
            any(kind.label_fr(), &|d| d.document_type == kind);
        }
        assert!(
            catalogue()
                .iter()
                .any(|p| p.birth_date_presumed && p.identity.birth_date.ends_with("-01-01")),
            "a presumed birth date (1st of January) is in the catalogue"
        );
        for refusal in ["underage", "document_expired"] {
            assert!(
                catalogue()
                    .iter()
                    .any(|p| p.refused_with.as_deref() == Some(refusal)),
                "a persona refused with {refusal}"
            );
        }
    }

    #[test]
    fn personas_have_distinct_contacts_in_the_fiction_ranges() {
        let personas = catalogue();
        for (index, persona) in personas.iter().enumerate() {
            assert!(
                persona.mobile.starts_with("+3363998"),
                "{}: ARCEP fiction range",
                persona.name
            );
            assert!(
                persona.email.ends_with(".example"),
                "{}: reserved domain",
                persona.name
            );
            assert!(
                personas[..index]
                    .iter()
                    .all(|other| other.mobile != persona.mobile && other.email != persona.email),
                "{}: contacts are unique so two personas never share a login",
                persona.name
            );
        }
    }

    #[test]
    fn a_catalogue_of_another_version_is_refused_with_a_reason() {
        let error = parse_catalogue("version = 2\npersona = []\n").unwrap_err();
        assert!(format!("{error:#}").contains("version 2"), "{error:#}");
    }

    #[test]
    fn a_misspelt_identity_field_is_an_error_not_a_silent_default() {
        let text = PERSONAS_TOML.replacen("usage_name = \"Martin\"", "usage_nam = \"Martin\"", 1);
        let error = parse_catalogue(&text).unwrap_err();
        assert!(format!("{error:#}").contains("usage_nam"), "{error:#}");
    }

    #[test]
    fn the_demo_persona_is_the_documented_one() {
        let demo = demo();
        assert_eq!(demo.identity.given_names.len(), 4);
        assert_eq!(demo.identity.birth_insee_code.as_deref(), Some("2A004"));
    }
}
