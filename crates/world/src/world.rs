//! The simulated services as one object: every state change runs in one SQLite transaction
//! that updates the learner, appends to their journal and delivers their messages, so a
//! process killed at any moment restarts with nothing lost and nothing half-done.
//!
//! The transaction core (learners, journal, inbox, login requests) runs its statements on the
//! caller's thread through rusqlite: a learner's step is a few short statements on an
//! in-process database, and sqlx's hand-over of each statement to its connection's thread cost
//! more than the statements (federation bench, BENCHMARKS.md). The sqlx pool keeps the rest:
//! migrations, the console, registrations, long reads and media uploads.

use crate::api::{
    self, protocol, ActivationRequest, ApprovalAnswer, ClerkLookup, ClerkValidation, ClockMode, ClockView,
    DeclineAnswer, DeliveryFault, InboxMessage, JournalDetail, JournalEntry, LearnerAction, LearnerView, LoginRequestView,
    MediaKind, MediaView, MessageChannel, NewLoginRequest, ReviewPolicy, WorldKeys, WorldStatus,
};
use crate::catalogue::{self, Recipient};
use crate::clock::{ClockState, WallClock};
use crate::delivery;
use crate::journal_detail;
use crate::keys::WorldSecrets;
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
use rusqlite::{OptionalExtension, TransactionBehavior};
use sha2::{Digest, Sha256};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use tokio::sync::{broadcast, Mutex};

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
    pool: SqlitePool,
    secrets: WorldSecrets,
    wall: Arc<dyn WallClock>,
    clock: RwLock<ClockState>,
    /// Set only when a seed was given: then every code, digit and identifier is reproducible.
    /// Otherwise each transaction draws from the OS's secure generator.
    seed: Option<[u8; 32]>,
    review_delay: TimeDelta,
    /// One writer at a time: SQLite allows one, and taking it here avoids busy retries. Its
    /// transactions run on the caller's thread, with no await inside: a task waiting for the
    /// writer waits asynchronously, the one holding it runs straight through.
    writer: Mutex<rusqlite::Connection>,
    /// The reads of every step of a login (the device's requests, La Poste's pages, the
    /// learner's screens), on the caller's thread too.
    readers: Vec<Mutex<rusqlite::Connection>>,
    next_reader: std::sync::atomic::AtomicUsize,
    /// Dropped with the world, which stops the checkpoint thread (see `start_checkpoints`).
    _checkpoints: std::sync::mpsc::Sender<()>,
    /// Told after every committed change of a learner, so that screens and pages update live.
    changes: broadcast::Sender<LearnerChanged>,
    /// The scenario engine the composition root installed for the console, if any.
    pub(crate) scenario_desk: std::sync::OnceLock<Arc<crate::console::ScenarioDesk>>,
}

/// Dedicated reader connections: two cores on the reference machine, WAL lets them read while
/// the writer writes.
const READERS: usize = 2;

/// A learner's state, journal or inbox changed (sent after the transaction committed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearnerChanged {
    pub learner_id: String,
}

/// A learner row as loaded inside a transaction.
struct Loaded {
    id: String,
    journey: Journey,
    seq: i64,
    review_policy: ReviewPolicy,
    /// Delivery faults still to happen (spam, withheld), spent as messages are sent.
    delivery: Vec<DeliveryFault>,
    /// "Revue manuelle": submissions wait at the console's review desk (`ReviewPlan::Desk`).
    review_desk: bool,
    /// How far this learner's time is ahead of the class clock (never negative): every time of
    /// the journey, its deadlines and its journal are in the learner's time.
    clock_offset: TimeDelta,
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

fn mode_to_text(mode: ClockMode) -> String {
    serde_json::to_string(&mode).expect("clock mode serialises")
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, WorldError> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.to_utc())
        .map_err(|error| WorldError::Corrupt(format!("timestamp {text:?}: {error}")))
}

fn json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, WorldError> {
    serde_json::from_str(text).map_err(|error| WorldError::Corrupt(format!("{what}: {error}")))
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("plain data serialises")
}

