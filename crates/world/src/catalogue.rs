//! The French text of every email, SMS and letter the simulated services send.
//! Sender addresses use the reserved `.invalid` domain: nothing here can reach a real mailbox.
//! Times read in the class's time zone (`idn_journey::local_time`), like the learner's watch.

use crate::api::MessageAction;
use idn_journey::local_time::in_sentence as date;
use idn_journey::{Channel, Notice};

pub struct Recipient<'a> {
    pub email: &'a str,
    pub mobile: Option<&'a str>,
    pub first_name: Option<&'a str>,
}

pub struct RenderedMessage {
    pub sender: &'static str,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub link: Option<String>,
    pub code: Option<String>,
}

const LA_POSTE_EMAIL: &str =
    "L'Identité Numérique La Poste (simulation) <ne-pas-repondre@identite-numerique.simulation.invalid>";
const LA_POSTE_SMS: &str = "LaPoste (simulation)";
const AR24_EMAIL: &str = "AR24 (simulation) <notifications@ar24.simulation.invalid>";
const POSTAL: &str = "La Poste — courrier (simulation)";
const FOOTER: &str = "\n\n— Message de la simulation IDN Sandbox. Aucun service réel n'est contacté.";

pub fn render(channel: Channel, notice: &Notice, to: &Recipient<'_>) -> RenderedMessage {
    let hello = match to.first_name {
        Some(name) => format!("Bonjour {name},"),
        None => "Bonjour,".to_owned(),
    };
    let (sender, recipient) = match channel {
        Channel::Email => (
            if is_ar24(notice) {
                AR24_EMAIL
            } else {
                LA_POSTE_EMAIL
            },
            to.email.to_owned(),
        ),
        Channel::Sms => (LA_POSTE_SMS, to.mobile.unwrap_or_default().to_owned()),
        Channel::Post => (POSTAL, "Boîte aux lettres".to_owned()),
    };
    let (subject, body, link, code): (String, String, Option<String>, Option<String>) = match notice {
        Notice::EmailCode { code, valid_until } => (
            "Votre code de vérification".into(),
            format!("{hello}\n\nVotre code de vérification est : {code}\nIl est valable jusqu'au {}.\nNe le communiquez à personne.", date(*valid_until)),
            None,
            Some(code.clone()),
        ),
        Notice::MobileCode { code, .. } => (
            "Code SMS".into(),
            format!("La Poste : votre code de vérification est {code}. Ne le communiquez à personne."),
            None,
            Some(code.clone()),
        ),
        Notice::AccountCreated => (
            "Votre compte La Poste est créé".into(),
            format!("{hello}\n\nVotre compte La Poste est créé. Validez maintenant votre numéro de téléphone en saisissant le code envoyé par SMS, puis renseignez les informations de votre pièce d'identité pour créer votre Identité Numérique."),
            None,
            None,
        ),
        Notice::FaceToFaceCode { code, valid_until } => (
            "Code d'activation".into(),
            format!("La Poste : votre code d'activation de l'Identité Numérique est {code}. Présentez-le avec votre pièce d'identité, uniquement à la personne de La Poste qui vérifiera votre identité (bureau de poste ou facteur), avant le {}. La validation finale se fera ensuite dans l'application L'Identité Numérique, avec ce même code.", date(*valid_until)),
            None,
            Some(code.clone()),
        ),
        Notice::PostalLetterSent { arrives_at } => (
            "Votre courrier de vérification est en route".into(),
            format!("{hello}\n\nVous avez choisi la vérification par courrier. Votre lettre recommandée arrivera vers le {} ; présentez-la avec votre pièce d'identité au facteur ou en bureau de poste.", date(*arrives_at)),
            None,
            None,
        ),
        Notice::PostalLetterDelivered { code, valid_until } => (
            "Lettre recommandée : vérification de votre identité".into(),
            format!("Madame, Monsieur,\n\nVoici votre code d'activation : {code}.\nPrésentez cette lettre et votre pièce d'identité au facteur ou dans un bureau de poste avant le {}. La validation finale se fera ensuite dans l'application L'Identité Numérique, avec ce même code.", date(*valid_until)),
            None,
            Some(code.clone()),
        ),
        Notice::RegisteredLetterAnnounced => (
            "Envoi d'une lettre recommandée électronique".into(),
            "Bonjour,\n\nAR24 vous informe de l'envoi d'une lettre recommandée électronique dans les prochaines minutes. Vous la recevrez par e-mail : pensez à vérifier vos courriers indésirables (spams).".into(),
            None,
            None,
        ),
        Notice::RegisteredLetterAvailable { letter_id } => (
            "Vous avez reçu un courrier recommandé électronique".into(),
            format!("Bonjour,\n\nUn de vos contacts vous a fait parvenir une lettre recommandée électronique (courrier n°{letter_id}). Comme pour un courrier recommandé papier, l'identité de votre expéditeur ne vous sera révélée qu'une fois votre identité confirmée.\nCliquez sur « Lire mon courrier » pour la consulter.\nPensez à vérifier vos courriers indésirables (spams)."),
            Some(letter_link(letter_id)),
            None,
        ),
        Notice::DossierSent { letter_id } => (
            "Confirmation de l'envoi de votre dossier".into(),
            format!("{hello}\n\nVotre dossier d'identification visuelle (courrier n°{letter_id}) a bien été envoyé au groupe La Poste. Il sera traité dans un délai de 24 h (sauf les week-ends) ; vous serez averti par e-mail une fois votre identité vérifiée."),
            None,
            None,
        ),
        Notice::DossierSigned { letter_id } => (
            "Signature électronique de votre dossier".into(),
            format!("Bonjour,\n\nAR24 vous informe que votre dossier d'identification (courrier n°{letter_id}) a été signé électroniquement et transmis pour vérification."),
            None,
            None,
        ),
        Notice::IdentificationAccepted { letter_id } => (
            "Votre identité est vérifiée".into(),
            format!("Bonjour,\n\nVotre identité est vérifiée pour le courrier n°{letter_id}. Cliquez sur « Consulter mon courrier » pour connaître votre expéditeur et lire son contenu. Votre code d'activation vous est aussi envoyé par SMS."),
            Some(consult_link(letter_id)),
            None,
        ),
        Notice::IdentificationRefused { reason } => (
            "Identification refusée".into(),
            format!("{hello}\n\nVotre identification visuelle a été refusée. Motif : {}.\nVous pouvez recommencer l'identification visuelle depuis votre courrier (« Lire mon courrier »).", reason.label_fr()),
            None,
            None,
        ),
        Notice::ActivationCode { code, valid_until } => match channel {
            Channel::Sms => (
                "Code d'activation".into(),
                format!("La Poste : votre code d'activation de l'Identité Numérique est {code}. Valable jusqu'au {}.", date(*valid_until)),
                None,
                Some(code.clone()),
            ),
            Channel::Email | Channel::Post => (
                "Votre code d'activation".into(),
                format!("{hello}\n\nVotre identité est vérifiée. Saisissez ce code d'activation dans l'application L'Identité Numérique : {code}\nIl est valable jusqu'au {}.", date(*valid_until)),
                None,
                Some(code.clone()),
            ),
        },
        Notice::IdentityActivated => (
            "Votre Identité Numérique est activée".into(),
            format!("{hello}\n\nVotre Identité Numérique est activée. Vous pouvez l'utiliser pour vous connecter avec FranceConnect+, par exemple à Mon Compte Formation. Votre code secret ne doit jamais être communiqué."),
            None,
            None,
        ),
        Notice::LoginApproved { relying_party } => (
            "Nouvelle connexion".into(),
            format!("{hello}\n\nVous vous êtes connecté(e) à « {relying_party} » avec votre Identité Numérique. Si ce n'était pas vous, contactez l'assistance."),
            None,
            None,
        ),
        Notice::SignInCode { code, valid_until } => match channel {
            Channel::Sms => (
                "Code de confirmation".into(),
                format!("La Poste : votre code de confirmation pour vous connecter à l'application L'Identité Numérique est {code}. Ne le communiquez à personne."),
                None,
                Some(code.clone()),
            ),
            Channel::Email | Channel::Post => (
                "Votre code de confirmation de connexion".into(),
                format!("{hello}\n\nPour vous connecter à l'application L'Identité Numérique avec votre compte La Poste, saisissez ce code de confirmation : {code}\nIl est valable jusqu'au {}.\nSi vous n'êtes pas à l'origine de cette connexion, changez votre mot de passe.", date(*valid_until)),
                None,
                Some(code.clone()),
            ),
        },
    };
    RenderedMessage {
        sender,
        recipient,
        subject,
        body: format!("{body}{FOOTER}"),
        link,
        code,
    }
}

