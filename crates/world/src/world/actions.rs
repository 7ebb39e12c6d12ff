//! A person's actions on the account and the letter, turned into journey commands; the
//! automatic AR24 review decided from what a machine can see and hear in the uploads.

use super::*;
use idn_journey::text::{self, TextField};

impl World {
    /// A person's action on the account or the letter.
    pub async fn act(&self, id: &str, action: LearnerAction) -> Result<LearnerView, WorldError> {
        let name = action_name(&action);
        let password_digest = match &action {
            LearnerAction::ChoosePassword { password } => Some(hash_password(password)),
            _ => None,
        };
        let review_delay = self.review_delay;
        let learner_id = id.to_owned();
        // Media are checked before the transaction: they are immutable once stored.
        let media = match &action {
            LearnerAction::SubmitVisualIdentification {
                photos,
                video_media_id,
                ..
            } => {
                let mut refs = Vec::new();
                for photo in photos {
                    refs.push(media_ref(&self.store, &learner_id, &photo.media_id, MediaKind::Photo).await?);
                }
                Some((
                    refs,
                    media_ref(&self.store, &learner_id, video_media_id, MediaKind::Video).await?,
                ))
            }
            _ => None,
        };
        let photo_finding = match &action {
            LearnerAction::SubmitVisualIdentification {
                document_type,
                photos,
                video_media_id,
            } => {
                let format = match document_type {
                    api::DocumentKind::Cni | api::DocumentKind::TitreDeSejour => DocumentFormat::Id1,
                    api::DocumentKind::Passeport => DocumentFormat::PassportPage,
                };
                let mut finding = None;
                for photo in photos {
                    let (_, bytes) = self
                        .store
                        .media_content(&learner_id, &photo.media_id)
                        .await?
                        .ok_or_else(|| WorldError::Corrupt("a checked photo vanished".into()))?;
                    finding = finding.or(photo_refusal(&bytes, format));
                }
                let (content_type, video) = self
                    .store
                    .media_content(&learner_id, video_media_id)
                    .await?
                    .ok_or_else(|| WorldError::Corrupt("a checked video vanished".into()))?;
                // Decoding the sound takes tens of milliseconds: off the async workers.
                let video_finding = tokio::task::spawn_blocking(move || video_refusal(&content_type, &video))
                    .await
                    .map_err(|error| WorldError::Corrupt(format!("video check stopped: {error}")))?;
                finding.or(video_finding)
            }
            _ => None,
        };
        self.transition_reading(id, Actor::Learner, name, move |loaded, now, tx| {
            // Only the SMS code's confirmation needs to know who else holds the number.
            let holder = match &action {
                LearnerAction::ConfirmMobile { .. } => {
                    mobile_holder(tx, &loaded.id, loaded.journey.mobile_awaiting_code())?
                }
                _ => MobileHolder::NoOtherIdentity,
            };
            to_command(
                action,
                password_digest,
                media,
                photo_finding,
                holder,
                loaded,
                now,
                review_delay,
            )
        })
        .await
    }
}

pub(super) fn action_name(action: &LearnerAction) -> &'static str {
    match action {
        LearnerAction::ConfirmEmail { .. } => "confirm_email",
        LearnerAction::ResendEmailCode => "resend_email_code",
        LearnerAction::ChoosePassword { .. } => "choose_password",
        LearnerAction::RegisterMobile { .. } => "register_mobile",
        LearnerAction::ConfirmMobile { .. } => "confirm_mobile",
        LearnerAction::ResendMobileCode => "resend_mobile_code",
        LearnerAction::CompleteProfile { .. } => "complete_profile",
        LearnerAction::EnterIdentity(_) => "enter_identity",
        LearnerAction::ConfirmIdentity => "confirm_identity",
        LearnerAction::ChooseVerification { .. } => "choose_verification",
        LearnerAction::ReadLetter => "read_letter",
        LearnerAction::ConfirmLetterIdentity => "confirm_letter_identity",
        LearnerAction::DeclineLetter => "decline_letter",
        LearnerAction::StartVisualIdentification => "start_visual_identification",
        LearnerAction::SubmitVisualIdentification { .. } => "submit_visual_identification",
        LearnerAction::ResendActivationCode => "resend_activation_code",
        LearnerAction::ForgetSecretCode => "forget_secret_code",
    }
}

