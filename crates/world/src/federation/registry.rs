//! Relying parties registered with the simulated FranceConnect+: a developer of a real service
//! registers a client (name, redirect URIs, logout URIs, encryption key or JWKS URL) from the API
//! or `idn rp register`, gets a client id and a secret shown once, and points their own OpenID
//! Connect client at the sandbox. The demo sites are built in and never stored.

use super::client::private_jwks_host;
use super::jose::check_recipient_key;
use super::store::random_token;
use super::JwksAddresses;
use crate::store::{NewRelyingPartyRow, RelyingPartyReads, RelyingPartyRow};
use crate::{World, WorldError};
use chrono::{DateTime, Utc};
use idn_api::{NewRelyingParty, RegisteredRelyingParty, RelyingPartyView};
use josekit::jwk::Jwk;
use sha2::{Digest, Sha256};

pub const DISCOVERY_PATH: &str = "/fcplus/.well-known/openid-configuration";

/// Where a client's tokens are encrypted to.
#[derive(Debug, Clone)]
pub enum Encryption {
    Jwk(Box<Jwk>),
    JwksUri(String),
}

/// A client of one of the providers, as the token endpoint needs it.
#[derive(Debug, Clone)]
pub struct Client {
    pub client_id: String,
    pub name: String,
    secret_sha256: [u8; 32],
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub encryption: Encryption,
}

impl Client {
    pub fn new(
        client_id: &str,
        name: &str,
        secret: &str,
        redirect_uris: Vec<String>,
        post_logout_redirect_uris: Vec<String>,
        encryption: Encryption,
    ) -> Self {
        Self {
            client_id: client_id.to_owned(),
            name: name.to_owned(),
            secret_sha256: Sha256::digest(secret.as_bytes()).into(),
            redirect_uris,
            post_logout_redirect_uris,
            encryption,
        }
    }

