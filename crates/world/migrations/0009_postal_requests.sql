-- The postal procedure for people without a smartphone (004): one row per envelope posted from
-- the web site's « procédure courrier ». It is not a learner's journey (no Compte La Poste, no
-- app): the browser that posted it holds a token whose SHA-256 is `token_sha256`; the request
-- itself (envelope and stage) is the journey crate's `PostalRequest` as JSON. `next_deadline`
-- (RFC 3339, UTC) is when its answer is due, NULL once answered. `letter_number` is the
-- registered letter's, set when it is delivered, for the clerk's desk.
CREATE TABLE postal_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_sha256 TEXT NOT NULL UNIQUE,
    posted_at TEXT NOT NULL,
    request TEXT NOT NULL,
    next_deadline TEXT,
    letter_number TEXT UNIQUE
);
