//! Activation of the identity on a device, and login requests: opened by a relying party,
//! answered by the device (approve with the sealed secret code, or decline).

use super::*;
use idn_journey::text::{self, TextField};

impl World {
    // ----- activation and approvals -----

    /// The device's credential is issued in the same unit of work, and the phone that held the
    /// identity before loses its own: one activated phone acts for the identity.
    pub async fn activate(
        &self,
        id: &str,
        request: ActivationRequest,
    ) -> Result<api::LearnerAccess, WorldError> {
        let learner_id = id.to_owned();
        // Shown to the learner and to staff as the device holding the identity.
        text::screen(
            &request.device_id,
            TextField::DeviceId,
            rules::DEVICE_ID_MAX_CHARS,
        )?;
        let signed = protocol::activation_message(
            &learner_id,
            &request.device_id,
            &request.device_public_key,
            &request.sealed_secret_code,
        );
        if !protocol::verify_signature(&request.device_public_key, &signed, &request.signature) {
            return Err(JourneyError::InvalidDeviceSignature.into());
        }
        let context =
            protocol::activation_context(&learner_id, &request.device_id, &request.device_public_key);
        let code =
            protocol::open_secret_code(self.secrets.hpke_private(), &request.sealed_secret_code, &context)
                .map_err(|_| {
                    WorldError::bad_request(
                        "sealed_code_invalid",
                        "Le code secret n'a pas pu être lu : recommencez l'activation.",
                    )
                })?;
        let code = SecretCode::parse(&code)?;
        let verifier = SecretVerifier(self.secrets.secret_verifier(&learner_id, code.expose()));
        let device_id = request.device_id.clone();
        let wall_now = self.wall_now();
        let issue = move |tx: &Tx<'_>, loaded: &LearnerRow| {
            use crate::access::credentials::{issue, revoke_all, RevokedBecause};
            revoke_all(
                tx,
                &loaded.id,
                &[api::CredentialKind::Device, api::CredentialKind::SignIn],
                RevokedBecause::Activated,
                wall_now,
            )?;
            issue(
                tx,
                &loaded.id,
                api::CredentialKind::Device,
                Some(&device_id),
                wall_now,
            )
        };
        let build = move |loaded: &LearnerRow, now, tx: &Tx<'_>| {
            let mobile = loaded.journey.person().map(|person| &person.account.mobile);
            Ok(Command::Activate {
                holder: mobile_holder(tx, &loaded.id, mobile)?,
                code: request.activation_code,
                device: EnrolledDevice {
                    device_id: DeviceId(request.device_id.clone()),
                    public_key: DevicePublicKey(request.device_public_key.clone()),
                    verifier,
                    // The learner's time, like every other time of their journey.
                    enrolled_at: now,
                },
            })
        };
        let (learner, credential) = self
            .transition_with(id, Actor::Device, "activate", build, issue)
            .await?;
        Ok(api::LearnerAccess { learner, credential })
    }

    /// FranceConnect+'s side: the person typed their mobile number; a request awaits approval.
    pub async fn open_login_request(&self, request: NewLoginRequest) -> Result<LoginRequestView, WorldError> {
        let mobile = MobileNumber::parse(&request.mobile)?;
        let relying_party = text::screen(
            request.relying_party.trim(),
            TextField::RelyingParty,
            rules::RELYING_PARTY_NAME_MAX_CHARS,
        )?
        .to_owned();
        if relying_party.is_empty() {
            return Err(WorldError::bad_request(
                "invalid_relying_party",
                "Le nom du service demandeur est invalide.",
            ));
        }
        let clock_speed = match self.clock_view().mode {
            ClockMode::Accelerated { factor } => factor,
            ClockMode::Real | ClockMode::Manual => 1.0,
        };
        // One transaction: the request in the journey and its lookup row, or neither.
        let mut writer = self.store.write().await;
        let tx = writer.begin()?;
        let mut identities = tx.identities_of_mobile(mobile.as_str())?;
        if identities.len() > 1 {
            // Enrolled before the rule of one identity per number: choosing one would send the
            // request (and the identity given to the service) to a person at random.
            return Err(WorldError::bad_request(
                "mobile_ambiguous",
                "Ce numéro de mobile est celui de plusieurs Identités Numériques, activées avant la règle « une Identité Numérique par numéro » : aucune demande n'est envoyée. Contactez l'assistance.",
            ));
        }
        let mut loaded = identities.pop().ok_or(JourneyError::MobileMismatch)?;
        let learner_id = loaded.id.clone();
        let now = self.now();
        self.let_time_pass(&tx, &mut loaded, now)?;
        let mut rng = self.rng_for(&format!("{learner_id}/login-request"), loaded.seq);
        let mut id_bytes = [0u8; 16];
        rng.fill_bytes(&mut id_bytes);
        let request_id = uuid::Builder::from_random_bytes(id_bytes).into_uuid().to_string();
        let mut challenge = [0u8; 32];
        rng.fill_bytes(&mut challenge);
        let command = Command::OpenLoginRequest {
            request_id: request_id.clone(),
            relying_party,
            mobile,
            challenge: hex::encode(challenge),
            clock_speed,
        };
        let verdict = self.step_in(
            &tx,
            &mut loaded,
            now,
            Actor::RelyingParty,
            "open_login_request",
            |_, _, _| Ok(command),
        )?;
        if verdict.is_ok() {
            tx.index_login_request(&request_id, &learner_id)?;
        }
        tx.commit()?;
        drop(writer);
        self.announce(&learner_id);
        verdict?;
        // The journey just written says what the request is: no need to read it back.
        Self::login_request_in(&loaded, &request_id, now)
    }

    /// The view of one login request of a loaded learner, at the class time `class_now`.
    pub(super) fn login_request_in(
        loaded: &LearnerRow,
        request_id: &str,
        class_now: DateTime<Utc>,
    ) -> Result<LoginRequestView, WorldError> {
        let now = learner_time(class_now, loaded.clock_offset);
        loaded
            .journey
            .login_approval(request_id)
            .map(|approval| views::login_request_view(approval, now))
            .ok_or_else(|| JourneyError::UnknownLoginRequest.into())
    }

    /// `transition` for the device's answers to login requests, giving back the learner as
    /// written (and the class time) so that the answer's view comes from it, not a second read.
    pub(super) async fn answer_transition(
        &self,
        id: &str,
        action: &str,
        build: impl FnOnce(&LearnerRow, DateTime<Utc>) -> Result<Command, WorldError>,
    ) -> Result<(LearnerRow, DateTime<Utc>), WorldError> {
        let mut writer = self.store.write().await;
        let tx = writer.begin()?;
        let mut loaded = tx.learner(id)?;
        let now = self.now();
        self.let_time_pass(&tx, &mut loaded, now)?;
        let result = self.step_in(&tx, &mut loaded, now, Actor::Device, action, |loaded, now, _| {
            build(loaded, now)
        })?;
        tx.commit()?;
        drop(writer);
        self.announce(id);
        result?;
        Ok((loaded, now))
    }

    pub async fn login_request(&self, request_id: &str) -> Result<LoginRequestView, WorldError> {
        Ok(self.login_request_of(request_id).await?.0)
    }

    /// A login request with its learner's id and journey, as La Poste's provider needs them
    /// once the device approved (whose identity to send), in one read.
    pub(crate) async fn login_request_of(
        &self,
        request_id: &str,
    ) -> Result<(LoginRequestView, String, Journey), WorldError> {
        let loaded = self
            .store
            .read()
            .await
            .learner_of_login_request(request_id)?
            .ok_or(JourneyError::UnknownLoginRequest)?;
        let (loaded, now) = self.caught_up(loaded).await?;
        let view = Self::login_request_in(&loaded, request_id, now)?;
        Ok((view, loaded.id, loaded.journey))
    }

    /// A learner as time has left them, read in one query when nothing is due (the login pages
    /// and the device read often).
    pub(super) async fn load_caught_up(&self, id: &str) -> Result<(LearnerRow, DateTime<Utc>), WorldError> {
        let loaded = self.store.read().await.learner(id)?;
        self.caught_up(loaded).await
    }

    /// `loaded` as it is now: when a deadline has come, it is applied first and read back.
    pub(super) async fn caught_up(
        &self,
        loaded: LearnerRow,
    ) -> Result<(LearnerRow, DateTime<Utc>), WorldError> {
        let now = self.now();
        let due = loaded
            .journey
            .next_deadline()
            .is_some_and(|deadline| deadline <= learner_time(now, loaded.clock_offset));
        if !due {
            return Ok((loaded, now));
        }
        self.catch_up(&loaded.id).await?;
        let loaded = self.store.read().await.learner(&loaded.id)?;
        Ok((loaded, self.now()))
    }

    /// Login requests waiting for this learner's approval.
    pub async fn pending_login_requests(&self, id: &str) -> Result<Vec<LoginRequestView>, WorldError> {
        let (loaded, now) = self.load_caught_up(id).await?;
        let now = learner_time(now, loaded.clock_offset);
        Ok(loaded
            .journey
            .login_approvals()
            .iter()
            .map(|approval| views::login_request_view(approval, now))
            .filter(|view| view.status == "pending")
            .collect())
    }

    pub async fn answer_login_request(
        &self,
        id: &str,
        request_id: &str,
        answer: ApprovalAnswer,
    ) -> Result<LoginRequestView, WorldError> {
        let secrets = &self.secrets;
        let request = request_id.to_owned();
        let (loaded, now) = self
            .answer_transition(id, "answer_login_request", |loaded, _| {
                let approval = loaded
                    .journey
                    .login_approval(&request)
                    .ok_or(JourneyError::UnknownLoginRequest)?;
                let proof = match loaded.journey.enrolled_device() {
                    Some(device) => {
                        let terms = request_terms(loaded, approval, &answer.device_id);
                        let signed = protocol::approval_message(&terms, &answer.sealed_secret_code);
                        let signature_valid =
                            protocol::verify_signature(&device.public_key.0, &signed, &answer.signature);
                        let context = protocol::approval_context(&loaded.id, &request, &approval.challenge);
                        // The code is only looked at once the signature holds: an unsigned answer
                        // can neither test codes nor spend attempts.
                        let secret_code_matches = signature_valid
                            && protocol::open_secret_code(
                                secrets.hpke_private(),
                                &answer.sealed_secret_code,
                                &context,
                            )
                            .is_ok_and(|code| secrets.code_matches(&loaded.id, &code, &device.verifier.0));
                        ProofCheck {
                            signature_valid,
                            secret_code_matches,
                            answer_digest: protocol::sealed_digest(&answer.sealed_secret_code),
                        }
                    }
                    None => ProofCheck {
                        signature_valid: false,
                        secret_code_matches: false,
                        answer_digest: protocol::sealed_digest(&answer.sealed_secret_code),
                    },
                };
                Ok(Command::AnswerLoginRequest {
                    request_id: request.clone(),
                    device_id: DeviceId(answer.device_id.clone()),
                    proof,
                })
            })
            .await?;
        Self::login_request_in(&loaded, request_id, now)
    }

    pub async fn decline_login_request(
        &self,
        id: &str,
        request_id: &str,
        answer: DeclineAnswer,
    ) -> Result<LoginRequestView, WorldError> {
        let request = request_id.to_owned();
        let (loaded, now) = self
            .answer_transition(id, "decline_login_request", |loaded, _| {
                let approval = loaded
                    .journey
                    .login_approval(&request)
                    .ok_or(JourneyError::UnknownLoginRequest)?;
                let device = loaded
                    .journey
                    .enrolled_device()
                    .ok_or(JourneyError::NotTheEnrolledDevice)?;
                let signed = protocol::decline_message(&request_terms(loaded, approval, &answer.device_id));
                if answer.device_id == device.device_id.0
                    && !protocol::verify_signature(&device.public_key.0, &signed, &answer.signature)
                {
                    return Err(JourneyError::InvalidDeviceSignature.into());
                }
                Ok(Command::DeclineLoginRequest {
                    request_id: request.clone(),
                    device_id: DeviceId(answer.device_id.clone()),
                })
            })
            .await?;
        Self::login_request_in(&loaded, request_id, now)
    }
}

/// What an answer to `approval` must have signed.
pub(super) fn request_terms<'a>(
    loaded: &'a LearnerRow,
    approval: &'a idn_journey::enrolment::LoginApproval,
    device_id: &'a str,
) -> protocol::RequestTerms<'a> {
    protocol::RequestTerms {
        learner_id: &loaded.id,
        request_id: &approval.request_id,
        relying_party: &approval.relying_party,
        challenge: &approval.challenge,
        deadline: approval.deadline,
        device_id,
    }
}
