//! `idn login-request` and `idn login-status`: a tester plays the relying party (FranceConnect+
//! for Mon Compte Formation) that asks the person's phone to approve a login.

use super::print;
use crate::Outcome;
use anyhow::Result;
use idn_api::{LoginRequestView, WorldClient};

pub async fn open(mobile: &str, service: &str, client: &WorldClient, json: bool) -> Result<Outcome> {
    let request = client.open_login_request(mobile, service).await?;
    print(json, &request, |r| {
        format!(
            "Demande de connexion {} pour « {} » : à approuver dans l'application avant {}",
            r.request_id,
            r.relying_party,
            r.deadline.format("%H:%M:%S UTC")
        )
    });
    Ok(Outcome::Done)
}

pub async fn status(request_id: &str, client: &WorldClient, json: bool) -> Result<Outcome> {
    let request = client.login_request(request_id).await?;
    print(json, &request, status_line);
    Ok(Outcome::Done)
}

/// Where a login request stands, as the relying party and the phone both print it.
pub fn status_line(request: &LoginRequestView) -> String {
    format!("Demande {} : {}", request.request_id, request.status)
}
