//! The French sentence of each journal detail (the one place a detail becomes prose, for the
//! journal's readers), and the one-time reading of lines journaled before details were stored
//! as data, so that old databases migrate forward.

use crate::console::CLERK_REFUSAL_REASONS;
use crate::delivery;
use idn_api::{DeliveryFate, DeliveryFault, JournalDetail, MessageChannel, ReviewPolicy};
use idn_journey::verification::RefusalReason;

/// The sentence wave one journaled for this detail (message and refusal codes in it): the text
/// old databases hold, which `from_legacy_sentence` recognises.
fn wave_one_sentence(detail: &JournalDetail) -> String {
    match detail {
        JournalDetail::DeliveryPlanned { faults } => delivery::describe_by_code(faults),
        JournalDetail::ReviewDecided {
            accepted: false,
            reason,
        } => {
            let code = reason.as_deref().unwrap_or_default();
            let label = RefusalReason::from_code(code).map_or(code, |known| known.label_fr());
            format!("Décision du relecteur : identification refusée ({code} — {label}).")
        }
        other => sentence(other),
    }
}

/// The line's French sentence, as the journal shows it: messages and reasons by their names.
pub fn sentence(detail: &JournalDetail) -> String {
    match detail {
        JournalDetail::DeliveryPlanned { faults } => delivery::describe(faults),
        JournalDetail::ReviewPolicySet {
            policy: ReviewPolicy::Automatic,
        } => "Prochaine identification visuelle : examen automatique.".to_owned(),
        JournalDetail::ReviewPolicySet {
            policy: ReviewPolicy::RefuseNext { reason },
        } => format!(
            "Prochaine identification visuelle : refusée ({}).",
            RefusalReason::from_code(reason)
                .map_or_else(|| reason.clone(), |known| known.label_fr().to_owned())
        ),
        JournalDetail::ReviewDeskSet { desk: true } => {
            "Identifications visuelles : revue manuelle au guichet de revue.".to_owned()
        }
        JournalDetail::ReviewDeskSet { desk: false } => {
            "Identifications visuelles : examen automatique.".to_owned()
        }
        JournalDetail::ReviewDecided { accepted: true, .. } => {
            "Décision du relecteur : identification acceptée.".to_owned()
        }
        JournalDetail::ReviewDecided {
            accepted: false,
            reason,
        } => {
            let code = reason.as_deref().unwrap_or_default();
            let label = RefusalReason::from_code(code).map_or(code, |known| known.label_fr());
            format!("Décision du relecteur : identification refusée ({label}).")
        }
        JournalDetail::ClerkRefused { reason } => {
            let label = CLERK_REFUSAL_REASONS
                .iter()
                .find(|(code, _)| code == reason)
                .map_or(reason.as_str(), |(_, label)| label);
            format!("Validation refusée au guichet ({reason}) : {label}. Le code reste valable.")
        }
        JournalDetail::LearnerClockAdvanced {
            seconds,
            ahead_seconds,
        } => format!(
            "Horloge de l'apprenant avancée de {} (avance sur la classe : {}).",
            duration_fr(*seconds),
            duration_fr(*ahead_seconds)
        ),
        JournalDetail::ClassClockRewoundLearnerKept {
            class_seconds_back,
            ahead_seconds,
        } => format!(
            "Horloge de la classe ramenée {} en arrière ; l'apprenant avait agi après ce moment et reste à son heure (avance sur la classe : {}).",
            duration_fr(*class_seconds_back),
            duration_fr(*ahead_seconds)
        ),
    }
}

/// A duration in French for the journal: "15 j", "1 j 2 h", "24 h 30 min", "90 s".
fn duration_fr(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let parts: Vec<String> = [
        (seconds / 86_400, "j"),
        (seconds % 86_400 / 3600, "h"),
        (seconds % 3600 / 60, "min"),
        (seconds % 60, "s"),
    ]
    .iter()
    .filter(|(value, _)| *value > 0)
    .map(|(value, unit)| format!("{value} {unit}"))
    .collect();
    if parts.is_empty() {
        "0 s".to_owned()
    } else {
        parts.join(" ")
    }
}

