//! The post-office clerk's desk: looking up the activation code a learner shows face to face,
//! validating the document shown. The final validation then happens in the learner's app, with
//! the same code.

use super::*;

impl World {
    // ----- the post-office clerk -----

    pub(super) async fn learner_by_face_to_face_code(&self, code: &str) -> Result<String, WorldError> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        self.store
            .read()
            .await
            .learner_of_face_to_face_code(&code)?
            .ok_or(WorldError::NotFound {
                what: "code d'activation en attente de vérification en face à face",
            })
    }

    pub async fn clerk_lookup(&self, code: &str) -> Result<ClerkLookup, WorldError> {
        let id = self.learner_by_face_to_face_code(code).await?;
        self.catch_up(&id).await?;
        let loaded = self.store.read().await.learner(&id)?;
        match loaded.journey.stage() {
            Stage::FaceToFace { person, code, .. } => Ok(ClerkLookup {
                learner_id: id,
                given_names: person
                    .identity
                    .given_names
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                birth_name: person.identity.birth_name.to_string(),
                document_type: person.identity.document_type.label_fr().into(),
                valid_until: code.expires_at(),
            }),
            _ => Err(WorldError::NotFound {
                what: "code d'activation en attente de vérification en face à face",
            }),
        }
    }

    pub async fn clerk_validate(&self, validation: ClerkValidation) -> Result<LearnerView, WorldError> {
        let id = self.learner_by_face_to_face_code(&validation.code).await?;
        self.transition(&id, Actor::Clerk, "clerk_validate", move |_, _| {
            Ok(Command::ClerkValidate {
                code: validation.code,
                presented: PresentedDocument {
                    document_type: validation.document_type.into(),
                    birth_name: validation.birth_name,
                    birth_date: validation.birth_date,
                    document_number_ending: validation.document_number_ending,
                },
            })
        })
        .await
    }
}
