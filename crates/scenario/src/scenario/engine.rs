//! The engine: applies a scenario to a world as a person would (device core, public API, the learner's own clock).

use super::*;

mod faults;
mod identification;
mod options;
mod path;
mod phones;
mod report;

pub use options::*;
pub use report::*;

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

/// For `mobile_already_enrolled`: another person (a relative, `proche.` before the persona's
/// email) enrols an identity with the persona's mobile number first, face to face, on a phone
/// of their own (`titulaire` in the devices folder). Returns their report: its `mobile` is the
/// number as the world knows it.
async fn enrol_holder_of_the_number(
    client: &WorldClient,
    scenario: &Scenario,
    persona: &Persona,
    options: &ApplyOptions,
    staff: Option<&EngineAccount>,
) -> Result<Applied> {
    let mut holder = persona.clone();
    holder.name = format!("titulaire-du-numero-de-{}", persona.name);
    holder.email = format!("proche.{}", persona.email);
    let enrolled = Scenario {
        version: SCENARIO_VERSION,
        name: format!("{}-titulaire", scenario.name),
        title: "Identité Numérique déjà active sur ce numéro".into(),
        situation: String::new(),
        explanation: "Identité Numérique active.".into(),
        persona: PersonaRef::Inline(Box::new(holder)),
        seed: scenario.seed,
        verification: Verification::FaceToFace,
        reach: "enrolled".into(),
        faults: Vec::new(),
    };
    let phones = ApplyOptions {
        devices_dir: options.devices_dir.join("titulaire"),
        vault: options.vault.clone(),
        identity_phone: None,
    };
    apply_as(client, &enrolled, &phones, staff).await
}

/// The world's refusal carried by `error`, if it is one.
pub(super) fn refusal_of(error: &DeviceError) -> Option<(String, String)> {
    match error {
        DeviceError::Client(ClientError::World {
            status,
            code,
            message,
            ..
        }) if *status < 500 => Some((code.clone(), message.clone())),
        DeviceError::Invalid { code, message } => Some(((*code).to_owned(), message.clone())),
        _ => None,
    }
}

/// A scenario being applied: the learner, the phones, what happened.
pub(super) struct Run<'a> {
    /// The learner's side of the world: the account's credential, given when it was opened.
    learner: WorldClient,
    /// The trainer's side (opening the account with its plan, settings, a relying party's
    /// login requests, the support reading): the engine's console session, or the caller's
    /// credential.
    trainer: WorldClient,
    /// The account as the world opened it, with its credential: each phone signs in with it.
    access: idn_api::LearnerAccess,
    scenario: &'a Scenario,
    persona: Persona,
    options: &'a ApplyOptions,
    /// What the caller asks beyond the scenario, and where each move is reported.
    walkthrough: Walkthrough<'a>,
    id: String,
    /// Phones in the order the person used them, with their profile folder; the last one holds
    /// the identity.
    devices: Vec<(PathBuf, Device)>,
    refusals: Vec<Refusal>,
    device_failures: Vec<DeviceFailure>,
    login_request: Option<String>,
    /// The refusal reason still to produce at the next visual identification.
    refusal_to_produce: Option<String>,
    /// Visual identifications submitted so far.
    submissions: u32,
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
/// console's desk API, and show in the staff audit under its address.
pub async fn apply_as(
    client: &WorldClient,
    scenario: &Scenario,
    options: &ApplyOptions,
    staff: Option<&EngineAccount>,
) -> Result<Applied> {
    let mut unobserved = |_: Progress| {};
    let walkthrough = Walkthrough::plain(&mut unobserved);
    apply_walkthrough(client, scenario, options, staff, walkthrough).await
}