/// The detail of a line journaled before details were data, read from its French sentence; only
/// a reading whose sentence renders back to the very same text is kept, so nothing is guessed.
pub fn from_legacy_sentence(action: &str, sentence_text: &str) -> Option<JournalDetail> {
    let candidates: Vec<JournalDetail> = match action {
        "plan_delivery" => vec![JournalDetail::DeliveryPlanned {
            faults: legacy_faults(sentence_text)?,
        }],
        "plan_review" => {
            let mut candidates = vec![
                JournalDetail::ReviewDeskSet { desk: true },
                JournalDetail::ReviewDeskSet { desk: false },
                JournalDetail::ReviewPolicySet {
                    policy: ReviewPolicy::Automatic,
                },
            ];
            candidates.extend(
                RefusalReason::ALL
                    .iter()
                    .map(|reason| JournalDetail::ReviewPolicySet {
                        policy: ReviewPolicy::RefuseNext {
                            reason: reason.code().to_owned(),
                        },
                    }),
            );
            candidates
        }
        "review_identification" => {
            let mut candidates = vec![JournalDetail::ReviewDecided {
                accepted: true,
                reason: None,
            }];
            candidates.extend(
                RefusalReason::ALL
                    .iter()
                    .map(|reason| JournalDetail::ReviewDecided {
                        accepted: false,
                        reason: Some(reason.code().to_owned()),
                    }),
            );
            candidates
        }
        "clerk_refuse" => CLERK_REFUSAL_REASONS
            .iter()
            .map(|(code, _)| JournalDetail::ClerkRefused {
                reason: (*code).to_owned(),
            })
            .collect(),
        "advance_learner_clock" => {
            let (moved, ahead) = sentence_text
                .strip_prefix("Horloge de l'apprenant avancée de ")?
                .strip_suffix(").")?
                .split_once(" (avance sur la classe : ")?;
            vec![JournalDetail::LearnerClockAdvanced {
                seconds: legacy_seconds(moved)?,
                ahead_seconds: legacy_seconds(ahead)?,
            }]
        }
        _ => return None,
    };
    candidates
        .into_iter()
        .find(|detail| wave_one_sentence(detail) == sentence_text)
}

/// "« email_code » par SMS : jamais remis (2 fois) ; …" back to the faults it described.
fn legacy_faults(text: &str) -> Option<Vec<DeliveryFault>> {
    if text == delivery::describe_by_code(&[]) {
        return Some(Vec::new());
    }
    text.split(" ; ")
        .map(|part| {
            let (message, rest) = part.strip_prefix("« ")?.split_once(" »")?;
            let (channel, rest) = match rest {
                _ if rest.starts_with(" par e-mail") => {
                    (Some(MessageChannel::Email), &rest[" par e-mail".len()..])
                }
                _ if rest.starts_with(" par SMS") => (Some(MessageChannel::Sms), &rest[" par SMS".len()..]),
                _ if rest.starts_with(" par courrier") => {
                    (Some(MessageChannel::Post), &rest[" par courrier".len()..])
                }
                _ => (None, rest),
            };
            let (fate, times) = rest.strip_prefix(" : ")?.split_once(" (")?;
            let fate = match fate {
                "dans les courriers indésirables" => DeliveryFate::Spam,
                "jamais remis" => DeliveryFate::Withheld,
                _ => return None,
            };
            Some(DeliveryFault {
                message: message.to_owned(),
                channel,
                fate,
                times: times.strip_suffix(" fois)")?.parse().ok()?,
            })
        })
        .collect()
}