    /// Compares digests, so the comparison takes the same time wherever the secrets differ.
    pub fn secret_matches(&self, secret: &str) -> bool {
        let given: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        given
            .iter()
            .zip(self.secret_sha256.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

fn invalid(message: impl Into<String>) -> WorldError {
    WorldError::bad_request("invalid_relying_party", message)
}

fn check_uri(uri: &str, what: &str) -> Result<(), WorldError> {
    let parsed = reqwest::Url::parse(uri)
        .map_err(|_| invalid(format!("{what} « {uri} » n'est pas une adresse absolue valide.")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.fragment().is_some() || uri.len() > 500 {
        return Err(invalid(format!(
            "{what} « {uri} » doit être une adresse http(s) sans fragment (#)."
        )));
    }
    Ok(())
}

/// Checks a registration before anything is stored.
fn check(new: &NewRelyingParty) -> Result<Option<Jwk>, WorldError> {
    // The name is shown to the person on the phone's approval screen: no hidden characters.
    let name = idn_journey::text::screen(new.name.trim(), idn_journey::text::TextField::RelyingParty, 100)?;
    if name.is_empty() {
        return Err(invalid(
            "Le nom du service est obligatoire (100 caractères au plus).",
        ));
    }
    if new.redirect_uris.is_empty() || new.redirect_uris.len() > 10 {
        return Err(invalid(
            "Indiquez entre 1 et 10 adresses de retour (redirect_uris).",
        ));
    }
    for uri in &new.redirect_uris {
        check_uri(uri, "L'adresse de retour")?;
    }
    for uri in &new.post_logout_redirect_uris {
        check_uri(uri, "L'adresse de retour après déconnexion")?;
    }
    match (&new.encryption_jwk, &new.jwks_uri) {
        (Some(jwk), None) => {
            let object = jwk
                .as_object()
                .cloned()
                .ok_or_else(|| invalid("La clé de chiffrement doit être un objet JWK."))?;
            let jwk = Jwk::from_map(object).map_err(|_| invalid("La clé de chiffrement n'est pas une JWK valide."))?;
            check_recipient_key(&jwk)
                .map_err(|reason| invalid(format!("Clé de chiffrement refusée : {reason}.")))?;
            Ok(Some(jwk))
        }
        (None, Some(uri)) => {
            check_uri(uri, "L'adresse JWKS")?;
            Ok(None)
        }
        _ => Err(invalid(
            "Indiquez soit une clé publique de chiffrement (encryption_jwk), soit l'adresse de vos clés (jwks_uri).",
        )),
    }
}

/// Refuses a key-set URL on a private or local address when the world fetches from public
/// addresses only (the fetch checks again: DNS may change after the registration).
async fn check_jwks_address(new: &NewRelyingParty, addresses: JwksAddresses) -> Result<(), WorldError> {
    let Some(uri) = &new.jwks_uri else {
        return Ok(());
    };
    match addresses {
        JwksAddresses::Any => Ok(()),
        JwksAddresses::PublicOnly => match private_jwks_host(uri).await {
            None => Ok(()),
            Some(reason) => Err(WorldError::bad_request(
                "private_jwks_uri",
                format!(
                    "L'adresse JWKS « {uri} » est refusée : {reason}. Ce monde est ouvert sur le réseau \
                     et ne va chercher les clés des services que sur des adresses publiques \
                     (pour un développement local : idn world serve --allow-private-jwks)."
                ),
            )),
        },
    }
}

pub async fn register(
    world: &World,
    new: NewRelyingParty,
    now: DateTime<Utc>,
    addresses: JwksAddresses,
) -> Result<RegisteredRelyingParty, WorldError> {
    let jwk = check(&new)?;
    check_jwks_address(&new, addresses).await?;
    let client_id = random_token();
    let client_secret = random_token();
    let jwk = jwk.map(|jwk| serde_json::Value::Object(jwk.as_ref().clone()));
    let row = NewRelyingPartyRow {
        client_id: &client_id,
        secret_sha256: &hex::encode(Sha256::digest(client_secret.as_bytes())),
        name: new.name.trim(),
        redirect_uris: &new.redirect_uris,
        post_logout_redirect_uris: &new.post_logout_redirect_uris,
        encryption_jwk: jwk.as_ref(),
        jwks_uri: new.jwks_uri.as_deref(),
        created_at: now,
    };
    let stored = world
        .store()
        .change(|tx| {
            tx.insert_relying_party(&row)?;
            tx.relying_party(&client_id)
        })
        .await?
        .ok_or_else(|| corrupt("not found once registered"))?;
    tracing::info!(%client_id, name = new.name.trim(), "relying party registered");
    Ok(RegisteredRelyingParty {
        relying_party: parts(stored)?.1,
        client_secret,
    })
}

fn corrupt(what: &str) -> WorldError {
    WorldError::Corrupt(format!("relying party: {what}"))
}

/// A stored relying party as the token endpoint needs it and as the API shows it.
fn parts(row: RelyingPartyRow) -> Result<(Client, RelyingPartyView), WorldError> {
    let encryption = match (&row.encryption_jwk, &row.jwks_uri) {
        (Some(value), _) => Encryption::Jwk(Box::new(
            Jwk::from_map(value.as_object().cloned().unwrap_or_default())
                .map_err(|_| corrupt("encryption_jwk"))?,
        )),
        (None, Some(uri)) => Encryption::JwksUri(uri.clone()),
        (None, None) => return Err(corrupt("no encryption key")),
    };
    let secret_sha256: [u8; 32] = hex::decode(&row.secret_sha256)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| corrupt("secret digest"))?;
    let view = RelyingPartyView {
        client_id: row.client_id.clone(),
        name: row.name.clone(),
        redirect_uris: row.redirect_uris.clone(),
        post_logout_redirect_uris: row.post_logout_redirect_uris.clone(),
        encryption_jwk: row.encryption_jwk,
        jwks_uri: row.jwks_uri,
        created_at: row.created_at,
        discovery_path: DISCOVERY_PATH.to_owned(),
    };
    let client = Client {
        client_id: row.client_id,
        name: row.name,
        secret_sha256,
        redirect_uris: row.redirect_uris,
        post_logout_redirect_uris: row.post_logout_redirect_uris,
        encryption,
    };
    Ok((client, view))
}

/// A registered client, or `None` when the id is unknown: at every FranceConnect+ login, a read
/// on the caller's thread.
pub async fn client(world: &World, client_id: &str) -> Result<Option<Client>, WorldError> {
    let row = world.store().read().await.relying_party(client_id)?;
    row.map(|row| parts(row).map(|(client, _)| client)).transpose()
}

pub async fn view(world: &World, client_id: &str) -> Result<RelyingPartyView, WorldError> {
    let row = world
        .store()
        .read()
        .await
        .relying_party(client_id)?
        .ok_or(WorldError::NotFound {
            what: "fournisseur de service",
        })?;
    parts(row).map(|(_, view)| view)
}

pub async fn list(world: &World) -> Result<Vec<RelyingPartyView>, WorldError> {
    let rows = world.store().read().await.relying_parties()?;
    rows.into_iter()
        .map(|row| parts(row).map(|(_, view)| view))
        .collect()
}

// ----- HTTP API (documented in the world's OpenAPI) -----

use crate::api::ApiError;
use axum::extract::{Path, State};
use axum::{Extension, Json};
use std::sync::Arc;

/// Registers a relying party with the sandbox's FranceConnect+; the secret is shown only here.
#[utoipa::path(post, path = "/api/relying-parties", request_body = NewRelyingParty, responses((status = 200, body = RegisteredRelyingParty), (status = 400, body = ApiError)))]
pub async fn register_relying_party(
    State(world): State<Arc<World>>,
    // Set by `expose` on a served world that refuses private addresses; absent means any.
    rule: Option<Extension<JwksAddresses>>,
    body: Result<Json<NewRelyingParty>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<RegisteredRelyingParty>, WorldError> {
    let Json(new) = body?;
    let addresses = rule.map(|rule| rule.0).unwrap_or_default();
    Ok(Json(register(&world, new, world.now(), addresses).await?))
}

/// Every registered relying party (secrets are never shown again).
#[utoipa::path(get, path = "/api/relying-parties", responses((status = 200, body = Vec<RelyingPartyView>)))]
pub async fn list_relying_parties(
    State(world): State<Arc<World>>,
) -> Result<Json<Vec<RelyingPartyView>>, WorldError> {
    Ok(Json(list(&world).await?))
}

#[utoipa::path(get, path = "/api/relying-parties/{client_id}", params(("client_id" = String, Path)), responses((status = 200, body = RelyingPartyView), (status = 404, body = ApiError)))]
pub async fn relying_party(
    State(world): State<Arc<World>>,
    path: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<Json<RelyingPartyView>, WorldError> {
    let Path(client_id) = path?;
    Ok(Json(view(&world, &client_id).await?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::federation::jose::DecryptionKey;

    fn new(jwk: Option<serde_json::Value>, jwks_uri: Option<&str>) -> NewRelyingParty {
        NewRelyingParty {
            name: "Service de test".into(),
            redirect_uris: vec!["https://service.invalid/callback".into()],
            post_logout_redirect_uris: vec![],
            encryption_jwk: jwk,
            jwks_uri: jwks_uri.map(Into::into),
        }
    }

    #[test]
    fn a_registration_needs_one_public_encryption_key_and_absolute_uris() {
        let key = DecryptionKey::generate_ec("k").unwrap();
        let public = serde_json::to_value(key.public().as_ref()).unwrap();
        let private = serde_json::to_value(key.private().as_ref()).unwrap();
        assert!(check(&new(Some(public.clone()), None)).is_ok());
        assert!(check(&new(None, Some("https://service.invalid/jwks"))).is_ok());
        assert!(check(&new(None, None)).is_err(), "a key is required");
        assert!(check(&new(Some(public.clone()), Some("https://service.invalid/jwks"))).is_err());
        assert!(
            check(&new(Some(private), None)).is_err(),
            "a private key is refused"
        );
        let mut relative = new(Some(public), None);
        relative.redirect_uris = vec!["/callback".into()];
        assert!(check(&relative).is_err());
    }

    #[tokio::test]
    async fn a_served_world_refuses_key_sets_on_private_addresses_and_a_local_one_accepts_them() {
        let dir = tempfile::tempdir().unwrap();
        let world = World::open(
            crate::WorldOptions::new(dir.path()),
            std::sync::Arc::new(crate::clock::SystemWallClock),
        )
        .await
        .unwrap();
        for uri in [
            "http://127.0.0.1:8080/jwks",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]:3000/jwks",
            "http://localhost:3000/jwks",
        ] {
            let refused = register(
                &world,
                new(None, Some(uri)),
                world.now(),
                JwksAddresses::PublicOnly,
            )
            .await;
            match refused {
                Err(error) => {
                    assert_eq!(error.code(), "private_jwks_uri", "{uri}");
                    assert!(
                        error.message_fr().contains("adresses publiques"),
                        "the message names the rule"
                    );
                }
                Ok(_) => panic!("{uri} must be refused when private addresses are"),
            }
            assert!(
                register(&world, new(None, Some(uri)), world.now(), JwksAddresses::Any)
                    .await
                    .is_ok(),
                "{uri} is accepted for local development"
            );
        }
        assert!(
            register(
                &world,
                new(None, Some("https://93.184.215.14/jwks")),
                world.now(),
                JwksAddresses::PublicOnly
            )
            .await
            .is_ok(),
            "a public address is accepted"
        );
        assert_eq!(list(&world).await.unwrap().len(), 5, "nothing refused was stored");
    }

    #[test]
    fn secrets_are_compared_by_digest() {
        let client = Client::new(
            "id",
            "n",
            "s3cret",
            vec![],
            vec![],
            Encryption::JwksUri("x".into()),
        );
        assert!(client.secret_matches("s3cret"));
        assert!(!client.secret_matches("s3cre"));
    }
}
