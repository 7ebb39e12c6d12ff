//! Who may call each route of the world's API. Every route is declared in `http::api_routes()`
//! with an [`Access`]; one guard (`guard`) runs before the handler: it recognises the caller's
//! credential (`credentials::authenticate`), compares it with the route's rule and the learner
//! the path names, puts the [`Principal`] in the request for the handlers that need it, and
//! writes the staff audit line of a staff call. Handlers never decide who may call them.
//!
//! The guard runs before the body and the path are parsed: a caller refused here learns nothing
//! of what the request would have done, and a learner's credential gets the same 403 whether or
//! not another learner's id exists.

pub mod credentials;
pub(crate) mod refusal;
#[cfg(test)]
mod tests;

use crate::api::CredentialKind;
use crate::console::{Role, StaffSession};
use crate::World;
use axum::extract::{FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;

/// Staff roles of the API's rules.
pub(crate) const TRAINER: &[Role] = &[Role::Trainer];
pub(crate) const TRAINER_OR_SUPPORT: &[Role] = &[Role::Trainer, Role::SupportAgent];
pub(crate) const TRAINER_OR_CLERK: &[Role] = &[Role::Trainer, Role::Clerk];
pub(crate) const NO_STAFF: &[Role] = &[];

/// The learner credentials that act for a learner on their own routes.
pub(crate) const ANY_LEARNER: &[CredentialKind] = &[CredentialKind::Account, CredentialKind::Device];
pub(crate) const DEVICE_ONLY: &[CredentialKind] = &[CredentialKind::Device];
/// The inbox: also the sign-in ticket, which reads the code it sent (the person's own phone
/// and mailbox, which the inbox plays).
pub(crate) const LEARNER_OR_SIGN_IN: &[CredentialKind] = &[
    CredentialKind::Account,
    CredentialKind::Device,
    CredentialKind::SignIn,
];

/// A route's rule.
#[derive(Debug, Clone, Copy)]
pub enum Access {
    /// Anyone: liveness, public keys, the class time, opening an account, typing a password.
    Public,
    /// The learner the path's `{id}` names, with one of `kinds`, or staff with one of `staff`.
    Learner {
        kinds: &'static [CredentialKind],
        staff: &'static [Role],
    },
    /// The activated phone of the learner a login request `{request_id}` is for, or staff.
    LoginRequest { staff: &'static [Role] },
    /// Staff with one of these roles.
    Staff(&'static [Role]),
    /// Any learner credential, acting on itself (ending it).
    OwnCredential,
    /// The sign-in ticket the right password earned.
    SignInTicket,
}

impl Access {
    /// The OpenAPI security requirement names of this rule (see `http::document_access`).
    pub fn schemes(self) -> Vec<(&'static str, Vec<String>)> {
        let roles = |roles: &[Role]| {
            roles
                .iter()
                .map(|role| role.code().to_owned())
                .collect::<Vec<_>>()
        };
        let learner = |kinds: &[CredentialKind]| {
            kinds
                .iter()
                .map(|kind| match kind {
                    CredentialKind::Account => ("apprenant", Vec::new()),
                    CredentialKind::Device => ("appareil", Vec::new()),
                    CredentialKind::SignIn => ("connexion", Vec::new()),
                })
                .collect::<Vec<_>>()
        };
        let mut schemes = match self {
            Self::Public => Vec::new(),
            Self::Learner { kinds, .. } => learner(kinds),
            Self::LoginRequest { .. } => learner(DEVICE_ONLY),
            Self::Staff(_) => Vec::new(),
            Self::OwnCredential => learner(LEARNER_OR_SIGN_IN),
            Self::SignInTicket => learner(&[CredentialKind::SignIn]),
        };
        let staff = match self {
            Self::Learner { staff, .. } | Self::LoginRequest { staff } | Self::Staff(staff) => staff,
            _ => NO_STAFF,
        };
        if !staff.is_empty() {
            schemes.push(("personnel", roles(staff)));
        }
        schemes
    }
}

/// Who is calling, as the guard recognised them.
#[derive(Debug, Clone)]
pub enum Principal {
    Anonymous,
    Learner {
        learner_id: String,
        kind: CredentialKind,
        device_id: Option<String>,
        token_sha256: String,
    },
    /// A staff member, by console session or API token (`token_id`).
    Staff {
        session: StaffSession,
        token_id: Option<String>,
    },
}

impl Principal {
    pub(crate) fn learner_digest(&self) -> Option<&str> {
        match self {
            Self::Learner { token_sha256, .. } => Some(token_sha256),
            _ => None,
        }
    }

    /// The learner this caller is, if a learner.
    pub fn learner_id(&self) -> Option<&str> {
        match self {
            Self::Learner { learner_id, .. } => Some(learner_id),
            _ => None,
        }
    }

    pub fn staff(&self) -> Option<&StaffSession> {
        match self {
            Self::Staff { session, .. } => Some(session),
            _ => None,
        }
    }
}

/// Whether `principal` may call a route with `rule`, for the learner `path_learner` the path
/// names (or the login request's learner). `Ok` or the refusal to answer.
async fn allow(
    world: &World,
    rule: Access,
    principal: &Principal,
    path_learner: Option<&str>,
    request_id: Option<&str>,
) -> Result<(), crate::WorldError> {
    let staff_allowed = |roles: &[Role]| match principal {
        Principal::Staff { session, .. } if roles.contains(&session.role) => Ok(()),
        Principal::Staff { .. } => Err(refusal::role_not_allowed()),
        Principal::Anonymous => Err(refusal::authentication_required()),
        Principal::Learner { .. } => Err(refusal::staff_required()),
    };
    match rule {
        Access::Public => Ok(()),
        Access::Staff(roles) => staff_allowed(roles),
        Access::Learner { kinds, staff } => match principal {
            Principal::Learner { learner_id, kind, .. } => {
                if Some(learner_id.as_str()) != path_learner {
                    Err(refusal::not_your_learner())
                } else if !kinds.contains(kind) {
                    Err(refusal::wrong_kind(kinds))
                } else {
                    Ok(())
                }
            }
            _ => staff_allowed(staff),
        },
        Access::LoginRequest { staff } => match principal {
            Principal::Learner { learner_id, kind, .. } => {
                let owner = match request_id {
                    Some(request_id) => world.learner_of_login_request(request_id).await?,
                    None => None,
                };
                if owner.as_deref() != Some(learner_id.as_str()) {
                    Err(refusal::not_your_learner())
                } else if *kind != CredentialKind::Device {
                    Err(refusal::wrong_kind(DEVICE_ONLY))
                } else {
                    Ok(())
                }
            }
            _ => staff_allowed(staff),
        },
        Access::OwnCredential => match principal {
            Principal::Learner { .. } => Ok(()),
            Principal::Anonymous => Err(refusal::authentication_required()),
            Principal::Staff { .. } => Err(refusal::learner_credential_required()),
        },
        Access::SignInTicket => match principal {
            Principal::Learner {
                kind: CredentialKind::SignIn,
                ..
            } => Ok(()),
            Principal::Anonymous => Err(refusal::authentication_required()),
            _ => Err(refusal::wrong_kind(&[CredentialKind::SignIn])),
        },
    }
}

/// The guard of every API route (`route_layer`, so it runs once the route matched and before
/// anything is parsed).
pub async fn guard(
    State((world, rule)): State<(Arc<World>, Access)>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let raw_params = RawPathParams::from_request_parts(&mut parts, &()).await.ok();
    let matched = parts.extensions.get::<MatchedPath>().cloned();
    let mut request = Request::from_parts(parts, body);
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .map(|value| value.to_str().unwrap_or("\u{fffd}").to_owned());
    let principal = match credentials::authenticate(&world, authorization.as_deref()).await {
        Ok(principal) => principal,
        // A public route needs no credential: one that ended (a phone whose identity moved
        // elsewhere, about to sign in again) is not a reason to refuse it.
        Err(crate::WorldError::Unauthenticated { .. }) if matches!(rule, Access::Public) => {
            Principal::Anonymous
        }
        Err(error) => return refusal::answer(error),
    };
    let param = |name: &str| {
        raw_params.as_ref().and_then(|params| {
            params
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_owned())
        })
    };
    let path_learner = param("id");
    let request_id = param("request_id");
    if let Err(error) = allow(
        &world,
        rule,
        &principal,
        path_learner.as_deref(),
        request_id.as_deref(),
    )
    .await
    {
        return refusal::answer(error);
    }
    let method = request.method().clone();
    request.extensions_mut().insert(principal.clone());
    let response = next.run(request).await;
    // Every staff call of a rule that is not public names a learner or changes the class: one
    // audit line each, with the route, the learner and the answer's status.
    if let (Principal::Staff { session, token_id }, false) = (&principal, matches!(rule, Access::Public)) {
        let route = matched.as_ref().map(MatchedPath::as_str).unwrap_or("?");
        let action = format!("api {method} {route}");
        let detail = match token_id {
            Some(id) => format!("HTTP {} · jeton {id}", response.status().as_u16()),
            None => format!("HTTP {}", response.status().as_u16()),
        };
        crate::console::audit_done(&world, session, &action, path_learner.as_deref(), Some(&detail)).await;
    }
    response
}

/// `WWW-Authenticate` of a 401, as RFC 6750 §3 asks.
pub(crate) fn www_authenticate() -> HeaderValue {
    HeaderValue::from_static("Bearer realm=\"idn-sandbox\"")
}
