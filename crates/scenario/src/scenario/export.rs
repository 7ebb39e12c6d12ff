//! A learner's situation read back as a scenario file a support agent re-applies elsewhere:
//! read from the views and the journal's typed details, never from prose.

use super::*;

/// The support agent's reading of a learner (`GET /api/learners/{id}/situation`).
pub async fn situation(client: &WorldClient, learner_id: &str) -> Result<LearnerSituation> {
    Ok(client.situation(learner_id).await?)
}

/// The learner's current situation as a scenario file a support agent applies on their own
/// machine: the persona as the world knows it (account and identity as typed), the step reached,
/// and the faults the journal and the views show. The password and the secret code, which the
/// world never keeps in clear, are replaced by the demo persona's.
pub async fn export(client: &WorldClient, learner_id: &str) -> Result<Scenario> {
    let view = client.learner(learner_id).await?;
    let journal = client.journal(learner_id).await?;
    let now = client.learner_clock(learner_id).await?.now;
    let situation = client.situation(learner_id).await?;
    let form = situation
        .identity
        .clone()
        .unwrap_or_else(|| persona::demo().identity.clone());
    let profile = situation.profile.as_ref();
    let persona = Persona {
        name: format!("apprenant-{}", &learner_id[..learner_id.len().min(8)]),
        title: "Persona exportée d'un apprenant (mot de passe et code secret remplacés : le monde ne les garde pas en clair)"
            .into(),
        email: view.email.clone().unwrap_or_else(|| persona::demo().email.clone()),
        mobile: view.mobile.clone().unwrap_or_else(|| persona::demo().mobile.clone()),
        password: persona::demo().password.clone(),
        secret_code: persona::demo().secret_code.clone(),
        civility: profile.map_or(idn_api::Civility::Madame, |profile| profile.civility),
        first_name: profile
            .map(|profile| profile.first_name.clone())
            .or_else(|| form.given_names.first().cloned()),
        last_name: Some(
            profile
                .map(|profile| profile.last_name.clone())
                .unwrap_or_else(|| form.usage_name.clone().unwrap_or_else(|| form.birth_name.clone())),
        ),
        birth_date_presumed: false,
        printed_birthplace: None,
        refused_with: None,
        identity: form,
    };
    let verification = match (
        &view.activation,
        &view.registered_letter,
        &view.face_to_face,
        &view.postal_letter,
    ) {
        (Some(activation), _, _, _) => match activation.verified_by {
            VerificationMode::FaceToFace => Verification::FaceToFace,
            VerificationMode::Online => Verification::Online,
            VerificationMode::ByPost => Verification::ByPost,
        },
        (None, Some(_), _, _) => Verification::Online,
        (None, None, Some(face), _) if face.by_post => Verification::ByPost,
        (None, None, _, Some(_)) => Verification::ByPost,
        _ => Verification::FaceToFace,
    };
    let faults = faults_seen(&view, &journal, now);
    Ok(Scenario {
        version: SCENARIO_VERSION,
        name: format!("situation-{}", &learner_id[..learner_id.len().min(8)]),
        title: format!("Situation de l'apprenant {learner_id}"),
        situation: format!(
            "Exportée à l'étape « {} » ({} événements au journal).",
            view.step_label,
            journal.len()
        ),
        explanation: "Situation reproduite depuis le monde d'un utilisateur : voir son journal (idn journal export) pour le détail de ce qui s'est passé.".into(),
        persona: PersonaRef::Inline(Box::new(persona)),
        seed: default_seed(),
        verification,
        reach: view.step.code().to_owned(),
        faults,
    })
}

