//! The support agent's reading of a learner (`GET /api/learners/{id}/situation`): the journey's
//! pure `situation` turned into wire views, with the identity as typed and what delivery plans.

use crate::api::{
    BlockerView, Civility, DeliveryFault, DocumentKind, IdentityForm, LearnerSituation, PendingCodeView,
    ProfileView, SexField,
};
use chrono::{DateTime, Utc};
use idn_journey::account::{self, Account};
use idn_journey::identity::{Birthplace, DocumentType, IdentityDocument, Sex};
use idn_journey::{CodeKind, Journey, Stage};

pub fn view(
    id: &str,
    journey: &Journey,
    delivery_plan: &[DeliveryFault],
    withheld_messages: u32,
    now: DateTime<Utc>,
) -> LearnerSituation {
    let situation = journey.situation(now);
    let step = journey.step();
    let (account, identity): (Option<&Account>, Option<&IdentityDocument>) = match journey.stage() {
        Stage::IdentityData { account } => (Some(account), None),
        Stage::IdentityConfirmation { account, draft } => (Some(account), Some(draft)),
        _ => match journey.person() {
            Some(person) => (Some(&person.account), Some(&person.identity)),
            None => (None, None),
        },
    };
    LearnerSituation {
        learner_id: id.to_owned(),
        step,
        step_label: step.label_fr().to_owned(),
        now,
        pending_code: situation.code.map(|code| PendingCodeView {
            kind: match code.kind {
                CodeKind::Email => "email",
                CodeKind::Mobile => "sms",
                CodeKind::Activation => "activation",
            }
            .to_owned(),
            valid_until: code.expires_at,
            expired: code.expired,
            attempts_left: code.attempts_left,
            resends_left: code.resends_left,
        }),
        blockers: situation
            .blockers
            .iter()
            .map(|blocker| BlockerView {
                code: blocker.code(),
                label: blocker.label_fr(),
            })
            .collect(),
        secret_code_attempts_left: situation.secret_code_attempts_left,
        profile: account.map(|account| ProfileView {
            civility: match account.profile.civility {
                account::Civility::Madame => Civility::Madame,
                account::Civility::Monsieur => Civility::Monsieur,
            },
            first_name: account.profile.first_name.to_string(),
            last_name: account.profile.last_name.to_string(),
        }),
        identity: identity.map(form),
        delivery_plan: delivery_plan.to_vec(),
        withheld_messages,
    }
}

/// The identity back in the form's shape, as it was typed (after the journey's normalisation).
fn form(identity: &IdentityDocument) -> IdentityForm {
    let (country, commune, insee) = match &identity.birthplace {
        Birthplace::France { commune, insee_code } => (
            idn_journey::identity::CountryCode::FRANCE.to_owned(),
            Some(commune.to_string()),
            Some(insee_code.as_str().to_owned()),
        ),
        Birthplace::Abroad { country } => (country.as_str().to_owned(), None, None),
    };
    IdentityForm {
        document_type: Some(match identity.document_type {
            DocumentType::Cni => DocumentKind::Cni,
            DocumentType::Passeport => DocumentKind::Passeport,
            DocumentType::TitreDeSejour => DocumentKind::TitreDeSejour,
        }),
        sex: Some(match identity.sex {
            Sex::Female => SexField::Female,
            Sex::Male => SexField::Male,
        }),
        given_names: identity.given_names.iter().map(ToString::to_string).collect(),
        birth_name: identity.birth_name.to_string(),
        usage_name: identity.usage_name.as_ref().map(ToString::to_string),
        birth_date: identity.birth_date.to_string(),
        birth_country: country,
        birth_commune: commune,
        birth_insee_code: insee,
        nationality: identity.nationality.clone(),
        issue_date: identity.issue_date.to_string(),
        expiry_date: identity.expiry_date.to_string(),
        document_number_ending: identity.document_number_ending.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use idn_journey::identity::IdentityInput;

    #[test]
    fn the_identity_reads_back_as_it_was_typed() {
        let typed = IdentityInput {
            document_type: Some(DocumentType::TitreDeSejour),
            sex: Some(Sex::Female),
            given_names: vec!["Aminata".into(), "Fatou".into()],
            birth_name: "Diallo".into(),
            usage_name: None,
            birth_date: "1988-01-01".into(),
            birth_country: "99341".into(),
            birth_commune: None,
            birth_insee_code: None,
            nationality: "SEN".into(),
            issue_date: "2022-02-10".into(),
            expiry_date: "2032-02-09".into(),
            document_number_ending: "4Z81".into(),
        };
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let read = form(&IdentityDocument::parse(&typed, today).unwrap());
        assert_eq!(read.document_type, Some(DocumentKind::TitreDeSejour));
        assert!(matches!(read.sex, Some(SexField::Female)));
        assert_eq!(read.given_names, typed.given_names);
        assert_eq!(
            (
                read.birth_country.as_str(),
                read.birth_commune,
                read.birth_insee_code
            ),
            ("99341", None, None),
            "born abroad: a country, no commune"
        );
        assert_eq!(
            (read.issue_date.as_str(), read.expiry_date.as_str()),
            ("2022-02-10", "2032-02-09")
        );
    }
}
