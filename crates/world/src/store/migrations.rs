//! The schema, brought to the current migration once at open. sqlx's migrator does it (its
//! bookkeeping table, `_sqlx_migrations`, is in every existing database) through a pool of one
//! connection that is closed before the store serves: every statement after it goes through
//! rusqlite.

use super::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::path::Path;

/// Creates the database if needed, puts it in WAL mode (stored in the file, so the store's
/// connections find it so) and applies the migrations it lacks.
pub(super) async fn migrate(path: &Path) -> Result<(), StoreError> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // NORMAL in WAL mode, as the store's connections: see `Store::open`.
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(std::time::Duration::from_secs(10));
    // A pool rather than a bare connection: `Migrator::run` on a `&mut SqliteConnection` makes
    // the caller's future not `Send` (sqlx's `Acquire` is not general enough).
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    let migrated = sqlx::migrate!("./migrations").run(&pool).await;
    pool.close().await;
    Ok(migrated?)
}
