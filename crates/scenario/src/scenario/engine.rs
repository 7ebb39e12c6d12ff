//! The engine: applies a scenario to a world as a person would (the device core, the public
//! API, the learner's own clock), waiting for the world's decisions on the learner's events.

use super::*;

/// The relying party the scenarios log in to.
pub const RELYING_PARTY: &str = "Mon Compte Formation";

/// Preview frames before a photo is taken by hand when auto-capture never fires (as `idn
/// capture`: a degraded photo is never auto-captured).
pub(super) const PHOTO_PREVIEW_FRAMES: u32 = 50;

/// Length of a recording: the lead-in and three digits with pauses (as `idn capture video`).
pub(super) const VIDEO_SECONDS: f64 = 6.0;

/// How long the engine waits for the world to announce a decision that is due (the automatic
/// review once its time has come): far beyond the world's sweep, which runs twice a second.
pub(super) const DECISION_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Why a scenario with desk decisions cannot be applied here, in French.
pub(super) const NO_DESK_ACCOUNT: &str = "ce scénario fait décider un bureau de la console (examen AR24 ou guichet) : seul le monde lancé avec le moteur de scénarios lui donne un compte — appliquez-le depuis la page « Scénarios » de la console de ce monde, ou dans un monde neuf (idn scenario apply --data-dir, idn replay)";
/// Something the scenario did on purpose that the service refused, as the person saw it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Refusal {
    pub action: String,
    pub code: String,
    pub message: String,
}

/// A failure of the phone itself, as the app reports it; the world never hears of it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeviceFailure {
    pub fault: String,
    pub code: String,
    pub message: String,
}

/// Where a scenario left the learner.
#[derive(Debug, Clone, Serialize)]
pub struct Applied {
    pub scenario: String,
    pub title: String,
    pub learner_id: String,
    pub email: String,
    pub mobile: String,
    pub step: String,
    pub step_label: String,
    pub explanation: String,
    /// Refusals met on purpose (wrong codes, refused identity, FranceConnect+…).
    pub refusals: Vec<Refusal>,
    /// The phone's own failures, for the app to show (the world knows nothing of them).
    pub device_failures: Vec<DeviceFailure>,
    /// The last login request opened, if any.
    pub login_request: Option<String>,
    /// The code awaited now and what is left of it, as the world reads it.
    pub pending_code: Option<PendingCodeView>,
    /// What keeps the person from going on ("code reçu par SMS expiré"…), as the world reads it.
    pub blockers: Vec<BlockerView>,
    /// Where the simulated phones keep their profile.
    pub devices_dir: PathBuf,
}

/// How a scenario is applied.
pub struct ApplyOptions {
    /// Phones are kept here (`telephone-1`, `telephone-2`).
    pub devices_dir: PathBuf,
    pub vault: Arc<dyn Vault>,
    /// The profile folder of a phone that must end up holding the identity (the app's own
    /// device, at start): the last phone of the scenario is this one, and it remembers the
    /// account even when the scenario stops before activation, so the app opens on the learner.
    pub identity_phone: Option<PathBuf>,
}

impl ApplyOptions {
    /// Phones in `devices_dir` with their keys in memory (gone when `idn` exits).
    pub fn in_memory(devices_dir: PathBuf) -> Self {
        Self {
            devices_dir,
            vault: Arc::new(MemoryVault::default()),
            identity_phone: None,
        }
    }
}

/// The world's refusal carried by `error`, if it is one.
pub(super) fn refusal_of(error: &DeviceError) -> Option<(String, String)> {
    match error {
        DeviceError::Client(ClientError::World {
            status,
            code,
            message,
        }) if *status < 500 => Some((code.clone(), message.clone())),
        DeviceError::Invalid { code, message } => Some(((*code).to_owned(), message.clone())),
        _ => None,
    }
}