pub(super) async fn media_ref(
    store: &Store,
    learner_id: &str,
    media_id: &str,
    kind: MediaKind,
) -> Result<MediaRef, WorldError> {
    let (stored, sha256) = store.media_meta(learner_id, media_id).await?.ok_or_else(|| {
        WorldError::bad_request(
            "media_not_found",
            format!("Le fichier « {media_id} » n'a pas été reçu : envoyez-le à nouveau."),
        )
    })?;
    if stored != kind {
        return Err(WorldError::bad_request(
            "media_kind_mismatch",
            "Une photo a été envoyée à la place de la vidéo, ou l'inverse.",
        ));
    }
    Ok(MediaRef {
        media_id: media_id.to_owned(),
        sha256,
    })
}

/// What the automatic reviewer sees on a document photo: the same guidance checks the device
/// runs, read as a reviewer's refusal reason. Faces, spoken digits and the video are not judged
/// here; they are left to a human review.
pub(super) fn photo_refusal(bytes: &[u8], format: DocumentFormat) -> Option<RefusalReason> {
    let Ok(frame) = idn_capture::decode_still(bytes) else {
        return Some(RefusalReason::DocumentUnreadable);
    };
    let report = Guidance::new(format).assess(&frame);
    report.first_hint().map(|hint| match hint {
        Hint::Glare => RefusalReason::Glare,
        Hint::Blurry => RefusalReason::Blur,
        Hint::LowContrast => RefusalReason::DocumentInSleeve,
        Hint::NoDocument
        | Hint::OutOfFrame
        | Hint::TooFar
        | Hint::WrongShape
        | Hint::TooDark
        | Hint::TooBright => RefusalReason::DocumentUnreadable,
    })
}

/// What the automatic reviewer hears in the video: the same machine checks the device makes
/// (sound present, loud enough, three utterances, long enough), read as the reviewer's reason.
/// Whose face it is and which digits were said are left to a human review. MP4 and WebM alike
/// (`inspect_video` tells them apart by their bytes).
pub(super) fn video_refusal(_content_type: &str, bytes: &[u8]) -> Option<RefusalReason> {
    let Ok(inspection) = idn_capture::inspect_video(bytes) else {
        // Checked at upload; a file unreadable now cannot show the digits either.
        return Some(RefusalReason::DigitsInaudibleOrWrong);
    };
    let heard = |hint: &VideoHint| {
        matches!(
            hint,
            VideoHint::NoSound | VideoHint::TooQuiet | VideoHint::UtteranceCount(_) | VideoHint::TooShort
        )
    };
    inspection
        .report
        .hints()
        .iter()
        .any(heard)
        .then_some(RefusalReason::DigitsInaudibleOrWrong)
}

