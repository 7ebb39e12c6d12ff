//! The simulated services as one object: every state change is one unit of work of the store
//! (`crate::store`) that updates the learner, appends to their journal and delivers their
//! messages, so a process killed at any moment restarts with nothing lost and nothing half-done.
//! No SQL here: the store answers typed questions. This file holds the world, its transaction
//! core and what time does; its jobs are beside it in `world/`: the clock, the trainer's
//! settings and desk decisions, a person's actions (with the automatic review), uploads, the
//! device's activation and login requests, the clerk's desk and the app's sign-in.

use crate::api::{
    self, protocol, ActivationRequest, ApprovalAnswer, ClerkLookup, ClerkValidation, ClockMode, ClockView,
    DeclineAnswer, DeliveryFault, InboxMessage, JournalDetail, JournalEntry, LearnerAction, LearnerView,
    LoginRequestView, MediaKind, MediaView, MessageChannel, NewLoginRequest, ReviewPolicy, WorldKeys,
    WorldStatus,
};
use crate::catalogue::{self, Recipient};
use crate::clock::{ClockState, WallClock};
use crate::delivery;
use crate::journal_detail;
use crate::keys::WorldSecrets;
use crate::store::{
    database_path, InboxReads, JournalLine, JournalReads, LearnerReads, LearnerRow, NewLearnerRow, NewMedia,
    NewWorldRow, SettingsReads, Store, StoredMessage, Tx,
};
use crate::views;
use crate::WorldError;
use chrono::{DateTime, TimeDelta, Utc};
use idn_capture::{DocumentFormat, Guidance, Hint, VideoHint};
use idn_journey::account::{
    Civility, Email, MobileHolder, MobileNumber, Password, PasswordDigest, PersonName, Profile,
};
use idn_journey::enrolment::{
    DeviceId, DevicePublicKey, EnrolledDevice, ProofCheck, SecretCode, SecretVerifier,
};
use idn_journey::identity::{IdentityInput, PresentedDocument};
use idn_journey::verification::{
    MediaRef, RefusalReason, ReviewDecision, ReviewPlan, Submission, VerificationMode,
};
use idn_journey::{rules, Channel, Command, Effect, Journey, JourneyError, Stage};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use tokio::sync::broadcast;

mod actions;
mod class_name;
mod clerk;
mod clock;
mod credentials;
mod login_requests;
mod media;
mod postal;
mod settings;
mod sign_in;
mod staff_help;

pub use class_name::ClassName;
use sign_in::*;
pub use staff_help::{ClockPreset, HelpDone, HelpGroup, HelpOffer, HelpSituation, StaffHelp};

/// Largest upload accepted (a photo or the identification video).
pub const MAX_MEDIA_BYTES: usize = 64 * 1024 * 1024;

/// How the world is opened.
#[derive(Debug, Clone)]
pub struct WorldOptions {
    pub data_dir: PathBuf,
    /// Makes every code, digit and identifier reproducible. Taken on first start only.
    pub seed: Option<u64>,
    /// Delay of the automatic review; the journey caps it at 24 weekday hours.
    pub review_delay: TimeDelta,
    /// Start with the clock in this mode (first start only); `None` keeps real time.
    pub initial_clock: Option<ClockMode>,
    /// The address a served world is reached by; `None` follows each request's Host (local use,
    /// the embedded world). Applied by `RunningWorld`.
    pub public_url: Option<crate::federation::PublicUrl>,
    /// Relying parties may publish their keys on loopback and private addresses (a developer's
    /// own application on localhost); `idn world serve` turns it off. Applied by `RunningWorld`.
    pub allow_private_jwks: bool,
    /// Password checks one client address may make, whatever the account (`throttle.rs`).
    pub password_attempts_per_address: crate::throttle::AttemptQuota,
    /// Accounts one client address may open anonymously (`throttle.rs`; loopback not counted).
    pub account_openings_per_address: crate::throttle::AttemptQuota,
    /// The class's name (`idn world serve --class`), which a device joining confirms.
    pub class_name: Option<ClassName>,
}

