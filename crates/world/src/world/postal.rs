//! The postal procedure on the world's side (004): an envelope posted from the web site, its
//! answer about 4 weeks later on the class clock (a returned request, or the registered
//! letter), and the validation by the postman or the post office with that letter. The rules are
//! the journey crate's `PostalRequest`; this file stores it and lets time pass.

use super::*;
use crate::store::{PostalReads, PostalRow};
use idn_journey::postal_request::{Envelope, PostalRequest, ShownDocument};

/// A posted envelope: the token its browser keeps (only its digest is stored) and its number.
pub(crate) struct PostedRequest {
    pub token: String,
    pub number: i64,
}

impl World {
    /// The envelope leaves; its answer is due `POSTAL_LETTER_DELAY` later.
    pub(crate) async fn post_postal_request(&self, envelope: Envelope) -> Result<PostedRequest, WorldError> {
        let token = crate::console::fresh_token();
        let now = self.now();
        let request = PostalRequest::post(envelope, now);
        let digest = crate::console::digest(&token);
        let number = self
            .store
            .change(|tx| tx.insert_postal_request(&digest, now, &request))
            .await?;
        Ok(PostedRequest { token, number })
    }

    /// The request its browser's token names, brought up to the world's time.
    pub(crate) async fn postal_request_of_token(&self, token: &str) -> Result<Option<PostalRow>, WorldError> {
        let digest = crate::console::digest(token);
        let Some(found) = self.store.read().await.postal_request_by_token(&digest)? else {
            return Ok(None);
        };
        self.postal_catch_up(found.number).await?;
        Ok(self.store.read().await.postal_request_by_token(&digest)?)
    }

    /// Every request, brought up to the world's time, newest first (the console).
    pub(crate) async fn postal_requests(&self) -> Result<Vec<PostalRow>, WorldError> {
        let due = self.store.read().await.postal_requests_due_by(self.now())?;
        for number in due {
            self.postal_catch_up(number).await?;
        }
        Ok(self.store.read().await.postal_requests()?)
    }

    /// « Recevoir la réponse maintenant » (a trainer's shortcut, marked as the sandbox's): the
    /// 4 weeks pass for this request only.
    pub(crate) async fn postal_skip_wait(&self, token: &str) -> Result<(), WorldError> {
        let digest = crate::console::digest(token);
        let now = self.now();
        let number = self
            .store
            .change(|tx| {
                let Some(mut row) = tx.postal_request_by_token(&digest)? else {
                    return Ok(None);
                };
                if row.request.skip_wait(now) {
                    tx.update_postal_request(row.number, &row.request)?;
                }
                Ok(Some(row.number))
            })
            .await?
            .ok_or(WorldError::NotFound {
                what: "demande de vérification par courrier",
            })?;
        self.postal_catch_up(number).await
    }

    /// The postman or the clerk validates with the registered letter's number and the document
    /// shown; returns the request's number.
    pub(crate) async fn postal_validate(
        &self,
        letter_number: &str,
        shown: ShownDocument,
    ) -> Result<i64, WorldError> {
        let letter_number = letter_number.trim().to_uppercase();
        let now = self.now();
        let outcome = self
            .store
            .change(|tx| {
                let Some(mut row) = tx.postal_request_by_letter(&letter_number)? else {
                    return Ok(Err(JourneyError::PostalLetterNotAwaited));
                };
                let validated = row.request.validate(&letter_number, &shown, now);
                if validated.is_ok() {
                    tx.update_postal_request(row.number, &row.request)?;
                }
                Ok(validated.map(|_| row.number))
            })
            .await?;
        let number = outcome?;
        tracing::info!(number, "postal request validated");
        Ok(number)
    }

    /// Inside one transaction: the request's answer, when its date has come.
    async fn postal_catch_up(&self, number: i64) -> Result<(), WorldError> {
        let now = self.now();
        let mut rng = self.rng_for("postal", number);
        self.store
            .change(|tx| {
                let Some(mut row) = tx.postal_request_by_number(number)? else {
                    return Ok(());
                };
                if !row.request.advance(now, &mut rng).is_empty() {
                    tx.update_postal_request(number, &row.request)?;
                }
                Ok(())
            })
            .await?;
        Ok(())
    }
}