/// A write transaction on the writer's connection (held through the writer lock). SQLite takes
/// its write lock at the BEGIN (IMMEDIATE): a write made outside the writer lock meanwhile
/// (console sessions and audit, the scenario engine's account, relying-party registrations)
/// then makes it wait (busy timeout) instead of failing with SQLITE_BUSY_SNAPSHOT when a
/// deferred transaction upgrades its older read to a write. Dropped without a commit, it rolls
/// back.
fn begin_write(writer: &mut rusqlite::Connection) -> Result<rusqlite::Transaction<'_>, WorldError> {
    Ok(writer.transaction_with_behavior(TransactionBehavior::Immediate)?)
}

/// How often the checkpoint thread copies the WAL into the database.
const CHECKPOINT_INTERVAL: std::time::Duration = std::time::Duration::from_millis(200);

/// WAL pages past which a core connection checkpoints by itself at its commit, should the
/// checkpoint thread fall behind (about 40 MB; SQLite's default is 1 000 pages).
const WAL_BACKSTOP_PAGES: i64 = 10_000;

/// Checkpoints run on a thread of their own, as SQLite advises for latency: a checkpoint copies
/// pages into the database and fsyncs both files, milliseconds that would otherwise stall one of
/// the async workers at the commit crossing the threshold. PASSIVE: it never waits for a reader
/// or the writer. The thread stops when the returned sender is dropped.
fn start_checkpoints(path: &Path) -> Result<std::sync::mpsc::Sender<()>, WorldError> {
    use std::sync::mpsc::RecvTimeoutError;
    let connection = core_connection(path)?;
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("idn-world-checkpoints".into())
        .spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(CHECKPOINT_INTERVAL) {
                if let Err(error) = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::warn!(%error, "WAL checkpoint failed");
                }
            }
        })?;
    Ok(stop)
}

/// A connection of the transaction core, set up as the pool's are (the database is already in
/// WAL mode, which is stored in the file). Its cache keeps every statement of a step prepared.
fn core_connection(path: &Path) -> Result<rusqlite::Connection, WorldError> {
    let connection = rusqlite::Connection::open(path)?;
    connection.busy_timeout(std::time::Duration::from_secs(10))?;
    // NORMAL in WAL mode, as the pool's: see `World::open`.
    connection.pragma_update(None, "synchronous", "NORMAL")?;
    connection.pragma_update(None, "foreign_keys", true)?;
    connection.pragma_update(None, "wal_autocheckpoint", WAL_BACKSTOP_PAGES)?;
    connection.set_prepared_statement_cache_capacity(32);
    Ok(connection)
}

