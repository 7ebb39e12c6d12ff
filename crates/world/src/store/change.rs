//! A change of a few rows outside any learner's unit of work (staff accounts, sessions, audit,
//! relying parties): its own transaction through the one writer, on the caller's thread.

use super::{Store, StoreError, Tx};

impl Store {
    /// Runs `job` in a write transaction and commits it; an error rolls it back. No await inside:
    /// the writer is held only while the statements run.
    pub async fn change<T>(
        &self,
        job: impl FnOnce(&Tx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut writer = self.write().await;
        let tx = writer.begin()?;
        let value = job(&tx)?;
        tx.commit()?;
        Ok(value)
    }
}
