-- Every change of the class clock, so that a trainer sees what moved the class's time and can
-- bring it back (`POST /api/clock/rewind`, « Revenir à l'heure réelle »). Times are RFC 3339
-- text in UTC: `recorded_at` on the wall clock, `before` and `after` in simulated time.
CREATE TABLE clock_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    before_at TEXT NOT NULL,
    after_at TEXT NOT NULL,
    clock_mode TEXT NOT NULL,
    staff_email TEXT,
    learners_kept INTEGER NOT NULL DEFAULT 0
);
