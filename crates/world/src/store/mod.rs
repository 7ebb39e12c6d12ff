//! The world's storage, the one place that holds its connections and every SQL statement
//! (learners, journal, inbox, login requests, media, the world row; the console's staff,
//! sessions and audit; the relying parties). The rest of the world asks it typed questions and
//! runs its changes through one unit of work: load one learner for update, apply the pure
//! journey step, write the row, one journal line and the messages in one transaction (`Tx`). A
//! second engine implements the same unit of work.
//!
//! SQLite, as wave 1 measured it: one writer and two readers run their statements through
//! rusqlite on the caller's thread, with no thread hop per statement and the WAL checkpointed on
//! a thread of its own; every table is reached through rusqlite only. sqlx only applies the
//! migrations at open, on a connection closed before the store serves.

mod change;
pub(crate) mod class_activity;
mod clock_history;
mod connection;
mod credentials;
mod inbox;
mod journal;
mod learners;
mod media;
mod migrations;
mod oversight;
mod postal_requests;
mod relying_parties;
mod settings;
mod staff;

pub(crate) use clock_history::{ClockHistoryReads, NewClockChange};
pub(crate) use credentials::{CredentialReads, NewApiToken, NewLearnerCredential};
pub(crate) use inbox::InboxReads;
pub(crate) use journal::JournalReads;
pub(crate) use learners::{JournalLine, LearnerReads, LearnerRow, NewLearnerRow, StoredMessage};
pub(crate) use media::NewMedia;
pub(crate) use oversight::OversightReads;
pub(crate) use postal_requests::{PostalReads, PostalRow};
pub(crate) use relying_parties::{NewRelyingPartyRow, RelyingPartyReads, RelyingPartyRow};
pub(crate) use settings::{NewWorldRow, SettingsReads};
#[cfg(test)]
pub(crate) use staff::StaffTestReads;
pub(crate) use staff::{NewStaff, NewStaffSession, StaffAuditLine, StaffReads};

use chrono::{DateTime, Utc};
use connection::{core_connection, start_checkpoints};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::{Mutex, MutexGuard, OwnedMutexGuard};

#[cfg(test)]
use connection::CHECKPOINT_INTERVAL;

/// Dedicated reader connections: two cores on the reference machine, WAL lets them read while
/// the writer writes.
const READERS: usize = 2;

/// The storage's one error type.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no such learner")]
    LearnerNotFound,
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("opening for migrations: {0}")]
    Pool(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    #[error("storage task stopped: {0}")]
    Stopped(String),
}

/// Where a world keeps its database.
pub fn database_path(data_dir: &Path) -> PathBuf {
    data_dir.join("world.sqlite")
}

pub(crate) struct Store {
    /// One writer at a time: SQLite allows one, and taking it here avoids busy retries. Its
    /// transactions run on the caller's thread with no await inside: a task waiting for the
    /// writer waits asynchronously, the one holding it runs straight through.
    writer: Arc<Mutex<rusqlite::Connection>>,
    /// The reads of every step of a login (the device's requests, La Poste's pages, the
    /// learner's screens), on the caller's thread too.
    readers: Vec<Arc<Mutex<rusqlite::Connection>>>,
    next_reader: AtomicUsize,
    /// Dropped with the store, which stops the checkpoint thread.
    _checkpoints: std::sync::mpsc::Sender<()>,
}

impl Store {
    /// Opens (or creates) the database in `data_dir` and brings it to the current schema.
    pub async fn open(data_dir: &Path) -> Result<Self, StoreError> {
        let path = database_path(data_dir);
        // WAL with synchronous=NORMAL (set on every connection): a commit is written to the WAL
        // before it is acknowledged, and the WAL is fsynced at each checkpoint. A killed or
        // crashed process loses nothing it acknowledged (the OS has the WAL); only an OS crash or
        // a power cut can lose the last transactions, never corrupt the database. FULL's fsync
        // per commit made every write wait ~1.3 ms under the writer lock (federation bench: 2×
        // the logins/s).
        migrations::migrate(&path).await?;
        let mut writer = core_connection(&path)?;
        journal::give_old_lines_their_detail(&mut writer)?;
        let readers = (0..READERS)
            .map(|_| core_connection(&path).map(|reader| Arc::new(Mutex::new(reader))))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            writer: Arc::new(Mutex::new(writer)),
            readers,
            next_reader: AtomicUsize::new(0),
            _checkpoints: start_checkpoints(&path)?,
        })
    }

    /// The writer, for one unit of work (`WriteLock::begin`).
    pub async fn write(&self) -> WriteLock<'_> {
        WriteLock(self.writer.lock().await)
    }

    /// A reader connection: a free one if there is, else the next in turn.
    pub async fn read(&self) -> Reader<'_> {
        for reader in &self.readers {
            if let Ok(free) = reader.try_lock() {
                return Reader(free);
            }
        }
        let turn = self.next_reader.fetch_add(1, Ordering::Relaxed);
        Reader(self.readers[turn % READERS].lock().await)
    }

    /// Runs `job` on a blocking thread with a reader, for reads of large blobs that must not
    /// hold an async worker.
    async fn read_blocking<T: Send + 'static>(
        &self,
        job: impl FnOnce(&rusqlite::Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let turn = self.next_reader.fetch_add(1, Ordering::Relaxed);
        let reader: OwnedMutexGuard<rusqlite::Connection> =
            self.readers[turn % READERS].clone().lock_owned().await;
        tokio::task::spawn_blocking(move || job(&reader))
            .await
            .map_err(|error| StoreError::Stopped(error.to_string()))?
    }

    /// Runs `job` on a blocking thread in a write transaction, for writes of large blobs.
    async fn write_blocking<T: Send + 'static>(
        &self,
        job: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let mut writer = self.writer.clone().lock_owned().await;
        tokio::task::spawn_blocking(move || {
            let tx = connection::begin_write(&mut writer)?;
            let value = job(&tx)?;
            tx.commit()?;
            Ok(value)
        })
        .await
        .map_err(|error| StoreError::Stopped(error.to_string()))?
    }
}