fn is_ar24(notice: &Notice) -> bool {
    matches!(
        notice,
        Notice::RegisteredLetterAnnounced
            | Notice::RegisteredLetterAvailable { .. }
            | Notice::DossierSigned { .. }
            | Notice::IdentificationAccepted { .. }
            | Notice::IdentificationRefused { .. }
    )
}

const LETTER_LINK: &str = "/ar24/courrier/";
const CONSULT_SUFFIX: &str = "/consulter";

/// « Lire mon courrier ».
fn letter_link(letter_id: &str) -> String {
    format!("{LETTER_LINK}{letter_id}")
}

/// « Consulter mon courrier », once the identity is verified.
fn consult_link(letter_id: &str) -> String {
    format!("{LETTER_LINK}{letter_id}{CONSULT_SUFFIX}")
}

/// The button a stored message's link stands for: the inbox keeps the link only, so messages
/// stored before the buttons were named read the same way.
pub fn action_of_link(link: &str) -> Option<MessageAction> {
    let rest = link.strip_prefix(LETTER_LINK)?;
    Some(if rest.ends_with(CONSULT_SUFFIX) {
        MessageAction::ConsultLetter
    } else {
        MessageAction::ReadLetter
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use idn_journey::rules::EMAIL_CODE_VALIDITY;
    use idn_journey::verification::RefusalReason;

    fn every_notice() -> Vec<(Channel, Notice)> {
        let at = DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z")
            .unwrap()
            .to_utc();
        vec![
            (
                Channel::Email,
                Notice::EmailCode {
                    code: "123456".into(),
                    valid_until: at,
                },
            ),
            (
                Channel::Sms,
                Notice::MobileCode {
                    code: "AB12".into(),
                    valid_until: at,
                },
            ),
            (Channel::Email, Notice::AccountCreated),
            (
                Channel::Sms,
                Notice::FaceToFaceCode {
                    code: "654321".into(),
                    valid_until: at,
                },
            ),
            (Channel::Email, Notice::PostalLetterSent { arrives_at: at }),
            (
                Channel::Post,
                Notice::PostalLetterDelivered {
                    code: "111222".into(),
                    valid_until: at,
                },
            ),
            (Channel::Email, Notice::RegisteredLetterAnnounced),
            (
                Channel::Email,
                Notice::RegisteredLetterAvailable {
                    letter_id: "LRE-1".into(),
                },
            ),
            (
                Channel::Email,
                Notice::DossierSent {
                    letter_id: "LRE-1".into(),
                },
            ),
            (
                Channel::Email,
                Notice::DossierSigned {
                    letter_id: "LRE-1".into(),
                },
            ),
            (
                Channel::Email,
                Notice::IdentificationAccepted {
                    letter_id: "LRE-1".into(),
                },
            ),
            (
                Channel::Email,
                Notice::IdentificationRefused {
                    reason: RefusalReason::Glasses,
                },
            ),
            (
                Channel::Email,
                Notice::ActivationCode {
                    code: "777888".into(),
                    valid_until: at,
                },
            ),
            (
                Channel::Sms,
                Notice::ActivationCode {
                    code: "777888".into(),
                    valid_until: at,
                },
            ),
            (Channel::Email, Notice::IdentityActivated),
            (
                Channel::Email,
                Notice::LoginApproved {
                    relying_party: "Mon Compte Formation".into(),
                },
            ),
            (
                Channel::Email,
                Notice::SignInCode {
                    code: "246810".into(),
                    valid_until: at,
                },
            ),
            (
                Channel::Sms,
                Notice::SignInCode {
                    code: "K7P2".into(),
                    valid_until: at,
                },
            ),
        ]
    }

    #[test]
    fn every_message_says_simulation_and_carries_its_code() {
        let to = Recipient {
            email: "camille@simulation.example",
            mobile: Some("+33639980001"),
            first_name: Some("Camille"),
        };
        for (channel, notice) in every_notice() {
            let message = render(channel, &notice, &to);
            assert!(
                message.body.contains("simulation"),
                "{:?} must say it is a simulation",
                notice
            );
            assert!(
                message.sender.contains("simulation"),
                "{:?}: sender {}",
                notice,
                message.sender
            );
            if let Some(code) = &message.code {
                assert!(
                    message.body.contains(code.as_str()),
                    "{:?}: the body shows the code",
                    notice
                );
            }
        }
    }

    #[test]
    fn registered_letter_email_comes_from_ar24_with_its_link_and_a_spam_warning() {
        let to = Recipient {
            email: "camille@simulation.example",
            mobile: None,
            first_name: None,
        };
        let message = render(
            Channel::Email,
            &Notice::RegisteredLetterAvailable {
                letter_id: "LRE-42".into(),
            },
            &to,
        );
        assert!(message.sender.starts_with("AR24"));
        assert_eq!(message.link.as_deref(), Some("/ar24/courrier/LRE-42"));
        assert!(message.body.contains("Lire mon courrier") && message.body.contains("indésirables"));
    }

    #[test]
    fn the_online_path_s_emails_come_from_whom_the_guides_say_with_their_buttons() {
        let to = Recipient {
            email: "camille@simulation.example",
            mobile: Some("+33639980001"),
            first_name: Some("Camille"),
        };
        let email = |notice: Notice| render(Channel::Email, &notice, &to);
        let id = || "LRE-42".to_owned();

        let announced = email(Notice::RegisteredLetterAnnounced);
        assert!(announced.sender.starts_with("AR24"));
        assert!(
            announced.body.contains("dans les prochaines minutes"),
            "{}",
            announced.body
        );
        assert_eq!(announced.link, None, "nothing to read yet");

        let letter = email(Notice::RegisteredLetterAvailable { letter_id: id() });
        assert_eq!(
            letter.subject,
            "Vous avez reçu un courrier recommandé électronique"
        );
        assert_eq!(
            action_of_link(letter.link.as_deref().unwrap()),
            Some(MessageAction::ReadLetter)
        );

        let sent = email(Notice::DossierSent { letter_id: id() });
        assert!(
            sent.sender.starts_with("L'Identité Numérique La Poste"),
            "La Poste confirms (000)"
        );
        assert!(
            sent.subject.contains("envoi de votre dossier"),
            "{}",
            sent.subject
        );
        let signed = email(Notice::DossierSigned { letter_id: id() });
        assert!(
            signed.sender.starts_with("AR24"),
            "AR24 informs of the signature (000)"
        );
        assert!(
            signed.subject.contains("Signature électronique"),
            "{}",
            signed.subject
        );

        let accepted = email(Notice::IdentificationAccepted { letter_id: id() });
        assert!(accepted.sender.starts_with("AR24"));
        assert!(accepted.body.contains("Consulter mon courrier"));
        assert_eq!(accepted.code, None);
        assert!(
            !accepted
                .body
                .chars()
                .any(|c| c.is_ascii_digit() && !"LRE-42".contains(c)),
            "no code in AR24's email: {}",
            accepted.body
        );
        assert_eq!(
            action_of_link(accepted.link.as_deref().unwrap()),
            Some(MessageAction::ConsultLetter)
        );
        assert_eq!(action_of_link("/autre"), None);
    }

    #[test]
    fn refusal_states_its_reason() {
        let to = Recipient {
            email: "camille@simulation.example",
            mobile: None,
            first_name: Some("Camille"),
        };
        let message = render(
            Channel::Email,
            &Notice::IdentificationRefused {
                reason: RefusalReason::Glare,
            },
            &to,
        );
        assert!(
            message.body.contains("Motif : reflet sur la pièce d'identité"),
            "{}",
            message.body
        );
    }

    fn email_code_sent_at(now: &str) -> String {
        let now: DateTime<Utc> = now.parse().unwrap();
        let to = Recipient {
            email: "camille@simulation.example",
            mobile: None,
            first_name: Some("Camille"),
        };
        let notice = Notice::EmailCode {
            code: "123456".into(),
            valid_until: now + EMAIL_CODE_VALIDITY,
        };
        render(Channel::Email, &notice, &to).body
    }

    #[test]
    fn an_email_code_sent_at_eight_seventeen_in_winter_is_valid_until_eight_thirty_two_paris_time() {
        // 07:17 UTC is 08:17 in Paris in December (UTC+1): the code received then reads as
        // valid for its 15 minutes, not as already expired at 07:32.
        let body = email_code_sent_at("2026-12-03T07:17:00Z");
        assert!(
            body.contains("Il est valable jusqu'au 03/12/2026 à 08:32."),
            "the expiry reads in Paris time: {body}"
        );
    }

    #[test]
    fn an_email_code_sent_in_july_reads_in_summer_time() {
        // July is UTC+2 in Paris.
        let body = email_code_sent_at("2026-07-15T07:17:00Z");
        assert!(
            body.contains("Il est valable jusqu'au 15/07/2026 à 09:32."),
            "the expiry reads in Paris summer time: {body}"
        );
    }

    #[test]
    fn no_message_names_utc() {
        let to = Recipient {
            email: "camille@simulation.example",
            mobile: Some("+33639980001"),
            first_name: Some("Camille"),
        };
        for (channel, notice) in every_notice() {
            let message = render(channel, &notice, &to);
            assert!(
                !message.body.contains("UTC") && !message.subject.contains("UTC"),
                "{notice:?}: a person reads local time, never UTC: {}",
                message.body
            );
        }
    }
}
