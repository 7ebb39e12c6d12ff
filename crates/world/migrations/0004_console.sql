-- The trainers' and support agents' console: staff accounts (Argon2id PHC strings, never a
-- password), their sessions (only the SHA-256 of the cookie's token is stored, so a copy of the
-- database opens no session), and an audit line per staff action.
CREATE TABLE staff (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('formateur', 'agent_support', 'relecteur', 'guichetier')),
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE staff_sessions (
    token_sha256 TEXT PRIMARY KEY,
    staff_id TEXT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX staff_sessions_expiry ON staff_sessions (expires_at);

CREATE TABLE staff_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    staff_email TEXT NOT NULL,
    action TEXT NOT NULL,
    learner_id TEXT,
    detail TEXT
);

-- "Revue manuelle": the learner's next online identifications wait at the review desk instead
-- of the automatic review. The world row holds the class default given to new learners.
ALTER TABLE learners ADD COLUMN review_desk INTEGER NOT NULL DEFAULT 0;
ALTER TABLE world ADD COLUMN review_desk INTEGER NOT NULL DEFAULT 0;