/// A scenario being applied: the learner, the phones, what happened.
pub(super) struct Run<'a> {
    client: &'a WorldClient,
    scenario: &'a Scenario,
    persona: Persona,
    options: &'a ApplyOptions,
    id: String,
    /// Phones in the order the person used them; the last one holds the identity.
    devices: Vec<Device>,
    refusals: Vec<Refusal>,
    device_failures: Vec<DeviceFailure>,
    login_request: Option<String>,
    /// The refusal reason still to produce at the next visual identification.
    refusal_to_produce: Option<String>,
    /// The console account the engine decides under at the desks, when its world gave it one.
    staff: Option<&'a EngineAccount>,
    /// The engine's console session, opened at the first desk decision.
    desk: Option<ConsoleDesk>,
    /// The learner is still to be put on the review desk before the next submission.
    review_desk_to_plan: bool,
}

/// Applies `scenario` through `client`'s world and checks that the learner landed on its step.
/// A scenario whose faults decide at the console's desks needs [`apply_as`].
pub async fn apply(client: &WorldClient, scenario: &Scenario, options: &ApplyOptions) -> Result<Applied> {
    apply_as(client, scenario, options, None).await
}

/// As [`apply`], with the console account the world gave the engine: decisions at the review
/// desk and the clerk's desk (`review_desk`, `clerk_desk`) are taken with it, through the
/// console's sign-in and forms, and show in the staff audit under its address.
pub async fn apply_as(
    client: &WorldClient,
    scenario: &Scenario,
    options: &ApplyOptions,
    staff: Option<&EngineAccount>,
) -> Result<Applied> {
    scenario.check()?;
    if staff.is_none() && scenario.decides_at_a_desk() {
        // Refused before the world is touched: no learner left half-way.
        invalid!("{} : {NO_DESK_ACCOUNT}", scenario.name);
    }
    let mut persona = scenario.persona()?.clone();
    // On a world that already has learners, the persona gets contacts of its own: two learners
    // sharing a mobile number would receive each other's login requests.
    let existing = client.status().await?.learners;
    if existing > 0 {
        distinguish(&mut persona, existing);
    }
    let delivery: Vec<DeliveryFault> = scenario
        .faults
        .iter()
        .filter_map(|fault| match fault {
            Fault::MessageInSpam { message, channel } => Some((message, channel, DeliveryFate::Spam)),
            Fault::MessageWithheld { message, channel } => Some((message, channel, DeliveryFate::Withheld)),
            _ => None,
        })
        .map(|(message, channel, fate)| DeliveryFault {
            message: message.clone(),
            channel: *channel,
            fate,
            times: 1,
        })
        .collect();
    let learner = client
        .create_planned_learner(&PlannedLearner {
            email: persona.email.clone(),
            delivery,
        })
        .await?;
    let mut run = Run {
        client,
        scenario,
        persona,
        options,
        id: learner.id,
        devices: Vec::new(),
        refusals: Vec::new(),
        device_failures: Vec::new(),
        login_request: None,
        refusal_to_produce: scenario.faults.iter().find_map(|fault| match fault {
            Fault::IdentificationRefused { reason } => Some(reason.clone()),
            _ => None,
        }),
        staff,
        desk: None,
        review_desk_to_plan: scenario
            .faults
            .iter()
            .any(|fault| matches!(fault, Fault::ReviewDesk { .. })),
    };
    let walked = run.walk().await;
    if let Some(desk) = run.desk.take() {
        // The engine's session ends with the scenario, as a person signs out.
        desk.sign_out().await;
    }
    let view = walked?;
    if run.options.identity_phone.is_some() {
        let id = run.id.clone();
        let holder = run.holder();
        run.phone(holder)?.remember_account(&id)?;
    }
    let situation = run.client.situation(&run.id).await?;
    Ok(Applied {
        pending_code: situation.pending_code,
        blockers: situation.blockers,
        scenario: scenario.name.clone(),
        title: scenario.title.clone(),
        learner_id: run.id,
        email: run.persona.email,
        mobile: run.persona.mobile,
        step: view.step.code().to_owned(),
        step_label: view.step_label,
        explanation: scenario.explanation.clone(),
        refusals: run.refusals,
        device_failures: run.device_failures,
        login_request: run.login_request,
        devices_dir: options.devices_dir.clone(),
    })
}