impl WorldOptions {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            seed: None,
            review_delay: rules::DEFAULT_AUTOMATIC_REVIEW_DELAY,
            initial_clock: None,
            public_url: None,
            allow_private_jwks: true,
            password_attempts_per_address: crate::throttle::AttemptQuota::PASSWORD_ATTEMPTS_PER_ADDRESS,
            account_openings_per_address: crate::throttle::AttemptQuota::ACCOUNT_OPENINGS_PER_ADDRESS,
            class_name: None,
        }
    }
}

pub struct World {
    store: Store,
    data_dir: PathBuf,
    secrets: WorldSecrets,
    wall: Arc<dyn WallClock>,
    clock: RwLock<ClockState>,
    /// Set only when a seed was given: then every code, digit and identifier is reproducible.
    /// Otherwise each transaction draws from the OS's secure generator.
    seed: Option<[u8; 32]>,
    review_delay: TimeDelta,
    /// Told after every committed change of a learner, so that screens and pages update live.
    changes: broadcast::Sender<LearnerChanged>,
    /// The scenario engine the composition root installed for the console, if any.
    pub(crate) scenario_desk: std::sync::OnceLock<Arc<crate::console::ScenarioDesk>>,
    /// What one client address may do, counted in memory on the wall clock.
    throttles: crate::throttle::Throttles,
    class_name: Option<ClassName>,
}

/// A learner's state, journal or inbox changed (sent after the transaction committed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearnerChanged {
    pub learner_id: String,
}

use crate::clock::learner_time;

/// Who acted, for the journal.
#[derive(Debug, Clone, Copy)]
pub enum Actor {
    Learner,
    Device,
    Clerk,
    RelyingParty,
    Clock,
    /// A trainer, a support agent or a scenario planning how the world behaves for one learner.
    Trainer,
    /// AR24's reviewer deciding a visual identification at the console's review desk.
    Reviewer,
}

impl Actor {
    fn code(self) -> &'static str {
        match self {
            Self::Learner => "apprenant",
            Self::Device => "appareil",
            Self::Clerk => "guichet",
            Self::RelyingParty => "fournisseur_de_service",
            Self::Clock => "horloge",
            Self::Trainer => "formateur",
            Self::Reviewer => "relecteur",
        }
    }
}

impl World {
    /// Opens (or creates) the world in `options.data_dir`.
    pub async fn open(options: WorldOptions, wall: Arc<dyn WallClock>) -> Result<Self, WorldError> {
        std::fs::create_dir_all(&options.data_dir)?;
        let existing_database = database_path(&options.data_dir).exists();
        let secrets = WorldSecrets::load_or_create(&options.data_dir, existing_database)?;
        keep_private(&options.data_dir)?;
        let store = Store::open(&options.data_dir).await?;
        // SQLite gives its -wal and -shm files the database's mode; a world made before this
        // rule has them already, as wide as its database was.
        keep_private(&options.data_dir)?;
        let wall_now = wall.now();
        let stored = {
            let mut writer = store.write().await;
            let tx = writer.begin()?;
            let seed = match options.seed {
                Some(seed) => format!("seed:{seed}"),
                None => "os".to_owned(),
            };
            let clock = ClockState::real(wall_now).with_mode(
                wall_now,
                options.initial_clock.unwrap_or(ClockMode::Real),
                None,
            );
            let stored = tx.world_row_or_create(NewWorldRow {
                seed,
                created_at: wall_now,
                review_delay: options.review_delay,
                clock,
            })?;
            tx.commit()?;
            stored
        };
        // Credentials that ended long ago have told their holders why: forget them.
        let forgotten_before = wall_now - crate::access::credentials::ENDED_KEPT;
        store
            .change(|tx| tx.delete_credentials_ended_before(forgotten_before))
            .await?;
        let (seed_text, review_delay, clock) = (stored.seed, stored.review_delay, stored.clock);
        let seed = seed_text
            .starts_with("seed:")
            .then(|| Sha256::digest(seed_text.as_bytes()).into());
        let throttles = crate::throttle::Throttles::new(
            crate::throttle::AddressQuotas {
                password_attempts: options.password_attempts_per_address,
                account_openings: options.account_openings_per_address,
            },
            wall.clone(),
        );
        Ok(Self {
            store,
            data_dir: options.data_dir.clone(),
            secrets,
            wall,
            clock: RwLock::new(clock),
            seed,
            review_delay,
            changes: broadcast::channel(256).0,
            scenario_desk: std::sync::OnceLock::new(),
            throttles,
            class_name: options.class_name.clone(),
        })
    }

