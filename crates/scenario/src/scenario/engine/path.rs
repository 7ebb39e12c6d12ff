//! The normal path: what a person does at each step when nothing goes wrong, each action reported as a `Move`.

use super::*;

impl Run<'_> {
    /// One step of the normal path.
    pub(super) async fn progress(&mut self, view: &LearnerView) -> Result<()> {
        match view.step.code() {
            "email_code" => match self.last_code(&[MessageChannel::Email]).await? {
                Some(code) => {
                    let after = self
                        .act(LearnerAction::ConfirmEmail { code: code.clone() })
                        .await?;
                    self.moved(Move::EmailConfirmed {
                        code,
                        step: after.step,
                    });
                }
                // Nothing arrived: the person asks for a new code, as the screen offers.
                None => {
                    let after = self.act(LearnerAction::ResendEmailCode).await?;
                    self.moved(Move::EmailCodeResent { step: after.step });
                }
            },
            "password" => {
                let password = self.persona.password.clone();
                let after = self
                    .act(LearnerAction::ChoosePassword {
                        password: password.clone(),
                    })
                    .await?;
                self.moved(Move::PasswordChosen {
                    password,
                    step: after.step,
                });
            }
            "mobile" => {
                let mobile = self.persona.mobile.clone();
                let after = self
                    .act(LearnerAction::RegisterMobile {
                        mobile: mobile.clone(),
                    })
                    .await?;
                self.moved(Move::MobileRegistered {
                    mobile,
                    step: after.step,
                });
            }
            "mobile_code" => match self.last_code(&[MessageChannel::Sms]).await? {
                Some(code) => {
                    let after = self
                        .act(LearnerAction::ConfirmMobile { code: code.clone() })
                        .await?;
                    self.moved(Move::MobileConfirmed {
                        mobile: self.persona.mobile.clone(),
                        code,
                        step: after.step,
                    });
                }
                None => {
                    let after = self.act(LearnerAction::ResendMobileCode).await?;
                    self.moved(Move::MobileCodeResent { step: after.step });
                }
            },
            "profile" => {
                let after = self
                    .act(LearnerAction::CompleteProfile {
                        civility: self.persona.civility,
                        first_name: self.persona.account_first_name(),
                        last_name: self.persona.account_last_name(),
                        terms_accepted: true,
                        marketing_opt_in: false,
                    })
                    .await?;
                self.moved(Move::ProfileCompleted(Landed::on(&after)));
            }
            "identity_data" => {
                let after = self
                    .act(LearnerAction::EnterIdentity(Box::new(self.identity())))
                    .await?;
                self.moved(Move::IdentityEntered(Landed::on(&after)));
            }
            "identity_confirmation" => {
                let after = self.act(LearnerAction::ConfirmIdentity).await?;
                self.moved(Move::IdentityConfirmed(Landed::on(&after)));
            }
            "verification_choice" | "locked" => self.choose_verification().await?,
            "face_to_face" => self.clerk().await?,
            "postal_letter" => {
                self.advance(rules::POSTAL_LETTER_DELAY).await?;
                let now = self.learner.learner_clock(&self.id).await?.now;
                let code = self.last_code(&[MessageChannel::Post]).await?;
                self.moved(Move::LetterDelivered {
                    now,
                    face_to_face_code: code,
                });
            }
            "registered_letter" => {
                let letter = view.registered_letter.as_ref();
                let opened = letter.is_some_and(|letter| letter.opened);
                let confirmed = letter.is_some_and(|letter| letter.identity_confirmed);
                if !opened {
                    self.act(LearnerAction::ReadLetter).await?;
                }
                if !confirmed {
                    let after = self.act(LearnerAction::ConfirmLetterIdentity).await?;
                    self.moved(Move::LetterOpened(Landed::on(&after)));
                }
                let after = self.act(LearnerAction::StartVisualIdentification).await?;
                self.moved(Move::IdentificationStarted { step: after.step });
            }
            "visual_identification" => self.submit_identification(view).await?,
            "review" => drop(self.wait_for_review(view).await?),
            "identification_refused" => {
                let after = self.act(LearnerAction::StartVisualIdentification).await?;
                self.moved(Move::IdentificationStarted { step: after.step });
            }
            "activation" => {
                // Face to face, the code shown to the clerk (by SMS or in the paper letter).
                let code = self
                    .last_code(&[MessageChannel::Sms, MessageChannel::Email, MessageChannel::Post])
                    .await?
                    .context("aucun code d'activation reçu")?;
                self.moved(Move::ActivationCodeReceived { code: code.clone() });
                let secret = self.persona.secret_code.clone();
                let id = self.id.clone();
                let phone = self.current_phone();
                let device = self.phone(phone)?;
                let after = device.activate(&id, &code, &secret).await?;
                let activated = Move::DeviceActivated {
                    device_id: device.profile().device_id.clone(),
                    secret_code: secret,
                    vault: device.vault_description(),
                    step: after.step,
                };
                self.moved(activated);
            }
            other => bail!("rien ne mène plus loin depuis l'étape « {} »", step_label(other)),
        }
        Ok(())
    }

    /// The identity form as the person types it (with the scenario's typo, if any).
    pub(super) fn identity(&self) -> idn_api::IdentityForm {
        let mut form = self.persona.identity.clone();
        for fault in &self.scenario.faults {
            if let Fault::IdentityTypo { field, typed } = fault {
                let typed = typed.clone();
                match field {
                    TypoField::FirstGivenName => match form.given_names.first_mut() {
                        Some(first) => *first = typed,
                        None => form.given_names.push(typed),
                    },
                    TypoField::BirthName => form.birth_name = typed,
                    TypoField::BirthDate => form.birth_date = typed,
                    TypoField::BirthCommune => form.birth_commune = Some(typed),
                    TypoField::DocumentNumberEnding => form.document_number_ending = typed,
                }
            }
        }
        form
    }

    /// The scenario's way of verifying the identity, and what it brings at once: the face-to-face
    /// activation code by SMS, the date the paper letter arrives, the AR24 registered letter.
    async fn choose_verification(&mut self) -> Result<()> {
        let mode = self.scenario.verification;
        let after = self
            // Online, the persona ticks AR24's terms before « Confirmer » (001).
            .act(LearnerAction::ChooseVerification {
                mode: mode.wire(),
                terms_accepted: mode == Verification::Online,
            })
            .await?;
        let face_to_face_code = match mode {
            Verification::FaceToFace => self.last_code(&[MessageChannel::Sms]).await?,
            Verification::Online | Verification::ByPost => None,
        };
        self.moved(Move::VerificationChosen {
            mode,
            face_to_face_code,
            letter_arrives_at: after.postal_letter.as_ref().map(|letter| letter.arrives_at),
            registered_letter_id: after
                .registered_letter
                .as_ref()
                .map(|letter| letter.letter_id.clone()),
            step: after.step,
        });
        Ok(())
    }

    /// The post-office clerk reads the code and the document the person shows (the real one:
    /// a typo in the confirmed data is caught here).
    pub(super) async fn clerk(&mut self) -> Result<()> {
        let code = self
            .last_code(&[MessageChannel::Sms, MessageChannel::Post])
            .await?
            .context("aucun code d'activation reçu pour le guichet")?;
        let identity = self.persona.identity.clone();
        let after = self
            .trainer
            .clerk_validate(&ClerkValidation {
                code: code.clone(),
                document_type: self.document(),
                birth_name: identity.birth_name.clone(),
                birth_date: identity.birth_date.parse().context("date de naissance")?,
                document_number_ending: identity.document_number_ending.clone(),
            })
            .await?;
        self.moved(Move::ClerkValidated {
            code,
            birth_name: identity.birth_name,
            step: after.step,
        });
        Ok(())
    }

    /// What the walkthrough asks once the learner stands on the scenario's step.
    pub(super) async fn afterwards(&mut self) -> Result<()> {
        match self.walkthrough.afterwards {
            Afterwards::Stay => Ok(()),
            Afterwards::ApprovedLogin => {
                (self.walkthrough.progress)(Progress::Acting(Step::Enrolled));
                self.approve_a_login()
                    .await
                    .with_context(|| format!("{} : connexion à {RELYING_PARTY}", self.scenario.name))
            }
        }
    }

    /// FranceConnect+ « S'identifier » with the mobile number, then the request approved with the
    /// secret code on the phone holding the identity.
    async fn approve_a_login(&mut self) -> Result<()> {
        let mobile = self.persona.mobile.clone();
        let request = self.trainer.open_login_request(&mobile, RELYING_PARTY).await?;
        self.login_request = Some(request.request_id.clone());
        self.moved(Move::LoginRequested {
            request_id: request.request_id.clone(),
            deadline: request.deadline,
        });
        let secret = self.persona.secret_code.clone();
        let phone = self.current_phone();
        let device = self.phone(phone)?;
        let pending = device.pending_requests().await?;
        if !pending
            .iter()
            .any(|pending| pending.request_id == request.request_id)
        {
            bail!("la demande de connexion n'apparaît pas sur le téléphone");
        }
        let answered = device.approve(&request.request_id, &secret).await?;
        if answered.status != "approved" {
            bail!("la demande est « {} » au lieu d'être approuvée", answered.status);
        }
        self.moved(Move::LoginApproved {
            request_id: answered.request_id,
            status: answered.status,
        });
        Ok(())
    }
}
