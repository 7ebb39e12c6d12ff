//! Faults at their step: what goes wrong on purpose, each refusal kept for the report.

use super::*;

impl Run<'_> {
    /// The engine's console session, signed in on first use.
    pub(super) async fn desk(&mut self) -> Result<&ConsoleDesk> {
        if self.desk.is_none() {
            let Some(account) = self.staff else {
                invalid!("{} : {NO_DESK_ACCOUNT}", self.scenario.name);
            };
            self.desk = Some(ConsoleDesk::sign_in(self.learner.base_url(), account).await?);
        }
        Ok(self.desk.as_ref().expect("signed in just above"))
    }

    /// Runs `call`, which must be refused by the world; the refusal is kept for the report.
    fn expect_refusal<T, E: Into<DeviceError>>(
        &mut self,
        action: &str,
        outcome: Result<T, E>,
        accepted: &[&str],
    ) -> Result<()> {
        match outcome.map_err(Into::into) {
            Ok(_) => bail!("« {action} » devait être refusé et a été accepté"),
            Err(error) => match refusal_of(&error) {
                Some((code, message)) if accepted.contains(&code.as_str()) => {
                    self.refusals.push(Refusal {
                        action: action.to_owned(),
                        code,
                        message,
                    });
                    Ok(())
                }
                _ => Err(error.into()),
            },
        }
    }

    async fn open_login_request(&mut self, mobile: &str) -> Result<String, DeviceError> {
        let request = self.trainer.open_login_request(mobile, RELYING_PARTY).await?;
        self.login_request = Some(request.request_id.clone());
        Ok(request.request_id)
    }

    pub(super) async fn apply_fault(&mut self, fault: &Fault, view: &LearnerView) -> Result<()> {
        let kind = fault_kind(fault);
        if let Some(failure) = fault.device_failure() {
            self.device_failures.push(DeviceFailure {
                fault: kind,
                code: failure.code().to_owned(),
                message: failure.message_fr(),
            });
            return Ok(());
        }
        match fault {
            Fault::WrongCode { code, times } => {
                for _ in 0..*times {
                    self.type_wrong_code(*code).await?;
                }
            }
            Fault::CodeExpired { code } => {
                let validity = match code {
                    CodeName::Email => rules::EMAIL_CODE_VALIDITY,
                    CodeName::Sms => rules::MOBILE_CODE_VALIDITY,
                    CodeName::FaceToFace => rules::FACE_TO_FACE_VALIDITY,
                    CodeName::Activation => rules::ACTIVATION_CODE_VALIDITY,
                };
                self.advance(validity).await?;
            }
            Fault::IdentityRefused => {
                let outcome = self
                    .learner
                    .act(&self.id, &LearnerAction::EnterIdentity(Box::new(self.identity())))
                    .await;
                let expected = self.persona.refused_with.clone().unwrap_or_default();
                self.expect_refusal(
                    "enter_identity",
                    outcome,
                    &[
                        expected.as_str(),
                        "underage",
                        "document_expired",
                        "residence_permit_too_short",
                    ],
                )?;
            }
            Fault::SecretCodeForgotten => drop(self.act(LearnerAction::ForgetSecretCode).await?),
            Fault::WrongSecretCode { times } => {
                let mobile = self.persona.mobile.clone();
                let request = self.open_login_request(&mobile).await?;
                let wrong = shifted(&self.persona.secret_code);
                let phone = self.devices.len().max(1) - 1;
                for _ in 0..*times {
                    let outcome = self.phone(phone)?.approve(&request, &wrong).await;
                    self.expect_refusal(
                        "answer_login_request",
                        outcome,
                        &["wrong_secret_code", "secret_code_locked"],
                    )?;
                }
            }
            Fault::ApprovalExpired => {
                let mobile = self.persona.mobile.clone();
                let request = self.open_login_request(&mobile).await?;
                let deadline = self.trainer.login_request(&request).await?.deadline;
                let now = self.learner.learner_clock(&self.id).await?.now;
                self.advance(deadline - now + chrono::TimeDelta::seconds(1))
                    .await?;
            }
            Fault::ApprovalFromOtherDevice => self.move_to_new_phone_then_answer_from_old().await?,
            Fault::WrongMobileTyped { typed } => {
                let outcome = self.trainer.open_login_request(typed, RELYING_PARTY).await;
                self.expect_refusal("open_login_request", outcome, &["mobile_mismatch"])?;
            }
            Fault::MobileAlreadyEnrolled => {
                // The other identity took the number before the engine created this learner.
                let code = self
                    .last_code(&[MessageChannel::Sms])
                    .await?
                    .context("aucun code SMS reçu")?;
                let outcome = self
                    .learner
                    .act(&self.id, &LearnerAction::ConfirmMobile { code })
                    .await;
                self.expect_refusal("confirm_mobile", outcome, &["mobile_already_enrolled"])?;
            }
            Fault::UploadInterrupted => {
                let specimen = self.persona.specimen()?;
                let page = pages(self.document())[0].1;
                let jpeg = photo(page, &specimen, Degradations::NONE, self.scenario.seed)?;
                // Cut short, with the checksum of the whole file: an upload interrupted on the way.
                let whole = hex::encode(sha2::Sha256::digest(&jpeg));
                let cut = jpeg[..jpeg.len() / 3].to_vec();
                let outcome = self
                    .learner
                    .upload_media_declared(&self.id, MediaKind::Photo, "image/jpeg", cut, &whole)
                    .await;
                self.expect_refusal("upload_media", outcome, &["checksum_mismatch"])?;
            }
            Fault::ReviewDesk {
                decision: Some(decision),
                reason,
            } => self.decide_at_review_desk(*decision, reason.as_deref()).await?,
            Fault::ClerkDesk { decision, reason } => {
                self.decide_at_clerk_desk(*decision, reason.as_deref()).await?
            }
            Fault::MessageInSpam { .. }
            | Fault::MessageWithheld { .. }
            | Fault::IdentityTypo { .. }
            | Fault::IdentificationRefused { .. }
            | Fault::ReviewDesk { decision: None, .. }
            | Fault::CameraMissing
            | Fault::CameraDenied
            | Fault::MicrophoneMissing
            | Fault::MicrophoneDenied => {
                bail!(
                    "incident {kind} appliqué hors de son étape ({})",
                    view.step.code()
                )
            }
        }
        Ok(())
    }

    /// The reviewer opens the identification waiting at the desk and decides; a refusal must
    /// reach the learner with its reason.
    async fn decide_at_review_desk(&mut self, decision: DeskDecision, reason: Option<&str>) -> Result<()> {
        let id = self.id.clone();
        let review = match (decision, reason) {
            (DeskDecision::Accepted, _) => Review::Accept,
            (DeskDecision::Refused, Some(reason)) => Review::Refuse { reason },
            (DeskDecision::Refused, None) => invalid!("un refus au bureau d'examen donne un motif"),
        };
        self.desk().await?.review(&id, review).await?;
        if decision == DeskDecision::Refused {
            let refused = self.learner.learner(&self.id).await?;
            let got = refused
                .registered_letter
                .as_ref()
                .and_then(|letter| letter.refusal_reason.clone());
            if got.as_deref() != reason {
                bail!(
                    "le refus du bureau d'examen devait porter le motif « {} », résultat : {} ({})",
                    reason.unwrap_or_default(),
                    refused.step_label,
                    got.unwrap_or_else(|| "aucun motif".into())
                );
            }
        }
        Ok(())
    }

    /// The clerk looks up the code the person brings and validates the document shown (the
    /// persona's real one), or sends the person away with a reason.
    async fn decide_at_clerk_desk(&mut self, decision: ClerkDecision, reason: Option<&str>) -> Result<()> {
        let code = self
            .last_code(&[MessageChannel::Sms, MessageChannel::Post])
            .await?
            .context("aucun code d'activation reçu pour le guichet")?;
        match (decision, reason) {
            (ClerkDecision::Validated, _) => {
                let identity = self.persona.identity.clone();
                let document_type = match self.document() {
                    DocumentKind::Cni => "cni",
                    DocumentKind::Passeport => "passeport",
                    DocumentKind::TitreDeSejour => "titre_de_sejour",
                };
                let presented = Presented {
                    document_type,
                    birth_name: &identity.birth_name,
                    birth_date: &identity.birth_date,
                    document_number_ending: &identity.document_number_ending,
                };
                self.desk().await?.clerk_validate(&code, &presented).await
            }
            (ClerkDecision::Refused, Some(reason)) => {
                self.desk().await?.clerk_refuse(&code, reason).await?;
                let label = CLERK_REFUSAL_REASONS
                    .iter()
                    .find(|(known, _)| *known == reason)
                    .map_or(reason, |(_, label)| label);
                self.refusals.push(Refusal {
                    action: "clerk_refuse".into(),
                    code: reason.to_owned(),
                    message: format!("Validation refusée au guichet : {label}. Le code reste valable."),
                });
                Ok(())
            }
            (ClerkDecision::Refused, None) => invalid!("un refus du guichetier donne un motif"),
        }
    }

    async fn type_wrong_code(&mut self, code: CodeName) -> Result<()> {
        let accepted = ["code_wrong", "code_attempts_exhausted"];
        match code {
            CodeName::Email => {
                let right = self.last_code(&[MessageChannel::Email]).await?;
                let wrong = right.as_deref().map_or_else(|| "000000".to_owned(), shifted);
                let outcome = self
                    .learner
                    .act(&self.id, &LearnerAction::ConfirmEmail { code: wrong })
                    .await;
                self.expect_refusal("confirm_email", outcome, &accepted)
            }
            CodeName::Sms => {
                // The SMS alphabet has no 0: "0000" is never the right code.
                let outcome = self
                    .learner
                    .act(&self.id, &LearnerAction::ConfirmMobile { code: "0000".into() })
                    .await;
                self.expect_refusal("confirm_mobile", outcome, &accepted)
            }
            CodeName::Activation => {
                let right = self
                    .last_code(&[MessageChannel::Sms, MessageChannel::Email, MessageChannel::Post])
                    .await?;
                let wrong = right.as_deref().map_or_else(|| "000000".to_owned(), shifted);
                let secret = self.persona.secret_code.clone();
                let id = self.id.clone();
                let outcome = self.phone(0)?.activate(&id, &wrong, &secret).await;
                self.expect_refusal("activate", outcome, &accepted)
            }
            CodeName::FaceToFace => bail!("au guichet, le code d'activation est tapé par le guichetier"),
        }
    }

    /// The person re-verified their identity to move it to a new phone (after "code secret
    /// oublié"); the old phone tries to answer a login request: refused at the door, its access
    /// ended by the new activation (« activée sur un autre téléphone »).
    async fn move_to_new_phone_then_answer_from_old(&mut self) -> Result<()> {
        self.act(LearnerAction::ForgetSecretCode).await?;
        self.act(LearnerAction::ChooseVerification {
            mode: VerificationMode::FaceToFace,
            terms_accepted: false,
        })
        .await?;
        self.clerk().await?;
        let code = self
            .last_code(&[MessageChannel::Sms])
            .await?
            .context("aucun code d'activation reçu")?;
        let secret = self.persona.secret_code.clone();
        let id = self.id.clone();
        let new_phone = self.devices.len();
        self.phone(new_phone)?.activate(&id, &code, &secret).await?;
        let mobile = self.persona.mobile.clone();
        let request = self.open_login_request(&mobile).await?;
        let outcome = self.phone(new_phone - 1)?.approve(&request, &secret).await;
        self.expect_refusal("answer_login_request", outcome, &["credential_revoked"])
    }
}
