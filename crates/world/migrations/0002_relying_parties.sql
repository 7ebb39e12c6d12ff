-- Relying parties registered with the simulated FranceConnect+ (developers pointing their own
-- OpenID Connect client at the sandbox). The client secret is stored as a SHA-256 digest: it is
-- 32 random bytes, so a plain digest cannot be reversed; the secret is shown once at registration.
CREATE TABLE relying_parties (
    client_id TEXT PRIMARY KEY,
    secret_sha256 TEXT NOT NULL,
    name TEXT NOT NULL,
    redirect_uris TEXT NOT NULL,
    post_logout_redirect_uris TEXT NOT NULL,
    encryption_jwk TEXT,
    jwks_uri TEXT,
    created_at TEXT NOT NULL,
    CHECK ((encryption_jwk IS NULL) <> (jwks_uri IS NULL))
);
