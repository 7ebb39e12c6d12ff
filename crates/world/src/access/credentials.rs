//! Issuing, recognising and ending the credentials of the world's API. A token is
//! `idn_<kind>_<43 base64url characters>` (256 bits from the OS's generator, even in a seeded
//! world: a replay reproduces codes, never access), recognisable by secret scanners by its
//! prefix, and stored as its SHA-256 only: 256 random bits need no slow hash.

use super::Principal;
use crate::api::{CredentialKind, IssuedCredential};
use crate::console::{self, digest, StaffSession};
use crate::store::{CredentialReads, NewApiToken, NewLearnerCredential, StaffReads, Tx};
use crate::{World, WorldError};
use base64::Engine;
use chrono::{DateTime, TimeDelta, Utc};
use rand::RngCore;

/// A La Poste account's credential, from its creation or a sign-in until the identity is
/// activated on a phone. Wall-clock time: moving the class clock never ends an access.
pub const ACCOUNT_LIFETIME: TimeDelta = TimeDelta::days(30);
/// The activated phone's credential. It ends when the identity is activated on another phone,
/// removed from this one, or disconnected by support; the year bounds a phone forgotten in a
/// drawer (activating again gives a new one).
pub const DEVICE_LIFETIME: TimeDelta = TimeDelta::days(365);
/// The sign-in ticket: from the right password to the confirmation code typed back.
pub const SIGN_IN_LIFETIME: TimeDelta = TimeDelta::minutes(10);
/// A staff API token, unless its creator says otherwise; at most [`MAX_STAFF_TOKEN_LIFETIME`].
pub const STAFF_TOKEN_LIFETIME: TimeDelta = TimeDelta::days(30);
pub const MAX_STAFF_TOKEN_LIFETIME: TimeDelta = TimeDelta::days(365);
/// Ended credentials are kept this long, so that a client is told why its access ended.
pub const ENDED_KEPT: TimeDelta = TimeDelta::days(30);

/// Why a learner's credential was ended: a stable code kept with it, and what its holder reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokedBecause {
    /// The identity was activated on a phone: the phone that held it before (and any sign-in
    /// in progress) no longer acts for it. The account's own access stays, as a web session
    /// stays open when the app is activated.
    Activated,
    /// « Supprimer cette identité de l'appareil », or signing out.
    Removed,
    /// Support's « Déconnecter tous ses appareils ».
    DisconnectedBySupport,
    /// The sign-in ticket did its one job.
    SignInConfirmed,
}

impl RevokedBecause {
    pub fn code(self) -> &'static str {
        match self {
            Self::Activated => "activated",
            Self::Removed => "removed",
            Self::DisconnectedBySupport => "disconnected_by_support",
            Self::SignInConfirmed => "sign_in_confirmed",
        }
    }

    fn message_fr(code: &str) -> &'static str {
        match code {
            "activated" => "Votre Identité Numérique a été activée sur un autre téléphone : celui-ci ne peut plus l'utiliser. Pour l'utiliser ici, reconnectez-vous avec votre compte La Poste et activez-la à nouveau.",
            "removed" => "L'identité a été retirée de cet appareil : reconnectez-vous avec votre compte La Poste.",
            "disconnected_by_support" => "L'assistance a déconnecté vos appareils : reconnectez-vous avec votre compte La Poste.",
            "sign_in_confirmed" => "Cette connexion est déjà confirmée.",
            _ => "Cet accès a été retiré : reconnectez-vous avec votre compte La Poste.",
        }
    }
}

fn prefix(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::Account => "idn_la_",
        CredentialKind::Device => "idn_ld_",
        CredentialKind::SignIn => "idn_si_",
    }
}

const STAFF_TOKEN_PREFIX: &str = "idn_st_";

fn fresh_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

fn fresh_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn lifetime(kind: CredentialKind) -> TimeDelta {
    match kind {
        CredentialKind::Account => ACCOUNT_LIFETIME,
        CredentialKind::Device => DEVICE_LIFETIME,
        CredentialKind::SignIn => SIGN_IN_LIFETIME,
    }
}