impl World {
    /// Opens (or creates) the world in `options.data_dir`.
    pub async fn open(options: WorldOptions, wall: Arc<dyn WallClock>) -> Result<Self, WorldError> {
        std::fs::create_dir_all(&options.data_dir)?;
        let existing_database = database_path(&options.data_dir).exists();
        let secrets = WorldSecrets::load_or_create(&options.data_dir, existing_database)?;
        let connect = SqliteConnectOptions::new()
            .filename(database_path(&options.data_dir))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL in WAL mode: a commit is written to the WAL before it is acknowledged, and
            // the WAL is fsynced at each checkpoint. A killed or crashed process loses nothing it
            // acknowledged (the OS has the WAL); only an OS crash or a power cut can lose the
            // last transactions, never corrupt the database. FULL's fsync per commit made every
            // write wait ~1.3 ms under the writer lock (federation bench: 2× the logins/s).
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(std::time::Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            // sqlx pings a connection before lending it by default; SQLite is in the process, so
            // the ping only adds a round trip to the connection's thread before every query.
            .test_before_acquire(false)
            .connect_with(connect.clone())
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        let path = database_path(&options.data_dir);
        let mut writer = core_connection(&path)?;
        give_old_journal_lines_their_detail(&mut writer)?;
        let readers = (0..READERS)
            .map(|_| core_connection(&path).map(Mutex::new))
            .collect::<Result<_, _>>()?;
        let checkpoints = start_checkpoints(&path)?;
        let wall_now = wall.now();
        let existing = sqlx::query("SELECT seed, review_delay_seconds, clock_mode, clock_anchor_real, clock_anchor_virtual FROM world WHERE id = 1")
            .fetch_optional(&pool)
            .await?;
        let (seed_text, review_delay, clock) = match existing {
            Some(row) => {
                let clock = ClockState {
                    mode: json(row.get::<&str, _>("clock_mode"), "clock mode")?,
                    anchor_real: parse_time(row.get("clock_anchor_real"))?,
                    anchor_virtual: parse_time(row.get("clock_anchor_virtual"))?,
                };
                (
                    row.get::<String, _>("seed"),
                    TimeDelta::seconds(row.get("review_delay_seconds")),
                    clock,
                )
            }
            None => {
                let seed = match options.seed {
                    Some(seed) => format!("seed:{seed}"),
                    None => "os".to_owned(),
                };
                let clock = ClockState::real(wall_now).with_mode(
                    wall_now,
                    options.initial_clock.unwrap_or(ClockMode::Real),
                    None,
                );
                sqlx::query("INSERT INTO world (id, seed, created_at, review_delay_seconds, clock_mode, clock_anchor_real, clock_anchor_virtual) VALUES (1, ?, ?, ?, ?, ?, ?)")
                    .bind(&seed)
                    .bind(wall_now.to_rfc3339())
                    .bind(options.review_delay.num_seconds())
                    .bind(mode_to_text(clock.mode))
                    .bind(clock.anchor_real.to_rfc3339())
                    .bind(clock.anchor_virtual.to_rfc3339())
                    .execute(&pool)
                    .await?;
                (seed, options.review_delay, clock)
            }
        };
        let seed = seed_text
            .starts_with("seed:")
            .then(|| Sha256::digest(seed_text.as_bytes()).into());
        Ok(Self {
            pool,
            secrets,
            wall,
            clock: RwLock::new(clock),
            seed,
            review_delay,
            writer: Mutex::new(writer),
            readers,
            next_reader: std::sync::atomic::AtomicUsize::new(0),
            _checkpoints: checkpoints,
            changes: broadcast::channel(256).0,
            scenario_desk: std::sync::OnceLock::new(),
        })
    }

    /// The storage, for the federation module's own tables (relying parties) and read-only
    /// lookups of who answered a login request; learners are still changed only through here.
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// A reader connection: a free one if there is, else the next in turn.
    async fn reader(&self) -> tokio::sync::MutexGuard<'_, rusqlite::Connection> {
        for reader in &self.readers {
            if let Ok(free) = reader.try_lock() {
                return free;
            }
        }
        let turn = self
            .next_reader
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.readers[turn % READERS].lock().await
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
        let learners: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM learners")
            .fetch_one(&self.pool)
            .await?;
        Ok(WorldStatus {
            service: "IDN Sandbox — monde simulé".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            simulation: true,
            now: self.now(),
            clock: self.clock_view(),
            learners: learners as u64,
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
        let writer = self.writer.lock().await;
        writer.execute(
            "UPDATE world SET clock_mode = ?, clock_anchor_real = ?, clock_anchor_virtual = ? WHERE id = 1",
            (
                mode_to_text(state.mode),
                state.anchor_real.to_rfc3339(),
                state.anchor_virtual.to_rfc3339(),
            ),
        )?;
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
        let loaded = Self::load(&*self.reader().await, id)?;
        Ok(self.learner_clock_view(&loaded))
    }

    fn learner_clock_view(&self, loaded: &Loaded) -> api::LearnerClockView {
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
        let mut writer = self.writer.lock().await;
        let tx = begin_write(&mut writer)?;
        let mut loaded = Self::load(&tx, id)?;
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
        let mut writer = self.writer.lock().await;
        let tx = begin_write(&mut writer)?;
        let (count, review_desk): (i64, bool) = tx.query_row(
            "UPDATE world SET learners_created = learners_created + 1 WHERE id = 1 RETURNING learners_created, review_desk",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        let mut id_rng = self.rng_for("learner-ids", count);
        let mut id_bytes = [0u8; 16];
        id_rng.fill_bytes(&mut id_bytes);
        let id = uuid::Builder::from_random_bytes(id_bytes).into_uuid().to_string();
        let now = self.now();
        let policy = ReviewPolicy::Automatic;
        tx.execute(
            "INSERT INTO learners (id, created_at, updated_at, email, step, journey, review_policy, review_desk, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
            rusqlite::params![
                id,
                now.to_rfc3339(),
                now.to_rfc3339(),
                email.as_str(),
                idn_journey::Step::NotStarted.code(),
                to_json(&Journey::default()),
                to_json(&policy),
                review_desk,
            ],
        )?;
        let mut loaded = Loaded {
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
        let loaded = Self::load(&*self.reader().await, id)?;
        Ok(views::learner_view(id, &loaded.journey, &loaded.review_policy))
    }

    pub async fn learners(&self) -> Result<Vec<LearnerView>, WorldError> {
        self.sweep().await?;
        let rows = sqlx::query("SELECT id, journey, review_policy FROM learners ORDER BY created_at, id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let journey: Journey = json(row.get("journey"), "journey")?;
                let policy: ReviewPolicy = json(row.get("review_policy"), "review policy")?;
                Ok(views::learner_view(row.get("id"), &journey, &policy))
            })
            .collect()
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
        self.plan(id, "plan_delivery", detail, move |loaded| loaded.delivery = faults)
            .await
    }

    /// "Revue manuelle" for one learner: their next online identifications wait at the review
    /// desk (`ReviewPlan::Desk`) instead of the automatic review. Journaled like every setting.
    pub async fn set_review_desk(&self, id: &str, desk: bool) -> Result<LearnerView, WorldError> {
        let detail = JournalDetail::ReviewDeskSet { desk };
        self.plan(id, "plan_review", detail, move |loaded| {
            loaded.review_desk = desk
        })
        .await
    }

    /// Whether a learner's identifications go to the review desk.
    pub async fn review_desk(&self, id: &str) -> Result<bool, WorldError> {
        sqlx::query_scalar("SELECT review_desk FROM learners WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(WorldError::NotFound { what: "apprenant" })
    }

    /// The class's default (this world is one class): given to learners created from now on.
    pub async fn class_review_desk(&self) -> Result<bool, WorldError> {
        Ok(sqlx::query_scalar("SELECT review_desk FROM world WHERE id = 1")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Sets the class's default and applies it to every learner (each change journaled).
    pub async fn set_class_review_desk(&self, desk: bool) -> Result<(), WorldError> {
        {
            let writer = self.writer.lock().await;
            writer.execute("UPDATE world SET review_desk = ? WHERE id = 1", [desk])?;
        }
        let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM learners WHERE review_desk <> ?")
            .bind(desk)
            .fetch_all(&self.pool)
            .await?;
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
        Ok(Self::load(&*self.reader().await, id)?.journey)
    }

    /// A trainer's setting for one learner, in one transaction with its journal line, so that a
    /// replay of the journal knows what was planned and when.
    async fn plan(
        &self,
        id: &str,
        action: &str,
        detail: JournalDetail,
        change: impl FnOnce(&mut Loaded),
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
        change: impl FnOnce(&mut Loaded),
    ) -> Result<LearnerView, WorldError> {
        let mut writer = self.writer.lock().await;
        let tx = begin_write(&mut writer)?;
        let mut loaded = Self::load(&tx, id)?;
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
        let pool = self.pool.clone();
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
                    refs.push(media_ref(&pool, &learner_id, &photo.media_id, MediaKind::Photo).await?);
                }
                Some((
                    refs,
                    media_ref(&pool, &learner_id, video_media_id, MediaKind::Video).await?,
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
                    let bytes: Vec<u8> =
                        sqlx::query_scalar("SELECT bytes FROM media WHERE id = ? AND learner_id = ?")
                            .bind(&photo.media_id)
                            .bind(&learner_id)
                            .fetch_one(&pool)
                            .await?;
                    finding = finding.or(photo_refusal(&bytes, format));
                }
                let (content_type, video): (String, Vec<u8>) =
                    sqlx::query_as("SELECT content_type, bytes FROM media WHERE id = ? AND learner_id = ?")
                        .bind(video_media_id)
                        .bind(&learner_id)
                        .fetch_one(&pool)
                        .await?;
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
        // Under the writer lock but on the pool: a 64 MB insert runs on sqlx's thread, not on
        // one of the async workers.
        let _writer = self.writer.lock().await;
        let mut connection = self.pool.acquire().await?;
        let exists: Option<String> = sqlx::query_scalar("SELECT id FROM learners WHERE id = ?")
            .bind(learner_id)
            .fetch_optional(&mut *connection)
            .await?;
        if exists.is_none() {
            return Err(WorldError::NotFound { what: "apprenant" });
        }
        sqlx::query("INSERT OR IGNORE INTO media (id, learner_id, kind, content_type, sha256, size, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(&media_id)
            .bind(learner_id)
            .bind(to_json(&kind))
            .bind(&content_type)
            .bind(&actual)
            .bind(bytes.len() as i64)
            .bind(bytes)
            .bind(self.now().to_rfc3339())
            .execute(&mut *connection)
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
        let mut writer = self.writer.lock().await;
        let tx = begin_write(&mut writer)?;
        let mut loaded = Self::load_where(
            &tx,
            "mobile = ? AND step IN ('enrolled', 'locked') ORDER BY updated_at DESC LIMIT 1",
            mobile.as_str(),
        )?
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
            tx.prepare_cached("INSERT INTO login_requests (request_id, learner_id) VALUES (?, ?)")?
                .execute((&request_id, &learner_id))?;
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
        loaded: &Loaded,
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
        build: impl FnOnce(&Loaded, DateTime<Utc>) -> Result<Command, WorldError>,
    ) -> Result<(Loaded, DateTime<Utc>), WorldError> {
        let mut writer = self.writer.lock().await;
        let tx = begin_write(&mut writer)?;
        let mut loaded = Self::load(&tx, id)?;
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
        let loaded = Self::load_where(
            &*self.reader().await,
            "id = (SELECT learner_id FROM login_requests WHERE request_id = ?)",
            request_id,
        )?
        .ok_or(JourneyError::UnknownLoginRequest)?;
        let (loaded, now) = self.caught_up(loaded).await?;
        let view = Self::login_request_in(&loaded, request_id, now)?;
        Ok((view, loaded.id, loaded.journey))
    }

    /// A learner as time has left them, read in one query when nothing is due (the login pages
    /// and the device read often).
    async fn load_caught_up(&self, id: &str) -> Result<(Loaded, DateTime<Utc>), WorldError> {
        let loaded = Self::load(&*self.reader().await, id)?;
        self.caught_up(loaded).await
    }

    /// `loaded` as it is now: when a deadline has come, it is applied first and read back.
    async fn caught_up(&self, loaded: Loaded) -> Result<(Loaded, DateTime<Utc>), WorldError> {
        let now = self.now();
        let due = loaded
            .journey
            .next_deadline()
            .is_some_and(|deadline| deadline <= learner_time(now, loaded.clock_offset));
        if !due {
            return Ok((loaded, now));
        }
        self.catch_up(&loaded.id).await?;
        let loaded = Self::load(&*self.reader().await, &loaded.id)?;
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
        sqlx::query_scalar("SELECT id FROM learners WHERE face_to_face_code = ?")
            .bind(&code)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(WorldError::NotFound {
                what: "code de vérification en face à face",
            })
    }

    pub async fn clerk_lookup(&self, code: &str) -> Result<ClerkLookup, WorldError> {
        let id = self.learner_by_face_to_face_code(code).await?;
        self.catch_up(&id).await?;
        let loaded = Self::load(&*self.reader().await, &id)?;
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
        let rows = sqlx::query("SELECT id, at, channel, sender, recipient, subject, body, link, folder, code FROM inbox WHERE learner_id = ? AND folder <> 'withheld' ORDER BY id")
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(InboxMessage {
                    id: row.get("id"),
                    at: parse_time(row.get("at"))?,
                    channel: json(&format!("\"{}\"", row.get::<&str, _>("channel")), "channel")?,
                    sender: row.get("sender"),
                    recipient: row.get("recipient"),
                    subject: row.get("subject"),
                    body: row.get("body"),
                    link: row.get("link"),
                    folder: row.get("folder"),
                    code: row.get("code"),
                })
            })
            .collect()
    }

    /// The support agent's reading: the code awaited, the blockers, the identity as typed.
    pub async fn situation(&self, id: &str) -> Result<api::LearnerSituation, WorldError> {
        self.catch_up(id).await?;
        let (loaded, withheld) = {
            let reader = self.reader().await;
            let loaded = Self::load(&reader, id)?;
            let withheld: i64 = reader
                .prepare_cached("SELECT COUNT(*) FROM inbox WHERE learner_id = ? AND folder = 'withheld'")?
                .query_row([id], |row| row.get(0))?;
            (loaded, withheld)
        };
        Ok(crate::situation::view(
            id,
            &loaded.journey,
            &loaded.delivery,
            u32::try_from(withheld).unwrap_or(u32::MAX),
            learner_time(self.now(), loaded.clock_offset),
        ))
    }

    pub async fn journal(&self, id: &str) -> Result<Vec<JournalEntry>, WorldError> {
        self.catch_up(id).await?;
        let rows = sqlx::query("SELECT seq, at, actor, action, outcome, message, detail, step_before, step_after FROM journal WHERE learner_id = ? ORDER BY seq")
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        if rows.is_empty() {
            Self::load(&*self.reader().await, id)?;
        }
        rows.iter()
            .map(|row| {
                let detail: Option<JournalDetail> = row
                    .get::<Option<&str>, _>("detail")
                    .map(|text| json(text, "journal detail"))
                    .transpose()?;
                Ok(JournalEntry {
                    seq: row.get("seq"),
                    at: parse_time(row.get("at"))?,
                    actor: row.get("actor"),
                    action: row.get("action"),
                    outcome: row.get("outcome"),
                    message: detail
                        .as_ref()
                        .map(journal_detail::sentence)
                        .or_else(|| row.get("message")),
                    detail,
                    step_before: row.get("step_before"),
                    step_after: row.get("step_after"),
                })
            })
            .collect()
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
        let candidates: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT id, next_deadline, clock_offset_seconds FROM learners WHERE next_deadline IS NOT NULL AND (clock_offset_seconds <> 0 OR next_deadline <= ?)",
        )
        .bind(now.to_rfc3339())
        .fetch_all(&self.pool)
        .await?;
        let mut due = Vec::new();
        for (id, deadline, offset) in candidates {
            if parse_time(&deadline)? <= learner_time(now, TimeDelta::seconds(offset)) {
                due.push(id);
            }
        }
        for id in &due {
            self.catch_up(id).await?;
        }
        Ok(due.len())
    }

    /// Applies what time has done to one learner (letter delivered, review decided, request expired).
    async fn catch_up(&self, id: &str) -> Result<(), WorldError> {
        // Most reads find nothing due: answer them without the writer lock or a transaction, so
        // that screens and login pages polling many learners do not queue behind each other.
        let deadline: Option<(Option<String>, i64)> = self
            .reader()
            .await
            .prepare_cached("SELECT next_deadline, clock_offset_seconds FROM learners WHERE id = ?")?
            .query_row([id], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        match deadline {
            None => return Err(WorldError::NotFound { what: "apprenant" }),
            Some((None, _)) => return Ok(()),
            Some((Some(at), offset))
                if parse_time(&at)? > learner_time(self.now(), TimeDelta::seconds(offset)) =>
            {
                return Ok(())
            }
            Some((Some(_), _)) => {}
        }
        let mut writer = self.writer.lock().await;
        let tx = begin_write(&mut writer)?;
        let mut loaded = Self::load(&tx, id)?;
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
        tx: &rusqlite::Connection,
        loaded: &mut Loaded,
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

    fn load(connection: &rusqlite::Connection, id: &str) -> Result<Loaded, WorldError> {
        Self::load_where(connection, "id = ?", id)?.ok_or(WorldError::NotFound { what: "apprenant" })
    }

    /// The learner that `condition` (with one `?`, bound to `value`) selects, in one query (a
    /// lookup and its load together). The stored JSON is parsed in place, not copied first.
    fn load_where(
        connection: &rusqlite::Connection,
        condition: &str,
        value: &str,
    ) -> Result<Option<Loaded>, WorldError> {
        let sql = format!(
            "SELECT id, journey, seq, review_policy, delivery_plan, review_desk, clock_offset_seconds FROM learners WHERE {condition}"
        );
        let mut statement = connection.prepare_cached(&sql)?;
        let mut rows = statement.query([value])?;
        let Some(row) = rows.next()? else {
            return Ok(None);
        };
        let text = |index: usize| -> Result<&str, WorldError> {
            row.get_ref(index)?
                .as_str()
                .map_err(|error| WorldError::Corrupt(format!("learner column {index}: {error}")))
        };
        Ok(Some(Loaded {
            id: row.get(0)?,
            journey: json(text(1)?, "journey")?,
            seq: row.get(2)?,
            review_policy: json(text(3)?, "review policy")?,
            delivery: json(text(4)?, "delivery plan")?,
            review_desk: row.get(5)?,
            clock_offset: TimeDelta::seconds(row.get(6)?),
        }))
    }

    /// Loads a learner, lets time pass, builds and applies one command, stores everything.
    async fn transition(
        &self,
        id: &str,
        actor: Actor,
        action: &str,
        build: impl FnOnce(&Loaded, DateTime<Utc>) -> Result<Command, WorldError>,
    ) -> Result<LearnerView, WorldError> {
        let mut writer = self.writer.lock().await;
        let tx = begin_write(&mut writer)?;
        let mut loaded = Self::load(&tx, id)?;
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
        tx: &rusqlite::Connection,
        loaded: &mut Loaded,
        class_now: DateTime<Utc>,
        actor: Actor,
        action: &str,
        build: impl FnOnce(&Loaded, DateTime<Utc>) -> Result<Command, WorldError>,
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
        tx: &rusqlite::Connection,
        loaded: &mut Loaded,
        now: DateTime<Utc>,
        actor: Actor,
        action: &str,
        before: idn_journey::Step,
        effects: &[Effect],
        outcome: Result<Option<JournalDetail>, (&'static str, String)>,
    ) -> Result<(), WorldError> {
        loaded.seq += 1;
        let after = loaded.journey.step();
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
        let (outcome_code, detail, message) = match outcome {
            Ok(detail) => ("ok", detail.as_ref().map(to_json), None),
            Err((code, message)) => (code, None, Some(message)),
        };
        let at = now.to_rfc3339();
        tx.prepare_cached("UPDATE learners SET updated_at = ?, mobile = ?, step = ?, journey = ?, next_deadline = ?, face_to_face_code = ?, review_policy = ?, delivery_plan = ?, review_desk = ?, clock_offset_seconds = ?, seq = ? WHERE id = ?")?
            .execute(rusqlite::params![
                at,
                registered_mobile,
                after.code(),
                to_json(&loaded.journey),
                loaded.journey.next_deadline().map(|at| at.to_rfc3339()),
                loaded.journey.face_to_face_code(),
                to_json(&loaded.review_policy),
                to_json(&loaded.delivery),
                loaded.review_desk,
                loaded.clock_offset.num_seconds(),
                loaded.seq,
                loaded.id,
            ])?;
        tx.prepare_cached("INSERT INTO journal (learner_id, seq, at, recorded_at, actor, action, outcome, message, detail, step_before, step_after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")?
            .execute(rusqlite::params![
                loaded.id,
                loaded.seq,
                at,
                self.wall.now().to_rfc3339(),
                actor.code(),
                action,
                outcome_code,
                message,
                detail,
                before.code(),
                after.code(),
            ])?;
        let email = email.unwrap_or_default();
        let recipient = Recipient {
            email: &email,
            mobile: mobile.as_deref(),
            first_name: first_name.as_deref(),
        };
        for (Effect::Send { channel, notice }, (channel_code, folder)) in effects.iter().zip(routed) {
            let rendered = catalogue::render(*channel, notice, &recipient);
            tx.prepare_cached("INSERT INTO inbox (learner_id, at, channel, sender, recipient, subject, body, link, folder, code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")?
                .execute(rusqlite::params![
                    loaded.id,
                    at,
                    to_json(&channel_code).trim_matches('"'),
                    rendered.sender,
                    rendered.recipient,
                    rendered.subject,
                    rendered.body,
                    rendered.link,
                    folder.code(),
                    rendered.code,
                ])?;
        }
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
        let loaded = Self::load(&*self.reader().await, &id)?;
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
        let rows = sqlx::query("SELECT id, journey FROM learners WHERE email = ? ORDER BY created_at DESC")
            .bind(email.as_str())
            .fetch_all(&self.pool)
            .await?;
        for row in rows {
            let journey: Journey = json(row.get("journey"), "journey")?;
            if let Some(digest) = journey.password_digest() {
                return Ok(Some((row.get("id"), digest.clone())));
            }
        }
        Ok(None)
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
    loaded: &'a Loaded,
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

/// Lines journaled before details were data (migration 0006) get their detail once, read back
/// from their French sentence when it renders back to the same text; the others keep their prose.
fn give_old_journal_lines_their_detail(writer: &mut rusqlite::Connection) -> Result<(), WorldError> {
    let tx = begin_write(writer)?;
    let old: Vec<(String, i64, String, String)> = tx
        .prepare("SELECT learner_id, seq, action, message FROM journal WHERE detail IS NULL AND outcome = 'ok' AND message IS NOT NULL")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))?
        .collect::<Result<_, _>>()?;
    for (learner, seq, action, message) in old {
        if let Some(detail) = journal_detail::from_legacy_sentence(&action, &message) {
            tx.execute(
                "UPDATE journal SET detail = ?, message = NULL WHERE learner_id = ? AND seq = ?",
                rusqlite::params![to_json(&detail), learner, seq],
            )?;
        }
    }
    tx.commit()?;
    Ok(())
}

pub fn database_path(data_dir: &Path) -> PathBuf {
    data_dir.join("world.sqlite")
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
    pool: &SqlitePool,
    learner_id: &str,
    media_id: &str,
    kind: MediaKind,
) -> Result<MediaRef, WorldError> {
    let row = sqlx::query("SELECT kind, sha256 FROM media WHERE id = ? AND learner_id = ?")
        .bind(media_id)
        .bind(learner_id)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| {
            WorldError::bad_request(
                "media_not_found",
                format!("Le fichier « {media_id} » n'a pas été reçu : envoyez-le à nouveau."),
            )
        })?;
    let stored: MediaKind = json(row.get("kind"), "media kind")?;
    if stored != kind {
        return Err(WorldError::bad_request(
            "media_kind_mismatch",
            "Une photo a été envoyée à la place de la vidéo, ou l'inverse.",
        ));
    }
    Ok(MediaRef {
        media_id: media_id.to_owned(),
        sha256: row.get("sha256"),
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
    loaded: &Loaded,
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
    loaded: &Loaded,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemWallClock;

    /// What the writers append to the WAL reaches the database file in the background: a copy
    /// of the file alone, taken after a short pause, already holds the new learners.
    #[tokio::test]
    async fn the_wal_is_checkpointed_in_the_background() {
        let dir = tempfile::tempdir().unwrap();
        let world = World::open(WorldOptions::new(dir.path()), Arc::new(SystemWallClock))
            .await
            .unwrap();
        for n in 0..3 {
            world
                .create_learner(&format!("copie{n}@simulation.example"))
                .await
                .unwrap();
        }
        tokio::time::sleep(CHECKPOINT_INTERVAL * 4).await;
        let copy = tempfile::tempdir().unwrap();
        std::fs::copy(database_path(dir.path()), database_path(copy.path())).unwrap();
        let learners: i64 = rusqlite::Connection::open(database_path(copy.path()))
            .unwrap()
            .query_row("SELECT COUNT(*) FROM learners", [], |row| row.get(0))
            .unwrap();
        assert_eq!(learners, 3);
    }

    /// A write made outside the writer lock (here: the staff audit, as the console writes it)
    /// while a learner's transaction is between its read and its write must wait for that
    /// transaction, not make it fail (SQLITE_BUSY_SNAPSHOT, seen as a 500 on an approval).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_outside_the_writer_lock_waits_for_a_transaction_in_progress() {
        let dir = tempfile::tempdir().unwrap();
        let world = Arc::new(
            World::open(WorldOptions::new(dir.path()), Arc::new(SystemWallClock))
                .await
                .unwrap(),
        );
        let learner = world.create_learner("course@simulation.example").await.unwrap();

        let mut writer = world.writer.lock().await;
        let tx = begin_write(&mut writer).unwrap();
        let step: String = tx
            .query_row("SELECT step FROM learners WHERE id = ?", [&learner.id], |row| {
                row.get(0)
            })
            .unwrap();
        let outside = {
            let pool = world.pool().clone();
            tokio::spawn(async move {
                sqlx::query("INSERT INTO staff_audit (at, staff_email, action) VALUES ('2026-01-01T00:00:00Z', 'x@simulation.example', 'login_failed')")
                    .execute(&pool)
                    .await
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert!(
            !outside.is_finished(),
            "the outside write waits for the transaction"
        );
        tx.execute("UPDATE learners SET step = ? WHERE id = ?", [&step, &learner.id])
            .expect("the transaction's write goes through");
        tx.commit().unwrap();
        outside
            .await
            .unwrap()
            .expect("then the outside write goes through");
    }
}
