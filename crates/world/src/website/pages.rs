//! The site's pages (askama templates under `templates/website/`, one layout with the
//! SIMULATION banner). Values arrive as data; the wording is the guides' (000, 002, 004).

use super::forms::StepForm;
use crate::api::{InboxMessage, LearnerView, MessageChannel, SexField};
use crate::federation::Page;
use askama::Template;
use idn_journey::{local_time, Step};

/// L'Identité Numérique's landing page: « Simplifiez et sécurisez vos démarches en ligne ».
#[derive(Template)]
#[template(path = "website/home.html")]
pub(super) struct Home {
    pub signed_in: bool,
}

/// « Créer votre Identité Numérique »: the conditions, then the ways to create it (004).
#[derive(Template)]
#[template(path = "website/create.html")]
pub(super) struct Create {
    pub signed_in: bool,
}

/// « Créez votre Compte La Poste » — « Définissez un identifiant » (000, 002 step 2).
#[derive(Template)]
#[template(path = "website/identifier.html")]
pub(super) struct Identifier {
    pub signed_in: bool,
    pub email: String,
    pub error: Option<String>,
}

/// « Se connecter » with an existing Compte La Poste: the password, then the code.
#[derive(Template)]
#[template(path = "website/sign_in.html")]
pub(super) struct SignIn {
    pub signed_in: bool,
    pub email: String,
    pub error: Option<String>,
    /// The password was right: the code's form (the message went there).
    pub code_sent_to: Option<String>,
}

/// One mark of the side bar « 01 Numéro de mobile · 02 Informations d'identité ·
/// 03 Vérification de votre identité » (004's screenshot).
pub(super) struct SideStep {
    pub number: &'static str,
    pub label: &'static str,
    /// `done`, `current` or `upcoming`.
    pub state: &'static str,
}

/// The page of the step the learner stands at, with the form the guides show for it; past the
/// choice of the verification mode, « Continuez sur votre smartphone ».
#[derive(Template)]
#[template(path = "website/step.html")]
pub(super) struct StepPage {
    pub signed_in: bool,
    pub learner: LearnerView,
    pub step: Step,
    /// The form as it was posted, kept when the journey refused it.
    pub form: StepForm,
    pub error: Option<String>,
    pub notice: Option<String>,
    pub side: Vec<SideStep>,
}

impl StepPage {
    fn when(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        local_time::in_sentence(*at)
    }

    fn identity_rows(&self) -> Vec<(&'static str, String)> {
        let Some(identity) = &self.learner.identity else {
            return Vec::new();
        };
        // In 003's order: « Sexe » and « Date d'émission » included, the nationality named.
        let day = |date: chrono::NaiveDate| date.format("%d/%m/%Y").to_string();
        let mut rows = vec![
            ("Pièce d'identité", identity.document_type.clone()),
            (
                "Sexe",
                match identity.sex {
                    SexField::Male => "Homme",
                    SexField::Female => "Femme",
                }
                .to_owned(),
            ),
            ("Prénom(s)", identity.given_names.join(", ")),
            ("Nom de naissance", identity.birth_name.clone()),
        ];
        if let Some(usage) = &identity.usage_name {
            rows.push(("Nom d'usage", usage.clone()));
        }
        let nationality = if identity.nationality == "FRA" {
            "Française".to_owned()
        } else {
            identity.nationality.clone()
        };
        rows.extend([
            ("Date de naissance", day(identity.birth_date)),
            ("Nationalité", nationality),
            ("Date d'émission", day(identity.issue_date)),
            ("Date d'expiration", day(identity.expiry_date)),
            (
                "Lieu de naissance",
                format!("{} ({})", identity.birthplace, identity.birth_country),
            ),
            (
                "Numéro de la pièce (4 derniers caractères)",
                identity.document_number_ending.clone(),
            ),
        ]);
        rows
    }
}

/// The simulated mailbox and SMS of the account: where the codes and AR24's emails arrive.
#[derive(Template)]
#[template(path = "website/inbox.html")]
pub(super) struct Inbox {
    pub signed_in: bool,
    pub messages: Vec<InboxMessage>,
}

impl Inbox {
    fn when(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        local_time::in_table(*at)
    }

    fn channel(&self, channel: &MessageChannel) -> &'static str {
        match channel {
            MessageChannel::Email => "E-mail",
            MessageChannel::Sms => "SMS",
            MessageChannel::Post => "Courrier",
        }
    }
}

/// The side bar for a step: none on the Compte La Poste's own pages (email code, password),
/// the three numbered steps from the mobile number on.
pub(super) fn side_bar(step: Step) -> Vec<SideStep> {
    let current = match step {
        Step::Mobile | Step::Profile | Step::MobileCode => 1,
        Step::IdentityData | Step::IdentityConfirmation => 2,
        Step::VerificationChoice => 3,
        _ => return Vec::new(),
    };
    [
        ("01", "Numéro de mobile"),
        ("02", "Informations d'identité"),
        ("03", "Vérification de votre identité"),
    ]
    .into_iter()
    .zip(1..)
    .map(|((number, label), index)| SideStep {
        number,
        label,
        state: match index.cmp(&current) {
            std::cmp::Ordering::Less => "done",
            std::cmp::Ordering::Equal => "current",
            std::cmp::Ordering::Greater => "upcoming",
        },
    })
    .collect()
}

pub(super) fn page<T: Template>(template: T) -> Page<T> {
    Page::new(template)
}