/// Issues a learner's credential inside the caller's unit of work (with the step that earns it).
pub(crate) fn issue(
    tx: &Tx<'_>,
    learner_id: &str,
    kind: CredentialKind,
    device_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<IssuedCredential, WorldError> {
    let token = fresh_token(prefix(kind));
    let expires_at = now + lifetime(kind);
    tx.insert_learner_credential(&NewLearnerCredential {
        token_sha256: &digest(&token),
        id: &fresh_id(),
        learner_id,
        kind,
        device_id,
        created_at: now,
        expires_at,
    })?;
    Ok(IssuedCredential {
        token,
        kind,
        expires_at,
    })
}

/// Every kind of a learner's credential.
pub(crate) const ALL_KINDS: &[CredentialKind] = &[
    CredentialKind::Account,
    CredentialKind::Device,
    CredentialKind::SignIn,
];

/// Ends the learner's live credentials of `kinds` inside the caller's unit of work.
pub(crate) fn revoke_all(
    tx: &Tx<'_>,
    learner_id: &str,
    kinds: &[CredentialKind],
    because: RevokedBecause,
    now: DateTime<Utc>,
) -> Result<usize, WorldError> {
    Ok(tx.revoke_learner_credentials(learner_id, kinds, None, because.code(), now)?)
}

/// Ends the caller's own learner credential.
pub(crate) async fn revoke_own(
    world: &World,
    principal: &Principal,
    because: RevokedBecause,
) -> Result<(), WorldError> {
    let Some(digest) = principal.learner_digest() else {
        return Err(super::refusal::learner_credential_required());
    };
    let digest = digest.to_owned();
    let now = world.wall_now();
    world
        .store()
        .change(|tx| tx.revoke_learner_credential(&digest, because.code(), now))
        .await?;
    Ok(())
}

fn unauthenticated(code: &'static str, message_fr: impl Into<String>) -> WorldError {
    WorldError::Unauthenticated {
        code,
        message_fr: message_fr.into(),
    }
}

fn unknown_credential() -> WorldError {
    unauthenticated(
        "credential_unknown",
        "Cet accès n'est pas reconnu par le service simulé : reconnectez-vous avec votre compte La Poste.",
    )
}

/// Who presents `authorization` (an `Authorization` header's value, if any). A credential
/// that ended is refused with why, never taken as anonymous.
pub(crate) async fn authenticate(
    world: &World,
    authorization: Option<&str>,
) -> Result<Principal, WorldError> {
    let Some(authorization) = authorization else {
        return Ok(Principal::Anonymous);
    };
    let token = authorization
        .strip_prefix("Bearer ")
        .or_else(|| authorization.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty() && token.len() <= 128)
        .ok_or_else(|| {
            unauthenticated(
                "credential_malformed",
                "L'accès doit être présenté ainsi : « Authorization: Bearer <jeton> ».",
            )
        })?;
    let now = world.wall_now();
    if let Some(kind) = [
        CredentialKind::Account,
        CredentialKind::Device,
        CredentialKind::SignIn,
    ]
    .into_iter()
    .find(|kind| token.starts_with(prefix(*kind)))
    {
        let token_sha256 = digest(token);
        let stored = world.store().read().await.learner_credential(&token_sha256)?;
        let stored = stored
            .filter(|stored| stored.kind == kind)
            .ok_or_else(unknown_credential)?;
        if let Some(reason) = &stored.revoked_reason {
            return Err(unauthenticated(
                "credential_revoked",
                RevokedBecause::message_fr(reason),
            ));
        }
        if stored.expires_at <= now {
            return Err(unauthenticated(
                "credential_expired",
                "Cet accès a expiré : reconnectez-vous avec votre compte La Poste.",
            ));
        }
        return Ok(Principal::Learner {
            learner_id: stored.learner_id,
            kind,
            device_id: stored.device_id,
            token_sha256,
        });
    }
    if token.starts_with(STAFF_TOKEN_PREFIX) {
        let stored = world.store().read().await.api_token(&digest(token))?;
        let stored = stored.ok_or_else(unknown_credential)?;
        if stored.revoked {
            return Err(unauthenticated(
                "credential_revoked",
                "Ce jeton d'accès a été révoqué.",
            ));
        }
        if stored.expires_at <= now {
            return Err(unauthenticated(
                "credential_expired",
                "Ce jeton d'accès a expiré.",
            ));
        }
        return Ok(Principal::Staff {
            session: StaffSession {
                staff_id: stored.staff_id,
                email: stored.email,
                role: stored.role,
                csrf_token: String::new(),
                expires_at: stored.expires_at,
                class_name: world.class_name().map(str::to_owned),
            },
            token_id: Some(stored.id),
        });
    }
    // A console session (the scenario engine's desk session, a trainer's tool signed in at
    // `/console/api/connexion`) acts on the API with its role.
    match console::session(world, token).await? {
        Some(session) => Ok(Principal::Staff {
            session,
            token_id: None,
        }),
        None => Err(unknown_credential()),
    }
}

/// A new staff API token for the staff member of `email` (`idn staff token create`, on the
/// world's machine). The secret is returned this once.
pub async fn create_staff_token(
    world: &World,
    email: &str,
    label: &str,
    lifetime: Option<TimeDelta>,
) -> Result<(crate::api::ApiTokenView, String), WorldError> {
    let lifetime = lifetime.unwrap_or(STAFF_TOKEN_LIFETIME);
    if lifetime <= TimeDelta::zero() || lifetime > MAX_STAFF_TOKEN_LIFETIME {
        return Err(WorldError::bad_request(
            "invalid_duration",
            "Durée du jeton invalide : entre une minute et un an.",
        ));
    }
    let label = label.trim().to_owned();
    if label.chars().count() > 100 || label.chars().any(|c| c.is_control()) {
        return Err(WorldError::bad_request(
            "invalid_label",
            "Nom du jeton invalide : 100 caractères au plus, sans caractère de contrôle.",
        ));
    }
    let email = email.trim().to_lowercase();
    let staff_id = world
        .store()
        .read()
        .await
        .staff_credentials(&email)?
        .map(|staff| staff.staff_id)
        .ok_or(WorldError::NotFound {
            what: "compte du personnel",
        })?;
    let token = fresh_token(STAFF_TOKEN_PREFIX);
    let id = fresh_id();
    let now = world.wall_now();
    let expires_at = now + lifetime;
    world
        .store()
        .change(|tx| {
            tx.insert_api_token(&NewApiToken {
                token_sha256: &digest(&token),
                id: &id,
                staff_id: &staff_id,
                label: &label,
                created_at: now,
                expires_at,
            })
        })
        .await?;
    Ok((
        crate::api::ApiTokenView {
            id,
            staff_email: email,
            label,
            created_at: now,
            expires_at,
            revoked_at: None,
        },
        token,
    ))
}

/// Every staff API token (never a secret).
pub async fn staff_tokens(world: &World) -> Result<Vec<crate::api::ApiTokenView>, WorldError> {
    Ok(world
        .store()
        .read()
        .await
        .api_tokens()?
        .into_iter()
        .map(|row| crate::api::ApiTokenView {
            id: row.id,
            staff_email: row.staff_email,
            label: row.label,
            created_at: row.created_at,
            expires_at: row.expires_at,
            revoked_at: row.revoked_at,
        })
        .collect())
}

/// Ends a staff API token; `false` when no live token has this id.
pub async fn revoke_staff_token(world: &World, id: &str) -> Result<bool, WorldError> {
    let now = world.wall_now();
    let id = id.to_owned();
    Ok(world.store().change(|tx| tx.revoke_api_token(&id, now)).await?)
}

/// Whether the learner credential a long request (an event stream) began with still opens it:
/// not revoked, not expired. Staff and anonymous principals are not re-checked here.
pub(crate) async fn still_valid(world: &World, principal: &Principal) -> Result<bool, WorldError> {
    let Some(digest) = principal.learner_digest() else {
        return Ok(true);
    };
    let stored = world.store().read().await.learner_credential(digest)?;
    Ok(stored.is_some_and(|stored| stored.revoked_reason.is_none() && stored.expires_at > world.wall_now()))
}
