//! The transaction core's SQLite connections: how each is set up, how a write transaction
//! begins, and the thread that checkpoints the WAL off the async workers.

use super::StoreError;
use rusqlite::TransactionBehavior;
use std::path::Path;

/// How often the checkpoint thread copies the WAL into the database.
pub(crate) const CHECKPOINT_INTERVAL: std::time::Duration = std::time::Duration::from_millis(200);

/// WAL pages past which a core connection checkpoints by itself at its commit, should the
/// checkpoint thread fall behind (about 40 MB; SQLite's default is 1 000 pages).
const WAL_BACKSTOP_PAGES: i64 = 10_000;

/// A connection of the transaction core, set up as the pool's are (the database is already in
/// WAL mode, which is stored in the file). Its cache keeps every statement of a step prepared.
pub(super) fn core_connection(path: &Path) -> Result<rusqlite::Connection, StoreError> {
    let connection = rusqlite::Connection::open(path)?;
    connection.busy_timeout(std::time::Duration::from_secs(10))?;
    // NORMAL in WAL mode, as the pool's: see `Store::open`.
    connection.pragma_update(None, "synchronous", "NORMAL")?;
    connection.pragma_update(None, "foreign_keys", true)?;
    connection.pragma_update(None, "wal_autocheckpoint", WAL_BACKSTOP_PAGES)?;
    connection.set_prepared_statement_cache_capacity(32);
    Ok(connection)
}

/// A write transaction on the writer's connection (held through the writer lock). SQLite takes
/// its write lock at the BEGIN (IMMEDIATE): a write made outside the writer lock meanwhile
/// (console sessions and audit, the scenario engine's account, relying-party registrations)
/// then makes it wait (busy timeout) instead of failing with SQLITE_BUSY_SNAPSHOT when a
/// deferred transaction upgrades its older read to a write. Dropped without a commit, it rolls
/// back.
pub(super) fn begin_write(
    writer: &mut rusqlite::Connection,
) -> Result<rusqlite::Transaction<'_>, StoreError> {
    Ok(writer.transaction_with_behavior(TransactionBehavior::Immediate)?)
}

/// Checkpoints run on a thread of their own, as SQLite advises for latency: a checkpoint copies
/// pages into the database and fsyncs both files, milliseconds that would otherwise stall one of
/// the async workers at the commit crossing the threshold. PASSIVE: it never waits for a reader
/// or the writer. The thread stops when the returned sender is dropped.
pub(super) fn start_checkpoints(path: &Path) -> Result<std::sync::mpsc::Sender<()>, StoreError> {
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
