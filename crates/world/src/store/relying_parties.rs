//! Relying parties registered with the simulated FranceConnect+ (migration 0002). The lookup of a
//! client runs at every FranceConnect+ login: a cached statement on a reader, on the caller's
//! thread.

use super::{from_json, parse_time, text, to_json, Reads, StoreError, Tx};
use chrono::{DateTime, Utc};

/// A registered relying party as stored; the federation turns it into its client and its view.
pub(crate) struct RelyingPartyRow {
    pub client_id: String,
    /// Hex of the SHA-256 of the secret shown once at registration.
    pub secret_sha256: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// The public encryption key (a JWK as JSON), or else…
    pub encryption_jwk: Option<serde_json::Value>,
    /// …the address of the relying party's key set.
    pub jwks_uri: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A registration to keep.
pub(crate) struct NewRelyingPartyRow<'a> {
    pub client_id: &'a str,
    pub secret_sha256: &'a str,
    pub name: &'a str,
    pub redirect_uris: &'a [String],
    pub post_logout_redirect_uris: &'a [String],
    pub encryption_jwk: Option<&'a serde_json::Value>,
    pub jwks_uri: Option<&'a str>,
    pub created_at: DateTime<Utc>,
}

fn relying_party_row(row: &rusqlite::Row<'_>) -> Result<RelyingPartyRow, StoreError> {
    let jwk: Option<String> = row.get(5)?;
    Ok(RelyingPartyRow {
        client_id: row.get(0)?,
        secret_sha256: row.get(1)?,
        name: row.get(2)?,
        redirect_uris: from_json(text(row, 3)?, "relying party redirect_uris")?,
        post_logout_redirect_uris: from_json(text(row, 4)?, "relying party post_logout_redirect_uris")?,
        encryption_jwk: jwk
            .map(|jwk| from_json(&jwk, "relying party encryption_jwk"))
            .transpose()?,
        jwks_uri: row.get(6)?,
        created_at: parse_time(text(row, 7)?)?,
    })
}

/// Reads of the registry.
pub(crate) trait RelyingPartyReads: Reads {
    /// A registered relying party, or `None` when the id is unknown.
    fn relying_party(&self, client_id: &str) -> Result<Option<RelyingPartyRow>, StoreError> {
        let mut statement = self.connection().prepare_cached(
            "SELECT client_id, secret_sha256, name, redirect_uris, post_logout_redirect_uris, encryption_jwk, jwks_uri, created_at FROM relying_parties WHERE client_id = ?",
        )?;
        let mut rows = statement.query([client_id])?;
        rows.next()?.map(relying_party_row).transpose()
    }

    /// Every registered relying party, in the order of registration.
    fn relying_parties(&self) -> Result<Vec<RelyingPartyRow>, StoreError> {
        let mut statement = self.connection().prepare_cached(
            "SELECT client_id, secret_sha256, name, redirect_uris, post_logout_redirect_uris, encryption_jwk, jwks_uri, created_at FROM relying_parties ORDER BY created_at, client_id",
        )?;
        let mut rows = statement.query([])?;
        let mut parties = Vec::new();
        while let Some(row) = rows.next()? {
            parties.push(relying_party_row(row)?);
        }
        Ok(parties)
    }
}

impl<T: Reads> RelyingPartyReads for T {}

impl Tx<'_> {
    pub fn insert_relying_party(&self, new: &NewRelyingPartyRow<'_>) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "INSERT INTO relying_parties (client_id, secret_sha256, name, redirect_uris, post_logout_redirect_uris, encryption_jwk, jwks_uri, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )?
            .execute((
                new.client_id,
                new.secret_sha256,
                new.name,
                to_json(&new.redirect_uris),
                to_json(&new.post_logout_redirect_uris),
                new.encryption_jwk.map(to_json),
                new.jwks_uri,
                new.created_at.to_rfc3339(),
            ))?;
        Ok(())
    }
}
