//! The world row: the seed, the review delay, the persisted clock and the class's review desk.

use super::{from_json, parse_time, Reads, StoreError, Tx};
use crate::clock::ClockState;
use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::OptionalExtension;

/// The world as stored.
pub(crate) struct WorldRow {
    /// `seed:N` for a seeded world, `os` otherwise.
    pub seed: String,
    pub review_delay: TimeDelta,
    pub clock: ClockState,
}

/// The world as first created.
pub(crate) struct NewWorldRow {
    pub seed: String,
    pub created_at: DateTime<Utc>,
    pub review_delay: TimeDelta,
    pub clock: ClockState,
}

fn mode_text(state: &ClockState) -> String {
    serde_json::to_string(&state.mode).expect("clock mode serialises")
}

impl Tx<'_> {
    /// The world row, created from `new` the first time.
    pub fn world_row_or_create(&self, new: NewWorldRow) -> Result<WorldRow, StoreError> {
        let stored = self
            .0
            .query_row(
                "SELECT seed, review_delay_seconds, clock_mode, clock_anchor_real, clock_anchor_virtual FROM world WHERE id = 1",
                [],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, i64>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, String>(3)?,
                        row.get::<_, String>(4)?,
                    ))
                },
            )
            .optional()?;
        if let Some((seed, delay, mode, anchor_real, anchor_virtual)) = stored {
            return Ok(WorldRow {
                seed,
                review_delay: TimeDelta::seconds(delay),
                clock: ClockState {
                    mode: from_json(&mode, "clock mode")?,
                    anchor_real: parse_time(&anchor_real)?,
                    anchor_virtual: parse_time(&anchor_virtual)?,
                },
            });
        }
        self.0.execute(
            "INSERT INTO world (id, seed, created_at, review_delay_seconds, clock_mode, clock_anchor_real, clock_anchor_virtual) VALUES (1, ?, ?, ?, ?, ?, ?)",
            rusqlite::params![
                new.seed,
                new.created_at.to_rfc3339(),
                new.review_delay.num_seconds(),
                mode_text(&new.clock),
                new.clock.anchor_real.to_rfc3339(),
                new.clock.anchor_virtual.to_rfc3339(),
            ],
        )?;
        Ok(WorldRow {
            seed: new.seed,
            review_delay: new.review_delay,
            clock: new.clock,
        })
    }

    pub fn set_clock(&self, state: &ClockState) -> Result<(), StoreError> {
        self.0.execute(
            "UPDATE world SET clock_mode = ?, clock_anchor_real = ?, clock_anchor_virtual = ? WHERE id = 1",
            (
                mode_text(state),
                state.anchor_real.to_rfc3339(),
                state.anchor_virtual.to_rfc3339(),
            ),
        )?;
        Ok(())
    }

    pub fn set_class_review_desk(&self, desk: bool) -> Result<(), StoreError> {
        self.0
            .execute("UPDATE world SET review_desk = ? WHERE id = 1", [desk])?;
        Ok(())
    }

    /// Counts one more learner; gives their number and the class's review desk setting.
    pub fn count_new_learner(&self) -> Result<(i64, bool), StoreError> {
        Ok(self.0.query_row(
            "UPDATE world SET learners_created = learners_created + 1 WHERE id = 1 RETURNING learners_created, review_desk",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?)
    }
}

/// Reads of the world row.
pub(crate) trait SettingsReads: Reads {
    /// When the world was created: the class clock's first time, before which it never goes.
    fn world_created_at(&self) -> Result<DateTime<Utc>, StoreError> {
        let created: String = self
            .connection()
            .prepare_cached("SELECT created_at FROM world WHERE id = 1")?
            .query_row([], |row| row.get(0))?;
        parse_time(&created)
    }

    /// The class's default review desk setting, given to learners created from now on.
    fn class_review_desk(&self) -> Result<bool, StoreError> {
        Ok(self
            .connection()
            .prepare_cached("SELECT review_desk FROM world WHERE id = 1")?
            .query_row([], |row| row.get(0))?)
    }
}

impl<T: Reads> SettingsReads for T {}
