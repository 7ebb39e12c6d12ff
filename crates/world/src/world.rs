//! The simulated services as one object: every state change is one unit of work of the store
//! (`crate::store`) that updates the learner, appends to their journal and delivers their
//! messages, so a process killed at any moment restarts with nothing lost and nothing half-done.
//! No SQL here: the store answers typed questions.

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
use idn_journey::account::{Civility, Email, MobileNumber, Password, PasswordDigest, PersonName, Profile};
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
use sqlx::SqlitePool;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use tokio::sync::broadcast;

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
        let store = Store::open(&options.data_dir).await?;
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
        let (seed_text, review_delay, clock) = (stored.seed, stored.review_delay, stored.clock);
        let seed = seed_text
            .starts_with("seed:")
            .then(|| Sha256::digest(seed_text.as_bytes()).into());
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
        })
    }

    /// The storage, for the federation module's own tables (relying parties) and read-only
    /// lookups of who answered a login request; learners are still changed only through here.
    pub(crate) fn pool(&self) -> &SqlitePool {
        self.store.pool()
    }

    /// Where the world keeps its files (the database, its secrets, the federation's keys).
    pub(crate) fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    /// Whether a learner has registered this mobile number (at any step).
    pub(crate) async fn mobile_registered(&self, mobile: &str) -> Result<bool, WorldError> {
        Ok(self.store.read().await.mobile_registered(mobile)?)
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
        })
    }

    pub fn keys(&self) -> WorldKeys {
        WorldKeys {
            hpke_suite: protocol::HPKE_SUITE.into(),
            hpke_public_key: self.secrets.hpke_public_hex(),
        }
    }

    // ----- clock -----

    pub fn clock_view(&self) -> ClockView {
        let state = *self.clock.read().expect("clock lock");
        ClockView {
            now: state.now(self.wall.now()),
            mode: state.mode,
        }
    }

    async fn store_clock(&self, state: ClockState) -> Result<(), WorldError> {
        let mut writer = self.store.write().await;
        let tx = writer.begin()?;
        tx.set_clock(&state)?;
        tx.commit()?;
        *self.clock.write().expect("clock lock") = state;
        Ok(())
    }

    /// Moves simulated time forward, then lets every learner catch up.
    pub async fn advance_clock(&self, delta: TimeDelta) -> Result<ClockView, WorldError> {
        if delta < TimeDelta::zero() {
            return Err(WorldError::bad_request(
                "clock_backwards",
                "Le temps simulé ne peut pas reculer.",
            ));
        }
        if self
            .now()
            .checked_add_signed(delta)
            .is_none_or(|at| at > crate::clock::latest_simulated_time())
        {
            return Err(WorldError::bad_request(
                "clock_too_far",
                "Le temps simulé ne peut pas dépasser l'an 2200.",
            ));
        }
        let state = self
            .clock
            .read()
            .expect("clock lock")
            .advanced(self.wall.now(), delta);
        self.store_clock(state).await?;
        self.sweep().await?;
        Ok(self.clock_view())
    }

    pub async fn set_clock(
        &self,
        mode: ClockMode,
        at: Option<DateTime<Utc>>,
    ) -> Result<ClockView, WorldError> {
        if let ClockMode::Accelerated { factor } = mode {
            if !(factor.is_finite() && factor > 0.0 && factor <= 1_000_000.0) {
                return Err(WorldError::bad_request(
                    "invalid_clock_factor",
                    "Le facteur d'accélération doit être compris entre 0 et 1 000 000.",
                ));
            }
        }
        if let Some(at) = at {
            if at > crate::clock::latest_simulated_time() {
                return Err(WorldError::bad_request(
                    "clock_too_far",
                    "Le temps simulé ne peut pas dépasser l'an 2200.",
                ));
            }
            if at < self.now() {
                return Err(WorldError::bad_request(
                    "clock_backwards",
                    "Le temps simulé ne peut pas reculer.",
                ));
            }
        }
        let state = self
            .clock
            .read()
            .expect("clock lock")
            .with_mode(self.wall.now(), mode, at);
        self.store_clock(state).await?;
        self.sweep().await?;
        Ok(self.clock_view())
    }

    // ----- one learner's clock -----

    /// One learner's clock: the class clock plus their own advance.
    pub async fn learner_clock(&self, id: &str) -> Result<api::LearnerClockView, WorldError> {
        self.catch_up(id).await?;
        let loaded = self.store.read().await.learner(id)?;
        Ok(self.learner_clock_view(&loaded))
    }

    fn learner_clock_view(&self, loaded: &LearnerRow) -> api::LearnerClockView {
        let class = self.clock_view();
        api::LearnerClockView {
            learner_id: loaded.id.clone(),
            now: learner_time(class.now, loaded.clock_offset),
            offset_seconds: loaded.clock_offset.num_seconds(),
            class,
        }
    }

    /// Moves one learner's time forward by `delta` without touching the rest of the class: what
    /// falls due in between happens at once (codes expire, the review is decided, the 15 days
    /// pass). The advance is journaled (actor `formateur`) before what time did. A learner has
    /// no speed of their own: their time runs at the class clock's speed.
    pub async fn advance_learner_clock(
        &self,
        id: &str,
        delta: TimeDelta,
    ) -> Result<api::LearnerClockView, WorldError> {
        if delta <= TimeDelta::zero() {
            return Err(WorldError::bad_request(
                "clock_backwards",
                "Le temps simulé ne peut pas reculer : indiquez une durée positive.",
            ));
        }
        let mut writer = self.store.write().await;
        let tx = writer.begin()?;
        let mut loaded = tx.learner(id)?;
        let class_now = self.now();
        let offset = loaded
            .clock_offset
            .checked_add(&delta)
            .filter(|offset| {
                class_now
                    .checked_add_signed(*offset)
                    .is_some_and(|at| at <= crate::clock::latest_simulated_time())
            })
            .ok_or_else(|| {
                WorldError::bad_request("clock_too_far", "Le temps simulé ne peut pas dépasser l'an 2200.")
            })?;
        // What was already due happens at the learner's old time, then the jump.
        self.let_time_pass(&tx, &mut loaded, class_now)?;
        loaded.clock_offset = offset;
        let step = loaded.journey.step();
        let detail = JournalDetail::LearnerClockAdvanced {
            seconds: delta.num_seconds(),
            ahead_seconds: offset.num_seconds(),
        };
        self.record(
            &tx,
            &mut loaded,
            learner_time(class_now, offset),
            Actor::Trainer,
            "advance_learner_clock",
            step,
            &[],
            Ok(Some(detail)),
        )?;
        self.let_time_pass(&tx, &mut loaded, class_now)?;
        tx.commit()?;
        self.announce(id);
        Ok(self.learner_clock_view(&loaded))
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
        let result = self.step_in(&tx, &mut loaded, now, Actor::Learner, "start_account", |_, _| {
            Ok(Command::StartAccount { email })
        })?;
        tx.commit()?;
        self.announce(&id);
        result?;
        Ok(views::learner_view(&id, &loaded.journey, &loaded.review_policy))
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

    pub async fn set_review_policy(&self, id: &str, policy: ReviewPolicy) -> Result<LearnerView, WorldError> {
        if let ReviewPolicy::RefuseNext { reason } = &policy {
            if RefusalReason::from_code(reason).is_none() {
                return Err(WorldError::bad_request(
                    "unknown_refusal_reason",
                    format!("Motif de refus inconnu : « {reason} »."),
                ));
            }
        }
        let detail = JournalDetail::ReviewPolicySet {
            policy: policy.clone(),
        };
        self.plan(id, "plan_review", detail, move |loaded| {
            loaded.review_policy = policy
        })
        .await
    }

    /// Plans what the mail and SMS providers do with this learner's next messages (spam,
    /// withheld); replaces any plan not yet spent.
    pub async fn set_delivery_plan(
        &self,
        id: &str,
        faults: Vec<DeliveryFault>,
    ) -> Result<LearnerView, WorldError> {
        delivery::validate(&faults)?;
        let detail = JournalDetail::DeliveryPlanned {
            faults: faults.clone(),
        };
        self.plan(id, "plan_delivery", detail, move |loaded| {
            loaded.delivery = faults
        })
        .await
    }

    /// "Revue manuelle" for one learner: their next online identifications wait at the review
    /// desk (`ReviewPlan::Desk`) instead of the automatic review. Journaled like every setting.
    pub async fn set_review_desk(&self, id: &str, desk: bool) -> Result<LearnerView, WorldError> {
        let detail = JournalDetail::ReviewDeskSet { desk };
        self.plan(id, "plan_review", detail, move |loaded| loaded.review_desk = desk)
            .await
    }

    /// Whether a learner's identifications go to the review desk.
    pub async fn review_desk(&self, id: &str) -> Result<bool, WorldError> {
        Ok(self.store.read().await.learner(id)?.review_desk)
    }

    /// The class's default (this world is one class): given to learners created from now on.
    pub async fn class_review_desk(&self) -> Result<bool, WorldError> {
        Ok(self.store.read().await.class_review_desk()?)
    }

    /// Sets the class's default and applies it to every learner (each change journaled).
    pub async fn set_class_review_desk(&self, desk: bool) -> Result<(), WorldError> {
        {
            let mut writer = self.store.write().await;
            let tx = writer.begin()?;
            tx.set_class_review_desk(desk)?;
            tx.commit()?;
        }
        let ids = self
            .store
            .read()
            .await
            .learners_with_review_desk_other_than(desk)?;
        for id in ids {
            self.set_review_desk(&id, desk).await?;
        }
        Ok(())
    }

    /// AR24's reviewer decides a visual identification at the review desk; the outcome reaches
    /// the learner (letter timeline, email) through the journey like every other change.
    pub async fn review_identification(
        &self,
        id: &str,
        decision: ReviewDecision,
    ) -> Result<LearnerView, WorldError> {
        self.transition(id, Actor::Reviewer, "review_identification", move |_, _| {
            Ok(Command::ReviewIdentification { decision })
        })
        .await
    }

    /// The wall-clock time (console sessions expire in real time, whatever the simulated clock).
    pub(crate) fn wall_now(&self) -> DateTime<Utc> {
        self.wall.now()
    }

    /// The stored journey of a learner, for the console's reading (review queue, media).
    pub(crate) async fn journey_of(&self, id: &str) -> Result<Journey, WorldError> {
        self.catch_up(id).await?;
        Ok(self.store.read().await.learner(id)?.journey)
    }

    /// A trainer's setting for one learner, in one transaction with its journal line, so that a
    /// replay of the journal knows what was planned and when.
    async fn plan(
        &self,
        id: &str,
        action: &str,
        detail: JournalDetail,
        change: impl FnOnce(&mut LearnerRow),
    ) -> Result<LearnerView, WorldError> {
        self.annotate(id, Actor::Trainer, action, detail, change).await
    }

    /// A desk's decision that leaves the journey where it is (the clerk sends the person away
    /// without validating; the code stays valid): journaled all the same, so that the learner's
    /// journal tells the support agent, and a replay, what happened at the desk.
    pub(crate) async fn journal_desk_decision(
        &self,
        id: &str,
        actor: Actor,
        action: &str,
        detail: JournalDetail,
    ) -> Result<LearnerView, WorldError> {
        self.annotate(id, actor, action, detail, |_| {}).await
    }

    /// One journal line for `id` by `actor`, with `change` applied to the stored settings.
    async fn annotate(
        &self,
        id: &str,
        actor: Actor,
        action: &str,
        detail: JournalDetail,
        change: impl FnOnce(&mut LearnerRow),
    ) -> Result<LearnerView, WorldError> {
        let mut writer = self.store.write().await;
        let tx = writer.begin()?;
        let mut loaded = tx.learner(id)?;
        let now = self.now();
        self.let_time_pass(&tx, &mut loaded, now)?;
        change(&mut loaded);
        let step = loaded.journey.step();
        let learner_now = learner_time(now, loaded.clock_offset);
        self.record(
            &tx,
            &mut loaded,
            learner_now,
            actor,
            action,
            step,
            &[],
            Ok(Some(detail)),
        )?;
        tx.commit()?;
        self.announce(id);
        Ok(views::learner_view(id, &loaded.journey, &loaded.review_policy))
    }

    /// A person's action on the account or the letter.
    pub async fn act(&self, id: &str, action: LearnerAction) -> Result<LearnerView, WorldError> {
        let name = action_name(&action);
        let password_digest = match &action {
            LearnerAction::ChoosePassword { password } => Some(hash_password(password)),
            _ => None,
        };
        let review_delay = self.review_delay;
        let learner_id = id.to_owned();
        // Media are checked before the transaction: they are immutable once stored.
        let media = match &action {
            LearnerAction::SubmitVisualIdentification {
                photos,
                video_media_id,
                ..
            } => {
                let mut refs = Vec::new();
                for photo in photos {
                    refs.push(media_ref(&self.store, &learner_id, &photo.media_id, MediaKind::Photo).await?);
                }
                Some((
                    refs,
                    media_ref(&self.store, &learner_id, video_media_id, MediaKind::Video).await?,
                ))
            }
            _ => None,
        };
        let photo_finding = match &action {
            LearnerAction::SubmitVisualIdentification {
                document_type,
                photos,
                video_media_id,
            } => {
                let format = match document_type {
                    api::DocumentKind::Cni | api::DocumentKind::TitreDeSejour => DocumentFormat::Id1,
                    api::DocumentKind::Passeport => DocumentFormat::PassportPage,
                };
                let mut finding = None;
                for photo in photos {
                    let (_, bytes) = self
                        .store
                        .media_content(&learner_id, &photo.media_id)
                        .await?
                        .ok_or_else(|| WorldError::Corrupt("a checked photo vanished".into()))?;
                    finding = finding.or(photo_refusal(&bytes, format));
                }
                let (content_type, video) = self
                    .store
                    .media_content(&learner_id, video_media_id)
                    .await?
                    .ok_or_else(|| WorldError::Corrupt("a checked video vanished".into()))?;
                // Decoding the sound takes tens of milliseconds: off the async workers.
                let video_finding = tokio::task::spawn_blocking(move || video_refusal(&content_type, &video))
                    .await
                    .map_err(|error| WorldError::Corrupt(format!("video check stopped: {error}")))?;
                finding.or(video_finding)
            }
            _ => None,
        };
        self.transition(id, Actor::Learner, name, move |loaded, now| {
            to_command(
                action,
                password_digest,
                media,
                photo_finding,
                loaded,
                now,
                review_delay,
            )
        })
        .await
    }

    // ----- media -----

    /// Stores an upload after checking its checksum and that its bytes are what it claims.
    pub async fn store_media(
        &self,
        learner_id: &str,
        kind: MediaKind,
        content_type: &str,
        sha256: &str,
        bytes: &[u8],
    ) -> Result<MediaView, WorldError> {
        let content_type = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let allowed: &[&str] = match kind {
            MediaKind::Photo => &["image/jpeg", "image/png"],
            MediaKind::Video => &["video/mp4", "video/webm"],
        };
        if !allowed.contains(&content_type.as_str()) {
            return Err(WorldError::bad_request(
                "unsupported_media_type",
                format!(
                    "Type de fichier refusé ({content_type}) : formats acceptés {}.",
                    allowed.join(", ")
                ),
            ));
        }
        if bytes.is_empty() || bytes.len() > MAX_MEDIA_BYTES {
            return Err(WorldError::bad_request(
                "media_size",
                "Le fichier est vide ou trop volumineux.",
            ));
        }
        let actual = hex::encode(Sha256::digest(bytes));
        if !actual.eq_ignore_ascii_case(sha256.trim()) {
            return Err(WorldError::bad_request(
                "checksum_mismatch",
                "Le fichier reçu est incomplet ou altéré (somme de contrôle différente) : renvoyez-le.",
            ));
        }
        if !content_matches(&content_type, bytes) {
            return Err(WorldError::bad_request(
                "content_mismatch",
                "Le contenu du fichier ne correspond pas à son type déclaré.",
            ));
        }
        if content_type == "video/mp4" {
            let copy = bytes.to_vec();
            let inspected = tokio::task::spawn_blocking(move || idn_capture::inspect_video(&copy))
                .await
                .map_err(|error| WorldError::Corrupt(format!("video check stopped: {error}")))?;
            if let Err(error) = inspected {
                tracing::info!(%error, "video upload refused");
                return Err(WorldError::bad_request(
                    "video_unreadable",
                    "La vidéo reçue est illisible (il faut un MP4 avec image H.264 et son Opus) : enregistrez-la à nouveau.",
                ));
            }
        }
        // Named by learner and content: the same file sent again by the same learner is the
        // same media (idempotent retry); another learner's identical file is their own.
        let scoped = hex::encode(Sha256::digest(format!("{learner_id}\n{actual}").as_bytes()));
        let media_id = format!(
            "{}-{}",
            match kind {
                MediaKind::Photo => "photo",
                MediaKind::Video => "video",
            },
            &scoped[..24]
        );
        // On a blocking thread: a 64 MB insert never holds an async worker.
        self.store
            .insert_media(NewMedia {
                id: media_id.clone(),
                learner_id: learner_id.to_owned(),
                kind,
                content_type: content_type.clone(),
                sha256: actual.clone(),
                bytes: bytes.to_vec(),
                at: self.now(),
            })
            .await?;
        Ok(MediaView {
            media_id,
            content_type,
            sha256: actual,
            size: bytes.len() as u64,
        })
    }

    // ----- activation and approvals -----

    pub async fn activate(&self, id: &str, request: ActivationRequest) -> Result<LearnerView, WorldError> {
        let learner_id = id.to_owned();
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
        self.transition(id, Actor::Device, "activate", move |_, now| {
            Ok(Command::Activate {
                code: request.activation_code,
                device: EnrolledDevice {
                    device_id: DeviceId(request.device_id.clone()),
                    public_key: DevicePublicKey(request.device_public_key.clone()),
                    verifier,
                    // The learner's time, like every other time of their journey.
                    enrolled_at: now,
                },
            })
        })
        .await
    }

    /// FranceConnect+'s side: the person typed their mobile number; a request awaits approval.
    pub async fn open_login_request(&self, request: NewLoginRequest) -> Result<LoginRequestView, WorldError> {
        let mobile = MobileNumber::parse(&request.mobile)?;
        let relying_party = request.relying_party.trim().to_owned();
        if relying_party.is_empty() || relying_party.len() > 200 {
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
        let mut loaded = tx
            .identity_of_mobile(mobile.as_str())?
            .ok_or(JourneyError::MobileMismatch)?;
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
            |_, _| Ok(command),
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
    fn login_request_in(
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
    async fn answer_transition(
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
        let result = self.step_in(&tx, &mut loaded, now, Actor::Device, action, build)?;
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
    async fn load_caught_up(&self, id: &str) -> Result<(LearnerRow, DateTime<Utc>), WorldError> {
        let loaded = self.store.read().await.learner(id)?;
        self.caught_up(loaded).await
    }

    /// `loaded` as it is now: when a deadline has come, it is applied first and read back.
    async fn caught_up(&self, loaded: LearnerRow) -> Result<(LearnerRow, DateTime<Utc>), WorldError> {
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

    // ----- the post-office clerk -----

    async fn learner_by_face_to_face_code(&self, code: &str) -> Result<String, WorldError> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        self.store
            .read()
            .await
            .learner_of_face_to_face_code(&code)?
            .ok_or(WorldError::NotFound {
                what: "code de vérification en face à face",
            })
    }

    pub async fn clerk_lookup(&self, code: &str) -> Result<ClerkLookup, WorldError> {
        let id = self.learner_by_face_to_face_code(code).await?;
        self.catch_up(&id).await?;
        let loaded = self.store.read().await.learner(&id)?;
        match loaded.journey.stage() {
            Stage::FaceToFace { person, code, .. } => Ok(ClerkLookup {
                learner_id: id,
                given_names: person
                    .identity
                    .given_names
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                birth_name: person.identity.birth_name.to_string(),
                document_type: person.identity.document_type.label_fr().into(),
                valid_until: code.expires_at(),
            }),
            _ => Err(WorldError::NotFound {
                what: "code de vérification en face à face",
            }),
        }
    }

    pub async fn clerk_validate(&self, validation: ClerkValidation) -> Result<LearnerView, WorldError> {
        let id = self.learner_by_face_to_face_code(&validation.code).await?;
        self.transition(&id, Actor::Clerk, "clerk_validate", move |_, _| {
            Ok(Command::ClerkValidate {
                code: validation.code,
                presented: PresentedDocument {
                    document_type: validation.document_type.into(),
                    birth_name: validation.birth_name,
                    birth_date: validation.birth_date,
                    document_number_ending: validation.document_number_ending,
                },
            })
        })
        .await
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
        build: impl FnOnce(&LearnerRow, DateTime<Utc>) -> Result<Command, WorldError>,
    ) -> Result<LearnerView, WorldError> {
        let mut writer = self.store.write().await;
        let tx = writer.begin()?;
        let mut loaded = tx.learner(id)?;
        let now = self.now();
        self.let_time_pass(&tx, &mut loaded, now)?;
        let result = self.step_in(&tx, &mut loaded, now, actor, action, build)?;
        tx.commit()?;
        self.announce(id);
        result?;
        Ok(views::learner_view(id, &loaded.journey, &loaded.review_policy))
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
        build: impl FnOnce(&LearnerRow, DateTime<Utc>) -> Result<Command, WorldError>,
    ) -> Result<Result<(), WorldError>, WorldError> {
        let now = learner_time(class_now, loaded.clock_offset);
        let before = loaded.journey.step();
        let mut rng = self.rng_for(&loaded.id, loaded.seq + 1);
        let mut detail = None;
        let (effects, verdict) = match build(loaded, now) {
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

    // ----- logging in to the app with an existing La Poste account -----

    /// « Se connecter avec un compte La Poste existant »: checks the password against the
    /// account's Argon2 digest (an unknown email costs the same check against a decoy and gets
    /// the same refusal), lets the journey count it, and on a match the confirmation code goes
    /// out by SMS or email. Says where it went, the destination half hidden.
    pub async fn start_account_login(
        &self,
        email: &str,
        password: &str,
    ) -> Result<api::AccountLoginChallenge, WorldError> {
        let email = Email::parse(email)?;
        let account = self.account_with_password(&email).await?;
        let digest = match &account {
            Some((_, digest)) => digest.0.clone(),
            None => sign_in_decoy_digest()?.to_owned(),
        };
        let typed = password.to_owned();
        let matches = tokio::task::spawn_blocking(move || password_matches(&typed, &digest))
            .await
            .map_err(|error| WorldError::Corrupt(format!("password check stopped: {error}")))?;
        let Some((id, _)) = account else {
            return Err(JourneyError::WrongCredentials.into());
        };
        let password = if matches {
            idn_journey::sign_in::PasswordCheck::Matches
        } else {
            idn_journey::sign_in::PasswordCheck::DoesNotMatch
        };
        self.transition(&id, Actor::Learner, "sign_in", move |_, _| {
            Ok(Command::SignIn { password })
        })
        .await?;
        let loaded = self.store.read().await.learner(&id)?;
        let code = loaded
            .journey
            .sign_in_state()
            .pending_code()
            .ok_or_else(|| WorldError::Corrupt("login accepted without a code".into()))?;
        let (_, mobile) = views::contact(&loaded.journey);
        let (channel, destination) = match (code.kind(), mobile) {
            (idn_journey::CodeKind::Mobile, Some(mobile)) => (
                MessageChannel::Sms,
                MobileNumber::parse(&mobile).map(|m| m.masked()).unwrap_or(mobile),
            ),
            _ => (MessageChannel::Email, masked_email(&email)),
        };
        Ok(api::AccountLoginChallenge {
            account_id: id,
            channel,
            destination,
            expires_at: code.expires_at(),
        })
    }

    /// The confirmation code typed back: the learner's view once right (the app then follows
    /// this account from where it stands). Without a login waiting, whatever the email, the
    /// same refusal.
    pub async fn confirm_account_login(&self, email: &str, code: &str) -> Result<LearnerView, WorldError> {
        let email = Email::parse(email)?;
        let Some((id, _)) = self.account_with_password(&email).await? else {
            return Err(JourneyError::NoSignInPending.into());
        };
        let code = code.to_owned();
        self.transition(&id, Actor::Learner, "confirm_sign_in", move |_, _| {
            Ok(Command::ConfirmSignIn { code })
        })
        .await
    }

    /// The newest account of this email that has a password (only those can be logged into).
    async fn account_with_password(
        &self,
        email: &Email,
    ) -> Result<Option<(String, PasswordDigest)>, WorldError> {
        let accounts = self.store.read().await.accounts_of_email(email.as_str())?;
        Ok(accounts.into_iter().find_map(|(id, journey)| {
            journey
                .password_digest()
                .map(|digest| (id.clone(), digest.clone()))
        }))
    }
}

/// Checks a typed password against an account's digest (Argon2id, as `hash_password` made it).
fn password_matches(password: &str, digest: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(digest).is_ok_and(|hash| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// A digest to check an unknown email's password against, so that it takes as long as a real one.
fn sign_in_decoy_digest() -> Result<&'static str, WorldError> {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    if let Some(decoy) = DECOY.get() {
        return Ok(decoy);
    }
    let digest = hash_password("Leurre2026 jamais utilisé")?;
    Ok(DECOY.get_or_init(|| digest.0))
}

/// "c*****@exemple.fr": enough for the person to recognise the address, not to read it.
fn masked_email(email: &Email) -> String {
    let (local, domain) = email.as_str().split_once('@').unwrap_or((email.as_str(), ""));
    let first: String = local.chars().take(1).collect();
    format!(
        "{first}{}@{domain}",
        "*".repeat(local.chars().count().saturating_sub(1).max(3))
    )
}

/// What an answer to `approval` must have signed.
fn request_terms<'a>(
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

fn action_name(action: &LearnerAction) -> &'static str {
    match action {
        LearnerAction::ConfirmEmail { .. } => "confirm_email",
        LearnerAction::ResendEmailCode => "resend_email_code",
        LearnerAction::ChoosePassword { .. } => "choose_password",
        LearnerAction::RegisterMobile { .. } => "register_mobile",
        LearnerAction::ConfirmMobile { .. } => "confirm_mobile",
        LearnerAction::ResendMobileCode => "resend_mobile_code",
        LearnerAction::CompleteProfile { .. } => "complete_profile",
        LearnerAction::EnterIdentity(_) => "enter_identity",
        LearnerAction::ConfirmIdentity => "confirm_identity",
        LearnerAction::ChooseVerification { .. } => "choose_verification",
        LearnerAction::ReadLetter => "read_letter",
        LearnerAction::ConfirmLetterIdentity => "confirm_letter_identity",
        LearnerAction::DeclineLetter => "decline_letter",
        LearnerAction::StartVisualIdentification => "start_visual_identification",
        LearnerAction::SubmitVisualIdentification { .. } => "submit_visual_identification",
        LearnerAction::ResendActivationCode => "resend_activation_code",
        LearnerAction::ForgetSecretCode => "forget_secret_code",
    }
}

/// Argon2id with the crate's default parameters; the salt comes from the OS.
fn hash_password(password: &str) -> Result<PasswordDigest, WorldError> {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let password = Password::parse(password)?;
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|hash| PasswordDigest(hash.to_string()))
        .map_err(|error| WorldError::Corrupt(format!("password hashing: {error}")))
}

async fn media_ref(
    store: &Store,
    learner_id: &str,
    media_id: &str,
    kind: MediaKind,
) -> Result<MediaRef, WorldError> {
    let (stored, sha256) = store.media_meta(learner_id, media_id).await?.ok_or_else(|| {
        WorldError::bad_request(
            "media_not_found",
            format!("Le fichier « {media_id} » n'a pas été reçu : envoyez-le à nouveau."),
        )
    })?;
    if stored != kind {
        return Err(WorldError::bad_request(
            "media_kind_mismatch",
            "Une photo a été envoyée à la place de la vidéo, ou l'inverse.",
        ));
    }
    Ok(MediaRef {
        media_id: media_id.to_owned(),
        sha256,
    })
}

/// What the automatic reviewer sees on a document photo: the same guidance checks the device
/// runs, read as a reviewer's refusal reason. Faces, spoken digits and the video are not judged
/// here; they are left to a human review.
fn photo_refusal(bytes: &[u8], format: DocumentFormat) -> Option<RefusalReason> {
    let Ok(frame) = idn_capture::decode_still(bytes) else {
        return Some(RefusalReason::DocumentUnreadable);
    };
    let report = Guidance::new(format).assess(&frame);
    report.first_hint().map(|hint| match hint {
        Hint::Glare => RefusalReason::Glare,
        Hint::Blurry => RefusalReason::Blur,
        Hint::LowContrast => RefusalReason::DocumentInSleeve,
        Hint::NoDocument
        | Hint::OutOfFrame
        | Hint::TooFar
        | Hint::WrongShape
        | Hint::TooDark
        | Hint::TooBright => RefusalReason::DocumentUnreadable,
    })
}

/// What the automatic reviewer hears in the video: the same machine checks the device makes
/// (sound present, loud enough, three utterances, long enough), read as the reviewer's reason.
/// Whose face it is and which digits were said are left to a human review; so is a WebM video,
/// whose sound this world does not decode.
fn video_refusal(content_type: &str, bytes: &[u8]) -> Option<RefusalReason> {
    if content_type != "video/mp4" {
        return None;
    }
    let Ok(inspection) = idn_capture::inspect_video(bytes) else {
        // Checked at upload; a file unreadable now cannot show the digits either.
        return Some(RefusalReason::DigitsInaudibleOrWrong);
    };
    let heard = |hint: &VideoHint| {
        matches!(
            hint,
            VideoHint::NoSound | VideoHint::TooQuiet | VideoHint::UtteranceCount(_) | VideoHint::TooShort
        )
    };
    inspection
        .report
        .hints()
        .iter()
        .any(heard)
        .then_some(RefusalReason::DigitsInaudibleOrWrong)
}

/// Magic numbers of the accepted formats: a mislabelled file is refused.
fn content_matches(content_type: &str, bytes: &[u8]) -> bool {
    match content_type {
        "image/jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "video/mp4" => bytes.len() > 12 && &bytes[4..8] == b"ftyp",
        "video/webm" => bytes.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]),
        _ => false,
    }
}

#[allow(clippy::too_many_arguments)]
fn to_command(
    action: LearnerAction,
    password_digest: Option<Result<PasswordDigest, WorldError>>,
    media: Option<(Vec<MediaRef>, MediaRef)>,
    photo_finding: Option<RefusalReason>,
    loaded: &LearnerRow,
    now: DateTime<Utc>,
    review_delay: TimeDelta,
) -> Result<Command, WorldError> {
    Ok(match action {
        LearnerAction::ConfirmEmail { code } => Command::ConfirmEmail { code },
        LearnerAction::ResendEmailCode => Command::ResendEmailCode,
        LearnerAction::ChoosePassword { .. } => Command::ChoosePassword {
            digest: password_digest.expect("digest computed for choose_password")?,
        },
        LearnerAction::RegisterMobile { mobile } => Command::RegisterMobile {
            mobile: MobileNumber::parse(&mobile)?,
        },
        LearnerAction::ConfirmMobile { code } => Command::ConfirmMobile { code },
        LearnerAction::ResendMobileCode => Command::ResendMobileCode,
        LearnerAction::CompleteProfile {
            civility,
            first_name,
            last_name,
            terms_accepted,
            marketing_opt_in,
        } => {
            let name = |raw: &str, field: &str| {
                PersonName::parse(raw).ok_or_else(|| {
                    WorldError::bad_request("invalid_name", format!("Le champ « {field} » est invalide : lettres, accents, tirets et apostrophes uniquement."))
                })
            };
            Command::CompleteProfile {
                profile: Profile {
                    civility: match civility {
                        api::Civility::Madame => Civility::Madame,
                        api::Civility::Monsieur => Civility::Monsieur,
                    },
                    first_name: name(&first_name, "Prénom")?,
                    last_name: name(&last_name, "Nom")?,
                    marketing_opt_in,
                },
                terms_accepted,
            }
        }
        LearnerAction::EnterIdentity(form) => {
            let form = *form;
            Command::EnterIdentity {
                input: IdentityInput {
                    document_type: form.document_type.map(Into::into),
                    sex: form.sex.map(Into::into),
                    given_names: form.given_names,
                    birth_name: form.birth_name,
                    usage_name: form.usage_name,
                    birth_date: form.birth_date,
                    birth_country: form.birth_country,
                    birth_commune: form.birth_commune,
                    birth_insee_code: form.birth_insee_code,
                    nationality: form.nationality,
                    issue_date: form.issue_date,
                    expiry_date: form.expiry_date,
                    document_number_ending: form.document_number_ending,
                },
            }
        }
        LearnerAction::ConfirmIdentity => Command::ConfirmIdentity,
        LearnerAction::ChooseVerification { mode } => Command::ChooseVerification {
            mode: match mode {
                api::VerificationMode::FaceToFace => VerificationMode::FaceToFace,
                api::VerificationMode::Online => VerificationMode::Online,
                api::VerificationMode::ByPost => VerificationMode::ByPost,
            },
        },
        LearnerAction::ReadLetter => Command::ReadLetter,
        LearnerAction::ConfirmLetterIdentity => Command::ConfirmLetterIdentity,
        LearnerAction::DeclineLetter => Command::DeclineLetter,
        LearnerAction::StartVisualIdentification => Command::StartVisualIdentification,
        LearnerAction::SubmitVisualIdentification {
            document_type,
            photos,
            ..
        } => {
            let (photo_refs, video) = media.expect("media resolved for submit");
            let submission = Submission {
                document_type: document_type.into(),
                photos: photos
                    .iter()
                    .map(|photo| photo.side.into())
                    .zip(photo_refs)
                    .collect(),
                video,
            };
            Command::SubmitVisualIdentification {
                plan: automatic_review(loaded, &submission, photo_finding, now, review_delay),
                submission,
            }
        }
        LearnerAction::ResendActivationCode => Command::ResendActivationCode,
        LearnerAction::ForgetSecretCode => Command::ForgetSecretCode,
    })
}

/// The automatic reviewer: refuses what the world can tell is wrong, or what a trainer asked it
/// to refuse, and accepts the rest after the review delay. What a machine cannot judge (a face,
/// spoken digits) is left to the review desk.
fn automatic_review(
    loaded: &LearnerRow,
    submission: &Submission,
    photo_finding: Option<RefusalReason>,
    now: DateTime<Utc>,
    delay: TimeDelta,
) -> ReviewPlan {
    let decide_at = now + delay;
    let identity = loaded.journey.person().map(|person| &person.identity);
    let decision = match &loaded.review_policy {
        ReviewPolicy::RefuseNext { reason } => ReviewDecision::Refused(
            RefusalReason::from_code(reason).unwrap_or(RefusalReason::DocumentUnreadable),
        ),
        // "Revue manuelle": a person decides at the console's review desk.
        ReviewPolicy::Automatic if loaded.review_desk => return ReviewPlan::Desk,
        ReviewPolicy::Automatic => match identity {
            Some(identity) if identity.document_type != submission.document_type => {
                ReviewDecision::Refused(RefusalReason::DataDiffersFromDocument)
            }
            Some(identity) if identity.is_expired_on(now.date_naive()) => {
                ReviewDecision::Refused(RefusalReason::DocumentExpired)
            }
            _ => match photo_finding {
                Some(reason) => ReviewDecision::Refused(reason),
                None => ReviewDecision::Accepted,
            },
        },
    };
    ReviewPlan::Automatic { decision, decide_at }
}
