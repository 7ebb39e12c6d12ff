//! The visual identification: media made (or read) and spoiled as asked, then the review awaited on the learner's events.

use super::*;

/// Refusal reasons the automatic review sees on a spoiled synthetic photo of the first page.
fn photo_spoiled_for(reason: &str) -> Option<Degradation> {
    match reason {
        "flou" => Some(Degradation::Blur),
        "reflet" => Some(Degradation::Glare),
        "piece_dans_un_etui" => Some(Degradation::Sleeve),
        "document_illisible" => Some(Degradation::OutOfFrame),
        _ => None,
    }
}

/// The refusal reason the automatic review hears on a silent synthetic video.
const INAUDIBLE: &str = "chiffres_inaudibles_ou_errones";

impl Run<'_> {
    /// Photos and video of the visual identification, from the synthetic camera and voice with
    /// this persona's specimen (or the walkthrough's files), degraded when the scenario wants a
    /// refusal the world's automatic review can see; a refusal the engine cannot produce that way
    /// (one only a person can judge, files it does not spoil, a take already spoiled on purpose)
    /// is planned for the reviewer.
    pub(super) async fn submit_identification(&mut self, view: &LearnerView) -> Result<()> {
        if self.review_desk_to_plan {
            // « Revue manuelle » for this learner, as a trainer sets it on their page.
            self.review_desk_to_plan = false;
            let id = self.id.clone();
            self.desk().await?.put_on_review_desk(&id).await?;
        }
        self.submissions += 1;
        let filming = self.walkthrough.filming.clone();
        // The person spoils only their first take; they retake it cleanly.
        let mut take = if self.submissions == 1 {
            filming.first_take
        } else {
            FirstTake::default()
        };
        let spoiled_on_purpose = take.is_spoiled();
        let reason = self.refusal_to_produce.take();
        if let Some(reason) = reason.as_deref() {
            let photo = photo_spoiled_for(reason).filter(|_| filming.photos.is_none());
            let silent = reason == INAUDIBLE && filming.video.is_none();
            match (photo, silent) {
                (Some(degradation), _) if !spoiled_on_purpose => {
                    take.photo = take.photo.with(degradation);
                }
                (None, true) if !spoiled_on_purpose => take.speech = Speech::Silent,
                _ => {
                    if reason == "visage_non_visible" && filming.video.is_none() {
                        take.framing = Framing::FaceOutOfView;
                    }
                    // Glasses, a face out of view, an expired document, different data, or a
                    // take the engine does not spoil itself: the trainer's planned refusal plays
                    // the reviewer.
                    self.trainer
                        .set_review_policy(
                            &self.id,
                            ReviewPolicy::RefuseNext {
                                reason: reason.to_owned(),
                            },
                        )
                        .await?;
                }
            }
        }
        let digits = view
            .registered_letter
            .as_ref()
            .and_then(|letter| letter.spoken_digits.clone())
            .context("la lettre n'indique pas les 3 chiffres à dire")?;
        let specimen = self.persona.specimen()?;
        let seed = self.scenario.seed;
        let document = self.document();
        let pages = pages(document);
        let files = match &filming.photos {
            Some(files) if files.len() != pages.len() => invalid!(
                "{} : la pièce ({}) se photographie en {} photo(s), {} fichier(s) donné(s)",
                self.scenario.name,
                document_label(document),
                pages.len(),
                files.len()
            ),
            Some(files) => Some(files),
            None => None,
        };
        let mut photos = Vec::new();
        for (index, (side, page)) in pages.iter().enumerate() {
            let (bytes, content_type) = match files {
                Some(files) => read_file(&files[index])?,
                None => {
                    let degradations = if index == 0 {
                        take.photo
                    } else {
                        Degradations::NONE
                    };
                    (photo(*page, &specimen, degradations, seed)?, "image/jpeg")
                }
            };
            let stored = self
                .learner
                .upload_media(&self.id, MediaKind::Photo, content_type, bytes)
                .await?;
            photos.push(SubmittedPhoto {
                side: *side,
                media_id: stored.media_id,
            });
        }
        let (bytes, content_type, video_checks) = match &filming.video {
            Some(file) => {
                let (bytes, content_type) = read_file(file)?;
                // A file is sent as chosen: the phone records no checks of its own for it.
                (bytes, content_type, Vec::new())
            }
            None => {
                let recorded = video(&specimen, pages[0].1, &digits, &take, seed)?;
                (recorded.mp4, "video/mp4", recorded.failed_checks)
            }
        };
        let video = self
            .learner
            .upload_media(&self.id, MediaKind::Video, content_type, bytes)
            .await?;
        let after = self
            .act(LearnerAction::SubmitVisualIdentification {
                document_type: document,
                photos,
                video_media_id: video.media_id,
            })
            .await?;
        self.moved(Move::IdentificationSubmitted {
            attempt: self.submissions,
            spoken_digits: digits,
            video_checks,
            step: after.step,
        });
        if let Some(reason) = reason {
            // The review happens after its delay; then the refusal must carry the reason.
            let review = self.learner.learner(&self.id).await?;
            let refused = self.wait_for_review(&review).await?;
            let got = refused
                .registered_letter
                .as_ref()
                .and_then(|letter| letter.refusal_reason.clone());
            if got.as_deref() != Some(reason.as_str()) {
                bail!(
                    "l'identification devait être refusée pour « {reason} », résultat : {} ({})",
                    refused.step_label,
                    got.unwrap_or_else(|| "aucun motif".into())
                );
            }
        }
        Ok(())
    }

    /// Time passes until the automatic review is due, then the engine waits for the world to
    /// announce its decision on the learner's event stream: the world decides in its own
    /// transaction (at once when the learner's clock jumps, or at its sweep on a running
    /// class clock), and the engine reads the outcome only once it is there.
    pub(super) async fn wait_for_review(&mut self, view: &LearnerView) -> Result<LearnerView> {
        let mut events = self.learner.learner_events(&self.id).await?;
        let now = self.learner.learner_clock(&self.id).await?.now;
        let due = view
            .next_deadline
            .context("l'examen n'a pas d'échéance (examen au guichet)")?;
        self.advance(due - now).await?;
        let decided = tokio::time::timeout(DECISION_WAIT, first_view_past(&mut events, "review"))
            .await
            .map_err(|_| {
                ScenarioError::NotLanded(format!(
                    "l'examen n'a pas été décidé {} s après son échéance",
                    DECISION_WAIT.as_secs()
                ))
            })??;
        let letter = decided.registered_letter.as_ref();
        self.moved(Move::ReviewDone {
            refusal_reason: letter.and_then(|letter| letter.refusal_reason.clone()),
            refusal_reason_label: letter.and_then(|letter| letter.refusal_reason_label.clone()),
            step: decided.step,
        });
        Ok(decided)
    }
}

/// The French name of a document, as the identity form says it.
fn document_label(document: DocumentKind) -> &'static str {
    match document {
        DocumentKind::Cni => "carte nationale d'identité",
        DocumentKind::Passeport => "passeport",
        DocumentKind::TitreDeSejour => "titre de séjour",
    }
}

/// A file chosen from the « Photothèque », with the content type its extension says.
fn read_file(path: &Path) -> Result<(Vec<u8>, &'static str)> {
    let bytes = std::fs::read(path).with_context(|| format!("lecture de {}", path.display()))?;
    let content_type = match path
        .extension()
        .and_then(|ext| ext.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("webm") => "video/webm",
        Some("mp4" | "m4v") => "video/mp4",
        _ => "application/octet-stream",
    };
    Ok((bytes, content_type))
}

/// The first view of the stream whose step is no longer `step`.
async fn first_view_past(events: &mut idn_device::LearnerEvents, step: &str) -> Result<LearnerView> {
    while let Some(view) = events.next().await? {
        if view.step.code() != step {
            return Ok(view);
        }
    }
    bail!("le monde a fermé le flux d'événements avant la décision de l'examen")
}
