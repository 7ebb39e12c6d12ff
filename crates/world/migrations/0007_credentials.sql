-- Who may call the world's API. A learner's credentials (the account's, the activated phone's,
-- the short sign-in ticket) and the staff's API tokens are stored as the SHA-256 of their
-- random token only, so a copy of the database opens nothing. Revoked and expired rows stay
-- a while so that a client is told why its credential stopped working.
CREATE TABLE learner_credentials (
    token_sha256 TEXT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    learner_id TEXT NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('account', 'device', 'sign_in')),
    device_id TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT,
    revoked_reason TEXT,
    CHECK ((kind = 'device') = (device_id IS NOT NULL))
);
CREATE INDEX learner_credentials_learner ON learner_credentials (learner_id);
CREATE INDEX learner_credentials_expiry ON learner_credentials (expires_at);

CREATE TABLE api_tokens (
    token_sha256 TEXT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    staff_id TEXT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);
