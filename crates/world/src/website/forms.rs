//! The site's forms as posted, translated into the one action the journey takes
//! ([`LearnerAction`], as the app sends it): the checks themselves are the journey's.

use crate::api::{Civility, DocumentKind, IdentityForm, LearnerAction, SexField, VerificationMode};
use serde::Deserialize;

/// Every field any step's form may post; `action` says which form it was.
#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct StepForm {
    pub action: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub mobile: String,
    #[serde(default)]
    pub civility: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    /// Checkboxes: present ("on") when ticked.
    pub terms_accepted: Option<String>,
    pub marketing_opt_in: Option<String>,
    #[serde(default)]
    pub document_type: String,
    #[serde(default)]
    pub sex: String,
    #[serde(default)]
    pub given_names: String,
    #[serde(default)]
    pub birth_name: String,
    #[serde(default)]
    pub usage_name: String,
    #[serde(default)]
    pub birth_date: String,
    /// `france` or `abroad`.
    #[serde(default)]
    pub born: String,
    #[serde(default)]
    pub birth_commune: String,
    #[serde(default)]
    pub birth_insee_code: String,
    #[serde(default)]
    pub birth_country: String,
    #[serde(default)]
    pub nationality: String,
    #[serde(default)]
    pub issue_date: String,
    #[serde(default)]
    pub expiry_date: String,
    #[serde(default)]
    pub document_number_ending: String,
    #[serde(default)]
    pub mode: String,
}

/// A form the site never shows (a hand-made post): refused before the journey sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct UnknownForm;

impl StepForm {
    /// The journey's action for this form; the typed values go through as typed.
    pub fn action(&self) -> Result<LearnerAction, UnknownForm> {
        Ok(match self.action.as_str() {
            "confirm_email" => LearnerAction::ConfirmEmail {
                code: self.code.clone(),
            },
            "resend_email_code" => LearnerAction::ResendEmailCode,
            "choose_password" => LearnerAction::ChoosePassword {
                password: self.password.clone(),
            },
            "register_mobile" => LearnerAction::RegisterMobile {
                mobile: self.mobile.clone(),
            },
            "complete_profile" => LearnerAction::CompleteProfile {
                civility: match self.civility.as_str() {
                    "madame" => Civility::Madame,
                    "monsieur" => Civility::Monsieur,
                    _ => return Err(UnknownForm),
                },
                first_name: self.first_name.clone(),
                last_name: self.last_name.clone(),
                terms_accepted: self.terms_accepted.is_some(),
                marketing_opt_in: self.marketing_opt_in.is_some(),
            },
            "confirm_mobile" => LearnerAction::ConfirmMobile {
                code: self.code.clone(),
            },
            "resend_mobile_code" => LearnerAction::ResendMobileCode,
            "enter_identity" => LearnerAction::EnterIdentity(Box::new(self.identity())),
            "confirm_identity" => LearnerAction::ConfirmIdentity,
            "choose_verification" => LearnerAction::ChooseVerification {
                mode: match self.mode.as_str() {
                    "face_to_face" => VerificationMode::FaceToFace,
                    "online" => VerificationMode::Online,
                    _ => return Err(UnknownForm),
                },
                terms_accepted: self.terms_accepted.is_some(),
            },
            _ => return Err(UnknownForm),
        })
    }

    /// « Saisissez les informations de la pièce d'identité », as the app sends them: every
    /// given name in the document's order (separated by commas), born in France with the
    /// commune's INSEE code, or abroad with the country's.
    fn identity(&self) -> IdentityForm {
        let optional = |text: &str| Some(text.trim().to_owned()).filter(|text| !text.is_empty());
        let born_in_france = self.born != "abroad";
        IdentityForm {
            document_type: match self.document_type.as_str() {
                "cni" => Some(DocumentKind::Cni),
                "passeport" => Some(DocumentKind::Passeport),
                "titre_de_sejour" => Some(DocumentKind::TitreDeSejour),
                _ => None,
            },
            sex: match self.sex.as_str() {
                "female" => Some(SexField::Female),
                "male" => Some(SexField::Male),
                _ => None,
            },
            given_names: self
                .given_names
                .split(',')
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .map(str::to_owned)
                .collect(),
            birth_name: self.birth_name.trim().to_owned(),
            usage_name: optional(&self.usage_name),
            birth_date: self.birth_date.trim().to_owned(),
            birth_country: if born_in_france {
                "99100".to_owned()
            } else {
                self.birth_country.trim().to_owned()
            },
            birth_commune: optional(&self.birth_commune).filter(|_| born_in_france),
            birth_insee_code: optional(&self.birth_insee_code).filter(|_| born_in_france),
            nationality: self.nationality.trim().to_uppercase(),
            issue_date: self.issue_date.trim().to_owned(),
            expiry_date: self.expiry_date.trim().to_owned(),
            document_number_ending: self.document_number_ending.trim().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(action: &str) -> StepForm {
        StepForm {
            action: action.into(),
            ..StepForm::default()
        }
    }

    #[test]
    fn a_hand_made_post_is_not_an_action() {
        assert_eq!(form("delete_everything").action().unwrap_err(), UnknownForm);
        let mut choice = form("choose_verification");
        choice.mode = "by_post".into();
        assert_eq!(
            choice.action().unwrap_err(),
            UnknownForm,
            "the postal procedure is a paper form, not a choice of the site"
        );
    }

    #[test]
    fn the_cgu_box_unticked_goes_to_the_journey_as_unticked() {
        let mut profile = form("complete_profile");
        profile.civility = "madame".into();
        match profile.action().unwrap() {
            LearnerAction::CompleteProfile { terms_accepted, .. } => assert!(!terms_accepted),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_given_name_in_order_and_born_abroad_keeps_no_commune() {
        let mut identity = form("enter_identity");
        identity.given_names = "Jean-Louis, Léo ,Martin".into();
        identity.born = "abroad".into();
        identity.birth_country = "99134".into();
        identity.birth_commune = "Madrid".into();
        identity.nationality = "fra".into();
        let LearnerAction::EnterIdentity(typed) = identity.action().unwrap() else {
            panic!("not the identity");
        };
        assert_eq!(typed.given_names, ["Jean-Louis", "Léo", "Martin"]);
        assert_eq!(typed.birth_country, "99134");
        assert_eq!(typed.birth_commune, None);
        assert_eq!(typed.nationality, "FRA");
    }
}