/// Email `local+sN@domain` and a mobile number moved by `10 × N` in its last four digits.
pub(super) fn distinguish(persona: &mut Persona, n: u64) {
    if let Some((local, domain)) = persona.email.split_once('@') {
        persona.email = format!("{local}+s{n}@{domain}");
    }
    let digits = persona.mobile.len().saturating_sub(4);
    if let Ok(last) = persona.mobile[digits..].parse::<u64>() {
        persona.mobile = format!("{}{:04}", &persona.mobile[..digits], (last + 10 * n) % 10_000);
    }
}

impl Run<'_> {
    /// The engine's console session, signed in on first use.
    async fn desk(&mut self) -> Result<&ConsoleDesk> {
        if self.desk.is_none() {
            let Some(account) = self.staff else {
                invalid!("{} : {NO_DESK_ACCOUNT}", self.scenario.name);
            };
            self.desk = Some(ConsoleDesk::sign_in(self.client.base_url(), account).await?);
        }
        Ok(self.desk.as_ref().expect("signed in just above"))
    }

    /// Walks the journey until the learner stands on the scenario's step with every fault
    /// applied; each iteration does one thing a person (or time) does.
    async fn walk(&mut self) -> Result<LearnerView> {
        let mut done = vec![false; self.scenario.faults.len()];
        for (index, fault) in self.scenario.faults.iter().enumerate() {
            // Applied as the account starts (delivery), or inside the normal path's actions.
            if fault.step().is_none() {
                done[index] = true;
            }
        }
        for _ in 0..80 {
            let view = self.client.learner(&self.id).await?;
            let due = self
                .scenario
                .faults
                .iter()
                .enumerate()
                .find(|(index, fault)| !done[*index] && fault.step() == Some(view.step.code()));
            if let Some((index, fault)) = due {
                let fault = fault.clone();
                self.apply_fault(&fault, &view).await?;
                done[index] = true;
                continue;
            }
            if view.step.code() == self.scenario.reach {
                if let Some(reason) = &self.refusal_to_produce {
                    bail!("{} : le refus « {reason} » n'a pas eu lieu", self.scenario.name);
                }
                if let Some((_, fault)) = self
                    .scenario
                    .faults
                    .iter()
                    .enumerate()
                    .find(|(index, _)| !done[*index])
                {
                    bail!(
                        "{} : l'incident {} n'a pas pu se produire avant l'étape « {} »",
                        self.scenario.name,
                        fault_kind(fault),
                        view.step_label
                    );
                }
                return Ok(view);
            }
            self.progress(&view)
                .await
                .with_context(|| format!("{} : à l'étape « {} »", self.scenario.name, view.step_label))?;
        }
        bail!(
            "{} : l'étape « {} » n'a pas été atteinte",
            self.scenario.name,
            step_label(&self.scenario.reach)
        )
    }

    async fn act(&self, action: LearnerAction) -> Result<LearnerView> {
        Ok(self.client.act(&self.id, &action).await?)
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

    async fn last_code(&self, channels: &[MessageChannel]) -> Result<Option<String>> {
        Ok(self
            .client
            .inbox(&self.id)
            .await?
            .iter()
            .rev()
            .filter(|message| channels.contains(&message.channel))
            .find_map(|message| message.code.clone()))
    }

    /// Time passes for this learner only (the class clock is left alone).
    /// Moves the learner's time by `delta`, rounded up to the second: a deadline at 2.7 s must
    /// have come once the advance is made, not be 0.7 s ahead.
    async fn advance(&self, delta: chrono::TimeDelta) -> Result<()> {
        if delta > chrono::TimeDelta::zero() {
            let whole_seconds = delta.num_seconds() + i64::from(delta.subsec_nanos() > 0);
            self.client.advance_learner_clock(&self.id, whole_seconds).await?;
        }
        Ok(())
    }

    fn identity(&self) -> idn_api::IdentityForm {
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

    fn document(&self) -> DocumentKind {
        self.persona.identity.document_type.unwrap_or(DocumentKind::Cni)
    }

    /// The index of the phone that holds the identity at the end: the second one when the
    /// identity moves to a new phone, the first otherwise.
    fn holder(&self) -> usize {
        let moves = self
            .scenario
            .faults
            .iter()
            .any(|fault| matches!(fault, Fault::ApprovalFromOtherDevice));
        usize::from(moves)
    }

    /// The phone holding the identity, opened on first use.
    fn phone(&mut self, index: usize) -> Result<&mut Device> {
        while self.devices.len() <= index {
            let opening = self.devices.len();
            let dir = match &self.options.identity_phone {
                Some(own) if opening == self.holder() => own.clone(),
                _ => self
                    .options
                    .devices_dir
                    .join(format!("telephone-{}", opening + 1)),
            };
            self.devices.push(Device::open(
                &dir,
                self.client.clone(),
                self.options.vault.clone(),
            )?);
        }
        Ok(&mut self.devices[index])
    }

    /// One step of the normal path.
    async fn progress(&mut self, view: &LearnerView) -> Result<()> {
        match view.step.code() {
            "email_code" => match self.last_code(&[MessageChannel::Email]).await? {
                Some(code) => drop(self.act(LearnerAction::ConfirmEmail { code }).await?),
                // Nothing arrived: the person asks for a new code, as the screen offers.
                None => drop(self.act(LearnerAction::ResendEmailCode).await?),
            },
            "password" => drop(
                self.act(LearnerAction::ChoosePassword {
                    password: self.persona.password.clone(),
                })
                .await?,
            ),
            "mobile" => drop(
                self.act(LearnerAction::RegisterMobile {
                    mobile: self.persona.mobile.clone(),
                })
                .await?,
            ),
            "mobile_code" => match self.last_code(&[MessageChannel::Sms]).await? {
                Some(code) => drop(self.act(LearnerAction::ConfirmMobile { code }).await?),
                None => drop(self.act(LearnerAction::ResendMobileCode).await?),
            },
            "profile" => drop(
                self.act(LearnerAction::CompleteProfile {
                    civility: self.persona.civility,
                    first_name: self.persona.account_first_name(),
                    last_name: self.persona.account_last_name(),
                    terms_accepted: true,
                    marketing_opt_in: false,
                })
                .await?,
            ),
            "identity_data" => drop(
                self.act(LearnerAction::EnterIdentity(Box::new(self.identity())))
                    .await?,
            ),
            "identity_confirmation" => drop(self.act(LearnerAction::ConfirmIdentity).await?),
            "verification_choice" | "locked" => drop(
                self.act(LearnerAction::ChooseVerification {
                    mode: self.scenario.verification.wire(),
                })
                .await?,
            ),
            "face_to_face" => self.clerk().await?,
            "postal_letter" => self.advance(rules::POSTAL_LETTER_DELAY).await?,
            "registered_letter" => {
                let letter = view.registered_letter.as_ref();
                if !letter.is_some_and(|letter| letter.opened) {
                    self.act(LearnerAction::ReadLetter).await?;
                }
                if !letter.is_some_and(|letter| letter.identity_confirmed) {
                    self.act(LearnerAction::ConfirmLetterIdentity).await?;
                }
                self.act(LearnerAction::StartVisualIdentification).await?;
            }
            "visual_identification" => self.submit_identification(view).await?,
            "review" => drop(self.wait_for_review(view).await?),
            "identification_refused" => drop(self.act(LearnerAction::StartVisualIdentification).await?),
            "activation" => {
                let code = self
                    .last_code(&[MessageChannel::Sms, MessageChannel::Email])
                    .await?
                    .context("aucun code d'activation reçu")?;
                let secret = self.persona.secret_code.clone();
                let id = self.id.clone();
                let phone = self.devices.len().max(1) - 1;
                self.phone(phone)?.activate(&id, &code, &secret).await?;
            }
            other => bail!("rien ne mène plus loin depuis l'étape « {} »", step_label(other)),
        }
        Ok(())
    }

    /// Time passes until the automatic review is due, then the engine waits for the world to
    /// announce its decision on the learner's event stream: the world decides in its own
    /// transaction (at once when the learner's clock jumps, or at its sweep on a running
    /// class clock), and the engine reads the outcome only once it is there.
    async fn wait_for_review(&self, view: &LearnerView) -> Result<LearnerView> {
        let mut events = self.client.learner_events(&self.id).await?;
        let now = self.client.learner_clock(&self.id).await?.now;
        let due = view
            .next_deadline
            .context("l'examen n'a pas d'échéance (examen au guichet)")?;
        self.advance(due - now).await?;
        tokio::time::timeout(DECISION_WAIT, first_view_past(&mut events, "review"))
            .await
            .map_err(|_| {
                ScenarioError::NotLanded(format!(
                    "l'examen n'a pas été décidé {} s après son échéance",
                    DECISION_WAIT.as_secs()
                ))
            })?
    }

    /// The post-office clerk reads the code and the document the person shows (the real one:
    /// a typo in the confirmed data is caught here).
    async fn clerk(&mut self) -> Result<()> {
        let code = self
            .last_code(&[MessageChannel::Sms, MessageChannel::Post])
            .await?
            .context("aucun code de face à face reçu")?;
        let identity = &self.persona.identity;
        self.client
            .clerk_validate(&ClerkValidation {
                code,
                document_type: self.document(),
                birth_name: identity.birth_name.clone(),
                birth_date: identity.birth_date.parse().context("date de naissance")?,
                document_number_ending: identity.document_number_ending.clone(),
            })
            .await?;
        Ok(())
    }

    /// Photos and video of the visual identification, from the synthetic camera and voice with
    /// this persona's specimen, degraded when the scenario wants a refusal the world's
    /// automatic review can see; a refusal only a person can judge is planned for the reviewer.
    async fn submit_identification(&mut self, view: &LearnerView) -> Result<()> {
        if self.review_desk_to_plan {
            // « Revue manuelle » for this learner, as a trainer sets it on their page.
            self.review_desk_to_plan = false;
            let id = self.id.clone();
            self.desk().await?.put_on_review_desk(&id).await?;
        }
        let reason = self.refusal_to_produce.take();
        let mut photo_fault = Degradations::NONE;
        let mut speech = Speech::Clear;
        let mut framing = Framing::Good;
        match reason.as_deref() {
            None => {}
            Some("flou") => photo_fault = photo_fault.with(Degradation::Blur),
            Some("reflet") => photo_fault = photo_fault.with(Degradation::Glare),
            Some("piece_dans_un_etui") => photo_fault = photo_fault.with(Degradation::Sleeve),
            Some("document_illisible") => photo_fault = photo_fault.with(Degradation::OutOfFrame),
            Some("chiffres_inaudibles_ou_errones") => speech = Speech::Silent,
            Some(other) => {
                if other == "visage_non_visible" {
                    framing = Framing::FaceOutOfView;
                }
                // Glasses, a face out of view, an expired document, different data: a
                // machine does not judge them; the trainer's planned refusal plays the reviewer.
                self.client
                    .set_review_policy(
                        &self.id,
                        ReviewPolicy::RefuseNext {
                            reason: other.to_owned(),
                        },
                    )
                    .await?;
            }
        }
        let digits = view
            .registered_letter
            .as_ref()
            .and_then(|letter| letter.spoken_digits.clone())
            .context("la lettre n'indique pas les 3 chiffres à dire")?;
        let specimen = self.persona.specimen()?;
        let seed = self.scenario.seed;
        let document = self.document();
        let mut photos = Vec::new();
        for (index, (side, page)) in pages(document).iter().enumerate() {
            let degradations = if index == 0 {
                photo_fault
            } else {
                Degradations::NONE
            };
            let jpeg = photo(*page, &specimen, degradations, seed)?;
            let stored = self
                .client
                .upload_media(&self.id, MediaKind::Photo, "image/jpeg", jpeg)
                .await?;
            photos.push(SubmittedPhoto {
                side: *side,
                media_id: stored.media_id,
            });
        }
        let mp4 = video(&specimen, pages(document)[0].1, &digits, speech, framing, seed)?;
        let video = self
            .client
            .upload_media(&self.id, MediaKind::Video, "video/mp4", mp4)
            .await?;
        self.act(LearnerAction::SubmitVisualIdentification {
            document_type: document,
            photos,
            video_media_id: video.media_id,
        })
        .await?;
        if let Some(reason) = reason {
            // The review happens after its delay; then the refusal must carry the reason.
            let review = self.client.learner(&self.id).await?;
            let refused = self.wait_for_review(&review).await?;
            let got = refused
                .registered_letter
                .as_ref()
                .and_then(|letter| letter.refusal_reason.clone());
            if got.as_deref() != Some(reason.as_str()) {
                bail!(
                    "l'identification devait être refusée pour « {reason} », résultat : {} ({})",
                    refused.step_label,
                    got.unwrap_or_else(|| "aucun motif".into())
                );
            }
        }
        Ok(())
    }

    async fn open_login_request(&mut self, mobile: &str) -> Result<String, DeviceError> {
        let request = self.client.open_login_request(mobile, RELYING_PARTY).await?;
        self.login_request = Some(request.request_id.clone());
        Ok(request.request_id)
    }

    async fn apply_fault(&mut self, fault: &Fault, view: &LearnerView) -> Result<()> {
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
                    .client
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
                let deadline = self.client.login_request(&request).await?.deadline;
                let now = self.client.learner_clock(&self.id).await?.now;
                self.advance(deadline - now + chrono::TimeDelta::seconds(1))
                    .await?;
            }
            Fault::ApprovalFromOtherDevice => self.move_to_new_phone_then_answer_from_old().await?,
            Fault::WrongMobileTyped { typed } => {
                let outcome = self.client.open_login_request(typed, RELYING_PARTY).await;
                self.expect_refusal("open_login_request", outcome, &["mobile_mismatch"])?;
            }
            Fault::UploadInterrupted => {
                let specimen = self.persona.specimen()?;
                let page = pages(self.document())[0].1;
                let jpeg = photo(page, &specimen, Degradations::NONE, self.scenario.seed)?;
                // Cut short, with the checksum of the whole file: an upload interrupted on the way.
                let whole = hex::encode(sha2::Sha256::digest(&jpeg));
                let cut = jpeg[..jpeg.len() / 3].to_vec();
                let outcome = self
                    .client
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
            let refused = self.client.learner(&self.id).await?;
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
            .context("aucun code de face à face reçu")?;
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
                    .client
                    .act(&self.id, &LearnerAction::ConfirmEmail { code: wrong })
                    .await;
                self.expect_refusal("confirm_email", outcome, &accepted)
            }
            CodeName::Sms => {
                // The SMS alphabet has no 0: "0000" is never the right code.
                let outcome = self
                    .client
                    .act(&self.id, &LearnerAction::ConfirmMobile { code: "0000".into() })
                    .await;
                self.expect_refusal("confirm_mobile", outcome, &accepted)
            }
            CodeName::Activation => {
                let right = self
                    .last_code(&[MessageChannel::Sms, MessageChannel::Email])
                    .await?;
                let wrong = right.as_deref().map_or_else(|| "000000".to_owned(), shifted);
                let secret = self.persona.secret_code.clone();
                let id = self.id.clone();
                let outcome = self.phone(0)?.activate(&id, &wrong, &secret).await;
                self.expect_refusal("activate", outcome, &accepted)
            }
            CodeName::FaceToFace => bail!("le code de face à face est tapé par le guichetier"),
        }
    }

    /// The person re-verified their identity to move it to a new phone (after "code secret
    /// oublié"); the old phone still shows login requests and answers one: refused.
    async fn move_to_new_phone_then_answer_from_old(&mut self) -> Result<()> {
        self.act(LearnerAction::ForgetSecretCode).await?;
        self.act(LearnerAction::ChooseVerification {
            mode: VerificationMode::FaceToFace,
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
        self.expect_refusal("answer_login_request", outcome, &["not_the_enrolled_device"])
    }
}

/// The first view of the stream whose step is no longer `step`.
pub(super) async fn first_view_past(
    events: &mut idn_device::LearnerEvents,
    step: &str,
) -> Result<LearnerView> {
    while let Some(view) = events.next().await? {
        if view.step.code() != step {
            return Ok(view);
        }
    }
    bail!("le monde a fermé le flux d'événements avant la décision de l'examen")
}
