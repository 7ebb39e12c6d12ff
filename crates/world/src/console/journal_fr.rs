//! A learner's journal as staff read it on the learner's page: who, what they did and what
//! changed, in French sentences. The journal's codes (actors, actions, steps) stay the data of
//! the API and of exports; this is only their wording for people.

use super::class_overview::step_rank;
use super::pages::when;
use crate::api::{JournalEntry, Step};

/// Who wrote a journal line, in French.
pub(super) fn actor_fr(actor: &str) -> &str {
    match actor {
        "apprenant" => "L'apprenant",
        "appareil" => "Son téléphone",
        "guichet" => "Guichet face à face",
        "fournisseur_de_service" => "Service en ligne (FranceConnect+)",
        "horloge" => "Le temps qui passe",
        "formateur" => "Formateur",
        "relecteur" => "Relecteur AR24",
        other => other,
    }
}

/// What an action is, in French; an action this list does not know keeps its code.
pub(super) fn action_fr(action: &str) -> &str {
    match action {
        "start_account" => "Ouvre son compte La Poste",
        "confirm_email" => "Saisit le code reçu par e-mail",
        "resend_email_code" => "Demande un nouveau code par e-mail",
        "choose_password" => "Choisit son mot de passe",
        "register_mobile" => "Saisit son numéro de mobile",
        "confirm_mobile" => "Saisit le code reçu par SMS",
        "resend_mobile_code" => "Demande un nouveau code par SMS",
        "complete_profile" => "Saisit sa civilité, son prénom et son nom",
        "enter_identity" => "Saisit ses informations personnelles",
        "confirm_identity" => "Confirme ses informations personnelles",
        "choose_verification" => "Choisit le mode de vérification",
        "read_letter" => "Ouvre le courrier recommandé AR24",
        "confirm_letter_identity" => "Confirme être la personne du courrier",
        "decline_letter" => "Déclare ne pas être la personne du courrier",
        "start_visual_identification" => "Commence l'identification visuelle",
        "submit_visual_identification" => "Envoie ses photos et sa vidéo",
        "review_identification" => "Examen de l'identification visuelle",
        "clerk_validate" => "Validation au guichet face à face",
        "clerk_refuse" => "Refus au guichet face à face",
        "activate" => "Active l'application (code d'activation et code secret)",
        "resend_activation_code" => "Demande un nouveau code d'activation",
        "forget_secret_code" => "Déclare avoir oublié son code secret",
        "sign_in" => "Se connecte avec son compte La Poste",
        "confirm_sign_in" => "Confirme la connexion avec le code reçu",
        "open_login_request" => "Reçoit une demande de connexion FranceConnect+",
        "answer_login_request" => "Valide la demande de connexion",
        "decline_login_request" => "Refuse la demande de connexion (« Ce n'est pas moi »)",
        "time_passed" => "Une échéance est passée",
        "plan_review" => "Réglage de l'examen des identifications",
        "plan_delivery" => "Réglage de la distribution des messages",
        "advance_learner_clock" => "Horloge de l'apprenant avancée",
        "class_clock_rewound" => "Horloge de la classe ramenée en arrière",
        other => other,
    }
}

/// A step in French with its rank in the journey: « 3/16 Choix du mot de passe ».
pub(super) fn step_fr(step: Step) -> String {
    let (rank, ranks) = step_rank(step);
    format!("{rank}/{ranks} {}", step.label_fr())
}

/// One line of the journal as the learner's page shows it.
pub(super) struct JournalRow {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    /// The French sentence of the line's detail, or the refusal's French message.
    pub message: Option<String>,
    pub refused: bool,
    /// « avant → après », or the one step when it did not change.
    pub steps: String,
}

impl JournalRow {
    pub fn from_entry(entry: &JournalEntry) -> Self {
        Self {
            seq: entry.seq,
            at: when(entry.at),
            actor: actor_fr(&entry.actor).to_owned(),
            action: action_fr(&entry.action).to_owned(),
            message: entry.message.clone(),
            refused: entry.outcome != "ok",
            steps: if entry.step_before == entry.step_after {
                step_fr(entry.step_after)
            } else {
                format!("{} → {}", step_fr(entry.step_before), step_fr(entry.step_after))
            },
        }
    }
}