/// "1 j 2 h 3 min 4 s" back to seconds.
fn legacy_seconds(text: &str) -> Option<i64> {
    let words: Vec<&str> = text.split(' ').collect();
    words.chunks(2).try_fold(0i64, |total, pair| {
        let [value, unit] = pair else { return None };
        let value: i64 = value.parse().ok()?;
        let unit = match *unit {
            "j" => 86_400,
            "h" => 3600,
            "min" => 60,
            "s" => 1,
            _ => return None,
        };
        Some(total + value * unit)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of detail, as the world journals it.
    fn every_detail() -> Vec<JournalDetail> {
        vec![
            JournalDetail::DeliveryPlanned { faults: Vec::new() },
            JournalDetail::DeliveryPlanned {
                faults: vec![
                    DeliveryFault {
                        message: "email_code".into(),
                        channel: None,
                        fate: DeliveryFate::Spam,
                        times: 1,
                    },
                    DeliveryFault {
                        message: "activation_code".into(),
                        channel: Some(MessageChannel::Sms),
                        fate: DeliveryFate::Withheld,
                        times: 2,
                    },
                ],
            },
            JournalDetail::ReviewPolicySet {
                policy: ReviewPolicy::Automatic,
            },
            JournalDetail::ReviewPolicySet {
                policy: ReviewPolicy::RefuseNext {
                    reason: "reflet".into(),
                },
            },
            JournalDetail::ReviewDeskSet { desk: true },
            JournalDetail::ReviewDeskSet { desk: false },
            JournalDetail::ReviewDecided {
                accepted: true,
                reason: None,
            },
            JournalDetail::ReviewDecided {
                accepted: false,
                reason: Some("piece_dans_un_etui".into()),
            },
            JournalDetail::ClerkRefused {
                reason: "piece_expiree".into(),
            },
            JournalDetail::LearnerClockAdvanced {
                seconds: 15 * 86_400 + 90,
                ahead_seconds: 3600,
            },
        ]
    }

    #[test]
    fn the_sentences_are_the_ones_wave_one_journaled() {
        let sentences: Vec<String> = every_detail().iter().map(wave_one_sentence).collect();
        assert_eq!(
            sentences,
            [
                "Remise normale de tous les messages.",
                "« email_code » : dans les courriers indésirables (1 fois) ; « activation_code » par SMS : jamais remis (2 fois)",
                "Prochaine identification visuelle : examen automatique.",
                "Prochaine identification visuelle : refusée (reflet sur la pièce d'identité).",
                "Identifications visuelles : revue manuelle au guichet de revue.",
                "Identifications visuelles : examen automatique.",
                "Décision du relecteur : identification acceptée.",
                "Décision du relecteur : identification refusée (piece_dans_un_etui — pièce d'identité dans un étui ou une pochette).",
                "Validation refusée au guichet (piece_expiree) : pièce expirée. Le code reste valable.",
                "Horloge de l'apprenant avancée de 15 j 1 min 30 s (avance sur la classe : 1 h).",
            ]
        );
    }

    #[test]
    fn the_journal_names_messages_and_reasons_as_a_person_reads_them() {
        let sentences: Vec<String> = every_detail().iter().map(sentence).collect();
        assert_eq!(
            sentences[1],
            "« Code reçu par e-mail » : dans les courriers indésirables (1 fois) ; « Code d'activation » par SMS : jamais remis (2 fois)"
        );
        assert_eq!(
            sentences[7],
            "Décision du relecteur : identification refusée (pièce d'identité dans un étui ou une pochette)."
        );
    }

    #[test]
    fn every_old_sentence_reads_back_to_its_detail() {
        let actions = [
            "plan_delivery",
            "plan_delivery",
            "plan_review",
            "plan_review",
            "plan_review",
            "plan_review",
            "review_identification",
            "review_identification",
            "clerk_refuse",
            "advance_learner_clock",
        ];
        for (detail, action) in every_detail().into_iter().zip(actions) {
            assert_eq!(
                from_legacy_sentence(action, &wave_one_sentence(&detail)),
                Some(detail),
                "{action}"
            );
        }
    }

    #[test]
    fn a_learner_kept_at_their_time_reads_how_far_the_class_went_back() {
        assert_eq!(
            sentence(&JournalDetail::ClassClockRewoundLearnerKept {
                class_seconds_back: 366 * 86_400,
                ahead_seconds: 365 * 86_400 + 7200,
            }),
            "Horloge de la classe ramenée 366 j en arrière ; l'apprenant avait agi après ce moment et reste à son heure (avance sur la classe : 365 j 2 h)."
        );
    }

    #[test]
    fn a_sentence_that_does_not_render_back_is_left_as_prose() {
        assert_eq!(from_legacy_sentence("plan_review", "Revue : on verra."), None);
        assert_eq!(
            from_legacy_sentence(
                "advance_learner_clock",
                "Horloge de l'apprenant avancée de 3 semaines (avance sur la classe : 1 h)."
            ),
            None
        );
        assert_eq!(
            from_legacy_sentence(
                "confirm_email",
                "Décision du relecteur : identification acceptée."
            ),
            None
        );
    }
}