    /// The limits per client address (password attempts, account openings).
    pub(crate) fn throttles(&self) -> &crate::throttle::Throttles {
        &self.throttles
    }

    /// The store, for the typed questions and changes of the console's staff tables and the
    /// federation's registry; learners are changed only through the world's units of work.
    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// Where the world keeps its files (the database, its secrets, the federation's keys).
    pub(crate) fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    /// Whether a learner has registered this mobile number (at any step).
    pub(crate) async fn mobile_registered(&self, mobile: &str) -> Result<bool, WorldError> {
        Ok(self.store.read().await.mobile_registered(mobile)?)
    }

    /// The learners whose identification waits for review, the longest waiting first.
    pub(crate) async fn learners_under_review(&self) -> Result<Vec<String>, WorldError> {
        Ok(self.store.read().await.learners_under_review()?)
    }

    /// The id of the learner a login request belongs to.
    pub(crate) async fn learner_of_login_request(
        &self,
        request_id: &str,
    ) -> Result<Option<String>, WorldError> {
        Ok(self.store.read().await.learner_id_of_login_request(request_id)?)
    }

    /// The world's current simulated time.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.read().expect("clock lock").now(self.wall.now())
    }

    /// Randomness of one transaction: derived from (seed, scope, sequence number) when the
    /// world is seeded, so a replay gives the same codes; from the OS otherwise.
    fn rng_for(&self, scope: &str, seq: i64) -> ChaCha20Rng {
        match self.seed {
            Some(seed) => {
                let mut hasher = Sha256::new();
                hasher.update(seed);
                hasher.update(scope.as_bytes());
                hasher.update(seq.to_le_bytes());
                ChaCha20Rng::from_seed(hasher.finalize().into())
            }
            None => ChaCha20Rng::from_rng(rand::rngs::OsRng).expect("the OS random generator is available"),
        }
    }

    pub async fn status(&self) -> Result<WorldStatus, WorldError> {
        let learners = self.store.read().await.learner_count()?;
        Ok(WorldStatus {
            service: "IDN Sandbox — monde simulé".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            simulation: true,
            now: self.now(),
            clock: self.clock_view(),
            learners,
            class_name: self.class_name().map(str::to_owned),
        })
    }

    /// The world's HPKE key, endorsed by its identity key (`protocol::world_keys`).
    pub fn keys(&self) -> WorldKeys {
        self.secrets.public_keys().clone()
    }

    // ----- learners -----

    /// Creates a La Poste account for `email`: the 6-digit code is emailed at once.
    pub async fn create_learner(&self, email: &str) -> Result<LearnerView, WorldError> {
        self.create_planned_learner(email, Vec::new()).await
    }

    /// Creates an account whose messages follow `delivery` from the first one on (the emailed
    /// code may land in spam or never arrive); the plan is journaled before the account starts.
    pub async fn create_planned_learner(
        &self,
        email: &str,
        delivery: Vec<DeliveryFault>,
    ) -> Result<LearnerView, WorldError> {
        Ok(self.open_account(email, delivery, false).await?.0)
    }

    /// `create_planned_learner` through the API: the account's credential is issued in the same
    /// unit of work, so an account never exists without the access its creator was given.
    pub async fn open_account_with_access(
        &self,
        email: &str,
        delivery: Vec<DeliveryFault>,
    ) -> Result<api::LearnerAccess, WorldError> {
        let (learner, credential) = self.open_account(email, delivery, true).await?;
        let credential =
            credential.ok_or_else(|| WorldError::Corrupt("account opened without access".into()))?;
        Ok(api::LearnerAccess { learner, credential })
    }

    async fn open_account(
        &self,
        email: &str,
        delivery: Vec<DeliveryFault>,
        with_access: bool,
    ) -> Result<(LearnerView, Option<api::IssuedCredential>), WorldError> {
        let email = Email::parse(email)?;
        delivery::validate(&delivery)?;
        let mut writer = self.store.write().await;
        let tx = writer.begin()?;
        let (count, review_desk) = tx.count_new_learner()?;
        let mut id_rng = self.rng_for("learner-ids", count);
        let mut id_bytes = [0u8; 16];
        id_rng.fill_bytes(&mut id_bytes);
        let id = uuid::Builder::from_random_bytes(id_bytes).into_uuid().to_string();
        let now = self.now();
        let policy = ReviewPolicy::Automatic;
        tx.insert_learner(NewLearnerRow {
            id: &id,
            at: now,
            email: email.as_str(),
            review_policy: &policy,
            review_desk,
        })?;
        let mut loaded = LearnerRow {
            id: id.clone(),
            journey: Journey::default(),
            seq: 0,
            review_policy: policy,
            delivery: Vec::new(),
            review_desk,
            clock_offset: TimeDelta::zero(),
        };
        if !delivery.is_empty() {
            let detail = JournalDetail::DeliveryPlanned {
                faults: delivery.clone(),
            };
            loaded.delivery = delivery;
            self.record(
                &tx,
                &mut loaded,
                now,
                Actor::Trainer,
                "plan_delivery",
                idn_journey::Step::NotStarted,
                &[],
                Ok(Some(detail)),
            )?;
        }
        if review_desk {
            // The class's "revue manuelle" is this learner's setting from the start: journaled,
            // so that the journal says how their identifications were to be reviewed.
            self.record(
                &tx,
                &mut loaded,
                now,
                Actor::Trainer,
                "plan_review",
                idn_journey::Step::NotStarted,
                &[],
                Ok(Some(JournalDetail::ReviewDeskSet { desk: true })),
            )?;
        }
        let result = self.step_in(
            &tx,
            &mut loaded,
            now,
            Actor::Learner,
            "start_account",
            |_, _, _| Ok(Command::StartAccount { email }),
        )?;
        let credential = match (&result, with_access) {
            (Ok(()), true) => Some(crate::access::credentials::issue(
                &tx,
                &id,
                api::CredentialKind::Account,
                None,
                self.wall_now(),
            )?),
            _ => None,
        };
        tx.commit()?;
        self.announce(&id);
        result?;
        Ok((
            views::learner_view(&id, &loaded.journey, &loaded.review_policy),
            credential,
        ))
    }

    pub async fn learner(&self, id: &str) -> Result<LearnerView, WorldError> {
        self.catch_up(id).await?;
        let loaded = self.store.read().await.learner(id)?;
        Ok(views::learner_view(id, &loaded.journey, &loaded.review_policy))
    }

    pub async fn learners(&self) -> Result<Vec<LearnerView>, WorldError> {
        self.sweep().await?;
        let learners = self.store.read().await.all_learners()?;
        Ok(learners
            .iter()
            .map(|(id, journey, policy)| views::learner_view(id, journey, policy))
            .collect())
    }

    // ----- reading -----

    pub async fn inbox(&self, id: &str) -> Result<Vec<InboxMessage>, WorldError> {
        self.catch_up(id).await?;
        Ok(self.store.read().await.inbox(id)?)
    }

    /// The support agent's reading: the code awaited, the blockers, the identity as typed.
    pub async fn situation(&self, id: &str) -> Result<api::LearnerSituation, WorldError> {
        self.catch_up(id).await?;
        let (loaded, withheld) = {
            let reader = self.store.read().await;
            (reader.learner(id)?, reader.withheld_count(id)?)
        };
        Ok(crate::situation::view(
            id,
            &loaded.journey,
            &loaded.delivery,
            withheld,
            learner_time(self.now(), loaded.clock_offset),
        ))
    }

    pub async fn journal(&self, id: &str) -> Result<Vec<JournalEntry>, WorldError> {
        self.catch_up(id).await?;
        let mut entries = {
            let reader = self.store.read().await;
            let entries = reader.journal(id)?;
            if entries.is_empty() {
                reader.learner(id)?;
            }
            entries
        };
        for entry in &mut entries {
            if let Some(detail) = &entry.detail {
                entry.message = Some(journal_detail::sentence(detail));
            }
        }
        Ok(entries)
    }

    // ----- change feed -----

    /// Every committed change from now on. A slow receiver that lags only misses
    /// notifications, never data: it reloads what it shows.
    pub fn subscribe(&self) -> broadcast::Receiver<LearnerChanged> {
        self.changes.subscribe()
    }

    fn announce(&self, learner_id: &str) {
        // No receiver is the normal case when nobody watches.
        let _ = self.changes.send(LearnerChanged {
            learner_id: learner_id.to_owned(),
        });
    }

    // ----- time passing -----

    /// Lets every learner whose deadline has come (in their own time) catch up with the clock.
    pub async fn sweep(&self) -> Result<usize, WorldError> {
        let now = self.now();
        // Learners on the class clock are selected by SQL; those ahead of it are few and compared
        // here, in their own time.
        let candidates = self.store.read().await.deadlines_due_by(now)?;
        let due: Vec<String> = candidates
            .into_iter()
            .filter(|(_, deadline, offset)| *deadline <= learner_time(now, *offset))
            .map(|(id, _, _)| id)
            .collect();
        for id in &due {
            self.catch_up(id).await?;
        }
        Ok(due.len())
    }

    /// Applies what time has done to one learner (letter delivered, review decided, request expired).
    async fn catch_up(&self, id: &str) -> Result<(), WorldError> {
        // Most reads find nothing due: answer them without the writer lock or a transaction, so
        // that screens and login pages polling many learners do not queue behind each other.
        let (deadline, offset) = self.store.read().await.deadline_of(id)?;
        if deadline.is_none_or(|at| at > learner_time(self.now(), offset)) {
            return Ok(());
        }
        let mut writer = self.store.write().await;
        let tx = writer.begin()?;
        let mut loaded = tx.learner(id)?;
        let changed = self.let_time_pass(&tx, &mut loaded, self.now())?;
        tx.commit()?;
        if changed {
            self.announce(id);
        }
        Ok(())
    }

    /// Inside a transaction: when the learner's next deadline has come, advances the journey
    /// and journals what time did. `class_now` is the class clock's time; the learner's is used.
    fn let_time_pass(
        &self,
        tx: &Tx<'_>,
        loaded: &mut LearnerRow,
        class_now: DateTime<Utc>,
    ) -> Result<bool, WorldError> {
        let now = learner_time(class_now, loaded.clock_offset);
        if loaded
            .journey
            .next_deadline()
            .is_none_or(|deadline| deadline > now)
        {
            return Ok(false);
        }
        let before = loaded.journey.step();
        let mut rng = self.rng_for(&loaded.id, loaded.seq + 1);
        let effects = loaded.journey.advance(now, &mut rng);
        self.record(
            tx,
            loaded,
            now,
            Actor::Clock,
            "time_passed",
            before,
            &effects,
            Ok(None),
        )?;
        Ok(true)
    }

    // ----- the transaction core -----

    /// Loads a learner, lets time pass, builds and applies one command, stores everything.
    async fn transition(
        &self,
        id: &str,
        actor: Actor,
        action: &str,
        build: impl FnOnce(&LearnerRow, DateTime<Utc>) -> Result<Command, WorldError> + Send,
    ) -> Result<LearnerView, WorldError> {
        self.transition_reading(id, actor, action, |loaded, now, _| build(loaded, now))
            .await
    }

    /// `transition` for a command that carries a fact about other learners (who holds a mobile
    /// number): `build` asks the store inside the same unit of work, so no other change can
    /// come between the answer and the step.
    async fn transition_reading(
        &self,
        id: &str,
        actor: Actor,
        action: &str,
        build: impl FnOnce(&LearnerRow, DateTime<Utc>, &Tx<'_>) -> Result<Command, WorldError> + Send,
    ) -> Result<LearnerView, WorldError> {
        self.transition_with(id, actor, action, build, |_, _| Ok(()))
            .await
            .map(|(view, ())| view)
    }

    /// `transition_reading`, then `after` in the same unit of work once the step was taken (a
    /// refused step is journaled without it): what the step earns, such as a credential,
    /// exists exactly when the step does.
    async fn transition_with<T>(
        &self,
        id: &str,
        actor: Actor,
        action: &str,
        build: impl FnOnce(&LearnerRow, DateTime<Utc>, &Tx<'_>) -> Result<Command, WorldError> + Send,
        after: impl FnOnce(&Tx<'_>, &LearnerRow) -> Result<T, WorldError>,
    ) -> Result<(LearnerView, T), WorldError> {
        let mut writer = self.store.write().await;
        let tx = writer.begin()?;
        let mut loaded = tx.learner(id)?;
        let now = self.now();
        self.let_time_pass(&tx, &mut loaded, now)?;
        let result = self.step_in(&tx, &mut loaded, now, actor, action, build)?;
        let earned = match result {
            Ok(()) => Ok(after(&tx, &loaded)?),
            Err(error) => Err(error),
        };
        tx.commit()?;
        self.announce(id);
        let earned = earned?;
        Ok((
            views::learner_view(id, &loaded.journey, &loaded.review_policy),
            earned,
        ))
    }

    /// Runs one command inside the caller's transaction. The outer result is a storage
    /// failure (roll back); the inner one is the journey's verdict (journaled, then returned).
    /// `class_now` is the class clock's time; the command sees the learner's.
    fn step_in(
        &self,
        tx: &Tx<'_>,
        loaded: &mut LearnerRow,
        class_now: DateTime<Utc>,
        actor: Actor,
        action: &str,
        build: impl FnOnce(&LearnerRow, DateTime<Utc>, &Tx<'_>) -> Result<Command, WorldError>,
    ) -> Result<Result<(), WorldError>, WorldError> {
        let now = learner_time(class_now, loaded.clock_offset);
        let before = loaded.journey.step();
        let mut rng = self.rng_for(&loaded.id, loaded.seq + 1);
        let mut detail = None;
        let (effects, verdict) = match build(loaded, now, tx) {
            Ok(command) => {
                detail = decision_detail(&command);
                let consumes_refusal = matches!(
                    &command,
                    Command::SubmitVisualIdentification {
                        plan: ReviewPlan::Automatic {
                            decision: ReviewDecision::Refused(_),
                            ..
                        },
                        ..
                    }
                ) && matches!(loaded.review_policy, ReviewPolicy::RefuseNext { .. });
                let verdict = loaded.journey.handle(command, now, &mut rng);
                if verdict.is_ok() && consumes_refusal {
                    // The trainer's planned refusal is spent only by a submission that was taken.
                    loaded.review_policy = ReviewPolicy::Automatic;
                }
                match verdict {
                    Ok(effects) => (effects, Ok(())),
                    Err(error) => (Vec::new(), Err(WorldError::from(error))),
                }
            }
            Err(
                error
                @ (WorldError::Journey(_) | WorldError::BadRequest { .. } | WorldError::NotFound { .. }),
            ) => (Vec::new(), Err(error)),
            Err(other) => return Err(other),
        };
        let journaled = match &verdict {
            Ok(()) => Ok(detail),
            Err(error) => Err((error.code(), error.message_fr())),
        };
        self.record(tx, loaded, now, actor, action, before, &effects, journaled)?;
        Ok(verdict)
    }

    /// Writes the learner row, one journal line and the messages of `effects`.
    #[allow(clippy::too_many_arguments)]
    fn record(
        &self,
        tx: &Tx<'_>,
        loaded: &mut LearnerRow,
        now: DateTime<Utc>,
        actor: Actor,
        action: &str,
        before: idn_journey::Step,
        effects: &[Effect],
        outcome: Result<Option<JournalDetail>, (&'static str, String)>,
    ) -> Result<(), WorldError> {
        loaded.seq += 1;
        let (email, mobile) = views::contact(&loaded.journey);
        let first_name = views::first_name(&loaded.journey);
        let registered_mobile = loaded
            .journey
            .person()
            .map(|person| person.account.mobile.to_string());
        // Messages are routed first: routing spends the delivery plan stored below.
        let routed: Vec<(MessageChannel, delivery::Folder)> = effects
            .iter()
            .map(|Effect::Send { channel, notice }| {
                let channel = match channel {
                    Channel::Email => MessageChannel::Email,
                    Channel::Sms => MessageChannel::Sms,
                    Channel::Post => MessageChannel::Post,
                };
                (channel, delivery::route(&mut loaded.delivery, channel, notice))
            })
            .collect();
        let (outcome_code, detail, message) = match &outcome {
            Ok(detail) => ("ok", detail.as_ref(), None),
            Err((code, message)) => (*code, None, Some(message.as_str())),
        };
        let email = email.unwrap_or_default();
        let recipient = Recipient {
            email: &email,
            mobile: mobile.as_deref(),
            first_name: first_name.as_deref(),
        };
        let rendered: Vec<_> = effects
            .iter()
            .map(|Effect::Send { channel, notice }| catalogue::render(*channel, notice, &recipient))
            .collect();
        let messages: Vec<StoredMessage<'_>> = rendered
            .iter()
            .zip(&routed)
            .map(|(message, (channel, folder))| StoredMessage {
                channel: *channel,
                sender: message.sender,
                recipient: &message.recipient,
                subject: &message.subject,
                body: &message.body,
                link: message.link.as_deref(),
                folder: folder.code(),
                code: message.code.as_deref(),
            })
            .collect();
        tx.save_step(
            loaded,
            registered_mobile.as_deref(),
            &JournalLine {
                at: now,
                recorded_at: self.wall.now(),
                actor: actor.code(),
                action,
                outcome: outcome_code,
                message,
                detail,
                step_before: before,
            },
            &messages,
        )?;
        Ok(())
    }
}

/// The world's files hold personal data, one-time codes and keys: its folder is its owner's
/// only (0700), and so are the database (created here empty, 0600, before SQLite opens it, so
/// that it never exists wider; SQLite gives its -wal and -shm the same mode), the keys files and
/// whatever an older world left wider. Uploaded media are rows of the database. Unix only: other
/// systems keep the folder's default access.
fn keep_private(data_dir: &std::path::Path) -> Result<(), WorldError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let private = |path: &std::path::Path, mode: u32| -> std::io::Result<()> {
            if std::fs::metadata(path)?.permissions().mode() & 0o777 != mode {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
            }
            Ok(())
        };
        private(data_dir, 0o700)?;
        let database = database_path(data_dir);
        if !database.exists() {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&database)?;
        }
        let beside_database = ["-wal", "-shm", "-journal"].map(|suffix| {
            let mut name = database.clone().into_os_string();
            name.push(suffix);
            std::path::PathBuf::from(name)
        });
        let keys = [crate::keys::FILE_NAME, "federation-keys.json"].map(|name| data_dir.join(name));
        for path in std::iter::once(database).chain(beside_database).chain(keys) {
            match private(&path, 0o600) {
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                other => other?,
            }
        }
    }
    #[cfg(not(unix))]
    let _ = data_dir;
    Ok(())
}

/// Who holds `mobile` besides the learner `learner_id`, as the store reads it inside `tx`: the
/// fact the journey's rule of one identity per number needs (it cannot see other learners).
/// No number yet (a command at the wrong step) holds nothing: the journey refuses the step.
fn mobile_holder(
    tx: &Tx<'_>,
    learner_id: &str,
    mobile: Option<&MobileNumber>,
) -> Result<MobileHolder, WorldError> {
    let held = match mobile {
        Some(mobile) => tx.mobile_held_by_another(mobile.as_str(), learner_id)?,
        None => false,
    };
    Ok(if held {
        MobileHolder::AnotherIdentity
    } else {
        MobileHolder::NoOtherIdentity
    })
}

/// What a journal line carries beside its outcome when the command is a person's decision at
/// a desk: the reviewer's verdict and reason, so that the journal alone tells what they decided.
fn decision_detail(command: &Command) -> Option<JournalDetail> {
    match command {
        Command::ReviewIdentification { decision } => Some(match decision {
            ReviewDecision::Accepted => JournalDetail::ReviewDecided {
                accepted: true,
                reason: None,
            },
            ReviewDecision::Refused(reason) => JournalDetail::ReviewDecided {
                accepted: false,
                reason: Some(reason.code().to_owned()),
            },
        }),
        // Every other command's line says nothing beyond its outcome and steps.
        _ => None,
    }
}