/// As [`apply_as`], with what `walkthrough` asks beyond the scenario (the person's own media, a
/// first take spoiled on purpose, a login at the end, throw-away phones), each move reported to
/// it as it happens.
pub async fn apply_walkthrough<'a>(
    client: &'a WorldClient,
    scenario: &'a Scenario,
    options: &'a ApplyOptions,
    staff: Option<&'a EngineAccount>,
    walkthrough: Walkthrough<'a>,
) -> Result<Applied> {
    scenario.check()?;
    if staff.is_none() && scenario.decides_at_a_desk() {
        // Refused before the world is touched: no learner left half-way.
        invalid!("{} : {NO_DESK_ACCOUNT}", scenario.name);
    }
    if walkthrough.afterwards == Afterwards::ApprovedLogin && scenario.reach != "enrolled" {
        invalid!(
            "{} : une connexion se valide depuis l'étape « {} », pas « {} »",
            scenario.name,
            step_label("enrolled"),
            step_label(&scenario.reach)
        );
    }
    let mut persona = scenario.persona()?.clone();
    let holder = if scenario
        .faults
        .iter()
        .any(|fault| matches!(fault, Fault::MobileAlreadyEnrolled))
    {
        Some(
            Box::pin(enrol_holder_of_the_number(
                client, scenario, &persona, options, staff,
            ))
            .await?,
        )
    } else {
        None
    };
    // On a world that already has learners, the persona gets contacts of its own: two learners
    // sharing a mobile number would receive each other's login requests.
    let existing = client.status().await?.learners;
    if existing > 0 {
        distinguish(&mut persona, existing);
    }
    if let Some(holder) = holder {
        // On purpose: the number of the identity enrolled just before.
        persona.mobile = holder.mobile;
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
    // The desk session opens first: a trainer opens the account with its plan.
    let desk = match staff {
        Some(account) => Some(ConsoleDesk::sign_in(client.base_url(), account).await?),
        None => None,
    };
    let trainer = match &desk {
        Some(desk) => desk.api(),
        None => client.clone(),
    };
    (walkthrough.progress)(Progress::Acting(Step::NotStarted));
    let opened = trainer
        .create_planned_learner(&PlannedLearner {
            email: persona.email.clone(),
            delivery,
        })
        .await;
    let access = match opened {
        Ok(access) => access,
        Err(error) => {
            if let Some(desk) = desk {
                desk.sign_out().await;
            }
            return Err(error.into());
        }
    };
    let learner = access.learner.clone();
    (walkthrough.progress)(Progress::Moved(Move::AccountCreated {
        learner_id: learner.id.clone(),
        email: persona.email.clone(),
    }));
    let phones = walkthrough.phones;
    let mut run = Run {
        learner: client.with_credential(idn_api::Credential::new(access.credential.token.clone())),
        trainer,
        access,
        scenario,
        persona,
        options,
        walkthrough,
        id: learner.id,
        devices: Vec::new(),
        refusals: Vec::new(),
        device_failures: Vec::new(),
        login_request: None,
        refusal_to_produce: scenario.faults.iter().find_map(|fault| match fault {
            Fault::IdentificationRefused { reason } => Some(reason.clone()),
            _ => None,
        }),
        submissions: 0,
        staff,
        desk,
        review_desk_to_plan: scenario
            .faults
            .iter()
            .any(|fault| matches!(fault, Fault::ReviewDesk { .. })),
    };
    let walked = match run.walk().await {
        Ok(view) => run.afterwards().await.map(|()| view),
        Err(error) => Err(error),
    };
    // Throw-away phones go whether the scenario landed or not: nothing is left in the keyring.
    let discarded = match phones {
        Phones::Discarded => run.discard_phones().await,
        Phones::Kept => Ok(()),
    };
    let finished = async {
        let view = walked?;
        discarded?;
        if run.options.identity_phone.is_some() {
            // The person's own phone follows the account (opening it signs it in).
            let holder = run.holder();
            run.phone(holder)?;
        }
        // Read as support reads it, still with the engine's trainer access.
        let situation = run.trainer.situation(&run.id).await?;
        Ok::<_, ScenarioError>((view, situation))
    }
    .await;
    if let Some(desk) = run.desk.take() {
        // The engine's session ends with the scenario, as a person signs out.
        desk.sign_out().await;
    }
    let (view, situation) = finished?;
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
        credential: run.access.credential.clone(),
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
    /// Reports a move to the walkthrough's observer.
    fn moved(&mut self, done: Move) {
        (self.walkthrough.progress)(Progress::Moved(done));
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
            let view = self.learner.learner(&self.id).await?;
            let due = self
                .scenario
                .faults
                .iter()
                .enumerate()
                .find(|(index, fault)| !done[*index] && fault.step() == Some(view.step.code()));
            if let Some((index, fault)) = due {
                let fault = fault.clone();
                (self.walkthrough.progress)(Progress::Acting(view.step));
                self.apply_fault(&fault, &view).await?;
                self.moved(Move::FaultApplied {
                    fault: fault_kind(&fault),
                    step: view.step,
                });
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
            (self.walkthrough.progress)(Progress::Acting(view.step));
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
        Ok(self.learner.act(&self.id, &action).await?)
    }

    async fn last_code(&self, channels: &[MessageChannel]) -> Result<Option<String>> {
        Ok(self
            .learner
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
            self.learner
                .advance_learner_clock(&self.id, whole_seconds)
                .await?;
        }
        Ok(())
    }

    fn document(&self) -> DocumentKind {
        self.persona.identity.document_type.unwrap_or(DocumentKind::Cni)
    }
}
