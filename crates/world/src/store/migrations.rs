//! The schema, brought to the current migration once at open. sqlx's migrator does it (its
//! bookkeeping table, `_sqlx_migrations`, is in every existing database) through a pool of one
//! connection that is closed before the store serves: every statement after it goes through
//! rusqlite.
//!
//! A migration is registered by adding its file to `migrations/` (`sqlx::migrate!` embeds the
//! folder at build time); the test below fails when the embedded list and the folder differ,
//! as they do when a build cached before the new file was added.

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

#[cfg(test)]
mod tests {
    /// Every file of `migrations/` is embedded, in order (0008 is the clock's history).
    #[test]
    fn every_migration_file_is_embedded() {
        let embedded: Vec<i64> = sqlx::migrate!("./migrations")
            .iter()
            .map(|migration| migration.version)
            .collect();
        let mut files: Vec<i64> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
            .unwrap()
            .filter_map(|entry| {
                let name = entry.unwrap().file_name().into_string().unwrap();
                name.split('_').next()?.parse().ok()
            })
            .collect();
        files.sort();
        assert_eq!(embedded, files, "rebuild: a migration file is not embedded");
        assert!(files.contains(&8), "the clock's history is a migration");
    }
}
