//! Hostile input for every parser of typed input: whatever a person or a script types, parsing
//! answers a value or a typed error, never a panic; and what parses is stable when parsed again.

use chrono::NaiveDate;
use idn_journey::account::{Email, MobileNumber, Password, PersonName};
use idn_journey::enrolment::SecretCode;
use idn_journey::identity::{CountryCode, DocumentType, IdentityDocument, IdentityInput, InseeCode, Sex};
use proptest::prelude::*;

/// Any Unicode, plus the characters these forms actually stumble on.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ a-zA-Z0-9éèêëàâîïôöûüçÉÈÀ'’\\-+@.()]{0,40}",
        "\\PC{0,300}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parsers_never_panic_and_are_idempotent(raw in text()) {
        if let Ok(email) = Email::parse(&raw) {
            prop_assert_eq!(Email::parse(email.as_str()), Ok(email.clone()));
        }
        if let Ok(mobile) = MobileNumber::parse(&raw) {
            prop_assert_eq!(MobileNumber::parse(mobile.as_str()), Ok(mobile.clone()));
            prop_assert!(mobile.as_str().starts_with('+'));
        }
        if let Some(name) = PersonName::parse(&raw) {
            prop_assert_eq!(PersonName::parse(name.as_str()), Some(name.clone()));
        }
        if let Some(code) = InseeCode::parse(&raw) {
            prop_assert_eq!(code.as_str().len(), 5);
        }
        if let Some(code) = CountryCode::parse(&raw) {
            prop_assert!(code.as_str().starts_with("99"));
        }
        if let Ok(code) = SecretCode::parse(&raw) {
            prop_assert_eq!(code.expose().len(), 4);
        }
        let _ = Password::parse(&raw);
    }

    #[test]
    fn identity_form_never_panics(
        names in proptest::collection::vec(text(), 0..6),
        birth_name in text(),
        dates in proptest::collection::vec(prop_oneof![text(), "[0-9]{4}-[0-9]{2}-[0-9]{2}"], 3),
        country in prop_oneof![text(), Just("99100".to_owned()), "99[0-9]{3}"],
        insee in prop_oneof![text(), "(2A|2B|[0-9]{2})[0-9]{3}"],
        ending in text(),
    ) {
        let input = IdentityInput {
            document_type: Some(DocumentType::TitreDeSejour),
            sex: Some(Sex::Male),
            given_names: names,
            birth_name,
            usage_name: None,
            birth_date: dates[0].clone(),
            birth_country: country,
            birth_commune: Some("Lyon".into()),
            birth_insee_code: Some(insee),
            nationality: "FRA".into(),
            issue_date: dates[1].clone(),
            expiry_date: dates[2].clone(),
            document_number_ending: ending,
        };
        for today in [NaiveDate::MIN, NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(), NaiveDate::MAX] {
            let _ = IdentityDocument::parse(&input, today);
        }
    }
}
