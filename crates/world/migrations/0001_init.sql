-- Schema of the world's storage. Portable SQL (TEXT, INTEGER, BLOB) so that a PostgreSQL
-- backend can follow; timestamps are RFC 3339 text in UTC.
CREATE TABLE world (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seed TEXT NOT NULL,
    created_at TEXT NOT NULL,
    learners_created INTEGER NOT NULL DEFAULT 0,
    review_delay_seconds INTEGER NOT NULL,
    clock_mode TEXT NOT NULL,
    clock_anchor_real TEXT NOT NULL,
    clock_anchor_virtual TEXT NOT NULL
);

CREATE TABLE learners (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    email TEXT NOT NULL,
    mobile TEXT,
    step TEXT NOT NULL,
    journey TEXT NOT NULL,
    next_deadline TEXT,
    face_to_face_code TEXT,
    review_policy TEXT NOT NULL,
    seq INTEGER NOT NULL
);
CREATE INDEX learners_next_deadline ON learners (next_deadline);
CREATE INDEX learners_mobile ON learners (mobile);
CREATE INDEX learners_face_to_face_code ON learners (face_to_face_code);

CREATE TABLE journal (
    learner_id TEXT NOT NULL REFERENCES learners (id),
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    message TEXT,
    step_before TEXT NOT NULL,
    step_after TEXT NOT NULL,
    PRIMARY KEY (learner_id, seq)
);

CREATE TABLE inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    learner_id TEXT NOT NULL REFERENCES learners (id),
    at TEXT NOT NULL,
    channel TEXT NOT NULL,
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    link TEXT,
    folder TEXT NOT NULL,
    code TEXT
);
CREATE INDEX inbox_learner ON inbox (learner_id, id);

CREATE TABLE login_requests (
    request_id TEXT PRIMARY KEY,
    learner_id TEXT NOT NULL REFERENCES learners (id)
);

CREATE TABLE media (
    id TEXT PRIMARY KEY,
    learner_id TEXT NOT NULL REFERENCES learners (id),
    kind TEXT NOT NULL,
    content_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX media_learner ON media (learner_id);