/// The faults a learner met, read from the views and the journal (refused actions, time that
/// passed, planned deliveries). The world does not hear of a phone's own failures nor of a
/// number typed on FranceConnect+ that matched nobody: those cannot be exported.
pub(super) fn faults_seen(
    view: &LearnerView,
    journal: &[idn_api::JournalEntry],
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<Fault> {
    let mut faults = Vec::new();
    for entry in journal {
        let Some(JournalDetail::DeliveryPlanned { faults: planned }) = &entry.detail else {
            continue;
        };
        faults.extend(planned.iter().map(|fault| {
            let (message, channel) = (fault.message.clone(), fault.channel);
            match fault.fate {
                DeliveryFate::Withheld => Fault::MessageWithheld { message, channel },
                DeliveryFate::Spam => Fault::MessageInSpam { message, channel },
            }
        }));
    }
    // Refusals of the current code, counted since it was last (re)issued.
    let wrong_since = |action: &str, reissued: &[&str]| {
        journal
            .iter()
            .rev()
            .take_while(|entry| !(reissued.contains(&entry.action.as_str()) && entry.outcome == "ok"))
            .filter(|entry| {
                entry.action == action
                    && matches!(entry.outcome.as_str(), "code_wrong" | "code_attempts_exhausted")
            })
            .count()
    };
    let times = |count: usize| u8::try_from(count).unwrap_or(u8::MAX);
    let last_refused = |action: &str, code: &str| {
        journal
            .iter()
            .rev()
            .find(|entry| entry.action == action)
            .is_some_and(|entry| entry.outcome == code)
    };
    // The clerk's refusals at the console's desk since the verification was last chosen (the
    // code stays valid: the person came back, or has still to).
    let round = journal
        .iter()
        .rposition(|entry| entry.action == "choose_verification" && entry.outcome == "ok")
        .unwrap_or(0);
    faults.extend(
        journal[round..]
            .iter()
            .filter_map(|entry| match &entry.detail {
                Some(JournalDetail::ClerkRefused { reason }) if entry.outcome == "ok" => Some(reason),
                _ => None,
            })
            .map(|reason| Fault::ClerkDesk {
                decision: ClerkDecision::Refused,
                reason: Some(reason.clone()),
            }),
    );
    // Whether the last decision on an online identification was the reviewer's at the desk
    // (the automatic review's is the clock's `time_passed`).
    let decided_at_desk = journal
        .iter()
        .rev()
        .find(|entry| {
            entry.outcome == "ok" && entry.step_before == Step::Review && entry.step_after != Step::Review
        })
        .is_some_and(|entry| entry.action == "review_identification");
    match view.step.code() {
        "email_code" => {
            let wrong = wrong_since("confirm_email", &["start_account", "resend_email_code"]);
            if wrong > 0 {
                faults.push(Fault::WrongCode {
                    code: CodeName::Email,
                    times: times(wrong),
                });
            }
            if last_refused("confirm_email", "code_expired") {
                faults.push(Fault::CodeExpired {
                    code: CodeName::Email,
                });
            }
        }
        "mobile_code" => {
            let wrong = wrong_since("confirm_mobile", &["register_mobile", "resend_mobile_code"]);
            if wrong > 0 {
                faults.push(Fault::WrongCode {
                    code: CodeName::Sms,
                    times: times(wrong),
                });
            }
            if last_refused("confirm_mobile", "code_expired") {
                faults.push(Fault::CodeExpired { code: CodeName::Sms });
            }
        }
        "face_to_face"
            if view
                .face_to_face
                .as_ref()
                .is_some_and(|face| face.valid_until <= now) =>
        {
            faults.push(Fault::CodeExpired {
                code: CodeName::FaceToFace,
            });
        }
        "identification_refused" => {
            let reason = view
                .registered_letter
                .as_ref()
                .and_then(|letter| letter.refusal_reason.clone());
            faults.extend(reason.map(|reason| {
                if decided_at_desk {
                    Fault::ReviewDesk {
                        decision: Some(DeskDecision::Refused),
                        reason: Some(reason),
                    }
                } else {
                    Fault::IdentificationRefused { reason }
                }
            }));
        }
        // Waiting at the desk: no automatic decision is scheduled.
        "review" if view.next_deadline.is_none() => faults.push(Fault::ReviewDesk {
            decision: None,
            reason: None,
        }),
        "activation" => {
            let online = view
                .activation
                .as_ref()
                .is_some_and(|activation| activation.verified_by == VerificationMode::Online);
            if online && decided_at_desk {
                faults.push(Fault::ReviewDesk {
                    decision: Some(DeskDecision::Accepted),
                    reason: None,
                });
            }
            let wrong = wrong_since("activate", &["resend_activation_code"]);
            if wrong > 0 {
                faults.push(Fault::WrongCode {
                    code: CodeName::Activation,
                    times: times(wrong),
                });
            }
            if view
                .activation
                .as_ref()
                .is_some_and(|activation| activation.valid_until <= now)
            {
                faults.push(Fault::CodeExpired {
                    code: CodeName::Activation,
                });
            }
        }
        "locked" => match view.lock_reason.as_deref() {
            Some("secret_code_forgotten") => faults.push(Fault::SecretCodeForgotten),
            _ => faults.push(Fault::WrongSecretCode {
                times: times(usize::from(rules::MAX_SECRET_CODE_FAILURES)),
            }),
        },
        "enrolled" => {
            let answers: Vec<_> = journal
                .iter()
                .filter(|entry| entry.action == "answer_login_request")
                .collect();
            // The identity moved to a new phone (activated again): the old phone's attempt is
            // refused at the door since its access ended, so the journal shows the move
            // (journals from before show the refused answer itself).
            let activations = journal
                .iter()
                .filter(|entry| entry.action == "activate" && entry.outcome == "ok")
                .count();
            if activations >= 2
                || answers
                    .iter()
                    .any(|entry| entry.outcome == "not_the_enrolled_device")
            {
                faults.push(Fault::ApprovalFromOtherDevice);
            } else {
                let wrong = answers
                    .iter()
                    .rev()
                    .take_while(|entry| entry.outcome != "ok")
                    .filter(|entry| entry.outcome == "wrong_secret_code")
                    .count();
                if wrong > 0 {
                    faults.push(Fault::WrongSecretCode { times: times(wrong) });
                }
            }
            let expired = journal
                .iter()
                .any(|entry| entry.action == "time_passed" && entry.step_before == Step::Enrolled);
            if expired {
                faults.push(Fault::ApprovalExpired);
            }
        }
        _ => {}
    }
    faults
}