#[allow(clippy::too_many_arguments)]
pub(super) fn to_command(
    action: LearnerAction,
    password_digest: Option<Result<PasswordDigest, WorldError>>,
    media: Option<(Vec<MediaRef>, MediaRef)>,
    photo_finding: Option<RefusalReason>,
    holder: MobileHolder,
    loaded: &LearnerRow,
    now: DateTime<Utc>,
    review_delay: TimeDelta,
) -> Result<Command, WorldError> {
    Ok(match action {
        LearnerAction::ConfirmEmail { code } => Command::ConfirmEmail { code },
        LearnerAction::ResendEmailCode => Command::ResendEmailCode,
        LearnerAction::ChoosePassword { .. } => Command::ChoosePassword {
            digest: password_digest.expect("digest computed for choose_password")?,
        },
        LearnerAction::RegisterMobile { mobile } => Command::RegisterMobile {
            mobile: MobileNumber::parse(&mobile)?,
        },
        LearnerAction::ConfirmMobile { code } => Command::ConfirmMobile { code, holder },
        LearnerAction::ResendMobileCode => Command::ResendMobileCode,
        LearnerAction::CompleteProfile {
            civility,
            first_name,
            last_name,
            terms_accepted,
            marketing_opt_in,
        } => {
            let name = |raw: &str, field: TextField| {
                text::screen(raw, field, rules::NAME_MAX_CHARS)?;
                PersonName::parse(raw).ok_or_else(|| {
                    WorldError::bad_request(
                        "invalid_name",
                        format!(
                            "Le champ « {} » est invalide : lettres, accents, tirets et apostrophes uniquement.",
                            field.label_fr()
                        ),
                    )
                })
            };
            Command::CompleteProfile {
                profile: Profile {
                    civility: match civility {
                        api::Civility::Madame => Civility::Madame,
                        api::Civility::Monsieur => Civility::Monsieur,
                    },
                    first_name: name(&first_name, TextField::AccountFirstName)?,
                    last_name: name(&last_name, TextField::AccountLastName)?,
                    marketing_opt_in,
                },
                terms_accepted,
            }
        }
        LearnerAction::EnterIdentity(form) => {
            let form = *form;
            Command::EnterIdentity {
                input: IdentityInput {
                    document_type: form.document_type.map(Into::into),
                    sex: form.sex.map(Into::into),
                    given_names: form.given_names,
                    birth_name: form.birth_name,
                    usage_name: form.usage_name,
                    birth_date: form.birth_date,
                    birth_country: form.birth_country,
                    birth_commune: form.birth_commune,
                    birth_insee_code: form.birth_insee_code,
                    nationality: form.nationality,
                    issue_date: form.issue_date,
                    expiry_date: form.expiry_date,
                    document_number_ending: form.document_number_ending,
                },
            }
        }
        LearnerAction::ConfirmIdentity => Command::ConfirmIdentity,
        LearnerAction::ChooseVerification { mode, terms_accepted } => Command::ChooseVerification {
            mode: match mode {
                api::VerificationMode::FaceToFace => VerificationMode::FaceToFace,
                api::VerificationMode::Online => VerificationMode::Online,
                api::VerificationMode::ByPost => VerificationMode::ByPost,
            },
            terms_accepted,
        },
        LearnerAction::ReadLetter => Command::ReadLetter,
        LearnerAction::ConfirmLetterIdentity => Command::ConfirmLetterIdentity,
        LearnerAction::DeclineLetter => Command::DeclineLetter,
        LearnerAction::StartVisualIdentification => Command::StartVisualIdentification,
        LearnerAction::SubmitVisualIdentification {
            document_type,
            photos,
            ..
        } => {
            let (photo_refs, video) = media.expect("media resolved for submit");
            let submission = Submission {
                document_type: document_type.into(),
                photos: photos
                    .iter()
                    .map(|photo| photo.side.into())
                    .zip(photo_refs)
                    .collect(),
                video,
            };
            Command::SubmitVisualIdentification {
                plan: automatic_review(loaded, &submission, photo_finding, now, review_delay),
                submission,
            }
        }
        LearnerAction::ResendActivationCode => Command::ResendActivationCode,
        LearnerAction::ForgetSecretCode => Command::ForgetSecretCode,
    })
}

/// The automatic reviewer: refuses what the world can tell is wrong, or what a trainer asked it
/// to refuse, and accepts the rest after the review delay. What a machine cannot judge (a face,
/// spoken digits) is left to the review desk.
pub(super) fn automatic_review(
    loaded: &LearnerRow,
    submission: &Submission,
    photo_finding: Option<RefusalReason>,
    now: DateTime<Utc>,
    delay: TimeDelta,
) -> ReviewPlan {
    let decide_at = now + delay;
    let identity = loaded.journey.person().map(|person| &person.identity);
    let decision = match &loaded.review_policy {
        ReviewPolicy::RefuseNext { reason } => ReviewDecision::Refused(
            RefusalReason::from_code(reason).unwrap_or(RefusalReason::DocumentUnreadable),
        ),
        // "Revue manuelle": a person decides at the console's review desk.
        ReviewPolicy::Automatic if loaded.review_desk => return ReviewPlan::Desk,
        ReviewPolicy::Automatic => match identity {
            Some(identity) if identity.document_type != submission.document_type => {
                ReviewDecision::Refused(RefusalReason::DataDiffersFromDocument)
            }
            Some(identity) if identity.is_expired_on(now.date_naive()) => {
                ReviewDecision::Refused(RefusalReason::DocumentExpired)
            }
            _ => match photo_finding {
                Some(reason) => ReviewDecision::Refused(reason),
                None => ReviewDecision::Accepted,
            },
        },
    };
    ReviewPlan::Automatic { decision, decide_at }
}