/// The writer, held.
pub(crate) struct WriteLock<'s>(MutexGuard<'s, rusqlite::Connection>);

impl WriteLock<'_> {
    /// One unit of work; dropped without `commit`, it rolls back.
    pub fn begin(&mut self) -> Result<Tx<'_>, StoreError> {
        Ok(Tx(connection::begin_write(&mut self.0)?))
    }
}

/// A write transaction: the reads of [`Reads`] plus the writes of one unit of work.
pub(crate) struct Tx<'c>(rusqlite::Transaction<'c>);

impl Tx<'_> {
    pub fn commit(self) -> Result<(), StoreError> {
        Ok(self.0.commit()?)
    }
}

/// A reader connection, held.
pub(crate) struct Reader<'s>(MutexGuard<'s, rusqlite::Connection>);

/// The typed questions both a reader and a transaction answer.
pub(crate) trait Reads {
    fn connection(&self) -> &rusqlite::Connection;
}

impl Reads for Tx<'_> {
    fn connection(&self) -> &rusqlite::Connection {
        &self.0
    }
}

impl Reads for Reader<'_> {
    fn connection(&self) -> &rusqlite::Connection {
        &self.0
    }
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.to_utc())
        .map_err(|error| StoreError::Corrupt(format!("timestamp {text:?}: {error}")))
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|error| StoreError::Corrupt(format!("{what}: {error}")))
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("plain data serialises")
}

/// A text column read in place, without a copy.
fn text<'r>(row: &'r rusqlite::Row<'_>, index: usize) -> Result<&'r str, StoreError> {
    row.get_ref(index)?
        .as_str()
        .map_err(|error| StoreError::Corrupt(format!("column {index}: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the writer appends to the WAL reaches the database file in the background: a copy
    /// of the file alone, taken after a short pause, already holds the new learners.
    #[tokio::test]
    async fn the_wal_is_checkpointed_in_the_background() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        {
            let mut writer = store.write().await;
            let tx = writer.begin().unwrap();
            for n in 0..3 {
                tx.insert_learner(NewLearnerRow {
                    id: &format!("copie{n}"),
                    at: chrono::DateTime::UNIX_EPOCH,
                    email: "copie@simulation.example",
                    review_policy: &crate::api::ReviewPolicy::Automatic,
                    review_desk: false,
                })
                .unwrap();
            }
            tx.commit().unwrap();
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

    /// A staff audit line written while a unit of work is between its read and its write waits
    /// for that unit of work (the one writer), and neither fails (SQLITE_BUSY_SNAPSHOT, seen as a
    /// 500 on an approval when the console wrote through a pool of its own).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_staff_audit_line_waits_for_a_unit_of_work_in_progress() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).await.unwrap());
        let mut writer = store.write().await;
        let tx = writer.begin().unwrap();
        tx.learner_count().expect("the unit of work reads first");
        let audit = {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .change(|tx| {
                        tx.append_failed_sign_in("x@simulation.example", chrono::DateTime::UNIX_EPOCH)
                    })
                    .await
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert!(!audit.is_finished(), "the audit line waits for the unit of work");
        tx.set_class_review_desk(true)
            .expect("the unit of work's write goes through");
        tx.commit().unwrap();
        drop(writer);
        audit.await.unwrap().expect("then the audit line goes through");
        assert_eq!(
            store
                .read()
                .await
                .failed_sign_ins_since(
                    "x@simulation.example",
                    chrono::DateTime::UNIX_EPOCH - chrono::TimeDelta::seconds(1)
                )
                .unwrap(),
            1
        );
    }
}
